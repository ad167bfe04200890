//! The one keymap. Key handling, the status-line hints and the `?` help overlay all read it,
//! so a remapped key can never drift from what the screen says. `keymap.toml` in the config dir
//! overrides bindings by action name.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

/// Where a binding applies; `Global` bindings apply everywhere a tab binding does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Connections,
    Sync,
    Products,
    History,
    Changes,
    Buybox,
}

impl Context {
    pub const ALL: [Context; 7] = [
        Context::Global,
        Context::Connections,
        Context::Sync,
        Context::Products,
        Context::History,
        Context::Changes,
        Context::Buybox,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Connections => "connections",
            Context::Sync => "sync",
            Context::Products => "products",
            Context::History => "history",
            Context::Changes => "changes",
            Context::Buybox => "buybox",
        }
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal, $help:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),+ }
        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];
            pub fn name(self) -> &'static str { match self { $(Action::$variant => $name),+ } }
            pub fn help(self) -> &'static str { match self { $(Action::$variant => $help),+ } }
        }
    };
}

actions! {
    Quit => "quit", "quit";
    Help => "help", "help";
    TabConnections => "tab_connections", "connections tab";
    TabSync => "tab_sync", "sync tab";
    TabProducts => "tab_products", "products tab";
    TabHistory => "tab_history", "history tab";
    TabChanges => "tab_changes", "changes tab";
    TabBuybox => "tab_buybox", "buy button tab";
    NextTab => "next_tab", "next tab";
    PrevTab => "prev_tab", "previous tab";
    Up => "up", "up";
    Down => "down", "down";
    Top => "top", "first row";
    Bottom => "bottom", "last row";
    HalfPageUp => "half_page_up", "half page up";
    HalfPageDown => "half_page_down", "half page down";
    Open => "open", "details";
    Back => "back", "back";
    Errors => "errors", "errors";
    SyncIncremental => "sync_incremental", "incremental";
    SyncFull => "sync_full", "full";
    SyncAll => "sync_all", "all";
    SyncAllFull => "sync_all_full", "full all";
    CancelRun => "cancel", "cancel";
    Options => "options", "options";
    Test => "test", "test";
    TestAll => "test_all", "test all";
    Follow => "follow", "follow log";
    LogLevel => "log_level", "log level";
    LogWrap => "log_wrap", "wrap log lines";
    Search => "search", "search";
    FilterAccount => "filter_account", "account";
    FilterStatus => "filter_status", "status";
    FilterStock => "filter_stock", "stock";
    FilterSince => "filter_since", "since";
    SortNext => "sort", "sort";
    SortReverse => "sort_reverse", "reverse";
    Copy => "copy", "copy part no.";
    EditOffer => "edit_offer", "edit";
    Push => "push", "push edits";
    PushAccount => "push_account", "push account";
    Mark => "mark", "mark row";
    Discard => "discard", "withdraw edit";
    BulkEdit => "bulk_edit", "bulk edit";
    Refresh => "refresh", "reload now";
    Palette => "palette", "command palette";
    KeepLocal => "keep_local", "keep mine";
    KeepRemote => "keep_remote", "take eMAG's";
    Summary => "summary", "summary / runs";
    QueueSuggestion => "queue_suggestion", "queue suggestion";
    LosingOnly => "losing_only", "lost only";
    AcceptGuardHold => "accept_guard_hold", "accept guard hold";
    SmartDeals => "smart_deals", "Smart Deals check";
}

