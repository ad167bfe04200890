//! The History tab in `update()`: what it loads, and the summary's toggle and answer.

use super::{App, Effect, Tab};
use crate::report::{Facts, Window};
use crate::tui::error::JobError;
use crate::tui::tabs::history::Summary;

impl App {
    /// The window the History tab's filters choose.
    pub fn summary_window(&self) -> Window {
        Summary::window(self.history.filter_since_days, self.now)
    }

    /// What the History tab loads: its runs, or the summary when that is shown (`forced` after
    /// a filter change, else when it is due).
    pub(crate) fn history_loads(&mut self, forced: bool) -> Vec<Effect> {
        if !self.summary.shown {
            return vec![self.history_filter()];
        }
        if !self.summary.due(self.now, forced) {
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
        self.summary.toggle();
        self.history_loads(true)
    }

    pub(crate) fn summary_loaded(&mut self, facts: Result<Box<Facts>, JobError>) -> Vec<Effect> {
        self.summary.loaded(facts, self.now);
        vec![]
    }
}
