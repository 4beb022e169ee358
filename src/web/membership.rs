//! Membership and pricing (会员与价格, the owner): tiers with their discounts, points
//! (per yuan, check-in, referral), stored-value bonuses (充1000送200), rebates (返点),
//! commission rates, coupon templates and issuing, packages (套餐). Every change may take effect from a
//! later day: it waits in the list of changes (and may be withdrawn) until then, and it
//! never touches a visit already paid. Each form keeps what was typed when it is refused.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::views::{Layout, Sent, money};
use super::{Ctx, Shared, WebError};
use crate::app::packages::PackageDraft;
use crate::app::rules::{ChangeOutcome, RuleChange, VALUE_KEYS};
use crate::app::{App, AppError};
use crate::domain::access::Permission;
use crate::domain::checkout::{CouponKind, CreditTo, RebateKind, RebateRule};
use crate::store::Tier;

type Page = Result<Response, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/membership", get(membership))
        .route("/membership/tier", post(tier))
        .route("/membership/value", post(value))
        .route("/membership/points", post(points))
        .route("/membership/topup", post(topup))
        .route("/membership/rebate", post(rebate))
        .route("/membership/rebate/end", post(rebate_end))
        .route("/membership/commission", post(commission))
        .route("/membership/coupon", post(coupon))
        .route("/membership/coupon/issue", post(coupon_issue))
        .route("/membership/changes/{id}/cancel", post(cancel))
        .route("/membership/package", post(package))
        .route("/membership/package/{id}/retire", post(package_retire))
}

pub struct Row {
    pub cells: Vec<String>,
    /// The key a row's own button sends (a rebate's id, a top-up threshold).
    pub key: String,
}

pub struct ChangeLine {
    pub id: String,
    pub effective_on: String,
    pub text: String,
    pub state: &'static str,
    pub waiting: bool,
    pub by: String,
}

#[derive(Template)]
#[template(path = "membership.html")]
struct MembershipPage {
    layout: Layout,
    today: String,
    tiers: Vec<Row>,
    tier_names: Vec<String>,
    points: Vec<Row>,
    values: Vec<(&'static str, &'static str, String)>,
    topups: Vec<Row>,
    stored_value: Vec<String>,
    rebates: Vec<Row>,
    commissions: Vec<Row>,
    staff_rates: Vec<Row>,
    coupons: Vec<Row>,
    coupon_names: Vec<String>,
    packages: Vec<Row>,
    /// What a package may hold: every service and product on offer, by name.
    package_items: Vec<String>,
    services: Vec<String>,
    categories: Vec<String>,
    changes: Vec<ChangeLine>,
    done: Option<String>,
    error: Option<(&'static str, String)>,
    sent: Sent,
}

impl MembershipPage {
    fn error_for(&self, form: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| *f == form).map(|(_, m)| m.as_str())
    }

    /// What the refused form held in `field`, or `default`.
    fn val<'a>(&'a self, form: &str, field: &str, default: &'a str) -> &'a str {
        match &self.error {
            Some((f, _)) if *f == form => self.sent.get(field),
            _ => default,
        }
    }

    fn picked(&self, form: &str, field: &str, option: &str) -> bool {
        matches!(&self.error, Some((f, _)) if *f == form) && self.sent.get(field) == option
    }

    /// The refused package form's `n`th item and quantity (0-based), or empty.
    fn package_line(&self, n: &usize) -> (&str, &str) {
        match &self.error {
            Some(("package", _)) => (self.sent.nth("item", *n), self.sent.nth("qty", *n)),
            _ => ("", ""),
        }
    }
}

#[derive(Deserialize, Default)]
struct Ask {
    done: Option<String>,
    from: Option<String>,
    code: Option<String>,
}

/// How many item lines the new-package form offers.
const PACKAGE_LINES: usize = 5;

fn pct(d: Decimal) -> String {
    format!("{}%", d.normalize())
}

