//! Shared helpers for the simulator tests: start an in-process simulator and talk to it over
//! real HTTP on 127.0.0.1.
#![allow(dead_code)]

use magsync::sim::{self, SimAccount, SimConfig, SimHandle};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// A small, unthrottled configuration: tests that do not test the rate limit use `rps: 0`.
pub fn config(accounts: &[(&str, u64)]) -> SimConfig {
    SimConfig {
        accounts: accounts
            .iter()
            .map(|(n, o)| SimAccount::new(n, *o))
            .collect(),
        rps: 0,
        rpm: 0,
        ..SimConfig::default()
    }
}

pub async fn start(config: SimConfig) -> SimHandle {
    sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts")
}

pub fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().build().expect("client")
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub async fn call(
    c: &Client,
    method: Method,
    url: &str,
    auth: Option<(&str, &str)>,
    body: &str,
) -> Answer {
    let mut req = c
        .request(method, url)
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some((u, p)) = auth {
        req = req.basic_auth(u, Some(p));
    }
    let r = req.send().await.expect("request");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    Answer {
        status,
        headers,
        text,
    }
}

/// POST `{base}/{route}` as account `user` with password `demo`.
pub async fn post(c: &Client, h: &SimHandle, user: &str, route: &str, body: &str) -> Answer {
    call(
        c,
        Method::POST,
        &format!("{}/{route}", h.base_url()),
        Some((user, "demo")),
        body,
    )
    .await
}

pub async fn read(c: &Client, h: &SimHandle, user: &str, body: &str) -> Value {
    let a = post(c, h, user, "product_offer/read", body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = a.json();
    assert_eq!(v["isError"], false, "{}", a.text);
    v
}

pub async fn results(c: &Client, h: &SimHandle, user: &str, body: &str) -> Vec<Value> {
    read(c, h, user, body).await["results"]
        .as_array()
        .expect("results list")
        .clone()
}

pub async fn dump_text(c: &Client, h: &SimHandle, account: &str) -> String {
    let a = call(
        c,
        Method::GET,
        &format!("{}/catalogue?account={account}", h.admin_url()),
        None,
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.text
}

pub async fn dump(c: &Client, h: &SimHandle, account: &str) -> Vec<Value> {
    serde_json::from_str(&dump_text(c, h, account).await).expect("dump is a JSON array")
}

pub async fn stats(c: &Client, h: &SimHandle) -> Value {
    call(
        c,
        Method::GET,
        &format!("{}/stats", h.admin_url()),
        None,
        "",
    )
    .await
    .json()
}

pub async fn admin_post(c: &Client, h: &SimHandle, path: &str, body: &str) -> Answer {
    call(
        c,
        Method::POST,
        &format!("{}/{path}", h.admin_url()),
        None,
        body,
    )
    .await
}

/// Every offer of the unfiltered listing, page by page until a short page.
pub async fn scan(c: &Client, h: &SimHandle, user: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let r = results(
            c,
            h,
            user,
            &format!(r#"{{"currentPage":{page},"itemsPerPage":100}}"#),
        )
        .await;
        let short = r.len() < 100;
        all.extend(r);
        if short {
            break;
        }
    }
    all
}
pub fn assert_exact_429(a: &Answer) {
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(a.headers["server"], "kong/0.12.1");
    assert_eq!(a.headers["x-ratelimit-limit-3second"], "1");
    assert_eq!(a.headers["x-ratelimit-remaining-3second"], "0");
    assert!(a.headers.get("retry-after").is_none());
    assert_eq!(a.text, r#"{"message":"API rate limit exceeded"}"#);
}