/// A key with modifiers, written like `q`, `G`, `ctrl-d`, `shift-tab`, `enter`, `f5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub const fn ch(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: false,
        }
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }
    pub const fn code(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    /// Normalises a terminal key event (Shift is folded into the character).
    pub fn from_event(ev: &KeyEvent) -> Key {
        let code = match ev.code {
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::SHIFT) => {
                KeyCode::Char(c.to_ascii_uppercase())
            }
            other => other,
        };
        Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let lower = s.trim().to_ascii_lowercase();
        let (ctrl, rest) = match lower.strip_prefix("ctrl-") {
            Some(r) => (true, r.to_string()),
            None => (false, s.trim().to_string()),
        };
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
                    _ => return Err(format!("unknown key \"{s}\"")),
                }
            }
        };
        Ok(Key { code, ctrl })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub context: Context,
    pub action: Action,
    pub keys: Vec<Key>,
    /// Shown in the status line (the rest only in `?`).
    pub hint: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        use Action::*;
        use Context::*;
        let b = |context, action, keys: &[Key], hint| Binding {
            context,
            action,
            keys: keys.to_vec(),
            hint,
        };
        let k = Key::ch;
        let c = Key::code;
        Keymap {
            bindings: vec![
                // Tab actions first: hints read left to right from the most specific.
                b(Connections, Test, &[k('t')], true),
                b(Connections, TestAll, &[k('T')], true),
                b(Connections, SyncIncremental, &[k('i')], true),
                b(Connections, SyncFull, &[k('f')], true),
                // Hinted by the health panel only while an account is held.
                b(Connections, AcceptGuardHold, &[k('M')], false),
                b(Sync, SyncIncremental, &[k('i')], true),
                b(Sync, SyncFull, &[k('f')], true),
                b(Sync, SyncAll, &[k('a')], true),
                b(Sync, SyncAllFull, &[k('A')], false),
                b(Sync, AcceptGuardHold, &[k('M')], false),
                b(Sync, CancelRun, &[k('c')], true),
                b(Sync, Options, &[k('o')], true),
                b(Sync, LogLevel, &[k('l')], true),
                b(Sync, Search, &[k('/')], false),
                b(Sync, LogWrap, &[k('w')], false),
                b(Sync, Follow, &[c(KeyCode::End)], true),
                b(Sync, Open, &[c(KeyCode::Enter)], false),
                b(Products, EditOffer, &[k('e')], true),
                b(Products, Mark, &[k(' ')], false),
                b(Products, BulkEdit, &[k('b')], true),
                b(Products, Search, &[k('/')], true),
                b(Products, FilterAccount, &[k('a')], true),
                b(Products, FilterStatus, &[k('s')], true),
                b(Products, FilterStock, &[k('x')], true),
                b(Products, SortNext, &[k('o')], true),
                b(Products, SortReverse, &[k('r')], true),
                b(Products, Copy, &[k('y')], true),
                b(Products, Open, &[c(KeyCode::Enter)], true),
                b(Changes, Push, &[k('p')], true),
                b(Changes, PushAccount, &[k('P')], false),
                b(Changes, Mark, &[k(' ')], true),
                b(Changes, Discard, &[k('d')], true),
                b(Changes, KeepLocal, &[k('l')], true),
                b(Changes, KeepRemote, &[k('r')], true),
                b(Buybox, QueueSuggestion, &[k('a')], true),
                b(Buybox, LosingOnly, &[k('l')], true),
                b(Buybox, SmartDeals, &[k('s')], true),
                b(Buybox, Open, &[c(KeyCode::Enter)], true),
                b(History, FilterStatus, &[k('s')], true),
                b(History, FilterAccount, &[k('a')], true),
                b(History, FilterSince, &[k('t')], true),
                b(History, Open, &[c(KeyCode::Enter)], true),
                b(History, Summary, &[k('v')], true),
                b(Global, Help, &[k('?')], true),
                b(Global, Palette, &[k(':')], false),
                b(Global, Quit, &[k('q')], true),
                // E too, so the list opens where a tab takes `e` (Products' edit).
                b(Global, Errors, &[k('e'), k('E')], false),
                b(Global, TabConnections, &[k('1')], false),
                b(Global, TabSync, &[k('2')], false),
                b(Global, TabProducts, &[k('3')], false),
                b(Global, TabHistory, &[k('4')], false),
                b(Global, TabChanges, &[k('5')], false),
                b(Global, TabBuybox, &[k('6')], false),
                b(Global, NextTab, &[c(KeyCode::Tab)], false),
                b(Global, PrevTab, &[c(KeyCode::BackTab)], false),
                b(Global, Up, &[c(KeyCode::Up), k('k')], false),
                b(Global, Down, &[c(KeyCode::Down), k('j')], false),
                b(Global, Top, &[k('g'), c(KeyCode::Home)], false),
                b(Global, Bottom, &[k('G')], false),
                b(
                    Global,
                    HalfPageUp,
                    &[Key::ctrl('u'), c(KeyCode::PageUp)],
                    false,
                ),
                b(
                    Global,
                    HalfPageDown,
                    &[Key::ctrl('d'), c(KeyCode::PageDown)],
                    false,
                ),
                b(Global, Open, &[c(KeyCode::Enter)], false),
                b(Global, Back, &[c(KeyCode::Esc)], false),
                b(Global, Refresh, &[Key::ctrl('r')], false),
            ],
        }
    }
}

