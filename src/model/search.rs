//! What a products search means, the same for the dashboard's in-memory index
//! ([`crate::index::ProductIndex`]) and the store's SQL (`store::search`): every word of the
//! query (split on whitespace, case- and diacritics-folded by [`fold_search`]) must occur as a
//! substring of the offer's search text (its name, part number, part number key and EANs, see
//! [`search_text`]), of that text with its punctuation removed, or of its offer id. So "lampa"
//! finds "Lampă", "317599" an EAN ending so, "hei45" the part number "HEI-45", and "11851" the
//! offer of that id. [`matches_words`] is the meaning.

use super::{Money, Offer};
use chrono::{DateTime, Utc};

/// Stock at or below this (and above zero) counts as low.
pub const LOW_STOCK: i32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Inactive,
    Eol,
    Missing,
}

impl StatusFilter {
    /// The offer status this filter keeps (None: missing offers, whatever their status).
    pub fn offer_status(self) -> Option<crate::model::OfferStatus> {
        use crate::model::OfferStatus;
        match self {
            StatusFilter::Active => Some(OfferStatus::Active),
            StatusFilter::Inactive => Some(OfferStatus::Inactive),
            StatusFilter::Eol => Some(OfferStatus::EndOfLife),
            StatusFilter::Missing => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockFilter {
    Zero,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Account,
    Id,
    PartNumber,
    Price,
    Stock,
    Rank,
    Changed,
}

impl SortKey {
    pub const ALL: &'static [SortKey] = &[
        SortKey::Account,
        SortKey::Id,
        SortKey::PartNumber,
        SortKey::Name,
        SortKey::Price,
        SortKey::Stock,
        SortKey::Rank,
        SortKey::Changed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Account => "account",
            SortKey::Id => "id",
            SortKey::PartNumber => "part_number",
            SortKey::Price => "price",
            SortKey::Stock => "stock",
            SortKey::Rank => "rank",
            SortKey::Changed => "changed",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductQuery {
    pub text: Option<String>,
    pub account: Option<String>,
    pub status: Option<StatusFilter>,
    pub stock: Option<StockFilter>,
    pub sort: SortKey,
    pub descending: bool,
}

/// Where the next page starts: the last row's sort value and key.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub value: SortValue,
    pub account: String,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    Text(String),
    Int(i64),
    Money(Money),
    Time(DateTime<Utc>),
}

/// Lower-case text with diacritics and other scripts transliterated, so "lampa" finds "Lampă"
/// and an operator without a Romanian keyboard finds "Fierbător".
pub fn fold_search(s: &str) -> String {
    deunicode::deunicode(s).to_lowercase()
}

pub fn search_text(o: &Offer) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for s in [&o.name, &o.part_number, &o.part_number_key]
        .into_iter()
        .flatten()
    {
        parts.push(s);
    }
    parts.extend(o.eans.iter().map(String::as_str));
    fold_search(&parts.join(" \u{1f} "))
}

/// Characters a code's words are also matched without ("HEI-45" is found by "hei45"): ASCII
/// punctuation, which is all that folded text holds besides letters, digits and spaces.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The words of a query as it is matched: folded, split on whitespace (so "usb c" finds
/// "USB-C"). No words means no text condition.
pub fn query_words(text: Option<&str>) -> Vec<String> {
    let folded = fold_search(text.unwrap_or_default());
    folded.split_whitespace().map(str::to_string).collect()
}

/// `search_text` without [`PUNCTUATION`].
pub fn strip_punctuation(text: &str) -> String {
    text.chars().filter(|c| !PUNCTUATION.contains(*c)).collect()
}

/// Whether every word occurs in an offer's search text, in that text without punctuation, or
/// in its id: the meaning of a search, which the store's SQL repeats (`store::search`).
pub fn matches_words(search_text: &str, id: i64, words: &[String]) -> bool {
    if words.is_empty() {
        return true;
    }
    let stripped = strip_punctuation(search_text);
    let id = id.to_string();
    words.iter().all(|w| {
        search_text.contains(w.as_str()) || stripped.contains(w.as_str()) || id.contains(w.as_str())
    })
}
