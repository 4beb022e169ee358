//! `salonbox doctor`, `salonbox device …` and `--print`, with the simulated printer and
//! buzzer, and the real serial driver against a fake reader on a pseudo-terminal.

#[path = "../support/fake_sam.rs"]
mod fake_sam;

use super::common::{Shop, bin};

#[test]
fn doctor_says_what_to_do_before_and_after_init() {
    let dir = crate::artefacts::tempdir();
    let r = bin().arg("--data-dir").arg(dir.path()).arg("doctor").output().unwrap();
    assert!(!r.status.success());
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("FAIL") && out.contains("salonbox --data-dir") && out.contains("init"), "{out}");
    let shop = Shop::new();
    let out = shop.run(&["doctor"]).ok().stdout();
    assert!(out.lines().all(|l| l.starts_with("OK")), "{out}");
    let v = salonbox::store::Store::known_schema_version();
    assert!(out.contains(&format!("schema {v}/{v}")), "{out}");
    assert!(out.contains("the daily totals match the rows"), "the ledgers checked: {out}");
    let j = shop.run(&["doctor", "--json"]).ok().json();
    assert!(j.as_array().unwrap().iter().all(|c| c["ok"] == true));

    // Backups: none is fine only while the shop has no customers; then the newest must be
    // from within 36 hours (the daemon makes one every night).
    let backup_check = |shop: &Shop| {
        let j = shop.run(&["doctor", "--json"]).json();
        j.as_array().unwrap().iter().find(|c| c["name"] == "备份 backups").cloned().expect("a backup check")
    };
    shop.add_customer("王小丽", "13812345678");
    let c = backup_check(&shop);
    assert_eq!(c["ok"], false, "{c}");
    assert!(c["hint"].as_str().unwrap().contains("salonbox backup"), "{c}");
    shop.run(&["doctor"]).fails();
    shop.run(&["backup"]).ok();
    let c = backup_check(&shop);
    assert_eq!(c["ok"], true, "{c}");
    assert!(c["detail"].as_str().unwrap().contains("2026-11-23 10:00"), "{c}");
    // two days later, with no backup since
    let mut shop = shop;
    shop.now = "2026-11-25T10:00:00+08:00".into();
    let c = backup_check(&shop);
    assert_eq!(c["ok"], false, "{c}");
    assert!(c["detail"].as_str().unwrap().contains("48 h ago"), "{c}");
}

/// A configuration with real hardware at paths that do not exist.
fn real_hardware(shop: &Shop, extra: &str) -> std::path::PathBuf {
    let cfg = shop.data().join("real.toml");
    let missing = shop.data().join("no-such-tty");
    std::fs::write(
        &cfg,
        format!(
            "[hardware]\nmode = \"real\"\nid_reader_port = \"{}\"\ncard_reader_port = \"{}\"\nprinter = \"file:{}\"\nbuzzer_gpio = 18\n{extra}",
            missing.display(),
            missing.display(),
            shop.data().join("no-dir/printer.bin").display()
        ),
    )
    .unwrap();
    cfg
}

#[test]
fn doctor_names_each_missing_device_with_a_hint() {
    let shop = Shop::new();
    let cfg = real_hardware(&shop, "");
    let r = shop.cmd(&["--config", cfg.to_str().unwrap(), "doctor"]).output().unwrap();
    assert!(!r.status.success());
    let out = String::from_utf8_lossy(&r.stdout);
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(fails.iter().any(|l| l.contains("身份证阅读器") && l.contains("no-such-tty")), "{out}");
    assert!(fails.iter().any(|l| l.contains("会员卡阅读器")), "{out}");
    assert!(fails.iter().any(|l| l.contains("打印机") && l.contains("printer.bin")), "{out}");
    // every failure says what to do
    assert!(out.matches("→").count() >= fails.len(), "{out}");
    assert!(out.contains("plugged in"), "{out}");
}

