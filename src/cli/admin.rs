//! `magsync paths`, `magsync migrate`, `magsync config check`.

use super::GlobalArgs;
use super::output::outln;
use crate::config::Config;
use crate::config::mask_secret_url;
use crate::store::Store;
use secrecy::ExposeSecret;
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct PathsArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration and print the effective accounts (never secrets).
    Check {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn paths(g: &GlobalArgs, args: PathsArgs) -> anyhow::Result<u8> {
    let config = g.load_config()?;
    let config_file = match &config.source {
        Some(p) => p.display().to_string(),
        None => format!(
            "{} (not present; using defaults and environment)",
            config.paths.default_config_file().display()
        ),
    };
    let log_file = crate::logging::current_log_file(&config.paths.log_dir);
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "config_file": config.source.as_ref().map(|p| p.display().to_string()),
                "default_config_file": config.paths.default_config_file().display().to_string(),
                "data_dir": config.paths.data_dir.display().to_string(),
                "database_url": config.masked_database_url(),
                "log_dir": config.paths.log_dir.display().to_string(),
                "log_file": log_file.display().to_string(),
            }))?
        );
    } else {
        outln!("config file   {config_file}");
        outln!("data dir      {}", config.paths.data_dir.display());
        outln!("database      {}", config.masked_database_url());
        outln!("log file      {}", log_file.display());
    }
    Ok(0)
}

pub async fn migrate(g: &GlobalArgs) -> anyhow::Result<u8> {
    let config = g.load_config()?;
    let store = Store::open(&config.database_url).await?;
    outln!(
        "database {} is up to date ({})",
        store.masked_url(),
        store.backend().name()
    );
    store.close().await;
    Ok(0)
}

pub async fn config(g: &GlobalArgs, cmd: ConfigCommand) -> anyhow::Result<u8> {
    let ConfigCommand::Check { json } = cmd;
    let mut config = g.load_config()?;
    config.warnings.extend(loose_files(&config));
    let problems: Vec<String> = config
        .accounts
        .iter()
        .filter_map(|a| a.credentials().err().map(|e| e.message))
        .collect();
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&describe(&config, &problems))?
        );
    } else {
        print_human(&config, &problems)?;
    }
    Ok(if problems.is_empty() {
        0
    } else {
        crate::error::EXIT_USAGE
    })
}

fn describe(config: &Config, problems: &[String]) -> serde_json::Value {
    let s = &config.settings;
    json!({
        "config_file": config.source.as_ref().map(|p| p.display().to_string()),
        "database_url": config.masked_database_url(),
        "accounts": config.accounts.iter().map(|a| json!({
            "name": a.name,
            "platform": a.platform.map(|p| p.code()),
            "base_url": crate::config::mask_url(&a.base_url),
            "username": a.username,
            "password": if a.password.is_some() { "set" } else { "missing" },
            "max_pages": a.max_pages,
            "items_per_page": a.items_per_page,
            "log_retention_days": a.log_retention_days,
        })).collect::<Vec<_>>(),
        "sync": {
            "items_per_page": s.items_per_page,
            "include_inactive": s.include_inactive,
            "conflict_strategy": s.conflict_strategy.as_str(),
            "log_retention_days": s.log_retention_days,
            "connect_timeout_secs": s.connect_timeout.as_secs(),
            "request_timeout_secs": s.request_timeout.as_secs(),
            "max_attempts": s.max_attempts,
        },
        "schedule": {
            "enabled": s.schedule.enabled,
            "interval_minutes": s.schedule.interval_minutes,
            "daily_full_at": s.schedule.daily_full_at.map(|t| t.format("%H:%M").to_string()),
        },
        "alerts": {
            "ping_url": config.alerts.ping_url.as_ref().map(|u| mask_secret_url(u.expose_secret())),
            "webhooks": config.alerts.webhooks.iter().map(|w| json!({
                "name": w.name,
                "url": mask_secret_url(w.url.expose_secret()),
                "format": format!("{:?}", w.format).to_lowercase(),
                "signed": w.secret.is_some(),
            })).collect::<Vec<_>>(),
        },
        "warnings": config.warnings,
        "problems": problems,
    })
}

