//! Postgres' in-memory search columns (see `columns.rs`), with the offers' search text.
//!
//! Postgres finds a word through the trigram index, but must then recheck every candidate
//! against its search text and sort the matches: "usb" (200 000 matches at a million offers)
//! took 300 ms a page, "bosch" by part number descending 400 ms. Here the folded search text
//! of every offer is held too (about 90 MB at a million), and a page scans it with
//! `memchr::memmem` for each word of the folded query as `push_filters!`' `LIKE '%word%'`
//! conditions would, selects the page from the columns and reads only its rows.
//!
//! The columns are read in one REPEATABLE READ transaction, so they are exact for its
//! snapshot. A page runs in a transaction of its own and compares the offer versions it sees
//! with theirs (migration 0007: a counter per account that every statement writing its offers
//! raises, in the writing transaction, and a log of the ids each such statement wrote). The
//! same versions: the page comes from the columns. Newer ones: the offers written since are
//! read afresh, and the page is the columns' page among the other offers merged with those,
//! filtered and sorted by Postgres. Past [`DELTA_REBUILD`] written offers the columns are read
//! again in the background; past [`DELTA_MAX`], or when the log no longer reaches back, pages
//! take Postgres' own plans until they are.

use super::columns::{
    FILTERS, NONE, REBUILD_EVERY, Selection, WARM_FROM, column_of, filter_mask, has_slot,
    wait_for_quiet,
};
use super::{
    Cursor, ProductQuery, ProductRow, ROW_COLUMNS, SortKey, SortValue, like_words, order_by,
};
use crate::store::money::Money;
use crate::store::offers::fold_search;
use crate::store::{Backend, Result, Store};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::postgres::{PgPool, Postgres};
use sqlx::{PgConnection, QueryBuilder, Row};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The columns of the offers as one snapshot saw them. Slots are the offers in
/// (account, id) order.
struct Columns {
    /// The offer versions the transaction they were read in saw.
    versions: Versions,
    accounts: Vec<String>,
    /// Each account's first slot, and the end of the last one.
    account_starts: Vec<usize>,
    /// Per slot, its account's index in `accounts`, and its offer id.
    account: Vec<u16>,
    ids: Vec<i64>,
    /// Per sort key (in [`SortKey::ALL`] order), each slot's position in the ascending order.
    positions: Vec<Vec<u32>>,
    /// Per slot, a bit per entry of [`FILTERS`] it passes.
    flags: Vec<u8>,
    /// Every slot's folded search text, each followed by a NUL (which text in Postgres never
    /// holds, so no match spans two offers), and where each starts.
    text: Vec<u8>,
    starts: Vec<u32>,
}

impl Columns {
    /// What they hold in memory, in bytes.
    fn bytes(&self) -> usize {
        self.text.len()
            + self.starts.len() * 4
            + self.ids.len() * 8
            + self.account.len() * 2
            + self.flags.len()
            + self.positions.iter().map(|p| p.len() * 4).sum::<usize>()
    }

    fn slot(&self, account: &str, id: i64) -> Option<usize> {
        let a = self.accounts.iter().position(|x| x == account)?;
        self.slot_in(a, id)
    }

    /// The slot of offer `id` of the account at index `a` of `accounts`.
    fn slot_in(&self, a: usize, id: i64) -> Option<usize> {
        let (&from, &to) = (self.account_starts.get(a)?, self.account_starts.get(a + 1)?);
        self.ids[from..to].binary_search(&id).ok().map(|i| from + i)
    }

    /// The slots whose search text contains every one of `words`, in order (all slots for
    /// none).
    fn matching(&self, words: &[&[u8]]) -> Vec<usize> {
        // The longest word finds the candidates (it is likely the rarest); the others are
        // looked for in each candidate's own text.
        let mut finders: Vec<_> = words.iter().map(memchr::memmem::Finder::new).collect();
        finders.sort_by_key(|f| std::cmp::Reverse(f.needle().len()));
        let Some((first, rest)) = finders.split_first() else {
            return (0..self.ids.len()).collect();
        };
        let mut slots = Vec::new();
        let (mut at, mut slot) = (0, 0);
        while at < self.text.len()
            && let Some(found) = first.find(&self.text[at..])
        {
            // On to the slot whose text holds the match (a walk, not a search: a letter
            // matches nearly every slot), then to the next slot's text.
            let offset = at + found;
            while self.starts[slot + 1] as usize <= offset {
                slot += 1;
            }
            let text = &self.text[self.starts[slot] as usize..self.starts[slot + 1] as usize];
            if rest.iter().all(|f| f.find(text).is_some()) {
                slots.push(slot);
            }
            at = self.starts[slot + 1] as usize;
            slot += 1;
        }
        slots
    }
}

