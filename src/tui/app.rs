//! Dashboard state and the one `update()` that changes it. No I/O here: `update` returns the
//! effects it wants (queries, syncs, tests, quitting) and their results come back as messages.

use super::keymap::{Action, Context, Key, Keymap};
use super::theme::Theme;
use crate::model::{
    ConflictStrategy, EventLevel, OfferChange, RunStatus, SyncEvent, SyncMode, SyncOptions, SyncRun,
};
use crate::store::offers::StoredOffer;
use crate::store::search::{Cursor, ProductQuery, ProductRow, SortKey, StatusFilter, StockFilter};
use crate::store::stats::AccountStats;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;
use tui_input::Input;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Connections,
    Sync,
    Products,
    History,
    Changes,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Connections,
        Tab::Sync,
        Tab::Products,
        Tab::History,
        Tab::Changes,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Tab::Connections => "Connections",
            Tab::Sync => "Sync",
            Tab::Products => "Products",
            Tab::History => "History",
            Tab::Changes => "Changes",
        }
    }
    pub fn context(self) -> Context {
        match self {
            Tab::Connections => Context::Connections,
            Tab::Sync => Context::Sync,
            Tab::Products => Context::Products,
            Tab::History => Context::History,
            Tab::Changes => Context::Changes,
        }
    }
    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// What the dashboard knows about a configured account (never its password).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountInfo {
    pub name: String,
    pub platform: String,
    pub base_url: String,
    pub username: String,
    pub items_per_page: u32,
    pub max_pages: Option<u32>,
}

/// Result of testing one account's connection.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnTest {
    pub account: String,
    pub ok: bool,
    pub message: String,
    pub offers: Option<u64>,
    pub latency_ms: u64,
    pub at: DateTime<Utc>,
}

/// What a store poll returns (about once a second).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    pub stats: Vec<AccountStats>,
    pub running: Vec<SyncRun>,
}

/// A run opened from History.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDetail {
    pub run: SyncRun,
    pub events: Vec<SyncEvent>,
    pub changes: Vec<OfferChange>,
    pub scroll: u16,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OfferDetail {
    pub offer: StoredOffer,
    pub changes: Vec<OfferChange>,
    pub scroll: u16,
}

/// Actions that need a "yes" first; the confirm popup hands them back typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    FullSync { account: String, pages: Option<i64> },
    CancelRun { account: String, run_id: i64 },
    QuitWhileRunning { runs: usize },
}

impl Confirm {
    pub fn question(&self) -> String {
        match self {
            Confirm::FullSync { account, pages } => format!(
                "Full sync of {account}: scans all {} and marks offers eMAG no longer lists. Start?",
                pages
                    .map(|p| format!("{p} pages"))
                    .unwrap_or_else(|| "pages".into())
            ),
            Confirm::CancelRun { account, run_id } => {
                format!("Cancel run {run_id} of {account}? Offers already written stay.")
            }
            Confirm::QuitWhileRunning { runs } => format!(
                "{runs} sync{} started here still running{}; quitting cancels {}. Quit?",
                if *runs == 1 { "" } else { "s" },
                if *runs == 1 { " is" } else { " are" },
                if *runs == 1 { "it" } else { "them" }
            ),
        }
    }
}

/// The options form (`o`): tui-input fields for numbers, toggles for the rest.
#[derive(Debug, Clone)]
pub struct OptionsForm {
    pub account: String,
    pub focus: usize,
    pub mode: SyncMode,
    pub max_pages: Input,
    pub items_per_page: Input,
    pub include_inactive: bool,
    pub strategy: ConflictStrategy,
    pub error: Option<String>,
}

impl OptionsForm {
    pub const FIELDS: [&'static str; 5] = [
        "mode",
        "max pages",
        "items per page",
        "include inactive",
        "conflict strategy",
    ];

    fn new(account: &str, o: &SyncOptions) -> OptionsForm {
        OptionsForm {
            account: account.to_string(),
            focus: 0,
            mode: o.mode,
            max_pages: Input::new(o.max_pages.map(|p| p.to_string()).unwrap_or_default()),
            items_per_page: Input::new(o.items_per_page.to_string()),
            include_inactive: o.include_inactive,
            strategy: o.conflict_strategy,
            error: None,
        }
    }

