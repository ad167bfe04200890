//! Text sparklines of an offer's history (the glyphs of ratatui's `Sparkline`, as text so they
//! sit in the details popup's scrolled paragraph): one cell per bucket of time, each the value
//! in force at the bucket's end, scaled between the window's lowest and highest value with
//! exact decimals.

use crate::store::history::HistoryPoint;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The value in force at the end of each of `cells` equal buckets of the `days` before `now`
/// (None before the first point).
pub fn buckets<T: Copy>(
    points: &[HistoryPoint],
    value: impl Fn(&HistoryPoint) -> Option<T>,
    now: DateTime<Utc>,
    days: i64,
    cells: usize,
) -> Vec<Option<T>> {
    let span = Duration::days(days);
    let cells = cells.max(1);
    (1..=cells)
        .map(|i| {
            let end = now - span + span * i as i32 / cells as i32;
            points.iter().rev().find(|p| p.at <= end).and_then(&value)
        })
        .collect()
}

/// Bars for values; the lowest value is the shortest bar, a flat series a row of middle bars,
/// a missing value a blank.
pub fn bars(values: &[Option<Decimal>]) -> String {
    let known = values.iter().flatten();
    let (Some(lo), Some(hi)) = (known.clone().min(), known.max()) else {
        return " ".repeat(values.len());
    };
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if hi == lo => BARS[3],
            Some(v) => {
                let level = ((*v - *lo) * Decimal::from(7) / (*hi - *lo)).round();
                BARS[usize::try_from(level.mantissa()).unwrap_or(0).min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, price: i64, rank: i32) -> HistoryPoint {
        HistoryPoint {
            at: Utc.with_ymd_and_hms(2026, 3, day, 0, 0, 0).unwrap(),
            sale_price: Some(Decimal::new(price, 0)),
            currency: Some("RON".into()),
            stock: Some(3),
            status: Some(crate::model::OfferStatus::Active),
            buy_button_rank: Some(rank),
            best_offer_sale_price: None,
            number_of_offers: None,
        }
    }

    #[test]
    fn buckets_hold_the_value_in_force_and_bars_scale_exactly() {
        let points = vec![at(2, 100, 1), at(5, 120, 2), at(8, 110, 1)];
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap();
        let prices = buckets(&points, |p| p.sale_price, now, 9, 9);
        let want: Vec<Option<Decimal>> = [
            Some(100),
            Some(100),
            Some(100),
            Some(120),
            Some(120),
            Some(120),
            Some(110),
            Some(110),
            Some(110),
        ]
        .iter()
        .map(|v| v.map(Decimal::from))
        .collect();
        assert_eq!(prices, want);
        assert_eq!(bars(&prices), "▁▁▁███▅▅▅");
        // Before the first point: a blank.
        let wider = buckets(&points, |p| p.sale_price, now, 10, 10);
        assert_eq!(wider[0], None);
        assert_eq!(bars(&wider), " ▁▁▁███▅▅▅");
        assert_eq!(bars(&[Some(Decimal::ONE); 3]), "▄▄▄");
        assert_eq!(bars(&[None, None]), "  ");
    }
}
