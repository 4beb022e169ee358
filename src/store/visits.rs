//! Visits (a checkout) with line items, payments and the points they earn.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde_json::json;

use super::{Result, Tx, ms, new_id};
use crate::domain::money::from_fen;

#[derive(Debug, Clone)]
pub struct NewVisitItem {
    /// service, product, course_session, course_sale, topup
    pub kind: &'static str,
    pub service_id: Option<String>,
    pub product_id: Option<String>,
    pub staff_id: Option<String>,
    pub quantity: u32,
    pub list_price_fen: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Clone)]
pub struct NewVisit {
    pub customer_id: Option<String>,
    pub queue_entry_id: Option<String>,
    pub appointment_id: Option<String>,
    pub items: Vec<NewVisitItem>,
    /// `(method, amount_fen)`: cash, wechat, alipay, card, stored_value, points, coupon
    pub payments: Vec<(&'static str, i64)>,
    pub points_earned: i64,
    pub at: DateTime<Utc>,
}

impl Tx<'_> {
    /// Writes a completed visit, its items, payments and points, and `visit.completed`.
    pub fn insert_visit(&self, v: &NewVisit) -> Result<String> {
        let id = new_id();
        let list: i64 = v.items.iter().map(|i| i.list_price_fen * i64::from(i.quantity)).sum();
        let total: i64 = v.items.iter().map(|i| i.amount_fen).sum();
        self.conn()
            .prepare_cached(
                "INSERT INTO visits (id, customer_id, queue_entry_id, appointment_id, status, list_total_fen, discount_fen, total_fen, at)
                 VALUES (?1, ?2, ?3, ?4, 'completed', ?5, ?6, ?7, ?8)",
            )?
            .execute(params![id, v.customer_id, v.queue_entry_id, v.appointment_id, list, list - total, total, ms(v.at)])?;
        let mut items = Vec::with_capacity(v.items.len());
        for it in &v.items {
            let item_id = new_id();
            self.conn()
                .prepare_cached(
                    "INSERT INTO visit_items (id, visit_id, kind, service_id, product_id, staff_id, quantity, list_price_fen, amount_fen)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![item_id, id, it.kind, it.service_id, it.product_id, it.staff_id, it.quantity, it.list_price_fen, it.amount_fen])?;
            items.push(json!({
                "id": item_id, "kind": it.kind, "service_id": it.service_id, "product_id": it.product_id,
                "staff_id": it.staff_id, "quantity": it.quantity,
                "list_price": from_fen(it.list_price_fen).to_string(), "amount": from_fen(it.amount_fen).to_string(),
            }));
        }
        let mut payments = Vec::with_capacity(v.payments.len());
        for (method, amount) in &v.payments {
            self.conn()
                .prepare_cached(
                    "INSERT INTO payments (id, visit_id, method, amount_fen, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![new_id(), id, method, amount, ms(v.at)])?;
            payments.push(json!({ "method": method, "amount": from_fen(*amount).to_string() }));
        }
        if let Some(c) = &v.customer_id
            && v.points_earned != 0
        {
            self.conn()
                .prepare_cached("INSERT INTO points_ledger (id, customer_id, delta, reason, visit_id, at) VALUES (?1, ?2, ?3, 'earned', ?4, ?5)")?
                .execute(params![new_id(), c, v.points_earned, id, ms(v.at)])?;
        }
        self.emit_event(
            "visit.completed",
            v.at,
            &json!({
                "id": id,
                "customer_id": v.customer_id,
                "queue_entry_id": v.queue_entry_id,
                "appointment_id": v.appointment_id,
                "list_total": from_fen(list).to_string(),
                "discount": from_fen(list - total).to_string(),
                "total": from_fen(total).to_string(),
                "items": items,
                "payments": payments,
                "points_earned": v.points_earned,
                "at": self.rfc3339(v.at),
            }),
        )?;
        Ok(id)
    }

    /// Number of completed visits and total spend (fen) of a customer.
    pub fn visit_summary(&self, customer_id: &str) -> Result<(i64, i64, Option<DateTime<Utc>>)> {
        Ok(self.row(
            "SELECT COUNT(*), COALESCE(SUM(total_fen), 0), MAX(at) FROM visits WHERE customer_id = ?1 AND status = 'completed'",
            [customer_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<i64>>(2)?.map(super::from_ms))),
        )?)
    }

    /// Points balance of a customer (sum of the ledger).
    pub fn points_balance(&self, customer_id: &str) -> Result<i64> {
        Ok(self.row(
            "SELECT COALESCE(SUM(delta), 0) FROM points_ledger WHERE customer_id = ?1",
            [customer_id],
            |r| r.get(0),
        )?)
    }
}