#[derive(Default)]
struct State {
    columns: Option<Arc<Columns>>,
    last_build: Option<Instant>,
    /// Set by [`PgColumnCache::close`]: a build still running must not keep what it read.
    closed: bool,
}

/// The column index of one Postgres store; pages read it without waiting for each other.
#[derive(Default)]
pub(crate) struct PgColumnCache {
    state: Mutex<State>,
    /// Pages answered from the columns (tests: that a path was taken, not only its answer).
    pub(super) answered: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for PgColumnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgColumnCache")
    }
}

impl PgColumnCache {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops the columns; a build under way discards what it reads.
    pub(crate) fn close(&self) {
        let mut state = self.state();
        state.columns = None;
        state.closed = true;
    }

    /// Whether a build may start now: none started within [`REBUILD_EVERY`].
    fn may_build(&self) -> bool {
        self.state().may_build()
    }

    /// [`PgColumnCache::may_build`], marking a build as started if so.
    fn claim_build(&self) -> bool {
        let mut state = self.state();
        let may = state.may_build();
        if may {
            state.last_build = Some(Instant::now());
        }
        may
    }
}

impl State {
    fn may_build(&self) -> bool {
        !self.closed && self.last_build.is_none_or(|t| t.elapsed() >= REBUILD_EVERY)
    }
}

/// Each account's offer version (see the module's notes), by account.
type Versions = Vec<(String, i64)>;

const VERSIONS: &str = "SELECT account, version FROM offer_versions ORDER BY account";

/// Starts a REPEATABLE READ, read-only transaction and returns the offer versions it sees.
async fn begin_versioned(conn: &mut PgConnection) -> Result<Versions> {
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *conn)
        .await?;
    sqlx::query_as(VERSIONS).fetch_all(&mut *conn).await
}

/// The offer versions now, outside any transaction of ours.
async fn current_versions(pool: &PgPool) -> Result<Versions> {
    sqlx::query_as(VERSIONS).fetch_all(pool).await
}

/// The offers written since the columns were read: a page reads these afresh instead of
/// taking them from the columns.
#[derive(Default)]
struct Delta {
    accounts: Vec<String>,
    ids: Vec<i64>,
    /// A bit per slot whose offer is among them (empty when none is).
    written: Vec<u64>,
}

impl Delta {
    /// The written offers of `versions` since `cols` were read, from the write log; None
    /// when the log no longer holds them all, or they are too many to read afresh.
    async fn read(
        conn: &mut PgConnection,
        cols: &Columns,
        versions: &Versions,
    ) -> Result<Option<Delta>> {
        let now = |account: &str| versions.iter().find(|(a, _)| a == account).map(|(_, v)| *v);
        if cols
            .versions
            .iter()
            .any(|(a, built)| now(a).is_none_or(|v| v < *built))
        {
            // Versions only ever grow; something reset them.
            return Ok(None);
        }
        let mut accounts = Vec::new();
        let (mut since, mut until) = (Vec::new(), Vec::new());
        let mut statements = 0;
        for (account, version) in versions {
            let built = cols
                .versions
                .iter()
                .find(|(a, _)| a == account)
                .map_or(0, |(_, v)| *v);
            if *version > built {
                accounts.push(account.clone());
                since.push(built);
                until.push(*version);
                statements += version - built;
            }
        }
        let rows: Vec<(String, Vec<i64>)> = sqlx::query_as(
            "SELECT w.account, w.ids FROM offer_writes AS w \
             JOIN unnest($1::text[], $2::int8[], $3::int8[]) AS b(account, since, until) \
             ON w.account = b.account AND w.version > b.since AND w.version <= b.until",
        )
        .bind(&accounts)
        .bind(&since)
        .bind(&until)
        .fetch_all(&mut *conn)
        .await?;
        if rows.len() as i64 != statements {
            tracing::debug!(
                target: "magsync::store",
                "search columns stale: the write log holds {} of {statements} writes since",
                rows.len()
            );
            return Ok(None);
        }
        let mut keys = std::collections::BTreeSet::new();
        for (account, ids) in &rows {
            for &id in ids {
                keys.insert((account.as_str(), id));
                if keys.len() > DELTA_MAX {
                    tracing::debug!(
                        target: "magsync::store",
                        "search columns stale: over {DELTA_MAX} offers written since"
                    );
                    return Ok(None);
                }
            }
        }
        let mut delta = Delta::default();
        if !keys.is_empty() {
            delta.written = vec![0; cols.ids.len().div_ceil(64)];
        }
        for (account, id) in keys {
            if let Some(slot) = cols.slot(account, id) {
                delta.written[slot / 64] |= 1 << (slot % 64);
            }
            delta.accounts.push(account.to_string());
            delta.ids.push(id);
        }
        Ok(Some(delta))
    }

