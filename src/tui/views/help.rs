//! `?`: the focused tab's keys and the global ones, then every other tab's, generated from the
//! keymap. They do not all fit, so the list scrolls under a fixed filter line (which matches
//! keys, what they do and tab names) and says how much is hidden.

use super::centered;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use tui_input::Input;

/// The help rows (section, keys, what they do, the action) that match the filter.
pub fn rows(
    app: &App,
    filter: &Input,
) -> Vec<(
    &'static str,
    String,
    &'static str,
    crate::tui::keymap::Action,
)> {
    app.keymap.help_matching(app.tab.context(), filter.value())
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, filter: &Input, typing: bool, scroll: u16) {
    // `scroll` is the selected row (Enter runs it); the list scrolls to keep it in view.
    let mut body: Vec<Line> = Vec::new();
    let mut section = "";
    let mut selected_line = 0;
    for (i, (ctx, keys, help, _)) in rows(app, filter).into_iter().enumerate() {
        if ctx != section {
            section = ctx;
            body.push(Line::styled(format!(" {ctx}"), app.theme.bold()));
        }
        let mark = if i == scroll as usize { " ▶ " } else { "   " };
        let line = Line::from(vec![
            Span::styled(format!("{mark}{keys:<22}"), app.theme.accent()),
            Span::raw(help),
        ]);
        if i == scroll as usize {
            selected_line = body.len();
            body.push(line.style(app.theme.selected()));
        } else {
            body.push(line);
        }
    }
    // Borders and the filter line take three rows.
    let r = centered(area, 64, body.len() as u16 + 3);
    let visible = r.height.saturating_sub(3) as usize;
    let start = selected_line
        .saturating_sub(visible.saturating_sub(1))
        .min(body.len().saturating_sub(visible));
    let hidden_below = body.len().saturating_sub(start + visible);

    let filter_line = Line::from(vec![
        Span::styled(
            " / ",
            if typing {
                app.theme.accent()
            } else {
                app.theme.dim()
            },
        ),
        Span::raw(filter.value().to_string()),
        Span::styled(
            if filter.value().is_empty() && !typing {
                "filter"
            } else {
                ""
            },
            app.theme.dim(),
        ),
    ]);
    let mut lines = vec![filter_line];
    lines.extend(body.into_iter().skip(start).take(visible));

    let mut block = Block::bordered().title(" Keys · Enter runs · Esc closes ");
    if start > 0 || hidden_below > 0 {
        let more = match (start, hidden_below) {
            (0, n) => format!(" ↓ {n} more · j/k scroll "),
            (_, 0) => " ↑ more above · j/k scroll ".to_string(),
            (_, n) => format!(" ↑↓ {n} more below · j/k scroll "),
        };
        block = block.title_bottom(Line::styled(more, app.theme.dim()));
    }
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
}
