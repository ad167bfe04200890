//! `magsync history` and `magsync history show RUN_ID`: past and running syncs.

use super::GlobalArgs;
use super::filters::{
    at_least_one, check_account, clip, local_time, parse_limit, parse_since, render_table, rfc3339,
};
use super::output::{note, out, outln};
use crate::error::Failure;
use crate::model::{OfferChange, RunStatus, SyncEvent, SyncRun};
use crate::store::Store;
use crate::store::runs::RunFilter;
use chrono::Utc;
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
#[command(
    about = "Past and running syncs; `history show RUN_ID` for one run in detail",
    args_conflicts_with_subcommands = true,
    long_about = "Lists sync runs, newest first: who started them (tui, cli, schedule), their mode, \
status (running, completed, partial, failed, cancelled), pages, offers seen, created, updated, \
removed and failed counts, and the error summary. `magsync history show RUN_ID` prints one run \
with its options, events and the offer changes it recorded."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,

    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// Only this account.
    #[arg(long, value_name = "A")]
    pub account: Option<String>,

    /// running, completed, partial, failed or cancelled.
    #[arg(long, value_name = "S")]
    pub status: Option<RunStatus>,

    /// Only runs started since: an age (30m, 24h, 7d, 2w), an RFC 3339 time or a date.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// How many runs to print.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 20,
        allow_negative_numbers = true
    )]
    pub limit: i64,

    /// Print JSON: {"runs": [...]} with stable keys.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum HistoryCommand {
    /// One run in detail: options, counts, error summary, events and changed offers.
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The run id (first column of `magsync history`).
    #[arg(value_name = "RUN_ID", allow_negative_numbers = true, value_parser = at_least_one::<i64>)]
    pub run_id: i64,

    /// At most this many offer changes (the run may have recorded more).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        allow_negative_numbers = true
    )]
    pub changes: i64,

    /// Print JSON: {"run", "duration_seconds", "events", "changes", "changes_truncated"}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    match args.command {
        Some(HistoryCommand::Show(s)) => show(g, s).await,
        None => list(g, args.list).await,
    }
}

async fn list(g: &GlobalArgs, a: ListArgs) -> anyhow::Result<u8> {
    let status = a.status;
    let since = a
        .since
        .as_deref()
        .map(|s| parse_since(s, Utc::now()))
        .transpose()?;
    let limit = parse_limit(a.limit)?;
    let config = g.load_config()?;
    let store = Store::open_existing(&config.database_url).await?;
    store.runs().settle_dead_quietly().await;
    if let Err(e) = check_account(&config, &store, a.account.as_deref()).await {
        store.close().await;
        return Err(e.into());
    }
    let runs = store
        .runs()
        .list(&RunFilter {
            account: a.account.clone(),
            status,
            since,
            limit,
            ..RunFilter::default()
        })
        .await?;
    store.close().await;
    if a.json {
        let runs: Vec<Value> = runs.iter().map(run_json).collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "runs": runs }))?
        );
    } else if runs.is_empty() {
        note!("no sync runs match");
    } else {
        out!("{}", list_text(&runs));
    }
    Ok(0)
}

/// Seconds from start to finish (or to the last heartbeat while running).
fn duration_seconds(r: &SyncRun) -> f64 {
    let end = r.finished_at.unwrap_or(r.heartbeat_at);
    (end - r.started_at).num_milliseconds() as f64 / 1000.0
}

fn run_json(r: &SyncRun) -> Value {
    let c = &r.counts;
    json!({
        "id": r.id,
        "account": r.account,
        "mode": r.mode.as_str(),
        "trigger": r.trigger.as_str(),
        "status": r.status.as_str(),
        "started_at": rfc3339(r.started_at),
        "finished_at": r.finished_at.map(rfc3339),
        "heartbeat_at": rfc3339(r.heartbeat_at),
        "duration_seconds": duration_seconds(r),
        "options": {
            "mode": r.options.mode.as_str(),
            "max_pages": r.options.max_pages,
            "items_per_page": r.options.items_per_page,
            "include_inactive": r.options.include_inactive,
            "conflict_strategy": r.options.conflict_strategy.as_str(),
        },
        "counts": {
            "pages_done": c.pages_done,
            "pages_total": c.pages_total,
            "requests": c.requests,
            "retries": c.retries,
            "rate_limited": c.rate_limited,
            "offers_seen": c.offers_seen,
            "created": c.created,
            "updated": c.updated,
            "unchanged": c.unchanged,
            "removed": c.removed,
            "failed": c.failed,
        },
        "next_page": r.next_page,
        "error_summary": r.error_summary,
        "offers_expected": r.offers_expected,
        "count_shortfall": r.count_shortfall(),
    })
}

