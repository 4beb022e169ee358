//! The properties the fuzz targets (`fuzz/`) check, kept here so the committed corpus also
//! runs as an ordinary test on stable (`tests/fuzz_corpus.rs`). Each function panics when a
//! property fails; none may panic otherwise, whatever the bytes.

use super::{cardline, escpos_read, sam};

/// Drives the SAM frame scanner over `data` as a driver does (in slices of arbitrary
/// size): every step makes progress, every frame checks out, and the answer and card
/// parsers accept or refuse the payload without panicking.
pub fn sam_stream(data: &[u8]) {
    let (cuts, bytes) = data.split_at(data.len().min(4));
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut step = 0;
    while fed < bytes.len() || !buf.is_empty() {
        // feed the next slice (its size from the first bytes of the input)
        let n = usize::from(cuts.get(step % cuts.len().max(1)).copied().unwrap_or(64)) + 1;
        let end = (fed + n).min(bytes.len());
        buf.extend_from_slice(&bytes[fed..end]);
        fed = end;
        step += 1;
        loop {
            match sam::scan(&buf) {
                sam::Scan::Frame { payload, used } => {
                    assert!(used > 0 && used <= buf.len(), "frame used {used} of {}", buf.len());
                    assert_eq!(used, sam::PREAMBLE.len() + 2 + payload.len() + 1);
                    assert_eq!(sam::frame(payload), buf[..used], "a frame re-encodes to itself");
                    if let Some(a) = sam::answer(payload) {
                        let _ = a.status.to_string();
                        let _ = sam::card_text(a.data).map(|c| c.id.masked());
                    }
                    buf.drain(..used);
                }
                sam::Scan::Garbage { used, .. } => {
                    assert!(used > 0 && used <= buf.len(), "garbage used {used} of {}", buf.len());
                    buf.drain(..used);
                }
                sam::Scan::NeedMore { skip } => {
                    assert!(skip <= buf.len());
                    buf.drain(..skip);
                    assert!(buf.len() <= sam::PREAMBLE.len() + 2 + sam::MAX_LEN, "the buffer stays bounded");
                    break;
                }
            }
        }
        if fed >= bytes.len() {
            break;
        }
    }
}

/// Line and RDM6300 readers: every step makes progress, codes are printable ASCII.
pub fn card_lines(data: &[u8]) {
    for parse in [cardline::line as fn(&[u8]) -> cardline::Read, cardline::rdm6300] {
        assert_eq!(parse(&[]), cardline::Read::NeedMore);
        let mut rest = data;
        while !rest.is_empty() {
            match parse(rest) {
                cardline::Read::Card { code, used } => {
                    assert!(used > 0 && used <= rest.len());
                    assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_graphic()), "{code:?}");
                    rest = &rest[used..];
                }
                cardline::Read::Skip(used) => {
                    assert!(used > 0 && used <= rest.len());
                    rest = &rest[used..];
                }
                cardline::Read::NeedMore => break,
            }
        }
    }
}

/// The ESC/POS reader refuses or reads anything without panicking.
pub fn escpos(data: &[u8]) {
    if let Ok(d) = escpos_read::decode(data) {
        let _ = d.to_string();
    }
}
