//! Money: `rust_decimal::Decimal` yuan everywhere in the program; whole fen (0.01 yuan)
//! as `i64` only at the storage boundary.

use rust_decimal::{Decimal, RoundingStrategy};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MoneyError {
    #[error("金额无效：\"{0}\" / not an amount of money: \"{0}\"")]
    Invalid(String),
    #[error("金额不能为负：{0} / an amount cannot be negative: {0}")]
    Negative(String),
    #[error("金额最多两位小数：{0} / at most two decimal places: {0}")]
    TooPrecise(String),
    #[error("金额过大：{0} / amount too large: {0}")]
    TooLarge(String),
}

/// Parses `128`, `128.5`, `128.50`, `¥128`, `128元` into yuan; refuses negatives and more
/// than two decimals (a price list never has them).
/// `¥88.00`: how an amount is shown on screens, receipts and in messages.
pub fn show_yuan(d: Decimal) -> String {
    format!("¥{d:.2}")
}

pub fn parse_yuan(s: &str) -> Result<Decimal, MoneyError> {
    let t = s.trim().trim_start_matches(['¥', '￥']).trim_end_matches('元').trim().replace(',', "");
    let d: Decimal = t.parse().map_err(|_| MoneyError::Invalid(s.trim().to_string()))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(MoneyError::Negative(s.trim().to_string()));
    }
    if d.normalize().scale() > 2 {
        return Err(MoneyError::TooPrecise(s.trim().to_string()));
    }
    to_fen(d).map_err(|_| MoneyError::TooLarge(s.trim().to_string()))?;
    Ok(d.round_dp(2))
}

/// Yuan → fen. Rounds half away from zero to 0.01 (the one rounding rule of salonbox).
pub fn to_fen(yuan: Decimal) -> Result<i64, MoneyError> {
    let fen = (yuan.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero) * Decimal::ONE_HUNDRED).trunc();
    i64::try_from(fen).map_err(|_| MoneyError::TooLarge(yuan.to_string()))
}

/// Fen → yuan with exactly two decimals (`128.00`).
pub fn from_fen(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(parse_yuan("¥128").unwrap().to_string(), "128");
        assert_eq!(to_fen(parse_yuan("128.5元").unwrap()).unwrap(), 12850);
        assert_eq!(from_fen(12850).to_string(), "128.50");
        assert_eq!(to_fen(Decimal::new(12345, 3)).unwrap(), 1235);
        assert!(matches!(parse_yuan("-1"), Err(MoneyError::Negative(_))));
        assert!(matches!(parse_yuan("1.234"), Err(MoneyError::TooPrecise(_))));
        assert!(matches!(parse_yuan("abc"), Err(MoneyError::Invalid(_))));
    }
}
