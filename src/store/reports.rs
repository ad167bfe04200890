//! What reports read: one account's window of time, each read an index range (migration
//! `report_ranges`), so a weekly report over a million offers stays cheap.

use super::money::Amount;
use super::sql::Sql;
use super::{Backend, Result, Store};
use crate::model::SyncRun;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Fields of `offer_changes` a report looks at.
pub const REPORT_FIELDS: &[&str] = &["sale_price", "general_stock", "status", "missing"];

/// What a change did, as bits of [`ChangeRow::flags`] (decided in SQL, so the report reads
/// small integers instead of decoding every change's values).
pub mod flag {
    /// Stock fell from above 0 to 0.
    pub const WENT_OUT: i64 = 1;
    /// Stock rose from 0.
    pub const RESTOCKED: i64 = 2;
    /// Stock entered 1..=LOW_STOCK from outside it.
    pub const WENT_LOW: i64 = 4;
    pub const GONE_MISSING: i64 = 8;
    pub const BACK: i64 = 16;
    /// Status became 0.
    pub const INACTIVATED: i64 = 32;
    /// Status became 2.
    pub const END_OF_LIFE: i64 = 64;
}

/// What a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    SalePrice,
    Stock,
    /// Status or missing.
    Other,
}

/// As the report's SQL numbers the kinds.
impl From<i64> for ChangeKind {
    fn from(kind: i64) -> ChangeKind {
        match kind {
            0 => ChangeKind::SalePrice,
            1 => ChangeKind::Stock,
            _ => ChangeKind::Other,
        }
    }
}

/// One recorded field change as a report needs it: its bucket of the window, what it did
/// ([`flag`] bits) and, for sale prices only, the old and new values.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChangeRow {
    pub offer_id: i64,
    #[sqlx(try_from = "i64")]
    pub kind: ChangeKind,
    pub flags: i64,
    /// Whole `bucket_secs` from the window's start.
    pub bucket: i64,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// An offer priced outside its own bounds.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BoundsRow {
    #[sqlx(rename = "id")]
    pub offer_id: i64,
    pub name: Option<String>,
    pub part_number: Option<String>,
    #[sqlx(try_from = "Amount")]
    pub sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    pub min_sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    pub max_sale_price: Option<Decimal>,
}

/// `store.reports()`.
#[derive(Clone, Copy)]
pub struct Reports<'a> {
    pub(super) store: &'a Store,
}

