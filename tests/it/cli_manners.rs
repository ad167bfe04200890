//! The CLI as a script, a pipe, cron or a careful operator meets it: output paths that are not
//! plain files, readers that close early, full disks, mistyped databases and accounts, odd
//! numbers, private files, progress lines for logs. The real binary, temporary stores.

use crate::emag_support::{sim_config, start};
use chrono::Utc;
use magsync::config::{Config, Overrides};
use magsync::model::Offer;
use magsync::model::OfferStatus;
use magsync::store::Store;
use magsync::testing::TestDb;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Connection;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The binary with a clean environment: no EMAG_* or DATABASE_URL from the host.
fn magsync(dir: &Path, db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_magsync"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MAGSYNC_DATA_DIR", dir.join("data"))
        .env("MAGSYNC_CONFIG_DIR", dir.join("config"))
        .arg("--database-url")
        .arg(db);
    cmd
}

fn run(dir: &Path, db: &str, args: &[&str]) -> Output {
    magsync(dir, db).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit code `code` and exactly one line on stderr, `magsync: ...`, without a panic.
fn one_sentence(out: &Output, code: i32) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("magsync: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn offer(id: i64) -> Offer {
    let price = format!("{}.{:04}", 10 + id % 900, (id * 37) % 10_000);
    Offer {
        id,
        name: Some(format!("Fierbător electric Heinner #{id}")),
        part_number: Some(format!("PN{id}")),
        sale_price: Some(Decimal::from_str(&price).unwrap()),
        min_sale_price: Some(Decimal::ONE),
        max_sale_price: Some(Decimal::from(100_000)),
        currency: Some("RON".into()),
        status: Some(OfferStatus::Active),
        general_stock: Some(3),
        raw: json!({"id": id, "name": format!("Fierbător electric Heinner #{id}"), "sale_price": price, "status": 1})
            .into(),
        ..Default::default()
    }
}

/// A SQLite store with `n` offers of `main` and 3 of `fbe`.
async fn filled(n: i64) -> TestDb {
    let db = TestDb::sqlite().await;
    fill(&db.store, n).await;
    db
}

async fn fill(store: &Store, n: i64) {
    let now = Utc::now();
    for (account, count) in [("main", n), ("fbe", 3)] {
        let offers: Vec<Offer> = (1..=count).map(offer).collect();
        for chunk in offers.chunks(100) {
            store
                .offers()
                .write(account, None, chunk, now)
                .await
                .unwrap();
        }
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

// --- 22.1: output paths -----------------------------------------------------------------------

#[tokio::test]
async fn export_streams_into_a_fifo_whose_reader_gets_every_offer() {
    let db = filled(250).await;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("offers.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    let out = run(
        dir.path(),
        &db.url,
        &[
            "export",
            "--format",
            "jsonl",
            "--output",
            fifo.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = reader.join().unwrap();
    assert_eq!(text.lines().count(), 253, "every offer reached the reader");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO is still a FIFO"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert!(
        !names
            .iter()
            .any(|e| e.file_name().to_string_lossy().contains("partial")),
        "no temporary file left beside it"
    );
}

#[tokio::test]
async fn export_through_a_symlink_writes_its_target_and_keeps_the_link() {
    let db = filled(20).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/offers.csv");
    std::fs::write(&target, "old contents\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("latest.csv");
    std::os::unix::fs::symlink("real/offers.csv", &link).unwrap();

    let out = run(
        dir.path(),
        &db.url,
        &["export", "--output", link.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    let csv = std::fs::read_to_string(&target).unwrap();
    assert!(csv.starts_with("account,id,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 23);
    assert_eq!(mode(&target), 0o640, "a replaced file keeps its mode");

    // A dangling link: the path it names is created.
    let dangling = dir.path().join("next.csv");
    std::os::unix::fs::symlink("real/new.csv", &dangling).unwrap();
    let out = run(
        dir.path(),
        &db.url,
        &["export", "--output", dangling.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(dir.path().join("real/new.csv"))
            .unwrap()
            .starts_with("account,id,")
    );
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[tokio::test]
async fn export_into_a_character_device_leaves_it_a_device() {
    let db = filled(20).await;
    let dir = tempfile::tempdir().unwrap();
    let null = dir.path().join("null");
    let made = Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(
        made.success(),
        "mknod needs root (the test suite runs as root)"
    );
    for format in ["csv", "json"] {
        let out = run(
            dir.path(),
            &db.url,
            &[
                "export",
                "--format",
                format,
                "--output",
                null.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            std::fs::symlink_metadata(&null)
                .unwrap()
                .file_type()
                .is_char_device(),
            "{format}: still a character device"
        );
    }
}

#[tokio::test]
async fn export_to_dev_full_is_one_sentence_and_exit_1() {
    let db = filled(20).await;
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = magsync(dir.path(), &db.url)
        .args(["export", "--format", "json"])
        .stdout(full)
        .output()
        .unwrap();
    let err = one_sentence(&out, 1);
    assert!(
        err.contains("cannot write to standard output") && err.contains("No space left"),
        "{err}"
    );
    // The same through --output.
    let out = run(
        dir.path(),
        &db.url,
        &["export", "--format", "csv", "--output", "/dev/full"],
    );
    let err = one_sentence(&out, 1);
    assert!(
        err.contains("/dev/full") && err.contains("No space left"),
        "{err}"
    );
    assert!(
        std::fs::symlink_metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

/// Reads `keep` bytes (or one line) of a command's stdout, closes the pipe, and returns how
/// the command ended.
fn read_then_close(mut cmd: Command, first_line: bool, keep: usize) -> (Output, Vec<u8>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut got = Vec::new();
    if first_line {
        stdout.read_until(b'\n', &mut got).unwrap();
    } else {
        got.resize(keep, 0);
        stdout.read_exact(&mut got).unwrap();
    }
    drop(stdout);
    (child.wait_with_output().unwrap(), got)
}

#[tokio::test]
async fn a_reader_that_closes_early_ends_the_command_quietly() {
    let db = filled(1200).await;
    let dir = tempfile::tempdir().unwrap();

    // `magsync products --limit 1000 | head -1`
    let mut cmd = magsync(dir.path(), &db.url);
    cmd.args(["products", "--limit", "1000"]);
    let (out, line) = read_then_close(cmd, true, 0);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&line).starts_with("ACCOUNT"));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));

    // `magsync export --format json | head -c 100`
    let mut cmd = magsync(dir.path(), &db.url);
    cmd.args(["export", "--format", "json"]);
    let (out, bytes) = read_then_close(cmd, false, 100);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(bytes.len(), 100);
    assert_eq!(stderr(&out), "", "nothing said about the closed pipe");

    // The same through `--output /dev/stdout`, a link to a pipe that is no path.
    let mut cmd = magsync(dir.path(), &db.url);
    cmd.args(["export", "--format", "jsonl", "--output", "/dev/stdout"]);
    let (out, bytes) = read_then_close(cmd, false, 100);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(bytes.starts_with(b"{"));
    assert!(!stderr(&out).contains("Broken pipe"), "{}", stderr(&out));
}

#[tokio::test]
async fn every_command_ends_quietly_on_a_closed_stdout() {
    let db = filled(30).await;
    let dir = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["products"],
        &["products", "--json"],
        &["stats"],
        &["stats", "--json"],
        &["history", "--json"],
        &["pending"],
        &["pending", "--json"],
        &["export"],
        &["export", "--format", "json"],
        &["export", "--format", "jsonl"],
        &["paths"],
        &["paths", "--json"],
        &["config", "check"],
        &["migrate"],
    ];
    for args in cases {
        // A pipe whose reader is already gone: the first write fails with EPIPE.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = magsync(dir.path(), &db.url)
            .args(*args)
            .stdout(writer)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

// --- 22.7: read-only commands never create a database ------------------------------------------

#[test]
fn commands_on_a_missing_database_say_so_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo/deeper/magsync.db");
    let db = magsync::config::sqlite_url(&missing);
    for args in [
        &["stats"][..],
        &["stats", "--json"],
        &["products"],
        &["products", "--json"],
        &["history"],
        &["history", "show", "1"],
        &["export"],
        &[
            "export",
            "--output",
            dir.path().join("o.csv").to_str().unwrap(),
        ],
        &["pending"],
        &["push", "--dry-run"],
        &["buybox"],
        &["buybox", "--losing", "--json", "--since", "7d"],
        &["report", "--since", "7d"],
        &["smart-deals", "--account", "main", "--ids", "1"],
        &[
            "offer",
            "set",
            "--account",
            "main",
            "--id",
            "1",
            "--stock",
            "3",
        ],
        &[
            "conflicts",
            "resolve",
            "--account",
            "main",
            "--id",
            "1",
            "--keep",
            "local",
        ],
    ] {
        let out = magsync(dir.path(), &db)
            .env("EMAG_MAIN_USERNAME", "u")
            .env("EMAG_MAIN_PASSWORD", "p")
            .args(args)
            .output()
            .unwrap();
        let err = one_sentence(&out, 1);
        assert!(
            err.contains("does not exist") && err.contains(missing.to_str().unwrap()),
            "{args:?}: {err}"
        );
        assert!(
            !dir.path().join("typo").exists(),
            "{args:?} created folders"
        );
        assert!(!dir.path().join("o.csv").exists());
    }
}

// --- 22.8: inputs --------------------------------------------------------------------------------

#[test]
fn negative_numbers_reach_the_validator() {
    let dir = tempfile::tempdir().unwrap();
    let db = magsync::config::sqlite_url(&dir.path().join("x.db"));
    for (args, needle) in [
        (&["products", "--limit", "-1"][..], "must be at least 1"),
        (&["history", "--limit", "-5"], "must be at least 1"),
        (&["history", "show", "-1"], "must be at least 1"),
        (
            &["history", "show", "1", "--changes", "-2"],
            "must be at least 1",
        ),
        (&["sync", "--max-pages", "-1"], "must be at least 1"),
        (&["sync", "--items-per-page", "-5"], "must be at least 1"),
        (&["sync", "--items-per-page", "500"], "at most 100"),
        (&["sync", "--progress-every", "-1"], "must be at least 1"),
        (&["push", "--max-offers", "-3"], "must be at least 1"),
        (&["buybox", "--step", "-1"], "--step must be above 0"),
        (
            &["buybox", "--margin", "-5"],
            "--margin must not be negative",
        ),
        (
            &["pending", "discard"],
            "not provided: <ID|--account <ACCOUNT>|--all>",
        ),
        (
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                "-1",
                "--stock",
                "1",
            ],
            "must be at least 1",
        ),
        (
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                "1",
                "--price",
                "-5",
            ],
            "must be above 0",
        ),
        (
            &[
                "conflicts",
                "resolve",
                "--account",
                "main",
                "--id",
                "-3",
                "--keep",
                "local",
            ],
            "must be at least 1",
        ),
    ] {
        let out = run(dir.path(), &db, args);
        let err = one_sentence(&out, 2);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    }
}

#[test]
fn prices_take_plain_digits_with_one_dot_or_comma_and_four_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let db = magsync::config::sqlite_url(&dir.path().join("x.db"));
    for (price, needle) in [
        ("1e2", "is not a price"),
        ("1_000", "is not a price"),
        ("1,000.50", "is not a price"),
        ("0x10", "is not a price"),
        ("1.23456", "more than 4 decimals"),
        ("123456789012345678901234567890", "too large"),
    ] {
        let out = run(
            dir.path(),
            &db,
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                "1",
                "--price",
                price,
            ],
        );
        let err = one_sentence(&out, 2);
        assert!(err.contains(needle), "{price}: {err}");
    }
}

fn load(text: &str, vars: &[(&str, &str)]) -> Result<Config, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    let mut env: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("MAGSYNC_DATA_DIR".into(), dir.path().display().to_string());
    env.insert(
        "MAGSYNC_CONFIG_DIR".into(),
        dir.path().display().to_string(),
    );
    Config::load_with_env(
        &Overrides {
            config_path: Some(path),
            database_url: None,
        },
        &env,
    )
    .map_err(|f| {
        assert_eq!(f.code, 2);
        f.message
    })
}

#[test]
fn config_values_out_of_range_are_errors_naming_the_key() {
    for (text, key) in [
        ("[sync]\nmax_attempts = 0\n", "[sync] max_attempts"),
        ("[sync]\nmax_attempts = -1\n", "[sync] max_attempts"),
        ("[sync]\nmax_attempts = 1000\n", "[sync] max_attempts"),
        (
            "[sync]\nrequest_timeout_secs = 0\n",
            "[sync] request_timeout_secs",
        ),
        (
            "[sync]\nconnect_timeout_secs = 0\n",
            "[sync] connect_timeout_secs",
        ),
        (
            "[sync]\nconnect_timeout_secs = -4\n",
            "[sync] connect_timeout_secs",
        ),
    ] {
        let err = load(text, &[]).unwrap_err();
        assert!(
            err.contains(key) && err.contains("must be"),
            "{text}: {err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }
    let c = load(
        "[sync]\nmax_attempts = 1\nrequest_timeout_secs = 3600\nconnect_timeout_secs = 1\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.settings.max_attempts, 1);
    assert_eq!(c.settings.request_timeout, Duration::from_secs(3600));
}

#[test]
fn account_names_that_cannot_be_told_apart_are_refused() {
    for (text, vars, needle) in [
        ("[accounts.all]\nusername = \"u\"\n", &[][..], "reserved"),
        ("[accounts.Both]\nusername = \"u\"\n", &[], "reserved"),
        ("", &[("EMAG_ALL_USERNAME", "u")][..], "reserved"),
        (
            "[accounts.main]\nusername = \"u\"\n[accounts.MAIN]\nusername = \"v\"\n",
            &[],
            "differ only in case",
        ),
        (
            "[accounts.my-shop]\nusername = \"u\"\n[accounts.my_shop]\nusername = \"v\"\n",
            &[],
            "differ only in case",
        ),
    ] {
        let err = load(text, vars).unwrap_err();
        assert!(err.contains(needle), "{text} {vars:?}: {err}");
    }
    // EMAG_MAIN_* configures [accounts.MAIN]; that is one account, not two.
    let c = load(
        "[accounts.MAIN]\nbase_url = \"http://127.0.0.1:1/api-3\"\n",
        &[("EMAG_MAIN_USERNAME", "u"), ("EMAG_MAIN_PASSWORD", "p")],
    )
    .unwrap();
    assert_eq!(c.accounts.len(), 1);
    assert_eq!(c.accounts[0].username.as_deref(), Some("u"));
}

#[test]
fn user_info_in_any_url_is_masked_wherever_shown() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[accounts.main]\nbase_url = \"https://operator:url-secret-31@127.0.0.1:1/api-3\"\nusername = \"m\"\npassword = \"p\"\n\
         [accounts.fbe]\nbase_url = \"https://token-secret-42@127.0.0.1:1/api-3\"\nusername = \"f\"\npassword = \"p\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let db = magsync::config::sqlite_url(&dir.path().join("x.db"));
    for args in [
        &["config", "check"][..],
        &["config", "check", "--json"],
        &["test-connection"],
        &["test-connection", "--json"],
    ] {
        let out = magsync(dir.path(), &db)
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .output()
            .unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        for secret in ["url-secret-31", "token-secret-42"] {
            assert!(!all.contains(secret), "{args:?} shows {secret}: {all}");
        }
        assert!(all.contains("***@127.0.0.1"), "{args:?}: {all}");
    }
    assert_eq!(
        magsync::config::mask_url("postgres://app:pw@db/x"),
        "postgres://app:***@db/x"
    );
    assert_eq!(
        magsync::config::mask_url("not a url://user:pw@host/x"),
        "not a url://***@host/x"
    );
}

/// A server that answers every request with a redirect and counts them.
fn redirecting_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api-3", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut stream = stream;
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: https://collector:hidden-7@evil.example/api-3/product_offer/count\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (base, hits)
}

#[tokio::test]
async fn a_redirect_is_an_error_naming_its_target_and_is_not_retried() {
    let (base, hits) = redirecting_server();
    let client = magsync::emag::EmagClient::new(magsync::emag::ClientConfig::new(
        "main",
        &base,
        "u",
        "p".to_string().into(),
    ))
    .unwrap();
    let err = client
        .count_offers(&magsync::emag::OfferFilter::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("HTTP 307") && text.contains("evil.example") && text.contains("base_url"),
        "{text}"
    );
    assert!(!text.contains("hidden-7"), "{text}");
    assert!(!err.is_transient());
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "sent once, not retried"
    );
}

#[tokio::test]
async fn an_unknown_account_is_an_error_listing_the_known_ones() {
    for db in TestDb::all().await {
        fill(&db.store, 5).await;
        let dir = tempfile::tempdir().unwrap();
        for args in [
            &["products", "--account", "nosuch"][..],
            &["export", "--account", "nosuch"],
            &["history", "--account", "nosuch"],
        ] {
            let out = run(dir.path(), &db.url, args);
            let err = one_sentence(&out, 2);
            assert!(
                err.contains("\"nosuch\"") && err.contains("fbe, main"),
                "{}: {args:?}: {err}",
                db.label
            );
        }
        // An account the store knows (not configured here) is fine.
        let out = run(dir.path(), &db.url, &["products", "--account", "fbe"]);
        assert!(out.status.success(), "{}: {}", db.label, stderr(&out));
    }
}

#[tokio::test]
async fn sqlite_lock_contention_says_database_is_locked() {
    let db = filled(5).await;
    // Another process's write transaction, held longer than magsync's busy timeout (30 s).
    let mut holder = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        magsync(&path, &url)
            .env("EMAG_MAIN_USERNAME", "u")
            .env("EMAG_MAIN_PASSWORD", "p")
            .args([
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                "2",
                "--price",
                "20.5",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    let err = one_sentence(&out, 1);
    assert!(err.contains("database is locked"), "{err}");
}

// --- 22.9: private files ---------------------------------------------------------------------------

#[test]
fn data_database_and_logs_are_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db_path = data.join("magsync.db");
    // Through a shell, to start magsync with a permissive umask.
    let sh = |cmd: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("umask 000; exec \"$MAGSYNC\" {cmd}"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC", env!("CARGO_BIN_EXE_magsync"))
            .env("MAGSYNC_DATA_DIR", &data)
            .env("MAGSYNC_CONFIG_DIR", dir.path().join("config"))
            .env("EMAG_MAIN_USERNAME", "u")
            .env("EMAG_MAIN_PASSWORD", "p")
            .env("EMAG_MAIN_BASE_URL", "http://127.0.0.1:1/api-3")
            .output()
            .unwrap();
        (
            out.status.code(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out)),
        )
    };
    let (code, text) = sh("migrate");
    assert_eq!(code, Some(0), "{text}");
    // A connection failure still writes the log.
    let (_, text) = sh("test-connection");
    assert!(text.contains("FAIL"), "{text}");
    assert_eq!(mode(&data), 0o700, "data folder");
    assert_eq!(mode(&db_path), 0o600, "database");
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db_path.display()));
        if side.exists() {
            assert_eq!(mode(&side), 0o600, "{suffix}");
        }
    }
    let logs = data.join("logs");
    assert_eq!(mode(&logs), 0o700, "log folder");
    let log_files: Vec<PathBuf> = std::fs::read_dir(&logs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(!log_files.is_empty());
    for f in &log_files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    let (code, text) = sh("config check");
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("open to other users"), "{text}");

    // Loosened by hand: config check says so, naming the files.
    std::fs::set_permissions(&db_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&log_files[0], std::fs::Permissions::from_mode(0o604)).unwrap();
    let (code, text) = sh("config check");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "the database {} is open to other users (mode 644)",
            db_path.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("the log file {}", log_files[0].display())),
        "{text}"
    );
}

