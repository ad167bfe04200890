//! The rules, as a pure function of what the store says about one account.

use super::{AccountHealth, Finding, Level, Perf, Thresholds, human_age};
use crate::model::{RunStatus, SyncMode, SyncRun};
use crate::store::health::EditsWaiting;
use crate::sync::GUARD_HOLD;
use chrono::{DateTime, Duration, Utc};

/// Everything the rules look at, read by [`super::read_facts`] or written by a test.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub now: DateTime<Utc>,
    /// The newest run that has ended, whatever its status.
    pub last_finished: Option<SyncRun>,
    /// Completed runs of each mode, newest first (the newest and the history the duration
    /// median is taken over).
    pub completed_full: Vec<SyncRun>,
    pub completed_incremental: Vec<SyncRun>,
    pub edits: EditsWaiting,
    /// Offers whose buy-button rank left 1 since the last finished run started (None when
    /// there is no such run).
    pub buybox_lost: Option<u64>,
}

pub fn evaluate(account: &str, t: &Thresholds, f: &Facts) -> AccountHealth {
    let mut out = Vec::new();
    let mut perf = Vec::new();
    let secs = |d: Duration| d.num_seconds() as f64;

    let last_completed = [f.completed_full.first(), f.completed_incremental.first()]
        .into_iter()
        .flatten()
        .max_by_key(|r| r.id);
    match (last_completed, &f.last_finished) {
        (None, None) => out.push(finding(
            Level::Unknown,
            "sync_age",
            "never synced".to_string(),
        )),
        (None, Some(_)) => out.push(finding(
            Level::Critical,
            "sync_age",
            "no sync has completed yet".to_string(),
        )),
        (Some(run), _) => {
            let age = f.now - run.finished_at.unwrap_or(run.started_at);
            let level = graded(age, t.sync_warn, t.sync_crit);
            let limit = match level {
                Level::Critical => format!(" (critical after {})", human_age(t.sync_crit)),
                Level::Warning => format!(" (warning after {})", human_age(t.sync_warn)),
                _ => String::new(),
            };
            out.push(finding(
                level,
                "sync_age",
                format!("last sync {} ago{limit}", human_age(age)),
            ));
            perf.push(Perf {
                name: "sync_age",
                value: secs(age),
                unit: "s",
                warn: Some(secs(t.sync_warn)),
                crit: Some(secs(t.sync_crit)),
            });
        }
    }

    if f.last_finished.is_some() {
        match f.completed_full.first() {
            None => out.push(finding(
                Level::Warning,
                "full_age",
                "no complete full scan yet (vanished offers are never flagged)".to_string(),
            )),
            Some(run) => {
                let age = f.now - run.finished_at.unwrap_or(run.started_at);
                let level = graded(age, t.full_warn, t.full_crit);
                let limit = match level {
                    Level::Critical => format!(" (critical after {})", human_age(t.full_crit)),
                    Level::Warning => format!(" (warning after {})", human_age(t.full_warn)),
                    _ => String::new(),
                };
                out.push(finding(
                    level,
                    "full_age",
                    format!("last full scan {} ago{limit}", human_age(age)),
                ));
                perf.push(Perf {
                    name: "full_age",
                    value: secs(age),
                    unit: "s",
                    warn: Some(secs(t.full_warn)),
                    crit: Some(secs(t.full_crit)),
                });
                perf.push(Perf {
                    name: "offers_seen",
                    value: run.counts.offers_seen as f64,
                    unit: "",
                    warn: None,
                    crit: None,
                });
            }
        }
    }

    if let Some(run) = &f.last_finished {
        last_run(run, t, &mut out, &mut perf);
    }
    count_drop(t, f, &mut out);
    buybox_lost(t, f, &mut out, &mut perf);
    duration(t, f, last_completed, &mut out);
    edits(t, &f.edits, &mut out, &mut perf);

    let level = out.iter().fold(Level::Ok, |l, x| l.worst(x.level));
    AccountHealth {
        account: account.to_string(),
        level,
        findings: out,
        perf,
    }
}

