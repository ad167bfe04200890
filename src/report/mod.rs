//! Reports: what changed in the catalogue over a window of time, in one page. [`facts`]
//! computes the numbers from the store; [`text`], [`markdown`], [`html`] and JSON (the facts
//! serialized) show them; [`scheduled`] writes daily and weekly reports for the daemon.

pub mod facts;
pub mod html;
pub mod markdown;
pub mod scheduled;
pub mod text;

pub use facts::{AccountFacts, Facts, Window};

use crate::store::{Result, Store};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// How a report is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text for the terminal.
    Text,
    /// Markdown for chat and tickets.
    Markdown,
    /// One self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched).
    Html,
    /// The facts as JSON (shape: docs/report-json.md).
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Json => "json",
        }
    }
}

/// The report in `format`.
pub fn render(facts: &Facts, format: Format) -> String {
    match format {
        Format::Text => text::render(facts),
        Format::Markdown => markdown::render(facts),
        Format::Html => html::render(facts),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(facts).expect("facts serialize");
            s.push('\n');
            s
        }
    }
}

/// The Markdown report of `accounts` over `window`: what the daemon posts to chat webhooks.
pub async fn markdown_report(
    store: &Store,
    accounts: &[String],
    window: Window,
    now: DateTime<Utc>,
) -> Result<String> {
    Ok(markdown::render(
        &Facts::compute(store, accounts, window, now).await?,
    ))
}

/// Reads `--since`: a span back from `now` (`90m`, `24h`, `7d`, `2w`), a UTC date
/// (`2026-12-01`, from its midnight) or an RFC 3339 time.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> std::result::Result<DateTime<Utc>, String> {
    let s = s.trim();
    let bad = || {
        format!(
            "--since \"{s}\" is neither a span like 24h, 7d, 2w or 90m, a date like 2026-12-01, nor a time like 2026-12-01T06:00:00Z"
        )
    };
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let number = digits.strip_prefix('-').unwrap_or(digits);
    if s.len() == digits.len() + 1
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
    {
        let n: i64 = digits.parse().map_err(|_| bad())?;
        if n <= 0 {
            return Err(format!("--since \"{s}\" must be a positive span"));
        }
        let span = match s.chars().last() {
            Some('m') => Duration::minutes(n),
            Some('h') => Duration::hours(n),
            Some('d') => Duration::days(n),
            Some('w') => Duration::weeks(n),
            _ => return Err(bad()),
        };
        return Ok(now - span);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_spans_dates_and_times() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(parse_since("24h", now), Ok(at("2026-12-06T06:00:00Z")));
        assert_eq!(parse_since("7d", now), Ok(at("2026-11-30T06:00:00Z")));
        assert_eq!(parse_since("2w", now), Ok(at("2026-11-23T06:00:00Z")));
        assert_eq!(parse_since("90m", now), Ok(at("2026-12-07T04:30:00Z")));
        assert_eq!(
            parse_since("2026-12-01", now),
            Ok(at("2026-12-01T00:00:00Z"))
        );
        assert_eq!(
            parse_since("2026-12-01T08:00:00+02:00", now),
            Ok(at("2026-12-01T06:00:00Z"))
        );
        assert_eq!(
            parse_since("2026-12-01T06:00:00Z", now),
            Ok(at("2026-12-01T06:00:00Z"))
        );
        for bad in ["", "7x", "h", "-3d", "0d", "yesterday", "2026-13-01"] {
            let e = parse_since(bad, now).unwrap_err();
            assert!(e.starts_with("--since"), "{bad}: {e}");
        }
    }
}
