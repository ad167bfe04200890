//! Product search shared by the TUI, `magsync products` and `magsync export`.
//!
//! Text is folded (see [`super::offers::fold_search`]) and matched against the name, part
//! number, part number key and EANs: on SQLite every word of the query must start a word there
//! (FTS5 prefix index); on Postgres every word of the query must be a substring (pg_trgm
//! index). Both find "Lampă" for "lampa", "LMP-450-BK" for "450" and "Cablu USB-C" for
//! "usb c". Paging is keyset-based on (sort value, account, id), so the
//! thousandth page costs what the first one does.

use super::money::Money;
use super::{Backend, Result, Store, on_search_pool};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{QueryBuilder, Row};
use std::str::FromStr;

/// Stock at or below this (and above zero) counts as low.
pub const LOW_STOCK: i32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Inactive,
    Eol,
    Missing,
}

impl FromStr for StatusFilter {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "active" => Ok(StatusFilter::Active),
            "inactive" => Ok(StatusFilter::Inactive),
            "eol" | "end_of_life" => Ok(StatusFilter::Eol),
            "missing" => Ok(StatusFilter::Missing),
            other => Err(format!(
                "unknown status \"{other}\" (expected active, inactive, eol or missing)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockFilter {
    Zero,
    Low,
}

impl FromStr for StockFilter {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "zero" => Ok(StockFilter::Zero),
            "low" => Ok(StockFilter::Low),
            other => Err(format!(
                "unknown stock filter \"{other}\" (expected zero, low or any)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Account,
    Id,
    PartNumber,
    Price,
    Stock,
    Rank,
    Changed,
}

impl SortKey {
    pub const ALL: &'static [SortKey] = &[
        SortKey::Account,
        SortKey::Id,
        SortKey::PartNumber,
        SortKey::Name,
        SortKey::Price,
        SortKey::Stock,
        SortKey::Rank,
        SortKey::Changed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Account => "account",
            SortKey::Id => "id",
            SortKey::PartNumber => "part_number",
            SortKey::Price => "price",
            SortKey::Stock => "stock",
            SortKey::Rank => "rank",
            SortKey::Changed => "changed",
        }
    }

    /// The SQLite index that holds this order (migrations 0001 and 0003).
    fn sqlite_index(self) -> &'static str {
        match self {
            SortKey::Name => "offers_sort_name",
            SortKey::Account => "sqlite_autoindex_offers_1",
            SortKey::Id => "offers_sort_id",
            SortKey::PartNumber => "offers_sort_part_number",
            SortKey::Price => "offers_sort_price",
            SortKey::Stock => "offers_sort_stock",
            SortKey::Rank => "offers_sort_rank",
            SortKey::Changed => "offers_sort_changed",
        }
    }

    /// The SQL expression sorted on; NULLs are mapped to a sentinel so row-value comparisons
    /// in keyset paging never meet a NULL. The sentinel price is -1 in the column's own unit
    /// (ten-thousandths on SQLite), the value a cursor binds for a row without a price.
    pub(crate) fn expr(self, backend: Backend) -> &'static str {
        match self {
            SortKey::Name => "COALESCE(name, '')",
            SortKey::Account => "account",
            SortKey::Id => "id",
            SortKey::PartNumber => "COALESCE(part_number, '')",
            SortKey::Price if backend == Backend::Sqlite => "COALESCE(sale_price, -10000)",
            SortKey::Price => "COALESCE(sale_price, -1)",
            SortKey::Stock => "COALESCE(general_stock, -1)",
            SortKey::Rank => "COALESCE(buy_button_rank, 2147483647)",
            SortKey::Changed => "last_changed_at",
        }
    }
}

impl FromStr for SortKey {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        SortKey::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown sort field \"{s}\" (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductQuery {
    pub text: Option<String>,
    pub account: Option<String>,
    pub status: Option<StatusFilter>,
    pub stock: Option<StockFilter>,
    pub sort: SortKey,
    pub descending: bool,
}

/// A row of the products table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductRow {
    pub account: String,
    pub id: i64,
    pub part_number: Option<String>,
    pub part_number_key: Option<String>,
    pub name: Option<String>,
    pub brand: Option<String>,
    pub sale_price: Option<Decimal>,
    pub currency: Option<String>,
    pub general_stock: Option<i32>,
    pub status: Option<crate::model::OfferStatus>,
    pub buy_button_rank: Option<i32>,
    pub missing_since: Option<DateTime<Utc>>,
    pub last_changed_at: DateTime<Utc>,
}

/// Where the next page starts: the last row's sort value and key.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub value: SortValue,
    pub account: String,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    Text(String),
    Int(i64),
    Money(Money),
    Time(DateTime<Utc>),
}

