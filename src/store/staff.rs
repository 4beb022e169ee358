//! Staff and their shifts.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use rust_decimal::Decimal;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::model::{Shift, Staff, StaffRole};
use crate::domain::phone::Phone;
use crate::domain::time::Interval;

#[derive(Debug, Clone)]
pub struct NewStaff {
    pub name: String,
    pub role: StaffRole,
    pub phone: Option<Phone>,
    /// Argon2id PHC string (hashed by the caller).
    pub pin_hash: Option<String>,
    pub service_commission_pct: Decimal,
    pub product_commission_pct: Decimal,
}

const SELECT: &str = "SELECT id, name, role, phone, pin_hash IS NOT NULL, service_commission_pct, product_commission_pct, active FROM staff";

fn row_to_staff(r: &Row<'_>) -> rusqlite::Result<Staff> {
    let role: String = r.get(2)?;
    let phone: Option<String> = r.get(3)?;
    let sc: String = r.get(5)?;
    let pc: String = r.get(6)?;
    Ok(Staff {
        id: r.get(0)?,
        name: r.get(1)?,
        role: StaffRole::parse(&role).unwrap_or(StaffRole::Beautician),
        phone: phone.and_then(|p| Phone::parse(&p).ok()),
        has_pin: r.get::<_, i64>(4)? == 1,
        service_commission_pct: sc.parse().unwrap_or_default(),
        product_commission_pct: pc.parse().unwrap_or_default(),
        active: r.get::<_, i64>(7)? == 1,
    })
}

fn row_to_shift(r: &Row<'_>) -> rusqlite::Result<Shift> {
    Ok(Shift { id: r.get(0)?, staff_id: r.get(1)?, starts_at: from_ms(r.get(2)?), ends_at: from_ms(r.get(3)?) })
}