// --- 17.8: progress lines for logs -----------------------------------------------------------

#[tokio::test]
async fn sync_prints_progress_lines_when_stderr_is_not_a_terminal() {
    let mut cfg = sim_config(&[("main", 150)]);
    cfg.latency_ms = 250;
    let h = start(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_magsync"))
        .args([
            "sync",
            "--account",
            "main",
            "--items-per-page",
            "10",
            "--progress-every",
            "1",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MAGSYNC_CONFIG_DIR", dir.path().join("config"))
        .env("MAGSYNC_DATA_DIR", dir.path().join("data"))
        .env("EMAG_MAIN_USERNAME", "main")
        .env("EMAG_MAIN_PASSWORD", "demo")
        .env("EMAG_MAIN_BASE_URL", h.base_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(child.stderr.take().unwrap()));
    let mut seen: Vec<(Duration, String)> = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        seen.push((started.elapsed(), line));
    }
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{seen:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("main: completed"),
        "the summary still goes to stdout"
    );
    assert!(seen.len() >= 2, "a 15-page run at ~0.5 s a page: {seen:?}");
    for (_, line) in &seen {
        assert!(line.starts_with("main: page "), "{line}");
        assert!(
            line.contains(" offers, ") && line.contains(" offers/s, ETA "),
            "{line}"
        );
        let eta = line.split("ETA ").nth(1).unwrap();
        let eta = eta.split(',').next().unwrap();
        let (m, s) = eta.split_once(':').expect("ETA as m:ss");
        assert!(
            m.parse::<u64>().is_ok() && s.len() == 2 && s.parse::<u64>().is_ok(),
            "{line}"
        );
    }
    for pair in seen.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= Duration::from_millis(800),
            "at most one line a period: {seen:?}"
        );
    }

    // By default a line every 10 s: a run of a few seconds prints only its summary.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_magsync"))
        .args(["sync", "--account", "main", "--items-per-page", "50"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MAGSYNC_CONFIG_DIR", dir.path().join("config"))
        .env("MAGSYNC_DATA_DIR", dir.path().join("data"))
        .env("EMAG_MAIN_USERNAME", "main")
        .env("EMAG_MAIN_PASSWORD", "demo")
        .env("EMAG_MAIN_BASE_URL", h.base_url())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "", "no progress line before 10 s");
}

#[tokio::test]
async fn a_sync_keeps_its_exit_code_when_stdout_is_closed() {
    let h = start(sim_config(&[("main", 20)])).await;
    let dir = tempfile::tempdir().unwrap();
    for (password, code) in [("demo", 0), ("wrong", 1)] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let base = h.base_url();
        let path = dir.path().to_path_buf();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_magsync"))
                .args(["sync", "--account", "main"])
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("MAGSYNC_CONFIG_DIR", path.join("config"))
                .env("MAGSYNC_DATA_DIR", path.join("data"))
                .env("EMAG_MAIN_USERNAME", "main")
                .env("EMAG_MAIN_PASSWORD", password)
                .env("EMAG_MAIN_BASE_URL", base)
                .stdout(writer)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{password}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_full_or_closed_stderr_never_turns_into_a_panic() {
    let db = filled(5).await;
    let dir = tempfile::tempdir().unwrap();
    let missing = magsync::config::sqlite_url(&dir.path().join("none.db"));
    let out_file = dir.path().join("o.csv");
    for (url, args, code) in [
        (&db.url, &["products"][..], 0),
        (&db.url, &["history"], 0),
        (
            &db.url,
            &["export", "--output", out_file.to_str().unwrap()],
            0,
        ),
        (&db.url, &["products", "--limit", "-1"], 2),
        (&db.url, &["--no-such-flag"], 2),
        (&missing, &["stats"], 1),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = magsync(dir.path(), url)
            .args(args)
            .stderr(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
}
