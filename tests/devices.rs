//! The real serial drivers through pseudo-terminal pairs: a fake SAM module and a fake line
//! reader on the master side answer with real-format frames, the driver opens the slave by
//! a stable path (a symlink, as udev's /dev/serial/by-id gives) and polls on its thread.

#[path = "support/fake_sam.rs"]
mod fake_sam;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fake_sam::{FakeDevice, card_on_reader};

use salonbox::devices::reader::{
    CardRead, CardReader, LineProtocol, LineReader, PollSettings, Poller, ReaderEvent, SamReader,
};
use salonbox::devices::sam::{self, Command, sim};
use salonbox::devices::serial::SerialSettings;
use salonbox::domain::idcard::IdNumber;
use serialport::{SerialPort, TTYPort};

const KEY: [u8; 32] = [7; 32];

fn settings(link: &Path) -> SerialSettings {
    SerialSettings { path: link.to_string_lossy().into_owned(), baud: 115_200 }
}

fn fast() -> PollSettings {
    PollSettings {
        interval: Duration::from_millis(20),
        gone_after: Duration::from_millis(200),
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        transient_limit: 3,
    }
}

/// A status answer with its checksum broken.
fn corrupt(status: u8) -> Vec<u8> {
    let mut bad = sim::status_answer(status);
    let last = bad.len() - 1;
    bad[last] ^= 0xFF;
    bad
}

/// Waits for the first event that `want` accepts, failing after 10 s.
fn wait_for(p: &Poller, what: &str, mut want: impl FnMut(&ReaderEvent) -> bool) -> ReaderEvent {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(e) = p.events.recv_timeout(Duration::from_millis(50)) {
            if want(&e) {
                return e;
            }
            seen.push(format!("{e:?}"));
        }
    }
    panic!("no {what} within 10 s; saw {seen:?}");
}

fn expected_key(id: &str) -> salonbox::domain::idcard::IdCardKey {
    IdNumber::parse(id).expect("valid id").key(&KEY)
}

fn temp_link() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("idreader");
    (dir, link)
}

#[test]
fn a_good_read_arrives_hashed_and_masked_and_only_once() {
    let (_dir, link) = temp_link();
    let _dev = FakeDevice::start(&link, card_on_reader(sim::Card::default()));
    let poller = Poller::spawn(Box::new(SamReader::new(settings(&link), &KEY)), fast()).expect("spawn");
    wait_for(&poller, "connected", |e| matches!(e, ReaderEvent::Connected));
    let ReaderEvent::Card(CardRead::IdCard(card)) = wait_for(&poller, "card", |e| matches!(e, ReaderEvent::Card(_)))
    else {
        unreachable!()
    };
    assert_eq!(card.key, expected_key("11010519491231002X"));
    assert_eq!(card.key.masked, "110105********002X");
    assert_eq!(card.name, "张三");
    assert_eq!(card.birth, chrono::NaiveDate::from_ymd_opt(1990, 3, 7).expect("date"));
    assert_eq!(card.valid_to, None, "长期");
    // the card stays on the reader: polled again and again, reported once
    std::thread::sleep(Duration::from_millis(300));
    let again: Vec<_> = poller.events.try_iter().filter(|e| matches!(e, ReaderEvent::Card(_))).collect();
    assert!(again.is_empty(), "{again:?}");
    // nothing of the number in the debug form the kiosk might log
    assert!(!format!("{card:?}").contains("19491231"));
}

#[test]
fn no_card_means_no_event() {
    let (_dir, link) = temp_link();
    let _dev = FakeDevice::start(&link, Box::new(|_| vec![sim::status_answer(0x80)]));
    let mut reader = SamReader::new(settings(&link), &KEY);
    for _ in 0..3 {
        assert!(reader.poll().expect("poll").is_none());
    }
}

#[test]
fn garbage_split_frames_and_bad_checksums_are_survived() {
    let (_dir, link) = temp_link();
    let card = sim::Card { id: "440306198501011238", valid_to: "20350101", ..sim::Card::default() };
    let _dev = FakeDevice::start(
        &link,
        Box::new(move |c| {
            match c {
                // line noise, then a frame with a broken checksum, then the real answer
                Command::FindCard => {
                    let mut bad = sim::status_answer(0x9F);
                    let last = bad.len() - 1;
                    bad[last] ^= 0xFF;
                    vec![vec![0x13, 0x00, 0xAA, 0x55], bad, sim::status_answer(0x9F)]
                }
                // a lost byte: a truncated preamble before the frame
                Command::SelectCard => vec![[&[0xAA, 0xAA, 0x96][..], &sim::status_answer(0x90)].concat()],
                // the long answer in three pieces, across several reads
                Command::ReadText => {
                    let f = sim::read_answer(&card);
                    vec![f[..7].to_vec(), f[7..600].to_vec(), f[600..].to_vec()]
                }
                Command::SamStatus => vec![sim::status_answer(0x90)],
            }
        }),
    );
    let mut reader = SamReader::new(settings(&link), &KEY);
    let Some(CardRead::IdCard(card)) = reader.poll().expect("poll") else { panic!("no card") };
    assert_eq!(card.key, expected_key("440306198501011238"));
    assert_eq!(card.valid_to.as_deref(), Some("20350101"));
    assert!(reader.discarded >= 4 + 11, "noise and the bad frame were dropped: {}", reader.discarded);
}