impl Keymap {
    /// The action for a key in a tab: the tab's own bindings win over global ones.
    pub fn action(&self, context: Context, key: Key) -> Option<Action> {
        let find = |ctx: Context| {
            self.bindings
                .iter()
                .find(|b| b.context == ctx && b.keys.contains(&key))
                .map(|b| b.action)
        };
        find(context).or_else(|| find(Context::Global))
    }

    /// The first key bound to an action (for prompts such as "press ? for help").
    pub fn key_for(&self, context: Context, action: Action) -> Option<Key> {
        [context, Context::Global].iter().find_map(|ctx| {
            self.bindings
                .iter()
                .find(|b| b.context == *ctx && b.action == action)
                .and_then(|b| b.keys.first().copied())
        })
    }

    /// A key that really triggers `action` in `context`: bound to it there or globally, and not
    /// taken by the tab for something else (a global `e` means nothing where the tab binds `e`).
    pub fn effective_key(&self, context: Context, action: Action) -> Option<Key> {
        [context, Context::Global].iter().find_map(|ctx| {
            self.bindings
                .iter()
                .filter(|b| b.context == *ctx && b.action == action)
                .flat_map(|b| b.keys.iter().copied())
                .find(|k| self.action(context, *k) == Some(action))
        })
    }

    /// The bindings of a tab as they act there: the tab's own, then each global one with the
    /// keys the tab has not taken (a global Enter behind the tab's Enter is neither shown nor
    /// reachable), so no key is listed twice.
    fn effective(&self, context: Context) -> Vec<(Context, Action, Vec<Key>, bool)> {
        let own = |k: &Key| {
            self.bindings
                .iter()
                .any(|b| b.context == context && b.keys.contains(k))
        };
        let mut out = Vec::new();
        let contexts: &[Context] = if context == Context::Global {
            &[Context::Global]
        } else {
            &[context, Context::Global]
        };
        for &ctx in contexts {
            for b in self.bindings.iter().filter(|b| b.context == ctx) {
                let keys: Vec<Key> = if ctx == context {
                    b.keys.clone()
                } else {
                    b.keys.iter().copied().filter(|k| !own(k)).collect()
                };
                if !keys.is_empty() {
                    out.push((ctx, b.action, keys, b.hint));
                }
            }
        }
        out
    }

    /// Status-line hints for a tab: `(key, label, global)`, tab keys then global ones.
    pub fn hints(&self, context: Context) -> Vec<(String, &'static str, bool)> {
        self.effective(context)
            .into_iter()
            .filter(|(_, _, _, hint)| *hint)
            .map(|(ctx, action, keys, _)| {
                (keys[0].to_string(), action.help(), ctx == Context::Global)
            })
            .collect()
    }

    /// Help rows for a tab: (section, keys, description).
    pub fn help_rows(&self, context: Context) -> Vec<(&'static str, String, &'static str)> {
        self.help_actions(context)
            .into_iter()
            .map(|(section, keys, help, _)| (section, keys, help))
            .collect()
    }

    /// [`Self::help_rows`] with the action of each row, for running a row from `?`.
    pub fn help_actions(
        &self,
        context: Context,
    ) -> Vec<(&'static str, String, &'static str, Action)> {
        self.effective(context)
            .into_iter()
            .map(|(ctx, action, keys, _)| {
                let keys: Vec<String> = keys.iter().map(Key::to_string).collect();
                (ctx.as_str(), keys.join(" "), action.help(), action)
            })
            .collect()
    }

