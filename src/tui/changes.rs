//! Local edits in the dashboard: the `e` form on a product and the `5 Changes` tab (pending
//! edits, pushed ones with eMAG's answer, rejections and conflicts, with push and resolve keys).
//! State and key handling only; drawing is in `views::changes`, I/O in `effects`.

use super::app::{App, Effect, Popup};
use crate::edits::{Edit, EditRequest, EditState, Keep, PushReport};
use crate::model::OfferStatus;
use crate::store::search::ProductRow;
use crossterm::event::{KeyCode, KeyEvent};
use rust_decimal::Decimal;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// The Changes tab.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub edits: Vec<Edit>,
    pub selected: usize,
    pub loaded: bool,
    pub pushing: bool,
    /// Edits marked with Space (edit ids), for a push or a withdrawal of just those.
    pub marked: std::collections::BTreeSet<i64>,
}

/// The `e` form: empty fields are left alone.
#[derive(Debug, Clone)]
pub struct EditForm {
    pub account: String,
    pub id: i64,
    pub name: String,
    pub focus: usize,
    pub price: Input,
    pub recommended: Input,
    pub stock: Input,
    /// None = unchanged; otherwise active or inactive.
    pub status: Option<OfferStatus>,
    pub error: Option<String>,
}

impl EditForm {
    pub const FIELDS: [&'static str; 4] = ["price", "recommended price", "stock", "status"];

    pub fn new(row: &ProductRow) -> EditForm {
        EditForm {
            account: row.account.clone(),
            id: row.id,
            name: row.name.clone().unwrap_or_default(),
            focus: 0,
            price: Input::new(row.sale_price.map(|p| p.to_string()).unwrap_or_default()),
            recommended: Input::default(),
            stock: Input::new(row.general_stock.map(|s| s.to_string()).unwrap_or_default()),
            status: None,
            error: None,
        }
    }

    /// The request typed, or the sentence saying which field is not a number. Bounds are
    /// checked by the library when the edit is queued.
    pub fn request(&self, row: Option<&ProductRow>) -> Result<EditRequest, String> {
        let money = |what: &str, input: &Input| -> Result<Option<Decimal>, String> {
            match input.value().trim() {
                "" => Ok(None),
                v => crate::edits::price::parse(v)
                    .map(Some)
                    .map_err(|e| format!("{what}: {e}")),
            }
        };
        let stock = match self.stock.value().trim() {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .map_err(|_| format!("the stock \"{v}\" is not a whole number"))?,
            ),
        };
        let mut req = EditRequest {
            sale_price: money("price", &self.price)?,
            recommended_price: money("recommended price", &self.recommended)?,
            stock,
            status: self.status,
        };
        // Prefilled values left as they were are not edits.
        if let Some(r) = row {
            if req.sale_price.is_some() && req.sale_price == r.sale_price {
                req.sale_price = None;
            }
            if req.stock.is_some() && req.stock == r.general_stock.map(i64::from) {
                req.stock = None;
            }
        }
        Ok(req)
    }
}

impl App {
    /// The selected edit of the Changes tab.
    pub fn selected_edit(&self) -> Option<&Edit> {
        self.changes.edits.get(self.changes.selected)
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
        let len = self.changes.edits.len();
        self.changes.selected = if len == 0 {
            0
        } else {
            (self.changes.selected as i64 + delta).clamp(0, len as i64 - 1) as usize
        };
    }

    pub(crate) fn on_edits(&mut self, edits: Result<Vec<Edit>, String>) -> Vec<Effect> {
        match edits {
            Ok(list) => {
                // Marks of edits that are no longer open (pushed, withdrawn elsewhere) go.
                let open: std::collections::HashSet<i64> = list
                    .iter()
                    .filter(|e| e.state.is_open())
                    .map(|e| e.id)
                    .collect();
                self.changes.marked.retain(|id| open.contains(id));
                self.changes.edits = list;
                self.changes.loaded = true;
                self.changes_motion(0);
            }
            Err(e) => self.toast(format!("reading local edits failed: {e}"), true),
        }
        vec![]
    }

    pub(crate) fn on_queued(&mut self, result: Result<Edit, String>) -> Vec<Effect> {
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
            Err(msg) => {
                if let Some(Popup::Edit(form)) = self.popups.last_mut() {
                    form.error = Some(msg.clone());
                }
                self.toast(msg, true);
                vec![]
            }
        }
    }

    pub(crate) fn on_pushed(&mut self, result: Result<Vec<PushReport>, String>) -> Vec<Effect> {
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

    pub(crate) fn on_resolved(&mut self, result: Result<Edit, String>) -> Vec<Effect> {
        match result {
            Ok(e) => self.toast(
                format!("offer {}: {}", e.offer_id, e.message.unwrap_or_default()),
                false,
            ),
            Err(e) => self.toast(e, true),
        }
        vec![Effect::LoadEdits]
    }

    /// Keys of the edit form: Tab/↑↓ move, ←→/Space toggle the status, Enter queues, Esc closes.
    pub(crate) fn edit_form_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let row = self.products.rows.get(self.products.selected).cloned();
        let Some(Popup::Edit(form)) = self.popups.last_mut() else {
            return vec![];
        };
        let n = EditForm::FIELDS.len();
        match ev.code {
            KeyCode::Esc => {
                self.popups.pop();
            }
            KeyCode::Up | KeyCode::BackTab => form.focus = (form.focus + n - 1) % n,
            KeyCode::Down | KeyCode::Tab => form.focus = (form.focus + 1) % n,
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.focus == 3 => {
                use OfferStatus::{Active, Inactive};
                form.status = match (form.status, ev.code == KeyCode::Left) {
                    (None, false) => Some(Active),
                    (Some(Active), false) => Some(Inactive),
                    (Some(_), false) => None,
                    (None, true) => Some(Inactive),
                    (Some(Inactive), true) => Some(Active),
                    (Some(_), true) => None,
                }
            }
            KeyCode::Enter => {
                let same_row = row
                    .as_ref()
                    .filter(|r| r.account == form.account && r.id == form.id);
                match form.request(same_row) {
                    Ok(req) => {
                        form.error = None;
                        return vec![Effect::QueueEdit {
                            account: form.account.clone(),
                            id: form.id,
                            request: req,
                        }];
                    }
                    Err(e) => form.error = Some(e),
                }
            }
            _ => {
                let input = match form.focus {
                    0 => &mut form.price,
                    1 => &mut form.recommended,
                    2 => &mut form.stock,
                    _ => return vec![],
                };
                input.handle_event(&crossterm::event::Event::Key(ev));
                form.error = None;
            }
        }
        vec![]
    }
}
