//! The stock ledger (库存): batches with their expiry dates, append-only movements, the
//! materials each service uses. Levels are sums of movements.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Result, Tx, ms, new_id, ymd};
use crate::domain::money::{from_fen, to_fen};
use crate::domain::stock::BatchLevel;

/// One ledger row to write.
#[derive(Debug, Clone)]
pub struct NewMovement<'a> {
    pub product_id: &'a str,
    pub batch_id: Option<&'a str>,
    pub delta: i64,
    /// received, sold, used, returned, count (a stock-take), expired (thrown away)
    pub reason: &'a str,
    pub visit_id: Option<&'a str>,
    pub note: &'a str,
    pub actor: &'a str,
}

/// A product's details beyond name and price.
#[derive(Debug, Clone, Default)]
pub struct ProductDetails {
    pub brand: String,
    pub spec: String,
    pub supplier: String,
    /// Cost per unit.
    pub cost: rust_decimal::Decimal,
    /// Alert below this level; 0: never.
    pub low_stock: i64,
}

/// A product's stock, for `salonbox stock list`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StockRow {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub brand: String,
    pub spec: String,
    pub supplier: String,
    pub level: i64,
    pub low_stock: i64,
    /// Cost per unit: the product's own when set, else the batches' on hand (weighted), else
    /// the last batch received.
    pub cost: rust_decimal::Decimal,
    /// The stock at that cost.
    pub value: rust_decimal::Decimal,
    pub price: rust_decimal::Decimal,
    /// The soonest expiry among batches with stock.
    pub next_expiry: Option<NaiveDate>,
}

/// A stock movement's cost per unit in fen, as SQL over `p` and `m`: the product's own
/// cost when set, else its batch's, else the product's unit cost.
const MOVEMENT_COST: &str = "COALESCE(NULLIF(p.cost_fen, 0),
    (SELECT b.cost_fen FROM product_batches b WHERE b.id = m.batch_id), 0)";

/// A product's cost per unit in fen, as SQL over `p` (a `products` row): its own when set,
/// else the weighted cost of the batches with stock, else the last batch's.
const UNIT_COST: &str = "COALESCE(NULLIF(p.cost_fen, 0),
    (SELECT CAST(ROUND(SUM(x.cost_fen * x.oh) * 1.0 / SUM(x.oh)) AS INTEGER)
       FROM (SELECT b.cost_fen, (SELECT SUM(delta) FROM stock_movements m WHERE m.batch_id = b.id) AS oh
               FROM product_batches b WHERE b.product_id = p.id AND b.cost_fen IS NOT NULL) x WHERE x.oh > 0),
    (SELECT b.cost_fen FROM product_batches b WHERE b.product_id = p.id AND b.cost_fen IS NOT NULL
       ORDER BY b.received_at DESC LIMIT 1),
    0)";

/// A batch with stock and an expiry date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BatchRow {
    pub product_id: String,
    pub product: String,
    pub batch_id: String,
    pub batch_no: String,
    pub expires_on: NaiveDate,
    pub on_hand: i64,
}

/// One product's ledger over a report's period (`salonbox stock report`): the opening
/// level, what moved in and out by reason (`sold` and `used` as positive quantities), and
/// the closing level.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct StockReportRow {
    pub sku: String,
    pub name: String,
    pub opening: i64,
    pub received: i64,
    pub sold: i64,
    pub used: i64,
    pub returned: i64,
    /// Stock-takes and other corrections.
    pub adjusted: i64,
    /// Their value at the cost of the batches they touched (a stock-take loss is negative).
    pub adjusted_value: rust_decimal::Decimal,
    pub closing: i64,
    /// The closing stock at the cost of the batches it is in.
    pub closing_value: rust_decimal::Decimal,
}

