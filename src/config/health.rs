//! `[health]`: the thresholds `magsync check`, the daemon's alerts and the dashboard judge an
//! account by, with defaults tied to the schedule and per-account overrides.

use super::Schedule;
use super::file::{HealthKeys, HealthSection};
use crate::error::Failure;
use chrono::Duration;
use std::collections::BTreeMap;

/// One account's thresholds, as plain values (see config.example.toml for each).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Age of the last completed sync (any mode) before WARNING and CRITICAL.
    pub sync_warn: Duration,
    pub sync_crit: Duration,
    /// Age of the last complete full scan before WARNING and CRITICAL.
    pub full_warn: Duration,
    pub full_crit: Duration,
    /// A pending edit not pushed for this long is a WARNING.
    pub pending_edit_warn: Duration,
    /// 429 answers in the last run above which it is a WARNING.
    pub rate_limited_warn: i64,
    /// Offers seen dropping by more than this share between two complete full scans.
    pub count_drop_share: f64,
    /// A run shorter than median / factor or longer than median × factor is an anomaly.
    pub duration_factor: f64,
    /// Earlier completed runs of the same mode the median is taken over (at least 3 needed).
    pub duration_history: usize,
    /// Runs and medians both below this are never called too fast or too slow.
    pub duration_min: Duration,
    /// Share of a run's requests that were retried or failed above which it is a WARNING.
    pub error_rate: f64,
    /// Blast-radius guard: a full scan that would mark more than this share of an account's
    /// offers missing does not reconcile.
    pub mass_missing_share: f64,
    /// Offers that lost the buy button since the last run started, as a share of the offers
    /// the last complete full scan listed, above which it is a WARNING.
    pub buybox_lost_share: f64,
}

impl Thresholds {
    /// Defaults follow the schedule: a sync is late after three intervals, critical after six;
    /// a full scan after a day and two hours when one runs daily, else after a week.
    pub fn defaults(schedule: &Schedule) -> Thresholds {
        let interval = i64::from(schedule.interval_minutes.max(1));
        let (full_warn, full_crit) = if schedule.daily_full_at.is_some() {
            (Duration::hours(26), Duration::hours(50))
        } else {
            (Duration::days(7), Duration::days(14))
        };
        Thresholds {
            sync_warn: Duration::minutes(3 * interval),
            sync_crit: Duration::minutes(6 * interval),
            full_warn,
            full_crit,
            pending_edit_warn: Duration::hours(24),
            rate_limited_warn: 20,
            count_drop_share: 0.10,
            duration_factor: 3.0,
            duration_history: 10,
            duration_min: Duration::seconds(60),
            error_rate: 0.05,
            mass_missing_share: 0.20,
            buybox_lost_share: 0.10,
        }
    }
}

/// Every account's thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    pub base: Thresholds,
    pub accounts: BTreeMap<String, Thresholds>,
}

impl HealthConfig {
    pub fn defaults(schedule: &Schedule) -> HealthConfig {
        HealthConfig {
            base: Thresholds::defaults(schedule),
            accounts: BTreeMap::new(),
        }
    }

    pub fn for_account(&self, account: &str) -> &Thresholds {
        self.accounts.get(account).unwrap_or(&self.base)
    }

    pub(super) fn build(section: &HealthSection, schedule: &Schedule) -> Result<Self, Failure> {
        let base = apply(Thresholds::defaults(schedule), &section.keys(), "[health]")?;
        let mut accounts = BTreeMap::new();
        for (name, keys) in &section.accounts {
            let t = apply(base.clone(), keys, &format!("[health.accounts.{name}]"))?;
            accounts.insert(name.clone(), t);
        }
        Ok(HealthConfig { base, accounts })
    }
}

fn apply(mut t: Thresholds, k: &HealthKeys, table: &str) -> Result<Thresholds, Failure> {
    let whole = |v: i64, key: &str| -> Result<i64, Failure> {
        if v > 0 {
            Ok(v)
        } else {
            Err(Failure::usage(format!(
                "{table} {key} must be a positive whole number, not {v}"
            )))
        }
    };
    let share = |v: f64, key: &str| -> Result<f64, Failure> {
        if v > 0.0 && v <= 1.0 {
            Ok(v)
        } else {
            Err(Failure::usage(format!(
                "{table} {key} must be a share between 0 and 1 (0.2 = 20 %), not {v}"
            )))
        }
    };
    if let Some(v) = k.sync_warn_minutes {
        t.sync_warn = Duration::minutes(whole(v, "sync_warn_minutes")?);
    }
    if let Some(v) = k.sync_crit_minutes {
        t.sync_crit = Duration::minutes(whole(v, "sync_crit_minutes")?);
    }
    if let Some(v) = k.full_warn_hours {
        t.full_warn = Duration::hours(whole(v, "full_warn_hours")?);
    }
    if let Some(v) = k.full_crit_hours {
        t.full_crit = Duration::hours(whole(v, "full_crit_hours")?);
    }
    if let Some(v) = k.pending_edit_warn_minutes {
        t.pending_edit_warn = Duration::minutes(whole(v, "pending_edit_warn_minutes")?);
    }
    if let Some(v) = k.rate_limited_warn {
        t.rate_limited_warn = whole(v, "rate_limited_warn")?;
    }
    if let Some(v) = k.count_drop_share {
        t.count_drop_share = share(v, "count_drop_share")?;
    }
    if let Some(v) = k.duration_factor {
        if v.is_nan() || v <= 1.0 {
            return Err(Failure::usage(format!(
                "{table} duration_factor must be above 1 (3 = three times the median), not {v}"
            )));
        }
        t.duration_factor = v;
    }
    if let Some(v) = k.duration_history {
        t.duration_history = whole(v, "duration_history")? as usize;
    }
    if let Some(v) = k.duration_min_secs {
        t.duration_min = Duration::seconds(whole(v, "duration_min_secs")?);
    }
    if let Some(v) = k.error_rate {
        t.error_rate = share(v, "error_rate")?;
    }
    if let Some(v) = k.mass_missing_share {
        t.mass_missing_share = share(v, "mass_missing_share")?;
    }
    if let Some(v) = k.buybox_lost_share {
        t.buybox_lost_share = share(v, "buybox_lost_share")?;
    }
    if t.sync_warn > t.sync_crit {
        return Err(Failure::usage(format!(
            "{table} sync_warn_minutes ({} min) must not exceed sync_crit_minutes ({} min)",
            t.sync_warn.num_minutes(),
            t.sync_crit.num_minutes()
        )));
    }
    if t.full_warn > t.full_crit {
        return Err(Failure::usage(format!(
            "{table} full_warn_hours ({} h) must not exceed full_crit_hours ({} h)",
            t.full_warn.num_hours(),
            t.full_crit.num_hours()
        )));
    }
    Ok(t)
}
