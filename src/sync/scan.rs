//! Paginated scans (§5): page requests issued concurrently so the account's request budget
//! never idles while a page is in flight, the stop rule, and the safety cap.
//!
//! Requests are paced by the client's limiter, not here; this module only keeps enough pages
//! in flight (`concurrency`) that a slot is never wasted waiting for the previous answer.

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::emag::{EmagClient, EmagError, OfferFilter};
use crate::model::Offer;

/// Which pages a scan reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagePlan {
    /// From `first` until the first short page (the stop rule). `expected_last` (from the
    /// count) bounds speculative requests; `cap` is the last page the scan may request.
    Open {
        first: u32,
        expected_last: Option<u32>,
        cap: u32,
    },
    /// Exactly these pages (an incremental window that wraps around the catalogue's end).
    List(Vec<u32>),
}

#[derive(Debug, Clone)]
pub struct ScanSpec {
    pub filter: OfferFilter,
    pub per_page: u32,
    pub plan: PagePlan,
    pub concurrency: usize,
}

/// One page's outcome, delivered in completion order.
#[derive(Debug)]
pub enum PageResult {
    Ok { page: u32, offers: Vec<Offer> },
    Failed { page: u32, error: EmagError },
}

/// How a scan ended.
#[derive(Debug, Default)]
pub struct ScanEnd {
    /// The first short page seen (where the catalogue ended), if any.
    pub terminal: Option<u32>,
    /// Pages that failed after all retries, ascending.
    pub failed: Vec<u32>,
    /// Highest page requested.
    pub last_requested: u32,
    /// An error that stopped the scan: authentication, bad URL, cancellation, safety cap.
    pub fatal: Option<EmagError>,
    pub cap_reached: bool,
    /// The receiver went away (the writer failed); the scan stopped early.
    pub abandoned: bool,
}

impl ScanEnd {
    /// True when every page up to the terminal one succeeded: only then may offers be flagged
    /// as gone.
    pub fn is_complete(&self) -> bool {
        match self.terminal {
            Some(t) => {
                self.fatal.is_none() && !self.abandoned && self.failed.iter().all(|p| *p > t)
            }
            None => false,
        }
    }
}

/// Consecutive failed pages after which an open scan stops (an outage, not a bad page).
const MAX_CONSECUTIVE_FAILED_PAGES: u32 = 3;

