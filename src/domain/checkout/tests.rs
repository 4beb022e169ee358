use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;

/// `d("12.34")`: a decimal literal.
fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|_| panic!("bad decimal literal {s}"))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).single().unwrap()
}

fn service(id: &str, name: &str, category: &str, price: &str, staff: Vec<StaffShare>) -> CartLine {
    CartLine {
        kind: LineKind::Service { service_id: id.into() },
        name: name.into(),
        category: category.into(),
        unit_price: d(price),
        quantity: 1,
        expected_unit_price: None,
        staff,
    }
}

fn product(id: &str, name: &str, price: &str, quantity: u32, staff: Vec<StaffShare>) -> CartLine {
    CartLine {
        kind: LineKind::Product { product_id: id.into() },
        name: name.into(),
        category: "产品".into(),
        unit_price: d(price),
        quantity,
        expected_unit_price: None,
        staff,
    }
}

fn share(staff: &str, share: &str, rate: &str) -> StaffShare {
    StaffShare { staff_id: staff.into(), share_pct: d(share), rate_pct: d(rate) }
}

fn gold_member() -> Member {
    Member {
        tier_discounts: BTreeMap::from([("*".into(), d("10"))]),
        points_multiplier: d("1.5"),
        points_balance: 3000,
        stored_value: StoredValue { principal: d("1000"), bonus: d("200") },
        course_sessions_left: BTreeMap::from([("course-1".into(), 2)]),
        first_visit: false,
        birthday_month: true,
    }
}

fn coupon(kind: CouponKind) -> Coupon {
    Coupon {
        code: "C-TEST".into(),
        name: "test".into(),
        kind,
        valid_from: now() - Duration::days(1),
        valid_until: now() + Duration::days(30),
    }
}

fn rule(id: &str, kind: RebateKind, credit_to: CreditTo) -> RebateRule {
    RebateRule { id: id.into(), name: id.into(), kind, credit_to }
}

fn shop_rebates() -> Vec<RebateRule> {
    vec![
        rule("services-8", RebateKind::Category { category: "面部护理".into(), percent: d("8") }, CreditTo::Points),
        rule("products-12", RebateKind::Category { category: "产品".into(), percent: d("12") }, CreditTo::StoredValue),
        rule("over-500", RebateKind::Threshold { min_total: d("500"), percent: d("10") }, CreditTo::StoredValue),
        rule("first-visit", RebateKind::FirstVisit { multiplier: d("2") }, CreditTo::Points),
        rule("birthday", RebateKind::BirthdayMonth { multiplier: d("1.5") }, CreditTo::Points),
    ]
}

