//! The Prometheus endpoint of `magsync daemon --metrics-listen`: every scrape reads the store
//! (the runs, offers and edits every process records there, so a sync started from the
//! dashboard or cron counts too) and encodes a fresh registry with `prometheus-client`.
//!
//! Counters are sums over the stored runs: deleting old runs (retention) lowers them, which
//! Prometheus' `rate()` and `increase()` treat as a counter reset.

use crate::config::HealthConfig;
use crate::health;
use crate::store::{Store, short_db_error};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;

/// eMAG's request budget per account and minute (emag-api.md §8).
const BUDGET_PER_MINUTE: f64 = 180.0;
/// Run duration buckets, seconds: a few seconds (an incremental window) to two hours (a
/// first full sync of a large catalogue).
const DURATION_BUCKETS: [f64; 12] = [
    5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 5400.0, 7200.0,
];
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(String, String)>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What a scrape needs: the store, the configured accounts and their thresholds.
pub struct Source {
    pub store: Store,
    pub accounts: Vec<String>,
    pub health: HealthConfig,
}

/// The exposition text, or the database error as one sentence.
pub async fn render(src: &Source) -> Result<String, String> {
    let db = |e: sqlx::Error| format!("cannot read the store: {}", short_db_error(&e));
    let store = &src.store;
    let mut reg = Registry::with_prefix("magsync");

    let offers = Family::<Labels, Gauge>::default();
    reg.register(
        "offers",
        "Stored offers by status (missing = no longer listed by eMAG)",
        offers.clone(),
    );
    let mut accounts = src.accounts.clone();
    for (account, c) in store.accounts().offer_counts().await.map_err(db)? {
        for (status, n) in [
            ("active", c.active),
            ("inactive", c.inactive),
            ("end_of_life", c.end_of_life),
            ("missing", c.missing),
        ] {
            offers
                .get_or_create(&labels(&[("account", &account), ("status", status)]))
                .set(n);
        }
        if !accounts.contains(&account) {
            accounts.push(account);
        }
    }

    let last_success = Family::<Labels, Gauge>::default();
    reg.register(
        "last_success_timestamp_seconds",
        "Unix time the last completed sync (any mode) of the account ended",
        last_success.clone(),
    );
    let last_full = Family::<Labels, Gauge>::default();
    reg.register(
        "last_full_scan_timestamp_seconds",
        "Unix time the last complete full scan of the account ended",
        last_full.clone(),
    );
    let health_status = Family::<Labels, Gauge>::default();
    reg.register(
        "health_status",
        "Health as `magsync check` judges it: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
        health_status.clone(),
    );
    let now = Utc::now();
    for account in &accounts {
        let l = labels(&[("account", account)]);
        use crate::model::{RunStatus, SyncMode};
        if let Some(r) = store
            .runs()
            .last(account, None, Some(RunStatus::Completed))
            .await
            .map_err(db)?
        {
            last_success
                .get_or_create(&l)
                .set(r.finished_at.unwrap_or(r.started_at).timestamp());
        }
        if let Some(r) = store
            .runs()
            .last(account, Some(SyncMode::Full), Some(RunStatus::Completed))
            .await
            .map_err(db)?
        {
            last_full
                .get_or_create(&l)
                .set(r.finished_at.unwrap_or(r.started_at).timestamp());
        }
        let h = health::account_health(store, account, src.health.for_account(account), now).await;
        health_status
            .get_or_create(&l)
            .set(i64::from(h.level.exit_code()));
    }

    let runs = Family::<Labels, Counter>::default();
    reg.register(
        "runs",
        "Sync runs by mode and outcome (running, completed, partial, failed, cancelled)",
        runs.clone(),
    );
    let requests = Family::<Labels, Counter>::default();
    reg.register(
        "requests",
        "Requests sent to eMAG by syncs",
        requests.clone(),
    );
    let retries = Family::<Labels, Counter>::default();
    reg.register(
        "retries",
        "Requests repeated after a transient failure",
        retries.clone(),
    );
    let limited = Family::<Labels, Counter>::default();
    reg.register(
        "rate_limited",
        "HTTP 429 answers from eMAG",
        limited.clone(),
    );
    for t in store.health().run_totals().await.map_err(db)? {
        let l = labels(&[("account", &t.account), ("mode", &t.mode)]);
        runs.get_or_create(&labels(&[
            ("account", &t.account),
            ("mode", &t.mode),
            ("outcome", &t.status),
        ]))
        .inc_by(t.runs.max(0) as u64);
        requests.get_or_create(&l).inc_by(t.requests.max(0) as u64);
        retries.get_or_create(&l).inc_by(t.retries.max(0) as u64);
        limited
            .get_or_create(&l)
            .inc_by(t.rate_limited.max(0) as u64);
    }

    let durations =
        Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
    reg.register(
        "run_duration_seconds",
        "Duration of finished sync runs by mode",
        durations.clone(),
    );
    for s in store.health().run_spans().await.map_err(db)? {
        let secs = (s.finished_at - s.started_at).num_milliseconds().max(0) as f64 / 1000.0;
        durations
            .get_or_create(&labels(&[("account", &s.account), ("mode", &s.mode)]))
            .observe(secs);
    }

    let running = Family::<Labels, Gauge>::default();
    reg.register(
        "running",
        "1 while a sync of the account runs",
        running.clone(),
    );
    let budget = Family::<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    reg.register(
        "rate_limit_budget_used_ratio",
        "Share of eMAG's 180 requests a minute the running sync of the account uses (0 when idle)",
        budget.clone(),
    );
    for account in &accounts {
        let l = labels(&[("account", account)]);
        running.get_or_create(&l).set(0);
        budget.get_or_create(&l).set(0.0);
    }
    for r in store.runs().running().await.map_err(db)? {
        let l = labels(&[("account", &r.account)]);
        running.get_or_create(&l).set(1);
        let minutes = ((now - r.started_at).num_milliseconds() as f64 / 60_000.0).max(1.0 / 60.0);
        budget
            .get_or_create(&l)
            .set((r.counts.requests as f64 / minutes / BUDGET_PER_MINUTE).min(1.0));
    }

    let edits = Family::<Labels, Gauge>::default();
    reg.register(
        "edits",
        "Local edits by state: pending and conflict wait; pushed and rejected are push outcomes",
        edits.clone(),
    );
    // Every state is exposed from the start, so a dashboard never shows "no data" for zero.
    for account in &accounts {
        for state in crate::edits::EditState::ALL {
            edits
                .get_or_create(&labels(&[("account", account), ("state", state.as_str())]))
                .set(0);
        }
    }
    for (account, state, n) in store.health().edit_totals().await.map_err(db)? {
        edits
            .get_or_create(&labels(&[("account", &account), ("state", &state)]))
            .set(n);
    }

    let mut out = String::new();
    encode(&mut out, &reg).map_err(|e| format!("cannot encode the metrics: {e}"))?;
    Ok(out)
}

async fn metrics(State(src): State<Arc<Source>>) -> impl IntoResponse {
    match render(&src).await {
        Ok(text) => (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], text),
        Err(e) => {
            tracing::error!(target: "magsync::metrics", "{e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                e,
            )
        }
    }
}

/// Binds `addr` and serves `/metrics` until the task is dropped; the bound address is
/// returned (port 0 picks a free one).
pub async fn serve(
    addr: SocketAddr,
    src: Source,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(Arc::new(src));
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(target: "magsync::metrics", "the metrics server stopped: {e}");
        }
    });
    Ok((bound, handle))
}
