//! Runs what `update()` asks for in tokio tasks and reports back as messages, so the UI task
//! never waits on the database or the network. Reads run as supervised jobs ([`super::jobs`]):
//! one per kind, the newest request wins.

use super::app::{Dashboard, Effect, Msg, OfferDetail, RunDetail};
use super::engine_backend::{DashboardEngine, OwnRuns};
use super::error::JobError;
use super::jobs::Jobs;
use crate::model::{SyncOptions, Trigger};
use crate::store::Store;
use crate::store::runs::RunFilter;
use crate::sync::port::{ActiveRun, StartRequest};
use std::sync::Arc;
use tokio::sync::mpsc::Sender;

/// Executes effects; cheap to clone into tasks.
pub struct Executor<E: DashboardEngine> {
    pub store: Store,
    pub engine: Arc<E>,
    /// The runs this dashboard started.
    pub runs: Arc<OwnRuns<E::Run>>,
    pub accounts: Vec<String>,
    /// Bounded: a UI that falls behind slows the jobs down instead of queueing without end.
    pub tx: Sender<Msg>,
    pub health: crate::config::HealthConfig,
    /// The products search and the header's counts, kept current from the store.
    pub index: crate::index::SharedIndex,
}

impl<E: DashboardEngine> Clone for Executor<E> {
    fn clone(&self) -> Self {
        Executor {
            store: self.store.clone(),
            engine: self.engine.clone(),
            runs: self.runs.clone(),
            accounts: self.accounts.clone(),
            tx: self.tx.clone(),
            health: self.health.clone(),
            index: self.index.clone(),
        }
    }
}

impl<E: DashboardEngine> Executor<E> {
    /// Spawns the effect, as the newest job of its kind when it is a read; `Quit`, `Suspend`,
    /// `Bell` and `Copy` belong to the terminal loop and are ignored here.
    pub fn spawn(&self, jobs: &mut Jobs, effect: Effect) {
        let kind = super::jobs::JobKind::of(&effect);
        let me = self.clone();
        let job = async move {
            if let Some(msg) = me.run(effect).await {
                // Fails only when the dashboard has quit, and then nobody reads the answer.
                let _ = me.tx.send(msg).await;
            }
        };
        match kind {
            Some(kind) => jobs.submit(kind, job),
            None => {
                tokio::spawn(job);
            }
        }
    }

