//! A monthly report over a shop with 100,000 customers and a year of visits (about a
//! million), beside one `SELECT sum()` over the same visits table.
//!
//! Run by hand: `cargo bench --bench report` (SALONBOX_BENCH_CUSTOMERS overrides the size).
//! Figures go to docs/performance.md.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use salonbox::app::demo::DemoSize;
use salonbox::app::report::Period;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;

fn benches(c: &mut Criterion) {
    let customers = std::env::var("SALONBOX_BENCH_CUSTOMERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::default();
    init(&config, dir.path()).expect("init");
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).single().expect("time")));
    let mut app = App::open(config, dir.path(), clock).expect("open");
    let started = std::time::Instant::now();
    let r = app.seed_demo(DemoSize { customers, days_of_history: 365 }, 7).expect("seed");
    eprintln!("seeded {} customers, {} visits in {:.1?}", r.customers, r.visits, started.elapsed());
    app.checkpoint().expect("checkpoint");
    let month = app.today();

    let mut g = c.benchmark_group(format!("shop_{customers}_customers"));
    g.sample_size(10);
    let bare = salonbox::store::bare_connection(app.database_path()).expect("bare");
    g.bench_function("select_sum_all_visits", |b| {
        b.iter(|| {
            let total: i64 = bare.query_row("SELECT sum(total_fen) FROM visits", [], |r| r.get(0)).expect("sum");
            total
        })
    });
    g.bench_function("monthly_report", |b| b.iter(|| app.report(Period::Monthly, month).expect("report")));
    g.finish();
}

criterion_group!(report, benches);
criterion_main!(report);
