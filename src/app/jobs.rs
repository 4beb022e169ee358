//! The daemon's scheduled jobs, as library calls: each looks at the shop as of `now` and
//! queues what has become due into the notification outbox (or does its housekeeping).
//! `salonbox jobs run NAME [--at TIME] [--dry-run]` calls the same functions; a dry run
//! does everything inside a transaction that is rolled back.
//!
//! Architecture Invariant: a job only writes outbox rows (with dedupe keys that make a
//! second run for the same due time a no-op) and its own bookkeeping; sending is the
//! sender's.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{App, AppError, Result};
use crate::domain::jobs::Job;
use crate::domain::messages::Kind;
use crate::domain::time::{business_date, day_bounds, local_dt, local_hm};
use crate::store::{JobRun, NewNotification, Tx};

/// After a job's run failed: the first pause before it runs again, and the longest.
const JOB_RETRY_FIRST: Duration = Duration::seconds(30);
const JOB_RETRY_MAX: Duration = Duration::minutes(30);

/// The campaigns the birthday and win-back jobs record their customers in
/// (`salonbox campaign report 生日关怀`).
pub const BIRTHDAY_CAMPAIGN: &str = "生日关怀";
pub const WINBACK_CAMPAIGN: &str = "老客回访";

/// A message a job queued (or, in a dry run, would queue).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Queued {
    pub key: String,
    pub template: String,
    pub customer_id: Option<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub job: String,
    pub at: DateTime<Utc>,
    pub dry_run: bool,
    pub queued: Vec<Queued>,
    /// Anything else it did (a backup's file, coupons issued).
    pub note: String,
}

/// A job as `salonbox jobs list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub job: String,
    pub about: String,
    pub schedule: String,
    pub last_due: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_result: Option<String>,
    pub next_due: Option<DateTime<Utc>>,
}

/// What one look at the schedule did.
#[derive(Debug, Default)]
pub struct DueJobs {
    pub ran: Vec<(String, std::result::Result<JobReport, String>)>,
    /// The clock reads earlier than a time already seen: nothing ran (until it catches up).
    pub clock_behind: Option<DateTime<Utc>>,
}

/// The first time of `schedule` strictly after `after`, in shop time.
fn next_after(schedule: &cron::Schedule, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    schedule.after(&after.with_timezone(&tz)).next().map(|t| t.with_timezone(&Utc))
}

impl App {
    /// Every job with its schedule, last and next run.
    pub fn jobs_status(&mut self) -> Result<Vec<JobStatus>> {
        let now = self.now();
        let tz = self.tz();
        let schedules = self.config.jobs.schedules.clone();
        self.store.read(|tx| {
            Job::ALL
                .iter()
                .map(|job| {
                    let (name, about) = (job.name(), job.about());
                    let run = tx.job_run(name)?;
                    let schedule = schedules.get(job);
                    let from = run.as_ref().map_or(now, |r| r.last_due.max(now));
                    Ok(JobStatus {
                        job: name.to_string(),
                        about: about.to_string(),
                        schedule: schedule.map(|s| s.to_string()).unwrap_or_default(),
                        last_due: run.as_ref().map(|r| r.last_due),
                        last_run_at: run.as_ref().map(|r| r.ran_at),
                        last_result: run.map(|r| r.result),
                        next_due: schedule.and_then(|s| next_after(s, from, tz)),
                    })
                })
                .collect::<Result<Vec<_>>>()
        })
    }

