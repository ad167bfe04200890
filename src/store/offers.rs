//! Writing and reading mirrored offers: what both stores share.
//!
//! A batch of offers is written in one transaction (`offers_write.rs`): it loads what is stored
//! for the batch's ids, writes only offers whose content hash changed ([`classify`]), records
//! every offer as seen, and records field changes in `offer_changes`. Reading (one offer, an
//! account's offers) and reconciliation (offers a complete scan missed) live here.

use super::money::Amount;
use super::search::{ProductRow, ROW_COLUMNS};
use super::sql::Sql;
use super::{Backend, Result, Store};
use crate::model::{Offer, OfferChange, OfferStatus, RawJson, money_text};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// `store.offers()`.
#[derive(Clone, Copy)]
pub struct Offers<'a> {
    pub(super) store: &'a Store,
}

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

/// The tracked values of an offer as text, in [`TRACKED_FIELDS`] order.
pub fn tracked_values(o: &Offer) -> Vec<Option<String>> {
    vec![
        o.part_number.clone(),
        o.name.clone(),
        o.status.map(|v| v.code().to_string()),
        o.sale_price.map(money_text),
        o.recommended_price.map(money_text),
        o.min_sale_price.map(money_text),
        o.max_sale_price.map(money_text),
        o.general_stock.map(|v| v.to_string()),
        o.estimated_stock.map(|v| v.to_string()),
        o.validation_status.map(|v| v.to_string()),
        o.offer_validation_status.map(|v| v.to_string()),
        o.translation_validation_status.map(|v| v.to_string()),
    ]
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
    let change = |offer_id, field: &str, old: Option<&str>, new: Option<&str>| {
        change(account, run_id, offer_id, field, old, new, now)
    };
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
                    out.changes
                        .push(change(o.id, "missing", Some("missing"), None));
                }
                // Same id, different part number: eMAG reused the id for another product, so
                // its history starts again.
                let reused = s.tracked[0].is_some() && s.tracked[0] != o.part_number;
                let first_seen = if reused { now } else { s.first_seen_at };
                for ((field, old), new) in
                    TRACKED_FIELDS.iter().zip(&s.tracked).zip(tracked_values(o))
                {
                    if *old != new {
                        out.changes
                            .push(change(o.id, field, old.as_deref(), new.as_deref()));
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

impl Offers<'_> {
    /// Writes a batch of offers of one account seen by run `run_id` at `now`.
    pub async fn write(
        self,
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
        super::offers_write::write_offers(self.store.writer(), account, run_id, &unique, now).await
    }

    /// Ids of offers of `account` that a complete scan started at `scan_started` did not see
    /// and that the scan's filter (`status`, None = all) would have returned.
    pub async fn missing_candidates(
        self,
        account: &str,
        scan_started: DateTime<Utc>,
        status: Option<OfferStatus>,
    ) -> Result<Vec<i64>> {
        // Driven from the narrow `offer_seen` rows: walking the account's offers instead reads
        // every wide row with its raw JSON (and flushes the page cache of the indexes) to find
        // the handful a scan did not list. Offers without a seen row
        // are found through the (account, id) index alone, then checked.
        let join = match self.store.backend() {
            // CROSS JOIN is SQLite's way to keep `offer_seen` as the outer loop.
            Backend::Sqlite => "CROSS JOIN",
            Backend::Postgres => "JOIN",
        };
        let mut sql = Sql::new(format!(
            "SELECT o.id FROM offer_seen s {join} offers o ON o.account = s.account AND o.id = s.id \
             WHERE s.account = "
        ));
        let status_term = |sql: &mut Sql| {
            if let Some(s) = status {
                sql.push(" AND o.status = ").push_bind(s);
            }
        };
        sql.push_bind(account)
            .push(" AND s.last_seen_at < ")
            .push_bind(scan_started)
            .push(" AND o.missing_since IS NULL");
        status_term(&mut sql);
        sql.push(" UNION SELECT o.id FROM offers o WHERE o.account = ")
            .push_bind(account)
            .push(" AND o.id IN (SELECT n.id FROM offers n WHERE n.account = ")
            .push_bind(account)
            .push(
                " AND NOT EXISTS (SELECT 1 FROM offer_seen s WHERE s.account = n.account AND s.id = n.id)) \
                 AND o.missing_since IS NULL",
            );
        status_term(&mut sql);
        sql.push(" ORDER BY 1");
        let ids: Vec<(i64,)> = self.store.pool.fetch_all(&sql).await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// Marks offers as no longer listed by eMAG (never deletes them); returns how many changed.
    pub async fn mark_missing(
        self,
        account: &str,
        run_id: Option<i64>,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut total = 0;
        for chunk in ids.chunks(5_000) {
            let mut tx = self.store.writer().begin().await?;
            let rev: i64 = tx
                .scalar(&Sql::new(super::search::NEXT_REV).bind(account))
                .await?;
            let mut sql = Sql::new("UPDATE offers SET missing_since = ");
            sql.push_bind(now)
                .push(", last_changed_at = ")
                .push_bind(now)
                .push(", rev = ")
                .push_bind(rev)
                .push(" WHERE account = ")
                .push_bind(account)
                .push(" AND missing_since IS NULL AND id IN ")
                .push_list(chunk.iter().copied())
                .push(" RETURNING id");
            let marked: Vec<(i64,)> = tx.fetch_all(&sql).await?;
            let changes: Vec<OfferChange> = marked
                .iter()
                .map(|(id,)| change(account, run_id, *id, "missing", None, Some("missing"), now))
                .collect();
            super::runs::insert_changes(&mut tx, &changes).await?;
            tx.commit().await?;
            total += marked.len() as u64;
        }
        Ok(total)
    }

    /// One stored offer with its bookkeeping timestamps.
    pub async fn get(self, account: &str, id: i64) -> Result<Option<StoredOffer>> {
        let sql = Sql::new(format!(
            "{SELECT_STORED} WHERE o.account = $1 AND o.id = $2"
        ));
        let row: Option<OfferRow> = self
            .store
            .pool
            .fetch_optional(&sql.bind(account).bind(id))
            .await?;
        Ok(row.map(StoredOffer::from))
    }

    /// Every offer of an account, ordered by id (tests, comparisons; not for huge exports).
    pub async fn of_account(self, account: &str) -> Result<Vec<StoredOffer>> {
        let sql = Sql::new(format!(
            "{SELECT_STORED} WHERE o.account = $1 ORDER BY o.id"
        ));
        let rows: Vec<OfferRow> = self.store.pool.fetch_all(&sql.bind(account)).await?;
        Ok(rows.into_iter().map(StoredOffer::from).collect())
    }

    /// The same part number on every account (MAIN and FBE, RO/BG/HU), for offer details.
    pub async fn same_part_number(self, part_number: &str) -> Result<Vec<ProductRow>> {
        let sql = Sql::new(format!(
            "SELECT {ROW_COLUMNS} FROM offers WHERE part_number = $1 AND missing_since IS NULL \
             ORDER BY account, id"
        ));
        self.store.pool.fetch_all(&sql.bind(part_number)).await
    }

    /// Postgres only: refreshes the planner's statistics of the tables a sync writes. Called
    /// as a run's writes double the account's rows: until autovacuum catches up, a table that
    /// grew from nothing is still estimated "nearly empty", and the planner then reads each
    /// page's `id IN (...)` lookup off the whole account's index range (docs/performance.md).
    /// SQLite plans these lookups by the primary key whatever its statistics say.
    ///
    /// Only the columns a sync filters on are analysed (the page lookups, and the search for
    /// offers a complete scan did not see); the row counts come with any column list. A full
    /// ANALYZE of `offers` also detoasts and summarises every sampled raw JSON and description,
    /// a large share of the server's CPU during a first sync. Autovacuum's own ANALYZE
    /// still covers every column later.
    pub async fn refresh_write_statistics(self) -> Result<()> {
        if self.store.backend() == Backend::Postgres {
            self.store
                .pool
                .execute_script(
                    "ANALYZE offers (account, id, status, missing_since); \
                     ANALYZE offer_seen (account, id, last_seen_at)",
                )
                .await?;
        }
        Ok(())
    }
}

/// A row of the batch lookup: what the store holds for one offer of a batch (`id`,
/// `content_hash`, `missing_since`, `first_seen_at` and the [`TRACKED_FIELDS`]), on either store.
#[derive(sqlx::FromRow)]
pub(super) struct StoredRow {
    id: i64,
    content_hash: String,
    missing_since: Option<DateTime<Utc>>,
    first_seen_at: DateTime<Utc>,
    part_number: Option<String>,
    name: Option<String>,
    status: Option<OfferStatus>,
    #[sqlx(try_from = "Amount")]
    sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    recommended_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    min_sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    max_sale_price: Option<Decimal>,
    general_stock: Option<i32>,
    estimated_stock: Option<i32>,
    validation_status: Option<i16>,
    offer_validation_status: Option<i16>,
    translation_validation_status: Option<i16>,
}

impl StoredRow {
    /// The tracked values as text exactly as [`tracked_values`] writes an offer's.
    pub(super) fn into_stored(self) -> (i64, Stored) {
        let tracked = tracked_values(&Offer {
            part_number: self.part_number,
            name: self.name,
            status: self.status,
            sale_price: self.sale_price,
            recommended_price: self.recommended_price,
            min_sale_price: self.min_sale_price,
            max_sale_price: self.max_sale_price,
            general_stock: self.general_stock,
            estimated_stock: self.estimated_stock,
            validation_status: self.validation_status,
            offer_validation_status: self.offer_validation_status,
            translation_validation_status: self.translation_validation_status,
            ..Offer::default()
        });
        let stored = Stored {
            hash: self.content_hash,
            missing: self.missing_since.is_some(),
            first_seen_at: self.first_seen_at,
            tracked,
        };
        (self.id, stored)
    }
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

/// Selects every offer column plus when it was last seen, for [`OfferRow`]. A
/// subquery rather than a join, so filters can name offer columns without a table prefix.
pub(crate) const SELECT_STORED: &str = "SELECT o.*, COALESCE((SELECT s.last_seen_at FROM offer_seen s \
    WHERE s.account = o.account AND s.id = o.id), o.last_changed_at) AS last_seen_at FROM offers o";

/// An offer as mirrored, with magsync's own bookkeeping.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct StoredOffer {
    pub account: String,
    #[sqlx(flatten)]
    pub offer: Offer,
    pub content_hash: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    pub missing_since: Option<DateTime<Utc>>,
    pub last_run_id: Option<i64>,
}

/// A row of [`SELECT_STORED`]: the stored offer, and its raw JSON to pair with its hash.
#[derive(sqlx::FromRow)]
pub(crate) struct OfferRow {
    #[sqlx(flatten)]
    stored: StoredOffer,
    #[sqlx(json)]
    raw: Box<RawValue>,
}

impl From<OfferRow> for StoredOffer {
    fn from(OfferRow { mut stored, raw }: OfferRow) -> StoredOffer {
        stored.offer.raw = RawJson::from_stored(raw, &stored.content_hash);
        stored
    }
}
