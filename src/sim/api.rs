//! The `/api-3/…` routes: authentication, rate limiting, runtime fault switches, then the
//! resource handlers. Order matters: 401s are not counted (no usable username), everything
//! else counts against the account before anything can fail (§8).

use super::faults::{self, RuntimeFaults};
use super::filter::{Filters, Page, params_with, parse_body};
use super::json::envelope;
use super::render::{self, Context};
use super::server::{Account, Sim, lock};
use super::{FaultKind, ShapeVariant, auth, reference, reply, save};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

pub async fn handle(
    State(sim): State<Arc<Sim>>,
    method: Method,
    Path(path): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let Some((user, pass)) = auth::credentials(&headers) else {
        return reply::unauthorized();
    };
    let Some(account) = sim.accounts.iter().find(|a| a.cfg.username == user) else {
        return reply::forbidden();
    };
    let now = sim.config.clock.now();
    let decision = {
        let mut stats = lock(&account.stats);
        stats.requests += 1;
        let d = stats.window.hit(now, sim.config.rps, sim.config.rpm);
        stats.rate_limited += u64::from(d.limited);
        d
    };
    lock(&sim.total).hit(now, 0, 0);
    if decision.limited {
        return reply::rate_limited();
    }
    if account.cfg.password != pass {
        return reply::forbidden();
    }
    // Informational only (§8): 3 minus the requests of the last second, whatever the limit.
    let remaining = 3u32.saturating_sub(decision.in_second);
    let (storm, outage) = {
        let f = lock(&sim.faults);
        (
            f.storming(now),
            f.outage.as_deref() == Some(account.cfg.name.as_str()),
        )
    };
    if storm {
        lock(&account.stats).rate_limited += 1;
        return reply::rate_limited();
    }
    if outage {
        lock(&account.stats).faults_injected += 1;
        return faults::unavailable();
    }
    if sim.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(sim.config.latency_ms)).await;
    }
    let path = path.trim_end_matches('/');
    let (status, text) = match (method, path) {
        (Method::POST, "product_offer/read") => {
            return read(&sim, account, &body, false, remaining).await;
        }
        (Method::POST, "product_offer/count") => {
            return read(&sim, account, &body, true, remaining).await;
        }
        (Method::POST, "offer/save") => (StatusCode::OK, save::offer_save(account, &body)),
        (Method::POST, "product_offer/save") => {
            (StatusCode::OK, save::product_offer_save(account, &body))
        }
        (Method::PATCH, p) if p.starts_with("offer_stock/") => {
            return save::offer_stock(account, &p["offer_stock/".len()..], &body, remaining);
        }
        (Method::POST, "category/read") => (StatusCode::OK, reference::category_read(&body, false)),
        (Method::POST, "category/count") => (StatusCode::OK, reference::category_read(&body, true)),
        (Method::POST, "vat/read") => (StatusCode::OK, reference::vat_read(account.cfg.platform)),
        (Method::POST, "handling_time/read") => (StatusCode::OK, reference::handling_time_read()),
        (Method::GET | Method::POST, "smart-deals-price-check") => {
            smart_deals(account, uri.query().unwrap_or(""))
        }
        _ => return reply::invalid_url(),
    };
    reply::api_json(status, text, remaining)
}

/// Variant A envelopes carry `errors` and string counts; B follows the documentation.
pub fn documented(account: &Account) -> bool {
    account.cfg.variant == ShapeVariant::B
}

pub fn error_envelope(account: &Account, message: String) -> String {
    envelope(true, &[message], !documented(account), "[]")
}

