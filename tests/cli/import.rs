use crate::common::*;

fn gb18030(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

const GOOD_AND_BAD: &str = "姓名,手机号,性别,生日,会员等级,备注,消费金额\n\
王小丽,138 1234 5678,女,1990/5/2,金卡,老顾客,1200\n\
李梅,1391234567,女,,,,\n\
,13612345678,男,,,,\n\
张伟,13712345678,男,1985年13月1日,,,\n\
王小丽,13812345678,女,,,喜欢下午来,\n\
陈静,+86 135 0000 1111,女,19920315,白金卡,,\n\
刘婷,15000002222,F,1995-07-08,银卡,敏感肌,\n";

#[test]
fn gb18030_csv_with_bad_rows_imports_nothing_and_names_every_row() {
    let shop = Shop::new();
    let file = shop.data().join("顾客.csv");
    std::fs::write(&file, gb18030(GOOD_AND_BAD)).unwrap();
    let r = shop.run(&["import", "customers", file.to_str().unwrap()]).fails();
    let out = r.stdout();
    assert!(out.contains("GB18030"), "{out}");
    assert!(out.contains("消费金额"), "ignored column named: {out}");
    assert!(out.contains("row 3") && out.contains("1391234567"), "{out}");
    assert!(out.contains("row 4") && out.contains("name is empty"), "{out}");
    assert!(out.contains("row 5") && out.contains("1985年13月1日"), "{out}");
    assert!(out.contains("row 7") && out.contains("白金卡"), "{out}");
    assert!(!out.contains("row 2:") && !out.contains("row 6:") && !out.contains("row 8:"), "{out}");
    assert!(out.contains("nothing imported"), "{out}");
    let n: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(n, 0);

    let report = shop.run(&["import", "customers", file.to_str().unwrap(), "--json"]).fails().json();
    assert_eq!(report["bad"].as_array().unwrap().len(), 4);
    assert_eq!(report["imported"], false);

    // --force-partial: the good rows only; row 6 (same phone as row 2) is merged
    let report = shop.run(&["import", "customers", file.to_str().unwrap(), "--force-partial", "--json"]).ok().json();
    assert_eq!(report["created"], 2);
    assert_eq!(report["merged"], 1);
    let n: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(n, 2);
    let c = shop.run(&["customer", "show", "13812345678", "--json"]).ok().json();
    assert_eq!(c["name"], "王小丽");
    assert_eq!(c["tier"], "金卡");
    assert_eq!(c["birthday"], "1990-05-02");
    assert_eq!(c["notes"], "老顾客；喜欢下午来");
    let c = shop.run(&["customer", "show", "15000002222", "--json"]).ok().json();
    assert_eq!((c["gender"].as_str(), c["tier"].as_str()), (Some("female"), Some("银卡")));
}

#[test]
fn importing_again_merges_instead_of_doubling() {
    let shop = Shop::new();
    shop.run(&["customer", "add", "--name", "王小丽", "--phone", "13812345678"]).ok();
    let file = shop.data().join("customers.csv");
    // UTF-8 with BOM and English headers, as Excel's "CSV UTF-8" saves it
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        "Name,Mobile,Gender,Birthday,Notes\n王小丽,13812345678,female,1990-05-02,VIP\nAnna Lee,13900001111,F,,\n"
            .as_bytes(),
    );
    std::fs::write(&file, bytes).unwrap();
    let dry = shop.run(&["import", "customers", file.to_str().unwrap(), "--dry-run", "--json"]).ok().json();
    assert_eq!(
        (dry["created"].as_u64(), dry["merged"].as_u64(), dry["imported"].as_bool()),
        (Some(1), Some(1), Some(false))
    );
    let n: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(n, 1, "a dry run writes nothing");
    let out = shop.run(&["import", "customers", file.to_str().unwrap()]).ok().stdout();
    assert!(out.contains("UTF-8 (BOM)"), "{out}");
    shop.run(&["import", "customers", file.to_str().unwrap()]).ok();
    let n: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(n, 2);
    let c = shop.run(&["customer", "show", "13812345678", "--json"]).ok().json();
    assert_eq!(c["name"], "王小丽", "what the shop has is not overwritten");
    assert_eq!(c["birthday"], "1990-05-02", "blanks are filled");
    assert_eq!(c["notes"], "VIP", "notes are not repeated");
}

