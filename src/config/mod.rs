//! Configuration, layered: built-in defaults < config file < environment < command-line flags.
//!
//! The environment uses the names of the original MagFlow deployment (`EMAG_MAIN_USERNAME`,
//! `DATABASE_URL`, ...), so an existing `.env` keeps working. Errors are one sentence and map to
//! exit code 2 through [`crate::error::Failure::usage`].

mod alerts;
mod env;
mod file;
mod health;
mod paths;

pub use alerts::{AlertsConfig, Webhook, WebhookFormat, mask_secret_url};
pub use health::{HealthConfig, Thresholds};
pub use paths::{Paths, sqlite_url};

use crate::error::Failure;
use crate::model::ConflictStrategy;
use chrono::NaiveTime;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Largest page eMAG serves; larger values are capped or refused, so we never send them.
pub const MAX_ITEMS_PER_PAGE: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Ro,
    Bg,
    Hu,
}

impl Platform {
    pub fn parse(s: &str) -> Option<Platform> {
        match s.to_ascii_lowercase().as_str() {
            "ro" => Some(Platform::Ro),
            "bg" => Some(Platform::Bg),
            "hu" => Some(Platform::Hu),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Platform::Ro => "ro",
            Platform::Bg => "bg",
            Platform::Hu => "hu",
        }
    }
    pub fn base_url(self) -> String {
        format!("https://marketplace-api.emag.{}/api-3", self.code())
    }
}

/// One eMAG seller account. Credentials are optional here and checked when the account is
/// used ([`Account::credentials`]), so `config check` can report every problem at once.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub platform: Option<Platform>,
    pub base_url: String,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// Why the configured password source could not be read, if it could not.
    pub password_problem: Option<String>,
    pub max_pages: Option<u32>,
    pub items_per_page: u32,
    pub log_retention_days: u32,
}

impl Account {
    /// The username and password, or the sentence that says which is missing and how to set it.
    pub fn credentials(&self) -> Result<(&str, &SecretString), Failure> {
        let upper = env::account_prefix(&self.name);
        if let Some(problem) = &self.password_problem {
            return Err(Failure::usage(problem.clone()));
        }
        match (&self.username, &self.password) {
            (Some(u), Some(p)) => Ok((u, p)),
            (None, _) => Err(Failure::usage(format!(
                "account \"{}\" has no username: set `username` in [accounts.{}] or {upper}_USERNAME",
                self.name, self.name
            ))),
            (_, None) => Err(Failure::usage(format!(
                "account \"{}\" has no password: set `password`, `password_env` or `password_file` in [accounts.{}], or {upper}_PASSWORD",
                self.name, self.name
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub enabled: bool,
    pub interval_minutes: u32,
    /// Local time of an optional daily full sync.
    pub daily_full_at: Option<NaiveTime>,
}

/// Daily and weekly reports the daemon writes (`[reports]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Reports {
    /// Local time of the daily report (the 24 hours up to it); None = no daily report.
    pub daily_at: Option<NaiveTime>,
    /// Day of the weekly report (the 7 days up to it), at `daily_at` or 07:00.
    pub weekly_on: Option<chrono::Weekday>,
    /// Report files older than this many days are deleted.
    pub keep_days: u32,
    /// Where report files go; None = `reports` in the data folder.
    pub dir: Option<PathBuf>,
}

impl Default for Reports {
    fn default() -> Self {
        Reports {
            daily_at: None,
            weekly_on: None,
            keep_days: 90,
            dir: None,
        }
    }
}

/// Defaults for every sync, overridable per run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub items_per_page: u32,
    pub include_inactive: bool,
    pub conflict_strategy: ConflictStrategy,
    pub log_retention_days: u32,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_attempts: u32,
    /// A full scan that saw more than this share (in %) fewer offers than eMAG counted ends
    /// `partial`; a smaller shortfall completes with a warning.
    pub count_shortfall_partial_percent: u32,
    /// Pages an incremental run reads when neither the account nor the run sets a limit: an
    /// incremental run never turns into a whole-catalogue scan.
    pub incremental_max_pages: u32,
    pub schedule: Schedule,
    pub reports: Reports,
    /// Thresholds of `check`, the alerts, the dashboard and the mass-missing guard.
    pub health: HealthConfig,
    /// Most offers one push sends without an explicit `--max-offers` ([push] max_offers).
    pub push_max_offers: u32,
    /// Ring the terminal bell when a run ends partial, failed or cancelled ([tui] bell).
    pub bell: bool,
    pub prices: Prices,
}

/// Price intelligence (`[prices]`): the suggested price and how long price history is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    /// How far under the best competing price a suggestion goes.
    pub step: rust_decimal::Decimal,
    /// Margin over a known cost, in percent of the cost.
    pub margin_percent: rust_decimal::Decimal,
    /// CSV of `part_number,cost` for the floor of cost plus margin.
    pub cost_csv: Option<PathBuf>,
    /// Days of offer history kept, whatever the sync runs' retention.
    pub history_retention_days: u32,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            step: rust_decimal::Decimal::new(1, 2),
            margin_percent: rust_decimal::Decimal::ZERO,
            cost_csv: None,
            history_retention_days: crate::store::history::DEFAULT_RETENTION_DAYS,
        }
    }
}

