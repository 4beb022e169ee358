//! Staff, shifts, services and resources: what the owner sets up.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{App, AppError, Result};
use crate::domain::model::{Service, Shift, Staff, StaffRole};
use crate::domain::money::parse_yuan;
use crate::domain::phone::Phone;
use crate::domain::time::{Interval, OpeningHours, local_to_utc};
use crate::store::{NewService, NewStaff, Tx};

/// Hashes a staff PIN with Argon2id: the one rule for a PIN, 4 to 6 digits (every face
/// sets PINs through here).
pub fn hash_pin(pin: &str) -> Result<String> {
    if !(4..=6).contains(&pin.len()) || !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::input("PIN", "应为 4–6 位数字 / must be 4 to 6 digits"));
    }
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| AppError::input("PIN", e.to_string()))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::input("PIN", e.to_string()))
}

/// Checks a PIN against its stored Argon2 hash.
pub fn verify_pin(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pin.as_bytes(), &h).is_ok())
}

/// Wrong PINs in a row before a PIN is locked, and for how long.
pub const PIN_TRIES: i64 = 5;
pub const PIN_LOCK_MINUTES: i64 = 15;

/// How a staff login went.
#[derive(Debug, Clone, PartialEq)]
pub enum PinCheck {
    Ok(Staff),
    /// Wrong PIN; this many tries are left before the lock.
    Wrong {
        left: i64,
    },
    /// Locked until then (after too many wrong PINs).
    Locked {
        until: chrono::DateTime<chrono::Utc>,
    },
    /// This person has no PIN (set one with `salonbox staff add --pin-stdin`).
    NoPin,
}

fn percent(field: &str, s: Option<&str>) -> Result<Decimal> {
    let Some(s) = s else { return Ok(Decimal::ZERO) };
    let d: Decimal = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| AppError::input(field, format!("不是百分比 \"{s}\" / not a percentage \"{s}\"")))?;
    if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
        return Err(AppError::input(field, "应在 0-100 之间 / must be between 0 and 100"));
    }
    Ok(d)
}

#[derive(Debug, Clone, Default)]
pub struct StaffInput {
    pub name: String,
    pub role: String,
    pub phone: Option<String>,
    pub pin: Option<String>,
    pub service_commission: Option<String>,
    pub product_commission: Option<String>,
}

impl App {
    pub fn add_staff(&mut self, s: &StaffInput, actor: &str) -> Result<Staff> {
        let new = new_staff(s)?;
        let now = self.now();
        self.store.write(|tx| insert_staff(tx, &new, actor, now))
    }

    /// Several people at once (the setup wizard), all or nothing.
    pub fn add_staff_all(&mut self, people: &[StaffInput], actor: &str) -> Result<()> {
        let new = people.iter().map(new_staff).collect::<Result<Vec<_>>>()?;
        let now = self.now();
        self.store.write(|tx| {
            for n in &new {
                insert_staff(tx, n, actor, now)?;
            }
            Ok(())
        })
    }

    /// Checks a staff member's PIN for the kiosk's staff mode: five wrong PINs in a row lock
    /// it for fifteen minutes; every attempt is in the audit log.
    pub fn staff_login(&mut self, staff: &str, pin: &str) -> Result<PinCheck> {
        let s = self.store.read(|tx| Ok::<_, AppError>(tx.find_staff(staff)?))?;
        let hash = self.store.read(|tx| Ok::<_, AppError>(tx.staff_pin_state(&s.id)?.0))?;
        self.check_secret(s, hash, pin, &serde_json::json!({ "via": "kiosk" }))
    }