    fn holds(&self, slot: usize) -> bool {
        has_slot(&self.written, slot)
    }
}

/// The most written offers a page reads afresh beside the columns (each is looked up by its
/// key and filtered in SQL); past it, the columns are stale.
const DELTA_MAX: usize = 10_000;

/// How many written offers make a page start reading the columns again, without waiting for
/// the writes to stop.
const DELTA_REBUILD: usize = 2_000;

impl Store {
    /// A REPEATABLE READ transaction, columns of the offers and the offers written since
    /// they were read: the columns read in it when `force` (tests), else the cache's when the
    /// write log still says what changed since. None when they are missing or stale (a build
    /// then starts in the background).
    async fn pg_columns_in_tx(
        &self,
        pool: &PgPool,
        query: &ProductQuery,
        force: bool,
    ) -> Result<Option<(sqlx::Transaction<'static, Postgres>, Arc<Columns>, Delta)>> {
        let Some(cache) = &self.pg_columns else {
            return Ok(None);
        };
        if query.text.as_deref().is_some_and(|t| t.contains('\0')) {
            // Postgres refuses such text; its own plans say so.
            return Ok(None);
        }
        let current = cache.state().columns.clone();
        if current.is_none() && !force {
            self.spawn_pg_build(true);
            return Ok(None);
        }
        let mut tx = pool.begin().await?;
        let versions = begin_versioned(&mut tx).await?;
        let cols = match current {
            Some(c) if !force => c,
            _ => {
                let cols = self.read_pg_columns(&mut tx, versions).await?;
                return Ok(Some((tx, Arc::new(cols), Delta::default())));
            }
        };
        if cols.versions == versions {
            return Ok(Some((tx, cols, Delta::default())));
        }
        match Delta::read(&mut tx, &cols, &versions).await? {
            Some(delta) => {
                if delta.ids.len() >= DELTA_REBUILD {
                    self.spawn_pg_build(false);
                }
                Ok(Some((tx, cols, delta)))
            }
            None => {
                tx.commit().await?;
                self.spawn_pg_build(false);
                Ok(None)
            }
        }
    }

