//! What the shop prints: documents built from `app`'s outcomes, queued in the store, and a
//! worker that sends them to the printer. Queueing never waits for the printer: a
//! check-in's ticket is one small insert; a printer that is off or out of paper leaves the
//! job pending, and the worker tries again with growing pauses (up to a minute), reporting
//! the printer's state to `device_status` for the staff screen.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::Result;
use crate::app::App;
use crate::app::checkin::CheckinOutcome;
use crate::app::checkout::Receipt;
use crate::app::devices::PrintQueue;
use crate::app::report::{Cell, Report};
use crate::clock::Clock;
use crate::config::Config;
use crate::devices::paper::{self, Paper, ReceiptDoc, ReportDoc, TicketDoc};
use crate::devices::printer::{PrinterPort, PrinterState};
use crate::domain::money::show_yuan;
use crate::domain::time::{local_dt, local_hm};
use crate::store::StoreError;

/// The `device_status` name of the receipt printer.
pub use crate::app::devices::PRINTER;

/// The payload of a ticket's QR code: the cloud's queue page when sync is on, otherwise a
/// code the kiosk's own reader understands.
pub fn ticket_qr(config: &Config, entry_id: &str) -> String {
    if config.cloud.enabled {
        format!("{}/q/{}/{entry_id}", config.cloud.base_url.trim_end_matches('/'), config.cloud.store_id)
    } else {
        format!("SALONBOX:Q:{entry_id}")
    }
}

pub fn ticket_doc(config: &Config, o: &CheckinOutcome, now: DateTime<Utc>) -> TicketDoc {
    let tz = config.shop.time_zone;
    let ahead = match o.ahead {
        0 => "马上为您服务 / you are next".to_string(),
        n => format!("前面还有 {n} 位 / {n} ahead of you"),
    };
    let estimate = o.estimated_start_at.map(|t| {
        let hm = local_hm(t, tz);
        match o.wait_minutes {
            Some(m) if m > 0 => format!("约 {hm}（{m} 分钟）"),
            _ => format!("约 {hm}"),
        }
    });
    TicketDoc {
        shop: config.shop.name.clone(),
        ticket: o.entry.ticket.clone(),
        ahead,
        service: o.entry.service_name.clone(),
        staff: o.entry.staff_name.clone(),
        estimate,
        qr: ticket_qr(config, &o.entry.id),
        qr_online: config.cloud.enabled,
        printed_at: local_dt(now, tz),
    }
}

pub fn receipt_doc(config: &Config, r: &Receipt) -> ReceiptDoc {
    let customer = match (&r.customer, &r.phone_masked, &r.member_code) {
        (Some(name), phone, code) => {
            let mut s = name.clone();
            if let Some(p) = phone {
                s.push(' ');
                s.push_str(p);
            }
            if let Some(c) = code {
                s.push_str(&format!(" ({c})"));
            }
            Some(s)
        }
        _ => None,
    };
    let lines = r
        .lines
        .iter()
        .map(|l| {
            let mut details = Vec::new();
            if !l.staff.is_empty() {
                details.push(format!("美容师 {}", l.staff.join("、")));
            }
            if let Some(left) = l.sessions_left {
                details.push(format!("疗程剩余 {left} 次 / {left} sessions left"));
            }
            (l.name.clone(), format!("{} × {}", l.quantity, show_yuan(l.unit_price)), show_yuan(l.list), details)
        })
        .collect();
    let s = r.summary();
    let given = |s: &str| (!s.is_empty()).then(|| s.to_string());
    ReceiptDoc {
        shop: config.shop.name.clone(),
        title: "消费小票 Receipt".into(),
        address: given(&config.shop.address),
        phone: given(&config.shop.phone),
        cashier: r.cashier.clone(),
        number: r.visit_id.chars().rev().take(8).collect::<String>().chars().rev().collect(),
        at: local_dt(r.at, config.shop.time_zone),
        customer,
        lines,
        totals: s.totals,
        tenders: s.payments,
        balances: s.balances,
        footer: "谢谢光临，欢迎再来 / Thank you".into(),
    }
}