fn finding(level: Level, check: &'static str, message: String) -> Finding {
    Finding {
        level,
        check,
        message,
    }
}

fn graded(age: Duration, warn: Duration, crit: Duration) -> Level {
    if age > crit {
        Level::Critical
    } else if age > warn {
        Level::Warning
    } else {
        Level::Ok
    }
}

fn last_run(run: &SyncRun, t: &Thresholds, out: &mut Vec<Finding>, perf: &mut Vec<Perf>) {
    let c = &run.counts;
    let summary = run.error_summary.as_deref().unwrap_or("no reason recorded");
    match run.status {
        RunStatus::Failed => out.push(finding(
            Level::Critical,
            "last_run",
            format!("last run #{} ({}) failed: {summary}", run.id, run.mode),
        )),
        RunStatus::Partial if summary.starts_with(GUARD_HOLD) => out.push(finding(
            Level::Critical,
            "guard",
            format!("last run #{} {summary}", run.id),
        )),
        RunStatus::Partial => out.push(finding(
            Level::Warning,
            "last_run",
            format!(
                "last run #{} ({}) partial, {} failed pages: {summary}",
                run.id, run.mode, c.failed
            ),
        )),
        _ => {}
    }
    perf.push(Perf {
        name: "failed_pages",
        value: c.failed as f64,
        unit: "",
        warn: None,
        crit: None,
    });
    perf.push(Perf {
        name: "rate_limited",
        value: c.rate_limited as f64,
        unit: "",
        warn: Some(t.rate_limited_warn as f64),
        crit: None,
    });
    if c.rate_limited > t.rate_limited_warn {
        out.push(finding(
            Level::Warning,
            "rate_limited",
            format!(
                "last run #{} was rate limited {} times (warning above {})",
                run.id, c.rate_limited, t.rate_limited_warn
            ),
        ));
    }
    // Too few requests say nothing about a rate.
    if c.requests >= 20 {
        let rate = (c.retries + c.failed) as f64 / c.requests as f64;
        if rate > t.error_rate {
            out.push(finding(
                Level::Warning,
                "error_rate",
                format!(
                    "last run #{} retried or failed {:.0} % of its {} requests (warning above {:.0} %)",
                    run.id,
                    rate * 100.0,
                    c.requests,
                    t.error_rate * 100.0
                ),
            ));
        }
    }
}

fn count_drop(t: &Thresholds, f: &Facts, out: &mut Vec<Finding>) {
    let [last, previous, ..] = f.completed_full.as_slice() else {
        return;
    };
    // A scan of all statuses and one of active offers only do not count the same thing.
    if last.options.include_inactive != previous.options.include_inactive {
        return;
    }
    let (now, before) = (last.counts.offers_seen, previous.counts.offers_seen);
    if before <= 0 || now >= before {
        return;
    }
    let drop = (before - now) as f64 / before as f64;
    if drop > t.count_drop_share {
        out.push(finding(
            Level::Warning,
            "count_drop",
            format!(
                "offers seen fell from {before} to {now} (-{:.0} %) since the previous full scan (warning above {:.0} %)",
                drop * 100.0,
                t.count_drop_share * 100.0
            ),
        ));
    }
}

fn buybox_lost(t: &Thresholds, f: &Facts, out: &mut Vec<Finding>, perf: &mut Vec<Perf>) {
    let (Some(lost), Some(run)) = (f.buybox_lost, &f.last_finished) else {
        return;
    };
    perf.push(Perf {
        name: "buybox_lost",
        value: lost as f64,
        unit: "",
        warn: None,
        crit: None,
    });
    // The share is of the catalogue a complete scan listed; without one there is no base.
    let Some(listed) = f.completed_full.first().map(|r| r.counts.offers_seen) else {
        return;
    };
    if listed <= 0 || lost == 0 {
        return;
    }
    let share = lost as f64 / listed as f64;
    if share > t.buybox_lost_share {
        out.push(finding(
            Level::Warning,
            "buybox_lost",
            format!(
                "the buy button was lost on {lost} of {listed} offers ({:.0} %) since run #{} started (warning above {:.0} %)",
                share * 100.0,
                run.id,
                t.buybox_lost_share * 100.0
            ),
        ));
    }
}

