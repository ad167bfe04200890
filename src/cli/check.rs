//! `magsync check`: each account's health in the monitoring-plugin convention, for cron,
//! Nagios/Icinga or a systemd timer.

use super::GlobalArgs;
use super::output::outln;
use crate::health::{self, AccountHealth, Level};
use crate::store::Store;
use chrono::Utc;

#[derive(Debug, clap::Args)]
#[command(
    about = "Check each account's sync health (monitoring-plugin exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
    long_about = CHECK_HELP
)]
pub struct Args {
    /// A configured account, or `all`.
    #[arg(long, default_value = "all", value_name = "NAME|all")]
    pub account: String,
    /// One JSON document instead of the plugin text (same exit code).
    #[arg(long)]
    pub json: bool,
}

const CHECK_HELP: &str = "Reads the store only (no request to eMAG) and judges every selected \
account against the thresholds under [health] in the config (per account under \
[health.accounts.NAME]):

  - age of the last completed sync (default: WARNING after 3 schedule intervals, CRITICAL after 6)
  - age of the last complete full scan (default 26 h / 50 h with a daily full, else 7 / 14 days)
  - the last run: failed is CRITICAL, partial is WARNING, held by the mass-missing guard is CRITICAL
  - 429 answers and the share of retried or failed requests in the last run
  - offers seen dropping by more than count_drop_share against the previous full scan
  - a run much shorter or longer than the median of the earlier runs of its mode
  - the buy button lost on more than buybox_lost_share of the offers since the last run started
  - pending edits not pushed for pending_edit_warn_minutes, and conflicts waiting

Output: one summary line with perfdata after `|`, then one line per account. Exit code: 0 OK, \
1 WARNING, 2 CRITICAL, 3 UNKNOWN (never synced, or the config or store cannot be read); the \
worst account decides.";

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    let accounts = match gather(g, &args.account).await {
        Ok(a) => a,
        Err(why) => {
            if args.json {
                outln!(
                    "{}",
                    serde_json::json!({"status": Level::Unknown, "exit_code": 3, "error": why, "accounts": []})
                );
            } else {
                outln!("MAGSYNC UNKNOWN - {why}");
            }
            return Ok(Level::Unknown.exit_code());
        }
    };
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&health::report::json(&accounts))?
        );
    } else {
        outln!("{}", health::report::text(&accounts));
    }
    Ok(health::report::overall(&accounts).exit_code())
}

/// Every selected account's health; a config or store problem is one sentence.
async fn gather(g: &GlobalArgs, which: &str) -> Result<Vec<AccountHealth>, String> {
    let config = g.load_config().map_err(|e| e.message)?;
    let names: Vec<String> = if which == "all" || which == "both" {
        config.accounts.iter().map(|a| a.name.clone()).collect()
    } else {
        vec![config.account(which).map_err(|e| e.message)?.name.clone()]
    };
    if names.is_empty() {
        return Err("no accounts are configured".to_string());
    }
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| e.message)?;
    let now = Utc::now();
    let mut out = Vec::new();
    for name in &names {
        let t = config.settings.health.for_account(name);
        out.push(health::account_health(&store, name, t, now).await);
    }
    store.close().await;
    Ok(out)
}
