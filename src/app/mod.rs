//! Use cases shared by the command line, the kiosk and the daemon: check in, register,
//! book, queue, import, backup. Each is one store transaction with its outbox rows.
//!
//! Architecture Invariant: `app` knows the store's `Tx` methods but writes no SQL, and
//! knows neither Slint, clap, HTTP nor devices.

pub mod access;
pub mod booking;
pub mod campaigns;
pub mod checkin;
pub mod checkout;
pub mod customers;
pub mod demo;
pub mod devices;
pub mod feedback;
pub mod import;
pub mod jobs;
pub mod membership;
pub mod notify;
pub mod packages;
pub mod queue;
pub mod report;
pub mod restore;
pub mod rules;
pub mod setup;
pub mod staff;
pub mod stock;
pub mod sync;
pub mod tables;
pub mod today;
pub mod waitlist;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use thiserror::Error;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::booking::BookingConflict;
use crate::domain::idcard::IdNumberError;
use crate::domain::money::MoneyError;
use crate::domain::phone::PhoneError;
use crate::domain::queue::IllegalTransition;
use crate::domain::time::business_date;
use crate::store::{BackupReport, DB_FILE, Store, StoreError};

pub const DEVICE_KEY_FILE: &str = "device.key";

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
    #[error(transparent)]
    Booking(#[from] BookingConflict),
    #[error(transparent)]
    Queue(#[from] IllegalTransition),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("{field}：{message}")]
    Input { field: String, message: String },
    #[error(
        "数据目录 {0} 尚未初始化，请先运行 `salonbox init` / the data directory {0} is not initialised: run `salonbox init` first"
    )]
    NotInitialized(PathBuf),
    #[error("文件错误 {path}：{source} / file error {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("设备密钥 {path} 无效（应为 32 字节）/ the device key {path} is invalid (expected 32 bytes)")]
    BadDeviceKey { path: PathBuf },
    #[error(transparent)]
    Import(#[from] import::ImportError),
    #[error("未找到该顾客（{0}），请先登记 / no customer found ({0}): please register first")]
    UnknownCustomer(String),
    #[error("没有今天的预约，请选择服务项目 / no appointment today: choose a service to join the queue")]
    ServiceRequired,
    #[error(transparent)]
    Checkout(crate::domain::checkout::CheckoutError),
    #[error(
        "备份 {backup} 是用另一把设备密钥做的：请先把原来的 device.key 复制到 {key}（或加 --ignore-key 恢复，顾客需重新刷身份证登记）/ the backup {backup} was made with another device key: copy the shop's old device.key to {key} first (or restore with --ignore-key; customers' ID cards will then not be recognised until registered again)"
    )]
    KeyMismatch { backup: PathBuf, key: PathBuf },
    #[error(
        "salonbox 的服务正在使用 {0}：请先停止（sudo systemctl stop salonbox-kiosk salonbox-daemon）/ the salonbox services are using {0}: stop them first (sudo systemctl stop salonbox-kiosk salonbox-daemon)"
    )]
    ServicesRunning(PathBuf),
    /// What a page showed changed meanwhile (another desk, the kiosk): refused, with what
    /// it is now, never overwritten.
    #[error("{0}")]
    Stale(String),
}

impl AppError {
    pub fn input(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Input { field: field.into(), message: message.into() }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Where the nightly job and `salonbox backup` put backups by default.
/// How long the kiosk waits for the clock to be synchronised before it believes it anyway
/// (a shop without internet never gets it synchronised).
pub const CLOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(180);

/// What [`App::clock_trust`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockTrust {
    Trusted,
    /// Not synchronised yet: wait a little.
    Waiting,
    /// The clock reads earlier than this time, already recorded: it is wrong.
    Behind(chrono::DateTime<chrono::Utc>),
}

pub fn backups_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// A backup older than this is a problem: the daemon makes one every night.
pub const BACKUP_MAX_AGE: chrono::Duration = chrono::Duration::hours(36);

/// How the shop's backups stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupState {
    /// None yet, and nothing to lose: the shop has no customers.
    NotNeeded,
    /// None, in a shop with customers.
    Missing,
    /// The newest, from within [`BACKUP_MAX_AGE`].
    Fresh(DateTime<Utc>),
    /// The newest is older than that.
    Stale(DateTime<Utc>),
}

