//! Exact money: a decimal amount with at most four places, never a float.

use rust_decimal::Decimal;

/// A money amount with at most four decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub Decimal);

impl Money {
    /// Decimal places an amount may have (eMAG's, and what the store keeps).
    pub const SCALE: u32 = 4;

    /// Ten-thousandths as an integer; fails on more than four decimals or overflow, so nothing
    /// is silently rounded.
    pub fn to_units(self) -> Result<i64, String> {
        let mut d = self.0;
        if d.scale() > Money::SCALE {
            let n = d.normalize();
            if n.scale() > Money::SCALE {
                return Err(format!(
                    "{} has more than {} decimal places",
                    self.0,
                    Money::SCALE
                ));
            }
            d = n;
        }
        d.rescale(Money::SCALE);
        i64::try_from(d.mantissa()).map_err(|_| format!("{} is out of range", self.0))
    }

    pub fn from_units(units: i64) -> Money {
        Money(Decimal::new(units, Money::SCALE))
    }
}

/// An amount as exact decimal text with four places ("107.4298"), as change records, edits
/// and exports write it.
pub fn money_text(mut d: Decimal) -> String {
    d.rescale(Money::SCALE);
    d.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn units_round_trip_exactly() {
        for s in ["0.0100", "129.99", "0", "8999.9900", "-1.5"] {
            let m = Money(Decimal::from_str(s).unwrap());
            let back = Money::from_units(m.to_units().unwrap());
            assert_eq!(back.0, m.0, "{s}");
        }
        assert_eq!(
            Money(Decimal::from_str("1.23").unwrap())
                .to_units()
                .unwrap(),
            12300
        );
    }

    #[test]
    fn more_than_four_places_is_refused_not_rounded() {
        assert!(
            Money(Decimal::from_str("1.00001").unwrap())
                .to_units()
                .is_err()
        );
        assert!(
            Money(Decimal::from_str("1.000100").unwrap())
                .to_units()
                .is_ok()
        );
    }
}
