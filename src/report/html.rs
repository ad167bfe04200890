//! The HTML report: one self-contained page (inline CSS and SVG charts, no scripts, nothing
//! fetched) that reads on a phone. The layout lives in `report.html`, a minijinja template
//! with auto-escaping; this file only shapes the facts into what the template shows.

use super::facts::{AccountFacts, Facts, is_bad};
use super::text::{
    bounds_line, duration, freshness_line, loss_line, move_line, rejection_line, run_line, time,
    window_line,
};
use serde::Serialize;

const TEMPLATE: &str = include_str!("report.html");
const CHART_WIDTH: f64 = 600.0;
const CHART_HEIGHT: f64 = 120.0;

#[derive(Serialize)]
struct Page {
    title: String,
    window: String,
    generated: String,
    sections: Vec<Section>,
}

#[derive(Serialize)]
struct Section {
    title: String,
    groups: Vec<Group>,
    chart: Chart,
    runs_chart: Vec<RunBar>,
    lists: Vec<List>,
}

#[derive(Serialize)]
struct Group {
    title: &'static str,
    note: Option<String>,
    cards: Vec<Card>,
}

#[derive(Serialize)]
struct Card {
    value: String,
    label: &'static str,
    /// "", "warn" or "bad": how the value is coloured.
    tone: &'static str,
}

#[derive(Serialize)]
struct List {
    title: &'static str,
    lines: Vec<String>,
}

#[derive(Serialize)]
struct Chart {
    unit: &'static str,
    width: f64,
    height: f64,
    first: String,
    last: String,
    peak_price: u64,
    peak_stock: u64,
    bars: Vec<Bar>,
}

#[derive(Serialize)]
struct Bar {
    x: String,
    w: String,
    price_y: String,
    price_h: f64,
    stock_y: String,
    stock_h: f64,
    tip: String,
}

#[derive(Serialize)]
struct RunBar {
    label: String,
    count: u64,
    w: f64,
    color: &'static str,
}

fn card(value: impl ToString, label: &'static str, tone: &'static str) -> Card {
    Card {
        value: value.to_string(),
        label,
        tone,
    }
}

/// "warn" when a count that needs attention is above zero.
fn attention(n: u64) -> &'static str {
    if n > 0 { "warn" } else { "" }
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

fn chart(a: &AccountFacts, f: &Facts) -> Chart {
    let hourly = f.window.bucket_size() <= chrono::Duration::hours(1);
    let n = a.activity.len().max(1) as f64;
    let slot = CHART_WIDTH / n;
    let peak = a
        .activity
        .iter()
        .map(|b| b.price_changes + b.stock_changes)
        .max()
        .unwrap_or(0);
    let scale = if peak == 0 {
        0.0
    } else {
        (CHART_HEIGHT - 4.0) / peak as f64
    };
    let stamp = |t: chrono::DateTime<chrono::Utc>| {
        if hourly {
            t.format("%d %b %H:%M").to_string()
        } else {
            t.format("%d %b").to_string()
        }
    };
    let bars = if peak == 0 {
        Vec::new()
    } else {
        a.activity
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let ph = b.price_changes as f64 * scale;
                let sh = b.stock_changes as f64 * scale;
                Bar {
                    x: px(i as f64 * slot + slot * 0.1),
                    w: px(slot * 0.8),
                    price_y: px(CHART_HEIGHT - ph),
                    price_h: (ph * 10.0).round() / 10.0,
                    stock_y: px(CHART_HEIGHT - ph - sh),
                    stock_h: (sh * 10.0).round() / 10.0,
                    tip: format!(
                        "{}: {} price, {} stock changes",
                        stamp(b.start),
                        b.price_changes,
                        b.stock_changes
                    ),
                }
            })
            .collect()
    };
    Chart {
        unit: if hourly { "hour" } else { "day" },
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        first: a
            .activity
            .first()
            .map(|b| stamp(b.start))
            .unwrap_or_default(),
        last: a
            .activity
            .last()
            .map(|b| stamp(b.start))
            .unwrap_or_default(),
        peak_price: a
            .activity
            .iter()
            .map(|b| b.price_changes)
            .max()
            .unwrap_or(0),
        peak_stock: a
            .activity
            .iter()
            .map(|b| b.stock_changes)
            .max()
            .unwrap_or(0),
        bars,
    }
}

fn runs_chart(a: &AccountFacts) -> Vec<RunBar> {
    let peak = a
        .syncs
        .by_status
        .values()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    a.syncs
        .by_status
        .iter()
        .map(|(status, &count)| RunBar {
            label: status.clone(),
            count,
            w: (count as f64 * 4000.0 / peak as f64).round() / 10.0,
            color: match status.as_str() {
                "completed" => "#2e8b57",
                "cancelled" | "running" => "#8a949e",
                s if is_bad(s) => "#b3261e",
                _ => "#e0913a",
            },
        })
        .collect()
}

