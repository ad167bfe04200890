//! Text shaping shared by `update()` (toasts) and the views.

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
