//! Cloud sync against the reference cloud on loopback (tests/support/cloud.rs): every answer
//! and fault of the spec, pulls with cursors and versions, the customer conflict rule, ten
//! thousand check-ins through a cloud failing 30% of requests, and a hundred `kill -9`s of
//! the real daemon in the middle of pushes and pulls.

#[path = "support/artefacts.rs"]
mod artefacts;
#[path = "support/cloud.rs"]
mod cloud;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use cloud::{Cloud, Fault};
use rust_decimal::Decimal;
use salonbox::app::checkin::{CheckinRequest, Identity};
use salonbox::app::customers::Registration;
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::domain::checkout::CouponKind;
use salonbox::store::CustomerPatch;
use salonbox::sync::{Sync, SyncError};
use serde_json::json;

/// 2026-11-23 (Monday) 10:30 in Shanghai.
fn monday() -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai.with_ymd_and_hms(2026, 11, 23, 10, 30, 0).single().unwrap().with_timezone(&Utc)
}

struct Shop {
    dir: tempfile::TempDir,
    clock: Arc<FixedClock>,
    config: Config,
    config_path: std::path::PathBuf,
}

impl Shop {
    fn new(cloud: &Cloud) -> Shop {
        Shop::with_config(&format!("{}\n[jobs]\nclock_sync_file = \"\"\n", cloud.config()))
    }

    fn with_config(text: &str) -> Shop {
        let dir = artefacts::tempdir();
        let config_path = dir.path().join("salonbox.toml");
        std::fs::write(&config_path, text).unwrap();
        let config = Config::from_toml(text, &config_path).unwrap();
        init(&config, dir.path()).unwrap();
        Shop { dir, clock: Arc::new(FixedClock::new(monday())), config, config_path }
    }

    fn app(&self) -> App {
        App::open(self.config.clone(), self.dir.path(), self.clock.clone()).unwrap()
    }

    fn engine(&self) -> Sync {
        Sync::from_config(&self.config.cloud).unwrap().expect("sync is on")
    }

    fn db(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(self.dir.path().join(salonbox::store::DB_FILE)).unwrap();
        c.busy_timeout(Duration::from_secs(15)).unwrap();
        c
    }

    /// Local events: id -> status.
    fn events(&self) -> HashMap<String, String> {
        let db = self.db();
        let mut st = db.prepare("SELECT id, status FROM sync_outbox WHERE type NOT LIKE 'internal.%'").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    }

    fn pending(&self) -> i64 {
        self.db().query_row("SELECT COUNT(*) FROM sync_outbox WHERE status = 'pending'", [], |r| r.get(0)).unwrap()
    }

    fn register(&self, app: &mut App, name: &str, phone: &str) -> String {
        app.register(&Registration {
            name: name.into(),
            phone: phone.into(),
            gender: Some("女".into()),
            privacy_notice: Some("2026-11".into()),
            source: "test".into(),
            ..Default::default()
        })
        .unwrap()
        .id
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn never() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    std::mem::forget(tx);
    rx
}

fn push(engine: &mut Sync, app: &mut App) -> Result<salonbox::sync::PushReport, SyncError> {
    rt().block_on(engine.push_all(app, &never()))
}

fn pull(engine: &mut Sync, app: &mut App) -> Result<salonbox::sync::PullReport, SyncError> {
    rt().block_on(engine.pull_all(app, &never()))
}

/// Every local event is on the server once, and the server has nothing else.
fn assert_all_delivered_once(shop: &Shop, cloud: &Cloud) {
    let local = shop.events();
    let server = cloud.events();
    let server_ids: HashSet<&str> = server.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(server_ids.len(), server.len(), "the server stored an event twice");
    for (id, status) in &local {
        match status.as_str() {
            "delivered" => {
                assert!(server_ids.contains(id.as_str()), "event {id} marked delivered but not on the server")
            }
            "rejected" => assert!(!server_ids.contains(id.as_str())),
            other => panic!("event {id} is still {other}"),
        }
    }
    for id in &server_ids {
        assert!(local.contains_key(*id), "the server holds {id}, which the shop never wrote");
    }
}

#[test]
fn a_push_delivers_every_event_once_in_seq_order() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 120, days_of_history: 30 }, 1).unwrap();
    let before = shop.pending();
    assert!(before > 200, "{before}");
    let mut engine = shop.engine();
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!(r.delivered as i64, before);
    assert_eq!((r.duplicates, r.rejected, r.unanswered), (0, 0, 0));
    assert_eq!(shop.pending(), 0);
    assert_all_delivered_once(&shop, &cloud);
    // What the cloud took is not kept: the delivered rows are receipts without payload.
    let kept: i64 = shop
        .db()
        .query_row("SELECT COUNT(*) FROM sync_outbox WHERE status = 'delivered' AND payload <> '{}'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 0, "delivered snapshots purged");
    // Seqs as the server received them are strictly increasing (it refuses a batch out of order).
    let seqs: Vec<i64> = cloud.events().iter().map(|e| e.1).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    // Nothing left: no request.
    let n = cloud.control().log.len();
    assert_eq!(push(&mut engine, &mut app).unwrap().requests, 0);
    assert_eq!(cloud.control().log.len(), n);
    // Payloads carry money as decimal strings and times with the shop's offset.
    let visit = cloud.events().into_iter().find(|e| e.2 == "visit.completed").unwrap();
    let p = cloud.event_payload(&visit.0).unwrap();
    assert!(p["total"].as_str().unwrap().parse::<Decimal>().is_ok(), "{p}");
    assert!(p["at"].as_str().unwrap().ends_with("+08:00"), "{p}");
    let s = app.sync_state().unwrap();
    assert_eq!((s.queued, s.rejected), (0, 0));
    assert!(s.last_success_at.is_some() && s.last_push_at.is_some());
}

#[test]
fn no_identity_card_number_leaves_the_shop() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    app.register(&Registration {
        name: "赵敏".into(),
        phone: "13700001234".into(),
        id_number: Some("11010519491231002X".into()),
        privacy_notice: Some("2026-11".into()),
        source: "test".into(),
        ..Default::default()
    })
    .unwrap();
    let mut engine = shop.engine();
    let r = push(&mut engine, &mut app).unwrap();
    // The server rejects any payload holding a checksum-valid number: nothing was rejected.
    assert_eq!((r.delivered, r.rejected), (1, 0));
    let e = &cloud.events()[0];
    let p = cloud.event_payload(&e.0).unwrap();
    assert_eq!(p["id_card_masked"], "110105********002X");
    assert!(!cloud::holds_id_number(&p.to_string()));
}

