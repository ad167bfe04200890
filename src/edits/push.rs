//! Sends pending edits to eMAG through the light `offer/save` route (emag-api.md §10.1).
//!
//! At most 50 offers a call, through the account's client (its limiter is shared by every
//! client of the account in the process). Each offer's answer is recorded: success marks the
//! edit pushed and writes its values to the mirror; an item error marks it rejected with
//! eMAG's message and puts eMAG's values back in the mirror; an id missing from the answer is
//! unknown, so it is read back by id and counted pushed only if eMAG shows the edited values.
//!
//! Saves set absolute values, so re-sending is harmless: an edit stays pending until an answer
//! says otherwise, a failed call changes nothing, and re-running push sends only what is
//! still pending. Every state change checks the edit's revision, so an edit changed by the
//! operator while its push was in flight stays pending with the new values.

use chrono::Utc;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::db::{self, Transition};
use super::{Edit, EditState, Field, Values};
use crate::emag::{EmagClient, EmagError, MAX_SAVE_ITEMS, OfferUpdate, wire};
use crate::model::WarehouseValue;
use crate::store::{Result, Store};

/// What one `push` of an account did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushReport {
    pub account: String,
    /// Edits that were pending when the push started.
    pub pending: usize,
    /// `offer/save` calls made (or, with `--dry-run`, that would be made).
    pub save_calls: usize,
    /// Per-id reads for offers eMAG did not report on.
    pub rereads: usize,
    pub pushed: usize,
    pub rejected: usize,
    /// Still pending afterwards (a failed call, an unconfirmed re-read, a concurrent change).
    pub still_pending: usize,
    /// Why the push stopped early, if it did.
    pub error: Option<String>,
    /// With `--dry-run`: the request bodies that would be sent.
    pub bodies: Vec<String>,
}

/// The `offer/save` item for an edit; `None` values are not sent. Stock is never sent for FBE.
pub fn update_for(edit: &Edit, fbe: bool, warehouse: i64) -> OfferUpdate {
    let v = &edit.values;
    OfferUpdate {
        id: edit.offer_id,
        sale_price: v.sale_price,
        recommended_price: v.recommended_price,
        stock: v.stock.filter(|_| !fbe).map(|n| {
            vec![WarehouseValue {
                warehouse_id: warehouse,
                value: i64::from(n),
            }]
        }),
        status: v.status,
        ..Default::default()
    }
}

/// Pushes every pending edit of `account`.
pub async fn push_account(
    store: &Store,
    client: &EmagClient,
    account: &str,
    fbe: bool,
    dry_run: bool,
) -> Result<PushReport> {
    let never = CancellationToken::new();
    push_selected(store, client, account, fbe, dry_run, None, &never).await
}

/// Pushes the pending edits of `account` that `only` lists as `(edit id, revision)` (all of
/// them when `None`): a confirmed preview sends what it showed, and an edit changed since
/// stays pending for the next preview. Once `stop` fires no further call is sent: the call in
/// flight is finished and its answer recorded, the edits not yet sent stay pending.
pub async fn push_selected(
    store: &Store,
    client: &EmagClient,
    account: &str,
    fbe: bool,
    dry_run: bool,
    only: Option<&[(i64, i64)]>,
    stop: &CancellationToken,
) -> Result<PushReport> {
    if dry_run {
        return push_locked(store, client, account, fbe, true, only, stop, None).await;
    }
    // One push per account at a time, across processes: a second one would send the same
    // edits again. The lock is a row of its own beside the account's sync lock.
    let key = push_lock_key(account);
    let lock = match store
        .locks()
        .try_take(&key, &crate::process::process_owner(), Utc::now())
        .await?
    {
        Ok(lock) => lock,
        Err(_) => {
            return Ok(PushReport {
                account: account.to_string(),
                still_pending: db::pending_of(store, account).await?.len(),
                error: Some(format!(
                    "another push of {account} is going on (in this or another process); nothing was sent and the edits stay pending"
                )),
                ..Default::default()
            });
        }
    };
    let result = push_locked(store, client, account, fbe, false, only, stop, Some(&lock)).await;
    let released = lock.release().await;
    let report = result?;
    released?;
    Ok(report)
}

