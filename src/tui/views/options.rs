//! The sync options form (`o`): what the next run of an account uses.

use super::centered;
use crate::tui::app::{App, OptionsField, OptionsForm};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(f: &mut Frame, area: Rect, app: &App, form: &OptionsForm) {
    let r = centered(area, 62, 10);
    f.render_widget(Clear, r);
    let mut lines = Vec::new();
    for field in OptionsField::ALL {
        let focused = field == form.focus;
        let label = field.label();
        let shown = match field {
            OptionsField::MaxPages if form.max_pages.value().is_empty() => {
                // The engine never runs an incremental without a limit: blank takes the config's.
                "[sync] incremental_max_pages".to_string()
            }
            OptionsField::MaxPages => form.max_pages.value().to_string(),
            OptionsField::ItemsPerPage => form.items_per_page.value().to_string(),
            OptionsField::IncludeInactive => {
                format!("‹ {} ›", if form.include_inactive { "yes" } else { "no" })
            }
            OptionsField::Strategy => format!("‹ {} ›", form.strategy.as_str()),
        };
        let style = if focused {
            app.theme.selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(vec![
            Span::raw(if focused { " ▶ " } else { "   " }),
            Span::raw(format!("{label:<20}")),
            Span::styled(format!(" {shown:<20}"), style),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(match &form.error {
        Some(e) => Line::styled(format!(" {e}"), app.theme.error()),
        None => Line::styled(
            " ↑↓ field  ←→ change  Enter save  Esc cancel",
            app.theme.dim(),
        ),
    });
    f.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" Sync options · {} ", form.account))),
        r,
    );
    if let Some(input) = form.input(form.focus) {
        let row = OptionsField::ALL
            .iter()
            .position(|f| *f == form.focus)
            .unwrap_or(0);
        let x = r.x + 1 + 3 + 20 + 1 + input.visual_cursor() as u16;
        f.set_cursor_position(Position::new(x, r.y + 1 + row as u16));
    }
}
