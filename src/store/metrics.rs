//! Aggregates the metrics endpoint reads at each scrape.

use super::{Result, Store, on_pool};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Runs of one account, mode and status, with their summed counters.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpan {
    pub account: String,
    pub mode: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

impl Store {
    pub async fn run_totals(&self) -> Result<Vec<RunTotals>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                // Postgres sums BIGINT columns as NUMERIC; the casts keep both dialects at i64.
                "SELECT account, mode, status, COUNT(*) AS runs, \
                 CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests, \
                 CAST(COALESCE(SUM(retries), 0) AS BIGINT) AS retries, \
                 CAST(COALESCE(SUM(rate_limited), 0) AS BIGINT) AS rate_limited \
                 FROM sync_runs GROUP BY account, mode, status ORDER BY account, mode, status",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(RunTotals {
                        account: r.try_get("account")?,
                        mode: r.try_get("mode")?,
                        status: r.try_get("status")?,
                        runs: r.try_get("runs")?,
                        requests: r.try_get("requests")?,
                        retries: r.try_get("retries")?,
                        rate_limited: r.try_get("rate_limited")?,
                    })
                })
                .collect()
        })
    }

    pub async fn run_spans(&self) -> Result<Vec<RunSpan>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT account, mode, started_at, finished_at FROM sync_runs \
                 WHERE status <> 'running' AND finished_at IS NOT NULL ORDER BY id",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(RunSpan {
                        account: r.try_get("account")?,
                        mode: r.try_get("mode")?,
                        started_at: r.try_get("started_at")?,
                        finished_at: r.try_get("finished_at")?,
                    })
                })
                .collect()
        })
    }

    /// (account, state, edits) over every local edit.
    pub async fn edit_totals(&self) -> Result<Vec<(String, String, i64)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT account, state, COUNT(*) AS n FROM pending_edits GROUP BY account, state ORDER BY account, state",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("account")?, r.try_get("state")?, r.try_get("n")?)))
                .collect()
        })
    }
}
