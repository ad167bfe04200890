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
    pub reports: ReportsSection,
    #[serde(default)]
    pub push: PushSection,
    #[serde(default)]
    pub tui: TuiSection,
    #[serde(default)]
    pub prices: PricesSection,
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountSection>,
    #[serde(default)]
    pub health: HealthSection,
    #[serde(default)]
    pub alerts: AlertsSection,
}

/// Health thresholds (`magsync check`, the daemon's alerts, the dashboard); every key is
/// optional and may be overridden per account under `[health.accounts.NAME]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthKeys {
    pub sync_warn_minutes: Option<i64>,
    pub sync_crit_minutes: Option<i64>,
    pub full_warn_hours: Option<i64>,
    pub full_crit_hours: Option<i64>,
    pub pending_edit_warn_minutes: Option<i64>,
    pub rate_limited_warn: Option<i64>,
    pub count_drop_share: Option<f64>,
    pub duration_factor: Option<f64>,
    pub duration_history: Option<i64>,
    pub duration_min_secs: Option<i64>,
    pub error_rate: Option<f64>,
    pub mass_missing_share: Option<f64>,
    pub buybox_lost_share: Option<f64>,
}

/// `[health]`: the keys of [`HealthKeys`] plus per-account tables (serde cannot flatten a
/// struct that denies unknown keys, so the keys are listed again here).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSection {
    pub sync_warn_minutes: Option<i64>,
    pub sync_crit_minutes: Option<i64>,
    pub full_warn_hours: Option<i64>,
    pub full_crit_hours: Option<i64>,
    pub pending_edit_warn_minutes: Option<i64>,
    pub rate_limited_warn: Option<i64>,
    pub count_drop_share: Option<f64>,
    pub duration_factor: Option<f64>,
    pub duration_history: Option<i64>,
    pub duration_min_secs: Option<i64>,
    pub error_rate: Option<f64>,
    pub mass_missing_share: Option<f64>,
    pub buybox_lost_share: Option<f64>,
    #[serde(default)]
    pub accounts: BTreeMap<String, HealthKeys>,
}

impl HealthSection {
    pub fn keys(&self) -> HealthKeys {
        HealthKeys {
            sync_warn_minutes: self.sync_warn_minutes,
            sync_crit_minutes: self.sync_crit_minutes,
            full_warn_hours: self.full_warn_hours,
            full_crit_hours: self.full_crit_hours,
            pending_edit_warn_minutes: self.pending_edit_warn_minutes,
            rate_limited_warn: self.rate_limited_warn,
            count_drop_share: self.count_drop_share,
            duration_factor: self.duration_factor,
            duration_history: self.duration_history,
            duration_min_secs: self.duration_min_secs,
            error_rate: self.error_rate,
            mass_missing_share: self.mass_missing_share,
            buybox_lost_share: self.buybox_lost_share,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsSection {
    pub ping_url: Option<String>,
    pub ping_url_env: Option<String>,
    pub check_interval_secs: Option<u64>,
    pub max_attempts: Option<u32>,
    pub backoff_secs: Option<u64>,
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub webhook: Vec<WebhookSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    pub name: Option<String>,
    pub url: Option<String>,
    pub url_env: Option<String>,
    pub format: Option<String>,
    pub secret_env: Option<String>,
    pub secret_file: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSection {
    pub max_offers: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuiSection {
    pub bell: Option<bool>,
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
    pub connect_timeout_secs: Option<i64>,
    pub request_timeout_secs: Option<i64>,
    pub max_attempts: Option<i64>,
    pub count_shortfall_partial_percent: Option<i64>,
    pub incremental_max_pages: Option<i64>,
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
pub struct ReportsSection {
    /// Local time of the daily report, "HH:MM".
    pub daily_at: Option<String>,
    /// Day of the weekly report ("monday", "mon", ...).
    pub weekly_on: Option<String>,
    pub keep_days: Option<i64>,
    pub dir: Option<String>,
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
