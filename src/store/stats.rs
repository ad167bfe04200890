//! Per-account figures for the summary cards and `magsync stats`.

use super::sql::Sql;
use super::{Result, Store};
use crate::model::{OfferStatus, RunStatus, SyncMode, SyncRun};
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct OfferCounts {
    pub offers: i64,
    pub active: i64,
    pub inactive: i64,
    pub end_of_life: i64,
    pub missing: i64,
    pub zero_stock: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountStats {
    pub account: String,
    pub counts: OfferCounts,
    pub last_run: Option<SyncRun>,
    pub last_full_success: Option<SyncRun>,
}

impl Store {
    /// Offer counts per account (accounts without offers are absent).
    pub async fn offer_counts(&self) -> Result<Vec<(String, OfferCounts)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            account: String,
            #[sqlx(flatten)]
            counts: OfferCounts,
        }
        let live = |s: OfferStatus| {
            format!(
                "COALESCE(SUM(CASE WHEN missing_since IS NULL AND status = {} THEN 1 ELSE 0 END), 0)",
                s.code()
            )
        };
        let sql = Sql::new(format!(
            "SELECT account, COUNT(*) AS offers, {} AS active, {} AS inactive, {} AS end_of_life, \
             COALESCE(SUM(CASE WHEN missing_since IS NOT NULL THEN 1 ELSE 0 END), 0) AS missing, \
             COALESCE(SUM(CASE WHEN missing_since IS NULL AND general_stock = 0 THEN 1 ELSE 0 END), 0) \
             AS zero_stock FROM offers GROUP BY account ORDER BY account",
            live(OfferStatus::Active),
            live(OfferStatus::Inactive),
            live(OfferStatus::EndOfLife),
        ));
        let rows: Vec<Row> = self.pool.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|r| (r.account, r.counts)).collect())
    }

    /// Stats for the given accounts (configured ones, so an account never synced still shows).
    pub async fn account_stats(&self, accounts: &[String]) -> Result<Vec<AccountStats>> {
        let counts = self.offer_counts().await?;
        self.account_stats_with(accounts, counts).await
    }

    /// [`Store::account_stats`] with offer counts the caller already holds (the dashboard's
    /// index keeps them, so it never counts the table).
    pub async fn account_stats_with(
        &self,
        accounts: &[String],
        counts: Vec<(String, OfferCounts)>,
    ) -> Result<Vec<AccountStats>> {
        let mut names: Vec<String> = accounts.to_vec();
        for (a, _) in &counts {
            if !names.contains(a) {
                names.push(a.clone());
            }
        }
        let mut out = Vec::with_capacity(names.len());
        for account in names {
            let c = counts
                .iter()
                .find(|(a, _)| *a == account)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            out.push(AccountStats {
                last_run: self.last_run(&account, None, None).await?,
                last_full_success: self
                    .last_run(&account, Some(SyncMode::Full), Some(RunStatus::Completed))
                    .await?,
                account,
                counts: c,
            });
        }
        Ok(out)
    }
}
