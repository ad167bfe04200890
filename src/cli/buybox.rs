//! `magsync buybox` (offers that lost or won the buy button, with a suggested price that can be
//! queued as a local edit) and `magsync smart-deals` (the Smart Deals target price).

use super::GlobalArgs;
use super::filters::{clip, parse_since, render_table};
use super::output::{note, out, outln};
use crate::config::{Config, Prices};
use crate::edits::{self, EditRequest};
use crate::error::Failure;
use crate::price::smart_deals::{self, MAX_CHECKS, SmartDeal};
use crate::price::{BuyboxEntry, BuyboxOptions, Move, Suggestion, Window, buybox, costs};
use crate::store::{Store, short_db_error};
use crate::sync::Engine;
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::json;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, clap::Args)]
#[command(
    about = "Offers that lost or won the buy button, the gap to the best offer and a suggested price",
    long_about = "Lists the offers whose buy-button rank left 1 (lost) or reached 1 (won) since \
each account's last sync, or since --since (an offer first mirrored inside the window is \
compared with its rank then): the gap to the best offer in money and percent, how \
many sellers compete, and a suggested price — the best competing price less [prices] step, never \
under min_sale_price, never over max_sale_price, never under cost plus margin when a cost CSV \
lists the part number — or the reason no price can win. Prices exclude VAT, as eMAG's do, in \
each offer's currency; the +VAT columns (and `*_with_vat` in JSON) add each offer's VAT rate \
from the account's vat/read, cached for a day. --queue ID queues an offer's suggestion as a \
local edit; `magsync push` previews and sends it like any other edit."
)]
pub struct Args {
    /// Only this account (default: every configured account).
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
    /// Only offers that lost the buy button.
    #[arg(long)]
    pub losing: bool,
    /// Look back to this time instead of the last sync: an age (30m, 24h, 7d), an RFC 3339 time
    /// or a date.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Print JSON: {"offers": [...]} with stable keys, money as strings without VAT plus
    /// `vat_percent` and `*_with_vat`.
    #[arg(long)]
    pub json: bool,
    /// Step under the best competing price (default [prices] step, 0.01).
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub step: Option<String>,
    /// CSV of part_number,cost: suggestions never go under cost plus --margin (default
    /// [prices] cost_csv).
    #[arg(long, value_name = "PATH")]
    pub costs: Option<PathBuf>,
    /// Margin over cost in percent (default [prices] margin_percent, 0).
    #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
    pub margin: Option<String>,
    /// Queue the suggested price of these listed offers (comma-separated ids; needs --account
    /// when several accounts are listed) as local edits.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub queue: Vec<i64>,
}

fn decimal(flag: &str, text: &str) -> Result<Decimal, Failure> {
    Decimal::from_str(text.trim()).map_err(|_| {
        Failure::usage(format!(
            "{flag} must be a decimal number like 0.01, not \"{text}\""
        ))
    })
}

/// The suggestion settings: config, then flags.
pub fn options(prices: &Prices, a: &Args) -> Result<BuyboxOptions, Failure> {
    let mut o = BuyboxOptions {
        step: prices.step,
        margin_percent: prices.margin_percent,
        costs: Default::default(),
    };
    if let Some(s) = &a.step {
        o.step = decimal("--step", s)?;
        if o.step <= Decimal::ZERO || o.step.normalize().scale() > 4 {
            return Err(Failure::usage(format!(
                "--step must be above 0 with at most 4 decimals, not \"{s}\""
            )));
        }
    }
    if let Some(m) = &a.margin {
        o.margin_percent = decimal("--margin", m)?;
        if o.margin_percent < Decimal::ZERO {
            return Err(Failure::usage(format!(
                "--margin must not be negative, not \"{m}\""
            )));
        }
    }
    if let Some(path) = a.costs.as_ref().or(prices.cost_csv.as_ref()) {
        o.costs = costs::load(path)?;
    }
    Ok(o)
}

