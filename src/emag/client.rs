//! The HTTP client: one exchange = limiter slot, POST, classification (§7.3), and retries.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use super::error::EmagError;
use super::ratelimit::{AccountLimiter, Priority, cancellable, for_account};
use super::retry::RetryPolicy;
use super::types::{ItemResult, OfferCount, OfferFilter, OfferUpdate, VatRate};
use super::wire::{self, Envelope};
use crate::model::Offer;

/// eMAG's page size limit (§5); the client never asks for more.
pub const MAX_PER_PAGE: u32 = 100;
/// eMAG's limit of entities per save request (§8).
pub const MAX_SAVE_ITEMS: usize = 50;
/// Default spacing of request starts per account (see `ratelimit`).
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_millis(350);
/// Longest `Retry-After` honoured; eMAG does not document the header at all.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Everything needed to talk to one account.
#[derive(Clone)]
pub struct ClientConfig {
    /// Local account name (`main`, `fbe`…), used in logs.
    pub account: String,
    /// `https://marketplace-api.emag.ro/api-3` or a simulator URL; a trailing slash is tolerated.
    pub base_url: String,
    pub username: String,
    pub password: SecretString,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Minimum spacing of request starts; `Duration::ZERO` disables pacing (benchmarks only).
    pub min_interval: Duration,
}

impl ClientConfig {
    /// A config with the contract's defaults (10 s / 60 s timeouts, 5 attempts, 350 ms pacing).
    pub fn new(account: &str, base_url: &str, username: &str, password: SecretString) -> Self {
        ClientConfig {
            account: account.to_string(),
            base_url: base_url.to_string(),
            username: username.to_string(),
            password,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            min_interval: DEFAULT_MIN_INTERVAL,
        }
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("account", &self.account)
            .field("base_url", &crate::config::mask_url(&self.base_url))
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("min_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}

/// Hooks for live progress: requests, retries and 429 waits as they happen.
pub trait CallObserver: Send + Sync {
    fn on_request(&self, _path: &str) {}
    fn on_retry(&self, _attempt: u32, _max_attempts: u32, _wait: Duration, _error: &EmagError) {}
    /// A retry of `what` ("page 4", "the offer count"); by default the same as `on_retry`.
    fn on_retry_of(
        &self,
        _what: &str,
        attempt: u32,
        max_attempts: u32,
        wait: Duration,
        error: &EmagError,
    ) {
        self.on_retry(attempt, max_attempts, wait, error)
    }
    fn on_rate_limited(&self, _wait: Duration) {}
}

struct Inner {
    cfg: ClientConfig,
    base: String,
    http: reqwest::Client,
    limiter: Arc<AccountLimiter>,
}

/// A client of one eMAG account. Clones are cheap and share the account's rate limiter.
#[derive(Clone)]
pub struct EmagClient {
    inner: Arc<Inner>,
    observer: Option<Arc<dyn CallObserver>>,
    cancel: Option<CancellationToken>,
}

/// Whether `isError: true` may be retried: reads are idempotent, saves are not re-sent on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Save,
}

impl EmagClient {
    pub fn new(cfg: ClientConfig) -> Result<Self, EmagError> {
        let base = cfg.base_url.trim_end_matches('/').to_string();
        match url::Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                return Err(EmagError::Config {
                    message: format!(
                        "the base URL \"{}\" is not an http(s) URL",
                        crate::config::mask_url(&cfg.base_url)
                    ),
                });
            }
        }
        // reqwest is built without a default crypto provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("magsync/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            // A redirect would re-send the password and the body to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| EmagError::Config {
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        let limiter = for_account(&base, &cfg.username, cfg.min_interval);
        Ok(EmagClient {
            inner: Arc::new(Inner {
                cfg,
                base,
                http,
                limiter,
            }),
            observer: None,
            cancel: None,
        })
    }

    /// The same client (same limiter) reporting to `obs`.
    pub fn observed(&self, obs: Arc<dyn CallObserver>) -> Self {
        EmagClient {
            observer: Some(obs),
            ..self.clone()
        }
    }

    /// The same client whose waits and requests abort with `Cancelled` when `token` fires.
    pub fn with_cancel(&self, token: CancellationToken) -> Self {
        EmagClient {
            cancel: Some(token),
            ..self.clone()
        }
    }

