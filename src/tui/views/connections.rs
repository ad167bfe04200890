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
    let test_line = |name: &str, detail: TestDetail| -> Line<'static> {
        match (app.testing.contains(name), app.tests.get(name)) {
            (true, _) => Line::styled("⟳ testing…", app.theme.running()),
            (false, Some(t)) => {
                let (glyph, style) = if t.ok {
                    ("✓", app.theme.ok())
                } else {
                    ("✗", app.theme.error())
                };
                let offers = match (t.offers, t.active, detail) {
                    (Some(n), Some(a), TestDetail::Full) => {
                        format!(" · {} offers, {} active", group(n as i64), group(a as i64))
                    }
                    (Some(n), _, TestDetail::Full | TestDetail::Offers) => {
                        format!(" · {} offers", group(n as i64))
                    }
                    (Some(n), _, TestDetail::Count) => format!(" · {}", group(n as i64)),
                    _ => String::new(),
                };
                // Narrow screens keep the time and count whole and leave the message to the
                // toast.
                let text = if detail == TestDetail::Full {
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
        }
    };
    let widest = |f: &dyn Fn(&str) -> usize| app.accounts.iter().map(|a| f(&a.name)).max();
    let last_width = |mode: bool| {
        widest(&|name| match last_text(name, mode) {
            Some((s, t)) => s.width() + t.chars().count(),
            None => 5,
        })
        .unwrap_or(9)
        .max(9) as u16
    };
    let test_width = |detail| widest(&|name| test_line(name, detail).width()).unwrap_or(9) as u16;
    let fit = Fit::choose(wide, area.width.saturating_sub(2), |fit| {
        let (account, username) = if wide { (12, 10) } else { (10, 8) };
        let columns = 3 + u16::from(wide) + u16::from(fit.url_w > 0) + u16::from(fit.username);
        account
            + if wide { 4 } else { 0 }
            + fit.url_w
            + if fit.username { username } else { 0 }
            + test_width(fit.detail)
            + last_width(fit.mode)
            + (columns - 1)
    });
    let last_w = last_width(fit.mode);
    let rows = app.accounts.iter().enumerate().map(|(i, a)| {
        let test = test_line(&a.name, fit.detail);
        let last = match last_text(&a.name, fit.mode) {
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
        if fit.url_w > 0 {
            cells.push(Cell::from(truncate(&a.base_url, fit.url_w as usize)));
        }
        if fit.username {
            cells.push(Cell::from(a.username.clone()));
        }
        cells.extend([Cell::from(test), Cell::from(last)]);
        let row = Row::new(cells);
        if i == app.selected_account {
            row.style(app.theme.selected())
        } else {
            row
        }
    });
    let (account_w, username_w) = if wide { (12, 10) } else { (10, 8) };
    let mut widths = vec![Constraint::Length(account_w)];
    let mut head = vec!["  account"];
    if wide {
        widths.push(Constraint::Length(4));
        head.push("plat");
    }
    if fit.url_w > 0 {
        widths.push(Constraint::Length(fit.url_w));
        head.push("base URL");
    }
    if fit.username {
        widths.push(Constraint::Length(username_w));
        head.push("username");
    }
    widths.extend([Constraint::Min(9), Constraint::Length(last_w)]);
    head.extend(["last test", "last sync"]);
    let header = Row::new(head).style(app.theme.bold());
    f.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

/// How much of the last connection test a row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TestDetail {
    /// Time, latency, offers and active offers, and eMAG's message (wide screens).
    Full,
    /// Time and "N offers".
    Offers,
    /// Time and the count alone.
    Count,
}

/// The columns a narrow Connections table keeps.
#[derive(Debug, Clone, Copy)]
struct Fit {
    url_w: u16,
    username: bool,
    detail: TestDetail,
    mode: bool,
}

impl Fit {
    /// The first layout whose columns fit `width` whole. On a wide screen the test's message
    /// and latency give way first; then the sync's mode word, the URL, the username and the
    /// word "offers", so a count or a time is never cut.
    fn choose(wide: bool, width: u16, needs: impl Fn(Fit) -> u16) -> Fit {
        let full = Fit {
            url_w: 20,
            username: true,
            detail: TestDetail::Offers,
            mode: true,
        };
        let wide_steps = [
            Fit {
                url_w: 34,
                detail: TestDetail::Full,
                ..full
            },
            Fit { url_w: 34, ..full },
        ];
        let steps = [
            full,
            Fit {
                mode: false,
                ..full
            },
            Fit {
                url_w: 0,
                mode: false,
                ..full
            },
            Fit {
                url_w: 0,
                username: false,
                mode: false,
                ..full
            },
        ];
        let last = Fit {
            url_w: 0,
            username: false,
            detail: TestDetail::Count,
            mode: false,
        };
        let wide_steps = if wide { &wide_steps[..] } else { &[] };
        wide_steps
            .iter()
            .chain(&steps)
            .copied()
            .find(|fit| needs(*fit) <= width)
            .unwrap_or(last)
    }
}