#[test]
fn xlsx_with_bad_rows() {
    let shop = Shop::new();
    let file = shop.data().join("会员.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let headers = ["客户姓名", "手机", "性别", "出生日期", "会员等级", "过敏史"];
    for (i, h) in headers.iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
    }
    // phone as a number, birthday as a real Excel date
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    type Row<'a> = (&'a str, f64, &'a str, Option<(u16, u8, u8)>, &'a str, &'a str);
    let rows: [Row; 4] = [
        ("王小丽", 13812345678.0, "女", Some((1990, 5, 2)), "钻石", "果酸过敏"),
        ("李梅", 12345.0, "女", None, "", ""),
        ("张伟", 13712345678.0, "未知性别", None, "", ""),
        ("赵敏", 13612345678.0, "女", Some((1988, 12, 31)), "普通", ""),
    ];
    for (r, (name, phone, gender, birth, tier, allergy)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, *name).unwrap();
        ws.write_number(r, 1, *phone).unwrap();
        ws.write_string(r, 2, *gender).unwrap();
        if let Some((y, m, d)) = birth {
            let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
            ws.write_datetime_with_format(r, 3, &dt, &date_format).unwrap();
        }
        ws.write_string(r, 4, *tier).unwrap();
        ws.write_string(r, 5, *allergy).unwrap();
    }
    wb.save(&file).unwrap();

    let r = shop.run(&["import", "customers", file.to_str().unwrap(), "--json"]).fails().json();
    let bad: Vec<(u64, String)> = r["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["row"].as_u64().unwrap(), b["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert_eq!(bad[0].0, 3);
    assert!(bad[0].1.contains("12345"), "{bad:?}");
    assert_eq!(bad[1].0, 4);
    assert!(bad[1].1.contains("未知性别"), "{bad:?}");
    let n: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(n, 0);

    shop.run(&["import", "customers", file.to_str().unwrap(), "--force-partial"]).ok();
    let c = shop.run(&["customer", "show", "13812345678", "--json"]).ok().json();
    assert_eq!(c["birthday"], "1990-05-02");
    assert_eq!(c["tier"], "钻石");
    assert_eq!(c["allergies"], "果酸过敏");
    let c = shop.run(&["customer", "show", "13612345678", "--json"]).ok().json();
    assert_eq!(c["birthday"], "1988-12-31");
}