/// Default of `[sync] incremental_max_pages`: 2 000 offers at 100 a page, a couple of minutes.
pub const DEFAULT_INCREMENTAL_MAX_PAGES: u32 = 20;

/// Default of `[push] max_offers`: a typical day's repricing, far below a whole catalogue.
pub const DEFAULT_PUSH_MAX_OFFERS: u32 = 200;

impl Default for Settings {
    fn default() -> Self {
        let schedule = Schedule {
            enabled: false,
            interval_minutes: 60,
            daily_full_at: None,
        };
        Settings {
            items_per_page: MAX_ITEMS_PER_PAGE,
            include_inactive: false,
            conflict_strategy: ConflictStrategy::EmagPriority,
            log_retention_days: 30,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_attempts: 5,
            count_shortfall_partial_percent: 2,
            incremental_max_pages: DEFAULT_INCREMENTAL_MAX_PAGES,
            health: HealthConfig::defaults(&schedule),
            schedule,
            reports: Reports::default(),
            push_max_offers: DEFAULT_PUSH_MAX_OFFERS,
            bell: false,
            prices: Prices::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file that was read, if any.
    pub source: Option<PathBuf>,
    pub paths: Paths,
    pub database_url: String,
    pub accounts: Vec<Account>,
    pub settings: Settings,
    pub alerts: AlertsConfig,
    /// Problems worth telling the operator that do not stop magsync (e.g. file permissions).
    pub warnings: Vec<String>,
}

/// What the command line contributes (the last layer).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_path: Option<PathBuf>,
    pub database_url: Option<String>,
}

impl Config {
    /// Loads from the real environment.
    pub fn load(overrides: &Overrides) -> Result<Config, Failure> {
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        Config::load_with_env(overrides, &vars)
    }

