//! `salonbox restore`: a backup comes back, checked first, and the database it replaces is
//! kept; bad backups and another shop's device key are refused with nothing changed.

use std::path::{Path, PathBuf};

use crate::common::*;

fn backup(shop: &Shop) -> PathBuf {
    let r = shop.run(&["backup", "--json"]).ok().json();
    PathBuf::from(r["path"].as_str().expect("backup path"))
}

fn count(db: &Path, query: &str) -> i64 {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    c.query_row(query, [], |r| r.get(0)).expect(query)
}

/// Each file of the data directory with its length and a hash of its bytes, to show a
/// refusal wrote nothing. Not the logs, and not `service.lock` (empty: the lock a restore
/// takes against running services).
fn files(shop: &Shop) -> Vec<(String, usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut out: Vec<(String, usize, u64)> = std::fs::read_dir(shop.data())
        .expect("data dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".log") && n != "service.lock")
        .map(|n| {
            let bytes = std::fs::read(shop.data().join(&n)).expect("read");
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            (n, bytes.len(), h.finish())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_backup_comes_back_and_the_database_it_replaces_is_kept() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    let saved = backup(&shop);
    shop.add_customer("欧阳娜娜", "13900001111");
    shop.run(&["checkin", "--phone", "13900001111", "--service", "修眉造型"]).ok();

    let r = shop.run(&["restore", saved.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(r["customers"], 1);
    assert_eq!(r["key"], "same");
    assert_eq!(r["previous_broken"], false);
    assert_eq!(r["schema_version"], r["backup_schema"]);
    let previous = PathBuf::from(r["previous"].as_str().unwrap());
    assert!(previous.starts_with(shop.data().join("backups")), "{previous:?}");
    // the replaced database, whole: both customers and the check-in
    assert_eq!(count(&previous, "SELECT COUNT(*) FROM customers"), 2);
    assert_eq!(count(&previous, "SELECT COUNT(*) FROM queue_entries"), 1);

    // the shop as it was at the backup
    let list = shop.run(&["customer", "list", "--json"]).ok().json();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["王小丽"]);
    shop.run(&["customer", "show", "13900001111"]).fails();
    let mode: String = shop.sql("PRAGMA journal_mode");
    assert_eq!(mode, "wal");
    // it keeps working: a new customer gets the next member code after the backup's
    let c = shop.add_customer("李娜", "13700002222");
    assert_eq!(c["member_code"], "M100002");
    // nothing of the restore's own work is left beside the database
    let leftovers: Vec<String> = std::fs::read_dir(shop.data())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".restore"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // the replaced database can itself be restored (undo), and the nightly rotation never
    // counts it among the backups it prunes
    let text = shop.run(&["restore", previous.to_str().unwrap()]).ok().stdout();
    assert!(text.contains("restored from the backup") && text.contains("systemctl start"), "{text}");
    assert_eq!(shop.sql::<i64>("SELECT COUNT(*) FROM customers"), 2);
    // within the same second: the first kept database is not written over
    assert_eq!(count(&previous, "SELECT COUNT(*) FROM customers"), 2);
    let kept: Vec<String> = std::fs::read_dir(shop.data().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("before-restore-"))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    shop.run(&["backup", "--keep", "1"]).ok();
    assert!(previous.exists());
}

#[test]
fn what_is_not_a_usable_backup_is_refused_and_nothing_changes() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    let good = backup(&shop);
    let outside = tempfile::tempdir().unwrap();
    let before = files(&shop);

    let missing = outside.path().join("nope.sqlite3");
    let text = outside.path().join("notes.sqlite3");
    std::fs::write(&text, "这不是数据库 / not a database\n".repeat(200)).unwrap();
    let foreign = outside.path().join("other-app.sqlite3");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    // a copy of the good backup with one statement run on it
    let altered = |name: &str, sql: &str| {
        let path = outside.path().join(name);
        std::fs::copy(&good, &path).unwrap();
        rusqlite::Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        path
    };
    let newer = altered("newer.sqlite3", "INSERT INTO schema_migrations VALUES (99, 'future', 'x', 0)");
    let edited = altered("edited.sqlite3", "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 2");
    // a torn copy: the second half of the file is gone
    let torn = outside.path().join("torn.sqlite3");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&torn, &bytes[..bytes.len() / 2]).unwrap();

    let cases: [(&Path, &str); 7] = [
        (&missing, "no such file"),
        (&text, "not a SQLite database"),
        (&foreign, "not a salonbox database"),
        (&newer, "schema 99 is newer"),
        (&edited, "migration 2 differs"),
        (&torn, "is not a usable salonbox backup"),
        (&shop.db(), "this is the live database"),
    ];
    for (path, why) in cases {
        let err = shop.run(&["restore", path.to_str().unwrap()]).fails().stderr();
        assert!(err.contains(why), "{path:?}: {err}");
        assert!(err.contains(&path.display().to_string()), "names the file: {err}");
        assert_eq!(files(&shop), before, "{path:?} changed the data directory");
    }
    let kept: Vec<_> = std::fs::read_dir(shop.data().join("backups")).unwrap().collect();
    assert_eq!(kept.len(), 1, "no before-restore copy for a refused restore");
    assert_eq!(shop.sql::<i64>("SELECT COUNT(*) FROM customers"), 1);
}

#[test]
fn a_restore_waits_for_no_running_service() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    let saved = backup(&shop);
    // A kiosk or daemon holds the service lock, shared, while it runs.
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(shop.data().join("service.lock"))
        .unwrap();
    lock.lock_shared().unwrap();
    let before = files(&shop);
    let err = shop.run(&["restore", saved.to_str().unwrap()]).fails().stderr();
    assert!(err.contains("stop them first") && err.contains("systemctl stop"), "{err}");
    assert_eq!(files(&shop), before);
    drop(lock);
    shop.run(&["restore", saved.to_str().unwrap()]).ok();
}

#[test]
fn another_shops_backup_needs_its_device_key() {
    let number = "11010519491231002X";
    let old = Shop::small();
    old.run_stdin(&["customer", "add", "--name", "赵敏", "--phone", "13700001234", "--id-card-stdin"], number).ok();
    let saved = backup(&old);

    // a new Pi: initialised, so it has a key of its own
    let new = Shop::small();
    let before = files(&new);
    let err = new.run(&["restore", saved.to_str().unwrap()]).fails().stderr();
    assert!(err.contains("another device key") && err.contains("device.key"), "{err}");
    assert_eq!(files(&new), before);

    // with --ignore-key it comes back, but the ID card no longer finds her
    let r = new.run(&["restore", saved.to_str().unwrap(), "--ignore-key", "--json"]).ok().json();
    assert_eq!(r["key"], "different");
    let err = new.run_stdin(&["checkin", "--id-card-stdin", "--service", "修眉造型"], number).fails().stderr();
    assert!(err.contains("no customer found"), "{err}");

    // with the old shop's key copied over, the card works again
    std::fs::copy(old.data().join("device.key"), new.data().join("device.key")).unwrap();
    let r = new.run(&["restore", saved.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(r["key"], "same");
    let o = new.run_stdin(&["checkin", "--id-card-stdin", "--service", "修眉造型", "--json"], number).ok().json();
    assert_eq!(o["greeting"], "赵女士");
}

#[test]
fn a_database_that_will_not_open_is_moved_aside_whole() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    let saved = backup(&shop);
    let garbage = b"SQLite format 3\0 but the rest was eaten by a bad SD card".repeat(100);
    std::fs::write(shop.db(), &garbage).unwrap();
    shop.run(&["customer", "list"]).fails();

    let r = shop.run(&["restore", saved.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(r["previous_broken"], true);
    let previous = PathBuf::from(r["previous"].as_str().unwrap());
    assert_eq!(std::fs::read(&previous).unwrap(), garbage, "moved aside as it was");
    let list = shop.run(&["customer", "list", "--json"]).ok().json();
    assert_eq!(list[0]["name"], "王小丽");
    assert_eq!(shop.sql::<String>("PRAGMA integrity_check"), "ok");
}

#[test]
fn without_a_file_restore_lists_the_backups_and_what_each_holds() {
    let shop = Shop::small();
    let empty = shop.run(&["restore"]).ok().stdout();
    assert!(empty.contains("no backups"), "{empty}");
    shop.add_customer("王小丽", "13812345678");
    let first = backup(&shop);
    let mut c = shop.cmd(&["backup"]);
    assert!(c.env("SALONBOX_NOW", "2026-11-24T03:15:00+08:00").status().unwrap().success());
    // a damaged copy among them
    let torn = shop.data().join("backups/salonbox-20261120-031500.sqlite3");
    let bytes = std::fs::read(&first).unwrap();
    std::fs::write(&torn, &bytes[..bytes.len() / 3]).unwrap();

    let list = shop.run(&["restore", "--json"]).ok().json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    let names: Vec<&str> = list.iter().map(|b| b["path"].as_str().unwrap().rsplit('/').next().unwrap()).collect();
    assert_eq!(
        names,
        ["salonbox-20261124-031500.sqlite3", "salonbox-20261123-100000.sqlite3", "salonbox-20261120-031500.sqlite3"],
        "newest first"
    );
    assert_eq!(list[0]["customers"], 1);
    assert!(list[0]["problem"].is_null());
    assert!(list[2]["customers"].is_null());
    let problem = list[2]["problem"].as_str().unwrap();
    assert!(!problem.is_empty() && !problem.contains("backups/"), "the reason alone: {problem}");
    let text = shop.run(&["restore"]).ok().stdout();
    assert!(
        text.contains("2026-11-24 03:15") && text.contains("可用 / usable") && text.contains("salonbox restore FILE"),
        "{text}"
    );
}
