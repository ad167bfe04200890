//! 5 Changes: local edits (pending, pushed with eMAG's answer, rejected, conflicts), the `e`
//! form on a product and the push preview (`p`/`P`: only y/Enter in it sends). The tab's state
//! and its keys; `app/changes.rs` wires them into `update()`, `views/changes.rs` and
//! `views/push.rs` draw them.

use super::FormField;
use crate::edits::preview::{Preview, Scope};
use crate::edits::{Edit, EditRequest, EditState};
use crate::model::OfferStatus;
use crate::store::search::ProductRow;
use crate::tui::error::JobError;
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

impl Changes {
    /// The selected edit.
    pub fn selected_edit(&self) -> Option<&Edit> {
        self.edits.get(self.selected)
    }

    /// Moves the cursor by `delta`, kept on the list.
    pub fn motion(&mut self, delta: i64) {
        let len = self.edits.len();
        self.selected = if len == 0 {
            0
        } else {
            (self.selected as i64 + delta).clamp(0, len as i64 - 1) as usize
        };
    }

    /// Space: marks or unmarks the selected edit and moves down; only open edits are marked.
    pub fn toggle_mark(&mut self) -> Result<(), JobError> {
        match self.selected_edit() {
            Some(e) if e.state.is_open() => {
                let id = e.id;
                if !self.marked.remove(&id) {
                    self.marked.insert(id);
                }
                self.motion(1);
                Ok(())
            }
            Some(e) => Err(JobError::Refused(format!(
                "offer {} is {}; only open edits can be marked",
                e.offer_id, e.state
            ))),
            None => Ok(()),
        }
    }

    /// What `p` (the marked edits, else all) or `P` (`account`: the selected edit's account)
    /// previews, or why nothing can be.
    pub fn push_scope(&self, account: bool) -> Result<Scope, JobError> {
        if self.pushing {
            return Err(JobError::Refused("a push is already running".into()));
        }
        Ok(if account {
            let e = self
                .selected_edit()
                .ok_or_else(|| JobError::Refused("no edit selected".into()))?;
            Scope::Account(e.account.clone())
        } else if self.marked.is_empty() {
            Scope::All
        } else {
            Scope::Edits(self.marked.iter().copied().collect())
        })
    }

    /// A confirmed preview is being pushed: its marks are spent.
    pub fn start_push(&mut self) {
        self.pushing = true;
        self.marked.clear();
    }

    /// What `d` withdraws, with the words the question names it by: the marked edits, else the
    /// selected one when it is open (None: nothing is selected).
    pub fn discard_target(&self) -> Result<Option<(Vec<i64>, String)>, JobError> {
        if !self.marked.is_empty() {
            let ids: Vec<i64> = self.marked.iter().copied().collect();
            let n = ids.len();
            let what = format!("{n} marked edit{}", if n == 1 { "" } else { "s" });
            return Ok(Some((ids, what)));
        }
        match self.selected_edit() {
            Some(e) if e.state.is_open() => Ok(Some((
                vec![e.id],
                format!("the edit of offer {}", e.offer_id),
            ))),
            Some(e) => Err(JobError::Refused(format!(
                "offer {}'s edit is {}; only open edits can be withdrawn",
                e.offer_id, e.state
            ))),
            None => Ok(None),
        }
    }

    /// The offer (account, id) whose conflict `L`/`R` resolves: the selected edit's, when it is
    /// in conflict (None: nothing is selected).
    pub fn conflict_target(&self) -> Result<Option<(String, i64)>, JobError> {
        match self.selected_edit() {
            Some(e) if e.state == EditState::Conflict => Ok(Some((e.account.clone(), e.offer_id))),
            Some(e) => Err(JobError::Refused(format!(
                "offer {} is {}, not in conflict",
                e.offer_id, e.state
            ))),
            None => Ok(None),
        }
    }

    /// A fresh list; marks of edits that are no longer open (pushed, withdrawn elsewhere) go.
    pub fn set_edits(&mut self, list: Vec<Edit>) {
        let open: std::collections::HashSet<i64> = list
            .iter()
            .filter(|e| e.state.is_open())
            .map(|e| e.id)
            .collect();
        self.marked.retain(|id| open.contains(id));
        self.edits = list;
        self.loaded = true;
        self.motion(0);
    }
}

