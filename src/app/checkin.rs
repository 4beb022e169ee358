//! Check-in: identify the customer, match today's appointment or join the walk-in queue,
//! number the ticket, estimate the wait, alert the staff. One function serves the kiosk and
//! the command line.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::queue::{Schedule, lines, place_for, wait_minutes};
use super::{App, AppError, Result};
use crate::domain::checkin::{CheckinWindow, TicketKind};
use crate::domain::customer::greeting_name;
use crate::domain::idcard::IdCardKey;
use crate::domain::model::{Appointment, AppointmentStatus, Customer, QueueEntry};
use crate::domain::phone::Phone;
use crate::domain::queue::{Job, Load, QueueStatus};
use crate::domain::time::{day_bounds, local_hm};
use crate::store::{NewNotification, NewQueueEntry, Stamp, StoreError, Tx};

/// How the customer identified themselves.
#[derive(Debug, Clone)]
pub enum Identity {
    Phone(Phone),
    IdCard(IdCardKey),
    MemberCode(String),
}

/// The prefix of a member QR code: `SALONBOX:M:M100001`.
pub const MEMBER_QR_PREFIX: &str = "SALONBOX:M:";

impl Identity {
    /// What a code read by a member-card or QR reader stands for: a member QR code
    /// (`SALONBOX:M:…`), a phone number (some QR cards carry one), or else a member code
    /// or member card number.
    pub fn from_scanned(code: &str) -> Identity {
        let c = code.trim();
        if let Some(m) = c.strip_prefix(MEMBER_QR_PREFIX) {
            return Identity::MemberCode(m.trim().to_string());
        }
        match Phone::parse(c) {
            Ok(p) if c.len() == 11 && c.bytes().all(|b| b.is_ascii_digit()) => Identity::Phone(p),
            _ => Identity::MemberCode(c.to_string()),
        }
    }

