//! 2 Sync: live gauges per account and the log of the selected account's run.

use super::{clock, duration, run_secs, status_span, truncate};
use crate::model::{EventLevel, RunStatus, SyncRun};
use crate::tui::app::{App, group};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
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
    // Borders, header, one row per account, the selected run's details and its error, if any.
    let error_line = app
        .selected_account_name()
        .and_then(|a| app.run_of(a))
        .is_some_and(|r| r.error_summary.is_some());
    let top_h = (app.accounts.len() as u16 + 4 + u16::from(error_line))
        .min(area.height / 2)
        .max(5);
    let [top, log] = Layout::vertical([Constraint::Length(top_h), Constraint::Min(3)]).areas(area);
    accounts(f, top, app);
    log_pane(f, log, app);
}

fn accounts(f: &mut Frame, area: Rect, app: &App) {
    let wide = area.width >= 110;
    let gw = if wide { 10 } else { 6 };
    let mut lines = vec![Line::styled(
        if wide {
            format!(
                "  {:<8} {:<12} {:<gw2$} {:<gw3$} {:>6} {:>5} {:>6} {:>5} {:>4} {:>5} {:>5}",
                "account",
                "state",
                "pages",
                "offers",
                "new",
                "upd",
                "same",
                "gone",
                "fail",
                "/s",
                "ETA",
                gw2 = gw + 8,
                gw3 = gw + 12
            )
        } else {
            format!(
                "  {:<7} {:<11} {:<gw2$} {:<gw3$} {:>5} {:>4} {:>4} {:>4}",
                "account",
                "state",
                "pages",
                "offers",
                "new",
                "upd",
                "gone",
                "fail",
                gw2 = gw + 8,
                gw3 = gw + 11
            )
        },
        app.theme.bold(),
    )];
    for (i, a) in app.accounts.iter().enumerate() {
        let marker = if i == app.selected_account {
            "▶ "
        } else {
            "  "
        };
        let Some(r) = app.run_of(&a.name) else {
            let state = if app.starting.contains(&a.name) {
                Span::styled("⟳ starting…", app.theme.running())
            } else {
                Span::styled("never synced", app.theme.dim())
            };
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "{marker}{:<w$} ",
                    a.name,
                    w = if wide { 8 } else { 7 }
                )),
                state,
            ]));
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
        let state = status_span(app, r.status);
        let state_w = if wide { 12 } else { 11 };
        let pad = state_w - state.width().min(state_w);
        let fail_style = if c.failed > 0 {
            app.theme.error()
        } else {
            ratatui::style::Style::default()
        };
        let mut spans = vec![
            Span::raw(format!(
                "{marker}{:<w$} ",
                a.name,
                w = if wide { 8 } else { 7 }
            )),
            state,
            Span::raw(" ".repeat(pad + 1)),
        ];
        if wide {
            spans.push(Span::styled(
                format!("{:<w$} ", pages, w = gw + 8),
                app.theme.running(),
            ));
            // Grouped like every other count; a first run's 1 092 new offers stay in column.
            spans.push(Span::raw(format!(
                "{:<w$} {:>6} {:>5} {:>6} {:>5} ",
                offers,
                group(c.created),
                group(c.updated),
                group(c.unchanged),
                group(c.removed),
                w = gw + 12
            )));
            spans.push(Span::styled(format!("{:>4}", c.failed), fail_style));
            spans.push(Span::raw(format!(" {rate:>5} {eta:>5}")));
        } else {
            spans.push(Span::styled(
                format!("{:<w$} ", pages, w = gw + 8),
                app.theme.running(),
            ));
            spans.push(Span::raw(format!(
                "{:<w$} {:>5} {:>4} {:>4} ",
                offers,
                group(c.created),
                group(c.updated),
                group(c.removed),
                w = gw + 11
            )));
            spans.push(Span::styled(format!("{:>4}", c.failed), fail_style));
        }
        lines.push(Line::from(spans));
    }
    if let Some(r) = app.selected_account_name().and_then(|a| app.run_of(a)) {
        let c = &r.counts;
        let items = [
            format!("run {}", r.id),
            r.trigger.to_string(),
            r.mode.to_string(),
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
    let block = Block::bordered()
        .title(title)
        .title_top(Line::from(format!(" level: {level} ")).right_aligned());
    let inner_h = area.height.saturating_sub(2) as usize;
    let visible = log.visible();
    // Scrolling back stops at the first screenful: a short log never scrolls out of view.
    let end = visible
        .len()
        .saturating_sub(if log.follow { 0 } else { log.scroll_back })
        .max(inner_h.min(visible.len()));
    let lines: Vec<Line> = if visible.is_empty() {
        vec![Line::styled(
            if log.run_id.is_some() {
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
            let event_rows = super::hang(
                Line::from(vec![
                    Span::styled(format!("{} ", clock(app, e.at)), app.theme.dim()),
                    Span::styled(
                        format!("{:<5} ", e.level.as_str().to_uppercase()),
                        level_style(app, e.level),
                    ),
                    Span::raw(e.message.as_str()),
                ]),
                width,
            );
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