pub fn report_doc(config: &Config, r: &Report, now: DateTime<Utc>) -> ReportDoc {
    let cell = |c: &Cell| match c {
        Cell::Text(t) => t.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Money(d) => show_yuan(*d),
    };
    let sections = r
        .sections()
        .into_iter()
        .map(|s| {
            let rows = s
                .rows
                .iter()
                .map(|row| {
                    let label = row.first().map(&cell).unwrap_or_default();
                    let value = row.iter().skip(1).map(&cell).collect::<Vec<_>>().join("  ");
                    (label, value)
                })
                .collect();
            (s.title.to_string(), rows)
        })
        .collect();
    let period = if r.from == r.to { r.from.to_string() } else { format!("{} – {}", r.from, r.to) };
    ReportDoc {
        shop: config.shop.name.clone(),
        title: r.period.label().to_string(),
        period,
        sections,
        printed_at: local_dt(now, config.shop.time_zone),
    }
}

fn queue(app: &mut App, kind: &str, ref_id: Option<&str>, body: &[u8], expires: Option<DateTime<Utc>>) -> Result<i64> {
    let id = app.queue_print_job(kind, ref_id, body, expires)?;
    tracing::info!(job = id, kind, "print job queued");
    Ok(id)
}

fn paper_of(app: &App) -> Paper {
    app.config.hardware.paper
}

/// Queues a check-in's ticket; it expires unprinted after the configured time.
pub fn queue_ticket(app: &mut App, o: &CheckinOutcome) -> Result<i64> {
    let now = app.now();
    let bytes = paper::ticket(paper_of(app), &ticket_doc(&app.config, o, now))?;
    let expires = now + app.config.hardware.ticket_expiry;
    queue(app, "ticket", Some(&o.entry.id), &bytes, Some(expires))
}

/// Queues the service slip of a customer just called (allergies and contraindications on it).
pub fn queue_slip(
    app: &mut App,
    e: &crate::domain::model::QueueEntry,
    c: &crate::domain::model::Customer,
) -> Result<i64> {
    let warnings = [("过敏 Allergies", &c.allergies), ("禁忌 Contraindications", &c.contraindications)]
        .into_iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(k, t)| format!("{k}: {}", t.trim()))
        .collect();
    let doc = paper::SlipDoc {
        ticket: e.ticket.clone(),
        customer: crate::domain::customer::greeting_name(&c.name, c.gender),
        service: e.service_name.clone(),
        staff: e.staff_name.clone(),
        warnings,
        printed_at: local_dt(app.now(), app.tz()),
    };
    let bytes = paper::slip(paper_of(app), &doc)?;
    queue(app, "slip", Some(&e.id), &bytes, None)
}

pub fn queue_receipt(app: &mut App, r: &Receipt) -> Result<i64> {
    let bytes = paper::receipt(paper_of(app), &receipt_doc(&app.config, r))?;
    queue(app, "receipt", Some(&r.visit_id), &bytes, None)
}

/// A top-up's receipt: what was paid in, the bonus and the rule that gave it, how it was
/// paid, and the card's balance after.
pub fn topup_doc(
    config: &Config,
    customer: &crate::domain::model::Customer,
    t: &crate::app::checkout::Topup,
    tenders: &[(crate::domain::checkout::Tender, rust_decimal::Decimal)],
    at: DateTime<Utc>,
) -> ReceiptDoc {
    let mut totals = vec![("充值 Top-up".to_string(), show_yuan(t.principal))];
    if !t.bonus.is_zero() {
        totals.push(("赠送 Bonus".to_string(), show_yuan(t.bonus)));
    }
    ReceiptDoc {
        title: "充值小票 Top-up receipt".into(),
        lines: vec![(
            "储值充值 Stored-value top-up".to_string(),
            String::new(),
            show_yuan(t.principal),
            t.bonus_rule.iter().cloned().collect(),
        )],
        totals,
        tenders: tenders.iter().map(|(m, a)| (crate::app::report::method_label(m.as_str()), show_yuan(*a))).collect(),
        balances: vec![
            ("储值本金 Principal".to_string(), show_yuan(t.balances.stored_value_principal)),
            ("赠送余额 Bonus".to_string(), show_yuan(t.balances.stored_value_bonus)),
        ],
        footer: "本金可退，赠送金额不退 / the principal can be refunded, the bonus cannot".into(),
        ..sale_doc(config, customer, &t.visit_id, at)
    }
}

