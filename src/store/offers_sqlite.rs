//! SQLite's write path for a batch of offers (Postgres has its own in `offers_pg.rs`).
//!
//! One transaction per batch, on the store's single writer connection: one SELECT loads what
//! is stored for the batch's ids; new offers go in with plain multi-row inserts and reach the
//! FTS index in one statement; changed offers are upserted; every offer of the batch gets its
//! `offer_seen` row; field changes go to `offer_changes`.

use super::Result;
use super::money;
use super::offers::{
    COLUMNS, Pending, Stored, TRACKED_COLUMNS, UPSERT_SET, WriteOutcome, classify, search_text,
    stored_from_row,
};
use crate::model::{Offer, WarehouseValue};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{QueryBuilder, SqlitePool};
use std::collections::HashMap;

/// Parameters per row; SQLite allows 32 766 per statement, so 100-offer pages fit easily, and
/// larger batches are chunked below that.
const PARAMS_PER_ROW: usize = 44;
const MAX_ROWS_PER_STATEMENT: usize = 500;

pub(super) async fn write_offers(
    pool: &SqlitePool,
    account: &str,
    run_id: Option<i64>,
    unique: &[&Offer],
    now: DateTime<Utc>,
) -> Result<WriteOutcome> {
    let mut tx = super::engine_queries::BeginWrite::begin_write(pool).await?;
    let mut stored: HashMap<i64, Stored> = HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(MAX_ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::new(format!(
            "SELECT id, content_hash, missing_since, first_seen_at, {TRACKED_COLUMNS} \
                 FROM offers WHERE account = "
        ));
        q.push_bind(account).push(" AND id IN (");
        let mut sep = q.separated(", ");
        for o in chunk {
            sep.push_bind(o.id);
        }
        q.push(")");
        for row in q.build().fetch_all(&mut *tx).await? {
            let (id, s) = stored_from_row(&row)?;
            stored.insert(id, s);
        }
    }

    let (out, to_write) = classify(account, run_id, unique, &stored, now);
    let rev: i64 = if to_write.is_empty() {
        0
    } else {
        sqlx::query_scalar(super::search::NEXT_REV)
            .bind(account)
            .fetch_one(&mut *tx)
            .await?
    };

    // New offers go in with plain inserts: an upsert makes SQLite open a statement journal
    // for every multi-row statement.
    let (created, changed): (Vec<&Pending>, Vec<&Pending>) = to_write
        .iter()
        .partition(|p| !stored.contains_key(&p.offer.id));
    for (rows, upsert) in [(&created, false), (&changed, true)] {
        for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT.min(30_000 / PARAMS_PER_ROW)) {
            let insert = if upsert { "INSERT" } else { "INSERT OR IGNORE" };
            let mut q = QueryBuilder::new(format!("{insert} INTO offers ({COLUMNS}) "));
            q.push_values(chunk, |mut b, p| {
                let o = p.offer;
                let stock: Vec<WarehouseValue> = o.stock.clone();
                b.push_bind(account)
                    .push_bind(o.id)
                    .push_bind(o.part_number.clone())
                    .push_bind(o.part_number_key.clone())
                    .push_bind(o.name.clone())
                    .push_bind(o.brand.clone())
                    .push_bind(o.description.clone())
                    .push_bind(o.url.clone())
                    .push_bind(o.category_id)
                    .push_bind(o.vendor_category_id)
                    .push_bind(o.warranty)
                    .push_bind(Json(o.eans.clone()))
                    .push_bind(money::opt(o.sale_price))
                    .push_bind(money::opt(o.recommended_price))
                    .push_bind(money::opt(o.min_sale_price))
                    .push_bind(money::opt(o.max_sale_price))
                    .push_bind(money::opt(o.best_offer_sale_price))
                    .push_bind(money::opt(o.best_offer_recommended_price))
                    .push_bind(o.currency.clone())
                    .push_bind(o.vat_id)
                    .push_bind(o.status)
                    .push_bind(o.general_stock)
                    .push_bind(o.estimated_stock)
                    .push_bind(Json(stock))
                    .push_bind(Json(o.handling_time.clone()))
                    .push_bind(o.handling_time.first().map(|h| h.value as i32))
                    .push_bind(o.validation_status)
                    .push_bind(o.validation_status_description.clone())
                    .push_bind(o.translation_validation_status)
                    .push_bind(o.offer_validation_status)
                    .push_bind(o.offer_validation_status_description.clone())
                    .push_bind(o.ownership)
                    .push_bind(o.number_of_offers)
                    .push_bind(o.buy_button_rank)
                    .push_bind(o.offer_details_id)
                    .push_bind(Json(o.image_urls.clone()))
                    .push_bind(Json(o.raw.as_raw_value()))
                    .push_bind(p.hash.clone())
                    .push_bind(search_text(o))
                    .push_bind(p.first_seen)
                    .push_bind(now)
                    .push_bind(None::<DateTime<Utc>>)
                    .push_bind(run_id)
                    .push_bind(rev);
            });
            if upsert {
                q.push(format!(
                    " ON CONFLICT (account, id) DO UPDATE SET {UPSERT_SET}"
                ));
            }
            let done = q.build().execute(&mut *tx).await?.rows_affected();
            // OR IGNORE would skip a row silently; the rows were just looked up in this
            // transaction, so a shortfall means a bug, and the batch must not commit.
            if done != chunk.len() as u64 {
                return Err(sqlx::Error::Protocol(format!(
                    "{} of {} new offers were not inserted",
                    chunk.len() as u64 - done,
                    chunk.len()
                )));
            }
        }
    }
    // Every offer of the batch was seen now, changed or not: one narrow upsert.
    for chunk in unique.chunks(5_000) {
        let mut q = QueryBuilder::new(
            "INSERT INTO offer_seen (account, id, last_seen_at, last_seen_run_id) ",
        );
        q.push_values(chunk, |mut b, o| {
            b.push_bind(account)
                .push_bind(o.id)
                .push_bind(now)
                .push_bind(run_id);
        });
        q.push(
            " ON CONFLICT (account, id) DO UPDATE SET last_seen_at = excluded.last_seen_at, \
                 last_seen_run_id = excluded.last_seen_run_id",
        );
        q.build().execute(&mut *tx).await?;
    }

    let written: Vec<i64> = to_write.iter().map(|p| p.offer.id).collect();
    super::history::record_sqlite(&mut tx, account, &written, now).await?;
    super::runs::insert_changes(&mut tx, &out.changes).await?;
    tx.commit().await?;
    Ok(out)
}