    fn how(&self) -> &'static str {
        match self {
            Identity::Phone(_) => "phone",
            Identity::IdCard(_) => "id_card",
            Identity::MemberCode(_) => "member_code",
        }
    }

    /// What may be said about it in a message (masked).
    fn shown(&self) -> String {
        match self {
            Identity::Phone(p) => p.masked(),
            Identity::IdCard(k) => k.masked.clone(),
            Identity::MemberCode(c) => c.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CheckinRequest {
    pub identity: Identity,
    /// For a walk-in: the service (id or name). Ignored when an appointment matches.
    pub service: Option<String>,
    /// For a walk-in: the beautician asked for (id or name), if any.
    pub staff: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckinOutcome {
    /// 王女士
    pub greeting: String,
    pub customer_id: String,
    pub tier: Option<String>,
    pub entry: QueueEntry,
    pub appointment: Option<Appointment>,
    /// Entries waiting before this one.
    pub ahead: usize,
    pub estimated_start_at: Option<DateTime<Utc>>,
    pub wait_minutes: Option<i64>,
    /// The customer already had an unfinished ticket today: it is returned, not doubled.
    pub already_checked_in: bool,
    /// `appointment`, `walkin` or `vip`: the staff alert's kind and the buzzer's pattern.
    pub arrival: &'static str,
    /// Check-in points given now (签到积分; 0: none, or given earlier today).
    pub checkin_points: i64,
}

/// What the staff are told when a customer arrives (template `staff_arrival`).
#[derive(Serialize)]
struct ArrivalAlert<'a> {
    /// appointment, walkin or vip: chooses the buzzer pattern and the message's tone.
    arrival: &'a str,
    ticket: &'a str,
    customer: &'a str,
    tier: Option<&'a str>,
    service: &'a str,
    staff: Option<&'a str>,
    appointment_time: Option<String>,
    allergies: &'a str,
    contraindications: &'a str,
}

/// What a check-in read of its business day, kept for the next check-in while nobody has
/// written to the database since (the [`Stamp`] is unchanged): the kiosk then skips the
/// day's queue, shifts and bookings queries. Any write, by this process or another, makes
/// the next check-in read them afresh.
#[derive(Debug)]
pub(crate) struct DayCache {
    stamp: Stamp,
    date: chrono::NaiveDate,
    load: Vec<Load>,
    schedule: Schedule,
}

/// How an arrival is announced: a VIP (tier rank 2 and up) above all, then an appointment
/// or a walk-in.
fn arrival_kind(customer: &Customer, kind: TicketKind) -> &'static str {
    if customer.tier_rank.is_some_and(|r| r >= 2) {
        "vip"
    } else if kind == TicketKind::Appointment {
        "appointment"
    } else {
        "walkin"
    }
}

/// The customer's booked appointment today that an arrival now belongs to, if any.
fn due_appointment(
    tx: &Tx<'_>,
    customer_id: &str,
    window: CheckinWindow,
    now: DateTime<Utc>,
    date: chrono::NaiveDate,
) -> Result<Option<String>> {
    let booked = tx.customer_booked(customer_id, day_bounds(date, tx.tz()))?;
    Ok(window.pick(booked.iter().map(|(id, s)| (id.as_str(), *s)), now).map(str::to_string))
}

fn find(tx: &Tx<'_>, id: &Identity) -> Result<Option<Customer>> {
    Ok(match id {
        Identity::Phone(p) => tx.customer_by_phone(p)?,
        Identity::IdCard(k) => tx.customer_by_id_card(&k.hash)?,
        Identity::MemberCode(c) => match tx.customer_by_member_code(c)? {
            Some(found) => Some(found),
            None => tx.customer_by_member_card(c)?,
        },
    })
}

impl App {
    /// Who this is and their appointment today that the check-in window matches, if any
    /// (for the kiosk's greeting before the customer confirms).
    pub fn identify(&mut self, identity: &Identity) -> Result<Option<(Customer, Option<Appointment>)>> {
        let now = self.now();
        let window = self.config.checkin.window;
        let date = self.today();
        self.store.read(|tx| {
            let Some(c) = find(tx, identity)? else { return Ok(None) };
            let appt = match due_appointment(tx, &c.id, window, now, date)? {
                Some(id) => Some(tx.appointment(&id)?),
                None => None,
            };
            Ok::<_, AppError>(Some((c, appt)))
        })
    }

    /// Checks a customer in, in one transaction: the queue entry with its ticket number,
    /// the appointment's new status, the sync events and the staff alert.
    pub fn check_in(&mut self, req: &CheckinRequest) -> Result<CheckinOutcome> {
        let now = self.now();
        let window = self.config.checkin.window;
        let date = self.today();
        let cached = self.day_cache.take().filter(|c| c.date == date);
        let ((outcome, keep), stamp) = self.store.write_stamped(|tx| {
            let customer = find(tx, &req.identity)?.ok_or_else(|| AppError::UnknownCustomer(req.identity.shown()))?;
            let greeting = greeting_name(&customer.name, customer.gender);
            // The day's unfinished entries: is this customer already among them, and where
            // would a new arrival stand?
            let (mut load, schedule) = match cached {
                Some(c) if c.stamp == tx.stamp()? => (c.load, Some(c.schedule)),
                _ => (tx.queue_load(date)?, None),
            };
            if let Some(mine) = load.iter().find(|l| l.customer_id == customer.id) {
                let existing = tx.queue_entry(&mine.entry_id)?;
                let appointment = existing.appointment_id.as_deref().map(|a| tx.appointment(a)).transpose()?;
                return Ok((already(tx, now, customer, greeting, existing, appointment)?, None));
            }
            let matched = due_appointment(tx, &customer.id, window, now, date)?;
            let (kind, (service_id, service_name), (staff_id, staff_name), duration, appointment) = match matched {
                Some(appt_id) => {
                    let a = tx.set_appointment_status(&appt_id, AppointmentStatus::CheckedIn, None, now)?;
                    (
                        TicketKind::Appointment,
                        (a.service_id.clone(), a.service_name.clone()),
                        (a.staff_id.clone(), a.staff_name.clone()),
                        a.ends_at - a.starts_at,
                        Some(a),
                    )
                }
                None => {
                    let service = match &req.service {
                        Some(s) => tx.find_service(s)?,
                        None => return Err(AppError::ServiceRequired),
                    };
                    if !service.active {
                        return Err(AppError::input(
                            "服务 service",
                            format!("「{}」已停用 / \"{}\" is no longer offered", service.name, service.name),
                        ));
                    }
                    let staff = match &req.staff {
                        Some(s) => {
                            let s = tx.find_staff(s)?;
                            (Some(s.id), Some(s.name))
                        }
                        None => (None, None),
                    };
                    let minutes = Duration::minutes(service.duration_min.into());
                    (TicketKind::Walkin, (service.id, service.name), staff, minutes, None)
                }
            };
            let schedule = match schedule {
                Some(s) => s,
                None => Schedule::read(tx, date)?,
            };
            let (ahead, promised) = place_for(now, &schedule, &load, &Job { staff_id: staff_id.clone(), duration });
            let entry = tx.insert_queue_entry(
                &NewQueueEntry {
                    business_date: date,
                    kind,
                    customer_id: customer.id.clone(),
                    appointment_id: appointment.as_ref().map(|a| a.id.clone()),
                    service_id,
                    duration_min: u32::try_from(duration.num_minutes()).unwrap_or(u32::MAX),
                    staff_id,
                    identified_by: req.identity.how().to_string(),
                    promised_start_at: promised,
                    customer_name: customer.name.clone(),
                    customer_gender: customer.gender,
                    service_name,
                    staff_name,
                },
                now,
            )?;
            let arrival = arrival_kind(&customer, kind);
            let checkin_points =
                super::rules::award_checkin_points(tx, &customer.id, day_bounds(date, tx.tz()).start, now)?;
            tx.enqueue_notification(
                &NewNotification {
                    dedupe_key: format!("arrival:{}", entry.id),
                    kind: "staff",
                    audience: "staff_group",
                    customer_id: Some(customer.id.clone()),
                    recipient: None,
                    template: "staff_arrival",
                    params: serde_json::to_string(&ArrivalAlert {
                        arrival,
                        ticket: &entry.ticket,
                        customer: &greeting,
                        tier: customer.tier.as_deref(),
                        service: &entry.service_name,
                        staff: entry.staff_name.as_deref(),
                        appointment_time: appointment.as_ref().map(|a| local_hm(a.starts_at, tx.tz())),
                        allergies: &customer.allergies,
                        contraindications: &customer.contraindications,
                    })
                    .map_err(StoreError::from)?,
                    not_before: now,
                    not_after: None,
                },
                now,
            )?;
            tracing::info!(ticket = %entry.ticket, kind = kind.as_str(), by = req.identity.how(), "checked in");
            // The day as it stands after this commit. An appointment's check-in changed the
            // bookings the schedule holds: read them afresh next time.
            let keep = appointment.is_none().then(|| {
                load.push(Load {
                    entry_id: entry.id.clone(),
                    customer_id: customer.id.clone(),
                    status: QueueStatus::Waiting,
                    staff_id: entry.staff_id.clone(),
                    minutes: entry.duration_min,
                    started_at: None,
                });
                (load, schedule)
            });
            let mut outcome =
                CheckinOutcome::new(now, customer, greeting, entry, appointment, (ahead, promised), false);
            outcome.checkin_points = checkin_points;
            Ok((outcome, keep))
        })?;
        self.day_cache = keep.map(|(load, schedule)| DayCache { stamp, date, load, schedule });
        Ok(outcome)
    }
}

impl CheckinOutcome {
    fn new(
        now: DateTime<Utc>,
        customer: Customer,
        greeting: String,
        entry: QueueEntry,
        appointment: Option<Appointment>,
        (ahead, estimated_start_at): (usize, Option<DateTime<Utc>>),
        already_checked_in: bool,
    ) -> CheckinOutcome {
        let arrival = arrival_kind(&customer, entry.kind);
        CheckinOutcome {
            greeting,
            customer_id: customer.id,
            tier: customer.tier,
            entry,
            appointment,
            ahead,
            estimated_start_at,
            wait_minutes: wait_minutes(now, estimated_start_at),
            already_checked_in,
            arrival,
            checkin_points: 0,
        }
    }
}

/// The answer for a customer who already holds a ticket today: where it stands now.
fn already(
    tx: &Tx<'_>,
    now: DateTime<Utc>,
    customer: Customer,
    greeting: String,
    entry: QueueEntry,
    appointment: Option<Appointment>,
) -> Result<CheckinOutcome> {
    let line = lines(tx, now, entry.business_date)?.into_iter().find(|l| l.entry.id == entry.id);
    let place = line.map_or((0, None), |l| (l.ahead, l.estimated_start_at));
    Ok(CheckinOutcome::new(now, customer, greeting, entry, appointment, place, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_codes_become_identities() {
        assert!(matches!(Identity::from_scanned("SALONBOX:M:M100001\r"), Identity::MemberCode(c) if c == "M100001"));
        assert!(matches!(Identity::from_scanned(" 13812345678 "), Identity::Phone(p) if p.as_str() == "13812345678"));
        assert!(matches!(Identity::from_scanned("0A003C9B1F"), Identity::MemberCode(c) if c == "0A003C9B1F"));
        // a longer number is a card number, not a phone
        assert!(matches!(Identity::from_scanned("8613812345678"), Identity::MemberCode(_)));
    }
}
