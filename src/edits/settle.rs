//! Where a sync meets local edits: called by the engine for every page before it is written.
//!
//! For each offer of the page that has an open edit:
//! 1. a different `part_number` means eMAG reused the id for another product: the edit is
//!    cancelled, never pushed (emag-api.md §2);
//! 2. eMAG already showing the edited values means the edit is applied (a push whose answer
//!    was lost, or the same change made elsewhere);
//! 3. eMAG's value moved away from the edit's base value is a conflict, settled by the run's
//!    strategy: `emag_priority` discards the edit, `local_priority` keeps it (rebased on eMAG's
//!    value, so it is pushed next and not counted again), `newest_wins` compares the edit's
//!    time with the time a sync first saw eMAG's change (eMAG sends no timestamps, §12.3), and
//!    `manual` marks it conflicted with both values until the operator resolves it;
//! 4. otherwise a pending edit is overlaid on the page, so the mirror keeps showing it.
//!
//! The run records how many conflicts it met and how each was settled (counters on
//! `sync_runs`, one event per settled edit).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

use super::db::{self, Transition};
use super::{Edit, EditState, Field, SettledBy, Values};
use crate::model::{ConflictStrategy, EventLevel, Offer};
use crate::store::{Result, Store, on_pool};

/// What settling one page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettleOutcome {
    pub counts: ConflictCounts,
    /// Pending edits overlaid on the page.
    pub overlaid: u64,
}

/// Conflict counters of a run (also stored on `sync_runs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ConflictCounts {
    pub conflicts: i64,
    pub emag_won: i64,
    pub local_won: i64,
    pub manual: i64,
    /// Edits cancelled because eMAG reused the offer id for another product.
    pub cancelled: i64,
    /// Edits found already applied on eMAG.
    pub confirmed: i64,
}

impl ConflictCounts {
    fn is_zero(&self) -> bool {
        *self == ConflictCounts::default()
    }
}

enum Winner {
    Emag,
    Local,
    Manual,
}

