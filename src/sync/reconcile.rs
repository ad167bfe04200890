//! After a complete full scan: offers the scan's filter should have returned but did not are
//! confirmed by id while not too many (up to 100 a request through the `id` list filter), then
//! flagged missing (§6). Churn can make a scan skip live offers, and an offer may merely have
//! changed status, so the scan's word alone is trusted only when there are too many to check.

use chrono::Utc;
use futures::stream::{self, StreamExt};

use super::recorder::Recorder;
use super::run::{ReconcileStop, RunCtx};
use crate::emag::{EmagClient, EmagError, MAX_PER_PAGE};
use crate::model::{EventLevel, OfferStatus};
use crate::store::short_db_error;

pub(crate) async fn reconcile(
    ctx: &RunCtx,
    client: &EmagClient,
    rec: &Recorder,
    status: Option<OfferStatus>,
) -> Result<(), ReconcileStop> {
    let db = |e: sqlx::Error| {
        ReconcileStop::Database(format!(
            "reconciling missing offers failed: {}",
            short_db_error(&e)
        ))
    };
    let candidates = ctx
        .store
        .offers()
        .missing_candidates(&ctx.account, ctx.started_at, status)
        .await
        .map_err(db)?;
    if candidates.is_empty() {
        return Ok(());
    }
    let gone = if candidates.len() <= ctx.tuning.confirm_limit {
        rec.event(
            EventLevel::Info,
            format!(
                "{} stored offers were not listed by the scan; confirming them by id, {} a request",
                candidates.len(),
                MAX_PER_PAGE
            ),
        );
        let batches: Vec<Vec<i64>> = candidates
            .chunks(MAX_PER_PAGE as usize)
            .map(<[i64]>::to_vec)
            .collect();
        let mut reads = stream::iter(batches)
            .map(|ids| async move {
                let result = client.read_offers_by_ids(&ids).await;
                (ids, result)
            })
            .buffer_unordered(ctx.tuning.concurrency.max(1));
        let mut gone = Vec::new();
        let mut found = Vec::new();
        while let Some((ids, result)) = reads.next().await {
            // Between batches is this stage's page boundary.
            if ctx.lock_lost.is_cancelled() {
                return Err(ReconcileStop::LockLost);
            }
            match result {
                Ok(offers) => {
                    let listed: std::collections::HashSet<i64> =
                        offers.iter().map(|o| o.id).collect();
                    gone.extend(ids.iter().filter(|id| !listed.contains(id)));
                    found.extend(offers);
                }
                Err(EmagError::Cancelled) => return Err(ReconcileStop::Cancelled),
                // Unconfirmed offers are left as they are: never flag what was not proven gone.
                Err(e) => rec.event(
                    EventLevel::Warn,
                    format!(
                        "could not confirm {} offers ({}): {e}; left unchanged",
                        ids.len(),
                        id_span(&ids)
                    ),
                ),
            }
        }
        if !found.is_empty() {
            let out = ctx
                .store
                .offers()
                .write(&ctx.account, Some(ctx.run_id), &found, Utc::now())
                .await
                .map_err(db)?;
            rec.event(
                EventLevel::Info,
                format!(
                    "{} offers skipped by the scan still exist ({} changed)",
                    found.len(),
                    out.updated
                ),
            );
            ctx.tracker.update(|p| {
                p.counts.offers_seen += found.len() as i64;
                p.counts.created += out.created as i64;
                p.counts.updated += out.updated as i64;
                p.counts.unchanged += out.unchanged as i64;
            });
        }
        gone
    } else {
        rec.event(
            EventLevel::Warn,
            format!(
                "{} stored offers were not listed by the complete scan; too many to confirm by id (limit {}), so they are marked missing",
                candidates.len(),
                ctx.tuning.confirm_limit
            ),
        );
        candidates
    };
    if gone.is_empty() {
        return Ok(());
    }
    // The guard judges what would really be marked: offers a status filter hid but eMAG still
    // has were confirmed above and are not among them.
    super::guard::check(ctx, rec, status, gone.len()).await?;
    let marked = ctx
        .store
        .offers()
        .mark_missing(&ctx.account, Some(ctx.run_id), &gone, Utc::now())
        .await
        .map_err(db)?;
    ctx.tracker.update(|p| p.counts.removed += marked as i64);
    rec.event(
        EventLevel::Info,
        format!("{marked} offers are no longer listed by eMAG; marked missing"),
    );
    Ok(())
}

/// "offer 7" or "offers 3 to 912" for a batch's message.
fn id_span(ids: &[i64]) -> String {
    match (ids.iter().min(), ids.iter().max()) {
        (Some(a), Some(b)) if a != b => format!("offers {a} to {b}"),
        (Some(a), _) => format!("offer {a}"),
        _ => "no offers".into(),
    }
}