fn accounts(config: &Config, account: Option<&str>) -> Result<Vec<String>, Failure> {
    match account {
        Some(a) => Ok(vec![config.account(a)?.name.clone()]),
        None if config.accounts.is_empty() => Err(Failure::usage(
            "no accounts are configured: add [accounts.NAME] to the config file or pass --account",
        )),
        None => Ok(config.accounts.iter().map(|a| a.name.clone()).collect()),
    }
}

fn db(e: sqlx::Error) -> Failure {
    Failure::runtime(format!("database error: {}", short_db_error(&e)))
}

fn money(d: Option<Decimal>) -> String {
    d.map(crate::price::money::show)
        .unwrap_or_else(|| "—".into())
}

fn entry_json(e: &BuyboxEntry) -> serde_json::Value {
    let m = |d: Option<Decimal>| d.map(|d| d.to_string());
    let suggestion = match &e.suggestion {
        Suggestion::Price { price } => json!({"price": price.to_string(), "reason": null}),
        Suggestion::None { reason } => json!({"price": null, "reason": reason}),
    };
    let suggested = match &e.suggestion {
        Suggestion::Price { price } => Some(*price),
        Suggestion::None { .. } => None,
    };
    json!({
        "account": e.account,
        "id": e.id,
        "part_number": e.part_number,
        "name": e.name,
        "change": e.movement,
        "rank_before": e.rank_before,
        "rank": e.rank,
        "currency": e.currency,
        "sale_price": m(e.sale_price),
        "best_price": m(e.best_price),
        "gap": m(e.gap),
        "gap_percent": m(e.gap_percent),
        "number_of_offers": e.number_of_offers,
        "suggested_price": suggestion["price"],
        "reason": suggestion["reason"],
        "since": e.since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "vat_percent": m(e.vat_percent),
        "sale_price_with_vat": m(e.with_vat(e.sale_price)),
        "best_price_with_vat": m(e.with_vat(e.best_price)),
        "suggested_price_with_vat": m(e.with_vat(suggested)),
    })
}

fn table(list: &[BuyboxEntry]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            vec![
                e.account.clone(),
                e.id.to_string(),
                match e.movement {
                    Move::Lost => "lost".into(),
                    Move::Won => "won".into(),
                },
                format!(
                    "{}→{}",
                    e.rank_before.map_or("—".into(), |r| r.to_string()),
                    e.rank.map_or("—".into(), |r| r.to_string())
                ),
                format!(
                    "{} {}",
                    money(e.sale_price),
                    e.currency.as_deref().unwrap_or("")
                ),
                money(e.with_vat(e.sale_price)),
                money(e.best_price),
                match (e.gap, e.gap_percent) {
                    (Some(g), Some(p)) => format!("{} ({p} %)", money(Some(g))),
                    (g, _) => money(g),
                },
                e.number_of_offers.map_or("—".into(), |n| n.to_string()),
                match &e.suggestion {
                    Suggestion::Price { price } => money(Some(*price)),
                    Suggestion::None { reason } => clip(reason, 60),
                },
                match &e.suggestion {
                    Suggestion::Price { price } => money(e.with_vat(Some(*price))),
                    Suggestion::None { .. } => String::new(),
                },
                clip(e.name.as_deref().unwrap_or(""), 40),
            ]
        })
        .collect();
    render_table(
        &[
            "ACCOUNT",
            "ID",
            "CHANGE",
            "RANK",
            "PRICE",
            "+VAT",
            "BEST",
            "GAP",
            "OFFERS",
            "SUGGESTED",
            "+VAT",
            "NAME",
        ],
        &rows,
    )
}

pub async fn run(g: &GlobalArgs, a: Args) -> anyhow::Result<u8> {
    let config = g.load_config()?;
    // The flags first: a mistyped flag is the sentence to show, whatever else is missing.
    let window = match &a.since {
        Some(s) => Window::Since(parse_since(s, Utc::now())?),
        None => Window::LastSync,
    };
    let opts = options(&config.settings.prices, &a)?;
    let names = accounts(&config, a.account.as_deref())?;
    let store = Store::open_existing(&config.database_url).await?;
    if a.queue.is_empty() {
        refresh_vat(&config, &store, &names).await;
    }
    let result = list_and_queue(&store, &names, window, &a, &opts).await;
    store.close().await;
    result
}

