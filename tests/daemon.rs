//! The daemon's sending, against provider servers on loopback that check signatures, keys
//! and tokens and fail on demand; its rules (consent, hours, caps, stale reminders); its jobs
//! under a controlled clock (Asia/Shanghai on a UTC machine, midnight, 29 February, a clock
//! jumping days forward and back).

#[path = "support/artefacts.rs"]
mod artefacts;
#[path = "support/providers.rs"]
mod providers;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use providers::{Fault, Providers};
use salonbox::app::booking::BookingRequest;
use salonbox::app::checkin::{CheckinRequest, Identity};
use salonbox::app::customers::Registration;
use salonbox::app::{App, init};
use salonbox::clock::{Clock, FixedClock};
use salonbox::config::Config;
use salonbox::daemon::Daemon;
use salonbox::domain::phone::Phone;
use salonbox::store::Notification;

/// 2026-11-23 (Monday) at `h:m` in Shanghai.
fn shanghai(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai.with_ymd_and_hms(2026, 11, day, h, m, 0).single().unwrap().with_timezone(&Utc)
}

struct Shop {
    dir: tempfile::TempDir,
    clock: Arc<FixedClock>,
    config: Config,
    providers: Providers,
}

impl Shop {
    /// A shop whose channels point at fresh provider servers; `extra` is appended to the
    /// configuration (lines before a section header land in `[jobs]`).
    fn new(extra: &str) -> Shop {
        Shop::with_sms("aliyun", extra)
    }

    fn with_sms(sms_provider: &str, extra: &str) -> Shop {
        let providers = Providers::start();
        let dir = artefacts::tempdir();
        let text = format!("{}\n[jobs]\nclock_sync_file = \"\"\n{extra}", providers.config_with(sms_provider));
        std::fs::write(dir.path().join("salonbox.toml"), &text).unwrap();
        let config = Config::from_toml(&text, &dir.path().join("salonbox.toml")).unwrap();
        init(&config, dir.path()).unwrap();
        let clock = Arc::new(FixedClock::new(shanghai(23, 10, 0)));
        let shop = Shop { dir, clock, config, providers };
        let mut app = shop.app();
        app.add_service("面部深层清洁", "面部护理", 60, "198", None, "test").unwrap();
        app.add_staff(
            &salonbox::app::staff::StaffInput {
                name: "李娜".into(), role: "beautician".into(), ..Default::default()
            },
            "test",
        )
        .unwrap();
        for d in 0..3 {
            app.add_shift("李娜", app.today() + Duration::days(d), "10:00-21:00", "test").unwrap();
        }
        shop
    }

    fn app(&self) -> App {
        App::open(self.config.clone(), self.dir.path(), self.clock.clone()).unwrap()
    }

    fn daemon(&self) -> Daemon {
        Daemon::new(self.app()).unwrap()
    }

    fn customer(&self, name: &str, phone: &str, marketing: bool) -> String {
        self.app()
            .register(&Registration {
                name: name.into(),
                phone: phone.into(),
                gender: Some("女".into()),
                privacy_notice: Some("2026-11".into()),
                marketing_consent: marketing,
                allergies: if name == "王芳" { "酒精".into() } else { String::new() },
                source: "test".into(),
                ..Default::default()
            })
            .unwrap()
            .id
    }

    fn sql(&self, sql: &str) {
        let db = rusqlite::Connection::open(self.dir.path().join(salonbox::store::DB_FILE)).unwrap();
        db.execute_batch(sql).unwrap();
    }

    fn book(&self, phone: &str, at: &str) -> String {
        self.app()
            .book(&BookingRequest {
                customer: phone.into(),
                service: "面部深层清洁".into(),
                staff: Some("李娜".into()),
                resource: None,
                start: at.into(),
                note: String::new(),
                source: "test".into(),
            })
            .unwrap()
            .id
    }

    fn messages(&self) -> Vec<Notification> {
        self.app().list_messages(None, 100).unwrap()
    }

    fn message(&self, key_part: &str) -> Notification {
        self.messages()
            .into_iter()
            .find(|n| n.dedupe_key.contains(key_part))
            .unwrap_or_else(|| panic!("no message {key_part}"))
    }
}

/// The coupon template the birthday job issues (`jobs.birthday_coupon`, 生日券 by default).
fn birthday_coupon(app: &mut App) {
    let fifty = salonbox::domain::checkout::CouponKind::AmountOff {
        amount: "50".parse().unwrap(),
        min_spend: "0".parse().unwrap(),
    };
    app.add_coupon_template("生日券", &fifty, 30, 1, "test").unwrap();
}

fn stop() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    std::mem::forget(tx);
    rx
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn a_reminder_goes_out_by_aliyun_signed_and_exactly_once() {
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    let appointment = shop.book("13800001111", "2026-11-24 14:00");
    shop.clock.set(shanghai(23, 18, 0));
    let mut app = shop.app();
    let r = app.run_job("reminder_day_before", app.now(), false).unwrap();
    assert_eq!(r.queued.len(), 1);
    // A second run for the same day queues nothing new.
    assert!(app.run_job("reminder_day_before", app.now(), false).unwrap().queued.is_empty());

    let mut d = shop.daemon();
    let n = rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(n, 1);
    let got = shop.providers.received();
    assert_eq!(got.len(), 1, "{:?}", shop.providers.rejections());
    assert_eq!(got[0].provider, "aliyun");
    assert_eq!(got[0].to, "13800001111");
    assert_eq!(got[0].template, "SMS_1001");
    let params: serde_json::Value = serde_json::from_str(&got[0].content).unwrap();
    assert_eq!(params["name"], "王女士");
    assert_eq!(params["time"], "14:00");
    assert_eq!(params["service"], "面部深层清洁");
    // exactly the template's parameters: none of what the shop keeps beside them
    let mut keys: Vec<&str> = params.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["name", "service", "shop", "time", "with_staff"], "{params}");
    let m = shop.message(&appointment);
    assert_eq!(m.status, "sent");
    assert_eq!(m.sent_via.as_deref(), Some("aliyun_sms"));
    assert_eq!(m.provider_ref.as_deref(), Some("biz-1"));
    assert_eq!(got[0].message_id.as_deref(), Some(m.id.as_str()), "OutId carries the outbox id");
    // Nothing more to send.
    assert_eq!(rt().block_on(d.send_due(&stop())).unwrap(), 0);
    assert_eq!(shop.providers.received().len(), 1);
}

