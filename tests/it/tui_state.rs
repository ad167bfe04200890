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
        if query.sort == magsync::store::search::SortKey::Account));
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
        result: Err("account main is already syncing in another process".into()),
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
        latency_ms: 102,
        at: fixture::now(),
    }));
    assert!(!app.testing.contains("main"));
    assert_eq!(app.toast.as_ref().unwrap().text, "✓ main: 1 274 offers");
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
    assert!(!app.is_quiet(&Msg::Dashboard(Err("locked".into()))));
    // Before the first answer the "…" placeholders must go.
    app.loaded = false;
    assert!(!app.is_quiet(&Msg::Dashboard(Ok(app.dashboard.clone()))));
}