fn run_duration(r: &SyncRun) -> Option<Duration> {
    r.finished_at.map(|end| end - r.started_at)
}

fn duration(t: &Thresholds, f: &Facts, last: Option<&SyncRun>, out: &mut Vec<Finding>) {
    let Some(last) = last else { return };
    let history = match last.mode {
        SyncMode::Full => &f.completed_full,
        SyncMode::Incremental => &f.completed_incremental,
    };
    let mut earlier: Vec<Duration> = history
        .iter()
        .filter(|r| r.id != last.id)
        .take(t.duration_history)
        .filter_map(run_duration)
        .collect();
    let Some(took) = run_duration(last) else {
        return;
    };
    if earlier.len() < 3 {
        return;
    }
    earlier.sort();
    let median = earlier[earlier.len() / 2];
    if took < t.duration_min && median < t.duration_min {
        return;
    }
    let factor = t.duration_factor;
    let (ms, mm) = (
        took.num_milliseconds() as f64,
        median.num_milliseconds() as f64,
    );
    let verdict = if ms * factor < mm {
        "much shorter"
    } else if ms > mm * factor {
        "much longer"
    } else {
        return;
    };
    out.push(finding(
        Level::Warning,
        "duration",
        format!(
            "last {} run #{} took {}, {verdict} than the usual {} (median of the {} before it)",
            last.mode,
            last.id,
            human_age(took),
            human_age(median),
            earlier.len()
        ),
    ));
}

