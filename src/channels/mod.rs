//! The ways a message leaves the shop: SMS (Aliyun, Tencent Cloud), WeChat official-account
//! template messages, the WeCom and DingTalk group bots for staff, and a log channel for the
//! demo. Only this module (and `sync`) knows HTTP.
//!
//! Every channel answers a send with [`Delivery`] or a [`SendError`] that says whether trying
//! again later can help ([`SendError::is_permanent`]) and whether the next channel of the
//! route should be tried instead ([`SendError::falls_through`]). Endpoints come from the
//! configuration, so tests point them at servers on loopback.

pub mod bots;
pub mod relay;
pub mod sign;
pub mod sms;
pub mod wechat;

use std::time::Duration;

use thiserror::Error;

use crate::config::{self, Config};
use crate::domain::messages::Checked;

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A mainland mobile number, 11 digits.
    Phone(String),
    /// A WeChat official-account follower.
    OpenId(String),
    /// The staff group (WeCom / DingTalk bot, log).
    StaffGroup,
}

impl std::fmt::Display for Address {
    /// For logs: a phone number masked (138****1234), an openid shortened.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Phone(p) if p.len() == 11 => write!(f, "{}****{}", &p[..3], &p[7..]),
            Address::Phone(_) => f.write_str("(bad number)"),
            Address::OpenId(o) => write!(f, "openid:{}…", o.chars().take(6).collect::<String>()),
            Address::StaffGroup => f.write_str("staff group"),
        }
    }
}

/// One message as a channel sees it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The outbox's dedupe key (the relay passes it on: the cloud dedupes by it).
    pub key: String,
    /// transactional, marketing, staff
    pub kind: &'static str,
    /// After this the message is not worth sending.
    pub not_after: Option<chrono::DateTime<chrono::Utc>>,
    /// The outbox id (UUIDv7): sent along where a provider echoes it (Aliyun `OutId`,
    /// Tencent `SessionContext`), so a message can be traced at the provider.
    pub id: String,
    pub to: Address,
    /// Our template name (`reminder_day_before`, `staff_arrival`, ...).
    pub template: String,
    /// The template's named parameters, as strings.
    pub params: Vec<(String, String)>,
    /// The whole text, for channels that take free text (bots, log) and for the record.
    pub text: String,
    /// The provider's template ids for this message, from the configuration.
    pub provider_templates: config::ProviderTemplates,
    /// The parameters the template takes (its placeholders); empty: all of `params`.
    pub template_params: Vec<String>,
}

impl Outgoing {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The parameters a provider's template is sent: exactly the template's own, never the
    /// internal ones the shop keeps beside them (an appointment's id, its start time).
    pub fn template_values(&self) -> impl Iterator<Item = &(String, String)> {
        self.params.iter().filter(|(k, _)| self.template_params.is_empty() || self.template_params.contains(k))
    }
}

/// What a provider is asked about a send whose answer was lost.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// The outbox id we sent along (Aliyun `OutId`, Tencent `SessionContext`).
    pub id: &'a str,
    /// The number it went to.
    pub phone: &'a str,
    pub attempted_at: chrono::DateTime<chrono::Utc>,
}

/// A message a channel took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The channel's name (`aliyun_sms`, `wecom`, ...).
    pub via: &'static str,
    /// The provider's id for it (Aliyun BizId, Tencent SerialNo, WeChat msgid).
    pub provider_ref: Option<String>,
}

