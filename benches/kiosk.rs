//! The kiosk's speed (issue 5): process start to the first frame, and one full frame of
//! each screen with the software renderer at 800×480. Resident memory after 1,000
//! check-ins is `benches/kiosk_memory.rs`.
//!
//! Run by hand: `cargo bench --bench kiosk`. Figures go to docs/performance.md.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::kiosk::headless::{self, key, tap};
use salonbox::kiosk::{Devices, Kiosk, KioskWindow};
use slint::ComponentHandle;

fn shop() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::default();
    init(&config, dir.path()).expect("init");
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).single().expect("time")));
    let mut app = App::open(config, dir.path(), clock).expect("open");
    app.seed_demo(DemoSize { customers: 2000, days_of_history: 30 }, 7).expect("seed");
    (dir, app)
}

fn benches(c: &mut Criterion) {
    let (dir, app) = shop();
    let phone = app_phone(dir.path());

    // process start to first frame: the real binary, headless
    let bin = env!("CARGO_BIN_EXE_salonbox");
    let png = dir.path().join("first.png");
    let mut g = c.benchmark_group("kiosk");
    g.sample_size(10);
    g.bench_function("process_start_to_first_frame", |b| {
        b.iter(|| {
            let out = std::process::Command::new(bin)
                .arg("--data-dir")
                .arg(dir.path())
                .args(["kiosk", "--first-frame"])
                .arg(&png)
                .env("SALONBOX_NOW", "2026-11-23T10:30:00+08:00")
                .output()
                .expect("run");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        })
    });

    headless::init().expect("headless");
    let ui = KioskWindow::new().expect("window");
    headless::set_size(&ui, 800, 480);
    let _kiosk = Kiosk::attach(&ui, app, Devices { simulator: true, ..Devices::default() });
    ui.show().expect("show");
    let frame = |name: &str, g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>| {
        g.bench_function(format!("frame_{name}_800x480"), |b| b.iter(|| ui.window().take_snapshot().expect("frame")));
    };
    frame("welcome", &mut g);
    tap(&ui, "WelcomePage::checkin-button");
    for d in phone.chars() {
        key(&ui, &d.to_string());
    }
    frame("identify", &mut g);
    tap(&ui, "IdentifyPage::ok-button");
    frame("customer", &mut g);
    g.finish();
}

/// A customer without an appointment today.
fn app_phone(dir: &std::path::Path) -> String {
    let c = rusqlite::Connection::open(dir.join("salonbox.sqlite3")).expect("db");
    c.query_row("SELECT phone FROM customers WHERE phone IS NOT NULL ORDER BY created_at LIMIT 1", [], |r| r.get(0))
        .expect("phone")
}

criterion_group!(kiosk, benches);
criterion_main!(kiosk);
