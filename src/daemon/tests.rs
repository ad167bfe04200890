//! Schedule logic driven by a controllable clock: the test owns `now` and steps it.

use super::jitter::{is_round, max_shift};
use super::schedule::{AccountPlan, Decision, ScheduleConfig, Scheduler};
use crate::model::SyncMode;
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn plans(names: &[&str]) -> Vec<AccountPlan> {
    names
        .iter()
        .map(|n| AccountPlan {
            name: n.to_string(),
            max_pages: Some(5),
            retention_days: 30,
        })
        .collect()
}

/// A clock the test advances; every step asks the scheduler what is due.
struct Clock<Tz: chrono::TimeZone> {
    now: DateTime<Utc>,
    sched: Scheduler<Tz>,
    log: Vec<(DateTime<Utc>, Decision)>,
}

impl<Tz: chrono::TimeZone> Clock<Tz> {
    fn run_for(
        &mut self,
        span: Duration,
        step: Duration,
        busy: &dyn Fn(&str, DateTime<Utc>) -> bool,
    ) {
        let end = self.now + span;
        while self.now < end {
            let now = self.now;
            for a in self.sched.due(now, &|acct| busy(acct, now)) {
                self.log.push((now, a));
            }
            self.now += step;
        }
    }

    fn syncs(&self, account: &str, mode: SyncMode) -> Vec<DateTime<Utc>> {
        self.log
            .iter()
            .filter_map(|(t, a)| match a {
                Decision::Sync {
                    account: acc,
                    mode: m,
                    ..
                } if acc == account && *m == mode => Some(*t),
                _ => None,
            })
            .collect()
    }
}

fn clock(
    config: ScheduleConfig,
    names: &[&str],
    start: &str,
    last_full: Option<DateTime<Utc>>,
) -> Clock<FixedOffset> {
    let now = at(start);
    let tz = FixedOffset::east_opt(2 * 3600).unwrap();
    Clock {
        now,
        sched: Scheduler::new(config, tz, plans(names), &|_| last_full, now, Some(42)),
        log: Vec::new(),
    }
}

const IDLE: &dyn Fn(&str, DateTime<Utc>) -> bool = &|_, _| false;

#[test]
fn incremental_runs_come_every_interval_with_jitter_and_never_at_round_times() {
    let mut c = clock(
        ScheduleConfig::new(60, None),
        &["main", "fbe"],
        "2026-11-29T09:00:00Z",
        None,
    );
    c.run_for(Duration::hours(24), Duration::seconds(1), IDLE);
    for account in ["main", "fbe"] {
        let starts = c.syncs(account, SyncMode::Incremental);
        assert_eq!(starts.len(), 24, "{account}: {starts:?}");
        for (k, t) in starts.iter().enumerate() {
            let slot = at("2026-11-29T09:00:00Z") + Duration::hours(k as i64);
            assert!(!is_round(*t), "{t}");
            assert!(
                *t >= slot && *t - slot < max_shift(Duration::hours(1)),
                "{t} vs slot {slot}"
            );
        }
    }
    // Incremental runs carry the account's page cap.
    assert!(c.log.iter().any(|(_, a)| matches!(
        a,
        Decision::Sync {
            max_pages: Some(5),
            mode: SyncMode::Incremental,
            ..
        }
    )));
    // The two accounts do not start together.
    assert_ne!(
        c.syncs("main", SyncMode::Incremental),
        c.syncs("fbe", SyncMode::Incremental)
    );
}

