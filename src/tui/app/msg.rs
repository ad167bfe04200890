//! What happens to the dashboard (messages in) and the work it asks for (effects out).

use super::{ConnTest, Dashboard, OfferDetail, RunDetail};
use crate::model::search::{Cursor, ProductQuery};
use crate::model::{RunStatus, SyncEvent, SyncOptions, SyncRun};
use crate::store::search::ProductRow;
use crate::tui::error::JobError;
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

/// Everything that can happen to the dashboard.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The clock ticked (about once a second): poll the store, expire toasts.
    Tick(DateTime<Utc>),
    Dashboard(Result<Dashboard, JobError>),
    Events {
        run_id: i64,
        events: Result<Vec<SyncEvent>, JobError>,
    },
    SearchDue(u64),
    Products {
        seq: u64,
        append: bool,
        rows: Result<Vec<ProductRow>, JobError>,
    },
    Count {
        seq: u64,
        total: Result<i64, JobError>,
    },
    Runs(Result<Vec<SyncRun>, JobError>),
    /// The History tab's summary (report facts) for its window.
    Summary(Result<Box<crate::report::Facts>, JobError>),
    RunDetail(Result<Box<RunDetail>, JobError>),
    OfferDetail(Result<Option<Box<OfferDetail>>, JobError>),
    SyncStarted {
        account: String,
        result: Result<i64, JobError>,
    },
    Cancelled {
        run_id: i64,
        result: Result<(), JobError>,
    },
    Tested(ConnTest),
    Copied(String),
    Edits(Result<Vec<crate::edits::Edit>, JobError>),
    EditQueued(Result<crate::edits::Edit, JobError>),
    Pushed(Result<Vec<crate::edits::PushReport>, JobError>),
    /// What a push would send, for the confirmation popup.
    PushPreview(Result<crate::edits::preview::Preview, JobError>),
    /// Edits withdrawn (`d` on the Changes tab).
    Discarded(Result<Vec<crate::edits::Edit>, JobError>),
    /// Pending edits of loaded product rows.
    Pending(Result<Vec<crate::edits::Edit>, JobError>),
    /// A bulk edit's outcome, one entry per marked offer.
    BulkQueued(Vec<Result<crate::edits::Edit, JobError>>),
    Resolved(Result<crate::edits::Edit, JobError>),
    /// The Buy button tab's list.
    Buybox(Result<Vec<crate::price::BuyboxEntry>, JobError>),
    /// An export of the Products view finished: offers written and the file.
    Exported(Result<(u64, String), JobError>),
    /// Smart Deals answers for offers of one account (`ids` as asked).
    SmartDeals {
        account: String,
        ids: Vec<i64>,
        result: Result<crate::tui::engine_backend::SmartDealResults, JobError>,
    },
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
    /// The report facts of `accounts` over `window` (History tab, summary view).
    LoadSummary {
        accounts: Vec<String>,
        window: crate::report::Window,
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
    /// A full run that accepts the mass-missing guard's hold (confirmed by the user).
    AcceptGuardHold {
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
    /// Opens the offer with this id in whichever account has it (the palette's `offer ID`).
    FindOffer(i64),
    /// Reads the open edits of these offers (answered by `Pending`).
    LoadPending(Vec<(String, i64)>),
    /// Reads what a push of this scope would send (answered by `PushPreview`).
    PreviewPush(crate::edits::preview::Scope),
    /// Pushes exactly the confirmed preview's edits.
    Push(crate::edits::preview::Preview),
    /// Withdraws these open edits (by edit id).
    Discard(Vec<i64>),
    /// Queues one change for each of these offers.
    QueueBulk {
        targets: Vec<(String, i64)>,
        change: crate::edits::bulk::BulkChange,
    },
    Resolve {
        account: String,
        id: i64,
        keep: crate::edits::Keep,
    },
    /// The Buy button tab's list since each account's last sync.
    LoadBuybox {
        losing: bool,
        options: crate::price::BuyboxOptions,
    },
    /// Writes every offer of the query to a file (`:export`), answered by `Exported`.
    Export {
        query: ProductQuery,
        format: crate::cli::export::Format,
        path: String,
    },
    /// Asks eMAG's Smart Deals price check for these offers of one account (answered by
    /// `SmartDeals`).
    SmartDeals {
        account: String,
        ids: Vec<i64>,
    },
    /// Copy to the clipboard with OSC 52 (written by the terminal loop).
    Copy(String),
    /// Rings the terminal bell (written by the terminal loop).
    Bell,
    Suspend,
    Quit,
}
