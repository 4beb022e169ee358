//! Shop-local time: opening hours, business dates, intervals. No clock here: callers pass
//! `now` (from a `Clock`) explicitly.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A half-open UTC interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Interval {
        Interval { start, end }
    }

    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// The shop's business date of an instant (the local calendar date).
pub fn business_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// A local wall-clock time on a local date as a UTC instant. In a DST gap the time is moved
/// forward; in an overlap the earlier instant is taken. (Asia/Shanghai has neither.)
pub fn local_to_utc(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let naive = NaiveDateTime::new(date, time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            let later = naive + chrono::Duration::hours(1);
            match tz.from_local_datetime(&later) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                LocalResult::None => Utc.from_utc_datetime(&naive),
            }
        }
    }
}

/// Local start and end of a business date, in UTC.
pub fn day_bounds(date: NaiveDate, tz: Tz) -> Interval {
    let start = local_to_utc(date, NaiveTime::MIN, tz);
    let end = local_to_utc(date.succ_opt().unwrap_or(date), NaiveTime::MIN, tz);
    Interval { start, end }
}

/// The start (UTC) of the shop's calendar month that holds `now`.
pub fn month_start(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    use chrono::Datelike;
    let d = business_date(now, tz);
    day_bounds(NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d), tz).start
}

/// `HH:MM` of an instant in the shop's zone.
pub fn local_hm(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// `YYYY-MM-DD HH:MM` of an instant in the shop's zone.
pub fn local_dt(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// `YYYY-MM-DD HH:MM–HH:MM` of a span in the shop's zone.
pub fn local_span(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    format!("{}–{}", local_dt(start, tz), local_hm(end, tz))
}

/// Opening hours per weekday (Monday first); `None` is a closed day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    pub days: [Option<(NaiveTime, NaiveTime)>; 7],
}

impl Default for OpeningHours {
    fn default() -> Self {
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap_or(NaiveTime::MIN);
        let nine_pm = NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN);
        OpeningHours { days: [Some((ten, nine_pm)); 7] }
    }
}

impl OpeningHours {
    /// The open interval of a business date in UTC, or `None` on a closed day.
    pub fn on(&self, date: NaiveDate, tz: Tz) -> Option<Interval> {
        let (open, close) = self.days[date.weekday().num_days_from_monday() as usize]?;
        Some(Interval { start: local_to_utc(date, open, tz), end: local_to_utc(date, close, tz) })
    }

    /// Parses `"10:00-21:00"` or `"closed"`/`"休息"`.
    pub fn parse_day(s: &str) -> Result<Option<(NaiveTime, NaiveTime)>, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("closed") || s == "休息" || s == "休" {
            return Ok(None);
        }
        let (a, b) = s.split_once('-').ok_or_else(|| {
            format!("应为 \"10:00-21:00\" 或 \"closed\" / expected \"10:00-21:00\" or \"closed\", got \"{s}\"")
        })?;
        let open = NaiveTime::parse_from_str(a.trim(), "%H:%M")
            .map_err(|_| format!("无效时间 / invalid time \"{}\"", a.trim()))?;
        let close = NaiveTime::parse_from_str(b.trim(), "%H:%M")
            .map_err(|_| format!("无效时间 / invalid time \"{}\"", b.trim()))?;
        if close <= open {
            return Err(format!("打烊时间须晚于开门时间 / closing time must be after opening time in \"{s}\""));
        }
        Ok(Some((open, close)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_date_uses_shop_zone() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        // 2026-11-22 17:00 UTC is 2026-11-23 01:00 in Shanghai
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 17, 0, 0).unwrap();
        assert_eq!(business_date(t, tz), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let b = day_bounds(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), tz);
        assert_eq!(b.start, Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap());
        assert_eq!(b.end - b.start, chrono::Duration::hours(24));
    }

    #[test]
    fn opening_hours() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let mut h = OpeningHours::default();
        h.days[0] = None;
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(h.on(monday, tz), None);
        let tuesday = monday.succ_opt().unwrap();
        let i = h.on(tuesday, tz).unwrap();
        assert_eq!(local_hm(i.start, tz), "10:00");
        assert_eq!(local_hm(i.end, tz), "21:00");
        assert!(OpeningHours::parse_day("21:00-10:00").is_err());
        assert_eq!(OpeningHours::parse_day("closed"), Ok(None));
    }
}

