//! The sync engine against the simulator over real HTTP and a real store, on SQLite and (when
//! reachable) Postgres: exact mirrors, idempotent re-syncs, change records, faults, churn,
//! partial runs, cancellation, the account lock, crash recovery and incremental rotation.

use crate::emag_support;
use magsync::model::OfferStatus;

use std::time::Duration;

use chrono::Utc;
use emag_support::*;
use magsync::model::{EventLevel, RunStatus, SyncMode, SyncOptions, Trigger};
use magsync::sync::SyncError;
use magsync::testing::TestDb;

#[tokio::test]
async fn full_sync_mirrors_exactly_resync_writes_nothing_and_mutations_are_recorded() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 1274)])).await;
        let e = engine(&db, &h, &["main"]);

        let (p, row) = run_ok(&e, "main", full(true)).await;
        assert_eq!(p.counts.created, 1274, "[{}]", db.label);
        assert_eq!(p.counts.offers_seen, 1274);
        assert_eq!(p.counts.pages_done, 13);
        assert_eq!(p.counts.pages_total, Some(13));
        // Count + 13 pages, nothing speculative (retries only if the loaded test machine timed out).
        assert_eq!(
            p.counts.requests - p.counts.retries - p.counts.rate_limited,
            14
        );
        assert_eq!(row.error_summary, None);
        assert!(row.finished_at.is_some());
        assert_mirror(&db, &h, "main", false).await;
        let events = db.store.runs().events(row.id, 0, 1000).await.unwrap();
        assert!(
            events.first().unwrap().message.contains("started"),
            "{events:?}"
        );
        assert!(
            events.last().unwrap().message.contains("completed"),
            "{events:?}"
        );
        assert!(events.iter().any(|ev| ev.message.starts_with("page")));

        let (p2, row2) = run_ok(&e, "main", full(true)).await;
        assert_eq!(
            (p2.counts.created, p2.counts.updated, p2.counts.unchanged),
            (0, 0, 1274),
            "[{}]",
            db.label
        );
        assert!(
            db.store
                .runs()
                .changes_of_run(row2.id, 10_000)
                .await
                .unwrap()
                .is_empty()
        );

        let mut ids = mutate(&h, "main", 13).await;
        ids.sort_unstable();
        ids.dedup();
        let (p3, row3) = run_ok(&e, "main", full(true)).await;
        assert_eq!(p3.counts.updated as usize, ids.len(), "[{}]", db.label);
        assert_eq!(p3.counts.unchanged as usize, 1274 - ids.len());
        let changes = db
            .store
            .runs()
            .changes_of_run(row3.id, 10_000)
            .await
            .unwrap();
        let mut changed: Vec<i64> = changes.iter().map(|c| c.offer_id).collect();
        changed.sort_unstable();
        changed.dedup();
        assert_eq!(
            changed, ids,
            "[{}] changes recorded for exactly the mutated offers",
            db.label
        );
        assert!(changes.iter().all(|c| c.old_value != c.new_value));
        assert_mirror(&db, &h, "main", false).await;
        h.shutdown().await;
    }
}

#[tokio::test]
async fn active_filter_and_reconciliation_confirm_candidates_by_id() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 640)])).await;
        let e = engine(&db, &h, &["main"]);
        run_ok(&e, "main", full(false)).await;
        assert_mirror(&db, &h, "main", true).await;

        // One offer deactivated on eMAG, one stored offer eMAG never had.
        let c = client(&h, "main");
        let active = mirror(&db, "main").await;
        let deactivated = active[3].id;
        let saved = c
            .save_offers(&[magsync::emag::OfferUpdate {
                id: deactivated,
                status: Some(OfferStatus::Inactive),
                ..Default::default()
            }])
            .await
            .unwrap();
        assert!(!saved[&deactivated].is_error);
        let mut ghost = active[5].clone();
        ghost.id = 3_999_999_999;
        db.store
            .offers()
            .write(
                "main",
                None,
                &[ghost],
                Utc::now() - chrono::Duration::hours(1),
            )
            .await
            .unwrap();

        let (p, _) = run_ok(&e, "main", full(false)).await;
        assert_eq!(p.counts.removed, 1, "[{}] only the ghost is gone", db.label);
        let ghost_row = db
            .store
            .offers()
            .get("main", 3_999_999_999)
            .await
            .unwrap()
            .unwrap();
        assert!(ghost_row.missing_since.is_some());
        let deact_row = db
            .store
            .offers()
            .get("main", deactivated)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            deact_row.missing_since, None,
            "confirmed by id: it exists, only inactive"
        );
        assert_eq!(deact_row.offer.status, Some(OfferStatus::Inactive));
        h.shutdown().await;
    }
}

