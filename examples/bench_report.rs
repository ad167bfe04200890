//! A weekly report over a large store: `cargo run --release --example bench_report -- [OFFERS]
//! [CHANGES_PER_DAY]` (default 1 000 000 and 50 000).
//!
//! Fills SQLite and (if reachable) Postgres with OFFERS offers of one account, an hourly run for
//! 14 days and CHANGES_PER_DAY field changes a day spread over those runs (prices, stock,
//! status, missing), a few offers outside their bounds and some edits; then times the 7-day
//! report (facts and all four renderings) three times and prints each query's plan, so one can
//! see every read is an index range.

use chrono::{DateTime, Duration, Utc};
use magsync::report::{Facts, Format, Window, render};
use magsync::testing::TestDb;
use sqlx::Connection;
use std::time::Instant;

const ACCOUNT: &str = "main";
const DAYS: i64 = 14;
/// A run's options as the engine stores them.
const OPTIONS: &str = r#"{"mode":"incremental","max_pages":5,"items_per_page":100,"include_inactive":false,"conflict_strategy":"emag_priority"}"#;

fn arg(n: usize, default: i64) -> i64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let offers = arg(1, 1_000_000);
    let per_day = arg(2, 50_000);
    let end: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-12-07T06:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let start = end - Duration::days(DAYS);
    println!(
        "bench_report: {offers} offers, {per_day} changes a day over {DAYS} days ({} changes), report of the last 7 days",
        per_day * DAYS
    );
    let mut dbs = vec![TestDb::sqlite().await];
    dbs.extend(TestDb::postgres().await);
    for db in &dbs {
        let t = Instant::now();
        fill(db, offers, per_day, start).await;
        println!(
            "[{}] filled in {:.1} s",
            db.label,
            t.elapsed().as_secs_f64()
        );
        explain(db, end).await;
        let window = Window {
            since: end - Duration::days(7),
            until: end,
        };
        let accounts = vec![ACCOUNT.to_string()];
        for round in 1..=3 {
            let t = Instant::now();
            let facts = Facts::compute(&db.store, &accounts, window, end)
                .await
                .unwrap();
            let computed = t.elapsed();
            let bytes: usize = [Format::Text, Format::Markdown, Format::Html, Format::Json]
                .iter()
                .map(|f| render(&facts, *f).len())
                .sum();
            let total = t.elapsed();
            let a = &facts.accounts[0];
            println!(
                "[{}] round {round}: 7-day report in {:.0} ms (facts {:.0} ms, rendering {:.0} ms, {bytes} bytes in 4 formats); {} price changes, {} out of stock, {} runs, {} under min",
                db.label,
                total.as_secs_f64() * 1000.0,
                computed.as_secs_f64() * 1000.0,
                (total - computed).as_secs_f64() * 1000.0,
                a.prices.changed,
                a.stock.went_out,
                a.syncs.runs,
                a.prices.under_min,
            );
        }
    }
}

