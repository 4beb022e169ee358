//! A campaign over the demo shop: its audience checked by hand, messages sent through the
//! provider servers on loopback, participation recorded, and an effect reported against
//! the hold-out group, every figure recomputed here from the receipts.

#[path = "support/artefacts.rs"]
mod artefacts;
#[path = "support/providers.rs"]
mod providers;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use providers::Providers;
use rust_decimal::Decimal;
use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
use salonbox::app::demo::DemoSize;
use salonbox::app::{App, init};
use salonbox::clock::{Clock, FixedClock};
use salonbox::config::Config;
use salonbox::daemon::Daemon;
use salonbox::domain::campaign::{Audience, CampaignDef, Message, Offer};
use salonbox::domain::checkout::{CouponKind, Tender};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

struct Shop {
    dir: tempfile::TempDir,
    clock: Arc<FixedClock>,
    config: Config,
    providers: Providers,
}

impl Shop {
    fn new() -> Shop {
        let providers = Providers::start();
        let dir = artefacts::tempdir();
        let text = format!(
            "{}\n[messages]\nrate_per_minute = 100000\n[jobs]\nclock_sync_file = \"\"\n",
            providers.config_with("aliyun")
        );
        let path = dir.path().join("salonbox.toml");
        std::fs::write(&path, &text).unwrap();
        let config = Config::from_toml(&text, &path).unwrap();
        init(&config, dir.path()).unwrap();
        // Monday 2026-11-23 10:30 in Shanghai: within marketing hours.
        let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).single().unwrap()));
        Shop { dir, clock, config, providers }
    }

    fn app(&self) -> App {
        App::open(self.config.clone(), self.dir.path(), self.clock.clone()).unwrap()
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join(salonbox::store::DB_FILE)).unwrap()
    }

    fn ids(&self, sql: &str) -> Vec<String> {
        let db = self.db();
        let mut st = db.prepare(sql).unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }
}

fn foot() -> ItemKey {
    ItemKey::Service("足部护理".into())
}

fn checkout(app: &mut App, customer: &str, coupon: Option<String>) -> Decimal {
    let req = CheckoutRequest {
        coupon,
        ..CheckoutRequest::paid(Some(customer), vec![ItemRequest::of(foot(), 1)], Tender::Cash, d("1000"), "test")
    };
    app.checkout(&req).unwrap().bill.total
}

