//! Appointment booking rules: a beautician, a room/device resource and a customer are
//! never double-booked; a booking lies within opening hours and within one of the
//! beautician's shifts. Pure: the caller loads what overlaps and passes it in.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use thiserror::Error;

use super::time::{Interval, local_dt, local_hm, local_span};

/// An existing, not-cancelled appointment as the rules need to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    pub id: String,
    pub customer_id: String,
    pub staff_id: Option<String>,
    pub resource_id: Option<String>,
    pub when: Interval,
    /// Clean-up after it (the service's buffer when booked): its beautician and room stay
    /// taken this long after `when` ends; the customer does not.
    pub buffer_min: u32,
    /// What to call it in an error: e.g. "王女士 面部深层清洁".
    pub label: String,
}

impl Booked {
    /// When its beautician and room are taken: the service and its clean-up.
    pub fn occupied(&self) -> Interval {
        Interval::new(self.when.start, self.when.end + Duration::minutes(self.buffer_min.into()))
    }
}

/// A booking being asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposed {
    pub customer_id: String,
    pub staff_id: Option<String>,
    pub resource_id: Option<String>,
    pub when: Interval,
    /// The service's clean-up time after it.
    pub buffer_min: u32,
}

impl Proposed {
    pub fn occupied(&self) -> Interval {
        Interval::new(self.when.start, self.when.end + Duration::minutes(self.buffer_min.into()))
    }
}

/// Everything the check needs besides the proposal.
#[derive(Debug, Clone)]
pub struct BookingContext<'a> {
    pub tz: Tz,
    /// Opening interval of the proposal's business date; `None`: the shop is closed.
    pub opening: Option<Interval>,
    /// The chosen beautician's shifts that day (ignored without a beautician).
    pub staff_shifts: &'a [Interval],
    /// Name of the chosen beautician and resource, for messages.
    pub staff_name: &'a str,
    pub resource_name: &'a str,
    /// Existing appointments that may overlap (more is fine: the check filters).
    pub existing: &'a [Booked],
    /// The appointment being moved, which must not conflict with itself.
    pub ignore_id: Option<&'a str>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BookingConflict {
    #[error("结束时间须晚于开始时间 / the end must be after the start")]
    EmptyInterval,
    #[error("预约时间已过 ({at}) / the time {at} is in the past")]
    InThePast { at: String },
    #[error("当天休息，不营业 / the shop is closed that day")]
    ShopClosed,
    #[error("超出营业时间 {opens}–{closes} / outside opening hours {opens}–{closes}")]
    OutsideOpeningHours { opens: String, closes: String },
    #[error("美容师 {staff} 该时段不在班 / beautician {staff} has no shift covering that time")]
    StaffOffShift { staff: String },
    #[error(
        "美容师 {staff} 在 {at} 已有预约（{other}，编号 {other_id}）/ beautician {staff} is already booked at {at} ({other}, id {other_id})"
    )]
    StaffBusy { staff: String, at: String, other: String, other_id: String },
    #[error(
        "{resource} 在 {at} 已被占用（{other}，编号 {other_id}）/ {resource} is already taken at {at} ({other}, id {other_id})"
    )]
    ResourceBusy { resource: String, at: String, other: String, other_id: String },
    #[error(
        "{zh}{name} 在 {at} 已有预约（{other}，编号 {other_id}），之间需留 {minutes} 分钟整理时间 / {en}{name} is booked at {at} ({other}, id {other_id}); {minutes} minutes of clean-up are needed in between",
        zh = if *staff { "美容师 " } else { "" },
        en = if *staff { "beautician " } else { "" }
    )]
    InBuffer { name: String, at: String, other: String, other_id: String, minutes: u32, staff: bool },
    #[error(
        "该顾客在 {at} 已有预约（{other}，编号 {other_id}）/ the customer already has an appointment at {at} ({other}, id {other_id})"
    )]
    CustomerBusy { at: String, other: String, other_id: String },
}

