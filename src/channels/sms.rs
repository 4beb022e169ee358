//! SMS through Aliyun (`SendSms`, RPC signature V1) and Tencent Cloud (`SendSms` 2021-01-11,
//! TC3-HMAC-SHA256). Both send a pre-approved template with parameters; the provider's
//! template id for each of our templates comes from the configuration.

use chrono::Utc;
use serde::Deserialize;

use super::{Address, Delivery, Outgoing, Query, SendError, sign};
use crate::config;
use crate::domain::messages::Checked;

const ALIYUN: &str = "aliyun_sms";
const TENCENT: &str = "tencent_sms";

fn phone_of(channel: &'static str, m: &Outgoing) -> Result<String, SendError> {
    match &m.to {
        Address::Phone(p) => Ok(p.clone()),
        _ => Err(SendError::Unusable { channel, reason: "短信只发手机号 / SMS needs a phone number".into() }),
    }
}

#[derive(Debug)]
pub struct AliyunSms {
    conf: config::Aliyun,
    client: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AliyunAnswer {
    code: Option<String>,
    message: Option<String>,
    biz_id: Option<String>,
}

impl AliyunSms {
    pub fn new(conf: config::Aliyun, client: reqwest::Client) -> AliyunSms {
        AliyunSms { conf, client }
    }

    /// The signed form of one `SendSms` request (sent as a POST body).
    pub fn form(&self, m: &Outgoing, nonce: &str, timestamp: &str) -> Result<Vec<(String, String)>, SendError> {
        let phone = phone_of(ALIYUN, m)?;
        let template = m.provider_templates.aliyun.clone().ok_or_else(|| SendError::Unusable {
            channel: ALIYUN,
            reason: format!("模板 {} 没有配置阿里云模板号 / template {} has no aliyun code", m.template, m.template),
        })?;
        let params: serde_json::Map<String, serde_json::Value> =
            m.template_values().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        let template_param = serde_json::Value::Object(params).to_string();
        Ok(self.signed(
            vec![
                ("Action", "SendSms".into()),
                ("OutId", m.id.clone()),
                ("PhoneNumbers", phone),
                ("SignName", self.conf.sign_name.clone()),
                ("TemplateCode", template),
                ("TemplateParam", template_param),
            ],
            nonce,
            timestamp,
        ))
    }

    /// An action's fields with the common ones, signed (RPC signature V1).
    fn signed(&self, mut fields: Vec<(&str, String)>, nonce: &str, timestamp: &str) -> Vec<(String, String)> {
        fields.extend([
            ("AccessKeyId", self.conf.access_key_id.clone()),
            ("Format", "JSON".into()),
            ("RegionId", "cn-hangzhou".into()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureNonce", nonce.into()),
            ("SignatureVersion", "1.0".into()),
            ("Timestamp", timestamp.into()),
            ("Version", "2017-05-25".into()),
        ]);
        fields.sort_by(|a, b| a.0.cmp(b.0));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let signature = sign::aliyun_rpc_v1("POST", &pairs, self.conf.access_key_secret.expose());
        let mut form: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        form.push(("Signature".into(), signature));
        form
    }

    /// Posts a signed form; the answer's status, `Retry-After` and body.
    async fn post(
        &self,
        form: &[(String, String)],
    ) -> Result<(reqwest::StatusCode, Option<std::time::Duration>, String), SendError> {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", sign::percent_encode(k), sign::percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let resp = self
            .client
            .post(format!("{}/", self.conf.endpoint.trim_end_matches('/')))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::from_http(ALIYUN, &e))?;
        let status = resp.status();
        let wait = super::retry_after(&resp);
        let text = resp.text().await.map_err(|e| SendError::from_http(ALIYUN, &e))?;
        Ok((status, wait, text))
    }

