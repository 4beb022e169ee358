//! Services (the price list) and resources.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use rust_decimal::Decimal;

use super::{Result, StoreError, Tx, ms, new_id};
use crate::domain::model::Service;
use crate::domain::money::{from_fen, to_fen};

#[derive(Debug, Clone)]
pub struct NewService {
    pub name: String,
    pub category: String,
    pub duration_min: u32,
    pub price: Decimal,
    pub resource_kind: Option<String>,
}

const SELECT: &str =
    "SELECT id, name, category, duration_min, price_fen, resource_kind, active, buffer_min FROM services";

fn row_to_service(r: &Row<'_>) -> rusqlite::Result<Service> {
    Ok(Service {
        id: r.get(0)?,
        name: r.get(1)?,
        category: r.get(2)?,
        duration_min: r.get(3)?,
        price: from_fen(r.get(4)?),
        resource_kind: r.get(5)?,
        active: r.get::<_, i64>(6)? == 1,
        buffer_min: r.get(7)?,
    })
}

impl Tx<'_> {
    pub fn insert_service(&self, s: &NewService, now: DateTime<Utc>) -> Result<Service> {
        if self.service_by_name(&s.name)?.is_some() {
            return Err(StoreError::Duplicate { what: "服务项目", what_en: "service", key: s.name.clone() });
        }
        let id = new_id();
        let price = to_fen(s.price).map_err(|e| StoreError::Corrupt {
            table: "services",
            column: "price_fen",
            value: e.to_string(),
        })?;
        self.exec(
            "INSERT INTO services (id, name, category, duration_min, price_fen, resource_kind, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![id, s.name.trim(), s.category.trim(), s.duration_min, price, s.resource_kind, ms(now)],
        )?;
        self.service(&id)
    }

    /// Sets a service's clean-up time (later bookings carry it; booked ones keep theirs).
    pub fn set_service_buffer(&self, id: &str, minutes: u32, now: DateTime<Utc>) -> Result<Service> {
        self.exec("UPDATE services SET buffer_min = ?2, updated_at = ?3 WHERE id = ?1", params![id, minutes, ms(now)])?;
        self.service(id)
    }

    /// Sets a service's price (in fen) and, when given, its duration; visits keep the price
    /// they were sold at.
    pub fn set_service_price(
        &self,
        id: &str,
        price_fen: i64,
        minutes: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<Service> {
        self.exec(
            "UPDATE services SET price_fen = ?2, duration_min = COALESCE(?3, duration_min), updated_at = ?4 WHERE id = ?1",
            params![id, price_fen, minutes, ms(now)],
        )?;
        self.service(id)
    }

    pub fn service(&self, id: &str) -> Result<Service> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
            .query_row([id], row_to_service)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "服务项目", what_en: "service", key: id.to_string() })
    }

    pub fn service_by_name(&self, name: &str) -> Result<Option<Service>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE name = ?1"))?
            .query_row([name.trim()], row_to_service)
            .optional()?)
    }

    /// A service by id or exact name.
    pub fn find_service(&self, key: &str) -> Result<Service> {
        match self.service_by_name(key)? {
            Some(s) => Ok(s),
            None => self.service(key.trim()),
        }
    }

    pub fn list_services(&self, include_inactive: bool) -> Result<Vec<Service>> {
        let mut st = self.conn().prepare_cached(&format!("{SELECT} WHERE active = 1 OR ?1 ORDER BY category, name"))?;
        let rows = st.query_map([include_inactive], row_to_service)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A resource (room or device) by id or name: `(id, name, kind)`.
    pub fn find_resource(&self, key: &str) -> Result<(String, String, String)> {
        self.row("SELECT id, name, kind FROM resources WHERE id = ?1 OR name = ?1", [key.trim()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            what: "房间/设备",
            what_en: "room or device",
            key: key.to_string(),
        })
    }

    pub fn insert_resource(&self, name: &str, kind: &str, now: DateTime<Utc>) -> Result<String> {
        let id = new_id();
        self.exec(
            "INSERT INTO resources (id, name, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, name, kind, ms(now)],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StoreError::Duplicate { what: "房间/设备", what_en: "room or device", key: name.to_string() }
            }
            e => e.into(),
        })?;
        Ok(id)
    }
}

impl Tx<'_> {
    /// Every active room or device: `(id, name)`, by kind then name.
    pub fn resources(&self) -> Result<Vec<(String, String)>> {
        let mut st =
            self.conn().prepare_cached("SELECT id, name FROM resources WHERE active = 1 ORDER BY kind, name")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Active resources of a kind: `(id, name)`, by name.
    pub fn resources_of_kind(&self, kind: &str) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT id, name FROM resources WHERE kind = ?1 AND active = 1 ORDER BY name")?;
        let rows = st.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
