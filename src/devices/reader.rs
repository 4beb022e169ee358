//! Card readers behind one trait: the identity-card SAM reader and the line / RDM6300
//! member-card readers over serial, and a simulated reader. A [`Poller`] runs one on its
//! own thread so the UI never waits for a device.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::serial::{SerialLink, SerialSettings};
use super::{DeviceError, cardline, sam};
use crate::domain::customer::Gender;
use crate::domain::idcard::IdCardKey;

/// What a reader read. An identity card arrives already reduced to its keyed hash and
/// masked number; the number itself never leaves the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardRead {
    IdCard(IdCardRead),
    /// A member card number or a member QR code.
    Member(String),
}

/// An identity card as registration may use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCardRead {
    pub key: IdCardKey,
    pub name: String,
    pub gender: Gender,
    pub birth: NaiveDate,
    /// The card's expiry (`None`: 长期, long-term).
    pub valid_to: Option<String>,
}

/// A card reader. `poll` does one round (for the SAM reader: find, select, read) and
/// returns quickly; it opens and reopens its port by itself.
pub trait CardReader: Send {
    /// For messages: "身份证阅读器 /dev/ttyUSB0".
    fn name(&self) -> String;
    fn poll(&mut self) -> Result<Option<CardRead>, DeviceError>;
}

/// How long the SAM module may take to answer one command (the text+photo read is the
/// slowest: about 1.3 KB at 115200 baud plus the card's own time).
const ANSWER_TIMEOUT: Duration = Duration::from_millis(1500);
/// After a corrupt answer, how long a good copy may still arrive before the command is sent
/// again, and how many times it is sent again within one [`ANSWER_TIMEOUT`].
const RESEND_AFTER_CORRUPT: Duration = Duration::from_millis(120);
const RESENDS: u32 = 5;

/// The identity-card reader (SAM module) over serial.
pub struct SamReader {
    link: SerialLink,
    device_key: Vec<u8>,
    /// Bytes thrown away while looking for frames, by reason (for `doctor` and tests).
    pub discarded: u64,
}

impl SamReader {
    pub fn new(settings: SerialSettings, device_key: &[u8]) -> SamReader {
        SamReader { link: SerialLink::new(settings), device_key: device_key.to_vec(), discarded: 0 }
    }

    /// Sends a command and returns the answer's status and data. A corrupt answer (a frame
    /// whose checksum fails) is not silence: the command is sent again (after a short wait
    /// for a good copy that may follow), up to [`RESENDS`] times within [`ANSWER_TIMEOUT`],
    /// and if no good answer comes the error says the answers were corrupt.
    fn ask(&mut self, c: sam::Command) -> Result<(sam::Status, Vec<u8>), DeviceError> {
        self.link.discard_input()?;
        self.link.write_all(&sam::command(c))?;
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let mut corrupt = 0u32;
        let mut resend_at: Option<Instant> = None;
        let mut resends = 0;
        loop {
            match sam::scan(self.link.buffered()) {
                sam::Scan::Frame { payload, used } => {
                    let answer = sam::answer(payload).map(|a| (a.status, a.data.to_vec()));
                    self.link.consume(used);
                    match answer {
                        Some(a) => return Ok(a),
                        // a frame too short to be an answer: noise that happened to check out
                        None => self.discarded += used as u64,
                    }
                    continue;
                }
                sam::Scan::Garbage { used, why } => {
                    tracing::debug!(port = self.link.path(), bytes = used, ?why, "reader: discarded bytes");
                    self.discarded += used as u64;
                    self.link.consume(used);
                    if why == sam::Garbage::Checksum {
                        corrupt += 1;
                        resend_at.get_or_insert_with(|| Instant::now() + RESEND_AFTER_CORRUPT);
                    }
                    continue;
                }
                sam::Scan::NeedMore { skip } => {
                    self.discarded += skip as u64;
                    self.link.consume(skip);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                let port = self.link.path().to_string();
                return Err(if corrupt > 0 {
                    DeviceError::Corrupt { port, command: c.label(), count: corrupt }
                } else {
                    DeviceError::NoAnswer { port, command: c.label() }
                });
            }
            if resend_at.is_some_and(|t| now >= t) && resends < RESENDS {
                tracing::info!(port = self.link.path(), command = c.label(), "reader: corrupt answer, asking again");
                resends += 1;
                resend_at = None;
                self.link.discard_input()?;
                self.link.write_all(&sam::command(c))?;
            }
            let until = resend_at.filter(|_| resends < RESENDS).map_or(deadline, |t| t.min(deadline));
            self.link.fill(until)?;
        }
    }

    /// The SAM module's self-check (`11 FF`): `Ok` when it answers 90.
    pub fn sam_status(&mut self) -> Result<sam::Status, DeviceError> {
        Ok(self.ask(sam::Command::SamStatus)?.0)
    }
}

impl CardReader for SamReader {
    fn name(&self) -> String {
        format!("身份证阅读器 ID-card reader {}", self.link.path())
    }