/// Warnings for the database (with its -wal and -shm), magsync's data and log folders and the
/// log files when other users may read them: they hold the whole catalogue and its history. A
/// database elsewhere is judged by its own mode, not its folder's (`/tmp` is open by design).
fn loose_files(config: &Config) -> Vec<String> {
    use crate::private_files::loose_mode_warning;
    let mut found = Vec::new();
    if let Some(db) = config.sqlite_file() {
        for (suffix, what) in [
            ("", "the database"),
            ("-wal", "the database's WAL file"),
            ("-shm", "the database's shared-memory file"),
        ] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            found.extend(loose_mode_warning(std::path::Path::new(&name), what));
        }
    }
    found.extend(loose_mode_warning(
        &config.paths.data_dir,
        "the data folder",
    ));
    let logs = &config.paths.log_dir;
    found.extend(loose_mode_warning(logs, "the log folder"));
    if let Ok(entries) = std::fs::read_dir(logs) {
        let mut files: Vec<_> = entries
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(crate::logging::LOG_FILE_PREFIX)
            })
            .map(|e| e.path())
            .collect();
        files.sort();
        found.extend(
            files
                .iter()
                .filter_map(|f| loose_mode_warning(f, "the log file")),
        );
    }
    found
}

fn print_human(config: &Config, problems: &[String]) -> anyhow::Result<()> {
    let s = &config.settings;
    match &config.source {
        Some(p) => outln!("config file: {}", p.display()),
        None => outln!("config file: none (defaults and environment)"),
    }
    outln!("database:    {}", config.masked_database_url());
    outln!(
        "sync:        {} per page, include inactive {}, strategy {}, retention {} days, timeouts {}s/{}s, {} attempts",
        s.items_per_page,
        s.include_inactive,
        s.conflict_strategy,
        s.log_retention_days,
        s.connect_timeout.as_secs(),
        s.request_timeout.as_secs(),
        s.max_attempts
    );
    outln!(
        "schedule:    {} every {} min{}",
        if s.schedule.enabled {
            "enabled,"
        } else {
            "disabled,"
        },
        s.schedule.interval_minutes,
        s.schedule
            .daily_full_at
            .map(|t| format!(", daily full at {}", t.format("%H:%M")))
            .unwrap_or_default()
    );
    if config.accounts.is_empty() {
        outln!(
            "accounts:    none (add [accounts.NAME] or set EMAG_<NAME>_USERNAME/_PASSWORD/_BASE_URL)"
        );
    }
    for a in &config.accounts {
        outln!(
            "account {:<8} {}  user {}  password {}  max pages {}  {} per page  retention {} days",
            a.name,
            crate::config::mask_url(&a.base_url),
            a.username.as_deref().unwrap_or("(missing)"),
            if a.password.is_some() {
                "set"
            } else {
                "MISSING"
            },
            a.max_pages
                .map(|n| n.to_string())
                .unwrap_or_else(|| "all".into()),
            a.items_per_page,
            a.log_retention_days
        );
    }
    if let Some(u) = &config.alerts.ping_url {
        outln!("ping:        {}", mask_secret_url(u.expose_secret()));
    }
    for w in &config.alerts.webhooks {
        outln!(
            "webhook {:<8} {}  {:?}{}",
            w.name,
            mask_secret_url(w.url.expose_secret()),
            w.format,
            if w.secret.is_some() { ", signed" } else { "" }
        );
    }
    for w in &config.warnings {
        outln!("warning: {w}");
    }
    for p in problems {
        outln!("problem: {p}");
    }
    if problems.is_empty() {
        outln!("configuration OK");
    }
    Ok(())
}
