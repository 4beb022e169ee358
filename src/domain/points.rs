//! The points ledger replayed: earned points are lots that expire; redemptions use the
//! lots that expire first (oldest first); what is left of a lot at its expiry is gone.
//!
//! The ledger is append-only. When an expiry is recorded (a row with reason `expired`,
//! written by the daemon or at checkout), the replay skips that row — it only says in the
//! ledger what the replay already knows — so the balance is the same before and after the
//! record, and once every expiry is recorded the balance is the plain sum of the ledger.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsRow {
    pub at: DateTime<Utc>,
    pub delta: i64,
    /// For an earning: when its points expire (`None`: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// A row that records an expiry (reason `expired`).
    pub records_expiry: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PointsState {
    /// Points that may be redeemed at `now`.
    pub available: i64,
    /// Points expired by `now` that no `expired` row records yet.
    pub expired_unrecorded: i64,
}

struct Lot {
    expires_at: Option<DateTime<Utc>>,
    remaining: i64,
}

fn expire(lots: &mut [Lot], until: DateTime<Utc>) -> i64 {
    let mut gone = 0;
    for lot in lots.iter_mut().filter(|l| l.expires_at.is_some_and(|e| e <= until)) {
        gone += lot.remaining.max(0);
        lot.remaining = 0;
    }
    gone
}

/// Replays a customer's points ledger up to `now` (rows in any order; ties keep their order).
pub fn replay(rows: &[PointsRow], now: DateTime<Utc>) -> PointsState {
    let mut rows: Vec<&PointsRow> = rows.iter().filter(|r| r.at <= now).collect();
    rows.sort_by_key(|r| r.at);
    let mut lots: Vec<Lot> = Vec::new();
    let (mut expired, mut recorded) = (0i64, 0i64);
    // points spent beyond every lot (an import or adjustment may do that): repaid first
    let mut debt = 0i64;
    for r in rows {
        expired += expire(&mut lots, r.at);
        if r.records_expiry {
            recorded += -r.delta;
            continue;
        }
        if r.delta > 0 {
            let repay = debt.min(r.delta);
            debt -= repay;
            lots.push(Lot { expires_at: r.expires_at, remaining: r.delta - repay });
            continue;
        }
        let mut need = -r.delta;
        lots.sort_by_key(|l| (l.expires_at.is_none(), l.expires_at));
        for lot in lots.iter_mut() {
            let take = lot.remaining.min(need);
            lot.remaining -= take;
            need -= take;
            if need == 0 {
                break;
            }
        }
        debt += need;
        lots.retain(|l| l.remaining > 0);
    }
    expired += expire(&mut lots, now);
    let available = lots.iter().map(|l| l.remaining).sum::<i64>() - debt;
    PointsState { available, expired_unrecorded: (expired - recorded).max(0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap()
    }

    fn earn(day: i64, n: i64, life: i64) -> PointsRow {
        PointsRow {
            at: t0() + Duration::days(day),
            delta: n,
            expires_at: Some(t0() + Duration::days(day + life)),
            records_expiry: false,
        }
    }

    fn spend(day: i64, n: i64) -> PointsRow {
        PointsRow { at: t0() + Duration::days(day), delta: -n, expires_at: None, records_expiry: false }
    }

    #[test]
    fn redemptions_use_the_oldest_points_and_the_rest_expires() {
        // 100 earned on day 0 (expire day 365), 50 on day 100 (expire day 465); 120 spent
        // on day 200: the first lot is used up, 30 of the second remain.
        let rows = vec![earn(0, 100, 365), earn(100, 50, 365), spend(200, 120)];
        let at = |day| t0() + Duration::days(day);
        assert_eq!(replay(&rows, at(300)), PointsState { available: 30, expired_unrecorded: 0 });
        assert_eq!(replay(&rows, at(466)), PointsState { available: 0, expired_unrecorded: 30 });
        // recording the expiry changes nothing but the ledger's sum
        let mut recorded = rows.clone();
        recorded.push(PointsRow { at: at(466), delta: -30, expires_at: None, records_expiry: true });
        assert_eq!(replay(&recorded, at(500)), PointsState { available: 0, expired_unrecorded: 0 });
        assert_eq!(recorded.iter().map(|r| r.delta).sum::<i64>(), 0);
    }

    proptest! {
        #[test]
        fn recorded_expiries_make_the_sum_the_balance(ops in prop::collection::vec((0i64..40, 1i64..500, prop::bool::ANY, 10i64..200), 1..40)) {
            let mut rows: Vec<PointsRow> = Vec::new();
            let mut day = 0;
            for (gap, n, is_spend, life) in ops {
                day += gap;
                let now = t0() + Duration::days(day);
                let state = replay(&rows, now);
                prop_assert!(state.available >= 0);
                // the daemon records what expired, then the customer earns or spends
                if state.expired_unrecorded > 0 {
                    rows.push(PointsRow { at: now, delta: -state.expired_unrecorded, expires_at: None, records_expiry: true });
                    prop_assert_eq!(replay(&rows, now).available, state.available);
                    prop_assert_eq!(rows.iter().map(|r| r.delta).sum::<i64>(), state.available);
                }
                if is_spend {
                    let n = n.min(state.available);
                    if n > 0 {
                        rows.push(spend(day, n));
                        prop_assert_eq!(replay(&rows, now).available, state.available - n);
                    }
                } else {
                    rows.push(earn(day, n, life));
                    prop_assert_eq!(replay(&rows, now).available, state.available + n);
                }
            }
        }
    }
}
