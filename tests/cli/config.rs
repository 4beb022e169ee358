use crate::common::*;

#[test]
fn init_works_without_a_config_and_keeps_the_key() {
    let shop = Shop::new();
    let key = shop.data().join("device.key");
    let first = std::fs::read(&key).unwrap();
    assert_eq!(first.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = shop.run(&["init"]).ok();
    assert!(again.stdout().contains("device key kept"), "{}", again.stdout());
    assert_eq!(std::fs::read(&key).unwrap(), first);
    let v: i64 = shop.sql("SELECT MAX(version) FROM schema_migrations");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/migrations")).unwrap().count();
    assert_eq!(v, files as i64, "every migration applied");
    let mode: String = shop.sql("PRAGMA journal_mode");
    assert_eq!(mode, "wal");
}

#[test]
fn commands_refuse_an_uninitialised_directory() {
    let dir = crate::artefacts::tempdir();
    let r = bin().arg("--data-dir").arg(dir.path().join("nowhere")).args(["customer", "list"]).output().unwrap();
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("salonbox init"), "{err}");
}

#[test]
fn a_bad_config_names_file_line_and_key() {
    let dir = crate::artefacts::tempdir();
    let cfg = dir.path().join("salonbox.toml");
    std::fs::write(&cfg, "[shop]\nname = \"悦颜\"\ntime_zone = \"Asia/Shanghai\"\nopening_hour = \"10:00\"\n").unwrap();
    let r = bin().arg("--config").arg(&cfg).arg("--data-dir").arg(dir.path()).arg("init").output().unwrap();
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains(&cfg.display().to_string()), "{err}");
    assert!(err.contains("line 4") && err.contains("shop.opening_hour"), "{err}");
    assert!(!dir.path().join("salonbox.sqlite3").exists(), "nothing is created from a bad config");

    std::fs::write(&cfg, "[hardware]\nmode = \"virtual\"\n").unwrap();
    let r = bin().env("SALONBOX_CONFIG", &cfg).arg("--data-dir").arg(dir.path()).arg("init").output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        !r.status.success() && err.contains("line 2") && err.contains("hardware.mode") && err.contains("virtual"),
        "{err}"
    );
}

#[test]
fn config_sets_data_dir_time_zone_and_hours() {
    let dir = crate::artefacts::tempdir();
    let data = dir.path().join("data");
    let cfg = dir.path().join("salonbox.toml");
    std::fs::write(
        &cfg,
        format!(
            "[shop]\nname = \"悦颜\"\ndata_dir = \"{}\"\ntime_zone = \"Asia/Shanghai\"\n[shop.opening_hours]\nmon = \"closed\"\n",
            data.display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| bin().arg("--config").arg(&cfg).env("SALONBOX_NOW", NOW).args(args).output().unwrap();
    assert!(run(&["init"]).status.success());
    assert!(data.join("salonbox.sqlite3").exists());
    assert!(run(&["service", "add", "--name", "修眉", "--minutes", "20", "--price", "48"]).status.success());
    assert!(run(&["customer", "add", "--name", "王小丽", "--phone", "13812345678"]).status.success());
    // Monday is closed in this shop
    let r = run(&["appointment", "book", "--customer", "13812345678", "--service", "修眉", "--at", "2026-11-30 11:00"]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("closed"));
    let r = run(&["appointment", "book", "--customer", "13812345678", "--service", "修眉", "--at", "2026-11-24 11:00"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
}

#[test]
fn a_missing_config_file_is_named_and_data_dir_overrides_the_file() {
    let dir = crate::artefacts::tempdir();
    let missing = dir.path().join("nope.toml");
    let r = bin().arg("--config").arg(&missing).arg("--data-dir").arg(dir.path()).arg("init").output().unwrap();
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("nope.toml") && err.contains("cannot read"), "{err}");

    let cfg = dir.path().join("salonbox.toml");
    std::fs::write(&cfg, format!("[shop]\ndata_dir = \"{}\"\n", dir.path().join("from-file").display())).unwrap();
    let over = dir.path().join("from-flag");
    let r = bin().arg("--config").arg(&cfg).arg("--data-dir").arg(&over).arg("init").output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(over.join("salonbox.sqlite3").exists());
    assert!(!dir.path().join("from-file").exists());
}

/// What a database file holds, with its WAL: the bytes that must not change.
fn db_bytes(shop: &Shop) -> (Vec<u8>, Vec<u8>) {
    let wal = std::fs::read(shop.data().join("salonbox.sqlite3-wal")).unwrap_or_default();
    (std::fs::read(shop.db()).unwrap(), wal)
}

#[test]
fn a_newer_schema_or_a_corrupt_config_is_refused_and_nothing_is_written() {
    let shop = Shop::new();
    shop.add_customer("王芳", "13800138000");
    // A later salonbox migrated this database (version 99), then the shop went back to us.
    {
        let conn = rusqlite::Connection::open(shop.db()).unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (99, '0099_future.sql', 'x', 0)", []).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    }
    let before = db_bytes(&shop);
    for args in [
        &["init"][..],
        &["customer", "add", "--name", "李娜", "--phone", "13900139000"],
        &["checkin", "--phone", "13800138000", "--service", "修眉"],
        &["customer", "list"],
        &["backup"],
    ] {
        let r = shop.run(args).fails();
        let err = r.stderr();
        assert!(err.contains("newer than this program knows") && err.contains("99"), "{args:?}: {err}");
    }
    assert!(db_bytes(&shop) == before, "a refused open wrote to the database");

    // A configuration file broken after the shop was set up: refused with its line, and
    // the database is left as it was.
    let cfg = shop.data().join("broken.toml");
    std::fs::write(&cfg, "[shop]\nname = \"悦颜\"\n[hardware\nmode = \"real\"\n").unwrap();
    let r =
        bin().arg("--config").arg(&cfg).arg("--data-dir").arg(shop.data()).args(["customer", "list"]).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success() && err.contains("broken.toml") && err.contains("line 3"), "{err}");
    assert!(db_bytes(&shop) == before);
}

#[test]
fn a_command_line_mistake_is_explained_in_chinese_first() {
    let shop = Shop::new();
    let cases: [(&[&str], &str, &str); 4] = [
        (&["customer", "list", "--bogus"], "不认识的参数 --bogus", "unexpected argument '--bogus'"),
        (&["custmer"], "没有这个命令：custmer", "unrecognized subcommand 'custmer'"),
        (&["customer", "list", "--limit", "abc"], "的值“abc”无效", "invalid value 'abc'"),
        (&["checkin", "--phone", "1", "--member-code", "2"], "不能与 --member-code", "cannot be used with"),
    ];
    for (args, zh, en) in cases {
        let out = shop.cmd(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert!(first.starts_with("命令行有误：") && first.contains(zh), "{args:?}: {err}");
        assert!(err.contains(en), "{args:?}: {err}");
    }
    // help and version are not mistakes
    let help = shop.cmd(&["--help"]).output().expect("run");
    assert!(help.status.success() && !String::from_utf8_lossy(&help.stdout).contains("命令行有误"));
}
