//! What the daemon should do at a given instant: pure, so tests drive it with any clock.
//!
//! Per account:
//! - **Incremental** runs in slots `anchor + k·interval`, each started at a jittered time that
//!   avoids round minutes ([`super::jitter`]). When a slot comes while the account is busy (a
//!   run of ours still going, or another process holds its lock) the slot is skipped and
//!   logged; missed slots are never queued, so runs never stack and a late daemon never bursts.
//! - **Daily full** (optional) at a local time: due when no full run has started since the
//!   latest occurrence of that time (so a daemon that was down at 03:17 catches up once, and a
//!   restart after today's full does not repeat it). A full that finds its account busy is
//!   deferred until the account is free instead of being lost for the day. A full supersedes
//!   the incremental due at the same time.
//!
//! Globally: retention every 24 h (runs, events and changes older than each account's
//! retention), and stuck-run cleanup every minute (`running` runs whose heartbeat is older than
//! the threshold become `failed`, "interrupted").

use super::daily;
use super::jitter;
use crate::model::SyncMode;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One account as the schedule sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountPlan {
    pub name: String,
    /// Page cap of incremental runs (the account's `max_pages`); fulls read everything.
    pub max_pages: Option<u32>,
    pub retention_days: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleConfig {
    pub interval: Duration,
    pub daily_full_at: Option<NaiveTime>,
    /// A `running` run whose heartbeat is older than this is marked failed.
    pub stale_after: Duration,
    /// How often stuck runs are looked for.
    pub stale_check_every: Duration,
    /// How often retention runs.
    pub retention_every: Duration,
    /// Random, round-minute-avoiding start times. Off only for `--once --no-jitter` (cron lines
    /// pick their own odd minute) and tests that need exact times.
    pub jitter: bool,
}

impl ScheduleConfig {
    pub fn new(interval_minutes: u32, daily_full_at: Option<NaiveTime>) -> Self {
        ScheduleConfig {
            interval: Duration::minutes(i64::from(interval_minutes.max(1))),
            daily_full_at,
            stale_after: Duration::from_std(crate::store::lock::STALE_AFTER)
                .unwrap_or(Duration::seconds(60)),
            stale_check_every: Duration::minutes(1),
            retention_every: Duration::days(1),
            jitter: true,
        }
    }
}

/// What the schedule decided for this moment.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Start a sync of `account`.
    Sync {
        account: String,
        mode: SyncMode,
        max_pages: Option<u32>,
    },
    /// The account was busy when its incremental slot came: skipped, not queued.
    SkipBusy { account: String, mode: SyncMode },
    /// The daily full found the account busy: it starts as soon as the account is free.
    DeferFull { account: String },
    /// Delete runs (with their events and changes) of `account` started before `cutoff`.
    Retention {
        account: String,
        cutoff: DateTime<Utc>,
    },
    /// Mark `running` runs with a heartbeat older than `cutoff` as failed ("interrupted").
    FailStale { cutoff: DateTime<Utc> },
}

#[derive(Debug, Clone)]
struct AccountState {
    plan: AccountPlan,
    /// The current incremental slot and its jittered start.
    slot: DateTime<Utc>,
    next_incremental: DateTime<Utc>,
    /// Jittered start of the next daily full (None without a daily full).
    next_full: Option<DateTime<Utc>>,
    full_deferred: bool,
}

pub struct Scheduler<Tz: TimeZone> {
    config: ScheduleConfig,
    tz: Tz,
    rng: ChaCha8Rng,
    accounts: Vec<AccountState>,
    next_stale_check: DateTime<Utc>,
    next_retention: DateTime<Utc>,
}

impl<Tz: TimeZone> Scheduler<Tz> {
    /// A schedule starting at `now`. `last_full_started` gives, per account, when its newest
    /// full run started (from the store), so the daily full is neither repeated nor forgotten
    /// across restarts. `seed` fixes the jitter (tests); None draws it from the OS.
    pub fn new(
        config: ScheduleConfig,
        tz: Tz,
        accounts: Vec<AccountPlan>,
        last_full_started: &dyn Fn(&str) -> Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        seed: Option<u64>,
    ) -> Self {
        let mut rng = match seed {
            Some(s) => ChaCha8Rng::seed_from_u64(s),
            None => ChaCha8Rng::from_os_rng(),
        };
        let accounts = accounts
            .into_iter()
            .map(|plan| {
                // The first slot is now: a daemon that starts syncs soon, each account at its
                // own jittered second so they do not hit eMAG together.
                let next_incremental = start_at(&config, now, &mut rng);
                let next_full = config.daily_full_at.map(|at| {
                    let latest = daily::latest_at_or_before(now, at, &tz);
                    let done_since = last_full_started(&plan.name).is_some_and(|t| t >= latest);
                    let base = if done_since {
                        daily::next_after(now, at, &tz)
                    } else {
                        now
                    };
                    start_at(&config, base, &mut rng)
                });
                AccountState {
                    plan,
                    slot: now,
                    next_incremental,
                    next_full,
                    full_deferred: false,
                }
            })
            .collect();
        Scheduler {
            next_stale_check: now,
            next_retention: now,
            config,
            tz,
            rng,
            accounts,
        }
    }

