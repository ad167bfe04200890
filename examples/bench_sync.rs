//! Sync benchmarks (issue 4). Prints figures; asserts nothing.
//!
//! ```text
//! cargo run --release --example bench_sync            # everything below, in order
//! cargo run --release --example bench_sync -- floor   # 1,274 offers at 3 rps / 180 rpm / 150 ms latency
//! cargo run --release --example bench_sync -- big --offers 200000 --db sqlite --mutate
//! cargo run --release --example bench_sync -- big --offers 200000 --db postgres --bare
//! cargo run --release --example bench_sync -- big --offers 200000 --db sqlite --mutate --no-history
//! ```
//!
//! `RUST_LOG=magsync::sync=debug` adds the engine's own account of where the time went.
//!
//! `--bare` first drops the store's sort, status and text indexes (the ones the Products tab
//! needs at a million offers): the write rate with nothing but the table to maintain, an upper
//! bound for any index design on this machine. `big` also prints how busy the machine's cores
//! were during the sync and who used them (sync process, simulator, the rest).
//!
//! `big` also prints the time the database spent in the price-history insert (`offer_history`,
//! one statement per written batch), summed from sqlx's own statement timings. `--no-history`
//! makes that insert store nothing (a trigger discards each row; the statement still looks the
//! written offers up), for the sync's time with and without it.
//!
//! `big` runs in its own process with the simulator in a child process, so the peak RSS it
//! reports (VmHWM) is the sync's alone, and 50k vs 200k are comparable.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use magsync::config::{Account, Settings};
use magsync::model::{RunStatus, SyncMode, SyncOptions, Trigger};
use magsync::sim::{SimAccount, SimConfig};
use magsync::sync::{Engine, RunProgress, Tuning};
use magsync::testing::TestDb;
use secrecy::SecretString;

fn main() -> anyhow::Result<()> {
    // `RUST_LOG=magsync::sync=debug` shows where a run's time went (waiting for pages,
    // settling edits, writing).
    // sqlx reports every statement's time at debug level: the history insert's are summed.
    {
        use tracing_subscriber::prelude::*;
        let statements = tracing_subscriber::filter::Targets::new()
            .with_target("sqlx::query", tracing::Level::DEBUG);
        let log = std::env::var_os("RUST_LOG").is_some().then(|| {
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(tracing_subscriber::EnvFilter::from_default_env())
        });
        tracing_subscriber::registry()
            .with(HistoryTime.with_filter(statements))
            .with(log)
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.first().map(String::as_str) {
        None | Some("all") => {
            rt.block_on(floor())?;
            for db in ["sqlite", "postgres"] {
                for (offers, mutate) in [(50_000, false), (200_000, true)] {
                    let mut cmd = Command::new(std::env::current_exe()?);
                    cmd.args(["big", "--offers", &offers.to_string(), "--db", db]);
                    if mutate {
                        cmd.arg("--mutate");
                    }
                    let status = cmd.status()?;
                    anyhow::ensure!(status.success(), "big benchmark failed: {status}");
                }
            }
            Ok(())
        }
        Some("floor") => rt.block_on(floor()),
        Some("big") => {
            let offers = flag(&args, "--offers").map_or(Ok(200_000), |v| v.parse())?;
            let db = flag(&args, "--db").unwrap_or_else(|| "sqlite".into());
            let has = |f: &str| args.iter().any(|a| a == f);
            let history = !has("--no-history");
            rt.block_on(big(offers, &db, has("--mutate"), has("--bare"), history))
        }
        Some("sim") => {
            let offers = flag(&args, "--offers").map_or(Ok(200_000), |v| v.parse())?;
            rt.block_on(serve_sim(offers))
        }
        Some(other) => anyhow::bail!("unknown benchmark {other}; use floor, big or nothing"),
    }
}

/// Statements of the price-history insert and their summed time, in microseconds.
static HISTORY_STATEMENTS: AtomicU64 = AtomicU64::new(0);
static HISTORY_MICROS: AtomicU64 = AtomicU64::new(0);

/// Sums sqlx's `elapsed_secs` of the statements that insert into `offer_history`.
struct HistoryTime;

#[derive(Default)]
struct Statement {
    history: bool,
    secs: f64,
}

impl tracing::field::Visit for Statement {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            self.history = value.starts_with("INSERT INTO offer_history");
        }
    }
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.secs = value;
        }
    }
    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for HistoryTime {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut s = Statement::default();
        event.record(&mut s);
        if s.history {
            HISTORY_STATEMENTS.fetch_add(1, Ordering::Relaxed);
            HISTORY_MICROS.fetch_add((s.secs * 1e6) as u64, Ordering::Relaxed);
        }
    }
}

