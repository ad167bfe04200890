//! 2 Sync: live gauges per account and the log of the selected account's run.

use super::{clock, duration, run_secs, status_span, truncate};
use crate::model::{EventLevel, RunStatus, SyncRun};
use crate::tui::app::{App, group};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// A text gauge (`████░░`), readable without colour.
fn bar(done: i64, total: Option<i64>, width: usize) -> String {
    let filled = match total {
        Some(t) if t > 0 => ((done.min(t) * width as i64) / t) as usize,
        _ => 0,
    };
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// Offers per second and the time left, from pages done so far.
fn rate_eta(app: &App, r: &SyncRun) -> (String, String) {
    let secs = run_secs(app, r).max(1);
    let rate = r.counts.offers_seen / secs;
    let eta = match (r.status, r.counts.pages_total) {
        (RunStatus::Running, Some(t)) if r.counts.pages_done > 0 => {
            let left = (t - r.counts.pages_done).max(0);
            duration(left * secs / r.counts.pages_done)
        }
        _ => "—".into(),
    };
    let rate = if r.status == RunStatus::Running {
        rate.to_string()
    } else {
        "—".into()
    };
    (rate, eta)
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let [top, log] =
        crate::tui::layout::sync(area, app.accounts.len(), app.selected_run_has_error());
    accounts(f, top, app);
    log_pane(f, log, app);
}

/// One column of the accounts table: every value whole, the column as wide as its widest.
struct Col {
    head: &'static str,
    /// One cell per account row (empty for an account without a run).
    cells: Vec<Span<'static>>,
    right: bool,
    /// Lower goes first when the screen is too narrow; 0 never goes.
    keep: u8,
}

impl Col {
    fn width(&self) -> usize {
        self.cells
            .iter()
            .map(Span::width)
            .chain([self.head.chars().count()])
            .max()
            .unwrap_or(0)
    }
}

fn accounts(f: &mut Frame, area: Rect, app: &App) {
    let room = area.width.saturating_sub(2) as usize;
    let gw = if room >= 108 { 10 } else { 6 };
    let plain = ratatui::style::Style::default();
    let mut cols = vec![
        Col {
            head: "account",
            cells: vec![],
            right: false,
            keep: 0,
        },
        Col {
            head: "state",
            cells: vec![],
            right: false,
            keep: 0,
        },
        Col {
            head: "pages",
            cells: vec![],
            right: false,
            keep: 9,
        },
        Col {
            head: "offers",
            cells: vec![],
            right: false,
            keep: 8,
        },
        Col {
            head: "new",
            cells: vec![],
            right: true,
            keep: 5,
        },
        Col {
            head: "upd",
            cells: vec![],
            right: true,
            keep: 6,
        },
        Col {
            head: "same",
            cells: vec![],
            right: true,
            keep: 1,
        },
        Col {
            head: "gone",
            cells: vec![],
            right: true,
            keep: 4,
        },
        Col {
            head: "fail",
            cells: vec![],
            right: true,
            keep: 7,
        },
        Col {
            head: "/s",
            cells: vec![],
            right: true,
            keep: 2,
        },
        Col {
            head: "ETA",
            cells: vec![],
            right: true,
            keep: 3,
        },
    ];
    for a in &app.accounts {
        cols[0].cells.push(Span::raw(a.name.clone()));
        let Some(r) = app.run_of(&a.name) else {
            cols[1].cells.push(if app.starting.contains(&a.name) {
                Span::styled("⟳ starting…", app.theme.running())
            } else {
                Span::styled("never synced", app.theme.dim())
            });
            for c in &mut cols[2..] {
                c.cells.push(Span::raw(""));
            }
            continue;
        };
        let c = &r.counts;
        // While running, the pages eMAG announced bound the offers; afterwards the store does.
        let planned = c.pages_total.map(|p| p * r.options.items_per_page as i64);
        let stored = app
            .stats_of(&a.name)
            .map(|s| s.counts.offers)
            .filter(|n| *n > 0);
        let expected = if r.status == RunStatus::Running {
            planned.or(stored)
        } else {
            stored.or(planned)
        };
        let pages = format!(
            "{} {}/{}",
            bar(c.pages_done, c.pages_total, gw),
            c.pages_done,
            c.pages_total
                .map(|t| t.to_string())
                .unwrap_or_else(|| "?".into())
        );
        let offers = format!(
            "{} {}",
            bar(c.offers_seen, expected.map(|e| e.max(c.offers_seen)), gw),
            group(c.offers_seen)
        );
        let (rate, eta) = rate_eta(app, r);
        let fail_style = if c.failed > 0 {
            app.theme.error()
        } else {
            plain
        };
        let cells = [
            status_span(app, r.status),
            Span::styled(pages, app.theme.running()),
            Span::raw(offers),
            // Grouped like every other count; a first run's 1 092 new offers stay in column.
            Span::raw(group(c.created)),
            Span::raw(group(c.updated)),
            Span::raw(group(c.unchanged)),
            Span::raw(group(c.removed)),
            Span::styled(group(c.failed), fail_style),
            Span::raw(rate),
            Span::raw(eta),
        ];
        for (col, cell) in cols[1..].iter_mut().zip(cells) {
            col.cells.push(cell);
        }
    }
    // Whole columns give way on a narrow screen, least useful first, never part of a value.
    let total = |cols: &[Col]| 2 + cols.iter().map(|c| c.width() + 1).sum::<usize>();
    while total(&cols) > room + 1 {
        match cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.keep > 0)
            .min_by_key(|(_, c)| c.keep)
        {
            Some((i, _)) => {
                cols.remove(i);
            }
            None => break,
        }
    }
    let widths: Vec<usize> = cols.iter().map(Col::width).collect();
    let pad = |span: Span<'static>, w: usize, right: bool| -> Vec<Span<'static>> {
        let fill = " ".repeat(w.saturating_sub(span.width()));
        if right {
            vec![Span::raw(fill), span]
        } else {
            vec![span, Span::raw(fill)]
        }
    };
    let mut head = vec![Span::raw("  ")];
    for (c, w) in cols.iter().zip(&widths) {
        head.extend(pad(Span::raw(c.head), *w, c.right));
        head.push(Span::raw(" "));
    }
    let mut lines = vec![Line::from(head).style(app.theme.bold())];
    for (i, _) in app.accounts.iter().enumerate() {
        let marker = if i == app.selected_account {
            "▶ "
        } else {
            "  "
        };
        let mut spans = vec![Span::raw(marker)];
        for (c, w) in cols.iter().zip(&widths) {
            spans.extend(pad(c.cells[i].clone(), *w, c.right));
            spans.push(Span::raw(" "));
        }
        lines.push(Line::from(spans));
    }
    if let Some(r) = app.selected_account_name().and_then(|a| app.run_of(a)) {
        let c = &r.counts;
        let items = [
            format!("run {}", r.id),
            r.trigger.to_string(),
            // An incremental run says its page limit: it reads a window, never every page.
            match (r.mode, r.options.max_pages) {
                (crate::model::SyncMode::Incremental, Some(n)) => {
                    format!("incremental, {n} pages")
                }
                (m, _) => m.to_string(),
            },
            format!("retries {}", c.retries),
            format!("429s {}", c.rate_limited),
            format!("requests {}", c.requests),
            format!("strategy {}", r.options.conflict_strategy),
            duration(run_secs(app, r)),
        ];
        let room = area.width.saturating_sub(2) as usize;
        lines.push(Line::styled(fit_items(&items, room), app.theme.dim()));
        // The error summary gets a line of its own: it is what the operator came to read.
        if let Some(e) = &r.error_summary {
            lines.push(Line::styled(
                truncate(&format!("    {e}"), room),
                app.theme.error(),
            ));
        }
    }
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Accounts ")),
        area,
    );
}