    /// Checks a PIN or password against its hash, sharing one count of wrong tries (the
    /// kiosk's PIN and the back office's password lock together). The secret is verified
    /// (Argon2, deliberately slow) outside any transaction, so the daemon and the other
    /// faces keep writing meanwhile; the attempt is recorded after, against the state as
    /// it is then. `detail` goes into every audit row (the face, the client's address).
    pub(crate) fn check_secret(
        &mut self,
        s: Staff,
        hash: Option<String>,
        secret: &str,
        detail: &serde_json::Value,
    ) -> Result<PinCheck> {
        let now = self.now();
        let Some(hash) = hash else { return Ok(PinCheck::NoPin) };
        let with = |failures: i64| {
            let mut d = detail.clone();
            if let Some(m) = d.as_object_mut() {
                m.insert("failures".into(), failures.into());
            }
            d
        };
        let locked = self.store.read(|tx| Ok::<_, AppError>(tx.staff_pin_state(&s.id)?.2))?;
        if let Some(until) = locked.filter(|u| *u > now) {
            self.store.write(|tx| tx.audit(now, &s.id, "staff.login_locked", "staff", &s.id, detail))?;
            return Ok(PinCheck::Locked { until });
        }
        let verified = verify_pin(secret, &hash);
        self.store.write(|tx| {
            // Another face may have counted failures, locked the PIN or changed it meanwhile.
            let (pin_hash, failures, locked) = tx.staff_pin_state(&s.id)?;
            let password_hash = tx.staff_password_hash(&s.id)?;
            let unchanged =
                pin_hash.as_deref() == Some(hash.as_str()) || password_hash.as_deref() == Some(hash.as_str());
            let ok = verified && unchanged;
            if let Some(until) = locked.filter(|u| *u > now) {
                tx.audit(now, &s.id, "staff.login_locked", "staff", &s.id, detail)?;
                return Ok(PinCheck::Locked { until });
            }
            let failures = if ok { 0 } else { failures + 1 };
            let lock = (!ok && failures >= PIN_TRIES).then(|| now + chrono::Duration::minutes(PIN_LOCK_MINUTES));
            tx.record_pin_attempt(&s.id, ok, lock, now)?;
            let action = if ok { "staff.login" } else { "staff.login_failed" };
            tx.audit(now, &s.id, action, "staff", &s.id, &with(failures))?;
            Ok::<_, AppError>(match (ok, lock) {
                (true, _) => PinCheck::Ok(s.clone()),
                (false, Some(until)) => {
                    tracing::warn!(staff = %s.name, "PIN locked after {PIN_TRIES} wrong tries");
                    PinCheck::Locked { until }
                }
                (false, None) => PinCheck::Wrong { left: PIN_TRIES - failures },
            })
        })
    }

    pub fn list_staff(&mut self) -> Result<Vec<Staff>> {
        self.store.read(|tx| Ok(tx.list_staff()?))
    }

    /// Adds a shift on a shop-local date, `hours` as `"10:00-18:00"`.
    pub fn add_shift(&mut self, staff: &str, date: NaiveDate, hours: &str, actor: &str) -> Result<Shift> {
        let (open, close) = OpeningHours::parse_day(hours)
            .map_err(|m| AppError::input("班次 hours", m))?
            .ok_or_else(|| AppError::input("班次 hours", "应为 \"10:00-18:00\" / expected \"10:00-18:00\""))?;
        let tz = self.tz();
        let when = Interval::new(local_to_utc(date, open, tz), local_to_utc(date, close, tz));
        let now = self.now();
        self.store.write(|tx| {
            let st = tx.find_staff(staff)?;
            let shift = tx.insert_shift(&st.id, when, now)?;
            tx.audit(now, actor, "shift.add", "staff", &st.id, &serde_json::json!({ "date": date, "hours": hours }))?;
            Ok(shift)
        })
    }

