//! Each account's health, judged by the same code as `magsync check`: a short tag in the
//! header and a panel under the Connections table with the reason.

use super::truncate;
use crate::health::{AccountHealth, Level};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

fn of<'a>(app: &'a App, account: &str) -> Option<&'a AccountHealth> {
    app.dashboard.health.iter().find(|h| h.account == account)
}

fn style(app: &App, level: Level) -> Style {
    match level {
        Level::Ok => app.theme.ok(),
        Level::Warning => app.theme.warn(),
        Level::Critical => app.theme.error(),
        Level::Unknown => app.theme.dim(),
    }
}

/// "OK", "WARN", "CRIT" or "UNKN" for the header; None before the first poll.
pub(crate) fn tag(app: &App, account: &str) -> Option<Span<'static>> {
    let h = of(app, account)?;
    let text = match h.level {
        Level::Ok => "OK",
        Level::Warning => "WARN",
        Level::Critical => "CRIT",
        Level::Unknown => "UNKN",
    };
    Some(Span::styled(text, style(app, h.level)))
}

/// Draws the health panel at the bottom of `area` when there is health to show, and returns
/// the rest of the area.
pub(crate) fn split_panel(f: &mut Frame, area: Rect, app: &App) -> Rect {
    let rows: Vec<&AccountHealth> = app
        .accounts
        .iter()
        .filter_map(|a| of(app, &a.name))
        .collect();
    if rows.is_empty() || area.height < rows.len() as u16 + 6 {
        return area;
    }
    let [top, bottom] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(rows.len() as u16 + 2),
    ])
    .areas(area);
    let name_w = rows.iter().map(|h| h.account.len()).max().unwrap_or(0);
    // Borders, a space, the name, two spaces, "CRITICAL", two spaces, a margin.
    let room = (bottom.width as usize).saturating_sub(name_w + 16);
    let lines: Vec<Line> = rows
        .iter()
        .map(|h| {
            Line::from(vec![
                Span::raw(format!(" {:<name_w$}  ", h.account)),
                Span::styled(format!("{:<8}", h.level.as_str()), style(app, h.level)),
                Span::raw("  "),
                Span::raw(truncate(&h.reason(), room)),
            ])
        })
        .collect();
    let mut title = " Health (as `magsync check`) ".to_string();
    // The accept key is hinted only while some account is held, where it means something.
    if rows.iter().any(|h| app.guard_hold(&h.account).is_some())
        && let Some(key) = app
            .keymap
            .effective_key(Context::Connections, Action::AcceptGuardHold)
    {
        title.push_str(&format!("· {key} accept guard hold "));
    }
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        bottom,
    );
    top
}
