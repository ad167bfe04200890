//! `magsync offer set`, `magsync pending`, `magsync push`, `magsync conflicts resolve`.

use chrono::Utc;
use rust_decimal::Decimal;

use super::GlobalArgs;
use super::filters::at_least_one;
use super::output::{outln, reportln};
use crate::config::Config;
use crate::edits::{self, Edit, EditFilter, EditRequest, EditState, Keep};
use crate::error::Failure;
use crate::store::{Store, short_db_error};
use crate::sync::Engine;

#[derive(Debug, clap::Subcommand)]
pub enum OfferCommand {
    /// Queue a local edit of one offer (validated now, sent by `magsync push`).
    Set(SetArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    Active,
    Inactive,
}

#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The account the offer belongs to.
    #[arg(long)]
    pub account: String,
    /// The seller offer id (eMAG's `id`, not `offer_details.id`).
    #[arg(long, allow_negative_numbers = true, value_parser = at_least_one::<i64>)]
    pub id: i64,
    /// New sale price without VAT: digits with one dot or comma, at most 4 decimals (104.95).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_price)]
    pub price: Option<Decimal>,
    /// New recommended price; must be above the sale price.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_price)]
    pub recommended_price: Option<Decimal>,
    /// New stock, 0..65535 (refused for FBE accounts: eMAG manages their stock).
    #[arg(long, allow_negative_numbers = true)]
    pub stock: Option<i64>,
    /// New status.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
}

#[derive(Debug, clap::Args)]
pub struct PendingArgs {
    /// Only this account.
    #[arg(long)]
    pub account: Option<String>,
    /// Only open edits (pending, rejected, conflict), without the pushed/discarded history.
    #[arg(long)]
    pub open: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Only this account (default: every account with pending edits).
    #[arg(long)]
    pub account: Option<String>,
    /// Show the requests that would be sent, send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConflictsCommand {
    /// Settle a conflicted edit: keep the local value (pushed next) or take eMAG's.
    Resolve {
        #[arg(long)]
        account: String,
        #[arg(long, allow_negative_numbers = true, value_parser = at_least_one::<i64>)]
        id: i64,
        /// `local` keeps your edit, `remote` takes eMAG's value.
        #[arg(long, value_parser = parse_keep)]
        keep: Keep,
    },
}

fn parse_price(s: &str) -> Result<Decimal, String> {
    crate::edits::price::parse(s)
}

fn parse_keep(s: &str) -> Result<Keep, String> {
    s.parse()
}

fn db_failure(e: sqlx::Error) -> Failure {
    Failure::runtime(format!("database error: {}", short_db_error(&e)))
}

/// Edits act on offers already mirrored, so a database that does not exist is an error (a
/// mistyped path), never a new empty one.
async fn open(g: &GlobalArgs) -> Result<(Config, Store), Failure> {
    let config = g.load_config()?;
    let store = Store::open_existing(&config.database_url).await?;
    Ok((config, store))
}

pub async fn offer(g: &GlobalArgs, cmd: OfferCommand) -> anyhow::Result<u8> {
    let OfferCommand::Set(a) = cmd;
    let (config, store) = open(g).await?;
    config.account(&a.account)?;
    let req = EditRequest {
        sale_price: a.price,
        recommended_price: a.recommended_price,
        stock: a.stock,
        status: a.status.map(|s| match s {
            StatusArg::Active => 1,
            StatusArg::Inactive => 0,
        }),
    };
    let fbe = edits::is_fbe_account(&a.account);
    let edit = edits::queue(&store, &a.account, a.id, &req, fbe, Utc::now()).await;
    store.close().await;
    let edit = edit?;
    let fields = edit.fields();
    outln!(
        "queued: offer {} of {}: {} (eMAG had {}){}; run `magsync push` to send it",
        edit.offer_id,
        edit.account,
        edit.values.describe(&fields),
        edit.base.describe(&fields),
        if edit.state == EditState::Conflict {
            " — still in conflict, resolve it before it can be pushed"
        } else {
            ""
        }
    );
    Ok(0)
}