/// The account's push lock in `sync_locks`, apart from its sync lock (a push and a sync of one
/// account may run together: they share the account's rate limiter, pushes first).
pub fn push_lock_key(account: &str) -> String {
    format!("push:{account}")
}

#[allow(clippy::too_many_arguments)]
async fn push_locked(
    store: &Store,
    client: &EmagClient,
    account: &str,
    fbe: bool,
    dry_run: bool,
    only: Option<&[(i64, i64)]>,
    stop: &CancellationToken,
    lock: Option<&crate::store::AccountLock>,
) -> Result<PushReport> {
    let mut edits = db::pending_of(store, account).await?;
    if let Some(only) = only {
        edits.retain(|e| only.contains(&(e.id, e.revision)));
    }
    let mut report = PushReport {
        account: account.to_string(),
        pending: edits.len(),
        ..Default::default()
    };
    let mut sendable: Vec<(Edit, OfferUpdate)> = Vec::with_capacity(edits.len());
    for e in edits {
        if fbe && e.values.stock.is_some() {
            // Validation refuses these; an edit queued before the account was known as FBE
            // must still never reach eMAG.
            let t = Transition {
                state: Some(EditState::Rejected),
                message: Some(Some(
                    "stock of FBE offers is managed by eMAG; this edit was not sent".into(),
                )),
                ..Default::default()
            };
            if !dry_run && db::apply(store, &e, Some(e.revision), &t, None, Utc::now()).await? {
                report.rejected += 1;
            }
            continue;
        }
        let warehouse = store
            .offers()
            .get(account, e.offer_id)
            .await?
            .and_then(|s| s.offer.stock.first().map(|w| w.warehouse_id))
            .unwrap_or(1);
        let update = update_for(&e, fbe, warehouse);
        sendable.push((e, update));
    }
    for (n, chunk) in sendable.chunks(MAX_SAVE_ITEMS).enumerate() {
        if stop.is_cancelled() {
            let left = sendable.len() - n * MAX_SAVE_ITEMS;
            report.error = Some(format!(
                "stopped by a signal; {left} edits were not sent and stay pending"
            ));
            break;
        }
        if let Some(lock) = lock {
            lock.heartbeat(Utc::now()).await?;
        }
        let updates: Vec<OfferUpdate> = chunk.iter().map(|(_, u)| u.clone()).collect();
        report.save_calls += 1;
        if dry_run {
            report.bodies.push(wire::save_body(&updates));
            continue;
        }
        let results = match client.save_offers(&updates).await {
            Ok(r) => r,
            Err(e) => {
                // Nothing is known to be applied: the edits stay pending and say why.
                let why = format!("the last push failed: {e}");
                for (edit, _) in chunk {
                    let t = Transition {
                        message: Some(Some(why.clone())),
                        ..Default::default()
                    };
                    db::apply(store, edit, Some(edit.revision), &t, None, Utc::now()).await?;
                }
                report.error = Some(e.to_string());
                break;
            }
        };
        for (edit, _) in chunk {
            match results.get(&edit.offer_id) {
                Some(r) if !r.is_error => {
                    let msg = answer(&r.messages, "eMAG accepted the edit");
                    if mark_pushed(store, edit, msg).await? {
                        report.pushed += 1;
                    }
                }
                Some(r) => {
                    let msg = answer(&r.messages, "eMAG refused the edit without a message");
                    if mark_rejected(store, edit, msg).await? {
                        report.rejected += 1;
                    }
                }
                None => {
                    report.rereads += 1;
                    match reread(store, client, edit).await? {
                        Reread::Applied => report.pushed += 1,
                        Reread::Gone => report.rejected += 1,
                        Reread::Unknown => {}
                    }
                }
            }
        }
    }
    report.still_pending = db::pending_of(store, account).await?.len();
    Ok(report)
}

