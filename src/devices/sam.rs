//! The identity-card reader's serial protocol (二代身份证 SAM module): frames, status
//! codes and the card's text block. Pure functions; the serial driver feeds them bytes.
//!
//! A frame is `AA AA AA 96 69 | LEN (2 bytes, big-endian: everything after itself,
//! checksum included) | payload | XOR of the LEN bytes and the payload`. A command's
//! payload is `CMD PARA`; an answer's payload is `SW1 SW2 SW3 data…`, SW3 the status.

use std::fmt;

use chrono::NaiveDate;

use crate::domain::customer::Gender;
use crate::domain::idcard::{IdNumber, IdNumberError};

pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];
/// No answer of the protocol is longer (text 256 + photo 1024 + fingerprint 1024 + headers).
pub const MAX_LEN: usize = 4096;

/// The commands salonbox sends. The fingerprint command is deliberately absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    SamStatus,
    FindCard,
    SelectCard,
    /// Text and photo (the photo is dropped unread).
    ReadText,
}

impl Command {
    pub fn code(self) -> [u8; 2] {
        match self {
            Command::SamStatus => [0x11, 0xFF],
            Command::FindCard => [0x20, 0x01],
            Command::SelectCard => [0x20, 0x02],
            Command::ReadText => [0x30, 0x01],
        }
    }

    /// For messages and logs.
    pub fn label(self) -> &'static str {
        match self {
            Command::SamStatus => "SAM status",
            Command::FindCard => "find card",
            Command::SelectCard => "select card",
            Command::ReadText => "read card",
        }
    }
}

/// Builds a frame around a payload.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 1).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(PREAMBLE.len() + 2 + payload.len() + 1);
    out.extend_from_slice(&PREAMBLE);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.push(checksum(&out[PREAMBLE.len()..]));
    out
}

/// The frame of a command.
pub fn command(c: Command) -> Vec<u8> {
    frame(&c.code())
}

fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

/// Why bytes were thrown away while looking for a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Garbage {
    /// Bytes before a preamble (a lost byte, line noise).
    Noise,
    /// A length of 0 or above `MAX_LEN`.
    Length,
    /// The XOR did not match.
    Checksum,
}

/// What the front of a buffer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan<'a> {
    /// A whole frame: its payload, and how many bytes it used (drop them).
    Frame { payload: &'a [u8], used: usize },
    /// Not enough bytes yet; `skip` bytes at the front are garbage and can go now.
    NeedMore { skip: usize },
    /// `used` bytes at the front are garbage: drop them and scan again. A bad frame drops
    /// only its first byte, so a real preamble inside it is found next time.
    Garbage { used: usize, why: Garbage },
}

/// Looks for the first frame in `buf`. Never panics, whatever the bytes.
pub fn scan(buf: &[u8]) -> Scan<'_> {
    let Some(start) = buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE) else {
        // keep a tail that may be the start of a preamble
        let keep = (1..PREAMBLE.len()).rev().find(|&n| buf.len() >= n && buf[buf.len() - n..] == PREAMBLE[..n]);
        return Scan::NeedMore { skip: buf.len() - keep.unwrap_or(0) };
    };
    if start > 0 {
        return Scan::Garbage { used: start, why: Garbage::Noise };
    }
    let Some(len_bytes) = buf.get(PREAMBLE.len()..PREAMBLE.len() + 2) else {
        return Scan::NeedMore { skip: 0 };
    };
    let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
    if len == 0 || len > MAX_LEN {
        return Scan::Garbage { used: 1, why: Garbage::Length };
    }
    let total = PREAMBLE.len() + 2 + len;
    if buf.len() < total {
        return Scan::NeedMore { skip: 0 };
    }
    if checksum(&buf[PREAMBLE.len()..total - 1]) != buf[total - 1] {
        return Scan::Garbage { used: 1, why: Garbage::Checksum };
    }
    Scan::Frame { payload: &buf[PREAMBLE.len() + 2..total - 1], used: total }
}

