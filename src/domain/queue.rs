//! The queue: its status machine and the wait estimate.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::time::Interval;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    Waiting,
    Called,
    InService,
    Done,
    Left,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("排队状态不能从「{}」变为「{}」/ a queue entry cannot go from {} to {}", from.label_zh(), to.label_zh(), from.as_str(), to.as_str())]
pub struct IllegalTransition {
    pub from: QueueStatus,
    pub to: QueueStatus,
}

impl QueueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueStatus::Waiting => "waiting",
            QueueStatus::Called => "called",
            QueueStatus::InService => "in_service",
            QueueStatus::Done => "done",
            QueueStatus::Left => "left",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            QueueStatus::Waiting => "等候中",
            QueueStatus::Called => "已叫号",
            QueueStatus::InService => "服务中",
            QueueStatus::Done => "已完成",
            QueueStatus::Left => "已离开",
        }
    }

    pub fn from_db(s: &str) -> Option<QueueStatus> {
        Some(match s {
            "waiting" => QueueStatus::Waiting,
            "called" => QueueStatus::Called,
            "in_service" => QueueStatus::InService,
            "done" => QueueStatus::Done,
            "left" => QueueStatus::Left,
            _ => return None,
        })
    }

    /// Still in the shop's queue (not finished).
    pub fn is_active(self) -> bool {
        matches!(self, QueueStatus::Waiting | QueueStatus::Called | QueueStatus::InService)
    }

    /// waiting → called → in service → done; waiting or called → left; a called customer
    /// who is not there can be put back to waiting. Nothing else.
    pub fn transition(self, to: QueueStatus) -> Result<QueueStatus, IllegalTransition> {
        use QueueStatus::*;
        match (self, to) {
            (Waiting, Called)
            | (Called, InService)
            | (InService, Done)
            | (Waiting, Left)
            | (Called, Left)
            | (Called, Waiting) => Ok(to),
            _ => Err(IllegalTransition { from: self, to }),
        }
    }
}

/// A beautician as the estimate sees them.
#[derive(Debug, Clone)]
pub struct StaffAvailability {
    pub staff_id: String,
    /// When they finish what they are doing now (or `now` when idle).
    pub free_from: DateTime<Utc>,
    /// End of today's shift: nothing is started that would end after it.
    pub shift_end: DateTime<Utc>,
    /// Appointments still ahead of them today (any order).
    pub booked: Vec<Interval>,
}

/// An unfinished queue entry as the estimate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    pub entry_id: String,
    pub customer_id: String,
    pub status: QueueStatus,
    /// Who serves it, or who was asked for.
    pub staff_id: Option<String>,
    pub minutes: u32,
    pub started_at: Option<DateTime<Utc>>,
}

/// One queue entry waiting for a beautician.
#[derive(Debug, Clone)]
pub struct Job {
    pub staff_id: Option<String>,
    pub duration: Duration,
}

fn earliest_slot(s: &StaffAvailability, duration: Duration) -> Option<DateTime<Utc>> {
    let mut start = s.free_from;
    for b in &s.booked {
        if b.end <= start {
            continue;
        }
        if start + duration <= b.start {
            break;
        }
        start = start.max(b.end);
    }
    (start + duration <= s.shift_end).then_some(start)
}

/// When each job can expect to start, in queue order: each is given to the beautician it
/// asked for, or to whoever can start it soonest, and keeps them busy for its duration.
/// `None` for a job nobody on shift can take today.
pub fn estimate_all(now: DateTime<Utc>, staff: &[StaffAvailability], jobs: &[Job]) -> Vec<Option<DateTime<Utc>>> {
    let mut staff: Vec<StaffAvailability> = staff
        .iter()
        .cloned()
        .map(|mut s| {
            s.free_from = s.free_from.max(now);
            s.booked.sort_by_key(|i| i.start);
            s
        })
        .collect();
    jobs.iter()
        .map(|j| {
            let best = staff
                .iter()
                .enumerate()
                .filter(|(_, s)| j.staff_id.as_ref().is_none_or(|w| *w == s.staff_id))
                .filter_map(|(i, s)| earliest_slot(s, j.duration).map(|t| (i, t)))
                .min_by_key(|(_, t)| *t);
            best.map(|(i, t)| {
                staff[i].free_from = t + j.duration;
                t
            })
        })
        .collect()
}

