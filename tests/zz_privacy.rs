//! Privacy (issue 9): after the whole suite, no file the tests left behind — databases and
//! their WAL files (outbox rows among them), daemon and command logs, printed receipts,
//! screens, the reference cloud's store — holds a checksum-valid 18-digit identity-card
//! number. Cargo runs test crates in name order, so this one (`zz_`) runs after the others;
//! their shops are kept under `target/tmp/artefacts/` (tests/support/artefacts.rs).

#[path = "support/idnumbers.rs"]
mod idnumbers;

use std::path::{Path, PathBuf};

/// Every identity-card number in the files under `dir`: (file, byte offset, masked number).
fn scan(dir: &Path, files: &mut usize) -> Vec<(PathBuf, usize, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let Ok(bytes) = std::fs::read(&path) else { continue };
                *files += 1;
                for at in idnumbers::find(&bytes) {
                    let n = String::from_utf8_lossy(&bytes[at..at + 18]).into_owned();
                    found.push((path.clone(), at, format!("{}********{}", &n[..6], &n[14..])));
                }
            }
        }
    }
    found
}

#[test]
fn no_file_the_suite_left_holds_an_identity_card_number() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // The crates whose shops this sweep must see: run alone, it would prove nothing.
    let artefacts = tmp.join("artefacts");
    for krate in ["app", "cli", "daemon", "durability", "kiosk", "printing", "sync"] {
        let dir = artefacts.join(krate);
        let dbs = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| {
                        e.path().join("salonbox.sqlite3").exists() || e.path().join("data/salonbox.sqlite3").exists()
                    })
                    .count()
            })
            .unwrap_or(0);
        assert!(dbs > 0, "no shop of the `{krate}` tests in {}: run the whole suite (cargo test) first", dir.display());
    }
    let mut files = 0;
    let found = scan(&tmp, &mut files);
    let report: Vec<String> = found.iter().map(|(p, at, n)| format!("{} @{at}: {n}", p.display())).collect();
    assert!(report.is_empty(), "identity-card numbers in the suite's artefacts:\n{}", report.join("\n"));
    eprintln!("{files} files searched under {}", tmp.display());
}

/// The sweep finds a number however a leak would write it, and only a real one.
#[test]
fn the_sweep_finds_a_number_in_a_database_a_log_and_a_receipt() {
    // Outside target/tmp, so the sweep above never sees these plants.
    let dir = tempfile::tempdir().unwrap();
    let id = "11010519491231002X";
    let db = dir.path().join("shop/salonbox.sqlite3");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE notification_outbox (body TEXT);").unwrap();
    conn.execute("INSERT INTO notification_outbox VALUES (?1)", [format!("王女士，证件 {id} 已登记")]).unwrap();
    std::fs::write(dir.path().join("shop/daemon.log"), format!("INFO checkin id={}\n", id.to_lowercase())).unwrap();
    let line = format!("身份证：{id}\n");
    let (receipt, _, _) = encoding_rs::GB18030.encode(&line);
    std::fs::write(dir.path().join("receipt.bin"), [&b"\x1b@"[..], &receipt].concat()).unwrap();
    // Not numbers: masked, nineteen digits, a wrong check digit, an impossible birth date.
    std::fs::write(
        dir.path().join("clean.txt"),
        "110105********002X 1101051949123100271 110105194912310021 110105194913310021 13800138000",
    )
    .unwrap();
    drop(conn);
    let mut files = 0;
    let mut found: Vec<String> = scan(dir.path(), &mut files)
        .iter()
        .map(|(p, _, n)| format!("{}:{n}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    found.sort();
    found.dedup();
    let wal_or_db: Vec<&String> = found.iter().filter(|f| f.starts_with("salonbox.sqlite3")).collect();
    assert!(!wal_or_db.is_empty(), "{found:?}");
    assert!(found.contains(&"daemon.log:110105********002x".to_string()), "{found:?}");
    assert!(found.contains(&"receipt.bin:110105********002X".to_string()), "{found:?}");
    assert!(!found.iter().any(|f| f.starts_with("clean.txt")), "{found:?}");
}
