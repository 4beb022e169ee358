//! Packages (套餐): the templates the shop offers and the packages sold, whose items are
//! prepaid courses (services) and prepaid products.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::money::from_fen;

/// One line of a package: a service or a product, so many times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageItem {
    pub service_id: Option<String>,
    pub product_id: Option<String>,
    pub name: String,
    pub quantity: i64,
    /// Today's list price of one (what the package's price is split by).
    pub unit_price: Decimal,
}

/// A package as the shop offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub id: String,
    pub name: String,
    pub price: Decimal,
    /// Days it is valid from the sale; `None`: no end.
    pub valid_days: Option<i64>,
    pub items: Vec<PackageItem>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// How many have been sold (not voided).
    pub sold: i64,
}

impl Package {
    /// What the items would cost one by one at today's prices.
    pub fn list_value(&self) -> Decimal {
        self.items.iter().map(|i| i.unit_price * Decimal::from(i.quantity)).sum()
    }

    /// What it holds, as a desk reads it: `面部护理×5、精华液×1`.
    pub fn items_text(&self) -> String {
        self.items.iter().map(|i| format!("{}×{}", i.name, i.quantity)).collect::<Vec<_>>().join("、")
    }
}

/// A package line to store: `(service_id, product_id, quantity)`, exactly one id set.
pub type NewPackageItem = (Option<String>, Option<String>, i64);

/// One item of a package being sold, with its share of the price.
#[derive(Debug, Clone)]
pub struct SoldItem {
    pub service_id: Option<String>,
    pub product_id: Option<String>,
    pub quantity: i64,
    pub price_fen: i64,
}

/// A package sale to record.
#[derive(Debug, Clone)]
pub struct NewPackageSale {
    pub package_id: String,
    pub customer_id: String,
    pub name: String,
    pub price_fen: i64,
    pub valid_until: Option<DateTime<Utc>>,
    pub items: Vec<SoldItem>,
}

impl Tx<'_> {
    pub fn insert_package(
        &self,
        name: &str,
        price_fen: i64,
        valid_days: Option<i64>,
        items: &[NewPackageItem],
        now: DateTime<Utc>,
    ) -> Result<String> {
        if self.package_by_name(name)?.is_some() {
            return Err(StoreError::Duplicate { what: "套餐", what_en: "package", key: name.to_string() });
        }
        let id = new_id();
        self.exec(
            "INSERT INTO packages (id, name, price_fen, valid_days, active, created_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            params![id, name, price_fen, valid_days, ms(now)],
        )?;
        for (i, (service, product, quantity)) in items.iter().enumerate() {
            self.exec(
                "INSERT INTO package_items (package_id, position, service_id, product_id, quantity) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, i64::try_from(i).unwrap_or(i64::MAX), service, product, quantity],
            )?;
        }
        Ok(id)
    }

    fn package_by_name(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .row("SELECT id FROM packages WHERE name = ?1 AND active = 1", [name.trim()], |r| r.get(0))
            .optional()?)
    }

    /// The packages offered (and, with `retired`, those no longer offered), newest first.
    pub fn packages(&self, retired: bool) -> Result<Vec<Package>> {
        let mut st = self.conn().prepare_cached(
            "SELECT p.id, p.name, p.price_fen, p.valid_days, p.active, p.created_at,
                    (SELECT COUNT(*) FROM package_sales ps JOIN visits v ON v.id = ps.sold_visit_id
                     WHERE ps.package_id = p.id AND v.status <> 'voided')
             FROM packages p WHERE p.active = 1 OR ?1 ORDER BY p.active DESC, p.created_at DESC",
        )?;
        let heads = st
            .query_map([retired], |r| {
                Ok(Package {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    price: from_fen(r.get(2)?),
                    valid_days: r.get(3)?,
                    items: Vec::new(),
                    active: r.get::<_, i64>(4)? == 1,
                    created_at: from_ms(r.get(5)?),
                    sold: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        heads.into_iter().map(|p| Ok(Package { items: self.package_items(&p.id)?, ..p })).collect()
    }

    fn package_items(&self, package_id: &str) -> Result<Vec<PackageItem>> {
        let mut st = self.conn().prepare_cached(
            "SELECT i.service_id, i.product_id, COALESCE(s.name, p.name), i.quantity, COALESCE(s.price_fen, p.price_fen)
             FROM package_items i LEFT JOIN services s ON s.id = i.service_id LEFT JOIN products p ON p.id = i.product_id
             WHERE i.package_id = ?1 ORDER BY i.position",
        )?;
        let rows = st
            .query_map([package_id], |r| {
                Ok(PackageItem {
                    service_id: r.get(0)?,
                    product_id: r.get(1)?,
                    name: r.get(2)?,
                    quantity: r.get(3)?,
                    unit_price: from_fen(r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A package on offer by name, or any by id.
    pub fn find_package(&self, key: &str) -> Result<Package> {
        let key = key.trim();
        self.packages(true)?
            .into_iter()
            .find(|p| (p.active && p.name == key) || p.id == key)
            .ok_or_else(|| StoreError::NotFound { what: "套餐", what_en: "package", key: key.to_string() })
    }

    /// Takes a package off the list; those sold stay as they are.
    pub fn retire_package(&self, id: &str) -> Result<()> {
        self.exec("UPDATE packages SET active = 0 WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Records a package sold in the visit `visit_id`: the sale, a prepaid course per
    /// service and a prepaid product per product.
    pub fn insert_package_sale(&self, s: &NewPackageSale, visit_id: &str, now: DateTime<Utc>) -> Result<String> {
        let id = new_id();
        let until = s.valid_until.map(ms);
        self.exec(
            "INSERT INTO package_sales (id, package_id, customer_id, name, price_fen, valid_until, sold_visit_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, s.package_id, s.customer_id, s.name, s.price_fen, until, visit_id, ms(now)],
        )?;
        for it in &s.items {
            if let Some(service) = &it.service_id {
                self.exec(
                    "INSERT INTO prepaid_courses (id, customer_id, service_id, sessions_total, price_fen, valid_until,
                                                  sold_visit_id, created_at, package_sale_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![new_id(), s.customer_id, service, it.quantity, it.price_fen, until, visit_id, ms(now), id],
                )?;
            } else if let Some(product) = &it.product_id {
                self.exec(
                    "INSERT INTO prepaid_products (id, package_sale_id, customer_id, product_id, quantity_total, price_fen,
                                                   valid_until, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![new_id(), id, s.customer_id, product, it.quantity, it.price_fen, until, ms(now)],
                )?;
            }
        }
        Ok(id)
    }

    /// How many sessions or units of what the sale `visit_id` sold (a course or a package)
    /// are used now: a sale is voided only when nothing of it is.
    pub fn sold_items_used(&self, visit_id: &str) -> Result<i64> {
        Ok(self.row(
            "SELECT COALESCE((SELECT -SUM(l.delta) FROM course_session_ledger l JOIN prepaid_courses c ON c.id = l.course_id
                              WHERE c.sold_visit_id = ?1), 0)
                  + COALESCE((SELECT -SUM(l.delta) FROM prepaid_product_ledger l
                              JOIN prepaid_products p ON p.id = l.prepaid_product_id
                              JOIN package_sales ps ON ps.id = p.package_sale_id WHERE ps.sold_visit_id = ?1), 0)",
            [visit_id],
            |r| r.get(0),
        )?)
    }
}
