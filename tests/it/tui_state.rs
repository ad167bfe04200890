//! State tests: messages in, state and requested effects out; no terminal, no database.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use magsync::model::{RunStatus, SyncMode};
use magsync::tui::app::{Confirm, Effect, Msg, OptionsField, PAGE_ROWS, Popup, Tab};
use magsync::tui::fixture;

fn k(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}
fn c(ch: char) -> Msg {
    k(KeyCode::Char(ch))
}
fn ctrl(ch: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL))
}

/// The fixture with main idle (its run finished) so syncs can start.
fn idle_app() -> magsync::tui::App {
    let mut app = fixture::app();
    app.dashboard.running.clear();
    app.own_runs.clear();
    app
}

#[test]
fn number_keys_and_tab_switch_tabs_and_load_what_they_show() {
    let mut app = idle_app();
    assert!(app.update(c('2')).contains(&Effect::LoadEvents {
        run_id: 42,
        after_id: 6
    }));
    assert_eq!(app.tab, Tab::Sync);
    let fx = app.update(c('4'));
    assert_eq!(app.tab, Tab::History);
    assert!(matches!(fx[0], Effect::LoadRuns { .. }));
    let fx = app.update(k(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Changes);
    assert_eq!(fx, vec![Effect::LoadEdits]);
    let fx = app.update(k(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Buybox);
    assert!(matches!(fx[0], Effect::LoadBuybox { losing: false, .. }));
    app.update(k(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Connections);
    app.update(k(KeyCode::BackTab));
    assert_eq!(app.tab, Tab::Buybox);
}

#[test]
fn incremental_starts_at_once_and_full_asks_first() {
    let mut app = idle_app();
    app.update(c('2'));
    let fx = app.update(c('i'));
    assert!(matches!(&fx[..], [Effect::StartSync { account, options }]
        if account == "main" && options.mode == SyncMode::Incremental));
    // A second press while the start is in flight does nothing but say so.
    assert!(app.update(c('i')).is_empty());
    assert!(app.toast.as_ref().unwrap().text.contains("already syncing"));

    app.update(c('j'));
    assert!(app.update(c('f')).is_empty());
    assert!(matches!(
        app.popups.last(),
        Some(Popup::Confirm(Confirm::FullSync { account, .. })) if account == "fbe"
    ));
    // Any key but y declines.
    assert!(app.update(c('n')).is_empty());
    assert!(app.popups.is_empty());
    app.update(c('f'));
    let fx = app.update(c('y'));
    assert!(matches!(&fx[..], [Effect::StartSync { account, options }]
        if account == "fbe" && options.mode == SyncMode::Full));
}

#[test]
fn started_runs_are_owned_and_quitting_asks_then_cancels_them() {
    let mut app = idle_app();
    app.update(c('2'));
    app.update(c('i'));
    app.update(Msg::SyncStarted {
        account: "main".into(),
        result: Ok(77),
    });
    assert!(app.own_runs.contains(&77));
    assert!(app.update(c('q')).is_empty());
    assert!(matches!(
        app.popups.last(),
        Some(Popup::Confirm(Confirm::QuitWhileRunning { runs: 1 }))
    ));
    // Ctrl-C in that popup quits, cancelling the run first.
    assert_eq!(
        app.update(ctrl('c')),
        vec![Effect::CancelRun(77), Effect::Quit]
    );
    assert!(app.quit);
}

#[test]
fn quit_without_own_runs_is_immediate_and_esc_never_quits() {
    let mut app = idle_app();
    assert!(app.update(k(KeyCode::Esc)).is_empty());
    assert!(!app.quit);
    assert_eq!(app.update(c('q')), vec![Effect::Quit]);
    let mut app = idle_app();
    assert_eq!(app.update(ctrl('c')), vec![Effect::Quit]);
}

#[test]
fn runs_of_other_processes_are_not_owned_and_finished_own_runs_are_forgotten() {
    let mut app = fixture::app();
    assert!(app.own_runs.contains(&42));
    let mut d = app.dashboard.clone();
    d.running.clear();
    app.update(Msg::Dashboard(Ok(d)));
    assert!(app.own_runs.is_empty());
    assert_eq!(app.update(c('q')), vec![Effect::Quit]);
}

#[test]
fn cancel_is_confirmed_and_typed() {
    let mut app = fixture::app();
    app.update(c('2'));
    assert!(app.update(c('c')).is_empty());
    assert!(matches!(
        app.popups.last(),
        Some(Popup::Confirm(Confirm::CancelRun { run_id: 42, .. }))
    ));
    assert_eq!(app.update(c('y')), vec![Effect::CancelRun(42)]);
}

#[test]
fn motion_keys_never_act_ctrl_d_scrolls_the_log() {
    let mut app = fixture::app();
    app.update(c('2'));
    long_log(&mut app);
    let fx = app.update(ctrl('d'));
    assert!(fx.is_empty());
    assert!(app.popups.is_empty());
    // Scrolling the log up pauses following; End resumes.
    app.update(ctrl('u'));
    assert!(!app.log.follow);
    app.update(k(KeyCode::End));
    assert!(app.log.follow);
}

#[test]
fn log_tails_by_last_id_and_a_new_run_resets_it() {
    let mut app = fixture::app();
    app.update(c('2'));
    // One request at a time: the tick waits for the answer in flight.
    assert!(
        !app.update(Msg::Tick(fixture::now()))
            .iter()
            .any(|e| matches!(e, Effect::LoadEvents { .. }))
    );
    app.update(Msg::Events {
        run_id: 42,
        events: Ok(vec![]),
    });
    let fx = app.update(Msg::Tick(fixture::now()));
    assert!(fx.contains(&Effect::LoadEvents {
        run_id: 42,
        after_id: 6
    }));
    // A newer run of main replaces the log.
    let mut d = app.dashboard.clone();
    d.running[0].id = 43;
    let fx = app.update(Msg::Dashboard(Ok(d)));
    assert_eq!(
        fx,
        vec![Effect::LoadEvents {
            run_id: 43,
            after_id: 0
        }]
    );
    assert!(app.log.events.is_empty());
    // Events of the old run arriving late are dropped.
    app.update(Msg::Events {
        run_id: 42,
        events: Ok(fixture::app().log.events),
    });
    assert!(app.log.events.is_empty());
}

#[test]
fn search_is_debounced_and_stale_results_are_dropped() {
    let mut app = fixture::app();
    app.update(c('3'));
    app.update(c('/'));
    let fx1 = app.update(c('l'));
    let fx2 = app.update(c('a'));
    let (Effect::Debounce(s1), Effect::Debounce(s2)) = (&fx1[0], &fx2[0]) else {
        panic!("typing debounces: {fx1:?} {fx2:?}");
    };
    assert!(s2 > s1);
    assert!(app.update(Msg::SearchDue(*s1)).is_empty(), "stale debounce");
    let fx = app.update(Msg::SearchDue(*s2));
    assert!(matches!(&fx[0], Effect::Search { query, after: None, .. }
        if query.text.as_deref() == Some("la")));
    // An older query's rows never replace the newer ones.
    let rows = app.products.rows.clone();
    app.update(Msg::Products {
        seq: *s1,
        append: false,
        rows: Ok(vec![]),
    });
    assert_eq!(app.products.rows, rows);
    // Typing keys go to the box, not to the keymap (q does not quit).
    assert!(matches!(app.update(c('q'))[0], Effect::Debounce(_)));
    assert!(!app.quit);
    // Enter keeps the search and leaves the box; Esc then clears it and requeries.
    app.update(k(KeyCode::Enter));
    assert!(!app.products.typing);
    assert_eq!(app.products.query.text.as_deref(), Some("laq"));
    let fx = app.update(k(KeyCode::Esc));
    assert!(matches!(&fx[0], Effect::Search { query, .. } if query.text.is_none()));
    assert!(!app.quit);
}

#[test]
fn scrolling_near_the_end_fetches_the_next_keyset_page() {
    let mut app = fixture::app();
    app.update(c('3'));
    let seq = app.products.seq;
    let rows: Vec<_> = (0..PAGE_ROWS)
        .map(|i| {
            let mut r = app.products.rows[0].clone();
            r.id = i;
            r
        })
        .collect();
    app.update(Msg::Products {
        seq,
        append: false,
        rows: Ok(rows),
    });
    let fx = app.update(c('G'));
    let Effect::Search {
        after: Some(cur), ..
    } = &fx[0]
    else {
        panic!("expected a next page: {fx:?}");
    };
    assert_eq!(cur.id, PAGE_ROWS - 1);
    // Only one page request at a time.
    assert!(app.update(c('k')).is_empty());
}

#[test]
fn filters_and_sort_requery() {
    let mut app = fixture::app();
    app.update(c('3'));
    let fx = app.update(c('a'));
    assert!(
        matches!(&fx[0], Effect::Search { query, .. } if query.account.as_deref() == Some("main"))
    );
    let fx = app.update(c('o'));
    assert!(matches!(&fx[0], Effect::Search { query, .. }
        if query.sort == magsync::model::search::SortKey::Account));
    let fx = app.update(c('r'));
    assert!(matches!(&fx[0], Effect::Search { query, .. } if query.descending));
    app.update(c('4'));
    let fx = app.update(c('s'));
    assert!(matches!(
        &fx[0],
        Effect::LoadRuns {
            status: Some(RunStatus::Running),
            ..
        }
    ));
}

#[test]
fn copy_sends_the_part_number_and_details_open() {
    let mut app = fixture::app();
    app.update(c('3'));
    assert_eq!(app.update(c('y')), vec![Effect::Copy("PN-0450".into())]);
    assert_eq!(
        app.update(k(KeyCode::Enter)),
        vec![Effect::LoadOffer {
            account: "main".into(),
            id: 1000
        }]
    );
    app.update(c('4'));
    assert_eq!(app.update(k(KeyCode::Enter)), vec![Effect::LoadRun(42)]);
}

#[test]
fn options_form_validates_and_applies_to_the_next_run() {
    let mut app = idle_app();
    app.update(c('2'));
    app.update(c('o'));
    // The form opens on the page limit: `i` and `f` choose the mode, not the form.
    app.update(c('x'));
    app.update(k(KeyCode::Enter));
    let Some(Popup::Options(form)) = app.popups.last() else {
        panic!("form closed on invalid input");
    };
    assert!(form.error.as_deref().unwrap().contains("max pages"));
    app.update(k(KeyCode::Backspace));
    app.update(c('3'));
    app.update(k(KeyCode::Down)); // items per page
    app.update(k(KeyCode::Down)); // include inactive
    app.update(c(' '));
    app.update(k(KeyCode::Enter));
    assert!(app.popups.is_empty());
    let fx = app.update(c('i'));
    let [Effect::StartSync { options, .. }] = &fx[..] else {
        panic!("{fx:?}");
    };
    assert_eq!(options.max_pages, Some(3));
    assert!(options.include_inactive);
    // Up from the first field wraps to the last.
    app.update(c('o'));
    app.update(k(KeyCode::Up));
    let Some(Popup::Options(form)) = app.popups.last() else {
        panic!("the form opens again");
    };
    assert_eq!(form.focus, OptionsField::Strategy);
}

#[test]
fn toasts_fade_and_errors_are_kept() {
    let mut app = idle_app();
    app.update(Msg::SyncStarted {
        account: "main".into(),
        result: Err(magsync::tui::error::JobError::Busy(
            "account main is already syncing in another process".into(),
        )),
    });
    assert!(app.toast.as_ref().unwrap().error);
    assert_eq!(app.errors.len(), 1);
    app.update(Msg::Tick(fixture::now() + chrono::Duration::seconds(6)));
    assert!(app.toast.is_none());
    assert_eq!(app.errors.len(), 1);
    app.update(c('e'));
    assert!(matches!(app.popups.last(), Some(Popup::Errors { .. })));
    app.update(k(KeyCode::Esc));
    assert!(app.popups.is_empty());
}

#[test]
fn tests_report_per_account() {
    let mut app = idle_app();
    assert_eq!(app.update(c('T')).len(), 2);
    assert!(app.update(c('T')).is_empty(), "tests already in flight");
    app.update(Msg::Tested(magsync::tui::app::ConnTest {
        account: "main".into(),
        ok: true,
        message: "ok".into(),
        offers: Some(1274),
        active: Some(1092),
        latency_ms: 102,
        at: fixture::now(),
    }));
    assert!(!app.testing.contains("main"));
    assert_eq!(
        app.toast.as_ref().unwrap().text,
        "✓ main: 1 274 offers, 1 092 active"
    );
}

#[test]
fn a_slow_store_never_gets_overlapping_polls() {
    let mut app = idle_app();
    let is_poll = |fx: &[Effect]| fx.contains(&Effect::LoadDashboard);
    assert!(is_poll(&app.update(Msg::Tick(fixture::now()))));
    assert!(!is_poll(&app.update(Msg::Tick(fixture::now()))));
    let d = app.dashboard.clone();
    app.update(Msg::Dashboard(Ok(d)));
    assert!(is_poll(&app.update(Msg::Tick(fixture::now()))));
}

#[test]
fn history_since_filter_cycles_and_reaches_the_store() {
    let mut app = fixture::app();
    app.update(c('4'));
    let since = |fx: &[Effect]| match fx {
        [Effect::LoadRuns { since, .. }] => *since,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        since(&app.update(c('t'))),
        Some(fixture::now() - chrono::Duration::days(1))
    );
    assert_eq!(app.history.filter_since_days, Some(1));
    assert_eq!(
        since(&app.update(c('t'))),
        Some(fixture::now() - chrono::Duration::days(7))
    );
    assert_eq!(
        since(&app.update(c('t'))),
        Some(fixture::now() - chrono::Duration::days(30))
    );
    assert_eq!(since(&app.update(c('t'))), None);
    // The live poll keeps the window.
    app.update(c('t'));
    let fx = app.update(Msg::Tick(fixture::now()));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::LoadRuns { since: Some(_), .. }))
    );
}