impl ProductRow {
    pub fn cursor(&self, sort: SortKey) -> Cursor {
        let value = match sort {
            SortKey::Name => SortValue::Text(self.name.clone().unwrap_or_default()),
            SortKey::Account => SortValue::Text(self.account.clone()),
            SortKey::Id => SortValue::Int(self.id),
            SortKey::PartNumber => SortValue::Text(self.part_number.clone().unwrap_or_default()),
            SortKey::Price => {
                SortValue::Money(Money(self.sale_price.unwrap_or(Decimal::NEGATIVE_ONE)))
            }
            SortKey::Stock => SortValue::Int(self.general_stock.map(i64::from).unwrap_or(-1)),
            SortKey::Rank => {
                SortValue::Int(self.buy_button_rank.map(i64::from).unwrap_or(2_147_483_647))
            }
            SortKey::Changed => SortValue::Time(self.last_changed_at),
        };
        Cursor {
            value,
            account: self.account.clone(),
            id: self.id,
        }
    }
}

const ROW_COLUMNS: &str = "account, id, part_number, part_number_key, name, brand, sale_price, \
    currency, general_stock, status, buy_button_rank, missing_since, last_changed_at";

/// Escapes LIKE wildcards so user input matches literally.
pub(crate) fn like_pattern(folded: &str) -> String {
    let escaped = folded
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The words of folded text that must each be a substring of an offer's search text where no
/// word index answers (Postgres; text without word characters on SQLite): split on
/// whitespace only, so "usb-c" stays one word and "usb c" finds "USB-C".
pub(crate) fn like_words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split_whitespace()
}

/// An FTS5 query matching every word of the input as a word prefix (`"hek"* AND "17"*`), or
/// None when the input has no word characters (then a LIKE scan answers it).
pub(crate) fn fts_prefix_query(folded: &str) -> Option<String> {
    let words: Vec<String> = words(folded).map(|w| format!("\"{w}\"*")).collect();
    (!words.is_empty()).then(|| words.join(" AND "))
}

/// The words of folded text as the FTS tokenizer splits them: runs of letters, digits and
/// '.' (folded text is lower-case ASCII, so that is `[a-z0-9.]`).
fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .filter(|w| !w.is_empty())
}

/// Appends the WHERE conditions of a [`ProductQuery`] (after `WHERE 1 = 1`); shared by the
/// paged search and the streaming export so both select exactly the same offers.
macro_rules! push_filters {
    ($q:expr, $store:expr, $query:expr) => {{
        let q = &mut $q;
        let query: &$crate::store::search::ProductQuery = $query;
        if let Some(a) = &query.account {
            q.push(" AND account = ").push_bind(a.clone());
        }
        match query.status {
            Some($crate::store::search::StatusFilter::Active) => {
                q.push(" AND status = 1 AND missing_since IS NULL");
            }
            Some($crate::store::search::StatusFilter::Inactive) => {
                q.push(" AND status = 0 AND missing_since IS NULL");
            }
            Some($crate::store::search::StatusFilter::Eol) => {
                q.push(" AND status = 2 AND missing_since IS NULL");
            }
            Some($crate::store::search::StatusFilter::Missing) => {
                q.push(" AND missing_since IS NOT NULL");
            }
            None => {}
        }
        // Written on the stock sort key so its index answers the filter too. On SQLite the
        // same range is repeated on the bare column (it excludes NULL as the COALESCE does):
        // with a status filter the planner then seeks (status, general_stock) on both
        // instead of reading every offer of the status to test the stock.
        let sqlite = matches!(&$store.pool, $crate::store::Pool::Sqlite(_));
        match query.stock {
            Some($crate::store::search::StockFilter::Zero) => {
                q.push(" AND COALESCE(general_stock, -1) = 0");
                if sqlite {
                    q.push(" AND general_stock = 0");
                }
            }
            Some($crate::store::search::StockFilter::Low) => {
                q.push(" AND COALESCE(general_stock, -1) BETWEEN 1 AND ")
                    .push_bind($crate::store::search::LOW_STOCK);
                if sqlite {
                    q.push(" AND general_stock BETWEEN 1 AND ")
                        .push_bind($crate::store::search::LOW_STOCK);
                }
            }
            None => {}
        }
        if let Some(text) = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let folded = $crate::store::offers::fold_search(text);
            match (
                &$store.pool,
                $crate::store::search::fts_prefix_query(&folded),
            ) {
                ($crate::store::Pool::Sqlite(_), Some(m)) => {
                    q.push(" AND rowid IN (SELECT rowid FROM offers_fts WHERE offers_fts MATCH ")
                        .push_bind(m)
                        .push(")");
                }
                _ => {
                    for word in $crate::store::search::like_words(&folded) {
                        q.push(" AND search_text LIKE ")
                            .push_bind($crate::store::search::like_pattern(word))
                            .push(" ESCAPE '\\'");
                    }
                }
            }
        }
    }};
}
// Shared with `export`, so an export filters exactly like the products table.
pub(crate) use push_filters;