    /// One filtered page from the columns (see [`Store::pg_columns_in_tx`]); None when
    /// the caller must page with Postgres' plans: no usable columns, or the cursor's row
    /// changed since it was read or was written since the columns were.
    pub(super) async fn pg_columns_page(
        &self,
        pool: &PgPool,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
        force: bool,
    ) -> Result<Option<Vec<ProductRow>>> {
        let Some((mut tx, cols, delta)) = self.pg_columns_in_tx(pool, query, force).await? else {
            return Ok(None);
        };
        let rows = self
            .pg_page_from(&mut tx, cols, delta, query, after, limit)
            .await?;
        tx.commit().await?;
        if rows.is_some()
            && let Some(cache) = &self.pg_columns
        {
            cache
                .answered
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(rows)
    }

    /// How many offers match, from current columns; None when there are none.
    pub(super) async fn pg_columns_count(
        &self,
        pool: &PgPool,
        query: &ProductQuery,
    ) -> Result<Option<i64>> {
        let Some((mut tx, cols, delta)) = self.pg_columns_in_tx(pool, query, false).await? else {
            return Ok(None);
        };
        let fresh = self.count_written(&mut tx, &delta, query).await?;
        tx.commit().await?;
        let Some(ask) = Ask::new(&cols, query) else {
            // The account has no offers in the columns: all it has were written since.
            return Ok(Some(fresh));
        };
        let n =
            off_async(move || ask.run(&cols, None, &delta.written, |sel, slots| sel.count(slots)))
                .await?;
        Ok(Some(n as i64 + fresh))
    }

    /// How many of the offers written since the columns were read match.
    async fn count_written(
        &self,
        conn: &mut PgConnection,
        delta: &Delta,
        query: &ProductQuery,
    ) -> Result<i64> {
        if delta.ids.is_empty() {
            return Ok(0);
        }
        let mut q = QueryBuilder::<Postgres>::new("SELECT COUNT(*)");
        push_offers_by_key(
            &mut q,
            delta.accounts.iter().map(String::as_str).collect(),
            delta.ids.clone(),
        );
        push_filters!(q, self, query);
        q.build_query_scalar().fetch_one(&mut *conn).await
    }

    /// For a page without filters on a store big enough for the columns to matter (the
    /// Products tab opening): starts reading them if they are missing or stale, so they are
    /// ready by the time a word is typed.
    pub(super) async fn warm_pg_columns(&self, pool: &PgPool) -> Result<()> {
        let Some(cache) = self.pg_columns.as_ref().filter(|c| c.may_build()) else {
            return Ok(());
        };
        let built = cache.state().columns.as_ref().map(|c| c.versions.clone());
        if built.is_some() && built == Some(current_versions(pool).await?) {
            return Ok(());
        }
        let big: bool =
            sqlx::query_scalar("SELECT COUNT(*) >= $1 FROM (SELECT 1 FROM offers LIMIT $1) AS o")
                .bind(WARM_FROM)
                .fetch_one(pool)
                .await?;
        if big {
            self.spawn_pg_build(true);
        }
        Ok(())
    }

    /// Reads the columns now and keeps them (tests: pages may then come from them at once).
    pub(super) async fn build_pg_columns(&self, pool: &PgPool) -> Result<()> {
        let Some(cache) = &self.pg_columns else {
            return Ok(());
        };
        let t = Instant::now();
        let mut tx = pool.begin().await?;
        let versions = begin_versioned(&mut tx).await?;
        let cols = self.read_pg_columns(&mut tx, versions).await?;
        tx.commit().await?;
        tracing::debug!(
            target: "magsync::store",
            "search columns of {} offers read in {:?}: {} MB",
            cols.ids.len(),
            t.elapsed(),
            cols.bytes() / 1_000_000
        );
        let mut state = cache.state();
        if !state.closed {
            state.columns = Some(Arc::new(cols));
        }
        Ok(())
    }

    /// Reads the columns in the background, unless a build started within
    /// [`REBUILD_EVERY`]; the first ones once nothing has been written for a second (`quiet`:
    /// a one-off `magsync products` is gone by then). Later builds need no quiet: pages make
    /// up for what is written meanwhile from the write log.
    fn spawn_pg_build(&self, quiet: bool) {
        let (Some(cache), crate::store::Pool::Postgres(pool)) = (&self.pg_columns, &self.pool)
        else {
            return;
        };
        if !cache.claim_build() {
            return;
        }
        let (store, pool) = (self.clone(), pool.clone());
        tokio::spawn(async move {
            if quiet && !wait_for_quiet(|| current_versions(&pool)).await {
                return;
            }
            if let Err(e) = store.build_pg_columns(&pool).await {
                tracing::debug!(target: "magsync::store", "search columns not read: {e}");
            }
        });
    }

    /// Reads the columns inside the caller's REPEATABLE READ transaction.
    async fn read_pg_columns(
        &self,
        conn: &mut PgConnection,
        versions: Versions,
    ) -> Result<Columns> {
        // The text orders are read through an aggregate over an ordered subquery (see
        // `read_pg_order`), which only a serial plan feeds in order.
        sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0")
            .execute(&mut *conn)
            .await?;
        // Each filter's flag computed by the very conditions `push_filters!` writes, and the
        // values of the orders sorted here as the search's ORDER BY has them.
        let mut q = QueryBuilder::<Postgres>::new("SELECT account, id, search_text, 0");
        for (bit, &(status, stock)) in FILTERS.iter().enumerate() {
            let filter = ProductQuery {
                status,
                stock,
                ..Default::default()
            };
            // A NULL status fails the filter, as it does in a WHERE.
            q.push(" | (COALESCE((1 = 1");
            push_filters!(q, self, &filter);
            q.push(format!("), false)::int << {bit})"));
        }
        q.push(" AS flags");
        for &sort in SORTED_HERE {
            q.push(format!(", {}", sort.expr(Backend::Postgres)));
            if !matches!(sort, SortKey::Price | SortKey::Changed) {
                q.push("::int8");
            }
        }
        q.push(" FROM offers ORDER BY account, id");
        let mut cols = Columns {
            versions,
            accounts: Vec::new(),
            account_starts: Vec::new(),
            account: Vec::new(),
            ids: Vec::new(),
            positions: Vec::new(),
            flags: Vec::new(),
            text: Vec::new(),
            starts: Vec::new(),
        };
        let mut values: Vec<Values> = SORTED_HERE
            .iter()
            .map(|&sort| match sort {
                SortKey::Price => Values::Money(Vec::new()),
                SortKey::Changed => Values::Time(Vec::new()),
                _ => Values::Int(Vec::new()),
            })
            .collect();
        {
            let mut rows = q.build().fetch(&mut *conn);
            while let Some(r) = rows.try_next().await? {
                let account: &str = r.try_get(0)?;
                if cols.accounts.last().is_none_or(|a| a != account) {
                    if cols.accounts.len() >= usize::from(u16::MAX) {
                        return Err(too_big("accounts"));
                    }
                    cols.accounts.push(account.to_string());
                    cols.account_starts.push(cols.ids.len());
                }
                cols.account.push((cols.accounts.len() - 1) as u16);
                cols.ids.push(r.try_get(1)?);
                let offset = u32::try_from(cols.text.len()).map_err(|_| too_big("text"))?;
                cols.starts.push(offset);
                cols.text
                    .extend_from_slice(r.try_get::<&str, _>(2)?.as_bytes());
                cols.text.push(0);
                cols.flags.push(r.try_get::<i32, _>(3)? as u8);
                for (i, v) in values.iter_mut().enumerate() {
                    match v {
                        Values::Int(v) => v.push(r.try_get(4 + i)?),
                        Values::Money(v) => v.push(r.try_get::<Money, _>(4 + i)?.0),
                        Values::Time(v) => v.push(r.try_get(4 + i)?),
                    }
                }
            }
        }
        cols.account_starts.push(cols.ids.len());
        cols.starts
            .push(u32::try_from(cols.text.len()).map_err(|_| too_big("text"))?);
        if u32::try_from(cols.ids.len()).is_err() {
            return Err(too_big("offers"));
        }
        let mut sorted_here = off_async(move || {
            values
                .iter()
                .map(|v| match v {
                    Values::Int(v) => positions_by(v),
                    Values::Money(v) => positions_by(v),
                    Values::Time(v) => positions_by(v),
                })
                .collect::<Vec<_>>()
        })
        .await?
        .into_iter();
        for &sort in SortKey::ALL {
            let pos = if sort == SortKey::Account {
                // The slots are numbered in this very order.
                (0..cols.ids.len() as u32).collect()
            } else if SORTED_HERE.contains(&sort) {
                sorted_here.next().expect("one per key sorted here")
            } else {
                self.read_pg_order(conn, &cols, sort).await?
            };
            cols.positions.push(pos);
        }
        Ok(cols)
    }

    /// Each slot's position in a text order, which Postgres sorts by its collation: the
    /// offers in the search's own ORDER BY (a plain aggregate takes its subquery's rows in
    /// the order they come).
    async fn read_pg_order(
        &self,
        conn: &mut PgConnection,
        cols: &Columns,
        sort: SortKey,
    ) -> Result<Vec<u32>> {
        let order = order_by(
            &ProductQuery {
                sort,
                ..Default::default()
            },
            [sort.expr(Backend::Postgres), "account", "id"],
        );
        let (accounts, ids): (Option<Vec<i32>>, Option<Vec<i64>>) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT array_agg(a), array_agg(id) FROM (SELECT \
                 array_position($1::text[], account) AS a, id FROM offers {order}) AS s"
            )))
            .bind(&cols.accounts)
            .fetch_one(&mut *conn)
            .await?;
        let mut pos = vec![NONE; cols.ids.len()];
        for (p, (a, id)) in accounts
            .unwrap_or_default()
            .into_iter()
            .zip(ids.unwrap_or_default())
            .enumerate()
        {
            let slot = usize::try_from(a - 1)
                .ok()
                .and_then(|a| cols.slot_in(a, id))
                .ok_or_else(|| {
                    sqlx::Error::Protocol(format!(
                        "search columns: offer {id} of the {} order is not in the snapshot",
                        sort.as_str()
                    ))
                })?;
            pos[slot] = p as u32;
        }
        Ok(pos)
    }

    /// The page from columns of the offers the transaction sees and the offers written
    /// since; None when the cursor's row no longer has the cursor's sort value (it changed
    /// after the previous page was read) or was written since the columns were read.
    async fn pg_page_from(
        &self,
        conn: &mut PgConnection,
        cols: Arc<Columns>,
        mut delta: Delta,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Option<Vec<ProductRow>>> {
        let from = match after {
            None => None,
            Some(c) => {
                let mut q = QueryBuilder::<Postgres>::new("SELECT 1 FROM offers WHERE");
                push_cursor_row!(q, Backend::Postgres, query.sort, c);
                let found: Option<i32> = q.build_query_scalar().fetch_optional(&mut *conn).await?;
                match found
                    .and_then(|_| cols.slot(&c.account, c.id))
                    .filter(|&slot| !delta.holds(slot))
                {
                    Some(slot) => Some(slot),
                    None => return Ok(None),
                }
            }
        };
        // The columns' page among the offers not written since (none when the account has
        // no offers in them).
        let picked = match Ask::new(&cols, query) {
            None => Vec::new(),
            Some(ask) => {
                let from = from.map(|slot| cols.positions[ask.key][slot]);
                let limit = usize::try_from(limit).unwrap_or(usize::MAX);
                let (cols, written) = (cols.clone(), std::mem::take(&mut delta.written));
                off_async(move || {
                    ask.run(&cols, from, &written, |sel, slots| sel.page(slots, limit))
                })
                .await?
            }
        };
        let (mut accounts, mut ids): (Vec<&str>, Vec<i64>) = picked
            .iter()
            .map(|&s| {
                (
                    cols.accounts[usize::from(cols.account[s])].as_str(),
                    cols.ids[s],
                )
            })
            .unzip();
        accounts.extend(delta.accounts.iter().map(String::as_str));
        ids.extend(&delta.ids);
        if ids.is_empty() {
            return Ok(Some(Vec::new()));
        }
        // Those rows and the written offers, filtered and sorted as the query says: the
        // columns' page already passes, the written offers are judged afresh.
        let mut q = QueryBuilder::<Postgres>::new(format!("SELECT {ROW_COLUMNS}"));
        push_offers_by_key(&mut q, accounts, ids);
        push_filters!(q, self, query);
        push_keyset!(q, self, query, after);
        q.push(order_by(
            query,
            [query.sort.expr(Backend::Postgres), "account", "id"],
        ));
        q.push(" LIMIT ").push_bind(limit);
        Ok(Some(fetch_rows!(q, &mut *conn)?))
    }
}

