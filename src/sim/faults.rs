//! Switchable faults (§13): drawn per read/count request from a ChaCha8 stream seeded by the
//! fault seed and the account, so a given request sequence always meets the same faults.
//! Also the runtime switches of `POST /__admin/faults` (failing pages, 429 storms, outages).

use super::FaultKind;
use super::reply;
use axum::body::Body;
use axum::http::{Response, StatusCode};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// Fault settings that tests can change while the server runs.
#[derive(Debug, Clone)]
pub struct RuntimeFaults {
    pub fault_rate: f64,
    pub faults: Vec<FaultKind>,
    pub churn_rate: f64,
    /// (account, currentPage) reads answered 500 every time.
    pub fail_pages: Vec<(String, u64)>,
    /// Every request answered 429 until then.
    pub storm_until: Option<Instant>,
    /// Every request of this account answered 503.
    pub outage: Option<String>,
    pub ignore_wrapped_filters: bool,
    /// An `id` filter given as a list is ignored (every offer matches), as a server that
    /// understands single ids only would; the client must notice.
    pub ignore_id_list: bool,
    pub strict_page_size: bool,
}

impl RuntimeFaults {
    pub fn new(fault_rate: f64, faults: &[FaultKind], churn_rate: f64) -> Self {
        RuntimeFaults {
            fault_rate,
            faults: if faults.is_empty() {
                FaultKind::DEFAULT.to_vec()
            } else {
                faults.to_vec()
            },
            churn_rate,
            fail_pages: Vec::new(),
            storm_until: None,
            outage: None,
            ignore_wrapped_filters: false,
            ignore_id_list: false,
            strict_page_size: false,
        }
    }

    /// Draws whether this request gets a fault. One draw per request keeps the stream aligned
    /// with the request sequence whatever the rate.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> Option<FaultKind> {
        let u: f64 = rng.random();
        let k = rng.random_range(0..self.faults.len().max(1));
        (u < self.fault_rate)
            .then(|| self.faults.get(k).copied())
            .flatten()
    }

    pub fn storming(&self, now: Instant) -> bool {
        self.storm_until.is_some_and(|t| now < t)
    }
}

#[derive(Debug, Deserialize)]
pub struct FailPage {
    pub account: String,
    pub page: u64,
}

/// Body of `POST /__admin/faults`; every key optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSwitch {
    pub fault_rate: Option<f64>,
    pub faults: Option<Vec<String>>,
    pub churn_rate: Option<f64>,
    pub fail_pages: Option<Vec<FailPage>>,
    pub storm_ms: Option<u64>,
    /// An account name, or null / "" to end the outage.
    #[serde(default, with = "double_option")]
    pub account_outage: Option<Option<String>>,
    pub ignore_wrapped_filters: Option<bool>,
    pub ignore_id_list: Option<bool>,
    pub strict_page_size: Option<bool>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Ok(Some(Option::<String>::deserialize(d)?))
    }
}

impl FaultSwitch {
    pub fn apply(self, rt: &mut RuntimeFaults, now: Instant) -> Result<(), String> {
        if let Some(rate) = self.fault_rate {
            rt.fault_rate = rate.clamp(0.0, 1.0);
        }
        if let Some(kinds) = self.faults {
            let parsed: Result<Vec<FaultKind>, String> = kinds.iter().map(|k| k.parse()).collect();
            let parsed = parsed?;
            rt.faults = if parsed.is_empty() {
                FaultKind::DEFAULT.to_vec()
            } else {
                parsed
            };
        }
        if let Some(rate) = self.churn_rate {
            rt.churn_rate = rate.clamp(0.0, 1.0);
        }
        if let Some(pages) = self.fail_pages {
            rt.fail_pages = pages.into_iter().map(|p| (p.account, p.page)).collect();
        }
        if let Some(ms) = self.storm_ms {
            rt.storm_until = (ms > 0).then(|| now + Duration::from_millis(ms));
        }
        if let Some(on) = self.ignore_wrapped_filters {
            rt.ignore_wrapped_filters = on;
        }
        if let Some(on) = self.ignore_id_list {
            rt.ignore_id_list = on;
        }
        if let Some(on) = self.strict_page_size {
            rt.strict_page_size = on;
        }
        if let Some(outage) = self.account_outage {
            rt.outage = outage.filter(|a| !a.is_empty());
        }
        Ok(())
    }
}

pub fn server_error() -> Response<Body> {
    reply::json(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"isError":true,"messages":["Internal Server Error"],"results":[]}"#,
    )
}

pub fn unavailable() -> Response<Body> {
    reply::json(
        StatusCode::SERVICE_UNAVAILABLE,
        r#"{"isError":true,"messages":["Service temporarily unavailable"],"results":[]}"#,
    )
}

pub fn gateway_timeout() -> Response<Body> {
    reply::html(
        StatusCode::GATEWAY_TIMEOUT,
        "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 \
         Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    )
}

/// The answer for a fault, given the body the request would otherwise have received (used to
/// produce a realistic truncated JSON). Delays (504, hang) are applied by the caller.
pub fn response(kind: FaultKind, real_body: &str) -> Response<Body> {
    match kind {
        FaultKind::E500 => server_error(),
        FaultKind::E502Html => reply::html(StatusCode::BAD_GATEWAY, reply::NGINX_502),
        FaultKind::E503 => unavailable(),
        FaultKind::E504 | FaultKind::Hang => gateway_timeout(),
        FaultKind::Malformed => {
            let mut cut = (real_body.len() / 2).max(1).min(real_body.len());
            while !real_body.is_char_boundary(cut) {
                cut -= 1;
            }
            reply::json(StatusCode::OK, real_body[..cut].to_string())
        }
        FaultKind::IsError => reply::json(
            StatusCode::OK,
            r#"{"isError":true,"messages":["A apărut o eroare internă. Încercați din nou."],"results":[]}"#,
        ),
        FaultKind::MissingIsError => reply::json(StatusCode::OK, r#"{"messages":[],"results":[]}"#),
        FaultKind::E429 => reply::rate_limited(),
    }
}
