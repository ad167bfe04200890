//! Keymap actions outside popups: tabs, motions, syncs, tests, filters and sorting.

use super::{
    App, Confirm, Effect, HISTORY_SINCE_DAYS, OptionsForm, Popup, Tab, cycle, products_sort_keys,
};
use crate::model::search::{StatusFilter, StockFilter};
use crate::model::{RunStatus, SyncMode};
use crate::tui::keymap::Action;
use crate::tui::tabs::step;
use tui_input::Input;

impl App {
    pub(super) fn on_action(&mut self, action: Action) -> Vec<Effect> {
        use Action::*;
        match action {
            Quit => self.request_quit(),
            Help => {
                self.popups.push(Popup::Help {
                    filter: Input::default(),
                    typing: false,
                    scroll: 0,
                });
                vec![]
            }
            Errors => {
                self.acknowledge_alerts();
                self.popups.push(Popup::Errors { scroll: 0 });
                vec![]
            }
            TabConnections => self.switch(Tab::Connections),
            TabSync => self.switch(Tab::Sync),
            TabProducts => self.switch(Tab::Products),
            TabHistory => self.switch(Tab::History),
            TabChanges => self.switch(Tab::Changes),
            TabBuybox => self.switch(Tab::Buybox),
            QueueSuggestion => match self.buybox.suggestion() {
                Ok((row, price)) => vec![Effect::QueueEdit {
                    account: row.account.clone(),
                    id: row.id,
                    request: crate::edits::EditRequest {
                        sale_price: Some(price),
                        ..Default::default()
                    },
                }],
                Err(why) => {
                    self.toast(why.to_string(), true);
                    vec![]
                }
            },
            SmartDeals => self.smart_deal_selected(),
            LosingOnly => {
                self.buybox.losing_only = !self.buybox.losing_only;
                self.load_buybox()
            }
            NextTab => self.switch(step(&Tab::ALL, self.tab, true)),
            PrevTab => self.switch(step(&Tab::ALL, self.tab, false)),
            EditOffer => self.open_edit_form(),
            Push => self.preview_push(false),
            PushAccount => self.preview_push(true),
            Mark => self.toggle_mark(),
            Discard => self.ask_discard(),
            BulkEdit => self.open_bulk_form(),
            Refresh => self.refresh_now(),
            Palette => self.open_palette(),
            KeepLocal => self.resolve_selected(crate::edits::Keep::Local),
            KeepRemote => self.resolve_selected(crate::edits::Keep::Remote),
            Up => self.motion(-1),
            Down => self.motion(1),
            HalfPageUp => self.motion(-(self.page() as i64 / 2).max(1)),
            HalfPageDown => self.motion((self.page() as i64 / 2).max(1)),
            Top => self.motion(i64::MIN / 2),
            Bottom => self.motion(i64::MAX / 2),
            // Esc backs out of a search (k9s-style) and otherwise does nothing; it never quits.
            Back if self.tab == Tab::Products && self.products.query.text.is_some() => {
                self.products.input.reset();
                self.products.query.text = None;
                self.requery()
            }
            Back if self.tab == Tab::Sync && !self.log.search.value().is_empty() => {
                self.log.search.reset();
                vec![]
            }
            Back => vec![],
            Open => self.open(),
            Summary => self.toggle_summary(),
            SyncIncremental => self.start_sync(SyncMode::Incremental),
            SyncFull => {
                let Some(account) = self.selected_account_name().map(str::to_string) else {
                    return vec![];
                };
                if self.running_of(&account).is_some() {
                    self.toast(format!("{account} is already syncing"), true);
                    return vec![];
                }
                let pages = self
                    .stats_of(&account)
                    .and_then(|s| s.last_run.as_ref())
                    .and_then(|r| r.counts.pages_total);
                self.popups
                    .push(Popup::Confirm(Confirm::FullSync { account, pages }));
                vec![]
            }
            AcceptGuardHold => match self.selected_account_name().map(str::to_string) {
                Some(account) => self.ask_accept_hold(account),
                None => vec![],
            },
            SyncAll => self.ask_sync_all(SyncMode::Incremental),
            SyncAllFull => self.ask_sync_all(SyncMode::Full),
            CancelRun => {
                let Some(account) = self.selected_account_name().map(str::to_string) else {
                    return vec![];
                };
                match self.running_of(&account).map(|r| r.id) {
                    Some(run_id) => {
                        self.popups
                            .push(Popup::Confirm(Confirm::CancelRun { account, run_id }));
                    }
                    None => self.toast(format!("{account} has no running sync"), true),
                }
                vec![]
            }
            Options => {
                if let Some(account) = self.selected_account_name().map(str::to_string) {
                    let form = OptionsForm::new(&account, &self.options_of(&account));
                    self.popups.push(Popup::Options(form));
                }
                vec![]
            }
            Test => match self.selected_account_name().map(str::to_string) {
                Some(a) if !self.testing.contains(&a) => {
                    self.testing.insert(a.clone());
                    vec![Effect::Test(a)]
                }
                _ => vec![],
            },
            TestAll => {
                let names: Vec<String> = self.accounts.iter().map(|a| a.name.clone()).collect();
                names
                    .into_iter()
                    .filter(|a| self.testing.insert(a.clone()))
                    .map(Effect::Test)
                    .collect()
            }
            Follow => {
                self.log.follow = true;
                self.log.scroll_back = 0;
                vec![]
            }
            LogLevel => {
                self.log.next_level();
                vec![]
            }
            Search if self.tab == Tab::Sync => {
                self.log.searching = true;
                vec![]
            }
            Search => {
                self.products.typing = true;
                vec![]
            }
            LogWrap => {
                self.log.nowrap = !self.log.nowrap;
                vec![]
            }
            FilterAccount if self.tab == Tab::Products => {
                self.products.query.account =
                    cycle(&self.account_names(), self.products.query.account.as_ref());
                self.requery()
            }
            FilterAccount => {
                self.history.filter_account =
                    cycle(&self.account_names(), self.history.filter_account.as_ref());
                self.history.selected = 0;
                self.history_loads(true)
            }
            FilterStatus if self.tab == Tab::Products => {
                let all = [
                    StatusFilter::Active,
                    StatusFilter::Inactive,
                    StatusFilter::Missing,
                ];
                self.products.query.status = cycle(&all, self.products.query.status.as_ref());
                self.requery()
            }
            FilterStatus => {
                self.history.filter_status =
                    cycle(RunStatus::ALL, self.history.filter_status.as_ref());
                self.history.selected = 0;
                self.history_loads(true)
            }
            FilterSince => {
                self.history.filter_since_days =
                    cycle(&HISTORY_SINCE_DAYS, self.history.filter_since_days.as_ref());
                self.history.selected = 0;
                self.history_loads(true)
            }
            FilterStock => {
                let all = [StockFilter::Zero, StockFilter::Low];
                self.products.query.stock = cycle(&all, self.products.query.stock.as_ref());
                self.requery()
            }
            SortNext => {
                self.products.query.sort =
                    step(&products_sort_keys(), self.products.query.sort, true);
                self.requery()
            }
            SortReverse => {
                self.products.query.descending = !self.products.query.descending;
                self.requery()
            }
            Copy => match self
                .products
                .rows
                .get(self.products.selected)
                .and_then(|r| r.part_number.clone())
            {
                Some(pn) => vec![Effect::Copy(pn)],
                None => {
                    self.toast("this offer has no part number", true);
                    vec![]
                }
            },
        }
    }
}
