//! Which account names the store has data for, so a mistyped `--account` can be told apart
//! from an account that simply has no offers yet.

use super::sql::Sql;
use super::{Result, Store};

impl Store {
    /// True when the store holds offers or runs of `account` (two index seeks).
    pub async fn has_account(&self, account: &str) -> Result<bool> {
        // INT4 on Postgres for a literal 1, so i32 decodes on both.
        let sql = Sql::new(
            "SELECT 1 FROM offers WHERE account = $1 \
             UNION ALL SELECT 1 FROM sync_runs WHERE account = $1 LIMIT 1",
        );
        let found: Option<(i32,)> = self.pool.fetch_optional(&sql.bind(account)).await?;
        Ok(found.is_some())
    }

    /// Every account with offers or runs in the store, sorted. Reads the whole offers index, so
    /// only for an error message.
    pub async fn stored_accounts(&self) -> Result<Vec<String>> {
        let sql =
            Sql::new("SELECT account FROM offers UNION SELECT account FROM sync_runs ORDER BY 1");
        let rows: Vec<(String,)> = self.pool.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(a,)| a).collect())
    }
}
