//! Message providers on loopback, for the daemon's tests: a small HTTP/1.1 server (one
//! request per connection, as `Connection: close`) playing Aliyun SMS, Tencent Cloud SMS,
//! the WeChat official account, and the WeCom and DingTalk bots. Each checks what the real
//! one checks (signatures, keys, tokens, parameters, the bots' message body), records what
//! it accepted, and fails on demand the way real ones do: HTTP 5xx, throttling codes, a
//! timeout, a closed connection, and the hard ones, a message taken and then the connection
//! dropped or the answer late past the client's timeout, Tencent's per-number failure inside
//! a 200. Aliyun answers `QuerySendDetails` and Tencent `PullSmsSendStatusByPhoneNumber`
//! from what they took, so a lost answer can be resolved. DingTalk's signature is checked
//! with this file's own HMAC, not the code under test's.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use salonbox::channels::sign;

#[path = "http.rs"]
mod http;
pub use http::{Request, parse_form};
use http::{read_request, respond};

pub const ALIYUN_SECRET: &str = "aliyun-secret";
pub const TENCENT_SECRET: &str = "tencent-secret";
pub const WECHAT_SECRET: &str = "wechat-secret";
pub const DINGTALK_SECRET: &str = "SECdingtalk";

/// A failure to play instead of the provider's normal answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// An HTTP status with an empty body.
    Status(u16),
    /// The provider's own error code in a normal answer (e.g. `Throttling.User`, `43004`).
    Code(String),
    /// No answer until the client gives up.
    Hang,
    /// The connection closed without an answer.
    Close,
    /// The request is taken (stored) but no answer comes before the client gives up.
    StoredThenHang,
    /// The request is taken (stored), then the connection drops without an answer.
    StoredThenClose,
    /// The request is taken (stored) and answered normally, but only after this long (a
    /// slow provider: the client may have given up by then).
    Late(Duration),
    /// Tencent: a 200 whose `SendStatusSet` fails this number with the code.
    PerNumber(String),
}

/// What a provider accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub provider: &'static str,
    /// Phone number, openid or "group".
    pub to: String,
    pub template: String,
    /// The text (bots) or the template parameters as JSON (SMS, WeChat).
    pub content: String,
    /// The message id we sent along (Aliyun OutId, Tencent SessionContext), if any.
    pub message_id: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub received: Vec<Received>,
    /// Faults to play, per provider, in order.
    pub faults: HashMap<&'static str, VecDeque<Fault>>,
    pub requests: HashMap<&'static str, usize>,
    pub token_fetches: usize,
    pub token: Option<String>,
    /// Openids that do not follow the account (43004).
    pub not_following: HashSet<String>,
    pub nonces: HashSet<String>,
    /// Dedupe keys the relay has taken.
    pub relayed: HashSet<String>,
    pub rejections: Vec<String>,
    /// Tencent: receipts not in yet (the handset is off): its receipt query finds nothing.
    pub no_receipts: bool,
}

