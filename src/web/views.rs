//! Domain values as the back office shows them: money, times in the shop's zone, masked
//! phones, and the page models the templates read (templates compute nothing).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::app::AppError;
use crate::app::access::WebUser;
use crate::domain::access::{Permission, may};
use crate::domain::model::{Customer, StaffRole};

/// `¥1,280.00`; negative amounts `-¥35.00`.
pub fn money(d: Decimal) -> String {
    let d = d.round_dp(2);
    let neg = d.is_sign_negative() && !d.is_zero();
    let s = format!("{:.2}", d.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}¥{grouped}.{frac}", if neg { "-" } else { "" })
}

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/// `12月3日 周四 14:30`, in the shop's zone.
pub fn when(t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!(
        "{}月{}日 {} {}",
        l.month(),
        l.day(),
        WEEKDAYS[l.weekday().num_days_from_monday() as usize],
        l.format("%H:%M")
    )
}

/// `12月3日 周四`.
pub fn day(d: chrono::NaiveDate) -> String {
    format!("{}月{}日 {}", d.month(), d.day(), WEEKDAYS[d.weekday().num_days_from_monday() as usize])
}

/// `14:30`, in the shop's zone.
pub fn hm(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// A phone number as this person may see it.
pub fn phone_for(user: &WebUser, c: &Customer) -> String {
    phone_shown(c.phone.as_ref(), may(user.staff.role, Permission::SeeFullPhone))
}

/// A phone number whole (`full`) or masked (`139****5678`); `—` for none.
pub fn phone_shown(p: Option<&crate::domain::phone::Phone>, full: bool) -> String {
    match p {
        Some(p) if full => p.as_str().to_string(),
        Some(p) => p.masked(),
        None => "—".into(),
    }
}

/// A form's effective date (`YYYY-MM-DD`); empty: none (today).
pub fn effective_date(v: &str) -> Result<Option<chrono::NaiveDate>, crate::app::AppError> {
    match v.trim() {
        "" => Ok(None),
        d => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| crate::app::AppError::input("生效日期 effective from", format!("“{d}”不是日期 / not a date"))),
    }
}

/// A customer as a choice in a form: her id, and "name phone member-code" (the phone masked
/// for whom may not see it).
pub fn customer_choice(user: &WebUser, c: &Customer) -> (String, String) {
    (c.id.clone(), format!("{} {} {}", c.name, phone_for(user, c), c.member_code))
}

pub fn role_label(r: StaffRole) -> &'static str {
    match r {
        StaffRole::Owner => "店主 owner",
        StaffRole::Manager => "店长 manager",
        StaffRole::FrontDesk => "前台 reception",
        StaffRole::Beautician => "美容师 beautician",
    }
}

/// Percent-encoding for a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Escapes text for HTML (for the few pages not made by a template).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A small page of its own (refusals, errors), with the stylesheet and a way back.
pub fn plain_page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · salonbox</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head>\
         <body class=\"plain\"><main class=\"card narrow\"><h1>{t}</h1><p>{m}</p><p><a class=\"button\" href=\"/today\">返回 / back</a></p></main></body></html>",
        t = escape(title),
        m = escape(message)
    )
}

/// One item of the navigation (left rail on a desktop, bottom bar on a phone).
pub struct Nav {
    pub href: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub icon: &'static str,
    pub current: bool,
}

/// What every page's frame shows.
pub struct Layout {
    pub title: String,
    pub shop: String,
    pub user: String,
    pub role: &'static str,
    pub csrf: String,
    pub clock: String,
    pub nav: Vec<Nav>,
}

impl Layout {
    pub fn new(title: &str, section: &str, user: &WebUser, shop: &str, now: DateTime<Utc>, tz: Tz) -> Layout {
        let till = may(user.staff.role, Permission::Checkout);
        let all = [
            ("/today", "今天", "Today", "◎", true),
            ("/book", "预约", "Book", "▦", true),
            ("/customers", "顾客", "Customers", "☺", true),
            ("/checkout", "收银", "Checkout", "¥", till),
            ("/reports", "报表", "Reports", "▤", may(user.staff.role, Permission::ExportAndReports)),
            ("/campaigns", "营销", "Campaigns", "✉", may(user.staff.role, Permission::Setup)),
            ("/membership", "会员", "Members", "♛", may(user.staff.role, Permission::Setup)),
            ("/staff", "员工", "Staff", "♙", may(user.staff.role, Permission::Setup)),
            ("/stock", "库存", "Stock", "▥", may(user.staff.role, Permission::RunShop)),
            ("/shop", "本店", "Shop", "⚙", may(user.staff.role, Permission::RunShop)),
        ];
        Layout {
            title: title.to_string(),
            shop: shop.to_string(),
            user: user.staff.name.clone(),
            role: role_label(user.staff.role),
            csrf: user.csrf.clone(),
            clock: when(now, tz),
            nav: all
                .into_iter()
                .filter(|(.., shown)| *shown)
                .map(|(href, zh, en, icon, _)| Nav { href, zh, en, icon, current: href == section })
                .collect(),
        }
    }
}

/// A package as a choice and a row: `焕颜套餐 · ¥599 · 面部深层清洁×3、修护精华×1 · 90 天`.
pub fn package_label(p: &crate::store::Package) -> String {
    let valid = p.valid_days.map_or_else(|| "长期 no end".to_string(), |d| format!("{d} 天 days"));
    format!("{} · {} · {} · {valid}", p.name, money(p.price), p.items_text())
}

/// What a form sent, in order, kept to fill the form again when it is refused.
#[derive(Deserialize, Default, Clone)]
#[serde(transparent)]
pub struct Sent(Vec<(String, String)>);

impl Sent {
    pub fn get(&self, field: &str) -> &str {
        self.0.iter().find(|(k, _)| k == field).map_or("", |(_, v)| v.trim())
    }

    /// Whether the field was sent at all (a ticked checkbox).
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(k, _)| k == field)
    }

    /// Every value of a field sent several times, in order.
    pub fn all<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == field).map(|(_, v)| v.trim())
    }

    /// The `n`th value of a field sent several times (0-based).
    pub fn nth(&self, field: &str, n: usize) -> &str {
        self.0.iter().filter(|(k, _)| k == field).nth(n).map_or("", |(_, v)| v.trim())
    }

    pub fn decimal(&self, field: &str, label: &str) -> Result<Decimal, AppError> {
        let v = self.get(field);
        v.parse::<Decimal>().map_err(|_| AppError::input(label, format!("“{v}”不是数字 / not a number")))
    }

    pub fn whole(&self, field: &str, label: &str) -> Result<i64, AppError> {
        let v = self.get(field);
        v.parse::<i64>().map_err(|_| AppError::input(label, format!("“{v}”不是整数 / not a whole number")))
    }

    /// The day the change takes effect; empty: today.
    pub fn effective(&self) -> Result<Option<NaiveDate>, AppError> {
        effective_date(self.get("effective"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_with_two_decimals() {
        assert_eq!(money(Decimal::new(128000, 2)), "¥1,280.00");
        assert_eq!(money(Decimal::new(12345678, 1)), "¥1,234,567.80");
        assert_eq!(money(Decimal::new(-35, 0)), "-¥35.00");
        assert_eq!(money(Decimal::ZERO), "¥0.00");
    }

    #[test]
    fn times_read_as_a_chinese_front_desk_writes_them() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-03T06:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(when(t, chrono_tz::Asia::Shanghai), "12月3日 周四 14:30");
    }
}
