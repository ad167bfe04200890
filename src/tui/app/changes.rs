//! The Changes tab and the edit form in `update()`: keys to effects, answers to toasts.

use super::{App, Effect, Popup};
use crate::edits::{Edit, EditState, Keep, PushReport};
use crate::tui::error::JobError;
use crate::tui::tabs::changes::{EditForm, FormKey};
use crossterm::event::KeyEvent;

impl App {
    /// The selected edit of the Changes tab.
    pub fn selected_edit(&self) -> Option<&Edit> {
        self.changes.selected_edit()
    }

    pub(crate) fn open_edit_form(&mut self) -> Vec<Effect> {
        match self.products.rows.get(self.products.selected) {
            Some(row) => {
                self.popups.push(Popup::Edit(Box::new(EditForm::new(row))));
            }
            None => self.toast("no product selected", true),
        }
        vec![]
    }

    pub(crate) fn resolve_selected(&mut self, keep: Keep) -> Vec<Effect> {
        match self.selected_edit() {
            Some(e) if e.state == EditState::Conflict => vec![Effect::Resolve {
                account: e.account.clone(),
                id: e.offer_id,
                keep,
            }],
            Some(e) => {
                let text = format!("offer {} is {}, not in conflict", e.offer_id, e.state);
                self.toast(text, true);
                vec![]
            }
            None => vec![],
        }
    }

    pub(crate) fn changes_motion(&mut self, delta: i64) {
        self.changes.motion(delta);
    }

    pub(crate) fn on_edits(&mut self, edits: Result<Vec<Edit>, JobError>) -> Vec<Effect> {
        match edits {
            Ok(list) => self.changes.set_edits(list),
            Err(e) => self.toast(format!("reading local edits failed: {e}"), true),
        }
        vec![]
    }

    pub(crate) fn on_queued(&mut self, result: Result<Edit, JobError>) -> Vec<Effect> {
        match result {
            Ok(e) => {
                if matches!(self.popups.last(), Some(Popup::Edit(_))) {
                    self.popups.pop();
                }
                self.toast(
                    format!("offer {}: edit queued; press 5 then p to push", e.offer_id),
                    false,
                );
                let mut fx = vec![Effect::LoadEdits];
                fx.extend(self.refresh_products());
                fx
            }
            Err(e) => {
                let msg = e.to_string();
                if let Some(Popup::Edit(form)) = self.popups.last_mut() {
                    form.error = Some(msg.clone());
                }
                self.toast(msg, true);
                vec![]
            }
        }
    }

    pub(crate) fn on_pushed(&mut self, result: Result<Vec<PushReport>, JobError>) -> Vec<Effect> {
        self.changes.pushing = false;
        match result {
            Ok(reports) if reports.is_empty() => self.toast("nothing to push", false),
            Ok(reports) => {
                let text = reports
                    .iter()
                    .map(|r| {
                        let mut s = format!(
                            "{}: {} pushed, {} rejected, {} pending",
                            r.account, r.pushed, r.rejected, r.still_pending
                        );
                        if let Some(e) = &r.error {
                            s.push_str(&format!(" ({e})"));
                        }
                        s
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let failed = reports.iter().any(|r| r.error.is_some() || r.rejected > 0);
                self.toast(text, failed);
            }
            Err(e) => self.toast(format!("push failed: {e}"), true),
        }
        let mut fx = vec![Effect::LoadEdits];
        fx.extend(self.refresh_products());
        fx
    }

    pub(crate) fn on_resolved(&mut self, result: Result<Edit, JobError>) -> Vec<Effect> {
        match result {
            Ok(e) => self.toast(
                format!("offer {}: {}", e.offer_id, e.message.unwrap_or_default()),
                false,
            ),
            Err(e) => self.toast(e.to_string(), true),
        }
        vec![Effect::LoadEdits]
    }

    /// Keys of the edit form (see [`EditForm::key`]).
    pub(crate) fn edit_form_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let row = self.products.rows.get(self.products.selected);
        let Some(Popup::Edit(form)) = self.popups.last_mut() else {
            return vec![];
        };
        match form.key(ev, row) {
            FormKey::Close => {
                self.popups.pop();
                vec![]
            }
            FormKey::Queue(request) => vec![Effect::QueueEdit {
                account: form.account.clone(),
                id: form.id,
                request,
            }],
            FormKey::Stay => vec![],
        }
    }
}
