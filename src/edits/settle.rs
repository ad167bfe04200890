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
use std::collections::HashMap;

use super::db::{self, Transition};
use super::{Edit, EditState, Field, SettledBy, Values};
use crate::model::{ConflictStrategy, EventLevel, Offer};
use crate::store::{Result, Store};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// What a sync does with one offer's open edit.
#[derive(Debug)]
enum Decision {
    /// Nothing: the offer is written as eMAG sent it.
    Leave,
    /// The pending edit is overlaid on the offer, so the mirror keeps showing it.
    Overlay,
    /// The edit moves on (`Settle::transition`); what follows counts only if the write did.
    Settle(Box<Settle>),
}

#[derive(Debug)]
struct Settle {
    transition: Transition,
    /// Write the mirror with the edit overlaid, in the same transaction as the edit.
    mirror: bool,
    /// Overlay the edit on the page's offer once settled.
    overlay: bool,
    tally: Tally,
    /// The run's event (the transition's message) at this level.
    event: Option<EventLevel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tally {
    Nothing,
    Cancelled,
    Confirmed,
    Won(Winner),
}

/// The decision for edit `e` on eMAG's offer `o`, met by a sync of `account` at `now` (the
/// numbered rules of the module's documentation).
fn decide(
    e: &Edit,
    o: &Offer,
    strategy: ConflictStrategy,
    account: &str,
    run_id: i64,
    now: DateTime<Utc>,
) -> Decision {
    let fields = e.fields();
    let settled = |by: SettledBy| Transition {
        settled_by: Some(by),
        run_id: Some(run_id),
        ..Default::default()
    };
    let settle = |transition, tally, event| {
        Decision::Settle(Box::new(Settle {
            transition,
            mirror: false,
            overlay: false,
            tally,
            event: Some(event),
        }))
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
            message: Some(Some(msg)),
            ..settled(SettledBy::RecycledId)
        };
        return settle(t, Tally::Cancelled, EventLevel::Warn);
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
            message: Some(Some(msg)),
            ..settled(SettledBy::AlreadyApplied)
        };
        return settle(t, Tally::Confirmed, EventLevel::Info);
    }

    let moved = remote.differing(&e.base, &fields);
    if moved.is_empty() {
        return match e.state {
            // eMAG went back to the value the edit was based on: no conflict any more.
            EditState::Conflict => Decision::Settle(Box::new(Settle {
                transition: Transition {
                    state: Some(EditState::Pending),
                    message: Some(Some(
                        "eMAG's value returned to the edit's base; pending again".into(),
                    )),
                    ..settled(SettledBy::Strategy(strategy))
                },
                mirror: true,
                overlay: true,
                tally: Tally::Nothing,
                event: None,
            })),
            EditState::Pending => Decision::Overlay,
            _ => Decision::Leave,
        };
    }

    // A conflict. The time eMAG's change was first seen survives later runs as long as
    // eMAG still shows the same values.
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
    let (transition, overlay) = match winner {
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
    // The mirror is written with the edit too: when eMAG's content did not change since the
    // last sync (a conflict first met under `manual`), the page write leaves the row alone.
    Decision::Settle(Box::new(Settle {
        transition,
        mirror: overlay,
        overlay,
        tally: Tally::Won(winner),
        event: Some(EventLevel::Warn),
    }))
}

