//! Feedback (反馈) and the customer's interaction record (客户互动记录).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::time::Interval;

/// What a rating is about: a checkout, its customer, services and beauticians.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VisitBrief {
    pub id: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub at: DateTime<Utc>,
    pub voided: bool,
    /// `checkout`, `topup`, `course_sale` or `refund`.
    pub kind: String,
    pub services: Vec<String>,
    pub staff: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FeedbackRow {
    pub id: String,
    pub visit_id: Option<String>,
    pub customer: Option<String>,
    pub rating: i64,
    pub comment: String,
    pub channel: String,
    pub at: DateTime<Utc>,
}

/// `(beautician or service, ratings, sum of stars)`.
pub type RatingSum = (String, i64, i64);

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Interaction {
    pub kind: String,
    pub text: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl Tx<'_> {
    pub fn visit_brief(&self, visit_id: &str) -> Result<VisitBrief> {
        self.brief_of(visit_id, false)
    }

    /// Any visit that is not a reversal: a checkout, a top-up, a course sale, a refund.
    pub fn visit_record(&self, visit_id: &str) -> Result<VisitBrief> {
        self.brief_of(visit_id, true)
    }

    fn brief_of(&self, visit_id: &str, any_kind: bool) -> Result<VisitBrief> {
        let (customer_id, customer_name, at, status, kind): (Option<String>, Option<String>, i64, String, String) = self
            .row(
                "SELECT v.customer_id, c.name, v.at, v.status, v.kind FROM visits v LEFT JOIN customers c ON c.id = v.customer_id
                 WHERE v.id = ?1 AND (?2 OR v.kind = 'checkout') AND v.voids_visit_id IS NULL",
                rusqlite::params![visit_id, any_kind],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "消费记录", what_en: "visit", key: visit_id.to_string() })?;
        let mut st = self.conn().prepare_cached(
            "SELECT DISTINCT s.name, st.name FROM visit_items i LEFT JOIN services s ON s.id = i.service_id
             LEFT JOIN staff st ON st.id = i.staff_id WHERE i.visit_id = ?1 AND i.service_id IS NOT NULL",
        )?;
        let mut services = Vec::new();
        let mut staff = Vec::new();
        for row in st.query_map([visit_id], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?)))? {
            let (s, p) = row?;
            if let Some(s) = s
                && !services.contains(&s)
            {
                services.push(s);
            }
            if let Some(p) = p
                && !staff.contains(&p)
            {
                staff.push(p);
            }
        }
        Ok(VisitBrief {
            id: visit_id.to_string(),
            customer_id,
            customer_name,
            at: from_ms(at),
            voided: status == "voided",
            kind,
            services,
            staff,
        })
    }

    /// A customer's latest checkout that is not voided.
    pub fn last_visit_of(&self, customer_id: &str) -> Result<Option<String>> {
        Ok(self
            .row(
                "SELECT id FROM visits WHERE customer_id = ?1 AND kind = 'checkout' AND status = 'completed'
                   AND voids_visit_id IS NULL ORDER BY at DESC LIMIT 1",
                [customer_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records a rating; a visit is rated once.
    pub fn insert_feedback(
        &self,
        visit: &VisitBrief,
        rating: i64,
        comment: &str,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        let n = self.exec(
            "INSERT OR IGNORE INTO feedback (id, customer_id, visit_id, rating, comment, channel, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, visit.customer_id, visit.id, rating, crate::domain::idcard::mask_in_text(comment), channel, ms(now)],
        )?;
        if n == 0 {
            return Err(StoreError::Duplicate {
                what: "这次消费的评价",
                what_en: "rating of this visit",
                key: visit.id.clone(),
            });
        }
        Ok(id)
    }

    pub fn feedback_since(&self, since: DateTime<Utc>, limit: u32) -> Result<Vec<FeedbackRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT f.id, f.visit_id, c.name, f.rating, f.comment, f.channel, f.at FROM feedback f
             LEFT JOIN customers c ON c.id = f.customer_id WHERE f.at >= ?1 ORDER BY f.at DESC, f.rowid DESC LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![ms(since), limit], |r| {
                Ok(FeedbackRow {
                    id: r.get(0)?,
                    visit_id: r.get(1)?,
                    customer: r.get(2)?,
                    rating: r.get(3)?,
                    comment: r.get(4)?,
                    channel: r.get(5)?,
                    at: from_ms(r.get(6)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Ratings within `range` by beautician and by service.
    pub fn ratings_by(&self, range: Interval) -> Result<(Vec<RatingSum>, Vec<RatingSum>)> {
        let by = |column: &str, join: &str| -> Result<Vec<RatingSum>> {
            let sql = format!(
                "SELECT x.name, COUNT(*), SUM(rating) FROM (
                     SELECT DISTINCT f.id, f.rating, i.{column} AS who FROM feedback f
                     JOIN visit_items i ON i.visit_id = f.visit_id
                     WHERE f.at >= ?1 AND f.at < ?2 AND i.{column} IS NOT NULL AND i.service_id IS NOT NULL
                 ) r JOIN {join} x ON x.id = r.who GROUP BY x.id ORDER BY SUM(rating) * 1.0 / COUNT(*) DESC, x.name"
            );
            Ok(self
                .conn()
                .prepare_cached(&sql)?
                .query_map(params![ms(range.start), ms(range.end)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        };
        Ok((by("staff_id", "staff")?, by("service_id", "services")?))
    }

    pub fn add_interaction(
        &self,
        customer_id: &str,
        kind: &str,
        text: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO customer_interactions (id, customer_id, kind, text, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![new_id(), customer_id, kind, crate::domain::idcard::mask_in_text(text), actor, ms(now)],
        )?;
        Ok(())
    }

    pub fn interactions(&self, customer_id: &str, limit: u32) -> Result<Vec<Interaction>> {
        let mut st = self.conn().prepare_cached(
            "SELECT kind, text, actor, at FROM customer_interactions WHERE customer_id = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![customer_id, limit], |r| {
                Ok(Interaction { kind: r.get(0)?, text: r.get(1)?, actor: r.get(2)?, at: from_ms(r.get(3)?) })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
