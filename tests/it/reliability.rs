//! Runs whose process or lock went away, vanished offers confirmed in batches, and full scans
//! that saw fewer offers than eMAG counted; on both stores.

use crate::emag_support;
use magsync::model::OfferStatus;

use std::time::Duration;

use chrono::Utc;
use emag_support::*;
use magsync::model::{RunStatus, Trigger};
use magsync::process::process_owner;
use magsync::sync::SyncError;
use magsync::testing::TestDb;
use sqlx::Connection;

/// "host:pid" of a process of this host that has exited.
fn dead_local_owner() -> String {
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn true");
    let pid = child.id();
    child.wait().unwrap();
    let host = process_owner().rsplit_once(':').unwrap().0.to_string();
    format!("{host}:{pid}")
}

#[tokio::test]
async fn a_lock_of_a_dead_local_process_is_taken_over_at_once_but_another_hosts_waits() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 150)])).await;
        let e = engine(&db, &h, &["main"]);
        let now = Utc::now();

        // Another host's fresh lock: that process may well be alive, so the sync waits.
        let elsewhere = db
            .store
            .runs()
            .create("main", &full(true), Trigger::Cli, "other-host:77", now)
            .await
            .unwrap();
        let lock = db
            .store
            .locks()
            .try_take("main", "other-host:77", now)
            .await
            .unwrap()
            .expect("lock");
        lock.attach_run(elsewhere.id).await.unwrap();
        if db.label == "postgres" {
            // Its advisory lock lived in the other process and went with it; the fresh row
            // alone must still keep a second run out.
            drop(lock);
            tokio::time::sleep(Duration::from_millis(100)).await;
        } else {
            drop(lock);
        }
        match e.start("main", full(true), Trigger::Cli).await {
            Err(SyncError::Busy(b)) => assert_eq!(b.run_id, Some(elsewhere.id), "[{}]", db.label),
            other => panic!(
                "[{}] expected busy, got {:?}",
                db.label,
                other.map(|h| h.run_id)
            ),
        }
        assert_eq!(
            db.store
                .runs()
                .get(elsewhere.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            RunStatus::Running,
            "[{}] a live-looking run of another host is left alone",
            db.label
        );
        db.store
            .runs()
            .finish(
                elsewhere.id,
                RunStatus::Completed,
                &Default::default(),
                None,
                None,
                now,
            )
            .await
            .unwrap();
        sqlx_exec(&db, "DELETE FROM sync_locks").await;

        // A process of this host that no longer exists, its heartbeat one second old.
        let gone = dead_local_owner();
        let dead = db
            .store
            .runs()
            .create("main", &full(true), Trigger::Cli, &gone, now)
            .await
            .unwrap();
        let lock = db
            .store
            .locks()
            .try_take("main", &gone, now)
            .await
            .unwrap()
            .expect("lock");
        lock.attach_run(dead.id).await.unwrap();
        drop(lock);
        tokio::time::sleep(Duration::from_millis(100)).await;

        let (p, _) = run_ok(&e, "main", full(true)).await;
        assert_eq!(p.counts.offers_seen, 150, "[{}]", db.label);
        let dead = db.store.runs().get(dead.id).await.unwrap().unwrap();
        assert_eq!(dead.status, RunStatus::Failed, "[{}]", db.label);
        let why = dead.error_summary.unwrap();
        assert!(why.contains("interrupted") && why.contains(&gone), "{why}");
        h.shutdown().await;
    }
}