fn answer(messages: &[String], default: &str) -> String {
    if messages.is_empty() {
        default.to_string()
    } else {
        messages.join("; ")
    }
}

/// Success: the edit is done and the mirror shows its values.
async fn mark_pushed(store: &Store, edit: &Edit, message: String) -> Result<bool> {
    let now = Utc::now();
    let mirror = store.offers().get(&edit.account, edit.offer_id).await?;
    let mirror = mirror.map(|s| {
        let mut o = s.offer;
        edit.values.overlay(&mut o);
        o
    });
    let t = Transition {
        state: Some(EditState::Pushed),
        message: Some(Some(message)),
        pushed_at: Some(now),
        ..Default::default()
    };
    db::apply(store, edit, Some(edit.revision), &t, mirror.as_ref(), now).await
}

/// Refused: the edit stays (open) with eMAG's message; the mirror shows eMAG's values again.
async fn mark_rejected(store: &Store, edit: &Edit, message: String) -> Result<bool> {
    let now = Utc::now();
    let mirror = mirror_with_base(store, edit).await?;
    let t = Transition {
        state: Some(EditState::Rejected),
        message: Some(Some(message)),
        ..Default::default()
    };
    db::apply(store, edit, Some(edit.revision), &t, mirror.as_ref(), now).await
}

/// The mirrored offer with eMAG's values (the edit's base) back in the edited fields.
pub(crate) async fn mirror_with_base(
    store: &Store,
    edit: &Edit,
) -> Result<Option<crate::model::Offer>> {
    let mirror = store.offers().get(&edit.account, edit.offer_id).await?;
    let fields: Vec<Field> = edit.fields();
    Ok(mirror.map(|s| {
        let mut o = s.offer;
        let mut base = Values::default();
        for f in &fields {
            base.take(&edit.base, *f);
        }
        base.overlay(&mut o);
        // A base recommended price of "none" cannot be expressed by an overlay.
        if fields.contains(&Field::RecommendedPrice) && edit.base.recommended_price.is_none() {
            o.recommended_price = None;
        }
        o
    }))
}

enum Reread {
    Applied,
    Gone,
    Unknown,
}

/// eMAG did not report on this id (§10.1: unknown); read the offer back to find out.
async fn reread(store: &Store, client: &EmagClient, edit: &Edit) -> Result<Reread> {
    let id = edit.offer_id;
    let fields = edit.fields();
    let pending_msg = |why: String| Transition {
        message: Some(Some(why)),
        ..Default::default()
    };
    match client.read_offer(id).await {
        Ok(Some(o))
            if Values::of_offer(&o, &fields)
                .differing(&edit.values, &fields)
                .is_empty() =>
        {
            let msg = format!(
                "eMAG did not report on offer {id}; reading it back shows the edit applied"
            );
            Ok(if mark_pushed(store, edit, msg).await? {
                Reread::Applied
            } else {
                Reread::Unknown
            })
        }
        Ok(Some(_)) => {
            let t = pending_msg(format!(
                "eMAG did not report on offer {id} and reading it back shows the old values; it will be pushed again"
            ));
            db::apply(store, edit, Some(edit.revision), &t, None, Utc::now()).await?;
            Ok(Reread::Unknown)
        }
        Ok(None) => {
            let msg = format!("offer {id} no longer exists on eMAG");
            Ok(if mark_rejected(store, edit, msg).await? {
                Reread::Gone
            } else {
                Reread::Unknown
            })
        }
        Err(e) => {
            let t = pending_msg(reread_failed(id, &e));
            db::apply(store, edit, Some(edit.revision), &t, None, Utc::now()).await?;
            Ok(Reread::Unknown)
        }
    }
}

fn reread_failed(id: i64, e: &EmagError) -> String {
    format!(
        "eMAG did not report on offer {id} and reading it back failed ({e}); it will be pushed again"
    )
}