    fn poll(&mut self) -> Result<Option<CardRead>, DeviceError> {
        match self.ask(sam::Command::FindCard)?.0 {
            sam::Status::CardFound => {}
            sam::Status::NoCard | sam::Status::Ok => return Ok(None),
            other => return Err(DeviceError::Status { command: "find card", status: other }),
        }
        match self.ask(sam::Command::SelectCard)?.0 {
            sam::Status::Ok => {}
            // the card was taken away between find and select
            sam::Status::SelectFailed | sam::Status::NoCard => return Ok(None),
            other => return Err(DeviceError::Status { command: "select card", status: other }),
        }
        let (status, data) = self.ask(sam::Command::ReadText)?;
        if status != sam::Status::Ok {
            return Err(DeviceError::Status { command: "read card", status });
        }
        let text = sam::card_text(&data)?;
        Ok(Some(CardRead::IdCard(IdCardRead {
            key: text.id.key(&self.device_key),
            name: text.name.clone(),
            gender: text.gender,
            birth: text.birth,
            valid_to: text.valid_to.clone(),
        })))
    }
}

/// Which framing a member-card reader sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineProtocol {
    /// One ASCII line per card or QR code (CR and/or LF).
    Line,
    /// RDM6300 125 kHz frames.
    Rdm6300,
}

/// A member-card / QR reader over serial.
pub struct LineReader {
    link: SerialLink,
    protocol: LineProtocol,
    /// How long one poll listens.
    listen: Duration,
}

impl LineReader {
    pub fn new(settings: SerialSettings, protocol: LineProtocol) -> LineReader {
        LineReader { link: SerialLink::new(settings), protocol, listen: Duration::from_millis(100) }
    }

    fn next_in_buffer(&mut self) -> Option<String> {
        loop {
            let read = match self.protocol {
                LineProtocol::Line => cardline::line(self.link.buffered()),
                LineProtocol::Rdm6300 => cardline::rdm6300(self.link.buffered()),
            };
            match read {
                cardline::Read::Card { code, used } => {
                    self.link.consume(used);
                    return Some(code);
                }
                cardline::Read::Skip(n) if n > 0 => self.link.consume(n),
                cardline::Read::Skip(_) | cardline::Read::NeedMore => return None,
            }
        }
    }
}

impl CardReader for LineReader {
    fn name(&self) -> String {
        format!("会员卡/二维码阅读器 member-card reader {}", self.link.path())
    }

    fn poll(&mut self) -> Result<Option<CardRead>, DeviceError> {
        self.link.ensure_open()?;
        if let Some(code) = self.next_in_buffer() {
            return Ok(Some(CardRead::Member(code)));
        }
        let deadline = Instant::now() + self.listen;
        while Instant::now() < deadline {
            if self.link.fill(deadline)? == 0 {
                break;
            }
            if let Some(code) = self.next_in_buffer() {
                return Ok(Some(CardRead::Member(code)));
            }
        }
        Ok(None)
    }
}

/// A simulated reader: answers with the reads (or errors) it was given, in order.
#[derive(Default)]
pub struct SimReader {
    script: VecDeque<Result<Option<CardRead>, DeviceError>>,
}

impl SimReader {
    pub fn new() -> SimReader {
        SimReader::default()
    }

