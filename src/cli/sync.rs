//! `magsync sync`: headless runs of one or all accounts, in parallel, with progress bars on a
//! terminal, a summary line each, or one JSON object per run; Ctrl-C cancels cleanly (130).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::GlobalArgs;
use crate::error::{EXIT_CANCELLED, EXIT_FAILURE, Failure};
use crate::model::{ConflictStrategy, RunStatus, SyncMode, Trigger};
use crate::store::Store;
use crate::sync::{Engine, RunHandle, RunProgress};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A configured account, or `all` (`both` is accepted for the original's users).
    #[arg(long, default_value = "all", value_name = "NAME|all")]
    pub account: String,
    /// `full` reads every page and flags vanished offers; `incremental` reads a rotating window.
    #[arg(long, default_value = "full", value_name = "full|incremental")]
    pub mode: SyncMode,
    /// Pages per incremental run (default: the account's `max_pages`, else all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pages: Option<u32>,
    /// Offers per page, 1..100 (eMAG's maximum is 100).
    #[arg(long, value_name = "1..100", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub items_per_page: Option<u32>,
    /// Also mirror inactive and end-of-life offers.
    #[arg(long)]
    pub include_inactive: bool,
    /// emag_priority, local_priority, newest_wins or manual.
    #[arg(long, value_name = "S")]
    pub conflict_strategy: Option<ConflictStrategy>,
    /// One JSON object per account run on stdout instead of bars and summaries.
    #[arg(long)]
    pub json: bool,
    /// Accept a full scan that would flag more offers missing than the mass-missing guard
    /// allows ([health] mass_missing_share, default 20 %); without it such a run ends
    /// `partial` and flags nothing. Use when eMAG really dropped that many offers.
    #[arg(long)]
    pub allow_mass_missing: bool,
}

pub async fn run(g: &GlobalArgs, args: Args) -> anyhow::Result<u8> {
    // Installed before any run row exists, so a Ctrl-C at any point after that cancels cleanly.
    let interrupt = Interrupt::install()?;
    let config = g.load_config()?;
    let _log = crate::logging::init(&config.paths.log_dir, g.log_level.as_deref(), false);
    let names: Vec<String> = config
        .select(&args.account)?
        .iter()
        .map(|a| a.name.clone())
        .collect();
    let store = Store::open(&config.database_url).await?;
    let engine = Engine::new(store, config.accounts.clone(), &config.settings);

    let mut handles: Vec<RunHandle> = Vec::new();
    let mut refused = false;
    for name in &names {
        let mut options = engine.default_options(name, args.mode);
        if args.max_pages.is_some() {
            options.max_pages = args.max_pages;
        }
        if let Some(n) = args.items_per_page {
            options.items_per_page = n;
        }
        options.include_inactive |= args.include_inactive;
        if let Some(s) = args.conflict_strategy {
            options.conflict_strategy = s;
        }
        match engine
            .start_with(name, options, Trigger::Cli, args.allow_mass_missing)
            .await
        {
            Ok(h) => handles.push(h),
            Err(e)
                if handles.is_empty()
                    && names.len() == 1
                    && e.exit_code() == crate::error::EXIT_USAGE =>
            {
                return Err(Failure::usage(e.to_string()).into());
            }
            Err(e) => {
                refused = true;
                eprintln!("magsync: {name}: {e}");
            }
        }
    }

    let bars = (!args.json && std::io::stderr().is_terminal()).then(|| Bars::new(&handles));
    let interrupted = wait_all(&handles, bars.as_ref(), interrupt).await;
    if let Some(b) = &bars {
        // Final positions stay on screen above the summary lines.
        b.draw(&handles);
        for bar in &b.bars {
            bar.abandon();
        }
    }
    let mut all_completed = !refused;
    for h in handles {
        let last = h.done.await.unwrap_or_else(|_| {
            let mut p = h.progress.borrow().clone();
            p.status = RunStatus::Failed;
            p.error_summary = Some("the run task panicked; see the log".into());
            p
        });
        all_completed &= last.status == RunStatus::Completed;
        if args.json {
            println!("{}", run_json(&last));
        } else {
            println!("{}", summary_line(&last));
        }
    }
    Ok(if interrupted {
        EXIT_CANCELLED
    } else if all_completed {
        0
    } else {
        EXIT_FAILURE
    })
}