    /// Runs every job that has fallen due since it last ran (once, however many of its times
    /// were missed while the daemon was down), acting as of now. Never acts on a time
    /// earlier than the latest already seen: after the clock is set back, nothing runs until
    /// it catches up. One job's failure is recorded and does not stop the others.
    pub fn run_due_jobs(&mut self) -> Result<DueJobs> {
        let now = self.now();
        let tz = self.tz();
        let mut out = DueJobs::default();
        // One read for the guard and every job's last run: the idle daemon does this each second.
        let (seen, runs) = self.store.read(|tx| {
            let runs = Job::ALL.iter().map(|j| tx.job_run(j.name())).collect::<std::result::Result<Vec<_>, _>>()?;
            Ok::<_, crate::store::StoreError>((tx.clock_high_water()?, runs))
        })?;
        if let Some(seen) = seen
            && now < seen
        {
            out.clock_behind = Some(seen);
            return Ok(out);
        }
        // Written at most once a minute (and whenever a job runs, below): an idle daemon
        // wakes every second and must not write the SD card every second.
        if seen.is_none_or(|s| now - s >= Duration::minutes(1)) {
            self.store.write(|tx| tx.raise_clock_high_water(now))?;
        }
        let schedules = self.config.jobs.schedules.clone();
        for (job, last) in Job::ALL.into_iter().zip(runs) {
            let name = &job.name();
            let Some(schedule) = schedules.get(&job) else { continue };
            let Some(JobRun { last_due, .. }) = last else {
                // First sight of this job: its schedule starts now, nothing is made up.
                self.store.write(|tx| tx.record_job_run(name, now, now, "已排入计划 / scheduled (not run yet)"))?;
                continue;
            };
            let mut due = None;
            let mut t = last_due;
            for _ in 0..100_000 {
                match next_after(schedule, t, tz) {
                    Some(n) if n <= now => {
                        due = Some(n);
                        t = n;
                    }
                    _ => break,
                }
            }
            let Some(due) = due else { continue };
            // A due time whose run failed is tried again, with a growing pause, until a run
            // commits (a later due time supersedes it: the job acts as of now).
            if self.job_retry.get(*name).is_some_and(|(_, at)| now < *at) {
                continue;
            }
            // the shop's name and hours as the owner last set them (app/setup.rs)
            if let Err(e) = self.refresh_profile() {
                tracing::warn!(error = %e, "shop profile not read again");
            }
            let result = self.run(job, now, false);
            let line = match &result {
                Ok(r) => format!("ok: {} queued {}", r.queued.len(), r.note).trim_end().to_string(),
                Err(e) => format!("error: {e}"),
            };
            let recorded = match &result {
                Ok(_) => {
                    self.job_retry.remove(*name);
                    due
                }
                Err(e) => {
                    let failures = self.job_retry.get(*name).map_or(0, |(n, _)| *n) + 1;
                    let pause = JOB_RETRY_FIRST * 2i32.pow(failures.min(8) - 1);
                    let retry_at = now + pause.min(JOB_RETRY_MAX);
                    tracing::warn!(job = %name, error = %e, failures, %retry_at, "job failed: it runs again");
                    self.job_retry.insert(name.to_string(), (failures, retry_at));
                    // the due time stays where it was: only the attempt is recorded
                    last_due
                }
            };
            self.store.write(|tx| {
                tx.record_job_run(name, recorded, now, &line)?;
                tx.raise_clock_high_water(now)
            })?;
            out.ran.push((name.to_string(), result.map_err(|e| e.to_string())));
        }
        Ok(out)
    }

    /// Runs one job, by name, as if the clock read `at`. A dry run changes nothing.
    pub fn run_job(&mut self, job: &str, at: DateTime<Utc>, dry_run: bool) -> Result<JobReport> {
        let Some(job) = Job::parse(job) else {
            return Err(AppError::input(
                "任务 job",
                format!("没有叫 {job} 的任务（可用：{0}）/ no job is called {job} (known: {0})", Job::names()),
            ));
        };
        self.run(job, at, dry_run)
    }

