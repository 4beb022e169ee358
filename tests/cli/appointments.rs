use crate::common::*;

#[test]
fn book_list_cancel_and_conflicts() {
    let shop = Shop::small();
    shop.sync_on();
    shop.add_customer("王小丽", "13812345678");
    shop.add_customer("李梅", "13912345678");

    let a = shop
        .run(&[
            "appointment",
            "book",
            "--customer",
            "13812345678",
            "--service",
            "面部深层清洁",
            "--staff",
            "李娜",
            "--at",
            "2026-11-23 14:00",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(a["status"], "booked");
    assert_eq!(a["resource_name"], "1号房", "the room the service needs is taken automatically");
    let id = a["id"].as_str().unwrap().to_string();

    // the same beautician at an overlapping time: names the other appointment
    let r = shop.book("13912345678", "肩颈舒缓按摩", Some("李娜"), "2026-11-23 14:30").fails();
    assert!(
        r.stderr().contains("李娜") && r.stderr().contains(&id) && r.stderr().contains("14:00–15:00"),
        "{}",
        r.stderr()
    );
    // the only facial room is taken
    let r = shop.book("13912345678", "面部深层清洁", Some("王芳"), "2026-11-23 14:15").fails();
    assert!(r.stderr().contains("1号房"), "{}", r.stderr());
    // the customer cannot be in two places
    let r = shop.book("13812345678", "修眉造型", None, "2026-11-23 14:40").fails();
    assert!(r.stderr().contains("customer already has"), "{}", r.stderr());
    // off shift (王芳 works until 18:00), outside opening hours, in the past
    let r = shop.book("13912345678", "修眉造型", Some("王芳"), "2026-11-23 17:50").fails();
    assert!(r.stderr().contains("no shift"), "{}", r.stderr());
    let r = shop.book("13912345678", "修眉造型", None, "2026-11-23 20:50").fails();
    assert!(r.stderr().contains("opening hours 10:00–21:00"), "{}", r.stderr());
    let r = shop.book("13912345678", "修眉造型", None, "2026-11-23 09:00").fails();
    assert!(r.stderr().contains("past"), "{}", r.stderr());
    let r = shop.book("13912345678", "修眉造型", None, "tomorrow").fails();
    assert!(r.stderr().contains("2026-11-23 14:30"), "{}", r.stderr());
    // back to back is fine
    shop.book("13912345678", "肩颈舒缓按摩", Some("李娜"), "2026-11-23 15:00").ok();

    let list = shop.run(&["appointment", "list", "--date", "2026-11-23", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let text = shop.run(&["appointment", "list"]).ok().stdout();
    assert!(text.contains("2026-11-23 14:00–15:00") && text.contains("王小丽"), "{text}");

    let c = shop.run(&["appointment", "cancel", &id, "--reason", "顾客有事", "--json"]).ok().json();
    assert_eq!(c["status"], "cancelled");
    shop.run(&["appointment", "cancel", &id]).fails();
    // the freed slot can be booked again
    shop.book("13912345678", "面部深层清洁", Some("王芳"), "2026-11-23 14:00").ok();
    let list = shop.run(&["appointment", "list", "--all", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let cancelled: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox WHERE type = 'appointment.cancelled'");
    assert_eq!(cancelled, 1);
    let upserted: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox WHERE type = 'appointment.upserted'");
    assert_eq!(upserted, 3);
}

#[test]
fn staff_services_and_shifts() {
    let shop = Shop::small();
    let staff = shop.run(&["staff", "list", "--json"]).ok().json();
    assert_eq!(staff.as_array().unwrap().len(), 2);
    let s = shop
        .run_stdin(&["staff", "add", "--name", "周晓燕", "--role", "前台", "--pin-stdin", "--json"], "2468\n")
        .ok()
        .json();
    assert_eq!(s["has_pin"], true);
    assert_eq!(s["role"], "front_desk");
    let hash: String = shop.sql("SELECT pin_hash FROM staff WHERE name = '周晓燕'");
    assert!(hash.starts_with("$argon2id$") && !hash.contains("2468"));
    shop.run_stdin(&["staff", "add", "--name", "x", "--pin-stdin"], "12\n").fails();
    shop.run(&["staff", "add", "--name", "y", "--role", "boss"]).fails();

    let r = shop.run(&["staff", "shift", "李娜", "--hours", "12:00-14:00"]).fails();
    assert!(r.stderr().contains("overlapping shift"), "{}", r.stderr());
    shop.run(&["staff", "shift", "李娜", "--date", "2026-11-24", "--hours", "10:00-18:00"]).ok();
    let shifts = shop.run(&["staff", "shifts", "--date", "2026-11-24", "--json"]).ok().json();
    assert_eq!(shifts.as_array().unwrap().len(), 1);

    let services = shop.run(&["service", "list", "--json"]).ok().json();
    assert_eq!(services.as_array().unwrap().len(), 3);
    let brow = services.as_array().unwrap().iter().find(|s| s["name"] == "修眉造型").unwrap();
    assert_eq!(brow["price"], "48.50");
    let r = shop.run(&["service", "add", "--name", "x", "--minutes", "30", "--price", "12.345"]).fails();
    assert!(r.stderr().contains("price"), "{}", r.stderr());
    shop.run(&["service", "add", "--name", "修眉造型", "--minutes", "30", "--price", "10"]).fails();
}

#[test]
fn wait_list_from_the_command_line() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    let e = shop
        .run(&[
            "waitlist",
            "add",
            "--customer",
            "13812345678",
            "--service",
            "修眉造型",
            "--from",
            "2026-11-24 10:00",
            "--to",
            "2026-11-24 18:00",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(e["status"], "waiting");
    let id = e["id"].as_str().unwrap().to_string();
    let list = shop.run(&["waitlist", "list"]).ok().stdout();
    assert!(list.contains("王小丽") && list.contains("waiting") && list.contains("11-24 10:00"), "{list}");
    // Nothing on offer: accepting is refused with the reason.
    let r = shop.run(&["waitlist", "accept", &id]).fails();
    assert!(r.stderr().contains("no slot on offer"), "{}", r.stderr());
    shop.run(&["waitlist", "cancel", &id]).ok();
    assert!(!shop.run(&["waitlist", "list"]).ok().stdout().contains("王小丽"));
    let r = shop
        .run(&[
            "waitlist",
            "add",
            "--customer",
            "13812345678",
            "--service",
            "修眉造型",
            "--from",
            "2026-11-24 18:00",
            "--to",
            "2026-11-24 10:00",
        ])
        .fails();
    assert!(r.stderr().contains("window"), "{}", r.stderr());
}

/// Several services in one booking from the command line, back to back; a service's
/// clean-up time keeps its beautician (the same rule as the kiosk and the back office).
#[test]
fn several_services_back_to_back_and_the_clean_up_time() {
    let shop = Shop::small();
    shop.add_customer("王小美", "13912345678");
    shop.add_customer("李四", "13912340000");
    shop.run(&["service", "buffer", "面部深层清洁", "15"]).ok();
    let booked = shop
        .run(&[
            "appointment",
            "book",
            "--customer",
            "13912345678",
            "--service",
            "面部深层清洁",
            "--service",
            "肩颈舒缓按摩",
            "--staff",
            "李娜",
            "--staff",
            "王芳",
            "--at",
            "2026-11-23 14:00",
            "--json",
        ])
        .ok()
        .json();
    let list = booked.as_array().expect("two appointments");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["ends_at"], list[1]["starts_at"], "back to back");
    assert_eq!(list[1]["staff_name"], "王芳");
    // 15:00: 李娜's facial is over, its clean-up is not
    let r = shop.book("13912340000", "修眉造型", Some("李娜"), "2026-11-23 15:00").fails();
    assert!(r.stderr().contains("整理") && r.stderr().contains("15 分钟"), "{}", r.stderr());
    shop.book("13912340000", "修眉造型", Some("李娜"), "2026-11-23 15:15").ok();
    // the customer herself may go straight on to her next service (as booked above)
    // and a move is checked by the same rules
    let id = list[1]["id"].as_str().expect("id");
    let r = shop.run(&["appointment", "move", id, "--at", "2026-11-23 15:15", "--staff", "李娜"]).fails();
    assert!(r.stderr().contains("已有预约"), "{}", r.stderr());
    shop.run(&["appointment", "move", id, "--at", "2026-11-23 16:00"]).ok();
    // the whole booking cancelled at once
    let first = list[0]["id"].as_str().expect("id");
    let all = shop.run(&["appointment", "cancel", first, "--whole", "--reason", "出差", "--json"]).ok().json();
    let all = all.as_array().expect("both");
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.iter().all(|a| a["status"] == "cancelled"), "{all:?}");
}
