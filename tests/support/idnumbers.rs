//! Finding identity-card numbers in bytes: 18 characters, 17 digits and a check character
//! (ISO 7064 MOD 11-2), a birth date in the middle, no digit on either side. The reference
//! cloud refuses payloads holding one; the privacy sweep looks for them in every artefact.

#![allow(dead_code)]

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECKS: &[u8; 11] = b"10X98765432";

/// The byte offsets of every identity-card number in `b`.
pub fn find(b: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    if b.len() < 18 {
        return found;
    }
    for start in 0..=b.len() - 18 {
        let w = &b[start..start + 18];
        if !w[..17].iter().all(u8::is_ascii_digit)
            || (start > 0 && b[start - 1].is_ascii_digit())
            || b.get(start + 18).is_some_and(u8::is_ascii_digit)
        {
            continue;
        }
        let sum: u32 = w[..17].iter().zip(WEIGHTS).map(|(d, k)| u32::from(d - b'0') * k).sum();
        if w[17].to_ascii_uppercase() != CHECKS[(sum % 11) as usize] {
            continue;
        }
        let num = |r: std::ops::Range<usize>| std::str::from_utf8(&w[r]).ok().and_then(|s| s.parse::<u32>().ok());
        let (year, month, day) = (num(6..10), num(10..12), num(12..14));
        if year.is_some_and(|y| (1900..=2100).contains(&y))
            && month.is_some_and(|m| (1..=12).contains(&m))
            && day.is_some_and(|d| (1..=31).contains(&d))
        {
            found.push(start);
        }
    }
    found
}

/// Whether the text holds an identity-card number.
pub fn holds_id_number(text: &str) -> bool {
    !find(text.as_bytes()).is_empty()
}
