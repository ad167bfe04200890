//! Lenient decoding of eMAG payloads and exact rendering of save bodies (§7, §9, §10.1).
//!
//! eMAG sends numbers as numbers, numeric strings, bools or null, validation fields as lists or
//! objects, and money as 4-dp strings; nothing here trusts a documented type. Money never
//! passes through a float: a decimal is parsed from text, and a JSON number's text is recovered
//! from serde_json's shortest round-trip rendering, which reproduces the sent digits for any
//! value with at most 15 significant digits (all 4-dp money below 10^11).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::error::{EmagError, snippet};
use super::types::{ItemResult, OfferCount, OfferFilter, OfferUpdate, VatRate};
use crate::model::{Offer, OfferStatus, RawJson, WarehouseValue};
use serde_json::value::RawValue;

// ---------------------------------------------------------------------------------------------
// Scalars

/// An integer from a number, numeric string, bool or null; `None` for anything else.
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok()))
            .or_else(|| integral(decimal_from_text(&n.to_string())?)),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>()
                .ok()
                .or_else(|| integral(decimal_from_text(t)?))
        }
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn integral(d: Decimal) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    if d.fract().is_zero() {
        d.to_i64()
    } else {
        None
    }
}

/// A decimal from a number, numeric string, bool or null, without floats.
pub fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => decimal_from_text(&n.to_string()),
        Value::String(s) => decimal_from_text(s.trim()),
        Value::Bool(b) => Some(Decimal::from(u8::from(*b))),
        _ => None,
    }
}

fn decimal_from_text(t: &str) -> Option<Decimal> {
    if t.is_empty() {
        return None;
    }
    if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()
    } else {
        Decimal::from_str(t).ok()
    }
}

/// Text from a string or a number (part numbers are sometimes numeric); `None` for null/empty.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn narrow<T: TryFrom<i64>>(v: Option<i64>) -> Option<T> {
    v.and_then(|x| T::try_from(x).ok())
}

/// A list, or a lone object treated as a one-element list, or nothing.
fn list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(obj @ Value::Object(_)) => vec![obj],
        _ => Vec::new(),
    }
}

/// The first element of a list-or-object field (validation fields come both ways).
fn first(v: Option<&Value>) -> Option<&Value> {
    list(v).into_iter().next()
}

