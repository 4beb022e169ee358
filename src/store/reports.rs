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

/// A ledger's sums by reason: `(principal, bonus)` fen for stored value, `(points, 0)`.
type ReasonSums = std::collections::BTreeMap<String, (i64, i64)>;

/// The money ledgers with daily totals (migration 0013).
#[derive(Debug, Clone, Copy)]
enum Ledger {
    StoredValue,
    Points,
}

const DAY_MS: i64 = 86_400_000;

/// `(label, count, fen)` rows.
pub type Sums = Vec<(String, i64, i64)>;

/// A visit that stands: not voided, not a void's reversal.
const STANDING: &str = "v.status = 'completed' AND v.voids_visit_id IS NULL";

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
    /// Commission per staff member: `(name, lines, fen)`.
    pub fn commission_by_staff(&self, r: Interval) -> Result<Sums> {
        self.sums(
            &format!(
                "WITH g AS (
                    SELECT c.staff_id, COUNT(*) AS n, COALESCE(SUM(c.amount_fen), 0) AS fen
                    FROM visits v JOIN commissions c ON c.visit_id = v.id
                    WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING} GROUP BY c.staff_id
                 )
                 SELECT st.name, g.n, g.fen FROM g JOIN staff st ON st.id = g.staff_id ORDER BY 3 DESC"
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

    pub fn ledger_sums(&self, r: Interval) -> Result<LedgerSums> {
        let (start, end) = (ms(r.start), ms(r.end));
        let sv_before = self.ledger_by_reason(Ledger::StoredValue, i64::MIN, start)?;
        let sv_range = self.ledger_by_reason(Ledger::StoredValue, start, end)?;
        let pt_before = self.ledger_by_reason(Ledger::Points, i64::MIN, start)?;
        let pt_range = self.ledger_by_reason(Ledger::Points, start, end)?;
        const SV_LINES: [&str; 5] = ["topup", "rebate", "spend", "refund", "expired"];
        const PT_LINES: [&str; 7] = ["earned", "rebate", "checkin", "referral", "referral_void", "redeemed", "expired"];
        // (principal, bonus) or (points, 0) of the rows whose reason is in `reasons`, or
        // with `among: false` of those whose reason is not
        let pick = |m: &ReasonSums, reasons: &[&str], among: bool| -> (i64, i64) {
            m.iter()
                .filter(|(r, _)| reasons.contains(&r.as_str()) == among)
                .fold((0, 0), |(a, b), (_, (x, y))| (a + x, b + y))
        };
        let both = |(a, b): (i64, i64)| a + b;
        let (sold_principal, sold_bonus) = pick(&sv_range, &["topup", "rebate"], true);
        let (refunded, forfeited) = pick(&sv_range, &["refund"], true);
        let sv: [i64; 8] = [
            both(pick(&sv_before, &[], false)),
            sold_principal,
            sold_bonus,
            -both(pick(&sv_range, &["spend"], true)),
            -refunded,
            -forfeited,
            -both(pick(&sv_range, &["expired"], true)),
            both(pick(&sv_range, &SV_LINES, false)),
        ];
        let pt: [i64; 5] = [
            pick(&pt_before, &[], false).0,
            pick(&pt_range, &PT_LINES[..5], true).0,
            -pick(&pt_range, &["redeemed"], true).0,
            -pick(&pt_range, &["expired"], true).0,
            pick(&pt_range, &PT_LINES, false).0,
        ];
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

    /// How many `(day, reason)` totals of the two money ledgers differ from their rows'
    /// sums (0 unless the database was altered outside salonbox): `doctor`'s full check.
    pub fn ledger_totals_mismatches(&self) -> Result<i64> {
        Ok(self.row(
            "WITH sv AS (SELECT at / 86400000 AS day, reason, SUM(principal_delta_fen) AS a, SUM(bonus_delta_fen) AS b
                         FROM stored_value_ledger GROUP BY 1, 2),
                  svd AS (SELECT day, reason, principal_fen AS a, bonus_fen AS b FROM stored_value_days),
                  pt AS (SELECT at / 86400000 AS day, reason, SUM(delta) AS a FROM points_ledger GROUP BY 1, 2),
                  ptd AS (SELECT day, reason, delta AS a FROM points_days)
             SELECT (SELECT COUNT(*) FROM (SELECT * FROM sv EXCEPT SELECT * FROM svd))
                  + (SELECT COUNT(*) FROM (SELECT * FROM svd EXCEPT SELECT * FROM sv))
                  + (SELECT COUNT(*) FROM (SELECT * FROM pt EXCEPT SELECT * FROM ptd))
                  + (SELECT COUNT(*) FROM (SELECT * FROM ptd EXCEPT SELECT * FROM pt))",
            [],
            |r| r.get(0),
        )?)
    }

    /// A money ledger's rows in `[from, to)` ms summed by reason: the whole UTC days inside
    /// it from the daily totals the database keeps (migration 0013), the partial days at its
    /// ends from the rows themselves.
    fn ledger_by_reason(&self, ledger: Ledger, from: i64, to: i64) -> Result<ReasonSums> {
        let (days, rows) = match ledger {
            Ledger::StoredValue => (
                "SELECT reason, SUM(principal_fen), SUM(bonus_fen) FROM stored_value_days
                 WHERE day >= ?1 AND day < ?2 GROUP BY reason",
                "SELECT reason, SUM(principal_delta_fen), SUM(bonus_delta_fen) FROM stored_value_ledger
                 WHERE at >= ?1 AND at < ?2 GROUP BY reason",
            ),
            Ledger::Points => (
                "SELECT reason, SUM(delta), 0 FROM points_days WHERE day >= ?1 AND day < ?2 GROUP BY reason",
                "SELECT reason, SUM(delta), 0 FROM points_ledger WHERE at >= ?1 AND at < ?2 GROUP BY reason",
            ),
        };
        let first_day = from.div_euclid(DAY_MS) + i64::from(from.rem_euclid(DAY_MS) != 0);
        let end_day = to.div_euclid(DAY_MS);
        let pieces: Vec<(&str, i64, i64)> = if first_day < end_day {
            vec![(days, first_day, end_day), (rows, from, first_day * DAY_MS), (rows, end_day * DAY_MS, to)]
        } else {
            vec![(rows, from, to)]
        };
        let mut out = ReasonSums::new();
        for (sql, a, b) in pieces {
            if a >= b {
                continue;
            }
            let mut st = self.conn().prepare_cached(sql)?;
            let rows = st
                .query_map(params![a, b], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
            for row in rows {
                let (reason, x, y) = row?;
                let e = out.entry(reason).or_default();
                e.0 += x;
                e.1 += y;
            }
        }
        Ok(out)
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

/// A range's standing visits read once, grouped small enough to hold: what the report and
/// its charts derive their visit, money and item figures from, so that each figure has one
/// definition and the month's visits are joined to their items and payments once each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeVisits {
    /// Checkouts per quarter hour: `visits` and `walk_ins` filled.
    pub quarters: Vec<Bucket>,
    /// Registered customers who checked out, grouped by whether it was their first checkout
    /// ever (then by the quarter of it) and by year of birth.
    pub customers: Vec<CustomerGroup>,
    pub payments: Vec<PaymentSum>,
    pub items: Vec<ItemSum>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerGroup {
    /// The quarter of their first checkout in the range, for new customers only.
    pub first_quarter: Option<i64>,
    /// No checkout before the range: a new customer.
    pub new: bool,
    pub birth_year: Option<i32>,
    pub customers: i64,
    pub visits: i64,
    pub fen: i64,
}

/// Payments of standing visits by quarter hour, refund or not, and tender.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentSum {
    pub quarter: i64,
    /// Paid back on a card refund (negative amounts).
    pub refund: bool,
    pub method: String,
    pub count: i64,
    pub fen: i64,
}

/// Items of standing visits by kind, service, product and staff member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemSum {
    pub kind: String,
    pub service_id: Option<String>,
    pub service: Option<String>,
    /// The service's or product's category.
    pub category: Option<String>,
    pub staff_id: Option<String>,
    pub staff: Option<String>,
    pub quantity: i64,
    pub fen: i64,
}

/// The tenders that are money (the others are prepaid value: stored value, points).
const MONEY_METHODS: [&str; 4] = ["cash", "wechat", "alipay", "card"];

/// Sums by label, the largest amount first (then the larger count, then the label).
fn grouped(rows: impl Iterator<Item = (String, i64, i64)>) -> Sums {
    let mut by: std::collections::BTreeMap<String, (i64, i64)> = std::collections::BTreeMap::new();
    for (label, n, fen) in rows {
        let e = by.entry(label).or_default();
        e.0 += n;
        e.1 += fen;
    }
    let mut out: Sums = by.into_iter().map(|(l, (n, fen))| (l, n, fen)).collect();
    out.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    out
}

/// `(key, label, count, fen)` rows summed per key (a service's or staff member's id), each
/// named by its label, in key order.
fn summed_by_id<'a>(rows: impl Iterator<Item = (&'a str, &'a str, i64, i64)>) -> Sums {
    let mut by: std::collections::BTreeMap<&str, (String, i64, i64)> = std::collections::BTreeMap::new();
    for (id, label, n, fen) in rows {
        let e = by.entry(id).or_insert_with(|| (label.to_string(), 0, 0));
        e.1 += n;
        e.2 += fen;
    }
    by.into_values().collect()
}

