//! Details popups: an offer (every field, raw JSON, last changes) and a run (options, error
//! summary, events, changed offers).

use super::{centered, clock, duration, kv, run_secs, status_span, when};
use crate::model::{OfferStatus, WarehouseValue};
use crate::tui::app::{App, OfferDetail, RunDetail, group};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "—".into())
}

fn per_warehouse(v: &[WarehouseValue]) -> String {
    if v.is_empty() {
        return "—".into();
    }
    v.iter()
        .map(|w| format!("warehouse {}: {}", w.warehouse_id, w.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "9 Approved documentation", plus eMAG's own description when it says something else.
fn validation(value: Option<i16>, description: Option<&str>) -> String {
    let Some(v) = value else {
        return "—".into();
    };
    let name = crate::model::validation_name(v.into()).unwrap_or("(not a documented value)");
    match description.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) if !d.eq_ignore_ascii_case(name) => format!("{v} {name} · {d}"),
        _ => format!("{v} {name}"),
    }
}

pub fn offer(f: &mut Frame, area: Rect, app: &App, d: &OfferDetail) {
    let r = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(4),
    );
    f.render_widget(Clear, r);
    let s = &d.offer;
    let o = &s.offer;
    let status = match (s.missing_since, o.status) {
        (Some(t), _) => format!("missing since {}", when(app, t)),
        (None, Some(v @ OfferStatus::Unknown(_))) => v.to_string(),
        (None, Some(v)) => format!("{} {v}", v.code()),
        (None, None) => "—".into(),
    };
    // eMAG's prices exclude VAT; customers see them with it, shown next to each when the
    // account's rate is known.
    let vat = d.prices.vat_percent;
    let money = |v: &Option<rust_decimal::Decimal>| {
        let currency = o.currency.as_deref().unwrap_or("");
        v.map(|p| match vat {
            Some(rate) => format!(
                "{p} {currency} · {} with VAT",
                crate::price::money::show(crate::price::money::shelf_price(p, rate))
            ),
            None => format!("{p} {currency}"),
        })
        .unwrap_or_else(|| "—".into())
    };
    // eMAG's value of a field a pending edit changes is the edit's base (the mirror holds the
    // pending value); the pending values get their own line below.
    let emag = |mirror: Option<rust_decimal::Decimal>,
                field: fn(&crate::edits::Values) -> Option<rust_decimal::Decimal>| {
        match &d.pending {
            Some(e) if field(&e.values).is_some() => field(&e.base),
            _ => mirror,
        }
    };
    let mut lines = vec![
        kv(app, "account", s.account.clone()),
        kv(app, "id", o.id.to_string()),
        kv(app, "name", opt(&o.name)),
        kv(app, "part number", opt(&o.part_number)),
        kv(app, "part number key", opt(&o.part_number_key)),
        kv(app, "brand", opt(&o.brand)),
        kv(
            app,
            "EANs",
            if o.eans.is_empty() {
                "—".into()
            } else {
                o.eans.join(", ")
            },
        ),
        kv(app, "status", status),
        kv(app, "saleable", if o.is_saleable() { "yes" } else { "no" }),
        kv(
            app,
            "sale price",
            money(&emag(o.sale_price, |v| v.sale_price)),
        ),
        kv(
            app,
            "recommended price",
            money(&emag(o.recommended_price, |v| v.recommended_price)),
        ),
        kv(
            app,
            "min / max sale price",
            format!(
                "{} / {}",
                money(&o.min_sale_price),
                money(&o.max_sale_price)
            ),
        ),
        kv(app, "best offer price", money(&o.best_offer_sale_price)),
        kv(
            app,
            "VAT",
            match (o.vat_id, vat) {
                (id, Some(rate)) => format!("{rate} % (VAT id {})", opt(&id)),
                (id, None) => format!(
                    "VAT id {}; its rate is not known yet (vat/read), prices without VAT only",
                    opt(&id)
                ),
            },
        ),
        kv(app, "general stock", opt(&o.general_stock)),
        kv(app, "estimated stock", opt(&o.estimated_stock)),
        kv(app, "stock", per_warehouse(&o.stock)),
        kv(app, "handling time (days)", per_warehouse(&o.handling_time)),
        kv(app, "buy button rank", opt(&o.buy_button_rank)),
        kv(app, "number of offers", opt(&o.number_of_offers)),
        kv(
            app,
            "validation",
            validation(
                o.validation_status,
                o.validation_status_description.as_deref(),
            ),
        ),
        kv(
            app,
            "offer validation",
            format!(
                "{}{}",
                opt(&o.offer_validation_status),
                o.offer_validation_status_description
                    .as_deref()
                    .map(|d| format!(" · {d}"))
                    .unwrap_or_default()
            ),
        ),
        kv(
            app,
            "translation validation",
            validation(o.translation_validation_status, None),
        ),
        kv(
            app,
            "ownership",
            match o.ownership {
                Some(1) => "1 · may edit the product's content".to_string(),
                Some(2) => "2 · may not edit the product's content".to_string(),
                v => opt(&v),
            },
        ),
        kv(
            app,
            "category / vendor cat.",
            format!("{} / {}", opt(&o.category_id), opt(&o.vendor_category_id)),
        ),
        kv(app, "warranty (months)", opt(&o.warranty)),
        kv(app, "eMAG offer id", opt(&o.offer_details_id)),
        kv(app, "url", opt(&o.url)),
        kv(app, "images", o.image_urls.len().to_string()),
        kv(app, "first seen", when(app, s.first_seen_at)),
        kv(app, "last seen", when(app, s.last_seen_at)),
        kv(app, "last changed", when(app, s.last_changed_at)),
        Line::raw(""),
        Line::styled("Last changes", app.theme.bold()),
    ];
    if let Some(e) = &d.pending {
        // Right under the prices: what will be pushed, apart from eMAG's values above.
        let text = format!(
            "✎ {} (queued {}{}; 5 then p pushes it)",
            e.values.describe(&e.fields()),
            when(app, e.edited_at),
            e.queued_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        );
        lines.insert(
            11,
            kv(
                app,
                "pending local edit",
                Span::styled(text, app.theme.accent()),
            ),
        );
    }
    // Price and buy button come right after the offer's identity (account, id, name).
    let panel = super::price_panel::lines(app, d, r.width.saturating_sub(2));
    lines.splice(3..3, panel);
    if d.changes.is_empty() {
        lines.push(Line::styled("  none recorded", app.theme.dim()));
    }
    let mut link_line = None;
    for (i, c) in d.changes.iter().enumerate() {
        let selected = d.link == Some(i);
        let text = format!(
            "{} {} {:<18} {} → {}{}",
            if selected { "▶" } else { " " },
            when(app, c.at),
            c.field,
            c.old_value.as_deref().unwrap_or("—"),
            c.new_value.as_deref().unwrap_or("—"),
            c.run_id.map(|r| format!(" · run {r}")).unwrap_or_default()
        );
        if selected {
            link_line = Some(lines.len());
            lines.push(Line::styled(text, app.theme.selected()));
        } else {
            lines.push(Line::raw(text));
        }
    }
    // Price, stock and status as each sync found them (offer_history), newest first.
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("History ({} points, 90 days)", d.prices.history.len()),
        app.theme.bold(),
    ));
    if d.prices.history.is_empty() {
        lines.push(Line::styled(
            "  no history yet: it starts with the next sync",
            app.theme.dim(),
        ));
    }
    for p in d.prices.history.iter().rev().take(30) {
        lines.push(Line::raw(format!(
            "  {:<14} price {}  stock {}  status {}  rank {}",
            when(app, p.at),
            p.sale_price
                .map(|v| format!(
                    "{} {}",
                    crate::price::money::show(v),
                    p.currency.as_deref().unwrap_or("")
                ))
                .unwrap_or_else(|| "—".into()),
            opt(&p.stock),
            opt(&p.status),
            opt(&p.buy_button_rank)
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Raw JSON", app.theme.bold()));
    let raw = serde_json::to_string_pretty(&o.raw.to_value()).unwrap_or_default();
    lines.extend(raw.lines().map(|l| Line::raw(format!("  {l}"))));
    let (lines, scroll) = hang_keeping(lines, r, link_line, d.scroll);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(Block::bordered().title(format!(
                " Offer {} · {} · y copies a field · Tab picks a change, Enter its run · Esc closes ",
                o.id, s.account
            ))),
        r,
    );
}

pub fn run(f: &mut Frame, area: Rect, app: &App, d: &RunDetail) {
    let r = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(4),
    );
    f.render_widget(Clear, r);
    let run = &d.run;
    let c = &run.counts;
    let o = &run.options;
    let mut lines = vec![
        kv(app, "status", status_span(app, run.status)),
        kv(app, "account", run.account.clone()),
        kv(app, "trigger", run.trigger.to_string()),
        kv(
            app,
            "started / duration",
            format!(
                "{} · {}",
                when(app, run.started_at),
                duration(run_secs(app, run))
            ),
        ),
        kv(
            app,
            "options",
            format!(
                "{} · max pages {} · {} per page · include inactive {} · {}",
                o.mode,
                o.max_pages
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "all".into()),
                o.items_per_page,
                if o.include_inactive { "yes" } else { "no" },
                o.conflict_strategy
            ),
        ),
        kv(
            app,
            "pages",
            format!(
                "{}/{} · requests {} · retries {} · 429s {}",
                c.pages_done,
                opt(&c.pages_total),
                c.requests,
                c.retries,
                c.rate_limited
            ),
        ),
        kv(
            app,
            "offers",
            format!(
                "seen {} · new {} · updated {} · unchanged {} · removed {} · failed {}",
                group(c.offers_seen),
                group(c.created),
                group(c.updated),
                group(c.unchanged),
                group(c.removed),
                group(c.failed)
            ),
        ),
    ];
    if let Some(e) = &run.error_summary {
        lines.push(kv(app, "error", Span::styled(e.clone(), app.theme.error())));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("Events ({})", d.events.len()),
        app.theme.bold(),
    ));
    for e in &d.events {
        let style = match e.level {
            crate::model::EventLevel::Error => app.theme.error(),
            crate::model::EventLevel::Warn => app.theme.warn(),
            _ => ratatui::style::Style::default(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", clock(app, e.at)), app.theme.dim()),
            Span::styled(format!("{:<5} ", e.level.as_str().to_uppercase()), style),
            Span::raw(e.message.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("Changed offers ({})", d.changes.len()),
        app.theme.bold(),
    ));
    if d.changes.is_empty() {
        lines.push(Line::styled("  none", app.theme.dim()));
    }
    let mut link_line = None;
    for (i, ch) in d.changes.iter().enumerate() {
        let selected = d.link == Some(i);
        let text = format!(
            "{} {:<8} {:<10} {:<18} {} → {}",
            if selected { "▶" } else { " " },
            ch.account,
            ch.offer_id,
            ch.field,
            ch.old_value.as_deref().unwrap_or("—"),
            ch.new_value.as_deref().unwrap_or("—")
        );
        if selected {
            link_line = Some(lines.len());
            lines.push(Line::styled(text, app.theme.selected()));
        } else {
            lines.push(Line::raw(text));
        }
    }
    let (lines, scroll) = hang_keeping(lines, r, link_line, d.scroll);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(Block::bordered().title(format!(
                " Run {} · {} {} · Tab picks a changed offer, Enter opens it · Esc closes ",
                run.id, run.account, run.mode
            ))),
        r,
    );
}