    /// Help rows of every tab: the focused tab's (as they act there) and the global ones
    /// first, then each other tab's own keys under its name, so `?` answers "how do I ... on
    /// the History tab" from anywhere.
    pub fn all_help_rows(&self, focused: Context) -> Vec<(&'static str, String, &'static str)> {
        self.all_help_actions(focused)
            .into_iter()
            .map(|(section, keys, help, _)| (section, keys, help))
            .collect()
    }

    /// The rows of [`Self::all_help_actions`] whose keys, words or section contain `filter`
    /// (any case): what the `?` popup lists and Enter runs.
    pub fn help_matching(
        &self,
        focused: Context,
        filter: &str,
    ) -> Vec<(&'static str, String, &'static str, Action)> {
        let needle = filter.to_lowercase();
        self.all_help_actions(focused)
            .into_iter()
            .filter(|(section, keys, help, _)| {
                needle.is_empty()
                    || help.contains(&needle)
                    || keys.to_lowercase().contains(&needle)
                    || section.contains(&needle)
            })
            .collect()
    }

    /// [`Self::all_help_rows`] with the action of each row.
    pub fn all_help_actions(
        &self,
        focused: Context,
    ) -> Vec<(&'static str, String, &'static str, Action)> {
        let mut out = self.help_actions(focused);
        for ctx in Context::ALL {
            if ctx == focused || ctx == Context::Global {
                continue;
            }
            out.extend(
                self.help_actions(ctx)
                    .into_iter()
                    .filter(|(section, _, _, _)| *section == ctx.as_str()),
            );
        }
        out
    }

