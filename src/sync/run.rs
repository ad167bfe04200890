//! One run from start to its final status: count, scan, write pages, reconcile, finish.
//!
//! Both modes scan (eMAG has no modified-since filter); they differ in what they read and
//! conclude. `full` reads every page and, after a complete scan, flags offers that vanished.
//! `incremental` reads a window of `max_pages` pages starting where the previous incremental
//! run stopped (wrapping at the end) and never flags anything.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::engine::{Tuning, describe_emag};
use super::progress::{RunProgress, Tracker};
use super::reconcile::reconcile;
use super::recorder::{Observer, Recorder};
use super::scan::{PagePlan, PageResult, ScanEnd, ScanSpec, incremental_window, scan};
use crate::emag::{EmagClient, EmagError, OfferFilter};
use crate::model::{EventLevel, Offer, OfferStatus, RunStatus, SyncMode, SyncOptions};
use crate::store::{Store, short_db_error};

/// Pages an open scan may request past the count's last page (churn adds offers), and the
/// cap when the count failed (§5).
const CAP_MARGIN: u32 = 10;
const CAP_WITHOUT_COUNT: u32 = 5_000;

pub(crate) struct RunCtx {
    pub store: Store,
    pub client: EmagClient,
    pub account: String,
    pub run_id: i64,
    pub options: SyncOptions,
    pub started_at: DateTime<Utc>,
    /// Where the previous incremental run stopped.
    pub cursor: Option<i64>,
    pub tuning: Tuning,
    pub cancel: CancellationToken,
    pub tracker: Arc<Tracker>,
    /// See `Settings::count_shortfall_partial_percent`.
    pub shortfall_partial_percent: u32,
    /// Fired when the account lock is lost (see `AccountLock::lost`): the run stops at its
    /// next page boundary and fails, so that another run may start.
    pub lock_lost: CancellationToken,
    pub lock_lost_why: Arc<std::sync::Mutex<Option<String>>>,
    pub guard: super::guard::Guard,
}

impl RunCtx {
    /// The outcome of a run that lost its account lock.
    fn lock_lost_outcome(&self, next_page: Option<i64>) -> Outcome {
        let why = self
            .lock_lost_why
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| "its database connection failed".into());
        finished(
            RunStatus::Failed,
            format!("lost the account lock ({why}); stopped so that another run can take over"),
            next_page,
        )
    }
}

#[derive(Debug, PartialEq)]
struct Outcome {
    status: RunStatus,
    summary: Option<String>,
    next_page: Option<i64>,
}