fn warehouse_values(v: Option<&Value>) -> Vec<WarehouseValue> {
    list(v)
        .into_iter()
        .filter_map(|w| {
            let value = int(w.get("value")?)?;
            // The one real dump omits warehouse_id; eMAG sellers have warehouse 1 by default.
            let warehouse_id = w.get("warehouse_id").and_then(int).unwrap_or(1);
            Some(WarehouseValue {
                warehouse_id,
                value,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Offers

/// Decodes one offer object; only a usable `id` is required.
pub fn decode_offer(value: &Value) -> Result<Offer, String> {
    let mut offer = offer_fields(value)?;
    offer.raw = RawJson::from_value(value);
    Ok(offer)
}

/// Decodes one offer from its bytes on the wire, which are kept verbatim as its `raw`.
pub fn decode_offer_wire(text: &RawValue) -> Result<Offer, String> {
    let value: Value =
        serde_json::from_str(text.get()).map_err(|e| format!("an offer is not valid JSON: {e}"))?;
    let mut offer = offer_fields(&value)?;
    offer.raw = RawJson::from_wire(text, value);
    Ok(offer)
}

/// Every modelled field of an offer; `raw` is left for the caller.
fn offer_fields(value: &Value) -> Result<Offer, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| "an offer is not a JSON object".to_string())?;
    let f = |k: &str| obj.get(k);
    let id = f("id")
        .and_then(int)
        .ok_or_else(|| "an offer has no usable id".to_string())?;
    let dec = |k: &str| f(k).and_then(decimal);
    let i = |k: &str| f(k).and_then(int);
    let s = |k: &str| f(k).and_then(text);

    let validation = first(f("validation_status"));
    let translation = first(f("translation_validation_status"));
    let offer_validation = first(f("offer_validation_status"));
    let ownership = match f("ownership") {
        Some(Value::Bool(true)) => Some(1),
        Some(Value::Bool(false)) => Some(2),
        Some(other) => narrow(int(other)),
        None => None,
    };
    let offer = Offer {
        id,
        part_number: s("part_number"),
        part_number_key: s("part_number_key"),
        name: s("name"),
        brand: s("brand").or_else(|| s("brand_name")),
        description: s("description"),
        url: s("url"),
        category_id: i("category_id"),
        vendor_category_id: i("vendor_category_id"),
        warranty: narrow(i("warranty")),
        eans: match f("ean") {
            Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
            Some(other) => text(other).into_iter().collect(),
            None => Vec::new(),
        },
        sale_price: dec("sale_price"),
        recommended_price: dec("recommended_price"),
        min_sale_price: dec("min_sale_price"),
        max_sale_price: dec("max_sale_price"),
        best_offer_sale_price: dec("best_offer_sale_price"),
        best_offer_recommended_price: dec("best_offer_recommended_price"),
        currency: s("currency"),
        vat_id: narrow(i("vat_id")),
        status: narrow::<i16>(i("status")).map(OfferStatus::from_code),
        general_stock: narrow(i("general_stock")),
        estimated_stock: narrow(i("estimated_stock")),
        stock: warehouse_values(f("stock")),
        handling_time: warehouse_values(f("handling_time")),
        validation_status: narrow(validation.and_then(|v| v.get("value")).and_then(int)),
        validation_status_description: validation.and_then(|v| v.get("description")).and_then(text),
        translation_validation_status: narrow(
            translation.and_then(|v| v.get("value")).and_then(int),
        ),
        offer_validation_status: narrow(
            offer_validation.and_then(|v| v.get("value")).and_then(int),
        ),
        offer_validation_status_description: offer_validation
            .and_then(|v| v.get("description"))
            .and_then(text),
        ownership,
        number_of_offers: narrow(i("number_of_offers")),
        buy_button_rank: narrow(i("buy_button_rank")),
        offer_details_id: f("offer_details").and_then(|d| d.get("id")).and_then(int),
        image_urls: list(f("images"))
            .into_iter()
            .filter_map(|img| img.get("url").and_then(text))
            .collect(),
        raw: RawJson::default(),
    };
    Ok(offer)
}

/// Decodes a read's `results` list; a non-list or an item without an id is a broken page.
/// Each offer is parsed from its own slice of the body, whose bytes become its `raw`.
pub fn decode_offers(results: &RawValue) -> Result<Vec<Offer>, String> {
    let not_a_list = || "results is not a list of offers".to_string();
    match results.get().trim_start().as_bytes().first() {
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(results.get()).map_err(|_| not_a_list())?;
            items.into_iter().map(decode_offer_wire).collect()
        }
        _ => match serde_json::from_str::<Value>(results.get()) {
            Ok(Value::Null) => Ok(Vec::new()),
            Ok(Value::Object(map)) if map.is_empty() => Ok(Vec::new()),
            _ => Err(not_a_list()),
        },
    }
}

/// Whether an offer is one the filter selects (eMAG may silently ignore filters, §6).
pub fn matches_filter(offer: &Offer, filter: &OfferFilter) -> bool {
    filter.id.is_none_or(|id| offer.id == id)
        && filter.status.is_none_or(|s| offer.status == Some(s))
        && filter
            .part_number
            .as_ref()
            .is_none_or(|p| offer.part_number.as_ref() == Some(p))
        && filter
            .part_number_key
            .as_ref()
            .is_none_or(|p| offer.part_number_key.as_ref() == Some(p))
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The JSON body of a read or count: filters and pagination at the top level (§4.2).
pub fn read_body(filter: &OfferFilter, page: Option<(u32, u32)>) -> Vec<u8> {
    let mut m = Map::new();
    if let Some((page, per_page)) = page {
        m.insert("currentPage".into(), page.into());
        m.insert("itemsPerPage".into(), per_page.into());
    }
    if let Some(s) = filter.status {
        m.insert("status".into(), s.code().into());
    }
    if let Some(id) = filter.id {
        m.insert("id".into(), id.into());
    }
    if let Some(p) = &filter.part_number {
        m.insert("part_number".into(), p.clone().into());
    }
    if let Some(p) = &filter.part_number_key {
        m.insert("part_number_key".into(), p.clone().into());
    }
    serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
}

/// The body of a read of the offers with these ids: eMAG's `id` filter takes a list.
pub fn read_ids_body(ids: &[i64], per_page: u32) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "currentPage": 1,
        "itemsPerPage": per_page,
        "id": ids,
    }))
    .unwrap_or_default()
}

