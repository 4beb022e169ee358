//! The first run, and the shop's profile: its name, address, phone and opening hours.
//!
//! The configuration file gives them first; what the owner sets in the back office is kept
//! in the database (`settings`: `shop.name`, `shop.address`, `shop.phone`, `shop.hours`) and
//! wins, so receipts, the kiosk, messages and bookings follow the browser. Every `App`
//! reads the profile when it opens; the back office reopens its pool after a change, the
//! kiosk reads it again each time it goes back to its welcome screen and the daemon before
//! each job.

use chrono::NaiveTime;
use serde::Serialize;

use super::{App, AppError, Result};
use crate::domain::time::OpeningHours;
use crate::store::Tx;

/// The shop as its customers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopProfile {
    pub name: String,
    /// Printed under the name on receipts; empty: not printed.
    pub address: String,
    pub phone: String,
    pub hours: OpeningHours,
}

/// Where the first-run wizard stands.
#[derive(Debug, Clone, Serialize)]
pub struct SetupState {
    /// The owner finished (or closed) the wizard.
    pub done: bool,
    pub services: usize,
    /// Staff other than owners.
    pub staff: usize,
}

/// Common 美容院 services with a typical duration (minutes) and price (yuan), by category:
/// what the wizard offers to start from (and what the demo shop sells).
pub const COMMON_SERVICES: &[(&str, &str, u32, i64)] = &[
    ("面部深层清洁", "面部护理", 60, 198),
    ("补水保湿护理", "面部护理", 60, 268),
    ("美白嫩肤护理", "面部护理", 75, 368),
    ("抗衰紧致护理", "面部护理", 90, 588),
    ("祛痘修复护理", "面部护理", 60, 298),
    ("敏感肌舒缓护理", "面部护理", 60, 328),
    ("眼部护理", "面部护理", 45, 168),
    ("小气泡清洁", "面部护理", 30, 128),
    ("光子嫩肤", "仪器项目", 45, 880),
    ("水光针导入", "仪器项目", 60, 680),
    ("射频紧致", "仪器项目", 60, 780),
    ("肩颈舒缓按摩", "身体护理", 60, 198),
    ("全身精油SPA", "身体护理", 90, 398),
    ("背部排毒护理", "身体护理", 60, 268),
    ("足部护理", "身体护理", 45, 158),
    ("美甲-纯色", "美甲美睫", 45, 98),
    ("美甲-款式", "美甲美睫", 75, 198),
    ("嫁接睫毛", "美甲美睫", 90, 268),
    ("修眉造型", "美甲美睫", 20, 48),
    ("头皮护理", "头部护理", 60, 238),
];

const DAYS: [&str; 7] = ["周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun"];

/// The label of a weekday (0 = Monday) as forms and errors name it.
pub fn day_label(i: usize) -> &'static str {
    DAYS.get(i).copied().unwrap_or("")
}

