//! Dashboard benchmark: 1 000 000 offers in a store.
//!
//! `cargo run --release --example bench_tui [-- OFFERS]`
//!
//! Prints search-to-first-rows latency (p50/p95) of the query shapes the Products tab issues,
//! answered by the dashboard's product index (`magsync::index`) —
//! text of one to three words (very common, rare, no match, part numbers, EAN fragments), every
//! filter, every sort key in both directions, and combinations — as it runs them: the first
//! keyset page of 200 rows (the count runs separately; the tab shows "~" until it lands). Then
//! the next page through the cursor, the count, the render time per tab at 120×40 with
//! `TestBackend`, and both again while a sync writes pages into the same store: at the pace
//! eMAG's rate limit allows one account, then as fast as the store takes them. Then how long
//! the index takes to catch up with 10 000 changed offers, the CPU an idle dashboard's
//! once-a-second refresh of the header counts costs over `MAGSYNC_BENCH_IDLE_SECS` (60) seconds
//! (this process only; on Postgres the server's share is `pg_stat_statements`' to tell), and
//! the peak RSS of the process. Figures, not pass/fail.
//!
//! `MAGSYNC_BENCH_DB=URL` runs on that store instead of a temporary SQLite file (e.g.
//! `sqlite:///tmp/bench.db`, or `postgres://postgres@127.0.0.1/bench` after `createdb bench`);
//! offers are only inserted when the store holds fewer than OFFERS, so a kept store is reused.
//! `MAGSYNC_BENCH_SLOWEST=N` lists the N slowest query shapes instead of 5.

use chrono::{Duration as ChronoDuration, Utc};
use magsync::index::SharedIndex;
use magsync::model::search::{ProductQuery, SortKey, StatusFilter, StockFilter};
use magsync::model::{Offer, OfferStatus};
use magsync::store::Store;
use magsync::tui::app::{PAGE_ROWS, Tab};
use magsync::tui::{fixture, views};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

fn hash(i: i64) -> i64 {
    (i.wrapping_mul(2_654_435_761)) & 0x7fff_ffff
}

fn offer(i: i64, bump: i64) -> Offer {
    let r = hash(i);
    let product = PRODUCTS[(r % PRODUCTS.len() as i64) as usize];
    let brand = BRANDS[((r / 7) % BRANDS.len() as i64) as usize];
    let colour = COLOURS[((r / 11) % COLOURS.len() as i64) as usize];
    let pn = part_number(i);
    Offer {
        id: i,
        part_number: Some(pn.clone()),
        part_number_key: Some(format!("D{:08X}", r)),
        name: Some(format!("{product} {brand} {pn}, {colour}")),
        brand: Some(brand.into()),
        eans: vec![format!("594{:010}", r % 10_000_000_000)],
        sale_price: Some(Decimal::new(500 + (r + bump) % 200_000, 2)),
        currency: Some("RON".into()),
        // ~90 % active, ~9 % inactive, ~1 % end of life.
        status: Some(match r % 100 {
            0 => OfferStatus::EndOfLife,
            1..=9 => OfferStatus::Inactive,
            _ => OfferStatus::Active,
        }),
        // ~2 % out of stock, ~10 % low; independent of the status.
        general_stock: Some(((r / 13 + bump) % 50) as i32),
        // ~30 % without a buy-button rank (eMAG sends none for offers not in the race).
        buy_button_rank: (r % 10 >= 3).then_some((r % 5 + 1) as i32),
        validation_status: Some(9),
        offer_validation_status: Some(1),
        // The store tells a changed offer by its raw JSON, so what the sync below changes
        // (price, stock) is in it, as in eMAG's.
        raw: serde_json::json!({
            "id": i,
            "part_number": pn,
            "sale_price": format!("{}", Decimal::new(500 + (r + bump) % 200_000, 2)),
            "general_stock": (r / 13 + bump) % 50,
        })
        .into(),
        ..Default::default()
    }
}

fn part_number(i: i64) -> String {
    let brand = BRANDS[((hash(i) / 7) % BRANDS.len() as i64) as usize];
    format!("{}-{:06}", &brand[..3].to_uppercase(), i)
}

fn account_of(i: i64, n: i64) -> &'static str {
    if i < n / 2 { "main" } else { "fbe" }
}

