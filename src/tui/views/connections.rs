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
    // Below 80 columns the URL gives its room to the test and sync columns.
    let url_w: usize = if wide {
        34
    } else if area.width >= 80 {
        20
    } else {
        0
    };
    let last_text = |name: &str, mode: bool| -> Option<(ratatui::text::Span<'static>, String)> {
        app.run_of(name).map(|r| {
            let mode = match (mode, wide, r.mode) {
                (false, _, _) => "",
                (_, false, crate::model::SyncMode::Incremental) => " incr",
                (_, _, crate::model::SyncMode::Full) => " full",
                (_, _, crate::model::SyncMode::Incremental) => " incremental",
            };
            (
                status_span(app, r.status),
                format!(" {}{mode}", when(app, r.started_at)),
            )
        })
    };
    // The last-sync column fits its widest value, so its time is never cut; where the table
    // would not fit, the mode word gives way first (the Sync tab and details show it).
    let last_width = |mode: bool| {
        app.accounts
            .iter()
            .map(|a| match last_text(&a.name, mode) {
                Some((s, t)) => s.width() + t.chars().count(),
                None => 5,
            })
            .max()
            .unwrap_or(9)
            .max(9) as u16
    };
    let fixed = if wide {
        12 + 4 + 10 + 20 + 6
    } else {
        10 + 8 + 16 + 5
    } + url_w as u16;
    let with_mode = wide || fixed + last_width(true) <= area.width.saturating_sub(2);
    let last_w = last_width(with_mode);
    let last_text = |name: &str| last_text(name, with_mode);
    let rows = app.accounts.iter().enumerate().map(|(i, a)| {
        let test = match (app.testing.contains(&a.name), app.tests.get(&a.name)) {
            (true, _) => Line::styled("⟳ testing…", app.theme.running()),
            (false, Some(t)) => {
                let (glyph, style) = if t.ok {
                    ("✓", app.theme.ok())
                } else {
                    ("✗", app.theme.error())
                };
                let offers = match (t.offers, t.active) {
                    (Some(n), Some(a)) if wide => {
                        format!(" · {} offers, {} active", group(n as i64), group(a as i64))
                    }
                    (Some(n), _) => format!(" · {} offers", group(n as i64)),
                    _ => String::new(),
                };
                // Narrow screens keep the time and count whole and leave the message to the
                // toast.
                let text = if wide {
                    format!(
                        " {} {} ms{offers} · {}",
                        when(app, t.at),
                        t.latency_ms,
                        t.message
                    )
                } else {
                    format!(" {}{offers}", when(app, t.at))
                };
                Line::from(vec![Span::styled(glyph, style), Span::raw(text)])
            }
            (false, None) => Line::styled("not tested (t)", app.theme.dim()),
        };
        let last = match last_text(&a.name) {
            Some((status, text)) => Line::from(vec![status, Span::raw(text)]),
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
        if url_w > 0 {
            cells.push(Cell::from(truncate(&a.base_url, url_w)));
        }
        cells.extend([
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
                Constraint::Length(last_w),
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
        let mut widths = vec![Constraint::Length(10)];
        let mut head = vec!["  account"];
        if url_w > 0 {
            widths.push(Constraint::Length(url_w as u16));
            head.push("base URL");
        }
        widths.extend([
            Constraint::Length(8),
            Constraint::Min(16),
            Constraint::Length(last_w),
        ]);
        head.extend(["username", "last test", "last sync"]);
        (widths, head)
    };
    let header = Row::new(head).style(app.theme.bold());
    f.render_widget(Table::new(rows, widths).header(header).block(block), area);
}