/// `10:00-21:00` or `closed` for each weekday, Monday first, as the setting keeps them.
fn hours_text(h: &OpeningHours) -> String {
    h.days
        .iter()
        .map(|d| match d {
            Some((a, b)) => format!("{}-{}", a.format("%H:%M"), b.format("%H:%M")),
            None => "closed".into(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The hours a form sent: per weekday an opening and a closing time, or closed.
pub fn parse_hours(days: &[(bool, String, String)]) -> Result<OpeningHours> {
    let mut out = OpeningHours { days: [None; 7] };
    for (i, (open, from, to)) in days.iter().enumerate().take(7) {
        if !open {
            continue;
        }
        let span = OpeningHours::parse_day(&format!("{}-{}", from.trim(), to.trim()))
            .map_err(|m| AppError::input(format!("营业时间 hours {}", day_label(i)), m))?;
        out.days[i] = span;
    }
    if out.days.iter().all(Option::is_none) {
        return Err(AppError::input("营业时间 hours", "至少有一天营业 / open on at least one day"));
    }
    Ok(out)
}

/// The profile kept in the database over what the configuration gave.
fn stored_profile(tx: &Tx<'_>, base: &ShopProfile) -> Result<ShopProfile> {
    let mut p = base.clone();
    if let Some(v) = tx.setting("shop.name")?.filter(|v| !v.trim().is_empty()) {
        p.name = v;
    }
    if let Some(v) = tx.setting("shop.address")? {
        p.address = v;
    }
    if let Some(v) = tx.setting("shop.phone")? {
        p.phone = v;
    }
    if let Some(v) = tx.setting("shop.hours")? {
        let parsed: std::result::Result<Vec<Option<(NaiveTime, NaiveTime)>>, String> =
            v.split(',').map(OpeningHours::parse_day).collect();
        match parsed {
            Ok(days) if days.len() == 7 => p.hours.days.copy_from_slice(&days),
            _ => {
                tracing::warn!(value = %v, "shop.hours in the database is not seven days: the configuration's hours stay")
            }
        }
    }
    Ok(p)
}

impl App {
    /// The shop's profile in force.
    pub fn shop_profile(&self) -> ShopProfile {
        let s = &self.config.shop;
        ShopProfile {
            name: s.name.clone(),
            address: s.address.clone(),
            phone: s.phone.clone(),
            hours: s.opening_hours.clone(),
        }
    }

    /// Reads the profile the owner set in the back office again (another process may have
    /// changed it).
    pub fn refresh_profile(&mut self) -> Result<()> {
        let base = self.shop_profile();
        let p = self.store.read(|tx| stored_profile(tx, &base))?;
        self.apply_profile(p);
        Ok(())
    }

    /// Reads the profile again if anything else wrote to the database since it was last read
    /// (the CLI's `salonbox profile`, another back-office connection): whether it changed.
    pub fn refresh_profile_if_changed(&mut self) -> Result<bool> {
        let version = self.store.data_version()?;
        if self.profile_read_at == Some(version) {
            return Ok(false);
        }
        let before = self.shop_profile();
        self.refresh_profile()?;
        self.profile_read_at = Some(version);
        Ok(self.shop_profile() != before)
    }

    fn apply_profile(&mut self, p: ShopProfile) {
        let s = &mut self.config.shop;
        s.name = p.name;
        s.address = p.address;
        s.phone = p.phone;
        s.opening_hours = p.hours;
    }

    /// Sets the shop's name, address, phone and opening hours (kept in the database).
    pub fn set_shop_profile(&mut self, p: &ShopProfile, actor: &str) -> Result<()> {
        let name = p.name.trim();
        if name.is_empty() {
            return Err(AppError::input(
                "店名 shop name",
                "请填写店名，它印在小票上 / the name is printed on receipts: enter it",
            ));
        }
        if name.chars().count() > 40 {
            return Err(AppError::input("店名 shop name", "最多 40 个字 / 40 characters at most"));
        }
        let phone = p.phone.trim();
        if !phone.is_empty() && !phone.chars().all(|c| c.is_ascii_digit() || "-+ ()".contains(c)) {
            return Err(AppError::input(
                "电话 phone",
                format!("「{phone}」不是电话号码 / \"{phone}\" is not a telephone number"),
            ));
        }
        let p = ShopProfile {
            name: name.to_string(),
            address: p.address.trim().to_string(),
            phone: phone.to_string(),
            hours: p.hours.clone(),
        };
        let now = self.now();
        self.store.write(|tx| {
            tx.set_setting("shop.name", &p.name)?;
            tx.set_setting("shop.address", &p.address)?;
            tx.set_setting("shop.phone", &p.phone)?;
            tx.set_setting("shop.hours", &hours_text(&p.hours))?;
            tx.audit(
                now,
                actor,
                "shop.profile",
                "settings",
                "shop",
                &serde_json::json!({ "name": p.name, "address": p.address, "phone": p.phone, "hours": hours_text(&p.hours) }),
            )?;
            Ok::<_, AppError>(())
        })?;
        self.apply_profile(p);
        Ok(())
    }

    /// Where the first-run wizard stands.
    pub fn setup_state(&mut self) -> Result<SetupState> {
        self.store.read(|tx| {
            Ok(SetupState {
                done: tx.setting("setup.done")?.is_some(),
                services: tx.list_services(false)?.len(),
                staff: tx
                    .list_staff()?
                    .iter()
                    .filter(|s| s.active && s.role != crate::domain::model::StaffRole::Owner)
                    .count(),
            })
        })
    }

    /// The owner finished the wizard (or closed it): the back office stops offering it.
    pub fn finish_setup(&mut self, actor: &str) -> Result<()> {
        let now = self.now();
        self.store.write(|tx| {
            tx.set_setting("setup.done", &now.to_rfc3339())?;
            tx.audit(now, actor, "setup.done", "settings", "setup", &serde_json::json!({}))?;
            Ok(())
        })
    }
}