fn done_text(ask: &Ask) -> Option<String> {
    let what = match ask.done.as_deref()? {
        "tier" => "会员等级 tier",
        "value" | "points" => "积分规则 points rule",
        "topup" => "充值赠送 top-up bonus",
        "rebate" => "返点 rebate",
        "rebate-end" => "停用返点 rebate ended",
        "commission" => "提成 commission",
        "coupon" => "优惠券模板 coupon template",
        "package" => return Some("套餐已上架 / the package is on offer".into()),
        "package-retire" => {
            return Some("套餐已下架，已售出的照常使用 / the package is off the list; those sold stay valid".into());
        }
        "issue" => {
            let code = ask.code.as_deref().unwrap_or_default();
            return Some(format!("优惠券已发放，券码 {code} / coupon issued: {code}"));
        }
        "cancel" => return Some("变更已撤销 / the change is withdrawn".into()),
        _ => return None,
    };
    Some(match ask.from.as_deref() {
        Some(d) => format!("已登记：{what}，{d} 起生效 / saved, in force from {d}"),
        None => format!("已生效：{what} / in force now"),
    })
}

async fn page(shop: &Shared, ctx: &Ctx, ask: Ask, error: Option<(&'static str, String)>, sent: Sent) -> Page {
    let user = ctx.require(shop, Permission::Setup).await?.clone();
    let tz = shop.config().shop.time_zone;
    let (rules, coupons, services, changes, staff, today, now, (packages, products)) = shop
        .run(|app| {
            let rules = app.rules_in_force()?;
            Ok((
                rules,
                app.coupon_templates()?,
                app.list_services(false)?,
                app.rule_changes(30)?,
                app.list_staff()?,
                app.today(),
                app.now(),
                (app.packages(false)?, app.products()?),
            ))
        })
        .await?;
    let service_name = |id: &str| services.iter().find(|s| s.id == id).map_or(id.to_string(), |s| s.name.clone());
    let mut categories: Vec<String> = services.iter().map(|s| s.category.clone()).collect();
    categories.sort();
    categories.dedup();
    let setting = |key: &str| -> String {
        match key {
            "points.value" => rules.point_value.normalize().to_string(),
            "points.expire_days" => rules.points_expire_days.unwrap_or(0).to_string(),
            "points.checkin" => rules.checkin_points.to_string(),
            "referral.points" => rules.referral_points.to_string(),
            "referral.max_per_month" => rules.referral_max_per_month.to_string(),
            "stored_value.cap" => rules.stored_value_cap.map(|d| d.normalize().to_string()).unwrap_or_default(),
            "stored_value.bonus_expire_days" => rules.bonus_expire_days.map(|d| d.to_string()).unwrap_or_default(),
            "stored_value.bonus_mode" => (if rules.bonus_per_multiple { "per_multiple" } else { "once" }).into(),
            "tier.review_on" => rules.tier_review_on.clone(),
            _ => String::new(),
        }
    };
    let mut points: Vec<Row> = rules
        .points_per_yuan
        .iter()
        .map(|(cat, per)| Row {
            cells: vec![
                format!("{} 每元积分 / points per yuan", if cat == "*" { "其他类别 every other" } else { cat }),
                per.normalize().to_string(),
            ],
            key: cat.clone(),
        })
        .collect();
    let referral_limit = match rules.referral_max_per_month {
        0 => "不限 no limit".to_string(),
        n => format!("每月 {n} 次 / {n} a month"),
    };
    for (label, v) in [
        ("每分抵扣 a point is worth", format!("¥{}", rules.point_value.normalize())),
        ("积分有效期 points live", rules.points_expire_days.map_or("永久 forever".into(), |d| format!("{d} 天 days"))),
        ("签到积分 check-in points (每天一次 once a day)", rules.checkin_points.to_string()),
        ("推荐积分 referral points", rules.referral_points.to_string()),
        ("推荐奖励上限 referral limit", referral_limit),
    ] {
        points.push(Row { cells: vec![label.to_string(), v], key: String::new() });
    }
    let page = MembershipPage {
        layout: Layout::new(
            "会员与价格 Membership and pricing",
            "/membership",
            &user,
            &shop.config().shop.name,
            now,
            tz,
        ),
        today: today.to_string(),
        tier_names: rules.tiers.iter().map(|t| t.name.clone()).collect(),
        tiers: rules
            .tiers
            .iter()
            .map(|t| Row {
                cells: vec![
                    t.name.clone(),
                    format!("{} 级", t.rank),
                    format!("满 {}", money(t.min_spend)),
                    {
                        let off: Vec<String> = t
                            .discounts
                            .iter()
                            .filter(|(_, v)| !v.is_zero())
                            .map(|(k, v)| {
                                let zhe = ((Decimal::ONE_HUNDRED - *v) / Decimal::TEN).normalize();
                                format!("{} {zhe}折 / {} off", if k == "*" { "全部" } else { k.as_str() }, pct(*v))
                            })
                            .collect();
                        if off.is_empty() { "无折扣 no discount".to_string() } else { off.join("、") }
                    },
                    format!("积分 ×{}", t.points_multiplier.normalize()),
                    format!("{} 天 days", t.period_days),
                ],
                key: t.name.clone(),
            })
            .collect(),
        points,
        values: VALUE_KEYS.iter().map(|(k, label)| (*k, *label, setting(k))).collect(),
        topups: rules
            .topup_bonuses
            .iter()
            .map(|(min, bonus)| Row {
                cells: vec![format!("充 {} 送 {}", money(*min), money(*bonus))],
                key: min.normalize().to_string(),
            })
            .collect(),
        stored_value: vec![
            format!(
                "赠送方式 bonus: {}",
                if rules.bonus_per_multiple { "每满一次送一次 per multiple" } else { "只送一次 once" }
            ),
            format!(
                "赠送金额有效期 a bonus lives: {}",
                rules.bonus_expire_days.map_or("永久 forever".into(), |d| format!("{d} 天 days"))
            ),
            format!("储值上限 cap: {}", rules.stored_value_cap.map_or("不限 none".into(), money)),
        ],
        rebates: rules
            .rebates
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.name.clone(),
                    r.kind.describe(),
                    match r.credit_to {
                        CreditTo::Points => "积分 points".into(),
                        CreditTo::StoredValue => "储值 stored value".into(),
                    },
                ],
                key: r.id.clone(),
            })
            .collect(),
        commissions: rules
            .commissions
            .iter()
            .map(|(key, rate)| Row {
                cells: vec![
                    match key.split_once(':') {
                        Some(("service", id)) => format!("项目 service: {}", service_name(id)),
                        Some(("category", c)) => format!("类别 category: {c}"),
                        _ => key.clone(),
                    },
                    pct(*rate),
                ],
                key: key.clone(),
            })
            .collect(),
        staff_rates: rules
            .staff_rates
            .iter()
            .map(|(name, s, p)| Row { cells: vec![name.clone(), pct(*s), pct(*p)], key: String::new() })
            .collect(),
        coupon_names: coupons.iter().map(|c| c.name.clone()).collect(),
        coupons: coupons
            .iter()
            .map(|c| Row {
                cells: vec![
                    c.name.clone(),
                    match &c.kind {
                        CouponKind::AmountOff { amount, min_spend } if min_spend.is_zero() => {
                            format!("减 {} / {} off", money(*amount), money(*amount))
                        }
                        CouponKind::AmountOff { amount, min_spend } => {
                            format!("满 {} 减 {} / {} off", money(*min_spend), money(*amount), money(*amount))
                        }
                        CouponKind::PercentOff { percent, min_spend } => {
                            let zhe = ((Decimal::ONE_HUNDRED - *percent) / Decimal::TEN).normalize();
                            let from =
                                if min_spend.is_zero() { String::new() } else { format!("满 {} ", money(*min_spend)) };
                            format!("{from}{zhe}折 / {} off", pct(*percent))
                        }
                        CouponKind::FreeService { service_id } => {
                            format!("免费体验 free: {}", service_name(service_id))
                        }
                    },
                    format!("{} 天 days", c.valid_days),
                    c.per_customer.to_string(),
                    format!("{} / {}", c.issued, c.redeemed),
                ],
                key: c.id.clone(),
            })
            .collect(),
        packages: packages
            .iter()
            .map(|p| Row {
                cells: vec![
                    p.name.clone(),
                    money(p.price),
                    p.items_text(),
                    money(p.list_value()),
                    p.valid_days.map_or_else(|| "长期 no end".to_string(), |d| format!("{d} 天 days")),
                    p.sold.to_string(),
                ],
                key: p.id.clone(),
            })
            .collect(),
        package_items: services
            .iter()
            .map(|s| s.name.clone())
            .chain(products.iter().filter(|p| p.active).map(|p| p.name.clone()))
            .collect(),
        services: services.iter().map(|s| s.name.clone()).collect(),
        categories,
        changes: changes
            .iter()
            .map(|c| {
                let waiting = c.row.applied_at.is_none() && c.row.cancelled_at.is_none();
                ChangeLine {
                    id: c.row.id.clone(),
                    effective_on: c.row.effective_on.to_string(),
                    text: c.text.clone(),
                    state: if c.row.cancelled_at.is_some() {
                        "已撤销 withdrawn"
                    } else if waiting {
                        "待生效 waiting"
                    } else {
                        "已生效 in force"
                    },
                    waiting,
                    by: staff
                        .iter()
                        .find(|s| c.row.actor.strip_prefix("web:").unwrap_or(&c.row.actor) == s.id)
                        .map_or(c.row.actor.clone(), |s| s.name.clone()),
                }
            })
            .collect(),
        done: done_text(&ask),
        error,
        sent,
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