#[test]
fn a_campaign_previews_sends_records_and_reports_its_effect_against_the_hold_out() {
    let shop = Shop::new();
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 400, days_of_history: 180 }, 11).unwrap();
    app.add_coupon_template("回馈券", &CouponKind::AmountOff { amount: d("30"), min_spend: d("0") }, 30, 1, "test")
        .unwrap();
    let def = CampaignDef {
        name: "老客回馈".into(),
        end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        holdout_percent: 20,
        audience: Audience { min_lifetime_spend: Some(d("1000")), ..Default::default() },
        offer: Offer { coupon: Some("回馈券".into()) },
        message: Message {
            text: "{shop}感谢{name}，送您{coupon}一张，{valid_to}前有效。".into(),
            aliyun: Some("SMS_777".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    app.campaign_create(&def, "test").unwrap();
    // A second campaign of the same name is refused.
    assert!(app.campaign_create(&def, "test").is_err());

    // The audience by hand: consent, not opted out, not deleted, reachable, lifetime spend ≥ 1000.
    let expected: HashSet<String> = shop
        .ids(
            "SELECT c.id FROM customers c WHERE c.marketing_consent = 1 AND c.marketing_opt_out_at IS NULL
               AND c.deleted_at IS NULL AND c.phone IS NOT NULL
               AND (SELECT COALESCE(SUM(total_fen), 0) FROM visits v WHERE v.customer_id = c.id
                      AND v.kind = 'checkout' AND v.status = 'completed' AND v.voids_visit_id IS NULL) >= 100000",
        )
        .into_iter()
        .collect();
    assert!(expected.len() > 20, "the demo shop should have loyal customers: {}", expected.len());
    let p = app.campaign_preview("老客回馈", 2).unwrap();
    assert_eq!(p.audience, expected.len());
    assert_eq!(p.target + p.holdout, p.audience);
    assert!(p.holdout > 0 && p.holdout < p.audience / 2, "{} of {}", p.holdout, p.audience);
    assert_eq!(p.samples.len(), 2);
    assert!(p.samples[0].1.contains("回馈券") && p.samples[0].1.ends_with("回T退订"), "{:?}", p.samples);

    let s = app.campaign_start("老客回馈", "test").unwrap();
    assert_eq!((s.target, s.holdout, s.messages, s.coupons, s.skipped), (p.target, p.holdout, p.target, p.target, 0));
    assert!(app.campaign_start("老客回馈", "test").is_err(), "a campaign starts once");
    let members: HashSet<String> = shop.ids("SELECT customer_id FROM campaign_members").into_iter().collect();
    assert_eq!(members, expected);

    // The daemon sends them through Aliyun (the provider server checks every signature).
    let mut daemon = Daemon::new(shop.app()).unwrap();
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(daemon.send_due(&stop)).unwrap();
    let received = shop.providers.received();
    assert_eq!(received.len(), s.target);
    assert!(received.iter().all(|r| r.provider == "aliyun" && r.template == "SMS_777"), "{received:?}");
    assert!(shop.providers.rejections().is_empty(), "{:?}", shop.providers.rejections());

    // Over the next days: three of the campaign group come with their coupon, one without;
    // two of the hold-out come.
    let target = shop.ids("SELECT customer_id FROM campaign_members WHERE grp = 'target' ORDER BY customer_id");
    let holdout = shop.ids("SELECT customer_id FROM campaign_members WHERE grp = 'holdout' ORDER BY customer_id");
    shop.clock.advance(Duration::days(3));
    let mut app = shop.app();
    let mut redeemers_revenue = Decimal::ZERO;
    for c in &target[..3] {
        let code =
            app.membership(c).unwrap().coupons.into_iter().find(|k| k.coupon.name == "回馈券").unwrap().coupon.code;
        redeemers_revenue += checkout(&mut app, c, Some(code));
    }
    let target_revenue = redeemers_revenue + checkout(&mut app, &target[3], None);
    let holdout_revenue = checkout(&mut app, &holdout[0], None) + checkout(&mut app, &holdout[1], None);
    // A visit that is voided does not count.
    let v = app
        .checkout(&CheckoutRequest::paid(
            Some(&target[4]),
            vec![ItemRequest::of(foot(), 1)],
            Tender::Cash,
            d("1000"),
            "test",
        ))
        .unwrap();
    app.void_visit(&v.visit_id, "test").unwrap();

    let r = app.campaign_report("老客回馈").unwrap();
    let (t, h) = (&r.target, &r.holdout);
    assert_eq!((t.members, t.reached, t.redeemed, t.visited), (target.len() as i64, target.len() as i64, 3, 4));
    assert_eq!((t.revenue, t.revenue_redeemers), (target_revenue, redeemers_revenue));
    assert_eq!(
        (h.members, h.reached, h.redeemed, h.visited, h.revenue),
        (holdout.len() as i64, 0, 0, 2, holdout_revenue)
    );
    // By hand: the visit rates' difference in points, and the revenue per member's
    // difference times the campaign group.
    let (tn, hn) = (Decimal::from(target.len()), Decimal::from(holdout.len()));
    let points = ((Decimal::from(4) / tn - Decimal::from(2) / hn) * Decimal::from(100)).round_dp(1);
    let extra = ((target_revenue / tn - holdout_revenue / hn) * tn).round_dp(2);
    assert_eq!((r.visit_uplift_points, r.extra_revenue), (points, extra));
    let sections = r.sections();
    assert_eq!(sections.len(), 3);
}

#[test]
fn the_shipped_campaign_templates_read_and_start() {
    let shop = Shop::new();
    let mut app = shop.app();
    // The demo shop has what the templates name (the new service, the coupon templates).
    app.seed_demo(DemoSize { customers: 60, days_of_history: 60 }, 12).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaigns");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let def: CampaignDef = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        app.campaign_create(&def, "test").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        app.campaign_preview(&def.name, 1).unwrap();
        names.push(def.name);
    }
    names.sort();
    assert_eq!(names, ["双十二节日促销", "新品体验：玻尿酸补水导入", "老客回馈"]);
}

#[test]
fn an_audience_naming_a_tier_tag_or_service_that_does_not_exist_is_refused() {
    let shop = Shop::new();
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 60, days_of_history: 30 }, 14).unwrap();
    let def = |audience: Audience| CampaignDef {
        name: "拼写错误".into(),
        end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        audience,
        message: Message { text: "{name}您好".into(), ..Default::default() },
        ..Default::default()
    };
    let tier: String = shop
        .db()
        .query_row("SELECT name FROM membership_tiers ORDER BY rank LIMIT 1 OFFSET 1", [], |r| r.get(0))
        .unwrap();
    let cases = [
        (Audience { tiers: vec![tier.clone(), "白金卡".into()], ..Default::default() }, "audience.tiers", "白金卡"),
        (Audience { tags: vec!["不存在的标签".into()], ..Default::default() }, "audience.tags", "不存在的标签"),
        (
            Audience { services_used: vec!["面部深层清结".into()], ..Default::default() },
            "audience.services_used",
            "面部深层清结",
        ),
    ];
    for (audience, field, name) in cases {
        let err = app.campaign_create(&def(audience), "test").unwrap_err().to_string();
        assert!(err.starts_with(field) && err.contains(name), "{err}");
        // the message lists what there is, so the typo is easy to see
        assert!(err.contains("现有") && err.contains("there are"), "{err}");
    }
    assert!(app.campaigns().unwrap().is_empty(), "refused definitions store nothing");
    // names that exist are taken as they are
    app.campaign_create(&def(Audience { tiers: vec![tier], ..Default::default() }), "test").unwrap();
    assert_eq!(app.campaigns().unwrap().len(), 1);
}