/// A span of the day in shop time, `"21:00-09:00"`; it may cross midnight. Buzzer quiet
/// hours, the hours messages may be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailySpan {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl DailySpan {
    pub fn parse(s: &str) -> Option<DailySpan> {
        let (a, b) = s.split_once('-')?;
        let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").ok();
        Some(DailySpan { from: t(a)?, to: t(b)? })
    }

    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.from <= self.to { self.from <= t && t < self.to } else { t >= self.from || t < self.to }
    }

    /// Whether every time of `self` is also in `outer`.
    pub fn within(&self, outer: &DailySpan) -> bool {
        if self.from == self.to {
            return false;
        }
        // Minutes from outer.from, walking forward around the clock.
        let rel = |t: NaiveTime| (t - outer.from).num_minutes().rem_euclid(24 * 60);
        let outer_len = rel(outer.to);
        let outer_len = if outer_len == 0 { 24 * 60 } else { outer_len };
        let (a, b) = (rel(self.from), rel(self.to));
        let b = if b == 0 { 24 * 60 } else { b };
        a < outer_len && a < b && b <= outer_len
    }

    /// The first moment at or after `now` (shop time `tz`) that lies in the span.
    pub fn next_open(&self, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = now.with_timezone(&tz);
        if self.contains(local.time()) {
            return now;
        }
        let date = local.date_naive();
        let today = local_to_utc(date, self.from, tz);
        if today > now { today } else { local_to_utc(date + chrono::Duration::days(1), self.from, tz) }
    }
}

impl std::fmt::Display for DailySpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.from.format("%H:%M"), self.to.format("%H:%M"))
    }
}

impl std::str::FromStr for DailySpan {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        DailySpan::parse(s)
            .ok_or_else(|| format!("时段「{s}」格式应为 21:00-09:00 / span \"{s}\" must look like 21:00-09:00"))
    }
}

#[cfg(test)]
mod span_tests {
    use super::*;

    fn span(s: &str) -> DailySpan {
        s.parse().unwrap()
    }

    #[test]
    fn spans_cross_midnight_and_nest() {
        let quiet = span("21:00-09:00");
        assert!(quiet.contains(NaiveTime::from_hms_opt(23, 0, 0).unwrap()));
        assert!(quiet.contains(NaiveTime::from_hms_opt(8, 59, 0).unwrap()));
        assert!(!quiet.contains(NaiveTime::from_hms_opt(9, 0, 0).unwrap()));
        let allowed = span("08:00-20:00");
        assert!(span("10:00-20:00").within(&allowed));
        assert!(span("08:00-20:00").within(&allowed));
        assert!(!span("07:30-12:00").within(&allowed));
        assert!(!span("10:00-21:00").within(&allowed));
        assert!(!span("19:00-09:00").within(&allowed));
        assert!(span("22:00-06:00").within(&quiet));
        assert!("25:00-01:00".parse::<DailySpan>().is_err());
    }

    #[test]
    fn next_open_moves_to_the_next_morning_in_shop_time() {
        let tz = chrono_tz::Asia::Shanghai;
        let hours = span("08:00-20:00");
        // 21:30 Shanghai on 2026-11-23 is 13:30 UTC: next open is 08:00 Shanghai, 00:00 UTC.
        let late = Utc.with_ymd_and_hms(2026, 11, 23, 13, 30, 0).unwrap();
        assert_eq!(hours.next_open(late, tz), Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap());
        // 06:00 Shanghai: the same day's 08:00.
        let early = Utc.with_ymd_and_hms(2026, 11, 23, 22, 0, 0).unwrap();
        assert_eq!(hours.next_open(early, tz), Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap());
        let open = Utc.with_ymd_and_hms(2026, 11, 24, 3, 0, 0).unwrap();
        assert_eq!(hours.next_open(open, tz), open);
    }
}
