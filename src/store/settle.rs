//! Settling runs whose process died: no `running` row outlives its process by more than a
//! minute, whoever reads the runs first (history, stats, the dashboard, the daemon, a new sync).

use super::lock::{STALE_AFTER, advisory_key, local_process_is_gone};
use super::sql::{Pool, Sql};
use super::{Result, Store};
use chrono::{DateTime, Utc};

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
        let sql = Sql::new(
            "SELECT r.id, r.account, r.owner, r.heartbeat_at, \
             (SELECT COUNT(*) FROM sync_locks l WHERE l.account = r.account AND l.run_id = r.id) > 0 \
             AS holds_lock_row FROM sync_runs r WHERE r.status = 'running'",
        );
        let running: Vec<Running> = self.pool.fetch_all(&sql).await?;
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
        if !matches!(self.pool, Pool::Postgres(_)) || !run.holds_lock_row {
            return Ok(false);
        }
        // Both statements on one connection: an advisory lock belongs to its session.
        let mut session = self.pool.acquire().await?;
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
    async fn mark_interrupted(
        &self,
        run_id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
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
