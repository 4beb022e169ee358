//! The sync engine (feature `net`): push, pull and their timing against a cloud endpoint
//! that follows `spec/cloud-sync-v1.md`. The relay of messages is a channel
//! (`channels::relay`) driven by the daemon's sender; this module moves events and changes.
//!
//! Architecture Invariant: no transaction is held across a request. A push reads a batch,
//! sends it, and settles the answer in a second transaction; a pull fetches a page and
//! applies it with its cursor in one transaction. A crash between the two steps only means
//! the same events go again (the cloud dedupes by id) or the same page comes again (applying
//! is idempotent by version).

use std::time::{Duration, Instant};

use sha2::Digest;
use thiserror::Error;

use crate::app::sync::Applied;
use crate::app::{App, AppError};
use crate::config::{Cloud, Secret};
use crate::domain::sync::{ChangesPage, ErrorBody, MAX_BATCH_EVENTS, MAX_PAGE, PushAnswer, backoff, batch_len};
use crate::store::OutgoingEvent;

/// How many times `salonbox sync now` tries before it reports a temporary failure.
pub const SYNC_NOW_ATTEMPTS: u32 = 4;

/// A refused token is tried again after this long even if the configuration stays.
pub const AUTH_RETRY: Duration = Duration::from_secs(3600);

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(
        "云端拒绝了设备令牌（HTTP {status}），同步已停止：请检查 [cloud] 的 device_token 与 store_id / the cloud refused the device token (HTTP {status}): sync stopped; check device_token and store_id in [cloud]"
    )]
    Auth { status: u16 },
    #[error("云端繁忙（HTTP {status}），{} 秒后重试 / the cloud is busy (HTTP {status}): retry in {} s", .retry_after.as_secs(), .retry_after.as_secs())]
    Throttled { status: u16, retry_after: Duration },
    #[error("云端错误 HTTP {status}：{body} / cloud error HTTP {status}: {body}")]
    Server { status: u16, body: String },
    #[error("网络错误：{0} / network error: {0}")]
    Transport(String),
    #[error("云端的回答无法读取：{0} / the cloud's answer cannot be read: {0}")]
    BadAnswer(String),
    #[error("云同步未启用（[cloud] enabled = false）/ cloud sync is off ([cloud] enabled = false)")]
    Disabled,
    #[error(transparent)]
    App(#[from] AppError),
}

impl SyncError {
    /// Whether trying again without a person changing something is pointless.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SyncError::Auth { .. } | SyncError::Disabled)
    }

    /// The cloud's own wait, when it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncError::Throttled { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

fn transport(e: &reqwest::Error) -> SyncError {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "transport"
    };
    SyncError::Transport(format!("{kind}: {e}"))
}

/// What one push run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PushReport {
    pub requests: usize,
    pub delivered: usize,
    pub duplicates: usize,
    pub rejected: usize,
    /// Events the answer left out: they go again later.
    pub unanswered: usize,
}

impl PushReport {
    fn add(&mut self, o: &PushReport) {
        self.requests += o.requests;
        self.delivered += o.delivered;
        self.duplicates += o.duplicates;
        self.rejected += o.rejected;
        self.unanswered += o.unanswered;
    }
}

impl PullReport {
    fn add(&mut self, o: &PullReport) {
        self.pages += o.pages;
        self.changes += o.changes;
        let (a, b) = (&mut self.applied, &o.applied);
        a.applied += b.applied;
        a.old += b.old;
        a.skipped += b.skipped;
        a.unknown += b.unknown;
        a.kept_local += b.kept_local;
    }
}

/// What one pull run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PullReport {
    pub pages: usize,
    pub changes: usize,
    #[serde(flatten)]
    pub applied: Applied,
}

/// A push request's outcome that needs the caller's judgement.
enum Post {
    Answer(PushAnswer),
    TooLarge,
    BadRequest(String),
}

pub struct Sync {
    client: reqwest::Client,
    timeout: Duration,
    base: String,
    token: Secret,
    fingerprint: String,
    push_every: Duration,
    pull_every: Duration,
    retry_max: Duration,
    failures: u32,
    not_before: Option<Instant>,
    /// After a failure: push (and pull) again as soon as the back-off allows, whatever the
    /// intervals say.
    retry: bool,
    /// The batch size that went through last (halved on 413, grown back a quarter at a
    /// time after each full batch the cloud took), kept from one run to the next.
    batch_limit: usize,
    last_push: Option<Instant>,
    last_pull: Option<Instant>,
    /// The token was refused: nothing until then (or a new configuration).
    blocked_until: Option<Instant>,
}

impl Sync {
    /// The engine for the configured cloud, with a client of its own (`salonbox sync
    /// now`); `None` when sync is off.
    pub fn from_config(cloud: &Cloud) -> Result<Option<Sync>, reqwest::Error> {
        let client = crate::channels::http_client(Duration::from_secs(cloud.timeout_seconds.into()))?;
        Ok(Sync::new(cloud, client))
    }