/// Appends `AND (sort value, account, id) > (cursor)` (`<` descending; `$cmp` overrides).
/// Binds a cursor's sort value as its own type, on either database.
macro_rules! push_sort_value {
    ($q:expr, $value:expr) => {{
        match $value {
            SortValue::Text(t) => $q.push_bind(t.clone()),
            SortValue::Int(i) => $q.push_bind(*i),
            SortValue::Money(m) => $q.push_bind(*m),
            SortValue::Time(t) => $q.push_bind(*t),
        };
    }};
}

/// Appends `account = .. AND id = .. AND <sort value> = ..`: the cursor's own row, found only
/// while it still has the cursor's sort value (the search columns' check that a cursor's
/// position is one they hold).
macro_rules! push_cursor_row {
    ($q:expr, $backend:expr, $sort:expr, $cursor:expr) => {{
        let c: &Cursor = $cursor;
        $q.push(" account = ")
            .push_bind(c.account.clone())
            .push(" AND id = ")
            .push_bind(c.id)
            .push(format!(" AND {} = ", $sort.expr($backend)));
        push_sort_value!($q, &c.value);
    }};
}

macro_rules! push_keyset {
    ($q:expr, $store:expr, $query:expr, $after:expr) => {{
        let query: &ProductQuery = $query;
        let cmp = if query.descending { "<" } else { ">" };
        push_keyset!($q, $store, query, $after, cmp)
    }};
    ($q:expr, $store:expr, $query:expr, $after:expr, $cmp:expr) => {{
        let q = &mut $q;
        let query: &ProductQuery = $query;
        if let Some(c) = $after {
            let cmp: &str = $cmp;
            if query.sort == SortKey::Account {
                q.push(format!(" AND (account, id) {cmp} ("));
            } else {
                let expr = query.sort.expr($store.backend());
                // SQLite seeks an index on a plain column by a row value, but not one whose
                // first column is an expression (every sort index but id's): it scanned the
                // index from its start to the cursor, ~80 ms a page deep in a million
                // offers. The same bound on the expression alone (inclusive, so no row is
                // lost) is a range it seeks.
                let sqlite = $store.backend() == $crate::store::Backend::Sqlite;
                let bounds: &[&str] = if sqlite { &[&cmp[..1], ""] } else { &[""] };
                for &op in bounds {
                    if op.is_empty() {
                        q.push(format!(" AND ({expr}, account, id) {cmp} ("));
                    } else {
                        q.push(format!(" AND {expr} {op}= "));
                    }
                    push_sort_value!(q, &c.value);
                }
                q.push(", ");
            }
            q.push_bind(c.account.clone())
                .push(", ")
                .push_bind(c.id)
                .push(")");
        }
    }};
}

macro_rules! product_row {
    ($r:expr) => {{
        let r = $r;
        Ok::<ProductRow, sqlx::Error>(ProductRow {
            account: r.try_get("account")?,
            id: r.try_get("id")?,
            part_number: r.try_get("part_number")?,
            part_number_key: r.try_get("part_number_key")?,
            name: r.try_get("name")?,
            brand: r.try_get("brand")?,
            sale_price: r.try_get::<Option<Money>, _>("sale_price")?.map(|m| m.0),
            currency: r.try_get("currency")?,
            general_stock: r.try_get("general_stock")?,
            status: r.try_get("status")?,
            buy_button_rank: r.try_get("buy_button_rank")?,
            missing_since: r.try_get("missing_since")?,
            last_changed_at: r.try_get("last_changed_at")?,
        })
    }};
}

macro_rules! fetch_rows {
    ($q:expr, $pool:expr) => {{
        let rows = $q.build().fetch_all($pool).await?;
        rows.iter()
            .map(|r| product_row!(r))
            .collect::<Result<Vec<ProductRow>>>()
    }};
}

/// `ORDER BY` of a page: the sort value, then account and id so the order is total (keyset
/// paging needs it); `cols` names the three, which differ in a materialised list.
fn order_by(query: &ProductQuery, cols: [&str; 3]) -> String {
    let dir = if query.descending { "DESC" } else { "ASC" };
    let [key, account, id] = cols;
    if key == "account" {
        // `account, account, id` would make SQLite sort instead of walking the primary key.
        format!(" ORDER BY account {dir}, {id} {dir}")
    } else {
        format!(" ORDER BY {key} {dir}, {account} {dir}, {id} {dir}")
    }
}

