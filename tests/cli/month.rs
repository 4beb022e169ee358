//! A month of a small shop through the real binary (issue 18): three customers, top-ups,
//! sales paid every way, points redeemed, two voids, a card refund, a course, expiries.
//! Every figure is worked out by hand in the comments first and then checked: balances
//! after the steps, the expiries on their dates, and the monthly report's sections adding
//! up to what the shop owes.

use rust_decimal::Decimal;

use crate::common::*;

fn d(v: &serde_json::Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a money string: {v}")).parse().unwrap()
}

fn n(s: &str) -> Decimal {
    s.parse().unwrap()
}

const A: &str = "13812345678"; // 王小丽
const B: &str = "13912345678"; // 李梅
const C: &str = "13712345678"; // 张倩

/// `(points, principal, bonus)` as `customer show` reports them.
fn balances(shop: &Shop, who: &str) -> (i64, Decimal, Decimal) {
    let j = shop.run(&["customer", "show", who, "--json"]).ok().json();
    let m = &j["membership"];
    (m["points"].as_i64().unwrap(), d(&m["stored_value_principal"]), d(&m["stored_value_bonus"]))
}

#[test]
fn a_month_of_a_small_shop_adds_up() {
    let mut shop = Shop::small();
    let at = |shop: &mut Shop, day: u32, hm: &str| shop.now = format!("2026-11-{day:02}T{hm}:00+08:00");
    at(&mut shop, 2, "10:00");
    shop.add_customer("王小丽", A);
    shop.add_customer("李梅", B);
    shop.add_customer("张倩", C);
    // Rules: points live 10 days; a bonus 20; 充1000送200 (once); 10 % commission on facials.
    shop.run(&["rules", "point-expiry-days", "10"]).ok();
    shop.run(&["rules", "bonus-expiry-days", "20"]).ok();
    shop.run(&["rules", "topup-bonus", "1000", "200"]).ok();
    shop.run(&["rules", "commission", "--category", "面部护理", "10"]).ok();

    // 2 Nov: A tops up 1,000 by WeChat: 1,000 + 200 bonus (ends 22 Nov).
    shop.run(&["stored-value", "topup", "--customer", A, "--amount", "1000", "--pay", "wechat=1000"]).ok();
    assert_eq!(balances(&shop, A), (0, n("1000"), n("200")));
    // 3 Nov: A's facial (198) with 李娜, all stored value: 5:1 as her card holds it, 165 + 33;
    // 198 points (end 13 Nov); 李娜 19.80.
    at(&mut shop, 3, "11:00");
    shop.run(&["checkout", "--customer", A, "--service", "面部深层清洁@李娜", "--stored-value", "198"]).ok();
    assert_eq!(balances(&shop, A), (198, n("835"), n("167")));
    // 4 Nov: B's massage (158), 200 in cash, 42 back; 158 points (end 14 Nov).
    at(&mut shop, 4, "15:00");
    shop.run(&["checkout", "--customer", B, "--service", "肩颈舒缓按摩", "--pay", "cash=200"]).ok();
    // 5 Nov: B's eyebrows (48.50) by card with 李娜, voided the same day: 48 points come and go.
    at(&mut shop, 5, "12:00");
    let v = shop
        .run(&["checkout", "--customer", B, "--service", "修眉造型@李娜", "--pay", "card=48.5", "--json"])
        .ok()
        .json();
    assert_eq!(balances(&shop, B).0, 158 + 48);
    shop.run(&["visit", "void", v["visit_id"].as_str().unwrap()]).ok();
    assert_eq!(balances(&shop, B).0, 158);
    // 6 Nov: C's facial (198) by Alipay with 王芳: 198 points (end 16 Nov); 王芳 19.80.
    at(&mut shop, 6, "16:00");
    shop.run(&["checkout", "--customer", C, "--service", "面部深层清洁@王芳", "--pay", "alipay=198"]).ok();
    // 8 Nov: A's massage (158): her 198 points take 1.98 off, 156.02 in cash; 156 points earned
    // (end 18 Nov). 9 Nov: voided: the 156 go, the 198 come back still ending 13 Nov.
    at(&mut shop, 8, "10:30");
    let v = shop
        .run(&[
            "checkout",
            "--customer",
            A,
            "--service",
            "肩颈舒缓按摩",
            "--points",
            "all",
            "--pay",
            "cash=156.02",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!((v["bill"]["points_used"].as_i64(), v["bill"]["points_earned"].as_i64()), (Some(198), Some(156)));
    assert_eq!(balances(&shop, A).0, 156);
    at(&mut shop, 9, "10:30");
    shop.run(&["visit", "void", v["visit_id"].as_str().unwrap()]).ok();
    assert_eq!(balances(&shop, A).0, 198);
    // 13, 14, 16 Nov: the points end, each on its day.
    at(&mut shop, 13, "12:00");
    assert_eq!(balances(&shop, A).0, 0, "A's 198 ended at 11:00 on 13 Nov");
    assert_eq!(balances(&shop, B).0, 158, "B's end tomorrow");
    at(&mut shop, 16, "17:00");
    assert_eq!((balances(&shop, B).0, balances(&shop, C).0), (0, 0));
    // 20 Nov: A takes her card's money back in cash: 835 paid out, the 167 bonus forfeited.
    at(&mut shop, 20, "14:00");
    shop.run(&["stored-value", "refund", "--customer", A, "--to", "cash"]).ok();
    assert_eq!(balances(&shop, A), (0, n("0"), n("0")));
    // 21 Nov: B tops up 1,000 by WeChat: 200 bonus, ending 11 Dec.
    at(&mut shop, 21, "10:00");
    shop.run(&["stored-value", "topup", "--customer", B, "--amount", "1000", "--pay", "wechat=1000"]).ok();
    // 25 Nov: C buys 10 facials for 1,500 in cash; 26 Nov: one of them with 李娜.
    at(&mut shop, 25, "11:00");
    shop.run(&[
        "course",
        "sell",
        "--customer",
        C,
        "--service",
        "面部深层清洁",
        "--sessions",
        "10",
        "--price",
        "1500",
        "--pay",
        "cash=1500",
    ])
    .ok();
    at(&mut shop, 26, "11:00");
    shop.run(&["checkout", "--customer", C, "--course", "面部深层清洁@李娜"]).ok();

    // 30 Nov: the expiries job writes A's and B's endings on their dates, once (C's was
    // written, on its own date, by her checkout of 26 Nov).
    at(&mut shop, 30, "00:05");
    let r = shop.run(&["jobs", "run", "expiries"]).ok().stdout();
    assert!(r.contains("过期积分 356"), "198 + 158: {r}");
    let r = shop.run(&["jobs", "run", "expiries"]).ok().stdout();
    assert!(r.contains("过期积分 0"), "{r}");
    let ended: Vec<(i64, i64)> = {
        let db = rusqlite::Connection::open(shop.db()).unwrap();
        let mut st = db.prepare("SELECT at, delta FROM points_ledger WHERE reason = 'expired' ORDER BY at").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let ms = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
    assert_eq!(
        ended,
        vec![
            (ms("2026-11-13T11:00:00+08:00"), -198),
            (ms("2026-11-14T15:00:00+08:00"), -158),
            (ms("2026-11-16T16:00:00+08:00"), -198),
        ]
    );

    at(&mut shop, 30, "22:00");
    let r = shop.run(&["report", "monthly", "--format", "json"]).ok().json();
    // Counts: A's facial, B's massage, C's facial, C's course session: 4 visits, 3 customers,
    // all new; the two voided sales and their reversals nowhere.
    assert_eq!(
        (r["visits"].as_i64(), r["customers"].as_i64(), r["new_customers"].as_i64()),
        (Some(4), Some(3), Some(3))
    );
    // Revenue: facials 198 + 198, massage 158, the course 1,500 (its session is not revenue
    // again): 2,054.
    assert_eq!(d(&r["revenue"]), n("2054"));
    // Money received: WeChat 2,000 (two top-ups); cash 158 + 1,500; Alipay 198; the refund
    // −835 paid out: 3,021.
    let lines = |key: &str| -> Vec<(String, Decimal)> {
        r[key].as_array().unwrap().iter().map(|l| (l["label"].as_str().unwrap().to_string(), d(&l["amount"]))).collect()
    };
    let mut received = lines("money_received");
    received.sort();
    let mut want = vec![
        ("微信支付 WeChat Pay".to_string(), n("2000")),
        ("现金 cash".to_string(), n("1658")),
        ("支付宝 Alipay".to_string(), n("198")),
        ("退款 refund · 现金 cash".to_string(), n("-835")),
    ];
    want.sort();
    assert_eq!(received, want);
    assert_eq!(d(&r["money_received_total"]), n("3021"));
    // Paid with prepaid value: A's 198 of stored value; the points were paid back with the void.
    assert_eq!(lines("paid_with_prepaid"), vec![("储值 stored value".to_string(), n("198"))]);
    // Stored value: 0 + 2,000 + 400 − 198 − 835 − 167 − 0 = 1,200 (B's 1,000 + 200).
    for (key, want) in [
        ("stored_value_opening", "0"),
        ("stored_value_sold", "2000"),
        ("stored_value_bonus_given", "400"),
        ("stored_value_spent", "198"),
        ("stored_value_refunded", "835"),
        ("stored_value_forfeited", "167"),
        ("stored_value_expired", "0"),
        ("stored_value_outstanding", "1200"),
    ] {
        assert_eq!(d(&r[key]), n(want), "{key}");
    }
    // Points: issued 198 + 158 + 198 (the voided ones net out), redeemed 0 (given back),
    // expired 554, held 0.
    for (key, want) in [
        ("points_opening", 0),
        ("points_issued", 554),
        ("points_redeemed", 0),
        ("points_expired", 554),
        ("points_held", 0),
    ] {
        assert_eq!(r[key].as_i64(), Some(want), "{key}");
    }
    // What the shop owes on 30 Nov: 1,200 of stored value, no points, 9 facials at 150.
    assert_eq!(r["course_sessions_left"].as_i64(), Some(9));
    assert_eq!(d(&r["course_value_left"]), n("1350"));
    assert_eq!(d(&r["liabilities"]), n("2550"));
    // Commission: 李娜 19.80 for A's facial and 15.00 for C's session (10 % of what the
    // session was sold for, 1,500 / 10), 王芳 19.80; the voided eyebrows nowhere.
    let mut commission: Vec<(String, i64, Decimal)> = r["commission_by_staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["label"].as_str().unwrap().to_string(), l["count"].as_i64().unwrap(), d(&l["amount"])))
        .collect();
    commission.sort();
    assert_eq!(commission, vec![("李娜".into(), 2, n("34.8")), ("王芳".into(), 1, n("19.8"))]);
    // The text report shows each section adding up.
    let text = shop.run(&["report", "monthly"]).ok().stdout();
    for want in ["期初余额 Opening balance", "退卡扣回赠送", "= 期末余额 Closing balance", "期末欠顾客的", "¥2,550.00"]
    {
        assert!(text.contains(want) || text.contains(&want.replace(',', "")), "{want}: {text}");
    }
}