/// What a key did to the edit form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormKey {
    /// Esc: close the form.
    Close,
    /// Enter with valid fields: queue this edit of the form's offer.
    Queue(EditRequest),
    /// Anything else: the form stays open.
    Stay,
}

/// A field of the edit form, in the order the form shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditField {
    Price,
    Recommended,
    Stock,
    Status,
}

impl super::FormField for EditField {
    const FIELDS: &'static [EditField] = &EditField::ALL;
}

impl EditField {
    pub const ALL: [EditField; 4] = [
        EditField::Price,
        EditField::Recommended,
        EditField::Stock,
        EditField::Status,
    ];

    pub fn label(self) -> &'static str {
        match self {
            EditField::Price => "price",
            EditField::Recommended => "recommended price",
            EditField::Stock => "stock",
            EditField::Status => "status",
        }
    }
}

/// The `e` form: empty fields are left alone.
#[derive(Debug, Clone)]
pub struct EditForm {
    pub account: String,
    pub id: i64,
    pub name: String,
    pub focus: EditField,
    pub price: Input,
    pub recommended: Input,
    pub stock: Input,
    /// None = unchanged; otherwise active or inactive.
    pub status: Option<OfferStatus>,
    pub error: Option<String>,
}

impl EditForm {
    pub fn new(row: &ProductRow) -> EditForm {
        EditForm {
            account: row.account.clone(),
            id: row.id,
            name: row.name.clone().unwrap_or_default(),
            focus: EditField::Price,
            price: Input::new(row.sale_price.map(|p| p.to_string()).unwrap_or_default()),
            recommended: Input::default(),
            stock: Input::new(row.general_stock.map(|s| s.to_string()).unwrap_or_default()),
            status: None,
            error: None,
        }
    }

    /// The text input of a typed field (the status is toggled).
    pub fn input(&self, field: EditField) -> Option<&Input> {
        match field {
            EditField::Price => Some(&self.price),
            EditField::Recommended => Some(&self.recommended),
            EditField::Stock => Some(&self.stock),
            EditField::Status => None,
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

    /// Keys of the form: Tab/↑↓ move, ←→/Space toggle the status, Enter queues, Esc closes.
    /// `row` is the products table's selected row, whose prefilled values are not edits.
    pub fn key(&mut self, ev: KeyEvent, row: Option<&ProductRow>) -> FormKey {
        match ev.code {
            KeyCode::Esc => return FormKey::Close,
            KeyCode::Up | KeyCode::BackTab => self.focus = self.focus.next(false),
            KeyCode::Down | KeyCode::Tab => self.focus = self.focus.next(true),
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if self.focus == EditField::Status =>
            {
                use OfferStatus::{Active, Inactive};
                self.status = match (self.status, ev.code == KeyCode::Left) {
                    (None, false) => Some(Active),
                    (Some(Active), false) => Some(Inactive),
                    (Some(_), false) => None,
                    (None, true) => Some(Inactive),
                    (Some(Inactive), true) => Some(Active),
                    (Some(_), true) => None,
                }
            }
            KeyCode::Enter => {
                let same_row = row.filter(|r| r.account == self.account && r.id == self.id);
                match self.request(same_row) {
                    Ok(req) => {
                        self.error = None;
                        return FormKey::Queue(req);
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            _ => {
                let input = match self.focus {
                    EditField::Price => &mut self.price,
                    EditField::Recommended => &mut self.recommended,
                    EditField::Stock => &mut self.stock,
                    EditField::Status => return FormKey::Stay,
                };
                input.handle_event(&crossterm::event::Event::Key(ev));
                self.error = None;
            }
        }
        FormKey::Stay
    }
}

/// The push preview popup.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewPopup {
    pub preview: Preview,
    pub scroll: u16,
    /// More offers than `[push] max_offers`: y/Enter is refused.
    pub over_limit: bool,
}

impl PreviewPopup {
    /// Scrolls by `delta` lines, kept within the preview's lines.
    pub fn scroll_by(&mut self, delta: i32) {
        let lines = crate::edits::preview::lines(&self.preview).len() as i32;
        self.scroll = (i32::from(self.scroll) + delta).clamp(0, (lines - 1).max(0)) as u16;
    }
}
