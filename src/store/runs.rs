//! Sync runs, their live events and the offer changes they recorded, and the settling of runs
//! whose process died: no `running` row outlives its process by more than a minute, whoever
//! reads the runs first (history, stats, the dashboard, the daemon, a new sync).

use super::lock::{STALE_AFTER, advisory_key};
use super::sql::{Sql, ToArg, Tx};
use super::{Backend, Result, Store};
use crate::model::{
    EventLevel, OfferChange, RunCounts, RunStatus, SyncEvent, SyncMode, SyncOptions, SyncRun,
    Trigger,
};
use crate::process::local_process_is_gone;
use chrono::{DateTime, Utc};

/// `store.runs()`.
#[derive(Clone, Copy)]
pub struct Runs<'a> {
    pub(super) store: &'a Store,
}

/// Runs listing filter (History tab, `magsync history`).
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub account: Option<String>,
    pub mode: Option<SyncMode>,
    pub status: Option<RunStatus>,
    /// Only runs that ended (whatever their status, unless `status` says).
    pub finished: bool,
    pub since: Option<DateTime<Utc>>,
    /// Keyset paging: only runs with a smaller id.
    pub before_id: Option<i64>,
    pub limit: i64,
}

const CHANGE_COLUMNS: &str = "run_id, account, offer_id, field, old_value, new_value, at";

