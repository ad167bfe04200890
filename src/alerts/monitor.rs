//! One health round: every account's health against its open incident, the incident kept
//! in the store, and the notice handed to the outbox.

use super::incident::{Decision, decide};
use super::{Notice, Outbox};
use crate::config::HealthConfig;
use crate::health::{self, AccountHealth};
use crate::store::{Store, short_db_error};
use chrono::Utc;

#[derive(Clone)]
pub struct Monitor {
    pub store: Store,
    pub health: HealthConfig,
    pub outbox: Outbox,
}

impl Monitor {
    /// Evaluates the accounts and sends what their incidents call for; returns each health
    /// and the notices sent.
    pub async fn round(&self, accounts: &[String]) -> (Vec<AccountHealth>, Vec<Notice>) {
        let now = Utc::now();
        let mut healths = Vec::new();
        let mut sent = Vec::new();
        for account in accounts {
            let h =
                health::account_health(&self.store, account, self.health.for_account(account), now)
                    .await;
            match self.settle(&h, now).await {
                Ok(Some(n)) => {
                    self.outbox.send(n.clone());
                    sent.push(n);
                }
                Ok(None) => {}
                Err(e) => tracing::error!(
                    target: "magsync::alerts",
                    "cannot keep the alert state of {account}: {}",
                    short_db_error(&e)
                ),
            }
            healths.push(h);
        }
        (healths, sent)
    }

    /// Records the incident change first, so a crash never sends the same alert twice.
    async fn settle(
        &self,
        h: &AccountHealth,
        now: chrono::DateTime<Utc>,
    ) -> crate::store::Result<Option<Notice>> {
        let open = self.store.health().open_incident(&h.account).await?;
        Ok(match decide(h, open.as_ref(), now) {
            Decision::Quiet => None,
            Decision::Open(n) => {
                self.store
                    .health()
                    .save_incident(&h.account, n.status.as_str(), &n.reason, now)
                    .await?;
                Some(n)
            }
            Decision::Recover(n) => {
                self.store.health().close_incident(&h.account).await?;
                Some(n)
            }
        })
    }
}
