//! The eMAG client against the project's simulator over real HTTP: decoding of whole
//! catalogues, pacing within 3 requests per second, and every row of the §7.3 error table.

use crate::emag_support;
use magsync::model::OfferStatus;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use emag_support::*;
use magsync::emag::wire::decode_offer;
use magsync::emag::{CallObserver, EmagClient, EmagError, OfferFilter, OfferUpdate};
use magsync::model::WarehouseValue;
use magsync::sim::ShapeVariant;
use rust_decimal::Decimal;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Counter {
    requests: AtomicU32,
    retries: AtomicU32,
    limited: AtomicU32,
}

impl CallObserver for Counter {
    fn on_request(&self, _path: &str) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }
    fn on_retry(&self, _a: u32, _m: u32, _w: Duration, _e: &EmagError) {
        self.retries.fetch_add(1, Ordering::SeqCst);
    }
    fn on_rate_limited(&self, _w: Duration) {
        self.limited.fetch_add(1, Ordering::SeqCst);
    }
}

async fn read_all(c: &EmagClient, filter: &OfferFilter) -> Vec<magsync::model::Offer> {
    let mut out = Vec::new();
    for page in 1.. {
        let offers = c.read_offers(filter, page, 100).await.expect("page");
        let n = offers.len();
        out.extend(offers);
        if n < 100 {
            break;
        }
    }
    out
}

#[tokio::test]
async fn every_offer_decodes_exactly_as_the_catalogue_in_both_shape_variants() {
    let mut cfg = sim_config(&[("main", 430), ("bee", 250), ("mix", 250)]);
    cfg.accounts[1].variant = ShapeVariant::B;
    cfg.accounts[2].variant = ShapeVariant::Mixed;
    let h = start(cfg).await;
    for account in ["main", "bee", "mix"] {
        let c = client(&h, account);
        let count = c.count_offers(&OfferFilter::default()).await.unwrap();
        let mut got = read_all(&c, &OfferFilter::default()).await;
        got.sort_by_key(|o| o.id);
        let expected: Vec<_> = catalogue(&h, account)
            .await
            .iter()
            .map(|v| decode_offer(v).unwrap())
            .collect();
        assert_eq!(count.items as usize, expected.len(), "{account}");
        assert_eq!(got.len(), expected.len(), "{account}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g, e, "{account} offer {}", e.id);
        }
        // Money is exact, 4 dp at most, never through a float.
        assert!(got.iter().all(|o| {
            o.sale_price
                .is_some_and(|p| p.scale() <= 4 && p > Decimal::ZERO)
        }));
        let active = c.count_offers(&OfferFilter::active()).await.unwrap();
        let listed = read_all(&c, &OfferFilter::active()).await;
        assert_eq!(active.items as usize, listed.len());
        assert!(listed.iter().all(|o| o.status == Some(OfferStatus::Active)));
    }
    h.shutdown().await;
}

