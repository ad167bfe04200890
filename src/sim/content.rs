//! The static content of a product (names, codes, EAN, validation, competition fields),
//! derived on demand from its content seed so that nothing textual is stored per offer.

use super::rng::{Mix, splitmix};
use super::words::{Category, brand_code, words};

/// Separate streams per aspect, so cheap lookups (part number, validation) do not have to
/// derive the whole product.
fn stream(content: u64, aspect: u64) -> Mix {
    Mix::new(splitmix(content ^ aspect.wrapping_mul(0x1000_0000_01B3)))
}

/// Category, type, brand and model code: the identity of the product.
pub struct Ident {
    pub category: &'static Category,
    pub kind: &'static str,
    pub brand: &'static str,
    pub model: String,
}

pub fn ident(content: u64) -> Ident {
    let mut r = stream(content, 1);
    let w = words();
    let category = r.pick(&w.categories);
    let kind = *r.pick(&category.types);
    let brand = *r.pick(&category.brands);
    let digits = [10, 100, 1000, 10_000, 100_000][r.below(5) as usize];
    let number = digits + r.below(digits * 9);
    let suffix = if r.percent(60) {
        *r.pick(&w.models)
    } else {
        ""
    };
    let sep = if r.percent(70) { "-" } else { "" };
    let model = format!(
        "{}{sep}{number}{}",
        brand_code(brand),
        suffix.to_ascii_uppercase()
    );
    Ident {
        category,
        kind,
        brand,
        model,
    }
}

/// Seller part number: the model code, sometimes with a market suffix; 1..25 chars.
pub fn part_number(content: u64) -> String {
    part_number_of(content, &ident(content))
}

/// [`part_number`] when the identity is already derived.
pub fn part_number_of(content: u64, ident: &Ident) -> String {
    let model = &ident.model;
    let mut r = stream(content, 2);
    let pn = if r.percent(10) {
        format!("{model}/EU")
    } else {
        model.clone()
    };
    pn.chars().take(25).collect()
}

/// eMAG's product key: 9 upper-case letters/digits; empty on ~2 % (no product attached).
pub fn part_number_key(content: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut r = stream(content, 3);
    if r.percent(2) {
        return String::new();
    }
    (0..9)
        .map(|_| ALPHABET[r.below(ALPHABET.len() as u64) as usize] as char)
        .collect()
}

/// A valid EAN-13 with the Romanian 594 prefix.
pub fn ean(content: u64) -> String {
    let mut r = stream(content, 4);
    let mut digits: Vec<u32> = vec![5, 9, 4];
    digits.extend((0..9).map(|_| r.below(10) as u32));
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits
        .iter()
        .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
        .collect()
}

/// (offer_validation_status, validation_status, translation_validation_status) values.
pub fn validation(content: u64) -> (u8, u8, u8) {
    let mut r = stream(content, 5);
    let ovs = if r.percent(2) { 2 } else { 1 };
    let vs = match r.below(100) {
        0..80 => 9,
        80..84 => 1,
        84..88 => 3,
        88..90 => 5,
        90..93 => 8,
        93..97 => 11,
        _ => 12,
    };
    let tvs = if r.percent(90) {
        vs
    } else {
        *r.pick(&[13u8, 15, 16, 17])
    };
    (ovs, vs, tvs)
}

pub fn validation_description(value: u8) -> &'static str {
    crate::model::validation_name(value.into()).unwrap_or("Unknown")
}

pub fn is_rejected(value: u8) -> bool {
    matches!(value, 5 | 6 | 8 | 12 | 14)
}

/// Everything else a rendered offer needs.
pub struct Details {
    pub name: String,
    pub specs: [&'static str; 2],
    pub description: String,
    pub slug: String,
    pub images: u8,
    pub warranty: u8,
    pub vendor_category_id: Option<u32>,
    pub family: Option<(u32, String, u8)>,
    pub offer_details_id: u64,
    pub warranty_type: u8,
    pub supply_lead_time: u8,
    pub emag_club: u8,
    pub number_of_offers: u8,
    pub number_of_offers_as_string: bool,
    pub rank: u8,
    pub best_offer_pct: i64,
    pub genius: (u8, u8, u8),
    pub manufacturer: bool,
    pub eu_representative: bool,
    pub safety: Option<&'static str>,
}

pub fn details(content: u64, id: &Ident) -> Details {
    let w = words();
    let mut r = stream(content, 6);
    let s1 = *r.pick(&id.category.specs);
    let mut s2 = *r.pick(&id.category.specs);
    if s2 == s1 {
        s2 = id.category.specs[(id.category.specs.iter().position(|s| *s == s1).unwrap_or(0) + 1)
            % id.category.specs.len()];
    }
    let colour = *r.pick(&w.colours);
    let mut name = format!(
        "{} {} {}, {s1}, {s2}, {colour}",
        id.kind, id.brand, id.model
    );
    // Quirks real catalogues have: quoted editions and emoji in names.
    if r.percent(2) {
        name.push_str(", \"Ediție limitată\"");
    }
    if r.percent(1) {
        name = format!("🔥 {name} ✨");
    }
    let p1 = *r.pick(&w.phrases);
    let p2 = *r.pick(&w.phrases);
    let description = format!(
        "<p>{} {} {}. {p1}</p><ul><li>{s1}</li><li>{s2}</li><li>Culoare: {colour}</li></ul><p>{p2}</p>",
        id.kind, id.brand, id.model
    );
    let slug: String = format!("{}-{}", id.brand, id.model)
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let family = if r.percent(15) {
        Some((
            1000 + r.below(90_000) as u32,
            format!("{} {}", id.brand, id.kind),
            1 + r.below(3) as u8,
        ))
    } else {
        None
    };
    Details {
        name,
        specs: [s1, s2],
        description,
        slug,
        images: 1 + r.below(3) as u8,
        warranty: *r.pick(&[0u8, 12, 24, 24, 24, 36, 60]),
        vendor_category_id: if r.percent(70) {
            Some(1 + r.below(40) as u32)
        } else {
            None
        },
        family,
        offer_details_id: 40_000_000 + r.below(50_000_000),
        warranty_type: 1 + r.below(2) as u8,
        supply_lead_time: *r.pick(&[7u8, 14, 14, 21, 30]),
        emag_club: r.below(2) as u8,
        number_of_offers: 1 + r.below(8) as u8,
        number_of_offers_as_string: r.percent(5),
        rank: 1 + r.below(5) as u8,
        best_offer_pct: 95 + r.below(6) as i64,
        genius: (r.below(2) as u8, 1 + r.below(3) as u8, r.below(4) as u8),
        manufacturer: r.percent(60),
        eu_representative: r.percent(30),
        safety: if r.percent(70) {
            Some(*r.pick(&w.safety))
        } else {
            None
        },
    }
}
