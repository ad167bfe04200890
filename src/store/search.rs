//! The SQL of a products search: the meaning of [`crate::model::search`] (`word_condition` is
//! its `matches_words` in SQL, the same on both stores) over the `offers` table.
//!
//! `magsync products` and `export` page and stream with plain SQL: keyset paging on (sort
//! value, account, id), on the sort indexes of migration 0003. The dashboard searches its
//! in-memory index, which reads from here only the offers written since it last looked
//! ([`Search::read_offers_since`]).

use super::money::Amount;
use super::offers::{OfferRow, SELECT_STORED, StoredOffer};
use super::sql::{Arg, Sql, Tx};
use super::{Backend, Result, Store};
use crate::model::Money;
use crate::model::search::{
    Cursor, LOW_STOCK, PUNCTUATION, ProductQuery, SortKey, SortValue, StatusFilter, StockFilter,
    query_words,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// `store.search()`.
#[derive(Clone, Copy)]
pub struct Search<'a> {
    pub(super) store: &'a Store,
}

/// A row of the products table.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ProductRow {
    pub account: String,
    pub id: i64,
    pub part_number: Option<String>,
    pub part_number_key: Option<String>,
    pub name: Option<String>,
    pub brand: Option<String>,
    #[sqlx(try_from = "Amount")]
    pub sale_price: Option<Decimal>,
    pub currency: Option<String>,
    pub general_stock: Option<i32>,
    pub status: Option<crate::model::OfferStatus>,
    pub buy_button_rank: Option<i32>,
    pub missing_since: Option<DateTime<Utc>>,
    pub last_changed_at: DateTime<Utc>,
}

