//! Product search shared by the TUI, `magsync products` and `magsync export`.
//!
//! Text is folded (see [`super::offers::fold_search`]) and matched against the name, part
//! number, part number key and EANs: on SQLite every word of the query must start a word there
//! (FTS5 prefix index); on Postgres the query must be a substring (pg_trgm index). Both find
//! "Lampă" for "lampa" and "LMP-450-BK" for "450". Paging is keyset-based on (sort value, account, id), so the
//! thousandth page costs what the first one does.

use super::money::Money;
use super::{Result, Store, on_pool};
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

    /// The SQL expression sorted on; NULLs are mapped to a sentinel so row-value comparisons
    /// in keyset paging never meet a NULL.
    pub(crate) fn expr(self) -> &'static str {
        match self {
            SortKey::Name => "COALESCE(name, '')",
            SortKey::Account => "account",
            SortKey::Id => "id",
            SortKey::PartNumber => "COALESCE(part_number, '')",
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
    pub status: Option<i16>,
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

/// An FTS5 query matching every word of the input as a word prefix (`"hek"* AND "17"*`), or
/// None when the input has no word characters (then a LIKE scan answers it).
pub(crate) fn fts_prefix_query(folded: &str) -> Option<String> {
    let words: Vec<String> = folded
        .split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" AND "))
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
        match query.stock {
            Some($crate::store::search::StockFilter::Zero) => {
                q.push(" AND general_stock = 0");
            }
            Some($crate::store::search::StockFilter::Low) => {
                q.push(" AND general_stock > 0 AND general_stock <= ")
                    .push_bind($crate::store::search::LOW_STOCK);
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
                    q.push(" AND search_text LIKE ")
                        .push_bind($crate::store::search::like_pattern(&folded))
                        .push(" ESCAPE '\\'");
                }
            }
        }
    }};
}
// Shared with `export`, so an export filters exactly like the products table.
pub(crate) use push_filters;

impl Store {
    /// One page of products after `after` (None = from the top).
    pub async fn search_products(
        &self,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<ProductRow>> {
        let expr = query.sort.expr();
        let (cmp, dir) = if query.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new(format!("SELECT {ROW_COLUMNS} FROM offers WHERE 1 = 1"));
            push_filters!(q, self, query);
            if let Some(c) = after {
                q.push(format!(" AND ({expr}, account, id) {cmp} ("));
                match &c.value {
                    SortValue::Text(t) => { q.push_bind(t.clone()); }
                    SortValue::Int(i) => { q.push_bind(*i); }
                    SortValue::Money(m) => { q.push_bind(*m); }
                    SortValue::Time(t) => { q.push_bind(*t); }
                }
                q.push(", ").push_bind(c.account.clone()).push(", ").push_bind(c.id).push(")");
            }
            q.push(format!(" ORDER BY {expr} {dir}, account {dir}, id {dir} LIMIT "))
                .push_bind(limit.max(1));
            let rows = q.build().fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(ProductRow {
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
                })
                .collect()
        })
    }

    /// How many products match (the sort is irrelevant).
    pub async fn count_products(&self, query: &ProductQuery) -> Result<i64> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT COUNT(*) AS n FROM offers WHERE 1 = 1");
            push_filters!(q, self, query);
            Ok(q.build().fetch_one(pool).await?.try_get::<i64, _>("n")?)
        })
    }
}
