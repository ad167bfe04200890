//! Text shaping shared by `update()` (toasts), the tabs and the views.

/// `s` cut to `width` characters, with `…` where it was cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// 1274 → "1 274" (the sketch's thin grouping; narrow and unambiguous across locales).
pub fn group(n: i64) -> String {
    crate::model::group_digits(n)
}
