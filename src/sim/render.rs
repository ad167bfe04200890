//! Renders an offer in its eMAG shape (§9, variants A and B of §9.2) with a fixed key order.

use super::catalogue::{FLAG_WAREHOUSE, NO_PRICE, Offer, is_variant_b};
use super::content::{self, is_rejected, validation_description};
use super::json::{Obj, escape, push_money};
use super::{Platform, SimAccount};
use std::fmt::Write;

/// How a read was asked: GPSR fields are lists only when one product is read by `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    List,
    ById,
}

/// Money in the variant's form: a 4-dp string (A) or the same digits as a JSON number (B).
fn price(out: &mut String, b: bool, units: i64) {
    if b {
        push_money(out, units);
    } else {
        out.push('"');
        push_money(out, units);
        out.push('"');
    }
}

fn opt_price(out: &mut String, b: bool, units: i64) {
    if units == NO_PRICE {
        out.push_str("null");
    } else {
        price(out, b, units);
    }
}

fn validation_list(out: &mut String, value: u8) {
    out.push_str("[{");
    let _ = write!(out, "\"value\":{value},\"description\":");
    escape(out, validation_description(value));
    out.push_str(",\"errors\":");
    if is_rejected(value) {
        out.push_str("{\"message\":");
        escape(out, "Documentația nu respectă cerințele eMAG");
        out.push('}');
    } else {
        out.push_str("null");
    }
    out.push_str("}]");
}

fn gpsr(out: &mut String, present: bool, ctx: Context, brand: &str, role: &str) {
    match ctx {
        Context::List => out.push_str(if present { "true" } else { "false" }),
        Context::ById if present => {
            out.push_str("[{\"name\":");
            escape(out, &format!("{brand} {role}"));
            out.push_str(",\"address\":");
            escape(out, "Str. Fabricii nr. 1, București, România");
            out.push_str(",\"email\":");
            escape(
                out,
                &format!("contact@{}.example", brand.to_lowercase().replace(' ', "")),
            );
            out.push_str("}]");
        }
        Context::ById => out.push_str("[]"),
    }
}

