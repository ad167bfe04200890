//! Gathers an account's [`Facts`] from the store.

use super::{AccountHealth, Facts, Thresholds, evaluate};
use crate::model::{RunStatus, SyncMode};
use crate::price::buybox::Move;
use crate::store::runs::RunFilter;
use crate::store::{Result, Store, short_db_error};
use chrono::{DateTime, Utc};

pub async fn read_facts(
    store: &Store,
    account: &str,
    t: &Thresholds,
    now: DateTime<Utc>,
) -> Result<Facts> {
    let history = t.duration_history as i64 + 1;
    let finished = |mode, status, limit| RunFilter {
        account: Some(account.to_string()),
        mode,
        status,
        finished: true,
        limit,
        ..RunFilter::default()
    };
    let completed = |mode| {
        let filter = finished(Some(mode), Some(RunStatus::Completed), history.max(2));
        async move { store.runs().list(&filter).await }
    };
    let last_finished = store.runs().list(&finished(None, None, 1)).await?.pop();
    // What the last run changed: the moves since it started, read from the history's time index.
    let buybox_lost = match &last_finished {
        Some(run) => Some(
            store
                .history()
                .rank_moves(Some(account), run.started_at)
                .await?
                .iter()
                .filter(|m| crate::price::buybox::classify(m) == Some(Move::Lost))
                .count() as u64,
        ),
        None => None,
    };
    Ok(Facts {
        now,
        last_finished,
        buybox_lost,
        completed_full: completed(SyncMode::Full).await?,
        completed_incremental: completed(SyncMode::Incremental).await?,
        edits: store
            .health()
            .edits_waiting(account, now - t.pending_edit_warn)
            .await?,
    })
}

/// An account's health now; UNKNOWN with the reason when the store cannot be read.
pub async fn account_health(
    store: &Store,
    account: &str,
    t: &Thresholds,
    now: DateTime<Utc>,
) -> AccountHealth {
    match read_facts(store, account, t, now).await {
        Ok(facts) => evaluate(account, t, &facts),
        Err(e) => AccountHealth::unknown(
            account,
            format!("cannot read the store: {}", short_db_error(&e)),
        ),
    }
}
