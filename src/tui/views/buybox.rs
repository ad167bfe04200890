//! 6 Buy button: offers that lost or won the buy button since each account's last sync, the
//! gap to the best offer and the suggested price (prices without VAT, each in its currency).

use crate::price::{Move, Suggestion};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::layout;
use crate::tui::views::truncate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use rust_decimal::Decimal;

fn money(d: Option<Decimal>) -> String {
    d.map(crate::price::money::show)
        .unwrap_or_else(|| "—".into())
}

fn rank(r: Option<i32>) -> String {
    r.map_or("—".into(), |r| r.to_string())
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let b = &app.buybox;
    let [bar, table, foot] = layout::buybox(area);
    let lost = b.rows.iter().filter(|r| r.movement == Move::Lost).count();
    let won = b.rows.len() - lost;
    let filter = format!(
        " since the last sync · {} · without VAT",
        if b.losing_only {
            "lost only"
        } else {
            "lost and won"
        }
    );
    let count = format!("{lost} lost · {won} won ");
    let [l, r] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(count.len() as u16)]).areas(bar);
    f.render_widget(Paragraph::new(filter).style(app.theme.dim()), l);
    f.render_widget(Paragraph::new(count).style(app.theme.dim()), r);

    let block = Block::bordered().title(" Buy button ");
    if b.rows.is_empty() {
        let text = if b.loaded {
            "  no offer lost or won the buy button in the last sync — sync again to compare"
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
    let offset = b.selected.saturating_sub(rows_h.saturating_sub(1));
    let rows = b
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_h)
        .map(|(i, e)| {
            let (what, style) = match e.movement {
                Move::Lost => ("lost", app.theme.error()),
                Move::Won => ("won", app.theme.ok()),
            };
            let gap = match (e.gap, e.gap_percent) {
                (Some(g), Some(p)) => format!("{} {p}%", money(Some(g))),
                (g, _) => money(g),
            };
            let suggested = match &e.suggestion {
                Suggestion::Price { price } => {
                    Span::styled(money(Some(*price)), app.theme.accent())
                }
                Suggestion::None { .. } if e.movement == Move::Won => Span::raw("—"),
                Suggestion::None { .. } => Span::styled("cannot win", app.theme.warn()),
            };
            let mut cells = vec![
                Cell::from(format!(
                    "{} {}",
                    if i == b.selected { "▶" } else { " " },
                    e.account
                )),
                Cell::from(Line::from(e.id.to_string()).right_aligned()),
                Cell::from(Span::styled(what, style)),
                Cell::from(format!("{}→{}", rank(e.rank_before), rank(e.rank))),
                Cell::from(Line::from(money(e.sale_price)).right_aligned()),
                Cell::from(Line::from(money(e.best_price)).right_aligned()),
                Cell::from(Line::from(gap).right_aligned()),
                Cell::from(Line::from(suggested).right_aligned()),
            ];
            if wide {
                cells.insert(4, Cell::from(e.currency.clone().unwrap_or_default()));
                cells.insert(
                    8,
                    Cell::from(Line::from(rank(e.number_of_offers)).right_aligned()),
                );
                cells.push(Cell::from(e.name.clone().unwrap_or_default()));
            }
            let row = Row::new(cells);
            if i == b.selected {
                row.style(app.theme.selected())
            } else {
                row
            }
        });
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec![
                "  Account",
                "Id",
                "Change",
                "Rank",
                "Cur",
                "Price",
                "Best",
                "Gap",
                "Sellers",
                "Suggested",
                "Name",
            ],
            vec![
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(6),
                Constraint::Length(5),
                Constraint::Length(4),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(14),
                Constraint::Length(7),
                Constraint::Length(10),
                Constraint::Min(10),
            ],
        )
    } else {
        (
            vec![
                "  Account",
                "Id",
                "Change",
                "Rank",
                "Price",
                "Best",
                "Gap",
                "Suggested",
            ],
            vec![
                Constraint::Length(9),
                Constraint::Length(7),
                Constraint::Length(6),
                Constraint::Length(4),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(14),
                Constraint::Min(10),
            ],
        )
    };
    let table_widget = Table::new(rows, widths)
        .header(Row::new(header).style(app.theme.bold()))
        .block(block);
    f.render_widget(table_widget, table);

    // The selected offer in full: its name, and the suggestion or why there is none.
    if let Some(e) = b.selected_row() {
        let name = truncate(e.name.as_deref().unwrap_or(""), foot.width as usize - 2);
        let key = app
            .keymap
            .effective_key(Context::Buybox, Action::QueueSuggestion)
            .map_or("the queue key".to_string(), |k| k.to_string());
        let why = match &e.suggestion {
            Suggestion::Price { price } => format!(
                "suggested {} {} (best {} less the step): {key} queues it, push from Changes",
                money(Some(*price)),
                e.currency.as_deref().unwrap_or(""),
                money(e.best_price)
            ),
            Suggestion::None { reason } => reason.clone(),
        };
        f.render_widget(
            Paragraph::new(vec![
                Line::from(format!(" {name}")),
                Line::styled(
                    format!(" {}", truncate(&why, foot.width as usize - 2)),
                    app.theme.dim(),
                ),
            ]),
            foot,
        );
    }
}