async fn membership(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<Ask>) -> Page {
    page(&shop, &ctx, ask, None, Sent::default()).await
}

/// Runs a change; a refusal is shown beside the form it answers, the form filled again.
/// Success goes back to the page saying whether the change is in force or when it will be.
async fn change<F>(shop: Shared, ctx: Ctx, form: &'static str, sent: Sent, f: F) -> Page
where
    F: FnOnce(&mut App, &Sent, &str) -> Result<Option<String>, AppError> + Send + 'static,
{
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let actor = format!("web:{}", user.staff.id);
    let input = sent.clone();
    match shop.run(move |app| f(app, &input, &actor)).await {
        Ok(extra) => Ok(Redirect::to(&format!("/membership?done={form}{}", extra.unwrap_or_default())).into_response()),
        Err(WebError::App(
            e @ (AppError::Input { .. } | AppError::Store(_) | AppError::Money(_) | AppError::UnknownCustomer(_)),
        )) => page(&shop, &ctx, Ask::default(), Some((form, e.to_string())), sent).await,
        Err(e) => Err(e),
    }
}

/// Enters a rule change from a form with its `effective` date; the redirect's query names
/// the day when it waits.
fn enter(app: &mut App, c: RuleChange, s: &Sent, actor: &str) -> Result<Option<String>, AppError> {
    match app.change_rule(c, s.effective()?, actor)? {
        ChangeOutcome::Applied(_) => Ok(None),
        ChangeOutcome::Scheduled { effective_on, .. } => Ok(Some(format!("&from={effective_on}"))),
    }
}

async fn tier(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "tier", s, |app, s, actor| {
        let name = s.get("name").to_string();
        // an existing tier keeps what the form does not show (per-category discounts, points)
        let old = app.tiers()?.into_iter().find(|t| t.name == name);
        let mut discounts = old.as_ref().map(|t| t.discounts.clone()).unwrap_or_default();
        discounts.insert("*".into(), s.decimal("discount", "折扣 discount %")?);
        let t = Tier {
            id: String::new(),
            rank: s.whole("rank", "级别 rank")?,
            min_spend: s.decimal("min_spend", "消费门槛 min spend")?,
            min_points: old.as_ref().map_or(0, |t| t.min_points),
            period_days: match s.get("period_days") {
                "" => 365,
                _ => s.whole("period_days", "统计天数 days counted")?,
            },
            points_multiplier: s.decimal("multiplier", "积分倍数 multiplier")?,
            discounts,
            name,
        };
        if t.period_days <= 0 {
            return Err(AppError::input("统计天数 days counted", "须大于 0 / must be above 0"));
        }
        enter(app, RuleChange::Tier { tier: t }, s, actor)
    })
    .await
}

