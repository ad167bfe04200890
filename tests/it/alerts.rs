//! Alerts against a real local HTTP receiver: one alert per incident and one recovery with a
//! valid signature, retries through 500s, a hanging receiver that never slows a sync; and the
//! mass-missing guard over the simulator, whose hold is alerted.

use crate::emag_support::{self, admin_post, engine, full, run, run_ok};
use crate::health::seed;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Duration as Ago;
use magsync::alerts::payload::{SIGNATURE_HEADER, signature};
use magsync::alerts::{Monitor, Notice, NoticeKind, Outbox, deliver};
use magsync::config::{AlertsConfig, HealthConfig, Schedule, Webhook, WebhookFormat};
use magsync::health::Level;
use magsync::model::{RunStatus, SyncMode, Trigger};
use magsync::testing::TestDb;
use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the receiver answers: `fail_first` requests get 500, then 200; `hang` never answers.
#[derive(Default)]
struct Receiver {
    fail_first: usize,
    hang: bool,
    got: Mutex<Vec<(HeaderMap, String)>>,
    /// Paths of the dead-man's pings received (`/ping`, `/ping/start`, `/ping/fail`).
    pings: Mutex<Vec<String>>,
}

async fn ping(State(r): State<Arc<Receiver>>, uri: axum::http::Uri) -> StatusCode {
    r.pings.lock().unwrap().push(uri.path().to_string());
    StatusCode::OK
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = {
        let mut got = r.got.lock().unwrap();
        got.push((headers, String::from_utf8_lossy(&body).into_owned()));
        got.len()
    };
    if r.hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if n <= r.fail_first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

async fn receiver(r: Receiver) -> (String, Arc<Receiver>) {
    let r = Arc::new(r);
    let app = Router::new()
        .route("/hook", post(receive))
        .route("/ping", post(ping))
        .route("/ping/{*rest}", post(ping))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), r)
}

const SECRET: &str = "s3cret-for-tests";

fn alerts_to(url: &str) -> AlertsConfig {
    AlertsConfig {
        webhooks: vec![Webhook {
            name: "test".into(),
            url: SecretString::from(url.to_string()),
            format: WebhookFormat::Json,
            secret: Some(SecretString::from(SECRET)),
        }],
        max_attempts: 5,
        backoff: Duration::from_millis(20),
        timeout: Duration::from_secs(2),
        ..AlertsConfig::default()
    }
}

fn health_config() -> HealthConfig {
    HealthConfig::defaults(&Schedule {
        enabled: true,
        interval_minutes: 60,
        daily_full_at: None,
    })
}

fn bodies(r: &Receiver) -> Vec<serde_json::Value> {
    r.got
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| serde_json::from_str(b).unwrap())
        .collect()
}

#[tokio::test]
async fn one_alert_per_incident_then_one_recovery_signed() {
    for db in TestDb::all().await {
        let (url, rx) = receiver(Receiver::default()).await;
        let (outbox, task) = Outbox::spawn(alerts_to(&url));
        let monitor = Monitor {
            store: db.store.clone(),
            health: health_config(),
            outbox,
        };
        let s = &db.store;
        let accounts = vec!["main".to_string()];
        seed(
            s,
            "main",
            SyncMode::Full,
            RunStatus::Completed,
            Ago::minutes(60),
            600,
            100,
            None,
        )
        .await;
        let (h, sent) = monitor.round(&accounts).await;
        assert_eq!((h[0].level, sent.len()), (Level::Ok, 0), "[{}]", db.label);

        seed(
            s,
            "main",
            SyncMode::Incremental,
            RunStatus::Failed,
            Ago::minutes(20),
            5,
            0,
            Some("eMAG is down"),
        )
        .await;
        for _ in 0..3 {
            monitor.round(&accounts).await;
        }
        seed(
            s,
            "main",
            SyncMode::Incremental,
            RunStatus::Failed,
            Ago::minutes(10),
            5,
            0,
            Some("still down"),
        )
        .await;
        monitor.round(&accounts).await;
        seed(
            s,
            "main",
            SyncMode::Incremental,
            RunStatus::Completed,
            Ago::minutes(1),
            5,
            10,
            None,
        )
        .await;
        let (h, sent) = monitor.round(&accounts).await;
        assert_eq!(h[0].level, Level::Ok, "[{}] {:?}", db.label, h[0]);
        assert_eq!(sent.len(), 1);
        monitor.round(&accounts).await;
        drop(monitor);
        assert!(task.drain(Duration::from_secs(10)).await);

        let got = bodies(&rx);
        assert_eq!(
            got.len(),
            2,
            "[{}] exactly one alert and one recovery: {got:?}",
            db.label
        );
        assert_eq!(got[0]["event"], "alert");
        assert_eq!(got[0]["status"], "CRITICAL");
        assert_eq!(got[0]["account"], "main");
        assert!(
            got[0]["reason"].as_str().unwrap().contains("eMAG is down"),
            "{}",
            got[0]
        );
        assert_eq!(got[1]["event"], "recovery");
        assert_eq!(got[1]["status"], "OK");
        assert_eq!(got[1]["previous_status"], "CRITICAL");
        for (headers, body) in rx.got.lock().unwrap().iter() {
            let sig = headers.get(SIGNATURE_HEADER).unwrap().to_str().unwrap();
            assert_eq!(sig, signature(SECRET.as_bytes(), body.as_bytes()));
            assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
        }
        assert_eq!(db.scalar("SELECT COUNT(*) FROM alert_incidents").await, 0);
    }
}

