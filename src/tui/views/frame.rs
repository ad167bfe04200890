//! The frame around every tab: header, summary cards, tab bar, status line with toasts.

use super::{clock, when, when_short};
use crate::model::{RunStatus, SyncRun};
use crate::tui::app::{App, Tab, group};
use crate::tui::keymap::Action;
use crate::tui::theme::status_glyph;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Display columns (ratatui's own measure, so fitting agrees with drawing).
fn cols(s: &str) -> usize {
    Span::raw(s).width()
}

/// An account's health: the running run, else the newest of last run and last test.
pub(crate) fn account_state(app: &App, account: &str) -> Option<RunStatus> {
    if app.running_of(account).is_some() {
        return Some(RunStatus::Running);
    }
    let run = app.stats_of(account).and_then(|s| s.last_run.as_ref());
    let test = app.tests.get(account);
    match (run, test) {
        (Some(r), Some(t)) if t.at > r.finished_at.unwrap_or(r.started_at) => Some(if t.ok {
            RunStatus::Completed
        } else {
            RunStatus::Failed
        }),
        (Some(r), _) => Some(r.status),
        (None, Some(t)) => Some(if t.ok {
            RunStatus::Completed
        } else {
            RunStatus::Failed
        }),
        (None, None) => None,
    }
}

pub(crate) fn dot(app: &App, state: Option<RunStatus>) -> Span<'static> {
    match state {
        None => Span::styled("○", app.theme.dim()),
        Some(s) if app.theme.color => Span::styled("●", app.theme.status(s)),
        Some(s) => Span::raw(status_glyph(s)),
    }
}

pub fn header(f: &mut Frame, area: Rect, app: &App) {
    let mut left = vec![
        Span::styled(" magsync", app.theme.accent()),
        Span::styled(" · ", app.theme.dim()),
        Span::raw(app.store_url.clone()),
    ];
    let mut right: Vec<Span> = Vec::new();
    // Runs that ended badly stay announced here until the `e` list is opened.
    if let Some(last) = app.alerts.last() {
        let key = app
            .keymap
            .effective_key(app.tab.context(), Action::Errors)
            .map(|k| format!(" · {k}"))
            .unwrap_or_default();
        let text = match app.alerts.len() {
            1 => format!("⚠ run {} {}{key}", last.run_id, last.status.as_str()),
            n => format!("⚠ {n} runs ended badly{key}"),
        };
        right.push(Span::styled(
            text,
            app.theme
                .error()
                .add_modifier(ratatui::style::Modifier::REVERSED),
        ));
        right.push(Span::raw("  "));
    }
    for a in &app.accounts {
        right.push(dot(app, account_state(app, &a.name)));
        match super::health::tag(app, &a.name) {
            Some(tag) => right.extend([Span::raw(format!(" {} ", a.name)), tag, Span::raw("  ")]),
            None => right.push(Span::raw(format!(" {}  ", a.name))),
        }
    }
    let n = app.dashboard.running.len();
    if n > 0 {
        right.push(Span::styled(format!("⟳ {n} running"), app.theme.running()));
    } else {
        right.push(Span::styled("idle", app.theme.dim()));
    }
    right.push(Span::raw(format!("   {} ", clock(app, app.now))));
    let right_width: usize = right.iter().map(|s| s.width()).sum();
    // The URL gives way to the accounts and clock on a narrow screen.
    let room = (area.width as usize).saturating_sub(right_width + 12);
    left[2] = Span::raw(super::truncate(&app.store_url, room));
    let [l, r] = Layout::horizontal([Constraint::Min(1), Constraint::Length(right_width as u16)])
        .areas(area);
    f.render_widget(Paragraph::new(Line::from(left)), l);
    f.render_widget(Paragraph::new(Line::from(right)), r);
}

/// "incremental" where there is room, "inc" on an 80-column card.
fn mode_word(r: &SyncRun, narrow: bool) -> &'static str {
    match (narrow, r.mode) {
        (true, crate::model::SyncMode::Incremental) => "inc",
        (_, m) => m.as_str(),
    }
}

