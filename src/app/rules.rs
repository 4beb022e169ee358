//! The owner's rule changes, now or from a later day, and the two small point rules the
//! seeds name: check-in points (签到积分) and referral points (推荐积分).
//!
//! Every change of a membership rule is a [`RuleChange`]: checked when it is entered,
//! applied at once when it takes effect today, or kept in `rule_changes` until its day
//! and applied on the first read of the rules on or after it. Past visits keep the
//! figures they were billed with: nothing here rewrites them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{App, AppError, Result};
use crate::domain::checkout::RebateRule;
use crate::domain::money::to_fen;
use crate::store::{ReferralAward, RuleChangeRow, Tier, Tx};

/// One change of the membership rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleChange {
    /// Creates or changes a tier by name.
    Tier {
        tier: Tier,
    },
    /// A scalar rule (see [`check_value`] for the keys).
    Value {
        key: String,
        value: String,
    },
    /// Points per yuan paid in a category (`*`: every other).
    PointsPerYuan {
        category: String,
        per_yuan: Decimal,
    },
    /// A commission rate for a service (`service:<id>`) or a category (`category:<name>`).
    Commission {
        key: String,
        rate: Decimal,
    },
    /// 充 `min_topup` 送 `bonus`; a bonus of 0 ends the rule.
    TopupBonus {
        min_topup: Decimal,
        bonus: Decimal,
    },
    RebateAdd {
        rule: RebateRule,
        priority: i64,
    },
    /// Ends a rebate rule (by id or name).
    RebateEnd {
        rule: String,
    },
    /// A service's price and duration (the price list; a visit keeps the price it was sold at).
    ServicePrice {
        /// By name or id as asked; its id once resolved.
        service: String,
        /// Its name, for the list of changes.
        #[serde(default)]
        name: String,
        price: Decimal,
        /// The new duration; `None` keeps the one it has when the change applies.
        minutes: Option<u32>,
    },
}

impl RuleChange {
    /// The change as the owner reads it in a list (Chinese first).
    pub fn describe(&self) -> String {
        match self {
            RuleChange::Tier { tier } => {
                let discounts: Vec<String> = tier
                    .discounts
                    .iter()
                    .map(|(k, v)| format!("{} {}%", if k == "*" { "全部" } else { k.as_str() }, v.normalize()))
                    .collect();
                format!(
                    "等级「{}」：满 ¥{}，折扣 {}，积分 ×{} / tier \"{}\"",
                    tier.name,
                    tier.min_spend.normalize(),
                    if discounts.is_empty() { "无".to_string() } else { discounts.join("、") },
                    tier.points_multiplier.normalize(),
                    tier.name
                )
            }
            RuleChange::Value { key, value } => format!("{} = {} / {key} = {value}", value_label(key), value),
            RuleChange::PointsPerYuan { category, per_yuan } => {
                let cat = if category == "*" { "其他类别" } else { category.as_str() };
                format!("积分：{cat} 每元 {} 分 / points per yuan in {category}", per_yuan.normalize())
            }
            RuleChange::Commission { key, rate } => format!("提成 {key}：{}% / commission", rate.normalize()),
            RuleChange::TopupBonus { min_topup, bonus } if bonus.is_zero() => {
                format!("停用 充{} 的赠送 / top-up bonus at {} ended", min_topup.normalize(), min_topup.normalize())
            }
            RuleChange::TopupBonus { min_topup, bonus } => format!(
                "充{}送{} / top up {}, get {}",
                min_topup.normalize(),
                bonus.normalize(),
                min_topup.normalize(),
                bonus.normalize()
            ),
            RuleChange::RebateAdd { rule, .. } => {
                format!("新返点「{}」：{} / new rebate", rule.name, rule.kind.describe())
            }
            RuleChange::RebateEnd { rule } => format!("停用返点「{rule}」/ rebate ended"),
            RuleChange::ServicePrice { name, price, minutes, .. } => {
                let (zh, en) = minutes
                    .map_or((String::new(), String::new()), |m| (format!("，{m} 分钟"), format!(", {m} minutes")));
                format!("「{name}」¥{}{zh} / \"{name}\" ¥{}{en}", price.normalize(), price.normalize())
            }
        }
    }
}