    /// `QuerySendDetails`: what Aliyun knows of the message we sent with `OutId` = `q.id`
    /// to `q.phone` (its records list a message from the moment it is taken).
    pub async fn look_up(&self, q: &Query<'_>) -> Result<Checked, SendError> {
        // Aliyun files a message under its day in Beijing time; one sent just before
        // midnight may be filed under the next day.
        let beijing = chrono_tz::Asia::Shanghai;
        let mut days = vec![q.attempted_at.with_timezone(&beijing).date_naive()];
        let later = (q.attempted_at + chrono::Duration::minutes(5)).with_timezone(&beijing).date_naive();
        if later != days[0] {
            days.push(later);
        }
        for day in days {
            for page in 1..=LOOK_UP_PAGES {
                let nonce = hex::encode(rand::random::<[u8; 16]>());
                let timestamp = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
                let form = self.signed(
                    vec![
                        ("Action", "QuerySendDetails".into()),
                        ("CurrentPage", page.to_string()),
                        ("PageSize", "50".into()),
                        ("PhoneNumber", q.phone.to_string()),
                        ("SendDate", day.format("%Y%m%d").to_string()),
                    ],
                    &nonce,
                    &timestamp,
                );
                let (status, wait, text) = self.post(&form).await.map_err(SendError::nothing_sent)?;
                let answer: AliyunDetails = match serde_json::from_str(&text) {
                    Ok(a) => a,
                    Err(_) if !status.is_success() => return Err(SendError::from_status(ALIYUN, status, wait)),
                    Err(_) => return Err(SendError::unreadable(ALIYUN, &text).nothing_sent()),
                };
                if answer.code.as_deref() != Some("OK") {
                    return Err(aliyun_error(
                        answer.code.unwrap_or_else(|| format!("HTTP {}", status.as_u16())),
                        answer.message.unwrap_or_default(),
                        wait,
                    ));
                }
                let rows = answer.details.map(|d| d.rows).unwrap_or_default();
                if let Some(r) = rows.iter().find(|r| r.out_id.as_deref() == Some(q.id)) {
                    return Ok(match r.send_status {
                        2 => Checked::Failed { reason: r.err_code.clone().unwrap_or_else(|| "SendStatus 2".into()) },
                        // 1: waiting for the handset's receipt; 3: delivered.
                        _ => Checked::Sent { provider_ref: None },
                    });
                }
                if rows.len() < 50 || i64::from(page) * 50 >= answer.total_count.unwrap_or(0) {
                    break;
                }
            }
        }
        Ok(Checked::NotFound)
    }