/// Waits for every run, redrawing bars; Ctrl-C cancels them all (they still finish cleanly).
async fn wait_all(handles: &[RunHandle], bars: Option<&Bars>, mut interrupt: Interrupt) -> bool {
    let mut interrupted = false;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        if let Some(b) = bars {
            b.draw(handles);
        }
        if handles.iter().all(|h| h.done.is_finished()) {
            return interrupted;
        }
        tokio::select! {
            _ = tick.tick() => {}
            _ = interrupt.recv(), if !interrupted => {
                interrupted = true;
                for h in handles {
                    h.cancel.cancel();
                }
            }
        }
    }
}

/// SIGINT (Ctrl-C), listened for from creation on.
struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupt {
    fn install() -> anyhow::Result<Interrupt> {
        #[cfg(unix)]
        {
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
            Ok(Interrupt { signal })
        }
        #[cfg(not(unix))]
        Ok(Interrupt {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            self.signal.recv().await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

struct Bars {
    // Owns the draw target; the bars render through it.
    _multi: MultiProgress,
    bars: Vec<ProgressBar>,
}

impl Bars {
    fn new(handles: &[RunHandle]) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        let width = handles.iter().map(|h| h.account.len()).max().unwrap_or(4);
        let style = ProgressStyle::with_template(&format!(
            "{{prefix:>{width}.bold}} [{{bar:30.cyan/blue}}] {{pos}}/{{len}} pages  {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bars = handles
            .iter()
            .map(|h| {
                let bar = multi.add(ProgressBar::new(0).with_style(style.clone()));
                bar.set_prefix(h.account.clone());
                bar
            })
            .collect();
        Bars {
            _multi: multi,
            bars,
        }
    }

    fn draw(&self, handles: &[RunHandle]) {
        for (bar, h) in self.bars.iter().zip(handles) {
            let p = h.progress.borrow().clone();
            let done = p.counts.pages_done.max(0) as u64;
            bar.set_length(
                p.counts
                    .pages_total
                    .map_or(done, |t| t.max(0) as u64)
                    .max(done),
            );
            bar.set_position(done);
            let eta = p
                .eta
                .map_or(String::new(), |e| format!(", ETA {}s", e.as_secs()));
            let mut msg = format!(
                "{} offers, {:.0}/s{eta}",
                p.counts.offers_seen, p.offers_per_sec
            );
            if p.counts.retries + p.counts.rate_limited > 0 {
                msg.push_str(&format!(
                    ", {} retries, {} rate limited",
                    p.counts.retries, p.counts.rate_limited
                ));
            }
            bar.set_message(msg);
        }
    }
}

fn summary_line(p: &RunProgress) -> String {
    let mut line = format!(
        "{}: {} in {:.1} s (run {}): {}",
        p.account,
        p.status,
        p.elapsed.as_secs_f64(),
        p.run_id,
        p.counts.describe()
    );
    if let Some(e) = &p.error_summary {
        line.push_str(&format!("\n{}: {e}", p.account));
    }
    line
}

fn run_json(p: &RunProgress) -> serde_json::Value {
    let c = &p.counts;
    json!({
        "run_id": p.run_id,
        "account": p.account,
        "mode": p.mode.as_str(),
        "status": p.status.as_str(),
        "offers_seen": c.offers_seen,
        "created": c.created,
        "updated": c.updated,
        "unchanged": c.unchanged,
        "removed": c.removed,
        "failed": c.failed,
        "pages": c.pages_done,
        "requests": c.requests,
        "retries": c.retries,
        "rate_limited": c.rate_limited,
        "duration_s": (p.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        "error": p.error_summary,
    })
}
