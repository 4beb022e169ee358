//! The cloud sync protocol's wire types and its pure rules (`spec/cloud-sync-v1.md`): what
//! the shop pushes, what it reads back, how a batch is cut, how long to wait after a
//! failure, and who wins a conflict. The payloads of changes the cloud sends down are
//! documented in `docs/sync.md`.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::StaffRole;

/// A push batch holds at most this many events ...
pub const MAX_BATCH_EVENTS: usize = 500;
/// ... and at most this much JSON.
pub const MAX_BATCH_BYTES: usize = 1 << 20;
/// The largest page of changes a pull asks for.
pub const MAX_PAGE: u32 = 500;

/// The event types v1 lets the shop push. The store writes no others.
pub const EVENT_TYPES: &[&str] = &[
    "customer.upserted",
    "customer.deleted",
    "checkin.created",
    "checkin.updated",
    "appointment.upserted",
    "appointment.cancelled",
    "visit.completed",
    "membership.changed",
    "coupon.redeemed",
    "waitlist.changed",
    "notification.sent",
];

/// `200` to a push.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PushAnswer {
    pub accepted: Vec<String>,
    pub duplicates: Vec<String>,
    pub rejected: Vec<RejectedEvent>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct RejectedEvent {
    pub id: String,
    pub reason: String,
}

/// `400` to a push: `{ "error": "text" }`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ErrorBody {
    pub error: String,
}

/// One change of a pull page.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Change {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Grows with every cloud-side edit of the entity; absent for `message.status` and
    /// `customer.unsubscribed`.
    #[serde(default)]
    pub version: Option<i64>,
    pub payload: serde_json::Value,
}

/// `200` to a pull.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    pub next_cursor: String,
    pub has_more: bool,
}

/// `appointment.upserted`. Ids are the cloud's.
/// A change's payload, by its type: the one place that names the types a pull applies.
#[derive(Debug, Clone)]
pub enum ChangePayload {
    AppointmentUpserted(AppointmentChange),
    AppointmentCancelled(AppointmentCancelled),
    CustomerUpserted(CustomerChange),
    CustomerUnsubscribed(Unsubscribed),
    ServiceUpserted(ServiceChange),
    StaffUpserted(StaffChange),
    CouponIssued(CouponIssued),
    MessageStatus(MessageStatus),
    FeedbackSubmitted(FeedbackSubmitted),
    /// Kept as it came (`sync status` shows it); the configuration file stays the authority.
    ConfigChanged,
}