/// The status byte SW3 of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    CardFound,
    NoCard,
    SelectFailed,
    ReadFailed,
    ChecksumError,
    LengthError,
    CommandError,
    /// 0x31, 0x32 or 0x33.
    Authentication(u8),
    SamSelfTest,
    Other(u8),
}

impl Status {
    pub fn from_byte(b: u8) -> Status {
        match b {
            0x90 => Status::Ok,
            0x9F => Status::CardFound,
            0x80 => Status::NoCard,
            0x81 => Status::SelectFailed,
            0x41 => Status::ReadFailed,
            0x10 => Status::ChecksumError,
            0x11 => Status::LengthError,
            0x21 => Status::CommandError,
            0x31..=0x33 => Status::Authentication(b),
            0x60 => Status::SamSelfTest,
            other => Status::Other(other),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Ok => write!(f, "成功 / ok"),
            Status::CardFound => write!(f, "找到卡 / card found"),
            Status::NoCard => write!(f, "没有卡 / no card"),
            Status::SelectFailed => write!(f, "选卡失败 / select failed"),
            Status::ReadFailed => write!(f, "读卡失败 / read failed"),
            Status::ChecksumError => write!(f, "读卡器报告校验和错误 / the reader reports a checksum error"),
            Status::LengthError => write!(f, "读卡器报告长度错误 / the reader reports a length error"),
            Status::CommandError => write!(f, "读卡器不认识该命令 / the reader reports a command error"),
            Status::Authentication(b) => write!(f, "卡认证失败 (0x{b:02X}) / card authentication failed (0x{b:02X})"),
            Status::SamSelfTest => write!(f, "安全模块自检失败 / the SAM self-test failed"),
            Status::Other(b) => write!(f, "未知状态 0x{b:02X} / unknown status 0x{b:02X}"),
        }
    }
}

/// An answer: its status and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer<'a> {
    pub status: Status,
    pub data: &'a [u8],
}

/// Reads an answer's payload (`SW1 SW2 SW3 data…`).
pub fn answer(payload: &[u8]) -> Option<Answer<'_>> {
    let (head, data) = payload.split_at_checked(3)?;
    Some(Answer { status: Status::from_byte(head[2]), data })
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CardError {
    #[error("卡片数据长度不对：{0} 字节 / the card data has the wrong length: {0} bytes")]
    Length(usize),
    #[error("卡片文字不是有效的 UTF-16 / the card text is not valid UTF-16")]
    Text,
    #[error("卡片出生日期无效：{0} / the card's birth date is invalid: {0}")]
    Birth(String),
    #[error(transparent)]
    Id(#[from] IdNumberError),
}

/// What an identity card says. The id number never leaves as text: only as
/// `IdNumber` (no Display, wiped on drop), to be turned into a keyed hash.
pub struct CardText {
    pub name: String,
    pub gender: Gender,
    /// 民族 code, `01` = 汉.
    pub nation: String,
    pub birth: NaiveDate,
    pub address: String,
    pub id: IdNumber,
    pub issuer: String,
    pub valid_from: String,
    /// `None`: 长期 (no end).
    pub valid_to: Option<String>,
}

impl fmt::Debug for CardText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardText")
            .field("name", &self.name)
            .field("gender", &self.gender)
            .field("birth", &self.birth)
            .field("id", &self.id.masked())
            .finish_non_exhaustive()
    }
}

/// The text block's fields, in bytes of UTF-16LE, in order.
const FIELDS: [usize; 9] = [30, 2, 4, 16, 70, 36, 30, 16, 16];

fn utf16(bytes: &[u8]) -> Result<String, CardError> {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let s = String::from_utf16(&units).map_err(|_| CardError::Text)?;
    Ok(s.trim_matches(|c: char| c == ' ' || c == '\0').to_string())
}

