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
    shop.sync_on();
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

/// A day's report in every format, with figures that follow from the day's sales.
#[test]
fn daily_report_in_text_csv_xlsx_and_json() {
    let shop = Shop::small();
    shop.add_customer("王小丽", WANG);
    shop.add_customer("李梅", "13912345678");
    shop.run(&["staff", "add", "--name", "赵敏", "--role", "beautician", "--service-commission", "10"]).ok();
    shop.run(&["stored-value", "topup", "--customer", WANG, "--amount", "500", "--pay", "wechat=500"]).ok();
    shop.run(&["checkout", "--customer", WANG, "--service", "面部深层清洁@赵敏", "--stored-value", "198"]).ok();
    let v = shop
        .run(&[
            "checkout",
            "--customer",
            "13912345678",
            "--service",
            "肩颈舒缓按摩@赵敏",
            "--pay",
            "cash=200",
            "--json",
        ])
        .ok()
        .json();
    shop.run(&["checkout", "--service", "修眉造型", "--pay", "alipay=48.5"]).ok();
    // a voided sale nets to nothing
    let voided = shop.run(&["checkout", "--service", "修眉造型", "--pay", "card=48.5", "--json"]).ok().json();
    shop.run(&["visit", "void", voided["visit_id"].as_str().unwrap()]).ok();
    assert_eq!(d(&v["bill"]["change"]), n("42"));

    let r = shop.run(&["report", "daily", "--format", "json"]).ok().json();
    // the trends the back office draws come too: 4 beautician lines would be wrong, 赵敏 did both
    assert_eq!(r["trends"]["performance"].as_array().map(Vec::len), Some(1), "{}", r["trends"]);
    let text = shop.run(&["report", "daily"]).ok().stdout();
    assert!(text.contains("每日走势") && text.contains("忙闲时段") && text.contains("年龄段"), "{text}");
    assert_eq!(d(&r["revenue"]), n("404.5"), "198 + 158 + 48.5, the top-up is not revenue");
    assert_eq!(r["visits"], 3);
    assert_eq!(r["new_customers"], 2);
    assert_eq!(r["walk_in_sales"], 1);
    let lines = |key: &str| -> Vec<(String, i64, Decimal)> {
        r[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["label"].as_str().unwrap().to_string(), l["count"].as_i64().unwrap(), d(&l["amount"])))
            .collect()
    };
    // Money received: the top-up's 500, the cash 158 (200 handed over, 42 change), the
    // Alipay 48.5; the voided card sale and its reversal count nowhere.
    let mut received = lines("money_received");
    received.sort();
    assert_eq!(
        received,
        vec![
            ("微信支付 WeChat Pay".into(), 1, n("500")),
            ("支付宝 Alipay".into(), 1, n("48.5")),
            ("现金 cash".into(), 1, n("158")),
        ],
    );
    assert_eq!(d(&r["money_received_total"]), n("706.5"));
    assert_eq!(lines("paid_with_prepaid"), vec![("储值 stored value".into(), 1, n("198"))], "not money received");
    assert_eq!(d(&r["stored_value_sold"]), n("500"));
    assert_eq!(d(&r["stored_value_spent"]), n("198"));
    assert_eq!(d(&r["stored_value_outstanding"]), n("302"));
    assert_eq!(d(&r["commission_by_staff"][0]["amount"]), n("35.6"), "10 % of 198 + 158");

    let text = shop.run(&["report", "daily"]).ok().stdout();
    assert!(text.contains("营业收入 Revenue    ¥404.50"), "{text}");
    let csv = shop.run(&["report", "weekly", "--format", "csv"]).ok().stdout();
    assert!(csv.lines().any(|l| l == ",营业收入 Revenue,404.50"), "{csv}");

    let file = shop.data().join("月报.xlsx");
    shop.run(&["report", "monthly", "--format", "xlsx", "--output", file.to_str().unwrap()]).ok();
    use calamine::{Reader, open_workbook_auto};
    let mut wb = open_workbook_auto(&file).unwrap();
    let sheets = wb.sheet_names();
    assert_eq!(sheets.len(), 16, "the report's eleven tables and the five of its trends: {sheets:?}");
    let summary = wb.worksheet_range(&sheets[0]).unwrap();
    let revenue = summary.rows().find(|r| r[0] == "营业收入 Revenue").unwrap();
    assert_eq!(revenue[1].to_string(), "404.5");
    let err = shop.run(&["report", "daily", "--format", "xlsx"]).fails().stderr();
    assert!(err.contains("--output"), "{err}");
}

