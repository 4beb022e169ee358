//! The daemon as a process on an idle shop: CPU time, wake-ups (context switches of all its
//! threads) and resident memory over 30 s; then how long a kiosk check-in takes to reach the
//! staff group (the check-in committed → its alert marked sent), over 10 check-ins.
//!
//! Run by hand: `cargo bench --bench daemon_idle` (release binary). Figures go to
//! docs/performance.md.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use salonbox::app::checkin::{CheckinRequest, Identity};
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::SystemClock;
use salonbox::config::Config;

fn ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // after the command name in parentheses: field 14 utime, 15 stime (1-based)
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

fn switches(pid: u32) -> u64 {
    let mut total = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            for l in status.lines() {
                if l.starts_with("voluntary_ctxt_switches") || l.starts_with("nonvoluntary_ctxt_switches") {
                    total += l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                }
            }
        }
    }
    total
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map(|d| d.count()).unwrap_or(0)
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `cargo bench -- --list` expect nothing here
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "[channels]\nlog = true\n[messages.routes]\nstaff = [\"log\"]\n[jobs]\nclock_sync_file = \"\"\n";
    let config_path = dir.path().join("salonbox.toml");
    std::fs::write(&config_path, text).expect("config");
    let config = Config::from_toml(text, &config_path).expect("config");
    init(&config, dir.path()).expect("init");
    let mut app = App::open(config, dir.path(), std::sync::Arc::new(SystemClock)).expect("open");
    app.seed_demo(DemoSize { customers: 20_000, days_of_history: 30 }, 7).expect("seed");
    let phones: Vec<_> = app.list_customers(100, 0).expect("list").into_iter().filter_map(|c| c.phone).collect();
    let service = app
        .list_services(false)
        .expect("services")
        .into_iter()
        .find(|s| s.resource_kind.is_none())
        .expect("service")
        .name;

    let mut child = Command::new(env!("CARGO_BIN_EXE_salonbox"))
        .arg("--config")
        .arg(&config_path)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("daemon")
        .env("SALONBOX_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("daemon");
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(3));
    let (t0, s0) = (ticks(pid), switches(pid));
    let window = Duration::from_secs(30);
    std::thread::sleep(window);
    let (t1, s1) = (ticks(pid), switches(pid));
    let hz = 100.0; // USER_HZ
    let cpu_ms = (t1 - t0) as f64 / hz * 1000.0;
    println!(
        "idle for {} s: CPU {cpu_ms:.0} ms ({:.3} %), {} context switches ({:.2}/s) over {} threads, resident {} KiB",
        window.as_secs(),
        cpu_ms / window.as_millis() as f64 * 100.0,
        s1 - s0,
        (s1 - s0) as f64 / window.as_secs_f64(),
        threads(pid),
        rss_kib(pid)
    );

    // Check-in → staff alert sent.
    let mut latencies = Vec::new();
    for phone in phones.iter().take(10) {
        let start = Instant::now();
        let out = app
            .check_in(&CheckinRequest {
                identity: Identity::Phone(phone.clone()),
                service: Some(service.clone()),
                staff: None,
            })
            .expect("check in");
        let key = format!("arrival:{}", out.entry.id);
        loop {
            let n = app.message(&key).expect("read");
            if n.status == "sent" {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "alert not sent");
            std::thread::sleep(Duration::from_millis(10));
        }
        latencies.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(337));
    }
    latencies.sort();
    println!(
        "check-in → staff alert sent, 10 check-ins: median {:.0} ms, max {:.0} ms; resident after {} KiB",
        latencies[latencies.len() / 2].as_secs_f64() * 1000.0,
        latencies[latencies.len() - 1].as_secs_f64() * 1000.0,
        rss_kib(pid)
    );
    if let Some(p) = rustix::process::Pid::from_raw(i32::try_from(pid).unwrap_or(0)) {
        let _ = rustix::process::kill_process(p, rustix::process::Signal::TERM);
    }
    let _ = child.wait();
}
