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
