//! What a products search means, and the SQL that answers it for the CLI.
//!
//! One meaning on both stores (and in the dashboard's [`crate::index::ProductIndex`]): every
//! word of the query (split on whitespace, case- and diacritics-folded by
//! [`super::offers::fold_search`]) must occur as a substring of the offer's search text (its
//! name, part number, part number key and EANs, see [`super::offers::search_text`]), of that
//! text with its punctuation removed, or of its offer id. So "lampa" finds "Lampă", "317599"
//! an EAN ending so, "hei45" the part number "HEI-45", and "11851" the offer of that id.
//! [`matches_words`] is the meaning; [`word_condition`] is the same in SQL.
//!
//! `magsync products` and `export` page and stream with plain SQL: keyset paging on (sort
//! value, account, id), on the sort indexes of migration 0003. The dashboard searches its
//! in-memory index, which reads from here only the offers written since it last looked
//! ([`Store::read_offers_since`]).

use super::money::Money;
use super::{Backend, Pool, Result, Store};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;
use std::fmt::Write as _;
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

pub(crate) const ROW_COLUMNS: &str = "account, id, part_number, part_number_key, name, brand, \
    sale_price, currency, general_stock, status, buy_button_rank, missing_since, last_changed_at";

/// Characters a code's words are also matched without ("HEI-45" is found by "hei45"): ASCII
/// punctuation, which is all that folded text holds besides letters, digits and spaces.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The words of a query as it is matched: folded, split on whitespace (so "usb c" finds
/// "USB-C"). No words means no text condition.
pub fn query_words(text: Option<&str>) -> Vec<String> {
    let folded = super::offers::fold_search(text.unwrap_or_default());
    folded.split_whitespace().map(str::to_string).collect()
}

/// `search_text` without [`PUNCTUATION`].
pub fn strip_punctuation(text: &str) -> String {
    text.chars().filter(|c| !PUNCTUATION.contains(*c)).collect()
}

/// Whether every word occurs in an offer's search text, in that text without punctuation, or
/// in its id: the meaning of a search, which the SQL of [`word_condition`] repeats.
pub fn matches_words(search_text: &str, id: i64, words: &[String]) -> bool {
    if words.is_empty() {
        return true;
    }
    let stripped = strip_punctuation(search_text);
    let id = id.to_string();
    words.iter().all(|w| {
        search_text.contains(w.as_str()) || stripped.contains(w.as_str()) || id.contains(w.as_str())
    })
}

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Money(Money),
    Time(DateTime<Utc>),
}

impl From<&SortValue> for Arg {
    fn from(v: &SortValue) -> Arg {
        match v {
            SortValue::Text(t) => Arg::Text(t.clone()),
            SortValue::Int(i) => Arg::Int(*i),
            SortValue::Money(m) => Arg::Money(*m),
            SortValue::Time(t) => Arg::Time(*t),
        }
    }
}

