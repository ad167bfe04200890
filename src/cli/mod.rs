//! Command-line entry: the TUI by default, subcommands for headless use.

pub mod admin;
pub mod demo;
pub mod edits;
pub mod simulator;
pub mod sync;
pub mod test_connection;
pub mod tui;

use crate::config::{Config, Overrides};
use crate::error::{Failure, describe};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "magsync",
    version,
    about = "Mirror eMAG Marketplace offers into SQLite or Postgres, with a terminal dashboard",
    long_about = "magsync mirrors a seller's eMAG Marketplace offers (RO, BG, HU) into a local \
store and shows them in a terminal dashboard. Without a subcommand it opens the dashboard on the \
configured accounts; `magsync demo` runs everything against the built-in simulator.\n\n\
Configuration is layered: built-in defaults < config file < environment (DATABASE_URL, \
EMAG_<NAME>_USERNAME/_PASSWORD/_BASE_URL/_MAX_PAGES/_LOG_RETENTION, EMAG_ENABLE_SCHEDULED_SYNC, \
EMAG_SYNC_INTERVAL_MINUTES) < command-line flags. See config.example.toml."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Dashboard options (when no subcommand is given).
    #[command(flatten)]
    pub tui: tui::TuiArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Configuration file (default: $MAGSYNC_CONFIG, else config.toml in the platform config dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Database URL (sqlite://PATH or postgres://...); overrides DATABASE_URL and the file.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Log level or filter for the log file (e.g. info, debug, magsync=trace); default RUST_LOG or info.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
}

impl GlobalArgs {
    /// Loads and validates the configuration, printing its warnings to stderr.
    pub fn load_config(&self) -> Result<Config, Failure> {
        let config = Config::load(&Overrides {
            config_path: self.config.clone(),
            database_url: self.database_url.clone(),
        })?;
        for w in &config.warnings {
            eprintln!("magsync: warning: {w}");
        }
        Ok(config)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show where magsync reads its config and keeps its database and logs.
    Paths(admin::PathsArgs),
    /// Create or upgrade the database schema (safe to run repeatedly).
    Migrate,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(admin::ConfigCommand),
    /// Run the eMAG Marketplace API simulator (a real HTTP server on loopback).
    Simulator(simulator::Args),
    /// Sync offers of one or all accounts from eMAG into the database, headless.
    Sync(sync::Args),
    /// Check each account's base URL, credentials and offer count (one request each).
    TestConnection(test_connection::Args),
    /// Edit offers locally (`offer set`); edits are pushed by `magsync push`.
    #[command(subcommand)]
    Offer(edits::OfferCommand),
    /// List local edits: pending, pushed with eMAG's answer, rejected, conflicts.
    Pending(edits::PendingArgs),
    /// Send pending edits to eMAG (offer/save, at most 50 offers a call).
    Push(edits::PushArgs),
    /// Resolve conflicts between local edits and eMAG's changes (strategy `manual`).
    #[command(subcommand)]
    Conflicts(edits::ConflictsCommand),
    /// Open the dashboard on the built-in simulator (accounts main and fbe, no credentials).
    Demo(demo::Args),
}

/// Parses the command line, runs it and maps any error to one sentence and an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("magsync: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli));
    // Background tasks (pool reapers, a hung request) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let (code, message) = describe(&err);
            eprintln!("magsync: {message}");
            ExitCode::from(code)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    let g = cli.global;
    match cli.command {
        Some(Command::Paths(args)) => admin::paths(&g, args).await,
        Some(Command::Migrate) => admin::migrate(&g).await,
        Some(Command::Config(c)) => admin::config(&g, c).await,
        Some(Command::Simulator(args)) => simulator::run(args).await,
        Some(Command::Sync(args)) => sync::run(&g, args).await,
        Some(Command::TestConnection(args)) => test_connection::run(&g, args).await,
        Some(Command::Offer(c)) => edits::offer(&g, c).await,
        Some(Command::Pending(a)) => edits::pending(&g, a).await,
        Some(Command::Push(a)) => edits::push(&g, a).await,
        Some(Command::Conflicts(c)) => edits::conflicts(&g, c).await,
        Some(Command::Demo(args)) => demo::run(&g, args).await,
        None => tui::run(&g, cli.tui).await,
    }
}
