//! The Buy button tab in `update()`: its list, and Smart Deals checks asked with `s` on the tab
//! or from the palette for the selected or marked offers.

use super::{App, Effect, Tab};
use crate::tui::engine_backend::SmartDealResults;
use crate::tui::error::JobError;

impl App {
    /// Reads the Buy button list again.
    pub(crate) fn load_buybox(&mut self) -> Vec<Effect> {
        self.buybox.loading = true;
        vec![Effect::LoadBuybox {
            losing: self.buybox.losing_only,
            options: self.buybox.options.clone(),
        }]
    }

    /// `s` on the Buy button tab: checks the selected offer.
    pub(crate) fn smart_deal_selected(&mut self) -> Vec<Effect> {
        match self.buybox.ask_smart_deal() {
            Ok((account, id)) => vec![Effect::SmartDeals {
                account,
                ids: vec![id],
            }],
            Err(why) => {
                self.toast(why.to_string(), false);
                vec![]
            }
        }
    }

    /// The palette's `smart deals`: checks the Buy button tab's selected offer, or the
    /// Products tab's marked offers (the selected one when none is marked), one request each
    /// through each account's limiter.
    pub(crate) fn smart_deals_of_selection(&mut self) -> Result<Vec<Effect>, JobError> {
        let offers: Vec<(String, i64)> = match self.tab {
            Tab::Buybox => return Ok(self.smart_deal_selected()),
            Tab::Products if !self.products.marked.is_empty() => {
                self.products.marked.iter().cloned().collect()
            }
            Tab::Products => match self.products.rows.get(self.products.selected) {
                Some(r) => vec![(r.account.clone(), r.id)],
                None => return Err(JobError::Refused("no offer is selected".into())),
            },
            _ => {
                return Err(JobError::Refused(
                    "smart deals checks the selected or marked offers of Products (3) or Buy button (6); open one"
                        .into(),
                ));
            }
        };
        let asked = self.buybox.ask_smart_deals(&offers)?;
        let n: usize = asked.iter().map(|(_, ids)| ids.len()).sum();
        self.toast(
            format!(
                "asking eMAG's Smart Deals check for {n} offer{}…",
                if n == 1 { "" } else { "s" }
            ),
            false,
        );
        Ok(asked
            .into_iter()
            .map(|(account, ids)| Effect::SmartDeals { account, ids })
            .collect())
    }

    /// eMAG's answers: kept for the Buy button tab, and told in a toast when the tab does not
    /// show them (asked from Products, or several offers at once).
    pub(crate) fn on_smart_deals(
        &mut self,
        account: String,
        ids: Vec<i64>,
        result: Result<SmartDealResults, JobError>,
    ) -> Vec<Effect> {
        if let Err(e) = &result {
            self.toast(format!("Smart Deals check of {account} failed: {e}"), true);
        }
        let whole_failed = result.is_err();
        self.buybox
            .set_smart_deals(&account, &ids, result, self.now);
        if whole_failed || (self.tab == Tab::Buybox && ids.len() == 1) {
            return vec![];
        }
        let checks: Vec<_> = ids
            .iter()
            .filter_map(|id| {
                let check = self.buybox.smart_deals.get(&(account.clone(), *id))?;
                Some((*id, check))
            })
            .collect();
        let failed = checks
            .iter()
            .any(|(_, c)| matches!(c, crate::tui::tabs::buybox::SmartDealCheck::Failed(_)));
        let text = checks
            .iter()
            .map(|(id, c)| c.answer(*id))
            .collect::<Vec<_>>()
            .join("; ");
        self.toast(format!("Smart Deals of {account}: {text}"), failed);
        vec![]
    }
}
