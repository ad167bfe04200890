//! Accounts: the file's `[accounts.NAME]` tables merged with `EMAG_<NAME>_*` variables.

use super::file::{AccountSection, FileConfig};
use super::{Account, Platform, Settings, items_per_page, positive};
use crate::error::Failure;
use secrecy::SecretString;
use std::collections::{BTreeMap, BTreeSet};

/// `main` → `EMAG_MAIN`; dashes become underscores so the name is a valid variable name.
pub fn account_prefix(name: &str) -> String {
    format!("EMAG_{}", name.to_ascii_uppercase().replace('-', "_"))
}

pub fn build_accounts(
    parsed: &FileConfig,
    settings: &Settings,
    vars: &BTreeMap<String, String>,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Account>, Failure> {
    let mut names: BTreeSet<String> = parsed.accounts.keys().cloned().collect();
    // EMAG_MAIN_* also configures a file's [accounts.MAIN]: only names no table has are new.
    let tables: BTreeSet<String> = names.iter().map(|n| account_prefix(n)).collect();
    names.extend(
        env_only_accounts(vars)
            .into_iter()
            .filter(|n| !tables.contains(&account_prefix(n))),
    );
    check_names_distinct(&names)?;
    let empty = AccountSection::default();
    names
        .into_iter()
        .map(|name| {
            let section = parsed.accounts.get(&name).unwrap_or(&empty);
            build_account(&name, section, settings, get)
        })
        .collect()
}

/// Words that select several accounts wherever an account name is taken.
const RESERVED_NAMES: &[&str] = &["all", "both"];

/// Refuses names that could not be told apart: `all`/`both` (they mean every account) and two
/// names that differ only in case or `-`/`_`, which share one set of EMAG_<NAME>_ variables.
fn check_names_distinct(names: &BTreeSet<String>) -> Result<(), Failure> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for name in names {
        if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(Failure::usage(format!(
                "account name \"{name}\" is reserved: `--account {}` means every account; rename [accounts.{name}]",
                name.to_ascii_lowercase()
            )));
        }
        if let Some(other) = seen.insert(account_prefix(name), name) {
            return Err(Failure::usage(format!(
                "accounts \"{other}\" and \"{name}\" differ only in case or '-'/'_' and would share {}_* variables; rename one",
                account_prefix(name)
            )));
        }
    }
    Ok(())
}

/// Names that have `EMAG_<NAME>_USERNAME` set, e.g. the original's `EMAG_MAIN_*` / `EMAG_FBE_*`.
fn env_only_accounts(vars: &BTreeMap<String, String>) -> Vec<String> {
    vars.iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, _)| k.strip_prefix("EMAG_")?.strip_suffix("_USERNAME"))
        .filter(|n| !n.is_empty())
        .map(|n| n.to_ascii_lowercase())
        .collect()
}

fn build_account(
    name: &str,
    s: &AccountSection,
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Account, Failure> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Failure::usage(format!(
            "account name \"{name}\" may only hold letters, digits, '-' and '_'"
        )));
    }
    let prefix = account_prefix(name);
    let var = |suffix: &str| get(&format!("{prefix}{suffix}"));
    let what = |key: &str| format!("[accounts.{name}] {key}");

    let platform = match &s.platform {
        Some(p) => Some(Platform::parse(p).ok_or_else(|| {
            Failure::usage(format!(
                "{}: unknown platform \"{p}\" (expected ro, bg or hu)",
                what("platform")
            ))
        })?),
        None => None,
    };
    let base_url = var("_BASE_URL")
        .or_else(|| s.base_url.clone())
        .or_else(|| platform.map(Platform::base_url))
        .or_else(|| (s.base_url.is_none() && s.platform.is_none()).then(|| Platform::Ro.base_url()))
        .unwrap_or_default();
    let base_url = base_url.trim_end_matches('/').to_string();
    validate_base_url(name, &base_url)?;

    let username = var("_USERNAME").or_else(|| s.username.clone());
    let (password, password_problem) = match var("_PASSWORD") {
        Some(p) => (Some(p), None),
        None => match file_password(name, s, get) {
            Ok(p) => (p, None),
            Err(problem) => (None, Some(problem)),
        },
    };
    let max_pages = match var("_MAX_PAGES") {
        Some(v) => Some(parse_int(&v, &format!("{prefix}_MAX_PAGES"))?),
        None => s.max_pages,
    }
    .map(|n| positive(n, &what("max_pages")))
    .transpose()?
    // Unset, the account takes the [sync] default, so an incremental run is always bounded.
    .or(Some(settings.incremental_max_pages));
    let items = match s.items_per_page {
        Some(n) => items_per_page(n, &what("items_per_page"))?,
        None => settings.items_per_page,
    };
    let retention = match var("_LOG_RETENTION") {
        Some(v) => positive(
            parse_int(&v, &format!("{prefix}_LOG_RETENTION"))?,
            &format!("{prefix}_LOG_RETENTION"),
        )?,
        None => match s.log_retention_days {
            Some(n) => positive(n, &what("log_retention_days"))?,
            None => settings.log_retention_days,
        },
    };
    Ok(Account {
        name: name.to_string(),
        platform,
        base_url,
        username,
        password: password.map(SecretString::from),
        password_problem,
        max_pages,
        items_per_page: items,
        log_retention_days: retention,
    })
}

/// The password from the file's `password`, `password_env` or `password_file`. A source that
/// cannot be read is reported only when the account is used (see `Account::credentials`).
fn file_password(
    name: &str,
    s: &AccountSection,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, String> {
    if let Some(p) = &s.password {
        return Ok(Some(p.clone()));
    }
    if let Some(var) = &s.password_env {
        return get(var).map(Some).ok_or_else(|| {
            format!("account \"{name}\" reads its password from ${var}, which is not set")
        });
    }
    if let Some(path) = &s.password_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("account \"{name}\" cannot read its password_file {path}: {e}"))?;
        // The first line is the password; a trailing newline from `echo` is not part of it.
        let p = text.lines().next().unwrap_or("").to_string();
        if p.is_empty() {
            return Err(format!(
                "account \"{name}\" has an empty password_file {path}"
            ));
        }
        return Ok(Some(p));
    }
    Ok(None)
}

fn parse_int(v: &str, what: &str) -> Result<i64, Failure> {
    v.trim()
        .parse()
        .map_err(|_| Failure::usage(format!("{what} must be a whole number, not \"{v}\"")))
}

/// Credentials travel in every request, so plain HTTP is only allowed to this machine
/// (the simulator); anything else must be HTTPS.
fn validate_base_url(name: &str, base: &str) -> Result<(), Failure> {
    let url = url::Url::parse(base).map_err(|_| {
        Failure::usage(format!(
            "account \"{name}\" has an invalid base_url \"{}\"",
            super::mask_url(base)
        ))
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(Failure::usage(format!(
            "account \"{name}\" uses http:// to {}, which would send the password in clear; use https:// (http is only allowed to 127.0.0.1, ::1 or localhost)",
            url.host_str().unwrap_or("?")
        ))),
        other => Err(Failure::usage(format!(
            "account \"{name}\" has base_url scheme \"{other}\"; use https://"
        ))),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
