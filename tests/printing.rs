//! Printing for real over TCP 9100 against a fake network printer on loopback, which
//! answers the paper-sensor request as a printer does and can run out of paper or be off;
//! the bytes it receives are decoded back into documents.

#[path = "support/artefacts.rs"]
mod artefacts;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use salonbox::app::checkin::{CheckinRequest, Identity};
use salonbox::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
use salonbox::app::customers::Registration;
use salonbox::app::report::Period;
use salonbox::app::{App, init};
use salonbox::clock::FixedClock;
use salonbox::config::Config;
use salonbox::devices::escpos_read::{Align, decode};
use salonbox::devices::paper::Paper;
use salonbox::devices::printer::{EscposPrinter, PrinterSpec, SimPrinter};
use salonbox::domain::checkout::{Tender, Use};
use salonbox::domain::phone::Phone;
use salonbox::station::printing::{self, Drained, PrintWorker};

/// Paper-sensor answers: fixed bits 1 and 4; bits 5 and 6 when the roll is out.
const PAPER_OK: u8 = 0x12;
const PAPER_OUT: u8 = 0x72;

/// A network printer: every connection's bytes (status requests taken out) are one job.
struct FakePrinter {
    port: u16,
    jobs: Arc<Mutex<Vec<Vec<u8>>>>,
    paper: Arc<Mutex<u8>>,
    /// The roll runs out during the next jobs: `GS r 1` after them says so.
    runs_out: Arc<Mutex<bool>>,
}

impl FakePrinter {
    fn start() -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let jobs: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let paper = Arc::new(Mutex::new(PAPER_OK));
        let runs_out = Arc::new(Mutex::new(false));
        let (j, p, r) = (jobs.clone(), paper.clone(), runs_out.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let (j, p, r) = (j.clone(), p.clone(), r.clone());
                std::thread::spawn(move || serve(conn, &j, &p, &r));
            }
        });
        FakePrinter { port, jobs, paper, runs_out }
    }

    fn spec(&self) -> PrinterSpec {
        PrinterSpec::Tcp { host: "127.0.0.1".into(), port: self.port }
    }

    fn jobs(&self) -> Vec<Vec<u8>> {
        self.jobs.lock().unwrap().clone()
    }
}

fn serve(mut conn: TcpStream, jobs: &Mutex<Vec<Vec<u8>>>, paper: &Mutex<u8>, runs_out: &Mutex<bool>) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut job = Vec::new();
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
        // answer `DLE EOT n` and `GS r 1` (after the job before it); everything else is the job
        let mut i = 0;
        while i < pending.len() {
            if pending[i] == 0x10 {
                if pending.len() < i + 3 {
                    break;
                }
                let answer = if pending[i + 2] == 4 { *paper.lock().unwrap() } else { 0x12 };
                conn.write_all(&[answer]).unwrap();
                i += 3;
            } else if pending[i] == 0x1D && pending.get(i + 1) == Some(&0x72) {
                if pending.len() < i + 3 {
                    break;
                }
                let out = *runs_out.lock().unwrap() || *paper.lock().unwrap() == PAPER_OUT;
                conn.write_all(&[if out { 0x0C } else { 0x00 }]).unwrap();
                i += 3;
            } else {
                job.push(pending[i]);
                i += 1;
            }
        }
        pending.drain(..i);
    }
    if !job.is_empty() {
        jobs.lock().unwrap().push(job);
    }
}

/// Monday 2026-11-23 10:00 in Shanghai.
fn shop() -> (tempfile::TempDir, App, Arc<FixedClock>) {
    let dir = artefacts::tempdir();
    init(&Config::default(), dir.path()).unwrap();
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).single().unwrap()));
    let mut app = App::open(Config::default(), dir.path(), clock.clone()).unwrap();
    app.add_service("面部深层清洁", "面部护理", 60, "198", None, "test").unwrap();
    app.add_staff(
        &salonbox::app::staff::StaffInput { name: "李娜".into(), role: "beautician".into(), ..Default::default() },
        "test",
    )
    .unwrap();
    app.add_shift("李娜", app.today(), "10:00-21:00", "test").unwrap();
    app.register(&Registration {
        name: "王芳".into(),
        phone: "13812345678".into(),
        gender: Some("女".into()),
        privacy_notice: Some("2026-11".into()),
        source: "test".into(),
        ..Default::default()
    })
    .unwrap();
    (dir, app, clock)
}

