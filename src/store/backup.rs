//! Online backup with verification.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, backup::Backup};
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
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
        let name = format!("salonbox-{}.sqlite3", now.with_timezone(&self.tz).format("%Y%m%d-%H%M%S"));
        let final_path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.partial"));
        let _ = std::fs::remove_file(&tmp);
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
