//! Types shared by every layer: the normalised eMAG offer and the vocabulary of sync runs.
//!
//! The eMAG client produces [`Offer`]s, the sync engine diffs them, the store persists them and
//! the TUI/CLI display them. Nothing here does I/O.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

mod money;
mod raw_json;
pub mod search;
mod status;
pub use money::{Money, money_text};
pub use raw_json::RawJson;
pub use status::{OfferStatus, state_word};

/// One seller offer as magsync understands it, decoded leniently from eMAG's payload.
///
/// Money is exact (`Decimal`, up to 4 places). Every field eMAG may omit is optional, and `raw`
/// keeps the full payload as received (key order preserved) for fields we do not model.
/// As a row of `offers` it leaves `raw` to the store, which pairs it with the stored hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, sqlx::FromRow)]
pub struct Offer {
    pub id: i64,
    pub part_number: Option<String>,
    pub part_number_key: Option<String>,
    pub name: Option<String>,
    pub brand: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub category_id: Option<i64>,
    pub vendor_category_id: Option<i64>,
    pub warranty: Option<i32>,
    #[sqlx(json)]
    pub eans: Vec<String>,
    #[sqlx(try_from = "crate::store::money::Amount")]
    pub sale_price: Option<Decimal>,
    #[sqlx(try_from = "crate::store::money::Amount")]
    pub recommended_price: Option<Decimal>,
    #[sqlx(try_from = "crate::store::money::Amount")]
    pub min_sale_price: Option<Decimal>,
    #[sqlx(try_from = "crate::store::money::Amount")]
    pub max_sale_price: Option<Decimal>,
    #[sqlx(try_from = "crate::store::money::Amount")]
    pub best_offer_sale_price: Option<Decimal>,
    #[sqlx(try_from = "crate::store::money::Amount")]
    pub best_offer_recommended_price: Option<Decimal>,
    pub currency: Option<String>,
    pub vat_id: Option<i32>,
    pub status: Option<OfferStatus>,
    pub general_stock: Option<i32>,
    pub estimated_stock: Option<i32>,
    /// Per-warehouse stock; a missing `warehouse_id` on the wire means warehouse 1.
    #[sqlx(json)]
    pub stock: Vec<WarehouseValue>,
    /// Per-warehouse handling time in days.
    #[sqlx(json)]
    pub handling_time: Vec<WarehouseValue>,
    pub validation_status: Option<i16>,
    pub validation_status_description: Option<String>,
    pub translation_validation_status: Option<i16>,
    pub offer_validation_status: Option<i16>,
    pub offer_validation_status_description: Option<String>,
    /// 1 may edit content, 2 may not (eMAG sends `true`/`false` in practice).
    pub ownership: Option<i16>,
    pub number_of_offers: Option<i32>,
    pub buy_button_rank: Option<i32>,
    /// eMAG's internal offer id (`offer_details.id`), not the seller id.
    pub offer_details_id: Option<i64>,
    #[sqlx(rename = "images", json)]
    pub image_urls: Vec<String>,
    /// The offer exactly as received, with the hash of its canonical form.
    #[sqlx(skip)]
    pub raw: RawJson,
}

