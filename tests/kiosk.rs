//! The kiosk driven headlessly by element ids (Slint's testing backend, software renderer,
//! mock time) over a real shop database: the customer flows, the idle reset, and PNGs of
//! every screen at 800×480 and 720×1280.

#[path = "support/artefacts.rs"]
mod artefacts;

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
use salonbox::kiosk::{Devices, Kiosk, KioskAdapter, KioskWindow, Page, RegisterAdapter, TicketAdapter};
use slint::ComponentHandle;

struct Shop {
    _dir: tempfile::TempDir,
    ui: KioskWindow,
    kiosk: Rc<RefCell<Kiosk>>,
}

/// Monday 2026-11-23 10:00 in Shanghai: 王芳 has a 10:30 appointment, 李静 none.
fn shop() -> Shop {
    shop_with(|_| {})
}

/// `shop()` with the configuration changed by `f` first.
fn shop_with(f: impl FnOnce(&mut Config)) -> Shop {
    shop_setup(f, |_| {})
}

/// `shop()` with the configuration changed by `f` first, and `g` run on the shop before the
/// kiosk starts.
fn shop_setup(f: impl FnOnce(&mut Config), g: impl FnOnce(&mut App)) -> Shop {
    headless::init().expect("headless platform");
    let dir = artefacts::tempdir();
    let mut config = Config::default();
    config.shop.name = "悦颜美容".into();
    // the clock is the test's: nothing to wait for (tests/kiosk.rs has the clock's own test)
    config.jobs.clock_sync_file = None;
    init(&config, dir.path()).unwrap();
    f(&mut config);
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).single().unwrap()));
    let mut app = App::open(config, dir.path(), clock).unwrap();
    app.add_service("面部深层清洁", "面部护理", 60, "198", None, "test").unwrap();
    app.add_service("肩颈舒缓按摩", "身体护理", 45, "158", None, "test").unwrap();
    for (name, pin) in [("李娜", "2468"), ("赵雪", "1357")] {
        app.add_staff(
            &salonbox::app::staff::StaffInput {
                name: name.into(),
                role: "beautician".into(),
                pin: Some(pin.into()),
                ..Default::default()
            },
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
            allergies: if name == "李静" { "对果酸过敏".into() } else { String::new() },
            privacy_notice: Some("2026-11".into()),
            source: "test".into(),
            ..Default::default()
        })
        .unwrap();
    }
    app.add_product("P001", "补水面膜", "护肤品", "68".parse().unwrap(), "test").unwrap();
    app.add_coupon_template(
        "满200减30",
        &salonbox::domain::checkout::CouponKind::AmountOff {
            amount: "30".parse().unwrap(),
            min_spend: "200".parse().unwrap(),
        },
        30,
        1,
        "test",
    )
    .unwrap();
    app.issue_coupon("满200减30", "13912345678", "test").unwrap();
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
    g(&mut app);
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

/// A connection of the test's own to the shop's database (the faces only have `App`).
fn own_store(app: &salonbox::app::App) -> salonbox::store::Store {
    salonbox::store::Store::open_in(app.data_dir(), app.tz()).unwrap()
}

#[test]
fn phone_check_in_with_an_appointment() {
    let s = shop();
    assert_eq!(page(&s), Page::Welcome);
    assert!(tap(&s.ui, "WelcomePage::checkin-button"));
    assert_eq!(page(&s), Page::Identify);
    type_phone(&s, "1381234567");
    assert!(!element(&s.ui, "IdentifyPage::ok-button").unwrap().accessible_enabled().unwrap_or(true));
    type_phone(&s, "8");
    let echo = element(&s.ui, "IdentifyPage::phone-echo").unwrap().accessible_label().unwrap();
    assert_eq!(echo, "138 **** 5678");
    assert!(tap(&s.ui, "IdentifyPage::ok-button"));
    assert_eq!(page(&s), Page::Customer);
    assert!(tap(&s.ui, "CustomerPage::confirm-button"));
    assert_eq!(page(&s), Page::Ticket);
    let t = s.ui.global::<TicketAdapter>();
    assert_eq!(t.get_ticket(), "A001");
    assert!(t.get_detail().contains("面部深层清洁") && t.get_detail().contains("李娜"), "{}", t.get_detail());
    assert_eq!(s.kiosk.borrow().beeps, [Pattern::Appointment]);
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
    assert!(key(&s.ui, "赵雪"));
    assert_eq!(element(&s.ui, "CustomerPage::join-button").unwrap().accessible_enabled(), Some(true));
    tap(&s.ui, "CustomerPage::join-button");
    assert_eq!(page(&s), Page::Ticket);
    let t = s.ui.global::<TicketAdapter>();
    assert_eq!(t.get_ticket(), "W001");
    assert_eq!(t.get_detail(), "肩颈舒缓按摩 · 赵雪");
    assert_eq!(s.kiosk.borrow().beeps, [Pattern::Walkin]);
    // the ticket went to the print queue
    let jobs = s.kiosk.borrow_mut().app().print_jobs(5).unwrap();
    assert_eq!((jobs.len(), jobs[0].kind.as_str()), (1, "ticket"));
}