    /// The options typed, or the one sentence saying what is wrong.
    pub fn options(&self) -> Result<SyncOptions, String> {
        let max_pages = match self.max_pages.value().trim() {
            "" => None,
            v => Some(
                v.parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("max pages must be a positive number, not \"{v}\""))?,
            ),
        };
        let v = self.items_per_page.value().trim();
        let items_per_page = v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| format!("items per page must be 1 to 100, not \"{v}\""))?;
        Ok(SyncOptions {
            mode: self.mode,
            max_pages,
            items_per_page,
            include_inactive: self.include_inactive,
            conflict_strategy: self.strategy,
        })
    }
}

#[derive(Debug, Clone)]
pub enum Popup {
    Confirm(Confirm),
    Options(OptionsForm),
    /// `scroll`: the first key row shown, when the rows do not fit (80×24 shows about 15).
    Help {
        filter: Input,
        typing: bool,
        scroll: u16,
    },
    Errors {
        scroll: u16,
    },
    Offer(Box<OfferDetail>),
    Run(Box<RunDetail>),
    Edit(Box<super::changes::EditForm>),
}

/// The live log pane of the selected account's run.
#[derive(Debug, Clone, Default)]
pub struct LogPane {
    pub run_id: Option<i64>,
    pub events: Vec<SyncEvent>,
    pub last_id: i64,
    /// Following the tail; scrolling up pauses, End resumes.
    pub follow: bool,
    /// Lines from the bottom when paused.
    pub scroll_back: usize,
    pub min_level: Option<EventLevel>,
    pub loading: bool,
}

impl LogPane {
    pub fn visible(&self) -> Vec<&SyncEvent> {
        let min = self.min_level.map(level_rank).unwrap_or(0);
        self.events
            .iter()
            .filter(|e| level_rank(e.level) >= min)
            .collect()
    }
}

pub fn level_rank(l: EventLevel) -> u8 {
    match l {
        EventLevel::Debug => 0,
        EventLevel::Info => 1,
        EventLevel::Warn => 2,
        EventLevel::Error => 3,
    }
}

#[derive(Debug, Clone, Default)]
pub struct Products {
    pub query: ProductQuery,
    pub input: Input,
    pub typing: bool,
    pub rows: Vec<ProductRow>,
    pub selected: usize,
    pub offset: usize,
    /// Increases with every query change; results of an older one are dropped.
    pub seq: u64,
    pub loading: bool,
    pub exhausted: bool,
    pub total: Option<i64>,
    pub loaded_once: bool,
}

#[derive(Debug, Clone, Default)]
pub struct History {
    pub runs: Vec<SyncRun>,
    pub filter_status: Option<RunStatus>,
    pub filter_account: Option<String>,
    /// Only runs started in the last this many days.
    pub filter_since_days: Option<i64>,
    pub selected: usize,
    pub offset: usize,
    pub loaded: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub until: DateTime<Utc>,
}

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
    pub changes: super::changes::Changes,
    pub toast: Option<Toast>,
    pub errors: Vec<(DateTime<Utc>, String)>,
    pub quit: bool,
}

/// Everything that can happen to the dashboard.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The clock ticked (about once a second): poll the store, expire toasts.
    Tick(DateTime<Utc>),
    Dashboard(Result<Dashboard, String>),
    Events {
        run_id: i64,
        events: Result<Vec<SyncEvent>, String>,
    },
    SearchDue(u64),
    Products {
        seq: u64,
        append: bool,
        rows: Result<Vec<ProductRow>, String>,
    },
    Count {
        seq: u64,
        total: Result<i64, String>,
    },
    Runs(Result<Vec<SyncRun>, String>),
    RunDetail(Result<Box<RunDetail>, String>),
    OfferDetail(Result<Option<Box<OfferDetail>>, String>),
    SyncStarted {
        account: String,
        result: Result<i64, String>,
    },
    Cancelled {
        run_id: i64,
        result: Result<(), String>,
    },
    Tested(ConnTest),
    Copied(String),
    Edits(Result<Vec<crate::edits::Edit>, String>),
    EditQueued(Result<crate::edits::Edit, String>),
    Pushed(Result<Vec<crate::edits::PushReport>, String>),
    Resolved(Result<crate::edits::Edit, String>),
}