/// A card's last-run line, the longest wording that fits `room` columns: "last ✓ 3 h ago
/// full", "✓ inc 57 min ago", "✓ inc 2 Dec".
fn last_line(app: &App, run: Option<&SyncRun>, narrow: bool, room: usize) -> Line<'static> {
    let Some(r) = run else {
        return Line::styled("never synced", app.theme.dim());
    };
    let running = r.status == RunStatus::Running;
    let t = if running {
        r.started_at
    } else {
        r.finished_at.unwrap_or(r.started_at)
    };
    let (long, short) = (when(app, t), when_short(app, t));
    let mode = mode_word(r, narrow);
    let inc = mode_word(r, true);
    // A running run is not a "last" sync: say since when it runs.
    let words = if running {
        [
            format!(" since {long} {mode}"),
            format!(" {inc} {long}"),
            format!(" {inc} {short}"),
        ]
    } else {
        [
            format!(" {long} {mode}"),
            format!(" {inc} {long}"),
            format!(" {inc} {short}"),
        ]
    };
    let (glyph, style) = if running {
        ("⟳", app.theme.running())
    } else {
        (status_glyph(r.status), app.theme.status(r.status))
    };
    let prefix = if running { "" } else { "last " };
    if cols(prefix) + cols(glyph) + cols(&words[0]) <= room {
        return Line::from(vec![
            Span::raw(prefix),
            Span::styled(glyph, style),
            Span::raw(words[0].clone()),
        ]);
    }
    let text = words[1..]
        .iter()
        .find(|w| cols(glyph) + cols(w) <= room)
        .unwrap_or(&words[2])
        .clone();
    Line::from(vec![Span::styled(glyph, style), Span::raw(text)])
}

/// What follows an account's offer count on its card: the active count when it fits whole,
/// else the active share, never a cut number.
fn active_text(
    offers_text: &str,
    active_text: &str,
    offers: i64,
    active: i64,
    narrow: bool,
    room: usize,
) -> String {
    let full = if narrow {
        format!(" · {active_text} act")
    } else {
        format!("  ({active_text} active)")
    };
    if cols(offers_text) + cols(&full) <= room || offers <= 0 {
        return full;
    }
    let pct = active * 100 / offers;
    [format!(" · {pct} % act"), format!(" · {pct} %")]
        .into_iter()
        .find(|s| cols(offers_text) + cols(s) <= room)
        .unwrap_or_default()
}

pub fn cards(f: &mut Frame, area: Rect, app: &App) {
    // Offers, up to two account cards (more accounts share the header dots), and Sync.
    let shown: Vec<_> = app.accounts.iter().take(2).collect();
    let mut constraints = vec![Constraint::Ratio(1, 4)];
    constraints.extend(shown.iter().map(|_| Constraint::Ratio(1, 4)));
    constraints.push(Constraint::Min(20));
    let areas = Layout::horizontal(constraints).split(area);
    let narrow = areas[0].width < 26;
    let card = |title: String| {
        Block::bordered()
            .title(format!(" {title} "))
            .padding(ratatui::widgets::Padding::left(1))
    };

    let total: i64 = app.dashboard.stats.iter().map(|s| s.counts.offers).sum();
    let active: i64 = app.dashboard.stats.iter().map(|s| s.counts.active).sum();
    let loading = !app.loaded;
    let num = |n: i64| if loading { "…".to_string() } else { group(n) };
    f.render_widget(
        Paragraph::new(vec![
            Line::styled(num(total), app.theme.bold()),
            Line::raw(format!("{} active", num(active))),
        ])
        .block(card("Offers".into())),
        areas[0],
    );
    for (i, a) in shown.iter().enumerate() {
        let stats = app.stats_of(&a.name);
        let counts = stats.map(|s| s.counts.clone()).unwrap_or_default();
        f.render_widget(
            Paragraph::new(vec![
                Line::from(vec![
                    Span::styled(num(counts.offers), app.theme.bold()),
                    Span::raw(active_text(
                        &num(counts.offers),
                        &num(counts.active),
                        counts.offers,
                        counts.active,
                        narrow,
                        areas[i + 1].width.saturating_sub(3) as usize,
                    )),
                ]),
                last_line(
                    app,
                    stats.and_then(|s| s.last_run.as_ref()),
                    narrow,
                    areas[i + 1].width.saturating_sub(3) as usize,
                ),
            ])
            .block(card(a.name.clone())),
            areas[i + 1],
        );
    }
    let running = &app.dashboard.running;
    let first = match running.first() {
        Some(r) => {
            let pct = match r.counts.pages_total {
                Some(t) if t > 0 => format!("  {} %", (r.counts.pages_done * 100 / t).min(100)),
                _ => String::new(),
            };
            let more = if running.len() > 1 {
                format!(" +{}", running.len() - 1)
            } else {
                String::new()
            };
            Line::from(vec![
                Span::styled("⟳ ", app.theme.running()),
                Span::raw(format!("{} {}{pct}{more}", r.account, mode_word(r, narrow))),
            ])
        }
        None => Line::styled("idle", app.theme.dim()),
    };
    let last = app
        .dashboard
        .stats
        .iter()
        .filter_map(|s| s.last_run.as_ref())
        .filter(|r| r.status.is_finished())
        .max_by_key(|r| r.finished_at);
    // Until a first run ends there is no last sync, but "never synced" would deny the one
    // running above it.
    let last = match (last, running.is_empty()) {
        (None, false) => Line::styled(
            if narrow {
                "1st sync running"
            } else {
                "first sync running"
            },
            app.theme.dim(),
        ),
        (last, _) => last_line(
            app,
            last,
            narrow,
            areas[areas.len() - 1].width.saturating_sub(3) as usize,
        ),
    };
    f.render_widget(
        Paragraph::new(vec![first, last]).block(card("Sync".into())),
        areas[areas.len() - 1],
    );
}