impl RangeVisits {
    pub fn visit_counts(&self) -> VisitCounts {
        VisitCounts {
            visits: self.quarters.iter().map(|q| q.visits).sum(),
            walk_in_sales: self.quarters.iter().map(|q| q.walk_ins).sum(),
            customers: self.customers.iter().map(|c| c.customers).sum(),
            new_customers: self.customers.iter().filter(|c| c.new).map(|c| c.customers).sum(),
        }
    }

    /// Money received, by tender (cash, WeChat Pay, Alipay, card): sales, top-ups and course
    /// sales; money paid back (a card refund) is its own line, `refund:<method>`, negative.
    pub fn money_received(&self) -> Sums {
        grouped(
            self.payments
                .iter()
                .filter(|p| MONEY_METHODS.contains(&p.method.as_str()))
                .map(|p| (if p.refund { format!("refund:{}", p.method) } else { p.method.clone() }, p.count, p.fen)),
        )
    }

    /// What was paid with prepaid value (stored value, points): not money received, a
    /// movement of what the shop owes.
    pub fn paid_with_prepaid(&self) -> Sums {
        grouped(
            self.payments
                .iter()
                .filter(|p| !MONEY_METHODS.contains(&p.method.as_str()))
                .map(|p| (p.method.clone(), p.count, p.fen)),
        )
    }