impl ChangePayload {
    /// `None` for a type this program does not know (a newer cloud); `Some(Err)` with the
    /// reason for a payload that does not read.
    pub fn read(c: &Change) -> Option<Result<ChangePayload, String>> {
        fn de<T: serde::de::DeserializeOwned>(
            c: &Change,
            wrap: fn(T) -> ChangePayload,
        ) -> Result<ChangePayload, String> {
            serde_json::from_value(c.payload.clone())
                .map(wrap)
                .map_err(|e| format!("{} 的内容无法读取：{e} / the payload of {} cannot be read: {e}", c.kind, c.kind))
        }
        Some(match c.kind.as_str() {
            "appointment.upserted" => de(c, ChangePayload::AppointmentUpserted),
            "appointment.cancelled" => de(c, ChangePayload::AppointmentCancelled),
            "customer.upserted" => de(c, ChangePayload::CustomerUpserted),
            "customer.unsubscribed" => de(c, ChangePayload::CustomerUnsubscribed),
            "service.upserted" => de(c, ChangePayload::ServiceUpserted),
            "staff.upserted" => de(c, ChangePayload::StaffUpserted),
            "coupon.issued" => de(c, ChangePayload::CouponIssued),
            "message.status" => de(c, ChangePayload::MessageStatus),
            "feedback.submitted" => de(c, ChangePayload::FeedbackSubmitted),
            "config.changed" => Ok(ChangePayload::ConfigChanged),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppointmentChange {
    pub id: String,
    pub customer_id: String,
    pub service_id: String,
    #[serde(default)]
    pub staff_id: Option<String>,
    pub starts_at: DateTime<FixedOffset>,
    /// Defaults to the start plus the service's length.
    #[serde(default)]
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// `booked` (default), `cancelled`, `completed`, `no_show`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    pub updated_at: DateTime<FixedOffset>,
}

/// `appointment.cancelled`.
#[derive(Debug, Clone, Deserialize)]
pub struct AppointmentCancelled {
    pub id: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `customer.upserted`: fields left out are left as the shop has them.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerChange {
    pub id: String,
    /// The shop's own id, when the cloud learnt it from a pushed `customer.upserted`.
    #[serde(default)]
    pub local_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub birthday: Option<NaiveDate>,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub allergies: Option<String>,
    #[serde(default)]
    pub contraindications: Option<String>,
    #[serde(default)]
    pub marketing_consent: Option<bool>,
    pub updated_at: DateTime<FixedOffset>,
}

/// `customer.unsubscribed`: the number replied 回T退订.
#[derive(Debug, Clone, Deserialize)]
pub struct Unsubscribed {
    pub phone: String,
    pub at: DateTime<FixedOffset>,
}

/// `service.upserted`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceChange {
    pub id: String,
    #[serde(default)]
    pub local_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub category: Option<String>,
    pub duration_min: u32,
    /// A decimal string, `"128.00"`.
    pub price: Decimal,
    #[serde(default)]
    pub active: Option<bool>,
}

/// `staff.upserted` (PINs are never sent: staff set their own at the kiosk).
#[derive(Debug, Clone, Deserialize)]
pub struct StaffChange {
    pub id: String,
    #[serde(default)]
    pub local_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub role: Option<StaffRole>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// `coupon.issued`: a coupon of a template the shop knows (by name or id).
#[derive(Debug, Clone, Deserialize)]
pub struct CouponIssued {
    pub id: String,
    pub customer_id: String,
    pub template: String,
}

/// `feedback.submitted`: a rating given through the link of a thank-you message. Not a v1
/// change type: a newer cloud may send it, an older one never does (`docs/sync.md`).
#[derive(Debug, Clone, Deserialize)]
pub struct FeedbackSubmitted {
    pub visit_id: String,
    /// The link's check (`app::feedback::link_token`).
    pub token: String,
    pub rating: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

/// `message.status`: what became of a relayed message.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageStatus {
    pub dedupe_key: String,
    /// `delivered` or `failed`.
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    pub at: DateTime<FixedOffset>,
}

/// How many of the next events (their JSON sizes, in order) make one batch: at most
/// `max_events` (itself at most 500) and 1 MiB with the envelope. At least one.
pub fn batch_len(sizes: impl IntoIterator<Item = usize>, max_events: usize) -> usize {
    let envelope = r#"{"events":[]}"#.len();
    let mut bytes = envelope;
    let mut n = 0;
    for size in sizes.into_iter().take(max_events.clamp(1, MAX_BATCH_EVENTS)) {
        // The comma between events.
        let add = size + usize::from(n > 0);
        if n > 0 && bytes + add > MAX_BATCH_BYTES {
            break;
        }
        bytes += add;
        n += 1;
    }
    n.max(1)
}

/// The wait after `failures` failures in a row: from 1 s, doubling, capped at `max` (the
/// spec's 5 min unless configured lower); `jitter` in `0..1` takes up to half of it away,
/// so appliances that failed together do not come back together.
pub fn backoff(failures: u32, max: Duration, jitter: f64) -> Duration {
    let base = 2f64.powi(failures.saturating_sub(1).min(16) as i32).min(max.as_secs_f64().min(300.0));
    Duration::from_secs_f64(base * (1.0 - 0.5 * jitter.clamp(0.0, 1.0)))
}

/// The customer conflict rule: the shop keeps its own edit when it was made after the
/// cloud's `updated_at` (and sends it up); otherwise the cloud's edit is applied.
pub fn customer_keeps_local(local_updated_at: DateTime<Utc>, cloud_updated_at: DateTime<Utc>) -> bool {
    local_updated_at > cloud_updated_at
}

/// Whether a versioned change is newer than what the shop holds from the cloud.
pub fn is_newer(version: Option<i64>, held: Option<i64>) -> bool {
    match (version, held) {
        (Some(v), Some(h)) => v > h,
        (Some(_), None) => true,
        // A versioned entity change without a version cannot be ordered: the caller
        // records it as skipped.
        (None, _) => false,
    }
}

/// `store_id` as the spec allows it: 1-64 of `[A-Za-z0-9_-]`.
pub fn store_id_valid(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// https, or http only to a loopback host (tests), as the sync spec requires.
pub fn base_url_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host =
        host.rsplit_once(':').map_or(host, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { host });
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_as_its_type_or_says_why_not() {
        let change = |kind: &str, payload: serde_json::Value| Change {
            id: "c1".into(),
            kind: kind.into(),
            version: Some(1),
            payload,
        };
        let ok = change(
            "customer.unsubscribed",
            serde_json::json!({ "phone": "13800138000", "at": "2026-11-23T10:00:00+08:00" }),
        );
        assert!(matches!(ChangePayload::read(&ok), Some(Ok(ChangePayload::CustomerUnsubscribed(_)))), "{ok:?}");
        let bad = change("appointment.upserted", serde_json::json!({ "id": 7 }));
        match ChangePayload::read(&bad) {
            Some(Err(reason)) => assert!(reason.contains("appointment.upserted"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(ChangePayload::read(&change("loyalty.rewired", serde_json::json!({}))).is_none());
        let config = change("config.changed", serde_json::json!({ "anything": true }));
        assert!(matches!(ChangePayload::read(&config), Some(Ok(ChangePayload::ConfigChanged))));
    }

    #[test]
    fn batches_stop_at_500_events_or_one_mebibyte() {
        assert_eq!(batch_len(std::iter::repeat_n(300, 2000), 500), 500);
        assert_eq!(batch_len(std::iter::repeat_n(300, 20), 500), 20);
        assert_eq!(batch_len(std::iter::repeat_n(300, 2000), 7), 7);
        // 4000 events of 400 KiB: two fit, the third would pass 1 MiB.
        assert_eq!(batch_len(std::iter::repeat_n(400 * 1024, 4000), 500), 2);
        // One event alone always makes a batch, however large.
        assert_eq!(batch_len([2 << 20], 500), 1);
        assert_eq!(batch_len(std::iter::empty(), 500), 1);
    }

    #[test]
    fn backoff_doubles_from_one_second_to_five_minutes() {
        let five = Duration::from_secs(300);
        let s = |n| backoff(n, five, 0.0).as_secs_f64();
        assert_eq!((s(1), s(2), s(3), s(9)), (1.0, 2.0, 4.0, 256.0));
        assert_eq!(s(10), 300.0);
        assert_eq!(s(1000), 300.0);
        assert_eq!(backoff(3, five, 1.0).as_secs_f64(), 2.0);
        assert_eq!(backoff(5, Duration::from_secs(2), 0.0).as_secs_f64(), 2.0);
        assert_eq!(backoff(5, Duration::from_secs(3600), 0.0).as_secs_f64(), 16.0);
    }

    #[test]
    fn versions_and_conflicts() {
        assert!(is_newer(Some(3), Some(2)) && is_newer(Some(1), None));
        assert!(!is_newer(Some(2), Some(2)) && !is_newer(Some(1), Some(2)) && !is_newer(None, None));
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert!(customer_keeps_local(t("2026-11-22T03:00:01Z"), t("2026-11-22T03:00:00Z")));
        assert!(!customer_keeps_local(t("2026-11-22T03:00:00Z"), t("2026-11-22T03:00:00Z")));
    }

    #[test]
    fn store_ids() {
        assert!(store_id_valid("shop-001") && store_id_valid(&"a".repeat(64)));
        assert!(!store_id_valid("") && !store_id_valid(&"a".repeat(65)) && !store_id_valid("shop 1"));
        assert!(!store_id_valid("店1"));
    }
}
