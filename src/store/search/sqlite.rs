//! SQLite pages of the products search.
//!
//! SQLite's planner cannot tell how many rows an FTS match or a rare filter keeps, so each page
//! is planned here from cheap probes (the FTS match count, a sample of a word's offers) and run
//! as one of the [`SqlitePlan`]s. Every plan returns exactly the rows and order of one sorted
//! query; `every_search_plan_pages_like_one_sorted_query` forces each one to check that.
//! A page with text comes from the in-memory columns of `columns.rs` instead whenever they are
//! current, after at most one short window; the plans here answer while they are not (a sync
//! is writing, or they are being read).

use super::{
    Cursor, ForcePlan, LOW_STOCK, ProductQuery, ProductRow, ROW_COLUMNS, SortKey, SortValue,
    StatusFilter, StockFilter, fts_prefix_query, has_text, order_by, words,
};
use crate::store::money::Money;
use crate::store::{Result, Store};
use sqlx::{QueryBuilder, Row};

/// How many rows of the sort order a filtered SQLite query examines before it stops walking
/// that order: a filter that keeps a page of 200 in the first 8 000 rows (2.5 %) is answered
/// there in a few milliseconds; a rarer one is cheaper to collect through its own index.
const WALK_WINDOW: i64 = 8_000;

/// The most rows a further window may span when the first one found some matches but not a
/// page: walking reads each row (≈1 µs), so past this collecting is cheaper.
const WALK_MAX: i64 = 30_000;

/// Below this many text matches, SQLite reads the matches and sorts them (≈1 µs each, more
/// when the offers are not cached) instead of walking the sort order.
const FEW_MATCHES: i64 = 20_000;

/// Below this many text matches reading them all beats the index-only walk
/// ([`SqlitePlan::Member`]), which may pass ~1 000 000 / matches index entries (≈0.15 µs each)
/// per row of the page.
const MEMBER_MIN_MATCHES: i64 = 3_000;

/// SQLite's plans for one page. Its planner cannot tell how many rows an FTS match or a rare
/// status keeps (it would walk the whole sort order looking for 200 inactive offers, or read
/// 200 000 "usb" matches to sort them), so the page is planned here from cheap probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqlitePlan {
    /// Walk the sort index; every row qualifies.
    Walk,
    /// Walk a bounded window of the sort order and filter each row; windows follow one
    /// another while their yield says the page is near, then [`SqlitePlan::Collect`] (or
    /// [`SqlitePlan::Intersect`]) takes the rest after the last one.
    Window,
    /// Collect every matching row through the filters' own indexes (FTS, status, stock,
    /// missing), then sort.
    Collect,
    /// For a common text with a rare filter: intersect the filter's index with the FTS match
    /// list on rowids alone, then read and sort only the offers in both. Driving by the FTS
    /// list would read every one of its (hundreds of thousands of) offers to test the filter.
    Intersect,
    /// For a text with thousands of matches and no rare filter: walk the sort index reading
    /// index entries alone (rowid and account), keeping those in the FTS match list, then read
    /// only those candidates' offers, in batches, checking a status or stock filter on them. A
    /// common word can sit far down the order ("lampa" by name starts half way), and walking
    /// index entries costs a tenth of reading each offer, or of reading every match to sort
    /// them; "active" keeps ~90 % of offers, so a batch little larger than the page fills it.
    Member,
    /// For an account filter without text: each sort value's run of that account, sought on
    /// (sort value, account) in the sort index, one value after another. A sort key with few
    /// values (rank, stock) puts a run of 150 000 offers of the other account first, which a
    /// window cannot pass and collecting means sorting half the store.
    Groups,
}

/// Whether [`SqlitePlan::Groups`] answers the query: an account, no text, a sort other than
/// the account's own (the primary key seeks that), and no filter so rare that reading each
/// run of the account to test it costs more than collecting the filter's few offers.
fn groups_apply(query: &ProductQuery) -> bool {
    query.account.is_some()
        && !has_text(query)
        && query.sort != SortKey::Account
        && !rare_filter(query)
}