#[test]
fn help_and_hints_list_each_key_once_as_it_acts_in_the_tab() {
    use magsync::tui::keymap::{Action, Context, Key, Keymap};
    let km = Keymap::default();
    for ctx in [
        Context::Connections,
        Context::Sync,
        Context::Products,
        Context::History,
        Context::Changes,
    ] {
        let rows = km.help_rows(ctx);
        let mut keys: Vec<String> = rows
            .iter()
            .flat_map(|(_, k, _)| k.split(' ').map(str::to_string).collect::<Vec<_>>())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key listed twice in {ctx:?}: {rows:?}");
    }
    // Products binds `e` to edit, so errors are listed and offered there under E only.
    let rows = km.help_rows(Context::Products);
    assert!(
        rows.iter().any(|(_, k, h)| *h == "errors" && k == "E"),
        "{rows:?}"
    );
    assert_eq!(
        km.effective_key(Context::Products, Action::Errors),
        Some(Key::ch('E'))
    );
    assert_eq!(
        km.effective_key(Context::Sync, Action::Errors),
        Some(Key::ch('e'))
    );
}

#[test]
fn an_idle_poll_asks_for_no_frame() {
    let mut app = fixture::app();
    let same = app.dashboard.clone();
    assert!(app.is_quiet(&Msg::Dashboard(Ok(same.clone()))));
    let mut moved = same;
    moved.running[0].counts.pages_done += 1;
    assert!(!app.is_quiet(&Msg::Dashboard(Ok(moved))));
    let events = |events| Msg::Events { run_id: 42, events };
    assert!(app.is_quiet(&events(Ok(vec![]))));
    assert!(!app.is_quiet(&events(Ok(app.log.events[..1].to_vec()))));
    assert!(app.is_quiet(&Msg::Runs(Ok(app.history.runs.clone()))));
    assert!(!app.is_quiet(&Msg::Runs(Ok(vec![]))));
    // The clock and keys always draw; errors always show.
    assert!(!app.is_quiet(&Msg::Tick(fixture::now())));
    assert!(!app.is_quiet(&c('j')));
    assert!(
        !app.is_quiet(&Msg::Dashboard(Err(magsync::tui::error::JobError::Store(
            "locked".into()
        ))))
    );
    // Before the first answer the "…" placeholders must go.
    app.loaded = false;
    assert!(!app.is_quiet(&Msg::Dashboard(Ok(app.dashboard.clone()))));
}

