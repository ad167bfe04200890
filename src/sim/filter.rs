//! Read/count request bodies (§4.2), pagination (§5) and the offer filters of §6.

use super::catalogue::Offer;
use super::content;
use serde_json::{Map, Value};

pub const INVALID_BODY: &str = "Invalid request body";
pub const MAX_INPUT_VARS: usize = 4000;

/// Parses a POST body as JSON; empty means "no parameters". Errors are envelope messages.
pub fn parse_body(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| INVALID_BODY.to_string())?;
    if leaves(&value) > MAX_INPUT_VARS {
        return Err(format!("Maximum input vars of {MAX_INPUT_VARS} exceeded"));
    }
    Ok(value)
}

fn leaves(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.iter().map(leaves).sum(),
        Value::Object(o) => o.values().map(leaves).sum(),
        _ => 1,
    }
}

/// Read/count parameters: keys under `data` first, then top-level keys, which win.
pub fn params(body: Value) -> Result<Map<String, Value>, String> {
    params_with(body, false)
}

/// [`params`], optionally dropping everything under `data` as eMAG reportedly does.
pub fn params_with(body: Value, ignore_wrapped: bool) -> Result<Map<String, Value>, String> {
    let Value::Object(mut top) = body else {
        return Err(INVALID_BODY.to_string());
    };
    let mut merged = match top.remove("data") {
        Some(Value::Object(data)) if !ignore_wrapped => data,
        _ => Map::new(),
    };
    for (k, v) in top {
        merged.insert(k, v);
    }
    Ok(merged)
}

/// An integer given as a JSON number or numeric string; `None` when absent or null.
pub fn int_param(p: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => as_int(v)
            .map(Some)
            .ok_or_else(|| format!("Invalid value for {key}")),
    }
}

pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An integer or a list of integers (each a number or numeric string), sorted, deduplicated.
fn int_list_param(p: &Map<String, Value>, key: &str) -> Result<Option<Vec<i64>>, String> {
    let invalid = || format!("Invalid value for {key}");
    let mut ids = match p.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| as_int(v).ok_or_else(invalid))
            .collect::<Result<Vec<_>, _>>()?,
        Some(v) => vec![as_int(v).ok_or_else(invalid)?],
    };
    if ids.is_empty() {
        return Err(invalid());
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(ids))
}

fn str_param(p: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("Invalid value for {key}")),
    }
}

/// `currentPage` and `itemsPerPage` (silently capped to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub current: u64,
    pub per_page: u64,
}

impl Page {
    pub fn from_params(p: &Map<String, Value>) -> Result<Page, String> {
        Page::checked(p, false)
    }

    /// With `strict`, more than 100 items is an error instead of being capped.
    pub fn checked(p: &Map<String, Value>, strict: bool) -> Result<Page, String> {
        let current = int_param(p, "currentPage")?.unwrap_or(1);
        let per_page = int_param(p, "itemsPerPage")?.unwrap_or(100);
        if current < 1 {
            return Err("Invalid value for currentPage".into());
        }
        if per_page < 1 {
            return Err("Invalid value for itemsPerPage".into());
        }
        if strict && per_page > 100 {
            return Err("Reading products is limited to maximum 100 elements".into());
        }
        Ok(Page {
            current: current as u64,
            per_page: (per_page as u64).min(100),
        })
    }
    /// The slice `[(n-1)*per_page, n*per_page)` of a listing of `len` items, clamped.
    pub fn range(&self, len: usize) -> std::ops::Range<usize> {
        let start = (self.current.saturating_sub(1))
            .saturating_mul(self.per_page)
            .min(len as u64);
        let end = start.saturating_add(self.per_page).min(len as u64);
        start as usize..end as usize
    }
}

/// The filters of §6; all combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    /// One id or a list of them (`{"id": [1, 2, 3]}`), sorted and without repeats.
    pub id: Option<Vec<i64>>,
    pub status: Option<i64>,
    pub part_number: Option<String>,
    pub part_number_key: Option<String>,
    pub general_stock: Option<i64>,
    pub estimated_stock: Option<i64>,
    pub offer_validation_status: Option<i64>,
    pub validation_status: Option<i64>,
    pub translation_validation_status: Option<i64>,
}

impl Filters {
    /// Known filter keys; anything else is ignored, like eMAG does.
    pub fn from_params(p: &Map<String, Value>) -> Result<Filters, String> {
        Ok(Filters {
            id: int_list_param(p, "id")?,
            status: int_param(p, "status")?,
            part_number: str_param(p, "part_number")?,
            part_number_key: str_param(p, "part_number_key")?,
            general_stock: int_param(p, "general_stock")?,
            estimated_stock: int_param(p, "estimated_stock")?,
            offer_validation_status: int_param(p, "offer_validation_status")?,
            validation_status: int_param(p, "validation_status")?,
            translation_validation_status: int_param(p, "translation_validation_status")?,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    pub fn matches(&self, o: &Offer) -> bool {
        let stock_ok = |limit: Option<i64>, v: i64| limit.is_none_or(|l| 0 <= v && v <= l);
        if self
            .id
            .as_ref()
            .is_some_and(|ids| ids.binary_search(&i64::from(o.id)).is_err())
            || self.status.is_some_and(|s| s != i64::from(o.status))
            || !stock_ok(self.general_stock, o.general_stock())
            || !stock_ok(self.estimated_stock, o.estimated_stock())
        {
            return false;
        }
        if self.offer_validation_status.is_some()
            || self.validation_status.is_some()
            || self.translation_validation_status.is_some()
        {
            let (ovs, vs, tvs) = content::validation(o.content);
            if self
                .offer_validation_status
                .is_some_and(|v| v != i64::from(ovs))
                || self.validation_status.is_some_and(|v| v != i64::from(vs))
                || self
                    .translation_validation_status
                    .is_some_and(|v| v != i64::from(tvs))
            {
                return false;
            }
        }
        if let Some(pn) = &self.part_number
            && *pn != content::part_number(o.content)
        {
            return false;
        }
        if let Some(pnk) = &self.part_number_key
            && *pnk != content::part_number_key(o.content)
        {
            return false;
        }
        true
    }
}
