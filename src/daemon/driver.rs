//! Carries out the schedule: starts runs through the engine's [`SyncPort`] (the engine in
//! production, a fake in tests), does retention and stuck-run cleanup on the store, reaps
//! finished runs and cancels them on shutdown. Time is always passed in, so tests choose it.

use super::schedule::{Decision, Scheduler};
use crate::model::{RunStatus, SyncMode, Trigger};
use crate::store::Store;
use crate::sync::port::{ActiveRun, RunEnd, StartError, StartRequest, SyncPort};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What one tick did (logged, and inspected by tests).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TickReport {
    pub finished: Vec<RunEnd>,
    pub decisions: Vec<Decision>,
    /// (account, run id, mode)
    pub started: Vec<(String, i64, SyncMode)>,
    /// (account, why): busy elsewhere or failed to start.
    pub refused: Vec<(String, StartError)>,
    pub stale_failed: Vec<i64>,
    /// (account, runs deleted)
    pub retention: Vec<(String, u64)>,
    /// Store errors during maintenance (logged; the daemon carries on).
    pub errors: Vec<String>,
}

pub struct Daemon<P: SyncPort, Tz: TimeZone> {
    scheduler: Scheduler<Tz>,
    port: P,
    store: Store,
    running: BTreeMap<String, P::Run>,
    /// Days of offer history kept (`[prices] history_retention_days`), pruned with the runs.
    history_days: u32,
    events: Option<tokio::sync::mpsc::UnboundedSender<DaemonEvent>>,
}

/// What the daemon tells its watchers (the alerts: pings and health rounds).
#[derive(Debug, Clone, PartialEq)]
pub enum DaemonEvent {
    Started {
        account: String,
        run_id: i64,
        mode: SyncMode,
    },
    Ended(RunEnd),
}

impl<P: SyncPort, Tz: TimeZone> Daemon<P, Tz> {
    pub fn new(scheduler: Scheduler<Tz>, port: P, store: Store) -> Self {
        Daemon {
            scheduler,
            port,
            store,
            running: BTreeMap::new(),
            events: None,
            history_days: crate::store::history::DEFAULT_RETENTION_DAYS,
        }
    }

    /// Sends run starts and ends to `tx`; a watcher that is gone is ignored.
    pub fn with_events(mut self, tx: tokio::sync::mpsc::UnboundedSender<DaemonEvent>) -> Self {
        self.events = Some(tx);
        self
    }

    fn ended(&self, end: &RunEnd) {
        log_end(end);
        if let Some(tx) = &self.events {
            let _ = tx.send(DaemonEvent::Ended(end.clone()));
        }
    }

    /// Keeps offer history `days` days instead of the default 400.
    pub fn with_history_retention(mut self, days: u32) -> Self {
        self.history_days = days;
        self
    }

    pub fn scheduler(&self) -> &Scheduler<Tz> {
        &self.scheduler
    }

    pub fn running_accounts(&self) -> Vec<String> {
        self.running.keys().cloned().collect()
    }

