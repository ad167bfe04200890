//! Withdrawing queued edits before they are pushed (`magsync pending discard`, `d` on the
//! dashboard's Changes tab). The edit is kept as history in state `discarded`, and the mirror
//! shows eMAG's values again.

use chrono::{DateTime, Utc};

use super::db::{self, Transition};
use super::{Edit, EditFilter, EditState, SettledBy};
use crate::error::Failure;
use crate::store::{Store, short_db_error};

/// Which open edits to withdraw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// One edit by its id (the ID column of `magsync pending`).
    Id(i64),
    /// Every open edit of an account.
    Account(String),
    /// Every open edit.
    All,
}

fn db_failure(e: sqlx::Error) -> Failure {
    Failure::runtime(format!("database error: {}", short_db_error(&e)))
}

/// Discards the open (pending, rejected or conflicted) edits `which` names and returns them as
/// they were. `by` says who withdrew them ("user@host via cli").
pub async fn discard(
    store: &Store,
    which: &Which,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Edit>, Failure> {
    let targets: Vec<Edit> = match which {
        Which::Id(id) => {
            let e = db::get(store, *id)
                .await
                .map_err(db_failure)?
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "there is no edit {id}; `magsync pending` lists the edits and their ids"
                    ))
                })?;
            if !e.state.is_open() {
                return Err(Failure::usage(format!(
                    "edit {id} (offer {}) is already {}; only pending, rejected or conflicted edits can be discarded",
                    e.offer_id, e.state
                )));
            }
            vec![e]
        }
        Which::Account(a) => open_of(store, Some(a.clone())).await?,
        Which::All => open_of(store, None).await?,
    };
    let mut done = Vec::with_capacity(targets.len());
    for e in targets {
        // Only a pending edit is shown in the mirror; rejected and conflicted ones already
        // show eMAG's values there.
        let mirror = if e.state == EditState::Pending {
            super::push::mirror_with_base(store, &e)
                .await
                .map_err(db_failure)?
        } else {
            None
        };
        let t = Transition {
            state: Some(EditState::Discarded),
            message: Some(Some(format!("withdrawn by {by} before it was pushed"))),
            settled_by: Some(SettledBy::Withdrawn),
            ..Default::default()
        };
        if db::apply(store, &e, Some(e.revision), &t, mirror.as_ref(), now)
            .await
            .map_err(db_failure)?
        {
            done.push(e);
        }
    }
    Ok(done)
}

async fn open_of(store: &Store, account: Option<String>) -> Result<Vec<Edit>, Failure> {
    db::list(
        store,
        &EditFilter {
            account,
            states: EditState::OPEN.to_vec(),
            limit: i64::MAX,
        },
    )
    .await
    .map_err(db_failure)
}