pub struct Providers {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

impl Providers {
    pub fn start() -> Providers {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let s = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(stream, &s));
            }
        });
        Providers { base, state }
    }

    pub fn fail(&self, provider: &'static str, faults: &[Fault]) {
        self.state.lock().unwrap().faults.entry(provider).or_default().extend(faults.iter().cloned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn requests(&self, provider: &'static str) -> usize {
        self.state.lock().unwrap().requests.get(provider).copied().unwrap_or(0)
    }

    pub fn rejections(&self) -> Vec<String> {
        self.state.lock().unwrap().rejections.clone()
    }

    /// The configuration for every channel, pointed at this server.
    pub fn config(&self) -> String {
        self.config_with("aliyun")
    }

    /// The same with another SMS provider (`aliyun`, `tencent`, `relay`); the cloud relay is
    /// set up either way.
    pub fn config_with(&self, sms_provider: &str) -> String {
        format!(
            r#"
[cloud]
enabled = true
base_url = "{base}/api"
store_id = "shop-001"
device_token = "device-token"

[channels]
sms_provider = "{sms_provider}"
timeout_seconds = 1
wecom_webhook = "{base}/cgi-bin/webhook/send?key=wecom-key"
dingtalk_webhook = "{base}/robot/send?access_token=ding-token"
dingtalk_secret = "{DINGTALK_SECRET}"

[channels.aliyun]
access_key_id = "LTAI-test"
access_key_secret = "{ALIYUN_SECRET}"
sign_name = "悦颜美容"
endpoint = "{base}/aliyun"

[channels.tencent]
secret_id = "AKID-test"
secret_key = "{TENCENT_SECRET}"
sdk_app_id = "1400000001"
sign_name = "悦颜美容"
endpoint = "{base}/tencent"

[channels.wechat]
app_id = "wx-test"
app_secret = "{WECHAT_SECRET}"
endpoint = "{base}/wechat"

[messages.templates.reminder_day_before]
aliyun = "SMS_1001"
tencent = "2001"
tencent_params = ["name", "time", "service"]
wechat = "wx-reminder"

[messages.templates.reminder_2h]
aliyun = "SMS_1002"

[messages.templates.birthday_coupon]
aliyun = "SMS_1003"

[messages.templates.queue_near]
aliyun = "SMS_1004"

[messages.templates.test]
aliyun = "SMS_1000"
tencent = "2000"
"#,
            base = self.base
        )
    }
}

fn provider_of(path: &str) -> &'static str {
    if path.starts_with("/aliyun") {
        "aliyun"
    } else if path.starts_with("/tencent") {
        "tencent"
    } else if path.starts_with("/wechat/cgi-bin/token") {
        "wechat_token"
    } else if path.starts_with("/wechat") {
        "wechat"
    } else if path.starts_with("/cgi-bin/webhook") {
        "wecom"
    } else if path.starts_with("/robot") {
        "dingtalk"
    } else if path.starts_with("/api/v1/stores/") && (path.ends_with("/events") || path.ends_with("/changes")) {
        "sync"
    } else if path.starts_with("/api/v1/stores/") {
        "relay"
    } else {
        "unknown"
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let Some(req) = read_request(&mut stream) else { return };
    let mut provider = provider_of(&req.path);
    // The status queries have faults of their own.
    if provider == "aliyun"
        && parse_form(std::str::from_utf8(&req.body).unwrap_or("")).get("Action").map(String::as_str)
            == Some("QuerySendDetails")
    {
        provider = "aliyun_query";
    }
    if provider == "tencent"
        && req.headers.get("x-tc-action").map(String::as_str) == Some("PullSmsSendStatusByPhoneNumber")
    {
        provider = "tencent_query";
    }
    let fault = {
        let mut s = state.lock().unwrap();
        *s.requests.entry(provider).or_default() += 1;
        s.faults.get_mut(provider).and_then(VecDeque::pop_front)
    };
    match fault {
        Some(Fault::Status(code)) => return respond(&mut stream, code, ""),
        Some(Fault::Hang) => {
            std::thread::sleep(Duration::from_secs(3));
            return;
        }
        Some(Fault::Close) => return,
        Some(Fault::StoredThenHang) => {
            let _ = handle(provider, &req, state);
            std::thread::sleep(Duration::from_secs(3));
            return;
        }
        Some(Fault::StoredThenClose) => {
            let _ = handle(provider, &req, state);
            // Dropped with unread data: the peer sees a reset, as from a proxy cut off.
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        Some(Fault::Late(wait)) => {
            let (status, body) = handle(provider, &req, state);
            std::thread::sleep(wait);
            return respond(&mut stream, status, &body);
        }
        Some(Fault::PerNumber(code)) => {
            let body = format!(
                r#"{{"Response":{{"SendStatusSet":[{{"SerialNo":"","PhoneNumber":"+86","Fee":0,"Code":"{code}","Message":"injected"}}],"RequestId":"r"}}}}"#
            );
            return respond(&mut stream, 200, &body);
        }
        Some(Fault::Code(code)) => {
            let body = match provider {
                "aliyun" => format!(r#"{{"Code":"{code}","Message":"injected","RequestId":"r"}}"#),
                "tencent" => {
                    format!(r#"{{"Response":{{"Error":{{"Code":"{code}","Message":"injected"}},"RequestId":"r"}}}}"#)
                }
                _ => format!(r#"{{"errcode":{code},"errmsg":"injected"}}"#),
            };
            return respond(&mut stream, 200, &body);
        }
        None => {}
    }
    let (status, body) = handle(provider, &req, state);
    respond(&mut stream, status, &body);
}

fn handle(provider: &str, req: &Request, state: &Mutex<State>) -> (u16, String) {
    match provider {
        "aliyun" => aliyun(req, state),
        "aliyun_query" => aliyun_query(req, state),
        "tencent" => tencent(req, state),
        "tencent_query" => tencent_query(req, state),
        "wechat_token" => wechat_token(req, state),
        "wechat" => wechat_send(req, state),
        "wecom" => wecom(req, state),
        "dingtalk" => dingtalk(req, state),
        "relay" => relay(req, state),
        "sync" => sync(req),
        _ => (404, String::new()),
    }
}

fn reject(state: &Mutex<State>, why: String) {
    state.lock().unwrap().rejections.push(why);
}

fn aliyun(req: &Request, state: &Mutex<State>) -> (u16, String) {
    let form = parse_form(std::str::from_utf8(&req.body).unwrap_or(""));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let expected = sign::aliyun_rpc_v1("POST", &pairs, ALIYUN_SECRET);
    if form.get("Signature") != Some(&expected) {
        reject(state, format!("aliyun signature {:?}", form.get("Signature")));
        return (400, r#"{"Code":"SignatureDoesNotMatch","Message":"bad signature"}"#.into());
    }
    for key in [
        "Action",
        "PhoneNumbers",
        "SignName",
        "TemplateCode",
        "TemplateParam",
        "Timestamp",
        "SignatureNonce",
        "Version",
    ] {
        if !form.contains_key(key) {
            reject(state, format!("aliyun missing {key}"));
            return (400, format!(r#"{{"Code":"MissingParameter","Message":"{key}"}}"#));
        }
    }
    let mut s = state.lock().unwrap();
    if !s.nonces.insert(form["SignatureNonce"].clone()) {
        return (400, r#"{"Code":"SignatureNonceUsed","Message":"nonce used"}"#.into());
    }
    let phone = form["PhoneNumbers"].clone();
    if phone.len() != 11 {
        return (200, r#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"bad number"}"#.into());
    }
    s.received.push(Received {
        provider: "aliyun",
        to: phone,
        template: form["TemplateCode"].clone(),
        content: form["TemplateParam"].clone(),
        message_id: form.get("OutId").cloned(),
    });
    let n = s.received.len();
    (200, format!(r#"{{"Code":"OK","Message":"OK","BizId":"biz-{n}","RequestId":"r"}}"#))
}

/// `QuerySendDetails`: the records for one number and day (Beijing time), 1-based pages of
/// `PageSize` (1–50), each with the `OutId` it was sent with; status 3 (delivered).
fn aliyun_query(req: &Request, state: &Mutex<State>) -> (u16, String) {
    let form = parse_form(std::str::from_utf8(&req.body).unwrap_or(""));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if form.get("Signature") != Some(&sign::aliyun_rpc_v1("POST", &pairs, ALIYUN_SECRET)) {
        reject(state, "aliyun query signature".into());
        return (400, r#"{"Code":"SignatureDoesNotMatch","Message":"bad signature"}"#.into());
    }
    for key in ["PhoneNumber", "SendDate", "PageSize", "CurrentPage"] {
        if !form.contains_key(key) {
            reject(state, format!("aliyun query missing {key}"));
            return (400, format!(r#"{{"Code":"MissingParameter","Message":"{key}"}}"#));
        }
    }
    let size: usize = form["PageSize"].parse().unwrap_or(0);
    let page: usize = form["CurrentPage"].parse().unwrap_or(0);
    if !(1..=50).contains(&size) || page == 0 || chrono::NaiveDate::parse_from_str(&form["SendDate"], "%Y%m%d").is_err()
    {
        reject(state, format!("aliyun query bad paging {size} {page} {}", form["SendDate"]));
        return (200, r#"{"Code":"isv.INVALID_PARAMETERS","Message":"bad parameters"}"#.into());
    }
    let s = state.lock().unwrap();
    let rows: Vec<serde_json::Value> = s
        .received
        .iter()
        .filter(|r| r.provider == "aliyun" && r.to == form["PhoneNumber"])
        .map(|r| {
            serde_json::json!({
                "PhoneNum": r.to, "SendStatus": 3, "ErrCode": "DELIVERED", "TemplateCode": r.template,
                "Content": "", "SendDate": "", "ReceiveDate": "", "OutId": r.message_id,
            })
        })
        .collect();
    let total = rows.len();
    let page_rows: Vec<serde_json::Value> = rows.into_iter().skip((page - 1) * size).take(size).collect();
    (
        200,
        serde_json::json!({
            "Code": "OK", "Message": "OK", "RequestId": "r", "TotalCount": total,
            "SmsSendDetailDTOs": { "SmsSendDetailDTO": page_rows },
        })
        .to_string(),
    )
}

fn tencent_auth(req: &Request, state: &Mutex<State>, action: &str) -> Result<(), (u16, String)> {
    let h = |k: &str| req.headers.get(k).cloned().unwrap_or_default();
    let ts: i64 = h("x-tc-timestamp").parse().unwrap_or(0);
    let host = h("host");
    let sig = sign::tc3(TENCENT_SECRET, "sms", &host, &h("content-type"), &req.body, ts);
    let auth = sign::tc3_authorization("AKID-test", "sms", ts, &sig);
    if h("authorization") != auth || h("x-tc-action") != action || h("x-tc-version") != "2021-01-11" {
        reject(state, format!("tencent auth {}", h("authorization")));
        return Err((
            200,
            r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad"},"RequestId":"r"}}"#.into(),
        ));
    }
    Ok(())
}

/// `PullSmsSendStatusByPhoneNumber`: the receipts for one number, with the
/// `SessionContext` each was sent with (none while `no_receipts`: the handset is off).
fn tencent_query(req: &Request, state: &Mutex<State>) -> (u16, String) {
    if let Err(e) = tencent_auth(req, state, "PullSmsSendStatusByPhoneNumber") {
        return e;
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let (Some(phone), Some(_), Some(limit)) =
        (body["PhoneNumber"].as_str(), body["BeginTime"].as_i64(), body["Limit"].as_u64())
    else {
        reject(state, format!("tencent query body {body}"));
        return (200, r#"{"Response":{"Error":{"Code":"MissingParameter","Message":"bad"},"RequestId":"r"}}"#.into());
    };
    let offset = body["Offset"].as_u64().unwrap_or(0) as usize;
    let s = state.lock().unwrap();
    let rows: Vec<serde_json::Value> = if s.no_receipts {
        Vec::new()
    } else {
        s.received
            .iter()
            .enumerate()
            .filter(|(_, r)| r.provider == "tencent" && format!("+86{}", r.to) == phone)
            .map(|(i, r)| {
                serde_json::json!({
                    "UserReceiveTime": "2026-11-23 18:00:01", "CountryCode": "86", "SubscriberNumber": r.to,
                    "PhoneNumber": phone, "SerialNo": format!("serial-{}", i + 1), "ReportStatus": "SUCCESS",
                    "Description": "DELIVRD", "SessionContext": r.message_id,
                })
            })
            .skip(offset)
            .take(limit.min(100) as usize)
            .collect()
    };
    (200, serde_json::json!({ "Response": { "PullSmsSendStatusSet": rows, "RequestId": "r" } }).to_string())
}

fn tencent(req: &Request, state: &Mutex<State>) -> (u16, String) {
    if let Err(e) = tencent_auth(req, state, "SendSms") {
        return e;
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let phone = body["PhoneNumberSet"][0].as_str().unwrap_or("").trim_start_matches("+86").to_string();
    let mut s = state.lock().unwrap();
    s.received.push(Received {
        provider: "tencent",
        to: phone,
        template: body["TemplateId"].as_str().unwrap_or("").into(),
        content: body["TemplateParamSet"].to_string(),
        message_id: body["SessionContext"].as_str().map(str::to_string),
    });
    let n = s.received.len();
    (
        200,
        format!(
            r#"{{"Response":{{"SendStatusSet":[{{"SerialNo":"serial-{n}","Code":"Ok","Message":"send success"}}],"RequestId":"r"}}}}"#
        ),
    )
}

fn wechat_token(req: &Request, state: &Mutex<State>) -> (u16, String) {
    if req.query.get("appid").map(String::as_str) != Some("wx-test")
        || req.query.get("secret").map(String::as_str) != Some(WECHAT_SECRET)
    {
        return (200, r#"{"errcode":40013,"errmsg":"invalid appid"}"#.into());
    }
    let mut s = state.lock().unwrap();
    s.token_fetches += 1;
    let token = format!("token-{}", s.token_fetches);
    s.token = Some(token.clone());
    (200, format!(r#"{{"access_token":"{token}","expires_in":7200}}"#))
}

fn wechat_send(req: &Request, state: &Mutex<State>) -> (u16, String) {
    let mut s = state.lock().unwrap();
    if req.query.get("access_token") != s.token.as_ref() {
        return (200, r#"{"errcode":40001,"errmsg":"invalid credential"}"#.into());
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let openid = body["touser"].as_str().unwrap_or("").to_string();
    if s.not_following.contains(&openid) {
        return (200, r#"{"errcode":43004,"errmsg":"require subscribe"}"#.into());
    }
    s.received.push(Received {
        provider: "wechat",
        to: openid,
        template: body["template_id"].as_str().unwrap_or("").into(),
        content: body["data"].to_string(),
        message_id: None,
    });
    let n = s.received.len();
    (200, format!(r#"{{"errcode":0,"errmsg":"ok","msgid":{n}}}"#))
}

/// Both bots take `{"msgtype": "text", "text": {"content": "…"}}` with at most 2,048 bytes
/// of content and refuse anything else with an error code in a 200, as the real ones do.
fn bot(provider: &'static str, req: &Request, state: &Mutex<State>) -> (u16, String) {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
        reject(state, format!("{provider}: body is not JSON"));
        return (200, r#"{"errcode":40035,"errmsg":"invalid json"}"#.into());
    };
    let content = body["text"]["content"].as_str().unwrap_or("");
    if body["msgtype"] != "text" || content.trim().is_empty() {
        reject(state, format!("{provider}: malformed message {body}"));
        return (200, r#"{"errcode":40008,"errmsg":"invalid message type or empty content"}"#.into());
    }
    if content.len() > 2048 {
        reject(state, format!("{provider}: content of {} bytes", content.len()));
        return (200, r#"{"errcode":40058,"errmsg":"content exceed max length 2048"}"#.into());
    }
    state.lock().unwrap().received.push(Received {
        provider,
        to: "group".into(),
        template: body["msgtype"].as_str().unwrap_or("").into(),
        content: body["text"]["content"].as_str().unwrap_or("").into(),
        message_id: None,
    });
    (200, r#"{"errcode":0,"errmsg":"ok"}"#.into())
}

fn wecom(req: &Request, state: &Mutex<State>) -> (u16, String) {
    if req.query.get("key").map(String::as_str) != Some("wecom-key") {
        return (200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#.into());
    }
    bot("wecom", req, state)
}

fn dingtalk(req: &Request, state: &Mutex<State>) -> (u16, String) {
    let ts: i64 = req.query.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    let now = chrono::Utc::now().timestamp_millis();
    // Computed here, not by the code under test (its vector: docs/provider-test-vectors.md
    // stands for the spec; sign.rs checks one computed with OpenSSL). The query was decoded
    // once already, so the sign compared is the plain base64.
    let expected = {
        use base64::Engine as _;
        use hmac::Mac as _;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(DINGTALK_SECRET.as_bytes()).unwrap();
        mac.update(format!("{ts}\n{DINGTALK_SECRET}").as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    if req.query.get("access_token").map(String::as_str) != Some("ding-token")
        || req.query.get("sign") != Some(&expected)
        || (now - ts).abs() > 3_600_000
    {
        reject(state, format!("dingtalk sign {:?}", req.query.get("sign")));
        return (200, r#"{"errcode":310000,"errmsg":"sign not match"}"#.into());
    }
    bot("dingtalk", req, state)
}

/// The cloud's relay endpoint (`spec/cloud-sync-v1.md`): bearer token, user agent, dedupe by
/// key (a second copy is `duplicate`, never sent twice).
/// The daemon's cloud sync, which shares `[cloud]` with the relay: every event is taken,
/// no change comes down (tests/sync.rs has the real reference cloud).
fn sync(req: &Request) -> (u16, String) {
    if req.path.ends_with("/changes") {
        return (200, r#"{"changes":[],"next_cursor":"c0","has_more":false}"#.into());
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let ids: Vec<serde_json::Value> =
        body["events"].as_array().into_iter().flatten().map(|e| e["id"].clone()).collect();
    (200, serde_json::json!({ "accepted": ids, "duplicates": [], "rejected": [] }).to_string())
}

fn relay(req: &Request, state: &Mutex<State>) -> (u16, String) {
    let h = |k: &str| req.headers.get(k).cloned().unwrap_or_default();
    if h("authorization") != "Bearer device-token" || !h("user-agent").starts_with("salonbox/") {
        reject(state, format!("relay auth {:?} ua {:?}", h("authorization"), h("user-agent")));
        return (401, r#"{"error":"unauthorized"}"#.into());
    }
    if req.path != "/api/v1/stores/shop-001/messages" {
        return (403, r#"{"error":"wrong store"}"#.into());
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let mut s = state.lock().unwrap();
    let mut results = Vec::new();
    for m in body["messages"].as_array().cloned().unwrap_or_default() {
        let key = m["dedupe_key"].as_str().unwrap_or("").to_string();
        let phone = m["to"]["phone"].as_str().unwrap_or("");
        if !phone.starts_with("+86") || m["kind"].as_str().is_none() {
            results.push(serde_json::json!({ "dedupe_key": key, "status": "rejected", "reason": "bad message" }));
            continue;
        }
        if !s.relayed.insert(key.clone()) {
            results.push(serde_json::json!({ "dedupe_key": key, "status": "duplicate" }));
            continue;
        }
        s.received.push(Received {
            provider: "relay",
            to: phone.trim_start_matches("+86").to_string(),
            template: m["template"].as_str().unwrap_or("").into(),
            content: m["params"].to_string(),
            message_id: Some(key.clone()),
        });
        results.push(serde_json::json!({ "dedupe_key": key, "status": "queued" }));
    }
    (200, serde_json::json!({ "results": results }).to_string())
}
