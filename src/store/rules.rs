//! Rule changes waiting for their day, check-in points and referrals.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Result, Tx, from_ms, ms, new_id};

/// A rule change entered for a later day (or already applied, as the record).
#[derive(Debug, Clone, Serialize)]
pub struct RuleChangeRow {
    pub id: String,
    pub effective_on: NaiveDate,
    /// `app::rules::RuleChange` as JSON.
    pub change: String,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

fn change_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RuleChangeRow> {
    let on: String = r.get(1)?;
    Ok(RuleChangeRow {
        id: r.get(0)?,
        effective_on: NaiveDate::parse_from_str(&on, "%Y-%m-%d")
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?,
        change: r.get(2)?,
        actor: r.get(3)?,
        created_at: from_ms(r.get(4)?),
        applied_at: r.get::<_, Option<i64>>(5)?.map(from_ms),
        cancelled_at: r.get::<_, Option<i64>>(6)?.map(from_ms),
    })
}

const CHANGE_COLUMNS: &str = "id, effective_on, change, actor, created_at, applied_at, cancelled_at";

/// A referral's points as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralAward {
    pub referred_id: String,
    pub referrer_id: String,
    pub visit_id: String,
    pub points: i64,
    pub at: DateTime<Utc>,
}

fn award_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReferralAward> {
    Ok(ReferralAward {
        referred_id: r.get(0)?,
        referrer_id: r.get(1)?,
        visit_id: r.get(2)?,
        points: r.get(3)?,
        at: from_ms(r.get(4)?),
    })
}

impl Tx<'_> {
    pub fn schedule_rule_change(
        &self,
        effective_on: NaiveDate,
        change: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        self.exec(
            "INSERT INTO rule_changes (id, effective_on, change, actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, effective_on.to_string(), change, actor, ms(now)],
        )?;
        Ok(id)
    }

    /// Changes due on or before `today` and not applied yet, in the order they were entered.
    pub fn due_rule_changes(&self, today: NaiveDate) -> Result<Vec<RuleChangeRow>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {CHANGE_COLUMNS} FROM rule_changes
             WHERE applied_at IS NULL AND cancelled_at IS NULL AND effective_on <= ?1
             ORDER BY effective_on, created_at, id"
        ))?;
        let rows = st.query_map([today.to_string()], change_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Whether any change is due by `today` (one look at a small partial index).
    pub fn any_rule_change_due(&self, today: NaiveDate) -> Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM rule_changes WHERE applied_at IS NULL AND cancelled_at IS NULL AND effective_on <= ?1 LIMIT 1",
                [today.to_string()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn mark_rule_change_applied(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec("UPDATE rule_changes SET applied_at = ?2 WHERE id = ?1", params![id, ms(now)])?;
        Ok(())
    }

    /// Withdraws a change that has not been applied; false when there is none such.
    pub fn cancel_rule_change(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.exec(
            "UPDATE rule_changes SET cancelled_at = ?2 WHERE id = ?1 AND applied_at IS NULL AND cancelled_at IS NULL",
            params![id, ms(now)],
        )? == 1)
    }

    /// Changes still waiting, then the latest applied ones (the record), at most `limit`.
    pub fn rule_changes(&self, limit: u32) -> Result<Vec<RuleChangeRow>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {CHANGE_COLUMNS} FROM rule_changes
             ORDER BY (applied_at IS NULL AND cancelled_at IS NULL) DESC, effective_on DESC, created_at DESC, rowid DESC LIMIT ?1"
        ))?;
        let rows = st.query_map([limit], change_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A points ledger row outside any checkout's own rows (check-in, referral).
    pub fn add_points(
        &self,
        customer_id: &str,
        delta: i64,
        reason: &str,
        visit_id: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO points_ledger (id, customer_id, delta, reason, visit_id, rule, expires_at, at)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)",
            params![new_id(), customer_id, delta, reason, visit_id, expires_at.map(ms), ms(at)],
        )?;
        Ok(())
    }

    /// Whether the customer already got check-in points at or after `since`.
    pub fn checkin_points_since(&self, customer_id: &str, since: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM points_ledger WHERE customer_id = ?1 AND at >= ?2 AND reason = 'checkin' LIMIT 1",
                params![customer_id, ms(since)],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn set_referrer(&self, customer_id: &str, referrer_id: &str) -> Result<()> {
        self.exec("UPDATE customers SET referred_by = ?2 WHERE id = ?1", params![customer_id, referrer_id])?;
        Ok(())
    }

    /// Who recommended this customer, if anyone (a deleted referrer is no one).
    pub fn referrer_of(&self, customer_id: &str) -> Result<Option<String>> {
        Ok(self
            .row(
                "SELECT r.id FROM customers c JOIN customers r ON r.id = c.referred_by
                 WHERE c.id = ?1 AND r.deleted_at IS NULL",
                [customer_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn referral_award(&self, referred_id: &str) -> Result<Option<ReferralAward>> {
        Ok(self
            .row(
                "SELECT referred_id, referrer_id, visit_id, points, at FROM referral_awards WHERE referred_id = ?1",
                [referred_id],
                award_row,
            )
            .optional()?)
    }

    pub fn referral_award_by_visit(&self, visit_id: &str) -> Result<Option<ReferralAward>> {
        Ok(self
            .row(
                "SELECT referred_id, referrer_id, visit_id, points, at FROM referral_awards WHERE visit_id = ?1",
                [visit_id],
                award_row,
            )
            .optional()?)
    }

    /// The awards a referrer earned at or after `since`.
    pub fn referral_awards_since(&self, referrer_id: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(self.row(
            "SELECT COUNT(*) FROM referral_awards WHERE referrer_id = ?1 AND at >= ?2",
            params![referrer_id, ms(since)],
            |r| r.get(0),
        )?)
    }

    /// Everyone a customer recommended, with the award each brought (if any yet).
    pub fn referrals_by(&self, referrer_id: &str) -> Result<Vec<(String, String, Option<i64>)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT c.id, c.name, a.points FROM customers c LEFT JOIN referral_awards a ON a.referred_id = c.id
             WHERE c.referred_by = ?1 AND c.deleted_at IS NULL ORDER BY c.created_at",
        )?;
        let rows = st
            .query_map([referrer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn insert_referral_award(&self, a: &ReferralAward) -> Result<()> {
        self.exec(
            "INSERT INTO referral_awards (referred_id, referrer_id, visit_id, points, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![a.referred_id, a.referrer_id, a.visit_id, a.points, ms(a.at)],
        )?;
        Ok(())
    }

    pub fn delete_referral_award(&self, referred_id: &str) -> Result<()> {
        self.exec("DELETE FROM referral_awards WHERE referred_id = ?1", [referred_id])?;
        Ok(())
    }

    /// Deactivates a rebate rule; false when no active rule has that id or name.
    pub fn end_rebate_rule(&self, key: &str) -> Result<bool> {
        Ok(self.exec("UPDATE rebate_rules SET active = 0 WHERE (id = ?1 OR name = ?1) AND active = 1", [key])? > 0)
    }

    /// Ends a top-up bonus rule; false when there is none at that amount.
    pub fn end_topup_bonus(&self, min_topup_fen: i64) -> Result<bool> {
        Ok(self
            .exec("UPDATE topup_bonus_rules SET active = 0 WHERE min_topup_fen = ?1 AND active = 1", [min_topup_fen])?
            == 1)
    }
}
