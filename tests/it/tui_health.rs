//! Each account's health in the dashboard: the header tag and the Connections tab's panel,
//! rendered from fixed state, with the colours that carry the level.

use magsync::health::{AccountHealth, Finding, Level};
use magsync::tui::app::{App, Tab};
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
