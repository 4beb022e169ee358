use crate::common::*;

#[test]
fn add_list_find_show_edit() {
    let shop = Shop::new();
    shop.sync_on();
    let c = shop.add_customer("王小丽", "+86 138-1234-5678");
    assert_eq!(c["phone"], "13812345678");
    assert_eq!(c["member_code"], "M100001");
    shop.add_customer("欧阳娜娜", "13900001111");

    let list = shop.run(&["customer", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let text = shop.run(&["customer", "list"]).ok().stdout();
    assert!(text.contains("王小丽") && text.contains("欧阳娜娜"), "{text}");

    let found = shop.run(&["customer", "find", "欧阳", "--json"]).ok().json();
    assert_eq!(found[0]["name"], "欧阳娜娜");
    let found = shop.run(&["customer", "find", "138 1234 5678", "--json"]).ok().json();
    assert_eq!(found[0]["name"], "王小丽");

    // show by phone, by member code, by id
    let by_phone = shop.run(&["customer", "show", "13812345678", "--json"]).ok().json();
    let by_code = shop.run(&["customer", "show", "m100001", "--json"]).ok().json();
    let id = c["id"].as_str().unwrap();
    let by_id = shop.run(&["customer", "show", id, "--json"]).ok().json();
    assert_eq!(by_phone["id"], c["id"]);
    assert_eq!(by_code["id"], c["id"]);
    assert_eq!(by_id["visits"], 0);

    let edited = shop
        .run(&[
            "customer",
            "edit",
            "13812345678",
            "--allergies",
            "果酸过敏",
            "--birthday",
            "1990年5月2日",
            "--marketing",
            "yes",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(edited["allergies"], "果酸过敏");
    assert_eq!(edited["birthday"], "1990-05-02");
    assert_eq!(edited["marketing_consent"], true);
    let shown = shop.run(&["customer", "show", "M100001"]).ok().stdout();
    assert!(shown.contains("果酸过敏") && shown.contains("1990-05-02"), "{shown}");

    // every change is an event in the sync outbox, and an audit row
    let events: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox WHERE type = 'customer.upserted'");
    assert_eq!(events, 3);
    let seqs: i64 = shop.sql("SELECT COUNT(DISTINCT id) FROM sync_outbox");
    assert_eq!(seqs, 3);
    let audits: i64 = shop.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'customer.edit'");
    assert_eq!(audits, 1);
    let consents: i64 = shop.sql("SELECT COUNT(*) FROM consents WHERE kind = 'marketing' AND granted = 1");
    assert_eq!(consents, 1);
}

#[test]
fn bad_input_names_the_field_and_stores_nothing() {
    let shop = Shop::new();
    let r = shop.run(&["customer", "add", "--name", "王小丽", "--phone", "1381234567"]).fails();
    assert!(r.stderr().contains("phone") && r.stderr().contains("11"), "{}", r.stderr());
    let r = shop.run(&["customer", "add", "--name", "", "--phone", "13812345678"]).fails();
    assert!(r.stderr().contains("name"), "{}", r.stderr());
    let r =
        shop.run(&["customer", "add", "--name", "王", "--phone", "13812345678", "--birthday", "1990-13-01"]).fails();
    assert!(r.stderr().contains("birthday"), "{}", r.stderr());
    let n: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(n, 0);
    let e: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox");
    assert_eq!(e, 0);

    shop.add_customer("王小丽", "13812345678");
    let r = shop.run(&["customer", "add", "--name", "别人", "--phone", "138 1234 5678"]).fails();
    assert!(r.stderr().contains("138****5678") && r.stderr().contains("already exists"), "{}", r.stderr());
    shop.add_customer("李梅", "13912345678");
    let r = shop.run(&["customer", "edit", "13912345678", "--phone", "13812345678"]).fails();
    assert!(r.stderr().contains("already exists"), "{}", r.stderr());
    let r = shop.run(&["customer", "edit", "13912345678"]).fails();
    assert!(r.stderr().contains("nothing to change"), "{}", r.stderr());
    let r = shop.run(&["customer", "edit", "13912345678", "--marketing", "maybe"]).fails();
    assert!(r.stderr().contains("yes or no"), "{}", r.stderr());
    let r = shop.run(&["customer", "show", "13999999999"]).fails();
    assert!(r.stderr().contains("no such customer"), "{}", r.stderr());
}

#[test]
fn id_card_numbers_are_never_stored_in_the_clear() {
    let shop = Shop::new();
    let number = "11010519491231002X";
    let c = shop
        .run_stdin(
            &["customer", "add", "--name", "赵敏", "--phone", "13700001234", "--id-card-stdin", "--json"],
            &format!("{number}\n"),
        )
        .ok()
        .json();
    assert_eq!(c["id_card_masked"], "110105********002X");
    // birth date and sex come from the card
    assert_eq!(c["birthday"], "1949-12-31");
    assert_eq!(c["gender"], "female");
    // check in with the card
    shop.run(&["service", "add", "--name", "修眉", "--minutes", "20", "--price", "48"]).ok();
    let o = shop.run_stdin(&["checkin", "--id-card-stdin", "--service", "修眉", "--json"], number).ok();
    assert_eq!(o.json()["greeting"], "赵女士");
    assert!(!o.stdout().contains(number) && !o.stdout().contains("19491231"));
    // a wrong check digit is refused
    let r = shop.run_stdin(&["checkin", "--id-card-stdin"], "110105194912310021").fails();
    assert!(r.stderr().contains("check digit"), "{}", r.stderr());
    // nowhere in the database files
    let _ = shop.run(&["backup"]).ok();
    for entry in walk(shop.data()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(!contains(&bytes, number.as_bytes()), "{} holds the number", entry.display());
        assert!(!contains(&bytes, b"19491231002"), "{} holds the number", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn delete_asks_for_confirmation_then_scrubs_the_customer() {
    let shop = Shop::new();
    shop.add_customer("王小丽", "13812345678");
    let r = shop.run(&["customer", "delete", "13812345678"]).fails();
    assert!(r.stdout().contains("--yes") && r.stdout().contains("王小丽"), "{}", r.stdout());
    assert_eq!(shop.sql::<i64>("SELECT COUNT(*) FROM customers WHERE deleted_at IS NULL"), 1, "nothing deleted yet");
    let r = shop.run(&["customer", "delete", "13812345678", "--yes"]).ok();
    assert!(r.stdout().contains("已删除 王小丽"), "{}", r.stdout());
    assert_eq!(shop.sql::<i64>("SELECT COUNT(*) FROM customers WHERE phone IS NOT NULL"), 0);
    shop.run(&["customer", "show", "13812345678"]).fails();
    let r = shop.run(&["customer", "delete", "13812345678", "--yes"]).fails();
    assert!(r.stderr().contains("13812345678"), "{}", r.stderr());
}

#[test]
fn ratings_and_the_interaction_record_from_the_command_line() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    shop.run(&["checkout", "--customer", "13812345678", "--service", "修眉造型@李娜", "--pay", "现金=48.5"]).ok();
    let r = shop.run(&["feedback", "add", "--customer", "13812345678", "--rating", "1", "--comment", "修歪了"]).ok();
    assert!(r.stdout().contains("已通知店长"), "{}", r.stdout());
    let list = shop.run(&["feedback", "list", "--json"]).ok().json();
    assert_eq!((list[0]["rating"].as_i64(), list[0]["comment"].as_str()), (Some(1), Some("修歪了")));
    let r = shop.run(&["feedback", "add", "--customer", "13812345678", "--rating", "7"]).fails();
    assert!(r.stderr().contains("1–5") || r.stderr().contains("1 and 5"), "{}", r.stderr());
    shop.run(&["customer", "note", "13812345678", "回访：已道歉并约下次免费修眉", "--kind", "call"]).ok();
    let notes = shop.run(&["customer", "notes", "13812345678", "--json"]).ok().json();
    assert_eq!(notes[0]["kind"], "call");
    assert_eq!(notes[1]["kind"], "feedback");
    let r = shop.run(&["customer", "note", "13812345678", "x", "--kind", "party"]).fails();
    assert!(r.stderr().contains("--kind"), "{}", r.stderr());
}

#[test]
fn after_a_deletion_no_file_of_the_shop_holds_her_name_phone_or_allergies() {
    // With cloud sync off (nothing queued) and on (her snapshots queued, never delivered).
    for sync in [false, true] {
        deletion_leaves_nothing_of_her(sync);
    }
}

fn deletion_leaves_nothing_of_her(sync: bool) {
    let shop = Shop::small();
    if sync {
        shop.sync_on();
    }
    // driven without the shop's cli.log (it would keep the command lines, her name in them)
    let run = |args: &[&str]| {
        let out = shop.cmd(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let (name, phone, allergy, note) = ("欧阳娜娜", "13912340000", "对芒果过敏", "她怕痛请轻柔");
    run(&["customer", "add", "--name", name, "--phone", phone, "--allergies", allergy, "--notes", "常客"]);
    run(&["customer", "edit", phone, "--skin-type", "敏感肌"]);
    run(&[
        "appointment",
        "book",
        "--customer",
        phone,
        "--service",
        "修眉造型",
        "--at",
        "2026-11-24 15:00",
        "--note",
        note,
    ]);
    run(&["customer", "note", phone, "来电改期"]);
    if sync {
        let queued: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox WHERE type = 'customer.upserted'");
        assert!(queued >= 2, "her snapshots wait for the cloud: {queued}");
    } else {
        let queued: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox");
        assert_eq!(queued, 0, "sync off: nothing queued");
    }
    run(&["customer", "delete", phone, "--yes"]);
    if sync {
        let left: Vec<String> = {
            let db = rusqlite::Connection::open(shop.db()).unwrap();
            let mut st = db.prepare("SELECT type FROM sync_outbox WHERE payload LIKE '%' || ?1 || '%'").unwrap();
            st.query_map([shop.sql::<String>("SELECT id FROM customers WHERE deleted_at IS NOT NULL")], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert!(left.contains(&"customer.deleted".to_string()), "{left:?}");
        assert!(!left.contains(&"customer.upserted".to_string()), "{left:?}");
    }
    let mut files = walk(shop.data());
    files.retain(|f| !f.ends_with("cli.log"));
    assert!(files.iter().any(|f| f.ends_with("salonbox.sqlite3")));
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for what in [name, phone, allergy, note] {
            assert!(!contains(&bytes, what.as_bytes()), "{} still holds {what}", f.display());
        }
    }
}