#[test]
fn temporary_failures_retry_with_back_off_and_final_ones_stop() {
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    shop.book("13800001111", "2026-11-24 14:00");
    shop.clock.set(shanghai(23, 18, 0));
    shop.app().run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    shop.providers.fail(
        "aliyun",
        &[
            Fault::Status(500),
            Fault::Code("Throttling.User".into()),
            Fault::Status(502),
            Fault::Code("isp.SYSTEM_ERROR".into()),
            Fault::Status(503),
        ],
    );
    let mut d = shop.daemon();
    let mut waits = Vec::new();
    for _ in 0..5 {
        rt().block_on(d.send_due(&stop())).unwrap();
        let m = shop.message("reminder:");
        assert_eq!(m.status, "pending", "{m:?}");
        assert!(m.last_error.is_some());
        let wait = m.not_before - shop.clock.now();
        waits.push(wait.num_seconds());
        // Not due again before its back-off has passed.
        rt().block_on(d.send_due(&stop())).unwrap();
        shop.clock.set(m.not_before);
    }
    // 30 s doubling, with up to 20 % jitter.
    for (i, w) in waits.iter().enumerate() {
        let base = 30 * 2i64.pow(i as u32);
        assert!((base..=base * 6 / 5 + 1).contains(w), "attempt {i}: waited {w} s, base {base}");
    }
    rt().block_on(d.send_due(&stop())).unwrap();
    let m = shop.message("reminder:");
    assert_eq!(m.status, "sent");
    assert_eq!(m.attempts, 6);
    assert_eq!(shop.providers.received().len(), 1, "sent once, in the end");

    // A wrong number is final: no retry.
    shop.customer("李娜娜", "13800002222", false);
    shop.book("13800002222", "2026-11-24 16:00");
    shop.app().run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    shop.providers.fail("aliyun", &[Fault::Code("isv.MOBILE_NUMBER_ILLEGAL".into())]);
    rt().block_on(d.send_due(&stop())).unwrap();
    let failed = shop.app().list_messages(Some("failed"), 10).unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].last_error.as_deref().unwrap().contains("isv.MOBILE_NUMBER_ILLEGAL"));
    let before = shop.providers.requests("aliyun");
    shop.clock.set(shop.clock.now() + Duration::hours(1));
    rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(shop.providers.requests("aliyun"), before, "a failed message is not retried by itself");

    // Staff may decide to send it again.
    shop.app().retry_message(&failed[0].id, "test").unwrap();
    rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(shop.message(&failed[0].dedupe_key).status, "sent");
}

#[test]
fn tencent_sms_is_signed_tc3_and_its_codes_are_sorted() {
    let shop = Shop::new("");
    let mut config = shop.config.clone();
    config.channels.sms_provider = salonbox::config::SmsProvider::Tencent;
    shop.customer("王芳", "13800001111", false);
    shop.book("13800001111", "2026-11-24 14:00");
    shop.clock.set(shanghai(23, 18, 0));
    let app = App::open(config, shop.dir.path(), shop.clock.clone()).unwrap();
    let mut d = Daemon::new(app).unwrap();
    d.app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    shop.providers.fail("tencent", &[Fault::Code("RequestLimitExceeded".into())]);
    rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(shop.message("reminder:").status, "pending");
    shop.clock.set(shop.clock.now() + Duration::minutes(5));
    rt().block_on(d.send_due(&stop())).unwrap();
    let got = shop.providers.received();
    assert_eq!(got.len(), 1, "{:?}", shop.providers.rejections());
    assert_eq!((got[0].provider, got[0].template.as_str()), ("tencent", "2001"));
    // Positional parameters in the configured order: name, time, service.
    assert_eq!(got[0].content, r#"["王女士","14:00","面部深层清洁"]"#);
    let m = shop.message("reminder:");
    assert_eq!((m.status.as_str(), m.provider_ref.as_deref()), ("sent", Some("serial-1")));

    // A number's daily limit at Tencent is final.
    shop.customer("赵敏", "13800003333", false);
    shop.book("13800003333", "2026-11-24 16:00");
    d.app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    shop.providers.fail("tencent", &[Fault::Code("LimitExceeded.PhoneNumberDailyLimit".into())]);
    rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(shop.app().list_messages(Some("failed"), 10).unwrap().len(), 1);
}

#[test]
fn wechat_token_is_cached_refreshed_once_and_unsubscribed_falls_back_to_sms() {
    let shop = Shop::new("");
    let a = shop.customer("王芳", "13800001111", false);
    let b = shop.customer("陈静", "13800002222", false);
    let c = shop.customer("刘洋", "13800003333", false);
    shop.sql(&format!(
        "UPDATE customers SET wechat_openid = 'open-a' WHERE id = '{a}';
         UPDATE customers SET wechat_openid = 'open-b' WHERE id = '{b}';
         UPDATE customers SET wechat_openid = 'open-c' WHERE id = '{c}';"
    ));
    shop.providers.state.lock().unwrap().not_following.insert("open-c".into());
    for (phone, at) in
        [("13800001111", "2026-11-24 11:00"), ("13800002222", "2026-11-24 13:00"), ("13800003333", "2026-11-24 15:00")]
    {
        shop.book(phone, at);
    }
    shop.clock.set(shanghai(23, 18, 0));
    let mut d = shop.daemon();
    d.app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    rt().block_on(d.send_due(&stop())).unwrap();
    let got = shop.providers.received();
    let by: Vec<(&str, &str)> = got.iter().map(|r| (r.provider, r.to.as_str())).collect();
    assert!(by.contains(&("wechat", "open-a")) && by.contains(&("wechat", "open-b")), "{by:?}");
    assert!(by.contains(&("aliyun", "13800003333")), "not following: SMS instead: {by:?}");
    assert_eq!(shop.providers.state.lock().unwrap().token_fetches, 1, "one token for every message");

    // WeChat drops the token (another holder refreshed it): one refresh, then it goes.
    shop.providers.state.lock().unwrap().token = Some("revoked".into());
    shop.customer("孙丽", "13800004444", false);
    let e = shop.app().customer_by_key("13800004444").unwrap().id;
    shop.sql(&format!("UPDATE customers SET wechat_openid = 'open-e' WHERE id = '{e}'"));
    shop.book("13800004444", "2026-11-24 17:00");
    d.app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(shop.providers.state.lock().unwrap().token_fetches, 2);
    assert!(shop.providers.received().iter().any(|r| r.to == "open-e"));
    let sent: Vec<Notification> = shop.app().list_messages(Some("sent"), 10).unwrap();
    assert_eq!(sent.len(), 4);
    assert_eq!(sent.iter().filter(|n| n.sent_via.as_deref() == Some("wechat")).count(), 3);
}

#[test]
fn a_kiosk_check_in_alerts_the_staff_group_through_both_bots() {
    let shop = Shop::new("[messages.routes]\nstaff = [\"wecom\"]\n");
    let phone = "13800001111";
    shop.customer("王芳", phone, false);
    shop.customer("陈静", "13800002222", false);
    let mut d = shop.daemon();
    rt().block_on(d.tick(&stop())).unwrap();
    // The kiosk (another connection) checks a customer in.
    let mut kiosk = shop.app();
    let out = kiosk
        .check_in(&CheckinRequest {
            identity: Identity::Phone(Phone::parse(phone).unwrap()),
            service: Some("面部深层清洁".into()),
            staff: None,
        })
        .unwrap();
    // The next tick sees the commit (data_version) and sends at once.
    rt().block_on(d.tick(&stop())).unwrap();
    let got = shop.providers.received();
    assert_eq!(got.len(), 1, "{:?}", shop.providers.rejections());
    assert_eq!(got[0].provider, "wecom");
    assert!(got[0].content.contains(&out.entry.ticket) && got[0].content.contains("王女士"), "{}", got[0].content);
    assert!(got[0].content.contains("过敏：酒精"), "allergy named: {}", got[0].content);

    // The bot is down for a moment: the next alert waits out its back-off instead of being
    // hammered, then goes.
    shop.providers.fail("wecom", &[Fault::Status(502)]);
    kiosk
        .check_in(&CheckinRequest {
            identity: Identity::Phone(Phone::parse("13800002222").unwrap()),
            service: Some("面部深层清洁".into()),
            staff: None,
        })
        .unwrap();
    let before = shop.providers.requests("wecom");
    rt().block_on(d.tick(&stop())).unwrap();
    assert_eq!(shop.providers.requests("wecom"), before + 1, "one try, then the back-off");
    let waiting = shop.app().list_messages(Some("pending"), 10).unwrap();
    assert_eq!(waiting.len(), 1);
    shop.clock.set(waiting[0].not_before);
    rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(shop.providers.received().len(), 2);

    // DingTalk, signed, when routed there.
    let shop2 = Shop::new("[messages.routes]\nstaff = [\"dingtalk\"]\n");
    shop2.customer("陈静", phone, false);
    shop2
        .app()
        .check_in(&CheckinRequest {
            identity: Identity::Phone(Phone::parse(phone).unwrap()),
            service: Some("面部深层清洁".into()),
            staff: None,
        })
        .unwrap();
    let mut d2 = shop2.daemon();
    rt().block_on(d2.tick(&stop())).unwrap();
    let got = shop2.providers.received();
    assert_eq!(got.len(), 1, "{:?}", shop2.providers.rejections());
    assert_eq!(got[0].provider, "dingtalk");
    assert!(shop2.providers.rejections().is_empty());
}

#[test]
fn rules_consent_hours_caps_and_stale_reminders() {
    let shop = Shop::new("[messages]\ndaily_cap_per_number = 1\n");
    let with = shop.customer("王芳", "13800001111", true);
    let without = shop.customer("陈静", "13800002222", false);
    let mut app = shop.app();
    birthday_coupon(&mut app);
    shop.sql(&format!("UPDATE customers SET birthday = '1990-11-26' WHERE id IN ('{with}', '{without}')"));
    // Birthday job at 09:30, three days ahead: only the customer who agreed to marketing.
    shop.clock.set(shanghai(23, 9, 30));
    let r = app.run_job("birthday", shop.clock.now(), false).unwrap();
    assert_eq!(r.queued.len(), 1, "{r:?}");
    assert_eq!(r.queued[0].customer_id.as_deref(), Some(with.as_str()));
    assert!(app.run_job("birthday", shop.clock.now(), false).unwrap().queued.is_empty(), "once a year");
    // Marketing waits for 10:00.
    let mut d = shop.daemon();
    rt().block_on(d.send_due(&stop())).unwrap();
    let m = shop.message("birthday:");
    assert_eq!(m.status, "pending");
    assert_eq!(m.not_before, shanghai(23, 10, 0));
    shop.clock.set(shanghai(23, 10, 0));
    rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(shop.message("birthday:").status, "sent");
    let got = shop.providers.received();
    let params: serde_json::Value = serde_json::from_str(&got[0].content).unwrap();
    assert!(params["coupon"].as_str().unwrap().contains("生日券"));

    // The customer opts out: a queued marketing message is dropped, not sent.
    shop.sql(&format!(
        "INSERT INTO notification_outbox (dedupe_key, id, kind, audience, customer_id, template, params, not_before, status, created_at, updated_at)
         VALUES ('winback:{with}:2026', 'w1', 'marketing', 'customer', '{with}', 'winback', '{{}}', 0, 'pending', 0, 0);
         UPDATE customers SET marketing_opt_out_at = 1 WHERE id = '{with}';"
    ));
    rt().block_on(d.send_due(&stop())).unwrap();
    let w = shop.message("winback:");
    assert_eq!(w.status, "dropped");
    assert!(w.last_error.unwrap().contains("marketing consent"));

    // The daily cap (1 here): a second message to the same number today waits for tomorrow.
    shop.book("13800001111", "2026-11-23 15:00");
    shop.clock.set(shanghai(23, 13, 0));
    app.run_job("reminder_2h", shop.clock.now(), false).unwrap();
    rt().block_on(d.send_due(&stop())).unwrap();
    let r = shop.message(":2h");
    assert_eq!(r.status, "pending");
    assert_eq!(r.not_before, shanghai(24, 8, 0));
    // By tomorrow it is past its time (the appointment began): dropped, never sent late.
    shop.clock.set(shanghai(24, 8, 0));
    rt().block_on(d.send_due(&stop())).unwrap();
    assert_eq!(shop.message(":2h").status, "dropped");
}

#[test]
fn a_booking_made_shortly_before_gets_no_two_hour_reminder() {
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    shop.customer("陈静", "13800002222", false);
    // Booked in the morning for the afternoon, and at 13:30 for 16:00.
    shop.clock.set(shanghai(23, 9, 0));
    let early = shop.book("13800001111", "2026-11-23 15:00");
    shop.clock.set(shanghai(23, 13, 30));
    let late = shop.book("13800002222", "2026-11-23 16:00");
    shop.clock.set(shanghai(23, 14, 0));
    let mut app = shop.app();
    let r = app.run_job("reminder_2h", shop.clock.now(), false).unwrap();
    let keys: Vec<&str> = r.queued.iter().map(|q| q.key.as_str()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys.iter().any(|k| k.contains(&early)), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains(&late)), "booked 2.5 h ahead: {keys:?}");
}

