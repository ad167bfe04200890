use super::*;
use crate::model::OfferStatus;
use serde_json::json;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

const VARIANT_A: &str = r#"{"id": 20417, "part_number": "HEK-17SS", "part_number_key": "DL5QHMBBM",
 "name": "Fierbător electric Heinner HEK-17SS, 1.7 l, 2200 W, oprire automată, inox", "brand": "Heinner",
 "brand_name": "Heinner", "category_id": 2839, "vendor_category_id": 12, "warranty": 24, "ean": ["5948000123457"],
 "description": "<p>Fierbător din oțel inoxidabil, bază rotativă 360°.</p>",
 "url": "https://magazin.example.ro/fierbator-heinner-hek-17ss", "currency": "RON", "vat_id": 9, "status": 1,
 "sale_price": "107.4298", "recommended_price": "132.2231", "min_sale_price": "90.0000", "max_sale_price": "160.0000",
 "best_offer_sale_price": "105.7769", "best_offer_recommended_price": "132.2231",
 "general_stock": 23, "estimated_stock": 22, "stock": [{"value": 23}],
 "handling_time": [{"warehouse_id": 1, "value": 1}], "availability": [{"value": 3}],
 "offer_details": {"id": 48213907, "warranty_type": 1, "supply_lead_time": 14, "emag_club": 1},
 "images": [{"url": "https://magazin.example.ro/img/hek-17ss-1.jpg", "display_type": 1}],
 "characteristics": [{"id": 6861, "value": "1.7 l"}, {"id": 5401, "value": "2200 W"}], "family": null,
 "validation_status": [{"value": 9, "description": "Approved documentation", "errors": null}],
 "translation_validation_status": [{"value": 9, "description": "Approved documentation", "errors": null}],
 "offer_validation_status": {"value": 1, "description": "Saleable"}, "ownership": true,
 "number_of_offers": 4, "buy_button_rank": 2, "genius_eligibility": 1, "genius_eligibility_type": 1,
 "genius_computed": 1, "manufacturer": true, "eu_representative": false, "doc_errors": null,
 "safety_information": "A nu se lăsa la îndemâna copiilor.", "attachments": [], "reversible_vat_charging": false,
 "commission": null, "auto_translated": 0, "recyclewarranties": 0, "weight": "0.000000"}"#;

#[test]
fn variant_a_example_decodes_every_field() {
    let v: Value = serde_json::from_str(VARIANT_A).unwrap();
    let o = decode_offer(&v).unwrap();
    assert_eq!(o.id, 20417);
    assert_eq!(o.part_number.as_deref(), Some("HEK-17SS"));
    assert_eq!(o.part_number_key.as_deref(), Some("DL5QHMBBM"));
    assert!(
        o.name
            .as_deref()
            .unwrap()
            .starts_with("Fierbător electric Heinner")
    );
    assert_eq!(o.brand.as_deref(), Some("Heinner"));
    assert_eq!(o.category_id, Some(2839));
    assert_eq!(o.vendor_category_id, Some(12));
    assert_eq!(o.warranty, Some(24));
    assert_eq!(o.eans, vec!["5948000123457".to_string()]);
    assert_eq!(o.sale_price, Some(d("107.4298")));
    assert_eq!(o.sale_price.unwrap().to_string(), "107.4298");
    assert_eq!(o.recommended_price, Some(d("132.2231")));
    assert_eq!(o.min_sale_price.unwrap().to_string(), "90.0000");
    assert_eq!(o.max_sale_price, Some(d("160")));
    assert_eq!(o.best_offer_sale_price, Some(d("105.7769")));
    assert_eq!(o.best_offer_recommended_price, Some(d("132.2231")));
    assert_eq!(o.currency.as_deref(), Some("RON"));
    assert_eq!(o.vat_id, Some(9));
    assert_eq!(o.status, Some(OfferStatus::Active));
    assert_eq!(o.general_stock, Some(23));
    assert_eq!(o.estimated_stock, Some(22));
    assert_eq!(
        o.stock,
        vec![WarehouseValue {
            warehouse_id: 1,
            value: 23
        }]
    );
    assert_eq!(
        o.handling_time,
        vec![WarehouseValue {
            warehouse_id: 1,
            value: 1
        }]
    );
    assert_eq!(o.validation_status, Some(9));
    assert_eq!(
        o.validation_status_description.as_deref(),
        Some("Approved documentation")
    );
    assert_eq!(o.translation_validation_status, Some(9));
    assert_eq!(o.offer_validation_status, Some(1));
    assert_eq!(
        o.offer_validation_status_description.as_deref(),
        Some("Saleable")
    );
    assert_eq!(o.ownership, Some(1));
    assert_eq!(o.number_of_offers, Some(4));
    assert_eq!(o.buy_button_rank, Some(2));
    assert_eq!(o.offer_details_id, Some(48213907));
    assert_eq!(
        o.image_urls,
        vec!["https://magazin.example.ro/img/hek-17ss-1.jpg".to_string()]
    );
    assert!(o.is_saleable());
    // raw keeps everything, including fields the model ignores.
    let raw = o.raw.to_value();
    assert_eq!(raw["weight"], json!("0.000000"));
    assert_eq!(raw["commission"], Value::Null);
}

