//! The back office in a real browser: Debian's headless Chromium driven over WebDriver
//! (tests/support/webdriver.rs) against the real server on a loopback port, over a demo
//! shop on a real SQLite file. Screens at 1366×768 and 390×844 go to
//! `target/tmp/web-screens/` and are compared with `docs/screens/web/`
//! (`SALONBOX_UPDATE_SCREENS=1` refreshes the copy; look at it).

#[path = "support/artefacts.rs"]
mod artefacts;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use salonbox::app::checkin::{CheckinRequest, Identity};
use salonbox::app::customers::Registration;
use salonbox::app::demo::DemoSize;
use salonbox::app::staff::PinCheck;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::domain::phone::Phone;
use serde_json::json;
use webdriver::Browser;

const PHONE: &str = "13912345678";

/// Thursday 2026-12-03 10:30 in Shanghai: the shop is open, the demo's day under way.
fn morning() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 2, 30, 0).single().unwrap()
}

fn tomorrow() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
}

struct Site {
    url: String,
    clock: Arc<FixedClock>,
    dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Site {
    fn app(&self) -> App {
        App::open(Config::default(), self.dir.path(), self.clock.clone()).unwrap()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A demo shop (200 customers, logins for every role, 王小美 with an allergy) served on a
/// loopback port.
async fn site() -> Site {
    let dir = artefacts::tempdir();
    init(&Config::default(), dir.path()).unwrap();
    let clock = Arc::new(FixedClock::new(morning()));
    let mut app = App::open(Config::default(), dir.path(), clock.clone()).unwrap();
    app.seed_demo(DemoSize { customers: 200, days_of_history: 60 }, 7).unwrap();
    app.seed_demo_logins().unwrap();
    app.register(&Registration {
        name: "王小美".into(),
        phone: PHONE.into(),
        gender: Some("女".into()),
        allergies: "果酸过敏".into(),
        privacy_notice: Some("2026-11".into()),
        source: "test".into(),
        ..Default::default()
    })
    .unwrap();
    // two walk-ins already waiting
    for c in app.list_customers(2, 0).unwrap() {
        let identity = Identity::Phone(c.phone.clone().unwrap());
        app.check_in(&CheckinRequest { identity, service: Some("小气泡清洁".into()), staff: None }).unwrap();
    }
    // a beautician of her own, working tomorrow, for the appointment book's tests
    app.add_staff(
        &salonbox::app::staff::StaffInput { name: "吴老师".into(), role: "beautician".into(), ..Default::default() },
        "test",
    )
    .unwrap();
    app.add_shift("吴老师", tomorrow(), "10:00-20:00", "test").unwrap();
    app.set_service_buffer("面部深层清洁", 15, "test").unwrap();
    drop(app);
    serve(dir, clock).await
}

/// The back office of the shop in `dir`, on a loopback port.
async fn serve(dir: tempfile::TempDir, clock: Arc<FixedClock>) -> Site {
    let shop = Arc::new(salonbox::web::Shop::open(Config::default(), dir.path(), clock.clone()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(salonbox::web::serve_on(listener, shop, async move {
        let _ = rx.await;
    }));
    Site { url, clock, dir, stop: Some(stop) }
}

async fn login(b: &Browser, site: &Site, name: &str, secret: &str) {
    b.goto(&format!("{}/login", site.url)).await;
    b.type_into("#name", name).await;
    b.type_into("#secret", secret).await;
    b.click("#login").await;
}

/// Saves a screen and compares it with `docs/screens/web/`: the same size, and at most 1%
/// of the pixels differing (font rasterising may move a pixel between Chromium builds).
async fn screen(b: &Browser, name: &str) {
    let png = b.screenshot().await;
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screens");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(format!("{name}.png")), &png).unwrap();
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screens/web");
    let kept = docs.join(format!("{name}.png"));
    if std::env::var_os("SALONBOX_UPDATE_SCREENS").is_some() {
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(&kept, &png).unwrap();
        return;
    }
    let old = std::fs::read(&kept).unwrap_or_else(|_| panic!("{} missing: SALONBOX_UPDATE_SCREENS=1", kept.display()));
    let (a, wa, ha) = pixels(&png);
    let (b, wb, hb) = pixels(&old);
    assert_eq!((wa, ha), (wb, hb), "{name}: the screen's size changed");
    let differ = a.chunks(4).zip(b.chunks(4)).filter(|(x, y)| x != y).count();
    let share = differ as f64 / (wa * ha) as f64;
    assert!(
        share < 0.01,
        "{name}: {:.1}% of the pixels differ from docs/screens/web (SALONBOX_UPDATE_SCREENS=1 after looking)",
        share * 100.0
    );
}

/// The doctor names the data directory, a temporary one here, and the audit log random ids
/// and file sizes: the screens show the packaged path and fixed stand-ins instead, so that
/// they are the same on every machine and every run.
async fn steady_screen(b: &Browser, site: &Site) {
    b.exec(
        "const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
         while (w.nextNode()) {
           w.currentNode.nodeValue = w.currentNode.nodeValue.split(arguments[0]).join('/var/lib/salonbox')
             .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '01234567-89ab-7def-8123-456789abcdef')
             .replace(/bytes.:[0-9]+/g, 'bytes\\u0022:1048576');
         }",
        json!([site.dir.path().to_string_lossy()]),
    )
    .await;
}

fn pixels(png_bytes: &[u8]) -> (Vec<u8>, usize, usize) {
    let mut d = png::Decoder::new(std::io::Cursor::new(png_bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut r = d.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (buf, info.width as usize, info.height as usize)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_desk_logs_in_sees_the_day_and_finds_customers() {
    let site = site().await;
    for (w, h, size) in [(1366, 768, "1366x768"), (1024, 768, "1024x768"), (390, 844, "390x844")] {
        let b = Browser::start(w, h).await;
        b.goto(&format!("{}/today", site.url)).await;
        // not logged in: the login page, which remembers where she was going
        b.wait_for("#login").await;
        assert!(b.url().await.contains("/login?next=/today"), "{}", b.url().await);
        screen(&b, &format!("login-{size}")).await;
        login(&b, &site, "周晓燕", "2222").await;
        let text = b.wait_text("今天").await;
        assert!(text.contains("今日收款"), "{text}");
        assert!(b.url().await.ends_with("/today"));
        b.wait_for("#queue-table").await;
        screen(&b, &format!("today-{size}")).await;

        // by pinyin initials, as typed (htmx swaps the rows in)
        b.goto(&format!("{}/customers", site.url)).await;
        b.type_into("#q", "wxm").await;
        let text = b.wait_text("王小美").await;
        assert!(text.contains(PHONE), "the front desk sees the whole number: {text}");
        // by the last four digits of the phone
        b.clear("#q").await;
        b.type_into("#q", "5678").await;
        // every row the new search swapped in ends in 5678 (the rows for wxm had gone)
        b.wait_until(
            "[...document.querySelectorAll('#customer-table tbody tr')].length > 0 && \
             [...document.querySelectorAll('#customer-table td.phone')].every(td => td.textContent.trim().endsWith('5678')) && \
             location.search.includes('5678')",
        )
        .await;
        b.wait_text(PHONE).await;
        screen(&b, &format!("customers-{size}")).await;
        b.exec(
            "[...document.querySelectorAll('#customer-table a')].find(a => a.textContent.includes(arguments[0])).click()",
            json!(["王小美"]),
        )
        .await;
        let text = b.wait_text("果酸过敏").await;
        assert!(b.find("#allergy").await.is_some(), "the allergy banner: {text}");
        screen(&b, &format!("customer-{size}")).await;
        b.quit().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_on_today_updates_by_itself() {
    let site = site().await;
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "孙慧", "3333").await;
    b.wait_for("#queue-table").await;
    // 王小美 checks in at the kiosk (another process, as in the shop)
    let mut app = site.app();
    let out = app
        .check_in(&CheckinRequest {
            identity: Identity::Phone(Phone::parse(PHONE).unwrap()),
            service: Some("小气泡清洁".into()),
            staff: None,
        })
        .unwrap();
    // the page is not reloaded: the server pushes the new queue
    let text = b.wait_text(&out.entry.ticket).await;
    assert!(text.contains(&out.greeting), "{text}");
    // what a browser without server-sent events asks for instead (app.js, every 10 s)
    b.goto(&format!("{}/today/queue", site.url)).await;
    let part = b.wait_text(&out.entry.ticket).await;
    assert!(!part.contains("退出"), "the part alone, without the page around it: {part}");
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_beautician_sees_masked_phones_and_may_not_export() {
    let site = site().await;
    // one of 李娜's customers today
    let mut app = site.app();
    let hers = app.appointments_on(None, Some("李娜"), false).unwrap();
    let customer = app.customer_by_key(&hers[0].customer_id).unwrap();
    let phone = customer.phone.clone().unwrap();
    let b = Browser::start(390, 844).await;
    login(&b, &site, "李娜", "1111").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/customers?q={}", site.url, &phone.as_str()[7..])).await;
    let text = b.wait_text(&customer.name).await;
    assert!(text.contains(&phone.masked()), "masked: {text}");
    assert!(!text.contains(phone.as_str()), "the whole number must not show: {text}");
    assert!(!text.contains(PHONE) && !text.contains("王小美"), "not her customer: {text}");
    // her customer's page, masked too
    b.goto(&format!("{}/customers/{}", site.url, customer.id)).await;
    let text = b.wait_text(&customer.member_code).await;
    assert!(!text.contains(phone.as_str()), "{text}");
    // someone else's customer: refused
    let other = app.search_customers("王小美", 1).unwrap().remove(0);
    b.goto(&format!("{}/customers/{}", site.url, other.id)).await;
    b.wait_text("无权限").await;
    // an export URL: 403, and the refusal is in the audit log
    let status = b.exec_async("fetch('/export/customers.csv').then(r => arguments[0](r.status))", json!([])).await;
    assert_eq!(status, json!(403));
    b.goto(&format!("{}/export/customers.csv", site.url)).await;
    b.wait_text("无权限").await;
    let audited: i64 = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'web.refused' AND entity_id = '/export/customers.csv'
               AND detail LIKE '%127.0.0.1%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2, "each refusal audited with the address");
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_expiry_and_the_shared_lock() {
    let site = site().await;
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "孙慧", "3333").await;
    b.wait_text("今天").await;
    // a POST without the page's token is refused (and does not log her out)
    let status = b.exec_async("fetch('/logout', {method: 'POST'}).then(r => arguments[0](r.status))", json!([])).await;
    assert_eq!(status, json!(403));
    b.goto(&format!("{}/customers", site.url)).await;
    b.wait_for("#q").await;
    // the manager may export; the export is audited
    let csv =
        b.exec_async("fetch('/export/customers.csv').then(r => r.text()).then(t => arguments[0](t))", json!([])).await;
    assert!(csv.as_str().unwrap().contains(PHONE));
    // 31 idle minutes: the session is over, the next page is the login
    site.clock.advance(chrono::Duration::minutes(31));
    b.goto(&format!("{}/customers", site.url)).await;
    b.wait_for("#login").await;
    assert!(b.url().await.contains("/login?next=/customers"));
    // five wrong PINs in the browser lock the kiosk's staff mode too
    for _ in 0..5 {
        login(&b, &site, "周晓燕", "0000").await;
        b.wait_for("#login-error").await;
    }
    assert!(b.text().await.contains("锁定"));
    let mut app = site.app();
    assert!(matches!(app.staff_login("周晓燕", "2222").unwrap(), PinCheck::Locked { .. }));
    b.quit().await;
}

/// Books from the calendar: two services back to back; a double booking and one inside a
/// clean-up time are refused with the reason beside the field; move and cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_appointment_book_books_refuses_moves_and_cancels() {
    let site = site().await;
    let mut app = site.app();
    let svc = |app: &mut App, name: &str| app.service_by_name(name).unwrap().unwrap().id;
    let (facial, eyes) = (svc(&mut app, "面部深层清洁"), svc(&mut app, "眼部护理"));
    let wu = app.list_staff().unwrap().into_iter().find(|s| s.name == "吴老师").unwrap();
    let other = app.list_customers(1, 5).unwrap().remove(0);
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "周晓燕", "2222").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/book?date={}", site.url, tomorrow())).await;
    b.wait_for("#book").await;
    // a free slot in 吴老师's column at 14:00
    b.click(&format!("a.slot[href$='staff={}&start={}T14:00']", wu.id, tomorrow())).await;
    b.wait_for("#booking-form").await;
    b.type_into("#customer_q", "wxm").await;
    b.click("#customer-choices input[type=radio]").await;
    b.exec(
        "document.getElementById('service1').value = arguments[0]; document.getElementById('service2').value = arguments[1];",
        json!([facial, eyes]),
    )
    .await;
    b.click("#book-submit").await;
    b.wait_for("#book").await;
    let text = b.wait_text("王小美").await;
    assert!(text.contains("面部深层清洁") && text.contains("眼部护理"), "{text}");
    screen(&b, "book-1366x768").await;
    let day = app.appointments_on(Some(tomorrow()), None, false).unwrap();
    let hers: Vec<_> = day.iter().filter(|a| a.customer_name == "王小美").collect();
    assert_eq!(hers.len(), 2, "{hers:?}");
    assert_eq!(hers[0].ends_at, hers[1].starts_at, "back to back");
    assert!(hers[0].group_id.is_some() && hers[0].group_id == hers[1].group_id);
    assert_eq!(hers[0].buffer_min, 15);

    // the same beautician at 14:30 for someone else: refused, the reason beside the service
    let book_at =
        |hm: &str| format!("{}/book/new?staff={}&start={}T{hm}&customer={}", site.url, wu.id, tomorrow(), other.id);
    b.goto(&book_at("14:30")).await;
    b.exec("document.getElementById('service1').value = arguments[0];", json!([eyes])).await;
    b.click("#book-submit").await;
    let e = b.wait_for("#service1-error").await;
    let msg = b.element_text(&e).await;
    assert!(msg.contains("吴老师") && msg.contains("已有预约"), "{msg}");
    screen(&b, "book-new-1366x768").await;
    // at 15:00 her 面部深层清洁 is over but its clean-up is not
    b.goto(&book_at("15:00")).await;
    b.exec("document.getElementById('service1').value = arguments[0];", json!([eyes])).await;
    b.click("#book-submit").await;
    let e = b.wait_for("#service1-error").await;
    let msg = b.element_text(&e).await;
    assert!(msg.contains("整理") && msg.contains("15 分钟"), "{msg}");
    // 15:15 is free: booked
    b.goto(&book_at("15:15")).await;
    b.exec("document.getElementById('service1').value = arguments[0];", json!([eyes])).await;
    b.click("#book-submit").await;
    b.wait_for("#book").await;

    // move 王小美's first appointment to 17:00 with the form
    b.goto(&format!("{}/appointments/{}", site.url, hers[0].id)).await;
    b.wait_for("#move-form").await;
    screen(&b, "appointment-1366x768").await;
    b.exec("document.getElementById('move-start').value = arguments[0];", json!([format!("{}T17:00", tomorrow())]))
        .await;
    b.click("#move-submit").await;
    b.wait_for("#book").await;
    let moved = app.appointment(&hers[0].id).unwrap();
    assert_eq!(salonbox::domain::time::local_hm(moved.starts_at, chrono_tz::Asia::Shanghai), "17:00");
    // a page that still shows the old time cannot move it again unseen
    b.goto(&format!("{}/appointments/{}", site.url, hers[1].id)).await;
    b.wait_for("#move-form").await;
    app.move_appointment(&hers[1].id, &format!("{} 18:00", tomorrow()), None, None, "test").unwrap();
    b.exec("document.getElementById('move-start').value = arguments[0];", json!([format!("{}T16:00", tomorrow())]))
        .await;
    b.click("#move-submit").await;
    let e = b.wait_for("#appointment-error").await;
    assert!(b.element_text(&e).await.contains("已被修改"), "stale page refused");
    // cancel with a reason
    b.goto(&format!("{}/appointments/{}", site.url, hers[1].id)).await;
    b.type_into("#reason", "顾客来电改期").await;
    b.click("#cancel-submit").await;
    b.wait_for("#book").await;
    let cancelled = app.appointment(&hers[1].id).unwrap();
    assert_eq!(cancelled.status, salonbox::domain::model::AppointmentStatus::Cancelled);
    // the week at a glance, and the day on a phone
    b.goto(&format!("{}/book?date={}&view=week", site.url, tomorrow())).await;
    b.wait_text("王小美").await;
    screen(&b, "book-week-1366x768").await;
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "周晓燕", "2222").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/book?date={}", site.url, tomorrow())).await;
    phone.wait_for("#book").await;
    screen(&phone, "book-390x844").await;
    phone.goto(&format!("{}/book?date={}&view=week", site.url, tomorrow())).await;
    phone.wait_text("王小美").await;
    screen(&phone, "book-week-390x844").await;
    phone.goto(&format!("{}/book/new?staff={}&start={}T11:00", site.url, wu.id, tomorrow())).await;
    phone.wait_for("#booking-form").await;
    screen(&phone, "book-new-390x844").await;
    phone.goto(&format!("{}/appointments/{}", site.url, hers[0].id)).await;
    phone.wait_for("#move-form").await;
    screen(&phone, "appointment-390x844").await;
    phone.quit().await;
}

/// A fresh install: the first visit goes to the owner's setup (a short or mistyped password
/// refused beside its field), she lands on Today and can log in again with her password; an
/// owner who has only a kiosk PIN must set a password before anything else; the setup page
/// is gone once an owner exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_shop_sets_up_its_owner_in_the_browser() {
    let dir = artefacts::tempdir();
    init(&Config::default(), dir.path()).unwrap();
    let site = serve(dir, Arc::new(FixedClock::new(morning()))).await;
    for (w, h) in [(1366, 768), (390, 844)] {
        let b = Browser::start(w, h).await;
        b.goto(&format!("{}/today", site.url)).await;
        b.wait_for("#save").await;
        assert!(b.url().await.ends_with("/setup"), "{}", b.url().await);
        screen(&b, &format!("setup-{w}x{h}")).await;
        b.quit().await;
    }
    let b = Browser::start(1366, 768).await;
    b.goto(&format!("{}/setup", site.url)).await;
    b.type_into("#name", "林店长").await;
    b.type_into("#password", "short").await;
    b.type_into("#again", "short").await;
    b.click("#save").await;
    let e = b.wait_for("#password-error").await;
    assert!(b.element_text(&e).await.contains("8"), "too short");
    b.type_into("#password", "salon-2026").await;
    b.type_into("#again", "salon-2027").await;
    // the first answer's error is still on the page: wait for the second answer's
    b.exec("document.getElementById('password-error')?.remove();", json!([])).await;
    b.click("#save").await;
    let e = b.wait_for("#password-error").await;
    assert!(b.element_text(&e).await.contains("不一致"), "mistyped");
    b.type_into("#password", "salon-2026").await;
    b.type_into("#again", "salon-2026").await;
    b.click("#save").await;
    // logged in, and on into the first-run wizard
    b.wait_for("#wizard-form").await;
    assert!(b.url().await.ends_with("/setup/shop"), "{}", b.url().await);
    fresh_shop_wizard(&b, &site).await;
    b.click(".logout button").await;
    b.wait_for("#login").await;
    login(&b, &site, "林店长", "salon-2026").await;
    b.wait_text("今天").await;
    // the setup page is gone: an owner exists
    b.goto(&format!("{}/setup", site.url)).await;
    b.wait_for("#login").await;
    b.quit().await;

    // a second owner with only a kiosk PIN: a password first
    let mut app = site.app();
    app.add_staff(
        &salonbox::app::staff::StaffInput {
            name: "王店长".into(),
            role: "owner".into(),
            pin: Some("4321".into()),
            ..Default::default()
        },
        "test",
    )
    .unwrap();
    for (w, h) in [(1366, 768), (390, 844)] {
        let b = Browser::start(w, h).await;
        login(&b, &site, "王店长", "4321").await;
        b.wait_for("#save").await;
        assert!(b.url().await.ends_with("/password"), "{}", b.url().await);
        b.goto(&format!("{}/customers", site.url)).await;
        b.wait_for("#save").await;
        assert!(b.url().await.ends_with("/password"), "nothing else before the password");
        screen(&b, &format!("password-{w}x{h}")).await;
        b.quit().await;
    }
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "王店长", "4321").await;
    b.wait_for("#save").await;
    b.type_into("#password", "wang-store-1").await;
    b.type_into("#again", "wang-store-1").await;
    b.click("#save").await;
    b.wait_text("今天").await;
    b.quit().await;
    let created: i64 = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.owner_created'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(created, 1, "the first visit's owner is audited");
}

/// The first-run wizard from an owner just created to an open shop, then the desk's first
/// customer and her check-in at the kiosk (over the same database): the shop's name, hours,
/// services, staff and tiers all come from the browser.
async fn fresh_shop_wizard(b: &Browser, site: &Site) {
    // 1. the shop: a bad phone and a day that closes before it opens are refused, typed
    // values kept
    screen(b, "setup-shop-1366x768").await;
    b.type_into("#shop_name", "  ").await;
    b.exec("document.getElementById('shop_name').value = '';", json!([])).await;
    b.type_into("#shop_name", "花漾美容会所").await;
    b.type_into("#address", "广州市天河区体育西路 88 号").await;
    b.type_into("#phone", "020-8888 六六").await;
    b.exec("document.getElementById('to6').value = '09:00';", json!([])).await;
    b.click("#wizard-next").await;
    let e = b.element_text(&b.wait_for("#wizard-error").await).await;
    assert!(e.contains("周日") || e.contains("电话"), "{e}");
    assert_eq!(b.exec("return document.getElementById('shop_name').value", json!([])).await, json!("花漾美容会所"));
    b.clear("#phone").await;
    b.type_into("#phone", "020-8888 6666").await;
    b.exec(
        "document.getElementById('to6').value = '18:00'; document.getElementById('open0').checked = false;",
        json!([]),
    )
    .await;
    b.click("#wizard-next").await;
    b.wait_for("#service-lines").await;
    assert!(b.url().await.ends_with("/setup/services"), "{}", b.url().await);
    // the new name is on every page at once
    assert!(b.text().await.contains("花漾美容会所"));
    // 2. services: the ticked suggestions, one edited, one of the shop's own
    screen(b, "setup-services-1366x768").await;
    let ticked = b.exec("return [...document.querySelectorAll('input[name=pick]:checked')].length;", json!([])).await;
    assert_eq!(ticked, json!(4), "a short list is ticked to start from");
    b.exec(
        "const rows = [...document.querySelectorAll('#service-lines tbody tr')];
         const facial = rows.find(r => r.querySelector('input[name=name]').value === '面部深层清洁');
         facial.querySelector('input[name=price]').value = '218';
         const own = rows.find(r => r.querySelector('input[name=name]').value === '');
         own.querySelector('input[name=pick]').checked = true;
         own.querySelector('input[name=name]').value = '玫瑰精油开背';
         own.querySelector('input[name=category]').value = '身体护理';
         own.querySelector('input[name=minutes]').value = '零';",
        json!([]),
    )
    .await;
    b.click("#wizard-next").await;
    let e = b.element_text(&b.wait_for("#wizard-error").await).await;
    assert!(e.contains("玫瑰精油开背") && e.contains("时长"), "{e}");
    let mut app = site.app();
    assert!(app.list_services(false).unwrap().is_empty(), "all or nothing: nothing added");
    b.exec(
        "const own = [...document.querySelectorAll('#service-lines tbody tr')]
           .find(r => r.querySelector('input[name=name]').value === '玫瑰精油开背');
         own.querySelector('input[name=minutes]').value = '50'; own.querySelector('input[name=price]').value = '268';",
        json!([]),
    )
    .await;
    b.click("#wizard-next").await;
    b.wait_for("#staff-lines").await;
    let services = app.list_services(false).unwrap();
    let listed: Vec<(String, u32, String)> =
        services.iter().map(|s| (s.name.clone(), s.duration_min, s.price.normalize().to_string())).collect();
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert!(listed.contains(&("面部深层清洁".into(), 60, "218".into())), "{listed:?}");
    assert!(listed.contains(&("玫瑰精油开背".into(), 50, "268".into())), "{listed:?}");
    // 3. staff with roles and PINs
    screen(b, "setup-staff-1366x768").await;
    b.exec(
        "const n = document.querySelectorAll('input[name=staff_name]'), p = document.querySelectorAll('input[name=pin]'),
               r = document.querySelectorAll('select[name=role]');
         n[0].value = '陈美玲'; p[0].value = '1234';
         n[1].value = '赵小雨'; p[1].value = '12'; r[1].value = 'front_desk';",
        json!([]),
    )
    .await;
    b.click("#wizard-next").await;
    let e = b.element_text(&b.wait_for("#wizard-error").await).await;
    assert!(e.contains("赵小雨") && e.contains("PIN"), "{e}");
    b.exec("document.querySelectorAll('input[name=pin]')[1].value = '5678';", json!([])).await;
    b.click("#wizard-next").await;
    b.wait_for("#tier-lines").await;
    let staff: Vec<(String, &str)> =
        app.list_staff().unwrap().into_iter().map(|s| (s.name, s.role.as_str())).filter(|s| s.1 != "owner").collect();
    assert_eq!(staff, vec![("陈美玲".into(), "beautician"), ("赵小雨".into(), "front_desk")]);
    assert!(matches!(app.staff_login("赵小雨", "5678").unwrap(), PinCheck::Ok(s) if s.name == "赵小雨"));
    // 4. tiers: 银卡 renamed 银卡会员 at ¥2,000 and 5% off
    screen(b, "setup-tiers-1366x768").await;
    b.exec(
        "const t = document.querySelectorAll('input[name=tier]'), m = document.querySelectorAll('input[name=min_spend]'),
               d = document.querySelectorAll('input[name=discount]');
         const i = [...t].findIndex(x => x.value === '银卡');
         t[i].value = '银卡会员'; m[i].value = '2000'; d[i].value = '5';",
        json!([]),
    )
    .await;
    b.click("#wizard-next").await;
    b.wait_text("今天").await;
    assert!(b.find("#setup-pending").await.is_none(), "set up: no reminder");
    let silver = app.tiers().unwrap().into_iter().find(|t| t.name == "银卡会员").expect("renamed");
    assert_eq!(
        (silver.min_spend.normalize().to_string(), silver.discounts["*"].normalize().to_string()),
        ("2000".into(), "5".into())
    );
    let profile = {
        let app = site.app();
        app.shop_profile()
    };
    assert_eq!((profile.name.as_str(), profile.phone.as_str()), ("花漾美容会所", "020-8888 6666"));
    assert!(profile.hours.days[0].is_none(), "closed on Mondays");
    let audited: i64 = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('shop.profile', 'service.add', 'staff.add', 'tier.set', 'setup.done')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // the profile, five services, the owner and two staff, the one tier changed, done
    assert_eq!(audited, 1 + 5 + 3 + 1 + 1, "every step audited");

    // the desk registers the first customer in the browser
    b.goto(&format!("{}/customers/new", site.url)).await;
    b.type_into("#name", "苏晴").await;
    b.type_into("#phone", "13700001111").await;
    b.click("#privacy").await;
    b.click("#customer-save").await;
    b.wait_until("!location.pathname.endsWith('/new')").await;

    // every step again on a phone (the owner may come back to any)
    let phone = Browser::start(390, 844).await;
    login(&phone, site, "林店长", "salon-2026").await;
    phone.wait_text("今天").await;
    for step in ["shop", "services", "staff", "tiers"] {
        phone.goto(&format!("{}/setup/{step}", site.url)).await;
        phone.wait_for("#wizard-form").await;
        screen(&phone, &format!("setup-{step}-390x844")).await;
    }
    phone.quit().await;

    // ... and she checks in at the kiosk: the shop's name and its services are the wizard's
    let dir = site.dir.path().to_path_buf();
    let clock = site.clock.clone();
    tokio::task::spawn_blocking(move || first_kiosk_check_in(&dir, clock)).await.unwrap();

    // the owner renames the shop from the command line while the server runs: the next page
    // carries the new name, without a restart
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_salonbox"))
        .arg("--data-dir")
        .arg(site.dir.path())
        .args(["profile", "--name", "花漾美容会所·天河店"])
        .env("SALONBOX_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    b.goto(&format!("{}/today", site.url)).await;
    b.wait_text("花漾美容会所·天河店").await;
}

/// The kiosk over the shop's database: the first check-in, by phone, for a service the
/// wizard added; the ticket printed under the name the owner gave the shop.
fn first_kiosk_check_in(dir: &std::path::Path, clock: Arc<FixedClock>) {
    use salonbox::kiosk::headless::{self, key, tap};
    use salonbox::kiosk::{Devices, Kiosk, KioskAdapter, KioskWindow, Page, TicketAdapter};
    use slint::ComponentHandle;
    headless::init().expect("headless platform");
    let mut config = Config::default();
    config.jobs.clock_sync_file = None;
    let app = App::open(config, dir, clock).unwrap();
    let ui = KioskWindow::new().unwrap();
    headless::set_size(&ui, 800, 480);
    let kiosk = Kiosk::attach(&ui, app, Devices { simulator: true, ..Devices::default() });
    ui.show().unwrap();
    assert_eq!(ui.global::<KioskAdapter>().get_shop_name(), "花漾美容会所");
    assert!(tap(&ui, "WelcomePage::checkin-button"));
    for d in "13700001111".chars() {
        assert!(key(&ui, &d.to_string()));
    }
    assert!(tap(&ui, "IdentifyPage::ok-button"));
    assert_eq!(ui.global::<KioskAdapter>().get_page(), Page::Customer);
    assert!(key(&ui, "玫瑰精油开背"));
    assert!(tap(&ui, "CustomerPage::join-button"));
    assert_eq!(ui.global::<KioskAdapter>().get_page(), Page::Ticket);
    assert_eq!(ui.global::<TicketAdapter>().get_ticket(), "W001");
    let jobs = kiosk.borrow_mut().app().print_jobs(5).unwrap();
    let ticket = jobs.iter().find(|j| j.kind == "ticket").expect("the ticket queued");
    let text = salonbox::devices::escpos_read::decode(&ticket.body).unwrap().texts().join("\n");
    assert!(text.contains("花漾美容会所") && text.contains("W001"), "{text}");
}

/// Dragging a block onto a free slot moves it (the page drags as a person's mouse would:
/// dragstart, dragover, drop, dragend with one DataTransfer); a drop onto a taken slot is
/// refused where it fell, with the domain's reason; the day by room puts the booking in
/// the room it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragging_moves_a_booking_and_the_day_shows_rooms() {
    let site = site().await;
    let mut app = site.app();
    let booking = |customer: &str, hm: &str| salonbox::app::booking::BookingRequest {
        customer: customer.into(),
        service: "眼部护理".into(),
        staff: Some("吴老师".into()),
        resource: None,
        start: format!("{} {hm}", tomorrow()),
        note: String::new(),
        source: "test".into(),
    };
    let hers = app.book(&booking(PHONE, "11:00")).unwrap();
    let other = app.list_customers(1, 5).unwrap().remove(0);
    app.book(&booking(other.phone.as_ref().unwrap().as_str(), "16:00")).unwrap();
    let wu = hers.staff_id.clone().unwrap();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "周晓燕", "2222").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/book?date={}", site.url, tomorrow())).await;
    b.wait_for("#book").await;
    let drag = "var src = document.querySelector(arguments[0]), dst = document.querySelector(arguments[1]);
        var dt = new DataTransfer();
        function fire(el, type) { el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt })); }
        fire(src, 'dragstart'); fire(dst, 'dragover'); fire(dst, 'drop'); fire(src, 'dragend');";
    let block = format!("a.appt[data-id='{}']", hers.id);
    let slot = |hm: &str| format!("a.slot[href$='staff={wu}&start={}T{hm}']", tomorrow());
    b.exec(drag, json!([block, slot("13:00")])).await;
    b.wait_until(&format!("(document.querySelector(\"{block} small\") || {{}}).textContent === '13:00–13:45'")).await;
    let moved = app.appointment(&hers.id).unwrap();
    assert_eq!(salonbox::domain::time::local_hm(moved.starts_at, chrono_tz::Asia::Shanghai), "13:00");
    // onto 16:00, where the other customer is: refused where it fell, nothing moved
    b.exec(drag, json!([block, slot("16:00")])).await;
    let e = b.wait_for(".drop-refusal").await;
    let msg = b.element_text(&e).await;
    assert!(msg.contains("吴老师") && msg.contains("已有预约"), "{msg}");
    assert_eq!(app.appointment(&hers.id).unwrap().starts_at, moved.starts_at);
    // the day by room: her booking sits in the room it holds, named with its beautician
    b.click("#by-room").await;
    b.wait_for("#by-staff").await;
    let room = moved.resource_name.clone().expect("a facial service holds a room");
    let heads = b
        .exec("return Array.from(document.querySelectorAll('.colhead')).map(e => e.textContent).join('|');", json!([]))
        .await;
    assert!(heads.as_str().unwrap().contains(&room), "{heads}");
    let text = b.element_text(&b.wait_for(&block).await).await;
    assert!(text.contains("王小美") && text.contains("吴老师"), "{text}");
    screen(&b, "book-rooms-1366x768").await;

