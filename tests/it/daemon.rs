//! The daemon's driver on real stores (SQLite, and Postgres when available), and the real
//! binary against the simulator: `--once`, SIGTERM, and an export equal to eMAG's catalogue.

use chrono::{DateTime, Duration, Utc};
use magsync::daemon::{
    AccountPlan, ActiveRun, Daemon, Decision, RunEnd, ScheduleConfig, Scheduler, StartError,
    StartRequest, SyncPort,
};
use magsync::model::{EventLevel, RunCounts, RunStatus, SyncMode, SyncOptions, Trigger};
use magsync::sim::{SimAccount, SimConfig};
use magsync::store::Store;
use magsync::store::runs::RunFilter;
use magsync::testing::TestDb;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------- fake engine

#[derive(Default)]
struct Fake {
    next_id: AtomicI64,
    /// Accounts another process holds.
    busy_elsewhere: Mutex<Vec<String>>,
    started: Mutex<Vec<(String, SyncMode, Option<u32>)>>,
    /// Flip to end every run started so far.
    finished: Arc<AtomicBool>,
    cancelled: Arc<AtomicU32>,
}

struct FakeRun {
    id: i64,
    account: String,
    finished: Arc<AtomicBool>,
    cancelled: Arc<AtomicU32>,
}

impl SyncPort for &Fake {
    type Run = FakeRun;
    fn default_options(&self, _account: &str, mode: SyncMode) -> SyncOptions {
        SyncOptions {
            mode,
            ..SyncOptions::default()
        }
    }
    async fn start(&self, account: &str, request: StartRequest) -> Result<FakeRun, StartError> {
        assert_eq!(request.trigger, Trigger::Schedule);
        if self
            .busy_elsewhere
            .lock()
            .unwrap()
            .iter()
            .any(|a| a == account)
        {
            return Err(StartError::Busy(format!(
                "{account} is synced by another process"
            )));
        }
        self.started.lock().unwrap().push((
            account.to_string(),
            request.options.mode,
            request.options.max_pages,
        ));
        let id = self.next_id.fetch_add(1, SeqCst) + 1;
        Ok(FakeRun {
            id,
            account: account.to_string(),
            finished: self.finished.clone(),
            cancelled: self.cancelled.clone(),
        })
    }
}

impl ActiveRun for FakeRun {
    fn run_id(&self) -> i64 {
        self.id
    }
    fn is_finished(&self) -> bool {
        self.finished.load(SeqCst)
    }
    fn cancel(&self) {
        self.cancelled.fetch_add(1, SeqCst);
        self.finished.store(true, SeqCst);
    }
    async fn finish(self) -> RunEnd {
        RunEnd {
            run_id: self.id,
            account: self.account,
            status: if self.cancelled.load(SeqCst) > 0 {
                RunStatus::Cancelled
            } else {
                RunStatus::Completed
            },
            summary: None,
        }
    }
}

fn scheduler(now: DateTime<Utc>, retention_days: u32) -> Scheduler<Utc> {
    let mut config = ScheduleConfig::new(10, None);
    config.jitter = false;
    let plans = ["main", "fbe"]
        .iter()
        .map(|n| AccountPlan {
            name: n.to_string(),
            max_pages: Some(5),
            retention_days,
        })
        .collect();
    Scheduler::new(config, Utc, plans, &|_| None, now, Some(1))
}

async fn finished_run(s: &Store, account: &str, started: DateTime<Utc>) -> i64 {
    let r = s
        .runs()
        .create(
            account,
            &SyncOptions::default(),
            Trigger::Schedule,
            "t",
            started,
        )
        .await
        .unwrap();
    s.runs()
        .add_events(r.id, &[(EventLevel::Info, "page 1".into(), started)])
        .await
        .unwrap();
    s.runs()
        .finish(
            r.id,
            RunStatus::Completed,
            &RunCounts::default(),
            None,
            None,
            started,
        )
        .await
        .unwrap();
    r.id
}

