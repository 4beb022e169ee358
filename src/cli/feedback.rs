//! `salonbox feedback add|list`: customers' ratings of their visits.

use clap::Subcommand;

use super::{CliError, Outcome, msg, print_rows, say};
use crate::app::App;
use crate::app::feedback::Rating;
use crate::domain::time::local_dt;

#[derive(Debug, Subcommand)]
pub enum FeedbackCmd {
    /// 记录一次评价（1–5 星）/ record a rating (1-5 stars)
    Add {
        /// 消费记录编号 / visit id
        #[arg(long, required_unless_present = "customer")]
        visit: Option<String>,
        /// 或：顾客（评最近一次消费）/ or: the customer (rates their latest visit)
        #[arg(long)]
        customer: Option<String>,
        /// 星级 1–5 / stars 1-5
        #[arg(long)]
        rating: i64,
        /// 留言 / comment
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// 最近的评价 / recent ratings
    List {
        /// 最近几天 / within this many days
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn feedback(app: &mut App, cmd: FeedbackCmd) -> Result<Outcome, CliError> {
    let tz = app.tz();
    match cmd {
        FeedbackCmd::Add { visit, customer, rating, comment } => {
            let r =
                app.rate_visit(&Rating { visit, customer, stars: rating, comment, channel: "cli".into() }, "cli")?;
            say(&msg::feedback_recorded(rating, r.owner_alerted))?;
        }
        FeedbackCmd::List { days, limit, json } => {
            let rows = app.feedback_list(days, limit)?;
            print_rows(json, &rows, msg::headers_feedback(), |f| {
                [
                    local_dt(f.at, tz),
                    f.customer.clone().unwrap_or_default(),
                    "★".repeat(f.rating.clamp(0, 5) as usize),
                    f.comment.clone(),
                    f.channel.clone(),
                ]
            })?;
        }
    }
    Ok(Outcome::Ok)
}