#[test]
fn a_cancelled_or_moved_appointment_gets_no_stale_reminder() {
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    shop.customer("陈静", "13800002222", false);
    let cancelled = shop.book("13800001111", "2026-11-24 11:00");
    let moved = shop.book("13800002222", "2026-11-24 13:00");
    shop.clock.set(shanghai(23, 18, 0));
    let mut app = shop.app();
    assert_eq!(app.run_job("reminder_day_before", shop.clock.now(), false).unwrap().queued.len(), 2);
    app.cancel_appointment(&cancelled, Some("顾客有事"), "test").unwrap();
    // Moved to 16:00 (as the cloud or a later edit would).
    let new_start = shanghai(24, 16, 0).timestamp_millis();
    shop.sql(&format!(
        "UPDATE appointments SET starts_at = {new_start}, ends_at = {} WHERE id = '{moved}'",
        new_start + 3_600_000
    ));
    let mut d = shop.daemon();
    rt().block_on(d.send_due(&stop())).unwrap();
    assert!(shop.providers.received().is_empty());
    assert_eq!(shop.message(&cancelled).status, "dropped");
    assert!(shop.message(&moved).last_error.unwrap().contains("moved"));
    // The next run queues a fresh reminder for the new time, which goes out.
    let r = app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    assert_eq!(r.queued.len(), 1);
    assert!(r.queued[0].key.contains("20261124T0800Z"), "{}", r.queued[0].key);
    rt().block_on(d.send_due(&stop())).unwrap();
    let got = shop.providers.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].content.contains("16:00"));
}

#[test]
fn dry_run_previews_tomorrows_reminders_and_changes_nothing() {
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    shop.book("13800001111", "2026-11-24 14:00");
    let mut app = shop.app();
    let at = shanghai(23, 18, 0);
    let r = app.run_job("reminder_day_before", at, true).unwrap();
    assert!(r.dry_run);
    assert_eq!(r.queued.len(), 1);
    assert!(r.queued[0].summary.contains("王芳") && r.queued[0].summary.contains("14:00"));
    assert!(shop.messages().is_empty(), "a dry run queues nothing");
}

