//! Feedback (反馈): a customer rates a visit (1–5 stars and a short comment) at the kiosk or
//! by the link in a relayed thank-you message; a low rating reaches the owner at once; staff
//! record complaints, notes and calls against the customer (客户互动记录).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::customers::lookup_customer;
use super::{App, AppError, Result};
use crate::domain::messages::Kind;
use crate::domain::time::local_dt;
use crate::store::{FeedbackRow, Interaction, NewNotification, Tx, VisitBrief};

/// Records a rating of a visit in the caller's transaction: once per visit, never of a
/// voided one; a low rating alerts the owner and goes into the customer's record.
pub(crate) fn rate_in(
    tx: &Tx<'_>,
    visit_id: &str,
    stars: i64,
    comment: &str,
    channel: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Rated> {
    if !(1..=5).contains(&stars) {
        return Err(AppError::input("评分 rating", format!("{stars} 不在 1–5 之间 / {stars} is not between 1 and 5")));
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        return Err(AppError::input(
            "评价 comment",
            format!("最多 {MAX_COMMENT} 字 / at most {MAX_COMMENT} characters"),
        ));
    }
    let visit = tx.visit_brief(visit_id)?;
    if visit.voided {
        return Err(AppError::input("消费记录 visit", format!("{visit_id} 已撤销 / {visit_id} was voided")));
    }
    let id = tx.insert_feedback(&visit, stars, comment, channel, now)?;
    tx.audit(now, actor, "feedback.add", "visit", &visit.id, &serde_json::json!({ "rating": stars, "via": channel }))?;
    let low = stars <= LOW_RATING;
    if low {
        let customer = visit.customer_name.clone().unwrap_or_else(|| "散客".into());
        let masked = crate::domain::idcard::mask_in_text(comment);
        let said = if comment.is_empty() { "（未留言）" } else { &masked };
        if let Some(c) = &visit.customer_id {
            tx.add_interaction(c, "feedback", &format!("{stars} 星：{said}"), actor, now)?;
        }
        let params = serde_json::json!({
            "customer": customer,
            "date": local_dt(visit.at, tx.tz()),
            "services": visit.services.join("、"),
            "staff": visit.staff.join("、"),
            "rating": stars,
            "comment": said,
        });
        tx.enqueue_notification(
            &NewNotification {
                dedupe_key: format!("lowrating:{id}"),
                kind: Kind::Staff.as_str(),
                audience: "owner",
                customer_id: None,
                recipient: None,
                template: "low_rating",
                params: params.to_string(),
                not_before: now,
                not_after: Some(now + chrono::Duration::days(2)),
            },
            now,
        )?;
    }
    Ok(Rated { feedback_id: id, visit, owner_alerted: low })
}

/// The check a rating link carries: the visit id under the device key, so a link cannot be
/// made up for another visit.
pub fn link_token(device_key: &[u8], visit_id: &str) -> String {
    use hmac::Mac;
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(device_key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(b"feedback:");
    mac.update(visit_id.as_bytes());
    mac.finalize().into_bytes().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The thank-you message with the rating link, queued in the checkout's transaction when
/// `[feedback] thanks_link` is set and the visit has a customer.
pub(crate) fn queue_thanks(
    tx: &Tx<'_>,
    link: &str,
    delay: chrono::Duration,
    device_key: &[u8],
    visit_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let visit = tx.visit_brief(visit_id)?;
    let Some(customer) = visit.customer_id else { return Ok(()) };
    let sep = if link.contains('?') { '&' } else { '?' };
    let url = format!("{link}{sep}v={visit_id}&t={}", link_token(device_key, visit_id));
    tx.enqueue_notification(
        &NewNotification {
            dedupe_key: format!("thanks:{visit_id}"),
            kind: Kind::Transactional.as_str(),
            audience: "customer",
            customer_id: Some(customer),
            recipient: None,
            template: "visit_thanks",
            params: serde_json::json!({ "link": url, "services": visit.services.join("、") }).to_string(),
            not_before: now + delay,
            not_after: Some(now + chrono::Duration::days(2)),
        },
        now,
    )?;
    Ok(())
}

/// Ratings at or below this many stars alert the owner.
pub const LOW_RATING: i64 = 2;
/// The longest comment kept (characters).
pub const MAX_COMMENT: usize = 200;

/// A rating to record: of a visit, or of a customer's latest visit.
#[derive(Debug, Clone, Default)]
pub struct Rating {
    pub visit: Option<String>,
    pub customer: Option<String>,
    pub stars: i64,
    pub comment: String,
    /// kiosk, link (relayed through the cloud), cli
    pub channel: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rated {
    pub feedback_id: String,
    pub visit: VisitBrief,
    /// The owner was told (a low rating).
    pub owner_alerted: bool,
}

const KINDS: &[&str] = &["complaint", "note", "call"];

impl App {
    pub fn rate_visit(&mut self, r: &Rating, actor: &str) -> Result<Rated> {
        let now = self.now();
        self.store.write(|tx| {
            let visit_id = match (&r.visit, &r.customer) {
                (Some(v), _) => v.trim().to_string(),
                (None, Some(c)) => {
                    let c = lookup_customer(tx, c)?;
                    tx.last_visit_of(&c.id)?.ok_or_else(|| {
                        AppError::input(
                            "顾客 customer",
                            format!("{} 还没有消费记录 / {} has no visit to rate", c.name, c.name),
                        )
                    })?
                }
                (None, None) => {
                    return Err(AppError::input(
                        "--visit / --customer",
                        "请指明消费记录或顾客 / name the visit or the customer",
                    ));
                }
            };
            rate_in(tx, &visit_id, r.stars, &r.comment, &r.channel, actor, now)
        })
    }

    pub fn feedback_list(&mut self, days: u32, limit: u32) -> Result<Vec<FeedbackRow>> {
        let since = self.now() - chrono::Duration::days(days.into());
        Ok(self.store.read(|tx| tx.feedback_since(since, limit))?)
    }

    /// Records a complaint, note or call against a customer.
    pub fn add_interaction(&mut self, customer: &str, kind: &str, text: &str, actor: &str) -> Result<String> {
        if !KINDS.contains(&kind) {
            return Err(AppError::input("--kind", format!("应为 {} / one of {}", KINDS.join("、"), KINDS.join(", "))));
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 500 {
            return Err(AppError::input("内容 text", "须为 1–500 字 / 1 to 500 characters"));
        }
        let now = self.now();
        self.store.write(|tx| {
            let c = lookup_customer(tx, customer)?;
            tx.add_interaction(&c.id, kind, text, actor, now)?;
            Ok(c.name)
        })
    }

    pub fn interactions(&mut self, customer: &str, limit: u32) -> Result<Vec<Interaction>> {
        self.store.read(|tx| {
            let c = lookup_customer(tx, customer)?;
            Ok(tx.interactions(&c.id, limit)?)
        })
    }
}