pub async fn pending(g: &GlobalArgs, a: PendingArgs) -> anyhow::Result<u8> {
    let (_config, store) = open(g).await?;
    let list = edits::db::list(
        &store,
        &EditFilter {
            account: a.account.clone(),
            states: if a.open {
                EditState::OPEN.to_vec()
            } else {
                Vec::new()
            },
            limit: 1000,
        },
    )
    .await
    .map_err(db_failure);
    store.close().await;
    let list = list?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(0);
    }
    if list.is_empty() {
        outln!("no local edits");
        return Ok(0);
    }
    outln!(
        "{:<10} {:>10}  {:<9}  {:<44}  MESSAGE",
        "ACCOUNT",
        "OFFER",
        "STATE",
        "EDIT (eMAG)"
    );
    for e in &list {
        outln!(
            "{:<10} {:>10}  {:<9}  {:<44}  {}",
            e.account,
            e.offer_id,
            e.state.as_str(),
            edit_summary(e),
            e.message.as_deref().unwrap_or("")
        );
    }
    Ok(0)
}

/// "sale_price 99.0000 (was 100.0000; eMAG now 120.0000)".
pub fn edit_summary(e: &Edit) -> String {
    e.fields()
        .iter()
        .map(|f| {
            let mut s = format!(
                "{} {} (was {}",
                f.name(),
                e.values.text(*f).unwrap_or_default(),
                e.base.text(*f).unwrap_or_else(|| "none".into())
            );
            if let Some(r) = e.remote.text(*f).filter(|_| e.state == EditState::Conflict) {
                s.push_str(&format!("; eMAG now {r}"));
            }
            s.push(')');
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn push(g: &GlobalArgs, a: PushArgs) -> anyhow::Result<u8> {
    // A stop signal must not kill the process while a save is on the wire: it lets the call in
    // flight finish and be recorded, and sends no further one.
    let mut interrupt = super::signals::Interrupt::install()?;
    let stop = tokio_util::sync::CancellationToken::new();
    let signalled = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let signal = interrupt.recv().await;
            stop.cancel();
            signal
        })
    };
    let (config, store) = open(g).await?;
    let result = push_all(&config, &store, &a, &stop).await;
    store.close().await;
    let signal = if stop.is_cancelled() {
        signalled.await.ok()
    } else {
        signalled.abort();
        None
    };
    let reports = result?;
    if a.json {
        reportln!("{}", serde_json::to_string_pretty(&reports)?);
    }
    let mut failed = false;
    for r in &reports {
        failed |= r.error.is_some() || r.rejected > 0;
        if a.json {
            continue;
        }
        if a.dry_run {
            reportln!(
                "{}: {} pending edits would go out in {} offer/save calls",
                r.account,
                r.pending,
                r.save_calls
            );
            for b in &r.bodies {
                reportln!("  POST offer/save {b}");
            }
            continue;
        }
        reportln!(
            "{}: {} pushed, {} rejected, {} still pending ({} offer/save calls, {} re-reads){}",
            r.account,
            r.pushed,
            r.rejected,
            r.still_pending,
            r.save_calls,
            r.rereads,
            r.error
                .as_ref()
                .map(|e| format!("; stopped: {e}"))
                .unwrap_or_default()
        );
    }
    if reports.is_empty() && !a.json {
        reportln!("nothing to push");
    }
    if let Some(signal) = signal {
        eprintln!(
            "magsync: push stopped by {}; pending edits stay pending",
            signal.name()
        );
        return Ok(signal.exit_code());
    }
    Ok(if failed && !a.dry_run { 1 } else { 0 })
}

async fn push_all(
    config: &Config,
    store: &Store,
    a: &PushArgs,
    stop: &tokio_util::sync::CancellationToken,
) -> Result<Vec<edits::PushReport>, Failure> {
    let accounts = match &a.account {
        Some(name) => {
            config.account(name)?;
            vec![name.clone()]
        }
        None => edits::db::accounts_with_pending(store)
            .await
            .map_err(db_failure)?,
    };
    let engine = Engine::new(store.clone(), config.accounts.clone(), &config.settings);
    let mut reports = Vec::new();
    for name in accounts {
        if stop.is_cancelled() {
            break;
        }
        let client = engine
            .client(&name)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let fbe = edits::is_fbe_account(&name);
        let report = edits::push_account_until(store, &client, &name, fbe, a.dry_run, stop)
            .await
            .map_err(db_failure)?;
        reports.push(report);
    }
    Ok(reports)
}

pub async fn conflicts(g: &GlobalArgs, cmd: ConflictsCommand) -> anyhow::Result<u8> {
    let ConflictsCommand::Resolve { account, id, keep } = cmd;
    let (config, store) = open(g).await?;
    config.account(&account)?;
    let result = edits::resolve(&store, &account, id, keep, Utc::now()).await;
    store.close().await;
    let edit = result?;
    outln!(
        "offer {} of {}: {}",
        edit.offer_id,
        edit.account,
        edit.message.as_deref().unwrap_or("resolved")
    );
    Ok(0)
}