#[test]
fn the_command_line_creates_previews_starts_and_reports() {
    let shop = Shop::new();
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 80, days_of_history: 90 }, 13).unwrap();
    drop(app);
    let bin = env!("CARGO_BIN_EXE_salonbox");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .arg("--config")
            .arg(shop.dir.path().join("salonbox.toml"))
            .arg("--data-dir")
            .arg(shop.dir.path())
            .args(args)
            .env("SALONBOX_NOW", "2026-11-23T10:30:00+08:00")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(&[
        "campaign",
        "create",
        "--name",
        "十二月生日",
        "--end",
        "2026-12-31",
        "--birthday-month",
        "12",
        "--text",
        "{name}生日月快乐",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (_, out, _) = run(&["campaign", "preview", "十二月生日", "--json"]);
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let expected: i64 = shop
        .db()
        .query_row(
            "SELECT COUNT(*) FROM customers WHERE substr(birthday, 6, 2) = '12' AND marketing_consent = 1 AND phone IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(p["audience"].as_i64(), Some(expected));
    let (code, out, _) = run(&["campaign", "start", "十二月生日"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("已开始"), "{out}");
    let xlsx = shop.dir.path().join("report.xlsx");
    let (code, _, err) =
        run(&["campaign", "report", "十二月生日", "--format", "xlsx", "--output", xlsx.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1000);
    let (_, out, _) = run(&["campaign", "report", "十二月生日"]);
    assert!(out.contains("效果对比") && out.contains("对照组"), "{out}");
    // A file with a typo names the line and the key.
    let bad = shop.dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nend = \"2026-12-31\"\nbudjet = 5\n[message]\ntext = \"t\"\n").unwrap();
    let (code, _, err) = run(&["campaign", "create", "--file", bad.to_str().unwrap()]);
    assert_ne!(code, Some(0));
    assert!(err.contains("budjet") && err.contains("line 3"), "{err}");
    let (code, _, err) = run(&["campaign", "create", "--name", "坏", "--end", "2026-01-01", "--text", "t"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("end"), "{err}");
}

#[test]
fn the_win_back_job_reports_like_a_campaign_with_a_standing_hold_out() {
    let shop = Shop::new();
    let mut app = shop.app();
    app.seed_demo(DemoSize { customers: 400, days_of_history: 365 }, 21).unwrap();
    // Four months on, many of the demo shop's customers are overdue.
    let now = shop.clock.now() + Duration::days(120);
    shop.clock.set(now);
    let r = app.run_job("winback", now, false).unwrap();
    let held: usize = r.note.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
    let report = app.campaign_report(salonbox::app::jobs::WINBACK_CAMPAIGN).unwrap();
    assert_eq!(report.target.members as usize, r.queued.len());
    assert_eq!(report.holdout.members as usize, held);
    assert!(r.queued.len() + held > 10, "the demo shop has customers gone quiet: {r:?}");
    // Held-out customers got no message.
    let held_ids = shop.ids("SELECT customer_id FROM campaign_members WHERE grp = 'holdout'");
    assert!(r.queued.iter().all(|q| !held_ids.contains(q.customer_id.as_ref().unwrap())));
    // The same hold-out next time: nobody moves between the groups.
    let again = app.run_job("winback", now + Duration::days(100), false).unwrap();
    let held_again = shop.ids("SELECT customer_id FROM campaign_members WHERE grp = 'holdout'");
    assert!(again.queued.iter().all(|q| !held_again.contains(q.customer_id.as_ref().unwrap())));
    assert!(held_ids.iter().all(|h| held_again.contains(h)));

    // A win-back message's effect is the 30 days after it: a visit 10 days on counts, one
    // 45 days on does not.
    let first_target =
        shop.ids("SELECT customer_id FROM campaign_members WHERE grp = 'target' ORDER BY added_at, customer_id");
    let before = app.campaign_report(salonbox::app::jobs::WINBACK_CAMPAIGN).unwrap().target;
    shop.clock.set(now + Duration::days(10));
    let spent = checkout(&mut app, &first_target[0], None);
    shop.clock.set(now + Duration::days(45));
    checkout(&mut app, &first_target[1], None);
    let after = app.campaign_report(salonbox::app::jobs::WINBACK_CAMPAIGN).unwrap().target;
    assert_eq!(after.visited, before.visited + 1);
    assert_eq!(after.revenue, before.revenue + spent);
}
