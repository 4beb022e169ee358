//! What happens to a message between the outbox and a channel, without the network: is it
//! still worth sending (the appointment not moved, the customer still waiting), may it go
//! now (consent, opt-out, the hours, the per-number daily cap), to which addresses, with
//! which text. The daemon's sender calls these and only adds the channels.
//!
//! Architecture Invariant: a message is claimed (`sending`, committed) before any channel
//! is called, and settled after; a claim left over by a crash becomes `unknown`, never a
//! second send.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{App, Result};
use crate::config::ProviderTemplates;
use crate::domain::customer::{Gender, greeting_name};
pub use crate::domain::messages::Checked;
use crate::domain::messages::{self, Kind};
use crate::domain::time::{business_date, day_bounds};
use crate::store::{Notification, Tx};

/// How long after a check-in its staff alert is still worth sending.
pub const ARRIVAL_ALERT_WINDOW: Duration = Duration::minutes(30);

/// A message ready for the channels.
#[derive(Debug, Clone, Serialize)]
pub struct Prepared {
    pub key: String,
    pub id: String,
    pub template: String,
    pub kind: &'static str,
    pub text: String,
    #[serde(skip)]
    pub params: Vec<(String, String)>,
    /// Channel names to try, in order.
    pub route: Vec<String>,
    pub phone: Option<String>,
    pub openid: Option<String>,
    /// For the staff group (bots, log) rather than a person.
    pub staff_group: bool,
    #[serde(skip)]
    pub provider_templates: ProviderTemplates,
    /// The parameters the template takes (its placeholders): all a provider is sent.
    #[serde(skip)]
    pub template_params: Vec<String>,
    pub attempts: i64,
    pub not_after: Option<DateTime<Utc>>,
}

/// What to do with a due message now.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "plan", rename_all = "snake_case")]
pub enum Plan {
    Send(Box<Prepared>),
    /// Not yet: quiet hours, the daily cap.
    Later {
        key: String,
        until: DateTime<Utc>,
        reason: String,
    },
    /// Never: past its time, no consent, the appointment moved.
    Drop {
        key: String,
        reason: String,
    },
}

impl App {
    /// Messages due now (arrival alerts of the last half hour first).
    pub fn due_messages(&mut self, limit: u32) -> Result<Vec<Notification>> {
        let now = self.now();
        Ok(self.store.read(|tx| tx.due_notifications(now, ARRIVAL_ALERT_WINDOW, limit))?)
    }

    /// Decides what to do with a due message, reading the shop as it is now.
    pub fn plan_message(&mut self, n: &Notification) -> Result<Plan> {
        let now = self.now();
        let config = &self.config;
        self.store.read(|tx| plan_in(tx, config, n, now))
    }

    /// Applies a plan that does not send: `Later` and `Drop`.
    pub fn settle_plan(&mut self, plan: &Plan) -> Result<()> {
        let now = self.now();
        self.store.write(|tx| {
            match plan {
                Plan::Later { key, until, reason } => tx.settle_later(key, reason, *until, now)?,
                Plan::Drop { key, reason } => tx.settle_final(key, "dropped", reason, now)?,
                Plan::Send(_) => {}
            }
            Ok(())
        })
    }

    /// `pending` → `sending`, committed before any channel is called.
    pub fn claim_message(&mut self, key: &str) -> Result<bool> {
        let now = self.now();
        Ok(self.store.write(|tx| tx.claim_notification(key, now))?)
    }

