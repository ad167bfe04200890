//! 3 Products: search box, filters, sort and the keyset-paged table.

use super::truncate;
use crate::model::search::{SortKey, StatusFilter, StockFilter};
use crate::model::{OfferStatus, state_word};
use crate::tui::app::{App, group, products_sort_keys};
use crate::tui::layout;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let p = &app.products;
    let [bar, table] = layout::bar_over_table(area);
    let rows_h = layout::table_rows(table);

    // Search box and filters on one line.
    let q = &p.query;
    let status = match q.status {
        None => "any",
        Some(StatusFilter::Active) => "active",
        Some(StatusFilter::Inactive) => "inactive",
        Some(StatusFilter::Eol) => "end of life",
        Some(StatusFilter::Missing) => "missing",
    };
    let stock = match q.stock {
        None => "any",
        Some(StockFilter::Zero) => "zero",
        Some(StockFilter::Low) => "low",
    };
    let count = match (p.total, p.rows.len()) {
        (_, 0) if p.loading => "searching…".to_string(),
        (Some(t), n) => format!(
            "{}–{} of {}",
            // The visible window, not the cursor: moving down does not change what is shown.
            if n == 0 { 0 } else { p.offset + 1 },
            (p.offset + rows_h).min(n),
            group(t)
        ),
        (None, n) => format!("{} of ~", group(n as i64)),
    };
    let arrow = if q.descending { "↓" } else { "↑" };
    let sort = format!("{} {arrow}", q.sort.as_str());
    // 80 columns keep the search box usable by naming only the filters that are set: the
    // values (an account name, a status word, "stock low") cannot be mistaken for each other.
    let filters = if area.width >= 110 {
        let account = q.account.as_deref().unwrap_or("all");
        format!("account: {account}  status: {status}  stock: {stock}  sort: {sort}  {count} ")
    } else {
        let mut parts: Vec<String> = Vec::new();
        if let Some(a) = &q.account {
            parts.push(format!("account {a}"));
        }
        if q.status.is_some() {
            parts.push(status.to_string());
        }
        if q.stock.is_some() {
            parts.push(format!("stock {stock}"));
        }
        parts.push(sort);
        parts.push(count);
        format!("{} ", parts.join(" · "))
    };
    let fw = filters.chars().count() as u16;
    let [sa, fa] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(fw.min(bar.width))]).areas(bar);
    let input_w = sa.width.saturating_sub(4) as usize;
    let scroll = p.input.visual_scroll(input_w);
    let shown: String = p.input.value().chars().skip(scroll).take(input_w).collect();
    let prompt_style = if p.typing {
        app.theme.accent()
    } else {
        app.theme.dim()
    };
    let search = if shown.is_empty() && !p.typing {
        Line::from(vec![
            Span::styled(" / ", prompt_style),
            Span::styled("search name, code, EAN, id", app.theme.dim()),
        ])
    } else {
        Line::from(vec![Span::styled(" / ", prompt_style), Span::raw(shown)])
    };
    f.render_widget(Paragraph::new(search), sa);
    f.render_widget(Paragraph::new(filters).style(app.theme.dim()), fa);
    if p.typing {
        let x = sa.x + 3 + (p.input.visual_cursor().saturating_sub(scroll)) as u16;
        f.set_cursor_position(Position::new(x.min(sa.right().saturating_sub(1)), sa.y));
    }

    let wide = area.width >= 110;
    let h = rows_h;
    let visible: Vec<(usize, &crate::store::search::ProductRow)> =
        p.rows.iter().enumerate().skip(p.offset).take(h).collect();
    // Money exactly as stored (4 decimals), with its currency where there is room.
    // The mirror holds a pending edit's values; the table shows eMAG's (the edit's base) and
    // the pending ones in their own column.
    let pending = |r: &crate::store::search::ProductRow| p.pending.get(&(r.account.clone(), r.id));
    let emag_price = |r: &crate::store::search::ProductRow| match pending(r) {
        Some(e) if e.values.sale_price.is_some() => e.base.sale_price,
        _ => r.sale_price,
    };
    let emag_stock = |r: &crate::store::search::ProductRow| match pending(r) {
        Some(e) if e.values.stock.is_some() => e.base.stock,
        _ => r.general_stock,
    };
    let pending_text = |r: &crate::store::search::ProductRow| -> String {
        let Some(e) = pending(r) else {
            return String::new();
        };
        let v = &e.values;
        let mut parts = Vec::new();
        if let Some(p) = v.sale_price {
            parts.push(format!("{}", p));
        }
        if let Some(p) = v.recommended_price {
            parts.push(format!("rec {p}"));
        }
        if let Some(n) = v.stock {
            parts.push(format!("stock {n}"));
        }
        if let Some(s) = v.status {
            parts.push(s.to_string());
        }
        format!("✎ {}", parts.join(" "))
    };
    let price_of = |r: &crate::store::search::ProductRow| match emag_price(r) {
        Some(d) if wide => format!("{d} {}", r.currency.as_deref().unwrap_or(""))
            .trim_end()
            .to_string(),
        Some(d) => d.to_string(),
        None => "—".into(),
    };
    // Columns as wide as their widest visible value (never cut), at least their header.
    let fit = |header: &str, values: &mut dyn Iterator<Item = usize>| -> u16 {
        values.max().unwrap_or(0).max(header.chars().count() + 2) as u16
    };
    let marked_any = !p.marked.is_empty();
    let account_w = fit(
        "account",
        &mut visible
            .iter()
            .map(|(_, r)| r.account.chars().count() + usize::from(marked_any)),
    );
    let id_w = fit(
        "id",
        &mut visible.iter().map(|(_, r)| r.id.to_string().len()),
    );
    let price_w = fit(
        "price",
        &mut visible.iter().map(|(_, r)| price_of(r).chars().count()),
    );
    let stock_w = fit(
        "stock",
        &mut visible
            .iter()
            .map(|(_, r)| emag_stock(r).map_or(0, |s| s.to_string().len())),
    );
    let pending_w = visible
        .iter()
        .map(|(_, r)| pending_text(r).chars().count())
        .max()
        .unwrap_or(0)
        .max(if visible.iter().any(|(_, r)| pending(r).is_some()) {
            9
        } else {
            0
        }) as u16;
    let rank_w: u16 = 4;
    // Wide enough for "inactive" and "missing", and for a longer word a visible row shows.
    let status_w = visible
        .iter()
        .map(|(_, r)| {
            state_word(r.status, r.missing_since.is_some())
                .chars()
                .count()
        })
        .max()
        .unwrap_or(0)
        .max(8) as u16;
    // The name takes what the other columns leave; on a narrow screen the part number and
    // the rank give way before the name shrinks below 12 columns.
    let inner = table.width.saturating_sub(2);
    let mut pn_w: u16 = if wide { 16 } else { 13 };
    let mut show_rank = true;
    let fixed = |pn: u16, rank: bool| {
        let cols = [
            account_w,
            id_w,
            pn,
            price_w,
            stock_w,
            if rank { rank_w } else { 0 },
            if wide { status_w } else { 0 },
            pending_w,
        ];
        let n = cols.iter().filter(|c| **c > 0).count() as u16 + 1; // + the name column
        cols.iter().sum::<u16>() + n.saturating_sub(1)
    };
    if inner.saturating_sub(fixed(pn_w, show_rank)) < 12 {
        show_rank = false;
    }
    if inner.saturating_sub(fixed(pn_w, show_rank)) < 12 {
        pn_w = 0;
    }
    let name_w = inner.saturating_sub(fixed(pn_w, show_rank)) as usize;
    // Sortable columns carry their key; the pending column has none.
    let mut cols: Vec<(Option<SortKey>, &str, u16)> = vec![
        (Some(SortKey::Account), "account", account_w),
        (Some(SortKey::Id), "id", id_w),
    ];
    if pn_w > 0 {
        cols.push((Some(SortKey::PartNumber), "part number", pn_w));
    }
    cols.push((Some(SortKey::Name), "name", name_w as u16));
    cols.push((Some(SortKey::Price), "price", price_w));
    cols.push((Some(SortKey::Stock), "stock", stock_w));
    if pending_w > 0 {
        cols.push((None, "pending", pending_w));
    }
    if show_rank {
        cols.push((Some(SortKey::Rank), "rank", rank_w));
    }
    debug_assert!(cols.iter().filter(|c| c.0.is_some()).count() <= products_sort_keys().len());
    let header = Row::new(cols.iter().map(|(k, label, _)| {
        if *k == Some(q.sort) {
            Cell::from(format!("{label} {}", if q.descending { "↓" } else { "↑" }))
                .style(app.theme.accent())
        } else {
            Cell::from(*label)
        }
    }))
    .style(app.theme.bold());
    let mut widths: Vec<Constraint> = cols.iter().map(|c| Constraint::Length(c.2)).collect();
    if wide {
        widths.push(Constraint::Length(status_w));
    }
    let rows = visible.into_iter().map(|(i, r)| {
        let missing = r.missing_since.is_some();
        let stock_style = match r.general_stock {
            Some(0) => app.theme.error(),
            Some(s) if s <= crate::model::search::LOW_STOCK => app.theme.warn(),
            _ => ratatui::style::Style::default(),
        };
        let marked = p.marked.contains(&(r.account.clone(), r.id));
        let mut cells = vec![
            if marked {
                Cell::from(Span::styled(format!("●{}", r.account), app.theme.accent()))
            } else {
                Cell::from(r.account.clone())
            },
            Cell::from(Line::from(r.id.to_string()).right_aligned()),
        ];
        if pn_w > 0 {
            cells.push(Cell::from(truncate(
                r.part_number.as_deref().unwrap_or(""),
                pn_w as usize,
            )));
        }
        cells.push(Cell::from(truncate(
            r.name.as_deref().unwrap_or(""),
            name_w,
        )));
        cells.push(Cell::from(Line::from(price_of(r)).right_aligned()));
        cells.push(
            Cell::from(
                Line::from(emag_stock(r).map(|s| s.to_string()).unwrap_or_default())
                    .right_aligned(),
            )
            .style(stock_style),
        );
        if pending_w > 0 {
            cells.push(Cell::from(Span::styled(
                pending_text(r),
                app.theme.accent(),
            )));
        }
        if show_rank {
            cells.push(Cell::from(
                r.buy_button_rank.map(|s| s.to_string()).unwrap_or_default(),
            ));
        }
        if wide {
            let word = state_word(r.status, missing);
            let style = match (missing, r.status) {
                (true, _) => app.theme.error(),
                (false, Some(OfferStatus::Active)) => app.theme.ok(),
                _ => app.theme.dim(),
            };
            cells.push(Cell::from(Span::styled(word, style)));
        }
        let row = Row::new(cells);
        if i == p.selected {
            row.style(app.theme.selected())
        } else {
            row
        }
    });
    let header = if wide {
        let mut cells: Vec<Cell> = cols
            .iter()
            .map(|(k, label, _)| {
                if *k == Some(q.sort) {
                    Cell::from(format!("{label} {}", if q.descending { "↓" } else { "↑" }))
                        .style(app.theme.accent())
                } else {
                    Cell::from(*label)
                }
            })
            .collect();
        cells.push(Cell::from("status"));
        Row::new(cells).style(app.theme.bold())
    } else {
        header
    };
    let empty = p.rows.is_empty() && p.loaded_once && !p.loading;
    let block = Block::bordered().title(" Products ");
    if empty {
        f.render_widget(
            Paragraph::new(Line::styled(
                "  no offers match — Esc clears the search; a sync fills the store",
                app.theme.dim(),
            ))
            .block(block),
            table,
        );
        return;
    }
    f.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .column_spacing(1),
        table,
    );
}