fn level_style(app: &App, l: EventLevel) -> ratatui::style::Style {
    match l {
        EventLevel::Debug => app.theme.dim(),
        EventLevel::Info => ratatui::style::Style::default(),
        EventLevel::Warn => app.theme.warn(),
        EventLevel::Error => app.theme.error(),
    }
}

fn log_pane(f: &mut Frame, area: Rect, app: &App) {
    let log = &app.log;
    let account = app.selected_account_name().unwrap_or("—");
    let state = if log.follow {
        "following"
    } else {
        "paused (End follows)"
    };
    let level = log.min_level.map(|l| l.as_str()).unwrap_or("all");
    let title = match log.run_id {
        Some(id) => format!(" Log · {account} run {id} · {state} "),
        None => format!(" Log · {account} "),
    };
    let mut right = format!(" level: {level} ");
    if log.nowrap {
        right = format!(" no wrap ·{right}");
    }
    let mut block = Block::bordered()
        .title(title)
        .title_top(Line::from(right).right_aligned());
    let needle = log.search.value();
    if log.searching || !needle.is_empty() {
        let text = format!(
            " /{needle}{} · {} match{} · Esc clears ",
            if log.searching { "▏" } else { "" },
            log.visible().len(),
            if log.visible().len() == 1 { "" } else { "es" }
        );
        block = block.title_bottom(Line::styled(text, app.theme.accent()));
    }
    let inner_h = area.height.saturating_sub(2) as usize;
    let visible = log.visible();
    // Scrolling back stops at the first screenful: a short log never scrolls out of view.
    let end = visible
        .len()
        .saturating_sub(if log.follow { 0 } else { log.scroll_back })
        .max(inner_h.min(visible.len()));
    let lines: Vec<Line> = if visible.is_empty() {
        vec![Line::styled(
            if !needle.is_empty() {
                "no line matches the search"
            } else if log.run_id.is_some() {
                "no events yet"
            } else {
                "no run yet — press i for an incremental sync"
            },
            app.theme.dim(),
        )]
    } else {
        // Long messages wrap under the message column (a run's summary is the longest and
        // the one worth reading whole); events are taken from the bottom until the pane is
        // full, so the newest line always shows.
        let width = area.width.saturating_sub(2) as usize;
        let mut rows: Vec<Line> = Vec::new();
        for e in visible[..end].iter().rev() {
            let prefix = vec![
                Span::styled(format!("{} ", clock(app, e.at)), app.theme.dim()),
                Span::styled(
                    format!("{:<5} ", e.level.as_str().to_uppercase()),
                    level_style(app, e.level),
                ),
            ];
            let event_rows = if log.nowrap {
                // One line per event, cut with "…" at the pane's edge.
                let room = width.saturating_sub(prefix.iter().map(Span::width).sum());
                let mut spans = prefix;
                spans.push(Span::raw(truncate(&e.message, room)));
                vec![Line::from(spans)]
            } else {
                let mut spans = prefix;
                spans.push(Span::raw(e.message.as_str()));
                super::hang(Line::from(spans), width)
            };
            rows.extend(event_rows.into_iter().rev());
            if rows.len() >= inner_h {
                break;
            }
        }
        rows.truncate(inner_h);
        rows.reverse();
        rows
    };
    f.render_widget(Paragraph::new(lines).block(block), area);
}

/// "    a · b · c" with as many items as fit in `room` columns, then "…" for the rest.
fn fit_items(items: &[String], room: usize) -> String {
    let mut line = String::from("   ");
    for (i, item) in items.iter().enumerate() {
        let piece = format!(" {}{item}", if i == 0 { "" } else { "· " });
        let tail = if i + 1 < items.len() { 2 } else { 0 };
        if line.chars().count() + piece.chars().count() + tail > room {
            line.push_str(" …");
            break;
        }
        line.push_str(&piece);
    }
    line
}
