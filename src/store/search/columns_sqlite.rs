//! SQLite's in-memory search columns (see `columns.rs`).
//!
//! A word's match list comes from FTS as one string (~20 ms for 200 000 matches); the page is
//! selected from the columns and only its rows are read.
//!
//! The columns are read from the database's own indexes (each sort index walked in the
//! search's ORDER BY; the status, missing and stock indexes for the filters, combined as
//! `push_filters!` combines them), on a connection of their own inside one read transaction,
//! so they are exact for one version of the database (~1.5 s to read at 1M offers). They are
//! used only while `PRAGMA data_version` on that connection says no other connection has
//! committed since: any write makes them stale, and the next common-word page rebuilds them in
//! the background once nothing has been written for a second (so a running sync does not keep
//! a core busy rebuilding), while pages take SQLite's own plans.

use super::columns::{
    FILTERS, NONE, REBUILD_EVERY, Selection, WARM_FROM, column_of, filter_mask, wait_for_quiet,
};
use super::{
    Cursor, LOW_STOCK, ProductQuery, ProductRow, ROW_COLUMNS, SortKey, SortValue, StatusFilter,
    StockFilter, order_by,
};
use crate::store::money::Money;
use crate::store::{Backend, Result, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, QueryBuilder, Row, Sqlite};
use std::sync::Arc;
use std::time::Instant;

/// The columns of one version of the offers.
struct Columns {
    /// `PRAGMA data_version` of the cache's connection when they were read.
    version: i64,
    /// Per sort key (in [`SortKey::ALL`] order), each rowid's position in the ascending order.
    positions: Vec<Vec<u32>>,
    /// Per rowid, a bit per entry of [`FILTERS`] it passes.
    flags: Vec<u8>,
    /// Per rowid, its account's index in `accounts`.
    account: Vec<u16>,
    accounts: Vec<String>,
}

struct State {
    conn: Option<SqliteConnection>,
    columns: Option<Columns>,
    last_build: Option<Instant>,
    /// Set by [`SqliteColumnCache::close`]: a build still waiting must not reconnect.
    closed: bool,
}

/// The column index and the connection it reads through; one per SQLite store.
pub(crate) struct SqliteColumnCache {
    opts: SqliteConnectOptions,
    state: tokio::sync::Mutex<State>,
}

impl std::fmt::Debug for SqliteColumnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteColumnCache")
    }
}

impl SqliteColumnCache {
    async fn connect(&self, state: &mut State) -> Result<()> {
        if state.closed {
            return Err(sqlx::Error::PoolClosed);
        }
        if state.conn.is_none() {
            state.conn = Some(SqliteConnection::connect_with(&self.opts).await?);
        }
        Ok(())
    }

    /// Reads the columns in one read transaction (see the module's notes).
    async fn build(&self, store: &Store, state: &mut State) -> Result<()> {
        state.last_build = Some(Instant::now());
        state.columns = None;
        self.connect(state).await?;
        let conn = state.conn.as_mut().expect("connected above");
        let built = async {
            sqlx::query("BEGIN").execute(&mut *conn).await?;
            let built = store.read_columns(conn).await?;
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok::<_, sqlx::Error>(built)
        }
        .await;
        match built {
            Ok(c) => state.columns = Some(c),
            Err(e) => {
                state.conn = None;
                return Err(e);
            }
        }
        Ok(())
    }

    /// The database's `data_version` as the cache's connection sees it now.
    async fn version(&self, state: &mut State) -> Result<i64> {
        self.connect(state).await?;
        let conn = state.conn.as_mut().expect("connected above");
        let version = async {
            sqlx::query("BEGIN").execute(&mut *conn).await?;
            let v = data_version(conn).await;
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            v
        }
        .await;
        if version.is_err() {
            state.conn = None;
        }
        version
    }

    /// Waits until nothing has been written for a second (see [`wait_for_quiet`]).
    /// Columns built while a sync commits every second would be stale before a page used
    /// them.
    async fn quiet(&self) -> bool {
        wait_for_quiet(|| async {
            let mut state = self.state.lock().await;
            self.version(&mut state).await
        })
        .await
    }

    /// Closes the connection and drops the columns (waiting for a build under way).
    pub(crate) async fn close(&self) {
        let mut state = self.state.lock().await;
        state.columns = None;
        state.closed = true;
        if let Some(conn) = state.conn.take() {
            let _ = conn.close().await;
        }
    }