#[test]
fn scheduled_jobs_follow_shop_time_and_survive_clock_jumps() {
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    shop.book("13800001111", "2026-11-24 14:00");
    let mut app = shop.app();
    // 17:59:59 Shanghai is 09:59:59 UTC: the first look only schedules.
    shop.clock.set(shanghai(23, 17, 59));
    let first = app.run_due_jobs().unwrap();
    assert!(first.ran.is_empty());
    let status = app.jobs_status().unwrap();
    let day_before = status.iter().find(|j| j.job == "reminder_day_before").unwrap();
    assert_eq!(day_before.next_due, Some(shanghai(23, 18, 0)), "18:00 shop time, not UTC");
    // 18:00 comes: the job runs once.
    shop.clock.set(shanghai(23, 18, 0));
    let ran = app.run_due_jobs().unwrap();
    let names: Vec<&str> = ran.ran.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"reminder_day_before"), "{names:?}");
    assert_eq!(shop.messages().iter().filter(|n| n.template == "reminder_day_before").count(), 1);
    assert!(!app.run_due_jobs().unwrap().ran.iter().any(|(n, _)| n == "reminder_day_before"));

    // The clock jumps back a day (a Pi booting without its network): nothing runs.
    shop.clock.set(shanghai(22, 18, 0));
    let back = app.run_due_jobs().unwrap();
    assert!(back.ran.is_empty());
    assert_eq!(back.clock_behind, Some(shanghai(23, 18, 0)));
    // Forward three days past midnight: each job runs once, not once per missed time.
    shop.clock.set(shanghai(26, 18, 0) + Duration::seconds(30));
    let fwd = app.run_due_jobs().unwrap();
    let count = |name: &str| fwd.ran.iter().filter(|(n, _)| n == name).count();
    assert_eq!(count("reminder_day_before"), 1);
    assert_eq!(count("queue_near"), 1);
    assert_eq!(count("backup"), 1);
    let backups = std::fs::read_dir(shop.dir.path().join("backups")).unwrap().count();
    assert_eq!(backups, 1);
    let jobs = app.jobs_status().unwrap();
    let rem = jobs.iter().find(|j| j.job == "reminder_day_before").unwrap();
    assert_eq!(rem.last_due, Some(shanghai(26, 18, 0)));
    assert_eq!(rem.next_due, Some(shanghai(27, 18, 0)));
}

#[test]
fn leap_day_birthdays_are_wished_on_the_28th_in_a_common_year() {
    let shop = Shop::new("birthday_lead_days = 0\n");
    let c = shop.customer("王芳", "13800001111", true);
    shop.sql(&format!("UPDATE customers SET birthday = '2000-02-29' WHERE id = '{c}'"));
    let mut app = shop.app();
    birthday_coupon(&mut app);
    let feb27 = chrono_tz::Asia::Shanghai.with_ymd_and_hms(2027, 2, 27, 9, 30, 0).unwrap().with_timezone(&Utc);
    assert!(app.run_job("birthday", feb27, false).unwrap().queued.is_empty());
    let r = app.run_job("birthday", feb27 + Duration::days(1), false).unwrap();
    assert_eq!(r.queued.len(), 1, "2027 has no 29 February");
    assert!(r.queued[0].key.ends_with(":2027"));
}

#[test]
fn an_interrupted_send_is_resolved_by_where_it_stopped() {
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    shop.book("13800001111", "2026-11-24 14:00");
    shop.customer("李娜娜", "13800002222", false);
    shop.book("13800002222", "2026-11-24 16:00");
    shop.clock.set(shanghai(23, 18, 0));
    let mut app = shop.app();
    app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    let keys: Vec<String> = shop.messages().into_iter().map(|m| m.dedupe_key).collect();
    // A daemon claimed both and died: before trying a channel for the first, during the
    // request to Aliyun for the second (the attempt is committed before the request).
    assert!(app.claim_message(&keys[0]).unwrap());
    assert!(app.claim_message(&keys[1]).unwrap());
    app.message_attempt(&keys[1], "aliyun_sms", Some("13800002222")).unwrap();
    drop(app);
    let mut d = shop.daemon();
    d.recover().unwrap();
    assert_eq!(shop.message(&keys[0]).status, "pending", "nothing was sent: back in the queue");
    let m = shop.message(&keys[1]);
    assert_eq!((m.status.as_str(), m.check_after), ("unknown", Some(shop.clock.now())), "asked at once");
    work(&mut d);
    assert_eq!(shop.message(&keys[0]).status, "sent");
    // Aliyun never got the second: no record; asked again until its window has passed,
    // then sent, once.
    assert_eq!(shop.message(&keys[1]).status, "unknown");
    while shop.message(&keys[1]).status == "unknown" {
        next_look(&shop, &mut d, &keys[1]);
    }
    work(&mut d);
    let got = shop.providers.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(shop.messages().iter().all(|m| m.status == "sent"));
}

/// `salonbox daemon` as a process, with the clock fixed at `now` and an optional crash point.
fn spawn_daemon(shop: &Shop, now: DateTime<Utc>, failpoint: Option<&str>) -> std::process::Child {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_salonbox"));
    c.arg("--config")
        .arg(shop.dir.path().join("salonbox.toml"))
        .arg("--data-dir")
        .arg(shop.dir.path())
        .arg("daemon")
        .env("SALONBOX_NOW", now.to_rfc3339())
        .env("SALONBOX_LOG", "info")
        .env_remove(salonbox::daemon::FAILPOINT_ENV)
        .stdout(std::process::Stdio::null())
        // The daemon's log stays with the shop, for the privacy sweep (tests/zz_privacy.rs).
        .stderr(artefacts::log(shop.dir.path(), "daemon.log"));
    if let Some(f) = failpoint {
        c.env(salonbox::daemon::FAILPOINT_ENV, f);
    }
    c.spawn().unwrap()
}

/// Waits (up to 20 s) until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn killed_at_every_step_of_a_send_no_message_goes_twice() {
    for step in ["after_claim", "after_answer", "after_settle"] {
        let shop = Shop::new("");
        for (i, (phone, at)) in [
            ("13800001111", "2026-11-24 11:00"),
            ("13800002222", "2026-11-24 13:00"),
            ("13800003333", "2026-11-24 15:00"),
        ]
        .into_iter()
        .enumerate()
        {
            shop.customer(&format!("顾客{i}"), phone, false);
            shop.book(phone, at);
        }
        let at = shanghai(23, 18, 0);
        shop.app().run_job("reminder_day_before", at, false).unwrap();

        // The first send dies at `step`.
        let mut crashed = spawn_daemon(&shop, at, Some(step));
        let status = {
            let start = std::time::Instant::now();
            loop {
                if let Some(s) = crashed.try_wait().unwrap() {
                    break s;
                }
                assert!(start.elapsed() < std::time::Duration::from_secs(20), "{step}: the daemon did not crash");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        };
        assert!(!status.success(), "{step}: aborted");

        // A fresh daemon takes over and finishes the rest.
        let mut d = spawn_daemon(&shop, at, None);
        wait_until("the outbox to settle", || {
            shop.messages().iter().all(|n| !matches!(n.status.as_str(), "pending" | "sending"))
        });
        // A running daemon holds the service lock: a restore is refused until it stops.
        let refused = salonbox::app::restore::ServiceLock::exclusive(shop.dir.path()).unwrap_err();
        assert!(matches!(refused, salonbox::app::AppError::ServicesRunning(_)), "{refused}");
        terminate(&mut d);
        salonbox::app::restore::ServiceLock::exclusive(shop.dir.path()).expect("free once the daemon stopped");

        let received = shop.providers.received();
        let mut ids: Vec<&str> = received.iter().filter_map(|r| r.message_id.as_deref()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "{step}: a message went out twice: {received:?}");
        // Whatever the step, every message reached its customer exactly once: claimed but
        // no channel tried, it went back to the queue; taken by Aliyun but not recorded,
        // `QuerySendDetails` found it by its OutId; recorded, it was simply sent.
        let messages = shop.messages();
        let sent = messages.iter().filter(|m| m.status == "sent").count();
        assert_eq!((sent, received.len()), (3, 3), "{step}: {messages:?}");
        if step == "after_answer" {
            assert!(shop.providers.requests("aliyun_query") >= 1, "{step}: the provider was asked");
        }
    }
}

