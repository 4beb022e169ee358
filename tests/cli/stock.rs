use crate::common::*;

#[test]
fn receive_count_list_and_report_stock() {
    let shop = Shop::small();
    shop.run(&["product", "add", "SKU-001", "修护精华", "--price", "120"]).ok();
    shop.run(&[
        "stock",
        "product",
        "SKU-001",
        "--brand",
        "薇诺娜",
        "--spec",
        "30ml",
        "--cost",
        "58",
        "--low-stock",
        "5",
    ])
    .ok();
    let r = shop.run(&["stock", "in", "SKU-001", "6", "--batch", "B1", "--expires", "2027-06-30", "--cost", "58"]).ok();
    assert!(r.stdout().contains("+6") && r.stdout().contains("6"), "{}", r.stdout());
    // A treatment that uses a product: every 面部深层清洁 takes one.
    shop.run(&["stock", "material", "面部深层清洁", "SKU-001", "1"]).ok();
    shop.run(&["checkout", "--service", "面部深层清洁", "--product", "SKU-001", "--pay", "现金=318"]).ok();
    let list = shop.run(&["stock", "list", "--json"]).ok().json();
    assert_eq!(list[0]["level"], 4);
    assert_eq!(list[0]["next_expiry"], "2027-06-30");
    let text = shop.run(&["stock", "list"]).ok().stdout();
    assert!(text.contains("薇诺娜 30ml") && text.contains("库存不足"), "{text}");
    let r = shop.run(&["stock", "adjust", "SKU-001", "--count", "3", "--reason", "盘点"]).ok();
    assert!(r.stdout().contains("-1"), "{}", r.stdout());
    let report = shop.run(&["stock", "report", "--json"]).ok().json();
    assert_eq!(
        (&report[0]["received"], &report[0]["sold"], &report[0]["used"], &report[0]["adjusted"], &report[0]["closing"]),
        (&6.into(), &1.into(), &1.into(), &(-1).into(), &3.into())
    );
    // Bad input names what was wrong.
    let r = shop.run(&["stock", "in", "SKU-001", "2", "--expires", "明年"]).fails();
    assert!(r.stderr().contains("--expires"), "{}", r.stderr());
    let r = shop.run(&["stock", "adjust", "SKU-001", "--delta", "-1"]).fails();
    assert!(r.stderr().contains("--reason"), "{}", r.stderr());
    let r = shop.run(&["stock", "in", "NOPE", "2"]).fails();
    assert!(r.stderr().contains("NOPE"), "{}", r.stderr());
}

#[test]
fn stock_has_a_value_at_cost_and_a_stock_take_loss_its_money() {
    let shop = Shop::small();
    // No cost set on the product: the batches' costs count (6 at ¥58, then 4 at ¥63).
    shop.run(&["product", "add", "SKU-002", "补水面膜", "--price", "98"]).ok();
    shop.run(&["stock", "in", "SKU-002", "6", "--batch", "B1", "--cost", "58"]).ok();
    shop.run(&["stock", "in", "SKU-002", "4", "--batch", "B2", "--cost", "63"]).ok();
    let list = shop.run(&["stock", "list", "--json"]).ok().json();
    // (6 × 58 + 4 × 63) / 10 = 60.00 a unit; 10 on hand = 600.00
    assert_eq!((list[0]["cost"].as_str(), list[0]["value"].as_str()), (Some("60.00"), Some("600.00")), "{list}");
    let text = shop.run(&["stock", "list"]).ok().stdout();
    assert!(text.contains("¥60.00") && text.contains("¥600.00"), "{text}");
    // The stock-take finds 8: a loss of 2, taken from the first batch: 2 × ¥58.
    shop.run(&["stock", "adjust", "SKU-002", "--count", "8", "--reason", "盘点"]).ok();
    let report = shop.run(&["stock", "report", "--json"]).ok().json();
    assert_eq!(report[0]["adjusted"], -2);
    assert_eq!(report[0]["adjusted_value"].as_str(), Some("-116.00"), "{report}");
    // 4 × 58 + 4 × 63
    assert_eq!(report[0]["closing_value"].as_str(), Some("484.00"), "{report}");
    let text = shop.run(&["stock", "report"]).ok().stdout();
    assert!(text.contains("-¥116.00") || text.contains("¥-116.00"), "{text}");
}