    pub async fn run(&self, effect: Effect) -> Option<Msg> {
        let store = &self.store;
        Some(match effect {
            Effect::LoadDashboard => Msg::Dashboard(
                async {
                    store.runs().settle_dead_quietly().await;
                    let now = chrono::Utc::now();
                    let mut health = Vec::with_capacity(self.accounts.len());
                    for a in &self.accounts {
                        let t = self.health.for_account(a);
                        health.push(crate::health::account_health(store, a, t, now).await);
                    }
                    Ok::<_, sqlx::Error>(Dashboard {
                        stats: store
                            .accounts()
                            .stats(&self.accounts, self.index.account_counts(store).await?)
                            .await?,
                        running: store.runs().running().await?,
                        health,
                    })
                }
                .await
                .map_err(JobError::from),
            ),
            Effect::LoadEvents { run_id, after_id } => Msg::Events {
                run_id,
                events: store
                    .runs()
                    .events(run_id, after_id, 500)
                    .await
                    .map_err(JobError::from),
            },
            Effect::Debounce(seq) => {
                tokio::time::sleep(super::app::SEARCH_DEBOUNCE).await;
                Msg::SearchDue(seq)
            }
            Effect::Search {
                seq,
                query,
                after,
                limit,
            } => Msg::Products {
                seq,
                append: after.is_some(),
                rows: self
                    .index
                    .search(store, &query, after.as_ref(), limit)
                    .await
                    .map_err(JobError::from),
            },
            Effect::Count { seq, query } => Msg::Count {
                seq,
                total: self
                    .index
                    .count(store, &query)
                    .await
                    .map_err(JobError::from),
            },
            Effect::LoadRuns {
                account,
                status,
                since,
            } => {
                let filter = RunFilter {
                    account,
                    status,
                    since,
                    limit: 500,
                    ..RunFilter::default()
                };
                store.runs().settle_dead_quietly().await;
                Msg::Runs(store.runs().list(&filter).await.map_err(JobError::from))
            }
            Effect::LoadSummary { accounts, window } => Msg::Summary(
                crate::report::Facts::compute(store, &accounts, window, window.until)
                    .await
                    .map(Box::new)
                    .map_err(JobError::from),
            ),
            Effect::LoadRun(id) => Msg::RunDetail(
                async {
                    let run = store.runs().get(id).await?.ok_or_else(|| {
                        JobError::Gone(format!("run {id} is no longer in the store"))
                    })?;
                    Ok(Box::new(RunDetail {
                        run,
                        events: store.runs().events(id, 0, 1000).await?,
                        changes: store.runs().changes_of_run(id, 500).await?,
                        scroll: 0,
                        link: None,
                    }))
                }
                .await,
            ),
            Effect::LoadBuybox { losing, options } => Msg::Buybox({
                for account in &self.accounts {
                    // Refreshes the cache the list reads its VAT rates from (daily).
                    self.vat_rates(account).await;
                }
                crate::price::buybox(
                    store,
                    &self.accounts,
                    crate::price::Window::LastSync,
                    losing,
                    &options,
                )
                .await
                .map_err(JobError::from)
            }),
            Effect::SmartDeals { account, ids } => Msg::SmartDeals {
                result: self.engine.smart_deals(&account, ids.clone()).await,
                account,
                ids,
            },
            Effect::LoadOffer { account, id } => {
                Msg::OfferDetail(self.load_offer(&account, id).await)
            }
            Effect::StartSync { account, options } => {
                let result = self.start(&account, options, false).await;
                Msg::SyncStarted { account, result }
            }
            Effect::AcceptGuardHold { account, options } => {
                let result = self.start(&account, options, true).await;
                Msg::SyncStarted { account, result }
            }
            Effect::CancelRun(run_id) => Msg::Cancelled {
                run_id,
                result: self.runs.cancel(run_id),
            },
            Effect::Test(account) => Msg::Tested(self.engine.test(&account).await),
            Effect::LoadEdits => Msg::Edits(
                crate::edits::db::list(
                    store,
                    &crate::edits::EditFilter {
                        limit: 500,
                        ..Default::default()
                    },
                )
                .await
                .map_err(JobError::from),
            ),
            Effect::QueueEdit {
                account,
                id,
                request,
            } => Msg::EditQueued(
                crate::edits::queue(
                    store,
                    &account,
                    id,
                    &request,
                    crate::edits::is_fbe_account(&account),
                    &crate::edits::queued_by("tui"),
                    chrono::Utc::now(),
                )
                .await
                .map_err(JobError::from),
            ),
            Effect::FindOffer(id) => Msg::OfferDetail(
                async {
                    for account in &self.accounts {
                        if let Some(found) = self.load_offer(account, id).await? {
                            return Ok(Some(found));
                        }
                    }
                    Ok(None)
                }
                .await,
            ),
            Effect::LoadPending(keys) => Msg::Pending(
                async {
                    let mut by_account: std::collections::BTreeMap<String, Vec<i64>> =
                        Default::default();
                    for (a, id) in keys {
                        by_account.entry(a).or_default().push(id);
                    }
                    let mut out = Vec::new();
                    for (a, ids) in by_account {
                        out.extend(crate::edits::db::open_edits_for(store, &a, &ids).await?);
                    }
                    Ok::<_, JobError>(out)
                }
                .await,
            ),
            Effect::PreviewPush(scope) => Msg::PushPreview(
                crate::edits::preview::preview(store, &scope)
                    .await
                    .map_err(JobError::from),
            ),
            Effect::Push(preview) => Msg::Pushed(self.engine.push(preview).await),
            Effect::Discard(ids) => Msg::Discarded(
                async {
                    let by = crate::edits::queued_by("tui");
                    let mut done = Vec::new();
                    for id in ids {
                        let which = crate::edits::discard::Which::Id(id);
                        done.extend(
                            crate::edits::discard::discard(store, &which, &by, chrono::Utc::now())
                                .await?,
                        );
                    }
                    Ok(done)
                }
                .await,
            ),
            Effect::QueueBulk { targets, change } => {
                let by = crate::edits::queued_by("tui");
                let mut out = Vec::with_capacity(targets.len());
                for (account, id) in targets {
                    let request = match store.offers().get(&account, id).await {
                        Ok(Some(o)) => crate::edits::bulk::request_for(&o.offer, &change)
                            .map_err(JobError::Refused),
                        Ok(None) => Err(JobError::Gone(format!(
                            "offer {id} is no longer in the store"
                        ))),
                        Err(e) => Err(e.into()),
                    };
                    out.push(match request {
                        Ok(req) => crate::edits::queue(
                            store,
                            &account,
                            id,
                            &req,
                            crate::edits::is_fbe_account(&account),
                            &by,
                            chrono::Utc::now(),
                        )
                        .await
                        .map_err(|f| JobError::Offer {
                            id,
                            error: Box::new(f.into()),
                        }),
                        Err(e) => Err(e),
                    });
                }
                Msg::BulkQueued(out)
            }
            Effect::Resolve { account, id, keep } => Msg::Resolved(
                crate::edits::resolve(store, &account, id, keep, chrono::Utc::now())
                    .await
                    .map_err(JobError::from),
            ),
            Effect::Export {
                query,
                format,
                path,
            } => Msg::Exported(
                async {
                    use std::io::Write;
                    let file = std::fs::File::create(&path).map_err(|e| JobError::io(&path, &e))?;
                    let mut out = std::io::BufWriter::new(file);
                    let n =
                        crate::cli::export::write_all(store, &query, format, false, &mut out, None)
                            .await
                            .map_err(export_error)?;
                    out.flush().map_err(|e| JobError::io(&path, &e))?;
                    Ok((n, path))
                }
                .await,
            ),
            Effect::Copy(_) | Effect::Bell | Effect::Suspend | Effect::Quit => return None,
        })
    }
}

