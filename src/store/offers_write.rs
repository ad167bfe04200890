//! A batch of offers written in one transaction, on either database.
//!
//! One lookup loads what is stored for the batch's ids; [`classify`] decides what changed;
//! the offers that changed are written in the fewest statements each database takes
//! ([`Sql::inserts`]: multi-row inserts on SQLite, one array per column on Postgres); every
//! offer of the batch gets its `offer_seen` row; field changes go to `offer_changes` and price
//! points to the offer history.

use super::offers::{Pending, Stored, StoredRow, TRACKED_FIELDS, WriteOutcome, classify};
use super::sql::{Arg, Pool, Sql, ToArg, Tx};
use super::{Backend, Result};
use crate::model::Offer;
use crate::model::search::search_text;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::LazyLock;

/// SQLite: ids per lookup and offers per statement, well below its 32 766 parameters.
const SQLITE_IDS: usize = 500;

/// Every column of `offers` in insert order ([`offer_args`] gives their values).
const COLUMNS: &str = "account, id, part_number, part_number_key, name, brand, description, url, \
    category_id, vendor_category_id, warranty, eans, sale_price, recommended_price, \
    min_sale_price, max_sale_price, best_offer_sale_price, best_offer_recommended_price, \
    currency, vat_id, status, general_stock, estimated_stock, stock, handling_time, \
    handling_time_days, validation_status, validation_status_description, \
    translation_validation_status, offer_validation_status, offer_validation_status_description, \
    ownership, number_of_offers, buy_button_rank, offer_details_id, images, raw, content_hash, \
    search_text, first_seen_at, last_changed_at, missing_since, last_run_id, rev";

/// The values of one written offer's row, in [`COLUMNS`] order. A written offer is listed
/// again (`missing_since` NULL).
fn offer_args(
    account: &str,
    p: &Pending,
    run_id: Option<i64>,
    now: DateTime<Utc>,
    rev: i64,
) -> Result<Vec<Arg>> {
    let o = p.offer;
    Ok(vec![
        account.to_arg(),
        o.id.to_arg(),
        o.part_number.as_deref().to_arg(),
        o.part_number_key.as_deref().to_arg(),
        o.name.as_deref().to_arg(),
        o.brand.as_deref().to_arg(),
        o.description.as_deref().to_arg(),
        o.url.as_deref().to_arg(),
        o.category_id.to_arg(),
        o.vendor_category_id.to_arg(),
        o.warranty.to_arg(),
        Arg::json(&o.eans)?,
        o.sale_price.to_arg(),
        o.recommended_price.to_arg(),
        o.min_sale_price.to_arg(),
        o.max_sale_price.to_arg(),
        o.best_offer_sale_price.to_arg(),
        o.best_offer_recommended_price.to_arg(),
        o.currency.as_deref().to_arg(),
        o.vat_id.to_arg(),
        o.status.to_arg(),
        o.general_stock.to_arg(),
        o.estimated_stock.to_arg(),
        Arg::json(&o.stock)?,
        Arg::json(&o.handling_time)?,
        o.handling_time.first().map(|h| h.value as i32).to_arg(),
        o.validation_status.to_arg(),
        o.validation_status_description.as_deref().to_arg(),
        o.translation_validation_status.to_arg(),
        o.offer_validation_status.to_arg(),
        o.offer_validation_status_description.as_deref().to_arg(),
        o.ownership.to_arg(),
        o.number_of_offers.to_arg(),
        o.buy_button_rank.to_arg(),
        o.offer_details_id.to_arg(),
        Arg::json(&o.image_urls)?,
        Arg::Json(Some(o.raw.as_raw_value().to_owned())),
        p.hash.as_str().to_arg(),
        search_text(o).to_arg(),
        p.first_seen.to_arg(),
        now.to_arg(),
        None::<DateTime<Utc>>.to_arg(),
        run_id.to_arg(),
        rev.to_arg(),
    ])
}

/// `ON CONFLICT` update of every column but the key.
static UPSERT: LazyLock<String> = LazyLock::new(|| {
    let set: Vec<String> = COLUMNS
        .split(',')
        .map(str::trim)
        .filter(|c| !matches!(*c, "account" | "id"))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        " ON CONFLICT (account, id) DO UPDATE SET {}",
        set.join(", ")
    )
});