    /// Revenue by category: what services, products and course sales cost in the range.
    /// Course sessions are revenue when the course is sold, not when it is used.
    pub fn revenue_by_category(&self) -> Sums {
        grouped(self.items.iter().filter(|i| ["service", "product", "course_sale"].contains(&i.kind.as_str())).map(
            |i| {
                let label = match (i.kind.as_str(), &i.category) {
                    ("course_sale", _) => "疗程卡销售 course sales".to_string(),
                    (_, Some(c)) => c.clone(),
                    (kind, None) => kind.to_string(),
                };
                (label, i.quantity, i.fen)
            },
        ))
    }

    /// The items that are a service performed (a service sold or a course session used).
    fn services_performed(&self) -> impl Iterator<Item = &ItemSum> {
        self.items.iter().filter(|i| ["service", "course_session"].contains(&i.kind.as_str()) && i.service_id.is_some())
    }

    /// Services by times performed and amount, most performed first.
    pub fn top_services(&self, limit: usize) -> Sums {
        let mut out = summed_by_id(self.services_performed().map(|i| {
            (i.service_id.as_deref().unwrap_or_default(), i.service.as_deref().unwrap_or_default(), i.quantity, i.fen)
        }));
        out.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        out.truncate(limit);
        out
    }

    /// What each beautician performed: `(name, services, fen)` (course sessions count as
    /// services, at the amount they were sold for).
    pub fn revenue_by_staff(&self) -> Sums {
        let mut out = summed_by_id(
            self.services_performed()
                .filter_map(|i| Some((i.staff_id.as_deref()?, i.staff.as_deref()?, i.quantity, i.fen))),
        );
        out.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
        out
    }

    /// Visits, first visits and money received per 15 minutes of the range, in time order
    /// (only buckets with something in them).
    pub fn buckets(&self) -> Vec<Bucket> {
        let mut out: std::collections::BTreeMap<i64, Bucket> =
            self.quarters.iter().map(|b| (b.quarter, b.clone())).collect();
        for c in &self.customers {
            if let Some(q) = c.first_quarter.filter(|_| c.new) {
                out.entry(q).or_insert_with(|| Bucket { quarter: q, ..Bucket::default() }).first_visits += c.customers;
            }
        }
        for p in self.payments.iter().filter(|p| MONEY_METHODS.contains(&p.method.as_str())) {
            out.entry(p.quarter).or_insert_with(|| Bucket { quarter: p.quarter, ..Bucket::default() }).money_fen +=
                p.fen;
        }
        out.into_values().collect()
    }

    /// The range's registered customers who checked out, by year of birth.
    pub fn birth_years(&self) -> BirthYears {
        let mut by: std::collections::BTreeMap<Option<i32>, (i64, i64, i64)> = std::collections::BTreeMap::new();
        for c in &self.customers {
            let e = by.entry(c.birth_year).or_default();
            e.0 += c.customers;
            e.1 += c.visits;
            e.2 += c.fen;
        }
        by.into_iter().map(|(y, (c, n, fen))| (y, c, n, fen)).collect()
    }
}