    // one booking of two services: cancelled together when the desk asks for it
    let two = app
        .book_many(&salonbox::app::booking::MultiBooking {
            customer: PHONE.into(),
            items: ["修眉造型", "足部护理"]
                .map(|s| salonbox::app::booking::BookingItem {
                    service: s.into(),
                    staff: Some("吴老师".into()),
                    resource: None,
                })
                .to_vec(),
            start: format!("{} 18:00", tomorrow()),
            note: String::new(),
            source: "test".into(),
        })
        .unwrap();
    b.goto(&format!("{}/appointments/{}", site.url, two[0].id)).await;
    let with = b.element_text(&b.wait_for("#booked-with").await).await;
    assert!(with.contains("足部护理"), "{with}");
    b.type_into("#reason", "顾客出差").await;
    b.click("#whole").await;
    b.click("#cancel-submit").await;
    b.wait_for("#book").await;
    for a in &two {
        assert_eq!(app.appointment(&a.id).unwrap().status, salonbox::domain::model::AppointmentStatus::Cancelled);
    }
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "周晓燕", "2222").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/book?date={}&by=room", site.url, tomorrow())).await;
    phone.wait_for("#by-staff").await;
    screen(&phone, "book-rooms-390x844").await;
    phone.quit().await;
}

/// Registering at the desk (consent recorded as given at the desk, by whom, which notice),
/// a bad phone refused beside its field, editing, a stale edit refused, a note, deletion by
/// the owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_registers_edits_notes_and_the_owner_deletes() {
    let site = site().await;
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "周晓燕", "2222").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/customers/new", site.url)).await;
    b.type_into("#name", "李晓彤").await;
    b.type_into("#phone", "1381234").await;
    b.type_into("#allergies", "芦荟").await;
    b.click("#privacy").await;
    b.click("#customer-save").await;
    let e = b.wait_for("#phone-error").await;
    assert!(!b.element_text(&e).await.is_empty());
    assert_eq!(
        b.exec("return document.getElementById('name').value", json!([])).await,
        json!("李晓彤"),
        "what she typed stays"
    );
    screen(&b, "customer-new-1366x768").await;
    b.clear("#phone").await;
    b.type_into("#phone", "13812340000").await;
    b.click("#privacy").await;
    b.click("#customer-save").await;
    // registered: on to her profile (the form shows what was typed, so wait for the page)
    b.wait_until("!location.pathname.endsWith('/new')").await;
    let text = b.wait_text("芦荟").await;
    assert!(text.contains("13812340000") && text.contains("desk:周晓燕"), "consent by whom: {text}");
    let mut app = site.app();
    let c = app.customer_by_key("13812340000").unwrap();
    // edit: allergies; a second page open from before is then stale
    b.goto(&format!("{}/customers/{}/edit", site.url, c.id)).await;
    b.clear("#allergies").await;
    b.type_into("#allergies", "芦荟、果酸").await;
    b.click("#customer-save").await;
    b.wait_text("芦荟、果酸").await;
    b.goto(&format!("{}/customers/{}/edit", site.url, c.id)).await;
    b.wait_for("#customer-form").await;
    screen(&b, "customer-edit-1366x768").await;
    site.clock.advance(chrono::Duration::seconds(5));
    app.edit_customer(
        &c.id,
        salonbox::store::CustomerPatch { notes: Some("喜欢安静".into()), ..Default::default() },
        "kiosk",
    )
    .unwrap();
    b.clear("#notes").await;
    b.type_into("#notes", "周末来").await;
    b.click("#customer-save").await;
    let e = b.wait_for("#form-error").await;
    assert!(b.element_text(&e).await.contains("已被他人修改"));
    assert_eq!(app.customer_by_key(&c.id).unwrap().notes, "喜欢安静", "nothing overwritten");
    // a note on her page
    b.goto(&format!("{}/customers/{}", site.url, c.id)).await;
    b.type_into("#note-text", "第一次做面部护理，皮肤偏干").await;
    b.click("#note-submit").await;
    b.wait_text("皮肤偏干").await;
    // reception may not delete; the owner may
    assert!(b.find("#delete-form").await.is_none());
    b.quit().await;
    let owner = Browser::start(1366, 768).await;
    login(&owner, &site, "林美华", "salonbox-demo").await;
    owner.wait_text("今天").await;
    owner.goto(&format!("{}/customers/{}", site.url, c.id)).await;
    // her data, as she may ask for it before deletion: JSON, audited
    let export = owner
        .exec_async(
            "fetch(arguments[0]).then(r => r.text()).then(t => arguments[1](t))",
            json!([format!("/customers/{}/export", c.id)]),
        )
        .await;
    let export: serde_json::Value = serde_json::from_str(export.as_str().unwrap()).unwrap();
    assert!(export.to_string().contains("13812340000") && export.to_string().contains("芦荟"), "{export}");
    let exports = app
        .audit_log(&salonbox::store::AuditFilter {
            action: Some("customer.export".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(exports.iter().any(|r| r.entity_id == c.id), "the export is audited");
    owner.click("#delete-form input[name=confirm]").await;
    owner.click("#delete-submit").await;
    owner.wait_text("已删除").await;
    assert!(app.customer_by_key("13812340000").is_err());
    owner.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "周晓燕", "2222").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/customers/new", site.url)).await;
    phone.wait_for("#customer-save").await;
    screen(&phone, "customer-new-390x844").await;
    let wang = app.customer_by_key(PHONE).unwrap();
    phone.goto(&format!("{}/customers/{}/edit", site.url, wang.id)).await;
    phone.wait_for("#customer-form").await;
    screen(&phone, "customer-edit-390x844").await;
    phone.quit().await;
}

/// The till: a service with its beautician, quoted, paid with two tenders and cash change;
/// the receipt as the printer will print it (decoded from the queued ESC/POS bytes); a
/// void by the manager (reception may not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_with_two_tenders_and_change_then_a_void() {
    let site = site().await;
    let mut app = site.app();
    let wang = app.customer_by_key(PHONE).unwrap();
    let service = app.service_by_name("小气泡清洁").unwrap().unwrap();
    let li = app.list_staff().unwrap().into_iter().find(|s| s.name == "李娜").unwrap();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "周晓燕", "2222").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/checkout?customer={}", site.url, wang.id)).await;
    b.wait_for("#till").await;
    b.exec(
        "document.getElementById('item1').value = arguments[0]; document.getElementById('staff1').value = arguments[1];",
        json!([format!("s:{}", service.id), li.id]),
    )
    .await;
    b.type_into("#wechat", "100").await;
    b.type_into("#cash", "50").await;
    b.click("#quote-submit").await;
    let quote = b.wait_for("#quote").await;
    let text = b.element_text(&quote).await;
    assert!(text.contains("128.00") && text.contains("找零") && text.contains("22.00"), "{text}");
    screen(&b, "checkout-1366x768").await;
    b.click("#pay-submit").await;
    let r = b.wait_for("#receipt").await;
    let receipt = b.element_text(&r).await;
    for want in ["小气泡清洁", "李娜", "微信", "现金", "找零", "22.00", "王小美"] {
        assert!(receipt.contains(want), "{want} on the receipt:\n{receipt}");
    }
    assert!(!receipt.contains(PHONE), "the receipt masks the phone:\n{receipt}");
    assert!(b.find("#void-form").await.is_none(), "reception may not void");
    screen(&b, "receipt-1366x768").await;
    let visit = b.url().await.rsplit('/').next().unwrap().to_string();
    b.quit().await;
    let m = Browser::start(390, 844).await;
    login(&m, &site, "孙慧", "3333").await;
    m.wait_text("今天").await;
    m.goto(&format!("{}/visits/{visit}", site.url)).await;
    m.click("#void-submit").await;
    m.wait_for("#void-error").await;
    m.type_into("#reason", "收错项目").await;
    m.click("#void-submit").await;
    m.wait_for("#voided").await;
    assert!(app.visit_brief(&visit).unwrap().voided);
    m.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "周晓燕", "2222").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/checkout?customer={}", site.url, wang.id)).await;
    phone.wait_for("#till").await;
    screen(&phone, "checkout-390x844").await;
    phone.goto(&format!("{}/visits/{visit}", site.url)).await;
    phone.wait_for("#receipt").await;
    screen(&phone, "receipt-390x844").await;
    phone.quit().await;
}

