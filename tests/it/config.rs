//! Configuration layering and validation, and the admin commands that must never leak secrets.

use magsync::config::{Config, Overrides};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn env(pairs: &[(&str, &str)], dir: &Path) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // Keep tests away from the real config and data dirs.
    m.insert(
        "MAGSYNC_CONFIG_DIR".into(),
        dir.join("cfg").display().to_string(),
    );
    m.insert(
        "MAGSYNC_DATA_DIR".into(),
        dir.join("data").display().to_string(),
    );
    m
}

fn load(text: &str, pairs: &[(&str, &str)]) -> Result<Config, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    Config::load_with_env(
        &Overrides {
            config_path: Some(path),
            database_url: None,
        },
        &env(pairs, dir.path()),
    )
    .map_err(|f| {
        assert_eq!(f.code, 2, "config errors exit with 2");
        f.message
    })
}

#[test]
fn defaults_without_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let c = Config::load_with_env(&Overrides::default(), &env(&[], dir.path())).unwrap();
    assert!(c.source.is_none());
    assert!(c.accounts.is_empty());
    assert_eq!(c.settings.items_per_page, 100);
    assert!(!c.settings.include_inactive);
    assert_eq!(c.settings.conflict_strategy.as_str(), "emag_priority");
    assert_eq!(c.settings.log_retention_days, 30);
    assert!(!c.settings.schedule.enabled);
    assert_eq!(c.settings.schedule.interval_minutes, 60);
    assert!(
        c.database_url.starts_with("sqlite://"),
        "{}",
        c.database_url
    );
    assert!(c.database_url.ends_with("data/magsync.db"));
}

#[test]
fn example_config_is_valid() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
        .unwrap();
    let c = load(&text, &[("EMAG_MAIN_PASSWORD", "x")]).unwrap();
    let names: Vec<&str> = c.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, vec!["fbe", "main"]);
    assert_eq!(
        c.account("main").unwrap().base_url,
        "https://marketplace-api.emag.ro/api-3"
    );
    assert_eq!(c.account("main").unwrap().max_pages, Some(5));
    assert_eq!(c.settings.push_max_offers, 200);
    assert!(!c.settings.bell);
}

#[test]
fn push_and_tui_sections_are_read_and_checked() {
    let c = load("[push]\nmax_offers = 25\n[tui]\nbell = true\n", &[]).unwrap();
    assert_eq!(c.settings.push_max_offers, 25);
    assert!(c.settings.bell);
    let err = load("[push]\nmax_offers = 0\n", &[]).unwrap_err();
    assert!(
        err.contains("[push] max_offers must be a positive"),
        "{err}"
    );
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let err = load("[accounts.main]\nusername = \"u\"\npasword = \"p\"\n", &[]).unwrap_err();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("unknown key `pasword`"), "{err}");
    assert!(!err.contains('\n'), "one sentence: {err}");
}

