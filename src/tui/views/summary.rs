//! 4 History, summary view (`v`): the report's facts for the tab's window and account, with
//! the same words as `magsync report`.

use crate::report::AccountFacts;
use crate::report::text::{
    bounds_line, buy_button_line, catalogue_line, edits_line, freshness_line, move_line,
    prices_line, rejection_line, run_line, stock_line, syncs_line, window_line,
};
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let s = &app.summary;
    let account = app.history.filter_account.as_deref().unwrap_or("all");
    let title = format!(" Summary · account: {account} · t: window, a: account, v: runs ");
    let block = Block::bordered().title(title);
    let facts = match (&s.facts, &s.error) {
        (_, Some(e)) => {
            let text = Line::styled(
                format!("  reading the summary failed: {e}"),
                app.theme.error(),
            );
            f.render_widget(Paragraph::new(text).block(block), area);
            return;
        }
        (Some(f), None) => f,
        (None, None) => {
            let text = Line::styled("  loading…", app.theme.dim());
            f.render_widget(Paragraph::new(text).block(block), area);
            return;
        }
    };
    // One account chosen: it; all of them: the total, which lists every account's items.
    let a: &AccountFacts = match facts.accounts.as_slice() {
        [one] => one,
        _ => &facts.total,
    };
    let all = facts.accounts.len() != 1;
    let head = |t: &'static str| Span::styled(format!("{t:<11}"), app.theme.bold());
    let attention = |n: u64| {
        if n > 0 {
            app.theme.warn()
        } else {
            Style::default()
        }
    };
    let mut lines = vec![
        Line::styled(window_line(&facts.window), app.theme.dim()),
        Line::from(""),
        Line::from(vec![
            head("Catalogue"),
            Span::styled(
                catalogue_line(a),
                attention(a.catalogue.gone_missing + a.catalogue.inactivated),
            ),
        ]),
        Line::from(vec![
            head("Prices"),
            Span::styled(
                prices_line(a),
                attention(a.prices.under_min + a.prices.over_max),
            ),
        ]),
        Line::from(vec![
            head("Stock"),
            Span::styled(stock_line(a), attention(a.stock.went_out)),
        ]),
        Line::from(vec![
            head("Buy button"),
            Span::styled(buy_button_line(a), attention(a.buy_button.lost)),
        ]),
        Line::from(vec![
            head("Syncs"),
            Span::styled(
                syncs_line(a),
                if a.syncs.failed_pages > 0
                    || a.syncs
                        .by_status
                        .keys()
                        .any(|k| crate::report::facts::is_bad(k))
                {
                    app.theme.error()
                } else {
                    Style::default()
                },
            ),
        ]),
        Line::from(vec![head(""), Span::raw(freshness_line(a))]),
        Line::from(vec![
            head("Edits"),
            Span::styled(
                edits_line(a),
                attention(a.edits.rejected + a.edits.conflicts_waiting + a.edits.pending_too_long),
            ),
        ]),
    ];
    let mut list = |title: &'static str, items: Vec<String>| {
        if items.is_empty() {
            return;
        }
        lines.push(Line::from(""));
        lines.push(Line::styled(title, app.theme.bold()));
        lines.extend(items.into_iter().map(|i| Line::from(format!("  {i}"))));
    };
    list(
        "Biggest rises",
        a.prices
            .biggest_rises
            .iter()
            .map(|m| move_line(m, all))
            .collect(),
    );
    list(
        "Biggest drops",
        a.prices
            .biggest_drops
            .iter()
            .map(|m| move_line(m, all))
            .collect(),
    );
    list(
        "Outside their bounds",
        a.prices
            .out_of_bounds
            .iter()
            .map(|o| bounds_line(o, all))
            .collect(),
    );
    list(
        "Slowest runs",
        a.syncs.slowest.iter().map(|r| run_line(r, all)).collect(),
    );
    list(
        "Rejected by eMAG",
        a.edits
            .rejections
            .iter()
            .map(|r| rejection_line(r, all))
            .collect(),
    );
    let scroll = s.scroll.min(lines.len().saturating_sub(1) as u16);
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
