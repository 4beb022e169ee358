//! Packages (套餐): a bundle of services and products at one price with a validity, defined
//! by the owner, sold at the desk and then redeemed item by item at checkout like a course
//! (`ItemKey::CourseSession` by the item's name or id).
//!
//! A sale copies the package's name, price and items: changing or retiring the package
//! later never touches what a customer bought. The price is split over the items by their
//! list value (`domain::package::split_price`), so each session or unit redeemed carries
//! its share as the value a course session carries.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::customers::lookup_customer;
use super::{App, AppError, Result};
use crate::domain::checkout::Tender;
use crate::domain::money::to_fen;
use crate::domain::package::{parse_item, split_price};
use crate::store::{CourseBalance, NewPackageItem, NewPackageSale, NewVisit, NewVisitItem, Package, SoldItem, Tx};

/// A package as the owner writes it.
#[derive(Debug, Clone)]
pub struct PackageDraft {
    pub name: String,
    pub price: Decimal,
    /// Days it is valid from the sale; `None`: no end.
    pub valid_days: Option<i64>,
    /// Each item as `面部护理*5`: a service's or a product's name (or SKU) and how many.
    pub items: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PackageSaleRequest {
    /// Phone, member code or id.
    pub customer: String,
    /// The package's name or id.
    pub package: String,
    pub tenders: Vec<(Tender, Decimal)>,
}

/// A package sold: what the customer now holds of it.
#[derive(Debug, Clone, Serialize)]
pub struct PackageSale {
    pub visit_id: String,
    pub sale_id: String,
    pub name: String,
    pub price: Decimal,
    pub valid_until: Option<DateTime<Utc>>,
    pub items: Vec<CourseBalance>,
}

const ITEMS: &str = "项目 items";

impl App {
    /// Offers a new package. Its name must not be on offer already.
    pub fn define_package(&mut self, d: &PackageDraft, actor: &str) -> Result<Package> {
        let name = d.name.trim();
        if name.is_empty() {
            return Err(AppError::input("名称 name", "请填写套餐名称 / the package needs a name"));
        }
        if d.price <= Decimal::ZERO {
            return Err(AppError::input("价格 price", "套餐价格须大于 0 / the price must be more than 0"));
        }
        let price_fen = to_fen(d.price).map_err(|e| AppError::input("价格 price", e.to_string()))?;
        if let Some(days) = d.valid_days
            && days <= 0
        {
            return Err(AppError::input(
                "有效天数 valid days",
                "须大于 0，或留空表示不限 / more than 0, or empty for no end",
            ));
        }
        let parsed = d
            .items
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| parse_item(t).map_err(|e| AppError::input(ITEMS, e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        if parsed.is_empty() {
            return Err(AppError::input(ITEMS, "套餐至少含一个项目 / a package needs at least one item"));
        }
        let now = self.now();
        self.store.write(|tx| {
            let mut items: Vec<NewPackageItem> = Vec::new();
            for (what, n) in &parsed {
                let item = resolve_item(tx, what)?;
                if items.iter().any(|(s, p, _)| (s, p) == (&item.0, &item.1)) {
                    return Err(AppError::input(
                        ITEMS,
                        format!("「{what}」写了两次，请合并数量 / \"{what}\" is listed twice: add the quantities up"),
                    ));
                }
                items.push((item.0, item.1, i64::from(*n)));
            }
            let id = tx.insert_package(name, price_fen, d.valid_days, &items, now)?;
            let p = tx.find_package(&id)?;
            tx.audit(
                now,
                actor,
                "package.add",
                "package",
                &id,
                &serde_json::json!({ "name": name, "price": d.price, "valid_days": d.valid_days, "items": d.items }),
            )?;
            Ok(p)
        })
    }

    /// The packages on offer (and, with `retired`, those no longer offered).
    pub fn packages(&mut self, retired: bool) -> Result<Vec<Package>> {
        self.store.read(|tx| Ok(tx.packages(retired)?))
    }

    /// Takes a package off the list; what was sold of it stays valid.
    pub fn retire_package(&mut self, key: &str, actor: &str) -> Result<Package> {
        let now = self.now();
        self.store.write(|tx| {
            let p = tx.find_package(key)?;
            if !p.active {
                return Err(AppError::input(
                    "套餐 package",
                    format!("「{}」已下架 / \"{}\" is already off the list", p.name, p.name),
                ));
            }
            tx.retire_package(&p.id)?;
            tx.audit(now, actor, "package.retire", "package", &p.id, &serde_json::json!({ "name": p.name }))?;
            Ok(Package { active: false, ..p })
        })
    }

    /// Sells a package to a customer, paid in full now: one visit (a sale, counted as
    /// revenue when sold), and each item becomes something she redeems at a later checkout.
    pub fn sell_package(&mut self, r: &PackageSaleRequest, actor: &str) -> Result<PackageSale> {
        let now = self.now();
        self.store.write(|tx| {
            let c = lookup_customer(tx, &r.customer)?;
            let p = tx.find_package(&r.package)?;
            if !p.active {
                return Err(AppError::input(
                    "套餐 package",
                    format!("「{}」已下架，不能再售 / \"{}\" is no longer sold", p.name, p.name),
                ));
            }
            let payments = super::checkout::paid_in_full("套餐", p.price, &r.tenders)?;
            let price_fen = to_fen(p.price).map_err(|e| AppError::input("价格 price", e.to_string()))?;
            let weights: Vec<i64> =
                p.items.iter().map(|i| to_fen(i.unit_price).unwrap_or(0).saturating_mul(i.quantity)).collect();
            let shares = split_price(price_fen, &weights);
            let valid_until = p.valid_days.map(|d| now + Duration::days(d));
            let visit_id = tx.insert_visit(&NewVisit {
                kind: "course_sale",
                customer_id: Some(c.id.clone()),
                checked_out_by: super::checkout::staff_actor(tx, actor),
                items: vec![NewVisitItem::single("course_sale", None, price_fen)],
                payments,
                at: now,
                ..NewVisit::default()
            })?;
            let sale_id = tx.insert_package_sale(
                &NewPackageSale {
                    package_id: p.id.clone(),
                    customer_id: c.id.clone(),
                    name: p.name.clone(),
                    price_fen,
                    valid_until,
                    items: p
                        .items
                        .iter()
                        .zip(shares)
                        .map(|(i, share)| SoldItem {
                            service_id: i.service_id.clone(),
                            product_id: i.product_id.clone(),
                            quantity: i.quantity,
                            price_fen: share,
                        })
                        .collect(),
                },
                &visit_id,
                now,
            )?;
            let items = tx
                .courses(&c.id)?
                .into_iter()
                .filter(|k| k.package_sale_id.as_deref() == Some(sale_id.as_str()))
                .collect();
            tx.audit(
                now,
                actor,
                "package.sell",
                "customer",
                &c.id,
                &serde_json::json!({ "package": p.name, "sale": sale_id, "visit": visit_id }),
            )?;
            super::checkout::membership_changed(tx, &c.id, now)?;
            Ok(PackageSale { visit_id, sale_id, name: p.name, price: p.price, valid_until, items })
        })
    }
}

/// A package item's service (by name or id) or else product (by SKU, name or id).
fn resolve_item(tx: &Tx<'_>, what: &str) -> Result<(Option<String>, Option<String>)> {
    if let Ok(s) = tx.find_service(what) {
        return Ok((Some(s.id), None));
    }
    match tx.find_product(what) {
        Ok(p) => Ok((None, Some(p.id))),
        Err(_) => Err(AppError::input(
            ITEMS,
            format!("没有叫「{what}」的项目或商品 / no service or product is called \"{what}\""),
        )),
    }
}
