//! Saves (§10): `offer/save`, `product_offer/save` (updates only) and `PATCH offer_stock/{id}`,
//! validated per §10.4 and applied to the live catalogue, one item atomically at a time.

use super::api::error_envelope;
use super::catalogue::{FLAG_CAMPAIGN, FLAG_WAREHOUSE, HANDLING_DAYS, NO_PRICE, Offer, vat_table};
use super::filter::{INVALID_BODY, as_int, parse_body};
use super::json::{envelope, escape, money};
use super::server::{Account, lock};
use super::{AccountKind, reply};
use axum::body::Body;
use axum::http::{Response, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;

pub const MAX_ITEMS: usize = 50;

/// eMAG's (documented) refusal for offers in an active stock-in-site campaign.
pub fn campaign_message(what: &str) -> String {
    format!(
        "The offer is included in the active campaign BF, thus the {what} has NOT been changed."
    )
}

/// The save items of a body: a bare array, `{"data":[…]}` or `{"data":{…}}`.
type Items = Vec<(u32, Map<String, Value>)>;

fn items(body: &[u8]) -> Result<Items, String> {
    let list = match parse_body(body)? {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("data") {
            Some(Value::Array(a)) => a,
            Some(Value::Object(one)) => vec![Value::Object(one)],
            _ => return Err(INVALID_BODY.into()),
        },
        _ => return Err(INVALID_BODY.into()),
    };
    if list.len() > MAX_ITEMS {
        return Err(format!("Maximum {MAX_ITEMS} items per request"));
    }
    let mut out: Items = Vec::with_capacity(list.len());
    for item in list {
        let Value::Object(item) = item else {
            return Err(INVALID_BODY.into());
        };
        let id = item
            .get("id")
            .and_then(as_int)
            .and_then(|i| u32::try_from(i).ok())
            .filter(|i| *i > 0);
        let Some(id) = id else {
            return Err("Each item needs a valid id".into());
        };
        if out.iter().any(|(seen, _)| *seen == id) {
            return Err(format!("Duplicate id {id} in request"));
        }
        out.push((id, item));
    }
    Ok(out)
}

/// A price in 1/10000 units from a number or numeric string.
fn price(v: &Value) -> Result<i64, &'static str> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return Err("Invalid price"),
    };
    let d = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| "Invalid price")?;
    let d = d.normalize();
    if d.scale() > 4 {
        return Err("Price must have at most 4 decimals");
    }
    (d * Decimal::new(10_000, 0))
        .trunc()
        .to_string()
        .parse()
        .map_err(|_| "Invalid price")
}

fn stock_value(v: &Value) -> Result<u32, &'static str> {
    let total = match v {
        Value::Array(list) => {
            let mut sum = 0i64;
            for e in list {
                let value = e.get("value").ok_or("Stock should be 0 or more")?;
                let n = as_int(value).ok_or("Stock should be 0 or more")?;
                if n < 0 {
                    return Err("Stock should be 0 or more");
                }
                if n > 65_535 {
                    return Err("Stock should be at most 65535");
                }
                sum += n;
            }
            sum
        }
        other => as_int(other).ok_or("Stock should be 0 or more")?,
    };
    match total {
        n if n < 0 => Err("Stock should be 0 or more"),
        n if n > 65_535 => Err("Stock should be at most 65535"),
        n => Ok(n as u32),
    }
}

/// Validates one item against the offer; returns the updated offer or every reason it fails.
fn apply(account: &Account, o: &Offer, item: &Map<String, Value>) -> Result<Offer, Vec<String>> {
    let mut n = o.clone();
    let mut errs: Vec<String> = Vec::new();
    if o.flags & FLAG_CAMPAIGN != 0 {
        if item.contains_key("stock") {
            errs.push(campaign_message("stock"));
        }
        if [
            "sale_price",
            "min_sale_price",
            "max_sale_price",
            "recommended_price",
        ]
        .iter()
        .any(|k| item.contains_key(*k))
        {
            errs.push(campaign_message("price"));
        }
    }
    let mut field = |key: &str, f: &mut dyn FnMut(&Value) -> Result<(), String>| {
        if let Some(v) = item.get(key)
            && let Err(e) = f(v)
        {
            errs.push(e);
        }
    };
    let mut priced = false;
    for (key, slot) in [
        ("sale_price", 0),
        ("min_sale_price", 1),
        ("max_sale_price", 2),
    ] {
        field(key, &mut |v| {
            let p = price(v)?;
            priced = true;
            match slot {
                0 => n.sale = p,
                1 => n.min = p,
                _ => n.max = p,
            }
            Ok(())
        });
    }
    let mut rec_given = false;
    field("recommended_price", &mut |v| {
        rec_given = true;
        n.rec = if v.is_null() { NO_PRICE } else { price(v)? };
        Ok(())
    });
    field("status", &mut |v| match as_int(v) {
        Some(s @ 0..=2) => {
            n.status = s as u8;
            Ok(())
        }
        _ => Err("Invalid status".into()),
    });
    field("vat_id", &mut |v| match as_int(v) {
        Some(id)
            if vat_table(account.cfg.platform)
                .iter()
                .any(|t| i64::from(t.0) == id) =>
        {
            n.vat_id = id as u8;
            Ok(())
        }
        _ => Err("Invalid vat_id".into()),
    });
    field("handling_time", &mut |v| {
        let days = match v {
            Value::Array(l) => l.first().and_then(|e| e.get("value")).and_then(as_int),
            other => as_int(other),
        };
        match days {
            Some(d) if HANDLING_DAYS.iter().any(|h| i64::from(*h) == d) => {
                n.handling = d as u8;
                Ok(())
            }
            _ => Err("Invalid handling_time".into()),
        }
    });
    field("currency_type", &mut |v| match v.as_str() {
        // Leva stay accepted on `bg` after the changeover, like euro and złoty elsewhere.
        Some("EUR" | "PLN") => Ok(()),
        Some("BGN") if account.cfg.platform == super::Platform::Bg => Ok(()),
        _ => Err("Invalid currency_type".into()),
    });
    field("stock", &mut |v| {
        if account.cfg.kind == AccountKind::Fbe {
            return Err("Stock of FBE offers is managed by eMAG".into());
        }
        n.stock = stock_value(v)?;
        if v.is_array() {
            n.flags |= FLAG_WAREHOUSE;
        }
        n.reserved = n.reserved.min(n.stock.min(255) as u8);
        Ok(())
    });
    if priced && errs.is_empty() {
        if !(0 < n.min && n.min <= n.max) {
            errs.push("Invalid price interval".into());
        } else if n.sale < n.min || n.sale > n.max {
            errs.push(format!(
                "Sale price must be between {} and {}",
                money(n.min),
                money(n.max)
            ));
        }
    }
    // Only an explicitly sent recommended price is checked, so a plain price push is never
    // refused because of a stale recommendation the client did not touch.
    if rec_given && n.rec != NO_PRICE && n.rec <= n.sale && errs.is_empty() {
        errs.push("Recommended price must be greater than sale price".into());
    }
    if errs.is_empty() { Ok(n) } else { Err(errs) }
}