#[test]
fn validation_errors_are_one_sentence() {
    let cases: &[(&str, &str)] = &[
        ("[sync]\nitems_per_page = 500\n", "1 to 100"),
        ("[accounts.main]\nitems_per_page = 0\n", "1 to 100"),
        (
            "[sync]\nconflict_strategy = \"random\"\n",
            "unknown conflictstrategy \"random\"",
        ),
        (
            "[accounts.main]\nbase_url = \"http://example.com/api-3\"\n",
            "http:// to example.com",
        ),
        ("[accounts.main]\nplatform = \"pl\"\n", "unknown platform"),
        ("[schedule]\ndaily_full_at = \"25:99\"\n", "daily_full_at"),
        ("[database]\nurl = \"mysql://x\"\n", "neither sqlite"),
        ("sync = 3\n", "line 1"),
    ];
    for (text, needle) in cases {
        let err = load(text, &[]).unwrap_err();
        assert!(err.contains(needle), "{text:?} → {err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

#[test]
fn loopback_http_is_allowed() {
    for host in ["127.0.0.1:8099", "localhost:1", "[::1]:80"] {
        let c = load(
            &format!("[accounts.sim]\nbase_url = \"http://{host}/api-3/\"\n"),
            &[],
        )
        .unwrap();
        assert_eq!(c.accounts[0].base_url, format!("http://{host}/api-3"));
    }
}

#[test]
fn environment_overrides_file_and_defines_accounts() {
    let c = load(
        "[accounts.main]\nusername = \"file-user\"\npassword = \"file-pass\"\nmax_pages = 2\n[schedule]\ninterval_minutes = 15\n",
        &[
            ("EMAG_MAIN_USERNAME", "env-user"),
            ("EMAG_MAIN_MAX_PAGES", "7"),
            ("EMAG_MAIN_LOG_RETENTION", "15"),
            ("EMAG_FBE_USERNAME", "fbe-user"),
            ("EMAG_FBE_PASSWORD", "fbe-pass"),
            ("EMAG_FBE_BASE_URL", "http://127.0.0.1:9/api-3"),
            ("EMAG_ENABLE_SCHEDULED_SYNC", "true"),
            ("EMAG_SYNC_INTERVAL_MINUTES", "30"),
            ("DATABASE_URL", "postgres://u:hunter2@db.example/magsync"),
        ],
    )
    .unwrap();
    let main = c.account("main").unwrap();
    assert_eq!(main.username.as_deref(), Some("env-user"));
    assert_eq!(main.max_pages, Some(7));
    assert_eq!(main.log_retention_days, 15);
    let fbe = c.account("fbe").unwrap();
    assert_eq!(fbe.base_url, "http://127.0.0.1:9/api-3");
    assert!(
        fbe.credentials().is_ok(),
        "an env-only account is an account"
    );
    assert!(c.settings.schedule.enabled);
    assert_eq!(c.settings.schedule.interval_minutes, 30);
    assert_eq!(
        c.masked_database_url(),
        "postgres://u:***@db.example/magsync"
    );
}

#[test]
fn flags_override_environment() {
    let dir = tempfile::tempdir().unwrap();
    let c = Config::load_with_env(
        &Overrides {
            config_path: None,
            database_url: Some("sqlite://flag.db".into()),
        },
        &env(&[("DATABASE_URL", "sqlite://env.db")], dir.path()),
    )
    .unwrap();
    assert_eq!(c.database_url, "sqlite://flag.db");
}

#[test]
fn missing_credentials_are_an_error_when_the_account_is_used() {
    let c = load(
        "[accounts.main]\nusername = \"u\"\n[accounts.fbe]\nusername = \"f\"\npassword = \"p\"\n",
        &[],
    )
    .unwrap();
    let err = c.select("main").unwrap_err();
    assert!(
        err.message.contains("account \"main\" has no password"),
        "{}",
        err.message
    );
    assert!(c.select("fbe").is_ok());
    assert!(c.select("all").is_err(), "all includes main");
    assert!(
        c.select("nope")
            .unwrap_err()
            .message
            .contains("known: fbe, main")
    );
    let c = load(
        "[accounts.main]\nusername = \"u\"\npassword_env = \"NOPE_NOT_SET\"\n",
        &[],
    )
    .unwrap();
    assert!(
        c.select("main")
            .unwrap_err()
            .message
            .contains("$NOPE_NOT_SET, which is not set")
    );
    let c = load(
        "[accounts.main]\nusername = \"u\"\npassword_file = \"/nonexistent/pw\"\n",
        &[],
    )
    .unwrap();
    assert!(
        c.select("main")
            .unwrap_err()
            .message
            .contains("cannot read its password_file /nonexistent/pw")
    );
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let c = load(
        "[accounts.main]\nusername = \"u\"\npassword = \"s3cr3t-file\"\n",
        &[],
    )
    .unwrap();
    let debug = format!("{c:?}");
    assert!(!debug.contains("s3cr3t-file"), "{debug}");
}

#[cfg(unix)]
#[test]
fn readable_config_with_password_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[accounts.main]\nusername = \"u\"\npassword = \"p\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let over = Overrides {
        config_path: Some(path.clone()),
        database_url: None,
    };
    let c = Config::load_with_env(&over, &env(&[], dir.path())).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("chmod 600")),
        "{:?}",
        c.warnings
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let c = Config::load_with_env(&over, &env(&[], dir.path())).unwrap();
    assert!(c.warnings.is_empty());
}

// --- the binary -----------------------------------------------------------------------------

