//! Helpers for the client and engine tests: an in-process simulator over real HTTP, its admin
//! routes, and client/engine settings with waits shrunk so faults resolve in milliseconds.
#![allow(dead_code)]

use magsync::model::OfferStatus;
use std::time::Duration;

use magsync::emag::{ClientConfig, EmagClient, RetryPolicy};
use magsync::sim::{self, SimAccount, SimConfig, SimHandle};
use secrecy::SecretString;
use serde_json::Value;

/// An unthrottled simulator config (rate-limit tests turn it back on).
pub fn sim_config(accounts: &[(&str, u64)]) -> SimConfig {
    SimConfig {
        accounts: accounts
            .iter()
            .map(|(n, o)| SimAccount::new(n, *o))
            .collect(),
        rps: 0,
        rpm: 0,
        hang_secs: 3,
        gateway_delay_ms: 20,
        ..SimConfig::default()
    }
}

pub async fn start(cfg: SimConfig) -> SimHandle {
    sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts")
}

/// Retries in milliseconds instead of seconds; enough attempts that 10 % faults never exhaust.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(40),
        rate_limit_initial: Duration::from_millis(20),
        rate_limit_cap: Duration::from_millis(200),
        max_consecutive_429: 8,
    }
}

pub fn client_config(h: &SimHandle, account: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(account, &h.base_url(), account, SecretString::from("demo"));
    cfg.retry = fast_retry();
    cfg.min_interval = Duration::ZERO;
    cfg.request_timeout = Duration::from_millis(800);
    cfg.connect_timeout = Duration::from_millis(800);
    cfg
}

pub fn client(h: &SimHandle, account: &str) -> EmagClient {
    EmagClient::new(client_config(h, account)).expect("client")
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn admin_get(h: &SimHandle, route: &str) -> Value {
    let r = http()
        .get(format!("{}/{route}", h.admin_url()))
        .send()
        .await
        .expect("admin get");
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
    r.json().await.expect("admin JSON")
}

pub async fn admin_post(h: &SimHandle, route: &str, body: &str) -> Value {
    let r = http()
        .post(format!("{}/{route}", h.admin_url()))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("admin post");
    let status = r.status();
    let text = r.text().await.expect("admin body");
    assert!(status.is_success(), "admin {route}: {status} {text}");
    serde_json::from_str(&text).expect("admin JSON")
}

/// The account's catalogue as the simulator holds it now (sorted by id).
pub async fn catalogue(h: &SimHandle, account: &str) -> Vec<Value> {
    match admin_get(h, &format!("catalogue?account={account}")).await {
        Value::Array(items) => items,
        other => panic!("catalogue is not a list: {other}"),
    }
}

pub async fn stats(h: &SimHandle, account: &str) -> Value {
    admin_get(h, "stats").await[account].clone()
}

pub async fn faults(h: &SimHandle, switch: &str) {
    admin_post(h, "faults", switch).await;
}

/// Ids changed by `__admin/mutate`.
pub async fn mutate(h: &SimHandle, account: &str, count: usize) -> Vec<i64> {
    let v = admin_post(h, &format!("mutate?account={account}&count={count}"), "").await;
    v["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|i| i.as_i64().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Engine helpers

use magsync::config::{Account, Settings};
use magsync::model::{Offer, RunStatus, SyncMode, SyncOptions, SyncRun, Trigger};
use magsync::sync::{Engine, RunProgress, Tuning};
use magsync::testing::TestDb;

pub fn account(h: &SimHandle, name: &str) -> Account {
    Account {
        name: name.to_string(),
        platform: None,
        base_url: h.base_url(),
        username: Some(name.to_string()),
        password: Some(SecretString::from("demo")),
        password_problem: None,
        max_pages: None,
        items_per_page: 100,
        log_retention_days: 30,
    }
}

pub fn tuning() -> Tuning {
    Tuning {
        retry: fast_retry(),
        min_interval: Duration::ZERO,
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(3),
        concurrency: 4,
        progress_interval: Duration::from_millis(50),
        confirm_limit: 50,
        max_batch_pages: 10,
    }
}

pub fn engine(db: &TestDb, h: &SimHandle, accounts: &[&str]) -> Engine {
    let accounts = accounts.iter().map(|a| account(h, a)).collect();
    Engine::new(db.store.clone(), accounts, &Settings::default()).with_tuning(tuning())
}

pub fn full(include_inactive: bool) -> SyncOptions {
    SyncOptions {
        mode: SyncMode::Full,
        include_inactive,
        ..SyncOptions::default()
    }
}

/// Starts a run and waits for its end; returns the final snapshot and the stored row.
pub async fn run(engine: &Engine, account: &str, options: SyncOptions) -> (RunProgress, SyncRun) {
    let handle = engine
        .start(account, options, Trigger::Cli)
        .await
        .expect("run starts");
    let last = handle.done.await.expect("run task");
    let row = engine
        .store()
        .runs()
        .get(handle.run_id)
        .await
        .unwrap()
        .expect("run row");
    assert_eq!(row.status, last.status);
    assert_eq!(
        row.counts, last.counts,
        "persisted counts equal the final snapshot"
    );
    (last, row)
}

pub async fn run_ok(
    engine: &Engine,
    account: &str,
    options: SyncOptions,
) -> (RunProgress, SyncRun) {
    let (p, row) = run(engine, account, options).await;
    assert_eq!(p.status, RunStatus::Completed, "{:?}", row.error_summary);
    (p, row)
}

/// Stored offers (not flagged missing) of an account, by id.
pub async fn mirror(db: &TestDb, account: &str) -> Vec<Offer> {
    db.store
        .offers()
        .of_account(account)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.missing_since.is_none())
        .map(|s| s.offer)
        .collect()
}

/// The simulator's catalogue decoded like the client decodes pages, optionally active only.
pub async fn expected(h: &SimHandle, account: &str, active_only: bool) -> Vec<Offer> {
    catalogue(h, account)
        .await
        .iter()
        .map(|v| magsync::emag::wire::decode_offer(v).unwrap())
        .filter(|o| !active_only || o.status == Some(OfferStatus::Active))
        .collect()
}

/// Field-by-field equality of the mirror and the catalogue, with the first difference named.
pub async fn assert_mirror(db: &TestDb, h: &SimHandle, account: &str, active_only: bool) {
    let got = mirror(db, account).await;
    let want = expected(h, account, active_only).await;
    let got_ids: Vec<i64> = got.iter().map(|o| o.id).collect();
    let want_ids: Vec<i64> = want.iter().map(|o| o.id).collect();
    assert_eq!(got_ids.len(), want_ids.len(), "[{}] offer count", db.label);
    assert_eq!(got_ids, want_ids, "[{}] offer ids", db.label);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "[{}] offer {}", db.label, w.id);
        // Stored raw JSON is compared by content too, not only by the hash stored with it.
        assert_eq!(
            g.raw.to_value(),
            w.raw.to_value(),
            "[{}] raw of offer {}",
            db.label,
            w.id
        );
    }
}