#[test]
fn a_test_page_and_a_ticket_print_on_the_simulated_printer() {
    let shop = Shop::small();
    shop.add_customer("王芳", "13812345678");
    let out = shop.run(&["device", "print-test"]).ok().stdout();
    assert!(out.contains("printer-sim.txt"), "{out}");
    let r = shop.run(&["checkin", "--phone", "13812345678", "--service", "修眉造型", "--print"]).ok();
    assert!(r.stdout().contains("W001"), "{}", r.stdout());
    let paper = std::fs::read_to_string(shop.data().join("printer-sim.txt")).unwrap();
    assert!(
        paper.contains("打印测试")
            && paper.contains("W001")
            && paper.contains("修眉造型")
            && paper.contains("[QR SALONBOX:Q:"),
        "{paper}"
    );
    assert_eq!(paper.matches("[cut]").count(), 2, "{paper}");
    let jobs = shop.run(&["device", "print-queue", "--json"]).ok().json();
    let kinds: Vec<&str> = jobs.as_array().unwrap().iter().map(|j| j["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["test", "ticket"]);
    assert!(jobs.as_array().unwrap().iter().all(|j| j["status"] == "printed"));
}

#[test]
fn a_printer_that_cannot_be_reached_leaves_the_job_queued() {
    let shop = Shop::small();
    let cfg = real_hardware(&shop, "");
    let r = shop.cmd(&["--config", cfg.to_str().unwrap(), "device", "print-test"]).output().unwrap();
    assert!(!r.status.success());
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("printer.bin") && out.contains("stays queued"), "{out}");
    let jobs = shop.run(&["device", "print-queue", "--json"]).ok().json();
    assert_eq!(jobs[0]["status"], "pending");
    assert_eq!(jobs[0]["attempts"], 1);
}

#[test]
fn beep_patterns_and_bad_names() {
    let shop = Shop::new();
    let out = shop.run(&["device", "beep", "vip"]).ok().stdout();
    assert_eq!(out.matches("on 100 ms").count(), 3, "{out}");
    let r = shop.run(&["device", "beep", "siren"]).fails();
    assert!(r.stderr().contains("siren") && r.stderr().contains("appointment"), "{}", r.stderr());
}

#[test]
fn read_card_through_a_pty_shows_the_card_masked() {
    let shop = Shop::new();
    let link = shop.data().join("idreader");
    let _dev = fake_sam::FakeDevice::start(&link, fake_sam::card_on_reader(Default::default()));
    let r = shop.run(&["device", "read-card", "--port", link.to_str().unwrap(), "--timeout", "10", "--json"]).ok();
    let j = r.json();
    assert_eq!(j["id_masked"], "110105********002X");
    assert_eq!(j["name"], "张三");
    assert_eq!(j["valid_to"], "长期");
    assert_eq!(j["id_hash"].as_str().unwrap().len(), 64);
    assert!(!r.stdout().contains("19491231"), "the number never appears");
    let text = shop.run(&["device", "read-card", "--port", link.to_str().unwrap(), "--timeout", "10"]).ok().stdout();
    assert!(text.contains("110105********002X") && !text.contains("11010519491231002X"), "{text}");
}

#[test]
fn read_card_asks_again_after_corrupt_answers_and_says_so() {
    use salonbox::devices::sam::{Command, sim};
    let shop = Shop::new();
    let link = shop.data().join("idreader");
    let mut finds = 0;
    // more garbled answers than one command's retries: the first poll fails, the next reads
    let _dev = fake_sam::FakeDevice::start(
        &link,
        Box::new(move |c| match c {
            Command::FindCard => {
                finds += 1;
                let mut a = sim::status_answer(0x9F);
                if finds <= 8 {
                    let last = a.len() - 1;
                    a[last] ^= 0xFF;
                }
                vec![a]
            }
            Command::SelectCard => vec![sim::status_answer(0x90)],
            Command::ReadText => vec![sim::read_answer(&sim::Card::default())],
            Command::SamStatus => vec![sim::status_answer(0x90)],
        }),
    );
    let r = shop.run(&["device", "read-card", "--port", link.to_str().unwrap(), "--timeout", "10"]).ok();
    let out = r.stdout();
    assert!(out.contains("损坏") && out.contains("corrupt"), "the corrupt answers are named: {out}");
    assert!(out.contains("110105********002X"), "{out}");
    // a reader that only garbles: the failure says what happened, not "did not answer"
    let link2 = shop.data().join("idreader2");
    let _bad = fake_sam::FakeDevice::start(
        &link2,
        Box::new(|_| {
            let mut a = sim::status_answer(0x9F);
            let last = a.len() - 1;
            a[last] ^= 0xFF;
            vec![a]
        }),
    );
    let r = shop.run(&["device", "read-card", "--port", link2.to_str().unwrap(), "--timeout", "2"]).fails();
    assert!(r.stderr().contains("corrupt") && !r.stderr().contains("did not answer"), "{}", r.stderr());
}

#[test]
fn read_card_names_a_missing_port() {
    let shop = Shop::new();
    let r = shop.run(&["device", "read-card", "--port", "/dev/ttyNOPE9", "--timeout", "1"]).fails();
    assert!(r.stderr().contains("/dev/ttyNOPE9"), "{}", r.stderr());
}

#[test]
fn a_linked_member_card_checks_its_customer_in() {
    let shop = Shop::small();
    shop.add_customer("王芳", "13812345678");
    shop.add_customer("李静", "13912345678");
    let out = shop.run(&["customer", "card", "13812345678", "0a003c9b1f"]).ok().stdout();
    assert!(out.contains("0a003c9b1f") && out.contains("王芳"), "{out}");
    // one card, one customer
    let r = shop.run(&["customer", "card", "13912345678", "0A003C9B1F"]).fails();
    assert!(r.stderr().contains("0A003C9B1F"), "{}", r.stderr());
    let j = shop.run(&["checkin", "--member-code", "0A003C9B1F", "--service", "修眉造型", "--json"]).ok().json();
    assert_eq!(j["greeting"], "王女士");
    assert_eq!(j["entry"]["identified_by"], "member_code");
    shop.run(&["customer", "card", "13812345678", "0A003C9B1F", "--remove"]).ok();
    let r = shop.run(&["checkin", "--member-code", "0A003C9B1F", "--service", "修眉造型"]).fails();
    assert!(r.stderr().contains("0A003C9B1F"), "{}", r.stderr());
}

/// A unit file's `[Service]` settings with drop-ins applied as systemd applies these keys:
/// a boolean's last assignment wins, address and family lists add up.
fn effective_service(unit: &str, dropins: &[String]) -> std::collections::HashMap<String, Vec<String>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = Default::default();
    for text in std::iter::once(unit.to_string()).chain(dropins.iter().cloned()) {
        let mut service = false;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            if line.starts_with('[') {
                service = line == "[Service]";
                continue;
            }
            let Some((k, v)) = line.split_once('=') else { continue };
            if !service {
                continue;
            }
            let values = out.entry(k.to_string()).or_default();
            match k {
                "PrivateNetwork" => *values = vec![v.to_string()],
                _ => values.extend(v.split_whitespace().map(str::to_string)),
            }
        }
    }
    out
}

