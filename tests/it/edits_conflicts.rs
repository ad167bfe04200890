//! Conflict strategies end to end, on SQLite and Postgres: edit locally, change the same offer
//! on eMAG (the simulator's save route or `__admin/mutate`), sync with the real engine, then
//! check the mirror, the edits, what was pushed (the simulator's catalogue) and the run's
//! conflict counters.

use crate::edits_support;

use edits_support::*;
use magsync::edits::{self, ConflictCounts, EditRequest, EditState, Keep};
use magsync::model::ConflictStrategy;
use magsync::sim::SimAccount;
use magsync::testing::TestDb;
use serde_json::json;

fn counts(conflicts: i64, emag: i64, local: i64, manual: i64) -> ConflictCounts {
    ConflictCounts {
        conflicts,
        emag_won: emag,
        local_won: local,
        manual,
        ..Default::default()
    }
}

#[tokio::test]
async fn emag_priority_discards_exactly_the_edits_emag_changed() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(vec![SimAccount::new("main", 150)], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        let cat = catalogue(&h, "main").await;
        for (id, o) in &cat {
            let req = EditRequest {
                sale_price: Some(other_price(o)),
                stock: Some(500 + id % 50),
                ..Default::default()
            };
            edit(&db.store, "main", *id, req).await;
        }
        let changed = mutate(&h, "main", 10).await;
        assert_eq!(changed.len(), 10);
        let remote = catalogue(&h, "main").await;

        let run = sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            counts(10, 10, 0, 0),
            "{}",
            db.label
        );
        let events = db.store.runs().events(run, 0, 1000).await.unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.message.contains("the edit was discarded (emag_priority)"))
                .count(),
            10
        );
        for (id, o) in &cat {
            let e = edit_of(&db.store, "main", *id).await;
            let m = db
                .store
                .offers()
                .get("main", *id)
                .await
                .unwrap()
                .unwrap()
                .offer;
            if changed.contains(id) {
                assert_eq!(e.state, EditState::Discarded, "offer {id}");
                assert_eq!(e.settled_run_id, Some(run));
                assert!(e.remote_changed_seen_at.is_some());
                assert_eq!(m.sale_price, Some(price_of(&remote[id])), "mirror = eMAG");
                assert_eq!(m.general_stock, Some(stock_of(&remote[id]) as i32));
            } else {
                assert_eq!(e.state, EditState::Pending, "offer {id}");
                assert_eq!(m.sale_price, Some(other_price(o)), "mirror = edit");
                assert_eq!(m.general_stock, Some(500 + (*id % 50) as i32));
            }
        }

        let r = edits::push_account(&db.store, &client(&engine, "main"), "main", false, false)
            .await
            .unwrap();
        assert_eq!((r.pushed, r.save_calls), (140, 3), "{r:?}");
        let pushed = catalogue(&h, "main").await;
        for (id, o) in &cat {
            if changed.contains(id) {
                assert_eq!(pushed[id], remote[id], "eMAG's change stands on {id}");
            } else {
                assert_eq!(price_of(&pushed[id]), other_price(o));
                assert_eq!(stock_of(&pushed[id]), 500 + id % 50);
            }
        }
        let run = sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            Default::default()
        );
        h.shutdown().await;
    }
}