#[tokio::test]
async fn driver_cleans_stuck_runs_applies_retention_and_never_stacks() {
    for db in TestDb::all().await {
        let s = &db.store;
        let now = Utc::now();
        let old = finished_run(s, "main", now - Duration::days(40)).await;
        let recent = finished_run(s, "main", now - Duration::days(3)).await;
        let other = finished_run(s, "fbe", now - Duration::days(20)).await;
        // A run whose process died ten minutes ago.
        let stuck = s
            .runs()
            .create(
                "fbe",
                &SyncOptions::default(),
                Trigger::Tui,
                "dead",
                now - Duration::minutes(10),
            )
            .await
            .unwrap()
            .id;

        let fake = Fake::default();
        fake.busy_elsewhere.lock().unwrap().push("fbe".into());
        let mut d = Daemon::new(scheduler(now, 14), &fake, s.clone());
        let r = d.tick(now).await;
        assert_eq!(r.stale_failed, vec![stuck], "{}", db.label);
        let st = s.runs().get(stuck).await.unwrap().unwrap();
        assert_eq!(st.status, RunStatus::Failed);
        assert!(st.error_summary.unwrap().contains("interrupted"));
        // Retention: 14 days for both accounts.
        assert!(s.runs().get(old).await.unwrap().is_none(), "{}", db.label);
        assert!(s.runs().get(other).await.unwrap().is_none());
        assert!(s.runs().get(recent).await.unwrap().is_some());
        assert!(s.runs().events(old, 0, 10).await.unwrap().is_empty());
        // main started with its page cap; fbe refused (another process holds it), not queued.
        assert_eq!(r.started.len(), 1);
        assert_eq!(
            fake.started.lock().unwrap()[0],
            ("main".into(), SyncMode::Incremental, Some(5))
        );
        assert!(matches!(&r.refused[..], [(a, StartError::Busy(_))] if a == "fbe"));

        // Ten minutes later main is still running: skipped, never stacked.
        let r = d.tick(now + Duration::minutes(10)).await;
        assert!(
            r.decisions
                .iter()
                .any(|a| matches!(a, Decision::SkipBusy { account, .. } if account == "main"))
        );
        assert_eq!(
            fake.started
                .lock()
                .unwrap()
                .iter()
                .filter(|s| s.0 == "main")
                .count(),
            1
        );

        // It ends; the next slot starts a new one and the end is reported.
        fake.finished.store(true, SeqCst);
        fake.busy_elsewhere.lock().unwrap().clear();
        let r = d.tick(now + Duration::minutes(20)).await;
        assert_eq!(r.finished.len(), 1);
        assert_eq!(r.finished[0].status, RunStatus::Completed);
        assert_eq!(r.started.len(), 2, "main and fbe");

        // Shutdown cancels what runs.
        fake.finished.store(false, SeqCst);
        let ends = d.shutdown(std::time::Duration::from_secs(5)).await;
        assert_eq!(ends.len(), 2);
        assert!(ends.iter().all(|e| e.status == RunStatus::Cancelled));
        assert_eq!(fake.cancelled.load(SeqCst), 2);
    }
}

// ---------------------------------------------------------------- real binary + simulator

struct Setup {
    dir: tempfile::TempDir,
    sim: magsync::sim::SimHandle,
}

async fn setup(sim: SimConfig, daily_full: bool) -> Setup {
    let sim = magsync::sim::start(sim, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Inactive offers too, so a full mirror is the whole catalogue.
    let mut toml = String::from(
        "[sync]\ninclude_inactive = true\n[schedule]\nenabled = true\ninterval_minutes = 1\n",
    );
    if daily_full {
        toml.push_str("daily_full_at = \"03:17\"\n");
    }
    std::fs::write(dir.path().join("config.toml"), toml).unwrap();
    Setup { dir, sim }
}

impl Setup {
    fn command(&self, db: &str, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_magsync"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC_DATA_DIR", self.dir.path().join("data"))
            .env("MAGSYNC_CONFIG_DIR", self.dir.path())
            .env("RUST_LOG", "info");
        for name in ["MAIN", "FBE"] {
            cmd.env(format!("EMAG_{name}_USERNAME"), name.to_lowercase())
                .env(format!("EMAG_{name}_PASSWORD"), "demo")
                .env(format!("EMAG_{name}_BASE_URL"), self.sim.base_url());
        }
        cmd.arg("--database-url").arg(db).args(args);
        cmd.kill_on_drop(true);
        cmd
    }

    async fn run(&self, db: &str, args: &[&str]) -> std::process::Output {
        self.command(db, args).output().await.unwrap()
    }

    async fn catalogue(&self, account: &str) -> Vec<Value> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = format!("{}/catalogue?account={account}", self.sim.admin_url());
        reqwest::get(url).await.unwrap().json().await.unwrap()
    }
}

