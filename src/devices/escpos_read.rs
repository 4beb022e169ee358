//! An ESC/POS reader: turns printer bytes back into lines of text with their alignment,
//! size and weight, QR payloads and cuts. The tests compare documents through it, and the
//! simulated printer keeps a readable copy of what it was sent.
//!
//! It knows the commands salonbox sends (and a few neighbours); anything else is an error
//! naming the byte offset, so a document that drifts from the protocol fails loudly.

use std::fmt;

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// One printed line of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub align: Align,
    /// Width and height multipliers (1–8).
    pub size: (u8, u8),
    pub bold: bool,
}

/// What came out of the printer, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Init,
    Line(Line),
    /// A QR code's payload.
    Qr(String),
    Cut {
        partial: bool,
    },
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("ESC/POS: unknown command {bytes} at byte {offset}")]
    Unknown { offset: usize, bytes: String },
    #[error("ESC/POS: command at byte {offset} is cut short")]
    Truncated { offset: usize },
    #[error("ESC/POS: text at byte {offset} is not GB18030")]
    Text { offset: usize },
    #[error("ESC/POS: text at byte {offset} printed without Chinese mode (FS &)")]
    NotChinese { offset: usize },
}

/// The decoded document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    pub items: Vec<Item>,
}

impl Decoded {
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.items.iter().filter_map(|i| match i {
            Item::Line(l) => Some(l),
            _ => None,
        })
    }

    /// The text lines, trimmed, without blank ones.
    pub fn texts(&self) -> Vec<String> {
        self.lines().map(|l| l.text.trim().to_string()).filter(|t| !t.is_empty()).collect()
    }

    pub fn qr_codes(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Qr(q) => Some(q.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn cuts(&self) -> usize {
        self.items.iter().filter(|i| matches!(i, Item::Cut { .. })).count()
    }
}

/// A readable rendering: one line per printed line, `[QR …]` and `[cut]` markers.
impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.items {
            match i {
                Item::Init => {}
                Item::Line(l) => {
                    let mark = match (l.size, l.bold) {
                        ((1, 1), false) => String::new(),
                        ((w, h), b) => format!("  [{w}x{h}{}]", if b { " bold" } else { "" }),
                    };
                    let pad = match l.align {
                        Align::Left => "",
                        Align::Center => "    ",
                        Align::Right => "        ",
                    };
                    writeln!(f, "{pad}{}{mark}", l.text)?;
                }
                Item::Qr(q) => writeln!(f, "[QR {q}]")?,
                Item::Cut { .. } => writeln!(f, "[cut]")?,
            }
        }
        Ok(())
    }
}

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const FS: u8 = 0x1C;
const DLE: u8 = 0x10;
const LF: u8 = 0x0A;

