//! eMAG's rate limit (§8): sliding windows of 1 s and 60 s per account. Every request that
//! reaches an account is recorded, including the ones answered 429, so a client that keeps
//! hammering stays limited, exactly the stricter reading the contract adopts.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

const SECOND: Duration = Duration::from_millis(1000);
const MINUTE: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct Window {
    times: VecDeque<Instant>,
    /// Highest number of requests seen in any rolling second (accepted or not).
    pub max_in_second: u64,
}

/// The outcome of recording one request.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub limited: bool,
    /// Requests counted in the last second, this one included.
    pub in_second: u32,
}

impl Window {
    /// Records a request at `now` and says whether it is over the limits (0 disables one).
    pub fn hit(&mut self, now: Instant, rps: u32, rpm: u32) -> Decision {
        while self
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            self.times.pop_front();
        }
        let in_minute = self.times.len() as u64;
        let first_in_second = self
            .times
            .partition_point(|t| now.duration_since(*t) >= SECOND);
        let in_second = (self.times.len() - first_in_second) as u64;
        let limited =
            (rps > 0 && in_second >= u64::from(rps)) || (rpm > 0 && in_minute >= u64::from(rpm));
        self.times.push_back(now);
        self.max_in_second = self.max_in_second.max(in_second + 1);
        Decision {
            limited,
            in_second: (in_second + 1).min(u64::from(u32::MAX)) as u32,
        }
    }
}

/// What `/__admin/stats` reports per account.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: u64,
    pub rate_limited: u64,
    pub faults_injected: u64,
    pub window: Window,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourth_request_in_a_second_is_limited_and_counted() {
        let mut w = Window::default();
        let t = Instant::now();
        for i in 0..3 {
            assert!(!w.hit(t + Duration::from_millis(i * 100), 3, 180).limited);
        }
        assert!(w.hit(t + Duration::from_millis(900), 3, 180).limited);
        // The 429 itself counted: one second after the first request there are still 3.
        assert!(w.hit(t + Duration::from_millis(1050), 3, 180).limited);
        assert_eq!(w.max_in_second, 4);
        assert!(!w.hit(t + Duration::from_millis(2000), 3, 180).limited);
    }

    #[test]
    fn minute_window_and_disabling() {
        let mut w = Window::default();
        let t = Instant::now();
        for i in 0..180 {
            assert!(!w.hit(t + Duration::from_millis(i * 300), 0, 180).limited);
        }
        assert!(w.hit(t + Duration::from_millis(180 * 300), 0, 180).limited);
        let mut off = Window::default();
        assert!((0..50).all(|_| !off.hit(t, 0, 0).limited));
        assert_eq!(off.max_in_second, 50);
    }
}
