//! The print queue and the devices' last known state.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Result, StoreError, Tx, from_ms, ms};

/// A queued print job.
#[derive(Debug, Clone, Serialize)]
pub struct PrintJob {
    pub id: i64,
    pub kind: String,
    pub ref_id: Option<String>,
    #[serde(skip)]
    pub body: Vec<u8>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub next_try_at: DateTime<Utc>,
    pub printed_at: Option<DateTime<Utc>>,
}

/// One device's last report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceStatus {
    pub device: String,
    pub ok: bool,
    pub detail: String,
    pub since: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const JOB: &str =
    "SELECT id, kind, ref_id, body, status, attempts, last_error, created_at, expires_at, next_try_at, printed_at
    FROM print_jobs";

fn row_to_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<PrintJob> {
    Ok(PrintJob {
        id: r.get(0)?,
        kind: r.get(1)?,
        ref_id: r.get(2)?,
        body: r.get(3)?,
        status: r.get(4)?,
        attempts: r.get(5)?,
        last_error: r.get(6)?,
        created_at: from_ms(r.get(7)?),
        expires_at: r.get::<_, Option<i64>>(8)?.map(from_ms),
        next_try_at: from_ms(r.get(9)?),
        printed_at: r.get::<_, Option<i64>>(10)?.map(from_ms),
    })
}

impl Tx<'_> {
    /// Queues a job; returns its id.
    pub fn insert_print_job(
        &self,
        kind: &str,
        ref_id: Option<&str>,
        body: &[u8],
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.exec(
            "INSERT INTO print_jobs (kind, ref_id, body, status, created_at, expires_at, next_try_at, updated_at)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?4, ?4)",
            params![kind, ref_id, body, ms(now), expires_at.map(ms)],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// The oldest pending job, after dropping pending jobs that expired by `now`.
    pub fn next_print_job(&self, now: DateTime<Utc>) -> Result<Option<PrintJob>> {
        let expired = self.exec(
            "UPDATE print_jobs SET status = 'expired', updated_at = ?1
             WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?1",
            [ms(now)],
        )?;
        if expired > 0 {
            tracing::warn!(jobs = expired, "print jobs expired unprinted");
        }
        Ok(self.row(&format!("{JOB} WHERE status = 'pending' ORDER BY id LIMIT 1"), [], row_to_job).optional()?)
    }

    pub fn print_job(&self, id: i64) -> Result<PrintJob> {
        self.row(&format!("{JOB} WHERE id = ?1"), [id], row_to_job).optional()?.ok_or_else(|| StoreError::NotFound {
            what: "打印任务",
            what_en: "print job",
            key: id.to_string(),
        })
    }

    pub fn mark_printed(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE print_jobs SET status = 'printed', printed_at = ?2, attempts = attempts + 1, last_error = NULL,
                updated_at = ?2 WHERE id = ?1",
            params![id, ms(now)],
        )?;
        Ok(())
    }

    /// Records a failed attempt; the job is tried again from `retry_at`.
    pub fn mark_print_failed(&self, id: i64, error: &str, retry_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE print_jobs SET attempts = attempts + 1, last_error = ?2, next_try_at = ?3, updated_at = ?4
             WHERE id = ?1",
            params![id, error, ms(retry_at), ms(now)],
        )?;
        Ok(())
    }

    /// Jobs not yet printed (pending), oldest first, and the last `recent` others.
    pub fn print_jobs(&self, recent: u32) -> Result<Vec<PrintJob>> {
        let mut st = self.conn().prepare_cached(&format!(
            "{JOB} WHERE status = 'pending'
             UNION ALL SELECT * FROM ({JOB} WHERE status <> 'pending' ORDER BY id DESC LIMIT ?1)
             ORDER BY id"
        ))?;
        let rows = st.query_map([recent], row_to_job)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Purges printed, expired and cancelled jobs older than `keep`.
    pub fn purge_print_jobs(&self, keep: Duration, now: DateTime<Utc>) -> Result<usize> {
        Ok(self.exec("DELETE FROM print_jobs WHERE status <> 'pending' AND updated_at < ?1", [ms(now - keep)])?)
    }

    /// Records a device's state; `since` moves only when the state changes.
    pub fn set_device_status(&self, device: &str, ok: bool, detail: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO device_status (device, ok, detail, since, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (device) DO UPDATE SET
                since = CASE WHEN ok = excluded.ok AND detail = excluded.detail THEN since ELSE excluded.since END,
                ok = excluded.ok, detail = excluded.detail, updated_at = excluded.updated_at",
            params![device, ok, detail, ms(now)],
        )?;
        Ok(())
    }

    pub fn device_statuses(&self) -> Result<Vec<DeviceStatus>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT device, ok, detail, since, updated_at FROM device_status ORDER BY device")?;
        let rows = st
            .query_map([], |r| {
                Ok(DeviceStatus {
                    device: r.get(0)?,
                    ok: r.get(1)?,
                    detail: r.get(2)?,
                    since: from_ms(r.get(3)?),
                    updated_at: from_ms(r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