fn magsync(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_magsync"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MAGSYNC_CONFIG_DIR", dir.join("cfg"))
        .env("MAGSYNC_DATA_DIR", dir.join("data"))
        .envs(envs.iter().copied())
        .output()
        .expect("run magsync");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn paths_and_config_check_never_print_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let pw_file = dir.path().join("fbe.pw");
    std::fs::write(&pw_file, "file-secret-77\n").unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[database]\nurl = \"postgres://app:db-secret-55@127.0.0.1:1/x\"\n[accounts.main]\nusername = \"m\"\n[accounts.fbe]\nusername = \"f\"\npassword_file = \"{}\"\n",
            pw_file.display()
        ),
    )
    .unwrap();
    let envs = [("EMAG_MAIN_PASSWORD", "env-secret-99")];
    for args in [
        vec!["--config", cfg.to_str().unwrap(), "paths"],
        vec!["--config", cfg.to_str().unwrap(), "paths", "--json"],
        vec!["--config", cfg.to_str().unwrap(), "config", "check"],
        vec![
            "--config",
            cfg.to_str().unwrap(),
            "config",
            "check",
            "--json",
        ],
    ] {
        let (code, out, err) = magsync(dir.path(), &args, &envs);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        for secret in ["env-secret-99", "file-secret-77", "db-secret-55"] {
            assert!(
                !out.contains(secret) && !err.contains(secret),
                "{args:?} leaked {secret}: {out}{err}"
            );
        }
        assert!(
            out.contains("***"),
            "the database password is masked: {out}"
        );
    }
}