/// The history insert's statements and seconds since the last call.
fn take_history_time() -> (u64, f64) {
    (
        HISTORY_STATEMENTS.swap(0, Ordering::Relaxed),
        HISTORY_MICROS.swap(0, Ordering::Relaxed) as f64 / 1e6,
    )
}

fn history_line(took: Duration) -> String {
    let (n, secs) = take_history_time();
    format!(
        "history insert: {n} statements, {secs:.2} s in the database = {:.1}% of the sync",
        100.0 * secs / took.as_secs_f64()
    )
}

/// Makes the price-history insert store nothing: a trigger discards each row, so the
/// statement only looks the written offers up (`--no-history`).
async fn discard_history(db: &TestDb) -> anyhow::Result<()> {
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await?;
        sqlx::raw_sql(
            "CREATE TRIGGER offer_history_off BEFORE INSERT ON offer_history \
             BEGIN SELECT RAISE(IGNORE); END",
        )
        .execute(&pool)
        .await?;
        pool.close().await;
    } else {
        db.execute(
            "CREATE FUNCTION offer_history_off() RETURNS trigger LANGUAGE plpgsql \
             AS $$ BEGIN RETURN NULL; END $$",
        )
        .await;
        db.execute(
            "CREATE TRIGGER offer_history_off BEFORE INSERT ON offer_history \
             FOR EACH ROW EXECUTE FUNCTION offer_history_off()",
        )
        .await;
    }
    Ok(())
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn account(base_url: &str) -> Account {
    Account {
        name: "main".into(),
        platform: None,
        base_url: base_url.into(),
        username: Some("main".into()),
        password: Some(SecretString::from("demo")),
        password_problem: None,
        max_pages: None,
        items_per_page: 100,
        log_retention_days: 30,
    }
}

/// User and system CPU seconds of this process so far (the simulator child is not counted).
/// User and system CPU seconds of a process (`self` or a pid).
fn cpu_seconds(pid: &str) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let tick = 100.0; // USER_HZ on Linux
    (
        f.get(11).copied().unwrap_or(0.0) / tick,
        f.get(12).copied().unwrap_or(0.0) / tick,
    )
}

/// Busy and total CPU seconds of the whole machine so far (all cores, from `/proc/stat`).
fn machine_cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let total: f64 = f.iter().sum();
    // Idle and iowait are the fourth and fifth fields.
    let idle = f.get(3).copied().unwrap_or(0.0) + f.get(4).copied().unwrap_or(0.0);
    ((total - idle) / 100.0, total / 100.0)
}

