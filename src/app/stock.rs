//! Inventory (库存): purchases in with batch and expiry, sales and treatment materials out
//! first-expiring first at checkout, stock-takes, the report. The level is the sum of the
//! append-only ledger; nothing here edits one.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{App, AppError, Result};
use crate::domain::money::to_fen;
use crate::domain::stock::fefo;
use crate::domain::time::{business_date, day_bounds};
pub use crate::store::ProductDetails;
pub use crate::store::StockReportRow;
use crate::store::{NewMovement, StockRow, Tx};

fn parse_date(field: &str, s: &str) -> Result<NaiveDate> {
    crate::app::customers::parse_birthday(s).map_err(|_| {
        AppError::input(field, format!("「{s}」不是日期（如 2027-06-30）/ \"{s}\" is not a date (e.g. 2027-06-30)"))
    })
}

impl App {
    pub fn set_product_details(&mut self, product: &str, d: &ProductDetails, actor: &str) -> Result<StockRow> {
        if d.low_stock < 0 {
            return Err(AppError::input("--low-stock", "提醒线不能为负 / the alert line cannot be negative"));
        }
        to_fen(d.cost).map_err(|e| AppError::input("--cost", e.to_string()))?;
        let now = self.now();
        self.store.write(|tx| {
            let p = tx.find_product(product)?;
            tx.set_product_details(&p.id, d, now)?;
            tx.audit(now, actor, "product.edit", "product", &p.id, &serde_json::json!({ "low_stock": d.low_stock }))?;
            stock_row(tx, &p.id)
        })
    }

    /// 入库: a purchase of `quantity` units, as a batch with its number and expiry date.
    pub fn stock_in(
        &mut self,
        product: &str,
        quantity: i64,
        batch_no: &str,
        expires_on: Option<&str>,
        cost: Option<Decimal>,
        actor: &str,
    ) -> Result<StockRow> {
        if quantity <= 0 {
            return Err(AppError::input("数量 quantity", "入库数量须大于 0 / the quantity must be above 0"));
        }
        let expires = expires_on.map(|s| parse_date("--expires", s)).transpose()?;
        let cost = cost.map(|c| to_fen(c).map_err(|e| AppError::input("--cost", e.to_string()))).transpose()?;
        let now = self.now();
        if let Some(d) = expires
            && d < business_date(now, self.tz())
        {
            return Err(AppError::input(
                "--expires",
                format!("{d} 已过期，不能入库 / {d} has passed: expired stock is not received"),
            ));
        }
        self.store.write(|tx| {
            let p = tx.find_product(product)?;
            let batch = tx.insert_batch(&p.id, batch_no, expires, cost, now)?;
            tx.add_movement(
                &NewMovement {
                    product_id: &p.id,
                    batch_id: Some(&batch),
                    delta: quantity,
                    reason: "received",
                    visit_id: None,
                    note: batch_no,
                    actor,
                },
                now,
            )?;
            stock_row(tx, &p.id)
        })
    }

    /// 盘点 / adjustment: set the counted level (`count`) or move by `delta`, with the reason,
    /// for one batch (by number) or the product. A loss comes off expired batches first,
    /// then the first-expiring; stock found is recorded without a batch.
    pub fn stock_adjust(
        &mut self,
        product: &str,
        count: Option<i64>,
        delta: Option<i64>,
        batch_no: Option<&str>,
        reason: &str,
        actor: &str,
    ) -> Result<(i64, StockRow)> {
        if reason.trim().is_empty() {
            return Err(AppError::input(
                "--reason",
                "请写明调整原因（如 盘点、破损、过期报废）/ give the reason (stock-take, damaged, expired)",
            ));
        }
        let now = self.now();
        self.store.write(|tx| {
            let p = tx.find_product(product)?;
            let levels = tx.batch_levels(&p.id)?;
            let batch = match batch_no {
                Some(no) => Some(tx.batch_by_no(&p.id, no)?.ok_or_else(|| {
                    AppError::input("--batch", format!("{} 没有批次 {no} / {} has no batch {no}", p.name, p.name))
                })?),
                None => None,
            };
            let held: i64 = match &batch {
                Some(b) => levels.iter().filter(|l| l.batch_id.as_ref() == Some(b)).map(|l| l.on_hand).sum(),
                None => levels.iter().map(|l| l.on_hand).sum(),
            };
            let change = match (count, delta) {
                (Some(c), None) if c >= 0 => c - held,
                (None, Some(d)) => d,
                _ => {
                    return Err(AppError::input(
                        "--count / --delta",
                        "给出盘点数（--count，不小于 0）或增减量（--delta）之一 / give one of --count (0 or more) or --delta",
                    ));
                }
            };
            let rows: Vec<(Option<String>, i64)> = if change >= 0 || batch.is_some() {
                vec![(batch.clone(), change)]
            } else {
                // Every batch counts, expired ones first (their dates are the earliest).
                fefo(&levels, -change, NaiveDate::MIN).into_iter().map(|t| (t.batch_id, -t.quantity)).collect()
            };
            for (b, d) in rows.iter().filter(|(_, d)| *d != 0) {
                tx.add_movement(
                    &NewMovement {
                        product_id: &p.id,
                        batch_id: b.as_deref(),
                        delta: *d,
                        reason: "count",
                        visit_id: None,
                        note: reason.trim(),
                        actor,
                    },
                    now,
                )?;
            }
            Ok((change, stock_row(tx, &p.id)?))
        })
    }

