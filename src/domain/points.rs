//! The points ledger replayed: earned points are lots that expire; redemptions use the
//! lots that expire first (oldest first); what is left of a lot at its expiry is gone.
//!
//! A negative row with an expiry takes from the lots of that expiry first: it is a void
//! taking back exactly the points the voided visit earned. A positive row restores a lot
//! with its own expiry: a void giving back what a redemption took ([`taken_by`]).
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

/// What a replay saw: the state at its end, the lots a chosen row took from, and every
/// expiry with its time.
struct Walk {
    state: PointsState,
    taken: Vec<(Option<DateTime<Utc>>, i64)>,
    /// `(when, how many)` for every expiry, in time order.
    expiries: Vec<(DateTime<Utc>, i64)>,
    recorded: i64,
}

fn expire_logged(lots: &mut [Lot], until: DateTime<Utc>, log: &mut Vec<(DateTime<Utc>, i64)>) -> i64 {
    let mut gone = 0;
    lots.sort_by_key(|l| (l.expires_at.is_none(), l.expires_at));
    for lot in lots.iter_mut().filter(|l| l.expires_at.is_some_and(|e| e <= until)) {
        if lot.remaining > 0
            && let Some(at) = lot.expires_at
        {
            log.push((at, lot.remaining));
        }
        gone += lot.remaining.max(0);
        lot.remaining = 0;
    }
    gone
}

/// Replays rows up to `now`, noting what the row at index `watch` (in `rows`) took.
fn walk(rows: &[PointsRow], now: DateTime<Utc>, watch: Option<usize>) -> Walk {
    let mut order: Vec<(usize, &PointsRow)> = rows.iter().enumerate().filter(|(_, r)| r.at <= now).collect();
    order.sort_by_key(|(_, r)| r.at);
    let mut lots: Vec<Lot> = Vec::new();
    let (mut expired, mut recorded) = (0i64, 0i64);
    let mut taken = Vec::new();
    let mut expiries = Vec::new();
    // points spent beyond every lot (an import or adjustment may do that): repaid first
    let mut debt = 0i64;
    for (i, r) in order {
        expired += expire_logged(&mut lots, r.at, &mut expiries);
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
        // The lots of the row's own expiry first (a void's take-back), then the ones that
        // expire first.
        lots.sort_by_key(|l| {
            (r.expires_at.is_none() || l.expires_at != r.expires_at, l.expires_at.is_none(), l.expires_at)
        });
        for lot in lots.iter_mut() {
            let take = lot.remaining.min(need);
            if take > 0 && watch == Some(i) {
                taken.push((lot.expires_at, take));
            }
            lot.remaining -= take;
            need -= take;
            if need == 0 {
                break;
            }
        }
        debt += need;
        lots.retain(|l| l.remaining > 0);
    }
    expired += expire_logged(&mut lots, now, &mut expiries);
    let available = lots.iter().map(|l| l.remaining).sum::<i64>() - debt;
    Walk {
        state: PointsState { available, expired_unrecorded: (expired - recorded).max(0) },
        taken,
        expiries,
        recorded,
    }
}

/// Replays a customer's points ledger up to `now` (rows in any order; ties keep their order).
pub fn replay(rows: &[PointsRow], now: DateTime<Utc>) -> PointsState {
    walk(rows, now, None).state
}

/// The lots the negative row `rows[index]` took from, as `(expiry, points)`: what a void
/// of that redemption gives back, each part with its own expiry.
pub fn taken_by(rows: &[PointsRow], index: usize) -> Vec<(Option<DateTime<Utc>>, i64)> {
    let Some(r) = rows.get(index) else { return Vec::new() };
    walk(rows, r.at, Some(index)).taken
}

/// The expiries up to `now` that no `expired` row records yet, each at its own time
/// (`(when, how many)`, oldest first): what the daily expiry job writes.
pub fn unrecorded_expiries(rows: &[PointsRow], now: DateTime<Utc>) -> Vec<(DateTime<Utc>, i64)> {
    let w = walk(rows, now, None);
    // The recorded ones are the oldest: skip that many points.
    let mut skip = w.recorded;
    let mut out = Vec::new();
    for (at, n) in w.expiries {
        let take = skip.min(n);
        skip -= take;
        if n > take {
            match out.last_mut() {
                Some((last, m)) if *last == at => *m += n - take,
                _ => out.push((at, n - take)),
            }
        }
    }
    out
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

    #[test]
    fn a_void_takes_back_the_visits_own_lot_and_gives_back_what_it_redeemed_with_its_expiry() {
        let at = |day| t0() + Duration::days(day);
        // day 0: 100 points (10-day life); day 2: 100 more (10-day life); day 3: the second
        // visit is voided: −100 aimed at its own lot (expiring day 12).
        let mut rows = vec![earn(0, 100, 10), earn(2, 100, 10)];
        rows.push(PointsRow { at: at(3), delta: -100, expires_at: Some(at(12)), records_expiry: false });
        assert_eq!(replay(&rows, at(5)).available, 100);
        // day 10: the first lot expires; nothing is left (before: 100 stayed for ever)
        assert_eq!(replay(&rows, at(11)), PointsState { available: 0, expired_unrecorded: 100 });

        // A redemption of 150 on day 4 took 100 from the day-0 lot and 50 from the day-2 lot.
        let rows = vec![earn(0, 100, 10), earn(2, 100, 10), spend(4, 150)];
        assert_eq!(taken_by(&rows, 2), vec![(Some(at(10)), 100), (Some(at(12)), 50)]);
        // Voided on day 5: given back with those expiries, so they still end on days 10 and 12.
        let mut voided = rows.clone();
        voided.push(PointsRow { at: at(5), delta: 100, expires_at: Some(at(10)), records_expiry: false });
        voided.push(PointsRow { at: at(5), delta: 50, expires_at: Some(at(12)), records_expiry: false });
        assert_eq!(replay(&voided, at(6)).available, 200);
        assert_eq!(replay(&voided, at(11)), PointsState { available: 100, expired_unrecorded: 100 });
        assert_eq!(replay(&voided, at(13)), PointsState { available: 0, expired_unrecorded: 200 });
        assert_eq!(unrecorded_expiries(&voided, at(13)), vec![(at(10), 100), (at(12), 100)]);
        // one recorded already: only the second is left to write
        voided.push(PointsRow { at: at(10), delta: -100, expires_at: None, records_expiry: true });
        assert_eq!(unrecorded_expiries(&voided, at(13)), vec![(at(12), 100)]);
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