pub fn tabs(f: &mut Frame, area: Rect, app: &App) {
    let mut spans = vec![Span::raw(" ")];
    // A narrow screen names only the open tab; the others keep their number key.
    let narrow = area.width < 80;
    for (i, t) in Tab::ALL.iter().enumerate() {
        let label = if narrow && *t != app.tab {
            format!(" {} ", i + 1)
        } else {
            format!(" {} {} ", i + 1, t.title())
        };
        spans.push(if *t == app.tab {
            Span::styled(label, app.theme.selected())
        } else {
            Span::raw(label)
        });
        spans.push(Span::raw(" "));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Which hints fit in `room` columns next to the toast: tab hints go first, from the last
/// (the keymap lists them most important first), then global ones, so `? help` stays longest.
fn fit_hints(hints: &[(String, &'static str, bool)], room: usize) -> Vec<usize> {
    let w = |i: usize| cols(&hints[i].0) + 1 + cols(hints[i].1) + 2;
    let mut keep: Vec<usize> = (0..hints.len()).collect();
    let mut used = 1 + keep.iter().map(|&i| w(i)).sum::<usize>();
    while used > room && !keep.is_empty() {
        let drop = keep
            .iter()
            .rposition(|&i| !hints[i].2)
            .unwrap_or(keep.len() - 1);
        used -= w(keep.remove(drop));
    }
    keep
}

pub fn status_line(f: &mut Frame, area: Rect, app: &App) {
    let ctx = app.tab.context();
    let hints = if app.products.typing && app.tab == Tab::Products {
        vec![
            ("type".to_string(), "to search", true),
            ("Enter".into(), "keep", true),
            ("Esc".into(), "clear", true),
        ]
    } else if !app.popups.is_empty() {
        vec![("Esc".to_string(), "close", true)]
    } else {
        app.keymap.hints(ctx)
    };
    let right = match &app.toast {
        Some(t) => Some((
            t.text.clone(),
            if t.error {
                app.theme.error()
            } else {
                Style::default()
            },
        )),
        None if !app.errors.is_empty() => {
            let n = app.errors.len();
            // Only name a key that opens the list here (Products binds `e` to edit).
            let key = app
                .keymap
                .effective_key(ctx, Action::Errors)
                .map(|k| format!(" ({k})"))
                .unwrap_or_default();
            Some((
                format!("{n} error{}{key}", if n == 1 { "" } else { "s" }),
                app.theme.error(),
            ))
        }
        None => None,
    };
    let width = area.width as usize;
    // The toast gets its room first, but leaves the first global hint (help) reachable.
    let reserve = hints
        .iter()
        .find(|h| h.2)
        .map(|h| 1 + cols(&h.0) + 1 + cols(h.1) + 2)
        .unwrap_or(1);
    let right = right.map(|(text, style)| {
        let text = super::truncate(&text, width.saturating_sub(reserve + 1));
        (format!("{text} "), style)
    });
    let rw = right.as_ref().map(|(t, _)| cols(t)).unwrap_or(0);
    let mut spans = vec![Span::raw(" ")];
    for i in fit_hints(&hints, width.saturating_sub(rw)) {
        let (k, label, _) = &hints[i];
        spans.push(Span::styled(k.clone(), app.theme.accent()));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
    if let Some((text, style)) = right {
        let r = Rect {
            x: area.x + area.width.saturating_sub(rw as u16),
            width: (rw as u16).min(area.width),
            ..area
        };
        f.render_widget(Paragraph::new(Line::styled(text, style)), r);
    }
}
