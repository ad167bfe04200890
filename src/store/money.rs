//! Exact money in the database: NUMERIC(19,4) on Postgres, INTEGER ten-thousandths on SQLite
//! (which has no decimal type). No value ever passes through a float.

use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Type};

pub const SCALE: u32 = 4;

/// A money amount with at most four decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub Decimal);

impl Money {
    /// Ten-thousandths as an integer; fails on more than four decimals or overflow, so nothing
    /// is silently rounded.
    pub fn to_units(self) -> Result<i64, BoxDynError> {
        let mut d = self.0;
        if d.scale() > SCALE {
            let n = d.normalize();
            if n.scale() > SCALE {
                return Err(format!("{} has more than {SCALE} decimal places", self.0).into());
            }
            d = n;
        }
        d.rescale(SCALE);
        i64::try_from(d.mantissa()).map_err(|_| format!("{} is out of range", self.0).into())
    }

    pub fn from_units(units: i64) -> Money {
        Money(Decimal::new(units, SCALE))
    }
}

impl Type<Sqlite> for Money {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Money {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.to_units()?, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Money {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Money::from_units(<i64 as Decode<Sqlite>>::decode(value)?))
    }
}

impl Type<Postgres> for Money {
    fn type_info() -> PgTypeInfo {
        <Decimal as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <Decimal as Type<Postgres>>::compatible(ty)
    }
}

/// Lets a column of amounts travel as one `numeric[]` parameter (see `offers_pg`).
impl PgHasArrayType for Money {
    fn array_type_info() -> PgTypeInfo {
        <Decimal as PgHasArrayType>::array_type_info()
    }
    fn array_compatible(ty: &PgTypeInfo) -> bool {
        <Decimal as PgHasArrayType>::array_compatible(ty)
    }
}

impl Encode<'_, Postgres> for Money {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        self.to_units()?; // same precision rule on both backends
        <Decimal as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Money {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let mut d = <Decimal as Decode<Postgres>>::decode(value)?;
        d.rescale(SCALE);
        Ok(Money(d))
    }
}

pub fn opt(d: Option<Decimal>) -> Option<Money> {
    d.map(Money)
}

/// A nullable money column as read, for an `Option<Decimal>` field of a `sqlx::FromRow`
/// struct: `#[sqlx(try_from = "Amount")]`.
pub struct Amount(Option<Money>);

impl<DB: sqlx::Database> Type<DB> for Amount
where
    Money: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <Money as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <Money as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: sqlx::Database> Decode<'r, DB> for Amount
where
    Option<Money>: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Amount(<Option<Money> as Decode<DB>>::decode(value)?))
    }
}

impl From<Amount> for Option<Decimal> {
    fn from(a: Amount) -> Option<Decimal> {
        a.0.map(|m| m.0)
    }
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