/// SIGTERM (the daemon finishes what it has in hand and exits 0).
fn terminate(child: &mut std::process::Child) {
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

#[test]
fn a_cancelled_slot_goes_to_the_wait_list_in_turn() {
    let shop = Shop::new("[messages.templates.waitlist_offer]\naliyun = \"SMS_1005\"\n");
    shop.customer("王芳", "13800001111", false);
    shop.customer("陈静", "13800002222", false);
    shop.customer("刘洋", "13800003333", false);
    let taken = shop.book("13800001111", "2026-11-24 14:00");
    let mut app = shop.app();
    let first =
        app.waitlist_add("13800002222", "面部深层清洁", None, "2026-11-24 10:00", "2026-11-24 18:00", "test").unwrap();
    shop.clock.set(shop.clock.now() + Duration::minutes(1));
    let second = app
        .waitlist_add("13800003333", "面部深层清洁", Some("李娜"), "2026-11-24 12:00", "2026-11-24 15:00", "test")
        .unwrap();
    // Nothing is free yet.
    assert!(app.run_job("waitlist", shop.clock.now(), false).unwrap().queued.is_empty());

    app.cancel_appointment(&taken, Some("顾客有事"), "test").unwrap();
    let r = app.run_job("waitlist", shop.clock.now(), false).unwrap();
    assert_eq!(r.queued.len(), 1);
    assert_eq!(r.queued[0].customer_id, Some(first.customer_id.clone()), "first come, first offered");
    let offered = app.waitlist(false).unwrap().into_iter().find(|e| e.id == first.id).unwrap();
    assert_eq!(offered.status, "offered");
    assert_eq!(offered.offered_start_at, Some(shanghai(24, 14, 0)));
    assert_eq!(offered.hold_until, Some(shop.clock.now() + Duration::minutes(30)));
    // Running again offers the same slot to nobody else while it is held.
    assert!(app.run_job("waitlist", shop.clock.now(), false).unwrap().queued.is_empty());
    let mut d = shop.daemon();
    rt().block_on(d.send_due(&stop())).unwrap();
    let got = shop.providers.received();
    assert_eq!((got.len(), got[0].to.as_str(), got[0].template.as_str()), (1, "13800002222", "SMS_1005"));
    assert!(got[0].content.contains("11-24 14:00"), "{}", got[0].content);

    // The hold runs out: the next in line gets it.
    shop.clock.set(shop.clock.now() + Duration::minutes(31));
    let r = app.run_job("waitlist", shop.clock.now(), false).unwrap();
    assert_eq!(r.queued.len(), 1);
    assert_eq!(r.queued[0].customer_id, Some(second.customer_id.clone()));
    let all = app.waitlist(true).unwrap();
    assert_eq!(all.iter().find(|e| e.id == first.id).unwrap().status, "expired");
    assert!(app.waitlist_accept(&first.id, "test").is_err(), "an expired offer cannot be taken");

    // The second customer takes it: booked, with every booking rule checked.
    let a = app.waitlist_accept(&second.id, "test").unwrap();
    assert_eq!(a.starts_at, shanghai(24, 14, 0));
    assert_eq!(a.staff_name.as_deref(), Some("李娜"));
    assert_eq!(app.waitlist(true).unwrap().iter().find(|e| e.id == second.id).unwrap().status, "accepted");
    shop.clock.set(shop.clock.now() + Duration::hours(1));
    assert!(app.run_job("waitlist", shop.clock.now(), false).unwrap().queued.is_empty(), "the slot is taken");
    // Every change of an entry is a sync event: two added, two offers, one expiry, one accept.
    let db = rusqlite::Connection::open(shop.dir.path().join(salonbox::store::DB_FILE)).unwrap();
    let statuses: Vec<String> = db
        .prepare(
            "SELECT json_extract(payload, '$.status') FROM sync_outbox WHERE type = 'waitlist.changed' ORDER BY seq",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(statuses, ["waiting", "waiting", "offered", "expired", "offered", "accepted"]);
}

#[test]
fn win_back_follows_each_customers_rhythm_and_balances_get_their_reminder() {
    use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
    use salonbox::app::membership::CourseSaleRequest;
    use salonbox::domain::checkout::Tender;
    let shop = Shop::new("winback_floor_days = 30\nwinback_holdout_percent = 0\n");
    let regular = shop.customer("王芳", "13800001111", true);
    let quiet_no_consent = shop.customer("陈静", "13800002222", false);
    let recent = shop.customer("刘洋", "13800003333", true);
    let mut app = shop.app();
    let visit = |app: &mut App, phone: &str, at: DateTime<Utc>| {
        shop.clock.set(at);
        app.checkout(&CheckoutRequest {
            customer: Some(phone.into()),
            items: vec![ItemRequest {
                item: ItemKey::Service("面部深层清洁".into()),
                quantity: 1,
                staff: vec![("李娜".into(), None)],
                expected_unit_price: None,
            }],
            coupon: None,
            points: Default::default(),
            stored_value: Default::default(),
            tenders: vec![(Tender::Cash, "198".parse().unwrap())],
            actor: "test".into(),
        })
        .unwrap();
    };
    let now = shanghai(23, 11, 0);
    // Every 20 days, the last 60 days ago: overdue (3 × rhythm).
    for d in [100, 80, 60] {
        visit(&mut app, "13800001111", now - Duration::days(d));
        visit(&mut app, "13800002222", now - Duration::days(d));
    }
    // Every 20 days too, but the last 20 days ago: on time.
    for d in [60, 40, 20] {
        visit(&mut app, "13800003333", now - Duration::days(d));
    }
    shop.clock.set(now);
    let r = app.run_job("winback", now, false).unwrap();
    let who: Vec<Option<String>> = r.queued.iter().map(|q| q.customer_id.clone()).collect();
    assert_eq!(
        who,
        vec![Some(regular.clone())],
        "overdue with consent only ({quiet_no_consent} has none, {recent} is on time)"
    );
    // A week later: not again within 90 days.
    assert!(app.run_job("winback", now + Duration::days(7), false).unwrap().queued.is_empty());

    // A course with sessions left ending in ten days.
    app.sell_course(
        &CourseSaleRequest {
            customer: "13800003333".into(),
            service: "面部深层清洁".into(),
            sessions: 5,
            price: "800".parse().unwrap(),
            valid_days: Some(10),
            tenders: vec![(Tender::Cash, "800".parse().unwrap())],
        },
        "test",
    )
    .unwrap();
    let r = app.run_job("balances", now, false).unwrap();
    assert_eq!(r.queued.len(), 1, "{r:?}");
    assert_eq!(r.queued[0].template, "course_left");
    assert!(r.queued[0].summary.contains("×5"), "{}", r.queued[0].summary);
    assert!(app.run_job("balances", now + Duration::days(1), false).unwrap().queued.is_empty(), "once per course");
}

#[test]
fn retention_purges_settled_messages_but_keeps_unknown_ones() {
    let shop = Shop::new("");
    let mut app = shop.app();
    let sent = app.queue_test_message("13800001111", "test").unwrap();
    let lost = app.queue_test_message("13800002222", "test").unwrap();
    let mut d = shop.daemon();
    rt().block_on(d.send_now(&sent, Some("aliyun_sms"))).unwrap();
    assert!(app.claim_message(&lost).unwrap());
    // Cut off during a send through a channel nobody can ask: unknown, for a person.
    app.message_attempt(&lost, "wecom", None).unwrap();
    app.recover_messages().unwrap();
    let later = shop.clock.now() + Duration::days(181);
    let r = app.run_job("retention", later, true).unwrap();
    assert!(r.note.contains("purged 0 print jobs, 1 messages"), "{}", r.note);
    assert_eq!(shop.messages().len(), 2, "a dry run purges nothing");
    app.run_job("retention", later, false).unwrap();
    let left = shop.messages();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].dedupe_key.as_str(), left[0].status.as_str()), (lost.as_str(), "unknown"));
}