fn test_notice() -> Notice {
    Notice {
        kind: NoticeKind::Test,
        account: "*".into(),
        status: Level::Ok,
        previous_status: None,
        reason: "test".into(),
        findings: vec![],
        at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn a_receiver_failing_three_times_still_gets_the_alert() {
    let (url, rx) = receiver(Receiver {
        fail_first: 3,
        ..Receiver::default()
    })
    .await;
    let cfg = alerts_to(&url);
    let client = magsync::alerts::deliver::http_client(cfg.timeout);
    let attempts = deliver(&client, &cfg.webhooks[0], &test_notice(), &cfg).await;
    assert_eq!(attempts, Ok(4));
    assert_eq!(rx.got.lock().unwrap().len(), 4);

    // Out of attempts: the error names the webhook by its masked URL only.
    let (url, _rx) = receiver(Receiver {
        fail_first: 100,
        ..Receiver::default()
    })
    .await;
    let mut cfg = alerts_to(&format!("{url}?token=SECRET-TOKEN"));
    cfg.max_attempts = 2;
    let err = deliver(&client, &cfg.webhooks[0], &test_notice(), &cfg)
        .await
        .unwrap_err();
    assert!(err.contains("HTTP 500") && err.contains("/***"), "{err}");
    assert!(
        !err.contains("SECRET-TOKEN") && !err.contains("/hook"),
        "{err}"
    );
}

#[tokio::test]
async fn a_hanging_receiver_never_slows_a_sync() {
    let (url, rx) = receiver(Receiver {
        hang: true,
        ..Receiver::default()
    })
    .await;
    let mut cfg = alerts_to(&url);
    cfg.timeout = Duration::from_secs(30);
    let (outbox, task) = Outbox::spawn(cfg);
    let t0 = Instant::now();
    outbox.send(test_notice());
    assert!(t0.elapsed() < Duration::from_millis(50), "send waited");

    let db = TestDb::sqlite().await;
    let h = emag_support::start(emag_support::sim_config(&[("main", 300)])).await;
    let e = engine(&db, &h, &["main"]);
    let t1 = Instant::now();
    run_ok(&e, "main", full(false)).await;
    let took = t1.elapsed();
    assert!(took < Duration::from_secs(10), "sync took {took:?}");
    assert_eq!(
        rx.got.lock().unwrap().len(),
        1,
        "the receiver got the alert and hangs"
    );
    // The delivery is still waiting on the receiver after the sync ended.
    drop(outbox);
    assert!(!task.drain(Duration::from_millis(100)).await);
    h.shutdown().await;
}

/// A catalogue cut to 10 % between two full scans: the second run is held (partial, nothing
/// flagged, an alert sent); with the override the offers are flagged missing.
#[tokio::test]
async fn the_guard_holds_a_mass_missing_scan_and_alerts() {
    for db in TestDb::all().await {
        let (url, rx) = receiver(Receiver::default()).await;
        let (outbox, task) = Outbox::spawn(alerts_to(&url));
        let monitor = Monitor {
            store: db.store.clone(),
            health: health_config(),
            outbox,
        };
        let h = emag_support::start(emag_support::sim_config(&[("main", 400)])).await;
        let e = engine(&db, &h, &["main"]);
        run_ok(&e, "main", full(true)).await;
        let cut = admin_post(&h, "truncate?account=main&keep=40", "").await;
        assert_eq!(cut["offers"], 40);

        let (p, row) = run(&e, "main", full(true)).await;
        assert_eq!(p.status, RunStatus::Partial, "[{}]", db.label);
        let why = row.error_summary.clone().unwrap();
        assert!(why.starts_with(magsync::sync::GUARD_HOLD), "{why}");
        assert!(
            why.contains("360 of 400") && why.contains("--allow-mass-missing"),
            "{why}"
        );
        assert_eq!(p.counts.removed, 0);
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM offers WHERE missing_since IS NOT NULL")
                .await,
            0,
            "[{}] nothing flagged",
            db.label
        );
        let (health, sent) = monitor.round(&["main".to_string()]).await;
        assert_eq!(health[0].level, Level::Critical, "{:?}", health[0]);
        assert_eq!(sent.len(), 1);

        let handle = e
            .start_with("main", full(true), Trigger::Cli, true)
            .await
            .unwrap();
        let last = handle.done.await.unwrap();
        assert_eq!(
            last.status,
            RunStatus::Completed,
            "{:?}",
            last.error_summary
        );
        assert_eq!(last.counts.removed, 360);
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM offers WHERE missing_since IS NOT NULL")
                .await,
            360
        );
        drop(monitor);
        assert!(task.drain(Duration::from_secs(10)).await);
        let got = bodies(&rx);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0]["reason"]
                .as_str()
                .unwrap()
                .contains("mass-missing guard"),
            "{}",
            got[0]
        );
        h.shutdown().await;
    }
}

