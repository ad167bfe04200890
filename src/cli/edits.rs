//! `magsync offer set`, `magsync pending`, `magsync push`, `magsync conflicts resolve`.

use chrono::Utc;
use rust_decimal::Decimal;
use std::str::FromStr;

use super::GlobalArgs;
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
    #[arg(long)]
    pub id: i64,
    /// New sale price without VAT, at most 4 decimals (e.g. 104.95).
    #[arg(long, value_parser = parse_price)]
    pub price: Option<Decimal>,
    /// New recommended price; must be above the sale price.
    #[arg(long, value_parser = parse_price)]
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
        #[arg(long)]
        id: i64,
        /// `local` keeps your edit, `remote` takes eMAG's value.
        #[arg(long, value_parser = parse_keep)]
        keep: Keep,
    },
}

fn parse_price(s: &str) -> Result<Decimal, String> {
    // Parsed from the text, never through a float.
    Decimal::from_str(s.trim())
        .map_err(|_| format!("\"{s}\" is not a price (use digits and a dot, e.g. 104.95)"))
}

fn parse_keep(s: &str) -> Result<Keep, String> {
    s.parse()
}

fn db_failure(e: sqlx::Error) -> Failure {
    Failure::runtime(format!("database error: {}", short_db_error(&e)))
}

async fn open(g: &GlobalArgs) -> Result<(Config, Store), Failure> {
    let config = g.load_config()?;
    let store = Store::open(&config.database_url).await?;
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
            StatusArg::Active => 1,
            StatusArg::Inactive => 0,
        }),
    };
    let fbe = edits::is_fbe_account(&a.account);
    let edit = edits::queue(&store, &a.account, a.id, &req, fbe, Utc::now()).await;
    store.close().await;
    let edit = edit?;
    let fields = edit.fields();
    println!(
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
        .get_offer(&a.account, a.id)
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
        .map_err(Failure::runtime)?;
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
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(0);
    }
    if list.is_empty() {
        println!("no local edits");
        return Ok(0);
    }
    println!(
        "{:<10} {:>10}  {:<9}  {:<44}  MESSAGE",
        "ACCOUNT", "OFFER", "STATE", "EDIT (eMAG)"
    );
    for e in &list {
        println!(
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
    let (config, store) = open(g).await?;
    let result = push_all(&config, &store, &a).await;
    store.close().await;
    let reports = result?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    let mut failed = false;
    for r in &reports {
        failed |= r.error.is_some() || r.rejected > 0;
        if a.json {
            continue;
        }
        if a.dry_run {
            println!(
                "{}: {} pending edits would go out in {} offer/save calls",
                r.account, r.pending, r.save_calls
            );
            for b in &r.bodies {
                println!("  POST offer/save {b}");
            }
            continue;
        }
        println!(
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
        println!("nothing to push");
    }
    Ok(if failed && !a.dry_run { 1 } else { 0 })
}

async fn push_all(
    config: &Config,
    store: &Store,
    a: &PushArgs,
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
        let client = engine
            .client(&name)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let fbe = edits::is_fbe_account(&name);
        let report = edits::push_account(store, &client, &name, fbe, a.dry_run)
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
    println!(
        "offer {} of {}: {}",
        edit.offer_id,
        edit.account,
        edit.message.as_deref().unwrap_or("resolved")
    );
    Ok(0)
}
