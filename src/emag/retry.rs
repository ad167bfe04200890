//! Retry timing (§7.3): exponential backoff with jitter for transient failures, and a separate
//! doubling wait for 429s.
//!
//! The formula is three lines, so it is written here rather than pulled from a crate: the
//! exact schedule is part of the contract and tests assert it.

use std::time::Duration;

use rand::Rng;

/// How hard a request is retried. Tests shrink every duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per request for transient failures (the first one included).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub base: Duration,
    /// Upper bound of one backoff wait (before jitter).
    pub cap: Duration,
    /// First wait after a 429 without `Retry-After`; doubled per consecutive 429.
    pub rate_limit_initial: Duration,
    pub rate_limit_cap: Duration,
    /// Consecutive 429s after which the request fails.
    pub max_consecutive_429: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(30),
            rate_limit_initial: Duration::from_secs(1),
            rate_limit_cap: Duration::from_secs(30),
            max_consecutive_429: 8,
        }
    }
}

impl RetryPolicy {
    /// Wait before retry `n` (1-based), without jitter: `min(base * 2^(n-1), cap)`.
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// `backoff(n)` plus 0–20 % jitter, so clients that failed together do not retry together.
    pub fn backoff_with_jitter(&self, n: u32) -> Duration {
        let wait = self.backoff(n);
        let jitter = rand::rng().random_range(0.0..=0.2);
        wait + wait.mul_f64(jitter)
    }

    /// Wait after the `n`-th consecutive 429 (1-based) when eMAG sent no `Retry-After`.
    pub fn rate_limit_wait(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.rate_limit_initial
            .saturating_mul(factor)
            .min(self.rate_limit_cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_matches_the_contract() {
        let p = RetryPolicy::default();
        let secs: Vec<u64> = (1..=6).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![2, 4, 8, 16, 30, 30]);
        let rl: Vec<u64> = (1..=7).map(|n| p.rate_limit_wait(n).as_secs()).collect();
        assert_eq!(rl, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(p.backoff(100), Duration::from_secs(30));
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let p = RetryPolicy::default();
        for n in 1..=5 {
            for _ in 0..50 {
                let w = p.backoff_with_jitter(n);
                assert!(
                    w >= p.backoff(n) && w <= p.backoff(n).mul_f64(1.2) + Duration::from_millis(1)
                );
            }
        }
    }
}
