//! Sync runs, their live events and the offer changes they recorded.

use super::{Result, Store, on_pool, on_write_pool};
use crate::model::{
    EventLevel, OfferChange, RunCounts, RunStatus, SyncEvent, SyncMode, SyncOptions, SyncRun,
    Trigger,
};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};

/// Runs listing filter (History tab, `magsync history`).
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub account: Option<String>,
    pub status: Option<RunStatus>,
    pub since: Option<DateTime<Utc>>,
    /// Keyset paging: only runs with a smaller id.
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub(super) const RUN_COLUMNS: &str = "id, account, mode, trigger, status, options, started_at, finished_at, \
    heartbeat_at, pages_done, pages_total, requests, retries, rate_limited, offers_seen, created, \
    updated, unchanged, removed, failed, next_page, error_summary, offers_expected";

impl Store {
    /// Creates the run row, committed as `running` before any request is made.
    pub async fn create_run(
        &self,
        account: &str,
        options: &SyncOptions,
        trigger: Trigger,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<SyncRun> {
        let id: i64 = on_pool!(self, pool => {
            // All rows, not the first: SQLite commits the insert when the statement finishes,
            // and an id read before that (a full disk failing the commit) names no stored run.
            let rows = sqlx::query(
                "INSERT INTO sync_runs (account, mode, trigger, status, options, started_at, heartbeat_at, owner) \
                 VALUES ($1, $2, $3, 'running', $4, $5, $5, $6) RETURNING id",
            )
            .bind(account)
            .bind(options.mode.as_str())
            .bind(trigger.as_str())
            .bind(Json(options))
            .bind(now)
            .bind(owner)
            .fetch_all(pool)
            .await?;
            let id: i64 = rows.first().ok_or(sqlx::Error::RowNotFound)?.try_get("id")?;
            // Every run id shown to anyone is a stored run.
            sqlx::query("SELECT id FROM sync_runs WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?;
            id
        });
        Ok(SyncRun {
            id,
            account: account.to_string(),
            mode: options.mode,
            trigger,
            status: RunStatus::Running,
            options: options.clone(),
            started_at: now,
            finished_at: None,
            heartbeat_at: now,
            counts: RunCounts::default(),
            next_page: None,
            error_summary: None,
            offers_expected: None,
        })
    }

    /// Records how many offers eMAG counted for the run's filter, once the count is known.
    pub async fn set_offers_expected(&self, run_id: i64, expected: i64) -> Result<()> {
        on_write_pool!(self, pool => {
            sqlx::query("UPDATE sync_runs SET offers_expected = $1 WHERE id = $2")
                .bind(expected)
                .bind(run_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Persists live progress and the heartbeat (of the run and of its account lock).
    pub async fn update_progress(
        &self,
        run_id: i64,
        counts: &RunCounts,
        next_page: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_write_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            counts_update(run_id, counts, next_page, now, None)
                .build()
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE sync_locks SET heartbeat_at = $1 WHERE run_id = $2")
                .bind(now)
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Ends a run. Called in its own statement so a failure elsewhere never loses the row.
    pub async fn finish_run(
        &self,
        run_id: i64,
        status: RunStatus,
        counts: &RunCounts,
        next_page: Option<i64>,
        error_summary: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_write_pool!(self, pool => {
            counts_update(run_id, counts, next_page, now, Some((status, error_summary)))
                .build()
                .execute(pool)
                .await?;
        });
        // A first sync can grow the store from nothing to a million offers.
        self.optimize().await;
        Ok(())
    }

    pub async fn add_event(
        &self,
        run_id: i64,
        level: EventLevel,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        on_write_pool!(self, pool => {
            Ok(sqlx::query(
                "INSERT INTO sync_events (run_id, at, level, message) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(run_id)
            .bind(now)
            .bind(level.as_str())
            .bind(message)
            .fetch_one(pool)
            .await?
            .try_get("id")?)
        })
    }

    /// Events of a run after `after_id` (0 = from the start), oldest first; the log pane tails
    /// this by passing the last id it has.
    pub async fn events(&self, run_id: i64, after_id: i64, limit: i64) -> Result<Vec<SyncEvent>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, run_id, at, level, message FROM sync_events \
                 WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(run_id)
            .bind(after_id)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(SyncEvent {
                        id: r.try_get("id")?,
                        run_id: r.try_get("run_id")?,
                        at: r.try_get("at")?,
                        level: parse_col(r.try_get::<String, _>("level")?)?,
                        message: r.try_get("message")?,
                    })
                })
                .collect()
        })
    }

    pub async fn get_run(&self, run_id: i64) -> Result<Option<SyncRun>> {
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {RUN_COLUMNS} FROM sync_runs WHERE id = $1")))
                .bind(run_id)
                .fetch_optional(pool)
                .await?;
            row.map(|r| run_from_row(&r)).transpose()
        })
    }

    /// Runs newest first.
    pub async fn list_runs(&self, f: &RunFilter) -> Result<Vec<SyncRun>> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new(format!("SELECT {RUN_COLUMNS} FROM sync_runs WHERE 1 = 1"));
            if let Some(a) = &f.account {
                q.push(" AND account = ").push_bind(a.clone());
            }
            if let Some(s) = f.status {
                q.push(" AND status = ").push_bind(s.as_str());
            }
            if let Some(t) = f.since {
                q.push(" AND started_at >= ").push_bind(t);
            }
            if let Some(b) = f.before_id {
                q.push(" AND id < ").push_bind(b);
            }
            q.push(" ORDER BY id DESC LIMIT ").push_bind(if f.limit > 0 { f.limit } else { 100 });
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(run_from_row).collect()
        })
    }

    pub async fn running_runs(&self) -> Result<Vec<SyncRun>> {
        self.list_runs(&RunFilter {
            status: Some(RunStatus::Running),
            limit: 1000,
            ..Default::default()
        })
        .await
    }

    /// The newest run of an account, optionally of one mode and/or status.
    pub async fn last_run(
        &self,
        account: &str,
        mode: Option<SyncMode>,
        status: Option<RunStatus>,
    ) -> Result<Option<SyncRun>> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new(format!("SELECT {RUN_COLUMNS} FROM sync_runs WHERE account = "));
            q.push_bind(account);
            if let Some(m) = mode {
                q.push(" AND mode = ").push_bind(m.as_str());
            }
            if let Some(s) = status {
                q.push(" AND status = ").push_bind(s.as_str());
            }
            q.push(" ORDER BY id DESC LIMIT 1");
            let row = q.build().fetch_optional(pool).await?;
            row.map(|r| run_from_row(&r)).transpose()
        })
    }

    /// Changes recorded by a run, in the order they were made.
    pub async fn changes_of_run(&self, run_id: i64, limit: i64) -> Result<Vec<OfferChange>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT run_id, account, offer_id, field, old_value, new_value, at FROM offer_changes \
                 WHERE run_id = $1 ORDER BY id LIMIT $2",
            )
            .bind(run_id)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter().map(change_from_row).collect()
        })
    }

    /// The latest changes of one offer, newest first.
    pub async fn changes_of_offer(
        &self,
        account: &str,
        offer_id: i64,
        limit: i64,
    ) -> Result<Vec<OfferChange>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT run_id, account, offer_id, field, old_value, new_value, at FROM offer_changes \
                 WHERE account = $1 AND offer_id = $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(account)
            .bind(offer_id)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter().map(change_from_row).collect()
        })
    }

    /// Deletes finished runs of an account started before `cutoff`, with their events and
    /// changes; returns how many runs went.
    pub async fn delete_runs_before(&self, account: &str, cutoff: DateTime<Utc>) -> Result<u64> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "DELETE FROM offer_changes WHERE run_id IN (SELECT id FROM sync_runs \
                 WHERE account = $1 AND started_at < $2 AND status <> 'running')",
            )
            .bind(account)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM sync_events WHERE run_id IN (SELECT id FROM sync_runs \
                 WHERE account = $1 AND started_at < $2 AND status <> 'running')",
            )
            .bind(account)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
            let n = sqlx::query("DELETE FROM sync_runs WHERE account = $1 AND started_at < $2 AND status <> 'running'")
                .bind(account)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n)
        })
    }
}

