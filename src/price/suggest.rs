//! The suggested price of an offer that lost the buy button: the best competing price less a
//! step, never below `min_sale_price` nor above `max_sale_price`, never below the floor (cost
//! plus margin when the seller supplied costs, else the minimum price); or the reason no price
//! can win. A pure function, so every case is a row of a table test.

use rust_decimal::Decimal;
use serde::Serialize;

/// What the suggestion is computed from (prices exclude VAT, in the offer's currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuggestInput {
    pub sale: Decimal,
    pub best: Option<Decimal>,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    /// Cost plus margin, when a cost is known for the offer's part number.
    pub cost_floor: Option<Decimal>,
    /// How much under the best competing price to go (> 0).
    pub step: Decimal,
}

/// A price to set, or why none is suggested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Suggestion {
    Price { price: Decimal },
    None { reason: String },
}

impl Suggestion {
    pub fn price(&self) -> Option<Decimal> {
        match self {
            Suggestion::Price { price } => Some(*price),
            Suggestion::None { .. } => None,
        }
    }
}

fn show(d: Decimal) -> String {
    let mut d = d;
    d.rescale(d.scale().clamp(2, 4));
    d.to_string()
}

fn none(reason: String) -> Suggestion {
    Suggestion::None { reason }
}

/// The suggestion for one offer (see the module notes).
pub fn suggest(i: SuggestInput) -> Suggestion {
    let Some(best) = i.best else {
        return none("eMAG gives no best competing price for this offer".into());
    };
    if i.step <= Decimal::ZERO {
        return none(format!("the price step {} must be above 0", show(i.step)));
    }
    let target = (best - i.step).round_dp(4);
    if i.sale <= target {
        return none(format!(
            "already at {}, under the best price {} less the step: price is not what loses the buy button",
            show(i.sale),
            show(best)
        ));
    }
    // The floor: cost plus margin when known, never under eMAG's minimum price.
    let (floor, what) = match (i.cost_floor, i.min) {
        (Some(c), Some(m)) if c >= m => (Some(c), "cost plus margin"),
        (Some(_), Some(m)) => (Some(m), "the minimum price"),
        (Some(c), None) => (Some(c), "cost plus margin"),
        (None, Some(m)) => (Some(m), "the minimum price"),
        (None, None) => (None, ""),
    };
    if let Some(floor) = floor
        && target < floor
    {
        return none(format!(
            "cannot win: the best price {} less the step is {}, under {what} {}",
            show(best),
            show(target),
            show(floor)
        ));
    }
    if target <= Decimal::ZERO {
        return none(format!(
            "cannot win: the best price {} less the step is not above 0",
            show(best)
        ));
    }
    let price = match i.max {
        Some(max) if target > max => max,
        _ => target,
    };
    Suggestion::Price { price }
}

/// Cost plus a margin in percent of the cost, rounded up to 4 places so the floor is never
/// under the margin.
pub fn cost_floor(cost: Decimal, margin_percent: Decimal) -> Decimal {
    let v = cost + cost * margin_percent / Decimal::ONE_HUNDRED;
    v.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::AwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn input(sale: Decimal, best: Option<Decimal>) -> SuggestInput {
        SuggestInput {
            sale,
            best,
            min: Some(d("80")),
            max: Some(d("150")),
            cost_floor: None,
            step: d("0.01"),
        }
    }

    #[test]
    fn suggestions_respect_min_max_and_floor() {
        // (case, input, expected price or a word of the reason)
        let cases: Vec<(&str, SuggestInput, Result<Decimal, &str>)> = vec![
            (
                "plain undercut",
                input(d("100"), Some(d("95"))),
                Ok(d("94.99")),
            ),
            (
                "undercut lands exactly on min",
                input(d("100"), Some(d("80.01"))),
                Ok(d("80")),
            ),
            (
                "under min cannot win",
                input(d("100"), Some(d("80"))),
                Err("under the minimum price 80.00"),
            ),
            (
                "cost floor above min wins over min",
                SuggestInput {
                    cost_floor: Some(d("90")),
                    ..input(d("100"), Some(d("90.005")))
                },
                Err("under cost plus margin 90.00"),
            ),
            (
                "cost floor allows the undercut",
                SuggestInput {
                    cost_floor: Some(d("90")),
                    ..input(d("100"), Some(d("92")))
                },
                Ok(d("91.99")),
            ),
            (
                "cost floor under min: min rules",
                SuggestInput {
                    cost_floor: Some(d("50")),
                    ..input(d("100"), Some(d("79")))
                },
                Err("under the minimum price"),
            ),
            (
                "no min: cost floor alone",
                SuggestInput {
                    min: None,
                    cost_floor: Some(d("50")),
                    ..input(d("100"), Some(d("60")))
                },
                Ok(d("59.99")),
            ),
            (
                "above max is capped at max",
                SuggestInput {
                    sale: d("200"),
                    ..input(d("100"), Some(d("170")))
                },
                Ok(d("150")),
            ),
            (
                "already cheaper",
                input(d("90"), Some(d("95"))),
                Err("price is not what loses"),
            ),
            (
                "no best price",
                input(d("90"), None),
                Err("no best competing price"),
            ),
            (
                "bigger step",
                SuggestInput {
                    step: d("1"),
                    ..input(d("100"), Some(d("95")))
                },
                Ok(d("94")),
            ),
            (
                "nothing above zero",
                SuggestInput {
                    min: None,
                    ..input(d("1"), Some(d("0.01")))
                },
                Err("not above 0"),
            ),
            (
                "zero step refused",
                SuggestInput {
                    step: d("0"),
                    ..input(d("100"), Some(d("95")))
                },
                Err("must be above 0"),
            ),
        ];
        for (name, i, want) in cases {
            let got = suggest(i);
            match (&got, want) {
                (Suggestion::Price { price }, Ok(p)) => assert_eq!(*price, p, "{name}"),
                (Suggestion::None { reason }, Err(w)) => {
                    assert!(reason.contains(w), "{name}: {reason}")
                }
                _ => panic!("{name}: got {got:?}, wanted {want:?}"),
            }
            if let Suggestion::Price { price } = got {
                assert!(price >= i.min.unwrap_or(Decimal::ZERO), "{name}");
                assert!(price <= i.max.unwrap_or(Decimal::MAX), "{name}");
                assert!(price >= i.cost_floor.unwrap_or(Decimal::ZERO), "{name}");
            }
        }
    }

    #[test]
    fn cost_floor_rounds_up() {
        assert_eq!(cost_floor(d("10"), d("15")), d("11.5"));
        assert_eq!(cost_floor(d("0.3333"), d("10")), d("0.3667"));
    }
}
