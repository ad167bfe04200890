//! Smart Deals checks (`smart-deals-price-check?productId=`) and the daily VAT cache: both go
//! through the account's client, so they take the same rate-limiter slots as a sync or a push
//! running in this process (eMAG's 3 requests a second are never exceeded together).

use crate::emag::{EmagClient, EmagError, wire};
use crate::store::Store;
use crate::store::accounts::CachedVat;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

/// How long cached VAT rates are used before `vat/read` is asked again.
pub const VAT_MAX_AGE_HOURS: i64 = 24;

/// What eMAG answered for one offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmartDeal {
    pub id: i64,
    pub current_price: Option<Decimal>,
    pub target_price: Option<Decimal>,
    pub currency: Option<String>,
    /// Current price less the target (above 0: how much to come down).
    pub distance: Option<Decimal>,
    pub distance_percent: Option<Decimal>,
    pub eligible: Option<bool>,
}

/// Reads the answer's fields under the names eMAG's documentation and the simulator use.
pub fn decode(id: i64, results: &Value) -> SmartDeal {
    let row = match results {
        Value::Array(l) => l.first().cloned().unwrap_or(Value::Null),
        v => v.clone(),
    };
    let money = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| row.get(*k).and_then(wire::decimal))
    };
    let current = money(&["currentPrice", "current_price", "salePrice"]);
    let target = money(&["targetPrice", "target_price", "smartDealsPrice"]);
    let distance = current.zip(target).map(|(c, t)| c - t);
    let distance_percent = distance
        .zip(target)
        .filter(|(_, t)| !t.is_zero())
        .map(|(d, t)| (d * Decimal::ONE_HUNDRED / t).round_dp(2));
    SmartDeal {
        id,
        current_price: current,
        target_price: target,
        currency: row.get("currency").and_then(wire::text),
        distance,
        distance_percent,
        eligible: row
            .get("isEligible")
            .and_then(Value::as_bool)
            .or_else(|| distance.map(|d| d <= Decimal::ZERO)),
    }
}

/// Checks each id in turn (one request each, through the account's limiter).
pub async fn check(client: &EmagClient, ids: &[i64]) -> Vec<(i64, Result<SmartDeal, EmagError>)> {
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let r = client
            .smart_deals_check(id)
            .await
            .map(|env| decode(id, &env.results_value()));
        out.push((id, r));
    }
    out
}

/// At most this many offers are checked at once (one request each), by a command or a key.
pub const MAX_CHECKS: usize = 200;

/// Why the account's VAT rates could not be read (and none were cached).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatError {
    #[error("database error: {0}")]
    Store(String),
    #[error("cannot read the VAT rates of {account}: {reason}")]
    Emag { account: String, reason: String },
}

/// The account's VAT rates: the cache when younger than a day, else a fresh `vat/read`
/// (kept in the cache). A failed refresh falls back to an older cache when there is one.
pub async fn vat_rates(
    store: &Store,
    client: &EmagClient,
    now: DateTime<Utc>,
) -> Result<Vec<CachedVat>, VatError> {
    let account = client.account().to_string();
    let cached = store
        .accounts()
        .vat_rates(&account)
        .await
        .map_err(|e| VatError::Store(crate::store::short_db_error(&e)))?;
    let fresh = cached
        .iter()
        .all(|v| now - v.fetched_at < Duration::hours(VAT_MAX_AGE_HOURS));
    if !cached.is_empty() && fresh {
        return Ok(cached);
    }
    match client.vat_rates().await {
        Ok(rates) => {
            let rows: Vec<(i64, Decimal, bool)> =
                rates.iter().map(|r| (r.id, r.rate, r.is_default)).collect();
            store
                .accounts()
                .save_vat_rates(&account, &rows, now)
                .await
                .map_err(|e| VatError::Store(crate::store::short_db_error(&e)))?;
            Ok(store
                .accounts()
                .vat_rates(&account)
                .await
                .unwrap_or_default())
        }
        Err(e) if !cached.is_empty() => {
            tracing::warn!(
                "vat/read of {account} failed ({e}); using rates from {}",
                cached[0].fetched_at
            );
            Ok(cached)
        }
        Err(e) => Err(VatError::Emag {
            account,
            reason: e.to_string(),
        }),
    }
}

/// The VAT rate in percent of `vat_id` (the default rate when the id is unknown or missing).
pub fn rate_percent(rates: &[CachedVat], vat_id: Option<i32>) -> Option<Decimal> {
    let hit = vat_id.and_then(|id| rates.iter().find(|r| r.vat_id == i64::from(id)));
    hit.or_else(|| rates.iter().find(|r| r.is_default))
        .map(|r| (r.rate * Decimal::ONE_HUNDRED).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_strings_and_computes_the_distance() {
        let d = decode(
            7,
            &json!({"productId": 7, "currentPrice": "110.0000", "targetPrice": "100.0000", "currency": "RON", "isEligible": false}),
        );
        assert_eq!(d.distance, Some(Decimal::new(10, 0)));
        assert_eq!(d.distance_percent, Some(Decimal::new(1000, 2)));
        assert_eq!(d.eligible, Some(false));
        assert_eq!(d.currency.as_deref(), Some("RON"));
        let empty = decode(8, &json!([]));
        assert_eq!((empty.target_price, empty.eligible), (None, None));
    }
}
