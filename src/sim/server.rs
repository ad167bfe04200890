//! The shared simulator state, the router and the in-process handle.

use super::faults::RuntimeFaults;
use super::ratelimit::{Stats, Window};
use super::rng::chacha;
use super::state::AccountState;
use super::{SimAccount, SimConfig, admin, api, reply};
use anyhow::Context as _;
use axum::Router;
use axum::routing::{any, get, post};
use rand_chacha::ChaCha8Rng;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Locks a mutex, ignoring poisoning: a panicking handler must not wedge the whole server.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct Account {
    pub cfg: SimAccount,
    pub state: Mutex<AccountState>,
    pub stats: Mutex<Stats>,
    pub fault_rng: Mutex<ChaCha8Rng>,
    pub churn_rng: Mutex<ChaCha8Rng>,
    pub mutate_rng: Mutex<ChaCha8Rng>,
    pub competition_rng: Mutex<ChaCha8Rng>,
}

impl Account {
    fn new(config: &SimConfig, cfg: &SimAccount, state: AccountState) -> Self {
        let (fault, churn, mutate) = rngs(config, cfg);
        let competition = chacha(config.competition_seed, &cfg.name, 4);
        Account {
            cfg: cfg.clone(),
            state: Mutex::new(state),
            stats: Mutex::new(Stats::default()),
            fault_rng: Mutex::new(fault),
            churn_rng: Mutex::new(churn),
            mutate_rng: Mutex::new(mutate),
            competition_rng: Mutex::new(competition),
        }
    }
}

fn rngs(config: &SimConfig, a: &SimAccount) -> (ChaCha8Rng, ChaCha8Rng, ChaCha8Rng) {
    (
        chacha(config.fault_seed, &a.name, 1),
        chacha(config.fault_seed, &a.name, 2),
        chacha(config.seed, &a.name, 3),
    )
}

pub struct Sim {
    pub config: SimConfig,
    pub accounts: Vec<Account>,
    pub faults: Mutex<RuntimeFaults>,
    /// Requests over all accounts, for the `total` row of the stats.
    pub total: Mutex<Window>,
    pub shutdown: watch::Receiver<bool>,
}

impl Sim {
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.cfg.name == name)
    }

    /// Back to the seeded catalogue, zeroed stats and the configured faults.
    pub fn reset(&self) {
        let states = generate_all(&self.config);
        for (a, state) in self.accounts.iter().zip(states) {
            *lock(&a.state) = state;
            *lock(&a.stats) = Stats::default();
            let (f, c, m) = rngs(&self.config, &a.cfg);
            *lock(&a.fault_rng) = f;
            *lock(&a.churn_rng) = c;
            *lock(&a.mutate_rng) = m;
            *lock(&a.competition_rng) = chacha(self.config.competition_seed, &a.cfg.name, 4);
        }
        *lock(&self.total) = Window::default();
        *lock(&self.faults) = runtime_faults(&self.config);
    }
}

fn runtime_faults(c: &SimConfig) -> RuntimeFaults {
    let mut rt = RuntimeFaults::new(c.fault_rate, &c.faults, c.churn_rate);
    rt.ignore_wrapped_filters = c.ignore_wrapped_filters;
    rt.strict_page_size = c.strict_page_size;
    rt
}

/// Generates every account's catalogue, one thread per account.
fn generate_all(config: &SimConfig) -> Vec<AccountState> {
    std::thread::scope(|s| {
        let handles: Vec<_> = config
            .accounts
            .iter()
            .map(|a| {
                s.spawn(move || {
                    let mut state = AccountState::new(config.seed, a, config.campaign_rate);
                    if config.bg_in_bgn && a.platform == super::Platform::Bg {
                        state.convert_bgn(true);
                    }
                    state
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("catalogue generation panicked"))
            .collect()
    })
}

/// A running simulator. Dropping it leaves the server running until the runtime ends; call
/// [`SimHandle::shutdown`] to stop it.
pub struct SimHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT/api-3`, the account base URL for the client.
    pub fn base_url(&self) -> String {
        format!("http://{}/api-3", self.addr)
    }
    pub fn admin_url(&self) -> String {
        format!("http://{}/__admin", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// Stops accepting, releases hanging requests and waits briefly for open connections.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(2), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

fn validate(config: &SimConfig) -> anyhow::Result<()> {
    anyhow::ensure!(
        !config.accounts.is_empty(),
        "the simulator needs at least one account"
    );
    for (i, a) in config.accounts.iter().enumerate() {
        anyhow::ensure!(!a.name.is_empty(), "an account name is empty");
        anyhow::ensure!(
            a.name != "total",
            "`total` is reserved for the stats totals"
        );
        anyhow::ensure!(
            a.offers <= 4_000_000,
            "account {} has more than 4,000,000 offers",
            a.name
        );
        let dup = config.accounts[..i]
            .iter()
            .any(|b| b.name == a.name || b.username == a.username);
        anyhow::ensure!(
            !dup,
            "account {} is configured twice (same name or username)",
            a.name
        );
    }
    anyhow::ensure!(
        (0.0..=1.0).contains(&config.fault_rate),
        "fault rate must be within 0..1"
    );
    anyhow::ensure!(
        (0.0..=1.0).contains(&config.churn_rate),
        "churn rate must be within 0..1"
    );
    anyhow::ensure!(
        (0.0..=1.0).contains(&config.competition_rate),
        "competition rate must be within 0..1"
    );
    Ok(())
}

/// Generates the catalogues, binds `listen` (port 0 = ephemeral) and serves in a tokio task.
pub async fn start(config: SimConfig, listen: SocketAddr) -> anyhow::Result<SimHandle> {
    validate(&config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let config = Arc::new(config);
    let states = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || generate_all(&config)).await?
    };
    let config = Arc::try_unwrap(config).unwrap_or_else(|c| (*c).clone());
    let (stop, shutdown) = watch::channel(false);
    let accounts = config
        .accounts
        .iter()
        .zip(states)
        .map(|(a, s)| Account::new(&config, a, s))
        .collect();
    let sim = Arc::new(Sim {
        faults: Mutex::new(runtime_faults(&config)),
        config,
        accounts,
        total: Mutex::new(Window::default()),
        shutdown: shutdown.clone(),
    });
    let router = Router::new()
        .route("/api-3/{*path}", any(api::handle))
        .route("/__admin/catalogue", get(admin::catalogue))
        .route("/__admin/stats", get(admin::stats))
        .route("/__admin/mutate", post(admin::mutate))
        .route("/__admin/reset", post(admin::reset))
        .route("/__admin/truncate", post(admin::truncate))
        .route("/__admin/faults", post(admin::faults))
        .route("/__admin/currency", post(admin::currency))
        .fallback(|| async { reply::invalid_url() })
        .with_state(sim);
    let mut wait = shutdown;
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let stopped = async move {
            let _ = wait.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, service)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!("simulator server failed: {e}");
        }
    });
    Ok(SimHandle { addr, stop, task })
}
