//! The back office's Today page: the live queue, today's appointments, the takings so far
//! and the alerts that need a person.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::queue::QueueLine;
use super::{App, AppError, BackupState, Result};
use crate::domain::model::Appointment;

/// Something a person should look at.
#[derive(Debug, Clone, PartialEq)]
pub enum Alert {
    /// Messages whose outcome is unknown or that failed today.
    Messages {
        unknown: i64,
        failed: i64,
    },
    LowStock {
        product: String,
        level: i64,
        line: i64,
    },
    Backup(BackupState),
    /// Cloud sync is on and has not succeeded for a while (or was refused).
    SyncOffline {
        since: Option<DateTime<Utc>>,
        error: Option<String>,
    },
    /// A device reports a problem (the printer out of paper, a reader unplugged).
    Device {
        device: String,
        detail: String,
        since: DateTime<Utc>,
    },
}

#[derive(Debug, Clone)]
pub struct TodayBoard {
    pub queue: Vec<QueueLine>,
    pub appointments: Vec<Appointment>,
    /// Money received today (sales, top-ups, course sales).
    pub takings: Decimal,
    pub visits: i64,
    pub alerts: Vec<Alert>,
}

/// Sync is called offline after this long without a success while events wait.
const SYNC_OFFLINE_AFTER_MINUTES: i64 = 30;

impl App {
    pub fn today_board(&mut self) -> Result<TodayBoard> {
        let today = self.today();
        let queue = self.queue(false)?;
        let appointments = self.appointments_on(Some(today), None, false)?;
        // the daily report's own definitions, without its ledgers (which read every
        // customer's balances: seconds in a large shop)
        let range = crate::domain::time::day_bounds(today, self.tz());
        let day = self.store.read(|tx| Ok::<_, AppError>(tx.range_visits(range)?))?;
        let (received, counts) = (day.money_received(), day.visit_counts());
        Ok(TodayBoard {
            queue,
            appointments,
            takings: received.iter().map(|(_, _, fen)| crate::domain::money::from_fen(*fen)).sum(),
            visits: counts.visits,
            alerts: self.alerts()?,
        })
    }

    /// The alerts of the Today page, most urgent first.
    pub fn alerts(&mut self) -> Result<Vec<Alert>> {
        let now = self.now();
        let day_start = crate::domain::time::day_bounds(self.today(), self.tz()).start;
        let mut alerts = Vec::new();
        let overview = self.devices_overview(day_start)?;
        for d in overview.devices.into_iter().filter(|d| !d.ok) {
            alerts.push(Alert::Device { device: d.device, detail: d.detail, since: d.since });
        }
        let (unknown, failed) = overview.messages;
        if unknown + failed > 0 {
            alerts.push(Alert::Messages { unknown, failed });
        }
        if self.config.cloud.enabled {
            let s = self.sync_state()?;
            let stale = s.queued > 0
                && s.last_success_at.is_none_or(|t| now - t > chrono::Duration::minutes(SYNC_OFFLINE_AFTER_MINUTES));
            if stale || s.auth_refused_at.is_some() {
                alerts.push(Alert::SyncOffline { since: s.last_success_at, error: s.last_error });
            }
        }
        let backup = self.backup_state()?;
        if !backup.is_ok() {
            alerts.push(Alert::Backup(backup));
        }
        for (_, product, level, line) in self.store.read(|tx| tx.low_stock())? {
            alerts.push(Alert::LowStock { product, level, line });
        }
        Ok(alerts)
    }
}

/// One day of the appointment book: the opening hours, who works when, every appointment
/// (cancelled ones too, struck through) and the slot wait list.
#[derive(Debug, Clone)]
pub struct BookDay {
    pub date: chrono::NaiveDate,
    pub opening: Option<crate::domain::time::Interval>,
    /// Beauticians (active), each with her shifts that day.
    pub staff: Vec<(crate::domain::model::Staff, Vec<crate::domain::time::Interval>)>,
    pub appointments: Vec<Appointment>,
    /// Wait-list entries whose window touches the day.
    pub waitlist: Vec<crate::store::WaitlistEntry>,
    /// The shop's rooms and devices `(id, name)`, for the book's view by room.
    pub rooms: Vec<(String, String)>,
}

impl App {
    pub fn book_day(&mut self, date: chrono::NaiveDate) -> Result<BookDay> {
        use crate::domain::model::StaffRole;
        use crate::domain::time::{Interval, day_bounds};
        let tz = self.tz();
        let opening = self.config.shop.opening_hours.on(date, tz);
        let shifts = self.shifts_on(date)?;
        let mut staff: Vec<(crate::domain::model::Staff, Vec<Interval>)> = self
            .list_staff()?
            .into_iter()
            .filter(|s| s.active && s.role == StaffRole::Beautician)
            .map(|s| (s, Vec::new()))
            .collect();
        for (s, shift) in shifts {
            if let Some((_, list)) = staff.iter_mut().find(|(x, _)| x.id == s.id) {
                list.push(Interval::new(shift.starts_at, shift.ends_at));
            }
        }
        let appointments = self.appointments_on(Some(date), None, true)?;
        let day = day_bounds(date, tz);
        let waitlist = self
            .waitlist(false)?
            .into_iter()
            .filter(|w| w.window_start_at < day.end && w.window_end_at > day.start)
            .collect();
        let rooms = self.store.read(|tx| tx.resources())?;
        Ok(BookDay { date, opening, staff, appointments, waitlist, rooms })
    }
}
