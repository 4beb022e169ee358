use std::collections::HashSet;

use crate::common::*;

#[test]
fn appointment_arrival_walk_in_and_queue() {
    let shop = Shop::small();
    shop.sync_on();
    shop.add_customer("王小丽", "13812345678");
    shop.add_customer("李梅", "13912345678");
    shop.add_customer("张三", "13612345678");
    // an appointment at 10:40: arriving at 10:00 is within the 60-minute early window
    shop.book("13812345678", "面部深层清洁", Some("李娜"), "2026-11-23 10:40").ok();

    let a = shop.run(&["checkin", "--phone", "138 1234 5678", "--json"]).ok().json();
    assert_eq!(a["entry"]["ticket"], "A001");
    assert_eq!(a["greeting"], "王女士");
    assert_eq!(a["appointment"]["status"], "checked_in");
    assert_eq!(a["entry"]["staff_name"], "李娜");

    // checking in again returns the same ticket
    let again = shop.run(&["checkin", "--phone", "13812345678", "--json"]).ok().json();
    assert_eq!(again["entry"]["ticket"], "A001");
    assert_eq!(again["already_checked_in"], true);

    // a walk-in without a service is asked for one
    let r = shop.run(&["checkin", "--phone", "13912345678"]).fails();
    assert!(r.stderr().contains("choose a service"), "{}", r.stderr());
    let w = shop.run(&["checkin", "--phone", "13912345678", "--service", "肩颈舒缓按摩", "--json"]).ok().json();
    assert_eq!(w["entry"]["ticket"], "W001");
    // two beauticians: 李娜 takes A001 (60 min), 王芳 is free now
    assert_eq!(w["ahead"], 1);
    assert_eq!(w["wait_minutes"], 0);
    let w2 = shop.run(&["checkin", "--member-code", "M100003", "--service", "修眉造型", "--staff", "李娜"]).ok();
    assert!(w2.stdout().contains("W002") && w2.stdout().contains("张女士"), "{}", w2.stdout());
    let w2 = shop.run(&["queue", "list", "--json"]).ok().json();
    let third = &w2.as_array().unwrap()[2];
    assert_eq!(third["ticket"], "W002");
    assert_eq!(third["ahead"], 2);
    // asked for 李娜, who has A001 first: 60 minutes
    assert_eq!(third["wait_minutes"], 60);

    // an unknown customer is sent to registration
    let r = shop.run(&["checkin", "--phone", "13700000000"]).fails();
    assert!(r.stderr().contains("register"), "{}", r.stderr());

    // the staff are alerted through the outbox, one row per arrival
    let alerts: i64 = shop.sql("SELECT COUNT(*) FROM notification_outbox WHERE template = 'staff_arrival'");
    assert_eq!(alerts, 3);
    let created: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox WHERE type = 'checkin.created'");
    assert_eq!(created, 3);

    // queue transitions
    let r = shop.run(&["queue", "done", "W001"]).fails();
    assert!(r.stderr().contains("waiting") && r.stderr().contains("done"), "{}", r.stderr());
    let called = shop.run(&["queue", "call", "--json"]).ok().json();
    assert_eq!(called["ticket"], "A001");
    shop.run(&["queue", "start", "A001"]).ok();
    shop.run(&["queue", "call", "W001"]).ok();
    shop.run(&["queue", "start", "W001", "--staff", "王芳"]).ok();
    shop.run(&["queue", "left", "W002"]).ok();
    shop.run(&["queue", "done", "A001"]).ok();
    let status: String = shop.sql("SELECT status FROM appointments");
    assert_eq!(status, "completed");
    let live = shop.run(&["queue", "list", "--json"]).ok().json();
    assert_eq!(live.as_array().unwrap().len(), 1);
    assert_eq!(live[0]["status"], "in_service");
    let all = shop.run(&["queue", "list", "--all", "--json"]).ok().json();
    assert_eq!(all.as_array().unwrap().len(), 3);
    let bare = shop.run(&["queue", "--json"]).ok().json();
    assert_eq!(bare, live);
    let text = shop.run(&["queue"]).ok().stdout();
    assert!(text.contains("W001") && text.contains("服务中"), "{text}");
    let updated: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox WHERE type = 'checkin.updated'");
    assert_eq!(updated, 6);
}

#[test]
fn late_arrival_outside_the_window_is_a_walk_in() {
    let shop = Shop::small();
    shop.add_customer("王小丽", "13812345678");
    shop.book("13812345678", "修眉造型", None, "2026-11-23 12:00").ok();
    // 10:00 is 120 minutes early: not matched
    let r = shop.run(&["checkin", "--phone", "13812345678", "--service", "修眉造型", "--json"]).ok().json();
    assert_eq!(r["entry"]["ticket"], "W001");
    assert!(r["appointment"].is_null());
}

#[test]
fn two_processes_checking_in_at_once_lose_nothing() {
    let shop = Shop::new();
    shop.sync_on();
    shop.run(&["demo-data", "--customers", "80", "--days", "3"]).ok();
    let customers = shop.run(&["customer", "list", "--limit", "80", "--json"]).ok().json();
    let phones: Vec<String> =
        customers.as_array().unwrap().iter().map(|c| c["phone"].as_str().unwrap().to_string()).collect();
    assert_eq!(phones.len(), 80);
    let (left, right) = phones.split_at(40);
    std::thread::scope(|s| {
        for half in [left, right] {
            let shop = &shop;
            s.spawn(move || {
                for p in half {
                    shop.run(&["checkin", "--phone", p, "--service", "修眉造型"]).ok();
                }
            });
        }
    });
    let all = shop.run(&["queue", "list", "--all", "--json"]).ok().json();
    let tickets: HashSet<String> =
        all.as_array().unwrap().iter().map(|e| e["ticket"].as_str().unwrap().to_string()).collect();
    assert_eq!(tickets.len(), 80, "every check-in stored once, with its own ticket");
    let events: i64 = shop.sql("SELECT COUNT(*) FROM sync_outbox WHERE type = 'checkin.created'");
    assert_eq!(events, 80);
    let integrity: String = shop.sql("PRAGMA integrity_check");
    assert_eq!(integrity, "ok");
}