#[test]
fn the_kiosk_unit_admits_exactly_the_configured_network_printer() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("systemd/salonbox-kiosk.service")).unwrap();
    let dir = crate::artefacts::tempdir();
    let generate = |printer: &str| -> Vec<String> {
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!("[hardware]\nmode = \"real\"\nprinter = \"{printer}\"\nbuzzer_gpio = \"none\"\n"),
        )
        .unwrap();
        let out = dir.path().join(format!("generator-{}", printer.replace([':', '/', '.'], "_")));
        bin()
            .arg("--config")
            .arg(&config)
            .arg("systemd-generator")
            .arg(&out)
            .arg(&out)
            .arg(&out)
            .output()
            .map(|o| {
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            })
            .unwrap();
        let d = out.join("salonbox-kiosk.service.d");
        match std::fs::read_dir(&d) {
            Ok(entries) => entries.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect(),
            Err(_) => Vec::new(),
        }
    };
    // a network printer: the network, and only its address
    let dropins = generate("tcp:192.168.1.50:9100");
    assert_eq!(dropins.len(), 1, "{dropins:?}");
    let s = effective_service(&unit, &dropins);
    assert_eq!(s["PrivateNetwork"], ["no"]);
    assert!(s["RestrictAddressFamilies"].iter().any(|f| f == "AF_INET"), "{:?}", s["RestrictAddressFamilies"]);
    assert_eq!(s["IPAddressAllow"], ["192.168.1.50"]);
    assert_eq!(s["IPAddressDeny"], ["any"]);
    // a USB printer (the default): no network at all
    for local in ["usb", "serial:/dev/ttyS0@9600", "none"] {
        let dropins = generate(local);
        assert!(dropins.is_empty(), "{local}: {dropins:?}");
        let s = effective_service(&unit, &dropins);
        assert_eq!(s["PrivateNetwork"], ["yes"]);
        assert_eq!(s["RestrictAddressFamilies"], ["AF_UNIX"]);
        assert!(!s.contains_key("IPAddressAllow"));
    }
    // a printer by name cannot be admitted (doctor says to give its address: station::sandbox)
    assert!(generate("tcp:printer.local:9100").is_empty());
    // the package installs the generator, and the generator calls this command
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("[\"systemd/salonbox-generator\", \"usr/lib/systemd/system-generators/\", \"755\"]"));
    let script = std::fs::read_to_string(root.join("systemd/salonbox-generator")).unwrap();
    assert!(script.contains("/usr/bin/salonbox systemd-generator \"$@\""), "{script}");
}