/// A hundred more lines in the fixture's log, so it no longer fits the pane.
fn long_log(app: &mut magsync::tui::App) {
    let base = app.log.events[0].clone();
    for i in 0..100 {
        let mut e = base.clone();
        e.id = 1000 + i;
        e.message = format!("line {i}");
        app.log.events.push(e);
    }
}

#[test]
fn log_scrolling_is_clamped_at_both_ends() {
    let mut app = fixture::app();
    app.size = (80, 24);
    app.update(c('2'));
    long_log(&mut app);
    for _ in 0..50 {
        app.update(k(KeyCode::PageUp));
    }
    let rows =
        magsync::tui::layout::log_rows(app.size, app.accounts.len(), app.selected_run_has_error());
    assert!(rows >= 3, "{rows}");
    let top = app.log.visible().len() - rows;
    assert_eq!(app.log.scroll_back, top, "stops at the first screenful");
    assert!(!app.log.follow);
    // The first key back down moves at once: no overshoot to scroll off first.
    app.update(k(KeyCode::PageDown));
    assert!(app.log.scroll_back < top);
    for _ in 0..50 {
        app.update(k(KeyCode::PageDown));
    }
    assert_eq!(app.log.scroll_back, 0);
    assert!(app.log.follow, "back at the tail it follows again");
    // A log that fits the pane does not scroll at all.
    let mut short = fixture::app();
    short.update(c('2'));
    short.update(k(KeyCode::PageUp));
    assert_eq!(short.log.scroll_back, 0);
    assert!(short.log.follow);
}