/// The scalar rules a person may set, with their names (Chinese first).
pub const VALUE_KEYS: &[(&str, &str)] = &[
    ("points.value", "每分抵扣金额 / a point is worth (¥)"),
    ("points.expire_days", "积分有效天数（0 为永久）/ days a point lives (0: never expires)"),
    ("points.checkin", "签到积分（每天最多一次，0 为不送）/ check-in points (once a day, 0: none)"),
    ("referral.points", "推荐积分（被推荐人首次消费后，0 为不送）/ referral points (0: none)"),
    (
        "referral.max_per_month",
        "每人每月最多推荐奖励次数（0 为不限）/ referral awards a month per member (0: no limit)",
    ),
    ("stored_value.cap", "单卡储值上限（空为不限）/ stored value cap (empty: none)"),
    ("stored_value.bonus_expire_days", "赠送金额有效天数（空为永久）/ days a bonus lives (empty: never)"),
    ("stored_value.bonus_mode", "赠送方式 once / per_multiple / bonus mode"),
    ("tier.review_on", "等级评定日 MM-DD / tier review day"),
];

fn value_label(key: &str) -> &'static str {
    VALUE_KEYS.iter().find(|(k, _)| *k == key).map_or("规则", |(_, l)| l.split(" / ").next().unwrap_or("规则"))
}

/// Checks a scalar rule's value; the error names the rule.
pub fn check_value(key: &str, value: &str, today: NaiveDate) -> Result<()> {
    let v = value.trim();
    let bad = |why: &str| AppError::input(key, format!("{why}：\"{v}\" / {why}: \"{v}\""));
    let days = || v.parse::<u32>().map(|_| ()).map_err(|_| bad("应为天数 days expected"));
    let count = || v.parse::<u32>().map(|_| ()).map_err(|_| bad("应为不小于 0 的整数 a whole number expected"));
    match key {
        "points.value" => {
            let d: Decimal = v.parse().map_err(|_| bad("不是金额 not an amount"))?;
            if d <= Decimal::ZERO || d.normalize().scale() > 2 {
                return Err(bad("须大于 0 且最多两位小数 above 0, at most two decimals"));
            }
            Ok(())
        }
        "points.expire_days" => days(),
        "points.checkin" | "referral.points" | "referral.max_per_month" => count(),
        "stored_value.cap" if v.is_empty() => Ok(()),
        "stored_value.cap" => crate::domain::money::parse_yuan(v).map(|_| ()).map_err(AppError::from),
        "stored_value.bonus_expire_days" if v.is_empty() => Ok(()),
        "stored_value.bonus_expire_days" => days(),
        "stored_value.bonus_mode" if matches!(v, "once" | "per_multiple") => Ok(()),
        "stored_value.bonus_mode" => {
            Err(bad("应为 once（只送一次）或 per_multiple（每满一次送一次）once or per_multiple"))
        }
        "tier.review_on" => {
            super::membership::latest_review_date(v, today).map(|_| ()).ok_or_else(|| bad("应为 MM-DD"))
        }
        _ => Err(AppError::input("rule", format!("未知规则 / unknown rule: {key}"))),
    }
}

fn pct(field: &str, v: Decimal) -> Result<()> {
    if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
        return Err(AppError::input(field, format!("应在 0–100 之间：{v} / must be between 0 and 100: {v}")));
    }
    Ok(())
}

