//! Each account's health in the dashboard: the header tag and the Connections tab's panel,
//! rendered from fixed state, with the colours that carry the level.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use magsync::health::{AccountHealth, Finding, Level};
use magsync::model::SyncMode;
use magsync::tui::app::{App, Confirm, Effect, Msg, Popup, Tab};
use magsync::tui::fixture;
use magsync::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn health(account: &str, level: Level, check: &'static str, message: &str) -> AccountHealth {
    AccountHealth {
        account: account.into(),
        level,
        findings: vec![Finding {
            level,
            check,
            message: message.into(),
        }],
        perf: vec![],
    }
}

fn app() -> App {
    let mut app = fixture::app();
    app.tab = Tab::Connections;
    app.dashboard.health = vec![
        health(
            "main",
            Level::Warning,
            "count_drop",
            "offers seen fell from 1274 to 980 (-23 %) since the previous full scan (warning above 10 %)",
        ),
        health(
            "fbe",
            Level::Critical,
            "last_run",
            "last run #7 (full) failed: eMAG rejected the credentials",
        ),
    ];
    app
}

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    t
}

fn text_of(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// The foreground of the first cell of `needle` on `row`.
fn fg_at(t: &Terminal<TestBackend>, row: usize, needle: &str) -> Color {
    let line = &text_of(t)[row];
    let col = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {line}"));
    // Columns count chars, not bytes (the header holds ● and ·).
    let x = line[..col].chars().count() as u16;
    t.backend().buffer()[(x, row as u16)].fg
}

#[test]
fn health_shows_in_the_header_and_on_connections() {
    let mut app = app();
    for (w, h) in [(80, 24), (120, 40)] {
        let t = render(&mut app, w, h);
        insta::assert_snapshot!(format!("connections_health_{w}x{h}"), t.backend());
        let lines = text_of(&t);
        assert!(lines[0].contains("main WARN"), "{}", lines[0]);
        assert!(lines[0].contains("fbe CRIT"), "{}", lines[0]);
        assert_eq!(fg_at(&t, 0, "WARN"), Color::Yellow);
        assert_eq!(fg_at(&t, 0, "CRIT"), Color::Red);
        let panel = lines
            .iter()
            .position(|l| l.contains("Health (as `magsync check`)"))
            .unwrap();
        assert!(
            lines[panel + 1].contains(" main  WARNING   offers seen fell from 1274 to 980"),
            "{}",
            lines[panel + 1]
        );
        assert!(
            lines[panel + 2].contains(" fbe   CRITICAL  last run #7 (full) failed"),
            "{}",
            lines[panel + 2]
        );
        assert_eq!(fg_at(&t, panel + 2, "CRITICAL"), Color::Red);
        // The reason is cut to the panel, never wrapped over the border.
        assert!(lines[panel + 1].ends_with('│'), "{}", lines[panel + 1]);
    }
}

#[test]
fn without_health_the_screen_is_as_before() {
    let mut app = app();
    app.dashboard.health.clear();
    let t = render(&mut app, 120, 40);
    let lines = text_of(&t);
    assert!(!lines[0].contains("WARN"));
    assert!(!lines.iter().any(|l| l.contains("Health (as")));
}

/// The finding `magsync check` makes of a run the mass-missing guard held (the guard's text).
fn held(account: &str) -> AccountHealth {
    health(
        account,
        Level::Critical,
        "guard",
        &format!(
            "last run #9 held by the mass-missing guard: the complete scan did not list 900 of 1000 stored offers (90 %, above the 20 % limit), so none were marked missing; if eMAG really dropped them, run `magsync sync --account {account} --mode full --allow-mass-missing`"
        ),
    )
}

/// Connections with main healthy and idle, fbe held by the guard.
fn held_app() -> App {
    let mut app = fixture::app();
    app.tab = Tab::Connections;
    app.dashboard.running.clear();
    app.own_runs.clear();
    app.dashboard.health = vec![
        health("main", Level::Ok, "sync_age", "last sync 5m ago"),
        held("fbe"),
    ];
    app
}

fn key(ch: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE))
}

