use std::process::Stdio;

use crate::common::*;

#[test]
fn backup_is_verified_and_usable() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    let to = shop.data().join("elsewhere");
    let r = shop.run(&["backup", "--to", to.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(r["integrity"], "ok");
    assert_eq!(r["customers"], 1);
    let path = std::path::PathBuf::from(r["path"].as_str().unwrap());
    assert!(path.starts_with(&to) && path.exists());
    let names: Vec<String> =
        std::fs::read_dir(&to).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 1, "one self-contained file: {names:?}");
    let c = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = c.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    let text = shop.run(&["backup"]).ok().stdout();
    assert!(text.contains("verified") && text.contains("backups"), "{text}");
    // rotation: older backups beyond --keep are removed
    for (i, now) in
        ["2026-11-24T03:30:00+08:00", "2026-11-25T03:30:00+08:00", "2026-11-26T03:30:00+08:00"].iter().enumerate()
    {
        let mut c = shop.cmd(&["backup", "--to", to.to_str().unwrap(), "--keep", "2"]);
        assert!(c.env("SALONBOX_NOW", now).status().unwrap().success(), "backup {i}");
    }
    let mut names: Vec<String> =
        std::fs::read_dir(&to).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["salonbox-20261125-033000.sqlite3", "salonbox-20261126-033000.sqlite3"]);
}

