//! Start times that avoid round minutes.
//!
//! eMAG asks integrators not to call at round times (emag-api.md §8: "12:04:42, not
//! 12:00:00"), because every naive cron job in the country fires then. The rule, applied to
//! every start the daemon schedules:
//!
//! - a start never falls on second :00 of any minute, and
//! - a start never falls anywhere in minutes :00, :15, :30 or :45 of the hour.
//!
//! A slot gets a random delay of up to [`max_jitter`] (a fifth of the interval, between 5 s and
//! 5 min), then is pushed forward out of a round minute (into the next minute, at second 3–57)
//! or off second :00 (by 3–57 s). So a start lies in `[slot, slot + max_jitter + 2 min)`.

use chrono::{DateTime, Duration, DurationRound, Timelike, Utc};
use rand::Rng;

/// Whether `t` is a time the daemon must not start at.
pub fn is_round(t: DateTime<Utc>) -> bool {
    t.second() == 0 || t.minute().is_multiple_of(15)
}

/// The largest random delay for a schedule with this interval.
pub fn max_jitter(interval: Duration) -> Duration {
    (interval / 5).clamp(Duration::seconds(5), Duration::minutes(5))
}

/// Upper bound (exclusive) of how far [`jittered`] may move a slot.
pub fn max_shift(interval: Duration) -> Duration {
    max_jitter(interval) + Duration::minutes(2)
}

/// Moves `t` forward, if needed, so that it is not round (whole seconds).
pub fn avoid_round(t: DateTime<Utc>, rng: &mut impl Rng) -> DateTime<Utc> {
    let mut t = t.duration_trunc(Duration::seconds(1)).unwrap_or(t);
    if t.minute().is_multiple_of(15) {
        let to_next_minute = 60 - i64::from(t.second());
        t += Duration::seconds(to_next_minute + rng.random_range(3..=57));
    }
    if t.second() == 0 {
        t += Duration::seconds(rng.random_range(3..=57));
    }
    t
}

/// A start time for the slot `slot`: a random delay, then [`avoid_round`].
pub fn jittered(slot: DateTime<Utc>, interval: Duration, rng: &mut impl Rng) -> DateTime<Utc> {
    let max = max_jitter(interval).num_seconds();
    avoid_round(slot + Duration::seconds(rng.random_range(0..=max)), rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn round_times_are_recognised() {
        assert!(is_round(at("2026-11-29T12:00:00Z")));
        assert!(is_round(at("2026-11-29T12:15:42Z")));
        assert!(is_round(at("2026-11-29T12:07:00Z")));
        assert!(!is_round(at("2026-11-29T12:04:42Z")));
        assert!(!is_round(at("2026-11-29T12:59:59Z")));
    }

    #[test]
    fn jittered_starts_are_never_round_and_stay_within_bounds() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for minutes in [1, 5, 15, 60, 240] {
            let interval = Duration::minutes(minutes);
            let mut slot = at("2026-11-29T00:00:00Z");
            let mut delays = Vec::new();
            for _ in 0..2_000 {
                let start = jittered(slot, interval, &mut rng);
                assert!(!is_round(start), "{start} for slot {slot}");
                assert!(start >= slot, "{start} before {slot}");
                assert!(
                    start - slot < max_shift(interval),
                    "{start} too far after {slot}"
                );
                delays.push((start - slot).num_seconds());
                slot += Duration::seconds(61); // walk over every second/minute combination
            }
            // Random, not a constant offset.
            delays.sort();
            delays.dedup();
            assert!(delays.len() > 5, "{minutes} min: {delays:?}");
        }
        assert_eq!(max_jitter(Duration::minutes(1)), Duration::seconds(12));
        assert_eq!(max_jitter(Duration::minutes(60)), Duration::minutes(5));
        assert_eq!(max_jitter(Duration::seconds(10)), Duration::seconds(5));
    }
}
