//! Is an account healthy? One evaluation shared by `magsync check`, the daemon's alerts, the
//! metrics endpoint and the dashboard.
//!
//! [`evaluate`] is a pure function over plain values ([`Facts`], [`Thresholds`]) so every rule
//! is table-tested; [`read`] gathers the facts from the store; [`report`] prints them in the
//! monitoring-plugin convention.

mod evaluate;
mod read;
pub mod report;

pub use crate::config::Thresholds;
pub use evaluate::{Facts, evaluate};
pub use read::{account_health, read_facts};

use serde::Serialize;

/// Monitoring-plugin states; the exit code of `magsync check` is [`Level::exit_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Level {
    pub fn exit_code(self) -> u8 {
        match self {
            Level::Ok => 0,
            Level::Warning => 1,
            Level::Critical => 2,
            Level::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
            Level::Unknown => "UNKNOWN",
        }
    }

    /// Severity for combining: CRITICAL > WARNING > UNKNOWN > OK, as Nagios aggregates.
    fn rank(self) -> u8 {
        match self {
            Level::Ok => 0,
            Level::Unknown => 1,
            Level::Warning => 2,
            Level::Critical => 3,
        }
    }

    pub fn worst(self, other: Level) -> Level {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [Level::Ok, Level::Warning, Level::Critical, Level::Unknown]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule's verdict about an account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub level: Level,
    /// Stable name of the rule (`sync_age`, `count_drop`, `guard`, ...).
    pub check: &'static str,
    pub message: String,
}

/// A number for perfdata and JSON: name, value, unit and the warn/crit thresholds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Perf {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub warn: Option<f64>,
    pub crit: Option<f64>,
}

/// An account's health: the worst finding's level, every finding, and the figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountHealth {
    pub account: String,
    pub level: Level,
    pub findings: Vec<Finding>,
    pub perf: Vec<Perf>,
}

impl AccountHealth {
    /// The reason in one line: the findings that are not OK, else the OK ones.
    pub fn reason(&self) -> String {
        let bad: Vec<&str> = self
            .findings
            .iter()
            .filter(|f| f.level != Level::Ok)
            .map(|f| f.message.as_str())
            .collect();
        if bad.is_empty() {
            self.findings
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            bad.join("; ")
        }
    }

    /// The health when the store cannot be read.
    pub fn unknown(account: &str, why: String) -> AccountHealth {
        AccountHealth {
            account: account.to_string(),
            level: Level::Unknown,
            findings: vec![Finding {
                level: Level::Unknown,
                check: "store",
                message: why,
            }],
            perf: Vec::new(),
        }
    }
}

/// "3h 05m", "2d 4h", "45s": ages in findings.
pub fn human_age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}
