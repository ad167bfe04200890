//! Push previews, pushes of exactly the previewed edits, and withdrawing queued edits, on
//! SQLite and Postgres against the simulator.

use crate::edits_support::*;
use magsync::edits::discard::{Which, discard};
use magsync::edits::preview::{Scope, preview};
use magsync::edits::{self, EditState};
use magsync::model::ConflictStrategy;
use magsync::sim::SimAccount;
use magsync::testing::TestDb;

#[tokio::test]
async fn a_push_sends_only_the_previewed_revisions_and_discard_restores_the_mirror() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(vec![SimAccount::new("main", 20)], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        let client = client(&engine, "main");
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        let cat = catalogue(&h, "main").await;
        let ids: Vec<i64> = cat.keys().copied().take(3).collect();
        let mut queued = Vec::new();
        for id in &ids {
            queued.push(edit(&db.store, "main", *id, price_req(other_price(&cat[id]))).await);
        }
        assert_eq!(
            queued[0].queued_by.as_deref(),
            Some("tester@test via cli"),
            "who queued it is kept"
        );

        // The preview names the product and each field old → new.
        let all = preview(&db.store, &Scope::All).await.unwrap();
        assert_eq!(all.offers(), 3);
        let first = &all.items[0];
        assert_eq!(first.offer_id, ids[0]);
        assert_eq!(first.name.as_deref(), cat[&ids[0]]["name"].as_str());
        assert_eq!(first.changes.len(), 1);
        assert_eq!(first.changes[0].field, "sale_price");
        let field = magsync::edits::Field::SalePrice;
        assert_eq!(first.changes[0].old, queued[0].base.text(field));
        assert_eq!(first.changes[0].new, queued[0].values.text(field));
        let marked = preview(&db.store, &Scope::Edits(vec![queued[1].id, 999_999]))
            .await
            .unwrap();
        assert_eq!(marked.offers(), 1, "unknown or closed edits are left out");

        // Edit 0 changes after the preview: the push leaves it pending for the next preview.
        let p = preview(&db.store, &Scope::Account("main".into()))
            .await
            .unwrap();
        let o = &cat[&ids[0]];
        let (min, max) = (
            dec(&o["min_sale_price"]).unwrap(),
            dec(&o["max_sale_price"]).unwrap(),
        );
        let changed = if other_price(o) == min { max } else { min };
        edit(&db.store, "main", ids[0], price_req(changed)).await;
        let only = p.selection("main");
        let r = edits::push_selected(
            &db.store,
            &client,
            "main",
            false,
            false,
            Some(&only),
            &tokio_util::sync::CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!((r.pushed, r.still_pending), (2, 1), "{r:?}");
        assert_eq!(
            edit_of(&db.store, "main", ids[0]).await.state,
            EditState::Pending
        );
        assert_eq!(
            price_of(&catalogue(&h, "main").await[&ids[0]]),
            price_of(&cat[&ids[0]])
        );

        // Withdrawn: not sent, kept as history, and the mirror shows eMAG's price again.
        let gone = discard(
            &db.store,
            &Which::Id(queued[0].id),
            "ops@box via tui",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(gone.len(), 1);
        let e = edit_of(&db.store, "main", ids[0]).await;
        assert_eq!(e.state, EditState::Discarded);
        assert!(e.message.unwrap().contains("withdrawn by ops@box via tui"));
        assert_eq!(
            mirror_price(&db.store, "main", ids[0]).await,
            price_of(&cat[&ids[0]])
        );
        let again = discard(&db.store, &Which::Id(queued[0].id), "x", chrono::Utc::now()).await;
        assert!(again.unwrap_err().message.contains("already discarded"));
        assert!(preview(&db.store, &Scope::All).await.unwrap().is_empty());
        assert!(
            discard(&db.store, &Which::All, "x", chrono::Utc::now())
                .await
                .unwrap()
                .is_empty()
        );
        h.shutdown().await;
    }
}
