//! Checkout arithmetic: what a visit costs and how it is paid, in one fixed order.
//!
//! 1. **Tier price.** Each line's list amount (unit price × quantity) less the member tier's
//!    discount for the line's category (or the tier's `*` discount), rounded per line.
//! 2. **Coupon.** 满减 (amount off above a minimum spend), percent off, or one free
//!    service; checked against its validity window. A visit-level discount is shared over
//!    the lines in proportion to their tier prices.
//! 3. **Points.** Redeemed at the configured value per point, never more than is due.
//! 4. **Stored value.** Spent from principal and bonus in proportion to the card's balance.
//! 5. **Tenders.** The rest by cash, WeChat Pay, Alipay or card, several allowed; only cash
//!    may exceed what is due (the difference is change).
//!
//! After payment: points earned, rebates (返点) and commissions.
//!
//! **Rounding rule** (the one rule, see `money::to_fen`): every amount is rounded to 0.01
//! yuan, half away from zero, at the step that produces it — a line's tier price, a percent
//! coupon on its subtotal, a stored-value split, a rebate, a commission. An amount shared
//! over lines (coupon, points, stored value) is split in whole fen by largest remainder, so
//! the shares always add up to the amount exactly. Points are whole: earned points are
//! rounded down over the whole visit.
//!
//! Prepaid course sessions (次卡) cost nothing at checkout (they were paid when the course
//! was sold); their per-session value is the base of the beautician's commission.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Rounds to 0.01 yuan, half away from zero.
pub fn round_yuan(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn fen(d: Decimal) -> i128 {
    (round_yuan(d) * Decimal::ONE_HUNDRED).to_i128().unwrap_or(0)
}

/// Whole points in `d`, rounded down (never negative).
fn whole_points(d: Decimal) -> i64 {
    d.floor().to_i64().unwrap_or(0).max(0)
}

fn yuan(fen: i128) -> Decimal {
    Decimal::from_i128_with_scale(fen, 2)
}

/// Splits `total` over `weights` in whole fen, in proportion, by largest remainder (ties to
/// the earlier line). The parts always add up to `total`. With no weight at all, the first
/// part takes everything.
pub fn allocate(total: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    if weights.is_empty() {
        return Vec::new();
    }
    let total = fen(total);
    let w: Vec<i128> = weights.iter().map(|w| fen(*w).max(0)).collect();
    let sum: i128 = w.iter().sum();
    if sum == 0 {
        let mut out = vec![Decimal::ZERO; weights.len()];
        out[0] = yuan(total);
        return out;
    }
    let mut parts: Vec<i128> = w.iter().map(|wi| total * wi / sum).collect();
    let mut rest = total - parts.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..w.len()).collect();
    order.sort_by(|&a, &b| (total * w[b] % sum).cmp(&(total * w[a] % sum)).then(a.cmp(&b)));
    for i in order.into_iter().cycle() {
        if rest == 0 {
            break;
        }
        parts[i] += rest.signum();
        rest -= rest.signum();
    }
    parts.into_iter().map(yuan).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tender {
    Cash,
    Wechat,
    Alipay,
    Card,
}

impl Tender {
    pub const ALL: [Tender; 4] = [Tender::Cash, Tender::Wechat, Tender::Alipay, Tender::Card];

    pub fn as_str(self) -> &'static str {
        match self {
            Tender::Cash => "cash",
            Tender::Wechat => "wechat",
            Tender::Alipay => "alipay",
            Tender::Card => "card",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Tender::Cash => "现金",
            Tender::Wechat => "微信支付",
            Tender::Alipay => "支付宝",
            Tender::Card => "银行卡",
        }
    }

    /// `cash`, `wechat`/`微信`, `alipay`/`支付宝`, `card`/`银行卡`/`刷卡`.
    pub fn parse(s: &str) -> Option<Tender> {
        match s.trim().to_lowercase().as_str() {
            "cash" | "现金" => Some(Tender::Cash),
            "wechat" | "weixin" | "微信" | "微信支付" => Some(Tender::Wechat),
            "alipay" | "支付宝" => Some(Tender::Alipay),
            "card" | "银行卡" | "刷卡" => Some(Tender::Card),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineKind {
    Service {
        service_id: String,
    },
    Product {
        product_id: String,
    },
    /// One or more sessions of a prepaid course; `unit_price` is the course's value per
    /// session.
    CourseSession {
        course_id: String,
        service_id: String,
    },
    /// A product of a package (套餐) handed over; `unit_price` is its share of the package's
    /// price per unit.
    PrepaidProduct {
        course_id: String,
        product_id: String,
    },
}

/// Who earns commission on a line: their share of the line (percent, the shares of a line
/// add up to 100) and their commission rate for it (percent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffShare {
    pub staff_id: String,
    pub share_pct: Decimal,
    pub rate_pct: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartLine {
    pub kind: LineKind,
    pub name: String,
    pub category: String,
    /// Today's list price of one unit.
    pub unit_price: Decimal,
    pub quantity: u32,
    /// The unit price the cart was built with, when it was built earlier (kiosk): a
    /// different list price now is an error, not a surprise on the receipt.
    pub expected_unit_price: Option<Decimal>,
    pub staff: Vec<StaffShare>,
}

impl CartLine {
    fn is_course(&self) -> bool {
        self.course_id().is_some()
    }

    /// The prepaid course or package item the line is taken from.
    fn course_id(&self) -> Option<&str> {
        match &self.kind {
            LineKind::CourseSession { course_id, .. } | LineKind::PrepaidProduct { course_id, .. } => Some(course_id),
            LineKind::Service { .. } | LineKind::Product { .. } => None,
        }
    }

    fn list_amount(&self) -> Decimal {
        round_yuan(self.unit_price * Decimal::from(self.quantity))
    }
}

/// A stored-value balance, principal and bonus kept apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoredValue {
    pub principal: Decimal,
    pub bonus: Decimal,
}

impl StoredValue {
    pub fn total(&self) -> Decimal {
        self.principal + self.bonus
    }
}

/// What checkout needs to know of a member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Member {
    /// Percent off by category; `*` for every other category.
    pub tier_discounts: BTreeMap<String, Decimal>,
    /// Points earned are multiplied by this (金卡 1.5, ...).
    pub points_multiplier: Decimal,
    pub points_balance: i64,
    pub stored_value: StoredValue,
    /// Sessions left per prepaid course of this customer (valid courses only).
    pub course_sessions_left: BTreeMap<String, u32>,
    /// No completed visit before this one.
    pub first_visit: bool,
    /// The visit falls in the customer's birthday month.
    pub birthday_month: bool,
}

fn by_category(map: &BTreeMap<String, Decimal>, category: &str) -> Decimal {
    map.get(category).or_else(|| map.get("*")).copied().unwrap_or(Decimal::ZERO)
}

/// The tier discount on `list` (an amount of the given category): percent by category,
/// rounded to the fen. The one rule the bill and the kiosk's price list share.
pub fn tier_discount(list: Decimal, discounts: &BTreeMap<String, Decimal>, category: &str) -> Decimal {
    round_yuan(list * by_category(discounts, category) / Decimal::ONE_HUNDRED)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponKind {
    /// 满减: `amount` off when the tier-price subtotal is at least `min_spend`.
    AmountOff { amount: Decimal, min_spend: Decimal },
    /// `percent` off the tier-price subtotal, when it is at least `min_spend`.
    PercentOff { percent: Decimal, min_spend: Decimal },
    /// One unit of this service free (免费体验).
    FreeService { service_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coupon {
    pub code: String,
    pub name: String,
    pub kind: CouponKind,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

/// The shop's points rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsRules {
    /// Points per yuan paid, by category; `*` for every other category.
    pub earn_per_yuan: BTreeMap<String, Decimal>,
    /// What one point is worth when redeemed, in yuan (at most two decimals).
    pub point_value: Decimal,
}

impl Default for PointsRules {
    /// One point per yuan; 100 points are worth 1 yuan.
    fn default() -> Self {
        PointsRules {
            earn_per_yuan: BTreeMap::from([("*".to_string(), Decimal::ONE)]),
            point_value: Decimal::new(1, 2),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditTo {
    Points,
    StoredValue,
}

impl CreditTo {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditTo::Points => "points",
            CreditTo::StoredValue => "stored_value",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RebateKind {
    /// `percent` of what was paid for lines of `category` (e.g. services 8 %).
    Category { category: String, percent: Decimal },
    /// `percent` of the visit when it paid at least `min_total` (e.g. ≥ 500 → 10 %).
    Threshold { min_total: Decimal, percent: Decimal },
    /// The base rebate × `multiplier` on a customer's first visit (double: 2).
    FirstVisit { multiplier: Decimal },
    /// The base rebate × `multiplier` in the customer's birthday month.
    BirthdayMonth { multiplier: Decimal },
}

impl RebateKind {
    /// The rule as the owner reads it (Chinese first).
    pub fn describe(&self) -> String {
        match self {
            RebateKind::Category { category, percent } => {
                format!("{category} 返 {percent}% / {percent}% on {category}")
            }
            RebateKind::Threshold { min_total, percent } => {
                format!("满 ¥{min_total} 返 {percent}% / {percent}% from {min_total}")
            }
            RebateKind::FirstVisit { multiplier } => format!("首次消费 ×{multiplier} / first visit ×{multiplier}"),
            RebateKind::BirthdayMonth { multiplier } => format!("生日月 ×{multiplier} / birthday month ×{multiplier}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebateRule {
    pub id: String,
    pub name: String,
    pub kind: RebateKind,
    pub credit_to: CreditTo,
}

/// How much of a balance to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Use<T> {
    #[default]
    Nothing,
    /// As much as the balance and what is due allow.
    Max,
    Exactly(T),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payment {
    pub points: Use<i64>,
    pub stored_value: Use<Decimal>,
    pub tenders: Vec<(Tender, Decimal)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BilledLine {
    /// Unit price × quantity.
    pub list: Decimal,
    pub tier_discount: Decimal,
    pub coupon_discount: Decimal,
    /// What the line costs: list − tier discount − coupon discount (0 for course sessions).
    pub amount: Decimal,
    /// Its share of the points redeemed (yuan) and of the stored value spent.
    pub points_share: Decimal,
    pub stored_value_share: Decimal,
    /// What commission is computed on: the amount, or a course session's value.
    pub commission_base: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebateCredit {
    pub rule_id: String,
    pub rule_name: String,
    /// The yuan amount of the rebate.
    pub amount: Decimal,
    pub credit_to: CreditTo,
    /// Points credited (when `credit_to` is points): the amount at the point value, down.
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commission {
    /// Index into the cart.
    pub line: usize,
    pub staff_id: String,
    pub rate_pct: Decimal,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bill {
    pub lines: Vec<BilledLine>,
    pub list_total: Decimal,
    pub tier_discount: Decimal,
    pub coupon_discount: Decimal,
    /// What the visit costs after tier prices and the coupon: the visit's revenue.
    pub total: Decimal,
    pub points_used: i64,
    pub points_value: Decimal,
    pub stored_value_used: StoredValue,
    /// What was left after points and stored value, paid by the tenders.
    pub due_by_tenders: Decimal,
    pub tenders: Vec<(Tender, Decimal)>,
    pub change: Decimal,
    pub points_earned: i64,
    pub rebates: Vec<RebateCredit>,
    pub commissions: Vec<Commission>,
    /// Sessions taken per prepaid course.
    pub course_sessions: Vec<(String, u32)>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CheckoutError {
    #[error("没有任何项目或商品 / the bill has no items")]
    Empty,
    #[error("第 {line} 项「{name}」数量须大于 0 / line {line} \"{name}\": the quantity must be at least 1")]
    Quantity { line: usize, name: String },
    #[error("第 {line} 项「{name}」价格为负 / line {line} \"{name}\": a price cannot be negative")]
    NegativePrice { line: usize, name: String },
    #[error(
        "第 {line} 项「{name}」价格已变：原 ¥{was}，现 ¥{now}，请重新确认 / line {line} \"{name}\": the price changed from {was} to {now}, confirm again"
    )]
    PriceChanged { line: usize, name: String, was: Decimal, now: Decimal },
    #[error(
        "第 {line} 项「{name}」的员工分成合计为 {total}%，应为 100% / line {line} \"{name}\": staff shares add up to {total}%, not 100%"
    )]
    StaffShares { line: usize, name: String, total: Decimal },
    #[error("非会员不能使用积分、储值、次卡或优惠券 / points, stored value, courses and coupons need a member")]
    NotAMember,
    #[error(
        "疗程卡「{name}」剩余 {left} 次，本次需要 {wanted} 次 / course \"{name}\" has {left} sessions left, {wanted} needed"
    )]
    CourseSessions { name: String, left: u32, wanted: u32 },
    #[error("优惠券 {code} 尚未生效（{from} 起）/ coupon {code} is not valid before {from}")]
    CouponNotYetValid { code: String, from: DateTime<Utc> },
    #[error("优惠券 {code} 已过期（{until} 止）/ coupon {code} expired at {until}")]
    CouponExpired { code: String, until: DateTime<Utc> },
    #[error(
        "优惠券 {code} 需满 ¥{min} 可用，本单 ¥{subtotal} / coupon {code} needs a spend of {min}, this bill is {subtotal}"
    )]
    CouponMinSpend { code: String, min: Decimal, subtotal: Decimal },
    #[error("优惠券 {code} 所送的项目不在本单中 / coupon {code}: its free service is not on this bill")]
    CouponService { code: String },
    #[error("积分不足：可用 {balance}，需要 {wanted} / not enough points: {balance} available, {wanted} asked")]
    Points { wanted: i64, balance: i64 },
    #[error("积分抵扣 ¥{value} 超过应付 ¥{due} / points worth {value} exceed the {due} due")]
    PointsExceedDue { value: Decimal, due: Decimal },
    #[error(
        "储值余额不足：余额 ¥{balance}，需要 ¥{wanted} / not enough stored value: {balance} on the card, {wanted} asked"
    )]
    StoredValue { wanted: Decimal, balance: Decimal },
    #[error("储值扣款 ¥{wanted} 超过应付 ¥{due} / {wanted} from stored value exceeds the {due} due")]
    StoredValueExceedsDue { wanted: Decimal, due: Decimal },
    #[error("支付金额不能为负：{tender} ¥{amount} / a payment cannot be negative: {tender} {amount}")]
    NegativeTender { tender: &'static str, amount: Decimal },
    #[error(
        "非现金支付 ¥{paid} 超过应付 ¥{due}（只有现金可以找零）/ {paid} paid by non-cash tenders exceeds the {due} due (only cash gives change)"
    )]
    Overpaid { paid: Decimal, due: Decimal },
    #[error("还差 ¥{missing} 未支付（应付 ¥{due}）/ {missing} still to pay of {due}")]
    Underpaid { missing: Decimal, due: Decimal },
}

/// Everything checkout needs besides the cart.
#[derive(Debug, Clone, Copy)]
pub struct Terms<'a> {
    pub member: Option<&'a Member>,
    pub coupon: Option<&'a Coupon>,
    pub points: &'a PointsRules,
    pub rebates: &'a [RebateRule],
    pub now: DateTime<Utc>,
}

/// Prices and pays a cart. Pure: the caller loads the member, coupon and rules inside the
/// checkout's transaction and writes the bill in that same transaction.
pub fn checkout(cart: &[CartLine], terms: Terms<'_>, pay: &Payment) -> Result<Bill, CheckoutError> {
    if cart.is_empty() {
        return Err(CheckoutError::Empty);
    }
    validate_lines(cart)?;
    let member = terms.member;
    let needs_member = terms.coupon.is_some()
        || pay.points != Use::Nothing
        || pay.stored_value != Use::Nothing
        || cart.iter().any(CartLine::is_course);
    if needs_member && member.is_none() {
        return Err(CheckoutError::NotAMember);
    }
    let course_sessions = course_sessions(cart, member)?;

    // 1. tier price
    let list: Vec<Decimal> = cart.iter().map(CartLine::list_amount).collect();
    let tier_discount: Vec<Decimal> = cart
        .iter()
        .zip(&list)
        .map(|(l, list)| match member {
            Some(m) if !l.is_course() => tier_discount(*list, &m.tier_discounts, &l.category),
            _ => Decimal::ZERO,
        })
        .collect();
    // what each line costs before the coupon (course sessions are prepaid)
    let tier_price: Vec<Decimal> = cart
        .iter()
        .zip(list.iter().zip(&tier_discount))
        .map(|(l, (list, d))| if l.is_course() { Decimal::ZERO } else { list - d })
        .collect();

    // 2. coupon
    let coupon_discount = match terms.coupon {
        Some(c) => coupon_discount(c, cart, &tier_price, terms.now)?,
        None => vec![Decimal::ZERO; cart.len()],
    };
    let amount: Vec<Decimal> = tier_price.iter().zip(&coupon_discount).map(|(p, c)| p - c).collect();
    let total: Decimal = amount.iter().sum();

    // 3. points
    let points_rules = terms.points;
    let (points_used, points_value) = match (pay.points, member) {
        (Use::Nothing, _) | (_, None) => (0, Decimal::ZERO),
        (Use::Max, Some(m)) => {
            let affordable = if points_rules.point_value > Decimal::ZERO {
                whole_points(total / points_rules.point_value)
            } else {
                0
            };
            let n = m.points_balance.max(0).min(affordable);
            (n, round_yuan(Decimal::from(n) * points_rules.point_value))
        }
        (Use::Exactly(n), Some(m)) => {
            if n < 0 || n > m.points_balance {
                return Err(CheckoutError::Points { wanted: n, balance: m.points_balance });
            }
            let value = round_yuan(Decimal::from(n) * points_rules.point_value);
            if value > total {
                return Err(CheckoutError::PointsExceedDue { value, due: total });
            }
            (n, value)
        }
    };
    let after_points = total - points_value;

    // 4. stored value
    let stored_used = match (pay.stored_value, member) {
        (Use::Nothing, _) | (_, None) => Decimal::ZERO,
        (Use::Max, Some(m)) => m.stored_value.total().min(after_points).max(Decimal::ZERO),
        (Use::Exactly(a), Some(m)) => {
            let a = round_yuan(a);
            if a < Decimal::ZERO || a > m.stored_value.total() {
                return Err(CheckoutError::StoredValue { wanted: a, balance: m.stored_value.total() });
            }
            if a > after_points {
                return Err(CheckoutError::StoredValueExceedsDue { wanted: a, due: after_points });
            }
            a
        }
    };
    let stored_value_used = match member {
        Some(m) => split_stored_value(stored_used, m.stored_value),
        None => StoredValue::default(),
    };
    let due_by_tenders = after_points - stored_used;

    // 5. tenders
    let change = settle(due_by_tenders, &pay.tenders)?;

    // shares of the visit-level payments per line, for points earned and rebates
    let points_share = allocate(points_value, &amount);
    let stored_value_share = allocate(stored_used, &amount);
    let lines: Vec<BilledLine> = (0..cart.len())
        .map(|i| BilledLine {
            list: list[i],
            tier_discount: tier_discount[i],
            coupon_discount: coupon_discount[i],
            amount: amount[i],
            points_share: points_share[i],
            stored_value_share: stored_value_share[i],
            commission_base: if cart[i].is_course() { list[i] } else { amount[i] },
        })
        .collect();

    // points earned: on what was paid other than by points
    let points_earned = match member {
        Some(m) => {
            let raw: Decimal = cart
                .iter()
                .zip(&lines)
                .map(|(l, b)| (b.amount - b.points_share) * by_category(&points_rules.earn_per_yuan, &l.category))
                .sum();
            whole_points(raw * m.points_multiplier)
        }
        None => 0,
    };
    let rebates = match member {
        Some(m) => rebates(cart, &lines, m, terms.rebates, points_rules),
        None => Vec::new(),
    };
    let commissions = commissions(cart, &lines);

    Ok(Bill {
        list_total: list.iter().sum(),
        tier_discount: tier_discount.iter().sum(),
        coupon_discount: coupon_discount.iter().sum(),
        total,
        points_used,
        points_value,
        stored_value_used,
        due_by_tenders,
        tenders: pay.tenders.clone(),
        change,
        points_earned,
        rebates,
        commissions,
        course_sessions,
        lines,
    })
}

fn validate_lines(cart: &[CartLine]) -> Result<(), CheckoutError> {
    for (i, l) in cart.iter().enumerate() {
        let line = i + 1;
        if l.quantity == 0 {
            return Err(CheckoutError::Quantity { line, name: l.name.clone() });
        }
        if l.unit_price < Decimal::ZERO {
            return Err(CheckoutError::NegativePrice { line, name: l.name.clone() });
        }
        if let Some(was) = l.expected_unit_price
            && was != l.unit_price
        {
            return Err(CheckoutError::PriceChanged { line, name: l.name.clone(), was, now: l.unit_price });
        }
        if !l.staff.is_empty() {
            let total: Decimal = l.staff.iter().map(|s| s.share_pct).sum();
            if total != Decimal::ONE_HUNDRED {
                return Err(CheckoutError::StaffShares { line, name: l.name.clone(), total });
            }
        }
    }
    Ok(())
}

fn course_sessions(cart: &[CartLine], member: Option<&Member>) -> Result<Vec<(String, u32)>, CheckoutError> {
    let mut wanted: Vec<(String, String, u32)> = Vec::new();
    for l in cart {
        if let Some(course_id) = l.course_id() {
            match wanted.iter_mut().find(|(id, _, _)| id == course_id) {
                Some(w) => w.2 += l.quantity,
                None => wanted.push((course_id.to_string(), l.name.clone(), l.quantity)),
            }
        }
    }
    for (id, name, n) in &wanted {
        let left = member.and_then(|m| m.course_sessions_left.get(id)).copied().unwrap_or(0);
        if left < *n {
            return Err(CheckoutError::CourseSessions { name: name.clone(), left, wanted: *n });
        }
    }
    Ok(wanted.into_iter().map(|(id, _, n)| (id, n)).collect())
}

fn coupon_discount(
    c: &Coupon,
    cart: &[CartLine],
    tier_price: &[Decimal],
    now: DateTime<Utc>,
) -> Result<Vec<Decimal>, CheckoutError> {
    if now < c.valid_from {
        return Err(CheckoutError::CouponNotYetValid { code: c.code.clone(), from: c.valid_from });
    }
    if now >= c.valid_until {
        return Err(CheckoutError::CouponExpired { code: c.code.clone(), until: c.valid_until });
    }
    let subtotal: Decimal = tier_price.iter().sum();
    let min_spend = |min: Decimal| {
        if subtotal < min { Err(CheckoutError::CouponMinSpend { code: c.code.clone(), min, subtotal }) } else { Ok(()) }
    };
    match &c.kind {
        CouponKind::AmountOff { amount, min_spend: min } => {
            min_spend(*min)?;
            Ok(allocate((*amount).min(subtotal), tier_price))
        }
        CouponKind::PercentOff { percent, min_spend: min } => {
            min_spend(*min)?;
            Ok(allocate(round_yuan(subtotal * percent / Decimal::ONE_HUNDRED).min(subtotal), tier_price))
        }
        CouponKind::FreeService { service_id } => {
            let i = cart
                .iter()
                .position(|l| matches!(&l.kind, LineKind::Service { service_id: s } if s == service_id))
                .ok_or_else(|| CheckoutError::CouponService { code: c.code.clone() })?;
            let mut out = vec![Decimal::ZERO; cart.len()];
            // one unit free, at its tier price
            out[i] = round_yuan(tier_price[i] / Decimal::from(cart[i].quantity));
            Ok(out)
        }
    }
}

/// Splits a stored-value payment over principal and bonus in proportion to the balance.
fn split_stored_value(used: Decimal, balance: StoredValue) -> StoredValue {
    if used.is_zero() || balance.total() <= Decimal::ZERO {
        return StoredValue::default();
    }
    let parts = allocate(used, &[balance.principal, balance.bonus]);
    let (mut principal, mut bonus) = (parts[0], parts[1]);
    // rounding may push one side a fen past its balance: move it to the other
    if bonus > balance.bonus {
        principal += bonus - balance.bonus;
        bonus = balance.bonus;
    }
    if principal > balance.principal {
        bonus += principal - balance.principal;
        principal = balance.principal;
    }
    StoredValue { principal, bonus }
}

/// What a customer is likely to hand over in cash for `due`: the next ¥10, ¥50, ¥100,
/// the ¥100 after that and the next ¥500, above `due`, distinct, the three smallest.
pub fn cash_offers(due: Decimal) -> Vec<Decimal> {
    if due <= Decimal::ZERO {
        return Vec::new();
    }
    let up = |step: i64| {
        let step = Decimal::from(step);
        (due / step).ceil() * step
    };
    let mut offers: Vec<Decimal> =
        [up(10), up(50), up(100), up(100) + Decimal::ONE_HUNDRED, up(500)].into_iter().filter(|a| *a > due).collect();
    offers.sort();
    offers.dedup();
    offers.truncate(3);
    offers
}

/// Checks the tenders against what is due; returns the change (from cash only).
fn settle(due: Decimal, tenders: &[(Tender, Decimal)]) -> Result<Decimal, CheckoutError> {
    for (t, a) in tenders {
        if *a < Decimal::ZERO {
            return Err(CheckoutError::NegativeTender { tender: t.as_str(), amount: *a });
        }
    }
    let non_cash: Decimal = tenders.iter().filter(|(t, _)| *t != Tender::Cash).map(|(_, a)| round_yuan(*a)).sum();
    let cash: Decimal = tenders.iter().filter(|(t, _)| *t == Tender::Cash).map(|(_, a)| round_yuan(*a)).sum();
    if non_cash > due {
        return Err(CheckoutError::Overpaid { paid: non_cash, due });
    }
    let cash_due = due - non_cash;
    if cash < cash_due {
        return Err(CheckoutError::Underpaid { missing: cash_due - cash, due });
    }
    Ok(cash - cash_due)
}

fn points_for(amount: Decimal, rules: &PointsRules) -> i64 {
    if rules.point_value <= Decimal::ZERO {
        return 0;
    }
    whole_points(amount / rules.point_value)
}

/// Rebates: the better of the category rules (summed over lines) and the best threshold
/// rule is the base; first-visit and birthday-month rules each add the base × (multiplier
/// − 1). Each applied rule is one credit, naming the rule. The base is what was paid other
/// than by points.
fn rebates(
    cart: &[CartLine],
    lines: &[BilledLine],
    m: &Member,
    rules: &[RebateRule],
    points: &PointsRules,
) -> Vec<RebateCredit> {
    let paid: Vec<Decimal> = lines.iter().map(|b| b.amount - b.points_share).collect();
    let visit_paid: Decimal = paid.iter().sum();
    let credit = |r: &RebateRule, amount: Decimal| RebateCredit {
        rule_id: r.id.clone(),
        rule_name: r.name.clone(),
        amount,
        credit_to: r.credit_to,
        points: if r.credit_to == CreditTo::Points { points_for(amount, points) } else { 0 },
    };
    let mut by_category: Vec<RebateCredit> = Vec::new();
    for r in rules {
        if let RebateKind::Category { category, percent } = &r.kind {
            let base: Decimal = cart.iter().zip(&paid).filter(|(l, _)| &l.category == category).map(|(_, p)| *p).sum();
            let amount = round_yuan(base * percent / Decimal::ONE_HUNDRED);
            if amount > Decimal::ZERO {
                by_category.push(credit(r, amount));
            }
        }
    }
    let best_threshold = rules
        .iter()
        .filter_map(|r| match &r.kind {
            RebateKind::Threshold { min_total, percent } if visit_paid >= *min_total => {
                Some(credit(r, round_yuan(visit_paid * percent / Decimal::ONE_HUNDRED)))
            }
            _ => None,
        })
        .max_by(|a, b| a.amount.cmp(&b.amount));
    let category_total: Decimal = by_category.iter().map(|c| c.amount).sum();
    let mut out = match best_threshold {
        Some(t) if t.amount > category_total => vec![t],
        _ => by_category,
    };
    let base: Decimal = out.iter().map(|c| c.amount).sum();
    if base > Decimal::ZERO {
        for r in rules {
            let extra = match &r.kind {
                RebateKind::FirstVisit { multiplier } if m.first_visit => base * (multiplier - Decimal::ONE),
                RebateKind::BirthdayMonth { multiplier } if m.birthday_month => base * (multiplier - Decimal::ONE),
                _ => continue,
            };
            let extra = round_yuan(extra);
            if extra > Decimal::ZERO {
                out.push(credit(r, extra));
            }
        }
    }
    out
}

fn commissions(cart: &[CartLine], lines: &[BilledLine]) -> Vec<Commission> {
    let mut out = Vec::new();
    for (i, (l, b)) in cart.iter().zip(lines).enumerate() {
        for s in &l.staff {
            let amount =
                round_yuan(b.commission_base * s.share_pct / Decimal::ONE_HUNDRED * s.rate_pct / Decimal::ONE_HUNDRED);
            out.push(Commission { line: i, staff_id: s.staff_id.clone(), rate_pct: s.rate_pct, amount });
        }
    }
    out
}

/// The tier a customer qualifies for: the highest rank whose spend or points threshold
/// (within its own rolling period, measured by the caller) is met. `tiers` holds
/// `(rank, min_spend, min_points)`; `measured(rank)` gives the customer's spend and points
/// earned within that tier's period.
pub fn qualifying_rank(tiers: &[(i64, Decimal, i64)], measured: impl Fn(i64) -> (Decimal, i64)) -> Option<i64> {
    tiers
        .iter()
        .filter(|(rank, min_spend, min_points)| {
            let (spend, points) = measured(*rank);
            (*min_spend > Decimal::ZERO && spend >= *min_spend)
                || (*min_points > 0 && points >= *min_points)
                || (min_spend.is_zero() && *min_points == 0)
        })
        .map(|(rank, _, _)| *rank)
        .max()
}

#[cfg(test)]
mod tests;