fn section(a: &AccountFacts, total: bool, f: &Facts) -> Section {
    let (c, p, s, y, e) = (&a.catalogue, &a.prices, &a.stock, &a.syncs, &a.edits);
    let failed: u64 = y
        .by_status
        .iter()
        .filter(|(k, _)| is_bad(k))
        .map(|(_, v)| *v)
        .sum();
    let groups = vec![
        Group {
            title: "Catalogue",
            note: None,
            cards: vec![
                card(c.new, "new offers", ""),
                card(c.gone_missing, "gone missing", attention(c.gone_missing)),
                card(c.back, "back again", ""),
                card(c.inactivated, "inactivated", attention(c.inactivated)),
                card(c.end_of_life, "end of life", attention(c.end_of_life)),
            ],
        },
        Group {
            title: "Prices",
            note: None,
            cards: vec![
                card(p.changed, "prices changed", ""),
                card(p.rises, "went up", ""),
                card(p.drops, "went down", ""),
                card(p.under_min, "under their min", attention(p.under_min)),
                card(p.over_max, "over their max", attention(p.over_max)),
            ],
        },
        Group {
            title: "Stock",
            note: None,
            cards: vec![
                card(s.went_out, "went out of stock", attention(s.went_out)),
                card(s.restocked, "restocked", ""),
                card(s.went_low, "went low", attention(s.went_low)),
            ],
        },
        Group {
            title: "Buy button",
            note: None,
            cards: vec![
                card(
                    a.buy_button.lost,
                    "lost the buy button",
                    attention(a.buy_button.lost),
                ),
                card(a.buy_button.won, "won the buy button", ""),
            ],
        },
        Group {
            title: "Syncs",
            note: Some(freshness_line(a)),
            cards: vec![
                card(y.runs, "runs", ""),
                card(
                    failed,
                    "failed or partial",
                    if failed > 0 { "bad" } else { "" },
                ),
                card(
                    y.failed_pages,
                    "failed pages",
                    attention(y.failed_pages as u64),
                ),
                card(y.retries, "retries", ""),
                card(y.rate_limited, "rate limited (429)", ""),
                card(
                    y.freshness_minutes
                        .map_or("never".to_string(), |m| duration(m * 60)),
                    "since the last complete sync",
                    if y.freshness_minutes.is_none_or(|m| m > 24 * 60) {
                        "bad"
                    } else {
                        ""
                    },
                ),
            ],
        },
        Group {
            title: "Edits",
            note: None,
            cards: vec![
                card(e.pushed, "pushed", ""),
                card(
                    e.rejected,
                    "rejected by eMAG",
                    if e.rejected > 0 { "bad" } else { "" },
                ),
                card(
                    e.conflicts_waiting,
                    "conflicts waiting",
                    attention(e.conflicts_waiting),
                ),
                card(e.pending, "pending", ""),
                card(
                    e.pending_too_long,
                    "pending over 24 h",
                    attention(e.pending_too_long),
                ),
            ],
        },
    ];
    let lists = [
        List {
            title: "Biggest price rises",
            lines: p
                .biggest_rises
                .iter()
                .map(|m| move_line(m, total))
                .collect(),
        },
        List {
            title: "Biggest price drops",
            lines: p
                .biggest_drops
                .iter()
                .map(|m| move_line(m, total))
                .collect(),
        },
        List {
            title: "Priced outside their bounds",
            lines: p
                .out_of_bounds
                .iter()
                .map(|o| bounds_line(o, total))
                .collect(),
        },
        List {
            title: "Lost the buy button (largest gap first)",
            lines: a
                .buy_button
                .losses
                .iter()
                .map(|l| loss_line(l, total))
                .collect(),
        },
        List {
            title: "Slowest runs",
            lines: y.slowest.iter().map(|r| run_line(r, total)).collect(),
        },
        List {
            title: "Rejected by eMAG",
            lines: e
                .rejections
                .iter()
                .map(|r| rejection_line(r, total))
                .collect(),
        },
    ]
    .into_iter()
    .filter(|l| !l.lines.is_empty())
    .collect();
    Section {
        title: if total {
            "All accounts".to_string()
        } else {
            format!("Account {}", a.account)
        },
        groups,
        chart: chart(a, f),
        runs_chart: runs_chart(a),
        lists,
    }
}

pub fn render(f: &Facts) -> String {
    let page = Page {
        title: "magsync report".to_string(),
        window: window_line(&f.window),
        generated: time(f.generated_at),
        sections: super::text::sections(f)
            .into_iter()
            .map(|(a, total)| section(a, total, f))
            .collect(),
    };
    let mut env = minijinja::Environment::new();
    // The template is part of the binary, so a failure here is a bug, caught by the tests.
    env.add_template("report.html", TEMPLATE)
        .expect("report template parses");
    env.get_template("report.html")
        .expect("report template exists")
        .render(minijinja::context! { page => page })
        .expect("report template renders")
}
