//! `pending_edits` in the store, and the mirror overlay of pending edits.
//!
//! `crate::edits` decides what an edit is and how it moves between states; here are only its
//! rows and the statements that write them. A write that changes what the mirror shows
//! updates the offer in the same transaction, at a new revision of its account so the
//! dashboard's index reads it again; `raw` and `content_hash` stay eMAG's, so the next sync
//! still diffs against what eMAG really sent.

use super::money::Amount;
use super::sql::{Arg, Sql, ToArg, Tx};
use super::{Result, Store};
use crate::model::{Offer, OfferStatus};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

const OPEN_STATES: &str = "('pending', 'rejected', 'conflict')";

/// `store.edits()`.
#[derive(Clone, Copy)]
pub struct Edits<'a> {
    pub(super) store: &'a Store,
}

/// One `pending_edits` row as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct EditRow {
    pub id: i64,
    pub account: String,
    pub offer_id: i64,
    pub part_number: Option<String>,
    #[sqlx(try_from = "Amount")]
    pub sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    pub recommended_price: Option<Decimal>,
    pub stock: Option<i32>,
    pub status: Option<OfferStatus>,
    #[sqlx(try_from = "Amount")]
    pub base_sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    pub base_recommended_price: Option<Decimal>,
    pub base_stock: Option<i32>,
    pub base_status: Option<OfferStatus>,
    pub created_at: DateTime<Utc>,
    pub edited_at: DateTime<Utc>,
    pub revision: i64,
    pub state: String,
    pub message: Option<String>,
    #[sqlx(try_from = "Amount")]
    pub remote_sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    pub remote_recommended_price: Option<Decimal>,
    pub remote_stock: Option<i32>,
    pub remote_status: Option<OfferStatus>,
    pub remote_changed_seen_at: Option<DateTime<Utc>>,
    pub settled_by: Option<String>,
    pub settled_run_id: Option<i64>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub queued_by: Option<String>,
}

/// The editable columns of a `pending_edits` row with the given prefix (``, `base_`,
/// `remote_`) and their values, for [`EditWrite::set`].
pub(crate) fn value_columns(
    prefix: &str,
    sale_price: Option<Decimal>,
    recommended_price: Option<Decimal>,
    stock: Option<i32>,
    status: Option<OfferStatus>,
) -> Vec<(String, Arg)> {
    vec![
        (format!("{prefix}sale_price"), sale_price.to_arg()),
        (
            format!("{prefix}recommended_price"),
            recommended_price.to_arg(),
        ),
        (format!("{prefix}stock"), stock.to_arg()),
        (format!("{prefix}status"), status.to_arg()),
    ]
}

/// A change of one edit row: the columns to set (besides `updated_at`), guarded by the
/// revision it was decided on, and the offer to write to the mirror when it applies.
pub(crate) struct EditWrite<'a> {
    pub id: i64,
    pub account: &'a str,
    pub revision: Option<i64>,
    pub set: Vec<(String, Arg)>,
    pub mirror: Option<&'a Offer>,
}

/// A new edit, or new values of an open one: its columns (besides the times and the state),
/// and the mirror's offer with the edit overlaid when it is pending.
pub(crate) struct EditQueue<'a> {
    /// The open edit it merges into.
    pub existing: Option<i64>,
    pub set: Vec<(String, Arg)>,
    pub state: &'a str,
    pub queued_by: &'a str,
    pub mirror: Option<&'a Offer>,
}

/// Writes the editable columns of a mirrored offer (after the edit is overlaid), at a new
/// revision of its account.
async fn write_mirror(tx: &mut Tx, account: &str, o: &Offer) -> Result<()> {
    let rev: i64 = tx
        .scalar(&Sql::new(super::search::NEXT_REV).bind(account))
        .await?;
    let sql = Sql::new(
        "UPDATE offers SET sale_price = $3, recommended_price = $4, status = $5, \
         general_stock = $6, estimated_stock = $7, stock = $8, rev = $9 \
         WHERE account = $1 AND id = $2",
    )
    .bind(account)
    .bind(o.id)
    .bind(o.sale_price)
    .bind(o.recommended_price)
    .bind(o.status)
    .bind(o.general_stock)
    .bind(o.estimated_stock)
    .bind(Arg::json(&o.stock)?)
    .bind(rev);
    tx.execute(&sql).await.map(drop)
}