    /// Loads with an explicit environment, so tests never mutate the process environment.
    pub fn load_with_env(
        overrides: &Overrides,
        vars: &BTreeMap<String, String>,
    ) -> Result<Config, Failure> {
        let get = |k: &str| vars.get(k).filter(|v| !v.is_empty()).cloned();
        let paths = Paths::resolve(&get);
        let mut warnings = Vec::new();

        let (source, file) = match overrides
            .config_path
            .clone()
            .or_else(|| get("MAGSYNC_CONFIG").map(PathBuf::from))
        {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Failure::usage(format!(
                        "cannot read the config file {}: {e}",
                        path.display()
                    ))
                })?;
                (Some(path), Some(text))
            }
            None => {
                let path = paths.default_config_file();
                match std::fs::read_to_string(&path) {
                    Ok(text) => (Some(path), Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, None),
                    Err(e) => {
                        return Err(Failure::usage(format!(
                            "cannot read the config file {}: {e}",
                            path.display()
                        )));
                    }
                }
            }
        };
        let parsed = match (&source, &file) {
            (Some(path), Some(text)) => {
                file::parse(text, &path.display().to_string()).map_err(Failure::usage)?
            }
            _ => file::FileConfig::default(),
        };
        let holds_password = parsed.accounts.values().any(|a| a.password.is_some());
        if let Some(w) = source
            .as_deref()
            .filter(|_| holds_password)
            .and_then(permission_warning)
        {
            warnings.push(w);
        }

        let settings = build_settings(&parsed, &get)?;
        let alerts = AlertsConfig::build(&parsed.alerts, &get)?;
        let accounts = env::build_accounts(&parsed, &settings, vars, &get)?;
        let database_url = overrides
            .database_url
            .clone()
            .or_else(|| get("DATABASE_URL"))
            .or(parsed.database.url.clone())
            .unwrap_or_else(|| paths.default_database_url());
        validate_database_url(&database_url)?;

        Ok(Config {
            source,
            paths,
            database_url,
            accounts,
            settings,
            alerts,
            warnings,
        })
    }

    pub fn account(&self, name: &str) -> Result<&Account, Failure> {
        self.accounts.iter().find(|a| a.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.accounts.iter().map(|a| a.name.as_str()).collect();
            Failure::usage(if known.is_empty() {
                format!("no account \"{name}\" is configured (no accounts are configured at all; see config.example.toml)")
            } else {
                format!("no account \"{name}\" is configured (known: {})", known.join(", "))
            })
        })
    }

    /// Resolves `all` (and the original's `both`) or one name to accounts with credentials.
    pub fn select(&self, which: &str) -> Result<Vec<&Account>, Failure> {
        let chosen: Vec<&Account> = if which == "all" || which == "both" {
            if self.accounts.is_empty() {
                return Err(Failure::usage(
                    "no accounts are configured: add [accounts.NAME] to the config file or set EMAG_<NAME>_USERNAME, _PASSWORD and _BASE_URL",
                ));
            }
            self.accounts.iter().collect()
        } else {
            vec![self.account(which)?]
        };
        for a in &chosen {
            a.credentials()?;
        }
        Ok(chosen)
    }

    /// The SQLite database file, when the store is a SQLite file.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite:")?;
        if rest.contains(":memory:") || rest.contains("mode=memory") {
            return None;
        }
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty()).then(|| PathBuf::from(path))
    }

    /// The database URL with any password replaced, safe to print.
    pub fn masked_database_url(&self) -> String {
        mask_url(&self.database_url)
    }
}