/// How many sort values [`SqlitePlan::Groups`] visits for one page before collecting the
/// rest: two short queries each, so a key with many values (name, price) is collected.
const GROUPS_MAX: usize = 64;

/// Filters that keep under ~5 % of offers: missing, end of life, no stock, inactive with low
/// stock.
fn rare_filter(query: &ProductQuery) -> bool {
    matches!(
        query.status,
        Some(StatusFilter::Missing | StatusFilter::Eol)
    ) || query.stock == Some(StockFilter::Zero)
        || (query.status == Some(StatusFilter::Inactive) && query.stock == Some(StockFilter::Low))
}

/// Whether the index-only walk answers the query: the text is an FTS query and no filter
/// keeps under ~5 % of offers (missing, end of life, no stock, inactive with low stock: a page
/// of those would take batches of thousands of candidates; intersecting reads fewer). The
/// account is checked on the index entries (each sort index holds it); a status or stock
/// filter on the offers read per batch.
fn member_applies(query: &ProductQuery, fts: Option<&str>) -> bool {
    fts.is_some() && !rare_filter(query)
}

/// Whether the query's status and stock filters keep most offers (none, or "active" ~90 %),
/// so a batch of candidates little larger than the page fills it.
fn keeps_most(query: &ProductQuery) -> bool {
    matches!(query.status, None | Some(StatusFilter::Active)) && query.stock.is_none()
}

/// How many rows of the sort order a common word with no rare filter walks before the
/// index-only walk takes over: a word spread along the order (a brand by price) fills a page
/// in the first thousand or so rows, ≈2 ms, where the walk first materialises the word's
/// whole FTS list (≈35 ms for 200 000 matches); a word bunched far down the order ("lampa" by
/// name) costs those 2 ms extra.
const MEMBER_PROBE_WINDOW: i64 = 2_000;

/// The most candidates one batch of the index-only walk reads: a filter that rejects most of
/// a word's offers should not make a batch read as many offers as collecting all matches.
const MEMBER_BATCH_MAX: i64 = 8_000;

/// How many of a common word's matches are read to estimate how many pass a filter.
const SAMPLE_MATCHES: i64 = 1_000;

/// The one filter of `query` that is rare enough to drive an intersection with the FTS match
/// list: the index that holds it and the condition that index answers without reading offers
/// (the other filters are applied to the intersected offers).
/// Ranked by how few offers each keeps (missing and end of life ~1 %, no stock ~2 %, inactive
/// and low stock ~10 %); "active" and an account keep too many to drive anything.
fn intersect_driver(query: &ProductQuery) -> Option<(&'static str, String)> {
    let stock = match query.stock {
        Some(StockFilter::Zero) => Some("general_stock = 0".to_string()),
        Some(StockFilter::Low) => Some(format!("general_stock BETWEEN 1 AND {LOW_STOCK}")),
        None => None,
    };
    let status = match query.status {
        Some(StatusFilter::Active) => Some(1),
        Some(StatusFilter::Inactive) => Some(0),
        Some(StatusFilter::Eol) => Some(2),
        _ => None,
    };
    match (query.status, query.stock) {
        (Some(StatusFilter::Missing), _) => {
            Some(("offers_missing", "missing_since IS NOT NULL".into()))
        }
        // A status with a stock filter: both are one range of (status, general_stock).
        (Some(_), Some(_)) => Some((
            "offers_status_stock",
            format!("status = {} AND {}", status?, stock?),
        )),
        (Some(StatusFilter::Eol), _) => Some(("offers_status_stock", "status = 2".into())),
        (_, Some(StockFilter::Zero)) => Some((
            "offers_sort_stock",
            "COALESCE(general_stock, -1) = 0".into(),
        )),
        (Some(StatusFilter::Inactive), _) => Some(("offers_status_stock", "status = 0".into())),
        (_, Some(StockFilter::Low)) => Some((
            "offers_sort_stock",
            format!("COALESCE(general_stock, -1) BETWEEN 1 AND {LOW_STOCK}"),
        )),
        _ => None,
    }
}