#[test]
fn the_cloud_relay_sends_once_even_when_its_answer_is_lost() {
    let shop = Shop::with_sms("relay", "");
    shop.customer("王芳", "13800001111", false);
    shop.book("13800001111", "2026-11-24 14:00");
    shop.clock.set(shanghai(23, 18, 0));
    let mut d = shop.daemon();
    d.app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    // The cloud stores the message, but its answer never arrives: a timeout, retried later.
    shop.providers.fail("relay", &[Fault::StoredThenHang]);
    rt().block_on(d.send_due(&stop())).unwrap();
    let m = shop.message("reminder:");
    assert_eq!(m.status, "pending", "{m:?}");
    assert!(m.last_error.unwrap().contains("timeout"));
    shop.clock.set(m.not_before);
    rt().block_on(d.send_due(&stop())).unwrap();
    let m = shop.message("reminder:");
    assert_eq!(
        (m.status.as_str(), m.sent_via.as_deref(), m.provider_ref.as_deref()),
        ("sent", Some("relay"), Some("duplicate"))
    );
    let got = shop.providers.received();
    assert_eq!(got.len(), 1, "delivered once: {:?}", shop.providers.rejections());
    assert_eq!((got[0].provider, got[0].to.as_str()), ("relay", "13800001111"));
    assert_eq!(got[0].message_id.as_deref(), Some(m.dedupe_key.as_str()));
    let params: serde_json::Value = serde_json::from_str(&got[0].content).unwrap();
    assert_eq!(params["time"], "14:00");
}

#[test]
fn low_stock_tells_the_staff_group_once_a_day() {
    let shop = Shop::new("[messages.routes]\nstaff = [\"wecom\"]\n");
    let mut app = shop.app();
    let serum = app.add_product("P001", "玻尿酸精华", "护肤品", "298".parse().unwrap(), "test").unwrap();
    let mask = app.add_product("P002", "补水面膜", "护肤品", "68".parse().unwrap(), "test").unwrap();
    shop.sql(&format!(
        "UPDATE products SET low_stock = 5 WHERE id IN ('{0}', '{1}');
         INSERT INTO stock_movements (id, product_id, delta, reason, at) VALUES ('m1', '{0}', 3, 'received', 0), ('m2', '{1}', 12, 'received', 0);",
        serum.id, mask.id
    ));
    let r = app.run_job("low_stock", shop.clock.now(), false).unwrap();
    assert_eq!(r.queued.len(), 1, "{r:?}");
    assert!(r.queued[0].summary.contains("玻尿酸精华 3/5"));
    assert!(
        app.run_job("low_stock", shop.clock.now() + Duration::hours(1), false).unwrap().queued.is_empty(),
        "once a day"
    );
    let mut d = shop.daemon();
    rt().block_on(d.send_due(&stop())).unwrap();
    let got = shop.providers.received();
    assert_eq!(got[0].provider, "wecom");
    assert!(got[0].content.contains("玻尿酸精华 剩 3件，低于提醒线 5"), "{}", got[0].content);
}

#[test]
fn scheduled_jobs_wait_for_a_synchronised_clock() {
    let flag_dir = artefacts::tempdir();
    let flag = flag_dir.path().join("synchronized");
    let shop = Shop::new("");
    let mut config = shop.config.clone();
    config.jobs.clock_sync_file = Some(flag.clone());
    shop.clock.set(shanghai(23, 17, 59));
    let mut d = Daemon::new(App::open(config, shop.dir.path(), shop.clock.clone()).unwrap()).unwrap();
    shop.clock.set(shanghai(23, 18, 1));
    rt().block_on(d.tick(&stop())).unwrap();
    assert!(d.app.jobs_status().unwrap().iter().all(|j| j.last_run_at.is_none()), "nothing ran, nothing scheduled");
    std::fs::write(&flag, "").unwrap();
    rt().block_on(d.tick(&stop())).unwrap();
    assert!(
        d.app.jobs_status().unwrap().iter().all(|j| j.last_run_at.is_some()),
        "the schedule starts once the clock is trusted"
    );
}

#[test]
fn the_daily_summary_goes_to_the_group_or_the_owners_phone() {
    let shop = Shop::new("[messages.routes]\nstaff = [\"wecom\"]\n");
    let mut d = shop.daemon();
    shop.clock.set(shanghai(23, 21, 30));
    d.app.run_job("daily_summary", shop.clock.now(), false).unwrap();
    rt().block_on(d.send_due(&stop())).unwrap();
    let got = shop.providers.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].provider, "wecom");
    assert!(got[0].content.contains("营业小结") && got[0].content.contains("营业额 0.00 元"), "{}", got[0].content);

    let owner = Shop::new(
        "[messages]\nowner_phone = \"139 0000 1111\"\n[messages.templates.daily_summary]\naliyun = \"SMS_1006\"\n",
    );
    let mut d = owner.daemon();
    owner.clock.set(shanghai(23, 21, 30));
    d.app.run_job("daily_summary", owner.clock.now(), false).unwrap();
    rt().block_on(d.send_due(&stop())).unwrap();
    let got = owner.providers.received();
    assert_eq!(got.len(), 1, "{:?}", owner.messages());
    assert_eq!((got[0].provider, got[0].to.as_str(), got[0].template.as_str()), ("aliyun", "13900001111", "SMS_1006"));
}

#[test]
fn a_shop_without_channels_drops_messages_with_the_reason_instead_of_failing() {
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    shop.book("13800001111", "2026-11-24 14:00");
    shop.clock.set(shanghai(23, 18, 0));
    let bare = Config::from_toml("[jobs]\nclock_sync_file = \"\"\n", &shop.dir.path().join("bare.toml")).unwrap();
    let mut d = Daemon::new(App::open(bare, shop.dir.path(), shop.clock.clone()).unwrap()).unwrap();
    d.app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    rt().block_on(d.send_due(&stop())).unwrap();
    let m = shop.message("reminder:");
    assert_eq!(m.status, "dropped");
    assert!(m.last_error.unwrap().contains("no channel set up for it: wechat, sms"));
    assert!(shop.providers.received().is_empty());
    assert_eq!(
        d.app.message_problems(shop.clock.now() - Duration::days(1)).unwrap(),
        (0, 0),
        "nothing for staff to fix"
    );
}