#[test]
fn log_search_filters_lines_and_esc_clears_it_and_w_toggles_wrapping() {
    let mut app = fixture::app();
    app.update(c('2'));
    let all = app.log.visible().len();
    app.update(c('/'));
    assert!(app.log.searching);
    for ch in "RETRY".chars() {
        app.update(c(ch));
    }
    let shown: Vec<String> = app
        .log
        .visible()
        .iter()
        .map(|e| e.message.clone())
        .collect();
    assert!(!shown.is_empty() && shown.len() < all, "{shown:?}");
    assert!(shown.iter().all(|m| m.to_lowercase().contains("retry")));
    app.update(k(KeyCode::Enter));
    assert!(!app.log.searching);
    assert_eq!(app.log.search.value(), "RETRY", "Enter keeps the filter");
    // Keys act as keys again once the search line is left.
    assert!(!app.log.nowrap);
    app.update(c('w'));
    assert!(app.log.nowrap);
    app.update(k(KeyCode::Esc));
    assert_eq!(app.log.search.value(), "");
    assert_eq!(app.log.visible().len(), all);
    app.update(c('w'));
    assert!(!app.log.nowrap);
}

fn offer_with_changes() -> magsync::tui::app::OfferDetail {
    use magsync::model::OfferChange;
    let offer = magsync::model::Offer {
        id: 1042,
        part_number: Some("LMP-450-BK".into()),
        eans: vec!["5941234567890".into(), "5941234567891".into()],
        url: Some("https://www.emag.ro/lampa/pd/D5DD9BBBM".into()),
        ..Default::default()
    };
    let change = |run_id: Option<i64>, field: &str| OfferChange {
        run_id,
        account: "main".into(),
        offer_id: 1042,
        field: field.into(),
        old_value: Some("1".into()),
        new_value: Some("2".into()),
        at: fixture::now(),
    };
    magsync::tui::app::OfferDetail {
        offer: magsync::store::offers::StoredOffer {
            account: "main".into(),
            offer,
            content_hash: "abc".into(),
            first_seen_at: fixture::now(),
            last_seen_at: fixture::now(),
            last_changed_at: fixture::now(),
            missing_since: None,
            last_run_id: Some(42),
        },
        // A local edit's change names no run: Tab skips it.
        changes: vec![
            change(Some(42), "sale_price"),
            change(None, "general_stock"),
            change(Some(40), "status"),
        ],
        pending: None,
        scroll: 0,
        prices: Default::default(),
        link: None,
    }
}

