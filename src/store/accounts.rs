//! Which accounts the store knows (so a mistyped `--account` can be told apart from an account
//! that simply has no offers yet), their offer counts for the summary cards and `magsync
//! stats`, and each account's cached VAT rates (`vat_rates`, refreshed daily from `vat/read`).

use super::sql::Sql;
use super::{Result, Store};
use crate::model::{OfferStatus, RunStatus, SyncMode, SyncRun};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;

/// `store.accounts()`.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub(super) store: &'a Store,
}

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

/// One cached rate: a fraction (0.21 for 21 %), as `vat/read` is decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedVat {
    pub vat_id: i64,
    pub rate: Decimal,
    pub is_default: bool,
    pub fetched_at: DateTime<Utc>,
}

impl Accounts<'_> {
    /// True when the store holds offers or runs of `account` (two index seeks).
    pub async fn has(self, account: &str) -> Result<bool> {
        // INT4 on Postgres for a literal 1, so i32 decodes on both.
        let sql = Sql::new(
            "SELECT 1 FROM offers WHERE account = $1 \
             UNION ALL SELECT 1 FROM sync_runs WHERE account = $1 LIMIT 1",
        );
        let found: Option<(i32,)> = self.store.pool.fetch_optional(&sql.bind(account)).await?;
        Ok(found.is_some())
    }

    /// Every account with offers or runs in the store, sorted. Reads the whole offers index, so
    /// only for an error message.
    pub async fn stored(self) -> Result<Vec<String>> {
        let sql =
            Sql::new("SELECT account FROM offers UNION SELECT account FROM sync_runs ORDER BY 1");
        let rows: Vec<(String,)> = self.store.pool.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(a,)| a).collect())
    }

    /// Offer counts per account (accounts without offers are absent).
    pub async fn offer_counts(self) -> Result<Vec<(String, OfferCounts)>> {
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
        let rows: Vec<Row> = self.store.pool.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|r| (r.account, r.counts)).collect())
    }

    /// Stats for the given accounts (configured ones, so an account never synced still shows)
    /// with offer counts the caller holds: [`Accounts::offer_counts`], or the dashboard's
    /// index, which keeps them so it never counts the table.
    pub async fn stats(
        self,
        accounts: &[String],
        counts: Vec<(String, OfferCounts)>,
    ) -> Result<Vec<AccountStats>> {
        let mut names: Vec<String> = accounts.to_vec();
        for (a, _) in &counts {
            if !names.contains(a) {
                names.push(a.clone());
            }
        }
        let runs = self.store.runs();
        let mut out = Vec::with_capacity(names.len());
        for account in names {
            let c = counts
                .iter()
                .find(|(a, _)| *a == account)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            out.push(AccountStats {
                last_run: runs.last(&account, None, None).await?,
                last_full_success: runs
                    .last(&account, Some(SyncMode::Full), Some(RunStatus::Completed))
                    .await?,
                account,
                counts: c,
            });
        }
        Ok(out)
    }

    /// The account's cached VAT rates, by id.
    pub async fn vat_rates(self, account: &str) -> Result<Vec<CachedVat>> {
        let sql = Sql::new(
            "SELECT vat_id, rate, is_default, fetched_at FROM vat_rates WHERE account = $1 \
             ORDER BY vat_id",
        );
        let rows: Vec<(i64, String, bool, DateTime<Utc>)> =
            self.store.pool.fetch_all(&sql.bind(account)).await?;
        rows.into_iter()
            .map(|(vat_id, text, is_default, fetched_at)| {
                // Rates are stored as text, exactly as `vat/read` gave them.
                let rate = Decimal::from_str(&text)
                    .map_err(|e| sqlx::Error::Decode(format!("VAT rate \"{text}\": {e}").into()))?;
                Ok(CachedVat {
                    vat_id,
                    rate,
                    is_default,
                    fetched_at,
                })
            })
            .collect()
    }

    /// Replaces the account's cached VAT rates with a fresh `vat/read`.
    pub async fn save_vat_rates(
        self,
        account: &str,
        rates: &[(i64, Decimal, bool)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.store.pool.begin().await?;
        let delete = Sql::new("DELETE FROM vat_rates WHERE account = $1").bind(account);
        tx.execute(&delete).await?;
        for (id, rate, default) in rates {
            let insert = Sql::new(
                "INSERT INTO vat_rates (account, vat_id, rate, is_default, fetched_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            );
            let insert = insert
                .bind(account)
                .bind(*id)
                .bind(rate.normalize().to_string())
                .bind(*default)
                .bind(now);
            tx.execute(&insert).await?;
        }
        tx.commit().await
    }
}