#[test]
fn unreadable_files_are_refused_clearly() {
    let shop = Shop::new();
    let file = shop.data().join("x.csv");
    std::fs::write(&file, "电话,备注\n13812345678,x\n").unwrap();
    let r = shop.run(&["import", "customers", file.to_str().unwrap()]).fails();
    assert!(r.stderr().contains("name") && r.stderr().contains("电话, 备注"), "{}", r.stderr());
    std::fs::write(&file, [0xFFu8, 0xFE, 0xFD, 0x81, 0x30, 0x00, 0xFF]).unwrap();
    let r = shop.run(&["import", "customers", file.to_str().unwrap()]).fails();
    assert!(!r.stderr().is_empty());
    let r = shop.run(&["import", "customers", shop.data().join("missing.xlsx").to_str().unwrap()]).fails();
    assert!(r.stderr().contains("missing.xlsx"), "{}", r.stderr());
    let r = shop.run(&["import", "customers", shop.data().join("a.pdf").to_str().unwrap()]).fails();
    assert!(r.stderr().contains(".xlsx"), "{}", r.stderr());
    // A damaged workbook on which the spreadsheet reader panics (found by the import fuzz
    // target): refused with the file named, no panic on the screen, nothing imported.
    let damaged = shop.data().join("坏.xlsx");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/import/regression-calamine-shared-string-panic.xlsx"),
        &damaged,
    )
    .unwrap();
    let r = shop.run(&["import", "customers", damaged.to_str().unwrap()]).fails();
    let err = r.stderr();
    assert!(err.contains("坏.xlsx") && err.contains("the file is damaged"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(r.out.status.code(), Some(1), "{err}");
    let customers: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(customers, 0);
}

#[test]
fn id_numbers_in_a_spreadsheet_are_hashed_and_masked_never_kept() {
    let shop = Shop::new();
    // The spreadsheet is the test's input, kept outside the shop: the privacy sweep
    // (tests/zz_privacy.rs) searches everything the shop keeps.
    let input = tempfile::tempdir().unwrap();
    let file = input.path().join("ids.csv");
    std::fs::write(
        &file,
        "姓名,手机,身份证号\n赵敏,13700001234,11010519491231002X\n钱多,13700005678,110105194912310021\n赵敏,13799998888,11010519491231002x\n",
    )
    .unwrap();
    let r = shop.run(&["import", "customers", file.to_str().unwrap()]).fails();
    let out = r.stdout();
    assert!(out.contains("row 3") && out.contains("check digit"), "{out}");
    assert!(!out.contains("110105194912310021") && !out.contains("19491231"), "the number is never echoed: {out}");
    // row 4 is the same card under another phone: not merged silently, both rows named
    assert!(
        out.contains("row 4") && out.contains("第 2 行") && out.contains("same identity card, another phone"),
        "{out}"
    );
    let report = shop.run(&["import", "customers", file.to_str().unwrap(), "--force-partial", "--json"]).ok().json();
    assert_eq!((report["created"].as_u64(), report["merged"].as_u64()), (Some(1), Some(0)));
    let c = shop.run(&["customer", "show", "13700001234", "--json"]).ok().json();
    assert_eq!(c["id_card_masked"], "110105********002X");
    let raw = std::fs::read(shop.db()).unwrap();
    assert!(!raw.windows(18).any(|w| w.eq_ignore_ascii_case(b"11010519491231002X")));
    let wal = std::fs::read(shop.data().join("salonbox.sqlite3-wal")).unwrap_or_default();
    assert!(!wal.windows(18).any(|w| w.eq_ignore_ascii_case(b"11010519491231002X")));
}

#[test]
fn rows_that_disagree_are_refused_naming_both_never_merged() {
    let shop = Shop::new();
    shop.run(&["customer", "add", "--name", "王芳", "--phone", "13800000001", "--birthday", "1990-01-01"]).ok();
    shop.run(&["customer", "add", "--name", "周丽", "--phone", "13800000005", "--birthday", "1980-01-01"]).ok();
    shop.run(&["customer", "add", "--name", "吴倩", "--phone", "13800000007"]).ok();
    let input = tempfile::tempdir().unwrap();
    let file = input.path().join("顾客.csv");
    std::fs::write(
        &file,
        "姓名,手机,性别,生日\n\
         李娜,13900000002,女,1991-02-03\n\
         张敏,13900000002,女,1992-03-04\n\
         李娜,13900000002,,1991-02-03\n\
         陈静,13800000001,女,\n\
         周丽,13800000005,女,1985-05-05\n\
         吴倩,13800000007,女,1993-01-01\n",
    )
    .unwrap();
    let r = shop.run(&["import", "customers", file.to_str().unwrap(), "--json"]).fails().json();
    let bad: Vec<(u64, String)> = r["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["row"].as_u64().unwrap(), b["reason"].as_str().unwrap().to_string()))
        .collect();
    let rows: Vec<u64> = bad.iter().map(|b| b.0).collect();
    // row 3: another person under row 2's phone; row 5: another name than the customer on
    // file; row 6: another birthday. Rows 4 and 7 agree (blanks agree with anything).
    assert_eq!(rows, [3, 5, 6], "{bad:?}");
    assert!(bad[0].1.contains("第 2 行") && bad[0].1.contains("李娜") && bad[0].1.contains("张敏"), "{bad:?}");
    assert!(bad[1].1.contains("王芳（M100001）") && bad[1].1.contains("陈静"), "{bad:?}");
    assert!(bad[2].1.contains("1980-01-01") && bad[2].1.contains("1985-05-05"), "{bad:?}");
    assert_eq!(r["imported"], false);
    let n: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(n, 3, "nothing written");
    let r = shop.run(&["import", "customers", file.to_str().unwrap(), "--force-partial", "--json"]).ok().json();
    assert_eq!((r["created"].as_u64(), r["merged"].as_u64()), (Some(1), Some(2)));
    let c = shop.run(&["customer", "show", "13900000002", "--json"]).ok().json();
    assert_eq!((c["name"].as_str(), c["birthday"].as_str()), (Some("李娜"), Some("1991-02-03")));
    let c = shop.run(&["customer", "show", "13800000001", "--json"]).ok().json();
    assert_eq!(c["name"], "王芳");
    let c = shop.run(&["customer", "show", "13800000005", "--json"]).ok().json();
    assert_eq!(c["birthday"], "1980-01-01", "what the shop has is not overwritten");
    let c = shop.run(&["customer", "show", "13800000007", "--json"]).ok().json();
    assert_eq!(c["birthday"], "1993-01-01", "blanks are filled");
}

#[test]
fn future_birthdays_runaway_cells_and_huge_files_are_refused() {
    let shop = Shop::new();
    let input = tempfile::tempdir().unwrap();
    let file = input.path().join("顾客.csv");
    let huge_note = "很".repeat(5_000);
    std::fs::write(
        &file,
        format!("姓名,手机,生日,备注\n李娜,13900000002,2027-01-01,\n张敏,13900000003,,{huge_note}\n王芳,13900000004,1990-01-01,好\n"),
    )
    .unwrap();
    let r = shop.run(&["import", "customers", file.to_str().unwrap(), "--json"]).fails().json();
    let bad = r["bad"].as_array().unwrap();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert_eq!(bad[0]["row"], 2);
    assert!(bad[0]["reason"].as_str().unwrap().contains("2027-01-01"), "{bad:?}");
    assert_eq!(bad[1]["row"], 3);
    let reason = bad[1]["reason"].as_str().unwrap();
    assert!(reason.contains("备注") && reason.contains("5000") && reason.len() < 300, "{reason}");
    // the command line refuses the same
    let r =
        shop.run(&["customer", "add", "--name", "赵敏", "--phone", "13900000005", "--birthday", "2099-01-01"]).fails();
    assert!(r.stderr().contains("2099-01-01"), "{}", r.stderr());
    // a file over the limit is refused before it is read
    let big = input.path().join("big.csv");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(salonbox::app::import::MAX_FILE_BYTES + 1).unwrap();
    let r = shop.run(&["import", "customers", big.to_str().unwrap()]).fails();
    assert!(r.stderr().contains("big.csv") && r.stderr().contains("split"), "{}", r.stderr());
    let n: i64 = shop.sql("SELECT COUNT(*) FROM customers");
    assert_eq!(n, 0);
}

#[test]
fn an_identity_card_number_in_a_note_is_stored_masked() {
    let shop = Shop::new();
    // the input is the test's, outside the shop the privacy sweep searches
    let input = tempfile::tempdir().unwrap();
    let file = input.path().join("顾客.csv");
    std::fs::write(
        &file,
        "姓名,手机,备注,过敏\n王芳,13900000002,身份证110101199003150126,对果酸过敏 11010519491231002X\n",
    )
    .unwrap();
    shop.run(&["import", "customers", file.to_str().unwrap()]).ok();
    let c = shop.run(&["customer", "show", "13900000002", "--json"]).ok().json();
    assert_eq!(c["notes"], "身份证110101********0126");
    assert_eq!(c["allergies"], "对果酸过敏 110105********002X");
    // typed at the command line too (run without the shop's cli.log, which would keep the
    // command line itself: the privacy sweep searches it)
    let unlogged = |args: &[&str]| {
        let out = shop.cmd(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    unlogged(&["customer", "edit", "13900000002", "--notes", "证件 110101199003150126 已核对"]);
    let c = shop.run(&["customer", "show", "13900000002", "--json"]).ok().json();
    assert_eq!(c["notes"], "证件 110101********0126 已核对");
    unlogged(&["customer", "note", "13900000002", "来电核对身份证 110101199003150126"]);
    let out = shop.run(&["customer", "notes", "13900000002"]).ok().stdout();
    assert!(out.contains("110101********0126") && !out.contains("110101199003150126"), "{out}");
    // nowhere in the database, its WAL or the sync queue
    for f in [shop.db(), shop.data().join("salonbox.sqlite3-wal")] {
        let raw = std::fs::read(&f).unwrap_or_default();
        for id in [&b"110101199003150126"[..], b"11010519491231002X"] {
            assert!(!raw.windows(18).any(|w| w.eq_ignore_ascii_case(id)), "{} holds it", f.display());
        }
    }
}
