//! The shop's devices as the use cases see them: the print queue (jobs in, and the print
//! worker's three steps: next job, printed, failed), and the devices' recorded states.
//! The station drives the printer; what it reads and writes of the shop goes through here.

use std::borrow::BorrowMut;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{App, Result};
use crate::store::{DeviceStatus, PrintJob, Store};

/// The device name the printer's state is recorded under.
pub const PRINTER: &str = "printer";

/// The print queue: over the shop's connection (`App::print_queue`) or a connection of its
/// own for the print worker's thread (`PrintQueue::open`).
pub struct PrintQueue<S: BorrowMut<Store> = Store> {
    store: S,
}

impl PrintQueue<Store> {
    /// A connection of its own, for a thread.
    pub fn open(data_dir: &Path, tz: Tz) -> std::result::Result<PrintQueue<Store>, crate::store::StoreError> {
        Ok(PrintQueue { store: Store::open_in(data_dir, tz)? })
    }
}

impl<S: BorrowMut<Store>> PrintQueue<S> {
    /// The oldest job still to print (it may have to wait for its retry time).
    pub fn next_job(&mut self, now: DateTime<Utc>) -> Result<Option<PrintJob>> {
        Ok(self.store.borrow_mut().write(|tx| tx.next_print_job(now))?)
    }

    /// The printer took all of the job; its state after (ready, or paper low).
    pub fn printed(&mut self, id: i64, ready: bool, detail: &str, now: DateTime<Utc>) -> Result<()> {
        Ok(self.store.borrow_mut().write(|tx| {
            tx.mark_printed(id, now)?;
            tx.set_device_status(PRINTER, ready, detail, now)
        })?)
    }

    /// The printer failed: the job stays, to be tried again at `retry`.
    pub fn failed(&mut self, id: i64, error: &str, retry: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        Ok(self.store.borrow_mut().write(|tx| {
            tx.mark_print_failed(id, error, retry, now)?;
            tx.set_device_status(PRINTER, false, error, now)
        })?)
    }
}

/// What the staff's devices page shows of the shop: devices, recent print jobs, and the
/// messages a person should look at (unknown, failed since `since`).
pub struct DevicesOverview {
    pub devices: Vec<DeviceStatus>,
    pub print_jobs: Vec<PrintJob>,
    pub messages: (i64, i64),
}

impl App {
    /// The print queue over the shop's own connection.
    pub fn print_queue(&mut self) -> PrintQueue<&mut Store> {
        PrintQueue { store: &mut self.store }
    }

    /// Queues a print job (a ticket, a receipt, a report); returns its id.
    pub fn queue_print_job(
        &mut self,
        kind: &str,
        ref_id: Option<&str>,
        body: &[u8],
        expires: Option<DateTime<Utc>>,
    ) -> Result<i64> {
        let now = self.now();
        Ok(self.store.write(|tx| tx.insert_print_job(kind, ref_id, body, expires, now))?)
    }

    /// Print jobs still to print, and the `recent` last printed.
    pub fn print_jobs(&mut self, recent: u32) -> Result<Vec<PrintJob>> {
        Ok(self.store.read(|tx| tx.print_jobs(recent))?)
    }

    pub fn device_statuses(&mut self) -> Result<Vec<DeviceStatus>> {
        Ok(self.store.read(|tx| tx.device_statuses())?)
    }

    /// Records a device's state (the kiosk's reader, buzzer, printer checks).
    pub fn record_device_status(&mut self, device: &str, ok: bool, detail: &str) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| tx.set_device_status(device, ok, detail, now))?)
    }

    /// The staff's devices page, read in one transaction.
    pub fn devices_overview(&mut self, since: DateTime<Utc>) -> Result<DevicesOverview> {
        Ok(self.store.read(|tx| {
            Ok::<_, crate::store::StoreError>(DevicesOverview {
                devices: tx.device_statuses()?,
                print_jobs: tx.print_jobs(0)?,
                messages: tx.message_problems(since)?,
            })
        })?)
    }

    /// Whether anyone committed since the last look (`PRAGMA data_version`).
    pub fn data_version(&mut self) -> Result<i64> {
        Ok(self.store.data_version()?)
    }

    /// The database file (benchmarks read it with a connection of their own).
    pub fn database_path(&self) -> &Path {
        self.store.path()
    }

    /// Folds the write-ahead log into the database file.
    pub fn checkpoint(&mut self) -> Result<()> {
        Ok(self.store.checkpoint()?)
    }

    /// `PRAGMA integrity_check`'s answer ("ok" when whole).
    pub fn integrity_check(&mut self) -> Result<String> {
        Ok(self.store.integrity_check()?)
    }
}
