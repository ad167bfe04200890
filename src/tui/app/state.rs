//! The dashboard's state, tab by tab: what `update()` changes and the views draw.

use crate::model::{OfferChange, SyncEvent, SyncMode, SyncRun};
use crate::store::accounts::AccountStats;
use crate::store::offers::StoredOffer;
use crate::tui::keymap::Context;
use chrono::{DateTime, Utc};
use tui_input::Input;

pub use crate::tui::tabs::connections::{AccountInfo, ConnTest};
pub use crate::tui::tabs::sync::{LogPane, OptionsField, OptionsForm, level_rank};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Connections,
    Sync,
    Products,
    History,
    Changes,
    Buybox,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Connections,
        Tab::Sync,
        Tab::Products,
        Tab::History,
        Tab::Changes,
        Tab::Buybox,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Tab::Connections => "Connections",
            Tab::Sync => "Sync",
            Tab::Products => "Products",
            Tab::History => "History",
            Tab::Changes => "Changes",
            Tab::Buybox => "Buy button",
        }
    }
    pub fn context(self) -> Context {
        match self {
            Tab::Connections => Context::Connections,
            Tab::Sync => Context::Sync,
            Tab::Products => Context::Products,
            Tab::History => Context::History,
            Tab::Changes => Context::Changes,
            Tab::Buybox => Context::Buybox,
        }
    }
}

/// What a store poll returns (about once a second).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    pub stats: Vec<AccountStats>,
    pub running: Vec<SyncRun>,
    /// Each account's health, judged as `magsync check` does.
    pub health: Vec<crate::health::AccountHealth>,
}

/// A run opened from History.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDetail {
    pub run: SyncRun,
    pub events: Vec<SyncEvent>,
    pub changes: Vec<OfferChange>,
    pub scroll: u16,
    /// The changed offer Tab selected (Enter opens it), if any.
    pub link: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OfferDetail {
    pub offer: StoredOffer,
    pub changes: Vec<OfferChange>,
    /// The offer's pending local edit: the mirror holds its values, the popup shows eMAG's too.
    pub pending: Option<crate::edits::Edit>,
    pub scroll: u16,
    /// Its price history and the same part number on other accounts.
    pub prices: PricePanel,
    /// The change Tab selected (Enter opens the run that made it), if any.
    pub link: Option<usize>,
}

impl OfferDetail {
    /// What `y` offers to copy: (label, value) for each field the offer has.
    pub fn copyable(&self) -> Vec<(String, String)> {
        let s = &self.offer;
        let o = &s.offer;
        let mut out = vec![("id".to_string(), o.id.to_string())];
        let mut add = |label: &str, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                out.push((label.to_string(), v));
            }
        };
        add("part number", o.part_number.clone());
        add("part number key", o.part_number_key.clone());
        add("EAN", (!o.eans.is_empty()).then(|| o.eans.join(", ")));
        add("name", o.name.clone());
        add("URL", o.url.clone());
        add(
            "sale price",
            o.sale_price
                .map(|p| format!("{p} {}", o.currency.as_deref().unwrap_or(""))),
        );
        // The row as eMAG sent it, with the account it belongs to.
        let mut row = match o.raw.to_value() {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        row.insert("account".into(), serde_json::json!(s.account));
        row.entry("id").or_insert(serde_json::json!(o.id));
        add(
            "row as JSON",
            serde_json::to_string(&serde_json::Value::Object(row)).ok(),
        );
        out
    }

    /// Changes that name the run that made them (the links of the details).
    pub fn run_links(&self) -> Vec<usize> {
        self.changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.run_id.is_some())
            .map(|(i, _)| i)
            .collect()
    }
}

/// What the offer details show about price: 90 days of history (oldest first, the point in
/// force 90 days ago first) and the same part number on the other accounts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PricePanel {
    pub history: Vec<crate::store::history::HistoryPoint>,
    pub siblings: Vec<crate::store::search::ProductRow>,
    /// The offer's VAT rate in percent (None: the account's rates are not known yet).
    pub vat_percent: Option<rust_decimal::Decimal>,
}

/// Actions that need a "yes" first; the confirm popup hands them back typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    FullSync {
        account: String,
        pages: Option<i64>,
    },
    CancelRun {
        account: String,
        run_id: i64,
    },
    QuitWhileRunning {
        runs: usize,
    },
    /// Start a run of this mode on every idle account (`accounts` names them).
    SyncAll {
        mode: SyncMode,
        accounts: Vec<String>,
        /// Each account's incremental page limit, in the order of `accounts`.
        pages: Vec<Option<u32>>,
    },
    /// Accept the mass-missing guard's hold on `account`: a full run that marks the offers
    /// missing; `reason` is the guard's finding.
    AcceptGuardHold {
        account: String,
        reason: String,
    },
    /// Withdraw these open edits; `what` names them ("offer 11851", "3 marked edits").
    Discard {
        ids: Vec<i64>,
        what: String,
    },
}

impl Confirm {
    pub fn question(&self) -> String {
        match self {
            Confirm::FullSync { account, pages } => format!(
                "Full sync of {account}: scans all {} and marks offers eMAG no longer lists. Start?",
                pages
                    .map(|p| format!("{p} pages"))
                    .unwrap_or_else(|| "pages".into())
            ),
            Confirm::CancelRun { account, run_id } => {
                format!("Cancel run {run_id} of {account}? Offers already written stay.")
            }
            Confirm::QuitWhileRunning { runs } => format!(
                "{runs} sync{} started here still running{}; quitting cancels {}. Quit?",
                if *runs == 1 { "" } else { "s" },
                if *runs == 1 { " is" } else { " are" },
                if *runs == 1 { "it" } else { "them" }
            ),
            Confirm::SyncAll {
                mode,
                accounts,
                pages,
            } => match mode {
                SyncMode::Full => format!(
                    "Full sync of {}: reads every page and marks offers eMAG no longer lists. Start?",
                    accounts.join(", ")
                ),
                SyncMode::Incremental => format!(
                    "Incremental sync of {}: each reads its next window of pages. Start?",
                    accounts
                        .iter()
                        .zip(pages.iter().chain(std::iter::repeat(&None)))
                        .map(|(a, p)| match p {
                            Some(n) => format!("{a} ({n} page{})", if *n == 1 { "" } else { "s" }),
                            None => a.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            Confirm::AcceptGuardHold { account, reason } => {
                format!("{account}: {reason}. Start a full sync that marks them missing anyway?")
            }
            Confirm::Discard { what, .. } => format!(
                "Withdraw {what}? They are not sent, and the mirror shows eMAG's values again."
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Popup {
    Confirm(Confirm),
    Options(OptionsForm),
    /// `scroll`: the first key row shown, when the rows do not fit (80×24 shows about 15).
    Help {
        filter: Input,
        typing: bool,
        scroll: u16,
    },
    Errors {
        scroll: u16,
    },
    Offer(Box<OfferDetail>),
    Run(Box<RunDetail>),
    Edit(Box<crate::tui::tabs::changes::EditForm>),
    /// What a push would send, waiting for y/Enter or n/Esc.
    PushPreview(Box<crate::tui::tabs::changes::PreviewPopup>),
    /// One change for every marked product.
    Bulk(Box<crate::tui::tabs::products::BulkForm>),
    /// The `:` command palette.
    Palette(Box<crate::tui::palette::Palette>),
    /// `y` in the offer details: which field to copy over OSC 52.
    Copy {
        items: Vec<(String, String)>,
        selected: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub until: DateTime<Utc>,
}
