//! Seven days of a busy shop's events (10,000), queued while the network was down, drained
//! against the reference cloud on loopback once it is back (goal: under 10 s). Each sample
//! marks every event pending again (the cloud answers the second and later rounds
//! `duplicate`, which costs the server a little less than a first store) — and the first
//! round, on a fresh cloud, is timed on its own and printed.
//!
//! Run by hand: `cargo bench --bench sync`. Figures go to docs/performance.md.

#[path = "../tests/support/artefacts.rs"]
mod artefacts;
#[path = "../tests/support/cloud.rs"]
#[allow(dead_code, clippy::all)]
mod cloud;

use std::sync::Arc;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use salonbox::app::checkin::{CheckinRequest, Identity};
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;

fn benches(c: &mut Criterion) {
    let cloud = cloud::Cloud::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("salonbox.toml");
    let text = cloud.config();
    let config = Config::from_toml(&text, &path).expect("config");
    init(&config, dir.path()).expect("init");
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).single().expect("time");
    let clock = Arc::new(FixedClock::new(now));
    let mut app = App::open(config.clone(), dir.path(), clock.clone()).expect("open");
    app.seed_demo(DemoSize { customers: 500, days_of_history: 0 }, 7).expect("seed");
    let phones: Vec<_> = app.list_customers(500, 0).expect("list").into_iter().filter_map(|c| c.phone).collect();
    // Seven days: about 1,400 check-ins a day with their queue moves, written offline.
    let mut i = 0usize;
    while app.sync_state().expect("state").queued < 10_000 {
        if i.is_multiple_of(200) {
            clock.advance(chrono::Duration::hours(12));
        }
        app.check_in(&CheckinRequest {
            identity: Identity::Phone(phones[i % phones.len()].clone()),
            service: Some("足部护理".into()),
            staff: None,
        })
        .expect("check in");
        i += 1;
    }
    let queued = app.sync_state().expect("state").queued;
    let mut engine = salonbox::sync::Sync::from_config(&config.cloud).expect("client").expect("sync on");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let r = rt.block_on(engine.push_all(&mut app, &stop)).expect("push");
    eprintln!("first drain: {queued} events in {:.2?} ({} requests)", started.elapsed(), r.requests);
    assert_eq!(r.delivered as i64, queued);

    let db = salonbox::store::bare_connection(app.database_path()).expect("bare");
    let mut g = c.benchmark_group("sync");
    g.sample_size(10);
    g.bench_function(format!("drain_{queued}_events"), |b| {
        b.iter_batched(
            || {
                db.execute_batch(
                    "UPDATE sync_outbox SET status = 'pending', delivered_at = NULL WHERE type NOT LIKE 'internal.%'; DELETE FROM sync_state WHERE key = 'push_floor';",
                )
                .expect("requeue")
            },
            |_| {
                let r = rt.block_on(engine.push_all(&mut app, &stop)).expect("push");
                assert_eq!(r.duplicates as i64, queued);
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(sync, benches);
criterion_main!(sync);