    /// The engine on a client the caller shares (the daemon's one client); every request
    /// carries `[cloud] timeout_seconds` itself. `None` when sync is off.
    pub fn new(cloud: &Cloud, client: reqwest::Client) -> Option<Sync> {
        let token = cloud.device_token.clone()?;
        if !cloud.enabled || !crate::domain::sync::base_url_allowed(&cloud.base_url) {
            return None;
        }
        let base = format!("{}/v1/stores/{}", cloud.base_url.trim_end_matches('/'), cloud.store_id);
        let mut h = sha2::Sha256::new();
        h.update(base.as_bytes());
        h.update([0]);
        h.update(token.expose().as_bytes());
        let fingerprint = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        Some(Sync {
            client,
            timeout: Duration::from_secs(cloud.timeout_seconds.into()),
            base,
            token,
            fingerprint,
            push_every: Duration::from_secs(cloud.push_interval_seconds.max(1).into()),
            pull_every: Duration::from_secs(cloud.pull_interval_seconds.max(1).into()),
            retry_max: cloud.retry_max,
            failures: 0,
            not_before: None,
            retry: false,
            batch_limit: MAX_BATCH_EVENTS,
            last_push: None,
            last_pull: None,
            blocked_until: None,
        })
    }

    /// At start-up: a token refused for this very configuration within the hour stays
    /// refused until the hour is over.
    pub fn restore(&mut self, app: &mut App) -> Result<(), SyncError> {
        let s = app.sync_state()?;
        if let (Some(at), Some(fp)) = (s.auth_refused_at, s.auth_refused_for.as_deref()) {
            if fp == self.fingerprint {
                let ago = (app.now() - at).to_std().unwrap_or_default();
                if ago < AUTH_RETRY {
                    tracing::error!(
                        "the cloud refused this device token earlier: sync waits for a new configuration or the hour to pass"
                    );
                    self.blocked_until = Some(Instant::now() + (AUTH_RETRY - ago));
                }
            } else {
                // The configuration changed since: try again at once.
                app.record_auth_refused(None)?;
            }
        }
        Ok(())
    }

    /// Whether the refused-token pause is on.
    pub fn blocked(&self) -> bool {
        self.blocked_until.is_some_and(|t| Instant::now() < t)
    }

    /// The daemon's wake-up: push when events were written (`changed`) or the push
    /// interval passed, pull when the pull interval passed, unless a back-off or the token
    /// pause says wait. Failures are logged and recorded, never returned: the daemon goes on.
    pub async fn tick(&mut self, app: &mut App, changed: bool, stop: &tokio::sync::watch::Receiver<bool>) {
        if self.blocked() || self.not_before.is_some_and(|t| Instant::now() < t) {
            return;
        }
        let retry = std::mem::take(&mut self.retry);
        let push_due = retry
            || self.last_push.is_none_or(|t| t.elapsed() >= self.push_every)
            || (changed && app.events_to_push(1).is_ok_and(|e| !e.is_empty()));
        let pull_due = retry || self.last_pull.is_none_or(|t| t.elapsed() >= self.pull_every);
        if push_due {
            self.last_push = Some(Instant::now());
            match self.push_all(app, stop).await {
                Ok(r) if r.requests > 0 => tracing::info!(?r, "pushed events to the cloud"),
                Ok(_) => {}
                Err(e) => return self.failed(app, &e),
            }
        }
        if pull_due && !*stop.borrow() {
            self.last_pull = Some(Instant::now());
            match self.pull_all(app, stop).await {
                Ok(r) if r.changes > 0 => tracing::info!(?r, "applied changes from the cloud"),
                Ok(_) => {}
                Err(e) => return self.failed(app, &e),
            }
        }
        self.failures = 0;
    }

    /// A failed run: back off (or pause for a refused token), record it for `sync status`.
    fn failed(&mut self, app: &mut App, e: &SyncError) {
        if let SyncError::Auth { .. } = e {
            tracing::error!("{e}");
            self.blocked_until = Some(Instant::now() + AUTH_RETRY);
            if let Err(err) = app.record_auth_refused(Some(&self.fingerprint)) {
                tracing::error!("{err}");
            }
        } else {
            self.failures += 1;
            let wait = e.retry_after().unwrap_or_else(|| backoff(self.failures, self.retry_max, rand::random::<f64>()));
            tracing::warn!(failures = self.failures, wait_s = wait.as_secs_f64(), "sync failed: {e}");
            self.not_before = Some(Instant::now() + wait);
            // the back-off decides when to try again, not the push and pull intervals
            self.retry = true;
        }
        if let Err(err) = app.record_sync_error(&e.to_string()) {
            tracing::error!("{err}");
        }
    }

