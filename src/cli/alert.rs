//! `magsync alert test`: one test notice to every configured webhook, with each answer.

use super::GlobalArgs;
use super::output::outln;
use crate::alerts::{Notice, NoticeKind, deliver, deliver::http_client};
use crate::config::mask_secret_url;
use crate::error::{EXIT_FAILURE, Failure};
use crate::health::Level;
use chrono::Utc;
use secrecy::ExposeSecret;

#[derive(Debug, clap::Subcommand)]
pub enum AlertCommand {
    /// Send a test alert to every [[alerts.webhook]] (with retries) and report each answer;
    /// exit 1 when one was not delivered.
    Test,
}

pub async fn run(g: &GlobalArgs, cmd: AlertCommand) -> anyhow::Result<u8> {
    let AlertCommand::Test = cmd;
    let config = g.load_config()?;
    let cfg = &config.alerts;
    if cfg.webhooks.is_empty() {
        return Err(Failure::usage(
            "no webhooks are configured: add an [[alerts.webhook]] table with a url (see config.example.toml)",
        )
        .into());
    }
    let notice = Notice {
        kind: NoticeKind::Test,
        account: "*".to_string(),
        status: Level::Ok,
        previous_status: None,
        reason: "test alert from `magsync alert test`".to_string(),
        findings: Vec::new(),
        at: Utc::now(),
    };
    let client = http_client(cfg.timeout);
    let results = futures::future::join_all(
        cfg.webhooks
            .iter()
            .map(|hook| deliver(&client, hook, &notice, cfg)),
    )
    .await;
    let mut failed = 0;
    for (hook, result) in cfg.webhooks.iter().zip(results) {
        let masked = mask_secret_url(hook.url.expose_secret());
        match result {
            Ok(n) => outln!(
                "{} ({masked}): delivered after {n} attempt{}",
                hook.name,
                if n == 1 { "" } else { "s" }
            ),
            Err(e) => {
                failed += 1;
                outln!("{}: NOT delivered: {e}", hook.name);
            }
        }
    }
    if cfg.ping_url.is_some() {
        outln!("ping_url is set; it is pinged around each scheduled run, not by this test");
    }
    Ok(if failed > 0 { EXIT_FAILURE } else { 0 })
}
