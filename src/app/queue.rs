//! The live queue: listing with estimates, calling, starting, finishing.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::{App, AppError, Result};
use crate::domain::model::{QueueEntry, Shift};
use crate::domain::queue::{Job, Load, QueueStatus, StaffAvailability, estimate_all, estimate_start};
use crate::domain::time::{Interval, day_bounds};
use crate::store::Tx;

/// A queue entry with its place and estimate.
#[derive(Debug, Clone, Serialize)]
pub struct QueueLine {
    #[serde(flatten)]
    pub entry: QueueEntry,
    /// Entries waiting before this one (0 = next).
    pub ahead: usize,
    pub estimated_start_at: Option<DateTime<Utc>>,
    pub wait_minutes: Option<i64>,
}

/// What the wait estimate needs of a business day besides the queue: the beauticians'
/// shifts and their booked (not yet arrived) appointments, read once for the whole day.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    day: Interval,
    shifts: Vec<Shift>,
    booked: Vec<(String, Interval)>,
}

impl Schedule {
    /// The beauticians with a shift that day, in shift order.
    fn on_shift(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for s in &self.shifts {
            if !ids.contains(&s.staff_id.as_str()) {
                ids.push(&s.staff_id);
            }
        }
        ids
    }

    pub(crate) fn read(tx: &Tx<'_>, date: NaiveDate) -> Result<Schedule> {
        let day = day_bounds(date, tx.tz());
        Ok(Schedule { day, shifts: tx.beautician_shifts(day)?, booked: tx.staff_booked(day)? })
    }

    /// Beauticians on shift from `now` to the end of the day, with when they are free and
    /// what they have booked. `busy` holds `(beautician, until)` for the customers in
    /// service now.
    fn availability(&self, now: DateTime<Utc>, busy: &[(String, DateTime<Utc>)]) -> Vec<StaffAvailability> {
        let rest = Interval::new(now, self.day.end.max(now + Duration::seconds(1)));
        let mut out: Vec<StaffAvailability> = Vec::new();
        for shift in self.shifts.iter().filter(|s| rest.overlaps(&Interval::new(s.starts_at, s.ends_at))) {
            if out.iter().any(|s| s.staff_id == shift.staff_id) {
                continue;
            }
            let id = &shift.staff_id;
            let busy_until = busy.iter().filter(|(who, _)| who == id).map(|(_, until)| *until).max().unwrap_or(now);
            let booked = self
                .booked
                .iter()
                .filter(|(who, when)| who == id && when.overlaps(&rest))
                .map(|(_, when)| *when)
                .collect();
            out.push(StaffAvailability {
                staff_id: id.clone(),
                free_from: busy_until.max(shift.starts_at).max(now),
                shift_end: shift.ends_at,
                booked,
            });
        }
        out
    }
}

/// Splits a day's unfinished entries (in arrival order) into who is busy until when, and
/// the jobs still waiting.
fn split_load<'a, I: IntoIterator<Item = &'a Load>>(entries: I) -> (Vec<(String, DateTime<Utc>)>, Vec<Job>) {
    let mut busy = Vec::new();
    let mut waiting = Vec::new();
    for l in entries {
        let duration = Duration::minutes(l.minutes.into());
        match (l.status, l.staff_id.clone(), l.started_at) {
            (QueueStatus::InService, Some(s), Some(t)) => busy.push((s, t + duration)),
            (QueueStatus::Waiting | QueueStatus::Called, staff_id, _) => waiting.push(Job { staff_id, duration }),
            _ => {}
        }
    }
    (busy, waiting)
}

/// The queue of a business day with places and estimates, in order.
pub(crate) fn lines(tx: &Tx<'_>, now: DateTime<Utc>, date: NaiveDate) -> Result<Vec<QueueLine>> {
    let queue = tx.queue(date, false)?;
    let load: Vec<Load> = queue
        .iter()
        .map(|q| Load {
            entry_id: q.id.clone(),
            customer_id: q.customer_id.clone(),
            status: q.status,
            staff_id: q.staff_id.clone(),
            minutes: q.duration_min,
            started_at: q.started_at,
        })
        .collect();
    let (busy, waiting) = split_load(&load);
    let staff = Schedule::read(tx, date)?.availability(now, &busy);
    let estimates = estimate_all(now, &staff, &waiting);
    let mut place = 0;
    let mut out = Vec::with_capacity(queue.len());
    for q in queue {
        let (ahead, est) = if matches!(q.status, QueueStatus::Waiting | QueueStatus::Called) {
            place += 1;
            (place - 1, estimates[place - 1])
        } else {
            (0, q.started_at)
        };
        out.push(QueueLine { entry: q, ahead, estimated_start_at: est, wait_minutes: wait_minutes(now, est) });
    }
    Ok(out)
}

/// Whole minutes from `now` to `at`, rounded up; 0 when it is already time.
pub(crate) fn wait_minutes(now: DateTime<Utc>, at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(|t| ((t - now).num_seconds().max(0) + 59) / 60)
}