/// Runs to the end and records the final status; never leaves the row `running`.
pub(crate) async fn execute(ctx: RunCtx) -> RunProgress {
    let (recorder, recorder_task) = Recorder::spawn(
        ctx.store.clone(),
        ctx.run_id,
        ctx.tracker.clone(),
        ctx.tuning.progress_interval,
    );
    let observer = Arc::new(Observer {
        tracker: ctx.tracker.clone(),
        recorder: recorder.clone(),
    });
    let client = ctx
        .client
        .observed(observer)
        .with_cancel(ctx.cancel.clone());

    let outcome = sync(&ctx, &client, &recorder).await;

    let p = ctx.tracker.snapshot();
    let mut line = format!(
        "sync of {} {} in {:.1} s: {}",
        ctx.account,
        outcome.status,
        p.elapsed.as_secs_f64(),
        p.counts.describe()
    );
    if let Some(s) = &outcome.summary {
        line.push_str(&format!("; {s}"));
    }
    let level = match outcome.status {
        RunStatus::Completed => EventLevel::Info,
        RunStatus::Cancelled | RunStatus::Partial => EventLevel::Warn,
        _ => EventLevel::Error,
    };
    recorder.event(level, line);

    ctx.tracker.update(|p| {
        p.status = outcome.status;
        p.error_summary = outcome.summary.clone();
    });
    let last = ctx.tracker.snapshot();
    // The run row must not stay `running`: retry the final write a few times (a busy SQLite).
    for attempt in 1..=3 {
        match ctx
            .store
            .runs()
            .finish(
                ctx.run_id,
                outcome.status,
                &last.counts,
                outcome.next_page,
                outcome.summary.as_deref(),
                Utc::now(),
            )
            .await
        {
            Ok(()) => break,
            Err(e) => {
                tracing::error!(target: "magsync::sync", run_id = ctx.run_id, attempt, "cannot record the end of the run: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
        }
    }
    // The status is written before the last events: on a full disk the status is what must
    // get the room that is left. A row that still could not be finished stays `running` and is
    // settled as interrupted by the next reader once this process has exited.
    recorder.close();
    let _ = recorder_task.await;
    last
}

fn finished(
    status: RunStatus,
    summary: impl Into<Option<String>>,
    next_page: Option<i64>,
) -> Outcome {
    Outcome {
        status,
        summary: summary.into(),
        next_page,
    }
}

async fn sync(ctx: &RunCtx, client: &EmagClient, rec: &Recorder) -> Outcome {
    let opts = &ctx.options;
    let per_page = opts.items_per_page;
    let filter = if opts.include_inactive {
        OfferFilter::default()
    } else {
        OfferFilter::active()
    };
    let incremental = opts.mode == SyncMode::Incremental;
    let cursor = ctx
        .cursor
        .and_then(|c| u32::try_from(c).ok())
        .filter(|c| *c >= 1)
        .unwrap_or(1);
    // A failed incremental run keeps the cursor, so the window is retried next time.
    let keep_cursor = incremental.then_some(cursor as i64);

    rec.event(
        EventLevel::Info,
        format!(
            "sync of {} started: {} mode{}, {} offers, {per_page} per page",
            ctx.account,
            opts.mode,
            match (incremental, opts.max_pages) {
                (true, Some(n)) => format!(" ({n} pages from page {cursor})"),
                _ => String::new(),
            },
            if opts.include_inactive {
                "all"
            } else {
                "active"
            },
        ),
    );

    let count = match client.count_offers(&filter).await {
        Ok(c) => Some(c),
        Err(EmagError::Cancelled) => {
            return finished(
                RunStatus::Cancelled,
                "cancelled before the first page".to_string(),
                keep_cursor,
            );
        }
        Err(e) if !e.is_transient() || matches!(e, EmagError::Connect { .. }) => {
            return finished(RunStatus::Failed, describe_emag(&e), keep_cursor);
        }
        Err(e) => {
            rec.event(
                EventLevel::Warn,
                format!("counting offers failed ({e}); scanning without an estimate, at most {CAP_WITHOUT_COUNT} pages"),
            );
            None
        }
    };
    let expected_last =
        count.map(|c| u32::try_from(c.items.div_ceil(u64::from(per_page))).unwrap_or(u32::MAX));

    let planned = plan_pages(incremental, opts.max_pages, cursor, expected_last);
    let pages_total = planned.pages_total;
    ctx.tracker.update(|p| p.counts.pages_total = pages_total);
    if let Some(c) = count {
        let expected = i64::try_from(c.items).unwrap_or(i64::MAX);
        if let Err(e) = ctx
            .store
            .runs()
            .set_offers_expected(ctx.run_id, expected)
            .await
        {
            tracing::warn!(target: "magsync::sync", run_id = ctx.run_id, "cannot record the offer count: {e}");
        }
        // Active vs all: a sync of active offers says how many it leaves out and why, so a
        // count of 1 274 in the connection test and 1 092 mirrored read as one story. The
        // count of all is advisory; if it fails the line just gives the active count.
        let all = if opts.include_inactive {
            None
        } else {
            client
                .count_offers(&OfferFilter::default())
                .await
                .ok()
                .filter(|a| a.items >= c.items)
        };
        let counted = match all {
            Some(a) => format!(
                "{} active offers of {} (inactive and end-of-life ones are not mirrored unless include_inactive)",
                crate::model::group_digits(expected),
                crate::model::group_digits(i64::try_from(a.items).unwrap_or(i64::MAX))
            ),
            None if opts.include_inactive => format!(
                "{} offers of any status",
                crate::model::group_digits(expected)
            ),
            None => format!("{} active offers", crate::model::group_digits(expected)),
        };
        rec.event(
            EventLevel::Info,
            format!(
                "eMAG counts {counted}: {} pages of {per_page}",
                expected_last.unwrap_or(0)
            ),
        );
    }

    let spec = ScanSpec {
        filter: filter.clone(),
        per_page,
        plan: planned.plan.clone(),
        concurrency: ctx.tuning.concurrency,
    };
    // Room for a whole batch of fetched pages, so the writer can take them in one transaction.
    let (tx, rx) = mpsc::channel(
        ctx.tuning
            .concurrency
            .max(ctx.tuning.max_batch_pages)
            .max(1),
    );
    let scan_client = client.clone();
    let scan_cancel = ctx.cancel.clone();
    let scan_task = tokio::spawn(async move { scan(&scan_client, &spec, &scan_cancel, tx).await });
    let written = write_pages(ctx, rec, rx).await;
    let end = match scan_task.await {
        Ok(end) => end,
        Err(e) => {
            return finished(
                RunStatus::Failed,
                format!("the scan task stopped unexpectedly: {e}"),
                keep_cursor,
            );
        }
    };

    let verdict = classify(&Ended {
        mode: opts.mode,
        planned: &planned,
        keep_cursor,
        pages_done: ctx.tracker.snapshot().counts.pages_done,
        lock_lost: written.lock_lost,
        db_error: written.db_error.as_deref(),
        cancel_requested: ctx.cancel.is_cancelled(),
        end: &end,
        failures: &written.failures,
    });
    match verdict {
        Verdict::Finish(outcome) => return outcome,
        Verdict::LockLost(next_page) => return ctx.lock_lost_outcome(next_page),
        Verdict::Reconcile => {}
    }
    if ctx.lock_lost.is_cancelled() {
        return ctx.lock_lost_outcome(None);
    }
    let status = (!opts.include_inactive).then_some(OfferStatus::Active);
    if let Err(outcome) = reconcile(ctx, client, rec, status).await {
        return outcome_from(ctx, outcome);
    }
    if let Some(c) = count
        && let Some(outcome) = judge_shortfall(ctx, rec, c.items)
    {
        return outcome;
    }
    finished(RunStatus::Completed, None, None)
}

/// Which pages a run reads, and how many the progress bar counts to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Planned {
    plan: PagePlan,
    /// Where the next incremental run starts, when the window was a known list of pages.
    window_next: Option<u32>,
    /// None when the end is unknown (a full scan without eMAG's count).
    pages_total: Option<i64>,
}

/// An incremental run with a page budget reads a window from its cursor: a list of pages
/// wrapping at the counted end, or an open window when the count failed. Any other run reads
/// from page 1 until the stop rule, within a safety cap past the counted last page.
fn plan_pages(
    incremental: bool,
    max_pages: Option<u32>,
    cursor: u32,
    expected_last: Option<u32>,
) -> Planned {
    let (plan, window_next) = match (incremental, max_pages, expected_last) {
        (true, Some(max), Some(last)) => {
            let (pages, next) = incremental_window(cursor, max, last);
            (PagePlan::List(pages), Some(next))
        }
        (true, Some(max), None) => (
            PagePlan::Open {
                first: cursor,
                expected_last: None,
                cap: cursor.saturating_add(max.saturating_sub(1)),
            },
            None,
        ),
        _ => {
            let cap =
                expected_last.map_or(CAP_WITHOUT_COUNT, |l| l.max(1).saturating_add(CAP_MARGIN));
            (
                PagePlan::Open {
                    first: 1,
                    expected_last,
                    cap,
                },
                None,
            )
        }
    };
    let pages_total = match &plan {
        PagePlan::List(pages) => Some(pages.len() as i64),
        PagePlan::Open {
            expected_last: Some(l),
            ..
        } => Some(i64::from((*l).max(1))),
        PagePlan::Open {
            first,
            expected_last: None,
            cap,
        } if incremental => Some(i64::from(cap - first + 1)),
        PagePlan::Open { .. } => None,
    };
    Planned {
        plan,
        window_next,
        pages_total,
    }
}

/// What the scan and the writer ended with, as plain values.
struct Ended<'a> {
    mode: SyncMode,
    planned: &'a Planned,
    /// The cursor a failed incremental run keeps, so its window is retried.
    keep_cursor: Option<i64>,
    pages_done: i64,
    lock_lost: bool,
    db_error: Option<&'a str>,
    cancel_requested: bool,
    end: &'a ScanEnd,
    /// Pages that failed after all retries, with why.
    failures: &'a [(u32, String)],
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Finish(Outcome),
    /// The account lock was lost; the lock's own reason names it.
    LockLost(Option<i64>),
    /// A complete full scan: reconcile the offers it did not see, then judge the count.
    Reconcile,
}