/// Appends `FROM` the offers of these keys `WHERE 1 = 1`, each looked up by its primary key
/// before any condition that follows is tested: a join let the planner read a common word's
/// whole trigram list instead (measured 30 ms for 200 keys, 1.5 ms looked up).
fn push_offers_by_key(q: &mut QueryBuilder<Postgres>, accounts: Vec<&str>, ids: Vec<i64>) {
    q.push(" FROM unnest(")
        .push_bind(accounts)
        .push("::text[], ")
        .push_bind(ids)
        .push(
            "::int8[]) AS k(a, i) CROSS JOIN LATERAL \
             (SELECT * FROM offers WHERE account = k.a AND id = k.i OFFSET 0) AS offers \
             WHERE 1 = 1",
        );
}

/// What a query asks of the columns.
struct Ask {
    /// The sort key's index in [`SortKey::ALL`].
    key: usize,
    /// The folded text whose words an offer's search text must each contain, as
    /// `push_filters!`' `LIKE '%word%'` conditions have it (None: no text).
    text: Option<String>,
    mask: u8,
    account_is: Option<u16>,
    descending: bool,
}

impl Ask {
    /// None when the query's account has no offers.
    fn new(cols: &Columns, query: &ProductQuery) -> Option<Ask> {
        let account_is = match &query.account {
            None => None,
            Some(a) => Some(cols.accounts.iter().position(|x| x == a)? as u16),
        };
        Some(Ask {
            key: column_of(query.sort),
            text: query
                .text
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(fold_search),
            mask: filter_mask(query),
            account_is,
            descending: query.descending,
        })
    }

