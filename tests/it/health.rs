//! Health checks over seeded run histories on both stores: every rule's level and line, the
//! plugin text with its perfdata, and `magsync check`'s exit codes.

use chrono::{DateTime, Duration, Utc};
use magsync::config::{Schedule, Thresholds};
use magsync::health::{self, Level, report};
use magsync::model::{RunCounts, RunStatus, SyncMode, SyncOptions, Trigger};
use magsync::store::Store;
use magsync::testing::TestDb;

/// One finished run of `account` that started `ago` before now and took `secs`.
// Each argument is one column of the table of histories below; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub async fn seed(
    store: &Store,
    account: &str,
    mode: SyncMode,
    status: RunStatus,
    ago: Duration,
    secs: i64,
    offers_seen: i64,
    summary: Option<&str>,
) -> i64 {
    let now = Utc::now();
    let start: DateTime<Utc> = now - ago;
    let options = SyncOptions {
        mode,
        ..SyncOptions::default()
    };
    let run = store
        .runs()
        .create(account, &options, Trigger::Schedule, "seed", start)
        .await
        .unwrap();
    let counts = RunCounts {
        offers_seen,
        requests: 30,
        pages_done: 3,
        ..RunCounts::default()
    };
    store
        .runs()
        .finish(
            run.id,
            status,
            &counts,
            None,
            summary,
            start + Duration::seconds(secs),
        )
        .await
        .unwrap();
    run.id
}

fn mins(m: i64) -> Duration {
    Duration::minutes(m)
}

/// Seeds the named histories; each account is one case of the table.
async fn seed_histories(store: &Store) {
    use RunStatus::*;
    use SyncMode::*;
    // fresh: daily fulls of 10 minutes and a recent incremental.
    for d in (1..=4).rev() {
        seed(
            store,
            "fresh",
            Full,
            Completed,
            Duration::days(d),
            600,
            1000,
            None,
        )
        .await;
    }
    seed(store, "fresh", Full, Completed, mins(60), 600, 1000, None).await;
    seed(
        store,
        "fresh",
        Incremental,
        Completed,
        mins(10),
        30,
        500,
        None,
    )
    .await;
    // stale: nothing for ten hours.
    seed(store, "stale", Full, Completed, mins(610), 600, 1000, None).await;
    // failed: the last run failed.
    seed(store, "failed", Full, Completed, mins(120), 600, 1000, None).await;
    let why = "eMAG rejected the credentials (HTTP 401)";
    seed(
        store,
        "failed",
        Incremental,
        Failed,
        mins(20),
        5,
        0,
        Some(why),
    )
    .await;
    // drop: 1000 offers, then 700.
    seed(store, "drop", Full, Completed, mins(180), 600, 1000, None).await;
    seed(store, "drop", Full, Completed, mins(30), 600, 700, None).await;
    // fast and slow: four 10-minute fulls, then one of 1 minute / 40 minutes.
    for case in ["fast", "slow"] {
        for h in (2..=5).rev() {
            seed(store, case, Full, Completed, mins(60 * h), 600, 1000, None).await;
        }
    }
    seed(store, "fast", Full, Completed, mins(20), 60, 1000, None).await;
    seed(store, "slow", Full, Completed, mins(50), 2400, 1000, None).await;
}

/// (account, level, the rule that decides, a fragment of its line)
const CASES: &[(&str, Level, &str, &str)] = &[
    ("fresh", Level::Ok, "sync_age", "last sync 9m ago"),
    (
        "stale",
        Level::Critical,
        "sync_age",
        "critical after 6h 00m",
    ),
    (
        "failed",
        Level::Critical,
        "last_run",
        "failed: eMAG rejected the credentials",
    ),
    (
        "drop",
        Level::Warning,
        "count_drop",
        "fell from 1000 to 700 (-30 %)",
    ),
    (
        "fast",
        Level::Warning,
        "duration",
        "much shorter than the usual 10m",
    ),
    (
        "slow",
        Level::Warning,
        "duration",
        "much longer than the usual 10m",
    ),
    ("never", Level::Unknown, "sync_age", "never synced"),
];

