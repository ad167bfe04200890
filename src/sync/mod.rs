//! The sync engine: mirrors one account's eMAG offers into the store, observably.
//!
//! `engine` starts runs (one per account across processes) and tests connections; `run` drives
//! one run (count → scan → write → reconcile → finish); `scan` keeps page requests in flight
//! under the client's limiter; `recorder` persists events and progress off the hot path;
//! `progress` is the live snapshot every UI reads; `port` is how the dashboard and the daemon
//! start and hold runs.

mod engine;
mod guard;
pub mod port;
mod progress;
mod reconcile;
mod recorder;
mod run;
mod scan;

pub use engine::{
    ConnectionReport, Engine, RunHandle, SyncError, Tuning, account_client, test_account,
};
pub use guard::GUARD_HOLD;
pub use progress::RunProgress;
pub use scan::incremental_window;
