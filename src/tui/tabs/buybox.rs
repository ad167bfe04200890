//! 6 Buy button: the offers that lost or won the buy button since each account's last sync,
//! with the suggested price one key queues as a local edit, and the Smart Deals checks asked
//! from it. The tab's state; `app` wires its keys into `update()`, `views/buybox.rs` draws it.

use crate::price::smart_deals::{MAX_CHECKS, SmartDeal};
use crate::price::{BuyboxEntry, BuyboxOptions, Suggestion};
use crate::tui::error::JobError;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};

/// The list is read again this often while the tab is open (a sync may have moved it).
pub const RELOAD_SECS: i64 = 10;

#[derive(Debug, Clone, Default)]
pub struct BuyboxTab {
    pub rows: Vec<BuyboxEntry>,
    pub selected: usize,
    pub loading: bool,
    pub loaded: bool,
    /// Only offers that lost the buy button.
    pub losing_only: bool,
    /// How suggestions are computed (`[prices]`).
    pub options: BuyboxOptions,
    pub last_load: Option<DateTime<Utc>>,
    /// Smart Deals checks asked from this tab or the palette, by account and offer id.
    pub smart_deals: HashMap<(String, i64), SmartDealCheck>,
}

/// One offer's Smart Deals price check.
#[derive(Debug, Clone, PartialEq)]
pub enum SmartDealCheck {
    /// Asked; eMAG's answer is awaited (off the UI task, through the account's limiter).
    Checking,
    Done {
        deal: SmartDeal,
        at: DateTime<Utc>,
    },
    Failed(JobError),
}

impl BuyboxTab {
    pub fn selected_row(&self) -> Option<&BuyboxEntry> {
        self.rows.get(self.selected)
    }

    /// Whether the open tab should read the list again.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        !self.loading
            && self
                .last_load
                .is_none_or(|t| now - t >= Duration::seconds(RELOAD_SECS))
    }

    /// Takes a fresh list, keeping the cursor on the same offer when it is still listed.
    pub fn set_rows(&mut self, rows: Vec<BuyboxEntry>, now: DateTime<Utc>) {
        let keep = self.selected_row().map(|r| (r.account.clone(), r.id));
        self.rows = rows;
        self.selected = keep
            .and_then(|(a, id)| self.rows.iter().position(|r| r.account == a && r.id == id))
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
        self.loading = false;
        self.loaded = true;
        self.last_load = Some(now);
    }

    /// The selected offer's Smart Deals check, if one was asked.
    pub fn smart_deal(&self) -> Option<&SmartDealCheck> {
        let row = self.selected_row()?;
        self.smart_deals.get(&(row.account.clone(), row.id))
    }

    /// Marks the selected offer as being checked and says which to ask, or why not (one
    /// check in flight per offer).
    pub fn ask_smart_deal(&mut self) -> Result<(String, i64), JobError> {
        let Some(row) = self.selected_row() else {
            return Err(JobError::Refused("no offer is selected".into()));
        };
        let key = (row.account.clone(), row.id);
        self.ask_smart_deals(std::slice::from_ref(&key))?;
        Ok(key)
    }

    /// Marks `offers` (account, id) as being checked and says which to ask, by account, or why
    /// none can be: offers with a check in flight are left out, and at most
    /// [`MAX_CHECKS`] are asked at once (one request each).
    pub fn ask_smart_deals(
        &mut self,
        offers: &[(String, i64)],
    ) -> Result<Vec<(String, Vec<i64>)>, JobError> {
        if offers.len() > MAX_CHECKS {
            return Err(JobError::Refused(format!(
                "{} offers marked; at most {MAX_CHECKS} are checked at once (one request each)",
                offers.len()
            )));
        }
        let mut by_account: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for key in offers {
            if self.smart_deals.get(key) != Some(&SmartDealCheck::Checking) {
                by_account.entry(key.0.clone()).or_default().push(key.1);
            }
        }
        if by_account.is_empty() {
            return Err(JobError::Refused(match offers {
                [(_, id)] => format!("offer {id} is being checked"),
                _ => "these offers are being checked".into(),
            }));
        }
        for (account, ids) in &by_account {
            for id in ids {
                self.smart_deals
                    .insert((account.clone(), *id), SmartDealCheck::Checking);
            }
        }
        Ok(by_account.into_iter().collect())
    }

    /// Takes eMAG's answers (or the failure of the whole request) for offers of `account`.
    pub fn set_smart_deals(
        &mut self,
        account: &str,
        ids: &[i64],
        result: Result<crate::tui::engine_backend::SmartDealResults, JobError>,
        now: DateTime<Utc>,
    ) {
        match result {
            Ok(answers) => {
                for (id, r) in answers {
                    let check = match r {
                        Ok(deal) => SmartDealCheck::Done { deal, at: now },
                        Err(e) => SmartDealCheck::Failed(e),
                    };
                    self.smart_deals.insert((account.to_string(), id), check);
                }
            }
            Err(e) => {
                for id in ids {
                    self.smart_deals.insert(
                        (account.to_string(), *id),
                        SmartDealCheck::Failed(e.clone()),
                    );
                }
            }
        }
    }

    /// The selected offer's suggested price, or why there is none to queue.
    pub fn suggestion(&self) -> Result<(&BuyboxEntry, rust_decimal::Decimal), JobError> {
        let Some(row) = self.selected_row() else {
            return Err(JobError::Refused("no offer is selected".into()));
        };
        match &row.suggestion {
            Suggestion::Price { price } => Ok((row, *price)),
            Suggestion::None { reason } => {
                Err(JobError::Refused(format!("offer {}: {reason}", row.id)))
            }
        }
    }
}

impl SmartDealCheck {
    /// One offer's answer in a sentence, for a toast when the tab does not show it: the target
    /// price (without VAT, as eMAG's) and the distance to it, or why the check failed.
    pub fn answer(&self, id: i64) -> String {
        match self {
            SmartDealCheck::Checking => format!("offer {id}: asking eMAG…"),
            SmartDealCheck::Failed(why) => format!("offer {id}: check failed: {why}"),
            SmartDealCheck::Done { deal, .. } => {
                let show = |d: rust_decimal::Decimal| crate::price::money::show(d);
                let Some(target) = deal.target_price else {
                    return format!("offer {id}: eMAG gave no target price");
                };
                let currency = deal.currency.as_deref().unwrap_or("");
                let distance = match (deal.distance, deal.distance_percent) {
                    (Some(d), _) if d <= rust_decimal::Decimal::ZERO => {
                        "the price qualifies".to_string()
                    }
                    (Some(d), Some(p)) => format!("{} ({p} %) to come down", show(d)),
                    (Some(d), None) => format!("{} to come down", show(d)),
                    (None, _) => "distance unknown".to_string(),
                };
                format!(
                    "offer {id}: target {} {currency} without VAT, {distance}",
                    show(target)
                )
            }
        }
    }
}