fn changes(fields: &[Field], from: &Values, to: &Values) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "{} {} → {}",
                f.name(),
                from.text(*f).unwrap_or_else(|| "none".into()),
                to.text(*f).unwrap_or_else(|| "none".into())
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Settles the open edits of `offers` (one page of run `run_id`, seen at `now`) and overlays
/// the edits that stay pending onto the offers to be written.
pub async fn settle(
    store: &Store,
    account: &str,
    run_id: i64,
    strategy: ConflictStrategy,
    offers: &mut [Offer],
    now: DateTime<Utc>,
) -> Result<SettleOutcome> {
    let mut out = SettleOutcome::default();
    if offers.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = offers.iter().map(|o| o.id).collect();
    let edits: HashMap<i64, Edit> = db::open_edits_for(store, account, &ids)
        .await?
        .into_iter()
        .map(|e| (e.offer_id, e))
        .collect();
    if edits.is_empty() {
        return Ok(out);
    }
    let mut events: Vec<(EventLevel, String)> = Vec::new();
    for o in offers.iter_mut() {
        let Some(e) = edits.get(&o.id) else { continue };
        let fields = e.fields();
        let settled = |by: SettledBy| Transition {
            settled_by: Some(by),
            run_id: Some(run_id),
            ..Default::default()
        };

        if let (Some(was), Some(now_pn)) = (&e.part_number, &o.part_number)
            && was != now_pn
        {
            let msg = format!(
                "eMAG reused offer id {} for another product (part number {was} → {now_pn}); the edit was cancelled, never pushed",
                o.id
            );
            let t = Transition {
                state: Some(EditState::Cancelled),
                message: Some(Some(msg.clone())),
                ..settled(SettledBy::RecycledId)
            };
            if db::apply(store, e, Some(e.revision), &t, None, now).await? {
                out.counts.cancelled += 1;
                events.push((EventLevel::Warn, msg));
            }
            continue;
        }

        let remote = Values::of_offer(o, &fields);
        if remote.differing(&e.values, &fields).is_empty() {
            let msg = format!(
                "offer {}: eMAG already shows {}; the edit is done",
                o.id,
                e.values.describe(&fields)
            );
            let t = Transition {
                state: Some(EditState::Pushed),
                message: Some(Some(msg.clone())),
                ..settled(SettledBy::AlreadyApplied)
            };
            if db::apply(store, e, Some(e.revision), &t, None, now).await? {
                out.counts.confirmed += 1;
                events.push((EventLevel::Info, msg));
            }
            continue;
        }

        let moved = remote.differing(&e.base, &fields);
        if moved.is_empty() {
            if e.state == EditState::Conflict {
                // eMAG went back to the value the edit was based on: no conflict any more.
                let t = Transition {
                    state: Some(EditState::Pending),
                    message: Some(Some(
                        "eMAG's value returned to the edit's base; pending again".into(),
                    )),
                    ..settled(SettledBy::Strategy(strategy))
                };
                let mut shown = o.clone();
                e.values.overlay(&mut shown);
                if !db::apply(store, e, Some(e.revision), &t, Some(&shown), now).await? {
                    continue;
                }
            } else if e.state != EditState::Pending {
                continue;
            }
            e.values.overlay(o);
            out.overlaid += 1;
            continue;
        }

        // A conflict. The time eMAG's change was first seen survives later runs as long as
        // eMAG still shows the same values.
        out.counts.conflicts += 1;
        let seen = match e.remote_changed_seen_at {
            Some(t) if e.remote.differing(&remote, &moved).is_empty() => t,
            _ => now,
        };
        let winner = match strategy {
            ConflictStrategy::EmagPriority => Winner::Emag,
            ConflictStrategy::LocalPriority => Winner::Local,
            ConflictStrategy::NewestWins if e.edited_at > seen => Winner::Local,
            ConflictStrategy::NewestWins => Winner::Emag,
            ConflictStrategy::Manual => Winner::Manual,
        };
        let what = format!(
            "offer {}: eMAG changed {} while a local edit ({}) was open",
            o.id,
            changes(&moved, &e.base, &remote),
            e.values.describe(&fields)
        );
        let recorded = Some((remote.clone(), Some(seen)));
        let (t, overlay) = match winner {
            Winner::Emag => {
                let why = match strategy {
                    ConflictStrategy::NewestWins => format!(
                        "eMAG's change (seen {}) is newer than the edit ({})",
                        seen.format("%Y-%m-%d %H:%M:%S"),
                        e.edited_at.format("%Y-%m-%d %H:%M:%S")
                    ),
                    _ => "eMAG has priority".into(),
                };
                let msg = format!("{what}; {why}: the edit was discarded ({strategy})");
                (
                    Transition {
                        state: Some(EditState::Discarded),
                        message: Some(Some(msg)),
                        remote: recorded,
                        ..settled(SettledBy::Strategy(strategy))
                    },
                    false,
                )
            }
            Winner::Local => {
                let why = match strategy {
                    ConflictStrategy::NewestWins => format!(
                        "the edit ({}) is newer than eMAG's change (seen {})",
                        e.edited_at.format("%Y-%m-%d %H:%M:%S"),
                        seen.format("%Y-%m-%d %H:%M:%S")
                    ),
                    _ => "local edits have priority".into(),
                };
                let msg = format!("{what}; {why}: the edit is kept and pushed next ({strategy})");
                // The edit now overrides eMAG's current value, so later syncs that still see
                // that value do not count the same conflict again.
                let mut rebase = e.base.clone();
                for f in &moved {
                    rebase.take(&remote, *f);
                }
                let state = if e.state == EditState::Conflict {
                    EditState::Pending
                } else {
                    e.state
                };
                (
                    Transition {
                        state: Some(state),
                        message: Some(Some(msg)),
                        remote: recorded,
                        rebase: Some(rebase),
                        ..settled(SettledBy::Strategy(strategy))
                    },
                    state == EditState::Pending,
                )
            }
            Winner::Manual => {
                let msg = format!(
                    "{what}; waiting for the operator: `magsync conflicts resolve --account {account} --id {} --keep local|remote` (manual)",
                    o.id
                );
                (
                    Transition {
                        state: Some(EditState::Conflict),
                        message: Some(Some(msg)),
                        remote: recorded,
                        ..settled(SettledBy::Strategy(strategy))
                    },
                    false,
                )
            }
        };
        let msg = t.message.clone().flatten().unwrap_or_default();
        // The mirror is written here too: when eMAG's content did not change since the last
        // sync (a conflict first met under `manual`), the page write leaves the row alone.
        let shown = overlay.then(|| {
            let mut shown = o.clone();
            e.values.overlay(&mut shown);
            shown
        });
        if !db::apply(store, e, Some(e.revision), &t, shown.as_ref(), now).await? {
            continue;
        }
        match winner {
            Winner::Emag => out.counts.emag_won += 1,
            Winner::Local => out.counts.local_won += 1,
            Winner::Manual => out.counts.manual += 1,
        }
        events.push((EventLevel::Warn, msg));
        if overlay {
            e.values.overlay(o);
            out.overlaid += 1;
        }
    }
    for (level, msg) in &events {
        store.add_event(run_id, *level, msg, now).await?;
    }
    if !out.counts.is_zero() {
        add_run_counts(store, run_id, &out.counts).await?;
    }
    Ok(out)
}

