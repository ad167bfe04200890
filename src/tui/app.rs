//! Dashboard state and the one `update()` that changes it. No I/O here: `update` returns the
//! effects it wants (queries, syncs, tests, quitting) and their results come back as messages.

use super::keymap::{Key, Keymap};
use super::theme::Theme;
use crate::model::search::SortKey;
use crate::model::{SyncMode, SyncOptions, SyncRun};
use crate::store::accounts::AccountStats;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;
use tui_input::backend::crossterm::EventHandler;

/// Rows fetched per products page; keyset paging loads the next page near the bottom.
pub const PAGE_ROWS: i64 = 200;
/// Typing pauses this long before a search runs.
pub const SEARCH_DEBOUNCE: StdDuration = StdDuration::from_millis(150);
/// Toasts stay this long.
pub const TOAST_SECS: i64 = 5;
/// The History tab's "since" choices, in days (none = all runs).
pub const HISTORY_SINCE_DAYS: [i64; 3] = [1, 7, 30];
/// Log lines kept per run in memory.
const LOG_KEEP: usize = 5_000;

mod actions;
mod buybox;
mod changes;
mod history;
mod msg;
mod popups;
mod products;
mod state;
mod watch;

pub use super::tabs::history::History;
pub use super::tabs::products::Products;
pub use super::text::group;
pub use msg::{Effect, Msg};
pub use state::{
    AccountInfo, Confirm, ConnTest, Dashboard, LogPane, OfferDetail, OptionsField, OptionsForm,
    Popup, PricePanel, RunDetail, Tab, Toast, level_rank,
};

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct App {
    pub now: DateTime<Utc>,
    /// Times are shown in this zone (fixed in tests so snapshots are stable).
    pub tz: FixedOffset,
    pub store_url: String,
    pub accounts: Vec<AccountInfo>,
    pub defaults: SyncOptions,
    pub keymap: Keymap,
    pub theme: Theme,
    pub tab: Tab,
    pub popups: Vec<Popup>,
    pub size: (u16, u16),
    pub dashboard: Dashboard,
    pub loaded: bool,
    /// A dashboard poll is in flight; a slow store never piles up requests.
    pub polling: bool,
    pub selected_account: usize,
    pub tests: HashMap<String, ConnTest>,
    pub testing: HashSet<String>,
    /// Accounts whose start request is in flight.
    pub starting: HashSet<String>,
    /// Runs this TUI started that have not finished yet (quitting asks first).
    pub own_runs: HashSet<i64>,
    pub options: HashMap<String, SyncOptions>,
    pub log: LogPane,
    pub products: Products,
    pub history: History,
    pub summary: super::tabs::history::Summary,
    pub changes: super::tabs::changes::Changes,
    pub buybox: super::tabs::buybox::BuyboxTab,
    pub toast: Option<Toast>,
    pub errors: Vec<(DateTime<Utc>, String)>,
    pub quit: bool,
    /// Thresholds the dashboard judges health by (the config's `[health]`).
    pub health: crate::config::HealthConfig,
    /// Most offers one push may change ([push] max_offers).
    pub push_max_offers: usize,
    /// Ring the terminal bell when a run ends badly ([tui] bell).
    pub bell: bool,
    /// Runs that ended badly since the `e` list was last opened (the header badge).
    pub alerts: Vec<super::alerts::RunAlert>,
    /// Each account's last finished run as last seen, to notice a new one.
    pub last_finished: HashMap<String, i64>,
    pub runs_seen_once: bool,
}

impl App {
    pub fn new(
        accounts: Vec<AccountInfo>,
        store_url: String,
        defaults: SyncOptions,
        keymap: Keymap,
        theme: Theme,
        now: DateTime<Utc>,
        tz: FixedOffset,
    ) -> App {
        App {
            now,
            tz,
            store_url,
            accounts,
            defaults,
            keymap,
            theme,
            tab: Tab::Connections,
            popups: Vec::new(),
            size: (120, 40),
            dashboard: Dashboard::default(),
            loaded: false,
            polling: false,
            selected_account: 0,
            tests: HashMap::new(),
            testing: HashSet::new(),
            starting: HashSet::new(),
            own_runs: HashSet::new(),
            options: HashMap::new(),
            log: LogPane {
                follow: true,
                ..LogPane::default()
            },
            products: Products::default(),
            history: History::default(),
            summary: Default::default(),
            changes: Default::default(),
            buybox: Default::default(),
            toast: None,
            errors: Vec::new(),
            quit: false,
            health: crate::config::Settings::default().health,
            push_max_offers: crate::config::DEFAULT_PUSH_MAX_OFFERS as usize,
            bell: false,
            alerts: Vec::new(),
            last_finished: HashMap::new(),
            runs_seen_once: false,
        }
    }