/// Work `update` asks for; run by the effects runner off the UI task.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadDashboard,
    LoadEvents {
        run_id: i64,
        after_id: i64,
    },
    /// Sends `SearchDue(seq)` after the debounce delay.
    Debounce(u64),
    Search {
        seq: u64,
        query: ProductQuery,
        after: Option<Cursor>,
        limit: i64,
    },
    Count {
        seq: u64,
        query: ProductQuery,
    },
    LoadRuns {
        account: Option<String>,
        status: Option<RunStatus>,
        since: Option<DateTime<Utc>>,
    },
    LoadRun(i64),
    LoadOffer {
        account: String,
        id: i64,
    },
    StartSync {
        account: String,
        options: SyncOptions,
    },
    CancelRun(i64),
    Test(String),
    /// Local edits, newest first (the Changes tab).
    LoadEdits,
    QueueEdit {
        account: String,
        id: i64,
        request: crate::edits::EditRequest,
    },
    /// Push every account's pending edits.
    Push,
    Resolve {
        account: String,
        id: i64,
        keep: crate::edits::Keep,
    },
    /// Copy to the clipboard with OSC 52 (written by the terminal loop).
    Copy(String),
    Suspend,
    Quit,
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
            changes: Default::default(),
            toast: None,
            errors: Vec::new(),
            quit: false,
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
        (self.size.1.saturating_sub(10) as usize).max(2)
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
                self.follow_log_run()
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
                        if append {
                            p.rows.extend(rows);
                        } else {
                            p.rows = rows;
                            p.selected = 0;
                            p.offset = 0;
                        }
                    }
                    Err(e) => self.toast(format!("search failed: {e}"), true),
                }
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
                let text = if t.ok {
                    match t.offers {
                        Some(n) => format!("✓ {}: {} offers", t.account, group(n as i64)),
                        None => format!("✓ {}: {}", t.account, t.message),
                    }
                } else {
                    format!("✗ {}: {}", t.account, t.message)
                };
                let failed = !t.ok;
                self.tests.insert(t.account.clone(), t);
                self.toast(text, failed);
                vec![]
            }
            Msg::Copied(text) => {
                self.toast(format!("copied {text}"), false);
                vec![]
            }
            Msg::Edits(r) => self.on_edits(r),
            Msg::EditQueued(r) => self.on_queued(r),
            Msg::Pushed(r) => self.on_pushed(r),
            Msg::Resolved(r) => self.on_resolved(r),
        }
    }

    /// What to reload every tick: the dashboard always, plus what the open tab shows.
    fn poll(&mut self) -> Vec<Effect> {
        let mut fx = vec![];
        if !self.polling {
            self.polling = true;
            fx.push(Effect::LoadDashboard);
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
            fx.push(self.history_filter());
        }
        if self.tab == Tab::Changes {
            fx.push(Effect::LoadEdits);
        }
        fx
    }

    fn history_filter(&self) -> Effect {
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
    fn follow_log_run(&mut self) -> Vec<Effect> {
        let run_id = self
            .selected_account_name()
            .and_then(|a| self.run_of(a))
            .map(|r| r.id);
        if run_id == self.log.run_id {
            return vec![];
        }
        self.log = LogPane {
            run_id,
            follow: true,
            min_level: self.log.min_level,
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
        match self.keymap.action(self.tab.context(), key) {
            Some(a) => self.on_action(a),
            None => vec![],
        }
    }

    fn request_quit(&mut self) -> Vec<Effect> {
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

    fn switch(&mut self, tab: Tab) -> Vec<Effect> {
        self.tab = tab;
        match tab {
            Tab::Products if !self.products.loaded_once && !self.products.loading => {
                self.products.seq += 1;
                self.search()
            }
            Tab::History => vec![self.history_filter()],
            Tab::Changes => vec![Effect::LoadEdits],
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

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
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
                self.popups.push(Popup::Errors { scroll: 0 });
                vec![]
            }
            TabConnections => self.switch(Tab::Connections),
            TabSync => self.switch(Tab::Sync),
            TabProducts => self.switch(Tab::Products),
            TabHistory => self.switch(Tab::History),
            TabChanges => self.switch(Tab::Changes),
            NextTab => self.switch(Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()]),
            PrevTab => {
                self.switch(Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()])
            }
            EditOffer => self.open_edit_form(),
            Push => self.push_edits(),
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
            Back => vec![],
            Open => self.open(),
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
            SyncAll => {
                let names: Vec<String> = self.accounts.iter().map(|a| a.name.clone()).collect();
                let mut fx = vec![];
                for name in names {
                    if self.running_of(&name).is_none() && !self.starting.contains(&name) {
                        let mut options = self.options_of(&name);
                        options.mode = SyncMode::Incremental;
                        self.starting.insert(name.clone());
                        fx.push(Effect::StartSync {
                            account: name,
                            options,
                        });
                    }
                }
                if fx.is_empty() {
                    self.toast("every account is already syncing", true);
                }
                fx
            }
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
                self.log.min_level = match self.log.min_level {
                    None => Some(EventLevel::Info),
                    Some(EventLevel::Debug) => Some(EventLevel::Info),
                    Some(EventLevel::Info) => Some(EventLevel::Warn),
                    Some(EventLevel::Warn) => Some(EventLevel::Error),
                    Some(EventLevel::Error) => None,
                };
                vec![]
            }
            Search => {
                self.products.typing = true;
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
                vec![self.history_filter()]
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
                vec![self.history_filter()]
            }
            FilterSince => {
                self.history.filter_since_days =
                    cycle(&HISTORY_SINCE_DAYS, self.history.filter_since_days.as_ref());
                self.history.selected = 0;
                vec![self.history_filter()]
            }
            FilterStock => {
                let all = [StockFilter::Zero, StockFilter::Low];
                self.products.query.stock = cycle(&all, self.products.query.stock.as_ref());
                self.requery()
            }
            SortNext => {
                let keys = products_sort_keys();
                let i = keys
                    .iter()
                    .position(|k| *k == self.products.query.sort)
                    .unwrap_or(0);
                self.products.query.sort = keys[(i + 1) % keys.len()];
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

    fn account_names(&self) -> Vec<String> {
        self.accounts.iter().map(|a| a.name.clone()).collect()
    }

    /// A query change: bump the sequence (older answers are dropped) and search now.
    fn requery(&mut self) -> Vec<Effect> {
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
                if let Some(req) = tui_input::backend::crossterm::to_input_request(
                    &crossterm::event::Event::Key(ev),
                ) {
                    self.products.input.handle(req);
                }
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

    fn motion(&mut self, delta: i64) -> Vec<Effect> {
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
                    let visible = self.log.visible().len();
                    let back = (self.log.scroll_back as i64 - delta).clamp(0, visible as i64);
                    self.log.scroll_back = back as usize;
                    self.log.follow = back == 0;
                    vec![]
                } else {
                    self.selected_account = step(self.selected_account, self.accounts.len());
                    self.follow_log_run()
                }
            }
            Tab::Products => {
                let rows_h = super::views::products::table_rows(self.size.1);
                let p = &mut self.products;
                p.selected = step(p.selected, p.rows.len());
                // Scroll only when the cursor leaves the window.
                if p.selected < p.offset {
                    p.offset = p.selected;
                } else if p.selected >= p.offset + rows_h {
                    p.offset = p.selected + 1 - rows_h;
                }
                // Fetch the next keyset page before the user reaches the end.
                if !p.loading
                    && !p.exhausted
                    && p.selected + 60 >= p.rows.len()
                    && let Some(last) = p.rows.last()
                {
                    p.loading = true;
                    return vec![Effect::Search {
                        seq: p.seq,
                        query: p.query.clone(),
                        after: Some(last.cursor(p.query.sort)),
                        limit: PAGE_ROWS,
                    }];
                }
                vec![]
            }
            Tab::History => {
                self.history.selected = step(self.history.selected, self.history.runs.len());
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

    fn start_account(&mut self, account: String, mode: SyncMode) -> Vec<Effect> {
        if self.running_of(&account).is_some() || self.starting.contains(&account) {
            self.toast(format!("{account} is already syncing"), true);
            return vec![];
        }
        let mut options = self.options_of(&account);
        options.mode = mode;
        self.starting.insert(account.clone());
        vec![Effect::StartSync { account, options }]
    }

    fn popup_key(&mut self, ev: KeyEvent, key: Key) -> Vec<Effect> {
        let Some(top) = self.popups.last_mut() else {
            return vec![];
        };
        match top {
            Popup::Edit(_) => self.edit_form_key(ev),
            Popup::Confirm(c) => {
                let c = c.clone();
                match ev.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => {
                        self.popups.pop();
                        match c {
                            Confirm::FullSync { account, .. } => {
                                self.start_account(account, SyncMode::Full)
                            }
                            Confirm::CancelRun { run_id, .. } => vec![Effect::CancelRun(run_id)],
                            Confirm::QuitWhileRunning { .. } => self.quit_now(),
                        }
                    }
                    // Anything else is "no": a stray key never starts or cancels work.
                    _ => {
                        self.popups.pop();
                        vec![]
                    }
                }
            }
            Popup::Options(form) => {
                match ev.code {
                    KeyCode::Esc => {
                        self.popups.pop();
                    }
                    KeyCode::Up | KeyCode::BackTab => form.focus = (form.focus + 4) % 5,
                    KeyCode::Down | KeyCode::Tab => form.focus = (form.focus + 1) % 5,
                    KeyCode::Enter => match form.options() {
                        Ok(o) => {
                            let account = form.account.clone();
                            self.popups.pop();
                            self.toast(format!("{account}: options saved for this session"), false);
                            self.options.insert(account, o);
                        }
                        Err(e) => form.error = Some(e),
                    },
                    KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                        if matches!(form.focus, 0 | 3 | 4) =>
                    {
                        let fwd = ev.code != KeyCode::Left;
                        match form.focus {
                            0 => {
                                form.mode = match form.mode {
                                    SyncMode::Full => SyncMode::Incremental,
                                    SyncMode::Incremental => SyncMode::Full,
                                }
                            }
                            3 => form.include_inactive = !form.include_inactive,
                            _ => {
                                let all = ConflictStrategy::ALL;
                                let i = all.iter().position(|s| *s == form.strategy).unwrap_or(0);
                                let n = all.len();
                                form.strategy =
                                    all[if fwd { (i + 1) % n } else { (i + n - 1) % n }];
                            }
                        }
                    }
                    _ if matches!(form.focus, 1 | 2) => {
                        let input = if form.focus == 1 {
                            &mut form.max_pages
                        } else {
                            &mut form.items_per_page
                        };
                        if let Some(req) = tui_input::backend::crossterm::to_input_request(
                            &crossterm::event::Event::Key(ev),
                        ) {
                            input.handle(req);
                        }
                        form.error = None;
                    }
                    _ => {}
                }
                vec![]
            }
            Popup::Help {
                filter,
                typing,
                scroll,
            } => {
                if *typing {
                    match ev.code {
                        KeyCode::Esc | KeyCode::Enter => *typing = false,
                        _ => {
                            if let Some(req) = tui_input::backend::crossterm::to_input_request(
                                &crossterm::event::Event::Key(ev),
                            ) {
                                filter.handle(req);
                                // A new filter shows its matches from the top.
                                *scroll = 0;
                            }
                        }
                    }
                } else if ev.code == KeyCode::Char('/') {
                    *typing = true;
                } else if matches!(
                    ev.code,
                    KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q')
                ) {
                    self.popups.pop();
                } else {
                    // Bounded by the rows here; the view also stops at the last screenful.
                    let delta: i32 = match self.keymap.action(Context::Global, key) {
                        Some(Action::Up) => -1,
                        Some(Action::Down) => 1,
                        Some(Action::HalfPageUp) => -10,
                        Some(Action::HalfPageDown) => 10,
                        Some(Action::Top) => -10_000,
                        Some(Action::Bottom) => 10_000,
                        _ => 0,
                    };
                    let rows = self.keymap.help_rows(self.tab.context()).len() as i32;
                    *scroll = (i32::from(*scroll) + delta).clamp(0, (rows - 1).max(0)) as u16;
                }
                vec![]
            }
            Popup::Errors { .. } | Popup::Offer(_) | Popup::Run(_) => {
                if ev.code == KeyCode::Esc || key == Key::ch('q') {
                    self.popups.pop();
                    return vec![];
                }
                if let (Popup::Offer(d), Some(Action::Copy)) =
                    (&*top, self.keymap.action(Context::Products, key))
                {
                    return match d.offer.offer.part_number.clone() {
                        Some(pn) => vec![Effect::Copy(pn)],
                        None => vec![],
                    };
                }
                let delta: i32 = match self.keymap.action(Context::Global, key) {
                    Some(Action::Up) => -1,
                    Some(Action::Down) => 1,
                    Some(Action::HalfPageUp) => -10,
                    Some(Action::HalfPageDown) => 10,
                    Some(Action::Top) => -100_000,
                    _ => 0,
                };
                let scroll = match top {
                    Popup::Errors { scroll } => scroll,
                    Popup::Offer(d) => &mut d.scroll,
                    Popup::Run(d) => &mut d.scroll,
                    _ => return vec![],
                };
                *scroll = (*scroll as i32 + delta).clamp(0, u16::MAX as i32) as u16;
                vec![]
            }
        }
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

/// 1274 → "1 274" (the sketch's thin grouping; narrow and unambiguous across locales).
pub fn group(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}
