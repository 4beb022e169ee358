//! Simple member-card and QR readers: one ASCII line per card or code (CR and/or LF
//! terminated, as keyboard-style USB and serial readers send), and RDM6300 125 kHz frames
//! (`0x02`, 10 hex digits of data, 2 hex digits of XOR checksum, `0x03`).

/// What the front of a buffer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A card number or QR payload, and the bytes it used.
    Card { code: String, used: usize },
    /// Bytes to drop (an empty line, a broken frame, noise between frames).
    Skip(usize),
    /// Wait for more bytes.
    NeedMore,
}

/// A line reader's next card: the line's printable ASCII, trimmed.
pub fn line(buf: &[u8]) -> Read {
    let Some(end) = buf.iter().position(|b| *b == b'\r' || *b == b'\n') else {
        // a line longer than any card or QR code is noise
        return if buf.len() > 512 { Read::Skip(buf.len()) } else { Read::NeedMore };
    };
    let code: String = buf[..end].iter().filter(|b| b.is_ascii_graphic()).map(|b| char::from(*b)).collect();
    if code.is_empty() { Read::Skip(end + 1) } else { Read::Card { code, used: end + 1 } }
}

/// An RDM6300 reader's next card: the 10 data hex digits, checked against the checksum.
pub fn rdm6300(buf: &[u8]) -> Read {
    let Some(start) = buf.iter().position(|b| *b == 0x02) else {
        return if buf.is_empty() { Read::NeedMore } else { Read::Skip(buf.len()) };
    };
    if start > 0 {
        return Read::Skip(start);
    }
    if buf.len() < 14 {
        return Read::NeedMore;
    }
    let frame = &buf[..14];
    let hex = |s: &[u8]| std::str::from_utf8(s).ok().and_then(|t| u8::from_str_radix(t, 16).ok());
    let data: Option<Vec<u8>> = frame[1..11].chunks(2).map(hex).collect();
    match (frame[13], data, hex(&frame[11..13])) {
        (0x03, Some(d), Some(sum)) if d.iter().fold(0, |a, b| a ^ b) == sum => {
            Read::Card { code: String::from_utf8_lossy(&frame[1..11]).to_ascii_uppercase(), used: 14 }
        }
        // not a frame after all: drop the start byte and look again
        _ => Read::Skip(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(line(b"M100001\r\n"), Read::Card { code: "M100001".into(), used: 8 });
        assert_eq!(line(b"\nM100002\n"), Read::Skip(1));
        assert_eq!(line(b"M1000"), Read::NeedMore);
        assert_eq!(
            line(b"https://salon.example/m/M100003\n"),
            Read::Card { code: "https://salon.example/m/M100003".into(), used: 32 }
        );
    }

    #[test]
    fn rdm6300_frames() {
        // data 0x62 0x00 0x73 0x34 0x4D, checksum 0x68
        let good = b"\x02620073344D68\x03";
        assert_eq!(rdm6300(good), Read::Card { code: "620073344D".into(), used: 14 });
        assert_eq!(rdm6300(&good[..9]), Read::NeedMore);
        let mut bad = good.to_vec();
        bad[12] = b'D';
        assert_eq!(rdm6300(&bad), Read::Skip(1));
        let mut noisy = b"zz".to_vec();
        noisy.extend_from_slice(good);
        assert_eq!(rdm6300(&noisy), Read::Skip(2));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_make_progress(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            for parse in [line as fn(&[u8]) -> Read, rdm6300] {
                // an empty buffer waits (a reader loop on Skip(0) would spin for ever)
                proptest::prop_assert_eq!(parse(&[]), Read::NeedMore);
                let mut rest: &[u8] = &bytes;
                while !rest.is_empty() {
                    match parse(rest) {
                        Read::Card { used, .. } | Read::Skip(used) => {
                            proptest::prop_assert!(used > 0 && used <= rest.len());
                            rest = &rest[used..];
                        }
                        Read::NeedMore => break,
                    }
                }
            }
        }
    }
}
