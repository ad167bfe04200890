//! The engine behind the dashboard's keys: runs start and end through the engine's
//! [`SyncPort`] (the daemon's port too), and the eMAG calls of the keys (test a connection,
//! push edits) go through the engine's clients, which share each account's limiter.

use super::error::JobError;
use super::tabs::connections::ConnTest;
use crate::model::SyncOptions;
use crate::sync::Engine;
use crate::sync::port::{ActiveRun, RunEnd, StartError, StartRequest, SyncPort};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// What the dashboard asks of the engine: the [`SyncPort`] for runs, and eMAG calls.
pub trait DashboardEngine: SyncPort + Send + Sync + 'static {
    fn test(&self, account: &str) -> impl Future<Output = ConnTest> + Send;
    /// Pushes the edits of a confirmed preview, at their previewed revisions.
    fn push(
        &self,
        preview: crate::edits::preview::Preview,
    ) -> impl Future<Output = Result<Vec<crate::edits::PushReport>, JobError>> + Send;
    /// The account's VAT rates from `vat/read`, through the store's daily cache.
    fn vat_rates(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Vec<crate::store::accounts::CachedVat>, JobError>> + Send;
    /// Asks eMAG's Smart Deals price check for each offer, through the account's limiter.
    fn smart_deals(
        &self,
        account: &str,
        ids: Vec<i64>,
    ) -> impl Future<Output = Result<SmartDealResults, JobError>> + Send;
}

/// Each checked offer's Smart Deals answer, or why its check failed.
pub type SmartDealResults = Vec<(i64, Result<crate::price::smart_deals::SmartDeal, JobError>)>;

/// The engine of the configured accounts.
pub struct EngineBackend {
    engine: Engine,
    /// When `vat/read` last failed for an account with nothing cached: not asked again for
    /// [`VAT_RETRY_MINUTES`], so a list reloaded every few seconds never spends the account's
    /// requests on it.
    vat_failed: Mutex<HashMap<String, chrono::DateTime<chrono::Utc>>>,
}

/// Minutes before a failed `vat/read` is tried again.
const VAT_RETRY_MINUTES: i64 = 30;

impl EngineBackend {
    pub fn new(engine: Engine) -> Self {
        EngineBackend {
            engine,
            vat_failed: Mutex::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SyncPort for EngineBackend {
    type Run = <Engine as SyncPort>::Run;

    fn default_options(&self, account: &str, mode: crate::model::SyncMode) -> SyncOptions {
        SyncPort::default_options(&self.engine, account, mode)
    }

    fn start(
        &self,
        account: &str,
        request: StartRequest,
    ) -> impl Future<Output = Result<Self::Run, StartError>> + Send {
        SyncPort::start(&self.engine, account, request)
    }
}

impl DashboardEngine for EngineBackend {
    async fn test(&self, account: &str) -> ConnTest {
        let r = self.engine.test_connection(account).await;
        ConnTest {
            account: r.account,
            ok: r.ok,
            message: r.message,
            offers: r.offers,
            active: r.active,
            latency_ms: r.latency.as_millis() as u64,
            at: chrono::Utc::now(),
        }
    }

    async fn push(
        &self,
        preview: crate::edits::preview::Preview,
    ) -> Result<Vec<crate::edits::PushReport>, JobError> {
        let engine = &self.engine;
        let store = engine.store().clone();
        let mut reports = Vec::new();
        for account in preview.accounts() {
            // The engine's client shares the account's limiter with running syncs.
            let client = engine.client(&account)?;
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
            .await?;
            reports.push(report);
        }
        Ok(reports)
    }

    async fn vat_rates(
        &self,
        account: &str,
    ) -> Result<Vec<crate::store::accounts::CachedVat>, JobError> {
        let now = chrono::Utc::now();
        let recent = lock(&self.vat_failed)
            .get(account)
            .is_some_and(|t| now - *t < chrono::Duration::minutes(VAT_RETRY_MINUTES));
        if recent {
            return Err(JobError::Emag(format!(
                "vat/read of {account} failed recently"
            )));
        }
        let client = self.engine.client(account)?;
        let r = crate::price::smart_deals::vat_rates(self.engine.store(), &client, now).await;
        match &r {
            Ok(_) => lock(&self.vat_failed).remove(account),
            Err(_) => lock(&self.vat_failed).insert(account.to_string(), now),
        };
        Ok(r?)
    }

    async fn smart_deals(
        &self,
        account: &str,
        ids: Vec<i64>,
    ) -> Result<SmartDealResults, JobError> {
        // The engine's client shares the account's limiter with running syncs and pushes.
        let client = self.engine.client(account)?;
        Ok(crate::price::smart_deals::check(&client, &ids)
            .await
            .into_iter()
            .map(|(id, r)| (id, r.map_err(JobError::from)))
            .collect())
    }
}

/// Runs started by this dashboard, so they can be cancelled and awaited on quit. Runs of other
/// processes are shown from the store but can only be cancelled where they were started.
pub struct OwnRuns<R> {
    runs: Mutex<HashMap<i64, R>>,
}

impl<R: ActiveRun + Send> OwnRuns<R> {
    pub fn new() -> Self {
        OwnRuns {
            runs: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, R>> {
        lock(&self.runs)
    }

    /// Keeps `run`, and forgets the ones that have ended.
    pub fn add(&self, run: R) {
        let mut runs = self.lock();
        runs.retain(|_, r| !r.is_finished());
        runs.insert(run.run_id(), run);
    }

    pub fn cancel(&self, run_id: i64) -> Result<(), JobError> {
        match self.lock().get(&run_id) {
            Some(run) => {
                run.cancel();
                Ok(())
            }
            None => Err(JobError::Busy(
                "was started by another process; cancel it there (Ctrl-C or stop the daemon)"
                    .into(),
            )),
        }
    }

    /// Cancels every run and waits for each to record its end.
    pub async fn shutdown(&self) -> Vec<RunEnd> {
        let runs: Vec<R> = self.lock().drain().map(|(_, r)| r).collect();
        let mut ends = Vec::new();
        for run in runs {
            run.cancel();
            let end = run.finish().await;
            tracing::info!(
                "run {} ended as {} when the dashboard quit",
                end.run_id,
                end.status.as_str()
            );
            ends.push(end);
        }
        ends
    }
}

impl<R: ActiveRun + Send> Default for OwnRuns<R> {
    fn default() -> Self {
        Self::new()
    }
}