/// Top-up (充1000送200) and a course sale at the till: a missing customer, a bad amount and
/// a bad session count are refused beside their fields and nothing is written; then both
/// go through, the top-up's receipt is shown and the balances are the ledger's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_up_and_course_sale_at_the_till() {
    let site = site().await;
    let mut app = site.app();
    app.set_topup_bonus(rust_decimal::Decimal::from(1000), rust_decimal::Decimal::from(200), "test").unwrap();
    let wang = app.customer_by_key(PHONE).unwrap();
    let before = app.membership(&wang.id).unwrap();
    let facial = app.service_by_name("面部深层清洁").unwrap().unwrap();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "周晓燕", "2222").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/checkout/topup", site.url)).await;
    b.wait_for("#sale-form").await;
    screen(&b, "topup-1366x768").await;
    b.type_into("#amount", "1000").await;
    b.click("#sale-submit").await;
    b.wait_for("#customer-error").await;
    b.type_into("#customer_q", "wxm").await;
    b.click(".searchline button").await;
    b.click("#customer-choices input[type=radio]").await;
    b.clear("#amount").await;
    b.type_into("#amount", "一千").await;
    b.click("#sale-submit").await;
    b.wait_for("#amount-error").await;
    assert_eq!(app.membership(&wang.id).unwrap().stored_value_principal, before.stored_value_principal);
    b.clear("#amount").await;
    b.type_into("#amount", "1000").await;
    b.click("#sale-submit").await;
    let r = b.wait_for("#receipt").await;
    let receipt = b.element_text(&r).await;
    assert!(receipt.contains("充值") && receipt.contains("1000.00"), "{receipt}");
    let after = app.membership(&wang.id).unwrap();
    assert_eq!(after.stored_value_principal - before.stored_value_principal, rust_decimal::Decimal::from(1000));
    assert_eq!(after.stored_value_bonus - before.stored_value_bonus, rust_decimal::Decimal::from(200));

    // a course of 10 面部深层清洁 for 1,500
    b.goto(&format!("{}/checkout/course?customer={}", site.url, wang.id)).await;
    b.wait_for("#sale-form").await;
    b.exec("document.getElementById('service').value = arguments[0];", json!([facial.id])).await;
    b.type_into("#sessions", "0").await;
    b.type_into("#amount", "1500").await;
    b.click("#sale-submit").await;
    b.wait_for("#sessions-error").await;
    assert_eq!(app.membership(&wang.id).unwrap().courses.len(), before.courses.len(), "nothing sold");
    b.exec("document.getElementById('service').value = arguments[0];", json!([facial.id])).await;
    b.clear("#sessions").await;
    b.type_into("#sessions", "10").await;
    b.click("#sale-submit").await;
    // sold: on to her profile (the sale page names the service too, so wait for the page)
    b.wait_until("location.pathname.startsWith('/customers/')").await;
    b.wait_text("面部深层清洁").await;
    let courses = app.membership(&wang.id).unwrap().courses;
    assert_eq!(courses.len(), before.courses.len() + 1, "{courses:?}");
    b.goto(&format!("{}/checkout/course?customer={}", site.url, wang.id)).await;
    b.wait_for("#sale-form").await;
    screen(&b, "course-1366x768").await;
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "周晓燕", "2222").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/checkout/topup?customer={}", site.url, wang.id)).await;
    phone.wait_for("#sale-form").await;
    screen(&phone, "topup-390x844").await;
    phone.goto(&format!("{}/checkout/course?customer={}", site.url, wang.id)).await;
    phone.wait_for("#sale-form").await;
    screen(&phone, "course-390x844").await;
    phone.quit().await;
}

