//! Writing and reading mirrored offers: what both stores share.
//!
//! A batch of offers is written in one transaction by each store's own path
//! (`offers_sqlite.rs`, `offers_pg.rs`): it loads what is stored for the batch's ids, writes only
//! offers whose content hash changed ([`classify`]), records every offer as seen, and records
//! field changes in `offer_changes`. Reading (one offer, an account's offers) and reconciliation
//! (offers a complete scan missed) live here.

use super::money::{self, Money};
use super::{Backend, Result, Store, on_pool, on_write_pool};
use crate::model::{Offer, OfferChange, OfferStatus, RawJson, WarehouseValue};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

/// What writing a batch did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteOutcome {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Offers that were marked missing and came back (counted in `updated` too).
    pub restored: u64,
    pub changes: Vec<OfferChange>,
}

/// Fields whose changes are recorded, in display order.
pub const TRACKED_FIELDS: &[&str] = &[
    "part_number",
    "name",
    "status",
    "sale_price",
    "recommended_price",
    "min_sale_price",
    "max_sale_price",
    "general_stock",
    "estimated_stock",
    "validation_status",
    "offer_validation_status",
    "translation_validation_status",
];

pub(super) const TRACKED_COLUMNS: &str = "part_number, name, status, sale_price, recommended_price, \
    min_sale_price, max_sale_price, general_stock, estimated_stock, validation_status, \
    offer_validation_status, translation_validation_status";

/// Every column of `offers` in insert order.
pub(super) const COLUMNS: &str = "account, id, part_number, part_number_key, name, brand, description, url, \
    category_id, vendor_category_id, warranty, eans, sale_price, recommended_price, \
    min_sale_price, max_sale_price, best_offer_sale_price, best_offer_recommended_price, \
    currency, vat_id, status, general_stock, estimated_stock, stock, handling_time, \
    handling_time_days, validation_status, validation_status_description, \
    translation_validation_status, offer_validation_status, offer_validation_status_description, \
    ownership, number_of_offers, buy_button_rank, offer_details_id, images, raw, content_hash, \
    search_text, first_seen_at, last_changed_at, missing_since, last_run_id, rev";

fn money_text(d: Option<Decimal>) -> Option<String> {
    d.map(|mut d| {
        d.rescale(money::SCALE);
        d.to_string()
    })
}

/// The tracked values of an offer as text, in [`TRACKED_FIELDS`] order.
pub fn tracked_values(o: &Offer) -> Vec<Option<String>> {
    vec![
        o.part_number.clone(),
        o.name.clone(),
        o.status.map(|v| v.code().to_string()),
        money_text(o.sale_price),
        money_text(o.recommended_price),
        money_text(o.min_sale_price),
        money_text(o.max_sale_price),
        o.general_stock.map(|v| v.to_string()),
        o.estimated_stock.map(|v| v.to_string()),
        o.validation_status.map(|v| v.to_string()),
        o.offer_validation_status.map(|v| v.to_string()),
        o.translation_validation_status.map(|v| v.to_string()),
    ]
}

/// Lower-case text with diacritics and other scripts transliterated, so "lampa" finds "Lampă"
/// and an operator without a Romanian keyboard finds "Fierbător".
pub fn fold_search(s: &str) -> String {
    deunicode::deunicode(s).to_lowercase()
}

pub fn search_text(o: &Offer) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for s in [&o.name, &o.part_number, &o.part_number_key]
        .into_iter()
        .flatten()
    {
        parts.push(s);
    }
    parts.extend(o.eans.iter().map(String::as_str));
    fold_search(&parts.join(" \u{1f} "))
}

/// What is stored for an offer the batch holds.
pub(super) struct Stored {
    pub hash: String,
    pub missing: bool,
    pub first_seen_at: DateTime<Utc>,
    pub tracked: Vec<Option<String>>,
}

/// An offer of the batch that must be (re)written.
pub(super) struct Pending<'a> {
    pub offer: &'a Offer,
    pub first_seen: DateTime<Utc>,
    pub hash: String,
}

