//! The kiosk's resident memory over 1,000 check-ins made through its screens (issue 5:
//! flat, and under 80 MB). Prints VmRSS after the shop is open and after every 100
//! check-ins. Run by hand: `cargo bench --bench kiosk_memory`.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::kiosk::headless::{self, key, tap};
use salonbox::kiosk::{Devices, Kiosk, KioskWindow};
use slint::ComponentHandle;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::default();
    init(&config, dir.path()).expect("init");
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).single().expect("time")));
    let mut app = App::open(config, dir.path(), clock.clone()).expect("open");
    app.seed_demo(DemoSize { customers: 2000, days_of_history: 30 }, 7).expect("seed");
    let phones: Vec<String> =
        app.list_customers(2000, 0).expect("list").into_iter().filter_map(|c| c.phone).map(|p| p.to_string()).collect();
    headless::init().expect("headless");
    let ui = KioskWindow::new().expect("window");
    headless::set_size(&ui, 800, 480);
    let _kiosk = Kiosk::attach(&ui, app, Devices { simulator: true, ..Devices::default() });
    ui.show().expect("show");
    let _ = ui.window().take_snapshot();
    println!("open: {:.1} MiB", rss_mib());
    let mut made = 0;
    for (i, phone) in phones.iter().cycle().take(1000).enumerate() {
        if i % 40 == 0 {
            clock.advance(Duration::days(1));
        }
        tap(&ui, "WelcomePage::checkin-button");
        for d in phone.chars() {
            key(&ui, &d.to_string());
        }
        tap(&ui, "IdentifyPage::ok-button");
        if !tap(&ui, "CustomerPage::confirm-button") {
            let services = ui.global::<salonbox::kiosk::CustomerAdapter>().get_services();
            if let Some(s) = slint::Model::row_data(&services, 0) {
                key(&ui, &s.name);
            }
            tap(&ui, "CustomerPage::join-button");
        }
        if ui.global::<salonbox::kiosk::KioskAdapter>().get_page() == salonbox::kiosk::Page::Ticket {
            made += 1;
        }
        let _ = ui.window().take_snapshot();
        tap(&ui, "TicketPage::done-button");
        if (i + 1) % 100 == 0 {
            println!("after {:>4} check-ins ({made} tickets): {:.1} MiB", i + 1, rss_mib());
        }
    }
}
