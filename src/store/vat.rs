//! The cached VAT rates of each account (`vat_rates`, refreshed daily from `vat/read`).

use super::{Result, Store, on_pool};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::Row;
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
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT vat_id, rate, is_default, fetched_at FROM vat_rates WHERE account = $1 \
                 ORDER BY vat_id",
            )
            .bind(account)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let text: String = r.try_get("rate")?;
                    let rate = Decimal::from_str(&text).map_err(|e| {
                        sqlx::Error::Decode(format!("VAT rate \"{text}\": {e}").into())
                    })?;
                    Ok(CachedVat {
                        vat_id: r.try_get("vat_id")?,
                        rate,
                        is_default: r.try_get("is_default")?,
                        fetched_at: r.try_get("fetched_at")?,
                    })
                })
                .collect()
        })
    }

    /// Replaces the account's cached VAT rates with a fresh `vat/read`.
    pub async fn save_vat_rates(
        &self,
        account: &str,
        rates: &[(i64, Decimal, bool)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM vat_rates WHERE account = $1")
                .bind(account)
                .execute(&mut *tx)
                .await?;
            for (id, rate, default) in rates {
                sqlx::query(
                    "INSERT INTO vat_rates (account, vat_id, rate, is_default, fetched_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(account)
                .bind(*id)
                .bind(rate.normalize().to_string())
                .bind(*default)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
