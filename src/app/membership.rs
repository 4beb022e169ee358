//! The owner's membership rules (tiers, points, rebates, coupons, commissions, top-up
//! bonuses), products, prepaid course sales, and a customer's membership summary.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::customers::lookup_customer;
use super::rules::{ChangeOutcome, RuleChange};
use super::{App, AppError, Result};
use crate::domain::checkout::{CouponKind, RebateRule, Tender};
use crate::domain::money::{from_fen, to_fen};
use crate::domain::points::replay;
use crate::store::{CourseBalance, IssuedCoupon, NewCourse, NewStoredValue, NewVisit, NewVisitItem, Product, Tier};

/// What `customer show` adds about membership.
#[derive(Debug, Clone, Serialize)]
pub struct MembershipSummary {
    pub tier: Option<String>,
    pub points: i64,
    pub stored_value_principal: Decimal,
    pub stored_value_bonus: Decimal,
    pub courses: Vec<CourseBalance>,
    /// Coupons not yet used, newest first.
    pub coupons: Vec<IssuedCoupon>,
}

#[derive(Debug, Clone)]
pub struct CourseSaleRequest {
    pub customer: String,
    pub service: String,
    pub sessions: u32,
    pub price: Decimal,
    /// Days the course stays valid; `None`: no end.
    pub valid_days: Option<i64>,
    pub tenders: Vec<(Tender, Decimal)>,
}

/// Every rule in force, as `salonbox rules show` (and the back office) list them.
#[derive(Debug, Clone, Serialize)]
pub struct RulesInForce {
    /// Points per yuan paid, by category (`*`: every other).
    pub points_per_yuan: Vec<(String, Decimal)>,
    /// What a point is worth when redeemed.
    pub point_value: Decimal,
    /// Days a point lives; `None`: never expires.
    pub points_expire_days: Option<i64>,
    /// Points for a check-in, once a shop day (0: none).
    pub checkin_points: i64,
    /// Points for the member who recommended a customer, at her first paid visit (0: none).
    pub referral_points: i64,
    /// Referral awards a member may earn in a calendar month (0: no limit).
    pub referral_max_per_month: i64,
    pub tiers: Vec<Tier>,
    /// The day tiers are reviewed (MM-DD).
    pub tier_review_on: String,
    /// `(top up at least, bonus)`.
    pub topup_bonuses: Vec<(Decimal, Decimal)>,
    pub bonus_per_multiple: bool,
    pub bonus_expire_days: Option<i64>,
    pub stored_value_cap: Option<Decimal>,
    pub rebates: Vec<RebateRule>,
    /// Commission rates by service or category; without one, each beautician's own rate.
    pub commissions: Vec<(String, Decimal)>,
    /// Each beautician's own rates: `(name, service %, product %)`.
    pub staff_rates: Vec<(String, Decimal, Decimal)>,
}

