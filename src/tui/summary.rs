//! The History tab's summary view: the report's facts for the tab's window and account
//! (`v` toggles it). State and its updates live here; `views/summary.rs` draws it.

use super::app::{App, Effect, Tab};
use crate::report::{Facts, Window};
use chrono::{DateTime, Duration, Utc};

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
    pub error: Option<String>,
    /// Lines scrolled off the top (arrows, j/k, Ctrl-U/D).
    pub scroll: u16,
}

impl App {
    /// The window the History tab's filters choose.
    pub fn summary_window(&self) -> Window {
        let days = self.history.filter_since_days.unwrap_or(ALL_DAYS);
        Window {
            since: self.now - Duration::days(days),
            until: self.now,
        }
    }

    /// What the History tab loads: its runs, or the summary when that is shown (`forced` after
    /// a filter change, else at most every [`REFRESH`]).
    pub(crate) fn history_loads(&mut self, forced: bool) -> Vec<Effect> {
        if !self.summary.shown {
            return vec![self.history_filter()];
        }
        let stale = self
            .summary
            .loaded_at
            .is_none_or(|t| self.now - t >= REFRESH);
        if !forced && (self.summary.loading || !stale) {
            return vec![];
        }
        self.summary.loading = true;
        let accounts = match &self.history.filter_account {
            Some(a) => vec![a.clone()],
            None => self.accounts.iter().map(|a| a.name.clone()).collect(),
        };
        vec![Effect::LoadSummary {
            accounts,
            window: self.summary_window(),
        }]
    }

    pub(crate) fn toggle_summary(&mut self) -> Vec<Effect> {
        if self.tab != Tab::History {
            return vec![];
        }
        self.summary.shown = !self.summary.shown;
        self.summary.scroll = 0;
        self.history_loads(true)
    }

    pub(crate) fn summary_loaded(&mut self, facts: Result<Box<Facts>, String>) -> Vec<Effect> {
        self.summary.loading = false;
        self.summary.loaded_at = Some(self.now);
        match facts {
            Ok(f) => {
                self.summary.facts = Some(f);
                self.summary.error = None;
            }
            Err(e) => self.summary.error = Some(e),
        }
        vec![]
    }
}
