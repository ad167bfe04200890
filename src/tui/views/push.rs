//! The push preview (each offer's account, id, product, part number and fields old → new,
//! with y/Enter and n/Esc written in it) and the bulk edit form.

use super::centered;
use crate::tui::app::App;
use crate::tui::tabs::FormField;
use crate::tui::tabs::changes::PreviewPopup;
use crate::tui::tabs::products::{BulkField, BulkForm};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn preview(f: &mut Frame, area: Rect, app: &App, p: &PreviewPopup) {
    let r = centered(area, 100, area.height.saturating_sub(4).max(10));
    f.render_widget(Clear, r);
    let mut lines: Vec<Line> = Vec::new();
    for i in &p.preview.items {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} · offer {}", i.account, i.offer_id),
                app.theme.bold(),
            ),
            Span::raw(format!(
                " · {} · {}",
                i.name.as_deref().unwrap_or("(no name)"),
                i.part_number.as_deref().unwrap_or("(no part number)")
            )),
        ]));
        for c in &i.changes {
            lines.push(Line::from(vec![
                Span::styled(format!("    {:<18} ", c.field), app.theme.dim()),
                Span::raw(c.old.clone().unwrap_or_else(|| "none".into())),
                Span::styled(" → ", app.theme.dim()),
                Span::styled(
                    c.new.clone().unwrap_or_else(|| "none".into()),
                    app.theme.accent(),
                ),
            ]));
        }
        if let Some(by) = &i.queued_by {
            lines.push(Line::styled(format!("    queued by {by}"), app.theme.dim()));
        }
        if let Some(n) = &i.note {
            lines.push(Line::styled(format!("    ({n})"), app.theme.warn()));
        }
    }
    // The question and its keys stay visible below the scrolling list.
    let inner_h = r.height.saturating_sub(2);
    let footer_h = 3u16.min(inner_h);
    let list = Rect::new(
        r.x + 1,
        r.y + 1,
        r.width.saturating_sub(2),
        inner_h - footer_h,
    );
    let foot = Rect::new(r.x + 1, list.bottom(), list.width, footer_h);
    f.render_widget(
        Block::bordered()
            .title(format!(" Push {} to eMAG? ", p.preview.summary()))
            .border_style(app.theme.warn()),
        r,
    );
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((p.scroll, 0)),
        list,
    );
    let question = if p.over_limit {
        Line::styled(
            format!(
                "More than {} offers ([push] max_offers): mark fewer edits, or push from the command line with --max-offers.",
                app.push_max_offers
            ),
            app.theme.error(),
        )
    } else {
        Line::raw("Send these values to eMAG now? Live prices and stock change.")
    };
    f.render_widget(
        Paragraph::new(vec![
            question,
            Line::from(vec![
                Span::styled("y/Enter", app.theme.accent()),
                Span::raw(" push   "),
                Span::styled("n/Esc", app.theme.accent()),
                Span::raw(" keep pending   "),
                Span::styled("↑↓", app.theme.accent()),
                Span::raw(" scroll"),
            ]),
        ])
        .wrap(Wrap { trim: true }),
        foot,
    );
}

pub fn bulk_form(f: &mut Frame, area: Rect, app: &App, form: &BulkForm) {
    let r = centered(area, 66, 10);
    f.render_widget(Clear, r);
    let mut lines = Vec::new();
    for field in BulkField::ALL {
        let (label, focused) = (field.label(), field == form.focus);
        let value = match field {
            BulkField::PriceMode => format!("‹ {} ›", form.mode.label()),
            BulkField::Amount => form.value.value().to_string(),
            BulkField::Stock => form.stock.value().to_string(),
            BulkField::Clamp => format!("‹ {} ›", if form.clamp { "yes" } else { "no" }),
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
            " ↑↓ field  ←→ choose  Enter queue  Esc cancel",
            app.theme.dim(),
        ),
    });
    let n = form.targets.len();
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(
                " Bulk edit of {n} offer{} ",
                if n == 1 { "" } else { "s" }
            ))),
        r,
    );
    if let Some(input) = form.input(form.focus) {
        let x = r.x + 1 + 3 + 20 + 1 + input.visual_cursor() as u16;
        f.set_cursor_position(Position::new(x, r.y + 1 + form.focus.row()));
    }
}

/// The `:` palette: the typed line, what it would complete to, and why it failed if it did.
pub fn palette(f: &mut Frame, area: Rect, app: &App, p: &crate::tui::palette::Palette) {
    let r = centered(area, 64, 10);
    f.render_widget(Clear, r);
    let mut lines = vec![Line::from(vec![
        Span::styled(":", app.theme.accent()),
        Span::raw(p.input.value().to_string()),
    ])];
    match &p.error {
        Some(e) => lines.push(Line::styled(e.clone(), app.theme.error())),
        None => {
            let found = crate::tui::palette::matches(app, p.input.value());
            let room = r.height.saturating_sub(4) as usize;
            for c in found.iter().take(room) {
                lines.push(Line::styled(format!("  {c}"), app.theme.dim()));
            }
            if found.len() > room {
                lines.push(Line::styled(
                    format!("  … {} more", found.len() - room),
                    app.theme.dim(),
                ));
            }
        }
    }
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(" Command · Tab completes · Enter runs · Esc closes ")
                .border_style(app.theme.accent()),
        ),
        r,
    );
    let x = r.x + 2 + p.input.visual_cursor() as u16;
    f.set_cursor_position(Position::new(x.min(r.right().saturating_sub(2)), r.y + 1));
}
