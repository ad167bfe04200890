//! What an effect of the dashboard can fail with. Each variant is one real cause, and its
//! `Display` is the one sentence the toast, the form or the tab shows.

use crate::error::{EXIT_USAGE, Failure};
use crate::sync::SyncError;
use crate::sync::port::StartError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The database failed; its short message.
    #[error("{0}")]
    Store(String),
    /// An eMAG call failed (the network, an error answer, an account eMAG refuses).
    #[error("{0}")]
    Emag(String),
    /// The account's configuration does not allow the call (unknown account, no password).
    #[error("{0}")]
    Config(String),
    /// The request was refused as it stands: a value out of bounds, an edit in the wrong
    /// state, a field that is not a number. The sentence says what to change.
    #[error("{0}")]
    Refused(String),
    /// Another process holds the account's lock or owns the run.
    #[error("{0}")]
    Busy(String),
    /// The engine could not start a run for a reason other than a held lock.
    #[error("{0}")]
    Start(String),
    /// What the request named is no longer in the store.
    #[error("{0}")]
    Gone(String),
    /// A file could not be written (an export); the sentence names the file.
    #[error("{0}")]
    Io(String),
    /// The effect failed on one offer of several (a bulk edit).
    #[error("offer {id}: {error}")]
    Offer { id: i64, error: Box<JobError> },
}

impl JobError {
    /// `path` could not be written.
    pub fn io(path: &str, e: &std::io::Error) -> JobError {
        JobError::Io(format!("cannot write {path}: {e}"))
    }
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        JobError::Store(crate::store::short_db_error(&e))
    }
}

/// The library's one-sentence failures: a usage failure is the user's to fix, anything else
/// (a runtime failure of `edits`) is the database's.
impl From<Failure> for JobError {
    fn from(f: Failure) -> Self {
        if f.code == EXIT_USAGE {
            JobError::Refused(f.message)
        } else {
            JobError::Store(f.message)
        }
    }
}

impl From<SyncError> for JobError {
    fn from(e: SyncError) -> Self {
        let text = e.to_string();
        match e {
            SyncError::Config(_) => JobError::Config(text),
            SyncError::Busy(_) => JobError::Busy(text),
            SyncError::Store(_) => JobError::Store(text),
        }
    }
}

impl From<StartError> for JobError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Busy(m) => JobError::Busy(m),
            StartError::Other(m) => JobError::Start(m),
        }
    }
}

impl From<crate::emag::EmagError> for JobError {
    fn from(e: crate::emag::EmagError) -> Self {
        JobError::Emag(e.to_string())
    }
}

impl From<crate::price::smart_deals::VatError> for JobError {
    fn from(e: crate::price::smart_deals::VatError) -> Self {
        let text = e.to_string();
        match e {
            crate::price::smart_deals::VatError::Store(_) => JobError::Store(text),
            crate::price::smart_deals::VatError::Emag { .. } => JobError::Emag(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each cause keeps the sentence the user saw when errors were strings, and says whose it is.
    #[test]
    fn causes_keep_their_sentence() {
        let refused = JobError::from(Failure::usage("the price 300 is above the maximum 200"));
        assert_eq!(
            refused,
            JobError::Refused("the price 300 is above the maximum 200".into())
        );
        let store = JobError::from(Failure::runtime("database error: locked"));
        assert_eq!(store, JobError::Store("database error: locked".into()));
        let offer = JobError::Offer {
            id: 9,
            error: Box::new(refused),
        };
        assert_eq!(
            offer.to_string(),
            "offer 9: the price 300 is above the maximum 200"
        );
        let config = JobError::from(SyncError::Config("no account \"x\"".into()));
        assert_eq!(config, JobError::Config("no account \"x\"".into()));
        let start = SyncError::Store("disk full".into());
        let text = start.to_string();
        assert_eq!(JobError::from(start), JobError::Store(text));
        assert_eq!(
            JobError::from(StartError::Busy("main is syncing elsewhere".into())),
            JobError::Busy("main is syncing elsewhere".into())
        );
        let io = JobError::io("/no/dir/x.csv", &std::io::Error::other("no such folder"));
        assert_eq!(io.to_string(), "cannot write /no/dir/x.csv: no such folder");
    }
}