#[test]
fn too_large_halves_the_batch_and_a_single_413_is_set_aside() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    for i in 0..40 {
        shop.register(&mut app, &format!("顾客{i}"), &format!("1380000{i:04}"));
    }
    // 413 for the batch of 40, then for its first half of 20: then 10 + 10 + 20 go through.
    cloud.fail(&[Fault::TooLarge, Fault::TooLarge]);
    let mut engine = shop.engine();
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!((r.delivered, r.rejected), (40, 0));
    assert_eq!(r.requests, 5);
    assert_all_delivered_once(&shop, &cloud);

    // One event that the cloud always finds too large: set aside, never retried in a loop.
    shop.register(&mut app, "大事件", "13800009999");
    cloud.fail(&[Fault::TooLarge]);
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!((r.delivered, r.rejected, r.requests), (0, 1, 1));
    let problems = app.sync_problems(10).unwrap();
    assert!(problems.rejected_events[0].reason.contains("413"), "{problems:?}");
    assert_eq!(shop.pending(), 0);
}

#[test]
fn a_batch_the_cloud_cannot_read_is_halved_down_to_the_one_bad_event() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 30, days_of_history: 0 }, 2).unwrap();
    let first = app.list_customers(1, 0).unwrap()[0].id.clone();
    app.waitlist_add(&first, "足部护理", None, "2026-11-24 10:00", "2026-11-24 18:00", "test").unwrap();
    for i in 0..20 {
        shop.register(&mut app, &format!("后来{i}"), &format!("1390000{i:04}"));
    }
    let total = shop.pending();
    cloud.control().unreadable_type = Some("waitlist.changed".into());
    let mut engine = shop.engine();
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!(r.rejected, 1);
    assert_eq!(r.delivered as i64, total - 1);
    let p = app.sync_problems(10).unwrap();
    assert_eq!(p.rejected_events.len(), 1);
    assert_eq!(p.rejected_events[0].event_type, "waitlist.changed");
    assert!(p.rejected_events[0].reason.contains("cannot read an event of type waitlist.changed"), "{p:?}");
    assert_all_delivered_once(&shop, &cloud);
}

#[test]
fn rejected_events_are_set_aside_and_never_block_the_rest() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    for i in 0..5 {
        shop.register(&mut app, &format!("顾客{i}"), &format!("1380000{i:04}"));
    }
    let ids: Vec<String> = {
        let db = shop.db();
        let mut st = db.prepare("SELECT id FROM sync_outbox ORDER BY seq").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    cloud.control().reject_ids = vec![ids[1].clone()];
    let mut engine = shop.engine();
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!((r.delivered, r.rejected), (4, 1));
    let p = app.sync_problems(10).unwrap();
    assert_eq!(p.rejected_events[0].id, ids[1]);
    assert_eq!(p.rejected_events[0].reason, "refused by the test");
    assert_eq!(app.sync_state().unwrap().rejected, 1);
    // A later event goes through; the rejected one is not sent again.
    shop.register(&mut app, "后来", "13800001111");
    let n = cloud.control().log.len();
    assert_eq!(push(&mut engine, &mut app).unwrap().delivered, 1);
    assert_eq!(cloud.control().log.len(), n + 1);
}

#[test]
fn faults_mark_nothing_and_a_resend_is_answered_as_duplicate() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    for i in 0..10 {
        shop.register(&mut app, &format!("顾客{i}"), &format!("1380000{i:04}"));
    }
    let mut engine = shop.engine();
    for (fault, what) in [
        (Fault::Status500, "HTTP 500"),
        (Fault::Reset, "network"),
        (Fault::Garbage, "cannot be read"),
        (Fault::StoredThenReset, "network"),
        (Fault::StoredThenHang, "timeout"),
    ] {
        cloud.fail(&[fault]);
        let e = push(&mut engine, &mut app).unwrap_err();
        assert!(e.to_string().contains(what), "{fault:?}: {e}");
        assert!(!e.is_permanent());
        assert_eq!(shop.pending(), 10, "{fault:?} marked something");
    }
    for (fault, status) in [(Fault::TooMany, 429), (Fault::Unavailable, 503)] {
        cloud.fail(&[fault]);
        match push(&mut engine, &mut app).unwrap_err() {
            SyncError::Throttled { status: s, retry_after } => {
                assert_eq!((s, retry_after), (status, Duration::from_secs(1)));
            }
            e => panic!("{e}"),
        }
    }
    // The batch was stored twice over (stored-then-reset, stored-then-hang): the resend is
    // answered duplicate, stored once, and marked delivered.
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!((r.delivered, r.duplicates), (0, 10));
    assert_eq!(shop.pending(), 0);
    assert!(cloud.events().iter().all(|e| e.3 == 3), "each event arrived three times: {:?}", cloud.events());
    assert_all_delivered_once(&shop, &cloud);
}

#[test]
fn an_answer_that_names_none_of_the_batch_marks_none() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    shop.register(&mut app, "甲", "13800000001");
    let mut engine = shop.engine();
    push(&mut engine, &mut app).unwrap();
    shop.register(&mut app, "乙", "13800000002");
    // The server stores the new event but answers with the previous answer (about "甲").
    cloud.fail(&[Fault::PreviousAnswer]);
    let e = push(&mut engine, &mut app).unwrap_err();
    assert!(matches!(e, SyncError::BadAnswer(_)), "{e}");
    assert_eq!(shop.pending(), 1);
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!(r.duplicates, 1);
    // An answer written twice on the connection: the first is read, the rest ignored.
    shop.register(&mut app, "丙", "13800000003");
    cloud.fail(&[Fault::DoubleAnswer]);
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!(r.delivered, 1);
    assert_all_delivered_once(&shop, &cloud);
}

