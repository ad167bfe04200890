//! One request budget per eMAG account, shared by every client of that account in the process.
//!
//! eMAG allows 3 request starts per rolling second and 180 per minute (§8); the simulator
//! counts any rolling 1000 ms. A GCRA with burst 1 and period `min_interval` (default 350 ms)
//! spaces every start at least 350 ms apart, so any 1000 ms window holds at most 3 starts
//! (0, 350, 700; the 4th is at 1050) and any minute at most 172, which meets both limits with
//! a 50 ms margin for network jitter. A bigger burst would let 3 requests leave together after
//! an idle spell and the next 3 follow within the same rolling second.
//!
//! After a 429 the whole account waits: a shared gate that every caller passes before asking
//! the GCRA, so concurrent page fetches back off together instead of each hitting the limit.
//!
//! Pushes go first (§12.10: a scan starves pushes unless they get priority). Callers queue for
//! the GCRA one at a time through a fair turnstile; a read that reaches the turnstile while a
//! push waits steps aside until no push waits. A push therefore waits for at most the one read
//! already at the GCRA, not for every page the scan has in flight.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::EmagError;

pub(crate) struct AccountLimiter {
    gcra: Option<DefaultDirectRateLimiter>,
    blocked_until: Mutex<Option<Instant>>,
    /// Held while waiting for a GCRA slot; tokio's mutex serves waiters in order.
    turnstile: tokio::sync::Mutex<()>,
    /// Priority callers (pushes) waiting for a slot, and a wake-up for reads when that
    /// drops to zero.
    priority_waiting: AtomicUsize,
    priority_drained: Notify,
}

/// Which callers go first when both wait for the account's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Priority {
    Read,
    Push,
}

/// Counts a waiting push for as long as it lives.
struct PushWaiting<'a>(&'a AccountLimiter);

impl<'a> PushWaiting<'a> {
    fn new(limiter: &'a AccountLimiter) -> Self {
        limiter.priority_waiting.fetch_add(1, Ordering::AcqRel);
        PushWaiting(limiter)
    }
}

impl Drop for PushWaiting<'_> {
    fn drop(&mut self) {
        if self.0.priority_waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.priority_drained.notify_waiters();
        }
    }
}

impl AccountLimiter {
    pub(crate) fn new(min_interval: Duration) -> Self {
        let gcra = Quota::with_period(min_interval)
            .map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)));
        AccountLimiter {
            gcra,
            blocked_until: Mutex::new(None),
            turnstile: tokio::sync::Mutex::new(()),
            priority_waiting: AtomicUsize::new(0),
            priority_drained: Notify::new(),
        }
    }

    fn push_waiting(&self) -> bool {
        self.priority_waiting.load(Ordering::Acquire) > 0
    }

    /// Reads wait here while any push waits for a slot.
    async fn yield_to_pushes(&self, cancel: Option<&CancellationToken>) -> Result<(), EmagError> {
        while self.push_waiting() {
            // Created before the re-check, so a drain between the two is not missed.
            let drained = self.priority_drained.notified();
            if !self.push_waiting() {
                break;
            }
            cancellable(cancel, drained).await?;
        }
        Ok(())
    }

    /// Waits until this account may start one request: past any 429 gate, then (pushes
    /// first) a GCRA slot.
    pub(crate) async fn acquire(
        &self,
        cancel: Option<&CancellationToken>,
        priority: Priority,
    ) -> Result<(), EmagError> {
        let _push = (priority == Priority::Push).then(|| PushWaiting::new(self));
        loop {
            let gate = *self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(until) = gate.filter(|u| *u > Instant::now()) {
                cancellable(cancel, tokio::time::sleep_until(until)).await?;
            }
            if let Some(gcra) = &self.gcra {
                let _turn = loop {
                    if priority == Priority::Read {
                        self.yield_to_pushes(cancel).await?;
                    }
                    let turn = cancellable(cancel, self.turnstile.lock()).await?;
                    if priority == Priority::Push || !self.push_waiting() {
                        break turn;
                    }
                };
                cancellable(cancel, gcra.until_ready()).await?;
            }
            // A 429 may have closed the gate while this caller waited for its slot.
            let gate = *self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
            if gate.is_none_or(|u| u <= Instant::now()) {
                return Ok(());
            }
        }
    }

    /// Holds every request of the account for `wait` (a 429 was answered).
    pub(crate) fn block_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut gate = self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
        if gate.is_none_or(|g| g < until) {
            *gate = Some(until);
        }
    }
}

