//! Resident identity card numbers (居民身份证号码, GB 11643).
//!
//! Architecture Invariant: an [`IdNumber`] never leaves this module in the clear. What
//! the rest of the program sees is an [`IdCardKey`]: the keyed hash used for lookup and
//! the masked form used for display. `IdNumber` has no `Display`, `Serialize` or `Clone`,
//! and its `Debug` is masked, so it cannot end up in a log line, a payload or a file.

use std::fmt;

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

use super::customer::Gender;

#[derive(Debug, Error, PartialEq, Eq, Clone)]
pub enum IdNumberError {
    #[error("身份证号应为 18 位，实际 {0} 位 / an identity card number has 18 characters, got {0}")]
    WrongLength(usize),
    #[error("身份证号第 {0} 位不是数字 / character {0} of the identity card number is not a digit")]
    NotDigit(usize),
    #[error("身份证号校验位不符 / the identity card number's check digit is wrong")]
    CheckDigit,
    #[error("身份证号中的出生日期无效 / the birth date inside the identity card number is invalid")]
    BirthDate,
}

/// A validated 18-character identity card number. Held only as long as needed to derive
/// an [`IdCardKey`]; the buffer is wiped on drop.
pub struct IdNumber(String);

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl Drop for IdNumber {
    fn drop(&mut self) {
        // Overwrite the digits before the allocation is released.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl IdNumber {
    /// Validates length, digits, the ISO 7064 MOD 11-2 check character and the birth date.
    pub fn parse(input: &str) -> Result<IdNumber, IdNumberError> {
        let s: String = input.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
        let n = s.chars().count();
        if n != 18 {
            return Err(IdNumberError::WrongLength(n));
        }
        let mut sum = 0u32;
        for (i, c) in s.chars().take(17).enumerate() {
            let d = c.to_digit(10).ok_or(IdNumberError::NotDigit(i + 1))?;
            sum += d * WEIGHTS[i];
        }
        let last = s.chars().nth(17).unwrap_or(' ');
        if !last.is_ascii_digit() && last != 'X' {
            return Err(IdNumberError::NotDigit(18));
        }
        if CHECK[(sum % 11) as usize] != last {
            return Err(IdNumberError::CheckDigit);
        }
        let id = IdNumber(s);
        id.birth_date().ok_or(IdNumberError::BirthDate)?;
        Ok(id)
    }

    /// `110101********1234`: the first six and last four characters.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    pub fn birth_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").ok()
    }

    /// The 17th digit: odd for men, even for women.
    pub fn gender(&self) -> Gender {
        let d = self.0.as_bytes()[16] - b'0';
        if d % 2 == 1 { Gender::Male } else { Gender::Female }
    }

    /// `HMAC-SHA256(device key, id number)` (hex) with the masked form.
    pub fn key(&self, device_key: &[u8]) -> IdCardKey {
        IdCardKey { hash: keyed_hash(device_key, self.0.as_bytes()), masked: self.masked() }
    }
}

/// What may be stored and shown of an identity card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCardKey {
    /// Lowercase hex HMAC-SHA256 of the number under the device key.
    pub hash: String,
    /// `110101********1234`.
    pub masked: String,
}

/// Free text (a note, an allergy, a comment, an imported 备注) with every identity-card
/// number in it masked (`110101********1234`). A number is 17 digits and a digit or X with
/// a birth date in the middle and no digit on either side; the check digit is not required,
/// since a mistyped number is still someone's. Text without one is returned as it is.
pub fn mask_in_text(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while start + 18 <= b.len() {
        if looks_like_id(b, start) {
            found.push(start);
            start += 18;
        } else {
            start += 1;
        }
    }
    if found.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in found {
        // all 18 bytes are ASCII, so these are character boundaries
        out.push_str(&text[at..s + 6]);
        out.push_str("********");
        out.push_str(&text[s + 14..s + 18]);
        at = s + 18;
    }
    out.push_str(&text[at..]);
    std::borrow::Cow::Owned(out)
}

fn looks_like_id(b: &[u8], start: usize) -> bool {
    let w = &b[start..start + 18];
    if !w[..17].iter().all(u8::is_ascii_digit)
        || !(w[17].is_ascii_digit() || w[17] == b'X' || w[17] == b'x')
        || (start > 0 && b[start - 1].is_ascii_digit())
        || b.get(start + 18).is_some_and(u8::is_ascii_digit)
    {
        return false;
    }
    let num = |r: std::ops::Range<usize>| w[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    (1900..=2100).contains(&num(6..10)) && (1..=12).contains(&num(10..12)) && (1..=31).contains(&num(12..14))
}

/// Lowercase hex HMAC-SHA256 of `data` under `key`.
pub fn keyed_hash(key: &[u8], data: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_free_text_are_masked() {
        assert_eq!(mask_in_text("身份证110101199003150126，对果酸过敏"), "身份证110101********0126，对果酸过敏");
        assert_eq!(
            mask_in_text("a 11010519491231002x b 110105194912310021"),
            "a 110105********002x b 110105********0021"
        );
        // a phone, a longer digit run, a run without a birth date: left alone
        for keep in ["13812345678", "1101011990031501260", "110101000003150126", "会员 M100001"] {
            assert_eq!(mask_in_text(keep), keep);
        }
        assert!(matches!(mask_in_text("无"), std::borrow::Cow::Borrowed(_)));
    }

    // A well-known sample number from GB 11643 examples.
    const SAMPLE: &str = "11010519491231002X";

    #[test]
    fn valid_sample() {
        let id = IdNumber::parse(SAMPLE).unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31));
        assert_eq!(id.gender(), Gender::Female);
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn lowercase_x_accepted() {
        assert!(IdNumber::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn errors_are_specific() {
        assert_eq!(IdNumber::parse("123").unwrap_err(), IdNumberError::WrongLength(3));
        assert_eq!(IdNumber::parse("110105194912310021").unwrap_err(), IdNumberError::CheckDigit);
        assert_eq!(IdNumber::parse("11010519491231A02X").unwrap_err(), IdNumberError::NotDigit(15));
        // 1949-13-31 with a matching check digit
        let mut body = "11010519491331002".to_string();
        let sum: u32 = body.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
        body.push(CHECK[(sum % 11) as usize]);
        assert_eq!(IdNumber::parse(&body).unwrap_err(), IdNumberError::BirthDate);
    }

    #[test]
    fn hash_depends_on_key_and_number() {
        let id = IdNumber::parse(SAMPLE).unwrap();
        let a = id.key(b"key-a");
        let b = id.key(b"key-b");
        assert_ne!(a.hash, b.hash);
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains("19491231"));
        // RFC 4231 test case 2 checks the HMAC itself
        assert_eq!(
            keyed_hash(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
