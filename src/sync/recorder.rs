//! Persists a run's events and progress from one background task, so the page writer never
//! waits for them: events are queued and flushed in one statement, progress and the heartbeat
//! are written at most once per interval (default 500 ms, i.e. ≤ 2 writes a second).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::progress::Tracker;
use crate::emag::{CallObserver, EmagError};
use crate::model::{EventLevel, RunCounts};
use crate::store::Store;

/// The heartbeat is rewritten at least this often even when nothing changed; the store treats
/// a lock or run silent for a minute as dead.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(crate) struct Recorder {
    tx: mpsc::UnboundedSender<(EventLevel, String)>,
    tracker: Arc<Tracker>,
    closing: CancellationToken,
}

impl Recorder {
    pub(crate) fn spawn(
        store: Store,
        run_id: i64,
        tracker: Arc<Tracker>,
        interval: Duration,
    ) -> (Recorder, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let closing = CancellationToken::new();
        let task = tokio::spawn(run(
            store,
            run_id,
            tracker.clone(),
            interval,
            rx,
            closing.clone(),
        ));
        (
            Recorder {
                tx,
                tracker,
                closing,
            },
            task,
        )
    }

    /// Flushes everything queued so far and stops the task (clients holding a clone may live
    /// on, so the end cannot wait for every sender to drop).
    pub(crate) fn close(&self) {
        self.closing.cancel();
    }

    /// Queues an event for `sync_events`; warnings and errors also become the progress line.
    pub(crate) fn event(&self, level: EventLevel, message: impl Into<String>) {
        let message = message.into();
        match level {
            EventLevel::Debug => tracing::debug!(target: "magsync::sync", "{message}"),
            EventLevel::Info => tracing::info!(target: "magsync::sync", "{message}"),
            EventLevel::Warn => tracing::warn!(target: "magsync::sync", "{message}"),
            EventLevel::Error => tracing::error!(target: "magsync::sync", "{message}"),
        }
        if level != EventLevel::Debug {
            let line = message.clone();
            self.tracker.update(|p| p.last_event = Some(line));
        }
        let _ = self.tx.send((level, message));
    }
}

async fn run(
    store: Store,
    run_id: i64,
    tracker: Arc<Tracker>,
    interval: Duration,
    mut rx: mpsc::UnboundedReceiver<(EventLevel, String)>,
    closing: CancellationToken,
) {
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending = Vec::new();
    let mut persisted: Option<RunCounts> = None;
    let mut last_write = Instant::now();
    loop {
        let open = tokio::select! {
            msg = rx.recv() => match msg {
                Some((level, message)) => { pending.push((level, message, Utc::now())); true }
                None => false,
            },
            _ = ticker.tick() => true,
            _ = closing.cancelled() => {
                while let Ok((level, message)) = rx.try_recv() {
                    pending.push((level, message, Utc::now()));
                }
                false
            }
        };
        // Events are flushed on the tick (or at the end), not one write per event.
        if !open || last_write.elapsed() >= interval {
            if !pending.is_empty() {
                if let Err(e) = store.runs().add_events(run_id, &pending).await {
                    tracing::warn!(target: "magsync::sync", run_id, "cannot record {} events: {e}", pending.len());
                }
                pending.clear();
            }
            let counts = tracker.snapshot().counts;
            if persisted.as_ref() != Some(&counts) || last_write.elapsed() >= HEARTBEAT_EVERY {
                match store
                    .runs()
                    .update_progress(run_id, &counts, None, Utc::now())
                    .await
                {
                    Ok(()) => persisted = Some(counts),
                    Err(e) => {
                        tracing::warn!(target: "magsync::sync", run_id, "cannot record progress: {e}")
                    }
                }
            }
            last_write = Instant::now();
        }
        if !open {
            break;
        }
    }
}

/// Feeds the client's requests, retries and 429 waits into the tracker and the event log.
pub(crate) struct Observer {
    pub(crate) tracker: Arc<Tracker>,
    pub(crate) recorder: Recorder,
}

impl CallObserver for Observer {
    fn on_request(&self, _path: &str) {
        self.tracker.update(|p| p.counts.requests += 1);
    }

    fn on_retry_of(
        &self,
        what: &str,
        attempt: u32,
        max_attempts: u32,
        wait: Duration,
        error: &EmagError,
    ) {
        self.tracker.update(|p| p.counts.retries += 1);
        // The warning names its page: an operator sees which page eMAG keeps failing.
        self.recorder.event(
            EventLevel::Warn,
            format!(
                "{what}: attempt {attempt}/{max_attempts} failed, retrying in {:.1} s: {error}",
                wait.as_secs_f64()
            ),
        );
    }

    fn on_rate_limited(&self, wait: Duration) {
        self.tracker.update(|p| p.counts.rate_limited += 1);
        self.recorder.event(
            EventLevel::Warn,
            format!(
                "rate limited by eMAG (HTTP 429); the account waits {:.1} s",
                wait.as_secs_f64()
            ),
        );
    }
}
