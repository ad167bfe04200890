//! Store write throughput, independent of HTTP: `cargo run --release --example bench_store -- [N]`.
//! Writes N synthetic offers in 100-offer pages (all new), then again (all unchanged), then with
//! 1 % changed, into SQLite and (if reachable) Postgres, and prints offers/s for each pass.

use chrono::Utc;
use magsync::model::{Offer, WarehouseValue};
use magsync::testing::TestDb;
use rust_decimal::Decimal;
use serde_json::json;
use std::time::Instant;

fn offer(id: i64, price_cents: i64) -> Offer {
    let name = format!("Fierbător electric Heinner HEK-{id}, 1.7 l, 2200 W, oprire automată, inox");
    let price = Decimal::new(price_cents * 100, 4);
    let raw = json!({
        "id": id, "name": name, "part_number": format!("HEK-{id}"), "part_number_key": format!("D{id:08}"),
        "sale_price": price.to_string(), "currency": "RON", "status": 1, "general_stock": 23,
        "description": "<p>Fierbător din oțel inoxidabil, bază rotativă 360°.</p>".repeat(3),
        "ean": [format!("594{id:010}")], "images": [{"url": format!("https://x.example/{id}.jpg"), "display_type": 1}],
        "validation_status": [{"value": 9, "description": "Approved documentation", "errors": null}],
        "offer_validation_status": {"value": 1, "description": "Saleable"},
    });
    Offer {
        id,
        part_number: Some(format!("HEK-{id}")),
        part_number_key: Some(format!("D{id:08}")),
        name: Some(name),
        brand: Some("Heinner".into()),
        eans: vec![format!("594{id:010}")],
        sale_price: Some(price),
        min_sale_price: Some(price / Decimal::from(2)),
        max_sale_price: Some(price * Decimal::from(2)),
        currency: Some("RON".into()),
        status: Some(magsync::model::OfferStatus::Active),
        general_stock: Some(23),
        estimated_stock: Some(22),
        stock: vec![WarehouseValue {
            warehouse_id: 1,
            value: 23,
        }],
        validation_status: Some(9),
        offer_validation_status: Some(1),
        raw: raw.into(),
        ..Default::default()
    }
}

#[tokio::main]
async fn main() {
    if std::env::var("RUST_LOG").is_ok() {
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let mut dbs = vec![TestDb::sqlite().await];
    dbs.extend(TestDb::postgres().await);
    for db in &dbs {
        if std::env::var("BENCH_NO_TEXT_INDEX").is_ok() {
            // Experiment: what the search indexes cost on the write path.
            let sql = if db.label == "sqlite" {
                "DROP TABLE IF EXISTS offers_fts"
            } else {
                "DROP INDEX IF EXISTS offers_search_trgm"
            };
            use sqlx::Connection;
            if db.label == "sqlite" {
                let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            } else {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            }
        }
        for (pass, change_every) in [("create", 0), ("unchanged", 0), ("1% changed", 100)] {
            let t = Instant::now();
            let mut written = 0;
            for start in (1..=n).step_by(100) {
                let page: Vec<Offer> = (start..(start + 100).min(n + 1))
                    .map(|id| {
                        let bump = if change_every > 0 && id % change_every == 0 {
                            1
                        } else {
                            0
                        };
                        offer(id, 1000 + id % 5000 + bump)
                    })
                    .collect();
                let w = db
                    .store
                    .offers()
                    .write("main", None, &page, Utc::now())
                    .await
                    .unwrap();
                written += w.created + w.updated;
            }
            let s = t.elapsed().as_secs_f64();
            println!(
                "{:<8} {:<11} {n} offers in {s:.2} s = {:.0} offers/s, rows written {written}",
                db.label,
                pass,
                n as f64 / s
            );
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?");
    println!("peak RSS {}", hwm.trim_start_matches("VmHWM:").trim());
}