#[derive(Debug, Error)]
pub enum SendError {
    /// Worth trying again later: throttling, a 5xx, a connection that could not be made.
    /// The provider did not take the message.
    #[error("{channel}：暂时失败 {code}：{message} / {channel}: temporary failure {code}: {message}")]
    Retryable { channel: &'static str, code: String, message: String, retry_after: Option<Duration> },
    /// The request went out but its answer was lost (a timeout after sending, a connection
    /// reset, an unreadable 2xx): the provider may have taken the message. Never sent again
    /// blindly; resolved by asking the provider (`Channel::look_up`) or shown to a person.
    #[error("{channel}：结果未知 {code}：{message} / {channel}: outcome unknown {code}: {message}")]
    Unknown { channel: &'static str, code: String, message: String },
    /// Will fail again: a bad number, a template or signature not approved, a daily limit
    /// for the number, no balance, wrong keys.
    #[error("{channel}：发送失败 {code}：{message} / {channel}: failed {code}: {message}")]
    Final { channel: &'static str, code: String, message: String },
    /// The channel cannot reach this person (a WeChat user who does not follow the account
    /// or refused messages): the route's next channel should try.
    #[error("{channel}：对方未关注或拒收 {code} / {channel}: recipient not subscribed {code}")]
    NotSubscribed { channel: &'static str, code: String },
    /// The channel is not set up, or cannot address this recipient (no openid, no number).
    #[error("{channel}：{reason}")]
    Unusable { channel: &'static str, reason: String },
}

impl SendError {
    /// Whether trying this message again later can never help.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, SendError::Retryable { .. } | SendError::Unknown { .. })
    }

    /// Whether the provider may have taken the message although we have no answer.
    pub fn is_unknown(&self) -> bool {
        matches!(self, SendError::Unknown { .. })
    }

    /// For a request that sends nothing (a token fetch, a status query): a lost answer is
    /// just a temporary failure.
    pub fn nothing_sent(self) -> SendError {
        match self {
            SendError::Unknown { channel, code, message } => {
                SendError::Retryable { channel, code, message, retry_after: None }
            }
            other => other,
        }
    }

    /// A 2xx answer we could not read: the provider may have taken the message.
    pub(crate) fn unreadable(channel: &'static str, text: &str) -> SendError {
        SendError::Unknown { channel, code: "bad_answer".into(), message: text.chars().take(200).collect() }
    }

    /// Whether the route's next channel should be tried now.
    pub fn falls_through(&self) -> bool {
        matches!(self, SendError::NotSubscribed { .. } | SendError::Unusable { .. })
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The provider's code (for logs and the outbox's `last_error`).
    pub fn code(&self) -> &str {
        match self {
            SendError::Retryable { code, .. }
            | SendError::Unknown { code, .. }
            | SendError::Final { code, .. }
            | SendError::NotSubscribed { code, .. } => code,
            SendError::Unusable { .. } => "unusable",
        }
    }

    /// A transport error. Only a connection that was never made proves the provider has
    /// nothing; anything later (a timeout waiting for the answer, a reset, a body cut off)
    /// leaves the outcome unknown.
    pub(crate) fn from_http(channel: &'static str, e: &reqwest::Error) -> SendError {
        if e.is_connect() || e.is_builder() {
            return SendError::Retryable { channel, code: "connect".into(), message: e.to_string(), retry_after: None };
        }
        let code = if e.is_timeout() {
            "timeout"
        } else if e.is_decode() {
            "bad_answer"
        } else {
            "transport"
        };
        SendError::Unknown { channel, code: code.into(), message: e.to_string() }
    }

    /// An HTTP status the provider answered with, when the body says nothing better.
    pub(crate) fn from_status(
        channel: &'static str,
        status: reqwest::StatusCode,
        retry_after: Option<Duration>,
    ) -> SendError {
        let code = format!("HTTP {}", status.as_u16());
        let message = status.canonical_reason().unwrap_or("").to_string();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            SendError::Retryable { channel, code, message, retry_after }
        } else {
            SendError::Final { channel, code, message }
        }
    }
}

/// An answer's JSON body; a body that is not JSON is the HTTP status's error (a 5xx or 429
/// retried, others final) or, on a 2xx, an unknown outcome ("bad answer").
pub(crate) async fn json_answer<T: serde::de::DeserializeOwned>(
    channel: &'static str,
    resp: reqwest::Response,
) -> Result<T, SendError> {
    let status = resp.status();
    let wait = retry_after(&resp);
    match resp.json().await {
        Ok(a) => Ok(a),
        Err(_) if !status.is_success() => Err(SendError::from_status(channel, status, wait)),
        Err(e) => Err(SendError::from_http(channel, &e)),
    }
}

/// `Retry-After` in seconds, when the answer has one.
pub(crate) fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The one HTTP client of the daemon's channels: rustls, a timeout, our `User-Agent`, no
/// pooled connections.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // reqwest is built without a crypto provider (no aws-lc): ring becomes the process's
    // provider here, before the first client. A second call finds it installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("salonbox/", env!("CARGO_PKG_VERSION")))
        // No idle connections kept: messages are few, and an idle daemon sleeps without
        // polling the runtime, so a kept connection's closing would go unnoticed.
        .pool_max_idle_per_host(0)
        .build()
}

/// A channel that is set up.
#[derive(Debug)]
pub enum Channel {
    AliyunSms(sms::AliyunSms),
    TencentSms(sms::TencentSms),
    Wechat(wechat::WechatTemplate),
    Wecom(bots::Wecom),
    DingTalk(bots::DingTalk),
    Relay(relay::Relay),
    Log(LogChannel),
}

impl Channel {
    pub fn name(&self) -> &'static str {
        match self {
            Channel::AliyunSms(_) => "aliyun_sms",
            Channel::TencentSms(_) => "tencent_sms",
            Channel::Wechat(_) => "wechat",
            Channel::Wecom(_) => "wecom",
            Channel::DingTalk(_) => "dingtalk",
            Channel::Relay(_) => "relay",
            Channel::Log(_) => "log",
        }
    }

    /// Asks the provider what became of a send whose answer was lost, where it can be
    /// asked (`messages::Resolution::AskProvider`); `None` for a channel that cannot.
    pub async fn look_up(&self, q: &Query<'_>) -> Option<Result<Checked, SendError>> {
        match self {
            Channel::AliyunSms(c) => Some(c.look_up(q).await),
            Channel::TencentSms(c) => Some(c.look_up(q).await),
            _ => None,
        }
    }

    pub async fn send(&self, m: &Outgoing) -> Result<Delivery, SendError> {
        match self {
            Channel::AliyunSms(c) => c.send(m).await,
            Channel::TencentSms(c) => c.send(m).await,
            Channel::Wechat(c) => c.send(m).await,
            Channel::Wecom(c) => c.send(m).await,
            Channel::DingTalk(c) => c.send(m).await,
            Channel::Relay(c) => c.send(m).await,
            Channel::Log(c) => c.send(m),
        }
    }
}

/// A message's text as the journal may keep it: like the address (138****1234), the
/// personal parameters are masked: a customer's name keeps its first character (王**), a
/// comment only its length.
pub fn journal_text(m: &Outgoing) -> String {
    let mut text = m.text.clone();
    for (k, v) in &m.params {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let masked = match k.as_str() {
            "name" | "customer" => {
                let mut c = v.chars();
                c.next().map(|first| format!("{first}{}", "*".repeat(c.count()))).unwrap_or_default()
            }
            "comment" => format!("（留言 {} 字 / a comment of {} characters）", v.chars().count(), v.chars().count()),
            _ => continue,
        };
        text = text.replace(v, &masked);
    }
    text
}

/// The demo's channel: writes the message to the log with its personal parameters masked
/// (`journal_text`), and keeps it whole in memory, for the demo's summary and tests.
#[derive(Debug, Default)]
pub struct LogChannel {
    sent: std::sync::Mutex<Vec<(Address, String)>>,
}

impl LogChannel {
    fn send(&self, m: &Outgoing) -> Result<Delivery, SendError> {
        tracing::info!(target: "salonbox::messages", to = %m.to, template = %m.template, "{}", journal_text(m));
        self.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((m.to.clone(), m.text.clone()));
        Ok(Delivery { via: "log", provider_ref: None })
    }