/// eMAG's name of a documentation / translation validation status value (emag-api.md §9.1;
/// 13–17 occur only in `translation_validation_status`). None for a value eMAG does not define.
pub fn validation_name(value: i64) -> Option<&'static str> {
    Some(match value {
        0 => "Draft",
        1 => "Awaiting MKTP validation",
        2 => "Awaiting Brand validation",
        3 => "Waiting for EAN approval",
        4 => "New documentation validation pending",
        5 => "Rejected Brand",
        6 => "Invalid product - EAN rejected",
        8 => "Documentation rejected",
        9 => "Approved documentation",
        10 => "Blocked",
        11 => "Update awaiting approval",
        12 => "Update rejected",
        13 => "Waiting for salable offer",
        14 => "Unsuccessful translation",
        15 => "Translation in progress",
        16 => "Translation pending",
        17 => "Partial translation",
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseValue {
    pub warehouse_id: i64,
    pub value: i64,
}

impl Offer {
    /// Hash of the offer's content as received (see [`RawJson::content_hash`]).
    pub fn content_hash(&self) -> String {
        self.raw.content_hash()
    }

    /// Stock as eMAG counts it: `general_stock`, or the sum over warehouses when it is absent.
    pub fn effective_stock(&self) -> i64 {
        match self.general_stock {
            Some(s) => s as i64,
            None => self.stock.iter().map(|w| w.value).sum(),
        }
    }

    /// eMAG's "saleable" rule (emag-api.md §9.1).
    pub fn is_saleable(&self) -> bool {
        self.status == Some(OfferStatus::Active)
            && self.offer_validation_status == Some(1)
            && matches!(self.validation_status, Some(3 | 9 | 11 | 12))
            && self.effective_stock() > 0
    }
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// As stored in a text column (a run's mode, status, …).
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} \"{other}\" (expected one of: {})",
                        stringify!($name).to_lowercase(),
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

string_enum!(
    /// How a run scans and what it may conclude (see the engine docs).
    SyncMode { Full => "full", Incremental => "incremental" }
);
string_enum!(
    /// Who started a run.
    Trigger { Tui => "tui", Cli => "cli", Schedule => "schedule" }
);
string_enum!(
    RunStatus {
        Running => "running",
        Completed => "completed",
        Partial => "partial",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);
string_enum!(
    /// What a sync does when eMAG's value moved away from a pending local edit.
    ConflictStrategy {
        EmagPriority => "emag_priority",
        LocalPriority => "local_priority",
        NewestWins => "newest_wins",
        Manual => "manual",
    }
);
string_enum!(
    EventLevel { Debug => "debug", Info => "info", Warn => "warn", Error => "error" }
);

impl RunStatus {
    pub fn is_finished(self) -> bool {
        self != RunStatus::Running
    }
}

/// Options a run was started with; stored as JSON on the run row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncOptions {
    pub mode: SyncMode,
    pub max_pages: Option<u32>,
    pub items_per_page: u32,
    pub include_inactive: bool,
    pub conflict_strategy: ConflictStrategy,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            mode: SyncMode::Incremental,
            max_pages: None,
            items_per_page: 100,
            include_inactive: false,
            conflict_strategy: ConflictStrategy::EmagPriority,
        }
    }
}

/// Counters of a run, published live and persisted on the run row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RunCounts {
    pub pages_done: i64,
    pub pages_total: Option<i64>,
    pub requests: i64,
    pub retries: i64,
    pub rate_limited: i64,
    pub offers_seen: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub removed: i64,
    pub failed: i64,
}

impl RunCounts {
    /// The counts as one clause, shared by the run's final event and `magsync sync`'s summary.
    pub fn describe(&self) -> String {
        format!(
            "{} offers seen ({} new, {} changed, {} unchanged, {} missing), {} pages, {} requests, {} retries, {} rate limited",
            self.offers_seen,
            self.created,
            self.updated,
            self.unchanged,
            self.removed,
            self.pages_done,
            self.requests,
            self.retries,
            self.rate_limited
        )
    }
}

/// A sync run as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SyncRun {
    pub id: i64,
    pub account: String,
    #[sqlx(try_from = "String")]
    pub mode: SyncMode,
    #[sqlx(try_from = "String")]
    pub trigger: Trigger,
    #[sqlx(try_from = "String")]
    pub status: RunStatus,
    #[sqlx(json)]
    pub options: SyncOptions,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub heartbeat_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub counts: RunCounts,
    /// Where an incremental scan stopped (next page to read), for the next run to resume.
    pub next_page: Option<i64>,
    pub error_summary: Option<String>,
    /// Offers eMAG counted for the run's filter when it started.
    #[serde(default)]
    pub offers_expected: Option<i64>,
}

impl SyncRun {
    /// "saw 1 269 of 1 274" when a full run that ended saw fewer offers than eMAG counted
    /// (catalogue churn, or offers eMAG counts but does not list).
    pub fn count_shortfall(&self) -> Option<String> {
        count_shortfall(self.mode, self.counts.offers_seen, self.offers_expected)
            .filter(|_| self.status.is_finished())
    }
}

/// "saw 1 269 of 1 274" for a full scan that saw fewer offers than counted.
pub fn count_shortfall(mode: SyncMode, seen: i64, expected: Option<i64>) -> Option<String> {
    let expected = expected?;
    (mode == SyncMode::Full && seen < expected)
        .then(|| format!("saw {} of {}", group_digits(seen), group_digits(expected)))
}

/// 1274 → "1 274", as the dashboard shows counts.
pub fn group_digits(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SyncEvent {
    pub id: i64,
    pub run_id: i64,
    pub at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub level: EventLevel,
    pub message: String,
}

/// One recorded field change of an offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OfferChange {
    pub run_id: Option<i64>,
    pub account: String,
    pub offer_id: i64,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub at: DateTime<Utc>,
}