#[test]
fn demo_data_seeds_a_realistic_shop_once() {
    let shop = Shop::new();
    let out = shop.run(&["demo-data"]).ok().stdout();
    assert!(out.contains("2000"), "{out}");
    let staff: i64 = shop.sql("SELECT COUNT(*) FROM staff");
    let services: i64 = shop.sql("SELECT COUNT(*) FROM services");
    let customers: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    let visits: i64 = shop.sql("SELECT COUNT(*) FROM visits");
    let first_visit: i64 = shop.sql("SELECT MIN(at) FROM visits");
    let last_visit: i64 = shop.sql("SELECT MAX(at) FROM visits");
    assert_eq!((staff, services, customers), (8, 31, 2000));
    // the shelf an owner sets up: coupon templates (the birthday job's among them),
    // products in stock, one running low and one batch near its expiry, tagged customers
    let templates: i64 = shop.sql(
        "SELECT COUNT(*) FROM coupon_templates WHERE name IN ('生日券', '节日满300减50', '老客回馈券', '新品体验券')",
    );
    assert_eq!(templates, 4);
    let stock = shop.run(&["stock", "list", "--json"]).ok().json();
    let rows = stock.as_array().unwrap();
    assert_eq!(rows.len(), 6);
    let by_sku = |sku: &str| rows.iter().find(|r| r["sku"] == sku).unwrap_or_else(|| panic!("{sku}: {stock}"));
    assert!(by_sku("SKU-SP03")["level"].as_i64() < by_sku("SKU-SP03")["low_stock"].as_i64(), "one runs low");
    assert_eq!(by_sku("SKU-EY04")["next_expiry"], "2026-12-13", "one batch near its expiry");
    let tagged: i64 = shop.sql("SELECT COUNT(*) FROM customers WHERE tags LIKE '%VIP%'");
    assert!(tagged > 50, "{tagged}");
    assert!(visits > 8000, "{visits} visits");
    assert!(last_visit - first_visit > 300 * 86_400_000, "a year of visits");
    // appointments seeded by the booking rules never overlap for a beautician
    let overlaps: i64 = shop.sql(
        "SELECT COUNT(*) FROM appointments a JOIN appointments b ON a.id < b.id AND a.staff_id = b.staff_id
         AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at",
    );
    assert_eq!(overlaps, 0);
    shop.run(&["demo-data"]).fails();

    // `salonbox customer list | head`: the reader goes away; the command ends quietly.
    for args in [&["customer", "list"][..], &["customer", "list", "--json"], &["report", "monthly", "--format", "csv"]]
    {
        let mut child = shop.cmd(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{args:?}: {:?}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn the_demo_command_runs_a_shop_in_a_temporary_directory() {
    let r =
        bin().args(["demo", "--customers", "50", "--headless", "--keep"]).env("SALONBOX_NOW", NOW).output().unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success(), "{out}\n{}", String::from_utf8_lossy(&r.stderr));
    assert!(out.contains("W001") && out.contains("salonbox-demo-"), "{out}");
    let dir = out.lines().find_map(|l| l.split("data directory: ").nth(1)).unwrap().trim().to_string();
    assert!(std::path::Path::new(&dir).join("salonbox.sqlite3").exists());
    // the kiosk's walk-through: every screen as a PNG, the tickets as text
    let screens = std::path::Path::new(&dir).join("screens");
    let pngs = std::fs::read_dir(&screens)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png"))
        .count();
    assert!(pngs >= 6, "{pngs} screens");
    let tickets = std::fs::read_to_string(screens.join("tickets.txt")).unwrap();
    assert!(tickets.contains("W001") && tickets.contains("[cut]"), "{tickets}");
    // The daemon's jobs ran in the process, its messages logged, not sent: the staff alert
    // of each arrival, tomorrow's reminders, phone numbers masked.
    let messages = out.split("messages from the daemon").nth(1).unwrap_or_else(|| panic!("{out}"));
    assert!(messages.contains("staff group：【到店】W001"), "{messages}");
    assert!(messages.contains("提醒您") && messages.contains("****"), "{messages}");
    let db = rusqlite::Connection::open(std::path::Path::new(&dir).join("salonbox.sqlite3")).unwrap();
    let (sent, via_log): (i64, i64) = db
        .query_row(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE sent_via = 'log') FROM notification_outbox WHERE status = 'sent'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(sent >= 2 && sent == via_log, "{sent} sent, {via_log} by the log channel");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_demo_tells_the_same_story_at_any_hour_and_cleans_up() {
    let mut stories = Vec::new();
    for now in ["2026-11-23T10:00:00+08:00", "2026-11-23T23:30:00+08:00", "2026-11-24T03:00:00+08:00"] {
        let out_dir = tempfile::tempdir().unwrap();
        let r = bin()
            .args(["demo", "--customers", "50", "--headless", "--out"])
            .arg(out_dir.path())
            .env("SALONBOX_NOW", now)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&r.stdout).into_owned();
        assert!(r.status.success(), "{out}\n{}", String::from_utf8_lossy(&r.stderr));
        // someone arrives for her appointment, a regular walks in, a stranger registers
        let tickets: Vec<&str> = out.lines().filter(|l| l.contains("A00") || l.contains("W00")).collect();
        assert!(out.contains("A001") && out.contains("W001") && out.contains("W002"), "at {now}:\n{out}");
        assert!(out.contains("scripted morning") || out.contains("screens saved"), "{out}");
        // the screens stay where asked; the shop is gone
        assert!(out_dir.path().join("01-welcome.png").exists());
        let dir = out
            .lines()
            .find_map(|l| l.split("the demo shop ").nth(1))
            .and_then(|l| l.split(" is removed").next())
            .unwrap_or_else(|| panic!("{out}"));
        assert!(!std::path::Path::new(dir.trim()).exists(), "{dir} left behind");
        stories.push(tickets.len());
    }
    assert!(stories.windows(2).all(|w| w[0] == w[1]), "{stories:?}");
}

#[test]
fn the_database_its_wal_and_backups_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let shop = Shop::new();
    shop.add_customer("王芳", "13812345678");
    shop.run(&["backup"]).ok();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let backups: Vec<_> = std::fs::read_dir(shop.data().join("backups")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!backups.is_empty());
    let mut files = vec![shop.db()];
    files.extend(backups.iter().cloned());
    for side in ["salonbox.sqlite3-wal", "salonbox.sqlite3-shm"] {
        if shop.data().join(side).exists() {
            files.push(shop.data().join(side));
        }
    }
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    // an older version's world-readable files: doctor names them, and the next open tightens them
    for f in &files {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let out = shop.run(&["doctor"]).stdout();
    let line = out.lines().find(|l| l.contains("file permissions")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.starts_with("FAIL") && line.contains("salonbox.sqlite3") && line.contains("644"), "{line}");
    shop.run(&["customer", "list"]).ok();
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    let out = shop.run(&["doctor"]).stdout();
    let line = out.lines().find(|l| l.contains("file permissions")).unwrap();
    assert!(line.starts_with("OK"), "{line}");
}