impl Runs<'_> {
    /// Creates the run row, committed as `running` before any request is made.
    pub async fn create(
        self,
        account: &str,
        options: &SyncOptions,
        trigger: Trigger,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<SyncRun> {
        let insert = Sql::new(
            "INSERT INTO sync_runs (account, mode, trigger, status, options, started_at, heartbeat_at, owner) \
             VALUES ($1, $2, $3, 'running', $4, $5, $5, $6) RETURNING id",
        )
        .bind(account)
        .bind(options.mode.as_str())
        .bind(trigger.as_str())
        .bind(super::sql::Arg::json(options)?)
        .bind(now)
        .bind(owner);
        // All rows, not the first: SQLite commits the insert when the statement finishes,
        // and an id read before that (a full disk failing the commit) names no stored run.
        let rows: Vec<(i64,)> = self.store.pool.fetch_all(&insert).await?;
        let id = rows.first().ok_or(sqlx::Error::RowNotFound)?.0;
        // Every run id shown to anyone is a stored run: it is read back as stored.
        self.get(id).await?.ok_or(sqlx::Error::RowNotFound)
    }

    /// Records how many offers eMAG counted for the run's filter, once the count is known.
    pub async fn set_offers_expected(self, run_id: i64, expected: i64) -> Result<()> {
        let sql = Sql::new("UPDATE sync_runs SET offers_expected = $1 WHERE id = $2");
        self.store
            .writer()
            .execute(&sql.bind(expected).bind(run_id))
            .await?;
        Ok(())
    }

    /// Persists live progress and the heartbeat (of the run and of its account lock).
    pub async fn update_progress(
        self,
        run_id: i64,
        counts: &RunCounts,
        next_page: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.store.writer().begin().await?;
        tx.execute(&counts_update(run_id, counts, next_page, now, None))
            .await?;
        let lock = Sql::new("UPDATE sync_locks SET heartbeat_at = $1 WHERE run_id = $2");
        tx.execute(&lock.bind(now).bind(run_id)).await?;
        tx.commit().await
    }

    /// Ends a run. Called in its own statement so a failure elsewhere never loses the row.
    pub async fn finish(
        self,
        run_id: i64,
        status: RunStatus,
        counts: &RunCounts,
        next_page: Option<i64>,
        error_summary: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let finish = Some((status, error_summary));
        self.store
            .writer()
            .execute(&counts_update(run_id, counts, next_page, now, finish))
            .await?;
        // A first sync can grow the store from nothing to a million offers.
        self.store.optimize().await;
        Ok(())
    }

    /// Appends several events of one run in one statement (per 1,000 on SQLite): the engine
    /// flushes its event queue twice a second, so a 2,000-page run does not cost 2,000
    /// separate writes.
    pub async fn add_events(
        self,
        run_id: i64,
        events: &[(EventLevel, String, DateTime<Utc>)],
    ) -> Result<()> {
        let rows = events
            .iter()
            .map(|(level, message, at)| {
                let level = level.as_str();
                vec![
                    run_id.to_arg(),
                    at.to_arg(),
                    level.to_arg(),
                    message.as_str().to_arg(),
                ]
            })
            .collect();
        let head = "INSERT INTO sync_events (run_id, at, level, message)";
        for sql in Sql::inserts(self.store.backend(), head, rows, "", 1_000) {
            self.store.writer().execute(&sql).await?;
        }
        Ok(())
    }

    /// Events of a run after `after_id` (0 = from the start), oldest first; the log pane tails
    /// this by passing the last id it has.
    pub async fn events(self, run_id: i64, after_id: i64, limit: i64) -> Result<Vec<SyncEvent>> {
        let sql = Sql::new(
            "SELECT id, run_id, at, level, message FROM sync_events \
             WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        );
        self.store
            .pool
            .fetch_all(&sql.bind(run_id).bind(after_id).bind(limit))
            .await
    }

    pub async fn get(self, run_id: i64) -> Result<Option<SyncRun>> {
        let sql = Sql::new("SELECT * FROM sync_runs WHERE id = $1");
        self.store.pool.fetch_optional(&sql.bind(run_id)).await
    }

    /// Runs newest first; at most `limit` (0: 100).
    pub async fn list(self, f: &RunFilter) -> Result<Vec<SyncRun>> {
        let mut sql = Sql::new("SELECT * FROM sync_runs WHERE 1 = 1");
        if let Some(a) = &f.account {
            sql.push(" AND account = ").push_bind(a.as_str());
        }
        if let Some(m) = f.mode {
            sql.push(" AND mode = ").push_bind(m.as_str());
        }
        if let Some(s) = f.status {
            sql.push(" AND status = ").push_bind(s.as_str());
        }
        if f.finished {
            sql.push(" AND status <> 'running'");
        }
        if let Some(t) = f.since {
            sql.push(" AND started_at >= ").push_bind(t);
        }
        if let Some(b) = f.before_id {
            sql.push(" AND id < ").push_bind(b);
        }
        let limit = if f.limit > 0 { f.limit } else { 100 };
        sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        self.store.pool.fetch_all(&sql).await
    }

    pub async fn running(self) -> Result<Vec<SyncRun>> {
        self.list(&RunFilter {
            status: Some(RunStatus::Running),
            limit: 1000,
            ..Default::default()
        })
        .await
    }

    /// The newest run of an account, optionally of one mode and/or status.
    pub async fn last(
        self,
        account: &str,
        mode: Option<SyncMode>,
        status: Option<RunStatus>,
    ) -> Result<Option<SyncRun>> {
        let filter = RunFilter {
            account: Some(account.to_string()),
            mode,
            status,
            limit: 1,
            ..RunFilter::default()
        };
        Ok(self.list(&filter).await?.pop())
    }

    /// Changes recorded by a run, in the order they were made.
    pub async fn changes_of_run(self, run_id: i64, limit: i64) -> Result<Vec<OfferChange>> {
        let sql = Sql::new(format!(
            "SELECT {CHANGE_COLUMNS} FROM offer_changes WHERE run_id = $1 ORDER BY id LIMIT $2"
        ));
        self.store
            .pool
            .fetch_all(&sql.bind(run_id).bind(limit))
            .await
    }

    /// The latest changes of one offer, newest first.
    pub async fn changes_of_offer(
        self,
        account: &str,
        offer_id: i64,
        limit: i64,
    ) -> Result<Vec<OfferChange>> {
        let sql = Sql::new(format!(
            "SELECT {CHANGE_COLUMNS} FROM offer_changes \
             WHERE account = $1 AND offer_id = $2 ORDER BY id DESC LIMIT $3"
        ));
        self.store
            .pool
            .fetch_all(&sql.bind(account).bind(offer_id).bind(limit))
            .await
    }

    /// Deletes finished runs of an account started before `cutoff`, with their events and
    /// changes; returns how many runs went.
    pub async fn delete_before(self, account: &str, cutoff: DateTime<Utc>) -> Result<u64> {
        let finished = "SELECT id FROM sync_runs \
            WHERE account = $1 AND started_at < $2 AND status <> 'running'";
        let mut tx = self.store.pool.begin().await?;
        for table in ["offer_changes", "sync_events"] {
            let sql = Sql::new(format!("DELETE FROM {table} WHERE run_id IN ({finished})"));
            tx.execute(&sql.bind(account).bind(cutoff)).await?;
        }
        let sql = Sql::new(
            "DELETE FROM sync_runs WHERE account = $1 AND started_at < $2 AND status <> 'running'",
        );
        let n = tx.execute(&sql.bind(account).bind(cutoff)).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Adds to a run's conflict counters: conflicts, eMAG won, local won, manual, edits
    /// cancelled, edits confirmed.
    pub async fn add_conflict_counts(self, run_id: i64, c: [i64; 6]) -> Result<()> {
        let sql = Sql::new(
            "UPDATE sync_runs SET conflicts = conflicts + $2, conflicts_emag_won = conflicts_emag_won + $3, \
             conflicts_local_won = conflicts_local_won + $4, conflicts_manual = conflicts_manual + $5, \
             edits_cancelled = edits_cancelled + $6, edits_confirmed = edits_confirmed + $7 WHERE id = $1",
        );
        let sql = c.into_iter().fold(sql.bind(run_id), Sql::bind);
        self.store.pool.execute(&sql).await.map(drop)
    }

    /// A run's conflict counters, in the order of [`Runs::add_conflict_counts`]; None for an
    /// unknown run.
    pub async fn conflict_counts(self, run_id: i64) -> Result<Option<[i64; 6]>> {
        let sql = Sql::new(
            "SELECT conflicts, conflicts_emag_won, conflicts_local_won, conflicts_manual, \
             edits_cancelled, edits_confirmed FROM sync_runs WHERE id = $1",
        );
        let row: Option<(i64, i64, i64, i64, i64, i64)> =
            self.store.pool.fetch_optional(&sql.bind(run_id)).await?;
        Ok(row.map(|(a, b, c, d, e, f)| [a, b, c, d, e, f]))
    }

    /// Marks as failed ("interrupted") every `running` run whose process is gone: its owner is
    /// a process of this host that no longer exists, or its heartbeat is older than
    /// [`STALE_AFTER`] and it does not hold its account's lock. Frees their lock rows and
    /// returns their ids. Cheap when nothing runs: one indexed read of `running` rows.
    pub async fn settle_dead(self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        let cutoff = now - chrono::Duration::from_std(STALE_AFTER).expect("small duration");
        self.settle_dead_before(cutoff, now).await
    }

    /// [`Runs::settle_dead`] with the daemon's own staleness `cutoff`.
    pub async fn settle_dead_before(
        self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let sql = Sql::new(
            "SELECT r.id, r.account, r.owner, r.heartbeat_at, \
             (SELECT COUNT(*) FROM sync_locks l WHERE l.account = r.account AND l.run_id = r.id) > 0 \
             AS holds_lock_row FROM sync_runs r WHERE r.status = 'running'",
        );
        let running: Vec<Running> = self.store.pool.fetch_all(&sql).await?;
        let mut settled = Vec::new();
        for run in running {
            let reason = if run.owner.as_deref().is_some_and(local_process_is_gone) {
                format!(
                    "interrupted: its process ({}) is gone",
                    run.owner.as_deref().unwrap_or_default()
                )
            } else if run.heartbeat_at < cutoff && !self.lock_still_held(&run).await? {
                "interrupted: the process running it stopped without finishing".to_string()
            } else {
                continue;
            };
            if self.mark_interrupted(run.id, &reason, now).await? {
                settled.push(run.id);
            }
        }
        if !settled.is_empty() {
            tracing::warn!(target: "magsync::sync", ids = ?settled, "marked interrupted runs as failed");
        }
        Ok(settled)
    }

    /// [`Runs::settle_dead`] for readers, which show what they can even when the settling
    /// cannot write (a read-only or full disk).
    pub async fn settle_dead_quietly(self) {
        if let Err(e) = self.settle_dead(Utc::now()).await {
            tracing::warn!(target: "magsync::sync", "cannot settle interrupted runs: {}", super::short_db_error(&e));
        }
    }

    /// Postgres: a run that still holds its account's advisory lock is alive, however old its
    /// heartbeat (a stalled database write). SQLite's lock is its row, as stale as the run.
    async fn lock_still_held(self, run: &Running) -> Result<bool> {
        if self.store.backend() == Backend::Sqlite || !run.holds_lock_row {
            return Ok(false);
        }
        // Both statements on one connection: an advisory lock belongs to its session.
        let mut session = self.store.pool.acquire().await?;
        let key = advisory_key(&run.account);
        let try_lock = Sql::new("SELECT pg_try_advisory_lock($1)").bind(key);
        let got: bool = session.conn().scalar(&try_lock).await?;
        if got {
            let unlock = Sql::new("SELECT pg_advisory_unlock($1)").bind(key);
            session.conn().execute(&unlock).await?;
        }
        Ok(!got)
    }

    /// Fails one `running` run, frees its lock row and records why; false when the run had
    /// finished meanwhile.
    async fn mark_interrupted(self, run_id: i64, reason: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.store.pool.begin().await?;
        let fail = Sql::new(
            "UPDATE sync_runs SET status = 'failed', finished_at = $1, \
             error_summary = COALESCE(error_summary || '; ', '') || $2 \
             WHERE id = $3 AND status = 'running'",
        );
        let n = tx
            .execute(&fail.bind(now).bind(reason).bind(run_id))
            .await?;
        if n == 1 {
            let unlock = Sql::new("DELETE FROM sync_locks WHERE run_id = $1").bind(run_id);
            tx.execute(&unlock).await?;
            let event = Sql::new(
                "INSERT INTO sync_events (run_id, at, level, message) VALUES ($1, $2, 'error', $3)",
            );
            let message = format!("run {reason}; marked failed");
            tx.execute(&event.bind(run_id).bind(now).bind(message))
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }
}

/// A `running` run as the settling needs it.
#[derive(sqlx::FromRow)]
struct Running {
    id: i64,
    account: String,
    owner: Option<String>,
    heartbeat_at: DateTime<Utc>,
    /// The account's lock row names this run.
    holds_lock_row: bool,
}

/// The statement that writes a run's counters (and, when it finishes, its outcome).
fn counts_update(
    run_id: i64,
    c: &RunCounts,
    next_page: Option<i64>,
    now: DateTime<Utc>,
    finish: Option<(RunStatus, Option<&str>)>,
) -> Sql {
    let mut sql = Sql::new("UPDATE sync_runs SET heartbeat_at = ");
    sql.push_bind(now);
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
        sql.push(&format!(", {col} = ")).push_bind(v);
    }
    sql.push(", pages_total = ").push_bind(c.pages_total);
    sql.push(", next_page = ").push_bind(next_page);
    if let Some((status, summary)) = finish {
        sql.push(", status = ").push_bind(status.as_str());
        sql.push(", finished_at = ").push_bind(now);
        sql.push(", error_summary = ").push_bind(summary);
    }
    sql.push(" WHERE id = ").push_bind(run_id);
    if finish.is_none() {
        // Progress written after the run's end (a last flush) must not undo its final
        // counts and cursor.
        sql.push(" AND status = 'running'");
    }
    sql
}

/// Records field changes in the caller's transaction (2,000 rows a statement on SQLite).
pub(crate) async fn insert_changes(tx: &mut Tx, changes: &[OfferChange]) -> Result<()> {
    let rows = changes
        .iter()
        .map(|c| {
            vec![
                c.run_id.to_arg(),
                c.account.as_str().to_arg(),
                c.offer_id.to_arg(),
                c.field.as_str().to_arg(),
                c.old_value.as_deref().to_arg(),
                c.new_value.as_deref().to_arg(),
                c.at.to_arg(),
            ]
        })
        .collect();
    let head = format!("INSERT INTO offer_changes ({CHANGE_COLUMNS})");
    for sql in Sql::inserts(tx.backend(), &head, rows, "", 2_000) {
        tx.execute(&sql).await?;
    }
    Ok(())
}
