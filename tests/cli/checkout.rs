use rust_decimal::Decimal;

use crate::common::*;

fn d(v: &serde_json::Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")).parse().unwrap()
}

fn n(s: &str) -> Decimal {
    s.parse().unwrap()
}

const WANG: &str = "13812345678";

/// The owner's rules, then a checkout with a coupon, stored value, two tenders and a
/// shared line, then a void.
#[test]
fn rules_checkout_receipt_and_void() {
    let shop = Shop::small();
    shop.add_customer("王小丽", WANG);
    shop.run(&[
        "tier",
        "set",
        "金卡",
        "--rank",
        "2",
        "--min-spend",
        "8000",
        "--multiplier",
        "1.5",
        "--discount",
        "*=10",
    ])
    .ok();
    let tiers = shop.run(&["tier", "list", "--json"]).ok().json();
    let gold = tiers.as_array().unwrap().iter().find(|t| t["name"] == "金卡").unwrap();
    assert_eq!(gold["discounts"]["*"], "10");
    shop.run(&["rules", "topup-bonus", "1000", "200"]).ok();
    shop.run(&["rules", "rebate", "护理返8%", "--category", "面部护理", "--percent", "8"]).ok();
    shop.run(&["rules", "commission", "--category", "面部护理", "12"]).ok();
    shop.run(&["product", "add", "SKU-001", "修护精华", "--price", "120"]).ok();
    let top = shop.run(&["stored-value", "topup", "--customer", WANG, "--amount", "1000", "--pay", "wechat=1000"]).ok();
    assert!(top.stdout().contains("¥200"), "{}", top.stdout());
    shop.run(&["coupon", "template", "满300减50", "--amount-off", "50", "--min-spend", "300"]).ok();
    let issued = shop.run(&["coupon", "issue", "满300减50", "--customer", WANG]).ok().stdout();
    let code = issued.trim().rsplit(' ').next().unwrap().to_string();
    assert_eq!(code.len(), 8, "{issued}");

    let r = shop
        .run(&[
            "checkout",
            "--customer",
            WANG,
            "--service",
            "面部深层清洁@李娜:60,王芳:40",
            "--product",
            "SKU-001*2@李娜",
            "--coupon",
            &code,
            "--stored-value",
            "200",
            "--pay",
            "wechat=100",
            "--pay",
            "现金=100",
            "--json",
        ])
        .ok()
        .json();
    let bill = &r["bill"];
    // 198 + 240 − 50 = 388; 200 stored value (166.67 + 33.33); 188 by WeChat and cash; 12 change
    assert_eq!(d(&bill["total"]), n("388"));
    assert_eq!(d(&bill["stored_value_used"]["principal"]), n("166.67"));
    assert_eq!(d(&bill["stored_value_used"]["bonus"]), n("33.33"));
    assert_eq!(d(&bill["change"]), n("12"));
    // the facial's share of the coupon is 22.60: 175.40 × 12 % × 60 % / 40 %
    let commissions: Vec<Decimal> = bill["commissions"].as_array().unwrap().iter().map(|c| d(&c["amount"])).collect();
    assert_eq!(commissions, [n("12.63"), n("8.42"), n("0")]);
    // 175.40 × 8 % = 14.03 as 1403 points, and 388 points earned
    assert_eq!(bill["rebates"][0]["points"], 1403);
    assert_eq!(bill["points_earned"], 388);
    let visit = r["visit_id"].as_str().unwrap().to_string();
    let sold: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox WHERE type = 'visit.completed'");
    assert_eq!(sold, 2, "the top-up and the checkout");

    let show = shop.run(&["customer", "show", WANG, "--json"]).ok().json();
    assert_eq!(d(&show["membership"]["stored_value_principal"]), n("833.33"));
    assert_eq!(show["membership"]["points"], 388 + 1403);
    assert_eq!(show["membership"]["coupons"].as_array().unwrap().len(), 0, "used");

    // the receipt in text
    let text = shop
        .run(&["checkout", "--customer", WANG, "--service", "修眉造型@王芳", "--points", "all", "--pay", "cash=50"])
        .ok()
        .stdout();
    assert!(text.contains("积分抵扣 / points: 1791 = ¥17.91"), "{text}");
    assert!(text.contains("应付 / total: ¥48.50"), "{text}");
    assert!(text.contains("找零 / change: ¥19.41"), "{text}");

    // void the big visit: stored value back, coupon stays used
    shop.run(&["visit", "void", &visit]).ok();
    let show = shop.run(&["customer", "show", WANG]).ok().stdout();
    assert!(show.contains("¥1200"), "{show}");
    let err = shop.run(&["visit", "void", &visit]).fails().stderr();
    assert!(err.contains("撤销"), "{err}");
}

#[test]
fn checkout_refuses_what_does_not_add_up() {
    let shop = Shop::small();
    shop.add_customer("王小丽", WANG);
    let err =
        shop.run(&["checkout", "--customer", WANG, "--service", "修眉造型", "--pay", "bitcoin=48.5"]).fails().stderr();
    assert!(err.contains("cash, wechat, alipay or card"), "{err}");
    let err = shop.run(&["checkout", "--customer", WANG, "--service", "修眉造型", "--pay", "cash=40"]).fails().stderr();
    assert!(err.contains("8.5") && err.contains("still to pay"), "{err}");
    let err =
        shop.run(&["checkout", "--customer", WANG, "--service", "修眉造型", "--stored-value", "10"]).fails().stderr();
    assert!(err.contains("储值余额不足"), "{err}");
    let err = shop.run(&["checkout", "--service", "修眉造型", "--points", "all"]).fails().stderr();
    assert!(err.contains("need a member"), "{err}");
    let err = shop.run(&["checkout", "--service", "不存在@李娜", "--pay", "cash=1"]).fails().stderr();
    assert!(err.contains("不存在"), "{err}");
    let visits: i64 = shop.sql("SELECT COUNT(*) FROM visits");
    assert_eq!(visits, 0, "nothing half-written");
}

#[test]
fn a_course_is_sold_then_used_session_by_session() {
    let shop = Shop::small();
    shop.add_customer("王小丽", WANG);
    shop.run(&[
        "course",
        "sell",
        "--customer",
        WANG,
        "--service",
        "面部深层清洁",
        "--sessions",
        "10",
        "--price",
        "1580",
        "--valid-days",
        "365",
        "--pay",
        "alipay=1580",
    ])
    .ok();
    let r = shop.run(&["checkout", "--customer", WANG, "--course", "面部深层清洁@李娜"]).ok().stdout();
    assert!(r.contains("剩余 9 次"), "{r}");
    let show = shop.run(&["customer", "show", WANG]).ok().stdout();
    assert!(show.contains("面部深层清洁 9/10"), "{show}");
}
