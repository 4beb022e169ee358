//! The entities as the rest of the program sees them (read from the store, shown by the
//! faces, sent by sync). Plain data: no behaviour that needs I/O.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::checkin::TicketKind;
use super::customer::Gender;
use super::phone::Phone;
use super::queue::QueueStatus;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    pub id: String,
    pub member_code: String,
    pub name: String,
    pub phone: Option<Phone>,
    pub gender: Gender,
    pub birthday: Option<NaiveDate>,
    /// `110101********1234`; the number itself is never stored.
    pub id_card_masked: Option<String>,
    pub tier: Option<String>,
    /// 0 for the entry tier; VIP treatment from rank 2 (金卡) up.
    pub tier_rank: Option<i64>,
    pub skin_type: Option<String>,
    pub skin_concerns: Vec<String>,
    pub allergies: String,
    pub contraindications: String,
    pub tags: Vec<String>,
    pub notes: String,
    pub source: String,
    pub marketing_consent: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Beautician,
    FrontDesk,
    Manager,
    Owner,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Beautician => "beautician",
            StaffRole::FrontDesk => "front_desk",
            StaffRole::Manager => "manager",
            StaffRole::Owner => "owner",
        }
    }
    pub fn parse(s: &str) -> Option<StaffRole> {
        Some(match s.trim().to_lowercase().as_str() {
            "beautician" | "美容师" => StaffRole::Beautician,
            "front_desk" | "front-desk" | "frontdesk" | "前台" => StaffRole::FrontDesk,
            "manager" | "店长" | "经理" => StaffRole::Manager,
            "owner" | "老板" | "店主" => StaffRole::Owner,
            _ => return None,
        })
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            StaffRole::Beautician => "美容师",
            StaffRole::FrontDesk => "前台",
            StaffRole::Manager => "店长",
            StaffRole::Owner => "店主",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub phone: Option<Phone>,
    pub has_pin: bool,
    pub service_commission_pct: Decimal,
    pub product_commission_pct: Decimal,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift {
    pub id: String,
    pub staff_id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub category: String,
    pub duration_min: u32,
    pub price: Decimal,
    pub resource_kind: Option<String>,
    pub active: bool,
    /// Clean-up after it (minutes): its beautician and room stay taken.
    pub buffer_min: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    CheckedIn,
    Completed,
    Cancelled,
    NoShow,
}

impl AppointmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::CheckedIn => "checked_in",
            AppointmentStatus::Completed => "completed",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::NoShow => "no_show",
        }
    }
    pub fn from_db(s: &str) -> AppointmentStatus {
        match s {
            "checked_in" => AppointmentStatus::CheckedIn,
            "completed" => AppointmentStatus::Completed,
            "cancelled" => AppointmentStatus::Cancelled,
            "no_show" => AppointmentStatus::NoShow,
            _ => AppointmentStatus::Booked,
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "已预约",
            AppointmentStatus::CheckedIn => "已到店",
            AppointmentStatus::Completed => "已完成",
            AppointmentStatus::Cancelled => "已取消",
            AppointmentStatus::NoShow => "未到店",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appointment {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub service_id: String,
    pub service_name: String,
    pub staff_id: Option<String>,
    pub staff_name: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub note: String,
    /// When it was booked or last changed (moved, edited).
    pub updated_at: DateTime<Utc>,
    /// Clean-up after it (minutes), as the service had when booked.
    pub buffer_min: u32,
    /// Services booked together, back to back, share a group.
    pub group_id: Option<String>,
}

impl Appointment {
    /// A fingerprint of what a page shows of it (time, beautician, room, status, last
    /// change): a page sends it back with a change, and a change to an appointment that
    /// is no longer as the page showed it is refused.
    pub fn version(&self) -> i64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        (self.starts_at, self.ends_at, &self.staff_id, &self.resource_id, self.status.as_str(), self.updated_at)
            .hash(&mut h);
        (h.finish() >> 1) as i64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueEntry {
    pub id: String,
    pub business_date: NaiveDate,
    pub kind: TicketKind,
    pub ticket: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_gender: Gender,
    pub appointment_id: Option<String>,
    pub service_id: String,
    pub service_name: String,
    pub duration_min: u32,
    /// Who serves, or (until service starts) who was asked for.
    pub staff_id: Option<String>,
    pub staff_name: Option<String>,
    pub status: QueueStatus,
    pub identified_by: String,
    /// The start time promised on the ticket when the customer checked in.
    pub promised_start_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}
