//! The engine's public face: start runs (one per account across processes), watch them, test
//! connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::progress::{RunProgress, Tracker};
use super::run::{self, RunCtx};
use crate::config::{Account, MAX_ITEMS_PER_PAGE, Settings};
use crate::emag::{
    ClientConfig, DEFAULT_MIN_INTERVAL, EmagClient, EmagError, OfferFilter, RetryPolicy,
};
use crate::model::{SyncMode, SyncOptions, Trigger};
use crate::process::process_owner;
use crate::store::{LockBusy, Store, short_db_error};

/// Knobs that are not user settings: tests and benchmarks shrink waits and lift pacing.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    pub retry: RetryPolicy,
    /// Spacing of request starts per account; `ZERO` only against a simulator without limits.
    pub min_interval: Duration,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Page requests in flight per run; enough that the limiter's slots never wait on latency.
    pub concurrency: usize,
    /// How often progress and queued events are persisted (≤ 2×/s by default).
    pub progress_interval: Duration,
    /// Offers missing from a complete scan are confirmed by id (100 a request) up to this many;
    /// beyond it they are marked missing on the scan's word alone.
    pub confirm_limit: usize,
    /// Pages already fetched are written together, up to this many per transaction. Bigger
    /// transactions dirty each index page for several rows instead of one (figures in
    /// docs/performance.md, `bench_sync -- big`). See [`Tuning::for_store`] for each store's
    /// value.
    pub max_batch_pages: usize,
}

impl Tuning {
    pub fn from_settings(settings: &Settings) -> Self {
        Tuning {
            retry: RetryPolicy {
                max_attempts: settings.max_attempts.max(1),
                ..RetryPolicy::default()
            },
            min_interval: DEFAULT_MIN_INTERVAL,
            connect_timeout: settings.connect_timeout,
            request_timeout: settings.request_timeout,
            concurrency: 6,
            progress_interval: Duration::from_millis(500),
            // 50 requests, about 20 s at eMAG's pace.
            confirm_limit: 5_000,
            max_batch_pages: 20,
        }
    }

    /// The batch size that suits the store. SQLite's writer rewrites every index page a
    /// transaction dirtied (to the WAL, then again at checkpoint), and its sort indexes are
    /// written in random order, so a bigger transaction writes fewer bytes; Postgres gained
    /// nothing from it but memory, so it keeps 20 (`bench_sync -- big`, docs/performance.md).
    pub fn for_store(mut self, store: &Store) -> Self {
        if store.backend() == crate::store::Backend::Sqlite {
            self.max_batch_pages = 40;
        }
        self
    }
}

/// Why a run could not start. Runs that start always end with a stored status instead.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncError {
    /// Unknown account, missing credentials, invalid options: exit code 2.
    Config(String),
    /// Another run of the account holds its lock.
    Busy(LockBusy),
    /// The database refused the run row or the lock.
    Store(String),
}

impl SyncError {
    pub fn exit_code(&self) -> u8 {
        match self {
            SyncError::Config(_) => crate::error::EXIT_USAGE,
            SyncError::Busy(_) | SyncError::Store(_) => crate::error::EXIT_FAILURE,
        }
    }
}

impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncError::Config(m) => f.write_str(m),
            SyncError::Busy(b) => write!(f, "{b}"),
            SyncError::Store(m) => write!(f, "the database refused the sync run: {m}"),
        }
    }
}

impl std::error::Error for SyncError {}

fn store_err(e: sqlx::Error) -> SyncError {
    SyncError::Store(short_db_error(&e))
}

/// A started run: its id at once, live progress, a cancel switch and the final snapshot.
#[derive(Debug)]
pub struct RunHandle {
    pub run_id: i64,
    pub account: String,
    pub progress: watch::Receiver<RunProgress>,
    pub cancel: CancellationToken,
    pub done: JoinHandle<RunProgress>,
}

/// Outcome of `test-connection` for one account.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionReport {
    pub account: String,
    pub base_url: String,
    pub ok: bool,
    /// "connected" details, or the one-sentence error.
    pub message: String,
    /// Offers of any status, from `product_offer/count`.
    pub offers: Option<u64>,
    /// Active offers (status 1), the ones a sync mirrors unless `include_inactive`.
    pub active: Option<u64>,
    pub latency: Duration,
}

struct Inner {
    store: Store,
    accounts: Vec<Account>,
    settings: Settings,
    tuning: Tuning,
}