#[test]
fn the_ticket_shows_the_check_in_points_once_a_day() {
    let s = shop_setup(|_| {}, |app| app.set_rule_value("points.checkin", "5", "test").unwrap());
    let check_in = |s: &Shop| {
        tap(&s.ui, "WelcomePage::checkin-button");
        type_phone(s, "13812345678");
        tap(&s.ui, "IdentifyPage::ok-button");
        assert_eq!(page(s), Page::Customer);
        // her appointment the first time; once it is checked in, she comes back as a walk-in
        if !tap(&s.ui, "CustomerPage::confirm-button") {
            assert!(key(&s.ui, "肩颈舒缓按摩"));
            tap(&s.ui, "CustomerPage::join-button");
        }
        assert_eq!(page(s), Page::Ticket);
        s.ui.global::<TicketAdapter>().get_wait().to_string()
    };
    let first = check_in(&s);
    assert!(first.contains("签到积分 +5"), "{first}");
    assert_eq!(s.kiosk.borrow_mut().app().membership("13812345678").unwrap().points, 5);
    tap(&s.ui, "TicketPage::done-button");
    let again = check_in(&s);
    assert!(!again.contains("签到积分"), "once a day: {again}");
}

fn set_text(s: &Shop, label: &str, value: &str) {
    let field = salonbox::kiosk::headless::by_label(&s.ui, label).unwrap_or_else(|| panic!("no field {label}"));
    field.set_accessible_value(value);
    // change handlers run on the next turn of the event loop
    headless::advance(Duration::from_millis(16));
}

#[test]
fn a_new_customer_registers_but_not_without_consent() {
    let s = shop();
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13700000000");
    tap(&s.ui, "IdentifyPage::ok-button");
    assert_eq!(page(&s), Page::Register);
    let r = s.ui.global::<RegisterAdapter>();
    assert_eq!(r.get_phone(), "137****0000");
    assert!(!r.get_details_ok(), "a name is needed");
    set_text(&s, "姓名", "赵敏");
    key(&s.ui, "女士");
    key(&s.ui, "敏感泛红");
    set_text(&s, "生日（可选）", "1992-04-05");
    assert!(r.get_details_ok());
    tap(&s.ui, "RegisterPage::next-button");
    assert_eq!(page(&s), Page::Consent);
    assert!(r.get_notice_text().len() > 20, "the notice is shown");
    // without consent the button does nothing
    assert_eq!(element(&s.ui, "ConsentPage::register-button").unwrap().accessible_enabled(), Some(false));
    tap(&s.ui, "ConsentPage::register-button");
    assert_eq!(page(&s), Page::Consent);
    tap(&s.ui, "ConsentPage::consent-tick");
    tap(&s.ui, "ConsentPage::register-button");
    assert_eq!(page(&s), Page::Customer);
    assert!(s.ui.global::<salonbox::kiosk::CustomerAdapter>().get_greeting().contains("赵女士"));
    let c = s.kiosk.borrow_mut().app().customer_by_key("13700000000").unwrap();
    assert_eq!(c.name, "赵敏");
    assert_eq!(c.birthday.map(|b| b.to_string()).as_deref(), Some("1992-04-05"));
    assert_eq!(c.skin_concerns, ["敏感泛红"]);
    assert!(!c.marketing_consent, "marketing is a separate, unticked choice");
}

#[test]
fn a_new_customer_names_who_recommended_her() {
    let s = shop_setup(|_| {}, |app| app.set_rule_value("referral.points", "30", "test").unwrap());
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13700000001");
    tap(&s.ui, "IdentifyPage::ok-button");
    assert_eq!(page(&s), Page::Register);
    let r = s.ui.global::<RegisterAdapter>();
    set_text(&s, "姓名", "孙丽");
    set_text(&s, "推荐人手机（可选）", "13800000000");
    assert!(s.ui.global::<KioskAdapter>().get_notice().contains("没有找到"), "a number that is nobody's is said");
    set_text(&s, "推荐人手机（可选）", "1381234");
    assert!(!r.get_details_ok(), "half a number");
    set_text(&s, "推荐人手机（可选）", "13812345678");
    assert!(r.get_details_ok());
    assert_eq!(s.ui.global::<KioskAdapter>().get_notice(), "");
    tap(&s.ui, "RegisterPage::next-button");
    tap(&s.ui, "ConsentPage::consent-tick");
    tap(&s.ui, "ConsentPage::register-button");
    assert_eq!(page(&s), Page::Customer);
    let mut k = s.kiosk.borrow_mut();
    let wang = k.app().customer_by_key("13812345678").unwrap();
    let referrals = k.app().referrals(&wang.id).unwrap();
    assert_eq!(referrals.referred.iter().map(|(_, n, _)| n.as_str()).collect::<Vec<_>>(), ["孙丽"]);
}