/// Refreshes each account's VAT rates through `vat/read` when a day old, as the dashboard's Buy
/// button tab does, so the list can show prices with VAT; an account whose rates cannot be read
/// and were never cached is listed without them, and the user is told.
async fn refresh_vat(config: &Config, store: &Store, names: &[String]) {
    let engine = Engine::new(store.clone(), config.accounts.clone(), &config.settings);
    for name in names {
        let read = match engine.client(name) {
            Ok(client) => smart_deals::vat_rates(store, &client, Utc::now())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = read
            && store
                .accounts()
                .vat_rates(name)
                .await
                .unwrap_or_default()
                .is_empty()
        {
            note!("magsync: warning: {e}; prices of {name} are shown without VAT only");
        }
    }
}

async fn list_and_queue(
    store: &Store,
    names: &[String],
    window: Window,
    a: &Args,
    opts: &BuyboxOptions,
) -> anyhow::Result<u8> {
    let list = buybox(store, names, window, a.losing, opts)
        .await
        .map_err(db)?;
    if a.queue.is_empty() {
        if a.json {
            let offers: Vec<_> = list.iter().map(entry_json).collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&json!({ "offers": offers }))?
            );
        } else if list.is_empty() {
            note!(
                "no offer {} the buy button {}",
                if a.losing { "lost" } else { "lost or won" },
                match window {
                    Window::LastSync => "since the last sync",
                    Window::Since(_) => "in that window",
                }
            );
        } else {
            out!("{}", table(&list));
            note!(
                "prices without VAT, as eMAG's; +VAT: with the offer's VAT rate (— while unknown)"
            );
        }
        return Ok(0);
    }
    let mut queued = 0;
    for id in &a.queue {
        let hits: Vec<&BuyboxEntry> = list.iter().filter(|e| e.id == *id).collect();
        let e = match hits.as_slice() {
            [] => {
                return Err(Failure::usage(format!(
                    "offer {id} is not in the list (it did not lose or win the buy button in this window)"
                ))
                .into());
            }
            [e] => *e,
            _ => {
                return Err(Failure::usage(format!(
                    "offer {id} is listed on several accounts; add --account"
                ))
                .into());
            }
        };
        let price = match &e.suggestion {
            Suggestion::Price { price } => *price,
            Suggestion::None { reason } => {
                return Err(Failure::usage(format!(
                    "offer {id} of {} has no suggested price: {reason}",
                    e.account
                ))
                .into());
            }
        };
        let req = EditRequest {
            sale_price: Some(price),
            ..Default::default()
        };
        let fbe = edits::is_fbe_account(&e.account);
        let by = edits::queued_by("cli");
        let edit = edits::queue(store, &e.account, *id, &req, fbe, &by, Utc::now()).await?;
        queued += 1;
        outln!(
            "queued: offer {} of {}: {} (eMAG had {})",
            edit.offer_id,
            edit.account,
            edit.values.describe(&edit.fields()),
            edit.base.describe(&edit.fields())
        );
    }
    outln!("{queued} suggestion(s) queued; run `magsync push` to preview and send them");
    Ok(0)
}

#[derive(Debug, clap::Args)]
#[command(
    about = "Ask eMAG the price an offer needs for the Smart Deals badge",
    long_about = "Asks eMAG's smart-deals-price-check for each offer (one request each, through the \
account's rate limiter, shared with any sync or push this process runs: never more than 3 \
requests a second) and prints the current and target prices with and without VAT (VAT rates \
from vat/read, cached for a day) and the distance to the target. Without --ids, the offers that \
lost the buy button since the last sync are checked."
)]
pub struct SmartDealsArgs {
    /// The account (may be left out when only one is configured).
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
    /// Offer ids, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub ids: Vec<i64>,
    /// Print JSON: {"offers": [...]}, money as strings without VAT plus `*_with_vat`.
    #[arg(long)]
    pub json: bool,
}

