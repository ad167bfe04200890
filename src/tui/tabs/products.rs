//! 3 Products: the search box, the filters and sort of the query, the keyset-paged table, its
//! marks and the bulk form (`b`) over them. The tab's state, its motions and the form's keys;
//! `app` wires them into `update()`, `views/products.rs` and `views/push.rs` draw them.

use super::FormField;
use crate::edits::bulk::{BulkChange, PriceOp};
use crate::model::search::{Cursor, ProductQuery};
use crate::store::search::ProductRow;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use rust_decimal::Decimal;
use std::str::FromStr;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// Reloads of the products list caused by store changes come at most this often (seconds).
pub const REFRESH_SECS: i64 = 5;

/// The next keyset page is read when the cursor comes this close to the last loaded row.
const READ_AHEAD: usize = 60;

#[derive(Debug, Clone, Default)]
pub struct Products {
    pub query: ProductQuery,
    pub input: Input,
    pub typing: bool,
    pub rows: Vec<ProductRow>,
    pub selected: usize,
    pub offset: usize,
    /// Increases with every query change; results of an older one are dropped.
    pub seq: u64,
    pub loading: bool,
    pub exhausted: bool,
    pub total: Option<i64>,
    pub loaded_once: bool,
    /// Pending local edits of the loaded rows: the table shows them beside eMAG's values.
    pub pending: std::collections::HashMap<(String, i64), crate::edits::Edit>,
    /// When the list last reloaded in place because the store changed.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// The offer the cursor stays on when the list reloads in place.
    pub keep: Option<(String, i64)>,
    /// Rows marked with Space (account, offer id), for a bulk edit.
    pub marked: std::collections::BTreeSet<(String, i64)>,
}

impl Products {
    /// Moves the cursor by `delta` in a table showing `rows` rows, scrolling only when the
    /// cursor leaves them. Returns where the next keyset page starts when the cursor nears the
    /// end of what is loaded (and marks it loading).
    pub fn motion(&mut self, delta: i64, rows: usize) -> Option<Cursor> {
        self.selected = if self.rows.is_empty() {
            0
        } else {
            (self.selected as i64 + delta).clamp(0, self.rows.len() as i64 - 1) as usize
        };
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        if self.loading || self.exhausted || self.selected + READ_AHEAD < self.rows.len() {
            return None;
        }
        let after = self.rows.last()?.cursor(self.query.sort);
        self.loading = true;
        Some(after)
    }

    /// Puts the cursor on row `i`, centring it when it is outside the `rows` shown.
    pub fn reveal(&mut self, i: usize, rows: usize) {
        self.selected = i;
        if i < self.offset || i >= self.offset + rows {
            self.offset = i.saturating_sub(rows / 2);
        }
    }
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
        super::step(&ALL, self, forward)
    }
}

/// A field of the bulk form, in the order the form shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkField {
    /// How prices change (unchanged, set, add, multiply).
    PriceMode,
    /// The price change's amount.
    Amount,
    Stock,
    /// Keep new prices within each offer's min/max.
    Clamp,
}

impl super::FormField for BulkField {
    const FIELDS: &'static [BulkField] = &BulkField::ALL;
}

impl BulkField {
    pub const ALL: [BulkField; 4] = [
        BulkField::PriceMode,
        BulkField::Amount,
        BulkField::Stock,
        BulkField::Clamp,
    ];

    pub fn label(self) -> &'static str {
        match self {
            BulkField::PriceMode => "price",
            BulkField::Amount => "amount",
            BulkField::Stock => "stock",
            BulkField::Clamp => "keep within min/max",
        }
    }
}

/// The `b` form: one change for every marked product.
#[derive(Debug, Clone)]
pub struct BulkForm {
    pub targets: Vec<(String, i64)>,
    pub focus: BulkField,
    pub mode: PriceMode,
    pub value: Input,
    pub stock: Input,
    pub clamp: bool,
    pub error: Option<String>,
}

impl BulkForm {
    pub fn new(targets: Vec<(String, i64)>) -> BulkForm {
        BulkForm {
            targets,
            focus: BulkField::PriceMode,
            mode: PriceMode::Unchanged,
            value: Input::default(),
            stock: Input::default(),
            clamp: true,
            error: None,
        }
    }

    /// The text input of a typed field (the others are toggled).
    pub fn input(&self, field: BulkField) -> Option<&Input> {
        match field {
            BulkField::Amount => Some(&self.value),
            BulkField::Stock => Some(&self.stock),
            BulkField::PriceMode | BulkField::Clamp => None,
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

/// What a key did to the bulk form.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkKey {
    /// Esc: close the form.
    Close,
    /// Enter with a valid change: queue it for every target.
    Queue(BulkChange),
    /// Anything else: the form stays open.
    Stay,
}

impl BulkForm {
    /// Keys of the form: ↑↓ field, ←→/Space choose, Enter queues, Esc closes.
    pub fn key(&mut self, ev: KeyEvent) -> BulkKey {
        match ev.code {
            KeyCode::Esc => return BulkKey::Close,
            KeyCode::Up | KeyCode::BackTab => self.focus = self.focus.next(false),
            KeyCode::Down | KeyCode::Tab => self.focus = self.focus.next(true),
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if self.focus == BulkField::PriceMode =>
            {
                self.mode = self.mode.next(ev.code != KeyCode::Left);
                self.error = None;
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if self.focus == BulkField::Clamp =>
            {
                self.clamp = !self.clamp;
            }
            KeyCode::Enter => match self.change() {
                Ok(change) => {
                    self.error = None;
                    return BulkKey::Queue(change);
                }
                Err(e) => self.error = Some(e),
            },
            _ if self.input(self.focus).is_some() => {
                let input = if self.focus == BulkField::Amount {
                    &mut self.value
                } else {
                    &mut self.stock
                };
                input.handle_event(&crossterm::event::Event::Key(ev));
                self.error = None;
            }
            _ => {}
        }
        BulkKey::Stay
    }
}
