//! Drawing: one file per tab or popup. Views read [`App`] and never change it.

pub mod buybox;
pub mod changes;
mod confirm;
mod connections;
mod details;
mod errors;
mod frame;
mod health;
pub mod help;
pub mod history;
mod options;
mod price_panel;
pub mod products;
mod push;
pub mod summary;
pub mod sync;

use super::app::{App, Popup, Tab};
use super::layout::Screen;
use crate::model::{RunStatus, SyncRun};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

pub use super::layout::{FULL_HEIGHT, FULL_WIDTH, MIN_HEIGHT, MIN_WIDTH, reduced};

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area);
        return;
    }
    let Screen {
        header,
        cards,
        tabs,
        body,
        status,
    } = Screen::new(area);
    frame::header(f, header, app);
    if !cards.is_empty() {
        frame::cards(f, cards, app);
    }
    frame::tabs(f, tabs, app);
    match app.tab {
        Tab::Connections => connections::draw(f, body, app),
        Tab::Sync => sync::draw(f, body, app),
        Tab::Products => products::draw(f, body, app),
        Tab::History => history::draw(f, body, app),
        Tab::Changes => changes::draw(f, body, app),
        Tab::Buybox => buybox::draw(f, body, app),
    }
    frame::status_line(f, status, app);
    for popup in &app.popups {
        match popup {
            Popup::Confirm(c) => confirm::draw(f, area, app, c),
            Popup::Options(form) => options::draw(f, area, app, form),
            Popup::Help {
                filter,
                typing,
                scroll,
            } => help::draw(f, area, app, filter, *typing, *scroll),
            Popup::Errors { scroll } => errors::draw(f, area, app, *scroll),
            Popup::Offer(d) => details::offer(f, area, app, d),
            Popup::Run(d) => details::run(f, area, app, d),
            Popup::Edit(form) => changes::form(f, area, app, form),
            Popup::PushPreview(p) => push::preview(f, area, app, p),
            Popup::Bulk(form) => push::bulk_form(f, area, app, form),
            Popup::Palette(p) => push::palette(f, area, app, p),
            Popup::Copy { items, selected } => details::copy_menu(f, area, app, items, *selected),
        }
    }
}

fn too_small(f: &mut Frame, area: Rect) {
    let text = format!(
        "magsync needs at least {MIN_WIDTH}×{MIN_HEIGHT} — this terminal is {}×{}.",
        area.width, area.height
    );
    let y = area.height / 2;
    let line = Rect::new(area.x, area.y + y, area.width, 1.min(area.height));
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(ratatui::widgets::Wrap { trim: true }),
        Rect {
            height: area.height.saturating_sub(y).min(3),
            ..line
        },
    );
}

/// A popup rectangle centred in `area`, clamped to it.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2)).max(10);
    let h = height.min(area.height.saturating_sub(2)).max(3);
    Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    )
}

pub(crate) fn clock(app: &App, t: DateTime<Utc>) -> String {
    t.with_timezone(&app.tz).format("%H:%M:%S").to_string()
}

/// Relative today ("just now", "12 min ago", "3 h ago"), with a date before ("2 Dec 14:05");
/// a later time today (a schedule) is its clock time.
pub(crate) fn when(app: &App, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&app.tz);
    if local.date_naive() != app.now.with_timezone(&app.tz).date_naive() {
        return local.format("%-d %b %H:%M").to_string();
    }
    match (app.now - t).num_seconds() {
        s if s < 0 => local.format("%H:%M").to_string(),
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s => format!("{} h ago", s / 3600),
    }
}

/// [`when`] for a narrow card: before today only the date ("2 Dec").
pub(crate) fn when_short(app: &App, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&app.tz);
    if local.date_naive() != app.now.with_timezone(&app.tz).date_naive() {
        return local.format("%-d %b").to_string();
    }
    when(app, t)
}

pub(crate) fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

pub(crate) fn run_secs(app: &App, r: &SyncRun) -> i64 {
    (r.finished_at.unwrap_or(app.now) - r.started_at).num_seconds()
}

/// "✓ completed" in the status colour.
pub(crate) fn status_span(app: &App, s: RunStatus) -> Span<'static> {
    Span::styled(
        format!("{} {}", super::theme::status_glyph(s), s.as_str()),
        app.theme.status(s),
    )
}

pub(crate) use super::text::truncate;

/// `line` cut to `width` columns with a hanging indent: every span but the last is a prefix
/// (a key, a time and level) and the last span's text wraps under itself, not under the
/// prefix, so a long value or message still reads as one column. Widths are display widths
/// (textwrap), so diacritics and wide glyphs stay aligned. A line of one span is returned as
/// it is, for the paragraph to wrap.
pub(crate) fn hang(line: Line<'_>, width: usize) -> Vec<Line<'_>> {
    if line.spans.len() < 2 {
        return vec![line];
    }
    let style = line.style;
    let mut spans = line.spans;
    let Some(body) = spans.pop() else {
        return Vec::new();
    };
    let indent: usize = spans.iter().map(Span::width).sum();
    let parts = textwrap::wrap(&body.content, width.saturating_sub(indent).max(20));
    let mut out = Vec::with_capacity(parts.len());
    for (i, part) in parts.into_iter().enumerate() {
        let text = Span::styled(part.into_owned(), body.style);
        if i == 0 {
            spans.push(text);
            out.push(Line::from(std::mem::take(&mut spans)).style(style));
        } else {
            out.push(Line::from(vec![Span::raw(" ".repeat(indent)), text]).style(style));
        }
    }
    out
}

/// A popup's "key   value" line: the key dimmed in a column of 24.
pub(crate) fn kv<'a>(app: &App, k: &'a str, v: impl Into<Span<'a>>) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{k:<24}"), app.theme.dim()),
        v.into(),
    ])
}
