//! The store's side of cloud sync (spec/cloud-sync-v1.md): the push queue's settling, the
//! sync state (cursor, last success, last error), the cloud-id mapping, and the writes of
//! changes that came down from the cloud. What a change means is decided in `app::sync`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Result, Tx, from_ms, ms, new_id};
use crate::domain::model::StaffRole;
use crate::domain::money::to_fen;

/// An event waiting to be pushed, as stored: the payload is sent as it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEvent {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    pub occurred_at: String,
    pub payload: String,
}

impl OutgoingEvent {
    /// The event as the push body carries it.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"id":{},"seq":{},"type":{},"occurred_at":{},"payload":{}}}"#,
            serde_json::Value::from(self.id.as_str()),
            self.seq,
            serde_json::Value::from(self.event_type.as_str()),
            serde_json::Value::from(self.occurred_at.as_str()),
            self.payload
        )
    }
}

/// An event the cloud refused, kept for a person to see.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SetAsideEvent {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    pub occurred_at: String,
    pub reason: String,
    pub attempts: i64,
}

/// A change from the cloud that could not be applied.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SkippedChange {
    pub change_id: String,
    pub change_type: String,
    pub version: Option<i64>,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Keys of `sync_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKey {
    /// The pull cursor the cloud gave last.
    Cursor,
    /// The last time a push or pull went through (ms).
    LastSuccess,
    LastPush,
    LastPull,
    /// The last failure, and when (ms).
    LastError,
    LastErrorAt,
    /// The token was refused: when (ms), and for which configuration (a fingerprint).
    AuthRefusedAt,
    AuthRefusedFor,
    /// The last `config.changed` payload from the cloud.
    CloudConfig,
    /// Since when events are queued (ms): set when cloud sync is found on, removed when it
    /// is found off, so that switching it on again queues the shop's current state.
    EventsFrom,
}

impl SyncKey {
    fn as_str(self) -> &'static str {
        match self {
            SyncKey::Cursor => "pull_cursor",
            SyncKey::LastSuccess => "last_success_at",
            SyncKey::LastPush => "last_push_at",
            SyncKey::LastPull => "last_pull_at",
            SyncKey::LastError => "last_error",
            SyncKey::LastErrorAt => "last_error_at",
            SyncKey::AuthRefusedAt => "auth_refused_at",
            SyncKey::AuthRefusedFor => "auth_refused_for",
            SyncKey::CloudConfig => "cloud_config",
            SyncKey::EventsFrom => "events_from",
        }
    }
}

/// Where sync stands, for `salonbox sync status` and the kiosk.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SyncState {
    pub queued: i64,
    pub rejected: i64,
    pub skipped_changes: i64,
    pub oldest_queued_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub auth_refused_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub auth_refused_for: Option<String>,
    pub cursor: Option<String>,
}

/// A service as the cloud sends it, with the shop's id when it has one.
#[derive(Debug, Clone)]
pub struct CloudService<'a> {
    pub local_id: Option<&'a str>,
    pub name: &'a str,
    pub category: &'a str,
    pub duration_min: u32,
    pub price: rust_decimal::Decimal,
    pub active: bool,
}

/// An appointment as the cloud sends it, in the shop's ids.
#[derive(Debug, Clone)]
pub struct CloudAppointment<'a> {
    pub local_id: Option<&'a str>,
    pub customer_id: &'a str,
    pub service_id: &'a str,
    pub staff_id: Option<&'a str>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: &'a str,
    pub note: &'a str,
}

impl Tx<'_> {
    fn sync_value(&self, key: SyncKey) -> Result<Option<String>> {
        Ok(self.row("SELECT value FROM sync_state WHERE key = ?1", [key.as_str()], |r| r.get(0)).optional()?)
    }

    pub fn set_sync_value(&self, key: SyncKey, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => self.exec(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key.as_str(), v],
            )?,
            None => self.exec("DELETE FROM sync_state WHERE key = ?1", [key.as_str()])?,
        };
        Ok(())
    }

    pub fn set_sync_time(&self, key: SyncKey, at: DateTime<Utc>) -> Result<()> {
        self.set_sync_value(key, Some(&ms(at).to_string()))
    }

    /// Since when sync events are queued, while cloud sync is on.
    pub fn events_from(&self) -> Result<Option<String>> {
        self.sync_value(SyncKey::EventsFrom)
    }

    /// Cloud sync is on (`on`) or off as the shop opens. Switched off, the marker goes;
    /// switched on with no marker, events start now, and a shop that already has customers
    /// (it ran without sync) queues a snapshot of each live customer and of each booking
    /// from today on, so the cloud starts from the shop's state, not from an empty one.
    /// Returns the number of snapshots queued.
    pub fn start_events(&self, on: bool, now: DateTime<Utc>) -> Result<usize> {
        if !on {
            if self.sync_value(SyncKey::EventsFrom)?.is_some() {
                self.set_sync_value(SyncKey::EventsFrom, None)?;
            }
            return Ok(0);
        }
        if self.sync_value(SyncKey::EventsFrom)?.is_some() {
            return Ok(0);
        }
        self.set_sync_time(SyncKey::EventsFrom, now)?;
        let mut n = 0;
        let ids: Vec<String> = self
            .conn()
            .prepare_cached("SELECT id FROM customers WHERE deleted_at IS NULL ORDER BY created_at, id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in &ids {
            self.emit_customer_by_id(id, now)?;
            n += 1;
        }
        let day = crate::domain::time::day_bounds(crate::domain::time::business_date(now, self.tz()), self.tz());
        let far = crate::domain::time::Interval { start: day.start, end: day.start + chrono::Duration::days(3650) };
        for a in self.appointments(far, None, false)? {
            self.emit_appointment("appointment.upserted", &a, now)?;
            n += 1;
        }
        Ok(n)
    }

    pub fn pull_cursor(&self) -> Result<Option<String>> {
        self.sync_value(SyncKey::Cursor)
    }

    pub fn sync_state(&self) -> Result<SyncState> {
        let time = |k| -> Result<Option<DateTime<Utc>>> {
            Ok(self.sync_value(k)?.and_then(|v| v.parse::<i64>().ok()).map(from_ms))
        };
        let stats = self.outbox_stats()?;
        let skipped: i64 = self.row("SELECT COUNT(*) FROM sync_skipped_changes", [], |r| r.get(0))?;
        Ok(SyncState {
            queued: stats.sync_pending,
            rejected: stats.sync_rejected,
            skipped_changes: skipped,
            oldest_queued_at: stats.oldest_pending_at,
            last_success_at: time(SyncKey::LastSuccess)?,
            last_push_at: time(SyncKey::LastPush)?,
            last_pull_at: time(SyncKey::LastPull)?,
            last_error: self.sync_value(SyncKey::LastError)?,
            last_error_at: time(SyncKey::LastErrorAt)?,
            auth_refused_at: time(SyncKey::AuthRefusedAt)?,
            auth_refused_for: self.sync_value(SyncKey::AuthRefusedFor)?,
            cursor: self.sync_value(SyncKey::Cursor)?,
        })
    }

    /// Records a push's outcome: `delivered` (accepted or duplicate) and `rejected` events
    /// leave the queue, every event of `sent` counts one attempt, and the push floor moves
    /// up to the first event still pending. A delivered event's payload is emptied at once
    /// (the cloud has it; a snapshot with allergies has no business staying on the Pi); its
    /// row stays as a receipt until the retention job.
    pub fn settle_push(
        &self,
        sent: &[i64],
        delivered: &[i64],
        rejected: &[(i64, String)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        {
            let mut attempt = self.conn().prepare_cached(
                "UPDATE sync_outbox SET attempts = attempts + 1 WHERE seq = ?1 AND status = 'pending'",
            )?;
            for seq in sent {
                attempt.execute([seq])?;
            }
            let mut done = self.conn().prepare_cached(
                "UPDATE sync_outbox SET status = 'delivered', delivered_at = ?2, payload = '{}'
                 WHERE seq = ?1 AND status = 'pending'",
            )?;
            for seq in delivered {
                done.execute(params![seq, ms(now)])?;
            }
            let mut aside = self.conn().prepare_cached(
                "UPDATE sync_outbox SET status = 'rejected', reject_reason = ?2, delivered_at = ?3
                 WHERE seq = ?1 AND status = 'pending'",
            )?;
            for (seq, reason) in rejected {
                aside.execute(params![seq, reason, ms(now)])?;
            }
        }
        let first_pending = self.pending_events(1)?.first().map(|e| e.seq);
        let floor = match first_pending {
            Some(seq) => seq,
            None => self.row("SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox", [], |r| r.get(0))?,
        };
        self.set_push_floor(floor)
    }

    /// Events the cloud refused, newest first.
    pub fn set_aside_events(&self, limit: u32) -> Result<Vec<SetAsideEvent>> {
        let mut st = self.conn().prepare_cached(
            "SELECT seq, id, type, occurred_at, COALESCE(reject_reason, ''), attempts FROM sync_outbox
             WHERE status = 'rejected' ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = st
            .query_map([limit], |r| {
                Ok(SetAsideEvent {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    event_type: r.get(2)?,
                    occurred_at: r.get(3)?,
                    reason: r.get(4)?,
                    attempts: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Keeps a change that could not be applied (once per change id and type).
    pub fn skip_change(
        &self,
        change_id: &str,
        change_type: &str,
        version: Option<i64>,
        reason: &str,
        payload: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO sync_skipped_changes (change_id, type, version, reason, payload, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (change_id, type) DO UPDATE SET version = excluded.version, reason = excluded.reason,
                 payload = excluded.payload, at = excluded.at",
            params![change_id, change_type, version, reason, payload.to_string(), ms(now)],
        )?;
        Ok(())
    }

    pub fn skipped_changes(&self, limit: u32) -> Result<Vec<SkippedChange>> {
        let mut st = self.conn().prepare_cached(
            "SELECT change_id, type, version, reason, at FROM sync_skipped_changes ORDER BY at DESC LIMIT ?1",
        )?;
        let rows = st
            .query_map([limit], |r| {
                Ok(SkippedChange {
                    change_id: r.get(0)?,
                    change_type: r.get(1)?,
                    version: r.get(2)?,
                    reason: r.get(3)?,
                    at: from_ms(r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The shop's id for a cloud id, and the last version applied from the cloud.
    pub fn cloud_link(&self, entity: &str, cloud_id: &str) -> Result<Option<(String, i64)>> {
        Ok(self
            .row(
                "SELECT local_id, version FROM cloud_ids WHERE entity = ?1 AND cloud_id = ?2",
                [entity, cloud_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Records (or moves) the link of a cloud id to a local id, with the version applied.
    pub fn set_cloud_link(&self, entity: &str, cloud_id: &str, local_id: &str, version: i64) -> Result<()> {
        self.exec(
            "DELETE FROM cloud_ids WHERE entity = ?1 AND local_id = ?2 AND cloud_id <> ?3",
            [entity, local_id, cloud_id],
        )?;
        self.exec(
            "INSERT INTO cloud_ids (entity, cloud_id, local_id, version) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (entity, cloud_id) DO UPDATE SET local_id = excluded.local_id, version = excluded.version",
            params![entity, cloud_id, local_id, version],
        )?;
        Ok(())
    }

    /// Whether a row with this id exists in the entity's table.
    pub fn local_exists(&self, entity: &str, id: &str) -> Result<bool> {
        let table = match entity {
            "customer" => "customers",
            "service" => "services",
            "staff" => "staff",
            "appointment" => "appointments",
            _ => return Ok(false),
        };
        Ok(self.row(&format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"), [id], |r| r.get(0))?)
    }

    /// A service from the cloud: updates the linked or same-named service, or adds one.
    /// Returns its local id.
    pub fn put_cloud_service(&self, s: &CloudService<'_>, now: DateTime<Utc>) -> Result<String> {
        let price = to_fen(s.price).map_err(|e| super::StoreError::Corrupt {
            table: "services",
            column: "price_fen",
            value: e.to_string(),
        })?;
        let id = match s.local_id {
            Some(id) => Some(id.to_string()),
            None => self.service_by_name(s.name)?.map(|x| x.id),
        };
        let id = match id {
            Some(id) => {
                self.exec(
                    "UPDATE services SET name = ?2, category = ?3, duration_min = ?4, price_fen = ?5, active = ?6, updated_at = ?7
                     WHERE id = ?1",
                    params![id, s.name.trim(), s.category.trim(), s.duration_min, price, s.active, ms(now)],
                )?;
                id
            }
            None => {
                let id = new_id();
                self.exec(
                    "INSERT INTO services (id, name, category, duration_min, price_fen, active, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                    params![id, s.name.trim(), s.category.trim(), s.duration_min, price, s.active, ms(now)],
                )?;
                id
            }
        };
        Ok(id)
    }

    /// A staff member from the cloud (no PIN: staff set theirs at the kiosk).
    pub fn put_cloud_staff(
        &self,
        local_id: Option<&str>,
        name: &str,
        role: Option<StaffRole>,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = match local_id {
            Some(id) => Some(id.to_string()),
            None => self
                .row("SELECT id FROM staff WHERE name = ?1 ORDER BY created_at LIMIT 1", [name.trim()], |r| r.get(0))
                .optional()?,
        };
        let role = role.map(StaffRole::as_str);
        Ok(match id {
            Some(id) => {
                self.exec(
                    "UPDATE staff SET name = ?2, role = COALESCE(?3, role), active = ?4, updated_at = ?5 WHERE id = ?1",
                    params![id, name.trim(), role, active, ms(now)],
                )?;
                id
            }
            None => {
                let id = new_id();
                self.exec(
                    "INSERT INTO staff (id, name, role, active, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    params![id, name.trim(), role.unwrap_or("beautician"), active, ms(now)],
                )?;
                id
            }
        })
    }

    /// An appointment from the cloud (the cloud's latest version wins). No event goes back
    /// up: the cloud has it already.
    pub fn put_cloud_appointment(&self, a: &CloudAppointment<'_>, now: DateTime<Utc>) -> Result<String> {
        let cancelled_at = (a.status == "cancelled").then(|| ms(now));
        let id = match a.local_id {
            Some(id) => {
                self.exec(
                    "UPDATE appointments SET customer_id = ?2, service_id = ?3, staff_id = ?4, starts_at = ?5, ends_at = ?6,
                         status = ?7, note = ?8, updated_at = ?9,
                         cancelled_at = CASE WHEN ?7 = 'cancelled' THEN COALESCE(cancelled_at, ?10) ELSE NULL END
                     WHERE id = ?1",
                    params![
                        id,
                        a.customer_id,
                        a.service_id,
                        a.staff_id,
                        ms(a.starts_at),
                        ms(a.ends_at),
                        a.status,
                        crate::domain::idcard::mask_in_text(a.note),
                        ms(now),
                        cancelled_at
                    ],
                )?;
                id.to_string()
            }
            None => {
                let id = new_id();
                self.exec(
                    "INSERT INTO appointments (id, customer_id, service_id, staff_id, starts_at, ends_at, status, note, source,
                         created_at, updated_at, cancelled_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'cloud', ?9, ?9, ?10)",
                    params![
                        id,
                        a.customer_id,
                        a.service_id,
                        a.staff_id,
                        ms(a.starts_at),
                        ms(a.ends_at),
                        a.status,
                        crate::domain::idcard::mask_in_text(a.note),
                        ms(now),
                        cancelled_at
                    ],
                )?;
                id
            }
        };
        Ok(id)
    }

    /// `customer.unsubscribed`: no more marketing to this number. Returns the customers
    /// it reached.
    pub fn unsubscribe_phone(&self, phone: &str, at: DateTime<Utc>) -> Result<usize> {
        Ok(self.exec(
            "UPDATE customers SET marketing_opt_out_at = ?2 WHERE phone = ?1 AND marketing_opt_out_at IS NULL",
            params![phone, ms(at)],
        )?)
    }

    /// `message.status` for a relayed message. Returns whether the message is known here.
    pub fn relayed_message_status(
        &self,
        dedupe_key: &str,
        delivered: bool,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = if delivered {
            self.exec(
                "UPDATE notification_outbox SET delivered_at = COALESCE(delivered_at, ?2), updated_at = ?2
                 WHERE dedupe_key = ?1",
                params![dedupe_key, ms(at)],
            )?
        } else {
            self.exec(
                "UPDATE notification_outbox SET status = 'failed', last_error = ?2, updated_at = ?3
                 WHERE dedupe_key = ?1 AND delivered_at IS NULL",
                params![dedupe_key, reason.unwrap_or("云端报告发送失败 / the cloud reported a failure"), ms(at)],
            )?
        };
        Ok(n > 0
            || self.row(
                "SELECT EXISTS (SELECT 1 FROM notification_outbox WHERE dedupe_key = ?1)",
                [dedupe_key],
                |r| r.get(0),
            )?)
    }
}
