//! Stock rules (库存): which batch a sale or a treatment takes from, and how near a batch is
//! to its expiry date. Levels are sums of the ledger; nothing here stores or edits one.

use chrono::NaiveDate;
use serde::Serialize;

/// What a batch holds now (the sum of its ledger rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLevel {
    /// `None`: stock moved without a batch (sold before any purchase was entered).
    pub batch_id: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub on_hand: i64,
}

/// One ledger row to write for a take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Take {
    pub batch_id: Option<String>,
    pub quantity: i64,
}

/// First-expiring first (先到期先出): takes `quantity` from the batches on hand that have
/// not expired by `today`, soonest expiry first (batches without a date last, then in the
/// order given). What they cannot cover is one take without a batch, so the sale still goes
/// through and the level shows the shortfall for the stock-take; an expired batch is never
/// taken from.
pub fn fefo(batches: &[BatchLevel], quantity: i64, today: NaiveDate) -> Vec<Take> {
    let mut usable: Vec<&BatchLevel> = batches
        .iter()
        .filter(|b| b.batch_id.is_some() && b.on_hand > 0 && b.expires_on.is_none_or(|d| d >= today))
        .collect();
    usable.sort_by_key(|b| (b.expires_on.is_none(), b.expires_on));
    let mut left = quantity;
    let mut takes = Vec::new();
    for b in usable {
        if left <= 0 {
            break;
        }
        let n = left.min(b.on_hand);
        takes.push(Take { batch_id: b.batch_id.clone(), quantity: n });
        left -= n;
    }
    if left > 0 {
        takes.push(Take { batch_id: None, quantity: left });
    }
    takes
}

/// Where a batch stands against its expiry date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    Fine,
    /// Expires within the warning window: this many days left (0 = today is the last day).
    Soon(i64),
    Expired,
}

pub fn expiry(expires_on: Option<NaiveDate>, today: NaiveDate, warn_days: i64) -> Expiry {
    match expires_on {
        None => Expiry::Fine,
        Some(d) if d < today => Expiry::Expired,
        Some(d) if (d - today).num_days() <= warn_days => Expiry::Soon((d - today).num_days()),
        Some(_) => Expiry::Fine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn b(id: &str, exp: Option<&str>, on_hand: i64) -> BatchLevel {
        BatchLevel { batch_id: Some(id.into()), expires_on: exp.map(d), on_hand }
    }

    #[test]
    fn first_expiring_first_never_expired_and_shortfall_unbatched() {
        let today = d("2026-11-23");
        let batches = [
            b("late", Some("2027-06-01"), 5),
            b("none", None, 10),
            b("soon", Some("2026-12-01"), 2),
            b("expired", Some("2026-11-22"), 9),
            b("empty", Some("2026-11-25"), 0),
        ];
        let t = fefo(&batches, 4, today);
        assert_eq!(
            t,
            vec![
                Take { batch_id: Some("soon".into()), quantity: 2 },
                Take { batch_id: Some("late".into()), quantity: 2 }
            ]
        );
        let t = fefo(&batches, 20, today);
        assert_eq!(t.iter().map(|t| t.quantity).sum::<i64>(), 20);
        assert_eq!(t.last().unwrap(), &Take { batch_id: None, quantity: 3 });
        assert!(t.iter().all(|t| t.batch_id.as_deref() != Some("expired")));
        // The last day is still sellable.
        assert_eq!(fefo(&[b("x", Some("2026-11-23"), 1)], 1, today)[0].batch_id.as_deref(), Some("x"));
        assert_eq!(fefo(&[], 2, today), vec![Take { batch_id: None, quantity: 2 }]);
    }

    #[test]
    fn expiry_windows() {
        let today = d("2026-11-23");
        assert_eq!(expiry(None, today, 30), Expiry::Fine);
        assert_eq!(expiry(Some(d("2026-11-22")), today, 30), Expiry::Expired);
        assert_eq!(expiry(Some(d("2026-11-23")), today, 30), Expiry::Soon(0));
        assert_eq!(expiry(Some(d("2026-12-23")), today, 30), Expiry::Soon(30));
        assert_eq!(expiry(Some(d("2026-12-24")), today, 30), Expiry::Fine);
    }
}
