//! `salonbox daemon`: the process beside the kiosk that talks to the outside. One task on
//! a single-threaded tokio runtime owns the shop (`App`) and wakes once a second: it looks
//! whether anyone committed to the database (`PRAGMA data_version`, so a kiosk check-in's
//! staff alert goes out within about a second), whether a waiting message or a scheduled
//! job has fallen due, and pings systemd's watchdog. Idle, it does nothing else.
//!
//! Architecture Invariant: every send goes claim (commit) → channel → settle (commit); the
//! daemon never holds a transaction across a network call, and on SIGTERM it finishes the
//! message in hand, settles it, and stops taking new ones.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::app::notify::{Checked, Plan, Prepared, backoff};
use crate::app::{App, AppError};
use crate::channels::{Address, Channel, Channels, Outgoing, SendError};
use crate::domain::messages::Resolution;

#[derive(Debug, Error)]
pub enum DaemonError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("HTTP 客户端无法创建：{0} / cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("无法启动运行时：{0} / cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Crash points for the test suite's crash test: with `SALONBOX_FAILPOINT=<step>` the
/// process aborts at that step of a send, as a power cut or `kill -9` would stop it. Steps:
/// `after_claim` (claimed and committed, nothing sent), `after_answer` (the provider took
/// it, nothing recorded), `after_settle` (recorded).
pub const FAILPOINT_ENV: &str = "SALONBOX_FAILPOINT";

fn failpoint(step: &str) {
    if std::env::var(FAILPOINT_ENV).is_ok_and(|v| v == step) {
        tracing::error!(step, "failpoint: aborting");
        std::process::abort();
    }
}

/// How often the daemon wakes when idle.
pub const TICK: Duration = Duration::from_secs(1);
/// Look at the outbox at least this often, whatever else happens.
const SWEEP: Duration = Duration::from_secs(60);

pub struct Daemon {
    pub app: App,
    pub channels: Channels,
    sent: VecDeque<Instant>,
    seen_version: Option<i64>,
    last_sweep: Option<Instant>,
    next_due: Option<chrono::DateTime<chrono::Utc>>,
    clock_warned: bool,
    sync_warned: bool,
    /// Cloud sync, when `[cloud]` is enabled.
    pub sync: Option<crate::sync::Sync>,
}

impl Daemon {
    /// A daemon with the channels of the configuration.
    pub fn new(app: App) -> Result<Daemon, DaemonError> {
        let client = crate::channels::http_client(app.config.channels.timeout)?;
        let channels = Channels::from_config(&app.config, &client);
        // One client for the channels and the cloud; each request carries its own timeout.
        let sync = crate::sync::Sync::new(&app.config.cloud, client.clone());
        let mut d = Daemon::with_channels(app, channels);
        d.sync = sync;
        Ok(d)
    }

    pub fn with_channels(app: App, channels: Channels) -> Daemon {
        Daemon {
            app,
            channels,
            sent: VecDeque::new(),
            seen_version: None,
            last_sweep: None,
            next_due: None,
            clock_warned: false,
            sync_warned: false,
            sync: None,
        }
    }

    /// Start-up: sends cut off by a crash before any channel was tried go back to the
    /// queue; those cut off during a send become `unknown` and are resolved (the provider
    /// is asked on the first tick); stale arrival alerts are dropped.
    pub fn recover(&mut self) -> Result<(), DaemonError> {
        let (unknown, stale) = self.app.recover_messages()?;
        for key in &unknown {
            tracing::warn!(%key, "a send was interrupted: its outcome is unknown, to be resolved (never blindly resent)");
        }
        if stale > 0 {
            tracing::info!(stale, "dropped arrival alerts too old to send");
        }
        if let Some(sync) = &mut self.sync
            && let Err(e) = sync.restore(&mut self.app)
        {
            tracing::error!("{e}");
        }
        Ok(())
    }

    /// Whether the system clock can be trusted for scheduled jobs.
    fn clock_synced(&mut self) -> bool {
        let Some(flag) = self.app.config.jobs.clock_sync_file.clone() else { return true };
        if flag.exists() {
            return true;
        }
        // No systemd-timesyncd on this machine at all: nothing to wait for.
        if flag.parent().is_some_and(|d| !d.exists()) {
            return true;
        }
        if !self.sync_warned {
            tracing::warn!(flag = %flag.display(), "waiting for the system clock to be synchronised before running jobs");
            self.sync_warned = true;
        }
        false
    }

    /// One wake-up: jobs that fell due, then messages that are due. Returns how many
    /// messages were handled.
    pub async fn tick(&mut self, stop: &tokio::sync::watch::Receiver<bool>) -> Result<usize, DaemonError> {
        if self.clock_synced() {
            let due = self.app.run_due_jobs()?;
            match due.clock_behind {
                Some(seen) if !self.clock_warned => {
                    tracing::warn!(%seen, now = %self.app.now(), "the clock reads earlier than a time already seen: jobs wait");
                    self.clock_warned = true;
                }
                Some(_) => {}
                None => self.clock_warned = false,
            }
            if !due.ran.is_empty() {
                // A job may have queued messages: look now.
                self.next_due = Some(self.app.now());
            }
        }
        let version = self.app.data_version()?;
        let changed = self.seen_version != Some(version);
        self.seen_version = Some(version);
        let now = self.app.now();
        let sweep = self.last_sweep.is_none_or(|t| t.elapsed() >= SWEEP);
        let mut n = 0;
        if changed || sweep || self.next_due.is_some_and(|t| t <= now) {
            self.last_sweep = Some(Instant::now());
            n = self.resolve_due(stop).await?;
            n += self.send_due(stop).await?;
            self.next_due = self.app.next_message_work()?;
            // Our own writes change nothing for data_version; read it afresh anyway.
            self.seen_version = Some(self.app.data_version()?);
        }
        // Sync after the messages: a staff alert never waits behind a push. A send just
        // made wrote `notification.sent`, so look at the queue whenever we sent.
        if let Some(sync) = &mut self.sync
            && !*stop.borrow()
        {
            sync.tick(&mut self.app, changed || n > 0, stop).await;
        }
        Ok(n)
    }

    /// Asks the providers about the sends whose outcome is unknown and whose look is due
    /// (`messages::Resolution`): settled as sent or failed, put back to be sent when the
    /// provider has no record, or left to a person. Returns how many were looked at.
    pub async fn resolve_due(&mut self, stop: &tokio::sync::watch::Receiver<bool>) -> Result<usize, DaemonError> {
        let due = self.app.unknown_due(20)?;
        let mut n = 0;
        for m in due {
            if *stop.borrow() {
                break;
            }
            let via = m.attempt_via.clone().unwrap_or_default();
            let answer = match (self.channels.get(&via), m.recipient.as_deref(), m.attempt_at) {
                (Some(channel), Some(phone), Some(attempted_at)) => {
                    let q = crate::channels::Query { id: &m.id, phone, attempted_at };
                    match channel.look_up(&q).await {
                        Some(Ok(found)) => found,
                        Some(Err(e)) => Checked::Unanswered { reason: e.to_string() },
                        None => Checked::Unanswered { reason: format!("{via} 不能查询 / {via} cannot be asked") },
                    }
                }
                (None, _, _) => Checked::Unanswered { reason: format!("{via} 未配置 / {via} is not set up") },
                _ => Checked::Unanswered {
                    reason: "没有记录发往的号码 / the number it went to is not recorded".into(),
                },
            };
            let outcome = self.app.message_checked(&m, answer.clone())?;
            tracing::info!(key = %m.dedupe_key, %via, ?answer, ?outcome, "asked the provider about an unknown outcome");
            n += 1;
        }
        Ok(n)
    }

    /// Sends what is due now, until nothing is or `stop` is raised.
    pub async fn send_due(&mut self, stop: &tokio::sync::watch::Receiver<bool>) -> Result<usize, DaemonError> {
        let mut handled = 0;
        loop {
            let due = self.app.due_messages(50)?;
            if due.is_empty() {
                return Ok(handled);
            }
            let mut progressed = false;
            for n in due {
                if *stop.borrow() {
                    return Ok(handled);
                }
                progressed |= self.handle(&n, None, stop).await?;
                handled += 1;
            }
            if !progressed {
                return Ok(handled);
            }
        }
    }

    /// One due message: planned against the shop as it is now, then held back, dropped, or
    /// claimed and sent (through `channel` only, when given). Returns whether it moved on.
    async fn handle(
        &mut self,
        n: &crate::store::Notification,
        channel: Option<&str>,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> Result<bool, DaemonError> {
        match self.app.plan_message(n)? {
            Plan::Send(mut p) => {
                if let Some(c) = channel {
                    p.route = vec![c.to_string()];
                }
                self.wait_for_rate(stop).await;
                if *stop.borrow() || !self.app.claim_message(&p.key)? {
                    return Ok(false);
                }
                failpoint("after_claim");
                self.send_one(&p).await?;
                failpoint("after_settle");
                Ok(true)
            }
            other => {
                tracing::info!(plan = ?other, "message held back or dropped");
                self.app.settle_plan(&other)?;
                Ok(true)
            }
        }
    }

    /// The global rate limit: at most `rate_per_minute` sends in any minute.
    async fn wait_for_rate(&mut self, stop: &tokio::sync::watch::Receiver<bool>) {
        let limit = self.app.config.messages.rate_per_minute as usize;
        let minute = Duration::from_secs(60);
        while let Some(first) = self.sent.front() {
            if first.elapsed() >= minute {
                self.sent.pop_front();
            } else {
                break;
            }
        }
        if self.sent.len() >= limit
            && let Some(first) = self.sent.front()
        {
            let wait = minute.saturating_sub(first.elapsed());
            tracing::info!(?wait, "rate limit reached: waiting");
            let mut stop = stop.clone();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
            self.sent.pop_front();
        }
        self.sent.push_back(Instant::now());
    }

    /// One claimed message through its route: the first channel that takes it wins; a
    /// channel that cannot reach this person passes it on; a temporary failure puts it
    /// back for later; a final one ends it.
    async fn send_one(&mut self, p: &Prepared) -> Result<(), DaemonError> {
        let mut passed = Vec::new();
        let mut set_up = 0;
        for name in &p.route {
            let Some(channel) = self.channels.get(name) else {
                passed.push(format!("{name}: 未配置 / not set up"));
                continue;
            };
            set_up += 1;
            let Some(to) = address_for(channel, p) else {
                passed.push(format!("{name}: 无地址 / no address for it"));
                continue;
            };
            let recipient = match &to {
                Address::Phone(x) | Address::OpenId(x) => Some(x.clone()),
                Address::StaffGroup => None,
            };
            let out = Outgoing {
                key: p.key.clone(),
                kind: p.kind,
                not_after: p.not_after,
                id: p.id.clone(),
                to,
                template: p.template.clone(),
                params: p.params.clone(),
                text: p.text.clone(),
                provider_templates: p.provider_templates.clone(),
                template_params: p.template_params.clone(),
            };
            // Which channel is tried, committed before the request: a crash during it
            // leaves the provider to ask.
            self.app.message_attempt(&p.key, channel.name(), recipient.as_deref())?;
            let mut answer = channel.send(&out).await;
            if answer.is_ok() {
                failpoint("after_answer");
            }
            if Resolution::for_channel(channel.name()) == Resolution::SendAgain {
                // The relay drops a second copy itself: a lost answer is a plain retry.
                answer = answer.map_err(SendError::nothing_sent);
            }
            match answer {
                Ok(d) => {
                    tracing::info!(key = %p.key, via = d.via, "message sent");
                    self.app.message_sent(&p.key, d.via, d.provider_ref.as_deref(), recipient.as_deref())?;
                    return Ok(());
                }
                Err(e) if e.is_unknown() => {
                    tracing::warn!(key = %p.key, error = %e, "the answer was lost: outcome unknown, to be resolved");
                    self.app.message_unknown(&p.key, channel.name(), &e.to_string())?;
                    return Ok(());
                }
                Err(e) if e.falls_through() => {
                    tracing::info!(key = %p.key, error = %e, "channel passed the message on");
                    passed.push(e.to_string());
                }
                Err(e) if !e.is_permanent() => {
                    let m = &self.app.config.messages;
                    if p.attempts + 1 >= i64::from(m.max_attempts) {
                        tracing::warn!(key = %p.key, error = %e, "giving up after the last attempt");
                        self.app.message_failed(
                            &p.key,
                            &format!("{e}（已试 {} 次 / after {} attempts）", p.attempts + 1, p.attempts + 1),
                        )?;
                    } else {
                        let mut wait = backoff(p.attempts + 1, m.retry_first, m.retry_max);
                        if let Some(after) = e.retry_after().and_then(|d| chrono::Duration::from_std(d).ok()) {
                            wait = wait.max(after);
                        }
                        tracing::info!(key = %p.key, error = %e, retry_in = %wait, "temporary failure: will retry");
                        let at = self.app.now() + wait;
                        self.app.message_retry(&p.key, &e.to_string(), at)?;
                    }
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(key = %p.key, error = %e, "message failed");
                    self.app.message_failed(&p.key, &e.to_string())?;
                    return Ok(());
                }
            }
        }
        if set_up == 0 {
            // The shop has set up none of this message's channels (a shop without SMS keys
            // yet): nothing failed, there is just no way out. Dropped, with the reason.
            let reason = format!("没有设置发送渠道 / no channel set up for it: {}", p.route.join(", "));
            tracing::info!(key = %p.key, %reason, "message dropped");
            self.app.message_dropped(&p.key, &reason)?;
            return Ok(());
        }
        let reason = format!("没有渠道能发送 / no channel could send it: {}", passed.join("; "));
        tracing::warn!(key = %p.key, %reason, "message failed");
        self.app.message_failed(&p.key, &reason)?;
        Ok(())
    }

    /// Sends one queued message now, through `channel` only when given (`salonbox notify
    /// test`). Returns the message as it stands afterwards.
    pub async fn send_now(
        &mut self,
        key: &str,
        channel: Option<&str>,
    ) -> Result<crate::store::Notification, DaemonError> {
        let n = self.app.message(key)?;
        let (_keep, stop) = tokio::sync::watch::channel(false);
        self.handle(&n, channel, &stop).await?;
        Ok(self.app.message(key)?)
    }

    /// Runs until `stop` is raised: one tick a second, readiness and watchdog for systemd.
    ///
    /// The watchdog is fed by its own task on the runtime, not between ticks: a tick may
    /// wait minutes on the network (the rate limit, send timeouts, a sync drain), and the
    /// task runs whenever the daemon waits. A daemon stuck in a blocking call starves it,
    /// and systemd restarts it, as it should.
    pub async fn run(mut self, stop: tokio::sync::watch::Receiver<bool>) -> Result<(), DaemonError> {
        self.recover()?;
        let mut watchdog_usec = 0u64;
        if sd_notify::watchdog_enabled(false, &mut watchdog_usec) {
            let every = Duration::from_micros(watchdog_usec / 3).max(Duration::from_millis(200));
            tokio::spawn(async move {
                let mut t = tokio::time::interval(every);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    t.tick().await;
                    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
                }
            });
        }
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        tracing::info!(channels = ?self.channels.channels.iter().map(Channel::name).collect::<Vec<_>>(), "daemon running");
        let started = tokio::time::Instant::now();
        let mut ticks: u32 = 0;
        while !*stop.borrow() {
            if let Err(e) = self.tick(&stop).await {
                // A busy or briefly unreadable database: log and try again next tick.
                tracing::error!(error = %e, "daemon tick failed");
            }
            // Sleep to the next whole tick since the start (a slow tick is not made up). The
            // runtime sleeps, so the watchdog's task runs meanwhile.
            ticks = ticks.saturating_add(1);
            let next = started + TICK * ticks;
            let now = tokio::time::Instant::now();
            if next > now {
                let mut stop = stop.clone();
                tokio::select! {
                    () = tokio::time::sleep_until(next) => {}
                    _ = stop.changed() => {}
                }
            } else {
                ticks = u32::try_from(started.elapsed().as_millis() / TICK.as_millis()).unwrap_or(u32::MAX);
            }
        }
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
        tracing::info!("daemon stopped");
        Ok(())
    }
}

/// The address a channel would use for a message, if it can carry it.
fn address_for(channel: &Channel, p: &Prepared) -> Option<Address> {
    match channel {
        Channel::Wecom(_) | Channel::DingTalk(_) => p.staff_group.then_some(Address::StaffGroup),
        Channel::AliyunSms(_) | Channel::TencentSms(_) => {
            (!p.staff_group).then(|| p.phone.clone().map(Address::Phone)).flatten()
        }
        Channel::Wechat(_) => (!p.staff_group).then(|| p.openid.clone().map(Address::OpenId)).flatten(),
        // The relay sends SMS when there is a number, else a WeChat template message.
        Channel::Relay(_) => (!p.staff_group)
            .then(|| p.phone.clone().map(Address::Phone).or_else(|| p.openid.clone().map(Address::OpenId)))
            .flatten(),
        Channel::Log(_) => Some(if p.staff_group {
            Address::StaffGroup
        } else if let Some(phone) = &p.phone {
            Address::Phone(phone.clone())
        } else {
            Address::OpenId(p.openid.clone().unwrap_or_default())
        }),
    }
}

/// `salonbox daemon`: runs until SIGTERM or Ctrl-C (SIGINT), then finishes the message in
/// hand and exits.
pub fn run_until_signalled(app: App) -> Result<(), DaemonError> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT])
        .map_err(DaemonError::Runtime)?;
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            tracing::info!(signal = sig, "stopping: finishing the message in hand");
            let _ = tx.send(true);
        }
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(DaemonError::Runtime)?;
    rt.block_on(async move { Daemon::new(app)?.run(rx).await })
}
