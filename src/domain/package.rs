//! Packages (套餐): how an item of a package is written and how its one price is split
//! over its items.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PackageItemError {
    #[error("项目为空 / the item is empty")]
    Empty,
    #[error(
        "「{0}」的数量应为正整数，如 面部护理*5 / the quantity of \"{0}\" should be a whole number, as in Facial*5"
    )]
    Quantity(String),
}

/// `面部护理*5`, `面部护理×5`, `面部护理 x5` or `面部护理` (once): the name and how many.
/// After a `*` or `×` only a positive whole number may follow.
pub fn parse_item(text: &str) -> Result<(String, u32), PackageItemError> {
    let t = text.trim();
    let split = match t.rfind(['*', '×']) {
        Some(i) => Some((&t[..i], t[i..].chars().skip(1).collect::<String>())),
        None => t.rfind(['x', 'X']).map(|i| (&t[..i], t[i + 1..].to_string())).filter(|(name, n)| {
            !name.trim().is_empty() && !n.trim().is_empty() && n.trim().chars().all(|c| c.is_ascii_digit())
        }),
    };
    let (name, n) = match split {
        Some((name, n)) => (name.trim(), Some(n)),
        None => (t, None),
    };
    if name.is_empty() {
        return Err(PackageItemError::Empty);
    }
    match n.map(|n| n.trim().parse::<u32>()) {
        None => Ok((name.to_string(), 1)),
        Some(Ok(n)) if n > 0 => Ok((name.to_string(), n)),
        Some(_) => Err(PackageItemError::Quantity(name.to_string())),
    }
}

/// Splits `price` (fen) over items worth `weights` (fen, list price × quantity) in
/// proportion, to the fen, the remainders going to the largest fractions: the parts add up
/// to `price` exactly. Items worth nothing in all share equally.
pub fn split_price(price: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    let weights: Vec<i128> =
        if total == 0 { vec![1; weights.len()] } else { weights.iter().map(|w| i128::from((*w).max(0))).collect() };
    let total: i128 = weights.iter().sum();
    let price = i128::from(price);
    let mut parts: Vec<(usize, i128, i128)> =
        weights.iter().enumerate().map(|(i, w)| (i, price * w / total, price * w % total)).collect();
    let mut left = price - parts.iter().map(|p| p.1).sum::<i128>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| parts[*b].2.cmp(&parts[*a].2).then(a.cmp(b)));
    for i in order.into_iter().cycle() {
        if left <= 0 {
            break;
        }
        parts[i].1 += 1;
        left -= 1;
    }
    parts.into_iter().map(|p| i64::try_from(p.1).unwrap_or(i64::MAX)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_a_name_and_how_many() {
        assert_eq!(parse_item("面部护理*5"), Ok(("面部护理".into(), 5)));
        assert_eq!(parse_item(" 面部护理 × 3 "), Ok(("面部护理".into(), 3)));
        assert_eq!(parse_item("精华液 x2"), Ok(("精华液".into(), 2)));
        assert_eq!(parse_item("精华液"), Ok(("精华液".into(), 1)));
        assert_eq!(parse_item("Xmas box"), Ok(("Xmas box".into(), 1)));
        assert_eq!(parse_item("面部护理*0"), Err(PackageItemError::Quantity("面部护理".into())));
        assert_eq!(parse_item("  "), Err(PackageItemError::Empty));
        assert_eq!(parse_item("*4"), Err(PackageItemError::Empty));
        assert_eq!(parse_item("精华*x"), Err(PackageItemError::Quantity("精华".into())));
    }

    #[test]
    fn the_price_is_split_by_list_value_to_the_fen() {
        // ¥1,288 over 5 facials at ¥298 and a serum at ¥380
        let parts = split_price(128_800, &[149_000, 38_000]);
        assert_eq!(parts.iter().sum::<i64>(), 128_800);
        assert_eq!(parts, vec![102_627, 26_173]);
        // three equal items and a price that does not divide
        assert_eq!(split_price(100, &[5, 5, 5]), vec![34, 33, 33]);
        // free items share equally
        assert_eq!(split_price(10, &[0, 0]), vec![5, 5]);
        assert!(split_price(10, &[]).is_empty());
    }
}
