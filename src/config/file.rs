//! The TOML file as written by the operator. Every table denies unknown keys so a typo is an
//! error that names the key and its line, not a silently ignored setting.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub database: DatabaseSection,
    #[serde(default)]
    pub sync: SyncSection,
    #[serde(default)]
    pub schedule: ScheduleSection,
    #[serde(default)]
    pub prices: PricesSection,
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricesSection {
    /// Decimal text, e.g. "0.01" (never a float).
    pub step: Option<String>,
    pub margin_percent: Option<String>,
    pub cost_csv: Option<String>,
    pub history_retention_days: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSection {
    pub items_per_page: Option<i64>,
    pub include_inactive: Option<bool>,
    pub conflict_strategy: Option<String>,
    pub log_retention_days: Option<i64>,
    pub connect_timeout_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSection {
    pub enabled: Option<bool>,
    pub interval_minutes: Option<i64>,
    /// Local time of an optional daily full sync, "HH:MM".
    pub daily_full_at: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSection {
    pub platform: Option<String>,
    pub base_url: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<String>,
    pub max_pages: Option<i64>,
    pub items_per_page: Option<i64>,
    pub log_retention_days: Option<i64>,
}

/// Parses the file text; a failure is one sentence with the file name and line.
pub fn parse(text: &str, origin: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace("unknown field", "unknown key");
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("{origin}, line {line}: {message}")
            }
            None => format!("{origin}: {message}"),
        }
    })
}
