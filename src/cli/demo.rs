//! `magsync demo`: the embedded simulator, a SQLite store in the data dir and the dashboard —
//! the whole product without credentials.

use super::tui::TuiArgs;
use crate::config::{Account, Platform, Settings, sqlite_url};
use crate::error::Failure;
use crate::sim::{SimAccount, SimConfig};
use crate::store::Store;
use crate::sync::Engine;
use crate::tui::engine_backend::EngineBackend;
use secrecy::SecretString;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start from an empty demo database (deletes demo.db in the data dir first).
    #[arg(long)]
    pub fresh: bool,
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// The simulator as the demo runs it: eMAG's rate limits, ~100 ms latency, ~2 % faults, and a
/// moving market so the Buy button tab has winners and losers after the second sync.
pub fn sim_config() -> SimConfig {
    SimConfig {
        accounts: vec![SimAccount::new("main", 1274), SimAccount::new("fbe", 1271)],
        rps: 3,
        rpm: 180,
        latency_ms: 100,
        fault_rate: 0.02,
        // A hung request is cut by the client's timeout below; keep the demo lively.
        hang_secs: 15,
        competition_rate: 0.01,
        ..SimConfig::default()
    }
}

/// The demo accounts, pointing at the simulator.
pub fn accounts(base_url: &str) -> Vec<Account> {
    ["main", "fbe"]
        .iter()
        .map(|name| Account {
            name: name.to_string(),
            platform: Some(Platform::Ro),
            base_url: base_url.to_string(),
            username: Some(name.to_string()),
            password: Some(SecretString::from("demo")),
            password_problem: None,
            max_pages: None,
            items_per_page: 100,
            log_retention_days: 30,
        })
        .collect()
}

/// The engine behind the dashboard for these accounts.
pub fn backend(store: &Store, accounts: &[Account], settings: &Settings) -> EngineBackend {
    EngineBackend::new(Engine::new(store.clone(), accounts.to_vec(), settings))
}

pub async fn run(g: &super::GlobalArgs, args: Args) -> anyhow::Result<u8> {
    let mut config = g.load_config()?;
    let _guard = crate::logging::init(&config.paths.log_dir, g.log_level.as_deref(), false);
    let db = config.paths.data_dir.join("demo.db");
    if args.fresh {
        for suffix in ["", "-wal", "-shm"] {
            let p = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Failure::runtime(format!(
                        "cannot delete the old demo database {}: {e}",
                        p.display()
                    ))
                    .into());
                }
            }
        }
    }
    let sim = crate::sim::start(sim_config(), "127.0.0.1:0".parse()?)
        .await
        .map_err(|e| Failure::runtime(format!("cannot start the simulator: {e}")))?;
    tracing::info!("demo: simulator at {}", sim.base_url());
    config.database_url = sqlite_url(&db);
    config.accounts = accounts(&sim.base_url());
    config.settings.request_timeout = Duration::from_secs(5);
    let store = Store::open(&config.database_url).await?;
    let backend = backend(&store, &config.accounts, &config.settings);
    let result =
        super::tui::open(&config, &config.accounts, store.clone(), backend, &args.tui).await;
    store.close().await;
    sim.shutdown().await;
    result
}
