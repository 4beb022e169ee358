//! Check-ins and the queue.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::checkin::{TicketKind, ticket_label};
use crate::domain::customer::Gender;
use crate::domain::model::QueueEntry;
use crate::domain::queue::{Load, QueueStatus};

#[derive(Debug, Clone)]
pub struct NewQueueEntry {
    pub business_date: NaiveDate,
    pub kind: TicketKind,
    pub customer_id: String,
    pub appointment_id: Option<String>,
    pub service_id: String,
    /// The service's length: the wait estimate counts with it.
    pub duration_min: u32,
    pub staff_id: Option<String>,
    /// phone, id_card, member_code, staff
    pub identified_by: String,
    /// The start time promised on the ticket.
    pub promised_start_at: Option<DateTime<Utc>>,
    /// Names the caller has in hand, for the returned entry (not stored: the entry keeps ids).
    pub customer_name: String,
    pub customer_gender: Gender,
    pub service_name: String,
    pub staff_name: Option<String>,
}

/// The `checkin.created` / `checkin.updated` snapshot.
#[derive(Serialize)]
struct QueuePayload<'a> {
    id: &'a str,
    business_date: NaiveDate,
    ticket: &'a str,
    kind: TicketKind,
    customer_id: &'a str,
    appointment_id: Option<&'a str>,
    service_id: &'a str,
    staff_id: Option<&'a str>,
    status: QueueStatus,
    identified_by: &'a str,
    created_at: String,
    called_at: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
}

const SELECT: &str =
    "SELECT q.id, q.business_date, q.kind, q.ticket, q.customer_id, c.name, c.gender, q.appointment_id,
    q.service_id, s.name, q.duration_min, COALESCE(q.served_by, q.staff_id), st.name, q.status, q.identified_by, q.estimated_start_at,
    q.created_at, q.called_at, q.started_at, q.finished_at
    FROM queue_entries q
    JOIN customers c ON c.id = q.customer_id
    JOIN services s ON s.id = q.service_id
    LEFT JOIN staff st ON st.id = COALESCE(q.served_by, q.staff_id)";

fn row_to_entry(r: &Row<'_>) -> rusqlite::Result<QueueEntry> {
    let date: String = r.get(1)?;
    let status: String = r.get(13)?;
    Ok(QueueEntry {
        id: r.get(0)?,
        business_date: super::ymd(&date).unwrap_or_default(),
        kind: TicketKind::from_db(&r.get::<_, String>(2)?),
        ticket: r.get(3)?,
        customer_id: r.get(4)?,
        customer_name: r.get(5)?,
        customer_gender: Gender::from_db(&r.get::<_, String>(6)?),
        appointment_id: r.get(7)?,
        service_id: r.get(8)?,
        service_name: r.get(9)?,
        duration_min: r.get(10)?,
        staff_id: r.get(11)?,
        staff_name: r.get(12)?,
        status: QueueStatus::from_db(&status).unwrap_or(QueueStatus::Left),
        identified_by: r.get(14)?,
        promised_start_at: r.get::<_, Option<i64>>(15)?.map(from_ms),
        created_at: from_ms(r.get(16)?),
        called_at: r.get::<_, Option<i64>>(17)?.map(from_ms),
        started_at: r.get::<_, Option<i64>>(18)?.map(from_ms),
        finished_at: r.get::<_, Option<i64>>(19)?.map(from_ms),
    })
}