    fn run(&mut self, job: Job, at: DateTime<Utc>, dry_run: bool) -> Result<JobReport> {
        let config = self.config.clone();
        let mut report =
            JobReport { job: job.name().to_string(), at, dry_run, queued: Vec::new(), note: String::new() };
        if job == Job::Backup {
            if dry_run {
                report.note = "将备份到数据目录的 backups/ / would back up into backups/ of the data directory".into();
            } else {
                let b = self.backup(None, config.jobs.backup_keep)?;
                report.note = format!("{}", b.path.display());
            }
            return Ok(report);
        }
        // The day's figures come from the report, read before the job's transaction.
        let figures = if job == Job::DailySummary { Some(self.day_figures(at)?) } else { None };
        let run = |tx: &Tx<'_>| -> Result<(Vec<Queued>, String)> {
            let tz = tx.tz();
            match job {
                Job::ReminderDayBefore => {
                    let tomorrow = business_date(at, tz) + Duration::days(1);
                    reminders(tx, day_bounds(tomorrow, tz), "reminder_day_before", "day", None, at, tz)
                }
                Job::Reminder2h => {
                    // Starting within the next two hours, the second two hours away included.
                    let within =
                        crate::domain::time::Interval::new(at, at + Duration::hours(2) + Duration::milliseconds(1));
                    reminders(tx, within, "reminder_2h", "2h", Some(REMINDER_2H_NOTICE), at, tz)
                }
                Job::Birthday => birthdays(tx, &config, at, tz),
                Job::QueueNear => queue_near(tx, &config, at, tz),
                Job::Winback => winback(tx, &config, at),
                Job::Balances => balances_ending(tx, &config, at, tz),
                Job::LowStock => low_stock(tx, &config, at, tz),
                Job::Retention => retention(tx, &config, at),
                Job::Expiries => record_expiries(tx, at),
                Job::Waitlist => super::waitlist::offer_freed_slots(
                    tx,
                    Duration::minutes(config.jobs.waitlist_hold_minutes.into()),
                    at,
                ),
                Job::DailySummary => daily_summary(tx, figures.as_ref(), at),
                Job::Backup => unreachable!("the backup ran above, outside a transaction"),
            }
        };
        let (queued, note) = if dry_run { self.store.dry_run(run)? } else { self.store.write(run)? };
        report.queued = queued;
        report.note = note;
        if !dry_run {
            tracing::info!(job = job.name(), queued = report.queued.len(), note = %report.note, "job ran");
        }
        Ok(report)
    }

    /// The figures of the daily summary for the shop day of `at`.
    fn day_figures(&mut self, at: DateTime<Utc>) -> Result<DayFigures> {
        let tz = self.tz();
        let date = business_date(at, tz);
        let r = self.report(super::report::Period::Daily, date)?;
        let appointments = self.store.read(|tx| tx.appointments(day_bounds(date, tz), None, false))?.len();
        Ok(DayFigures { date, revenue: r.revenue, visits: r.visits, new_customers: r.new_customers, appointments })
    }
}

/// Queues a job's message; a new one (its dedupe key not seen before) is noted in `queued`.
pub(super) fn queue_message(
    tx: &Tx<'_>,
    queued: &mut Vec<Queued>,
    n: NewNotification,
    at: DateTime<Utc>,
    summary: String,
) -> Result<()> {
    if tx.enqueue_notification(&n, at)? {
        queued.push(Queued { key: n.dedupe_key, template: n.template.into(), customer_id: n.customer_id, summary });
    }
    Ok(())
}

/// A transactional message to a customer about something of theirs, worth sending until `until`.
pub(super) fn reminder(
    key: String,
    customer: &str,
    template: &'static str,
    params: &serde_json::Value,
    at: DateTime<Utc>,
    until: DateTime<Utc>,
) -> NewNotification {
    NewNotification {
        dedupe_key: key,
        kind: Kind::Transactional.as_str(),
        audience: "customer",
        customer_id: Some(customer.to_string()),
        recipient: None,
        template,
        params: params.to_string(),
        not_before: at,
        not_after: Some(until),
    }
}

/// What the owner's daily summary tells.
struct DayFigures {
    date: NaiveDate,
    revenue: rust_decimal::Decimal,
    visits: i64,
    new_customers: i64,
    appointments: usize,
}

/// The day's summary to the owner (or the staff group), once a day.
fn daily_summary(tx: &Tx<'_>, f: Option<&DayFigures>, at: DateTime<Utc>) -> Result<(Vec<Queued>, String)> {
    let mut queued = Vec::new();
    let Some(f) = f else { return Ok((queued, String::new())) };
    let params = serde_json::json!({
        "date": f.date.format("%m月%d日").to_string(),
        "revenue": format!("{:.2}", f.revenue.round_dp(2)),
        "visits": f.visits,
        "new_customers": f.new_customers,
        "appointments": f.appointments,
    });
    queue_message(
        tx,
        &mut queued,
        NewNotification {
            dedupe_key: format!("summary:{}", f.date),
            kind: Kind::Staff.as_str(),
            audience: "owner",
            customer_id: None,
            recipient: None,
            template: "daily_summary",
            params: params.to_string(),
            not_before: at,
            not_after: Some(at + Duration::hours(12)),
        },
        at,
        format!("{} {} 元 / {} visits", f.date, f.revenue, f.visits),
    )?;
    Ok((queued, String::new()))
}