    /// `salonbox sync now`: push everything queued, then pull everything new, ignoring the
    /// daemon's back-off (a person asked). A temporary failure (the network, a busy or
    /// failing cloud) is tried again within the run, on the back-off schedule, up to
    /// `SYNC_NOW_ATTEMPTS` times; what went through before it counts.
    pub async fn run_once(&mut self, app: &mut App) -> Result<(PushReport, PullReport), SyncError> {
        let (_tx, stop) = tokio::sync::watch::channel(false);
        let (mut push, mut pull) = (PushReport::default(), PullReport::default());
        let mut attempt = 0;
        loop {
            let mut pushed = PushReport::default();
            let mut pulled = PullReport::default();
            let result = async {
                pushed = self.push_all(app, &stop).await?;
                pulled = self.pull_all(app, &stop).await?;
                Ok::<_, SyncError>(())
            }
            .await;
            push.add(&pushed);
            pull.add(&pulled);
            let e = match result {
                Ok(()) => {
                    app.record_auth_refused(None)?;
                    self.failures = 0;
                    return Ok((push, pull));
                }
                Err(e) => e,
            };
            self.failed(app, &e);
            attempt += 1;
            let temporary = matches!(
                e,
                SyncError::Throttled { .. }
                    | SyncError::Server { .. }
                    | SyncError::Transport(_)
                    | SyncError::BadAnswer(_)
            );
            if !temporary || attempt >= SYNC_NOW_ATTEMPTS {
                return Err(e);
            }
            let wait = e.retry_after().unwrap_or_else(|| backoff(self.failures, self.retry_max, rand::random::<f64>()));
            tracing::info!(attempt, wait_s = wait.as_secs_f64(), "sync now: trying again: {e}");
            tokio::time::sleep(wait).await;
        }
    }