/// Runs syncs of configured accounts against one store. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    pub fn new(store: Store, accounts: Vec<Account>, settings: &Settings) -> Self {
        let tuning = Tuning::from_settings(settings).for_store(&store);
        Engine {
            inner: Arc::new(Inner {
                store,
                accounts,
                settings: settings.clone(),
                tuning,
            }),
        }
    }

    /// The same engine with other timings (tests, benchmarks).
    pub fn with_tuning(&self, tuning: Tuning) -> Self {
        Engine {
            inner: Arc::new(Inner {
                store: self.inner.store.clone(),
                accounts: self.inner.accounts.clone(),
                settings: self.inner.settings.clone(),
                tuning,
            }),
        }
    }

    pub fn tuning(&self) -> &Tuning {
        &self.inner.tuning
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn accounts(&self) -> &[Account] {
        &self.inner.accounts
    }

    /// Options for a run of `account` from the settings and the account's own defaults.
    pub fn default_options(&self, account: &str, mode: SyncMode) -> SyncOptions {
        let s = &self.inner.settings;
        let acct = self.inner.accounts.iter().find(|a| a.name == account);
        SyncOptions {
            mode,
            max_pages: if mode == SyncMode::Incremental {
                Some(
                    acct.and_then(|a| a.max_pages)
                        .unwrap_or(s.incremental_max_pages),
                )
            } else {
                None
            },
            items_per_page: acct.map_or(s.items_per_page, |a| a.items_per_page),
            include_inactive: s.include_inactive,
            conflict_strategy: s.conflict_strategy,
        }
    }

    fn account(&self, name: &str) -> Result<&Account, SyncError> {
        self.inner
            .accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .inner
                    .accounts
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect();
                SyncError::Config(format!(
                    "no account \"{name}\" is configured (known: {})",
                    known.join(", ")
                ))
            })
    }

    /// A client of `account` with the engine's timings; clients of one account share a limiter.
    pub fn client(&self, account: &str) -> Result<EmagClient, SyncError> {
        account_client(self.account(account)?, &self.inner.tuning)
    }

    /// Marks runs whose process is gone as failed ("interrupted"), see
    /// [`crate::store::Runs::settle_dead`].
    pub async fn recover_stale_runs(&self) -> Result<Vec<i64>, SyncError> {
        self.inner
            .store
            .runs()
            .settle_dead(Utc::now())
            .await
            .map_err(store_err)
    }

    /// Starts a run of `account` in the background. The run row is committed as `running`
    /// before this returns; refused while another run of the account holds its lock.
    pub async fn start(
        &self,
        account: &str,
        options: SyncOptions,
        trigger: Trigger,
    ) -> Result<RunHandle, SyncError> {
        self.start_with(account, options, trigger, false).await
    }

    /// [`Engine::start`], optionally accepting a full scan that flags more offers missing than
    /// the mass-missing guard allows (`magsync sync --allow-mass-missing`).
    pub async fn start_with(
        &self,
        account: &str,
        mut options: SyncOptions,
        trigger: Trigger,
        allow_mass_missing: bool,
    ) -> Result<RunHandle, SyncError> {
        if options.mode == SyncMode::Incremental && options.max_pages.is_none() {
            // "Incremental" means a window, never every page under that name.
            options.max_pages = Some(self.inner.settings.incremental_max_pages);
        }
        if !(1..=MAX_ITEMS_PER_PAGE).contains(&options.items_per_page) {
            return Err(SyncError::Config(format!(
                "items per page must be between 1 and {MAX_ITEMS_PER_PAGE}, not {}",
                options.items_per_page
            )));
        }
        if options.max_pages == Some(0) {
            return Err(SyncError::Config("max pages must be at least 1".into()));
        }
        let client = self.client(account)?;
        let store = self.inner.store.clone();
        self.recover_stale_runs().await?;

        let owner = process_owner();
        let now = Utc::now();
        let lock = match store
            .locks()
            .try_take(account, &owner, now)
            .await
            .map_err(store_err)?
        {
            Ok(lock) => lock,
            Err(busy) => return Err(SyncError::Busy(busy)),
        };
        let setup = async {
            let cursor = match options.mode {
                SyncMode::Incremental => store
                    .runs()
                    .last(account, Some(SyncMode::Incremental), None)
                    .await?
                    .and_then(|r| r.next_page),
                SyncMode::Full => None,
            };
            let run = store
                .runs()
                .create(account, &options, trigger, &owner, now)
                .await?;
            if let Err(e) = lock.attach_run(run.id).await {
                // The row exists: it must not stay `running` for a run that never started.
                let why = format!("could not start: {}", short_db_error(&e));
                let _ = store
                    .runs()
                    .finish(
                        run.id,
                        crate::model::RunStatus::Failed,
                        &run.counts,
                        None,
                        Some(&why),
                        Utc::now(),
                    )
                    .await;
                return Err(e);
            }
            Ok::<_, sqlx::Error>((cursor, run))
        };
        let (cursor, run) = match setup.await {
            Ok(v) => v,
            Err(e) => {
                let _ = lock.release().await;
                return Err(store_err(e));
            }
        };

        let cancel = CancellationToken::new();
        let (tracker, progress) = Tracker::new(RunProgress::new(
            run.id,
            account,
            options.mode,
            run.started_at,
        ));
        let ctx = RunCtx {
            store: store.clone(),
            client,
            account: account.to_string(),
            run_id: run.id,
            options,
            started_at: run.started_at,
            cursor,
            tuning: self.inner.tuning.clone(),
            cancel: cancel.clone(),
            tracker: Arc::new(tracker),
            shortfall_partial_percent: self.inner.settings.count_shortfall_partial_percent,
            lock_lost: lock.lost(),
            lock_lost_why: lock.lost_reason_cell(),
            guard: super::guard::Guard {
                share: self
                    .inner
                    .settings
                    .health
                    .for_account(account)
                    .mass_missing_share,
                allow: allow_mass_missing,
            },
        };
        let done = tokio::spawn(async move {
            let last = run::execute(ctx).await;
            if let Err(e) = lock.release().await {
                tracing::warn!(target: "magsync::sync", "cannot release the sync lock: {e}");
            }
            last
        });
        Ok(RunHandle {
            run_id: run.id,
            account: account.to_string(),
            progress,
            cancel,
            done,
        })
    }

    /// One `product_offer/count` without retries: reachability, credentials and offer count.
    pub async fn test_connection(&self, account: &str) -> ConnectionReport {
        match self.account(account) {
            Ok(acct) => test_account(acct, &self.inner.tuning).await,
            Err(e) => ConnectionReport {
                account: account.to_string(),
                base_url: String::new(),
                ok: false,
                message: e.to_string(),
                offers: None,
                active: None,
                latency: Duration::ZERO,
            },
        }
    }
}

