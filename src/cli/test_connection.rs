//! `magsync test-connection`: one `product_offer/count` per account, no database needed.

use super::GlobalArgs;
use super::output::reportln;
use crate::sync::{ConnectionReport, Tuning, test_account};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A configured account, or `all` (`both` is accepted for the original's users).
    #[arg(long, default_value = "all", value_name = "NAME|all")]
    pub account: String,
    /// One JSON object per account on stdout.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    let config = g.load_config()?;
    let _log = crate::logging::init(&config.paths.log_dir, g.log_level.as_deref(), false);
    let accounts = config.select(&args.account)?;
    let tuning = Tuning::from_settings(&config.settings);
    let reports =
        futures::future::join_all(accounts.iter().map(|a| test_account(a, &tuning))).await;
    let width = reports.iter().map(|r| r.account.len()).max().unwrap_or(0);
    for r in &reports {
        if args.json {
            reportln!("{}", report_json(r));
        } else {
            reportln!(
                "{:width$}  {}  {}  {}  ({} ms)",
                r.account,
                if r.ok { "ok  " } else { "FAIL" },
                crate::config::mask_url(&r.base_url),
                r.message,
                r.latency.as_millis()
            );
        }
    }
    Ok(if reports.iter().all(|r| r.ok) {
        0
    } else {
        crate::error::EXIT_FAILURE
    })
}

fn report_json(r: &ConnectionReport) -> serde_json::Value {
    json!({
        "account": r.account,
        "base_url": crate::config::mask_url(&r.base_url),
        "ok": r.ok,
        "message": r.message,
        "offers": r.offers,
        "active": r.active,
        "latency_ms": r.latency.as_millis() as u64,
    })
}