/// Everything about a change that can be checked without the database.
fn check(change: &RuleChange, today: NaiveDate) -> Result<()> {
    match change {
        RuleChange::Tier { tier } => {
            if tier.name.trim().is_empty() {
                return Err(AppError::input("等级名称 tier name", "不能为空 / must not be empty"));
            }
            for (category, d) in &tier.discounts {
                pct(&format!("折扣 discount {category}"), *d)?;
            }
            if tier.points_multiplier < Decimal::ZERO {
                return Err(AppError::input("积分倍数 multiplier", "不能为负 / cannot be negative"));
            }
            if tier.min_spend < Decimal::ZERO {
                return Err(AppError::input("消费门槛 min spend", "不能为负 / cannot be negative"));
            }
            to_fen(tier.min_spend)?;
            Ok(())
        }
        RuleChange::Value { key, value } => check_value(key, value, today),
        RuleChange::PointsPerYuan { category, per_yuan } => {
            if category.trim().is_empty() {
                return Err(AppError::input(
                    "类别 category",
                    "不能为空（* 为其他全部）/ must not be empty (* for every other)",
                ));
            }
            if *per_yuan < Decimal::ZERO {
                return Err(AppError::input("积分 points", "每元积分不能为负 / points per yuan cannot be negative"));
            }
            Ok(())
        }
        RuleChange::Commission { rate, .. } => pct("提成 rate", *rate),
        RuleChange::TopupBonus { min_topup, bonus } => {
            if *min_topup <= Decimal::ZERO {
                return Err(AppError::input("充值金额 top up", "须大于 0 / must be above 0"));
            }
            if *bonus < Decimal::ZERO {
                return Err(AppError::input("赠送金额 bonus", "不能为负 / cannot be negative"));
            }
            to_fen(*min_topup)?;
            to_fen(*bonus)?;
            Ok(())
        }
        RuleChange::RebateAdd { rule, .. } => {
            use crate::domain::checkout::RebateKind;
            if rule.name.trim().is_empty() {
                return Err(AppError::input("返点名称 rebate name", "不能为空 / must not be empty"));
            }
            match &rule.kind {
                RebateKind::Category { category, percent } => {
                    if category.trim().is_empty() {
                        return Err(AppError::input("类别 category", "不能为空 / must not be empty"));
                    }
                    pct("返点比例 percent", *percent)
                }
                RebateKind::Threshold { min_total, percent } => {
                    if *min_total <= Decimal::ZERO {
                        return Err(AppError::input("满额 threshold", "须大于 0 / must be above 0"));
                    }
                    pct("返点比例 percent", *percent)
                }
                RebateKind::FirstVisit { multiplier } | RebateKind::BirthdayMonth { multiplier } => {
                    if *multiplier < Decimal::ONE {
                        return Err(AppError::input("倍数 multiplier", "至少为 1 / at least 1"));
                    }
                    Ok(())
                }
            }
        }
        RuleChange::RebateEnd { rule } if rule.trim().is_empty() => {
            Err(AppError::input("返点 rebate", "请给出要停用的返点 / name the rebate to end"))
        }
        RuleChange::RebateEnd { .. } => Ok(()),
        RuleChange::ServicePrice { price, minutes, .. } => {
            if *price < Decimal::ZERO {
                return Err(AppError::input("价格 price", "不能为负 / cannot be negative"));
            }
            to_fen(*price).map_err(|e| AppError::input("价格 price", e.to_string()))?;
            minutes.map_or(Ok(()), super::staff::check_duration)
        }
    }
}

/// Resolves what the change names in the shop's data (a service by name) and refuses what
/// cannot apply (a rebate that does not exist), inside the transaction that keeps it.
fn resolve(tx: &Tx<'_>, change: RuleChange) -> Result<RuleChange> {
    Ok(match change {
        RuleChange::Commission { key, rate } => {
            let key = match key.split_once(':') {
                Some(("service", s)) => format!("service:{}", tx.find_service(s.trim())?.id),
                Some(("category", c)) if !c.trim().is_empty() => format!("category:{}", c.trim()),
                _ => {
                    return Err(AppError::input(
                        "提成 commission",
                        "请给出服务或类别之一 / give a service or a category",
                    ));
                }
            };
            RuleChange::Commission { key, rate }
        }
        RuleChange::RebateEnd { rule } => {
            let known = tx.rebate_rules()?.into_iter().find(|r| r.id == rule.trim() || r.name == rule.trim());
            match known {
                Some(r) => RuleChange::RebateEnd { rule: r.id },
                None => {
                    return Err(AppError::input(
                        "返点 rebate",
                        format!("没有生效中的返点「{rule}」/ no active rebate \"{rule}\""),
                    ));
                }
            }
        }
        RuleChange::Value { key, value } => RuleChange::Value { value: value.trim().to_string(), key },
        RuleChange::ServicePrice { service, price, minutes, .. } => {
            let s = tx.find_service(&service)?;
            RuleChange::ServicePrice { service: s.id, name: s.name, price, minutes }
        }
        RuleChange::PointsPerYuan { category, per_yuan } => {
            RuleChange::PointsPerYuan { category: category.trim().to_string(), per_yuan }
        }
        other => other,
    })
}

