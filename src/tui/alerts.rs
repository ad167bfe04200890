//! Runs that end partial, failed or cancelled — started here or by another process — are
//! announced once: a toast, the terminal bell if configured, an entry in the `e` list, and a
//! header badge that stays until the list is opened.

use crate::model::{RunStatus, SyncRun};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

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

/// The runs of `last_runs` (each account's last run) that ended badly since the last look.
/// `seen` keeps each account's last finished run as last seen; on the `first` look it is only
/// filled in, because runs that ended before the dashboard opened are History's.
pub fn newly_ended_badly<'a>(
    last_runs: impl IntoIterator<Item = &'a SyncRun>,
    seen: &mut HashMap<String, i64>,
    first: bool,
    now: DateTime<Utc>,
) -> Vec<RunAlert> {
    let mut alerts = Vec::new();
    for run in last_runs.into_iter().filter(|r| r.status.is_finished()) {
        let before = seen.insert(run.account.clone(), run.id);
        if first || before == Some(run.id) || !is_bad(run.status) {
            continue;
        }
        alerts.push(RunAlert {
            run_id: run.id,
            account: run.account.clone(),
            status: run.status,
            first_error: run.error_summary.clone(),
            at: run.finished_at.unwrap_or(now),
        });
    }
    alerts
}
