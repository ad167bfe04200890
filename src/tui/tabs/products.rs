//! 3 Products: the search box, the filters and sort of the query, and the keyset-paged table.
//! The tab's state and its motions; `app` wires them into `update()`, `views/products.rs` draws.

use crate::store::search::{Cursor, ProductQuery, ProductRow};
use chrono::{DateTime, Utc};
use tui_input::Input;

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
