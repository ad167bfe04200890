//! `?`: the focused tab's keys and the global ones, generated from the keymap.

use super::centered;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use tui_input::Input;

pub fn draw(f: &mut Frame, area: Rect, app: &App, filter: &Input, typing: bool) {
    let needle = filter.value().to_lowercase();
    let rows: Vec<_> = app
        .keymap
        .help_rows(app.tab.context())
        .into_iter()
        .filter(|(_, keys, help)| {
            needle.is_empty() || help.contains(&needle) || keys.to_lowercase().contains(&needle)
        })
        .collect();
    let r = centered(area, 64, rows.len() as u16 + 5);
    f.render_widget(Clear, r);
    let mut lines = vec![Line::from(vec![
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
    ])];
    let mut section = "";
    for (ctx, keys, help) in rows {
        if ctx != section {
            section = ctx;
            lines.push(Line::styled(format!(" {ctx}"), app.theme.bold()));
        }
        lines.push(Line::from(vec![
            Span::styled(format!("   {keys:<22}"), app.theme.accent()),
            Span::raw(help),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys · Esc closes ")),
        r,
    );
}
