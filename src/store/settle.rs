//! Settling runs whose process died: no `running` row outlives its process by more than a
//! minute, whoever reads the runs first (history, stats, the dashboard, the daemon, a new sync).

use super::lock::{STALE_AFTER, advisory_key, local_process_is_gone};
use super::{Pool, Result, Store, on_pool};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A `running` run as the settling needs it.
struct Running {
    id: i64,
    account: String,
    owner: Option<String>,
    heartbeat_at: DateTime<Utc>,
    /// The account's lock row names this run.
    holds_lock_row: bool,
}

impl Store {
    /// Marks as failed ("interrupted") every `running` run whose process is gone: its owner is
    /// a process of this host that no longer exists, or its heartbeat is older than
    /// [`STALE_AFTER`] and it does not hold its account's lock. Frees their lock rows and
    /// returns their ids. Cheap when nothing runs: one indexed read of `running` rows.
    pub async fn settle_dead_runs(&self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        let cutoff = now - chrono::Duration::from_std(STALE_AFTER).expect("small duration");
        self.settle_dead_runs_before(cutoff, now).await
    }

    /// [`Store::settle_dead_runs`] with the daemon's own staleness `cutoff`.
    pub async fn settle_dead_runs_before(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let running: Vec<Running> = on_pool!(self, pool => {
            sqlx::query(
                "SELECT r.id, r.account, r.owner, r.heartbeat_at, \
                 (SELECT COUNT(*) FROM sync_locks l WHERE l.account = r.account AND l.run_id = r.id) AS held \
                 FROM sync_runs r WHERE r.status = 'running'",
            )
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Running {
                    id: r.try_get("id")?,
                    account: r.try_get("account")?,
                    owner: r.try_get("owner")?,
                    heartbeat_at: r.try_get("heartbeat_at")?,
                    holds_lock_row: r.try_get::<i64, _>("held")? > 0,
                })
            })
            .collect::<Result<_>>()?
        });
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

    /// [`Store::settle_dead_runs`] for readers, which show what they can even when the settling
    /// cannot write (a read-only or full disk).
    pub async fn settle_dead_runs_quietly(&self) {
        if let Err(e) = self.settle_dead_runs(Utc::now()).await {
            tracing::warn!(target: "magsync::sync", "cannot settle interrupted runs: {}", super::short_db_error(&e));
        }
    }

    /// Postgres: a run that still holds its account's advisory lock is alive, however old its
    /// heartbeat (a stalled database write). SQLite's lock is its row, as stale as the run.
    async fn lock_still_held(&self, run: &Running) -> Result<bool> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(false);
        };
        if !run.holds_lock_row {
            return Ok(false);
        }
        let mut conn = pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(advisory_key(&run.account))
            .fetch_one(&mut *conn)
            .await?;
        if got {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(advisory_key(&run.account))
                .execute(&mut *conn)
                .await?;
        }
        Ok(!got)
    }

    /// Fails one `running` run, frees its lock row and records why; false when the run had
    /// finished meanwhile.
    async fn mark_interrupted(
        &self,
        run_id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE sync_runs SET status = 'failed', finished_at = $1, \
                 error_summary = COALESCE(error_summary || '; ', '') || $2 \
                 WHERE id = $3 AND status = 'running'",
            )
            .bind(now)
            .bind(reason)
            .bind(run_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM sync_locks WHERE run_id = $1")
                    .bind(run_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO sync_events (run_id, at, level, message) VALUES ($1, $2, 'error', $3)",
                )
                .bind(run_id)
                .bind(now)
                .bind(format!("run {reason}; marked failed"))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }
}
