//! Domain values turned into what the pages show (the one place that converts).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use slint::{ModelRc, SharedString, VecModel};

use super::text::{self, Lang};
use super::{AppointmentRow, BillExtra, BillRow, DeviceRow, QueueRow, ServiceItem, StaffItem};
use crate::app::queue::{Offer, StaffOffer};
use crate::domain::money::show_yuan;
use crate::domain::time::local_hm;

/// The phone keypad's echo: grouped as typed (`138 1234 5`), masked once complete
/// (`138 **** 5678`).
pub fn phone_echo(digits: &str) -> String {
    if digits.len() == 11 {
        return format!("{} **** {}", &digits[..3], &digits[7..]);
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i == 3 || i == 7 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

pub fn services(l: Lang, offers: &[Offer], selected: Option<&str>) -> ModelRc<ServiceItem> {
    let items: Vec<ServiceItem> = offers
        .iter()
        .map(|o| ServiceItem {
            id: o.service.id.clone().into(),
            name: o.service.name.clone().into(),
            minutes: text::minutes(l, o.service.duration_min).into(),
            price: show_yuan(o.price).into(),
            selected: selected == Some(o.service.id.as_str()),
        })
        .collect();
    ModelRc::new(VecModel::from(items))
}

/// The beauticians for the chosen service, "anyone" first.
pub fn staff(l: Lang, offers: &[StaffOffer], selected: Option<&str>, now: DateTime<Utc>, tz: Tz) -> ModelRc<StaffItem> {
    let mut items = vec![StaffItem {
        id: SharedString::default(),
        name: text::anyone(l).into(),
        free: SharedString::default(),
        selected: selected.is_none(),
    }];
    items.extend(offers.iter().map(|o| {
        StaffItem {
            id: o.staff_id.clone().into(),
            name: o.name.clone().into(),
            free: match o.starts_at {
                None => text::not_today(l),
                Some(t) if t <= now + chrono::Duration::minutes(5) => text::free_now(l),
                Some(t) => text::free_at(l, &local_hm(t, tz)),
            }
            .into(),
            selected: selected == Some(o.staff_id.as_str()),
        }
    }));
    ModelRc::new(VecModel::from(items))
}

/// A line of the staff's queue: the customer's allergies and contraindications as a
/// warning, her tier (gold and above marked VIP).
pub fn queue_row(
    l: Lang,
    line: &crate::app::queue::QueueLine,
    customer: Option<&crate::domain::model::Customer>,
) -> QueueRow {
    let e = &line.entry;
    let (warning, tier, vip) = match customer {
        Some(c) => (
            [c.allergies.trim(), c.contraindications.trim()]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("；"),
            c.tier.clone().unwrap_or_default(),
            c.tier_rank.is_some_and(|r| r >= 2),
        ),
        None => (String::new(), String::new(), false),
    };
    QueueRow {
        ticket: e.ticket.clone().into(),
        name: crate::domain::customer::greeting_name(&e.customer_name, e.customer_gender).into(),
        service: e.service_name.clone().into(),
        staff: e.staff_name.clone().unwrap_or_default().into(),
        status: e.status.as_str().into(),
        status_label: text::queue_status(l, e.status).into(),
        wait: if e.status == crate::domain::queue::QueueStatus::Waiting {
            text::wait_short(l, line.wait_minutes)
        } else {
            String::new()
        }
        .into(),
        warning: warning.into(),
        tier: tier.into(),
        vip,
    }
}

pub fn appointment_row(a: &crate::domain::model::Appointment, tz: Tz) -> AppointmentRow {
    AppointmentRow {
        time: format!("{}–{}", local_hm(a.starts_at, tz), local_hm(a.ends_at, tz)).into(),
        name: a.customer_name.clone().into(),
        service: a.service_name.clone().into(),
        staff: a.staff_name.clone().unwrap_or_default().into(),
        status: a.status.label_zh().into(),
    }
}

/// The devices tab: each device's recorded state, print jobs waiting, and the messages a
/// person must look at (the daemon could not settle them).
pub fn device_rows(l: Lang, tz: Tz, o: crate::app::devices::DevicesOverview) -> Vec<DeviceRow> {
    let mut rows: Vec<DeviceRow> = o
        .devices
        .into_iter()
        .map(|d| DeviceRow {
            name: text::device_name(l, &d.device).into(),
            ok: d.ok,
            detail: format!("{} · {}", d.detail, local_hm(d.updated_at, tz)).into(),
        })
        .collect();
    if !o.print_jobs.is_empty() {
        rows.push(DeviceRow {
            name: text::device_name(l, "printer").into(),
            ok: false,
            detail: text::jobs_waiting(l, o.print_jobs.len()).into(),
        });
    }
    let (unknown, failed) = o.messages;
    if unknown + failed > 0 {
        rows.push(DeviceRow {
            name: text::device_name(l, "messages").into(),
            ok: false,
            detail: text::message_problems(l, unknown, failed).into(),
        });
    }
    rows
}

/// Backups missing or old (the daemon makes one every night).
pub fn backup_row(l: Lang, tz: Tz, state: &crate::app::BackupState) -> DeviceRow {
    let last = match state {
        crate::app::BackupState::Stale(at) => Some(crate::domain::time::local_dt(*at, tz)),
        _ => None,
    };
    DeviceRow {
        name: text::device_name(l, "backups").into(),
        ok: false,
        detail: text::backups_old(l, last.as_deref()).into(),
    }
}

/// Cloud sync as the daemon recorded it: offline since when, the last success, the queue.
pub fn cloud_row(
    l: Lang,
    tz: Tz,
    s: &crate::store::SyncState,
    offline: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DeviceRow {
    let hours = offline.map_or(0, |t| (now - t).num_hours());
    let fmt = |t: DateTime<Utc>| crate::domain::time::local_dt(t, tz);
    DeviceRow {
        name: text::device_name(l, "cloud").into(),
        ok: offline.is_none(),
        detail: text::cloud_sync(
            l,
            offline.map(fmt).as_deref(),
            hours,
            s.last_success_at.map(fmt).as_deref(),
            s.queued,
        )
        .into(),
    }
}

/// A line of the bill: the item, who did it, the amount.
pub fn bill_line(l: &crate::app::checkout::ReceiptLine) -> BillRow {
    BillRow {
        label: if l.staff.is_empty() { l.name.clone() } else { format!("{} · {}", l.name, l.staff.join("、")) }.into(),
        value: show_yuan(l.amount).into(),
    }
}

/// A product to add to the bill, with how many are in it.
pub fn product_extra(p: &crate::store::Product, in_bill: &[(String, u32)]) -> BillExtra {
    BillExtra {
        id: p.id.clone().into(),
        label: p.name.clone().into(),
        detail: show_yuan(p.price).into(),
        count: in_bill.iter().find(|(id, _)| id == &p.id).map_or(0, |(_, n)| i32::try_from(*n).unwrap_or(0)),
    }
}

/// A coupon the customer holds; `count` 1 when it is the one applied.
pub fn coupon_extra(l: Lang, tz: Tz, k: &crate::store::IssuedCoupon, applied: Option<&str>) -> BillExtra {
    BillExtra {
        id: k.coupon.code.clone().into(),
        label: k.coupon.name.clone().into(),
        detail: text::valid_until(l, &k.coupon.valid_until.with_timezone(&tz).format("%m-%d").to_string()).into(),
        count: i32::from(applied == Some(k.coupon.code.as_str())),
    }
}

/// A prepaid course or package item the customer holds; `count` 1 when it is used.
pub fn prepaid_extra(l: Lang, tz: Tz, k: &crate::store::CourseBalance, chosen: bool) -> BillExtra {
    let until = k.valid_until.map(|u| u.with_timezone(&tz).format("%m-%d").to_string());
    BillExtra {
        id: k.id.clone().into(),
        label: k.label().into(),
        detail: text::prepaid_left(l, k.package.is_some(), k.sessions_left, until.as_deref()).into(),
        count: i32::from(chosen),
    }
}

/// A note the customer may hand over, with its change; `count` 1 when chosen.
pub fn cash_offer(
    l: Lang,
    given: rust_decimal::Decimal,
    due: rust_decimal::Decimal,
    chosen: Option<rust_decimal::Decimal>,
) -> BillExtra {
    BillExtra {
        id: given.to_string().into(),
        // Offers are whole notes: ¥200, not ¥200.00, so the chip stays narrow.
        label: text::cash_given(l, &format!("¥{}", given.normalize())).into(),
        detail: text::cash_change(l, &show_yuan(given - due)).into(),
        count: i32::from(chosen == Some(given)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_is_grouped_then_masked() {
        assert_eq!(phone_echo(""), "");
        assert_eq!(phone_echo("138"), "138");
        assert_eq!(phone_echo("1381"), "138 1");
        assert_eq!(phone_echo("1381234567"), "138 1234 567");
        assert_eq!(phone_echo("13812345678"), "138 **** 5678");
    }
}
