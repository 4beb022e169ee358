//! Message templates and the rules every message to a customer follows: which kind a
//! template is, its default text (Simplified Chinese), how parameters fill it, the
//! unsubscribe line of marketing, and when a message may go out.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::time::DailySpan;

/// transactional: about something the customer asked for (a booking, the queue);
/// marketing: offers (consent required, 回T退订); staff: to the shop's own people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Transactional,
    Marketing,
    Staff,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Transactional => "transactional",
            Kind::Marketing => "marketing",
            Kind::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "transactional" => Some(Kind::Transactional),
            "marketing" => Some(Kind::Marketing),
            "staff" => Some(Kind::Staff),
            _ => None,
        }
    }
}

/// Every template: name, kind, default text.
pub const TEMPLATES: &[(&str, Kind, &str)] = &[
    (
        "reminder_day_before",
        Kind::Transactional,
        "{shop}提醒您：{name}，您预约了明天 {time} 的{service}{with_staff}，期待您的光临。如需改期请致电门店。",
    ),
    (
        "reminder_2h",
        Kind::Transactional,
        "{shop}提醒您：{name}，您预约的{service}将于今天 {time} 开始{with_staff}，请准时到店。",
    ),
    (
        "queue_near",
        Kind::Transactional,
        "{shop}：{name}，您的号码 {ticket} 前面还有 {ahead} 位，约 {minutes} 分钟后轮到您，请回到店内等候。",
    ),
    (
        "waitlist_offer",
        Kind::Transactional,
        "{shop}：{name}，您候补的 {when} {service} 有空位了，为您保留到 {hold_until}，请致电门店确认。",
    ),
    ("course_left", Kind::Transactional, "{shop}：{name}，您的{course}还剩 {left} 次{expiry}，欢迎预约。"),
    (
        "stored_value_expiry",
        Kind::Transactional,
        "{shop}：{name}，您的储值余额 {balance} 元将于 {date} 到期，欢迎到店使用。",
    ),
    ("birthday_coupon", Kind::Marketing, "{shop}祝{name}生日快乐！送您{coupon}一张，{valid_to}前到店可用。"),
    ("visit_thanks", Kind::Transactional, "{shop}：{name}，感谢光临！请为今天的{services}打分：{link}"),
    // A campaign's own text, filled in when it started (see `app::campaigns`).
    ("campaign", Kind::Marketing, "{text}"),
    ("winback", Kind::Marketing, "{shop}：{name}，好久不见，我们想念您！{offer}期待您再次光临。"),
    (
        "staff_arrival",
        Kind::Staff,
        "【到店】{ticket} {customer}{tier_label} {arrival_label}：{service}{staff_label}{time_label}{warning}",
    ),
    ("low_stock", Kind::Staff, "【库存】{product} 剩 {level}{unit}，低于提醒线 {threshold}。{expiry}"),
    ("low_rating", Kind::Staff, "【差评提醒】{customer} 给 {date} 的 {services}（{staff}）打了 {rating} 星：{comment}"),
    ("stock_expiry", Kind::Staff, "【库存效期】{product} 批号 {batch} 还有 {quantity}{unit}：{state}"),
    (
        "daily_summary",
        Kind::Staff,
        "【{date} 营业小结】营业额 {revenue} 元，到店 {visits} 人次，新客 {new_customers} 位，预约 {appointments} 个。",
    ),
    ("test", Kind::Transactional, "{shop}测试消息：这个渠道已接通。"),
];

/// What a template is for, as the back office names it.
pub fn label(template: &str) -> &'static str {
    match template {
        "reminder_day_before" => "预约前一天提醒 / reminder the day before",
        "reminder_2h" => "预约前 2 小时提醒 / reminder 2 hours ahead",
        "queue_near" => "快轮到您 / your turn is near",
        "waitlist_offer" => "候补空位 / a freed slot for the wait list",
        "course_left" => "疗程卡余次 / course sessions left",
        "stored_value_expiry" => "储值到期 / stored value ending",
        "birthday_coupon" => "生日券 / birthday coupon",
        "visit_thanks" => "感谢光临并评分 / thanks and rating",
        "campaign" => "营销活动 / campaign",
        "winback" => "老客召回 / win-back",
        "staff_arrival" => "员工：顾客到店 / staff: arrival",
        "low_stock" => "员工：库存不足 / staff: low stock",
        "low_rating" => "员工：差评提醒 / staff: low rating",
        "stock_expiry" => "员工：库存效期 / staff: stock expiry",
        "daily_summary" => "员工：营业小结 / staff: daily summary",
        "test" => "测试消息 / test message",
        _ => "",
    }
}

