//! Online backup with verification.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, backup::Backup};
use serde::Serialize;

use super::{Result, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub schema_version: i64,
    pub customers: i64,
    pub integrity: String,
}

impl Store {
    /// Copies the live database into `dir` with SQLite's online backup (other processes
    /// may keep writing), then opens the copy read-only and verifies it: integrity check,
    /// schema version and customer count equal to the source's. The copy is written under
    /// a temporary name and renamed only once verified.
    pub fn backup_to(&self, dir: &Path, now: DateTime<Utc>) -> Result<BackupReport> {
        self.backup_as(dir, &format!("salonbox-{}.sqlite3", file_stamp(now, self.tz)))
    }

    /// [`Store::backup_to`] under a file name of the caller's.
    pub fn backup_as(&self, dir: &Path, name: &str) -> Result<BackupReport> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
        let final_path = dir.join(name);
        let tmp = dir.join(format!(".{name}.partial"));
        let _ = std::fs::remove_file(&tmp);
        // owner-only from the start, like the database it copies
        super::owner_only(&tmp)?;
        let mut dst = Connection::open(&tmp).map_err(|source| StoreError::Open { path: tmp.clone(), source })?;
        let (src_version, src_customers) = {
            let b = Backup::new(&self.conn, &mut dst)?;
            b.run_to_completion(256, Duration::from_millis(5), None)?;
            // Read the source right after the copy: another process may only have added rows.
            (self.schema_version()?, self.conn.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get::<_, i64>(0))?)
        };
        // A backup is one self-contained file: no -wal/-shm beside it.
        let mode: String = dst.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        if mode != "delete" {
            return Err(StoreError::BackupVerify(format!("journal_mode {mode}")));
        }
        drop(dst);
        let report = verify(&tmp, src_version, src_customers);
        let report = match report {
            Ok(r) => r,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        std::fs::rename(&tmp, &final_path).map_err(|source| StoreError::Io { path: final_path.clone(), source })?;
        let bytes = std::fs::metadata(&final_path).map(|m| m.len()).unwrap_or(0);
        Ok(BackupReport { path: final_path, bytes, ..report })
    }
}

/// `YYYYmmdd-HHMMSS` in shop time, for file names.
pub fn file_stamp(now: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    now.with_timezone(&tz).format("%Y%m%d-%H%M%S").to_string()
}

/// Every `*.sqlite3` file in `dir` (nightly, by hand, `before-restore-…`), sorted by name,
/// with the time its name ends in (`…-<file_stamp>.sqlite3`; `None` when it does not).
pub fn database_files_in(dir: &Path, tz: chrono_tz::Tz) -> std::io::Result<Vec<(PathBuf, Option<DateTime<Utc>>)>> {
    let mut found: Vec<(PathBuf, Option<DateTime<Utc>>)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let stem = p.file_name()?.to_str()?.strip_suffix(".sqlite3")?;
            let at = stem
                .get(stem.len().saturating_sub(15)..)
                .and_then(|stamp| chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").ok())
                .and_then(|t| t.and_local_timezone(tz).earliest())
                .map(|t| t.with_timezone(&Utc));
            Some((p, at))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The nightly and by-hand backups in `dir` (`salonbox-<stamp>.sqlite3`), oldest first.
/// `before-restore-…` copies are not among them: rotation never removes those.
pub fn backups_in(dir: &Path, tz: chrono_tz::Tz) -> std::io::Result<Vec<(PathBuf, Option<DateTime<Utc>>)>> {
    let mut found = database_files_in(dir, tz)?;
    found.retain(|(p, _)| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("salonbox-")));
    Ok(found)
}

/// What a backup file holds, read before a restore.
#[derive(Debug, Clone, Serialize)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub schema_version: i64,
    pub customers: i64,
    /// The device key's check value the shop recorded (see [`KEY_CHECK_SETTING`]); `None`
    /// in a backup made before it was recorded.
    #[serde(skip)]
    pub key_check: Option<String>,
}

/// The `settings` key holding a keyed hash of a fixed text under the device key: a backup
/// tells which key its identity-card hashes were made with, without holding the key.
pub const KEY_CHECK_SETTING: &str = "device_key.check";