#[tokio::test]
async fn concurrent_calls_share_one_budget_of_three_per_second() {
    let mut cfg = sim_config(&[("main", 1274)]);
    cfg.rps = 3;
    cfg.rpm = 180;
    let h = start(cfg).await;
    let mut ccfg = client_config(&h, "main");
    ccfg.min_interval = magsync::emag::DEFAULT_MIN_INTERVAL;
    let base = EmagClient::new(ccfg).unwrap();
    let counter = Arc::new(Counter::default());
    let mut tasks = Vec::new();
    for page in 1..=14u32 {
        // Separate clones, as the engine's page tasks use: they must share the limiter.
        let c = base.observed(counter.clone());
        tasks.push(tokio::spawn(async move {
            c.read_offers(&OfferFilter::default(), page, 100).await
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap().unwrap().len();
    }
    assert_eq!(total, 1274);
    let s = stats(&h, "main").await;
    assert_eq!(s["rate_limited"], 0, "{s}");
    assert!(
        s["max_requests_in_any_second"].as_u64().unwrap() <= 3,
        "{s}"
    );
    assert_eq!(s["requests"], 14);
    assert_eq!(counter.limited.load(Ordering::SeqCst), 0);
    h.shutdown().await;
}

#[tokio::test]
async fn authentication_failures_are_never_retried() {
    let h = start(sim_config(&[("main", 10)])).await;
    let mut cfg = client_config(&h, "main");
    cfg.password = SecretString::from("wrong");
    let c = EmagClient::new(cfg).unwrap();
    let counter = Arc::new(Counter::default());
    let err = c
        .observed(counter.clone())
        .count_offers(&OfferFilter::default())
        .await
        .unwrap_err();
    match &err {
        EmagError::Auth { message } => assert!(
            message.contains("403") && message.contains("not allowed"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(counter.requests.load(Ordering::SeqCst), 1);
    assert_eq!(counter.retries.load(Ordering::SeqCst), 0);

    let mut cfg = client_config(&h, "nobody");
    cfg.username = String::new();
    let err = EmagClient::new(cfg)
        .unwrap()
        .count_offers(&OfferFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(err, EmagError::Auth { .. }), "{err:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn wrong_base_url_and_unreachable_host_are_clear() {
    let h = start(sim_config(&[("main", 10)])).await;
    let mut cfg = client_config(&h, "main");
    cfg.base_url = h.base_url().replace("/api-3", "/api-2");
    let err = EmagClient::new(cfg)
        .unwrap()
        .count_offers(&OfferFilter::default())
        .await
        .unwrap_err();
    assert_eq!(err, EmagError::InvalidUrl { status: 404 });
    assert!(err.to_string().contains("base URL"));

    let mut cfg = client_config(&h, "main");
    cfg.base_url = "http://127.0.0.1:1/api-3".into();
    cfg.retry.max_attempts = 2;
    let err = EmagClient::new(cfg)
        .unwrap()
        .count_offers(&OfferFilter::default())
        .await
        .unwrap_err();
    match &err {
        EmagError::Connect { message } => assert!(message.contains("127.0.0.1:1"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("cannot reach eMAG"));

    let mut cfg = client_config(&h, "main");
    cfg.base_url = "not a url".into();
    assert!(matches!(
        EmagClient::new(cfg),
        Err(EmagError::Config { .. })
    ));
    h.shutdown().await;
}

type Check = fn(&EmagError) -> bool;

#[tokio::test]
async fn each_fault_kind_is_retried_then_reported_with_status_and_body() {
    let h = start(sim_config(&[("main", 120)])).await;
    let cases: &[(&str, Check)] = &[
        ("500", |e| {
            matches!(e, EmagError::Server { status: 500, .. })
        }),
        (
            "502html",
            |e| matches!(e, EmagError::Server { status: 502, snippet } if snippet.contains("502 Bad Gateway")),
        ),
        ("503", |e| {
            matches!(e, EmagError::Server { status: 503, .. })
        }),
        ("504", |e| {
            matches!(e, EmagError::Server { status: 504, .. })
        }),
        ("malformed", |e| {
            matches!(e, EmagError::Malformed { status: 200, .. })
        }),
        ("missingiserror", |e| {
            matches!(e, EmagError::Malformed { status: 200, .. })
        }),
        (
            "iserror",
            |e| matches!(e, EmagError::Api { messages } if !messages.is_empty()),
        ),
        ("hang", |e| matches!(e, EmagError::Timeout)),
    ];
    for (kind, check) in cases {
        faults(&h, &format!(r#"{{"fault_rate":1.0,"faults":["{kind}"]}}"#)).await;
        let mut cfg = client_config(&h, "main");
        cfg.retry.max_attempts = 3;
        cfg.request_timeout = Duration::from_millis(300);
        let counter = Arc::new(Counter::default());
        let c = EmagClient::new(cfg).unwrap().observed(counter.clone());
        let err = c
            .read_offers(&OfferFilter::default(), 1, 100)
            .await
            .unwrap_err();
        assert!(check(&err), "{kind}: {err:?}");
        assert!(err.is_transient(), "{kind}");
        assert_eq!(counter.requests.load(Ordering::SeqCst), 3, "{kind}");
        assert_eq!(counter.retries.load(Ordering::SeqCst), 2, "{kind}");
    }
    // With faults on 50 % of requests, retries get every page through.
    faults(&h, r#"{"fault_rate":0.5,"faults":["500","502html","malformed","iserror","missingiserror","504"]}"#).await;
    let offers = read_all(&client(&h, "main"), &OfferFilter::default()).await;
    assert_eq!(offers.len(), 120);
    h.shutdown().await;
}

#[tokio::test]
async fn rate_limit_storms_make_the_account_wait_and_recover() {
    let h = start(sim_config(&[("main", 50)])).await;
    faults(&h, r#"{"storm_ms":400}"#).await;
    let counter = Arc::new(Counter::default());
    let c = client(&h, "main").observed(counter.clone());
    let count = c.count_offers(&OfferFilter::default()).await.unwrap();
    assert_eq!(count.items, 50);
    assert!(counter.limited.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        counter.retries.load(Ordering::SeqCst),
        0,
        "429s have their own budget"
    );

    // A storm longer than 8 doubling waits gives up with RateLimited.
    faults(&h, r#"{"storm_ms":60000}"#).await;
    let mut cfg = client_config(&h, "main");
    cfg.retry.rate_limit_initial = Duration::from_millis(1);
    cfg.retry.rate_limit_cap = Duration::from_millis(5);
    let err = EmagClient::new(cfg)
        .unwrap()
        .count_offers(&OfferFilter::default())
        .await
        .unwrap_err();
    assert_eq!(err, EmagError::RateLimited);

    // Cancellation ends a wait at once.
    let mut cfg = client_config(&h, "main");
    cfg.retry.rate_limit_initial = Duration::from_secs(600);
    cfg.retry.rate_limit_cap = Duration::from_secs(600);
    let token = CancellationToken::new();
    let c = EmagClient::new(cfg).unwrap().with_cancel(token.clone());
    let task = tokio::spawn(async move { c.count_offers(&OfferFilter::default()).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    token.cancel();
    assert_eq!(task.await.unwrap().unwrap_err(), EmagError::Cancelled);
    h.shutdown().await;
}

#[tokio::test]
async fn read_by_id_save_and_vat() {
    let h = start(sim_config(&[("main", 40), ("fbe", 40)])).await;
    let c = client(&h, "main");
    let all = read_all(&c, &OfferFilter::default()).await;
    let target = all
        .iter()
        .find(|o| o.status == Some(OfferStatus::Active) && o.min_sale_price.is_some())
        .unwrap()
        .clone();
    let got = c
        .read_offer(target.id)
        .await
        .unwrap()
        .expect("offer exists");
    assert_eq!(got.id, target.id);
    assert_eq!(c.read_offer(4_000_000_000).await.unwrap(), None);

    // A price inside [min, max] with 4 decimals, and an invalid stock on another offer.
    let min = target.min_sale_price.unwrap();
    let new_price = min + Decimal::new(1234, 4);
    let other = all.iter().find(|o| o.id != target.id).unwrap().id;
    let results = c
        .save_offers(&[
            OfferUpdate {
                id: target.id,
                sale_price: Some(new_price),
                ..Default::default()
            },
            OfferUpdate {
                id: other,
                stock: Some(vec![WarehouseValue {
                    warehouse_id: 1,
                    value: 70000,
                }]),
                ..Default::default()
            },
        ])
        .await
        .unwrap();
    assert!(!results[&target.id].is_error, "{:?}", results[&target.id]);
    assert!(results[&other].is_error);
    assert!(
        results[&other].messages.iter().any(|m| m.contains("65535")),
        "{:?}",
        results[&other]
    );
    let after = c.read_offer(target.id).await.unwrap().unwrap();
    assert_eq!(after.sale_price, Some(new_price));

    let too_many: Vec<OfferUpdate> = (0..51)
        .map(|i| OfferUpdate {
            id: i + 1,
            ..Default::default()
        })
        .collect();
    assert!(matches!(
        c.save_offers(&too_many).await,
        Err(EmagError::Config { .. })
    ));

    let vat = c.vat_rates().await.unwrap();
    let default = vat
        .iter()
        .find(|v| v.is_default)
        .expect("a default VAT rate");
    assert_eq!(default.rate, Decimal::new(21, 2));
    h.shutdown().await;
}
