//! VAT and currencies: eMAG's prices exclude VAT, the seller thinks in shelf prices; Bulgaria
//! changed from leva to euro on 1 January 2026 at a fixed rate, so a comparison across the
//! change converts leva to euro.

use crate::store::history::HistoryPoint;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

/// Leva per euro, fixed by the Council of the EU for Bulgaria's changeover.
pub const BGN_PER_EUR: Decimal = Decimal::from_parts(195_583, 0, 0, false, 5);

/// `amount` in `from` expressed in `to`: leva to euro and back at the fixed rate (4 places,
/// half up); None when the pair is not convertible (different currencies otherwise).
pub fn convert(amount: Decimal, from: &str, to: &str) -> Option<Decimal> {
    let v = match (from, to) {
        (a, b) if a.eq_ignore_ascii_case(b) => return Some(amount),
        ("BGN", "EUR") => amount / BGN_PER_EUR,
        ("EUR", "BGN") => amount * BGN_PER_EUR,
        _ => return None,
    };
    Some(v.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero))
}

/// A VAT-exclusive price with VAT added at `rate_percent` (4 places, half up).
pub fn with_vat(net: Decimal, rate_percent: Decimal) -> Decimal {
    (net + net * rate_percent / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
}

/// A price as customers see it on the shelf: VAT added, to the cent (half up).
pub fn shelf_price(net: Decimal, rate_percent: Decimal) -> Decimal {
    with_vat(net, rate_percent).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A shelf price without its VAT (4 places, half up): what `offer set` sends when the seller
/// typed a price with VAT.
pub fn without_vat(gross: Decimal, rate_percent: Decimal) -> Decimal {
    (gross * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + rate_percent))
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
}

/// The lowest sale price in force during the `days` before `now`, in `currency` (the offer's
/// currency today): points in leva are converted to euro (and back) at the fixed rate, and
/// `converted` says so. Points in a currency that cannot be converted are left out. `points`
/// are oldest first, as `History::of_offer` returns them (the first one may start before
/// the window: it is the price in force when the window opens).
pub fn lowest_price(
    points: &[HistoryPoint],
    now: DateTime<Utc>,
    days: i64,
    currency: &str,
) -> Option<LowestPrice> {
    let start = now - Duration::days(days);
    let mut best: Option<LowestPrice> = None;
    for (i, p) in points.iter().enumerate() {
        // A point ending before the window opens was not in force during it.
        let ends = points.get(i + 1).map(|n| n.at);
        if ends.is_some_and(|e| e <= start) || p.at > now {
            continue;
        }
        let Some(price) = p.sale_price else { continue };
        let from = p.currency.as_deref().unwrap_or(currency);
        let Some(value) = convert(price, from, currency) else {
            continue;
        };
        let converted = !from.eq_ignore_ascii_case(currency);
        if best.as_ref().is_none_or(|b| value < b.price) {
            best = Some(LowestPrice {
                price: value,
                converted,
                at: p.at.max(start),
            });
        }
    }
    best
}

/// The lowest price of a window, in the offer's currency today.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LowestPrice {
    pub price: Decimal,
    /// The lowest price was in leva and is shown in euro (or the other way round).
    pub converted: bool,
    /// When that price was (first) in force within the window.
    pub at: DateTime<Utc>,
}

/// Money as people read it: at least two decimals, no trailing zeros past them (never
/// rounded: every stored digit stays).
pub fn show(d: Decimal) -> String {
    let mut d = d.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

/// A campaign price `percent` under a reference price (4 places, half up).
pub fn campaign_price(reference: Decimal, percent: u32) -> Decimal {
    (reference * Decimal::from(100 - percent.min(100)) / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn point(day: u32, price: &str, currency: &str) -> HistoryPoint {
        HistoryPoint {
            at: Utc.with_ymd_and_hms(2025, 12, day, 12, 0, 0).unwrap(),
            sale_price: Some(d(price)),
            currency: Some(currency.into()),
            stock: None,
            status: None,
            buy_button_rank: None,
            best_offer_sale_price: None,
            number_of_offers: None,
        }
    }

    #[test]
    fn lowest_price_converts_across_the_euro_changeover() {
        // 19.55 leva before the change is 9.99575… = 9.9958 euro: lower than any euro price since.
        let points = vec![
            point(1, "25.00", "BGN"),
            point(10, "19.55", "BGN"),
            point(20, "10.20", "EUR"),
            point(25, "10.50", "EUR"),
        ];
        let now = Utc.with_ymd_and_hms(2025, 12, 30, 0, 0, 0).unwrap();
        let low = lowest_price(&points, now, 30, "EUR").unwrap();
        assert_eq!(low.price, d("9.9958"));
        assert!(low.converted);
        // Nine days back only euro prices were in force (the 10.20 from the 20th); ten days
        // back the leva price was still in force when the window opened.
        let low = lowest_price(&points, now, 10, "EUR").unwrap();
        assert!(low.converted);
        let low = lowest_price(&points, now, 9, "EUR").unwrap();
        assert_eq!((low.price, low.converted), (d("10.20"), false));
        // A point that ended before the window is out; the one in force at its start is in.
        let later = Utc.with_ymd_and_hms(2026, 1, 22, 0, 0, 0).unwrap();
        let low = lowest_price(&points, later, 30, "EUR").unwrap();
        assert_eq!(low.price, d("10.20"));
        let later = Utc.with_ymd_and_hms(2026, 2, 10, 0, 0, 0).unwrap();
        let low = lowest_price(&points, later, 30, "EUR").unwrap();
        assert_eq!(low.price, d("10.50"));
    }

    #[test]
    fn vat_and_campaigns() {
        assert_eq!(with_vat(d("107.4298"), d("21")), d("129.9901"));
        assert_eq!(shelf_price(d("107.4298"), d("21")), d("129.99"));
        assert_eq!(shelf_price(d("99.89"), d("21")), d("120.87"));
        assert_eq!(without_vat(d("129.99"), d("21")), d("107.4298"));
        assert_eq!(campaign_price(d("100"), 15), d("85"));
        assert_eq!(convert(d("1.95583"), "BGN", "EUR"), Some(d("1")));
        assert_eq!(convert(d("10"), "RON", "EUR"), None);
    }
}
