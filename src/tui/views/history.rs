//! 4 History: runs newest first with their counts; Enter opens one.

use super::{duration, run_secs, status_span, when};
use crate::tui::app::{App, group};
use crate::tui::layout;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    if app.summary.shown {
        return super::summary::draw(f, area, app);
    }
    let h = &app.history;
    let [bar, table] = layout::bar_over_table(area);
    let filters = format!(
        " status: {}   account: {}   since: {}",
        h.filter_status.map(|s| s.as_str()).unwrap_or("all"),
        h.filter_account.as_deref().unwrap_or("all"),
        match h.filter_since_days {
            None => "all".to_string(),
            Some(1) => "1 day".to_string(),
            Some(d) => format!("{d} days"),
        },
    );
    let n = h.runs.len();
    let count = format!("{} run{} ", group(n as i64), if n == 1 { "" } else { "s" });
    let [l, r] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(count.len() as u16)]).areas(bar);
    f.render_widget(Paragraph::new(filters).style(app.theme.dim()), l);
    f.render_widget(Paragraph::new(count).style(app.theme.dim()), r);

    let block = Block::bordered().title(" Runs ");
    if h.runs.is_empty() {
        let filtered = h.filter_status.is_some()
            || h.filter_account.is_some()
            || h.filter_since_days.is_some();
        let text = if h.loaded && filtered {
            "  no runs match these filters"
        } else if h.loaded {
            "  no runs yet — start one from the Sync tab (2, then i)"
        } else {
            "  loading…"
        };
        f.render_widget(
            Paragraph::new(Line::styled(text, app.theme.dim())).block(block),
            table,
        );
        return;
    }
    let wide = area.width >= 110;
    let rows_h = layout::table_rows(table);
    let offset = h.selected.saturating_sub(rows_h.saturating_sub(1));
    let visible: Vec<(usize, &crate::model::SyncRun)> = h
        .runs
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_h)
        .collect();
    // Every column is as wide as its widest visible value, so no number or time is cut; on a
    // narrow screen whole columns give way, least useful first (the error text, new, gone,
    // trigger, failed), never part of a value.
    struct Col {
        head: &'static str,
        cells: Vec<(String, Option<ratatui::style::Style>)>,
        right: bool,
        /// Lower goes first when the screen is too narrow; 0 never goes.
        keep: u8,
    }
    let num =
        |f: fn(&crate::model::RunCounts) -> i64| -> Vec<(String, Option<ratatui::style::Style>)> {
            visible
                .iter()
                .map(|(_, r)| (group(f(&r.counts)), None))
                .collect()
        };
    let mut cols = vec![
        Col {
            head: "  started",
            cells: visible
                .iter()
                .map(|(i, r)| {
                    let mark = if *i == h.selected { "▶" } else { " " };
                    (format!("{mark} {}", when(app, r.started_at)), None)
                })
                .collect(),
            right: false,
            keep: 0,
        },
        Col {
            head: "#",
            cells: visible
                .iter()
                .map(|(_, r)| (r.id.to_string(), None))
                .collect(),
            right: true,
            keep: 0,
        },
        Col {
            head: "account",
            cells: visible
                .iter()
                .map(|(_, r)| (r.account.clone(), None))
                .collect(),
            right: false,
            keep: 0,
        },
        Col {
            head: "mode",
            cells: visible
                .iter()
                .map(|(_, r)| {
                    let m = match (wide, r.mode) {
                        (false, crate::model::SyncMode::Incremental) => "incr",
                        (_, m) => m.as_str(),
                    };
                    (m.to_string(), None)
                })
                .collect(),
            right: false,
            keep: 6,
        },
        Col {
            head: "trigger",
            cells: visible
                .iter()
                .map(|(_, r)| (r.trigger.as_str().to_string(), None))
                .collect(),
            right: false,
            keep: 3,
        },
        Col {
            head: "status",
            cells: visible
                .iter()
                .map(|(_, r)| {
                    let s = status_span(app, r.status);
                    (s.content.to_string(), Some(s.style))
                })
                .collect(),
            right: false,
            keep: 0,
        },
        Col {
            head: "time",
            cells: visible
                .iter()
                .map(|(_, r)| (duration(run_secs(app, r)), None))
                .collect(),
            right: true,
            keep: 5,
        },
        Col {
            head: "seen",
            // Fewer offers than eMAG counted: flagged in the seen column itself.
            cells: visible
                .iter()
                .map(|(_, r)| match r.count_shortfall() {
                    Some(_) => (
                        format!("{}!", group(r.counts.offers_seen)),
                        Some(app.theme.warn()),
                    ),
                    None => (group(r.counts.offers_seen), None),
                })
                .collect(),
            right: true,
            keep: 0,
        },
        Col {
            head: "new",
            cells: num(|c| c.created),
            right: true,
            keep: 2,
        },
        Col {
            head: "upd",
            cells: num(|c| c.updated),
            right: true,
            keep: 7,
        },
        Col {
            head: "gone",
            cells: num(|c| c.removed),
            right: true,
            keep: 2,
        },
        Col {
            head: "fail",
            cells: visible
                .iter()
                .map(|(_, r)| {
                    let style = (r.counts.failed > 0).then(|| app.theme.error());
                    (group(r.counts.failed), style)
                })
                .collect(),
            right: true,
            keep: 4,
        },
        Col {
            head: "error",
            cells: visible
                .iter()
                .map(|(_, r)| {
                    let note = match (&r.error_summary, r.count_shortfall()) {
                        (Some(e), _) => e.clone(),
                        (None, Some(_)) => format!(
                            "saw {}/{}",
                            group(r.counts.offers_seen),
                            group(r.offers_expected.unwrap_or_default())
                        ),
                        (None, None) => String::new(),
                    };
                    (note, Some(app.theme.dim()))
                })
                .collect(),
            right: false,
            keep: 1,
        },
    ];
    let width_of = |c: &Col| -> u16 {
        c.cells
            .iter()
            .map(|(t, _)| t.chars().count())
            .max()
            .unwrap_or(0)
            .max(c.head.chars().count()) as u16
    };
    let inner = table.width.saturating_sub(2);
    // The error column takes what is left, so it only needs a little room to stay.
    let need = |cols: &[Col]| -> u16 {
        cols.iter()
            .map(|c| if c.head == "error" { 10 } else { width_of(c) })
            .sum::<u16>()
            + cols.len().saturating_sub(1) as u16
    };
    while need(&cols) > inner {
        let Some(drop) = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.keep > 0)
            .min_by_key(|(_, c)| c.keep)
            .map(|(i, _)| i)
        else {
            break;
        };
        cols.remove(drop);
    }
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| {
            if c.head == "error" {
                Constraint::Min(10)
            } else {
                Constraint::Length(width_of(c))
            }
        })
        .collect();
    let rows = visible.iter().enumerate().map(|(row, (i, _))| {
        let cells: Vec<Cell> = cols
            .iter()
            .map(|c| {
                let (text, style) = c.cells[row].clone();
                let line = if c.right {
                    Line::from(text).right_aligned()
                } else {
                    Line::from(text)
                };
                match style {
                    Some(s) => Cell::from(line).style(s),
                    None => Cell::from(line),
                }
            })
            .collect();
        let r = Row::new(cells);
        if *i == h.selected {
            r.style(app.theme.selected())
        } else {
            r
        }
    });
    let head: Vec<&str> = cols.iter().map(|c| c.head).collect();
    let header = Row::new(head.into_iter().map(Cell::from)).style(app.theme.bold());
    f.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .column_spacing(1),
        table,
    );
}