fn stdout_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_once_syncs_every_account_and_the_export_equals_the_catalogue() {
    for db in TestDb::all().await {
        let sim = SimConfig {
            accounts: vec![SimAccount::new("main", 230), SimAccount::new("fbe", 140)],
            ..Default::default()
        };
        let s = setup(sim, true).await;
        let out = s.run(&db.url, &["daemon", "--once", "--no-jitter"]).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}: {err}", db.label);
        assert!(err.contains("started full sync of main"), "{err}");

        // Both runs are in history, started by the schedule, completed, full (none had run yet).
        let h = stdout_json(&s.run(&db.url, &["history", "--json"]).await);
        let runs = h["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2, "{h}");
        for r in runs {
            assert_eq!(r["trigger"], "schedule");
            assert_eq!(r["status"], "completed", "{r}");
            assert_eq!(r["mode"], "full");
        }

        // The JSON export equals the simulator's catalogue, field by field.
        let stats = stdout_json(&s.run(&db.url, &["stats", "--json"]).await);
        let catalogue_size = s.catalogue("main").await.len() + s.catalogue("fbe").await.len();
        assert_eq!(catalogue_size, 370);
        assert_eq!(stats["total"]["offers"], 370, "{}", db.label);
        let out = s.run(&db.url, &["export", "--format", "json"]).await;
        let exported = stdout_json(&out);
        let mut by_key: BTreeMap<(String, i64), &Value> = BTreeMap::new();
        for o in exported.as_array().unwrap() {
            by_key.insert(
                (
                    o["account"].as_str().unwrap().into(),
                    o["id"].as_i64().unwrap(),
                ),
                o,
            );
        }
        assert_eq!(by_key.len(), 370);
        for account in ["main", "fbe"] {
            let catalogue = s.catalogue(account).await;
            assert!(!catalogue.is_empty());
            for offer in &catalogue {
                let id = offer["id"].as_i64().unwrap();
                let ours = by_key[&(account.to_string(), id)];
                for (k, v) in offer.as_object().unwrap() {
                    assert_eq!(&ours[k], v, "{}: {account}/{id} field {k}", db.label);
                }
                assert!(ours["first_seen_at"].is_string() && ours["missing_since"].is_null());
            }
        }

        // A second round runs incrementals (today's full is done) with the account's page cap.
        let out = s.run(&db.url, &["daemon", "--once", "--no-jitter"]).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let runs = db
            .store
            .runs()
            .list(&RunFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(runs.len(), 4);
        assert!(runs[..2].iter().all(|r| r.mode == SyncMode::Incremental));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cancels_running_syncs_and_exits_0_leaving_no_running_row() {
    for db in TestDb::all().await {
        // Slow enough that the runs are still going when the signal comes.
        let sim = SimConfig {
            accounts: vec![SimAccount::new("main", 4000), SimAccount::new("fbe", 4000)],
            latency_ms: 200,
            ..Default::default()
        };
        let s = setup(sim, false).await;
        let child = s
            .command(&db.url, &["daemon", "--no-jitter"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        // Wait until both runs are visible as running in the store (another process's view).
        let mut seen = false;
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if db.store.runs().running().await.unwrap().len() == 2 {
                seen = true;
                break;
            }
        }
        assert!(seen, "{}: runs never showed up as running", db.label);
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out =
            tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
                .await
                .expect("daemon exits after SIGTERM")
                .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains("SIGTERM"), "{err}");
        assert!(
            db.store.runs().running().await.unwrap().is_empty(),
            "{}",
            db.label
        );
        let runs = db
            .store
            .runs()
            .list(&RunFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(runs.len(), 2);
        assert!(
            runs.iter().all(|r| r.status == RunStatus::Cancelled),
            "{runs:?}"
        );
    }
}

#[test]
fn daemon_refuses_when_scheduling_is_disabled_or_credentials_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_magsync"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC_DATA_DIR", dir.path())
            .env("MAGSYNC_CONFIG_DIR", dir.path())
            .args(["daemon", "--once"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[("EMAG_MAIN_USERNAME", "main"), ("EMAG_MAIN_PASSWORD", "x")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("EMAG_ENABLE_SCHEDULED_SYNC") && err.trim().lines().count() == 1,
        "{err}"
    );
    let out = run(&[
        ("EMAG_ENABLE_SCHEDULED_SYNC", "true"),
        ("EMAG_MAIN_USERNAME", "main"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
}