/// Products under their low-stock line, and batches expiring soon or expired with stock on
/// hand, to the staff group once a day.
fn low_stock(tx: &Tx<'_>, config: &crate::config::Config, at: DateTime<Utc>, tz: Tz) -> Result<(Vec<Queued>, String)> {
    let date = business_date(at, tz);
    let mut queued = Vec::new();
    for (id, name, level, line) in tx.low_stock()? {
        let params = serde_json::json!({ "product": name, "level": level, "unit": "件", "threshold": line });
        queue_message(
            tx,
            &mut queued,
            NewNotification {
                dedupe_key: format!("lowstock:{id}:{date}"),
                kind: Kind::Staff.as_str(),
                audience: "staff_group",
                customer_id: None,
                recipient: None,
                template: "low_stock",
                params: params.to_string(),
                not_before: at,
                not_after: Some(at + Duration::hours(12)),
            },
            at,
            format!("{name} {level}/{line}"),
        )?;
    }
    // Batches near or past their date: expired stock must come off the shelf.
    let warn = i64::from(config.jobs.stock_expiry_days);
    for b in tx.batches_expiring(date + Duration::days(warn))? {
        let state = match crate::domain::stock::expiry(Some(b.expires_on), date, warn) {
            crate::domain::stock::Expiry::Expired => format!("已于 {} 过期，请下架并报废盘点", b.expires_on),
            crate::domain::stock::Expiry::Soon(days) => format!("{} 到期（还有 {days} 天），请先用先卖", b.expires_on),
            crate::domain::stock::Expiry::Fine => continue,
        };
        let batch = if b.batch_no.is_empty() { "—".to_string() } else { b.batch_no.clone() };
        let params = serde_json::json!({ "product": b.product, "batch": batch, "quantity": b.on_hand, "unit": "件", "state": state });
        queue_message(
            tx,
            &mut queued,
            NewNotification {
                dedupe_key: format!("stockexpiry:{}:{date}", b.batch_id),
                kind: Kind::Staff.as_str(),
                audience: "staff_group",
                customer_id: None,
                recipient: None,
                template: "stock_expiry",
                params: params.to_string(),
                not_before: at,
                not_after: Some(at + Duration::hours(12)),
            },
            at,
            format!("{} {batch} {}", b.product, b.expires_on),
        )?;
    }
    Ok((queued, String::new()))
}

/// Every expiry of points and stored-value bonus up to `at` that no row records yet is
/// written at its own time (`membership::record_expiries`), so a report by day counts it
/// on its day.
pub(crate) fn record_expiries(tx: &Tx<'_>, at: DateTime<Utc>) -> Result<(Vec<Queued>, String)> {
    let (mut points, mut bonus_fen, mut customers) = (0i64, 0i64, 0usize);
    for customer in tx.customers_with_expiring_ledgers(at)? {
        let (p, b) = super::membership::record_expiries(tx, &customer, at)?;
        if p + b > 0 {
            customers += 1;
            points += p;
            bonus_fen += b;
        }
    }
    // every expiry up to `at` is recorded now: a report need not replay those lots again
    tx.mark_expiries_recorded(at)?;
    Ok((
        Vec::new(),
        format!(
            "{customers} 位顾客：过期积分 {points}，过期赠送金额 ¥{} / {customers} customers: {points} points and ¥{} of bonus expired",
            crate::domain::money::from_fen(bonus_fen),
            crate::domain::money::from_fen(bonus_fen)
        ),
    ))
}

/// What is past its retention: printed jobs, settled messages, synced events.
fn retention(tx: &Tx<'_>, config: &crate::config::Config, at: DateTime<Utc>) -> Result<(Vec<Queued>, String)> {
    let j = &config.jobs;
    let days = |d: u32| Duration::days(d.into());
    let prints = tx.purge_print_jobs(days(j.retention_print_days), at)?;
    let messages = tx.purge_messages(at - days(j.retention_message_days))?;
    let events = tx.purge_delivered_events(at - days(j.retention_sync_days))?;
    Ok((
        Vec::new(),
        format!(
            "清除小票 {prints}、消息 {messages}、同步事件 {events} / purged {prints} print jobs, {messages} messages, {events} sync events"
        ),
    ))
}