/// Megabytes this process passed to write and read system calls (`wchar`, `rchar`): SQLite's
/// WAL appends, checkpoints and page reads, whether or not they reached the disk.
fn io_mb() -> (f64, f64) {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    let field = |name: &str| {
        io.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map_or(f64::NAN, |b| b / 1e6)
    };
    (field("wchar:"), field("rchar:"))
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn sync(engine: &Engine, include_inactive: bool) -> anyhow::Result<(RunProgress, Duration)> {
    let options = SyncOptions {
        mode: SyncMode::Full,
        include_inactive,
        ..SyncOptions::default()
    };
    let started = Instant::now();
    let handle = engine.start("main", options, Trigger::Cli).await?;
    let last = handle.done.await?;
    let took = started.elapsed();
    anyhow::ensure!(
        last.status == RunStatus::Completed,
        "run ended {}: {:?}",
        last.status,
        last.error_summary
    );
    Ok((last, took))
}

/// 1,274 offers against a simulator with eMAG's limits and 150 ms latency, default pacing.
async fn floor() -> anyhow::Result<()> {
    let cfg = SimConfig {
        accounts: vec![SimAccount::new("main", 1274)],
        rps: 3,
        rpm: 180,
        latency_ms: 150,
        ..SimConfig::default()
    };
    let sim = magsync::sim::start(cfg, "127.0.0.1:0".parse()?).await?;
    let db = TestDb::sqlite().await;
    let engine = Engine::new(
        db.store.clone(),
        vec![account(&sim.base_url())],
        &Settings::default(),
    );
    println!(
        "== floor: 1274 offers, simulator --rps 3 --rpm 180 --latency-ms 150, sync --mode full, default pacing"
    );
    for include_inactive in [true, false] {
        let (p, took) = sync(&engine, include_inactive).await?;
        let requests = p.counts.requests;
        // The floor: `requests` starts at 3 per second (the first at t = 0) plus one latency.
        let floor =
            Duration::from_secs_f64((requests - 1) as f64 / 3.0) + Duration::from_millis(150);
        println!(
            "{:<22} requests {requests:>2}  wall {:.2} s  floor {:.2} s  ratio {:.2}  offers {}",
            if include_inactive {
                "--include-inactive:"
            } else {
                "active only (default):"
            },
            took.as_secs_f64(),
            floor.as_secs_f64(),
            took.as_secs_f64() / floor.as_secs_f64(),
            p.counts.offers_seen,
        );
        // Let the simulator's rolling windows empty between runs, as between real runs.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let stats: serde_json::Value = reqwest::get(format!("{}/stats", sim.admin_url()))
        .await?
        .json()
        .await?;
    println!(
        "simulator: max_requests_in_any_second {}  rate_limited {}",
        stats["main"]["max_requests_in_any_second"], stats["main"]["rate_limited"]
    );
    sim.shutdown().await;
    Ok(())
}

/// Runs the simulator for `big` in this (child) process and prints its base URL.
async fn serve_sim(offers: u64) -> anyhow::Result<()> {
    let cfg = SimConfig {
        accounts: vec![SimAccount::new("main", offers)],
        rps: 0,
        rpm: 0,
        ..SimConfig::default()
    };
    let sim = magsync::sim::start(cfg, "127.0.0.1:0".parse()?).await?;
    println!("{}", sim.base_url());
    // Serve until the parent closes our stdin.
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin()
            .read_line(&mut sink)
            .map(|n| n > 0)
            .unwrap_or(false)
        {}
    })
    .await?;
    sim.shutdown().await;
    Ok(())
}

/// Drops the store's sort and status indexes and its text index (SQLite's FTS table becomes a
/// plain table the write path can still insert into), for `--bare`: how fast offers go in when
/// nothing but the table and its primary key is maintained.
async fn strip_search_indexes(db: &TestDb) -> anyhow::Result<()> {
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await?;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'offers' \
             AND sql IS NOT NULL",
        )
        .fetch_all(&pool)
        .await?;
        for name in names {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                .execute(&pool)
                .await?;
        }
        sqlx::raw_sql("DROP TABLE IF EXISTS offers_fts")
            .execute(&pool)
            .await?;
        pool.close().await;
    } else {
        db.execute(
            "DO $$ DECLARE r record; BEGIN \
             FOR r IN SELECT indexname FROM pg_indexes WHERE tablename = 'offers' \
             AND indexname <> 'offers_pkey' LOOP \
             EXECUTE 'DROP INDEX ' || quote_ident(r.indexname); END LOOP; END $$",
        )
        .await;
    }
    Ok(())
}

