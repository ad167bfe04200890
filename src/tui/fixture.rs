//! A dashboard full of fixed, realistic state (fixed clock, UTC) for render snapshots, state
//! tests and the render benchmark. Not used by the running program.

use super::app::{AccountInfo, App, Dashboard, LogPane, Tab};
use super::keymap::Keymap;
use super::theme::Theme;
use crate::model::{
    EventLevel, RunCounts, RunStatus, SyncEvent, SyncMode, SyncOptions, SyncRun, Trigger,
};
use crate::store::accounts::{AccountStats, OfferCounts};
use crate::store::search::ProductRow;
use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use rust_decimal::Decimal;

/// 2026-11-29 14:02:37 UTC, the fixture's "now".
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 14, 2, 37)
        .single()
        .unwrap_or_default()
}

#[allow(clippy::too_many_arguments)] // a fixture row reads best as one call
pub fn run(
    id: i64,
    account: &str,
    mode: SyncMode,
    trigger: Trigger,
    status: RunStatus,
    started_min_ago: i64,
    secs: i64,
    counts: RunCounts,
) -> SyncRun {
    let started_at = if status == RunStatus::Running {
        now() - Duration::seconds(secs)
    } else {
        now() - Duration::minutes(started_min_ago)
    };
    SyncRun {
        id,
        account: account.into(),
        mode,
        trigger,
        status,
        options: SyncOptions {
            mode,
            ..SyncOptions::default()
        },
        started_at,
        finished_at: status
            .is_finished()
            .then(|| started_at + Duration::seconds(secs)),
        heartbeat_at: started_at + Duration::seconds(secs),
        counts,
        next_page: None,
        offers_expected: None,
        error_summary: (status == RunStatus::Failed || status == RunStatus::Partial)
            .then(|| "page 8: HTTP 504 after 5 attempts".to_string()),
    }
}

fn counts(pages: i64, total: i64, seen: i64, updated: i64, failed: i64) -> RunCounts {
    RunCounts {
        pages_done: pages,
        pages_total: Some(total),
        requests: pages + 1,
        retries: failed + 1,
        rate_limited: 0,
        offers_seen: seen,
        created: 0,
        updated,
        unchanged: seen - updated,
        removed: 0,
        failed,
    }
}

/// main is running an incremental sync started here; fbe's last full sync completed.
pub fn app() -> App {
    let accounts = ["main", "fbe"]
        .iter()
        .map(|n| AccountInfo {
            name: n.to_string(),
            platform: "ro".into(),
            base_url: "http://127.0.0.1:8711/api-3".into(),
            username: n.to_string(),
            items_per_page: 100,
            max_pages: None,
        })
        .collect();
    let mut app = App::new(
        accounts,
        "sqlite:~/.local/share/magsync/magsync.db".into(),
        SyncOptions::default(),
        Keymap::default(),
        Theme::default(),
        now(),
        Utc.fix(),
    );
    let running = run(
        42,
        "main",
        SyncMode::Incremental,
        Trigger::Tui,
        RunStatus::Running,
        0,
        6,
        counts(8, 13, 800, 12, 0),
    );
    let fbe_last = run(
        41,
        "fbe",
        SyncMode::Full,
        Trigger::Schedule,
        RunStatus::Completed,
        57,
        5,
        counts(13, 13, 1271, 3, 0),
    );
    let main_last = run(
        40,
        "main",
        SyncMode::Incremental,
        Trigger::Schedule,
        RunStatus::Partial,
        118,
        31,
        counts(7, 13, 700, 9, 1),
    );
    app.dashboard = Dashboard {
        stats: vec![
            AccountStats {
                account: "main".into(),
                counts: OfferCounts {
                    offers: 1274,
                    active: 1083,
                    inactive: 150,
                    end_of_life: 20,
                    missing: 21,
                    zero_stock: 40,
                },
                last_run: Some(running.clone()),
                last_full_success: None,
            },
            AccountStats {
                account: "fbe".into(),
                counts: OfferCounts {
                    offers: 1271,
                    active: 1090,
                    inactive: 160,
                    end_of_life: 11,
                    missing: 10,
                    zero_stock: 33,
                },
                last_run: Some(fbe_last.clone()),
                last_full_success: Some(fbe_last.clone()),
            },
        ],
        running: vec![running.clone()],
        health: Vec::new(),
    };
    app.loaded = true;
    app.own_runs.insert(42);
    let t0 = now() - Duration::seconds(6);
    let ev = |id: i64, s: i64, level, message: &str| SyncEvent {
        id,
        run_id: 42,
        at: t0 + Duration::seconds(s),
        level,
        message: message.into(),
    };
    app.log = LogPane {
        run_id: Some(42),
        events: vec![
            ev(
                1,
                0,
                EventLevel::Info,
                "run 42 started: incremental, pages 1–13, 100/page, strategy emag_priority",
            ),
            ev(
                2,
                1,
                EventLevel::Info,
                "page 1/13: 100 offers, 0 new, 2 updated",
            ),
            ev(
                3,
                2,
                EventLevel::Warn,
                "page 4/13: HTTP 502 (HTML body), retry 1/5 in 2.1 s",
            ),
            ev(
                4,
                4,
                EventLevel::Info,
                "page 4/13: 100 offers, 0 new, 1 updated",
            ),
            ev(
                5,
                4,
                EventLevel::Error,
                "page 5/13: offer 1042 rejected: sale_price missing",
            ),
            ev(
                6,
                5,
                EventLevel::Info,
                "LMP-450-BK  sale_price 99.1600 → 94.9000",
            ),
        ],
        last_id: 6,
        follow: true,
        ..LogPane::default()
    };
    let names = [
        "Lampă LED birou cu încărcare wireless, negru",
        "Cablu USB-C 2 m împletit",
        "Husă laptop 15.6\" gri",
        "Mouse wireless ergonomic",
        "Suport monitor reglabil",
    ];
    app.products.rows = (0..40)
        .map(|i| ProductRow {
            account: if i % 2 == 0 { "main" } else { "fbe" }.into(),
            id: 1000 + i,
            part_number: Some(format!("PN-{:04}", 450 + i)),
            part_number_key: Some(format!("D{:08}", 7000 + i)),
            name: Some(names[i as usize % names.len()].to_string()),
            brand: Some("Lumina".into()),
            sale_price: Some(Decimal::new(9916 + i * 137, 2)),
            currency: Some("RON".into()),
            general_stock: Some(((i * 7) % 40) as i32),
            status: Some(if i % 9 == 4 {
                crate::model::OfferStatus::Inactive
            } else {
                crate::model::OfferStatus::Active
            }),
            buy_button_rank: Some((i % 3 + 1) as i32),
            missing_since: (i == 6).then(|| now() - Duration::days(1)),
            last_changed_at: now() - Duration::hours(i),
        })
        .collect();
    app.products.total = Some(2545);
    app.products.loaded_once = true;
    app.history.runs = vec![
        running,
        fbe_last,
        main_last,
        run(
            39,
            "main",
            SyncMode::Full,
            Trigger::Schedule,
            RunStatus::Failed,
            662,
            1,
            counts(0, 13, 0, 0, 0),
        ),
        run(
            38,
            "fbe",
            SyncMode::Incremental,
            Trigger::Cli,
            RunStatus::Cancelled,
            1440,
            12,
            counts(3, 13, 300, 1, 0),
        ),
    ];
    app.history.loaded = true;
    app.tab = Tab::Connections;
    app
}
