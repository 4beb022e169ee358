//! Products sold at the desk (retail). Stock comes with the inventory issue.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Result, StoreError, Tx, ms, new_id};
use crate::domain::money::{from_fen, to_fen};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub price: Decimal,
    pub active: bool,
}

const SELECT: &str = "SELECT id, sku, name, category, price_fen, active FROM products";

fn row_to_product(r: &Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: r.get(0)?,
        sku: r.get(1)?,
        name: r.get(2)?,
        category: r.get(3)?,
        price: from_fen(r.get(4)?),
        active: r.get::<_, i64>(5)? == 1,
    })
}

impl Tx<'_> {
    pub fn insert_product(
        &self,
        sku: &str,
        name: &str,
        category: &str,
        price: Decimal,
        now: DateTime<Utc>,
    ) -> Result<Product> {
        if self.find_product(sku).is_ok() {
            return Err(StoreError::Duplicate { what: "商品", what_en: "product", key: sku.to_string() });
        }
        let id = new_id();
        self.exec(
            "INSERT INTO products (id, sku, name, category, price_fen, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![id, sku.trim(), name.trim(), category.trim(), to_fen(price)?, ms(now)],
        )?;
        self.find_product(&id)
    }

    /// A product by SKU, id or exact name.
    pub fn find_product(&self, key: &str) -> Result<Product> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE sku = ?1 OR id = ?1 OR name = ?1 ORDER BY sku = ?1 DESC LIMIT 1"))?
            .query_row([key.trim()], row_to_product)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "商品", what_en: "product", key: key.to_string() })
    }

    pub fn products(&self) -> Result<Vec<Product>> {
        let mut st = self.conn().prepare_cached(&format!("{SELECT} ORDER BY category, name"))?;
        let rows = st.query_map([], row_to_product)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Active products below their low-stock line (a line of 0 means "no alert"): `(name,
    /// level, line)`. The level is the sum of the stock ledger.
    pub fn low_stock(&self) -> Result<Vec<(String, String, i64, i64)>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT p.id, p.name, COALESCE((SELECT SUM(delta) FROM stock_movements m WHERE m.product_id = p.id), 0) AS level,
                        p.low_stock
                 FROM products p WHERE p.active = 1 AND p.low_stock > 0 AND level < p.low_stock ORDER BY p.name",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