/// Runs the scan, sending each page's result to `tx` as it arrives.
pub async fn scan(
    client: &EmagClient,
    spec: &ScanSpec,
    cancel: &CancellationToken,
    tx: mpsc::Sender<PageResult>,
) -> ScanEnd {
    let mut end = ScanEnd::default();
    let mut in_flight = FuturesUnordered::new();
    // Each page is its own task, so decoding JSON of several pages uses every core; the
    // limiter still paces their starts.
    let fetch = |page: u32| {
        let client = client.clone();
        let filter = spec.filter.clone();
        let per_page = spec.per_page;
        let task = tokio::spawn(async move { client.read_offers(&filter, page, per_page).await });
        let abort = task.abort_handle();
        let fut = async move {
            let result = task.await.unwrap_or_else(|e| {
                Err(EmagError::Malformed {
                    status: 0,
                    snippet: format!("the page task failed: {e}"),
                })
            });
            (page, result)
        };
        (fut, abort)
    };
    // Pages still in flight when the scan stops early are aborted, not left running.
    let mut spawned: Vec<tokio::task::AbortHandle> = Vec::new();

    let (mut queue, open) = match &spec.plan {
        PagePlan::List(pages) => (pages.clone().into_iter().rev().collect::<Vec<_>>(), None),
        PagePlan::Open {
            first,
            expected_last,
            cap,
        } => (
            Vec::new(),
            Some((*first, expected_last.unwrap_or(u32::MAX).max(*first), *cap)),
        ),
    };
    // Open scans: `next` page to issue and the page up to which requests are justified.
    let (mut next, mut horizon, cap) = open.unwrap_or((0, 0, 0));
    let mut consecutive_failed = 0u32;

    loop {
        while in_flight.len() < spec.concurrency.max(1) && !cancel.is_cancelled() {
            let page = if open.is_some() {
                let limit = horizon.min(cap).min(end.terminal.unwrap_or(u32::MAX));
                if next > limit {
                    break;
                }
                next += 1;
                next - 1
            } else {
                match queue.pop() {
                    Some(p) => p,
                    None => break,
                }
            };
            end.last_requested = end.last_requested.max(page);
            let (fut, abort) = fetch(page);
            spawned.retain(|a| !a.is_finished());
            spawned.push(abort);
            in_flight.push(fut);
        }
        let Some((page, result)) = in_flight.next().await else {
            break;
        };
        let full = match &result {
            Ok(offers) => offers.len() as u32 >= spec.per_page,
            // Unknown length: assume more may follow, so a failed last page cannot end the scan.
            Err(_) => true,
        };
        match result {
            Ok(offers) => {
                consecutive_failed = 0;
                if !full && end.terminal.is_none_or(|t| page < t) {
                    end.terminal = Some(page);
                }
                if end.terminal.is_some_and(|t| page > t) && open.is_some() {
                    // A speculative page past the end; under churn it may hold shifted offers,
                    // which are still real offers, so they are kept.
                    if offers.is_empty() {
                        continue;
                    }
                }
                if tx.send(PageResult::Ok { page, offers }).await.is_err() {
                    end.abandoned = true;
                    break;
                }
            }
            Err(error) if is_fatal(&error) => {
                end.fatal = Some(error);
                break;
            }
            Err(error) => {
                consecutive_failed += 1;
                end.failed.push(page);
                if tx.send(PageResult::Failed { page, error }).await.is_err() {
                    end.abandoned = true;
                    break;
                }
                if open.is_some() && consecutive_failed >= MAX_CONSECUTIVE_FAILED_PAGES {
                    end.fatal = Some(EmagError::Api {
                        messages: vec![format!(
                            "{MAX_CONSECUTIVE_FAILED_PAGES} pages in a row failed; the scan stopped"
                        )],
                    });
                    break;
                }
            }
        }
        if full && open.is_some() && page >= horizon {
            horizon = page.saturating_add(1);
        }
    }
    if cancel.is_cancelled() && end.fatal.is_none() {
        end.fatal = Some(EmagError::Cancelled);
    }
    if let Some((_, _, cap)) = open
        && end.terminal.is_none()
        && end.fatal.is_none()
        && !end.abandoned
        && next > cap
    {
        end.cap_reached = true;
    }
    for task in spawned {
        task.abort();
    }
    end.failed.sort_unstable();
    end
}

/// Errors that no other page can escape: stop the whole scan.
fn is_fatal(error: &EmagError) -> bool {
    matches!(
        error,
        EmagError::Auth { .. }
            | EmagError::InvalidUrl { .. }
            | EmagError::Cancelled
            | EmagError::Config { .. }
    )
}

/// The pages of an incremental window: `max_pages` pages from `cursor`, wrapping after
/// `last_page`, never the same page twice. Returns the pages and the next cursor.
pub fn incremental_window(cursor: u32, max_pages: u32, last_page: u32) -> (Vec<u32>, u32) {
    let last = last_page.max(1);
    let start = if (1..=last).contains(&cursor) {
        cursor
    } else {
        1
    };
    let n = max_pages.clamp(1, last);
    let pages: Vec<u32> = (0..n).map(|i| (start - 1 + i) % last + 1).collect();
    let next = pages.last().map_or(1, |p| p % last + 1);
    (pages, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_wraps_and_rotates_over_the_catalogue() {
        assert_eq!(incremental_window(1, 5, 13), (vec![1, 2, 3, 4, 5], 6));
        assert_eq!(incremental_window(11, 5, 13), (vec![11, 12, 13, 1, 2], 3));
        assert_eq!(incremental_window(20, 5, 13), (vec![1, 2, 3, 4, 5], 6));
        assert_eq!(incremental_window(3, 50, 4), (vec![3, 4, 1, 2], 3));
        assert_eq!(incremental_window(1, 5, 0), (vec![1], 1));
        // Successive windows cover every page.
        let mut cursor = 1;
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..3 {
            let (pages, next) = incremental_window(cursor, 5, 13);
            seen.extend(pages);
            cursor = next;
        }
        assert_eq!(seen.len(), 13);
    }

    #[test]
    fn completeness_needs_a_terminal_page_and_no_earlier_failure() {
        let mut end = ScanEnd {
            terminal: Some(13),
            ..Default::default()
        };
        assert!(end.is_complete());
        end.failed = vec![14];
        assert!(end.is_complete());
        end.failed = vec![4];
        assert!(!end.is_complete());
        assert!(!ScanEnd::default().is_complete());
    }
}
