//! `pending_edits` in the store, and the mirror overlay of pending edits.
//!
//! The mirror (`offers`) shows a pending edit's values, so the products view and exports show
//! what the operator set; `raw` and `content_hash` stay eMAG's, so the next sync still diffs
//! against what eMAG really sent. At most one open edit exists per offer (a partial unique
//! index): a second `offer set` merges into the first instead of queueing a duplicate.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};

use super::validate::{EditRequest, validate};
use super::{Edit, EditState, SettledBy, Values};
use crate::error::Failure;
use crate::model::{Offer, OfferStatus};
use crate::store::money::{self, Money};
use crate::store::{Result, Store, on_pool, short_db_error};

const COLUMNS: &str = "id, account, offer_id, part_number, sale_price, recommended_price, stock, \
    status, base_sale_price, base_recommended_price, base_stock, base_status, created_at, \
    edited_at, revision, state, message, remote_sale_price, remote_recommended_price, \
    remote_stock, remote_status, remote_changed_seen_at, settled_by, settled_run_id, pushed_at, \
    updated_at, queued_by";

const OPEN_STATES: &str = "('pending', 'rejected', 'conflict')";

/// Which edits to list (`magsync pending`, the Changes tab).
#[derive(Debug, Clone, Default)]
pub struct EditFilter {
    pub account: Option<String>,
    /// Empty = every state.
    pub states: Vec<EditState>,
    /// 0 = 1000.
    pub limit: i64,
}

/// How an edit moves to another state; unset parts are left alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Transition {
    pub state: Option<EditState>,
    pub message: Option<Option<String>>,
    pub settled_by: Option<SettledBy>,
    pub run_id: Option<i64>,
    /// eMAG's values and when their change was first seen.
    pub remote: Option<(Values, Option<DateTime<Utc>>)>,
    /// New base values (the edit now builds on eMAG's current values).
    pub rebase: Option<Values>,
    pub pushed_at: Option<DateTime<Utc>>,
}

pub(crate) fn transition_query<DB: sqlx::Database>(
    id: i64,
    revision: Option<i64>,
    t: &Transition,
    now: DateTime<Utc>,
) -> QueryBuilder<DB>
where
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i32>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i16>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<Money>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<DateTime<Utc>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut q = QueryBuilder::new("UPDATE pending_edits SET updated_at = ");
    q.push_bind(now);
    if let Some(s) = t.state {
        q.push(", state = ").push_bind(s.as_str().to_string());
    }
    if let Some(m) = &t.message {
        q.push(", message = ").push_bind(m.clone());
    }
    if let Some(by) = &t.settled_by {
        q.push(", settled_by = ").push_bind(by.as_str().to_string());
        q.push(", settled_run_id = ").push_bind(t.run_id);
    }
    let values = |q: &mut QueryBuilder<DB>, prefix: &str, v: &Values| {
        q.push(format!(", {prefix}sale_price = "))
            .push_bind(money::opt(v.sale_price));
        q.push(format!(", {prefix}recommended_price = "))
            .push_bind(money::opt(v.recommended_price));
        q.push(format!(", {prefix}stock = ")).push_bind(v.stock);
        q.push(format!(", {prefix}status = "))
            .push_bind(v.status.map(OfferStatus::code));
    };
    if let Some((remote, seen)) = &t.remote {
        values(&mut q, "remote_", remote);
        q.push(", remote_changed_seen_at = ").push_bind(*seen);
    }
    if let Some(base) = &t.rebase {
        values(&mut q, "base_", base);
    }
    if let Some(at) = t.pushed_at {
        q.push(", pushed_at = ").push_bind(at);
    }
    q.push(" WHERE id = ").push_bind(id);
    if let Some(r) = revision {
        q.push(" AND revision = ").push_bind(r);
    }
    q
}