#[test]
fn an_id_card_nobody_knows_prefills_the_registration() {
    let s = shop();
    tap(&s.ui, "KioskWindow::sim-id");
    assert_eq!(page(&s), Page::Identify);
    assert!(s.ui.global::<KioskAdapter>().get_notice().contains("手机号"));
    type_phone(&s, "13600000000");
    tap(&s.ui, "IdentifyPage::ok-button");
    assert_eq!(page(&s), Page::Register);
    let r = s.ui.global::<RegisterAdapter>();
    assert_eq!((r.get_name().as_str(), r.get_birthday().as_str(), r.get_gender()), ("陈静", "1985-01-01", 1));
    assert_eq!(r.get_id_card(), "440306********1238");
    tap(&s.ui, "RegisterPage::next-button");
    tap(&s.ui, "ConsentPage::consent-tick");
    tap(&s.ui, "ConsentPage::register-button");
    assert_eq!(page(&s), Page::Customer);
    // the next swipe of the same card finds her
    tap(&s.ui, "CustomerPage::cancel-button");
    tap(&s.ui, "KioskWindow::sim-id");
    assert_eq!(page(&s), Page::Customer);
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
    tap(&s.ui, "KioskWindow::language-button");
    assert_eq!(element(&s.ui, "WelcomePage::checkin-button").unwrap().accessible_label().unwrap(), "点击签到");
}

/// The sizes every screen is rendered at: the 7" landscape panel, the 7" and 10" panels of
/// 1024×600 and 1280×800, and a portrait 720×1280 (README says which panels).
/// 800×480 comes last: the flows go on at that size after a screen is saved.
const SIZES: [(u32, u32); 4] = [(720, 1280), (1024, 600), (1280, 800), (800, 480)];

/// Every screen `docs/screens/` shows, each rendered at every size in `SIZES` by some test.
const SCREENS: &[&str] = &[
    "welcome",
    "identify",
    "appointment",
    "ticket",
    "walkin",
    "register",
    "consent",
    "welcome-en",
    "staff-pin",
    "staff-queue",
    "staff-appointments",
    "staff-devices",
    "checkout-package",
    "staff-devices-warnings",
    "staff-checkout",
    "checkout-cash",
    "checkout-paid",
    "rating",
    "rating-thanks",
    "reader-down",
];

/// Saves the current screen at every size of `SIZES` into target/tmp/kiosk-screens, and
/// checks each against its copy in `docs/screens/` (which `SALONBOX_UPDATE_SCREENS=1 cargo
/// test --test kiosk` refreshes): the documentation shows what the kiosk renders.
fn screens(s: &Shop, name: &str) {
    assert!(SCREENS.contains(&name), "{name} is not in SCREENS");
    for (w, h) in SIZES {
        headless::set_size(&s.ui, w, h);
        headless::advance(Duration::from_millis(250));
        let file = format!("{name}-{w}x{h}.png");
        let rendered = shots().join(&file);
        snapshot(&s.ui, &rendered).unwrap();
        documented(&rendered, &file);
    }
}

fn docs_screens() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screens")
}

fn rgba(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        other => panic!("{}: unexpected colour type {other:?}", path.display()),
    };
    (info.width, info.height, rgba)
}

/// `docs/screens/<file>` must look like what was just rendered (up to a few anti-aliased
/// pixels); with `SALONBOX_UPDATE_SCREENS` set it is replaced instead.
fn documented(rendered: &std::path::Path, file: &str) {
    let doc = docs_screens().join(file);
    if std::env::var_os("SALONBOX_UPDATE_SCREENS").is_some() {
        std::fs::copy(rendered, &doc).unwrap();
        return;
    }
    assert!(doc.exists(), "docs/screens/{file} is missing: run SALONBOX_UPDATE_SCREENS=1 cargo test --test kiosk");
    let (a, b) = (rgba(rendered), rgba(&doc));
    assert_eq!((a.0, a.1), (b.0, b.1), "docs/screens/{file} has another size");
    let differing =
        a.2.chunks(4).zip(b.2.chunks(4)).filter(|(x, y)| x.iter().zip(*y).any(|(p, q)| p.abs_diff(*q) > 48)).count();
    let total = (a.0 * a.1) as usize;
    assert!(
        differing * 200 <= total,
        "docs/screens/{file} differs from what the kiosk renders ({differing} of {total} pixels): run SALONBOX_UPDATE_SCREENS=1 cargo test --test kiosk and look at it"
    );
}

#[test]
fn docs_screens_holds_exactly_the_rendered_screens() {
    let mut want: Vec<String> =
        SCREENS.iter().flat_map(|n| SIZES.iter().map(move |(w, h)| format!("{n}-{w}x{h}.png"))).collect();
    want.sort();
    let mut have: Vec<String> = std::fs::read_dir(docs_screens())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    have.sort();
    assert_eq!(have, want, "docs/screens/ must hold every screen at every size, and nothing else");
}