/// Offers, runs and changes written with set-based SQL: the report reads the same tables a
/// sync fills, and filling a million offers through the sync path would take minutes.
async fn fill(db: &TestDb, offers: i64, per_day: i64, start: DateTime<Utc>) {
    let runs = DAYS * 24;
    let changes = per_day * DAYS;
    let epoch = start.timestamp();
    if db.label == "sqlite" {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        let ts = |expr: &str| {
            format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {epoch} + ({expr}), 'unixepoch')")
        };
        let sql = format!(
            "BEGIN;
            WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {offers})
            INSERT INTO offers (account, id, part_number, name, sale_price, min_sale_price, max_sale_price,
                currency, status, general_stock, raw, content_hash, first_seen_at, last_changed_at)
            SELECT '{ACCOUNT}', x, 'PN-' || x, 'Fierbător electric Heinner HEK-' || x || ', 1.7 l, inox',
                1000000 + (x % 5000) * 10000,
                CASE WHEN x % 1000 = 0 THEN 9000000000 ELSE 500000 END,
                CASE WHEN x % 1500 = 0 THEN 600000 ELSE 900000000 END,
                'RON', 1, x % 40,
                '{{\"id\":' || x || ',\"name\":\"Fierbător electric Heinner HEK-' || x || '\",\"description\":\"' || hex(zeroblob(150)) || '\"}}',
                hex(x), {first_seen}, {first_seen} FROM s;
            WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x < {runs} - 1)
            INSERT INTO sync_runs (id, account, mode, trigger, status, options, started_at, finished_at,
                heartbeat_at, pages_done, requests, retries, rate_limited, failed)
            SELECT x + 1, '{ACCOUNT}', 'incremental', 'schedule',
                CASE WHEN x % 37 = 0 THEN 'failed' WHEN x % 11 = 0 THEN 'partial' ELSE 'completed' END,
                '{OPTIONS}', {run_start}, {run_end}, {run_end}, 5, 6 + x % 3, x % 4, x % 5, CASE WHEN x % 11 = 0 THEN 1 ELSE 0 END
            FROM s;
            WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x < {changes} - 1)
            INSERT INTO offer_changes (run_id, account, offer_id, field, old_value, new_value, at)
            SELECT 1 + (x * {runs}) / {changes}, '{ACCOUNT}', 1 + (x * 7919) % {offers},
                CASE WHEN x % 20 < 10 THEN 'sale_price' WHEN x % 20 < 17 THEN 'general_stock'
                     WHEN x % 20 < 19 THEN 'status' ELSE 'missing' END,
                CASE WHEN x % 20 < 10 THEN (100 + x % 400) || '.0000' WHEN x % 20 < 17 THEN CAST(x % 9 AS TEXT)
                     WHEN x % 20 < 19 THEN '1' ELSE NULL END,
                CASE WHEN x % 20 < 10 THEN (100 + (x * 13) % 400) || '.0000' WHEN x % 20 < 17 THEN CAST((x * 3) % 7 AS TEXT)
                     WHEN x % 20 < 19 THEN CAST(x % 3 AS TEXT) ELSE 'missing' END,
                {change_at}
            FROM s;
            COMMIT;
            ANALYZE;",
            first_seen = ts(&format!("(x * {}) / {offers}", DAYS * 86_400)),
            run_start = ts("x * 3600 + 60"),
            run_end = ts("x * 3600 + 60 + 30 + (x * 17) % 400"),
            change_at = ts(&format!("(x * {}) / {changes}", DAYS * 86_400)),
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let ts = |expr: &str| format!("to_timestamp({epoch} + ({expr}))");
        let sql = format!(
            "INSERT INTO offers (account, id, part_number, name, sale_price, min_sale_price, max_sale_price,
                currency, status, general_stock, raw, content_hash, first_seen_at, last_changed_at)
            SELECT '{ACCOUNT}', x, 'PN-' || x, 'Fierbător electric Heinner HEK-' || x || ', 1.7 l, inox',
                100 + (x % 5000), CASE WHEN x % 1000 = 0 THEN 900000 ELSE 50 END,
                CASE WHEN x % 1500 = 0 THEN 60 ELSE 90000 END, 'RON', 1, x % 40,
                json_build_object('id', x, 'name', 'Fierbător electric Heinner HEK-' || x, 'description', repeat('ab', 150)),
                md5(x::text), {first_seen}, {first_seen}
            FROM generate_series(1, {offers}) AS x;
            INSERT INTO sync_runs (id, account, mode, trigger, status, options, started_at, finished_at,
                heartbeat_at, pages_done, requests, retries, rate_limited, failed)
            SELECT x + 1, '{ACCOUNT}', 'incremental', 'schedule',
                CASE WHEN x % 37 = 0 THEN 'failed' WHEN x % 11 = 0 THEN 'partial' ELSE 'completed' END,
                '{OPTIONS}', {run_start}, {run_end}, {run_end}, 5, 6 + x % 3, x % 4, x % 5, CASE WHEN x % 11 = 0 THEN 1 ELSE 0 END
            FROM generate_series(0, {runs} - 1) AS x;
            SELECT setval(pg_get_serial_sequence('sync_runs', 'id'), {runs});
            INSERT INTO offer_changes (run_id, account, offer_id, field, old_value, new_value, at)
            SELECT 1 + (x::bigint * {runs}) / {changes}, '{ACCOUNT}', 1 + (x::bigint * 7919) % {offers},
                CASE WHEN x % 20 < 10 THEN 'sale_price' WHEN x % 20 < 17 THEN 'general_stock'
                     WHEN x % 20 < 19 THEN 'status' ELSE 'missing' END,
                CASE WHEN x % 20 < 10 THEN (100 + x % 400) || '.0000' WHEN x % 20 < 17 THEN (x % 9)::text
                     WHEN x % 20 < 19 THEN '1' ELSE NULL END,
                CASE WHEN x % 20 < 10 THEN (100 + (x * 13) % 400) || '.0000' WHEN x % 20 < 17 THEN ((x * 3) % 7)::text
                     WHEN x % 20 < 19 THEN (x % 3)::text ELSE 'missing' END,
                {change_at}
            FROM generate_series(0, {changes} - 1) AS x;",
            first_seen = ts(&format!("(x::bigint * {}) / {offers}", DAYS * 86_400)),
            run_start = ts("x * 3600 + 60"),
            run_end = ts("x * 3600 + 60 + 30 + (x * 17) % 400"),
            change_at = ts(&format!("(x::bigint * {}) / {changes}", DAYS * 86_400)),
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
        // Outside the batch: VACUUM cannot run in a transaction.
        sqlx::raw_sql("VACUUM ANALYZE")
            .execute(&mut c)
            .await
            .unwrap();
    }
}