/// Reads the data of a `ReadText` answer: text length (2 bytes, big-endian), photo length
/// (2 bytes), the 256-byte text, the photo. The photo is skipped, never copied.
pub fn card_text(data: &[u8]) -> Result<CardText, CardError> {
    let (lens, rest) = data.split_at_checked(4).ok_or(CardError::Length(data.len()))?;
    let text_len = usize::from(u16::from_be_bytes([lens[0], lens[1]]));
    let photo_len = usize::from(u16::from_be_bytes([lens[2], lens[3]]));
    if text_len < FIELDS.iter().sum::<usize>() || rest.len() < text_len + photo_len {
        return Err(CardError::Length(data.len()));
    }
    let text = &rest[..text_len];
    let mut fields = Vec::with_capacity(FIELDS.len());
    let mut at = 0;
    for n in FIELDS {
        fields.push(utf16(&text[at..at + n])?);
        at += n;
    }
    let birth = NaiveDate::parse_from_str(&fields[3], "%Y%m%d").map_err(|_| CardError::Birth(fields[3].clone()))?;
    let id = IdNumber::parse(&fields[5])?;
    Ok(CardText {
        name: fields[0].clone(),
        gender: match fields[1].as_str() {
            "1" => Gender::Male,
            "2" => Gender::Female,
            _ => Gender::Unknown,
        },
        nation: fields[2].clone(),
        birth,
        address: fields[4].clone(),
        id,
        issuer: fields[6].clone(),
        valid_from: fields[7].clone(),
        valid_to: (fields[8] != "长期").then(|| fields[8].clone()),
    })
}

/// Answers as a SAM module sends them, for simulated readers and tests.
pub mod sim {
    use super::frame;

