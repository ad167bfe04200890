//! Store behaviour on SQLite and Postgres (each test gets its own database).

use chrono::{Duration, Utc};
use magsync::model::OfferStatus;
use magsync::model::search::{ProductQuery, SortKey, StatusFilter, StockFilter};
use magsync::model::{Offer, RunCounts, RunStatus, SyncMode, SyncOptions, Trigger, WarehouseValue};
use magsync::testing::TestDb;
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

fn dec(s: &str) -> Option<Decimal> {
    Some(Decimal::from_str(s).unwrap())
}

fn offer(id: i64, name: &str, price: &str) -> Offer {
    let raw = json!({"id": id, "name": name, "sale_price": price, "currency": "RON"});
    Offer {
        id,
        part_number: Some(format!("PN-{id}")),
        part_number_key: Some(format!("PNK{id:06}")),
        name: Some(name.to_string()),
        brand: Some("Heinner".into()),
        eans: vec![format!("594{id:010}")],
        sale_price: dec(price),
        recommended_price: None,
        min_sale_price: dec("0.0001"),
        max_sale_price: dec("99999.9999"),
        currency: Some("RON".into()),
        vat_id: Some(9),
        status: Some(OfferStatus::Active),
        general_stock: Some(3),
        estimated_stock: Some(2),
        stock: vec![WarehouseValue {
            warehouse_id: 1,
            value: 3,
        }],
        validation_status: Some(9),
        offer_validation_status: Some(1),
        ownership: Some(1),
        raw: raw.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn exotic_offer_round_trips_exactly_and_accounts_are_separate() {
    for db in TestDb::all().await {
        let s = &db.store;
        let mut o = offer(
            42,
            "Fierbător „Heinner” ăâîșț, 1.7 l, \"inox\" 😀",
            "0.0100",
        );
        o.currency = Some("BGN".into());
        o.recommended_price = dec("12345.6789");
        o.raw = json!({"id": 42, "currency": "BGN", "weird": [1, "2", null]}).into();
        let now = Utc::now();
        let w = s
            .offers()
            .write("main", None, std::slice::from_ref(&o), now)
            .await
            .unwrap();
        assert_eq!(w.created, 1, "{}", db.label);
        s.offers()
            .write("fbe", None, std::slice::from_ref(&o), now)
            .await
            .unwrap();

        let main = s.offers().get("main", 42).await.unwrap().expect("stored");
        assert_eq!(
            main.offer, o,
            "{}: offer must round-trip field by field",
            db.label
        );
        assert_eq!(
            main.offer.sale_price.unwrap().to_string(),
            "0.0100",
            "{}",
            db.label
        );
        assert_eq!(s.offers().of_account("main").await.unwrap().len(), 1);
        assert_eq!(
            s.offers().of_account("fbe").await.unwrap().len(),
            1,
            "{}: same id in two accounts is two rows",
            db.label
        );
    }
}

#[tokio::test]
async fn unchanged_offers_are_not_rewritten_and_changes_are_recorded() {
    for db in TestDb::all().await {
        let s = &db.store;
        let t0 = Utc::now() - Duration::minutes(5);
        let offers: Vec<Offer> = (1..=5)
            .map(|i| offer(i, &format!("Produs {i}"), "10.5000"))
            .collect();
        let first = s.offers().write("main", None, &offers, t0).await.unwrap();
        assert_eq!((first.created, first.updated, first.unchanged), (5, 0, 0));

        let t1 = Utc::now();
        let second = s.offers().write("main", None, &offers, t1).await.unwrap();
        assert_eq!(
            (second.created, second.updated, second.unchanged),
            (0, 0, 5),
            "{}",
            db.label
        );
        let stored = s.offers().get("main", 1).await.unwrap().unwrap();
        assert_eq!(stored.last_changed_at, t0_trunc(&stored, t0));
        assert!(
            stored.last_seen_at > stored.last_changed_at,
            "{}: last_seen_at moves on an unchanged write",
            db.label
        );

        let mut changed = offers.clone();
        changed[2].sale_price = dec("9.9900");
        changed[2].general_stock = Some(0);
        changed[2].raw = json!({"id": 3, "changed": true}).into();
        let third = s
            .offers()
            .write("main", None, &changed, Utc::now())
            .await
            .unwrap();
        assert_eq!((third.updated, third.unchanged), (1, 4), "{}", db.label);
        let fields: Vec<(&str, Option<&str>, Option<&str>)> = third
            .changes
            .iter()
            .map(|c| {
                (
                    c.field.as_str(),
                    c.old_value.as_deref(),
                    c.new_value.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                ("sale_price", Some("10.5000"), Some("9.9900")),
                ("general_stock", Some("3"), Some("0"))
            ],
            "{}",
            db.label
        );
        assert_eq!(
            s.runs()
                .changes_of_offer("main", 3, 10)
                .await
                .unwrap()
                .len(),
            2
        );
    }
}

fn t0_trunc(
    stored: &magsync::store::offers::StoredOffer,
    _t0: chrono::DateTime<Utc>,
) -> chrono::DateTime<Utc> {
    // Postgres keeps microseconds; compare with what the store itself returned.
    stored.first_seen_at
}

#[tokio::test]
async fn missing_candidates_are_the_unlisted_offers_of_that_account_and_status() {
    for db in TestDb::all().await {
        let s = &db.store;
        let t0 = Utc::now() - Duration::minutes(10);
        let mut offers: Vec<Offer> = (1..=5).map(|i| offer(i, "Lampă", "1.0000")).collect();
        offers[3].status = Some(OfferStatus::Inactive);
        s.offers().write("main", None, &offers, t0).await.unwrap();
        s.offers().write("fbe", None, &offers, t0).await.unwrap();
        s.offers()
            .mark_missing("main", None, &[5], t0)
            .await
            .unwrap();
        // Offer 2 lost its seen row (a store from before it existed): still a candidate.
        db.execute("DELETE FROM offer_seen WHERE account = 'main' AND id = 2")
            .await;
        let scan = Utc::now() - Duration::minutes(1);
        s.offers()
            .write("main", None, &offers[..1], Utc::now())
            .await
            .unwrap();

        let active = s
            .offers()
            .missing_candidates("main", scan, Some(OfferStatus::Active))
            .await
            .unwrap();
        assert_eq!(
            active,
            vec![2, 3],
            "{}: inactive 4 and missing 5 are not",
            db.label
        );
        let any = s
            .offers()
            .missing_candidates("main", scan, None)
            .await
            .unwrap();
        assert_eq!(any, vec![2, 3, 4], "{}", db.label);
        let other = s
            .offers()
            .missing_candidates("fbe", t0, None)
            .await
            .unwrap();
        assert!(
            other.is_empty(),
            "{}: fbe was seen at t0: {other:?}",
            db.label
        );
    }
}

#[tokio::test]
async fn missing_offers_are_marked_and_restored_never_deleted() {
    for db in TestDb::all().await {
        let s = &db.store;
        let t0 = Utc::now() - Duration::minutes(10);
        let offers: Vec<Offer> = (1..=3).map(|i| offer(i, "Lampă", "1.0000")).collect();
        s.offers().write("main", None, &offers, t0).await.unwrap();
        let scan = Utc::now() - Duration::minutes(1);
        s.offers()
            .write("main", None, &offers[..2], Utc::now())
            .await
            .unwrap();
        let candidates = s
            .offers()
            .missing_candidates("main", scan, Some(OfferStatus::Active))
            .await
            .unwrap();
        assert_eq!(candidates, vec![3], "{}", db.label);
        assert_eq!(
            s.offers()
                .mark_missing("main", None, &candidates, Utc::now())
                .await
                .unwrap(),
            1
        );
        let gone = s.offers().get("main", 3).await.unwrap().unwrap();
        assert!(gone.missing_since.is_some());
        let q = ProductQuery {
            status: Some(StatusFilter::Missing),
            ..Default::default()
        };
        assert_eq!(s.search().count(&q).await.unwrap(), 1);

        let back = s
            .offers()
            .write("main", None, &offers[2..], Utc::now())
            .await
            .unwrap();
        assert_eq!((back.updated, back.restored), (1, 1), "{}", db.label);
        assert!(
            s.offers()
                .get("main", 3)
                .await
                .unwrap()
                .unwrap()
                .missing_since
                .is_none()
        );
    }
}

#[tokio::test]
async fn runs_events_progress_and_stale_recovery() {
    for db in TestDb::all().await {
        let s = &db.store;
        let opts = SyncOptions {
            mode: SyncMode::Full,
            ..Default::default()
        };
        let run = s
            .runs()
            .create("main", &opts, Trigger::Cli, "test:1", Utc::now())
            .await
            .unwrap();
        let counts = RunCounts {
            pages_done: 3,
            pages_total: Some(13),
            offers_seen: 300,
            ..Default::default()
        };
        s.runs()
            .update_progress(run.id, &counts, Some(4), Utc::now())
            .await
            .unwrap();
        s.runs()
            .add_events(
                run.id,
                &[(
                    magsync::model::EventLevel::Info,
                    "page 3/13: 100 offers".into(),
                    Utc::now(),
                )],
            )
            .await
            .unwrap();
        let live = s.runs().get(run.id).await.unwrap().unwrap();
        assert_eq!(live.status, RunStatus::Running);
        assert_eq!(live.counts, counts);
        assert_eq!(live.options, opts);
        assert_eq!(s.runs().running().await.unwrap().len(), 1);
        let ev = s.runs().events(run.id, 0, 100).await.unwrap();
        assert_eq!(ev.len(), 1);
        assert!(
            s.runs()
                .events(run.id, ev[0].id, 100)
                .await
                .unwrap()
                .is_empty()
        );

        // A run whose heartbeat stopped is interrupted, not left running forever.
        let stale = s
            .runs()
            .create(
                "fbe",
                &opts,
                Trigger::Schedule,
                "test:2",
                Utc::now() - Duration::hours(1),
            )
            .await
            .unwrap();
        let failed = s
            .runs()
            .settle_dead_before(Utc::now() - Duration::minutes(5), Utc::now())
            .await
            .unwrap();
        assert_eq!(failed, vec![stale.id], "{}", db.label);
        let r = s.runs().get(stale.id).await.unwrap().unwrap();
        assert_eq!(r.status, RunStatus::Failed);
        assert!(r.error_summary.unwrap().contains("interrupted"));

        s.runs()
            .finish(
                run.id,
                RunStatus::Partial,
                &counts,
                Some(4),
                Some("page 8: HTTP 504 after 5 attempts"),
                Utc::now(),
            )
            .await
            .unwrap();
        let done = s.runs().last("main", None, None).await.unwrap().unwrap();
        assert_eq!(done.status, RunStatus::Partial);
        assert_eq!(done.next_page, Some(4));
        assert!(done.finished_at.is_some());
    }
}

#[tokio::test]
async fn one_sync_per_account_lock() {
    for db in TestDb::all().await {
        let s = &db.store;
        let lock = s
            .locks()
            .try_take("main", "a:1", Utc::now())
            .await
            .unwrap()
            .expect("free");
        let run = s
            .runs()
            .create(
                "main",
                &SyncOptions::default(),
                Trigger::Tui,
                "a:1",
                Utc::now(),
            )
            .await
            .unwrap();
        lock.attach_run(run.id).await.unwrap();
        let busy = s
            .locks()
            .try_take("main", "b:2", Utc::now())
            .await
            .unwrap()
            .err()
            .expect("busy");
        let msg = busy.to_string();
        assert!(
            msg.starts_with("a sync of main is already running (run "),
            "{msg}"
        );
        // Other accounts are independent.
        let other = s
            .locks()
            .try_take("fbe", "b:2", Utc::now())
            .await
            .unwrap()
            .expect("fbe free");
        other.release().await.unwrap();
        lock.release().await.unwrap();
        let again = s
            .locks()
            .try_take("main", "b:2", Utc::now())
            .await
            .unwrap()
            .expect("released");
        again.release().await.unwrap();
    }
}

#[tokio::test]
async fn search_folds_diacritics_filters_and_pages_by_keyset() {
    for db in TestDb::all().await {
        let s = &db.store;
        let mut offers: Vec<Offer> = (1..=250)
            .map(|i| offer(i, &format!("Produs generic {i:03}"), "5.0000"))
            .collect();
        offers[9].name = Some("Lampă LED birou, cu încărcare".into());
        offers[12].name = Some("Cablu USB-C, 2 m".into());
        offers[10].general_stock = Some(0);
        offers[11].status = Some(OfferStatus::Inactive);
        s.offers()
            .write("main", None, &offers, Utc::now())
            .await
            .unwrap();

        for needle in [
            "lampa",
            "LAMPĂ",
            "incarcare",
            "PN-10",
            "5940000000010",
            "la",
            "birou lampa",
        ] {
            let q = ProductQuery {
                text: Some(needle.into()),
                ..Default::default()
            };
            let rows = s.search().products(&q, None, 50).await.unwrap();
            assert!(
                rows.iter().any(|r| r.id == 10),
                "{}: {needle:?} should find offer 10",
                db.label
            );
        }
        // Every word must be there, in any order; a word may end inside a word of the name.
        for (needle, want) in [
            ("usb c", vec![13]),
            ("cablu 2 m", vec![13]),
            ("usb lampa", vec![]),
        ] {
            let q = ProductQuery {
                text: Some(needle.into()),
                ..Default::default()
            };
            let rows = s.search().products(&q, None, 50).await.unwrap();
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            assert_eq!(ids, want, "{}: {needle:?}", db.label);
            assert_eq!(s.search().count(&q).await.unwrap(), want.len() as i64);
        }
        let q = ProductQuery {
            text: Some("100%_x".into()),
            ..Default::default()
        };
        assert!(
            s.search().products(&q, None, 10).await.unwrap().is_empty(),
            "wildcards are literal"
        );

        let zero = ProductQuery {
            stock: Some(StockFilter::Zero),
            ..Default::default()
        };
        assert_eq!(s.search().count(&zero).await.unwrap(), 1);
        let inactive = ProductQuery {
            status: Some(StatusFilter::Inactive),
            ..Default::default()
        };
        assert_eq!(s.search().count(&inactive).await.unwrap(), 1);

        for (sort, descending) in [
            (SortKey::Name, false),
            (SortKey::Price, true),
            (SortKey::Id, false),
            (SortKey::Stock, false),
        ] {
            let q = ProductQuery {
                sort,
                descending,
                ..Default::default()
            };
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let page = s.search().products(&q, cursor.as_ref(), 40).await.unwrap();
                if page.is_empty() {
                    break;
                }
                cursor = Some(page.last().unwrap().cursor(sort));
                seen.extend(page.iter().map(|r| r.id));
            }
            let mut sorted = seen.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(
                sorted.len(),
                250,
                "{} {sort:?}: keyset paging visits every row once",
                db.label
            );
            assert_eq!(seen.len(), 250);
        }
    }
}

/// Offers of two accounts whose names, prices, statuses, stocks and ranks repeat and tie, a
/// few without a name or price, three missing.
async fn write_search_fixture(s: &magsync::store::Store) {
    let names = [
        "Lampă de birou LED",
        "Cablu USB-C 2m",
        "cablu usb.c",
        "Husă laptop (lampa)",
        "Suport monitor",
        "Zzz",
    ];
    let mut main = Vec::new();
    let mut fbe = Vec::new();
    for i in 1..=120i64 {
        let mut o = offer(i, names[(i % 6) as usize], &format!("{}.5000", i % 17));
        match i % 11 {
            0 => o.name = None,
            1 => o.sale_price = None,
            _ => {}
        }
        o.status = Some(OfferStatus::from_code([1, 1, 0, 2][(i % 4) as usize]));
        o.general_stock = [None, Some(0), Some(3), Some(40)][(i % 4) as usize];
        o.buy_button_rank = (i % 3 != 0).then_some((i % 5) as i32);
        if i % 2 == 0 {
            main.push(o)
        } else {
            fbe.push(o)
        }
    }
    let t0 = Utc::now() - Duration::hours(5);
    for (k, chunk) in main.chunks(20).enumerate() {
        s.offers()
            .write("main", None, chunk, t0 + Duration::minutes(k as i64))
            .await
            .unwrap();
    }
    s.offers().write("fbe", None, &fbe, t0).await.unwrap();
    s.offers()
        .mark_missing("fbe", None, &[5, 15, 25], Utc::now())
        .await
        .unwrap();
}

/// Queries of every sort key in both directions, with and without text, under each filter.
fn search_matrix() -> Vec<ProductQuery> {
    let texts = [
        None,
        Some("lampa"),
        Some("usb c"),
        Some("cab"),
        Some("pn-1"),
        Some("u"),
        Some("%%"),
    ];
    let filters = [
        ProductQuery::default(),
        ProductQuery {
            account: Some("fbe".into()),
            ..Default::default()
        },
        ProductQuery {
            status: Some(StatusFilter::Active),
            stock: Some(StockFilter::Low),
            ..Default::default()
        },
        ProductQuery {
            status: Some(StatusFilter::Missing),
            ..Default::default()
        },
        ProductQuery {
            stock: Some(StockFilter::Zero),
            ..Default::default()
        },
        ProductQuery {
            status: Some(StatusFilter::Eol),
            ..Default::default()
        },
        ProductQuery {
            account: Some("main".into()),
            status: Some(StatusFilter::Inactive),
            stock: Some(StockFilter::Low),
            ..Default::default()
        },
        ProductQuery {
            status: Some(StatusFilter::Active),
            ..Default::default()
        },
        ProductQuery {
            status: Some(StatusFilter::Inactive),
            ..Default::default()
        },
        ProductQuery {
            account: Some("fbe".into()),
            status: Some(StatusFilter::Active),
            ..Default::default()
        },
    ];
    let mut queries = Vec::new();
    for text in texts {
        for f in &filters {
            for &sort in SortKey::ALL {
                for descending in [false, true] {
                    queries.push(ProductQuery {
                        text: text.map(str::to_string),
                        sort,
                        descending,
                        ..f.clone()
                    });
                }
            }
        }
    }
    queries
}

/// Pages through `q` in SQL (the CLI's search), 9 rows a page, and compares with the unpaged
/// export; then the count.
async fn assert_pages_match_export(db: &TestDb, q: &ProductQuery) {
    let s = &db.store;
    let mut want = Vec::new();
    s.search()
        .export::<sqlx::Error, _>(q, |o| {
            want.push((o.account, o.offer.id));
            Ok(())
        })
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut cursor = None;
    loop {
        let page = s.search().products(q, cursor.as_ref(), 9).await.unwrap();
        got.extend(page.iter().map(|r| (r.account.clone(), r.id)));
        match page.last() {
            Some(_) if got.len() > want.len() => break,
            Some(r) if page.len() == 9 => cursor = Some(r.cursor(q.sort)),
            _ => break,
        }
    }
    assert_eq!(got, want, "{} {q:?}", db.label);
    assert_eq!(
        s.search().count(q).await.unwrap(),
        want.len() as i64,
        "{} count {q:?}",
        db.label
    );
}

/// The CLI's SQL pages through exactly what one unpaged query (the export's) returns, in the
/// same order, for every sort key, direction, filter and text of the matrix.
#[tokio::test]
async fn sql_pages_like_one_sorted_query() {
    for db in TestDb::all().await {
        write_search_fixture(&db.store).await;
        for q in search_matrix() {
            assert_pages_match_export(&db, &q).await;
        }
    }
}

#[tokio::test]
async fn migrations_are_idempotent() {
    for db in TestDb::all().await {
        db.store.migrate().await.unwrap();
        db.store.migrate().await.unwrap();
        let reopened = magsync::store::Store::open(&db.url).await.unwrap();
        assert_eq!(reopened.backend(), db.store.backend());
    }
}

#[tokio::test]
async fn planner_statistics_cover_the_search_columns_once_the_store_is_big() {
    for db in TestDb::all().await {
        let s = &db.store;
        let stats = match db.label {
            "sqlite" => "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'",
            _ => {
                "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'offers' \
                 AND attname IN ('search_text', 'general_stock', 'sale_price')"
            }
        };
        let now = Utc::now();
        let batch = |from: i64, n: i64| -> Vec<Offer> {
            (from..from + n)
                .map(|i| offer(i, &format!("Fierbător {i}"), "10.0000"))
                .collect()
        };
        s.offers()
            .write("main", None, &batch(1, 500), now)
            .await
            .unwrap();
        s.optimize().await;
        // A small store is left alone: statistics taken there mislead the planner later.
        assert_eq!(db.scalar(stats).await, 0, "{}", db.label);

        for from in (501..=10_000).step_by(2_500) {
            s.offers()
                .write("main", None, &batch(from, 2_500), now)
                .await
                .unwrap();
        }
        s.optimize().await;
        match db.label {
            "sqlite" => assert!(
                db.scalar("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'offers'")
                    .await
                    > 0
            ),
            _ => {
                assert_eq!(db.scalar(stats).await, 3, "postgres");
                // The raw JSON is not sampled (that would detoast every sampled row).
                assert_eq!(
                    db.scalar(
                        "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'offers' AND attname = 'raw'"
                    )
                    .await,
                    0
                );
            }
        }
    }
}