    /// Queues what the next polls return.
    pub fn push(&mut self, r: Result<Option<CardRead>, DeviceError>) {
        self.script.push_back(r);
    }
}

impl CardReader for SimReader {
    fn name(&self) -> String {
        "模拟阅读器 simulated reader".into()
    }

    fn poll(&mut self) -> Result<Option<CardRead>, DeviceError> {
        self.script.pop_front().unwrap_or(Ok(None))
    }
}

/// What a poller reports.
#[derive(Debug)]
pub enum ReaderEvent {
    Card(CardRead),
    /// The card could not be read (moved too soon, a bad card): ask to place it again.
    ReadFailed(String),
    /// The reader answers again after being away (or for the first time).
    Connected,
    /// The reader is gone or failing; polling goes on and reports `Connected` on return.
    Disconnected(String),
}

/// How a poller paces itself.
#[derive(Debug, Clone, Copy)]
pub struct PollSettings {
    /// The pause between polls, after a read as after none.
    pub interval: Duration,
    /// A card is announced once while it stays on the reader; it counts as removed when no
    /// poll has seen it for this long (then the same card is announced again).
    pub gone_after: Duration,
    /// After a failure, how long before the port is tried again (doubling up to `max_backoff`).
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// A reader that is there but answers badly (silence, corrupt answers) is reported
    /// unavailable only after this many such polls in a row.
    pub transient_limit: u32,
}

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings {
            interval: Duration::from_millis(300),
            gone_after: Duration::from_secs(1),
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            transient_limit: 3,
        }
    }
}

/// A reader polled on its own thread; events arrive on `events`. Dropping the poller stops
/// the thread.
pub struct Poller {
    pub events: Receiver<ReaderEvent>,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The card on the reader, as the poller last saw it.
struct Present {
    card: CardRead,
    seen: Instant,
}

impl Poller {
    pub fn spawn(mut reader: Box<dyn CardReader>, settings: PollSettings) -> std::io::Result<Poller> {
        let (tx, events) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new().name("card-reader".into()).spawn(move || {
            let name = reader.name();
            let mut connected: Option<bool> = None;
            let mut present: Option<Present> = None;
            let mut backoff = settings.backoff;
            let mut transient = 0u32;
            loop {
                let event = match reader.poll() {
                    Ok(read) => {
                        transient = 0;
                        backoff = settings.backoff;
                        if connected != Some(true) {
                            tracing::info!(reader = %name, "card reader ready");
                            connected = Some(true);
                            if tx.send(ReaderEvent::Connected).is_err() {
                                return;
                            }
                        }
                        match read {
                            Some(card) => {
                                let same = present.as_ref().is_some_and(|p| p.card == card);
                                let event = (!same).then(|| ReaderEvent::Card(card.clone()));
                                present = Some(Present { card, seen: Instant::now() });
                                event
                            }
                            None => {
                                if present.as_ref().is_some_and(|p| p.seen.elapsed() >= settings.gone_after) {
                                    present = None;
                                }
                                None
                            }
                        }
                    }
                    Err(e) if e.is_card_problem() => {
                        tracing::info!(reader = %name, error = %e, "card not read");
                        transient = 0;
                        Some(ReaderEvent::ReadFailed(e.to_string()))
                    }
                    Err(e) if e.is_transient() && transient + 1 < settings.transient_limit.max(1) => {
                        transient += 1;
                        tracing::info!(reader = %name, error = %e, "card reader answered badly; asking again");
                        None
                    }
                    Err(e) => {
                        transient = 0;
                        let event = (connected != Some(false)).then(|| {
                            tracing::warn!(reader = %name, error = %e, "card reader unavailable");
                            ReaderEvent::Disconnected(e.to_string())
                        });
                        connected = Some(false);
                        event
                    }
                };
                if let Some(e) = event
                    && tx.send(e).is_err()
                {
                    return;
                }
                // the interval after every poll, a read or not: a card lying on the reader
                // is asked about a few times a second, never in a busy loop
                let wait = if connected == Some(false) {
                    let w = backoff;
                    backoff = (backoff * 2).min(settings.max_backoff);
                    w
                } else {
                    settings.interval
                };
                match stopped.recv_timeout(wait) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })?;
        Ok(Poller { events, stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