pub async fn smart_deals(g: &GlobalArgs, a: SmartDealsArgs) -> anyhow::Result<u8> {
    let config = g.load_config()?;
    let account = match (&a.account, config.accounts.as_slice()) {
        (Some(name), _) => config.account(name)?.name.clone(),
        (None, [only]) => only.name.clone(),
        (None, _) => {
            return Err(Failure::usage("several accounts are configured: pass --account").into());
        }
    };
    let store = Store::open_existing(&config.database_url).await?;
    let result = smart_deals_on(&config, &store, &account, &a).await;
    store.close().await;
    result
}

async fn smart_deals_on(
    config: &Config,
    store: &Store,
    account: &str,
    a: &SmartDealsArgs,
) -> anyhow::Result<u8> {
    let ids: Vec<i64> = if a.ids.is_empty() {
        buybox(
            store,
            &[account.to_string()],
            Window::LastSync,
            true,
            &BuyboxOptions::default(),
        )
        .await
        .map_err(db)?
        .iter()
        .map(|e| e.id)
        .collect()
    } else {
        a.ids.clone()
    };
    if ids.is_empty() {
        note!("no offers to check: pass --ids, or sync first (no offer lost the buy button)");
        return Ok(0);
    }
    if ids.len() > MAX_CHECKS {
        return Err(Failure::usage(format!(
            "{} offers asked; at most {MAX_CHECKS} are checked at once (one request each)",
            ids.len()
        ))
        .into());
    }
    let engine = Engine::new(store.clone(), config.accounts.clone(), &config.settings);
    let client = engine
        .client(account)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let rates = smart_deals::vat_rates(store, &client, Utc::now())
        .await
        .unwrap_or_else(|e| {
            note!("magsync: warning: {e}; prices are shown without VAT only");
            Vec::new()
        });
    let mut rows = Vec::new();
    let mut failed = 0;
    for (id, r) in smart_deals::check(&client, &ids).await {
        let vat_id = store
            .offers()
            .get(account, id)
            .await
            .ok()
            .flatten()
            .and_then(|o| o.offer.vat_id);
        let rate = smart_deals::rate_percent(&rates, vat_id);
        match r {
            Ok(d) => rows.push((d, rate)),
            Err(e) => {
                failed += 1;
                note!("magsync: offer {id}: {e}");
            }
        }
    }
    let with_vat = |p: Option<Decimal>, rate: Option<Decimal>| {
        p.zip(rate)
            .map(|(p, r)| crate::price::money::with_vat(p, r))
    };
    if a.json {
        let offers: Vec<_> = rows
            .iter()
            .map(|(d, rate): &(SmartDeal, Option<Decimal>)| {
                let s = |d: Option<Decimal>| d.map(|d| d.to_string());
                json!({
                    "id": d.id,
                    "currency": d.currency,
                    "current_price": s(d.current_price),
                    "target_price": s(d.target_price),
                    "vat_percent": s(*rate),
                    "current_price_with_vat": s(with_vat(d.current_price, *rate)),
                    "target_price_with_vat": s(with_vat(d.target_price, *rate)),
                    "distance": s(d.distance),
                    "distance_percent": s(d.distance_percent),
                    "eligible": d.eligible,
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "offers": offers }))?
        );
    } else {
        let table_rows: Vec<Vec<String>> = rows
            .iter()
            .map(|(d, rate)| {
                vec![
                    d.id.to_string(),
                    format!(
                        "{} {}",
                        money(d.current_price),
                        d.currency.as_deref().unwrap_or("")
                    ),
                    money(with_vat(d.current_price, *rate)),
                    money(d.target_price),
                    money(with_vat(d.target_price, *rate)),
                    match (d.distance, d.distance_percent) {
                        (Some(x), Some(p)) => format!("{} ({p} %)", money(Some(x))),
                        (x, _) => money(x),
                    },
                    match d.eligible {
                        Some(true) => "yes".into(),
                        Some(false) => "no".into(),
                        None => "—".into(),
                    },
                ]
            })
            .collect();
        out!(
            "{}",
            render_table(
                &[
                    "ID",
                    "PRICE (no VAT)",
                    "PRICE +VAT",
                    "TARGET (no VAT)",
                    "TARGET +VAT",
                    "DISTANCE",
                    "ELIGIBLE",
                ],
                &table_rows,
            )
        );
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