async fn value(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "value", s, |app, s, actor| {
        let c = RuleChange::Value { key: s.get("key").to_string(), value: s.get("value").to_string() };
        enter(app, c, s, actor)
    })
    .await
}

async fn points(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "points", s, |app, s, actor| {
        let c = RuleChange::PointsPerYuan {
            category: s.get("category").to_string(),
            per_yuan: s.decimal("per_yuan", "每元积分 points per yuan")?,
        };
        enter(app, c, s, actor)
    })
    .await
}

async fn topup(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "topup", s, |app, s, actor| {
        let bonus = match s.get("bonus") {
            "" if s.get("end") == "1" => Decimal::ZERO,
            _ => s.decimal("bonus", "赠送金额 bonus")?,
        };
        let c = RuleChange::TopupBonus { min_topup: s.decimal("min", "充值金额 top up")?, bonus };
        enter(app, c, s, actor)
    })
    .await
}

async fn rebate(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "rebate", s, |app, s, actor| {
        let percent = || s.decimal("percent", "返点比例 percent");
        let multiplier = || s.decimal("multiplier", "倍数 multiplier");
        let kind = match s.get("kind") {
            "category" => RebateKind::Category { category: s.get("category").to_string(), percent: percent()? },
            "threshold" => {
                RebateKind::Threshold { min_total: s.decimal("threshold", "满额 threshold")?, percent: percent()? }
            }
            "first_visit" => RebateKind::FirstVisit { multiplier: multiplier()? },
            "birthday_month" => RebateKind::BirthdayMonth { multiplier: multiplier()? },
            k => return Err(AppError::input("返点方式 kind", format!("未知方式 / unknown kind: {k}"))),
        };
        let credit_to = if s.get("credit") == "stored_value" { CreditTo::StoredValue } else { CreditTo::Points };
        let rule = RebateRule { id: String::new(), name: s.get("name").to_string(), kind, credit_to };
        enter(app, RuleChange::RebateAdd { rule, priority: 0 }, s, actor)
    })
    .await
}