/// Decodes a print job.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let mut out = Decoded::default();
    let mut st = State::default();
    let mut i = 0;
    let arg = |i: usize, n: usize| bytes.get(i..i + n).ok_or(DecodeError::Truncated { offset: i });
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            ESC => {
                let a = arg(i + 1, 1)?[0];
                match a {
                    b'@' => {
                        st = State::default();
                        out.items.push(Item::Init);
                        i += 2;
                    }
                    b'a' => {
                        st.align = match arg(i + 2, 1)?[0] {
                            0 | b'0' => Align::Left,
                            1 | b'1' => Align::Center,
                            _ => Align::Right,
                        };
                        i += 3;
                    }
                    b'E' => {
                        st.bold = arg(i + 2, 1)?[0] & 1 == 1;
                        i += 3;
                    }
                    b'd' => {
                        let n = arg(i + 2, 1)?[0];
                        for _ in 0..n.max(1) {
                            st.feed(&mut out, i)?;
                        }
                        i += 3;
                    }
                    // underline, double strike, font, code table, line spacing: no effect on text
                    b'-' | b'G' | b'M' | b't' | b'3' | b'R' | b'{' => i += 3,
                    b'2' => i += 2,
                    _ => return Err(unknown(bytes, i, 2)),
                }
            }
            GS => {
                let a = arg(i + 1, 1)?[0];
                match a {
                    b'!' => {
                        let n = arg(i + 2, 1)?[0];
                        st.size = ((n >> 4) + 1, (n & 0x0F) + 1);
                        i += 3;
                    }
                    b'V' => {
                        let m = arg(i + 2, 1)?[0];
                        st.flush(&mut out, i)?;
                        let partial = matches!(m, 1 | 49 | 66);
                        out.items.push(Item::Cut { partial });
                        i += if m == 65 || m == 66 { 4 } else { 3 };
                        if i > bytes.len() {
                            return Err(DecodeError::Truncated { offset: i });
                        }
                    }
                    b'(' => {
                        let head = arg(i + 2, 3)?;
                        let len = usize::from(u16::from_le_bytes([head[1], head[2]]));
                        let body = arg(i + 5, len)?;
                        if head[0] != b'k' {
                            return Err(unknown(bytes, i, 3));
                        }
                        // cn 49 = QR; fn 80 stores the data (after m = 48), 81 prints it
                        if body.len() >= 3 && body[0] == 49 && body[1] == 80 {
                            st.qr = Some(String::from_utf8_lossy(&body[3..]).into_owned());
                        } else if body.len() >= 2 && body[0] == 49 && body[1] == 81 {
                            st.flush(&mut out, i)?;
                            out.items.push(Item::Qr(st.qr.take().unwrap_or_default()));
                        }
                        i += 5 + len;
                    }
                    b'B' | b'b' => i += 3,
                    _ => return Err(unknown(bytes, i, 2)),
                }
            }
            FS => {
                match arg(i + 1, 1)?[0] {
                    b'&' => st.chinese = true,
                    b'.' => st.chinese = false,
                    _ => return Err(unknown(bytes, i, 2)),
                }
                i += 2;
            }
            DLE => {
                // real-time status request: DLE EOT n
                arg(i + 1, 2)?;
                i += 3;
            }
            LF => {
                st.feed(&mut out, i)?;
                i += 1;
            }
            b'\r' => i += 1,
            _ if b < 0x20 => return Err(unknown(bytes, i, 1)),
            _ => {
                let end = bytes[i..].iter().position(|&c| c < 0x20).map_or(bytes.len(), |p| i + p);
                st.text.extend_from_slice(&bytes[i..end]);
                st.text_at.get_or_insert(i);
                i = end;
            }
        }
    }
    st.flush(&mut out, bytes.len())?;
    Ok(out)
}

fn unknown(bytes: &[u8], at: usize, n: usize) -> DecodeError {
    let end = (at + n).min(bytes.len());
    DecodeError::Unknown { offset: at, bytes: hex::encode_upper(&bytes[at..end]) }
}

#[derive(Default)]
struct State {
    align: Align,
    size: (u8, u8),
    bold: bool,
    chinese: bool,
    text: Vec<u8>,
    text_at: Option<usize>,
    qr: Option<String>,
}

impl State {
    /// A line feed prints the buffer as a line (an empty one too).
    fn feed(&mut self, out: &mut Decoded, at: usize) -> Result<(), DecodeError> {
        let text = self.take_text(at)?;
        out.items.push(Item::Line(Line { text, align: self.align, size: self.size_or_one(), bold: self.bold }));
        Ok(())
    }

    /// Text left without a line feed before a cut or a QR code prints as a line.
    fn flush(&mut self, out: &mut Decoded, at: usize) -> Result<(), DecodeError> {
        if !self.text.is_empty() {
            self.feed(out, at)?;
        }
        Ok(())
    }

    fn size_or_one(&self) -> (u8, u8) {
        if self.size == (0, 0) { (1, 1) } else { self.size }
    }

    fn take_text(&mut self, at: usize) -> Result<String, DecodeError> {
        let bytes = std::mem::take(&mut self.text);
        let offset = self.text_at.take().unwrap_or(at);
        if !self.chinese && !bytes.is_ascii() {
            return Err(DecodeError::NotChinese { offset });
        }
        let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
        if had_errors {
            return Err(DecodeError::Text { offset });
        }
        Ok(text.into_owned())
    }
}
