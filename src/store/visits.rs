//! Visits: a checkout with its line items, payments, ledger rows, coupon redemption,
//! rebates and commissions, written by one function in the checkout's transaction.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::money::from_fen;

#[derive(Debug, Clone)]
pub struct NewVisitItem {
    /// service, product, course_session, course_sale, topup
    pub kind: &'static str,
    pub service_id: Option<String>,
    pub product_id: Option<String>,
    pub course_id: Option<String>,
    /// The first (or only) beautician; every share is in the commissions.
    pub staff_id: Option<String>,
    pub quantity: u32,
    /// Unit list price.
    pub list_price_fen: i64,
    /// What the line cost after tier price and coupon.
    pub amount_fen: i64,
}

impl NewVisitItem {
    /// The one line of a sale that is nothing but itself (a top-up, a course sale, a card
    /// refund): one unit at `amount_fen`, no staff.
    pub fn single(kind: &'static str, service_id: Option<String>, amount_fen: i64) -> NewVisitItem {
        NewVisitItem {
            kind,
            service_id,
            product_id: None,
            course_id: None,
            staff_id: None,
            quantity: 1,
            list_price_fen: amount_fen,
            amount_fen,
        }
    }
}

/// A points ledger row: earned, redeemed, rebate, expired, refund, adjust, import.
#[derive(Debug, Clone)]
pub struct NewPoints {
    pub delta: i64,
    pub reason: &'static str,
    pub rule: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stored-value ledger row: topup, spend, refund, rebate, expired, import.
#[derive(Debug, Clone)]
pub struct NewStoredValue {
    pub principal_fen: i64,
    pub bonus_fen: i64,
    pub reason: &'static str,
    pub rule: Option<String>,
    /// When the bonus of a top-up or rebate expires (`None`: never).
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewRebate {
    pub rule_id: String,
    pub amount_fen: i64,
    pub credited_to: &'static str,
}

#[derive(Debug, Clone)]
pub struct NewCommission {
    /// Index into `items`.
    pub item: usize,
    pub staff_id: String,
    pub rate_pct: Decimal,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Default)]
pub struct NewVisit {
    /// checkout (the default when empty), topup, course_sale, refund.
    pub kind: &'static str,
    pub customer_id: Option<String>,
    pub queue_entry_id: Option<String>,
    pub appointment_id: Option<String>,
    pub checked_out_by: Option<String>,
    /// A reversal names the visit it reverses.
    pub voids_visit_id: Option<String>,
    pub items: Vec<NewVisitItem>,
    /// `(method, amount_fen)`: cash, wechat, alipay, card, stored_value, points.
    pub payments: Vec<(&'static str, i64)>,
    pub points: Vec<NewPoints>,
    pub stored_value: Vec<NewStoredValue>,
    /// `(course id, sessions)`: −1 per session used, +1 per session returned.
    pub course_sessions: Vec<(String, i64)>,
    pub coupon_id: Option<String>,
    pub rebates: Vec<NewRebate>,
    pub commissions: Vec<NewCommission>,
    pub at: DateTime<Utc>,
}

#[derive(Serialize)]
struct ItemPayload<'a> {
    id: &'a str,
    kind: &'a str,
    service_id: Option<&'a str>,
    product_id: Option<&'a str>,
    course_id: Option<&'a str>,
    staff_id: Option<&'a str>,
    quantity: u32,
    list_price: String,
    amount: String,
}

#[derive(Serialize)]
struct PaymentPayload<'a> {
    method: &'a str,
    amount: String,
}

/// The `visit.completed` snapshot.
#[derive(Serialize)]
struct VisitPayload<'a> {
    id: &'a str,
    customer_id: Option<&'a str>,
    queue_entry_id: Option<&'a str>,
    appointment_id: Option<&'a str>,
    voids_visit_id: Option<&'a str>,
    list_total: String,
    discount: String,
    total: String,
    items: Vec<ItemPayload<'a>>,
    payments: Vec<PaymentPayload<'a>>,
    points_earned: i64,
    at: String,
}

