//! Campaigns (营销活动): who they reach, who is held out, and what they changed. A
//! campaign's definition is a TOML file (templates in `config/campaigns/`) or the same
//! fields from the command line.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A campaign as the owner defines it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CampaignDef {
    pub name: String,
    /// The last day of the campaign (shop time): its coupons and its effect window end here.
    pub end: NaiveDate,
    /// Messages go out from this day (default: when it starts) ...
    #[serde(default)]
    pub send_from: Option<NaiveDate>,
    /// ... until the end of this day (default: `end`).
    #[serde(default)]
    pub send_until: Option<NaiveDate>,
    /// The share of the audience left out at random, to measure the effect against.
    #[serde(default = "default_holdout")]
    pub holdout_percent: u8,
    /// A member's visits and redemptions count this many days after they joined (default:
    /// until the campaign's end).
    #[serde(default)]
    pub effect_days: Option<u32>,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub offer: Offer,
    pub message: Message,
}

fn default_holdout() -> u8 {
    10
}

/// Who a campaign is for. Marketing consent (and no 回T退订) is always required on top.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Any of these tiers.
    #[serde(default)]
    pub tiers: Vec<String>,
    /// Any of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The last visit was before this day ...
    #[serde(default)]
    pub last_visit_before: Option<NaiveDate>,
    /// ... or on or after this one.
    #[serde(default)]
    pub last_visit_after: Option<NaiveDate>,
    /// Lifetime spend (yuan) at least this.
    #[serde(default)]
    pub min_lifetime_spend: Option<Decimal>,
    /// Born in this month (1-12).
    #[serde(default)]
    pub birthday_month: Option<u32>,
    /// Has had any of these services (names).
    #[serde(default)]
    pub services_used: Vec<String>,
}

/// What the campaign gives: a coupon of a template, or nothing.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    #[serde(default)]
    pub coupon: Option<String>,
}

/// The message, per channel: the text (with `{name}`, `{shop}`, `{coupon}`, `{valid_to}`)
/// and each provider's approved template id.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub text: String,
    #[serde(default)]
    pub aliyun: Option<String>,
    #[serde(default)]
    pub tencent: Option<String>,
    #[serde(default)]
    pub wechat: Option<String>,
}

/// A definition that cannot run, and which field says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}：{message}")]
pub struct DefError {
    pub field: &'static str,
    pub message: String,
}

impl CampaignDef {
    /// Checks what the types cannot: the name, the dates, the share, the month.
    pub fn check(&self, today: NaiveDate) -> Result<(), DefError> {
        let err = |field, message: String| Err(DefError { field, message });
        if self.name.trim().is_empty() || self.name.chars().count() > 40 {
            return err("name", "活动名称须为 1–40 字 / the name must be 1-40 characters".into());
        }
        if self.end < today {
            return err("end", format!("结束日 {} 已过 / the end {} has passed", self.end, self.end));
        }
        if self.holdout_percent > 50 {
            return err(
                "holdout_percent",
                format!(
                    "对照组 {}% 超过 50% / a hold-out of {}% is over 50%",
                    self.holdout_percent, self.holdout_percent
                ),
            );
        }
        if let Some(m) = self.audience.birthday_month
            && !(1..=12).contains(&m)
        {
            return err("audience.birthday_month", format!("{m} 不是月份 / {m} is not a month"));
        }
        if let (Some(from), Some(until)) = (self.send_from, self.send_until)
            && until < from
        {
            return err("send_until", "发送截止早于开始 / send_until is before send_from".into());
        }
        if self.message.text.trim().is_empty() {
            return err("message.text", "消息内容不能为空 / the message text is empty".into());
        }
        Ok(())
    }
}

/// Whether a customer is in the hold-out group: a fair coin weighted `percent`, drawn from
/// the campaign and customer ids, so the same customer lands on the same side however
/// often the campaign is previewed.
pub fn held_out(campaign_id: &str, customer_id: &str, percent: u8) -> bool {
    let mut h = Sha256::new();
    h.update(campaign_id.as_bytes());
    h.update([0]);
    h.update(customer_id.as_bytes());
    let d = h.finalize();
    let n = u16::from_be_bytes([d[0], d[1]]) % 10_000;
    n < u16::from(percent.min(100)) * 100
}

