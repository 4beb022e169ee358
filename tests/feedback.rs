//! Feedback through the library: ratings of visits (once each), the owner told of a low
//! one, the interaction record, and ratings per beautician and service in the report.

#[path = "support/artefacts.rs"]
mod artefacts;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
use salonbox::app::customers::Registration;
use salonbox::app::feedback::Rating;
use salonbox::app::report::Period;
use salonbox::app::staff::StaffInput;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::domain::checkout::Tender;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn shop() -> (tempfile::TempDir, App) {
    let dir = artefacts::tempdir();
    init(&Config::default(), dir.path()).unwrap();
    // Monday 2026-11-23 14:00 in Shanghai.
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).single().unwrap()));
    let mut app = App::open(Config::default(), dir.path(), clock).unwrap();
    for name in ["李娜", "王芳"] {
        app.add_staff(&StaffInput { name: name.into(), role: "beautician".into(), ..Default::default() }, "test")
            .unwrap();
    }
    app.add_service("面部深层清洁", "面部护理", 60, "198", None, "test").unwrap();
    app.add_service("足部护理", "身体护理", 45, "158", None, "test").unwrap();
    app.register(&Registration {
        name: "王丽".into(),
        phone: "13800000001".into(),
        privacy_notice: Some("2026-11".into()),
        source: "test".into(),
        ..Default::default()
    })
    .unwrap();
    (dir, app)
}

fn visit(app: &mut App, service: &str, staff: &str, price: &str) -> String {
    let item =
        ItemRequest { staff: vec![(staff.into(), None)], ..ItemRequest::of(ItemKey::Service(service.into()), 1) };
    let req = CheckoutRequest::paid(Some("13800000001"), vec![item], Tender::Cash, d(price), "test");
    app.checkout(&req).unwrap().visit_id
}

fn rate(
    app: &mut App,
    visit: &str,
    stars: i64,
    comment: &str,
) -> salonbox::app::Result<salonbox::app::feedback::Rated> {
    app.rate_visit(
        &Rating { visit: Some(visit.into()), customer: None, stars, comment: comment.into(), channel: "kiosk".into() },
        "kiosk",
    )
}

#[test]
fn ratings_once_per_visit_a_low_one_reaches_the_owner_and_the_report_averages_them() {
    let (_dir, mut app) = shop();
    let v1 = visit(&mut app, "面部深层清洁", "李娜", "198");
    let v2 = visit(&mut app, "足部护理", "李娜", "158");
    let v3 = visit(&mut app, "面部深层清洁", "王芳", "198");

    let r = rate(&mut app, &v1, 5, "很专业").unwrap();
    assert!(!r.owner_alerted);
    assert_eq!(
        (r.visit.services.clone(), r.visit.staff.clone()),
        (vec!["面部深层清洁".to_string()], vec!["李娜".to_string()])
    );
    // A visit is rated once.
    let e = rate(&mut app, &v1, 1, "").unwrap_err().to_string();
    assert!(e.contains("已存在") || e.contains("already"), "{e}");
    // Out of range and too long: refused, naming the field.
    assert!(rate(&mut app, &v2, 0, "").unwrap_err().to_string().contains("rating"));
    assert!(rate(&mut app, &v2, 6, "").unwrap_err().to_string().contains("rating"));
    assert!(rate(&mut app, &v2, 3, &"长".repeat(201)).unwrap_err().to_string().contains("comment"));

    // Two stars: the owner hears of it (their phone, else the group), and the customer's
    // record keeps it for follow-up.
    let r = rate(&mut app, &v2, 2, "等了四十分钟").unwrap();
    assert!(r.owner_alerted);
    let alert = app
        .list_messages(Some("pending"), 20)
        .unwrap()
        .into_iter()
        .find(|n| n.template == "low_rating")
        .expect("an alert for the owner");
    assert_eq!(alert.audience, "owner");
    assert_eq!(alert.params["rating"], 2);
    assert_eq!(alert.params["staff"], "李娜");
    assert_eq!(alert.params["comment"], "等了四十分钟");
    let notes = app.interactions("13800000001", 10).unwrap();
    assert_eq!((notes[0].kind.as_str(), notes[0].text.as_str()), ("feedback", "2 星：等了四十分钟"));

    // By the customer: their latest visit (v3).
    let r = app
        .rate_visit(
            &Rating { customer: Some("13800000001".into()), stars: 4, channel: "link".into(), ..Default::default() },
            "cloud",
        )
        .unwrap();
    assert_eq!(r.visit.id, v3);

    // Staff notes.
    app.add_interaction("13800000001", "complaint", "对精油过敏，要求换产品", "李娜").unwrap();
    assert!(app.add_interaction("13800000001", "gossip", "x", "李娜").unwrap_err().to_string().contains("--kind"));
    assert_eq!(app.interactions("13800000001", 10).unwrap()[0].kind, "complaint");

    // The month's report: 李娜 (5 + 2) / 2 = 3.5, 王芳 4.0; 面部深层清洁 (5 + 4) / 2 = 4.5, 足部护理 2.0.
    let report = app.report(Period::Monthly, app.today()).unwrap();
    let staff: Vec<(String, i64, Decimal)> =
        report.ratings_by_staff.iter().map(|r| (r.label.clone(), r.ratings, r.average)).collect();
    assert_eq!(staff, vec![("王芳".into(), 1, d("4.0")), ("李娜".into(), 2, d("3.5"))]);
    let services: Vec<(String, i64, Decimal)> =
        report.ratings_by_service.iter().map(|r| (r.label.clone(), r.ratings, r.average)).collect();
    assert_eq!(services, vec![("面部深层清洁".into(), 2, d("4.5")), ("足部护理".into(), 1, d("2.0"))]);
    let section = report.sections().into_iter().find(|s| s.title.contains("Ratings")).unwrap();
    assert_eq!(section.rows.len(), 4);

    // A voided visit cannot be rated.
    let v4 = visit(&mut app, "足部护理", "王芳", "158");
    app.void_visit(&v4, "test").unwrap();
    assert!(rate(&mut app, &v4, 5, "").unwrap_err().to_string().contains("voided"));
}