fn pct(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn fill(store: &Store, n: i64) -> anyhow::Result<()> {
    let have: i64 = store
        .accounts()
        .offer_counts()
        .await?
        .iter()
        .map(|(_, c)| c.offers)
        .sum();
    if have >= n {
        println!("store already holds {have} offers");
        return Ok(());
    }
    let t = Instant::now();
    let batch = 1_000;
    // Offers arrive over a simulated month, so "last changed" has many distinct values.
    let start = Utc::now() - ChronoDuration::days(30);
    let mut i = 0;
    while i < n {
        let offers: Vec<Offer> = (i..(i + batch).min(n)).map(|i| offer(i, 0)).collect();
        let at = start + ChronoDuration::seconds(i * 2);
        store
            .offers()
            .write(account_of(i, n), None, &offers, at)
            .await?;
        i += batch;
    }
    // ~1 % no longer listed by eMAG.
    for account in ["main", "fbe"] {
        let ids: Vec<i64> = (0..n)
            .filter(|&i| account_of(i, n) == account && hash(i) % 97 == 3)
            .collect();
        store
            .offers()
            .mark_missing(account, None, &ids, Utc::now())
            .await?;
    }
    println!(
        "inserted {n} offers in {:.1} s ({:.0} offers/s)",
        t.elapsed().as_secs_f64(),
        n as f64 / t.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Clone)]
struct Case {
    text_class: &'static str,
    filter_class: &'static str,
    query: ProductQuery,
}

fn cases(n: i64) -> Vec<Case> {
    let texts: Vec<(&'static str, Option<String>)> = vec![
        ("none", None),
        ("1 char", Some("u".into())),
        ("common word", Some("usb".into())),
        ("common word", Some("lampa".into())),
        ("common word", Some("bosch".into())),
        ("2 common words", Some("lampa bosch".into())),
        ("3 words", Some("cablu usb negru".into())),
        ("no match", Some("zzzz".into())),
        ("no match", Some("lampa qqqq".into())),
        ("part number", Some(part_number(n / 3))),
        ("EAN fragment", Some("5940000".into())),
        ("rare word", Some(format!("{:06}", n / 7))),
    ];
    let filters: Vec<(&'static str, ProductQuery)> = vec![
        ("none", ProductQuery::default()),
        (
            "account",
            ProductQuery {
                account: Some("fbe".into()),
                ..Default::default()
            },
        ),
        (
            "active",
            ProductQuery {
                status: Some(StatusFilter::Active),
                ..Default::default()
            },
        ),
        (
            "inactive",
            ProductQuery {
                status: Some(StatusFilter::Inactive),
                ..Default::default()
            },
        ),
        (
            "eol",
            ProductQuery {
                status: Some(StatusFilter::Eol),
                ..Default::default()
            },
        ),
        (
            "missing",
            ProductQuery {
                status: Some(StatusFilter::Missing),
                ..Default::default()
            },
        ),
        (
            "stock zero",
            ProductQuery {
                stock: Some(StockFilter::Zero),
                ..Default::default()
            },
        ),
        (
            "stock low",
            ProductQuery {
                stock: Some(StockFilter::Low),
                ..Default::default()
            },
        ),
        (
            "combined",
            ProductQuery {
                account: Some("main".into()),
                status: Some(StatusFilter::Inactive),
                stock: Some(StockFilter::Low),
                ..Default::default()
            },
        ),
    ];
    let sorts: Vec<(SortKey, bool)> = SortKey::ALL
        .iter()
        .flat_map(|&k| [(k, false), (k, true)])
        .collect();
    let make = |t: &(&'static str, Option<String>),
                f: &(&'static str, ProductQuery),
                s: (SortKey, bool)| {
        Case {
            text_class: t.0,
            filter_class: f.0,
            query: ProductQuery {
                text: t.1.clone(),
                sort: s.0,
                descending: s.1,
                ..f.1.clone()
            },
        }
    };
    let mut out = Vec::new();
    // Every text with every sort, unfiltered; every text with every filter in the default order
    // and by price descending; then a deterministic sample of the rest of the cross product.
    for t in &texts {
        for &s in &sorts {
            out.push(make(t, &filters[0], s));
        }
        for f in &filters[1..] {
            out.push(make(t, f, (SortKey::Name, false)));
            out.push(make(t, f, (SortKey::Price, true)));
        }
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..150 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = &texts[(x % texts.len() as u64) as usize];
        let f = &filters[((x >> 8) % filters.len() as u64) as usize];
        let s = sorts[((x >> 16) % sorts.len() as u64) as usize];
        out.push(make(t, f, s));
    }
    out
}

fn describe(q: &ProductQuery) -> String {
    let mut s = format!(
        "{:?} {} {}",
        q.text.as_deref().unwrap_or(""),
        q.sort.as_str(),
        if q.descending { "desc" } else { "asc" }
    );
    if let Some(a) = &q.account {
        s += &format!(" account={a}");
    }
    if let Some(st) = q.status {
        s += &format!(" status={st:?}");
    }
    if let Some(st) = q.stock {
        s += &format!(" stock={st:?}");
    }
    s
}

struct Timings {
    first: Vec<Duration>,
    next: Vec<Duration>,
    count: Vec<Duration>,
}

/// First page (`runs` times), the page after it, and the count of one query.
async fn time_case(
    index: &SharedIndex,
    store: &Store,
    q: &ProductQuery,
    runs: usize,
) -> anyhow::Result<Timings> {
    let mut first = Vec::new();
    let mut rows = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        rows = index.search(store, q, None, PAGE_ROWS).await?;
        first.push(t.elapsed());
    }
    let mut next = Vec::new();
    if let Some(last) = rows.last() {
        let t = Instant::now();
        let more = index
            .search(store, q, Some(&last.cursor(q.sort)), PAGE_ROWS)
            .await?;
        next.push(t.elapsed());
        std::hint::black_box(more);
    }
    let t = Instant::now();
    std::hint::black_box(index.count(store, q).await?);
    let count = vec![t.elapsed()];
    Ok(Timings { first, next, count })
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

/// A line of /proc/self/status (VmHWM: peak RSS, VmRSS: now).
fn proc_status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .map(|l| l[key.len() + 1..].trim().to_string())
        .unwrap_or_default()
}

fn row(label: &str, v: &[Duration]) {
    if v.is_empty() {
        return;
    }
    println!(
        "  {label:<26} n {:>4}  p50 {:>10}  p95 {:>10}  max {:>10}",
        v.len(),
        ms(pct(v, 0.5)),
        ms(pct(v, 0.95)),
        ms(pct(v, 1.0))
    );
}

async fn run_queries(
    index: &SharedIndex,
    store: &Store,
    cases: &[Case],
    runs: usize,
) -> anyhow::Result<()> {
    let mut by_text: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut by_filter: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut by_sort: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    let (mut all, mut next, mut count) = (Vec::new(), Vec::new(), Vec::new());
    let mut worst: Vec<(Duration, String)> = Vec::new();
    for c in cases {
        let t = time_case(index, store, &c.query, runs).await?;
        by_text.entry(c.text_class).or_default().extend(&t.first);
        by_filter
            .entry(c.filter_class)
            .or_default()
            .extend(&t.first);
        let dir = if c.query.descending { "desc" } else { "asc" };
        by_sort
            .entry(format!("{} {dir}", c.query.sort.as_str()))
            .or_default()
            .extend(&t.first);
        worst.push((pct(&t.first, 0.5), describe(&c.query)));
        all.extend(&t.first);
        next.extend(t.next);
        count.extend(t.count);
    }
    println!("by text:");
    for (k, v) in &by_text {
        row(k, v);
    }
    println!("by filter:");
    for (k, v) in &by_filter {
        row(k, v);
    }
    println!("by sort:");
    for (k, v) in &by_sort {
        row(k, v);
    }
    println!("all:");
    row("FIRST ROWS (page 1)", &all);
    row("next page (keyset)", &next);
    row("count (separate)", &count);
    worst.sort_by_key(|w| std::cmp::Reverse(w.0));
    let show = std::env::var("MAGSYNC_BENCH_SLOWEST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    println!("slowest first pages (median):");
    for (d, q) in worst.iter().take(show) {
        println!("  {:>10}  {q}", ms(*d));
    }
    Ok(())
}

fn render_app(rows: Vec<magsync::store::search::ProductRow>) -> magsync::tui::app::App {
    // State shaped like the real thing: a full products page, a long log, a long history.
    let mut app = fixture::app();
    app.products.rows = rows;
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
    app
}

fn render_tabs(app: &mut magsync::tui::app::App, frames: usize) -> anyhow::Result<()> {
    let mut term = Terminal::new(TestBackend::new(120, 40))?;
    for tab in Tab::ALL {
        app.tab = tab;
        let mut times = Vec::new();
        for _ in 0..frames {
            let t = Instant::now();
            term.draw(|f| views::draw(f, app))?;
            times.push(t.elapsed());
        }
        println!(
            "  {:<12} p50 {:>9}  p95 {:>9}",
            tab.title(),
            ms(pct(&times, 0.5)),
            ms(pct(&times, 0.95))
        );
    }
    Ok(())
}

/// Rewrites 100-offer pages of `account` with changed prices and stock, as a sync that finds
/// changes does, a page per `pace` or as fast as they are written, until `stop`; counts the
/// offers written.
fn spawn_sync(
    store: Store,
    n: i64,
    pace: Option<Duration>,
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    tokio::spawn(async move {
        let mut page = 0i64;
        // New values on every run, so a kept store sees real changes (the same values as the
        // last run would be skipped as unchanged and write nothing).
        let mut bump = 1 + Utc::now().timestamp().rem_euclid(100_000);
        let mut tick = pace.map(tokio::time::interval);
        while !stop.load(Ordering::Relaxed) {
            if let Some(tick) = &mut tick {
                tick.tick().await;
            }
            let from = (page * 100) % (n / 2);
            let offers: Vec<Offer> = (from..from + 100).map(|i| offer(i, bump)).collect();
            store
                .offers()
                .write("main", None, &offers, Utc::now())
                .await?;
            written.fetch_add(100, Ordering::Relaxed);
            page += 1;
            if from + 100 >= n / 2 {
                bump += 1;
            }
        }
        Ok(())
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let url = std::env::var("MAGSYNC_BENCH_DB")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::open(&url).await?;
    println!("store: {} ({n} offers)", store.backend().name());
    fill(&store, n).await?;
    // As the end of a sync run does.
    let t = Instant::now();
    store.optimize().await;
    println!("planner statistics in {}", ms(t.elapsed()));

    let index = SharedIndex::new();
    let t = Instant::now();
    let read = index.catch_up(&store).await?;
    println!(
        "product index built from {read} offers in {} (RSS now {})",
        ms(t.elapsed()),
        proc_status("VmRSS:")
    );

    let cases = cases(n);
    println!(
        "\nsearch-to-first-rows: {} query shapes, first page of {PAGE_ROWS} rows 3× each (time per run):",
        cases.len()
    );
    run_queries(&index, &store, &cases, 3).await?;

    let mut app = render_app(
        index
            .search(
                &store,
                &ProductQuery {
                    text: Some("lampa".into()),
                    ..Default::default()
                },
                None,
                PAGE_ROWS,
            )
            .await?,
    );
    println!("\nrender per tab at 120×40 (TestBackend, 500 frames):");
    render_tabs(&mut app, 500)?;

    // While a sync runs: the same, with a task writing changed pages into the same store,
    // first at the pace eMAG's rate limit allows one account (3 requests of 100 offers a
    // second), then as fast as the store takes them (a worst case no eMAG account can cause).
    let sample: Vec<Case> = cases.iter().step_by(4).cloned().collect();
    for pace in [Some(Duration::from_millis(334)), None] {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let sync = spawn_sync(store.clone(), n, pace, stop.clone(), written.clone());
        let t = Instant::now();
        let how = match pace {
            Some(_) => "at eMAG's pace (3 pages a second)",
            None => "as fast as the store takes them",
        };
        println!("\nwhile a sync writes changed pages {how}:");
        println!("render per tab:");
        render_tabs(&mut app, 500)?;
        println!("search-to-first-rows, every 4th query shape, once each:");
        run_queries(&index, &store, &sample, 1).await?;
        stop.store(true, Ordering::Relaxed);
        sync.await??;
        println!(
            "(the sync wrote {:.0} offers/s meanwhile)",
            written.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64()
        );
    }

    // Catch-up: 10 000 offers changed by another writer, read by revision. The sync phases'
    // last pages are read first, so each round reads only its own 10 000.
    index.catch_up(&store).await?;
    let mut times = Vec::new();
    for round in 0..5 {
        let bump = 200_000 + Utc::now().timestamp().rem_euclid(100_000) + round;
        for page in 0..100 {
            let from = (round * 10_000 + page * 100) % (n / 2);
            let offers: Vec<Offer> = (from..from + 100).map(|i| offer(i, bump)).collect();
            store
                .offers()
                .write("main", None, &offers, Utc::now())
                .await?;
        }
        let t = Instant::now();
        let read = index.catch_up(&store).await?;
        times.push(t.elapsed());
        assert_eq!(read, 10_000, "every changed offer is read once");
    }
    println!(
        "
catch-up with 10 000 changed offers:"
    );
    row("catch-up", &times);

    // An idle dashboard: the header counts once a second, nothing written.
    let secs: u64 = std::env::var("MAGSYNC_BENCH_IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let accounts = vec!["main".to_string(), "fbe".to_string()];
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for _ in 0..secs {
        tick.tick().await;
        let counts = index.account_counts(&store).await?;
        std::hint::black_box(store.accounts().stats(&accounts, counts).await?);
    }
    let used = cpu_seconds() - cpu;
    println!(
        "
idle dashboard over {secs} s: {:.2} s of CPU = {:.2} % of a core",
        used,
        100.0 * used / wall.elapsed().as_secs_f64()
    );
    println!("peak RSS: {}", proc_status("VmHWM:"));
    store.close().await;
    Ok(())
}