fn check_in(app: &mut App) -> salonbox::app::checkin::CheckinOutcome {
    app.check_in(&CheckinRequest {
        identity: Identity::Phone(Phone::parse("13812345678").unwrap()),
        service: Some("面部深层清洁".into()),
        staff: Some("李娜".into()),
    })
    .unwrap()
}

fn printer_status(app: &mut App) -> (bool, String) {
    let s = app.device_statuses().unwrap();
    let p = s.into_iter().find(|s| s.device == "printer").expect("printer status");
    (p.ok, p.detail)
}

#[test]
fn a_ticket_prints_over_tcp_and_reads_back() {
    let (_dir, mut app, _clock) = shop();
    let fake = FakePrinter::start();
    let mut printer = EscposPrinter::new(fake.spec(), Duration::from_secs(2));
    let o = check_in(&mut app);
    printing::queue_ticket(&mut app, &o).unwrap();
    assert_eq!(printing::print_pending(&mut app, &mut printer).unwrap(), Drained::Empty { printed: 1 });
    let jobs = fake.jobs();
    assert_eq!(jobs.len(), 1);
    let d = decode(&jobs[0]).unwrap();
    let big = d.lines().find(|l| l.text == o.entry.ticket).expect("ticket number");
    assert_eq!((big.size, big.align), ((4, 4), Align::Center));
    let texts = d.texts();
    assert!(texts.iter().any(|t| t.starts_with("服务") && t.ends_with("面部深层清洁")), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("美容师") && t.ends_with("李娜")), "{texts:?}");
    assert!(texts.contains(&"2026-11-23 10:00".to_string()), "{texts:?}");
    assert_eq!(d.qr_codes(), [format!("SALONBOX:Q:{}", o.entry.id)]);
    assert_eq!(d.cuts(), 1);
    // nothing of the customer's phone on a ticket
    assert!(!texts.iter().any(|t| t.contains("5678")));
    assert_eq!(printer_status(&mut app), (true, "正常 / ready".into()));
}

#[test]
fn out_of_paper_keeps_the_job_until_the_paper_is_back() {
    let (_dir, mut app, clock) = shop();
    let fake = FakePrinter::start();
    *fake.paper.lock().unwrap() = PAPER_OUT;
    let mut printer = EscposPrinter::new(fake.spec(), Duration::from_secs(2));
    let o = check_in(&mut app);
    printing::queue_ticket(&mut app, &o).unwrap();
    let r = printing::print_pending(&mut app, &mut printer).unwrap();
    assert!(matches!(&r, Drained::Failed { printed: 0, error } if error.contains("缺纸")), "{r:?}");
    assert!(fake.jobs().is_empty(), "nothing was sent to an empty printer");
    let (ok, detail) = printer_status(&mut app);
    assert!(!ok && detail.contains("out of paper"), "{detail}");
    // the next check-in is not held up by the printer
    let second = app.check_in(&CheckinRequest {
        identity: Identity::Phone(Phone::parse("13812345678").unwrap()),
        service: Some("面部深层清洁".into()),
        staff: None,
    });
    assert!(second.unwrap().already_checked_in);
    // before the retry time nothing is tried
    let r = printing::print_pending(&mut app, &mut printer).unwrap();
    assert!(matches!(r, Drained::Waiting { printed: 0, .. }), "{r:?}");
    // paper back, retry time reached: the ticket prints, once
    *fake.paper.lock().unwrap() = PAPER_OK;
    clock.advance(chrono::Duration::seconds(5));
    assert_eq!(printing::print_pending(&mut app, &mut printer).unwrap(), Drained::Empty { printed: 1 });
    assert_eq!(fake.jobs().len(), 1);
    assert!(decode(&fake.jobs()[0]).unwrap().texts().contains(&o.entry.ticket));
    assert!(printer_status(&mut app).0);
    let jobs = app.print_jobs(5).unwrap();
    assert_eq!((jobs[0].status.as_str(), jobs[0].attempts), ("printed", 2));
}

#[test]
fn a_printer_that_is_off_fails_cleanly_and_an_old_ticket_expires() {
    let (_dir, mut app, clock) = shop();
    // a port nobody listens on
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut printer =
        EscposPrinter::new(PrinterSpec::Tcp { host: "127.0.0.1".into(), port }, Duration::from_millis(500));
    let o = check_in(&mut app);
    printing::queue_ticket(&mut app, &o).unwrap();
    let r = printing::print_pending(&mut app, &mut printer).unwrap();
    assert!(matches!(&r, Drained::Failed { error, .. } if error.contains(&port.to_string())), "{r:?}");
    // two hours later nobody wants that ticket any more
    clock.advance(chrono::Duration::minutes(121));
    assert_eq!(printing::print_pending(&mut app, &mut printer).unwrap(), Drained::Empty { printed: 0 });
    let jobs = app.print_jobs(5).unwrap();
    assert_eq!(jobs[0].status, "expired");
}