    /// Pushes until the queue is empty (or `stop`): batches of up to 500 events and 1 MiB,
    /// halved on 413 and on 400 to find the one event the cloud cannot take.
    pub async fn push_all(
        &mut self,
        app: &mut App,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> Result<PushReport, SyncError> {
        let mut report = PushReport::default();
        let mut max_batch = self.batch_limit;
        loop {
            if *stop.borrow() {
                return Ok(report);
            }
            let events = app.events_to_push(max_batch)?;
            if events.is_empty() {
                return Ok(report);
            }
            let bodies: Vec<String> = events.iter().map(OutgoingEvent::to_json).collect();
            let n = batch_len(bodies.iter().map(String::len), max_batch);
            let before = report;
            // Halves still to send, first half on top.
            let mut stack = vec![(0, n)];
            while let Some((from, to)) = stack.pop() {
                let batch = &events[from..to];
                report.requests += 1;
                match self.post_events(&bodies[from..to]).await? {
                    Post::Answer(a) => {
                        self.settle(app, batch, &a, &mut report)?;
                        // a full batch went through: the next may be a quarter larger
                        if to - from >= max_batch && stack.is_empty() {
                            max_batch = (max_batch + max_batch.div_ceil(4)).min(MAX_BATCH_EVENTS);
                            self.batch_limit = max_batch;
                        }
                    }
                    Post::TooLarge if to - from > 1 => {
                        let mid = from + (to - from) / 2;
                        max_batch = max_batch.min(mid - from).max(1);
                        // what the cloud takes is remembered for the next runs
                        self.batch_limit = max_batch;
                        stack.push((mid, to));
                        stack.push((from, mid));
                    }
                    Post::BadRequest(_) if to - from > 1 => {
                        let mid = from + (to - from) / 2;
                        max_batch = max_batch.min(mid - from).max(1);
                        stack.push((mid, to));
                        stack.push((from, mid));
                    }
                    Post::TooLarge => {
                        let why =
                            "云端认为单个事件过大（HTTP 413）/ the cloud found this one event too large (HTTP 413)";
                        app.settle_push(&[batch[0].seq], &[], &[(batch[0].seq, why.to_string())])?;
                        report.rejected += 1;
                    }
                    Post::BadRequest(text) => {
                        let why = format!(
                            "云端无法读取此事件（HTTP 400）：{text} / the cloud cannot read this event (HTTP 400): {text}"
                        );
                        app.settle_push(&[batch[0].seq], &[], &[(batch[0].seq, why)])?;
                        report.rejected += 1;
                    }
                }
            }
            if report.delivered + report.duplicates + report.rejected
                == before.delivered + before.duplicates + before.rejected
            {
                // The cloud answered without taking any of them: try later, not in a loop.
                return Err(SyncError::BadAnswer(
                    "回答未包含本批任何事件 / the answer named none of the batch's events".into(),
                ));
            }
        }
    }

    /// Marks what the answer says: accepted and duplicate delivered, rejected set aside,
    /// left out sent again later. Ids the batch did not hold are ignored.
    fn settle(
        &self,
        app: &mut App,
        batch: &[OutgoingEvent],
        a: &PushAnswer,
        report: &mut PushReport,
    ) -> Result<(), SyncError> {
        let index: std::collections::HashMap<&str, i64> = batch.iter().map(|e| (e.id.as_str(), e.seq)).collect();
        let lookup = |id: &str| index.get(id).copied();
        let mut delivered = Vec::new();
        let mut rejected = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (ids, dup) in [(&a.accepted, false), (&a.duplicates, true)] {
            for id in ids {
                if let Some(seq) = lookup(id)
                    && seen.insert(seq)
                {
                    delivered.push(seq);
                    if dup {
                        report.duplicates += 1;
                    } else {
                        report.delivered += 1;
                    }
                }
            }
        }
        for r in &a.rejected {
            if let Some(seq) = lookup(&r.id)
                && seen.insert(seq)
            {
                tracing::warn!(event = %r.id, reason = %r.reason, "the cloud rejected an event: set aside");
                rejected.push((seq, r.reason.clone()));
                report.rejected += 1;
            }
        }
        report.unanswered += batch.len() - seen.len();
        let sent: Vec<i64> = batch.iter().map(|e| e.seq).collect();
        app.settle_push(&sent, &delivered, &rejected)?;
        Ok(())
    }

    async fn post_events(&self, bodies: &[String]) -> Result<Post, SyncError> {
        let mut body = String::with_capacity(bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 16);
        body.push_str(r#"{"events":["#);
        for (i, b) in bodies.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(b);
        }
        body.push_str("]}");
        let resp = self
            .client
            .post(format!("{}/events", self.base))
            .timeout(self.timeout)
            .bearer_auth(self.token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = resp.status().as_u16();
        match status {
            200 => {
                let bytes = resp.bytes().await.map_err(|e| transport(&e))?;
                serde_json::from_slice(&bytes).map(Post::Answer).map_err(|e| SyncError::BadAnswer(e.to_string()))
            }
            413 => Ok(Post::TooLarge),
            400 => {
                let text = resp.text().await.map_err(|e| transport(&e))?;
                let error =
                    serde_json::from_str::<ErrorBody>(&text).map_or_else(|_| text.trim().to_string(), |b| b.error);
                Ok(Post::BadRequest(error))
            }
            _ => Err(Self::failure(resp).await),
        }
    }

    /// An answer that is not a success: the error it means.
    async fn failure(resp: reqwest::Response) -> SyncError {
        let status = resp.status().as_u16();
        let wait = crate::channels::retry_after(&resp);
        match status {
            401 | 403 => SyncError::Auth { status },
            429 | 503 => SyncError::Throttled { status, retry_after: wait.unwrap_or(Duration::from_secs(1)) },
            _ => {
                let body = resp.text().await.unwrap_or_default();
                SyncError::Server { status, body: body.chars().take(200).collect() }
            }
        }
    }

    /// Pulls pages until the cloud has no more (or `stop`), each applied with its cursor in
    /// one transaction.
    pub async fn pull_all(
        &mut self,
        app: &mut App,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> Result<PullReport, SyncError> {
        let mut report = PullReport::default();
        let mut restarted = false;
        loop {
            if *stop.borrow() {
                return Ok(report);
            }
            let cursor = app.pull_cursor()?;
            let mut url = format!("{}/changes?limit={MAX_PAGE}", self.base);
            if let Some(c) = &cursor {
                url.push_str("&cursor=");
                url.push_str(&encode_query(c));
            }
            let resp = self.client.get(url).bearer_auth(self.token.expose()).send().await.map_err(|e| transport(&e))?;
            match resp.status().as_u16() {
                200 => {}
                410 if !restarted && cursor.is_some() => {
                    tracing::warn!("the cloud no longer knows our cursor: pulling again from the start");
                    app.reset_pull_cursor()?;
                    restarted = true;
                    continue;
                }
                _ => return Err(Self::failure(resp).await),
            }
            let bytes = resp.bytes().await.map_err(|e| transport(&e))?;
            let page: ChangesPage = serde_json::from_slice(&bytes).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
            let applied = app.apply_page(&page)?;
            report.pages += 1;
            report.changes += page.changes.len();
            report.applied += applied;
            if !page.has_more {
                return Ok(report);
            }
            if cursor.as_deref() == Some(page.next_cursor.as_str()) && page.changes.is_empty() {
                return Err(SyncError::BadAnswer(
                    "has_more 为真但游标未前进 / has_more with a cursor that did not move".into(),
                ));
            }
        }
    }
}

/// Percent-encodes a query value (the cursor is opaque: anything may be in it).
fn encode_query(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cursors_are_encoded() {
        assert_eq!(super::encode_query("c12"), "c12");
        assert_eq!(super::encode_query("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