#[test]
fn a_page_keeps_each_offer_as_sent() {
    let body = br#"{"isError":false,"messages":[],"results":[{"id": 7, "weight":"0.000000", "name":"Lamp\u0103"},{"name":"B","id":8}]}"#;
    let env = interpret(200, body).unwrap();
    let offers = decode_offers(&env.results).unwrap();
    assert_eq!(offers.len(), 2);
    assert_eq!(
        offers[0].raw.get(),
        r#"{"id": 7, "weight":"0.000000", "name":"Lamp\u0103"}"#
    );
    assert_eq!(offers[0].name.as_deref(), Some("Lampă"));
    assert_eq!(offers[1].raw.get(), r#"{"name":"B","id":8}"#);
    // Same content, other key order: same hash as when decoded from a parsed value.
    let parsed = decode_offer(&json!({"id": 8, "name": "B"})).unwrap();
    assert_eq!(offers[1].content_hash(), parsed.content_hash());
}

#[test]
fn content_hash_ignores_key_order() {
    let a = decode_offer(&json!({"id": 1, "sale_price": "1.0000", "status": 1})).unwrap();
    let b = decode_offer(&json!({"status": 1, "sale_price": "1.0000", "id": 1})).unwrap();
    assert_eq!(a.content_hash(), b.content_hash());
    let c = decode_offer(&json!({"status": 1, "sale_price": "1.0001", "id": 1})).unwrap();
    assert_ne!(a.content_hash(), c.content_hash());
}

#[test]
fn variant_b_shapes_decode() {
    let v = json!({
        "id": 7, "sale_price": 107.4298, "recommended_price": 132.2231, "status": 1,
        "ownership": 2, "stock": [{"warehouse_id": 3, "value": 5}], "general_stock": 5,
        "buy_button_rank": 1, "number_of_offers": 2,
        "validation_status": [{"value": 9, "description": "Approved documentation", "errors": null}],
        "offer_validation_status": {"value": 1, "description": "Saleable"},
        "manufacturer": [{"name": "X", "address": "Y", "email": "z@example.com"}]
    });
    let o = decode_offer(&v).unwrap();
    assert_eq!(o.sale_price.unwrap().to_string(), "107.4298");
    assert_eq!(o.recommended_price, Some(d("132.2231")));
    assert_eq!(o.ownership, Some(2));
    assert_eq!(
        o.stock,
        vec![WarehouseValue {
            warehouse_id: 3,
            value: 5
        }]
    );
    assert_eq!(o.min_sale_price, None);
}

#[test]
fn numbers_accept_strings_bools_and_nulls() {
    let v = json!({
        "id": "42", "status": "1", "general_stock": true, "estimated_stock": false,
        "number_of_offers": "3", "buy_button_rank": null, "vat_id": 9.0, "warranty": "",
        "category_id": "  2839 ", "ownership": false, "sale_price": "0.0100",
        "recommended_price": null, "best_offer_sale_price": 12, "max_sale_price": "garbage"
    });
    let o = decode_offer(&v).unwrap();
    assert_eq!(o.id, 42);
    assert_eq!(o.status, Some(OfferStatus::Active));
    assert_eq!(o.general_stock, Some(1));
    assert_eq!(o.estimated_stock, Some(0));
    assert_eq!(o.number_of_offers, Some(3));
    assert_eq!(o.buy_button_rank, None);
    assert_eq!(o.vat_id, Some(9));
    assert_eq!(o.warranty, None);
    assert_eq!(o.category_id, Some(2839));
    assert_eq!(o.ownership, Some(2));
    assert_eq!(o.sale_price.unwrap().to_string(), "0.0100");
    assert_eq!(o.recommended_price, None);
    assert_eq!(o.best_offer_sale_price, Some(d("12")));
    assert_eq!(o.max_sale_price, None);
}

#[test]
fn validation_fields_as_list_or_object() {
    let as_object = json!({"id": 1, "validation_status": {"value": "3", "description": "Waiting"},
        "offer_validation_status": [{"value": 2, "description": "Invalid price"}]});
    let o = decode_offer(&as_object).unwrap();
    assert_eq!(o.validation_status, Some(3));
    assert_eq!(o.validation_status_description.as_deref(), Some("Waiting"));
    assert_eq!(o.offer_validation_status, Some(2));
    let empty =
        decode_offer(&json!({"id": 1, "validation_status": [], "offer_validation_status": null}))
            .unwrap();
    assert_eq!(empty.validation_status, None);
    assert_eq!(empty.offer_validation_status, None);
}

#[test]
fn exact_decimals_survive_json_numbers() {
    for text in [
        "0.0100",
        "121.8400",
        "8999.99",
        "0.0001",
        "99999999.9999",
        "1e2",
    ] {
        let v: Value =
            serde_json::from_str(&format!("{{\"id\":1,\"sale_price\":{text}}}")).unwrap();
        let o = decode_offer(&v).unwrap();
        let expected = if text == "1e2" { d("100") } else { d(text) };
        assert_eq!(o.sale_price, Some(expected), "{text}");
    }
}

#[test]
fn offers_without_id_are_rejected() {
    assert!(decode_offer(&json!({"name": "x"})).is_err());
    assert!(decode_offer(&json!(["x"])).is_err());
    let raw = |t: &str| serde_json::value::RawValue::from_string(t.to_string()).unwrap();
    assert!(decode_offers(&raw(r#""nope""#)).is_err());
    assert!(decode_offers(&raw(r#"[{"name":"x"}]"#)).is_err());
    assert_eq!(decode_offers(&raw("[]")).unwrap().len(), 0);
    assert_eq!(decode_offers(&raw("null")).unwrap().len(), 0);
    assert_eq!(decode_offers(&raw("{}")).unwrap().len(), 0);
}

#[test]
fn save_body_has_exact_numbers_and_only_set_fields() {
    let items = vec![
        OfferUpdate {
            id: 20417,
            sale_price: Some(d("104.9500")),
            stock: Some(vec![WarehouseValue {
                warehouse_id: 1,
                value: 18,
            }]),
            ..Default::default()
        },
        OfferUpdate {
            id: 20533,
            recommended_price: Some(d("0.0100")),
            min_sale_price: Some(d("99999999.1234")),
            status: Some(OfferStatus::Inactive),
            vat_id: Some(9),
            currency_type: Some("EUR".into()),
            ..Default::default()
        },
    ];
    let body = save_body(&items);
    assert_eq!(
        body,
        r#"[{"id":20417,"sale_price":104.95,"stock":[{"warehouse_id":1,"value":18}]},{"id":20533,"recommended_price":0.01,"min_sale_price":99999999.1234,"vat_id":9,"status":0,"currency_type":"EUR"}]"#
    );
    let parsed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 2);
    assert_eq!(save_body(&[]), "[]");
}

#[test]
fn read_body_puts_filters_top_level() {
    let f = OfferFilter {
        status: Some(OfferStatus::Active),
        part_number: Some("A\"B".into()),
        ..Default::default()
    };
    let body: Value = serde_json::from_slice(&read_body(&f, Some((3, 100)))).unwrap();
    assert_eq!(
        body,
        json!({"currentPage": 3, "itemsPerPage": 100, "status": 1, "part_number": "A\"B"})
    );
    let body: Value = serde_json::from_slice(&read_body(&OfferFilter::default(), None)).unwrap();
    assert_eq!(body, json!({}));
}

#[test]
fn interpret_follows_the_error_table() {
    let ok = interpret(200, br#"{"isError":false,"messages":[],"results":[1]}"#).unwrap();
    assert_eq!(ok.results_value(), json!([1]));
    assert!(matches!(
        interpret(
            401,
            br#"{"isError":true,"messages":["Authorization required"],"results":[]}"#
        ),
        Err(EmagError::Auth { .. })
    ));
    assert!(matches!(
        interpret(403, b"<html>Forbidden</html>"),
        Err(EmagError::Auth { .. })
    ));
    let ip = interpret(
        200,
        br#"{"isError":true,"messages":["ERROR: Invalid vendor ip [203.0.113.10]"]}"#,
    );
    match ip {
        Err(EmagError::Auth { message }) => assert!(message.contains("203.0.113.10")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        interpret(
            500,
            br#"{"isError":true,"messages":["You are not allowed to use this API."]}"#
        ),
        Err(EmagError::Auth { .. })
    ));
    assert_eq!(
        interpret(404, br#"{"message":"Invalid URL"}"#).unwrap_err(),
        EmagError::InvalidUrl { status: 404 }
    );
    assert_eq!(
        interpret(429, br#"{"message":"API rate limit exceeded"}"#).unwrap_err(),
        EmagError::RateLimited
    );
    match interpret(
        502,
        b"<html><head><title>502 Bad Gateway</title></head></html>",
    ) {
        Err(e @ EmagError::Server { status: 502, .. }) => {
            assert!(e.is_transient());
            assert!(e.to_string().contains("502 Bad Gateway"));
        }
        other => panic!("{other:?}"),
    }
    match interpret(200, br#"{"isError":false,"results":[{"id":1},"#) {
        Err(e @ EmagError::Malformed { status: 200, .. }) => {
            assert!(e.to_string().contains("HTTP 200"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        interpret(200, br#"{"results":[]}"#),
        Err(EmagError::Malformed { .. })
    ));
    assert!(matches!(
        interpret(200, b"not json"),
        Err(EmagError::Malformed { .. })
    ));
    match interpret(
        200,
        br#"{"isError":true,"messages":[{"field":"stock","message":"bad"},{"text":"t"},3]}"#,
    ) {
        Err(EmagError::Api { messages }) => assert_eq!(messages, vec!["stock: bad", "t", "3"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn count_accepts_strings_and_numbers() {
    let c = decode_count(&json!({"noOfItems": "1274", "noOfPages": "13", "itemsPerPage": "100"}))
        .unwrap();
    assert_eq!(
        c,
        OfferCount {
            items: 1274,
            pages: 13
        }
    );
    let c = decode_count(&json!({"noOfItems": 0, "noOfPages": 0, "itemsPerPage": 100})).unwrap();
    assert_eq!(c, OfferCount { items: 0, pages: 0 });
    let c = decode_count(&json!([{"noOfItems": 101}])).unwrap();
    assert_eq!(
        c,
        OfferCount {
            items: 101,
            pages: 2
        }
    );
    assert!(decode_count(&json!({})).is_none());
}

#[test]
fn save_results_and_vat_rates() {
    let r = decode_save_results(&json!({
        "20417": {"isError": false, "messages": ["Offer 20417 updated successfully"]},
        "20533": {"isError": true, "messages": ["Stock should be 0 or more"]}
    }));
    assert!(!r[&20417].is_error);
    assert!(r[&20533].is_error);
    assert_eq!(r[&20533].messages, vec!["Stock should be 0 or more"]);

    let v = decode_vat_rates(&json!([
        {"vat_id": 9, "vat_rate": "0.2100", "is_default": true},
        {"id": 10, "value": 11},
        {"id": 11, "rate": 0}
    ]));
    assert_eq!(
        v[0],
        VatRate {
            id: 9,
            rate: d("0.21"),
            is_default: true
        }
    );
    assert_eq!(
        v[1],
        VatRate {
            id: 10,
            rate: d("0.11"),
            is_default: false
        }
    );
    assert_eq!(v[2].rate, Decimal::ZERO);
}

#[test]
fn filter_verification() {
    let o = decode_offer(&json!({"id": 5, "part_number": "A", "status": 1})).unwrap();
    assert!(matches_filter(&o, &OfferFilter::by_id(5)));
    assert!(!matches_filter(&o, &OfferFilter::by_id(6)));
    assert!(matches_filter(&o, &OfferFilter::active()));
    assert!(!matches_filter(
        &o,
        &OfferFilter {
            part_number: Some("B".into()),
            ..Default::default()
        }
    ));
}
