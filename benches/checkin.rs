//! Check-in by phone and `appointment book` in a shop with 100,000 customers and a year of
//! visits, each against a bare one-row SQLite insert + commit with the same pragmas.
//!
//! Run by hand: `cargo bench --bench checkin` (SALONBOX_BENCH_CUSTOMERS overrides the size).
//! Figures go to docs/performance.md.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use salonbox::app::booking::BookingRequest;
use salonbox::app::checkin::{CheckinRequest, Identity};
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::domain::phone::Phone;

fn shop(customers: usize) -> (tempfile::TempDir, App, Arc<FixedClock>, Vec<Phone>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::default();
    init(&config, dir.path()).expect("init");
    // Monday 2026-11-23 10:30 Shanghai
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).single().expect("time")));
    let mut app = App::open(config, dir.path(), clock.clone()).expect("open");
    let started = std::time::Instant::now();
    let r = app.seed_demo(DemoSize { customers, days_of_history: 365 }, 7).expect("seed");
    eprintln!("seeded {} customers, {} visits in {:.1?}", r.customers, r.visits, started.elapsed());
    // Shifts for the next 600 days: the check-in loop below moves a day every 20 check-ins,
    // and every day must have beauticians on shift for the wait estimate to do its work.
    let today = app.today();
    let beauticians: Vec<String> = app
        .list_staff()
        .expect("staff")
        .into_iter()
        .filter(|s| s.role == salonbox::domain::model::StaffRole::Beautician)
        .map(|s| s.id)
        .collect();
    for d in 15..600 {
        for (i, id) in beauticians.iter().enumerate() {
            let hours = if i % 2 == 0 { "10:00-19:00" } else { "12:00-21:00" };
            app.add_shift(id, today + Duration::days(d), hours, "bench").expect("shift");
        }
    }
    // Flush the seed to disk first: its writeback would otherwise slow the fsyncs measured.
    app.checkpoint().expect("checkpoint");
    let phones = app.list_customers(customers as u32, 0).expect("list").into_iter().filter_map(|c| c.phone).collect();
    (dir, app, clock, phones)
}

fn benches(c: &mut Criterion) {
    let customers = std::env::var("SALONBOX_BENCH_CUSTOMERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let (_dir, mut app, clock, phones) = shop(customers);
    let mut g = c.benchmark_group(format!("shop_{customers}_customers"));
    g.sample_size(30);

    // The bare insert is measured before and after the two use cases: the disk's fsync time
    // drifts by several percent over minutes, and the two figures show how much.
    let bare_dir = tempfile::tempdir().expect("tempdir");
    let mut bare = salonbox::store::bare_connection(&bare_dir.path().join("bare.sqlite3")).expect("bare");
    bare.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT NOT NULL)").expect("create");
    let mut n = 0u64;
    let mut bare_insert = |b: &mut criterion::Bencher<'_>| {
        b.iter(|| {
            n += 1;
            let tx = bare.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).expect("begin");
            tx.execute(
                "INSERT INTO t (id, v) VALUES (?1, ?2)",
                rusqlite::params![uuid::Uuid::now_v7().to_string(), n.to_string()],
            )
            .expect("insert");
            tx.commit().expect("commit");
        })
    };
    g.bench_function("bare_insert_commit", &mut bare_insert);

    // Nobody is served in this loop, so every check-in of a day stays "waiting": after 20
    // check-ins the clock moves to the next day. The live queue thus holds 0 to 19 people
    // (about 10 on average), what a busy shop sees at the door; the wait estimate reads it all.
    let mut next = 0usize;
    g.bench_function("checkin_by_phone", |b| {
        b.iter(|| {
            let phone = phones[next % phones.len()].clone();
            next += 1;
            if next.is_multiple_of(20) {
                clock.advance(Duration::days(1));
            }
            app.check_in(&CheckinRequest {
                identity: Identity::Phone(phone),
                service: Some("足部护理".into()),
                staff: None,
            })
            .expect("check in")
        })
    });

    let mut slot = 0usize;
    let mut who = 0usize;
    let first_day = app.today() + Duration::days(1);
    g.bench_function("appointment_book", |b| {
        b.iter(|| {
            // a different customer each time, spread over future days and half-hours
            let day = (slot / 20) as i64;
            let minute = 30 * (slot % 20) as i64;
            slot += 1;
            who += 1;
            let start =
                first_day.and_hms_opt(10, 0, 0).expect("time") + Duration::days(day) + Duration::minutes(minute);
            app.book(&BookingRequest {
                customer: phones[(who * 7919) % phones.len()].to_string(),
                service: "足部护理".into(),
                staff: None,
                resource: None,
                start: start.format("%Y-%m-%d %H:%M").to_string(),
                note: String::new(),
                source: "bench".into(),
            })
            .expect("book")
        })
    });

    g.bench_function("bare_insert_commit_after", &mut bare_insert);
    g.finish();
}

criterion_group!(checkin, benches);
criterion_main!(checkin);