#[tokio::test]
async fn local_priority_keeps_the_edit_in_the_mirror_and_pushes_it_next() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(vec![SimAccount::new("main", 80)], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        sync(&engine, "main", ConflictStrategy::LocalPriority).await;
        let cat = catalogue(&h, "main").await;
        let (&x, ox) = cat.iter().next().unwrap();
        let min = dec(&ox["min_sale_price"]).unwrap();
        let max = dec(&ox["max_sale_price"]).unwrap();
        let mine = min + d("0.01");
        edit(&db.store, "main", x, price_req(mine)).await;
        // Another tool changes the same price on eMAG.
        let answer = remote_save(
            &h,
            "main",
            json!([{"id": x, "sale_price": max.to_string()}]),
        )
        .await;
        assert_eq!(
            answer["results"][x.to_string()]["isError"],
            false,
            "{answer}"
        );

        let run = sync(&engine, "main", ConflictStrategy::LocalPriority).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            counts(1, 0, 1, 0)
        );
        assert_eq!(mirror_price(&db.store, "main", x).await, mine);
        let e = edit_of(&db.store, "main", x).await;
        assert_eq!(e.state, EditState::Pending);
        assert_eq!(e.remote.sale_price, Some(max));
        assert_eq!(e.base.sale_price, Some(max), "rebased on eMAG's value");
        assert!(
            e.message
                .unwrap()
                .contains("kept and pushed next (local_priority)")
        );
        // Still eMAG's value until pushed; the next sync does not count it again.
        assert_eq!(price_of(&catalogue(&h, "main").await[&x]), max);
        let run = sync(&engine, "main", ConflictStrategy::LocalPriority).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            Default::default()
        );
        assert_eq!(mirror_price(&db.store, "main", x).await, mine);

        let r = edits::push_account(&db.store, &client(&engine, "main"), "main", false, false)
            .await
            .unwrap();
        assert_eq!((r.pushed, r.save_calls), (1, 1));
        assert_eq!(price_of(&catalogue(&h, "main").await[&x]), mine);
        assert_eq!(edit_of(&db.store, "main", x).await.state, EditState::Pushed);
        sync(&engine, "main", ConflictStrategy::LocalPriority).await;
        assert_eq!(mirror_price(&db.store, "main", x).await, mine);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn newest_wins_compares_the_edit_time_with_when_emags_change_was_first_seen() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(vec![SimAccount::new("main", 80)], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        sync(&engine, "main", ConflictStrategy::NewestWins).await;
        let cat = catalogue(&h, "main").await;
        let mut it = cat.iter();
        let ((&a, oa), (&b, ob)) = (it.next().unwrap(), it.next().unwrap());
        let bounds = |o: &serde_json::Value| {
            (
                dec(&o["min_sale_price"]).unwrap(),
                dec(&o["max_sale_price"]).unwrap(),
            )
        };
        let (amin, amax) = bounds(oa);
        let (bmin, bmax) = bounds(ob);

        // A: edited, then changed on eMAG, then synced: eMAG's change was seen last.
        edit(&db.store, "main", a, price_req(amin)).await;
        remote_save(
            &h,
            "main",
            json!([{"id": a, "sale_price": amax.to_string()}]),
        )
        .await;
        let run = sync(&engine, "main", ConflictStrategy::NewestWins).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            counts(1, 1, 0, 0)
        );
        let ea = edit_of(&db.store, "main", a).await;
        assert_eq!(ea.state, EditState::Discarded);
        assert!(ea.message.unwrap().contains("is newer than the edit"));
        assert!(ea.remote_changed_seen_at.unwrap() > ea.edited_at);
        assert_eq!(mirror_price(&db.store, "main", a).await, amax);

        // B: a manual sync sees eMAG's change first; the operator then edits again, later
        // than that sighting, so under newest_wins the edit wins.
        edit(&db.store, "main", b, price_req(bmin)).await;
        remote_save(
            &h,
            "main",
            json!([{"id": b, "sale_price": bmax.to_string()}]),
        )
        .await;
        let run = sync(&engine, "main", ConflictStrategy::Manual).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            counts(1, 0, 0, 1)
        );
        let seen = edit_of(&db.store, "main", b)
            .await
            .remote_changed_seen_at
            .unwrap();
        let newer = bmin + d("0.02");
        let eb = edit(&db.store, "main", b, price_req(newer)).await;
        assert_eq!(
            eb.state,
            EditState::Conflict,
            "still waiting for a decision"
        );
        assert!(eb.edited_at > seen);
        let run = sync(&engine, "main", ConflictStrategy::NewestWins).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            counts(1, 0, 1, 0)
        );
        let eb = edit_of(&db.store, "main", b).await;
        assert_eq!(eb.state, EditState::Pending);
        assert_eq!(eb.remote_changed_seen_at, Some(seen), "first sighting kept");
        assert!(eb.message.unwrap().contains("is newer than eMAG's change"));
        assert_eq!(mirror_price(&db.store, "main", b).await, newer);

        let r = edits::push_account(&db.store, &client(&engine, "main"), "main", false, false)
            .await
            .unwrap();
        assert_eq!(r.pushed, 1);
        let now = catalogue(&h, "main").await;
        assert_eq!(price_of(&now[&a]), amax);
        assert_eq!(price_of(&now[&b]), newer);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn manual_marks_both_values_pushes_nothing_until_resolved() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(vec![SimAccount::new("main", 80)], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        sync(&engine, "main", ConflictStrategy::Manual).await;
        let cat = catalogue(&h, "main").await;
        let mut it = cat.iter();
        let ((&c, oc), (&k, ok)) = (it.next().unwrap(), it.next().unwrap());
        let (cmin, cmax) = (
            dec(&oc["min_sale_price"]).unwrap(),
            dec(&oc["max_sale_price"]).unwrap(),
        );
        let (kmin, kmax) = (
            dec(&ok["min_sale_price"]).unwrap(),
            dec(&ok["max_sale_price"]).unwrap(),
        );
        edit(&db.store, "main", c, price_req(cmin)).await;
        edit(&db.store, "main", k, price_req(kmin)).await;
        remote_save(
            &h,
            "main",
            json!([{"id": c, "sale_price": cmax.to_string()}, {"id": k, "sale_price": kmax.to_string()}]),
        )
        .await;

        let run = sync(&engine, "main", ConflictStrategy::Manual).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            counts(2, 0, 0, 2)
        );
        for (id, mine, theirs, base) in
            [(c, cmin, cmax, price_of(oc)), (k, kmin, kmax, price_of(ok))]
        {
            let e = edit_of(&db.store, "main", id).await;
            assert_eq!(e.state, EditState::Conflict);
            assert_eq!(
                (e.values.sale_price, e.remote.sale_price, e.base.sale_price),
                (Some(mine), Some(theirs), Some(base)),
                "both values recorded"
            );
            assert_eq!(mirror_price(&db.store, "main", id).await, theirs);
        }
        // Nothing is pushed while conflicted.
        let client = client(&engine, "main");
        let calls = requests(&h, "main").await;
        let r = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!((r.pending, r.save_calls), (0, 0));
        assert_eq!(requests(&h, "main").await, calls);

        let now = chrono::Utc::now();
        let kept = edits::resolve(&db.store, "main", c, Keep::Local, now)
            .await
            .unwrap();
        assert_eq!(kept.state, EditState::Pending);
        assert_eq!(mirror_price(&db.store, "main", c).await, cmin);
        let taken = edits::resolve(&db.store, "main", k, Keep::Remote, now)
            .await
            .unwrap();
        assert_eq!(taken.state, EditState::Discarded);
        assert_eq!(mirror_price(&db.store, "main", k).await, kmax);
        let again = edits::resolve(&db.store, "main", k, Keep::Local, now)
            .await
            .unwrap_err();
        assert_eq!(again.code, 2);
        assert!(
            again.message.contains("no conflict to resolve"),
            "{}",
            again.message
        );

        let r = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!((r.pushed, r.save_calls), (1, 1));
        let after = catalogue(&h, "main").await;
        assert_eq!(price_of(&after[&c]), cmin);
        assert_eq!(price_of(&after[&k]), kmax);
        let run = sync(&engine, "main", ConflictStrategy::Manual).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            Default::default()
        );
        h.shutdown().await;
    }
}