/// 套餐: the owner puts a package on offer (a refused form keeps what was typed), the desk
/// sells it at the package's price, and the customer uses it item by item at the till: the
/// first visit takes one of two lash sessions and the eye cream, nothing to pay; her page
/// shows what is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_sold_and_partly_redeemed() {
    let site = site().await;
    let mut app = site.app();
    let wang = app.customer_by_key(PHONE).unwrap();
    let cream_before = app.stock_list().unwrap().into_iter().find(|r| r.name == "紧致眼霜").unwrap().level;
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "林美华", "salonbox-demo").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/membership", site.url)).await;
    b.wait_for("#packages").await;
    let listed = b.element_text(&b.wait_for("#packages").await).await;
    assert!(listed.contains("焕颜补水套餐") && listed.contains("补水保湿护理×5"), "{listed}");
    // no items: refused beside the form, the name kept
    b.type_into("#package-name", "美睫套餐").await;
    b.type_into("#package-price", "699").await;
    b.clear("#package-days").await;
    b.type_into("#package-days", "90").await;
    b.click("#add-package").await;
    let e = b.wait_for("#package-error").await;
    assert!(b.element_text(&e).await.contains("至少"), "a package needs an item");
    assert_eq!(b.exec("return document.getElementById('package-name').value;", json!([])).await, json!("美睫套餐"));
    b.exec(
        "const items = document.querySelectorAll('#package-form select[name=item]');
         const qty = document.querySelectorAll('#package-form input[name=qty]');
         items[0].value = '嫁接睫毛'; qty[0].value = '2'; items[1].value = '紧致眼霜'; qty[1].value = '1';",
        json!([]),
    )
    .await;
    b.click("#add-package").await;
    b.wait_for("#done").await;
    let listed = b.element_text(&b.wait_for("#packages").await).await;
    assert!(listed.contains("美睫套餐") && listed.contains("嫁接睫毛×2、紧致眼霜×1"), "{listed}");
    let package = app.packages(false).unwrap().into_iter().find(|p| p.name == "美睫套餐").unwrap();
    b.exec("document.getElementById('packages-panel').scrollIntoView();", json!([])).await;
    screen(&b, "membership-packages-1366x768").await;
    b.quit().await;

    // the desk sells it
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "周晓燕", "2222").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/checkout/package?customer={}", site.url, wang.id)).await;
    b.wait_for("#sale-form").await;
    b.click("#sale-submit").await;
    b.wait_for("#package-error").await;
    assert!(app.membership(&wang.id).unwrap().courses.is_empty(), "nothing sold without a package chosen");
    b.goto(&format!("{}/checkout/package?customer={}&package={}&tender=wechat", site.url, wang.id, package.id)).await;
    b.wait_for("#sale-form").await;
    screen(&b, "package-1366x768").await;
    b.click("#sale-submit").await;
    let receipt = b.element_text(&b.wait_for("#receipt").await).await;
    assert!(receipt.contains("699.00") && receipt.contains("微信"), "{receipt}");
    let held = app.membership(&wang.id).unwrap().courses;
    assert_eq!(held.len(), 2, "{held:?}");
    let lashes = held.iter().find(|c| c.service_name == "嫁接睫毛").unwrap();
    let cream = held.iter().find(|c| c.service_name == "紧致眼霜").unwrap();
    assert_eq!(lashes.price + cream.price, rust_decimal::Decimal::from(699), "the price split over the items");

    // the first visit: one lash session and the cream, nothing to pay
    b.goto(&format!("{}/checkout?customer={}", site.url, wang.id)).await;
    b.wait_for("#till").await;
    let offered = b.element_text(&b.wait_for("#item1").await).await;
    assert!(offered.contains("套餐 package: 美睫套餐 · 嫁接睫毛（剩 2 次 left）"), "{offered}");
    b.exec(
        "document.getElementById('item1').value = arguments[0]; document.getElementById('item2').value = arguments[1];",
        json!([format!("c:{}", lashes.id), format!("c:{}", cream.id)]),
    )
    .await;
    b.click("#quote-submit").await;
    let quote = b.element_text(&b.wait_for("#quote").await).await;
    assert!(quote.contains("0.00"), "{quote}");
    b.click("#pay-submit").await;
    let receipt = b.element_text(&b.wait_for("#receipt").await).await;
    assert!(receipt.contains("嫁接睫毛") && receipt.contains("紧致眼霜"), "{receipt}");
    let held = app.membership(&wang.id).unwrap().courses;
    let left: Vec<(String, i64)> = held.iter().map(|c| (c.service_name.clone(), c.sessions_left)).collect();
    assert_eq!(left, vec![("嫁接睫毛".to_string(), 1), ("紧致眼霜".to_string(), 0)]);
    let cream_after = app.stock_list().unwrap().into_iter().find(|r| r.name == "紧致眼霜").unwrap().level;
    assert_eq!(cream_after, cream_before - 1, "the cream left the shelf");
    b.goto(&format!("{}/customers/{}", site.url, wang.id)).await;
    let page = b.wait_text("美睫套餐 · 嫁接睫毛：剩 1/2").await;
    assert!(page.contains("美睫套餐 · 紧致眼霜：剩 0/1"), "{page}");
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "周晓燕", "2222").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/checkout/package?customer={}", site.url, wang.id)).await;
    phone.wait_for("#sale-form").await;
    screen(&phone, "package-390x844").await;
    phone.quit().await;
}

