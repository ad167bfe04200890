//! Command-line entry: the TUI by default, subcommands for headless use.

pub mod simulator;

use crate::error::{describe, Failure};
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
configured accounts; `magsync demo` runs everything against the built-in simulator."
)]
pub struct Cli {
    /// Configuration file (default: $MAGSYNC_CONFIG, else config.toml in the platform config dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Log level or filter for the log file (e.g. info, debug, magsync=trace); default RUST_LOG or info.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the eMAG Marketplace API simulator (a real HTTP server on loopback).
    Simulator(simulator::Args),
}

/// Parses the command line, runs it and maps any error to one sentence and an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("magsync: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let (code, message) = describe(&err);
            eprintln!("magsync: {message}");
            ExitCode::from(code)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Some(Command::Simulator(args)) => simulator::run(args).await,
        None => Err(Failure::usage("the dashboard is not built yet; see `magsync --help`").into()),
    }
}
