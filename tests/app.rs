//! The library's use cases driven directly, with a controlled clock.

#[path = "support/artefacts.rs"]
mod artefacts;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use salonbox::app::booking::BookingRequest;
use salonbox::app::checkin::{CheckinRequest, Identity};
use salonbox::app::customers::Registration;
use salonbox::app::{App, AppError, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::domain::phone::Phone;

/// Monday 2026-11-23 10:00 in Shanghai.
fn ten_am() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).single().unwrap()
}

/// A connection of the test's own to the shop's database (the faces only have `App`).
fn store(dir: &std::path::Path) -> salonbox::store::Store {
    salonbox::store::Store::open_in(dir, chrono_tz::Asia::Shanghai).unwrap()
}

/// The shop with cloud sync on (its events are what some tests look at).
fn open(dir: &std::path::Path, clock: Arc<FixedClock>) -> App {
    App::open(synced(true), dir, clock).unwrap()
}

fn synced(on: bool) -> Config {
    let mut c = Config::default();
    c.cloud.enabled = on;
    c
}

fn shop(customers: usize) -> (tempfile::TempDir, Arc<FixedClock>, Vec<Phone>) {
    let dir = artefacts::tempdir();
    init(&Config::default(), dir.path()).unwrap();
    let clock = Arc::new(FixedClock::new(ten_am()));
    let mut app = open(dir.path(), clock.clone());
    app.add_service("修眉造型", "美甲美睫", 20, "48", None, "test").unwrap();
    app.add_service("面部深层清洁", "面部护理", 60, "198", None, "test").unwrap();
    app.add_staff(
        &salonbox::app::staff::StaffInput { name: "李娜".into(), role: "beautician".into(), ..Default::default() },
        "test",
    )
    .unwrap();
    app.add_shift("李娜", app.today(), "10:00-21:00", "test").unwrap();
    let mut phones = Vec::new();
    for i in 0..customers {
        let phone = format!("1380000{i:04}");
        app.register(&Registration {
            name: format!("顾客{i}"),
            phone: phone.clone(),
            gender: Some("女".into()),
            privacy_notice: Some("2026-11".into()),
            source: "test".into(),
            ..Default::default()
        })
        .unwrap();
        phones.push(Phone::parse(&phone).unwrap());
    }
    (dir, clock, phones)
}

#[test]
fn identify_sees_only_the_appointment_in_the_window() {
    let (dir, clock, phones) = shop(1);
    let mut app = open(dir.path(), clock.clone());
    app.book(&BookingRequest {
        customer: phones[0].to_string(),
        service: "面部深层清洁".into(),
        staff: Some("李娜".into()),
        resource: None,
        start: "2026-11-23 12:00".into(),
        note: String::new(),
        source: "test".into(),
    })
    .unwrap();
    let who = Identity::Phone(phones[0].clone());
    let (c, appt) = app.identify(&who).unwrap().unwrap();
    assert_eq!(c.name, "顾客0");
    assert!(appt.is_none(), "10:00 is two hours early");
    clock.set(ten_am() + Duration::minutes(65));
    let (_, appt) = app.identify(&who).unwrap().unwrap();
    assert_eq!(appt.unwrap().service_name, "面部深层清洁");
    clock.set(ten_am() + Duration::minutes(151));
    let (_, appt) = app.identify(&who).unwrap().unwrap();
    assert!(appt.is_none(), "31 minutes late");
    assert!(app.identify(&Identity::Phone(Phone::parse("13999999999").unwrap())).unwrap().is_none());
}