    pub fn account(&self) -> &str {
        &self.inner.cfg.account
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    /// `product_offer/count` for the filter (advisory: progress and the page cap).
    pub async fn count_offers(&self, filter: &OfferFilter) -> Result<OfferCount, EmagError> {
        let env = self
            .call_named(
                Method::POST,
                "product_offer/count",
                wire::read_body(filter, None),
                Kind::Read,
                "the offer count",
            )
            .await?;
        wire::decode_count(&env.results_value()).ok_or_else(|| EmagError::Malformed {
            status: 200,
            snippet: format!("count results without noOfItems: {}", env.results.get()),
        })
    }

    /// One page of `product_offer/read`; every returned offer is checked against the filter.
    pub async fn read_offers(
        &self,
        filter: &OfferFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Vec<Offer>, EmagError> {
        if page == 0 || !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(EmagError::Config {
                message: format!(
                    "page {page} with {per_page} items per page is outside 1.. and 1..=100"
                ),
            });
        }
        let body = wire::read_body(filter, Some((page, per_page)));
        let what = format!("page {page}");
        let env = self
            .call_named(Method::POST, "product_offer/read", body, Kind::Read, &what)
            .await?;
        let offers = wire::decode_offers(&env.results).map_err(|why| EmagError::Malformed {
            status: 200,
            snippet: why,
        })?;
        if offers.iter().any(|o| !wire::matches_filter(o, filter)) {
            tracing::warn!(target: "magsync::emag", account = %self.account(), ?filter, "eMAG ignored a read filter");
            return Err(EmagError::FilterIgnored);
        }
        Ok(offers)
    }

    /// One offer by seller id; `None` means it does not exist on this account.
    pub async fn read_offer(&self, id: i64) -> Result<Option<Offer>, EmagError> {
        let offers = self
            .read_offers(&OfferFilter::by_id(id), 1, MAX_PER_PAGE)
            .await?;
        if offers.len() > 1 {
            return Err(EmagError::FilterIgnored);
        }
        Ok(offers.into_iter().next())
    }

    /// The offers among `ids` (at most [`MAX_PER_PAGE`]) that exist on this account, in one
    /// request through the `id` list filter. An answer holding any other id means the filter
    /// was ignored, and is refused rather than trusted.
    pub async fn read_offers_by_ids(&self, ids: &[i64]) -> Result<Vec<Offer>, EmagError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > MAX_PER_PAGE as usize {
            return Err(EmagError::Config {
                message: format!(
                    "{} ids in one read; at most {MAX_PER_PAGE} fit a page",
                    ids.len()
                ),
            });
        }
        let body = wire::read_ids_body(ids, MAX_PER_PAGE);
        let env = self.call("product_offer/read", body, Kind::Read).await?;
        let offers = wire::decode_offers(&env.results).map_err(|why| EmagError::Malformed {
            status: 200,
            snippet: why,
        })?;
        let wanted: std::collections::HashSet<i64> = ids.iter().copied().collect();
        let mut seen = std::collections::HashSet::new();
        if offers
            .iter()
            .any(|o| !wanted.contains(&o.id) || !seen.insert(o.id))
        {
            tracing::warn!(target: "magsync::emag", account = %self.account(), "eMAG ignored the id list filter");
            return Err(EmagError::FilterIgnored);
        }
        Ok(offers)
    }

    /// Light `offer/save` of at most 50 items; per-item outcomes keyed by id. An envelope
    /// `isError` is returned as `Api` without retry (nothing was applied).
    pub async fn save_offers(
        &self,
        items: &[OfferUpdate],
    ) -> Result<BTreeMap<i64, ItemResult>, EmagError> {
        if items.is_empty() {
            return Ok(BTreeMap::new());
        }
        if items.len() > MAX_SAVE_ITEMS {
            return Err(EmagError::Config {
                message: format!(
                    "{} offers in one save; eMAG accepts at most {MAX_SAVE_ITEMS}",
                    items.len()
                ),
            });
        }
        let env = self
            .call(
                "offer/save",
                wire::save_body(items).into_bytes(),
                Kind::Save,
            )
            .await?;
        Ok(wire::decode_save_results(&env.results_value()))
    }

    /// `vat/read`: the platform's VAT ids and rates.
    pub async fn vat_rates(&self) -> Result<Vec<VatRate>, EmagError> {
        let env = self.call("vat/read", b"{}".to_vec(), Kind::Read).await?;
        Ok(wire::decode_vat_rates(&env.results_value()))
    }

    /// `GET smart-deals-price-check?productId=ID`: the price eMAG wants for the Smart Deals
    /// badge (results as eMAG sends them; `price::smart_deals` reads them).
    pub async fn smart_deals_check(&self, product_id: i64) -> Result<Envelope, EmagError> {
        let path = format!("smart-deals-price-check?productId={product_id}");
        self.call_as(Method::GET, &path, Vec::new(), Kind::Read)
            .await
    }

    async fn call(
        &self,
        path: &'static str,
        body: Vec<u8>,
        kind: Kind,
    ) -> Result<Envelope, EmagError> {
        self.call_as(Method::POST, path, body, kind).await
    }

    /// Every attempt takes a limiter slot; transient failures back off, 429s close the
    /// account's gate, and anything else is returned at once.
    async fn call_as(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        kind: Kind,
    ) -> Result<Envelope, EmagError> {
        self.call_named(method, path, body, kind, path).await
    }

