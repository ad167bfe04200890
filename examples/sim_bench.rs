//! Simulator benchmark: start-up time and peak memory at 1,000,000 offers per account, then
//! pages served per second over loopback with rate limiting off.
//!
//! Run with `cargo run --release --example sim_bench [OFFERS_PER_ACCOUNT] [PAGES]`.

use magsync::sim::{self, SimAccount, SimConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn run_pages(
    client: &reqwest::Client,
    base: &str,
    pages: u64,
    concurrency: u64,
    body: impl Fn(u64) -> String + Send + Sync + 'static,
) -> (f64, u64) {
    let next = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let body = Arc::new(body);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (client, next, bytes, body) =
            (client.clone(), next.clone(), bytes.clone(), body.clone());
        let user = if w % 2 == 0 { "main" } else { "fbe" };
        let url = format!("{base}/product_offer/read");
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= pages {
                    break;
                }
                let r = client
                    .post(&url)
                    .basic_auth(user, Some("demo"))
                    .body(body(i))
                    .send()
                    .await
                    .expect("send");
                assert!(r.status().is_success());
                bytes.fetch_add(
                    r.bytes().await.expect("body").len() as u64,
                    Ordering::Relaxed,
                );
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    (
        pages as f64 / t.elapsed().as_secs_f64(),
        bytes.load(Ordering::Relaxed),
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let offers: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let pages: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(4000);
    let config = SimConfig {
        accounts: vec![
            SimAccount::new("main", offers),
            SimAccount::new("fbe", offers),
        ],
        rps: 0,
        rpm: 0,
        ..SimConfig::default()
    };
    let t = Instant::now();
    let handle = sim::start(config, "127.0.0.1:0".parse()?).await?;
    let startup = t.elapsed();
    println!("offers per account:      {offers} (2 accounts)");
    println!("start-up time:           {:.3} s", startup.as_secs_f64());
    println!("peak RSS after start-up: {:.1} MiB", peak_rss_mib());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let base = handle.base_url();
    let last_page = offers.div_ceil(100).max(1);
    let spread = move |i: u64| 1 + (i.wrapping_mul(2_654_435_761) % last_page);
    let (rate, bytes) = run_pages(&client, &base, pages, 16, move |i| {
        format!(r#"{{"currentPage":{},"itemsPerPage":100}}"#, spread(i))
    })
    .await;
    println!(
        "unfiltered pages:        {pages} pages, {rate:.0} pages/s, {:.1} MiB of JSON",
        bytes as f64 / 1048576.0
    );
    let active_pages = (offers * 85 / 100).div_ceil(100).max(1);
    let spread = move |i: u64| 1 + (i.wrapping_mul(2_654_435_761) % active_pages);
    let (rate, _) = run_pages(&client, &base, pages, 16, move |i| {
        format!(
            r#"{{"status":1,"currentPage":{},"itemsPerPage":100}}"#,
            spread(i)
        )
    })
    .await;
    println!("status=1 pages:          {pages} pages, {rate:.0} pages/s");
    let t = Instant::now();
    let r = client
        .post(format!("{base}/product_offer/count"))
        .basic_auth("main", Some("demo"))
        .body(r#"{"part_number":"HEI-1234"}"#)
        .send()
        .await?
        .text()
        .await?;
    println!(
        "part_number count (full scan): {:.3} s → {r}",
        t.elapsed().as_secs_f64()
    );
    println!("peak RSS at the end:     {:.1} MiB", peak_rss_mib());
    handle.shutdown().await;
    Ok(())
}
