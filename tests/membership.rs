//! Membership and checkout through the library, on a real database: tiers, points, stored
//! value, rebates, courses, coupons, commissions, voids.

#[path = "support/artefacts.rs"]
mod artefacts;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
use salonbox::app::customers::Registration;
use salonbox::app::membership::CourseSaleRequest;
use salonbox::app::staff::StaffInput;
use salonbox::app::{App, AppError, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::domain::checkout::{CheckoutError, CouponKind, CreditTo, RebateKind, RebateRule, Tender, Use};
use salonbox::store::Tier;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Monday 2026-11-23 14:00 in Shanghai.
fn two_pm() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).single().unwrap()
}

struct Shop {
    dir: tempfile::TempDir,
    clock: Arc<FixedClock>,
}

impl Shop {
    fn app(&self) -> App {
        App::open(Config::default(), self.dir.path(), self.clock.clone()).unwrap()
    }
}

fn tier(name: &str, rank: i64, min_spend: &str, discount: &str, multiplier: &str) -> Tier {
    Tier {
        id: String::new(),
        name: name.into(),
        rank,
        min_spend: d(min_spend),
        min_points: 0,
        period_days: 365,
        points_multiplier: d(multiplier),
        discounts: BTreeMap::from([("*".to_string(), d(discount))]),
    }
}

