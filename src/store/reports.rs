//! The report queries: sums over a time range of visits, payments and ledgers.
//!
//! Every sum nets reversals (a void is a visit with negative amounts inside the range it
//! was made in). Money comes back in fen.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, Tx, from_ms, ms};
use crate::domain::time::Interval;

/// `(label, count, fen)` rows.
pub type Sums = Vec<(String, i64, i64)>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitCounts {
    /// Checkouts (not top-ups, not reversals, not voided).
    pub visits: i64,
    pub customers: i64,
    /// Customers whose first checkout ever falls in the range.
    pub new_customers: i64,
    pub walk_in_sales: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerSums {
    pub stored_value_sold_principal: i64,
    pub stored_value_sold_bonus: i64,
    pub stored_value_spent: i64,
    pub stored_value_refunded: i64,
    /// All cards together at the end of the range: what the shop owes its customers.
    pub stored_value_outstanding: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
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
            "SELECT CASE i.kind WHEN 'course_sale' THEN '疗程卡销售 course sales' ELSE COALESCE(s.category, p.category, i.kind) END,
                    COALESCE(SUM(i.quantity * (v.voids_visit_id IS NULL) - i.quantity * (v.voids_visit_id IS NOT NULL)), 0),
                    COALESCE(SUM(i.amount_fen), 0)
             FROM visits v JOIN visit_items i ON i.visit_id = v.id
             LEFT JOIN services s ON s.id = i.service_id
             LEFT JOIN products p ON p.id = i.product_id
             WHERE v.at >= ?1 AND v.at < ?2 AND i.kind IN ('service', 'product', 'course_sale')
             GROUP BY 1 ORDER BY 3 DESC",
            r,
        )
    }

    /// Payments by method (cash, wechat, alipay, card, stored_value, points), top-ups included.
    pub fn payments_by_method(&self, r: Interval) -> Result<Sums> {
        self.sums(
            "SELECT p.method, COUNT(*), COALESCE(SUM(p.amount_fen), 0)
             FROM visits v JOIN payments p ON p.visit_id = v.id
             WHERE v.at >= ?1 AND v.at < ?2 GROUP BY 1 ORDER BY 3 DESC",
            r,
        )
    }

    /// Services by times sold and amount, most sold first.
    pub fn top_services(&self, r: Interval, limit: u32) -> Result<Sums> {
        let mut st = self.conn().prepare_cached(
            "SELECT s.name, SUM(CASE WHEN v.voids_visit_id IS NULL THEN i.quantity ELSE -i.quantity END), SUM(i.amount_fen)
             FROM visits v JOIN visit_items i ON i.visit_id = v.id JOIN services s ON s.id = i.service_id
             WHERE v.at >= ?1 AND v.at < ?2 AND i.kind IN ('service', 'course_session')
             GROUP BY s.id ORDER BY 2 DESC, 3 DESC LIMIT ?3",
        )?;
        let rows = st
            .query_map(params![ms(r.start), ms(r.end), limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Commission per staff member: `(name, lines, fen)`.
    pub fn commission_by_staff(&self, r: Interval) -> Result<Sums> {
        self.sums(
            "SELECT st.name, COUNT(*), COALESCE(SUM(c.amount_fen), 0)
             FROM visits v JOIN commissions c ON c.visit_id = v.id JOIN staff st ON st.id = c.staff_id
             WHERE v.at >= ?1 AND v.at < ?2 GROUP BY c.staff_id ORDER BY 3 DESC",
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
        let (sold_p, sold_b, spent, refunded): (i64, i64, i64, i64) = self.row(
            "SELECT COALESCE(SUM(principal_delta_fen) FILTER (WHERE reason = 'topup'), 0),
                    COALESCE(SUM(bonus_delta_fen) FILTER (WHERE reason IN ('topup', 'rebate')), 0),
                    COALESCE(-SUM(principal_delta_fen + bonus_delta_fen) FILTER (WHERE reason = 'spend'), 0),
                    COALESCE(-SUM(principal_delta_fen) FILTER (WHERE reason = 'refund'), 0)
             FROM stored_value_ledger WHERE at >= ?1 AND at < ?2",
            params![ms(r.start), ms(r.end)],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        let outstanding: i64 = self.row(
            "SELECT COALESCE(SUM(principal_delta_fen + bonus_delta_fen), 0) FROM stored_value_ledger WHERE at < ?1",
            [ms(r.end)],
            |row| row.get(0),
        )?;
        let (issued, redeemed, expired): (i64, i64, i64) = self.row(
            "SELECT COALESCE(SUM(delta) FILTER (WHERE reason IN ('earned', 'rebate')), 0),
                    COALESCE(-SUM(delta) FILTER (WHERE reason = 'redeemed'), 0),
                    COALESCE(-SUM(delta) FILTER (WHERE reason = 'expired'), 0)
             FROM points_ledger WHERE at >= ?1 AND at < ?2",
            params![ms(r.start), ms(r.end)],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        Ok(LedgerSums {
            stored_value_sold_principal: sold_p,
            stored_value_sold_bonus: sold_b,
            stored_value_spent: spent,
            stored_value_refunded: refunded,
            stored_value_outstanding: outstanding,
            points_issued: issued,
            points_redeemed: redeemed,
            points_expired: expired,
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