#[tokio::test]
async fn ten_percent_faults_of_every_kind_still_complete_with_an_exact_mirror() {
    for db in TestDb::all().await {
        let mut cfg = sim_config(&[("main", 3000)]);
        cfg.fault_rate = 0.10;
        cfg.faults = vec![];
        for k in [
            "500",
            "502html",
            "503",
            "504",
            "hang",
            "malformed",
            "iserror",
            "missingiserror",
            "429",
        ] {
            cfg.faults.push(k.parse().unwrap());
        }
        let h = start(cfg).await;
        let mut t = tuning();
        t.request_timeout = Duration::from_millis(1000);
        let e = engine(&db, &h, &["main"]).with_tuning(t);
        let (p, _) = run_ok(&e, "main", full(true)).await;
        // Every injected fault cost a retry or a 429 wait (a slow debug build may add timeouts
        // of its own), and none was fatal.
        let injected = stats(&h, "main").await["faults_injected"].as_i64().unwrap();
        assert!(injected > 0);
        assert!(
            p.counts.retries + p.counts.rate_limited >= injected,
            "[{}] {injected} faults, {:?}",
            db.label,
            p.counts
        );
        faults(&h, r#"{"fault_rate":0.0}"#).await;
        assert_mirror(&db, &h, "main", false).await;
        h.shutdown().await;
    }
}

#[tokio::test]
async fn churn_and_faults_complete_and_the_next_quiet_run_converges() {
    for db in TestDb::all().await {
        let mut cfg = sim_config(&[("main", 1274)]);
        cfg.fault_rate = 0.10;
        cfg.churn_rate = 0.3;
        let h = start(cfg).await;
        let mut t = tuning();
        t.request_timeout = Duration::from_millis(1000);
        let e = engine(&db, &h, &["main"]).with_tuning(t);
        let (p, _) = run_ok(&e, "main", full(true)).await;
        // Nothing seen twice is counted twice, and nothing seen is lost.
        let stored = db.store.offers().of_account("main").await.unwrap();
        assert_eq!(
            p.counts.offers_seen as usize,
            stored.len(),
            "[{}]",
            db.label
        );
        assert_eq!(p.counts.created as usize, stored.len());

        faults(&h, r#"{"fault_rate":0.0,"churn_rate":0.0}"#).await;
        run_ok(&e, "main", full(true)).await;
        assert_mirror(&db, &h, "main", false).await;
        h.shutdown().await;
    }
}

#[tokio::test]
async fn a_page_that_always_fails_makes_the_run_partial_without_reconciliation() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 1274)])).await;
        let e = engine(&db, &h, &["main"]);
        run_ok(&e, "main", full(true)).await;
        faults(&h, r#"{"fail_pages":[{"account":"main","page":3}]}"#).await;
        let (p, row) = run(&e, "main", full(true)).await;
        assert_eq!(p.status, RunStatus::Partial, "[{}]", db.label);
        let summary = row.error_summary.unwrap();
        assert!(summary.contains("page 3"), "{summary}");
        assert!(summary.contains("not reconciled"), "{summary}");
        assert_eq!(p.counts.removed, 0);
        assert_eq!(p.counts.failed, 1);
        assert_eq!(p.counts.pages_done, 12);
        assert_eq!(
            mirror(&db, "main").await.len(),
            1274,
            "nothing flagged missing"
        );
        let events = db.store.runs().events(row.id, 0, 1000).await.unwrap();
        // Each retry warning names its page.
        assert!(
            events.iter().any(|e| e.level == EventLevel::Warn
                && e.message.starts_with("page 3: attempt 1/")),
            "{events:#?}"
        );
        // At INFO one summary per ten pages, each page's own line at DEBUG.
        let info = |prefix: &str| {
            events
                .iter()
                .filter(|e| e.level == EventLevel::Info && e.message.starts_with(prefix))
                .count()
        };
        assert_eq!(info("page "), 0, "{events:#?}");
        assert!((1..=2).contains(&info("pages ")), "{events:#?}");
        let last = events
            .iter()
            .rfind(|e| e.level == EventLevel::Info && e.message.starts_with("pages "))
            .unwrap();
        assert!(
            last.message.starts_with("pages 12/13 done"),
            "{}",
            last.message
        );
        assert!(
            events
                .iter()
                .any(|e| e.level == EventLevel::Debug && e.message.starts_with("page")),
            "{events:#?}"
        );
        h.shutdown().await;
    }
}