/// The owner changes what a message says: a preview with made-up values, a placeholder the
/// template is not given refused beside the text, saved and audited, then the next message
/// says it; back to the default. A manager sees the templates but may not change them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_rewords_a_message_template() {
    let site = site().await;
    let mut app = site.app();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "林美华", "salonbox-demo").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/messages", site.url)).await;
    let row = b.element_text(&b.wait_for("#template-test").await).await;
    assert!(row.contains("测试消息") && row.contains("默认"), "{row}");
    b.click("#template-test a").await;
    b.wait_for("#template-form").await;
    b.clear("#text").await;
    b.type_into("#text", "{shop}：{name}，渠道测试").await;
    b.click("#template-save").await;
    let e = b.element_text(&b.wait_for("#template-error").await).await;
    assert!(e.contains("{name}") && e.contains("{shop}"), "names the unknown one and what may be used: {e}");
    assert_eq!(
        b.exec("return document.getElementById('text').value", json!([])).await,
        json!("{shop}：{name}，渠道测试")
    );
    b.clear("#text").await;
    b.type_into("#text", "{shop}：短信渠道已接通，请勿回复。").await;
    b.click("#template-preview").await;
    b.wait_until("document.getElementById('preview').textContent.includes('请勿回复')").await;
    let preview = b.element_text(&b.wait_for("#preview").await).await;
    assert!(preview.starts_with("salonbox 美容院：短信渠道已接通"), "filled in: {preview}");
    screen(&b, "template-1366x768").await;
    b.click("#template-save").await;
    b.wait_for("#done").await;
    let row = b.element_text(&b.wait_for("#template-test").await).await;
    assert!(row.contains("请勿回复") && row.contains("本店修改"), "{row}");
    // the next message says it
    let key = app.queue_test_message("13900000001", "test").unwrap();
    let n = app.list_messages(None, 50).unwrap().into_iter().find(|n| n.dedupe_key == key).unwrap();
    match app.plan_message(&n).unwrap() {
        salonbox::app::notify::Plan::Send(p) => assert!(p.text.contains("短信渠道已接通，请勿回复"), "{}", p.text),
        other => panic!("not sent: {other:?}"),
    }
    // back to the default
    b.goto(&format!("{}/messages/templates/test", site.url)).await;
    b.wait_for("#template-form").await;
    b.click("#template-default").await;
    let row = b.element_text(&b.wait_for("#template-test").await).await;
    assert!(row.contains("这个渠道已接通") && row.contains("默认"), "{row}");
    let audited: i64 = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'template.text'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 2);
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "林美华", "salonbox-demo").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/messages/templates/reminder_day_before", site.url)).await;
    phone.wait_for("#template-form").await;
    screen(&phone, "template-390x844").await;
    phone.quit().await;
    // a manager sees them, may not change them
    let m = Browser::start(1366, 768).await;
    login(&m, &site, "孙慧", "3333").await;
    m.wait_text("今天").await;
    m.goto(&format!("{}/messages", site.url)).await;
    m.wait_for("#template-test").await;
    assert!(m.find("#template-test a").await.is_none(), "no edit link for a manager");
    m.goto(&format!("{}/messages/templates/test", site.url)).await;
    m.wait_text("无权限").await;
    m.quit().await;
}

/// The old spreadsheet: uploaded, its bad row shown with the reason before anything is
/// written, all-or-nothing (nothing imported while a row is bad), then imported with the
/// bad row skipped, with a progress page until the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_previews_bad_rows_then_imports() {
    let site = site().await;
    let file = site.dir.path().join("old-customers.csv");
    std::fs::write(&file, "姓名,手机,备注\n赵一,13700000001,老顾客\n钱二,12345,\n孙三,13700000003,\n").unwrap();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "孙慧", "3333").await;
    b.wait_text("今天").await;
    b.goto(&format!("{}/import", site.url)).await;
    async fn upload(b: &Browser, path: &std::path::Path) {
        b.type_into("#file", &path.display().to_string()).await;
        b.click("#upload-submit").await;
        b.wait_for("#import-report").await;
    }
    upload(&b, &file).await;
    let report = b.element_text(&b.wait_for("#bad-rows").await).await;
    assert!(report.contains('3') && report.contains("12345"), "the bad row and why: {report}");
    screen(&b, "import-1366x768").await;
    // all or nothing: with a bad row, nothing is written
    b.click("#import-run").await;
    b.wait_for("#import-error").await;
    let mut app = site.app();
    assert!(app.customer_by_key("13700000001").is_err(), "nothing imported");
    // again, skipping the bad row
    b.goto(&format!("{}/import", site.url)).await;
    upload(&b, &file).await;
    b.click("#skip-bad").await;
    b.click("#import-run").await;
    b.wait_text("已导入").await;
    assert_eq!(app.customer_by_key("13700000001").unwrap().name, "赵一");
    assert_eq!(app.customer_by_key("13700000003").unwrap().name, "孙三");
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "孙慧", "3333").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/import", site.url)).await;
    phone.wait_for("#file").await;
    screen(&phone, "import-390x844").await;
    phone.quit().await;
}