    /// A day off (休假): her shifts of that shop-local date are removed. Refused while she
    /// has bookings that day (they are moved or cancelled first, so no customer is left
    /// waiting for someone who is not there).
    pub fn take_leave(&mut self, staff: &str, date: NaiveDate, actor: &str) -> Result<usize> {
        let tz = self.tz();
        let day = crate::domain::time::day_bounds(date, tz);
        let now = self.now();
        self.store.write(|tx| {
            let st = tx.find_staff(staff)?;
            let booked = tx.staff_booked(day)?.into_iter().filter(|(id, _)| *id == st.id).count();
            if booked > 0 {
                return Err(AppError::input(
                    "休假 leave",
                    format!(
                        "{} 在 {date} 还有 {booked} 个预约，请先改约或取消 / {} has {booked} booking(s) on {date}: move or cancel them first",
                        st.name, st.name
                    ),
                ));
            }
            let n = tx.delete_shifts(&st.id, day)?;
            tx.audit(now, actor, "shift.leave", "staff", &st.id, &serde_json::json!({ "date": date, "removed": n }))?;
            Ok(n)
        })
    }

    /// Copies the shifts of the week starting `monday` to the next week, in one transaction:
    /// a day where the person already has a shift is left as it is. `(copied, kept)`.
    pub fn copy_week(&mut self, monday: NaiveDate, actor: &str) -> Result<(usize, usize)> {
        let tz = self.tz();
        let week = Interval::new(
            crate::domain::time::day_bounds(monday, tz).start,
            crate::domain::time::day_bounds(monday + chrono::Duration::days(6), tz).end,
        );
        let now = self.now();
        self.store.write(|tx| {
            let (mut copied, mut kept) = (0, 0);
            for s in tx.shifts(None, week)?.into_iter().filter(|s| s.starts_at >= week.start) {
                // the same wall-clock hours a week later (a zone's clock change moves UTC)
                let (start, end) = (s.starts_at.with_timezone(&tz), s.ends_at.with_timezone(&tz));
                let day = start.date_naive() + chrono::Duration::days(7);
                let when = Interval::new(
                    local_to_utc(day, start.time(), tz),
                    local_to_utc(end.date_naive() + chrono::Duration::days(7), end.time(), tz),
                );
                let target = crate::domain::time::day_bounds(day, tz);
                if !tx.shifts(Some(&s.staff_id), target)?.is_empty() {
                    kept += 1;
                    continue;
                }
                tx.insert_shift(&s.staff_id, when, now)?;
                copied += 1;
            }
            tx.audit(
                now,
                actor,
                "shift.copy_week",
                "staff",
                "*",
                &serde_json::json!({ "from": monday, "copied": copied, "kept": kept }),
            )?;
            Ok((copied, kept))
        })
    }

    /// Sets a new PIN (4 to 6 digits) for a staff member, and clears her lock.
    pub fn reset_pin(&mut self, staff: &str, pin: &str, actor: &str) -> Result<Staff> {
        let hash = hash_pin(pin.trim())?;
        let now = self.now();
        self.store.write(|tx| {
            let st = tx.find_staff(staff)?;
            tx.set_staff_pin(&st.id, &hash, now)?;
            tx.audit(now, actor, "staff.pin_reset", "staff", &st.id, &serde_json::json!({}))?;
            Ok(st)
        })
    }

    /// Shifts of a shop-local date.
    pub fn shifts_on(&mut self, date: NaiveDate) -> Result<Vec<(Staff, Shift)>> {
        let tz = self.tz();
        self.store.read(|tx| {
            let shifts = tx.shifts(None, crate::domain::time::day_bounds(date, tz))?;
            shifts.into_iter().map(|s| Ok((tx.staff(&s.staff_id)?, s))).collect()
        })
    }

    pub fn add_service(
        &mut self,
        name: &str,
        category: &str,
        duration_min: u32,
        price: &str,
        resource_kind: Option<&str>,
        actor: &str,
    ) -> Result<Service> {
        let price = parse_yuan(price).map_err(|e| AppError::input("价格 price", e.to_string()))?;
        let new = new_service(name, category, duration_min, price, resource_kind)?;
        let now = self.now();
        self.store.write(|tx| {
            let s = tx.insert_service(&new, now)?;
            tx.audit(now, actor, "service.add", "service", &s.id, &serde_json::json!({ "price": s.price }))?;
            Ok(s)
        })
    }