#[test]
fn every_screen_at_every_size() {
    let s = shop();
    screens(&s, "welcome");
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13812345678");
    screens(&s, "identify");
    tap(&s.ui, "IdentifyPage::ok-button");
    screens(&s, "appointment");
    tap(&s.ui, "CustomerPage::confirm-button");
    screens(&s, "ticket");
    tap(&s.ui, "TicketPage::done-button");
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13912345678");
    tap(&s.ui, "IdentifyPage::ok-button");
    key(&s.ui, "面部深层清洁");
    screens(&s, "walkin");
    tap(&s.ui, "CustomerPage::cancel-button");
    tap(&s.ui, "WelcomePage::checkin-button");
    type_phone(&s, "13700000000");
    tap(&s.ui, "IdentifyPage::ok-button");
    set_text(&s, "姓名", "赵敏");
    key(&s.ui, "女士");
    screens(&s, "register");
    tap(&s.ui, "RegisterPage::next-button");
    tap(&s.ui, "ConsentPage::consent-tick");
    screens(&s, "consent");
    tap(&s.ui, "ConsentPage::cancel-button");
    assert_eq!(page(&s), Page::Welcome);
    tap(&s.ui, "KioskWindow::language-button");
    screens(&s, "welcome-en");
    tap(&s.ui, "KioskWindow::language-button");
    tap(&s.ui, "KioskWindow::staff-button");
    key(&s.ui, "李娜");
    screens(&s, "staff-pin");
    pin(&s, "2468");
    screens(&s, "staff-queue");
    tap(&s.ui, "StaffPage::appointments-tab");
    screens(&s, "staff-appointments");
    tap(&s.ui, "StaffPage::devices-tab");
    screens(&s, "staff-devices");
    tap(&s.ui, "StaffPage::queue-tab");
    assert!(key(&s.ui, "call A001"));
    assert!(key(&s.ui, "start A001"));
    assert!(key(&s.ui, "checkout A001"));
    key(&s.ui, "现金");
    screens(&s, "staff-checkout");
    assert_eq!(page(&s), Page::Checkout);
}

#[test]
fn every_label_has_an_english_translation() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let po = std::fs::read_to_string(root.join("translations/en/LC_MESSAGES/salonbox.po")).unwrap();
    let mut files = vec![root.join("kiosk.slint"), root.join("widgets.slint")];
    files.extend(std::fs::read_dir(root.join("pages")).unwrap().map(|e| e.unwrap().path()));
    let mut missing = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for part in text.split("@tr(\"").skip(1) {
            let msg = part.split('"').next().unwrap();
            let entry = format!("msgid \"{msg}\"\nmsgstr \"");
            let translated = po.split(&entry).nth(1).is_some_and(|rest| !rest.starts_with('"'));
            if !translated {
                missing.push(format!("{}: {msg}", f.display()));
            }
        }
    }
    assert!(missing.is_empty(), "untranslated: {missing:?}");
}

fn pin(s: &Shop, digits: &str) {
    for d in digits.chars() {
        key(&s.ui, &d.to_string());
    }
    tap(&s.ui, "StaffPinPage::login-button");
}

#[test]
fn five_wrong_pins_lock_staff_mode() {
    let s = shop();
    assert!(tap(&s.ui, "KioskWindow::staff-button"));
    assert_eq!(page(&s), Page::StaffPin);
    key(&s.ui, "李娜");
    for left in (1..=4).rev() {
        pin(&s, "0000");
        assert_eq!(page(&s), Page::StaffPin);
        let n = s.ui.global::<KioskAdapter>().get_notice();
        assert!(n.contains(&format!("还可再试 {left} 次")), "{n}");
    }
    pin(&s, "0000");
    assert!(s.ui.global::<KioskAdapter>().get_notice().contains("已锁定"));
    // even the right PIN is refused now
    pin(&s, "2468");
    assert_eq!(page(&s), Page::StaffPin);
    assert!(s.ui.global::<KioskAdapter>().get_notice().contains("已锁定"));
    // another beautician is not affected
    key(&s.ui, "赵雪");
    pin(&s, "1357");
    assert_eq!(page(&s), Page::Staff);
}

