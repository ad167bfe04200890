//! An independent client written from the eMAG contract alone (emag-api.md §3–§9): builds its
//! own Basic header, pages with the stop rule, retries transient failures, dedupes by id and
//! parses every offer leniently (numbers, numeric strings, bools, nulls; both shapes).

use crate::sim_support;

use base64::Engine;
use magsync::sim::{FaultKind, ShapeVariant};
use rust_decimal::Decimal;
use serde_json::Value;
use sim_support::{config, start};
use std::collections::BTreeMap;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq)]
struct Parsed {
    id: i64,
    part_number: Option<String>,
    name: String,
    currency: String,
    status: i64,
    sale_price: Decimal,
    recommended_price: Option<Decimal>,
    general_stock: i64,
    estimated_stock: i64,
    stock_sum: i64,
    validation: i64,
    offer_validation: i64,
    ownership: i64,
    buy_button_rank: Option<i64>,
    number_of_offers: Option<i64>,
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

fn first_value(v: &Value) -> Option<i64> {
    match v {
        Value::Array(a) => a.first().and_then(|e| int(&e["value"])),
        Value::Object(_) => int(&v["value"]),
        other => int(other),
    }
}

fn parse(o: &Value) -> Result<Parsed, String> {
    let need = |k: &str| o.get(k).ok_or(format!("missing {k}"));
    let stock_sum = match &o["stock"] {
        Value::Array(a) => a.iter().map(|e| int(&e["value"]).unwrap_or(0)).sum(),
        _ => 0,
    };
    let parsed = Parsed {
        id: int(need("id")?).ok_or("bad id")?,
        part_number: o
            .get("part_number")
            .and_then(Value::as_str)
            .map(str::to_string),
        name: need("name")?.as_str().ok_or("bad name")?.to_string(),
        currency: need("currency")?
            .as_str()
            .ok_or("bad currency")?
            .to_string(),
        status: int(need("status")?).ok_or("bad status")?,
        sale_price: decimal(need("sale_price")?).ok_or("bad sale_price")?,
        recommended_price: decimal(&o["recommended_price"]),
        general_stock: o.get("general_stock").and_then(int).unwrap_or(stock_sum),
        estimated_stock: o.get("estimated_stock").and_then(int).unwrap_or(0),
        stock_sum,
        validation: first_value(need("validation_status")?).ok_or("bad validation_status")?,
        offer_validation: first_value(need("offer_validation_status")?)
            .ok_or("bad offer_validation_status")?,
        ownership: match &o["ownership"] {
            Value::Bool(true) => 1,
            Value::Bool(false) => 2,
            v => int(v).ok_or("bad ownership")?,
        },
        buy_button_rank: int(&o["buy_button_rank"]),
        number_of_offers: int(&o["number_of_offers"]),
    };
    if parsed.sale_price.scale() > 4 || parsed.sale_price <= Decimal::ZERO {
        return Err(format!("bad price {}", parsed.sale_price));
    }
    if parsed.estimated_stock > parsed.general_stock || parsed.general_stock != parsed.stock_sum {
        return Err("inconsistent stock".into());
    }
    Ok(parsed)
}

struct Client {
    http: reqwest::Client,
    base: String,
    auth: String,
}

impl Client {
    fn new(base: String, user: &str, pass: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        );
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        Client { http, base, auth }
    }

    /// One read with retries on anything transient (§7.3); `None` after too many attempts.
    async fn read_page(&self, page: u64) -> Option<Vec<Value>> {
        for _ in 0..20 {
            let r = self
                .http
                .post(format!("{}/product_offer/read", self.base))
                .header("Authorization", &self.auth)
                .header("Accept", "application/json")
                .json(&serde_json::json!({"currentPage": page, "itemsPerPage": 100}))
                .send()
                .await;
            let Ok(r) = r else { continue };
            let status = r.status().as_u16();
            assert!(
                status != 401 && status != 403 && status != 404,
                "not transient: {status}"
            );
            let Ok(text) = r.text().await else { continue };
            if status != 200 {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if v.get("isError") != Some(&Value::Bool(false)) {
                continue;
            }
            return v["results"].as_array().cloned();
        }
        None
    }

    async fn scan(&self) -> BTreeMap<i64, Parsed> {
        let mut seen = BTreeMap::new();
        for page in 1..5000 {
            let items = self
                .read_page(page)
                .await
                .expect("page failed after retries");
            for o in &items {
                let p = parse(o).unwrap_or_else(|e| panic!("{e}: {o}"));
                seen.insert(p.id, p);
            }
            if items.len() < 100 {
                break;
            }
        }
        seen
    }
}

#[tokio::test]
async fn independent_client_parses_every_offer_of_every_shape() {
    for variant in [ShapeVariant::A, ShapeVariant::B, ShapeVariant::Mixed] {
        let mut cfg = config(&[("main", 450)]);
        cfg.accounts[0].variant = variant;
        let h = start(cfg).await;
        let client = Client::new(h.base_url(), "main", "demo");
        let got = client.scan().await;
        let dump = sim_support::dump(&sim_support::client(), &h, "main").await;
        assert_eq!(got.len(), dump.len(), "{variant:?}");
        for o in &dump {
            assert_eq!(got[&int(&o["id"]).unwrap()], parse(o).unwrap());
        }
        assert!(
            got.values()
                .all(|p| p.currency == "RON" && !p.name.is_empty())
        );
        h.shutdown().await;
    }
}

#[tokio::test]
async fn independent_client_survives_faults_and_ends_with_the_catalogue() {
    let mut cfg = config(&[("main", 800)]);
    cfg.fault_rate = 0.3;
    cfg.gateway_delay_ms = 5;
    cfg.faults = vec![
        FaultKind::E500,
        FaultKind::E502Html,
        FaultKind::E503,
        FaultKind::E504,
        FaultKind::Malformed,
        FaultKind::IsError,
        FaultKind::MissingIsError,
        FaultKind::E429,
    ];
    let h = start(cfg).await;
    let client = Client::new(h.base_url(), "main", "demo");
    let got = client.scan().await;
    let dump = sim_support::dump(&sim_support::client(), &h, "main").await;
    let expected: BTreeMap<i64, Parsed> = dump
        .iter()
        .map(|o| parse(o).unwrap())
        .map(|p| (p.id, p))
        .collect();
    assert_eq!(got, expected);
    let stats = sim_support::stats(&sim_support::client(), &h).await;
    assert!(stats["main"]["faults_injected"].as_u64().unwrap() > 0);
    h.shutdown().await;
}

#[tokio::test]
async fn independent_client_under_churn_sees_live_offers_only_once_each() {
    let mut cfg = config(&[("main", 600)]);
    cfg.churn_rate = 0.5;
    let h = start(cfg).await;
    let got = Client::new(h.base_url(), "main", "demo").scan().await;
    let dump = sim_support::dump(&sim_support::client(), &h, "main").await;
    // Churn can skip or duplicate across pages; dedupe keeps one copy per id, and most of the
    // final catalogue was seen.
    let live = dump
        .iter()
        .filter(|o| got.contains_key(&int(&o["id"]).unwrap()))
        .count();
    assert!(live * 10 >= dump.len() * 8, "{live} of {}", dump.len());
    h.shutdown().await;
}
