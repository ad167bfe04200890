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
    let wide = area.width >= 110;
    let url_w = if wide { 34 } else { 22 };
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
        let row = Row::new(vec![
            Cell::from(Line::from(vec![
                Span::raw(format!("{marker} ")),
                dot(app, account_state(app, &a.name)),
                Span::raw(format!(" {}", a.name)),
            ])),
            Cell::from(a.platform.clone()),
            Cell::from(truncate(&a.base_url, url_w)),
            Cell::from(a.username.clone()),
            Cell::from(test),
            Cell::from(last),
        ]);
        if i == app.selected_account {
            row.style(app.theme.selected())
        } else {
            row
        }
    });
    let widths = [
        Constraint::Length(12),
        Constraint::Length(4),
        Constraint::Length(url_w as u16),
        Constraint::Length(if wide { 10 } else { 8 }),
        Constraint::Min(20),
        Constraint::Length(if wide { 26 } else { 18 }),
    ];
    let header = Row::new(vec![
        "  account",
        "plat",
        "base URL",
        "username",
        "last test",
        "last sync",
    ])
    .style(app.theme.bold());
    f.render_widget(Table::new(rows, widths).header(header).block(block), area);
}
