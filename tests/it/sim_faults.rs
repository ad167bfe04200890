//! Fault injection over real HTTP: configured fault rates, hangs, and the runtime switches of
//! `POST /__admin/faults` (failing pages, 429 storms, account outages, real-API quirks).

use crate::sim_support;

use magsync::sim::FaultKind;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sim_support::*;
use std::time::Duration;

fn classify(a: &Answer) -> &'static str {
    match a.status.as_u16() {
        429 => "429",
        500 => "500",
        502 if a.headers["content-type"] == "text/html" && a.text.contains("502 Bad Gateway") => {
            "502html"
        }
        503 => "503",
        504 => "504",
        200 => match serde_json::from_str::<Value>(&a.text) {
            Err(_) => "malformed",
            Ok(v) if v.get("isError").is_none() => "missingiserror",
            Ok(v) if v["isError"] == true => "iserror",
            Ok(_) => "ok",
        },
        _ => "other",
    }
}

#[tokio::test]
async fn faults_occur_at_the_configured_rate_and_deterministically() {
    let run = || async {
        let mut cfg = config(&[("main", 50)]);
        cfg.fault_rate = 0.2;
        cfg.gateway_delay_ms = 5;
        cfg.faults = [
            "500",
            "502html",
            "503",
            "504",
            "malformed",
            "iserror",
            "missingiserror",
            "429",
        ]
        .iter()
        .map(|k| k.parse::<FaultKind>().unwrap())
        .collect();
        let h = start(cfg).await;
        let c = client();
        let mut kinds = Vec::new();
        for i in 0..1000 {
            let route = if i % 2 == 0 {
                "product_offer/count"
            } else {
                "product_offer/read"
            };
            kinds.push(classify(
                &post(&c, &h, "main", route, r#"{"itemsPerPage":2}"#).await,
            ));
        }
        let s = stats(&c, &h).await;
        h.shutdown().await;
        (kinds, s)
    };
    let (kinds, s) = run().await;
    let faults = kinds.iter().filter(|k| **k != "ok").count();
    // Binomial(1000, 0.2): sd ≈ 12.6; ±60 is almost five of them.
    assert!(
        (140..=260).contains(&faults),
        "{faults} faults in 1000 requests"
    );
    assert_eq!(s["main"]["faults_injected"], faults);
    assert!(!kinds.contains(&"other"));
    for k in [
        "500",
        "502html",
        "503",
        "504",
        "malformed",
        "iserror",
        "missingiserror",
        "429",
    ] {
        assert!(kinds.contains(&k), "fault kind {k} never seen");
    }
    assert_eq!(run().await.0, kinds, "same fault seed, same faults");
}

#[tokio::test]
async fn hang_holds_the_request_until_the_client_gives_up() {
    let mut cfg = config(&[("main", 5)]);
    cfg.fault_rate = 1.0;
    cfg.faults = vec![FaultKind::Hang];
    let h = start(cfg).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let r = c
        .post(format!("{}/product_offer/read", h.base_url()))
        .basic_auth("main", Some("demo"))
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));
    // Other routes are not affected by read/count faults.
    assert_eq!(
        post(&client(), &h, "main", "vat/read", "").await.status,
        StatusCode::OK
    );
    h.shutdown().await;
}

#[tokio::test]
async fn runtime_switches_fail_pages_storms_and_outages() {
    let h = start(config(&[("main", 350), ("fbe", 10)])).await;
    let c = client();
    let r = admin_post(
        &c,
        &h,
        "faults",
        r#"{"fail_pages":[{"account":"main","page":3}]}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for _ in 0..3 {
        assert_eq!(
            post(&c, &h, "main", "product_offer/read", r#"{"currentPage":3}"#)
                .await
                .status,
            500
        );
    }
    assert_eq!(
        post(&c, &h, "main", "product_offer/read", r#"{"currentPage":2}"#)
            .await
            .status,
        200
    );
    assert_eq!(
        post(&c, &h, "fbe", "product_offer/read", r#"{"currentPage":3}"#)
            .await
            .status,
        200
    );
    admin_post(
        &c,
        &h,
        "faults",
        r#"{"fail_pages":[],"account_outage":"fbe"}"#,
    )
    .await;
    assert_eq!(
        post(&c, &h, "fbe", "product_offer/count", "{}")
            .await
            .status,
        503
    );
    assert_eq!(
        post(&c, &h, "main", "product_offer/read", r#"{"currentPage":3}"#)
            .await
            .status,
        200
    );
    admin_post(
        &c,
        &h,
        "faults",
        r#"{"account_outage":null,"storm_ms":60000}"#,
    )
    .await;
    assert_exact_429(&post(&c, &h, "fbe", "product_offer/count", "{}").await);
    assert_exact_429(&post(&c, &h, "main", "offer/save", "[]").await);
    admin_post(
        &c,
        &h,
        "faults",
        r#"{"storm_ms":0,"fault_rate":1.0,"faults":["iserror"]}"#,
    )
    .await;
    assert_eq!(
        classify(&post(&c, &h, "main", "product_offer/count", "{}").await),
        "iserror"
    );
    let bad = admin_post(&c, &h, "faults", r#"{"faults":["teapot"]}"#).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Reset restores the configured (fault-free) behaviour and zeroes the stats.
    admin_post(&c, &h, "reset", "").await;
    assert_eq!(stats(&c, &h).await["total"]["requests"], 0);
    assert_eq!(
        classify(&post(&c, &h, "main", "product_offer/count", "{}").await),
        "ok"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn optional_real_quirks_wrapped_filters_ignored_and_strict_page_size() {
    let h = start(config(&[("main", 150)])).await;
    let c = client();
    let r = admin_post(
        &c,
        &h,
        "faults",
        r#"{"ignore_wrapped_filters":true,"strict_page_size":true}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let wrapped = results(&c, &h, "main", r#"{"data":{"status":0,"itemsPerPage":5}}"#).await;
    assert_eq!(wrapped.len(), 100, "the whole catalogue comes back");
    assert!(wrapped.iter().any(|o| o["status"] == 1));
    let big = post(
        &c,
        &h,
        "main",
        "product_offer/read",
        r#"{"itemsPerPage":101}"#,
    )
    .await
    .json();
    assert_eq!(big["isError"], true);
    assert_eq!(
        big["messages"],
        json!(["Reading products is limited to maximum 100 elements"])
    );
    h.shutdown().await;
}
