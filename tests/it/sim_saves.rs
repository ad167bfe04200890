//! Saves over real HTTP: validation per §10.4 and the effect on later reads and dumps.

use crate::sim_support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sim_support::*;

async fn offer(c: &reqwest::Client, h: &magsync::sim::SimHandle, user: &str, id: &Value) -> Value {
    results(c, h, user, &json!({ "id": id }).to_string())
        .await
        .remove(0)
}

fn units(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn offer_save_validates_per_item_and_really_changes_the_catalogue() {
    let h = start(config(&[("main", 50)])).await;
    let c = client();
    let all = dump(&c, &h, "main").await;
    let (a, b) = (&all[3], &all[4]);
    let (min, max) = (units(&a["min_sale_price"]), units(&a["max_sale_price"]));
    let new_price = ((min + max) / rust_decimal::Decimal::TWO).round_dp(2);
    let body = json!([
        {"id": a["id"], "sale_price": new_price.to_string(), "stock": [{"warehouse_id": 1, "value": 18}]},
        {"id": b["id"], "stock": [{"warehouse_id": 1, "value": -1}]},
        {"id": 7, "status": 1}
    ]);
    let r = post(&c, &h, "main", "offer/save", &body.to_string())
        .await
        .json();
    assert_eq!(r["isError"], false);
    assert_eq!(r["errors"], json!([]));
    let key = |v: &Value| v["id"].to_string();
    assert_eq!(
        r["results"][key(a)],
        json!({"isError": false, "messages": [format!("Offer {} updated successfully", a["id"])]})
    );
    assert_eq!(
        r["results"][key(b)],
        json!({"isError": true, "messages": ["Stock should be 0 or more"]})
    );
    assert_eq!(r["results"]["7"]["isError"], true);
    let now = offer(&c, &h, "main", &a["id"]).await;
    assert_eq!(units(&now["sale_price"]), new_price);
    assert_eq!(now["general_stock"], 18);
    assert_eq!(now["stock"], json!([{"warehouse_id": 1, "value": 18}]));
    let dumped = dump(&c, &h, "main").await;
    assert_eq!(dumped[4], *b, "failed item left untouched");
    assert_eq!(
        dumped[3]["general_stock"], 18,
        "the dump sees the change at once"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn validation_rules_of_10_4() {
    let h = start(config(&[("main", 20), ("fbe", 20)])).await;
    let c = client();
    let o = &dump(&c, &h, "main").await[0];
    let id = o["id"].clone();
    let max = units(&o["max_sale_price"]);
    let cases = [
        (
            json!({"id": id, "sale_price": (max + rust_decimal::Decimal::ONE).to_string()}),
            "Sale price must be between",
        ),
        (
            json!({"id": id, "sale_price": 10, "min_sale_price": 20, "max_sale_price": 30}),
            "Sale price must be between",
        ),
        (
            json!({"id": id, "min_sale_price": 50, "max_sale_price": 40}),
            "Invalid price interval",
        ),
        (
            json!({"id": id, "min_sale_price": 0}),
            "Invalid price interval",
        ),
        (
            json!({"id": id, "sale_price": "12.34567"}),
            "Price must have at most 4 decimals",
        ),
        (
            json!({"id": id, "recommended_price": 0.5}),
            "Recommended price must be greater than sale price",
        ),
        (
            json!({"id": id, "stock": [{"warehouse_id": 1, "value": 65536}]}),
            "Stock should be at most 65535",
        ),
        (json!({"id": id, "status": 3}), "Invalid status"),
        (json!({"id": id, "vat_id": 99}), "Invalid vat_id"),
        (
            json!({"id": id, "handling_time": [{"warehouse_id": 1, "value": 4}]}),
            "Invalid handling_time",
        ),
        (
            json!({"id": id, "currency_type": "USD"}),
            "Invalid currency_type",
        ),
    ];
    for (item, message) in cases {
        let r = post(&c, &h, "main", "offer/save", &json!([item]).to_string())
            .await
            .json();
        let msgs = r["results"][id.to_string()]["messages"].to_string();
        assert!(msgs.contains(message), "{item} → {msgs}");
    }
    assert_eq!(
        dump(&c, &h, "main").await[0],
        *o,
        "no failed item changed anything"
    );
    let ok = json!([{"id": id, "status": 0, "vat_id": 10, "handling_time": [{"warehouse_id": 1, "value": 3}],
                     "recommended_price": null, "min_sale_price": "1.0000", "max_sale_price": 99999, "sale_price": 5.5}]);
    let r = post(&c, &h, "main", "offer/save", &ok.to_string())
        .await
        .json();
    assert_eq!(r["results"][id.to_string()]["isError"], false, "{r}");
    let now = offer(&c, &h, "main", &id).await;
    assert_eq!(
        (
            &now["status"],
            &now["vat_id"],
            &now["handling_time"][0]["value"],
            &now["sale_price"],
            &now["recommended_price"]
        ),
        (
            &json!(0),
            &json!(10),
            &json!(3),
            &json!("5.5000"),
            &Value::Null
        )
    );
    assert!(
        now["buy_button_rank"].is_null(),
        "inactive offers have no buy button rank in variant A"
    );
    // Envelope-level failures: > 50 items, no id, duplicate id, unparsable body.
    let many: Vec<Value> = (0..51)
        .map(|i| json!({"id": 100 + i, "status": 1}))
        .collect();
    for (body, message) in [
        (json!(many).to_string(), "Maximum 50 items per request"),
        (json!([{"status": 1}]).to_string(), "valid id"),
        (json!([{"id": id}, {"id": id}]).to_string(), "Duplicate"),
        ("id=5".to_string(), "Invalid request body"),
    ] {
        let r = post(&c, &h, "main", "offer/save", &body).await.json();
        assert_eq!(r["isError"], true);
        assert!(r["messages"].to_string().contains(message), "{r}");
    }
    // FBE stock is managed by eMAG; FBE prices may change.
    let f = &dump(&c, &h, "fbe").await[0];
    let r = post(
        &c,
        &h,
        "fbe",
        "offer/save",
        &json!([{"id": f["id"], "stock": [{"warehouse_id":1,"value":3}]}]).to_string(),
    )
    .await
    .json();
    assert_eq!(
        r["results"][f["id"].to_string()]["messages"],
        json!(["Stock of FBE offers is managed by eMAG"])
    );
    h.shutdown().await;
}

#[tokio::test]
async fn save_bodies_may_be_wrapped_in_data() {
    let h = start(config(&[("main", 10)])).await;
    let c = client();
    let id = dump(&c, &h, "main").await[2]["id"].clone();
    let r = post(
        &c,
        &h,
        "main",
        "offer/save",
        &json!({"data": {"id": id, "stock": 4}}).to_string(),
    )
    .await
    .json();
    assert_eq!(r["results"][id.to_string()]["isError"], false);
    let r = post(
        &c,
        &h,
        "main",
        "offer/save",
        &json!({"data": [{"id": id, "stock": 5}]}).to_string(),
    )
    .await
    .json();
    assert_eq!(r["results"][id.to_string()]["isError"], false);
    assert_eq!(offer(&c, &h, "main", &id).await["general_stock"], 5);
    h.shutdown().await;
}

#[tokio::test]
async fn product_offer_save_updates_existing_offers_only() {
    let h = start(config(&[("main", 10)])).await;
    let c = client();
    let o = dump(&c, &h, "main").await[1].clone();
    let good = json!([{"id": o["id"], "status": 1, "sale_price": o["sale_price"], "vat_id": 9,
                       "handling_time": [{"warehouse_id": 1, "value": 1}], "stock": [{"warehouse_id": 1, "value": 9}]}]);
    let r = post(&c, &h, "main", "product_offer/save", &good.to_string())
        .await
        .json();
    assert_eq!(r, json!({"isError": false, "messages": [], "results": []}));
    assert_eq!(offer(&c, &h, "main", &o["id"]).await["general_stock"], 9);
    let bad = json!([{"id": 3, "status": 1}, {"id": o["id"], "stock": 70000}]);
    let r = post(&c, &h, "main", "product_offer/save", &bad.to_string())
        .await
        .json();
    assert_eq!(r["isError"], true);
    assert_eq!(
        r["messages"],
        json!([
            "Offer 3: Offer 3 does not exist",
            format!("Offer {}: Stock should be at most 65535", o["id"])
        ])
    );
    h.shutdown().await;
}

#[tokio::test]
async fn patch_offer_stock() {
    let h = start(config(&[("main", 10), ("fbe", 10)])).await;
    let c = client();
    let o = dump(&c, &h, "main").await[5].clone();
    let url = |_acc: &str, id: &Value| format!("{}/offer_stock/{id}", h.base_url());
    let auth = Some(("main", "demo"));
    let ok = call(
        &c,
        Method::PATCH,
        &url("main", &o["id"]),
        auth,
        r#"{"stock": 21}"#,
    )
    .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert!(ok.text.is_empty());
    let now = offer(&c, &h, "main", &o["id"]).await;
    assert_eq!(now["stock"], json!([{"warehouse_id": 1, "value": 21}]));
    assert_eq!(now["general_stock"], 21);
    for body in [
        r#"{"stock": -1}"#,
        r#"{"stock": 1.5}"#,
        r#"{"stock": 65536}"#,
        r#"{"stock":[{"warehouse_id":1,"value":2}]}"#,
        r#"{"data":{"stock":2}}"#,
        "x",
    ] {
        let r = call(&c, Method::PATCH, &url("main", &o["id"]), auth, body).await;
        assert_eq!(
            (r.status, r.json()),
            (
                StatusCode::BAD_REQUEST,
                json!({"message": "Invalid content"})
            ),
            "{body}"
        );
    }
    let missing = call(
        &c,
        Method::PATCH,
        &url("main", &json!(3)),
        auth,
        r#"{"stock": 1}"#,
    )
    .await;
    assert_eq!(
        (missing.status, missing.json()),
        (
            StatusCode::NOT_FOUND,
            json!({"message": "This offer does not exist"})
        )
    );
    let f = dump(&c, &h, "fbe").await[0].clone();
    let r = call(
        &c,
        Method::PATCH,
        &url("fbe", &f["id"]),
        Some(("fbe", "demo")),
        r#"{"stock": 1}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json()["errors"][0]["message"],
        "Stock of FBE offers is managed by eMAG"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn campaign_locked_offers_refuse_stock_and_price_changes() {
    let mut cfg = config(&[("main", 300), ("fbe", 50)]);
    cfg.campaign_rate = 0.05;
    let h = start(cfg).await;
    let c = client();
    let s = stats(&c, &h).await;
    let locked = s["main"]["campaign_locked"].as_array().unwrap().clone();
    assert!(
        !locked.is_empty() && locked.len() < 40,
        "{} locked",
        locked.len()
    );
    assert_eq!(s["fbe"]["campaign_locked"], json!([]));
    let id = locked[0].clone();
    let r = post(
        &c,
        &h,
        "main",
        "offer/save",
        &json!([{"id": id, "stock": 3, "sale_price": "1.0000"}]).to_string(),
    )
    .await
    .json();
    assert_eq!(
        r["results"][id.to_string()]["messages"],
        json!([
            "The offer is included in the active campaign BF, thus the stock has NOT been changed.",
            "The offer is included in the active campaign BF, thus the price has NOT been changed."
        ])
    );
    let patch = call(
        &c,
        Method::PATCH,
        &format!("{}/offer_stock/{id}", h.base_url()),
        Some(("main", "demo")),
        r#"{"stock":2}"#,
    )
    .await;
    assert_eq!(patch.status, StatusCode::BAD_REQUEST);
    assert_eq!(patch.json()["errors"][0]["field"], "stock");
    // Status changes are still allowed.
    let r = post(
        &c,
        &h,
        "main",
        "offer/save",
        &json!([{"id": id, "status": 0}]).to_string(),
    )
    .await
    .json();
    assert_eq!(r["results"][id.to_string()]["isError"], false);
    h.shutdown().await;
}