#[test]
fn staff_call_next_sounds_the_buzzer_and_prints_the_slip() {
    // Cloud sync is on from the start: the shop's changes wait in the queue for the cloud.
    let s = shop_with(|c| c.cloud.enabled = true);
    {
        let mut k = s.kiosk.borrow_mut();
        for phone in ["13912345678", "13812345678"] {
            k.app()
                .check_in(&salonbox::app::checkin::CheckinRequest {
                    identity: salonbox::app::checkin::Identity::Phone(
                        salonbox::domain::phone::Phone::parse(phone).unwrap(),
                    ),
                    service: Some("肩颈舒缓按摩".into()),
                    staff: None,
                })
                .unwrap();
        }
    }
    tap(&s.ui, "KioskWindow::staff-button");
    key(&s.ui, "李娜");
    pin(&s, "2468");
    assert_eq!(page(&s), Page::Staff);
    let q = s.ui.global::<salonbox::kiosk::StaffAdapter>().get_queue();
    assert_eq!(slint::Model::row_count(&q), 2);
    let first = slint::Model::row_data(&q, 0).unwrap();
    assert_eq!(first.ticket, "W001");
    assert!(first.warning.contains("果酸"), "{:?}", first.warning);
    tap(&s.ui, "StaffPage::call-next-button");
    assert_eq!(s.kiosk.borrow().beeps, [Pattern::Walkin]);
    let q = s.ui.global::<salonbox::kiosk::StaffAdapter>().get_queue();
    assert_eq!(slint::Model::row_data(&q, 0).unwrap().status, "called");
    // the slip for the beautician, with the allergy on it
    let jobs = s.kiosk.borrow_mut().app().print_jobs(5).unwrap();
    let slip = jobs.iter().find(|j| j.kind == "slip").expect("a service slip");
    let text = salonbox::devices::escpos_read::decode(&slip.body).unwrap().texts().join("\n");
    assert!(text.contains("W001") && text.contains("对果酸过敏"), "{text}");
    // start, then check out at the screen: the library prices it, the receipt prints
    assert!(key(&s.ui, "start W001"));
    assert!(key(&s.ui, "checkout W001"));
    assert_eq!(page(&s), Page::Checkout);
    let co = s.ui.global::<salonbox::kiosk::CheckoutAdapter>();
    assert_eq!(co.get_due(), "¥158.00");
    // The coupon needs ¥200: refused with the reason, and taken off again.
    assert!(key(&s.ui, "满200减30"));
    assert!(
        s.ui.global::<KioskAdapter>().get_notice().contains("200"),
        "{}",
        s.ui.global::<KioskAdapter>().get_notice()
    );
    assert_eq!(co.get_due(), "¥158.00");
    // A face mask from the shelf, then the coupon applies: 158 + 68 - 30.
    assert!(key(&s.ui, "补水面膜"));
    assert_eq!(co.get_due(), "¥226.00");
    assert!(key(&s.ui, "满200减30"));
    assert_eq!(co.get_due(), "¥196.00");
    assert_eq!(element(&s.ui, "CheckoutPage::pay-button").unwrap().accessible_enabled(), Some(false), "no tender yet");
    assert!(key(&s.ui, "微信支付"));
    tap(&s.ui, "CheckoutPage::pay-button");
    assert!(co.get_paid(), "{}", s.ui.global::<KioskAdapter>().get_notice());
    assert!(co.get_result().contains("¥196.00"), "{}", co.get_result());
    let jobs = s.kiosk.borrow_mut().app().print_jobs(5).unwrap();
    let receipt = jobs.iter().find(|j| j.kind == "receipt").expect("a receipt");
    let text = salonbox::devices::escpos_read::decode(&receipt.body).unwrap().texts().join("\n");
    assert!(text.contains("肩颈舒缓按摩") && text.contains("补水面膜") && text.contains("139****5678"), "{text}");
    // paying twice is impossible
    tap(&s.ui, "CheckoutPage::pay-button");
    {
        let mut k = s.kiosk.borrow_mut();
        let c = k.app().customer_by_key("13912345678").unwrap();
        assert_eq!(k.app().customer_summary(&c.id).unwrap().visits, 1, "one visit recorded");
    }
    tap(&s.ui, "CheckoutPage::back-button");
    let q = s.ui.global::<salonbox::kiosk::StaffAdapter>().get_queue();
    assert_eq!(slint::Model::row_count(&q), 1, "W001 is done");
    // A daemon died while sending W001's staff alert: staff see it under devices.
    {
        let mut k = s.kiosk.borrow_mut();
        let app = k.app();
        let alert = app
            .list_messages(Some("pending"), 10)
            .unwrap()
            .into_iter()
            .find(|n| n.template == "staff_arrival")
            .unwrap();
        assert!(app.claim_message(&alert.dedupe_key).unwrap());
        // It was cut off during the request to the WeCom bot, which cannot be asked.
        app.message_attempt(&alert.dedupe_key, "wecom", None).unwrap();
        app.recover_messages().unwrap();
        // The daemon last reached the cloud three hours ago.
        let three_hours_ago = app.now() - chrono::Duration::hours(3);
        own_store(app).write(|tx| tx.set_sync_time(salonbox::store::SyncKey::LastSuccess, three_hours_ago)).unwrap();
    }
    tap(&s.ui, "StaffPage::devices-tab");
    let devices = s.ui.global::<salonbox::kiosk::StaffAdapter>().get_devices();
    let row = |name: &str| {
        (0..slint::Model::row_count(&devices))
            .filter_map(|i| slint::Model::row_data(&devices, i))
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("a row for {name}"))
    };
    let messages = row("短信/微信消息");
    assert!(!messages.ok && messages.detail.contains("1 条不确定是否发出"), "{:?}", messages.detail);
    let cloud = row("云同步");
    assert!(!cloud.ok && cloud.detail.contains("起离线（约 3 小时）"), "{:?}", cloud.detail);
    // The shop has customers and no backup yet: the owner hears of it here too.
    let backups = row("备份");
    assert!(!backups.ok && backups.detail.contains("还没有备份"), "{:?}", backups.detail);
    screens(&s, "staff-devices-warnings");
    tap(&s.ui, "StaffPage::logout-button");
    assert_eq!(page(&s), Page::Welcome);
}

