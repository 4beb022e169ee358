//! Privacy (issue 9): no file of a shop holds a checksum-valid 18-digit identity-card
//! number. The first test is self-contained: it makes its own shop, feeds a number through
//! every door that takes personal data (the command line, an import, the kiosk's
//! registration, a pulled cloud change, notes, bookings, ratings, receipts) and searches
//! what the shop keeps. The second searches whatever the rest of the suite left behind
//! (databases and their WAL files, outbox rows, daemon and command logs, printed receipts,
//! screens, the reference cloud's store): cargo runs test crates in name order, so this one
//! (`zz_`) runs after the others, whose shops are kept under `target/tmp/artefacts/`.

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

#[path = "support/artefacts.rs"]
mod artefacts;

/// A valid number, put together here so that this file holds it only in pieces.
fn number() -> String {
    ["110101", "19900315", "0126"].concat()
}

#[test]
fn a_number_fed_through_every_door_is_kept_nowhere() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let id = number();
    let shop = artefacts::tempdir();
    let data = shop.path();
    let salonbox = |args: &[&str], stdin: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_salonbox"));
        c.env_remove("SALONBOX_CONFIG")
            .env("SALONBOX_CONFIG_NOSYSTEM", "1")
            .env("SALONBOX_NOW", "2026-11-23T10:00:00+08:00")
            .env("SALONBOX_LOG", "info")
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // what salonbox logs stays in the shop, for the search below
            .stderr(Stdio::from(artefacts::log(data, "salonbox.log")));
        let mut child = c.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?} failed");
        // and what it printed too
        artefacts::log(data, "stdout.log").write_all(&out.stdout).unwrap();
    };
    salonbox(&["init"], None);
    salonbox(&["demo-data", "--customers", "20", "--days", "3"], None);
    // the command line: a registration with the card, a check-in by card, free text
    salonbox(&["customer", "add", "--name", "赵敏", "--phone", "13900000001", "--id-card-stdin"], Some(&id));
    salonbox(&["checkin", "--id-card-stdin", "--service", "修眉造型"], Some(&id));
    let noted = format!("证件 {id} 已核对");
    salonbox(&["customer", "edit", "13900000001", "--notes", &noted, "--allergies", &noted], None);
    salonbox(&["customer", "note", "13900000001", &noted], None);
    salonbox(
        &[
            "appointment",
            "book",
            "--customer",
            "13900000001",
            "--service",
            "修眉造型",
            "--at",
            "2026-11-24 15:00",
            "--note",
            &noted,
        ],
        None,
    );
    salonbox(&["checkout", "--customer", "13900000001", "--service", "修眉造型", "--pay", "cash=100", "--print"], None);
    salonbox(&["feedback", "add", "--customer", "13900000001", "--rating", "1", "--comment", &noted], None);
    // an import whose 备注 and 身份证 columns hold numbers (the file is the test's, elsewhere)
    let input = tempfile::tempdir().unwrap();
    let csv = input.path().join("顾客.csv");
    std::fs::write(&csv, format!("姓名,手机,身份证号,备注\n钱多,13900000002,,身份证{id}\n")).unwrap();
    salonbox(&["import", "customers", csv.to_str().unwrap()], None);
    // the kiosk's registration and a change pulled from the cloud, through the library
    {
        use std::sync::Arc;
        let config = salonbox::config::Config::default();
        let clock = Arc::new(salonbox::clock::FixedClock::new(chrono::Utc::now()));
        let mut app = salonbox::app::App::open(config, data, clock).unwrap();
        app.register(&salonbox::app::customers::Registration {
            name: "孙丽".into(),
            phone: "13900000003".into(),
            id_number: Some(["440306", "19850101", "1238"].concat()),
            notes: noted.clone(),
            privacy_notice: Some("2026-11".into()),
            source: "kiosk".into(),
            ..Default::default()
        })
        .unwrap();
        let c = app.customer_by_key("13900000002").unwrap();
        let patch = salonbox::store::CustomerPatch { notes: Some(noted.clone()), ..Default::default() };
        let now = app.now();
        // what a pull from the cloud writes
        salonbox::store::Store::open_in(app.data_dir(), app.tz())
            .unwrap()
            .write(|tx| tx.apply_cloud_customer(&c.id, &patch, now, now))
            .unwrap();
    }
    salonbox(&["backup"], None);
    let mut files = 0;
    let found = scan(data, &mut files);
    let report: Vec<String> = found.iter().map(|(p, at, n)| format!("{} @{at}: {n}", p.display())).collect();
    assert!(report.is_empty(), "identity-card numbers kept by the shop:\n{}", report.join("\n"));
    assert!(files >= 5, "{files} files searched");
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
