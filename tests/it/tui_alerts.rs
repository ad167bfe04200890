//! Failures you cannot miss: a run that ends partial, failed or cancelled — here or in another
//! process — raises a toast, the optional bell, an `e` list entry and a header badge that
//! stays until the list is opened.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use magsync::model::{RunCounts, RunStatus, SyncMode, Trigger};
use magsync::tui::app::{App, Effect, Msg, Popup, Tab};
use magsync::tui::fixture;
use magsync::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn k(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn screen(app: &mut App, w: u16, h: u16) -> (String, Terminal<TestBackend>) {
    app.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let text = (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    (text, t)
}

/// The store's answer once `main`'s last run is `status` (run 77, from the daemon).
fn finished(app: &App, status: RunStatus) -> Msg {
    let mut d = app.dashboard.clone();
    d.running.retain(|r| r.account != "main");
    let run = fixture::run(
        77,
        "main",
        SyncMode::Incremental,
        Trigger::Schedule,
        status,
        1,
        42,
        RunCounts::default(),
    );
    for s in d.stats.iter_mut().filter(|s| s.account == "main") {
        s.last_run = Some(run.clone());
    }
    Msg::Dashboard(Ok(d))
}

#[test]
fn a_run_finished_by_another_process_raises_a_badge_until_acknowledged() {
    let mut app = fixture::app();
    app.bell = true;
    // The first poll only records what is there: older runs belong to History.
    let d = app.dashboard.clone();
    assert!(!app.update(Msg::Dashboard(Ok(d))).contains(&Effect::Bell));
    assert!(app.alerts.is_empty());
    let errors_before = app.errors.len();

    let fx = app.update(finished(&app, RunStatus::Partial));
    assert!(fx.contains(&Effect::Bell), "{fx:?}");
    assert_eq!(app.alerts.len(), 1);
    let toast = app.toast.clone().unwrap();
    assert!(toast.error);
    assert_eq!(
        toast.text,
        "run 77 · main · partial: page 8: HTTP 504 after 5 attempts"
    );
    assert_eq!(app.errors.len(), errors_before + 1);
    assert!(app.errors.last().unwrap().1.starts_with("run 77 · main"));
    // The same run seen again is not announced twice.
    assert!(
        !app.update(finished(&app, RunStatus::Partial))
            .contains(&Effect::Bell)
    );
    assert_eq!(app.alerts.len(), 1);

    // The badge outlives the toast, in the error colour, at both sizes.
    app.update(Msg::Tick(fixture::now() + chrono::Duration::seconds(30)));
    assert!(app.toast.is_none());
    for (w, h) in [(80, 24), (120, 40)] {
        let (text, t) = screen(&mut app, w, h);
        let first = text.lines().next().unwrap();
        assert!(first.contains("⚠ run 77 partial · e"), "{w}x{h}: {first}");
        let x = first.find('⚠').map(|b| first[..b].chars().count()).unwrap() as u16;
        let cell = &t.backend().buffer()[(x, 0)];
        assert_eq!(cell.fg, app.theme.error().fg.unwrap_or_default());
        if w == 80 {
            insta::assert_snapshot!("alert_badge_80x24", text);
        }
    }
    // On Products `e` edits, so the badge names E, which opens the list there.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('3'),
        KeyModifiers::NONE,
    )));
    let (text, _) = screen(&mut app, 120, 40);
    assert!(text.lines().next().unwrap().contains("· E"), "{text}");
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('E'),
        KeyModifiers::SHIFT,
    )));
    assert!(matches!(app.popups.last(), Some(Popup::Errors { .. })));
    assert!(app.alerts.is_empty(), "opening the list acknowledges");
    app.update(k(KeyCode::Esc));
    let (text, _) = screen(&mut app, 120, 40);
    assert!(!text.lines().next().unwrap().contains('⚠'), "{text}");

    // Completed runs raise nothing; failed and cancelled ones do.
    let mut app = fixture::app();
    let d = app.dashboard.clone();
    app.update(Msg::Dashboard(Ok(d)));
    let fx = app.update(finished(&app, RunStatus::Completed));
    assert!(app.alerts.is_empty() && !fx.contains(&Effect::Bell));
    for status in [RunStatus::Failed, RunStatus::Cancelled] {
        let mut app = fixture::app();
        let d = app.dashboard.clone();
        app.update(Msg::Dashboard(Ok(d)));
        let fx = app.update(finished(&app, status));
        assert_eq!(app.alerts.len(), 1, "{status:?}");
        assert!(!fx.contains(&Effect::Bell), "the bell is off by default");
    }
}

#[test]
fn enter_on_the_sync_tab_opens_the_accounts_run() {
    let mut app = fixture::app();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('2'),
        KeyModifiers::NONE,
    )));
    assert_eq!(app.tab, Tab::Sync);
    let id = app.run_of("main").unwrap().id;
    assert_eq!(app.update(k(KeyCode::Enter)), vec![Effect::LoadRun(id)]);
}

#[test]
fn sync_of_all_accounts_asks_first_in_either_mode() {
    use magsync::tui::app::Confirm;
    let mut app = fixture::app();
    app.accounts[1].max_pages = Some(5);
    // main is running in the fixture: only fbe is offered.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('2'),
        KeyModifiers::NONE,
    )));
    for (key, mode) in [('a', SyncMode::Incremental), ('A', SyncMode::Full)] {
        assert!(
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char(key),
                KeyModifiers::NONE
            )))
            .is_empty(),
            "{key} never starts at once"
        );
        match app.popups.last() {
            Some(Popup::Confirm(
                c @ Confirm::SyncAll {
                    mode: m, accounts, ..
                },
            )) => {
                assert_eq!((*m, accounts.clone()), (mode, vec!["fbe".to_string()]));
                if mode == SyncMode::Incremental {
                    // The question names each account's page limit.
                    assert!(c.question().contains("fbe (5 pages)"), "{}", c.question());
                }
            }
            other => panic!("{other:?}"),
        }
        // Enter confirms, with the mode asked for.
        let fx = app.update(k(KeyCode::Enter));
        match &fx[..] {
            [Effect::StartSync { account, options }] => {
                assert_eq!((account.as_str(), options.mode), ("fbe", mode));
            }
            other => panic!("{other:?}"),
        }
        app.update(Msg::SyncStarted {
            account: "fbe".into(),
            result: Err(magsync::tui::error::JobError::Start("test".into())),
        });
    }
    // n says no.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('a'),
        KeyModifiers::NONE,
    )));
    assert!(
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('n'),
            KeyModifiers::NONE
        )))
        .is_empty()
    );
    assert!(app.popups.is_empty());
}

#[test]
fn page_up_on_a_short_log_keeps_it_in_view() {
    let mut app = fixture::app();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('2'),
        KeyModifiers::NONE,
    )));
    let last = app.log.events.last().unwrap().message.clone();
    for _ in 0..3 {
        app.update(k(KeyCode::PageUp));
    }
    // Nothing to scroll in a log that fits: it keeps following.
    assert!(app.log.follow);
    assert_eq!(app.log.scroll_back, 0);
    let (text, _) = screen(&mut app, 120, 40);
    let first = app.log.events.first().unwrap().message.clone();
    assert!(text.contains(&first), "{text}");
    assert!(text.contains(&last[..20.min(last.len())]), "{text}");
}