#[test]
fn a_busy_account_is_skipped_never_stacked_and_no_burst_follows() {
    let mut c = clock(
        ScheduleConfig::new(10, None),
        &["main"],
        "2026-11-29T09:00:00Z",
        None,
    );
    let busy_from = at("2026-11-29T09:05:00Z");
    let busy_to = at("2026-11-29T09:47:00Z");
    c.run_for(Duration::hours(2), Duration::seconds(1), &|_, now| {
        now >= busy_from && now < busy_to
    });
    let starts = c.syncs("main", SyncMode::Incremental);
    assert!(
        starts.iter().all(|t| *t < busy_from || *t >= busy_to),
        "{starts:?}"
    );
    let skipped = c
        .log
        .iter()
        .filter(|(_, a)| matches!(a, Decision::SkipBusy { .. }))
        .count();
    assert_eq!(skipped, 4, "slots 09:10, 09:20, 09:30, 09:40 are skipped");
    // After the account frees up, the next run waits for its slot (09:50), no catch-up burst.
    let after: Vec<_> = starts.iter().filter(|t| **t >= busy_to).collect();
    assert!(*after[0] >= at("2026-11-29T09:50:00Z"), "{after:?}");
    assert!(
        after
            .windows(2)
            .all(|w| *w[1] - *w[0] > Duration::minutes(7)),
        "{after:?}"
    );
    assert_eq!(
        starts.len(),
        1 + 7,
        "09:00, then 09:50..11:00 minus the busy slots"
    );
}

#[test]
fn a_late_daemon_does_not_burst_through_missed_slots() {
    let mut c = clock(
        ScheduleConfig::new(5, None),
        &["main"],
        "2026-11-29T09:00:00Z",
        None,
    );
    c.run_for(Duration::minutes(3), Duration::seconds(1), IDLE);
    assert_eq!(c.syncs("main", SyncMode::Incremental).len(), 1);
    // The process was suspended for an hour (twelve slots): one run when it wakes...
    c.now += Duration::hours(1);
    c.run_for(Duration::seconds(1), Duration::seconds(1), IDLE);
    assert_eq!(c.syncs("main", SyncMode::Incremental).len(), 2);
    // ...and the next one waits for the next slot after now.
    let (next, _) = c.sched.next_runs("main").unwrap();
    assert!(next > c.now, "{next}");
    let slot = at("2026-11-29T10:05:00Z");
    assert!(
        next >= slot && next - slot < max_shift(Duration::minutes(5)),
        "{next}"
    );
}

#[test]
fn the_daily_full_runs_once_a_day_at_the_local_time() {
    // 03:17 in UTC+2 is 01:17Z. Start after today's full already happened.
    let full_at = NaiveTime::from_hms_opt(3, 17, 0).unwrap();
    let mut c = clock(
        ScheduleConfig::new(60, Some(full_at)),
        &["main"],
        "2026-11-29T09:00:00Z",
        Some(at("2026-11-29T01:18:10Z")),
    );
    c.run_for(Duration::days(3), Duration::seconds(5), IDLE);
    let fulls = c.syncs("main", SyncMode::Full);
    assert_eq!(fulls.len(), 3, "{fulls:?}");
    for (k, t) in fulls.iter().enumerate() {
        let occurrence = at("2026-11-30T01:17:00Z") + Duration::days(k as i64);
        assert!(
            *t >= occurrence && *t - occurrence < max_shift(Duration::hours(1)),
            "{t}"
        );
        assert!(!is_round(*t));
    }
    // Fulls read every page.
    assert!(c.log.iter().all(|(_, a)| !matches!(
        a,
        Decision::Sync {
            mode: SyncMode::Full,
            max_pages: Some(_),
            ..
        }
    )));
    // The full replaces the incremental due at the same time: never both within minutes.
    let incs = c.syncs("main", SyncMode::Incremental);
    for f in &fulls {
        assert!(
            incs.iter().all(|i| (*i - *f).num_seconds().abs() > 60),
            "full {f} and an incremental together"
        );
    }
}

