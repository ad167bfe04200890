//! Arguments shared by `products` and `export`, and small parsers for the headless commands.
//!
//! Enumerated flags are clap value enums, so a bad value is clap's usage error, which
//! `cli::usage_error` turns into one sentence naming the flag and the accepted values (exit 2).

use crate::error::Failure;
use crate::model::search::{ProductQuery, SortKey, StatusFilter, StockFilter};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::builder::PossibleValue;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProductFilterArgs {
    /// Words that must each occur in the name, part number, part number key, an EAN or the
    /// offer id, ignoring case and accents; codes also match without punctuation ("hei45").
    #[arg(long, value_name = "Q")]
    pub search: Option<String>,

    /// Only this account.
    #[arg(long, value_name = "A")]
    pub account: Option<String>,

    /// active, inactive, eol (end of life) or missing (no longer listed by eMAG).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<StatusFilter>,

    /// zero (stock 0), low (1 to 5) or any.
    #[arg(long, value_name = "STOCK")]
    pub stock: Option<StockArg>,

    /// Sort field, optionally `:desc`: account, id, part_number, name, price, stock, rank, changed.
    #[arg(long, value_name = "FIELD[:desc]", value_parser = parse_sort)]
    pub sort: Option<SortArg>,
}

/// `--stock`: a stock filter, or `any` for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StockArg {
    Zero,
    Low,
    Any,
}

impl StockArg {
    fn filter(self) -> Option<StockFilter> {
        match self {
            StockArg::Zero => Some(StockFilter::Zero),
            StockArg::Low => Some(StockFilter::Low),
            StockArg::Any => None,
        }
    }
}

/// `--sort FIELD[:desc]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortArg {
    pub key: SortKey,
    pub descending: bool,
}

impl clap::ValueEnum for StatusFilter {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            StatusFilter::Active,
            StatusFilter::Inactive,
            StatusFilter::Eol,
            StatusFilter::Missing,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            StatusFilter::Active => PossibleValue::new("active"),
            StatusFilter::Inactive => PossibleValue::new("inactive"),
            StatusFilter::Eol => PossibleValue::new("eol").alias("end_of_life"),
            StatusFilter::Missing => PossibleValue::new("missing"),
        })
    }
}

impl clap::ValueEnum for SortKey {
    fn value_variants<'a>() -> &'a [Self] {
        SortKey::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}

impl clap::ValueEnum for crate::model::RunStatus {
    fn value_variants<'a>() -> &'a [Self] {
        crate::model::RunStatus::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}

impl ProductFilterArgs {
    /// The store query these flags describe; `default_sort` applies when `--sort` is absent.
    pub fn query(&self, default_sort: SortKey) -> Result<ProductQuery, Failure> {
        let sort = self.sort.unwrap_or(SortArg {
            key: default_sort,
            descending: false,
        });
        if let Some(a) = self.account.as_deref().filter(|a| a.trim().is_empty()) {
            return Err(Failure::usage(format!(
                "--account needs an account name, not \"{a}\""
            )));
        }
        Ok(ProductQuery {
            text: self.search.clone().filter(|t| !t.trim().is_empty()),
            account: self.account.clone(),
            status: self.status,
            stock: self.stock.and_then(StockArg::filter),
            sort: sort.key,
            descending: sort.descending,
        })
    }
}

/// The value parser of `--sort`: a sort field, then `:asc` or `:desc` if given.
pub fn parse_sort(s: &str) -> Result<SortArg, String> {
    use clap::ValueEnum;
    let (field, dir) = match s.split_once(':') {
        Some((f, d)) => (f, Some(d)),
        None => (s, None),
    };
    let key = SortKey::from_str(field, false).map_err(|_| {
        let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "unknown sort field \"{field}\" (expected one of: {})",
            names.join(", ")
        )
    })?;
    let descending = match dir {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(format!(
                "the direction after ':' must be asc or desc, not \"{other}\""
            ));
        }
    };
    Ok(SortArg { key, descending })
}

/// `--account NAME` must name a configured account or one the store has data for; a typo is
/// an error listing the known names, not an empty result.
pub async fn check_account(
    config: &crate::config::Config,
    store: &crate::store::Store,
    account: Option<&str>,
) -> Result<(), Failure> {
    let Some(name) = account else { return Ok(()) };
    let db = |e: sqlx::Error| {
        Failure::runtime(format!(
            "database error: {}",
            crate::store::short_db_error(&e)
        ))
    };
    if config.accounts.iter().any(|a| a.name == name)
        || store.accounts().has(name).await.map_err(db)?
    {
        return Ok(());
    }
    let mut known: Vec<String> = config.accounts.iter().map(|a| a.name.clone()).collect();
    for a in store.accounts().stored().await.map_err(db)? {
        if !known.contains(&a) {
            known.push(a);
        }
    }
    Err(Failure::usage(if known.is_empty() {
        format!("--account: no account \"{name}\" is configured or stored (there are none yet)")
    } else {
        format!(
            "--account: no account \"{name}\" is configured or stored (known: {})",
            known.join(", ")
        )
    }))
}

/// `--limit`: a positive count.
pub fn parse_limit(n: i64) -> Result<i64, Failure> {
    if n > 0 {
        Ok(n)
    } else {
        Err(Failure::usage(format!(
            "--limit must be at least 1, not {n}"
        )))
    }
}

