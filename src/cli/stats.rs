//! `magsync stats`: offer counts and the last sync of every account, and the total.

use super::GlobalArgs;
use super::filters::{local_time, render_table, rfc3339};
use super::output::{out, outln};
use crate::model::SyncRun;
use crate::store::Store;
use crate::store::accounts::{AccountStats, OfferCounts};
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
#[command(
    about = "Offer counts and the last sync of every account, and the total",
    long_about = "Per account and in total: offers, active, inactive, end of life, missing (no \
longer listed by eMAG), stock 0, offers that failed to sync in the account's last run, the last \
sync (time and status) and the last successful full sync.\n\nCounts by state exclude missing \
offers, so active + inactive + end of life + missing = offers (unless eMAG sent an unknown \
status). Accounts are the configured ones plus any found in the store."
)]
pub struct Args {
    /// Print JSON: {"accounts": [...], "total": {...}} with stable keys.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    let config = g.load_config()?;
    let store = Store::open_existing(&config.database_url).await?;
    store.runs().settle_dead_quietly().await;
    let names: Vec<String> = config.accounts.iter().map(|a| a.name.clone()).collect();
    let counts = store.accounts().offer_counts().await?;
    let stats = store.accounts().stats(&names, counts).await?;
    store.close().await;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&to_json(&stats))?);
    } else {
        out!("{}", to_text(&stats));
    }
    Ok(0)
}

/// Offers that failed in the account's newest run (0 when it never ran).
fn failed_to_sync(s: &AccountStats) -> i64 {
    s.last_run.as_ref().map(|r| r.counts.failed).unwrap_or(0)
}

fn total(stats: &[AccountStats]) -> (OfferCounts, i64) {
    let mut t = OfferCounts::default();
    for s in stats {
        let c = &s.counts;
        t.offers += c.offers;
        t.active += c.active;
        t.inactive += c.inactive;
        t.end_of_life += c.end_of_life;
        t.missing += c.missing;
        t.zero_stock += c.zero_stock;
    }
    (t, stats.iter().map(failed_to_sync).sum())
}

fn counts_json(c: &OfferCounts, failed: i64) -> serde_json::Map<String, Value> {
    let v = json!({
        "offers": c.offers,
        "active": c.active,
        "inactive": c.inactive,
        "end_of_life": c.end_of_life,
        "missing": c.missing,
        "zero_stock": c.zero_stock,
        "failed_to_sync": failed,
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("json! of an object literal"),
    }
}

fn run_json(r: &Option<SyncRun>) -> Value {
    match r {
        None => Value::Null,
        Some(r) => json!({
            "run_id": r.id,
            "mode": r.mode.as_str(),
            "status": r.status.as_str(),
            "started_at": rfc3339(r.started_at),
            "finished_at": r.finished_at.map(rfc3339),
        }),
    }
}

pub fn to_json(stats: &[AccountStats]) -> Value {
    let accounts: Vec<Value> = stats
        .iter()
        .map(|s| {
            let mut m = serde_json::Map::new();
            m.insert("account".into(), json!(s.account));
            m.extend(counts_json(&s.counts, failed_to_sync(s)));
            m.insert("last_sync".into(), run_json(&s.last_run));
            m.insert("last_full_sync_ok".into(), run_json(&s.last_full_success));
            Value::Object(m)
        })
        .collect();
    let (t, failed) = total(stats);
    json!({ "accounts": accounts, "total": Value::Object(counts_json(&t, failed)) })
}

fn run_text(r: &Option<SyncRun>, with_status: bool) -> String {
    match r {
        None => "never".into(),
        Some(r) if with_status => format!("{} {} ({})", local_time(r.started_at), r.status, r.mode),
        Some(r) => local_time(r.started_at),
    }
}

pub fn to_text(stats: &[AccountStats]) -> String {
    let row = |name: &str, c: &OfferCounts, failed: i64, last: String, full: String| {
        vec![
            name.to_string(),
            c.offers.to_string(),
            c.active.to_string(),
            c.inactive.to_string(),
            c.end_of_life.to_string(),
            c.missing.to_string(),
            c.zero_stock.to_string(),
            failed.to_string(),
            last,
            full,
        ]
    };
    let mut rows: Vec<Vec<String>> = stats
        .iter()
        .map(|s| {
            row(
                &s.account,
                &s.counts,
                failed_to_sync(s),
                run_text(&s.last_run, true),
                run_text(&s.last_full_success, false),
            )
        })
        .collect();
    let (t, failed) = total(stats);
    rows.push(row("TOTAL", &t, failed, String::new(), String::new()));
    render_table(
        &[
            "ACCOUNT",
            "OFFERS",
            "ACTIVE",
            "INACTIVE",
            "EOL",
            "MISSING",
            "STOCK 0",
            "FAILED",
            "LAST SYNC",
            "LAST FULL OK",
        ],
        &rows,
    )
}
