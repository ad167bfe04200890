//! Errors a user can cause, with the exit code they map to.
//!
//! Anything that reaches `main` as a [`Failure`] is printed as one sentence with its code;
//! other errors are printed the same way with exit code 1. Nothing ever prints a backtrace.

use std::fmt;

/// Exit code for usage and configuration errors (clap uses 2 as well).
pub const EXIT_USAGE: u8 = 2;
/// Exit code for runtime failures (unreachable host, partial sync...).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code after Ctrl-C cancelled the work cleanly.
pub const EXIT_CANCELLED: u8 = 130;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: EXIT_USAGE,
        }
    }
    pub fn runtime(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: EXIT_FAILURE,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code and sentence for any error that reached the top.
pub fn describe(err: &anyhow::Error) -> (u8, String) {
    match err.downcast_ref::<Failure>() {
        Some(f) => (f.code, f.message.clone()),
        None => (EXIT_FAILURE, format!("{err:#}")),
    }
}