    /// Effects to run once at start.
    pub fn init(&mut self) -> Vec<Effect> {
        self.polling = true;
        vec![Effect::LoadDashboard]
    }

    pub fn running_of(&self, account: &str) -> Option<&SyncRun> {
        self.dashboard.running.iter().find(|r| r.account == account)
    }

    pub fn stats_of(&self, account: &str) -> Option<&AccountStats> {
        self.dashboard.stats.iter().find(|s| s.account == account)
    }

    /// The run the Sync tab shows for an account: the running one, else the last.
    pub fn run_of(&self, account: &str) -> Option<&SyncRun> {
        self.running_of(account)
            .or_else(|| self.stats_of(account).and_then(|s| s.last_run.as_ref()))
    }

    /// Whether the Sync tab's selected run has an error line under its details.
    pub fn selected_run_has_error(&self) -> bool {
        self.selected_account_name()
            .and_then(|a| self.run_of(a))
            .is_some_and(|r| r.error_summary.is_some())
    }

    pub fn selected_account_name(&self) -> Option<&str> {
        self.accounts
            .get(self.selected_account)
            .map(|a| a.name.as_str())
    }

    pub fn options_of(&self, account: &str) -> SyncOptions {
        self.options.get(account).cloned().unwrap_or_else(|| {
            let mut o = self.defaults.clone();
            if let Some(a) = self.accounts.iter().find(|a| a.name == account) {
                o.items_per_page = a.items_per_page;
                o.max_pages = a.max_pages;
            }
            o
        })
    }

    pub fn toast(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        if error {
            self.errors.push((self.now, text.clone()));
        }
        self.toast = Some(Toast {
            text,
            error,
            until: self.now + Duration::seconds(TOAST_SECS),
        });
    }

    /// The page height of the focused table, for half-page motions.
    fn page(&self) -> usize {
        super::layout::page_rows(self.size)
    }