/// SQL as a value: its text with `$N` placeholders and the arguments they stand for, built
/// once and run on either store by [`Sql::fetch_all`] or [`Sql::fetch_each`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Sql {
        let name = self.arg(arg);
        self.text.push_str(&name);
        self
    }

    /// Adds `arg` and returns its placeholder, for text that names it more than once.
    pub fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    fn sqlite(&self) -> sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.as_str()));
        for a in &self.args {
            q = match a {
                Arg::Text(t) => q.bind(t.as_str()),
                Arg::Int(i) => q.bind(*i),
                Arg::Money(m) => q.bind(*m),
                Arg::Time(t) => q.bind(*t),
            };
        }
        q
    }

    fn pg(&self) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.as_str()));
        for a in &self.args {
            q = match a {
                Arg::Text(t) => q.bind(t.as_str()),
                Arg::Int(i) => q.bind(*i),
                Arg::Money(m) => q.bind(*m),
                Arg::Time(t) => q.bind(*t),
            };
        }
        q
    }

    /// Every row, decoded by the backend's function.
    pub async fn fetch_all<T>(
        &self,
        store: &Store,
        sqlite: fn(&sqlx::sqlite::SqliteRow) -> Result<T>,
        pg: fn(&sqlx::postgres::PgRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        match &store.pool {
            Pool::Sqlite(p) => self
                .sqlite()
                .fetch_all(p)
                .await?
                .iter()
                .map(sqlite)
                .collect(),
            Pool::Postgres(p) => self.pg().fetch_all(p).await?.iter().map(pg).collect(),
        }
    }

    /// Every row as the driver yields it, decoded and handed to `each`; returns how many.
    pub async fn fetch_each<T, E: From<sqlx::Error>>(
        &self,
        store: &Store,
        sqlite: fn(&sqlx::sqlite::SqliteRow) -> Result<T>,
        pg: fn(&sqlx::postgres::PgRow) -> Result<T>,
        mut each: impl FnMut(T) -> std::result::Result<(), E>,
    ) -> std::result::Result<u64, E> {
        let mut n = 0;
        match &store.pool {
            Pool::Sqlite(p) => {
                let mut rows = self.sqlite().fetch(p);
                while let Some(r) = rows.try_next().await? {
                    each(sqlite(&r)?)?;
                    n += 1;
                }
            }
            Pool::Postgres(p) => {
                let mut rows = self.pg().fetch(p);
                while let Some(r) = rows.try_next().await? {
                    each(pg(&r)?)?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}

/// `search_text` without [`PUNCTUATION`], in SQL (the same on both stores).
fn stripped_sql() -> String {
    PUNCTUATION.chars().fold("search_text".to_string(), |e, c| {
        let lit = if c == '\'' {
            "''".to_string()
        } else {
            c.to_string()
        };
        format!("replace({e}, '{lit}', '')")
    })
}

/// Escapes LIKE wildcards so a word matches literally.
fn like_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One word of a search in SQL: the meaning of [`matches_words`].
fn word_condition(sql: &mut Sql, word: &str) {
    let p = sql.arg(Arg::Text(like_pattern(word)));
    let stripped = stripped_sql();
    sql.push(&format!(
        " AND (search_text LIKE {p} ESCAPE '\\' OR {stripped} LIKE {p} ESCAPE '\\' \
         OR CAST(id AS TEXT) LIKE {p} ESCAPE '\\')"
    ));
}

/// Appends the conditions of a [`ProductQuery`] (after a `WHERE 1 = 1`); shared by the paged
/// search and the streaming export so both select exactly the same offers.
pub(crate) fn push_filters(sql: &mut Sql, query: &ProductQuery) {
    if let Some(a) = &query.account {
        sql.push(" AND account = ").bind(Arg::Text(a.clone()));
    }
    sql.push(match query.status {
        Some(StatusFilter::Active) => " AND status = 1 AND missing_since IS NULL",
        Some(StatusFilter::Inactive) => " AND status = 0 AND missing_since IS NULL",
        Some(StatusFilter::Eol) => " AND status = 2 AND missing_since IS NULL",
        Some(StatusFilter::Missing) => " AND missing_since IS NOT NULL",
        None => "",
    });
    match query.stock {
        Some(StockFilter::Zero) => {
            sql.push(" AND general_stock = 0");
        }
        Some(StockFilter::Low) => {
            sql.push(" AND general_stock BETWEEN 1 AND ")
                .bind(Arg::Int(LOW_STOCK.into()));
        }
        None => {}
    }
    for word in query_words(query.text.as_deref()) {
        word_condition(sql, &word);
    }
}

/// `ORDER BY` of a query: the sort value, then account and id so the order is total.
pub(crate) fn order_by(query: &ProductQuery, backend: Backend) -> String {
    let dir = if query.descending { "DESC" } else { "ASC" };
    if query.sort == SortKey::Account {
        // `account, account, id` would make SQLite sort instead of walking the primary key.
        format!(" ORDER BY account {dir}, id {dir}")
    } else {
        let expr = query.sort.expr(backend);
        format!(" ORDER BY {expr} {dir}, account {dir}, id {dir}")
    }
}

fn money_units(m: Option<Money>) -> Option<Decimal> {
    m.map(|m| m.0)
}

/// A products row from either store's row type.
fn product_row<R: Row>(r: &R) -> Result<ProductRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i32>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i16>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i16: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Money>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<DateTime<Utc>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ProductRow {
        account: r.try_get("account")?,
        id: r.try_get("id")?,
        part_number: r.try_get("part_number")?,
        part_number_key: r.try_get("part_number_key")?,
        name: r.try_get("name")?,
        brand: r.try_get("brand")?,
        sale_price: money_units(r.try_get("sale_price")?),
        currency: r.try_get("currency")?,
        general_stock: r.try_get("general_stock")?,
        status: r.try_get("status")?,
        buy_button_rank: r.try_get("buy_button_rank")?,
        missing_since: r.try_get("missing_since")?,
        last_changed_at: r.try_get("last_changed_at")?,
    })
}

/// A products row with the revision it was written at (the index's check that it holds
/// this version of the offer).
fn product_row_rev<R: Row>(r: &R) -> Result<(ProductRow, i64)>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i32>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i16>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i16: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Money>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<DateTime<Utc>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok((product_row(r)?, r.try_get("rev")?))
}

/// Raises an account's revision and returns it, in the transaction that writes its offers:
/// the rows it writes carry the new value, and the counter row stays locked (Postgres) or the
/// database stays written (SQLite) until that transaction ends, so revisions become visible
/// in the order they are given.
pub(crate) const NEXT_REV: &str = "INSERT INTO offer_revs (account, rev) VALUES ($1, 1) \
    ON CONFLICT (account) DO UPDATE SET rev = offer_revs.rev + 1 RETURNING rev";

/// What the product index holds of an offer (see [`Store::read_offers_since`]).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub account: String,
    pub id: i64,
    pub name: Option<String>,
    pub part_number: Option<String>,
    pub search_text: String,
    pub sale_price: Option<Money>,
    pub general_stock: Option<i32>,
    pub status: Option<i16>,
    pub buy_button_rank: Option<i32>,
    pub missing: bool,
    pub last_changed_at: DateTime<Utc>,
}