    /// `f` on the selection and the candidate slots: those holding the text, or all;
    /// never those `written` (a bit per slot) says were written since.
    fn run<T>(
        &self,
        cols: &Columns,
        after: Option<u32>,
        written: &[u64],
        f: impl FnOnce(&Selection<'_>, &mut dyn Iterator<Item = usize>) -> T,
    ) -> T {
        let selection = Selection {
            written,
            positions: &cols.positions[self.key],
            flags: &cols.flags,
            account: &cols.account,
            mask: self.mask,
            account_is: self.account_is,
            descending: self.descending,
            after,
        };
        match &self.text {
            Some(text) => {
                let words: Vec<&[u8]> = like_words(text).map(str::as_bytes).collect();
                f(&selection, &mut cols.matching(&words).into_iter())
            }
            None => f(&selection, &mut (0..cols.ids.len())),
        }
    }
}

/// Scanning 90 MB of text is CPU work: off the async threads.
async fn off_async<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("search columns: {e}")))
}

/// The orders whose positions the columns work out themselves: numbers and times order the
/// same everywhere, and their ties fall back to (account, id), the slots' own order. Text
/// orders by the database's collation, so Postgres sorts those.
const SORTED_HERE: &[SortKey] = &[
    SortKey::Id,
    SortKey::Price,
    SortKey::Stock,
    SortKey::Rank,
    SortKey::Changed,
];

