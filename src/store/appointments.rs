//! Appointments.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::booking::Booked;
use crate::domain::model::{Appointment, AppointmentStatus};
use crate::domain::time::Interval;

#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub customer_id: String,
    pub service_id: String,
    pub staff_id: Option<String>,
    pub resource_id: Option<String>,
    pub when: Interval,
    pub buffer_min: u32,
    pub group_id: Option<String>,
    pub note: String,
    pub source: String,
    /// Names the caller has in hand, for the returned appointment (the row keeps ids).
    pub customer_name: String,
    pub service_name: String,
    pub staff_name: Option<String>,
    pub resource_name: Option<String>,
}

/// No appointment is longer than this (a service lasts at most 600 minutes), which bounds
/// the index scan for overlaps.
const MAX_APPOINTMENT_MS: i64 = 24 * 3600 * 1000;

/// The `appointment.upserted` / `appointment.cancelled` snapshot.
#[derive(Serialize)]
struct AppointmentPayload<'a> {
    id: &'a str,
    customer_id: &'a str,
    service_id: &'a str,
    service_name: &'a str,
    staff_id: Option<&'a str>,
    resource_id: Option<&'a str>,
    starts_at: String,
    ends_at: String,
    status: AppointmentStatus,
    note: &'a str,
    updated_at: String,
}

const SELECT: &str =
    "SELECT a.id, a.customer_id, c.name, a.service_id, s.name, a.staff_id, st.name, a.resource_id, r.name,
    a.starts_at, a.ends_at, a.status, a.note, a.updated_at, a.buffer_min, a.group_id
    FROM appointments a
    JOIN customers c ON c.id = a.customer_id
    JOIN services s ON s.id = a.service_id
    LEFT JOIN staff st ON st.id = a.staff_id
    LEFT JOIN resources r ON r.id = a.resource_id";

fn row_to_appointment(r: &Row<'_>) -> rusqlite::Result<Appointment> {
    Ok(Appointment {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        customer_name: r.get(2)?,
        service_id: r.get(3)?,
        service_name: r.get(4)?,
        staff_id: r.get(5)?,
        staff_name: r.get(6)?,
        resource_id: r.get(7)?,
        resource_name: r.get(8)?,
        starts_at: from_ms(r.get(9)?),
        ends_at: from_ms(r.get(10)?),
        status: AppointmentStatus::from_db(&r.get::<_, String>(11)?),
        note: r.get(12)?,
        updated_at: from_ms(r.get(13)?),
        buffer_min: r.get(14)?,
        group_id: r.get(15)?,
    })
}