impl BackupState {
    /// The state of the backups in `<data dir>/backups` (where the nightly job writes them).
    pub fn of(data_dir: &Path, customers: i64, tz: chrono_tz::Tz, now: DateTime<Utc>) -> BackupState {
        let newest = crate::store::backups_in(&backups_dir(data_dir), tz)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, at)| at)
            .max();
        match newest {
            None if customers == 0 => BackupState::NotNeeded,
            None => BackupState::Missing,
            Some(at) if now - at <= BACKUP_MAX_AGE => BackupState::Fresh(at),
            Some(at) => BackupState::Stale(at),
        }
    }

    pub fn is_ok(self) -> bool {
        matches!(self, BackupState::NotNeeded | BackupState::Fresh(_))
    }
}

/// What `init` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InitReport {
    pub data_dir: PathBuf,
    pub database: PathBuf,
    pub created_key: bool,
    pub schema_version: i64,
}

/// An open shop: configuration, database, clock and device key.
pub struct App {
    pub config: Config,
    store: Store,
    pub clock: Arc<dyn Clock>,
    data_dir: PathBuf,
    device_key: Vec<u8>,
    day_cache: Option<checkin::DayCache>,
    /// Jobs whose last due time failed: how many times in a row, and when to try again.
    job_retry: std::collections::HashMap<String, (u32, DateTime<Utc>)>,
    /// The database's `data_version` when the shop's profile was last read.
    profile_read_at: Option<i64>,
}

/// Creates the data directory, the device key (owner-only) and the database. Safe to run
/// again: nothing existing is replaced.
pub fn init(config: &Config, data_dir: &Path) -> Result<InitReport> {
    std::fs::create_dir_all(data_dir).map_err(|source| AppError::Io { path: data_dir.to_path_buf(), source })?;
    let key_path = data_dir.join(DEVICE_KEY_FILE);
    let created_key = if key_path.exists() {
        false
    } else {
        let key: [u8; 32] = rand::random();
        write_private(&key_path, &key)?;
        true
    };
    let store = Store::open_in(data_dir, config.shop.time_zone)?;
    Ok(InitReport {
        data_dir: data_dir.to_path_buf(),
        database: store.path().to_path_buf(),
        created_key,
        schema_version: store.schema_version()?,
    })
}