impl Tx<'_> {
    pub fn insert_staff(&self, s: &NewStaff, now: DateTime<Utc>) -> Result<Staff> {
        if let Some(p) = &s.phone {
            let exists: Option<String> =
                self.row("SELECT id FROM staff WHERE phone = ?1", [p.as_str()], |r| r.get(0)).optional()?;
            if exists.is_some() {
                return Err(StoreError::Duplicate {
                    what: "员工手机号",
                    what_en: "staff phone number",
                    key: p.masked(),
                });
            }
        }
        let id = new_id();
        self.exec(
            "INSERT INTO staff (id, name, role, phone, pin_hash, service_commission_pct, product_commission_pct, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![
                id,
                s.name.trim(),
                s.role.as_str(),
                s.phone.as_ref().map(Phone::as_str),
                s.pin_hash,
                s.service_commission_pct.to_string(),
                s.product_commission_pct.to_string(),
                ms(now)
            ],
        )?;
        self.staff(&id)
    }

    pub fn staff(&self, id: &str) -> Result<Staff> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
            .query_row([id], row_to_staff)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "员工", what_en: "staff member", key: id.to_string() })
    }

    /// A staff member by id or by name (the name must be unambiguous).
    pub fn find_staff(&self, key: &str) -> Result<Staff> {
        let key = key.trim();
        let mut st = self.conn().prepare_cached(&format!("{SELECT} WHERE id = ?1 OR name = ?1"))?;
        let mut found = st.query_map([key], row_to_staff)?.collect::<rusqlite::Result<Vec<_>>>()?;
        match found.len() {
            0 => Err(StoreError::NotFound { what: "员工", what_en: "staff member", key: key.to_string() }),
            1 => Ok(found.remove(0)),
            _ => Err(StoreError::Duplicate {
                what: "同名员工（请用编号）",
                what_en: "staff name (use the id)",
                key: key.to_string(),
            }),
        }
    }

    pub fn list_staff(&self) -> Result<Vec<Staff>> {
        let mut st = self.conn().prepare_cached(&format!("{SELECT} ORDER BY active DESC, role, name"))?;
        let rows = st.query_map([], row_to_staff)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Adds a shift; refuses one that overlaps another shift of the same person.
    pub fn insert_shift(&self, staff_id: &str, when: Interval, now: DateTime<Utc>) -> Result<Shift> {
        if when.end <= when.start || when.end - when.start > chrono::Duration::hours(24) {
            return Err(StoreError::Corrupt {
                table: "staff_shifts",
                column: "ends_at",
                value: "班次须在 24 小时以内 / a shift lasts at most 24 hours".into(),
            });
        }
        let overlap: Option<String> = self
            .row(
                "SELECT id FROM staff_shifts WHERE staff_id = ?1 AND starts_at < ?3 AND ends_at > ?2 LIMIT 1",
                params![staff_id, ms(when.start), ms(when.end)],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = overlap {
            return Err(StoreError::Duplicate { what: "重叠的班次", what_en: "overlapping shift", key: other });
        }
        let id = new_id();
        self.exec(
            "INSERT INTO staff_shifts (id, staff_id, starts_at, ends_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, staff_id, ms(when.start), ms(when.end), ms(now)],
        )?;
        Ok(Shift { id, staff_id: staff_id.to_string(), starts_at: when.start, ends_at: when.end })
    }

    /// Shifts overlapping `within`, optionally of one person, in time order.
    pub fn shifts(&self, staff_id: Option<&str>, within: Interval) -> Result<Vec<Shift>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, staff_id, starts_at, ends_at FROM staff_shifts
             WHERE (?1 IS NULL OR staff_id = ?1) AND starts_at < ?3 AND starts_at > ?2 - 86400000 AND ends_at > ?2 ORDER BY starts_at",
        )?;
        let rows = st
            .query_map(params![staff_id, ms(within.start), ms(within.end)], row_to_shift)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Shifts of active beauticians overlapping `within`, in time order (for the wait
    /// estimate: one query, no staff rows).
    pub fn beautician_shifts(&self, within: Interval) -> Result<Vec<Shift>> {
        let mut st = self.conn().prepare_cached(
            "SELECT sh.id, sh.staff_id, sh.starts_at, sh.ends_at FROM staff_shifts sh JOIN staff s ON s.id = sh.staff_id
             WHERE sh.starts_at < ?2 AND sh.starts_at > ?1 - 86400000 AND sh.ends_at > ?1
               AND s.active = 1 AND s.role = 'beautician' ORDER BY sh.starts_at",
        )?;
        let rows = st
            .query_map(params![ms(within.start), ms(within.end)], row_to_shift)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Removes a person's shifts starting within `within`; how many.
    pub fn delete_shifts(&self, staff_id: &str, within: Interval) -> Result<usize> {
        Ok(self.exec(
            "DELETE FROM staff_shifts WHERE staff_id = ?1 AND starts_at >= ?2 AND starts_at < ?3",
            params![staff_id, ms(within.start), ms(within.end)],
        )?)
    }

    /// A staff member's PIN hash, failed tries and lock (for the kiosk's staff login).
    pub fn staff_pin_state(&self, staff_id: &str) -> Result<(Option<String>, i64, Option<DateTime<Utc>>)> {
        Ok(self.row("SELECT pin_hash, pin_failures, pin_locked_until FROM staff WHERE id = ?1", [staff_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<i64>>(2)?.map(from_ms)))
        })?)
    }

    /// Records a PIN attempt: a success clears the count; a failure counts, and locks the
    /// PIN until `lock_until` when given.
    pub fn record_pin_attempt(
        &self,
        staff_id: &str,
        ok: bool,
        lock_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if ok {
            self.exec(
                "UPDATE staff SET pin_failures = 0, pin_locked_until = NULL, updated_at = ?2 WHERE id = ?1",
                params![staff_id, ms(now)],
            )?;
        } else {
            self.exec(
                "UPDATE staff SET pin_failures = CASE WHEN ?2 IS NULL THEN pin_failures + 1 ELSE 0 END,
                    pin_locked_until = ?2, updated_at = ?3 WHERE id = ?1",
                params![staff_id, lock_until.map(ms), ms(now)],
            )?;
        }
        Ok(())
    }

    pub fn set_staff_pin(&self, staff_id: &str, pin_hash: &str, now: DateTime<Utc>) -> Result<()> {
        let n = self.exec(
            "UPDATE staff SET pin_hash = ?2, pin_failures = 0, pin_locked_until = NULL, updated_at = ?3 WHERE id = ?1",
            params![staff_id, pin_hash, ms(now)],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "员工", what_en: "staff member", key: staff_id.to_string() });
        }
        Ok(())
    }
}
