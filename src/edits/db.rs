//! Edits as the rest of magsync sees them, over the rows `crate::store` keeps.
//!
//! The mirror (`offers`) shows a pending edit's values, so the products view and exports show
//! what the operator set. At most one open edit exists per offer (a partial unique index): a
//! second `offer set` merges into the first instead of queueing a duplicate. What to write is
//! decided here; the store writes it (`store/edits.rs`).

use chrono::{DateTime, Utc};

use super::validate::{EditRequest, validate};
use super::{Edit, EditState, SettledBy, Values};
use crate::error::Failure;
use crate::model::Offer;
use crate::store::edits::{EditQueue, EditRow, EditWrite, value_columns};
use crate::store::{Arg, Result, Store, short_db_error};

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

impl Values {
    /// The four columns of these values with a column prefix (``, `base_`, `remote_`).
    fn columns(&self, prefix: &str) -> Vec<(String, Arg)> {
        value_columns(
            prefix,
            self.sale_price,
            self.recommended_price,
            self.stock,
            self.status,
        )
    }
}

impl Transition {
    /// The columns of the edit row it sets.
    fn columns(&self) -> Vec<(String, Arg)> {
        let mut set: Vec<(String, Arg)> = Vec::new();
        let mut put = |column: &str, value: Arg| set.push((column.to_string(), value));
        if let Some(s) = self.state {
            put("state", Arg::Text(Some(s.as_str().into())));
        }
        if let Some(m) = &self.message {
            put("message", Arg::Text(m.clone()));
        }
        if let Some(by) = &self.settled_by {
            put("settled_by", Arg::Text(Some(by.as_str().into())));
            put("settled_run_id", Arg::I64(self.run_id));
        }
        if let Some((remote, seen)) = &self.remote {
            set.extend(remote.columns("remote_"));
            set.push(("remote_changed_seen_at".into(), Arg::Time(*seen)));
        }
        if let Some(base) = &self.rebase {
            set.extend(base.columns("base_"));
        }
        if let Some(at) = self.pushed_at {
            set.push(("pushed_at".into(), Arg::Time(Some(at))));
        }
        set
    }
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
        .offers().get(account, offer_id)
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

    let mut set = values.columns("");
    set.extend(base.columns("base_"));
    let q = EditQueue {
        existing: existing.as_ref().map(|e| e.id),
        set,
        state: state.as_str(),
        queued_by: by,
        mirror: (state == EditState::Pending).then_some(&mirror),
    };
    let part_number = stored.offer.part_number.as_deref();
    let id = store
        .edits()
        .queue(account, offer_id, part_number, q, now)
        .await
        .map_err(db_failure)?;
    get(store, id)
        .await
        .map_err(db_failure)?
        .ok_or_else(|| Failure::runtime("the queued edit disappeared"))
}

pub async fn get(store: &Store, id: i64) -> Result<Option<Edit>> {
    store.edits().row(id).await?.map(Edit::try_from).transpose()
}

/// The open (pending, rejected or conflicted) edit of an offer.
pub async fn open_edit(store: &Store, account: &str, offer_id: i64) -> Result<Option<Edit>> {
    Ok(open_edits_for(store, account, &[offer_id]).await?.pop())
}

/// Whether the account has any open edit at all.
pub async fn has_open_edits(store: &Store, account: &str) -> Result<bool> {
    store.edits().has_open(account).await
}

/// Open edits of the given offers of an account.
pub async fn open_edits_for(store: &Store, account: &str, ids: &[i64]) -> Result<Vec<Edit>> {
    edits(store.edits().open_rows(account, ids).await?)
}

/// Edits newest first (open ones and history).
pub async fn list(store: &Store, f: &EditFilter) -> Result<Vec<Edit>> {
    let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
    edits(
        store
            .edits()
            .rows(f.account.as_deref(), &states, f.limit)
            .await?,
    )
}

/// Pending edits of an account, oldest first (the push order).
pub async fn pending_of(store: &Store, account: &str) -> Result<Vec<Edit>> {
    edits(store.edits().pending_rows(account).await?)
}

/// Accounts that have pending edits.
pub async fn accounts_with_pending(store: &Store) -> Result<Vec<String>> {
    store.edits().accounts_with_pending().await
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
    let write = Write {
        edit,
        revision,
        transition: t,
        mirror: mirror.cloned(),
    };
    Ok(apply_all(store, &[write], now).await?[0])
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
    let writes: Vec<EditWrite> = writes
        .iter()
        .map(|w| EditWrite {
            id: w.edit.id,
            account: &w.edit.account,
            revision: w.revision,
            set: w.transition.columns(),
            mirror: w.mirror.as_ref(),
        })
        .collect();
    store.edits().write(&writes, now).await
}

fn edits(rows: Vec<EditRow>) -> Result<Vec<Edit>> {
    rows.into_iter().map(Edit::try_from).collect()
}

impl TryFrom<EditRow> for Edit {
    type Error = sqlx::Error;
    fn try_from(r: EditRow) -> Result<Edit> {
        let values = |sale_price, recommended_price, stock, status| Values {
            sale_price,
            recommended_price,
            stock,
            status,
        };
        Ok(Edit {
            id: r.id,
            account: r.account,
            offer_id: r.offer_id,
            part_number: r.part_number,
            values: values(r.sale_price, r.recommended_price, r.stock, r.status),
            base: values(
                r.base_sale_price,
                r.base_recommended_price,
                r.base_stock,
                r.base_status,
            ),
            created_at: r.created_at,
            edited_at: r.edited_at,
            revision: r.revision,
            state: r
                .state
                .parse()
                .map_err(|e: String| sqlx::Error::Decode(e.into()))?,
            message: r.message,
            remote: values(
                r.remote_sale_price,
                r.remote_recommended_price,
                r.remote_stock,
                r.remote_status,
            ),
            remote_changed_seen_at: r.remote_changed_seen_at,
            settled_by: r.settled_by.as_deref().map(SettledBy::from_stored),
            settled_run_id: r.settled_run_id,
            pushed_at: r.pushed_at,
            updated_at: r.updated_at,
            queued_by: r.queued_by,
        })
    }
}
