//! Postgres's writes of a batch of offers (the rest of the batch's transaction is shared, in
//! `offers_write.rs`).
//!
//! Each statement takes one array parameter per column (`UNNEST($2::bigint[], ...)`,
//! `id = ANY($2)`) instead of one parameter per value. A batch of 2,000 offers as a multi-row
//! VALUES list was one statement of ~86,000 parameters that the server parsed, planned and
//! bound anew for every batch (`plan_cache_mode = force_custom_plan`, see `Store::connect`);
//! with arrays each statement has a fixed text and a few dozen parameters whatever the batch
//! size, so it is parsed once per connection and planned in microseconds.
//!

use super::Result;
use super::money::Money;
use super::offers::{COLUMNS, Pending, UPSERT_SET, search_text};
use super::sql::{Conn, Tx};
use crate::model::{Offer, OfferChange};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::sync::LazyLock;

/// The columns that travel as arrays, in bind order, with their array types. JSON travels as
/// text and is cast on the server, which parses it either way.
const ARRAY_COLUMNS: &[(&str, &str)] = &[
    ("id", "bigint"),
    ("part_number", "text"),
    ("part_number_key", "text"),
    ("name", "text"),
    ("brand", "text"),
    ("description", "text"),
    ("url", "text"),
    ("category_id", "bigint"),
    ("vendor_category_id", "bigint"),
    ("warranty", "int"),
    ("eans", "text"),
    ("sale_price", "numeric"),
    ("recommended_price", "numeric"),
    ("min_sale_price", "numeric"),
    ("max_sale_price", "numeric"),
    ("best_offer_sale_price", "numeric"),
    ("best_offer_recommended_price", "numeric"),
    ("currency", "text"),
    ("vat_id", "int"),
    ("status", "smallint"),
    ("general_stock", "int"),
    ("estimated_stock", "int"),
    ("stock", "text"),
    ("handling_time", "text"),
    ("handling_time_days", "int"),
    ("validation_status", "smallint"),
    ("validation_status_description", "text"),
    ("translation_validation_status", "smallint"),
    ("offer_validation_status", "smallint"),
    ("offer_validation_status_description", "text"),
    ("ownership", "smallint"),
    ("number_of_offers", "int"),
    ("buy_button_rank", "int"),
    ("offer_details_id", "bigint"),
    ("images", "text"),
    ("raw", "text"),
    ("content_hash", "text"),
    ("search_text", "text"),
    ("first_seen_at", "timestamptz"),
];
/// Columns cast from text on the server, with their type (see 0005_raw_json.sql for raw).
const JSON_COLUMNS: &[(&str, &str)] = &[
    ("eans", "jsonb"),
    ("stock", "jsonb"),
    ("handling_time", "jsonb"),
    ("images", "jsonb"),
    ("raw", "json"),
];

/// The upsert: `$1` account, then one array per [`ARRAY_COLUMNS`] entry, then now and the
/// run id. The arrays are unnested in the select list rather than by `FROM UNNEST(...)`,
/// which stores each array's elements in a tuplestore before the first row is produced.
static UPSERT_SQL: LazyLock<String> = LazyLock::new(|| {
    let unnested: Vec<String> = ARRAY_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| format!("unnest(${}::{ty}[]) AS {name}", i + 2))
        .collect();
    let mut values = vec!["$1".to_string()];
    values.extend(ARRAY_COLUMNS.iter().map(|(name, _)| {
        match JSON_COLUMNS.iter().find(|(json, _)| json == name) {
            Some((_, ty)) => format!("{name}::{ty}"),
            None => name.to_string(),
        }
    }));
    let now = ARRAY_COLUMNS.len() + 2;
    // last_changed_at, missing_since, last_run_id, rev: see COLUMNS.
    values.extend([
        format!("${now}"),
        "NULL".into(),
        format!("${}", now + 1),
        format!("${}", now + 2),
    ]);
    format!(
        "INSERT INTO offers ({COLUMNS}) SELECT {} FROM (SELECT {}) AS u \
         ON CONFLICT (account, id) DO UPDATE SET {}",
        values.join(", "),
        unnested.join(", "),
        UPSERT_SET.as_str()
    )
});

fn json_text<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| sqlx::Error::Encode(e.into()))
}