    /// [`Self::call_as`] with `what` the request is (a page), for retry warnings.
    async fn call_named(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        kind: Kind,
        what: &str,
    ) -> Result<Envelope, EmagError> {
        let policy = &self.inner.cfg.retry;
        let max_attempts = policy.max_attempts.max(1);
        let cancel = self.cancel.as_ref();
        let mut attempt = 1u32;
        let mut consecutive_429 = 0u32;
        loop {
            let priority = match kind {
                Kind::Save => Priority::Push,
                Kind::Read => Priority::Read,
            };
            self.inner.limiter.acquire(cancel, priority).await?;
            if let Some(obs) = &self.observer {
                obs.on_request(path);
            }
            let (result, retry_after) =
                cancellable(cancel, self.exchange(&method, path, &body)).await?;
            let error = match result {
                Ok(env) => return Ok(env),
                Err(e) => e,
            };
            if error == EmagError::RateLimited {
                consecutive_429 += 1;
                if consecutive_429 >= policy.max_consecutive_429.max(1) {
                    return Err(error);
                }
                let wait = retry_after
                    .map(|w| w.min(MAX_RETRY_AFTER))
                    .unwrap_or_else(|| policy.rate_limit_wait(consecutive_429));
                self.inner.limiter.block_for(wait);
                if let Some(obs) = &self.observer {
                    obs.on_rate_limited(wait);
                }
                tracing::warn!(target: "magsync::emag", account = %self.account(), path, wait_ms = wait.as_millis() as u64, consecutive_429, "rate limited; the account waits");
                continue;
            }
            consecutive_429 = 0;
            let retryable = error.is_transient()
                && !(kind == Kind::Save && matches!(error, EmagError::Api { .. }));
            if !retryable || attempt >= max_attempts {
                return Err(error);
            }
            let wait = policy.backoff_with_jitter(attempt);
            if let Some(obs) = &self.observer {
                obs.on_retry_of(what, attempt, max_attempts, wait, &error);
            }
            tracing::warn!(target: "magsync::emag", account = %self.account(), path, attempt, max_attempts, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            cancellable(cancel, tokio::time::sleep(wait)).await?;
            attempt += 1;
        }
    }

    /// One POST, logged (never the Authorization header), classified by `wire::interpret`.
    async fn exchange(
        &self,
        method: &Method,
        path: &str,
        body: &[u8],
    ) -> (Result<Envelope, EmagError>, Option<Duration>) {
        let cfg = &self.inner.cfg;
        let url = format!("{}/{path}", self.inner.base);
        let started = Instant::now();
        let sent = self
            .inner
            .http
            .request(method.clone(), &url)
            .basic_auth(&cfg.username, Some(cfg.password.expose_secret()))
            .header(ACCEPT, "application/json");
        let sent = if *method == Method::GET {
            sent
        } else {
            sent.header(CONTENT_TYPE, "application/json")
                .body(body.to_vec())
        }
        .send()
        .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                let error = transport_error(&e);
                tracing::warn!(target: "magsync::emag", account = %cfg.account, method = %method, path, duration_ms = started.elapsed().as_millis() as u64, error = %error, "exchange failed");
                return (Err(error), None);
            }
        };
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(crate::config::mask_url)
                .unwrap_or_else(|| "an unnamed place (no Location header)".into());
            let error = EmagError::Redirected { status, location };
            tracing::warn!(target: "magsync::emag", account = %cfg.account, method = "POST", path, status, duration_ms = started.elapsed().as_millis() as u64, error = %error, "exchange failed");
            return (Err(error), None);
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let result = match response.bytes().await {
            Ok(bytes) => wire::interpret(status, &bytes),
            Err(e) if e.is_timeout() => Err(EmagError::Timeout),
            Err(e) => Err(EmagError::Malformed {
                status,
                snippet: format!("the body was cut off ({})", root_cause(&e)),
            }),
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(env) => {
                tracing::info!(target: "magsync::emag", account = %cfg.account, method = %method, path, status, duration_ms, is_error = false, messages = ?env.messages, "exchange")
            }
            Err(e) => {
                tracing::warn!(target: "magsync::emag", account = %cfg.account, method = %method, path, status, duration_ms, is_error = true, error = %e, "exchange failed")
            }
        }
        (result, retry_after)
    }
}

fn transport_error(e: &reqwest::Error) -> EmagError {
    if e.is_timeout() {
        EmagError::Timeout
    } else {
        let host = e.url().and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        });
        let cause = root_cause(e);
        EmagError::Connect {
            message: match host {
                Some(h) => format!("{h}: {cause}"),
                None => cause,
            },
        }
    }
}

/// The innermost error text (e.g. "Connection refused (os error 111)"), without reqwest's URL.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