impl Reports<'_> {
    /// Changes of [`REPORT_FIELDS`] recorded for `account` in `[since, until)`, oldest first,
    /// bucketed by `bucket_secs` from `since`.
    pub async fn changes(
        self,
        account: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket_secs: i64,
    ) -> Result<Vec<ChangeRow>> {
        // Values are written as plain integers; anything else reads as unknown, as in Rust.
        let (int_old, int_new, epoch) = match self.store.backend() {
            Backend::Sqlite => (
                "CASE WHEN old_value <> '' AND old_value NOT GLOB '*[^0-9]*' THEN CAST(old_value AS INTEGER) END",
                "CASE WHEN new_value <> '' AND new_value NOT GLOB '*[^0-9]*' THEN CAST(new_value AS INTEGER) END",
                "CAST(strftime('%s', at) AS INTEGER)",
            ),
            Backend::Postgres => (
                "CASE WHEN old_value ~ '^[0-9]+$' THEN CAST(old_value AS BIGINT) END",
                "CASE WHEN new_value ~ '^[0-9]+$' THEN CAST(new_value AS BIGINT) END",
                "CAST(FLOOR(EXTRACT(EPOCH FROM at)) AS BIGINT)",
            ),
        };
        let low = crate::model::search::LOW_STOCK;
        // Change rows hold eMAG's status number as text (see `store::offers::tracked_values`).
        let inactive = crate::model::OfferStatus::Inactive.code();
        let eol = crate::model::OfferStatus::EndOfLife.code();
        use flag::{BACK, END_OF_LIFE, GONE_MISSING, INACTIVATED, RESTOCKED, WENT_LOW, WENT_OUT};
        let flags = format!(
            "CAST(\
             (CASE WHEN field = 'general_stock' AND {int_new} = 0 AND {int_old} > 0 THEN {WENT_OUT} ELSE 0 END) + \
             (CASE WHEN field = 'general_stock' AND {int_old} = 0 AND {int_new} > 0 THEN {RESTOCKED} ELSE 0 END) + \
             (CASE WHEN field = 'general_stock' AND {int_new} BETWEEN 1 AND {low} \
              AND NOT COALESCE({int_old} BETWEEN 1 AND {low}, 1 = 0) THEN {WENT_LOW} ELSE 0 END) + \
             (CASE WHEN field = 'missing' AND new_value = 'missing' \
              AND COALESCE(old_value, '') <> 'missing' THEN {GONE_MISSING} ELSE 0 END) + \
             (CASE WHEN field = 'missing' AND old_value = 'missing' THEN {BACK} ELSE 0 END) + \
             (CASE WHEN field = 'status' AND new_value = '{inactive}' AND COALESCE(old_value, '') <> '{inactive}' THEN {INACTIVATED} ELSE 0 END) + \
             (CASE WHEN field = 'status' AND new_value = '{eol}' AND COALESCE(old_value, '') <> '{eol}' THEN {END_OF_LIFE} ELSE 0 END) \
             AS BIGINT)"
        );
        let mut sql = Sql::new(format!(
            "SELECT offer_id, CAST(CASE field WHEN 'sale_price' THEN 0 WHEN 'general_stock' THEN 1 \
             ELSE 2 END AS BIGINT) AS kind, {flags} AS flags, ({epoch} - "
        ));
        sql.push_bind(since.timestamp())
            .push(") / ")
            .push_bind(bucket_secs.max(1))
            .push(
                " AS bucket, CASE WHEN field = 'sale_price' THEN old_value END AS old_value, \
                 CASE WHEN field = 'sale_price' THEN new_value END AS new_value \
                 FROM offer_changes WHERE account = ",
            )
            .push_bind(account)
            .push(" AND at >= ")
            .push_bind(since)
            .push(" AND at < ")
            .push_bind(until)
            .push(" AND field IN ")
            .push_list(REPORT_FIELDS.iter().copied())
            // The (account, at) index holds the rowid/id after `at`, so this order is read off it.
            .push(" ORDER BY at, id");
        self.store.pool.fetch_all(&sql).await
    }

    /// How many offers of `account` were first seen in `[since, until)`.
    pub async fn count_first_seen(
        self,
        account: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<i64> {
        let sql = Sql::new(
            "SELECT COUNT(*) FROM offers WHERE account = $1 AND first_seen_at >= $2 AND first_seen_at < $3",
        );
        self.store
            .pool
            .scalar(&sql.bind(account).bind(since).bind(until))
            .await
    }

    /// Name and part number of the given offers (looked up by key).
    pub async fn offer_labels(
        self,
        account: &str,
        ids: &[i64],
    ) -> Result<HashMap<i64, (Option<String>, Option<String>)>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new("SELECT id, name, part_number FROM offers WHERE account = ");
            sql.push_bind(account)
                .push(" AND id IN ")
                .push_list(chunk.iter().copied());
            let rows: Vec<(i64, Option<String>, Option<String>)> =
                self.store.pool.fetch_all(&sql).await?;
            out.extend(rows.into_iter().map(|(id, name, part)| (id, (name, part))));
        }
        Ok(out)
    }

    /// Listed offers of `account` priced now under their minimum (`over` false) or over their
    /// maximum (`over` true), by id; read off a partial index that holds only those offers.
    pub async fn out_of_bounds(self, account: &str, over: bool) -> Result<Vec<BoundsRow>> {
        // The condition must read exactly as the partial index's for the planner to use it.
        let condition = if over {
            "sale_price > max_sale_price"
        } else {
            "sale_price < min_sale_price"
        };
        let sql = Sql::new(format!(
            "SELECT id, name, part_number, sale_price, min_sale_price, max_sale_price FROM offers \
             WHERE account = $1 AND {condition} AND missing_since IS NULL ORDER BY id"
        ));
        self.store.pool.fetch_all(&sql.bind(account)).await
    }

    /// Runs of `account` started in `[since, until)`, oldest first.
    pub async fn runs_between(
        self,
        account: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<SyncRun>> {
        let sql = Sql::new(
            "SELECT * FROM sync_runs WHERE account = $1 AND started_at >= $2 \
             AND started_at < $3 ORDER BY started_at, id",
        );
        self.store
            .pool
            .fetch_all(&sql.bind(account).bind(since).bind(until))
            .await
    }

    /// When the newest completed run of `account` that started before `until` finished.
    pub async fn last_completed_before(
        self,
        account: &str,
        until: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let sql = Sql::new(
            "SELECT finished_at FROM sync_runs WHERE account = $1 AND started_at < $2 \
             AND status = 'completed' AND finished_at IS NOT NULL ORDER BY started_at DESC LIMIT 1",
        );
        let row: Option<(DateTime<Utc>,)> = self
            .store
            .pool
            .fetch_optional(&sql.bind(account).bind(until))
            .await?;
        Ok(row.map(|(at,)| at))
    }

    /// Accounts that have any run, for a report on a store without configured accounts.
    pub async fn accounts_with_runs(self) -> Result<Vec<String>> {
        let sql = Sql::new("SELECT DISTINCT account FROM sync_runs ORDER BY account");
        let rows: Vec<(String,)> = self.store.pool.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(a,)| a).collect())
    }
}
