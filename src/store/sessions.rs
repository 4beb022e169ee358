//! The back office's logins: browser sessions and staff passwords.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Result, StoreError, Tx, from_ms, ms};

/// One consent event: `(kind, granted, notice version, channel, at)`.
pub type ConsentRow = (String, bool, Option<String>, String, DateTime<Utc>);

/// A customer who asked for no more marketing: by replying 回T退订 (`customer.unsubscribed`
/// from the cloud) or by withdrawing her consent at the desk.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OptOut {
    pub customer_id: String,
    pub name: String,
    pub phone: Option<String>,
    /// `true`: replied 退订 to a message; `false`: withdrew her consent (desk, kiosk, import).
    pub replied: bool,
    pub at: DateTime<Utc>,
}

/// A browser's session as stored (the token itself is never stored, only its hash).
#[derive(Debug, Clone)]
pub struct WebSessionRow {
    pub staff_id: String,
    pub csrf: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl Tx<'_> {
    pub fn staff_password_hash(&self, staff_id: &str) -> Result<Option<String>> {
        Ok(self.row("SELECT password_hash FROM staff WHERE id = ?1", [staff_id], |r| r.get(0))?)
    }

    /// Sets a password; every session of that person ends.
    pub fn set_staff_password(&self, staff_id: &str, hash: &str, now: DateTime<Utc>) -> Result<()> {
        let n = self.exec(
            "UPDATE staff SET password_hash = ?2, pin_failures = 0, pin_locked_until = NULL, updated_at = ?3 WHERE id = ?1",
            params![staff_id, hash, ms(now)],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "员工", what_en: "staff member", key: staff_id.to_string() });
        }
        self.exec(
            "UPDATE web_sessions SET ended_at = ?2 WHERE staff_id = ?1 AND ended_at IS NULL",
            params![staff_id, ms(now)],
        )?;
        Ok(())
    }

    pub fn insert_web_session(
        &self,
        token_hash: &str,
        staff_id: &str,
        csrf: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO web_sessions (token_hash, staff_id, csrf, address, created_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![token_hash, staff_id, csrf, address, ms(now)],
        )?;
        Ok(())
    }

    pub fn web_session(&self, token_hash: &str) -> Result<Option<WebSessionRow>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT staff_id, csrf, address, created_at, seen_at, ended_at FROM web_sessions WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok(WebSessionRow {
                    staff_id: r.get(0)?,
                    csrf: r.get(1)?,
                    address: r.get(2)?,
                    created_at: from_ms(r.get(3)?),
                    seen_at: from_ms(r.get(4)?),
                    ended_at: r.get::<_, Option<i64>>(5)?.map(from_ms),
                })
            })
            .optional()?)
    }

    pub fn touch_web_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec("UPDATE web_sessions SET seen_at = ?2 WHERE token_hash = ?1", params![token_hash, ms(now)])?;
        Ok(())
    }

    pub fn end_web_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE web_sessions SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
            params![token_hash, ms(now)],
        )?;
        Ok(())
    }

    /// Forgets sessions that ended or began before `before` (nothing in them is needed:
    /// logins and logouts are in the audit log).
    pub fn purge_web_sessions(&self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self.exec(
            "DELETE FROM web_sessions WHERE created_at < ?1 OR (ended_at IS NOT NULL AND ended_at < ?1)",
            [ms(before)],
        )?)
    }

    /// Whether a beautician has served or is booked for a customer (an appointment, a queue
    /// entry or a visit line of hers): her customers, whose care information she may see.
    pub fn is_customer_of(&self, customer_id: &str, staff_id: &str) -> Result<bool> {
        Ok(self.row(
            "SELECT EXISTS (SELECT 1 FROM appointments WHERE customer_id = ?1 AND staff_id = ?2)
                 OR EXISTS (SELECT 1 FROM queue_entries WHERE customer_id = ?1 AND (staff_id = ?2 OR served_by = ?2))
                 OR EXISTS (SELECT 1 FROM visit_items i JOIN visits v ON v.id = i.visit_id
                            WHERE v.customer_id = ?1 AND i.staff_id = ?2)",
            params![customer_id, staff_id],
            |r| r.get(0),
        )?)
    }

    /// A customer's consent record, oldest first: `(kind, granted, notice version, channel, at)`.
    pub fn consents(&self, customer_id: &str) -> Result<Vec<ConsentRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT kind, granted, notice_version, channel, at FROM consents WHERE customer_id = ?1 ORDER BY at, id",
        )?;
        Ok(st
            .query_map([customer_id], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? == 1, r.get(2)?, r.get(3)?, from_ms(r.get(4)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Who opted out of marketing, newest first.
    pub fn opt_outs(&self, limit: u32) -> Result<Vec<OptOut>> {
        let mut st = self.conn().prepare_cached(
            "WITH w AS (SELECT customer_id, MAX(at) AS at FROM consents
                        WHERE kind = 'marketing' AND granted = 0 GROUP BY customer_id)
             SELECT id, name, phone, replied, withdrawn FROM (
                 -- replied 退订 (whatever the consent says now)
                 SELECT c.id, c.name, c.phone, c.marketing_opt_out_at AS replied, w.at AS withdrawn
                 FROM customers c LEFT JOIN w ON w.customer_id = c.id
                 WHERE c.marketing_opt_out_at IS NOT NULL AND c.deleted_at IS NULL
                 UNION
                 -- withdrew at the desk and has not consented again
                 SELECT c.id, c.name, c.phone, c.marketing_opt_out_at, w.at
                 FROM w JOIN customers c ON c.id = w.customer_id
                 WHERE c.marketing_consent = 0 AND c.deleted_at IS NULL)
             ORDER BY MAX(COALESCE(replied, 0), COALESCE(withdrawn, 0)) DESC, id
             LIMIT ?1",
        )?;
        Ok(st
            .query_map([limit], |r| {
                let replied: Option<i64> = r.get(3)?;
                let withdrawn: Option<i64> = r.get(4)?;
                Ok(OptOut {
                    customer_id: r.get(0)?,
                    name: r.get(1)?,
                    phone: r.get(2)?,
                    replied: replied.is_some(),
                    at: from_ms(replied.max(withdrawn).unwrap_or_default()),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