fn index_row<R: Row>(r: &R) -> Result<IndexRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i32>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i16>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i16: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Money>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<DateTime<Utc>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(IndexRow {
        account: r.try_get("account")?,
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        part_number: r.try_get("part_number")?,
        search_text: r.try_get("search_text")?,
        sale_price: r.try_get("sale_price")?,
        general_stock: r.try_get("general_stock")?,
        status: r.try_get("status")?,
        buy_button_rank: r.try_get("buy_button_rank")?,
        missing: r
            .try_get::<Option<DateTime<Utc>>, _>("missing_since")?
            .is_some(),
        last_changed_at: r.try_get("last_changed_at")?,
    })
}

const INDEX_COLUMNS: &str = "account, id, name, part_number, search_text, sale_price, \
    general_stock, status, buy_button_rank, missing_since, last_changed_at";

/// The statements of one catch-up: the accounts' revisions, then the offers of each account
/// whose revision moved past what the caller has seen (every offer when it has seen nothing).
fn since_statements(revs: &HashMap<String, i64>, seen: Option<&HashMap<String, i64>>) -> Vec<Sql> {
    let Some(seen) = seen else {
        return vec![Sql::new(format!("SELECT {INDEX_COLUMNS} FROM offers"))];
    };
    let mut out = Vec::new();
    for (account, &rev) in revs {
        let from = seen.get(account).copied().unwrap_or(0);
        if rev > from {
            let mut sql = Sql::new(format!(
                "SELECT {INDEX_COLUMNS} FROM offers WHERE account = "
            ));
            sql.bind(Arg::Text(account.clone()))
                .push(" AND rev > ")
                .bind(Arg::Int(from))
                .push(" AND rev <= ")
                .bind(Arg::Int(rev));
            out.push(sql);
        }
    }
    out
}

fn revs_of(rows: Vec<(String, i64)>) -> HashMap<String, i64> {
    rows.into_iter().collect()
}