/// A shop with the owner's rules: tiers 普通/银卡 (≥ 2,000: 5 % off)/金卡 (≥ 8,000: 10 %
/// off, points × 1.5); services 8 % rebate as points; 充 1000 送 200; two beauticians at
/// 10 % commission; a facial, a foot care, a serum; customer 王丽 born in November.
fn shop() -> Shop {
    let dir = artefacts::tempdir();
    init(&Config::default(), dir.path()).unwrap();
    let shop = Shop { dir, clock: Arc::new(FixedClock::new(two_pm())) };
    let mut app = shop.app();
    app.set_tier(&tier("普通", 0, "0", "0", "1"), "test").unwrap();
    app.set_tier(&tier("银卡", 1, "2000", "5", "1"), "test").unwrap();
    app.set_tier(&tier("金卡", 2, "8000", "10", "1.5"), "test").unwrap();
    app.set_tier(&tier("钻石", 3, "20000", "15", "2"), "test").unwrap();
    app.add_rebate_rule(
        &RebateRule {
            id: String::new(),
            name: "护理返 8%".into(),
            kind: RebateKind::Category { category: "面部护理".into(), percent: d("8") },
            credit_to: CreditTo::Points,
        },
        0,
        "test",
    )
    .unwrap();
    app.set_topup_bonus(d("1000"), d("200"), "test").unwrap();
    for name in ["李娜", "王芳"] {
        app.add_staff(
            &StaffInput {
                name: name.into(),
                role: "beautician".into(),
                service_commission: Some("10".into()),
                product_commission: Some("5".into()),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
    }
    app.add_service("面部深层清洁", "面部护理", 60, "198", None, "test").unwrap();
    app.add_service("足部护理", "身体护理", 45, "158", None, "test").unwrap();
    app.add_product("SKU-001", "修护精华", "产品", d("120"), "test").unwrap();
    app.register(&Registration {
        name: "王丽".into(),
        phone: "13800000001".into(),
        gender: Some("女".into()),
        birthday: Some("1990-11-02".into()),
        privacy_notice: Some("2026-11".into()),
        source: "test".into(),
        ..Default::default()
    })
    .unwrap();
    shop
}

const WANG: &str = "13800000001";

fn service(name: &str, staff: &[&str]) -> ItemRequest {
    ItemRequest {
        item: ItemKey::Service(name.into()),
        quantity: 1,
        staff: staff.iter().map(|s| (s.to_string(), None)).collect(),
        expected_unit_price: None,
    }
}

fn pay(items: Vec<ItemRequest>, tenders: &[(Tender, &str)]) -> CheckoutRequest {
    CheckoutRequest {
        customer: Some(WANG.into()),
        items,
        coupon: None,
        points: Use::Nothing,
        stored_value: Use::Nothing,
        tenders: tenders.iter().map(|(t, a)| (*t, d(a))).collect(),
        actor: "test".into(),
    }
}

#[test]
fn a_visit_paid_every_way_then_voided_leaves_the_balances_as_they_were() {
    let shop = shop();
    let mut app = shop.app();
    // 充 1000 送 200
    let top = app.topup(WANG, d("1000"), &[(Tender::Wechat, d("1000"))], "test").unwrap();
    assert_eq!((top.principal, top.bonus), (d("1000"), d("200")));
    // 普通 tier after the first checkout (no discount yet): 198 + 158, split between two
    let first = app
        .checkout(&pay(
            vec![service("面部深层清洁", &["李娜", "王芳"]), service("足部护理", &["王芳"])],
            &[(Tender::Cash, "400")],
        ))
        .unwrap();
    assert_eq!(first.bill.total, d("356"));
    assert_eq!(first.bill.change, d("44"));
    // 356 points, + the rebate: 198 × 8 % = 15.84 → 1584 points; 王丽 has a November
    // birthday but no birthday rule exists
    assert_eq!(first.bill.points_earned, 356);
    assert_eq!(first.bill.rebates.iter().map(|r| r.points).sum::<i64>(), 1584);
    let commissions: Vec<Decimal> = first.bill.commissions.iter().map(|c| c.amount).collect();
    assert_eq!(commissions, [d("9.90"), d("9.90"), d("15.80")]);
    let before = app.membership(WANG).unwrap();
    assert_eq!(before.points, 356 + 1584);
    assert_eq!((before.stored_value_principal, before.stored_value_bonus), (d("1000"), d("200")));
    assert_eq!(before.tier.as_deref(), Some("普通"));

    // a coupon, points and stored value on the second visit
    app.add_coupon_template(
        "满300减50",
        &CouponKind::AmountOff { amount: d("50"), min_spend: d("300") },
        30,
        1,
        "test",
    )
    .unwrap();
    let code = app.issue_coupon("满300减50", WANG, "test").unwrap();
    let mut second = pay(
        vec![
            service("面部深层清洁", &["李娜"]),
            ItemRequest {
                item: ItemKey::Product("SKU-001".into()),
                quantity: 2,
                staff: vec![("李娜".into(), None)],
                expected_unit_price: None,
            },
        ],
        &[(Tender::Alipay, "78")],
    );
    second.coupon = Some(code.clone());
    second.points = Use::Exactly(1000);
    second.stored_value = Use::Exactly(d("300"));
    let r = app.checkout(&second).unwrap();
    // 198 + 240 − 50 = 388; 1,000 points pay 10; 300 from stored value (1000 : 200 →
    // 250 principal + 50 bonus); 78 by Alipay
    assert_eq!(r.bill.total, d("388"));
    assert_eq!(r.bill.points_value, d("10.00"));
    assert_eq!((r.bill.stored_value_used.principal, r.bill.stored_value_used.bonus), (d("250"), d("50")));
    assert_eq!(r.bill.due_by_tenders, d("78"));
    let after = app.membership(WANG).unwrap();
    assert!(after.coupons.is_empty(), "the coupon is used");

    // the coupon cannot be used again
    let mut again = pay(vec![service("面部深层清洁", &[])], &[(Tender::Cash, "198")]);
    again.coupon = Some(code.clone());
    let err = app.checkout(&again).unwrap_err();
    assert!(err.to_string().contains("已使用"), "{err}");

    // voiding the second visit restores points, stored value and the coupon (still valid)
    app.void_visit(&r.visit_id, "test").unwrap();
    let restored = app.membership(WANG).unwrap();
    assert_eq!(restored.points, before.points);
    assert_eq!(restored.stored_value_principal, before.stored_value_principal);
    assert_eq!(restored.stored_value_bonus, before.stored_value_bonus);
    assert_eq!(restored.coupons.len(), 1, "the coupon is hers again");
    assert!(app.void_visit(&r.visit_id, "test").is_err(), "a visit is voided once");
    // and it works again, once
    let mut reuse = pay(vec![service("面部深层清洁", &[]), service("足部护理", &[])], &[]);
    reuse.coupon = Some(code);
    let q = app.quote(&reuse).unwrap();
    reuse.tenders = vec![(Tender::Cash, q.bill.due_by_tenders)];
    let r = app.checkout(&reuse).unwrap();
    assert_eq!(r.bill.coupon_discount, d("50"), "{:?}", r.bill);
}

#[test]
fn spend_upgrades_the_tier_at_checkout_and_the_new_price_applies_next_time() {
    let shop = shop();
    let mut app = shop.app();
    let big = ItemRequest {
        item: ItemKey::Product("SKU-001".into()),
        quantity: 17,
        staff: vec![],
        expected_unit_price: None,
    };
    let r = app.checkout(&pay(vec![big], &[(Tender::Card, "2040")])).unwrap();
    assert_eq!(r.upgraded_to.as_deref(), Some("银卡"), "2,040 spent within a year");
    assert_eq!(r.balances.as_ref().unwrap().tier.as_deref(), Some("银卡"));
    let next = app.checkout(&pay(vec![service("足部护理", &[])], &[(Tender::Cash, "150.10")])).unwrap();
    assert_eq!(next.bill.tier_discount, d("7.90"), "5 % off 158");
    assert_eq!(next.upgraded_to, None);
}

#[test]
fn a_course_session_is_deducted_and_its_sessions_left_printed() {
    let shop = shop();
    let mut app = shop.app();
    let sale = app
        .sell_course(
            &CourseSaleRequest {
                customer: WANG.into(),
                service: "面部深层清洁".into(),
                sessions: 10,
                price: d("1580"),
                valid_days: Some(365),
                tenders: vec![(Tender::Wechat, d("1580"))],
            },
            "test",
        )
        .unwrap();
    assert_eq!(sale.sessions, 10);
    let r = app
        .checkout(&pay(
            vec![ItemRequest {
                item: ItemKey::CourseSession("面部深层清洁".into()),
                quantity: 1,
                staff: vec![("李娜".into(), None)],
                expected_unit_price: None,
            }],
            &[],
        ))
        .unwrap();
    assert_eq!(r.bill.total, Decimal::ZERO);
    assert_eq!(r.lines[0].sessions_left, Some(9));
    assert_eq!(r.bill.commissions[0].amount, d("15.80"), "10 % of the session's 158 value");
    // nine sessions at once is fine, ten are not
    let ten = ItemRequest {
        item: ItemKey::CourseSession(sale.course_id.clone()),
        quantity: 10,
        staff: vec![],
        expected_unit_price: None,
    };
    let err = app.checkout(&pay(vec![ten], &[])).unwrap_err();
    assert!(matches!(err, AppError::Checkout(CheckoutError::CourseSessions { left: 9, wanted: 10, .. })), "{err}");
    // a year and a day later the course has expired
    shop.clock.advance(Duration::days(366));
    let one = ItemRequest {
        item: ItemKey::CourseSession(sale.course_id),
        quantity: 1,
        staff: vec![],
        expected_unit_price: None,
    };
    let err = app.checkout(&pay(vec![one], &[])).unwrap_err();
    assert!(err.to_string().contains("过期"), "{err}");
}

#[test]
fn two_processes_redeeming_one_coupon_succeed_once() {
    let shop = shop();
    let mut app = shop.app();
    app.add_coupon_template("体验券", &CouponKind::AmountOff { amount: d("20"), min_spend: d("0") }, 30, 1, "test")
        .unwrap();
    let code = app.issue_coupon("体验券", WANG, "test").unwrap();
    let results: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let code = code.clone();
                let shop = &shop;
                s.spawn(move || {
                    let mut app = shop.app();
                    let mut req = pay(vec![service("足部护理", &[])], &[(Tender::Cash, "138")]);
                    req.coupon = Some(code);
                    app.checkout(&req).is_ok()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
}

#[test]
fn a_card_refund_pays_back_principal_only_and_caps_are_kept() {
    let shop = shop();
    let mut app = shop.app();
    app.topup(WANG, d("1000"), &[(Tender::Wechat, d("1000"))], "test").unwrap();
    let mut spend = pay(vec![service("足部护理", &[])], &[]);
    spend.stored_value = Use::Max;
    app.checkout(&spend).unwrap();
    // 158 spent from 1000 : 200 → 131.67 principal, 26.33 bonus
    let refunded = app.refund_stored_value(WANG, Tender::Wechat, "test").unwrap();
    assert_eq!(refunded, d("868.33"));
    let m = app.membership(WANG).unwrap();
    assert_eq!((m.stored_value_principal, m.stored_value_bonus), (Decimal::ZERO, Decimal::ZERO));
    let err = app.topup(WANG, d("100"), &[(Tender::Cash, d("90"))], "test").unwrap_err();
    assert!(err.to_string().contains("不符"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random carts paid in random ways, then voided: every balance returns exactly, and
    /// the ledgers' sums equal the balances the replay computes.
    #[test]
    fn a_void_restores_every_balance(
        facials in 0u32..3,
        feet in 0u32..3,
        serums in 0u32..4,
        points in prop::option::of(0i64..2000),
        use_stored in prop::bool::ANY,
    ) {
        prop_assume!(facials + feet + serums > 0);
        let shop = shop();
        let mut app = shop.app();
        app.topup(WANG, d("1000"), &[(Tender::Wechat, d("1000"))], "test").unwrap();
        // earn some points first
        app.checkout(&pay(vec![service("面部深层清洁", &["李娜"])], &[(Tender::Cash, "198")])).unwrap();
        let id = app.find_customers(WANG, 1).unwrap()[0].id.clone();
        let before = app.membership(WANG).unwrap();
        let mut items = Vec::new();
        for (key, n) in [(ItemKey::Service("面部深层清洁".into()), facials), (ItemKey::Service("足部护理".into()), feet), (ItemKey::Product("SKU-001".into()), serums)] {
            if n > 0 {
                items.push(ItemRequest { item: key, quantity: n, staff: vec![("王芳".into(), None)], expected_unit_price: None });
            }
        }
        let mut req = pay(items, &[(Tender::Cash, "100000")]);
        req.points = points.map_or(Use::Nothing, |p| Use::Exactly(p.min(before.points)));
        req.stored_value = if use_stored { Use::Max } else { Use::Nothing };
        let r = app.checkout(&req).unwrap();
        let paid: Decimal = r.bill.tenders.iter().map(|(_, a)| *a).sum::<Decimal>() - r.bill.change
            + r.bill.points_value + r.bill.stored_value_used.total();
        prop_assert_eq!(paid, r.bill.total);
        app.void_visit(&r.visit_id, "test").unwrap();
        let after = app.membership(WANG).unwrap();
        prop_assert_eq!(after.points, before.points);
        prop_assert_eq!(after.stored_value_principal, before.stored_value_principal);
        prop_assert_eq!(after.stored_value_bonus, before.stored_value_bonus);
        prop_assert!(after.stored_value_principal >= Decimal::ZERO && after.stored_value_bonus >= Decimal::ZERO);
        let summary = app.customer_summary(&id).unwrap();
        prop_assert_eq!(summary.total_spent, d("198"), "the voided visit nets to nothing");
    }
}

#[test]
fn tiers_go_down_only_at_the_review_and_once_per_review_date() {
    let shop = shop();
    let mut app = shop.app();
    let big = ItemRequest {
        item: ItemKey::Product("SKU-001".into()),
        quantity: 17,
        staff: vec![],
        expected_unit_price: None,
    };
    app.checkout(&pay(vec![big], &[(Tender::Card, "2040")])).unwrap();
    assert_eq!(app.membership(WANG).unwrap().tier.as_deref(), Some("银卡"));
    // 400 days later the spend has left the 365-day window: checkout never downgrades
    shop.clock.advance(Duration::days(400));
    let r = app.checkout(&pay(vec![service("足部护理", &[])], &[(Tender::Cash, "150.10")])).unwrap();
    assert_eq!(r.balances.unwrap().tier.as_deref(), Some("银卡"));
    // the review of 2027-01-01, run late, measures the year before that day: still 银卡
    let late = app.review_tiers("test").unwrap();
    assert_eq!(late.review_date.to_string(), "2027-01-01");
    assert_eq!((late.downgraded, late.upgraded), (0, 0));
    assert_eq!(app.membership(WANG).unwrap().tier.as_deref(), Some("银卡"));
    shop.clock.advance(Duration::days(400));
    // the review (1 January by default, measured over the year before it) does
    let review = app.review_tiers("test").unwrap();
    assert_eq!(review.review_date.to_string(), "2029-01-01");
    assert_eq!((review.downgraded, review.upgraded), (1, 0));
    assert_eq!(app.membership(WANG).unwrap().tier.as_deref(), Some("普通"));
    let again = app.review_tiers("test").unwrap_err();
    assert!(again.to_string().contains("2029-01-01"), "{again}");
}

#[test]
fn a_top_up_bonus_expires_and_the_principal_does_not() {
    let shop = shop();
    let mut app = shop.app();
    app.set_rule_value("stored_value.bonus_expire_days", "30", "test").unwrap();
    app.topup(WANG, d("1000"), &[(Tender::Wechat, d("1000"))], "test").unwrap();
    let m = app.membership(WANG).unwrap();
    assert_eq!((m.stored_value_principal, m.stored_value_bonus), (d("1000"), d("200")));
    shop.clock.advance(Duration::days(31));
    let m = app.membership(WANG).unwrap();
    assert_eq!((m.stored_value_principal, m.stored_value_bonus), (d("1000"), Decimal::ZERO));
    // the next checkout spends principal only and records the expiry in the ledger
    let mut req = pay(vec![service("足部护理", &[])], &[]);
    req.stored_value = Use::Max;
    let r = app.checkout(&req).unwrap();
    assert_eq!((r.bill.stored_value_used.principal, r.bill.stored_value_used.bonus), (d("158"), Decimal::ZERO));
    let m = app.membership(WANG).unwrap();
    assert_eq!((m.stored_value_principal, m.stored_value_bonus), (d("842"), Decimal::ZERO));
    let report = app.report(salonbox::app::report::Period::Monthly, app.today()).unwrap();
    assert_eq!(report.stored_value_outstanding, d("842"), "the ledger's sum, with the expiry recorded");
}

#[test]
fn a_void_takes_back_its_own_points_gives_back_what_it_redeemed_and_expiries_land_on_their_day() {
    let shop = shop();
    let mut app = shop.app();
    app.set_rule_value("points.expire_days", "10", "test").unwrap();
    let day = |n: i64| two_pm() + Duration::days(n);
    let foot = || pay(vec![service("足部护理", &[])], &[(Tender::Cash, "158")]);
    let points = |app: &mut App| app.membership(WANG).unwrap().points;
    // Day 0: 158 points (lot A, ends day 10). Day 2: 158 more (lot B, ends day 12), voided
    // on day 3: the void takes back lot B, not lot A.
    app.checkout(&foot()).unwrap();
    shop.clock.set(day(2));
    let b = app.checkout(&foot()).unwrap();
    shop.clock.set(day(3));
    app.void_visit(&b.visit_id, "test").unwrap();
    assert_eq!(points(&mut app), 158);
    // Day 4: 158 (lot C, ends day 14). Day 5: all 316 redeemed (¥3.16 off), 154 earned on
    // the ¥154.84 paid (lot D, ends day 15).
    shop.clock.set(day(4));
    app.checkout(&foot()).unwrap();
    assert_eq!(points(&mut app), 316);
    shop.clock.set(day(5));
    let mut req = pay(vec![service("足部护理", &[])], &[(Tender::Cash, "154.84")]);
    req.points = Use::Max;
    let e = app.checkout(&req).unwrap();
    assert_eq!((e.bill.points_used, e.bill.points_earned), (316, 154));
    assert_eq!(points(&mut app), 154);
    // Day 6: voided. Lot D goes; lots A (158, day 10) and C (158, day 14) come back with
    // their own ends.
    shop.clock.set(day(6));
    app.void_visit(&e.visit_id, "test").unwrap();
    assert_eq!(points(&mut app), 316);
    shop.clock.set(day(11));
    assert_eq!(points(&mut app), 158, "lot A ended on day 10");
    shop.clock.set(day(14) + Duration::minutes(1));
    assert_eq!(points(&mut app), 0, "lot C ended on day 14: nothing is left for ever");

    // The daily job records each expiry at its own time; running it again records nothing.
    let r = app.run_job("expiries", day(16), false).unwrap();
    assert!(r.note.contains("过期积分 316"), "{}", r.note);
    let again = app.run_job("expiries", day(17), false).unwrap();
    assert!(again.note.contains("过期积分 0"), "{}", again.note);
    let db = rusqlite::Connection::open(shop.dir.path().join(salonbox::store::DB_FILE)).unwrap();
    let expired: Vec<(i64, i64)> = db
        .prepare("SELECT at, delta FROM points_ledger WHERE reason = 'expired' ORDER BY at")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(expired, vec![(day(10).timestamp_millis(), -158), (day(14).timestamp_millis(), -158)]);
    let sum: i64 = db.query_row("SELECT SUM(delta) FROM points_ledger", [], |r| r.get(0)).unwrap();
    assert_eq!(sum, 0, "with every expiry recorded, the ledger's sum is the balance");
}

#[test]
fn a_top_up_bonus_that_expires_is_recorded_by_the_daily_job_on_its_day() {
    let shop = shop();
    let mut app = shop.app();
    app.set_rule_value("stored_value.bonus_expire_days", "30", "test").unwrap();
    app.topup(WANG, d("1000"), &[(Tender::Wechat, d("1000"))], "test").unwrap();
    let end = two_pm() + Duration::days(30);
    let r = app.run_job("expiries", end + Duration::hours(10), false).unwrap();
    assert!(r.note.contains("¥2.00") || r.note.contains("¥200"), "{}", r.note);
    let db = rusqlite::Connection::open(shop.dir.path().join(salonbox::store::DB_FILE)).unwrap();
    let (at, fen): (i64, i64) = db
        .query_row("SELECT at, bonus_delta_fen FROM stored_value_ledger WHERE reason = 'expired'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((at, fen), (end.timestamp_millis(), -20_000));
    shop.clock.set(end + Duration::hours(10));
    let m = app.membership(WANG).unwrap();
    assert_eq!((m.stored_value_principal, m.stored_value_bonus), (d("1000"), Decimal::ZERO));
}

#[test]
fn the_months_report_adds_up_to_what_the_shop_owes_and_a_void_counts_nowhere() {
    let shop = shop();
    let mut app = shop.app();
    app.set_rule_value("stored_value.bonus_expire_days", "5", "test").unwrap();
    app.register(&Registration {
        name: "李梅".into(),
        phone: "13800000002".into(),
        gender: Some("女".into()),
        privacy_notice: Some("2026-11".into()),
        source: "test".into(),
        ..Default::default()
    })
    .unwrap();
    let day = |n: i64| two_pm() + Duration::days(n);
    // 23 Nov: both top up ¥1,000 by WeChat (¥200 bonus each, 5 days).
    app.topup(WANG, d("1000"), &[(Tender::Wechat, d("1000"))], "test").unwrap();
    app.topup("13800000002", d("1000"), &[(Tender::Wechat, d("1000"))], "test").unwrap();
    // 王丽 spends ¥158 of it, and buys a course of 10 facials for ¥1,500 in cash.
    let mut req = pay(vec![service("足部护理", &[])], &[]);
    req.stored_value = Use::Max;
    let spent = app.checkout(&req).unwrap();
    let used = spent.bill.stored_value_used;
    assert_eq!(used.principal + used.bonus, d("158"));
    app.sell_course(
        &CourseSaleRequest {
            customer: WANG.into(),
            service: "面部深层清洁".into(),
            sessions: 10,
            price: d("1500"),
            valid_days: None,
            tenders: vec![(Tender::Cash, d("1500"))],
        },
        "test",
    )
    .unwrap();
    // 24 Nov: a cash sale with 李娜, voided the same day: it counts nowhere.
    shop.clock.set(day(1));
    let v = app.checkout(&pay(vec![service("足部护理", &["李娜"])], &[(Tender::Cash, "158")])).unwrap();
    app.void_visit(&v.visit_id, "test").unwrap();
    // 25 Nov: 王丽 takes her card's money back in cash: the principal left, and the bonus
    // left is forfeited.
    shop.clock.set(day(2));
    let refunded = app.refund_stored_value(WANG, Tender::Cash, "test").unwrap();
    assert_eq!(refunded, d("1000") - used.principal);
    // 李梅's bonus ends on 28 Nov; the daily job has not run: the report still counts it.
    shop.clock.set(day(7));
    let r = app.report(salonbox::app::report::Period::Monthly, app.today()).unwrap();

    // Stored value, by hand: 0 + 2,000 + 400 − 158 − refunded − (200 − bonus used) − 200.
    assert_eq!(r.stored_value_opening, d("0"));
    assert_eq!((r.stored_value_sold, r.stored_value_bonus_given), (d("2000"), d("400")));
    assert_eq!(r.stored_value_spent, d("158"));
    assert_eq!(r.stored_value_refunded, refunded);
    assert_eq!(r.stored_value_forfeited, d("200") - used.bonus);
    assert_eq!(r.stored_value_expired, d("200"));
    assert_eq!(r.stored_value_outstanding, d("1000"), "李梅's principal is all the shop owes in stored value");
    // Points, by hand: 158 for the ¥158 sale only if points are earned on stored value; the
    // section adds up and ends at what the customers hold.
    let held = app.membership(WANG).unwrap().points + app.membership("13800000002").unwrap().points;
    assert_eq!(r.points_held, held);
    assert_eq!(
        r.points_opening + r.points_issued - r.points_redeemed - r.points_expired + r.points_other,
        r.points_held
    );
    // What the shop owes: ¥1,000 of stored value, the points at ¥0.01, 10 facials at ¥150.
    assert_eq!((r.course_sessions_left, r.course_value_left), (10, d("1500")));
    assert_eq!(r.points_value_held, Decimal::from(held) / Decimal::from(100));
    assert_eq!(r.liabilities, d("1000") + r.points_value_held + d("1500"));
    // Money received: 2,000 WeChat, 1,500 cash for the course, the refund paid out in cash;
    // the voided sale nowhere. Paid with stored value: 158, apart.
    let received: Vec<(String, Decimal)> = r.money_received.iter().map(|l| (l.label.clone(), l.amount)).collect();
    assert!(received.contains(&("微信支付 WeChat Pay".into(), d("2000"))), "{received:?}");
    assert!(received.contains(&("现金 cash".into(), d("1500"))), "{received:?}");
    assert!(received.contains(&("退款 refund · 现金 cash".into(), -refunded)), "{received:?}");
    assert_eq!(r.money_received_total, d("3500") - refunded);
    let prepaid: Vec<(String, i64, Decimal)> =
        r.paid_with_prepaid.iter().map(|l| (l.label.clone(), l.count, l.amount)).collect();
    assert_eq!(prepaid, vec![("储值 stored value".to_string(), 1, d("158"))]);
    // Counts: one sale stands (the stored-value one); the void and its reversal cancel.
    assert_eq!(r.visits, 1);
    assert!(r.commission_by_staff.is_empty(), "李娜's only line was voided: {:?}", r.commission_by_staff);
    assert_eq!(r.top_services.iter().map(|l| l.count).sum::<i64>(), 1);
    // The daily job records the expiries; a dry run records nothing. After it the report
    // reads the recorded rows (and replays only what expires after the job): the same
    // figures either way.
    let dry = app.run_job("expiries", app.now(), true).unwrap();
    assert!(dry.dry_run);
    assert_eq!(app.report(salonbox::app::report::Period::Monthly, app.today()).unwrap().stored_value_expired, d("200"));
    app.run_job("expiries", app.now(), false).unwrap();
    let after = app.report(salonbox::app::report::Period::Monthly, app.today()).unwrap();
    assert_eq!(
        (after.stored_value_expired, after.stored_value_outstanding, after.points_expired, after.points_held),
        (r.stored_value_expired, r.stored_value_outstanding, r.points_expired, r.points_held)
    );
    assert_eq!(after.liabilities, r.liabilities);
}

fn register(app: &mut App, name: &str, phone: &str, referred_by: Option<&str>) -> Result<String, AppError> {
    app.register(&Registration {
        name: name.into(),
        phone: phone.into(),
        privacy_notice: Some("2026-11".into()),
        source: "test".into(),
        referred_by: referred_by.map(str::to_string),
        ..Default::default()
    })
    .map(|c| c.id)
}

fn pay_as(customer: &str, items: Vec<ItemRequest>, cash: &str) -> CheckoutRequest {
    CheckoutRequest { customer: Some(customer.into()), ..pay(items, &[(Tender::Cash, cash)]) }
}

#[test]
fn check_in_points_are_given_once_a_shop_day() {
    use salonbox::app::checkin::{CheckinRequest, Identity};
    use salonbox::domain::queue::QueueStatus;
    let shop = shop();
    let mut app = shop.app();
    app.set_rule_value("points.checkin", "5", "test").unwrap();
    let phone = salonbox::domain::phone::Phone::parse(WANG).unwrap();
    let walk_in = || CheckinRequest {
        identity: Identity::Phone(phone.clone()),
        service: Some("面部深层清洁".into()),
        staff: None,
    };
    let first = app.check_in(&walk_in()).unwrap();
    assert_eq!(first.checkin_points, 5);
    assert_eq!(app.membership(WANG).unwrap().points, 5);
    // the same ticket again: nothing more
    let again = app.check_in(&walk_in()).unwrap();
    assert!(again.already_checked_in);
    assert_eq!(again.checkin_points, 0);
    // served and gone, back the same afternoon: a new ticket, still no points
    for to in [QueueStatus::Called, QueueStatus::InService, QueueStatus::Done] {
        app.queue_move(Some(&first.entry.ticket), to, None, "test").unwrap();
    }
    let back = app.check_in(&walk_in()).unwrap();
    assert!(!back.already_checked_in);
    assert_eq!(back.checkin_points, 0);
    assert_eq!(app.membership(WANG).unwrap().points, 5);
    // the next day: 5 more
    shop.clock.advance(Duration::days(1));
    let mut app = shop.app();
    assert_eq!(app.check_in(&walk_in()).unwrap().checkin_points, 5);
    assert_eq!(app.membership(WANG).unwrap().points, 10);
}

#[test]
fn a_referral_earns_points_once_within_the_monthly_limit_and_a_void_takes_them_back() {
    let shop = shop();
    let mut app = shop.app();
    app.set_rule_value("referral.points", "100", "test").unwrap();
    app.set_rule_value("referral.max_per_month", "1", "test").unwrap();
    // an unknown referrer is refused at registration, naming the field
    let err = register(&mut app, "赵敏", "13800000009", Some("13999999999")).unwrap_err();
    assert!(err.to_string().contains("推荐人"), "{err}");
    register(&mut app, "张敏", "13800000002", Some(WANG)).unwrap();
    register(&mut app, "刘洋", "13800000003", Some(WANG)).unwrap();
    let points = |app: &mut App| app.membership(WANG).unwrap().points;
    let start = points(&mut app);
    // a product only is not a first visit paid for
    let serum =
        ItemRequest { item: ItemKey::Product("SKU-001".into()), quantity: 1, staff: vec![], expected_unit_price: None };
    app.checkout(&pay_as("13800000002", vec![serum], "120")).unwrap();
    assert_eq!(points(&mut app), start);
    // her first facial: 100 points to 王丽
    let first = app.checkout(&pay_as("13800000002", vec![service("面部深层清洁", &[])], "198")).unwrap();
    assert_eq!(points(&mut app), start + 100);
    // once per referred customer
    app.checkout(&pay_as("13800000002", vec![service("足部护理", &[])], "158")).unwrap();
    assert_eq!(points(&mut app), start + 100);
    // the month's one award is used: 刘洋's first visit earns nothing
    let liu = app.checkout(&pay_as("13800000003", vec![service("足部护理", &[])], "158")).unwrap();
    assert_eq!(points(&mut app), start + 100);
    // a void of the visit that earned it takes the points back and frees the month's award
    app.void_visit(&first.visit_id, "test").unwrap();
    assert_eq!(points(&mut app), start);
    app.void_visit(&liu.visit_id, "test").unwrap();
    app.checkout(&pay_as("13800000003", vec![service("足部护理", &[])], "158")).unwrap();
    assert_eq!(points(&mut app), start + 100, "刘洋's paid visit now earns it");
    // a referrer cannot change once rewarded, nor be the customer herself
    let err = app.set_referrer("13800000003", "13800000002", "test").unwrap_err();
    assert!(err.to_string().contains("已发放"), "{err}");
    let err = app.set_referrer("13800000002", "13800000002", "test").unwrap_err();
    assert!(err.to_string().contains("自己"), "{err}");
}

#[test]
fn a_rule_change_for_a_later_day_waits_for_it_and_never_rewrites_past_visits() {
    use salonbox::app::rules::{ChangeOutcome, RuleChange};
    let shop = shop();
    let mut app = shop.app();
    let tomorrow = app.today() + Duration::days(1);
    let out = app.change_rule(RuleChange::RebateEnd { rule: "护理返 8%".into() }, Some(tomorrow), "owner").unwrap();
    let ChangeOutcome::Scheduled { effective_on, .. } = out else { panic!("{out:?}") };
    assert_eq!(effective_on, tomorrow);
    let raise = app
        .change_rule(RuleChange::Value { key: "points.checkin".into(), value: "8".into() }, Some(tomorrow), "owner")
        .unwrap();
    let ChangeOutcome::Scheduled { id: raise_id, .. } = raise else { panic!() };
    app.cancel_rule_change(&raise_id, "owner").unwrap();
    assert!(app.cancel_rule_change(&raise_id, "owner").is_err(), "withdrawn once");
    // a bad value is refused when entered, naming the rule
    let err = app
        .change_rule(RuleChange::Value { key: "points.checkin".into(), value: "-3".into() }, Some(tomorrow), "owner")
        .unwrap_err();
    assert!(err.to_string().contains("points.checkin"), "{err}");

    let today = app.checkout(&pay(vec![service("面部深层清洁", &[])], &[(Tender::Cash, "198")])).unwrap();
    assert_eq!(today.bill.rebates.iter().map(|r| r.points).sum::<i64>(), 1584, "still in force today");
    assert_eq!(app.rebate_rules().unwrap().len(), 1);

    shop.clock.advance(Duration::days(1));
    let mut app = shop.app();
    let next = app.checkout(&pay(vec![service("面部深层清洁", &[])], &[(Tender::Cash, "198")])).unwrap();
    assert!(next.bill.rebates.is_empty(), "ended from today: {:?}", next.bill.rebates);
    assert!(app.rebate_rules().unwrap().is_empty());
    assert_eq!(app.rules_in_force().unwrap().checkin_points, 0, "the withdrawn change never applied");
    let changes = app.rule_changes(10).unwrap();
    assert!(changes.iter().any(|c| c.row.applied_at.is_some() && c.text.contains("停用返点")), "{changes:?}");
    assert!(changes.iter().any(|c| c.row.cancelled_at.is_some()), "{changes:?}");
    // yesterday's visit keeps what it earned
    let m = app.membership(WANG).unwrap();
    assert_eq!(m.points, 198 + 1584 + 198);
}

/// A price and duration changed from a later day: the first booking on that day takes the
/// new duration (nothing else has read the price list yet), the checkout the new price.
#[test]
fn a_price_from_a_later_day_is_what_that_day_books_and_charges() {
    let shop = shop();
    let mut app = shop.app();
    let tomorrow = app.today() + Duration::days(1);
    app.change_service_price("足部护理", "168", Some(50), Some(tomorrow), "owner").unwrap();
    app.add_shift("李娜", tomorrow, "10:00-21:00", "test").unwrap();
    shop.clock.advance(Duration::days(1));
    let mut app = shop.app();
    let booked = app
        .book(&salonbox::app::booking::BookingRequest {
            customer: WANG.into(),
            service: "足部护理".into(),
            staff: Some("李娜".into()),
            resource: None,
            start: format!("{tomorrow} 16:00"),
            note: String::new(),
            source: "test".into(),
        })
        .unwrap();
    assert_eq!(booked.ends_at - booked.starts_at, Duration::minutes(50));
    let paid = app.checkout(&pay(vec![service("足部护理", &[])], &[(Tender::Cash, "168")])).unwrap();
    assert_eq!(paid.bill.total, d("168"));
}

/// The kiosk's service choice shows the price of the day, even when it is the first to read it.
#[test]
fn the_kiosk_offers_the_price_of_the_day() {
    let shop = shop();
    let mut app = shop.app();
    let tomorrow = app.today() + Duration::days(1);
    app.change_service_price("足部护理", "168", None, Some(tomorrow), "owner").unwrap();
    let wang = app.customer_by_key(WANG).unwrap();
    let price = |app: &mut App| {
        let offers = app.offers(&wang).unwrap();
        offers.into_iter().find(|o| o.service.name == "足部护理").map(|o| (o.price, o.service.duration_min))
    };
    assert_eq!(price(&mut app), Some((d("158"), 45)));
    shop.clock.advance(Duration::days(1));
    let mut app = shop.app();
    assert_eq!(price(&mut app), Some((d("168"), 45)), "the new price, the duration kept");
}