#[test]
fn bad_configs_exit_2_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    for (text, needle) in [
        (
            "[accounts.main]\nusernme = \"u\"\n",
            "unknown key `usernme`",
        ),
        ("[sync]\nitems_per_page = 500\n", "1 to 100"),
        (
            "[accounts.main]\nbase_url = \"http://10.1.2.3/api-3\"\n",
            "http://",
        ),
    ] {
        let cfg = dir.path().join("bad.toml");
        std::fs::write(&cfg, text).unwrap();
        let (code, out, err) = magsync(
            dir.path(),
            &["--config", cfg.to_str().unwrap(), "config", "check"],
            &[],
        );
        assert_eq!(code, 2, "{text}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "one sentence: {err}");
        assert!(err.contains(needle), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
    // A used account without a password: config check reports it and exits 2.
    let cfg = dir.path().join("nopw.toml");
    std::fs::write(&cfg, "[accounts.main]\nusername = \"u\"\n").unwrap();
    let (code, out, _) = magsync(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "config", "check"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(out.contains("account \"main\" has no password"), "{out}");
    // A bad flag is a usage error too.
    let (code, _, err) = magsync(dir.path(), &["--no-such-flag"], &[]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn migrate_twice_on_a_new_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("new/m.db").display());
    for _ in 0..2 {
        let (code, out, err) = magsync(dir.path(), &["--database-url", &url, "migrate"], &[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("up to date"), "{out}");
    }
}

/// Every `[health]`, `[alerts]` and `[[alerts.webhook]]` key is in config.example.toml, whose
/// values load; overrides per account inherit the rest; bad values are one sentence.
#[test]
fn health_and_alerts_keys_are_documented_and_checked() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
        .unwrap();
    let keys = [
        "sync_warn_minutes",
        "sync_crit_minutes",
        "full_warn_hours",
        "full_crit_hours",
        "pending_edit_warn_minutes",
        "rate_limited_warn",
        "count_drop_share",
        "duration_factor",
        "duration_history",
        "duration_min_secs",
        "error_rate",
        "mass_missing_share",
        "buybox_lost_share",
        "ping_url",
        "ping_url_env",
        "check_interval_secs",
        "max_attempts",
        "backoff_secs",
        "timeout_secs",
        "name",
        "url",
        "url_env",
        "format",
        "secret_env",
        "secret_file",
    ];
    for key in keys {
        assert!(
            text.lines().any(|l| {
                let l = l.trim_start_matches('#').trim_start();
                l.starts_with(&format!("{key} =")) || l.contains(&format!(" {key} = "))
            }),
            "config.example.toml does not document {key}"
        );
    }
    for table in [
        "[health]",
        "[health.accounts.",
        "[alerts]",
        "[[alerts.webhook]]",
    ] {
        assert!(text.contains(table), "{table}");
    }
    let c = load(&text, &[("EMAG_MAIN_PASSWORD", "x")]).unwrap();
    assert_eq!(c.alerts.webhooks.len(), 1);
    assert_eq!(c.alerts.webhooks[0].name, "ops");
    assert_eq!(c.settings.health.base.mass_missing_share, 0.2);
    assert_eq!(c.settings.health.base.buybox_lost_share, 0.1);
    assert_eq!(
        c.settings.health.base.sync_warn,
        chrono::Duration::minutes(180)
    );

    let c = load(
        "[schedule]\ninterval_minutes = 20\ndaily_full_at = \"03:17\"\n[health]\nmass_missing_share = 0.5\n[health.accounts.main]\nsync_warn_minutes = 10\n",
        &[],
    )
    .unwrap();
    let main = c.settings.health.for_account("main");
    assert_eq!(main.sync_warn, chrono::Duration::minutes(10));
    assert_eq!(
        main.sync_crit,
        chrono::Duration::minutes(120),
        "6 intervals of 20"
    );
    assert_eq!(main.full_warn, chrono::Duration::hours(26), "a daily full");
    assert_eq!(main.mass_missing_share, 0.5, "inherited from [health]");
    assert_eq!(
        c.settings.health.for_account("other").sync_warn,
        chrono::Duration::minutes(60)
    );

    let bad: &[(&str, &str)] = &[
        ("[health]\nmass_missing_share = 2.0\n", "between 0 and 1"),
        (
            "[health]\nsync_warn_minutes = 500\nsync_crit_minutes = 100\n",
            "must not exceed",
        ),
        ("[health]\nduration_factor = 0.5\n", "above 1"),
        ("[health]\nbuybox_lost_share = 0\n", "between 0 and 1"),
        ("[health]\nsync_warn = 5\n", "unknown key `sync_warn`"),
        (
            "[[alerts.webhook]]\nurl = \"ftp://x/y\"\n",
            "http:// or https://",
        ),
        (
            "[[alerts.webhook]]\nurl = \"https://h/x\"\nformat = \"xml\"\n",
            "json or slack",
        ),
        ("[[alerts.webhook]]\nformat = \"json\"\n", "has no url"),
        (
            "[[alerts.webhook]]\nurl = \"https://h/x\"\nsecret_env = \"NOPE_UNSET\"\n",
            "NOPE_UNSET, which is not set",
        ),
    ];
    for (text, want) in bad {
        let err = load(text, &[]).unwrap_err();
        assert!(err.contains(want), "{text}: {err}");
        assert!(!err.contains('\n'), "{err}");
    }
    // A webhook URL in an error is masked: its path is the secret.
    let err = load(
        "[[alerts.webhook]]\nurl = \"https://hooks.example/T0/SECRET\"\nformat = \"x\"\n",
        &[],
    )
    .unwrap_err();
    assert!(!err.contains("SECRET"), "{err}");
}

/// `config check` lists the alert targets with their secrets masked: a webhook URL's path and
/// a ping URL's UUID are the secret, the signing secret is only "signed".
#[test]
fn config_check_shows_alert_targets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[alerts]\nping_url = \"https://hc-ping.example/uuid-SECRET1\"\n\
         [[alerts.webhook]]\nname = \"chat\"\nurl = \"https://hooks.example/services/T0/SECRET2\"\nformat = \"slack\"\nsecret_env = \"SIG\"\n",
    )
    .unwrap();
    for json in [false, true] {
        let mut args = vec!["--config", cfg.to_str().unwrap(), "config", "check"];
        if json {
            args.push("--json");
        }
        let (code, out, err) = magsync(dir.path(), &args, &[("SIG", "SECRET3")]);
        assert_eq!(code, 0, "{out}{err}");
        for secret in ["SECRET1", "SECRET2", "SECRET3"] {
            assert!(
                !out.contains(secret) && !err.contains(secret),
                "{secret}: {out}"
            );
        }
        assert!(out.contains("https://hooks.example/***"), "{out}");
        assert!(out.contains("https://hc-ping.example/***"), "{out}");
    }
}