    pub fn message_sent(
        &mut self,
        key: &str,
        via: &str,
        provider_ref: Option<&str>,
        recipient: Option<&str>,
    ) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| tx.settle_sent(key, via, provider_ref, recipient, now))?)
    }

    pub fn message_retry(&mut self, key: &str, reason: &str, at: DateTime<Utc>) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| tx.settle_later(key, reason, at, now))?)
    }

    pub fn message_failed(&mut self, key: &str, reason: &str) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| tx.settle_final(key, "failed", reason, now))?)
    }

    pub fn message_dropped(&mut self, key: &str, reason: &str) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| tx.settle_final(key, "dropped", reason, now))?)
    }

    /// Before a channel is tried (its own commit): a crash during the send then leaves
    /// the channel to ask.
    pub fn message_attempt(&mut self, key: &str, via: &str, to: Option<&str>) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| tx.record_attempt(key, via, to, now))?)
    }

    /// A send through `via` whose answer was lost: settled as the channel allows
    /// (`settle_unknown_as`), the provider first asked after `messages::RESOLVE_FIRST`.
    pub fn message_unknown(&mut self, key: &str, via: &str, reason: &str) -> Result<()> {
        let now = self.now();
        let ask_at = now + Duration::from_std(messages::RESOLVE_FIRST).unwrap_or(Duration::seconds(30));
        Ok(self.store.write(|tx| settle_unknown_as(tx, key, via, reason, ask_at, now))?)
    }

    /// Unknown outcomes whose look at the provider is due.
    pub fn unknown_due(&mut self, limit: usize) -> Result<Vec<Notification>> {
        let now = self.now();
        Ok(self.store.read(|tx| tx.unknown_due(now, limit))?)
    }

    /// The earliest of the next due message and the next look at a provider.
    pub fn next_message_work(&mut self) -> Result<Option<DateTime<Utc>>> {
        Ok(self.store.read(|tx| {
            let a = tx.next_notification_due()?;
            let b = tx.next_check_due()?;
            Ok::<_, crate::store::StoreError>(match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            })
        })?)
    }

    /// What the provider said about an unknown outcome (`n` as `unknown_due` gave it).
    pub fn message_checked(&mut self, n: &Notification, answer: Checked) -> Result<CheckOutcome> {
        let now = self.now();
        let key = n.dedupe_key.as_str();
        let via = n.attempt_via.as_deref().unwrap_or("");
        let resolution = messages::Resolution::for_channel(via);
        let next = |checks: i64| {
            (checks + 1 < messages::RESOLVE_TRIES)
                .then(|| now + backoff(checks + 1, messages::RESOLVE_FIRST, messages::RESOLVE_MAX))
        };
        let outcome = match answer {
            Checked::Sent { provider_ref } => {
                self.store.write(|tx| tx.settle_sent(key, via, provider_ref.as_deref(), None, now))?;
                CheckOutcome::Sent
            }
            Checked::Failed { reason } => {
                let reason = format!("服务商已收下但未送达 / the provider took it but could not deliver it: {reason}");
                self.store.write(|tx| tx.settle_final(key, "failed", &reason, now))?;
                CheckOutcome::Failed
            }
            Checked::NotFound => {
                let settle = match resolution {
                    messages::Resolution::AskProvider { settle, if_none } => Some((settle, if_none)),
                    _ => None,
                };
                let attempted = n.attempt_at.unwrap_or(n.created_at);
                match settle {
                    Some((settle, if_none)) if now - attempted >= settle => match if_none {
                        messages::IfNone::SendAgain => {
                            let reason =
                                "服务商没有这条消息的记录，重新发送 / the provider has no record of it: sending again";
                            self.store.write(|tx| tx.settle_later(key, reason, now, now))?;
                            CheckOutcome::SendAgain
                        }
                        messages::IfNone::AskPerson => {
                            let reason = format!(
                                "服务商尚无回执，无法确认是否发出；{} / no receipt from the provider yet: cannot tell whether it went out",
                                ask_person_note(via)
                            );
                            self.store.write(|tx| tx.settle_unknown(key, &reason, None, true, now))?;
                            CheckOutcome::AskPerson
                        }
                    },
                    _ => {
                        // Too early to conclude: look again, at the latest when the record
                        // must be there.
                        let settle_at = attempted + settle.map_or(Duration::zero(), |s| s.0);
                        let again = now + backoff(n.checks + 1, messages::RESOLVE_FIRST, messages::RESOLVE_MAX);
                        let at = again.min(settle_at).max(now + Duration::seconds(5));
                        let reason = "结果未知：等待服务商的记录 / outcome unknown: waiting for the provider's record";
                        self.store.write(|tx| tx.settle_unknown(key, reason, Some(at), true, now))?;
                        CheckOutcome::Waiting
                    }
                }
            }
            Checked::Unanswered { reason } => {
                let at = next(n.checks);
                let text = match at {
                    Some(_) => format!(
                        "结果未知，查询失败，稍后再查 / outcome unknown, the query failed, asking again later: {reason}"
                    ),
                    None => format!(
                        "结果未知，多次查询失败；{} / outcome unknown and the provider could not be asked: {reason}",
                        ask_person_note(via)
                    ),
                };
                self.store.write(|tx| tx.settle_unknown(key, &text, at, true, now))?;
                if at.is_some() { CheckOutcome::Waiting } else { CheckOutcome::AskPerson }
            }
        };
        Ok(outcome)
    }

    /// At daemon start: sends cut off before any channel was tried go back to `pending`;
    /// those cut off during a request are settled like a lost answer (`settle_unknown_as`:
    /// a provider that can be asked is asked at once); arrival alerts too old to matter
    /// are dropped. Returns the keys cut off during a request and the number dropped.
    pub fn recover_messages(&mut self) -> Result<(Vec<String>, usize)> {
        let now = self.now();
        Ok(self.store.write(|tx| {
            let mut cut = Vec::new();
            for (key, via) in tx.mark_interrupted_sends(now)? {
                let reason = "发送中断，是否已发出未知 / interrupted while sending: may or may not have gone out";
                settle_unknown_as(tx, &key, &via, reason, now, now)?;
                cut.push(key);
            }
            let stale = tx.drop_stale_arrival_alerts(now, ARRIVAL_ALERT_WINDOW)?;
            Ok::<_, crate::store::StoreError>((cut, stale))
        })?)
    }

    /// `salonbox notify settle`: a person found out (asked the customer, looked at the
    /// provider's console) that a message whose outcome was unknown did go out.
    pub fn confirm_message_sent(&mut self, key: &str, actor: &str) -> Result<Notification> {
        let now = self.now();
        self.store.write(|tx| {
            let n = tx.notification(key)?;
            if n.status != "unknown" {
                return Err(super::AppError::input(
                    "消息 message",
                    format!(
                        "只有结果未知（unknown）的消息可以确认为已发送，这条是 {} / only a message whose outcome is unknown can be confirmed as sent; this one is {}",
                        n.status, n.status
                    ),
                ));
            }
            let via = n.attempt_via.clone().unwrap_or_else(|| "unknown".into());
            tx.settle_sent(&n.dedupe_key, &via, None, None, now)?;
            tx.audit(now, actor, "notification.confirm_sent", "notification", &n.id, &serde_json::json!({ "key": n.dedupe_key }))?;
            Ok(tx.notification(&n.dedupe_key)?)
        })
    }

    /// Messages a person should look at: `(unknown and waiting for a person, failed since
    /// `since`)`. Unknown ones still being resolved with their provider are not counted.
    pub fn message_problems(&mut self, since: DateTime<Utc>) -> Result<(i64, i64)> {
        Ok(self.store.read(|tx| tx.message_problems(since))?)
    }

    /// Every message template: what it says now and where that comes from.
    pub fn message_templates(&mut self) -> Result<Vec<TemplateView>> {
        let conf = self.config.messages.templates.clone();
        self.store.read(|tx| {
            messages::TEMPLATES
                .iter()
                .map(|(name, kind, default)| {
                    let c = conf.get(*name);
                    let file = c.and_then(|c| c.text.clone());
                    let custom = tx.setting(&template_key(name))?;
                    Ok(TemplateView {
                        name: (*name).to_string(),
                        label: messages::label(name),
                        kind: *kind,
                        in_force: custom.clone().or_else(|| file.clone()).unwrap_or_else(|| (*default).to_string()),
                        default: (*default).to_string(),
                        file,
                        custom,
                        allowed: allowed_placeholders(name, c.and_then(|c| c.text.as_deref())),
                        providers: c.map(|c| c.providers.clone()).unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    /// Sets the text a template says (`None`: back to the file's or the default), checked
    /// against the placeholders the template is given; audited.
    pub fn set_template_text(&mut self, template: &str, text: Option<&str>, actor: &str) -> Result<()> {
        if !messages::is_template(template) || template == "campaign" {
            return Err(super::AppError::input(
                "模板 template",
                format!("没有可修改的模板「{template}」/ no template \"{template}\" to change"),
            ));
        }
        let file = self.config.messages.templates.get(template).and_then(|c| c.text.clone());
        if let Some(t) = text {
            messages::check_text(t, &allowed_placeholders(template, file.as_deref()))
                .map_err(|m| super::AppError::input("内容 text", m))?;
        }
        let now = self.now();
        self.store.write(|tx| {
            match text {
                Some(t) => tx.set_setting(&template_key(template), t.trim())?,
                None => tx.delete_setting(&template_key(template))?,
            }
            tx.audit(now, actor, "template.text", "template", template, &serde_json::json!({ "text": text }))?;
            Ok(())
        })
    }

    /// A template's text filled with made-up values, as a customer would read it.
    pub fn template_preview(&self, template: &str, text: &str) -> String {
        let kind = messages::kind_of(template).unwrap_or(Kind::Transactional);
        messages::render(template, Some(text), kind, &messages::sample_params(&self.config.shop.name))
    }

    /// Customers who opted out of marketing (replied 退订, or withdrew at the desk), newest first.
    pub fn opt_outs(&mut self, limit: u32) -> Result<Vec<crate::store::OptOut>> {
        Ok(self.store.read(|tx| tx.opt_outs(limit))?)
    }

    /// `salonbox notifications list`.
    pub fn list_messages(&mut self, status: Option<&str>, limit: u32) -> Result<Vec<Notification>> {
        Ok(self.store.read(|tx| tx.notifications(status, limit))?)
    }

    /// `salonbox notifications retry`: a staff member decided a failed, unknown or dropped
    /// message should go (again).
    pub fn retry_message(&mut self, key: &str, actor: &str) -> Result<Notification> {
        let now = self.now();
        self.store.write(|tx| {
            let n = tx.notification(key)?;
            if !tx.requeue_notification(&n.dedupe_key, now)? {
                return Err(super::AppError::input(
                    "消息 message",
                    format!(
                        "状态为 {} 的消息不能重发（只有 failed / unknown / dropped 可以）/ a message in state {} cannot be retried (only failed, unknown or dropped)",
                        n.status, n.status
                    ),
                ));
            }
            tx.audit(now, actor, "notification.retry", "notification", &n.id, &serde_json::json!({ "key": n.dedupe_key }))?;
            Ok(tx.notification(&n.dedupe_key)?)
        })
    }

    /// Queues a test message to an address (`salonbox notify test`).
    pub fn queue_test_message(&mut self, to: &str, actor: &str) -> Result<String> {
        let now = self.now();
        let key = format!("test:{}", crate::store::fresh_id());
        let (audience, recipient) =
            if to == "staff" { ("staff_group", None) } else { ("direct", Some(to.to_string())) };
        self.store.write(|tx| {
            tx.enqueue_notification(
                &crate::store::NewNotification {
                    dedupe_key: key.clone(),
                    kind: if audience == "staff_group" { "staff" } else { "transactional" },
                    audience,
                    customer_id: None,
                    recipient,
                    template: "test",
                    params: "{}".into(),
                    not_before: now,
                    not_after: Some(now + Duration::hours(1)),
                },
                now,
            )?;
            tx.audit(now, actor, "notification.test", "notification", &key, &serde_json::json!({ "to": to }))?;
            Ok::<_, crate::store::StoreError>(())
        })?;
        Ok(key)
    }
}

/// Where an unknown outcome stands after a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Sent,
    Failed,
    SendAgain,
    Waiting,
    AskPerson,
}

/// Settles a send through `via` whose outcome is not known, as the channel allows
/// (`messages::Resolution`): sent again now (a channel that drops copies), the provider
/// asked at `ask_at`, or left to a person with what to do. The one place that decides.
fn settle_unknown_as(
    tx: &Tx<'_>,
    key: &str,
    via: &str,
    reason: &str,
    ask_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> std::result::Result<(), crate::store::StoreError> {
    match messages::Resolution::for_channel(via) {
        messages::Resolution::SendAgain => tx.settle_later(key, reason, now, now),
        messages::Resolution::AskProvider { .. } => tx.settle_unknown(key, reason, Some(ask_at), false, now),
        messages::Resolution::AskPerson => {
            tx.settle_unknown(key, &format!("{reason}；{}", ask_person_note(via)), None, false, now)
        }
    }
}

/// What a person is asked to do about a message nobody can settle.
fn ask_person_note(via: &str) -> String {
    format!(
        "{via} 无法查询是否已发出：请确认顾客是否收到，再用 salonbox notifications retry 重发或 salonbox notifications settle 标为已发 / {via} cannot be asked whether it went out: check with the customer, then `salonbox notifications retry` or `salonbox notifications settle`"
    )
}

fn plan_in(tx: &Tx<'_>, config: &crate::config::Config, n: &Notification, now: DateTime<Utc>) -> Result<Plan> {
    let drop = |reason: &str| Ok(Plan::Drop { key: n.dedupe_key.clone(), reason: reason.to_string() });
    if n.not_after.is_some_and(|t| t < now) {
        return drop("已过有效时间 / past its useful time");
    }
    let kind = Kind::parse(&n.kind).unwrap_or(Kind::Transactional);
    if let Some(reason) = still_relevant(tx, n)? {
        return drop(&reason);
    }
    let m = &config.messages;
    let tz = tx.tz();
    let mut params = messages::params_from_json(&n.params);
    // Keys starting with `_` are for the sender (a campaign's provider ids), not the text.
    params.retain(|(k, _)| !k.starts_with('_'));
    params.push(("shop".into(), config.shop.name.clone()));
    let (mut phone, mut openid) = (None, None);
    match n.audience.as_str() {
        "customer" => {
            let Some(customer) = n.customer_id.as_deref() else {
                return drop("没有顾客 / no customer");
            };
            let c = tx.contact(customer)?;
            if c.deleted {
                return drop("顾客已删除 / customer deleted");
            }
            if kind == Kind::Marketing && (!c.marketing_consent || c.opted_out) {
                return drop("顾客未同意接收营销消息或已退订 / no marketing consent, or opted out");
            }
            phone = c.phone;
            openid = c.wechat_openid;
            if phone.is_none() && openid.is_none() {
                return drop("顾客没有手机号或微信 / no phone number or WeChat");
            }
            if !params.iter().any(|(k, _)| k == "name") {
                params.push(("name".into(), greeting_name(&c.name, Gender::from_db(&c.gender))));
            }
        }
        "direct" => {
            let to = n.recipient.clone().unwrap_or_default();
            if to.chars().all(|c| c.is_ascii_digit()) && to.len() == 11 {
                phone = Some(to);
            } else if !to.is_empty() {
                openid = Some(to);
            } else {
                return drop("没有收件人 / no recipient");
            }
        }
        _ => {}
    }
    // The owner's messages (the daily summary) go to the owner's own number when one is
    // configured, else to the staff group.
    if n.audience == "owner" {
        phone = m.owner_phone.clone();
    }
    let staff_group = n.audience == "staff_group" || (n.audience == "owner" && phone.is_none());
    // A test message is sent when staff ask for it, whatever the hour; staff and the owner
    // get theirs at once.
    if !staff_group && n.template != "test" && kind != Kind::Staff {
        let open = messages::send_window(kind, &m.marketing_hours, &m.transactional_hours, now, tz);
        if open > now {
            return Ok(Plan::Later {
                key: n.dedupe_key.clone(),
                until: open,
                reason: "等待可发送时段 / waiting for sending hours".into(),
            });
        }
        let day = day_bounds(business_date(now, tz), tz);
        for address in [phone.as_deref(), openid.as_deref()].into_iter().flatten() {
            if tx.sent_to_since(address, day.start)? >= i64::from(m.daily_cap_per_number) {
                let tomorrow = messages::send_window(kind, &m.marketing_hours, &m.transactional_hours, day.end, tz);
                return Ok(Plan::Later {
                    key: n.dedupe_key.clone(),
                    until: tomorrow,
                    reason: format!(
                        "今天已给该号码发了 {0} 条 / {0} messages sent to this number today",
                        m.daily_cap_per_number
                    ),
                });
            }
        }
    }
    messages::derive(&n.template, &mut params);
    let conf = m.templates.get(&n.template);
    // the owner's text (back office) over the file's over the default; the providers'
    // registered templates keep their own parameters (`template_params` below)
    let custom = tx.setting(&template_key(&n.template))?;
    let text = messages::render(&n.template, custom.as_deref().or(conf.and_then(|c| c.text.as_deref())), kind, &params);
    Ok(Plan::Send(Box::new(Prepared {
        key: n.dedupe_key.clone(),
        id: n.id.clone(),
        template: n.template.clone(),
        kind: kind.as_str(),
        text,
        params,
        route: m.route(&n.template, kind.as_str()).to_vec(),
        phone,
        openid,
        staff_group,
        provider_templates: campaign_templates(&n.params)
            .unwrap_or_else(|| conf.map(|c| c.providers.clone()).unwrap_or_default()),
        template_params: messages::template_params(&n.template, conf.and_then(|c| c.text.as_deref())),
        attempts: n.attempts,
        not_after: n.not_after,
    })))
}

/// Where the owner's text of a template is kept (`settings`).
fn template_key(template: &str) -> String {
    format!("template.{template}")
}

/// The placeholders a template's text may use: those of its default and the file's text.
fn allowed_placeholders(template: &str, file: Option<&str>) -> Vec<String> {
    let mut out = messages::placeholders(messages::default_text(template).unwrap_or(""));
    for p in messages::placeholders(file.unwrap_or("")) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// A message template as the back office shows it.
#[derive(Debug, Clone)]
pub struct TemplateView {
    pub name: String,
    pub label: &'static str,
    pub kind: Kind,
    /// What it says now: the owner's text, else the file's, else the default.
    pub in_force: String,
    pub default: String,
    pub file: Option<String>,
    pub custom: Option<String>,
    /// The placeholders it may use.
    pub allowed: Vec<String>,
    /// The providers' registered templates (from the configuration file).
    pub providers: ProviderTemplates,
}

/// A campaign carries its own provider template ids in its parameters.
fn campaign_templates(p: &serde_json::Value) -> Option<crate::config::ProviderTemplates> {
    p.get("_campaign")?;
    let s = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Some(crate::config::ProviderTemplates {
        aliyun: s("_aliyun"),
        tencent: s("_tencent"),
        tencent_params: vec!["text".into()],
        wechat: s("_wechat"),
    })
}

/// Why a message no longer makes sense, if it does not: a reminder for an appointment that
/// was cancelled, moved or has begun; a "your turn is near" for someone no longer waiting.
fn still_relevant(tx: &Tx<'_>, n: &Notification) -> Result<Option<String>> {
    let p = &n.params;
    match n.template.as_str() {
        "reminder_day_before" | "reminder_2h" => {
            let Some(id) = p["appointment_id"].as_str() else { return Ok(None) };
            let a = match tx.appointment(id) {
                Ok(a) => a,
                Err(crate::store::StoreError::NotFound { .. }) => {
                    return Ok(Some("预约不存在 / appointment gone".into()));
                }
                Err(e) => return Err(e.into()),
            };
            if a.status != crate::domain::model::AppointmentStatus::Booked {
                return Ok(Some(format!("预约状态为 {} / appointment is {}", a.status.as_str(), a.status.as_str())));
            }
            if p["starts_at"].as_i64().is_some_and(|t| t != a.starts_at.timestamp_millis()) {
                return Ok(Some("预约已改期 / appointment moved".into()));
            }
            Ok(None)
        }
        "queue_near" => {
            let Some(id) = p["entry_id"].as_str() else { return Ok(None) };
            match tx.queue_entry(id) {
                Ok(e) if e.status == crate::domain::queue::QueueStatus::Waiting => Ok(None),
                Ok(_) => Ok(Some("已不在等候 / no longer waiting".into())),
                Err(crate::store::StoreError::NotFound { .. }) => Ok(Some("排队记录不存在 / queue entry gone".into())),
                Err(e) => Err(e.into()),
            }
        }
        _ => Ok(None),
    }
}

/// The wait before retry `attempt` (1-based): `first`, doubling, at most `max`, with up to
/// a fifth more at random so that many messages failing together do not retry together.
pub fn backoff(attempt: i64, first: std::time::Duration, max: std::time::Duration) -> Duration {
    let exp = u32::try_from(attempt.clamp(1, 30) - 1).unwrap_or(0);
    let base = first.saturating_mul(2u32.saturating_pow(exp)).min(max);
    let jitter = base.mul_f64(rand::random::<f64>() * 0.2);
    Duration::from_std(base + jitter).unwrap_or(Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_ceiling_with_jitter() {
        let first = std::time::Duration::from_secs(30);
        let max = std::time::Duration::from_secs(3600);
        let b1 = backoff(1, first, max).num_seconds();
        assert!((30..=36).contains(&b1), "{b1}");
        let b3 = backoff(3, first, max).num_seconds();
        assert!((120..=144).contains(&b3), "{b3}");
        let b20 = backoff(20, first, max).num_seconds();
        assert!((3600..=4320).contains(&b20), "{b20}");
    }
}