/// Writes the offers of a batch that changed. On SQLite new offers go in with plain inserts
/// (an upsert makes SQLite open a statement journal for every multi-row statement) and
/// changed ones are upserted; on Postgres all are upserted in one statement.
async fn write_changed(
    tx: &mut Tx,
    account: &str,
    run_id: Option<i64>,
    to_write: &[Pending<'_>],
    stored: &HashMap<i64, Stored>,
    now: DateTime<Utc>,
    rev: i64,
) -> Result<()> {
    let backend = tx.backend();
    let rows = |pending: &[&Pending]| -> Result<Vec<Vec<Arg>>> {
        pending
            .iter()
            .map(|p| offer_args(account, p, run_id, now, rev))
            .collect()
    };
    let insert = |head: &str, pending: &[&Pending], tail: &str| -> Result<Vec<Sql>> {
        let head = format!("{head} INTO offers ({COLUMNS})");
        Ok(Sql::inserts(
            backend,
            &head,
            rows(pending)?,
            tail,
            SQLITE_IDS,
        ))
    };
    let all: Vec<&Pending> = to_write.iter().collect();
    if backend == Backend::Postgres {
        for sql in insert("INSERT", &all, UPSERT.as_str())? {
            tx.execute(&sql).await?;
        }
        return Ok(());
    }
    let (created, changed): (Vec<&Pending>, Vec<&Pending>) = all
        .into_iter()
        .partition(|p| !stored.contains_key(&p.offer.id));
    // A statement's rows at a time: the arguments of a whole batch (raw JSON and all) would
    // be held at once for nothing.
    let mut inserted = 0;
    for part in created.chunks(SQLITE_IDS) {
        for sql in insert("INSERT OR IGNORE", part, "")? {
            inserted += tx.execute(&sql).await?;
        }
    }
    // OR IGNORE would skip a row silently; the rows were just looked up in this transaction,
    // so a shortfall means a bug, and the batch must not commit.
    if inserted != created.len() as u64 {
        return Err(sqlx::Error::Protocol(format!(
            "{} of {} new offers were not inserted",
            created.len() as u64 - inserted,
            created.len()
        )));
    }
    for part in changed.chunks(SQLITE_IDS) {
        for sql in insert("INSERT", part, UPSERT.as_str())? {
            tx.execute(&sql).await?;
        }
    }
    Ok(())
}

/// Postgres: a large batch is written as this many transactions at once, on as many
/// connections. Postgres runs each statement on one core; the sync has one writer, so a single
/// transaction at a time left the server's other cores idle (docs/performance.md, `da7d11c`).
const PG_WRITE_PARTS: usize = 2;
/// Below this many offers a batch is one transaction: a page or two gains nothing from
/// splitting, and small writes stay atomic.
const PG_MIN_PART: usize = 500;

/// Writes a deduplicated batch of offers of one account (see `Offers::write`).
///
/// On Postgres the parts of a split batch commit separately: if one fails, the other may be
/// stored. That is what two smaller batches would have done; the run fails on the error either
/// way, and the next sync compares against whatever was stored.
pub(super) async fn write_offers(
    pool: &Pool,
    account: &str,
    run_id: Option<i64>,
    unique: &[&Offer],
    now: DateTime<Utc>,
) -> Result<WriteOutcome> {
    if pool.backend() == Backend::Sqlite || unique.len() < PG_WRITE_PARTS * PG_MIN_PART {
        return write_part(pool, account, run_id, unique, now).await;
    }
    let per_part = unique.len().div_ceil(PG_WRITE_PARTS);
    let parts = futures::future::join_all(
        unique
            .chunks(per_part)
            .map(|part| write_part(pool, account, run_id, part, now)),
    )
    .await;
    let mut out = WriteOutcome::default();
    for part in parts {
        let part = part?;
        out.created += part.created;
        out.updated += part.updated;
        out.unchanged += part.unchanged;
        out.restored += part.restored;
        out.changes.extend(part.changes);
    }
    Ok(out)
}

/// One transaction: look up what is stored, write what changed.
async fn write_part(
    pool: &Pool,
    account: &str,
    run_id: Option<i64>,
    unique: &[&Offer],
    now: DateTime<Utc>,
) -> Result<WriteOutcome> {
    let mut tx = pool.begin_write().await?;
    let backend = tx.backend();
    let ids: Vec<i64> = unique.iter().map(|o| o.id).collect();
    let per_statement = match backend {
        Backend::Sqlite => SQLITE_IDS,
        Backend::Postgres => ids.len().max(1),
    };
    let mut stored: HashMap<i64, Stored> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(per_statement) {
        let mut sql = Sql::new(format!(
            "SELECT id, content_hash, missing_since, first_seen_at, {} FROM offers WHERE account = ",
            TRACKED_FIELDS.join(", ")
        ));
        sql.push_bind(account)
            .push(" AND id ")
            .push_in_ids(backend, chunk);
        for row in tx.fetch_all::<StoredRow>(&sql).await? {
            let (id, s) = row.into_stored();
            stored.insert(id, s);
        }
    }

    let (out, to_write) = classify(account, run_id, unique, &stored, now);
    if !to_write.is_empty() {
        // Taken as late as possible: the counter row stays locked until commit, so the other
        // part of a split Postgres batch waits only for this part's writes.
        let rev: i64 = tx
            .scalar(&Sql::new(super::search::NEXT_REV).bind(account))
            .await?;
        write_changed(&mut tx, account, run_id, &to_write, &stored, now, rev).await?;
        let written: Vec<i64> = to_write.iter().map(|p| p.offer.id).collect();
        super::history::record(&mut tx, account, &written, now).await?;
    }
    mark_seen(&mut tx, account, run_id, &ids, now).await?;
    super::runs::insert_changes(&mut tx, &out.changes).await?;
    tx.commit().await?;
    Ok(out)
}

/// Every offer of the batch was seen now, changed or not: one narrow upsert (per 5,000 rows
/// on SQLite).
async fn mark_seen(
    tx: &mut Tx,
    account: &str,
    run_id: Option<i64>,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<()> {
    let rows = ids
        .iter()
        .map(|&id| vec![account.to_arg(), id.to_arg(), now.to_arg(), run_id.to_arg()])
        .collect();
    let statements = Sql::inserts(
        tx.backend(),
        "INSERT INTO offer_seen (account, id, last_seen_at, last_seen_run_id)",
        rows,
        " ON CONFLICT (account, id) DO UPDATE SET last_seen_at = excluded.last_seen_at, \
         last_seen_run_id = excluded.last_seen_run_id",
        5_000,
    );
    for sql in statements {
        tx.execute(&sql).await?;
    }
    Ok(())
}
