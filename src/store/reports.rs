//! The report queries: sums over a time range of visits, payments and ledgers.
//!
//! Counts and sums over visits count the visits that stand: a voided visit and its reversal
//! cancel everywhere (`STANDING`). The ledgers (stored value, points, course sessions) are
//! movements on their dates, so their sections add up to the balances owed. Money comes
//! back in fen.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, Tx, from_ms, ms};
use crate::domain::time::Interval;

/// `(label, count, fen)` rows.
pub type Sums = Vec<(String, i64, i64)>;

/// A visit that stands: not voided, not a void's reversal.
const STANDING: &str = "v.status = 'completed' AND v.voids_visit_id IS NULL";

/// The tenders that are money (the others are prepaid value: stored value, points).
const MONEY: &str = "p.method IN ('cash', 'wechat', 'alipay', 'card')";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitCounts {
    /// Checkouts (not top-ups, not reversals, not voided).
    pub visits: i64,
    pub customers: i64,
    /// Customers whose first checkout ever falls in the range.
    pub new_customers: i64,
    pub walk_in_sales: i64,
}

/// The ledgers over a range, each row in exactly one line, so that for stored value
/// `opening + sold + bonus − spent − refunded − forfeited − expired + other = closing`,
/// and for points `opening + issued − redeemed − expired + other = closing`. Expiries no
/// row records yet (the daily job has not run) count on their own dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerSums {
    pub stored_value_opening: i64,
    pub stored_value_sold_principal: i64,
    pub stored_value_sold_bonus: i64,
    pub stored_value_spent: i64,
    pub stored_value_refunded: i64,
    /// Bonus taken back when a card is refunded.
    pub stored_value_forfeited: i64,
    pub stored_value_expired: i64,
    /// Imports and adjustments.
    pub stored_value_other: i64,
    /// All cards together at the end of the range: what the shop owes its customers.
    pub stored_value_outstanding: i64,
    pub points_opening: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
    pub points_other: i64,
    /// Points held at the end of the range.
    pub points_held: i64,
    /// Prepaid course sessions (and packages' products) not used at the end of the range
    /// (still valid).
    pub course_sessions_left: i64,
    /// Their value at the price paid, in fen.
    pub course_value_left: i64,
}

/// A customer overdue against their own rhythm.
#[derive(Debug, Clone, PartialEq)]
pub struct Quiet {
    pub customer_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub visits: i64,
    pub last_visit_at: DateTime<Utc>,
    /// Average days between their visits.
    pub rhythm_days: f64,
    pub days_since: f64,
}

