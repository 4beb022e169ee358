//! `salonbox daemon`, `jobs`, `notifications` and `notify`: the command line's side of the
//! daemon.

use chrono::{DateTime, Utc};
use clap::Subcommand;

use super::{CliError, Outcome, msg, print_json, print_rows, say};
use crate::app::App;
use crate::domain::time::local_dt;

#[derive(Debug, Subcommand)]
pub enum JobsCmd {
    /// 所有定时任务及下次运行时间 / every job and when it runs next
    List {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 立即运行一个任务 / run one job now
    Run {
        /// 任务名 / job name (see `jobs list`)
        name: String,
        /// 当作时钟是这个时间（RFC 3339 或 2026-11-23 18:00）/ as if the clock read this time
        #[arg(long)]
        at: Option<String>,
        /// 只列出会排队的消息，不改动任何东西 / list what it would queue, change nothing
        #[arg(long)]
        dry_run: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum NotificationsCmd {
    /// 消息队列 / the message outbox, newest first
    List {
        /// pending, sending, sent, failed, unknown, dropped, cancelled
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 重新发送失败、状态未知或已放弃的消息 / send a failed, unknown or dropped message again
    Retry {
        /// 消息 id 或去重键 / message id or dedupe key
        id: String,
    },
    /// 确认结果未知的消息其实已发出（问过顾客或看过服务商后台）/ confirm that a message whose
    /// outcome was unknown did go out (asked the customer, looked at the provider's console)
    Settle {
        /// 消息 id 或去重键 / message id or dedupe key
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum NotifyCmd {
    /// 通过一个渠道发一条测试消息 / send a test message through one channel
    Test {
        /// sms, aliyun_sms, tencent_sms, wechat, wecom, dingtalk, log
        #[arg(long)]
        channel: String,
        /// 手机号、微信 openid，或 staff（员工群）/ phone number, WeChat openid, or `staff`
        #[arg(long)]
        to: String,
    },
}

const STATUSES: &[&str] = &["pending", "sending", "sent", "failed", "unknown", "dropped", "cancelled"];

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// `--at`: RFC 3339, or a shop-local `YYYY-MM-DD HH:MM`.
fn parse_at(app: &App, at: Option<&str>) -> Result<DateTime<Utc>, CliError> {
    let Some(at) = at else { return Ok(app.now()) };
    if let Ok(t) = DateTime::parse_from_rfc3339(at.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    crate::app::booking::parse_local_datetime(at)
        .map(|t| crate::domain::time::local_to_utc(t.date(), t.time(), app.tz()))
        .map_err(|_| CliError::Usage(msg::bad_at(at)))
}

pub fn daemon(app: App) -> Result<Outcome, CliError> {
    crate::daemon::run_until_signalled(app).map_err(|e| CliError::Device(e.to_string()))?;
    Ok(Outcome::Ok)
}

pub fn jobs(app: &mut App, cmd: JobsCmd) -> Result<Outcome, CliError> {
    let tz = app.tz();
    match cmd {
        JobsCmd::List { json } => {
            let jobs = app.jobs_status()?;
            print_rows(
                json,
                &jobs,
                ["任务 job", "计划 schedule", "下次 next", "上次 last", "结果 result", "说明 about"],
                |j| {
                    [
                        j.job.clone(),
                        j.schedule.clone(),
                        j.next_due.map(|t| local_dt(t, tz)).unwrap_or_default(),
                        j.last_run_at.map(|t| local_dt(t, tz)).unwrap_or_default(),
                        j.last_result.clone().unwrap_or_default(),
                        j.about.clone(),
                    ]
                },
            )?;
            Ok(Outcome::Ok)
        }
        JobsCmd::Run { name, at, dry_run, json } => {
            let at = parse_at(app, at.as_deref())?;
            let r = app.run_job(&name, at, dry_run)?;
            if json {
                print_json(&r)?;
                return Ok(Outcome::Ok);
            }
            say(&msg::job_ran(&r.job, &local_dt(at, tz), r.queued.len(), dry_run))?;
            for q in &r.queued {
                say(&format!("  {}  {}  {}", q.template, q.summary, q.key))?;
            }
            if !r.note.is_empty() {
                say(&format!("  {}", r.note))?;
            }
            Ok(Outcome::Ok)
        }
    }
}

pub fn notifications(app: &mut App, cmd: NotificationsCmd) -> Result<Outcome, CliError> {
    let tz = app.tz();
    match cmd {
        NotificationsCmd::List { status, limit, json } => {
            if let Some(s) = &status
                && !STATUSES.contains(&s.as_str())
            {
                return Err(CliError::Usage(msg::bad_status(s, STATUSES)));
            }
            let list = app.list_messages(status.as_deref(), limit)?;
            print_rows(
                json,
                &list,
                ["状态 status", "模板 template", "时间 at", "渠道 via", "键 key", "说明 note"],
                |n| {
                    [
                        n.status.clone(),
                        n.template.clone(),
                        local_dt(n.sent_at.unwrap_or(n.not_before), tz),
                        n.sent_via.clone().unwrap_or_default(),
                        n.dedupe_key.clone(),
                        n.last_error.clone().unwrap_or_default(),
                    ]
                },
            )?;
            Ok(Outcome::Ok)
        }
        NotificationsCmd::Retry { id } => {
            let n = app.retry_message(&id, "cli")?;
            say(&msg::message_requeued(&n.dedupe_key))?;
            Ok(Outcome::Ok)
        }
        NotificationsCmd::Settle { id } => {
            let n = app.confirm_message_sent(&id, "cli")?;
            say(&msg::message_confirmed(&n.dedupe_key))?;
            Ok(Outcome::Ok)
        }
    }
}

pub fn notify(app: App, cmd: NotifyCmd) -> Result<Outcome, CliError> {
    let NotifyCmd::Test { channel, to } = cmd;
    if !crate::config::CHANNEL_NAMES.contains(&channel.as_str()) {
        return Err(CliError::Usage(msg::bad_channel(&channel, crate::config::CHANNEL_NAMES)));
    }
    let mut app = app;
    let key = app.queue_test_message(&to, "cli")?;
    let mut daemon = crate::daemon::Daemon::new(app).map_err(|e| CliError::Device(e.to_string()))?;
    let n = runtime()?.block_on(daemon.send_now(&key, Some(&channel))).map_err(|e| CliError::Device(e.to_string()))?;
    if n.status == "sent" {
        say(&msg::test_sent(n.sent_via.as_deref().unwrap_or(&channel), n.provider_ref.as_deref()))?;
        Ok(Outcome::Ok)
    } else {
        say(&msg::test_not_sent(&n.status, n.last_error.as_deref().unwrap_or("")))?;
        Ok(Outcome::Problems)
    }
}
