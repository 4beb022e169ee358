//! The slot wait list (候补): a customer who wants a time that is fully booked waits for it;
//! when a booking in their window is cancelled, the daemon's `waitlist` job offers them the
//! freed slot with a hold time; when the hold runs out, the next one in line gets it.

use chrono::{DateTime, Duration, Utc};

use super::booking::{BookingRequest, book_in, parse_local_datetime};
use super::customers::lookup_customer;
use super::jobs::{Queued, queue_message, reminder};
use super::{App, AppError, Result};
use crate::domain::booking::Booked;
use crate::domain::model::Appointment;
use crate::domain::time::{Interval, local_dt, local_hm};
use crate::store::{Tx, WaitlistEntry};

/// How far back a cancellation is looked at for a slot to offer.
const CANCELLED_WITHIN: Duration = Duration::days(7);
/// A slot starting sooner than this is not offered (nobody could make it).
const LEAD: Duration = Duration::minutes(30);

impl App {
    /// Puts a customer on the wait list for `service` (with a beautician, or any) at any
    /// start between `from` and `to` (shop time, `YYYY-MM-DD HH:MM`).
    pub fn waitlist_add(
        &mut self,
        customer: &str,
        service: &str,
        staff: Option<&str>,
        from: &str,
        to: &str,
        actor: &str,
    ) -> Result<WaitlistEntry> {
        let tz = self.tz();
        let now = self.now();
        let (from, to) = (parse_local_datetime(from)?, parse_local_datetime(to)?);
        let window = Interval::new(
            crate::domain::time::local_to_utc(from.date(), from.time(), tz),
            crate::domain::time::local_to_utc(to.date(), to.time(), tz),
        );
        if window.end <= window.start || window.end <= now {
            return Err(AppError::input(
                "时间段 window",
                "结束须晚于开始，且在将来 / the end must be after the start, and in the future",
            ));
        }
        self.store.write(|tx| {
            let c = lookup_customer(tx, customer)?;
            let s = tx.find_service(service)?;
            let staff_id = staff.map(|k| tx.find_staff(k)).transpose()?.map(|s| s.id);
            let e = tx.insert_waitlist(&c.id, &s.id, staff_id.as_deref(), window, now)?;
            tx.audit(now, actor, "waitlist.add", "waitlist", &e.id, &serde_json::json!({ "customer": c.id }))?;
            Ok(e)
        })
    }

    pub fn waitlist(&mut self, all: bool) -> Result<Vec<WaitlistEntry>> {
        Ok(self.store.read(|tx| tx.waitlist(all))?)
    }

    /// The customer takes the slot offered: it is booked (every booking rule checked again)
    /// and the entry is done.
    pub fn waitlist_accept(&mut self, id: &str, actor: &str) -> Result<Appointment> {
        let now = self.now();
        let tz = self.tz();
        let opening = self.config.shop.opening_hours.clone();
        self.store.write(|tx| {
            let e = tx.waitlist_entry(id)?;
            let (Some(start), true) = (e.offered_start_at, e.status == "offered") else {
                return Err(AppError::input(
                    "候补 wait list",
                    format!("没有待确认的空位（状态 {}）/ no slot on offer (state {})", e.status, e.status),
                ));
            };
            if e.hold_until.is_some_and(|h| h <= now) {
                return Err(AppError::input("候补 wait list", "保留时间已过 / the hold has run out"));
            }
            let local = start.with_timezone(&tz).naive_local();
            let r = BookingRequest {
                customer: e.customer_id.clone(),
                service: e.service_id.clone(),
                staff: e.offered_staff_id.clone().or(e.staff_id.clone()),
                resource: None,
                start: local.format("%Y-%m-%d %H:%M").to_string(),
                note: "候补 wait list".into(),
                source: actor.to_string(),
            };
            let a = book_in(tx, &r, local, &opening, now)?;
            tx.set_waitlist_status(&e.id, &["offered"], "accepted", now)?;
            tx.audit(now, actor, "waitlist.accept", "waitlist", &e.id, &serde_json::json!({ "appointment": a.id }))?;
            Ok(a)
        })
    }

    pub fn waitlist_cancel(&mut self, id: &str, actor: &str) -> Result<()> {
        let now = self.now();
        self.store.write(|tx| {
            if !tx.set_waitlist_status(id, &["waiting", "offered"], "cancelled", now)? {
                return Err(AppError::input("候补 wait list", "已结束的候补不能取消 / this entry has ended already"));
            }
            tx.audit(now, actor, "waitlist.cancel", "waitlist", id, &serde_json::json!({}))?;
            Ok(())
        })
    }
}

/// The `waitlist` job: expire held offers, then offer every freed slot nobody holds to the
/// first customer in line it suits (service, beautician, window, and the customer free then).
pub(crate) fn offer_freed_slots(tx: &Tx<'_>, hold: Duration, at: DateTime<Utc>) -> Result<(Vec<Queued>, String)> {
    let tz = tx.tz();
    let expired = tx.expire_waitlist_offers(at)?;
    let mut queued = Vec::new();
    for slot in tx.freed_slots(at - CANCELLED_WITHIN, at + LEAD)? {
        if tx.slot_spoken_for(&slot.appointment_id)? {
            continue;
        }
        let live = tx.booked_overlapping(slot.when)?;
        // Booked again meanwhile (by phone, at the desk)?
        if slot.staff_id.as_ref().is_some_and(|s| live.iter().any(|b| b.staff_id.as_ref() == Some(s))) {
            continue;
        }
        let Some(entry) = tx.waiting_for(&slot.service_id, slot.when.start)?.into_iter().find(|e| {
            e.staff_id.as_ref().is_none_or(|s| slot.staff_id.as_ref() == Some(s))
                && !live.iter().any(|b: &Booked| b.customer_id == e.customer_id)
        }) else {
            continue;
        };
        let hold_until = (at + hold).min(slot.when.start);
        tx.offer_waitlist_slot(&entry.id, &slot, hold_until, at)?;
        let n = entry.offers + 1;
        let key = format!("waitlist:{}:offer:{n}", entry.id);
        let staff = match &slot.staff_id {
            Some(id) => tx.list_staff()?.into_iter().find(|s| &s.id == id).map(|s| s.name),
            None => None,
        };
        let params = serde_json::json!({
            "entry_id": entry.id,
            "when": local_dt(slot.when.start, tz),
            "service": entry.service_name,
            "staff": staff,
            "hold_until": local_hm(hold_until, tz),
        });
        queue_message(
            tx,
            &mut queued,
            reminder(key, &entry.customer_id, "waitlist_offer", &params, at, hold_until),
            at,
            format!("{} {} {}", entry.customer_name, local_dt(slot.when.start, tz), entry.service_name),
        )?;
    }
    Ok((queued, format!("过期 {} 个保留 / {} holds expired", expired.len(), expired.len())))
}
