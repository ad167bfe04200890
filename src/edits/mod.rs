//! Local edits of offers (price, recommended price, stock, status) pushed to eMAG, and how a
//! sync settles them when eMAG's value moved meanwhile (issue 7).
//!
//! * `validate` checks an edit before it is queued (bounds named in every message);
//! * `db` keeps edits in `pending_edits` (at most one open edit per offer) and overlays them
//!   on the mirror, so the products view shows what will be pushed;
//! * `push` sends pending edits through the light `offer/save` route, ≤ 50 offers a call;
//! * `settle` is called by the sync engine on every page before it is written: recycled ids
//!   cancel edits, and conflicts are settled by the run's strategy;
//! * `preview` lists what a push would send (offer, product, each field old → new) for the
//!   confirmation, and `discard` withdraws queued edits;
//! * `resolve` is the operator's "keep mine" / "take eMAG's" for manual conflicts.
//!
//! No UI code lives here; the CLI and the TUI call these functions.

pub mod bulk;
pub mod db;
pub mod discard;
pub mod preview;
pub mod price;
pub mod push;
pub mod resolve;
pub mod settle;
pub mod validate;

pub use db::{EditFilter, queue};
pub use push::{PushReport, push_account, push_selected};
pub use resolve::{Keep, resolve};
pub use settle::{ConflictCounts, SettleOutcome, run_conflicts, settle, settle_batch};
pub use validate::{EditError, EditRequest};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

use crate::model::{ConflictStrategy, Offer, OfferStatus, money_text};

/// Lifecycle of an edit. `pending`, `rejected` and `conflict` are open (at most one per offer);
/// the others are history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditState {
    /// Waiting to be pushed.
    Pending,
    /// eMAG accepted it; the mirror shows it.
    Pushed,
    /// eMAG refused it; kept with eMAG's message until edited again or discarded.
    Rejected,
    /// eMAG's value moved and the strategy is `manual`: nothing is pushed until resolved.
    Conflict,
    /// eMAG's value won (strategy or "take eMAG's").
    Discarded,
    /// eMAG reused the offer id for another product; never pushed.
    Cancelled,
}

impl EditState {
    pub const ALL: [EditState; 6] = [
        EditState::Pending,
        EditState::Pushed,
        EditState::Rejected,
        EditState::Conflict,
        EditState::Discarded,
        EditState::Cancelled,
    ];
    pub const OPEN: [EditState; 3] = [EditState::Pending, EditState::Rejected, EditState::Conflict];

    pub fn as_str(self) -> &'static str {
        match self {
            EditState::Pending => "pending",
            EditState::Pushed => "pushed",
            EditState::Rejected => "rejected",
            EditState::Conflict => "conflict",
            EditState::Discarded => "discarded",
            EditState::Cancelled => "cancelled",
        }
    }

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

impl fmt::Display for EditState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EditState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EditState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown edit state \"{s}\""))
    }
}

/// The four editable fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    SalePrice,
    RecommendedPrice,
    Stock,
    Status,
}

impl Field {
    pub const ALL: [Field; 4] = [
        Field::SalePrice,
        Field::RecommendedPrice,
        Field::Stock,
        Field::Status,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::SalePrice => "sale_price",
            Field::RecommendedPrice => "recommended_price",
            Field::Stock => "stock",
            Field::Status => "status",
        }
    }
}

/// Values of the editable fields. In an edit, `Some` means "this field is edited"; as base or
/// remote values, only the fields the edit touches are meaningful.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Values {
    pub sale_price: Option<Decimal>,
    pub recommended_price: Option<Decimal>,
    pub stock: Option<i32>,
    pub status: Option<OfferStatus>,
}

impl Values {
    pub fn is_empty(&self) -> bool {
        Field::ALL.iter().all(|f| self.text(*f).is_none())
    }