#[test]
fn the_guard_key_asks_naming_account_and_reason_then_starts_an_accepting_full_sync() {
    let mut app = held_app();
    // main is not held: the key says so and asks nothing.
    assert!(app.update(key('M')).is_empty());
    assert!(app.popups.is_empty());
    let toast = app.toast.as_ref().unwrap();
    assert!(toast.error);
    assert_eq!(toast.text, "main: no run is held by the mass-missing guard");

    app.update(key('j'));
    assert!(app.update(key('M')).is_empty());
    let Some(Popup::Confirm(Confirm::AcceptGuardHold { account, reason })) = app.popups.last()
    else {
        panic!("no confirmation: {:?}", app.popups);
    };
    assert_eq!(account, "fbe");
    assert_eq!(
        reason,
        "last run #9 held by the mass-missing guard: the complete scan did not list 900 of 1000 stored offers (90 %, above the 20 % limit), so none were marked missing"
    );
    // No declines and starts nothing.
    assert!(app.update(key('n')).is_empty());
    assert!(app.popups.is_empty());
    assert!(app.starting.is_empty());

    app.update(key('M'));
    let fx = app.update(key('y'));
    assert!(
        matches!(&fx[..], [Effect::AcceptGuardHold { account, options }]
            if account == "fbe" && options.mode == SyncMode::Full),
        "{fx:?}"
    );
    assert!(app.starting.contains("fbe"));
    // A second press while that start is in flight does not ask again.
    assert!(app.update(key('M')).is_empty());
    assert!(app.popups.is_empty());
    assert!(app.toast.as_ref().unwrap().text.contains("already syncing"));
    // The run's start reports back like any other.
    app.update(Msg::SyncStarted {
        account: "fbe".into(),
        result: Ok(77),
    });
    assert!(app.own_runs.contains(&77));
    assert!(app.starting.is_empty());
}

#[test]
fn the_palette_accepts_a_hold_with_the_same_question() {
    let mut app = held_app();
    let typed = |app: &mut App, text: &str| {
        app.update(key(':'));
        for ch in text.chars() {
            app.update(key(ch));
        }
        app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)))
    };
    assert!(magsync::tui::palette::commands(&app).contains(&"accept hold fbe".to_string()));
    assert!(!magsync::tui::palette::commands(&app).contains(&"accept hold main".to_string()));
    assert!(typed(&mut app, "accept hold main").is_empty());
    assert!(matches!(app.popups.last(), Some(Popup::Palette(p))
        if p.error.as_deref() == Some("main: no run is held by the mass-missing guard")));
    app.popups.clear();
    assert!(typed(&mut app, "accept hold fbe").is_empty());
    assert!(matches!(app.popups.last(),
        Some(Popup::Confirm(Confirm::AcceptGuardHold { account, .. })) if account == "fbe"));
    let fx = app.update(key('y'));
    assert!(matches!(&fx[..], [Effect::AcceptGuardHold { account, .. }] if account == "fbe"));
}

#[test]
fn a_held_account_hints_its_key_and_the_question_renders() {
    let mut app = held_app();
    let t = render(&mut app, 120, 40);
    let lines = text_of(&t);
    let panel = lines
        .iter()
        .find(|l| l.contains("Health (as `magsync check`)"))
        .unwrap();
    assert!(panel.contains("· M accept guard hold"), "{panel}");
    insta::assert_snapshot!("connections_guard_hold_120x40", t.backend());

    // A remapped key is the one hinted.
    let mut remapped = held_app();
    for b in &mut remapped.keymap.bindings {
        if b.action == magsync::tui::keymap::Action::AcceptGuardHold {
            b.keys = vec![magsync::tui::keymap::Key::ch('Z')];
        }
    }
    let lines = text_of(&render(&mut remapped, 120, 40));
    assert!(lines.iter().any(|l| l.contains("· Z accept guard hold")));

    // Without a hold there is no hint.
    let mut calm = held_app();
    calm.dashboard.health[1] = health("fbe", Level::Ok, "sync_age", "last sync 5m ago");
    let lines = text_of(&render(&mut calm, 120, 40));
    assert!(!lines.iter().any(|l| l.contains("accept guard hold")));

    app.update(key('j'));
    app.update(key('M'));
    for (w, h) in [(80, 24), (120, 40)] {
        let t = render(&mut app, w, h);
        insta::assert_snapshot!(format!("confirm_guard_hold_{w}x{h}"), t.backend());
        let lines = text_of(&t);
        let top = lines
            .iter()
            .position(|l| l.contains(" Accept guard hold "))
            .unwrap();
        let body: String = lines[top..top + 9].join("\n");
        assert!(body.contains("fbe: last run #9 held by the"), "{body}");
        assert!(body.contains("Start a full sync"), "{body}");
        assert!(body.contains("marks them missing anyway?"), "{body}");
        assert!(!body.contains("if eMAG"), "{body}");
        assert_eq!(fg_at(&t, top, "┌ Accept"), Color::Yellow);
    }
}
