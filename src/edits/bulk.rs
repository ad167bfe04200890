//! One change applied to many offers (the dashboard's bulk edit of marked rows): set, add to
//! or multiply the price, kept within each offer's min/max if asked, and/or set the stock.
//! Pure: the caller reads each offer and queues the request through `queue`, which still
//! validates it.

use rust_decimal::{Decimal, RoundingStrategy};

use super::EditRequest;
use crate::model::Offer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceOp {
    Set(Decimal),
    Add(Decimal),
    Multiply(Decimal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkChange {
    pub price: Option<PriceOp>,
    pub stock: Option<i64>,
    /// Keep a computed price within the offer's min/max sale price (else validation refuses
    /// an offer whose new price falls outside them).
    pub clamp: bool,
}

/// The request for one offer, or why there is none (no price to add to).
pub fn request_for(offer: &Offer, change: &BulkChange) -> Result<EditRequest, String> {
    let mut req = EditRequest {
        stock: change.stock,
        ..Default::default()
    };
    if let Some(op) = change.price {
        let current = offer.sale_price;
        let new = match (op, current) {
            (PriceOp::Set(v), _) => v,
            (PriceOp::Add(v), Some(p)) => p + v,
            (PriceOp::Multiply(v), Some(p)) => p * v,
            (_, None) => {
                return Err(format!(
                    "offer {} has no sale price to change; set one instead",
                    offer.id
                ));
            }
        };
        // eMAG takes 4 decimals; a multiplication can make more.
        let mut new = new.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
        if change.clamp {
            if let Some(min) = offer.min_sale_price {
                new = new.max(min);
            }
            if let Some(max) = offer.max_sale_price {
                new = new.min(max);
            }
        }
        req.sale_price = Some(new);
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn offer(price: &str) -> Offer {
        Offer {
            id: 7,
            sale_price: Some(d(price)),
            min_sale_price: Some(d("50")),
            max_sale_price: Some(d("150")),
            ..Default::default()
        }
    }

    #[test]
    fn prices_are_computed_exactly_and_kept_within_bounds() {
        let change = |op, clamp| BulkChange {
            price: Some(op),
            stock: None,
            clamp,
        };
        let p = |o: &Offer, c: &BulkChange| request_for(o, c).unwrap().sale_price.unwrap();
        let o = offer("100.1234");
        assert_eq!(p(&o, &change(PriceOp::Add(d("-0.1234")), true)), d("100"));
        assert_eq!(
            p(&o, &change(PriceOp::Multiply(d("1.1")), true)),
            d("110.1357")
        );
        assert_eq!(p(&o, &change(PriceOp::Multiply(d("2")), true)), d("150"));
        assert_eq!(
            p(&o, &change(PriceOp::Multiply(d("2")), false)),
            d("200.2468")
        );
        assert_eq!(p(&o, &change(PriceOp::Set(d("10")), true)), d("50"));
        let none = Offer {
            sale_price: None,
            ..offer("1")
        };
        assert!(request_for(&none, &change(PriceOp::Add(d("1")), true)).is_err());
        let stock = BulkChange {
            price: None,
            stock: Some(4),
            clamp: true,
        };
        assert_eq!(
            request_for(&o, &stock).unwrap(),
            EditRequest {
                stock: Some(4),
                ..Default::default()
            }
        );
    }
}
