//! `salonbox sync status|now|rejected`: cloud sync from the command line.

use clap::Subcommand;

use super::{CliError, Outcome, msg, print_json, print_rows, say};
use crate::app::App;
use crate::domain::time::local_dt;

#[derive(Debug, Subcommand)]
pub enum SyncCmd {
    /// 同步状态：待发事件、最早未发事件、上次成功、上次错误 / queued events, oldest unsent, last success, last error
    Status {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 立即推送并拉取一次 / push and pull once, now
    Now {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 云端拒收的事件和未能应用的云端变更 / events the cloud refused and changes that could not be applied
    Rejected {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn sync(app: &mut App, cmd: SyncCmd) -> Result<Outcome, CliError> {
    let tz = app.tz();
    match cmd {
        SyncCmd::Status { json } => {
            let s = app.sync_state()?;
            let offline = app.offline_since(&s);
            if json {
                print_json(&serde_json::json!({
                    "enabled": app.config.cloud.enabled,
                    "queued": s.queued,
                    "oldest_queued_at": s.oldest_queued_at,
                    "oldest_queued_age_seconds": s.oldest_queued_at.map(|t| (app.now() - t).num_seconds()),
                    "last_success_at": s.last_success_at,
                    "last_push_at": s.last_push_at,
                    "last_pull_at": s.last_pull_at,
                    "last_error": s.last_error,
                    "last_error_at": s.last_error_at,
                    "token_refused_at": s.auth_refused_at,
                    "rejected": s.rejected,
                    "skipped_changes": s.skipped_changes,
                    "offline_since": offline,
                }))?;
                return Ok(Outcome::Ok);
            }
            let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| local_dt(t, tz));
            say(&msg::sync_status(
                app.config.cloud.enabled,
                s.queued,
                s.oldest_queued_at.map(|t| (app.now() - t).num_minutes()),
                at(s.last_success_at).as_deref(),
                s.last_error.as_deref().zip(at(s.last_error_at).as_deref()),
                at(s.auth_refused_at).as_deref(),
                s.rejected,
                s.skipped_changes,
                at(offline).as_deref(),
            ))?;
            Ok(Outcome::Ok)
        }
        SyncCmd::Now { json } => {
            let Some(mut engine) =
                crate::sync::Sync::from_config(&app.config.cloud).map_err(|e| CliError::Device(e.to_string()))?
            else {
                return Err(CliError::Device(crate::sync::SyncError::Disabled.to_string()));
            };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (push, pull) = rt.block_on(engine.run_once(app)).map_err(|e| CliError::Device(e.to_string()))?;
            if json {
                print_json(&serde_json::json!({ "push": push, "pull": pull }))?;
            } else {
                say(&msg::sync_done(
                    push.delivered + push.duplicates,
                    push.rejected,
                    pull.changes,
                    pull.applied.applied,
                    pull.applied.skipped,
                ))?;
            }
            Ok(if push.rejected + pull.applied.skipped > 0 { Outcome::Problems } else { Outcome::Ok })
        }
        SyncCmd::Rejected { limit, json } => {
            let p = app.sync_problems(limit)?;
            if json {
                print_json(&p)?;
                return Ok(Outcome::Ok);
            }
            if p.rejected_events.is_empty() && p.skipped_changes.is_empty() {
                say(msg::sync_nothing_rejected())?;
                return Ok(Outcome::Ok);
            }
            if !p.rejected_events.is_empty() {
                say(msg::sync_rejected_heading())?;
                print_rows(
                    false,
                    &p.rejected_events,
                    ["序号 seq", "类型 type", "发生 occurred", "尝试 tries", "原因 reason", "id"],
                    |e| {
                        [
                            e.seq.to_string(),
                            e.event_type.clone(),
                            e.occurred_at.clone(),
                            e.attempts.to_string(),
                            e.reason.clone(),
                            e.id.clone(),
                        ]
                    },
                )?;
            }
            if !p.skipped_changes.is_empty() {
                say(msg::sync_skipped_heading())?;
                print_rows(
                    false,
                    &p.skipped_changes,
                    ["变更 change", "类型 type", "版本 version", "时间 at", "原因 reason"],
                    |c| {
                        [
                            c.change_id.clone(),
                            c.change_type.clone(),
                            c.version.map(|v| v.to_string()).unwrap_or_default(),
                            local_dt(c.at, tz),
                            c.reason.clone(),
                        ]
                    },
                )?;
            }
            Ok(Outcome::Ok)
        }
    }
}
