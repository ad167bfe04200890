//! Local edits validated, queued and pushed to the real simulator over HTTP, on SQLite and
//! Postgres: batching, eMAG's per-offer answers, idempotent re-runs, and faults.

use crate::edits_support;

use edits_support::*;
use magsync::edits::{self, EditRequest, EditState};
use magsync::model::ConflictStrategy;
use magsync::sim::{ShapeVariant, SimAccount};
use magsync::testing::TestDb;
use serde_json::json;

#[tokio::test]
async fn validation_errors_name_the_bound_and_nothing_is_queued() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(
            vec![SimAccount::new("main", 120), SimAccount::new("fbe", 120)],
            0,
        ))
        .await;
        let accounts = vec![
            account("main", &h.base_url()),
            account("fbe", &h.base_url()),
        ];
        let engine = engine(&db.store, accounts, false);
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        sync(&engine, "fbe", ConflictStrategy::EmagPriority).await;
        let cat = catalogue(&h, "main").await;
        let (&id, o) = cat.iter().next().unwrap();
        let min = dec(&o["min_sale_price"]).unwrap();
        let max = dec(&o["max_sale_price"]).unwrap();
        let sale = price_of(o);
        let queue = |acct: &'static str, id: i64, req: EditRequest| {
            let store = db.store.clone();
            async move {
                edits::queue(
                    &store,
                    acct,
                    id,
                    &req,
                    edits::is_fbe_account(acct),
                    "tester@test via cli",
                    chrono::Utc::now(),
                )
                .await
                .unwrap_err()
            }
        };
        let cases = [
            (
                price_req(min - d("0.0001")),
                format!("below the minimum sale price {min}"),
            ),
            (
                price_req(max + d("0.01")),
                format!("above the maximum sale price {max}"),
            ),
            (price_req(d("12.34567")), "at most 4".to_string()),
            (
                EditRequest {
                    recommended_price: Some(sale),
                    ..Default::default()
                },
                format!("above the sale price {sale}"),
            ),
            (
                EditRequest {
                    stock: Some(65_536),
                    ..Default::default()
                },
                "above the maximum 65535".to_string(),
            ),
            (
                EditRequest {
                    stock: Some(-1),
                    ..Default::default()
                },
                "below the minimum 0".to_string(),
            ),
        ];
        for (req, bound) in cases {
            let f = queue("main", id, req.clone()).await;
            assert_eq!(f.code, 2, "{}", f.message);
            assert!(
                f.message.contains(&bound),
                "{}: `{}` should name `{bound}`",
                db.label,
                f.message
            );
        }
        let fbe_id = *catalogue(&h, "fbe").await.keys().next().unwrap();
        let f = queue(
            "fbe",
            fbe_id,
            EditRequest {
                stock: Some(5),
                ..Default::default()
            },
        )
        .await;
        assert!(f.message.contains("FBE"), "{}", f.message);
        let f = queue("main", 999_999_999, price_req(d("10"))).await;
        assert!(
            f.message.contains("not in the local mirror"),
            "{}",
            f.message
        );
        assert!(all_edits(&db.store, "main").await.is_empty());
        assert!(all_edits(&db.store, "fbe").await.is_empty());

        // FBE prices may be edited; bounds are inclusive.
        let fo = catalogue(&h, "fbe").await[&fbe_id].clone();
        edit(&db.store, "fbe", fbe_id, price_req(other_price(&fo))).await;
        h.shutdown().await;
    }
}

#[tokio::test]
async fn pushes_120_edits_in_3_calls_within_the_budget_and_a_rerun_sends_nothing() {
    for db in TestDb::all().await {
        // The real rate limit and the client's real pacing.
        let h = start_sim(sim_config(vec![SimAccount::new("main", 200)], 3)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], true);
        // Held from the start: every client of the account in this process shares its limiter
        // only while one is alive, so the push is paced after the sync's own requests.
        let client = client(&engine, "main");
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        let before = catalogue(&h, "main").await;
        let mut wanted = std::collections::BTreeMap::new();
        for (id, o) in before.iter().take(120) {
            let p = other_price(o);
            let e = edit(&db.store, "main", *id, price_req(p)).await;
            assert_eq!(e.base.sale_price, Some(price_of(o)));
            // The mirror shows the edit at once.
            assert_eq!(mirror_price(&db.store, "main", *id).await, p);
            wanted.insert(*id, p);
        }
        let dry = edits::push_account(&db.store, &client, "main", false, true)
            .await
            .unwrap();
        assert_eq!((dry.save_calls, dry.bodies.len()), (3, 3));
        assert!(dry.bodies[0].starts_with("[{\"id\":"), "{}", dry.bodies[0]);

        let calls_before = requests(&h, "main").await;
        let r = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!(
            (
                r.pending,
                r.save_calls,
                r.pushed,
                r.rejected,
                r.still_pending
            ),
            (120, 3, 120, 0, 0),
            "{r:?}"
        );
        assert_eq!(
            requests(&h, "main").await - calls_before,
            3,
            "{:?}",
            stats(&h).await
        );
        let s = stats(&h).await;
        assert_eq!(s["main"]["rate_limited"], 0);
        assert!(s["main"]["max_requests_in_any_second"].as_u64().unwrap() <= 3);

        let after = catalogue(&h, "main").await;
        for (id, o) in &after {
            match wanted.get(id) {
                Some(p) => assert_eq!(price_of(o), *p, "offer {id} on eMAG"),
                None => assert_eq!(o, &before[id], "offer {id} untouched"),
            }
        }
        let list = all_edits(&db.store, "main").await;
        assert_eq!(list.len(), 120);
        assert!(list.iter().all(|e| {
            e.state == EditState::Pushed
                && e.message
                    .as_deref()
                    .unwrap()
                    .contains("updated successfully")
        }));

        // Idempotent: nothing pending, nothing sent.
        let calls = requests(&h, "main").await;
        let again = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!((again.pending, again.save_calls), (0, 0));
        assert_eq!(requests(&h, "main").await, calls);

        // The next sync finds no conflict and the mirror equals eMAG.
        let run = sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run).await.unwrap(),
            Default::default()
        );
        for (id, p) in &wanted {
            assert_eq!(mirror_price(&db.store, "main", *id).await, *p);
        }
        h.shutdown().await;
    }
}

