//! The confirm popup for typed actions (full sync, cancel, quit while a sync runs).

use super::centered;
use crate::tui::app::{App, Confirm};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn draw(f: &mut Frame, area: Rect, app: &App, c: &Confirm) {
    let title = match c {
        Confirm::FullSync { .. } => " Full sync ",
        Confirm::CancelRun { .. } => " Cancel sync ",
        Confirm::QuitWhileRunning { .. } => " Quit ",
        Confirm::Discard { .. } => " Withdraw edits ",
        Confirm::SyncAll { .. } => " Sync all accounts ",
        Confirm::AcceptGuardHold { .. } => " Accept guard hold ",
    };
    // The guard's reason takes a few lines more than the other questions.
    let height = match c {
        Confirm::AcceptGuardHold { .. } => 9,
        _ => 8,
    };
    let r = centered(area, 64, height);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(vec![
            Line::raw(c.question()),
            Line::raw(""),
            Line::from(vec![
                Span::styled("y/Enter", app.theme.accent()),
                Span::raw(" yes   "),
                Span::styled("n/Esc", app.theme.accent()),
                Span::raw(" no"),
            ]),
        ])
        .wrap(Wrap { trim: true })
        .block(
            Block::bordered()
                .title(title)
                .border_style(app.theme.warn()),
        ),
        r,
    );
}