/// `y` in the offer details: the fields to copy, the selected one highlighted.
pub fn copy_menu(
    f: &mut Frame,
    area: Rect,
    app: &App,
    items: &[(String, String)],
    selected: usize,
) {
    let r = centered(area, 70, items.len() as u16 + 2);
    f.render_widget(Clear, r);
    let room = r.width.saturating_sub(2 + 2 + 17) as usize;
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let line = Line::from(vec![
                Span::styled(
                    format!("{} {label:<16}", if i == selected { "▶" } else { " " }),
                    app.theme.dim(),
                ),
                Span::raw(super::truncate(value, room)),
            ]);
            if i == selected {
                line.style(app.theme.selected())
            } else {
                line
            }
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Copy · Enter copies · Esc closes ")),
        r,
    );
}

/// Key-value and event lines wrapped under their value column (see [`super::hang`]; the
/// paragraph still wraps the rest), and the scroll that keeps the selected link in view.
fn hang_keeping(
    lines: Vec<Line<'_>>,
    popup: Rect,
    link: Option<usize>,
    scroll: u16,
) -> (Vec<Line<'_>>, u16) {
    let width = popup.width.saturating_sub(2) as usize;
    let mut out = Vec::with_capacity(lines.len());
    let mut at = None;
    // Screen rows so far: the paragraph wraps a line wider than the popup onto more rows.
    let mut row = 0;
    for (i, l) in lines.into_iter().enumerate() {
        if Some(i) == link {
            at = Some(row);
        }
        for h in super::hang(l, width) {
            row += h.width().div_ceil(width.max(1)).max(1);
            out.push(h);
        }
    }
    let rows = popup.height.saturating_sub(2) as usize;
    let scroll = match at {
        // The link sits a third down the popup, with what leads to it above.
        Some(a) if a < scroll as usize || a >= scroll as usize + rows => {
            a.saturating_sub(rows / 3) as u16
        }
        _ => scroll,
    };
    (out, scroll)
}