/// The worked example of the checkout order, every figure by hand:
/// 金卡 (10 % off everything, points × 1.5), a facial at 198 by two beauticians, two
/// serums at 120; 满 300 减 50; all 3,000 points; 200 from stored value; 100 by WeChat and
/// 20 in cash.
#[test]
fn worked_example_in_the_documented_order() {
    let cart = vec![
        service("s1", "面部深层清洁", "面部护理", "198", vec![share("A", "60", "10"), share("B", "40", "8")]),
        product("p1", "修护精华", "120", 2, vec![share("C", "100", "5")]),
    ];
    let member = gold_member();
    let c = coupon(CouponKind::AmountOff { amount: d("50"), min_spend: d("300") });
    let rules = shop_rebates();
    let points = PointsRules::default();
    let bill = checkout(
        &cart,
        Terms { member: Some(&member), coupon: Some(&c), points: &points, rebates: &rules, now: now() },
        &Payment {
            points: Use::Max,
            stored_value: Use::Exactly(d("200")),
            tenders: vec![(Tender::Wechat, d("100")), (Tender::Cash, d("20"))],
        },
    )
    .unwrap();
    // 1. tier price: 198 − 19.80 = 178.20; 240 − 24.00 = 216.00
    assert_eq!(bill.list_total, d("438.00"));
    assert_eq!(bill.tier_discount, d("43.80"));
    // 2. coupon 50 over 178.20 : 216.00 → 22.60 + 27.40 (largest remainder)
    assert_eq!(bill.lines[0].coupon_discount, d("22.60"));
    assert_eq!(bill.lines[1].coupon_discount, d("27.40"));
    assert_eq!(bill.lines[0].amount, d("155.60"));
    assert_eq!(bill.lines[1].amount, d("188.60"));
    assert_eq!(bill.total, d("344.20"));
    // 3. all 3,000 points at 0.01 = 30.00
    assert_eq!((bill.points_used, bill.points_value), (3000, d("30.00")));
    // 4. 200 of stored value, 1000 : 200 → 166.67 principal + 33.33 bonus
    assert_eq!(bill.stored_value_used, StoredValue { principal: d("166.67"), bonus: d("33.33") });
    // 5. 114.20 left: 100 WeChat, 14.20 of the 20 cash, 5.80 change
    assert_eq!(bill.due_by_tenders, d("114.20"));
    assert_eq!(bill.change, d("5.80"));
    // points earned: (344.20 − 30.00) × 1 per yuan × 1.5 = 471.3 → 471
    assert_eq!(bill.points_earned, 471);
    // rebates on what was paid other than by points: 142.04 and 172.16
    assert_eq!(bill.lines[0].points_share, d("13.56"));
    assert_eq!(bill.lines[1].points_share, d("16.44"));
    let rebates: Vec<(&str, Decimal, i64)> =
        bill.rebates.iter().map(|r| (r.rule_id.as_str(), r.amount, r.points)).collect();
    assert_eq!(
        rebates,
        [
            ("services-8", d("11.36"), 1136), // 142.04 × 8 %
            ("products-12", d("20.66"), 0),   // 172.16 × 12 %, to stored value
            ("birthday", d("16.01"), 1601),   // 32.02 × 0.5
        ]
    );
    let commissions: Vec<(&str, Decimal)> = bill.commissions.iter().map(|c| (c.staff_id.as_str(), c.amount)).collect();
    // 155.60 × 60 % × 10 % = 9.336; × 40 % × 8 % = 4.9792; 188.60 × 5 % = 9.43
    assert_eq!(commissions, [("A", d("9.34")), ("B", d("4.98")), ("C", d("9.43"))]);
}

#[test]
fn a_threshold_rebate_replaces_smaller_category_rebates_and_a_first_visit_doubles_it() {
    let cart = vec![service("s1", "热玛吉", "面部护理", "600", vec![])];
    let member = Member { first_visit: true, birthday_month: false, ..gold_member() };
    let rules = shop_rebates();
    let points = PointsRules::default();
    let bill = checkout(
        &cart,
        Terms { member: Some(&member), coupon: None, points: &points, rebates: &rules, now: now() },
        &Payment { tenders: vec![(Tender::Card, d("540"))], ..Payment::default() },
    )
    .unwrap();
    // 540 paid: services 8 % = 43.20 < threshold 10 % = 54.00; first visit adds 54.00
    let rebates: Vec<(&str, Decimal)> = bill.rebates.iter().map(|r| (r.rule_id.as_str(), r.amount)).collect();
    assert_eq!(rebates, [("over-500", d("54.00")), ("first-visit", d("54.00"))]);
    assert_eq!(bill.change, Decimal::ZERO);
}

#[test]
fn course_sessions_are_prepaid_and_counted() {
    let course = CartLine {
        kind: LineKind::CourseSession { course_id: "course-1".into(), service_id: "s1".into() },
        name: "水光疗程".into(),
        category: "面部护理".into(),
        unit_price: d("150"),
        quantity: 1,
        expected_unit_price: None,
        staff: vec![share("A", "100", "10")],
    };
    let member = gold_member();
    let points = PointsRules::default();
    let terms = Terms { member: Some(&member), coupon: None, points: &points, rebates: &[], now: now() };
    let bill = checkout(std::slice::from_ref(&course), terms, &Payment::default()).unwrap();
    assert_eq!(bill.total, Decimal::ZERO);
    assert_eq!(bill.course_sessions, [("course-1".to_string(), 1)]);
    assert_eq!(bill.commissions[0].amount, d("15.00"), "commission on the session's value");
    assert_eq!(bill.points_earned, 0);
    let three = CartLine { quantity: 3, ..course };
    assert_eq!(
        checkout(&[three], terms, &Payment::default()).unwrap_err(),
        CheckoutError::CourseSessions { name: "水光疗程".into(), left: 2, wanted: 3 }
    );
}