#[test]
fn a_failed_check_in_leaves_no_trace() {
    let (dir, clock, phones) = shop(1);
    let mut app = open(dir.path(), clock);
    let err = app
        .check_in(&CheckinRequest {
            identity: Identity::Phone(phones[0].clone()),
            service: Some("不存在".into()),
            staff: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("不存在"), "{err}");
    let err = app
        .check_in(&CheckinRequest { identity: Identity::Phone(phones[0].clone()), service: None, staff: None })
        .unwrap_err();
    assert!(matches!(err, AppError::ServiceRequired));
    let stats = app.outbox_stats().unwrap();
    // only the registration's customer.upserted event
    assert_eq!(stats.sync_pending, 1);
    assert_eq!(stats.notifications_pending, 0);
    assert!(app.queue(true).unwrap().is_empty());
}

#[test]
fn two_connections_checking_in_at_once_number_every_ticket_once() {
    let (dir, clock, phones) = shop(300);
    let (a, b) = phones.split_at(150);
    std::thread::scope(|s| {
        for half in [a, b] {
            let dir = dir.path();
            let clock = clock.clone();
            s.spawn(move || {
                let mut app = open(dir, clock);
                for p in half {
                    app.check_in(&CheckinRequest {
                        identity: Identity::Phone(p.clone()),
                        service: Some("修眉造型".into()),
                        staff: None,
                    })
                    .unwrap();
                }
            });
        }
    });
    let mut app = open(dir.path(), clock);
    let lines = app.queue(true).unwrap();
    let tickets: BTreeSet<String> = lines.iter().map(|l| l.entry.ticket.clone()).collect();
    let expected: BTreeSet<String> = (1..=300).map(|n| format!("W{n:03}")).collect();
    assert_eq!(tickets, expected, "W001..W300, no gap, no double");
    let events = app.events_to_push(10_000).unwrap();
    let checkins: Vec<i64> = events.iter().filter(|e| e.event_type == "checkin.created").map(|e| e.seq).collect();
    assert_eq!(checkins.len(), 300);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq), "seq strictly increasing");
    // places in the queue follow arrival order and estimates never go backwards
    let waits: Vec<i64> = lines.iter().filter_map(|l| l.wait_minutes).collect();
    assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
    assert_eq!(lines.last().unwrap().ahead, 299);
}

/// The kiosk keeps what a check-in read of the day for the next one. Whatever happens in
/// between, in another process or through another call of its own, the next check-in sees.
#[test]
fn a_check_in_sees_every_change_made_since_the_last_one() {
    let (dir, clock, phones) = shop(6);
    let mut kiosk = open(dir.path(), clock.clone());
    let mut desk = open(dir.path(), clock.clone());
    let walk_in = |p: &Phone| CheckinRequest {
        identity: Identity::Phone(p.clone()),
        service: Some("修眉造型".into()),
        staff: None,
    };
    let first = kiosk.check_in(&walk_in(&phones[0])).unwrap();
    assert_eq!((first.entry.ticket.as_str(), first.ahead), ("W001", 0));

    // another process checks a customer in: the kiosk neither doubles nor misplaces them
    let second = desk.check_in(&walk_in(&phones[1])).unwrap();
    assert_eq!(second.entry.ticket, "W002");
    let again = kiosk.check_in(&walk_in(&phones[1])).unwrap();
    assert!(again.already_checked_in);
    assert_eq!(again.entry.ticket, "W002");
    let third = kiosk.check_in(&walk_in(&phones[2])).unwrap();
    assert_eq!((third.entry.ticket.as_str(), third.ahead), ("W003", 2));

    // the kiosk's own queue moves count too: W001 is served, so that customer may come again
    use salonbox::domain::queue::QueueStatus;
    for to in [QueueStatus::Called, QueueStatus::InService, QueueStatus::Done] {
        kiosk.queue_move(Some("W001"), to, None, "test").unwrap();
    }
    let back = kiosk.check_in(&walk_in(&phones[0])).unwrap();
    assert!(!back.already_checked_in);
    assert_eq!((back.entry.ticket.as_str(), back.ahead), ("W004", 2));

    // one beautician, three waiting for 20 minutes each: the next starts in an hour
    let alone = kiosk.check_in(&walk_in(&phones[3])).unwrap();
    assert_eq!((alone.ahead, alone.wait_minutes), (3, Some(60)));
    // the desk puts a second beautician on shift: the estimate halves at once
    desk.add_staff(
        &salonbox::app::staff::StaffInput { name: "王芳".into(), role: "beautician".into(), ..Default::default() },
        "test",
    )
    .unwrap();
    desk.add_shift("王芳", desk.today(), "10:00-21:00", "test").unwrap();
    let helped = kiosk.check_in(&walk_in(&phones[4])).unwrap();
    assert_eq!((helped.ahead, helped.wait_minutes), (4, Some(40)));
}

