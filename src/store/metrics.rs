//! Aggregates the metrics endpoint reads at each scrape.

use super::sql::Sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};

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

impl Store {
    pub async fn run_totals(&self) -> Result<Vec<RunTotals>> {
        // Postgres sums BIGINT columns as NUMERIC; the casts keep both dialects at i64.
        let sql = Sql::new(
            "SELECT account, mode, status, COUNT(*) AS runs, \
             CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests, \
             CAST(COALESCE(SUM(retries), 0) AS BIGINT) AS retries, \
             CAST(COALESCE(SUM(rate_limited), 0) AS BIGINT) AS rate_limited \
             FROM sync_runs GROUP BY account, mode, status ORDER BY account, mode, status",
        );
        self.pool.fetch_all(&sql).await
    }

    pub async fn run_spans(&self) -> Result<Vec<RunSpan>> {
        let sql = Sql::new(
            "SELECT account, mode, started_at, finished_at FROM sync_runs \
             WHERE status <> 'running' AND finished_at IS NOT NULL ORDER BY id",
        );
        self.pool.fetch_all(&sql).await
    }

    /// (account, state, edits) over every local edit.
    pub async fn edit_totals(&self) -> Result<Vec<(String, String, i64)>> {
        let sql = Sql::new(
            "SELECT account, state, COUNT(*) FROM pending_edits GROUP BY account, state \
             ORDER BY account, state",
        );
        self.pool.fetch_all(&sql).await
    }
}