impl Store {
    /// One page on SQLite, planned from the query and cheap probes (see [`SqlitePlan`]).
    pub(super) async fn sqlite_search_page(
        &self,
        pool: &sqlx::SqlitePool,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
        force: ForcePlan,
    ) -> Result<Vec<ProductRow>> {
        let fts = sqlite_text_match(query);
        let filtered = query.account.is_some()
            || query.status.is_some()
            || query.stock.is_some()
            || has_text(query);
        let mut plan = if !filtered {
            SqlitePlan::Walk
        } else {
            SqlitePlan::Window
        };
        let mut common_text = false;
        let mut probe_first = false;
        // Whether the page may come from the in-memory columns (`search/columns.rs`), and
        // whether they are built first when missing (tests).
        let mut columns = false;
        let wait = force == ForcePlan::Columns;
        if fts.is_none() && force == ForcePlan::Auto {
            self.warm_columns(pool).await?;
        }
        if fts.is_some() && force == ForcePlan::Auto && self.columns_current().await {
            // The columns answer any text at one FTS read; only a word spread along the
            // order is answered sooner, by a short window, when nearly every match qualifies.
            // (Should the columns turn stale meanwhile, the index-only walk or a collection
            // answers.)
            columns = true;
            probe_first = keeps_most(query);
            plan = if probe_first {
                SqlitePlan::Member
            } else {
                SqlitePlan::Collect
            };
        } else if let Some(m) = &fts {
            let n: i64 = sqlx::query(
                "SELECT COUNT(*) FROM (SELECT 1 FROM offers_fts WHERE offers_fts MATCH $1 LIMIT $2)",
            )
            .bind(m)
            .bind(FEW_MATCHES)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
            columns = force == ForcePlan::Auto && n >= MEMBER_MIN_MATCHES;
            // The index-only walk, after one short window when nearly every match
            // qualifies (see MEMBER_PROBE_WINDOW): a full window reads every offer it
            // passes, and a common word can sit half the order away.
            // With "inactive" or low stock (~10 %) it passes ten times the entries,
            // worth it only when the matches are too many to read and sort.
            if member_applies(query, fts.as_deref())
                && n >= MEMBER_MIN_MATCHES
                && (keeps_most(query) || n >= FEW_MATCHES)
            {
                plan = SqlitePlan::Member;
                probe_first = keeps_most(query);
                // A filter's share of the store says little about its share of one
                // word's offers: when a sample of the word's offers says a page would
                // take more candidates than a walk reads before handing over, the
                // intersection answers at once ("lampa" is never inactive in
                // bench_tui: the walk passed half the name order, then intersected).
                if !keeps_most(query) && intersect_driver(query).is_some() && {
                    let (n, ok) = self.sqlite_sample(pool, query, m).await?;
                    ok.saturating_mul(MEMBER_BATCH_MAX) < limit.saturating_mul(n)
                } {
                    plan = SqlitePlan::Intersect;
                }
            } else if n < FEW_MATCHES {
                plan = SqlitePlan::Collect;
            } else {
                common_text = true;
            }
        }
        // After the windows: the common text's FTS list is too long to drive, so a
        // rare filter's index does, intersected with it on rowids.
        let mut window = WALK_WINDOW;
        let mut collect = if common_text && intersect_driver(query).is_some() {
            SqlitePlan::Intersect
        } else if common_text && member_applies(query, fts.as_deref()) {
            SqlitePlan::Member
        } else {
            SqlitePlan::Collect
        };
        let mut stages = 3;
        if probe_first && matches!(force, ForcePlan::Auto) {
            (plan, window, stages, collect) = (
                SqlitePlan::Window,
                MEMBER_PROBE_WINDOW,
                1,
                SqlitePlan::Member,
            );
        }
        match force {
            ForcePlan::Auto => {}
            _ if !filtered => {}
            ForcePlan::Window => plan = SqlitePlan::Window,
            ForcePlan::SmallWindows => {
                plan = SqlitePlan::Window;
                window = 4;
            }
            ForcePlan::Collect => {
                plan = SqlitePlan::Collect;
                collect = SqlitePlan::Collect;
            }
            ForcePlan::Intersect => {
                plan = SqlitePlan::Collect;
                collect = if fts.is_some() && intersect_driver(query).is_some() {
                    SqlitePlan::Intersect
                } else {
                    SqlitePlan::Collect
                };
            }
            ForcePlan::Groups => {
                plan = SqlitePlan::Collect;
                collect = if groups_apply(query) {
                    SqlitePlan::Groups
                } else {
                    SqlitePlan::Collect
                };
            }
            ForcePlan::ProbeThenMember => {
                (plan, window, stages) = (SqlitePlan::Window, 4, 1);
                collect = if member_applies(query, fts.as_deref()) {
                    SqlitePlan::Member
                } else {
                    SqlitePlan::Collect
                };
            }
            ForcePlan::Columns => {
                (plan, collect, columns) = (SqlitePlan::Collect, SqlitePlan::Collect, true);
            }
            ForcePlan::Member | ForcePlan::SmallBatches => {
                plan = SqlitePlan::Collect;
                collect = if member_applies(query, fts.as_deref()) {
                    SqlitePlan::Member
                } else {
                    SqlitePlan::Collect
                };
            }
        }
        if plan == SqlitePlan::Collect {
            plan = collect;
        }
        let small = matches!(force, ForcePlan::SmallBatches | ForcePlan::Groups);
        let fts_columns = fts.as_deref().filter(|_| columns);
        if plan != SqlitePlan::Window {
            if let Some(rows) = self
                .columns_page(fts_columns, query, after, limit, wait)
                .await?
            {
                return Ok(rows);
            }
            return self
                .sqlite_page(pool, query, after, limit, plan, None, small)
                .await;
        }
        let mut rows = Vec::new();
        let mut from = after.cloned();
        // The first window, then at most two more sized from the yield so far.
        for stage in 0..stages {
            // The window's last row, read off the sort index alone (≈0.5 ms per 8 000).
            let mut q = QueryBuilder::new(format!(
                "SELECT {ROW_COLUMNS} FROM offers INDEXED BY {} WHERE 1 = 1",
                query.sort.sqlite_index()
            ));
            push_keyset!(q, self, query, from.as_ref());
            q.push(order_by(
                query,
                [query.sort.expr(self.backend()), "account", "id"],
            ));
            q.push(" LIMIT 1 OFFSET ").push_bind(window - 1);
            let end = fetch_rows!(q, pool)?.first().map(|r| r.cursor(query.sort));
            let want = limit - rows.len() as i64;
            let got = self
                .sqlite_page(
                    pool,
                    query,
                    from.as_ref(),
                    want,
                    SqlitePlan::Window,
                    end.as_ref(),
                    small,
                )
                .await?;
            let found = got.len() as i64;
            rows.extend(got);
            // Without an end the window held the rest of the order: nothing is missing.
            // A window that fell short held every match up to its end, so the rest
            // starts after that end.
            let Some(end) = end else { return Ok(rows) };
            if found == want {
                return Ok(rows);
            }
            from = Some(end);
            // Rows walked per match found, times the matches still wanted, with a
            // quarter to spare so the estimate's noise rarely costs a third walk.
            let need = (want - found).saturating_mul(window) / found.max(1) * 5 / 4;
            if found == 0 || need > WALK_MAX.max(window) || stage + 1 == stages {
                break;
            }
            window = need.max(1);
        }
        // The windows found too few rows of an account: it sits behind long runs of
        // the other account's offers of the same sort value.
        if collect == SqlitePlan::Collect && groups_apply(query) {
            collect = SqlitePlan::Groups;
        }
        let want = limit - rows.len() as i64;
        let rest = match self
            .columns_page(fts_columns, query, from.as_ref(), want, wait)
            .await?
        {
            Some(rest) => rest,
            None => {
                self.sqlite_page(pool, query, from.as_ref(), want, collect, None, small)
                    .await?
            }
        };
        rows.extend(rest);
        Ok(rows)
    }

