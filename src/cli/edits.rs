//! `magsync offer set`, `magsync pending`, `magsync push`, `magsync conflicts resolve`.

use chrono::Utc;
use rust_decimal::Decimal;

use super::GlobalArgs;
use super::filters::at_least_one;
use super::output::{outln, reportln};
use crate::config::Config;
use crate::edits::discard::Which;
use crate::edits::preview::{Scope, preview};
use crate::edits::{self, Edit, EditFilter, EditRequest, EditState, Keep};
use crate::error::Failure;
use crate::model::OfferStatus;
use crate::store::{Store, short_db_error};
use crate::sync::Engine;
use std::io::IsTerminal;

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
    /// The prices given include VAT (shelf prices): the offer's VAT rate (vat/read, cached a
    /// day) is taken off before queueing, and both values are printed.
    #[arg(long)]
    pub with_vat: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PendingArgs {
    #[command(subcommand)]
    pub command: Option<PendingCommand>,
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

#[derive(Debug, clap::Subcommand)]
pub enum PendingCommand {
    /// Withdraw queued edits before they are pushed; eMAG's values show again in the mirror.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["id", "account", "all"])))]
    Discard {
        /// The edit's id (the ID column of `magsync pending`).
        id: Option<i64>,
        /// Every open edit of this account.
        #[arg(long)]
        account: Option<String>,
        /// Every open edit of every account.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Send pending edits to eMAG (offer/save, at most 50 offers a call).\n\n\
First prints what would change, offer by offer (account, offer id, product, part number, each \
field old → new), then asks for confirmation on a terminal. Without a terminal, pass --yes. A \
push of more offers than [push] max_offers (default 200) is refused unless --max-offers allows it."
)]
pub struct PushArgs {
    /// Only this account (default: every account with pending edits).
    #[arg(long)]
    pub account: Option<String>,
    /// Show the preview and the requests that would be sent, send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Push without asking (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow a push of up to N offers (default: [push] max_offers from the config).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one::<u32>)]
    pub max_offers: Option<u32>,
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
    let (price, recommended) = if a.with_vat && (a.price.is_some() || a.recommended_price.is_some())
    {
        let net = without_vat(&config, &store, &a).await;
        if net.is_err() {
            store.close().await;
        }
        net?
    } else {
        (a.price, a.recommended_price)
    };
    let req = EditRequest {
        sale_price: price,
        recommended_price: recommended,
        stock: a.stock,
        status: a.status.map(|s| match s {
            StatusArg::Active => OfferStatus::Active,
            StatusArg::Inactive => OfferStatus::Inactive,
        }),
    };
    let fbe = edits::is_fbe_account(&a.account);
    let edit = edits::queue(
        &store,
        &a.account,
        a.id,
        &req,
        fbe,
        &edits::queued_by("cli"),
        Utc::now(),
    )
    .await;
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

/// The prices of `offer set --with-vat` without VAT, at the offer's rate; says what it did.
async fn without_vat(
    config: &Config,
    store: &Store,
    a: &SetArgs,
) -> Result<(Option<Decimal>, Option<Decimal>), Failure> {
    let offer = store
        .offers().get(&a.account, a.id)
        .await
        .map_err(db_failure)?
        .ok_or_else(|| {
            Failure::usage(format!(
                "offer {} of account \"{}\" is not in the local mirror; sync the account first or check the id",
                a.id, a.account
            ))
        })?;
    let engine = Engine::new(store.clone(), config.accounts.clone(), &config.settings);
    let client = engine
        .client(&a.account)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let rates = crate::price::smart_deals::vat_rates(store, &client, Utc::now())
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    let rate =
        crate::price::smart_deals::rate_percent(&rates, offer.offer.vat_id).ok_or_else(|| {
            Failure::runtime(format!(
                "account \"{}\" has no VAT rate for vat_id {:?}; give the price without VAT",
                a.account, offer.offer.vat_id
            ))
        })?;
    let net = |p: Option<Decimal>, what: &str| {
        p.map(|p| {
            let n = crate::price::money::without_vat(p, rate);
            println!("{what} {p} with VAT {rate} % is {n} without VAT (what eMAG stores)");
            n
        })
    };
    Ok((
        net(a.price, "price"),
        net(a.recommended_price, "recommended price"),
    ))
}

pub async fn pending(g: &GlobalArgs, a: PendingArgs) -> anyhow::Result<u8> {
    if let Some(PendingCommand::Discard { id, account, all }) = a.command {
        return discard(g, id, account, all).await;
    }
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
        "{:>6} {:<10} {:>10}  {:<9}  {:<44}  {:<24}  MESSAGE",
        "ID",
        "ACCOUNT",
        "OFFER",
        "STATE",
        "EDIT (eMAG)",
        "QUEUED BY"
    );
    for e in &list {
        outln!(
            "{:>6} {:<10} {:>10}  {:<9}  {:<44}  {:<24}  {}",
            e.id,
            e.account,
            e.offer_id,
            e.state.as_str(),
            edit_summary(e),
            e.queued_by.as_deref().unwrap_or("-"),
            e.message.as_deref().unwrap_or("")
        );
    }
    Ok(0)
}

async fn discard(
    g: &GlobalArgs,
    id: Option<i64>,
    account: Option<String>,
    all: bool,
) -> anyhow::Result<u8> {
    let (config, store) = open(g).await?;
    let which = match (id, account) {
        (Some(id), _) => Which::Id(id),
        (None, Some(a)) => {
            config.account(&a)?;
            Which::Account(a)
        }
        (None, None) if all => Which::All,
        // clap requires one of the three.
        (None, None) => return Err(Failure::usage("give an edit id, --account or --all").into()),
    };
    let result =
        edits::discard::discard(&store, &which, &edits::queued_by("cli"), Utc::now()).await;
    store.close().await;
    let done = result?;
    if done.is_empty() {
        outln!("no open edits to discard");
    }
    for e in &done {
        outln!(
            "discarded edit {} (offer {} of {}: {})",
            e.id,
            e.offer_id,
            e.account,
            e.values.describe(&e.fields())
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
    let result = preview_and_push(&config, &store, &a, &stop).await;
    store.close().await;
    let signal = if stop.is_cancelled() {
        signalled.await.ok()
    } else {
        signalled.abort();
        None
    };
    let Some(reports) = result? else {
        return Ok(1);
    };
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

/// Prints the preview, checks the bound, asks (or takes `--yes`) and pushes exactly the
/// previewed edits. `None` when the operator declined.
async fn preview_and_push(
    config: &Config,
    store: &Store,
    a: &PushArgs,
    stop: &tokio_util::sync::CancellationToken,
) -> Result<Option<Vec<edits::PushReport>>, Failure> {
    let scope = match &a.account {
        Some(name) => {
            config.account(name)?;
            Scope::Account(name.clone())
        }
        None => Scope::All,
    };
    let plan = preview(store, &scope).await.map_err(db_failure)?;
    if plan.is_empty() {
        return Ok(Some(Vec::new()));
    }
    // With --json, stdout carries only the report.
    let show = |line: &str| {
        if a.json {
            eprintln!("{line}");
        } else {
            // A closed stdout ends the command at its next report line; the preview goes on.
            let _ = super::output::write_stdout(format_args!("{line}\n"));
        }
    };
    show(&format!("push preview: {}", plan.summary()));
    for line in edits::preview::lines(&plan) {
        show(&line);
    }
    let limit = a.max_offers.unwrap_or(config.settings.push_max_offers);
    if plan.offers() > limit as usize {
        return Err(Failure::usage(format!(
            "this push would change {} offers, more than the allowed {limit} ([push] max_offers); run it with --max-offers {} if that is intended",
            plan.offers(),
            plan.offers()
        )));
    }
    if !a.dry_run && !a.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::usage(
                "a push changes live offers on eMAG: run it on a terminal to confirm, or pass --yes",
            ));
        }
        eprint!("Push {} to eMAG? [y/N] ", plan.summary());
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| Failure::runtime(format!("cannot read the answer: {e}")))?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            eprintln!("nothing pushed; the edits stay pending");
            return Ok(None);
        }
    }
    let engine = Engine::new(store.clone(), config.accounts.clone(), &config.settings);
    let mut reports = Vec::new();
    for name in plan.accounts() {
        if stop.is_cancelled() {
            break;
        }
        let client = engine
            .client(&name)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let fbe = edits::is_fbe_account(&name);
        let only = plan.selection(&name);
        let report = edits::push_selected(store, &client, &name, fbe, a.dry_run, Some(&only), stop)
            .await
            .map_err(db_failure)?;
        reports.push(report);
    }
    Ok(Some(reports))
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
