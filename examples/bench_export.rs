//! Export benchmark: fills a SQLite store with offers (100 000, then 1 000 000) and exports the
//! whole set as CSV and JSON Lines through the same code as `magsync export`, printing time,
//! rows/s, output size and the peak resident memory of each export (VmHWM, reset before each
//! export through /proc/self/clear_refs), to show memory stays flat as the store grows.
//!
//! `cargo run --release --example bench_export [-- TOTAL]` (TOTAL defaults to 1000000).

use chrono::Utc;
use magsync::cli::export::{Format, write_all};
use magsync::model::search::{ProductQuery, SortKey};
use magsync::model::{Offer, WarehouseValue};
use magsync::store::Store;
use rust_decimal::Decimal;
use serde_json::json;
use std::io::Write;
use std::time::Instant;

const NAMES: &[&str] = &[
    "Fierbător electric Heinner HEK-17SS, 1.7 l, 2200 W, oprire automată, inox",
    "Cablu \"USB-C\" la USB-A, 2 m, împletit, negru",
    "Lampă de birou LED „Luna”, 7 W, lumină caldă/rece",
    "Mixer vertical 800 W, 2 viteze, accesoriu tocător 😀",
];

fn offer(id: i64) -> Offer {
    let name = format!("{} #{id}", NAMES[id as usize % NAMES.len()]);
    let price = Decimal::new(10_000 + (id * 7_919) % 9_000_000, 4);
    let stock = (id % 40) as i32;
    let raw = json!({
        "id": id, "name": name, "part_number": format!("PN-{id:08}"),
        "part_number_key": format!("D{id:08}BM"), "brand": "Heinner", "brand_name": "Heinner",
        "category_id": 2839, "vendor_category_id": 12, "warranty": 24,
        "ean": [format!("594{id:010}")], "currency": "RON", "vat_id": 9, "status": 1,
        "sale_price": price.to_string(), "recommended_price": null,
        "general_stock": stock, "estimated_stock": stock, "stock": [{"value": stock}],
        "handling_time": [{"warehouse_id": 1, "value": 1}],
        "url": format!("https://magazin.example.ro/p/{id}"),
        "offer_validation_status": {"value": 1, "description": "Saleable"},
        "validation_status": [{"value": 9, "description": "Approved documentation", "errors": null}],
        "ownership": true, "number_of_offers": 3, "buy_button_rank": 1,
        "images": [{"url": format!("https://magazin.example.ro/img/{id}.jpg"), "display_type": 1}],
    });
    Offer {
        id,
        part_number: Some(format!("PN-{id:08}")),
        part_number_key: Some(format!("D{id:08}BM")),
        name: Some(name),
        brand: Some("Heinner".into()),
        url: Some(format!("https://magazin.example.ro/p/{id}")),
        category_id: Some(2839),
        warranty: Some(24),
        eans: vec![format!("594{id:010}")],
        sale_price: Some(price),
        currency: Some("RON".into()),
        vat_id: Some(9),
        status: Some(magsync::model::OfferStatus::Active),
        general_stock: Some(stock),
        estimated_stock: Some(stock),
        stock: vec![WarehouseValue {
            warehouse_id: 1,
            value: stock as i64,
        }],
        handling_time: vec![WarehouseValue {
            warehouse_id: 1,
            value: 1,
        }],
        validation_status: Some(9),
        offer_validation_status: Some(1),
        ownership: Some(1),
        number_of_offers: Some(3),
        buy_button_rank: Some(1),
        image_urls: vec![format!("https://magazin.example.ro/img/{id}.jpg")],
        raw: raw.into(),
        ..Default::default()
    }
}

fn proc_status(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs).
fn reset_peak() -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/clear_refs")
        .and_then(|mut f| f.write_all(b"5"))
        .is_ok()
}

async fn fill(store: &Store, from: i64, to: i64) -> f64 {
    let t = Instant::now();
    let now = Utc::now();
    let mut id = from;
    while id < to {
        let end = (id + 2_000).min(to);
        let batch: Vec<Offer> = (id..end).map(offer).collect();
        store
            .offers()
            .write("main", None, &batch, now)
            .await
            .expect("write");
        id = end;
    }
    t.elapsed().as_secs_f64()
}

async fn export(store: &Store, format: Format, total: u64, dir: &std::path::Path) {
    let path = dir.join(match format {
        Format::Csv => "out.csv",
        Format::Json => "out.json",
        Format::Jsonl => "out.jsonl",
    });
    let query = ProductQuery {
        sort: SortKey::Account,
        ..Default::default()
    };
    let rss_before = proc_status("VmRSS:").unwrap_or(0);
    let reset = reset_peak();
    let t = Instant::now();
    let file = std::fs::File::create(&path).expect("output file");
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    let n = write_all(store, &query, format, false, &mut out, None)
        .await
        .expect("export");
    out.flush().expect("flush");
    let secs = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let peak = proc_status("VmHWM:").unwrap_or(0);
    assert_eq!(n, total);
    println!(
        "{:>9} offers  {:<5}  {:>7.2} s  {:>9.0} rows/s  {:>7.1} MB out  RSS before {:>6.1} MB  peak during export {:>6.1} MB{}",
        n,
        format!("{format:?}").to_lowercase(),
        secs,
        n as f64 / secs,
        size as f64 / 1e6,
        rss_before as f64 / 1024.0,
        peak as f64 / 1024.0,
        if reset {
            ""
        } else {
            " (VmHWM not resettable: lifetime peak)"
        }
    );
    let _ = std::fs::remove_file(&path);
}

#[tokio::main]
async fn main() {
    let total: i64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    // BENCH_KEEP=PATH keeps the filled database there for inspection.
    let db_path = std::env::var("BENCH_KEEP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("bench.db"));
    let url = magsync::config::sqlite_url(&db_path);
    let store = Store::open(&url).await.expect("store");
    let mut filled = 0;
    for size in [total / 10, total] {
        let secs = fill(&store, filled, size).await;
        println!(
            "filled {} offers in {secs:.1} s ({:.0} offers/s)",
            size - filled,
            (size - filled) as f64 / secs
        );
        filled = size;
        // The database read alone (decode every row, write nothing), for comparison.
        let t = Instant::now();
        let query = ProductQuery {
            sort: SortKey::Account,
            ..Default::default()
        };
        let n = store
            .search()
            .export::<sqlx::Error, _>(&query, |_| Ok(()))
            .await
            .expect("read");
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{n:>9} offers  read   {secs:>7.2} s  {:>9.0} rows/s  (decode only)",
            n as f64 / secs
        );
        for format in [Format::Csv, Format::Jsonl] {
            export(&store, format, size as u64, dir.path()).await;
        }
    }
    let db_size: u64 = std::fs::read_dir(dir.path())
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!("database files: {:.0} MB", db_size as f64 / 1e6);
    store.close().await;
}