fn counts_update<DB: sqlx::Database>(
    run_id: i64,
    c: &RunCounts,
    next_page: Option<i64>,
    now: DateTime<Utc>,
    finish: Option<(RunStatus, Option<&str>)>,
) -> QueryBuilder<DB>
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut q = QueryBuilder::new("UPDATE sync_runs SET heartbeat_at = ");
    q.push_bind(now);
    for (col, v) in [
        ("pages_done", c.pages_done),
        ("requests", c.requests),
        ("retries", c.retries),
        ("rate_limited", c.rate_limited),
        ("offers_seen", c.offers_seen),
        ("created", c.created),
        ("updated", c.updated),
        ("unchanged", c.unchanged),
        ("removed", c.removed),
        ("failed", c.failed),
    ] {
        q.push(format!(", {col} = ")).push_bind(v);
    }
    q.push(", pages_total = ").push_bind(c.pages_total);
    q.push(", next_page = ").push_bind(next_page);
    if let Some((status, summary)) = finish {
        q.push(", status = ").push_bind(status.as_str().to_string());
        q.push(", finished_at = ").push_bind(now);
        q.push(", error_summary = ")
            .push_bind(summary.map(str::to_string));
    }
    q.push(" WHERE id = ").push_bind(run_id);
    if finish.is_none() {
        // Progress written after the run's end (a last flush) must not undo its final
        // counts and cursor.
        q.push(" AND status = 'running'");
    }
    q
}