/// How a run ends once its pages are written, first reason first: lock, database,
/// cancellation, a fatal eMAG error, the safety cap, failed pages, an incomplete full scan.
fn classify(e: &Ended) -> Verdict {
    let incremental = e.mode == SyncMode::Incremental;
    let partial_or_failed = if e.pages_done > 0 {
        RunStatus::Partial
    } else {
        RunStatus::Failed
    };
    let next_page = match (&e.planned.plan, incremental) {
        (_, false) => None,
        (PagePlan::List(_), true) => e.planned.window_next.map(i64::from),
        (PagePlan::Open { .. }, true) if e.end.terminal.is_some() => Some(1),
        (PagePlan::Open { .. }, true) => Some(i64::from(e.end.last_requested) + 1),
    };
    let failed_pages = || {
        e.failures
            .iter()
            .map(|(page, why)| format!("page {page} failed: {why}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let finish =
        |status, summary: String, next_page| Verdict::Finish(finished(status, summary, next_page));

    if e.lock_lost {
        return Verdict::LockLost(e.keep_cursor);
    }
    if let Some(db) = e.db_error {
        return finish(RunStatus::Failed, db.to_string(), e.keep_cursor);
    }
    if e.cancel_requested || matches!(e.end.fatal, Some(EmagError::Cancelled)) {
        let total = e
            .planned
            .pages_total
            .map_or(String::new(), |t| format!(" of {t}"));
        return finish(
            RunStatus::Cancelled,
            format!("cancelled after {}{total} pages", e.pages_done),
            e.keep_cursor,
        );
    }
    if let Some(fatal) = &e.end.fatal {
        let status = if matches!(
            fatal,
            EmagError::Auth { .. } | EmagError::InvalidUrl { .. } | EmagError::Config { .. }
        ) {
            RunStatus::Failed
        } else {
            partial_or_failed
        };
        let mut summary = describe_emag(fatal);
        if !e.failures.is_empty() {
            summary = format!("{summary}; {}", failed_pages());
        }
        return finish(status, summary, e.keep_cursor.and(next_page));
    }
    if e.end.cap_reached && !incremental {
        let cap = match e.planned.plan {
            PagePlan::Open { cap, .. } => cap,
            PagePlan::List(_) => 0,
        };
        return finish(
            partial_or_failed,
            format!("the scan reached its safety cap of {cap} pages without finding the last page"),
            None,
        );
    }
    if !e.failures.is_empty() {
        return finish(
            partial_or_failed,
            format!("{}; offers were not reconciled", failed_pages()),
            next_page,
        );
    }
    if incremental {
        return Verdict::Finish(finished(RunStatus::Completed, None, next_page));
    }
    if !e.end.is_complete() {
        return finish(
            partial_or_failed,
            "the scan did not reach the last page; offers were not reconciled".to_string(),
            None,
        );
    }
    Verdict::Reconcile
}

/// A complete full scan (with the offers confirmed by id) that saw fewer offers than eMAG
/// counted: a warning, or `partial` past the configured share.
fn judge_shortfall(ctx: &RunCtx, rec: &Recorder, counted: u64) -> Option<Outcome> {
    let counted = i64::try_from(counted).unwrap_or(i64::MAX);
    let seen = ctx.tracker.snapshot().counts.offers_seen;
    let saw = crate::model::count_shortfall(SyncMode::Full, seen, Some(counted))?;
    let missing = counted - seen;
    let limit = i128::from(ctx.shortfall_partial_percent);
    let message = format!(
        "{saw} offers eMAG counted at the start ({missing} not listed; offers added or removed while the scan ran)"
    );
    if i128::from(missing) * 100 > limit * i128::from(counted) {
        return Some(finished(
            RunStatus::Partial,
            format!("{message}; more than {limit} % of the count"),
            None,
        ));
    }
    rec.event(EventLevel::Warn, message);
    None
}

/// Reconciliation ends the run early when cancelled, when the database fails, when the account
/// lock is lost, or when the mass-missing guard holds it.
pub(crate) enum ReconcileStop {
    Cancelled,
    Database(String),
    LockLost,
    Held(String),
}

fn outcome_from(ctx: &RunCtx, stop: ReconcileStop) -> Outcome {
    match stop {
        ReconcileStop::LockLost => ctx.lock_lost_outcome(None),
        ReconcileStop::Cancelled => finished(
            RunStatus::Cancelled,
            "cancelled while confirming missing offers".to_string(),
            None,
        ),
        ReconcileStop::Database(e) => finished(RunStatus::Failed, e, None),
        ReconcileStop::Held(reason) => finished(RunStatus::Partial, reason, None),
    }
}

/// At INFO a run logs one line per this many pages (each page's line is DEBUG), so a
/// 10 000-page run reads as a few hundred lines in journald and the log pane.
pub const SUMMARY_EVERY_PAGES: usize = 10;

/// What the pages written since the last INFO summary brought.
#[derive(Default)]
struct Window {
    pages: usize,
    offers: usize,
    created: u64,
    changed: u64,
    unchanged: u64,
}

impl Window {
    fn add(&mut self, pages: usize, offers: usize, created: u64, changed: u64, unchanged: u64) {
        self.pages += pages;
        self.offers += offers;
        self.created += created;
        self.changed += changed;
        self.unchanged += unchanged;
    }

    /// "pages 10/13 done: the last 10 brought 1 000 offers (0 new, 12 changed, 988 unchanged)".
    fn summarise(&mut self, ctx: &RunCtx, rec: &Recorder) {
        let c = ctx.tracker.snapshot().counts;
        let total = c.pages_total.map(|t| format!("/{t}")).unwrap_or_default();
        rec.event(
            EventLevel::Info,
            format!(
                "pages {}{total} done: the last {} brought {} offers ({} new, {} changed, {} unchanged)",
                c.pages_done,
                self.pages,
                crate::model::group_digits(self.offers as i64),
                crate::model::group_digits(self.created as i64),
                crate::model::group_digits(self.changed as i64),
                crate::model::group_digits(self.unchanged as i64),
            ),
        );
        *self = Window::default();
    }
}

#[derive(Default)]
struct Written {
    failures: Vec<(u32, String)>,
    db_error: Option<String>,
    /// The account lock was lost; the writer stopped at a page boundary.
    lock_lost: bool,
}

/// Writes pages as they arrive, several at once when the network is ahead of the database.
async fn write_pages(ctx: &RunCtx, rec: &Recorder, mut rx: mpsc::Receiver<PageResult>) -> Written {
    let mut written = Written::default();
    let mut seen: HashSet<i64> = HashSet::new();
    // Rows written when the planner statistics were last refreshed (see
    // `Offers::refresh_write_statistics`): refreshed each time the run's writes double.
    let mut analyzed_at: i64 = 1_000;
    // Where the writer's time went, for the debug log: a sync is either network-bound (waiting
    // for pages) or database-bound (writing).
    let (mut waiting, mut settling, mut writing) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    // Pages written since the last INFO summary; each page's own line is DEBUG.
    let mut window = Window::default();
    loop {
        let t0 = Instant::now();
        let first = tokio::select! {
            biased;
            _ = ctx.lock_lost.cancelled() => None,
            page = rx.recv() => page,
        };
        if ctx.lock_lost.is_cancelled() {
            rec.event(
                EventLevel::Error,
                "lost the account lock; stopping at this page boundary".to_string(),
            );
            // Dropping the receiver stops the scan.
            written.lock_lost = true;
            return written;
        }
        let Some(first) = first else { break };
        waiting += t0.elapsed();
        let mut batch = vec![first];
        while batch.len() < ctx.tuning.max_batch_pages.max(1) {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let Sorted {
            mut fresh,
            mut again,
            mut pages,
            failed,
        } = sort_pages(batch, &mut seen);
        for (page, error) in failed {
            rec.event(
                EventLevel::Error,
                format!("page {page} failed after all retries: {error}"),
            );
            ctx.tracker.update(|p| p.counts.failed += 1);
            written.failures.push((page, error.to_string()));
        }
        if pages.is_empty() {
            continue;
        }
        let now = Utc::now();
        // Local edits meet eMAG's values here: conflicts are settled by the run's strategy and
        // pending edits are overlaid on the page before it is written (issue 7).
        let settled = crate::edits::settle_batch(
            &ctx.store,
            &ctx.account,
            ctx.run_id,
            ctx.options.conflict_strategy,
            [&mut fresh[..], &mut again[..]],
            now,
        );
        let t1 = Instant::now();
        let settled = settled.await;
        settling += t1.elapsed();
        let t2 = Instant::now();
        let mut result = match settled {
            Ok(_) => {
                ctx.store
                    .offers()
                    .write(&ctx.account, Some(ctx.run_id), &fresh, now)
                    .await
            }
            Err(e) => Err(e),
        };
        writing += t2.elapsed();
        let mut repeated_updates = 0;
        if let (Ok(_), false) = (&result, again.is_empty()) {
            match ctx
                .store
                .offers()
                .write(&ctx.account, Some(ctx.run_id), &again, now)
                .await
            {
                Ok(o) => repeated_updates = o.updated,
                Err(e) => result = Err(e),
            }
        }
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                let msg = format!(
                    "writing offers of page {} to the database failed: {}",
                    pages[0],
                    short_db_error(&e)
                );
                rec.event(EventLevel::Error, msg.clone());
                written.db_error = Some(msg);
                // Dropping the receiver stops the scan.
                return written;
            }
        };
        let written_so_far = {
            let c = &ctx.tracker.snapshot().counts;
            c.created + c.updated
        } + (out.created + out.updated) as i64;
        if written_so_far >= 2 * analyzed_at {
            analyzed_at = written_so_far;
            if let Err(e) = ctx.store.offers().refresh_write_statistics().await {
                tracing::warn!(target: "magsync::sync", run_id = ctx.run_id, "refreshing statistics failed: {e}");
            }
        }
        ctx.tracker.update(|p| {
            let c = &mut p.counts;
            c.pages_done += pages.len() as i64;
            c.offers_seen += fresh.len() as i64;
            c.created += out.created as i64;
            c.updated += (out.updated + repeated_updates) as i64;
            c.unchanged += out.unchanged as i64;
        });
        pages.sort_unstable();
        window.add(
            pages.len(),
            fresh.len() + again.len(),
            out.created,
            out.updated + repeated_updates,
            out.unchanged,
        );
        rec.event(
            EventLevel::Debug,
            pages_line(
                &pages,
                fresh.len() + again.len(),
                [out.created, out.updated + repeated_updates, out.unchanged],
                again.len(),
            ),
        );
        if window.pages >= SUMMARY_EVERY_PAGES {
            window.summarise(ctx, rec);
        }
    }
    if window.pages > 0 {
        window.summarise(ctx, rec);
    }
    tracing::debug!(
        target: "magsync::sync",
        run_id = ctx.run_id,
        waiting_ms = waiting.as_millis() as u64,
        settling_ms = settling.as_millis() as u64,
        writing_ms = writing.as_millis() as u64,
        "pages written"
    );
    written
}

/// A batch of page results sorted for writing.
#[derive(Debug, Default)]
struct Sorted {
    /// Offers first seen in this run.
    fresh: Vec<Offer>,
    /// Offers an earlier page of the run already listed: pages shift under churn, so an id can
    /// come twice; the later copy wins (it is written after the first) but counts once.
    again: Vec<Offer>,
    /// The pages that arrived, in arrival order.
    pages: Vec<u32>,
    failed: Vec<(u32, EmagError)>,
}

fn sort_pages(batch: Vec<PageResult>, seen: &mut HashSet<i64>) -> Sorted {
    let mut sorted = Sorted::default();
    for result in batch {
        match result {
            PageResult::Ok { page, offers } => {
                sorted.pages.push(page);
                for o in offers {
                    if seen.insert(o.id) {
                        sorted.fresh.push(o)
                    } else {
                        sorted.again.push(o)
                    }
                }
            }
            PageResult::Failed { page, error } => sorted.failed.push((page, error)),
        }
    }
    sorted
}

/// The event line of written pages: "pages 3, 4: 200 offers (5 new, 2 changed, 193 unchanged)".
fn pages_line(
    pages: &[u32],
    offers: usize,
    [new, changed, unchanged]: [u64; 3],
    twice: usize,
) -> String {
    let list = pages
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "page{} {list}: {offers} offers ({new} new, {changed} changed, {unchanged} unchanged{})",
        if pages.len() > 1 { "s" } else { "" },
        if twice == 0 {
            String::new()
        } else {
            format!(", {twice} seen twice")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(first: u32, expected_last: Option<u32>, cap: u32) -> PagePlan {
        PagePlan::Open {
            first,
            expected_last,
            cap,
        }
    }

    #[test]
    fn pages_are_planned_from_mode_budget_cursor_and_count() {
        let list = |p: &[u32]| PagePlan::List(p.to_vec());
        // (incremental, max_pages, cursor, counted last page) → (plan, next cursor, total)
        let cases = [
            (
                true,
                Some(5),
                11,
                Some(13),
                list(&[11, 12, 13, 1, 2]),
                Some(3),
                Some(5),
            ),
            (true, Some(5), 3, None, open(3, None, 7), None, Some(5)),
            (
                true,
                None,
                4,
                Some(13),
                open(1, Some(13), 23),
                None,
                Some(13),
            ),
            (
                false,
                None,
                1,
                Some(13),
                open(1, Some(13), 23),
                None,
                Some(13),
            ),
            (
                false,
                Some(5),
                9,
                Some(13),
                open(1, Some(13), 23),
                None,
                Some(13),
            ),
            (
                false,
                None,
                1,
                None,
                open(1, None, CAP_WITHOUT_COUNT),
                None,
                None,
            ),
            (false, None, 1, Some(0), open(1, Some(0), 11), None, Some(1)),
        ];
        for (incremental, max, cursor, last, plan, window_next, pages_total) in cases {
            assert_eq!(
                plan_pages(incremental, max, cursor, last),
                Planned {
                    plan,
                    window_next,
                    pages_total
                },
                "{incremental} {max:?} {cursor} {last:?}"
            );
        }
    }

    /// A run's end as owned values, for [`classify`].
    struct Case {
        mode: SyncMode,
        planned: Planned,
        keep_cursor: Option<i64>,
        pages_done: i64,
        lock_lost: bool,
        db_error: Option<&'static str>,
        cancel_requested: bool,
        end: ScanEnd,
        failures: Vec<(u32, String)>,
    }

    fn full() -> Case {
        Case {
            mode: SyncMode::Full,
            planned: plan_pages(false, None, 1, Some(13)),
            keep_cursor: None,
            pages_done: 13,
            lock_lost: false,
            db_error: None,
            cancel_requested: false,
            end: ScanEnd {
                terminal: Some(13),
                last_requested: 15,
                ..Default::default()
            },
            failures: vec![],
        }
    }

    fn incremental(planned: Planned) -> Case {
        Case {
            mode: SyncMode::Incremental,
            planned,
            keep_cursor: Some(4),
            pages_done: 5,
            end: ScanEnd {
                last_requested: 8,
                ..Default::default()
            },
            ..full()
        }
    }

    fn verdict(c: &Case) -> Verdict {
        classify(&Ended {
            mode: c.mode,
            planned: &c.planned,
            keep_cursor: c.keep_cursor,
            pages_done: c.pages_done,
            lock_lost: c.lock_lost,
            db_error: c.db_error,
            cancel_requested: c.cancel_requested,
            end: &c.end,
            failures: &c.failures,
        })
    }

    fn ends(status: RunStatus, summary: &str, next_page: Option<i64>) -> Verdict {
        Verdict::Finish(Outcome {
            status,
            summary: (!summary.is_empty()).then(|| summary.to_string()),
            next_page,
        })
    }

    #[test]
    fn a_run_ends_by_its_first_reason() {
        let with = |mut c: Case, f: &dyn Fn(&mut Case)| {
            f(&mut c);
            c
        };
        let window = || incremental(plan_pages(true, Some(5), 4, Some(13)));
        let open_window = || incremental(plan_pages(true, Some(5), 4, None));
        let timeout = |c: &mut Case| c.end.fatal = Some(EmagError::Timeout);
        let cases: Vec<(&str, Case, Verdict)> = vec![
            ("complete full scan", full(), Verdict::Reconcile),
            (
                "lock lost before anything else",
                with(window(), &|c| {
                    c.lock_lost = true;
                    c.db_error = Some("disk full");
                }),
                Verdict::LockLost(Some(4)),
            ),
            (
                "database error keeps the cursor",
                with(window(), &|c| c.db_error = Some("disk full")),
                ends(RunStatus::Failed, "disk full", Some(4)),
            ),
            (
                "cancelled",
                with(full(), &|c| {
                    c.cancel_requested = true;
                    c.pages_done = 3;
                }),
                ends(RunStatus::Cancelled, "cancelled after 3 of 13 pages", None),
            ),
            (
                "cancelled through the client",
                with(full(), &|c| {
                    c.end.fatal = Some(EmagError::Cancelled);
                    c.planned.pages_total = None;
                }),
                ends(RunStatus::Cancelled, "cancelled after 13 pages", None),
            ),
            (
                "cap reached on a full scan",
                with(full(), &|c| {
                    c.end.terminal = None;
                    c.end.cap_reached = true;
                }),
                ends(
                    RunStatus::Partial,
                    "the scan reached its safety cap of 23 pages without finding the last page",
                    None,
                ),
            ),
            (
                "failed pages",
                with(full(), &|c| c.failures = vec![(4, "timed out".into())]),
                ends(
                    RunStatus::Partial,
                    "page 4 failed: timed out; offers were not reconciled",
                    None,
                ),
            ),
            (
                "failed pages and nothing written",
                with(full(), &|c| {
                    c.failures = vec![(1, "timed out".into())];
                    c.pages_done = 0;
                }),
                ends(
                    RunStatus::Failed,
                    "page 1 failed: timed out; offers were not reconciled",
                    None,
                ),
            ),
            (
                "full scan short of its last page",
                with(full(), &|c| c.end.terminal = None),
                ends(
                    RunStatus::Partial,
                    "the scan did not reach the last page; offers were not reconciled",
                    None,
                ),
            ),
            (
                "window read",
                window(),
                ends(RunStatus::Completed, "", Some(9)),
            ),
            (
                "open window that met the catalogue's end starts over",
                with(open_window(), &|c| c.end.terminal = Some(6)),
                ends(RunStatus::Completed, "", Some(1)),
            ),
            (
                "open window up to its cap goes on after it",
                with(open_window(), &|c| c.end.cap_reached = true),
                ends(RunStatus::Completed, "", Some(9)),
            ),
            (
                "failed page of a window",
                with(window(), &|c| c.failures = vec![(6, "timed out".into())]),
                ends(
                    RunStatus::Partial,
                    "page 6 failed: timed out; offers were not reconciled",
                    Some(9),
                ),
            ),
        ];
        for (what, case, expected) in cases {
            assert_eq!(verdict(&case), expected, "{what}");
        }
        // A fatal eMAG error: authentication fails the run, a transient one after some
        // pages leaves it partial; the window's cursor moves on only past what was read.
        for (fatal, pages_done, status) in [
            (EmagError::Timeout, 2, RunStatus::Partial),
            (EmagError::Timeout, 0, RunStatus::Failed),
            (
                EmagError::Auth {
                    message: "bad".into(),
                },
                5,
                RunStatus::Failed,
            ),
        ] {
            let c = with(open_window(), &|c| {
                c.pages_done = pages_done;
                timeout(c);
            });
            let c = Case {
                end: ScanEnd {
                    fatal: Some(fatal),
                    ..c.end
                },
                ..c
            };
            let Verdict::Finish(o) = verdict(&c) else {
                panic!("a fatal error ends the run");
            };
            assert_eq!(
                (o.status, o.next_page),
                (status, Some(9)),
                "{:?}",
                c.end.fatal
            );
        }
    }

    fn offer(id: i64) -> Offer {
        Offer {
            id,
            ..Default::default()
        }
    }

    #[test]
    fn an_offer_listed_twice_is_written_twice_and_counted_once() {
        let mut seen = HashSet::from([1]);
        let sorted = sort_pages(
            vec![
                PageResult::Ok {
                    page: 4,
                    offers: vec![offer(1), offer(2), offer(3)],
                },
                PageResult::Failed {
                    page: 5,
                    error: EmagError::Timeout,
                },
                PageResult::Ok {
                    page: 3,
                    offers: vec![offer(3), offer(4)],
                },
            ],
            &mut seen,
        );
        let ids = |v: &[Offer]| v.iter().map(|o| o.id).collect::<Vec<_>>();
        assert_eq!(ids(&sorted.fresh), [2, 3, 4]);
        assert_eq!(ids(&sorted.again), [1, 3]);
        assert_eq!(sorted.pages, [4, 3]);
        assert_eq!(sorted.failed.len(), 1);
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn the_page_line_names_pages_and_counts() {
        for (pages, offers, counts, twice, line) in [
            (
                &[3][..],
                100,
                [1, 2, 97],
                0,
                "page 3: 100 offers (1 new, 2 changed, 97 unchanged)",
            ),
            (
                &[3, 4][..],
                200,
                [0, 0, 200],
                2,
                "pages 3, 4: 200 offers (0 new, 0 changed, 200 unchanged, 2 seen twice)",
            ),
        ] {
            assert_eq!(pages_line(pages, offers, counts, twice), line);
        }
    }
}