impl Tx<'_> {
    /// Brand, spec, supplier, cost and low-stock line of a product.
    pub fn set_product_details(&self, id: &str, d: &ProductDetails, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE products SET brand = ?2, spec = ?3, supplier = ?4, cost_fen = ?5, low_stock = ?6, updated_at = ?7 WHERE id = ?1",
            params![id, d.brand.trim(), d.spec.trim(), d.supplier.trim(), to_fen(d.cost)?, d.low_stock, ms(now)],
        )?;
        Ok(())
    }

    pub fn insert_batch(
        &self,
        product_id: &str,
        batch_no: &str,
        expires_on: Option<NaiveDate>,
        cost_fen: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        self.exec(
            "INSERT INTO product_batches (id, product_id, batch_no, expires_on, cost_fen, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, product_id, batch_no.trim(), expires_on.map(|d| d.to_string()), cost_fen, ms(now)],
        )?;
        Ok(id)
    }

    /// A batch of a product by its number (the newest, if the supplier reused one).
    pub fn batch_by_no(&self, product_id: &str, batch_no: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .row(
                "SELECT id FROM product_batches WHERE product_id = ?1 AND batch_no = ?2 ORDER BY received_at DESC LIMIT 1",
                params![product_id, batch_no.trim()],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn add_movement(&self, m: &NewMovement<'_>, now: DateTime<Utc>) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO stock_movements (id, product_id, batch_id, delta, reason, visit_id, note, actor, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                new_id(),
                m.product_id,
                m.batch_id,
                m.delta,
                m.reason,
                m.visit_id,
                m.note,
                m.actor,
                ms(now)
            ])?;
        Ok(())
    }

    /// What each batch of a product holds (batches with movements, and stock moved without a
    /// batch as `batch_id: None`).
    pub fn batch_levels(&self, product_id: &str) -> Result<Vec<BatchLevel>> {
        let mut st = self.conn().prepare_cached(
            "SELECT b.id, b.expires_on, COALESCE((SELECT SUM(delta) FROM stock_movements m WHERE m.batch_id = b.id), 0)
             FROM product_batches b WHERE b.product_id = ?1
             UNION ALL
             SELECT NULL, NULL, COALESCE(SUM(delta), 0) FROM stock_movements WHERE product_id = ?1 AND batch_id IS NULL",
        )?;
        let rows = st
            .query_map([product_id], |r| {
                Ok(BatchLevel {
                    batch_id: r.get(0)?,
                    expires_on: r.get::<_, Option<String>>(1)?.and_then(|d| ymd(&d)),
                    on_hand: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn stock_levels(&self) -> Result<Vec<StockRow>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT p.id, p.sku, p.name, p.brand, p.spec, p.supplier,
                    COALESCE((SELECT SUM(delta) FROM stock_movements m WHERE m.product_id = p.id), 0),
                    p.low_stock, {UNIT_COST}, p.price_fen,
                    (SELECT MIN(b.expires_on) FROM product_batches b WHERE b.product_id = p.id AND b.expires_on IS NOT NULL
                       AND (SELECT SUM(delta) FROM stock_movements m WHERE m.batch_id = b.id) > 0)
             FROM products p WHERE p.active = 1 ORDER BY p.category, p.name"
        ))?;
        let rows = st
            .query_map([], |r| {
                Ok(StockRow {
                    product_id: r.get(0)?,
                    sku: r.get(1)?,
                    name: r.get(2)?,
                    brand: r.get(3)?,
                    spec: r.get(4)?,
                    supplier: r.get(5)?,
                    level: r.get(6)?,
                    low_stock: r.get(7)?,
                    cost: from_fen(r.get(8)?),
                    value: from_fen(r.get::<_, i64>(8)?.saturating_mul(r.get::<_, i64>(6)?.max(0))),
                    price: from_fen(r.get(9)?),
                    next_expiry: r.get::<_, Option<String>>(10)?.and_then(|d| ymd(&d)),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Batches with stock on hand that expire on or before `until` (expired ones included).
    pub fn batches_expiring(&self, until: NaiveDate) -> Result<Vec<BatchRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT p.id, p.name, b.id, b.batch_no, b.expires_on,
                    COALESCE((SELECT SUM(delta) FROM stock_movements m WHERE m.batch_id = b.id), 0) AS on_hand
             FROM product_batches b JOIN products p ON p.id = b.product_id
             WHERE b.expires_on IS NOT NULL AND b.expires_on <= ?1 AND on_hand > 0 AND p.active = 1
             ORDER BY b.expires_on, p.name",
        )?;
        let rows = st
            .query_map([until.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?, r.get(5)?))
            })?
            .collect::<rusqlite::Result<Vec<(String, String, String, String, String, i64)>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(product_id, product, batch_id, batch_no, exp, on_hand)| {
                Some(BatchRow { product_id, product, batch_id, batch_no, expires_on: ymd(&exp)?, on_hand })
            })
            .collect())
    }

    /// Per active product, the ledger summed over `[from, to)`.
    pub fn stock_report(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<StockReportRow>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT p.sku, p.name,
                    COALESCE(SUM(CASE WHEN m.at < ?1 THEN m.delta END), 0),
                    COALESCE(SUM(CASE WHEN m.at >= ?1 AND m.at < ?2 AND m.reason = 'received' THEN m.delta END), 0),
                    COALESCE(SUM(CASE WHEN m.at >= ?1 AND m.at < ?2 AND m.reason = 'sold' THEN -m.delta END), 0),
                    COALESCE(SUM(CASE WHEN m.at >= ?1 AND m.at < ?2 AND m.reason = 'used' THEN -m.delta END), 0),
                    COALESCE(SUM(CASE WHEN m.at >= ?1 AND m.at < ?2 AND m.reason = 'returned' THEN m.delta END), 0),
                    COALESCE(SUM(CASE WHEN m.at >= ?1 AND m.at < ?2
                                       AND m.reason NOT IN ('received', 'sold', 'used', 'returned') THEN m.delta END), 0),
                    COALESCE(SUM(m.delta), 0),
                    COALESCE(SUM(CASE WHEN m.at >= ?1 AND m.at < ?2
                                       AND m.reason NOT IN ('received', 'sold', 'used', 'returned') THEN m.delta * {MOVEMENT_COST} END), 0),
                    COALESCE(SUM(m.delta * {MOVEMENT_COST}), 0)
             FROM products p LEFT JOIN stock_movements m ON m.product_id = p.id AND m.at < ?2
             WHERE p.active = 1 GROUP BY p.id ORDER BY p.category, p.name"
        ))?;
        let rows = st
            .query_map(params![ms(from), ms(to)], |r| {
                Ok(StockReportRow {
                    sku: r.get(0)?,
                    name: r.get(1)?,
                    opening: r.get(2)?,
                    received: r.get(3)?,
                    sold: r.get(4)?,
                    used: r.get(5)?,
                    returned: r.get(6)?,
                    adjusted: r.get(7)?,
                    adjusted_value: from_fen(r.get(9)?),
                    closing: r.get(8)?,
                    closing_value: from_fen(r.get(10)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The products a visit sold: `(product, batch, delta)`, to put back on a void.
    pub fn visit_sales(&self, visit_id: &str) -> Result<Vec<(String, Option<String>, i64)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT product_id, batch_id, delta FROM stock_movements WHERE visit_id = ?1 AND reason = 'sold' ORDER BY rowid",
        )?;
        let rows = st
            .query_map([visit_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// `(service id, product name, units)` of every service, by service then product.
    pub fn all_service_materials(&self) -> Result<Vec<(String, String, i64)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT m.service_id, p.name, m.quantity FROM service_materials m JOIN products p ON p.id = m.product_id
             ORDER BY m.service_id, p.name",
        )?;
        let rows =
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn service_materials(&self, service_id: &str) -> Result<Vec<(String, i64)>> {
        let mut st =
            self.conn().prepare_cached("SELECT product_id, quantity FROM service_materials WHERE service_id = ?1")?;
        let rows = st.query_map([service_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Sets (quantity > 0) or removes (0) a material of a service.
    pub fn set_service_material(&self, service_id: &str, product_id: &str, quantity: i64) -> Result<()> {
        if quantity <= 0 {
            self.exec(
                "DELETE FROM service_materials WHERE service_id = ?1 AND product_id = ?2",
                [service_id, product_id],
            )?;
        } else {
            self.exec(
                "INSERT INTO service_materials (service_id, product_id, quantity) VALUES (?1, ?2, ?3)
                 ON CONFLICT (service_id, product_id) DO UPDATE SET quantity = excluded.quantity",
                params![service_id, product_id, quantity],
            )?;
        }
        Ok(())
    }
}