/// The data directory's device key (32 bytes); a directory without one is not initialised.
pub(crate) fn read_device_key(data_dir: &Path) -> Result<Vec<u8>> {
    let key_path = data_dir.join(DEVICE_KEY_FILE);
    if !key_path.exists() {
        return Err(AppError::NotInitialized(data_dir.to_path_buf()));
    }
    let key = std::fs::read(&key_path).map_err(|source| AppError::Io { path: key_path.clone(), source })?;
    if key.len() != 32 {
        return Err(AppError::BadDeviceKey { path: key_path });
    }
    Ok(key)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| AppError::Io { path: path.to_path_buf(), source };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

impl App {
    /// Opens an initialised data directory.
    pub fn open(config: Config, data_dir: &Path, clock: Arc<dyn Clock>) -> Result<App> {
        if !data_dir.join(DB_FILE).exists() {
            return Err(AppError::NotInitialized(data_dir.to_path_buf()));
        }
        let device_key = read_device_key(data_dir)?;
        let mut store = Store::open_in(data_dir, config.shop.time_zone)?;
        // Sync events only while cloud sync is on; switched on, the cloud gets the shop's
        // current state first.
        store.set_events(config.cloud.enabled);
        let on = config.cloud.enabled;
        let now = clock.now();
        let marked = store.read(|tx| tx.events_from())?.is_some();
        let queued = if marked == on { 0 } else { store.write(|tx| tx.start_events(on, now))? };
        if queued > 0 {
            tracing::info!(
                queued,
                "cloud sync switched on: the shop's current customers and bookings queued for the cloud"
            );
        }
        // Backups hold what the database holds: owner-only too (an older version made them
        // world-readable).
        if let Ok(dir) = std::fs::read_dir(backups_dir(data_dir)) {
            for f in dir.flatten().map(|e| e.path()).filter(|p| p.is_file()) {
                crate::store::tighten(&f);
            }
        }
        let mut app = App {
            config,
            store,
            clock,
            data_dir: data_dir.to_path_buf(),
            device_key,
            day_cache: None,
            job_retry: Default::default(),
            profile_read_at: None,
        };
        // what the owner set in the back office wins over the file (app/setup.rs)
        app.refresh_profile()?;
        Ok(app)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.config.shop.time_zone
    }

    /// Whether the clock can be believed for business (a check-in's day and ticket series,
    /// a payment's date). A Pi has no real-time clock: after a power cut it starts at
    /// whatever time was last saved until the network sets it. The clock is believed once
    /// it is synchronised (`jobs.clock_sync_file` exists, or this machine has no
    /// timesyncd), or after `waited` reaches `CLOCK_WAIT` without that; never while it reads
    /// earlier than a time the shop already recorded.
    pub fn clock_trust(&mut self, waited: std::time::Duration) -> Result<ClockTrust> {
        let now = self.now();
        if let Some(seen) = self.store.read(|tx| tx.latest_recorded_at())?
            && now + chrono::Duration::minutes(1) < seen
        {
            return Ok(ClockTrust::Behind(seen));
        }
        let synced = match &self.config.jobs.clock_sync_file {
            None => true,
            Some(flag) => flag.exists() || flag.parent().is_some_and(|d| !d.exists()),
        };
        Ok(if synced || waited >= CLOCK_WAIT { ClockTrust::Trusted } else { ClockTrust::Waiting })
    }

    pub fn today(&self) -> NaiveDate {
        business_date(self.now(), self.tz())
    }

    pub fn device_key(&self) -> &[u8] {
        &self.device_key
    }

    /// How the backups stand (see [`BackupState`]).
    pub fn backup_state(&mut self) -> Result<BackupState> {
        let customers = self.store.read(|tx| tx.count(crate::store::Table::Customers))?;
        Ok(BackupState::of(&self.data_dir, customers, self.tz(), self.now()))
    }

    /// A verified online backup into `dir` (default `<data dir>/backups`); afterwards only
    /// the newest `keep` backups in that directory are kept (never fewer than one). The
    /// backup carries the device key's check value, for a later restore.
    pub fn backup(&mut self, dir: Option<&Path>, keep: usize) -> Result<BackupReport> {
        let dir = dir.map_or_else(|| backups_dir(&self.data_dir), Path::to_path_buf);
        restore::record_key_check(&mut self.store, &self.device_key)?;
        let report = self.store.backup_to(&dir, self.now())?;
        let old: Vec<PathBuf> = crate::store::backups_in(&dir, self.tz())
            .map_err(|source| AppError::Io { path: dir.clone(), source })?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let excess = old.len().saturating_sub(keep.max(1));
        for p in old.into_iter().take(excess) {
            if p != report.path {
                std::fs::remove_file(&p).map_err(|source| AppError::Io { path: p.clone(), source })?;
                tracing::info!(path = %p.display(), "removed old backup");
            }
        }
        Ok(report)
    }
}

/// Single reads the faces need, each in its own read transaction.
impl App {
    /// The audit log, newest first, as `f` filters it (at most 500 rows a page).
    pub fn audit_log(&mut self, f: &crate::store::AuditFilter) -> Result<Vec<crate::store::AuditRow>> {
        let f = crate::store::AuditFilter { limit: f.limit.clamp(1, 500), ..f.clone() };
        Ok(self.store.read(|tx| tx.audit_rows(&f))?)
    }

    /// A queue entry by id.
    pub fn queue_entry(&mut self, id: &str) -> Result<crate::domain::model::QueueEntry> {
        Ok(self.store.read(|tx| tx.queue_entry(id))?)
    }

    /// A service by its exact name, if there is one.
    pub fn service_by_name(&mut self, name: &str) -> Result<Option<crate::domain::model::Service>> {
        Ok(self.store.read(|tx| tx.service_by_name(name))?)
    }

    /// A live customer by phone number, if there is one.
    pub fn customer_by_phone(
        &mut self,
        phone: &crate::domain::phone::Phone,
    ) -> Result<Option<crate::domain::model::Customer>> {
        Ok(self.store.read(|tx| tx.customer_by_phone(phone))?)
    }

    /// What a visit was (for the rating page).
    pub fn visit_brief(&mut self, visit_id: &str) -> Result<crate::store::VisitBrief> {
        Ok(self.store.read(|tx| tx.visit_brief(visit_id))?)
    }

    /// Any visit that is not a reversal (a checkout, top-up, course sale or refund).
    pub fn visit_record(&mut self, visit_id: &str) -> Result<crate::store::VisitBrief> {
        Ok(self.store.read(|tx| tx.visit_record(visit_id))?)
    }

    /// One message of the outbox, by id or dedupe key.
    pub fn message(&mut self, key: &str) -> Result<crate::store::Notification> {
        Ok(self.store.read(|tx| tx.notification(key))?)
    }
}
