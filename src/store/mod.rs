//! The only SQL in salonbox: the SQLite file, its migrations, queries and outboxes.
//!
//! Architecture Invariant: every write runs in a `BEGIN IMMEDIATE` transaction through
//! [`Store::write`]; a change and the outbox rows it causes (sync events, notifications,
//! audit) are written in the same transaction, so they exist together or not at all.
//!
//! Architecture Invariant: the connection always runs with WAL, `synchronous=FULL`,
//! `foreign_keys=ON` and a `busy_timeout`, so the kiosk and the daemon can share one file.

mod appointments;
mod backup;
mod campaigns;
mod customers;
mod feedback;
mod membership;
mod outbox;
mod packages;
mod printing;
mod products;
mod queue;
mod reports;
mod rules;
mod services;
mod sessions;
mod staff;
mod stock;
mod sync;
mod visits;
mod waitlist;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use appointments::NewAppointment;
pub use backup::{
    BackupInfo, BackupReport, KEY_CHECK_SETTING, backups_in, database_files_in, file_stamp, inspect_backup,
};
pub use campaigns::{AudienceQuery, CampaignRow, Reachable};
pub use customers::{CustomerPatch, NewCustomer};
pub use feedback::{FeedbackRow, Interaction, VisitBrief};
pub use membership::{CouponTemplate, CourseBalance, CourseEnding, IssuedCoupon, NewCoupon, NewCourse, Tier};
pub use outbox::{Contact, JobRun, NewNotification, Notification, OutboxStats};
pub use packages::{NewPackageItem, NewPackageSale, Package, PackageItem, SoldItem};
pub use printing::{DeviceStatus, PrintJob};
pub use products::Product;
pub use queue::NewQueueEntry;
pub use reports::{Bucket, LedgerSums, Quiet, RangeVisits, Sums, VisitCounts};
pub use rules::{ReferralAward, RuleChangeRow};
pub use services::NewService;
pub use sessions::{ConsentRow, OptOut, WebSessionRow};
pub use staff::NewStaff;
pub use stock::{BatchRow, NewMovement, ProductDetails, StockReportRow, StockRow};
pub use sync::{CloudAppointment, CloudService, OutgoingEvent, SetAsideEvent, SkippedChange, SyncKey, SyncState};
pub use visits::{NewCommission, NewPoints, NewRebate, NewStoredValue, NewVisit, NewVisitItem};
pub use waitlist::{FreedSlot, WaitlistEntry};

/// How long a writer waits for the other process's transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(15);
pub const DB_FILE: &str = "salonbox.sqlite3";

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
    /// A step in Rust after the SQL, in the same transaction (values SQL cannot compute).
    then: Option<fn(&rusqlite::Connection) -> rusqlite::Result<()>>,
}

