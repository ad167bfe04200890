//! Inspection and control routes under `/__admin` (no eMAG auth, not rate-limited, not
//! counted, loopback clients only): catalogue dump, stats, mutate, reset, fault switches.

use super::catalogue::FLAG_CAMPAIGN;
use super::faults::FaultSwitch;
use super::render::{self, Context};
use super::reply;
use super::server::{Account, Sim, lock};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{Response, StatusCode};
use serde::Deserialize;
use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::Arc;

/// Offers rendered per streamed chunk of the catalogue dump.
const CHUNK: usize = 1000;

#[derive(Deserialize)]
pub struct AccountQuery {
    account: String,
    count: Option<usize>,
}

fn refuse(status: StatusCode, message: &str) -> Response<Body> {
    reply::json(
        status,
        format!("{{\"message\":{}}}", serde_json::Value::from(message)),
    )
}

fn guard<'a>(
    sim: &'a Sim,
    peer: SocketAddr,
    account: &str,
) -> Result<&'a Account, Box<Response<Body>>> {
    if !peer.ip().is_loopback() {
        return Err(Box::new(refuse(
            StatusCode::FORBIDDEN,
            "admin routes are for loopback clients only",
        )));
    }
    sim.account(account).ok_or_else(|| {
        Box::new(refuse(
            StatusCode::NOT_FOUND,
            &format!("unknown account {account}"),
        ))
    })
}

fn loopback(peer: SocketAddr) -> Result<(), Box<Response<Body>>> {
    if peer.ip().is_loopback() {
        Ok(())
    } else {
        Err(Box::new(refuse(
            StatusCode::FORBIDDEN,
            "loopback clients only",
        )))
    }
}

/// `GET /__admin/catalogue?account=NAME`: the current catalogue sorted by id, in the account's
/// shape, exactly as list reads render it. Streamed in chunks that resume after the last id
/// sent, so a 1M dump never holds the lock or the whole text at once.
pub async fn catalogue(
    State(sim): State<Arc<Sim>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<AccountQuery>,
) -> Response<Body> {
    if let Err(r) = guard(&sim, peer, &q.account) {
        return *r;
    }
    let name = q.account.clone();
    let stream = futures::stream::unfold(Some((None::<u32>, true)), move |cursor| {
        let sim = sim.clone();
        let name = name.clone();
        async move {
            let (after, first) = cursor?;
            let account = sim.account(&name)?;
            let chunk: Vec<_> = {
                let state = lock(&account.state);
                let start = after.map_or(0, |id| state.offers.partition_point(|o| o.id <= id));
                state.offers[start..].iter().take(CHUNK).cloned().collect()
            };
            let mut text = if first {
                String::from("[")
            } else {
                String::new()
            };
            for (i, o) in chunk.iter().enumerate() {
                if !first || i > 0 {
                    text.push(',');
                }
                render::offer(&mut text, &account.cfg, o, Context::List);
            }
            let next = if chunk.len() < CHUNK {
                text.push(']');
                None
            } else {
                Some((chunk.last().map(|o| o.id), false))
            };
            Some((Ok::<Bytes, std::io::Error>(Bytes::from(text)), next))
        }
    });
    reply::json(StatusCode::OK, Body::from_stream(stream))
}