    /// True when `msg` only repeats what the screen already shows (the every-second poll of an
    /// idle store), so the terminal loop can skip a frame: over a slow link an idle dashboard
    /// then writes only its clock.
    pub fn is_quiet(&self, msg: &Msg) -> bool {
        match msg {
            Msg::Dashboard(Ok(d)) => self.loaded && *d == self.dashboard,
            Msg::Events {
                run_id,
                events: Ok(ev),
            } => ev.is_empty() || self.log.run_id != Some(*run_id),
            Msg::Runs(Ok(runs)) => self.history.loaded && *runs == self.history.runs,
            _ => false,
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Key(_) => vec![],
            Msg::Resize(w, h) => {
                self.size = (w, h);
                vec![]
            }
            Msg::Tick(now) => {
                self.now = now;
                if self.toast.as_ref().is_some_and(|t| t.until <= now) {
                    self.toast = None;
                }
                self.poll()
            }
            Msg::Dashboard(Ok(d)) => {
                self.polling = false;
                let store_changed = self.loaded && d.stats != self.dashboard.stats;
                self.dashboard = d;
                self.loaded = true;
                let running: HashSet<i64> = self.dashboard.running.iter().map(|r| r.id).collect();
                let finished: Vec<i64> = self
                    .own_runs
                    .iter()
                    .copied()
                    .filter(|id| !running.contains(id))
                    .collect();
                for id in finished {
                    self.own_runs.remove(&id);
                }
                let mut fx = self.watch_runs();
                fx.extend(self.follow_log_run());
                if store_changed {
                    fx.extend(self.refresh_on_change());
                }
                fx
            }
            Msg::Dashboard(Err(e)) => {
                self.polling = false;
                self.toast(format!("reading the store failed: {e}"), true);
                vec![]
            }
            Msg::Events { run_id, events } => {
                self.log.loading = false;
                match events {
                    Ok(ev) if self.log.run_id == Some(run_id) => {
                        if let Some(last) = ev.last() {
                            self.log.last_id = last.id;
                        }
                        let more = ev.len() as i64 >= 500;
                        self.log.events.extend(ev);
                        let excess = self.log.events.len().saturating_sub(LOG_KEEP);
                        self.log.events.drain(..excess);
                        if more {
                            self.log.loading = true;
                            return vec![Effect::LoadEvents {
                                run_id,
                                after_id: self.log.last_id,
                            }];
                        }
                    }
                    Ok(_) => {}
                    Err(e) => self.toast(format!("reading the run log failed: {e}"), true),
                }
                vec![]
            }
            Msg::SearchDue(seq) if seq == self.products.seq => self.search(),
            Msg::SearchDue(_) => vec![],
            Msg::Products { seq, append, rows } => {
                if seq != self.products.seq {
                    return vec![];
                }
                let p = &mut self.products;
                p.loading = false;
                p.loaded_once = true;
                match rows {
                    Ok(rows) => {
                        p.exhausted = (rows.len() as i64) < PAGE_ROWS;
                        // Which of these offers carry a pending local edit (marked apart from
                        // eMAG's values in the table).
                        let keys: Vec<(String, i64)> =
                            rows.iter().map(|r| (r.account.clone(), r.id)).collect();
                        if append {
                            p.rows.extend(rows);
                        } else {
                            p.pending.clear();
                            p.rows = rows;
                            // A reload in place keeps the cursor on its offer, a new query
                            // starts at the top.
                            let kept = p.keep.take().and_then(|(a, id)| {
                                p.rows.iter().position(|r| r.account == a && r.id == id)
                            });
                            match kept {
                                Some(i) => p.reveal(i, super::layout::products_rows(self.size)),
                                None => {
                                    p.selected = 0;
                                    p.offset = 0;
                                }
                            }
                        }
                        if !keys.is_empty() {
                            return vec![Effect::LoadPending(keys)];
                        }
                    }
                    Err(e) => self.toast(format!("search failed: {e}"), true),
                }
                vec![]
            }
            Msg::Pending(Ok(edits)) => {
                for e in edits {
                    if e.state == crate::edits::EditState::Pending {
                        self.products
                            .pending
                            .insert((e.account.clone(), e.offer_id), e);
                    }
                }
                vec![]
            }
            Msg::Pending(Err(e)) => {
                self.toast(format!("reading local edits failed: {e}"), true);
                vec![]
            }
            Msg::Count { seq, total } => {
                if seq == self.products.seq {
                    match total {
                        Ok(n) => self.products.total = Some(n),
                        Err(e) => self.toast(format!("counting failed: {e}"), true),
                    }
                }
                vec![]
            }
            Msg::Runs(Ok(runs)) => {
                self.history.runs = runs;
                self.history.loaded = true;
                self.history.selected = self
                    .history
                    .selected
                    .min(self.history.runs.len().saturating_sub(1));
                vec![]
            }
            Msg::Summary(facts) => self.summary_loaded(facts),
            Msg::Runs(Err(e)) => {
                self.toast(format!("reading the history failed: {e}"), true);
                vec![]
            }
            Msg::RunDetail(Ok(d)) => {
                self.popups.push(Popup::Run(d));
                vec![]
            }
            Msg::OfferDetail(Ok(Some(d))) => {
                self.popups.push(Popup::Offer(d));
                vec![]
            }
            Msg::OfferDetail(Ok(None)) => {
                self.toast("that offer is no longer in the store", true);
                vec![]
            }
            Msg::RunDetail(Err(e)) | Msg::OfferDetail(Err(e)) => {
                self.toast(format!("reading details failed: {e}"), true);
                vec![]
            }
            Msg::SyncStarted { account, result } => {
                self.starting.remove(&account);
                match result {
                    Ok(run_id) => {
                        self.own_runs.insert(run_id);
                        self.toast(format!("{account}: run {run_id} started"), false);
                        vec![Effect::LoadDashboard]
                    }
                    Err(e) => {
                        self.toast(format!("{account}: {e}"), true);
                        vec![]
                    }
                }
            }
            Msg::Cancelled { run_id, result } => {
                match result {
                    Ok(()) => self.toast(format!("run {run_id}: cancelling"), false),
                    Err(e) => self.toast(format!("run {run_id}: {e}"), true),
                }
                vec![]
            }
            Msg::Tested(t) => {
                self.testing.remove(&t.account);
                let (text, failed) = (t.toast(), !t.ok);
                self.tests.insert(t.account.clone(), t);
                self.toast(text, failed);
                vec![]
            }
            Msg::Copied(text) => {
                let shown = super::text::truncate(&text, 48);
                self.toast(format!("copied {shown}"), false);
                vec![]
            }
            Msg::Edits(r) => self.on_edits(r),
            Msg::EditQueued(r) => self.on_queued(r),
            Msg::Pushed(r) => self.on_pushed(r),
            Msg::PushPreview(r) => self.on_preview(r),
            Msg::Discarded(r) => self.on_discarded(r),
            Msg::BulkQueued(r) => self.on_bulk_queued(r),
            Msg::Resolved(r) => self.on_resolved(r),
            Msg::Exported(Ok((n, path))) => {
                self.toast(
                    format!("exported {} offers to {path}", group(n as i64)),
                    false,
                );
                vec![]
            }
            Msg::Exported(Err(e)) => {
                self.toast(format!("export failed: {e}"), true);
                vec![]
            }
            Msg::Buybox(Ok(rows)) => {
                self.buybox.set_rows(rows, self.now);
                vec![]
            }
            Msg::Buybox(Err(e)) => {
                self.buybox.loading = false;
                self.buybox.last_load = Some(self.now);
                self.toast(format!("reading the buy-button list failed: {e}"), true);
                vec![]
            }
            Msg::SmartDeals {
                account,
                ids,
                result,
            } => self.on_smart_deals(account, ids, result),
        }
    }