impl Tx<'_> {
    /// Revenue by category: what services, products and course sales cost in the range.
    /// Course sessions are revenue when the course is sold, not when it is used.
    pub fn revenue_by_category(&self, r: Interval) -> Result<Sums> {
        self.sums(
            &format!(
                "SELECT CASE i.kind WHEN 'course_sale' THEN '疗程卡销售 course sales' ELSE COALESCE(s.category, p.category, i.kind) END,
                        COALESCE(SUM(i.quantity), 0), COALESCE(SUM(i.amount_fen), 0)
                 FROM visits v JOIN visit_items i ON i.visit_id = v.id
                 LEFT JOIN services s ON s.id = i.service_id
                 LEFT JOIN products p ON p.id = i.product_id
                 WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING} AND i.kind IN ('service', 'product', 'course_sale')
                 GROUP BY 1 ORDER BY 3 DESC"
            ),
            r,
        )
    }

    /// Money received, by tender (cash, WeChat Pay, Alipay, card): sales, top-ups and course
    /// sales; money paid back (a card refund) is its own line, `refund:<method>`, negative.
    pub fn money_received(&self, r: Interval) -> Result<Sums> {
        self.sums(
            &format!(
                "SELECT CASE WHEN v.kind = 'refund' THEN 'refund:' || p.method ELSE p.method END, COUNT(*),
                        COALESCE(SUM(p.amount_fen), 0)
                 FROM visits v JOIN payments p ON p.visit_id = v.id
                 WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING} AND {MONEY}
                 GROUP BY 1 ORDER BY 3 DESC"
            ),
            r,
        )
    }

    /// What was paid with prepaid value (stored value, points): not money received, a
    /// movement of what the shop owes.
    pub fn paid_with_prepaid(&self, r: Interval) -> Result<Sums> {
        self.sums(
            &format!(
                "SELECT p.method, COUNT(*), COALESCE(SUM(p.amount_fen), 0)
                 FROM visits v JOIN payments p ON p.visit_id = v.id
                 WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING} AND NOT {MONEY}
                 GROUP BY 1 ORDER BY 3 DESC"
            ),
            r,
        )
    }

    /// Services by times sold and amount, most sold first.
    pub fn top_services(&self, r: Interval, limit: u32) -> Result<Sums> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT s.name, SUM(i.quantity), SUM(i.amount_fen)
             FROM visits v JOIN visit_items i ON i.visit_id = v.id JOIN services s ON s.id = i.service_id
             WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING} AND i.kind IN ('service', 'course_session')
             GROUP BY s.id ORDER BY 2 DESC, 3 DESC LIMIT ?3"
        ))?;
        let rows = st
            .query_map(params![ms(r.start), ms(r.end), limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Commission per staff member: `(name, lines, fen)`.
    pub fn commission_by_staff(&self, r: Interval) -> Result<Sums> {
        self.sums(
            &format!(
                "SELECT st.name, COUNT(*), COALESCE(SUM(c.amount_fen), 0)
                 FROM visits v JOIN commissions c ON c.visit_id = v.id JOIN staff st ON st.id = c.staff_id
                 WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING} GROUP BY c.staff_id ORDER BY 3 DESC"
            ),
            r,
        )
    }

    /// What each beautician performed: `(name, services, fen)` (course sessions count as
    /// services, at the amount they were sold for).
    pub fn revenue_by_staff(&self, r: Interval) -> Result<Sums> {
        self.sums(
            &format!(
                "SELECT st.name, COALESCE(SUM(i.quantity), 0), COALESCE(SUM(i.amount_fen), 0)
                 FROM visits v JOIN visit_items i ON i.visit_id = v.id JOIN staff st ON st.id = i.staff_id
                 WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING} AND i.kind IN ('service', 'course_session')
                   AND i.service_id IS NOT NULL
                 GROUP BY i.staff_id ORDER BY 3 DESC, 2 DESC"
            ),
            r,
        )
    }

    fn sums(&self, sql: &str, r: Interval) -> Result<Sums> {
        let mut st = self.conn().prepare_cached(sql)?;
        let rows = st
            .query_map(params![ms(r.start), ms(r.end)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn visit_counts(&self, r: Interval) -> Result<VisitCounts> {
        Ok(self.row(
            "SELECT COUNT(*), COUNT(DISTINCT v.customer_id), COUNT(*) FILTER (WHERE v.customer_id IS NULL),
                    COUNT(DISTINCT v.customer_id) FILTER (WHERE NOT EXISTS (
                        SELECT 1 FROM visits e WHERE e.customer_id = v.customer_id AND e.at < ?1 AND e.kind = 'checkout'
                          AND e.status = 'completed' AND e.voids_visit_id IS NULL))
             FROM visits v
             WHERE v.at >= ?1 AND v.at < ?2 AND v.kind = 'checkout' AND v.status = 'completed' AND v.voids_visit_id IS NULL",
            params![ms(r.start), ms(r.end)],
            |row| {
                Ok(VisitCounts {
                    visits: row.get(0)?,
                    customers: row.get(1)?,
                    walk_in_sales: row.get(2)?,
                    new_customers: row.get(3)?,
                })
            },
        )?)
    }

    pub fn ledger_sums(&self, r: Interval) -> Result<LedgerSums> {
        let (start, end) = (ms(r.start), ms(r.end));
        let sv: [i64; 8] = self.row(
            "SELECT COALESCE(SUM(principal_delta_fen + bonus_delta_fen) FILTER (WHERE at < ?1), 0),
                    COALESCE(SUM(principal_delta_fen) FILTER (WHERE at >= ?1 AND reason IN ('topup', 'rebate')), 0),
                    COALESCE(SUM(bonus_delta_fen) FILTER (WHERE at >= ?1 AND reason IN ('topup', 'rebate')), 0),
                    COALESCE(-SUM(principal_delta_fen + bonus_delta_fen) FILTER (WHERE at >= ?1 AND reason = 'spend'), 0),
                    COALESCE(-SUM(principal_delta_fen) FILTER (WHERE at >= ?1 AND reason = 'refund'), 0),
                    COALESCE(-SUM(bonus_delta_fen) FILTER (WHERE at >= ?1 AND reason = 'refund'), 0),
                    COALESCE(-SUM(principal_delta_fen + bonus_delta_fen) FILTER (WHERE at >= ?1 AND reason = 'expired'), 0),
                    COALESCE(SUM(principal_delta_fen + bonus_delta_fen) FILTER (WHERE at >= ?1
                        AND reason NOT IN ('topup', 'rebate', 'spend', 'refund', 'expired')), 0)
             FROM stored_value_ledger WHERE at < ?2",
            params![start, end],
            |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?]),
        )?;
        let pt: [i64; 5] = self.row(
            "SELECT COALESCE(SUM(delta) FILTER (WHERE at < ?1), 0),
                    COALESCE(SUM(delta) FILTER (WHERE at >= ?1 AND reason IN ('earned', 'rebate', 'checkin', 'referral', 'referral_void')), 0),
                    COALESCE(-SUM(delta) FILTER (WHERE at >= ?1 AND reason = 'redeemed'), 0),
                    COALESCE(-SUM(delta) FILTER (WHERE at >= ?1 AND reason = 'expired'), 0),
                    COALESCE(SUM(delta) FILTER (WHERE at >= ?1 AND reason NOT IN ('earned', 'rebate', 'checkin', 'referral', 'referral_void', 'redeemed', 'expired')), 0)
             FROM points_ledger WHERE at < ?2",
            params![start, end],
            |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?]),
        )?;
        // Expiries no row records yet: before the range they lower the opening balance, in
        // it they are the range's expiries.
        let (mut sv_before, mut sv_in, mut pt_before, mut pt_in) = (0i64, 0i64, 0i64, 0i64);
        // the daily job recorded every expiry up to its last run: only lots expiring after it
        // can have an expiry no row records
        let recorded_to = self.expiries_recorded_to()?;
        for customer in self.customers_with_expiries_between(recorded_to, r.end - chrono::Duration::milliseconds(1))? {
            for (at, n) in crate::domain::points::unrecorded_expiries(
                &self.bonus_rows(&customer)?,
                r.end - chrono::Duration::milliseconds(1),
            ) {
                if at < r.start { sv_before += n } else { sv_in += n }
            }
            for (at, n) in crate::domain::points::unrecorded_expiries(
                &self.points_rows(&customer)?,
                r.end - chrono::Duration::milliseconds(1),
            ) {
                if at < r.start { pt_before += n } else { pt_in += n }
            }
        }
        let (sessions, value): (i64, i64) = {
            let mut st = self.conn().prepare_cached(
                "SELECT c.sessions_total, c.price_fen,
                        c.sessions_total + COALESCE((SELECT SUM(delta) FROM course_session_ledger l
                                                     WHERE l.course_id = c.id AND l.at < ?1), 0)
                 FROM prepaid_courses c WHERE c.created_at < ?1 AND (c.valid_until IS NULL OR c.valid_until > ?1)
                   AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.id = c.sold_visit_id AND v.status = 'voided')
                 UNION ALL
                 SELECT p.quantity_total, p.price_fen,
                        p.quantity_total + COALESCE((SELECT SUM(delta) FROM prepaid_product_ledger l
                                                     WHERE l.prepaid_product_id = p.id AND l.at < ?1), 0)
                 FROM prepaid_products p JOIN package_sales ps ON ps.id = p.package_sale_id
                 WHERE p.created_at < ?1 AND (p.valid_until IS NULL OR p.valid_until > ?1)
                   AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.id = ps.sold_visit_id AND v.status = 'voided')",
            )?;
            let rows = st
                .query_map([end], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().filter(|(_, _, left)| *left > 0).fold((0, 0), |(n, v), (total, price, left)| {
                // at the price paid per session, to the fen
                (n + left, v + (price * left + total.max(1) / 2) / total.max(1))
            })
        };
        let opening = sv[0] - sv_before;
        let expired = sv[6] + sv_in;
        let points_opening = pt[0] - pt_before;
        let points_expired = pt[3] + pt_in;
        Ok(LedgerSums {
            stored_value_opening: opening,
            stored_value_sold_principal: sv[1],
            stored_value_sold_bonus: sv[2],
            stored_value_spent: sv[3],
            stored_value_refunded: sv[4],
            stored_value_forfeited: sv[5],
            stored_value_expired: expired,
            stored_value_other: sv[7],
            stored_value_outstanding: opening + sv[1] + sv[2] - sv[3] - sv[4] - sv[5] - expired + sv[7],
            points_opening,
            points_issued: pt[1],
            points_redeemed: pt[2],
            points_expired,
            points_other: pt[4],
            points_held: points_opening + pt[1] - pt[2] - points_expired + pt[4],
            course_sessions_left: sessions,
            course_value_left: value,
        })
    }

    /// Customers with at least `min_visits` visits whose time since their last visit at
    /// `at` is more than `factor` × their own average interval and at least `floor_days`;
    /// the most overdue first.
    pub fn gone_quiet(
        &self,
        at: DateTime<Utc>,
        min_visits: i64,
        factor: f64,
        floor_days: f64,
        limit: u32,
    ) -> Result<Vec<Quiet>> {
        let mut st = self.conn().prepare_cached(
            "WITH r AS (
                SELECT customer_id, COUNT(*) AS n, MIN(at) AS first, MAX(at) AS last
                FROM visits
                WHERE customer_id IS NOT NULL AND kind = 'checkout' AND status = 'completed' AND voids_visit_id IS NULL AND at < ?1
                GROUP BY customer_id HAVING COUNT(*) >= ?2
             )
             SELECT r.customer_id, c.name, c.phone, r.n, r.last,
                    (r.last - r.first) / 86400000.0 / (r.n - 1) AS rhythm,
                    (?1 - r.last) / 86400000.0 AS since
             FROM r JOIN customers c ON c.id = r.customer_id
             WHERE c.deleted_at IS NULL AND since >= ?4 AND since > ?3 * rhythm
             ORDER BY since / MAX(rhythm, 1) DESC LIMIT ?5",
        )?;
        let rows = st
            .query_map(params![ms(at), min_visits.max(2), factor, floor_days, limit], |r| {
                Ok(Quiet {
                    customer_id: r.get(0)?,
                    name: r.get(1)?,
                    phone: r.get(2)?,
                    visits: r.get(3)?,
                    last_visit_at: from_ms(r.get(4)?),
                    rhythm_days: r.get(5)?,
                    days_since: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// A range's visits and money in 15-minute buckets (`at / 900 000` ms, so that every
/// time zone's days and hours are whole buckets), for charts by day, hour and weekday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    /// `at / 900_000`: the bucket's start is `quarter × 900 000` ms since the epoch.
    pub quarter: i64,
    /// Checkouts that stand.
    pub visits: i64,
    /// Of them, a customer's first checkout ever.
    pub first_visits: i64,
    /// Of them, sales to nobody registered.
    pub walk_ins: i64,
    /// Money received in it (sales, top-ups, course sales; refunds negative), in fen.
    pub money_fen: i64,
}

/// The range's customers by year of birth: `(year or None, customers, visits, fen spent)`.
pub type BirthYears = Vec<(Option<i32>, i64, i64, i64)>;

impl Tx<'_> {
    /// Visits and money received per 15 minutes of the range, in time order (only buckets
    /// with something in them).
    pub fn buckets(&self, r: Interval) -> Result<Vec<Bucket>> {
        let (start, end) = (ms(r.start), ms(r.end));
        let mut out: std::collections::BTreeMap<i64, Bucket> = std::collections::BTreeMap::new();
        let mut st = self.conn().prepare_cached(
            "SELECT v.at / 900000, COUNT(*), COUNT(*) FILTER (WHERE v.customer_id IS NULL)
             FROM visits v
             WHERE v.at >= ?1 AND v.at < ?2 AND v.kind = 'checkout' AND v.status = 'completed' AND v.voids_visit_id IS NULL
             GROUP BY 1",
        )?;
        let rows = st.query_map(params![start, end], |r| {
            Ok(Bucket { quarter: r.get(0)?, visits: r.get(1)?, walk_ins: r.get(2)?, first_visits: 0, money_fen: 0 })
        })?;
        for b in rows {
            let b = b?;
            out.insert(b.quarter, b);
        }
        // a customer's first checkout ever: the first in the range of those with none before
        // it (as `visit_counts` counts new customers), found per customer, not per visit
        let mut st = self.conn().prepare_cached(
            "SELECT first / 900000, COUNT(*) FROM (
                SELECT MIN(v.at) AS first FROM visits v
                WHERE v.at >= ?1 AND v.at < ?2 AND v.customer_id IS NOT NULL AND v.kind = 'checkout'
                  AND v.status = 'completed' AND v.voids_visit_id IS NULL
                GROUP BY v.customer_id
                HAVING NOT EXISTS (SELECT 1 FROM visits e WHERE e.customer_id = v.customer_id AND e.at < ?1
                    AND e.kind = 'checkout' AND e.status = 'completed' AND e.voids_visit_id IS NULL)
             ) GROUP BY 1",
        )?;
        let rows = st.query_map(params![start, end], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (q, n) = row?;
            out.entry(q).or_insert_with(|| Bucket { quarter: q, ..Bucket::default() }).first_visits = n;
        }
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT v.at / 900000, COALESCE(SUM(p.amount_fen), 0)
             FROM visits v JOIN payments p ON p.visit_id = v.id
             WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING} AND {MONEY}
             GROUP BY 1"
        ))?;
        let rows = st.query_map(params![start, end], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (q, fen) = row?;
            out.entry(q).or_insert_with(|| Bucket { quarter: q, ..Bucket::default() }).money_fen = fen;
        }
        Ok(out.into_values().collect())
    }

    /// The range's registered customers who checked out, by year of birth.
    pub fn birth_years(&self, r: Interval) -> Result<BirthYears> {
        let mut st = self.conn().prepare_cached(
            "SELECT CAST(substr(c.birthday, 1, 4) AS INTEGER), COUNT(*), SUM(x.n), SUM(x.fen) FROM (
                SELECT v.customer_id AS id, COUNT(*) AS n, COALESCE(SUM(v.total_fen), 0) AS fen FROM visits v
                WHERE v.at >= ?1 AND v.at < ?2 AND v.customer_id IS NOT NULL AND v.kind = 'checkout'
                  AND v.status = 'completed' AND v.voids_visit_id IS NULL
                GROUP BY v.customer_id
             ) x JOIN customers c ON c.id = x.id GROUP BY 1",
        )?;
        let rows = st
            .query_map(params![ms(r.start), ms(r.end)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
