//! Live progress of a run: counters updated by the client observer and the page writer, and
//! the latest snapshot published on a `watch` channel (readers only ever need the newest).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::model::{RunCounts, RunStatus, SyncMode};

/// The newest state of one run, as shown by the CLI bars and the TUI.
#[derive(Debug, Clone, PartialEq)]
pub struct RunProgress {
    pub run_id: i64,
    pub account: String,
    pub mode: SyncMode,
    pub status: RunStatus,
    pub counts: RunCounts,
    pub started_at: DateTime<Utc>,
    pub elapsed: Duration,
    /// Offers seen per second since the start.
    pub offers_per_sec: f64,
    /// Estimated time left, from pages done and pages expected.
    pub eta: Option<Duration>,
    /// The latest notable event ("retrying page 4 in 2.1 s: eMAG answered HTTP 502…").
    pub last_event: Option<String>,
    /// Set when the run ended with anything but `completed`.
    pub error_summary: Option<String>,
}

impl RunProgress {
    pub fn new(run_id: i64, account: &str, mode: SyncMode, started_at: DateTime<Utc>) -> Self {
        RunProgress {
            run_id,
            account: account.to_string(),
            mode,
            status: RunStatus::Running,
            counts: RunCounts::default(),
            started_at,
            elapsed: Duration::ZERO,
            offers_per_sec: 0.0,
            eta: None,
            last_event: None,
            error_summary: None,
        }
    }
}

/// Shared by the run task and the client observer; every change republishes the snapshot.
pub struct Tracker {
    started: Instant,
    state: Mutex<RunProgress>,
    tx: watch::Sender<RunProgress>,
}

impl Tracker {
    pub fn new(initial: RunProgress) -> (Self, watch::Receiver<RunProgress>) {
        let (tx, rx) = watch::channel(initial.clone());
        (
            Tracker {
                started: Instant::now(),
                state: Mutex::new(initial),
                tx,
            },
            rx,
        )
    }

    /// Applies `f` to the state, refreshes the derived rates and publishes.
    pub fn update(&self, f: impl FnOnce(&mut RunProgress)) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state);
        let elapsed = self.started.elapsed();
        state.elapsed = elapsed;
        let secs = elapsed.as_secs_f64();
        state.offers_per_sec = if secs > 0.0 {
            state.counts.offers_seen as f64 / secs
        } else {
            0.0
        };
        state.eta = match state.counts.pages_total {
            Some(total) if state.counts.pages_done > 0 && total >= state.counts.pages_done => {
                let per_page = secs / state.counts.pages_done as f64;
                Some(Duration::from_secs_f64(
                    per_page * (total - state.counts.pages_done) as f64,
                ))
            }
            _ => None,
        };
        self.tx.send_replace(state.clone());
    }

    pub fn snapshot(&self) -> RunProgress {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
