//! Which account names the store has data for, so a mistyped `--account` can be told apart
//! from an account that simply has no offers yet.

use super::{Result, Store, on_pool};

impl Store {
    /// True when the store holds offers or runs of `account` (two index seeks).
    pub async fn has_account(&self, account: &str) -> Result<bool> {
        on_pool!(self, pool => {
            // INT4 on Postgres for a literal 1, so i32 decodes on both.
            let found: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM offers WHERE account = $1 \
                 UNION ALL SELECT 1 FROM sync_runs WHERE account = $1 LIMIT 1",
            )
            .bind(account)
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }

    /// Every account with offers or runs in the store, sorted. Reads the whole offers index, so
    /// only for an error message.
    pub async fn stored_accounts(&self) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT account FROM offers UNION SELECT account FROM sync_runs ORDER BY 1",
            )
            .fetch_all(pool)
            .await
        })
    }
}
