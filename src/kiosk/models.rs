//! Domain values turned into what the pages show (the one place that converts).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use slint::{ModelRc, SharedString, VecModel};

use super::text::{self, Lang};
use super::{ServiceItem, StaffItem};
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
