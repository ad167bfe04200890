//! The plain-text report for the terminal, and the phrases the Markdown and HTML reports and
//! the dashboard's summary share with it.

use super::facts::{
    AccountFacts, BuyButtonLoss, Facts, OutOfBounds, PriceMove, Rejection, RunBrief, Window,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::fmt::Write;

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "2026-12-06 06:00 UTC to 2026-12-07 06:00 UTC (24 h)".
pub fn window_line(w: &Window) -> String {
    let span = w.until - w.since;
    let length = if span.num_minutes() % (24 * 60) == 0 && span.num_days() > 1 {
        format!("{} d", span.num_days())
    } else if span.num_minutes() % 60 == 0 {
        format!("{} h", span.num_hours())
    } else {
        format!("{} min", span.num_minutes())
    };
    format!("{} to {} ({length})", time(w.since), time(w.until))
}

pub(crate) fn duration(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

pub(crate) fn money(d: Option<Decimal>) -> String {
    d.map_or("—".to_string(), |d| d.normalize().to_string())
}

pub(crate) fn signed(d: Decimal) -> String {
    if d > Decimal::ZERO {
        format!("+{}", d.normalize())
    } else {
        d.normalize().to_string()
    }
}

/// A percentage with its sign and two decimals: "+25.00", "-3.10".
pub(crate) fn percent(d: Decimal) -> String {
    let mut d = d.round_dp(2);
    d.rescale(2);
    if d > Decimal::ZERO {
        format!("+{d}")
    } else {
        d.to_string()
    }
}

/// "1 run", "3 runs".
pub(crate) fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

pub(crate) fn label(part_number: &Option<String>, name: &Option<String>, id: i64) -> String {
    let mut s = part_number.clone().unwrap_or_else(|| "—".to_string());
    if let Some(n) = name {
        let _ = write!(s, " {n}");
    }
    let _ = write!(s, " (offer {id})");
    s
}

pub fn catalogue_line(a: &AccountFacts) -> String {
    let c = &a.catalogue;
    format!(
        "{} new · {} gone missing · {} back · {} inactivated · {} end of life",
        c.new, c.gone_missing, c.back, c.inactivated, c.end_of_life
    )
}

pub fn prices_line(a: &AccountFacts) -> String {
    let p = &a.prices;
    format!(
        "{} changed ({} up, {} down) · {} under their min · {} over their max",
        p.changed, p.rises, p.drops, p.under_min, p.over_max
    )
}

pub fn stock_line(a: &AccountFacts) -> String {
    let s = &a.stock;
    format!(
        "{} went out of stock · {} restocked · {} went low (1–{})",
        s.went_out, s.restocked, s.went_low, s.low_stock_level
    )
}

pub fn buy_button_line(a: &AccountFacts) -> String {
    let b = &a.buy_button;
    format!(
        "lost on {} · won on {}",
        plural(b.lost, "offer"),
        plural(b.won, "offer")
    )
}

/// "[main] gap +8.10 %: 129.99 against the best 120.25, rank 2  PN name (offer 7)".
pub fn loss_line(l: &BuyButtonLoss, with_account: bool) -> String {
    let account = if with_account {
        format!("[{}] ", l.account)
    } else {
        String::new()
    };
    let gap = match (l.gap_percent, l.gap) {
        (Some(p), _) => format!("gap {} %", percent(p)),
        (None, Some(g)) => format!("gap {}", signed(g)),
        (None, None) => "gap unknown".to_string(),
    };
    let rank = l
        .rank
        .map_or("no rank".to_string(), |r| format!("rank {r}"));
    format!(
        "{account}{gap}: {} against the best {}, {rank}  {}",
        money(l.sale_price),
        money(l.best_price),
        label(&l.part_number, &l.name, l.offer_id)
    )
}

pub fn syncs_line(a: &AccountFacts) -> String {
    let s = &a.syncs;
    let statuses: Vec<String> = s
        .by_status
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let mut line = plural(s.runs, "run");
    if !statuses.is_empty() {
        let _ = write!(line, " ({})", statuses.join(", "));
    }
    let _ = write!(
        line,
        " · {} failed pages · {} requests, {} retries, {} rate limited (429)",
        s.failed_pages, s.requests, s.retries, s.rate_limited
    );
    line
}

pub fn freshness_line(a: &AccountFacts) -> String {
    match (a.syncs.last_completed_at, a.syncs.freshness_minutes) {
        (Some(t), Some(m)) => format!(
            "last completed sync finished {} ({} before the window's end)",
            time(t),
            duration(m * 60)
        ),
        _ => "no completed sync yet".to_string(),
    }
}

pub fn edits_line(a: &AccountFacts) -> String {
    let e = &a.edits;
    format!(
        "{} pushed · {} rejected · {} conflicts waiting · {} pending ({} for over {} h)",
        e.pushed,
        e.rejected,
        e.conflicts_waiting,
        e.pending,
        e.pending_too_long,
        super::facts::PENDING_TOO_LONG_HOURS
    )
}

pub fn move_line(m: &PriceMove, with_account: bool) -> String {
    let account = if with_account {
        format!("[{}] ", m.account)
    } else {
        String::new()
    };
    format!(
        "{account}{} %  {} → {} ({})  {}",
        percent(m.percent),
        money(Some(m.old)),
        money(Some(m.new)),
        signed(m.change),
        label(&m.part_number, &m.name, m.offer_id)
    )
}

pub fn bounds_line(o: &OutOfBounds, with_account: bool) -> String {
    let account = if with_account {
        format!("[{}] ", o.account)
    } else {
        String::new()
    };
    let (what, limit) = if o.problem == "under_min" {
        ("under min", o.min_sale_price)
    } else {
        ("over max", o.max_sale_price)
    };
    format!(
        "{account}{what}: price {} (limit {})  {}",
        money(o.sale_price),
        money(limit),
        label(&o.part_number, &o.name, o.offer_id)
    )
}

pub fn rejection_line(r: &Rejection, with_account: bool) -> String {
    format!(
        "{}{}: {}",
        if with_account {
            format!("[{}] ", r.account)
        } else {
            String::new()
        },
        label(&r.part_number, &None, r.offer_id),
        r.reason.as_deref().unwrap_or("no reason given")
    )
}

pub fn run_line(r: &RunBrief, with_account: bool) -> String {
    let account = if with_account {
        format!("[{}] ", r.account)
    } else {
        String::new()
    };
    format!(
        "{account}run {}  {}  {}  {}  started {}",
        r.run_id,
        r.mode,
        r.status,
        duration(r.seconds),
        time(r.started_at)
    )
}

/// Accounts to show: each one, then the total when there is more than one.
pub(crate) fn sections(f: &Facts) -> Vec<(&AccountFacts, bool)> {
    let mut out: Vec<(&AccountFacts, bool)> = f.accounts.iter().map(|a| (a, false)).collect();
    if f.accounts.len() != 1 {
        out.push((&f.total, true));
    }
    out
}

pub fn render(f: &Facts) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "magsync report: {}", window_line(&f.window));
    let _ = writeln!(s, "generated {}", time(f.generated_at));
    for (a, total) in sections(f) {
        let title = if total {
            "all accounts".to_string()
        } else {
            format!("account {}", a.account)
        };
        let _ = writeln!(s, "\n== {title} ==");
        let _ = writeln!(s, "Catalogue   {}", catalogue_line(a));
        let _ = writeln!(s, "Prices      {}", prices_line(a));
        list(
            &mut s,
            "Biggest rises",
            a.prices.biggest_rises.iter().map(|m| move_line(m, total)),
        );
        list(
            &mut s,
            "Biggest drops",
            a.prices.biggest_drops.iter().map(|m| move_line(m, total)),
        );
        list(
            &mut s,
            "Outside their bounds",
            a.prices.out_of_bounds.iter().map(|o| bounds_line(o, total)),
        );
        let _ = writeln!(s, "Stock       {}", stock_line(a));
        let _ = writeln!(s, "Buy button  {}", buy_button_line(a));
        list(
            &mut s,
            "Lost the buy button",
            a.buy_button.losses.iter().map(|l| loss_line(l, total)),
        );
        let _ = writeln!(s, "Syncs       {}", syncs_line(a));
        let _ = writeln!(s, "            {}", freshness_line(a));
        list(
            &mut s,
            "Slowest runs",
            a.syncs.slowest.iter().map(|r| run_line(r, total)),
        );
        let _ = writeln!(s, "Edits       {}", edits_line(a));
        list(
            &mut s,
            "Rejected by eMAG",
            a.edits.rejections.iter().map(|r| rejection_line(r, total)),
        );
    }
    s
}

fn list(s: &mut String, title: &str, lines: impl Iterator<Item = String>) {
    let lines: Vec<String> = lines.collect();
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(s, "  {title}");
    for l in lines {
        let _ = writeln!(s, "    {l}");
    }
}