#[test]
fn coupons_percent_free_service_and_their_refusals() {
    let member = gold_member();
    let points = PointsRules::default();
    let cart =
        vec![service("s1", "修眉造型", "美甲美睫", "48", vec![]), service("s2", "足部护理", "身体护理", "158", vec![])];
    let terms = |c| Terms { member: Some(&member), coupon: Some(c), points: &points, rebates: &[], now: now() };
    let cash = |a: &str| Payment { tenders: vec![(Tender::Cash, d(a))], ..Payment::default() };

    // 8.5 % off 185.40 (43.20 + 142.20) = 15.759 → 15.76
    let pct = coupon(CouponKind::PercentOff { percent: d("8.5"), min_spend: Decimal::ZERO });
    let bill = checkout(&cart, terms(&pct), &cash("200")).unwrap();
    assert_eq!(bill.coupon_discount, d("15.76"));
    assert_eq!(bill.total, d("169.64"));
    assert_eq!(bill.change, d("30.36"));

    // one 足部护理 free at its tier price
    let free = coupon(CouponKind::FreeService { service_id: "s2".into() });
    let bill = checkout(&cart, terms(&free), &cash("43.20")).unwrap();
    assert_eq!(bill.lines[1].amount, Decimal::ZERO);
    assert_eq!(bill.total, d("43.20"));

    let elsewhere = coupon(CouponKind::FreeService { service_id: "s9".into() });
    assert!(matches!(checkout(&cart, terms(&elsewhere), &cash("999")), Err(CheckoutError::CouponService { .. })));
    let big = coupon(CouponKind::AmountOff { amount: d("100"), min_spend: d("500") });
    assert_eq!(
        checkout(&cart, terms(&big), &cash("999")).unwrap_err(),
        CheckoutError::CouponMinSpend { code: "C-TEST".into(), min: d("500"), subtotal: d("185.40") }
    );
    let old = Coupon { valid_until: now() - Duration::seconds(1), ..pct.clone() };
    assert!(matches!(checkout(&cart, terms(&old), &cash("999")), Err(CheckoutError::CouponExpired { .. })));
    let early = Coupon { valid_from: now() + Duration::days(1), ..pct.clone() };
    assert!(matches!(checkout(&cart, terms(&early), &cash("999")), Err(CheckoutError::CouponNotYetValid { .. })));
}