async fn big(
    offers: u64,
    db_kind: &str,
    mutate: bool,
    bare: bool,
    history: bool,
) -> anyhow::Result<()> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["sim", "--offers", &offers.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("child stdout")).read_line(&mut line)?;
    let base_url = line.trim().to_string();
    let admin = base_url.replace("/api-3", "/__admin");

    let db = match db_kind {
        "postgres" => match TestDb::postgres().await {
            Some(db) => db,
            None => {
                drop(child.stdin.take());
                let _ = child.wait();
                return Ok(());
            }
        },
        _ => TestDb::sqlite().await,
    };
    let tuning = Tuning {
        min_interval: Duration::ZERO,
        concurrency: 8,
        ..Tuning::from_settings(&Settings::default()).for_store(&db.store)
    };
    let engine = Engine::new(
        db.store.clone(),
        vec![account(&base_url)],
        &Settings::default(),
    )
    .with_tuning(tuning);

    if bare {
        strip_search_indexes(&db).await?;
    }
    if !history {
        discard_history(&db).await?;
    }
    take_history_time();
    let sim_pid = child.id().to_string();
    let before = (
        cpu_seconds("self"),
        cpu_seconds(&sim_pid),
        machine_cpu_seconds(),
    );
    let (p, took) = sync(&engine, true).await?;
    let after = (
        cpu_seconds("self"),
        cpu_seconds(&sim_pid),
        machine_cpu_seconds(),
    );
    let bare_label = if bare {
        " (BARE: no sort or text indexes, an upper bound, not magsync's store)"
    } else {
        ""
    };
    let history_label = if history {
        ""
    } else {
        " (NO HISTORY: the offer_history insert stores nothing)"
    };
    println!("== {offers} offers, rate limit off, into {db_kind}{bare_label}{history_label}");
    println!(
        "first sync: {} offers in {:.2} s = {:.0} offers/s  ({} requests)  peak RSS {:.1} MB",
        p.counts.offers_seen,
        took.as_secs_f64(),
        p.counts.offers_seen as f64 / took.as_secs_f64(),
        p.counts.requests,
        peak_rss_mb()
    );
    println!("{}", history_line(took));
    let (user, sys) = cpu_seconds("self");
    let (written, read) = io_mb();
    println!(
        "sync process CPU: user {user:.2} s, system {sys:.2} s; I/O calls wrote {written:.0} MB, read {read:.0} MB"
    );
    // Where the machine's cores went during the sync: the simulator stands in for eMAG's
    // servers but shares this machine's cores, and on Postgres the rest is mostly the server.
    let spent = |(u, s): (f64, f64), (u0, s0): (f64, f64)| u + s - u0 - s0;
    let (busy, total) = (after.2.0 - before.2.0, after.2.1 - before.2.1);
    let wall = took.as_secs_f64();
    let sync_cpu = spent(after.0, before.0);
    let sim_cpu = spent(after.1, before.1);
    println!(
        "cores busy during the sync: {:.2} of {:.0} (sync process {:.2}, simulator {:.2}, everything else {:.2})",
        busy / wall,
        total / wall,
        sync_cpu / wall,
        sim_cpu / wall,
        (busy - sync_cpu - sim_cpu).max(0.0) / wall
    );
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let size = |p: &str| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6);
        println!(
            "database file {:.0} MB, WAL {:.0} MB",
            size(path),
            size(&format!("{path}-wal"))
        );
    }
    // For a look at where the bytes went (`sqlite3 FILE` with dbstat), without re-syncing.
    if let (Some(path), Ok(keep)) = (
        db.url.strip_prefix("sqlite://"),
        std::env::var("MAGSYNC_BENCH_KEEP_DB"),
    ) {
        std::fs::copy(path, &keep)?;
        std::fs::copy(format!("{path}-wal"), format!("{keep}-wal"))?;
        println!("database copied to {keep}");
    }
    if mutate {
        let k = offers / 100;
        let client = reqwest::Client::new();
        let v: serde_json::Value = client
            .post(format!("{admin}/mutate?account=main&count={k}"))
            .send()
            .await?
            .json()
            .await?;
        let mut ids: Vec<i64> = v["ids"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i.as_i64()).collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids.dedup();
        let (p2, took2) = sync(&engine, true).await?;
        println!(
            "re-sync after mutating {k} offers ({} distinct): rows written {} (new {} + changed {}), unchanged {}, {:.2} s = {:.0}% of the first sync  peak RSS {:.1} MB",
            ids.len(),
            p2.counts.created + p2.counts.updated,
            p2.counts.created,
            p2.counts.updated,
            p2.counts.unchanged,
            took2.as_secs_f64(),
            100.0 * took2.as_secs_f64() / took.as_secs_f64(),
            peak_rss_mb()
        );
        println!("re-sync {}", history_line(took2));
    }
    drop(child.stdin.take());
    let _ = child.wait();
    Ok(())
}