/// 李静 walks in for a massage; 李娜 logs in at the kiosk, calls her, starts the service and
/// opens her checkout.
fn open_walk_in_checkout(s: &Shop) {
    s.kiosk
        .borrow_mut()
        .app()
        .check_in(&salonbox::app::checkin::CheckinRequest {
            identity: salonbox::app::checkin::Identity::Phone(
                salonbox::domain::phone::Phone::parse("13912345678").unwrap(),
            ),
            service: Some("肩颈舒缓按摩".into()),
            staff: None,
        })
        .unwrap();
    tap(&s.ui, "KioskWindow::staff-button");
    key(&s.ui, "李娜");
    pin(s, "2468");
    tap(&s.ui, "StaffPage::call-next-button");
    let ticket = slint::Model::row_data(&s.ui.global::<salonbox::kiosk::StaffAdapter>().get_queue(), 0).unwrap().ticket;
    assert!(key(&s.ui, &format!("start {ticket}")));
    assert!(key(&s.ui, &format!("checkout {ticket}")));
}

#[test]
fn after_paying_the_customer_rates_the_visit_on_the_kiosk() {
    let s = shop();
    open_walk_in_checkout(&s);
    assert!(element(&s.ui, "CheckoutPage::rate-button").is_none(), "no rating before payment");
    assert!(key(&s.ui, "现金"));
    // Cash: the notes she may hand over, each with its change; none chosen is the exact sum.
    let co = s.ui.global::<salonbox::kiosk::CheckoutAdapter>();
    let offers = |co: &salonbox::kiosk::CheckoutAdapter| {
        let m = co.get_cash_offers();
        (0..slint::Model::row_count(&m))
            .filter_map(|i| slint::Model::row_data(&m, i))
            .map(|o| (o.label.to_string(), o.detail.to_string(), o.count))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        offers(&co),
        [
            ("收 ¥160".to_string(), "找零 ¥2.00".to_string(), 0),
            ("收 ¥200".to_string(), "找零 ¥42.00".to_string(), 0),
            ("收 ¥300".to_string(), "找零 ¥142.00".to_string(), 0),
        ]
    );
    assert!(key(&s.ui, "收 ¥200"));
    assert_eq!(offers(&co)[1].2, 1);
    screens(&s, "checkout-cash");
    // another tender forgets the cash handed over
    assert!(key(&s.ui, "微信支付"));
    assert!(key(&s.ui, "现金"));
    assert!(offers(&co).iter().all(|o| o.2 == 0));
    assert!(key(&s.ui, "收 ¥200"));
    tap(&s.ui, "CheckoutPage::pay-button");
    assert!(co.get_result().contains("找零 ¥42.00"), "{}", co.get_result());
    screens(&s, "checkout-paid");
    {
        let mut k = s.kiosk.borrow_mut();
        let jobs = k.app().print_jobs(5).unwrap();
        let receipt = jobs.iter().find(|j| j.kind == "receipt").expect("a receipt");
        let text = salonbox::devices::escpos_read::decode(&receipt.body).unwrap().texts().join("\n");
        assert!(text.contains("200.00") && text.contains("找零") && text.contains("42.00"), "{text}");
    }
    tap(&s.ui, "CheckoutPage::rate-button");
    assert_eq!(page(&s), Page::Rating);
    let ra = s.ui.global::<salonbox::kiosk::RatingAdapter>();
    assert!(ra.get_greeting().contains("女士"), "{}", ra.get_greeting());
    assert!(ra.get_detail().contains("肩颈舒缓按摩"), "{}", ra.get_detail());
    assert_eq!(element(&s.ui, "RatingPage::submit-button").unwrap().accessible_enabled(), Some(false));
    tap(&s.ui, "RatingPage::star-4");
    assert_eq!(ra.get_stars(), 4);
    assert!(key(&s.ui, "服务专业"));
    assert!(key(&s.ui, "等待太久"));
    assert!(key(&s.ui, "等待太久"), "a second tap takes it off");
    screens(&s, "rating");
    tap(&s.ui, "RatingPage::submit-button");
    assert!(ra.get_done(), "{}", s.ui.global::<KioskAdapter>().get_notice());
    screens(&s, "rating-thanks");
    let rows = s.kiosk.borrow_mut().app().feedback_list(1, 10).unwrap();
    assert_eq!((rows[0].rating, rows[0].comment.as_str(), rows[0].channel.as_str()), (4, "服务专业", "kiosk"));
    // ... and into the month's report, under the beautician and the service.
    {
        let mut k = s.kiosk.borrow_mut();
        let app = k.app();
        let today = app.today();
        let report = app.report(salonbox::app::report::Period::Monthly, today).unwrap();
        let staff: Vec<(String, i64, String)> =
            report.ratings_by_staff.iter().map(|r| (r.label.clone(), r.ratings, r.average.to_string())).collect();
        assert_eq!(staff, vec![("李娜".to_string(), 1, "4.0".to_string())]);
        assert_eq!(report.ratings_by_service[0].label, "肩颈舒缓按摩");
    }
    // Staff mode ended when the kiosk went to the customer; done goes back to the welcome.
    assert!(!s.ui.global::<salonbox::kiosk::Theme>().get_staff_mode());
    tap(&s.ui, "RatingPage::finish-button");
    assert_eq!(page(&s), Page::Welcome);
    assert_eq!(ra.get_stars(), 0);
    assert!(ra.get_detail().is_empty(), "nothing of the customer is left");
}

