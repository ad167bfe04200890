//! 5 Changes: local edits newest first — pending, pushed with eMAG's answer, rejected,
//! conflicts (both values) — and the `e` edit form.

use super::{centered, when};
use crate::edits::{Edit, EditState};
use crate::tui::app::App;
use crate::tui::layout;
use crate::tui::tabs::FormField;
use crate::tui::tabs::changes::{EditField, EditForm};
use ratatui::Frame;
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table};

fn state_style(app: &App, s: EditState) -> Style {
    match s {
        EditState::Pending => app.theme.running(),
        EditState::Pushed => app.theme.ok(),
        EditState::Rejected => app.theme.error(),
        EditState::Conflict => app.theme.warn(),
        EditState::Discarded | EditState::Cancelled => app.theme.dim(),
    }
}

/// "sale_price 99.0000 (eMAG 120.0000)" — eMAG's side is the conflict's value or the base.
fn summary(e: &Edit) -> String {
    let remote = if e.state == EditState::Conflict {
        &e.remote
    } else {
        &e.base
    };
    e.fields()
        .iter()
        .map(|f| {
            format!(
                "{} {} (eMAG {})",
                f.name(),
                e.values.text(*f).unwrap_or_default(),
                remote.text(*f).unwrap_or_else(|| "none".into())
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let c = &app.changes;
    let [bar, table, detail] = layout::changes(area);
    // eMAG's answer of the selected edit in full: the table column is cut on narrow screens.
    if let Some(e) = app.selected_edit() {
        let text = format!(
            " offer {}: {}",
            e.offer_id,
            e.message.as_deref().unwrap_or("no answer yet")
        );
        f.render_widget(
            Paragraph::new(Line::styled(text, state_style(app, e.state))),
            detail,
        );
    }
    let count = |s: EditState| c.edits.iter().filter(|e| e.state == s).count();
    let line = format!(
        " {} pending   {} conflicts   {} rejected   {} pushed{}{}",
        count(EditState::Pending),
        count(EditState::Conflict),
        count(EditState::Rejected),
        count(EditState::Pushed),
        if c.marked.is_empty() {
            String::new()
        } else {
            format!("   {} marked", c.marked.len())
        },
        if c.pushing { "   pushing…" } else { "" }
    );
    f.render_widget(Paragraph::new(line).style(app.theme.dim()), bar);

    let block = Block::bordered().title(" Local edits ");
    if c.edits.is_empty() {
        let text = if c.loaded {
            "  no local edits — press e on a product (3) to edit its price, stock or status"
        } else {
            "  loading…"
        };
        f.render_widget(
            Paragraph::new(Line::styled(text, app.theme.dim())).block(block),
            table,
        );
        return;
    }
    let rows_h = layout::table_rows(table);
    let wide = area.width >= 110;
    let offset = c.selected.saturating_sub(rows_h.saturating_sub(1));
    // The time column fits its widest visible value ("2 Dec 14:05", "12 min ago"), never cut.
    let when_w = c
        .edits
        .iter()
        .skip(offset)
        .take(rows_h)
        .map(|e| when(app, e.updated_at).chars().count() as u16 + 3)
        .max()
        .unwrap_or(8);
    let rows = c
        .edits
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_h)
        .map(|(i, e)| {
            let row = Row::new(vec![
                Cell::from(format!(
                    "{}{} {}",
                    if i == c.selected { "▶" } else { " " },
                    if c.marked.contains(&e.id) { "●" } else { " " },
                    when(app, e.updated_at)
                )),
                Cell::from(e.account.clone()),
                Cell::from(Line::from(e.offer_id.to_string()).right_aligned()),
                Cell::from(Span::styled(e.state.as_str(), state_style(app, e.state))),
                Cell::from(summary(e)),
                Cell::from(e.message.clone().unwrap_or_default()),
            ]);
            if i == c.selected {
                row.style(app.theme.selected())
            } else {
                row
            }
        });
    let widths = [
        Constraint::Length(when_w),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Percentage(if wide { 40 } else { 55 }),
        Constraint::Fill(1),
    ];
    let header = Row::new([
        "  when",
        "account",
        "offer",
        "state",
        "edit (eMAG)",
        "answer",
    ])
    .style(app.theme.bold());
    f.render_widget(Table::new(rows, widths).header(header).block(block), table);
}

/// The `e` form on a product.
pub fn form(f: &mut Frame, area: Rect, app: &App, form: &EditForm) {
    let r = centered(area, 66, 11);
    f.render_widget(Clear, r);
    let status = form
        .status
        .map_or("unchanged".into(), crate::model::OfferStatus::word);
    let mut lines = Vec::new();
    for field in EditField::ALL {
        let (label, focused) = (field.label(), field == form.focus);
        let value = match form.input(field) {
            Some(input) => input.value().to_string(),
            None => format!("‹ {status} ›"),
        };
        let style = if focused {
            app.theme.selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::raw(if focused { " ▶ " } else { "   " }),
            Span::raw(format!("{label:<20}")),
            Span::styled(format!(" {value:<24}"), style),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(match &form.error {
        Some(e) => Line::styled(format!(" {e}"), app.theme.error()),
        None => Line::styled(
            " ↑↓ field  type values  ←→ status  Enter queue  Esc cancel",
            app.theme.dim(),
        ),
    });
    let mut title: String = form.name.chars().take(30).collect();
    if form.name.chars().count() > 30 {
        title.push('…');
    }
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered().title(format!(" Edit {} · {} · {title} ", form.account, form.id)),
        ),
        r,
    );
    if let Some(input) = form.input(form.focus) {
        let x = r.x + 1 + 3 + 20 + 1 + input.visual_cursor() as u16;
        f.set_cursor_position(Position::new(x, r.y + 1 + form.focus.row()));
    }
}