    pub(crate) fn new(opts: SqliteConnectOptions) -> Arc<SqliteColumnCache> {
        Arc::new(SqliteColumnCache {
            opts,
            state: tokio::sync::Mutex::new(State {
                conn: None,
                columns: None,
                last_build: None,
                closed: false,
            }),
        })
    }
}

/// Rowids from a `group_concat(..., ' ')`, in its order (NULL when nothing matched).
fn rowids(list: Option<String>) -> Vec<usize> {
    list.unwrap_or_default()
        .split(' ')
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// The connection's `data_version`, after a read so it is the open transaction's snapshot.
async fn data_version(conn: &mut SqliteConnection) -> Result<i64> {
    sqlx::query("SELECT 1 FROM offers LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(&mut *conn)
        .await
}

impl Store {
    /// One page of `query` (whose text is the FTS query `fts`) from the columns, when they are
    /// current; None when the caller must page with SQLite's plans. Stale or missing columns
    /// start a build in the background, unless `wait` (tests) builds them first.
    pub(super) async fn columns_page(
        &self,
        fts: Option<&str>,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
        wait: bool,
    ) -> Result<Option<Vec<ProductRow>>> {
        let (Some(cache), Some(fts)) = (self.sqlite_columns.clone(), fts) else {
            return Ok(None);
        };
        // Another page or a build holds the connection: SQLite's own plans answer this one.
        let mut state = if wait {
            cache.state.lock().await
        } else {
            match cache.state.try_lock() {
                Ok(s) => s,
                Err(_) => return Ok(None),
            }
        };
        cache.connect(&mut state).await?;
        let State { conn, columns, .. } = &mut *state;
        let conn = conn.as_mut().expect("connected above");
        let current = columns.as_ref();
        let answer = self
            .current_page(conn, current, fts, query, after, limit)
            .await;
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                // A statement failed inside the read transaction: start afresh next time.
                state.conn = None;
                return Err(e);
            }
        };
        match answer {
            Some(Some(rows)) => return Ok(Some(rows)),
            // The cursor's row changed since it was read: the keyset bound is a value the
            // columns do not hold.
            Some(None) => return Ok(None),
            None => {}
        }
        if wait {
            cache.build(self, &mut state).await?;
            drop(state);
            return Box::pin(self.columns_page(Some(fts), query, after, limit, false)).await;
        }
        self.spawn_build(state);
        Ok(None)
    }

    /// Reads the columns now (tests).
    pub(super) async fn build_sqlite_columns(&self) -> Result<()> {
        if let Some(cache) = &self.sqlite_columns {
            let mut state = cache.state.lock().await;
            cache.build(self, &mut state).await?;
        }
        Ok(())
    }

    /// Starts reading the columns in the background, unless a build started within
    /// [`REBUILD_EVERY`]; it waits for a quiet second first (see [`SqliteColumnCache::quiet`]).
    fn spawn_build(&self, mut state: tokio::sync::MutexGuard<'_, State>) {
        if state
            .last_build
            .is_some_and(|t| t.elapsed() < REBUILD_EVERY)
        {
            return;
        }
        state.last_build = Some(Instant::now());
        drop(state);
        let store = self.clone();
        tokio::spawn(async move {
            let Some(cache) = store.sqlite_columns.clone() else {
                return;
            };
            if !cache.quiet().await {
                return;
            }
            let mut state = cache.state.lock().await;
            let t = Instant::now();
            match cache.build(&store, &mut state).await {
                Ok(()) => tracing::debug!("search columns built in {:?}", t.elapsed()),
                Err(e) => tracing::debug!("search columns not built: {e}"),
            }
        });
    }

    /// For a page without text on a store big enough for the columns to matter (the
    /// Products tab opening, a filter or sort change): starts reading them if they are
    /// missing or stale, so they are ready by the time a word is typed.
    pub(super) async fn warm_columns(&self, pool: &sqlx::SqlitePool) -> Result<()> {
        let Some(cache) = &self.sqlite_columns else {
            return Ok(());
        };
        let Ok(mut state) = cache.state.try_lock() else {
            return Ok(());
        };
        if state
            .last_build
            .is_some_and(|t| t.elapsed() < REBUILD_EVERY)
        {
            return Ok(());
        }
        // The largest rowid stands for the number of offers (they are never deleted) and
        // costs one seek where a count reads every offer.
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(rowid) FROM offers")
            .fetch_one(pool)
            .await?;
        if max.unwrap_or(0) < WARM_FROM {
            return Ok(());
        }
        let built = state.columns.as_ref().map(|c| c.version);
        if built.is_some() && cache.version(&mut state).await.ok() == built {
            return Ok(());
        }
        self.spawn_build(state);
        Ok(())
    }

    /// Whether the columns are built and current, as far as a page starting now can tell
    /// (another page or a build holding them counts as not).
    pub(super) async fn columns_current(&self) -> bool {
        let Some(cache) = &self.sqlite_columns else {
            return false;
        };
        let Ok(mut state) = cache.state.try_lock() else {
            return false;
        };
        let Some(built) = state.columns.as_ref().map(|c| c.version) else {
            return false;
        };
        cache.version(&mut state).await.is_ok_and(|v| v == built)
    }

    /// The page from the columns, in one read transaction: None when they are missing or
    /// stale, Some(None) when the cursor's row changed since it was read.
    async fn current_page(
        &self,
        conn: &mut SqliteConnection,
        columns: Option<&Columns>,
        fts: &str,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Option<Option<Vec<ProductRow>>>> {
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        let version = data_version(conn).await?;
        let answer = match columns.filter(|c| c.version == version) {
            Some(cols) => Some(self.page_from(conn, cols, fts, query, after, limit).await?),
            None => None,
        };
        sqlx::query("COMMIT").execute(&mut *conn).await?;
        Ok(answer)
    }

    async fn read_columns(&self, conn: &mut SqliteConnection) -> Result<Columns> {
        let version = data_version(conn).await?;
        let (max, count): (Option<i64>, i64) =
            sqlx::query_as("SELECT MAX(rowid), COUNT(*) FROM offers")
                .fetch_one(&mut *conn)
                .await?;
        // The columns are indexed by rowid; offers are never deleted, so rowids stay dense.
        // Should they not be, the columns are not worth their memory.
        let max = max.unwrap_or(0);
        if max > 4 * count + 1_000_000 {
            return Err(sqlx::Error::Protocol(format!(
                "offer rowids too sparse for search columns ({count} offers, largest rowid {max})"
            )));
        }
        let len = usize::try_from(max).unwrap_or(0) + 1;
        let mut positions = Vec::with_capacity(SortKey::ALL.len());
        for &sort in SortKey::ALL {
            let order = order_by(
                &ProductQuery {
                    sort,
                    ..Default::default()
                },
                [sort.expr(Backend::Sqlite), "account", "id"],
            );
            // The sort index read in order, as the walk plans read it; the subquery's LIMIT
            // keeps it a co-routine whose rows reach the aggregate in that order (every plan
            // test compares these pages with the unpaged query). A window's row_number()
            // would say so explicitly but took ten times as long (1.4 s at 1M).
            let list: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT group_concat(rowid, ' ') FROM \
                 (SELECT rowid FROM offers INDEXED BY {} {order} LIMIT -1)",
                sort.sqlite_index()
            )))
            .fetch_one(&mut *conn)
            .await?;
            let mut pos = vec![NONE; len];
            for (p, rowid) in rowids(list).into_iter().enumerate() {
                if let (Some(slot), Ok(p)) = (pos.get_mut(rowid), u32::try_from(p)) {
                    *slot = p;
                }
            }
            positions.push(pos);
        }
        // Each filter from the offers' index entries alone (reading every offer for its
        // status took seconds): the status, missing and stock indexes, combined here as
        // `push_filters!` combines the conditions.
        let mut set = async |sql: &str, bind: i64| -> Result<Vec<bool>> {
            let list: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT group_concat(rowid, ' ') FROM offers {sql}"
            )))
            .bind(bind)
            .fetch_one(&mut *conn)
            .await?;
            let mut v = vec![false; len];
            for rowid in rowids(list) {
                if let Some(slot) = v.get_mut(rowid) {
                    *slot = true;
                }
            }
            Ok(v)
        };
        let status = "INDEXED BY offers_status_stock WHERE status = $1";
        let (active, inactive, eol) = (
            set(status, 1).await?,
            set(status, 0).await?,
            set(status, 2).await?,
        );
        let missing = set(
            "INDEXED BY offers_missing WHERE missing_since IS NOT NULL AND $1 = 1",
            1,
        )
        .await?;
        let stock = "INDEXED BY offers_sort_stock WHERE COALESCE(general_stock, -1)";
        let zero = set(&format!("{stock} = $1"), 0).await?;
        let low = set(&format!("{stock} BETWEEN 1 AND $1"), LOW_STOCK.into()).await?;
        // Each entry of FILTERS as push_filters! writes it: a status excludes missing offers.
        let passes = |filter: &(Option<StatusFilter>, Option<StockFilter>), r: usize| match filter {
            (Some(StatusFilter::Active), _) => active[r] && !missing[r],
            (Some(StatusFilter::Inactive), _) => inactive[r] && !missing[r],
            (Some(StatusFilter::Eol), _) => eol[r] && !missing[r],
            (Some(StatusFilter::Missing), _) => missing[r],
            (None, Some(StockFilter::Zero)) => zero[r],
            (None, Some(StockFilter::Low)) => low[r],
            (None, None) => true,
        };
        let flags = (0..len)
            .map(|r| {
                FILTERS.iter().enumerate().fold(0u8, |f, (bit, filter)| {
                    f | (u8::from(passes(filter, r)) << bit)
                })
            })
            .collect();
        let mut account = vec![u16::MAX; len];
        let mut accounts = Vec::new();
        let groups = sqlx::query(
            "SELECT account, group_concat(rowid, ' ') FROM offers GROUP BY account ORDER BY account",
        )
        .fetch_all(&mut *conn)
        .await?;
        for g in groups {
            let index = u16::try_from(accounts.len()).unwrap_or(u16::MAX);
            accounts.push(g.try_get::<String, _>(0)?);
            for rowid in rowids(g.try_get(1)?) {
                if let Some(a) = account.get_mut(rowid) {
                    *a = index;
                }
            }
        }
        Ok(Columns {
            version,
            positions,
            flags,
            account,
            accounts,
        })
    }

    /// The page from current columns; None when the cursor's row no longer has the cursor's
    /// sort value (it changed after the previous page was read).
    async fn page_from(
        &self,
        conn: &mut SqliteConnection,
        cols: &Columns,
        fts: &str,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Option<Vec<ProductRow>>> {
        let pos = &cols.positions[column_of(query.sort)];
        let from = match after {
            None => None,
            Some(c) => {
                let mut q = QueryBuilder::<Sqlite>::new("SELECT rowid FROM offers WHERE");
                push_cursor_row!(q, Backend::Sqlite, query.sort, c);
                let rowid: Option<i64> = q.build_query_scalar().fetch_optional(&mut *conn).await?;
                let Some(p) = rowid
                    .and_then(|r| usize::try_from(r).ok())
                    .and_then(|r| pos.get(r).copied())
                    .filter(|&p| p != NONE)
                else {
                    return Ok(None);
                };
                Some(p)
            }
        };
        let account = match &query.account {
            None => None,
            Some(a) => match cols.accounts.iter().position(|x| x == a) {
                Some(i) => Some(u16::try_from(i).unwrap_or(u16::MAX)),
                None => return Ok(Some(Vec::new())),
            },
        };
        let list: Option<String> = sqlx::query_scalar(
            "SELECT group_concat(rowid, ' ') FROM offers_fts WHERE offers_fts MATCH $1",
        )
        .bind(fts)
        .fetch_one(&mut *conn)
        .await?;
        let hits = Selection {
            positions: pos,
            flags: &cols.flags,
            account: &cols.account,
            mask: filter_mask(query),
            account_is: account,
            descending: query.descending,
            after: from,
            written: &[],
        }
        .page(
            rowids(list).into_iter(),
            usize::try_from(limit).unwrap_or(usize::MAX),
        );
        if hits.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT rowid AS r, {ROW_COLUMNS} FROM offers WHERE rowid IN ("
        ));
        let mut ids = q.separated(", ");
        for &r in &hits {
            ids.push_bind(r as i64);
        }
        q.push(")");
        let got = q.build().fetch_all(&mut *conn).await?;
        let mut by_rowid = std::collections::HashMap::with_capacity(got.len());
        for r in &got {
            let rowid: i64 = r.try_get("r")?;
            by_rowid.insert(rowid as usize, product_row!(r)?);
        }
        Ok(Some(
            hits.iter().filter_map(|r| by_rowid.remove(r)).collect(),
        ))
    }
}
