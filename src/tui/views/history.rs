//! 4 History: runs newest first with their counts; Enter opens one.

use super::{duration, run_secs, status_span, when};
use crate::tui::app::{App, group};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

/// Body rows of the history table for a terminal height.
pub fn table_rows(height: u16) -> usize {
    height.saturating_sub(11).max(1) as usize
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    if app.summary.shown {
        return super::summary::draw(f, area, app);
    }
    let h = &app.history;
    let [bar, table] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
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
    let rows_h = table_rows(app.size.1);
    let offset = h.selected.saturating_sub(rows_h.saturating_sub(1));
    // Narrow screens drop the new/gone columns and shorten words; wide ones add the error.
    let rows = h
        .runs
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_h)
        .map(|(i, r)| {
            let c = &r.counts;
            let num = |n: i64| Cell::from(Line::from(group(n)).right_aligned());
            let mode = match (wide, r.mode) {
                (false, crate::model::SyncMode::Incremental) => "incr",
                (_, m) => m.as_str(),
            };
            let mut cells = vec![
                Cell::from(format!(
                    "{} {}",
                    if i == h.selected { "▶" } else { " " },
                    when(app, r.started_at)
                )),
                Cell::from(r.account.clone()),
                Cell::from(mode),
                Cell::from(r.trigger.as_str()),
                Cell::from(status_span(app, r.status)),
                Cell::from(Line::from(duration(run_secs(app, r))).right_aligned()),
                match r.count_shortfall() {
                    // Fewer offers than eMAG counted: flagged in the seen column itself.
                    Some(_) => {
                        Cell::from(Line::from(format!("{}!", group(c.offers_seen))).right_aligned())
                            .style(app.theme.warn())
                    }
                    None => Cell::from(Line::from(group(c.offers_seen)).right_aligned()),
                },
            ];
            if wide {
                cells.push(num(c.created));
            }
            cells.push(num(c.updated));
            if wide {
                cells.push(num(c.removed));
            }
            cells.push(if c.failed > 0 {
                num(c.failed).style(app.theme.error())
            } else {
                num(c.failed)
            });
            if wide {
                let note = match (&r.error_summary, r.count_shortfall()) {
                    (Some(e), _) => e.clone(),
                    // "saw 1 269/1 274": the column is what is left of a 120-column line.
                    (None, Some(_)) => format!(
                        "saw {}/{}",
                        group(c.offers_seen),
                        group(r.offers_expected.unwrap_or_default())
                    ),
                    (None, None) => String::new(),
                };
                cells.push(Cell::from(note).style(app.theme.dim()));
            }
            let row = Row::new(cells);
            if i == h.selected {
                row.style(app.theme.selected())
            } else {
                row
            }
        });
    let (widths, head): (Vec<Constraint>, Vec<&str>) = if wide {
        (
            vec![
                Constraint::Length(15),
                Constraint::Length(8),
                Constraint::Length(11),
                Constraint::Length(8),
                Constraint::Length(12),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Length(5),
                Constraint::Min(10),
            ],
            vec![
                "  started",
                "account",
                "mode",
                "trigger",
                "status",
                "time",
                "seen",
                "new",
                "upd",
                "gone",
                "fail",
                "error",
            ],
        )
    } else {
        (
            vec![
                Constraint::Length(14),
                Constraint::Length(7),
                Constraint::Length(5),
                Constraint::Length(8),
                Constraint::Length(12),
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Length(5),
                Constraint::Length(4),
            ],
            vec![
                "  started",
                "account",
                "mode",
                "trigger",
                "status",
                "time",
                "seen",
                "upd",
                "fail",
            ],
        )
    };
    let header = Row::new(head.into_iter().map(Cell::from)).style(app.theme.bold());
    f.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .column_spacing(1),
        table,
    );
}
