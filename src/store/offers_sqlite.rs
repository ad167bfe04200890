//! SQLite's write path for a batch of offers (Postgres has its own in `offers_pg.rs`).
//!
//! One transaction per batch, on the store's single writer connection: one SELECT loads what
//! is stored for the batch's ids; new offers go in with plain multi-row inserts and reach the
//! FTS index in one statement; changed offers are upserted; every offer of the batch gets its
//! `offer_seen` row; field changes go to `offer_changes`.

use super::Result;
use super::money;
use super::offers::{
    COLUMNS, Pending, Stored, StoredRow, TRACKED_COLUMNS, UPSERT_SET, WriteOutcome, classify,
    search_text,
};
use super::sql::{Arg, Pool, Sql, ToArg};
use crate::model::Offer;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Parameters per row; SQLite allows 32 766 per statement, so 100-offer pages fit easily, and
/// larger batches are chunked below that.
const PARAMS_PER_ROW: usize = 44;
const MAX_ROWS_PER_STATEMENT: usize = 500;

/// The arguments of one offer's row, in [`COLUMNS`] order.
fn offer_args(
    account: &str,
    p: &Pending,
    run_id: Option<i64>,
    now: DateTime<Utc>,
    rev: i64,
) -> Result<Vec<Arg>> {
    let o = p.offer;
    let m = |d| money::opt(d).to_arg();
    Ok(vec![
        account.to_arg(),
        o.id.to_arg(),
        o.part_number.clone().to_arg(),
        o.part_number_key.clone().to_arg(),
        o.name.clone().to_arg(),
        o.brand.clone().to_arg(),
        o.description.clone().to_arg(),
        o.url.clone().to_arg(),
        o.category_id.to_arg(),
        o.vendor_category_id.to_arg(),
        o.warranty.to_arg(),
        Arg::json(&o.eans)?,
        m(o.sale_price),
        m(o.recommended_price),
        m(o.min_sale_price),
        m(o.max_sale_price),
        m(o.best_offer_sale_price),
        m(o.best_offer_recommended_price),
        o.currency.clone().to_arg(),
        o.vat_id.to_arg(),
        o.status.to_arg(),
        o.general_stock.to_arg(),
        o.estimated_stock.to_arg(),
        Arg::json(&o.stock)?,
        Arg::json(&o.handling_time)?,
        o.handling_time.first().map(|h| h.value as i32).to_arg(),
        o.validation_status.to_arg(),
        o.validation_status_description.clone().to_arg(),
        o.translation_validation_status.to_arg(),
        o.offer_validation_status.to_arg(),
        o.offer_validation_status_description.clone().to_arg(),
        o.ownership.to_arg(),
        o.number_of_offers.to_arg(),
        o.buy_button_rank.to_arg(),
        o.offer_details_id.to_arg(),
        Arg::json(&o.image_urls)?,
        Arg::Json(Some(o.raw.as_raw_value().to_owned())),
        p.hash.clone().to_arg(),
        search_text(o).to_arg(),
        p.first_seen.to_arg(),
        now.to_arg(),
        None::<DateTime<Utc>>.to_arg(),
        run_id.to_arg(),
        rev.to_arg(),
    ])
}

pub(super) async fn write_offers(
    pool: &Pool,
    account: &str,
    run_id: Option<i64>,
    unique: &[&Offer],
    now: DateTime<Utc>,
) -> Result<WriteOutcome> {
    let mut tx = pool.begin_write().await?;
    let mut stored: HashMap<i64, Stored> = HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(MAX_ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(format!(
            "SELECT id, content_hash, missing_since, first_seen_at, {TRACKED_COLUMNS} \
             FROM offers WHERE account = "
        ));
        sql.push_bind(account)
            .push(" AND id IN ")
            .push_list(chunk.iter().map(|o| o.id));
        for row in tx.fetch_all::<StoredRow>(&sql).await? {
            let (id, s) = row.into_stored();
            stored.insert(id, s);
        }
    }

    let (out, to_write) = classify(account, run_id, unique, &stored, now);
    let rev: i64 = if to_write.is_empty() {
        0
    } else {
        tx.scalar(&Sql::new(super::search::NEXT_REV).bind(account))
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
            let mut sql = Sql::new(format!("{insert} INTO offers ({COLUMNS}) "));
            let args: Vec<Vec<Arg>> = chunk
                .iter()
                .map(|p| offer_args(account, p, run_id, now, rev))
                .collect::<Result<_>>()?;
            sql.push_values(args, |row| row);
            if upsert {
                sql.push(&format!(
                    " ON CONFLICT (account, id) DO UPDATE SET {}",
                    UPSERT_SET.as_str()
                ));
            }
            let done = tx.execute(&sql).await?;
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
        let mut sql =
            Sql::new("INSERT INTO offer_seen (account, id, last_seen_at, last_seen_run_id) ");
        sql.push_values(chunk, |o| {
            vec![
                account.to_arg(),
                o.id.to_arg(),
                now.to_arg(),
                run_id.to_arg(),
            ]
        });
        sql.push(
            " ON CONFLICT (account, id) DO UPDATE SET last_seen_at = excluded.last_seen_at, \
             last_seen_run_id = excluded.last_seen_run_id",
        );
        tx.execute(&sql).await?;
    }

    let written: Vec<i64> = to_write.iter().map(|p| p.offer.id).collect();
    super::history::record(&mut tx, account, &written, now).await?;
    super::runs::insert_changes(&mut tx, &out.changes).await?;
    tx.commit().await?;
    Ok(out)
}
