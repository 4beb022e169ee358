//! Feedback (反馈): a customer rates a visit (1–5 stars and a short comment) at the kiosk or
//! by the link in a relayed thank-you message; a low rating reaches the owner at once; staff
//! record complaints, notes and calls against the customer (客户互动记录).

use serde::Serialize;

use super::customers::lookup_customer;
use super::{App, AppError, Result};
use crate::domain::messages::Kind;
use crate::domain::time::local_dt;
use crate::store::{FeedbackRow, Interaction, NewNotification, VisitBrief};

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
        if !(1..=5).contains(&r.stars) {
            return Err(AppError::input(
                "评分 rating",
                format!("{} 不在 1–5 之间 / {} is not between 1 and 5", r.stars, r.stars),
            ));
        }
        let comment = r.comment.trim();
        if comment.chars().count() > MAX_COMMENT {
            return Err(AppError::input(
                "评价 comment",
                format!("最多 {MAX_COMMENT} 字 / at most {MAX_COMMENT} characters"),
            ));
        }
        let now = self.now();
        let tz = self.tz();
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
            let visit = tx.visit_brief(&visit_id)?;
            if visit.voided {
                return Err(AppError::input("消费记录 visit", format!("{visit_id} 已撤销 / {visit_id} was voided")));
            }
            let id = tx.insert_feedback(&visit, r.stars, comment, &r.channel, now)?;
            tx.audit(now, actor, "feedback.add", "visit", &visit.id, &serde_json::json!({ "rating": r.stars }))?;
            let low = r.stars <= LOW_RATING;
            if low {
                let customer = visit.customer_name.clone().unwrap_or_else(|| "散客".into());
                if let Some(c) = &visit.customer_id {
                    let text = format!("{} 星：{}", r.stars, if comment.is_empty() { "（未留言）" } else { comment });
                    tx.add_interaction(c, "feedback", &text, actor, now)?;
                }
                let params = serde_json::json!({
                    "customer": customer,
                    "date": local_dt(visit.at, tz),
                    "services": visit.services.join("、"),
                    "staff": visit.staff.join("、"),
                    "rating": r.stars,
                    "comment": if comment.is_empty() { "（未留言）" } else { comment },
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