/// Writes a checked, resolved change and its audit row.
fn apply(tx: &Tx<'_>, change: &RuleChange, actor: &str, now: DateTime<Utc>) -> Result<Option<String>> {
    let mut made = None;
    match change {
        RuleChange::Tier { tier } => {
            tx.upsert_tier(tier, now)?;
            tx.audit(now, actor, "tier.set", "tier", &tier.name, &serde_json::to_value(tier).unwrap_or_default())?;
        }
        RuleChange::Value { key, value } => {
            tx.set_setting(key, value)?;
            tx.audit(now, actor, "rule.set", "settings", key, &serde_json::json!({ "value": value }))?;
        }
        RuleChange::PointsPerYuan { category, per_yuan } => {
            tx.set_points_earn_rule(category, *per_yuan)?;
            tx.audit(now, actor, "points.rule", "settings", category, &serde_json::json!({ "per_yuan": per_yuan }))?;
        }
        RuleChange::Commission { key, rate } => {
            tx.set_commission_rule(key, *rate)?;
            tx.audit(now, actor, "commission.rule", "settings", key, &serde_json::json!({ "rate_pct": rate }))?;
        }
        RuleChange::TopupBonus { min_topup, bonus } => {
            if bonus.is_zero() {
                tx.end_topup_bonus(to_fen(*min_topup)?)?;
            } else {
                tx.set_topup_bonus(to_fen(*min_topup)?, to_fen(*bonus)?)?;
            }
            tx.audit(
                now,
                actor,
                "topup.bonus",
                "settings",
                &min_topup.to_string(),
                &serde_json::json!({ "bonus": bonus }),
            )?;
        }
        RuleChange::RebateAdd { rule, priority } => {
            let id = tx.add_rebate_rule(rule, *priority, now)?;
            tx.audit(now, actor, "rebate.add", "rebate_rule", &id, &serde_json::json!({ "name": rule.name }))?;
            made = Some(id);
        }
        RuleChange::RebateEnd { rule } => {
            // a rule ended by a change entered earlier may be gone by now: nothing to do
            if tx.end_rebate_rule(rule)? {
                tx.audit(now, actor, "rebate.end", "rebate_rule", rule, &serde_json::json!({}))?;
            }
        }
        RuleChange::ServicePrice { service, price, minutes, .. } => {
            tx.set_service_price(service, to_fen(*price)?, *minutes, now)?;
            tx.audit(
                now,
                actor,
                "service.price",
                "service",
                service,
                &serde_json::json!({ "price": price, "minutes": minutes }),
            )?;
        }
    }
    Ok(made)
}

/// What `change_rule` did.
#[derive(Debug, Clone, Serialize)]
pub enum ChangeOutcome {
    /// In force now; a new rebate's id.
    Applied(Option<String>),
    /// Kept until its day: the change's id.
    Scheduled { id: String, effective_on: NaiveDate },
}

/// A customer's referral links (`App::referrals`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Referrals {
    /// (id, name) of who recommended her.
    pub referrer: Option<(String, String)>,
    /// (id, name, points earned) of everyone she recommended.
    pub referred: Vec<(String, String, Option<i64>)>,
}

/// A change waiting for its day or done, as the membership page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRecord {
    pub row: RuleChangeRow,
    pub text: String,
}

/// Applies every change whose day has come, in the order entered, each marked applied.
/// A change that no longer fits (a service deleted since) is marked applied with its
/// refusal in the audit log, so one bad change never blocks the rest.
pub(crate) fn apply_due(tx: &Tx<'_>, today: NaiveDate, now: DateTime<Utc>) -> Result<usize> {
    if !tx.any_rule_change_due(today)? {
        return Ok(0);
    }
    let due = tx.due_rule_changes(today)?;
    for row in &due {
        let outcome = serde_json::from_str::<RuleChange>(&row.change)
            .map_err(|e| AppError::input("rule_changes", e.to_string()))
            .and_then(|c| resolve(tx, c))
            .and_then(|c| apply(tx, &c, &row.actor, now));
        if let Err(e) = outcome {
            tracing::warn!(change = %row.id, error = %e, "a scheduled rule change could not be applied");
            tx.audit(
                now,
                "system",
                "rule.refused",
                "rule_change",
                &row.id,
                &serde_json::json!({ "error": e.to_string() }),
            )?;
        }
        tx.mark_rule_change_applied(&row.id, now)?;
    }
    Ok(due.len())
}