#[test]
fn a_missed_daily_full_is_caught_up_once_and_a_done_one_is_not_repeated() {
    let full_at = NaiveTime::from_hms_opt(3, 17, 0).unwrap();
    // Never had a full: it runs right after start (jittered), not tomorrow.
    let mut fresh = clock(
        ScheduleConfig::new(60, Some(full_at)),
        &["main"],
        "2026-11-29T09:00:00Z",
        None,
    );
    fresh.run_for(Duration::hours(2), Duration::seconds(1), IDLE);
    let fulls = fresh.syncs("main", SyncMode::Full);
    assert_eq!(fulls.len(), 1);
    assert!(fulls[0] - at("2026-11-29T09:00:00Z") < max_shift(Duration::hours(1)));
    // Last full was yesterday's: also caught up once.
    let mut stale = clock(
        ScheduleConfig::new(60, Some(full_at)),
        &["main"],
        "2026-11-29T09:00:00Z",
        Some(at("2026-11-28T01:17:30Z")),
    );
    stale.run_for(Duration::hours(12), Duration::seconds(5), IDLE);
    assert_eq!(stale.syncs("main", SyncMode::Full).len(), 1);
    // Restarted after today's: nothing until tomorrow.
    let mut done = clock(
        ScheduleConfig::new(60, Some(full_at)),
        &["main"],
        "2026-11-29T09:00:00Z",
        Some(at("2026-11-29T01:20:00Z")),
    );
    done.run_for(Duration::hours(12), Duration::seconds(5), IDLE);
    assert!(done.syncs("main", SyncMode::Full).is_empty());
}

#[test]
fn a_daily_full_that_meets_a_busy_account_waits_for_it() {
    let full_at = NaiveTime::from_hms_opt(3, 17, 0).unwrap();
    let mut c = clock(
        ScheduleConfig::new(60, Some(full_at)),
        &["main"],
        "2026-11-29T23:00:00Z",
        Some(at("2026-11-29T01:17:30Z")),
    );
    // Busy from 01:00Z to 01:40Z on the 30th, across the 01:17Z full.
    let (from, to) = (at("2026-11-30T01:00:00Z"), at("2026-11-30T01:40:00Z"));
    c.run_for(Duration::hours(4), Duration::seconds(1), &|_, now| {
        now >= from && now < to
    });
    let deferred = c
        .log
        .iter()
        .filter(|(_, a)| matches!(a, Decision::DeferFull { .. }))
        .count();
    assert_eq!(deferred, 1, "logged once, not every tick");
    let fulls = c.syncs("main", SyncMode::Full);
    assert_eq!(fulls, vec![to], "starts the moment the account is free");
}

#[test]
fn retention_runs_daily_with_each_accounts_cutoff() {
    let mut c = clock(
        ScheduleConfig::new(60, None),
        &["main", "fbe"],
        "2026-11-29T09:00:00Z",
        None,
    );
    c.run_for(Duration::hours(50), Duration::seconds(30), IDLE);
    let ret: Vec<_> = c
        .log
        .iter()
        .filter_map(|(t, a)| match a {
            Decision::Retention { account, cutoff } => Some((*t, account.clone(), *cutoff)),
            _ => None,
        })
        .collect();
    assert_eq!(ret.len(), 6, "at start, +24 h, +48 h, for two accounts");
    for (t, _, cutoff) in &ret {
        assert_eq!(*t - *cutoff, Duration::days(30));
    }
    assert_eq!(ret[2].0 - ret[0].0, Duration::hours(24));
}

#[test]
fn stuck_run_cleanup_runs_every_minute_with_the_heartbeat_threshold() {
    let mut c = clock(
        ScheduleConfig::new(60, None),
        &["main"],
        "2026-11-29T09:00:00Z",
        None,
    );
    c.run_for(Duration::minutes(10), Duration::seconds(1), IDLE);
    let checks: Vec<_> = c
        .log
        .iter()
        .filter_map(|(t, a)| match a {
            Decision::FailStale { cutoff } => Some((*t, *cutoff)),
            _ => None,
        })
        .collect();
    assert_eq!(checks.len(), 10);
    assert_eq!(
        checks[0].0,
        at("2026-11-29T09:00:00Z"),
        "first thing at start"
    );
    for (t, cutoff) in checks {
        assert_eq!(t - cutoff, c.sched.config().stale_after);
    }
}

#[test]
fn next_wakeup_is_the_earliest_due_item() {
    let mut c = clock(
        ScheduleConfig::new(60, None),
        &["main"],
        "2026-11-29T09:00:00Z",
        None,
    );
    c.run_for(Duration::minutes(10), Duration::seconds(1), IDLE);
    let (inc, full) = c.sched.next_runs("main").unwrap();
    assert!(full.is_none());
    assert!(c.sched.next_wakeup() <= inc);
    assert!(c.sched.next_wakeup() > c.now - Duration::seconds(1));
}
