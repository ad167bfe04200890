//! Shared helpers for the local-edit tests: a real simulator over HTTP, a real store (SQLite
//! and Postgres), the real engine, and readers of the simulator's inspection routes.
#![allow(dead_code)]

use chrono::Utc;
use magsync::config::{Account, Settings};
use magsync::edits::{self, Edit, EditFilter, EditRequest};
use magsync::emag::{EmagClient, RetryPolicy};
use magsync::model::{ConflictStrategy, RunStatus, SyncMode, Trigger};
use magsync::sim::{self, SimAccount, SimConfig, SimHandle};
use magsync::store::Store;
use magsync::sync::{Engine, Tuning};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

/// An unthrottled simulator (rps 0) unless `rps` says otherwise.
pub fn sim_config(accounts: Vec<SimAccount>, rps: u32) -> SimConfig {
    SimConfig {
        accounts,
        rps,
        rpm: if rps > 0 { 180 } else { 0 },
        ..SimConfig::default()
    }
}

pub async fn start_sim(cfg: SimConfig) -> SimHandle {
    sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts")
}

pub fn account(name: &str, base_url: &str) -> Account {
    Account {
        name: name.to_string(),
        platform: None,
        base_url: base_url.to_string(),
        username: Some(name.to_string()),
        password: Some(SecretString::from("demo")),
        password_problem: None,
        max_pages: None,
        items_per_page: 100,
        log_retention_days: 30,
    }
}

/// The engine with short retry waits; `paced` keeps the real 3 req/s limiter.
pub fn engine(store: &Store, accounts: Vec<Account>, paced: bool) -> Engine {
    let settings = Settings::default();
    let base = Tuning::from_settings(&settings);
    let tuning = Tuning {
        retry: RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
            rate_limit_initial: Duration::from_millis(50),
            rate_limit_cap: Duration::from_millis(400),
            max_consecutive_429: 12,
        },
        min_interval: if paced {
            base.min_interval
        } else {
            Duration::ZERO
        },
        request_timeout: Duration::from_secs(10),
        ..base
    };
    Engine::new(store.clone(), accounts, &settings).with_tuning(tuning)
}

/// A full sync of every status with `strategy`; returns the run id after it completed.
pub async fn sync(engine: &Engine, account: &str, strategy: ConflictStrategy) -> i64 {
    let mut opts = engine.default_options(account, SyncMode::Full);
    opts.include_inactive = true;
    opts.conflict_strategy = strategy;
    let h = engine
        .start(account, opts, Trigger::Cli)
        .await
        .expect("sync starts");
    let run_id = h.run_id;
    let p = h.done.await.expect("run task");
    assert_eq!(
        p.status,
        RunStatus::Completed,
        "sync failed: {:?}",
        p.error_summary
    );
    run_id
}

pub fn client(engine: &Engine, account: &str) -> EmagClient {
    engine.client(account).expect("client")
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The simulator's catalogue of an account, by id.
pub async fn catalogue(h: &SimHandle, account: &str) -> BTreeMap<i64, Value> {
    let v: Vec<Value> = http()
        .get(format!("{}/catalogue?account={account}", h.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v.into_iter()
        .map(|o| (o["id"].as_i64().unwrap(), o))
        .collect()
}

/// Requests the simulator counted for an account.
pub async fn requests(h: &SimHandle, account: &str) -> u64 {
    stats(h).await[account]["requests"].as_u64().unwrap()
}

pub async fn stats(h: &SimHandle) -> Value {
    http()
        .get(format!("{}/stats", h.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn faults(h: &SimHandle, body: Value) {
    let r = http()
        .post(format!("{}/faults", h.admin_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// `POST /__admin/mutate`: the ids whose price and/or stock eMAG changed.
pub async fn mutate(h: &SimHandle, account: &str, count: usize) -> Vec<i64> {
    let v: Value = http()
        .post(format!(
            "{}/mutate?account={account}&count={count}",
            h.admin_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_i64().unwrap())
        .collect()
}

/// A change made on eMAG's side through the real save route (as another tool would).
pub async fn remote_save(h: &SimHandle, account: &str, items: Value) -> Value {
    http()
        .post(format!("{}/offer/save", h.base_url()))
        .basic_auth(account, Some("demo"))
        .json(&items)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => Decimal::from_str(s).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn price_of(o: &Value) -> Decimal {
    dec(&o["sale_price"]).unwrap()
}

pub fn stock_of(o: &Value) -> i64 {
    o["general_stock"].as_i64().unwrap()
}

pub fn price_req(p: Decimal) -> EditRequest {
    EditRequest {
        sale_price: Some(p),
        ..Default::default()
    }
}

/// Queues an edit that validation accepts (panics with the message otherwise).
pub async fn edit(store: &Store, account: &str, id: i64, req: EditRequest) -> Edit {
    edits::queue(
        store,
        account,
        id,
        &req,
        edits::is_fbe_account(account),
        "tester@test via cli",
        Utc::now(),
    )
    .await
    .unwrap_or_else(|f| panic!("queue offer {id}: {}", f.message))
}

/// Every edit of an account (open and history), newest first.
pub async fn all_edits(store: &Store, account: &str) -> Vec<Edit> {
    edits::db::list(
        store,
        &EditFilter {
            account: Some(account.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

pub async fn edit_of(store: &Store, account: &str, id: i64) -> Edit {
    let mut v: Vec<Edit> = all_edits(store, account)
        .await
        .into_iter()
        .filter(|e| e.offer_id == id)
        .collect();
    assert_eq!(v.len(), 1, "exactly one edit of offer {id}");
    v.pop().unwrap()
}

pub async fn mirror_price(store: &Store, account: &str, id: i64) -> Decimal {
    store
        .offers()
        .get(account, id)
        .await
        .unwrap()
        .unwrap()
        .offer
        .sale_price
        .unwrap()
}

/// A price inside the offer's bounds that differs from its current one.
pub fn other_price(o: &Value) -> Decimal {
    let (min, max, cur) = (
        dec(&o["min_sale_price"]).unwrap(),
        dec(&o["max_sale_price"]).unwrap(),
        price_of(o),
    );
    if cur != min { min } else { max }
}
