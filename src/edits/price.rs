//! Prices typed by a person (`offer set --price`, the dashboard's edit form): digits with one
//! dot or comma and at most four decimals, never a float, exponent or digit separator.

use super::validate::MAX_DECIMALS;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Digits before the decimal point that both stores hold (NUMERIC(19,4) on Postgres).
const MAX_WHOLE_DIGITS: usize = 15;

/// Parses "104.95", "104,95" or "105"; anything else is one sentence saying what is accepted.
pub fn parse(text: &str) -> Result<Decimal, String> {
    let s = text.trim();
    let not_a_price = || {
        format!(
            "\"{text}\" is not a price: use digits with one dot or comma and at most {MAX_DECIMALS} decimals (e.g. 104.95)"
        )
    };
    if let Some(rest) = s.strip_prefix('-')
        && parse(rest).is_ok()
    {
        return Err(format!("\"{s}\" is not a price: it must be above 0"));
    }
    let (whole, fraction) = match s.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(not_a_price());
    }
    if let Some(f) = fraction
        && f.len() > MAX_DECIMALS as usize
    {
        return Err(format!(
            "\"{s}\" has more than {MAX_DECIMALS} decimals; eMAG accepts at most {MAX_DECIMALS}"
        ));
    }
    if whole.trim_start_matches('0').len() > MAX_WHOLE_DIGITS {
        return Err(format!(
            "\"{s}\" is too large for a price (at most {MAX_WHOLE_DIGITS} digits before the decimal point)"
        ));
    }
    let canonical = match fraction {
        Some(f) => format!("{whole}.{f}"),
        None => whole.to_string(),
    };
    Decimal::from_str(&canonical).map_err(|_| not_a_price())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        parse(s).unwrap().to_string()
    }

    #[test]
    fn accepts_digits_with_one_dot_or_comma() {
        assert_eq!(ok("104.95"), "104.95");
        assert_eq!(ok("104,95"), "104.95");
        assert_eq!(ok(" 105 "), "105");
        assert_eq!(ok("0.0001"), "0.0001");
        assert_eq!(ok("999999999999999.9999"), "999999999999999.9999");
    }

    #[test]
    fn refuses_what_is_not_plain_digits() {
        for bad in [
            "1e2", "1_000", "1 000", "1.000.5", "1,000.50", "+5", ".5", "5.", "", "abc", "0x10",
            "NaN", "inf", "١٢", "1.2.3",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("is not a price"), "{bad}: {e}");
        }
    }

    #[test]
    fn names_the_decimals_overflow_and_sign() {
        assert!(
            parse("1.23456")
                .unwrap_err()
                .contains("more than 4 decimals")
        );
        assert!(parse("1000000000000000").unwrap_err().contains("too large"));
        assert!(
            parse("99999999999999999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse("-5").unwrap_err().contains("must be above 0"));
        assert_eq!(ok("000000000000000000012.5"), "12.5");
    }
}