#[test]
fn payments_that_do_not_add_up_are_refused_with_the_figures() {
    let points = PointsRules::default();
    let cart = vec![service("s1", "修眉造型", "美甲美睫", "88", vec![])];
    let anon = |pay: Payment| {
        checkout(&cart, Terms { member: None, coupon: None, points: &points, rebates: &[], now: now() }, &pay)
    };
    let bill = anon(Payment { tenders: vec![(Tender::Cash, d("100"))], ..Payment::default() }).unwrap();
    assert_eq!((bill.total, bill.change, bill.points_earned), (d("88"), d("12"), 0));
    assert_eq!(
        anon(Payment { tenders: vec![(Tender::Wechat, d("90"))], ..Payment::default() }).unwrap_err(),
        CheckoutError::Overpaid { paid: d("90"), due: d("88") }
    );
    assert_eq!(
        anon(Payment { tenders: vec![(Tender::Wechat, d("50")), (Tender::Cash, d("30"))], ..Payment::default() })
            .unwrap_err(),
        CheckoutError::Underpaid { missing: d("8"), due: d("88") }
    );
    assert_eq!(anon(Payment { points: Use::Max, ..Payment::default() }).unwrap_err(), CheckoutError::NotAMember);

    let member = gold_member();
    let with = |pay: Payment| {
        checkout(&cart, Terms { member: Some(&member), coupon: None, points: &points, rebates: &[], now: now() }, &pay)
    };
    assert_eq!(
        with(Payment { points: Use::Exactly(5000), ..Payment::default() }).unwrap_err(),
        CheckoutError::Points { wanted: 5000, balance: 3000 }
    );
    assert_eq!(
        with(Payment { stored_value: Use::Exactly(d("2000")), ..Payment::default() }).unwrap_err(),
        CheckoutError::StoredValue { wanted: d("2000"), balance: d("1200") }
    );
    assert_eq!(
        with(Payment { stored_value: Use::Exactly(d("100")), ..Payment::default() }).unwrap_err(),
        CheckoutError::StoredValueExceedsDue { wanted: d("100"), due: d("79.20") }
    );
    // everything from stored value: 79.20 over 1000 : 200 → 66.00 + 13.20
    let bill = with(Payment { stored_value: Use::Max, ..Payment::default() }).unwrap();
    assert_eq!(bill.stored_value_used, StoredValue { principal: d("66.00"), bonus: d("13.20") });
    assert_eq!(bill.due_by_tenders, Decimal::ZERO);

    let changed = CartLine { expected_unit_price: Some(d("78")), ..cart[0].clone() };
    assert!(matches!(
        checkout(
            &[changed],
            Terms { member: None, coupon: None, points: &points, rebates: &[], now: now() },
            &Payment::default()
        ),
        Err(CheckoutError::PriceChanged { line: 1, .. })
    ));
    let split = service("s1", "修眉造型", "美甲美睫", "88", vec![share("A", "50", "10"), share("B", "40", "10")]);
    assert!(matches!(
        checkout(
            &[split],
            Terms { member: None, coupon: None, points: &points, rebates: &[], now: now() },
            &Payment::default()
        ),
        Err(CheckoutError::StaffShares { line: 1, .. })
    ));
}

#[test]
fn tiers_are_reached_by_spend_or_points() {
    let tiers = [(0, Decimal::ZERO, 0), (1, d("2000"), 3000), (2, d("8000"), 10000), (3, d("20000"), 30000)];
    assert_eq!(qualifying_rank(&tiers, |_| (d("1999.99"), 2999)), Some(0));
    assert_eq!(qualifying_rank(&tiers, |_| (d("2000"), 0)), Some(1));
    assert_eq!(qualifying_rank(&tiers, |_| (d("0"), 10000)), Some(2));
    // each tier measures its own period
    assert_eq!(qualifying_rank(&tiers, |rank| if rank == 3 { (d("0"), 0) } else { (d("25000"), 0) }), Some(2));
}

fn money(max_fen: i64) -> impl Strategy<Value = Decimal> {
    (0..=max_fen).prop_map(|f| Decimal::new(f, 2))
}

fn cart_strategy() -> impl Strategy<Value = Vec<CartLine>> {
    prop::collection::vec(
        (money(300_000), 1u32..4, 0usize..3, prop::bool::ANY).prop_map(|(price, quantity, cat, is_product)| CartLine {
            kind: if is_product {
                LineKind::Product { product_id: format!("p{cat}") }
            } else {
                LineKind::Service { service_id: format!("s{cat}") }
            },
            name: format!("item {cat}"),
            category: ["面部护理", "身体护理", "产品"][cat].into(),
            unit_price: price,
            quantity,
            expected_unit_price: None,
            staff: vec![share("A", "70", "12.5"), share("B", "30", "8")],
        }),
        1..7,
    )
}

