//! Restoring a shop from one of its backups: the backup is checked first, the database it
//! replaces is kept, and the device key is checked against the one the backup was made with.
//!
//! Architecture Invariant: a restore never deletes the database it replaces. A healthy one
//! is kept as a verified backup; one that cannot be opened is moved aside with its WAL.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AppError, Result, read_device_key};
use crate::config::Config;
use crate::domain::idcard::keyed_hash;
use crate::store::{DB_FILE, KEY_CHECK_SETTING, Store, database_files_in, file_stamp, inspect_backup};

/// The file the running services lock in the data directory.
pub const SERVICE_LOCK_FILE: &str = "service.lock";

/// The lock the kiosk and the daemon hold, shared, for as long as they run, and a restore
/// takes exclusively: a restore never swaps the database under a running service, and a
/// service that starts during a restore waits until it is done. The kernel drops it with
/// the process, however that ends.
#[derive(Debug)]
pub struct ServiceLock {
    _file: std::fs::File,
}

impl ServiceLock {
    fn open(data_dir: &Path) -> Result<std::fs::File> {
        let path = data_dir.join(SERVICE_LOCK_FILE);
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| AppError::Io { path, source })
    }

    /// For a running service (blocks while a restore runs).
    pub fn shared(data_dir: &Path) -> Result<ServiceLock> {
        let f = Self::open(data_dir)?;
        f.lock_shared().map_err(|source| AppError::Io { path: data_dir.join(SERVICE_LOCK_FILE), source })?;
        Ok(ServiceLock { _file: f })
    }

    /// For a restore: refused while a service runs.
    pub fn exclusive(data_dir: &Path) -> Result<ServiceLock> {
        let f = Self::open(data_dir)?;
        match f.try_lock() {
            Ok(()) => Ok(ServiceLock { _file: f }),
            Err(std::fs::TryLockError::WouldBlock) => Err(AppError::ServicesRunning(data_dir.to_path_buf())),
            Err(std::fs::TryLockError::Error(source)) => {
                Err(AppError::Io { path: data_dir.join(SERVICE_LOCK_FILE), source })
            }
        }
    }
}

/// The fixed text whose keyed hash identifies a device key.
const KEY_CHECK_TEXT: &[u8] = b"salonbox device key check";

/// The check value of a device key, as recorded in `settings` (the first 16 hex digits of
/// an HMAC: it tells keys apart and says nothing about the key).
pub fn key_check(key: &[u8]) -> String {
    keyed_hash(key, KEY_CHECK_TEXT)[..16].to_string()
}

/// Records the device key's check value in a database that has none yet, before a backup
/// of it is made.
pub(super) fn record_key_check(store: &mut Store, key: &[u8]) -> Result<()> {
    let recorded = store.read(|tx| tx.setting(KEY_CHECK_SETTING).map_err(AppError::from))?;
    if recorded.is_none() {
        store.write(|tx| tx.set_setting(KEY_CHECK_SETTING, &key_check(key)).map_err(AppError::from))?;
    }
    Ok(())
}

/// Whether the backup was made with this data directory's device key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMatch {
    Same,
    /// The backup predates the recorded check value.
    Unknown,
    /// Restored anyway, as asked: identity-card check-ins of the backup's customers will
    /// not be recognised with this key.
    Different,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub from: PathBuf,
    /// The backup's schema version, and the database's after the restore (migrated).
    pub backup_schema: i64,
    pub schema_version: i64,
    pub customers: i64,
    /// Where the replaced database went.
    pub previous: PathBuf,
    /// The replaced database could not be opened or failed its check, so its files were
    /// moved aside as they were rather than backed up.
    pub previous_broken: bool,
    pub key: KeyMatch,
}

