//! Command-line entry: the TUI by default, subcommands for headless use.

pub mod admin;
pub mod alert;
pub mod buybox;
pub mod check;
pub mod daemon;
pub mod demo;
pub mod edits;
pub mod export;
pub mod filters;
pub mod history;
pub mod output;
pub mod products;
pub mod report;
pub mod signals;
pub mod simulator;
pub mod stats;
pub mod sync;
pub mod test_connection;
pub mod tui;

use crate::config::{Config, Overrides};
use crate::error::{Failure, describe};
use clap::{Parser, Subcommand};
use output::note;
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
            note!("magsync: warning: {w}");
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
    // Each command's help lives on its Args (about + long_about), next to its code.
    Stats(stats::Args),
    Products(products::Args),
    History(history::Args),
    Export(export::Args),
    Report(report::Args),
    Daemon(daemon::Args),
    Check(check::Args),
    /// Alert targets: `alert test` sends a test alert to every webhook.
    #[command(subcommand)]
    Alert(alert::AlertCommand),
    /// Edit offers locally (`offer set`); edits are pushed by `magsync push`.
    #[command(subcommand)]
    Offer(edits::OfferCommand),
    /// List local edits (pending, pushed with eMAG's answer, rejected, conflicts); `pending
    /// discard` withdraws queued ones.
    Pending(edits::PendingArgs),
    /// Send pending edits to eMAG after a preview and a confirmation (or --yes).
    Push(edits::PushArgs),
    /// Resolve conflicts between local edits and eMAG's changes (strategy `manual`).
    #[command(subcommand)]
    Conflicts(edits::ConflictsCommand),
    Buybox(buybox::Args),
    SmartDeals(buybox::SmartDealsArgs),
    /// Open the dashboard on the built-in simulator (accounts main and fbe, no credentials).
    Demo(demo::Args),
}

/// Parses the command line, runs it and maps any error to one sentence and an exit code.
pub fn main() -> ExitCode {
    crate::private_files::restrict_umask();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            note!("magsync: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli));
    // Background tasks (pool reapers, a hung request) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader of our output went away (`| head`): it has what it wanted.
        Err(err) if output::is_closed_reader(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let (code, message) = describe(&err);
            note!("magsync: {message}");
            ExitCode::from(code)
        }
    }
}

/// Help and version go to stdout as clap renders them; a usage error becomes one sentence on
/// stderr and exit code 2, like every other user error.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                crate::error::EXIT_USAGE
            } else {
                0
            },
        );
    }
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().skip_while(|l| l.trim().is_empty());
    let mut first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim()
        .trim_start_matches("error: ")
        .to_string();
    // "the following required arguments were not provided:" lists them on the lines below.
    if first.ends_with(':') {
        let listed: Vec<&str> = lines
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        first = format!("{first} {}", listed.join(", "));
    }
    // clap puts the accepted values on a line of their own; keep them in the one sentence.
    let accepted = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("[possible values: "))
        .and_then(|v| v.strip_suffix(']'))
        .map(|v| format!("; expected one of: {v}"))
        .unwrap_or_default();
    note!("magsync: {first}{accepted} (see `magsync --help`)");
    ExitCode::from(crate::error::EXIT_USAGE)
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
        Some(Command::Stats(args)) => stats::run(&g, args).await,
        Some(Command::Products(args)) => products::run(&g, args).await,
        Some(Command::History(args)) => history::run(&g, args).await,
        Some(Command::Export(args)) => export::run(&g, args).await,
        Some(Command::Report(args)) => report::run(&g, args).await,
        Some(Command::Daemon(args)) => daemon::run(&g, args).await,
        Some(Command::Check(args)) => check::run(&g, args).await,
        Some(Command::Alert(c)) => alert::run(&g, c).await,
        Some(Command::Offer(c)) => edits::offer(&g, c).await,
        Some(Command::Pending(a)) => edits::pending(&g, a).await,
        Some(Command::Push(a)) => edits::push(&g, a).await,
        Some(Command::Conflicts(c)) => edits::conflicts(&g, c).await,
        Some(Command::Demo(args)) => demo::run(&g, args).await,
        Some(Command::Buybox(args)) => buybox::run(&g, args).await,
        Some(Command::SmartDeals(args)) => buybox::smart_deals(&g, args).await,
        None => tui::run(&g, cli.tui).await,
    }
}
