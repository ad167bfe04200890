//! Alerts from the daemon: health incidents become one notice each (and one recovery),
//! delivered to webhooks on their own tasks with retries, so a slow receiver never delays a
//! sync; plus a healthchecks-style dead-man's ping around each scheduled run.
//!
//! [`incident::decide`] is pure (table-tested); [`Monitor`] reads health, keeps the open
//! incident of each account in the store (so `daemon --once` from cron deduplicates too) and
//! hands notices to the [`Outbox`].

pub mod deliver;
pub mod incident;
mod monitor;
pub mod payload;
pub mod ping;

pub use deliver::{Outbox, deliver};
pub use monitor::Monitor;
pub use ping::Pinger;

use crate::health::{Finding, Level};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// An account became not OK, or got worse.
    Alert,
    /// An account with an open incident is OK again.
    Recovery,
    /// `magsync alert test`.
    Test,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Alert => "alert",
            NoticeKind::Recovery => "recovery",
            NoticeKind::Test => "test",
        }
    }
}

/// One message to every webhook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub account: String,
    pub status: Level,
    /// The level of the incident a recovery closes, or the one an escalation replaces.
    pub previous_status: Option<Level>,
    pub reason: String,
    pub findings: Vec<Finding>,
    pub at: DateTime<Utc>,
}