pub(super) async fn upsert(
    tx: &mut Tx,
    account: &str,
    run_id: Option<i64>,
    rows: &[Pending<'_>],
    now: DateTime<Utc>,
    rev: i64,
) -> Result<()> {
    fn col<'a, T>(rows: &'a [Pending<'_>], f: impl Fn(&'a Offer) -> T) -> Vec<T> {
        rows.iter().map(|p| f(p.offer)).collect()
    }
    fn money(d: Option<rust_decimal::Decimal>) -> Option<Money> {
        d.map(Money)
    }
    let json = |f: &dyn Fn(&Offer) -> Result<String>| -> Result<Vec<String>> {
        rows.iter().map(|p| f(p.offer)).collect()
    };
    sqlx::query(sqlx::AssertSqlSafe(UPSERT_SQL.as_str()))
        .bind(account)
        .bind(col(rows, |o| o.id))
        .bind(col(rows, |o| o.part_number.as_deref()))
        .bind(col(rows, |o| o.part_number_key.as_deref()))
        .bind(col(rows, |o| o.name.as_deref()))
        .bind(col(rows, |o| o.brand.as_deref()))
        .bind(col(rows, |o| o.description.as_deref()))
        .bind(col(rows, |o| o.url.as_deref()))
        .bind(col(rows, |o| o.category_id))
        .bind(col(rows, |o| o.vendor_category_id))
        .bind(col(rows, |o| o.warranty))
        .bind(json(&|o| json_text(&o.eans))?)
        .bind(col(rows, |o| money(o.sale_price)))
        .bind(col(rows, |o| money(o.recommended_price)))
        .bind(col(rows, |o| money(o.min_sale_price)))
        .bind(col(rows, |o| money(o.max_sale_price)))
        .bind(col(rows, |o| money(o.best_offer_sale_price)))
        .bind(col(rows, |o| money(o.best_offer_recommended_price)))
        .bind(col(rows, |o| o.currency.as_deref()))
        .bind(col(rows, |o| o.vat_id))
        .bind(col(rows, |o| o.status))
        .bind(col(rows, |o| o.general_stock))
        .bind(col(rows, |o| o.estimated_stock))
        .bind(json(&|o| json_text(&o.stock))?)
        .bind(json(&|o| json_text(&o.handling_time))?)
        .bind(col(rows, |o| {
            o.handling_time.first().map(|h| h.value as i32)
        }))
        .bind(col(rows, |o| o.validation_status))
        .bind(col(rows, |o| o.validation_status_description.as_deref()))
        .bind(col(rows, |o| o.translation_validation_status))
        .bind(col(rows, |o| o.offer_validation_status))
        .bind(col(rows, |o| {
            o.offer_validation_status_description.as_deref()
        }))
        .bind(col(rows, |o| o.ownership))
        .bind(col(rows, |o| o.number_of_offers))
        .bind(col(rows, |o| o.buy_button_rank))
        .bind(col(rows, |o| o.offer_details_id))
        .bind(json(&|o| json_text(&o.image_urls))?)
        .bind(col(rows, |o| o.raw.get()))
        .bind(rows.iter().map(|p| p.hash.as_str()).collect::<Vec<_>>())
        .bind(col(rows, search_text))
        .bind(rows.iter().map(|p| p.first_seen).collect::<Vec<_>>())
        .bind(now)
        .bind(run_id)
        .bind(rev)
        .execute(pg(tx)?)
        .await?;
    Ok(())
}

/// The Postgres connection of a transaction on a Postgres pool.
fn pg(tx: &mut Tx) -> Result<&mut PgConnection> {
    match tx.conn() {
        Conn::Postgres(c) => Ok(c),
        Conn::Sqlite(_) => Err(sqlx::Error::Protocol(
            "the Postgres write path was given a SQLite transaction".into(),
        )),
    }
}

pub(super) async fn insert_changes(tx: &mut Tx, changes: &[OfferChange]) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&OfferChange) -> Option<&str>| changes.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO offer_changes (run_id, account, offer_id, field, old_value, new_value, at) \
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], \
            $6::text[], $7::timestamptz[])",
    )
    .bind(changes.iter().map(|c| c.run_id).collect::<Vec<_>>())
    .bind(col(|c| Some(c.account.as_str())))
    .bind(changes.iter().map(|c| c.offer_id).collect::<Vec<_>>())
    .bind(col(|c| Some(c.field.as_str())))
    .bind(col(|c| c.old_value.as_deref()))
    .bind(col(|c| c.new_value.as_deref()))
    .bind(changes.iter().map(|c| c.at).collect::<Vec<_>>())
    .execute(pg(tx)?)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_columns_follow_the_insert_column_order() {
        let mut names = vec!["account"];
        names.extend(ARRAY_COLUMNS.iter().map(|(name, _)| *name));
        names.extend(["last_changed_at", "missing_since", "last_run_id", "rev"]);
        let columns: Vec<&str> = COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(names, columns);
        for (json, _) in JSON_COLUMNS {
            assert!(ARRAY_COLUMNS.contains(&(json, "text")), "{json}");
        }
    }
}
