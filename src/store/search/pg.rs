//! Postgres pages of the products search.
//!
//! A filtered page comes from the in-memory columns (`columns_pg.rs`) whenever they are
//! current or the write log makes up for what was written since. Otherwise Postgres plans it,
//! and mostly well (bench_tui at 1M offers: p50 9 ms), but it assumes a filter's matches are
//! spread evenly along the sort order. When they are not — the lamps' names all start with
//! "Lampă", half way through the name order; no lamp is inactive — it walks the sort index
//! reading offers one by one: "lampa" by name took 1.4 s, with "inactive" 3.4 s, to find
//! nothing. Collecting the matches through the filters' own indexes (trigram, status) and
//! sorting them took ~240 ms and 35 ms for the same pages.
//!
//! Which one wins depends on where the matches sit, which nothing cheap tells. So a filtered
//! page runs the planner's plan within [`PLANNER_BUDGET`] and, when that runs out, collects.

use super::{ForcePlan, ProductQuery, ProductRow, ROW_COLUMNS, SortKey, SortValue, order_by};
use crate::store::money::Money;
use crate::store::{Result, Store};
use sqlx::postgres::PgPool;
use sqlx::{QueryBuilder, Row};

/// How long the planner's own plan of a filtered page may run before the page is collected
/// instead. A page the planner answers well takes a few milliseconds; one it walks the wrong
/// way for takes hundreds to thousands.
const PLANNER_BUDGET: &str = "50ms";

/// Postgres' SQLSTATE for a statement cancelled by `statement_timeout`.
const QUERY_CANCELED: &str = "57014";

impl Store {
    pub(super) async fn pg_page(
        &self,
        pool: &PgPool,
        query: &ProductQuery,
        after: Option<&super::Cursor>,
        limit: i64,
        force: ForcePlan,
    ) -> Result<Vec<ProductRow>> {
        let filtered = query.account.is_some()
            || query.status.is_some()
            || query.stock.is_some()
            || super::has_text(query);
        let mut q = QueryBuilder::new(format!("SELECT {ROW_COLUMNS} FROM offers WHERE 1 = 1"));
        push_filters!(q, self, query);
        push_keyset!(q, self, query, after);
        q.push(order_by(
            query,
            [query.sort.expr(self.backend()), "account", "id"],
        ));
        q.push(" LIMIT ").push_bind(limit);
        if !filtered {
            // Every row of the sort order qualifies: the index walk is always the answer.
            if force == ForcePlan::Auto {
                self.warm_pg_columns(pool).await?;
            }
            return fetch_rows!(q, pool);
        }
        if matches!(force, ForcePlan::Auto | ForcePlan::Columns)
            && let Some(rows) = self
                .pg_columns_page(pool, query, after, limit, force == ForcePlan::Columns)
                .await?
        {
            return Ok(rows);
        }
        if force != ForcePlan::Collect {
            let mut tx = pool.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SET LOCAL statement_timeout = '{PLANNER_BUDGET}'"
            )))
            .execute(&mut *tx)
            .await?;
            match q.build().fetch_all(&mut *tx).await {
                Ok(rows) => {
                    tx.commit().await?;
                    return rows.iter().map(|r| product_row!(r)).collect();
                }
                Err(e) if canceled(&e) => {
                    // The transaction is aborted; rolling it back frees the connection.
                    let _ = tx.rollback().await;
                    tracing::debug!(target: "magsync::store", ?query, "planner over budget; collecting");
                }
                Err(e) => return Err(e),
            }
        }
        self.pg_collect(pool, query, after, limit).await
    }

    /// Every match of the filters (read through their own indexes), sorted, the page kept: the
    /// ORDER BY is one row value, which no index provides, so the planner cannot walk a sort
    /// index instead. It sorts with a bounded top-N heap and may split the scan across
    /// workers. "usb" by name, 200 000 matches: 235 ms, where a materialised CTE of the
    /// matches took 440 ms.
    async fn pg_collect(
        &self,
        pool: &PgPool,
        query: &ProductQuery,
        after: Option<&super::Cursor>,
        limit: i64,
    ) -> Result<Vec<ProductRow>> {
        let key = match query.sort {
            SortKey::Account => "account, id".to_string(),
            sort => format!("{}, account, id", sort.expr(self.backend())),
        };
        let dir = if query.descending { "DESC" } else { "ASC" };
        let mut q = QueryBuilder::new(format!("SELECT {ROW_COLUMNS} FROM offers WHERE 1 = 1"));
        push_filters!(q, self, query);
        push_keyset!(q, self, query, after);
        q.push(format!(" ORDER BY ROW({key}) {dir} LIMIT "))
            .push_bind(limit);
        fetch_rows!(q, pool)
    }
}

fn canceled(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == QUERY_CANCELED)
}