/// A decimal as a JSON number literal, exactly (never via f64), at most 4 places.
fn number_literal(d: Decimal) -> String {
    d.round_dp(4).normalize().to_string()
}

/// The `offer/save` body: a top-level array with only the fields set (§10.1).
pub fn save_body(items: &[OfferUpdate]) -> String {
    let mut out = String::from("[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"id\":{}", item.id);
        let money = [
            ("sale_price", item.sale_price),
            ("recommended_price", item.recommended_price),
            ("min_sale_price", item.min_sale_price),
            ("max_sale_price", item.max_sale_price),
        ];
        for (key, value) in money {
            if let Some(d) = value {
                let _ = write!(out, ",\"{key}\":{}", number_literal(d));
            }
        }
        for (key, values) in [
            ("stock", &item.stock),
            ("handling_time", &item.handling_time),
        ] {
            if let Some(values) = values {
                let parts: Vec<String> = values
                    .iter()
                    .map(|w| {
                        format!(
                            "{{\"warehouse_id\":{},\"value\":{}}}",
                            w.warehouse_id, w.value
                        )
                    })
                    .collect();
                let _ = write!(out, ",\"{key}\":[{}]", parts.join(","));
            }
        }
        if let Some(v) = item.vat_id {
            let _ = write!(out, ",\"vat_id\":{v}");
        }
        if let Some(s) = item.status {
            let _ = write!(out, ",\"status\":{}", s.code());
        }
        if let Some(c) = &item.currency_type {
            let _ = write!(out, ",\"currency_type\":{}", Value::String(c.clone()));
        }
        out.push('}');
    }
    out.push(']');
    out
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A successful (`isError: false`) response.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub results: Box<RawValue>,
    pub messages: Vec<String>,
}

impl Envelope {
    /// `results` parsed (small answers: counts, saves, VAT rates).
    pub fn results_value(&self) -> Value {
        serde_json::from_str(self.results.get()).unwrap_or(Value::Null)
    }
}

/// The top level of every answer; other keys are ignored.
#[derive(serde::Deserialize)]
struct Top<'a> {
    #[serde(rename = "isError", default, borrow)]
    is_error: Option<&'a RawValue>,
    #[serde(default, borrow)]
    messages: Option<&'a RawValue>,
    #[serde(default, borrow)]
    results: Option<&'a RawValue>,
}

fn null_raw() -> Box<RawValue> {
    RawValue::from_string("null".to_string()).expect("null is JSON")
}

/// eMAG's messages rendered as text, whatever JSON they came as.
pub fn messages(v: Option<&Value>) -> Vec<String> {
    let render = |m: &Value| match m {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let msg = o.get("message").or_else(|| o.get("text")).and_then(text);
            match (o.get("field").and_then(text), msg) {
                (Some(field), Some(msg)) => format!("{field}: {msg}"),
                (None, Some(msg)) => msg,
                _ => m.to_string(),
            }
        }
        other => other.to_string(),
    };
    match v {
        Some(Value::Array(items)) => items.iter().map(render).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![render(other)],
    }
}

fn is_auth_text(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("invalid vendor ip") || m.contains("not allowed to use this api")
}

