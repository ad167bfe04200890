//! `magsync daemon [--once]`: scheduled syncs, retention and stuck-run cleanup, unattended.

use super::GlobalArgs;
use crate::alerts::{Monitor, Outbox, Pinger};
use crate::daemon::{AccountPlan, Daemon, DaemonEvent, ScheduleConfig, Scheduler};
use crate::error::Failure;
use crate::model::{RunStatus, SyncMode};
use crate::report::scheduled::ReportSchedule;
use crate::store::Store;
use crate::sync::Engine;
use chrono::Utc;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
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

    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
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

Reports: with [reports] daily_at and/or weekly_on set, the daily report (the 24 h up to \
daily_at, local time) and the weekly one (the 7 days up to weekly_on at daily_at) are written \
as Markdown, HTML and JSON into the reports folder (default `reports` in the data dir; \
[reports] dir), and files older than [reports] keep_days (default 90) are deleted. A report \
whose time passed while no daemon ran is written once at start, and by --once.

SIGTERM or SIGINT cancel the running syncs (they end `cancelled`) and exit 0. Logs go to the \
log file (see `magsync paths`) and as plain lines to stderr.

Health and alerts: after every run, and every [alerts] check_interval_secs (default 60), \
each account's health is judged as `magsync check` does; an account that is not OK gets one \
alert per incident on every [[alerts.webhook]] (again only if it gets worse) and one recovery \
message when it is OK again. Deliveries retry with backoff on their own tasks and never delay \
a sync. With [alerts] ping_url set, each scheduled run pings <url>/start, then <url> when it \
completes or <url>/fail when it does not (healthchecks.io conventions).

--metrics-listen ADDR serves Prometheus metrics at /metrics (see assets/grafana/ for a \
dashboard).

With --once: the syncs that are due, then the health of every account and the alerts it \
calls for (waiting up to 2 minutes for their delivery). The exit code is 1 when a sync ended \
failed or partial, else 0.";

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
        if let Some(r) = store.runs().last(name, Some(SyncMode::Full), None).await? {
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

    let _metrics = match args.metrics_listen {
        Some(addr) => {
            let src = crate::metrics::Source {
                store: store.clone(),
                accounts: names.clone(),
                health: config.settings.health.clone(),
            };
            let (bound, task) = crate::metrics::serve(addr, src)
                .await
                .map_err(Failure::usage)?;
            tracing::info!("serving metrics at http://{bound}/metrics");
            Some(AbortOnDrop(task))
        }
        None => None,
    };

    let (outbox, outbox_task) = Outbox::spawn(config.alerts.clone());
    let monitor = Monitor {
        store: store.clone(),
        health: config.settings.health.clone(),
        outbox,
    };
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let pinger = Pinger::new(&config.alerts);
    let watcher = tokio::spawn(watch(
        events_rx,
        pinger.clone(),
        monitor.clone(),
        names.clone(),
        (!args.once).then_some(config.alerts.check_interval),
    ));

    let engine = Engine::new(store.clone(), accounts.clone(), &config.settings);
    let mut daemon = Daemon::new(scheduler, engine, store.clone())
        .with_events(events_tx)
        .with_history_retention(config.settings.prices.history_retention_days);
    let stop = CancellationToken::new();
    spawn_signal_watch(stop.clone())?;

    // Reports run beside the syncs; see report::scheduled for where a webhook poster hooks in.
    let reports = ReportSchedule::from_config(&config);
    let report_task = (reports.is_enabled() && !args.once).then(|| {
        tokio::spawn(crate::report::scheduled::run(
            store.clone(),
            names.clone(),
            reports.clone(),
            chrono::Local,
            stop.clone(),
            |_written| {},
        ))
    });

    let code = if args.once {
        let ends = daemon.run_once(&names, stop, GRACE).await;
        // Dropping the daemon closes the event channel: the watcher handles the last run
        // ends (pings, per-account rounds) and stops.
        drop(daemon);
        let _ = watcher.await;
        if reports.is_enabled() {
            crate::report::scheduled::catch_up(&store, &names, &reports, &chrono::Local, &|_| {})
                .await;
        }
        let (healths, _) = monitor.round(&names).await;
        for h in &healths {
            tracing::info!("health of {}: {} - {}", h.account, h.level, h.reason());
        }
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
        if let Some(task) = report_task {
            // A report being written finishes; the task sees `stop` right after.
            let _ = tokio::time::timeout(GRACE, task).await;
        }
        drop(daemon);
        watcher.abort();
        let _ = watcher.await;
        0
    };
    drop(monitor);
    pinger.flush(pinger_wait(&config.alerts)).await;
    let limit = if args.once {
        DELIVERY_WAIT
    } else {
        Duration::from_secs(10)
    };
    if !outbox_task.drain(limit).await {
        tracing::warn!("some alerts were still being delivered at exit");
    }
    tracing::info!("magsync daemon stopped");
    store.close().await;
    Ok(code)
}

/// How long the last pings may take before the process exits: one attempt each.
fn pinger_wait(cfg: &crate::config::AlertsConfig) -> Duration {
    cfg.timeout + Duration::from_secs(1)
}

/// How long `--once` waits for alert deliveries (with their retries) before exiting.
const DELIVERY_WAIT: Duration = Duration::from_secs(120);

/// Aborts the metrics server when the daemon returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Pings around scheduled runs, a health round for an account after each of its runs, and
/// one for every account each `every` (none with `--once`, which does its own).
async fn watch(
    mut events: mpsc::UnboundedReceiver<DaemonEvent>,
    pinger: Pinger,
    monitor: Monitor,
    accounts: Vec<String>,
    every: Option<Duration>,
) {
    let mut tick = every.map(tokio::time::interval);
    loop {
        let next_tick = async {
            match tick.as_mut() {
                Some(t) => {
                    t.tick().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            event = events.recv() => match event {
                Some(DaemonEvent::Started { .. }) => pinger.start(),
                Some(DaemonEvent::Ended(end)) => {
                    pinger.end(end.status);
                    monitor.round(std::slice::from_ref(&end.account)).await;
                }
                None => break,
            },
            _ = next_tick => {
                monitor.round(&accounts).await;
            }
        }
    }
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