async fn rebate_end(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "rebate-end", s, |app, s, actor| {
        enter(app, RuleChange::RebateEnd { rule: s.get("rule").to_string() }, s, actor)
    })
    .await
}

async fn commission(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "commission", s, |app, s, actor| {
        // one select names either a service (s:…) or a category (c:…)
        let key = match s.get("target").split_once(':') {
            Some(("s", name)) => format!("service:{name}"),
            Some(("c", name)) => format!("category:{name}"),
            _ => return Err(AppError::input("项目或类别 service or category", "请选择 / choose one")),
        };
        enter(app, RuleChange::Commission { key, rate: s.decimal("rate", "提成 rate %")? }, s, actor)
    })
    .await
}

async fn coupon(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "coupon", s, |app, s, actor| {
        let name = s.get("name");
        if name.is_empty() {
            return Err(AppError::input("券名 name", "不能为空 / must not be empty"));
        }
        let min_spend = match s.get("min_spend") {
            "" => Decimal::ZERO,
            _ => s.decimal("min_spend", "最低消费 minimum spend")?,
        };
        let kind = match s.get("kind") {
            "amount_off" => {
                CouponKind::AmountOff { amount: s.decimal("amount", "减免金额 amount off")?, min_spend }
            }
            "percent_off" => CouponKind::PercentOff { percent: s.decimal("percent", "折扣 percent off")?, min_spend },
            "free_service" => CouponKind::FreeService { service_id: s.get("service").to_string() },
            k => return Err(AppError::input("优惠方式 kind", format!("未知方式 / unknown kind: {k}"))),
        };
        let valid_days = s.whole("valid_days", "有效天数 days valid")?;
        let per_customer = match s.get("per_customer") {
            "" => 1,
            _ => s.whole("per_customer", "每人限领 per customer")?,
        };
        app.add_coupon_template(name, &kind, valid_days, per_customer, actor)?;
        Ok(None)
    })
    .await
}

async fn coupon_issue(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "issue", s, |app, s, actor| {
        let customer = s.get("customer");
        if customer.is_empty() {
            return Err(AppError::input("顾客 customer", "请填写手机号或会员号 / give a phone number or member code"));
        }
        let code = app.issue_coupon(s.get("template"), customer, actor)?;
        Ok(Some(format!("&code={code}")))
    })
    .await
}

async fn package(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    change(shop, ctx, "package", s, |app, s, actor| {
        let items: Vec<String> = (0..PACKAGE_LINES)
            .filter(|n| !s.nth("item", *n).is_empty())
            .map(|n| match s.nth("qty", n) {
                "" => s.nth("item", n).to_string(),
                q => format!("{}*{q}", s.nth("item", n)),
            })
            .collect();
        let price = crate::domain::money::parse_yuan(s.get("price"))
            .map_err(|e| AppError::input("价格 price", e.to_string()))?;
        let valid_days = match s.get("valid_days") {
            "" => None,
            _ => Some(s.whole("valid_days", "有效天数 valid days")?),
        };
        let draft = PackageDraft { name: s.get("name").to_string(), price, valid_days, items };
        app.define_package(&draft, actor)?;
        Ok(None)
    })
    .await
}

async fn package_retire(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(s): Form<Sent>,
) -> Page {
    change(shop, ctx, "package-retire", s, move |app, _, actor| {
        app.retire_package(&id, actor)?;
        Ok(None)
    })
    .await
}

async fn cancel(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(s): Form<Sent>,
) -> Page {
    change(shop, ctx, "cancel", s, move |app, _, actor| {
        app.cancel_rule_change(&id, actor)?;
        Ok(None)
    })
    .await
}