/// 王芳's facial with 李娜, paid by these tenders.
fn facial(tenders: Vec<(Tender, rust_decimal::Decimal)>) -> CheckoutRequest {
    CheckoutRequest {
        customer: Some("13812345678".into()),
        items: vec![ItemRequest {
            item: ItemKey::Service("面部深层清洁".into()),
            quantity: 1,
            staff: vec![("李娜".into(), None)],
            expected_unit_price: None,
        }],
        coupon: None,
        points: Use::Nothing,
        stored_value: Use::Nothing,
        tenders,
        actor: "test".into(),
    }
}

#[test]
fn a_receipt_shows_the_bill_and_only_a_masked_phone() {
    let (_dir, mut app, _clock) = shop();
    let r = app.checkout(&facial(vec![(Tender::Wechat, "198".parse().unwrap())])).unwrap();
    printing::queue_receipt(&mut app, &r).unwrap();
    let sim = SimPrinter::new(None);
    let mut port = sim.clone();
    assert_eq!(printing::print_pending(&mut app, &mut port).unwrap(), Drained::Empty { printed: 1 });
    let d = decode(&sim.printed()[0]).unwrap();
    let texts = d.texts();
    assert!(texts.iter().any(|t| t.contains("王芳 138****5678")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("13812345678")));
    assert!(texts.iter().any(|t| t.starts_with("应付 / total") && t.ends_with("￥198.00")), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("微信支付 / wechat") && t.ends_with("￥198.00")), "{texts:?}");
    assert!(texts.iter().any(|t| t == "美容师 李娜"), "{texts:?}");
    for l in d.lines() {
        assert!(salonbox::devices::paper::width(&l.text) * usize::from(l.size.0) <= 32, "{:?}", l.text);
    }
}

#[test]
fn the_daily_report_prints() {
    let (_dir, mut app, _clock) = shop();
    let r = app.report(Period::Daily, app.today()).unwrap();
    printing::queue_report(&mut app, &r).unwrap();
    let sim = SimPrinter::new(None);
    let mut port = sim.clone();
    printing::print_pending(&mut app, &mut port).unwrap();
    let d = decode(&sim.printed()[0]).unwrap();
    let texts = d.texts();
    assert!(texts.contains(&"日报 daily".to_string()) && texts.contains(&"2026-11-23".to_string()), "{texts:?}");
}

#[test]
fn the_worker_prints_what_is_queued_without_being_asked_twice() {
    let (dir, mut app, clock) = shop();
    let sim = SimPrinter::new(None);
    let worker = PrintWorker::spawn(dir.path().to_path_buf(), app.tz(), Box::new(sim.clone()), clock.clone()).unwrap();
    let o = check_in(&mut app);
    printing::queue_ticket(&mut app, &o).unwrap();
    printing::queue_test_page(&mut app).unwrap();
    worker.wake();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while sim.printed().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(worker);
    let printed = sim.printed();
    assert_eq!(printed.len(), 2, "both jobs, in order");
    assert!(decode(&printed[0]).unwrap().texts().contains(&o.entry.ticket));
    assert!(decode(&printed[1]).unwrap().texts().contains(&"打印测试".to_string()));
    let jobs = app.print_jobs(5).unwrap();
    assert!(jobs.iter().all(|j| j.status == "printed"));
}

#[test]
fn an_id_card_read_prefills_registration_and_then_checks_the_customer_in() {
    let (_dir, mut app, _clock) = shop();
    // what the reader hands out: the keyed hash and masked number, never the number
    let card = salonbox::devices::reader::IdCardRead {
        key: app.id_card_key("440306198501011238").unwrap(),
        name: "陈静".into(),
        gender: salonbox::domain::customer::Gender::Female,
        birth: chrono::NaiveDate::from_ymd_opt(1985, 1, 1).unwrap(),
        valid_to: None,
    };
    let mut r = salonbox::station::registration_from_card(&card);
    assert_eq!((r.name.as_str(), r.birthday.as_deref()), ("陈静", Some("1985-01-01")));
    r.phone = "13912345678".into();
    r.privacy_notice = Some("2026-11".into());
    let c = app.register(&r).unwrap();
    assert_eq!(c.id_card_masked.as_deref(), Some("440306********1238"));
    let o = app
        .check_in(&CheckinRequest {
            identity: Identity::IdCard(card.key.clone()),
            service: Some("面部深层清洁".into()),
            staff: None,
        })
        .unwrap();
    assert_eq!(o.greeting, "陈女士");
    assert_eq!(o.entry.identified_by, "id_card");
}