    /// The fields that hold a value.
    pub fn fields(&self) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|f| self.text(*f).is_some())
            .collect()
    }

    /// A field as canonical text (money at 4 places), for comparisons and messages.
    pub fn text(&self, f: Field) -> Option<String> {
        match f {
            Field::SalePrice => self.sale_price.map(money_text),
            Field::RecommendedPrice => self.recommended_price.map(money_text),
            Field::Stock => self.stock.map(|v| v.to_string()),
            Field::Status => self.status.map(|v| v.code().to_string()),
        }
    }

    /// eMAG's values of `fields` in a mirrored or freshly read offer.
    pub fn of_offer(o: &Offer, fields: &[Field]) -> Values {
        let mut v = Values::default();
        for f in fields {
            match f {
                Field::SalePrice => v.sale_price = o.sale_price,
                Field::RecommendedPrice => v.recommended_price = o.recommended_price,
                Field::Stock => {
                    v.stock = Some(o.effective_stock().clamp(0, i32::MAX as i64) as i32)
                }
                Field::Status => v.status = o.status,
            }
        }
        v
    }

    /// Fields of `fields` whose text differs between `self` and `other`.
    pub fn differing(&self, other: &Values, fields: &[Field]) -> Vec<Field> {
        fields
            .iter()
            .copied()
            .filter(|f| self.text(*f) != other.text(*f))
            .collect()
    }

    /// Copies field `f` from `other`.
    pub fn take(&mut self, other: &Values, f: Field) {
        match f {
            Field::SalePrice => self.sale_price = other.sale_price,
            Field::RecommendedPrice => self.recommended_price = other.recommended_price,
            Field::Stock => self.stock = other.stock,
            Field::Status => self.status = other.status,
        }
    }

    /// Writes the set fields into an offer (the mirror shows pending edits). Stock keeps the
    /// units reserved by orders out of `estimated_stock`, as eMAG computes it.
    pub fn overlay(&self, o: &mut Offer) {
        if let Some(p) = self.sale_price {
            o.sale_price = Some(p);
        }
        if let Some(p) = self.recommended_price {
            o.recommended_price = Some(p);
        }
        if let Some(s) = self.status {
            o.status = Some(s);
        }
        if let Some(n) = self.stock {
            let reserved = match (o.general_stock, o.estimated_stock) {
                (Some(g), Some(e)) => (g - e).max(0),
                _ => 0,
            };
            let warehouse = o.stock.first().map_or(1, |w| w.warehouse_id);
            o.general_stock = Some(n);
            o.estimated_stock = Some((n - reserved).max(0));
            o.stock = vec![crate::model::WarehouseValue {
                warehouse_id: warehouse,
                value: i64::from(n),
            }];
        }
    }

    /// "sale_price 99.0000, stock 4" for messages.
    pub fn describe(&self, fields: &[Field]) -> String {
        fields
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f.name(),
                    self.text(*f).unwrap_or_else(|| "none".into())
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Who or what settled an edit (`settled_by`, stored as its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettledBy {
    /// A sync, by the run's conflict strategy.
    Strategy(ConflictStrategy),
    /// A sync found eMAG had given the offer id to another product.
    RecycledId,
    /// A sync found eMAG already showing the edited values.
    AlreadyApplied,
    /// The operator resolved a conflict for the local value.
    KeepLocal,
    /// The operator resolved a conflict for eMAG's value.
    KeepRemote,
    /// The operator discarded the edit before it was pushed.
    Withdrawn,
    /// A value this version does not know (written by a newer one), kept as stored.
    Other(String),
}

impl SettledBy {
    pub fn as_str(&self) -> &str {
        match self {
            SettledBy::Strategy(s) => s.as_str(),
            SettledBy::RecycledId => "recycled_id",
            SettledBy::AlreadyApplied => "already_applied",
            SettledBy::KeepLocal => "keep_local",
            SettledBy::KeepRemote => "keep_remote",
            SettledBy::Withdrawn => "withdrawn",
            SettledBy::Other(s) => s,
        }
    }

    /// The value a stored text stands for; every text reads back.
    pub fn from_stored(text: &str) -> SettledBy {
        if let Ok(s) = text.parse::<ConflictStrategy>() {
            return SettledBy::Strategy(s);
        }
        match text {
            "recycled_id" => SettledBy::RecycledId,
            "already_applied" => SettledBy::AlreadyApplied,
            "keep_local" => SettledBy::KeepLocal,
            "keep_remote" => SettledBy::KeepRemote,
            "withdrawn" => SettledBy::Withdrawn,
            other => SettledBy::Other(other.to_string()),
        }
    }
}

impl fmt::Display for SettledBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SettledBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One edit as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edit {
    pub id: i64,
    pub account: String,
    pub offer_id: i64,
    pub part_number: Option<String>,
    /// The edited fields and their new values.
    pub values: Values,
    /// eMAG's values the edit was based on.
    pub base: Values,
    pub created_at: DateTime<Utc>,
    /// When the operator last changed it ("newest wins" compares this).
    pub edited_at: DateTime<Utc>,
    pub revision: i64,
    pub state: EditState,
    /// eMAG's answer, or how magsync settled the edit.
    pub message: Option<String>,
    /// eMAG's values when a sync found them moved away from the base.
    pub remote: Values,
    pub remote_changed_seen_at: Option<DateTime<Utc>>,
    pub settled_by: Option<SettledBy>,
    pub settled_run_id: Option<i64>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Who queued (or last changed) it: "user@host via cli|tui"; None before this was kept.
    pub queued_by: Option<String>,
}

impl Edit {
    pub fn fields(&self) -> Vec<Field> {
        self.values.fields()
    }
}

/// "user@host via cli" for `queued_by`: the operator's login and machine, and the tool used.
pub fn queued_by(tool: &str) -> String {
    let user = whoami::username().unwrap_or_else(|_| "unknown".into());
    let host = whoami::hostname().unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host} via {tool}")
}

/// FBE accounts (Fulfilled by eMAG) never push stock (emag-api.md §2). The configuration has
/// no account kind, so an account counts as FBE when its name says so (`fbe`, `fbe_ro`,
/// `ro-fbe`...), the naming the original deployment and the simulator use.
pub fn is_fbe_account(name: &str) -> bool {
    name.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| part == "fbe")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_settled_by_reads_back_as_written() {
        for (text, by) in [
            (
                "emag_priority",
                SettledBy::Strategy(ConflictStrategy::EmagPriority),
            ),
            (
                "local_priority",
                SettledBy::Strategy(ConflictStrategy::LocalPriority),
            ),
            (
                "newest_wins",
                SettledBy::Strategy(ConflictStrategy::NewestWins),
            ),
            ("manual", SettledBy::Strategy(ConflictStrategy::Manual)),
            ("recycled_id", SettledBy::RecycledId),
            ("already_applied", SettledBy::AlreadyApplied),
            ("keep_local", SettledBy::KeepLocal),
            ("keep_remote", SettledBy::KeepRemote),
            ("withdrawn", SettledBy::Withdrawn),
            (
                "a_future_reason",
                SettledBy::Other("a_future_reason".into()),
            ),
        ] {
            assert_eq!(SettledBy::from_stored(text), by);
            assert_eq!(by.as_str(), text);
            assert_eq!(serde_json::to_value(&by).unwrap(), serde_json::json!(text));
        }
    }

    #[test]
    fn fbe_is_recognised_by_name() {
        assert!(is_fbe_account("fbe"));
        assert!(is_fbe_account("FBE"));
        assert!(is_fbe_account("ro-fbe"));
        assert!(!is_fbe_account("main"));
        assert!(!is_fbe_account("fbexyz"));
    }

    #[test]
    fn overlay_keeps_reserved_units_out_of_estimated_stock() {
        let mut o = Offer {
            general_stock: Some(10),
            estimated_stock: Some(8),
            ..Default::default()
        };
        Values {
            stock: Some(5),
            ..Default::default()
        }
        .overlay(&mut o);
        assert_eq!((o.general_stock, o.estimated_stock), (Some(5), Some(3)));
        assert_eq!(o.stock[0].warehouse_id, 1);
    }
}