impl Edits<'_> {
    /// Inserts an edit or merges new values into an open one (a new revision of it); returns
    /// its id.
    pub(crate) async fn queue(
        self,
        account: &str,
        offer_id: i64,
        part_number: Option<&str>,
        q: EditQueue<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.store.pool.begin().await?;
        let id = match q.existing {
            Some(id) => {
                let mut sql =
                    Sql::new("UPDATE pending_edits SET revision = revision + 1, message = NULL");
                for (column, value) in q.set {
                    sql.push(&format!(", {column} = ")).push_bind(value);
                }
                sql.push(", edited_at = ").push_bind(now);
                sql.push(", updated_at = ").push_bind(now);
                sql.push(", state = ").push_bind(q.state);
                sql.push(", queued_by = ").push_bind(q.queued_by);
                sql.push(" WHERE id = ").push_bind(id);
                tx.execute(&sql).await?;
                id
            }
            None => {
                let mut row: Vec<(String, Arg)> = [
                    ("account", account.to_arg()),
                    ("offer_id", offer_id.to_arg()),
                    ("part_number", part_number.to_arg()),
                    ("created_at", now.to_arg()),
                    ("edited_at", now.to_arg()),
                    ("updated_at", now.to_arg()),
                    ("state", q.state.to_arg()),
                    ("queued_by", q.queued_by.to_arg()),
                ]
                .map(|(column, value)| (column.to_string(), value))
                .into();
                row.extend(q.set);
                let (columns, values): (Vec<String>, Vec<Arg>) = row.into_iter().unzip();
                let mut sql = Sql::new(format!(
                    "INSERT INTO pending_edits ({}) ",
                    columns.join(", ")
                ));
                sql.push_values([values]).push(" RETURNING id");
                tx.scalar(&sql).await?
            }
        };
        if let Some(o) = q.mirror {
            write_mirror(&mut tx, account, o).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Applies edit changes in one transaction, each with its mirror write when it applies;
    /// says for each whether its row was updated (a newer revision is left alone).
    pub(crate) async fn write(
        self,
        writes: &[EditWrite<'_>],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>> {
        if writes.is_empty() {
            return Ok(vec![]);
        }
        let mut tx = self.store.pool.begin().await?;
        let mut applied = Vec::with_capacity(writes.len());
        for w in writes {
            let mut sql = Sql::new("UPDATE pending_edits SET updated_at = ");
            sql.push_bind(now);
            for (column, value) in &w.set {
                sql.push(&format!(", {column} = ")).push_bind(value.clone());
            }
            sql.push(" WHERE id = ").push_bind(w.id);
            if let Some(r) = w.revision {
                sql.push(" AND revision = ").push_bind(r);
            }
            let n = tx.execute(&sql).await?;
            if n > 0
                && let Some(o) = w.mirror
            {
                write_mirror(&mut tx, w.account, o).await?;
            }
            applied.push(n > 0);
        }
        tx.commit().await?;
        Ok(applied)
    }

    pub async fn row(self, id: i64) -> Result<Option<EditRow>> {
        let sql = Sql::new("SELECT * FROM pending_edits WHERE id = $1");
        self.store.pool.fetch_optional(&sql.bind(id)).await
    }

    /// Whether the account has any open edit at all: a sync asks before every batch, and the
    /// answer is nearly always no, which spares looking up each of the batch's ids.
    pub async fn has_open(self, account: &str) -> Result<bool> {
        let sql = Sql::new(format!(
            "SELECT 1 AS one FROM pending_edits WHERE state IN {OPEN_STATES} AND account = $1 LIMIT 1"
        ));
        let row: Option<(i32,)> = self.store.pool.fetch_optional(&sql.bind(account)).await?;
        Ok(row.is_some())
    }

    /// Open edits of the given offers of an account, by id.
    pub async fn open_rows(self, account: &str, ids: &[i64]) -> Result<Vec<EditRow>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(format!(
                "SELECT * FROM pending_edits WHERE state IN {OPEN_STATES} AND account = "
            ));
            sql.push_bind(account)
                .push(" AND offer_id IN ")
                .push_list(chunk.iter().copied())
                .push(" ORDER BY id");
            out.extend(self.store.pool.fetch_all::<EditRow>(&sql).await?);
        }
        Ok(out)
    }

    /// Edits of an account (None: all) in the given states (empty: all), newest first; at
    /// most `limit` (0: 1000).
    pub async fn rows(
        self,
        account: Option<&str>,
        states: &[&str],
        limit: i64,
    ) -> Result<Vec<EditRow>> {
        let mut sql = Sql::new("SELECT * FROM pending_edits WHERE 1 = 1");
        if let Some(a) = account {
            sql.push(" AND account = ").push_bind(a);
        }
        if !states.is_empty() {
            sql.push(" AND state IN ").push_list(states.iter().copied());
        }
        let limit = if limit > 0 { limit } else { 1000 };
        sql.push(" ORDER BY updated_at DESC, id DESC LIMIT ")
            .push_bind(limit);
        self.store.pool.fetch_all(&sql).await
    }

    /// Pending edits of an account, oldest first (the push order).
    pub async fn pending_rows(self, account: &str) -> Result<Vec<EditRow>> {
        let sql = Sql::new(
            "SELECT * FROM pending_edits WHERE account = $1 AND state = 'pending' ORDER BY id",
        );
        self.store.pool.fetch_all(&sql.bind(account)).await
    }

    /// Accounts that have pending edits.
    pub async fn accounts_with_pending(self) -> Result<Vec<String>> {
        let sql = Sql::new(
            "SELECT DISTINCT account FROM pending_edits WHERE state = 'pending' ORDER BY account",
        );
        let rows: Vec<(String,)> = self.store.pool.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(a,)| a).collect())
    }
}