    /// Several services at once (the setup wizard), all or nothing: `(name, category,
    /// minutes, price)`.
    pub fn add_services(&mut self, lines: &[(String, String, u32, Decimal)], actor: &str) -> Result<()> {
        let new = lines
            .iter()
            .map(|(n, c, m, p)| {
                new_service(n, c, *m, *p, None).map_err(|e| match e {
                    AppError::Input { field, message } => AppError::input(format!("{field}（{n}）"), message),
                    e => e,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let now = self.now();
        self.store.write(|tx| {
            for n in &new {
                let s = tx.insert_service(n, now)?;
                tx.audit(now, actor, "service.add", "service", &s.id, &serde_json::json!({ "price": s.price }))?;
            }
            Ok(())
        })
    }

    pub fn list_services(&mut self, include_inactive: bool) -> Result<Vec<Service>> {
        self.apply_due_rule_changes()?;
        self.store.read(|tx| Ok(tx.list_services(include_inactive)?))
    }

    pub fn add_resource(&mut self, name: &str, kind: &str) -> Result<String> {
        let now = self.now();
        self.store.write(|tx| Ok(tx.insert_resource(name.trim(), kind.trim(), now)?))
    }
}

/// A staff member as entered, checked.
fn new_staff(s: &StaffInput) -> Result<NewStaff> {
    let name = s.name.trim();
    if name.is_empty() {
        return Err(AppError::input("姓名 name", "不能为空 / must not be empty"));
    }
    let role = StaffRole::parse(&s.role).ok_or_else(|| {
        AppError::input(
            format!("角色 role（{name}）"),
            format!("未知角色 \"{}\"（beautician/front_desk/manager/owner）/ unknown role", s.role),
        )
    })?;
    let phone =
        s.phone.as_deref().map(Phone::parse).transpose().map_err(|e| AppError::input("手机号 phone", e.to_string()))?;
    let pin_hash = s.pin.as_deref().map(hash_pin).transpose().map_err(|e| match e {
        AppError::Input { field, message } => AppError::input(format!("{field}（{name}）"), message),
        e => e,
    })?;
    Ok(NewStaff {
        name: name.to_string(),
        role,
        phone,
        pin_hash,
        service_commission_pct: percent("服务提成 service commission", s.service_commission.as_deref())?,
        product_commission_pct: percent("产品提成 product commission", s.product_commission.as_deref())?,
    })
}

fn insert_staff(tx: &Tx<'_>, new: &NewStaff, actor: &str, now: DateTime<Utc>) -> Result<Staff> {
    let st = tx.insert_staff(new, now)?;
    tx.audit(now, actor, "staff.add", "staff", &st.id, &serde_json::json!({ "role": new.role.as_str() }))?;
    Ok(st)
}

/// A service as entered, checked.
fn new_service(
    name: &str,
    category: &str,
    duration_min: u32,
    price: Decimal,
    resource_kind: Option<&str>,
) -> Result<NewService> {
    if name.trim().is_empty() {
        return Err(AppError::input("名称 name", "不能为空 / must not be empty"));
    }
    check_duration(duration_min)?;
    Ok(NewService {
        name: name.trim().to_string(),
        category: category.trim().to_string(),
        duration_min,
        price,
        resource_kind: resource_kind.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
    })
}

/// A service's duration: 1 to 600 minutes.
pub(crate) fn check_duration(minutes: u32) -> Result<()> {
    if minutes == 0 || minutes > 600 {
        return Err(AppError::input("时长 duration", "应在 1-600 分钟之间 / must be 1 to 600 minutes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        let h = hash_pin("2468").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_pin("2468", &h));
        assert!(!verify_pin("2469", &h));
        assert!(hash_pin("12a4").is_err());
        assert!(hash_pin("123").is_err());
    }
}
