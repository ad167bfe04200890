//! `magsync report`: what changed in the catalogue over a window, as text, Markdown, HTML or
//! JSON.

use super::GlobalArgs;
use super::output::note;
use crate::error::Failure;
use crate::report::{Facts, Format, Window, parse_since, render};
use crate::store::Store;
use chrono::Utc;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(
    about = "Report what changed over a window: catalogue, prices, stock, syncs, edits",
    long_about = REPORT_HELP
)]
pub struct Args {
    /// Start of the window: a span back from now (24h, 7d, 2w, 90m), a UTC date (2026-12-01)
    /// or an RFC 3339 time.
    #[arg(long, value_name = "SPAN|DATE", default_value = "24h")]
    pub since: String,

    /// End of the window (same forms as --since, spans counted back from now); default now.
    #[arg(long, value_name = "SPAN|DATE")]
    pub until: Option<String>,

    /// One account, or `all` (each account and the total).
    #[arg(long, value_name = "NAME", default_value = "all")]
    pub account: String,

    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Where to write; `-` is stdout. A file appears only once it is complete.
    #[arg(long, short, value_name = "FILE", default_value = "-")]
    pub output: String,
}

const REPORT_HELP: &str = "Reports, per account and in total, what changed over a window of \
time (default the last 24 hours):

  catalogue  offers new, gone missing, back, inactivated, end of life
  prices     offers whose sale price changed, how many went up or down, the biggest rises and \
drops (net over the window, by percentage, with part numbers and names), offers priced now \
under their min or over their max
  stock      offers that went out of stock, were restocked, went low (1 to 5)
  buy button not tracked yet: needs price intelligence
  syncs      runs by outcome, time since the last complete sync, failed pages, retries, \
rate-limited requests (429), the slowest runs
  edits      pushed and rejected (with eMAG's reason) in the window; conflicts waiting, \
pending, and pending for over 24 hours now

Formats: text for the terminal, markdown for chat and tickets, html (one self-contained page: \
no scripts, nothing fetched, readable on a phone), json (every number above; the shape is in \
docs/report-json.md). Money is exact. Times are UTC.

The daemon writes daily and weekly reports by itself when [reports] daily_at or weekly_on is \
set (see config.example.toml).";

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    let now = Utc::now();
    let since = parse_since(&args.since, now).map_err(Failure::usage)?;
    let until = match &args.until {
        Some(u) => {
            parse_since(u, now).map_err(|e| Failure::usage(e.replacen("--since", "--until", 1)))?
        }
        None => now,
    };
    if since >= until {
        return Err(Failure::usage(format!(
            "the window is empty: --since ({}) is not before --until ({})",
            since.to_rfc3339(),
            until.to_rfc3339()
        ))
        .into());
    }
    let config = g.load_config()?;
    let store = Store::open_existing(&config.database_url).await?;
    let result = report(&store, &config, &args, Window { since, until }, now).await;
    store.close().await;
    let body = result?;
    match args.output.as_str() {
        "-" | "" => {
            let mut out = std::io::stdout().lock();
            match out.write_all(body.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(Failure::runtime(format!("cannot write the report: {e}")).into());
                }
                _ => {}
            }
        }
        path => {
            let path = PathBuf::from(path);
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, &body)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))?;
            note!("wrote the report to {}", path.display());
        }
    }
    Ok(0)
}

async fn report(
    store: &Store,
    config: &crate::config::Config,
    args: &Args,
    window: Window,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<String> {
    let db = |e: sqlx::Error| {
        Failure::runtime(format!(
            "cannot read the store: {}",
            crate::store::short_db_error(&e)
        ))
    };
    // Configured accounts, else (a store filled elsewhere) the accounts its runs name.
    let known: Vec<String> = if config.accounts.is_empty() {
        store.reports().accounts_with_runs().await.map_err(db)?
    } else {
        config.accounts.iter().map(|a| a.name.clone()).collect()
    };
    let accounts = if args.account == "all" || args.account == "both" {
        if known.is_empty() {
            return Err(Failure::usage(
                "there is nothing to report: no accounts are configured and the store has no syncs",
            )
            .into());
        }
        known
    } else if known.contains(&args.account) {
        vec![args.account.clone()]
    } else {
        return Err(Failure::usage(format!(
            "no account \"{}\" is configured or synced (known: {})",
            args.account,
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
        .into());
    };
    let facts = Facts::compute(store, &accounts, window, now)
        .await
        .map_err(db)?;
    Ok(render(&facts, args.format))
}