/// Opens `path` read-only and checks that it is a whole salonbox database this program
/// can use: a SQLite file, `integrity_check` ok, salonbox's tables, a schema no newer than
/// this program's. Nothing is written.
pub fn inspect_backup(path: &Path) -> Result<BackupInfo> {
    let not_usable = |zh: String, en: String| StoreError::NotABackup { path: path.to_path_buf(), zh, en };
    if !path.is_file() {
        return Err(not_usable("文件不存在".into(), "no such file".into()));
    }
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
    let integrity: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| not_usable(format!("不是 SQLite 数据库（{e}）"), format!("not a SQLite database ({e})")))?;
    if integrity != "ok" {
        return Err(not_usable(format!("已损坏（{integrity}）"), format!("damaged (integrity_check: {integrity})")));
    }
    let tables: i64 = c.query_row(
        "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('schema_migrations', 'customers', 'settings')",
        [],
        |r| r.get(0),
    )?;
    if tables != 3 {
        return Err(not_usable("不是 salonbox 的数据库".into(), "not a salonbox database".into()));
    }
    let version: i64 = c.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    let known = Store::known_schema_version();
    if version > known {
        return Err(not_usable(
            format!("数据库版本 {version} 比本程序 ({known}) 新，请先升级 salonbox"),
            format!("schema {version} is newer than this program knows ({known}): upgrade salonbox first"),
        ));
    }
    let applied: Vec<(i64, String)> = c
        .prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (version, sum) in applied {
        let built_in = super::MIGRATIONS.iter().find(|m| m.version == version);
        if built_in.is_none_or(|m| super::checksum(m.sql) != sum) {
            return Err(not_usable(
                format!("迁移 {version} 与本程序的不一致"),
                format!("migration {version} differs from this program's"),
            ));
        }
    }
    let customers: i64 = c.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))?;
    let key_check: Option<String> =
        c.query_row("SELECT value FROM settings WHERE key = ?1", [KEY_CHECK_SETTING], |r| r.get(0)).optional()?;
    Ok(BackupInfo { path: path.to_path_buf(), schema_version: version, customers, key_check })
}

impl Store {
    /// Makes `work` (a path that must not exist yet) a copy of the backup at `path`,
    /// migrated to this program's schema and verified: a restore's candidate, ready before
    /// the live database is touched. Returns the customers it holds.
    pub fn migrated_copy(path: &Path, work: &Path, tz: chrono_tz::Tz) -> Result<i64> {
        if work.exists() {
            return Err(StoreError::BackupVerify(format!("{} exists", work.display())));
        }
        {
            let src = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
            let mut dst =
                Connection::open(work).map_err(|source| StoreError::Open { path: work.to_path_buf(), source })?;
            copy_whole(&Backup::new(&src, &mut dst)?)?;
        }
        // Dropped at the end of the block: the last connection folds its WAL back in.
        let store = Store::open(work, tz)?;
        let integrity = store.integrity_check()?;
        if integrity != "ok" {
            return Err(StoreError::BackupVerify(format!("integrity_check: {integrity}")));
        }
        Ok(store.conn.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))?)
    }

    /// Replaces everything in this database with the content of `path` (a
    /// [`Store::migrated_copy`]) through SQLite's backup API in one step: other connections
    /// see the old content or the new, never a mix.
    pub fn replace_with(&mut self, path: &Path) -> Result<()> {
        let src = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        copy_whole(&Backup::new(&src, &mut self.conn)?)?;
        let integrity = self.quick_check()?;
        if integrity != "ok" {
            return Err(StoreError::BackupVerify(format!("quick_check: {integrity}")));
        }
        Ok(())
    }
}

/// Every page in one step (`-1`), so under one write lock on the destination: other
/// connections see the old content or the new. A busy destination (another process
/// writing) is waited for, up to 30 s.
fn copy_whole(b: &Backup<'_, '_>) -> Result<()> {
    use rusqlite::backup::StepResult;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ if std::time::Instant::now() >= deadline => {
                return Err(StoreError::BackupVerify("数据库一直被占用 / the database stayed busy".into()));
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn verify(path: &Path, src_version: i64, src_customers: i64) -> Result<BackupReport> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
    let integrity: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        return Err(StoreError::BackupVerify(format!("integrity_check: {integrity}")));
    }
    let version: i64 = c.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    if version != src_version {
        return Err(StoreError::BackupVerify(format!("schema {version} ≠ {src_version}")));
    }
    let customers: i64 = c.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))?;
    // Another process may add customers between the copy and the count: never fewer.
    if customers > src_customers {
        return Err(StoreError::BackupVerify(format!("customers {customers} > {src_customers}")));
    }
    Ok(BackupReport { path: path.to_path_buf(), bytes: 0, schema_version: version, customers, integrity })
}
