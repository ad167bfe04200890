//! Announces runs that ended badly (see [`crate::tui::alerts`]): a toast, the bell if
//! configured, an entry in the `e` list and the header badge.

use super::{App, Effect};

impl App {
    /// Compares each account's last run with the one seen before.
    pub(crate) fn watch_runs(&mut self) -> Vec<Effect> {
        let first = !self.runs_seen_once;
        self.runs_seen_once = true;
        let alerts = crate::tui::alerts::newly_ended_badly(
            self.dashboard
                .stats
                .iter()
                .filter_map(|s| s.last_run.as_ref()),
            &mut self.last_finished,
            first,
            self.now,
        );
        let mut fx = Vec::new();
        for alert in alerts {
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
