//! The dashboard's safe edit workflow: Space marks rows, `p`/`P` preview a push (all or marked
//! edits / the selected edit's account) and only y/Enter in the preview sends it, `d`
//! withdraws edits after a confirmation, and `b` applies one change to every marked product.
//! State and keys only; drawing is in `views::push`, I/O in `effects`.

use super::app::{App, Confirm, Effect, Popup, Tab};
use super::error::JobError;
use crate::edits::Edit;
use crate::edits::bulk::{BulkChange, PriceOp};
use crate::edits::preview::{Preview, Scope};
use crossterm::event::{KeyCode, KeyEvent};
use rust_decimal::Decimal;
use std::str::FromStr;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// Reloads of the products list caused by store changes come at most this often (seconds).
pub const REFRESH_SECS: i64 = 5;

/// The push preview popup.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewPopup {
    pub preview: Preview,
    pub scroll: u16,
    /// More offers than `[push] max_offers`: y/Enter is refused.
    pub over_limit: bool,
}

/// How the bulk form changes prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceMode {
    Unchanged,
    Set,
    Add,
    Multiply,
}

impl PriceMode {
    pub fn label(self) -> &'static str {
        match self {
            PriceMode::Unchanged => "unchanged",
            PriceMode::Set => "set to",
            PriceMode::Add => "add",
            PriceMode::Multiply => "multiply by",
        }
    }
    fn next(self, forward: bool) -> PriceMode {
        const ALL: [PriceMode; 4] = [
            PriceMode::Unchanged,
            PriceMode::Set,
            PriceMode::Add,
            PriceMode::Multiply,
        ];
        let i = ALL.iter().position(|m| *m == self).unwrap_or(0);
        ALL[if forward { (i + 1) % 4 } else { (i + 3) % 4 }]
    }
}

/// The `b` form: one change for every marked product.
#[derive(Debug, Clone)]
pub struct BulkForm {
    pub targets: Vec<(String, i64)>,
    pub focus: usize,
    pub mode: PriceMode,
    pub value: Input,
    pub stock: Input,
    pub clamp: bool,
    pub error: Option<String>,
}

