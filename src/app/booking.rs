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
            cancel_in(tx, &a, reason, now, actor)
        })
    }

    /// Cancels an appointment and every other service booked with it that is still booked
    /// (the whole booking), in one transaction: all or none.
    pub fn cancel_booking(&mut self, id: &str, reason: Option<&str>, actor: &str) -> Result<Vec<Appointment>> {
        let now = self.now();
        self.store.write(|tx| {
            let a = tx.appointment(id.trim())?;
            let group = match &a.group_id {
                Some(g) => tx.appointment_group(g)?,
                None => vec![a.clone()],
            };
            let mut done = Vec::new();
            for x in group.iter().filter(|x| x.id == a.id || x.status == AppointmentStatus::Booked) {
                done.push(cancel_in(tx, x, reason, now, actor)?);
            }
            Ok(done)
        })
    }

    /// The other services booked together with this one (one booking of several services).
    pub fn booked_with(&mut self, id: &str) -> Result<Vec<Appointment>> {
        self.store.read(|tx| {
            let a = tx.appointment(id.trim())?;
            let Some(g) = &a.group_id else { return Ok(Vec::new()) };
            Ok(tx.appointment_group(g)?.into_iter().filter(|x| x.id != a.id).collect())
        })
    }

    pub fn appointment(&mut self, id: &str) -> Result<Appointment> {
        self.store.read(|tx| Ok(tx.appointment(id.trim())?))
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
    let start = local_to_utc(local.date(), local.time(), tx.tz());
    let item = BookingItem { service: r.service.clone(), staff: r.staff.clone(), resource: r.resource.clone() };
    book_item(tx, &r.customer, &item, start, None, &r.note, &r.source, opening_hours, now)
}

/// One service of a booking: which, with whom, in which room.
#[derive(Debug, Clone, Default)]
pub struct BookingItem {
    pub service: String,
    pub staff: Option<String>,
    pub resource: Option<String>,
}

/// Several services for one customer, back to back from `start` (one visit; each may be
/// with another beautician).
#[derive(Debug, Clone)]
pub struct MultiBooking {
    pub customer: String,
    pub items: Vec<BookingItem>,
    /// Shop-local start of the first, `YYYY-MM-DD HH:MM`.
    pub start: String,
    pub note: String,
    pub source: String,
}

/// Where a booking goes once every rule has passed: its beautician, room and time.
struct Placement {
    staff: Option<crate::domain::model::Staff>,
    resource: Option<(String, String)>,
    when: Interval,
}

