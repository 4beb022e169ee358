//! WeChat official-account template messages. One owner (this struct) caches the access
//! token (valid 7200 s; refreshed a few minutes early), refreshes it once when WeChat says it
//! is invalid or expired (40001, 42001), and reports a follower who does not follow or
//! refused messages (43004, 43101) as not subscribed, so the route falls back to SMS.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::{Address, Delivery, Outgoing, SendError, sign};
use crate::config;

const WECHAT: &str = "wechat";
/// Refresh this long before WeChat's own expiry.
const EARLY: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub struct WechatTemplate {
    conf: config::Wechat,
    client: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
    errcode: Option<i64>,
    errmsg: Option<String>,
}

#[derive(Deserialize)]
struct SendAnswer {
    errcode: Option<i64>,
    errmsg: Option<String>,
    msgid: Option<serde_json::Value>,
}

impl WechatTemplate {
    pub fn new(conf: config::Wechat, client: reqwest::Client) -> WechatTemplate {
        WechatTemplate { conf, client, token: Mutex::new(None) }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.conf.endpoint.trim_end_matches('/'))
    }

    /// The cached token, or a fresh one. Holding the lock while fetching means one fetch
    /// at a time, however many messages want a token.
    async fn token(&self, force: bool) -> Result<String, SendError> {
        let mut slot = self.token.lock().await;
        if !force
            && let Some((t, until)) = slot.as_ref()
            && Instant::now() < *until
        {
            return Ok(t.clone());
        }
        let resp = self
            .client
            .get(format!(
                "{}?grant_type=client_credential&appid={}&secret={}",
                self.url("/cgi-bin/token"),
                sign::percent_encode(&self.conf.app_id),
                sign::percent_encode(self.conf.app_secret.expose())
            ))
            .send()
            .await
            .map_err(|e| SendError::from_http(WECHAT, &e).nothing_sent())?;
        let answer: TokenAnswer = super::json_answer(WECHAT, resp).await.map_err(SendError::nothing_sent)?;
        match answer {
            TokenAnswer { access_token: Some(t), expires_in, .. } => {
                let life = Duration::from_secs(expires_in.unwrap_or(7200)).saturating_sub(EARLY);
                *slot = Some((t.clone(), Instant::now() + life));
                tracing::debug!(valid_for = ?life, "wechat access token refreshed");
                Ok(t)
            }
            TokenAnswer { errcode, errmsg, .. } => {
                *slot = None;
                Err(wechat_error(errcode.unwrap_or(-1), errmsg.unwrap_or_default()))
            }
        }
    }

    /// Drops the cached token (WeChat said it is no longer valid).
    async fn forget(&self) {
        *self.token.lock().await = None;
    }

    pub async fn send(&self, m: &Outgoing) -> Result<Delivery, SendError> {
        let Address::OpenId(openid) = &m.to else {
            return Err(SendError::Unusable {
                channel: WECHAT, reason: "顾客未关注公众号 / no WeChat openid".into()
            });
        };
        let template = m.provider_templates.wechat.clone().ok_or_else(|| SendError::Unusable {
            channel: WECHAT,
            reason: format!("模板 {} 没有配置微信模板 / template {} has no wechat template id", m.template, m.template),
        })?;
        let data: serde_json::Map<String, serde_json::Value> =
            m.template_values().map(|(k, v)| (k.clone(), serde_json::json!({ "value": v }))).collect();
        let body = serde_json::json!({ "touser": openid, "template_id": template, "data": data });
        let mut refreshed = false;
        loop {
            let token = self.token(false).await?;
            let resp = self
                .client
                .post(format!(
                    "{}?access_token={}",
                    self.url("/cgi-bin/message/template/send"),
                    sign::percent_encode(&token)
                ))
                .json(&body)
                .send()
                .await
                .map_err(|e| SendError::from_http(WECHAT, &e))?;
            let answer: SendAnswer = super::json_answer(WECHAT, resp).await?;
            match answer.errcode.unwrap_or(0) {
                0 => {
                    let msgid = answer.msgid.map(|v| v.to_string().trim_matches('"').to_string());
                    return Ok(Delivery { via: WECHAT, provider_ref: msgid });
                }
                40001 | 42001 if !refreshed => {
                    // The token died early (another holder refreshed it, or it expired):
                    // refresh once and try again.
                    refreshed = true;
                    self.forget().await;
                }
                code => return Err(wechat_error(code, answer.errmsg.unwrap_or_default())),
            }
        }
    }
}

fn wechat_error(code: i64, message: String) -> SendError {
    match code {
        43004 | 43101 => SendError::NotSubscribed { channel: WECHAT, code: code.to_string() },
        // -1 system busy, 45009 / 45047 call limits
        -1 | 45009 | 45047 => {
            SendError::Retryable { channel: WECHAT, code: code.to_string(), message, retry_after: None }
        }
        // 40003 bad openid, 40037 bad template, 40013 / 40125 bad appid / secret, 40164 IP not
        // allowed, 48001 not authorised, 40001 / 42001 after one refresh
        _ => SendError::Final { channel: WECHAT, code: code.to_string(), message },
    }
}
