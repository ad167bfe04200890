//! Queries only the sync engine needs (added by the engine, kept apart from the core store).

use super::sql::{Pool, Sql, ToArg};
use super::{Result, Store};
use crate::model::EventLevel;
use chrono::{DateTime, Utc};

impl Store {
    /// Appends several events of one run in one statement: the engine flushes its event queue
    /// twice a second, so a 2,000-page run does not cost 2,000 separate writes.
    pub async fn add_events(
        &self,
        run_id: i64,
        events: &[(EventLevel, String, DateTime<Utc>)],
    ) -> Result<()> {
        for chunk in events.chunks(1_000) {
            let mut sql = Sql::new("INSERT INTO sync_events (run_id, at, level, message) ");
            sql.push_values(chunk, |(level, message, at)| {
                vec![
                    run_id.to_arg(),
                    at.to_arg(),
                    level.as_str().to_arg(),
                    message.as_str().to_arg(),
                ]
            });
            self.writer().execute(&sql).await?;
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
        if let Pool::Postgres(_) = self.pool {
            self.pool
                .execute_script(
                    "ANALYZE offers (account, id, status, missing_since); \
                     ANALYZE offer_seen (account, id, last_seen_at)",
                )
                .await?;
        }
        Ok(())
    }
}
