//! The terminal loop: owns the terminal, turns terminal events, effect results and the clock
//! into messages, and redraws only when something changed, at most ~30 times a second.

use super::app::{App, Effect, Msg};
use super::effects::Executor;
use super::engine_backend::{DashboardEngine, OwnRuns};
use super::jobs::Jobs;
use super::views;
use crate::store::Store;
use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyCode, KeyEvent, KeyModifiers,
    MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, Write, stdout};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// At most this often; a slow SSH link never gets a queue of stale frames.
const FRAME: Duration = Duration::from_millis(33);

/// Results waiting for the UI task; jobs wait when it is full.
const INBOX: usize = 64;

type Term = Terminal<CrosstermBackend<Stdout>>;

fn enter(mouse: bool) -> std::io::Result<Term> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen)?;
    if mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    let mut t = Terminal::new(CrosstermBackend::new(stdout()))?;
    t.clear()?;
    Ok(t)
}

/// Gives the terminal back; safe to call twice (the panic hook and the normal exit).
pub fn leave() {
    let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), crossterm::cursor::Show);
}

/// A panic restores the terminal first, then records the report in the log file (the screen
/// is gone by then) and prints it below the shell prompt.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        let bt = std::backtrace::Backtrace::force_capture();
        tracing::error!("the dashboard panicked: {info}\n{bt}");
        previous(info);
    }));
}

/// Writes an OSC 52 clipboard request; the terminal (even over SSH) copies the text.
fn osc52(text: &str) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

/// Ctrl-Z: give the terminal back, stop like any job, and take it again on `fg`.
fn suspend(term: &mut Term, mouse: bool) -> std::io::Result<()> {
    leave();
    // Raw mode turns Ctrl-Z into a key; stop ourselves with the signal the shell expects, sent
    // by the kill(2) call of rustix (already our safe wrapper for the umask) rather than a
    // `kill` child process, which may be missing and costs a fork.
    #[cfg(unix)]
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TSTP);
    *term = enter(mouse)?;
    Ok(())
}

fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Mouse(m) => {
            let code = match m.kind {
                MouseEventKind::ScrollUp => KeyCode::Up,
                MouseEventKind::ScrollDown => KeyCode::Down,
                _ => return None,
            };
            Some(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
        }
        _ => None,
    }
}

/// Runs the dashboard until the user quits.
pub async fn run<E: DashboardEngine>(
    mut app: App,
    store: Store,
    engine: E,
    mouse: bool,
) -> anyhow::Result<()> {
    install_panic_hook();
    let mut term = enter(mouse)?;
    let size = term.size()?;
    app.size = (size.width, size.height);

    let (tx, mut rx) = tokio::sync::mpsc::channel(INBOX);
    let runs = Arc::new(OwnRuns::new());
    let executor = Executor {
        store,
        engine: Arc::new(engine),
        runs: runs.clone(),
        accounts: app.accounts.iter().map(|a| a.name.clone()).collect(),
        tx,
        health: app.health.clone(),
        index: crate::index::SharedIndex::new(),
    };
    let mut jobs = Jobs::new();
    // Messages the loop makes itself (a copy's confirmation); the channel is for the jobs.
    let mut own: Vec<Msg> = Vec::new();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut pending = app.init();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;

    let result: anyhow::Result<()> = async {
        loop {
            for effect in pending.drain(..) {
                match effect {
                    Effect::Quit => return Ok(()),
                    Effect::Suspend => {
                        suspend(&mut term, mouse)?;
                        dirty = true;
                    }
                    Effect::Bell => {
                        use std::io::Write;
                        let mut out = std::io::stdout();
                        let _ = out.write_all(b"\x07").and_then(|_| out.flush());
                    }
                    Effect::Copy(text) => {
                        osc52(&text);
                        own.push(Msg::Copied(text));
                    }
                    other => executor.spawn(&mut jobs, other),
                }
            }
            if dirty && last_draw.elapsed() >= FRAME {
                term.draw(|f| views::draw(f, &app))?;
                dirty = false;
                last_draw = Instant::now();
            }
            let next_frame = tokio::time::Instant::from_std(last_draw + FRAME);
            let msg = if let Some(m) = own.pop() {
                m
            } else {
                tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ev)) => match to_msg(ev) { Some(m) => m, None => continue },
                    Some(Err(e)) => return Err(e.into()),
                    None => return Ok(()),
                },
                Some(m) = rx.recv() => m,
                _ = tick.tick() => Msg::Tick(chrono::Utc::now()),
                _ = tokio::time::sleep_until(next_frame), if dirty => continue,
                }
            };
            if let Msg::Resize(..) = msg {
                term.autoresize()?;
            }
            let quiet = app.is_quiet(&msg);
            pending = app.update(msg);
            dirty |= !quiet;
        }
    }
    .await;
    jobs.abort_all();
    leave();
    // Cancelled runs record their end in the store; give them a moment to do so.
    let _ = tokio::time::timeout(Duration::from_secs(10), runs.shutdown()).await;
    result
}