    /// Reaps finished runs, then does whatever is due at `now`.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> TickReport {
        let mut report = TickReport {
            finished: self.reap().await,
            ..Default::default()
        };
        let running: Vec<String> = self.running.keys().cloned().collect();
        let decisions = self.scheduler.due(now, &|a| running.iter().any(|r| r == a));
        for decision in &decisions {
            self.perform(decision, now, &mut report).await;
        }
        report.decisions = decisions;
        report
    }

    async fn perform(&mut self, decision: &Decision, now: DateTime<Utc>, report: &mut TickReport) {
        match decision {
            Decision::FailStale { cutoff } => {
                match self.store.runs().settle_dead_before(*cutoff, now).await {
                    Ok(ids) => {
                        if !ids.is_empty() {
                            tracing::warn!(
                                "marked stuck runs {ids:?} as failed (interrupted): no heartbeat since before {cutoff}"
                            );
                        }
                        report.stale_failed.extend(ids);
                    }
                    Err(e) => report.error(format!(
                        "stuck-run cleanup failed: {}",
                        crate::store::short_db_error(&e)
                    )),
                }
            }
            Decision::Retention { account, cutoff } => {
                match self.store.runs().delete_before(account, *cutoff).await {
                    Ok(n) => {
                        tracing::info!(
                            "retention: deleted {n} runs of {account} started before {cutoff} (with their events and changes)"
                        );
                        report.retention.push((account.clone(), n));
                    }
                    Err(e) => report.error(format!(
                        "retention of {account} failed: {}",
                        crate::store::short_db_error(&e)
                    )),
                }
                // Offer history has its own, longer retention: pruning runs never shortens it.
                let cutoff = now - chrono::Duration::days(i64::from(self.history_days));
                match self.store.history().prune(account, cutoff).await {
                    Ok(n) => tracing::info!(
                        "history retention: deleted {n} price points of {account} older than {cutoff}"
                    ),
                    Err(e) => report.error(format!(
                        "history retention of {account} failed: {}",
                        crate::store::short_db_error(&e)
                    )),
                }
            }
            Decision::SkipBusy { account, mode } => {
                tracing::warn!(
                    "skipped the scheduled {mode} sync of {account}: its previous run is still going"
                );
            }
            Decision::DeferFull { account } => {
                tracing::warn!(
                    "the daily full sync of {account} waits: the account is busy; it starts when the account is free"
                );
            }
            Decision::Sync {
                account,
                mode,
                max_pages,
            } => match self.start(account, *mode, *max_pages).await {
                Ok(run) => {
                    let pages = max_pages.map_or("all".to_string(), |p| p.to_string());
                    tracing::info!(
                        "started {mode} sync of {account} (run {}, max pages {pages})",
                        run.run_id()
                    );
                    report.started.push((account.clone(), run.run_id(), *mode));
                    if let Some(tx) = &self.events {
                        let _ = tx.send(DaemonEvent::Started {
                            account: account.clone(),
                            run_id: run.run_id(),
                            mode: *mode,
                        });
                    }
                    self.running.insert(account.clone(), run);
                }
                Err(StartError::Busy(why)) => {
                    tracing::warn!("skipped the scheduled {mode} sync of {account}: {why}");
                    report
                        .refused
                        .push((account.clone(), StartError::Busy(why)));
                }
                Err(StartError::Other(why)) => {
                    tracing::error!("cannot start the scheduled {mode} sync of {account}: {why}");
                    report
                        .refused
                        .push((account.clone(), StartError::Other(why)));
                }
            },
        }
    }

    async fn start(
        &self,
        account: &str,
        mode: SyncMode,
        max_pages: Option<u32>,
    ) -> Result<P::Run, StartError> {
        let mut options = self.port.default_options(account, mode);
        options.max_pages = max_pages;
        let request = StartRequest {
            options,
            trigger: Trigger::Schedule,
            allow_mass_missing: false,
        };
        self.port.start(account, request).await
    }

    async fn reap(&mut self) -> Vec<RunEnd> {
        let done: Vec<String> = self
            .running
            .iter()
            .filter(|(_, r)| r.is_finished())
            .map(|(a, _)| a.clone())
            .collect();
        let mut ends = Vec::new();
        for account in done {
            if let Some(run) = self.running.remove(&account) {
                let end = run.finish().await;
                self.ended(&end);
                ends.push(end);
            }
        }
        ends
    }

    /// Waits for every run to end by itself (`--once`).
    pub async fn wait_all(&mut self) -> Vec<RunEnd> {
        let mut ends = Vec::new();
        for (_, run) in std::mem::take(&mut self.running) {
            let end = run.finish().await;
            self.ended(&end);
            ends.push(end);
        }
        ends
    }

    /// Cancels every run and waits (up to `grace`) for each to record its status.
    pub async fn shutdown(&mut self, grace: Duration) -> Vec<RunEnd> {
        for (account, run) in &self.running {
            tracing::info!("cancelling run {} of {account}", run.run_id());
            run.cancel();
        }
        let wait = self.wait_all();
        match tokio::time::timeout(grace, wait).await {
            Ok(ends) => ends,
            Err(_) => {
                tracing::error!(
                    "runs did not stop within {grace:?}; stuck-run cleanup will mark them failed"
                );
                Vec::new()
            }
        }
    }

    /// Runs until `stop` is cancelled, then cancels the runs and returns.
    pub async fn run_until(&mut self, stop: CancellationToken, grace: Duration) -> Vec<RunEnd> {
        loop {
            self.tick(Utc::now()).await;
            // Wake for the next due item, and at least every few seconds to reap finished runs.
            let until_due = (self.scheduler.next_wakeup() - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO);
            let nap = until_due.clamp(Duration::from_millis(200), Duration::from_secs(5));
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(nap) => {}
            }
        }
        self.shutdown(grace).await
    }

    /// One scheduling round (`--once`): maintenance, then each account's due sync (a full when
    /// the daily full is due, else an incremental), waiting for jittered start times; then
    /// waits for the runs. Cancelled runs when `stop` fires.
    pub async fn run_once(
        &mut self,
        accounts: &[String],
        stop: CancellationToken,
        grace: Duration,
    ) -> Vec<RunEnd> {
        let mut acted: Vec<String> = Vec::new();
        loop {
            let report = self.tick(Utc::now()).await;
            for a in &report.decisions {
                match a {
                    Decision::Sync { account, .. }
                    | Decision::SkipBusy { account, .. }
                    | Decision::DeferFull { account } => acted.push(account.clone()),
                    _ => {}
                }
            }
            if accounts.iter().all(|a| acted.contains(a)) {
                break;
            }
            let until_due = (self.scheduler.next_wakeup() - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(50));
            tokio::select! {
                _ = stop.cancelled() => return self.shutdown(grace).await,
                _ = tokio::time::sleep(until_due) => {}
            }
        }
        tokio::select! {
            biased;
            _ = stop.cancelled() => self.shutdown(grace).await,
            ends = self.wait_all_polling() => ends,
        }
    }

    /// Like [`Daemon::wait_all`] but leaves unfinished runs in place, so a shutdown arriving
    /// meanwhile can still cancel them.
    async fn wait_all_polling(&mut self) -> Vec<RunEnd> {
        let mut ends = Vec::new();
        while !self.running.is_empty() {
            ends.extend(self.reap().await);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        ends
    }
}

impl TickReport {
    fn error(&mut self, message: String) {
        tracing::error!("{message}");
        self.errors.push(message);
    }
}

fn log_end(end: &RunEnd) {
    let summary = end.summary.as_deref().unwrap_or("");
    match end.status {
        RunStatus::Completed => tracing::info!("run {} of {} completed", end.run_id, end.account),
        RunStatus::Cancelled => {
            tracing::info!("run {} of {} cancelled {summary}", end.run_id, end.account)
        }
        status => tracing::warn!(
            "run {} of {} ended {status}: {summary}",
            end.run_id,
            end.account
        ),
    }
}
