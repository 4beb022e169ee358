//! The back office's Today page: the live queue, today's appointments, the takings so far
//! and the alerts that need a person.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::queue::QueueLine;
use super::report::Period;
use super::{App, BackupState, Result};
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
        let report = self.report(Period::Daily, today)?;
        Ok(TodayBoard {
            queue,
            appointments,
            takings: report.money_received_total,
            visits: report.visits,
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