/// Made-up values for every placeholder, for a preview of a text.
pub fn sample_params(shop: &str) -> Vec<(String, String)> {
    [
        ("shop", shop),
        ("name", "王女士"),
        ("time", "14:30"),
        ("service", "面部深层清洁"),
        ("services", "面部深层清洁"),
        ("with_staff", "（李娜）"),
        ("ticket", "A012"),
        ("ahead", "2"),
        ("minutes", "15"),
        ("when", "12月5日 14:00"),
        ("hold_until", "13:00"),
        ("course", "面部深层清洁疗程卡"),
        ("left", "3"),
        ("expiry", "，12月31日到期"),
        ("balance", "200.00"),
        ("date", "12月31日"),
        ("coupon", "满200减30券"),
        ("valid_to", "12月31日"),
        ("link", "https://example.cn/r/abc123"),
        ("offer", "本月回店护理享 9 折。"),
        ("text", "会员日全场 9 折。"),
        ("customer", "王女士"),
        ("tier_label", "（金卡）"),
        ("arrival_label", "预约到店"),
        ("staff_label", "，李娜"),
        ("time_label", "，约 14:30"),
        ("warning", ""),
        ("product", "补水面膜"),
        ("level", "3"),
        ("unit", "片"),
        ("threshold", "5"),
        ("batch", "MK2609"),
        ("quantity", "6"),
        ("state", "30 天内到期"),
        ("rating", "2"),
        ("comment", "等待太久"),
        ("staff", "李娜"),
        ("revenue", "3,280.00"),
        ("visits", "18"),
        ("new_customers", "3"),
        ("appointments", "12"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
    .collect()
}

/// Checks a text an owner wrote for `template`: not empty, not too long, and only the
/// placeholders the template is given (`allowed`; another would print as nothing).
pub fn check_text(text: &str, allowed: &[String]) -> Result<(), String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("内容不能为空 / the text must not be empty".into());
    }
    if t.chars().count() > 300 {
        return Err("最多 300 个字 / 300 characters at most".into());
    }
    let unknown: Vec<String> = placeholders(t).into_iter().filter(|p| !allowed.contains(p)).collect();
    if !unknown.is_empty() {
        let list = unknown.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(" ");
        let known = allowed.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(" ");
        return Err(format!("未知的占位符 {list}，可用：{known} / unknown placeholders {list}; available: {known}"));
    }
    Ok(())
}

/// The line every marketing message ends with.
pub const UNSUBSCRIBE: &str = " 回T退订";

pub fn is_template(name: &str) -> bool {
    TEMPLATES.iter().any(|(n, _, _)| *n == name)
}

pub fn kind_of(template: &str) -> Option<Kind> {
    TEMPLATES.iter().find(|(n, _, _)| *n == template).map(|(_, k, _)| *k)
}

pub fn default_text(template: &str) -> Option<&'static str> {
    TEMPLATES.iter().find(|(n, _, _)| *n == template).map(|(_, _, t)| *t)
}

/// The placeholders of a template text, in order, each once (`{{` and `}}` are braces).
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            rest = &tail[2..];
        } else if let Some(stripped) = tail.strip_prefix('{')
            && let Some(end) = stripped.find('}')
        {
            let name = &stripped[..end];
            if !name.is_empty() && !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
            rest = &stripped[end + 1..];
        } else {
            rest = &tail[1..];
        }
    }
    out
}

/// What a provider's template of `template` takes: the placeholders of the configured text
/// or the default one (a campaign's is its `{text}`).
pub fn template_params(template: &str, configured: Option<&str>) -> Vec<String> {
    placeholders(configured.or_else(|| default_text(template)).unwrap_or("{text}"))
}

