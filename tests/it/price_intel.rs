//! Price intelligence over the simulator's moving market, on SQLite and Postgres: the buy-button
//! list of `magsync buybox` after two syncs, queueing a suggestion, history that outlives run
//! retention, the 30-day lowest price across Bulgaria's change to the euro, and Smart Deals
//! checks sharing the account's 3 requests a second with a running sync.

use crate::emag_support;
use magsync::model::OfferStatus;

use chrono::{Duration, Utc};
use emag_support::*;
use magsync::model::{RunStatus, SyncOptions, Trigger};
use magsync::price::money::lowest_price;
use magsync::sim::{Platform, SimConfig, SimHandle};
use magsync::sync::Engine;
use magsync::testing::TestDb;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Output;
use std::str::FromStr;

fn moving(offers: u64) -> SimConfig {
    SimConfig {
        competition_rate: 0.05,
        ..sim_config(&[("main", offers)])
    }
}

async fn magsync(db: &TestDb, h: &SimHandle, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_magsync"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MAGSYNC_CONFIG_DIR", dir.path().join("config"))
        .env("MAGSYNC_DATA_DIR", dir.path().join("data"))
        .env("DATABASE_URL", &db.url)
        .env("EMAG_MAIN_USERNAME", "main")
        .env("EMAG_MAIN_PASSWORD", "demo")
        .env("EMAG_MAIN_BASE_URL", h.base_url())
        .output()
        .await
        .expect("magsync runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn dec(v: &Value) -> Option<Decimal> {
    v.as_str().map(|s| Decimal::from_str(s).unwrap())
}

/// (rank, sale, best) of every listed offer of the mirror.
async fn ranks(db: &TestDb) -> BTreeMap<i64, (Option<i32>, Option<Decimal>, Option<Decimal>)> {
    mirror(db, "main")
        .await
        .into_iter()
        .map(|o| {
            (
                o.id,
                (o.buy_button_rank, o.sale_price, o.best_offer_sale_price),
            )
        })
        .collect()
}