#[test]
fn a_quote_prices_like_checkout_and_records_nothing() {
    let (_dir, mut app, _clock) = shop();
    let req = facial(Vec::new());
    let events_before: i64 = app.outbox_stats().map(|s| s.sync_pending).unwrap();
    let q = app.quote(&req).unwrap();
    assert_eq!(q.bill.due_by_tenders, "198".parse().unwrap());
    let c = app.customer_by_key("13812345678").unwrap();
    assert_eq!(app.customer_summary(&c.id).unwrap().visits, 0, "a quote records no visit");
    let events_after: i64 = app.outbox_stats().map(|s| s.sync_pending).unwrap();
    assert_eq!(events_before, events_after, "nor any sync event");
    let paid = app.checkout(&CheckoutRequest { tenders: vec![(Tender::Cash, "198".parse().unwrap())], ..req }).unwrap();
    assert_eq!(paid.bill.total, q.bill.total);
    assert_eq!(app.customer_summary(&c.id).unwrap().visits, 1);
}

/// Every line of `doc` fits `cols` printer columns (a double-byte character is two, a
/// double-width size twice that), and every character is one a GBK printer has.
fn assert_fits(doc: &salonbox::devices::escpos_read::Decoded, cols: usize) {
    use salonbox::devices::paper::{printable, width};
    for l in doc.lines() {
        let w = width(&l.text) * usize::from(l.size.0);
        assert!(w <= cols, "{:?} takes {w} of {cols} columns", l.text);
        assert_eq!(printable(&l.text), l.text, "a character GBK printers lack");
    }
}

#[test]
fn a_full_receipt_fits_both_papers_and_reads_as_a_chinese_receipt() {
    let (_dir, mut app, _clock) = shop();
    app.config.shop.address = "杭州市西湖区文三路 138 号悦颜美容".into();
    app.config.shop.phone = "0571-88886666".into();
    app.add_product("P001", "玻尿酸补水保湿修护面膜（五片装）", "护肤品", "168".parse().unwrap(), "test").unwrap();
    app.add_coupon_template(
        "满200减30",
        &salonbox::domain::checkout::CouponKind::AmountOff {
            amount: "30".parse().unwrap(),
            min_spend: "200".parse().unwrap(),
        },
        30,
        1,
        "test",
    )
    .unwrap();
    let code = app.issue_coupon("满200减30", "13812345678", "test").unwrap();
    app.topup("13812345678", "100".parse().unwrap(), &[(Tender::Cash, "100".parse().unwrap())], "test").unwrap();
    let cashier = app.list_staff().unwrap().into_iter().find(|s| s.name == "李娜").unwrap();
    let mut req = facial(vec![(Tender::Cash, "500".parse().unwrap())]);
    req.items.push(ItemRequest {
        item: ItemKey::Product("P001".into()),
        quantity: 2,
        staff: vec![("李娜".into(), None)],
        expected_unit_price: None,
    });
    req.coupon = Some(code);
    req.stored_value = Use::Max;
    req.actor = cashier.id.clone();
    let r = app.checkout(&req).unwrap();
    for paper in [Paper::Mm58, Paper::Mm80] {
        app.config.hardware.paper = paper;
        printing::queue_receipt(&mut app, &r).unwrap();
        let sim = SimPrinter::new(None);
        let mut port = sim.clone();
        printing::print_pending(&mut app, &mut port).unwrap();
        let d = decode(&sim.printed()[0]).unwrap();
        assert_fits(&d, paper.columns());
        let texts = d.texts().join("\n");
        for want in ["文三路", "电话 Tel 0571-88886666", "收银 Cashier 李娜", "满200减30", "￥", "找零"] {
            assert!(texts.contains(want), "{want} missing on {paper:?}:\n{texts}");
        }
        assert!(!texts.contains('¥') && !texts.contains('−'), "four-byte GB18030 characters:\n{texts}");
        // lines at their list price; the discounts once, below: list − coupon = total
        let facial_line = d.lines().find(|l| l.text.trim_start().starts_with("1 × ")).unwrap();
        assert!(facial_line.text.ends_with("￥198.00"), "{:?}", facial_line.text);
        let masks = d.lines().find(|l| l.text.trim_start().starts_with("2 × ")).unwrap();
        assert!(masks.text.ends_with("￥336.00"), "{:?}", masks.text);
        assert!(texts.contains("原价合计") && texts.contains("￥534.00"), "{texts}");
        assert!(texts.contains("-￥30.00") && texts.contains("￥504.00"), "{texts}");
    }
}

