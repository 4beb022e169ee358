//! Inventory through the library on a real database: batches in, sales and treatment
//! materials out first-expiring first at checkout, voids, stock-takes, the report, and the
//! staff alerts for low and expiring stock. The ledger replayed by hand must give the levels.

#[path = "support/artefacts.rs"]
mod artefacts;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
use salonbox::app::stock::ProductDetails;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::domain::checkout::Tender;

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
    fn new() -> Shop {
        let dir = artefacts::tempdir();
        init(&Config::default(), dir.path()).unwrap();
        let shop = Shop { dir, clock: Arc::new(FixedClock::new(two_pm())) };
        let mut app = shop.app();
        app.add_service("补水面膜护理", "面部护理", 60, "198", None, "test").unwrap();
        app.add_product("SKU-001", "修护精华", "产品", d("120"), "test").unwrap();
        app.add_product("MASK-01", "玻尿酸面膜", "耗材", d("30"), "test").unwrap();
        shop
    }

    fn app(&self) -> App {
        App::open(Config::default(), self.dir.path(), self.clock.clone()).unwrap()
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join(salonbox::store::DB_FILE)).unwrap()
    }

    /// The ledger replayed by hand: level per (product sku, batch number).
    fn replay(&self) -> HashMap<(String, String), i64> {
        let db = self.db();
        let mut st = db
            .prepare(
                "SELECT p.sku, COALESCE(b.batch_no, '-'), m.delta FROM stock_movements m
                 JOIN products p ON p.id = m.product_id LEFT JOIN product_batches b ON b.id = m.batch_id ORDER BY m.rowid",
            )
            .unwrap();
        let mut levels = HashMap::new();
        for row in
            st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))).unwrap()
        {
            let (sku, batch, delta) = row.unwrap();
            *levels.entry((sku, batch)).or_insert(0) += delta;
        }
        levels
    }
}

fn level(app: &mut App, sku: &str) -> i64 {
    app.stock_list().unwrap().into_iter().find(|r| r.sku == sku).unwrap().level
}

fn sale(items: Vec<(ItemKey, u32)>, cash: &str) -> CheckoutRequest {
    let items = items.into_iter().map(|(item, n)| ItemRequest::of(item, n)).collect();
    CheckoutRequest::paid(None, items, Tender::Cash, d(cash), "test")
}

#[test]
fn sales_take_the_first_expiring_batch_never_an_expired_one_and_the_ledger_replays() {
    let shop = Shop::new();
    let mut app = shop.app();
    // Received on 23 November: a batch expiring next June, one in December, one on the 25th.
    app.stock_in("SKU-001", 5, "B-JUN", Some("2027-06-30"), Some(d("60")), "test").unwrap();
    app.stock_in("SKU-001", 3, "B-DEC", Some("2026-12-31"), Some(d("58")), "test").unwrap();
    app.stock_in("SKU-001", 2, "B-NOV", Some("2026-11-25"), None, "test").unwrap();
    assert_eq!(level(&mut app, "SKU-001"), 10);
    // Expired stock is never received.
    let e = app.stock_in("SKU-001", 1, "OLD", Some("2026-11-01"), None, "test").unwrap_err().to_string();
    assert!(e.contains("--expires"), "{e}");

    // Three days later B-NOV has expired: a sale of 4 takes B-DEC's 3 and one of B-JUN.
    shop.clock.set(two_pm() + Duration::days(3));
    let r = app.checkout(&sale(vec![(ItemKey::Product("SKU-001".into()), 4)], "480")).unwrap();
    let levels = shop.replay();
    assert_eq!(levels[&("SKU-001".into(), "B-DEC".into())], 0);
    assert_eq!(levels[&("SKU-001".into(), "B-JUN".into())], 4);
    assert_eq!(levels[&("SKU-001".into(), "B-NOV".into())], 2, "the expired batch is untouched");
    assert_eq!(level(&mut app, "SKU-001"), 6);

    // More than the sellable stock: the rest is recorded without a batch (the level shows
    // the shortfall for the stock-take), the sale goes through.
    app.checkout(&sale(vec![(ItemKey::Product("SKU-001".into()), 5)], "600")).unwrap();
    let levels = shop.replay();
    assert_eq!(levels[&("SKU-001".into(), "B-JUN".into())], 0);
    assert_eq!(levels[&("SKU-001".into(), "-".into())], -1);
    assert_eq!(level(&mut app, "SKU-001"), 1);

    // A void puts the first sale back into the batches it came from.
    app.void_visit(&r.visit_id, "test").unwrap();
    let levels = shop.replay();
    assert_eq!(levels[&("SKU-001".into(), "B-DEC".into())], 3);
    assert_eq!(levels[&("SKU-001".into(), "B-JUN".into())], 1);
    assert_eq!(level(&mut app, "SKU-001"), 5);

    // Stock-take: 2 found on the shelf. The loss comes off the expired batch first.
    let (change, row) = app.stock_adjust("SKU-001", Some(2), None, None, "月底盘点", "test").unwrap();
    assert_eq!((change, row.level), (-3, 2));
    let levels = shop.replay();
    assert_eq!(levels[&("SKU-001".into(), "B-NOV".into())], 0, "expired stock counted out first");
    // Every level is the sum of the ledger: the same figure by both roads.
    let total: i64 = levels.iter().filter(|((sku, _), _)| sku == "SKU-001").map(|(_, v)| v).sum();
    assert_eq!(total, level(&mut app, "SKU-001"));
    // The ledger cannot be edited.
    let e = shop.db().execute("UPDATE stock_movements SET delta = 100", []).unwrap_err().to_string();
    assert!(e.contains("append-only"), "{e}");
    assert!(shop.db().execute("DELETE FROM stock_movements", []).is_err());
    // Bad input names the field.
    let e = app.stock_adjust("SKU-001", None, None, None, "盘点", "test").unwrap_err().to_string();
    assert!(e.contains("--count"), "{e}");
    let e = app.stock_adjust("SKU-001", Some(1), None, None, " ", "test").unwrap_err().to_string();
    assert!(e.contains("--reason"), "{e}");
    let e = app.stock_in("SKU-001", 0, "", None, None, "test").unwrap_err().to_string();
    assert!(e.contains("数量"), "{e}");
}

