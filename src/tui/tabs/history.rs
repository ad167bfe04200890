//! 4 History: the runs list and the summary view (the report's facts for the tab's window and
//! account; `v` toggles it). The tab's state and how it changes; `app/history.rs` wires it into
//! `update()`, `views/history.rs` and `views/summary.rs` draw it.

use crate::model::{RunStatus, SyncRun};
use crate::report::{Facts, Window};
use crate::tui::error::JobError;
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Default)]
pub struct History {
    pub runs: Vec<SyncRun>,
    pub filter_status: Option<RunStatus>,
    pub filter_account: Option<String>,
    /// Only runs started in the last this many days.
    pub filter_since_days: Option<i64>,
    pub selected: usize,
    pub offset: usize,
    pub loaded: bool,
}

/// The summary is read again at most this often while shown (a weekly report over a large
/// store takes about a second).
const REFRESH: Duration = Duration::seconds(30);
/// The window when the History tab's "since" filter is "all".
pub const ALL_DAYS: i64 = 30;

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub shown: bool,
    pub facts: Option<Box<Facts>>,
    pub loading: bool,
    pub loaded_at: Option<DateTime<Utc>>,
    pub error: Option<JobError>,
    /// Lines scrolled off the top (arrows, j/k, Ctrl-U/D).
    pub scroll: u16,
}

impl Summary {
    /// The window the History tab's "since" filter chooses (none: the last [`ALL_DAYS`]).
    pub fn window(since_days: Option<i64>, now: DateTime<Utc>) -> Window {
        let days = since_days.unwrap_or(ALL_DAYS);
        Window {
            since: now - Duration::days(days),
            until: now,
        }
    }

    /// Whether to read the facts again: after a filter change (`forced`), else when nothing is
    /// being read and the last read is older than [`REFRESH`].
    pub fn due(&self, now: DateTime<Utc>, forced: bool) -> bool {
        let stale = self.loaded_at.is_none_or(|t| now - t >= REFRESH);
        forced || (!self.loading && stale)
    }

    /// Shows the shown view's other half: the summary or the runs, from the top.
    pub fn toggle(&mut self) {
        self.shown = !self.shown;
        self.scroll = 0;
    }

    pub fn loaded(&mut self, facts: Result<Box<Facts>, JobError>, now: DateTime<Utc>) {
        self.loading = false;
        self.loaded_at = Some(now);
        match facts {
            Ok(f) => {
                self.facts = Some(f);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }
}
