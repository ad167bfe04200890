//! magsync mirrors eMAG Marketplace offers into a local store and shows them in a terminal
//! dashboard. Data flows one way:
//!
//! `emag` (HTTP client) → `sync` (engine) → `store` (SQLite / Postgres) → `tui` / `cli`.
//!
//! `sim` is a faithful eMAG simulator used by tests, the demo and benchmarks. The engine and
//! below never import the terminal layers.

pub mod alerts;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod edits;
pub mod emag;
pub mod error;
pub mod health;
pub mod index;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod price;
pub mod private_files;
pub mod process;
pub mod report;
pub mod sim;
pub mod store;
pub mod sync;
/// Throw-away databases for tests (the `testing` feature gives them to integration tests).
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tui;