/// As a new user would: `daemon --once` from cron with a webhook and a ping, a simulator
/// outage of the account, rounds during it, then its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_once_alerts_an_outage_once_then_its_recovery() {
    let db = TestDb::sqlite().await;
    let (url, rx) = receiver(Receiver::default()).await;
    let base = url.trim_end_matches("/hook").to_string();
    let sim = emag_support::start(emag_support::sim_config(&[("main", 150)])).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[sync]\nmax_attempts = 1\n[schedule]\nenabled = true\ninterval_minutes = 1\ndaily_full_at = \"03:17\"\n\
             [alerts]\nping_url = \"{base}/ping\"\nbackoff_secs = 0\n\
             [[alerts.webhook]]\nname = \"ops\"\nurl = \"{url}\"\nsecret_env = \"HOOK_SECRET\"\n"
        ),
    )
    .unwrap();
    let once = || async {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_magsync"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC_DATA_DIR", dir.path().join("data"))
            .env("MAGSYNC_CONFIG_DIR", dir.path())
            .env("HOOK_SECRET", SECRET)
            .env("EMAG_MAIN_USERNAME", "main")
            .env("EMAG_MAIN_PASSWORD", "demo")
            .env("EMAG_MAIN_BASE_URL", sim.base_url())
            .args(["--database-url", &db.url, "daemon", "--once", "--no-jitter"])
            .output()
            .await
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !err.contains("/hook") && !err.contains(SECRET),
            "a secret in the log: {err}"
        );
        (out.status.code().unwrap(), err)
    };

    let (code, err) = once().await;
    assert_eq!(code, 0, "{err}");
    assert!(bodies(&rx).is_empty(), "healthy: no alert");
    assert_eq!(*rx.pings.lock().unwrap(), ["/ping/start", "/ping"]);

    admin_post(&sim, "faults", r#"{"account_outage":"main"}"#).await;
    let (code, err) = once().await;
    assert_eq!(code, 1, "{err}");
    once().await;
    let got = bodies(&rx);
    assert_eq!(
        got.len(),
        1,
        "one alert for the outage, over two rounds: {got:?}"
    );
    assert_eq!(got[0]["event"], "alert");
    assert_eq!(got[0]["status"], "CRITICAL");
    assert_eq!(rx.pings.lock().unwrap().last().unwrap(), "/ping/fail");

    admin_post(&sim, "faults", r#"{"account_outage":null}"#).await;
    let (code, err) = once().await;
    assert_eq!(code, 0, "{err}");
    once().await;
    let got = bodies(&rx);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["event"], "recovery");
    assert_eq!(got[1]["previous_status"], "CRITICAL");
    for (headers, body) in rx.got.lock().unwrap().iter() {
        let sig = headers.get(SIGNATURE_HEADER).unwrap().to_str().unwrap();
        assert_eq!(sig, signature(SECRET.as_bytes(), body.as_bytes()));
    }
    assert_eq!(rx.pings.lock().unwrap().last().unwrap(), "/ping");
    sim.shutdown().await;
}