#[test]
fn arrival_alerts_are_found_by_their_time_ordered_keys() {
    let (dir, clock, phones) = shop(3);
    let mut app = open(dir.path(), clock.clone());
    let started = Utc::now();
    let mut tickets = Vec::new();
    for phone in &phones {
        let out = app
            .check_in(&CheckinRequest {
                identity: Identity::Phone(phone.clone()),
                service: Some("修眉造型".into()),
                staff: None,
            })
            .unwrap();
        tickets.push(out.entry.ticket.clone());
    }
    let mut db = store(dir.path());
    let mut pending = |app: &mut App, since| {
        let now = app.now();
        db.read(|tx| tx.pending_arrival_alerts(since, now, 100)).unwrap()
    };
    let alerts = pending(&mut app, started - Duration::seconds(1));
    let seen: Vec<String> = alerts.iter().map(|n| n.params["ticket"].as_str().unwrap().to_string()).collect();
    assert_eq!(seen, tickets, "every check-in's alert, in the order of arrival");
    assert!(alerts.iter().all(|n| n.dedupe_key.starts_with("arrival:")));
    let later = pending(&mut app, Utc::now() + Duration::seconds(2));
    assert!(later.is_empty(), "nothing checked in after that: {later:?}");

    // An alert that was sent is no longer pending.
    let db = rusqlite::Connection::open(dir.path().join(salonbox::store::DB_FILE)).unwrap();
    db.execute("UPDATE notification_outbox SET status = 'sent' WHERE dedupe_key = ?1", [&alerts[0].dedupe_key])
        .unwrap();
    let left = pending(&mut app, started - Duration::seconds(1));
    assert_eq!(left.len(), 2);

    // The range is read through the primary key, not by scanning the outbox.
    let plan: Vec<String> = db
        .prepare(
            "EXPLAIN QUERY PLAN SELECT dedupe_key, params FROM notification_outbox
             WHERE dedupe_key >= 'arrival:0' AND dedupe_key < 'arrival;' AND status = 'pending'
             ORDER BY dedupe_key",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(plan.iter().any(|p| p.contains("USING PRIMARY KEY (dedupe_key>? AND dedupe_key<?)")), "{plan:?}");
    // An arrival alert is not in the due index (migration 0005): the check-in writes one
    // b-tree fewer.
    let in_due: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM notification_outbox INDEXED BY notifications_due WHERE template <> 'staff_arrival'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(in_due, 0);
}

#[test]
fn an_identity_card_number_in_free_text_is_masked_whatever_face_it_came_from() {
    let (dir, clock, phones) = shop(1);
    let mut app = open(dir.path(), clock.clone());
    // the number is built here, never written anywhere in clear (the privacy sweep checks)
    let id = ["110101", "19900315", "0126"].concat();
    // the kiosk's registration and the command line: register / edit
    let c = app
        .register(&Registration {
            name: "赵敏".into(),
            phone: "13900000009".into(),
            allergies: format!("果酸 {id}"),
            notes: format!("身份证{id}"),
            privacy_notice: Some("2026-11".into()),
            source: "kiosk".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(c.notes, "身份证110101********0126");
    assert_eq!(c.allergies, "果酸 110101********0126");
    // what sync pulls from the cloud
    let first = app.customer_by_key(phones[0].as_str()).unwrap();
    let patch = salonbox::store::CustomerPatch { notes: Some(format!("云端备注 {id}")), ..Default::default() };
    let now = app.now();
    let pulled = store(dir.path()).write(|tx| tx.apply_cloud_customer(&first.id, &patch, now, now)).unwrap();
    assert_eq!(pulled.notes, "云端备注 110101********0126");
    // a booking's note, a complaint
    app.book(&BookingRequest {
        customer: "13900000009".into(),
        service: "修眉造型".into(),
        staff: None,
        resource: None,
        start: "2026-11-23 15:00".into(),
        note: format!("带证件 {id}"),
        source: "test".into(),
    })
    .unwrap();
    app.add_interaction("13900000009", "complaint", &format!("证件号 {id} 填错"), "test").unwrap();
    let notes = app.interactions("13900000009", 5).unwrap();
    assert!(notes.iter().all(|n| !n.text.contains(&id)) && notes[0].text.contains("110101********0126"));
    // nothing of it in the file, its WAL or the sync queue
    drop(app);
    for f in ["salonbox.sqlite3", "salonbox.sqlite3-wal"] {
        let raw = std::fs::read(dir.path().join(f)).unwrap_or_default();
        assert!(!raw.windows(id.len()).any(|w| w == id.as_bytes()), "{f} holds the number");
    }
}

#[test]
fn a_top_up_racing_a_deletion_loses_nothing() {
    let (dir, clock, _) = shop(0);
    let rounds = 40;
    let mut phones = Vec::new();
    {
        let mut app = open(dir.path(), clock.clone());
        for i in 0..rounds {
            let phone = format!("1390000{i:04}");
            app.register(&Registration {
                name: format!("顾客{i}"),
                phone: phone.clone(),
                privacy_notice: Some("2026-11".into()),
                source: "test".into(),
                ..Default::default()
            })
            .unwrap();
            phones.push(phone);
        }
    }
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let desk = {
        let (dir, clock, barrier, phones) = (dir.path().to_path_buf(), clock.clone(), barrier.clone(), phones.clone());
        std::thread::spawn(move || {
            let mut app = open(&dir, clock);
            phones
                .iter()
                .map(|p| {
                    barrier.wait();
                    let cash = salonbox::domain::checkout::Tender::Cash;
                    app.topup(p, "500".parse().unwrap(), &[(cash, "500".parse().unwrap())], "desk").is_ok()
                })
                .collect::<Vec<bool>>()
        })
    };
    let mut app = open(dir.path(), clock.clone());
    let mut ids = Vec::new();
    let mut deleted = Vec::new();
    for p in &phones {
        ids.push(app.customer_by_key(p).unwrap().id);
        barrier.wait();
        deleted.push(app.delete_customer(p, "owner").is_ok());
    }
    let topped = desk.join().unwrap();
    for (i, id) in ids.iter().enumerate() {
        // never both: a deleted customer holds nothing, a topped-up one is not deleted
        assert!(!(topped[i] && deleted[i]), "round {i}: the top-up and the deletion both went through");
        let now = app.now();
        let principal: i64 = store(dir.path())
            .read(|tx| tx.stored_value_balance(id, now))
            .map(|(sv, _)| salonbox::domain::money::to_fen(sv.principal).unwrap())
            .unwrap();
        assert_eq!(principal, if topped[i] { 50_000 } else { 0 }, "round {i}");
    }
}

#[test]
fn a_pin_is_verified_without_holding_the_write_lock() {
    let (dir, clock, _) = shop(0);
    let mut app = open(dir.path(), clock.clone());
    app.add_staff(
        &salonbox::app::staff::StaffInput {
            name: "赵雪".into(),
            role: "beautician".into(),
            pin: Some("1357".into()),
            ..Default::default()
        },
        "test",
    )
    .unwrap();
    // Argon2 is slow on purpose: how slow here
    let t = std::time::Instant::now();
    assert!(matches!(app.staff_login("赵雪", "1357").unwrap(), salonbox::app::staff::PinCheck::Ok(_)));
    let login = t.elapsed();
    // while the kiosk checks a PIN, the other connection (the daemon, the desk) writes
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (dir, clock, done) = (dir.path().to_path_buf(), clock.clone(), done.clone());
        std::thread::spawn(move || {
            let other = open(&dir, clock);
            let mut db = store(&dir);
            let mut longest = std::time::Duration::ZERO;
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) || n == 0 {
                let t = std::time::Instant::now();
                let now = other.now();
                db.write(|tx| tx.audit(now, "daemon", "test.tick", "test", "1", &serde_json::json!({}))).unwrap();
                longest = longest.max(t.elapsed());
                n += 1;
                // a daemon's pace, not a busy loop that would starve the kiosk's own writes
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            longest
        })
    };
    for _ in 0..3 {
        app.staff_login("赵雪", "1357").unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let longest = writer.join().unwrap();
    assert!(
        longest < login,
        "a write waited {longest:?} while a PIN was checked (a check takes {login:?}): the lock was held"
    );
}

#[test]
fn a_job_whose_run_failed_runs_again_until_it_commits() {
    let (dir, clock, _) = shop(0);
    let mut app = open(dir.path(), clock.clone());
    // a birthday in three days; the birthday job's coupon template is missing, so it fails
    app.register(&Registration {
        name: "孙丽".into(),
        phone: "13900000001".into(),
        birthday: Some("1990-11-26".into()),
        marketing_consent: true,
        privacy_notice: Some("2026-11".into()),
        source: "test".into(),
        ..Default::default()
    })
    .unwrap();
    let birthday =
        |due: &salonbox::app::jobs::DueJobs| due.ran.iter().find(|(j, _)| j == "birthday").map(|(_, r)| r.is_ok());
    // 09:00: the schedules start; 09:31: the 09:30 birthday run is due and fails
    clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).single().unwrap());
    app.run_due_jobs().unwrap();
    clock.advance(Duration::minutes(31));
    assert_eq!(birthday(&app.run_due_jobs().unwrap()), Some(false));
    // not again at once (a pause that grows), and not forgotten either
    clock.advance(Duration::seconds(5));
    assert_eq!(birthday(&app.run_due_jobs().unwrap()), None);
    app.add_coupon_template(
        "生日券",
        &salonbox::domain::checkout::CouponKind::AmountOff {
            amount: "50".parse().unwrap(),
            min_spend: "0".parse().unwrap(),
        },
        30,
        1,
        "test",
    )
    .unwrap();
    clock.advance(Duration::minutes(1));
    assert_eq!(birthday(&app.run_due_jobs().unwrap()), Some(true), "the failed 09:30 run is made up");
    let coupons = app.membership("13900000001").unwrap().coupons;
    assert_eq!(coupons.len(), 1, "her birthday coupon");
    // and once it has run, it is done until tomorrow
    clock.advance(Duration::minutes(10));
    assert_eq!(birthday(&app.run_due_jobs().unwrap()), None);
}

#[test]
fn with_sync_off_nothing_waits_for_a_cloud_and_switching_it_on_sends_the_shop_as_it_is() {
    let dir = artefacts::tempdir();
    init(&Config::default(), dir.path()).unwrap();
    let clock = Arc::new(FixedClock::new(ten_am()));
    let mut app = App::open(synced(false), dir.path(), clock.clone()).unwrap();
    app.add_service("面部深层清洁", "面部护理", 60, "198", None, "test").unwrap();
    for (name, phone) in [("王芳", "13800001111"), ("李梅", "13800002222")] {
        app.register(&Registration {
            name: name.into(),
            phone: phone.into(),
            gender: Some("女".into()),
            privacy_notice: Some("2026-11".into()),
            allergies: "芒果".into(),
            source: "test".into(),
            ..Default::default()
        })
        .unwrap();
    }
    app.book(&salonbox::app::booking::BookingRequest {
        customer: "13800001111".into(),
        service: "面部深层清洁".into(),
        staff: None,
        resource: None,
        start: "2026-11-24 14:00".into(),
        note: String::new(),
        source: "test".into(),
    })
    .unwrap();
    app.check_in(&CheckinRequest {
        identity: Identity::Phone(Phone::parse("13800002222").unwrap()),
        service: Some("面部深层清洁".into()),
        staff: None,
    })
    .unwrap();
    let stats = app.sync_state().unwrap();
    assert_eq!((stats.queued, stats.rejected), (0, 0), "sync is off: nothing queued");
    let rows: i64 = rusqlite::Connection::open(dir.path().join(salonbox::store::DB_FILE))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM sync_outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0, "no snapshot of anyone piles up");
    drop(app);

    // Switched on: the cloud gets the two customers and the booking, once.
    let mut app = App::open(synced(true), dir.path(), clock.clone()).unwrap();
    let events = app.events_to_push(100).unwrap();
    let mut types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["appointment.upserted", "customer.upserted", "customer.upserted"]);
    drop(app);
    let mut app = App::open(synced(true), dir.path(), clock.clone()).unwrap();
    assert_eq!(app.sync_state().unwrap().queued, 3, "not twice");
    drop(app);
    // Off again, then on: the state is sent again (what changed meanwhile was never queued).
    drop(App::open(synced(false), dir.path(), clock.clone()).unwrap());
    let mut app = App::open(synced(true), dir.path(), clock).unwrap();
    assert_eq!(app.sync_state().unwrap().queued, 6);
}