/// Sorts the batch into created, changed and unchanged offers and records field changes.
pub(super) fn classify<'a>(
    account: &str,
    run_id: Option<i64>,
    unique: &[&'a Offer],
    stored: &HashMap<i64, Stored>,
    now: DateTime<Utc>,
) -> (WriteOutcome, Vec<Pending<'a>>) {
    let mut out = WriteOutcome::default();
    let mut to_write = Vec::new();
    for &o in unique {
        let hash = o.raw.content_hash();
        match stored.get(&o.id) {
            None => {
                out.created += 1;
                to_write.push(Pending {
                    offer: o,
                    first_seen: now,
                    hash,
                });
            }
            Some(s) if s.hash == hash && !s.missing => out.unchanged += 1,
            Some(s) => {
                out.updated += 1;
                if s.missing {
                    out.restored += 1;
                    out.changes.push(change(
                        account,
                        run_id,
                        o.id,
                        "missing",
                        Some("missing"),
                        None,
                        now,
                    ));
                }
                // Same id, different part number: eMAG reused the id for another product, so
                // its history starts again.
                let reused = s.tracked[0].is_some() && s.tracked[0] != o.part_number;
                let first_seen = if reused { now } else { s.first_seen_at };
                for ((field, old), new) in
                    TRACKED_FIELDS.iter().zip(&s.tracked).zip(tracked_values(o))
                {
                    if *old != new {
                        out.changes.push(change(
                            account,
                            run_id,
                            o.id,
                            field,
                            old.as_deref(),
                            new.as_deref(),
                            now,
                        ));
                    }
                }
                to_write.push(Pending {
                    offer: o,
                    first_seen,
                    hash,
                });
            }
        }
    }
    (out, to_write)
}

impl Store {
    /// Writes a batch of offers of one account seen by run `run_id` at `now`.
    pub async fn write_offers(
        &self,
        account: &str,
        run_id: Option<i64>,
        offers: &[Offer],
        now: DateTime<Utc>,
    ) -> Result<WriteOutcome> {
        if offers.is_empty() {
            return Ok(WriteOutcome::default());
        }
        // A page can hold the same id twice when the catalogue shifts; the last copy wins.
        let mut unique: Vec<&Offer> = Vec::with_capacity(offers.len());
        let mut index: HashMap<i64, usize> = HashMap::with_capacity(offers.len());
        for o in offers {
            match index.get(&o.id) {
                Some(&i) => unique[i] = o,
                None => {
                    index.insert(o.id, unique.len());
                    unique.push(o);
                }
            }
        }
        match (&self.pool, &self.sqlite_writer) {
            (super::Pool::Postgres(pool), _) => {
                super::offers_pg::write_offers(pool, account, run_id, &unique, now).await
            }
            (_, Some(writer)) => {
                super::offers_sqlite::write_offers(writer, account, run_id, &unique, now).await
            }
            (super::Pool::Sqlite(pool), None) => {
                super::offers_sqlite::write_offers(pool, account, run_id, &unique, now).await
            }
        }
    }

    /// Ids of offers of `account` that a complete scan started at `scan_started` did not see
    /// and that the scan's filter (`status`, None = all) would have returned.
    pub async fn missing_candidates(
        &self,
        account: &str,
        scan_started: DateTime<Utc>,
        status: Option<OfferStatus>,
    ) -> Result<Vec<i64>> {
        // Driven from the narrow `offer_seen` rows: walking the account's offers instead reads
        // every wide row with its raw JSON (and flushes the page cache of the indexes) to find
        // the handful a scan did not list. Offers without a seen row
        // are found through the (account, id) index alone, then checked.
        let join = match self.backend() {
            // CROSS JOIN is SQLite's way to keep `offer_seen` as the outer loop.
            Backend::Sqlite => "CROSS JOIN",
            Backend::Postgres => "JOIN",
        };
        on_pool!(self, pool => {
            let status_term = |q: &mut QueryBuilder<_>| {
                if let Some(s) = status {
                    q.push(" AND o.status = ").push_bind(s.code());
                }
            };
            let mut q = QueryBuilder::new(format!(
                "SELECT o.id FROM offer_seen s {join} offers o ON o.account = s.account AND o.id = s.id \
                 WHERE s.account = "
            ));
            q.push_bind(account)
                .push(" AND s.last_seen_at < ")
                .push_bind(scan_started)
                .push(" AND o.missing_since IS NULL");
            status_term(&mut q);
            q.push(" UNION SELECT o.id FROM offers o WHERE o.account = ")
                .push_bind(account)
                .push(" AND o.id IN (SELECT n.id FROM offers n WHERE n.account = ")
                .push_bind(account)
                .push(
                    " AND NOT EXISTS (SELECT 1 FROM offer_seen s WHERE s.account = n.account AND s.id = n.id)) \
                     AND o.missing_since IS NULL",
                );
            status_term(&mut q);
            q.push(" ORDER BY 1");
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(|r| r.try_get::<i64, _>(0)).collect()
        })
    }

