//! The cached VAT rates of each account (`vat_rates`, refreshed daily from `vat/read`).

use super::sql::Sql;
use super::{Result, Store};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::str::FromStr;

/// One cached rate: a fraction (0.21 for 21 %), as `vat/read` is decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedVat {
    pub vat_id: i64,
    pub rate: Decimal,
    pub is_default: bool,
    pub fetched_at: DateTime<Utc>,
}

impl Store {
    /// The account's cached VAT rates, by id.
    pub async fn vat_rates(&self, account: &str) -> Result<Vec<CachedVat>> {
        let sql = Sql::new(
            "SELECT vat_id, rate, is_default, fetched_at FROM vat_rates WHERE account = $1 \
             ORDER BY vat_id",
        );
        let rows: Vec<(i64, String, bool, DateTime<Utc>)> =
            self.pool.fetch_all(&sql.bind(account)).await?;
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
        &self,
        account: &str,
        rates: &[(i64, Decimal, bool)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
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