/// Runs what a tick runs for messages: the looks at providers that are due, then the sends.
fn work(d: &mut Daemon) {
    rt().block_on(async {
        d.resolve_due(&stop()).await.unwrap();
        d.send_due(&stop()).await.unwrap();
    });
}

/// Moves the shop's clock to the message's next look at its provider, and runs it.
fn next_look(shop: &Shop, d: &mut Daemon, key: &str) {
    let m = shop.message(key);
    assert_eq!(m.status, "unknown", "{m:?}");
    let at = m.check_after.unwrap_or_else(|| panic!("no look planned: {m:?}"));
    shop.clock.set(at.max(shop.clock.now()));
    work(d);
}

/// How often each outbox id reached a provider.
fn deliveries(shop: &Shop, id: &str) -> usize {
    shop.providers.received().iter().filter(|r| r.message_id.as_deref() == Some(id)).count()
}

#[test]
fn an_sms_whose_answer_was_lost_is_resolved_with_aliyun_and_delivered_exactly_once() {
    let shop = Shop::new("");
    let mut app = shop.app();
    // Accepted, then the connection dropped (a reset); accepted, answered after the timeout;
    // and a request the provider never took (closed before it was read).
    let faults = [Fault::StoredThenClose, Fault::StoredThenHang, Fault::Close];
    let keys: Vec<String> = ["13800001111", "13800002222", "13800003333"]
        .iter()
        .map(|p| app.queue_test_message(p, "test").unwrap())
        .collect();
    let mut d = shop.daemon();
    for (key, fault) in keys.iter().zip(&faults) {
        shop.providers.fail("aliyun", std::slice::from_ref(fault));
        rt().block_on(d.send_now(key, None)).unwrap();
        let m = shop.message(key);
        assert_eq!(m.status, "unknown", "{fault:?}: {m:?}");
        assert_eq!(m.attempt_via.as_deref(), Some("aliyun_sms"));
        assert!(m.check_after.is_some(), "the provider will be asked: {m:?}");
    }
    // Being resolved: nothing for a person yet, and nothing sent again meanwhile.
    assert_eq!(app.message_problems(shop.clock.now() - Duration::days(1)).unwrap(), (0, 0));
    work(&mut d);
    assert_eq!(shop.providers.requests("aliyun"), 3, "no blind resend");

    // The first look (all three are due together): Aliyun lists the two it took.
    let lost = shop.message(&keys[2]);
    next_look(&shop, &mut d, &keys[0]);
    for key in &keys[..2] {
        let m = shop.message(key);
        assert_eq!((m.status.as_str(), m.sent_via.as_deref()), ("sent", Some("aliyun_sms")), "{m:?}");
        assert_eq!(deliveries(&shop, &m.id), 1);
    }
    // The third: Aliyun has no record. Asked again until two minutes after the attempt,
    // then it goes again, once.
    assert_eq!(shop.message(&keys[2]).status, "unknown");
    assert_eq!(deliveries(&shop, &lost.id), 0);
    let mut looks = 1;
    while shop.message(&keys[2]).status == "unknown" {
        next_look(&shop, &mut d, &keys[2]);
        looks += 1;
        assert!(looks < 6, "resolved within its window");
    }
    work(&mut d);
    let m = shop.message(&keys[2]);
    assert_eq!(m.status, "sent", "{m:?}");
    assert!(shop.clock.now() - lost.attempt_at.unwrap() >= Duration::minutes(2));
    assert_eq!(deliveries(&shop, &m.id), 1);
    assert!(shop.providers.requests("aliyun_query") >= 4);
    assert!(shop.providers.rejections().is_empty(), "{:?}", shop.providers.rejections());
    // Settled for good: nothing more goes out.
    shop.clock.set(shop.clock.now() + Duration::hours(1));
    work(&mut d);
    assert_eq!(shop.providers.received().len(), 3);
}

#[test]
fn a_reset_then_a_late_answer_still_reaches_the_customer_once() {
    // Measured from outside before: accepted + reset, then the retry accepted + answered
    // after the timeout, reached the customer three times.
    let shop = Shop::new("");
    shop.customer("王芳", "13800001111", false);
    shop.book("13800001111", "2026-11-24 14:00");
    shop.clock.set(shanghai(23, 18, 0));
    let mut d = shop.daemon();
    d.app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    shop.providers.fail("aliyun", &[Fault::StoredThenClose, Fault::StoredThenHang]);
    // The query itself fails at first: asked again later, never resent meanwhile.
    shop.providers.fail("aliyun_query", &[Fault::Status(503), Fault::Close]);
    work(&mut d);
    for _ in 0..3 {
        next_look(&shop, &mut d, "reminder:");
    }
    let m = shop.message("reminder:");
    assert_eq!((m.status.as_str(), m.attempts), ("sent", 1), "{m:?}");
    assert_eq!(shop.providers.received().len(), 1);
    assert_eq!(shop.providers.requests("aliyun"), 1);
}

#[test]
fn a_provider_that_cannot_be_asked_leaves_the_message_to_a_person() {
    let shop = Shop::new("[messages.routes]\nstaff = [\"wecom\"]\ntransactional = [\"wechat\", \"sms\"]\n");
    let mut app = shop.app();
    // The staff group's bot took it, then dropped the connection.
    shop.providers.fail("wecom", &[Fault::StoredThenClose]);
    let staff = app.queue_test_message("staff", "test").unwrap();
    let mut d = shop.daemon();
    rt().block_on(d.send_now(&staff, None)).unwrap();
    let m = shop.message(&staff);
    assert_eq!((m.status.as_str(), m.check_after), ("unknown", None), "{m:?}");
    assert!(m.last_error.as_deref().unwrap().contains("salonbox notifications retry"), "{m:?}");
    assert_eq!(app.message_problems(shop.clock.now() - Duration::days(1)).unwrap(), (1, 0));
    shop.clock.set(shop.clock.now() + Duration::hours(3));
    work(&mut d);
    assert_eq!(shop.providers.requests("wecom"), 1, "never sent again by itself");
    // The staff saw it in the group: a person records it as sent.
    let m = app.confirm_message_sent(&staff, "test").unwrap();
    assert_eq!((m.status.as_str(), m.sent_via.as_deref()), ("sent", Some("wecom")));
    assert_eq!(app.message_problems(shop.clock.now() - Duration::days(1)).unwrap(), (0, 0));
    assert!(app.confirm_message_sent(&staff, "test").is_err(), "only an unknown one");

    // WeChat: the template message was taken, the answer lost. Not sent again, not by SMS.
    let id = shop.customer("王芳", "13800001111", false);
    shop.sql(&format!("UPDATE customers SET wechat_openid = 'openid-wang' WHERE id = '{id}'"));
    shop.book("13800001111", "2026-11-24 14:00");
    shop.clock.set(shanghai(23, 18, 0));
    d.app.run_job("reminder_day_before", shop.clock.now(), false).unwrap();
    shop.providers.fail("wechat", &[Fault::StoredThenClose]);
    work(&mut d);
    let m = shop.message("reminder:");
    assert_eq!((m.status.as_str(), m.attempt_via.as_deref()), ("unknown", Some("wechat")), "{m:?}");
    shop.clock.set(shop.clock.now() + Duration::minutes(30));
    work(&mut d);
    let got = shop.providers.received();
    assert_eq!(got.iter().filter(|r| r.provider == "wechat").count(), 1);
    assert!(got.iter().all(|r| r.provider != "aliyun"), "no second copy by SMS: {got:?}");
    // A person asked her: she has nothing. Sent again on their word.
    app.retry_message(&m.dedupe_key, "test").unwrap();
    work(&mut d);
    assert_eq!(shop.message("reminder:").status, "sent");
}