/// Prints the plan of each range the report reads.
async fn explain(db: &TestDb, end: DateTime<Utc>) {
    let since = end - Duration::days(7);
    let (s, u) = if db.label == "sqlite" {
        let f = |t: DateTime<Utc>| format!("'{}'", t.to_rfc3339());
        (f(since), f(end))
    } else {
        let f = |t: DateTime<Utc>| format!("'{}'::timestamptz", t.to_rfc3339());
        (f(since), f(end))
    };
    let queries = [
        format!(
            "SELECT offer_id, field, old_value, new_value, at FROM offer_changes WHERE account = '{ACCOUNT}' AND at >= {s} AND at < {u} AND field IN ('sale_price', 'general_stock', 'status', 'missing') ORDER BY at, id"
        ),
        format!(
            "SELECT COUNT(*) FROM offers WHERE account = '{ACCOUNT}' AND first_seen_at >= {s} AND first_seen_at < {u}"
        ),
        format!(
            "SELECT id FROM offers WHERE account = '{ACCOUNT}' AND sale_price < min_sale_price AND missing_since IS NULL ORDER BY id"
        ),
        format!(
            "SELECT id FROM offers WHERE account = '{ACCOUNT}' AND sale_price > max_sale_price AND missing_since IS NULL ORDER BY id"
        ),
        format!(
            "SELECT id FROM sync_runs WHERE account = '{ACCOUNT}' AND started_at >= {s} AND started_at < {u} ORDER BY started_at, id"
        ),
    ];
    for q in queries {
        let plan: Vec<String> = if db.label == "sqlite" {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            use sqlx::Row;
            sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {q}")))
                .fetch_all(&mut c)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>("detail"))
                .collect()
        } else {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("EXPLAIN {q}")))
                .fetch_all(&mut c)
                .await
                .unwrap()
        };
        println!(
            "[{}] plan of {}:",
            db.label,
            &q[..q.find(" WHERE").unwrap_or(q.len())]
        );
        for line in plan {
            println!("    {line}");
        }
    }
}