/// Classifies one HTTP answer by the table of §7.3 (429 is reported as `RateLimited`; the
/// client handles the wait).
pub fn interpret(status: u16, body: &[u8]) -> Result<Envelope, EmagError> {
    // Only the envelope is parsed here; `results` stays a slice of the body, so a page of
    // offers is parsed once, offer by offer, by whoever decodes it.
    let top: Option<Top> = serde_json::from_slice(body).ok();
    let parse = |r: Option<&RawValue>| r.and_then(|r| serde_json::from_str::<Value>(r.get()).ok());
    let msgs = messages(parse(top.as_ref().and_then(|t| t.messages)).as_ref());
    let is_error = parse(top.as_ref().and_then(|t| t.is_error));
    let is_error = is_error.as_ref();
    let auth_message = |default: &str| {
        let text = msgs.first().cloned().unwrap_or_else(|| default.to_string());
        format!("HTTP {status}: {text}")
    };

    if is_error != Some(&Value::Bool(false)) && msgs.iter().any(|m| is_auth_text(m)) {
        return Err(EmagError::Auth {
            message: auth_message(""),
        });
    }
    match status {
        401 => {
            return Err(EmagError::Auth {
                message: auth_message("Authorization required"),
            });
        }
        403 => {
            return Err(EmagError::Auth {
                message: auth_message("Forbidden"),
            });
        }
        404 => return Err(EmagError::InvalidUrl { status }),
        429 => return Err(EmagError::RateLimited),
        200..=299 => {}
        _ => {
            return Err(EmagError::Server {
                status,
                snippet: snippet(body),
            });
        }
    }
    match is_error {
        Some(Value::Bool(false)) => {
            let results = top
                .as_ref()
                .and_then(|t| t.results)
                .map_or_else(null_raw, RawValue::to_owned);
            Ok(Envelope {
                results,
                messages: msgs,
            })
        }
        Some(Value::Bool(true)) => Err(EmagError::Api { messages: msgs }),
        _ => Err(EmagError::Malformed {
            status,
            snippet: snippet(body),
        }),
    }
}

/// `product_offer/count` results: numbers as strings or numbers, an object or a one-item list.
pub fn decode_count(results: &Value) -> Option<OfferCount> {
    let obj = first(Some(results))?;
    let items = obj.get("noOfItems").and_then(int)?;
    let per_page = obj
        .get("itemsPerPage")
        .and_then(int)
        .filter(|p| *p > 0)
        .unwrap_or(100);
    let pages = obj
        .get("noOfPages")
        .and_then(int)
        .unwrap_or_else(|| (items + per_page - 1) / per_page);
    Some(OfferCount {
        items: u64::try_from(items).ok()?,
        pages: u64::try_from(pages).ok()?,
    })
}

/// `offer/save` per-item results, keyed by the id eMAG echoes as a string.
pub fn decode_save_results(results: &Value) -> BTreeMap<i64, ItemResult> {
    let mut out = BTreeMap::new();
    if let Value::Object(map) = results {
        for (key, item) in map {
            let Some(id) = int(&Value::String(key.clone())) else {
                continue;
            };
            let is_error = item.get("isError").and_then(int).is_none_or(|e| e != 0);
            out.insert(
                id,
                ItemResult {
                    is_error,
                    messages: messages(item.get("messages")),
                },
            );
        }
    }
    out
}

/// `vat/read` rows: id from `vat_id` or `id`, rate from `vat_rate`, `value` or `rate`, a rate
/// above 1 read as a percentage (§11).
pub fn decode_vat_rates(results: &Value) -> Vec<VatRate> {
    list(Some(results))
        .into_iter()
        .filter_map(|row| {
            let id = row.get("vat_id").or_else(|| row.get("id")).and_then(int)?;
            let mut rate = ["vat_rate", "value", "rate"]
                .iter()
                .find_map(|k| row.get(*k).and_then(decimal))?;
            if rate > Decimal::ONE {
                rate /= Decimal::from(100);
            }
            let is_default = row.get("is_default").and_then(int).is_some_and(|d| d != 0);
            Some(VatRate {
                id,
                rate: rate.normalize(),
                is_default,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
