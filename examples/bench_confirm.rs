//! Confirming vanished offers by id (issue 22). Prints figures; asserts nothing.
//!
//! ```text
//! cargo run --example bench_confirm                       # 6 000 offers, 5 000 vanish
//! cargo run --example bench_confirm -- --offers 2000 --vanish 1500
//! ```
//!
//! A first full sync mirrors every offer; then `--vanish` of the active ones are deactivated on
//! the simulator, so an active-only full sync finds that many stored offers unlisted and must
//! confirm each by id before flagging any. The client paces requests as against eMAG (3 a
//! second); the simulator answers at once. Printed: the run's requests and wall time, and what
//! one request per offer would have cost at the same pace.

use std::time::{Duration, Instant};

use magsync::config::{Account, Settings};
use magsync::emag::{ClientConfig, EmagClient, OfferUpdate};
use magsync::model::{SyncMode, SyncOptions, Trigger};
use magsync::sim::{SimAccount, SimConfig};
use magsync::sync::Engine;
use magsync::testing::TestDb;
use secrecy::SecretString;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let offers = arg("--offers", 6_000);
    let vanish = arg("--vanish", 5_000);
    tokio::runtime::Runtime::new()?.block_on(run(offers as u64, vanish))
}

async fn run(offers: u64, vanish: usize) -> anyhow::Result<()> {
    let sim = magsync::sim::start(
        SimConfig {
            accounts: vec![SimAccount::new("main", offers)],
            rps: 0,
            rpm: 0,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let db = TestDb::sqlite().await;
    let account = Account {
        name: "main".into(),
        platform: None,
        base_url: sim.base_url(),
        username: Some("main".into()),
        password: Some(SecretString::from("demo")),
        password_problem: None,
        max_pages: None,
        items_per_page: 100,
        log_retention_days: 30,
    };
    let engine = Engine::new(db.store.clone(), vec![account], &Settings::default());
    let full = |include_inactive| SyncOptions {
        mode: SyncMode::Full,
        include_inactive,
        ..SyncOptions::default()
    };
    let first = engine.start("main", full(true), Trigger::Cli).await?;
    first.done.await?;

    // Deactivated offers leave the active listing but still exist: each must be confirmed.
    let mut cfg = ClientConfig::new("main", &sim.base_url(), "main", SecretString::from("demo"));
    cfg.min_interval = Duration::ZERO;
    let client = EmagClient::new(cfg)?;
    let active: Vec<i64> = db
        .store
        .offers()
        .of_account("main")
        .await?
        .into_iter()
        .filter(|s| s.offer.status == Some(magsync::model::OfferStatus::Active))
        .map(|s| s.offer.id)
        .collect();
    let gone = &active[..vanish.min(active.len())];
    for chunk in gone.chunks(50) {
        let updates: Vec<OfferUpdate> = chunk
            .iter()
            .map(|id| OfferUpdate {
                id: *id,
                status: Some(magsync::model::OfferStatus::Inactive),
                ..Default::default()
            })
            .collect();
        client.save_offers(&updates).await?;
    }
    // Clients of one account share a limiter while one is alive: this unpaced one must go
    // before the sync, or the sync would run unpaced too.
    drop(client);

    let t = Instant::now();
    let handle = engine.start("main", full(false), Trigger::Cli).await?;
    let last = handle.done.await?;
    let took = t.elapsed();
    let c = &last.counts;
    let one_by_one = 1 + c.pages_done + gone.len() as i64;
    println!(
        "{offers} offers, {} active, {} unlisted by an active full sync: {} ({})",
        active.len(),
        gone.len(),
        last.status,
        last.error_summary.as_deref().unwrap_or("no error")
    );
    println!(
        "  {} requests ({} pages, {} confirmation reads), {:.1} s; {} still exist, {} flagged missing",
        c.requests,
        c.pages_done,
        c.requests - 1 - c.pages_done,
        took.as_secs_f64(),
        c.updated,
        c.removed
    );
    println!(
        "  one request per offer: {one_by_one} requests, {:.1} min at 3 a second",
        one_by_one as f64 / 3.0 / 60.0
    );
    sim.shutdown().await;
    Ok(())
}