/// The shop's profile set from the command line (as the back office's wizard sets it): the
/// next ticket prints the new name, a booking on the new closed day is refused, and bad
/// hours name the day.
#[test]
fn the_shops_profile_goes_on_the_ticket_and_its_hours_bind_bookings() {
    let shop = Shop::small();
    shop.add_customer("王芳", "13812345678");
    let err = shop.run(&["profile", "--hours", "10:00-21:00"]).fails().stderr();
    assert!(err.contains("7"), "{err}");
    let err = shop
        .run(&["profile", "--hours", "10:00-21:00,10:00-21:00,10:00-09:00,10:00-21:00,10:00-21:00,10:00-21:00,closed"])
        .fails()
        .stderr();
    assert!(err.contains("周三"), "names the day: {err}");
    let out = shop
        .run(&[
            "profile",
            "--name",
            "花漾美容会所",
            "--phone",
            "020-8888 6666",
            "--hours",
            "10:00-21:00,10:00-21:00,10:00-21:00,10:00-21:00,10:00-21:00,10:00-21:00,closed",
        ])
        .ok()
        .stdout();
    assert!(out.contains("花漾美容会所") && out.contains("周日 Sun 休息"), "{out}");
    assert!(shop.run(&["profile"]).ok().stdout().contains("020-8888 6666"), "kept");
    shop.run(&["checkin", "--phone", "13812345678", "--service", "修眉造型", "--print"]).ok();
    let paper = std::fs::read_to_string(shop.data().join("printer-sim.txt")).unwrap();
    assert!(paper.contains("花漾美容会所"), "{paper}");
    // 2026-11-29 is a Sunday: closed now
    let err = shop
        .run(&["appointment", "book", "--customer", "13812345678", "--service", "修眉造型", "--at", "2026-11-29 14:00"])
        .fails()
        .stderr();
    assert!(err.contains("营业"), "{err}");
}
