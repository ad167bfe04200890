//! Colours. Meaning is always carried by a glyph or word too (✓ ✗ ⟳ ◐), so `NO_COLOR` and
//! `--no-color` simply drop every colour. `theme.toml` in the config dir overrides entries.

use crate::model::RunStatus;
use ratatui::style::{Color, Modifier, Style};
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub color: bool,
    pub ok: Color,
    pub warn: Color,
    pub error: Color,
    pub running: Color,
    pub accent: Color,
    pub dim: Color,
    pub selected_bg: Color,
}

impl Default for Theme {
    fn default() -> Self {
        // Named ANSI colours follow the terminal's palette, which keeps light themes readable.
        Theme {
            color: true,
            ok: Color::Green,
            warn: Color::Yellow,
            error: Color::Red,
            running: Color::Cyan,
            accent: Color::Blue,
            dim: Color::DarkGray,
            selected_bg: Color::Blue,
        }
    }
}

impl Theme {
    pub fn plain() -> Theme {
        Theme {
            color: false,
            ..Theme::default()
        }
    }

    pub fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    pub fn ok(&self) -> Style {
        self.fg(self.ok)
    }
    pub fn warn(&self) -> Style {
        self.fg(self.warn)
    }
    pub fn error(&self) -> Style {
        self.fg(self.error)
    }
    pub fn running(&self) -> Style {
        self.fg(self.running)
    }
    pub fn dim(&self) -> Style {
        self.fg(self.dim)
    }
    pub fn accent(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }
    pub fn bold(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    /// The selected row: reversed without colour so it still stands out.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::default()
                .bg(self.selected_bg)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn status(&self, s: RunStatus) -> Style {
        match s {
            RunStatus::Running => self.running(),
            RunStatus::Completed => self.ok(),
            RunStatus::Partial | RunStatus::Cancelled => self.warn(),
            RunStatus::Failed => self.error(),
        }
    }

    /// Applies a `theme.toml` (`ok = "green"`, `error = "#ff5555"` ...); errors name the line.
    pub fn apply_toml(&mut self, text: &str, origin: &str) -> Result<(), String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .map(|l| format!(" line {l}:"))
                .unwrap_or_default();
            format!("{origin}:{line} {}", e.message())
        })?;
        for (name, value) in &table {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with(name.as_str()))
                .map(|i| i + 1)
                .unwrap_or(1);
            let text_value = value.as_str().ok_or_else(|| {
                format!("{origin} line {line}: \"{name}\" must be a colour name or \"#rrggbb\"")
            })?;
            let color = Color::from_str(text_value).map_err(|_| {
                format!("{origin} line {line}: \"{text_value}\" is not a colour (try red, light-blue or #ff8800)")
            })?;
            let slot = match name.as_str() {
                "ok" => &mut self.ok,
                "warn" => &mut self.warn,
                "error" => &mut self.error,
                "running" => &mut self.running,
                "accent" => &mut self.accent,
                "dim" => &mut self.dim,
                "selected_bg" => &mut self.selected_bg,
                other => {
                    return Err(format!(
                        "{origin} line {line}: unknown colour \"{other}\" (expected ok, warn, error, running, accent, dim or selected_bg)"
                    ));
                }
            };
            *slot = color;
        }
        Ok(())
    }
}

/// The glyph that carries a run status without colour.
pub fn status_glyph(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Running => "⟳",
        RunStatus::Completed => "✓",
        RunStatus::Partial => "◐",
        RunStatus::Failed => "✗",
        RunStatus::Cancelled => "⊘",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_file_overrides_and_reports_lines() {
        let mut t = Theme::default();
        t.apply_toml("ok = \"#00ff00\"\n", "theme.toml").unwrap();
        assert_eq!(t.ok, Color::Rgb(0, 255, 0));
        let err = t
            .apply_toml("ok = \"green\"\nerror = \"blurple\"\n", "theme.toml")
            .unwrap_err();
        assert!(err.starts_with("theme.toml line 2:"), "{err}");
    }

    #[test]
    fn plain_theme_has_no_colour() {
        let t = Theme::plain();
        assert_eq!(t.error(), Style::default());
        assert_eq!(t.status(RunStatus::Failed), Style::default());
    }
}