    // The page's whole plan travels as arguments; a struct for one private call path would
    // only rename them.
    #[allow(clippy::too_many_arguments)]
    async fn sqlite_page(
        &self,
        pool: &sqlx::SqlitePool,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
        plan: SqlitePlan,
        window_end: Option<&Cursor>,
        small_batches: bool,
    ) -> Result<Vec<ProductRow>> {
        let fts = sqlite_text_match(query);
        let fts = fts.as_deref();
        if let (SqlitePlan::Member, Some(m)) = (plan, fts.filter(|_| member_applies(query, fts))) {
            return self
                .sqlite_member(pool, query, m, after, limit, small_batches)
                .await;
        }
        if plan == SqlitePlan::Groups && groups_apply(query) {
            let max_groups = if small_batches { 3 } else { GROUPS_MAX };
            return self
                .sqlite_groups(pool, query, after, limit, max_groups)
                .await;
        }
        let expr = query.sort.expr(self.backend());
        let mut q = QueryBuilder::new("");
        match plan {
            SqlitePlan::Walk => {
                q.push(format!("SELECT {ROW_COLUMNS} FROM offers WHERE 1 = 1"));
                push_keyset!(q, self, query, after);
                q.push(order_by(query, [expr, "account", "id"]));
            }
            SqlitePlan::Window => {
                // Pinned to the sort index and bounded by the window's last row, so the walk
                // stops after a page or WALK_WINDOW rows. The text is matched on each row's
                // folded text like the FTS tokenizer does (a word of the row starts with each
                // word of the query): materialising the FTS list of a common word first would
                // cost more than the whole walk.
                q.push(format!(
                    "SELECT {ROW_COLUMNS} FROM offers INDEXED BY {} WHERE 1 = 1",
                    query.sort.sqlite_index()
                ));
                push_keyset!(q, self, query, after);
                if let Some(end) = window_end {
                    let cmp = if query.descending { ">=" } else { "<=" };
                    push_keyset!(q, self, query, Some(end), cmp);
                }
                // Text without word characters has no FTS query: push_filters scans it by LIKE.
                let rest = ProductQuery {
                    text: fts.is_none().then(|| query.text.clone()).flatten(),
                    ..query.clone()
                };
                push_filters!(q, self, &rest);
                if let (Some(_), Some(text)) = (fts, query.text.as_deref()) {
                    let folded = crate::store::offers::fold_search(text);
                    for w in words(&folded) {
                        q.push(" AND (' ' || search_text) GLOB ")
                            .push_bind(format!("*[^a-z0-9.]{w}*"));
                    }
                }
                q.push(order_by(query, [expr, "account", "id"]));
            }
            SqlitePlan::Member
            | SqlitePlan::Collect
            | SqlitePlan::Intersect
            | SqlitePlan::Groups => {
                // The matches with their sort values, then the page from those; the text, when
                // there is one, drives (its FTS list is the narrowest way in) unless a rare
                // filter intersects it first.
                q.push(format!(
                    "WITH m AS MATERIALIZED (SELECT offers.rowid AS r, {expr} AS k, account AS a, id AS i FROM "
                ));
                let driver = intersect_driver(query).filter(|_| plan == SqlitePlan::Intersect);
                match (fts, driver) {
                    (Some(m), Some((index, cond))) => {
                        // The inner select reads only index entries (rowid and the indexed
                        // condition), so no offer is read before it is known to match both.
                        q.push(format!(
                            "offers WHERE rowid IN (SELECT rowid FROM offers INDEXED BY {index} WHERE {cond} \
                             AND rowid IN (SELECT rowid FROM offers_fts WHERE offers_fts MATCH "
                        ))
                        .push_bind(m.to_string())
                        .push("))");
                        let rest = ProductQuery {
                            text: None,
                            ..query.clone()
                        };
                        push_filters!(q, self, &rest);
                    }
                    (Some(m), None) => {
                        q.push("offers_fts CROSS JOIN offers ON offers.rowid = offers_fts.rowid WHERE offers_fts MATCH ")
                            .push_bind(m.to_string());
                        let rest = ProductQuery {
                            text: None,
                            ..query.clone()
                        };
                        push_filters!(q, self, &rest);
                    }
                    (None, _) => {
                        q.push("offers WHERE 1 = 1");
                        push_filters!(q, self, query);
                    }
                }
                push_keyset!(q, self, query, after);
                q.push(format!(
                    ") SELECT {ROW_COLUMNS} FROM m CROSS JOIN offers ON offers.rowid = m.r"
                ));
                q.push(order_by(query, ["m.k", "m.a", "m.i"]));
            }
        }
        q.push(" LIMIT ").push_bind(limit);
        fetch_rows!(q, pool)
    }

