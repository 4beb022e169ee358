//! Membership: tiers and their discounts, points rules and ledger, stored value, prepaid
//! courses, coupons, rebate and commission rules.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::checkout::{Coupon, CouponKind, CreditTo, PointsRules, RebateKind, RebateRule, StoredValue};
use crate::domain::money::from_fen;
use crate::domain::points::PointsRow;
use crate::domain::time::Interval;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub id: String,
    pub name: String,
    pub rank: i64,
    pub min_spend: Decimal,
    pub min_points: i64,
    pub period_days: i64,
    pub points_multiplier: Decimal,
    /// Percent off by category (`*`: every other category).
    pub discounts: BTreeMap<String, Decimal>,
}

/// A prepaid course with what is left of it, or a package's (套餐) prepaid service or product:
/// each is redeemed item by item at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseBalance {
    pub id: String,
    /// The service a session is of; `None` for a package's product (`product_id`).
    pub service_id: Option<String>,
    pub product_id: Option<String>,
    /// The service's or the product's name.
    pub service_name: String,
    pub category: String,
    pub sessions_total: i64,
    pub sessions_left: i64,
    pub price: Decimal,
    pub valid_until: Option<DateTime<Utc>>,
    /// The package (套餐) it came with, by the name it was sold under, and that sale's id.
    pub package: Option<String>,
    pub package_sale_id: Option<String>,
}

impl CourseBalance {
    /// Whether it can pay for something at `now`: sessions left and not expired.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.sessions_left > 0 && self.valid_until.is_none_or(|u| u > now)
    }

    /// What a desk calls it: `面部护理`, or `焕颜套餐 · 精华液` for a package's item.
    pub fn label(&self) -> String {
        match &self.package {
            Some(p) => format!("{p} · {}", self.service_name),
            None => self.service_name.clone(),
        }
    }

    /// The course's value per session (price / sessions, to the fen).
    pub fn session_value(&self) -> Decimal {
        crate::domain::checkout::round_yuan(self.price / Decimal::from(self.sessions_total.max(1)))
    }
}

/// An issued coupon as the checkout sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedCoupon {
    pub id: String,
    pub customer_id: String,
    pub redeemed: bool,
    #[serde(flatten)]
    pub coupon: Coupon,
}

#[derive(Debug, Clone)]
pub struct NewCourse {
    pub customer_id: String,
    pub service_id: String,
    pub sessions: u32,
    pub price_fen: i64,
    pub valid_until: Option<DateTime<Utc>>,
}

/// A ledger row as the lot replay reads it: `at, delta, expires_at, is an expiry record`.
fn lot_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PointsRow> {
    Ok(PointsRow {
        at: from_ms(r.get(0)?),
        delta: r.get(1)?,
        expires_at: r.get::<_, Option<i64>>(2)?.map(from_ms),
        records_expiry: r.get(3)?,
    })
}

fn dec(table: &'static str, column: &'static str, v: String) -> Result<Decimal> {
    v.parse().map_err(|_| StoreError::Corrupt { table, column, value: v })
}

/// A top-up bonus rule as applied: `(min_topup_fen, bonus_fen, times)`.
pub type BonusRuleApplied = (i64, i64, i64);