impl Tx<'_> {
    /// Creates a queue entry with the day's next ticket number of its kind, and its
    /// `checkin.created` event. Runs inside the caller's immediate transaction, so two
    /// processes never draw the same number.
    pub fn insert_queue_entry(&self, e: &NewQueueEntry, now: DateTime<Utc>) -> Result<QueueEntry> {
        let date = e.business_date.to_string();
        let id = new_id();
        let now = from_ms(ms(now));
        // Drawn inside the caller's immediate transaction: two processes never draw the same.
        let number: u32 = self
            .conn()
            .prepare_cached(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM queue_entries WHERE business_date = ?1 AND kind = ?2",
            )?
            .query_row(params![date, e.kind.as_str()], |r| r.get(0))?;
        let ticket = ticket_label(e.kind, number);
        self.conn()
            .prepare_cached(
                "INSERT INTO queue_entries (id, business_date, kind, number, ticket, customer_id, appointment_id, service_id,
                    duration_min, staff_id, status, identified_by, estimated_start_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'waiting', ?11, ?12, ?13, ?13)",
            )?
            .execute(params![
                id,
                date,
                e.kind.as_str(),
                number,
                ticket,
                e.customer_id,
                e.appointment_id,
                e.service_id,
                e.duration_min,
                e.staff_id,
                e.identified_by,
                e.promised_start_at.map(ms),
                ms(now)
            ])?;
        let entry = QueueEntry {
            id,
            business_date: e.business_date,
            kind: e.kind,
            ticket,
            customer_id: e.customer_id.clone(),
            customer_name: e.customer_name.clone(),
            customer_gender: e.customer_gender,
            appointment_id: e.appointment_id.clone(),
            service_id: e.service_id.clone(),
            service_name: e.service_name.clone(),
            duration_min: e.duration_min,
            staff_id: e.staff_id.clone(),
            staff_name: e.staff_name.clone(),
            status: QueueStatus::Waiting,
            identified_by: e.identified_by.clone(),
            promised_start_at: e.promised_start_at.map(|t| from_ms(ms(t))),
            created_at: now,
            called_at: None,
            started_at: None,
            finished_at: None,
        };
        self.emit_queue("checkin.created", &entry, now)?;
        Ok(entry)
    }

    pub fn queue_entry(&self, id: &str) -> Result<QueueEntry> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE q.id = ?1"))?
            .query_row([id], row_to_entry)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "排队号", what_en: "queue entry", key: id.to_string() })
    }

    /// A ticket of a business day (`A001`), or an entry id.
    pub fn find_queue_entry(&self, date: NaiveDate, key: &str) -> Result<QueueEntry> {
        let key = key.trim();
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE (q.business_date = ?1 AND q.ticket = ?2) OR q.id = ?3"))?
            .query_row(params![date.to_string(), key.to_uppercase(), key], row_to_entry)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "排队号", what_en: "queue ticket", key: key.to_string() })
    }

    /// A business day's queue in arrival order; finished entries only if asked.
    pub fn queue(&self, date: NaiveDate, include_finished: bool) -> Result<Vec<QueueEntry>> {
        let mut st = self.conn().prepare_cached(&format!(
            "{SELECT} WHERE q.business_date = ?1 AND (?2 OR q.status IN ('waiting', 'called', 'in_service'))
             ORDER BY q.created_at, q.id"
        ))?;
        let rows = st
            .query_map(params![date.to_string(), include_finished], row_to_entry)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// What the wait estimate needs of a day's unfinished entries, in arrival order.
    pub fn queue_load(&self, date: NaiveDate) -> Result<Vec<Load>> {
        let mut st = self.conn().prepare_cached(
            "SELECT q.status, COALESCE(q.served_by, q.staff_id), q.duration_min, q.started_at, q.id, q.customer_id
             FROM queue_entries q
             WHERE q.business_date = ?1 AND q.status IN ('waiting', 'called', 'in_service') ORDER BY q.created_at, q.id",
        )?;
        let rows = st
            .query_map([date.to_string()], |r| {
                let status: String = r.get(0)?;
                Ok(Load {
                    entry_id: r.get(4)?,
                    customer_id: r.get(5)?,
                    status: QueueStatus::from_db(&status).unwrap_or(QueueStatus::Left),
                    staff_id: r.get(1)?,
                    minutes: r.get(2)?,
                    started_at: r.get::<_, Option<i64>>(3)?.map(from_ms),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Writes a status change the caller has checked with `QueueStatus::transition`, with
    /// its time stamp and `checkin.updated` event.
    pub fn set_queue_status(
        &self,
        id: &str,
        to: QueueStatus,
        served_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<QueueEntry> {
        let column = match to {
            QueueStatus::Called => "called_at",
            QueueStatus::InService => "started_at",
            QueueStatus::Done | QueueStatus::Left => "finished_at",
            QueueStatus::Waiting => "updated_at",
        };
        self.exec(
            &format!(
                "UPDATE queue_entries SET status = ?2, {column} = ?3, updated_at = ?3, served_by = COALESCE(?4, served_by) WHERE id = ?1"
            ),
            params![id, to.as_str(), ms(now), served_by],
        )?;
        let entry = self.queue_entry(id)?;
        self.emit_queue("checkin.updated", &entry, now)?;
        Ok(entry)
    }

    fn emit_queue(&self, event: &str, q: &QueueEntry, now: DateTime<Utc>) -> Result<()> {
        let t = |v: Option<DateTime<Utc>>| v.map(|t| self.rfc3339(t));
        self.emit_event(
            event,
            now,
            &QueuePayload {
                id: &q.id,
                business_date: q.business_date,
                ticket: &q.ticket,
                kind: q.kind,
                customer_id: &q.customer_id,
                appointment_id: q.appointment_id.as_deref(),
                service_id: &q.service_id,
                staff_id: q.staff_id.as_deref(),
                status: q.status,
                identified_by: &q.identified_by,
                created_at: self.rfc3339(q.created_at),
                called_at: t(q.called_at),
                started_at: t(q.started_at),
                finished_at: t(q.finished_at),
            },
        )
    }
}