    pub fn config(&self) -> &ScheduleConfig {
        &self.config
    }

    /// What is due at `now`. `busy(account)` says whether the account is running (here or in
    /// another process); the caller reports refused starts the same way.
    pub fn due(&mut self, now: DateTime<Utc>, busy: &dyn Fn(&str) -> bool) -> Vec<Decision> {
        let mut decisions = Vec::new();
        if now >= self.next_stale_check {
            decisions.push(Decision::FailStale {
                cutoff: now - self.config.stale_after,
            });
            self.next_stale_check = now + self.config.stale_check_every;
        }
        if now >= self.next_retention {
            for a in &self.accounts {
                decisions.push(Decision::Retention {
                    account: a.plan.name.clone(),
                    cutoff: now - Duration::days(i64::from(a.plan.retention_days)),
                });
            }
            self.next_retention = now + self.config.retention_every;
        }
        for a in &mut self.accounts {
            let name = a.plan.name.clone();
            let is_busy = busy(&name);
            let full_due = a.next_full.is_some_and(|t| now >= t);
            let incremental_due = now >= a.next_incremental;
            if full_due {
                if is_busy {
                    if !a.full_deferred {
                        decisions.push(Decision::DeferFull { account: name });
                        a.full_deferred = true;
                    }
                    // The incremental slot still passes (skipped) so it does not fire the
                    // moment the account frees up, ahead of the full.
                    if incremental_due {
                        advance_slot(a, now, &self.config, &mut self.rng);
                    }
                    continue;
                }
                decisions.push(Decision::Sync {
                    account: name,
                    mode: SyncMode::Full,
                    max_pages: None,
                });
                a.full_deferred = false;
                if let Some(at) = self.config.daily_full_at {
                    let next = daily::next_after(now, at, &self.tz);
                    a.next_full = Some(start_at(&self.config, next, &mut self.rng));
                }
                // The full covers the incremental that is due now.
                if incremental_due {
                    advance_slot(a, now, &self.config, &mut self.rng);
                }
                continue;
            }
            if incremental_due {
                decisions.push(if is_busy {
                    Decision::SkipBusy {
                        account: name,
                        mode: SyncMode::Incremental,
                    }
                } else {
                    Decision::Sync {
                        account: name,
                        mode: SyncMode::Incremental,
                        max_pages: a.plan.max_pages,
                    }
                });
                advance_slot(a, now, &self.config, &mut self.rng);
            }
        }
        decisions
    }

    /// When something may next be due (the daemon sleeps until then, or a shutdown).
    pub fn next_wakeup(&self) -> DateTime<Utc> {
        let mut t = self.next_stale_check.min(self.next_retention);
        for a in &self.accounts {
            t = t.min(a.next_incremental);
            if let Some(f) = a.next_full {
                t = t.min(f);
            }
        }
        t
    }

    /// The next incremental and full start of `account` (logging, tests).
    pub fn next_runs(&self, account: &str) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        self.accounts
            .iter()
            .find(|a| a.plan.name == account)
            .map(|a| (a.next_incremental, a.next_full))
    }
}

/// Moves to the first slot after `now` (missed slots are dropped, never queued) and jitters it.
fn advance_slot(
    a: &mut AccountState,
    now: DateTime<Utc>,
    config: &ScheduleConfig,
    rng: &mut ChaCha8Rng,
) {
    let interval = config.interval;
    let behind = (now - a.slot).num_milliseconds().max(0) / interval.num_milliseconds().max(1);
    a.slot += interval * (behind as i32 + 1);
    a.next_incremental = start_at(config, a.slot, rng);
}

fn start_at(config: &ScheduleConfig, slot: DateTime<Utc>, rng: &mut ChaCha8Rng) -> DateTime<Utc> {
    if config.jitter {
        jitter::jittered(slot, config.interval, rng)
    } else {
        slot
    }
}