impl Tx<'_> {
    pub fn tiers(&self) -> Result<Vec<Tier>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, rank, min_spend_fen, min_points, period_days, points_multiplier FROM membership_tiers ORDER BY rank",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut discounts: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
        let mut st = self.conn().prepare_cached("SELECT tier_id, category, percent FROM tier_discounts")?;
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))? {
            let (tier, category, percent) = row?;
            discounts.entry(tier).or_default().insert(category, dec("tier_discounts", "percent", percent)?);
        }
        rows.into_iter()
            .map(|(id, name, rank, spend, points, period, mult)| {
                Ok(Tier {
                    discounts: discounts.remove(&id).unwrap_or_default(),
                    id,
                    name,
                    rank,
                    min_spend: from_fen(spend),
                    min_points: points,
                    period_days: period,
                    points_multiplier: dec("membership_tiers", "points_multiplier", mult)?,
                })
            })
            .collect()
    }

    /// Creates or changes a tier (by name).
    /// Gives a tier another name (refused when another tier has it).
    pub fn rename_tier(&self, old: &str, new: &str) -> Result<()> {
        self.exec("UPDATE membership_tiers SET name = ?2 WHERE name = ?1", params![old, new.trim()]).map_err(|e| {
            match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Duplicate { what: "会员等级", what_en: "tier", key: new.to_string() }
                }
                e => e.into(),
            }
        })?;
        Ok(())
    }

    pub fn upsert_tier(&self, t: &Tier, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO membership_tiers (id, name, rank, min_spend_fen, min_points, period_days, points_multiplier, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (name) DO UPDATE SET rank = excluded.rank, min_spend_fen = excluded.min_spend_fen,
                min_points = excluded.min_points, period_days = excluded.period_days,
                points_multiplier = excluded.points_multiplier",
            params![
                new_id(),
                t.name,
                t.rank,
                crate::domain::money::to_fen(t.min_spend)?,
                t.min_points,
                t.period_days,
                t.points_multiplier.to_string(),
                ms(now)
            ],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StoreError::Duplicate { what: "会员等级序号", what_en: "tier rank", key: t.rank.to_string() }
            }
            e => e.into(),
        })?;
        let id: String = self.row("SELECT id FROM membership_tiers WHERE name = ?1", [&t.name], |r| r.get(0))?;
        self.exec("DELETE FROM tier_discounts WHERE tier_id = ?1", [&id])?;
        for (category, percent) in &t.discounts {
            self.exec(
                "INSERT INTO tier_discounts (tier_id, category, percent) VALUES (?1, ?2, ?3)",
                params![id, category, percent.to_string()],
            )?;
        }
        Ok(())
    }

    /// Spend (fen) per customer within `range`, top-ups excluded, reversals netted.
    pub fn spend_by_customer(&self, range: Interval) -> Result<HashMap<String, i64>> {
        let mut st = self.conn().prepare_cached(
            "SELECT v.customer_id, SUM(i.amount_fen) FROM visits v JOIN visit_items i ON i.visit_id = v.id
             WHERE v.at >= ?1 AND v.at < ?2 AND v.customer_id IS NOT NULL AND i.kind <> 'topup' GROUP BY v.customer_id",
        )?;
        let rows = st
            .query_map(params![ms(range.start), ms(range.end)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Points earned (and rebated) per customer within `range`.
    pub fn points_by_customer(&self, range: Interval) -> Result<HashMap<String, i64>> {
        let mut st = self.conn().prepare_cached(
            "SELECT customer_id, SUM(delta) FROM points_ledger WHERE at >= ?1 AND at < ?2 AND reason IN ('earned', 'rebate')
             GROUP BY customer_id",
        )?;
        let rows = st
            .query_map(params![ms(range.start), ms(range.end)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Every customer's current tier rank.
    pub fn customer_ranks(&self) -> Result<Vec<(String, Option<i64>)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT c.id, t.rank FROM customers c LEFT JOIN membership_tiers t ON t.id = c.tier_id WHERE c.deleted_at IS NULL",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn set_customer_tier(&self, customer_id: &str, tier_id: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE customers SET tier_id = ?2, updated_at = ?3 WHERE id = ?1",
            params![customer_id, tier_id, ms(now)],
        )?;
        self.emit_customer_by_id(customer_id, now)
    }

    pub fn points_rules(&self) -> Result<PointsRules> {
        let value = self.setting("points.value")?.unwrap_or_else(|| "0.01".into());
        let mut st = self.conn().prepare_cached("SELECT category, per_yuan FROM points_earn_rules")?;
        let mut earn = BTreeMap::new();
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (category, per) = row?;
            earn.insert(category, dec("points_earn_rules", "per_yuan", per)?);
        }
        Ok(PointsRules { earn_per_yuan: earn, point_value: dec("settings", "points.value", value)? })
    }

    /// Days an earned point lives; `None`: points never expire.
    pub fn points_lifetime_days(&self) -> Result<Option<i64>> {
        let v = self.setting("points.expire_days")?.unwrap_or_default();
        match v.trim() {
            "" | "0" => Ok(None),
            s => s.parse().map(Some).map_err(|_| StoreError::Corrupt {
                table: "settings",
                column: "points.expire_days",
                value: v.clone(),
            }),
        }
    }

    /// The most a stored-value card may hold; `None`: no cap.
    pub fn stored_value_cap(&self) -> Result<Option<Decimal>> {
        match self.setting("stored_value.cap")?.unwrap_or_default().trim() {
            "" => Ok(None),
            s => dec("settings", "stored_value.cap", s.to_string()).map(Some),
        }
    }

    pub fn set_points_earn_rule(&self, category: &str, per_yuan: Decimal) -> Result<()> {
        self.exec(
            "INSERT INTO points_earn_rules (category, per_yuan) VALUES (?1, ?2)
             ON CONFLICT (category) DO UPDATE SET per_yuan = excluded.per_yuan",
            params![category, per_yuan.to_string()],
        )?;
        Ok(())
    }

    pub fn points_rows(&self, customer_id: &str) -> Result<Vec<PointsRow>> {
        Ok(self.points_rows_by_visit(customer_id)?.into_iter().map(|(r, _)| r).collect())
    }

    /// A stored-value card's bonus rows (what may expire), as lots.
    pub fn bonus_rows(&self, customer_id: &str) -> Result<Vec<PointsRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT at, bonus_delta_fen, expires_at, reason = 'expired' FROM stored_value_ledger
             WHERE customer_id = ?1 AND bonus_delta_fen <> 0 ORDER BY at, id",
        )?;
        let rows = st.query_map([customer_id], lot_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Customers with points or bonus that expire by `until`.
    pub fn customers_with_expiring_ledgers(&self, until: DateTime<Utc>) -> Result<Vec<String>> {
        self.customers_with_expiries_between(None, until)
    }

    /// Customers with points or bonus that expire after `after` (if given) and by `until`.
    pub fn customers_with_expiries_between(&self, after: Option<i64>, until: DateTime<Utc>) -> Result<Vec<String>> {
        // only a row expiring by `until` can have expired by then
        let mut st = self.conn().prepare_cached(
            "SELECT customer_id FROM points_ledger WHERE expires_at IS NOT NULL AND expires_at <= ?1 AND expires_at > ?2
             UNION SELECT customer_id FROM stored_value_ledger WHERE expires_at IS NOT NULL AND expires_at <= ?1 AND expires_at > ?2",
        )?;
        let rows = st
            .query_map(params![ms(until), after.unwrap_or(i64::MIN)], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every expiry up to `at` is recorded in the ledgers (the daily job, in the transaction
    /// that recorded them): `ledger.expiries_recorded_to` only moves forward.
    pub fn mark_expiries_recorded(&self, at: DateTime<Utc>) -> Result<()> {
        if self.expiries_recorded_to()?.is_none_or(|m| m < ms(at)) {
            self.set_setting("ledger.expiries_recorded_to", &ms(at).to_string())?;
        }
        Ok(())
    }

    /// Up to when every expiry is recorded (ms), if the job ever ran.
    pub fn expiries_recorded_to(&self) -> Result<Option<i64>> {
        Ok(self.setting("ledger.expiries_recorded_to")?.and_then(|v| v.parse().ok()))
    }

    /// An expiry of `n` points at `at`, outside any visit.
    pub fn record_points_expiry(&self, customer_id: &str, n: i64, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO points_ledger (id, customer_id, delta, reason, visit_id, rule, expires_at, at)
             VALUES (?1, ?2, ?3, 'expired', NULL, NULL, NULL, ?4)",
            params![new_id(), customer_id, -n, ms(at)],
        )?;
        Ok(())
    }

    /// An expiry of `fen` of stored-value bonus at `at`, outside any visit.
    pub fn record_bonus_expiry(&self, customer_id: &str, fen: i64, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO stored_value_ledger (id, customer_id, principal_delta_fen, bonus_delta_fen, reason, visit_id, rule, expires_at, at)
             VALUES (?1, ?2, 0, ?3, 'expired', NULL, NULL, NULL, ?4)",
            params![new_id(), customer_id, -fen, ms(at)],
        )?;
        Ok(())
    }

    /// The same rows with the visit each belongs to (a void finds its own among them).
    pub fn points_rows_by_visit(&self, customer_id: &str) -> Result<Vec<(PointsRow, Option<String>)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT at, delta, expires_at, reason = 'expired', visit_id FROM points_ledger WHERE customer_id = ?1
             ORDER BY at, id",
        )?;
        let rows = st
            .query_map([customer_id], |r| Ok((lot_row(r)?, r.get::<_, Option<String>>(4)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A card's balance at `now`: the principal is the sum of its ledger; the bonus is its
    /// ledger replayed (`domain::points::replay`, in fen), because a bonus may expire.
    /// Also returns bonus fen that expired and no row records yet.
    pub fn stored_value_balance(&self, customer_id: &str, now: DateTime<Utc>) -> Result<(StoredValue, i64)> {
        let principal: i64 = self.row(
            "SELECT COALESCE(SUM(principal_delta_fen), 0) FROM stored_value_ledger WHERE customer_id = ?1",
            [customer_id],
            |r| r.get(0),
        )?;
        let rows = self.bonus_rows(customer_id)?;
        let bonus = crate::domain::points::replay(&rows, now);
        Ok((StoredValue { principal: from_fen(principal), bonus: from_fen(bonus.available) }, bonus.expired_unrecorded))
    }

    /// Days a stored-value bonus lives; `None`: it never expires (the principal never does).
    pub fn bonus_lifetime_days(&self) -> Result<Option<i64>> {
        let v = self.setting("stored_value.bonus_expire_days")?.unwrap_or_default();
        match v.trim() {
            "" | "0" => Ok(None),
            s => s.parse().map(Some).map_err(|_| StoreError::Corrupt {
                table: "settings",
                column: "stored_value.bonus_expire_days",
                value: v.clone(),
            }),
        }
    }

    /// A customer's prepaid courses and packages' items, with what is left (expired ones
    /// too: `valid_until`), oldest first. A sale that was voided takes its items with it.
    pub fn courses(&self, customer_id: &str) -> Result<Vec<CourseBalance>> {
        let mut st = self.conn().prepare_cached(
            "SELECT c.id, c.service_id, NULL, s.name, s.category, c.sessions_total,
                    c.sessions_total + COALESCE((SELECT SUM(delta) FROM course_session_ledger l WHERE l.course_id = c.id), 0),
                    c.price_fen, c.valid_until, ps.name, c.created_at, ps.id
             FROM prepaid_courses c JOIN services s ON s.id = c.service_id
             LEFT JOIN package_sales ps ON ps.id = c.package_sale_id
             WHERE c.customer_id = ?1
               AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.id = c.sold_visit_id AND v.status = 'voided')
             UNION ALL
             SELECT p.id, NULL, p.product_id, pr.name, pr.category, p.quantity_total,
                    p.quantity_total + COALESCE((SELECT SUM(delta) FROM prepaid_product_ledger l WHERE l.prepaid_product_id = p.id), 0),
                    p.price_fen, p.valid_until, ps.name, p.created_at, ps.id
             FROM prepaid_products p JOIN products pr ON pr.id = p.product_id
             JOIN package_sales ps ON ps.id = p.package_sale_id
             WHERE p.customer_id = ?1
               AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.id = ps.sold_visit_id AND v.status = 'voided')
             ORDER BY 11, 1",
        )?;
        let rows = st
            .query_map([customer_id], |r| {
                Ok(CourseBalance {
                    id: r.get(0)?,
                    service_id: r.get(1)?,
                    product_id: r.get(2)?,
                    service_name: r.get(3)?,
                    category: r.get(4)?,
                    sessions_total: r.get(5)?,
                    sessions_left: r.get(6)?,
                    price: from_fen(r.get(7)?),
                    valid_until: r.get::<_, Option<i64>>(8)?.map(from_ms),
                    package: r.get(9)?,
                    package_sale_id: r.get(11)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Sells a prepaid course (the sale itself is a visit item of kind `course_sale`).
    pub fn insert_course(&self, c: &NewCourse, visit_id: &str, now: DateTime<Utc>) -> Result<String> {
        let id = new_id();
        self.exec(
            "INSERT INTO prepaid_courses (id, customer_id, service_id, sessions_total, price_fen, valid_until, sold_visit_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, c.customer_id, c.service_id, c.sessions, c.price_fen, c.valid_until.map(ms), visit_id, ms(now)],
        )?;
        Ok(id)
    }

    /// The bonus a top-up of `amount_fen` earns (the best rule it reaches).
    /// The top-up bonus rules in force, `(min_topup_fen, bonus_fen)`, smallest first.
    pub fn topup_bonus_rules(&self) -> Result<Vec<(i64, i64)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT min_topup_fen, bonus_fen FROM topup_bonus_rules WHERE active = 1 ORDER BY min_topup_fen",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Whether a top-up bonus is given once (the best rule reached: 充1000送200 gives ¥200
    /// on ¥2,000) or for each full multiple (¥400 on ¥2,000): `stored_value.bonus_mode`.
    pub fn bonus_per_multiple(&self) -> Result<bool> {
        Ok(self.setting("stored_value.bonus_mode")?.is_some_and(|v| v.trim() == "per_multiple"))
    }

    /// The bonus a top-up of `amount_fen` earns and the rule that gives it:
    /// `(bonus_fen, Some((min_fen, bonus_fen, times)))`.
    pub fn topup_bonus(&self, amount_fen: i64) -> Result<(i64, Option<BonusRuleApplied>)> {
        let per_multiple = self.bonus_per_multiple()?;
        let best = self
            .topup_bonus_rules()?
            .into_iter()
            .filter(|(min, _)| *min > 0 && *min <= amount_fen)
            .map(|(min, bonus)| {
                let times = if per_multiple { amount_fen / min } else { 1 };
                (bonus.saturating_mul(times), (min, bonus, times))
            })
            .max_by_key(|(total, (min, _, _))| (*total, *min));
        Ok(best.map_or((0, None), |(total, rule)| (total, Some(rule))))
    }

    /// Commission rates by service or category: `(key, rate)` with `key` as stored
    /// (`service:<id>` or `category:<name>`), the service's name resolved.
    pub fn commission_rules(&self) -> Result<Vec<(String, Decimal)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT CASE WHEN r.key LIKE 'service:%' THEN '服务 service: ' || COALESCE(s.name, substr(r.key, 9))
                         ELSE '类别 category: ' || substr(r.key, 10) END, r.rate_pct
             FROM commission_rules r LEFT JOIN services s ON 'service:' || s.id = r.key ORDER BY 1",
        )?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|(k, v)| Ok((k, dec("commission_rules", "rate_pct", v)?))).collect()
    }

    pub fn set_topup_bonus(&self, min_topup_fen: i64, bonus_fen: i64) -> Result<()> {
        self.exec(
            "INSERT INTO topup_bonus_rules (id, min_topup_fen, bonus_fen) VALUES (?1, ?2, ?3)
             ON CONFLICT (min_topup_fen) DO UPDATE SET bonus_fen = excluded.bonus_fen, active = 1",
            params![new_id(), min_topup_fen, bonus_fen],
        )?;
        Ok(())
    }

    pub fn rebate_rules(&self) -> Result<Vec<RebateRule>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, kind, category, threshold_fen, percent, multiplier, credit_to
             FROM rebate_rules WHERE active = 1 ORDER BY priority, created_at",
        )?;
        type RuleRow = (String, String, String, Option<String>, Option<i64>, Option<String>, Option<String>, String);
        let rows = st
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })?
            .collect::<rusqlite::Result<Vec<RuleRow>>>()?;
        rows.into_iter()
            .map(|(id, name, kind, category, threshold, percent, multiplier, credit_to)| {
                let pct = || dec("rebate_rules", "percent", percent.clone().unwrap_or_default());
                let mult = || dec("rebate_rules", "multiplier", multiplier.clone().unwrap_or_default());
                let kind = match kind.as_str() {
                    "category" => RebateKind::Category { category: category.unwrap_or_default(), percent: pct()? },
                    "threshold" => {
                        RebateKind::Threshold { min_total: from_fen(threshold.unwrap_or(0)), percent: pct()? }
                    }
                    "first_visit" => RebateKind::FirstVisit { multiplier: mult()? },
                    "birthday_month" => RebateKind::BirthdayMonth { multiplier: mult()? },
                    _ => return Err(StoreError::Corrupt { table: "rebate_rules", column: "kind", value: kind }),
                };
                let credit_to = match credit_to.as_str() {
                    "stored_value" => CreditTo::StoredValue,
                    _ => CreditTo::Points,
                };
                Ok(RebateRule { id, name, kind, credit_to })
            })
            .collect()
    }

    pub fn add_rebate_rule(&self, r: &RebateRule, priority: i64, now: DateTime<Utc>) -> Result<String> {
        let id = new_id();
        let (kind, category, threshold, percent, multiplier) = match &r.kind {
            RebateKind::Category { category, percent } => {
                ("category", Some(category.clone()), None, Some(*percent), None)
            }
            RebateKind::Threshold { min_total, percent } => {
                ("threshold", None, Some(crate::domain::money::to_fen(*min_total)?), Some(*percent), None)
            }
            RebateKind::FirstVisit { multiplier } => ("first_visit", None, None, None, Some(*multiplier)),
            RebateKind::BirthdayMonth { multiplier } => ("birthday_month", None, None, None, Some(*multiplier)),
        };
        self.exec(
            "INSERT INTO rebate_rules (id, name, kind, category, threshold_fen, percent, multiplier, credit_to, priority, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                r.name,
                kind,
                category,
                threshold,
                percent.map(|p| p.to_string()),
                multiplier.map(|m| m.to_string()),
                r.credit_to.as_str(),
                priority,
                ms(now)
            ],
        )?;
        Ok(id)
    }

    /// The commission rate of a line: the service's rule, else the category's, else `None`
    /// (the staff member's own rate applies).
    pub fn commission_rule(&self, service_id: Option<&str>, category: &str) -> Result<Option<Decimal>> {
        let keys = [service_id.map(|s| format!("service:{s}")), Some(format!("category:{category}"))];
        for key in keys.into_iter().flatten() {
            if let Some(v) = self
                .row("SELECT rate_pct FROM commission_rules WHERE key = ?1", [&key], |r| r.get::<_, String>(0))
                .optional()?
            {
                return dec("commission_rules", "rate_pct", v).map(Some);
            }
        }
        Ok(None)
    }

    pub fn set_commission_rule(&self, key: &str, rate_pct: Decimal) -> Result<()> {
        self.exec(
            "INSERT INTO commission_rules (key, rate_pct) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET rate_pct = excluded.rate_pct",
            params![key, rate_pct.to_string()],
        )?;
        Ok(())
    }

    /// A staff member's own commission rates: `(service, product)` percent.
    pub fn staff_commission_rates(&self, staff_id: &str) -> Result<(Decimal, Decimal)> {
        let (s, p): (String, String) = self.row(
            "SELECT service_commission_pct, product_commission_pct FROM staff WHERE id = ?1",
            [staff_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((dec("staff", "service_commission_pct", s)?, dec("staff", "product_commission_pct", p)?))
    }

    pub fn coupon_by_code(&self, code: &str) -> Result<Option<IssuedCoupon>> {
        self
            .row(
                "SELECT c.id, c.customer_id, c.code, t.name, t.kind, t.amount_fen, t.percent, t.min_spend_fen, t.service_id,
                        c.valid_from, c.valid_until, EXISTS (SELECT 1 FROM coupon_redemptions r WHERE r.coupon_id = c.id)
                 FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE c.code = ?1",
                [code.trim().to_uppercase()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, i64>(9)?,
                        r.get::<_, i64>(10)?,
                        r.get::<_, bool>(11)?,
                    ))
                },
            )
            .optional()?
            .map(|(id, customer_id, code, name, kind, amount, percent, min, service, from, until, redeemed)| {
                let kind = coupon_kind(&kind, amount, percent, min, service)?;
                Ok::<_, StoreError>(IssuedCoupon {
                    id,
                    customer_id,
                    redeemed,
                    coupon: Coupon { code, name, kind, valid_from: from_ms(from), valid_until: from_ms(until) },
                })
            })
            .transpose()
    }

    /// Customer's coupons, newest first: `(coupon, redeemed)`.
    pub fn customer_coupons(&self, customer_id: &str) -> Result<Vec<IssuedCoupon>> {
        let mut st =
            self.conn().prepare_cached("SELECT code FROM coupons WHERE customer_id = ?1 ORDER BY issued_at DESC")?;
        let codes = st.query_map([customer_id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        codes.iter().filter_map(|c| self.coupon_by_code(c).transpose()).collect()
    }

    /// A coupon template; returns its id.
    pub fn add_coupon_template(
        &self,
        name: &str,
        kind: &CouponKind,
        valid_days: i64,
        per_customer_limit: i64,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        let (k, amount, percent, min, service) = match kind {
            CouponKind::AmountOff { amount, min_spend } => (
                "amount_off",
                Some(crate::domain::money::to_fen(*amount)?),
                None,
                crate::domain::money::to_fen(*min_spend)?,
                None,
            ),
            CouponKind::PercentOff { percent, min_spend } => {
                ("percent_off", None, Some(percent.to_string()), crate::domain::money::to_fen(*min_spend)?, None)
            }
            CouponKind::FreeService { service_id } => ("free_service", None, None, 0, Some(service_id.clone())),
        };
        self.exec(
            "INSERT INTO coupon_templates (id, name, kind, amount_fen, percent, min_spend_fen, service_id, valid_days, per_customer_limit, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![id, name, k, amount, percent, min, service, valid_days, per_customer_limit, ms(now)],
        )?;
        Ok(id)
    }

    /// The coupon templates in use, by name, with how many were issued and used.
    pub fn coupon_templates(&self) -> Result<Vec<CouponTemplate>> {
        let mut st = self.conn().prepare_cached(
            "SELECT t.id, t.name, t.kind, t.amount_fen, t.percent, t.min_spend_fen, t.service_id, t.valid_days,
                    t.per_customer_limit,
                    (SELECT COUNT(*) FROM coupons c WHERE c.template_id = t.id),
                    (SELECT COUNT(*) FROM coupons c JOIN coupon_redemptions r ON r.coupon_id = c.id WHERE c.template_id = t.id)
             FROM coupon_templates t WHERE t.active = 1 ORDER BY t.name",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                    (r.get::<_, Option<i64>>(3)?, r.get::<_, Option<String>>(4)?, r.get::<_, i64>(5)?),
                    r.get::<_, Option<String>>(6)?,
                    (r.get::<_, i64>(7)?, r.get::<_, i64>(8)?, r.get::<_, i64>(9)?, r.get::<_, i64>(10)?),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|((id, name, kind), (amount, percent, min), service, (valid_days, per_customer, issued, redeemed))| {
                Ok(CouponTemplate {
                    id,
                    name,
                    kind: coupon_kind(&kind, amount, percent, min, service)?,
                    valid_days,
                    per_customer,
                    issued,
                    redeemed,
                })
            })
            .collect()
    }

    /// The names of the coupon templates in use, by name.
    pub fn coupon_template_names(&self) -> Result<Vec<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT name FROM coupon_templates WHERE active = 1 ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// `(id, name, valid_days, per_customer_limit)` of a template by id or name.
    pub fn coupon_template(&self, key: &str) -> Result<(String, String, i64, i64)> {
        self.row(
            "SELECT id, name, valid_days, per_customer_limit FROM coupon_templates WHERE (id = ?1 OR name = ?1) AND active = 1",
            [key.trim()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound { what: "优惠券模板", what_en: "coupon template", key: key.to_string() })
    }

    /// Issues a coupon of a template to a customer, within the template's per-customer limit.
    /// A `dedupe_key` (e.g. `birthday:<customer>:<year>`) makes a second issue a no-op:
    /// `Ok(None)`.
    pub fn issue_coupon(
        &self,
        template_key: &str,
        customer_id: &str,
        issued_by: &str,
        dedupe_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<NewCoupon>> {
        let (template_id, name, valid_days, limit) = self.coupon_template(template_key)?;
        let held: i64 = self.row(
            "SELECT COUNT(*) FROM coupons WHERE template_id = ?1 AND customer_id = ?2",
            [&template_id, customer_id],
            |r| r.get(0),
        )?;
        if held >= limit {
            return Err(StoreError::Duplicate {
                what: "优惠券（已达每人上限）",
                what_en: "coupon (per-customer limit reached)",
                key: name,
            });
        }
        let coupon = NewCoupon {
            id: new_id(),
            code: coupon_code(),
            template: name,
            valid_until: from_ms(ms(now + chrono::Duration::days(valid_days))),
        };
        let n = self.exec(
            "INSERT OR IGNORE INTO coupons (id, template_id, customer_id, code, valid_from, valid_until, issued_by, dedupe_key, issued_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?5)",
            params![
                coupon.id,
                template_id,
                customer_id,
                coupon.code,
                ms(now),
                ms(coupon.valid_until),
                issued_by,
                dedupe_key
            ],
        )?;
        // No sync event: v1 has no push type for an issued coupon; its redemption goes up as
        // `coupon.redeemed` (migration 0006).
        Ok((n == 1).then_some(coupon))
    }
}

/// A coupon just issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCoupon {
    pub id: String,
    pub code: String,
    /// The template's name.
    pub template: String,
    pub valid_until: DateTime<Utc>,
}

/// A prepaid course with sessions left that ends soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseEnding {
    pub course_id: String,
    pub customer_id: String,
    pub service_name: String,
    pub sessions_left: i64,
    pub valid_until: DateTime<Utc>,
}

impl Tx<'_> {
    /// Courses with sessions left whose end falls within `within`.
    pub fn courses_ending(&self, within: Interval) -> Result<Vec<CourseEnding>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT c.id, c.customer_id, s.name,
                        c.sessions_total + COALESCE((SELECT SUM(delta) FROM course_session_ledger l WHERE l.course_id = c.id), 0) AS left,
                        c.valid_until
                 FROM prepaid_courses c JOIN services s ON s.id = c.service_id
                 WHERE c.valid_until >= ?1 AND c.valid_until < ?2 AND left > 0",
            )?
            .query_map(params![ms(within.start), ms(within.end)], |r| {
                Ok(CourseEnding {
                    course_id: r.get(0)?,
                    customer_id: r.get(1)?,
                    service_name: r.get(2)?,
                    sessions_left: r.get(3)?,
                    valid_until: from_ms(r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Customers with a stored-value bonus ending within `within`: `(customer id, the
    /// earliest such end)`.
    pub fn bonuses_ending(&self, within: Interval) -> Result<Vec<(String, DateTime<Utc>)>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT customer_id, MIN(expires_at) FROM stored_value_ledger
                 WHERE expires_at >= ?1 AND expires_at < ?2 AND bonus_delta_fen > 0 GROUP BY customer_id",
            )?
            .query_map(params![ms(within.start), ms(within.end)], |r| Ok((r.get(0)?, from_ms(r.get(1)?))))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// An 8-character coupon code without look-alike characters (no 0/O, 1/I/L).
fn coupon_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A coupon template as the membership page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CouponTemplate {
    pub id: String,
    pub name: String,
    pub kind: CouponKind,
    pub valid_days: i64,
    pub per_customer: i64,
    /// Coupons issued from it, and how many of them were used.
    pub issued: i64,
    pub redeemed: i64,
}

fn coupon_kind(
    kind: &str,
    amount: Option<i64>,
    percent: Option<String>,
    min: i64,
    service: Option<String>,
) -> Result<CouponKind> {
    Ok(match kind {
        "amount_off" => CouponKind::AmountOff { amount: from_fen(amount.unwrap_or(0)), min_spend: from_fen(min) },
        "percent_off" => CouponKind::PercentOff {
            percent: dec("coupon_templates", "percent", percent.unwrap_or_default())?,
            min_spend: from_fen(min),
        },
        _ => CouponKind::FreeService { service_id: service.unwrap_or_default() },
    })
}