impl App {
    /// Enters a change of the rules: in force at once when `effective_on` is today, earlier
    /// or absent; otherwise kept until that day (the shop's local date).
    /// Several tiers changed at once (the setup wizard), all or nothing: each
    /// `(its name now, the tier as it is to be)`; a new name renames it.
    pub fn set_tiers(&mut self, tiers: &[(String, Tier)], actor: &str) -> Result<()> {
        for (_, t) in tiers {
            check(&RuleChange::Tier { tier: t.clone() }, self.today())?;
        }
        let now = self.now();
        self.store.write(|tx| {
            for (old, t) in tiers {
                if *old != t.name {
                    tx.rename_tier(old, &t.name)?;
                }
                apply(tx, &RuleChange::Tier { tier: t.clone() }, actor, now)?;
            }
            Ok(())
        })
    }

    pub fn change_rule(
        &mut self,
        change: RuleChange,
        effective_on: Option<NaiveDate>,
        actor: &str,
    ) -> Result<ChangeOutcome> {
        let today = self.today();
        check(&change, today)?;
        let now = self.now();
        self.store.write(|tx| {
            apply_due(tx, today, now)?;
            let change = resolve(tx, change)?;
            match effective_on.filter(|d| *d > today) {
                None => Ok(ChangeOutcome::Applied(apply(tx, &change, actor, now)?)),
                Some(on) => {
                    let text = serde_json::to_string(&change).map_err(crate::store::StoreError::from)?;
                    let id = tx.schedule_rule_change(on, &text, actor, now)?;
                    tx.audit(
                        now,
                        actor,
                        "rule.schedule",
                        "rule_change",
                        &id,
                        &serde_json::json!({ "effective_on": on, "change": change }),
                    )?;
                    Ok(ChangeOutcome::Scheduled { id, effective_on: on })
                }
            }
        })
    }

    /// Applies the changes whose day has come (one indexed look when there are none). Every
    /// use case that reads the rules calls it first, so the rules are the same wherever
    /// they are read, with or without the daemon.
    pub fn apply_due_rule_changes(&mut self) -> Result<usize> {
        let today = self.today();
        if !self.store.read(|tx| Ok::<_, AppError>(tx.any_rule_change_due(today)?))? {
            return Ok(0);
        }
        let now = self.now();
        self.store.write(|tx| apply_due(tx, today, now))
    }

    /// Who recommended a customer, and whom she recommended with the points each brought
    /// (`None`: no paid first visit yet).
    pub fn referrals(&mut self, customer_id: &str) -> Result<Referrals> {
        self.store.read(|tx| {
            let referrer = match tx.referrer_of(customer_id)? {
                Some(id) => {
                    let c = tx.customer(&id)?;
                    Some((c.id, c.name))
                }
                None => None,
            };
            Ok(Referrals { referrer, referred: tx.referrals_by(customer_id)? })
        })
    }

    /// A new price (yuan, as typed) and optionally duration for a service, now or from a
    /// later day; the error names the field.
    pub fn change_service_price(
        &mut self,
        service: &str,
        price: &str,
        minutes: Option<u32>,
        effective_on: Option<NaiveDate>,
        actor: &str,
    ) -> Result<ChangeOutcome> {
        let price =
            crate::domain::money::parse_yuan(price).map_err(|e| AppError::input("价格 price", e.to_string()))?;
        let change = RuleChange::ServicePrice { service: service.to_string(), name: String::new(), price, minutes };
        self.change_rule(change, effective_on, actor)
    }

    /// Withdraws a change that has not taken effect yet.
    pub fn cancel_rule_change(&mut self, id: &str, actor: &str) -> Result<()> {
        let now = self.now();
        self.store.write(|tx| {
            if !tx.cancel_rule_change(id, now)? {
                return Err(AppError::input("变更 change", "已生效或不存在 / already in force or unknown"));
            }
            tx.audit(now, actor, "rule.cancel", "rule_change", id, &serde_json::json!({}))?;
            Ok(())
        })
    }

    /// Changes waiting for their day first, then the latest ones applied.
    pub fn rule_changes(&mut self, limit: u32) -> Result<Vec<ChangeRecord>> {
        self.apply_due_rule_changes()?;
        self.store.read(|tx| {
            Ok(tx
                .rule_changes(limit)?
                .into_iter()
                .map(|row| {
                    let text = serde_json::from_str::<RuleChange>(&row.change)
                        .map(|c| c.describe())
                        .unwrap_or_else(|_| row.change.clone());
                    ChangeRecord { row, text }
                })
                .collect())
        })
    }
}