#[test]
fn reader_errors_are_reported_not_fatal() {
    let (_dir, link) = temp_link();
    let mut step = 0;
    let _dev = FakeDevice::start(
        &link,
        Box::new(move |c| {
            step += 1;
            match c {
                Command::FindCard => vec![sim::status_answer(0x9F)],
                Command::SelectCard => vec![sim::status_answer(0x90)],
                // the first read fails (card moved), the second gives a card with a bad id
                Command::ReadText if step < 5 => vec![sim::status_answer(0x41)],
                Command::ReadText => {
                    vec![sim::read_answer(&sim::Card { id: "110105194912310022", ..sim::Card::default() })]
                }
                Command::SamStatus => vec![sim::status_answer(0x60)],
            }
        }),
    );
    let mut reader = SamReader::new(settings(&link), &KEY);
    let e = reader.poll().expect_err("read failed");
    assert!(e.is_card_problem(), "{e}");
    assert!(e.to_string().contains("41") || e.to_string().to_lowercase().contains("read"), "{e}");
    let e = reader.poll().expect_err("bad check digit");
    assert!(e.is_card_problem() && e.to_string().contains("请重新放置"), "{e}");
    let s = reader.sam_status().expect("status");
    assert_eq!(s, sam::Status::SamSelfTest);
}

#[test]
fn a_reader_that_vanishes_and_returns_is_found_again() {
    let (_dir, link) = temp_link();
    let dev = FakeDevice::start(&link, Box::new(|_| vec![sim::status_answer(0x80)]));
    let poller = Poller::spawn(Box::new(SamReader::new(settings(&link), &KEY)), fast()).expect("spawn");
    wait_for(&poller, "connected", |e| matches!(e, ReaderEvent::Connected));
    // unplugged: both ends of the pty close and the path disappears
    drop(dev);
    std::fs::remove_file(&link).expect("unlink");
    let ReaderEvent::Disconnected(why) =
        wait_for(&poller, "disconnected", |e| matches!(e, ReaderEvent::Disconnected(_)))
    else {
        unreachable!()
    };
    assert!(why.contains(&*link.to_string_lossy()), "{why}");
    // plugged back: a new device node at the same path, now with a card on it
    let _dev = FakeDevice::start(&link, card_on_reader(sim::Card::default()));
    wait_for(&poller, "connected again", |e| matches!(e, ReaderEvent::Connected));
    wait_for(&poller, "card after return", |e| matches!(e, ReaderEvent::Card(CardRead::IdCard(_))));
}

#[test]
fn a_missing_port_names_the_port() {
    let (_dir, link) = temp_link();
    let mut reader = SamReader::new(settings(&link), &KEY);
    let e = reader.poll().expect_err("no device");
    let m = e.to_string();
    assert!(m.contains(&*link.to_string_lossy()) && m.contains("cannot open serial port"), "{m}");
}

/// A line reader's port: the test writes what the reader would send.
fn line_device(link: &Path) -> (TTYPort, TTYPort) {
    let (master, slave) = TTYPort::pair().expect("pty pair");
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(slave.name().expect("name"), link).expect("symlink");
    (master, slave)
}

fn next_code(r: &mut LineReader) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match r.poll().expect("poll") {
            Some(CardRead::Member(c)) => return Some(c),
            Some(other) => panic!("{other:?}"),
            None => {}
        }
    }
    None
}

#[test]
fn line_and_rdm6300_readers_read_member_codes() {
    let (_dir, link) = temp_link();
    let (mut master, _slave) = line_device(&link);
    let mut r = LineReader::new(settings(&link), LineProtocol::Line);
    assert!(r.poll().expect("open").is_none());
    master.write_all(b"M000123\r\n\r\nSALONBOX:M:M0").expect("write");
    assert_eq!(next_code(&mut r).as_deref(), Some("M000123"));
    master.write_all(b"00456\n").expect("write");
    assert_eq!(next_code(&mut r).as_deref(), Some("SALONBOX:M:M000456"));

    let (_dir2, link2) = temp_link();
    let (mut master, _slave2) = line_device(&link2);
    let mut r = LineReader::new(settings(&link2), LineProtocol::Rdm6300);
    assert!(r.poll().expect("open").is_none());
    // noise, a frame with a bad checksum, a good frame split in two writes
    master.write_all(b"\xFF\x020A003C9B1F00\x03").expect("write");
    master.write_all(b"\x020A003C9B1").expect("write");
    std::thread::sleep(Duration::from_millis(30));
    master.write_all(b"FB2\x03").expect("write");
    assert_eq!(next_code(&mut r).as_deref(), Some("0A003C9B1F"));
}

