//! The error list (`e`): every error toast of this session, newest last.

use super::{centered, clock};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn draw(f: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let r = centered(
        area,
        area.width.saturating_sub(10),
        area.height.saturating_sub(6),
    );
    f.render_widget(Clear, r);
    let lines: Vec<Line> = if app.errors.is_empty() {
        vec![Line::styled(" no errors this session", app.theme.dim())]
    } else {
        app.errors
            .iter()
            .map(|(at, text)| {
                Line::from(vec![
                    Span::styled(format!(" {} ", clock(app, *at)), app.theme.dim()),
                    Span::styled(text.clone(), app.theme.error()),
                ])
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::bordered().title(format!(" Errors ({}) · Esc closes ", app.errors.len())),
            ),
        r,
    );
}