/// Writes the editable columns of a mirrored offer (after `Values::overlay`), at a new
/// revision of its account so the dashboard's index reads it again.
macro_rules! write_mirror {
    ($tx:ident, $account:expr, $o:expr) => {
        async {
            let rev: i64 = sqlx::query_scalar(crate::store::search::NEXT_REV)
                .bind($account)
                .fetch_one(&mut *$tx)
                .await?;
            sqlx::query(
                "UPDATE offers SET sale_price = $3, recommended_price = $4, status = $5, \
                 general_stock = $6, estimated_stock = $7, stock = $8, rev = $9 \
                 WHERE account = $1 AND id = $2",
            )
            .bind($account)
            .bind($o.id)
            .bind(money::opt($o.sale_price))
            .bind(money::opt($o.recommended_price))
            .bind($o.status)
            .bind($o.general_stock)
            .bind($o.estimated_stock)
            .bind(Json($o.stock.clone()))
            .bind(rev)
            .execute(&mut *$tx)
            .await
        }
    };
}

fn db_failure(e: sqlx::Error) -> Failure {
    Failure::runtime(format!("database error: {}", short_db_error(&e)))
}

/// Validates an edit of one mirrored offer and queues it, merged into the offer's open edit
/// if there is one; the mirror then shows the edited values.
pub async fn queue(
    store: &Store,
    account: &str,
    offer_id: i64,
    req: &EditRequest,
    fbe: bool,
    by: &str,
    now: DateTime<Utc>,
) -> std::result::Result<Edit, Failure> {
    let stored = store
        .get_offer(account, offer_id)
        .await
        .map_err(db_failure)?
        .ok_or_else(|| {
            Failure::usage(format!(
                "offer {offer_id} of account \"{account}\" is not in the local mirror; sync the account first or check the id"
            ))
        })?;
    if let Some(since) = stored.missing_since {
        return Err(Failure::usage(format!(
            "offer {offer_id} of account \"{account}\" is no longer listed by eMAG (missing since {})",
            since.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    let existing = open_edit(store, account, offer_id)
        .await
        .map_err(db_failure)?;
    let new = validate(req, &stored.offer, existing.as_ref(), fbe, account)
        .map_err(|e| Failure::usage(e.0))?;

    // Base values: what eMAG had when each field was first edited. Fields the open edit
    // already holds keep their base; the mirror shows eMAG's value for the others.
    let mut values = existing
        .as_ref()
        .map(|e| e.values.clone())
        .unwrap_or_default();
    let mut base = existing
        .as_ref()
        .map(|e| e.base.clone())
        .unwrap_or_default();
    let remote_now = Values::of_offer(&stored.offer, &new.fields());
    for f in new.fields() {
        values.take(&new, f);
        if existing.as_ref().is_none_or(|e| e.values.text(f).is_none()) {
            base.take(&remote_now, f);
        }
    }
    if existing.is_none() && values.differing(&base, &values.fields()).is_empty() {
        return Err(Failure::usage(format!(
            "offer {offer_id} already has {}; nothing to queue",
            values.describe(&values.fields())
        )));
    }
    // A conflicted edit stays conflicted until the operator resolves it; anything else
    // (pending, or rejected and now corrected) is pending again.
    let state = match &existing {
        Some(e) if e.state == EditState::Conflict => EditState::Conflict,
        _ => EditState::Pending,
    };
    let mut mirror = stored.offer.clone();
    values.overlay(&mut mirror);

    let id: i64 = on_pool!(store, pool => {
        let mut tx = pool.begin().await.map_err(db_failure)?;
        let id: i64 = match &existing {
            Some(e) => {
                let mut q = QueryBuilder::new("UPDATE pending_edits SET revision = revision + 1, edited_at = ");
                q.push_bind(now).push(", updated_at = ").push_bind(now);
                q.push(", state = ").push_bind(state.as_str());
                q.push(", message = NULL, queued_by = ").push_bind(by.to_string());
                for (prefix, v) in [("", &values), ("base_", &base)] {
                    q.push(format!(", {prefix}sale_price = ")).push_bind(money::opt(v.sale_price));
                    q.push(format!(", {prefix}recommended_price = ")).push_bind(money::opt(v.recommended_price));
                    q.push(format!(", {prefix}stock = ")).push_bind(v.stock);
                    q.push(format!(", {prefix}status = "))
            .push_bind(v.status.map(OfferStatus::code));
                }
                q.push(" WHERE id = ").push_bind(e.id);
                q.build().execute(&mut *tx).await.map_err(db_failure)?;
                e.id
            }
            None => sqlx::query(
                "INSERT INTO pending_edits (account, offer_id, part_number, sale_price, \
                 recommended_price, stock, status, base_sale_price, base_recommended_price, \
                 base_stock, base_status, created_at, edited_at, state, updated_at, queued_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 'pending', $12, $13) \
                 RETURNING id",
            )
            .bind(account)
            .bind(offer_id)
            .bind(stored.offer.part_number.clone())
            .bind(money::opt(values.sale_price))
            .bind(money::opt(values.recommended_price))
            .bind(values.stock)
            .bind(values.status)
            .bind(money::opt(base.sale_price))
            .bind(money::opt(base.recommended_price))
            .bind(base.stock)
            .bind(base.status)
            .bind(now)
            .bind(by.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_failure)?
            .try_get("id")
            .map_err(db_failure)?,
        };
        if state == EditState::Pending {
            write_mirror!(tx, account, mirror).await.map_err(db_failure)?;
        }
        tx.commit().await.map_err(db_failure)?;
        id
    });
    get(store, id)
        .await
        .map_err(db_failure)?
        .ok_or_else(|| Failure::runtime("the queued edit disappeared"))
}

pub async fn get(store: &Store, id: i64) -> Result<Option<Edit>> {
    on_pool!(store, pool => {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM pending_edits WHERE id = $1")))
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.map(|r| edit_from_row(&r)).transpose()
    })
}

/// The open (pending, rejected or conflicted) edit of an offer.
pub async fn open_edit(store: &Store, account: &str, offer_id: i64) -> Result<Option<Edit>> {
    Ok(open_edits_for(store, account, &[offer_id]).await?.pop())
}

/// Whether the account has any open edit at all: a sync asks before every batch, and the
/// answer is nearly always no, which spares looking up each of the batch's ids.
pub async fn has_open_edits(store: &Store, account: &str) -> Result<bool> {
    on_pool!(store, pool => {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT 1 AS one FROM pending_edits WHERE state IN {OPEN_STATES} AND account = $1 LIMIT 1"
        )))
        .bind(account)
        .fetch_optional(pool)
        .await?;
        Ok(row.is_some())
    })
}

/// Open edits of the given offers of an account.
pub async fn open_edits_for(store: &Store, account: &str, ids: &[i64]) -> Result<Vec<Edit>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        on_pool!(store, pool => {
            let mut q = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM pending_edits WHERE state IN {OPEN_STATES} AND account = "
            ));
            q.push_bind(account).push(" AND offer_id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(") ORDER BY id");
            for r in q.build().fetch_all(pool).await? {
                out.push(edit_from_row(&r)?);
            }
        });
    }
    Ok(out)
}

