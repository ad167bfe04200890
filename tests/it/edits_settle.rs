//! Settlement rules on a real store (SQLite and Postgres) where the simulator cannot reach:
//! eMAG reusing an id for another product, and both orders of "newest wins".

use crate::edits_support;
use magsync::model::OfferStatus;

use chrono::{Duration, Utc};
use edits_support::*;
use magsync::edits::{self, EditState};
use magsync::model::{ConflictStrategy, Offer, SyncOptions, Trigger};
use magsync::store::Store;
use magsync::testing::TestDb;
use serde_json::json;

fn offer(id: i64, part_number: &str, price: &str) -> Offer {
    Offer {
        id,
        part_number: Some(part_number.into()),
        sale_price: Some(d(price)),
        min_sale_price: Some(d("10")),
        max_sale_price: Some(d("200")),
        status: Some(OfferStatus::Active),
        general_stock: Some(5),
        estimated_stock: Some(5),
        raw: json!({"id": id, "part_number": part_number, "sale_price": price}).into(),
        ..Default::default()
    }
}

async fn run(store: &Store) -> i64 {
    store
        .runs()
        .create(
            "main",
            &SyncOptions::default(),
            Trigger::Cli,
            "test",
            Utc::now(),
        )
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn a_recycled_id_cancels_the_edit_and_it_is_never_pushed() {
    for db in TestDb::all().await {
        let s = &db.store;
        s.offers()
            .write("main", None, &[offer(7, "HEK-17SS", "100")], Utc::now())
            .await
            .unwrap();
        edit(s, "main", 7, price_req(d("90"))).await;
        assert_eq!(mirror_price(s, "main", 7).await, d("90"));

        // eMAG now lists id 7 for another product (at the old price).
        let run_id = run(s).await;
        let mut page = vec![offer(7, "LMP-450-BK", "100")];
        let out = edits::settle(
            s,
            "main",
            run_id,
            ConflictStrategy::LocalPriority,
            &mut page,
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(out.counts.cancelled, 1);
        assert_eq!(page[0].sale_price, Some(d("100")), "not overlaid");
        s.offers()
            .write("main", Some(run_id), &page, Utc::now())
            .await
            .unwrap();
        let e = edit_of(s, "main", 7).await;
        assert_eq!(e.state, EditState::Cancelled);
        assert!(e.message.unwrap().contains("HEK-17SS → LMP-450-BK"));
        assert_eq!(edits::run_conflicts(s, run_id).await.unwrap().cancelled, 1);
        assert_eq!(mirror_price(s, "main", 7).await, d("100"));
        assert!(edits::db::pending_of(s, "main").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn newest_wins_goes_by_when_the_change_was_seen_not_when_the_sync_ran() {
    for db in TestDb::all().await {
        let s = &db.store;
        s.offers()
            .write(
                "main",
                None,
                &[offer(1, "A", "100"), offer(2, "B", "100")],
                Utc::now(),
            )
            .await
            .unwrap();
        let e1 = edit(s, "main", 1, price_req(d("90"))).await;
        let e2 = edit(s, "main", 2, price_req(d("90"))).await;
        let run_id = run(s).await;

        // Offer 1: eMAG's change was seen (the page fetched) before the edit was made, as when
        // the operator edits while a sync is reading: the edit is newer and wins.
        let mut page = vec![offer(1, "A", "120")];
        let seen = e1.edited_at - Duration::seconds(1);
        let out = edits::settle(
            s,
            "main",
            run_id,
            ConflictStrategy::NewestWins,
            &mut page,
            seen,
        )
        .await
        .unwrap();
        assert_eq!((out.counts.conflicts, out.counts.local_won), (1, 1));
        assert_eq!(page[0].sale_price, Some(d("90")), "overlaid");
        let e = edit_of(s, "main", 1).await;
        assert_eq!(
            (e.state, e.base.sale_price),
            (EditState::Pending, Some(d("120")))
        );

        // Offer 2: seen after the edit: eMAG wins.
        let mut page = vec![offer(2, "B", "120")];
        let later = e2.edited_at + Duration::seconds(1);
        let out = edits::settle(
            s,
            "main",
            run_id,
            ConflictStrategy::NewestWins,
            &mut page,
            later,
        )
        .await
        .unwrap();
        assert_eq!((out.counts.conflicts, out.counts.emag_won), (1, 1));
        assert_eq!(page[0].sale_price, Some(d("120")));
        assert_eq!(edit_of(s, "main", 2).await.state, EditState::Discarded);

        let c = edits::run_conflicts(s, run_id).await.unwrap();
        assert_eq!((c.conflicts, c.local_won, c.emag_won), (2, 1, 1));
        let events = s.runs().events(run_id, 0, 100).await.unwrap();
        assert_eq!(events.len(), 2, "one event per settled conflict");
    }
}

#[tokio::test]
async fn an_edit_emag_already_shows_is_done_and_a_second_edit_merges() {
    for db in TestDb::all().await {
        let s = &db.store;
        s.offers()
            .write("main", None, &[offer(3, "C", "100")], Utc::now())
            .await
            .unwrap();
        let first = edit(s, "main", 3, price_req(d("90"))).await;
        let second = edit(
            s,
            "main",
            3,
            edits::EditRequest {
                stock: Some(9),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(second.id, first.id, "merged, not duplicated");
        assert_eq!(second.revision, first.revision + 1);
        assert_eq!(
            (second.values.sale_price, second.values.stock),
            (Some(d("90")), Some(9))
        );
        assert_eq!(
            (second.base.sale_price, second.base.stock),
            (Some(d("100")), Some(5))
        );
        let run_id = run(s).await;
        let mut o = offer(3, "C", "90");
        o.general_stock = Some(9);
        let out = edits::settle(
            s,
            "main",
            run_id,
            ConflictStrategy::Manual,
            &mut [o],
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!((out.counts.confirmed, out.counts.conflicts), (1, 0));
        assert_eq!(edit_of(s, "main", 3).await.state, EditState::Pushed);
    }
}
