//! Checkout, top-up and void: the money side of a visit, each one transaction with its
//! ledger rows, commissions, tier change, audit row and sync events.
//!
//! The arithmetic is `domain::checkout`; this module loads what it needs (the member's
//! tier, points replayed to now, stored value, courses, the coupon, the rules) inside the
//! same transaction that writes the result, so two desks cannot spend one balance twice.

use chrono::{DateTime, Datelike, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::customers::lookup_customer;
use super::{App, AppError, Result};
use crate::domain::checkout::{
    Bill, CartLine, CheckoutError, CreditTo, LineKind, Member, Payment, StaffShare, Tender, Terms, allocate, checkout,
    qualifying_rank,
};
use crate::domain::model::Customer;
use crate::domain::money::{MoneyError, to_fen};
use crate::domain::points::replay;
use crate::store::{
    CourseBalance, NewCommission, NewPoints, NewRebate, NewStoredValue, NewVisit, NewVisitItem, Tier, Tx,
};

impl From<CheckoutError> for AppError {
    fn from(e: CheckoutError) -> Self {
        AppError::Checkout(e)
    }
}

/// What is bought.
#[derive(Debug, Clone)]
pub enum ItemKey {
    /// A service by name or id.
    Service(String),
    /// A product by SKU, name or id.
    Product(String),
    /// A session of one of the customer's prepaid courses, by course id or service name.
    CourseSession(String),
}

#[derive(Debug, Clone)]
pub struct ItemRequest {
    pub item: ItemKey,
    pub quantity: u32,
    /// Who earns commission (name or id) and their share in percent; `None` shares are
    /// split equally.
    pub staff: Vec<(String, Option<Decimal>)>,
    /// The unit price shown when the cart was built (kiosk), checked against today's.
    pub expected_unit_price: Option<Decimal>,
}

impl ItemRequest {
    /// `quantity` of an item, no commission split, no expected price.
    pub fn of(item: ItemKey, quantity: u32) -> ItemRequest {
        ItemRequest { item, quantity, staff: Vec::new(), expected_unit_price: None }
    }
}

impl CheckoutRequest {
    /// A plain checkout: these items, paid with one tender (any excess is change), no
    /// coupon, points or stored value.
    pub fn paid(customer: Option<&str>, items: Vec<ItemRequest>, tender: Tender, amount: Decimal, actor: &str) -> Self {
        CheckoutRequest {
            customer: customer.map(str::to_string),
            items,
            coupon: None,
            points: crate::domain::checkout::Use::Nothing,
            stored_value: crate::domain::checkout::Use::Nothing,
            tenders: vec![(tender, amount)],
            actor: actor.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// Phone, member code or id; `None` for a walk-in sale without membership.
    pub customer: Option<String>,
    pub items: Vec<ItemRequest>,
    pub coupon: Option<String>,
    pub points: crate::domain::checkout::Use<i64>,
    pub stored_value: crate::domain::checkout::Use<Decimal>,
    pub tenders: Vec<(Tender, Decimal)>,
    /// Staff id or `cli` / `kiosk`.
    pub actor: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReceiptLine {
    pub name: String,
    pub quantity: u32,
    pub unit_price: Decimal,
    /// Unit price × quantity, before any discount: what the receipt prints on the line
    /// (the discounts are listed once, below the lines).
    pub list: Decimal,
    /// What the line costs after tier price and coupon (0 for a course session).
    pub amount: Decimal,
    pub staff: Vec<String>,
    /// For a course session: sessions left after this visit.
    pub sessions_left: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Balances {
    pub tier: Option<String>,
    pub points: i64,
    pub stored_value_principal: Decimal,
    pub stored_value_bonus: Decimal,
}

/// What the receipt prints and the command line shows.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub visit_id: String,
    pub at: DateTime<Utc>,
    pub customer: Option<String>,
    /// `138****5678`
    pub phone_masked: Option<String>,
    pub member_code: Option<String>,
    pub lines: Vec<ReceiptLine>,
    pub bill: Bill,
    /// After this visit.
    pub balances: Option<Balances>,
    /// The tier reached by this visit, when it went up.
    pub upgraded_to: Option<String>,
    /// The coupon used, by its template's name (满200减30).
    pub coupon: Option<String>,
    /// Who took the payment, when it was a staff member.
    pub cashier: Option<String>,
}

/// A receipt's rows under its lines, as `(label, value)`, in three blocks: what the
/// command line shows and the printer prints.
#[derive(Debug, Clone, Default)]
pub struct ReceiptSummary {
    /// List total, discounts, what is due, points and stored value used.
    pub totals: Vec<(String, String)>,
    /// Tenders and change.
    pub payments: Vec<(String, String)>,
    /// Points earned, rebates, balances after the visit, a tier upgrade.
    pub balances: Vec<(String, String)>,
}

impl Receipt {
    pub fn summary(&self) -> ReceiptSummary {
        let y = crate::domain::money::show_yuan;
        let b = &self.bill;
        let row = |k: &str, v: String| (k.to_string(), v);
        let mut s = ReceiptSummary::default();
        s.totals.push(row("原价合计 / list total", y(b.list_total)));
        if !b.tier_discount.is_zero() {
            s.totals.push(row("会员折扣 / tier discount", format!("-{}", y(b.tier_discount))));
        }
        if !b.coupon_discount.is_zero() {
            let label = match &self.coupon {
                Some(name) => format!("优惠券 / coupon（{name}）"),
                None => "优惠券 / coupon".to_string(),
            };
            s.totals.push((label, format!("-{}", y(b.coupon_discount))));
        }
        // Course sessions are paid for already: their list price comes off here, so that the
        // rows add up from the list total to what is due.
        let prepaid: Decimal = self.lines.iter().filter(|l| l.sessions_left.is_some()).map(|l| l.list).sum();
        if !prepaid.is_zero() {
            s.totals.push(row("次卡/套餐抵扣 / prepaid", format!("-{}", y(prepaid))));
        }
        s.totals.push(row("应付 / total", y(b.total)));
        if b.points_used > 0 {
            s.totals.push(row("积分抵扣 / points", format!("{} = {}", b.points_used, y(b.points_value))));
        }
        if !b.stored_value_used.total().is_zero() {
            s.totals.push(row("储值支付 / stored value", y(b.stored_value_used.total())));
            if !b.stored_value_used.bonus.is_zero() {
                s.totals.push(row("  其中赠送 / of which bonus", y(b.stored_value_used.bonus)));
            }
        }
        for (t, a) in &b.tenders {
            s.payments.push((format!("{} / {}", t.label_zh(), t.as_str()), y(*a)));
        }
        if !b.change.is_zero() {
            s.payments.push(row("找零 / change", y(b.change)));
        }
        if b.points_earned > 0 {
            s.balances.push(row("本次积分 / points earned", b.points_earned.to_string()));
        }
        for rebate in &b.rebates {
            s.balances.push((format!("返点 / rebate（{}）", rebate.rule_name), y(rebate.amount)));
        }
        if let Some(bal) = &self.balances {
            s.balances.push(row("积分余额 / points balance", bal.points.to_string()));
            s.balances.push(row("储值余额 / stored value", y(bal.stored_value_principal + bal.stored_value_bonus)));
            if !bal.stored_value_bonus.is_zero() {
                s.balances.push(row("  其中赠送 / of which bonus", y(bal.stored_value_bonus)));
            }
        }
        if let Some(t) = &self.upgraded_to {
            s.balances.push(row("恭喜升级为 / upgraded to", t.clone()));
        }
        s
    }
}

/// A top-up of stored value.
#[derive(Debug, Clone, Serialize)]
pub struct Topup {
    pub visit_id: String,
    pub principal: Decimal,
    pub bonus: Decimal,
    /// The bonus rule applied, as the customer is told it ("充 1000 送 200 × 2 …").
    pub bonus_rule: Option<String>,
    pub balances: Balances,
}

/// A top-up bonus rule as a customer reads it.
pub fn bonus_rule_text(min_fen: i64, bonus_fen: i64, times: i64, per_multiple: bool) -> String {
    let (min, bonus) =
        (crate::domain::money::from_fen(min_fen).normalize(), crate::domain::money::from_fen(bonus_fen).normalize());
    if per_multiple {
        format!("充 {min} 送 {bonus}，每满 {min} 送一次：× {times} / {bonus} for each full {min}: × {times}")
    } else {
        format!("充 {min} 送 {bonus}（每次充值送一次）/ top up {min}, get {bonus} (once per top-up)")
    }
}

/// The tenders of a sale that is paid in full at once (a top-up, a course): they must add
/// up to `amount` exactly; as `(method, fen)` payments.
pub(crate) fn paid_in_full(
    what: &str,
    amount: Decimal,
    tenders: &[(Tender, Decimal)],
) -> Result<Vec<(&'static str, i64)>> {
    let paid: Decimal = tenders.iter().map(|(_, a)| *a).sum();
    if paid != amount {
        return Err(AppError::input(
            "支付 pay",
            format!(
                "支付合计 ¥{paid} 与{what}金额 ¥{amount} 不符 / payments of {paid} do not match the amount of {amount}"
            ),
        ));
    }
    tenders.iter().map(|(t, a)| Ok((t.as_str(), fen("支付 pay", *a)?))).collect()
}

fn money(field: &str, e: MoneyError) -> AppError {
    AppError::input(field, e.to_string())
}

fn fen(field: &str, d: Decimal) -> Result<i64> {
    to_fen(d).map_err(|e| money(field, e))
}

/// The member as checkout sees them, loaded in the checkout's transaction. Points that
/// expired are recorded in the ledger first.
struct Loaded {
    member: Member,
    courses: Vec<CourseBalance>,
    tier_rank: Option<i64>,
    /// The shop's tiers, read once per checkout.
    tiers: Vec<Tier>,
    expired_points: i64,
    expired_bonus_fen: i64,
}

fn load_member(tx: &Tx<'_>, c: &Customer, now: DateTime<Utc>) -> Result<Loaded> {
    let tiers = tx.tiers()?;
    let tier = tiers.iter().find(|t| Some(t.rank) == c.tier_rank);
    let points = replay(&tx.points_rows(&c.id)?, now);
    let courses = tx.courses(&c.id)?;
    let (visits, _, _) = tx.visit_summary(&c.id)?;
    let (stored_value, expired_bonus_fen) = tx.stored_value_balance(&c.id, now)?;
    let local = now.with_timezone(&tx.tz());
    Ok(Loaded {
        member: Member {
            tier_discounts: tier.map(|t| t.discounts.clone()).unwrap_or_default(),
            points_multiplier: tier.map_or(Decimal::ONE, |t| t.points_multiplier),
            points_balance: points.available,
            stored_value,
            course_sessions_left: courses
                .iter()
                .filter(|k| k.usable(now))
                .map(|k| (k.id.clone(), u32::try_from(k.sessions_left).unwrap_or(0)))
                .collect(),
            first_visit: visits == 0,
            birthday_month: c.birthday.is_some_and(|b| b.month() == local.month()),
        },
        courses,
        tier_rank: c.tier_rank,
        tiers,
        expired_points: points.expired_unrecorded,
        expired_bonus_fen,
    })
}

fn balances(tx: &Tx<'_>, customer_id: &str, now: DateTime<Utc>) -> Result<Balances> {
    let c = tx.customer(customer_id)?;
    let (sv, _) = tx.stored_value_balance(customer_id, now)?;
    Ok(Balances {
        tier: c.tier,
        points: replay(&tx.points_rows(customer_id)?, now).available,
        stored_value_principal: sv.principal,
        stored_value_bonus: sv.bonus,
    })
}

/// Writes `membership.changed` with the balances after a change.
pub(crate) fn membership_changed(tx: &Tx<'_>, customer_id: &str, now: DateTime<Utc>) -> Result<Balances> {
    let b = balances(tx, customer_id, now)?;
    tx.emit_event(
        "membership.changed",
        now,
        &serde_json::json!({
            "customer_id": customer_id,
            "tier": b.tier,
            "points": b.points,
            "stored_value": { "principal": b.stored_value_principal.to_string(), "bonus": b.stored_value_bonus.to_string() },
            "at": tx.rfc3339(now),
        }),
    )?;
    Ok(b)
}

/// Moves the customer up to the best tier their spend or points within each tier's period
/// reach. Never down: that is the review's job.
fn upgrade(
    tx: &Tx<'_>,
    tiers: &[Tier],
    customer_id: &str,
    current: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let thresholds: Vec<(i64, Decimal, i64)> = tiers.iter().map(|t| (t.rank, t.min_spend, t.min_points)).collect();
    let mut measured = Vec::new();
    for t in tiers {
        let since = now - Duration::days(t.period_days.max(1));
        measured.push((
            t.rank,
            crate::domain::money::from_fen(tx.spend_since(customer_id, since)?),
            tx.points_earned_since(customer_id, since)?,
        ));
    }
    let rank = qualifying_rank(&thresholds, |rank| {
        measured.iter().find(|(r, _, _)| *r == rank).map_or((Decimal::ZERO, 0), |(_, s, p)| (*s, *p))
    });
    match (rank, current) {
        (Some(new), old) if old.is_none_or(|o| new > o) => {
            let Some(t) = tiers.iter().find(|t| t.rank == new) else { return Ok(None) };
            if old.is_none() && new == 0 {
                // the entry tier is assigned quietly, not announced as an upgrade
                tx.set_customer_tier(customer_id, &t.id, now)?;
                return Ok(None);
            }
            tx.set_customer_tier(customer_id, &t.id, now)?;
            Ok(Some(t.name.clone()))
        }
        _ => Ok(None),
    }
}

/// Resolves who earns commission on a line and at what rate.
fn staff_shares(
    tx: &Tx<'_>,
    staff: &[(String, Option<Decimal>)],
    service_id: Option<&str>,
    category: &str,
    product: bool,
) -> Result<(Vec<StaffShare>, Vec<String>)> {
    if staff.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let given: Decimal = staff.iter().filter_map(|(_, s)| *s).sum();
    let unspecified = staff.iter().filter(|(_, s)| s.is_none()).count();
    let equal = allocate((Decimal::ONE_HUNDRED - given).max(Decimal::ZERO), &vec![Decimal::ONE; unspecified.max(1)]);
    let rule = tx.commission_rule(service_id, category)?;
    let mut shares = Vec::new();
    let mut names = Vec::new();
    let mut next_equal = equal.into_iter();
    for (key, share) in staff {
        let s = tx.find_staff(key)?;
        let (service_rate, product_rate) = tx.staff_commission_rates(&s.id)?;
        let rate = rule.unwrap_or(if product { product_rate } else { service_rate });
        let share = match share {
            Some(v) => *v,
            None => next_equal.next().unwrap_or_default(),
        };
        shares.push(StaffShare { staff_id: s.id.clone(), share_pct: share, rate_pct: rate });
        names.push(s.name);
    }
    Ok((shares, names))
}

impl App {
    /// Checks a visit out: prices the cart in the documented order, takes the payments,
    /// writes the visit, its ledgers, commissions and any tier upgrade, in one transaction.
    pub fn checkout(&mut self, req: &CheckoutRequest) -> Result<Receipt> {
        let now = self.now();
        let thanks = self.config.feedback.thanks_link.as_deref().map(|l| (l, self.config.feedback.thanks_delay));
        let key = &self.device_key;
        self.store.write(|tx| {
            let r = checkout_in(tx, req, now)?;
            if let Some((link, delay)) = thanks {
                super::feedback::queue_thanks(tx, link, delay, key, &r.visit_id, now)?;
            }
            Ok(r)
        })
    }

    /// What a checkout would come to, computed exactly as `checkout` does and then rolled
    /// back: nothing is recorded. Without tenders it quotes what is due after points and
    /// stored value (`bill.due_by_tenders`).
    pub fn quote(&mut self, req: &CheckoutRequest) -> Result<Receipt> {
        let now = self.now();
        let mut req = req.clone();
        if req.tenders.is_empty() {
            // any due amount is covered by cash; the change tells nothing and is dropped
            req.tenders = vec![(Tender::Cash, Decimal::from(100_000_000))];
        }
        self.store.dry_run(|tx| checkout_in(tx, &req, now))
    }
}

fn checkout_in(tx: &Tx<'_>, req: &CheckoutRequest, now: DateTime<Utc>) -> Result<Receipt> {
    super::rules::apply_due(tx, crate::domain::time::business_date(now, tx.tz()), now)?;
    let customer = req.customer.as_deref().map(|k| lookup_customer(tx, k)).transpose()?;
    let loaded = customer.as_ref().map(|c| load_member(tx, c, now)).transpose()?;
    let mut cart = Vec::new();
    let mut names = Vec::new();
    for (i, it) in req.items.iter().enumerate() {
        let field = format!("第 {} 项 / line {}", i + 1, i + 1);
        let (kind, name, category, unit_price, service_id, product) = match &it.item {
            ItemKey::Service(k) => {
                let s = tx.find_service(k)?;
                if !s.active {
                    return Err(AppError::input(
                        field,
                        format!("「{}」已停用 / \"{}\" is no longer offered", s.name, s.name),
                    ));
                }
                (LineKind::Service { service_id: s.id.clone() }, s.name, s.category, s.price, Some(s.id), false)
            }
            ItemKey::Product(k) => {
                let p = tx.find_product(k)?;
                (LineKind::Product { product_id: p.id.clone() }, p.name, p.category, p.price, None, true)
            }
            ItemKey::CourseSession(k) => {
                let Some(l) = &loaded else { return Err(CheckoutError::NotAMember.into()) };
                let k = k.trim();
                let course = l
                    .courses
                    .iter()
                    .filter(|c| c.id == k || c.service_name == k)
                    .max_by_key(|c| (c.valid_until.is_none_or(|u| u > now), c.sessions_left > 0))
                    .ok_or_else(|| {
                        AppError::input(
                            field.clone(),
                            format!("顾客没有「{k}」疗程卡 / the customer has no course \"{k}\""),
                        )
                    })?;
                if course.valid_until.is_some_and(|u| u <= now) {
                    return Err(AppError::input(
                        field,
                        format!(
                            "「{}」疗程卡已过期 / course \"{}\" has expired",
                            course.service_name, course.service_name
                        ),
                    ));
                }
                let kind = match (&course.service_id, &course.product_id) {
                    (Some(service_id), _) => {
                        LineKind::CourseSession { course_id: course.id.clone(), service_id: service_id.clone() }
                    }
                    (None, Some(product_id)) => {
                        LineKind::PrepaidProduct { course_id: course.id.clone(), product_id: product_id.clone() }
                    }
                    (None, None) => return Err(AppError::input(field, "疗程卡没有项目 / the course has no item")),
                };
                (
                    kind,
                    course.service_name.clone(),
                    course.category.clone(),
                    course.session_value(),
                    course.service_id.clone(),
                    course.product_id.is_some(),
                )
            }
        };
        let (staff, staff_names) = staff_shares(tx, &it.staff, service_id.as_deref(), &category, product)?;
        names.push((name.clone(), staff_names));
        cart.push(CartLine {
            kind,
            name,
            category,
            unit_price,
            quantity: it.quantity,
            expected_unit_price: it.expected_unit_price,
            staff,
        });
    }
    let coupon = match &req.coupon {
        Some(code) => {
            let c = tx.coupon_by_code(code)?.ok_or_else(|| {
                AppError::input("优惠券 coupon", format!("没有这张券：{code} / no such coupon: {code}"))
            })?;
            if customer.as_ref().is_none_or(|cu| cu.id != c.customer_id) {
                return Err(AppError::input(
                    "优惠券 coupon",
                    format!("券 {code} 不属于该顾客 / coupon {code} belongs to another customer"),
                ));
            }
            if c.redeemed {
                return Err(AppError::input(
                    "优惠券 coupon",
                    format!("券 {code} 已使用 / coupon {code} has already been used"),
                ));
            }
            Some(c)
        }
        None => None,
    };
    let points_rules = tx.points_rules()?;
    let rebate_rules = tx.rebate_rules()?;
    let bill = checkout(
        &cart,
        Terms {
            member: loaded.as_ref().map(|l| &l.member),
            coupon: coupon.as_ref().map(|c| &c.coupon),
            points: &points_rules,
            rebates: &rebate_rules,
            now,
        },
        &Payment { points: req.points, stored_value: req.stored_value, tenders: req.tenders.clone() },
    )?;
    let coupon_name = coupon.as_ref().map(|c| c.coupon.name.clone());
    let visit = visit_from_bill(tx, &cart, &bill, customer.as_ref(), loaded.as_ref(), coupon.map(|c| c.id), now)?;
    let cashier = tx.find_staff(&req.actor).ok();
    let visit_id = tx.insert_visit(&NewVisit { checked_out_by: cashier.as_ref().map(|s| s.id.clone()), ..visit })?;
    // 推荐积分: a referred customer's first visit with a service paid for
    if let Some(c) = &customer
        && cart
            .iter()
            .zip(&bill.lines)
            .any(|(l, b)| matches!(l.kind, LineKind::Service { .. }) && b.amount > Decimal::ZERO)
    {
        super::rules::award_referral(tx, &c.id, &visit_id, now)?;
    }
    // Stock: products sold and the materials of the treatments, first-expiring first.
    for l in &cart {
        match &l.kind {
            LineKind::Product { product_id } | LineKind::PrepaidProduct { product_id, .. } => {
                super::stock::take_stock(tx, product_id, l.quantity.into(), "sold", &visit_id, &req.actor, now)?;
            }
            LineKind::Service { service_id } | LineKind::CourseSession { service_id, .. } => {
                for (product_id, per) in tx.service_materials(service_id)? {
                    let n = per * i64::from(l.quantity);
                    super::stock::take_stock(tx, &product_id, n, "used", &visit_id, &req.actor, now)?;
                }
            }
        }
    }
    let (balances, upgraded_to) = match &customer {
        Some(c) => {
            let up = match &loaded {
                Some(l) => upgrade(tx, &l.tiers, &c.id, l.tier_rank, now)?,
                None => None,
            };
            (Some(membership_changed(tx, &c.id, now)?), up)
        }
        None => (None, None),
    };
    tx.audit(
        now,
        &req.actor,
        "visit.checkout",
        "visit",
        &visit_id,
        &serde_json::json!({ "total": bill.total.to_string() }),
    )?;
    let left_after = match &customer {
        Some(c) => tx.courses(&c.id)?,
        None => Vec::new(),
    };
    let lines = cart
        .iter()
        .zip(&bill.lines)
        .zip(names)
        .map(|((l, b), (name, staff))| ReceiptLine {
            name,
            quantity: l.quantity,
            unit_price: l.unit_price,
            list: b.list,
            amount: b.amount,
            staff,
            sessions_left: match &l.kind {
                LineKind::CourseSession { course_id, .. } | LineKind::PrepaidProduct { course_id, .. } => {
                    left_after.iter().find(|c| &c.id == course_id).map(|c| c.sessions_left)
                }
                LineKind::Service { .. } | LineKind::Product { .. } => None,
            },
        })
        .collect();
    tracing::info!(visit = %visit_id, total = %bill.total, "checked out");
    Ok(Receipt {
        visit_id,
        at: now,
        customer: customer.as_ref().map(|c| c.name.clone()),
        phone_masked: customer.as_ref().and_then(|c| c.phone.as_ref()).map(|p| p.masked()),
        member_code: customer.as_ref().map(|c| c.member_code.clone()),
        lines,
        bill,
        balances,
        upgraded_to,
        coupon: coupon_name,
        cashier: cashier.map(|s| s.name),
    })
}

impl App {
    /// Reverses a visit with a visit of negative amounts: every ledger row, payment,
    /// redemption, rebate and commission is answered by its opposite. Nothing is deleted.
    /// A redeemed coupon stays used.
    pub fn void_visit(&mut self, visit_id: &str, actor: &str) -> Result<String> {
        let now = self.now();
        self.store.write(|tx| {
            let v = tx.visit_for_void(visit_id.trim())?;
            if v.kind == "course_sale" {
                let used = tx.sold_items_used(visit_id.trim())?;
                if used > 0 {
                    return Err(AppError::input(
                        "撤销 void",
                        format!(
                            "这张卡/套餐已使用 {used} 次，请先撤销使用它的消费 / this course or package has been used {used} times: void those visits first"
                        ),
                    ));
                }
            }
            tx.mark_voided(visit_id.trim())?;
            let reversal = NewVisit {
                kind: v.kind,
                customer_id: v.customer_id.clone(),
                queue_entry_id: v.queue_entry_id.clone(),
                appointment_id: v.appointment_id.clone(),
                checked_out_by: staff_actor(tx, actor),
                voids_visit_id: Some(visit_id.trim().to_string()),
                items: v
                    .items
                    .iter()
                    .map(|i| NewVisitItem { quantity: i.quantity, amount_fen: -i.amount_fen, ..i.clone() })
                    .map(|i| NewVisitItem { list_price_fen: -i.list_price_fen, ..i })
                    .collect(),
                payments: v.payments.iter().map(|(m, a)| (*m, -a)).collect(),
                points: void_points(tx, &v, visit_id.trim(), now)?,
                stored_value: v
                    .stored_value
                    .iter()
                    .map(|s| NewStoredValue { principal_fen: -s.principal_fen, bonus_fen: -s.bonus_fen, ..s.clone() })
                    .collect(),
                course_sessions: v.course_sessions.iter().map(|(c, d)| (c.clone(), -d)).collect(),
                coupon_id: None,
                rebates: v.rebates.iter().map(|r| NewRebate { amount_fen: -r.amount_fen, ..r.clone() }).collect(),
                commissions: v
                    .commissions
                    .iter()
                    .map(|c| NewCommission { amount_fen: -c.amount_fen, ..c.clone() })
                    .collect(),
                at: now,
            };
            let id = tx.insert_visit(&reversal)?;
            let coupon_back = match &v.coupon_id {
                Some(c) => tx.restore_coupon(c, visit_id.trim(), now)?,
                None => false,
            };
            super::stock::return_stock(tx, visit_id.trim(), &id, actor, now)?;
            super::rules::undo_referral(tx, visit_id.trim(), now)?;
            if let Some(c) = &v.customer_id {
                membership_changed(tx, c, now)?;
            }
            tx.audit(
                now,
                actor,
                "visit.void",
                "visit",
                visit_id.trim(),
                &serde_json::json!({ "reversal": id, "coupon_given_back": coupon_back }),
            )?;
            Ok(id)
        })
    }

    /// Tops up a customer's stored value: the best bonus rule it reaches is added as bonus,
    /// kept apart from the principal; the card's cap is enforced.
    pub fn topup(
        &mut self,
        customer: &str,
        amount: Decimal,
        tenders: &[(Tender, Decimal)],
        actor: &str,
    ) -> Result<Topup> {
        let now = self.now();
        self.store.write(|tx| {
            super::rules::apply_due(tx, crate::domain::time::business_date(now, tx.tz()), now)?;
            let c = lookup_customer(tx, customer)?;
            let principal = fen("金额 amount", amount)?;
            if principal <= 0 {
                return Err(AppError::input("金额 amount", "充值金额须大于 0 / a top-up must be more than 0"));
            }
            let payments = paid_in_full("充值", amount, tenders)?;
            let (bonus, rule) = tx.topup_bonus(principal)?;
            let per_multiple = tx.bonus_per_multiple()?;
            let bonus_rule = rule.map(|(min, b, times)| bonus_rule_text(min, b, times, per_multiple));
            let (before, _) = tx.stored_value_balance(&c.id, now)?;
            let bonus_expires = tx.bonus_lifetime_days()?.map(|d| now + Duration::days(d));
            let after = before.total() + crate::domain::money::from_fen(principal + bonus);
            if let Some(cap) = tx.stored_value_cap()?
                && after > cap
            {
                return Err(AppError::input(
                    "金额 amount",
                    format!("充值后余额 ¥{after} 超过单卡上限 ¥{cap} / the balance would be {after}, over the card's cap of {cap}"),
                ));
            }
            let visit_id = tx.insert_visit(&NewVisit {
                kind: "topup",
                customer_id: Some(c.id.clone()),
                checked_out_by: staff_actor(tx, actor),
                items: vec![NewVisitItem::single("topup", None, principal)],
                payments,
                stored_value: vec![NewStoredValue {
                    principal_fen: principal,
                    bonus_fen: bonus,
                    reason: "topup",
                    rule: (bonus > 0).then(|| format!("topup_bonus:{principal}")),
                    expires_at: bonus_expires,
                }],
                at: now,
                ..NewVisit::default()
            })?;
            let balances = membership_changed(tx, &c.id, now)?;
            tx.audit(now, actor, "stored_value.topup", "customer", &c.id, &serde_json::json!({ "visit": visit_id }))?;
            Ok(Topup {
                visit_id,
                principal: crate::domain::money::from_fen(principal),
                bonus: crate::domain::money::from_fen(bonus),
                bonus_rule,
                balances,
            })
        })
    }
}

/// What a void does to the points: each lot the visit earned is taken back from that very
/// lot (the row carries its expiry, `domain::points`), and what the visit redeemed is given
/// back as the lots it came from, each with its own expiry; a lot whose expiry has passed
/// comes back expired, recorded so. An expiry recorded at the checkout stays recorded: it
/// happened whatever the visit.
fn void_points(tx: &Tx<'_>, v: &NewVisit, visit_id: &str, now: DateTime<Utc>) -> Result<Vec<NewPoints>> {
    let Some(customer) = &v.customer_id else { return Ok(Vec::new()) };
    let ledger = tx.points_rows_by_visit(customer)?;
    let rows: Vec<crate::domain::points::PointsRow> = ledger.iter().map(|(r, _)| r.clone()).collect();
    let own: Vec<usize> = ledger
        .iter()
        .enumerate()
        .filter(|(_, (r, v))| v.as_deref() == Some(visit_id) && !r.records_expiry)
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    for (p, i) in v.points.iter().filter(|p| p.reason != "expired").zip(own) {
        if p.delta > 0 {
            out.push(NewPoints { delta: -p.delta, expires_at: p.expires_at, ..p.clone() });
            continue;
        }
        for (expires_at, n) in crate::domain::points::taken_by(&rows, i) {
            out.push(NewPoints { delta: n, expires_at, ..p.clone() });
            if expires_at.is_some_and(|e| e <= now) {
                out.push(NewPoints { delta: -n, reason: "expired", rule: None, expires_at: None });
            }
        }
    }
    Ok(out)
}

/// The staff id behind an actor name, when the actor is a staff member.
pub(crate) fn staff_actor(tx: &Tx<'_>, actor: &str) -> Option<String> {
    tx.find_staff(actor).ok().map(|s| s.id)
}

fn visit_from_bill(
    tx: &Tx<'_>,
    cart: &[CartLine],
    bill: &Bill,
    customer: Option<&Customer>,
    loaded: Option<&Loaded>,
    coupon_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<NewVisit> {
    let mut items = Vec::new();
    for (l, b) in cart.iter().zip(&bill.lines) {
        let (kind, service_id, product_id, course_id) = match &l.kind {
            LineKind::Service { service_id } => ("service", Some(service_id.clone()), None, None),
            LineKind::Product { product_id } => ("product", None, Some(product_id.clone()), None),
            LineKind::CourseSession { course_id, service_id } => {
                ("course_session", Some(service_id.clone()), None, Some(course_id.clone()))
            }
            LineKind::PrepaidProduct { course_id, product_id } => {
                ("course_session", None, Some(product_id.clone()), Some(course_id.clone()))
            }
        };
        items.push(NewVisitItem {
            kind,
            service_id,
            product_id,
            course_id,
            staff_id: l.staff.first().map(|s| s.staff_id.clone()),
            quantity: l.quantity,
            list_price_fen: fen("价格 price", l.unit_price)?,
            amount_fen: fen("金额 amount", b.amount)?,
        });
    }
    let mut payments = Vec::new();
    if bill.points_used > 0 {
        payments.push(("points", fen("积分 points", bill.points_value)?));
    }
    if !bill.stored_value_used.total().is_zero() {
        payments.push(("stored_value", fen("储值 stored value", bill.stored_value_used.total())?));
    }
    // the tenders net of change: what the till keeps
    let mut change = fen("找零 change", bill.change)?;
    for (t, a) in &bill.tenders {
        let mut a = fen("支付 pay", *a)?;
        if *t == Tender::Cash && change > 0 {
            let back = change.min(a);
            a -= back;
            change -= back;
        }
        if a != 0 {
            payments.push((t.as_str(), a));
        }
    }
    let mut points = Vec::new();
    let mut stored_value: Vec<NewStoredValue> = Vec::new();
    let mut rebates = Vec::new();
    if customer.is_some() {
        let lifetime = tx.points_lifetime_days()?;
        let expires = lifetime.map(|d| now + Duration::days(d));
        let bonus_expires = tx.bonus_lifetime_days()?.map(|d| now + Duration::days(d));
        if let (Some(l), Some(c)) = (loaded, customer)
            && (l.expired_points > 0 || l.expired_bonus_fen > 0)
        {
            // What expired before this visit and no row records yet is recorded now, each
            // at the moment it happened (not as part of the visit: a void leaves it).
            super::membership::record_expiries(tx, &c.id, now)?;
        }
        if bill.points_used > 0 {
            points.push(NewPoints { delta: -bill.points_used, reason: "redeemed", rule: None, expires_at: None });
        }
        if bill.points_earned > 0 {
            points.push(NewPoints { delta: bill.points_earned, reason: "earned", rule: None, expires_at: expires });
        }
        let sv = bill.stored_value_used;
        if !sv.total().is_zero() {
            stored_value.push(NewStoredValue {
                principal_fen: -fen("储值 stored value", sv.principal)?,
                bonus_fen: -fen("储值 stored value", sv.bonus)?,
                reason: "spend",
                rule: None,
                expires_at: None,
            });
        }
        for r in &bill.rebates {
            let amount_fen = fen("返点 rebate", r.amount)?;
            match r.credit_to {
                CreditTo::Points => points.push(NewPoints {
                    delta: r.points,
                    reason: "rebate",
                    rule: Some(r.rule_id.clone()),
                    expires_at: expires,
                }),
                // a rebate is a gift: it is bonus, never principal (refunds return principal)
                CreditTo::StoredValue => stored_value.push(NewStoredValue {
                    principal_fen: 0,
                    bonus_fen: amount_fen,
                    reason: "rebate",
                    rule: Some(r.rule_id.clone()),
                    expires_at: bonus_expires,
                }),
            }
            rebates.push(NewRebate { rule_id: r.rule_id.clone(), amount_fen, credited_to: r.credit_to.as_str() });
        }
    }
    let commissions = bill
        .commissions
        .iter()
        .map(|c| {
            Ok(NewCommission {
                item: c.line,
                staff_id: c.staff_id.clone(),
                rate_pct: c.rate_pct,
                amount_fen: fen("提成 commission", c.amount)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(NewVisit {
        customer_id: customer.map(|c| c.id.clone()),
        items,
        payments,
        points,
        stored_value,
        course_sessions: bill.course_sessions.iter().map(|(c, n)| (c.clone(), -i64::from(*n))).collect(),
        coupon_id,
        rebates,
        commissions,
        at: now,
        ..NewVisit::default()
    })
}