#[test]
fn a_refused_token_stops_sync_until_the_configuration_changes() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    shop.register(&mut app, "甲", "13800000001");
    cloud.control().refuse_token = true;
    let mut engine = shop.engine();
    let (tx, stop) = tokio::sync::watch::channel(false);
    rt().block_on(engine.tick(&mut app, true, &stop));
    assert!(engine.blocked());
    let s = app.sync_state().unwrap();
    assert!(s.auth_refused_at.is_some());
    assert!(s.last_error.unwrap().contains("device token"));
    assert_eq!(s.queued, 1, "everything queued is kept");
    // Ticks do nothing while blocked: no request reaches the server.
    let n = cloud.control().log.len();
    rt().block_on(engine.tick(&mut app, true, &stop));
    assert_eq!(cloud.control().log.len(), n);
    drop(tx);
    // A restarted daemon with the same configuration stays paused ...
    let mut again = shop.engine();
    again.restore(&mut app).unwrap();
    assert!(again.blocked());
    // ... one with a new token does not.
    let mut config = shop.config.clone();
    config.cloud.device_token = Some(toml_secret("new-token"));
    let mut fresh = Sync::from_config(&config.cloud).unwrap().unwrap();
    fresh.restore(&mut app).unwrap();
    assert!(!fresh.blocked());
    // The cloud takes the token again: the shop catches up.
    cloud.control().refuse_token = false;
    let r = push(&mut again, &mut app).unwrap();
    assert_eq!(r.delivered, 1);
}

fn toml_secret(s: &str) -> salonbox::config::Secret {
    let text = format!("[cloud]\ndevice_token = \"{s}\"\n");
    Config::from_toml(&text, std::path::Path::new("/tmp/x.toml")).unwrap().cloud.device_token.unwrap()
}

/// A feed of every change type, referring to each other by the cloud's ids.
fn feed(cloud: &Cloud) {
    cloud.add_change(
        "ch-1",
        "service.upserted",
        Some(1),
        json!({
            "id": "svc-9", "name": "头皮护理", "category": "头部", "duration_min": 45, "price": "168.00"
        }),
    );
    cloud.add_change("ch-2", "staff.upserted", Some(1), json!({ "id": "st-9", "name": "周敏", "role": "beautician" }));
    cloud.add_change(
        "ch-3",
        "customer.upserted",
        Some(1),
        json!({
            "id": "cu-9", "name": "孙丽", "phone": "+86 139 1234 5678", "tags": ["线上"], "marketing_consent": true,
            "updated_at": "2026-11-22T09:00:00+08:00"
        }),
    );
    let booked = json!({
        "id": "ap-9", "customer_id": "cu-9", "service_id": "svc-9", "staff_id": "st-9",
        "starts_at": "2026-11-24T14:00:00+08:00", "note": "线上预约", "updated_at": "2026-11-22T09:00:00+08:00"
    });
    let moved = json!({
        "id": "ap-9", "customer_id": "cu-9", "service_id": "svc-9", "staff_id": "st-9",
        "starts_at": "2026-11-24T15:00:00+08:00", "note": "改到三点", "updated_at": "2026-11-22T10:00:00+08:00"
    });
    cloud.add_change("ch-4", "appointment.upserted", Some(1), booked.clone());
    cloud.add_change("ch-5", "appointment.upserted", Some(2), moved.clone());
    // The same change again (a resend) and an older version after a newer one.
    cloud.add_change("ch-5", "appointment.upserted", Some(2), moved);
    cloud.add_change("ch-4", "appointment.upserted", Some(1), booked);
    cloud.add_change(
        "ch-6",
        "coupon.issued",
        Some(1),
        json!({ "id": "cp-9", "customer_id": "cu-9", "template": "新客券" }),
    );
    cloud.add_change(
        "ch-7",
        "customer.unsubscribed",
        None,
        json!({ "phone": "+8613912345678", "at": "2026-11-22T11:00:00+08:00" }),
    );
    cloud.add_change("ch-8", "loyalty.v2_points", Some(1), json!({ "anything": true }));
    cloud.add_change(
        "ch-9",
        "appointment.upserted",
        Some(1),
        json!({
            "id": "ap-10", "customer_id": "cu-unknown", "service_id": "svc-9",
            "starts_at": "2026-11-24T16:00:00+08:00", "updated_at": "2026-11-22T09:00:00+08:00"
        }),
    );
    cloud.add_change("ch-10", "config.changed", None, json!({ "opening_hours": { "sun": "closed" } }));
    cloud.add_change(
        "ch-11",
        "message.status",
        None,
        json!({
            "dedupe_key": "nobody:here", "status": "delivered", "at": "2026-11-22T11:00:00+08:00"
        }),
    );
}

