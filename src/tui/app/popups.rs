//! Keys while a popup is open: confirmations, the options form, help, errors and details.

use super::{App, Confirm, Effect, Popup, Tab};
use crate::model::SyncMode;
use crate::tui::keymap::{Action, Context, Key, Keymap};
use crate::tui::tabs::sync::OptionsKey;
use crossterm::event::{KeyCode, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

impl App {
    pub(super) fn popup_key(&mut self, ev: KeyEvent, key: Key) -> Vec<Effect> {
        let Some(top) = self.popups.last_mut() else {
            return vec![];
        };
        match top {
            Popup::Edit(_) => self.edit_form_key(ev),
            Popup::PushPreview(_) => self.preview_key(ev, key),
            Popup::Bulk(_) => self.bulk_form_key(ev),
            Popup::Palette(_) => self.palette_key(ev),
            Popup::Copy { items, selected } => {
                let delta: i64 = match self.keymap.action(Context::Global, key) {
                    Some(Action::Up) => -1,
                    Some(Action::Down) => 1,
                    _ => 0,
                };
                match ev.code {
                    KeyCode::Esc => {
                        self.popups.pop();
                        vec![]
                    }
                    KeyCode::Enter | KeyCode::Char('y') => {
                        let value = items.get(*selected).map(|(_, v)| v.clone());
                        self.popups.pop();
                        value.map(Effect::Copy).into_iter().collect()
                    }
                    _ => {
                        let n = items.len() as i64;
                        *selected = (*selected as i64 + delta).clamp(0, (n - 1).max(0)) as usize;
                        vec![]
                    }
                }
            }
            Popup::Confirm(c) => {
                let c = c.clone();
                match ev.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                        self.popups.pop();
                        match c {
                            Confirm::FullSync { account, .. } => {
                                self.start_account(account, SyncMode::Full)
                            }
                            Confirm::AcceptGuardHold { account, .. } => self.accept_hold(account),
                            Confirm::CancelRun { run_id, .. } => vec![Effect::CancelRun(run_id)],
                            Confirm::QuitWhileRunning { .. } => self.quit_now(),
                            Confirm::Discard { ids, .. } => vec![Effect::Discard(ids)],
                            Confirm::SyncAll { mode, accounts, .. } => accounts
                                .into_iter()
                                .flat_map(|a| self.start_account(a, mode))
                                .collect(),
                        }
                    }
                    KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                        self.popups.pop();
                        vec![]
                    }
                    // Any other key is ignored: a stray key neither starts work nor loses the
                    // question.
                    _ => vec![],
                }
            }
            Popup::Options(form) => {
                match form.key(ev) {
                    OptionsKey::Close => {
                        self.popups.pop();
                    }
                    OptionsKey::Save(o) => {
                        let account = form.account.clone();
                        self.popups.pop();
                        self.toast(format!("{account}: options saved for this session"), false);
                        self.options.insert(account, o);
                    }
                    OptionsKey::Stay => {}
                }
                vec![]
            }
            Popup::Help {
                filter,
                typing,
                scroll,
            } => {
                if *typing {
                    match ev.code {
                        KeyCode::Esc | KeyCode::Enter => *typing = false,
                        _ => {
                            let event = crossterm::event::Event::Key(ev);
                            if filter.handle_event(&event).is_some() {
                                // A new filter shows its matches from the top.
                                *scroll = 0;
                            }
                        }
                    }
                } else if ev.code == KeyCode::Char('/') {
                    *typing = true;
                } else if ev.code == KeyCode::Enter {
                    // Runs the selected line, on its own tab when it is another tab's key.
                    let (filter, selected) = (filter.clone(), *scroll as usize);
                    let row = self
                        .keymap
                        .help_matching(self.tab.context(), filter.value())
                        .into_iter()
                        .nth(selected);
                    self.popups.pop();
                    let Some((section, _, _, action)) = row else {
                        return vec![];
                    };
                    let mut fx = match Tab::ALL
                        .into_iter()
                        .find(|t| t.context().as_str() == section)
                    {
                        Some(tab) if tab != self.tab => self.switch(tab),
                        _ => vec![],
                    };
                    fx.extend(self.on_action(action));
                    return fx;
                } else if matches!(
                    ev.code,
                    KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q')
                ) {
                    self.popups.pop();
                } else {
                    // Bounded by the rows here; the view also stops at the last screenful.
                    let delta = scroll_delta(&self.keymap, key, 10_000);
                    let (filter, current) = (filter.clone(), i32::from(*scroll));
                    let rows = self
                        .keymap
                        .help_matching(self.tab.context(), filter.value())
                        .len() as i32;
                    if let Some(Popup::Help { scroll, .. }) = self.popups.last_mut() {
                        *scroll = (current + delta).clamp(0, (rows - 1).max(0)) as u16;
                    }
                }
                vec![]
            }
            Popup::Errors { .. } | Popup::Offer(_) | Popup::Run(_) => {
                if ev.code == KeyCode::Esc || key == Key::ch('q') {
                    self.popups.pop();
                    return vec![];
                }
                if let (Popup::Offer(d), Some(Action::Copy)) =
                    (&*top, self.keymap.action(Context::Products, key))
                {
                    // Any field: id, part number, EAN, URL, the row as JSON.
                    let items = d.copyable();
                    self.popups.push(Popup::Copy { items, selected: 0 });
                    return vec![];
                }
                // Drill-through: Tab walks the links (a run's changed offers, an offer's
                // changes by run), Enter opens the selected one over this popup.
                if matches!(ev.code, KeyCode::Tab | KeyCode::BackTab) {
                    let forward = ev.code == KeyCode::Tab;
                    let step = |link: &mut Option<usize>, links: &[usize]| {
                        if links.is_empty() {
                            return;
                        }
                        let pos = link.and_then(|l| links.iter().position(|x| *x == l));
                        let n = links.len();
                        let next = match (pos, forward) {
                            (None, true) => 0,
                            (None, false) => n - 1,
                            (Some(p), true) => (p + 1) % n,
                            (Some(p), false) => (p + n - 1) % n,
                        };
                        *link = Some(links[next]);
                    };
                    match top {
                        Popup::Run(d) => {
                            let links: Vec<usize> = (0..d.changes.len()).collect();
                            step(&mut d.link, &links);
                        }
                        Popup::Offer(d) => {
                            let links = d.run_links();
                            step(&mut d.link, &links);
                        }
                        _ => {}
                    }
                    return vec![];
                }
                if ev.code == KeyCode::Enter {
                    let target = match &*top {
                        Popup::Run(d) => Some(
                            d.link
                                .and_then(|i| d.changes.get(i))
                                .map(|c| Effect::LoadOffer {
                                    account: c.account.clone(),
                                    id: c.offer_id,
                                })
                                .ok_or("Tab selects a changed offer, Enter opens it"),
                        ),
                        Popup::Offer(d) => Some(
                            d.link
                                .and_then(|i| d.changes.get(i))
                                .and_then(|c| c.run_id)
                                .map(Effect::LoadRun)
                                .ok_or("Tab selects a change, Enter opens the run that made it"),
                        ),
                        _ => None,
                    };
                    return match target {
                        Some(Ok(fx)) => vec![fx],
                        Some(Err(why)) => {
                            self.toast(why, false);
                            vec![]
                        }
                        None => vec![],
                    };
                }
                let delta: i32 = match self.keymap.action(Context::Global, key) {
                    Some(Action::Up) => -1,
                    Some(Action::Down) => 1,
                    Some(Action::HalfPageUp) => -10,
                    Some(Action::HalfPageDown) => 10,
                    Some(Action::Top) => -100_000,
                    _ => 0,
                };
                // Scrolling by hand lets go of the selected link (which held the view).
                let scroll = match top {
                    Popup::Errors { scroll } => scroll,
                    Popup::Offer(d) => {
                        if delta != 0 {
                            d.link = None;
                        }
                        &mut d.scroll
                    }
                    Popup::Run(d) => {
                        if delta != 0 {
                            d.link = None;
                        }
                        &mut d.scroll
                    }
                    _ => return vec![],
                };
                *scroll = (*scroll as i32 + delta).clamp(0, u16::MAX as i32) as u16;
                vec![]
            }
        }
    }
}

/// Lines a popup's list moves for `key`: a line, half a page, or `jump` to either end.
pub(super) fn scroll_delta(keymap: &Keymap, key: Key, jump: i32) -> i32 {
    match keymap.action(Context::Global, key) {
        Some(Action::Up) => -1,
        Some(Action::Down) => 1,
        Some(Action::HalfPageUp) => -10,
        Some(Action::HalfPageDown) => 10,
        Some(Action::Top) => -jump,
        Some(Action::Bottom) => jump,
        _ => 0,
    }
}