/// Settles the open edits of `offers` (one page of run `run_id`, seen at `now`) and overlays
/// the edits that stay pending onto the offers to be written. The page's edits are written in
/// one transaction.
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
    let decided: Vec<(usize, &Edit, Decision)> = offers
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let e = edits.get(&o.id)?;
            Some((i, e, decide(e, o, strategy, account, run_id, now)))
        })
        .collect();
    let writes: Vec<db::Write> = decided
        .iter()
        .filter_map(|(i, e, d)| match d {
            Decision::Settle(s) => Some(db::Write {
                edit: e,
                revision: Some(e.revision),
                transition: &s.transition,
                mirror: s.mirror.then(|| {
                    let mut shown = offers[*i].clone();
                    e.values.overlay(&mut shown);
                    shown
                }),
            }),
            _ => None,
        })
        .collect();
    let mut applied = db::apply_all(store, &writes, now).await?.into_iter();
    drop(writes);
    let mut events: Vec<(EventLevel, String, DateTime<Utc>)> = Vec::new();
    for (i, e, d) in decided {
        let overlay = match d {
            Decision::Leave => false,
            Decision::Overlay => true,
            Decision::Settle(s) => {
                let s = *s;
                if matches!(s.tally, Tally::Won(_)) {
                    out.counts.conflicts += 1;
                }
                if !applied.next().unwrap_or(false) {
                    continue;
                }
                match s.tally {
                    Tally::Nothing => {}
                    Tally::Cancelled => out.counts.cancelled += 1,
                    Tally::Confirmed => out.counts.confirmed += 1,
                    Tally::Won(Winner::Emag) => out.counts.emag_won += 1,
                    Tally::Won(Winner::Local) => out.counts.local_won += 1,
                    Tally::Won(Winner::Manual) => out.counts.manual += 1,
                }
                if let (Some(level), Some(Some(msg))) = (s.event, s.transition.message) {
                    events.push((level, msg, now));
                }
                s.overlay
            }
        };
        if overlay {
            e.values.overlay(&mut offers[i]);
            out.overlaid += 1;
        }
    }
    store.runs().add_events(run_id, &events).await?;
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
    let counts = [
        c.conflicts,
        c.emag_won,
        c.local_won,
        c.manual,
        c.cancelled,
        c.confirmed,
    ];
    store.runs().add_conflict_counts(run_id, counts).await
}

