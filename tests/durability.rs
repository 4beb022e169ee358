//! Durability (issue 9): `salonbox soak write` checks customers in from a child process and
//! prints an acknowledgement after each commit; the test kills it with SIGKILL at random
//! moments. Cycle after cycle, every acknowledged check-in is still stored and
//! `PRAGMA integrity_check` stays `ok`. The suite runs 200 cycles; `scripts/soak.sh` runs
//! 1,000 (`SALONBOX_SOAK_CYCLES`).

#[path = "support/artefacts.rs"]
mod artefacts;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BIN: &str = env!("CARGO_BIN_EXE_salonbox");
const NOW: &str = "2026-11-23T10:00:00+08:00";

fn salonbox(data: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir")
        .arg(data)
        .env("SALONBOX_NOW", NOW)
        .env_remove("SALONBOX_CONFIG")
        .env("SALONBOX_CONFIG_NOSYSTEM", "1");
    c.env("SALONBOX_LOG", "info");
    c
}

/// `(entry id, ticket)` of one acknowledgement line.
fn parse_ack(line: &str) -> (String, String) {
    let f: Vec<&str> = line.split_whitespace().collect();
    assert!(f.len() == 5 && f[0] == "ack", "not an ack line: {line:?}");
    (f[4].to_string(), f[3].to_string())
}

#[test]
fn acknowledged_checkins_survive_sigkill_at_random_moments() {
    let cycles: usize = std::env::var("SALONBOX_SOAK_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = artefacts::tempdir();
    let data = dir.path().join("data");
    let log = artefacts::log(dir.path(), "soak.log");
    let mut rng = StdRng::seed_from_u64(20261123);
    let mut acked: Vec<(String, String)> = Vec::new();
    let mut ack_lines = String::new();
    let (mut mid_write, mut before_first) = (0, 0);
    for cycle in 0..cycles {
        let mut child = salonbox(&data)
            .args(["soak", "write"])
            .stdout(Stdio::piped())
            .stderr(log.try_clone().unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        // One kill in five at any moment from the start (opening, migrations, the first
        // registration); the others while check-ins are being written.
        let mut early = Vec::new();
        if rng.random_ratio(1, 5) {
            std::thread::sleep(Duration::from_millis(rng.random_range(0..60)));
        } else {
            let first = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
                panic!("cycle {cycle}: no acknowledgement within a minute; see {}", dir.path().display())
            });
            early.push(first);
            std::thread::sleep(Duration::from_millis(rng.random_range(0..25)));
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(status.code().is_none(), "cycle {cycle}: soak write ended by itself ({status}); see soak.log");
        reader.join().unwrap();
        let lines: Vec<String> = early.into_iter().chain(rx.try_iter()).collect();
        let complete: Vec<&String> = lines.iter().filter(|l| l.ends_with('\n')).collect();
        if complete.is_empty() {
            before_first += 1;
        } else {
            mid_write += 1;
        }
        for l in complete {
            acked.push(parse_ack(l));
            ack_lines.push_str(l);
        }
        // Every check-in acknowledged so far, in this cycle or any before, is stored.
        let db = data.join("salonbox.sqlite3");
        if !db.exists() {
            assert!(acked.is_empty(), "cycle {cycle}: the database is gone");
            continue;
        }
        let conn = rusqlite::Connection::open(&db).unwrap();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "cycle {cycle}");
        let mut st = conn.prepare("SELECT ticket FROM queue_entries WHERE id = ?1").unwrap();
        for (i, (entry, ticket)) in acked.iter().enumerate() {
            let stored: Option<String> = st.query_row([entry], |r| r.get(0)).ok();
            assert_eq!(stored.as_deref(), Some(ticket.as_str()), "cycle {cycle}: acknowledgement {i} ({entry}) lost");
        }
    }
    eprintln!(
        "{cycles} kills: {mid_write} while writing, {before_first} before the first commit; {} acks",
        acked.len()
    );
    assert!(mid_write >= cycles * 3 / 5, "only {mid_write} of {cycles} kills landed while check-ins were written");
    assert!(acked.len() >= cycles, "only {} check-ins acknowledged in {cycles} cycles", acked.len());

    // The product's own check agrees, from the acknowledgement lines.
    let acks = dir.path().join("acks.txt");
    std::fs::write(&acks, &ack_lines).unwrap();
    let out = salonbox(&data).args(["soak", "check", "--acks"]).arg(&acks).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&format!("all {} acknowledged check-ins are stored", acked.len())), "{text}");
    assert!(text.contains("integrity_check: ok"), "{text}");
}

#[test]
fn soak_check_finds_a_lost_acknowledgement_and_write_keeps_off_a_shop() {
    let dir = artefacts::tempdir();
    let data = dir.path().join("data");
    let out = salonbox(&data).args(["soak", "write", "--count", "3"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut acks = String::from_utf8(out.stdout).unwrap();
    assert_eq!(acks.lines().count(), 3, "{acks}");
    // An acknowledgement the database does not hold (a lying disk would leave one).
    acks.push_str("ack 3 19912345678 W099 0190f000-0000-7000-8000-000000000000\n");
    let file = dir.path().join("acks.txt");
    std::fs::write(&file, &acks).unwrap();
    let out = salonbox(&data).args(["soak", "check", "--acks"]).arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("1 of 4 acknowledged check-ins are lost (lines 4)"), "{text}");
    // A line that is not an acknowledgement is named with its file and line.
    std::fs::write(&file, "ack 0 1 A001 x\nnonsense\n").unwrap();
    let out = salonbox(&data).args(["soak", "check", "--acks"]).arg(&file).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("acks.txt:2") && err.contains("nonsense"), "{err}");

    // A shop's data directory (it has customers) is refused, and nothing is added to it.
    let shop = dir.path().join("shop");
    assert!(salonbox(&shop).arg("init").output().unwrap().status.success());
    let seeded = salonbox(&shop).args(["demo-data", "--customers", "5", "--days", "3"]).output().unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let out = salonbox(&shop).args(["soak", "write", "--count", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("empty data directory"), "{err}");
    assert!(!shop.join("soak-test").exists());
}
