//! What the health checks, the alerts, the mass-missing guard and the metrics endpoint read:
//! live offer counts, edits waiting, the open alert incident of each
//! account, and the aggregates of each scrape.

use super::sql::Sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};

/// `store.health()`.
#[derive(Clone, Copy)]
pub struct Health<'a> {
    pub(super) store: &'a Store,
}

/// Edits that wait on a person: pending ones older than a cutoff, and conflicts.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct EditsWaiting {
    pub pending_old: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
    pub conflicts: i64,
}

/// The alert the daemon last sent for an account, until it recovers.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Incident {
    pub account: String,
    pub level: String,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub notified_at: DateTime<Utc>,
}

/// Runs of one account, mode and status, with their summed counters.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunTotals {
    pub account: String,
    pub mode: String,
    pub status: String,
    pub runs: i64,
    pub requests: i64,
    pub retries: i64,
    pub rate_limited: i64,
}

/// A finished run's span, for the duration histogram.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunSpan {
    pub account: String,
    pub mode: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

impl Health<'_> {
    /// Offers of an account not flagged missing, of one status when given: what a complete
    /// scan with that filter should list.
    pub async fn live_offer_count(
        self,
        account: &str,
        status: Option<crate::model::OfferStatus>,
    ) -> Result<i64> {
        let mut sql =
            Sql::new("SELECT COUNT(*) FROM offers WHERE missing_since IS NULL AND account = ");
        sql.push_bind(account);
        if let Some(s) = status {
            sql.push(" AND status = ").push_bind(s);
        }
        self.store.pool.scalar(&sql).await
    }

    /// Pending edits last edited before `cutoff`, and conflicts, of an account.
    pub async fn edits_waiting(self, account: &str, cutoff: DateTime<Utc>) -> Result<EditsWaiting> {
        let sql = Sql::new(
            "SELECT \
             COALESCE(SUM(CASE WHEN state = 'pending' AND edited_at < $2 THEN 1 ELSE 0 END), 0) AS pending_old, \
             (SELECT edited_at FROM pending_edits WHERE account = $1 AND state = 'pending' \
             ORDER BY edited_at LIMIT 1) AS oldest_pending, \
             COALESCE(SUM(CASE WHEN state = 'conflict' THEN 1 ELSE 0 END), 0) AS conflicts \
             FROM pending_edits WHERE account = $1",
        );
        self.store
            .pool
            .fetch_one(&sql.bind(account).bind(cutoff))
            .await
    }

    pub async fn open_incident(self, account: &str) -> Result<Option<Incident>> {
        let sql = Sql::new(
            "SELECT account, level, reason, opened_at, notified_at FROM alert_incidents WHERE account = $1",
        );
        self.store.pool.fetch_optional(&sql.bind(account)).await
    }

    /// Opens (or, escalated, updates) an account's incident; `opened_at` is kept on update.
    pub async fn save_incident(
        self,
        account: &str,
        level: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = Sql::new(
            "INSERT INTO alert_incidents (account, level, reason, opened_at, notified_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account) DO UPDATE SET \
             level = excluded.level, reason = excluded.reason, notified_at = excluded.notified_at",
        );
        let sql = sql.bind(account).bind(level).bind(reason).bind(now);
        self.store.pool.execute(&sql).await.map(drop)
    }

    /// Closes an account's incident; true when there was one.
    pub async fn close_incident(self, account: &str) -> Result<bool> {
        let sql = Sql::new("DELETE FROM alert_incidents WHERE account = $1").bind(account);
        Ok(self.store.pool.execute(&sql).await? > 0)
    }

    pub async fn run_totals(self) -> Result<Vec<RunTotals>> {
        // Postgres sums BIGINT columns as NUMERIC; the casts keep both dialects at i64.
        let sql = Sql::new(
            "SELECT account, mode, status, COUNT(*) AS runs, \
             CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests, \
             CAST(COALESCE(SUM(retries), 0) AS BIGINT) AS retries, \
             CAST(COALESCE(SUM(rate_limited), 0) AS BIGINT) AS rate_limited \
             FROM sync_runs GROUP BY account, mode, status ORDER BY account, mode, status",
        );
        self.store.pool.fetch_all(&sql).await
    }

    pub async fn run_spans(self) -> Result<Vec<RunSpan>> {
        let sql = Sql::new(
            "SELECT account, mode, started_at, finished_at FROM sync_runs \
             WHERE status <> 'running' AND finished_at IS NOT NULL ORDER BY id",
        );
        self.store.pool.fetch_all(&sql).await
    }

    /// (account, state, edits) over every local edit.
    pub async fn edit_totals(self) -> Result<Vec<(String, String, i64)>> {
        let sql = Sql::new(
            "SELECT account, state, COUNT(*) FROM pending_edits GROUP BY account, state \
             ORDER BY account, state",
        );
        self.store.pool.fetch_all(&sql).await
    }
}
