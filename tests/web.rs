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
    drop(app);
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
    for (w, h, size) in [(1366, 768, "1366x768"), (390, 844, "390x844")] {
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
