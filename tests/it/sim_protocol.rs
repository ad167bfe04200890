//! The simulator's protocol over real HTTP: auth, pagination, count, body shapes, filters,
//! reference routes and the variant-B shape.

use crate::sim_support;

use magsync::sim::ShapeVariant;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sim_support::*;

#[tokio::test]
async fn auth_missing_header_is_401_wrong_password_403_right_password_ok() {
    let h = start(config(&[("main", 20)])).await;
    let c = client();
    let url = format!("{}/product_offer/count", h.base_url());
    let none = call(&c, Method::POST, &url, None, "{}").await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.headers["www-authenticate"],
        "Basic realm=\"eMAG Marketplace API\""
    );
    assert_eq!(
        none.json(),
        json!({"isError":true,"messages":["Authorization required"],"results":[]})
    );
    let wrong = call(&c, Method::POST, &url, Some(("main", "nope")), "{}").await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(
        wrong.json(),
        json!({"isError":true,"messages":["You are not allowed to use this API."],"results":[]})
    );
    let unknown = call(&c, Method::POST, &url, Some(("ghost", "demo")), "{}").await;
    assert_eq!(unknown.status, StatusCode::FORBIDDEN);
    let ok = call(&c, Method::POST, &url, Some(("main", "demo")), "{}").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["results"]["noOfItems"], "20");
    h.shutdown().await;
}