    /// [`SqlitePlan::Member`]: batches of candidates (matches of the text in the sort order,
    /// found on index entries alone), each read with a flag saying whether it passes the
    /// status and stock filters; the next batch starts after the last candidate, passing or
    /// not, and is sized from the yield so far.
    async fn sqlite_member(
        &self,
        pool: &sqlx::SqlitePool,
        query: &ProductQuery,
        fts: &str,
        after: Option<&Cursor>,
        limit: i64,
        small_batches: bool,
    ) -> Result<Vec<ProductRow>> {
        let expr = query.sort.expr(self.backend());
        let checked = ProductQuery {
            text: None,
            account: None,
            ..query.clone()
        };
        let filtered = checked.status.is_some() || checked.stock.is_some();
        let (mut batch, max_batch) = match (small_batches, filtered, keeps_most(query)) {
            (true, _, _) => (1, 3),
            (false, false, _) => (limit, limit),
            // A quarter to spare covers "active" (~90 %) in one batch.
            (false, true, true) => (limit + limit / 4 + 8, MEMBER_BATCH_MAX.max(limit)),
            // Inactive or low stock (~10 %): a sample of the word's offers sizes the first
            // batch to fill the page, with a quarter to spare: every batch materialises the
            // word's whole FTS list again (200 000 rowids for "usb", tens of ms). Without
            // a passing offer in the sample, four pages, and their yield sizes the next.
            (false, true, false) => {
                let (n, ok) = self.sqlite_sample(pool, query, fts).await?;
                let first = if ok > 0 {
                    (limit.saturating_mul(n) / ok * 5 / 4 + 8).max(limit)
                } else {
                    limit * 4
                };
                (
                    first.min(MEMBER_BATCH_MAX.max(limit)),
                    MEMBER_BATCH_MAX.max(limit),
                )
            }
        };
        // A filter's share of the whole store says little about its share of one word's offers
        // (few lamps may be inactive): past this many candidates read, a filter with its own
        // index takes the rest by intersecting, which reads only offers that pass.
        let budget = if small_batches { 5 } else { MEMBER_BATCH_MAX };
        let mut read = 0i64;
        let mut rows = Vec::new();
        let mut from = after.cloned();
        loop {
            let mut q = QueryBuilder::new(format!(
                "WITH p AS MATERIALIZED (SELECT rowid AS r FROM offers INDEXED BY {} \
                 WHERE rowid IN (SELECT rowid FROM offers_fts WHERE offers_fts MATCH ",
                query.sort.sqlite_index()
            ));
            q.push_bind(fts.to_string()).push(")");
            if let Some(a) = &query.account {
                q.push(" AND account = ").push_bind(a.clone());
            }
            push_keyset!(q, self, query, from.as_ref());
            q.push(order_by(query, [expr, "account", "id"]));
            q.push(" LIMIT ").push_bind(batch);
            q.push(format!(") SELECT {ROW_COLUMNS}, COALESCE((1 = 1"));
            push_filters!(q, self, &checked);
            q.push("), 0) AS ok FROM p CROSS JOIN offers ON offers.rowid = p.r");
            q.push(order_by(query, [expr, "account", "id"]));
            let got = q.build().fetch_all(pool).await?;
            let before = rows.len();
            let mut last = None;
            for r in &got {
                let row = product_row!(r)?;
                let ok: i64 = r.try_get("ok")?;
                if ok != 0 {
                    rows.push(row.clone());
                    if rows.len() as i64 == limit {
                        return Ok(rows);
                    }
                }
                last = Some(row);
            }
            // A short batch held the rest of the order.
            let Some(last) = last.filter(|_| got.len() as i64 == batch) else {
                return Ok(rows);
            };
            from = Some(last.cursor(query.sort));
            let found = (rows.len() - before) as i64;
            let want = limit - rows.len() as i64;
            read += got.len() as i64;
            if read >= budget && intersect_driver(query).is_some() {
                let rest = Box::pin(self.sqlite_page(
                    pool,
                    query,
                    from.as_ref(),
                    want,
                    SqlitePlan::Intersect,
                    None,
                    small_batches,
                ))
                .await?;
                rows.extend(rest);
                return Ok(rows);
            }
            // Candidates per passing row, times the rows still wanted, a quarter to spare;
            // growing at most eightfold a batch when the yield so far says little.
            let need = if found == 0 {
                batch.saturating_mul(8)
            } else {
                (want.saturating_mul(batch) / found * 5 / 4).min(batch.saturating_mul(8))
            };
            batch = need.clamp(1, max_batch);
        }
    }