proptest! {
    #[test]
    fn allocations_add_up_exactly(total in money(10_000_000), weights in prop::collection::vec(money(1_000_000), 1..8)) {
        let parts = allocate(total, &weights);
        prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
        let sum: Decimal = weights.iter().sum();
        for (p, w) in parts.iter().zip(&weights) {
            prop_assert!(*p >= Decimal::ZERO);
            if sum > Decimal::ZERO {
                let exact = total * w / sum;
                prop_assert!((*p - exact).abs() < d("0.01") * Decimal::from(weights.len() as u32), "{p} vs {exact}");
            }
        }
    }

    #[test]
    fn every_bill_adds_up(
        cart in cart_strategy(),
        discount in 0u32..=30,
        coupon_off in prop::option::of(money(20_000)),
        points_balance in 0i64..200_000,
        principal in money(500_000),
        bonus in money(100_000),
        use_points in prop::bool::ANY,
        use_stored in prop::bool::ANY,
        wechat_share in 0u32..=100,
        extra_cash in money(10_000),
    ) {
        let member = Member {
            tier_discounts: BTreeMap::from([("*".into(), Decimal::from(discount)), ("产品".into(), d("5"))]),
            points_multiplier: d("1.2"),
            points_balance,
            stored_value: StoredValue { principal, bonus },
            ..Member::default()
        };
        let c = coupon_off.map(|amount| coupon(CouponKind::AmountOff { amount, min_spend: Decimal::ZERO }));
        let points = PointsRules::default();
        let rules = shop_rebates();
        let terms = Terms { member: Some(&member), coupon: c.as_ref(), points: &points, rebates: &rules, now: now() };
        // price once to learn what the tenders must cover, then pay it in a mix
        let mut pay = Payment {
            points: if use_points { Use::Max } else { Use::Nothing },
            stored_value: if use_stored { Use::Max } else { Use::Nothing },
            tenders: vec![(Tender::Cash, d("100000000"))],
        };
        let due = checkout(&cart, terms, &pay).unwrap().due_by_tenders;
        let wechat = round_yuan(due * Decimal::from(wechat_share) / Decimal::ONE_HUNDRED);
        pay.tenders = vec![(Tender::Wechat, wechat), (Tender::Cash, due - wechat + extra_cash)];
        let bill = checkout(&cart, terms, &pay).unwrap();

        let amounts: Decimal = bill.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(amounts, bill.total);
        prop_assert_eq!(bill.list_total - bill.tier_discount - bill.coupon_discount, bill.total);
        prop_assert_eq!(bill.lines.iter().map(|l| l.points_share).sum::<Decimal>(), bill.points_value);
        prop_assert_eq!(bill.lines.iter().map(|l| l.stored_value_share).sum::<Decimal>(), bill.stored_value_used.total());
        let tendered: Decimal = bill.tenders.iter().map(|(_, a)| *a).sum();
        prop_assert_eq!(bill.points_value + bill.stored_value_used.total() + tendered - bill.change, bill.total);
        prop_assert_eq!(bill.change, extra_cash);
        prop_assert!(bill.lines.iter().all(|l| l.amount >= Decimal::ZERO && l.points_share <= l.amount));
        prop_assert!(bill.points_used >= 0 && bill.points_used <= points_balance);
        let sv = bill.stored_value_used;
        prop_assert!(sv.principal >= Decimal::ZERO && sv.principal <= principal);
        prop_assert!(sv.bonus >= Decimal::ZERO && sv.bonus <= bonus);
        prop_assert!(bill.points_earned >= 0);
        prop_assert!(bill.rebates.iter().all(|r| r.amount > Decimal::ZERO));
        prop_assert!(bill.commissions.iter().all(|c| c.amount >= Decimal::ZERO));
        for amount in [bill.total, bill.points_value, sv.principal, sv.bonus, bill.change] {
            prop_assert!(amount.normalize().scale() <= 2, "{amount} is not whole fen");
        }
    }
}

#[test]
fn cash_offers_are_the_notes_a_customer_hands_over() {
    let offers =
        |due: &str| cash_offers(due.parse().unwrap()).iter().map(|d| d.normalize().to_string()).collect::<Vec<_>>();
    assert_eq!(offers("198"), ["200", "300", "500"]);
    assert_eq!(offers("158"), ["160", "200", "300"]);
    assert_eq!(offers("836.5"), ["840", "850", "900"]);
    assert_eq!(offers("200"), ["300", "500"], "never the exact amount: that is the default");
    assert_eq!(offers("0"), Vec::<String>::new());
}
