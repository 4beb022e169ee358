//! The kiosk driven headlessly by element ids (Slint's testing backend, software renderer,
//! mock time) over a real shop database: the customer flows, the idle reset, and PNGs of
//! every screen at 800×480 and 720×1280.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use salonbox::app::booking::BookingRequest;
use salonbox::app::customers::Registration;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::devices::buzzer::Pattern;
use salonbox::kiosk::headless::{self, element, key, snapshot, tap};
use salonbox::kiosk::{Devices, Kiosk, KioskAdapter, KioskWindow, Page, TicketAdapter};
use slint::ComponentHandle;

struct Shop {
    _dir: tempfile::TempDir,
    ui: KioskWindow,
    kiosk: Rc<RefCell<Kiosk>>,
}

/// Monday 2026-11-23 10:00 in Shanghai: 王芳 has a 10:30 appointment, 李静 none.
fn shop() -> Shop {
    headless::init().expect("headless platform");
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.shop.name = "悦颜美容".into();
    init(&config, dir.path()).unwrap();
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).single().unwrap()));
    let mut app = App::open(config, dir.path(), clock).unwrap();
    app.add_service("面部深层清洁", "面部护理", 60, "198", None, "test").unwrap();
    app.add_service("肩颈舒缓按摩", "身体护理", 45, "158", None, "test").unwrap();
    for name in ["李娜", "赵雪"] {
        app.add_staff(
            &salonbox::app::staff::StaffInput { name: name.into(), role: "beautician".into(), ..Default::default() },
            "test",
        )
        .unwrap();
        app.add_shift(name, app.today(), "10:00-21:00", "test").unwrap();
    }
    for (name, phone) in [("王芳", "13812345678"), ("李静", "13912345678")] {
        app.register(&Registration {
            name: name.into(),
            phone: phone.into(),
            gender: Some("女".into()),
            privacy_notice: Some("2026-11".into()),
            source: "test".into(),
            ..Default::default()
        })
        .unwrap();
    }
    app.book(&BookingRequest {
        customer: "13812345678".into(),
        service: "面部深层清洁".into(),
        staff: Some("李娜".into()),
        resource: None,
        start: "2026-11-23 10:30".into(),
        note: String::new(),
        source: "test".into(),
    })
    .unwrap();
    let ui = KioskWindow::new().unwrap();
    headless::set_size(&ui, 800, 480);
    let kiosk = Kiosk::attach(&ui, app, Devices { simulator: true, ..Devices::default() });
    ui.show().unwrap();
    Shop { _dir: dir, ui, kiosk }
}

fn page(s: &Shop) -> Page {
    s.ui.global::<KioskAdapter>().get_page()
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kiosk-screens");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn type_phone(s: &Shop, phone: &str) {
    for d in phone.chars() {
        assert!(key(&s.ui, &d.to_string()), "key {d}");
    }
}

#[test]
fn phone_check_in_with_an_appointment() {
    let s = shop();
    assert_eq!(page(&s), Page::Welcome);
    snapshot(&s.ui, &shots().join("welcome-800x480.png")).unwrap();
    assert!(tap(&s.ui, "WelcomePage::checkin-button"));
    assert_eq!(page(&s), Page::Identify);
    type_phone(&s, "1381234567");
    assert!(!element(&s.ui, "IdentifyPage::ok-button").unwrap().accessible_enabled().unwrap_or(true));
    type_phone(&s, "8");
    let echo = element(&s.ui, "IdentifyPage::phone-echo").unwrap().accessible_label().unwrap();
    assert_eq!(echo, "138 **** 5678");
    snapshot(&s.ui, &shots().join("identify-800x480.png")).unwrap();
    assert!(tap(&s.ui, "IdentifyPage::ok-button"));
    assert_eq!(page(&s), Page::Customer);
    snapshot(&s.ui, &shots().join("appointment-800x480.png")).unwrap();
    assert!(tap(&s.ui, "CustomerPage::confirm-button"));
    assert_eq!(page(&s), Page::Ticket);
    let t = s.ui.global::<TicketAdapter>();
    assert_eq!(t.get_ticket(), "A001");
    assert!(t.get_detail().contains("面部深层清洁") && t.get_detail().contains("李娜"), "{}", t.get_detail());
    assert_eq!(s.kiosk.borrow().beeps, [Pattern::Appointment]);
    snapshot(&s.ui, &shots().join("ticket-800x480.png")).unwrap();
}