impl SortValue {
    fn arg(&self) -> Arg {
        match self {
            SortValue::Text(t) => Arg::Text(Some(t.clone())),
            SortValue::Int(i) => Arg::I64(Some(*i)),
            SortValue::Money(m) => Arg::Money(Some(*m)),
            SortValue::Time(t) => Arg::Time(Some(*t)),
        }
    }
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

/// The SQL expression sorted on; NULLs are mapped to a sentinel so row-value comparisons
/// in keyset paging never meet a NULL. The sentinel price is -1 in the column's own unit
/// (ten-thousandths on SQLite), the value a cursor binds for a row without a price.
pub(crate) fn sort_expr(key: SortKey, backend: Backend) -> &'static str {
    match key {
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

pub(crate) const ROW_COLUMNS: &str = "account, id, part_number, part_number_key, name, brand, \
    sale_price, currency, general_stock, status, buy_button_rank, missing_since, last_changed_at";

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

/// One word of a search in SQL: the meaning of [`crate::model::search::matches_words`].
fn word_condition(sql: &mut Sql, word: &str) {
    let p = sql.arg(like_pattern(word));
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
        sql.push(" AND account = ").push_bind(a.as_str());
    }
    match query.status.map(StatusFilter::offer_status) {
        Some(Some(status)) => {
            sql.push(&format!(
                " AND status = {} AND missing_since IS NULL",
                status.code()
            ));
        }
        Some(None) => {
            sql.push(" AND missing_since IS NOT NULL");
        }
        None => {}
    }
    match query.stock {
        Some(StockFilter::Zero) => {
            sql.push(" AND general_stock = 0");
        }
        Some(StockFilter::Low) => {
            sql.push(" AND general_stock BETWEEN 1 AND ")
                .push_bind(i64::from(LOW_STOCK));
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
        let expr = sort_expr(query.sort, backend);
        format!(" ORDER BY {expr} {dir}, account {dir}, id {dir}")
    }
}

/// A products row with the revision it was written at (the index's check that it holds
/// this version of the offer).
#[derive(sqlx::FromRow)]
struct RowAtRev {
    #[sqlx(flatten)]
    row: ProductRow,
    rev: i64,
}

/// Raises an account's revision and returns it, in the transaction that writes its offers:
/// the rows it writes carry the new value, and the counter row stays locked (Postgres) or the
/// database stays written (SQLite) until that transaction ends, so revisions become visible
/// in the order they are given.
pub(crate) const NEXT_REV: &str = "INSERT INTO offer_revs (account, rev) VALUES ($1, 1) \
    ON CONFLICT (account) DO UPDATE SET rev = offer_revs.rev + 1 RETURNING rev";

/// What the product index holds of an offer (see [`Search::read_offers_since`]).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
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

const INDEX_COLUMNS: &str = "account, id, name, part_number, search_text, sale_price, \
    general_stock, status, buy_button_rank, missing_since IS NOT NULL AS missing, last_changed_at";

/// The statements reading the offers of each account whose revision moved past what the
/// caller has seen.
fn since_statements(revs: &HashMap<String, i64>, seen: &HashMap<String, i64>) -> Vec<Sql> {
    let mut out = Vec::new();
    for (account, &rev) in revs {
        let from = seen.get(account).copied().unwrap_or(0);
        if rev > from {
            let sql = Sql::new(format!(
                "SELECT {INDEX_COLUMNS} FROM offers WHERE account = $1 AND rev > $2 AND rev <= $3"
            ));
            out.push(sql.bind(account.as_str()).bind(from).bind(rev));
        }
    }
    out
}

/// Offers per statement when reading every offer: a million offers in one statement hold a
/// connection for seconds and trip the slow-statement warning; chunks in key order do not.
const FIRST_READ_CHUNK: i64 = 5_000;

/// `chunk` offers of all, in key order, after `after`.
fn chunk_statement(after: Option<&(String, i64)>, chunk: i64) -> Sql {
    let mut sql = Sql::new(format!("SELECT {INDEX_COLUMNS} FROM offers"));
    if let Some((account, id)) = after {
        sql.push(" WHERE (account, id) > (")
            .push_bind(account.as_str())
            .push(", ")
            .push_bind(*id)
            .push(")");
    }
    sql.push(&format!(" ORDER BY account, id LIMIT {chunk}"));
    sql
}

const REVS: &str = "SELECT account, rev FROM offer_revs";

impl Search<'_> {
    /// One page of products after `after` (None = from the top), in SQL (the CLI; the
    /// dashboard pages its [`crate::index::ProductIndex`]).
    pub async fn products(
        self,
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
                let expr = sort_expr(query.sort, self.store.backend());
                sql.push(&format!(" AND ({expr}, account, id) {cmp} ("))
                    .push_bind(c.value.arg())
                    .push(", ");
            }
            sql.push_bind(c.account.as_str())
                .push(", ")
                .push_bind(c.id)
                .push(")");
        }
        sql.push(&order_by(query, self.store.backend()));
        sql.push(&format!(" LIMIT {}", limit.max(1)));
        self.store.pool.fetch_all(&sql).await
    }

    /// How many products match (the sort is irrelevant).
    pub async fn count(self, query: &ProductQuery) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM offers WHERE 1 = 1");
        push_filters(&mut sql, query);
        self.store.pool.scalar(&sql).await
    }

    /// The products rows of the given offers, with the revision each was written at; offers
    /// the store no longer has are absent.
    pub async fn product_rows(self, keys: &[(String, i64)]) -> Result<Vec<(ProductRow, i64)>> {
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
            .push_bind(account)
            .push(" AND id IN ")
            .push_list(ids)
            .push(")");
        }
        let rows: Vec<RowAtRev> = self.store.pool.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|r| (r.row, r.rev)).collect())
    }

    /// Reads, in one snapshot, every account's revision and the offers written after the
    /// revisions in `seen` (every offer when `seen` is None), handing each to `each`; returns
    /// the revisions the offers read are current to. An account whose revision did not move
    /// costs nothing but its counter row.
    pub async fn read_offers_since(
        self,
        seen: Option<&HashMap<String, i64>>,
        each: impl FnMut(IndexRow),
    ) -> Result<HashMap<String, i64>> {
        self.read_offers_in_chunks(seen, FIRST_READ_CHUNK, each)
            .await
    }

    /// [`Search::read_offers_since`], reading every offer `chunk` at a time.
    pub(crate) async fn read_offers_in_chunks(
        self,
        seen: Option<&HashMap<String, i64>>,
        chunk: i64,
        mut each: impl FnMut(IndexRow),
    ) -> Result<HashMap<String, i64>> {
        let mut tx = self.store.pool.begin().await?;
        // A SQLite read transaction is one WAL snapshot from its first statement on.
        if let Tx::Postgres(_) = tx {
            tx.execute(&Sql::new(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            ))
            .await?;
        }
        let revs: HashMap<String, i64> = tx
            .fetch_all::<(String, i64)>(&Sql::new(REVS))
            .await?
            .into_iter()
            .collect();
        match seen {
            Some(seen) => {
                for sql in since_statements(&revs, seen) {
                    tx.conn()
                        .fetch_each(&sql, |row| {
                            each(row);
                            Ok::<_, sqlx::Error>(())
                        })
                        .await?;
                }
            }
            None => {
                let mut last: Option<(String, i64)> = None;
                loop {
                    let mut read = 0;
                    let mut key = last.clone();
                    tx.conn()
                        .fetch_each(&chunk_statement(last.as_ref(), chunk), |row: IndexRow| {
                            read += 1;
                            match &mut key {
                                Some((a, id)) if *a == row.account => *id = row.id,
                                _ => key = Some((row.account.clone(), row.id)),
                            }
                            each(row);
                            Ok::<_, sqlx::Error>(())
                        })
                        .await?;
                    if read < chunk {
                        break;
                    }
                    last = key;
                }
            }
        }
        tx.commit().await?;
        Ok(revs)
    }

    /// Every account's revision (cheap: one row per account), to tell whether an index is
    /// current without reading any offer.
    pub async fn revs(self) -> Result<HashMap<String, i64>> {
        let rows = self
            .store
            .pool
            .fetch_all::<(String, i64)>(&Sql::new(REVS))
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Calls `each` for every offer matching `query`, in the query's sort order (ties broken by
    /// account and id); returns how many rows were passed. Stops at the first error `each`
    /// returns. For `magsync export`: one query whose rows are handed over as the driver
    /// yields them, so memory stays flat whatever the size of the store, and the export is one
    /// consistent read instead of pages that could shift under concurrent syncs.
    pub async fn export<E, F>(self, query: &ProductQuery, each: F) -> std::result::Result<u64, E>
    where
        E: From<sqlx::Error>,
        F: FnMut(StoredOffer) -> std::result::Result<(), E>,
    {
        let mut sql = Sql::new(format!("{SELECT_STORED} WHERE 1 = 1"));
        push_filters(&mut sql, query);
        sql.push(&order_by(query, self.store.backend()));
        let mut each = each;
        self.store
            .pool
            .fetch_each(&sql, |row: OfferRow| each(StoredOffer::from(row)))
            .await
    }
}