impl BulkForm {
    pub const FIELDS: [&'static str; 4] = ["price", "amount", "stock", "keep within min/max"];

    pub fn new(targets: Vec<(String, i64)>) -> BulkForm {
        BulkForm {
            targets,
            focus: 0,
            mode: PriceMode::Unchanged,
            value: Input::default(),
            stock: Input::default(),
            clamp: true,
            error: None,
        }
    }

    /// The change typed, or the one sentence saying what is wrong.
    pub fn change(&self) -> Result<BulkChange, String> {
        let v = self.value.value().trim();
        let price = match self.mode {
            PriceMode::Unchanged => None,
            mode => {
                let n = Decimal::from_str(v)
                    .map_err(|_| format!("the amount \"{v}\" is not a number"))?;
                Some(match mode {
                    PriceMode::Set => PriceOp::Set(n),
                    PriceMode::Add => PriceOp::Add(n),
                    _ if n <= Decimal::ZERO => {
                        return Err(format!("multiply by a number above 0, not {n}"));
                    }
                    _ => PriceOp::Multiply(n),
                })
            }
        };
        let stock = match self.stock.value().trim() {
            "" => None,
            s => Some(
                s.parse::<i64>()
                    .map_err(|_| format!("the stock \"{s}\" is not a whole number"))?,
            ),
        };
        if price.is_none() && stock.is_none() {
            return Err("nothing to change: choose a price change or type a stock".into());
        }
        Ok(BulkChange {
            price,
            stock,
            clamp: self.clamp,
        })
    }
}

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
            Tab::Changes => match self.selected_edit() {
                Some(e) if e.state.is_open() => {
                    let id = e.id;
                    if !self.changes.marked.remove(&id) {
                        self.changes.marked.insert(id);
                    }
                    self.changes_motion(1);
                }
                Some(e) => {
                    let text = format!(
                        "offer {} is {}; only open edits can be marked",
                        e.offer_id, e.state
                    );
                    self.toast(text, true);
                }
                None => {}
            },
            _ => {}
        }
        vec![]
    }

    /// `p` (marked edits, else all) or `P` (the selected edit's account): reads the preview.
    pub(crate) fn preview_push(&mut self, account: bool) -> Vec<Effect> {
        if self.changes.pushing {
            self.toast("a push is already running", true);
            return vec![];
        }
        let scope = if account {
            match self.selected_edit() {
                Some(e) => Scope::Account(e.account.clone()),
                None => {
                    self.toast("no edit selected", true);
                    return vec![];
                }
            }
        } else if self.changes.marked.is_empty() {
            Scope::All
        } else {
            Scope::Edits(self.changes.marked.iter().copied().collect())
        };
        vec![Effect::PreviewPush(scope)]
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
    pub(crate) fn preview_key(&mut self, ev: KeyEvent, key: super::keymap::Key) -> Vec<Effect> {
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
                self.changes.pushing = true;
                self.changes.marked.clear();
                self.toast(format!("pushing {} to eMAG…", preview.summary()), false);
                vec![Effect::Push(preview)]
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                self.popups.pop();
                self.toast("nothing pushed; the edits stay pending", false);
                vec![]
            }
            _ => {
                use super::keymap::{Action, Context};
                let delta: i32 = match self.keymap.action(Context::Global, key) {
                    Some(Action::Up) => -1,
                    Some(Action::Down) => 1,
                    Some(Action::HalfPageUp) => -10,
                    Some(Action::HalfPageDown) => 10,
                    Some(Action::Top) => -100_000,
                    Some(Action::Bottom) => 100_000,
                    _ => 0,
                };
                let lines = crate::edits::preview::lines(&p.preview).len() as i32;
                p.scroll = (i32::from(p.scroll) + delta).clamp(0, (lines - 1).max(0)) as u16;
                vec![]
            }
        }
    }

    /// `d`: withdraw the marked open edits, else the selected one, after a confirmation.
    pub(crate) fn ask_discard(&mut self) -> Vec<Effect> {
        let (ids, what) = if self.changes.marked.is_empty() {
            match self.selected_edit() {
                Some(e) if e.state.is_open() => {
                    (vec![e.id], format!("the edit of offer {}", e.offer_id))
                }
                Some(e) => {
                    let text = format!(
                        "offer {}'s edit is {}; only open edits can be withdrawn",
                        e.offer_id, e.state
                    );
                    self.toast(text, true);
                    return vec![];
                }
                None => return vec![],
            }
        } else {
            let ids: Vec<i64> = self.changes.marked.iter().copied().collect();
            let n = ids.len();
            (
                ids,
                format!("{n} marked edit{}", if n == 1 { "" } else { "s" }),
            )
        };
        self.popups
            .push(Popup::Confirm(Confirm::Discard { ids, what }));
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

    /// Keys of the bulk form: ↑↓ field, ←→/Space choose, Enter queues, Esc closes.
    pub(crate) fn bulk_form_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let Some(Popup::Bulk(form)) = self.popups.last_mut() else {
            return vec![];
        };
        let n = BulkForm::FIELDS.len();
        match ev.code {
            KeyCode::Esc => {
                self.popups.pop();
            }
            KeyCode::Up | KeyCode::BackTab => form.focus = (form.focus + n - 1) % n,
            KeyCode::Down | KeyCode::Tab => form.focus = (form.focus + 1) % n,
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.focus == 0 => {
                form.mode = form.mode.next(ev.code != KeyCode::Left);
                form.error = None;
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.focus == 3 => {
                form.clamp = !form.clamp;
            }
            KeyCode::Enter => match form.change() {
                Ok(change) => {
                    form.error = None;
                    return vec![Effect::QueueBulk {
                        targets: form.targets.clone(),
                        change,
                    }];
                }
                Err(e) => form.error = Some(e),
            },
            _ if matches!(form.focus, 1 | 2) => {
                let input = if form.focus == 1 {
                    &mut form.value
                } else {
                    &mut form.stock
                };
                input.handle_event(&crossterm::event::Event::Key(ev));
                form.error = None;
            }
            _ => {}
        }
        vec![]
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
        let limit = (p.rows.len() as i64).max(super::app::PAGE_ROWS);
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