#[test]
fn a_walk_in_chooses_a_service_and_a_beautician() {
    let s = shop();
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13912345678");
    tap(&s.ui, "IdentifyPage::ok-button");
    assert_eq!(page(&s), Page::Customer);
    // no appointment: choose a service first, then (optionally) a beautician
    assert!(element(&s.ui, "CustomerPage::confirm-button").is_none());
    let join = element(&s.ui, "CustomerPage::join-button").unwrap();
    assert_eq!(join.accessible_enabled(), Some(false));
    assert!(key(&s.ui, "肩颈舒缓按摩"));
    snapshot(&s.ui, &shots().join("walkin-800x480.png")).unwrap();
    assert!(key(&s.ui, "赵雪"));
    assert_eq!(element(&s.ui, "CustomerPage::join-button").unwrap().accessible_enabled(), Some(true));
    tap(&s.ui, "CustomerPage::join-button");
    assert_eq!(page(&s), Page::Ticket);
    let t = s.ui.global::<TicketAdapter>();
    assert_eq!(t.get_ticket(), "W001");
    assert_eq!(t.get_detail(), "肩颈舒缓按摩 · 赵雪");
    assert_eq!(s.kiosk.borrow().beeps, [Pattern::Walkin]);
    // the ticket went to the print queue
    let jobs = s.kiosk.borrow_mut().app().store.read(|tx| tx.print_jobs(5)).unwrap();
    assert_eq!((jobs.len(), jobs[0].kind.as_str()), (1, "ticket"));
}

#[test]
fn an_unknown_phone_and_an_unregistered_card_say_what_to_do() {
    let s = shop();
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13700000000");
    tap(&s.ui, "IdentifyPage::ok-button");
    assert_eq!(page(&s), Page::Identify);
    let notice = s.ui.global::<KioskAdapter>().get_notice();
    assert!(notice.contains("请到前台登记"), "{notice}");
    snapshot(&s.ui, &shots().join("unknown-800x480.png")).unwrap();
    // a simulated ID card nobody registered
    tap(&s.ui, "KioskWindow::sim-id");
    assert!(s.ui.global::<KioskAdapter>().get_notice().contains("这张卡还没有登记"));
}

#[test]
fn a_member_qr_code_identifies_the_customer() {
    let s = shop();
    tap(&s.ui, "KioskWindow::sim-qr");
    assert_eq!(page(&s), Page::Customer);
    let greeting = s.ui.global::<salonbox::kiosk::CustomerAdapter>().get_greeting();
    assert!(greeting.contains("欢迎回来"), "{greeting}");
}

#[test]
fn idle_time_returns_to_welcome_and_forgets_the_customer() {
    let s = shop();
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13812345678");
    tap(&s.ui, "IdentifyPage::ok-button");
    assert_eq!(page(&s), Page::Customer);
    headless::advance(Duration::from_secs(29));
    assert_eq!(page(&s), Page::Customer, "not yet");
    headless::advance(Duration::from_secs(2));
    assert_eq!(page(&s), Page::Welcome);
    let c = s.ui.global::<salonbox::kiosk::CustomerAdapter>();
    assert_eq!(c.get_greeting(), "");
    assert_eq!(c.get_appointment(), "");
    tap(&s.ui, "WelcomePage::checkin-button");
    let echo = element(&s.ui, "IdentifyPage::phone-echo").unwrap().accessible_label().unwrap();
    assert_eq!(echo, "", "nothing of the previous customer");
}

#[test]
fn english_is_one_tap_away() {
    let s = shop();
    tap(&s.ui, "KioskWindow::language-button");
    assert!(s.ui.global::<KioskAdapter>().get_english());
    assert!(
        element(&s.ui, "WelcomePage::checkin-button").unwrap().accessible_label().unwrap().contains("Tap to check in")
    );
    snapshot(&s.ui, &shots().join("welcome-en-800x480.png")).unwrap();
    tap(&s.ui, "KioskWindow::language-button");
    assert_eq!(element(&s.ui, "WelcomePage::checkin-button").unwrap().accessible_label().unwrap(), "点击签到");
}

#[test]
fn every_screen_in_portrait() {
    let s = shop();
    headless::set_size(&s.ui, 720, 1280);
    snapshot(&s.ui, &shots().join("welcome-720x1280.png")).unwrap();
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13912345678");
    snapshot(&s.ui, &shots().join("identify-720x1280.png")).unwrap();
    tap(&s.ui, "IdentifyPage::ok-button");
    key(&s.ui, "面部深层清洁");
    snapshot(&s.ui, &shots().join("walkin-720x1280.png")).unwrap();
    tap(&s.ui, "CustomerPage::join-button");
    snapshot(&s.ui, &shots().join("ticket-720x1280.png")).unwrap();
    assert_eq!(page(&s), Page::Ticket);
}