/// [`settle`] over several slices of one batch (the engine's first and repeated copies).
pub async fn settle_batch<const N: usize>(
    store: &Store,
    account: &str,
    run_id: i64,
    strategy: ConflictStrategy,
    batch: [&mut [Offer]; N],
    now: DateTime<Utc>,
) -> Result<ConflictCounts> {
    let mut total = ConflictCounts::default();
    if !db::has_open_edits(store, account).await? {
        return Ok(total);
    }
    for offers in batch {
        let c = settle(store, account, run_id, strategy, offers, now)
            .await?
            .counts;
        total.conflicts += c.conflicts;
        total.emag_won += c.emag_won;
        total.local_won += c.local_won;
        total.manual += c.manual;
        total.cancelled += c.cancelled;
        total.confirmed += c.confirmed;
    }
    Ok(total)
}

async fn add_run_counts(store: &Store, run_id: i64, c: &ConflictCounts) -> Result<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "UPDATE sync_runs SET conflicts = conflicts + $2, conflicts_emag_won = conflicts_emag_won + $3, \
             conflicts_local_won = conflicts_local_won + $4, conflicts_manual = conflicts_manual + $5, \
             edits_cancelled = edits_cancelled + $6, edits_confirmed = edits_confirmed + $7 WHERE id = $1",
        )
        .bind(run_id)
        .bind(c.conflicts)
        .bind(c.emag_won)
        .bind(c.local_won)
        .bind(c.manual)
        .bind(c.cancelled)
        .bind(c.confirmed)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// The conflict counters of a run (zero for runs that met no edits).
pub async fn run_conflicts(store: &Store, run_id: i64) -> Result<ConflictCounts> {
    on_pool!(store, pool => {
        let row = sqlx::query(
            "SELECT conflicts, conflicts_emag_won, conflicts_local_won, conflicts_manual, \
             edits_cancelled, edits_confirmed FROM sync_runs WHERE id = $1",
        )
        .bind(run_id)
        .fetch_optional(pool)
        .await?;
        match row {
            None => Ok(ConflictCounts::default()),
            Some(r) => Ok(ConflictCounts {
                conflicts: r.try_get("conflicts")?,
                emag_won: r.try_get("conflicts_emag_won")?,
                local_won: r.try_get("conflicts_local_won")?,
                manual: r.try_get("conflicts_manual")?,
                cancelled: r.try_get("edits_cancelled")?,
                confirmed: r.try_get("edits_confirmed")?,
            }),
        }
    })
}