/// A booked appointment's clean-up time (整理时间) keeps its beautician from the walk-ins
/// the wait estimate places, as it keeps her from bookings.
#[test]
fn the_wait_estimate_keeps_a_booking_clean_up_time() {
    let (dir, clock, phones) = shop(2);
    let mut app = open(dir.path(), clock.clone());
    app.set_service_buffer("面部深层清洁", 30, "test").unwrap();
    // 李娜, the only beautician, has a facial 10:30–11:30 and then 30 minutes of clean-up
    app.book(&BookingRequest {
        customer: phones[0].to_string(),
        service: "面部深层清洁".into(),
        staff: Some("李娜".into()),
        resource: None,
        start: "2026-11-23 10:30".into(),
        note: String::new(),
        source: "test".into(),
    })
    .unwrap();
    // at 11:15 a 20-minute walk-in cannot start before 12:00
    clock.set(ten_am() + Duration::minutes(75));
    let walk_in = app
        .check_in(&CheckinRequest {
            identity: Identity::Phone(phones[1].clone()),
            service: Some("修眉造型".into()),
            staff: None,
        })
        .unwrap();
    assert_eq!(walk_in.wait_minutes, Some(45), "{walk_in:?}");
}

/// The Today page's takings and visits are the daily report's (money received, sales and
/// top-ups, refunds netted; voids nowhere), read without the report's ledgers.
#[test]
fn today_shows_the_daily_report_takings() {
    use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
    use salonbox::domain::checkout::Tender;
    let (dir, clock, phones) = shop(2);
    let mut app = open(dir.path(), clock);
    let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    let sale = |app: &mut App, who: &Phone| {
        let item = ItemRequest::of(ItemKey::Service("修眉造型".into()), 1);
        app.checkout(&CheckoutRequest::paid(Some(&who.to_string()), vec![item], Tender::Wechat, d("48"), "test"))
            .unwrap()
    };
    sale(&mut app, &phones[0]);
    let voided = sale(&mut app, &phones[1]);
    app.void_visit(&voided.visit_id, "test").unwrap();
    app.topup(&phones[1].to_string(), d("500"), &[(Tender::Cash, d("500"))], "test").unwrap();
    let board = app.today_board().unwrap();
    let report = app.report(salonbox::app::report::Period::Daily, app.today()).unwrap();
    assert_eq!((board.takings, board.visits), (report.money_received_total, report.visits));
    assert_eq!((board.takings, board.visits), (d("548"), 1));
}

