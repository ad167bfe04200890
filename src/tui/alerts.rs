//! Runs that end partial, failed or cancelled — started here or by another process — are
//! announced once: a toast, the terminal bell if configured, an entry in the `e` list, and a
//! header badge that stays until the list is opened.

use super::app::{App, Effect};
use crate::model::{RunStatus, SyncRun};
use chrono::{DateTime, Utc};

/// A run that ended badly and has not been looked at yet.
#[derive(Debug, Clone, PartialEq)]
pub struct RunAlert {
    pub run_id: i64,
    pub account: String,
    pub status: RunStatus,
    pub first_error: Option<String>,
    pub at: DateTime<Utc>,
}

impl RunAlert {
    /// "run 42 · main · partial: page 8: HTTP 504 after 5 attempts".
    pub fn text(&self) -> String {
        format!(
            "run {} · {} · {}: {}",
            self.run_id,
            self.account,
            self.status.as_str(),
            self.first_error
                .as_deref()
                .unwrap_or("no error was recorded")
        )
    }
}

fn is_bad(s: RunStatus) -> bool {
    matches!(
        s,
        RunStatus::Partial | RunStatus::Failed | RunStatus::Cancelled
    )
}

impl App {
    /// Compares each account's last run with the one seen before. The first poll only
    /// records what is there: runs that ended before the dashboard opened are History's.
    pub(crate) fn watch_runs(&mut self) -> Vec<Effect> {
        let first = !self.runs_seen_once;
        self.runs_seen_once = true;
        let finished: Vec<SyncRun> = self
            .dashboard
            .stats
            .iter()
            .filter_map(|s| s.last_run.clone())
            .filter(|r| r.status.is_finished())
            .collect();
        let mut fx = Vec::new();
        for run in finished {
            let before = self.last_finished.insert(run.account.clone(), run.id);
            if first || before == Some(run.id) || !is_bad(run.status) {
                continue;
            }
            let alert = RunAlert {
                run_id: run.id,
                account: run.account.clone(),
                status: run.status,
                first_error: run.error_summary.clone(),
                at: run.finished_at.unwrap_or(self.now),
            };
            self.toast(alert.text(), true);
            self.alerts.push(alert);
            if self.bell && fx.is_empty() {
                fx.push(Effect::Bell);
            }
        }
        fx
    }

    /// Opening the `e` list acknowledges every alert: the header badge goes.
    pub(crate) fn acknowledge_alerts(&mut self) {
        self.alerts.clear();
    }
}