/// Applies one item to the live catalogue.
fn save_one(account: &Account, id: u32, item: &Map<String, Value>) -> Result<(), Vec<String>> {
    let mut state = lock(&account.state);
    let Some(pos) = state.position(i64::from(id)) else {
        return Err(vec![format!("Offer {id} does not exist")]);
    };
    let mut updated = apply(account, &state.offers[pos], item)?;
    if updated.sale != state.offers[pos].sale {
        super::competition::reprice(&mut updated);
    }
    if updated != state.offers[pos] {
        state.offers[pos] = updated;
        state.touch();
    }
    Ok(())
}

/// `offer/save`: per-id results; the envelope fails only when nothing could be applied.
pub fn offer_save(account: &Account, body: &[u8]) -> String {
    let items = match items(body) {
        Ok(i) => i,
        Err(msg) => return envelope(true, &[msg], true, "[]"),
    };
    let mut results = String::from("{");
    for (i, (id, item)) in items.iter().enumerate() {
        if i > 0 {
            results.push(',');
        }
        escape(&mut results, &id.to_string());
        let (is_error, messages) = match save_one(account, *id, item) {
            Ok(()) => (false, vec![format!("Offer {id} updated successfully")]),
            Err(errs) => (true, errs),
        };
        results.push_str(&format!(":{{\"isError\":{is_error},\"messages\":["));
        for (k, m) in messages.iter().enumerate() {
            if k > 0 {
                results.push(',');
            }
            escape(&mut results, m);
        }
        results.push_str("]}");
    }
    results.push('}');
    envelope(false, &[], true, &results)
}

/// `product_offer/save`: updates of existing offers; failures listed in `messages`.
pub fn product_offer_save(account: &Account, body: &[u8]) -> String {
    let items = match items(body) {
        Ok(i) => i,
        Err(msg) => return error_envelope(account, msg),
    };
    let failures: Vec<String> = items
        .iter()
        .filter_map(|(id, item)| {
            save_one(account, *id, item)
                .err()
                .map(|e| format!("Offer {id}: {}", e.join("; ")))
        })
        .collect();
    envelope(!failures.is_empty(), &failures, false, "[]")
}

/// `PATCH offer_stock/{id}` with exactly `{"stock": N}`.
pub fn offer_stock(account: &Account, id: &str, body: &[u8], remaining: u32) -> Response<Body> {
    let Ok(id) = id.parse::<u32>() else {
        return reply::invalid_url();
    };
    let invalid = || reply::json(StatusCode::BAD_REQUEST, r#"{"message":"Invalid content"}"#);
    let stock = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) if o.len() == 1 => match o.get("stock").and_then(Value::as_u64) {
            Some(s) if s <= 65_535 => s as u32,
            _ => return invalid(),
        },
        _ => return invalid(),
    };
    let mut state = lock(&account.state);
    let Some(pos) = state.position(i64::from(id)) else {
        return reply::json(
            StatusCode::NOT_FOUND,
            r#"{"message":"This offer does not exist"}"#,
        );
    };
    if account.cfg.kind == AccountKind::Fbe {
        return reply::json(
            StatusCode::BAD_REQUEST,
            r#"{"message":"Validation errors in your request","errors":[{"field":"stock","message":"Stock of FBE offers is managed by eMAG"}]}"#,
        );
    }
    if state.offers[pos].flags & FLAG_CAMPAIGN != 0 {
        let body = serde_json::json!({"message": "Validation errors in your request",
            "errors": [{"message": campaign_message("stock"), "field": "stock"}]});
        return reply::json(StatusCode::BAD_REQUEST, body.to_string());
    }
    let o = &mut state.offers[pos];
    o.stock = stock;
    o.flags |= FLAG_WAREHOUSE;
    o.reserved = o.reserved.min(stock.min(255) as u8);
    state.touch();
    let mut r = reply::api_json(StatusCode::NO_CONTENT, Body::empty(), remaining);
    r.headers_mut().remove(axum::http::header::CONTENT_TYPE);
    r
}