/// Embedded migrations, applied in order. Never edit a released one: add the next.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "init", sql: include_str!("migrations/0001_init.sql"), then: None },
    Migration { version: 2, name: "hot_path_keys", sql: include_str!("migrations/0002_hot_path_keys.sql"), then: None },
    Migration { version: 3, name: "membership", sql: include_str!("migrations/0003_membership.sql"), then: None },
    Migration { version: 4, name: "print_queue", sql: include_str!("migrations/0004_print_queue.sql"), then: None },
    Migration { version: 5, name: "fewer_keys", sql: include_str!("migrations/0005_fewer_keys.sql"), then: None },
    Migration { version: 6, name: "sync", sql: include_str!("migrations/0006_sync.sql"), then: None },
    Migration {
        version: 7,
        name: "inventory_feedback",
        sql: include_str!("migrations/0007_inventory_feedback.sql"),
        then: None,
    },
    Migration { version: 8, name: "campaigns", sql: include_str!("migrations/0008_campaigns.sql"), then: None },
    Migration {
        version: 9,
        name: "unknown_outcomes",
        sql: include_str!("migrations/0009_unknown_outcomes.sql"),
        then: None,
    },
    Migration {
        version: 10,
        name: "back_office",
        sql: include_str!("migrations/0010_back_office.sql"),
        then: Some(customers::fill_initials),
    },
    Migration {
        version: 11,
        name: "rules_referrals",
        sql: include_str!("migrations/0011_rules_referrals.sql"),
        then: None,
    },
    Migration { version: 12, name: "packages", sql: include_str!("migrations/0012_packages.sql"), then: None },
    Migration { version: 13, name: "ledger_days", sql: include_str!("migrations/0013_ledger_days.sql"), then: None },
];

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("数据库错误：{0} / database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("无法打开数据库 {path}：{source} / cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("数据库迁移 {version} ({name}) 失败：{source} / migration {version} ({name}) failed: {source}")]
    Migration { version: i64, name: String, source: rusqlite::Error },
    #[error(
        "已应用的迁移 {version} 与程序内置的不一致（迁移发布后不可修改）/ applied migration {version} differs from the built-in one (released migrations must never be edited)"
    )]
    EditedMigration { version: i64 },
    #[error(
        "数据库版本 {found} 比本程序 ({known}) 新，请升级 salonbox / the database schema {found} is newer than this program knows ({known}); upgrade salonbox"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("找不到{what}：{key} / no such {what_en}: {key}")]
    NotFound { what: &'static str, what_en: &'static str, key: String },
    #[error("{what}已存在：{key} / {what_en} already exists: {key}")]
    Duplicate { what: &'static str, what_en: &'static str, key: String },
    #[error(
        "数据库中的值无效（{table}.{column}）：{value} / invalid value in the database ({table}.{column}): {value}"
    )]
    Corrupt { table: &'static str, column: &'static str, value: String },
    #[error("JSON 错误：{0} / JSON error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("文件错误 {path}：{source} / file error {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("备份校验失败：{0} / backup verification failed: {0}")]
    BackupVerify(String),
    #[error("{path} 不是可用的 salonbox 备份：{zh} / {path} is not a usable salonbox backup: {en}")]
    NotABackup { path: PathBuf, zh: String, en: String },
    #[error(transparent)]
    Money(#[from] crate::domain::money::MoneyError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    tz: Tz,
    /// Whether sync events are queued (cloud sync is on); see `Tx::emit_event`.
    events: bool,
}

/// Where the database stands as this connection sees it. Another connection's commit
/// changes `data_version`; this connection's own writes (even rolled back) change
/// `total_changes`. Two equal stamps mean nobody wrote in between, so what was read at the
/// first may be reused at the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    data_version: i64,
    total_changes: u64,
}

/// A transaction: every query of salonbox is a method of `Tx`.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    tz: Tz,
    events: bool,
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A fresh UUIDv7: the time in milliseconds, a 12-bit counter and 62 random bits from the
/// thread's generator (no system call per id, unlike `Uuid::now_v7`).
///
/// Ids made by one process sort in the order they were made (RFC 9562, method 1: within a
/// millisecond the counter counts up; on overflow the time moves on by a millisecond, and a
/// clock set back does not take the ids back with it). Staff-arrival alerts rely on it: they
/// are read in the order of their keys (migration 0005).
pub(crate) fn new_id() -> String {
    static LAST: std::sync::Mutex<(u64, u16)> = std::sync::Mutex::new((0, 0));
    let now = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
    let (ms, counter) = {
        let mut last = LAST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = if now > last.0 {
            // A fresh millisecond starts the counter low, leaving room to count up.
            (now, rand::random::<u16>() & 0x3ff)
        } else if last.1 >= 0xfff {
            (last.0 + 1, 0)
        } else {
            (last.0, last.1 + 1)
        };
        *last = next;
        next
    };
    let random = rand::random::<u64>() & ((1 << 62) - 1);
    let v = (u128::from(ms & 0xffff_ffff_ffff) << 80)
        | (0x7 << 76)
        | (u128::from(counter) << 64)
        | (0b10 << 62)
        | u128::from(random);
    uuid::Uuid::from_u128(v).to_string()
}

/// A fresh UUIDv7 for callers outside the store (message keys, file names).
pub fn fresh_id() -> String {
    new_id()
}