#[tokio::test]
async fn an_offer_emag_rejects_keeps_its_edit_with_emags_message() {
    for db in TestDb::all().await {
        // Variant B reads carry no min/max, so only eMAG can refuse an out-of-range price.
        let acct = SimAccount {
            variant: ShapeVariant::B,
            ..SimAccount::new("main", 100)
        };
        let h = start_sim(sim_config(vec![acct], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        let cat = catalogue(&h, "main").await;
        let mut ids = cat.keys().copied();
        let (bad, good) = (ids.next().unwrap(), ids.next().unwrap());
        let old = price_of(&cat[&bad]);
        let absurd = old * d("1000");
        edit(&db.store, "main", bad, price_req(absurd)).await;
        edit(
            &db.store,
            "main",
            good,
            EditRequest {
                stock: Some(321),
                ..Default::default()
            },
        )
        .await;
        let client = client(&engine, "main");
        let r = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!((r.save_calls, r.pushed, r.rejected), (1, 1, 1), "{r:?}");

        let e = edit_of(&db.store, "main", bad).await;
        assert_eq!(e.state, EditState::Rejected);
        assert_eq!(e.values.sale_price, Some(absurd), "the edit is kept");
        assert!(
            e.message
                .as_deref()
                .unwrap()
                .contains("Sale price must be between"),
            "{:?}",
            e.message
        );
        // The mirror shows eMAG's price again, and eMAG still has it.
        assert_eq!(mirror_price(&db.store, "main", bad).await, old);
        assert_eq!(price_of(&catalogue(&h, "main").await[&bad]), old);
        assert_eq!(stock_of(&catalogue(&h, "main").await[&good]), 321);

        // A rejected edit is not re-sent by itself...
        let calls = requests(&h, "main").await;
        let again = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!(again.save_calls, 0);
        assert_eq!(requests(&h, "main").await, calls);
        // ...but correcting it makes it pending again, in the same edit.
        let fixed = old + d("0.01");
        let e2 = edit(&db.store, "main", bad, price_req(fixed)).await;
        assert_eq!((e2.id, e2.state), (e.id, EditState::Pending));
        let r = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!((r.pushed, r.rejected), (1, 0), "{r:?}");
        assert_eq!(price_of(&catalogue(&h, "main").await[&bad]), fixed);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn push_under_injected_faults_loses_no_edit_and_duplicates_none() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(vec![SimAccount::new("main", 150)], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        let cat = catalogue(&h, "main").await;
        let wanted: Vec<(i64, i64)> = cat
            .keys()
            .take(60)
            .map(|id| (*id, 1000 + *id % 100))
            .collect();
        for (id, stock) in &wanted {
            edit(
                &db.store,
                "main",
                *id,
                EditRequest {
                    stock: Some(*stock),
                    ..Default::default()
                },
            )
            .await;
        }
        let client = client(&engine, "main");

        // eMAG down for this account: every attempt fails, nothing is applied or lost.
        faults(&h, json!({"account_outage": "main"})).await;
        let r = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert!(r.error.is_some(), "{r:?}");
        assert_eq!((r.pushed, r.still_pending), (0, 60), "{r:?}");
        let open = all_edits(&db.store, "main").await;
        assert_eq!(open.len(), 60);
        assert!(open.iter().all(|e| e.state == EditState::Pending));
        assert!(
            open.iter()
                .filter(|e| e
                    .message
                    .as_deref()
                    .unwrap_or("")
                    .contains("last push failed"))
                .count()
                >= 50
        );

        // A 429 storm and random read faults: the client waits and retries; everything lands.
        faults(
            &h,
            json!({"account_outage": null, "storm_ms": 300, "fault_rate": 0.3, "faults": ["500", "502html", "malformed", "iserror", "429"]}),
        )
        .await;
        let r = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!(
            (r.pushed, r.still_pending, r.error.clone()),
            (60, 0, None),
            "{r:?}"
        );
        let after = catalogue(&h, "main").await;
        for (id, stock) in &wanted {
            assert_eq!(stock_of(&after[id]), *stock, "offer {id}");
        }
        let list = all_edits(&db.store, "main").await;
        assert_eq!(list.len(), 60, "one edit per offer, never duplicated");
        assert!(list.iter().all(|e| e.state == EditState::Pushed));

        // Pushing again sends nothing; a sync under read faults meets no conflict.
        let again = edits::push_account(&db.store, &client, "main", false, false)
            .await
            .unwrap();
        assert_eq!(again.save_calls, 0);
        let run = sync(&engine, "main", ConflictStrategy::Manual).await;
        assert_eq!(
            edits::run_conflicts(&db.store, run)
                .await
                .unwrap()
                .conflicts,
            0
        );
        for (id, stock) in &wanted {
            let o = db
                .store
                .offers()
                .get("main", *id)
                .await
                .unwrap()
                .unwrap()
                .offer;
            assert_eq!(o.general_stock, Some(*stock as i32));
        }
        h.shutdown().await;
    }
}

/// A proxy in front of the simulator that loses eMAG's answer for one offer it applied and
/// drops another offer from both the request and the answer.
async fn lossy_proxy(sim_base: String, applied_unreported: i64, dropped: i64) -> String {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, Uri};
    let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let sim_base = sim_base.clone();
        async move {
            let path = uri.path().trim_start_matches("/api-3");
            let save = path == "/offer/save";
            let mut body = body.to_vec();
            if save {
                let mut items: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
                items.retain(|i| i["id"].as_i64() != Some(dropped));
                body = serde_json::to_vec(&items).unwrap();
            }
            let mut req = http()
                .request(method, format!("{sim_base}{path}"))
                .header("content-type", "application/json")
                .body(body);
            if let Some(auth) = headers.get("authorization") {
                req = req.header("authorization", auth.clone());
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let mut text = r.text().await.unwrap();
            if save {
                let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
                if let Some(results) = v["results"].as_object_mut() {
                    results.remove(&applied_unreported.to_string());
                }
                text = v.to_string();
            }
            axum::http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(text))
                .unwrap()
        }
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api-3")
}

#[tokio::test]
async fn an_offer_missing_from_emags_answer_is_read_back_by_id() {
    for db in TestDb::all().await {
        let h = start_sim(sim_config(vec![SimAccount::new("main", 60)], 0)).await;
        let engine = engine(&db.store, vec![account("main", &h.base_url())], false);
        sync(&engine, "main", ConflictStrategy::EmagPriority).await;
        let cat = catalogue(&h, "main").await;
        let ids: Vec<i64> = cat.keys().take(3).copied().collect();
        let (applied, dropped, normal) = (ids[0], ids[1], ids[2]);
        for id in &ids {
            edit(&db.store, "main", *id, price_req(other_price(&cat[id]))).await;
        }
        let proxy = lossy_proxy(h.base_url(), applied, dropped).await;
        let lossy = engine_for(&db.store, &proxy);
        let r = edits::push_account(&db.store, &client(&lossy, "main"), "main", false, false)
            .await
            .unwrap();
        assert_eq!(
            (r.save_calls, r.rereads, r.pushed, r.still_pending),
            (1, 2, 2, 1),
            "{r:?}"
        );
        let e = edit_of(&db.store, "main", applied).await;
        assert_eq!(e.state, EditState::Pushed);
        assert!(
            e.message
                .unwrap()
                .contains("reading it back shows the edit applied")
        );
        assert_eq!(
            edit_of(&db.store, "main", normal).await.state,
            EditState::Pushed
        );
        let e = edit_of(&db.store, "main", dropped).await;
        assert_eq!(
            e.state,
            EditState::Pending,
            "unknown stays pending, never lost"
        );
        assert!(e.message.unwrap().contains("it will be pushed again"));

        // The next push (eMAG answering properly) sends only what is still pending.
        let r = edits::push_account(&db.store, &client(&engine, "main"), "main", false, false)
            .await
            .unwrap();
        assert_eq!((r.pending, r.pushed), (1, 1), "{r:?}");
        let now = catalogue(&h, "main").await;
        for id in &ids {
            assert_eq!(price_of(&now[id]), other_price(&cat[id]));
        }
        assert_eq!(all_edits(&db.store, "main").await.len(), 3);
        h.shutdown().await;
    }
}

fn engine_for(store: &magsync::store::Store, base: &str) -> magsync::sync::Engine {
    engine(store, vec![account("main", base)], false)
}