#[test]
fn tencent_per_number_failures_and_lost_answers_are_told_apart() {
    let shop = Shop::with_sms("tencent", "");
    let mut app = shop.app();
    let mut d = shop.daemon();
    // A 200 whose status set fails the number: final, the code kept.
    shop.providers.fail("tencent", &[Fault::PerNumber("InvalidParameterValue.IncorrectPhoneNumber".into())]);
    let bad = app.queue_test_message("13800009999", "test").unwrap();
    rt().block_on(d.send_now(&bad, Some("tencent_sms"))).unwrap();
    let m = shop.message(&bad);
    assert_eq!(m.status, "failed");
    assert!(m.last_error.unwrap().contains("IncorrectPhoneNumber"));
    // A 200 with a per-number limit of 30 s: a retry after it.
    shop.providers.fail("tencent", &[Fault::PerNumber("LimitExceeded.PhoneNumberThirtySecondLimit".into())]);
    let limited = app.queue_test_message("13800008888", "test").unwrap();
    rt().block_on(d.send_now(&limited, Some("tencent_sms"))).unwrap();
    let m = shop.message(&limited);
    assert_eq!(m.status, "pending");
    assert!(m.not_before - shop.clock.now() >= Duration::seconds(30));

    // Taken, connection reset: the receipt settles it.
    shop.providers.fail("tencent", &[Fault::StoredThenClose]);
    let lost = app.queue_test_message("13800001111", "test").unwrap();
    rt().block_on(d.send_now(&lost, Some("tencent_sms"))).unwrap();
    next_look(&shop, &mut d, &lost);
    let m = shop.message(&lost);
    assert_eq!((m.status.as_str(), m.provider_ref.as_deref()), ("sent", Some("serial-1")), "{m:?}");

    // Taken, but the handset is off: no receipt. Tencent lists nothing until it is in, so
    // after ten minutes a person decides; it is never sent again by itself.
    shop.providers.state.lock().unwrap().no_receipts = true;
    shop.providers.fail("tencent", &[Fault::StoredThenHang]);
    let off = app.queue_test_message("13800002222", "test").unwrap();
    rt().block_on(d.send_now(&off, Some("tencent_sms"))).unwrap();
    let mut looks = 0;
    while shop.message(&off).check_after.is_some() {
        next_look(&shop, &mut d, &off);
        looks += 1;
        assert!(looks < 8);
    }
    let m = shop.message(&off);
    assert_eq!(m.status, "unknown");
    assert!(shop.clock.now() - m.attempt_at.unwrap() >= Duration::minutes(10));
    assert!(m.last_error.unwrap().contains("回执"));
    assert_eq!(deliveries(&shop, &m.id), 1);
    assert!(shop.providers.rejections().is_empty(), "{:?}", shop.providers.rejections());
}

#[test]
fn a_provider_that_never_answers_the_query_hands_the_message_to_a_person() {
    let shop = Shop::new("");
    let mut app = shop.app();
    let mut d = shop.daemon();
    shop.providers.fail("aliyun", &[Fault::StoredThenHang]);
    shop.providers.fail("aliyun_query", &vec![Fault::Status(500); 40]);
    let key = app.queue_test_message("13800001111", "test").unwrap();
    rt().block_on(d.send_now(&key, None)).unwrap();
    let mut looks = 0;
    while shop.message(&key).check_after.is_some() {
        next_look(&shop, &mut d, &key);
        looks += 1;
    }
    assert_eq!(looks, salonbox::domain::messages::RESOLVE_TRIES);
    let m = shop.message(&key);
    assert_eq!(m.status, "unknown");
    assert!(m.last_error.unwrap().contains("HTTP 500"));
    assert_eq!(app.message_problems(shop.clock.now() - Duration::days(1)).unwrap(), (1, 0));
    assert_eq!(shop.providers.requests("aliyun"), 1);
}

#[test]
fn a_slow_provider_does_not_starve_the_watchdog() {
    use std::os::unix::net::UnixDatagram;
    use std::time::Instant;
    let shop = Shop::new("");
    // A provider that takes the message and answers after the daemon's 6 s timeout: one
    // send lasts longer than the watchdog's 3 s.
    let toml = shop.dir.path().join("salonbox.toml");
    let text = std::fs::read_to_string(&toml).unwrap().replace("timeout_seconds = 1", "timeout_seconds = 6");
    std::fs::write(&toml, text).unwrap();
    shop.providers.fail("aliyun", &[Fault::Late(std::time::Duration::from_secs(8))]);
    let key = {
        let mut app = shop.app();
        app.queue_test_message("13800001111", "test").unwrap()
    };
    // systemd's side: the notify socket (a short path: sun_path holds 108 bytes).
    let sock = std::env::temp_dir().join(format!("salonbox-wd-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&sock);
    let listener = UnixDatagram::bind(&sock).unwrap();
    listener.set_read_timeout(Some(std::time::Duration::from_millis(200))).unwrap();
    // systemd sets WATCHDOG_PID to the service's pid: the shell's, which exec keeps.
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(r#"WATCHDOG_PID=$$ exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_salonbox"))
        .arg("--config")
        .arg(&toml)
        .arg("--data-dir")
        .arg(shop.dir.path())
        .arg("daemon")
        .env("SALONBOX_NOW", shop.clock.now().to_rfc3339())
        .env("NOTIFY_SOCKET", &sock)
        .env("WATCHDOG_USEC", "3000000")
        .stdout(std::process::Stdio::null())
        .stderr(artefacts::log(shop.dir.path(), "daemon-watchdog.log"));
    let mut child = c.spawn().unwrap();
    let started = Instant::now();
    let mut pings = Vec::new();
    let mut ready = false;
    let mut settled_at = None;
    let mut buf = [0u8; 256];
    loop {
        if let Ok(n) = listener.recv(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            ready |= text.contains("READY=1");
            if text.contains("WATCHDOG=1") {
                pings.push(Instant::now());
            }
        }
        if settled_at.is_none() && shop.message(&key).status != "pending" && shop.message(&key).status != "sending" {
            settled_at = Some(Instant::now());
        }
        // Watch on past the send's end for two more pings.
        if settled_at.is_some_and(|t| pings.iter().filter(|p| **p > t).count() >= 2) {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(40), "the send never settled: {pings:?}");
        assert!(child.try_wait().unwrap().is_none(), "the daemon exited");
    }
    terminate(&mut child);
    let _ = std::fs::remove_file(&sock);
    assert!(ready, "READY=1 was sent");
    let m = shop.message(&key);
    assert_eq!(m.status, "unknown", "the late answer left it unknown: {m:?}");
    // From the first ping to the last, never a gap the watchdog (3 s) would have ended.
    let gaps: Vec<f64> = pings.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()).collect();
    assert!(pings.len() >= 6, "{gaps:?}");
    assert!(gaps.iter().all(|g| *g < 2.5), "a gap in the watchdog's pings while a send was in flight: {gaps:?}");
}