// Each store's own page plans; after the macros above, which they use.
mod columns;
mod columns_pg;
mod columns_sqlite;
mod pg;
mod sqlite;

pub(crate) use columns_pg::PgColumnCache;
pub(crate) use columns_sqlite::SqliteColumnCache;

/// Which plan [`Store::search_products_with`] uses, for tests: on SQLite the plan of that name
/// (see `search/sqlite.rs`); on Postgres `Columns` reads the columns, `Collect` collects at
/// once and anything else lets the planner try first (see `search/pg.rs`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcePlan {
    Auto,
    Window,
    /// Windows of a few rows, so a small store goes through several before collecting.
    SmallWindows,
    Collect,
    /// [`ForcePlan::Collect`], intersecting when the query has a rare filter to drive it.
    Intersect,
    /// The index-only walk where it applies (text, no filter rare enough to intersect), else
    /// collect.
    Member,
    /// [`ForcePlan::Member`] with batches of a few candidates, so a small store goes through
    /// several batches per page.
    SmallBatches,
    /// One window of a few rows, then the index-only walk from its end where that applies
    /// (how a common word with no rare filter is paged), else collect.
    ProbeThenMember,
    /// The in-memory columns (see `search/columns.rs`): on SQLite built first if missing or
    /// stale, for any query with text, else collect; on Postgres read in the page's own
    /// transaction, for any filtered query.
    Columns,
    /// The per-value walk of an account (SQLite's `Groups` plan) where it applies, giving up
    /// after a few values so the hand-over to collecting is exercised too; else collect.
    Groups,
}

impl Store {
    /// One page of products after `after` (None = from the top).
    pub async fn search_products(
        &self,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<ProductRow>> {
        self.search_products_with(query, after, limit, ForcePlan::Auto)
            .await
    }

    /// [`Store::search_products`] with SQLite's plan forced, so tests can check that every
    /// plan returns the same pages on a store too small to choose them by itself.
    #[doc(hidden)]
    pub async fn search_products_with(
        &self,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
        force: ForcePlan,
    ) -> Result<Vec<ProductRow>> {
        let limit = limit.max(1);
        match &self.pool {
            super::Pool::Sqlite(readers) => {
                let pool = self.sqlite_search.as_ref().unwrap_or(readers);
                self.sqlite_search_page(pool, query, after, limit, force)
                    .await
            }
            super::Pool::Postgres(pool) => self.pg_page(pool, query, after, limit, force).await,
        }
    }

    /// Reads the search's in-memory columns now instead of on first need, so the next pages
    /// may come from them (tests).
    #[doc(hidden)]
    pub async fn build_search_columns(&self) -> Result<()> {
        match &self.pool {
            super::Pool::Sqlite(_) => self.build_sqlite_columns().await,
            super::Pool::Postgres(pool) => self.build_pg_columns(pool).await,
        }
    }

    /// How many pages Postgres' search columns have answered (tests).
    #[doc(hidden)]
    pub fn search_columns_answers(&self) -> u64 {
        self.pg_columns
            .as_ref()
            .map_or(0, |c| c.answered.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// How many products match (the sort is irrelevant).
    pub async fn count_products(&self, query: &ProductQuery) -> Result<i64> {
        let text_only = query.account.is_none() && query.status.is_none() && query.stock.is_none();
        if let (super::Pool::Sqlite(readers), Some(m), true) =
            (&self.pool, sqlite::sqlite_text_match(query), text_only)
        {
            let pool = self.sqlite_search.as_ref().unwrap_or(readers);
            // Every offer has its FTS row (triggers keep them in step), so the match list
            // alone counts them without reading a single offer.
            return sqlx::query("SELECT COUNT(*) FROM offers_fts WHERE offers_fts MATCH $1")
                .bind(m)
                .fetch_one(pool)
                .await?
                .try_get(0);
        }
        if let super::Pool::Postgres(pool) = &self.pool
            && let Some(n) = self.pg_columns_count(pool, query).await?
        {
            return Ok(n);
        }
        on_search_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT COUNT(*) AS n FROM offers WHERE 1 = 1");
            push_filters!(q, self, query);
            Ok(q.build().fetch_one(pool).await?.try_get::<i64, _>("n")?)
        })
    }
}

fn has_text(query: &ProductQuery) -> bool {
    query.text.as_deref().is_some_and(|t| !t.trim().is_empty())
}
