//! The operator's answer to a manual conflict: "keep mine" or "take eMAG's".

use chrono::{DateTime, Utc};
use std::str::FromStr;

use super::db::{self, Transition};
use super::{Edit, EditState, SettledBy};
use crate::error::Failure;
use crate::store::{Store, short_db_error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Keep the local edit: it is pending again and pushed next.
    Local,
    /// Take eMAG's value: the edit is discarded.
    Remote,
}

impl FromStr for Keep {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "local" | "mine" => Ok(Keep::Local),
            "remote" | "emag" => Ok(Keep::Remote),
            other => Err(format!(
                "unknown choice \"{other}\" (expected local or remote)"
            )),
        }
    }
}

fn db_failure(e: sqlx::Error) -> Failure {
    Failure::runtime(format!("database error: {}", short_db_error(&e)))
}

/// Resolves the conflicted edit of one offer.
pub async fn resolve(
    store: &Store,
    account: &str,
    offer_id: i64,
    keep: Keep,
    now: DateTime<Utc>,
) -> Result<Edit, Failure> {
    let edit = db::open_edit(store, account, offer_id)
        .await
        .map_err(db_failure)?
        .filter(|e| e.state == EditState::Conflict)
        .ok_or_else(|| {
            Failure::usage(format!(
                "offer {offer_id} of account \"{account}\" has no conflict to resolve (see `magsync pending`)"
            ))
        })?;
    let fields = edit.fields();
    let (t, mirror) = match keep {
        Keep::Local => {
            // The edit now overrides the value eMAG showed, so it is rebased on it.
            let mut rebase = edit.base.clone();
            for f in &fields {
                if edit.remote.text(*f).is_some() {
                    rebase.take(&edit.remote, *f);
                }
            }
            let mirror = store
                .offers()
                .get(account, offer_id)
                .await
                .map_err(db_failure)?
                .map(|s| {
                    let mut o = s.offer;
                    edit.values.overlay(&mut o);
                    o
                });
            (
                Transition {
                    state: Some(EditState::Pending),
                    message: Some(Some(format!(
                        "the operator kept the local edit ({}) over eMAG's {}; it is pushed next",
                        edit.values.describe(&fields),
                        edit.remote.describe(&fields)
                    ))),
                    settled_by: Some(SettledBy::KeepLocal),
                    rebase: Some(rebase),
                    ..Default::default()
                },
                mirror,
            )
        }
        Keep::Remote => (
            Transition {
                state: Some(EditState::Discarded),
                message: Some(Some(format!(
                    "the operator took eMAG's {}; the local edit ({}) was discarded",
                    edit.remote.describe(&fields),
                    edit.values.describe(&fields)
                ))),
                settled_by: Some(SettledBy::KeepRemote),
                ..Default::default()
            },
            // A conflicted edit is not overlaid: the mirror already shows eMAG's values.
            None,
        ),
    };
    let done = db::apply(store, &edit, Some(edit.revision), &t, mirror.as_ref(), now)
        .await
        .map_err(db_failure)?;
    if !done {
        return Err(Failure::runtime(format!(
            "the edit of offer {offer_id} changed while resolving; run the command again"
        )));
    }
    db::get(store, edit.id)
        .await
        .map_err(db_failure)?
        .ok_or_else(|| Failure::runtime("the resolved edit disappeared"))
}
