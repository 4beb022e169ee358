//! The two outboxes: events for the cloud and messages for people.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::sync::OutgoingEvent;
use super::{Result, StoreError, Tx, from_ms, ms, new_id};

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
    /// from stored fields, and the store holds none. With cloud sync off nothing is queued
    /// (`Store::set_events`); switched on later, `start_events` queues what the cloud needs.
    pub fn emit_event<P: Serialize + ?Sized>(
        &self,
        event_type: &str,
        occurred: DateTime<Utc>,
        payload: &P,
    ) -> Result<()> {
        debug_assert!(
            crate::domain::sync::EVENT_TYPES.contains(&event_type) || event_type.starts_with("test."),
            "{event_type} is not a v1 event type"
        );
        if !self.events {
            return Ok(());
        }
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
                // a comment or a campaign's text quoted in a message is free text like any other
                crate::domain::idcard::mask_in_text(&n.params),
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

    /// The pending sync events, oldest first, as the sender pushes them. The scan starts at
    /// `sync_state.push_floor` (the lowest seq that may still be pending; 0 when unset) and
    /// follows the rowid: the outbox has no index on its status (migration 0002).
    pub fn pending_events(&self, limit: usize) -> Result<Vec<OutgoingEvent>> {
        let mut st = self.conn().prepare_cached(
            "SELECT seq, id, type, occurred_at, payload FROM sync_outbox
             WHERE seq >= COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'push_floor'), 0)
               AND status = 'pending'
             ORDER BY seq LIMIT ?1",
        )?;
        let rows = st
            .query_map([limit as i64], |r| {
                Ok(OutgoingEvent {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    event_type: r.get(2)?,
                    occurred_at: r.get(3)?,
                    payload: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
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
}

/// A message in the outbox, as the sender and `salonbox notifications list` see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Notification {
    pub id: String,
    pub dedupe_key: String,
    pub kind: String,
    pub audience: String,
    pub customer_id: Option<String>,
    pub recipient: Option<String>,
    pub template: String,
    pub params: serde_json::Value,
    pub not_before: DateTime<Utc>,
    pub not_after: Option<DateTime<Utc>>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_via: Option<String>,
    pub provider_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The channel of the attempt in hand, or of the one whose outcome is unknown.
    pub attempt_via: Option<String>,
    pub attempt_at: Option<DateTime<Utc>>,
    /// How often the provider was asked about an unknown outcome.
    pub checks: i64,
    /// When the provider is asked next; `unknown` without it waits for a person.
    pub check_after: Option<DateTime<Utc>>,
}

const NOTIFICATION: &str =
    "SELECT id, dedupe_key, kind, audience, customer_id, recipient, template, params, not_before,
    not_after, status, attempts, last_error, sent_via, provider_ref, created_at, sent_at,
    attempt_via, attempt_at, checks, check_after FROM notification_outbox";

fn row_to_notification(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    let params: String = r.get(7)?;
    Ok(Notification {
        id: r.get(0)?,
        dedupe_key: r.get(1)?,
        kind: r.get(2)?,
        audience: r.get(3)?,
        customer_id: r.get(4)?,
        recipient: r.get(5)?,
        template: r.get(6)?,
        params: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
        not_before: from_ms(r.get(8)?),
        not_after: r.get::<_, Option<i64>>(9)?.map(from_ms),
        status: r.get(10)?,
        attempts: r.get(11)?,
        last_error: r.get(12)?,
        sent_via: r.get(13)?,
        provider_ref: r.get(14)?,
        created_at: from_ms(r.get(15)?),
        sent_at: r.get::<_, Option<i64>>(16)?.map(from_ms),
        attempt_via: r.get(17)?,
        attempt_at: r.get::<_, Option<i64>>(18)?.map(from_ms),
        checks: r.get(19)?,
        check_after: r.get::<_, Option<i64>>(20)?.map(from_ms),
    })
}

/// A scheduled job's last run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// The cron time it ran for.
    pub last_due: DateTime<Utc>,
    pub ran_at: DateTime<Utc>,
    pub result: String,
}

/// How a customer can be reached, read when a message is sent (not when it was queued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub gender: String,
    pub phone: Option<String>,
    pub wechat_openid: Option<String>,
    pub marketing_consent: bool,
    pub opted_out: bool,
    pub deleted: bool,
}

