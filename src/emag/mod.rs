//! The eMAG Marketplace HTTP client (contract: docs/emag-api.md).
//!
//! `wire` decodes eMAG's loosely typed payloads, `error` classifies failures by §7.3, `retry`
//! times retries, `ratelimit` keeps each account within 3 requests per second, and `client`
//! ties them together behind [`EmagClient`].

mod client;
mod error;
mod ratelimit;
mod retry;
mod types;
pub mod wire;

pub use client::{
    CallObserver, ClientConfig, DEFAULT_MIN_INTERVAL, EmagClient, MAX_PER_PAGE, MAX_SAVE_ITEMS,
};
pub use error::EmagError;
pub use retry::RetryPolicy;
pub use types::{ItemResult, OfferCount, OfferFilter, OfferUpdate, VatRate};