fn build_settings(
    parsed: &file::FileConfig,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, Failure> {
    let mut s = Settings::default();
    let sync = &parsed.sync;
    if let Some(n) = sync.items_per_page {
        s.items_per_page = items_per_page(n, "[sync] items_per_page")?;
    }
    if let Some(b) = sync.include_inactive {
        s.include_inactive = b;
    }
    if let Some(name) = &sync.conflict_strategy {
        s.conflict_strategy = name
            .parse()
            .map_err(|e: String| Failure::usage(format!("[sync] conflict_strategy: {e}")))?;
    }
    if let Some(d) = sync.log_retention_days {
        s.log_retention_days = positive(d, "[sync] log_retention_days")?;
    }
    if let Some(t) = sync.connect_timeout_secs {
        let secs = in_range(t, CONNECT_TIMEOUT_SECS, "[sync] connect_timeout_secs")?;
        s.connect_timeout = Duration::from_secs(secs.into());
    }
    if let Some(t) = sync.request_timeout_secs {
        let secs = in_range(t, REQUEST_TIMEOUT_SECS, "[sync] request_timeout_secs")?;
        s.request_timeout = Duration::from_secs(secs.into());
    }
    if let Some(n) = sync.max_attempts {
        s.max_attempts = in_range(n, MAX_ATTEMPTS, "[sync] max_attempts")?;
    }
    if let Some(n) = sync.incremental_max_pages {
        s.incremental_max_pages = positive(n, "[sync] incremental_max_pages")?;
    }
    if let Some(p) = sync.count_shortfall_partial_percent {
        s.count_shortfall_partial_percent =
            in_range(p, 0..=100, "[sync] count_shortfall_partial_percent")?;
    }
    if let Some(n) = parsed.push.max_offers {
        s.push_max_offers = positive(n, "[push] max_offers")?;
    }
    if let Some(b) = parsed.tui.bell {
        s.bell = b;
    }
    prices(&parsed.prices, &mut s.prices)?;
    let sched = &parsed.schedule;
    if let Some(b) = sched.enabled {
        s.schedule.enabled = b;
    }
    if let Some(m) = sched.interval_minutes {
        s.schedule.interval_minutes = positive(m, "[schedule] interval_minutes")?;
    }
    if let Some(t) = &sched.daily_full_at {
        s.schedule.daily_full_at = Some(NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
            Failure::usage(format!(
                "[schedule] daily_full_at must be a time like \"03:17\", not \"{t}\""
            ))
        })?);
    }
    s.reports = build_reports(&parsed.reports)?;
    if let Some(v) = get("EMAG_ENABLE_SCHEDULED_SYNC") {
        s.schedule.enabled = parse_bool(&v).ok_or_else(|| {
            Failure::usage(format!(
                "EMAG_ENABLE_SCHEDULED_SYNC must be true or false, not \"{v}\""
            ))
        })?;
    }
    if let Some(v) = get("EMAG_SYNC_INTERVAL_MINUTES") {
        let n = v.parse::<i64>().map_err(|_| {
            Failure::usage(format!(
                "EMAG_SYNC_INTERVAL_MINUTES must be a number of minutes, not \"{v}\""
            ))
        })?;
        s.schedule.interval_minutes = positive(n, "EMAG_SYNC_INTERVAL_MINUTES")?;
    }
    s.health = HealthConfig::build(&parsed.health, &s.schedule)?;
    Ok(s)
}

fn build_reports(r: &file::ReportsSection) -> Result<Reports, Failure> {
    let mut out = Reports::default();
    if let Some(t) = &r.daily_at {
        out.daily_at = Some(NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
            Failure::usage(format!(
                "[reports] daily_at must be a time like \"07:00\", not \"{t}\""
            ))
        })?);
    }
    if let Some(d) = &r.weekly_on {
        out.weekly_on = Some(d.trim().parse::<chrono::Weekday>().map_err(|_| {
            Failure::usage(format!(
                "[reports] weekly_on must be a day of the week like \"monday\", not \"{d}\""
            ))
        })?);
    }
    if let Some(n) = r.keep_days {
        out.keep_days = positive(n, "[reports] keep_days")?;
    }
    out.dir = r.dir.as_ref().map(PathBuf::from);
    Ok(out)
}

pub(crate) fn items_per_page(n: i64, what: &str) -> Result<u32, Failure> {
    if (1..=MAX_ITEMS_PER_PAGE as i64).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Failure::usage(format!(
            "{what} is {n}, but eMAG serves 1 to {MAX_ITEMS_PER_PAGE} items per page"
        )))
    }
}

/// Accepted `[sync] connect_timeout_secs`: 0 would fail every request, over 5 minutes hides a
/// dead host.
pub const CONNECT_TIMEOUT_SECS: std::ops::RangeInclusive<i64> = 1..=300;
/// Accepted `[sync] request_timeout_secs` (a whole page of 100 offers; up to an hour).
pub const REQUEST_TIMEOUT_SECS: std::ops::RangeInclusive<i64> = 1..=3600;
/// Accepted `[sync] max_attempts` (1 = no retry).
pub const MAX_ATTEMPTS: std::ops::RangeInclusive<i64> = 1..=20;