#[test]
fn treatments_use_their_materials_and_the_report_adds_up() {
    let shop = Shop::new();
    let mut app = shop.app();
    app.set_service_material("补水面膜护理", "MASK-01", 2, "test").unwrap();
    app.stock_in("MASK-01", 20, "M1", Some("2027-01-31"), Some(d("8")), "test").unwrap();
    app.stock_in("SKU-001", 6, "S1", None, None, "test").unwrap();
    // Two treatments and a serum.
    app.checkout(&sale(
        vec![(ItemKey::Service("补水面膜护理".into()), 2), (ItemKey::Product("SKU-001".into()), 1)],
        "516",
    ))
    .unwrap();
    assert_eq!(level(&mut app, "MASK-01"), 16);
    app.stock_adjust("MASK-01", None, Some(-1), Some("M1"), "破损", "test").unwrap();
    // A quote changes nothing.
    app.quote(&sale(vec![(ItemKey::Service("补水面膜护理".into()), 1)], "198")).unwrap();
    assert_eq!(level(&mut app, "MASK-01"), 15);

    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let report = app.stock_report(today, today).unwrap();
    let mask = report.iter().find(|r| r.sku == "MASK-01").unwrap();
    assert_eq!((mask.opening, mask.received, mask.used, mask.adjusted, mask.closing), (0, 20, 4, -1, 15));
    let serum = report.iter().find(|r| r.sku == "SKU-001").unwrap();
    assert_eq!((serum.received, serum.sold, serum.closing), (6, 1, 5));
    // The next day opens with yesterday's closing.
    let next = app.stock_report(today + Duration::days(1), today + Duration::days(1)).unwrap();
    assert_eq!(next.iter().find(|r| r.sku == "MASK-01").unwrap().opening, 15);
}

#[test]
fn staff_hear_of_low_expiring_and_expired_stock() {
    let shop = Shop::new();
    let mut app = shop.app();
    app.set_product_details(
        "SKU-001",
        &ProductDetails {
            brand: "薇诺娜".into(),
            spec: "30ml".into(),
            supplier: "云南贝泰妮".into(),
            cost: d("58"),
            low_stock: 5,
        },
        "test",
    )
    .unwrap();
    app.stock_in("SKU-001", 2, "E-1", Some("2026-11-24"), None, "test").unwrap();
    app.stock_in("SKU-001", 1, "E-2", Some("2026-12-10"), None, "test").unwrap();
    app.stock_in("MASK-01", 9, "FAR", Some("2027-12-31"), None, "test").unwrap();
    let row = app.stock_list().unwrap().into_iter().find(|r| r.sku == "SKU-001").unwrap();
    assert_eq!((row.brand.as_str(), row.spec.as_str(), row.level, row.low_stock), ("薇诺娜", "30ml", 3, 5));
    assert_eq!(row.next_expiry, NaiveDate::from_ymd_opt(2026, 11, 24));

    // Two days on, at 10:00: E-1 has expired, E-2 is within 30 days, FAR is not.
    let at = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).single().unwrap();
    let r = app.run_job("low_stock", at, false).unwrap();
    let templates: Vec<&str> = r.queued.iter().map(|q| q.template.as_str()).collect();
    assert_eq!(templates.iter().filter(|t| **t == "low_stock").count(), 1, "{r:?}");
    assert_eq!(templates.iter().filter(|t| **t == "stock_expiry").count(), 2, "{r:?}");
    let texts: Vec<String> = app
        .list_messages(Some("pending"), 10)
        .unwrap()
        .into_iter()
        .filter(|n| n.template == "stock_expiry")
        .map(|n| n.params.to_string())
        .collect();
    assert!(texts.iter().any(|t| t.contains("E-1") && t.contains("已于 2026-11-24 过期")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("E-2") && t.contains("还有 15 天")), "{texts:?}");
    // Once a day: the same run again queues nothing new.
    assert!(app.run_job("low_stock", at, false).unwrap().queued.is_empty());
}
