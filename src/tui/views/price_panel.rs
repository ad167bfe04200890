//! The price part of the offer details: sparklines of price, buy-button rank and stock over 30
//! and 90 days, the lowest price of the last 30 days (the reference of an announced price
//! reduction) with 5/10/15 % campaign prices against it, and the same part number on the
//! other accounts, each in its own currency.

use crate::price::money::{campaign_price, lowest_price, shelf_price};
use crate::price::spark::{bars, buckets};
use crate::store::history::HistoryPoint;
use crate::tui::app::{App, OfferDetail};
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use crate::price::money::show as money;

/// The panel's lines for a popup `width` columns wide.
pub fn lines<'a>(app: &App, d: &OfferDetail, width: u16) -> Vec<Line<'a>> {
    let o = &d.offer.offer;
    let h = &d.prices.history;
    let currency = o.currency.clone().unwrap_or_default();
    let label = |s: &str| Span::styled(format!("  {s:<22}"), app.theme.dim());
    // A price as customers see it, when the offer's VAT rate is known.
    let vat = |net: Decimal| {
        d.prices
            .vat_percent
            .map(|r| format!(" ({} with VAT)", money(shelf_price(net, r))))
            .unwrap_or_default()
    };
    let mut out = vec![
        Line::raw(""),
        Line::styled("Price and buy button", app.theme.bold()),
    ];
    if h.is_empty() {
        out.push(Line::styled(
            "  no history yet: it starts with the next sync",
            app.theme.dim(),
        ));
    } else {
        // Room for the label, the bars and a short "low–high" note.
        let room = usize::from(width).saturating_sub(24 + 22).max(10);
        let (c30, c90) = (room.min(30), room.min(45));
        // Prices in another currency (leva before the euro) are converted to today's.
        let price = |p: &HistoryPoint| {
            let from = p.currency.as_deref().unwrap_or(&currency);
            p.sale_price
                .and_then(|v| crate::price::money::convert(v, from, &currency))
        };
        // Higher bars for a better rank: rank 1 is the full bar.
        let rank = |p: &HistoryPoint| p.buy_button_rank.map(|r| Decimal::from(-i64::from(r)));
        let stock = |p: &HistoryPoint| p.stock.map(Decimal::from);
        #[derive(Clone, Copy, PartialEq)]
        enum Kind {
            Price,
            Rank,
            Count,
        }
        let range = |v: &[Option<Decimal>], kind: Kind| {
            let known: Vec<Decimal> = v.iter().flatten().copied().collect();
            match (known.iter().min(), known.iter().max()) {
                (Some(lo), Some(hi)) => match kind {
                    Kind::Price => format!(" {}…{} {currency}", money(*lo), money(*hi)),
                    // Ranks are charted negated, so the best rank is the tallest bar.
                    Kind::Rank => format!(" best {} worst {}", -*hi, -*lo),
                    Kind::Count => format!(" {lo}…{hi}"),
                },
                _ => String::new(),
            }
        };
        type Series<'f> = (
            &'static str,
            i64,
            usize,
            &'f dyn Fn(&HistoryPoint) -> Option<Decimal>,
            Kind,
        );
        let series: [Series; 4] = [
            ("price, 30 days", 30, c30, &price, Kind::Price),
            ("price, 90 days", 90, c90, &price, Kind::Price),
            ("buy-button rank, 90 d", 90, c90, &rank, Kind::Rank),
            ("stock, 90 days", 90, c90, &stock, Kind::Count),
        ];
        for (what, days, cells, f, kind) in series {
            let v = buckets(h, f, app.now, days, cells);
            out.push(Line::from(vec![
                label(what),
                Span::styled(bars(&v), app.theme.accent()),
                Span::styled(range(&v, kind), app.theme.dim()),
            ]));
        }
        match lowest_price(h, app.now, 30, &currency) {
            Some(low) => {
                out.push(Line::from(vec![
                    label("lowest, 30 days"),
                    Span::raw(format!("{} {currency}{}", money(low.price), vat(low.price))),
                    Span::styled(
                        if low.converted {
                            " (leva at 1.95583 per euro)".to_string()
                        } else {
                            String::new()
                        },
                        app.theme.dim(),
                    ),
                ]));
                let campaigns: Vec<String> = [5, 10, 15]
                    .iter()
                    .map(|p| format!("−{p} % {}", money(campaign_price(low.price, *p))))
                    .collect();
                out.push(Line::from(vec![
                    label("campaign vs lowest"),
                    Span::raw(campaigns.join(" · ")),
                ]));
                if let Some(rate) = d.prices.vat_percent {
                    let shelf: Vec<String> = [5, 10, 15]
                        .iter()
                        .map(|p| {
                            let c = campaign_price(low.price, *p);
                            format!("−{p} % {}", money(shelf_price(c, rate)))
                        })
                        .collect();
                    out.push(Line::from(vec![
                        label("  the same with VAT"),
                        Span::raw(shelf.join(" · ")),
                    ]));
                }
            }
            None => out.push(Line::from(vec![
                label("lowest, 30 days"),
                Span::styled("—", app.theme.dim()),
            ])),
        }
    }
    let others = if d.prices.siblings.is_empty() {
        "none".to_string()
    } else {
        d.prices
            .siblings
            .iter()
            .map(|s| {
                format!(
                    "{} #{}: {} {} rank {} stock {}",
                    s.account,
                    s.id,
                    s.sale_price.map_or("—".into(), money),
                    s.currency.as_deref().unwrap_or(""),
                    s.buy_button_rank.map_or("—".into(), |r| r.to_string()),
                    s.general_stock.map_or("—".into(), |v| v.to_string())
                )
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    out.push(Line::from(vec![label("other accounts"), Span::raw(others)]));
    out.push(Line::raw(""));
    out
}