#[tokio::test]
async fn default_main_has_13_full_pages_and_an_empty_14th() {
    let mut cfg = config(&[]);
    cfg.accounts = magsync::sim::SimConfig::default().accounts;
    let h = start(cfg).await;
    let c = client();
    let mut ids = Vec::new();
    for page in 1..=13 {
        let r = results(
            &c,
            &h,
            "main",
            &format!(r#"{{"currentPage":{page},"itemsPerPage":100}}"#),
        )
        .await;
        let expected = if page == 13 { 74 } else { 100 };
        assert_eq!(r.len(), expected, "page {page}");
        ids.extend(r.iter().map(|o| o["id"].as_u64().unwrap()));
    }
    let past = read(&c, &h, "main", r#"{"currentPage":14,"itemsPerPage":100}"#).await;
    assert_eq!(past["results"], json!([]));
    assert_eq!(past["isError"], false);
    assert_eq!(ids.len(), 1274);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "listing is by ascending id"
    );
    let fbe = post(&c, &h, "fbe", "product_offer/count", "").await.json();
    assert_eq!(fbe["results"]["noOfItems"], "1271");
    h.shutdown().await;
}

#[tokio::test]
async fn count_numbers_are_strings_in_variant_a_and_numbers_in_b() {
    let mut cfg = config(&[("main", 250), ("b", 250)]);
    cfg.accounts[1].variant = ShapeVariant::B;
    let h = start(cfg).await;
    let c = client();
    let a = post(&c, &h, "main", "product_offer/count", "{}")
        .await
        .json();
    assert_eq!(
        a["results"],
        json!({"noOfItems":"250","noOfPages":"3","itemsPerPage":"100"})
    );
    let a = post(
        &c,
        &h,
        "main",
        "product_offer/count",
        r#"{"itemsPerPage":"50"}"#,
    )
    .await
    .json();
    assert_eq!(a["results"]["noOfPages"], "5");
    let none = post(&c, &h, "main", "product_offer/count", r#"{"id":1}"#)
        .await
        .json();
    assert_eq!(
        none["results"],
        json!({"noOfItems":"0","noOfPages":"0","itemsPerPage":"100"})
    );
    let b = post(&c, &h, "b", "product_offer/count", "{}").await.json();
    assert_eq!(
        b["results"],
        json!({"noOfItems":250,"noOfPages":3,"itemsPerPage":100})
    );
    h.shutdown().await;
}

#[tokio::test]
async fn filters_work_top_level_and_under_data_and_top_level_wins() {
    let h = start(config(&[("main", 300)])).await;
    let c = client();
    let top = results(&c, &h, "main", r#"{"status":0,"itemsPerPage":100}"#).await;
    let wrapped = results(
        &c,
        &h,
        "main",
        r#"{"data":{"status":0,"itemsPerPage":100}}"#,
    )
    .await;
    assert!(!top.is_empty());
    assert_eq!(top, wrapped);
    assert!(top.iter().all(|o| o["status"] == 0));
    let both = results(&c, &h, "main", r#"{"status":1,"data":{"status":0}}"#).await;
    assert!(both.iter().all(|o| o["status"] == 1));
    let page = results(
        &c,
        &h,
        "main",
        r#"{"data":{"currentPage":3,"itemsPerPage":100}}"#,
    )
    .await;
    assert_eq!(page.len(), 100);
    assert_eq!(page, results(&c, &h, "main", r#"{"currentPage":3}"#).await);
    h.shutdown().await;
}

type Pred<'a> = Box<dyn Fn(&Value) -> bool + 'a>;

/// Each filter against the dumped catalogue filtered by hand.
#[tokio::test]
async fn every_filter_returns_exactly_the_matching_offers() {
    let h = start(config(&[("main", 400)])).await;
    let c = client();
    let all = dump(&c, &h, "main").await;
    let some = &all[137];
    let cases: Vec<(Value, Pred)> = vec![
        (json!({"status": 1}), Box::new(|o: &Value| o["status"] == 1)),
        (
            json!({"status": "2"}),
            Box::new(|o: &Value| o["status"] == 2),
        ),
        (
            json!({"id": some["id"]}),
            Box::new(|o: &Value| o["id"] == some["id"]),
        ),
        (
            json!({"id": some["id"].to_string()}),
            Box::new(|o: &Value| o["id"] == some["id"]),
        ),
        (
            json!({"part_number": some["part_number"]}),
            Box::new(|o: &Value| o["part_number"] == some["part_number"]),
        ),
        (
            json!({"part_number_key": some["part_number_key"]}),
            Box::new(|o: &Value| o["part_number_key"] == some["part_number_key"]),
        ),
        (
            json!({"general_stock": 5}),
            Box::new(|o: &Value| o["general_stock"].as_i64().unwrap() <= 5),
        ),
        (
            json!({"estimated_stock": 0}),
            Box::new(|o: &Value| o["estimated_stock"] == 0),
        ),
        (
            json!({"offer_validation_status": 2}),
            Box::new(|o: &Value| o["offer_validation_status"]["value"] == 2),
        ),
        (
            json!({"validation_status": 9}),
            Box::new(|o: &Value| o["validation_status"][0]["value"] == 9),
        ),
        (
            json!({"translation_validation_status": 9}),
            Box::new(|o: &Value| o["translation_validation_status"][0]["value"] == 9),
        ),
        (
            json!({"status": 1, "general_stock": 0}),
            Box::new(|o: &Value| o["status"] == 1 && o["general_stock"] == 0),
        ),
        (json!({"unknown_key": 5}), Box::new(|_: &Value| true)),
    ];
    for (filter, pred) in cases {
        let expected: Vec<u64> = all
            .iter()
            .filter(|o| pred(o))
            .map(|o| o["id"].as_u64().unwrap())
            .collect();
        let mut got = Vec::new();
        for page in 1.. {
            let mut body = filter.clone();
            body["currentPage"] = json!(page);
            let r = results(&c, &h, "main", &body.to_string()).await;
            got.extend(r.iter().map(|o| o["id"].as_u64().unwrap()));
            if r.len() < 100 {
                break;
            }
        }
        assert_eq!(got, expected, "filter {filter}");
        let count = post(&c, &h, "main", "product_offer/count", &filter.to_string())
            .await
            .json();
        assert_eq!(
            count["results"]["noOfItems"],
            expected.len().to_string(),
            "count {filter}"
        );
    }
    let by_id = results(&c, &h, "main", &json!({"id": some["id"]}).to_string()).await;
    assert!(
        by_id[0]["manufacturer"].is_array(),
        "GPSR fields are lists on id reads"
    );
    assert!(
        all[0]["manufacturer"].is_boolean(),
        "GPSR fields are bools on list reads"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn items_per_page_is_capped_and_bad_values_are_errors() {
    let h = start(config(&[("main", 250)])).await;
    let c = client();
    assert_eq!(
        results(&c, &h, "main", r#"{"itemsPerPage":500}"#)
            .await
            .len(),
        100
    );
    assert_eq!(
        results(&c, &h, "main", r#"{"itemsPerPage":"7","currentPage":"2"}"#)
            .await
            .len(),
        7
    );
    for bad in [
        r#"{"itemsPerPage":0}"#,
        r#"{"currentPage":0}"#,
        r#"{"status":"x"}"#,
        "currentPage=1",
        "[1",
    ] {
        let a = post(&c, &h, "main", "product_offer/read", bad).await;
        assert_eq!(a.status, StatusCode::OK);
        let v = a.json();
        assert_eq!(v["isError"], true, "{bad}");
        assert!(!v["messages"].as_array().unwrap().is_empty());
    }
    h.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404_invalid_url() {
    let h = start(config(&[("main", 5)])).await;
    let c = client();
    let base = h.base_url();
    for (m, route) in [
        (Method::POST, "order/read"),
        (Method::GET, "product_offer/read"),
        (Method::PUT, "offer/save"),
    ] {
        let a = call(
            &c,
            m,
            &format!("{base}/{route}"),
            Some(("main", "demo")),
            "{}",
        )
        .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert_eq!(a.json(), json!({"message":"Invalid URL"}));
    }
    let root = call(
        &c,
        Method::POST,
        &format!("http://{}/nowhere", h.addr()),
        None,
        "",
    )
    .await;
    assert_eq!(root.status, StatusCode::NOT_FOUND);
    h.shutdown().await;
}

#[tokio::test]
async fn reference_routes_answer_documented_shapes() {
    let h = start(config(&[("main", 5)])).await;
    let c = client();
    let vat = post(&c, &h, "main", "vat/read", "").await.json();
    assert_eq!(
        vat["results"][0],
        json!({"vat_id":9,"vat_rate":"0.2100","is_default":true})
    );
    let ht = post(&c, &h, "main", "handling_time/read", "").await.json();
    let days: Vec<i64> = ht["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_i64().unwrap())
        .collect();
    assert_eq!(days, vec![0, 1, 2, 3, 6, 9, 30, 60, 90]);
    let cats = post(&c, &h, "main", "category/read", "{}").await.json();
    let names: Vec<&str> = cats["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Telefoane și accesorii") && names.contains(&"Îngrijire personală"));
    let one = post(&c, &h, "main", "category/read", r#"{"id":2839}"#)
        .await
        .json();
    assert!(
        one["results"][0]["characteristics"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    let count = post(&c, &h, "main", "category/count", "{}").await.json();
    assert_eq!(count["results"]["noOfItems"], names.len().to_string());
    h.shutdown().await;
}

#[tokio::test]
async fn variant_b_uses_numbers_and_documented_fields_only() {
    let mut cfg = config(&[("main", 60)]);
    cfg.accounts[0].variant = ShapeVariant::B;
    let h = start(cfg).await;
    let c = client();
    let text = post(&c, &h, "main", "product_offer/read", "{}").await.text;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v.get("errors").is_none());
    for o in v["results"].as_array().unwrap() {
        assert!(o["sale_price"].is_number() && o["recommended_price"].is_number());
        assert!(o["ownership"].is_i64() && o["buy_button_rank"].is_i64());
        assert!(o["stock"][0]["warehouse_id"] == 1);
        assert!(o.get("brand_name").is_none() && o.get("min_sale_price").is_none());
    }
    // Money is written as fixed-point text with 4 decimals, never via f64.
    let raw = text
        .split("\"sale_price\":")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert_eq!(raw.split('.').nth(1).map(str::len), Some(4), "{raw}");
    h.shutdown().await;
}

#[tokio::test]
async fn variant_a_offers_have_the_observed_quirks() {
    let h = start(config(&[("main", 2000)])).await;
    let c = client();
    let all = dump(&c, &h, "main").await;
    let frac =
        |p: &dyn Fn(&Value) -> bool| all.iter().filter(|o| p(o)).count() as f64 / all.len() as f64;
    assert!((0.80..0.90).contains(&frac(&|o| o["status"] == 1)));
    assert!((0.08..0.16).contains(&frac(&|o| o["status"] == 0)));
    assert!((0.01..0.06).contains(&frac(&|o| o["status"] == 2)));
    assert!((0.05..0.15).contains(&frac(&|o| o["general_stock"] == 0)));
    assert!(frac(&|o| o["recommended_price"].is_null()) > 0.1);
    assert!(frac(&|o| o["stock"][0].get("warehouse_id").is_none()) > 0.5);
    assert!(frac(&|o| o["number_of_offers"].is_string()) > 0.01);
    assert!(frac(&|o| o["name"].as_str().unwrap().contains('"')) > 0.0);
    assert!(
        all.iter()
            .all(|o| o["ownership"].is_boolean() && o["sale_price"].is_string())
    );
    for o in &all {
        let sale = o["sale_price"].as_str().unwrap();
        assert_eq!(sale.split('.').nth(1).unwrap().len(), 4, "{sale}");
        let ean = o["ean"][0].as_str().unwrap();
        assert!(ean.starts_with("594") && ean.len() == 13);
        let d: Vec<u32> = ean.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let sum: u32 = d[..12]
            .iter()
            .enumerate()
            .map(|(i, x)| if i % 2 == 0 { *x } else { x * 3 })
            .sum();
        assert_eq!((10 - sum % 10) % 10, d[12], "EAN check digit of {ean}");
        let pn = o["part_number"].as_str().unwrap();
        assert!((1..=25).contains(&pn.chars().count()));
    }
    h.shutdown().await;
}
