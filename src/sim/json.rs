//! A tiny JSON writer. Offers are written by hand rather than through `serde_json::Value` so the
//! key order is fixed and documented, and so variant-B money can be emitted as JSON numbers
//! straight from the fixed-point text (`107.4298`) without ever passing through an f64
//! (serde_json here has no `arbitrary_precision`).

use rust_decimal::Decimal;
use std::fmt::Write;

/// Appends `s` as a JSON string literal. Non-ASCII (diacritics, emoji) stays as UTF-8.
pub fn escape(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Money in 1/10000 units as decimal text with exactly 4 places ("107.4298", "90.0000").
pub fn money(units: i64) -> String {
    Decimal::new(units, 4).to_string()
}

/// Appends the same text as [`money`] without allocating: this is the hot path of rendering
/// pages (six prices per offer); a test pins it to rust_decimal's output.
pub fn push_money(out: &mut String, units: i64) {
    if units < 0 {
        out.push('-');
    }
    let u = units.unsigned_abs();
    let _ = write!(out, "{}.{:04}", u / 10_000, u % 10_000);
}

/// Writes the members of one object; call [`Obj::end`] to close it.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }
    /// Starts a member and returns the buffer for its raw value.
    pub fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        escape(self.out, k);
        self.out.push(':');
        self.out
    }
    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        let out = self.key(k);
        escape(out, v);
        self
    }
    pub fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.str(k, v),
            None => self.raw(k, "null"),
        }
    }
    pub fn raw(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k).push_str(v);
        self
    }
    pub fn int(&mut self, k: &str, v: i64) -> &mut Self {
        let out = self.key(k);
        let _ = write!(out, "{v}");
        self
    }
    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }
    pub fn end(self) {
        self.out.push('}');
    }
}

/// `{"isError":…,"messages":[…],…,"results":RESULTS}` with messages escaped.
pub fn envelope(is_error: bool, messages: &[String], errors: bool, results: &str) -> String {
    let mut out = String::with_capacity(results.len() + 64);
    let mut o = Obj::new(&mut out);
    o.bool("isError", is_error);
    let m = o.key("messages");
    m.push('[');
    for (i, msg) in messages.iter().enumerate() {
        if i > 0 {
            m.push(',');
        }
        escape(m, msg);
    }
    m.push(']');
    if errors {
        o.raw("errors", "[]");
    }
    o.raw("results", results);
    o.end();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_four_places() {
        assert_eq!(money(1_074_298), "107.4298");
        assert_eq!(money(900_000), "90.0000");
        assert_eq!(money(5), "0.0005");
    }

    #[test]
    fn fast_money_matches_rust_decimal() {
        let mut r = crate::sim::rng::Mix::new(9);
        let samples = (0..10_000).map(|_| r.below(100_000_000_000) as i64 - 5_000_000);
        for units in samples.chain([0, 1, 9_999, 10_000, -1, -10_000, i64::MAX / 2]) {
            let mut s = String::new();
            push_money(&mut s, units);
            assert_eq!(s, money(units), "{units}");
        }
    }

    #[test]
    fn escapes_quotes_and_controls() {
        let mut s = String::new();
        escape(&mut s, "TV 55\" \\ ă\u{1}");
        assert_eq!(s, "\"TV 55\\\" \\\\ ă\\u0001\"");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v, "TV 55\" \\ ă\u{1}");
    }
}
