//! `salonbox web`, the real binary: it serves on the address it prints, answers with the
//! security headers, sends a visitor without a session to the login, stops on SIGTERM;
//! `doctor` sees it answering.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

use super::common::Shop;

fn get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn web_serves_the_back_office_and_doctor_sees_it() {
    let shop = Shop::new();
    let mut child = shop
        .cmd(&["web", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(crate::artefacts::log(shop.data(), "web.log"))
        .spawn()
        .expect("salonbox web");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
    let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).expect("address").to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");

    // a fresh install has no owner yet: the login sends the first visitor to set one up
    let login = get(&addr, "/login");
    assert!(login.starts_with("HTTP/1.0 303") && login.contains("location: /setup"), "{login}");
    let login = get(&addr, "/setup");
    assert!(login.starts_with("HTTP/1.0 200"), "{login}");
    let lower = login.to_lowercase();
    assert!(lower.contains("content-security-policy: default-src 'self'"), "{login}");
    assert!(lower.contains("x-frame-options: deny") && lower.contains("x-content-type-options: nosniff"));
    assert!(lower.contains("httponly") && lower.contains("samesite=strict"), "{login}");
    assert!(!login.contains("http://") && !login.contains("https://"), "no outside request on the page");
    let today = get(&addr, "/today");
    assert!(today.starts_with("HTTP/1.0 303") && today.contains("location: /login?next=/today"), "{today}");

    std::fs::write(shop.data().join("salonbox.toml"), format!("[web]\nlisten = \"{addr}\"\n")).expect("config");
    let doctor = shop.run(&["doctor"]).ok().stdout();
    assert!(doctor.contains("正在服务") && doctor.contains(&addr), "{doctor}");

    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).expect("pid"),
        rustix::process::Signal::TERM,
    )
    .expect("SIGTERM");
    assert!(child.wait().expect("wait").success(), "a clean stop on SIGTERM");
    // stopped: doctor says so, and does not fail for it
    let doctor = shop.run(&["doctor"]).ok().stdout();
    assert!(doctor.contains("未运行"), "{doctor}");
}

/// `salonbox init` tells how the owner gets in; `init --owner` sets her up with a password
/// read from standard input (a short one refused), after which the first-visit setup is
/// closed and the password logs her in.
#[test]
fn init_sets_up_the_owner_or_says_how() {
    let shop = Shop::new();
    let fresh = shop.run(&["init"]).ok().stdout();
    assert!(fresh.contains("init --owner"), "{fresh}");
    let short = shop.run_stdin(&["init", "--owner", "林店长"], "short\n").fails();
    assert!(short.stderr().contains("8"), "{}", short.stderr());
    let done = shop.run_stdin(&["init", "--owner", "林店长"], "salon-2026\n").ok().stdout();
    assert!(done.contains("林店长"), "{done}");
    // once an owner exists: no hint, and no second first-visit owner
    assert!(!shop.run(&["init"]).ok().stdout().contains("init --owner"));
    let again = shop.run_stdin(&["init", "--owner", "王店长"], "salon-2027\n").fails();
    assert!(again.stderr().contains("店主已设置"), "{}", again.stderr());
    let mut app = salonbox::app::App::open(
        salonbox::config::Config::default(),
        shop.data(),
        std::sync::Arc::new(salonbox::clock::SystemClock),
    )
    .expect("open");
    assert!(matches!(
        app.web_login("林店长", "salon-2026", "127.0.0.1").expect("login"),
        salonbox::app::access::WebLogin::Ok { .. }
    ));
}
