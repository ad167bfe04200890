//! Queries only the sync engine needs (added by the engine, kept apart from the core store).

use super::{Result, Store, on_write_pool};
use crate::model::EventLevel;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

impl Store {
    /// Appends several events of one run in one statement: the engine flushes its event queue
    /// twice a second, so a 2,000-page run does not cost 2,000 separate writes.
    pub async fn add_events(
        &self,
        run_id: i64,
        events: &[(EventLevel, String, DateTime<Utc>)],
    ) -> Result<()> {
        for chunk in events.chunks(1_000) {
            on_write_pool!(self, pool => {
                let mut q = QueryBuilder::new("INSERT INTO sync_events (run_id, at, level, message) ");
                q.push_values(chunk, |mut b, (level, message, at)| {
                    b.push_bind(run_id).push_bind(*at).push_bind(level.as_str()).push_bind(message.clone());
                });
                q.build().execute(pool).await?;
            });
        }
        Ok(())
    }

    /// Postgres only: refreshes the planner's statistics of the tables a sync writes. Called
    /// as a run's writes double the account's rows: until autovacuum catches up, a table that
    /// grew from nothing is still estimated "nearly empty", and the planner then reads each
    /// page's `id IN (...)` lookup off the whole account's index range (docs/performance.md).
    /// SQLite plans these lookups by the primary key whatever its statistics say.
    ///
    /// Only the columns a sync filters on are analysed (the page lookups, and the search for
    /// offers a complete scan did not see); the row counts come with any column list. A full
    /// ANALYZE of `offers` also detoasts and summarises every sampled raw JSON and description,
    /// a large share of the server's CPU during a first sync. Autovacuum's own ANALYZE
    /// still covers every column later.
    pub async fn refresh_write_statistics(&self) -> Result<()> {
        if let super::Pool::Postgres(pool) = &self.pool {
            sqlx::raw_sql(
                "ANALYZE offers (account, id, status, missing_since); \
                 ANALYZE offer_seen (account, id, last_seen_at)",
            )
            .execute(pool)
            .await?;
        }
        Ok(())
    }
}

/// Write transactions that read first (`write_offers` selects the stored rows, then upserts)
/// must take SQLite's write lock up front: a deferred transaction that tries to upgrade while
/// another connection writes (the run recorder, a second account's run) fails at once with
/// "database is locked" instead of waiting for `busy_timeout`. On Postgres the transaction
/// only skips waiting for its WAL flush.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Db>>> + Send;
}

impl BeginWrite for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for sqlx::PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        let mut tx = self.begin().await?;
        // A page of mirrored offers need not wait for its WAL flush: a server crash can lose
        // only the last moments of commits, never corrupt them, and the run would then be
        // marked interrupted and the next sync writes those offers again.
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}
