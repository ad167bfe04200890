//! The sync options form (`o`): what the next run of an account uses.

use super::centered;
use crate::tui::app::{App, OptionsForm};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(f: &mut Frame, area: Rect, app: &App, form: &OptionsForm) {
    let r = centered(area, 62, 10);
    f.render_widget(Clear, r);
    let values = [
        form.max_pages.value().to_string(),
        form.items_per_page.value().to_string(),
        if form.include_inactive { "yes" } else { "no" }.to_string(),
        form.strategy.as_str().to_string(),
    ];
    let mut lines = Vec::new();
    for (i, (label, value)) in OptionsForm::FIELDS.iter().zip(values.iter()).enumerate() {
        let focused = i == form.focus;
        let shown = match i {
            // The engine never runs an incremental without a limit: blank takes the config's.
            0 if value.is_empty() => "[sync] incremental_max_pages".to_string(),
            2 | 3 => format!("‹ {value} ›"),
            _ => value.clone(),
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
    if matches!(form.focus, 0 | 1) {
        let input = if form.focus == 0 {
            &form.max_pages
        } else {
            &form.items_per_page
        };
        let x = r.x + 1 + 3 + 20 + 1 + input.visual_cursor() as u16;
        f.set_cursor_position(Position::new(x, r.y + 1 + form.focus as u16));
    }
}