#[tokio::test]
async fn wrong_password_and_empty_accounts_leave_a_row_that_says_why() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 0), ("fbe", 10)])).await;
        let mut bad = account(&h, "fbe");
        bad.password = Some(secrecy::SecretString::from("nope"));
        let e = magsync::sync::Engine::new(
            db.store.clone(),
            vec![account(&h, "main"), bad],
            &magsync::config::Settings::default(),
        )
        .with_tuning(tuning());
        let (p, row) = run(&e, "fbe", full(false)).await;
        assert_eq!(p.status, RunStatus::Failed, "[{}]", db.label);
        let why = row.error_summary.unwrap();
        assert!(why.contains("refused the credentials"), "{why}");
        assert_eq!(
            p.counts.requests, 1,
            "authentication failures are not retried"
        );

        let (p, _) = run_ok(&e, "main", full(false)).await;
        assert_eq!(p.counts.offers_seen, 0);

        let err = e
            .start("nosuch", full(false), Trigger::Cli)
            .await
            .unwrap_err();
        assert!(matches!(err, SyncError::Config(_)), "{err}");
        h.shutdown().await;
    }
}

#[tokio::test]
async fn cancellation_stops_between_pages_and_keeps_counts() {
    for db in TestDb::all().await {
        let mut cfg = sim_config(&[("main", 1274)]);
        cfg.latency_ms = 40;
        let h = start(cfg).await;
        let mut t = tuning();
        t.concurrency = 1;
        let e = engine(&db, &h, &["main"]).with_tuning(t);
        let mut handle = e.start("main", full(true), Trigger::Cli).await.unwrap();
        handle
            .progress
            .wait_for(|p| p.counts.pages_done >= 2)
            .await
            .unwrap();
        handle.cancel.cancel();
        let last = handle.done.await.unwrap();
        assert_eq!(last.status, RunStatus::Cancelled, "[{}]", db.label);
        assert!(last.counts.pages_done >= 2 && last.counts.pages_done < 13);
        let row = db.store.runs().get(handle.run_id).await.unwrap().unwrap();
        assert_eq!(row.status, RunStatus::Cancelled);
        assert_eq!(row.counts.pages_done, last.counts.pages_done);
        assert_eq!(row.counts.removed, 0);
        // The lock is free again.
        run_ok(&e, "main", full(true)).await;
        h.shutdown().await;
    }
}

#[tokio::test]
async fn one_run_per_account_across_engines_and_accounts_in_parallel() {
    for db in TestDb::all().await {
        let mut cfg = sim_config(&[("main", 1274), ("fbe", 300)]);
        cfg.latency_ms = 30;
        let h = start(cfg).await;
        let mut t = tuning();
        t.concurrency = 1;
        let e = engine(&db, &h, &["main", "fbe"]).with_tuning(t);
        let mut first = e.start("main", full(true), Trigger::Cli).await.unwrap();
        first
            .progress
            .wait_for(|p| p.counts.pages_done >= 1)
            .await
            .unwrap();

        // A second engine on its own connection pool stands for another process.
        let other_store = magsync::store::Store::open(&db.url).await.unwrap();
        let other = magsync::sync::Engine::new(
            other_store,
            vec![account(&h, "main")],
            &magsync::config::Settings::default(),
        )
        .with_tuning(tuning());
        for eng in [&e, &other] {
            match eng.start("main", full(true), Trigger::Cli).await {
                Err(SyncError::Busy(busy)) => {
                    let msg = busy.to_string();
                    assert!(
                        msg.starts_with(&format!(
                            "a sync of main is already running (run {}, started ",
                            first.run_id
                        )),
                        "{msg}"
                    );
                }
                other => panic!(
                    "[{}] expected busy, got {:?}",
                    db.label,
                    other.map(|h| h.run_id)
                ),
            }
        }
        // Another account runs alongside.
        let (p, _) = run_ok(&e, "fbe", full(true)).await;
        assert_eq!(p.counts.offers_seen, 300);
        assert_eq!(first.done.await.unwrap().status, RunStatus::Completed);
        run_ok(&other, "main", full(true)).await;
        h.shutdown().await;
    }
}