    pub fn stock_list(&mut self) -> Result<Vec<StockRow>> {
        Ok(self.store.read(|tx| tx.stock_levels())?)
    }

    /// Every service's materials: `(service id, product name, units per treatment)`.
    pub fn service_materials(&mut self) -> Result<Vec<(String, String, i64)>> {
        Ok(self.store.read(|tx| tx.all_service_materials())?)
    }

    /// Materials a service uses per treatment (0 removes one).
    pub fn set_service_material(&mut self, service: &str, product: &str, quantity: i64, actor: &str) -> Result<()> {
        let now = self.now();
        self.store.write(|tx| {
            let s = tx.find_service(service)?;
            let p = tx.find_product(product)?;
            tx.set_service_material(&s.id, &p.id, quantity)?;
            tx.audit(
                now,
                actor,
                "service.material",
                "service",
                &s.id,
                &serde_json::json!({ "product": p.id, "quantity": quantity }),
            )?;
            Ok(())
        })
    }

    /// Movements per product over shop days `from..=to`.
    pub fn stock_report(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StockReportRow>> {
        let tz = self.tz();
        let (start, end) = (day_bounds(from, tz).start, day_bounds(to, tz).end);
        Ok(self.store.read(|tx| tx.stock_report(start, end))?)
    }
}

fn stock_row(tx: &Tx<'_>, product_id: &str) -> Result<StockRow> {
    tx.stock_levels()?.into_iter().find(|r| r.product_id == product_id).ok_or_else(|| {
        AppError::Store(crate::store::StoreError::NotFound {
            what: "商品",
            what_en: "product",
            key: product_id.to_string(),
        })
    })
}

/// Takes `quantity` of a product off the stock for a visit, first-expiring first (never an
/// expired batch); a shortfall is recorded without a batch. In the checkout's transaction.
pub(crate) fn take_stock(
    tx: &Tx<'_>,
    product_id: &str,
    quantity: i64,
    reason: &str,
    visit_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let today = business_date(now, tx.tz());
    let levels = tx.batch_levels(product_id)?;
    for t in fefo(&levels, quantity, today) {
        tx.add_movement(
            &NewMovement {
                product_id,
                batch_id: t.batch_id.as_deref(),
                delta: -t.quantity,
                reason,
                visit_id: Some(visit_id),
                note: "",
                actor,
            },
            now,
        )?;
    }
    Ok(())
}

/// A void puts back what the visit sold (to the batches it came from); materials a
/// treatment used stay used.
pub(crate) fn return_stock(tx: &Tx<'_>, voided: &str, reversal: &str, actor: &str, now: DateTime<Utc>) -> Result<()> {
    for (product_id, batch_id, delta) in tx.visit_sales(voided)? {
        if delta < 0 {
            tx.add_movement(
                &NewMovement {
                    product_id: &product_id,
                    batch_id: batch_id.as_deref(),
                    delta: -delta,
                    reason: "returned",
                    visit_id: Some(reversal),
                    note: voided,
                    actor,
                },
                now,
            )?;
        }
    }
    Ok(())
}