impl RulesInForce {
    /// The rules as text, one section per kind.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut t = String::new();
        let _ = writeln!(t, "积分 Points");
        for (cat, per) in &self.points_per_yuan {
            let cat = if cat == "*" { "其他 every other category" } else { cat.as_str() };
            let _ = writeln!(t, "  {cat}: 每元 {per} 分 / {per} per yuan");
        }
        let _ = writeln!(t, "  每分值 ¥{} / a point is worth ¥{}", self.point_value, self.point_value);
        let _ = match self.points_expire_days {
            Some(d) => writeln!(t, "  有效 {d} 天 / valid {d} days"),
            None => writeln!(t, "  永久有效 / never expire"),
        };
        let (c, r) = (self.checkin_points, self.referral_points);
        let _ = writeln!(t, "  签到积分 {c} 分（每天一次）/ check-in points {c} (once a day)");
        let _ = match self.referral_max_per_month {
            0 => writeln!(t, "  推荐积分 {r} 分（不限次数）/ referral points {r} (no monthly limit)"),
            m => writeln!(t, "  推荐积分 {r} 分（每月最多 {m} 次）/ referral points {r} (at most {m} a month)"),
        };
        let _ = writeln!(t, "会员等级 Tiers（评定日 review day {}）", self.tier_review_on);
        for tier in &self.tiers {
            let mut discounts: Vec<String> = tier
                .discounts
                .iter()
                .map(|(k, v)| format!("{} {}%", if k == "*" { "全部 all" } else { k.as_str() }, v.normalize()))
                .collect();
            if discounts.is_empty() {
                discounts.push("无 none".into());
            }
            let _ = writeln!(
                t,
                "  {} ≥ ¥{}：折扣 {}，积分 × {} / discount {}, points × {}",
                tier.name,
                tier.min_spend,
                discounts.join(", "),
                tier.points_multiplier,
                discounts.join(", "),
                tier.points_multiplier
            );
        }
        let _ = writeln!(t, "储值 Stored value");
        for (min, bonus) in &self.topup_bonuses {
            let (min, bonus) = (min.normalize(), bonus.normalize());
            let _ = writeln!(t, "  充 {min} 送 {bonus} / top up {min}, get {bonus}");
        }
        let _ = writeln!(
            t,
            "  {}",
            if self.bonus_per_multiple {
                "赠送每满一次送一次 / a bonus for each full multiple"
            } else {
                "每次充值只送一次（取最高一档）/ one bonus per top-up (the best rule reached)"
            }
        );
        let _ = match self.bonus_expire_days {
            Some(d) => {
                writeln!(t, "  赠送金额有效 {d} 天，本金永久 / bonus valid {d} days, the principal never expires")
            }
            None => writeln!(t, "  赠送金额永久有效 / bonus never expires"),
        };
        let _ = match self.stored_value_cap {
            Some(c) => writeln!(t, "  单卡上限 ¥{c} / at most ¥{c} a card"),
            None => writeln!(t, "  单卡不设上限 / no cap"),
        };
        let _ = writeln!(t, "返点 Rebates");
        if self.rebates.is_empty() {
            let _ = writeln!(t, "  （无 / none）");
        }
        for r in &self.rebates {
            let to = if r.credit_to.as_str() == "points" {
                "返到积分 as points"
            } else {
                "返到储值 as stored value"
            };
            let _ = writeln!(t, "  {}：{}，{to}", r.name, r.kind.describe());
        }
        let _ = writeln!(t, "提成 Commission");
        for (k, rate) in &self.commissions {
            let _ = writeln!(t, "  {k}: {rate}%");
        }
        for (name, service, product) in &self.staff_rates {
            let _ =
                writeln!(t, "  {name}：服务 {service}%，产品 {product}% / services {service}%, products {product}%");
        }
        t.trim_end().to_string()
    }
}

/// What a tier review did.
#[derive(Debug, Clone, Serialize)]
pub struct TierReview {
    /// The review date it applied.
    pub review_date: chrono::NaiveDate,
    pub customers: usize,
    pub upgraded: usize,
    pub downgraded: usize,
}

/// The latest review date on or before `today` for a review day `MM-DD` (29 February
/// falls on the 28th in common years).
pub fn latest_review_date(review_on: &str, today: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let (m, d) = review_on.trim().split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    let on = |year: i32| {
        chrono::NaiveDate::from_ymd_opt(year, m, d)
            .or_else(|| (m == 2 && d == 29).then(|| chrono::NaiveDate::from_ymd_opt(year, 2, 28)).flatten())
    };
    let this_year = on(today.year())?;
    if this_year <= today { Some(this_year) } else { on(today.year() - 1) }
}

/// A sold course.
#[derive(Debug, Clone, Serialize)]
pub struct CourseSale {
    pub visit_id: String,
    pub course_id: String,
    pub sessions: u32,
    pub price: Decimal,
    pub valid_until: Option<DateTime<Utc>>,
}

