//! Checks an edit before it is queued, with eMAG's rules (emag-api.md §10.4). Every message is
//! one sentence that names the bound, so the operator can fix the value without the docs.

use rust_decimal::Decimal;
use std::fmt;

use super::{Edit, Values};
use crate::model::{Offer, OfferStatus};

/// Largest stock eMAG accepts.
pub const MAX_STOCK: i64 = 65_535;
/// Decimal places eMAG accepts on prices.
pub const MAX_DECIMALS: u32 = 4;

/// What the operator asked for; `None` = leave that field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditRequest {
    pub sale_price: Option<Decimal>,
    pub recommended_price: Option<Decimal>,
    /// Wider than eMAG's range so an out-of-range value reaches validation and is named.
    pub stock: Option<i64>,
    /// Only active or inactive: eMAG sets end of life itself.
    pub status: Option<OfferStatus>,
}

/// An edit that cannot be queued, as one sentence (a usage error: exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EditError {}

fn fail<T>(msg: String) -> Result<T, EditError> {
    Err(EditError(msg))
}

fn check_price(what: &str, p: Decimal) -> Result<(), EditError> {
    if p.normalize().scale() > MAX_DECIMALS {
        return fail(format!(
            "{what} {p} has more than {MAX_DECIMALS} decimals; eMAG accepts at most {MAX_DECIMALS}"
        ));
    }
    if p <= Decimal::ZERO {
        return fail(format!("{what} {p} must be above 0"));
    }
    Ok(())
}

fn show(d: Decimal) -> String {
    let mut d = d;
    d.rescale(MAX_DECIMALS);
    d.to_string()
}

/// Validates `req` against the mirrored offer (and the open edit it would merge into) and
/// returns the values to queue.
pub fn validate(
    req: &EditRequest,
    offer: &Offer,
    existing: Option<&Edit>,
    fbe: bool,
    account: &str,
) -> Result<Values, EditError> {
    let id = offer.id;
    if req.sale_price.is_none()
        && req.recommended_price.is_none()
        && req.stock.is_none()
        && req.status.is_none()
    {
        return fail(
            "nothing to change: give a price, a recommended price, a stock or a status".into(),
        );
    }
    if let Some(p) = req.sale_price {
        check_price("the price", p)?;
        if let Some(min) = offer.min_sale_price.filter(|min| p < *min) {
            return fail(format!(
                "the price {p} is below the minimum sale price {} of offer {id}",
                show(min)
            ));
        }
        if let Some(max) = offer.max_sale_price.filter(|max| p > *max) {
            return fail(format!(
                "the price {p} is above the maximum sale price {} of offer {id}",
                show(max)
            ));
        }
    }
    if let Some(r) = req.recommended_price {
        check_price("the recommended price", r)?;
    }
    // The recommended price must stay above the sale price the offer will have after the
    // edit; it is checked whenever the edit sends a recommended price (as eMAG does).
    let pending = existing.map(|e| &e.values);
    let rec = req
        .recommended_price
        .or(pending.and_then(|v| v.recommended_price));
    let sale = req
        .sale_price
        .or(pending.and_then(|v| v.sale_price))
        .or(offer.sale_price);
    if let (Some(r), Some(s)) = (rec, sale)
        && r <= s
    {
        return fail(format!(
            "the recommended price {} must be above the sale price {}",
            show(r),
            show(s)
        ));
    }
    if let Some(n) = req.stock {
        if fbe {
            return fail(format!(
                "account \"{account}\" is Fulfilled by eMAG (FBE): eMAG manages its stock, so stock cannot be edited"
            ));
        }
        if n < 0 {
            return fail(format!("the stock {n} is below the minimum 0"));
        }
        if n > MAX_STOCK {
            return fail(format!("the stock {n} is above the maximum {MAX_STOCK}"));
        }
    }
    if let Some(s) = req.status
        && !matches!(s, OfferStatus::Active | OfferStatus::Inactive)
    {
        return fail(format!(
            "the status {s} cannot be set: only active or inactive"
        ));
    }
    Ok(Values {
        sale_price: req.sale_price,
        recommended_price: req.recommended_price,
        stock: req.stock.map(|n| n as i32),
        status: req.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn offer() -> Offer {
        Offer {
            id: 7,
            sale_price: Some(d("100")),
            recommended_price: Some(d("120")),
            min_sale_price: Some(d("80")),
            max_sale_price: Some(d("150")),
            ..Default::default()
        }
    }

    fn err(req: EditRequest, fbe: bool) -> String {
        validate(&req, &offer(), None, fbe, "main").unwrap_err().0
    }

    #[test]
    fn messages_name_the_bound() {
        let price = |p: &str| EditRequest {
            sale_price: Some(d(p)),
            ..Default::default()
        };
        assert!(err(price("79.99"), false).contains("minimum sale price 80.0000"));
        assert!(err(price("150.0001"), false).contains("maximum sale price 150.0000"));
        assert!(err(price("99.12345"), false).contains("at most 4"));
        assert!(err(price("0"), false).contains("above 0"));
        let stock = |n| EditRequest {
            stock: Some(n),
            ..Default::default()
        };
        assert!(err(stock(65_536), false).contains("maximum 65535"));
        assert!(err(stock(-1), false).contains("minimum 0"));
        assert!(err(stock(3), true).contains("FBE"));
        let rec = EditRequest {
            recommended_price: Some(d("100")),
            ..Default::default()
        };
        assert!(err(rec, false).contains("above the sale price 100.0000"));
        assert!(err(EditRequest::default(), false).contains("nothing to change"));
    }

    #[test]
    fn bounds_are_inclusive_and_fbe_may_change_prices() {
        for p in ["80", "150", "99.9999"] {
            let req = EditRequest {
                sale_price: Some(d(p)),
                ..Default::default()
            };
            assert!(validate(&req, &offer(), None, true, "fbe").is_ok(), "{p}");
        }
        let req = EditRequest {
            stock: Some(65_535),
            status: Some(OfferStatus::Inactive),
            ..Default::default()
        };
        let v = validate(&req, &offer(), None, false, "main").unwrap();
        assert_eq!(
            (v.stock, v.status),
            (Some(65_535), Some(OfferStatus::Inactive))
        );
    }
}