/// Appends one offer object to `out`.
pub fn offer(out: &mut String, account: &SimAccount, o: &Offer, ctx: Context) {
    let b = is_variant_b(account.variant, o.id);
    let ident = content::ident(o.content);
    let d = content::details(o.content, &ident);
    let (ovs, vs, tvs) = content::validation(o.content);
    let pnk = content::part_number_key(o.content);
    let mut w = Obj::new(out);
    w.int("id", i64::from(o.id));
    w.str("part_number", &content::part_number_of(o.content, &ident));
    w.str("part_number_key", &pnk);
    w.str("name", &d.name);
    w.str("brand", ident.brand);
    if !b {
        w.str("brand_name", ident.brand);
    }
    w.int("category_id", i64::from(ident.category.id));
    match d.vendor_category_id {
        Some(v) => w.int("vendor_category_id", i64::from(v)),
        None => w.raw("vendor_category_id", "null"),
    };
    w.int("warranty", i64::from(d.warranty));
    let e = w.key("ean");
    e.push('[');
    escape(e, &content::ean(o.content));
    e.push(']');
    w.str("description", &d.description);
    w.str("url", &format!("https://magazin.example.ro/{}", d.slug));
    w.str("currency", o.currency(account.platform));
    w.int("vat_id", i64::from(o.vat_id));
    w.int("status", i64::from(o.status));
    price(w.key("sale_price"), b, o.sale);
    opt_price(w.key("recommended_price"), b, o.rec);
    if !b {
        price(w.key("min_sale_price"), b, o.min);
        price(w.key("max_sale_price"), b, o.max);
    }
    // A moved market (competition.rs) replaces the static values of the content.
    let (best, number_of_offers, rank) = if o.rank != 0 {
        let m = super::competition::market(o, account.platform);
        (m.best, m.n_offers, m.rank)
    } else {
        let mut best = o.sale * d.best_offer_pct / 100;
        if account.platform == Platform::Hu {
            best = best / 10_000 * 10_000;
        }
        (best, d.number_of_offers, d.rank)
    };
    price(w.key("best_offer_sale_price"), b, best);
    opt_price(w.key("best_offer_recommended_price"), b, o.rec);
    w.int("general_stock", o.general_stock());
    w.int("estimated_stock", o.estimated_stock());
    let s = w.key("stock");
    if b || o.flags & FLAG_WAREHOUSE != 0 {
        let _ = write!(s, "[{{\"warehouse_id\":1,\"value\":{}}}]", o.stock);
    } else {
        let _ = write!(s, "[{{\"value\":{}}}]", o.stock);
    }
    let _ = write!(
        w.key("handling_time"),
        "[{{\"warehouse_id\":1,\"value\":{}}}]",
        o.handling
    );
    if !b {
        w.raw("availability", "[{\"value\":3}]");
        let _ = write!(
            w.key("offer_details"),
            "{{\"id\":{},\"warranty_type\":{},\"supply_lead_time\":{},\"emag_club\":{}}}",
            d.offer_details_id,
            d.warranty_type,
            d.supply_lead_time,
            d.emag_club
        );
    }
    let img = w.key("images");
    img.push('[');
    for n in 0..d.images {
        if n > 0 {
            img.push(',');
        }
        img.push_str("{\"url\":");
        escape(
            img,
            &format!("https://magazin.example.ro/img/{}-{}.jpg", d.slug, n + 1),
        );
        let _ = write!(img, ",\"display_type\":{}}}", [1, 2, 0][n as usize % 3]);
    }
    img.push(']');
    let ch = w.key("characteristics");
    ch.push('[');
    for (i, spec) in d.specs.iter().enumerate() {
        if i > 0 {
            ch.push(',');
        }
        let _ = write!(ch, "{{\"id\":{},\"value\":", 5401 + i * 1460);
        escape(ch, spec);
        ch.push('}');
    }
    ch.push(']');
    match &d.family {
        Some((id, name, t)) => {
            let f = w.key("family");
            let _ = write!(f, "{{\"id\":{id},\"name\":");
            escape(f, name);
            let _ = write!(f, ",\"family_type_id\":{t}}}");
        }
        None => {
            w.raw("family", "null");
        }
    }
    validation_list(w.key("validation_status"), vs);
    validation_list(w.key("translation_validation_status"), tvs);
    let ov = w.key("offer_validation_status");
    let _ = write!(ov, "{{\"value\":{ovs},\"description\":");
    escape(
        ov,
        if ovs == 1 {
            "Saleable"
        } else {
            "Invalid price"
        },
    );
    ov.push('}');
    let owned = rank != 5;
    if b {
        w.int("ownership", if owned { 1 } else { 2 });
    } else {
        w.bool("ownership", owned);
    }
    if !b && d.number_of_offers_as_string {
        w.str("number_of_offers", &number_of_offers.to_string());
    } else {
        w.int("number_of_offers", i64::from(number_of_offers));
    }
    if !b && (o.status != 1 || o.stock == 0) {
        w.raw("buy_button_rank", "null");
    } else {
        w.int("buy_button_rank", i64::from(rank));
    }
    w.int("genius_eligibility", i64::from(d.genius.0));
    w.int("genius_eligibility_type", i64::from(d.genius.1));
    w.int("genius_computed", i64::from(d.genius.2));
    gpsr(
        w.key("manufacturer"),
        d.manufacturer,
        ctx,
        ident.brand,
        "SRL",
    );
    gpsr(
        w.key("eu_representative"),
        d.eu_representative,
        ctx,
        ident.brand,
        "Europe BV",
    );
    if vs == 8 {
        w.raw(
            "doc_errors",
            "[{\"message\":\"Lipsește declarația de conformitate\"}]",
        );
    } else {
        w.raw("doc_errors", "null");
    }
    w.opt_str("safety_information", d.safety);
    if !b {
        w.raw("attachments", "[]");
        w.bool("reversible_vat_charging", false);
        w.raw("commission", "null");
        w.int("auto_translated", 0);
        w.int("recyclewarranties", 0);
        w.str("weight", "0.000000");
    }
    w.end();
}

/// A JSON array of offers.
pub fn offers<'a>(
    account: &SimAccount,
    list: impl Iterator<Item = &'a Offer>,
    ctx: Context,
) -> String {
    let mut out = String::with_capacity(4096);
    out.push('[');
    for (i, o) in list.enumerate() {
        if i > 0 {
            out.push(',');
        }
        offer(&mut out, account, o, ctx);
    }
    out.push(']');
    out
}
