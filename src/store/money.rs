//! Exact money ([`Money`]) in the database: NUMERIC(19,4) on Postgres, INTEGER ten-thousandths
//! on SQLite (which has no decimal type). No value ever passes through a float.

use crate::model::Money;
use rust_decimal::Decimal;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Type};

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

/// Lets a column of amounts travel as one `numeric[]` parameter (see `Sql::inserts`).
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
        d.rescale(Money::SCALE);
        Ok(Money(d))
    }
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
