//! Dashboard benchmark: 1 000 000 offers in a SQLite store.
//!
//! `cargo run --release --example bench_tui [-- OFFERS]`
//!
//! Prints search-to-first-rows latency (p50/p95) over varied queries as the Products tab runs
//! them (first keyset page of 200 rows, the count separately, as the tab shows "~" until it
//! lands), and the render time per tab at 120×40 with `TestBackend`. Figures, not pass/fail.

use chrono::Utc;
use magsync::model::Offer;
use magsync::store::Store;
use magsync::store::search::{ProductQuery, SortKey, StatusFilter, StockFilter};
use magsync::tui::app::{PAGE_ROWS, Tab};
use magsync::tui::{fixture, views};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const PRODUCTS: &[&str] = &[
    "Lampă de birou",
    "Cablu USB-C",
    "Husă laptop",
    "Mouse wireless",
    "Suport monitor",
    "Căști audio",
    "Tastatură mecanică",
    "Boxă portabilă",
    "Încărcător rapid",
    "Hub USB",
];
const BRANDS: &[&str] = &[
    "Bosch", "Arctic", "Lumina", "Philips", "Xiaomi", "Logitech", "Anker", "Trust",
];
const COLOURS: &[&str] = &["negru", "alb", "gri", "roșu", "albastru", "verde"];

fn offer(i: i64) -> Offer {
    let r = (i.wrapping_mul(2_654_435_761)) & 0x7fff_ffff;
    let product = PRODUCTS[(r % PRODUCTS.len() as i64) as usize];
    let brand = BRANDS[((r / 7) % BRANDS.len() as i64) as usize];
    let colour = COLOURS[((r / 11) % COLOURS.len() as i64) as usize];
    let pn = format!("{}-{:06}", &brand[..3].to_uppercase(), i);
    Offer {
        id: i,
        part_number: Some(pn.clone()),
        part_number_key: Some(format!("D{:08X}", r)),
        name: Some(format!("{product} {brand} {pn}, {colour}")),
        brand: Some(brand.into()),
        eans: vec![format!("594{:010}", r % 10_000_000_000)],
        sale_price: Some(Decimal::new(500 + r % 200_000, 2)),
        currency: Some("RON".into()),
        status: Some(if r % 10 == 0 { 0 } else { 1 }),
        general_stock: Some((r % 50) as i32),
        buy_button_rank: Some((r % 5 + 1) as i32),
        validation_status: Some(9),
        offer_validation_status: Some(1),
        raw: serde_json::json!({"id": i, "part_number": pn}).into(),
        ..Default::default()
    }
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::open(&url).await?;

    let t = Instant::now();
    let batch = 2_000;
    let now = Utc::now();
    let mut i = 0;
    while i < n {
        let offers: Vec<Offer> = (i..(i + batch).min(n)).map(offer).collect();
        let account = if i < n / 2 { "main" } else { "fbe" };
        store.write_offers(account, None, &offers, now).await?;
        i += batch;
    }
    println!(
        "inserted {n} offers in {:.1} s ({:.0} offers/s)",
        t.elapsed().as_secs_f64(),
        n as f64 / t.elapsed().as_secs_f64()
    );

    let q = |text: Option<&str>| ProductQuery {
        text: text.map(str::to_string),
        ..ProductQuery::default()
    };
    let queries: Vec<(&str, ProductQuery)> = vec![
        ("no filter, sort name", q(None)),
        ("text 'lamp'", q(Some("lamp"))),
        ("text 'bosch'", q(Some("bosch"))),
        (
            "text 'lampa bosch' (phrase)",
            q(Some("lampa de birou bosch")),
        ),
        ("part number 'ARC-000123'", q(Some("ARC-000123"))),
        ("EAN fragment '5940000'", q(Some("5940000"))),
        ("text 'zzzz' (no match)", q(Some("zzzz"))),
        ("2 chars 'ab' (LIKE scan)", q(Some("ab"))),
        (
            "sort price ↓",
            ProductQuery {
                sort: SortKey::Price,
                descending: true,
                ..q(None)
            },
        ),
        (
            "sort stock, account fbe",
            ProductQuery {
                sort: SortKey::Stock,
                account: Some("fbe".into()),
                ..q(None)
            },
        ),
        (
            "status inactive + stock low",
            ProductQuery {
                status: Some(StatusFilter::Inactive),
                stock: Some(StockFilter::Low),
                ..q(None)
            },
        ),
        (
            "text 'cablu' + active, sort rank",
            ProductQuery {
                status: Some(StatusFilter::Active),
                sort: SortKey::Rank,
                ..q(Some("cablu"))
            },
        ),
    ];
    println!("\nsearch-to-first-rows ({PAGE_ROWS} rows, keyset page 1), 20 runs each:");
    let mut all = Vec::new();
    for (label, query) in &queries {
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let rows = store.search_products(query, None, PAGE_ROWS).await?;
            times.push(t.elapsed());
            std::hint::black_box(rows);
        }
        // Page 50 via the keyset cursor costs what page 1 does.
        let mut after = None;
        let t = Instant::now();
        for _ in 0..50 {
            let rows = store
                .search_products(query, after.as_ref(), PAGE_ROWS)
                .await?;
            match rows.last() {
                Some(r) => after = Some(r.cursor(query.sort)),
                None => break,
            }
        }
        let deep = t.elapsed() / 50;
        let t = Instant::now();
        let count = store.count_products(query).await?;
        let count_t = t.elapsed();
        println!(
            "  {label:<34} p50 {:>9}  p95 {:>9}  | next pages {:>9}/page | count {count:>8} in {}",
            ms(pct(times.clone(), 0.5)),
            ms(pct(times.clone(), 0.95)),
            ms(deep),
            ms(count_t)
        );
        all.extend(times);
    }
    println!(
        "  ALL QUERIES                        p50 {:>9}  p95 {:>9}",
        ms(pct(all.clone(), 0.5)),
        ms(pct(all, 0.95))
    );

    // Render time per tab, on state shaped like the real thing: a full products page, a long
    // log, a long history.
    let mut app = fixture::app();
    app.products.rows = store
        .search_products(&q(Some("lamp")), None, PAGE_ROWS)
        .await?;
    let ev = app.log.events[0].clone();
    app.log.events = (0..5_000)
        .map(|i| magsync::model::SyncEvent {
            id: i,
            message: format!("page {i}: 100 offers (0 new, 2 changed, 98 unchanged)"),
            ..ev.clone()
        })
        .collect();
    let run = app.history.runs[1].clone();
    app.history.runs = (0..500)
        .map(|i| magsync::model::SyncRun {
            id: 1000 - i,
            ..run.clone()
        })
        .collect();
    app.size = (120, 40);
    println!("\nrender per tab at 120×40 (TestBackend, 500 frames):");
    let mut term = Terminal::new(TestBackend::new(120, 40))?;
    for tab in Tab::ALL {
        app.tab = tab;
        let mut times = Vec::new();
        for _ in 0..500 {
            let t = Instant::now();
            term.draw(|f| views::draw(f, &app))?;
            times.push(t.elapsed());
        }
        println!(
            "  {:<12} p50 {:>9}  p95 {:>9}",
            tab.title(),
            ms(pct(times.clone(), 0.5)),
            ms(pct(times, 0.95))
        );
    }
    store.close().await;
    Ok(())
}