#[tokio::test]
async fn a_killed_run_is_marked_interrupted_and_the_next_run_completes() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 200)])).await;
        let e = engine(&db, &h, &["main"]);
        // What a killed process leaves: a `running` row and a lock, both with an old heartbeat.
        let long_ago = Utc::now() - chrono::Duration::minutes(10);
        let dead = db
            .store
            .runs()
            .create("main", &full(true), Trigger::Cli, "gone-host:1", long_ago)
            .await
            .unwrap();
        let lock = db
            .store
            .locks()
            .try_take("main", "gone-host:1", long_ago)
            .await
            .unwrap()
            .expect("lock");
        lock.attach_run(dead.id).await.unwrap();
        // Dropping without release is what a kill does: the row stays, and on Postgres the
        // server frees the advisory lock with the connection.
        drop(lock);

        let (p, _) = run_ok(&e, "main", full(true)).await;
        assert_eq!(p.counts.offers_seen, 200);
        let dead = db.store.runs().get(dead.id).await.unwrap().unwrap();
        assert_eq!(dead.status, RunStatus::Failed, "[{}]", db.label);
        assert!(dead.error_summary.unwrap().contains("interrupted"));
        h.shutdown().await;
    }
}

#[tokio::test]
async fn incremental_windows_rotate_over_the_whole_catalogue() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 1274)])).await;
        let e = engine(&db, &h, &["main"]);
        let opts = SyncOptions {
            mode: SyncMode::Incremental,
            max_pages: Some(5),
            include_inactive: true,
            ..SyncOptions::default()
        };
        let mut cursors = Vec::new();
        for _ in 0..3 {
            let (p, row) = run_ok(&e, "main", opts.clone()).await;
            assert_eq!(p.counts.pages_done, 5, "[{}]", db.label);
            assert_eq!(p.counts.removed, 0, "incremental never reconciles");
            cursors.push(row.next_page);
        }
        assert_eq!(cursors, vec![Some(6), Some(11), Some(3)], "[{}]", db.label);
        assert_mirror(&db, &h, "main", false).await;
        h.shutdown().await;
    }
}

#[tokio::test]
async fn an_incremental_run_without_a_page_limit_takes_the_configured_default() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 1274)])).await;
        let accounts = vec![account(&h, "main")];
        let settings = magsync::config::Settings {
            incremental_max_pages: 4,
            ..magsync::config::Settings::default()
        };
        let e =
            magsync::sync::Engine::new(db.store.clone(), accounts, &settings).with_tuning(tuning());
        assert_eq!(
            e.default_options("main", SyncMode::Incremental).max_pages,
            Some(4)
        );
        assert_eq!(e.default_options("main", SyncMode::Full).max_pages, None);
        // Even options that name no limit get one: "incremental" never means every page.
        let opts = SyncOptions {
            mode: SyncMode::Incremental,
            max_pages: None,
            include_inactive: false,
            ..SyncOptions::default()
        };
        let (p, row) = run_ok(&e, "main", opts).await;
        assert_eq!(p.counts.pages_done, 4, "[{}]", db.label);
        assert_eq!(row.options.max_pages, Some(4));
        let events = db.store.runs().events(row.id, 0, 1000).await.unwrap();
        let started = &events.first().unwrap().message;
        assert!(started.contains("(4 pages from page 1)"), "{started}");
        // The sync says how many offers are active of all it could mirror.
        let counted = events
            .iter()
            .find(|e| e.message.starts_with("eMAG counts"))
            .unwrap();
        assert!(
            counted.message.contains("active offers of 1 274"),
            "{}",
            counted.message
        );
        h.shutdown().await;
    }
}
