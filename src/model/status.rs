//! An offer's status: eMAG's number on the wire and in the store, one word for people.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// `status` of an offer (emag-api.md §9.1). A value eMAG does not document is kept as sent,
/// so an offer read back and written again carries eMAG's own number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i16", into = "i16")]
pub enum OfferStatus {
    Inactive,
    Active,
    EndOfLife,
    Unknown(i16),
}

impl OfferStatus {
    /// The statuses eMAG documents, in its own order.
    pub const KNOWN: [OfferStatus; 3] = [
        OfferStatus::Inactive,
        OfferStatus::Active,
        OfferStatus::EndOfLife,
    ];

    /// The status eMAG means by `code`.
    pub const fn from_code(code: i16) -> Self {
        match code {
            0 => OfferStatus::Inactive,
            1 => OfferStatus::Active,
            2 => OfferStatus::EndOfLife,
            other => OfferStatus::Unknown(other),
        }
    }

    /// eMAG's number for the status, as sent on the wire and stored.
    pub const fn code(self) -> i16 {
        match self {
            OfferStatus::Inactive => 0,
            OfferStatus::Active => 1,
            OfferStatus::EndOfLife => 2,
            OfferStatus::Unknown(code) => code,
        }
    }

    /// The word every view prints: "active", "inactive", "end of life" or "unknown (N)".
    pub fn word(self) -> Cow<'static, str> {
        match self {
            OfferStatus::Inactive => Cow::Borrowed("inactive"),
            OfferStatus::Active => Cow::Borrowed("active"),
            OfferStatus::EndOfLife => Cow::Borrowed("end of life"),
            OfferStatus::Unknown(code) => Cow::Owned(format!("unknown ({code})")),
        }
    }
}

/// An offer's state as lists show it: "missing" once eMAG stopped listing it, else its
/// status word ("unknown" when eMAG sent none).
pub fn state_word(status: Option<OfferStatus>, missing: bool) -> Cow<'static, str> {
    match (missing, status) {
        (true, _) => Cow::Borrowed("missing"),
        (false, Some(s)) => s.word(),
        (false, None) => Cow::Borrowed("unknown"),
    }
}

impl fmt::Display for OfferStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.word())
    }
}

impl From<i16> for OfferStatus {
    fn from(code: i16) -> Self {
        OfferStatus::from_code(code)
    }
}

impl From<OfferStatus> for i16 {
    fn from(s: OfferStatus) -> i16 {
        s.code()
    }
}

// Stored as eMAG's number (a smallint column on both backends), so the store binds and reads
// the enum like the i16 it replaced and existing rows read back unchanged.
impl<DB: sqlx::Database> sqlx::Type<DB> for OfferStatus
where
    i16: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i16 as sqlx::Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <i16 as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for OfferStatus
where
    i16: sqlx::Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        self.code().encode_by_ref(buf)
    }
}

impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for OfferStatus
where
    i16: sqlx::Decode<'r, DB>,
{
    fn decode(
        value: <DB as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        <i16 as sqlx::Decode<'r, DB>>::decode(value).map(OfferStatus::from_code)
    }
}

// Postgres writes a page of offers as one array per column.
impl sqlx::postgres::PgHasArrayType for OfferStatus {
    fn array_type_info() -> sqlx::postgres::PgTypeInfo {
        <i16 as sqlx::postgres::PgHasArrayType>::array_type_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_values_are_kept() {
        for (code, status, word) in [
            (0, OfferStatus::Inactive, "inactive"),
            (1, OfferStatus::Active, "active"),
            (2, OfferStatus::EndOfLife, "end of life"),
            (7, OfferStatus::Unknown(7), "unknown (7)"),
            (-1, OfferStatus::Unknown(-1), "unknown (-1)"),
        ] {
            assert_eq!(OfferStatus::from_code(code), status);
            assert_eq!(status.code(), code);
            assert_eq!(status.to_string(), word);
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(code)
            );
            assert_eq!(
                serde_json::from_value::<OfferStatus>(serde_json::json!(code)).unwrap(),
                status
            );
        }
    }

    #[test]
    fn a_missing_offer_is_missing_whatever_its_status() {
        for (status, missing, word) in [
            (Some(OfferStatus::Active), true, "missing"),
            (None, true, "missing"),
            (Some(OfferStatus::EndOfLife), false, "end of life"),
            (None, false, "unknown"),
        ] {
            assert_eq!(state_word(status, missing), word);
        }
    }
}