/// What every receipt of a sale to a member starts with: the shop, the number, the time and
/// the customer (her phone masked).
fn sale_doc(
    config: &Config,
    customer: &crate::domain::model::Customer,
    visit_id: &str,
    at: DateTime<Utc>,
) -> ReceiptDoc {
    let given = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let mut who = crate::domain::customer::greeting_name(&customer.name, customer.gender);
    if let Some(p) = &customer.phone {
        who.push(' ');
        who.push_str(&p.masked());
    }
    who.push_str(&format!(" ({})", customer.member_code));
    ReceiptDoc {
        shop: config.shop.name.clone(),
        title: String::new(),
        address: given(&config.shop.address),
        phone: given(&config.shop.phone),
        cashier: None,
        number: visit_id.chars().rev().take(8).collect::<String>().chars().rev().collect(),
        at: local_dt(at, config.shop.time_zone),
        customer: Some(who),
        lines: Vec::new(),
        totals: Vec::new(),
        tenders: Vec::new(),
        balances: Vec::new(),
        footer: String::new(),
    }
}

/// A package sale's receipt: the package at its price, what it holds, until when.
pub fn package_doc(
    config: &Config,
    customer: &crate::domain::model::Customer,
    p: &crate::app::packages::PackageSale,
    tenders: &[(crate::domain::checkout::Tender, rust_decimal::Decimal)],
    at: DateTime<Utc>,
) -> ReceiptDoc {
    let until = p.valid_until.map_or_else(
        || "长期 no end".to_string(),
        |u| u.with_timezone(&config.shop.time_zone).date_naive().to_string(),
    );
    ReceiptDoc {
        title: "套餐小票 Package receipt".into(),
        lines: vec![(
            format!("套餐 {}", p.name),
            String::new(),
            show_yuan(p.price),
            p.items.iter().map(|i| format!("{} ×{}", i.service_name, i.sessions_total)).collect(),
        )],
        totals: vec![("合计 Total".to_string(), show_yuan(p.price))],
        tenders: tenders.iter().map(|(m, a)| (crate::app::report::method_label(m.as_str()), show_yuan(*a))).collect(),
        balances: vec![("有效期至 Valid until".to_string(), until)],
        footer: "套餐内项目在之后到店时逐次使用 / the items are used at later visits, one by one".into(),
        ..sale_doc(config, customer, &p.visit_id, at)
    }
}

/// Queues a package sale's receipt (`package_doc`).
pub fn queue_package_receipt(
    app: &mut App,
    customer: &crate::domain::model::Customer,
    p: &crate::app::packages::PackageSale,
    tenders: &[(crate::domain::checkout::Tender, rust_decimal::Decimal)],
) -> Result<i64> {
    let now = app.now();
    let bytes = paper::receipt(paper_of(app), &package_doc(&app.config, customer, p, tenders, now))?;
    queue(app, "receipt", Some(&p.visit_id), &bytes, None)
}

/// Queues a top-up's receipt (`topup_doc`).
pub fn queue_topup_receipt(
    app: &mut App,
    customer: &crate::domain::model::Customer,
    t: &crate::app::checkout::Topup,
    tenders: &[(crate::domain::checkout::Tender, rust_decimal::Decimal)],
) -> Result<i64> {
    let now = app.now();
    let bytes = paper::receipt(paper_of(app), &topup_doc(&app.config, customer, t, tenders, now))?;
    queue(app, "receipt", Some(&t.visit_id), &bytes, None)
}

pub fn queue_report(app: &mut App, r: &Report) -> Result<i64> {
    let bytes = paper::report(paper_of(app), &report_doc(&app.config, r, app.now()))?;
    queue(app, "report", None, &bytes, None)
}

