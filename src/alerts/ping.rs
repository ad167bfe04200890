//! The dead-man's ping (healthchecks.io conventions): `<url>/start` when a scheduled run
//! starts, `<url>` when it completes, `<url>/fail` when it does not. Fire and forget: a ping
//! never delays a run, and a lost one makes the monitor warn, which is the point.

use super::deliver::http_client;
use crate::config::{AlertsConfig, mask_secret_url};
use crate::model::RunStatus;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use tokio_util::task::TaskTracker;

#[derive(Clone)]
pub struct Pinger {
    url: Option<SecretString>,
    client: reqwest::Client,
    /// Pings in flight, so a process about to exit can let them finish.
    inflight: TaskTracker,
}

impl Pinger {
    pub fn new(cfg: &AlertsConfig) -> Pinger {
        Pinger {
            url: cfg.ping_url.clone(),
            client: http_client(cfg.timeout),
            inflight: TaskTracker::new(),
        }
    }

    /// Waits (up to `limit`) for the pings already sent; later ones are still sent.
    pub async fn flush(&self, limit: Duration) {
        self.inflight.close();
        let _ = tokio::time::timeout(limit, self.inflight.wait()).await;
        self.inflight.reopen();
    }

    pub fn start(&self) {
        self.ping("/start");
    }

    /// Success for a completed run; fail for anything else but a cancellation (a shutdown is
    /// not a failure of the job).
    pub fn end(&self, status: RunStatus) {
        match status {
            RunStatus::Completed => self.ping(""),
            RunStatus::Cancelled | RunStatus::Running => {}
            RunStatus::Failed | RunStatus::Partial => self.ping("/fail"),
        }
    }

    fn ping(&self, suffix: &'static str) {
        let Some(url) = &self.url else { return };
        let target = format!("{}{suffix}", url.expose_secret().trim_end_matches('/'));
        let client = self.client.clone();
        self.inflight.spawn(async move {
            if let Err(e) = client
                .post(&target)
                .send()
                .await
                .and_then(|r| r.error_for_status())
            {
                let what = e.status().map_or("failed".to_string(), |s| {
                    format!("answered HTTP {}", s.as_u16())
                });
                let masked = mask_secret_url(&target);
                tracing::warn!(target: "magsync::alerts", "ping{suffix} to {masked} {what}");
            }
        });
    }
}
