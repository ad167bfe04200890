//! Queries only the sync engine needs (added by the engine, kept apart from the core store).

use super::{Result, Store, on_pool};
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
            on_pool!(self, pool => {
                let mut q = QueryBuilder::new("INSERT INTO sync_events (run_id, at, level, message) ");
                q.push_values(chunk, |mut b, (level, message, at)| {
                    b.push_bind(run_id).push_bind(*at).push_bind(level.as_str()).push_bind(message.clone());
                });
                q.build().execute(pool).await?;
            });
        }
        Ok(())
    }
}