#[test]
fn a_corrupt_answer_is_asked_again_not_taken_for_silence() {
    let (_dir, link) = temp_link();
    let mut finds = 0;
    // the first two answers to "find card" arrive garbled (and nothing good follows them)
    let _dev = FakeDevice::start(
        &link,
        Box::new(move |c| match c {
            Command::FindCard => {
                finds += 1;
                if finds <= 2 { vec![corrupt(0x9F)] } else { vec![sim::status_answer(0x9F)] }
            }
            Command::SelectCard => vec![sim::status_answer(0x90)],
            Command::ReadText => vec![sim::read_answer(&sim::Card::default())],
            Command::SamStatus => vec![sim::status_answer(0x90)],
        }),
    );
    let mut reader = SamReader::new(settings(&link), &KEY);
    let read = reader.poll().expect("asked again after the corrupt answers");
    assert!(matches!(read, Some(CardRead::IdCard(_))), "{read:?}");
}

#[test]
fn a_reader_that_only_garbles_says_so() {
    let (_dir, link) = temp_link();
    let _dev = FakeDevice::start(&link, Box::new(|_| vec![corrupt(0x9F)]));
    let mut reader = SamReader::new(settings(&link), &KEY);
    let e = reader.poll().expect_err("never a good answer");
    let m = e.to_string();
    assert!(m.contains("corrupt") && m.contains("损坏") && !m.contains("did not answer"), "{m}");
    assert!(e.is_transient() && !e.is_card_problem(), "{m}");
}

#[test]
fn a_card_left_on_the_reader_is_read_at_the_poll_interval_and_announced_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let (_dir, link) = temp_link();
    let reads: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let present = Arc::new(AtomicBool::new(true));
    // while set: when the reader answered "no card"
    type Times = Arc<Mutex<Vec<Instant>>>;
    let missing: Arc<Mutex<Option<Times>>> = Arc::default();
    let (r, p, m) = (reads.clone(), present.clone(), missing.clone());
    let _dev = FakeDevice::start(
        &link,
        Box::new(move |c| match c {
            Command::FindCard if !p.load(Ordering::SeqCst) => {
                if let Some(a) = m.lock().unwrap().as_ref() {
                    a.lock().unwrap().push(Instant::now());
                }
                vec![sim::status_answer(0x80)]
            }
            Command::FindCard => vec![sim::status_answer(0x9F)],
            Command::SelectCard => vec![sim::status_answer(0x90)],
            Command::ReadText => {
                r.lock().unwrap().push(Instant::now());
                vec![sim::read_answer(&sim::Card::default())]
            }
            Command::SamStatus => vec![sim::status_answer(0x90)],
        }),
    );
    let interval = Duration::from_millis(150);
    let poller = Poller::spawn(Box::new(SamReader::new(settings(&link), &KEY)), PollSettings { interval, ..fast() })
        .expect("spawn");
    wait_for(&poller, "card", |e| matches!(e, ReaderEvent::Card(_)));
    // wait until the card has been read five times: every read is followed by the interval
    let deadline = Instant::now() + Duration::from_secs(10);
    while reads.lock().unwrap().len() < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let times = reads.lock().unwrap().clone();
    assert!(times.len() >= 5, "{} reads", times.len());
    for w in times.windows(2) {
        assert!(w[1] - w[0] >= interval, "read again after {:?}, not after the {interval:?} interval", w[1] - w[0]);
    }
    let again: Vec<_> = poller.events.try_iter().filter(|e| matches!(e, ReaderEvent::Card(_))).collect();
    assert!(again.is_empty(), "announced again while it lay there: {again:?}");
    // taken away (until the reader has found no card for longer than `gone_after`), then
    // put back: announced again
    let absent: Times = Arc::default();
    *missing.lock().unwrap() = Some(absent.clone());
    present.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(10);
    while absent.lock().unwrap().first().is_none_or(|t| t.elapsed() < fast().gone_after * 2)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(poller.events.try_iter().all(|e| !matches!(e, ReaderEvent::Card(_))));
    present.store(true, Ordering::SeqCst);
    wait_for(&poller, "the card put back", |e| matches!(e, ReaderEvent::Card(_)));
}

#[test]
fn a_reader_that_answers_badly_once_stays_connected() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (_dir, link) = temp_link();
    let asked = Arc::new(AtomicUsize::new(0));
    let a = asked.clone();
    let _dev = FakeDevice::start(
        &link,
        Box::new(move |c| {
            let n = a.fetch_add(1, Ordering::SeqCst) + 1;
            match c {
                // one poll's worth of garbled answers, then a good reader with no card
                Command::FindCard if (2..=8).contains(&n) => vec![corrupt(0x80)],
                _ => vec![sim::status_answer(0x80)],
            }
        }),
    );
    let poller = Poller::spawn(Box::new(SamReader::new(settings(&link), &KEY)), fast()).expect("spawn");
    wait_for(&poller, "connected", |e| matches!(e, ReaderEvent::Connected));
    // well past the garbled answers
    let deadline = Instant::now() + Duration::from_secs(10);
    while asked.load(Ordering::SeqCst) < 14 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let events: Vec<_> = poller.events.try_iter().collect();
    assert!(events.iter().all(|e| !matches!(e, ReaderEvent::Disconnected(_))), "{events:?}");
}