/// The reports' charts add up to the report: visits, new customers and money day by day,
/// the heat map's visits, the age groups' customers and spend.
#[test]
fn the_charts_add_up_to_the_report() {
    use salonbox::app::report::Period;
    let dir = artefacts::tempdir();
    init(&Config::default(), dir.path()).unwrap();
    let clock = Arc::new(FixedClock::new(ten_am()));
    let mut app = open(dir.path(), clock);
    app.seed_demo(salonbox::app::demo::DemoSize { customers: 300, days_of_history: 90 }, 5).unwrap();
    // early in the demo's history, where its customers' first visits are
    let date = app.today() - chrono::Duration::days(75);
    for period in [Period::Daily, Period::Weekly, Period::Monthly] {
        let (r, t) = app.report_with_trends(period, date).unwrap();
        assert_eq!(format!("{r:?}"), format!("{:?}", app.report(period, date).unwrap()), "the same report alone");
        let visits: i64 = t.days.iter().map(|d| d.visits).sum();
        let firsts: i64 = t.days.iter().map(|d| d.first_visits).sum();
        let walk_ins: i64 = t.days.iter().map(|d| d.walk_ins).sum();
        let money: rust_decimal::Decimal = t.days.iter().map(|d| d.money).sum();
        assert_eq!(visits, r.visits, "{period:?}");
        assert_eq!(firsts, r.new_customers, "{period:?}");
        assert_eq!(walk_ins, r.walk_in_sales, "{period:?}");
        assert_eq!(money, r.money_received_total, "{period:?}");
        assert_eq!(t.days.len(), if period == Period::Daily { 24 } else { (r.to - r.from).num_days() as usize + 1 });
        let customers: i64 = t.ages.iter().map(|a| a.customers).sum();
        assert_eq!(customers, r.customers, "{period:?}: every customer who came is in one age group");
        let performed: rust_decimal::Decimal = t.performance.iter().map(|(l, _)| l.amount).sum();
        assert!(performed <= r.revenue, "{period:?}");
        if period == Period::Monthly {
            assert!(
                r.visits > 0 && t.heat.iter().flatten().sum::<i64>() == r.visits,
                "a month's heat map is its visits"
            );
            assert!(r.new_customers > 0, "the demo's customers start within its history");
        }
    }
}
