//! Request and response types of the client's public API.

use rust_decimal::Decimal;

use crate::model::{OfferStatus, WarehouseValue};

/// Filters of `product_offer/read` and `product_offer/count`, sent at the top level of the JSON
/// body (§4.2). `Default` means no filter: every offer, any status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferFilter {
    pub status: Option<OfferStatus>,
    pub id: Option<i64>,
    pub part_number: Option<String>,
    pub part_number_key: Option<String>,
}

impl OfferFilter {
    /// Active offers only (the sync default).
    pub fn active() -> Self {
        OfferFilter {
            status: Some(OfferStatus::Active),
            ..Default::default()
        }
    }

    pub fn by_id(id: i64) -> Self {
        OfferFilter {
            id: Some(id),
            ..Default::default()
        }
    }
}

/// `product_offer/count` results; advisory (the stop rule decides where a scan ends).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfferCount {
    pub items: u64,
    pub pages: u64,
}

/// One item of a light `offer/save`: only the fields that changed are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferUpdate {
    pub id: i64,
    pub sale_price: Option<Decimal>,
    pub recommended_price: Option<Decimal>,
    pub min_sale_price: Option<Decimal>,
    pub max_sale_price: Option<Decimal>,
    /// Sent as `[{"warehouse_id":…,"value":…}]`; never for FBE accounts (the caller's rule).
    pub stock: Option<Vec<WarehouseValue>>,
    pub handling_time: Option<Vec<WarehouseValue>>,
    pub vat_id: Option<i32>,
    pub status: Option<OfferStatus>,
    /// Only when the price currency differs from the platform's (`EUR`/`PLN`).
    pub currency_type: Option<String>,
}

/// eMAG's per-item outcome of `offer/save`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    pub is_error: bool,
    pub messages: Vec<String>,
}

/// One row of `vat/read`; `rate` is a fraction (0.21), whatever form eMAG used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatRate {
    pub id: i64,
    pub rate: Decimal,
    pub is_default: bool,
}