/// Edits newest first (open ones and history).
pub async fn list(store: &Store, f: &EditFilter) -> Result<Vec<Edit>> {
    on_pool!(store, pool => {
        let mut q = QueryBuilder::new(format!("SELECT {COLUMNS} FROM pending_edits WHERE 1 = 1"));
        if let Some(a) = &f.account {
            q.push(" AND account = ").push_bind(a.clone());
        }
        if !f.states.is_empty() {
            q.push(" AND state IN (");
            let mut sep = q.separated(", ");
            for s in &f.states {
                sep.push_bind(s.as_str());
            }
            q.push(")");
        }
        q.push(" ORDER BY updated_at DESC, id DESC LIMIT ")
            .push_bind(if f.limit > 0 { f.limit } else { 1000 });
        let rows = q.build().fetch_all(pool).await?;
        rows.iter().map(edit_from_row).collect()
    })
}

/// Pending edits of an account, oldest first (the push order).
pub async fn pending_of(store: &Store, account: &str) -> Result<Vec<Edit>> {
    on_pool!(store, pool => {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM pending_edits WHERE account = $1 AND state = 'pending' ORDER BY id"
        )))
        .bind(account)
        .fetch_all(pool)
        .await?;
        rows.iter().map(edit_from_row).collect()
    })
}