/// The monthly report as charts with their numbers, its spreadsheet read back, the print
/// view; a beautician may not see it, and reception has no link to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_draw_charts_and_export_a_spreadsheet() {
    use salonbox::app::report::Period;
    let site = site().await;
    let mut app = site.app();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 12).unwrap();
    let report = app.report(Period::Monthly, date).unwrap();
    assert!(report.visits > 50, "the demo's November has visits: {}", report.visits);
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "孙慧", "3333").await;
    b.wait_text("今天").await;
    b.click("a[href='/reports']").await;
    b.wait_for("#money-by-day").await;
    b.goto(&format!("{}/reports?period=monthly&date=2026-11-12", site.url)).await;
    b.wait_for("#by-category svg.chart").await;
    let text = b.text().await;
    assert!(text.contains("2026-11-01 – 2026-11-30"), "{text}");
    let revenue = format!("¥{}", report.revenue.round_dp(2));
    let shown = b.exec("return document.querySelector('.figure strong').textContent", json!([])).await;
    assert_eq!(shown.as_str().unwrap().replace(',', ""), revenue, "the revenue tile is the report's");
    for id in [
        "money-by-day",
        "visits-by-day",
        "by-category",
        "by-tender",
        "top-services",
        "performance",
        "busy-hours",
        "ages",
        "ratings",
        "liabilities",
    ] {
        let bars = b.exec(&format!("return document.querySelectorAll('#{id} svg.chart rect').length"), json!([])).await;
        assert!(bars.as_i64().unwrap() > 1, "{id} draws its bars: {bars}");
    }
    // the category chart's bars are as long as the amounts: the first is the longest
    let top = &report.revenue_by_category[0];
    let svg = b.exec("return document.querySelector('#by-category svg').outerHTML", json!([])).await;
    assert!(svg.as_str().unwrap().contains(&top.label[..top.label.find(' ').unwrap_or(top.label.len())]), "{svg}");
    screen(&b, "reports-1366x768").await;
    b.exec("document.getElementById('busy-hours').scrollIntoView()", json!([])).await;
    screen(&b, "reports-hours-1366x768").await;
    // the numbers one click away
    b.click("#top-services summary").await;
    let table = b.wait_for("#top-services table").await;
    let numbers = b.element_text(&table).await;
    assert!(numbers.contains(&report.top_services[0].label), "{numbers}");
    // the spreadsheet, fetched by the browser with its session, read back
    let xlsx = b
        .exec_async(
            "fetch('/reports/export?period=monthly&date=2026-11-12&format=xlsx').then(r => r.arrayBuffer()).then(a => {
               let s = ''; new Uint8Array(a).forEach(x => s += String.fromCharCode(x)); arguments[0](btoa(s)); })",
            json!([]),
        )
        .await;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(xlsx.as_str().unwrap()).unwrap();
    use calamine::Reader;
    let mut wb = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names().to_vec();
    assert!(names.iter().any(|n| n.contains("概览")) && names.iter().any(|n| n.contains("忙闲时段")), "{names:?}");
    let summary = wb.worksheet_range(&names[0]).unwrap();
    let revenue_cell =
        summary.rows().find(|r| r[0].to_string().contains("营业收入")).map(|r| r[1].to_string()).unwrap();
    assert_eq!(revenue_cell.parse::<f64>().unwrap(), report.revenue.to_string().parse::<f64>().unwrap());
    let csv = b
        .exec_async("fetch('/reports/export?period=weekly&date=2026-11-12&format=csv').then(r => r.text()).then(t => arguments[0](t))", json!([]))
        .await;
    assert!(csv.as_str().unwrap().contains("每日走势 Day by day"), "{csv}");
    let audited: i64 = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'report.export' AND detail LIKE '%127.0.0.1%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2, "each export audited with the address");
    // a date that cannot be read is said beside the field
    b.goto(&format!("{}/reports?period=daily&date=2026-13-40", site.url)).await;
    b.wait_for("#date-error").await;
    // the print view: every table open, no navigation
    b.goto(&format!("{}/reports?period=weekly&date=2026-11-12&print=1", site.url)).await;
    b.wait_for("#print-now").await;
    assert!(b.find("details").await.is_none(), "the print view opens every table");
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "孙慧", "3333").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/reports?period=monthly&date=2026-11-12", site.url)).await;
    phone.wait_for("#money-by-day svg").await;
    screen(&phone, "reports-390x844").await;
    phone.quit().await;
    // a beautician: refused, and reception sees no link to it
    let other = Browser::start(1366, 768).await;
    login(&other, &site, "李娜", "1111").await;
    other.wait_text("今天").await;
    other.goto(&format!("{}/reports", site.url)).await;
    other.wait_text("无权限").await;
    let status =
        other.exec_async("fetch('/reports/export?format=xlsx').then(r => arguments[0](r.status))", json!([])).await;
    assert_eq!(status, json!(403));
    other.quit().await;
    let desk = Browser::start(1366, 768).await;
    login(&desk, &site, "周晓燕", "2222").await;
    desk.wait_text("今天").await;
    assert!(desk.find("a[href='/reports']").await.is_none(), "reception has no reports link");
    desk.quit().await;
}

/// The shop's machinery: a failed message resent, a test message refused for a bad number
/// then queued, a backup made and listed (downloaded by the owner only), a printer test,
/// the audit log filtered; reception is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_backups_and_the_audit_log() {
    let site = site().await;
    let mut app = site.app();
    let key = app.queue_test_message("13900000001", "test").unwrap();
    assert!(app.claim_message(&key).unwrap());
    app.message_failed(&key, "isv.BUSINESS_LIMIT_CONTROL 触发号码天级流控").unwrap();
    let manager = app.list_staff().unwrap().into_iter().find(|s| s.name == "孙慧").unwrap();
    // she asked the desk for no more offers
    let notice = app.privacy_notice().unwrap().0;
    let zhao = app
        .register(&Registration {
            name: "赵敏".into(),
            phone: "13900000077".into(),
            marketing_consent: true,
            privacy_notice: Some(notice),
            source: "test".into(),
            ..Default::default()
        })
        .unwrap();
    let withdraw = salonbox::store::CustomerPatch { marketing_consent: Some(false), ..Default::default() };
    app.edit_customer(&zhao.id, withdraw, "test").unwrap();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "孙慧", "3333").await;
    b.wait_text("今天").await;
    b.click("a[href='/shop']").await;
    let checks = b.element_text(&b.wait_for("#checks").await).await;
    assert!(
        checks.contains("每晚的备份校验") && !checks.contains("quick_check") && !checks.contains("daily totals"),
        "the page does not read the file: {checks}"
    );
    steady_screen(&b, &site).await;
    screen(&b, "shop-1366x768").await;
    b.click("#full-check").await;
    b.wait_text("quick_check ok").await;
    b.wait_text("the daily totals match the rows").await;
    // messages: the failed one with the provider's reason, resent
    b.goto(&format!("{}/messages?status=failed", site.url)).await;
    let row = b.wait_for(&format!("tr[data-key='{key}']")).await;
    let text = b.element_text(&row).await;
    assert!(text.contains("BUSINESS_LIMIT_CONTROL") && text.contains("13900000001"), "{text}");
    let opt_outs = b.element_text(&b.find("#opt-outs").await.expect("the opt-outs")).await;
    assert!(
        opt_outs.contains("赵敏") && opt_outs.contains("撤回同意") && opt_outs.contains("13900000077"),
        "{opt_outs}"
    );
    screen(&b, "messages-1366x768").await;
    b.click(&format!("tr[data-key='{key}'] button.retry")).await;
    b.wait_for("#done").await;
    assert_eq!(app.message(&key).unwrap().status, "pending");
    // a test message: a bad number is refused beside the field, a good one queued
    b.type_into("#to", "12345").await;
    b.click("#send-test").await;
    let error = b.wait_for("#error").await;
    assert!(b.element_text(&error).await.contains("收件人"));
    let before = app.list_messages(None, 100).unwrap().len();
    b.clear("#to").await;
    b.type_into("#to", "13900000002").await;
    b.click("#send-test").await;
    b.wait_for("#done").await;
    let after = app.list_messages(None, 100).unwrap();
    assert_eq!(after.len(), before + 1);
    assert!(after.iter().any(|n| n.template == "test" && n.recipient.as_deref() == Some("13900000002")));
    // a backup made now, listed; a manager may not download it
    b.goto(&format!("{}/shop", site.url)).await;
    b.click("#backup-now").await;
    b.wait_for("#done").await;
    let backups = b.wait_for("#backups").await;
    let listed = b.element_text(&backups).await;
    assert!(listed.contains("202"), "every customer in the backup, 赵敏 included: {listed}");
    assert!(b.find("a.download").await.is_none(), "a manager has no download link");
    let name = salonbox::app::restore::list_backups(site.dir.path(), chrono_tz::Asia::Shanghai).unwrap()[0]
        .path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let status =
        b.exec_async(&format!("fetch('/shop/backups/{name}').then(r => arguments[0](r.status))"), json!([])).await;
    assert_eq!(status, json!(403));
    b.click("#printer-test").await;
    b.wait_for("#done").await;
    assert!(app.print_jobs(10).unwrap().iter().any(|j| j.kind == "test"));
    // the audit log, filtered by action and by who
    b.goto(&format!("{}/shop/audit?action=backup.", site.url)).await;
    let log = b.wait_for("#audit").await;
    let text = b.element_text(&log).await;
    assert!(text.contains("backup.made") && text.contains("孙慧") && !text.contains("notification.retry"), "{text}");
    b.goto(&format!("{}/shop/audit?who=%E5%AD%99%E6%85%A7", site.url)).await;
    let text = b.element_text(&b.wait_for("#audit").await).await;
    assert!(text.contains("notification.retry") && text.contains("printer.test"), "{text}");
    steady_screen(&b, &site).await;
    screen(&b, "audit-1366x768").await;
    b.goto(&format!("{}/shop/audit?from=2026-02-30", site.url)).await;
    b.wait_for("#from-error").await;
    let retried: i64 = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'notification.retry' AND actor = ?1",
            [&manager.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(retried, 1);
    b.quit().await;
    // the owner downloads it (audited), on a phone
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "林美华", "salonbox-demo").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/shop", site.url)).await;
    phone.wait_for("a.download").await;
    steady_screen(&phone, &site).await;
    screen(&phone, "shop-390x844").await;
    let head = phone
        .exec_async(
            &format!("fetch('/shop/backups/{name}').then(r => r.arrayBuffer()).then(a => arguments[0](String.fromCharCode.apply(null, new Uint8Array(a.slice(0, 15)))))"),
            json!([]),
        )
        .await;
    assert_eq!(head, json!("SQLite format 3"));
    let downloaded: i64 = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'backup.download' AND entity_id = ?1", [&name], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(downloaded, 1);
    let status = phone
        .exec_async("fetch('/shop/backups/..%2Fsalonbox.sqlite3').then(r => arguments[0](r.status))", json!([]))
        .await;
    assert_eq!(status, json!(404), "only a listed backup, by its bare name");
    phone.goto(&format!("{}/messages", site.url)).await;
    phone.wait_for("#outbox").await;
    steady_screen(&phone, &site).await;
    screen(&phone, "messages-390x844").await;
    phone.goto(&format!("{}/shop/audit", site.url)).await;
    phone.wait_for("#audit").await;
    steady_screen(&phone, &site).await;
    screen(&phone, "audit-390x844").await;
    phone.quit().await;
    let desk = Browser::start(1366, 768).await;
    login(&desk, &site, "周晓燕", "2222").await;
    desk.wait_text("今天").await;
    assert!(desk.find("a[href='/shop']").await.is_none());
    desk.goto(&format!("{}/messages", site.url)).await;
    desk.wait_text("无权限").await;
    desk.quit().await;
}

