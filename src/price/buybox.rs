//! Offers that lost or won the buy button in a window (since each account's last sync, or
//! since a time), with the gap to the best offer and a suggested price.

use super::costs::Costs;
use super::suggest::{SuggestInput, Suggestion, cost_floor, suggest};
use crate::store::history::RankMove;
use crate::store::{Result, Store};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// Default step under the best competing price (`[prices] step`).
pub const DEFAULT_STEP: &str = "0.01";

/// Which window a list covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Since each account's last sync started: what that sync changed.
    LastSync,
    Since(DateTime<Utc>),
}

/// How suggestions are computed.
#[derive(Debug, Clone, PartialEq)]
pub struct BuyboxOptions {
    pub step: Decimal,
    /// Added to a known cost, in percent of it.
    pub margin_percent: Decimal,
    pub costs: Costs,
}

impl Default for BuyboxOptions {
    fn default() -> Self {
        BuyboxOptions {
            step: Decimal::new(1, 2),
            margin_percent: Decimal::ZERO,
            costs: Costs::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// The rank was 1 and is not any more.
    Lost,
    /// The rank is 1 and was not.
    Won,
}

/// One offer of the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuyboxEntry {
    pub account: String,
    pub id: i64,
    pub part_number: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "change")]
    pub movement: Move,
    pub rank_before: Option<i32>,
    pub rank: Option<i32>,
    pub currency: Option<String>,
    pub sale_price: Option<Decimal>,
    pub best_price: Option<Decimal>,
    /// Own price less the best offer's price (above 0: dearer than the winner).
    pub gap: Option<Decimal>,
    pub gap_percent: Option<Decimal>,
    pub number_of_offers: Option<i32>,
    pub suggestion: Suggestion,
    /// The offer's VAT rate in percent, from the account's cached `vat/read` (None: not
    /// cached yet); prices above exclude VAT, as eMAG's do.
    pub vat_percent: Option<Decimal>,
    /// Since when the list looks (the account's last sync start, or the asked time).
    pub since: DateTime<Utc>,
}

/// Classifies one offer's move, or None when its rank did not cross 1.
pub fn classify(m: &RankMove) -> Option<Move> {
    match (m.rank_before == Some(1), m.rank == Some(1)) {
        (true, false) => Some(Move::Lost),
        (false, true) => Some(Move::Won),
        _ => None,
    }
}

/// The gap to the best offer, in money and in percent of the best price (2 places).
pub fn gap(sale: Option<Decimal>, best: Option<Decimal>) -> (Option<Decimal>, Option<Decimal>) {
    let gap = sale.zip(best).map(|(s, b)| s - b);
    let pct = gap
        .zip(best)
        .filter(|(_, b)| !b.is_zero())
        .map(|(g, b)| (g * Decimal::ONE_HUNDRED / b).round_dp(2));
    (gap, pct)
}

/// One entry from a mirrored move.
pub fn entry(m: RankMove, movement: Move, since: DateTime<Utc>, o: &BuyboxOptions) -> BuyboxEntry {
    let (gap, gap_percent) = gap(m.sale_price, m.best_offer_sale_price);
    let suggestion = match (movement, m.sale_price) {
        (Move::Won, _) => Suggestion::None {
            reason: "holds the buy button".into(),
        },
        (Move::Lost, None) => Suggestion::None {
            reason: "the offer has no sale price".into(),
        },
        (Move::Lost, Some(sale)) => suggest(SuggestInput {
            sale,
            best: m.best_offer_sale_price,
            min: m.min_sale_price,
            max: m.max_sale_price,
            cost_floor: m
                .part_number
                .as_ref()
                .and_then(|pn| o.costs.get(pn))
                .map(|c| cost_floor(*c, o.margin_percent)),
            step: o.step,
        }),
    };
    BuyboxEntry {
        account: m.account,
        id: m.id,
        part_number: m.part_number,
        name: m.name,
        movement,
        rank_before: m.rank_before,
        rank: m.rank,
        currency: m.currency,
        sale_price: m.sale_price,
        best_price: m.best_offer_sale_price,
        gap,
        gap_percent,
        number_of_offers: m.number_of_offers,
        suggestion,
        vat_percent: None,
        since,
    }
}

/// The list for `accounts` (with VAT rates from each account's cache): every offer whose buy-button rank left 1 (and, unless
/// `losing_only`, reached 1) in the window, ordered by account, then lost before won, then
/// the largest gap in percent first.
pub async fn buybox(
    store: &Store,
    accounts: &[String],
    window: Window,
    losing_only: bool,
    options: &BuyboxOptions,
) -> Result<Vec<BuyboxEntry>> {
    let mut out = Vec::new();
    for account in accounts {
        let since = match window {
            Window::Since(t) => t,
            Window::LastSync => match store.runs().last(account, None, None).await? {
                Some(run) => run.started_at,
                None => continue,
            },
        };
        let rates = store.accounts().vat_rates(account).await?;
        let mut list: Vec<BuyboxEntry> = store
            .history()
            .rank_moves(Some(account), since)
            .await?
            .into_iter()
            .filter_map(|m| {
                let mv = classify(&m)?;
                let vat_percent = super::smart_deals::rate_percent(&rates, m.vat_id);
                (!losing_only || mv == Move::Lost).then(|| BuyboxEntry {
                    vat_percent,
                    ..entry(m, mv, since, options)
                })
            })
            .collect();
        list.sort_by(|a, b| {
            (a.movement == Move::Won)
                .cmp(&(b.movement == Move::Won))
                .then(b.gap_percent.cmp(&a.gap_percent))
                .then(a.id.cmp(&b.id))
        });
        out.extend(list);
    }
    Ok(out)
}

impl BuyboxEntry {
    /// A price of this offer as customers see it, with VAT (None while the rate is unknown).
    pub fn with_vat(&self, net: Option<Decimal>) -> Option<Decimal> {
        net.zip(self.vat_percent)
            .map(|(p, r)| super::money::shelf_price(p, r))
    }
}