fn duration_text(r: &SyncRun) -> String {
    let s = duration_seconds(r).max(0.0).round() as i64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

fn pages_text(r: &SyncRun) -> String {
    match r.counts.pages_total {
        Some(t) => format!("{}/{t}", r.counts.pages_done),
        None => r.counts.pages_done.to_string(),
    }
}

/// The run's error, or else its count warning ("saw 1 269 of 1 274").
fn error_or_warning(r: &SyncRun) -> String {
    match (&r.error_summary, r.count_shortfall()) {
        (Some(e), _) => e.clone(),
        (None, Some(saw)) => format!("warning: {saw} offers eMAG counted"),
        (None, None) => String::new(),
    }
}

fn list_text(runs: &[SyncRun]) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let c = &r.counts;
            vec![
                r.id.to_string(),
                r.account.clone(),
                r.mode.to_string(),
                r.trigger.to_string(),
                r.status.to_string(),
                local_time(r.started_at),
                duration_text(r),
                pages_text(r),
                c.offers_seen.to_string(),
                c.created.to_string(),
                c.updated.to_string(),
                c.removed.to_string(),
                c.failed.to_string(),
                clip(&error_or_warning(r), 60),
            ]
        })
        .collect();
    render_table(
        &[
            "ID", "ACCOUNT", "MODE", "TRIGGER", "STATUS", "STARTED", "TOOK", "PAGES", "SEEN",
            "NEW", "UPDATED", "REMOVED", "FAILED", "ERROR",
        ],
        &rows,
    )
}

async fn show(g: &GlobalArgs, a: ShowArgs) -> anyhow::Result<u8> {
    let changes_limit = parse_limit(a.changes)
        .map_err(|_| Failure::usage(format!("--changes must be at least 1, not {}", a.changes)))?;
    let config = g.load_config()?;
    let store = Store::open_existing(&config.database_url).await?;
    store.runs().settle_dead_quietly().await;
    let Some(run) = store.runs().get(a.run_id).await? else {
        store.close().await;
        return Err(Failure::runtime(format!(
            "there is no sync run {} in {} (see `magsync history`)",
            a.run_id,
            store.masked_url()
        ))
        .into());
    };
    let mut events: Vec<SyncEvent> = Vec::new();
    loop {
        let after = events.last().map(|e| e.id).unwrap_or(0);
        let page = store.runs().events(run.id, after, 1000).await?;
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    // One more than asked tells whether the list was cut.
    let mut changes = store
        .runs()
        .changes_of_run(run.id, changes_limit + 1)
        .await?;
    let truncated = changes.len() as i64 > changes_limit;
    changes.truncate(changes_limit as usize);
    store.close().await;
    if a.json {
        let v = json!({
            "run": run_json(&run),
            "duration_seconds": duration_seconds(&run),
            "events": events.iter().map(|e| json!({
                "id": e.id,
                "at": rfc3339(e.at),
                "level": e.level.as_str(),
                "message": e.message,
            })).collect::<Vec<_>>(),
            "changes": changes.iter().map(change_json).collect::<Vec<_>>(),
            "changes_truncated": truncated,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!("{}", show_text(&run, &events, &changes, truncated));
    }
    Ok(0)
}

fn change_json(c: &OfferChange) -> Value {
    json!({
        "account": c.account,
        "offer_id": c.offer_id,
        "field": c.field,
        "old_value": c.old_value,
        "new_value": c.new_value,
        "at": rfc3339(c.at),
    })
}

fn show_text(
    run: &SyncRun,
    events: &[SyncEvent],
    changes: &[OfferChange],
    truncated: bool,
) -> String {
    let c = &run.counts;
    let o = &run.options;
    let mut s = String::new();
    let mut kv = |k: &str, v: String| s.push_str(&format!("{k:<14}{v}\n"));
    kv("run", run.id.to_string());
    kv("account", run.account.clone());
    kv("status", run.status.to_string());
    kv("mode", run.mode.to_string());
    kv("trigger", run.trigger.to_string());
    kv("started", local_time(run.started_at));
    kv(
        "finished",
        run.finished_at
            .map(local_time)
            .unwrap_or_else(|| "-".into()),
    );
    kv("took", duration_text(run));
    kv(
        "options",
        format!(
            "max pages {}, {} per page, inactive {}, conflicts {}",
            o.max_pages
                .map(|p| p.to_string())
                .unwrap_or_else(|| "all".into()),
            o.items_per_page,
            if o.include_inactive {
                "included"
            } else {
                "excluded"
            },
            o.conflict_strategy
        ),
    );
    kv(
        "pages",
        format!(
            "{} ({} requests, {} retries, {} rate limited)",
            pages_text(run),
            c.requests,
            c.retries,
            c.rate_limited
        ),
    );
    kv(
        "offers",
        format!(
            "{} seen, {} new, {} updated, {} unchanged, {} removed, {} failed",
            c.offers_seen, c.created, c.updated, c.unchanged, c.removed, c.failed
        ),
    );
    if let Some(saw) = run.count_shortfall() {
        kv("warning", format!("{saw} offers eMAG counted"));
    }
    kv(
        "errors",
        run.error_summary.clone().unwrap_or_else(|| "none".into()),
    );
    s.push_str(&format!("\nevents ({})\n", events.len()));
    for e in events {
        s.push_str(&format!(
            "  {}  {:<5}  {}\n",
            local_time(e.at),
            e.level,
            e.message
        ));
    }
    s.push_str(&format!(
        "\nchanged offers ({}{})\n",
        changes.len(),
        if truncated {
            ", more not shown; raise --changes"
        } else {
            ""
        }
    ));
    for ch in changes {
        s.push_str(&format!(
            "  {}/{}  {}: {} -> {}\n",
            ch.account,
            ch.offer_id,
            ch.field,
            ch.old_value.as_deref().unwrap_or("-"),
            ch.new_value.as_deref().unwrap_or("-")
        ));
    }
    s
}