impl Tx<'_> {
    /// The range's standing visits, read once (four grouped queries).
    pub fn range_visits(&self, r: Interval) -> Result<RangeVisits> {
        let (start, end) = (ms(r.start), ms(r.end));
        // a customer's first checkout ever: the first in the range of those with none
        // before it, found per customer, not per visit
        let customers = self
            .conn()
            .prepare_cached(
                // grouped per customer first, then each customer looked up once in id order;
                // `x` materialised so that the probe runs once per customer, not once per use
                "WITH g AS (
                    SELECT v.customer_id AS id, MIN(v.at) AS first, COUNT(*) AS n, COALESCE(SUM(v.total_fen), 0) AS fen
                    FROM visits v
                    WHERE v.at >= ?1 AND v.at < ?2 AND v.customer_id IS NOT NULL AND v.kind = 'checkout'
                      AND v.status = 'completed' AND v.voids_visit_id IS NULL
                    GROUP BY v.customer_id
                 ), x AS MATERIALIZED (
                    SELECT g.first, g.n, g.fen, CAST(substr(c.birthday, 1, 4) AS INTEGER) AS year,
                           NOT EXISTS (SELECT 1 FROM visits e WHERE e.customer_id = g.id AND e.at < ?1
                               AND e.kind = 'checkout' AND e.status = 'completed' AND e.voids_visit_id IS NULL) AS new
                    FROM g JOIN customers c ON c.id = g.id
                 )
                 SELECT CASE WHEN x.new THEN x.first / 900000 END, x.new, x.year, COUNT(*), SUM(x.n), SUM(x.fen)
                 FROM x GROUP BY 1, 2, 3",
            )?
            .query_map(params![start, end], |r| {
                Ok(CustomerGroup {
                    first_quarter: r.get(0)?,
                    new: r.get(1)?,
                    birth_year: r.get(2)?,
                    customers: r.get(3)?,
                    visits: r.get(4)?,
                    fen: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let payments = self
            .conn()
            .prepare_cached(&format!(
                "SELECT v.at / 900000, v.kind = 'refund', p.method, COUNT(*), COALESCE(SUM(p.amount_fen), 0)
                 FROM visits v JOIN payments p ON p.visit_id = v.id
                 WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING}
                 GROUP BY 1, 2, 3"
            ))?
            .query_map(params![start, end], |r| {
                Ok(PaymentSum {
                    quarter: r.get(0)?,
                    refund: r.get(1)?,
                    method: r.get(2)?,
                    count: r.get(3)?,
                    fen: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let items = self
            .conn()
            .prepare_cached(&format!(
                // grouped first, then the few groups named (not a lookup per item)
                "WITH g AS (
                    SELECT i.kind, i.service_id, i.product_id, i.staff_id,
                           COALESCE(SUM(i.quantity), 0) AS quantity, COALESCE(SUM(i.amount_fen), 0) AS fen
                    FROM visits v JOIN visit_items i ON i.visit_id = v.id
                    WHERE v.at >= ?1 AND v.at < ?2 AND {STANDING}
                    GROUP BY i.kind, i.service_id, i.product_id, i.staff_id
                 )
                 SELECT g.kind, g.service_id, s.name, COALESCE(s.category, p.category), g.staff_id, st.name, g.quantity, g.fen
                 FROM g LEFT JOIN services s ON s.id = g.service_id
                 LEFT JOIN products p ON p.id = g.product_id
                 LEFT JOIN staff st ON st.id = g.staff_id"
            ))?
            .query_map(params![start, end], |r| {
                Ok(ItemSum {
                    kind: r.get(0)?,
                    service_id: r.get(1)?,
                    service: r.get(2)?,
                    category: r.get(3)?,
                    staff_id: r.get(4)?,
                    staff: r.get(5)?,
                    quantity: r.get(6)?,
                    fen: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(RangeVisits { quarters: self.quarter_counts(r)?, customers, payments, items })
    }

    /// Checkouts that stand per 15 minutes of the range (visits and walk-ins only).
    pub fn quarter_counts(&self, r: Interval) -> Result<Vec<Bucket>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT v.at / 900000, COUNT(*), COUNT(*) FILTER (WHERE v.customer_id IS NULL)
                 FROM visits v
                 WHERE v.at >= ?1 AND v.at < ?2 AND v.kind = 'checkout' AND v.status = 'completed' AND v.voids_visit_id IS NULL
                 GROUP BY 1 ORDER BY 1",
            )?
            .query_map(params![ms(r.start), ms(r.end)], |r| {
                Ok(Bucket { quarter: r.get(0)?, visits: r.get(1)?, walk_ins: r.get(2)?, first_visits: 0, money_fen: 0 })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The daily totals the database keeps give the same sums as the rows, for ranges that
    /// start and end anywhere (on a UTC midnight, inside a day, within one day, before
    /// anything), and the ledgers refuse to be rewritten.
    #[test]
    fn daily_totals_equal_the_rows_sums() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.sqlite3"), chrono_tz::Asia::Shanghai).unwrap();
        let base = 1_780_000_000_000i64; // 2026-05-28, inside a UTC day
        s.write(|tx| {
            tx.exec(
                "INSERT INTO customers (id, member_code, name, source, created_at, updated_at)
                 VALUES ('c', 'M1', '林', 'cli', 0, 0)",
                [],
            )?;
            // rows every 7 hours over three weeks, with several reasons
            for i in 0..72i64 {
                let at = base + i * 7 * 3_600_000;
                let reason = ["topup", "spend", "refund", "expired", "import"][(i % 5) as usize];
                tx.exec(
                    "INSERT INTO stored_value_ledger (id, customer_id, principal_delta_fen, bonus_delta_fen, reason, at)
                     VALUES (?1, 'c', ?2, ?3, ?4, ?5)",
                    params![format!("s{i}"), 1000 + i, i % 3, reason, at],
                )?;
                let reason = ["earned", "redeemed", "expired", "checkin", "adjust", "referral"][(i % 6) as usize];
                tx.exec(
                    "INSERT INTO points_ledger (id, customer_id, delta, reason, at) VALUES (?1, 'c', ?2, ?3, ?4)",
                    params![format!("p{i}"), 10 + i, reason, at],
                )?;
            }
            Ok::<_, crate::store::StoreError>(())
        })
        .unwrap();
        let midnight = (base / DAY_MS + 1) * DAY_MS;
        let ranges = [
            (i64::MIN, base),
            (i64::MIN, base + 5 * DAY_MS + 1),
            (i64::MIN, midnight),
            (midnight, midnight + 7 * DAY_MS),
            (midnight - 1, midnight + 7 * DAY_MS + 1),
            (base + 3_600_000, base + 13 * DAY_MS - 16 * 3_600_000),
            (midnight + 3_600_000, midnight + 5 * 3_600_000),
            (base + 30 * DAY_MS, base + 40 * DAY_MS),
        ];
        s.read(|tx| {
            for (from, to) in ranges {
                for (ledger, sql) in [
                    (
                        Ledger::StoredValue,
                        "SELECT reason, SUM(principal_delta_fen), SUM(bonus_delta_fen) FROM stored_value_ledger
                         WHERE at >= ?1 AND at < ?2 GROUP BY reason",
                    ),
                    (
                        Ledger::Points,
                        "SELECT reason, SUM(delta), 0 FROM points_ledger WHERE at >= ?1 AND at < ?2 GROUP BY reason",
                    ),
                ] {
                    let mut st = tx.conn().prepare(sql)?;
                    let rows: ReasonSums = st
                        .query_map(params![from, to], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
                        .collect::<rusqlite::Result<_>>()?;
                    assert_eq!(tx.ledger_by_reason(ledger, from, to)?, rows, "{ledger:?} over [{from}, {to})");
                }
            }
            Ok::<_, crate::store::StoreError>(())
        })
        .unwrap();
        assert_eq!(s.read(|tx| tx.ledger_totals_mismatches()).unwrap(), 0);
        for sql in [
            "UPDATE stored_value_ledger SET principal_delta_fen = 0",
            "DELETE FROM stored_value_ledger",
            "UPDATE points_ledger SET delta = 0",
            "DELETE FROM points_ledger",
        ] {
            let r = s.write(|tx| tx.exec(sql, []).map_err(crate::store::StoreError::from));
            assert!(matches!(r, Err(e) if e.to_string().contains("append-only")), "{sql}");
        }
        // a total altered behind salonbox's back is found
        s.write(|tx| {
            tx.exec(
                "UPDATE points_days SET delta = delta + 1 WHERE (day, reason) = (SELECT day, reason FROM points_days LIMIT 1)",
                [],
            )
            .map_err(crate::store::StoreError::from)
        })
        .unwrap();
        assert_eq!(s.read(|tx| tx.ledger_totals_mismatches()).unwrap(), 2, "the changed day, both ways");
    }
}