/// Replaces the shop's database in `data_dir` with the backup at `backup`.
///
/// Refused, with nothing changed: a data directory that is not initialised or in use by a
/// running kiosk or daemon, a backup that is not a whole salonbox database of a schema
/// this program knows, the live database itself, and a backup made with another device
/// key unless `ignore_key`.
pub fn restore(
    config: &Config,
    data_dir: &Path,
    backup: &Path,
    now: DateTime<Utc>,
    ignore_key: bool,
) -> Result<RestoreReport> {
    let key_bytes = read_device_key(data_dir)?;
    let _services_stopped = ServiceLock::exclusive(data_dir)?;
    let db = data_dir.join(DB_FILE);
    if same_file(backup, &db) {
        return Err(AppError::input(backup.display().to_string(), "这是正在使用的数据库 / this is the live database"));
    }
    let info = inspect_backup(backup)?;
    let key = match info.key_check {
        None => KeyMatch::Unknown,
        Some(ref check) if *check == key_check(&key_bytes) => KeyMatch::Same,
        Some(_) if ignore_key => KeyMatch::Different,
        Some(_) => {
            return Err(AppError::KeyMismatch {
                backup: backup.to_path_buf(),
                key: data_dir.join(super::DEVICE_KEY_FILE),
            });
        }
    };

    let tz = config.shop.time_zone;
    let stamp = file_stamp(now, tz);
    // The candidate: the backup copied, migrated and verified beside the live database,
    // before anything of the shop's is touched.
    let work = data_dir.join(format!(".restore-{stamp}.sqlite3"));
    let clear_work = || {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", work.display()));
        }
    };
    clear_work();
    let customers = Store::migrated_copy(backup, &work, tz);
    let result = customers.map_err(AppError::from).and_then(|customers| {
        swap_in(&db, &work, data_dir, &key_bytes, &stamp, tz)
            .map(|(store, previous, broken)| (customers, store, previous, broken))
    });
    clear_work();
    let (customers, mut store, previous, previous_broken) = result?;
    // The check value now names the key this directory holds (a backup without one, or
    // one restored with `ignore_key`).
    store.write(|tx| tx.set_setting(KEY_CHECK_SETTING, &key_check(&key_bytes)).map_err(AppError::from))?;
    tracing::info!(from = %backup.display(), previous = %previous.display(), "restored from a backup");
    Ok(RestoreReport {
        from: backup.to_path_buf(),
        backup_schema: info.schema_version,
        schema_version: store.schema_version()?,
        customers,
        previous,
        previous_broken,
        key,
    })
}

/// Keeps the live database (a verified backup, or its files moved aside when it does not
/// open) and replaces its content with the candidate's.
fn swap_in(
    db: &Path,
    work: &Path,
    data_dir: &Path,
    key: &[u8],
    stamp: &str,
    tz: chrono_tz::Tz,
) -> Result<(Store, PathBuf, bool)> {
    let healthy = Store::open(db, tz).ok().filter(|s| s.quick_check().is_ok_and(|r| r == "ok"));
    let (mut store, previous, broken) = match healthy {
        Some(mut store) => {
            let dir = super::backups_dir(data_dir);
            record_key_check(&mut store, key)?;
            let kept = store.backup_as(&dir, &unused_name(&dir, "before-restore", stamp))?;
            (store, kept.path, false)
        }
        None => {
            let aside = data_dir.join(unused_name(data_dir, "broken-before-restore", stamp));
            for suffix in ["", "-wal", "-shm"] {
                let from = PathBuf::from(format!("{}{suffix}", db.display()));
                if from.exists() {
                    let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                    std::fs::rename(&from, &to).map_err(|source| AppError::Io { path: from.clone(), source })?;
                }
            }
            tracing::warn!(aside = %aside.display(), "the database could not be opened: moved aside for the restore");
            (Store::open(db, tz)?, aside, true)
        }
    };
    store.replace_with(work)?;
    Ok((store, previous, broken))
}

/// A backup file as `salonbox restore` (without a file) lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub path: PathBuf,
    /// From the name (`salonbox-…` nightly or by hand, `before-restore-…`).
    pub at: Option<DateTime<Utc>>,
    pub bytes: u64,
    /// Customers in it, when it checks out.
    pub customers: Option<i64>,
    /// Why it would be refused, when it would be.
    pub problem: Option<String>,
}

/// Every `*.sqlite3` in `<data dir>/backups`, newest first, each checked as a restore would
/// check it (read-only: nothing is written).
pub fn list_backups(data_dir: &Path, tz: chrono_tz::Tz) -> Result<Vec<Listed>> {
    let dir = super::backups_dir(data_dir);
    let files = match database_files_in(&dir, tz) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(AppError::Io { path: dir, source }),
    };
    let mut out: Vec<Listed> = files
        .into_iter()
        .map(|(path, at)| {
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let (customers, problem) = match inspect_backup(&path) {
                Ok(info) => (Some(info.customers), None),
                // The file is named beside it: the reason alone.
                Err(crate::store::StoreError::NotABackup { zh, en, .. }) => (None, Some(format!("{zh} / {en}"))),
                Err(e) => (None, Some(e.to_string())),
            };
            Listed { path, at, bytes, customers, problem }
        })
        .collect();
    out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.path.cmp(&a.path)));
    Ok(out)
}

/// `<prefix>-<stamp>.sqlite3`, or `<prefix>-<n>-<stamp>.sqlite3` when that is taken (two
/// restores within a second): a kept database is never written over.
fn unused_name(dir: &Path, prefix: &str, stamp: &str) -> String {
    let taken = |name: &str| ["", "-wal", "-shm"].iter().any(|s| dir.join(format!("{name}{s}")).exists());
    let mut name = format!("{prefix}-{stamp}.sqlite3");
    let mut n = 2;
    while taken(&name) {
        name = format!("{prefix}-{n}-{stamp}.sqlite3");
        n += 1;
    }
    name
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