/// An appointment booked (or moved) less than this before it starts gets no reminder two
/// hours ahead: the customer has just arranged it.
pub const REMINDER_2H_NOTICE: Duration = Duration::hours(3);

/// Reminders for booked appointments starting within `within`; with `min_notice`, not for
/// those booked or changed less than that before their start. The key carries the start
/// time, so a moved appointment gets a fresh reminder and the old one is dropped when it
/// comes up (the sender checks the appointment again).
fn reminders(
    tx: &Tx<'_>,
    within: crate::domain::time::Interval,
    template: &'static str,
    tag: &str,
    min_notice: Option<Duration>,
    at: DateTime<Utc>,
    tz: Tz,
) -> Result<(Vec<Queued>, String)> {
    let mut queued = Vec::new();
    for a in tx.appointments(within, None, false)? {
        if a.status != crate::domain::model::AppointmentStatus::Booked || a.starts_at <= at {
            continue;
        }
        if min_notice.is_some_and(|n| a.starts_at - a.updated_at < n) {
            continue;
        }
        let key = format!("reminder:{}:{}:{tag}", a.id, a.starts_at.format("%Y%m%dT%H%MZ"));
        let params = serde_json::json!({
            "appointment_id": a.id,
            "starts_at": a.starts_at.timestamp_millis(),
            "time": local_hm(a.starts_at, tz),
            "date": local_dt(a.starts_at, tz),
            "service": a.service_name,
            "staff": a.staff_name,
        });
        queue_message(
            tx,
            &mut queued,
            reminder(key, &a.customer_id, template, &params, at, a.starts_at),
            at,
            format!("{} {} {}", a.customer_name, local_dt(a.starts_at, tz), a.service_name),
        )?;
    }
    Ok((queued, String::new()))
}

/// The `MM-DD` birthdays that fall on `date`: 29 February birthdays are celebrated on
/// 28 February in a common year.
pub fn birthday_keys(date: NaiveDate) -> Vec<String> {
    let mut keys = vec![date.format("%m-%d").to_string()];
    let leap = NaiveDate::from_ymd_opt(date.year(), 2, 29).is_some();
    if !leap && date.month() == 2 && date.day() == 28 {
        keys.push("02-29".into());
    }
    keys
}

