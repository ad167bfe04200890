//! A batch of offers written in one transaction, on either database.
//!
//! One lookup loads what is stored for the batch's ids; [`classify`] decides what changed;
//! the offers that changed are written the way each database does it fastest (multi-row
//! inserts on SQLite, `offers_sqlite.rs`; one array per column on Postgres, `offers_pg.rs`);
//! every offer of the batch gets its `offer_seen` row; field changes go to `offer_changes` and
//! price points to the offer history.

use super::offers::{Stored, StoredRow, TRACKED_COLUMNS, WriteOutcome, classify};
use super::sql::{Pool, Sql, ToArg, Tx};
use super::{Backend, Result};
use crate::model::Offer;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// SQLite: ids per lookup and rows per statement, well below its 32 766 parameters.
const SQLITE_IDS: usize = 500;

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
            "SELECT id, content_hash, missing_since, first_seen_at, {TRACKED_COLUMNS} \
             FROM offers WHERE account = "
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
        match backend {
            Backend::Sqlite => {
                super::offers_sqlite::insert(&mut tx, account, run_id, &to_write, &stored, now, rev)
                    .await?
            }
            Backend::Postgres => {
                super::offers_pg::upsert(&mut tx, account, run_id, &to_write, now, rev).await?
            }
        }
        let written: Vec<i64> = to_write.iter().map(|p| p.offer.id).collect();
        super::history::record(&mut tx, account, &written, now).await?;
    }
    mark_seen(&mut tx, account, run_id, &ids, now).await?;
    match backend {
        Backend::Sqlite => super::runs::insert_changes(&mut tx, &out.changes).await?,
        Backend::Postgres => super::offers_pg::insert_changes(&mut tx, &out.changes).await?,
    }
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
    let upsert = "ON CONFLICT (account, id) DO UPDATE SET last_seen_at = excluded.last_seen_at, \
                  last_seen_run_id = excluded.last_seen_run_id";
    let insert = "INSERT INTO offer_seen (account, id, last_seen_at, last_seen_run_id)";
    if tx.backend() == Backend::Postgres {
        let sql = Sql::new(format!(
            "{insert} SELECT $1, id, $3, $4 FROM UNNEST($2::bigint[]) AS u(id) {upsert}"
        ));
        let sql = sql.bind(account).bind(ids.to_vec()).bind(now).bind(run_id);
        return tx.execute(&sql).await.map(drop);
    }
    for chunk in ids.chunks(5_000) {
        let mut sql = Sql::new(format!("{insert} "));
        sql.push_values(chunk, |&id| {
            vec![account.to_arg(), id.to_arg(), now.to_arg(), run_id.to_arg()]
        });
        sql.push(&format!(" {upsert}"));
        tx.execute(&sql).await?;
    }
    Ok(())
}
