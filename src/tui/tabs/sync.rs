//! 2 Sync: the selected account's live run log (level filter, `/` search, wrap, scrolling) and
//! the options form (`o`) of its next run. The tab's state and its keys; `app` wires them into
//! `update()`, `views/sync.rs` and `views/options.rs` draw them.

use super::FormField;
use crate::model::{ConflictStrategy, EventLevel, SyncEvent, SyncMode, SyncOptions};
use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// The options form (`o`): tui-input fields for numbers, toggles for the rest.
#[derive(Debug, Clone)]
pub struct OptionsForm {
    pub account: String,
    pub focus: OptionsField,
    /// Carried, not edited: `i` and `f` choose the mode of the run they start.
    pub mode: SyncMode,
    pub max_pages: Input,
    pub items_per_page: Input,
    pub include_inactive: bool,
    pub strategy: ConflictStrategy,
    pub error: Option<String>,
}

/// A field of the options form, in the order the form shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionsField {
    MaxPages,
    ItemsPerPage,
    IncludeInactive,
    Strategy,
}

impl super::FormField for OptionsField {
    const FIELDS: &'static [OptionsField] = &OptionsField::ALL;
}

impl OptionsField {
    pub const ALL: [OptionsField; 4] = [
        OptionsField::MaxPages,
        OptionsField::ItemsPerPage,
        OptionsField::IncludeInactive,
        OptionsField::Strategy,
    ];

    pub fn label(self) -> &'static str {
        match self {
            OptionsField::MaxPages => "incremental pages",
            OptionsField::ItemsPerPage => "items per page",
            OptionsField::IncludeInactive => "include inactive",
            OptionsField::Strategy => "conflict strategy",
        }
    }

    /// Typed into (a text input) rather than toggled.
    pub fn is_text(self) -> bool {
        matches!(self, OptionsField::MaxPages | OptionsField::ItemsPerPage)
    }
}

impl OptionsForm {
    pub fn new(account: &str, o: &SyncOptions) -> OptionsForm {
        OptionsForm {
            account: account.to_string(),
            focus: OptionsField::MaxPages,
            mode: o.mode,
            max_pages: Input::new(o.max_pages.map(|p| p.to_string()).unwrap_or_default()),
            items_per_page: Input::new(o.items_per_page.to_string()),
            include_inactive: o.include_inactive,
            strategy: o.conflict_strategy,
            error: None,
        }
    }

    /// The text input of a typed field.
    pub fn input(&self, field: OptionsField) -> Option<&Input> {
        match field {
            OptionsField::MaxPages => Some(&self.max_pages),
            OptionsField::ItemsPerPage => Some(&self.items_per_page),
            _ => None,
        }
    }

    /// The options typed, or the one sentence saying what is wrong.
    pub fn options(&self) -> Result<SyncOptions, String> {
        let max_pages = match self.max_pages.value().trim() {
            "" => None,
            v => Some(
                v.parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("max pages must be a positive number, not \"{v}\""))?,
            ),
        };
        let v = self.items_per_page.value().trim();
        let items_per_page = v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| format!("items per page must be 1 to 100, not \"{v}\""))?;
        Ok(SyncOptions {
            mode: self.mode,
            max_pages,
            items_per_page,
            include_inactive: self.include_inactive,
            conflict_strategy: self.strategy,
        })
    }
}

/// What a key did to the options form.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionsKey {
    /// Esc: close the form, nothing saved.
    Close,
    /// Enter with valid fields: these options for the account's next runs.
    Save(SyncOptions),
    /// Anything else: the form stays open.
    Stay,
}

impl OptionsForm {
    /// Keys of the form: Tab/↑↓ move, ←→/Space toggle, Enter saves, Esc closes.
    pub fn key(&mut self, ev: KeyEvent) -> OptionsKey {
        match ev.code {
            KeyCode::Esc => return OptionsKey::Close,
            KeyCode::Up | KeyCode::BackTab => self.focus = self.focus.next(false),
            KeyCode::Down | KeyCode::Tab => self.focus = self.focus.next(true),
            KeyCode::Enter => match self.options() {
                Ok(o) => return OptionsKey::Save(o),
                Err(e) => self.error = Some(e),
            },
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if !self.focus.is_text() => {
                let fwd = ev.code != KeyCode::Left;
                match self.focus {
                    OptionsField::IncludeInactive => self.include_inactive = !self.include_inactive,
                    _ => self.strategy = super::step(ConflictStrategy::ALL, self.strategy, fwd),
                }
            }
            _ if self.focus.is_text() => {
                let input = if self.focus == OptionsField::MaxPages {
                    &mut self.max_pages
                } else {
                    &mut self.items_per_page
                };
                input.handle_event(&crossterm::event::Event::Key(ev));
                self.error = None;
            }
            _ => {}
        }
        OptionsKey::Stay
    }
}

/// The live log pane of the selected account's run.
#[derive(Debug, Clone, Default)]
pub struct LogPane {
    pub run_id: Option<i64>,
    pub events: Vec<SyncEvent>,
    pub last_id: i64,
    /// Following the tail; scrolling up pauses, End resumes.
    pub follow: bool,
    /// Lines from the bottom when paused.
    pub scroll_back: usize,
    pub min_level: Option<EventLevel>,
    pub loading: bool,
    /// `/` in the log pane: only lines containing this text (any case) show.
    pub search: Input,
    /// The search line has the keyboard.
    pub searching: bool,
    /// `w` toggles: long lines cut at the pane's edge instead of wrapping under themselves.
    pub nowrap: bool,
}

impl LogPane {
    pub fn visible(&self) -> Vec<&SyncEvent> {
        let min = self.min_level.map(level_rank).unwrap_or(0);
        let needle = self.search.value().trim().to_lowercase();
        self.events
            .iter()
            .filter(|e| level_rank(e.level) >= min)
            .filter(|e| needle.is_empty() || e.message.to_lowercase().contains(&needle))
            .collect()
    }
}

pub fn level_rank(l: EventLevel) -> u8 {
    match l {
        EventLevel::Debug => 0,
        EventLevel::Info => 1,
        EventLevel::Warn => 2,
        EventLevel::Error => 3,
    }
}

impl LogPane {
    /// Typing in the search line: Enter keeps the filter, Esc clears it; a new filter shows its
    /// newest matches.
    pub fn search_key(&mut self, ev: KeyEvent) {
        match ev.code {
            KeyCode::Esc => {
                self.searching = false;
                self.search.reset();
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Up => self.searching = false,
            _ => {
                self.search.handle_event(&crossterm::event::Event::Key(ev));
            }
        }
        self.scroll_back = 0;
        self.follow = true;
    }

    /// The next lowest level shown: all, info, warn, error, then all again.
    pub fn next_level(&mut self) {
        self.min_level = match self.min_level {
            None => Some(EventLevel::Info),
            Some(EventLevel::Debug) => Some(EventLevel::Info),
            Some(EventLevel::Info) => Some(EventLevel::Warn),
            Some(EventLevel::Warn) => Some(EventLevel::Error),
            Some(EventLevel::Error) => None,
        };
    }

    /// Scrolls by `delta` lines (back in time when negative) in a pane showing `rows` lines.
    /// Clamped to the first screenful: scrolling past either end moves nothing, so the way
    /// back is never longer than the way there. Scrolled to the bottom, it follows the tail.
    pub fn scroll(&mut self, delta: i64, rows: usize) {
        let top = self.visible().len().saturating_sub(rows) as i64;
        let back = (self.scroll_back as i64 - delta).clamp(0, top);
        self.scroll_back = back as usize;
        self.follow = back == 0;
    }
}