impl Tx<'_> {
    /// The staff-arrival alerts still pending whose check-in happened at or after `since`
    /// and whose time has come (`not_before`: an alert whose bot failed waits out its
    /// back-off), oldest first. Their keys are `arrival:<UUIDv7>`, which sort by time, so
    /// this reads a range of the primary key; such alerts are not in the due index
    /// (migration 0005).
    pub fn pending_arrival_alerts(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "{NOTIFICATION} WHERE dedupe_key >= ?1 AND dedupe_key < 'arrival;' AND status = 'pending' AND not_before <= ?2
                 ORDER BY dedupe_key LIMIT ?3"
            ))?
            .query_map(params![arrival_key_floor(since), ms(now), limit], row_to_notification)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Messages due at `now`, oldest first: staff-arrival alerts of the last `arrival_window`
    /// (read by key), then the rest (read from the due index).
    ///
    /// An arrival alert's key holds the id's time, which is the system clock's when the
    /// check-in was written ([`super::new_id`]), so its window is measured on that clock too.
    pub fn due_notifications(
        &self,
        now: DateTime<Utc>,
        arrival_window: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        let mut out = self.pending_arrival_alerts(Utc::now() - arrival_window, now, limit)?;
        let rest = self
            .conn()
            .prepare_cached(&format!(
                "{NOTIFICATION} WHERE status = 'pending' AND not_before <= ?1 AND template <> 'staff_arrival'
                 ORDER BY not_before LIMIT ?2"
            ))?
            .query_map(params![ms(now), limit], row_to_notification)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.extend(rest);
        out.truncate(limit as usize);
        Ok(out)
    }

    /// When the next waiting message (not an arrival alert) falls due, if any.
    pub fn next_notification_due(&self) -> Result<Option<DateTime<Utc>>> {
        let t: Option<i64> = self.row(
            "SELECT MIN(not_before) FROM notification_outbox WHERE status = 'pending' AND template <> 'staff_arrival'",
            [],
            |r| r.get(0),
        )?;
        Ok(t.map(from_ms))
    }

    /// Arrival alerts older than `window` (on the ids' clock, see `due_notifications`) still
    /// pending are stale (the daemon was down): dropped with a reason rather than sent late.
    /// Returns how many.
    pub fn drop_stale_arrival_alerts(&self, now: DateTime<Utc>, window: chrono::Duration) -> Result<usize> {
        Ok(self.exec(
            "UPDATE notification_outbox SET status = 'dropped', last_error = ?2, updated_at = ?3
             WHERE dedupe_key >= 'arrival:' AND dedupe_key < ?1 AND status = 'pending'",
            params![arrival_key_floor(Utc::now() - window), "到店提醒已过时 / arrival alert too old to send", ms(now)],
        )?)
    }

    /// Takes a message for sending: `pending` → `sending`, one more attempt. False when
    /// someone else took it or it changed meanwhile.
    pub fn claim_notification(&self, dedupe_key: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.exec(
            "UPDATE notification_outbox SET status = 'sending', attempts = attempts + 1, updated_at = ?2
             WHERE dedupe_key = ?1 AND status = 'pending'",
            params![dedupe_key, ms(now)],
        )? == 1)
    }

    /// A channel took the message.
    pub fn settle_sent(
        &self,
        dedupe_key: &str,
        via: &str,
        provider_ref: Option<&str>,
        recipient: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let n = self.exec(
            "UPDATE notification_outbox SET status = 'sent', sent_via = ?2, provider_ref = ?3,
                 recipient = COALESCE(?4, recipient), sent_at = ?5, updated_at = ?5, last_error = NULL,
                 check_after = NULL
             WHERE dedupe_key = ?1 AND status IN ('sending', 'unknown')",
            params![dedupe_key, via, provider_ref, recipient, ms(now)],
        )?;
        if n == 1 {
            // `notification.sent` (spec/cloud-sync-v1.md): what went to whom, without the
            // text or the address (the customer's snapshot has those already).
            let (id, kind, audience, customer_id, template): (String, String, String, Option<String>, String) = self
                .row(
                    "SELECT id, kind, audience, customer_id, template FROM notification_outbox WHERE dedupe_key = ?1",
                    [dedupe_key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )?;
            self.emit_event(
                "notification.sent",
                now,
                &serde_json::json!({
                    "id": id,
                    "dedupe_key": dedupe_key,
                    "kind": kind,
                    "audience": audience,
                    "customer_id": customer_id,
                    "template": template,
                    "channel": via,
                    "sent_at": self.rfc3339(now),
                }),
            )?;
        }
        Ok(())
    }

    /// Back to `pending` until `next_try`, with the reason (a temporary failure, or a rule
    /// that holds it back: quiet hours, the daily cap).
    pub fn settle_later(
        &self,
        dedupe_key: &str,
        reason: &str,
        next_try: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "UPDATE notification_outbox SET status = 'pending', not_before = ?3, last_error = ?2, updated_at = ?4,
                 check_after = NULL
             WHERE dedupe_key = ?1 AND status IN ('pending', 'sending', 'unknown')",
            params![dedupe_key, reason, ms(next_try), ms(now)],
        )?;
        Ok(())
    }

    /// The end of a message that will not be sent: `failed` (a channel refused it for good)
    /// or `dropped` (a rule: past its time, no consent, the appointment moved).
    pub fn settle_final(&self, dedupe_key: &str, status: &str, reason: &str, now: DateTime<Utc>) -> Result<()> {
        debug_assert!(matches!(status, "failed" | "dropped"));
        self.exec(
            "UPDATE notification_outbox SET status = ?2, last_error = ?3, updated_at = ?4, check_after = NULL
             WHERE dedupe_key = ?1 AND status IN ('pending', 'sending', 'unknown')",
            params![dedupe_key, status, reason, ms(now)],
        )?;
        Ok(())
    }

    /// Before a channel is tried: which one, and when (its own commit, so that a crash
    /// during the send leaves the channel to ask).
    pub fn record_attempt(&self, dedupe_key: &str, via: &str, to: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE notification_outbox SET attempt_via = ?2, attempt_at = ?3, checks = 0,
                 recipient = COALESCE(?4, recipient), updated_at = ?3
             WHERE dedupe_key = ?1 AND status = 'sending'",
            params![dedupe_key, via, ms(now), to],
        )?;
        Ok(())
    }

    /// A send whose outcome is not known: `unknown`, with the next look at the provider
    /// (`check_after`), or none when a person must decide. `looked`: this follows a look at
    /// the provider that told nothing yet (counted in `checks`).
    pub fn settle_unknown(
        &self,
        dedupe_key: &str,
        reason: &str,
        check_after: Option<DateTime<Utc>>,
        looked: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "UPDATE notification_outbox SET status = 'unknown', last_error = ?2, check_after = ?3, updated_at = ?4,
                 checks = checks + ?5
             WHERE dedupe_key = ?1 AND status IN ('sending', 'unknown')",
            params![dedupe_key, reason, check_after.map(ms), ms(now), i64::from(looked)],
        )?;
        Ok(())
    }

    /// Unknown outcomes whose look at the provider is due, oldest first.
    pub fn unknown_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Notification>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "{NOTIFICATION} WHERE status = 'unknown' AND check_after IS NOT NULL AND check_after <= ?1
                 ORDER BY check_after LIMIT ?2"
            ))?
            .query_map(params![ms(now), limit as i64], row_to_notification)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The next look at a provider that is due, if any.
    pub fn next_check_due(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .row("SELECT MIN(check_after) FROM notification_outbox WHERE status = 'unknown'", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?
            .map(from_ms))
    }

    /// At start-up: messages left `sending` were cut off by a crash or a kill. One that had
    /// not reached a channel (no `attempt_via`) goes back to `pending`: nothing was sent.
    /// The others stay `sending` and are returned as `(key, channel tried)`, for the caller
    /// to settle as the channel allows (`app::notify`).
    pub fn mark_interrupted_sends(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>> {
        self.exec(
            "UPDATE notification_outbox SET status = 'pending', not_before = ?1, updated_at = ?1,
                 last_error = '发送前中断，未发出 / interrupted before any channel was tried: not sent'
             WHERE status = 'sending' AND attempt_via IS NULL",
            [ms(now)],
        )?;
        Ok(self
            .conn()
            .prepare_cached("SELECT dedupe_key, attempt_via FROM notification_outbox WHERE status = 'sending'")?
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Messages staff should look at: `(unknown, failed since `since`)`. Reads the due index
    /// and the arrival alerts of the last day, not the whole outbox.
    pub fn message_problems(&self, since: DateTime<Utc>) -> Result<(i64, i64)> {
        let rest: (i64, i64) = self.row(
            "SELECT COUNT(*) FILTER (WHERE status = 'unknown' AND check_after IS NULL),
                    COUNT(*) FILTER (WHERE status = 'failed' AND updated_at >= ?1)
             FROM notification_outbox WHERE status IN ('unknown', 'failed') AND template <> 'staff_arrival'",
            [ms(since)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let arrivals: (i64, i64) = self.row(
            "SELECT COUNT(*) FILTER (WHERE status = 'unknown' AND check_after IS NULL), COUNT(*) FILTER (WHERE status = 'failed')
             FROM notification_outbox WHERE dedupe_key >= ?1 AND dedupe_key < 'arrival;' AND status IN ('unknown', 'failed')",
            [arrival_key_floor(Utc::now() - chrono::Duration::days(1))],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((rest.0 + arrivals.0, rest.1 + arrivals.1))
    }

    /// Retention: settled messages (sent, failed, dropped, cancelled; never `unknown`, which
    /// waits for staff) last touched before `before`. Returns how many went.
    pub fn purge_messages(&self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self.exec(
            "DELETE FROM notification_outbox WHERE status IN ('sent', 'failed', 'dropped', 'cancelled') AND updated_at < ?1",
            [ms(before)],
        )?)
    }

    /// Retention: sync events the cloud took before `before`, always keeping the one with
    /// the highest `seq` (it carries the counter: migration 0002).
    pub fn purge_delivered_events(&self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self.exec(
            "DELETE FROM sync_outbox WHERE status = 'delivered' AND delivered_at < ?1
               AND seq < (SELECT MAX(seq) FROM sync_outbox)",
            [ms(before)],
        )?)
    }

    /// Messages sent to `recipient` since `since` (the per-number daily cap).
    pub fn sent_to_since(&self, recipient: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(self.row(
            "SELECT COUNT(*) FROM notification_outbox WHERE recipient = ?1 AND sent_at >= ?2 AND kind <> 'staff'",
            params![recipient, ms(since)],
            |r| r.get(0),
        )?)
    }

    /// Messages for `salonbox notifications list`, newest first.
    pub fn notifications(&self, status: Option<&str>, limit: u32) -> Result<Vec<Notification>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "{NOTIFICATION} WHERE (?1 IS NULL OR status = ?1) ORDER BY created_at DESC, id DESC LIMIT ?2"
            ))?
            .query_map(params![status, limit], row_to_notification)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One message by its id or dedupe key.
    pub fn notification(&self, key: &str) -> Result<Notification> {
        self.conn()
            .prepare_cached(&format!("{NOTIFICATION} WHERE dedupe_key = ?1 OR id = ?1"))?
            .query_row([key], row_to_notification)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "消息", what_en: "message", key: key.to_string() })
    }

    /// Puts a failed, unknown or dropped message back in the queue (a staff decision).
    pub fn requeue_notification(&self, dedupe_key: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.exec(
            "UPDATE notification_outbox SET status = 'pending', not_before = ?2, updated_at = ?2, last_error = NULL,
                 check_after = NULL
             WHERE dedupe_key = ?1 AND status IN ('failed', 'unknown', 'dropped')",
            params![dedupe_key, ms(now)],
        )? == 1)
    }

    /// The cron time a job last ran for, and when and how.
    pub fn job_run(&self, job: &str) -> Result<Option<JobRun>> {
        Ok(self
            .row("SELECT last_due, last_run_at, last_result FROM job_runs WHERE job = ?1", [job], |r| {
                Ok(JobRun { last_due: from_ms(r.get(0)?), ran_at: from_ms(r.get(1)?), result: r.get(2)? })
            })
            .optional()?)
    }

    pub fn record_job_run(&self, job: &str, due: DateTime<Utc>, ran_at: DateTime<Utc>, result: &str) -> Result<()> {
        self.exec(
            "INSERT INTO job_runs (job, last_due, last_run_at, last_result) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (job) DO UPDATE SET last_due = MAX(last_due, excluded.last_due),
                 last_run_at = excluded.last_run_at, last_result = excluded.last_result",
            params![job, ms(due), ms(ran_at), result],
        )?;
        Ok(())
    }

    /// The latest time the daemon has seen (its guard against a clock set back).
    pub fn clock_high_water(&self) -> Result<Option<DateTime<Utc>>> {
        let v: Option<String> =
            self.row("SELECT value FROM daemon_state WHERE key = 'clock_high_water'", [], |r| r.get(0)).optional()?;
        Ok(v.and_then(|v| v.parse::<i64>().ok()).map(from_ms))
    }

    /// The latest time the shop is known to have reached: the daemon's high-water mark or
    /// the newest audit row, whichever is later. A clock reading earlier is wrong.
    pub fn latest_recorded_at(&self) -> Result<Option<DateTime<Utc>>> {
        let audit: Option<i64> =
            self.row("SELECT at FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).optional()?;
        Ok(self.clock_high_water()?.max(audit.map(from_ms)))
    }

    /// Raises the high-water mark to `t` (never lowers it).
    pub fn raise_clock_high_water(&self, t: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO daemon_state (key, value) VALUES ('clock_high_water', ?1)
             ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [ms(t).to_string()],
        )?;
        Ok(())
    }

    /// Whether a message with a key in `[from, to)` exists (any state): "sent this period?".
    pub fn message_key_in(&self, from: &str, to: &str) -> Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM notification_outbox WHERE dedupe_key >= ?1 AND dedupe_key < ?2 LIMIT 1",
                [from, to],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// How a customer can be reached now.
    pub fn contact(&self, customer_id: &str) -> Result<Contact> {
        self.conn()
            .prepare_cached(
                "SELECT name, gender, phone, wechat_openid, marketing_consent, marketing_opt_out_at IS NOT NULL,
                        deleted_at IS NOT NULL FROM customers WHERE id = ?1",
            )?
            .query_row([customer_id], |r| {
                Ok(Contact {
                    name: r.get(0)?,
                    gender: r.get(1)?,
                    phone: r.get(2)?,
                    wechat_openid: r.get(3)?,
                    marketing_consent: r.get(4)?,
                    opted_out: r.get(5)?,
                    deleted: r.get(6)?,
                })
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "顾客", what_en: "customer", key: customer_id.to_string() })
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