impl Store {
    /// One page of products after `after` (None = from the top), in SQL (the CLI; the
    /// dashboard pages its [`crate::index::ProductIndex`]).
    pub async fn search_products(
        &self,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<ProductRow>> {
        let mut sql = Sql::new(format!("SELECT {ROW_COLUMNS} FROM offers WHERE 1 = 1"));
        push_filters(&mut sql, query);
        if let Some(c) = after {
            let cmp = if query.descending { "<" } else { ">" };
            if query.sort == SortKey::Account {
                sql.push(&format!(" AND (account, id) {cmp} ("));
            } else {
                let expr = query.sort.expr(self.backend());
                sql.push(&format!(" AND ({expr}, account, id) {cmp} ("))
                    .bind(Arg::from(&c.value))
                    .push(", ");
            }
            sql.bind(Arg::Text(c.account.clone()))
                .push(", ")
                .bind(Arg::Int(c.id))
                .push(")");
        }
        sql.push(&order_by(query, self.backend()));
        let _ = write!(sql.text, " LIMIT {}", limit.max(1));
        sql.fetch_all(self, product_row, product_row).await
    }

    /// How many products match (the sort is irrelevant).
    pub async fn count_products(&self, query: &ProductQuery) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM offers WHERE 1 = 1");
        push_filters(&mut sql, query);
        let n = sql
            .fetch_all(self, |r| r.try_get("n"), |r| r.try_get("n"))
            .await?;
        Ok(n.first().copied().unwrap_or(0))
    }

    /// The products rows of the given offers, with the revision each was written at; offers
    /// the store no longer has are absent.
    pub async fn product_rows(&self, keys: &[(String, i64)]) -> Result<Vec<(ProductRow, i64)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut by_account: Vec<(&str, Vec<i64>)> = Vec::new();
        for (account, id) in keys {
            match by_account.iter_mut().find(|(a, _)| a == account) {
                Some((_, ids)) => ids.push(*id),
                None => by_account.push((account, vec![*id])),
            }
        }
        // No constant term before the ORs: SQLite reads `1 = 0 OR (…)` by scanning the table
        // (a sixth of a second at a million offers) instead of seeking each key.
        let mut sql = Sql::new(format!("SELECT {ROW_COLUMNS}, rev FROM offers WHERE "));
        for (i, (account, ids)) in by_account.into_iter().enumerate() {
            sql.push(if i == 0 {
                "(account = "
            } else {
                " OR (account = "
            })
            .bind(Arg::Text(account.to_string()))
            .push(" AND id IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(Arg::Int(*id));
            }
            sql.push("))");
        }
        sql.fetch_all(self, product_row_rev, product_row_rev).await
    }

    /// Reads, in one snapshot, every account's revision and the offers written after the
    /// revisions in `seen` (every offer when `seen` is None), handing each to `each`; returns
    /// the revisions the offers read are current to. An account whose revision did not move
    /// costs nothing but its counter row.
    pub async fn read_offers_since(
        &self,
        seen: Option<&HashMap<String, i64>>,
        mut each: impl FnMut(IndexRow),
    ) -> Result<HashMap<String, i64>> {
        const REVS: &str = "SELECT account, rev FROM offer_revs";
        match &self.pool {
            Pool::Sqlite(pool) => {
                // A read transaction is one WAL snapshot from its first statement on.
                let mut tx = pool.begin().await?;
                let revs = revs_of(sqlx::query_as(REVS).fetch_all(&mut *tx).await?);
                for sql in since_statements(&revs, seen) {
                    let mut rows = sql.sqlite().fetch(&mut *tx);
                    while let Some(r) = rows.try_next().await? {
                        each(index_row(&r)?);
                    }
                }
                tx.commit().await?;
                Ok(revs)
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                let revs = revs_of(sqlx::query_as(REVS).fetch_all(&mut *tx).await?);
                for sql in since_statements(&revs, seen) {
                    let mut rows = sql.pg().fetch(&mut *tx);
                    while let Some(r) = rows.try_next().await? {
                        each(index_row(&r)?);
                    }
                }
                tx.commit().await?;
                Ok(revs)
            }
        }
    }

    /// Every account's revision (cheap: one row per account), to tell whether an index is
    /// current without reading any offer.
    pub async fn offer_revs(&self) -> Result<HashMap<String, i64>> {
        const REVS: &str = "SELECT account, rev FROM offer_revs";
        Ok(revs_of(match &self.pool {
            Pool::Sqlite(p) => sqlx::query_as(REVS).fetch_all(p).await?,
            Pool::Postgres(p) => sqlx::query_as(REVS).fetch_all(p).await?,
        }))
    }
}