    /// Marks offers as no longer listed by eMAG (never deletes them); returns how many changed.
    pub async fn mark_missing(
        &self,
        account: &str,
        run_id: Option<i64>,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut total = 0;
        for chunk in ids.chunks(5_000) {
            total += on_write_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                let rev: i64 = sqlx::query_scalar(super::search::NEXT_REV)
                    .bind(account)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut q = QueryBuilder::new("UPDATE offers SET missing_since = ");
                q.push_bind(now).push(", last_changed_at = ").push_bind(now);
                q.push(", rev = ").push_bind(rev);
                q.push(" WHERE account = ").push_bind(account);
                q.push(" AND missing_since IS NULL AND id IN (");
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                q.push(") RETURNING id");
                let marked: Vec<i64> = q
                    .build()
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<i64, _>("id"))
                    .collect::<Result<_>>()?;
                let changes: Vec<OfferChange> = marked
                    .iter()
                    .map(|id| change(account, run_id, *id, "missing", None, Some("missing"), now))
                    .collect();
                super::runs::insert_changes(&mut tx, &changes).await?;
                tx.commit().await?;
                marked.len() as u64
            });
        }
        Ok(total)
    }

    /// One stored offer with its bookkeeping timestamps.
    pub async fn get_offer(&self, account: &str, id: i64) -> Result<Option<StoredOffer>> {
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_STORED} WHERE o.account = $1 AND o.id = $2")))
                .bind(account)
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.map(|r| stored_offer_from_row(&r)).transpose()
        })
    }

    /// Every offer of an account, ordered by id (tests, comparisons; not for huge exports).
    pub async fn offers_of(&self, account: &str) -> Result<Vec<StoredOffer>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_STORED} WHERE o.account = $1 ORDER BY o.id")))
                .bind(account)
                .fetch_all(pool)
                .await?;
            rows.iter().map(stored_offer_from_row).collect()
        })
    }
}

/// `ON CONFLICT` update of every column but the key; a written offer is listed again.
pub(super) const UPSERT_SET: &str = "part_number = excluded.part_number, \
    part_number_key = excluded.part_number_key, name = excluded.name, brand = excluded.brand, \
    description = excluded.description, url = excluded.url, category_id = excluded.category_id, \
    vendor_category_id = excluded.vendor_category_id, warranty = excluded.warranty, \
    eans = excluded.eans, sale_price = excluded.sale_price, \
    recommended_price = excluded.recommended_price, min_sale_price = excluded.min_sale_price, \
    max_sale_price = excluded.max_sale_price, best_offer_sale_price = excluded.best_offer_sale_price, \
    best_offer_recommended_price = excluded.best_offer_recommended_price, \
    currency = excluded.currency, vat_id = excluded.vat_id, status = excluded.status, \
    general_stock = excluded.general_stock, estimated_stock = excluded.estimated_stock, \
    stock = excluded.stock, handling_time = excluded.handling_time, \
    handling_time_days = excluded.handling_time_days, validation_status = excluded.validation_status, \
    validation_status_description = excluded.validation_status_description, \
    translation_validation_status = excluded.translation_validation_status, \
    offer_validation_status = excluded.offer_validation_status, \
    offer_validation_status_description = excluded.offer_validation_status_description, \
    ownership = excluded.ownership, number_of_offers = excluded.number_of_offers, \
    buy_button_rank = excluded.buy_button_rank, offer_details_id = excluded.offer_details_id, \
    images = excluded.images, raw = excluded.raw, content_hash = excluded.content_hash, \
    search_text = excluded.search_text, first_seen_at = excluded.first_seen_at, \
    last_changed_at = excluded.last_changed_at, missing_since = NULL, \
    last_run_id = excluded.last_run_id, rev = excluded.rev";

/// What the store holds for one offer of a batch, from a row of the batch lookup (`id`,
/// `content_hash`, `missing_since`, `first_seen_at` and [`TRACKED_COLUMNS`]), on either store.
pub(super) fn stored_from_row<R: Row>(row: &R) -> Result<(i64, Stored)>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i16>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i32>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Money>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let money = |c: &str| -> Result<Option<String>> {
        Ok(money_text(row.try_get::<Option<Money>, _>(c)?.map(|m| m.0)))
    };
    let small = |c: &str| -> Result<Option<String>> {
        Ok(row.try_get::<Option<i16>, _>(c)?.map(|v| v.to_string()))
    };
    let int = |c: &str| -> Result<Option<String>> {
        Ok(row.try_get::<Option<i32>, _>(c)?.map(|v| v.to_string()))
    };
    // In TRACKED_FIELDS order.
    let tracked = vec![
        row.try_get("part_number")?,
        row.try_get("name")?,
        small("status")?,
        money("sale_price")?,
        money("recommended_price")?,
        money("min_sale_price")?,
        money("max_sale_price")?,
        int("general_stock")?,
        int("estimated_stock")?,
        small("validation_status")?,
        small("offer_validation_status")?,
        small("translation_validation_status")?,
    ];
    Ok((
        row.try_get("id")?,
        Stored {
            hash: row.try_get("content_hash")?,
            missing: row
                .try_get::<Option<DateTime<Utc>>, _>("missing_since")?
                .is_some(),
            first_seen_at: row.try_get("first_seen_at")?,
            tracked,
        },
    ))
}