    pub async fn send(&self, m: &Outgoing) -> Result<Delivery, SendError> {
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let timestamp = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let form = self.form(m, &nonce, &timestamp)?;
        let (status, wait, text) = self.post(&form).await?;
        let answer: Option<AliyunAnswer> = serde_json::from_str(&text).ok();
        match answer {
            Some(AliyunAnswer { code: Some(code), message, biz_id }) => {
                if code == "OK" {
                    Ok(Delivery { via: ALIYUN, provider_ref: biz_id })
                } else {
                    Err(aliyun_error(code, message.unwrap_or_default(), wait))
                }
            }
            _ if !status.is_success() => Err(SendError::from_status(ALIYUN, status, wait)),
            _ => Err(SendError::unreadable(ALIYUN, &text)),
        }
    }
}

/// Aliyun's error codes: throttling and its own system errors are worth a retry; a bad
/// number, an unapproved template or signature, a number's frequency limit, no balance and
/// wrong keys are not.
fn aliyun_error(code: String, message: String, retry_after: Option<std::time::Duration>) -> SendError {
    let retryable = code.starts_with("Throttling")
        || code.starts_with("isp.")
        || code == "ServiceUnavailable"
        || code == "InternalError"
        || code == "SignatureNonceUsed";
    if retryable {
        SendError::Retryable { channel: ALIYUN, code, message, retry_after }
    } else {
        // isv.MOBILE_NUMBER_ILLEGAL, isv.SMS_TEMPLATE_ILLEGAL, isv.SMS_SIGNATURE_ILLEGAL,
        // isv.BUSINESS_LIMIT_CONTROL (the number's minute/hour/day limit), isv.DAY_LIMIT_CONTROL,
        // isv.AMOUNT_NOT_ENOUGH, isv.OUT_OF_SERVICE, SignatureDoesNotMatch, InvalidAccessKeyId.*
        SendError::Final { channel: ALIYUN, code, message }
    }
}

/// Pages of 50 records read for one day and number: a shop sends a number a few messages
/// a day, never 500.
const LOOK_UP_PAGES: u32 = 10;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AliyunDetails {
    code: Option<String>,
    message: Option<String>,
    total_count: Option<i64>,
    #[serde(rename = "SmsSendDetailDTOs")]
    details: Option<AliyunDetailList>,
}

#[derive(Deserialize)]
struct AliyunDetailList {
    #[serde(rename = "SmsSendDetailDTO", default)]
    rows: Vec<AliyunDetail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AliyunDetail {
    send_status: i64,
    err_code: Option<String>,
    out_id: Option<String>,
}

#[derive(Debug)]
pub struct TencentSms {
    conf: config::Tencent,
    client: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TencentEnvelope {
    response: TencentResponse,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TencentResponse {
    error: Option<TencentError>,
    #[serde(default)]
    send_status_set: Vec<TencentStatus>,
    #[serde(default)]
    pull_sms_send_status_set: Vec<TencentReceipt>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TencentReceipt {
    serial_no: Option<String>,
    report_status: String,
    description: Option<String>,
    session_context: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TencentError {
    code: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TencentStatus {
    serial_no: Option<String>,
    code: String,
    message: Option<String>,
}

impl TencentSms {
    pub fn new(conf: config::Tencent, client: reqwest::Client) -> TencentSms {
        TencentSms { conf, client }
    }

    fn host(&self) -> String {
        let e = self.conf.endpoint.trim_end_matches('/');
        e.split_once("://").map_or(e, |(_, h)| h).to_string()
    }

    /// The JSON body of one `SendSms` request.
    pub fn payload(&self, m: &Outgoing) -> Result<String, SendError> {
        let phone = phone_of(TENCENT, m)?;
        let t = &m.provider_templates;
        let template = t.tencent.clone().ok_or_else(|| SendError::Unusable {
            channel: TENCENT,
            reason: format!("模板 {} 没有配置腾讯云模板 ID / template {} has no tencent id", m.template, m.template),
        })?;
        // Tencent's parameters are positional: in the order the configuration lists them.
        let params: Vec<String> =
            t.tencent_params.iter().map(|name| m.param(name).unwrap_or_default().to_string()).collect();
        Ok(serde_json::json!({
            "PhoneNumberSet": [format!("+86{phone}")],
            "SmsSdkAppId": self.conf.sdk_app_id,
            "SignName": self.conf.sign_name,
            "TemplateId": template,
            "TemplateParamSet": params,
            "SessionContext": m.id,
        })
        .to_string())
    }

    /// One signed call (TC3-HMAC-SHA256) of `action`; the answer's status, `Retry-After`
    /// and body.
    async fn call(
        &self,
        action: &str,
        payload: String,
    ) -> Result<(reqwest::StatusCode, Option<std::time::Duration>, String), SendError> {
        let timestamp = Utc::now().timestamp();
        let content_type = "application/json; charset=utf-8";
        let host = self.host();
        let signature =
            sign::tc3(self.conf.secret_key.expose(), "sms", &host, content_type, payload.as_bytes(), timestamp);
        let resp = self
            .client
            .post(format!("{}/", self.conf.endpoint.trim_end_matches('/')))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(reqwest::header::HOST, host)
            .header("X-TC-Action", action)
            .header("X-TC-Version", "2021-01-11")
            .header("X-TC-Region", &self.conf.region)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header(
                reqwest::header::AUTHORIZATION,
                sign::tc3_authorization(&self.conf.secret_id, "sms", timestamp, &signature),
            )
            .body(payload)
            .send()
            .await
            .map_err(|e| SendError::from_http(TENCENT, &e))?;
        let status = resp.status();
        let wait = super::retry_after(&resp);
        let text = resp.text().await.map_err(|e| SendError::from_http(TENCENT, &e))?;
        Ok((status, wait, text))
    }

    /// `PullSmsSendStatusByPhoneNumber`: the receipts for `q.phone` since the attempt,
    /// matched by `SessionContext` = `q.id`. Tencent lists a message only once the handset's
    /// receipt is in (`messages::IfNone::AskPerson`).
    pub async fn look_up(&self, q: &Query<'_>) -> Result<Checked, SendError> {
        let begin = (q.attempted_at - chrono::Duration::minutes(1)).timestamp();
        for page in 0..LOOK_UP_PAGES {
            let payload = serde_json::json!({
                "BeginTime": begin,
                "EndTime": Utc::now().timestamp() + 60,
                "Offset": page * 100,
                "Limit": 100,
                "PhoneNumber": format!("+86{}", q.phone),
                "SmsSdkAppId": self.conf.sdk_app_id,
            })
            .to_string();
            let (status, wait, text) =
                self.call("PullSmsSendStatusByPhoneNumber", payload).await.map_err(SendError::nothing_sent)?;
            let Ok(TencentEnvelope { response }) = serde_json::from_str::<TencentEnvelope>(&text) else {
                if !status.is_success() {
                    return Err(SendError::from_status(TENCENT, status, wait));
                }
                return Err(SendError::unreadable(TENCENT, &text).nothing_sent());
            };
            if let Some(e) = response.error {
                return Err(tencent_error(e.code, e.message, wait));
            }
            let rows = response.pull_sms_send_status_set;
            if let Some(r) = rows.iter().find(|r| r.session_context.as_deref() == Some(q.id)) {
                return Ok(if r.report_status == "SUCCESS" {
                    Checked::Sent { provider_ref: r.serial_no.clone() }
                } else {
                    Checked::Failed { reason: r.description.clone().unwrap_or_else(|| r.report_status.clone()) }
                });
            }
            if rows.len() < 100 {
                break;
            }
        }
        Ok(Checked::NotFound)
    }

    pub async fn send(&self, m: &Outgoing) -> Result<Delivery, SendError> {
        let payload = self.payload(m)?;
        let (status, wait, text) = self.call("SendSms", payload).await?;
        let Ok(TencentEnvelope { response }) = serde_json::from_str::<TencentEnvelope>(&text) else {
            if !status.is_success() {
                return Err(SendError::from_status(TENCENT, status, wait));
            }
            return Err(SendError::unreadable(TENCENT, &text));
        };
        if let Some(e) = response.error {
            return Err(tencent_error(e.code, e.message, wait));
        }
        match response.send_status_set.into_iter().next() {
            Some(s) if s.code == "Ok" => Ok(Delivery { via: TENCENT, provider_ref: s.serial_no }),
            Some(s) => Err(tencent_error(s.code, s.message.unwrap_or_default(), wait)),
            None => Err(SendError::unreadable(TENCENT, "no SendStatusSet")),
        }
    }
}

/// Tencent Cloud's codes: request limits and internal errors are retried; a number's daily
/// limit, an invalid number, an unapproved template or signature, no balance and
/// authentication failures are final. The 30-second and one-hour per-number limits pass.
fn tencent_error(code: String, message: String, retry_after: Option<std::time::Duration>) -> SendError {
    let retryable = code == "RequestLimitExceeded"
        || code.starts_with("InternalError")
        || code == "LimitExceeded.PhoneNumberThirtySecondLimit"
        || code == "LimitExceeded.PhoneNumberOneHourLimit"
        || code == "FailedOperation.FailResolvePacket";
    if retryable {
        let retry_after = retry_after.or(match code.as_str() {
            "LimitExceeded.PhoneNumberThirtySecondLimit" => Some(std::time::Duration::from_secs(30)),
            "LimitExceeded.PhoneNumberOneHourLimit" => Some(std::time::Duration::from_secs(3600)),
            _ => None,
        });
        SendError::Retryable { channel: TENCENT, code, message, retry_after }
    } else {
        SendError::Final { channel: TENCENT, code, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_codes_are_sorted_into_retry_or_give_up() {
        assert!(!aliyun_error("Throttling.User".into(), String::new(), None).is_permanent());
        assert!(!aliyun_error("isp.SYSTEM_ERROR".into(), String::new(), None).is_permanent());
        for code in [
            "isv.MOBILE_NUMBER_ILLEGAL",
            "isv.SMS_TEMPLATE_ILLEGAL",
            "isv.BUSINESS_LIMIT_CONTROL",
            "isv.AMOUNT_NOT_ENOUGH",
            "SignatureDoesNotMatch",
        ] {
            assert!(aliyun_error(code.into(), String::new(), None).is_permanent(), "{code}");
        }
        assert!(!tencent_error("RequestLimitExceeded".into(), String::new(), None).is_permanent());
        let e = tencent_error("LimitExceeded.PhoneNumberThirtySecondLimit".into(), String::new(), None);
        assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(30)));
        for code in [
            "LimitExceeded.PhoneNumberDailyLimit",
            "InvalidParameterValue.IncorrectPhoneNumber",
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "FailedOperation.SignatureIncorrectOrUnapproved",
            "FailedOperation.InsufficientBalanceInSmsPackage",
            "AuthFailure.SignatureFailure",
        ] {
            assert!(tencent_error(code.into(), String::new(), None).is_permanent(), "{code}");
        }
    }
}