/// A stored `YYYY-MM-DD` date (chrono's format parser is several times slower, and dates
/// are read on every check-in).
pub(crate) fn ymd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// Creates `path` empty with mode 0600 if it does not exist, or takes group and world
/// access away from it if it does (see [`tighten`]).
pub(crate) fn owner_only(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            tighten(path);
            Ok(())
        }
        Err(source) => Err(StoreError::Io { path: path.to_path_buf(), source }),
    }
}

/// Takes group and world access away from an existing file. One that is gone (another
/// process's last connection removes the WAL as it closes; a rotation removes a backup)
/// is left gone, never created; one of another user's that cannot be changed is left as
/// it is with a warning (`salonbox doctor` reports it).
pub(crate) fn tighten(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else { return };
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0
        && let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "cannot make the file owner-only");
    }
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path, tz: Tz) -> Result<Store> {
        // Owner-only, like the device key: created so before SQLite opens it (its -wal and
        // -shm then take the same mode), and made so if an older version left it readable.
        owner_only(path)?;
        for side in ["-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(side);
            tighten(&PathBuf::from(p));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        configure(&conn).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        let mut store = Store { conn, path: path.to_path_buf(), tz, events: true };
        store.migrate()?;
        Ok(store)
    }

    /// Opens the database of a data directory (`<dir>/salonbox.sqlite3`).
    pub fn open_in(dir: &Path, tz: Tz) -> Result<Store> {
        Store::open(&dir.join(DB_FILE), tz)
    }

    /// Whether sync events are queued: only while cloud sync is on. Off, nothing goes
    /// into the sync queue (a customer's snapshot would only pile up unsent).
    pub fn set_events(&mut self, on: bool) {
        self.events = on;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies the WAL into the database and empties it (best effort: a reader of another
    /// process may keep part of it until its next checkpoint). With `secure_delete` on,
    /// what a deletion removed is then gone from both files.
    pub fn checkpoint_truncate(&self) -> Result<()> {
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    fn migrate(&mut self) -> Result<()> {
        self.migrate_with(MIGRATIONS)
    }

    fn migrate_with(&mut self, migrations: &[Migration]) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL
            ) STRICT",
        )?;
        let known = migrations.last().map_or(0, |m| m.version);
        // Read what is applied without taking the write lock: opening an up-to-date
        // database never blocks the other process.
        let applied: std::collections::HashMap<i64, String> = self
            .conn
            .prepare("SELECT version, checksum FROM schema_migrations")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if let Some(&found) = applied.keys().max()
            && found > known
        {
            return Err(StoreError::NewerSchema { found, known });
        }
        for m in migrations {
            match applied.get(&m.version) {
                Some(sum) if *sum == checksum(m.sql) => continue,
                Some(_) => return Err(StoreError::EditedMigration { version: m.version }),
                None => {}
            }
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process may have applied it while we waited for the lock.
            let now_applied: Option<String> = tx
                .query_row("SELECT checksum FROM schema_migrations WHERE version = ?1", [m.version], |r| r.get(0))
                .optional()?;
            match now_applied {
                Some(sum) if sum == checksum(m.sql) => continue,
                Some(_) => return Err(StoreError::EditedMigration { version: m.version }),
                None => {}
            }
            tx.execute_batch(m.sql).map_err(|source| StoreError::Migration {
                version: m.version,
                name: m.name.to_string(),
                source,
            })?;
            if let Some(then) = m.then {
                then(&tx).map_err(|source| StoreError::Migration {
                    version: m.version,
                    name: m.name.to_string(),
                    source,
                })?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                params![m.version, m.name, checksum(m.sql), ms(Utc::now())],
            )?;
            tx.commit()?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
        }
        Ok(())
    }

    /// The schema version (the last migration applied).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?)
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction: committed if `f` returns `Ok`, rolled
    /// back otherwise.
    pub fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        self.immediate(f, |_| Ok(())).map(|(out, ())| out)
    }

    /// Like [`Store::write`], and also returns the database's [`Stamp`] right after the
    /// commit, for caches of what this transaction read.
    pub fn write_stamped<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<(T, Stamp), E> {
        // Read under the write lock: nobody else can commit between here and our commit,
        // our own commit leaves this connection's data_version as it is, and COMMIT itself
        // changes no rows.
        self.immediate(f, |tx| tx.stamp())
    }

    /// Runs `f` in a write transaction and rolls it back whatever happens: what a change
    /// would come to (a checkout's bill before the customer pays), without making it.
    pub fn dry_run<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| E::from(StoreError::from(e)))?;
        let tx = Tx { tx, tz: self.tz, events: self.events };
        let out = f(&tx);
        tx.tx.rollback().map_err(|e| E::from(StoreError::from(e)))?;
        out
    }

    /// `f`, then `last` (still inside the transaction), then COMMIT.
    fn immediate<T, S, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
        last: impl FnOnce(&Tx<'_>) -> Result<S>,
    ) -> Result<(T, S), E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| E::from(StoreError::from(e)))?;
        let tx = Tx { tx, tz: self.tz, events: self.events };
        let out = f(&tx)?;
        let extra = last(&tx).map_err(E::from)?;
        tx.tx.commit().map_err(|e| E::from(StoreError::from(e)))?;
        Ok((out, extra))
    }

    /// Runs `f` in a read transaction: one consistent snapshot.
    pub fn read<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(|e| E::from(StoreError::from(e)))?;
        let tx = Tx { tx, tz: self.tz, events: self.events };
        f(&tx)
    }

    /// `PRAGMA integrity_check`: `"ok"` on a sound file.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// `PRAGMA quick_check`: like `integrity_check` without the index cross-checks (seconds,
    /// not minutes, on a large file).
    pub fn quick_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?)
    }

    pub fn known_schema_version() -> i64 {
        MIGRATIONS.len() as i64
    }

    /// Copies the WAL into the database file and truncates it, then syncs the file.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        std::fs::File::open(&self.path)
            .and_then(|f| f.sync_all())
            .map_err(|source| StoreError::Io { path: self.path.clone(), source })
    }

    /// `PRAGMA data_version`: changes when another connection commits (for cheap watching).
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Every query of a check-in stays prepared between check-ins. Without the query planner
    // stability guarantee, SQLite (built with STAT4) re-prepares a statement whenever a new
    // bound value could change its plan, which cost a third of a check-in.
    conn.set_prepared_statement_cache_capacity(256);
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" {
        tracing::warn!(mode, "could not switch the database to WAL");
    }
    // mmap and a larger page cache keep a year of visits' worth of index pages off the
    // read() path; temp_store keeps ORDER BY sorts in memory.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16000; PRAGMA mmap_size = 268435456; PRAGMA secure_delete = ON;",
    )?;
    Ok(())
}