/// 李静 holds a package (套餐) of three massages and two masks: the massage she came for is
/// paid from it without asking, a mask is handed over from it with a tap, nothing is due;
/// taking the package off the massage prices it again.
#[test]
fn a_package_pays_for_the_service_and_hands_over_a_product() {
    let s = shop_setup(
        |_| {},
        |app| {
            app.stock_in("P001", 10, "B1", None, None, "test").unwrap();
            let draft = salonbox::app::packages::PackageDraft {
                name: "肩颈套餐".into(),
                price: "399".parse().unwrap(),
                valid_days: Some(90),
                items: vec!["肩颈舒缓按摩*3".into(), "补水面膜*2".into()],
            };
            app.define_package(&draft, "test").unwrap();
            let sale = salonbox::app::packages::PackageSaleRequest {
                customer: "13912345678".into(),
                package: "肩颈套餐".into(),
                tenders: vec![(salonbox::domain::checkout::Tender::Wechat, "399".parse().unwrap())],
            };
            app.sell_package(&sale, "test").unwrap();
        },
    );
    open_walk_in_checkout(&s);
    let co = s.ui.global::<salonbox::kiosk::CheckoutAdapter>();
    let chips = |co: &salonbox::kiosk::CheckoutAdapter| {
        let m = co.get_prepaid();
        (0..slint::Model::row_count(&m))
            .filter_map(|i| slint::Model::row_data(&m, i))
            .map(|o| (o.label.to_string(), o.detail.to_string(), o.count))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        chips(&co),
        [
            ("肩颈套餐 · 肩颈舒缓按摩".to_string(), "套餐 · 剩 3 次 · 02-21 前有效".to_string(), 1),
            ("肩颈套餐 · 补水面膜".to_string(), "套餐 · 剩 2 次 · 02-21 前有效".to_string(), 0),
        ]
    );
    assert_eq!(co.get_due(), "¥0.00", "the massage is paid from the package");
    // off: the massage is priced; on again
    assert!(key(&s.ui, "肩颈套餐 · 肩颈舒缓按摩"));
    assert_eq!(co.get_due(), "¥158.00");
    assert!(key(&s.ui, "肩颈套餐 · 肩颈舒缓按摩"));
    assert!(key(&s.ui, "肩颈套餐 · 补水面膜"));
    assert_eq!(co.get_due(), "¥0.00");
    assert_eq!(slint::Model::row_count(&co.get_lines()), 2, "the massage and the mask");
    screens(&s, "checkout-package");
    tap(&s.ui, "CheckoutPage::pay-button");
    assert!(co.get_paid(), "{}", s.ui.global::<KioskAdapter>().get_notice());
    let mut k = s.kiosk.borrow_mut();
    let left: Vec<(String, i64)> = k
        .app()
        .membership("13912345678")
        .unwrap()
        .courses
        .iter()
        .map(|c| (c.service_name.clone(), c.sessions_left))
        .collect();
    assert_eq!(left, [("肩颈舒缓按摩".to_string(), 2), ("补水面膜".to_string(), 1)]);
    let masks = k.app().stock_list().unwrap().into_iter().find(|r| r.sku == "P001").unwrap().level;
    assert_eq!(masks, 9, "the mask left the shelf");
}

#[test]
fn an_idle_reset_leaves_nothing_of_the_last_bill() {
    let s = shop();
    open_walk_in_checkout(&s);
    assert!(key(&s.ui, "现金"));
    let co = s.ui.global::<salonbox::kiosk::CheckoutAdapter>();
    assert!(co.get_customer().contains("李"), "{}", co.get_customer());
    assert!(slint::Model::row_count(&co.get_lines()) > 0);
    // the desk walks away: staff mode logs out by itself, and the bill goes with it
    headless::advance(Duration::from_secs(301));
    assert_eq!(page(&s), Page::Welcome);
    assert_eq!(co.get_customer(), "");
    assert_eq!(slint::Model::row_count(&co.get_lines()), 0);
    assert_eq!(slint::Model::row_count(&co.get_totals()), 0);
    assert_eq!(slint::Model::row_count(&co.get_cash_offers()), 0);
    assert_eq!((co.get_due().as_str(), co.get_balances().as_str(), co.get_tender().as_str()), ("", "", ""));
    assert!(!co.get_paid());
}

#[test]
fn the_reader_warning_goes_when_the_reader_is_back() {
    use salonbox::devices::reader::ReaderEvent;
    let s = shop();
    let notice = |s: &Shop| s.ui.global::<KioskAdapter>().get_notice().to_string();
    s.kiosk.borrow_mut().reader_event(ReaderEvent::Disconnected("串口 /dev/ttyUSB0 已断开".into()));
    assert!(notice(&s).contains("读卡器暂时不可用"), "{}", notice(&s));
    screens(&s, "reader-down");
    s.kiosk.borrow_mut().reader_event(ReaderEvent::Connected);
    assert_eq!(notice(&s), "", "the warning stays after the reader is back");
    // another notice is not the reader's to clear
    s.kiosk.borrow_mut().reader_event(ReaderEvent::ReadFailed("moved".into()));
    let failed = notice(&s);
    s.kiosk.borrow_mut().reader_event(ReaderEvent::Connected);
    assert_eq!(notice(&s), failed);
}

