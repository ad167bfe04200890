//! The command palette (`:`, as in k9s): jump to a tab, an account, an offer or a run, start
//! syncs, preview a push, check Smart Deals prices, export the Products view, toggle colour.
//! Tab completes; Enter runs; Esc closes.

use super::app::{App, Confirm, Effect, Popup, Tab};
use crate::model::SyncMode;
use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

#[derive(Debug, Clone, Default)]
pub struct Palette {
    pub input: Input,
    pub error: Option<String>,
}

/// What the palette accepts, for completion and for the popup's help line.
pub fn commands(app: &App) -> Vec<String> {
    let mut out: Vec<String> = Tab::ALL.iter().map(|t| t.title().to_lowercase()).collect();
    for a in &app.accounts {
        out.push(format!("account {}", a.name));
    }
    out.extend(["offer ".to_string(), "run ".to_string()]);
    for mode in ["full", "incremental"] {
        out.push(format!("sync {mode} all"));
        for a in &app.accounts {
            out.push(format!("sync {mode} {}", a.name));
        }
    }
    for a in &app.accounts {
        if app.guard_hold(&a.name).is_some() {
            out.push(format!("accept hold {}", a.name));
        }
    }
    out.extend(
        [
            "push",
            "smart deals",
            "export csv",
            "export json",
            "export jsonl",
            "theme",
            "quit",
        ]
        .map(String::from),
    );
    out
}

/// The commands that start with what is typed.
pub fn matches(app: &App, typed: &str) -> Vec<String> {
    let t = typed.trim_start().to_lowercase();
    commands(app)
        .into_iter()
        .filter(|c| c.starts_with(&t))
        .collect()
}

fn common_prefix(list: &[String]) -> String {
    let Some(first) = list.first() else {
        return String::new();
    };
    let mut end = first.len();
    for s in &list[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(s.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8()),
        );
    }
    first[..end].to_string()
}

impl App {
    pub(crate) fn open_palette(&mut self) -> Vec<Effect> {
        self.popups.push(Popup::Palette(Box::default()));
        vec![]
    }

    pub(crate) fn palette_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let Some(Popup::Palette(p)) = self.popups.last_mut() else {
            return vec![];
        };
        match ev.code {
            KeyCode::Esc => {
                self.popups.pop();
                vec![]
            }
            KeyCode::Tab => {
                let typed = p.input.value().to_string();
                let found = matches(self, &typed);
                let completed = common_prefix(&found);
                if let Some(Popup::Palette(p)) = self.popups.last_mut()
                    && completed.len() > typed.trim_start().len()
                {
                    p.input = Input::new(completed);
                }
                vec![]
            }
            KeyCode::Enter => {
                let line = p.input.value().trim().to_string();
                self.popups.pop();
                match self.run_command(&line) {
                    Ok(fx) => fx,
                    Err(e) => {
                        // Back in the palette with the line and why it failed.
                        self.popups.push(Popup::Palette(Box::new(Palette {
                            input: Input::new(line),
                            error: Some(e),
                        })));
                        vec![]
                    }
                }
            }
            _ => {
                p.input.handle_event(&crossterm::event::Event::Key(ev));
                p.error = None;
                vec![]
            }
        }
    }

    /// Runs one palette command, or says in one sentence why it cannot.
    pub fn run_command(&mut self, line: &str) -> Result<Vec<Effect>, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let account_index = |app: &App, name: &str| {
            app.accounts
                .iter()
                .position(|a| a.name == name)
                .ok_or_else(|| format!("no account \"{name}\" is configured"))
        };
        match words.as_slice() {
            [] => Ok(vec![]),
            [tab] if Tab::ALL.iter().any(|t| t.title().eq_ignore_ascii_case(tab)) => {
                let t = Tab::ALL
                    .into_iter()
                    .find(|t| t.title().eq_ignore_ascii_case(tab))
                    .unwrap_or(Tab::Connections);
                Ok(self.switch(t))
            }
            ["account", name] => {
                self.selected_account = account_index(self, name)?;
                let mut fx = self.switch(Tab::Sync);
                fx.extend(self.follow_log_run());
                Ok(fx)
            }
            ["offer", id] => {
                let id: i64 = id
                    .parse()
                    .map_err(|_| format!("\"{id}\" is not an offer id"))?;
                Ok(vec![Effect::FindOffer(id)])
            }
            ["run", id] => {
                let id: i64 = id
                    .parse()
                    .map_err(|_| format!("\"{id}\" is not a run id"))?;
                Ok(vec![Effect::LoadRun(id)])
            }
            ["sync", mode, target] => {
                let mode = match *mode {
                    "full" => SyncMode::Full,
                    "incremental" | "inc" => SyncMode::Incremental,
                    other => return Err(format!("sync {other}: say full or incremental")),
                };
                if *target == "all" {
                    return Ok(self.ask_sync_all(mode));
                }
                let i = account_index(self, target)?;
                let account = self.accounts[i].name.clone();
                match mode {
                    SyncMode::Incremental => Ok(self.start_account(account, mode)),
                    SyncMode::Full => {
                        self.popups.push(Popup::Confirm(Confirm::FullSync {
                            account,
                            pages: None,
                        }));
                        Ok(vec![])
                    }
                }
            }
            ["accept", "hold", target] => {
                let i = account_index(self, target)?;
                let account = self.accounts[i].name.clone();
                if self.guard_hold(&account).is_none() {
                    return Err(format!(
                        "{account}: no run is held by the mass-missing guard"
                    ));
                }
                Ok(self.ask_accept_hold(account))
            }
            ["push"] => {
                self.tab = Tab::Changes;
                Ok(self.preview_push(false))
            }
            ["smart", "deals"] => self.smart_deals_of_selection().map_err(|e| e.to_string()),
            ["export", rest @ ..] => self.export_view(rest),
            ["theme"] => {
                self.theme.color = !self.theme.color;
                Ok(vec![])
            }
            ["quit"] => Ok(self.request_quit()),
            _ => Err(format!(
                "unknown command \"{line}\"; Tab completes (tabs, account, offer, run, sync, accept hold, push, smart deals, export, theme, quit)"
            )),
        }
    }
}

impl App {
    /// `export [csv|json|jsonl] [FILE]`: the Products view (its search, filters and sort, every
    /// matching offer, not only the loaded rows) to FILE, by default
    /// `magsync-products-YYYYMMDD-HHMMSS.csv` in the current folder, written off the UI task.
    fn export_view(&mut self, args: &[&str]) -> Result<Vec<Effect>, String> {
        use crate::cli::export::Format;
        if self.tab != Tab::Products {
            return Err(
                "export writes the Products view; open it (3) and export from there".into(),
            );
        }
        let (format, rest) = match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
            Some("csv") => (Format::Csv, &args[1..]),
            Some("json") => (Format::Json, &args[1..]),
            Some("jsonl") => (Format::Jsonl, &args[1..]),
            _ => (Format::Csv, args),
        };
        let ext = match format {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
        };
        let path = match rest {
            [] => format!(
                "magsync-products-{}.{ext}",
                self.now.with_timezone(&self.tz).format("%Y%m%d-%H%M%S")
            ),
            [file] => file.to_string(),
            _ => return Err("export takes a format (csv, json, jsonl) and one file name".into()),
        };
        self.toast(format!("exporting the Products view to {path}…"), false);
        Ok(vec![Effect::Export {
            query: self.products.query.clone(),
            format,
            path,
        }])
    }
}