/// Four `salonbox checkout` processes race to redeem one coupon: one wins, three are told.
#[test]
fn a_coupon_is_redeemed_once_by_racing_processes() {
    let shop = Shop::small();
    shop.add_customer("王小丽", WANG);
    shop.run(&["rules", "stored-value-cap", "1000"]).ok();
    shop.run(&["rules", "point-value", "0.02"]).ok();
    let err = shop.run(&["rules", "point-value", "0.001"]).fails().stderr();
    assert!(err.contains("two decimals"), "{err}");
    let err = shop.run(&["rules", "tier-review-on", "13-45"]).fails().stderr();
    assert!(err.contains("MM-DD"), "{err}");
    let err = shop
        .run(&["stored-value", "topup", "--customer", WANG, "--amount", "1200", "--pay", "cash=1200"])
        .fails()
        .stderr();
    assert!(err.contains("cap of 1000"), "{err}");

    shop.run(&["coupon", "template", "体验券", "--amount-off", "10"]).ok();
    let issued = shop.run(&["coupon", "issue", "体验券", "--customer", WANG]).ok().stdout();
    let code = issued.trim().rsplit(' ').next().unwrap().to_string();
    let children: Vec<_> = (0..4)
        .map(|_| {
            shop.cmd(&[
                "checkout",
                "--customer",
                WANG,
                "--service",
                "修眉造型",
                "--coupon",
                &code,
                "--pay",
                "cash=38.5",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let won = outputs.iter().filter(|o| o.status.success()).count();
    assert_eq!(won, 1, "{outputs:?}");
    for o in outputs.iter().filter(|o| !o.status.success()) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("already been used"), "{err}");
    }
    let redeemed: i64 = shop.sql("SELECT COUNT(*) FROM coupon_redemptions");
    assert_eq!(redeemed, 1);
}

#[test]
fn the_cashier_is_recorded_and_printed() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    let args = ["checkout", "--customer", "13812345678", "--service", "修眉造型@王芳", "--pay", "cash=50"];
    let r = shop.run(&[&args[..], &["--cashier", "张三"]].concat()).fails();
    assert!(r.stderr().contains("--cashier") && r.stderr().contains("张三"), "{}", r.stderr());
    let out = shop.run(&[&args[..], &["--cashier", "李娜", "--print"]].concat()).ok().stdout();
    // the line at its list price, and the receipt names who took the payment
    assert!(out.contains("¥48.50"), "{out}");
    let printed = std::fs::read_to_string(shop.data().join("printer-sim.txt")).unwrap();
    assert!(printed.contains("收银 Cashier 李娜") && printed.contains("￥48.50"), "{printed}");
    let by: String = shop.sql("SELECT s.name FROM visits v JOIN staff s ON s.id = v.checked_out_by");
    assert_eq!(by, "李娜");
}

/// 充1000送200 on ¥2,000: the owner chooses once (¥200) or per multiple (¥400); the
/// top-up says which rule gave what, and `rules show` lists everything in force.
#[test]
fn a_top_up_bonus_is_once_or_per_multiple_as_the_owner_chooses_and_rules_show_lists_the_rules() {
    let shop = Shop::small();
    shop.add_customer("王小丽", WANG);
    shop.run(&["rules", "topup-bonus", "1000", "200"]).ok();
    let t = shop.run(&["stored-value", "topup", "--customer", WANG, "--amount", "2000", "--pay", "cash=2000"]).ok();
    assert!(t.stdout().contains("每次充值送一次"), "{}", t.stdout());
    let j = shop
        .run(&["stored-value", "topup", "--customer", WANG, "--amount", "2000", "--pay", "cash=2000", "--json"])
        .ok()
        .json();
    assert_eq!(d(&j["bonus"]), n("200"), "once by default");
    shop.run(&["rules", "bonus-mode", "per-multiple"]).ok();
    let t = shop.run(&["stored-value", "topup", "--customer", WANG, "--amount", "2500", "--pay", "cash=2500"]).ok();
    assert!(t.stdout().contains("× 2"), "{}", t.stdout());
    let j = shop
        .run(&["stored-value", "topup", "--customer", WANG, "--amount", "2000", "--pay", "cash=2000", "--json"])
        .ok()
        .json();
    assert_eq!(d(&j["bonus"]), n("400"), "per multiple");
    let r = shop.run(&["rules", "bonus-mode", "sometimes"]).fails();
    assert!(r.stderr().contains("stored_value.bonus_mode"), "{}", r.stderr());

    shop.run(&["rules", "point-expiry-days", "365"]).ok();
    let text = shop.run(&["rules", "show"]).ok().stdout();
    for want in ["每元 1 分", "有效 365 天", "充 1000 送 200", "每满一次送一次", "提成"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let j = shop.run(&["rules", "show", "--json"]).ok().json();
    assert_eq!(j["bonus_per_multiple"], true);
    assert_eq!(j["points_expire_days"], 365);
}

/// A referral from the command line: asked at registration, rewarded at the first paid
/// service, shown on both customers; a rule for a later day waits in the list.
#[test]
fn a_referral_rewards_the_referrer_once_and_shows_on_both() {
    let shop = Shop::small();
    shop.add_customer("王小丽", WANG);
    shop.run(&["rules", "referral-points", "80", "--max-per-month", "2"]).ok();
    let bad = shop
        .run(&["customer", "add", "--name", "陈静", "--phone", "13912340000", "--referred-by", "13800009999"])
        .fails()
        .stderr();
    assert!(bad.contains("推荐人") || bad.contains("referred"), "{bad}");
    shop.run(&["customer", "add", "--name", "陈静", "--phone", "13912340000", "--referred-by", WANG]).ok();
    let before = shop.run(&["customer", "show", WANG]).ok().stdout();
    assert!(before.contains("陈静（待首次消费"), "{before}");
    for _ in 0..2 {
        shop.run(&["checkout", "--customer", "13912340000", "--service", "面部深层清洁@李娜", "--pay", "cash=198"])
            .ok();
    }
    let show = shop.run(&["customer", "show", WANG, "--json"]).ok().json();
    assert_eq!(show["membership"]["points"], 80, "once: {show}");
    assert_eq!(show["referrals"]["referred"][0][2], 80);
    let hers = shop.run(&["customer", "show", "13912340000"]).ok().stdout();
    assert!(hers.contains("推荐人 Referred by") && hers.contains("王小丽"), "{hers}");
    let later = shop.run(&["rules", "set", "referral.points", "120", "--from", "2099-01-01"]).ok().stdout();
    assert!(later.contains("2099-01-01"), "{later}");
    let changes = shop.run(&["rules", "changes"]).ok().stdout();
    assert!(changes.contains("referral.points = 120"), "{changes}");
}

/// A price from the command line: now, or from a later day (waiting in `rules changes`);
/// a bad price names the field and changes nothing.
#[test]
fn a_service_price_changes_now_or_from_a_day() {
    let shop = Shop::small();
    let err = shop.run(&["service", "price", "修眉造型", "五十"]).fails().stderr();
    assert!(err.contains("价格"), "{err}");
    shop.run(&["service", "price", "修眉造型", "58", "--minutes", "25"]).ok();
    let later = shop.run(&["service", "price", "修眉造型", "68", "--from", "2099-01-01"]).ok().stdout();
    assert!(later.contains("2099-01-01"), "{later}");
    let list = shop.run(&["service", "list", "--json"]).ok().json();
    let brow = list.as_array().unwrap().iter().find(|s| s["name"] == "修眉造型").unwrap();
    assert_eq!((d(&brow["price"]), brow["duration_min"].as_u64()), (n("58"), Some(25)), "{brow}");
    let changes = shop.run(&["rules", "changes"]).ok().stdout();
    assert!(changes.contains("¥68"), "{changes}");
}

/// 套餐: a bundle of services and a product at one price, sold, then redeemed item by item
/// (the product handed over leaves the stock), its price split by list value; a sale in use
/// cannot be voided until what used it is.
#[test]
fn a_package_is_sold_then_redeemed_item_by_item() {
    let shop = Shop::small();
    shop.add_customer("王小丽", WANG);
    shop.run(&["product", "add", "SKU-001", "修护精华", "--price", "120"]).ok();
    shop.run(&["stock", "in", "SKU-001", "3"]).ok();
    let err = shop
        .run(&["package", "add", "焕颜套餐", "--price", "999", "--item", "面部深层清洁*3", "--item", "火星护理"])
        .fails()
        .stderr();
    assert!(err.contains("火星护理") && err.contains("项目"), "{err}");
    let err = shop.run(&["package", "add", "焕颜套餐", "--price", "999", "--item", "面部深层清洁*零"]).fails().stderr();
    assert!(err.contains("面部深层清洁"), "{err}");
    let added = shop
        .run(&[
            "package",
            "add",
            "焕颜套餐",
            "--price",
            "599",
            "--item",
            "面部深层清洁*3",
            "--item",
            "修护精华",
            "--valid-days",
            "90",
        ])
        .ok()
        .stdout();
    assert!(added.contains("面部深层清洁×3") && added.contains("¥714"), "one by one 3×198 + 120: {added}");
    let dup = shop.run(&["package", "add", "焕颜套餐", "--price", "1", "--item", "修护精华"]).fails().stderr();
    assert!(dup.contains("焕颜套餐"), "{dup}");
    let err =
        shop.run(&["package", "sell", "--customer", WANG, "--package", "焕颜套餐", "--pay", "wechat=500"]).fails();
    assert!(err.stderr().contains("599"), "{}", err.stderr());
    let sale = shop
        .run(&["package", "sell", "--customer", WANG, "--package", "焕颜套餐", "--pay", "wechat=599", "--json"])
        .ok()
        .json();
    let items = sale["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{sale}");
    // ¥599 split as 594 : 120 of list value, to the fen
    let prices: Vec<Decimal> = items.iter().map(|i| d(&i["price"])).collect();
    assert_eq!(prices, vec![n("498.33"), n("100.67")], "{sale}");
    assert_eq!(prices.iter().sum::<Decimal>(), n("599"));
    let sale_visit = sale["visit_id"].as_str().unwrap().to_string();

    // two facials today, and the serum handed over
    let r = shop
        .run(&["checkout", "--customer", WANG, "--course", "面部深层清洁@李娜", "--course", "修护精华", "--json"])
        .ok()
        .json();
    assert_eq!(d(&r["bill"]["total"]), n("0"), "all prepaid: {r}");
    let left: Vec<i64> = r["lines"].as_array().unwrap().iter().map(|l| l["sessions_left"].as_i64().unwrap()).collect();
    assert_eq!(left, vec![2, 0]);
    let used = r["visit_id"].as_str().unwrap().to_string();
    let list = shop.run(&["stock", "list", "--json"]).ok().json();
    assert_eq!(list[0]["level"], 2, "the serum left the shelf");
    let again = shop.run(&["checkout", "--customer", WANG, "--course", "修护精华"]).fails().stderr();
    assert!(again.contains("剩余 0 次"), "{again}");
    let show = shop.run(&["customer", "show", WANG]).ok().stdout();
    assert!(show.contains("焕颜套餐 · 面部深层清洁 2/3") && show.contains("焕颜套餐 · 修护精华 0/1"), "{show}");

    // the sale cannot be voided while something of it is used
    let refused = shop.run(&["visit", "void", &sale_visit]).fails().stderr();
    assert!(refused.contains("已使用 2 次"), "{refused}");
    shop.run(&["visit", "void", &used]).ok();
    assert_eq!(shop.run(&["stock", "list", "--json"]).ok().json()[0]["level"], 3, "the void puts it back");
    shop.run(&["visit", "void", &sale_visit]).ok();
    let show = shop.run(&["customer", "show", WANG]).ok().stdout();
    assert!(!show.contains("焕颜套餐"), "a voided sale takes its items with it: {show}");

    // retired: not sold any more, listed with --all
    shop.run(&["package", "retire", "焕颜套餐"]).ok();
    let err =
        shop.run(&["package", "sell", "--customer", WANG, "--package", "焕颜套餐", "--pay", "wechat=599"]).fails();
    assert!(err.stderr().contains("焕颜套餐"), "{}", err.stderr());
    let all = shop.run(&["package", "list", "--all", "--json"]).ok().json();
    assert_eq!((all[0]["active"].as_bool(), all[0]["sold"].as_i64()), (Some(false), Some(0)), "{all}");
}
