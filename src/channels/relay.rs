//! The cloud relay (`spec/cloud-sync-v1.md`, "Relay"): for shops whose SMS keys live in the
//! cloud, or whose WeChat account only answers a whitelisted IP, the message is handed to
//! the cloud, which sends it. The cloud dedupes by our dedupe key (30 days at least), so a
//! message sent again after a timeout is answered `duplicate` and never delivered twice.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Address, Delivery, Outgoing, SendError};
use crate::config;

const RELAY: &str = "relay";

#[derive(Debug)]
pub struct Relay {
    url: String,
    token: config::Secret,
    tz: chrono_tz::Tz,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Answer {
    results: Vec<Result_>,
}

#[derive(Deserialize)]
struct Result_ {
    dedupe_key: String,
    status: String,
    reason: Option<String>,
}

impl Relay {
    /// A relay for the configured cloud, if it is enabled with a token and an acceptable base
    /// URL (https, or http to a loopback address).
    pub fn new(cloud: &config::Cloud, tz: chrono_tz::Tz, client: reqwest::Client) -> Option<Relay> {
        let token = cloud.device_token.clone()?;
        if !cloud.enabled || !base_url_allowed(&cloud.base_url) {
            return None;
        }
        let url = format!("{}/v1/stores/{}/messages", cloud.base_url.trim_end_matches('/'), cloud.store_id);
        Some(Relay { url, token, tz, client })
    }

    pub async fn send(&self, m: &Outgoing) -> Result<Delivery, SendError> {
        let (channel, to) = match &m.to {
            Address::Phone(p) => ("sms", serde_json::json!({ "phone": format!("+86{p}"), "openid": null })),
            Address::OpenId(o) => ("wechat_template", serde_json::json!({ "phone": null, "openid": o })),
            Address::StaffGroup => {
                return Err(SendError::Unusable {
                    channel: RELAY,
                    reason: "中继不发员工群 / the relay does not reach the staff group".into(),
                });
            }
        };
        let params: serde_json::Map<String, serde_json::Value> =
            m.params.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        let not_after = m.not_after.map(|t: DateTime<Utc>| t.with_timezone(&self.tz).to_rfc3339());
        let body = serde_json::json!({ "messages": [{
            "dedupe_key": m.key,
            "kind": m.kind,
            "channel": channel,
            "to": to,
            "template": m.template,
            "params": params,
            "not_after": not_after,
        }]});
        let resp = self
            .client
            .post(&self.url)
            .bearer_auth(self.token.expose())
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::from_http(RELAY, &e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(SendError::Final {
                channel: RELAY,
                code: format!("HTTP {}", status.as_u16()),
                message: "云端拒绝了设备令牌 / the cloud refused the device token".into(),
            });
        }
        let answer: Answer = super::json_answer(RELAY, resp).await?;
        let Some(r) = answer.results.into_iter().find(|r| r.dedupe_key == m.key) else {
            return Err(SendError::unreadable(RELAY, "no result for this message"));
        };
        match r.status.as_str() {
            // The cloud has it (now or from an earlier try): it sends, and reports back
            // through pull.
            "queued" | "duplicate" => Ok(Delivery { via: RELAY, provider_ref: Some(r.status) }),
            _ => Err(SendError::Final { channel: RELAY, code: r.status, message: r.reason.unwrap_or_default() }),
        }
    }
}

pub use crate::domain::sync::base_url_allowed;

#[cfg(test)]
mod tests {
    #[test]
    fn plain_http_only_to_loopback() {
        use super::base_url_allowed as ok;
        assert!(ok("https://cloud.example.com/api"));
        assert!(ok("http://127.0.0.1:8080/api") && ok("http://localhost:9/") && ok("http://[::1]:80"));
        assert!(!ok("http://cloud.example.com/api") && !ok("http://127.0.0.1.evil.com/") && !ok("ftp://x"));
    }
}