impl Tx<'_> {
    /// Writes a visit and everything it changes, with its `visit.completed` event. A coupon
    /// redeemed twice is refused by the database (its primary key), whichever process
    /// tries second.
    pub fn insert_visit(&self, v: &NewVisit) -> Result<String> {
        let id = new_id();
        let list: i64 = v.items.iter().map(|i| i.list_price_fen * i64::from(i.quantity)).sum();
        let total: i64 = v.items.iter().map(|i| i.amount_fen).sum();
        let at = ms(v.at);
        self.conn()
            .prepare_cached(
                "INSERT INTO visits (id, kind, customer_id, queue_entry_id, appointment_id, status, list_total_fen, discount_fen,
                    total_fen, voids_visit_id, checked_out_by, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'completed', ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                id,
                if v.kind.is_empty() { "checkout" } else { v.kind },
                v.customer_id,
                v.queue_entry_id,
                v.appointment_id,
                list,
                list - total,
                total,
                v.voids_visit_id,
                v.checked_out_by,
                at
            ])?;
        let mut item_ids = Vec::with_capacity(v.items.len());
        for it in &v.items {
            let item_id = new_id();
            self.conn()
                .prepare_cached(
                    "INSERT INTO visit_items (id, visit_id, kind, service_id, product_id, course_id, staff_id, quantity, list_price_fen, amount_fen)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    item_id,
                    id,
                    it.kind,
                    it.service_id,
                    it.product_id,
                    it.course_id,
                    it.staff_id,
                    it.quantity,
                    it.list_price_fen,
                    it.amount_fen
                ])?;
            item_ids.push(item_id);
        }
        for (method, amount) in &v.payments {
            self.conn()
                .prepare_cached(
                    "INSERT INTO payments (id, visit_id, method, amount_fen, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![new_id(), id, method, amount, at])?;
        }
        if let Some(customer) = &v.customer_id {
            for p in &v.points {
                self.conn()
                    .prepare_cached(
                        "INSERT INTO points_ledger (id, customer_id, delta, reason, visit_id, rule, expires_at, at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )?
                    .execute(params![new_id(), customer, p.delta, p.reason, id, p.rule, p.expires_at.map(ms), at])?;
            }
            for s in &v.stored_value {
                self.conn()
                    .prepare_cached(
                        "INSERT INTO stored_value_ledger (id, customer_id, principal_delta_fen, bonus_delta_fen, reason, visit_id, rule, expires_at, at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        new_id(),
                        customer,
                        s.principal_fen,
                        s.bonus_fen,
                        s.reason,
                        id,
                        s.rule,
                        s.expires_at.map(ms),
                        at
                    ])?;
            }
            for r in &v.rebates {
                self.exec(
                    "INSERT INTO rebates (id, visit_id, customer_id, rule_id, amount_fen, credited_to, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![new_id(), id, customer, r.rule_id, r.amount_fen, r.credited_to, at],
                )?;
            }
        }
        for (course, delta) in &v.course_sessions {
            // a course's session, or else a package's product (the same id space to a visit)
            let n = self.exec(
                "INSERT INTO course_session_ledger (id, course_id, delta, visit_id, at)
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM prepaid_courses WHERE id = ?2)",
                params![new_id(), course, delta, id, at],
            )?;
            if n == 0 {
                self.exec(
                    "INSERT INTO prepaid_product_ledger (id, prepaid_product_id, delta, visit_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![new_id(), course, delta, id, at],
                )?;
            }
        }
        if let Some(coupon) = &v.coupon_id {
            self.exec(
                "INSERT INTO coupon_redemptions (coupon_id, visit_id, at) VALUES (?1, ?2, ?3)",
                params![coupon, id, at],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Duplicate { what: "优惠券核销", what_en: "coupon redemption", key: coupon.clone() }
                }
                e => e.into(),
            })?;
        }
        for c in &v.commissions {
            let item = item_ids.get(c.item).ok_or_else(|| StoreError::NotFound {
                what: "账单项目",
                what_en: "visit item",
                key: c.item.to_string(),
            })?;
            self.exec(
                "INSERT INTO commissions (id, visit_id, visit_item_id, staff_id, rate_pct, amount_fen, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![new_id(), id, item, c.staff_id, c.rate_pct.to_string(), c.amount_fen, at],
            )?;
        }
        let points_earned = v.points.iter().filter(|p| p.reason == "earned").map(|p| p.delta).sum();
        self.emit_event(
            "visit.completed",
            v.at,
            &VisitPayload {
                id: &id,
                customer_id: v.customer_id.as_deref(),
                queue_entry_id: v.queue_entry_id.as_deref(),
                appointment_id: v.appointment_id.as_deref(),
                voids_visit_id: v.voids_visit_id.as_deref(),
                list_total: from_fen(list).to_string(),
                discount: from_fen(list - total).to_string(),
                total: from_fen(total).to_string(),
                items: v
                    .items
                    .iter()
                    .zip(&item_ids)
                    .map(|(it, item_id)| ItemPayload {
                        id: item_id,
                        kind: it.kind,
                        service_id: it.service_id.as_deref(),
                        product_id: it.product_id.as_deref(),
                        course_id: it.course_id.as_deref(),
                        staff_id: it.staff_id.as_deref(),
                        quantity: it.quantity,
                        list_price: from_fen(it.list_price_fen).to_string(),
                        amount: from_fen(it.amount_fen).to_string(),
                    })
                    .collect(),
                payments: v
                    .payments
                    .iter()
                    .map(|(m, a)| PaymentPayload { method: m, amount: from_fen(*a).to_string() })
                    .collect(),
                points_earned,
                at: self.rfc3339(v.at),
            },
        )?;
        if let Some(coupon) = &v.coupon_id {
            self.emit_event(
                "coupon.redeemed",
                v.at,
                &serde_json::json!({ "coupon_id": coupon, "visit_id": id, "at": self.rfc3339(v.at) }),
            )?;
        }
        Ok(id)
    }

    /// A void gives back the coupon its visit used, if it is still valid (an expired one
    /// stays used: it could not be used again anyway). Returns whether it was given back.
    pub fn restore_coupon(&self, coupon_id: &str, visit_id: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM coupon_redemptions WHERE coupon_id = ?1 AND visit_id = ?2
               AND EXISTS (SELECT 1 FROM coupons c WHERE c.id = ?1 AND c.valid_until > ?3)",
            params![coupon_id, visit_id, ms(now)],
        )? == 1)
    }

    /// Marks a visit as reversed by `reversal_id`; refuses a second reversal.
    pub fn mark_voided(&self, visit_id: &str) -> Result<()> {
        let n = self.exec("UPDATE visits SET status = 'voided' WHERE id = ?1 AND status = 'completed'", [visit_id])?;
        if n == 0 {
            return Err(StoreError::Duplicate { what: "撤销", what_en: "void", key: visit_id.to_string() });
        }
        Ok(())
    }

    /// A customer's checkouts (not voided, not reversals), lifetime spend
    /// (fen) and last visit.
    pub fn visit_summary(&self, customer_id: &str) -> Result<(i64, i64, Option<DateTime<Utc>>)> {
        let (visits, last): (i64, Option<i64>) = self.row(
            "SELECT COUNT(*), MAX(at) FROM visits
             WHERE customer_id = ?1 AND kind = 'checkout' AND status = 'completed' AND voids_visit_id IS NULL",
            [customer_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((visits, self.spend_since(customer_id, from_ms(0))?, last.map(from_ms)))
    }

    /// A customer's latest checkouts: `(at, total fen, what was bought)`, newest first.
    pub fn recent_visits(&self, customer_id: &str, limit: u32) -> Result<Vec<(DateTime<Utc>, i64, String)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT v.at, v.total_fen,
                    (SELECT group_concat(COALESCE(s.name, p.name, i.kind), '、') FROM visit_items i
                     LEFT JOIN services s ON s.id = i.service_id LEFT JOIN products p ON p.id = i.product_id
                     WHERE i.visit_id = v.id)
             FROM visits v
             WHERE v.customer_id = ?1 AND v.kind = 'checkout' AND v.status = 'completed' AND v.voids_visit_id IS NULL
             ORDER BY v.at DESC LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![customer_id, limit], |r| {
                Ok((from_ms(r.get(0)?), r.get(1)?, r.get::<_, Option<String>>(2)?.unwrap_or_default()))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// What a customer spent (fen) since `since`, reversals netted. Spend is what services,
    /// products and courses cost; a top-up is a deposit, spent (and counted) at checkout.
    pub fn spend_since(&self, customer_id: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(self.row(
            "SELECT COALESCE(SUM(i.amount_fen), 0) FROM visits v JOIN visit_items i ON i.visit_id = v.id
             WHERE v.customer_id = ?1 AND v.at >= ?2 AND i.kind <> 'topup'",
            params![customer_id, ms(since)],
            |r| r.get(0),
        )?)
    }

    /// Points a customer earned (earned and rebates) since `since`.
    pub fn points_earned_since(&self, customer_id: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(self.row(
            "SELECT COALESCE(SUM(delta), 0) FROM points_ledger
             WHERE customer_id = ?1 AND at >= ?2 AND reason IN ('earned', 'rebate', 'refund_earned')",
            params![customer_id, ms(since)],
            |r| r.get(0),
        )?)
    }

    /// A visit for reversal: its rows as written.
    pub fn visit_for_void(&self, visit_id: &str) -> Result<NewVisit> {
        type Head = (Option<String>, Option<String>, Option<String>, String, Option<String>, i64, String);
        let (customer_id, queue_entry_id, appointment_id, status, voids, at, kind): Head = self
            .row(
                "SELECT customer_id, queue_entry_id, appointment_id, status, voids_visit_id, at, kind FROM visits WHERE id = ?1",
                [visit_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "消费记录", what_en: "visit", key: visit_id.to_string() })?;
        if status != "completed" || voids.is_some() {
            return Err(StoreError::Duplicate { what: "撤销", what_en: "void", key: visit_id.to_string() });
        }
        let mut st = self.conn().prepare_cached(
            "SELECT id, kind, service_id, product_id, course_id, staff_id, quantity, list_price_fen, amount_fen
             FROM visit_items WHERE visit_id = ?1 ORDER BY rowid",
        )?;
        let rows = st
            .query_map([visit_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    NewVisitItem {
                        kind: item_kind(&r.get::<_, String>(1)?),
                        service_id: r.get(2)?,
                        product_id: r.get(3)?,
                        course_id: r.get(4)?,
                        staff_id: r.get(5)?,
                        quantity: r.get(6)?,
                        list_price_fen: r.get(7)?,
                        amount_fen: r.get(8)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let (item_ids, items): (Vec<String>, Vec<NewVisitItem>) = rows.into_iter().unzip();
        let payments = self
            .conn()
            .prepare_cached("SELECT method, amount_fen FROM payments WHERE visit_id = ?1 ORDER BY rowid")?
            .query_map([visit_id], |r| Ok((payment_method(&r.get::<_, String>(0)?), r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let points = self
            .conn()
            .prepare_cached(
                "SELECT delta, reason, rule, expires_at FROM points_ledger WHERE visit_id = ?1 ORDER BY rowid",
            )?
            .query_map([visit_id], |r| {
                Ok(NewPoints {
                    delta: r.get(0)?,
                    reason: points_reason(&r.get::<_, String>(1)?),
                    rule: r.get(2)?,
                    expires_at: r.get::<_, Option<i64>>(3)?.map(from_ms),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let stored_value = self
            .conn()
            .prepare_cached(
                "SELECT principal_delta_fen, bonus_delta_fen, reason, rule FROM stored_value_ledger WHERE visit_id = ?1 ORDER BY rowid",
            )?
            .query_map([visit_id], |r| {
                Ok(NewStoredValue {
                    principal_fen: r.get(0)?,
                    bonus_fen: r.get(1)?,
                    reason: stored_value_reason(&r.get::<_, String>(2)?),
                    rule: r.get(3)?,
                    expires_at: None,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let course_sessions = self
            .conn()
            .prepare_cached(
                "SELECT course_id, delta FROM course_session_ledger WHERE visit_id = ?1
                 UNION ALL SELECT prepaid_product_id, delta FROM prepaid_product_ledger WHERE visit_id = ?1",
            )?
            .query_map([visit_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let rebates = self
            .conn()
            .prepare_cached("SELECT rule_id, amount_fen, credited_to FROM rebates WHERE visit_id = ?1 ORDER BY rowid")?
            .query_map([visit_id], |r| {
                Ok(NewRebate {
                    rule_id: r.get(0)?,
                    amount_fen: r.get(1)?,
                    credited_to: if r.get::<_, String>(2)? == "stored_value" { "stored_value" } else { "points" },
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let commissions = self
            .conn()
            .prepare_cached(
                "SELECT visit_item_id, staff_id, rate_pct, amount_fen FROM commissions WHERE visit_id = ?1 ORDER BY rowid",
            )?
            .query_map([visit_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|(item, staff_id, rate, amount_fen)| NewCommission {
                item: item_ids.iter().position(|i| *i == item).unwrap_or(0),
                staff_id,
                rate_pct: rate.parse().unwrap_or_default(),
                amount_fen,
            })
            .collect();
        let coupon_id = self
            .row("SELECT coupon_id FROM coupon_redemptions WHERE visit_id = ?1", [visit_id], |r| r.get(0))
            .optional()?;
        Ok(NewVisit {
            kind: match kind.as_str() {
                "topup" => "topup",
                "course_sale" => "course_sale",
                "refund" => "refund",
                _ => "checkout",
            },
            customer_id,
            queue_entry_id,
            appointment_id,
            checked_out_by: None,
            voids_visit_id: None,
            items,
            payments,
            points,
            stored_value,
            course_sessions,
            coupon_id,
            rebates,
            commissions,
            at: from_ms(at),
        })
    }
}

fn item_kind(s: &str) -> &'static str {
    match s {
        "product" => "product",
        "course_session" => "course_session",
        "course_sale" => "course_sale",
        "topup" => "topup",
        _ => "service",
    }
}

fn payment_method(s: &str) -> &'static str {
    match s {
        "cash" => "cash",
        "wechat" => "wechat",
        "alipay" => "alipay",
        "card" => "card",
        "stored_value" => "stored_value",
        "points" => "points",
        _ => "coupon",
    }
}

fn points_reason(s: &str) -> &'static str {
    match s {
        "earned" => "earned",
        "redeemed" => "redeemed",
        "rebate" => "rebate",
        "expired" => "expired",
        "import" => "import",
        _ => "adjust",
    }
}

fn stored_value_reason(s: &str) -> &'static str {
    match s {
        "topup" => "topup",
        "spend" => "spend",
        "refund" => "refund",
        "rebate" => "rebate",
        "expired" => "expired",
        _ => "import",
    }
}