/// `product_offer/read` and `product_offer/count`, where faults and churn strike.
async fn read(
    sim: &Sim,
    account: &Account,
    body: &[u8],
    count: bool,
    remaining: u32,
) -> Response<Body> {
    let rt: RuntimeFaults = lock(&sim.faults).clone();
    // One fault draw and one churn draw per request keep both streams aligned with the
    // request sequence, whatever the outcome.
    let fault = rt.draw(&mut lock(&account.fault_rng));
    {
        let mut rng = lock(&account.churn_rng);
        if rng.random::<f64>() < rt.churn_rate {
            lock(&account.state).churn(&mut rng, sim.config.seed, &account.cfg);
        }
    }
    if !count && sim.config.competition_rate > 0.0 {
        let mut rng = lock(&account.competition_rng);
        let mut state = lock(&account.state);
        let n = super::competition::moves_per_read(sim.config.competition_rate, state.offers.len());
        state.compete(&mut rng, account.cfg.platform, n);
    }
    let parsed = parse_body(body)
        .and_then(|b| params_with(b, rt.ignore_wrapped_filters))
        .and_then(|p| {
            let mut filters = Filters::from_params(&p)?;
            if rt.ignore_id_list && p.get("id").is_some_and(|v| v.is_array()) {
                filters.id = None;
            }
            Ok((Page::checked(&p, rt.strict_page_size)?, filters))
        });
    let (page, filters) = match parsed {
        Ok(v) => v,
        Err(msg) => {
            return reply::api_json(StatusCode::OK, error_envelope(account, msg), remaining);
        }
    };
    let failing = !count
        && rt
            .fail_pages
            .iter()
            .any(|(a, p)| *a == account.cfg.name && *p == page.current);
    if failing {
        lock(&account.stats).faults_injected += 1;
        return faults::server_error();
    }
    let text = if count {
        count_body(account, &filters, page)
    } else {
        page_body(account, &filters, page)
    };
    let Some(kind) = fault else {
        return reply::api_json(StatusCode::OK, text, remaining);
    };
    {
        let mut stats = lock(&account.stats);
        stats.faults_injected += 1;
        stats.rate_limited += u64::from(kind == FaultKind::E429);
    }
    let delay = match kind {
        FaultKind::Hang => Duration::from_secs(sim.config.hang_secs),
        FaultKind::E504 => Duration::from_millis(sim.config.gateway_delay_ms),
        _ => Duration::ZERO,
    };
    if !delay.is_zero() {
        let mut stop = sim.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }
    faults::response(kind, &text)
}

/// `smart-deals-price-check?productId=ID`: the price the offer needs for the Smart Deals badge.
/// The real answer's shape is undocumented; the simulator answers `productId`, `currentPrice`,
/// `targetPrice` (4-dp strings in the offer's currency), `currency` and `isEligible` (the
/// current price is already at or under the target).
fn smart_deals(account: &Account, query: &str) -> (StatusCode, String) {
    let id = query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "productId").then(|| v.parse::<i64>().ok()).flatten()
    });
    let Some(id) = id else {
        return (
            StatusCode::OK,
            error_envelope(account, "productId is required and must be a number".into()),
        );
    };
    let state = lock(&account.state);
    let Some(o) = state.position(id).map(|p| &state.offers[p]) else {
        return (
            StatusCode::OK,
            error_envelope(account, format!("Product {id} does not exist")),
        );
    };
    let target = super::competition::smart_deals_target(o, account.cfg.platform);
    let mut results = String::new();
    let mut w = super::json::Obj::new(&mut results);
    w.int("productId", id);
    w.str("currentPrice", &super::json::money(o.sale));
    w.str("targetPrice", &super::json::money(target));
    w.str("currency", o.currency(account.cfg.platform));
    w.bool("isEligible", o.sale <= target);
    w.end();
    (
        StatusCode::OK,
        envelope(false, &[], !documented(account), &results),
    )
}

fn page_body(account: &Account, filters: &Filters, page: Page) -> String {
    let offers = lock(&account.state).page(filters, page);
    let ctx = if filters.id.is_some() {
        Context::ById
    } else {
        Context::List
    };
    let results = render::offers(&account.cfg, offers.iter(), ctx);
    envelope(false, &[], !documented(account), &results)
}

fn count_body(account: &Account, filters: &Filters, page: Page) -> String {
    let n = lock(&account.state).count(filters) as u64;
    let pages = n.div_ceil(page.per_page);
    let results = if documented(account) {
        format!(
            r#"{{"noOfItems":{n},"noOfPages":{pages},"itemsPerPage":{}}}"#,
            page.per_page
        )
    } else {
        format!(
            r#"{{"noOfItems":"{n}","noOfPages":"{pages}","itemsPerPage":"{}"}}"#,
            page.per_page
        )
    };
    envelope(false, &[], false, &results)
}