async fn sqlx_exec(db: &TestDb, sql: &str) {
    if db.label == "postgres" {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn readers_settle_dead_runs_and_leave_live_ones() {
    for db in TestDb::all().await {
        let s = &db.store;
        let now = Utc::now();
        let old = now - chrono::Duration::minutes(5);
        let opts = full(true);
        let gone = dead_local_owner();
        // Its process is gone: settled although its heartbeat is fresh.
        let dead_local = s
            .runs()
            .create("main", &opts, Trigger::Cli, &gone, now)
            .await
            .unwrap();
        // Silent for five minutes, on another host, holding no lock: settled.
        let silent = s
            .runs()
            .create("fbe", &opts, Trigger::Cli, "far-host:9", old)
            .await
            .unwrap();
        // Another host, heart-beating: left running.
        let live = s
            .runs()
            .create("third", &opts, Trigger::Cli, "far-host:10", now)
            .await
            .unwrap();
        // This very process: alive whatever its heartbeat says while it holds the lock on
        // Postgres; on SQLite the lock row is as stale as the run, so it is settled.
        let mine = s
            .runs()
            .create("fourth", &opts, Trigger::Cli, &process_owner(), old)
            .await
            .unwrap();
        let lock = s
            .locks()
            .try_take("fourth", &process_owner(), old)
            .await
            .unwrap()
            .expect("lock");
        lock.attach_run(mine.id).await.unwrap();

        let mut settled = s.runs().settle_dead(Utc::now()).await.unwrap();
        settled.sort_unstable();
        let mut want = vec![dead_local.id, silent.id];
        if db.label == "sqlite" {
            want.push(mine.id);
        }
        assert_eq!(settled, want, "[{}]", db.label);
        for id in [dead_local.id, silent.id] {
            let r = s.runs().get(id).await.unwrap().unwrap();
            assert_eq!(r.status, RunStatus::Failed);
            assert!(r.error_summary.unwrap().starts_with("interrupted"));
            assert!(r.finished_at.is_some());
            let ev = s.runs().events(id, 0, 10).await.unwrap();
            assert!(
                ev.iter().any(|e| e.message.contains("interrupted")),
                "{ev:?}"
            );
        }
        assert_eq!(
            s.runs().get(live.id).await.unwrap().unwrap().status,
            RunStatus::Running
        );
        // Nothing new to settle: a second pass is a no-op.
        assert!(s.runs().settle_dead(Utc::now()).await.unwrap().is_empty());
        if db.label == "postgres" {
            assert_eq!(
                s.runs().get(mine.id).await.unwrap().unwrap().status,
                RunStatus::Running,
                "a run holding its advisory lock is alive"
            );
            lock.release().await.unwrap();
            assert_eq!(
                s.runs().settle_dead(Utc::now()).await.unwrap(),
                vec![mine.id]
            );
        } else {
            lock.release().await.unwrap();
        }
    }
}

/// The backend pid holding an advisory lock in the test database.
async fn advisory_holder(db: &TestDb) -> Option<i32> {
    let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_optional(&mut c)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_terminated_postgres_lock_connection_fails_the_run_and_frees_the_account() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let mut cfg = sim_config(&[("main", 4000)]);
    cfg.latency_ms = 150;
    let h = start(cfg).await;
    let mut t = tuning();
    t.concurrency = 1;
    let e = engine(&db, &h, &["main"]).with_tuning(t.clone());
    let mut first = e.start("main", full(true), Trigger::Cli).await.unwrap();
    first
        .progress
        .wait_for(|p| p.counts.pages_done >= 2)
        .await
        .unwrap();
    let pid = advisory_holder(&db)
        .await
        .expect("the run holds an advisory lock");
    let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(killed);

    // The advisory lock is gone with the backend, but the first run still goes: refused.
    let other = magsync::sync::Engine::new(
        magsync::store::Store::open(&db.url).await.unwrap(),
        vec![account(&h, "main")],
        &magsync::config::Settings::default(),
    )
    .with_tuning(t);
    match other.start("main", full(true), Trigger::Cli).await {
        Err(SyncError::Busy(b)) => assert_eq!(b.run_id, Some(first.run_id)),
        other => panic!("expected busy, got {:?}", other.map(|h| h.run_id)),
    }

    let last = tokio::time::timeout(Duration::from_secs(20), &mut first.done)
        .await
        .expect("the run notices within seconds")
        .unwrap();
    assert_eq!(last.status, RunStatus::Failed);
    let row = db.store.runs().get(first.run_id).await.unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Failed);
    let why = row.error_summary.unwrap();
    assert!(why.starts_with("lost the account lock"), "{why}");
    assert!(
        row.counts.pages_done < 40,
        "it stopped early: {} pages",
        row.counts.pages_done
    );

    // Accepted now, and it completes.
    let (p, _) = run_ok(&other, "main", full(true)).await;
    assert_eq!(p.counts.offers_seen, 4000);
    h.shutdown().await;
}

#[tokio::test]
async fn vanished_offers_are_confirmed_a_hundred_ids_a_request() {
    for db in TestDb::all().await {
        // 250 vanished among 1 650 stored stays under the mass-missing guard's 20 %.
        let h = start(sim_config(&[("main", 1400)])).await;
        let mut t = tuning();
        // One page at a time, so the requests of a run are exactly count + pages + batches.
        t.concurrency = 1;
        t.confirm_limit = 1_000;
        let e = engine(&db, &h, &["main"]).with_tuning(t);
        run_ok(&e, "main", full(true)).await;

        // 250 stored offers eMAG never had.
        let stored = mirror(&db, "main").await;
        let ghosts: Vec<_> = (0..250)
            .map(|i| {
                let mut o = stored[i % stored.len()].clone();
                o.id = 3_999_000_000 + i as i64;
                o
            })
            .collect();
        let before = Utc::now() - chrono::Duration::hours(1);
        db.store
            .offers()
            .write("main", None, &ghosts, before)
            .await
            .unwrap();

        let (p, row) = run_ok(&e, "main", full(true)).await;
        assert_eq!(p.counts.removed, 250, "[{}]", db.label);
        let pages = p.counts.pages_done;
        // count + pages + ceil(250 / 100) confirmation reads.
        assert_eq!(p.counts.requests, 1 + pages + 3, "[{}]", db.label);
        for g in &ghosts {
            let r = db.store.offers().get("main", g.id).await.unwrap().unwrap();
            assert!(r.missing_since.is_some(), "[{}] ghost {}", db.label, g.id);
        }
        assert_mirror(&db, &h, "main", false).await;
        assert_eq!(row.count_shortfall(), None);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn the_client_reads_an_id_list_and_refuses_other_ids() {
    let h = start(sim_config(&[("main", 300)])).await;
    let c = client(&h, "main");
    let all = expected(&h, "main", false).await;
    let ids: Vec<i64> = vec![all[0].id, all[7].id, all[299].id, 3_999_999_999];
    let got = c.read_offers_by_ids(&ids).await.unwrap();
    let mut got_ids: Vec<i64> = got.iter().map(|o| o.id).collect();
    got_ids.sort_unstable();
    assert_eq!(got_ids, vec![all[0].id, all[7].id, all[299].id]);
    // Offers read by id carry the by-id rendering; their identity and prices are the list's.
    assert_eq!(
        (&got[0].part_number, got[0].sale_price),
        (&all[0].part_number, all[0].sale_price)
    );
    // More than a page of ids is the caller's mistake, not a request.
    let many: Vec<i64> = (0..101).collect();
    assert!(c.read_offers_by_ids(&many).await.is_err());
    assert!(c.read_offers_by_ids(&[]).await.unwrap().is_empty());
    // A server that ignores the filter answers with ids that were not asked for.
    faults(&h, r#"{"ignore_id_list": true}"#).await;
    let err = c.read_offers_by_ids(&ids[..1]).await.unwrap_err();
    assert!(
        matches!(err, magsync::emag::EmagError::FilterIgnored),
        "{err:?}"
    );
    h.shutdown().await;
}

/// Deactivates the `n` highest ids on eMAG while a first full (active) sync is past its count.
async fn shrink_during_scan(
    db: &TestDb,
    n: usize,
) -> (magsync::sync::RunProgress, magsync::model::SyncRun) {
    let mut cfg = sim_config(&[("main", 1274)]);
    cfg.latency_ms = 40;
    let h = start(cfg).await;
    let mut t = tuning();
    t.concurrency = 1;
    let e = engine(db, &h, &["main"]).with_tuning(t);
    let mut handle = e.start("main", full(false), Trigger::Cli).await.unwrap();
    handle
        .progress
        .wait_for(|p| p.counts.pages_done >= 1)
        .await
        .unwrap();
    let active: Vec<i64> = expected(&h, "main", true)
        .await
        .iter()
        .map(|o| o.id)
        .collect();
    let c = client(&h, "main");
    for chunk in active[active.len() - n..].chunks(50) {
        let updates: Vec<_> = chunk
            .iter()
            .map(|id| magsync::emag::OfferUpdate {
                id: *id,
                status: Some(OfferStatus::Inactive),
                ..Default::default()
            })
            .collect();
        c.save_offers(&updates).await.unwrap();
    }
    let last = handle.done.await.unwrap();
    let row = db.store.runs().get(handle.run_id).await.unwrap().unwrap();
    h.shutdown().await;
    (last, row)
}

#[tokio::test]
async fn a_full_scan_that_saw_fewer_offers_than_counted_says_so() {
    for db in TestDb::all().await {
        let (last, row) = shrink_during_scan(&db, 5).await;
        assert_eq!(
            last.status,
            RunStatus::Completed,
            "[{}] {:?}",
            db.label,
            row.error_summary
        );
        let counted = row.offers_expected.expect("the count is stored");
        assert_eq!(row.counts.offers_seen, counted - 5, "[{}]", db.label);
        let saw = row.count_shortfall().expect("flagged");
        assert!(saw.starts_with("saw ") && saw.contains(" of "), "{saw}");
        let events = db.store.runs().events(row.id, 0, 500).await.unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.level == magsync::model::EventLevel::Warn && e.message.contains(&saw)),
            "[{}] a warning event names the shortfall",
            db.label
        );

        // Past the threshold (2 % by default): partial.
        let db2 = if db.label == "sqlite" {
            TestDb::sqlite().await
        } else {
            TestDb::postgres().await.unwrap()
        };
        let (last, row) = shrink_during_scan(&db2, 100).await;
        assert_eq!(last.status, RunStatus::Partial, "[{}]", db.label);
        let why = row.error_summary.clone().unwrap();
        assert!(
            why.contains("more than 2 %") && why.starts_with("saw "),
            "{why}"
        );
    }
}

#[test]
fn the_dashboard_history_flags_a_scan_that_saw_fewer_offers_than_counted() {
    use magsync::tui::app::Tab;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let mut app = magsync::tui::fixture::app();
    app.tab = Tab::History;
    let run = &mut app.history.runs[0];
    run.mode = magsync::model::SyncMode::Full;
    run.status = RunStatus::Completed;
    run.error_summary = None;
    run.finished_at = Some(run.heartbeat_at);
    run.counts.offers_seen = 1269;
    run.offers_expected = Some(1274);
    let warn = app.theme.warn().fg;
    for (w, h, note) in [(80, 24, false), (120, 40, true)] {
        app.size = (w, h);
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| magsync::tui::views::draw(f, &app)).unwrap();
        let buf = t.backend().buffer().clone();
        let lines: Vec<String> = (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let (y, line) = lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.contains("1 269!"))
            .unwrap_or_else(|| panic!("{w}x{h}: the seen count is flagged\n{}", lines.join("\n")));
        let x = line[..line.find("1 269!").unwrap()].chars().count() as u16;
        assert_eq!(
            buf[(x, y as u16)].fg,
            warn.unwrap(),
            "{w}x{h}: in the warning colour"
        );
        assert_eq!(
            lines.iter().any(|l| l.contains("saw 1 269/1 274")),
            note,
            "{w}x{h}: the wide table names it"
        );
    }
}

#[tokio::test]
async fn processes_opening_a_new_sqlite_database_at_once_all_succeed() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let url = magsync::config::sqlite_url(&dir.path().join("fresh.db"));
        let opens = (0..8).map(|_| {
            let url = url.clone();
            tokio::spawn(async move { magsync::store::Store::open(&url).await })
        });
        for open in futures::future::join_all(opens).await {
            let store = open.unwrap().unwrap_or_else(|e| panic!("{}", e.message));
            store.close().await;
        }
    }
}
