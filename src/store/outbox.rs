//! The two outboxes: events for the cloud and messages for people.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Result, Tx, from_ms, ms, new_id};

/// A message to send (SMS, WeChat, staff group, ...), deduplicated by `dedupe_key`.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub dedupe_key: String,
    /// transactional, marketing, staff
    pub kind: &'static str,
    /// customer, staff_group, owner, direct (the address is `recipient`)
    pub audience: &'static str,
    pub customer_id: Option<String>,
    pub recipient: Option<String>,
    pub template: &'static str,
    /// The template's parameters as a JSON object (`serde_json::to_string` of a struct).
    pub params: String,
    pub not_before: DateTime<Utc>,
    pub not_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OutboxStats {
    pub sync_pending: i64,
    pub sync_rejected: i64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub notifications_pending: i64,
}

impl Tx<'_> {
    /// Records a sync event (`spec/cloud-sync-v1.md`): a fresh UUIDv7 id and the next `seq`.
    /// The payload must never hold an identity-card number: callers pass snapshots built
    /// from stored fields, and the store holds none.
    pub fn emit_event<P: Serialize + ?Sized>(
        &self,
        event_type: &str,
        occurred: DateTime<Utc>,
        payload: &P,
    ) -> Result<()> {
        let occurred_at = self.rfc3339(occurred);
        self.conn()
            .prepare_cached(
                "INSERT INTO sync_outbox (id, type, occurred_at, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![new_id(), event_type, occurred_at, serde_json::to_string(payload)?, ms(occurred)])?;
        Ok(())
    }

    /// Queues a message; a second one with the same dedupe key is ignored. Returns whether
    /// a row was written.
    pub fn enqueue_notification(&self, n: &NewNotification, now: DateTime<Utc>) -> Result<bool> {
        let written = self
            .conn()
            .prepare_cached(
                "INSERT OR IGNORE INTO notification_outbox (id, dedupe_key, kind, audience, customer_id, recipient, template, params,
                    not_before, not_after, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?11)",
            )?
            .execute(params![
                new_id(),
                n.dedupe_key,
                n.kind,
                n.audience,
                n.customer_id,
                n.recipient,
                n.template,
                n.params,
                ms(n.not_before),
                n.not_after.map(ms),
                ms(now),
            ])?;
        Ok(written == 1)
    }

    pub fn outbox_stats(&self) -> Result<OutboxStats> {
        let (pending, rejected): (i64, i64) = self.row(
            "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'rejected'), 0) FROM sync_outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let oldest: Option<i64> = self
            .row("SELECT MIN(created_at) FROM sync_outbox WHERE status = 'pending'", [], |r| r.get(0))
            .optional()?
            .flatten();
        let notifications: i64 =
            self.row("SELECT COUNT(*) FROM notification_outbox WHERE status = 'pending'", [], |r| r.get(0))?;
        Ok(OutboxStats {
            sync_pending: pending,
            sync_rejected: rejected,
            oldest_pending_at: oldest.map(from_ms),
            notifications_pending: notifications,
        })
    }

    /// The pending sync events, oldest first: `(seq, id, type, payload)`. The scan starts at
    /// `sync_state.push_floor` (the lowest seq that may still be pending; 0 when unset) and
    /// follows the rowid: the outbox has no index on its status (migration 0002).
    pub fn pending_events(&self, limit: u32) -> Result<Vec<(i64, String, String, serde_json::Value)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT seq, id, type, payload FROM sync_outbox
             WHERE seq >= COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'push_floor'), 0)
               AND status = 'pending'
             ORDER BY seq LIMIT ?1",
        )?;
        let rows = st
            .query_map([limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|(seq, id, t, p)| Ok((seq, id, t, serde_json::from_str(&p)?))).collect()
    }

    /// Moves the sender's scan start: every event below `seq` has been delivered or set
    /// aside. It never moves back.
    pub fn set_push_floor(&self, seq: i64) -> Result<()> {
        self.exec(
            "INSERT INTO sync_state (key, value) VALUES ('push_floor', ?1)
             ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [seq.to_string()],
        )?;
        Ok(())
    }

    /// The staff-arrival alerts still pending whose check-in happened at or after `since`,
    /// oldest first: `(dedupe_key, params)`. Their keys are `arrival:<UUIDv7>`, which sort by
    /// time, so this reads a range of the primary key; such alerts are not in the due index
    /// (migration 0005).
    pub fn pending_arrival_alerts(&self, since: DateTime<Utc>) -> Result<Vec<(String, serde_json::Value)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT dedupe_key, params FROM notification_outbox
             WHERE dedupe_key >= ?1 AND dedupe_key < 'arrival;' AND status = 'pending'
             ORDER BY dedupe_key",
        )?;
        let rows = st
            .query_map([arrival_key_floor(since)], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|(k, p)| Ok((k, serde_json::from_str(&p)?))).collect()
    }
}

/// The smallest `arrival:` key of an alert whose UUIDv7 was made at or after `t`.
fn arrival_key_floor(t: DateTime<Utc>) -> String {
    let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    format!("arrival:{}", uuid::Builder::from_unix_timestamp_millis(ms, &[0; 10]).into_uuid())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn arrival_key_floor_sorts_with_the_ids_made_at_that_time() {
        let t = Utc::now();
        let id = super::super::new_id();
        let before = arrival_key_floor(t - Duration::seconds(1));
        let after = arrival_key_floor(t + Duration::seconds(1));
        let key = format!("arrival:{id}");
        assert!(before <= key, "{before} <= {key}");
        assert!(key < after, "{key} < {after}");
        assert!(after.as_str() < "arrival;");
    }
}
