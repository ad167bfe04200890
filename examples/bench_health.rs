//! What a health check and a /metrics scrape cost over a long history:
//! `cargo run --release --example bench_health -- [RUNS_PER_ACCOUNT]` (default 4096, about
//! half a year of hourly runs). Seeds two accounts with that many finished runs each, in
//! SQLite and (if reachable) Postgres, then prints the median time of one account's health
//! (what `magsync check`, the daemon and the dashboard poll do) and of one whole scrape.

use chrono::{Duration, Utc};
use magsync::config::{HealthConfig, Schedule};
use magsync::metrics::{Source, render};
use magsync::model::{RunCounts, RunStatus, SyncMode, SyncOptions, Trigger};
use magsync::testing::TestDb;
use std::time::Instant;

const ACCOUNTS: [&str; 2] = ["main", "fbe"];

async fn seed(db: &TestDb, per_account: usize) {
    let start = Utc::now() - Duration::hours(2);
    for account in ACCOUNTS {
        for mode in [SyncMode::Full, SyncMode::Incremental] {
            let options = SyncOptions {
                mode,
                ..SyncOptions::default()
            };
            let run = db
                .store
                .runs()
                .create(account, &options, Trigger::Schedule, "bench", start)
                .await
                .unwrap();
            let counts = RunCounts {
                requests: 40,
                offers_seen: 3800,
                pages_done: 38,
                ..RunCounts::default()
            };
            db.store
                .runs()
                .finish(
                    run.id,
                    RunStatus::Completed,
                    &counts,
                    None,
                    None,
                    start + Duration::seconds(600),
                )
                .await
                .unwrap();
        }
    }
    // Doubling the rows is the fastest way to a long history on both dialects.
    let mut rows = 2;
    while rows < per_account {
        db.execute(
            "INSERT INTO sync_runs (account, mode, trigger, status, options, started_at, finished_at, \
             heartbeat_at, pages_done, requests, retries, rate_limited, offers_seen, owner) \
             SELECT account, mode, trigger, status, options, started_at, finished_at, heartbeat_at, \
             pages_done, requests, retries, rate_limited, offers_seen, owner FROM sync_runs",
        )
        .await;
        rows *= 2;
    }
    println!(
        "  {} runs in the store",
        db.scalar("SELECT COUNT(*) FROM sync_runs").await
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let per_account: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4096);
    let health = HealthConfig::defaults(&Schedule {
        enabled: true,
        interval_minutes: 60,
        daily_full_at: None,
    });
    let mut dbs = vec![TestDb::sqlite().await];
    dbs.extend(TestDb::postgres().await);
    for db in dbs {
        println!("{}:", db.label);
        seed(&db, per_account).await;
        let mut checks = Vec::new();
        for _ in 0..21 {
            let t = Instant::now();
            let h =
                magsync::health::account_health(&db.store, "main", &health.base, Utc::now()).await;
            checks.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(h.level, magsync::health::Level::Ok, "{h:?}");
        }
        let src = Source {
            store: db.store.clone(),
            accounts: ACCOUNTS.iter().map(|a| a.to_string()).collect(),
            health: health.clone(),
        };
        let mut scrapes = Vec::new();
        let mut bytes = 0;
        for _ in 0..21 {
            let t = Instant::now();
            bytes = render(&src).await.unwrap().len();
            scrapes.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "  health of one account: {:.2} ms median; /metrics scrape: {:.1} ms median ({bytes} bytes)",
            median(checks),
            median(scrapes)
        );
    }
}