/// Writes every expiry of a customer's points and stored-value bonus up to `at` that no
/// ledger row records yet, each at the moment it happened (`domain::points`). Balances do
/// not change: the replay knew; the ledgers now say so. Returns `(points, bonus fen)`.
pub(crate) fn record_expiries(
    tx: &crate::store::Tx<'_>,
    customer_id: &str,
    at: DateTime<Utc>,
) -> std::result::Result<(i64, i64), crate::store::StoreError> {
    let (mut points, mut bonus_fen) = (0, 0);
    for (when, n) in crate::domain::points::unrecorded_expiries(&tx.points_rows(customer_id)?, at) {
        tx.record_points_expiry(customer_id, n, when)?;
        points += n;
    }
    for (when, n) in crate::domain::points::unrecorded_expiries(&tx.bonus_rows(customer_id)?, at) {
        tx.record_bonus_expiry(customer_id, n, when)?;
        bonus_fen += n;
    }
    Ok((points, bonus_fen))
}

fn pct(field: &str, v: Decimal) -> Result<Decimal> {
    if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
        return Err(AppError::input(field, format!("应在 0–100 之间：{v} / must be between 0 and 100: {v}")));
    }
    Ok(v)
}

impl App {
    pub fn tiers(&mut self) -> Result<Vec<Tier>> {
        self.store.read(|tx| Ok(tx.tiers()?))
    }

    /// Creates or changes a tier by name; discounts are percent off by category (`*`: all).
    pub fn set_tier(&mut self, tier: &Tier, actor: &str) -> Result<()> {
        self.change_rule(RuleChange::Tier { tier: tier.clone() }, None, actor).map(|_| ())
    }

    /// The scalar rules (`app::rules::VALUE_KEYS`), in force at once. Each value is checked
    /// before it is kept.
    pub fn set_rule_value(&mut self, key: &str, value: &str, actor: &str) -> Result<()> {
        self.change_rule(RuleChange::Value { key: key.to_string(), value: value.to_string() }, None, actor).map(|_| ())
    }

    pub fn set_points_rule(&mut self, category: &str, per_yuan: Decimal, actor: &str) -> Result<()> {
        self.change_rule(RuleChange::PointsPerYuan { category: category.to_string(), per_yuan }, None, actor)
            .map(|_| ())
    }

    /// A commission rate for a service (by name or id) or a category.
    pub fn set_commission_rule(
        &mut self,
        service: Option<&str>,
        category: Option<&str>,
        rate: Decimal,
        actor: &str,
    ) -> Result<()> {
        let key = match (service, category) {
            (Some(s), None) => format!("service:{s}"),
            (None, Some(c)) => format!("category:{c}"),
            _ => {
                return Err(AppError::input("提成 commission", "请给出服务或类别之一 / give a service or a category"));
            }
        };
        self.change_rule(RuleChange::Commission { key, rate }, None, actor).map(|_| ())
    }

    pub fn set_topup_bonus(&mut self, min_topup: Decimal, bonus: Decimal, actor: &str) -> Result<()> {
        self.change_rule(RuleChange::TopupBonus { min_topup, bonus }, None, actor).map(|_| ())
    }

    pub fn add_rebate_rule(&mut self, rule: &RebateRule, priority: i64, actor: &str) -> Result<String> {
        match self.change_rule(RuleChange::RebateAdd { rule: rule.clone(), priority }, None, actor)? {
            ChangeOutcome::Applied(Some(id)) => Ok(id),
            _ => Err(AppError::input("返点 rebate", "未能添加 / not added")),
        }
    }

