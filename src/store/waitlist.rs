//! The slot wait list: customers waiting for a fully booked time to free up.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::time::Interval;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WaitlistEntry {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub service_id: String,
    pub service_name: String,
    pub duration_min: i64,
    pub staff_id: Option<String>,
    pub window_start_at: DateTime<Utc>,
    pub window_end_at: DateTime<Utc>,
    /// waiting, offered, accepted, expired, cancelled
    pub status: String,
    pub offered_start_at: Option<DateTime<Utc>>,
    pub offered_staff_id: Option<String>,
    pub hold_until: Option<DateTime<Utc>>,
    pub freed_by: Option<String>,
    pub offers: i64,
    pub created_at: DateTime<Utc>,
}

/// A cancelled appointment whose time may be offered again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreedSlot {
    pub appointment_id: String,
    pub service_id: String,
    pub staff_id: Option<String>,
    pub when: Interval,
}

const SELECT: &str = "SELECT w.id, w.customer_id, c.name, w.service_id, s.name, s.duration_min, w.staff_id,
    w.window_start_at, w.window_end_at, w.status, w.offered_start_at, w.offered_staff_id, w.hold_until,
    w.freed_by, w.offers, w.created_at
    FROM waitlist_entries w JOIN customers c ON c.id = w.customer_id JOIN services s ON s.id = w.service_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WaitlistEntry> {
    Ok(WaitlistEntry {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        customer_name: r.get(2)?,
        service_id: r.get(3)?,
        service_name: r.get(4)?,
        duration_min: r.get(5)?,
        staff_id: r.get(6)?,
        window_start_at: from_ms(r.get(7)?),
        window_end_at: from_ms(r.get(8)?),
        status: r.get(9)?,
        offered_start_at: r.get::<_, Option<i64>>(10)?.map(from_ms),
        offered_staff_id: r.get(11)?,
        hold_until: r.get::<_, Option<i64>>(12)?.map(from_ms),
        freed_by: r.get(13)?,
        offers: r.get(14)?,
        created_at: from_ms(r.get(15)?),
    })
}

impl Tx<'_> {
    pub fn insert_waitlist(
        &self,
        customer_id: &str,
        service_id: &str,
        staff_id: Option<&str>,
        window: Interval,
        now: DateTime<Utc>,
    ) -> Result<WaitlistEntry> {
        let id = new_id();
        self.exec(
            "INSERT INTO waitlist_entries (id, customer_id, service_id, staff_id, window_start_at, window_end_at, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'waiting', ?7, ?7)",
            params![id, customer_id, service_id, staff_id, ms(window.start), ms(window.end), ms(now)],
        )?;
        self.waitlist_changed(&id, now)
    }

    /// Writes `waitlist.changed` (spec/cloud-sync-v1.md) with the entry as it is now, and
    /// returns it. Every change of an entry goes through here.
    fn waitlist_changed(&self, id: &str, now: DateTime<Utc>) -> Result<WaitlistEntry> {
        let e = self.waitlist_entry(id)?;
        let t = |v: Option<DateTime<Utc>>| v.map(|v| self.rfc3339(v));
        self.emit_event(
            "waitlist.changed",
            now,
            &serde_json::json!({
                "id": e.id,
                "customer_id": e.customer_id,
                "service_id": e.service_id,
                "staff_id": e.staff_id,
                "window_start_at": self.rfc3339(e.window_start_at),
                "window_end_at": self.rfc3339(e.window_end_at),
                "status": e.status,
                "offered_start_at": t(e.offered_start_at),
                "offered_staff_id": e.offered_staff_id,
                "hold_until": t(e.hold_until),
                "updated_at": self.rfc3339(now),
            }),
        )?;
        Ok(e)
    }

    pub fn waitlist_entry(&self, id: &str) -> Result<WaitlistEntry> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE w.id = ?1"))?
            .query_row([id.trim()], row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "候补", what_en: "wait-list entry", key: id.to_string() })
    }

    /// Entries still waiting or holding an offer, oldest first (all of them with `all`).
    pub fn waitlist(&self, all: bool) -> Result<Vec<WaitlistEntry>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "{SELECT} WHERE ?1 OR w.status IN ('waiting', 'offered') ORDER BY w.created_at, w.id"
            ))?
            .query_map([all], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Waiting entries for `service_id` whose window holds `start`, first come first.
    pub fn waiting_for(&self, service_id: &str, start: DateTime<Utc>) -> Result<Vec<WaitlistEntry>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "{SELECT} WHERE w.status = 'waiting' AND w.service_id = ?1 AND w.window_start_at <= ?2 AND w.window_end_at > ?2
                 ORDER BY w.created_at, w.id"
            ))?
            .query_map(params![service_id, ms(start)], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Appointments cancelled since `since` that start after `after`.
    pub fn freed_slots(&self, since: DateTime<Utc>, after: DateTime<Utc>) -> Result<Vec<FreedSlot>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT id, service_id, staff_id, starts_at, ends_at FROM appointments
                 WHERE status = 'cancelled' AND cancelled_at >= ?1 AND starts_at > ?2 ORDER BY cancelled_at",
            )?
            .query_map(params![ms(since), ms(after)], |r| {
                Ok(FreedSlot {
                    appointment_id: r.get(0)?,
                    service_id: r.get(1)?,
                    staff_id: r.get(2)?,
                    when: Interval::new(from_ms(r.get(3)?), from_ms(r.get(4)?)),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Whether a freed slot is held by an offer or was taken through the wait list.
    pub fn slot_spoken_for(&self, freed_by: &str) -> Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM waitlist_entries WHERE freed_by = ?1 AND status IN ('offered', 'accepted') LIMIT 1",
                [freed_by],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn offer_waitlist_slot(
        &self,
        id: &str,
        slot: &FreedSlot,
        hold_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "UPDATE waitlist_entries SET status = 'offered', offered_start_at = ?2, offered_staff_id = ?3, freed_by = ?4,
                 hold_until = ?5, offers = offers + 1, updated_at = ?6
             WHERE id = ?1 AND status = 'waiting'",
            params![id, ms(slot.when.start), slot.staff_id, slot.appointment_id, ms(hold_until), ms(now)],
        )?;
        self.waitlist_changed(id, now)?;
        Ok(())
    }

    /// Offers whose hold ran out: `expired` (the slot goes to the next in line). Returns them.
    pub fn expire_waitlist_offers(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let ids = self
            .conn()
            .prepare_cached("SELECT id FROM waitlist_entries WHERE status = 'offered' AND hold_until <= ?1")?
            .query_map([ms(now)], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        self.exec(
            "UPDATE waitlist_entries SET status = 'expired', updated_at = ?1 WHERE status = 'offered' AND hold_until <= ?1",
            [ms(now)],
        )?;
        for id in &ids {
            self.waitlist_changed(id, now)?;
        }
        Ok(ids)
    }

    pub fn set_waitlist_status(&self, id: &str, from: &[&str], to: &str, now: DateTime<Utc>) -> Result<bool> {
        let e = self.waitlist_entry(id)?;
        if !from.contains(&e.status.as_str()) {
            return Ok(false);
        }
        self.exec(
            "UPDATE waitlist_entries SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![e.id, to, ms(now)],
        )?;
        self.waitlist_changed(&e.id, now)?;
        Ok(true)
    }
}