pub(crate) async fn insert_changes<'c, DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'c, DB>,
    changes: &[OfferChange],
) -> Result<()>
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q mut DB::Connection: sqlx::Executor<'q, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    for chunk in changes.chunks(2_000) {
        let mut q = QueryBuilder::<DB>::new(
            "INSERT INTO offer_changes (run_id, account, offer_id, field, old_value, new_value, at) ",
        );
        q.push_values(chunk, |mut b, c| {
            b.push_bind(c.run_id)
                .push_bind(c.account.clone())
                .push_bind(c.offer_id)
                .push_bind(c.field.clone())
                .push_bind(c.old_value.clone())
                .push_bind(c.new_value.clone())
                .push_bind(c.at);
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn parse_col<T: std::str::FromStr<Err = String>>(s: String) -> Result<T> {
    s.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))
}

fn change_from_row<R: Row>(r: &R) -> Result<OfferChange>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(OfferChange {
        run_id: r.try_get("run_id")?,
        account: r.try_get("account")?,
        offer_id: r.try_get("offer_id")?,
        field: r.try_get("field")?,
        old_value: r.try_get("old_value")?,
        new_value: r.try_get("new_value")?,
        at: r.try_get("at")?,
    })
}

pub(super) fn run_from_row<R: Row>(r: &R) -> Result<SyncRun>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<DateTime<Utc>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<SyncOptions>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(SyncRun {
        id: r.try_get("id")?,
        account: r.try_get("account")?,
        mode: parse_col(r.try_get::<String, _>("mode")?)?,
        trigger: parse_col(r.try_get::<String, _>("trigger")?)?,
        status: parse_col(r.try_get::<String, _>("status")?)?,
        options: r.try_get::<Json<SyncOptions>, _>("options")?.0,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        heartbeat_at: r.try_get("heartbeat_at")?,
        counts: RunCounts {
            pages_done: r.try_get("pages_done")?,
            pages_total: r.try_get("pages_total")?,
            requests: r.try_get("requests")?,
            retries: r.try_get("retries")?,
            rate_limited: r.try_get("rate_limited")?,
            offers_seen: r.try_get("offers_seen")?,
            created: r.try_get("created")?,
            updated: r.try_get("updated")?,
            unchanged: r.try_get("unchanged")?,
            removed: r.try_get("removed")?,
            failed: r.try_get("failed")?,
        },
        next_page: r.try_get("next_page")?,
        error_summary: r.try_get("error_summary")?,
        offers_expected: r.try_get("offers_expected")?,
    })
}
