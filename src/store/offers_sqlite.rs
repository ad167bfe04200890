//! SQLite's writes of a batch of offers (the rest of the batch's transaction is shared, in
//! `offers_write.rs`): new offers go in with plain multi-row inserts, changed offers are
//! upserted.

use super::Result;
use super::money;
use super::offers::{COLUMNS, Pending, Stored, UPSERT_SET, search_text};
use super::sql::{Arg, Sql, ToArg, Tx};
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

/// Writes the offers of a batch that changed: new ones with plain multi-row inserts, changed
/// ones upserted.
pub(super) async fn insert(
    tx: &mut Tx,
    account: &str,
    run_id: Option<i64>,
    to_write: &[Pending<'_>],
    stored: &HashMap<i64, Stored>,
    now: DateTime<Utc>,
    rev: i64,
) -> Result<()> {
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
    Ok(())
}
