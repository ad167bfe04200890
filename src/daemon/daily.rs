//! Occurrences of a daily local time (the daily full sync), across time zones and DST.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};

/// `date` at `time` in `tz`; in a DST gap (the time does not exist that day) the first
/// instant after the gap, when it repeats the earlier of the two.
fn local_instant<Tz: TimeZone>(tz: &Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => (1..=4)
            .map(|h| naive + Duration::minutes(30 * h))
            .find_map(|n| tz.from_local_datetime(&n).earliest())
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// The first occurrence of local `time` strictly after `after`.
pub fn next_after<Tz: TimeZone>(after: DateTime<Utc>, time: NaiveTime, tz: &Tz) -> DateTime<Utc> {
    let today = after.with_timezone(tz).date_naive();
    (0..=3)
        .filter_map(|d| local_instant(tz, today + Duration::days(d), time))
        .find(|t| *t > after)
        .unwrap_or(after + Duration::days(1))
}

/// The latest occurrence of local `time` at or before `now`.
pub fn latest_at_or_before<Tz: TimeZone>(
    now: DateTime<Utc>,
    time: NaiveTime,
    tz: &Tz,
) -> DateTime<Utc> {
    let today = now.with_timezone(tz).date_naive();
    (0..=3)
        .filter_map(|d| local_instant(tz, today - Duration::days(d), time))
        .find(|t| *t <= now)
        .unwrap_or(now - Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn occurrences_follow_the_local_clock() {
        let bucharest = FixedOffset::east_opt(2 * 3600).unwrap();
        let t = NaiveTime::from_hms_opt(3, 17, 0).unwrap();
        // 03:17 in UTC+2 is 01:17Z.
        assert_eq!(
            next_after(at("2026-11-29T00:00:00Z"), t, &bucharest),
            at("2026-11-29T01:17:00Z")
        );
        assert_eq!(
            next_after(at("2026-11-29T01:17:00Z"), t, &bucharest),
            at("2026-11-30T01:17:00Z")
        );
        assert_eq!(
            latest_at_or_before(at("2026-11-29T01:17:00Z"), t, &bucharest),
            at("2026-11-29T01:17:00Z")
        );
        assert_eq!(
            latest_at_or_before(at("2026-11-29T01:16:59Z"), t, &bucharest),
            at("2026-11-28T01:17:00Z")
        );
        // Local midnight crossing: 23:30 local on the 28th is 21:30Z.
        let late = NaiveTime::from_hms_opt(23, 30, 0).unwrap();
        assert_eq!(
            next_after(at("2026-11-28T22:00:00Z"), late, &bucharest),
            at("2026-11-29T21:30:00Z")
        );
        assert_eq!(
            next_after(at("2026-11-28T21:00:00Z"), late, &Utc),
            at("2026-11-28T23:30:00Z")
        );
    }
}
