//! The dashboard's product index on SQLite and Postgres: its pages against a brute-force
//! filter and sort of the exported offers while offers are written, the one meaning of a
//! search (also in the CLI's SQL), another process's writes, and a store of the previous
//! schema migrated to the revisions.

use crate::emag_support::{sim_config, start};
use chrono::{DateTime, Duration, Utc};
use magsync::index::SharedIndex;
use magsync::model::Money;
use magsync::model::Offer;
use magsync::model::OfferStatus;
use magsync::model::search::{
    Cursor, LOW_STOCK, ProductQuery, SortKey, SortValue, StatusFilter, StockFilter, fold_search,
    matches_words, query_words, search_text,
};
use magsync::store::offers::StoredOffer;
use magsync::testing::TestDb;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;

const NAMES: &[&str] = &[
    "Lampă de birou LED",
    "Cablu USB-C 2m",
    "cablu usb.c",
    "Husă laptop (lampa)",
    "Fierbător Heinner HEI-45",
    "Zzz",
    "lampa",
];
const PART_NUMBERS: &[&str] = &["HEI-45", "PN-1", "usb.c", "X_1%", "A/B 2"];
const WORDS: &[&str] = &[
    "lampa",
    "usb c",
    "hei45",
    "hei-45",
    "45",
    "317599",
    "1",
    "%",
    "_",
    "cab led",
    "ă",
    "zz",
    "(lampa)",
    "b2",
    "11851",
    "1185",
    "usbc",
    "ab",
    "x1",
    "pn1 lampa",
    "c2m",
];

/// An offer whose raw JSON follows its fields, so every change is a change to the store.
fn random_offer(rng: &mut StdRng, id: i64) -> Offer {
    let name = (rng.random_range(0..10) > 0).then(|| NAMES[rng.random_range(0..NAMES.len())]);
    let pn = (rng.random_range(0..6) > 0)
        .then(|| PART_NUMBERS[rng.random_range(0..PART_NUMBERS.len())].to_string());
    let price =
        (rng.random_range(0..8) > 0).then(|| Decimal::new(rng.random_range(0..5) * 12_345, 4));
    let ean = format!("59400{:03}317599", rng.random_range(0..3));
    let o = Offer {
        id,
        name: name.map(str::to_string),
        part_number: pn,
        part_number_key: Some(format!("D{:04}BK", rng.random_range(0..50))),
        eans: if rng.random_bool(0.7) {
            vec![ean]
        } else {
            vec![]
        },
        sale_price: price,
        status: [None, Some(0), Some(1), Some(1), Some(2)][rng.random_range(0..5)]
            .map(OfferStatus::from),
        general_stock: [None, Some(0), Some(3), Some(LOW_STOCK), Some(40)][rng.random_range(0..5)],
        buy_button_rank: [None, Some(1), Some(2), Some(7)][rng.random_range(0..4)],
        ..Default::default()
    };
    let raw = json!({
        "id": o.id, "name": o.name, "part_number": o.part_number, "pnk": o.part_number_key,
        "eans": o.eans, "price": o.sale_price.map(|p| p.to_string()), "status": o.status,
        "stock": o.general_stock, "rank": o.buy_button_rank,
    });
    Offer {
        raw: raw.into(),
        ..o
    }
}

