//! 6 Buy button: offers that lost or won the buy button since each account's last sync, the
//! gap to the best offer and the suggested price (prices without VAT, each in its currency, as
//! eMAG's API has them; the price and the suggestion with VAT, as customers see them, next to
//! them on a wide screen and under the table for the selected offer), and its Smart Deals check.

use crate::price::{BuyboxEntry, Move, Suggestion};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::layout;
use crate::tui::tabs::buybox::SmartDealCheck;
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
    let wide = area.width >= 110;
    let filter = format!(
        " since the last sync · {} · prices without VAT{}",
        if b.losing_only {
            "lost only"
        } else {
            "lost and won"
        },
        if wide { ", +VAT with" } else { "" }
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
                let suggested_vat = match &e.suggestion {
                    Suggestion::Price { price } => money(e.with_vat(Some(*price))),
                    Suggestion::None { .. } => String::new(),
                };
                cells.insert(4, Cell::from(e.currency.clone().unwrap_or_default()));
                cells.insert(
                    6,
                    Cell::from(Line::from(money(e.with_vat(e.sale_price))).right_aligned()),
                );
                cells.insert(
                    9,
                    Cell::from(Line::from(rank(e.number_of_offers)).right_aligned()),
                );
                cells.push(Cell::from(Line::from(suggested_vat).right_aligned()));
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
                "+VAT",
                "Best",
                "Gap",
                "Sel",
                "Suggested",
                "+VAT",
                "Name",
            ],
            vec![
                Constraint::Length(9),
                Constraint::Length(8),
                Constraint::Length(6),
                Constraint::Length(4),
                Constraint::Length(3),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(13),
                Constraint::Length(3),
                Constraint::Length(10),
                Constraint::Length(9),
                Constraint::Min(8),
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

    // The selected offer in full: its name, its prices with VAT, the suggestion or why there is
    // none, and its Smart Deals check.
    if let Some(e) = b.selected_row() {
        let width = foot.width as usize - 2;
        let name = truncate(e.name.as_deref().unwrap_or(""), width);
        let key = |action| {
            app.keymap
                .effective_key(Context::Buybox, action)
                .map_or("its key".to_string(), |k| k.to_string())
        };
        let why = match &e.suggestion {
            Suggestion::Price { price } => format!(
                "suggested {} {} (best {} less the step): {} queues it, push from Changes",
                money(Some(*price)),
                e.currency.as_deref().unwrap_or(""),
                money(e.best_price),
                key(Action::QueueSuggestion)
            ),
            Suggestion::None { reason } => reason.clone(),
        };
        let smart = smart_deal_line(e, b.smart_deal(), &key(Action::SmartDeals));
        f.render_widget(
            Paragraph::new(vec![
                Line::from(format!(" {name}")),
                Line::styled(
                    format!(" {}", truncate(&vat_line(e), width)),
                    app.theme.dim(),
                ),
                Line::styled(format!(" {}", truncate(&why, width)), app.theme.dim()),
                match b.smart_deal() {
                    Some(SmartDealCheck::Failed(_)) => {
                        Line::styled(format!(" {}", truncate(&smart, width)), app.theme.error())
                    }
                    Some(SmartDealCheck::Done { .. }) => {
                        Line::from(format!(" {}", truncate(&smart, width)))
                    }
                    _ => Line::styled(format!(" {}", truncate(&smart, width)), app.theme.dim()),
                },
            ]),
            foot,
        );
    }
}

/// The selected offer's prices as customers see them, with VAT, labelled.
fn vat_line(e: &BuyboxEntry) -> String {
    let Some(rate) = e.vat_percent else {
        return "with VAT: the account's VAT rates are not known yet (vat/read)".into();
    };
    let mut parts = vec![format!("price {}", money(e.with_vat(e.sale_price)))];
    if e.best_price.is_some() {
        parts.push(format!("best {}", money(e.with_vat(e.best_price))));
    }
    if let Suggestion::Price { price } = &e.suggestion {
        parts.push(format!("suggested {}", money(e.with_vat(Some(*price)))));
    }
    format!(
        "with VAT {rate} %: {} {}",
        parts.join(" · "),
        e.currency.as_deref().unwrap_or("")
    )
}

/// The Smart Deals line: the target price and the distance to it, or how to ask for it.
fn smart_deal_line(e: &BuyboxEntry, check: Option<&SmartDealCheck>, key: &str) -> String {
    match check {
        None => format!("Smart Deals: {key} asks eMAG the price the badge needs"),
        Some(SmartDealCheck::Checking) => "Smart Deals: asking eMAG…".into(),
        Some(SmartDealCheck::Failed(why)) => format!("Smart Deals check failed: {why}"),
        Some(SmartDealCheck::Done { deal, .. }) => {
            let currency = deal
                .currency
                .clone()
                .or_else(|| e.currency.clone())
                .unwrap_or_default();
            let Some(target) = deal.target_price else {
                return "Smart Deals: eMAG gave no target price for this offer".into();
            };
            let vat = e
                .with_vat(Some(target))
                .map(|v| format!(" ({} with VAT)", money(Some(v))))
                .unwrap_or_default();
            let distance = match (deal.distance, deal.distance_percent) {
                (Some(d), _) if d <= Decimal::ZERO => "the price qualifies".to_string(),
                (Some(d), Some(p)) => format!("{} ({p} %) to come down", money(Some(d))),
                (Some(d), None) => format!("{} to come down", money(Some(d))),
                (None, _) => "distance unknown".to_string(),
            };
            format!(
                "Smart Deals: target {} {currency}{vat}; {distance}",
                money(Some(target))
            )
        }
    }
}