    /// Every rule in force, read in one transaction.
    pub fn rules_in_force(&mut self) -> Result<RulesInForce> {
        self.apply_due_rule_changes()?;
        Ok(self.store.read(|tx| {
            let points = tx.points_rules()?;
            let cap = tx.stored_value_cap()?;
            let count = |key: &str| -> std::result::Result<i64, crate::store::StoreError> {
                Ok(tx.setting(key)?.and_then(|v| v.trim().parse().ok()).unwrap_or(0))
            };
            Ok::<_, crate::store::StoreError>(RulesInForce {
                points_per_yuan: points.earn_per_yuan.into_iter().collect(),
                point_value: points.point_value,
                points_expire_days: tx.points_lifetime_days()?,
                checkin_points: count("points.checkin")?,
                referral_points: count("referral.points")?,
                referral_max_per_month: count("referral.max_per_month")?,
                tiers: tx.tiers()?,
                tier_review_on: tx.setting("tier.review_on")?.unwrap_or_default(),
                topup_bonuses: tx
                    .topup_bonus_rules()?
                    .into_iter()
                    .map(|(m, b)| (crate::domain::money::from_fen(m), crate::domain::money::from_fen(b)))
                    .collect(),
                bonus_per_multiple: tx.bonus_per_multiple()?,
                bonus_expire_days: tx.bonus_lifetime_days()?,
                stored_value_cap: cap,
                rebates: tx.rebate_rules()?,
                commissions: tx.commission_rules()?,
                staff_rates: tx
                    .list_staff()?
                    .into_iter()
                    .filter(|s| s.active)
                    .map(|s| (s.name, s.service_commission_pct, s.product_commission_pct))
                    .collect(),
            })
        })?)
    }

    pub fn rebate_rules(&mut self) -> Result<Vec<RebateRule>> {
        self.store.read(|tx| Ok(tx.rebate_rules()?))
    }

    /// A coupon template. A free-service coupon names the service by name or id.
    pub fn add_coupon_template(
        &mut self,
        name: &str,
        kind: &CouponKind,
        valid_days: i64,
        per_customer: i64,
        actor: &str,
    ) -> Result<String> {
        if valid_days <= 0 || per_customer <= 0 {
            return Err(AppError::input(
                "优惠券 coupon",
                "有效天数和每人限领须大于 0 / days and limit must be above 0",
            ));
        }
        let now = self.now();
        self.store.write(|tx| {
            let kind = match kind {
                CouponKind::FreeService { service_id } => {
                    CouponKind::FreeService { service_id: tx.find_service(service_id)?.id }
                }
                CouponKind::PercentOff { percent, .. } => {
                    pct("折扣 percent", *percent)?;
                    kind.clone()
                }
                CouponKind::AmountOff { .. } => kind.clone(),
            };
            let id = tx.add_coupon_template(name.trim(), &kind, valid_days, per_customer, now)?;
            tx.audit(now, actor, "coupon.template", "coupon_template", &id, &serde_json::json!({ "name": name }))?;
            Ok(id)
        })
    }

    /// The coupon templates in use, with how many were issued and used.
    pub fn coupon_templates(&mut self) -> Result<Vec<crate::store::CouponTemplate>> {
        self.store.read(|tx| Ok(tx.coupon_templates()?))
    }

    /// Issues a coupon to a customer; returns its code.
    pub fn issue_coupon(&mut self, template: &str, customer: &str, actor: &str) -> Result<String> {
        let now = self.now();
        self.store.write(|tx| {
            let c = lookup_customer(tx, customer)?;
            let code = tx
                .issue_coupon(template, &c.id, "staff", None, now)?
                .ok_or_else(|| AppError::input("优惠券 coupon", "重复发放 / issued already"))?
                .code;
            tx.audit(now, actor, "coupon.issue", "customer", &c.id, &serde_json::json!({ "code": code }))?;
            Ok(code)
        })
    }

    pub fn add_product(
        &mut self,
        sku: &str,
        name: &str,
        category: &str,
        price: Decimal,
        actor: &str,
    ) -> Result<Product> {
        let now = self.now();
        self.store.write(|tx| {
            let p = tx.insert_product(sku, name, category, price, now)?;
            tx.audit(now, actor, "product.add", "product", &p.id, &serde_json::json!({ "price": price }))?;
            Ok(p)
        })
    }