/// The values of one order sorted here, per slot.
enum Values {
    Int(Vec<i64>),
    Money(Vec<Decimal>),
    Time(Vec<DateTime<Utc>>),
}

/// Each slot's position when sorted by `values`, ties in slot order.
fn positions_by<K: Ord>(values: &[K]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    // Stable: equal values keep the slots' (account, id) order.
    order.sort_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
    let mut pos = vec![NONE; values.len()];
    for (p, &slot) in order.iter().enumerate() {
        pos[slot as usize] = p as u32;
    }
    pos
}

fn too_big(what: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("too many {what} for the search columns"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(texts: &[&str]) -> Columns {
        let mut text = Vec::new();
        let mut starts = Vec::new();
        for t in texts {
            starts.push(text.len() as u32);
            text.extend_from_slice(t.as_bytes());
            text.push(0);
        }
        starts.push(text.len() as u32);
        Columns {
            versions: Vec::new(),
            accounts: vec!["main".into()],
            account_starts: vec![0, texts.len()],
            account: vec![0; texts.len()],
            ids: (1..=texts.len() as i64).collect(),
            positions: Vec::new(),
            flags: vec![0; texts.len()],
            text,
            starts,
        }
    }

    /// As `push_filters!`' `LIKE '%word%'` conditions: each offer once however often it
    /// matches, a match never spans two offers, every word must be in the same offer, and no
    /// words match every offer.
    #[test]
    fn matching_finds_each_offer_holding_every_word_once() {
        let cols = columns(&["usb usb", "", "hub", "us", "b lamp", "usb-c lamp"]);
        let m = |words: &[&str]| {
            let words: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
            cols.matching(&words)
        };
        assert_eq!(m(&["usb"]), [0, 5]);
        assert_eq!(m(&["sb"]), [0, 5]);
        assert_eq!(m(&["u"]), [0, 2, 3, 5]);
        assert_eq!(m(&["hubus"]), Vec::<usize>::new());
        assert_eq!(m(&["b"]), [0, 2, 4, 5]);
        assert_eq!(m(&["usb", "c"]), [5]);
        assert_eq!(m(&["lamp", "b"]), [4, 5]);
        assert_eq!(m(&["lamp", "hub"]), Vec::<usize>::new());
        assert_eq!(m(&[]), [0, 1, 2, 3, 4, 5]);
        assert_eq!(cols.slot("main", 4), Some(3));
        assert_eq!(cols.slot("main", 9), None);
        assert_eq!(cols.slot("fbe", 1), None);
        assert_eq!(cols.slot_in(1, 1), None);
    }
}
