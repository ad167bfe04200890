//! The Products tab in `update()`: marks, the bulk form over them, and reloading the list in
//! place when the store changes.

use super::{App, Effect, Popup, Tab};
use crate::edits::Edit;
use crate::tui::error::JobError;
use crate::tui::tabs::products::{BulkForm, BulkKey, REFRESH_SECS};
use crossterm::event::KeyEvent;

impl App {
    /// Space: marks or unmarks the row under the cursor and moves down.
    pub(crate) fn toggle_mark(&mut self) -> Vec<Effect> {
        match self.tab {
            Tab::Products => {
                if let Some(r) = self.products.rows.get(self.products.selected) {
                    let key = (r.account.clone(), r.id);
                    if !self.products.marked.remove(&key) {
                        self.products.marked.insert(key);
                    }
                    return self.motion(1);
                }
            }
            Tab::Changes => {
                if let Err(why) = self.changes.toggle_mark() {
                    self.toast(why.to_string(), true);
                }
            }
            _ => {}
        }
        vec![]
    }

    /// `b` on Products: the bulk form for the marked rows (or the row under the cursor).
    pub(crate) fn open_bulk_form(&mut self) -> Vec<Effect> {
        let targets: Vec<(String, i64)> = if self.products.marked.is_empty() {
            match self.products.rows.get(self.products.selected) {
                Some(r) => vec![(r.account.clone(), r.id)],
                None => {
                    self.toast("no product selected", true);
                    return vec![];
                }
            }
        } else {
            self.products.marked.iter().cloned().collect()
        };
        self.popups
            .push(Popup::Bulk(Box::new(BulkForm::new(targets))));
        vec![]
    }

    /// Keys of the bulk form (see [`BulkForm::key`]).
    pub(crate) fn bulk_form_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let Some(Popup::Bulk(form)) = self.popups.last_mut() else {
            return vec![];
        };
        match form.key(ev) {
            BulkKey::Close => {
                self.popups.pop();
                vec![]
            }
            BulkKey::Queue(change) => vec![Effect::QueueBulk {
                targets: form.targets.clone(),
                change,
            }],
            BulkKey::Stay => vec![],
        }
    }

    pub(crate) fn on_bulk_queued(&mut self, results: Vec<Result<Edit, JobError>>) -> Vec<Effect> {
        let queued = results.iter().filter(|r| r.is_ok()).count();
        let refused: Vec<&JobError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        if matches!(self.popups.last(), Some(Popup::Bulk(_))) {
            self.popups.pop();
        }
        let mut text = format!("bulk edit: {queued} queued");
        if let Some(first) = refused.first() {
            text.push_str(&format!(", {} refused (first: {first})", refused.len()));
        }
        text.push_str("; 5 then p previews the push");
        self.toast(text, !refused.is_empty());
        self.products.marked.clear();
        let mut fx = vec![Effect::LoadEdits];
        fx.extend(self.refresh_products());
        fx
    }

    /// Ctrl-R: reloads what the open tab shows, now.
    pub(crate) fn refresh_now(&mut self) -> Vec<Effect> {
        let mut fx = vec![];
        if !self.polling {
            self.polling = true;
            fx.push(Effect::LoadDashboard);
        }
        match self.tab {
            Tab::Products => fx.extend(self.refresh_products()),
            Tab::Changes => fx.push(Effect::LoadEdits),
            Tab::History => fx.push(Effect::LoadRuns {
                account: self.history.filter_account.clone(),
                status: self.history.filter_status,
                since: self
                    .history
                    .filter_since_days
                    .map(|d| self.now - chrono::Duration::days(d)),
            }),
            _ => {}
        }
        fx
    }

    /// The store changed (another process, a sync, a push): the products list reloads in
    /// place, at most every few seconds while a sync writes, and never under the user's typing.
    pub(crate) fn refresh_on_change(&mut self) -> Vec<Effect> {
        let p = &self.products;
        let due = p
            .refreshed_at
            .is_none_or(|t| self.now - t >= chrono::Duration::seconds(REFRESH_SECS));
        if self.tab != Tab::Products || p.typing || !due {
            return vec![];
        }
        self.products.refreshed_at = Some(self.now);
        self.refresh_products()
    }

    /// Reloads the products list in place (same query), keeping the cursor on its offer.
    pub(crate) fn refresh_products(&mut self) -> Vec<Effect> {
        if !self.products.loaded_once {
            return vec![];
        }
        let p = &mut self.products;
        p.keep = p.rows.get(p.selected).map(|r| (r.account.clone(), r.id));
        p.seq += 1;
        p.loading = true;
        // Enough rows to find the cursor's offer again where it was.
        let limit = (p.rows.len() as i64).max(super::PAGE_ROWS);
        vec![
            Effect::Search {
                seq: p.seq,
                query: p.query.clone(),
                after: None,
                limit,
            },
            Effect::Count {
                seq: p.seq,
                query: p.query.clone(),
            },
        ]
    }
}