pub fn queue_test_page(app: &mut App) -> Result<i64> {
    let now = app.now();
    let bytes = paper::test_page(
        paper_of(app),
        &app.config.shop.name,
        &now.with_timezone(&app.tz()).format("%Y-%m-%d %H:%M:%S").to_string(),
    )?;
    queue(app, "test", None, &bytes, None)
}

/// What one pass over the queue did.
#[derive(Debug, PartialEq, Eq)]
pub enum Drained {
    /// Printed this many; nothing is left.
    Empty { printed: usize },
    /// Printed this many; the next job waits for its retry time.
    Waiting { printed: usize, until: DateTime<Utc> },
    /// Printed this many, then the printer failed (the job stays pending).
    Failed { printed: usize, error: String },
}

/// The pause before the next try after `attempts` failures: 2, 4, 8 … up to 60 seconds.
pub fn retry_after(attempts: i64) -> Duration {
    let secs = 2i64.saturating_pow(u32::try_from(attempts.clamp(1, 6)).unwrap_or(6));
    Duration::seconds(secs.min(60))
}

/// Prints pending jobs in order until the queue is empty, a job must wait, or the printer
/// fails. A job is marked printed only after the printer took all of it.
pub fn drain<S: std::borrow::BorrowMut<crate::store::Store>>(
    queue: &mut PrintQueue<S>,
    printer: &mut dyn PrinterPort,
    now: DateTime<Utc>,
) -> Result<Drained> {
    let mut printed = 0;
    loop {
        let Some(job) = queue.next_job(now)? else {
            return Ok(Drained::Empty { printed });
        };
        if job.next_try_at > now {
            return Ok(Drained::Waiting { printed, until: job.next_try_at });
        }
        match printer.print(&job.body) {
            Ok(state) => {
                let detail = match state {
                    PrinterState::Ready => "正常 / ready",
                    PrinterState::PaperLow => "纸将用完 / paper low",
                };
                queue.printed(job.id, state == PrinterState::Ready, detail, now)?;
                tracing::info!(job = job.id, kind = %job.kind, "printed");
                printed += 1;
            }
            Err(e) => {
                let error = e.to_string();
                let retry = now + retry_after(job.attempts + 1);
                queue.failed(job.id, &error, retry, now)?;
                tracing::warn!(job = job.id, error = %error, "print failed; will retry");
                return Ok(Drained::Failed { printed, error });
            }
        }
    }
}

/// [`drain`] at the app's clock.
pub fn print_pending(app: &mut App, printer: &mut dyn PrinterPort) -> Result<Drained> {
    let now = app.now();
    drain(&mut app.print_queue(), printer, now)
}

/// The print worker: a thread with its own database connection that drains the queue
/// whenever it is woken (a job was queued) and at each job's retry time.
pub struct PrintWorker {
    wake: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl PrintWorker {
    pub fn spawn(
        data_dir: PathBuf,
        tz: Tz,
        mut printer: Box<dyn PrinterPort>,
        clock: Arc<dyn Clock>,
    ) -> std::result::Result<PrintWorker, StoreError> {
        let mut queue = PrintQueue::open(&data_dir, tz)?;
        let (wake, woken) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("print-worker".into())
            .spawn(move || {
                loop {
                    let now = clock.now();
                    let pause = match drain(&mut queue, printer.as_mut(), now) {
                        Ok(Drained::Empty { .. }) => StdDuration::from_secs(30),
                        Ok(Drained::Waiting { until, .. }) => (until - now).to_std().unwrap_or_default(),
                        Ok(Drained::Failed { .. }) => retry_after(1).to_std().unwrap_or_default(),
                        Err(e) => {
                            tracing::error!(error = %e, "print queue unavailable");
                            StdDuration::from_secs(5)
                        }
                    };
                    match woken.recv_timeout(pause.max(StdDuration::from_millis(50))) {
                        Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .map_err(|source| StoreError::Io { path: data_dir.clone(), source })?;
        Ok(PrintWorker { wake: Some(wake), thread: Some(thread) })
    }

    /// Tells the worker a job is waiting.
    pub fn wake(&self) {
        if let Some(w) = &self.wake {
            let _ = w.send(());
        }
    }
}

impl Drop for PrintWorker {
    fn drop(&mut self) {
        self.wake.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
