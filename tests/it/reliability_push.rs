//! A push told to stop (a signal in `magsync push`) finishes the call in flight, records its
//! answer and sends no further one; on both stores.

use crate::edits_support;

use edits_support::*;
use magsync::edits;
use magsync::model::ConflictStrategy;
use magsync::sim::SimAccount;
use magsync::store::testing::TestDb;
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