fn edits(t: &Thresholds, e: &EditsWaiting, out: &mut Vec<Finding>, perf: &mut Vec<Perf>) {
    if e.pending_old > 0 {
        out.push(finding(
            Level::Warning,
            "pending_edits",
            format!(
                "{} pending edits not pushed for over {} (run `magsync push`)",
                e.pending_old,
                human_age(t.pending_edit_warn)
            ),
        ));
    }
    if e.conflicts > 0 {
        out.push(finding(
            Level::Warning,
            "conflicts",
            format!(
                "{} edit conflicts wait for a decision (`magsync conflicts`)",
                e.conflicts
            ),
        ));
    }
    perf.push(Perf {
        name: "pending_edits_old",
        value: e.pending_old as f64,
        unit: "",
        warn: Some(0.0),
        crit: None,
    });
    perf.push(Perf {
        name: "conflicts",
        value: e.conflicts as f64,
        unit: "",
        warn: Some(0.0),
        crit: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Schedule;
    use crate::model::{RunCounts, SyncOptions, Trigger};

    fn t() -> Thresholds {
        Thresholds::defaults(&Schedule {
            enabled: true,
            interval_minutes: 60,
            daily_full_at: None,
        })
    }

    fn run(id: i64, mode: SyncMode, ago_min: i64, secs: i64, counts: RunCounts) -> SyncRun {
        let start = Utc::now() - Duration::minutes(ago_min);
        SyncRun {
            id,
            account: "main".into(),
            mode,
            trigger: Trigger::Schedule,
            status: RunStatus::Completed,
            options: SyncOptions {
                mode,
                ..SyncOptions::default()
            },
            started_at: start,
            finished_at: Some(start + Duration::seconds(secs)),
            heartbeat_at: start,
            counts,
            next_page: None,
            error_summary: None,
            offers_expected: None,
        }
    }

    fn counts(requests: i64, retries: i64, rate_limited: i64, seen: i64) -> RunCounts {
        RunCounts {
            requests,
            retries,
            rate_limited,
            offers_seen: seen,
            ..RunCounts::default()
        }
    }

    /// A healthy account whose newest full run is `last`.
    fn facts(last: SyncRun) -> Facts {
        let mut full = vec![last];
        full.push(run(1, SyncMode::Full, 300, 600, counts(30, 0, 0, 1000)));
        Facts {
            now: Utc::now(),
            last_finished: Some(full[0].clone()),
            completed_full: full,
            completed_incremental: vec![],
            edits: EditsWaiting::default(),
            buybox_lost: Some(0),
        }
    }

    fn checks(f: &Facts) -> Vec<(&'static str, Level)> {
        evaluate("main", &t(), f)
            .findings
            .into_iter()
            .filter(|x| x.level != Level::Ok)
            .map(|x| (x.check, x.level))
            .collect()
    }

    /// (name, facts, the rules expected to complain)
    type Case = (&'static str, Facts, Vec<(&'static str, Level)>);

    #[test]
    fn rules_over_plain_facts() {
        let w = Level::Warning;
        let last = |c| run(9, SyncMode::Full, 20, 600, c);
        let mut cases: Vec<Case> = vec![
            ("healthy", facts(last(counts(30, 1, 0, 1000))), vec![]),
            (
                "429s",
                facts(last(counts(30, 0, 21, 1000))),
                vec![("rate_limited", w)],
            ),
            (
                "error rate",
                facts(last(counts(100, 10, 0, 1000))),
                vec![("error_rate", w)],
            ),
            (
                "too few requests for a rate",
                facts(last(counts(10, 5, 0, 1000))),
                vec![],
            ),
            (
                "a 10 % drop is allowed",
                facts(last(counts(30, 0, 0, 900))),
                vec![],
            ),
            (
                "an 11 % drop is not",
                facts(last(counts(30, 0, 0, 890))),
                vec![("count_drop", w)],
            ),
        ];
        let mut f = facts(last(counts(30, 0, 0, 500)));
        f.completed_full[0].options.include_inactive = true;
        cases.push(("a drop across filters is no drop", f, vec![]));
        let mut f = facts(last(counts(30, 0, 0, 1000)));
        f.edits = EditsWaiting {
            pending_old: 2,
            oldest_pending: None,
            conflicts: 1,
        };
        cases.push((
            "edits wait",
            f,
            vec![("pending_edits", w), ("conflicts", w)],
        ));
        let mut f = facts(last(counts(30, 0, 0, 1000)));
        f.buybox_lost = Some(100);
        cases.push(("the buy button lost on 10 % is allowed", f.clone(), vec![]));
        f.buybox_lost = Some(101);
        cases.push((
            "the buy button lost on over 10 %",
            f.clone(),
            vec![("buybox_lost", w)],
        ));
        f.completed_incremental = f.completed_full.drain(..).collect();
        cases.push((
            "no full scan, no base for a buy-button share",
            f,
            vec![("full_age", w)],
        ));
        let mut f = facts(last(counts(30, 0, 0, 1000)));
        f.completed_incremental = f.completed_full.drain(..).collect();
        cases.push(("no full scan yet", f, vec![("full_age", w)]));
        // Short runs: medians of 10 s and a run of 40 s are both under duration_min.
        let inc = |id, ago, secs| run(id, SyncMode::Incremental, ago, secs, counts(5, 0, 0, 100));
        let mut f = facts(last(counts(30, 0, 0, 1000)));
        f.completed_incremental = vec![
            inc(20, 5, 40),
            inc(12, 60, 10),
            inc(11, 120, 10),
            inc(10, 180, 10),
        ];
        cases.push(("short runs are not judged", f.clone(), vec![]));
        f.completed_incremental[0] = inc(20, 5, 90);
        cases.push(("a run over the floor is", f, vec![("duration", w)]));
        for (name, facts, want) in &cases {
            assert_eq!(&checks(facts), want, "{name}");
        }
    }
}