/// A bare connection with salonbox's pragmas, for benchmarks that compare against a plain
/// insert.
pub fn bare_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
    configure(&conn)?;
    Ok(conn)
}

impl Tx<'_> {
    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub(crate) fn conn(&self) -> &rusqlite::Transaction<'_> {
        &self.tx
    }

    /// `execute` through the statement cache.
    pub(crate) fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.tx.prepare_cached(sql)?.execute(params)
    }

    /// `query_row` through the statement cache.
    pub(crate) fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.tx.prepare_cached(sql)?.query_row(params, f)
    }

    /// A time as RFC 3339 with the shop's offset (`2026-11-22T10:31:07+08:00`), as sync
    /// payloads carry it.
    pub(crate) fn rfc3339(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).to_rfc3339()
    }

    fn data_version(&self) -> Result<i64> {
        Ok(self.row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The database's [`Stamp`] as this transaction sees it.
    pub fn stamp(&self) -> Result<Stamp> {
        Ok(Stamp { data_version: self.data_version()?, total_changes: self.tx.total_changes() })
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn delete_setting(&self, key: &str) -> Result<()> {
        self.exec("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Writes an audit-log row: who did what to which entity.
    pub fn audit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        entity: &str,
        entity_id: &str,
        detail: &serde_json::Value,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![ms(at), actor, action, entity, entity_id, detail.to_string()],
        )?;
        Ok(())
    }

    /// The audit log, newest first, filtered: `who` is a staff id or part of a staff name
    /// (or `cli`, `kiosk`, `daemon`, `web`), `action` a prefix (`customer.`), `range` when,
    /// `before` pages on (an id of the last page).
    pub fn audit_rows(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT a.id, a.at, a.actor, s.name, a.action, a.entity, a.entity_id, a.detail
             FROM audit_log a LEFT JOIN staff s ON s.id = a.actor
             WHERE (?1 IS NULL OR a.actor = ?1 OR s.name LIKE '%' || ?1 || '%')
               AND (?2 IS NULL OR a.action LIKE ?2 || '%')
               AND (?3 IS NULL OR a.at >= ?3) AND (?4 IS NULL OR a.at < ?4)
               AND (?5 IS NULL OR a.id < ?5)
             ORDER BY a.id DESC LIMIT ?6",
        )?;
        let rows = st
            .query_map(
                params![f.who, f.action, f.range.map(|r| ms(r.start)), f.range.map(|r| ms(r.end)), f.before, f.limit],
                |r| {
                    Ok(AuditRow {
                        id: r.get(0)?,
                        at: from_ms(r.get(1)?),
                        actor: r.get(2)?,
                        actor_name: r.get(3)?,
                        action: r.get(4)?,
                        entity: r.get(5)?,
                        entity_id: r.get(6)?,
                        detail: r.get(7)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Counts rows of a table (for reports and checks).
    pub fn count(&self, table: Table) -> Result<i64> {
        Ok(self.row(&format!("SELECT COUNT(*) FROM {}", table.name()), [], |r| r.get(0))?)
    }
}

/// What the audit log is searched by.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub who: Option<String>,
    pub action: Option<String>,
    pub range: Option<crate::domain::time::Interval>,
    pub before: Option<i64>,
    pub limit: u32,
}

/// One row of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The staff member's name, when the actor is one.
    pub actor_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON.
    pub detail: String,
}

/// Tables whose size a caller may ask for.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    Customers,
    Staff,
    Services,
    Appointments,
    QueueEntries,
    Visits,
    SyncOutbox,
    NotificationOutbox,
    AuditLog,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Customers => "customers",
            Table::Staff => "staff",
            Table::Services => "services",
            Table::Appointments => "appointments",
            Table::QueueEntries => "queue_entries",
            Table::Visits => "visits",
            Table::SyncOutbox => "sync_outbox",
            Table::NotificationOutbox => "notification_outbox",
            Table::AuditLog => "audit_log",
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn stored_dates_and_ids() {
        assert_eq!(ymd("2026-02-28"), NaiveDate::from_ymd_opt(2026, 2, 28));
        for bad in ["2026-02-30", "2026-2-28", "2026/02/28", "", "２０２６-02-28", "2026-02-2x"] {
            assert_eq!(ymd(bad), None, "{bad}");
        }
        let (a, b) = (new_id(), new_id());
        let u = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 7);
        assert_ne!(a, b);
        let ms = u.get_timestamp().unwrap().to_unix();
        assert!((i64::try_from(ms.0).unwrap() - Utc::now().timestamp()).abs() < 5);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        // Many ids in one millisecond still come out in order, from several threads too.
        let ids: Vec<String> = (0..10_000).map(|_| new_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids sort in the order they were made");
        let threads: Vec<_> =
            (0..4).map(|_| std::thread::spawn(|| (0..2000).map(|_| new_id()).collect::<Vec<_>>())).collect();
        let mut all: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "no id made twice");
    }
    use super::*;

    #[test]
    fn migrates_once_and_refuses_edits_and_newer_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let tz = chrono_tz::Asia::Shanghai;
        let s = Store::open(&path, tz).unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let mode: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = s.conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = s.conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "FULL");
        drop(s);
        // reopening applies nothing again
        let s = Store::open(&path, tz).unwrap();
        s.conn.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1", []).unwrap();
        drop(s);
        assert!(matches!(Store::open(&path, tz), Err(StoreError::EditedMigration { version: 1 })));
        let c = Connection::open(&path).unwrap();
        c.execute("UPDATE schema_migrations SET checksum = ?1 WHERE version = 1", [checksum(MIGRATIONS[0].sql)])
            .unwrap();
        c.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x', 0)", []).unwrap();
        drop(c);
        assert!(
            matches!(Store::open(&path, tz), Err(StoreError::NewerSchema { found: 99, known }) if known == MIGRATIONS.len() as i64)
        );
    }

    fn events(s: &mut Store) -> Vec<(i64, String, String)> {
        s.read(|tx| {
            let mut st = tx.conn().prepare("SELECT seq, type, status FROM sync_outbox ORDER BY seq")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
            Ok::<_, StoreError>(rows)
        })
        .unwrap()
    }

    #[test]
    fn migration_2_keeps_every_event_and_the_seq_counter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let conn = Connection::open(&path).unwrap();
        configure(&conn).unwrap();
        let mut s = Store { conn, path: path.clone(), tz: chrono_tz::Asia::Shanghai, events: true };
        s.migrate_with(&MIGRATIONS[..1]).unwrap();
        assert_eq!(s.schema_version().unwrap(), 1);
        let now = Utc::now();
        s.write(|tx| {
            for n in 0..5 {
                tx.emit_event(&format!("test.{n}"), now, &serde_json::json!({ "n": n }))?;
            }
            // an old purge took the newest two: AUTOINCREMENT still remembers seq 5
            tx.exec("DELETE FROM sync_outbox WHERE seq > 3", [])?;
            tx.exec("UPDATE sync_outbox SET status = 'delivered' WHERE seq = 1", [])?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        s.migrate().unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let before = events(&mut s);
        assert_eq!(
            before.iter().map(|(seq, t, st)| (*seq, t.as_str(), st.as_str())).collect::<Vec<_>>(),
            [
                (1, "test.0", "delivered"),
                (2, "test.1", "pending"),
                (3, "test.2", "pending"),
                (5, "internal.seq_marker", "delivered")
            ]
        );
        s.write(|tx| tx.emit_event("test.after", now, &serde_json::json!({}))).unwrap();
        assert_eq!(events(&mut s).last().map(|e| e.0), Some(6), "seq never goes back");
        // the sender's scan starts at the push floor and skips what is not pending
        let pending =
            |s: &mut Store| s.read(|tx| tx.pending_events(10)).unwrap().into_iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(pending(&mut s), [2, 3, 6]);
        s.write(|tx| tx.set_push_floor(3)).unwrap();
        assert_eq!(pending(&mut s), [3, 6]);
        s.write(|tx| tx.set_push_floor(2)).unwrap();
        assert_eq!(pending(&mut s), [3, 6], "the floor never moves back");
    }

    #[test]
    fn a_stamp_changes_with_any_write_by_anyone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let tz = chrono_tz::Asia::Shanghai;
        let mut a = Store::open(&path, tz).unwrap();
        let mut b = Store::open(&path, tz).unwrap();
        let ((), s0) = a.write_stamped(|tx| tx.set_setting("x", "1")).unwrap();
        assert_eq!(a.read(|tx| tx.stamp()).unwrap(), s0, "own commit is already counted");
        assert_eq!(a.read(|tx| tx.stamp()).unwrap(), s0, "reading changes nothing");
        b.write(|tx| tx.set_setting("y", "1")).unwrap();
        let s1 = a.read(|tx| tx.stamp()).unwrap();
        assert_ne!(s1, s0, "another connection committed");
        a.write(|tx| tx.set_setting("x", "2")).unwrap();
        let s2 = a.read(|tx| tx.stamp()).unwrap();
        assert_ne!(s2, s1, "this connection wrote");
        let r: Result<()> = a.write(|tx| {
            tx.set_setting("x", "3")?;
            Err(StoreError::BackupVerify("boom".into()))
        });
        assert!(r.is_err());
        assert_ne!(a.read(|tx| tx.stamp()).unwrap(), s2, "a rolled-back write still counts");
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.sqlite3"), chrono_tz::Asia::Shanghai).unwrap();
        let r: Result<()> = s.write(|tx| {
            tx.set_setting("a", "1")?;
            Err(StoreError::BackupVerify("boom".into()))
        });
        assert!(r.is_err());
        let v = s.read(|tx| tx.setting("a")).unwrap();
        assert_eq!(v, None);
    }
}