/// A campaign from a shipped template: the live audience size equals the domain's, a
/// refusal beside its field, saved, previewed, started (its messages queued), the effect
/// chart; a manager is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_from_a_template_previewed_and_started() {
    let site = site().await;
    let mut app = site.app();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "林美华", "salonbox-demo").await;
    b.wait_text("今天").await;
    b.click("a[href='/campaigns']").await;
    b.wait_for("a[data-template='老客回馈']").await;
    screen(&b, "campaigns-1366x768").await;
    b.click("a[data-template='老客回馈']").await;
    b.wait_for("#campaign-form").await;
    // the live preview (htmx) after a change
    b.clear("#holdout").await;
    b.type_into("#holdout", "20").await;
    let size = b.wait_for("#audience-size").await;
    let shown: usize = b.element_text(&size).await.trim().parse().unwrap();
    let def: salonbox::domain::campaign::CampaignDef = toml::from_str(salonbox::app::campaigns::SHIPPED[0].1).unwrap();
    let def = salonbox::domain::campaign::CampaignDef {
        end: chrono::NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
        holdout_percent: 20,
        ..def
    };
    assert_eq!(shown, app.campaign_draft_preview(&def, 3).unwrap().audience, "the page's size is the domain's");
    assert!(shown > 0, "the demo has loyal customers with consent");
    screen(&b, "campaign-new-1366x768").await;
    // a refusal beside its field, nothing saved
    b.exec("document.getElementById('end').value = '2026-11-30'", json!([])).await;
    b.click("#save").await;
    let e = b.wait_for("#end-error").await;
    assert!(b.element_text(&e).await.contains("已过"), "an end that has passed is refused beside its field");
    assert!(app.campaigns().unwrap().iter().all(|c| c.name != "老客回馈"));
    b.exec("document.getElementById('end').value = '2027-01-31'", json!([])).await;
    b.click("#save").await;
    b.wait_for("#start").await;
    assert!(b.text().await.contains("草稿"));
    b.click("#start").await;
    b.wait_for("#done").await;
    let row = app.campaigns().unwrap().into_iter().find(|c| c.name == "老客回馈").unwrap();
    assert_eq!(row.status, "running");
    let queued = app.list_messages(None, 1000).unwrap().into_iter().filter(|n| n.template == "campaign").count();
    assert!(queued > 0 && queued <= shown, "{queued} messages for an audience of {shown}");
    let chart = b.wait_for("#effect svg.chart").await;
    assert!(b.element_text(&chart).await.contains("对照组"));
    screen(&b, "campaign-1366x768").await;
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "林美华", "salonbox-demo").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/campaigns/new?template=%E8%8A%82%E6%97%A5%E4%BF%83%E9%94%80", site.url)).await;
    phone.wait_for("#campaign-form").await;
    screen(&phone, "campaign-new-390x844").await;
    phone.goto(&format!("{}/campaigns", site.url)).await;
    phone.wait_for("#campaigns").await;
    screen(&phone, "campaigns-390x844").await;
    phone.quit().await;
    let m = Browser::start(1366, 768).await;
    login(&m, &site, "孙慧", "3333").await;
    m.wait_text("今天").await;
    assert!(m.find("a[href='/campaigns']").await.is_none());
    m.goto(&format!("{}/campaigns", site.url)).await;
    m.wait_text("无权限").await;
    m.quit().await;
}

/// The roster: a week copied to the next (and a second copy keeps what is there), a day
/// off refused while she has bookings and taken when she has none, a PIN reset, a new
/// beautician.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_copies_a_week_and_takes_leave() {
    let site = site().await;
    let mut app = site.app();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "林美华", "salonbox-demo").await;
    b.wait_text("今天").await;
    b.click("a[href='/staff']").await;
    b.wait_for("#roster").await;
    screen(&b, "staff-1366x768").await;
    let this_week: usize = (0..7)
        .map(|i| {
            app.shifts_on(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap() + chrono::Duration::days(i))
                .unwrap()
                .len()
        })
        .sum();
    let next = |app: &mut App| -> usize {
        (0..7)
            .map(|i| {
                app.shifts_on(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap() + chrono::Duration::days(i))
                    .unwrap()
                    .len()
            })
            .sum()
    };
    let before = next(&mut app);
    b.click("#copy-week-button").await;
    b.wait_for("#done").await;
    let after = next(&mut app);
    assert!(this_week > 0 && after > before, "{this_week} shifts this week, next week {before} → {after}");
    b.goto(&format!("{}/staff", site.url)).await;
    b.click("#copy-week-button").await;
    let done = b.wait_for("#done").await;
    assert!(b.element_text(&done).await.contains("已复制 0"), "a second copy keeps what is there");
    assert_eq!(next(&mut app), after);
    // a day off: refused while she has bookings today, taken for 吴老师 tomorrow
    let booked: String = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT staff_id FROM appointments WHERE status = 'booked' AND staff_id IS NOT NULL AND starts_at > ?1 LIMIT 1",
            [morning().timestamp_millis()],
            |r| r.get(0),
        )
        .unwrap();
    let booked_day = {
        let ms: i64 = rusqlite::Connection::open(site.dir.path().join("salonbox.sqlite3"))
            .unwrap()
            .query_row(
                "SELECT starts_at FROM appointments WHERE status = 'booked' AND staff_id = ?1 AND starts_at > ?2 ORDER BY starts_at LIMIT 1",
                rusqlite::params![booked, morning().timestamp_millis()],
                |r| r.get(0),
            )
            .unwrap();
        chrono::DateTime::from_timestamp_millis(ms).unwrap().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
    };
    b.exec(
        "document.getElementById('leave-staff').value = arguments[0]; document.getElementById('leave-date').value = arguments[1];",
        json!([booked, booked_day.to_string()]),
    )
    .await;
    b.click("#take-leave").await;
    let e = b.wait_for("#leave-error").await;
    assert!(b.element_text(&e).await.contains("预约"), "refused while she has bookings");
    assert!(app.shifts_on(booked_day).unwrap().iter().any(|(s, _)| s.id == booked), "nothing removed");
    let wu = app.list_staff().unwrap().into_iter().find(|s| s.name == "吴老师").unwrap();
    b.exec(
        "document.getElementById('leave-staff').value = arguments[0]; document.getElementById('leave-date').value = arguments[1];",
        json!([wu.id, tomorrow().to_string()]),
    )
    .await;
    b.click("#take-leave").await;
    b.wait_for("#done").await;
    assert!(app.shifts_on(tomorrow()).unwrap().iter().all(|(s, _)| s.id != wu.id));
    // a PIN reset: a bad one refused beside the form, a good one works at the kiosk
    let li = app.list_staff().unwrap().into_iter().find(|s| s.name == "李娜").unwrap();
    b.exec("document.getElementById('pin-staff').value = arguments[0];", json!([li.id])).await;
    b.type_into("#pin-new", "12").await;
    b.click("#reset-pin").await;
    b.wait_for("#pin-error").await;
    b.exec("document.getElementById('pin-staff').value = arguments[0];", json!([li.id])).await;
    b.type_into("#pin-new", "4321").await;
    b.click("#reset-pin").await;
    b.wait_for("#done").await;
    assert!(matches!(app.staff_login("李娜", "4321").unwrap(), PinCheck::Ok(_)));
    // a new beautician
    b.type_into("#staff-name", "郑新").await;
    b.type_into("#staff-pin", "5678").await;
    // the PIN reset's confirmation is still on the page: wait for the new one, not that one
    b.exec("document.getElementById('done')?.remove();", json!([])).await;
    b.click("#add-staff").await;
    b.wait_for("#done").await;
    assert!(app.list_staff().unwrap().iter().any(|s| s.name == "郑新"));
    let _ = today;
    b.quit().await;
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "林美华", "salonbox-demo").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/staff?week=2026-11-30", site.url)).await;
    phone.wait_for("#roster").await;
    screen(&phone, "staff-390x844").await;
    phone.quit().await;
}

/// Stock: a batch received with its expiry (refused when it has passed), a stock-take
/// without a reason refused and with one recorded, the movements, a clean-up time changed
/// by the owner; reception is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_received_counted_and_reported() {
    let site = site().await;
    let mut app = site.app();
    let product = app.stock_list().unwrap().into_iter().next().unwrap();
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "林美华", "salonbox-demo").await;
    b.wait_text("今天").await;
    b.click("a[href='/stock']").await;
    b.wait_for("#products").await;
    screen(&b, "stock-1366x768").await;
    let set = |id: &str, v: &str| format!("document.getElementById('{id}').value = '{v}';");
    b.exec(
        &[
            set("in-product", &product.sku),
            set("in-quantity", "12"),
            set("in-batch", "B2611"),
            set("in-expires", "2026-11-01"),
        ]
        .concat(),
        json!([]),
    )
    .await;
    b.click("#receive").await;
    let e = b.wait_for("#in-error").await;
    assert!(b.element_text(&e).await.contains("已过期"), "an expired batch is not received");
    assert_eq!(app.stock_list().unwrap()[0].level, product.level, "nothing written");
    b.exec(
        &[
            set("in-product", &product.sku),
            set("in-quantity", "12"),
            set("in-batch", "B2612"),
            set("in-expires", "2027-06-30"),
        ]
        .concat(),
        json!([]),
    )
    .await;
    b.click("#receive").await;
    b.wait_for("#done").await;
    let level = app.stock_list().unwrap().into_iter().find(|r| r.sku == product.sku).unwrap().level;
    assert_eq!(level, product.level + 12);
    // a stock-take: the reason is asked for, then the count becomes the level
    b.exec(&[set("count-product", &product.sku), set("count-n", "5")].concat(), json!([])).await;
    b.click("#count").await;
    let e = b.wait_for("#count-error").await;
    assert!(b.element_text(&e).await.contains("原因"));
    b.exec(&[set("count-product", &product.sku), set("count-n", "5"), set("count-reason", "破损")].concat(), json!([]))
        .await;
    b.click("#count").await;
    b.wait_until("location.search.includes('done=count')").await;
    let level = app.stock_list().unwrap().into_iter().find(|r| r.sku == product.sku).unwrap().level;
    assert_eq!(level, 5);
    let moves = b.element_text(&b.wait_for("#movements").await).await;
    assert!(moves.contains(&product.name), "{moves}");
    // the owner changes a clean-up time
    b.exec(&[set("buffer-service", "小气泡清洁"), set("buffer-minutes", "20")].concat(), json!([])).await;
    b.click("#set-buffer").await;
    b.wait_until("location.search.includes('done=buffer')").await;
    assert_eq!(app.service_by_name("小气泡清洁").unwrap().unwrap().buffer_min, 20);
    // materials: a treatment of 小气泡清洁 takes one of the product; a bad number refused
    let set_material = |n: &str| {
        [set("material-service", "小气泡清洁"), set("material-product", &product.sku), set("material-quantity", n)]
            .concat()
    };
    b.exec(&set_material("一"), json!([])).await;
    b.click("#set-material").await;
    let e = b.wait_for("#material-error").await;
    assert!(b.element_text(&e).await.contains("用量"), "{}", b.element_text(&e).await);
    b.exec(&set_material("1"), json!([])).await;
    b.click("#set-material").await;
    b.wait_until("location.search.includes('done=material')").await;
    let list = b.element_text(&b.wait_for("#services").await).await;
    assert!(list.contains(&format!("{} ×1", product.name)), "{list}");
    let before = app.stock_list().unwrap().into_iter().find(|r| r.sku == product.sku).unwrap().level;
    app.checkout(&salonbox::app::checkout::CheckoutRequest::paid(
        None,
        vec![salonbox::app::checkout::ItemRequest::of(
            salonbox::app::checkout::ItemKey::Service("小气泡清洁".into()),
            1,
        )],
        salonbox::domain::checkout::Tender::Cash,
        rust_decimal::Decimal::from(128),
        "test",
    ))
    .unwrap();
    let after = app.stock_list().unwrap().into_iter().find(|r| r.sku == product.sku).unwrap().level;
    assert_eq!(after, before - 1, "the treatment took its material");
    // a new service: a duration of 0 is refused beside its form, then added
    let service = |minutes: &str| {
        [set("service-name", "玻尿酸补水"), set("service-category", "面部护理"), set("service-minutes", minutes)]
            .concat()
            + &set("service-price", "380")
    };
    b.exec(&service("0"), json!([])).await;
    b.click("#add-service").await;
    let e = b.wait_for("#service-error").await;
    assert!(b.element_text(&e).await.contains("时长"), "{}", b.element_text(&e).await);
    assert!(app.service_by_name("玻尿酸补水").unwrap().is_none(), "nothing written");
    b.exec(&service("50"), json!([])).await;
    b.click("#add-service").await;
    b.wait_until("location.search.includes('done=service')").await;
    let added = app.service_by_name("玻尿酸补水").unwrap().expect("added");
    assert_eq!((added.price.normalize().to_string(), added.duration_min), ("380".to_string(), 50));
    // its price from tomorrow: today's price list is unchanged until then
    let tomorrow = app.today() + chrono::Duration::days(1);
    b.exec(
        &[
            set("price-service", "玻尿酸补水"),
            set("price-price", "420"),
            set("price-minutes", "60"),
            set("price-effective", &tomorrow.to_string()),
        ]
        .concat(),
        json!([]),
    )
    .await;
    b.click("#set-price").await;
    b.wait_until("location.search.includes('done=price')").await;
    let done = b.element_text(&b.wait_for("#done").await).await;
    assert!(done.contains(&tomorrow.to_string()), "{done}");
    let price = |app: &mut App| {
        let s = app.service_by_name("玻尿酸补水").unwrap().unwrap();
        (s.price.normalize().to_string(), s.duration_min)
    };
    assert_eq!(price(&mut app), ("380".to_string(), 50));
    let list = b.element_text(&b.wait_for("#services").await).await;
    assert!(list.contains("380") && !list.contains("420"), "{list}");
    b.quit().await;
    site.clock.advance(chrono::Duration::days(1));
    app.list_services(false).unwrap();
    assert_eq!(price(&mut app), ("420".to_string(), 60), "in force on its day");
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "孙慧", "3333").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/stock", site.url)).await;
    phone.wait_for("#products").await;
    assert!(phone.find("#buffer-form").await.is_none(), "prices and times are the owner's");
    screen(&phone, "stock-390x844").await;
    phone.quit().await;
    let desk = Browser::start(1366, 768).await;
    login(&desk, &site, "周晓燕", "2222").await;
    desk.wait_text("今天").await;
    desk.goto(&format!("{}/stock", site.url)).await;
    desk.wait_text("无权限").await;
    desk.quit().await;
}