    pub fn products(&mut self) -> Result<Vec<Product>> {
        self.store.read(|tx| Ok(tx.products()?))
    }

    /// Sells a prepaid course of `sessions` sessions of a service, paid now.
    pub fn sell_course(&mut self, r: &CourseSaleRequest, actor: &str) -> Result<CourseSale> {
        let CourseSaleRequest { customer, service, sessions, price, valid_days, tenders } = r;
        let (sessions, price, valid_days) = (*sessions, *price, *valid_days);
        if sessions == 0 {
            return Err(AppError::input("次数 sessions", "须大于 0 / must be at least 1"));
        }
        let payments = super::checkout::paid_in_full("售价", price, tenders)?;
        let now = self.now();
        self.store.write(|tx| {
            let c = lookup_customer(tx, customer)?;
            let s = tx.find_service(service)?;
            let price_fen = to_fen(price)?;
            let valid_until = valid_days.map(|d| now + Duration::days(d));
            let visit_id = tx.insert_visit(&NewVisit {
                kind: "course_sale",
                customer_id: Some(c.id.clone()),
                items: vec![NewVisitItem::single("course_sale", Some(s.id.clone()), price_fen)],
                payments,
                at: now,
                ..NewVisit::default()
            })?;
            let course_id = tx.insert_course(
                &NewCourse { customer_id: c.id.clone(), service_id: s.id, sessions, price_fen, valid_until },
                &visit_id,
                now,
            )?;
            tx.audit(now, actor, "course.sell", "customer", &c.id, &serde_json::json!({ "course": course_id }))?;
            Ok(CourseSale { visit_id, course_id, sessions, price, valid_until })
        })
    }

    /// A customer's membership (by phone, member code or id).
    /// The tier review, the only time a tier goes down: each customer gets the tier their
    /// spend or points within the tier's period reach. It applies the latest review date
    /// (`tier.review_on`, MM-DD) once; an appliance that was off that day catches up.
    pub fn review_tiers(&mut self, actor: &str) -> Result<TierReview> {
        let now = self.now();
        let today = self.today();
        self.store.write(|tx| {
            let review_on = tx.setting("tier.review_on")?.unwrap_or_else(|| "01-01".into());
            let date = latest_review_date(&review_on, today).ok_or_else(|| {
                AppError::input("tier.review_on", format!("应为 MM-DD：{review_on} / expected MM-DD: {review_on}"))
            })?;
            if let Some(last) = tx.setting("tier.last_review")?
                && last.as_str() >= date.to_string().as_str()
            {
                return Err(AppError::input(
                    "会员等级评定 tier review",
                    format!("{date} 的评定已完成，下次在 {review_on} / the review of {date} is done; the next is on {review_on}"),
                ));
            }
            let tiers = tx.tiers()?;
            let thresholds: Vec<(i64, Decimal, i64)> = tiers.iter().map(|t| (t.rank, t.min_spend, t.min_points)).collect();
            let mut periods: Vec<i64> = tiers.iter().map(|t| t.period_days).collect();
            periods.sort_unstable();
            periods.dedup();
            // measured over each period up to the start of the review day
            let until = crate::domain::time::day_bounds(date, tx.tz()).start;
            let mut measured = std::collections::HashMap::new();
            for p in &periods {
                let range = crate::domain::time::Interval::new(until - Duration::days((*p).max(1)), until);
                measured.insert(*p, (tx.spend_by_customer(range)?, tx.points_by_customer(range)?));
            }
            let (mut up, mut down) = (0, 0);
            let customers = tx.customer_ranks()?;
            for (id, current) in &customers {
                let rank = crate::domain::checkout::qualifying_rank(&thresholds, |rank| {
                    let period = tiers.iter().find(|t| t.rank == rank).map_or(365, |t| t.period_days);
                    measured.get(&period).map_or((Decimal::ZERO, 0), |(s, p)| {
                        (from_fen(s.get(id).copied().unwrap_or(0)), p.get(id).copied().unwrap_or(0))
                    })
                });
                if rank != *current
                    && let Some(t) = tiers.iter().find(|t| Some(t.rank) == rank)
                {
                    tx.set_customer_tier(id, &t.id, now)?;
                    super::checkout::membership_changed(tx, id, now)?;
                    if current.is_some_and(|c| t.rank < c) { down += 1 } else { up += 1 }
                }
            }
            tx.set_setting("tier.last_review", &date.to_string())?;
            tx.audit(now, actor, "tier.review", "settings", &date.to_string(), &serde_json::json!({ "up": up, "down": down }))?;
            Ok(TierReview { review_date: date, customers: customers.len(), upgraded: up, downgraded: down })
        })
    }