#[test]
fn drill_through_from_a_runs_changed_offer_to_the_offer_and_on_to_the_run_that_changed_it() {
    let mut app = fixture::app();
    app.tab = Tab::History;
    let run = app.history.runs[0].clone();
    let detail = offer_with_changes();
    app.update(Msg::RunDetail(Ok(Box::new(magsync::tui::app::RunDetail {
        run,
        events: vec![],
        changes: detail.changes.clone(),
        scroll: 0,
        link: None,
    }))));
    // Enter without a selection says how to pick one.
    assert!(app.update(k(KeyCode::Enter)).is_empty());
    app.update(k(KeyCode::Tab));
    app.update(k(KeyCode::Tab));
    app.update(k(KeyCode::BackTab));
    assert_eq!(
        app.update(k(KeyCode::Enter)),
        vec![Effect::LoadOffer {
            account: "main".into(),
            id: 1042
        }]
    );
    app.update(Msg::OfferDetail(Ok(Some(Box::new(detail)))));
    assert_eq!(app.popups.len(), 2, "the offer opens over the run");
    // Tab walks the changes that name a run: 42, then 40 (the local one is skipped).
    app.update(k(KeyCode::Tab));
    app.update(k(KeyCode::Tab));
    assert_eq!(app.update(k(KeyCode::Enter)), vec![Effect::LoadRun(40)]);
    app.update(k(KeyCode::Tab));
    assert_eq!(app.update(k(KeyCode::Enter)), vec![Effect::LoadRun(42)]);
    // Esc goes back the way it came.
    app.update(k(KeyCode::Esc));
    assert!(matches!(app.popups.last(), Some(Popup::Run(_))));
}

#[test]
fn y_in_the_offer_details_copies_any_field() {
    let mut app = fixture::app();
    app.update(Msg::OfferDetail(Ok(Some(Box::new(offer_with_changes())))));
    app.update(c('y'));
    let labels: Vec<String> = match app.popups.last() {
        Some(Popup::Copy { items, .. }) => items.iter().map(|(l, _)| l.clone()).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        labels,
        ["id", "part number", "EAN", "URL", "row as JSON"].map(String::from)
    );
    // The first is the id; j moves down to the part number, then EAN.
    app.update(c('j'));
    app.update(c('j'));
    assert_eq!(
        app.update(k(KeyCode::Enter)),
        vec![Effect::Copy("5941234567890, 5941234567891".into())]
    );
    assert!(matches!(app.popups.last(), Some(Popup::Offer(_))));
    app.update(c('y'));
    for _ in 0..10 {
        app.update(c('j'));
    }
    match app.update(k(KeyCode::Enter)).as_slice() {
        [Effect::Copy(json)] => {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(v["account"], "main");
            assert_eq!(v["id"], 1042);
        }
        other => panic!("{other:?}"),
    }
}