/// One 小气泡清洁 for `customer`, quoted and paid in cash.
fn pay_cash(app: &mut App, customer: &str) -> salonbox::app::checkout::Receipt {
    use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
    use salonbox::domain::checkout::{Tender, Use};
    let mut req = CheckoutRequest {
        customer: Some(customer.into()),
        items: vec![ItemRequest {
            item: ItemKey::Service("小气泡清洁".into()),
            quantity: 1,
            staff: vec![],
            expected_unit_price: None,
        }],
        coupon: None,
        points: Use::Nothing,
        stored_value: Use::Nothing,
        tenders: vec![],
        actor: "test".into(),
    };
    let due = app.quote(&req).unwrap().bill.due_by_tenders;
    req.tenders = vec![(Tender::Cash, due)];
    app.checkout(&req).unwrap()
}

/// The owner's membership page: a refused tier keeps what was typed; a tier changed today
/// prices the next checkout; a rebate from tomorrow waits in the list of changes and is in
/// force the next day; a waiting change is withdrawn; referral points set here reward the
/// member named at a registration at the desk; a coupon template made and issued. The
/// front desk may not open the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_rules_change_from_a_date_and_price_the_next_checkout() {
    let site = site().await;
    let mut app = site.app();
    // her first visit puts her on the first tier, without a discount
    let before = pay_cash(&mut app, PHONE);
    assert_eq!(before.bill.tier_discount, rust_decimal::Decimal::ZERO);
    let tier = app.membership(PHONE).unwrap().tier.expect("the first tier after a visit");
    let b = Browser::start(1366, 768).await;
    login(&b, &site, "林美华", "salonbox-demo").await;
    b.wait_text("今天").await;
    b.click("a[href='/membership']").await;
    b.wait_for("#tiers").await;
    screen(&b, "membership-1366x768").await;
    // the owner's ten rail items overflow a laptop's height: the rail scrolls to the last one
    let reach = "const r = document.querySelector('.rail'); r.scrollTop = 10000; \
                 const last = r.querySelector('a:last-of-type').getBoundingClientRect(); \
                 return [r.scrollHeight > r.clientHeight, last.bottom <= window.innerHeight + 1];";
    assert_eq!(b.exec(reach, json!([])).await, json!([true, true]), "the rail's last item is reachable");
    b.exec("document.querySelector('.rail').scrollTop = 0;", json!([])).await;
    let set = |id: &str, v: &str| format!("document.getElementById('{id}').value = '{v}';");
    let tier_form = |discount: &str| {
        [
            set("tier-name", &tier),
            set("tier-rank", "0"),
            set("tier-spend", "0"),
            set("tier-discount", discount),
            set("tier-multiplier", "1"),
        ]
        .concat()
    };
    // a discount above 100 % is refused beside the form, what was typed stays
    b.exec(&tier_form("150"), json!([])).await;
    b.click("#save-tier").await;
    let e = b.wait_for("#tier-error").await;
    assert!(b.element_text(&e).await.contains("0–100"), "the discount is named");
    assert_eq!(b.exec("return document.getElementById('tier-discount').value", json!([])).await, json!("150"));
    // 20 % off from today: the next checkout has it
    b.exec(&tier_form("20"), json!([])).await;
    b.click("#save-tier").await;
    b.wait_until("location.search.includes('done=tier')").await;
    assert!(b.element_text(&b.wait_for("#done").await).await.contains("已生效"));
    let after = pay_cash(&mut app, PHONE);
    assert_eq!(after.bill.tier_discount, "25.60".parse().unwrap(), "20 % off 128");

    // a rebate from tomorrow waits
    b.exec(
        &[
            set("rebate-name", "满100返5%"),
            set("rebate-kind", "threshold"),
            set("rebate-threshold", "100"),
            set("rebate-percent", "5"),
            set("rebate-effective", &tomorrow().to_string()),
        ]
        .concat(),
        json!([]),
    )
    .await;
    b.click("#add-rebate").await;
    b.wait_until("location.search.includes('done=rebate')").await;
    assert!(b.element_text(&b.wait_for("#done").await).await.contains("2026-12-04 起生效"));
    assert!(b.element_text(&b.wait_for("#changes").await).await.contains("待生效"));
    assert!(!app.rebate_rules().unwrap().iter().any(|r| r.name == "满100返5%"));
    // a change of check-in points from tomorrow, withdrawn
    b.exec(
        &[set("value-key", "points.checkin"), set("value-value", "3"), set("value-effective", &tomorrow().to_string())]
            .concat(),
        json!([]),
    )
    .await;
    b.click("#save-value").await;
    b.wait_until("location.search.includes('done=value')").await;
    b.wait_for("#done").await;
    assert_eq!(b.exec("return document.querySelectorAll('.cancel-change').length", json!([])).await, json!(2));
    // the newest first: the check-in change
    let first = b.exec("return document.querySelector('#changes tbody tr').textContent", json!([])).await;
    assert!(first.as_str().unwrap().contains("签到积分"), "{first}");
    b.click(".cancel-change").await;
    b.wait_until("location.search.includes('done=cancel')").await;
    assert!(b.element_text(&b.wait_for("#done").await).await.contains("撤销"));
    assert_eq!(b.exec("return document.querySelectorAll('.cancel-change').length", json!([])).await, json!(1));

    // referral points, then a customer registered at the desk with her referrer
    b.exec(&[set("value-key", "referral.points"), set("value-value", "50")].concat(), json!([])).await;
    b.click("#save-value").await;
    b.wait_until("location.search.includes('done=value')").await;
    b.wait_for("#done").await;
    // a coupon template, issued to 王小美
    b.exec(
        &[
            set("coupon-name", "满300减50"),
            set("coupon-kind", "amount_off"),
            set("coupon-amount", "50"),
            set("coupon-min", "300"),
        ]
        .concat(),
        json!([]),
    )
    .await;
    b.click("#add-coupon").await;
    b.wait_until("location.search.includes('done=coupon')").await;
    b.wait_for("#done").await;
    b.exec(&[set("issue-template", "满300减50"), set("issue-customer", PHONE)].concat(), json!([])).await;
    b.click("#issue-coupon").await;
    b.wait_until("location.search.includes('done=issue')").await;
    assert!(b.element_text(&b.wait_for("#done").await).await.contains("券码"));
    assert_eq!(app.membership(PHONE).unwrap().coupons.len(), 1);
    b.quit().await;

    let desk = Browser::start(1366, 768).await;
    login(&desk, &site, "周晓燕", "2222").await;
    desk.wait_text("今天").await;
    assert!(desk.find("a[href='/membership']").await.is_none(), "not in the desk's menu");
    desk.goto(&format!("{}/membership", site.url)).await;
    desk.wait_text("无权限").await;
    desk.goto(&format!("{}/customers/new", site.url)).await;
    desk.type_into("#name", "陈静").await;
    desk.type_into("#phone", "13812349999").await;
    desk.type_into("#referred_by", "13800009999").await;
    desk.click("#privacy").await;
    desk.click("#customer-save").await;
    let e = desk.wait_for("#referred_by-error").await;
    assert!(desk.element_text(&e).await.contains("找不到"), "an unknown referrer is named");
    desk.clear("#referred_by").await;
    desk.type_into("#referred_by", PHONE).await;
    desk.click("#privacy").await;
    desk.click("#customer-save").await;
    desk.wait_until("!location.pathname.endsWith('/new')").await;
    desk.wait_text("陈静").await;
    desk.quit().await;
    let points = app.membership(PHONE).unwrap().points;
    pay_cash(&mut app, "13812349999");
    assert_eq!(app.membership(PHONE).unwrap().points, points + 50, "her first paid visit rewards 王小美");
    pay_cash(&mut app, "13812349999");
    assert_eq!(app.membership(PHONE).unwrap().points, points + 50, "once");
    let (referrer, referred) = (app.customer_by_key(PHONE).unwrap(), app.customer_by_key("13812349999").unwrap());

    // the next day the rebate is in force
    site.clock.advance(chrono::Duration::days(1));
    let phone = Browser::start(390, 844).await;
    login(&phone, &site, "林美华", "salonbox-demo").await;
    phone.wait_text("今天").await;
    phone.goto(&format!("{}/membership", site.url)).await;
    let rebates = phone.element_text(&phone.wait_for("#rebates").await).await;
    assert!(rebates.contains("满100返5%"), "{rebates}\n{}", phone.text().await);
    assert_eq!(phone.exec("return document.querySelectorAll('.cancel-change').length", json!([])).await, json!(0));
    screen(&phone, "membership-390x844").await;
    // both ends of the referral on the customer pages
    phone.goto(&format!("{}/customers/{}", site.url, referrer.id)).await;
    let mine = phone.element_text(&phone.wait_for("#referred").await).await;
    assert!(mine.contains("陈静") && mine.contains("+50"), "{mine}");
    phone.goto(&format!("{}/customers/{}", site.url, referred.id)).await;
    let hers = phone.element_text(&phone.wait_for("#referrer").await).await;
    assert!(hers.contains("王小美"), "{hers}");
    phone.quit().await;
    let mut app = site.app();
    let next = pay_cash(&mut app, PHONE);
    assert!(next.bill.rebates.iter().any(|r| r.rule_name == "满100返5%"), "{:?}", next.bill.rebates);
}
