//! 1 Connections: each account, its last connection test and its last sync.

use super::frame::{account_state, dot};
use super::{status_span, truncate, when};
use crate::tui::app::{App, group};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let block = Block::bordered().title(" Accounts ");
    if app.accounts.is_empty() {
        f.render_widget(
            Paragraph::new(
                "No accounts are configured. Add [accounts.NAME] to the config file, set \
                 EMAG_<NAME>_USERNAME / _PASSWORD / _BASE_URL, or try `magsync demo`.",
            )
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block),
            area,
        );
        return;
    }
    let area = super::health::split_panel(f, area, app);
    let wide = area.width >= 110;
    let url_w = if wide { 34 } else { 20 };
    let rows = app.accounts.iter().enumerate().map(|(i, a)| {
        let test = match (app.testing.contains(&a.name), app.tests.get(&a.name)) {
            (true, _) => Line::styled("⟳ testing…", app.theme.running()),
            (false, Some(t)) => {
                let (glyph, style) = if t.ok {
                    ("✓", app.theme.ok())
                } else {
                    ("✗", app.theme.error())
                };
                let offers = t
                    .offers
                    .map(|n| format!(" · {} offers", group(n as i64)))
                    .unwrap_or_default();
                Line::from(vec![
                    Span::styled(glyph, style),
                    Span::raw(format!(
                        " {} {} ms{offers} · {}",
                        when(app, t.at),
                        t.latency_ms,
                        t.message
                    )),
                ])
            }
            (false, None) => Line::styled("not tested (t)", app.theme.dim()),
        };
        let last = match app.run_of(&a.name) {
            Some(r) => Line::from(vec![
                status_span(app, r.status),
                Span::raw(format!(" {} {}", when(app, r.started_at), r.mode)),
            ]),
            None => Line::styled("never", app.theme.dim()),
        };
        let marker = if i == app.selected_account {
            "▶"
        } else {
            " "
        };
        let mut cells = vec![Cell::from(Line::from(vec![
            Span::raw(format!("{marker} ")),
            dot(app, account_state(app, &a.name)),
            Span::raw(format!(" {}", a.name)),
        ]))];
        if wide {
            cells.push(Cell::from(a.platform.clone()));
        }
        cells.extend([
            Cell::from(truncate(&a.base_url, url_w)),
            Cell::from(a.username.clone()),
            Cell::from(test),
            Cell::from(last),
        ]);
        let row = Row::new(cells);
        if i == app.selected_account {
            row.style(app.theme.selected())
        } else {
            row
        }
    });
    // 80 columns drop the platform and shorten the URL.
    let (widths, head) = if wide {
        (
            vec![
                Constraint::Length(12),
                Constraint::Length(4),
                Constraint::Length(url_w as u16),
                Constraint::Length(10),
                Constraint::Min(20),
                Constraint::Length(26),
            ],
            vec![
                "  account",
                "plat",
                "base URL",
                "username",
                "last test",
                "last sync",
            ],
        )
    } else {
        (
            vec![
                Constraint::Length(10),
                Constraint::Length(url_w as u16),
                Constraint::Length(8),
                Constraint::Min(16),
                Constraint::Length(16),
            ],
            vec![
                "  account",
                "base URL",
                "username",
                "last test",
                "last sync",
            ],
        )
    };
    let header = Row::new(head).style(app.theme.bold());
    f.render_widget(Table::new(rows, widths).header(header).block(block), area);
}