/// The client of one account with the given timings (clients of one account share a limiter).
pub fn account_client(acct: &Account, t: &Tuning) -> Result<EmagClient, SyncError> {
    let (username, password) = acct
        .credentials()
        .map_err(|f| SyncError::Config(f.message))?;
    let cfg = ClientConfig {
        account: acct.name.clone(),
        base_url: acct.base_url.clone(),
        username: username.to_string(),
        password: password.clone(),
        connect_timeout: t.connect_timeout,
        request_timeout: t.request_timeout,
        retry: t.retry.clone(),
        min_interval: t.min_interval,
    };
    EmagClient::new(cfg).map_err(|e| SyncError::Config(format!("account \"{}\": {e}", acct.name)))
}

/// `test-connection` for one account, without a store: one count, no transient retries (a
/// user waiting at a prompt wants the first answer), 429s still waited for.
pub async fn test_account(acct: &Account, tuning: &Tuning) -> ConnectionReport {
    let t = Tuning {
        retry: RetryPolicy {
            max_attempts: 1,
            max_consecutive_429: 3,
            ..tuning.retry.clone()
        },
        ..tuning.clone()
    };
    let started = Instant::now();
    // All offers, then the active ones: a sync mirrors only those by default, and the two
    // figures side by side answer "why did it mirror fewer than the test counted".
    let result = match account_client(acct, &t) {
        Ok(client) => match client.count_offers(&OfferFilter::default()).await {
            Ok(all) => {
                let active = client.count_offers(&OfferFilter::active()).await.ok();
                Ok((all, active))
            }
            Err(e) => Err(describe_emag(&e)),
        },
        Err(e) => Err(e.to_string()),
    };
    let latency = started.elapsed();
    let (ok, message, offers, active) = match result {
        Ok((all, active)) => (
            true,
            match &active {
                Some(a) => format!(
                    "connected: {} offers, {} of them active (a sync mirrors the active ones unless include_inactive)",
                    crate::model::group_digits(all.items as i64),
                    crate::model::group_digits(a.items as i64)
                ),
                None => format!(
                    "connected: {} offers of any status",
                    crate::model::group_digits(all.items as i64)
                ),
            },
            Some(all.items),
            active.map(|a| a.items),
        ),
        Err(message) => (false, message, None, None),
    };
    ConnectionReport {
        account: acct.name.clone(),
        base_url: acct.base_url.clone(),
        ok,
        message,
        offers,
        active,
        latency,
    }
}

/// An eMAG error as the sentence a user sees (with a hint where one helps).
pub(crate) fn describe_emag(e: &EmagError) -> String {
    match e {
        EmagError::Auth { .. } => {
            format!("{e}; check the username, password and the IP allow-list of the API user")
        }
        _ => e.to_string(),
    }
}