/// When `job` can expect to start behind the jobs `ahead` of it (see [`estimate_all`]).
pub fn estimate_start(
    now: DateTime<Utc>,
    staff: &[StaffAvailability],
    ahead: &[Job],
    job: &Job,
) -> Option<DateTime<Utc>> {
    let mut jobs = ahead.to_vec();
    jobs.push(job.clone());
    estimate_all(now, staff, &jobs).pop().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use QueueStatus::*;
    use chrono::TimeZone;

    #[test]
    fn transitions() {
        assert_eq!(Waiting.transition(Called), Ok(Called));
        assert_eq!(Called.transition(InService), Ok(InService));
        assert_eq!(InService.transition(Done), Ok(Done));
        assert!(Waiting.transition(InService).is_err());
        assert!(Waiting.transition(Done).is_err());
        assert!(Done.transition(Waiting).is_err());
        assert!(Left.transition(Called).is_err());
        assert!(InService.transition(Left).is_err());
        let e = Waiting.transition(Done).unwrap_err();
        assert!(e.to_string().contains("等候中") && e.to_string().contains("done"));
    }

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }
    fn staff(id: &str, free: DateTime<Utc>, booked: Vec<Interval>) -> StaffAvailability {
        StaffAvailability { staff_id: id.into(), free_from: free, shift_end: t(18, 0), booked }
    }
    fn job(staff: Option<&str>, min: i64) -> Job {
        Job { staff_id: staff.map(Into::into), duration: Duration::minutes(min) }
    }

    proptest::proptest! {
        /// Without bookings or preferences: nobody starts before now or before their shift,
        /// nothing runs past a shift's end, and estimates never go backwards in queue order.
        #[test]
        fn estimates_are_sane(
            free in proptest::collection::vec(0i64..120, 0..4),
            jobs in proptest::collection::vec(5i64..120, 0..30),
        ) {
            let now = t(10, 0);
            let staff: Vec<StaffAvailability> = free
                .iter()
                .enumerate()
                .map(|(i, m)| StaffAvailability {
                    staff_id: format!("s{i}"),
                    free_from: now + Duration::minutes(*m),
                    shift_end: t(18, 0),
                    booked: vec![],
                })
                .collect();
            let jobs: Vec<Job> = jobs.iter().map(|m| job(None, *m)).collect();
            let est = estimate_all(now, &staff, &jobs);
            proptest::prop_assert_eq!(est.len(), jobs.len());
            if staff.is_empty() {
                proptest::prop_assert!(est.iter().all(Option::is_none));
            }
            let mut last = now;
            for (e, j) in est.iter().zip(&jobs) {
                if let Some(e) = e {
                    proptest::prop_assert!(*e >= now && *e >= last);
                    proptest::prop_assert!(*e + j.duration <= t(18, 0));
                    last = *e;
                }
            }
        }
    }

    #[test]
    fn estimate_uses_queue_and_staff() {
        let now = t(10, 0);
        let s = [staff("a", now, vec![]), staff("b", t(10, 30), vec![])];
        // nobody ahead: a is free now
        assert_eq!(estimate_start(now, &s, &[], &job(None, 60)), Some(now));
        // one 60-min job ahead goes to a; b frees at 10:30
        assert_eq!(estimate_start(now, &s, &[job(None, 60)], &job(None, 60)), Some(t(10, 30)));
        // asking for a specifically waits for a
        assert_eq!(estimate_start(now, &s, &[job(None, 60)], &job(Some("a"), 30)), Some(t(11, 0)));
        // an appointment in the way pushes the start past it
        let s2 = [staff("a", now, vec![Interval::new(t(10, 30), t(11, 30))])];
        assert_eq!(estimate_start(now, &s2, &[], &job(None, 60)), Some(t(11, 30)));
        assert_eq!(estimate_start(now, &s2, &[], &job(None, 30)), Some(now));
        // past the end of the shift: no estimate
        assert_eq!(estimate_start(t(17, 30), &s2, &[], &job(None, 60)), None);
        // nobody on shift
        assert_eq!(estimate_start(now, &[], &[], &job(None, 60)), None);
    }
}