    /// How many of the first [`SAMPLE_MATCHES`] matches of `fts` (in rowid order: any order
    /// unrelated to the sort will do) there are, and how many pass the query's status and
    /// stock filters: the share of the index-only walk's candidates (already of the account)
    /// that fill the page. Reads that many offers (~1 ms).
    async fn sqlite_sample(
        &self,
        pool: &sqlx::SqlitePool,
        query: &ProductQuery,
        fts: &str,
    ) -> Result<(i64, i64)> {
        let filters = ProductQuery {
            text: None,
            account: None,
            ..query.clone()
        };
        let mut q = QueryBuilder::new("SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN 1 = 1");
        push_filters!(q, self, &filters);
        q.push(
            " THEN 1 ELSE 0 END), 0) AS ok FROM (SELECT rowid AS r FROM offers_fts \
             WHERE offers_fts MATCH ",
        )
        .push_bind(fts.to_string())
        .push(" LIMIT ")
        .push_bind(SAMPLE_MATCHES)
        .push(") s CROSS JOIN offers ON offers.rowid = s.r");
        let r = q.build().fetch_one(pool).await?;
        Ok((r.try_get("n")?, r.try_get("ok")?))
    }

    /// [`SqlitePlan::Groups`]: for each sort value from the cursor on, the account's run of
    /// it, read off the sort index by (value, account) and then id; the next value is the
    /// first index entry past the run's value. Past `max_groups` values the rest is collected.
    async fn sqlite_groups(
        &self,
        pool: &sqlx::SqlitePool,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
        max_groups: usize,
    ) -> Result<Vec<ProductRow>> {
        let Some(account) = query.account.as_deref() else {
            return Ok(Vec::new());
        };
        let index = query.sort.sqlite_index();
        let expr = query.sort.expr(self.backend());
        let (dir, past) = if query.descending {
            ("DESC", "<")
        } else {
            ("ASC", ">")
        };
        let text_key = matches!(
            query.sort,
            SortKey::Name | SortKey::PartNumber | SortKey::Changed
        );
        // The sort value as SQLite stores it (text or integer), bound back as it was read so
        // no conversion can make `=` miss.
        // An index entry: its sort value, account and id.
        let entry =
            |r: Option<sqlx::sqlite::SqliteRow>| -> Result<Option<(GroupValue, String, i64)>> {
                let Some(r) = r else { return Ok(None) };
                let v = if text_key {
                    GroupValue::Text(r.try_get("v")?)
                } else {
                    GroupValue::Int(r.try_get("v")?)
                };
                Ok(Some((v, r.try_get("account")?, r.try_get("id")?)))
            };
        // The first index entry after the cursor: its value is the first run to read.
        let mut q = QueryBuilder::new(format!(
            "SELECT {expr} AS v, account, id FROM offers INDEXED BY {index} WHERE 1 = 1"
        ));
        push_keyset!(q, self, query, after);
        q.push(order_by(query, [expr, "account", "id"]));
        q.push(" LIMIT 1");
        let mut head = entry(q.build().fetch_optional(pool).await?)?;
        let checked = ProductQuery {
            account: None,
            ..query.clone()
        };
        let mut rows = Vec::new();
        for _ in 0..max_groups {
            let Some((v, head_account, head_id)) = head.take() else {
                return Ok(rows);
            };
            // Where the account's run of this value lies against the first entry after the
            // cursor (in the walk's direction): before it the run is already paged past; the
            // entry's own account continues from its id; a later account is read whole.
            let order = account.cmp(head_account.as_str());
            let order = if query.descending {
                order.reverse()
            } else {
                order
            };
            if order != std::cmp::Ordering::Less {
                let mut q = QueryBuilder::new(format!(
                    "SELECT {ROW_COLUMNS} FROM offers INDEXED BY {index} WHERE {expr} = "
                ));
                v.push(&mut q);
                q.push(" AND account = ").push_bind(account.to_string());
                if order == std::cmp::Ordering::Equal {
                    q.push(if query.descending {
                        " AND id <= "
                    } else {
                        " AND id >= "
                    })
                    .push_bind(head_id);
                }
                push_filters!(q, self, &checked);
                // By id alone: with the value and account fixed it is the same order, and
                // SQLite sorts the run when the ORDER BY names the indexed expression.
                q.push(format!(" ORDER BY id {dir} LIMIT "))
                    .push_bind(limit - rows.len() as i64);
                rows.extend(fetch_rows!(q, pool)?);
                if rows.len() as i64 >= limit {
                    return Ok(rows);
                }
            }
            let mut q = QueryBuilder::new(format!(
                "SELECT {expr} AS v, account, id FROM offers INDEXED BY {index} WHERE {expr} {past} "
            ));
            v.push(&mut q);
            q.push(order_by(query, [expr, "account", "id"]));
            q.push(" LIMIT 1");
            head = entry(q.build().fetch_optional(pool).await?)?;
        }
        if head.is_none() {
            return Ok(rows);
        }
        // Many values (a name, a price): collecting the rest is cheaper. The values read so
        // far hold no further match of the account after the last row taken.
        let from = rows.last().map(|r| r.cursor(query.sort));
        let rest = Box::pin(self.sqlite_page(
            pool,
            query,
            from.as_ref().or(after),
            limit - rows.len() as i64,
            SqlitePlan::Collect,
            None,
            false,
        ))
        .await?;
        rows.extend(rest);
        Ok(rows)
    }
}

/// A sort value read off a SQLite sort index, to bind in the next query.
enum GroupValue {
    Text(String),
    Int(i64),
}

impl GroupValue {
    fn push(&self, q: &mut QueryBuilder<sqlx::Sqlite>) {
        match self {
            GroupValue::Text(t) => q.push_bind(t.clone()),
            GroupValue::Int(i) => q.push_bind(*i),
        };
    }
}

/// The FTS query SQLite runs for the query's text (None: no text, or none with word characters).
pub(super) fn sqlite_text_match(query: &ProductQuery) -> Option<String> {
    let text = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())?;
    fts_prefix_query(&crate::store::offers::fold_search(text))
}