#[tokio::test]
async fn buybox_lists_exactly_the_offers_that_lost_the_buy_button_and_queues_a_suggestion() {
    for db in TestDb::all().await {
        let h = start(moving(400)).await;
        let e = engine(&db, &h, &["main"]);
        run_ok(&e, "main", full(true)).await;
        let before = ranks(&db).await;
        run_ok(&e, "main", full(true)).await;
        let after = ranks(&db).await;
        let expected: BTreeMap<i64, Decimal> = after
            .iter()
            .filter(|(id, (rank, ..))| before[*id].0 == Some(1) && *rank != Some(1))
            .map(|(id, (_, sale, best))| (*id, sale.unwrap() - best.unwrap()))
            .collect();
        assert!(
            expected.len() >= 3,
            "[{}] the market moved: {} losers",
            db.label,
            expected.len()
        );

        let out = magsync(
            &db,
            &h,
            &["buybox", "--losing", "--json", "--account", "main"],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let listed: BTreeMap<i64, Decimal> = json["offers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                assert_eq!(o["change"], "lost");
                assert_eq!(o["rank_before"], 1);
                let (sale, best) = (
                    dec(&o["sale_price"]).unwrap(),
                    dec(&o["best_price"]).unwrap(),
                );
                let gap = dec(&o["gap"]).unwrap();
                assert_eq!(gap, sale - best);
                let pct = dec(&o["gap_percent"]).unwrap();
                assert_eq!(pct, (gap * Decimal::ONE_HUNDRED / best).round_dp(2));
                // A suggestion or its reason, never both.
                assert!(
                    o["suggested_price"].is_null() != o["reason"].is_null(),
                    "{o}"
                );
                (o["id"].as_i64().unwrap(), gap)
            })
            .collect();
        assert_eq!(
            listed, expected,
            "[{}] exactly the offers whose rank left 1",
            db.label
        );
        assert_prices_with_vat(&db, &json).await;

        // A window that holds both syncs compares each offer with its first sync: the same
        // losers, although no offer was known before the window.
        let out = magsync(
            &db,
            &h,
            &[
                "buybox",
                "--losing",
                "--json",
                "--account",
                "main",
                "--since",
                "24h",
            ],
        )
        .await;
        let json_24h: Value = serde_json::from_slice(&out.stdout).unwrap();
        let listed_24h: BTreeMap<i64, Decimal> = json_24h["offers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["id"].as_i64().unwrap(), dec(&o["gap"]).unwrap()))
            .collect();
        assert_eq!(listed_24h, expected, "[{}] --since 24h", db.label);

        // Without --losing the winners come too, after the losers; the VAT rates read above
        // are cached for the day, so this asks eMAG nothing.
        let requests = stats(&h, "main").await["requests"].as_u64().unwrap();
        let out = magsync(&db, &h, &["buybox", "--json", "--account", "main"]).await;
        assert_eq!(
            stats(&h, "main").await["requests"].as_u64().unwrap(),
            requests,
            "[{}] no vat/read within the day",
            db.label
        );
        let all: Value = serde_json::from_slice(&out.stdout).unwrap();
        let won: Vec<i64> = all["offers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["change"] == "won")
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        let expected_won: Vec<i64> = after
            .iter()
            .filter(|(id, (rank, ..))| {
                *rank == Some(1) && before.get(*id).is_some_and(|b| b.0 != Some(1))
            })
            .map(|(id, _)| *id)
            .collect();
        let mut won_sorted = won.clone();
        won_sorted.sort_unstable();
        assert_eq!(won_sorted, expected_won, "[{}]", db.label);

        // The table marks which prices carry VAT, and shows an offer's price with it.
        let out = magsync(&db, &h, &["buybox", "--losing", "--account", "main"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let table = String::from_utf8_lossy(&out.stdout);
        let header = table.lines().next().unwrap();
        assert!(
            header.contains("PRICE") && header.matches("+VAT").count() == 2,
            "{table}"
        );
        let first = &json["offers"][0];
        let row = table
            .lines()
            .find(|l| {
                l.split_whitespace().nth(1)
                    == first["id"].as_i64().map(|i| i.to_string()).as_deref()
            })
            .unwrap();
        let shown = magsync::price::money::show(dec(&first["sale_price_with_vat"]).unwrap());
        assert!(row.contains(&shown), "{shown} in {row}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("prices without VAT"),
            "{}",
            text(&out)
        );

        // Queue one suggestion: it becomes a pending edit at exactly the suggested price.
        let pick = json["offers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| !o["suggested_price"].is_null());
        if let Some(o) = pick {
            let id = o["id"].as_i64().unwrap().to_string();
            let out = magsync(
                &db,
                &h,
                &["buybox", "--losing", "--account", "main", "--queue", &id],
            )
            .await;
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            assert!(text(&out).contains("magsync push"), "{}", text(&out));
            let edit = magsync::edits::db::open_edit(&db.store, "main", o["id"].as_i64().unwrap())
                .await
                .unwrap()
                .expect("queued edit");
            assert_eq!(edit.values.sale_price, dec(&o["suggested_price"]));
        }
        // An offer without a suggestion is refused with its reason, exit 2.
        if let Some(o) = json["offers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["suggested_price"].is_null())
        {
            let id = o["id"].as_i64().unwrap().to_string();
            let out = magsync(
                &db,
                &h,
                &["buybox", "--losing", "--account", "main", "--queue", &id],
            )
            .await;
            assert_eq!(out.status.code(), Some(2), "{}", text(&out));
            assert!(text(&out).contains("no suggested price"), "{}", text(&out));
        }
        h.shutdown().await;
    }
}

/// Each listed offer of `buybox --json` carries its VAT rate (the account's `vat/read`, now
/// cached) and its sale, best and suggested prices with VAT, beside the unchanged net ones.
async fn assert_prices_with_vat(db: &TestDb, json: &Value) {
    let rates = db.store.accounts().vat_rates("main").await.unwrap();
    assert!(!rates.is_empty(), "[{}] vat/read was cached", db.label);
    for o in json["offers"].as_array().unwrap() {
        let id = o["id"].as_i64().unwrap();
        let offer = db
            .store
            .offers()
            .get("main", id)
            .await
            .unwrap()
            .unwrap()
            .offer;
        let rate = magsync::price::smart_deals::rate_percent(&rates, offer.vat_id)
            .expect("every offer's vat_id has a rate");
        assert_eq!(dec(&o["vat_percent"]), Some(rate), "{o}");
        let gross = |net: &Value| dec(net).map(|n| magsync::price::money::shelf_price(n, rate));
        assert_eq!(
            dec(&o["sale_price_with_vat"]),
            gross(&o["sale_price"]),
            "{o}"
        );
        assert_eq!(
            dec(&o["best_price_with_vat"]),
            gross(&o["best_price"]),
            "{o}"
        );
        assert_eq!(
            dec(&o["suggested_price_with_vat"]),
            gross(&o["suggested_price"]),
            "{o}"
        );
        assert!(
            dec(&o["sale_price_with_vat"]).unwrap() > dec(&o["sale_price"]).unwrap()
                || rate.is_zero()
        );
    }
}

#[tokio::test]
async fn history_keeps_one_row_per_change_and_survives_run_retention() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 150)])).await;
        let e = engine(&db, &h, &["main"]);
        run_ok(&e, "main", full(true)).await;
        // An unchanged resync writes no point.
        run_ok(&e, "main", full(true)).await;
        let id = mirror(&db, "main").await[0].id;
        let points = db.store.history().of_offer("main", id, None).await.unwrap();
        assert_eq!(points.len(), 1, "[{}] {points:?}", db.label);

        let changed = mutate(&h, "main", 20).await;
        run_ok(&e, "main", full(true)).await;
        let moved = changed[0];
        let points = db
            .store
            .history()
            .of_offer("main", moved, None)
            .await
            .unwrap();
        assert_eq!(points.len(), 2, "[{}] {points:?}", db.label);
        assert_ne!(
            (points[0].sale_price, points[0].stock),
            (points[1].sale_price, points[1].stock)
        );

        // Every run deleted: the history stays.
        let gone = db
            .store
            .runs()
            .delete_before("main", Utc::now() + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(gone, 3);
        let kept = db
            .store
            .history()
            .of_offer("main", moved, None)
            .await
            .unwrap();
        assert_eq!(kept, points, "[{}]", db.label);

        // History retention keeps the point in force at the cutoff.
        let n = db
            .store
            .history()
            .prune("main", Utc::now() + Duration::seconds(1))
            .await
            .unwrap();
        assert!(n >= 1, "[{}]", db.label);
        let left = db
            .store
            .history()
            .of_offer("main", moved, None)
            .await
            .unwrap();
        assert_eq!(left, vec![points[1].clone()], "[{}]", db.label);
        // A window read starts with the point in force when it opens.
        let window = db
            .store
            .history()
            .of_offer("main", moved, Some(Utc::now()))
            .await
            .unwrap();
        assert_eq!(window, left);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn lowest_price_of_30_days_is_right_across_the_change_to_the_euro() {
    for db in TestDb::all().await {
        let mut cfg = sim_config(&[("main", 120)]);
        cfg.bg_in_bgn = true;
        cfg.accounts[0].platform = Platform::Bg;
        let h = start(cfg).await;
        let e = engine(&db, &h, &["main"]);
        run_ok(&e, "main", full(true)).await;
        let leva = mirror(&db, "main").await;
        assert!(leva.iter().all(|o| o.currency.as_deref() == Some("BGN")));
        let converted = admin_post(&h, "currency?account=main&to=EUR", "").await;
        assert_eq!(converted["converted"], 120);
        run_ok(&e, "main", full(true)).await;
        // Prices move in euro afterwards; some go up, some down.
        mutate(&h, "main", 60).await;
        run_ok(&e, "main", full(true)).await;
        let now = Utc::now();
        let mut checked_up = 0;
        for old in &leva {
            let points = db
                .store
                .history()
                .of_offer("main", old.id, None)
                .await
                .unwrap();
            let current = points.last().unwrap();
            assert_eq!(current.currency.as_deref(), Some("EUR"), "[{}]", db.label);
            assert_eq!(points[0].currency.as_deref(), Some("BGN"));
            let low = lowest_price(&points, now, 30, "EUR").unwrap();
            let old_eur =
                magsync::price::money::convert(old.sale_price.unwrap(), "BGN", "EUR").unwrap();
            let expected = points
                .iter()
                .filter_map(|p| p.sale_price.map(|s| (s, p.currency.clone().unwrap())))
                .map(|(s, c)| magsync::price::money::convert(s, &c, "EUR").unwrap())
                .min()
                .unwrap();
            assert_eq!(low.price, expected, "[{}] offer {}", db.label, old.id);
            if current.sale_price.unwrap() > old_eur {
                // The leva price, converted at 1.95583, is the reference.
                assert_eq!(low.price, old_eur);
                assert!(low.converted);
                checked_up += 1;
            }
        }
        assert!(checked_up > 0, "[{}] some prices went up", db.label);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn smart_deals_checks_share_the_three_requests_a_second_with_a_sync() {
    let db = TestDb::sqlite().await;
    let mut cfg = moving(900);
    cfg.rps = 3;
    cfg.rpm = 0;
    let h = start(cfg).await;
    // eMAG's pace: the engine's own client timings, as the CLI uses them.
    let e = Engine::new(
        db.store.clone(),
        vec![account(&h, "main")],
        &magsync::config::Settings::default(),
    );
    let ids: Vec<i64> = catalogue(&h, "main")
        .await
        .iter()
        .take(8)
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    let sync = e
        .start("main", SyncOptions { ..full(true) }, Trigger::Cli)
        .await
        .unwrap();
    let client = e.client("main").unwrap();
    let checks = magsync::price::smart_deals::check(&client, &ids).await;
    let last = sync.done.await.unwrap();
    assert_eq!(last.status, RunStatus::Completed);
    for (id, r) in &checks {
        let d = r.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(d.target_price.unwrap() < d.current_price.unwrap() || d.eligible == Some(true));
    }
    let s = stats(&h, "main").await;
    assert_eq!(s["rate_limited"], 0, "{s}");
    assert!(
        s["max_requests_in_any_second"].as_u64().unwrap() <= 3,
        "{s}"
    );
    let rates = magsync::price::smart_deals::vat_rates(&db.store, &client, Utc::now())
        .await
        .unwrap();
    assert_eq!(rates.len(), 3);
    // Cached: a second call within the day asks nothing.
    let before = stats(&h, "main").await["requests"].as_u64().unwrap();
    magsync::price::smart_deals::vat_rates(&db.store, &client, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        stats(&h, "main").await["requests"].as_u64().unwrap(),
        before
    );
    h.shutdown().await;
}

#[tokio::test]
async fn offer_set_with_vat_takes_the_offers_vat_rate_off_and_says_so() {
    for db in TestDb::all().await {
        let h = start(sim_config(&[("main", 40)])).await;
        let e = engine(&db, &h, &["main"]);
        run_ok(&e, "main", full(true)).await;
        let o = mirror(&db, "main")
            .await
            .into_iter()
            .find(|o| o.vat_id == Some(9) && o.status == Some(OfferStatus::Active))
            .expect("an offer at the default 21 %");
        // A shelf price inside the offer's bounds: one more than its price with VAT (the
        // simulator's prices are shelf prices over 1.21, so the rounded one is no change).
        let gross = (o.sale_price.unwrap() * Decimal::new(121, 2)).round_dp(2) + Decimal::ONE;
        let id = o.id.to_string();
        let out = magsync(
            &db,
            &h,
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                &id,
                "--price",
                &gross.to_string(),
                "--with-vat",
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let net = magsync::price::money::without_vat(gross, Decimal::from(21));
        assert!(
            text(&out).contains(&format!("price {gross} with VAT 21 % is {net} without VAT")),
            "{}",
            text(&out)
        );
        let edit = magsync::edits::db::open_edit(&db.store, "main", o.id)
            .await
            .unwrap()
            .expect("queued");
        assert_eq!(edit.values.sale_price, Some(net), "[{}]", db.label);
        h.shutdown().await;
    }
}

/// The health rule: offers that lost the buy button since the last run started, against the
/// offers the last full scan listed; the count equals the mirror's own before/after.
#[tokio::test]
async fn health_warns_when_the_buy_button_is_lost_on_more_than_the_set_share() {
    use magsync::health::{self, Level};
    for db in TestDb::all().await {
        let h = start(moving(400)).await;
        let e = engine(&db, &h, &["main"]);
        run_ok(&e, "main", full(true)).await;
        let before = ranks(&db).await;
        run_ok(&e, "main", full(true)).await;
        let after = ranks(&db).await;
        let lost = after
            .iter()
            .filter(|(id, (rank, ..))| before[*id].0 == Some(1) && *rank != Some(1))
            .count();
        assert!(lost >= 3, "[{}] the market moved: {lost} losers", db.label);
        let listed = after.len();

        let mut t = magsync::config::Thresholds::defaults(&magsync::config::Schedule {
            enabled: true,
            interval_minutes: 60,
            daily_full_at: None,
        });
        let share = lost as f64 / listed as f64;
        // Just under the share: the rule warns and says how many.
        t.buybox_lost_share = share * 0.99;
        let got = health::account_health(&db.store, "main", &t, Utc::now()).await;
        assert_eq!(got.level, Level::Warning, "[{}] {got:?}", db.label);
        let f = got
            .findings
            .iter()
            .find(|f| f.check == "buybox_lost")
            .unwrap_or_else(|| panic!("[{}] no buybox_lost in {got:?}", db.label));
        assert!(
            f.message.starts_with(&format!(
                "the buy button was lost on {lost} of {listed} offers"
            )),
            "[{}] {}",
            db.label,
            f.message
        );
        let perf = got.perf.iter().find(|p| p.name == "buybox_lost").unwrap();
        assert_eq!(perf.value, lost as f64);
        // At the share itself it is allowed.
        t.buybox_lost_share = share;
        let got = health::account_health(&db.store, "main", &t, Utc::now()).await;
        assert!(
            !got.findings.iter().any(|f| f.check == "buybox_lost"),
            "[{}] {got:?}",
            db.label
        );
    }
}