impl Tx<'_> {
    /// Stores an appointment the caller has checked with `domain::booking::check` inside
    /// this same transaction, and writes its `appointment.upserted` event.
    pub fn insert_appointment(&self, a: &NewAppointment, now: DateTime<Utc>) -> Result<Appointment> {
        let id = new_id();
        let note = crate::domain::idcard::mask_in_text(&a.note).into_owned();
        self.conn()
            .prepare_cached(
                "INSERT INTO appointments (id, customer_id, service_id, staff_id, resource_id, starts_at, ends_at, status, note, source,
                    created_at, updated_at, buffer_min, group_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'booked', ?8, ?9, ?10, ?10, ?11, ?12)",
            )?
            .execute(params![
                id,
                a.customer_id,
                a.service_id,
                a.staff_id,
                a.resource_id,
                ms(a.when.start),
                ms(a.when.end),
                note,
                a.source,
                ms(now),
                a.buffer_min,
                a.group_id
            ])?;
        let appt = Appointment {
            id,
            customer_id: a.customer_id.clone(),
            customer_name: a.customer_name.clone(),
            service_id: a.service_id.clone(),
            service_name: a.service_name.clone(),
            staff_id: a.staff_id.clone(),
            staff_name: a.staff_name.clone(),
            resource_id: a.resource_id.clone(),
            resource_name: a.resource_name.clone(),
            starts_at: from_ms(ms(a.when.start)),
            ends_at: from_ms(ms(a.when.end)),
            status: AppointmentStatus::Booked,
            note,
            updated_at: from_ms(ms(now)),
            buffer_min: a.buffer_min,
            group_id: a.group_id.clone(),
        };
        self.emit_appointment("appointment.upserted", &appt, now)?;
        Ok(appt)
    }

    pub fn appointment(&self, id: &str) -> Result<Appointment> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE a.id = ?1"))?
            .query_row([id], row_to_appointment)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "预约", what_en: "appointment", key: id.to_string() })
    }

    /// Appointments starting within `within`, in time order; cancelled ones only if asked.
    pub fn appointments(
        &self,
        within: Interval,
        staff_id: Option<&str>,
        include_cancelled: bool,
    ) -> Result<Vec<Appointment>> {
        let mut st = self.conn().prepare_cached(&format!(
            "{SELECT} WHERE a.starts_at >= ?1 AND a.starts_at < ?2 AND (?3 IS NULL OR a.staff_id = ?3)
             AND (?4 OR a.status <> 'cancelled') ORDER BY a.starts_at, a.id"
        ))?;
        let rows = st
            .query_map(params![ms(within.start), ms(within.end), staff_id, include_cancelled], row_to_appointment)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Live (not cancelled, not no-show) appointments overlapping `within`, as the booking
    /// rules see them.
    pub fn booked_overlapping(&self, within: Interval) -> Result<Vec<Booked>> {
        let mut st = self.conn().prepare_cached(
            "SELECT a.id, a.customer_id, a.staff_id, a.resource_id, a.starts_at, a.ends_at, c.name || ' ' || s.name, a.buffer_min
             FROM appointments a JOIN customers c ON c.id = a.customer_id JOIN services s ON s.id = a.service_id
             WHERE a.starts_at < ?2 AND a.starts_at > ?1 - ?3 AND a.ends_at + a.buffer_min * 60000 > ?1
               AND a.status IN ('booked', 'checked_in', 'completed')",
        )?;
        let rows = st
            .query_map(params![ms(within.start), ms(within.end), MAX_APPOINTMENT_MS], |r| {
                Ok(Booked {
                    id: r.get(0)?,
                    customer_id: r.get(1)?,
                    staff_id: r.get(2)?,
                    resource_id: r.get(3)?,
                    when: Interval::new(from_ms(r.get(4)?), from_ms(r.get(5)?)),
                    label: r.get(6)?,
                    buffer_min: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Beauticians' `booked` (not yet arrived) appointments overlapping `within`:
    /// `(staff id, when)` with `when` running to the end of the clean-up time, for the wait
    /// estimate.
    pub fn staff_booked(&self, within: Interval) -> Result<Vec<(String, Interval)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT staff_id, starts_at, ends_at + buffer_min * 60000 FROM appointments
             WHERE starts_at < ?2 AND starts_at > ?1 - ?3 AND ends_at + buffer_min * 60000 > ?1
               AND status = 'booked' AND staff_id IS NOT NULL",
        )?;
        let rows = st
            .query_map(params![ms(within.start), ms(within.end), MAX_APPOINTMENT_MS], |r| {
                Ok((r.get::<_, String>(0)?, Interval::new(from_ms(r.get(1)?), from_ms(r.get(2)?))))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A customer's `booked` appointments starting within `within`: `(id, start)`.
    pub fn customer_booked(&self, customer_id: &str, within: Interval) -> Result<Vec<(String, DateTime<Utc>)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, starts_at FROM appointments WHERE customer_id = ?1 AND starts_at >= ?2 AND starts_at < ?3 AND status = 'booked'",
        )?;
        let rows = st
            .query_map(params![customer_id, ms(within.start), ms(within.end)], |r| {
                Ok((r.get::<_, String>(0)?, from_ms(r.get(1)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Moves an appointment to another time, beautician or room (checked by the caller in
    /// this transaction), writing its event.
    pub fn move_appointment(
        &self,
        id: &str,
        staff_id: Option<&str>,
        resource_id: Option<&str>,
        when: Interval,
        now: DateTime<Utc>,
    ) -> Result<Appointment> {
        self.exec(
            "UPDATE appointments SET staff_id = ?2, resource_id = ?3, starts_at = ?4, ends_at = ?5, updated_at = ?6 WHERE id = ?1",
            params![id, staff_id, resource_id, ms(when.start), ms(when.end), ms(now)],
        )?;
        let appt = self.appointment(id)?;
        self.emit_appointment("appointment.upserted", &appt, now)?;
        Ok(appt)
    }

    /// The appointments booked together with this group id, in time order.
    pub fn appointment_group(&self, group_id: &str) -> Result<Vec<Appointment>> {
        let mut st =
            self.conn().prepare_cached(&format!("{SELECT} WHERE a.group_id = ?1 ORDER BY a.starts_at, a.id"))?;
        Ok(st.query_map([group_id], row_to_appointment)?.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Moves an appointment to a new status, writing its event.
    pub fn set_appointment_status(
        &self,
        id: &str,
        status: AppointmentStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Appointment> {
        let cancelled_at = (status == AppointmentStatus::Cancelled).then(|| ms(now));
        self.conn()
            .prepare_cached(
                "UPDATE appointments SET status = ?2, updated_at = ?3, cancelled_at = COALESCE(?4, cancelled_at),
                 cancel_reason = COALESCE(?5, cancel_reason) WHERE id = ?1",
            )?
            .execute(params![id, status.as_str(), ms(now), cancelled_at, reason])?;
        let appt = self.appointment(id)?;
        let event =
            if status == AppointmentStatus::Cancelled { "appointment.cancelled" } else { "appointment.upserted" };
        self.emit_appointment(event, &appt, now)?;
        Ok(appt)
    }

    pub(crate) fn emit_appointment(&self, event: &str, a: &Appointment, now: DateTime<Utc>) -> Result<()> {
        self.emit_event(
            event,
            now,
            &AppointmentPayload {
                id: &a.id,
                customer_id: &a.customer_id,
                service_id: &a.service_id,
                service_name: &a.service_name,
                staff_id: a.staff_id.as_deref(),
                resource_id: a.resource_id.as_deref(),
                starts_at: self.rfc3339(a.starts_at),
                ends_at: self.rfc3339(a.ends_at),
                status: a.status,
                note: &a.note,
                updated_at: self.rfc3339(from_ms(ms(now))),
            },
        )
    }
}
