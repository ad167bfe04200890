//! The Markdown report, for chat and tickets: short lines and small tables, so it reads in a
//! chat window as well as rendered.

use super::facts::Facts;
use super::text::{
    bounds_line, buy_button_line, catalogue_line, edits_line, freshness_line, loss_line, move_line,
    prices_line, rejection_line, run_line, sections, stock_line, syncs_line, time, window_line,
};
use std::fmt::Write;

/// Characters Markdown would read as formatting, in text that comes from eMAG (names, reasons).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn render(f: &Facts) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# magsync report");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{} · generated {}",
        window_line(&f.window),
        time(f.generated_at)
    );
    for (a, total) in sections(f) {
        let title = if total {
            "All accounts".to_string()
        } else {
            format!("Account {}", escape(&a.account))
        };
        let _ = writeln!(s, "\n## {title}\n");
        let _ = writeln!(s, "- **Catalogue:** {}", catalogue_line(a));
        let _ = writeln!(s, "- **Prices:** {}", prices_line(a));
        let _ = writeln!(s, "- **Stock:** {}", stock_line(a));
        let _ = writeln!(s, "- **Buy button:** {}", buy_button_line(a));
        let _ = writeln!(s, "- **Syncs:** {}; {}", syncs_line(a), freshness_line(a));
        let _ = writeln!(s, "- **Edits:** {}", edits_line(a));
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
        list(
            &mut s,
            "Lost the buy button",
            a.buy_button.losses.iter().map(|l| loss_line(l, total)),
        );
        list(
            &mut s,
            "Slowest runs",
            a.syncs.slowest.iter().map(|r| run_line(r, total)),
        );
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
    let _ = writeln!(s, "\n**{title}**\n");
    for l in lines {
        let _ = writeln!(s, "- {}", escape(&l));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_in_names_is_escaped() {
        assert_eq!(
            super::escape("Lamp *big* [x](http://a) | `b`"),
            "Lamp \\*big\\* \\[x\\](http://a) \\| \\`b\\`"
        );
    }
}