/// Where a new arrival would stand: entries waiting before it and its estimated start.
/// `load` is the day's unfinished entries (`Tx::queue_load`).
pub(crate) fn place_for(
    now: DateTime<Utc>,
    schedule: &Schedule,
    load: &[Load],
    new_job: &Job,
) -> (usize, Option<DateTime<Utc>>) {
    let (busy, ahead) = split_load(load);
    let staff = schedule.availability(now, &busy);
    (ahead.len(), estimate_start(now, &staff, &ahead, new_job))
}

/// A service as the kiosk offers it to one customer: the price for their tier.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub service: crate::domain::model::Service,
    pub price: rust_decimal::Decimal,
}

/// A beautician on shift today and when they could start a service for a new arrival.
#[derive(Debug, Clone, Serialize)]
pub struct StaffOffer {
    pub staff_id: String,
    pub name: String,
    /// `None`: not today (the shift ends first).
    pub starts_at: Option<DateTime<Utc>>,
}

impl App {
    /// The active services with the customer's tier price, by category and name.
    pub fn offers(&mut self, customer: &crate::domain::model::Customer) -> Result<Vec<Offer>> {
        // the prices she is shown are the ones the checkout will charge
        self.apply_due_rule_changes()?;
        self.store.read(|tx| {
            let discounts = match &customer.tier {
                Some(name) => {
                    tx.tiers()?.into_iter().find(|t| &t.name == name).map(|t| t.discounts).unwrap_or_default()
                }
                None => Default::default(),
            };
            Ok(tx
                .list_services(false)?
                .into_iter()
                .map(|s| {
                    let price = s.price - crate::domain::checkout::tier_discount(s.price, &discounts, &s.category);
                    Offer { service: s, price }
                })
                .collect())
        })
    }

    /// Who could take a walk-in for this service today, soonest first.
    pub fn staff_offers(&mut self, service_id: &str) -> Result<Vec<StaffOffer>> {
        let now = self.now();
        let date = self.today();
        self.store.read(|tx| {
            let service = tx.service(service_id)?;
            let load = tx.queue_load(date)?;
            let schedule = Schedule::read(tx, date)?;
            let names: std::collections::HashMap<String, String> =
                tx.list_staff()?.into_iter().map(|s| (s.id, s.name)).collect();
            let duration = Duration::minutes(service.duration_min.into());
            let mut out: Vec<StaffOffer> = schedule
                .on_shift()
                .into_iter()
                .map(|id| StaffOffer {
                    staff_id: id.to_string(),
                    name: names.get(id).cloned().unwrap_or_else(|| id.to_string()),
                    starts_at: place_for(now, &schedule, &load, &Job { staff_id: Some(id.to_string()), duration }).1,
                })
                .collect();
            out.sort_by_key(|o| (o.starts_at.is_none(), o.starts_at));
            Ok(out)
        })
    }

    /// Today's queue (or all of today's entries with `include_finished`).
    pub fn queue(&mut self, include_finished: bool) -> Result<Vec<QueueLine>> {
        let now = self.now();
        let date = self.today();
        self.store.read(|tx| {
            let mut l = lines(tx, now, date)?;
            if include_finished {
                let all = tx.queue(date, true)?;
                for e in all.into_iter().filter(|e| !e.status.is_active()) {
                    l.push(QueueLine { entry: e, ahead: 0, estimated_start_at: None, wait_minutes: None });
                }
            }
            Ok::<_, AppError>(l)
        })
    }

    /// Moves a ticket (A001, or an entry id; `None` with `Called`: the next waiting one)
    /// to `to`, checking the transition. Starting service may name who serves.
    pub fn queue_move(
        &mut self,
        ticket: Option<&str>,
        to: QueueStatus,
        served_by: Option<&str>,
        actor: &str,
    ) -> Result<QueueEntry> {
        let now = self.now();
        let date = self.today();
        self.store.write(|tx| {
            let entry = match ticket {
                Some(t) => tx.find_queue_entry(date, t)?,
                None if to == QueueStatus::Called => tx
                    .queue(date, false)?
                    .into_iter()
                    .find(|q| q.status == QueueStatus::Waiting)
                    .ok_or_else(|| AppError::input("queue", "没有等候中的顾客 / nobody is waiting"))?,
                None => return Err(AppError::input("ticket", "请给出排队号 / give a ticket number")),
            };
            entry.status.transition(to)?;
            let served = match served_by {
                Some(s) => Some(tx.find_staff(s)?.id),
                None => None,
            };
            let updated = tx.set_queue_status(&entry.id, to, served.as_deref(), now)?;
            tracing::info!(ticket = %entry.ticket, from = entry.status.as_str(), to = to.as_str(), "queue move");
            if to == QueueStatus::Done
                && let Some(a) = &entry.appointment_id
            {
                tx.set_appointment_status(a, crate::domain::model::AppointmentStatus::Completed, None, now)?;
            }
            tx.audit(
                now,
                actor,
                &format!("queue.{}", to.as_str()),
                "queue_entry",
                &entry.id,
                &serde_json::json!({ "ticket": entry.ticket }),
            )?;
            Ok(updated)
        })
    }
}