    pub fn membership(&mut self, customer: &str) -> Result<MembershipSummary> {
        let now = self.now();
        self.store.read(|tx| {
            let c = lookup_customer(tx, customer)?;
            let (sv, _) = tx.stored_value_balance(&c.id, now)?;
            Ok(MembershipSummary {
                tier: c.tier,
                points: replay(&tx.points_rows(&c.id)?, now).available,
                stored_value_principal: sv.principal,
                stored_value_bonus: sv.bonus,
                courses: tx.courses(&c.id)?,
                coupons: tx
                    .customer_coupons(&c.id)?
                    .into_iter()
                    .filter(|k| !k.redeemed && k.coupon.valid_until > now)
                    .collect(),
            })
        })
    }

    /// Refunds a stored-value card (退卡): the principal left is paid back, the bonus is
    /// forfeited; both leave the card through ledger rows.
    pub fn refund_stored_value(&mut self, customer: &str, tender: Tender, actor: &str) -> Result<Decimal> {
        let now = self.now();
        self.store.write(|tx| {
            let c = lookup_customer(tx, customer)?;
            let (sv, _) = tx.stored_value_balance(&c.id, now)?;
            if sv.principal <= Decimal::ZERO {
                return Err(AppError::input("储值 stored value", "卡内没有可退的本金 / no principal to refund"));
            }
            let principal = to_fen(sv.principal)?;
            let bonus = to_fen(sv.bonus.max(Decimal::ZERO))?;
            let visit_id = tx.insert_visit(&NewVisit {
                kind: "refund",
                customer_id: Some(c.id.clone()),
                items: vec![NewVisitItem::single("topup", None, -principal)],
                payments: vec![(tender.as_str(), -principal)],
                stored_value: vec![NewStoredValue {
                    principal_fen: -principal,
                    bonus_fen: -bonus,
                    reason: "refund",
                    rule: None,
                    expires_at: None,
                }],
                at: now,
                ..NewVisit::default()
            })?;
            super::checkout::membership_changed(tx, &c.id, now)?;
            tx.audit(now, actor, "stored_value.refund", "customer", &c.id, &serde_json::json!({ "visit": visit_id }))?;
            Ok(from_fen(principal))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::latest_review_date;
    use chrono::NaiveDate;

    #[test]
    fn review_dates() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(latest_review_date("01-01", d("2026-11-23")), Some(d("2026-01-01")));
        assert_eq!(latest_review_date("12-01", d("2026-11-23")), Some(d("2025-12-01")));
        assert_eq!(latest_review_date("11-23", d("2026-11-23")), Some(d("2026-11-23")));
        assert_eq!(latest_review_date("02-29", d("2027-03-01")), Some(d("2027-02-28")));
        assert_eq!(latest_review_date("02-29", d("2028-03-01")), Some(d("2028-02-29")));
        assert_eq!(latest_review_date("13-01", d("2026-11-23")), None);
    }
}
