//! Chinese mobile phone numbers: normalisation and validation.
//!
//! Accepts what people and spreadsheets really type: spaces, dashes, dots, brackets,
//! full-width digits, a `+86` / `0086` / `86` country prefix. The result is always the
//! bare 11 digits `1[3-9]XXXXXXXXX`.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A normalised Chinese mobile number (11 digits, starts with 1[3-9]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

#[derive(Debug, Error, PartialEq, Eq, Clone)]
pub enum PhoneError {
    #[error("手机号为空 / phone number is empty")]
    Empty,
    #[error("手机号含有无效字符 '{0}' / phone number contains an invalid character '{0}'")]
    InvalidChar(char),
    #[error("手机号应为 11 位数字，实际 {0} 位 / a mobile number has 11 digits, got {0}")]
    WrongLength(usize),
    #[error("不是中国大陆手机号（应以 13-19 开头）/ not a mainland China mobile number (must start with 13-19): {0}")]
    NotMobile(String),
}

impl Phone {
    /// Normalises and validates `input`.
    ///
    /// ```
    /// use salonbox::domain::phone::Phone;
    /// let p = Phone::parse("+86 138-1234-5678").unwrap();
    /// assert_eq!(p.as_str(), "13812345678");
    /// assert_eq!(p.masked(), "138****5678");
    /// assert!(Phone::parse("010-12345678").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for (i, c) in input.trim().chars().enumerate() {
            let c = fullwidth_to_ascii(c);
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{3000}' | '\t' => {}
                '+' if i == 0 => plus = true,
                other => return Err(PhoneError::InvalidChar(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let national = if let Some(rest) = digits.strip_prefix("0086") {
            rest
        } else if digits.len() == 13 && digits.starts_with("86") {
            &digits[2..]
        } else if plus {
            match digits.strip_prefix("86") {
                Some(rest) => rest,
                None => return Err(PhoneError::NotMobile(format!("+{digits}"))),
            }
        } else {
            &digits
        };
        if national.len() != 11 {
            return Err(PhoneError::WrongLength(national.len()));
        }
        let bytes = national.as_bytes();
        if bytes[0] != b'1' || !(b'3'..=b'9').contains(&bytes[1]) {
            return Err(PhoneError::NotMobile(national.to_string()));
        }
        Ok(Phone(national.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`: what a screen or a ticket may show.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }

    /// E.164 form, `+8613812345678`, for SMS providers.
    pub fn e164(&self) -> String {
        format!("+86{}", self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn fullwidth_to_ascii(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '＋' => '+',
        '－' | '—' => '-',
        '（' => '(',
        '）' => ')',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_common_forms() {
        for input in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "008613812345678",
            "8613812345678",
            "１３８１２３４５６７８",
            " (138)1234.5678 ",
        ] {
            assert_eq!(Phone::parse(input).unwrap().as_str(), "13812345678", "{input}");
        }
    }

    #[test]
    fn rejects_with_reason() {
        assert_eq!(Phone::parse("  "), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("1381234567"), Err(PhoneError::WrongLength(10)));
        assert_eq!(Phone::parse("12812345678"), Err(PhoneError::NotMobile("12812345678".into())));
        assert_eq!(Phone::parse("010-12345678"), Err(PhoneError::NotMobile("01012345678".into())));
        assert_eq!(Phone::parse("138a2345678"), Err(PhoneError::InvalidChar('a')));
        assert_eq!(Phone::parse("+1 415 555 0100"), Err(PhoneError::NotMobile("+14155550100".into())));
    }

    #[test]
    fn masks() {
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    }

    proptest! {
        #[test]
        fn any_valid_number_survives_decoration(second in 3u8..=9, rest in "[0-9]{9}", sep in prop::sample::select(vec!["", " ", "-"]), prefix in prop::sample::select(vec!["", "+86", "+86 ", "0086", "86"])) {
            let bare = format!("1{second}{rest}");
            let decorated = format!("{prefix}{}{sep}{}{sep}{}", &bare[..3], &bare[3..7], &bare[7..]);
            let parsed = Phone::parse(&decorated).unwrap();
            prop_assert_eq!(parsed.as_str(), bare.as_str());
        }

        #[test]
        fn never_panics_and_output_is_always_valid(s in "\\PC{0,24}") {
            if let Ok(p) = Phone::parse(&s) {
                let b = p.as_str().as_bytes();
                prop_assert_eq!(b.len(), 11);
                prop_assert_eq!(b[0], b'1');
                prop_assert!((b'3'..=b'9').contains(&b[1]));
                prop_assert!(b.iter().all(u8::is_ascii_digit));
                // normalising twice is a no-op
                prop_assert_eq!(Phone::parse(p.as_str()).unwrap(), p.clone());
            }
        }

        #[test]
        fn wrong_digit_counts_are_rejected(n in 1usize..20) {
            prop_assume!(n != 11 && n != 13);
            let s: String = std::iter::once('1').chain(std::iter::repeat_n('3', n - 1)).collect();
            prop_assert!(Phone::parse(&s).is_err());
        }
    }
}
