//! The sync engine behind the dashboard's start / cancel / test keys.

use super::app::ConnTest;
use super::effects::SyncBackend;
use crate::model::{SyncOptions, Trigger};
use crate::sync::Engine;
use crate::sync::RunProgress;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

type Runs = HashMap<i64, (CancellationToken, JoinHandle<RunProgress>)>;

/// Runs started by this dashboard, so they can be cancelled and awaited on quit. Runs of other
/// processes are shown from the store but can only be cancelled where they were started.
pub struct EngineBackend {
    engine: Engine,
    runs: Arc<Mutex<Runs>>,
    /// When `vat/read` last failed for an account with nothing cached: not asked again for
    /// [`VAT_RETRY_MINUTES`], so a list reloaded every few seconds never spends the account's
    /// requests on it.
    vat_failed: Arc<Mutex<HashMap<String, chrono::DateTime<chrono::Utc>>>>,
}

/// Minutes before a failed `vat/read` is tried again.
const VAT_RETRY_MINUTES: i64 = 30;

impl EngineBackend {
    pub fn new(engine: Engine) -> Self {
        EngineBackend {
            engine,
            runs: Arc::default(),
            vat_failed: Arc::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl EngineBackend {
    fn start_run(
        &self,
        account: &str,
        options: SyncOptions,
        allow_mass_missing: bool,
    ) -> BoxFuture<'static, Result<i64, String>> {
        let engine = self.engine.clone();
        let runs = self.runs.clone();
        let account = account.to_string();
        Box::pin(async move {
            let handle = engine
                .start_with(&account, options, Trigger::Tui, allow_mass_missing)
                .await
                .map_err(|e| e.to_string())?;
            let mut runs = lock(&runs);
            runs.retain(|_, (_, done)| !done.is_finished());
            runs.insert(handle.run_id, (handle.cancel, handle.done));
            Ok(handle.run_id)
        })
    }
}

impl SyncBackend for EngineBackend {
    fn start(
        &self,
        account: &str,
        options: SyncOptions,
    ) -> BoxFuture<'static, Result<i64, String>> {
        self.start_run(account, options, false)
    }

    fn start_accepting_hold(
        &self,
        account: &str,
        options: SyncOptions,
    ) -> BoxFuture<'static, Result<i64, String>> {
        self.start_run(account, options, true)
    }

    fn cancel(&self, run_id: i64) -> BoxFuture<'static, Result<(), String>> {
        let token = lock(&self.runs).get(&run_id).map(|(t, _)| t.clone());
        Box::pin(async move {
            match token {
                Some(t) => {
                    t.cancel();
                    Ok(())
                }
                None => Err(
                    "was started by another process; cancel it there (Ctrl-C or stop the daemon)"
                        .into(),
                ),
            }
        })
    }

    fn test(&self, account: &str) -> BoxFuture<'static, ConnTest> {
        let engine = self.engine.clone();
        let account = account.to_string();
        Box::pin(async move {
            let r = engine.test_connection(&account).await;
            ConnTest {
                account: r.account,
                ok: r.ok,
                message: r.message,
                offers: r.offers,
                active: r.active,
                latency_ms: r.latency.as_millis() as u64,
                at: chrono::Utc::now(),
            }
        })
    }

    fn push(
        &self,
        preview: crate::edits::preview::Preview,
    ) -> BoxFuture<'static, Result<Vec<crate::edits::PushReport>, String>> {
        let engine = self.engine.clone();
        Box::pin(async move {
            let store = engine.store().clone();
            let mut reports = Vec::new();
            for account in preview.accounts() {
                // The engine's client shares the account's limiter with running syncs.
                let client = engine.client(&account).map_err(|e| e.to_string())?;
                let fbe = crate::edits::is_fbe_account(&account);
                let only = preview.selection(&account);
                let report = crate::edits::push_selected(
                    &store,
                    &client,
                    &account,
                    fbe,
                    false,
                    Some(&only),
                    &tokio_util::sync::CancellationToken::new(),
                )
                .await
                .map_err(|e| crate::store::short_db_error(&e))?;
                reports.push(report);
            }
            Ok(reports)
        })
    }

    fn vat_rates(
        &self,
        account: &str,
    ) -> BoxFuture<'static, Result<Vec<crate::store::vat::CachedVat>, String>> {
        let engine = self.engine.clone();
        let failed = self.vat_failed.clone();
        let account = account.to_string();
        Box::pin(async move {
            let now = chrono::Utc::now();
            let recent = lock(&failed)
                .get(&account)
                .is_some_and(|t| now - *t < chrono::Duration::minutes(VAT_RETRY_MINUTES));
            if recent {
                return Err(format!("vat/read of {account} failed recently"));
            }
            let client = engine.client(&account).map_err(|e| e.to_string())?;
            let r = crate::price::smart_deals::vat_rates(engine.store(), &client, now).await;
            match &r {
                Ok(_) => lock(&failed).remove(&account),
                Err(_) => lock(&failed).insert(account, now),
            };
            r
        })
    }

    fn smart_deals(
        &self,
        account: &str,
        ids: Vec<i64>,
    ) -> BoxFuture<'static, Result<super::effects::SmartDealResults, String>> {
        let engine = self.engine.clone();
        let account = account.to_string();
        Box::pin(async move {
            // The engine's client shares the account's limiter with running syncs and pushes.
            let client = engine.client(&account).map_err(|e| e.to_string())?;
            Ok(crate::price::smart_deals::check(&client, &ids)
                .await
                .into_iter()
                .map(|(id, r)| (id, r.map_err(|e| e.to_string())))
                .collect())
        })
    }

    fn shutdown(&self) -> BoxFuture<'static, ()> {
        let runs: Vec<_> = lock(&self.runs).drain().collect();
        Box::pin(async move {
            for (_, (token, done)) in runs {
                token.cancel();
                if let Ok(p) = done.await {
                    tracing::info!(
                        "run {} ended as {} when the dashboard quit",
                        p.run_id,
                        p.status.as_str()
                    );
                }
            }
        })
    }
}