fn span(i: &Interval, tz: Tz) -> String {
    local_span(i.start, i.end, tz)
}

/// Checks a proposal; the first conflict found is returned, in this order: interval,
/// past, opening hours, shift, beautician, resource, customer.
pub fn check(p: &Proposed, now: DateTime<Utc>, ctx: &BookingContext<'_>) -> Result<(), BookingConflict> {
    if p.when.end <= p.when.start {
        return Err(BookingConflict::EmptyInterval);
    }
    if p.when.start < now {
        return Err(BookingConflict::InThePast { at: local_dt(p.when.start, ctx.tz) });
    }
    let opening = ctx.opening.ok_or(BookingConflict::ShopClosed)?;
    if !opening.contains(&p.when) {
        return Err(BookingConflict::OutsideOpeningHours {
            opens: local_hm(opening.start, ctx.tz),
            closes: local_hm(opening.end, ctx.tz),
        });
    }
    if p.staff_id.is_some() && !ctx.staff_shifts.iter().any(|s| s.contains(&p.when)) {
        return Err(BookingConflict::StaffOffShift { staff: ctx.staff_name.to_string() });
    }
    let busy = p.occupied();
    let others = ctx.existing.iter().filter(|b| Some(b.id.as_str()) != ctx.ignore_id && b.occupied().overlaps(&busy));
    let mut first_resource = None;
    let mut first_customer = None;
    // The clean-up that separates two bookings of one beautician or room: the earlier one's.
    let buffer_between = |b: &Booked| if b.when.start <= p.when.start { b.buffer_min } else { p.buffer_min };
    for b in others {
        let during = b.when.overlaps(&p.when);
        if p.staff_id.is_some() && b.staff_id == p.staff_id {
            let at = span(&b.when, ctx.tz);
            return Err(if during {
                BookingConflict::StaffBusy {
                    staff: ctx.staff_name.to_string(),
                    at,
                    other: b.label.clone(),
                    other_id: b.id.clone(),
                }
            } else {
                BookingConflict::InBuffer {
                    name: ctx.staff_name.to_string(),
                    at,
                    other: b.label.clone(),
                    other_id: b.id.clone(),
                    minutes: buffer_between(b),
                    staff: true,
                }
            });
        }
        if first_resource.is_none() && p.resource_id.is_some() && b.resource_id == p.resource_id {
            first_resource = Some((b, during));
        }
        if first_customer.is_none() && during && b.customer_id == p.customer_id {
            first_customer = Some(b);
        }
    }
    if let Some((b, during)) = first_resource {
        let at = span(&b.when, ctx.tz);
        return Err(if during {
            BookingConflict::ResourceBusy {
                resource: ctx.resource_name.to_string(),
                at,
                other: b.label.clone(),
                other_id: b.id.clone(),
            }
        } else {
            BookingConflict::InBuffer {
                name: ctx.resource_name.to_string(),
                at,
                other: b.label.clone(),
                other_id: b.id.clone(),
                minutes: buffer_between(b),
                staff: false,
            }
        });
    }
    if let Some(b) = first_customer {
        return Err(BookingConflict::CustomerBusy {
            at: span(&b.when, ctx.tz),
            other: b.label.clone(),
            other_id: b.id.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn tz() -> Tz {
        "Asia/Shanghai".parse().unwrap()
    }
    fn at(h: u32, m: u32) -> DateTime<Utc> {
        // 2026-11-23 local → UTC is -8 h
        tz().with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap().with_timezone(&Utc)
    }
    fn iv(h1: u32, m1: u32, h2: u32, m2: u32) -> Interval {
        Interval::new(at(h1, m1), at(h2, m2))
    }
    fn ctx<'a>(shifts: &'a [Interval], existing: &'a [Booked]) -> BookingContext<'a> {
        BookingContext {
            tz: tz(),
            opening: Some(iv(10, 0, 21, 0)),
            staff_shifts: shifts,
            staff_name: "李娜",
            resource_name: "1号房",
            existing,
            ignore_id: None,
        }
    }
    fn booked(id: &str, cust: &str, staff: Option<&str>, res: Option<&str>, when: Interval) -> Booked {
        Booked {
            id: id.into(),
            customer_id: cust.into(),
            staff_id: staff.map(Into::into),
            resource_id: res.map(Into::into),
            when,
            buffer_min: 0,
            label: format!("appt {id}"),
        }
    }
    fn prop(cust: &str, staff: Option<&str>, res: Option<&str>, when: Interval) -> Proposed {
        Proposed {
            customer_id: cust.into(),
            staff_id: staff.map(Into::into),
            resource_id: res.map(Into::into),
            when,
            buffer_min: 0,
        }
    }

    #[test]
    fn a_buffer_keeps_the_beautician_and_room_but_not_the_customer() {
        let shifts = [iv(10, 0, 18, 0)];
        let mut a1 = booked("a1", "c1", Some("s1"), Some("r1"), iv(11, 0, 12, 0));
        a1.buffer_min = 15;
        let existing = [a1];
        let c = ctx(&shifts, &existing);
        let now = at(9, 0);
        // 12:00 is inside a1's clean-up: refused for the beautician, with the reason
        let e = check(&prop("c2", Some("s1"), None, iv(12, 0, 13, 0)), now, &c).unwrap_err();
        assert!(matches!(&e, BookingConflict::InBuffer { minutes: 15, .. }), "{e}");
        assert!(e.to_string().contains("李娜") && e.to_string().contains("15 分钟"), "{e}");
        // and for the room
        let e = check(&prop("c2", None, Some("r1"), iv(12, 10, 13, 0)), now, &c).unwrap_err();
        assert!(matches!(&e, BookingConflict::InBuffer { .. }), "{e}");
        // 12:15 is free again
        assert_eq!(check(&prop("c2", Some("s1"), Some("r1"), iv(12, 15, 13, 0)), now, &c), Ok(()));
        // the customer herself may go on to her next service at once (another beautician)
        assert_eq!(
            check(
                &prop("c1", Some("s2"), None, iv(12, 0, 13, 0)),
                now,
                &BookingContext { staff_shifts: &shifts, ..c.clone() }
            ),
            Ok(())
        );
        // a new booking's own clean-up must end before the next one starts
        let mut p = prop("c3", Some("s1"), None, iv(10, 0, 10, 50));
        p.buffer_min = 15;
        let e = check(&p, now, &c).unwrap_err();
        assert!(matches!(&e, BookingConflict::InBuffer { minutes: 15, .. }), "{e}");
        p.when = iv(10, 0, 10, 45);
        assert_eq!(check(&p, now, &c), Ok(()));
    }

    #[test]
    fn names_what_it_conflicts_with() {
        let shifts = [iv(10, 0, 18, 0)];
        let existing = [booked("a1", "c1", Some("s1"), Some("r1"), iv(11, 0, 12, 0))];
        let now = at(9, 0);
        let c = ctx(&shifts, &existing);
        let e = check(&prop("c2", Some("s1"), None, iv(11, 30, 12, 30)), now, &c).unwrap_err();
        assert!(matches!(&e, BookingConflict::StaffBusy { other_id, .. } if other_id == "a1"), "{e}");
        assert!(e.to_string().contains("李娜") && e.to_string().contains("11:00–12:00"), "{e}");
        let e = check(
            &prop("c2", Some("s2"), Some("r1"), iv(11, 30, 12, 30)),
            now,
            &BookingContext { staff_shifts: &[iv(10, 0, 18, 0)], ..c.clone() },
        )
        .unwrap_err();
        assert!(matches!(e, BookingConflict::ResourceBusy { .. }), "{e}");
        let e = check(&prop("c1", None, None, iv(11, 59, 12, 30)), now, &c).unwrap_err();
        assert!(matches!(e, BookingConflict::CustomerBusy { .. }), "{e}");
        // back to back is fine
        assert_eq!(check(&prop("c1", Some("s1"), Some("r1"), iv(12, 0, 13, 0)), now, &c), Ok(()));
        // moving an appointment does not conflict with itself
        let moving = BookingContext { ignore_id: Some("a1"), ..c.clone() };
        assert_eq!(check(&prop("c1", Some("s1"), Some("r1"), iv(11, 30, 12, 30)), now, &moving), Ok(()));
    }

    #[test]
    fn hours_shift_and_past() {
        let shifts = [iv(10, 0, 14, 0)];
        let c = ctx(&shifts, &[]);
        let now = at(9, 0);
        assert!(matches!(
            check(&prop("c", None, None, iv(20, 30, 21, 30)), now, &c),
            Err(BookingConflict::OutsideOpeningHours { .. })
        ));
        assert!(matches!(
            check(&prop("c", Some("s"), None, iv(13, 30, 14, 30)), now, &c),
            Err(BookingConflict::StaffOffShift { .. })
        ));
        assert!(matches!(
            check(&prop("c", None, None, iv(12, 0, 13, 0)), at(12, 30), &c),
            Err(BookingConflict::InThePast { .. })
        ));
        assert_eq!(check(&prop("c", None, None, iv(12, 0, 12, 0)), now, &c), Err(BookingConflict::EmptyInterval));
        let closed = BookingContext { opening: None, ..c };
        assert_eq!(check(&prop("c", None, None, iv(12, 0, 13, 0)), now, &closed), Err(BookingConflict::ShopClosed));
    }

    proptest! {
        /// Whatever sequence of requests comes in, the accepted set never double-books a
        /// beautician, a resource or a customer, and every request that would have is refused.
        #[test]
        fn accepted_bookings_never_overlap(reqs in prop::collection::vec((0u8..4, 0u8..4, 0u8..3, 0u32..40, 1u32..8, 0u32..3), 1..60)) {
            let shifts = [iv(10, 0, 21, 0)];
            let now = at(9, 0);
            let mut accepted: Vec<Booked> = Vec::new();
            for (i, (cust, staff, res, start_slot, len, buffer)) in reqs.into_iter().enumerate() {
                let start = at(10, 0) + Duration::minutes(15 * start_slot as i64);
                let end = start + Duration::minutes(15 * len as i64);
                let staff = (staff < 3).then(|| format!("s{staff}"));
                let res = (res < 2).then(|| format!("r{res}"));
                let p = Proposed { customer_id: format!("c{cust}"), staff_id: staff.clone(), resource_id: res.clone(), when: Interval::new(start, end), buffer_min: buffer * 10 };
                let result = check(&p, now, &ctx(&shifts, &accepted));
                let clash = accepted.iter().any(|b| (b.when.overlaps(&p.when) && b.customer_id == p.customer_id)
                    || (b.occupied().overlaps(&p.occupied()) && ((staff.is_some() && b.staff_id == staff) || (res.is_some() && b.resource_id == res))));
                let outside = end > at(21, 0);
                prop_assert_eq!(result.is_err(), clash || outside, "request {} {:?}", i, result);
                if result.is_ok() {
                    accepted.push(Booked { id: format!("a{i}"), customer_id: p.customer_id, staff_id: staff, resource_id: res, when: p.when, buffer_min: p.buffer_min, label: String::new() });
                }
            }
            for (i, a) in accepted.iter().enumerate() {
                for b in &accepted[i + 1..] {
                    if a.when.overlaps(&b.when) {
                        prop_assert!(a.customer_id != b.customer_id);
                    }
                    if a.occupied().overlaps(&b.occupied()) {
                        prop_assert!(a.staff_id.is_none() || a.staff_id != b.staff_id);
                        prop_assert!(a.resource_id.is_none() || a.resource_id != b.resource_id);
                    }
                }
            }
        }
    }
}
