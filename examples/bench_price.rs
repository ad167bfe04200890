//! Price history and buy-button list at scale: `cargo run --release --example bench_price -- [N]`.
//! Fills SQLite and (if reachable) Postgres with N offers (default 1 000 000) through the sync's
//! write path, adds four older history points per offer over 90 days and a last sync in which
//! 1 % of the offers lost the buy button, then prints p50/p95/max of reading one offer's 90-day
//! history (500 random offers) and of the losing list (`magsync buybox --losing`, 20 runs).

use chrono::{Duration as Days, Utc};
use magsync::model::Offer;
use magsync::model::OfferStatus;
use magsync::price::{BuyboxOptions, Window, buybox};
use magsync::store::Store;
use magsync::testing::TestDb;
use rust_decimal::Decimal;
use serde_json::json;
use std::time::{Duration, Instant};

fn offer(id: i64, rank: i32) -> Offer {
    let price = Decimal::new(10_000 + (id * 7919) % 900_000, 2);
    Offer {
        id,
        part_number: Some(format!("HEK-{id}")),
        name: Some(format!(
            "Fierbător electric Heinner HEK-{id}, 1.7 l, 2200 W"
        )),
        sale_price: Some(price),
        min_sale_price: Some(price / Decimal::from(2)),
        max_sale_price: Some(price * Decimal::from(2)),
        best_offer_sale_price: Some(price - Decimal::new(100, 2)),
        number_of_offers: Some(4),
        buy_button_rank: Some(rank),
        currency: Some("RON".into()),
        status: Some(OfferStatus::Active),
        general_stock: Some(23),
        raw: json!({"id": id, "sale_price": price.to_string(), "buy_button_rank": rank}).into(),
        ..Default::default()
    }
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort_unstable();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn line(what: &str, v: &mut [Duration]) {
    println!(
        "  {what:<34} p50 {:>10}  p95 {:>10}  max {:>10}  ({} runs)",
        ms(pct(v, 0.5)),
        ms(pct(v, 0.95)),
        ms(pct(v, 1.0)),
        v.len()
    );
}

/// N offers at rank 1, written as a sync writes them (each gets its first history point).
async fn fill(store: &Store, n: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut batch = Vec::with_capacity(2_000);
    for id in 1..=n {
        batch.push(offer(id, 1));
        if batch.len() == 2_000 || id == n {
            store
                .offers()
                .write("main", None, &batch, Utc::now() - Days::days(91))
                .await?;
            batch.clear();
        }
    }
    println!(
        "  filled {n} offers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn run(db: &TestDb, n: i64) -> anyhow::Result<()> {
    println!("{} · {n} offers", db.label);
    let store = &db.store;
    fill(store, n).await?;
    // Four older points per offer over 90 days, a different price each time: written in bulk
    // (the sync's path would take minutes per pass at 1M and measures nothing new here).
    let started = Instant::now();
    for (k, days) in [80i64, 60, 30, 10].into_iter().enumerate() {
        store
            .history()
            .bench_points(
                "main",
                Utc::now() - Days::days(days),
                Decimal::from(k as i64 + 1),
            )
            .await?;
    }
    println!(
        "  4 more history points per offer in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The last sync: 1 % of the offers lose the buy button.
    let run = store
        .runs()
        .create(
            "main",
            &Default::default(),
            magsync::model::Trigger::Cli,
            "bench",
            Utc::now() - Days::hours(1),
        )
        .await?
        .id;
    let losers: Vec<Offer> = (1..=n)
        .filter(|id| id % 100 == 0)
        .map(|id| {
            let mut o = offer(id, 3);
            o.sale_price = o.sale_price.map(|p| p + Decimal::from(4));
            o
        })
        .collect();
    for chunk in losers.chunks(2_000) {
        store
            .offers()
            .write("main", Some(run), chunk, Utc::now())
            .await?;
    }
    store.optimize().await;

    let mut times = Vec::new();
    let mut points = 0;
    for k in 0..500i64 {
        let id = 1 + (k * 2_654_435_761) % n;
        let t = Instant::now();
        let h = store
            .history()
            .of_offer("main", id, Some(Utc::now() - Days::days(90)))
            .await?;
        times.push(t.elapsed());
        points += h.len();
    }
    line(
        &format!("one offer's 90-day history (~{} points)", points / 500),
        &mut times,
    );
    let mut times = Vec::new();
    let mut listed = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let list = buybox(
            store,
            &["main".to_string()],
            Window::LastSync,
            true,
            &BuyboxOptions::default(),
        )
        .await?;
        times.push(t.elapsed());
        listed = list.len();
    }
    line(&format!("losing list ({listed} offers)"), &mut times);
    anyhow::ensure!(listed as i64 == n / 100, "the list holds every loser");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let only = std::env::var("MAGSYNC_BENCH_DB").ok();
    if only.as_deref() != Some("postgres") {
        run(&TestDb::sqlite().await, n).await?;
    }
    if only.as_deref() != Some("sqlite")
        && let Some(db) = TestDb::postgres().await
    {
        run(&db, n).await?;
    }
    Ok(())
}