/// Check-in points: `points.checkin` points for a visit, at most once a shop day. Returns
/// what was given (0: none).
pub(crate) fn award_checkin_points(
    tx: &Tx<'_>,
    customer_id: &str,
    day_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let n = setting_count(tx, "points.checkin")?;
    if n == 0 || tx.checkin_points_since(customer_id, day_start)? {
        return Ok(0);
    }
    let expires = tx.points_lifetime_days()?.map(|d| now + Duration::days(d));
    tx.add_points(customer_id, n, "checkin", None, expires, now)?;
    Ok(n)
}

fn setting_count(tx: &Tx<'_>, key: &str) -> Result<i64> {
    Ok(tx.setting(key)?.and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0).max(0))
}

/// Referral points: when a referred customer's paid visit (a service paid for) is her first
/// such, the member who recommended her gets `referral.points`, once per referred customer,
/// at most `referral.max_per_month` a calendar month (0: no limit). Returns the award.
pub(crate) fn award_referral(
    tx: &Tx<'_>,
    customer_id: &str,
    visit_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<ReferralAward>> {
    let n = setting_count(tx, "referral.points")?;
    if n == 0 || tx.referral_award(customer_id)?.is_some() {
        return Ok(None);
    }
    let Some(referrer) = tx.referrer_of(customer_id)? else { return Ok(None) };
    let cap = setting_count(tx, "referral.max_per_month")?;
    if cap > 0 {
        let month = crate::domain::time::month_start(now, tx.tz());
        if tx.referral_awards_since(&referrer, month)? >= cap {
            tracing::info!(referrer = %referrer, "the month's referral awards are used up");
            return Ok(None);
        }
    }
    let expires = tx.points_lifetime_days()?.map(|d| now + Duration::days(d));
    tx.add_points(&referrer, n, "referral", Some(visit_id), expires, now)?;
    let award = ReferralAward {
        referred_id: customer_id.to_string(),
        referrer_id: referrer,
        visit_id: visit_id.to_string(),
        points: n,
        at: now,
    };
    tx.insert_referral_award(&award)?;
    tx.audit(
        now,
        "system",
        "referral.award",
        "customer",
        &award.referrer_id,
        &serde_json::json!({ "referred": customer_id, "points": n, "visit": visit_id }),
    )?;
    Ok(Some(award))
}

/// A void of the visit that earned a referral takes the points back; the referred
/// customer's next paid visit may then earn them.
pub(crate) fn undo_referral(tx: &Tx<'_>, visit_id: &str, now: DateTime<Utc>) -> Result<()> {
    if let Some(a) = tx.referral_award_by_visit(visit_id)? {
        tx.add_points(&a.referrer_id, -a.points, "referral_void", Some(visit_id), None, now)?;
        tx.delete_referral_award(&a.referred_id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checkout::{CreditTo, RebateKind};

    /// A change kept for a later day is read back as entered, whatever its kind.
    #[test]
    fn every_change_survives_being_kept() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let changes = [
            RuleChange::Tier {
                tier: Tier {
                    id: String::new(),
                    name: "金卡".into(),
                    rank: 2,
                    min_spend: d("8000"),
                    min_points: 0,
                    period_days: 365,
                    points_multiplier: d("1.5"),
                    discounts: [("*".to_string(), d("10"))].into(),
                },
            },
            RuleChange::Value { key: "points.checkin".into(), value: "5".into() },
            RuleChange::PointsPerYuan { category: "*".into(), per_yuan: d("1") },
            RuleChange::Commission { key: "category:面部护理".into(), rate: d("12.5") },
            RuleChange::TopupBonus { min_topup: d("1000"), bonus: d("200") },
            RuleChange::RebateAdd {
                rule: RebateRule {
                    id: String::new(),
                    name: "满100返5%".into(),
                    kind: RebateKind::Threshold { min_total: d("100"), percent: d("5") },
                    credit_to: CreditTo::StoredValue,
                },
                priority: 0,
            },
            RuleChange::RebateEnd { rule: "x".into() },
        ];
        for c in changes {
            let kept = serde_json::to_string(&c).unwrap();
            let back: RuleChange = serde_json::from_str(&kept).unwrap_or_else(|e| panic!("{kept}: {e}"));
            assert_eq!(back, c);
        }
    }
}
