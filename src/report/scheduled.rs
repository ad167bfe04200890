//! Daily and weekly reports written by the daemon into the reports folder (`[reports]`): when
//! each is due, writing its Markdown, HTML and JSON files, and deleting those past retention.
//! Posting the Markdown elsewhere is the caller's: [`Written::markdown`] carries it.

use super::facts::{Facts, Window};
use super::{Format, render};
use crate::daemon::daily::{latest_at_or_before, next_after};
use crate::store::Store;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use std::path::{Path, PathBuf};

/// Formats the daemon writes; text is for the terminal (`magsync report`).
pub const WRITTEN: &[Format] = &[Format::Markdown, Format::Html, Format::Json];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The 24 hours up to `daily_at`.
    Daily,
    /// The 7 days up to `daily_at` on `weekly_on`.
    Weekly,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Weekly => "weekly",
        }
    }
    fn span(self) -> Duration {
        match self {
            Kind::Daily => Duration::days(1),
            Kind::Weekly => Duration::days(7),
        }
    }
}

/// `[reports]` as the daemon uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSchedule {
    /// Local time of the daily report; None = no daily report.
    pub daily_at: Option<NaiveTime>,
    /// Day of the weekly report, written at `daily_at` (07:00 when unset); None = none.
    pub weekly_on: Option<Weekday>,
    pub keep_days: u32,
    pub dir: PathBuf,
}

/// Default local time of reports when only `weekly_on` is set.
pub fn default_time() -> NaiveTime {
    NaiveTime::from_hms_opt(7, 0, 0).expect("07:00")
}

impl ReportSchedule {
    /// `[reports]` of the configuration, the folder defaulting to `reports` in the data dir.
    pub fn from_config(config: &crate::config::Config) -> ReportSchedule {
        let r = &config.settings.reports;
        ReportSchedule {
            daily_at: r.daily_at,
            weekly_on: r.weekly_on,
            keep_days: r.keep_days,
            dir: r
                .dir
                .clone()
                .unwrap_or_else(|| config.paths.data_dir.join("reports")),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.daily_at.is_some() || self.weekly_on.is_some()
    }

    fn at(&self) -> NaiveTime {
        self.daily_at.unwrap_or_else(default_time)
    }

    /// The next report due strictly after `after`, and its kind (weekly wins when both fall
    /// on the same instant: the daily one is then written alongside it).
    pub fn next_after<Tz: TimeZone>(&self, after: DateTime<Utc>, tz: &Tz) -> Option<DateTime<Utc>> {
        if !self.is_enabled() {
            return None;
        }
        let mut t = next_after(after, self.at(), tz);
        // A week holds at most seven occurrences of a local time.
        for _ in 0..8 {
            if !self.kinds_at(t, tz).is_empty() {
                return Some(t);
            }
            t = next_after(t, self.at(), tz);
        }
        None
    }

    /// Reports due at an occurrence `t` of the report time.
    pub fn kinds_at<Tz: TimeZone>(&self, t: DateTime<Utc>, tz: &Tz) -> Vec<Kind> {
        let mut kinds = Vec::new();
        if self.daily_at.is_some() {
            kinds.push(Kind::Daily);
        }
        if self.weekly_on == Some(t.with_timezone(tz).weekday()) {
            kinds.push(Kind::Weekly);
        }
        kinds
    }

    /// The latest occurrence at or before `now` whose files are not there yet (a daemon
    /// started after the report time catches up once), with the missing kinds.
    pub fn missed<Tz: TimeZone>(
        &self,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Option<(DateTime<Utc>, Vec<Kind>)> {
        if !self.is_enabled() {
            return None;
        }
        let t = latest_at_or_before(now, self.at(), tz);
        let kinds: Vec<Kind> = self
            .kinds_at(t, tz)
            .into_iter()
            .filter(|k| !self.file(*k, t, Format::Markdown).exists())
            .collect();
        (!kinds.is_empty()).then_some((t, kinds))
    }

    /// `daily-2026-12-07T0500Z.md`: the window's end in UTC, so names sort and never collide
    /// across DST.
    pub fn file(&self, kind: Kind, end: DateTime<Utc>, format: Format) -> PathBuf {
        self.dir.join(format!(
            "{}-{}.{}",
            kind.name(),
            end.format("%Y-%m-%dT%H%MZ"),
            format.extension()
        ))
    }
}

/// A report the daemon wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub kind: Kind,
    pub window: Window,
    pub files: Vec<PathBuf>,
    /// The Markdown version, for chat webhooks.
    pub markdown: String,
}

/// Computes the `kind` report ending at `end` and writes its files (each written to a temporary
/// name and renamed, so a reader never sees half a report).
pub async fn write(
    store: &Store,
    accounts: &[String],
    schedule: &ReportSchedule,
    kind: Kind,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Written> {
    let window = Window {
        since: end - kind.span(),
        until: end,
    };
    let facts = Facts::compute(store, accounts, window, now)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot read the store: {}",
                crate::store::short_db_error(&e)
            )
        })?;
    std::fs::create_dir_all(&schedule.dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the reports folder {}: {e}",
            schedule.dir.display()
        )
    })?;
    let mut files = Vec::new();
    let mut markdown = String::new();
    for format in WRITTEN {
        let body = render(&facts, *format);
        let path = schedule.file(kind, end, *format);
        write_atomically(&path, &body)?;
        if *format == Format::Markdown {
            markdown = body;
        }
        files.push(path);
    }
    Ok(Written {
        kind,
        window,
        files,
        markdown,
    })
}

fn write_atomically(path: &Path, body: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, body)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| anyhow::anyhow!("cannot write the report {}: {e}", path.display()))
}