/// One group's figures over the effect window.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct GroupFigures {
    pub members: i64,
    /// Messages that went out.
    pub reached: i64,
    /// Campaign coupons redeemed.
    pub redeemed: i64,
    /// Members who visited in the window.
    pub visited: i64,
    /// Their spend in the window.
    pub revenue: Decimal,
    /// The spend in the window of the members who redeemed.
    pub revenue_redeemers: Decimal,
}

impl GroupFigures {
    pub fn visit_rate(&self) -> Decimal {
        ratio(Decimal::from(self.visited), self.members)
    }

    pub fn revenue_per_member(&self) -> Decimal {
        ratio(self.revenue, self.members)
    }
}

/// A rate as a percentage to one decimal, rounded (half away from zero), not cut: 1 of 39
/// is "2.6%", not "2.5%".
pub fn percent(rate: Decimal) -> String {
    let p = (rate * Decimal::from(100)).round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{p:.1}%")
}

fn ratio(x: Decimal, n: i64) -> Decimal {
    if n == 0 { Decimal::ZERO } else { x / Decimal::from(n) }
}

/// What the campaign changed, against the hold-out: the extra visit rate (percentage
/// points) and the extra revenue (per member difference × the campaign group's size).
pub fn uplift(target: &GroupFigures, holdout: &GroupFigures) -> (Decimal, Decimal) {
    let points = ((target.visit_rate() - holdout.visit_rate()) * Decimal::from(100))
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let extra =
        ((target.revenue_per_member() - holdout.revenue_per_member()) * Decimal::from(target.members)).round_dp(2);
    (points, extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_rounded_not_cut() {
        let one_in = |n: i64| GroupFigures { visited: 1, members: n, ..Default::default() }.visit_rate();
        assert_eq!(percent(one_in(39)), "2.6%");
        assert_eq!(percent(one_in(3)), "33.3%");
        assert_eq!(percent(Decimal::new(1, 3) * Decimal::from(5) / Decimal::from(10)), "0.1%", "0.05 % rounds up");
        assert_eq!(percent(Decimal::ZERO), "0.0%");
    }

    #[test]
    fn hold_out_share_is_close_to_the_percent_and_stable() {
        let n = 20_000;
        let held = (0..n).filter(|i| held_out("c1", &format!("cust-{i}"), 10)).count();
        assert!((1800..2200).contains(&held), "{held}");
        assert_eq!(held_out("c1", "cust-7", 10), held_out("c1", "cust-7", 10));
        assert!((0..1000).all(|i| !held_out("c1", &format!("x{i}"), 0)));
        assert!((0..1000).all(|i| held_out("c1", &format!("x{i}"), 100)));
    }

    #[test]
    fn uplift_against_the_hold_out() {
        let t = GroupFigures { members: 90, visited: 27, revenue: Decimal::from(9000), ..Default::default() };
        let h = GroupFigures { members: 10, visited: 1, revenue: Decimal::from(300), ..Default::default() };
        // 30% vs 10% visited: +20 points; (100 - 30) × 90 = 6300 extra.
        assert_eq!(uplift(&t, &h), (Decimal::from(20), Decimal::from(6300)));
        assert_eq!(uplift(&GroupFigures::default(), &GroupFigures::default()), (Decimal::ZERO, Decimal::ZERO));
    }

    #[test]
    fn definitions_are_checked_field_by_field() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let ok: CampaignDef = toml::from_str(
            "name = \"双十二\"\nend = \"2026-12-31\"\n[audience]\ntiers = [\"金卡\"]\n[offer]\ncoupon = \"满300减50\"\n[message]\ntext = \"{shop}：{name}\"\n",
        )
        .unwrap();
        assert_eq!(ok.holdout_percent, 10);
        assert!(ok.check(today).is_ok());
        let bad = CampaignDef { holdout_percent: 60, ..ok.clone() };
        assert_eq!(bad.check(today).unwrap_err().field, "holdout_percent");
        let bad = CampaignDef { end: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), ..ok.clone() };
        assert_eq!(bad.check(today).unwrap_err().field, "end");
        let mut bad = ok.clone();
        bad.audience.birthday_month = Some(13);
        assert_eq!(bad.check(today).unwrap_err().field, "audience.birthday_month");
        let e =
            toml::from_str::<CampaignDef>("name = \"x\"\nend = \"2026-12-31\"\nbudget = 3\n[message]\ntext = \"t\"\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("budget") && e.contains("line 3"), "{e}");
    }
}
