//! Staff-group bots: WeCom (企业微信) and DingTalk (signed webhook). Both take a JSON text
//! message and answer `{"errcode": 0, "errmsg": "ok"}`.

use chrono::Utc;
use serde::Deserialize;

use super::{Delivery, Outgoing, SendError, sign};
use crate::config::Secret;

/// The bots refuse a text over 2,048 bytes (WeCom's limit, the smaller of the two).
pub const MAX_TEXT_BYTES: usize = 2048;

/// `text` cut to at most `max` bytes at a character boundary, with "…" when cut.
pub fn fit(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return text.into();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end]).into()
}

#[derive(Deserialize)]
struct BotAnswer {
    errcode: Option<i64>,
    errmsg: Option<String>,
}

async fn post_text(
    channel: &'static str,
    client: &reqwest::Client,
    url: &str,
    text: &str,
    retryable_codes: &[i64],
) -> Result<Delivery, SendError> {
    let body = serde_json::json!({ "msgtype": "text", "text": { "content": fit(text, MAX_TEXT_BYTES) } });
    let resp = client.post(url).json(&body).send().await.map_err(|e| SendError::from_http(channel, &e))?;
    let wait = super::retry_after(&resp);
    let answer: BotAnswer = super::json_answer(channel, resp).await?;
    match answer.errcode.unwrap_or(0) {
        0 => Ok(Delivery { via: channel, provider_ref: None }),
        code if code == -1 || retryable_codes.contains(&code) => Err(SendError::Retryable {
            channel,
            code: code.to_string(),
            message: answer.errmsg.unwrap_or_default(),
            retry_after: wait,
        }),
        code => Err(SendError::Final { channel, code: code.to_string(), message: answer.errmsg.unwrap_or_default() }),
    }
}

#[derive(Debug)]
pub struct Wecom {
    webhook: Secret,
    client: reqwest::Client,
}

impl Wecom {
    pub fn new(webhook: Secret, client: reqwest::Client) -> Wecom {
        Wecom { webhook, client }
    }

    pub async fn send(&self, m: &Outgoing) -> Result<Delivery, SendError> {
        // 45009: more than 20 messages a minute.
        post_text("wecom", &self.client, self.webhook.expose(), &m.text, &[45009]).await
    }
}

#[derive(Debug)]
pub struct DingTalk {
    webhook: Secret,
    secret: Option<Secret>,
    client: reqwest::Client,
}

impl DingTalk {
    pub fn new(webhook: Secret, secret: Option<Secret>, client: reqwest::Client) -> DingTalk {
        DingTalk { webhook, secret, client }
    }

    /// The webhook URL, signed when a secret is set.
    pub fn url(&self, timestamp_ms: i64) -> String {
        let base = self.webhook.expose();
        match &self.secret {
            Some(s) => {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}timestamp={timestamp_ms}&sign={}", sign::dingtalk(s.expose(), timestamp_ms))
            }
            None => base.to_string(),
        }
    }

    pub async fn send(&self, m: &Outgoing) -> Result<Delivery, SendError> {
        // 130101: sending too fast (20 a minute).
        post_text("dingtalk", &self.client, &self.url(Utc::now().timestamp_millis()), &m.text, &[130_101]).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_text_is_cut_to_the_bots_limit_at_a_character() {
        let long = "顾客到店".repeat(300);
        let cut = super::fit(&long, super::MAX_TEXT_BYTES);
        assert!(cut.len() <= super::MAX_TEXT_BYTES && cut.ends_with('…'), "{}", cut.len());
        assert_eq!(super::fit("短", super::MAX_TEXT_BYTES), "短");
    }
}