/// Checks one service at `start` (ignoring the appointment `moving`, if any) and picks a
/// free room of the kind it needs.
#[allow(clippy::too_many_arguments)]
fn place(
    tx: &Tx<'_>,
    customer_id: &str,
    service: &crate::domain::model::Service,
    staff: Option<&str>,
    resource: Option<&str>,
    start: DateTime<Utc>,
    moving: Option<&str>,
    opening_hours: &crate::domain::time::OpeningHours,
    now: DateTime<Utc>,
) -> Result<Placement> {
    let tz = tx.tz();
    let when = Interval::new(start, start + Duration::minutes(service.duration_min.into()));
    let date = business_date(start, tz);
    let staff = staff.map(|s| tx.find_staff(s)).transpose()?;
    let shifts: Vec<Interval> = match &staff {
        Some(s) => tx
            .shifts(Some(&s.id), day_bounds(date, tz))?
            .iter()
            .map(|x| Interval::new(x.starts_at, x.ends_at))
            .collect(),
        None => Vec::new(),
    };
    let occupied = Interval::new(when.start, when.end + Duration::minutes(service.buffer_min.into()));
    let existing = tx.booked_overlapping(occupied)?;
    let candidates: Vec<Option<(String, String)>> = match (resource, &service.resource_kind) {
        (Some(key), _) => {
            let (id, name, _) = tx.find_resource(key)?;
            vec![Some((id, name))]
        }
        (None, Some(kind)) => {
            let all = tx.resources_of_kind(kind)?;
            if all.is_empty() {
                return Err(AppError::input(
                    "房间/设备 resource",
                    format!("没有「{kind}」类的房间或设备 / no room or device of kind \"{kind}\""),
                ));
            }
            all.into_iter().map(Some).collect()
        }
        (None, None) => vec![None],
    };
    let mut last: Option<BookingConflict> = None;
    for candidate in candidates {
        let p = Proposed {
            customer_id: customer_id.to_string(),
            staff_id: staff.as_ref().map(|s| s.id.clone()),
            resource_id: candidate.as_ref().map(|(id, _)| id.clone()),
            when,
            buffer_min: service.buffer_min,
        };
        let ctx = BookingContext {
            tz,
            opening: opening_hours.on(date, tz),
            staff_shifts: &shifts,
            staff_name: staff.as_ref().map_or("", |s| s.name.as_str()),
            resource_name: candidate.as_ref().map_or("", |(_, n)| n.as_str()),
            existing: &existing,
            ignore_id: moving,
        };
        match check(&p, now, &ctx) {
            Ok(()) => return Ok(Placement { staff, resource: candidate, when }),
            Err(e @ (BookingConflict::ResourceBusy { .. } | BookingConflict::InBuffer { .. }))
                if p.resource_id.is_some() && resource.is_none() =>
            {
                last = Some(e)
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(
        || AppError::input("房间/设备 resource", "没有可用的房间或设备 / no room or device is free"),
        AppError::from,
    ))
}

fn active_service(tx: &Tx<'_>, key: &str) -> Result<crate::domain::model::Service> {
    let service = tx.find_service(key)?;
    if !service.active {
        return Err(AppError::input(
            "服务 service",
            format!("「{}」已停用 / \"{}\" is no longer offered", service.name, service.name),
        ));
    }
    Ok(service)
}

#[allow(clippy::too_many_arguments)]
fn book_item(
    tx: &Tx<'_>,
    customer: &str,
    item: &BookingItem,
    start: DateTime<Utc>,
    group_id: Option<&str>,
    note: &str,
    source: &str,
    opening_hours: &crate::domain::time::OpeningHours,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    let customer = lookup_customer(tx, customer)?;
    // a duration changed from today is in place before it is booked with
    super::rules::apply_due(tx, crate::domain::time::business_date(now, tx.tz()), now)?;
    let service = active_service(tx, &item.service)?;
    let at = place(
        tx,
        &customer.id,
        &service,
        item.staff.as_deref(),
        item.resource.as_deref(),
        start,
        None,
        opening_hours,
        now,
    )?;
    let a = tx.insert_appointment(
        &NewAppointment {
            customer_id: customer.id.clone(),
            service_id: service.id.clone(),
            staff_id: at.staff.as_ref().map(|s| s.id.clone()),
            resource_id: at.resource.as_ref().map(|(id, _)| id.clone()),
            when: at.when,
            buffer_min: service.buffer_min,
            group_id: group_id.map(str::to_string),
            note: note.to_string(),
            source: source.to_string(),
            customer_name: customer.name.clone(),
            service_name: service.name.clone(),
            staff_name: at.staff.as_ref().map(|s| s.name.clone()),
            resource_name: at.resource.as_ref().map(|(_, n)| n.clone()),
        },
        now,
    )?;
    tx.audit(now, source, "appointment.book", "appointment", &a.id, &serde_json::json!({ "group": group_id }))?;
    tracing::info!(appointment = %a.id, source = %source, "booked");
    Ok(a)
}

impl App {
    /// Books several services back to back (each starts when the one before ends; a
    /// beautician's clean-up does not hold the customer). All of them or none: the first
    /// refusal names the service it concerns.
    pub fn book_many(&mut self, r: &MultiBooking) -> Result<Vec<Appointment>> {
        if r.items.is_empty() {
            return Err(AppError::input("服务 service", "请至少选择一项服务 / choose at least one service"));
        }
        let local = parse_local_datetime(&r.start)?;
        let now = self.now();
        let opening_hours = self.config.shop.opening_hours.clone();
        let group = (r.items.len() > 1).then(|| uuid::Uuid::now_v7().to_string());
        self.store.write(|tx| {
            let mut start = local_to_utc(local.date(), local.time(), tx.tz());
            let mut booked = Vec::new();
            for (i, item) in r.items.iter().enumerate() {
                let a =
                    book_item(tx, &r.customer, item, start, group.as_deref(), &r.note, &r.source, &opening_hours, now)
                        .map_err(|e| match e {
                            AppError::Booking(c) if r.items.len() > 1 => AppError::input(
                                format!("第 {} 项 {} / service {}", i + 1, item.service, i + 1),
                                c.to_string(),
                            ),
                            e => e,
                        })?;
                start = a.ends_at;
                booked.push(a);
            }
            Ok(booked)
        })
    }

    /// Moves a booked appointment to another start (and beautician), checked by the same
    /// rules. `seen`: the [`Appointment::version`] the mover's page showed; if it changed
    /// meanwhile the move is refused with what it is now (never overwritten).
    pub fn move_appointment(
        &mut self,
        id: &str,
        start: &str,
        staff: Option<&str>,
        seen: Option<i64>,
        actor: &str,
    ) -> Result<Appointment> {
        let local = parse_local_datetime(start)?;
        let now = self.now();
        let opening_hours = self.config.shop.opening_hours.clone();
        self.store.write(|tx| {
            let a = tx.appointment(id.trim())?;
            if let Some(seen) = seen
                && seen != a.version()
            {
                return Err(AppError::Stale(format!(
                    "该预约已被修改：现为 {} {} {}（{}）/ the appointment changed meanwhile: now {} with {}",
                    crate::domain::time::local_span(a.starts_at, a.ends_at, tx.tz()),
                    a.service_name,
                    a.staff_name.clone().unwrap_or_default(),
                    a.status.label_zh(),
                    crate::domain::time::local_span(a.starts_at, a.ends_at, tx.tz()),
                    a.staff_name.clone().unwrap_or_default(),
                )));
            }
            if a.status != AppointmentStatus::Booked {
                return Err(AppError::input(
                    "预约 appointment",
                    format!(
                        "状态为「{}」，不能改约 / it is {}, it cannot be moved",
                        a.status.label_zh(),
                        a.status.as_str()
                    ),
                ));
            }
            let service = tx.service(&a.service_id)?;
            let staff = staff.map(str::to_string).or_else(|| a.staff_id.clone());
            let start = local_to_utc(local.date(), local.time(), tx.tz());
            let keep_room = a.resource_id.clone();
            // the same room if it is free, else any of the kind
            let at = match place(
                tx,
                &a.customer_id,
                &service,
                staff.as_deref(),
                keep_room.as_deref(),
                start,
                Some(&a.id),
                &opening_hours,
                now,
            ) {
                Ok(p) => p,
                Err(AppError::Booking(BookingConflict::ResourceBusy { .. } | BookingConflict::InBuffer { .. }))
                    if keep_room.is_some() =>
                {
                    place(
                        tx,
                        &a.customer_id,
                        &service,
                        staff.as_deref(),
                        None,
                        start,
                        Some(&a.id),
                        &opening_hours,
                        now,
                    )?
                }
                Err(e) => return Err(e),
            };
            let moved = tx.move_appointment(
                &a.id,
                at.staff.as_ref().map(|s| s.id.as_str()),
                at.resource.as_ref().map(|(id, _)| id.as_str()),
                at.when,
                now,
            )?;
            tx.audit(
                now,
                actor,
                "appointment.move",
                "appointment",
                &a.id,
                &serde_json::json!({ "from": a.starts_at.to_rfc3339(), "to": moved.starts_at.to_rfc3339() }),
            )?;
            Ok(moved)
        })
    }

    /// Marks a booked appointment whose time has come as a no-show.
    pub fn mark_no_show(&mut self, id: &str, actor: &str) -> Result<Appointment> {
        let now = self.now();
        self.store.write(|tx| {
            let a = tx.appointment(id.trim())?;
            if a.status != AppointmentStatus::Booked {
                return Err(AppError::input(
                    "预约 appointment",
                    format!("状态为「{}」/ it is {}", a.status.label_zh(), a.status.as_str()),
                ));
            }
            if a.starts_at > now {
                return Err(AppError::input(
                    "预约 appointment",
                    "预约时间未到，不能标为未到店 / its time has not come: it cannot be a no-show yet",
                ));
            }
            let a = tx.set_appointment_status(&a.id, AppointmentStatus::NoShow, None, now)?;
            tx.audit(now, actor, "appointment.no_show", "appointment", &a.id, &serde_json::json!({}))?;
            Ok(a)
        })
    }

    /// Sets a service's clean-up time (整理时间): later bookings keep its beautician and room
    /// this long after the treatment.
    pub fn set_service_buffer(
        &mut self,
        service: &str,
        minutes: u32,
        actor: &str,
    ) -> Result<crate::domain::model::Service> {
        if minutes > 240 {
            return Err(AppError::input("整理时间 buffer", "最多 240 分钟 / at most 240 minutes"));
        }
        let now = self.now();
        self.store.write(|tx| {
            let s = tx.find_service(service)?;
            let s = tx.set_service_buffer(&s.id, minutes, now)?;
            tx.audit(now, actor, "service.buffer", "service", &s.id, &serde_json::json!({ "minutes": minutes }))?;
            Ok(s)
        })
    }
}

/// Cancels one booked appointment inside a write, with its audit row.
fn cancel_in(tx: &Tx, a: &Appointment, reason: Option<&str>, now: DateTime<Utc>, actor: &str) -> Result<Appointment> {
    if a.status != AppointmentStatus::Booked {
        return Err(AppError::input(
            "预约 appointment",
            format!(
                "{} {}：状态为「{}」，不能取消 / it is {}, it cannot be cancelled",
                a.customer_name,
                a.service_name,
                a.status.label_zh(),
                a.status.as_str()
            ),
        ));
    }
    let c = tx.set_appointment_status(&a.id, AppointmentStatus::Cancelled, reason, now)?;
    tx.audit(now, actor, "appointment.cancel", "appointment", &c.id, &serde_json::json!({ "reason": reason }))?;
    Ok(c)
}
