//! What the health checks, the alerts and the mass-missing guard read: completed runs of a
//! mode, live offer counts, edits waiting, and the open alert incident of each account.

use super::runs::{RUN_COLUMNS, run_from_row};
use super::{Result, Store, on_pool};
use crate::model::{SyncMode, SyncRun};
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row};

/// Edits that wait on a person: pending ones older than a cutoff, and conflicts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EditsWaiting {
    pub pending_old: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
    pub conflicts: i64,
}

/// The alert the daemon last sent for an account, until it recovers.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub account: String,
    pub level: String,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub notified_at: DateTime<Utc>,
}

impl Store {
    /// Finished runs of an account (of one mode, when given; only completed ones when asked),
    /// newest first.
    pub async fn finished_runs(
        &self,
        account: &str,
        mode: Option<SyncMode>,
        completed_only: bool,
        limit: i64,
    ) -> Result<Vec<SyncRun>> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new(format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs WHERE status <> 'running' AND account = "
            ));
            q.push_bind(account);
            if let Some(m) = mode {
                q.push(" AND mode = ").push_bind(m.as_str());
            }
            if completed_only {
                q.push(" AND status = 'completed'");
            }
            q.push(" ORDER BY id DESC LIMIT ").push_bind(limit.max(1));
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(run_from_row).collect()
        })
    }

    /// Offers of an account not flagged missing, of one status when given: what a complete
    /// scan with that filter should list.
    pub async fn live_offer_count(
        &self,
        account: &str,
        status: Option<crate::model::OfferStatus>,
    ) -> Result<i64> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new(
                "SELECT COUNT(*) FROM offers WHERE missing_since IS NULL AND account = ",
            );
            q.push_bind(account);
            if let Some(s) = status {
                q.push(" AND status = ").push_bind(s.code());
            }
            let row = q.build().fetch_one(pool).await?;
            row.try_get::<i64, _>(0)
        })
    }

    /// Pending edits last edited before `cutoff`, and conflicts, of an account.
    pub async fn edits_waiting(
        &self,
        account: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<EditsWaiting> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT \
                 COALESCE(SUM(CASE WHEN state = 'pending' AND edited_at < $2 THEN 1 ELSE 0 END), 0) AS old, \
                 COALESCE(SUM(CASE WHEN state = 'conflict' THEN 1 ELSE 0 END), 0) AS conflicts \
                 FROM pending_edits WHERE account = $1",
            )
            .bind(account)
            .bind(cutoff)
            .fetch_one(pool)
            .await?;
            let oldest: Option<DateTime<Utc>> = sqlx::query(
                "SELECT edited_at FROM pending_edits WHERE account = $1 AND state = 'pending' \
                 ORDER BY edited_at LIMIT 1",
            )
            .bind(account)
            .fetch_optional(pool)
            .await?
            .map(|r| r.try_get("edited_at"))
            .transpose()?;
            Ok(EditsWaiting {
                pending_old: row.try_get("old")?,
                oldest_pending: oldest,
                conflicts: row.try_get("conflicts")?,
            })
        })
    }

    pub async fn open_incident(&self, account: &str) -> Result<Option<Incident>> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT account, level, reason, opened_at, notified_at FROM alert_incidents WHERE account = $1",
            )
            .bind(account)
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                Ok(Incident {
                    account: r.try_get("account")?,
                    level: r.try_get("level")?,
                    reason: r.try_get("reason")?,
                    opened_at: r.try_get("opened_at")?,
                    notified_at: r.try_get("notified_at")?,
                })
            })
            .transpose()
        })
    }

    /// Opens (or, escalated, updates) an account's incident; `opened_at` is kept on update.
    pub async fn save_incident(
        &self,
        account: &str,
        level: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO alert_incidents (account, level, reason, opened_at, notified_at) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account) DO UPDATE SET \
                 level = excluded.level, reason = excluded.reason, notified_at = excluded.notified_at",
            )
            .bind(account)
            .bind(level)
            .bind(reason)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Closes an account's incident; true when there was one.
    pub async fn close_incident(&self, account: &str) -> Result<bool> {
        on_pool!(self, pool => {
            Ok(sqlx::query("DELETE FROM alert_incidents WHERE account = $1")
                .bind(account)
                .execute(pool)
                .await?
                .rows_affected()
                > 0)
        })
    }
}
