//! The one port through which long-lived callers, the dashboard and the daemon, start runs and
//! hold them until they end. [`Engine`] is the production side; tests put a fake behind it.

use super::{Engine, RunHandle, SyncError};
use crate::model::{RunStatus, SyncMode, SyncOptions, Trigger};
use std::future::Future;

/// What to start.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRequest {
    pub options: SyncOptions,
    pub trigger: Trigger,
    /// Mark offers missing even past the mass-missing guard's limit (`--allow-mass-missing`).
    pub allow_mass_missing: bool,
}

/// Why a run did not start.
#[derive(Debug, Clone, PartialEq)]
pub enum StartError {
    /// Another run of the account holds its lock (another process, e.g. the dashboard).
    Busy(String),
    Other(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Busy(m) | StartError::Other(m) => f.write_str(m),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEnd {
    pub run_id: i64,
    pub account: String,
    pub status: RunStatus,
    pub summary: Option<String>,
}

/// Starts sync runs.
pub trait SyncPort {
    type Run: ActiveRun + Send + 'static;

    /// The options of a `mode` run of `account` from the settings and the account's defaults.
    fn default_options(&self, account: &str, mode: SyncMode) -> SyncOptions;

    /// Starts a run; it is under way (its run row committed) when this returns.
    fn start(
        &self,
        account: &str,
        request: StartRequest,
    ) -> impl Future<Output = Result<Self::Run, StartError>> + Send;
}

/// A run in progress.
pub trait ActiveRun {
    fn run_id(&self) -> i64;
    fn is_finished(&self) -> bool;
    fn cancel(&self);
    fn finish(self) -> impl Future<Output = RunEnd> + Send;
}

impl SyncPort for Engine {
    type Run = RunHandle;

    fn default_options(&self, account: &str, mode: SyncMode) -> SyncOptions {
        Engine::default_options(self, account, mode)
    }

    async fn start(&self, account: &str, request: StartRequest) -> Result<RunHandle, StartError> {
        let StartRequest {
            options,
            trigger,
            allow_mass_missing,
        } = request;
        self.start_with(account, options, trigger, allow_mass_missing)
            .await
            .map_err(|e| match e {
                SyncError::Busy(b) => StartError::Busy(b.to_string()),
                other => StartError::Other(other.to_string()),
            })
    }
}

impl ActiveRun for RunHandle {
    fn run_id(&self) -> i64 {
        self.run_id
    }
    fn is_finished(&self) -> bool {
        self.done.is_finished()
    }
    fn cancel(&self) {
        self.cancel.cancel();
    }
    async fn finish(self) -> RunEnd {
        match self.done.await {
            Ok(p) => RunEnd {
                run_id: self.run_id,
                account: self.account,
                status: p.status,
                summary: p.error_summary,
            },
            // The run task panicked: its row is left `running` for stuck-run cleanup.
            Err(e) => RunEnd {
                run_id: self.run_id,
                account: self.account,
                status: RunStatus::Failed,
                summary: Some(format!("the run task stopped: {e}")),
            },
        }
    }
}