/// Deletes report files (named as [`ReportSchedule::file`] names them) whose window ended more
/// than `keep_days` before `now`; returns how many went. Other files are left alone.
pub fn prune(schedule: &ReportSchedule, now: DateTime<Utc>) -> std::io::Result<usize> {
    let cutoff = now - Duration::days(i64::from(schedule.keep_days));
    let entries = match std::fs::read_dir(&schedule.dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(end) = report_end(&name)
            && end < cutoff
        {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The window's end from a report file name, or None for any other file.
fn report_end(name: &str) -> Option<DateTime<Utc>> {
    let rest = name
        .strip_prefix("daily-")
        .or_else(|| name.strip_prefix("weekly-"))?;
    let (stamp, ext) = rest.split_once('.')?;
    if !WRITTEN.iter().any(|f| f.extension() == ext) {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H%MZ")
        .ok()
        .map(|t| t.and_utc())
}

/// Writes each report when it falls due, until `stop`: catches up a missed one
/// at start, then sleeps to each next report time. Each written report is passed to
/// `on_written` (the daemon logs it; a webhook poster hooks in there).
pub async fn run<Tz: TimeZone + Send + Sync>(
    store: Store,
    accounts: Vec<String>,
    schedule: ReportSchedule,
    tz: Tz,
    stop: tokio_util::sync::CancellationToken,
    on_written: impl Fn(&Written) + Send,
) where
    Tz::Offset: Send + Sync,
{
    catch_up(&store, &accounts, &schedule, &tz, &on_written).await;
    loop {
        let Some(next) = schedule.next_after(Utc::now(), &tz) else {
            return;
        };
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let kinds = schedule.kinds_at(next, &tz);
        write_all(&store, &accounts, &schedule, next, &kinds, &on_written).await;
    }
}

/// Writes the latest report whose time has passed if its files are missing (`daemon --once`
/// from cron, or a daemon started after the report time).
pub async fn catch_up<Tz: TimeZone>(
    store: &Store,
    accounts: &[String],
    schedule: &ReportSchedule,
    tz: &Tz,
    on_written: &(impl Fn(&Written) + Send),
) {
    if let Some((t, kinds)) = schedule.missed(Utc::now(), tz) {
        write_all(store, accounts, schedule, t, &kinds, on_written).await;
    }
}

async fn write_all(
    store: &Store,
    accounts: &[String],
    schedule: &ReportSchedule,
    end: DateTime<Utc>,
    kinds: &[Kind],
    on_written: &(impl Fn(&Written) + Send),
) {
    for kind in kinds {
        match write(store, accounts, schedule, *kind, end, Utc::now()).await {
            Ok(w) => {
                tracing::info!(
                    "wrote the {} report ending {end}: {}",
                    kind.name(),
                    w.files
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                on_written(&w);
            }
            Err(e) => tracing::error!("the {} report ending {end} failed: {e}", kind.name()),
        }
    }
    match prune(schedule, Utc::now()) {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            "deleted {n} report files older than {} days",
            schedule.keep_days
        ),
        Err(e) => tracing::warn!(
            "cannot prune old reports in {}: {e}",
            schedule.dir.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn schedule(dir: &Path, daily: Option<&str>, weekly: Option<Weekday>) -> ReportSchedule {
        ReportSchedule {
            daily_at: daily.map(|d| NaiveTime::parse_from_str(d, "%H:%M").unwrap()),
            weekly_on: weekly,
            keep_days: 30,
            dir: dir.to_path_buf(),
        }
    }

    #[test]
    fn reports_fall_on_the_local_time_and_the_weekly_day() {
        let dir = tempfile::tempdir().unwrap();
        let bucharest = FixedOffset::east_opt(2 * 3600).unwrap();
        // 2026-12-07 is a Monday; 07:00 in UTC+2 is 05:00Z.
        let s = schedule(dir.path(), Some("07:00"), Some(Weekday::Mon));
        let t = s
            .next_after(at("2026-12-06T12:00:00Z"), &bucharest)
            .unwrap();
        assert_eq!(t, at("2026-12-07T05:00:00Z"));
        assert_eq!(s.kinds_at(t, &bucharest), vec![Kind::Daily, Kind::Weekly]);
        let t2 = s.next_after(t, &bucharest).unwrap();
        assert_eq!(t2, at("2026-12-08T05:00:00Z"));
        assert_eq!(s.kinds_at(t2, &bucharest), vec![Kind::Daily]);

        // Weekly only: the next Monday at 07:00 local.
        let w = schedule(dir.path(), None, Some(Weekday::Mon));
        assert_eq!(
            w.next_after(at("2026-12-07T05:00:00Z"), &bucharest),
            Some(at("2026-12-14T05:00:00Z"))
        );
        assert_eq!(
            schedule(dir.path(), None, None).next_after(t, &bucharest),
            None
        );
    }

    #[test]
    fn a_missed_report_is_caught_up_once_and_old_files_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let s = schedule(dir.path(), Some("06:00"), None);
        let now = at("2026-12-07T09:00:00Z");
        let (t, kinds) = s.missed(now, &Utc).unwrap();
        assert_eq!((t, kinds), (at("2026-12-07T06:00:00Z"), vec![Kind::Daily]));
        std::fs::write(s.file(Kind::Daily, t, Format::Markdown), "x").unwrap();
        assert_eq!(s.missed(now, &Utc), None, "written: nothing to catch up");

        let old = at("2026-10-01T06:00:00Z");
        for f in WRITTEN {
            std::fs::write(s.file(Kind::Weekly, old, *f), "x").unwrap();
        }
        std::fs::write(dir.path().join("notes.md"), "mine").unwrap();
        assert_eq!(prune(&s, now).unwrap(), 3);
        assert!(dir.path().join("notes.md").exists());
        assert!(s.file(Kind::Daily, t, Format::Markdown).exists());
    }
}
