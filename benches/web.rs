//! The back office over loopback HTTP in a shop of 100,000 customers and a year of visits
//! (run by hand: `cargo bench --bench web`; SALONBOX_BENCH_CUSTOMERS overrides the size).
//! Each figure is the server's time as a browser on the shop's network sees it (request to
//! last byte, loopback): p50 and p95 over many requests. Goals (issue 19): customer search
//! p95 under 10 ms, a week of the appointment book under 50 ms, the Today page under 30 ms,
//! a first page load under 200 KB with no outside request; issue 20: the monthly report
//! page with its charts under 1.5 s, any other page under 100 ms. Figures:
//! docs/performance.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;

fn percentiles(mut d: Vec<Duration>) -> (Duration, Duration) {
    d.sort();
    (d[d.len() / 2], d[(d.len() * 95 / 100).min(d.len() - 1)])
}

fn main() {
    let customers = std::env::var("SALONBOX_BENCH_CUSTOMERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    init(&Config::default(), dir.path()).expect("init");
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).single().expect("time")));
    let mut app = App::open(Config::default(), dir.path(), clock.clone()).expect("open");
    let started = Instant::now();
    app.seed_demo(DemoSize { customers, days_of_history: 365 }, 7).expect("seed");
    let logins = app.seed_demo_logins().expect("logins");
    eprintln!("seeded {customers} customers in {:.1?}", started.elapsed());
    let (_, name, pin) =
        logins.iter().find(|(r, ..)| *r == salonbox::domain::model::StaffRole::FrontDesk).expect("desk");
    let token = match app.web_login(name, pin, "127.0.0.1").expect("login") {
        salonbox::app::access::WebLogin::Ok { token, .. } => token,
        other => panic!("{other:?}"),
    };
    // the owner's pages (reports, messages, shop, audit log) as the manager sees them
    let (_, name, pin) =
        logins.iter().find(|(r, ..)| *r == salonbox::domain::model::StaffRole::Manager).expect("manager");
    let manager = match app.web_login(name, pin, "127.0.0.1").expect("login") {
        salonbox::app::access::WebLogin::Ok { token, .. } => token,
        other => panic!("{other:?}"),
    };
    let visits = app
        .report(salonbox::app::report::Period::Monthly, chrono::NaiveDate::from_ymd_opt(2026, 10, 15).expect("date"))
        .expect("report")
        .visits;
    eprintln!("October has {visits} visits");
    let phones: Vec<String> = app
        .list_customers(2000, 0)
        .expect("list")
        .into_iter()
        .filter_map(|c| c.phone.map(|p| p.as_str()[7..].to_string()))
        .collect();
    let names: Vec<String> = app.list_customers(500, 1000).expect("list").into_iter().map(|c| c.name).collect();
    app.checkpoint().expect("checkpoint");
    drop(app);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async move {
        let shop = Arc::new(salonbox::web::Shop::open(Config::default(), dir.path(), clock).expect("shop"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(salonbox::web::serve_on(listener, shop, std::future::pending()));
        let http = salonbox::channels::http_client(Duration::from_secs(30)).expect("client");
        let cookie = format!("{}={token}", salonbox::web::SESSION_COOKIE);
        let manager_cookie = format!("{}={manager}", salonbox::web::SESSION_COOKIE);
        let fetch_as = |path: String, cookie: String| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let t = Instant::now();
                let res = http.get(format!("{base}{path}")).header("cookie", cookie).send().await.expect("send");
                assert!(res.status().is_success(), "{path}: {}", res.status());
                let body = res.bytes().await.expect("body");
                (t.elapsed(), body.len())
            }
        };
        let fetch = |path: String, hx: bool| {
            let (http, cookie, base) = (http.clone(), cookie.clone(), base.clone());
            async move {
                let t = Instant::now();
                let mut req = http.get(format!("{base}{path}")).header("cookie", cookie);
                if hx {
                    req = req.header("hx-request", "true");
                }
                let body = req.send().await.expect("send").bytes().await.expect("body");
                (t.elapsed(), body.len())
            }
        };
        let report = |what: &str, times: Vec<Duration>| {
            let (p50, p95) = percentiles(times);
            println!("{what:<48} p50 {:>7.2} ms   p95 {:>7.2} ms", p50.as_secs_f64() * 1e3, p95.as_secs_f64() * 1e3);
        };
        // warm up
        for _ in 0..20 {
            fetch("/today".into(), false).await;
        }
        let mut t = Vec::new();
        for p in phones.iter().take(300) {
            t.push(fetch(format!("/customers?q={p}"), true).await.0);
        }
        report("search by phone tail (htmx fragment)", t);
        let mut t = Vec::new();
        for n in names.iter().take(300) {
            let initials = salonbox::domain::search::initials(n);
            t.push(fetch(format!("/customers?q={initials}"), true).await.0);
        }
        report("search by pinyin initials (htmx fragment)", t);
        let mut t = Vec::new();
        for _ in 0..100 {
            t.push(fetch("/book?view=week".into(), false).await.0);
        }
        report("appointment book, a week", t);
        let mut t = Vec::new();
        for _ in 0..100 {
            t.push(fetch("/book".into(), false).await.0);
        }
        report("appointment book, a day", t);
        let mut t = Vec::new();
        for _ in 0..100 {
            t.push(fetch("/today".into(), false).await.0);
        }
        report("Today", t);
        // issue 20: the monthly report page with its charts under 1.5 s, other pages under 100 ms
        for (what, path, n) in [
            ("report page, a month with its charts", "/reports?period=monthly&date=2026-10-15", 20),
            ("report page, a week with its charts", "/reports?period=weekly&date=2026-10-15", 20),
            ("report export, a month (xlsx)", "/reports/export?period=monthly&date=2026-10-15&format=xlsx", 10),
            ("messages (outbox, 200 rows)", "/messages", 100),
            ("audit log (100 rows)", "/shop/audit", 100),
            ("shop (doctor, backups, sync)", "/shop", 30),
        ] {
            let mut t = Vec::new();
            for _ in 0..n {
                t.push(fetch_as(path.into(), manager_cookie.clone()).await.0);
            }
            report(what, t);
        }
        // a first visit: the page and every asset it names
        let mut bytes = fetch("/today".into(), false).await.1;
        for a in ["/assets/app.css", "/assets/app.js", "/assets/htmx.min.js"] {
            bytes += fetch(a.into(), false).await.1;
        }
        println!("first load of Today with its assets: {:.1} KB (uncompressed)", bytes as f64 / 1024.0);
    });
}