    /// What to reload every tick: the dashboard always, plus what the open tab shows.
    fn poll(&mut self) -> Vec<Effect> {
        let mut fx = vec![];
        if !self.polling {
            self.polling = true;
            fx.push(Effect::LoadDashboard);
        }
        if self.tab == Tab::Buybox && self.buybox.due(self.now) {
            fx.extend(self.load_buybox());
        }
        if let (Some(run_id), false) = (self.log.run_id, self.log.loading)
            && self.tab == Tab::Sync
        {
            self.log.loading = true;
            fx.push(Effect::LoadEvents {
                run_id,
                after_id: self.log.last_id,
            });
        }
        if self.tab == Tab::History {
            fx.extend(self.history_loads(false));
        }
        if self.tab == Tab::Changes {
            fx.push(Effect::LoadEdits);
        }
        fx
    }

    pub(crate) fn history_filter(&self) -> Effect {
        Effect::LoadRuns {
            account: self.history.filter_account.clone(),
            status: self.history.filter_status,
            since: self
                .history
                .filter_since_days
                .map(|d| self.now - Duration::days(d)),
        }
    }

    /// Points the log pane at the selected account's run; a new run starts a fresh log.
    pub(crate) fn follow_log_run(&mut self) -> Vec<Effect> {
        let run_id = self
            .selected_account_name()
            .and_then(|a| self.run_of(a))
            .map(|r| r.id);
        if run_id == self.log.run_id {
            return vec![];
        }
        // A new run keeps how the pane is read: level, search and wrapping.
        self.log = LogPane {
            run_id,
            follow: true,
            min_level: self.log.min_level,
            search: self.log.search.clone(),
            nowrap: self.log.nowrap,
            ..LogPane::default()
        };
        match run_id {
            Some(run_id) => {
                self.log.loading = true;
                vec![Effect::LoadEvents {
                    run_id,
                    after_id: 0,
                }]
            }
            None => vec![],
        }
    }

    fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let key = Key::from_event(&ev);
        // Ctrl-C always works, whatever has the focus.
        if key == Key::ctrl('c') {
            if matches!(
                self.popups.last(),
                Some(Popup::Confirm(Confirm::QuitWhileRunning { .. }))
            ) {
                return self.quit_now();
            }
            return self.request_quit();
        }
        if key == Key::ctrl('z') {
            return vec![Effect::Suspend];
        }
        if !self.popups.is_empty() {
            return self.popup_key(ev, key);
        }
        if self.products.typing && self.tab == Tab::Products {
            return self.search_key(ev);
        }
        if self.log.searching && self.tab == Tab::Sync {
            self.log.search_key(ev);
            return vec![];
        }
        match self.keymap.action(self.tab.context(), key) {
            Some(a) => self.on_action(a),
            None => vec![],
        }
    }

    pub(crate) fn request_quit(&mut self) -> Vec<Effect> {
        if self.own_runs.is_empty() {
            return self.quit_now();
        }
        let runs = self.own_runs.len();
        self.popups.retain(|p| !matches!(p, Popup::Confirm(_)));
        self.popups
            .push(Popup::Confirm(Confirm::QuitWhileRunning { runs }));
        vec![]
    }

    fn quit_now(&mut self) -> Vec<Effect> {
        self.quit = true;
        let mut fx: Vec<Effect> = self
            .own_runs
            .iter()
            .map(|id| Effect::CancelRun(*id))
            .collect();
        fx.sort_by_key(|e| match e {
            Effect::CancelRun(id) => *id,
            _ => 0,
        });
        fx.push(Effect::Quit);
        fx
    }

    pub(crate) fn switch(&mut self, tab: Tab) -> Vec<Effect> {
        self.tab = tab;
        match tab {
            Tab::Products if !self.products.loaded_once && !self.products.loading => {
                self.products.seq += 1;
                self.search()
            }
            Tab::History => self.history_loads(true),
            Tab::Changes => vec![Effect::LoadEdits],
            Tab::Buybox => self.load_buybox(),
            Tab::Sync => {
                let mut fx = self.follow_log_run();
                if fx.is_empty()
                    && let Some(run_id) = self.log.run_id
                    && !self.log.loading
                {
                    self.log.loading = true;
                    fx.push(Effect::LoadEvents {
                        run_id,
                        after_id: self.log.last_id,
                    });
                }
                fx
            }
            _ => vec![],
        }
    }

    fn account_names(&self) -> Vec<String> {
        self.accounts.iter().map(|a| a.name.clone()).collect()
    }

    /// A query change: bump the sequence (older answers are dropped) and search now.
    pub(crate) fn requery(&mut self) -> Vec<Effect> {
        self.products.seq += 1;
        self.search()
    }

    fn search(&mut self) -> Vec<Effect> {
        let p = &mut self.products;
        p.loading = true;
        p.exhausted = false;
        p.total = None;
        let seq = p.seq;
        vec![
            Effect::Search {
                seq,
                query: p.query.clone(),
                after: None,
                limit: PAGE_ROWS,
            },
            Effect::Count {
                seq,
                query: p.query.clone(),
            },
        ]
    }

    fn search_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        match ev.code {
            KeyCode::Esc => {
                // Esc clears the search, a second Esc (empty box) just leaves it.
                self.products.typing = false;
                if self.products.input.value().is_empty() {
                    return vec![];
                }
                self.products.input.reset();
                self.products.query.text = None;
                self.requery()
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Up => {
                self.products.typing = false;
                vec![]
            }
            _ => {
                let before = self.products.input.value().to_string();
                self.products
                    .input
                    .handle_event(&crossterm::event::Event::Key(ev));
                let value = self.products.input.value().trim().to_string();
                if self.products.input.value() == before {
                    return vec![];
                }
                self.products.query.text = (!value.is_empty()).then_some(value);
                self.products.seq += 1;
                vec![Effect::Debounce(self.products.seq)]
            }
        }
    }

    pub(crate) fn motion(&mut self, delta: i64) -> Vec<Effect> {
        let step = |sel: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (sel as i64 + delta).clamp(0, len as i64 - 1) as usize
        };
        match self.tab {
            Tab::Connections => {
                self.selected_account = step(self.selected_account, self.accounts.len());
                vec![]
            }
            Tab::Changes => {
                self.changes_motion(delta);
                vec![]
            }
            Tab::Sync => {
                // Up/down move between accounts; Ctrl-U/Ctrl-D and g/G scroll the log.
                let page_motion = delta.abs() > 1;
                if page_motion {
                    let rows = super::layout::log_rows(
                        self.size,
                        self.accounts.len(),
                        self.selected_run_has_error(),
                    );
                    self.log.scroll(delta, rows);
                    vec![]
                } else {
                    self.selected_account = step(self.selected_account, self.accounts.len());
                    self.follow_log_run()
                }
            }
            Tab::Products => {
                let rows = super::layout::products_rows(self.size);
                let p = &mut self.products;
                match p.motion(delta, rows) {
                    // The next keyset page, before the user reaches the end.
                    Some(after) => vec![Effect::Search {
                        seq: p.seq,
                        query: p.query.clone(),
                        after: Some(after),
                        limit: PAGE_ROWS,
                    }],
                    None => vec![],
                }
            }
            Tab::History if self.summary.shown => {
                self.summary.scroll = (i64::from(self.summary.scroll) + delta).clamp(0, 999) as u16;
                vec![]
            }
            Tab::History => {
                self.history.selected = step(self.history.selected, self.history.runs.len());
                vec![]
            }
            Tab::Buybox => {
                self.buybox.selected = step(self.buybox.selected, self.buybox.rows.len());
                vec![]
            }
        }
    }

    fn open(&mut self) -> Vec<Effect> {
        match self.tab {
            Tab::Products => match self.products.rows.get(self.products.selected) {
                Some(r) => vec![Effect::LoadOffer {
                    account: r.account.clone(),
                    id: r.id,
                }],
                None => vec![],
            },
            Tab::History => match self.history.runs.get(self.history.selected) {
                Some(r) => vec![Effect::LoadRun(r.id)],
                None => vec![],
            },
            // The selected account's running or last run.
            Tab::Sync | Tab::Connections => {
                match self.selected_account_name().and_then(|a| self.run_of(a)) {
                    Some(r) => vec![Effect::LoadRun(r.id)],
                    None => {
                        self.toast("this account has no runs yet", false);
                        vec![]
                    }
                }
            }
            Tab::Buybox => match self.buybox.selected_row() {
                Some(r) => vec![Effect::LoadOffer {
                    account: r.account.clone(),
                    id: r.id,
                }],
                None => vec![],
            },
            _ => vec![],
        }
    }

    fn start_sync(&mut self, mode: SyncMode) -> Vec<Effect> {
        let Some(account) = self.selected_account_name().map(str::to_string) else {
            self.toast("no accounts are configured", true);
            return vec![];
        };
        self.start_account(account, mode)
    }

    /// `a` / `A`: asks before starting `mode` runs on every idle account.
    pub(crate) fn ask_sync_all(&mut self, mode: SyncMode) -> Vec<Effect> {
        let accounts: Vec<String> = self
            .accounts
            .iter()
            .map(|a| a.name.clone())
            .filter(|a| self.running_of(a).is_none() && !self.starting.contains(a))
            .collect();
        if accounts.is_empty() {
            self.toast("every account is already syncing", true);
            return vec![];
        }
        let pages = accounts
            .iter()
            .map(|a| self.options_of(a).max_pages)
            .collect();
        self.popups.push(Popup::Confirm(Confirm::SyncAll {
            mode,
            accounts,
            pages,
        }));
        vec![]
    }

    /// The mass-missing guard's reason for holding `account`'s last full scan, from its
    /// health (None when its last finished run was not held).
    pub fn guard_hold(&self, account: &str) -> Option<String> {
        let h = self
            .dashboard
            .health
            .iter()
            .find(|h| h.account == account)?;
        let f = h.findings.iter().find(|f| f.check == "guard")?;
        // The finding ends with the CLI command to accept; the popup is that command.
        let reason = match f.message.find("; if eMAG") {
            Some(end) => &f.message[..end],
            None => &f.message,
        };
        Some(reason.to_string())
    }

    /// `M`: asks before a full run that accepts the guard's hold on `account`.
    pub(crate) fn ask_accept_hold(&mut self, account: String) -> Vec<Effect> {
        if self.running_of(&account).is_some() || self.starting.contains(&account) {
            self.toast(format!("{account} is already syncing"), true);
            return vec![];
        }
        match self.guard_hold(&account) {
            Some(reason) => self
                .popups
                .push(Popup::Confirm(Confirm::AcceptGuardHold { account, reason })),
            None => self.toast(
                format!("{account}: no run is held by the mass-missing guard"),
                true,
            ),
        }
        vec![]
    }

    fn accept_hold(&mut self, account: String) -> Vec<Effect> {
        if self.running_of(&account).is_some() || self.starting.contains(&account) {
            self.toast(format!("{account} is already syncing"), true);
            return vec![];
        }
        let mut options = self.options_of(&account);
        options.mode = SyncMode::Full;
        self.starting.insert(account.clone());
        vec![Effect::AcceptGuardHold { account, options }]
    }

    pub(crate) fn start_account(&mut self, account: String, mode: SyncMode) -> Vec<Effect> {
        if self.running_of(&account).is_some() || self.starting.contains(&account) {
            self.toast(format!("{account} is already syncing"), true);
            return vec![];
        }
        let mut options = self.options_of(&account);
        options.mode = mode;
        self.starting.insert(account.clone());
        vec![Effect::StartSync { account, options }]
    }
}

/// Cycles `None → first → … → last → None` (a filter's "all" and its values).
fn cycle<T: Clone + PartialEq>(all: &[T], current: Option<&T>) -> Option<T> {
    match current.and_then(|c| all.iter().position(|v| v == c)) {
        None => all.first().cloned(),
        Some(i) => all.get(i + 1).cloned(),
    }
}

/// Sort columns in the order of the products table.
pub fn products_sort_keys() -> [SortKey; 7] {
    [
        SortKey::Name,
        SortKey::Account,
        SortKey::Id,
        SortKey::PartNumber,
        SortKey::Price,
        SortKey::Stock,
        SortKey::Rank,
    ]
}
