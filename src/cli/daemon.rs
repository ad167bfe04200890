//! `magsync daemon [--once]`: scheduled syncs, retention and stuck-run cleanup, unattended.

use super::GlobalArgs;
use crate::daemon::{AccountPlan, Daemon, ScheduleConfig, Scheduler};
use crate::error::Failure;
use crate::model::{RunStatus, SyncMode};
use crate::store::Store;
use crate::sync::Engine;
use chrono::Utc;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long cancelled runs get to record `cancelled` before the process exits anyway.
const GRACE: Duration = Duration::from_secs(60);

#[derive(Debug, clap::Args)]
#[command(
    about = "Run scheduled syncs, retention and stuck-run cleanup unattended (systemd, cron)",
    long_about = DAEMON_HELP
)]
pub struct Args {
    /// Run one scheduling round and exit (for cron): cleanup, retention, then one sync per
    /// account (the daily full if it is due, else an incremental), waiting for them to end.
    #[arg(long)]
    pub once: bool,

    /// Start syncs exactly on their slots, without the random delay and round-minute rule
    /// (manual runs and tests; scheduled use should keep the jitter, as eMAG asks).
    #[arg(long)]
    pub no_jitter: bool,
}

const DAEMON_HELP: &str = "Runs the schedule of every configured account until SIGTERM or \
SIGINT. Needs scheduled syncs enabled (EMAG_ENABLE_SCHEDULED_SYNC=true or `enabled = true` \
under [schedule]) and credentials for every account.

Schedule: an incremental sync of each account every interval (EMAG_SYNC_INTERVAL_MINUTES or \
[schedule] interval_minutes, default 60) reading at most the account's max pages \
(EMAG_<NAME>_MAX_PAGES); plus, when [schedule] daily_full_at = \"HH:MM\" is set, a full sync at \
that local time (a missed one is caught up once at start). A sync whose account is still busy \
(here or in another process such as the dashboard) is skipped and logged, never queued; a \
daily full waits until the account is free.

Start times: each slot gets a random delay of up to a fifth of the interval (5 s to 5 min), \
and no sync ever starts at second :00 or within minutes :00, :15, :30 or :45 of an hour, as \
eMAG asks.

Maintenance: at start and then every 24 h, runs with their events and changes older than each \
account's retention (EMAG_<NAME>_LOG_RETENTION, default 30 days) are deleted; every minute, \
`running` runs whose heartbeat is older than 60 s are marked failed (\"interrupted\").

SIGTERM or SIGINT cancel the running syncs (they end `cancelled`) and exit 0. Logs go to the \
log file (see `magsync paths`) and as plain lines to stderr.

With --once the exit code is 1 when a sync ended failed or partial, else 0.";

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    let config = g.load_config()?;
    let schedule = &config.settings.schedule;
    if !schedule.enabled {
        return Err(Failure::usage(
            "scheduled syncs are disabled: set EMAG_ENABLE_SCHEDULED_SYNC=true or `enabled = true` under [schedule] to run the daemon",
        )
        .into());
    }
    let accounts: Vec<_> = config.select("all")?.into_iter().cloned().collect();
    let _log_guard = crate::logging::init(&config.paths.log_dir, g.log_level.as_deref(), true);
    let store = Store::open(&config.database_url).await?;

    let names: Vec<String> = accounts.iter().map(|a| a.name.clone()).collect();
    let mut last_full = BTreeMap::new();
    for name in &names {
        if let Some(r) = store.last_run(name, Some(SyncMode::Full), None).await? {
            last_full.insert(name.clone(), r.started_at);
        }
    }
    let plans: Vec<AccountPlan> = accounts
        .iter()
        .map(|a| AccountPlan {
            name: a.name.clone(),
            max_pages: a.max_pages,
            retention_days: a.log_retention_days,
        })
        .collect();
    let mut sched_config = ScheduleConfig::new(schedule.interval_minutes, schedule.daily_full_at);
    sched_config.jitter = !args.no_jitter;
    let scheduler = Scheduler::new(
        sched_config,
        chrono::Local,
        plans,
        &|a| last_full.get(a).copied(),
        Utc::now(),
        None,
    );
    tracing::info!(
        "magsync daemon{} started: accounts {}, incremental every {} min, daily full {}, database {}",
        if args.once { " --once" } else { "" },
        names.join(", "),
        schedule.interval_minutes,
        schedule
            .daily_full_at
            .map_or("off".to_string(), |t| format!(
                "at {} local",
                t.format("%H:%M")
            )),
        store.masked_url()
    );
    for name in &names {
        if let Some((inc, full)) = scheduler.next_runs(name) {
            tracing::info!(
                "{name}: next incremental {}{}",
                inc.with_timezone(&chrono::Local).format("%H:%M:%S"),
                full.map_or(String::new(), |f| format!(
                    ", next full {}",
                    f.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S")
                ))
            );
        }
    }

    let engine = Engine::new(store.clone(), accounts.clone(), &config.settings);
    let mut daemon = Daemon::new(scheduler, engine, store.clone())
        .with_history_retention(config.settings.prices.history_retention_days);
    let stop = CancellationToken::new();
    spawn_signal_watch(stop.clone())?;

    let code = if args.once {
        let ends = daemon.run_once(&names, stop, GRACE).await;
        let bad = ends
            .iter()
            .filter(|e| matches!(e.status, RunStatus::Failed | RunStatus::Partial))
            .count();
        if bad > 0 {
            tracing::warn!("{bad} of {} syncs did not complete", ends.len());
            crate::error::EXIT_FAILURE
        } else {
            0
        }
    } else {
        daemon.run_until(stop, GRACE).await;
        0
    };
    tracing::info!("magsync daemon stopped");
    store.close().await;
    Ok(code)
}

/// Cancels `stop` on SIGTERM (systemd, kill) or SIGINT (Ctrl-C).
fn spawn_signal_watch(stop: CancellationToken) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| Failure::runtime(format!("cannot watch SIGTERM: {e}")))?;
        let mut int = signal(SignalKind::interrupt())
            .map_err(|e| Failure::runtime(format!("cannot watch SIGINT: {e}")))?;
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: cancelling running syncs"),
                _ = int.recv() => tracing::info!("SIGINT: cancelling running syncs"),
            }
            stop.cancel();
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("Ctrl-C: cancelling running syncs");
        }
        stop.cancel();
    });
    Ok(())
}