/// `n` when inside `range`, else an error naming the key and the range; never a clamp.
pub(crate) fn in_range(
    n: i64,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> Result<u32, Failure> {
    if range.contains(&n) {
        Ok(n as u32)
    } else {
        Err(Failure::usage(format!(
            "{what} is {n}, but must be {} to {}",
            range.start(),
            range.end()
        )))
    }
}

pub(crate) fn positive(n: i64, what: &str) -> Result<u32, Failure> {
    u32::try_from(n)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| Failure::usage(format!("{what} must be a positive whole number, not {n}")))
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn validate_database_url(url: &str) -> Result<(), Failure> {
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "the database URL \"{}\" is neither sqlite: nor postgres://",
            mask_url(url)
        )))
    }
}

/// The URL safe to show: a password (`scheme://user:secret@host`) becomes `***`, and so does a
/// user name standing alone in a web URL (`https://token@host`), which is how tokens travel.
/// Text that does not parse as a URL but holds an `@` after `://` has that part masked too.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(mut u) if !u.username().is_empty() && matches!(u.scheme(), "http" | "https") => {
            let _ = u.set_username("***");
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => mask_unparsed(url),
    }
}

/// `scheme://anything@rest` → `scheme://***@rest` for text `url` could not parse.
fn mask_unparsed(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let authority_end = text[start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| start + i);
    match text[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &text[start + at..]),
        None => text.to_string(),
    }
}

#[cfg(unix)]
fn permission_warning(path: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds a password and is readable by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn permission_warning(_path: &std::path::Path) -> Option<String> {
    None
}

fn prices(p: &file::PricesSection, out: &mut Prices) -> Result<(), Failure> {
    use std::str::FromStr;
    let decimal = |text: &str, key: &str| {
        rust_decimal::Decimal::from_str(text.trim()).map_err(|_| {
            Failure::usage(format!(
                "[prices] {key} must be a decimal number in quotes like \"0.01\", not \"{text}\""
            ))
        })
    };
    if let Some(t) = &p.step {
        out.step = decimal(t, "step")?;
        if out.step <= rust_decimal::Decimal::ZERO || out.step.normalize().scale() > 4 {
            return Err(Failure::usage(format!(
                "[prices] step must be above 0 with at most 4 decimals, not \"{t}\""
            )));
        }
    }
    if let Some(t) = &p.margin_percent {
        out.margin_percent = decimal(t, "margin_percent")?;
        if out.margin_percent < rust_decimal::Decimal::ZERO {
            return Err(Failure::usage(format!(
                "[prices] margin_percent must not be negative, not \"{t}\""
            )));
        }
    }
    if let Some(path) = &p.cost_csv {
        out.cost_csv = Some(PathBuf::from(path));
    }
    if let Some(d) = p.history_retention_days {
        out.history_retention_days = positive(d, "[prices] history_retention_days")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::mask_url;

    #[test]
    fn user_info_is_masked_in_every_url() {
        assert_eq!(
            mask_url("postgres://app:secret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            mask_url("https://u:secret@marketplace-api.emag.ro/api-3"),
            "https://u:***@marketplace-api.emag.ro/api-3"
        );
        // A lone user name in a web URL is how tokens travel.
        assert_eq!(
            mask_url("https://tok3n@host/api-3"),
            "https://***@host/api-3"
        );
        // A database user alone is no secret, and the default URLs have none.
        assert_eq!(
            mask_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(mask_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        // Text url cannot parse still loses what sits before an '@' in its authority.
        assert_eq!(mask_url("https://a:b:c@[bad/x"), "https://***@[bad/x");
        assert_eq!(mask_url("no scheme at all"), "no scheme at all");
    }
}
