//! `magsync sync`: headless runs of one or all accounts, in parallel, with progress bars on a
//! terminal, a summary line each, or one JSON object per run; SIGINT (Ctrl-C), SIGTERM and
//! SIGHUP cancel cleanly and exit 128 + the signal's number (130, 143, 129).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::GlobalArgs;
use super::filters::{at_least_one, items_per_page};
use super::output::{note, reportln};
use crate::error::{EXIT_FAILURE, Failure};
use crate::model::{ConflictStrategy, RunStatus, SyncMode, Trigger};
use crate::store::Store;
use crate::sync::{Engine, RunHandle, RunProgress};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 every run completed, 1 a run ended partial or failed (or \
was refused), 2 usage error, 130 / 143 / 129 cancelled by SIGINT (Ctrl-C) / SIGTERM (timeout, \
kill, systemd, docker) / SIGHUP. A signal cancels every run between pages: each ends \
`cancelled` with its counts, and its account lock is released."
)]
pub struct Args {
    /// A configured account, or `all` (`both` is accepted for the original's users).
    #[arg(long, default_value = "all", value_name = "NAME|all")]
    pub account: String,
    /// `full` reads every page and flags vanished offers; `incremental` reads a rotating window.
    #[arg(long, default_value = "full", value_name = "full|incremental")]
    pub mode: SyncMode,
    /// Pages per incremental run (default: the account's `max_pages`, else `[sync]
    /// incremental_max_pages`).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one::<u32>)]
    pub max_pages: Option<u32>,
    /// Offers per page, 1..100 (eMAG's maximum is 100).
    #[arg(long, value_name = "1..100", allow_negative_numbers = true, value_parser = items_per_page)]
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
    /// When stderr is not a terminal (cron, journald), print a progress line per running
    /// account every SECS seconds: pages, offers, rate and time left.
    #[arg(long, value_name = "SECS", default_value_t = 10, allow_negative_numbers = true, value_parser = at_least_one::<u64>)]
    pub progress_every: u64,

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
                note!("magsync: {name}: {e}");
            }
        }
    }

    let on_terminal = std::io::stderr().is_terminal();
    let bars = (!args.json && on_terminal).then(|| Bars::new(&handles));
    let lines =
        (!on_terminal).then(|| progress_lines(&handles, Duration::from_secs(args.progress_every)));
    let interrupted = wait_all(&handles, bars.as_ref(), interrupt).await;
    if let Some(task) = lines {
        task.abort();
    }
    if let Some(b) = &bars {
        // Final positions stay on screen above the summary lines.
        b.draw(&handles);
        for bar in &b.bars {
            bar.abandon();
        }
    }
    let mut all_completed = !refused;
    let interrupted = interrupted.map(|signal| signal.exit_code());
    for h in handles {
        let last = h.done.await.unwrap_or_else(|_| {
            let mut p = h.progress.borrow().clone();
            p.status = RunStatus::Failed;
            p.error_summary = Some("the run task panicked; see the log".into());
            p
        });
        all_completed &= last.status == RunStatus::Completed;
        if args.json {
            reportln!("{}", run_json(&last));
        } else {
            reportln!("{}", summary_line(&last));
        }
    }
    Ok(if let Some(code) = interrupted {
        code
    } else if all_completed {
        0
    } else {
        EXIT_FAILURE
    })
}

/// Waits for every run, redrawing bars; the first stop signal cancels them all (they still
/// finish cleanly) and is returned.
async fn wait_all(
    handles: &[RunHandle],
    bars: Option<&Bars>,
    mut interrupt: Interrupt,
) -> Option<StopSignal> {
    let mut interrupted = None;
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
            signal = interrupt.recv(), if interrupted.is_none() => {
                interrupted = Some(signal);
                for h in handles {
                    h.cancel.cancel();
                }
            }
        }
    }
}

use super::signals::{Interrupt, StopSignal};

/// Progress as plain lines for logs (cron mail, journald): one per running account every
/// `every`, the first after one period, so a short run prints only its summary. Abort the task
/// when the runs are done.
fn progress_lines(handles: &[RunHandle], every: Duration) -> tokio::task::JoinHandle<()> {
    let runs: Vec<_> = handles.iter().map(|h| h.progress.clone()).collect();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        // A late tick (a busy machine) shifts the next ones instead of bunching them.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for run in &runs {
                let p = run.borrow().clone();
                if p.status == RunStatus::Running {
                    note!("{}", progress_line(&p));
                }
            }
        }
    })
}

/// "main: page 12/40, 1 200 offers, 95 offers/s, ETA 0:29".
fn progress_line(p: &RunProgress) -> String {
    let c = &p.counts;
    let pages = match c.pages_total {
        Some(total) => format!("page {}/{}", c.pages_done, total.max(c.pages_done)),
        None => format!("page {}", c.pages_done),
    };
    let eta = p.eta.map_or("unknown".to_string(), minutes_seconds);
    let mut line = format!(
        "{}: {pages}, {} offers, {:.0} offers/s, ETA {eta}",
        p.account, c.offers_seen, p.offers_per_sec
    );
    if c.retries + c.rate_limited > 0 {
        line.push_str(&format!(
            ", {} retries, {} rate limited",
            c.retries, c.rate_limited
        ));
    }
    line
}

/// A duration as m:ss ("0:29", "12:05", "75:00").
fn minutes_seconds(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunCounts;

    #[test]
    fn eta_is_minutes_and_seconds() {
        assert_eq!(minutes_seconds(Duration::from_secs(29)), "0:29");
        assert_eq!(minutes_seconds(Duration::from_secs(725)), "12:05");
        assert_eq!(minutes_seconds(Duration::from_secs(4500)), "75:00");
    }

    #[test]
    fn a_progress_line_names_account_pages_offers_rate_and_eta() {
        let mut p = RunProgress::new(7, "main", SyncMode::Full, chrono::Utc::now());
        p.counts = RunCounts {
            pages_done: 12,
            pages_total: Some(40),
            offers_seen: 1200,
            ..Default::default()
        };
        p.offers_per_sec = 95.4;
        p.eta = Some(Duration::from_secs(89));
        assert_eq!(
            progress_line(&p),
            "main: page 12/40, 1200 offers, 95 offers/s, ETA 1:29"
        );
        p.counts.pages_total = None;
        p.eta = None;
        p.counts.retries = 2;
        assert_eq!(
            progress_line(&p),
            "main: page 12, 1200 offers, 95 offers/s, ETA unknown, 2 retries, 0 rate limited"
        );
    }
}