/// Fills `{name}` placeholders from `params`; a placeholder without a value becomes empty.
/// `{{` and `}}` stand for braces.
pub fn fill(text: &str, params: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let Some(stripped) = tail.strip_prefix('{')
            && let Some(end) = stripped.find('}')
        {
            let name = &stripped[..end];
            if let Some((_, v)) = params.iter().find(|(k, _)| k == name) {
                out.push_str(v);
            }
            rest = &stripped[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// A JSON object of parameters as name/value strings (null → empty, numbers as written).
pub fn params_from_json(v: &serde_json::Value) -> Vec<(String, String)> {
    let Some(map) = v.as_object() else { return Vec::new() };
    map.iter()
        .map(|(k, v)| {
            let s = match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) => {
                    a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect::<Vec<_>>().join("、")
                }
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect()
}

/// Derived parameters some templates show (labels built from the raw values), added to
/// `params` before the text is filled.
pub fn derive(template: &str, params: &mut Vec<(String, String)>) {
    let get =
        |p: &Vec<(String, String)>, k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut add = Vec::new();
    match template {
        "staff_arrival" => {
            let arrival = get(params, "arrival");
            add.push((
                "arrival_label",
                match arrival.as_str() {
                    "appointment" => "预约到店".to_string(),
                    "vip" => "贵宾到店".to_string(),
                    _ => "散客".to_string(),
                },
            ));
            let tier = get(params, "tier");
            add.push(("tier_label", if tier.is_empty() { String::new() } else { format!("（{tier}）") }));
            let staff = get(params, "staff");
            add.push(("staff_label", if staff.is_empty() { String::new() } else { format!("，{staff}") }));
            let time = get(params, "appointment_time");
            add.push(("time_label", if time.is_empty() { String::new() } else { format!("，约 {time}") }));
            let mut warning = String::new();
            let allergies = get(params, "allergies");
            if !allergies.is_empty() {
                warning.push_str(&format!("。⚠ 过敏：{allergies}"));
            }
            let contra = get(params, "contraindications");
            if !contra.is_empty() {
                warning.push_str(&format!("。⚠ 禁忌：{contra}"));
            }
            add.push(("warning", warning));
        }
        "reminder_day_before" | "reminder_2h" => {
            let staff = get(params, "staff");
            add.push(("with_staff", if staff.is_empty() { String::new() } else { format!("（{staff}）") }));
        }
        _ => {}
    }
    for (k, v) in add {
        if !params.iter().any(|(n, _)| n == k) {
            params.push((k.to_string(), v));
        }
    }
}

/// The whole text of a message: the configured text or the default, filled, and for
/// marketing the unsubscribe line.
pub fn render(template: &str, configured: Option<&str>, kind: Kind, params: &[(String, String)]) -> String {
    let text = configured.or_else(|| default_text(template)).unwrap_or("{text}");
    let mut out = fill(text, params);
    if kind == Kind::Marketing && !out.trim_end().ends_with("回T退订") {
        out.push_str(UNSUBSCRIBE);
    }
    out
}

/// When a message of `kind` may go out, at or after `now`: staff messages at once;
/// marketing only within `marketing` hours; others within `transactional` hours.
pub fn send_window(
    kind: Kind,
    marketing: &DailySpan,
    transactional: &DailySpan,
    now: DateTime<Utc>,
    tz: Tz,
) -> DateTime<Utc> {
    match kind {
        Kind::Staff => now,
        Kind::Marketing => marketing.next_open(now, tz),
        Kind::Transactional => transactional.next_open(now, tz),
    }
}

/// How a send whose answer was lost (a timeout after sending, a reset, an unreadable 2xx, a
/// crash between the provider's answer and our commit) is settled, by the channel it went
/// through. A message is never sent twice and never silently dropped: what cannot be
/// settled is shown to a person (`salonbox notify list --status unknown`, the kiosk's staff
/// page), who sends it again or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Ask the provider whether it has the message, by the id we sent along (Aliyun
    /// `QuerySendDetails` by `OutId`, Tencent's receipts by `SessionContext`). With no
    /// record `settle` after the attempt, `if_none` decides.
    AskProvider { settle: chrono::Duration, if_none: IfNone },
    /// The channel drops a second copy itself (the cloud relay dedupes by key): send again.
    SendAgain,
    /// Nobody can tell (WeChat template messages, the WeCom and DingTalk bots: no query by
    /// our id, no receipt the shop can receive): a person decides.
    AskPerson,
}

/// What no record at the provider means.
#[derive(Debug, Clone, PartialEq, Eq, Copy)]
pub enum IfNone {
    /// The provider lists a message the moment it takes it (Aliyun: status 1, waiting for
    /// the receipt): no record means it never arrived, so it is sent again.
    SendAgain,
    /// The provider lists it only once the handset's receipt arrives (Tencent): a phone
    /// switched off has none yet, so no record proves nothing and a person decides.
    AskPerson,
}

impl Resolution {
    pub fn for_channel(channel: &str) -> Resolution {
        match channel {
            "aliyun_sms" => {
                Resolution::AskProvider { settle: chrono::Duration::minutes(2), if_none: IfNone::SendAgain }
            }
            "tencent_sms" => {
                Resolution::AskProvider { settle: chrono::Duration::minutes(10), if_none: IfNone::AskPerson }
            }
            "relay" => Resolution::SendAgain,
            _ => Resolution::AskPerson,
        }
    }
}

/// What asking a provider about an unknown outcome found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// It has the message (delivered, or waiting for the handset).
    Sent { provider_ref: Option<String> },
    /// It took the message but could not deliver it.
    Failed { reason: String },
    /// No record of it.
    NotFound,
    /// The provider could not be asked (no answer, refused).
    Unanswered { reason: String },
}

/// The first look at the provider after an unknown outcome, and the longest pause between
/// looks (doubling).
pub const RESOLVE_FIRST: std::time::Duration = std::time::Duration::from_secs(30);
pub const RESOLVE_MAX: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// Looks at the provider that may fail (it does not answer, refuses the query) before the
/// message goes to a person: about six hours at the pauses above.
pub const RESOLVE_TRIES: i64 = 16;

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn p(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn fill_and_render() {
        assert_eq!(fill("{a}和{b}，{{x}} {missing}!", &p(&[("a", "甲"), ("b", "乙")])), "甲和乙，{x} !");
        assert_eq!(placeholders("{a}和{b}，{{x}} {a}{c}"), ["a", "b", "c"]);
        assert_eq!(template_params("reminder_day_before", None), ["shop", "name", "time", "service", "with_staff"]);
        assert_eq!(fill("unclosed {a", &p(&[("a", "x")])), "unclosed {a");
        let text = render("winback", None, Kind::Marketing, &p(&[("shop", "悦颜"), ("name", "王女士"), ("offer", "")]));
        assert!(text.starts_with("悦颜：王女士，好久不见") && text.ends_with("回T退订"), "{text}");
        let once = render("winback", Some("{name} 回T退订"), Kind::Marketing, &p(&[("name", "王女士")]));
        assert_eq!(once, "王女士 回T退订", "not twice");
        let reminder = render("reminder_2h", None, Kind::Transactional, &p(&[("name", "王女士")]));
        assert!(!reminder.contains("退订"));
    }

    #[test]
    fn arrival_labels_name_allergies() {
        let mut params = params_from_json(&serde_json::json!({
            "arrival": "vip", "ticket": "A003", "customer": "王女士", "tier": "金卡", "service": "面部深层清洁",
            "staff": "李娜", "appointment_time": "10:30", "allergies": "酒精", "contraindications": null
        }));
        derive("staff_arrival", &mut params);
        let text = render("staff_arrival", None, Kind::Staff, &params);
        assert_eq!(text, "【到店】A003 王女士（金卡） 贵宾到店：面部深层清洁，李娜，约 10:30。⚠ 过敏：酒精");
    }

    #[test]
    fn marketing_waits_for_its_hours_in_shop_time() {
        let tz = chrono_tz::Asia::Shanghai;
        let m: DailySpan = "10:00-20:00".parse().unwrap();
        let t: DailySpan = "08:00-21:30".parse().unwrap();
        // 21:00 Shanghai
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 13, 0, 0).unwrap();
        assert_eq!(send_window(Kind::Staff, &m, &t, now, tz), now);
        assert_eq!(send_window(Kind::Transactional, &m, &t, now, tz), now);
        assert_eq!(send_window(Kind::Marketing, &m, &t, now, tz), Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap());
        for (name, _, _) in TEMPLATES {
            assert!(is_template(name) && kind_of(name).is_some());
        }
    }
}