    /// Applies a `keymap.toml`: sections are contexts, keys are action names, values a key or
    /// a list of keys. Errors name the file's line.
    pub fn apply_toml(&mut self, text: &str, origin: &str) -> Result<(), String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| line_of(text, s.start))
                .map(|l| format!(" line {l}:"))
                .unwrap_or_default();
            format!("{origin}:{line} {}", e.message())
        })?;
        let mut applied: Vec<(Context, Action, usize)> = Vec::new();
        for (section, value) in &table {
            let context = Context::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == section)
                .ok_or_else(|| {
                    format!(
                        "{origin} line {}: unknown section [{section}] (expected global, connections, sync, products or history)",
                        find_line(text, &format!("[{section}]"))
                    )
                })?;
            let entries = value.as_table().ok_or_else(|| {
                format!(
                    "{origin} line {}: \"{section}\" must be a [section]",
                    find_line(text, section)
                )
            })?;
            for (name, keys) in entries {
                let line = find_line(text, name);
                let action = Action::ALL
                    .iter()
                    .copied()
                    .find(|a| a.name() == name)
                    .ok_or_else(|| format!("{origin} line {line}: unknown action \"{name}\""))?;
                let list: Vec<&str> = match keys {
                    toml::Value::String(s) => vec![s.as_str()],
                    toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                    _ => {
                        return Err(format!(
                            "{origin} line {line}: \"{name}\" must be a key such as \"q\" or a list of keys"
                        ));
                    }
                };
                let parsed = list
                    .iter()
                    .map(|k| Key::parse(k))
                    .collect::<Result<Vec<Key>, String>>()
                    .map_err(|e| format!("{origin} line {line}: {e}"))?;
                applied.push((context, action, line));
                match self
                    .bindings
                    .iter_mut()
                    .find(|b| b.context == context && b.action == action)
                {
                    Some(b) => b.keys = parsed,
                    None => self.bindings.insert(
                        0,
                        Binding {
                            context,
                            action,
                            keys: parsed,
                            hint: false,
                        },
                    ),
                }
            }
        }
        self.check_duplicates(&applied, origin)
    }

    /// A key bound to two actions in one context would silently do only one of them; the
    /// error names the file's line that made the clash (checked after every line applies, so
    /// swapping two keys works).
    fn check_duplicates(
        &self,
        applied: &[(Context, Action, usize)],
        origin: &str,
    ) -> Result<(), String> {
        for &(context, action, line) in applied {
            let Some(mine) = self
                .bindings
                .iter()
                .find(|b| b.context == context && b.action == action)
            else {
                continue;
            };
            for key in &mine.keys {
                let twice = mine.keys.iter().filter(|k| *k == key).count() > 1;
                let other = self
                    .bindings
                    .iter()
                    .find(|b| b.context == context && b.action != action && b.keys.contains(key));
                if twice {
                    return Err(format!(
                        "{origin} line {line}: \"{key}\" is listed twice for {} in [{}]",
                        action.name(),
                        context.as_str()
                    ));
                }
                if let Some(other) = other {
                    return Err(format!(
                        "{origin} line {line}: \"{key}\" is bound to both {} and {} in [{}]; bind one of them to another key",
                        action.name(),
                        other.action.name(),
                        context.as_str()
                    ));
                }
            }
        }
        Ok(())
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The first line that starts with `needle` (an action or section name), for error messages.
fn find_line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(needle))
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_bindings_win_over_global_ones() {
        let km = Keymap::default();
        assert_eq!(
            km.action(Context::Sync, Key::ch('a')),
            Some(Action::SyncAll)
        );
        assert_eq!(
            km.action(Context::Products, Key::ch('a')),
            Some(Action::FilterAccount)
        );
        assert_eq!(
            km.action(Context::History, Key::ch('q')),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(Context::Sync, Key::ctrl('d')),
            Some(Action::HalfPageDown)
        );
    }

    #[test]
    fn hints_follow_a_remapped_key() {
        let mut km = Keymap::default();
        km.apply_toml("[sync]\nsync_incremental = \"I\"\n", "keymap.toml")
            .unwrap();
        let hints = km.hints(Context::Sync);
        assert_eq!(hints[0], ("I".to_string(), "incremental", false));
        assert_eq!(
            km.action(Context::Sync, Key::ch('I')),
            Some(Action::SyncIncremental)
        );
        assert_eq!(km.action(Context::Sync, Key::ch('i')), None);
    }

    #[test]
    fn invalid_files_name_the_line() {
        let mut km = Keymap::default();
        let err = km
            .apply_toml("[sync]\n\nfrobnicate = \"x\"\n", "keymap.toml")
            .unwrap_err();
        assert_eq!(err, "keymap.toml line 3: unknown action \"frobnicate\"");
        let err = km
            .apply_toml("[sync]\nquit = = 1\n", "keymap.toml")
            .unwrap_err();
        assert!(err.starts_with("keymap.toml: line 2:"), "{err}");
        let err = km
            .apply_toml("[global]\nquit = \"ctrl-nope\"\n", "keymap.toml")
            .unwrap_err();
        assert!(
            err.contains("line 2") && err.contains("unknown key"),
            "{err}"
        );
    }

    #[test]
    fn a_key_bound_twice_in_one_context_names_the_line() {
        let mut km = Keymap::default();
        let err = km
            .apply_toml(
                "[sync]
follow = \"end\"
options = \"i\"
",
                "keymap.toml",
            )
            .unwrap_err();
        assert_eq!(
            err,
            "keymap.toml line 3: \"i\" is bound to both options and sync_incremental in [sync]; bind one of them to another key"
        );
        let mut km = Keymap::default();
        let err = km
            .apply_toml(
                "[global]
quit = [\"x\", \"x\"]
",
                "keymap.toml",
            )
            .unwrap_err();
        assert!(err.starts_with("keymap.toml line 2:"), "{err}");
        // Swapping two keys is fine: the check runs once every line applied.
        let mut km = Keymap::default();
        km.apply_toml(
            "[sync]
sync_incremental = \"f\"
sync_full = \"i\"
",
            "k",
        )
        .unwrap();
        assert_eq!(
            km.action(Context::Sync, Key::ch('f')),
            Some(Action::SyncIncremental)
        );
        // The same key in different contexts is not a clash.
        let mut km = Keymap::default();
        km.apply_toml(
            "[history]
filter_since = \"i\"
",
            "k",
        )
        .unwrap();
    }
}