fn change(
    account: &str,
    run_id: Option<i64>,
    offer_id: i64,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    at: DateTime<Utc>,
) -> OfferChange {
    OfferChange {
        run_id,
        account: account.to_string(),
        offer_id,
        field: field.to_string(),
        old_value: old.map(str::to_string),
        new_value: new.map(str::to_string),
        at,
    }
}

/// Selects every offer column plus when it was last seen, for [`stored_offer_from_row`]. A
/// subquery rather than a join, so filters can name offer columns without a table prefix.
pub(crate) const SELECT_STORED: &str = "SELECT o.*, COALESCE((SELECT s.last_seen_at FROM offer_seen s \
    WHERE s.account = o.account AND s.id = o.id), o.last_changed_at) AS last_seen_at FROM offers o";

/// An offer as mirrored, with magsync's own bookkeeping.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredOffer {
    pub account: String,
    pub offer: Offer,
    pub content_hash: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    pub missing_since: Option<DateTime<Utc>>,
    pub last_run_id: Option<i64>,
}

pub(crate) fn stored_offer_from_row<R: Row>(r: &R) -> Result<StoredOffer>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i32>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i16>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Money>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<DateTime<Utc>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<Vec<String>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<Vec<WarehouseValue>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<Box<serde_json::value::RawValue>>:
        sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let m =
        |c: &str| -> Result<Option<Decimal>> { Ok(r.try_get::<Option<Money>, _>(c)?.map(|m| m.0)) };
    let offer = Offer {
        id: r.try_get("id")?,
        part_number: r.try_get("part_number")?,
        part_number_key: r.try_get("part_number_key")?,
        name: r.try_get("name")?,
        brand: r.try_get("brand")?,
        description: r.try_get("description")?,
        url: r.try_get("url")?,
        category_id: r.try_get("category_id")?,
        vendor_category_id: r.try_get("vendor_category_id")?,
        warranty: r.try_get("warranty")?,
        eans: r.try_get::<Json<Vec<String>>, _>("eans")?.0,
        sale_price: m("sale_price")?,
        recommended_price: m("recommended_price")?,
        min_sale_price: m("min_sale_price")?,
        max_sale_price: m("max_sale_price")?,
        best_offer_sale_price: m("best_offer_sale_price")?,
        best_offer_recommended_price: m("best_offer_recommended_price")?,
        currency: r.try_get("currency")?,
        vat_id: r.try_get("vat_id")?,
        status: r
            .try_get::<Option<i16>, _>("status")?
            .map(OfferStatus::from_code),
        general_stock: r.try_get("general_stock")?,
        estimated_stock: r.try_get("estimated_stock")?,
        stock: r.try_get::<Json<Vec<WarehouseValue>>, _>("stock")?.0,
        handling_time: r
            .try_get::<Json<Vec<WarehouseValue>>, _>("handling_time")?
            .0,
        validation_status: r.try_get("validation_status")?,
        validation_status_description: r.try_get("validation_status_description")?,
        translation_validation_status: r.try_get("translation_validation_status")?,
        offer_validation_status: r.try_get("offer_validation_status")?,
        offer_validation_status_description: r.try_get("offer_validation_status_description")?,
        ownership: r.try_get("ownership")?,
        number_of_offers: r.try_get("number_of_offers")?,
        buy_button_rank: r.try_get("buy_button_rank")?,
        offer_details_id: r.try_get("offer_details_id")?,
        image_urls: r.try_get::<Json<Vec<String>>, _>("images")?.0,
        raw: RawJson::from_stored(
            r.try_get::<Json<Box<serde_json::value::RawValue>>, _>("raw")?
                .0,
            &r.try_get::<String, _>("content_hash")?,
        ),
    };
    Ok(StoredOffer {
        account: r.try_get("account")?,
        offer,
        content_hash: r.try_get("content_hash")?,
        first_seen_at: r.try_get("first_seen_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        last_changed_at: r.try_get("last_changed_at")?,
        missing_since: r.try_get("missing_since")?,
        last_run_id: r.try_get("last_run_id")?,
    })
}
