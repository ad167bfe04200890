//! The Changes tab, the edit form and the push workflow in `update()`: `p`/`P` read a preview
//! and only y/Enter in it sends, `d` withdraws edits after a confirmation; keys to effects,
//! answers to toasts.

use super::{App, Confirm, Effect, Popup};
use crate::edits::preview::Preview;
use crate::edits::{Edit, Keep, PushReport};
use crate::tui::error::JobError;
use crate::tui::keymap::Key;
use crate::tui::tabs::changes::{EditForm, FormKey, PreviewPopup};
use crossterm::event::{KeyCode, KeyEvent};

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

    /// `L`/`R`: resolves the selected conflict, keeping the local or eMAG's value.
    pub(crate) fn resolve_selected(&mut self, keep: Keep) -> Vec<Effect> {
        match self.changes.conflict_target() {
            Ok(Some((account, id))) => vec![Effect::Resolve { account, id, keep }],
            Ok(None) => vec![],
            Err(why) => {
                self.toast(why.to_string(), true);
                vec![]
            }
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

    /// `p` (marked edits, else all) or `P` (the selected edit's account): reads the preview.
    pub(crate) fn preview_push(&mut self, account: bool) -> Vec<Effect> {
        match self.changes.push_scope(account) {
            Ok(scope) => vec![Effect::PreviewPush(scope)],
            Err(why) => {
                self.toast(why.to_string(), true);
                vec![]
            }
        }
    }

    pub(crate) fn on_preview(&mut self, result: Result<Preview, JobError>) -> Vec<Effect> {
        match result {
            Ok(p) if p.is_empty() => self.toast("nothing to push: no pending edits", false),
            Ok(p) => {
                let over_limit = p.offers() > self.push_max_offers;
                self.popups.push(Popup::PushPreview(Box::new(PreviewPopup {
                    preview: p,
                    scroll: 0,
                    over_limit,
                })));
            }
            Err(e) => self.toast(format!("reading pending edits failed: {e}"), true),
        }
        vec![]
    }

    /// Keys of the preview: y/Enter push, n/Esc leave the edits pending, ↑↓ scroll.
    pub(crate) fn preview_key(&mut self, ev: KeyEvent, key: Key) -> Vec<Effect> {
        let Some(Popup::PushPreview(p)) = self.popups.last_mut() else {
            return vec![];
        };
        match ev.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                if p.over_limit {
                    let text = format!(
                        "refused: more than {} offers in one push ([push] max_offers); mark fewer edits or use `magsync push --max-offers`",
                        self.push_max_offers
                    );
                    self.toast(text, true);
                    return vec![];
                }
                let preview = p.preview.clone();
                self.popups.pop();
                self.changes.start_push();
                self.toast(format!("pushing {} to eMAG…", preview.summary()), false);
                vec![Effect::Push(preview)]
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                self.popups.pop();
                self.toast("nothing pushed; the edits stay pending", false);
                vec![]
            }
            _ => {
                let delta = super::popups::scroll_delta(&self.keymap, key, 100_000);
                p.scroll_by(delta);
                vec![]
            }
        }
    }

    /// `d`: withdraw the marked open edits, else the selected one, after a confirmation.
    pub(crate) fn ask_discard(&mut self) -> Vec<Effect> {
        match self.changes.discard_target() {
            Ok(Some((ids, what))) => self
                .popups
                .push(Popup::Confirm(Confirm::Discard { ids, what })),
            Ok(None) => {}
            Err(why) => self.toast(why.to_string(), true),
        }
        vec![]
    }

    pub(crate) fn on_discarded(&mut self, result: Result<Vec<Edit>, JobError>) -> Vec<Effect> {
        match result {
            Ok(list) => {
                for e in &list {
                    self.changes.marked.remove(&e.id);
                }
                let n = list.len();
                self.toast(
                    format!(
                        "withdrew {n} edit{}; eMAG's values show again",
                        if n == 1 { "" } else { "s" }
                    ),
                    false,
                );
            }
            Err(e) => self.toast(format!("withdrawing failed: {e}"), true),
        }
        let mut fx = vec![Effect::LoadEdits];
        fx.extend(self.refresh_products());
        fx
    }
}
