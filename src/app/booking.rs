//! Booking and cancelling appointments.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use super::customers::lookup_customer;
use super::{App, AppError, Result};
use crate::domain::booking::{BookingConflict, BookingContext, Proposed, check};
use crate::domain::model::{Appointment, AppointmentStatus};
use crate::domain::time::{Interval, business_date, day_bounds, local_to_utc};
use crate::store::{NewAppointment, Tx};

#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// Phone, member code or id.
    pub customer: String,
    /// Service id or name.
    pub service: String,
    /// Beautician id or name; `None`: any beautician.
    pub staff: Option<String>,
    /// Room/device id or name; `None`: any free one of the kind the service needs.
    pub resource: Option<String>,
    /// Shop-local start, `YYYY-MM-DD HH:MM`.
    pub start: String,
    pub note: String,
    pub source: String,
}

/// Parses a shop-local `YYYY-MM-DD HH:MM` (also `YYYY-MM-DDTHH:MM`).
pub fn parse_local_datetime(s: &str) -> Result<NaiveDateTime> {
    let t = s.trim().replace('T', " ");
    NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M").map_err(|_| {
        AppError::input(
            "时间 time",
            format!(
                "应为 \"2026-11-23 14:30\" 格式，收到 \"{}\" / expected \"2026-11-23 14:30\", got \"{}\"",
                s.trim(),
                s.trim()
            ),
        )
    })
}

impl App {
    /// Books an appointment after checking every rule inside the write transaction, so two
    /// processes booking at once can never double-book.
    pub fn book(&mut self, r: &BookingRequest) -> Result<Appointment> {
        let local = parse_local_datetime(&r.start)?;
        let now = self.now();
        let opening_hours = self.config.shop.opening_hours.clone();
        self.store.write(|tx| book_in(tx, r, local, &opening_hours, now))
    }

    /// Cancels a booked appointment (an arrival already checked in cannot be cancelled).
    pub fn cancel_appointment(&mut self, id: &str, reason: Option<&str>, actor: &str) -> Result<Appointment> {
        let now = self.now();
        self.store.write(|tx| {
            let a = tx.appointment(id.trim())?;
            if a.status != AppointmentStatus::Booked {
                return Err(AppError::input(
                    "预约 appointment",
                    format!(
                        "状态为「{}」，不能取消 / it is {}, it cannot be cancelled",
                        a.status.label_zh(),
                        a.status.as_str()
                    ),
                ));
            }
            let a = tx.set_appointment_status(&a.id, AppointmentStatus::Cancelled, reason, now)?;
            tx.audit(now, actor, "appointment.cancel", "appointment", &a.id, &serde_json::json!({ "reason": reason }))?;
            Ok(a)
        })
    }

    /// Appointments of a shop-local date (today by default).
    pub fn appointments_on(
        &mut self,
        date: Option<NaiveDate>,
        staff: Option<&str>,
        include_cancelled: bool,
    ) -> Result<Vec<Appointment>> {
        let date = date.unwrap_or_else(|| self.today());
        let tz = self.tz();
        self.store.read(|tx| {
            let staff_id = staff.map(|s| tx.find_staff(s)).transpose()?.map(|s| s.id);
            Ok(tx.appointments(day_bounds(date, tz), staff_id.as_deref(), include_cancelled)?)
        })
    }
}

/// Books inside a write transaction: every rule checked against the rows as they are now.
pub(crate) fn book_in(
    tx: &Tx<'_>,
    r: &BookingRequest,
    local: NaiveDateTime,
    opening_hours: &crate::domain::time::OpeningHours,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    let tz = tx.tz();
    let customer = lookup_customer(tx, &r.customer)?;
    let service = tx.find_service(&r.service)?;
    if !service.active {
        return Err(AppError::input(
            "服务 service",
            format!("「{}」已停用 / \"{}\" is no longer offered", service.name, service.name),
        ));
    }
    let start = local_to_utc(local.date(), local.time(), tz);
    let when = Interval::new(start, start + Duration::minutes(service.duration_min.into()));
    let date = business_date(start, tz);
    let staff = r.staff.as_deref().map(|s| tx.find_staff(s)).transpose()?;
    let shifts: Vec<Interval> = match &staff {
        Some(s) => tx
            .shifts(Some(&s.id), day_bounds(date, tz))?
            .iter()
            .map(|x| Interval::new(x.starts_at, x.ends_at))
            .collect(),
        None => Vec::new(),
    };
    let existing = tx.booked_overlapping(when)?;
    let candidates: Vec<(Option<String>, String)> = match (&r.resource, &service.resource_kind) {
        (Some(key), _) => {
            let (id, name, _) = tx.find_resource(key)?;
            vec![(Some(id), name)]
        }
        (None, Some(kind)) => {
            let all = tx.resources_of_kind(kind)?;
            if all.is_empty() {
                return Err(AppError::input(
                    "房间/设备 resource",
                    format!("没有「{kind}」类的房间或设备 / no room or device of kind \"{kind}\""),
                ));
            }
            all.into_iter().map(|(id, name)| (Some(id), name)).collect()
        }
        (None, None) => vec![(None, String::new())],
    };
    let mut last: Option<BookingConflict> = None;
    for (resource_id, resource_name) in candidates {
        let p = Proposed {
            customer_id: customer.id.clone(),
            staff_id: staff.as_ref().map(|s| s.id.clone()),
            resource_id: resource_id.clone(),
            when,
        };
        let ctx = BookingContext {
            tz,
            opening: opening_hours.on(date, tz),
            staff_shifts: &shifts,
            staff_name: staff.as_ref().map_or("", |s| s.name.as_str()),
            resource_name: &resource_name,
            existing: &existing,
            ignore_id: None,
        };
        match check(&p, now, &ctx) {
            Ok(()) => {
                let a = tx.insert_appointment(
                    &NewAppointment {
                        customer_id: customer.id.clone(),
                        service_id: service.id.clone(),
                        staff_id: p.staff_id,
                        resource_id,
                        when,
                        note: r.note.clone(),
                        source: r.source.clone(),
                        customer_name: customer.name.clone(),
                        service_name: service.name.clone(),
                        staff_name: staff.as_ref().map(|s| s.name.clone()),
                        resource_name: p.resource_id.as_ref().map(|_| resource_name.clone()),
                    },
                    now,
                )?;
                tx.audit(now, &r.source, "appointment.book", "appointment", &a.id, &serde_json::json!({}))?;
                tracing::info!(appointment = %a.id, source = %r.source, "booked");
                return Ok(a);
            }
            Err(e @ BookingConflict::ResourceBusy { .. }) => last = Some(e),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(
        || AppError::input("房间/设备 resource", "没有可用的房间或设备 / no room or device is free"),
        AppError::from,
    ))
}