#[test]
fn every_document_fits_both_papers() {
    use salonbox::devices::paper::{self, ReportDoc, SlipDoc, TicketDoc};
    let long = "水光针深层补水焕肤疗程（第三次疗程）加强版 Hydra facial deluxe ¥1280 − 10%";
    for paper in [Paper::Mm58, Paper::Mm80] {
        let cols = paper.columns();
        let ticket = TicketDoc {
            shop: long.into(),
            ticket: "W123".into(),
            ahead: "前面还有 12 位 / 12 ahead of you".into(),
            service: long.into(),
            staff: Some("欧阳娜娜".into()),
            estimate: Some("约 14:35（125 分钟）".into()),
            qr: "SALONBOX:Q:0192".into(),
            qr_online: false,
            printed_at: "2026-11-23 10:30".into(),
        };
        let slip = SlipDoc {
            ticket: "A001".into(),
            customer: "欧阳女士".into(),
            service: long.into(),
            staff: Some("李娜".into()),
            warnings: vec![format!("过敏 Allergies: {long}")],
            printed_at: "2026-11-23 10:30".into(),
        };
        let report = ReportDoc {
            shop: "悦颜美容".into(),
            title: "月报 monthly".into(),
            period: "2026-11-01 – 2026-11-30".into(),
            sections: vec![(long.into(), vec![(long.into(), "¥123,456.78  −¥12.00  98%".into())])],
            printed_at: "2026-11-23 10:30".into(),
        };
        for bytes in [
            paper::ticket(paper, &ticket).unwrap(),
            paper::slip(paper, &slip).unwrap(),
            paper::report(paper, &report).unwrap(),
            paper::test_page(paper, long, "2026-11-23 10:30").unwrap(),
        ] {
            assert_fits(&decode(&bytes).unwrap(), cols);
        }
        // sync off: the QR code is for the shop's own reader, and nobody is invited to scan it
        let t = decode(&paper::ticket(paper, &ticket).unwrap()).unwrap().texts().join("\n");
        assert!(!t.contains("扫码") && !t.contains("Scan"), "{t}");
        let online = TicketDoc { qr_online: true, ..ticket };
        let t = decode(&paper::ticket(paper, &online).unwrap()).unwrap().texts().join("\n");
        assert!(t.contains("扫码查看排队"), "{t}");
    }
}

#[test]
fn paper_running_out_during_a_job_keeps_it_for_a_reprint() {
    let (_dir, mut app, clock) = shop();
    let fake = FakePrinter::start();
    let mut printer = EscposPrinter::new(fake.spec(), Duration::from_secs(2));
    let o = check_in(&mut app);
    printing::queue_ticket(&mut app, &o).unwrap();
    // the paper is there when the job starts and gone before it ends
    *fake.runs_out.lock().unwrap() = true;
    let r = printing::print_pending(&mut app, &mut printer).unwrap();
    assert!(matches!(&r, Drained::Failed { printed: 0, error } if error.contains("缺纸")), "{r:?}");
    assert_eq!(fake.jobs().len(), 1, "the bytes went out");
    let jobs = app.print_jobs(5).unwrap();
    assert_eq!(jobs[0].status, "pending", "but the ticket is not counted as printed");
    assert!(!printer_status(&mut app).0);
    // a new roll: the ticket prints again, whole
    *fake.runs_out.lock().unwrap() = false;
    clock.advance(chrono::Duration::seconds(5));
    assert_eq!(printing::print_pending(&mut app, &mut printer).unwrap(), Drained::Empty { printed: 1 });
    assert_eq!(fake.jobs().len(), 2);
    assert!(decode(&fake.jobs()[1]).unwrap().texts().contains(&o.entry.ticket));
    let jobs = app.print_jobs(5).unwrap();
    assert_eq!((jobs[0].status.as_str(), jobs[0].attempts), ("printed", 2));
}
