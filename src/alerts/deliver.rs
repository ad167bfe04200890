//! Delivery: each notice goes to each webhook on a task of its own, retried with exponential
//! backoff on 5xx, 408, 429 and network errors, so nothing that sends a notice ever waits for
//! a receiver.

use super::payload::{self, EVENT_HEADER, SIGNATURE_HEADER};
use super::{Notice, NoticeKind};
use crate::config::{AlertsConfig, Webhook, mask_secret_url};
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The HTTP client alerts and pings use.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    // reqwest is built without a default crypto provider; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("magsync/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .unwrap_or_default()
}

/// Sends one notice to one webhook, retrying; Ok(attempts) or the last error as a sentence
/// that names the webhook by its masked URL.
pub async fn deliver(
    client: &reqwest::Client,
    hook: &Webhook,
    notice: &Notice,
    cfg: &AlertsConfig,
) -> Result<u32, String> {
    let body = payload::body(notice, hook.format);
    let signature = hook
        .secret
        .as_ref()
        .map(|s| payload::signature(s.expose_secret().as_bytes(), body.as_bytes()));
    let masked = mask_secret_url(hook.url.expose_secret());
    let mut delay = cfg.backoff;
    let mut last = String::new();
    for attempt in 1..=cfg.max_attempts.max(1) {
        let mut req = client
            .post(hook.url.expose_secret())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, notice.kind.as_str())
            .body(body.clone());
        if let Some(sig) = &signature {
            req = req.header(SIGNATURE_HEADER, sig);
        }
        let retry = match req.send().await {
            Ok(resp) if resp.status().is_success() => return Ok(attempt),
            Ok(resp) => {
                let s = resp.status();
                last = format!("{} ({masked}) answered HTTP {}", hook.name, s.as_u16());
                s.is_server_error() || s.as_u16() == 408 || s.as_u16() == 429
            }
            Err(e) => {
                // reqwest's error text can hold the URL; say only what kind of failure it was.
                let what = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not be reached"
                } else {
                    "failed"
                };
                last = format!("{} ({masked}) {what}", hook.name);
                true
            }
        };
        if !retry || attempt == cfg.max_attempts.max(1) {
            break;
        }
        tracing::warn!(target: "magsync::alerts", "{last}; attempt {attempt}, retrying in {delay:?}");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_BACKOFF);
    }
    Err(last)
}

/// The queue notices are dropped into; a task of its own delivers them.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Notice>,
}

/// The delivery task, to wait for before exiting (`daemon --once`, `alert test`).
pub struct OutboxTask {
    handle: tokio::task::JoinHandle<()>,
}

impl Outbox {
    pub fn spawn(cfg: AlertsConfig) -> (Outbox, OutboxTask) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Notice>();
        let cfg = Arc::new(cfg);
        let client = http_client(cfg.timeout);
        let handle = tokio::spawn(async move {
            let mut inflight = JoinSet::new();
            while let Some(notice) = rx.recv().await {
                let notice = Arc::new(notice);
                for i in 0..cfg.webhooks.len() {
                    let (cfg, client, notice) = (cfg.clone(), client.clone(), notice.clone());
                    inflight.spawn(async move {
                        let hook = &cfg.webhooks[i];
                        match deliver(&client, hook, &notice, &cfg).await {
                            Ok(n) => tracing::info!(
                                target: "magsync::alerts",
                                "{} of {} ({}) sent to {} after {n} attempt(s)",
                                notice.kind.as_str(),
                                notice.account,
                                notice.status,
                                hook.name
                            ),
                            Err(e) => tracing::error!(
                                target: "magsync::alerts",
                                "{} of {} not delivered: {e}",
                                notice.kind.as_str(),
                                notice.account
                            ),
                        }
                    });
                }
                // Reap what finished, without waiting for the rest.
                while inflight.try_join_next().is_some() {}
            }
            while inflight.join_next().await.is_some() {}
        });
        (Outbox { tx }, OutboxTask { handle })
    }

    /// Queues a notice; never waits.
    pub fn send(&self, notice: Notice) {
        if notice.kind != NoticeKind::Test {
            tracing::warn!(target: "magsync::alerts", "{}", payload::text(&notice));
        }
        let _ = self.tx.send(notice);
    }
}

impl OutboxTask {
    /// Waits (up to `limit`) for every queued notice to be delivered or given up; every
    /// [`Outbox`] clone must be dropped first, or this waits the whole limit.
    pub async fn drain(self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.handle).await.is_ok()
    }
}