/// Accounts that have pending edits.
pub async fn accounts_with_pending(store: &Store) -> Result<Vec<String>> {
    on_pool!(store, pool => {
        let rows = sqlx::query(
            "SELECT DISTINCT account FROM pending_edits WHERE state = 'pending' ORDER BY account",
        )
        .fetch_all(pool)
        .await?;
        rows.iter().map(|r| r.try_get::<String, _>("account")).collect()
    })
}

/// Applies a transition, and when `mirror` is given writes that offer state to the mirror in
/// the same transaction. `revision` guards against marking a newer version of the edit.
/// Returns whether the edit row was updated.
pub(crate) async fn apply(
    store: &Store,
    edit: &Edit,
    revision: Option<i64>,
    t: &Transition,
    mirror: Option<&Offer>,
    now: DateTime<Utc>,
) -> Result<bool> {
    on_pool!(store, pool => {
        let mut tx = pool.begin().await?;
        let n = transition_query(edit.id, revision, t, now)
            .build()
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n > 0 && let Some(o) = mirror {
            write_mirror!(tx, edit.account.as_str(), o).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    })
}

/// One edit's transition, with the mirror row to write when it applies.
pub(crate) struct Write<'a> {
    pub edit: &'a Edit,
    pub revision: Option<i64>,
    pub transition: &'a Transition,
    pub mirror: Option<Offer>,
}

/// [`apply`] for several edits in one transaction; says for each whether it applied.
pub(crate) async fn apply_all(
    store: &Store,
    writes: &[Write<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<bool>> {
    if writes.is_empty() {
        return Ok(vec![]);
    }
    on_pool!(store, pool => {
        let mut tx = pool.begin().await?;
        let mut applied = Vec::with_capacity(writes.len());
        for w in writes {
            let n = transition_query(w.edit.id, w.revision, w.transition, now)
                .build()
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 && let Some(o) = &w.mirror {
                write_mirror!(tx, w.edit.account.as_str(), o).await?;
            }
            applied.push(n > 0);
        }
        tx.commit().await?;
        Ok(applied)
    })
}

pub(crate) fn edit_from_row<R: Row>(r: &R) -> Result<Edit>
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
{
    let values = |prefix: &str| -> Result<Values> {
        let m = |c: &str| -> Result<_> {
            Ok(
                r.try_get::<Option<Money>, _>(format!("{prefix}{c}").as_str())?
                    .map(|m| m.0),
            )
        };
        Ok(Values {
            sale_price: m("sale_price")?,
            recommended_price: m("recommended_price")?,
            stock: r.try_get(format!("{prefix}stock").as_str())?,
            status: r
                .try_get::<Option<i16>, _>(format!("{prefix}status").as_str())?
                .map(OfferStatus::from_code),
        })
    };
    let state: String = r.try_get("state")?;
    Ok(Edit {
        id: r.try_get("id")?,
        account: r.try_get("account")?,
        offer_id: r.try_get("offer_id")?,
        part_number: r.try_get("part_number")?,
        values: values("")?,
        base: values("base_")?,
        created_at: r.try_get("created_at")?,
        edited_at: r.try_get("edited_at")?,
        revision: r.try_get("revision")?,
        state: state
            .parse()
            .map_err(|e: String| sqlx::Error::Decode(e.into()))?,
        message: r.try_get("message")?,
        remote: values("remote_")?,
        remote_changed_seen_at: r.try_get("remote_changed_seen_at")?,
        settled_by: r
            .try_get::<Option<String>, _>("settled_by")?
            .map(|s| SettledBy::from_stored(&s)),
        settled_run_id: r.try_get("settled_run_id")?,
        pushed_at: r.try_get("pushed_at")?,
        updated_at: r.try_get("updated_at")?,
        queued_by: r.try_get("queued_by")?,
    })
}