    /// Everything "sent" so far.
    pub fn sent(&self) -> Vec<(Address, String)> {
        self.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Every channel the configuration sets up, by name (`sms` names the configured SMS
/// provider).
#[derive(Debug)]
pub struct Channels {
    pub channels: Vec<Channel>,
}

impl Channels {
    pub fn from_config(config: &Config, client: &reqwest::Client) -> Channels {
        let c = &config.channels;
        let mut channels = Vec::new();
        match c.sms_provider {
            config::SmsProvider::Aliyun => {
                if let Some(a) = &c.aliyun {
                    channels.push(Channel::AliyunSms(sms::AliyunSms::new(a.clone(), client.clone())));
                }
            }
            config::SmsProvider::Tencent => {
                if let Some(t) = &c.tencent {
                    channels.push(Channel::TencentSms(sms::TencentSms::new(t.clone(), client.clone())));
                }
            }
            config::SmsProvider::Relay => match relay::Relay::new(&config.cloud, config.shop.time_zone, client.clone())
            {
                Some(r) => channels.push(Channel::Relay(r)),
                None => tracing::warn!(
                    "sms_provider = \"relay\" needs [cloud] enabled, a device token and an https base_url: no SMS channel"
                ),
            },
            config::SmsProvider::None => {}
        }
        if let Some(w) = &c.wechat {
            channels.push(Channel::Wechat(wechat::WechatTemplate::new(w.clone(), client.clone())));
        }
        if let Some(url) = &c.wecom_webhook {
            channels.push(Channel::Wecom(bots::Wecom::new(url.clone(), client.clone())));
        }
        if let Some(url) = &c.dingtalk_webhook {
            channels.push(Channel::DingTalk(bots::DingTalk::new(
                url.clone(),
                c.dingtalk_secret.clone(),
                client.clone(),
            )));
        }
        if c.log {
            channels.push(Channel::Log(LogChannel::default()));
        }
        Channels { channels }
    }

    /// The channel a route entry names: a channel's own name, or `sms` for whichever SMS
    /// provider is set up.
    pub fn get(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| {
            c.name() == name
                || (name == "sms" && matches!(c, Channel::AliyunSms(_) | Channel::TencentSms(_) | Channel::Relay(_)))
        })
    }

    pub fn log(&self) -> Option<&LogChannel> {
        self.channels.iter().find_map(|c| match c {
            Channel::Log(l) => Some(l),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_never_holds_a_customers_name_or_comment() {
        let m = Outgoing {
            key: "low_rating:1".into(),
            kind: "staff",
            not_after: None,
            id: "1".into(),
            to: Address::Phone("13812345678".into()),
            template: "low_rating".into(),
            params: vec![
                ("customer".into(), "欧阳娜娜".into()),
                ("comment".into(), "等太久了".into()),
                ("rating".into(), "1".into()),
            ],
            text: "【差评提醒】欧阳娜娜 给 11-23 的 面部（李娜）打了 1 星：等太久了".into(),
            provider_templates: Default::default(),
            template_params: Vec::new(),
        };
        let j = journal_text(&m);
        assert!(!j.contains("欧阳娜娜") && !j.contains("等太久了"), "{j}");
        assert!(j.contains("欧***") && j.contains("1 星") && j.contains("留言 4 字"), "{j}");
    }
}