fn random_query(rng: &mut StdRng, accounts: &[&str]) -> ProductQuery {
    let n_words = rng.random_range(0..3);
    let text = (n_words > 0).then(|| {
        (0..n_words)
            .map(|_| WORDS[rng.random_range(0..WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    });
    ProductQuery {
        text,
        account: rng
            .random_bool(0.3)
            .then(|| accounts[rng.random_range(0..accounts.len())].to_string()),
        status: [
            None,
            None,
            Some(StatusFilter::Active),
            Some(StatusFilter::Inactive),
            Some(StatusFilter::Eol),
            Some(StatusFilter::Missing),
        ][rng.random_range(0..6)],
        stock: [None, None, Some(StockFilter::Zero), Some(StockFilter::Low)]
            [rng.random_range(0..4)],
        sort: SortKey::ALL[rng.random_range(0..SortKey::ALL.len())],
        descending: rng.random_bool(0.5),
    }
}

/// The sort value of an exported offer, as the products table sorts it.
fn sort_value(o: &StoredOffer, sort: SortKey) -> SortValue {
    let f = &o.offer;
    match sort {
        // The index sorts names and part numbers folded, as a search reads them.
        SortKey::Name => SortValue::Text(fold_search(f.name.as_deref().unwrap_or_default())),
        SortKey::Account => SortValue::Text(o.account.clone()),
        SortKey::Id => SortValue::Int(f.id),
        SortKey::PartNumber => {
            SortValue::Text(fold_search(f.part_number.as_deref().unwrap_or_default()))
        }
        SortKey::Price => SortValue::Money(Money(f.sale_price.unwrap_or(Decimal::NEGATIVE_ONE))),
        SortKey::Stock => SortValue::Int(f.general_stock.map_or(-1, i64::from)),
        SortKey::Rank => SortValue::Int(f.buy_button_rank.map_or(i64::from(i32::MAX), i64::from)),
        SortKey::Changed => SortValue::Time(o.last_changed_at),
    }
}

fn cmp_values(a: &SortValue, b: &SortValue) -> std::cmp::Ordering {
    match (a, b) {
        (SortValue::Text(x), SortValue::Text(y)) => x.cmp(y),
        (SortValue::Int(x), SortValue::Int(y)) => x.cmp(y),
        (SortValue::Money(x), SortValue::Money(y)) => x.cmp(y),
        (SortValue::Time(x), SortValue::Time(y)) => x.cmp(y),
        _ => unreachable!("one sort key, one kind of value"),
    }
}

/// What a query must return: every exported offer filtered and sorted here, without the
/// store or the index.
fn brute_force(all: &[StoredOffer], q: &ProductQuery) -> Vec<(SortValue, String, i64)> {
    let words = query_words(q.text.as_deref());
    let mut rows: Vec<(SortValue, String, i64)> = all
        .iter()
        .filter(|o| {
            let f = &o.offer;
            let live = o.missing_since.is_none();
            q.account.as_ref().is_none_or(|a| *a == o.account)
                && match q.status {
                    None => true,
                    Some(StatusFilter::Active) => live && f.status == Some(OfferStatus::Active),
                    Some(StatusFilter::Inactive) => live && f.status == Some(OfferStatus::Inactive),
                    Some(StatusFilter::Eol) => live && f.status == Some(OfferStatus::EndOfLife),
                    Some(StatusFilter::Missing) => !live,
                }
                && match q.stock {
                    None => true,
                    Some(StockFilter::Zero) => f.general_stock == Some(0),
                    Some(StockFilter::Low) => f
                        .general_stock
                        .is_some_and(|s| (1..=LOW_STOCK).contains(&s)),
                }
                && matches_words(&search_text(f), f.id, &words)
        })
        .map(|o| (sort_value(o, q.sort), o.account.clone(), o.offer.id))
        .collect();
    rows.sort_by(|a, b| {
        cmp_values(&a.0, &b.0)
            .then_with(|| a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    if q.descending {
        rows.reverse();
    }
    rows
}

async fn export_all(db: &TestDb) -> Vec<StoredOffer> {
    let mut all = Vec::new();
    db.store
        .search()
        .export::<sqlx::Error, _>(&ProductQuery::default(), |o| {
            all.push(o);
            Ok(())
        })
        .await
        .unwrap();
    all
}

/// Random catalogues of three accounts, random queries (words, filters, sorts, directions,
/// page sizes, cursors anywhere), and writes between them (changed, new and missing offers):
/// every page of the index equals the brute-force answer after the same cursor, its count the
/// brute-force count, and the CLI's SQL selects the same set.
#[tokio::test]
async fn every_index_page_equals_a_brute_force_sort_of_the_exported_offers() {
    let accounts = ["main", "fbe", "b"];
    for db in TestDb::all().await {
        for seed in 0..3u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let index = SharedIndex::new();
            let t0 = Utc::now() - Duration::hours(3);
            for (k, account) in accounts.iter().enumerate() {
                let offers: Vec<Offer> = (1..=40 + 10 * k as i64)
                    .map(|id| random_offer(&mut rng, id))
                    .collect();
                db.store
                    .offers()
                    .write(account, None, &offers, t0 + Duration::seconds(k as i64))
                    .await
                    .unwrap();
            }
            for round in 0..6 {
                let all = export_all(&db).await;
                for _ in 0..25 {
                    let q = random_query(&mut rng, &accounts);
                    let want = brute_force(&all, &q);
                    // Start after a random row of the answer (or from the top).
                    let start = rng.random_range(0..=want.len());
                    let cursor = (start > 0).then(|| {
                        let (value, account, id) = want[start - 1].clone();
                        Cursor { value, account, id }
                    });
                    let limit = rng.random_range(1..8);
                    let page = index
                        .search(&db.store, &q, cursor.as_ref(), limit)
                        .await
                        .unwrap();
                    let got: Vec<(String, i64)> =
                        page.iter().map(|r| (r.account.clone(), r.id)).collect();
                    let expected: Vec<(String, i64)> = want[start..]
                        .iter()
                        .take(limit as usize)
                        .map(|(_, a, id)| (a.clone(), *id))
                        .collect();
                    assert_eq!(
                        got, expected,
                        "{} seed {seed} round {round}: {q:?}",
                        db.label
                    );
                    // The next page follows from the last row's own cursor.
                    if let Some(last) = page.last() {
                        let next = index
                            .search(&db.store, &q, Some(&last.cursor(q.sort)), limit)
                            .await
                            .unwrap();
                        let next: Vec<(String, i64)> =
                            next.iter().map(|r| (r.account.clone(), r.id)).collect();
                        let want_next: Vec<(String, i64)> = want[start + got.len()..]
                            .iter()
                            .take(limit as usize)
                            .map(|(_, a, id)| (a.clone(), *id))
                            .collect();
                        assert_eq!(next, want_next, "{} next page: {q:?}", db.label);
                    }
                    assert_eq!(
                        index.count(&db.store, &q).await.unwrap(),
                        want.len() as i64,
                        "{} count: {q:?}",
                        db.label
                    );
                    let mut sql = Vec::new();
                    db.store
                        .search()
                        .export::<sqlx::Error, _>(&q, |o| {
                            sql.push((o.account, o.offer.id));
                            Ok(())
                        })
                        .await
                        .unwrap();
                    sql.sort();
                    let mut set: Vec<(String, i64)> =
                        want.iter().map(|(_, a, id)| (a.clone(), *id)).collect();
                    set.sort();
                    assert_eq!(sql, set, "{} the CLI's set: {q:?}", db.label);
                    assert_eq!(
                        db.store.search().count(&q).await.unwrap(),
                        want.len() as i64,
                        "{} the CLI's count: {q:?}",
                        db.label
                    );
                }
                // Writes between rounds: changed offers, new ones, some marked missing.
                let account = accounts[rng.random_range(0..accounts.len())];
                let now = t0 + Duration::minutes(10 * (round + 1));
                let offers: Vec<Offer> = (0..rng.random_range(1..15))
                    .map(|_| {
                        let id = rng.random_range(1..70);
                        random_offer(&mut rng, id)
                    })
                    .collect();
                db.store
                    .offers()
                    .write(account, None, &offers, now)
                    .await
                    .unwrap();
                let gone: Vec<i64> = (0..3).map(|_| rng.random_range(1..70)).collect();
                db.store
                    .offers()
                    .mark_missing(account, None, &gone, now)
                    .await
                    .unwrap();
            }
        }
    }
}

/// The tail of an EAN, an offer id and a part number typed without its dash are found on both
/// stores, by the dashboard's index and by the CLI's SQL alike.
#[tokio::test]
async fn a_search_finds_an_ean_tail_an_offer_id_and_a_code_without_punctuation() {
    for db in TestDb::all().await {
        let mut rng = StdRng::seed_from_u64(7);
        let mut kettle = random_offer(&mut rng, 11851);
        kettle.name = Some("Fierbător electric Heinner".into());
        kettle.part_number = Some("HEI-45".into());
        kettle.eans = vec!["5940000317599".into()];
        kettle.raw = json!({"id": 11851, "kettle": true}).into();
        let mut other = random_offer(&mut rng, 2);
        other.name = Some("Cablu".into());
        other.part_number = Some("CB-1".into());
        other.eans = vec!["5940000000002".into()];
        other.raw = json!({"id": 2, "cable": true}).into();
        db.store
            .offers()
            .write("main", None, &[kettle, other], Utc::now())
            .await
            .unwrap();
        let index = SharedIndex::new();
        for text in [
            "317599",
            "11851",
            "hei45",
            "HEI-45",
            "fierbator hei45",
            "Fierbător",
        ] {
            let q = ProductQuery {
                text: Some(text.into()),
                ..Default::default()
            };
            let ids: Vec<i64> = index
                .search(&db.store, &q, None, 10)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect();
            assert_eq!(ids, [11851], "{} index: {text:?}", db.label);
            let ids: Vec<i64> = db
                .store
                .search()
                .products(&q, None, 10)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect();
            assert_eq!(ids, [11851], "{} SQL: {text:?}", db.label);
        }
        // Punctuation is removed from the offer's codes, not from the query's words.
        let q = ProductQuery {
            text: Some("hei4-5".into()),
            ..Default::default()
        };
        assert_eq!(index.count(&db.store, &q).await.unwrap(), 0, "{}", db.label);
        assert_eq!(
            db.store.search().count(&q).await.unwrap(),
            0,
            "{}",
            db.label
        );
    }
}

/// A sync in another process writes offers of an account the dashboard already shows: the
/// dashboard's next search and header counts show them, read by revision (no rebuild).
#[tokio::test]
async fn offers_another_process_writes_show_in_the_index_and_its_counts() {
    for db in TestDb::all().await {
        let mut rng = StdRng::seed_from_u64(3);
        let before: Vec<Offer> = (900_001..=900_005)
            .map(|id| random_offer(&mut rng, id))
            .collect();
        db.store
            .offers()
            .write("main", None, &before, Utc::now())
            .await
            .unwrap();
        let index = SharedIndex::new();
        let counts = index.account_counts(&db.store).await.unwrap();
        assert_eq!(counts.len(), 1, "{}", db.label);
        assert_eq!(counts[0].1.offers, 5, "{}", db.label);

        let h = start(sim_config(&[("main", 120)])).await;
        let dir = tempfile::tempdir().unwrap();
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_magsync"))
            .args(["--database-url", &db.url, "sync", "--account", "main"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC_CONFIG_DIR", dir.path().join("config"))
            .env("MAGSYNC_DATA_DIR", dir.path().join("data"))
            .env("EMAG_MAIN_USERNAME", "main")
            .env("EMAG_MAIN_PASSWORD", "demo")
            .env("EMAG_MAIN_BASE_URL", h.base_url())
            .output()
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            db.label,
            String::from_utf8_lossy(&out.stderr)
        );

        let all = export_all(&db).await;
        let stored = all.iter().filter(|o| o.missing_since.is_none()).count() as i64;
        assert!(stored > 5, "{}: {stored}", db.label);
        let counts = index.account_counts(&db.store).await.unwrap();
        assert_eq!(counts[0].1.offers, all.len() as i64, "{}", db.label);
        let active = all
            .iter()
            .filter(|o| o.missing_since.is_none() && o.offer.status == Some(OfferStatus::Active))
            .count() as i64;
        assert_eq!(counts[0].1.active, active, "{}", db.label);
        let q = ProductQuery {
            sort: SortKey::Id,
            ..Default::default()
        };
        let first = index.search(&db.store, &q, None, 3).await.unwrap();
        let want = brute_force(&all, &q);
        let want: Vec<i64> = want.iter().take(3).map(|(_, _, id)| *id).collect();
        assert_eq!(
            first.iter().map(|r| r.id).collect::<Vec<_>>(),
            want,
            "{}",
            db.label
        );
        // Nothing moved since: the next catch-up reads no offer.
        assert_eq!(index.catch_up(&db.store).await.unwrap(), 0, "{}", db.label);
    }
}

/// A store built by the release before revisions (its last migration, with offers, a run and
/// an edit written as that release wrote them) migrates keeping all of them, loses the search
/// machinery the index replaces, and is then searched and written as usual.
#[tokio::test]
async fn a_store_of_the_previous_schema_migrates_keeping_offers_runs_and_edits() {
    let mut dbs = vec![TestDb::sqlite_at(10).await];
    dbs.extend(TestDb::postgres_at(12).await);
    for db in dbs {
        let t: DateTime<Utc> = Utc::now();
        for id in 1..=30 {
            db.execute(&format!(
                "INSERT INTO offers (account, id, name, part_number, eans, raw, content_hash, \
                 search_text, first_seen_at, last_changed_at, status, general_stock) \
                 VALUES ('main', {id}, 'Fierbător {id}', 'HEI-{id}', '[\"594000031759{}\"]', \
                 '{{\"id\": {id}}}', 'h{id}', 'fierbator {id} \u{1f} hei-{id}', '{t}', '{t}', 1, {})",
                id % 10,
                id % 3,
                t = t.to_rfc3339(),
            ))
            .await;
        }
        db.execute(&format!(
            "INSERT INTO sync_runs (account, mode, trigger, status, options, started_at, \
             heartbeat_at) VALUES ('main', 'full', 'manual', 'completed', '{{}}', '{t}', '{t}')",
            t = t.to_rfc3339()
        ))
        .await;
        db.execute(&format!(
            "INSERT INTO pending_edits (account, offer_id, part_number, stock, base_stock, \
             created_at, edited_at, state, updated_at) \
             VALUES ('main', 3, 'HEI-3', 9, 0, '{t}', '{t}', 'pending', '{t}')",
            t = t.to_rfc3339()
        ))
        .await;
        db.store.migrate().await.unwrap();

        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM offers").await,
            30,
            "{}",
            db.label
        );
        assert_eq!(db.scalar("SELECT COUNT(*) FROM sync_runs").await, 1);
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM pending_edits WHERE offer_id = 3 AND stock = 9")
                .await,
            1
        );
        let leftovers = match db.label {
            "sqlite" => "SELECT COUNT(*) FROM sqlite_schema WHERE name LIKE 'offers_fts%'",
            _ => {
                "SELECT (SELECT COUNT(*) FROM pg_trigger WHERE tgname LIKE 'offer_versions%') \
                 + (SELECT COUNT(*) FROM pg_tables WHERE tablename IN ('offer_versions', 'offer_writes'))"
            }
        };
        assert_eq!(db.scalar(leftovers).await, 0, "{}", db.label);

        let index = SharedIndex::new();
        let q = ProductQuery {
            text: Some("hei7".into()),
            ..Default::default()
        };
        let ids: Vec<i64> = index
            .search(&db.store, &q, None, 10)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, [7], "{}", db.label);
        // The offers written after the migration reach the index by their revision.
        let mut rng = StdRng::seed_from_u64(1);
        let mut kettle = random_offer(&mut rng, 7);
        kettle.name = Some("Ceainic".into());
        kettle.raw = json!({"id": 7, "renamed": true}).into();
        db.store
            .offers()
            .write("main", None, &[kettle], Utc::now())
            .await
            .unwrap();
        let q = ProductQuery {
            text: Some("ceainic".into()),
            ..Default::default()
        };
        assert_eq!(index.count(&db.store, &q).await.unwrap(), 1, "{}", db.label);
        let counts = index.account_counts(&db.store).await.unwrap();
        assert_eq!(counts[0].1.offers, 30, "{}", db.label);
    }
}