#[test]
fn no_check_in_until_the_clock_is_believable() {
    let flag_dir = tempfile::tempdir().unwrap();
    let flag = flag_dir.path().join("synchronized");
    let f = flag.clone();
    let s = shop_with(move |c| c.jobs.clock_sync_file = Some(f));
    let hint = || s.ui.global::<salonbox::kiosk::WelcomeAdapter>().get_hint().to_string();
    let notice = || s.ui.global::<KioskAdapter>().get_notice().to_string();
    // not synchronised yet: the welcome page says so, and check-in does not start
    assert!(hint().contains("正在校准时间"), "{}", hint());
    tap(&s.ui, "WelcomePage::checkin-button");
    assert_eq!(page(&s), Page::Welcome);
    assert!(notice().contains("正在校准时间"), "{}", notice());
    s.kiosk.borrow_mut().reader_event(salonbox::devices::reader::ReaderEvent::Card(
        salonbox::devices::reader::CardRead::Member("M100001".into()),
    ));
    assert_eq!(page(&s), Page::Welcome, "a card starts nothing either");
    // systemd-timesyncd says the clock is set: business as usual
    std::fs::write(&flag, b"").unwrap();
    tap(&s.ui, "WelcomePage::checkin-button");
    assert_eq!(page(&s), Page::Identify);
    assert!(!hint().contains("正在校准时间"));
}

#[test]
fn a_clock_set_back_by_a_power_cut_stops_check_ins() {
    // the shop recorded something at 10:00; the kiosk starts with its clock a day behind
    let s = shop_setup(
        |_| {},
        |app| {
            let later = app.now() + chrono::Duration::days(1);
            own_store(app)
                .write(|tx| tx.audit(later, "test", "test.mark", "test", "1", &serde_json::json!({})))
                .unwrap();
        },
    );
    let hint = s.ui.global::<salonbox::kiosk::WelcomeAdapter>().get_hint().to_string();
    assert!(hint.contains("系统时间有误"), "{hint}");
    tap(&s.ui, "WelcomePage::checkin-button");
    assert_eq!(page(&s), Page::Welcome);
    let notice = s.ui.global::<KioskAdapter>().get_notice().to_string();
    assert!(notice.contains("系统时间有误"), "{notice}");
}

#[test]
fn a_kiosk_without_a_buzzer_or_gpio_starts_and_says_so_on_the_devices_tab() {
    headless::init().expect("headless platform");
    let dir = artefacts::tempdir();
    let mut config = Config::default();
    config.jobs.clock_sync_file = None;
    init(&config, dir.path()).unwrap();
    // real devices on a machine that is not a Pi: no GPIO for pin 18, no reader on the port
    config.hardware.mode = salonbox::config::HardwareMode::Real;
    config.hardware.id_reader_port = dir.path().join("no-reader").to_string_lossy().into_owned();
    config.hardware.printer = "none".parse().unwrap();
    config.hardware.buzzer_gpio = Some(18);
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).single().unwrap()));
    let app = App::open(config.clone(), dir.path(), clock.clone()).unwrap();
    let devices = salonbox::kiosk::devices(&app).expect("the kiosk starts without its buzzer");
    assert!(devices.buzzer.is_none());
    let ui = KioskWindow::new().unwrap();
    headless::set_size(&ui, 800, 480);
    let kiosk = Kiosk::attach(&ui, app, devices);
    ui.show().unwrap();
    let statuses = kiosk.borrow_mut().app().device_statuses().unwrap();
    let buzzer = statuses.iter().find(|d| d.device == "buzzer").expect("the buzzer's state is recorded");
    assert!(!buzzer.ok && buzzer.detail.contains("GPIO"), "{buzzer:?}");
    tap(&ui, "WelcomePage::checkin-button");
    assert_eq!(ui.global::<KioskAdapter>().get_page(), Page::Identify, "customers still check in");
    drop(kiosk);
    drop(ui);
    // a kiosk that has no buzzer at all says so in its configuration: the old failure goes
    config.hardware.buzzer_gpio = None;
    let app = App::open(config, dir.path(), clock).unwrap();
    let devices = salonbox::kiosk::devices(&app).unwrap();
    assert!(devices.buzzer.is_none());
    let ui = KioskWindow::new().unwrap();
    let kiosk = Kiosk::attach(&ui, app, devices);
    let statuses = kiosk.borrow_mut().app().device_statuses().unwrap();
    let buzzer = statuses.iter().find(|d| d.device == "buzzer").unwrap();
    assert!(buzzer.ok && buzzer.detail.contains("none configured"), "{buzzer:?}");
}