/// Birthday coupons, `lead_days` ahead of the birthday: the coupon of the configured
/// template and a wish with its code, once per customer and year. Only customers who
/// agreed to marketing get either.
fn birthdays(tx: &Tx<'_>, config: &crate::config::Config, at: DateTime<Utc>, tz: Tz) -> Result<(Vec<Queued>, String)> {
    let j = &config.jobs;
    let birthday = business_date(at, tz) + Duration::days(j.birthday_lead_days.into());
    let template = tx.coupon_template(&j.birthday_coupon).map_err(|_| {
        AppError::input(
            "jobs.birthday_coupon",
            format!(
                "没有名为「{0}」的优惠券模板，请先 `salonbox coupon template add` / no coupon template \"{0}\": add it first",
                j.birthday_coupon
            ),
        )
    })?;
    let mut queued = Vec::new();
    let mut issued = 0;
    // Recorded as a campaign, so its effect reads like any other (no hold-out: nobody is
    // left without their birthday gift).
    let campaign = super::campaigns::job_campaign(tx, BIRTHDAY_CAMPAIGN, 0, at)?;
    for (customer_id, _) in tx.birthdays_on(&birthday_keys(birthday))? {
        let c = tx.contact(&customer_id)?;
        if !c.marketing_consent || c.opted_out {
            continue;
        }
        let year = birthday.year();
        let dedupe = format!("birthday:{customer_id}:{year}");
        let coupon = match tx.issue_coupon(&template.0, &customer_id, "birthday", Some(&dedupe), at) {
            Ok(Some(coupon)) => {
                issued += 1;
                coupon
            }
            // Issued already this year (a second run), or the per-customer limit reached.
            Ok(None) | Err(crate::store::StoreError::Duplicate { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let code = coupon.code;
        tx.add_campaign_member(&campaign, &customer_id, false, Some(&coupon.id), Some(&dedupe), at)?;
        let valid_to = birthday + Duration::days(template.2.max(1) - 1);
        let params = serde_json::json!({
            "coupon": format!("{}（券码 {code}）", template.1),
            "code": code,
            "valid_to": valid_to.format("%m月%d日").to_string(),
        });
        queue_message(
            tx,
            &mut queued,
            NewNotification {
                dedupe_key: dedupe.clone(),
                kind: Kind::Marketing.as_str(),
                audience: "customer",
                customer_id: Some(customer_id.clone()),
                recipient: None,
                template: "birthday_coupon",
                params: params.to_string(),
                not_before: at,
                not_after: Some(crate::domain::time::local_to_utc(
                    birthday + Duration::days(1),
                    chrono::NaiveTime::MIN,
                    tz,
                )),
            },
            at,
            format!("{} {}", c.name, birthday.format("%m-%d")),
        )?;
    }
    Ok((queued, format!("发券 {issued} 张 / {issued} coupons issued")))
}

/// "Your turn is near" for waiting customers `queue_near_places` or fewer places, or
/// `queue_near_minutes` or less, from their turn. Once per queue entry.
fn queue_near(tx: &Tx<'_>, config: &crate::config::Config, at: DateTime<Utc>, tz: Tz) -> Result<(Vec<Queued>, String)> {
    let j = &config.jobs;
    let mut queued = Vec::new();
    for l in super::queue::lines(tx, at, business_date(at, tz))? {
        if l.entry.status != crate::domain::queue::QueueStatus::Waiting {
            continue;
        }
        let minutes = l.wait_minutes.unwrap_or(i64::MAX);
        let near = l.ahead <= j.queue_near_places as usize || minutes <= i64::from(j.queue_near_minutes);
        // Nobody ahead and no wait: they are being called now, a message would come late.
        if !near || (l.ahead == 0 && minutes <= 0) {
            continue;
        }
        let key = format!("queue:{}:near", l.entry.id);
        let params = serde_json::json!({
            "entry_id": l.entry.id,
            "ticket": l.entry.ticket,
            "ahead": l.ahead,
            "minutes": minutes.clamp(0, 999),
        });
        queue_message(
            tx,
            &mut queued,
            reminder(key, &l.entry.customer_id, "queue_near", &params, at, at + Duration::minutes(30)),
            at,
            format!("{} ahead {}", l.entry.ticket, l.ahead),
        )?;
    }
    Ok((queued, String::new()))
}

/// Win-back: customers with at least three visits whose time since the last one is more
/// than `winback_factor` × their own rhythm and at least `winback_floor_days`; with
/// marketing consent; at most once per `winback_every_days`; the most overdue first, at
/// most `winback_batch` a run. A configured coupon comes with it.
fn winback(tx: &Tx<'_>, config: &crate::config::Config, at: DateTime<Utc>) -> Result<(Vec<Queued>, String)> {
    let j = &config.jobs;
    let tz = tx.tz();
    let coupon = match &j.winback_coupon {
        Some(name) => Some(tx.coupon_template(name).map_err(|_| {
            AppError::input(
                "jobs.winback_coupon",
                format!("没有名为「{name}」的优惠券模板 / no coupon template \"{name}\""),
            )
        })?),
        None => None,
    };
    let mut queued = Vec::new();
    let today = business_date(at, tz);
    let since = today - Duration::days(j.winback_every_days.into());
    let campaign = super::campaigns::job_campaign(tx, WINBACK_CAMPAIGN, j.winback_holdout_percent, at)?;
    let mut held = 0;
    for q in tx.gone_quiet(at, 3, j.winback_factor, j.winback_floor_days.into(), j.winback_batch)? {
        let c = tx.contact(&q.customer_id)?;
        if !c.marketing_consent || c.opted_out {
            continue;
        }
        // The hold-out: the same customers always (a standing control group), so the
        // report can tell what win-back messages change.
        if crate::domain::campaign::held_out(&campaign, &q.customer_id, j.winback_holdout_percent) {
            held += usize::from(tx.add_campaign_member(&campaign, &q.customer_id, true, None, None, at)?);
            continue;
        }
        let prefix = format!("winback:{}:", q.customer_id);
        if tx.message_key_in(&format!("{prefix}{since}"), &format!("winback:{};", q.customer_id))? {
            continue;
        }
        let key = format!("{prefix}{today}");
        let mut coupon_id = None;
        let offer = match &coupon {
            Some(t) => match tx.issue_coupon(&t.0, &q.customer_id, "winback", Some(&key), at) {
                Ok(Some(issued)) => {
                    let offer = format!("送您{}（券码 {}），", t.1, issued.code);
                    coupon_id = Some(issued.id);
                    offer
                }
                Ok(None) | Err(crate::store::StoreError::Duplicate { .. }) => String::new(),
                Err(e) => return Err(e.into()),
            },
            None => String::new(),
        };
        tx.add_campaign_member(&campaign, &q.customer_id, false, coupon_id.as_deref(), Some(&key), at)?;
        queue_message(
            tx,
            &mut queued,
            NewNotification {
                dedupe_key: key.clone(),
                kind: Kind::Marketing.as_str(),
                audience: "customer",
                customer_id: Some(q.customer_id.clone()),
                recipient: None,
                template: "winback",
                params: serde_json::json!({ "offer": offer, "days": q.days_since.round() }).to_string(),
                not_before: at,
                not_after: Some(at + Duration::days(7)),
            },
            at,
            format!("{} {:.0} 天 / days (rhythm {:.0})", q.name, q.days_since, q.rhythm_days),
        )?;
    }
    let note = if held > 0 { format!("对照组 {held} 位 / {held} held out") } else { String::new() };
    Ok((queued, note))
}

/// Courses with sessions left and stored-value bonuses that end within
/// `expiry_notice_days`: one reminder each.
fn balances_ending(
    tx: &Tx<'_>,
    config: &crate::config::Config,
    at: DateTime<Utc>,
    tz: Tz,
) -> Result<(Vec<Queued>, String)> {
    let within = crate::domain::time::Interval::new(at, at + Duration::days(config.jobs.expiry_notice_days.into()));
    let mut queued = Vec::new();
    for crate::store::CourseEnding {
        course_id: course,
        customer_id: customer,
        service_name: service,
        sessions_left: left,
        valid_until: until,
    } in tx.courses_ending(within)?
    {
        let date = until.with_timezone(&tz).format("%m月%d日").to_string();
        let params = serde_json::json!({ "course": service, "left": left, "date": date });
        queue_message(
            tx,
            &mut queued,
            reminder(format!("course:{course}:ending"), &customer, "course_left", &params, at, until),
            at,
            format!("{service} ×{left} → {date}"),
        )?;
    }
    for (customer, until) in tx.bonuses_ending(within)? {
        // What ends by then: the bonus now, less the bonus still there after `until`.
        let (now_sv, _) = tx.stored_value_balance(&customer, at)?;
        let (later_sv, _) = tx.stored_value_balance(&customer, until + Duration::milliseconds(1))?;
        let amount = now_sv.bonus - later_sv.bonus;
        if amount <= rust_decimal::Decimal::ZERO {
            continue;
        }
        let date = until.with_timezone(&tz).format("%m月%d日").to_string();
        let params = serde_json::json!({ "amount": format!("{:.2}", amount.round_dp(2)), "date": date });
        queue_message(
            tx,
            &mut queued,
            reminder(
                format!("bonus:{customer}:{}", until.format("%Y%m%d")),
                &customer,
                "stored_value_expiry",
                &params,
                at,
                until,
            ),
            at,
            format!("{amount} → {date}"),
        )?;
    }
    Ok((queued, String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_day_birthdays_fall_on_the_28th_in_common_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(birthday_keys(d(2027, 2, 28)), vec!["02-28", "02-29"]);
        assert_eq!(birthday_keys(d(2028, 2, 28)), vec!["02-28"]);
        assert_eq!(birthday_keys(d(2028, 2, 29)), vec!["02-29"]);
        assert_eq!(birthday_keys(d(2027, 3, 1)), vec!["03-01"]);
    }
}
