//! Check-in rules: which of today's appointments an arrival belongs to, and ticket numbers.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How early and how late an arrival still counts as "for" an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckinWindow {
    pub early: Duration,
    pub late: Duration,
}

impl Default for CheckinWindow {
    fn default() -> Self {
        CheckinWindow { early: Duration::minutes(60), late: Duration::minutes(30) }
    }
}

impl CheckinWindow {
    pub fn matches(&self, appointment_start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        appointment_start - self.early <= now && now <= appointment_start + self.late
    }

    /// Of `(id, start)` candidates, the one this arrival is for: inside the window and
    /// closest to now (ties: the earlier appointment).
    pub fn pick<'a, I>(&self, candidates: I, now: DateTime<Utc>) -> Option<&'a str>
    where
        I: IntoIterator<Item = (&'a str, DateTime<Utc>)>,
    {
        candidates
            .into_iter()
            .filter(|(_, start)| self.matches(*start, now))
            .min_by_key(|(_, start)| ((*start - now).abs(), *start))
            .map(|(id, _)| id)
    }
}

/// The two kinds of queue ticket, each numbered from 1 every business day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketKind {
    /// An arrival for an appointment: A001, A002, ...
    Appointment,
    /// A walk-in: W001, W002, ...
    Walkin,
}

impl TicketKind {
    pub fn prefix(self) -> char {
        match self {
            TicketKind::Appointment => 'A',
            TicketKind::Walkin => 'W',
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Appointment => "appointment",
            TicketKind::Walkin => "walkin",
        }
    }
    pub fn from_db(s: &str) -> TicketKind {
        if s == "appointment" { TicketKind::Appointment } else { TicketKind::Walkin }
    }
}

/// `A001`; past 999 the number simply grows (`W1000`).
pub fn ticket_label(kind: TicketKind, number: u32) -> String {
    format!("{}{:03}", kind.prefix(), number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn window_and_pick() {
        let w = CheckinWindow::default();
        let t = |h, m| Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap();
        assert!(w.matches(t(10, 0), t(9, 0)));
        assert!(!w.matches(t(10, 0), t(8, 59)));
        assert!(w.matches(t(10, 0), t(10, 30)));
        assert!(!w.matches(t(10, 0), t(10, 31)));
        let c = [("early", t(9, 30)), ("later", t(10, 20)), ("far", t(15, 0))];
        assert_eq!(w.pick(c.iter().map(|(i, s)| (*i, *s)), t(10, 0)), Some("later"));
        assert_eq!(w.pick(c.iter().map(|(i, s)| (*i, *s)), t(13, 0)), None);
    }

    #[test]
    fn labels() {
        assert_eq!(ticket_label(TicketKind::Appointment, 1), "A001");
        assert_eq!(ticket_label(TicketKind::Walkin, 42), "W042");
        assert_eq!(ticket_label(TicketKind::Walkin, 1000), "W1000");
    }
}