    /// The text fields of a card (UTF-16LE on the card, padded with spaces).
    #[derive(Debug, Clone)]
    pub struct Card<'a> {
        pub name: &'a str,
        /// `1` male, `2` female.
        pub sex: &'a str,
        pub nation: &'a str,
        /// `YYYYMMDD`
        pub birth: &'a str,
        pub address: &'a str,
        pub id: &'a str,
        pub issuer: &'a str,
        pub valid_from: &'a str,
        /// `YYYYMMDD` or `长期`.
        pub valid_to: &'a str,
    }

    impl Default for Card<'_> {
        fn default() -> Self {
            Card {
                name: "张三",
                sex: "2",
                nation: "01",
                birth: "19900307",
                address: "北京市东城区景山前街4号",
                id: "11010519491231002X",
                issuer: "北京市公安局东城分局",
                valid_from: "20150101",
                valid_to: "长期",
            }
        }
    }

    fn text_field(s: &str, bytes: usize) -> Vec<u8> {
        let mut out: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).take(bytes).collect();
        while out.len() < bytes {
            out.extend_from_slice(&[0x20, 0x00]);
        }
        out
    }

    /// The whole answer frame to a read: SW `00 00 90`, lengths 256 and 1024, the text, a
    /// photo of filler bytes.
    pub fn read_answer(c: &Card<'_>) -> Vec<u8> {
        let mut text = Vec::new();
        for (v, n) in [
            (c.name, 30),
            (c.sex, 2),
            (c.nation, 4),
            (c.birth, 16),
            (c.address, 70),
            (c.id, 36),
            (c.issuer, 30),
            (c.valid_from, 16),
            (c.valid_to, 16),
        ] {
            text.extend(text_field(v, n));
        }
        text.resize(256, 0);
        let mut payload = vec![0x00, 0x00, 0x90, 0x01, 0x00, 0x04, 0x00];
        payload.extend(text);
        payload.extend(std::iter::repeat_n(0x77, 1024));
        frame(&payload)
    }

    /// An answer frame with only a status byte (SW3): `0x9F` card found, `0x80` no card, …
    pub fn status_answer(sw3: u8) -> Vec<u8> {
        frame(&[0x00, 0x00, sw3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_answer(id: &str, valid_to: &str) -> Vec<u8> {
        sim::read_answer(&sim::Card { id, valid_to, ..sim::Card::default() })
    }

    #[test]
    fn command_frames_match_the_protocol() {
        assert_eq!(command(Command::FindCard), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22]);
        assert_eq!(command(Command::SelectCard), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x02, 0x21]);
        assert_eq!(command(Command::ReadText), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32]);
        assert_eq!(command(Command::SamStatus), [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x11, 0xFF, 0xED]);
    }

    #[test]
    fn a_good_read_gives_the_card_and_the_id_only_masked() {
        let bytes = read_answer("11010519491231002X", "长期");
        let Scan::Frame { payload, used } = scan(&bytes) else { panic!("no frame") };
        assert_eq!(used, bytes.len());
        let a = answer(payload).unwrap();
        assert_eq!(a.status, Status::Ok);
        let card = card_text(a.data).unwrap();
        assert_eq!(card.name, "张三");
        assert_eq!(card.gender, Gender::Female);
        assert_eq!(card.birth, NaiveDate::from_ymd_opt(1990, 3, 7).unwrap());
        assert_eq!(card.valid_to, None, "长期");
        assert_eq!(card.id.masked(), "110105********002X");
        let shown = format!("{card:?}");
        assert!(!shown.contains("11010519491231002X"), "{shown}");
    }

    #[test]
    fn a_bad_id_number_is_refused() {
        let bytes = read_answer("110105194912310021", "20350101");
        let Scan::Frame { payload, .. } = scan(&bytes) else { panic!("no frame") };
        assert!(matches!(card_text(answer(payload).unwrap().data), Err(CardError::Id(_))));
    }

    #[test]
    fn garbage_split_frames_and_bad_checksums_resynchronise() {
        let no_card = frame(&[0x00, 0x00, 0x80]);
        // noise before a frame
        let mut buf = vec![0x13, 0xAA, 0x00];
        buf.extend(&no_card);
        assert_eq!(scan(&buf), Scan::Garbage { used: 3, why: Garbage::Noise });
        let Scan::Frame { payload, .. } = scan(&buf[3..]) else { panic!() };
        assert_eq!(answer(payload).unwrap().status, Status::NoCard);
        // a frame split across reads
        assert_eq!(scan(&no_card[..4]), Scan::NeedMore { skip: 0 });
        assert_eq!(scan(&no_card[..8]), Scan::NeedMore { skip: 0 });
        // a bad checksum drops one byte and finds the next frame
        let mut bad = no_card.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xFF;
        bad.extend(&no_card);
        assert_eq!(scan(&bad), Scan::Garbage { used: 1, why: Garbage::Checksum });
        let mut rest: &[u8] = &bad[1..];
        loop {
            match scan(rest) {
                Scan::Garbage { used, .. } => rest = &rest[used..],
                Scan::Frame { payload, .. } => {
                    assert_eq!(answer(payload).unwrap().status, Status::NoCard);
                    break;
                }
                Scan::NeedMore { .. } => panic!("lost the second frame"),
            }
        }
        // a tail that may start a preamble is kept
        assert_eq!(scan(&[0x01, 0x02, 0xAA, 0xAA]), Scan::NeedMore { skip: 2 });
        assert_eq!(scan(&[0x01, 0x02, 0x03]), Scan::NeedMore { skip: 3 });
        // an absurd length
        assert_eq!(scan(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF]), Scan::Garbage { used: 1, why: Garbage::Length });
        assert_eq!(Status::from_byte(0x32), Status::Authentication(0x32));
        assert_eq!(Status::from_byte(0x5A), Status::Other(0x5A));
    }

    proptest::proptest! {
        #[test]
        fn scanning_any_bytes_never_panics_and_always_progresses(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let mut rest: &[u8] = &bytes;
            loop {
                match scan(rest) {
                    Scan::Frame { used, payload } => {
                        proptest::prop_assert!(used > 0);
                        let _ = answer(payload).map(|a| card_text(a.data));
                        rest = &rest[used..];
                    }
                    Scan::Garbage { used, .. } => {
                        proptest::prop_assert!(used > 0);
                        rest = &rest[used..];
                    }
                    Scan::NeedMore { skip } => {
                        proptest::prop_assert!(skip <= rest.len());
                        break;
                    }
                }
            }
        }
    }
}
