//! Reference data routes (§11): categories from the word lists, VAT and handling times.

use super::Platform;
use super::catalogue::{HANDLING_DAYS, vat_table};
use super::filter::{Page, int_param, params, parse_body};
use super::json::{Obj, envelope, escape};
use super::words::{Category, words};
use std::fmt::Write;

fn category(out: &mut String, c: &Category, full: bool) {
    let mut o = Obj::new(out);
    o.int("id", i64::from(c.id));
    o.str("name", c.name);
    o.int("is_allowed", 1);
    match c.parent_id {
        0 => o.raw("parent_id", "null"),
        p => o.int("parent_id", i64::from(p)),
    };
    o.int("is_ean_mandatory", 0);
    o.int("is_warranty_mandatory", i64::from(c.id % 2));
    if full {
        let ch = o.key("characteristics");
        ch.push('[');
        for (i, spec) in c.specs.iter().take(5).enumerate() {
            if i > 0 {
                ch.push(',');
            }
            let _ = write!(ch, "{{\"id\":{},\"name\":", 5401 + i * 1460);
            escape(ch, &format!("Caracteristică {}", i + 1));
            let _ = write!(
                ch,
                ",\"type_id\":1,\"display_order\":{i},\"is_mandatory\":{},\"is_filter\":1,\
                 \"allow_new_value\":1,\"values\":[",
                u8::from(i == 0)
            );
            escape(ch, spec);
            ch.push_str("],\"tags\":[]}");
        }
        ch.push(']');
        o.raw("family_types", "[]");
    }
    o.end();
}

/// `category/read` (paginated, `id` adds characteristics) and `category/count`.
pub fn category_read(body: &[u8], count: bool) -> String {
    let parsed = parse_body(body)
        .and_then(params)
        .and_then(|p| Ok((Page::from_params(&p)?, int_param(&p, "id")?)));
    let (page, id) = match parsed {
        Ok(v) => v,
        Err(msg) => return envelope(true, &[msg], false, "[]"),
    };
    let all: Vec<&Category> = words()
        .categories
        .iter()
        .filter(|c| id.is_none_or(|id| i64::from(c.id) == id))
        .collect();
    if count {
        let n = all.len() as u64;
        let results = format!(
            r#"{{"noOfItems":"{n}","noOfPages":"{}","itemsPerPage":"{}"}}"#,
            n.div_ceil(page.per_page),
            page.per_page
        );
        return envelope(false, &[], false, &results);
    }
    let mut results = String::from("[");
    for (i, c) in all[page.range(all.len())].iter().enumerate() {
        if i > 0 {
            results.push(',');
        }
        category(&mut results, c, id.is_some());
    }
    results.push(']');
    envelope(false, &[], false, &results)
}

pub fn vat_read(platform: Platform) -> String {
    let items: Vec<String> = vat_table(platform)
        .iter()
        .map(|(id, pct, default)| {
            format!(
                r#"{{"vat_id":{id},"vat_rate":"{}","is_default":{default}}}"#,
                rate(*pct)
            )
        })
        .collect();
    envelope(false, &[], false, &format!("[{}]", items.join(",")))
}

fn rate(pct: u32) -> String {
    format!("{}.{:02}00", pct / 100, pct % 100)
}

pub fn handling_time_read() -> String {
    let items: Vec<String> = HANDLING_DAYS
        .iter()
        .map(|d| format!(r#"{{"id":{d},"value":{d}}}"#))
        .collect();
    envelope(false, &[], false, &format!("[{}]", items.join(",")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn vat_rate_text() {
        assert_eq!(super::rate(21), "0.2100");
        assert_eq!(super::rate(0), "0.0000");
        assert_eq!(super::rate(5), "0.0500");
    }
}