/// An export's failure: the store's when it was the reading, else the writing's.
fn export_error(e: anyhow::Error) -> JobError {
    let text = format!("{e:#}");
    if e.downcast_ref::<sqlx::Error>().is_some() {
        JobError::Store(text)
    } else {
        JobError::Io(text)
    }
}

impl<E: DashboardEngine> Executor<E> {
    /// Starts a run through the engine's port and keeps it, so it can be cancelled here;
    /// `allow_mass_missing` is the answer to a guard hold (`sync --allow-mass-missing`).
    async fn start(
        &self,
        account: &str,
        options: SyncOptions,
        allow_mass_missing: bool,
    ) -> Result<i64, JobError> {
        let request = StartRequest {
            options,
            trigger: Trigger::Tui,
            allow_mass_missing,
        };
        let run = self.engine.start(account, request).await?;
        let id = run.run_id();
        self.runs.add(run);
        Ok(id)
    }
}

impl<E: DashboardEngine> Executor<E> {
    /// The account's VAT rates: refreshed through the backend when a day old, else the cache.
    async fn vat_rates(&self, account: &str) -> Vec<crate::store::accounts::CachedVat> {
        match self.engine.vat_rates(account).await {
            Ok(rates) => rates,
            Err(_) => self
                .store
                .accounts()
                .vat_rates(account)
                .await
                .unwrap_or_default(),
        }
    }

    /// An offer with everything its details popup shows: recent changes, 90 days of price
    /// history, the same part number on other accounts, its VAT rate and a pending local edit.
    async fn load_offer(
        &self,
        account: &str,
        id: i64,
    ) -> Result<Option<Box<OfferDetail>>, JobError> {
        let Some(mut found) = load_offer(&self.store, account, id).await? else {
            return Ok(None);
        };
        let rates = self.vat_rates(account).await;
        found.prices.vat_percent =
            crate::price::smart_deals::rate_percent(&rates, found.offer.offer.vat_id);
        Ok(Some(found))
    }
}

/// An offer with everything its details popup shows but its VAT rate.
async fn load_offer(
    store: &Store,
    account: &str,
    id: i64,
) -> Result<Option<Box<OfferDetail>>, JobError> {
    let Some(offer) = store.offers().get(account, id).await? else {
        return Ok(None);
    };
    let changes = store.runs().changes_of_offer(account, id, 20).await?;
    let since = chrono::Utc::now() - chrono::Duration::days(90);
    let history = store.history().of_offer(account, id, Some(since)).await?;
    let siblings = match &offer.offer.part_number {
        Some(pn) => store.offers().same_part_number(pn).await?,
        None => Vec::new(),
    }
    .into_iter()
    .filter(|s| !(s.account == account && s.id == id))
    .collect();
    let pending = crate::edits::db::open_edit(store, account, id)
        .await?
        .filter(|e| e.state == crate::edits::EditState::Pending);
    Ok(Some(Box::new(OfferDetail {
        offer,
        changes,
        pending,
        scroll: 0,
        prices: super::app::PricePanel {
            history,
            siblings,
            vat_percent: None,
        },
        link: None,
    })))
}