/// A clap value parser for counts and ids: a whole number of at least 1. The argument must
/// also set `allow_negative_numbers`, so "-1" reaches this sentence instead of being taken for
/// a flag.
pub fn at_least_one<T: TryFrom<i128> + Copy>(s: &str) -> Result<T, String> {
    let n: i128 = s
        .trim()
        .parse()
        .map_err(|_| format!("must be a whole number, not \"{s}\""))?;
    if n < 1 {
        return Err(format!("must be at least 1, not {n}"));
    }
    T::try_from(n).map_err(|_| format!("{n} is too large"))
}

/// `--items-per-page`: 1 to eMAG's page maximum.
pub fn items_per_page(s: &str) -> Result<u32, String> {
    let max = crate::config::MAX_ITEMS_PER_PAGE;
    let n: u32 = at_least_one(s)?;
    if n > max {
        return Err(format!("eMAG serves at most {max} items per page, not {n}"));
    }
    Ok(n)
}

/// `--since`: an age (`30m`, `24h`, `7d`, `2w`), an RFC 3339 time or a date (UTC midnight).
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, Failure> {
    let bad = || {
        Failure::usage(format!(
            "--since must be an age like 30m, 24h or 7d, or a time like 2026-11-28T09:00:00Z, not \"{s}\""
        ))
    };
    let t = s.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc());
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let age = match unit {
        "s" => Duration::try_seconds(n),
        "m" | "min" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        "w" => Duration::try_weeks(n),
        _ => None,
    }
    .ok_or_else(bad)?;
    now.checked_sub_signed(age).ok_or_else(bad)
}

/// A timestamp for tables: local time to the second.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A timestamp for machine output: RFC 3339 in UTC with milliseconds.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let last = cells.len().saturating_sub(1);
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i < last {
                let pad = widths[i] - c.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// Text shortened to `max` characters with an ellipsis, on one line.
pub fn clip(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut t: String = one_line.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_at_least_one_and_say_so() {
        assert_eq!(at_least_one::<u32>("5"), Ok(5));
        assert_eq!(at_least_one::<i64>(" 12 "), Ok(12));
        assert_eq!(
            at_least_one::<u32>("-1"),
            Err("must be at least 1, not -1".to_string())
        );
        assert_eq!(
            at_least_one::<u32>("0"),
            Err("must be at least 1, not 0".to_string())
        );
        assert!(
            at_least_one::<u32>("4294967296")
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            at_least_one::<i64>("99999999999999999999999999999999999999999")
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            at_least_one::<u32>("1.5")
                .unwrap_err()
                .contains("whole number")
        );
        assert_eq!(items_per_page("100"), Ok(100));
        assert!(items_per_page("101").unwrap_err().contains("at most 100"));
        assert!(items_per_page("-3").unwrap_err().contains("at least 1"));
        assert!(parse_limit(-1).unwrap_err().message.contains("at least 1"));
    }

    #[test]
    fn since_accepts_ages_times_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_since("7d", now).unwrap(), now - Duration::days(7));
        assert_eq!(parse_since("24h", now).unwrap(), now - Duration::hours(24));
        assert_eq!(
            parse_since("30m", now).unwrap(),
            now - Duration::minutes(30)
        );
        assert_eq!(
            rfc3339(parse_since("2026-11-28T09:00:00+02:00", now).unwrap()),
            "2026-11-28T07:00:00.000Z"
        );
        assert_eq!(
            rfc3339(parse_since("2026-11-01", now).unwrap()),
            "2026-11-01T00:00:00.000Z"
        );
        for bad in ["", "7", "d", "7y", "yesterday", "-3d"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }

    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        filters: ProductFilterArgs,
    }

    fn parse(args: &[&str]) -> Result<ProductQuery, clap::Error> {
        use clap::Parser;
        let flags = Flags::try_parse_from(std::iter::once("magsync").chain(args.iter().copied()))?;
        Ok(flags.filters.query(SortKey::Name).unwrap())
    }

    #[test]
    fn sort_and_filters_parse_or_explain() {
        let q = parse(&["--sort", "price:desc", "--stock", "any"]).unwrap();
        assert_eq!(
            (q.sort, q.descending, q.stock),
            (SortKey::Price, true, None)
        );
        let q = parse(&[
            "--status",
            "end_of_life",
            "--stock",
            "low",
            "--sort",
            "rank:asc",
        ])
        .unwrap();
        assert_eq!(
            (q.status, q.stock, q.sort, q.descending),
            (
                Some(StatusFilter::Eol),
                Some(StockFilter::Low),
                SortKey::Rank,
                false
            )
        );
        assert_eq!(parse(&[]).unwrap().sort, SortKey::Name);
        for (flag, args, says) in [
            (
                "--sort",
                ["--sort", "colour"],
                "unknown sort field \"colour\"",
            ),
            (
                "--sort",
                ["--sort", "name:up"],
                "must be asc or desc, not \"up\"",
            ),
            ("--status", ["--status", "on"], "'on'"),
            ("--stock", ["--stock", "some"], "'some'"),
        ] {
            let e = parse(&args).unwrap_err().render().to_string();
            let first = e.lines().next().unwrap();
            assert!(first.contains(flag) && first.contains(says), "{e}");
        }
    }

    #[test]
    fn table_and_clip() {
        let t = render_table(&["A", "BB"], &[vec!["ăăă".into(), "x".into()]]);
        assert_eq!(t, "A    BB\năăă  x\n");
        assert_eq!(clip("ab\ncdef", 4), "ab …");
    }
}
