//! A push told to stop (a signal in `magsync push`) finishes the call in flight, records its
//! answer and sends no further one; on both stores.

use crate::edits_support;

use edits_support::*;
use magsync::edits;
use magsync::model::ConflictStrategy;
use magsync::sim::SimAccount;
use magsync::testing::TestDb;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_stopped_push_finishes_its_call_and_leaves_the_rest_pending() {
    for db in TestDb::all().await {
        let mut cfg = sim_config(vec![SimAccount::new("main", 200)], 0);
        cfg.latency_ms = 300;
        let h = start_sim(cfg).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        let client = client(&engine, "main");
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        for (id, o) in catalogue(&h, "main").await.iter().take(120) {
            edit(&db.store, "main", *id, price_req(other_price(o))).await;
        }

        // Stopped before it starts: nothing is sent.
        let stopped = CancellationToken::new();
        stopped.cancel();
        let before = requests(&h, "main").await;
        let r = edits::push_selected(&db.store, &client, "main", false, false, None, &stopped)
            .await
            .unwrap();
        assert_eq!(
            (r.save_calls, r.pushed, r.still_pending),
            (0, 0, 120),
            "{r:?}"
        );
        assert!(r.error.unwrap().contains("120 edits were not sent"));
        assert_eq!(requests(&h, "main").await, before);

        // Stopped while the first call is on the wire: that call's 50 edits are recorded.
        let stop = CancellationToken::new();
        let push = {
            let (store, client, stop) = (db.store.clone(), client.clone(), stop.clone());
            tokio::spawn(async move {
                edits::push_selected(&store, &client, "main", false, false, None, &stop).await
            })
        };
        for _ in 0..400 {
            if requests(&h, "main").await > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.cancel();
        let r = push.await.unwrap().unwrap();
        assert_eq!(
            (r.save_calls, r.pushed, r.still_pending),
            (1, 50, 70),
            "[{}] {r:?}",
            db.label
        );
        assert!(r.error.unwrap().contains("70 edits were not sent"));
        assert_eq!(requests(&h, "main").await, before + 1);
        h.shutdown().await;
    }
}

/// One push per account at a time: while a push of an account holds its lock (here taken as
/// another process would), a second push sends nothing and says why; once the lock is free the
/// push goes out, and a dry run never needs the lock. A push does not block the account's sync.
#[tokio::test]
async fn a_second_push_of_an_account_is_refused_while_one_runs() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(vec![SimAccount::new("main", 30)], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        let client = client(&engine, "main");
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        for (id, o) in catalogue(&h, "main").await.iter().take(3) {
            edit(&db.store, "main", *id, price_req(other_price(o))).await;
        }
        let never = CancellationToken::new();
        let held = db
            .store
            .locks()
            .try_take(
                &edits::push::push_lock_key("main"),
                "elsewhere:1",
                chrono::Utc::now(),
            )
            .await
            .unwrap()
            .expect("the push lock is free");
        let before = requests(&h, "main").await;
        let r = edits::push_selected(&db.store, &client, "main", false, false, None, &never)
            .await
            .unwrap();
        assert_eq!(
            (r.save_calls, r.pushed, r.still_pending),
            (0, 0, 3),
            "{r:?}"
        );
        assert!(
            r.error.unwrap().contains("another push of main"),
            "{}",
            db.label
        );
        assert_eq!(requests(&h, "main").await, before, "nothing was sent");
        let dry = edits::push_selected(&db.store, &client, "main", false, true, None, &never)
            .await
            .unwrap();
        assert_eq!(dry.save_calls, 1, "a dry run needs no lock");
        // The account's sync is not blocked by its push lock.
        sync(&engine, "main", ConflictStrategy::LocalPriority).await;
        held.release().await.unwrap();
        let r = edits::push_selected(&db.store, &client, "main", false, false, None, &never)
            .await
            .unwrap();
        assert_eq!((r.pushed, r.still_pending), (3, 0), "{} {r:?}", db.label);
        h.shutdown().await;
    }
}
