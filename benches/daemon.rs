//! What the daemon does on a wake-up, in a shop with 100,000 customers and 1,000,000
//! appointments (two years back, one ahead): find every reminder, birthday and "your turn"
//! message that has fallen due, and the messages due for sending among 200,000 already sent.
//!
//! Run by hand: `cargo bench --bench daemon` (SALONBOX_BENCH_CUSTOMERS and
//! SALONBOX_BENCH_APPOINTMENTS override the sizes). Figures go to docs/performance.md.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn benches(c: &mut Criterion) {
    let customers = env("SALONBOX_BENCH_CUSTOMERS", 100_000);
    let appointments = env("SALONBOX_BENCH_APPOINTMENTS", 1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::from_toml("[jobs]\nclock_sync_file = \"\"\n", &dir.path().join("x.toml")).expect("config");
    init(&config, dir.path()).expect("init");
    // Monday 2026-11-23 10:30 Shanghai
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).single().expect("time");
    let clock = Arc::new(FixedClock::new(now));
    let mut app = App::open(config, dir.path(), clock).expect("open");
    let started = std::time::Instant::now();
    app.seed_demo(DemoSize { customers, days_of_history: 0 }, 7).expect("seed");
    app.add_coupon_template(
        "生日券",
        &salonbox::domain::checkout::CouponKind::AmountOff { amount: 50.into(), min_spend: 0.into() },
        30,
        1,
        "bench",
    )
    .expect("coupon");

    // A million appointments and 200,000 sent messages, written directly.
    let mut db = salonbox::store::bare_connection(app.database_path()).expect("bare");
    {
        let tx = db.transaction().expect("tx");
        let ids: Vec<String> = {
            let mut st = tx.prepare("SELECT id FROM customers").expect("prepare");
            st.query_map([], |r| r.get(0)).expect("ids").collect::<Result<_, _>>().expect("ids")
        };
        let service: String = tx.query_row("SELECT id FROM services LIMIT 1", [], |r| r.get(0)).expect("service");
        let staff: Vec<String> = {
            let mut st = tx.prepare("SELECT id FROM staff").expect("prepare");
            st.query_map([], |r| r.get(0)).expect("staff").collect::<Result<_, _>>().expect("staff")
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let first = now - Duration::days(730);
        let span_ms = Duration::days(1095).num_milliseconds();
        let mut st = tx
            .prepare(
                "INSERT INTO appointments (id, customer_id, service_id, staff_id, starts_at, ends_at, status, source, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'bench', ?5, ?5)",
            )
            .expect("prepare");
        for i in 0..appointments {
            let start = first.timestamp_millis() + rng.random_range(0..span_ms) / 1_800_000 * 1_800_000;
            let status = if start < now.timestamp_millis() { "completed" } else { "booked" };
            st.execute(rusqlite::params![
                uuid::Uuid::now_v7().to_string(),
                ids[i % ids.len()],
                service,
                staff[i % staff.len()],
                start,
                start + 3_600_000,
                status
            ])
            .expect("appointment");
        }
        drop(st);
        let mut st = tx
            .prepare(
                "INSERT INTO notification_outbox (dedupe_key, id, kind, audience, customer_id, template, params, not_before,
                     status, created_at, updated_at, sent_at, recipient)
                 VALUES (?1, ?1, 'transactional', 'customer', ?2, 'reminder_2h', '{}', ?3, 'sent', ?3, ?3, ?3, '13800000000')",
            )
            .expect("prepare");
        for i in 0..200_000usize {
            let t = now.timestamp_millis() - (i as i64) * 300_000;
            st.execute(rusqlite::params![format!("bench:{i}"), ids[i % ids.len()], t]).expect("message");
        }
        drop(st);
        tx.commit().expect("commit");
    }
    app.checkpoint().expect("checkpoint");
    eprintln!("seeded {customers} customers, {appointments} appointments in {:.1?}", started.elapsed());

    let mut g = c.benchmark_group(format!("daemon_{customers}_customers_{appointments}_appointments"));
    g.sample_size(20);
    let at = now;
    let evening = now + Duration::hours(8); // 18:30 Shanghai
    g.bench_function("reminder_2h_due", |b| b.iter(|| app.run_job("reminder_2h", at, true).expect("job")));
    g.bench_function("reminder_day_before_due", |b| {
        b.iter(|| app.run_job("reminder_day_before", evening, true).expect("job"))
    });
    g.bench_function("birthdays_due", |b| b.iter(|| app.run_job("birthday", at, true).expect("job")));
    g.bench_function("messages_due", |b| b.iter(|| app.due_messages(50).expect("due")));
    g.bench_function("everything_due", |b| {
        b.iter(|| {
            let a = app.run_job("reminder_2h", at, true).expect("job").queued.len();
            let b2 = app.run_job("reminder_day_before", evening, true).expect("job").queued.len();
            let c2 = app.run_job("birthday", at, true).expect("job").queued.len();
            let d = app.run_job("queue_near", at, true).expect("job").queued.len();
            let e = app.due_messages(50).expect("due").len();
            a + b2 + c2 + d + e
        })
    });
    g.finish();
}

criterion_group!(daemon, benches);
criterion_main!(daemon);
