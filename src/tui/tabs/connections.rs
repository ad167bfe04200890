//! 1 Connections: each configured account and the result of testing its connection (`t`, `T`).
//! The tab's state and what a test says; `app` wires the keys into `update()`,
//! `views/connections.rs` draws it.

use crate::tui::text::group;
use chrono::{DateTime, Utc};

/// What the dashboard knows about a configured account (never its password).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountInfo {
    pub name: String,
    pub platform: String,
    pub base_url: String,
    pub username: String,
    pub items_per_page: u32,
    pub max_pages: Option<u32>,
}

/// Result of testing one account's connection.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnTest {
    pub account: String,
    pub ok: bool,
    pub message: String,
    pub offers: Option<u64>,
    /// Active offers, the ones a sync mirrors unless it includes inactive ones.
    pub active: Option<u64>,
    pub latency_ms: u64,
    pub at: DateTime<Utc>,
}

impl ConnTest {
    /// The toast a finished test shows: the offers it counted, or why it failed.
    pub fn toast(&self) -> String {
        if !self.ok {
            return format!("✗ {}: {}", self.account, self.message);
        }
        match (self.offers, self.active) {
            (Some(n), Some(a)) => format!(
                "✓ {}: {} offers, {} active",
                self.account,
                group(n as i64),
                group(a as i64)
            ),
            (Some(n), None) => format!("✓ {}: {} offers", self.account, group(n as i64)),
            _ => format!("✓ {}: {}", self.account, self.message),
        }
    }
}