/// The conflict counters of a run (zero for runs that met no edits).
pub async fn run_conflicts(store: &Store, run_id: i64) -> Result<ConflictCounts> {
    let Some([conflicts, emag_won, local_won, manual, cancelled, confirmed]) =
        store.runs().conflict_counts(run_id).await?
    else {
        return Ok(ConflictCounts::default());
    };
    Ok(ConflictCounts {
        conflicts,
        emag_won,
        local_won,
        manual,
        cancelled,
        confirmed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal::Decimal;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0).unwrap()
    }

    fn price(p: i64) -> Values {
        Values {
            sale_price: Some(Decimal::new(p, 0)),
            ..Default::default()
        }
    }

    /// An edit of the price from 100 to 90, made at 10:00.
    fn edit(state: EditState) -> Edit {
        Edit {
            id: 7,
            account: "main".into(),
            offer_id: 42,
            part_number: Some("PN-1".into()),
            values: price(90),
            base: price(100),
            created_at: at(10),
            edited_at: at(10),
            revision: 3,
            state,
            message: None,
            remote: Values::default(),
            remote_changed_seen_at: None,
            settled_by: None,
            settled_run_id: None,
            pushed_at: None,
            updated_at: at(10),
            queued_by: None,
        }
    }

    fn offer(part_number: &str, sale_price: i64) -> Offer {
        Offer {
            id: 42,
            part_number: Some(part_number.into()),
            sale_price: Some(Decimal::new(sale_price, 0)),
            ..Default::default()
        }
    }

    /// The decision in short: (state, settled by, tally, overlay, mirror, event), or a word.
    fn summary(d: &Decision) -> String {
        match d {
            Decision::Leave => "leave".into(),
            Decision::Overlay => "overlay".into(),
            Decision::Settle(s) => format!(
                "{:?} by {} {:?} overlay={} mirror={} event={:?}",
                s.transition.state.unwrap(),
                s.transition.settled_by.as_ref().unwrap(),
                s.tally,
                s.overlay,
                s.mirror,
                s.event
            ),
        }
    }

    #[test]
    fn each_edit_is_decided_from_the_edit_the_offer_and_the_strategy() {
        use ConflictStrategy::*;
        use EditState::*;
        let seen_at_9 = |mut e: Edit| {
            e.remote = price(120);
            e.remote_changed_seen_at = Some(at(9));
            e
        };
        // (what, edit, eMAG's part number and price, strategy, decision)
        type Case = (
            &'static str,
            Edit,
            (&'static str, i64),
            ConflictStrategy,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                "id reused",
                edit(Pending),
                ("PN-2", 120),
                LocalPriority,
                "Cancelled by recycled_id Cancelled overlay=false mirror=false event=Some(Warn)",
            ),
            (
                "already applied",
                edit(Pending),
                ("PN-1", 90),
                Manual,
                "Pushed by already_applied Confirmed overlay=false mirror=false event=Some(Info)",
            ),
            (
                "untouched pending",
                edit(Pending),
                ("PN-1", 100),
                Manual,
                "overlay",
            ),
            (
                "untouched rejected",
                edit(Rejected),
                ("PN-1", 100),
                Manual,
                "leave",
            ),
            (
                "conflict undone by eMAG",
                edit(Conflict),
                ("PN-1", 100),
                Manual,
                "Pending by manual Nothing overlay=true mirror=true event=None",
            ),
            (
                "eMAG has priority",
                edit(Pending),
                ("PN-1", 120),
                EmagPriority,
                "Discarded by emag_priority Won(Emag) overlay=false mirror=false event=Some(Warn)",
            ),
            (
                "local has priority",
                edit(Pending),
                ("PN-1", 120),
                LocalPriority,
                "Pending by local_priority Won(Local) overlay=true mirror=true event=Some(Warn)",
            ),
            (
                "local has priority over a manual conflict",
                edit(Conflict),
                ("PN-1", 120),
                LocalPriority,
                "Pending by local_priority Won(Local) overlay=true mirror=true event=Some(Warn)",
            ),
            (
                "local priority leaves a rejected edit rejected",
                edit(Rejected),
                ("PN-1", 120),
                LocalPriority,
                "Rejected by local_priority Won(Local) overlay=false mirror=false event=Some(Warn)",
            ),
            (
                "eMAG's change seen now is newer",
                edit(Pending),
                ("PN-1", 120),
                NewestWins,
                "Discarded by newest_wins Won(Emag) overlay=false mirror=false event=Some(Warn)",
            ),
            (
                "eMAG's change first seen at 9 is older than the edit",
                seen_at_9(edit(Pending)),
                ("PN-1", 120),
                NewestWins,
                "Pending by newest_wins Won(Local) overlay=true mirror=true event=Some(Warn)",
            ),
            (
                "eMAG moved again since 9: seen now",
                seen_at_9(edit(Pending)),
                ("PN-1", 130),
                NewestWins,
                "Discarded by newest_wins Won(Emag) overlay=false mirror=false event=Some(Warn)",
            ),
            (
                "manual",
                edit(Pending),
                ("PN-1", 120),
                Manual,
                "Conflict by manual Won(Manual) overlay=false mirror=false event=Some(Warn)",
            ),
        ];
        for (what, e, (pn, p), strategy, expected) in cases {
            let d = decide(&e, &offer(pn, p), strategy, "main", 5, at(12));
            assert_eq!(summary(&d), expected, "{what}");
        }
    }

    #[test]
    fn a_conflict_records_emags_values_and_a_kept_edit_builds_on_them() {
        let e = edit(EditState::Pending);
        let Decision::Settle(s) = decide(
            &e,
            &offer("PN-1", 120),
            ConflictStrategy::LocalPriority,
            "main",
            5,
            at(12),
        ) else {
            panic!("a conflict is settled");
        };
        let t = s.transition;
        assert_eq!(t.remote, Some((price(120), Some(at(12)))));
        assert_eq!(t.rebase, Some(price(120)));
        assert_eq!(t.run_id, Some(5));
        let msg = t.message.flatten().unwrap();
        assert!(
            msg.contains("eMAG changed sale_price 100.0000 → 120.0000"),
            "{msg}"
        );
    }
}
