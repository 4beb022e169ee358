//! Checkout, stored value, voids and the owner's membership rules on the command line.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use rust_decimal::Decimal;

use super::{CliError, Outcome, msg, parse_date, print_json, print_rows, say, yuan};
use crate::app::App;
use crate::app::checkout::{CheckoutRequest, ItemKey, ItemRequest, Receipt};
use crate::app::membership::CourseSaleRequest;
use crate::app::rules::RuleChange;
use crate::domain::checkout::{CouponKind, CreditTo, RebateKind, RebateRule, Tender, Use};
use crate::store::Tier;

#[derive(Debug, Args)]
pub struct CheckoutArgs {
    /// 顾客手机号、会员号或编号；散客不填 / customer phone, member code or id (omit for a walk-in sale)
    #[arg(long)]
    customer: Option<String>,
    /// 服务：名称[*数量][@美容师[:分成%],美容师…]，如 "面部深层清洁@李娜:60,王芳:40" / a service: NAME[*QTY][@STAFF[:SHARE%],...]
    #[arg(long = "service", value_name = "SPEC")]
    services: Vec<String>,
    /// 商品：编码或名称[*数量][@员工]，如 "SKU-001*2@李娜" / a product: SKU or NAME[*QTY][@STAFF]
    #[arg(long = "product", value_name = "SPEC")]
    products: Vec<String>,
    /// 疗程卡消费：服务名或疗程卡编号[*次数][@美容师] / a prepaid course session: SERVICE or COURSE ID[*N][@STAFF]
    #[arg(long = "course", value_name = "SPEC")]
    courses: Vec<String>,
    /// 优惠券码 / coupon code
    #[arg(long)]
    coupon: Option<String>,
    /// 使用积分：all 或积分数 / points to redeem: all or a number
    #[arg(long)]
    points: Option<String>,
    /// 使用储值：all 或金额 / stored value to spend: all or an amount
    #[arg(long)]
    stored_value: Option<String>,
    /// 支付：方式=金额（cash/wechat/alipay/card），可多次 / a tender: METHOD=AMOUNT, repeatable
    #[arg(long = "pay", value_name = "METHOD=AMOUNT")]
    pay: Vec<String>,
    /// 收银员（员工姓名或编号），记入消费并印在小票上 / who takes the payment (staff name or id): recorded and printed on the receipt
    #[arg(long)]
    cashier: Option<String>,
    /// 打印小票 / print the receipt
    #[arg(long)]
    print: bool,
    /// 以 JSON 输出 / output JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum VisitCmd {
    /// 撤销一笔消费（以反向记录冲回，不删除）/ void a visit (reversed by new rows, nothing deleted)
    Void {
        /// 消费编号 / visit id
        id: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoredValueCmd {
    /// 储值充值（按充值赠送规则加送）/ top up stored value (the bonus rule applies)
    Topup {
        /// 顾客手机号、会员号或编号 / customer
        #[arg(long)]
        customer: String,
        /// 充值金额 / amount
        #[arg(long)]
        amount: String,
        /// 支付：方式=金额 / METHOD=AMOUNT
        #[arg(long = "pay", value_name = "METHOD=AMOUNT", required = true)]
        pay: Vec<String>,
        /// 打印充值小票（含赠送规则）/ print the top-up's receipt (with the bonus rule)
        #[arg(long)]
        print: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 退卡：退还剩余本金，赠送金额作废 / refund the card: the principal left is paid back, the bonus is forfeited
    Refund {
        /// 顾客 / customer
        #[arg(long)]
        customer: String,
        /// 退款方式 / refund method (cash, wechat, alipay, card)
        #[arg(long, default_value = "cash")]
        to: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TierCmd {
    /// 会员等级列表 / list tiers
    List {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 会员等级评定（唯一会降级的时候，按配置的评定日）/ the tier review, the only time tiers go down (on the configured review date)
    Review {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 新建或修改会员等级 / create or change a tier
    Set {
        /// 等级名称 / tier name
        name: String,
        /// 序号（0 为入门级）/ rank (0 = entry tier)
        #[arg(long)]
        rank: i64,
        /// 周期内累计消费门槛 / spend needed within the period
        #[arg(long, default_value = "0")]
        min_spend: String,
        /// 周期内累计积分门槛 / points needed within the period
        #[arg(long, default_value_t = 0)]
        min_points: i64,
        /// 周期天数 / rolling period in days
        #[arg(long, default_value_t = 365)]
        period_days: i64,
        /// 积分倍数 / points multiplier
        #[arg(long, default_value = "1")]
        multiplier: String,
        /// 折扣：类别=折扣%，"*" 为其余类别，如 "*=10" / discount: CATEGORY=PERCENT off ("*" = all others)
        #[arg(long = "discount", value_name = "CATEGORY=PERCENT")]
        discounts: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// 每元积分（按类别，"*" 为其余）/ points earned per yuan, by category ("*" = all others)
    Points { category: String, per_yuan: String },
    /// 每积分抵扣金额，如 0.01 / what one point is worth when redeemed, e.g. 0.01
    PointValue { yuan: String },
    /// 积分有效天数（0 为永久）/ days an earned point lives (0: never expires)
    PointExpiryDays { days: String },
    /// 单卡储值上限（"none" 为不限）/ the most one stored-value card may hold ("none": no cap)
    StoredValueCap { yuan: String },
    /// 储值赠送金额有效天数（"none" 为永久；本金永不过期）/ days a stored-value bonus lives ("none": forever; the principal never expires)
    BonusExpiryDays { days: String },
    /// 会员等级评定日 MM-DD / the tier review day, MM-DD
    TierReviewOn { day: String },
    /// 提成比例（按服务或类别）/ commission rate by service or category
    Commission {
        /// 服务名称 / service
        #[arg(long, conflicts_with = "category")]
        service: Option<String>,
        /// 类别 / category
        #[arg(long)]
        category: Option<String>,
        /// 提成 % / rate in percent
        rate: String,
    },
    /// 充值赠送：充满多少送多少，如 1000 200 / top-up bonus: top up at least MIN, get BONUS
    TopupBonus { min: String, bonus: String },
    /// 充值赠送按次还是按倍数：once（充2000按充1000送200只送200）或 per-multiple（送400）/
    /// a top-up bonus once (¥200 on ¥2,000 for 充1000送200) or per-multiple (¥400)
    BonusMode { mode: String },
    /// 现行的全部规则 / every rule in force: points, tiers, stored value, rebates, commissions
    Show {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 新增返点规则 / add a rebate rule
    Rebate {
        /// 规则名称 / rule name
        name: String,
        /// 按类别返点的类别 / category of a per-category rebate
        #[arg(long, requires = "percent")]
        category: Option<String>,
        /// 单次消费满多少 / one visit spending at least this
        #[arg(long, requires = "percent", conflicts_with = "category")]
        threshold: Option<String>,
        /// 返点 % / rebate percent
        #[arg(long)]
        percent: Option<String>,
        /// 首次消费倍数，如 2 / first visit multiplier
        #[arg(long, conflicts_with_all = ["category", "threshold", "birthday_month"])]
        first_visit: Option<String>,
        /// 生日月倍数，如 1.5 / birthday month multiplier
        #[arg(long, conflicts_with_all = ["category", "threshold"])]
        birthday_month: Option<String>,
        /// 返到 points 或 stored-value / credit to points or stored-value
        #[arg(long, default_value = "points")]
        credit: String,
    },
    /// 返点规则列表 / list rebate rules
    Rebates {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 停用返点规则 / end a rebate rule
    EndRebate {
        /// 规则名称或编号 / rule name or id
        rule: String,
        /// 生效日期（默认今天）/ from this day (default today)
        #[arg(long)]
        from: Option<String>,
    },
    /// 签到积分：每次到店（每天最多一次）送的积分，0 为不送 / check-in points, once a day (0: none)
    CheckinPoints { points: String },
    /// 推荐积分：被推荐顾客首次消费后推荐人得的积分 / referral points for the member who recommended a new customer
    ReferralPoints {
        points: String,
        /// 每人每月最多几次（0 为不限）/ at most this many a month per member (0: no limit)
        #[arg(long)]
        max_per_month: Option<String>,
    },
    /// 设置一项规则，可指定生效日期 / set one rule, from a later day if given
    Set {
        /// 规则名，如 points.value、points.checkin / the rule's key
        key: String,
        value: String,
        /// 生效日期 YYYY-MM-DD（默认今天）/ from this day (default today)
        #[arg(long)]
        from: Option<String>,
    },
    /// 待生效和已生效的规则变更 / rule changes waiting for their day and done
    Changes {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 撤销尚未生效的规则变更 / withdraw a rule change before its day
    Cancel { id: String },
}

#[derive(Debug, Subcommand)]
pub enum CouponCmd {
    /// 新建优惠券模板 / create a coupon template
    Template {
        /// 名称，如 满300减50 / name
        name: String,
        /// 减免金额 / amount off
        #[arg(long, conflicts_with_all = ["percent_off", "free_service"])]
        amount_off: Option<String>,
        /// 折扣 % / percent off
        #[arg(long, conflicts_with = "free_service")]
        percent_off: Option<String>,
        /// 免费体验的服务 / a free service
        #[arg(long)]
        free_service: Option<String>,
        /// 最低消费 / minimum spend
        #[arg(long, default_value = "0")]
        min_spend: String,
        /// 有效天数 / days valid after issue
        #[arg(long, default_value_t = 30)]
        valid_days: i64,
        /// 每人限领 / per-customer limit
        #[arg(long, default_value_t = 1)]
        per_customer: i64,
    },
    /// 向顾客发放优惠券 / issue a coupon to a customer
    Issue {
        /// 模板名称或编号 / template name or id
        template: String,
        /// 顾客 / customer
        #[arg(long)]
        customer: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProductCmd {
    /// 新增商品 / add a product
    Add {
        /// 商品编码 / SKU
        sku: String,
        /// 名称 / name
        name: String,
        /// 类别 / category
        #[arg(long, default_value = "产品")]
        category: String,
        /// 售价 / price
        #[arg(long)]
        price: String,
    },
    /// 商品列表 / list products
    List {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CourseCmd {
    /// 售卖疗程卡/次卡 / sell a prepaid course
    Sell {
        /// 顾客 / customer
        #[arg(long)]
        customer: String,
        /// 服务 / service
        #[arg(long)]
        service: String,
        /// 次数 / sessions
        #[arg(long)]
        sessions: u32,
        /// 售价 / price
        #[arg(long)]
        price: String,
        /// 有效天数（不填为长期）/ days valid (omit: no end)
        #[arg(long)]
        valid_days: Option<i64>,
        /// 支付：方式=金额 / METHOD=AMOUNT
        #[arg(long = "pay", value_name = "METHOD=AMOUNT", required = true)]
        pay: Vec<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PackageCmd {
    /// 新建套餐 / offer a new package
    Add {
        /// 名称 / name
        name: String,
        /// 售价 / price
        #[arg(long)]
        price: String,
        /// 项目：服务或商品[*数量]，可多次 / an item: SERVICE or PRODUCT[*N], repeatable
        #[arg(long = "item", value_name = "ITEM*N", required = true)]
        items: Vec<String>,
        /// 有效天数（不填为长期）/ days valid from the sale (omit: no end)
        #[arg(long)]
        valid_days: Option<i64>,
    },
    /// 在售套餐 / the packages on offer
    List {
        /// 含已下架 / with those no longer offered
        #[arg(long)]
        all: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 下架（已售出的照常使用）/ take off the list (what was sold stays valid)
    Retire {
        /// 名称或编号 / name or id
        package: String,
    },
    /// 售卖套餐 / sell a package
    Sell {
        /// 顾客 / customer
        #[arg(long)]
        customer: String,
        /// 套餐名称或编号 / package name or id
        #[arg(long)]
        package: String,
        /// 支付：方式=金额 / METHOD=AMOUNT
        #[arg(long = "pay", value_name = "METHOD=AMOUNT", required = true)]
        pay: Vec<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

fn decimal(field: &str, s: &str) -> Result<Decimal, CliError> {
    s.trim().trim_end_matches('%').parse().map_err(|_| CliError::Usage(msg::not_a_number(field, s)))
}

/// `wechat=100` → (WeChat, 100).
pub fn parse_tender(s: &str) -> Result<(Tender, Decimal), CliError> {
    let (method, amount) = s.split_once('=').ok_or_else(|| CliError::Usage(msg::bad_tender(s)))?;
    let t = Tender::parse(method).ok_or_else(|| CliError::Usage(msg::bad_tender(s)))?;
    Ok((t, yuan("--pay", amount)?))
}

fn tenders(list: &[String]) -> Result<Vec<(Tender, Decimal)>, CliError> {
    list.iter().map(|s| parse_tender(s)).collect()
}

/// Who earns commission on a line and their share, as written on the command line.
type Shares = Vec<(String, Option<Decimal>)>;

/// `NAME[*QTY][@STAFF[:SHARE][,STAFF[:SHARE]]]` → (name, quantity, staff shares).
pub fn parse_item(spec: &str) -> Result<(String, u32, Shares), CliError> {
    let (left, staff) = match spec.split_once('@') {
        Some((l, s)) => (l, Some(s)),
        None => (spec, None),
    };
    let (name, quantity) =
        crate::domain::package::parse_item(left).map_err(|_| CliError::Usage(msg::bad_item(spec)))?;
    let mut shares = Vec::new();
    for part in staff.into_iter().flat_map(|s| s.split([',', '，'])) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        match part.rsplit_once([':', '：']) {
            Some((who, share)) => shares.push((who.trim().to_string(), Some(decimal("分成 share", share)?))),
            None => shares.push((part.to_string(), None)),
        }
    }
    Ok((name, quantity, shares))
}

fn print_receipt(r: &Receipt) -> Result<(), CliError> {
    let rows: Vec<[String; 5]> = r
        .lines
        .iter()
        .map(|l| {
            let name = match l.sessions_left {
                Some(left) => format!("{}（{}）", l.name, msg::sessions_left(left)),
                None => l.name.clone(),
            };
            [name, l.quantity.to_string(), msg::yuan(l.unit_price), msg::yuan(l.list), l.staff.join("、")]
        })
        .collect();
    say(super::table::render(msg::headers_receipt(), &rows).trim_end())?;
    let s = r.summary();
    for (label, value) in s.totals.iter().chain(&s.payments).chain(&s.balances) {
        say(&format!("{label}: {value}"))?;
    }
    say(&msg::visit_id(&r.visit_id))?;
    Ok(())
}

pub fn checkout(app: &mut App, a: CheckoutArgs) -> Result<Outcome, CliError> {
    let mut items = Vec::new();
    for (specs, key) in [
        (&a.services, ItemKey::Service as fn(String) -> ItemKey),
        (&a.products, ItemKey::Product),
        (&a.courses, ItemKey::CourseSession),
    ] {
        for spec in specs {
            let (name, quantity, staff) = parse_item(spec)?;
            items.push(ItemRequest { item: key(name), quantity, staff, expected_unit_price: None });
        }
    }
    let points = match a.points.as_deref().map(str::trim) {
        None => Use::Nothing,
        Some("all" | "全部") => Use::Max,
        Some(n) => Use::Exactly(n.parse().map_err(|_| CliError::Usage(msg::not_a_number("--points", n)))?),
    };
    let stored_value = match a.stored_value.as_deref().map(str::trim) {
        None => Use::Nothing,
        Some("all" | "全部") => Use::Max,
        Some(v) => Use::Exactly(yuan("--stored-value", v)?),
    };
    let actor = match a.cashier.as_deref().map(str::trim) {
        None => "cli".to_string(),
        Some(who) => app
            .list_staff()?
            .into_iter()
            .find(|s| s.active && (s.name == who || s.id == who))
            .map(|s| s.id)
            .ok_or_else(|| CliError::Usage(msg::no_such_staff("--cashier", who)))?,
    };
    let r = app.checkout(&CheckoutRequest {
        customer: a.customer,
        items,
        coupon: a.coupon,
        points,
        stored_value,
        tenders: tenders(&a.pay)?,
        actor,
    })?;
    if a.json {
        print_json(&r)?
    } else {
        print_receipt(&r)?
    }
    if a.print {
        crate::station::printing::queue_receipt(app, &r)?;
        return super::device::print_now(app, a.json);
    }
    Ok(Outcome::Ok)
}

pub fn visit(app: &mut App, c: VisitCmd) -> Result<Outcome, CliError> {
    match c {
        VisitCmd::Void { id, json } => {
            let reversal = app.void_visit(&id, "cli")?;
            if json {
                print_json(&serde_json::json!({ "voided": id, "reversal": reversal }))?
            } else {
                say(&msg::voided(&id, &reversal))?
            }
        }
    }
    Ok(Outcome::Ok)
}

pub fn stored_value(app: &mut App, c: StoredValueCmd) -> Result<Outcome, CliError> {
    match c {
        StoredValueCmd::Topup { customer, amount, pay, print, json } => {
            let paid = tenders(&pay)?;
            let t = app.topup(&customer, yuan("--amount", &amount)?, &paid, "cli")?;
            if json {
                print_json(&t)?
            } else {
                say(&msg::topped_up(
                    t.principal,
                    t.bonus,
                    t.balances.stored_value_principal,
                    t.balances.stored_value_bonus,
                ))?;
                if let Some(rule) = &t.bonus_rule {
                    say(&format!("  {rule}"))?;
                }
            }
            if print {
                let c = app.customer_by_key(&customer)?;
                crate::station::printing::queue_topup_receipt(app, &c, &t, &paid)?;
                return super::device::print_now(app, json);
            }
        }
        StoredValueCmd::Refund { customer, to, json } => {
            let tender = Tender::parse(&to).ok_or_else(|| CliError::Usage(msg::bad_tender(&to)))?;
            let amount = app.refund_stored_value(&customer, tender, "cli")?;
            if json { print_json(&serde_json::json!({ "refunded": amount }))? } else { say(&msg::refunded(amount))? }
        }
    }
    Ok(Outcome::Ok)
}

pub fn tier(app: &mut App, c: TierCmd) -> Result<Outcome, CliError> {
    match c {
        TierCmd::List { json } => {
            let tiers = app.tiers()?;
            print_rows(json, &tiers, msg::headers_tiers(), |t| {
                [
                    t.rank.to_string(),
                    t.name.clone(),
                    format!("¥{}", t.min_spend),
                    t.min_points.to_string(),
                    t.period_days.to_string(),
                    t.points_multiplier.to_string(),
                    t.discounts.iter().map(|(c, d)| format!("{c} −{d}%")).collect::<Vec<_>>().join(", "),
                ]
            })?;
        }
        TierCmd::Review { json } => {
            let r = app.review_tiers("cli")?;
            if json { print_json(&r)? } else { say(&msg::tier_review(&r))? }
        }
        TierCmd::Set { name, rank, min_spend, min_points, period_days, multiplier, discounts } => {
            let mut map = BTreeMap::new();
            for d in &discounts {
                let (category, percent) =
                    d.split_once('=').ok_or_else(|| CliError::Usage(msg::bad_pair("--discount", d)))?;
                map.insert(category.trim().to_string(), decimal("--discount", percent)?);
            }
            let t = Tier {
                id: String::new(),
                name: name.trim().to_string(),
                rank,
                min_spend: yuan("--min-spend", &min_spend)?,
                min_points,
                period_days,
                points_multiplier: decimal("--multiplier", &multiplier)?,
                discounts: map,
            };
            app.set_tier(&t, "cli")?;
            say(&msg::rule_saved(&t.name))?;
        }
    }
    Ok(Outcome::Ok)
}

pub fn rules(app: &mut App, c: RulesCmd) -> Result<Outcome, CliError> {
    match c {
        RulesCmd::Points { category, per_yuan } => {
            app.set_points_rule(&category, decimal("per_yuan", &per_yuan)?, "cli")?;
            say(&msg::rule_saved(&category))?;
        }
        RulesCmd::Commission { service, category, rate } => {
            app.set_commission_rule(service.as_deref(), category.as_deref(), decimal("rate", &rate)?, "cli")?;
            say(&msg::rule_saved(service.as_deref().or(category.as_deref()).unwrap_or_default()))?;
        }
        RulesCmd::PointValue { yuan } => {
            app.set_rule_value("points.value", &yuan, "cli")?;
            say(&msg::rule_saved(&format!("points.value = {yuan}")))?;
        }
        RulesCmd::PointExpiryDays { days } => {
            app.set_rule_value("points.expire_days", &days, "cli")?;
            say(&msg::rule_saved(&format!("points.expire_days = {days}")))?;
        }
        RulesCmd::StoredValueCap { yuan } => {
            let v = if matches!(yuan.trim(), "none" | "无") { "" } else { yuan.as_str() };
            app.set_rule_value("stored_value.cap", v, "cli")?;
            say(&msg::rule_saved(&format!("stored_value.cap = {yuan}")))?;
        }
        RulesCmd::BonusExpiryDays { days } => {
            let v = if matches!(days.trim(), "none" | "无") { "" } else { days.as_str() };
            app.set_rule_value("stored_value.bonus_expire_days", v, "cli")?;
            say(&msg::rule_saved(&format!("stored_value.bonus_expire_days = {days}")))?;
        }
        RulesCmd::TierReviewOn { day } => {
            app.set_rule_value("tier.review_on", &day, "cli")?;
            say(&msg::rule_saved(&format!("tier.review_on = {day}")))?;
        }
        RulesCmd::BonusMode { mode } => {
            let v = match mode.trim() {
                "once" | "一次" => "once",
                "per-multiple" | "per_multiple" | "每满" => "per_multiple",
                other => other,
            };
            app.set_rule_value("stored_value.bonus_mode", v, "cli")?;
            say(&msg::rule_saved(&format!("stored_value.bonus_mode = {v}")))?;
        }
        RulesCmd::Show { json } => {
            let r = app.rules_in_force()?;
            if json {
                print_json(&r)?;
            } else {
                say(&r.to_text())?;
            }
        }
        RulesCmd::TopupBonus { min, bonus } => {
            app.set_topup_bonus(yuan("min", &min)?, yuan("bonus", &bonus)?, "cli")?;
            say(&msg::rule_saved(&format!("充 {min} 送 {bonus}")))?;
        }
        RulesCmd::Rebate { name, category, threshold, percent, first_visit, birthday_month, credit } => {
            let percent = percent.as_deref().map(|p| decimal("--percent", p)).transpose()?;
            let kind = match (category, threshold, first_visit, birthday_month, percent) {
                (Some(category), None, None, None, Some(percent)) => RebateKind::Category { category, percent },
                (None, Some(t), None, None, Some(percent)) => {
                    RebateKind::Threshold { min_total: yuan("--threshold", &t)?, percent }
                }
                (None, None, Some(m), None, _) => RebateKind::FirstVisit { multiplier: decimal("--first-visit", &m)? },
                (None, None, None, Some(m), _) => {
                    RebateKind::BirthdayMonth { multiplier: decimal("--birthday-month", &m)? }
                }
                _ => return Err(CliError::Usage(msg::rebate_kind_needed())),
            };
            let credit_to = match credit.trim() {
                "points" | "积分" => CreditTo::Points,
                "stored-value" | "stored_value" | "储值" => CreditTo::StoredValue,
                other => return Err(CliError::Usage(msg::bad_pair("--credit", other))),
            };
            app.add_rebate_rule(&RebateRule { id: String::new(), name: name.clone(), kind, credit_to }, 0, "cli")?;
            say(&msg::rule_saved(&name))?;
        }
        RulesCmd::EndRebate { rule, from } => {
            let from = parse_date(from.as_deref())?;
            let out = app.change_rule(RuleChange::RebateEnd { rule: rule.clone() }, from, "cli")?;
            say(&msg::rule_change_outcome(&format!("停用返点 end rebate {rule}"), &out))?;
        }
        RulesCmd::CheckinPoints { points } => {
            app.set_rule_value("points.checkin", &points, "cli")?;
            say(&msg::rule_saved(&format!("points.checkin = {points}")))?;
        }
        RulesCmd::ReferralPoints { points, max_per_month } => {
            app.set_rule_value("referral.points", &points, "cli")?;
            if let Some(m) = &max_per_month {
                app.set_rule_value("referral.max_per_month", m, "cli")?;
            }
            say(&msg::rule_saved(&format!("referral.points = {points}")))?;
        }
        RulesCmd::Set { key, value, from } => {
            let from = parse_date(from.as_deref())?;
            let out = app.change_rule(RuleChange::Value { key: key.clone(), value: value.clone() }, from, "cli")?;
            say(&msg::rule_change_outcome(&format!("{key} = {value}"), &out))?;
        }
        RulesCmd::Changes { limit, json } => {
            let rows = app.rule_changes(limit)?;
            let tz = app.tz();
            print_rows(json, &rows, msg::headers_rule_changes(), |c| {
                let state = if c.row.cancelled_at.is_some() {
                    "已撤销 cancelled"
                } else if c.row.applied_at.is_some() {
                    "已生效 in force"
                } else {
                    "待生效 waiting"
                };
                [
                    c.row.effective_on.to_string(),
                    c.text.clone(),
                    state.to_string(),
                    c.row.actor.clone(),
                    crate::domain::time::local_dt(c.row.created_at, tz),
                    c.row.id.clone(),
                ]
            })?;
        }
        RulesCmd::Cancel { id } => {
            app.cancel_rule_change(&id, "cli")?;
            say(&msg::rule_saved(&format!("撤销 withdrawn {id}")))?;
        }
        RulesCmd::Rebates { json } => {
            let rules = app.rebate_rules()?;
            print_rows(json, &rules, msg::headers_rebates(), |r| {
                [r.name.clone(), msg::rebate_kind(&r.kind), r.credit_to.as_str().to_string(), r.id.clone()]
            })?;
        }
    }
    Ok(Outcome::Ok)
}

pub fn coupon(app: &mut App, c: CouponCmd) -> Result<Outcome, CliError> {
    match c {
        CouponCmd::Template { name, amount_off, percent_off, free_service, min_spend, valid_days, per_customer } => {
            let min_spend = yuan("--min-spend", &min_spend)?;
            let kind = match (amount_off, percent_off, free_service) {
                (Some(a), None, None) => CouponKind::AmountOff { amount: yuan("--amount-off", &a)?, min_spend },
                (None, Some(p), None) => CouponKind::PercentOff { percent: decimal("--percent-off", &p)?, min_spend },
                (None, None, Some(s)) => CouponKind::FreeService { service_id: s },
                _ => return Err(CliError::Usage(msg::coupon_kind_needed())),
            };
            app.add_coupon_template(&name, &kind, valid_days, per_customer, "cli")?;
            say(&msg::rule_saved(&name))?;
        }
        CouponCmd::Issue { template, customer } => {
            let code = app.issue_coupon(&template, &customer, "cli")?;
            say(&msg::coupon_issued(&code))?;
        }
    }
    Ok(Outcome::Ok)
}

pub fn product(app: &mut App, c: ProductCmd) -> Result<Outcome, CliError> {
    match c {
        ProductCmd::Add { sku, name, category, price } => {
            let p = app.add_product(&sku, &name, &category, yuan("--price", &price)?, "cli")?;
            say(&msg::product_added(&p.name, &p.price.to_string()))?;
        }
        ProductCmd::List { json } => {
            let list = app.products()?;
            print_rows(json, &list, msg::headers_products(), |p| {
                [p.sku.clone(), p.name.clone(), p.category.clone(), format!("¥{}", p.price), p.id.clone()]
            })?;
        }
    }
    Ok(Outcome::Ok)
}

pub fn course(app: &mut App, c: CourseCmd) -> Result<Outcome, CliError> {
    match c {
        CourseCmd::Sell { customer, service, sessions, price, valid_days, pay, json } => {
            let sale = app.sell_course(
                &CourseSaleRequest {
                    customer,
                    service: service.clone(),
                    sessions,
                    price: yuan("--price", &price)?,
                    valid_days,
                    tenders: tenders(&pay)?,
                },
                "cli",
            )?;
            if json { print_json(&sale)? } else { say(&msg::course_sold(&service, sale.sessions, &sale.course_id))? }
        }
    }
    Ok(Outcome::Ok)
}

pub fn package(app: &mut App, c: PackageCmd) -> Result<Outcome, CliError> {
    use crate::app::packages::{PackageDraft, PackageSaleRequest};
    match c {
        PackageCmd::Add { name, price, items, valid_days } => {
            let p =
                app.define_package(&PackageDraft { name, price: yuan("--price", &price)?, valid_days, items }, "cli")?;
            say(&msg::package_added(&p))?;
        }
        PackageCmd::List { all, json } => {
            let list = app.packages(all)?;
            print_rows(json, &list, msg::headers_packages(), |p| {
                [
                    p.name.clone(),
                    format!("¥{}", p.price),
                    p.items_text(),
                    p.valid_days.map_or_else(|| "长期 no end".to_string(), |d| format!("{d} 天 days")),
                    p.sold.to_string(),
                    if p.active { "在售 on offer".into() } else { "已下架 retired".into() },
                ]
            })?;
        }
        PackageCmd::Retire { package } => {
            let p = app.retire_package(&package, "cli")?;
            say(&msg::package_retired(&p.name))?;
        }
        PackageCmd::Sell { customer, package, pay, json } => {
            let sale = app.sell_package(&PackageSaleRequest { customer, package, tenders: tenders(&pay)? }, "cli")?;
            if json {
                print_json(&sale)?
            } else {
                let tz = app.tz();
                say(&msg::package_sold(&sale, tz))?
            }
        }
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_specs() {
        let (n, q, s) = parse_item("面部深层清洁@李娜:60,王芳:40").unwrap();
        assert_eq!((n.as_str(), q), ("面部深层清洁", 1));
        assert_eq!(s, [("李娜".to_string(), Some(Decimal::from(60))), ("王芳".to_string(), Some(Decimal::from(40)))]);
        let (n, q, s) = parse_item("SKU-001*2@李娜").unwrap();
        assert_eq!((n.as_str(), q, s.len()), ("SKU-001", 2, 1));
        assert!(parse_item("*2").is_err());
        assert!(parse_item("精华*0").is_err());
        assert!(parse_item("精华*x").is_err());
        assert_eq!(parse_tender("微信=99.5").unwrap(), (Tender::Wechat, Decimal::new(995, 1)));
        assert!(parse_tender("bitcoin=1").is_err());
        assert!(parse_tender("cash").is_err());
    }
}
