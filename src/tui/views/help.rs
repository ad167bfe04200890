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

/// The help rows (section, keys, what they do) that match the filter.
pub fn rows(app: &App, filter: &Input) -> Vec<(&'static str, String, &'static str)> {
    let needle = filter.value().to_lowercase();
    app.keymap
        .all_help_rows(app.tab.context())
        .into_iter()
        .filter(|(section, keys, help)| {
            needle.is_empty()
                || help.contains(&needle)
                || keys.to_lowercase().contains(&needle)
                || section.contains(&needle)
        })
        .collect()
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, filter: &Input, typing: bool, scroll: u16) {
    let mut body: Vec<Line> = Vec::new();
    let mut section = "";
    for (ctx, keys, help) in rows(app, filter) {
        if ctx != section {
            section = ctx;
            body.push(Line::styled(format!(" {ctx}"), app.theme.bold()));
        }
        body.push(Line::from(vec![
            Span::styled(format!("   {keys:<22}"), app.theme.accent()),
            Span::raw(help),
        ]));
    }
    // Borders and the filter line take three rows.
    let r = centered(area, 64, body.len() as u16 + 3);
    let visible = r.height.saturating_sub(3) as usize;
    let start = (scroll as usize).min(body.len().saturating_sub(visible));
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

    let mut block = Block::bordered().title(" Keys · Esc closes ");
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