fn applied_per_change(shop: &Shop) -> HashMap<String, i64> {
    let db = shop.db();
    let mut st = db
        .prepare(
            "SELECT json_extract(detail, '$.change'), COUNT(*) FROM audit_log WHERE action = 'sync.apply' GROUP BY 1",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_pull_applies_every_change_type_once_by_version_and_keeps_the_cursor() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    app.add_service("足部护理", "身体", 60, "98", None, "test").unwrap();
    app.add_coupon_template(
        "新客券",
        &CouponKind::AmountOff { amount: "30".parse().unwrap(), min_spend: Decimal::ZERO },
        30,
        1,
        "test",
    )
    .unwrap();
    feed(&cloud);
    let mut engine = shop.engine();
    let r = pull(&mut engine, &mut app).unwrap();
    assert_eq!(r.changes, 13);
    // ch-1..ch-7, ch-10, ch-11 applied; the resend and the older version are old; the
    // unknown type is skipped and logged; the appointment of an unknown customer is kept aside.
    assert_eq!((r.applied.applied, r.applied.old, r.applied.unknown, r.applied.skipped), (9, 2, 1, 1), "{r:?}");

    let svc = app.service_by_name("头皮护理").unwrap().unwrap();
    assert_eq!((svc.duration_min, svc.price), (45, "168.00".parse().unwrap()));
    let c = app.find_customers("孙丽", 5).unwrap();
    assert_eq!(c.len(), 1);
    let c = &c[0];
    assert_eq!(c.phone.as_ref().unwrap().as_str(), "13912345678");
    assert_eq!(c.source, "cloud");
    let appts = app.appointments_on(Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()), None, true).unwrap();
    assert_eq!(appts.len(), 1);
    assert_eq!(appts[0].starts_at, chrono_tz::Asia::Shanghai.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap());
    assert_eq!(appts[0].ends_at - appts[0].starts_at, chrono::Duration::minutes(45));
    assert_eq!((appts[0].staff_name.as_deref(), appts[0].note.as_str()), (Some("周敏"), "改到三点"));
    let m = app.membership(&c.id).unwrap();
    assert_eq!(m.coupons.len(), 1, "{m:?}");
    let opted_out: Option<i64> =
        shop.db().query_row("SELECT marketing_opt_out_at FROM customers WHERE id = ?1", [&c.id], |r| r.get(0)).unwrap();
    assert!(opted_out.is_some(), "回T退订 came back through pull");
    // both are counted where staff look (sync status), not only logged
    let p = app.sync_problems(10).unwrap();
    assert_eq!(p.skipped_changes.len(), 2, "{p:?}");
    assert!(p.skipped_changes.iter().any(|s| s.reason.contains("cu-unknown")), "{p:?}");
    assert!(
        p.skipped_changes
            .iter()
            .any(|s| s.change_type == "loyalty.v2_points" && s.reason.contains("unknown change type")),
        "{p:?}"
    );
    assert!(applied_per_change(&shop).values().all(|&n| n == 1));

    // Nothing new: one request, nothing applied, same cursor.
    let cursor = app.sync_state().unwrap().cursor;
    let r = pull(&mut engine, &mut app).unwrap();
    assert_eq!((r.pages, r.changes), (1, 0));
    assert_eq!(app.sync_state().unwrap().cursor, cursor);

    // A forgotten cursor (410): start again from the beginning; nothing applies twice.
    cloud.control().forget_before = 1000;
    let r = pull(&mut engine, &mut app).unwrap();
    assert_eq!(r.changes, 13);
    assert_eq!(r.applied.applied, 3, "only the unversioned changes run again, and they change nothing: {r:?}");
    cloud.control().forget_before = 0;
    let per = applied_per_change(&shop);
    for (change, n) in &per {
        let expected = if ["ch-7", "ch-10", "ch-11"].contains(&change.as_str()) { 2 } else { 1 };
        assert_eq!(*n, expected, "{change}");
    }
    assert_eq!(app.membership(&c.id).unwrap().coupons.len(), 1);
}

#[test]
fn pages_follow_has_more_and_a_failed_page_applies_nothing() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    for i in 0..1200 {
        cloud.add_change(
            &format!("ch-{i}"),
            "customer.upserted",
            Some(1),
            json!({
                "id": format!("cu-{i}"), "name": format!("云顾客{i}"), "phone": format!("1350000{i:04}"),
                "updated_at": "2026-11-22T09:00:00+08:00"
            }),
        );
    }
    let mut engine = shop.engine();
    // The second page's answer is lost after the server served it: the first page stays
    // applied with its cursor, the second is asked again.
    cloud.fail(&[Fault::Status500]);
    assert!(pull(&mut engine, &mut app).is_err());
    assert_eq!(app.sync_state().unwrap().cursor, None);
    let r = pull(&mut engine, &mut app);
    assert!(r.is_ok(), "{r:?}");
    let r = r.unwrap();
    assert_eq!((r.pages, r.changes, r.applied.applied), (3, 1200, 1200));
    assert_eq!(app.sync_state().unwrap().cursor.as_deref(), Some("c1200"));
    cloud.fail(&[Fault::Garbage]);
    assert!(matches!(pull(&mut engine, &mut app), Err(SyncError::BadAnswer(_))));
    assert_eq!(applied_per_change(&shop).len(), 1200);
}

#[test]
fn a_customer_edited_in_both_places_ends_as_the_conflict_rule_says() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    // 09:00: two customers registered in the shop, both sent up.
    shop.clock.set(monday() - chrono::Duration::minutes(90));
    let early = shop.register(&mut app, "王芳", "13800000001");
    let late = shop.register(&mut app, "李静", "13800000002");
    let mut engine = shop.engine();
    push(&mut engine, &mut app).unwrap();
    // 10:00 in the shop: 李静's notes are edited.
    shop.clock.set(monday() - chrono::Duration::minutes(30));
    app.edit_customer(
        &late,
        CustomerPatch { notes: Some("店内备注：对香精过敏".into()), ..Default::default() },
        "staff",
    )
    .unwrap();
    // Head office edited both at 09:30 (by the cloud's updated_at), referring to the shop's ids.
    for (n, id, name) in [(1, &early, "王芳芳"), (2, &late, "李静静")] {
        cloud.add_change(
            &format!("ch-{n}"),
            "customer.upserted",
            Some(1),
            json!({
                "id": format!("cloud-{n}"), "local_id": id, "name": name, "notes": "总部备注",
                "updated_at": "2026-11-23T09:30:00+08:00"
            }),
        );
    }
    shop.clock.set(monday());
    let r = pull(&mut engine, &mut app).unwrap();
    assert_eq!((r.applied.applied, r.applied.kept_local), (1, 1), "{r:?}");
    // 王芳 was not touched in the shop after 09:30: the cloud's edit is applied.
    let a = app.customer_by_key(&early).unwrap();
    assert_eq!((a.name.as_str(), a.notes.as_str()), ("王芳芳", "总部备注"));
    // 李静 was edited in the shop at 10:00, after the cloud's 09:30: the shop's edit stays ...
    let b = app.customer_by_key(&late).unwrap();
    assert_eq!((b.name.as_str(), b.notes.as_str()), ("李静", "店内备注：对香精过敏"));
    // ... and goes up again as the newest snapshot.
    push(&mut engine, &mut app).unwrap();
    let ups: Vec<serde_json::Value> = cloud
        .events()
        .iter()
        .filter(|e| e.2 == "customer.upserted")
        .filter_map(|e| cloud.event_payload(&e.0))
        .filter(|p| p["id"] == late.as_str())
        .collect();
    let last = ups.last().unwrap();
    assert_eq!(last["notes"], "店内备注：对香精过敏");
    // The cloud's version is recorded for both: the same change again is old news.
    cloud.control().forget_before = 1000;
    let r = pull(&mut engine, &mut app).unwrap();
    assert_eq!(r.applied.old, 2);
    // A newer cloud edit after the shop's: applied.
    cloud.control().forget_before = 0;
    cloud.add_change(
        "ch-3",
        "customer.upserted",
        Some(2),
        json!({
            "id": "cloud-2", "name": "李静", "notes": "总部再次修改", "updated_at": "2026-11-23T10:15:00+08:00"
        }),
    );
    pull(&mut engine, &mut app).unwrap();
    assert_eq!(app.customer_by_key(&late).unwrap().notes, "总部再次修改");
}