/// `GET /__admin/stats`: `{"<account>":{…},…,"total":{…}}`.
pub async fn stats(
    State(sim): State<Arc<Sim>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response<Body> {
    if let Err(r) = loopback(peer) {
        return *r;
    }
    let mut out = String::from("{");
    let (mut req, mut limited, mut faults) = (0, 0, 0);
    for a in &sim.accounts {
        let s = lock(&a.stats);
        req += s.requests;
        limited += s.rate_limited;
        faults += s.faults_injected;
        out.push_str(&serde_json::Value::from(a.cfg.name.as_str()).to_string());
        let _ = write!(
            out,
            r#":{{"requests":{},"rate_limited":{},"faults_injected":{},"max_requests_in_any_second":{}"#,
            s.requests, s.rate_limited, s.faults_injected, s.window.max_in_second
        );
        drop(s);
        if sim.config.campaign_rate > 0.0 {
            let state = lock(&a.state);
            let ids: Vec<String> = state
                .offers
                .iter()
                .filter(|o| o.flags & FLAG_CAMPAIGN != 0)
                .map(|o| o.id.to_string())
                .collect();
            let _ = write!(out, r#","campaign_locked":[{}]"#, ids.join(","));
        }
        out.push_str("},");
    }
    let max = lock(&sim.total).max_in_second;
    let _ = write!(
        out,
        r#""total":{{"requests":{req},"rate_limited":{limited},"faults_injected":{faults},"max_requests_in_any_second":{max}}}}}"#
    );
    reply::json(StatusCode::OK, out)
}

/// `POST /__admin/mutate?account=NAME&count=K`: deterministic price/stock changes.
pub async fn mutate(
    State(sim): State<Arc<Sim>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<AccountQuery>,
) -> Response<Body> {
    let account = match guard(&sim, peer, &q.account) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let ids = {
        let mut rng = lock(&account.mutate_rng);
        lock(&account.state).mutate(&mut rng, account.cfg.platform, q.count.unwrap_or(1))
    };
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    reply::json(StatusCode::OK, format!("{{\"ids\":[{}]}}", list.join(",")))
}

#[derive(Deserialize)]
pub struct TruncateQuery {
    account: String,
    keep: usize,
}

/// `POST /__admin/truncate?account=NAME&keep=K`: keeps only the first K offers by id, as a
/// catalogue that suddenly lost most of its offers (or a proxy answering nearly empty).
pub async fn truncate(
    State(sim): State<Arc<Sim>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<TruncateQuery>,
) -> Response<Body> {
    let account = match guard(&sim, peer, &q.account) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (removed, left) = {
        let mut state = lock(&account.state);
        let before = state.offers.len();
        state.offers.truncate(q.keep);
        state.touch();
        (before - state.offers.len(), state.offers.len())
    };
    reply::json(
        StatusCode::OK,
        format!("{{\"removed\":{removed},\"offers\":{left}}}"),
    )
}

/// `POST /__admin/reset`: the seeded catalogue again, zeroed stats, configured faults.
pub async fn reset(
    State(sim): State<Arc<Sim>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response<Body> {
    if let Err(r) = loopback(peer) {
        return *r;
    }
    let s = sim.clone();
    if tokio::task::spawn_blocking(move || s.reset())
        .await
        .is_err()
    {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "reset failed");
    }
    reply::json(StatusCode::OK, r#"{"ok":true}"#)
}

/// `POST /__admin/faults`: runtime fault switches (see `FaultSwitch`).
pub async fn faults(
    State(sim): State<Arc<Sim>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response<Body> {
    if let Err(r) = loopback(peer) {
        return *r;
    }
    let switch: FaultSwitch = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("invalid fault switch: {e}"),
            );
        }
    };
    let mut rt = lock(&sim.faults);
    if let Err(e) = switch.apply(&mut rt, sim.config.clock.now()) {
        return refuse(StatusCode::BAD_REQUEST, &e);
    }
    let kinds: Vec<String> = rt.faults.iter().map(|k| format!("\"{k}\"")).collect();
    reply::json(
        StatusCode::OK,
        format!(
            r#"{{"fault_rate":{},"faults":[{}],"churn_rate":{},"fail_pages":{},"storming":{},"account_outage":{}}}"#,
            rt.fault_rate,
            kinds.join(","),
            rt.churn_rate,
            rt.fail_pages.len(),
            rt.storming(sim.config.clock.now()),
            serde_json::Value::from(rt.outage.clone())
        ),
    )
}

#[derive(Deserialize)]
pub struct CurrencyQuery {
    account: String,
    to: String,
}

/// `POST /__admin/currency?account=NAME&to=BGN|EUR`: a `bg` account's changeover — every price
/// converted at 1.95583 leva per euro and the offers' `currency` switched.
pub async fn currency(
    State(sim): State<Arc<Sim>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<CurrencyQuery>,
) -> Response<Body> {
    let account = match guard(&sim, peer, &q.account) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if account.cfg.platform != super::Platform::Bg {
        return refuse(
            StatusCode::BAD_REQUEST,
            "only bg accounts change between BGN and EUR",
        );
    }
    let to_bgn = match q.to.to_ascii_uppercase().as_str() {
        "BGN" => true,
        "EUR" => false,
        _ => return refuse(StatusCode::BAD_REQUEST, "to must be BGN or EUR"),
    };
    let n = lock(&account.state).convert_bgn(to_bgn);
    reply::json(StatusCode::OK, format!("{{\"converted\":{n}}}"))
}