/// Runs `fut` unless the token fires first.
pub(crate) async fn cancellable<F: Future>(
    cancel: Option<&CancellationToken>,
    fut: F,
) -> Result<F::Output, EmagError> {
    match cancel {
        None => Ok(fut.await),
        Some(token) => tokio::select! {
            biased;
            _ = token.cancelled() => Err(EmagError::Cancelled),
            out = fut => Ok(out),
        },
    }
}

type Registry = Mutex<HashMap<String, Weak<AccountLimiter>>>;
static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The process-wide limiter of one account, identified by base URL and username (what eMAG
/// counts by), created on first use and dropped with its last client.
pub(crate) fn for_account(
    base_url: &str,
    username: &str,
    min_interval: Duration,
) -> Arc<AccountLimiter> {
    let key = format!("{base_url}\u{0}{username}");
    let mut map = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    map.retain(|_, weak| weak.strong_count() > 0);
    if let Some(existing) = map.get(&key).and_then(Weak::upgrade) {
        return existing;
    }
    let limiter = Arc::new(AccountLimiter::new(min_interval));
    map.insert(key, Arc::downgrade(&limiter));
    limiter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_are_spaced_by_the_period() {
        let limiter = AccountLimiter::new(Duration::from_millis(50));
        let start = std::time::Instant::now();
        for _ in 0..4 {
            limiter.acquire(None, Priority::Read).await.unwrap();
        }
        // 4 starts need at least 3 full periods; the upper bound is not asserted (shared CPU).
        assert!(start.elapsed() >= Duration::from_millis(145));
    }

    #[tokio::test]
    async fn zero_interval_means_no_limiter_and_cancel_aborts_waits() {
        let free = AccountLimiter::new(Duration::ZERO);
        for _ in 0..100 {
            free.acquire(None, Priority::Read).await.unwrap();
        }
        free.block_for(Duration::from_secs(3600));
        let token = CancellationToken::new();
        token.cancel();
        assert_eq!(
            free.acquire(Some(&token), Priority::Push).await,
            Err(EmagError::Cancelled)
        );
    }

    #[tokio::test]
    async fn a_push_overtakes_the_pages_a_scan_has_queued() {
        let limiter = Arc::new(AccountLimiter::new(Duration::from_millis(40)));
        let reads = Arc::new(AtomicUsize::new(0));
        // A scan with 6 pages in flight, each asking for the next slot as soon as it has one.
        let scan: Vec<_> = (0..6)
            .map(|_| {
                let (limiter, reads) = (limiter.clone(), reads.clone());
                tokio::spawn(async move {
                    loop {
                        limiter.acquire(None, Priority::Read).await.unwrap();
                        reads.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        while reads.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let before = reads.load(Ordering::SeqCst);
        limiter.acquire(None, Priority::Push).await.unwrap();
        let overtaken_by = reads.load(Ordering::SeqCst) - before;
        for t in scan {
            t.abort();
        }
        // Only the read already at the GCRA may go before the push; without priority the push
        // competes with all six and waits for several of them.
        assert!(overtaken_by <= 1, "{overtaken_by} reads went first");
    }

    #[test]
    fn registry_shares_per_account() {
        let a = for_account("http://x/api-3", "main", Duration::from_millis(350));
        let b = for_account("http://x/api-3", "main", Duration::from_millis(350));
        let c = for_account("http://x/api-3", "fbe", Duration::from_millis(350));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