#[test]
fn ten_thousand_checkins_through_a_cloud_failing_thirty_percent_arrive_exactly_once() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 300, days_of_history: 0 }, 3).unwrap();
    let phones: Vec<_> = app.list_customers(300, 0).unwrap().into_iter().filter_map(|c| c.phone).collect();
    {
        let mut c = cloud.control();
        c.fault_rate = 0.3;
        c.hang = Duration::from_millis(1100);
    }
    let done = Arc::new(AtomicBool::new(false));
    let syncer = {
        let (config, dir, clock, done) =
            (shop.config.clone(), shop.dir.path().to_path_buf(), shop.clock.clone(), done.clone());
        std::thread::spawn(move || {
            let mut app = App::open(config.clone(), &dir, clock).unwrap();
            let mut engine = Sync::from_config(&config.cloud).unwrap().unwrap();
            let (_tx, stop) = tokio::sync::watch::channel(false);
            let rt = rt();
            let mut drained_at = None;
            loop {
                rt.block_on(engine.tick(&mut app, true, &stop));
                let queued = app.sync_state().unwrap().queued;
                if done.load(Ordering::SeqCst) {
                    let since = *drained_at.get_or_insert_with(Instant::now);
                    if queued == 0 {
                        return since.elapsed();
                    }
                    assert!(since.elapsed() < Duration::from_secs(60), "not drained a minute after the faults stopped");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // A hundred rounds of a hundred check-ins; after each, the shop goes on once sync has
    // made another request, so pushes (and faults) interleave with the check-ins.
    for round in 0..100usize {
        let seen = cloud.control().log.len();
        for j in 0..100usize {
            let i = round * 100 + j;
            if i % 20 == 0 {
                shop.clock.advance(chrono::Duration::days(1));
            }
            app.check_in(&CheckinRequest {
                identity: Identity::Phone(phones[i % phones.len()].clone()),
                service: Some("足部护理".into()),
                staff: None,
            })
            .unwrap();
        }
        let waiting = Instant::now();
        while cloud.control().log.len() == seen {
            assert!(waiting.elapsed() < Duration::from_secs(30), "sync made no request for 30 s");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let (played, requests) = {
        let mut c = cloud.control();
        c.fault_rate = 0.0;
        (c.faults_played, c.log.len())
    };
    eprintln!("{requests} requests while checking in, {played} faults");
    done.store(true, Ordering::SeqCst);
    let drain = syncer.join().unwrap();
    assert!(played >= 10, "only {played} faults were played");
    assert_all_delivered_once(&shop, &cloud);
    let checkins = cloud.events().iter().filter(|e| e.2 == "checkin.created").count();
    assert_eq!(checkins, 10_000);
    eprintln!("{played} faults; drained {drain:?} after they stopped");
}

/// The real daemon, killed with SIGKILL at random moments 100 times while it pushes events
/// and pulls changes: nothing lost, nothing doubled, nothing skipped.
#[test]
fn a_hundred_kills_during_push_and_pull_lose_double_and_skip_nothing() {
    use rand::{Rng, SeedableRng};
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 200, days_of_history: 20 }, 4).unwrap();
    let phones: Vec<_> = app.list_customers(200, 0).unwrap().into_iter().filter_map(|c| c.phone).collect();
    app.add_coupon_template(
        "云券",
        &CouponKind::AmountOff { amount: "10".parse().unwrap(), min_spend: Decimal::ZERO },
        30,
        1000,
        "test",
    )
    .unwrap();
    // Each request takes a little while, so that a kill can land inside one.
    cloud.control().latency = Duration::from_millis(15);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut change = 0usize;
    let mut add_changes = |cloud: &Cloud, n: usize| {
        for _ in 0..n {
            change += 1;
            let k = change;
            // Customers, each edited in three versions, appointments moved, coupons issued.
            let (t, v, p) = match k % 4 {
                0 => (
                    "customer.upserted",
                    (k / 40 % 3 + 1) as i64,
                    json!({
                        "id": format!("cu-{}", k / 120), "name": format!("云顾客{}-v{}", k / 120, k / 40 % 3 + 1),
                        "phone": format!("1360000{:04}", k / 120), "updated_at": "2026-11-20T09:00:00+08:00"
                    }),
                ),
                1 => {
                    ("coupon.issued", 1, json!({ "id": format!("cp-{k}"), "customer_id": "cu-0", "template": "云券" }))
                }
                2 => (
                    "appointment.upserted",
                    (k as i64),
                    json!({
                        "id": "ap-moving", "customer_id": "cu-0", "service_id": "svc-1",
                        "starts_at": format!("2026-12-{:02}T10:00:00+08:00", 1 + k % 28), "updated_at": "2026-11-20T09:00:00+08:00"
                    }),
                ),
                _ => (
                    "service.upserted",
                    k as i64,
                    json!({
                        "id": "svc-1", "name": "云端项目", "duration_min": 30 + k % 60, "price": format!("{}.00", 100 + k)
                    }),
                ),
            };
            cloud.add_change(&format!("ch-{k}"), t, Some(v), p);
        }
    };
    // The first customer must exist before anything refers to it.
    cloud.add_change(
        "ch-0",
        "customer.upserted",
        Some(1),
        json!({
            "id": "cu-0", "name": "云顾客0", "phone": "13600000000", "updated_at": "2026-11-20T09:00:00+08:00"
        }),
    );
    add_changes(&cloud, 1200);
    let bin = env!("CARGO_BIN_EXE_salonbox");
    let mut interrupted = 0;
    for cycle in 0..100 {
        for i in 0..30 {
            app.check_in(&CheckinRequest {
                identity: Identity::Phone(phones[(cycle * 30 + i) % phones.len()].clone()),
                service: Some("足部护理".into()),
                staff: None,
            })
            .unwrap_or_else(|e| panic!("{e}"));
        }
        shop.clock.advance(chrono::Duration::days(1));
        add_changes(&cloud, 12);
        let before = cloud.control().log.len();
        let mut child = std::process::Command::new(bin)
            .arg("--config")
            .arg(&shop.config_path)
            .arg("--data-dir")
            .arg(shop.dir.path())
            .arg("daemon")
            .env("SALONBOX_LOG", "info")
            .stdout(std::process::Stdio::null())
            // The daemon's log stays with the shop, for the privacy sweep (tests/zz_privacy.rs).
            .stderr(artefacts::log(shop.dir.path(), "daemon.log"))
            .spawn()
            .unwrap();
        // Once its first request has reached the cloud, the daemon dies at a random moment
        // of the next 60 ms (a request takes 15 ms, a round of push and pull three or more).
        let started = Instant::now();
        while cloud.control().log.len() == before {
            assert!(started.elapsed() < Duration::from_secs(20), "the daemon made no request");
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..60)));
        child.kill().unwrap();
        child.wait().unwrap();
        // Was it cut off with work left (events queued, changes not yet pulled)?
        let left: i64 = shop.pending();
        let cursor = app.sync_state().unwrap().cursor;
        if left > 0 || cursor != Some(format!("c{}", cloud.last_change())) {
            interrupted += 1;
        }
    }
    eprintln!("{interrupted} of 100 kills cut the daemon off with work left");
    assert!(interrupted >= 30, "only {interrupted} of 100 kills cut the daemon off in the middle of its work");
    // Caught up in one last run without kills.
    let mut engine = shop.engine();
    let mut app = shop.app();
    // (Pull first: customers created from the cloud write events of their own.)
    rt().block_on(async {
        engine.pull_all(&mut app, &never()).await.unwrap();
        engine.push_all(&mut app, &never()).await.unwrap();
    });
    assert_all_delivered_once(&shop, &cloud);
    // Every change applied exactly once, or skipped as old: none twice, none missing.
    let per = applied_per_change(&shop);
    assert!(per.values().all(|&n| n == 1), "a change was applied twice");
    let coupons: i64 =
        shop.db().query_row("SELECT COUNT(*) FROM coupons WHERE issued_by = 'cloud'", [], |r| r.get(0)).unwrap();
    assert_eq!(coupons as usize, (1..=change).filter(|k| k % 4 == 1).count(), "every cloud coupon once");
    let appt_version: i64 = shop
        .db()
        .query_row("SELECT version FROM cloud_ids WHERE entity = 'appointment' AND cloud_id = 'ap-moving'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let last_appt = (1..=change).filter(|k| k % 4 == 2).max().unwrap();
    assert_eq!(appt_version, last_appt as i64);
    let starts: i64 = shop
        .db()
        .query_row(
            "SELECT a.starts_at FROM appointments a JOIN cloud_ids c ON c.local_id = a.id WHERE c.cloud_id = 'ap-moving'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let expected = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 12, 1 + (last_appt % 28) as u32, 10, 0, 0)
        .unwrap()
        .timestamp_millis();
    assert_eq!(starts, expected);
    assert_eq!(app.sync_state().unwrap().cursor, Some(format!("c{}", change + 1)));
    let ok: String = shop.db().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn sync_commands_report_queue_errors_and_rejections() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    for i in 0..3 {
        shop.register(&mut app, &format!("顾客{i}"), &format!("1380000{i:04}"));
    }
    let bin = env!("CARGO_BIN_EXE_salonbox");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .arg("--config")
            .arg(&shop.config_path)
            .arg("--data-dir")
            .arg(shop.dir.path())
            .args(args)
            .env("SALONBOX_NOW", "2026-11-23T11:00:00+08:00")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&["sync", "status", "--json"]);
    assert_eq!(code, Some(0));
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["queued"], 3);
    assert_eq!(s["last_success_at"], serde_json::Value::Null);
    // 30 minutes waiting is under the hour of offline_alert_minutes.
    assert_eq!(s["oldest_queued_age_seconds"], 1800);
    assert_eq!(s["offline_since"], serde_json::Value::Null);

    // a cloud that keeps failing: tried again within the run, then reported
    cloud.fail(&[Fault::Status500; 4]);
    let (code, _, err) = run(&["sync", "now"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("HTTP 500"), "{err}");
    assert_eq!(cloud.control().faults_played, 4, "sync now tries four times");
    let (_, out, _) = run(&["sync", "status"]);
    assert!(out.contains("待发事件 / queued events: 3") && out.contains("HTTP 500"), "{out}");

    let ids: Vec<String> = {
        let db = shop.db();
        let mut st = db.prepare("SELECT id FROM sync_outbox ORDER BY seq").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    cloud.control().reject_ids = vec![ids[0].clone()];
    // one failure on the way is not the end of the run
    cloud.fail(&[Fault::Unavailable]);
    let (code, out, _) = run(&["sync", "now"]);
    assert_eq!(code, Some(1), "a refused event is a problem to look at: {out}");
    assert!(out.contains("已推送 2 个事件（拒收 1）"), "{out}");
    let (_, out, _) = run(&["sync", "rejected"]);
    assert!(out.contains("refused by the test") && out.contains(&ids[0]), "{out}");
    let (_, out, _) = run(&["sync", "rejected", "--json"]);
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["rejected_events"][0]["id"], ids[0].as_str());
    let (_, out, _) = run(&["sync", "status", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((s["queued"].as_i64(), s["rejected"].as_i64()), (Some(0), Some(1)));

    // Two hours later without contact: offline since the last success.
    let out = std::process::Command::new(bin)
        .arg("--config")
        .arg(&shop.config_path)
        .arg("--data-dir")
        .arg(shop.dir.path())
        .args(["sync", "status"])
        .env("SALONBOX_NOW", "2026-11-23T13:30:00+08:00")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("out of touch with the cloud since"), "{out}");
}

#[test]
fn sync_settings_are_checked_when_it_is_on() {
    let e = |text: &str| {
        Config::from_toml(text, std::path::Path::new("/etc/salonbox/config.toml")).unwrap_err().to_string()
    };
    let err = e(
        "[cloud]\nenabled = true\nbase_url = \"http://cloud.example.com/api\"\nstore_id = \"s\"\ndevice_token = \"t\"\n",
    );
    assert!(err.contains("cloud.base_url") && err.contains("line 3"), "{err}");
    let err = e(
        "[cloud]\nenabled = true\nbase_url = \"https://cloud.example.com/api\"\nstore_id = \"店 1\"\ndevice_token = \"t\"\n",
    );
    assert!(err.contains("cloud.store_id"), "{err}");
    let err = e("[cloud]\nenabled = true\nbase_url = \"https://cloud.example.com/api\"\nstore_id = \"s1\"\n");
    assert!(err.contains("device token"), "{err}");
    // Off: nothing is checked, and the daemon builds no engine.
    let c = Config::from_toml("[cloud]\nenabled = false\nbase_url = \"ftp://x\"\n", std::path::Path::new("/x.toml"))
        .unwrap();
    assert!(Sync::from_config(&c.cloud).unwrap().is_none());
}

#[test]
fn the_daemon_pushes_a_check_in_on_its_next_tick_and_hears_back_about_relayed_messages() {
    let cloud = Cloud::start();
    let shop = Shop::with_config(&format!(
        "{}\n[channels]\nsms_provider = \"relay\"\ntimeout_seconds = 1\n[jobs]\nclock_sync_file = \"\"\n",
        cloud.config()
    ));
    let mut app = shop.app();
    app.add_service("足部护理", "身体", 60, "98", None, "test").unwrap();
    shop.register(&mut app, "王芳", "13800000001");
    let mut daemon = salonbox::daemon::Daemon::new(shop.app()).unwrap();
    let rt = rt();
    let stop = never();
    rt.block_on(daemon.tick(&stop)).unwrap();
    assert_eq!(cloud.events().len(), 1, "the customer went up on the first tick");
    app.check_in(&CheckinRequest {
        identity: Identity::Phone(salonbox::domain::phone::Phone::parse("13800000001").unwrap()),
        service: Some("足部护理".into()),
        staff: None,
    })
    .unwrap();
    rt.block_on(daemon.tick(&stop)).unwrap();
    assert!(cloud.events().iter().any(|e| e.2 == "checkin.created"), "pushed on the next tick after the check-in");

    // A message handed to the cloud's relay: its notification.sent goes up, and the
    // delivery report comes down through pull.
    let key = app.queue_test_message("13800000001", "test").unwrap();
    rt.block_on(daemon.tick(&stop)).unwrap();
    assert_eq!(cloud.messages(), vec![(key.clone(), 1)]);
    let sent: Vec<_> = cloud.events().into_iter().filter(|e| e.2 == "notification.sent").collect();
    assert_eq!(sent.len(), 1);
    let p = cloud.event_payload(&sent[0].0).unwrap();
    assert_eq!((p["dedupe_key"].as_str(), p["channel"].as_str()), (Some(key.as_str()), Some("relay")));
    assert!(p.get("recipient").is_none() && p.get("text").is_none(), "{p}");
    cloud.add_change(
        "ch-1",
        "message.status",
        None,
        json!({
            "dedupe_key": key, "status": "delivered", "at": "2026-11-23T10:31:00+08:00"
        }),
    );
    let sync = daemon.sync.as_mut().expect("sync is on");
    rt.block_on(sync.pull_all(&mut daemon.app, &stop)).unwrap();
    let delivered: Option<i64> = shop
        .db()
        .query_row("SELECT delivered_at FROM notification_outbox WHERE dedupe_key = ?1", [&key], |r| r.get(0))
        .unwrap();
    assert_eq!(delivered, Some(monday().timestamp_millis() + 60_000));
}

#[test]
fn deleting_a_customer_at_their_request_scrubs_them_and_tells_the_cloud() {
    use salonbox::app::booking::BookingRequest;
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 5, days_of_history: 0 }, 5).unwrap();
    let id = app
        .register(&Registration {
            name: "赵敏".into(),
            phone: "13700001234".into(),
            id_number: Some("11010519491231002X".into()),
            allergies: "酒精".into(),
            privacy_notice: Some("2026-11".into()),
            source: "test".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    app.member_card("13700001234", "CARD-1", false, "test").unwrap();
    let booked = app
        .book(&BookingRequest {
            customer: "13700001234".into(),
            service: "足部护理".into(),
            staff: None,
            resource: None,
            start: "2026-11-25 11:00".into(),
            note: String::new(),
            source: "test".into(),
        })
        .unwrap();
    app.topup(
        "13700001234",
        "100".parse().unwrap(),
        &[(salonbox::domain::checkout::Tender::Cash, "100".parse().unwrap())],
        "test",
    )
    .unwrap();
    // The shop still owes her the card's value: refund first.
    let e = app.delete_customer(&id, "test").unwrap_err().to_string();
    assert!(e.contains("储值") && e.contains("refund"), "{e}");
    app.refund_stored_value(&id, salonbox::domain::checkout::Tender::Cash, "test").unwrap();
    let (c, cancelled) = app.delete_customer(&id, "test").unwrap();
    assert_eq!((c.name.as_str(), cancelled), ("赵敏", 1));
    // Nothing personal is left; the anonymous row keeps the accounts.
    let db = shop.db();
    let row: (String, Option<String>, Option<String>, Option<String>, String, Option<i64>) = db
        .query_row(
            "SELECT name, phone, id_card_hash, id_card_masked, allergies, deleted_at FROM customers WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!((row.0.as_str(), row.1, row.2, row.3, row.4.as_str()), ("已删除顾客", None, None, None, ""));
    assert!(row.5.is_some());
    let cards: i64 = db.query_row("SELECT COUNT(*) FROM member_cards", [], |r| r.get(0)).unwrap();
    assert_eq!(cards, 0);
    assert!(app.customer_by_key("13700001234").is_err(), "she is no longer found by phone");
    let a = salonbox::store::Store::open_in(app.data_dir(), app.tz())
        .unwrap()
        .read(|tx| tx.appointment(&booked.id))
        .unwrap();
    assert_eq!(a.status, salonbox::domain::model::AppointmentStatus::Cancelled);
    // The cloud hears of it, and of the cancelled booking.
    let mut engine = shop.engine();
    push(&mut engine, &mut app).unwrap();
    let deleted: Vec<_> = cloud.events().into_iter().filter(|e| e.2 == "customer.deleted").collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(cloud.event_payload(&deleted[0].0).unwrap()["id"], id.as_str());
    assert!(cloud.events().iter().any(|e| e.2 == "appointment.cancelled"));
    // Asking again finds no one.
    assert!(app.delete_customer(&id, "test").is_err());
}

#[test]
fn a_thank_you_link_brings_the_rating_back_through_the_cloud() {
    use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
    use salonbox::domain::checkout::Tender;
    let cloud = Cloud::start();
    let shop = Shop::with_config(&format!(
        "{}\n[channels]\nsms_provider = \"relay\"\ntimeout_seconds = 1\n[feedback]\nthanks_link = \"https://cloud.example.com/rate\"\nthanks_delay_minutes = 60\n[jobs]\nclock_sync_file = \"\"\n",
        cloud.config()
    ));
    let mut app = shop.app();
    app.add_service("足部护理", "身体", 60, "98", None, "test").unwrap();
    shop.register(&mut app, "王芳", "13800000001");
    let visit = app
        .checkout(&CheckoutRequest::paid(
            Some("13800000001"),
            vec![ItemRequest::of(ItemKey::Service("足部护理".into()), 1)],
            Tender::Cash,
            "98".parse().unwrap(),
            "test",
        ))
        .unwrap()
        .visit_id;
    let mut daemon = salonbox::daemon::Daemon::new(shop.app()).unwrap();
    let rt = rt();
    let stop = never();
    rt.block_on(daemon.tick(&stop)).unwrap();
    assert!(cloud.messages().is_empty(), "the thank-you waits an hour");
    shop.clock.advance(chrono::Duration::minutes(61));
    rt.block_on(daemon.send_due(&stop)).unwrap();
    let key = format!("thanks:{visit}");
    assert_eq!(cloud.messages(), vec![(key.clone(), 1)]);
    let body: serde_json::Value = {
        let db = cloud.conn();
        let b: String = db.query_row("SELECT body FROM messages WHERE dedupe_key = ?1", [&key], |r| r.get(0)).unwrap();
        serde_json::from_str(&b).unwrap()
    };
    let link = body["params"]["link"].as_str().unwrap().to_string();
    assert!(link.starts_with(&format!("https://cloud.example.com/rate?v={visit}&t=")), "{link}");
    let token = link.rsplit("t=").next().unwrap().to_string();

    // The customer rated it on the cloud's page: two stars. A forged link for the same
    // visit, and the same change again, change nothing.
    let submitted = json!({ "visit_id": visit, "token": token, "rating": 2, "comment": "等太久" });
    cloud.add_change(
        "fb-1",
        "feedback.submitted",
        None,
        json!({ "visit_id": visit, "token": "0000000000000000", "rating": 5 }),
    );
    cloud.add_change("fb-2", "feedback.submitted", None, submitted.clone());
    cloud.add_change("fb-2", "feedback.submitted", None, submitted);
    let sync = daemon.sync.as_mut().unwrap();
    let r = rt.block_on(sync.pull_all(&mut daemon.app, &stop)).unwrap();
    assert_eq!((r.applied.applied, r.applied.skipped, r.applied.old), (1, 1, 1), "{r:?}");
    let rows = app.feedback_list(1, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].rating, rows[0].comment.as_str(), rows[0].channel.as_str()), (2, "等太久", "link"));
    assert!(app.list_messages(Some("pending"), 10).unwrap().iter().any(|n| n.template == "low_rating"));
    let p = app.sync_problems(10).unwrap();
    assert!(p.skipped_changes[0].reason.contains("check does not match"), "{p:?}");
}

#[test]
fn the_batch_size_the_cloud_took_is_kept_and_grown_back_slowly() {
    let cloud = Cloud::start();
    let shop = Shop::new(&cloud);
    let mut app = shop.app();
    let mut engine = shop.engine();
    for i in 0..40 {
        shop.register(&mut app, &format!("顾客{i}"), &format!("1380000{i:04}"));
    }
    // 413 for 40, then for 20: 10 is what the cloud takes
    cloud.fail(&[Fault::TooLarge, Fault::TooLarge]);
    assert_eq!(push(&mut engine, &mut app).unwrap().requests, 5);
    // the next run starts from there (no 413 first), growing a quarter per full batch:
    // 13 + 17 + 10 for the next 40
    for i in 40..80 {
        shop.register(&mut app, &format!("顾客{i}"), &format!("1380000{i:04}"));
    }
    let log_before = cloud.control().log.len();
    let r = push(&mut engine, &mut app).unwrap();
    assert_eq!((r.delivered, r.requests), (40, 3), "{r:?}");
    assert_eq!(cloud.control().log.len() - log_before, 3);
    assert_all_delivered_once(&shop, &cloud);
}

#[test]
fn after_a_failure_the_backlog_goes_on_the_back_off_schedule_not_the_push_interval() {
    let cloud = Cloud::start();
    // pushes every minute, pulls every hour: only the back-off may bring the retry sooner
    let text = cloud
        .config()
        .replace("push_interval_seconds = 1", "push_interval_seconds = 60")
        .replace("pull_interval_seconds = 1", "pull_interval_seconds = 3600");
    let shop = Shop::with_config(&format!("{text}\n[jobs]\nclock_sync_file = \"\"\n"));
    let mut app = shop.app();
    let mut engine = shop.engine();
    for i in 0..30 {
        shop.register(&mut app, &format!("顾客{i}"), &format!("1380000{i:04}"));
    }
    cloud.fail(&[Fault::Unavailable, Fault::Status500]);
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let rt = rt();
    let started = Instant::now();
    // the daemon's one-second ticks, with nothing new written after the first
    let mut changed = true;
    while shop.pending() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the backlog waited for the push interval: {} still queued after 20 s",
            shop.pending()
        );
        rt.block_on(engine.tick(&mut app, std::mem::take(&mut changed), &stop));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(cloud.control().faults_played >= 2);
    assert_all_delivered_once(&shop, &cloud);
}