#[tokio::test]
async fn check_levels_and_lines_over_seeded_histories() {
    let t = Thresholds::defaults(&Schedule {
        enabled: true,
        interval_minutes: 60,
        daily_full_at: None,
    });
    for db in TestDb::all().await {
        seed_histories(&db.store).await;
        let now = Utc::now();
        let mut all = Vec::new();
        for (account, level, check, fragment) in CASES {
            let h = health::account_health(&db.store, account, &t, now).await;
            assert_eq!(h.level, *level, "[{}] {account}: {h:?}", db.label);
            let decisive: Vec<_> = h.findings.iter().filter(|f| f.level == *level).collect();
            assert!(
                decisive
                    .iter()
                    .any(|f| f.check == *check && f.message.contains(fragment)),
                "[{}] {account}: expected {check} with {fragment:?} in {decisive:?}",
                db.label
            );
            // Only the decisive rule complains: the histories differ in one thing each.
            let bad: Vec<_> = h.findings.iter().filter(|f| f.level != Level::Ok).collect();
            assert_eq!(
                bad.len(),
                usize::from(*level != Level::Ok),
                "[{}] {account}: {bad:?}",
                db.label
            );
            all.push(h);
        }
        let text = report::text(&all);
        let mut lines = text.lines();
        let summary = lines.next().unwrap();
        assert!(
            summary.starts_with(
                "MAGSYNC CRITICAL - fresh OK, stale CRITICAL, failed CRITICAL, drop WARNING"
            ),
            "{summary}"
        );
        assert!(summary.contains(" | 'fresh_sync_age'="), "{summary}");
        assert!(summary.contains("'stale_sync_age'="), "{summary}");
        assert!(summary.contains("s;10800;21600;0;"), "{summary}");
        let rest: Vec<&str> = lines.collect();
        assert_eq!(rest.len(), CASES.len(), "{text}");
        assert!(rest[0].starts_with("fresh: OK - last sync"), "{}", rest[0]);
        assert!(
            rest[1].starts_with("stale: CRITICAL - last sync 10h"),
            "{}",
            rest[1]
        );
        assert_eq!(report::overall(&all).exit_code(), 2);
        let json = report::json(&all);
        assert_eq!(json["status"], "CRITICAL");
        assert_eq!(
            json["accounts"][3]["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["check"] == "count_drop")
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn a_partial_run_warns_and_pending_edits_and_conflicts_are_counted() {
    let t = Thresholds::defaults(&Schedule {
        enabled: true,
        interval_minutes: 60,
        daily_full_at: None,
    });
    for db in TestDb::all().await {
        let s = &db.store;
        seed(
            s,
            "main",
            SyncMode::Full,
            RunStatus::Completed,
            mins(90),
            600,
            1000,
            None,
        )
        .await;
        seed(
            s,
            "main",
            SyncMode::Incremental,
            RunStatus::Partial,
            mins(10),
            60,
            400,
            Some("page 3 failed: timeout"),
        )
        .await;
        let h = health::account_health(s, "main", &t, Utc::now()).await;
        assert_eq!(h.level, Level::Warning, "[{}] {h:?}", db.label);
        assert!(h.reason().contains("partial"), "{}", h.reason());
        let guard = format!(
            "{}: the complete scan did not list",
            magsync::sync::GUARD_HOLD
        );
        seed(
            s,
            "main",
            SyncMode::Full,
            RunStatus::Partial,
            mins(5),
            60,
            100,
            Some(&guard),
        )
        .await;
        let h = health::account_health(s, "main", &t, Utc::now()).await;
        assert_eq!(h.level, Level::Critical, "[{}] {h:?}", db.label);
        assert!(h.findings.iter().any(|f| f.check == "guard"), "{h:?}");
    }
}

/// `magsync check` as cron or Nagios runs it: exit code by the worst account, plugin lines.
#[tokio::test]
async fn check_command_exit_codes() {
    let db = TestDb::sqlite().await;
    seed_histories(&db.store).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[accounts.fresh]\nusername = \"u\"\n[accounts.drop]\nusername = \"u\"\n[accounts.stale]\nusername = \"u\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_magsync"))
            .arg("--config")
            .arg(&config)
            .arg("--database-url")
            .arg(&db.url)
            .args(args)
            .env("MAGSYNC_DATA_DIR", dir.path())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["check", "--account", "fresh"],
            0,
            "MAGSYNC OK - fresh OK |",
        ),
        (
            &["check", "--account", "drop"],
            1,
            "MAGSYNC WARNING - drop WARNING |",
        ),
        (
            &["check", "--account", "stale"],
            2,
            "MAGSYNC CRITICAL - stale CRITICAL |",
        ),
        (
            &["check"],
            2,
            "MAGSYNC CRITICAL - drop WARNING, fresh OK, stale CRITICAL |",
        ),
        (
            &["check", "--account", "nosuch"],
            3,
            "MAGSYNC UNKNOWN - no account \"nosuch\"",
        ),
    ];
    for (args, code, first) in cases {
        let (got, out) = run(args);
        assert_eq!(got, *code, "{args:?}: {out}");
        assert!(out.starts_with(first), "{args:?}: {out}");
    }
    let (code, out) = run(&["check", "--json"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["exit_code"], 2);
    assert_eq!(v["accounts"].as_array().unwrap().len(), 3);
}
