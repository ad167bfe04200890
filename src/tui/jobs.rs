//! Effects as supervised jobs, after gitui's `AsyncSingleJob`: at most one job of a kind runs
//! at a time, and a newer request of that kind replaces the one waiting behind it. Reads whose
//! old answer is useless (a search the user typed past) also abort the running job, which drops
//! its task and with it the database statement's future.

use super::app::Effect;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// The kinds of reads the dashboard supervises. Writes (start a sync, queue, push, discard,
/// resolve) are never aborted and run as plain tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// The account cards and running runs, polled every second.
    Dashboard,
    /// The Sync tab's run log.
    Events,
    /// The products pause before searching while the user types.
    Debounce,
    /// A products page (a new query or the next keyset page).
    Search,
    /// The number of offers a products query matches.
    Count,
    /// An offer's or a run's details popup.
    Details,
    /// The History tab's runs.
    Runs,
    /// The History tab's summary.
    Summary,
    /// The Buy button tab's list.
    Buybox,
    /// The Changes tab's list of local edits.
    Edits,
}

/// What a newer request does to the job of its kind that is already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Aborts it: its answer would be dropped anyway.
    Supersede,
    /// Lets it finish and waits behind it: a poll's answer is still worth showing, and on a
    /// slow store a poll aborted by every tick would never finish.
    Queue,
}

impl JobKind {
    /// The kind of job that carries out `effect`; `None` for writes and the terminal's own
    /// effects, which always run to the end.
    pub fn of(effect: &Effect) -> Option<JobKind> {
        Some(match effect {
            Effect::LoadDashboard => JobKind::Dashboard,
            Effect::LoadEvents { .. } => JobKind::Events,
            Effect::Debounce(_) => JobKind::Debounce,
            Effect::Search { .. } => JobKind::Search,
            Effect::Count { .. } => JobKind::Count,
            Effect::LoadRun(_) | Effect::LoadOffer { .. } | Effect::FindOffer(_) => {
                JobKind::Details
            }
            Effect::LoadRuns { .. } => JobKind::Runs,
            Effect::LoadSummary { .. } => JobKind::Summary,
            Effect::LoadBuybox { .. } => JobKind::Buybox,
            Effect::LoadEdits => JobKind::Edits,
            // Each loaded products page asks for its own offers' edits; a later page must not
            // abort an earlier page's answer.
            Effect::LoadPending(_)
            | Effect::PreviewPush(_)
            | Effect::StartSync { .. }
            | Effect::AcceptGuardHold { .. }
            | Effect::CancelRun(_)
            | Effect::Test(_)
            | Effect::QueueEdit { .. }
            | Effect::Push(_)
            | Effect::Export { .. }
            | Effect::SmartDeals { .. }
            | Effect::Discard(_)
            | Effect::QueueBulk { .. }
            | Effect::Resolve { .. }
            | Effect::Copy(_)
            | Effect::Bell
            | Effect::Suspend
            | Effect::Quit => return None,
        })
    }

    pub fn policy(self) -> Policy {
        match self {
            JobKind::Debounce | JobKind::Search | JobKind::Count | JobKind::Details => {
                Policy::Supersede
            }
            JobKind::Dashboard
            | JobKind::Events
            | JobKind::Runs
            | JobKind::Summary
            | JobKind::Buybox
            | JobKind::Edits => Policy::Queue,
        }
    }
}

/// The newest job of a kind: its task, and whether it got past the queue.
struct Latest {
    task: JoinHandle<()>,
    started: Arc<AtomicBool>,
}

struct Lane {
    /// One permit: the job holding it is the kind's running job.
    permit: Arc<Semaphore>,
    latest: Option<Latest>,
}

/// The supervisor: one lane per kind. Owned by the terminal loop, which is the only caller.
#[derive(Default)]
pub struct Jobs {
    lanes: HashMap<JobKind, Lane>,
}

impl Jobs {
    pub fn new() -> Jobs {
        Jobs::default()
    }

    /// Runs `job` as the newest job of `kind`. Whatever waited behind the running job is
    /// dropped without starting; the running job itself is aborted under [`Policy::Supersede`]
    /// and finishes first under [`Policy::Queue`].
    pub fn submit<F>(&mut self, kind: JobKind, job: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let lane = self.lanes.entry(kind).or_insert_with(|| Lane {
            permit: Arc::new(Semaphore::new(1)),
            latest: None,
        });
        if let Some(prev) = lane.latest.take() {
            let running = prev.started.load(Ordering::SeqCst) && !prev.task.is_finished();
            if !running || kind.policy() == Policy::Supersede {
                prev.task.abort();
            }
        }
        let started = Arc::new(AtomicBool::new(false));
        let flag = started.clone();
        let permit = lane.permit.clone();
        let task = tokio::spawn(async move {
            // Waits while an older job of the kind runs; dropped here if replaced meanwhile.
            let Ok(_running) = permit.acquire_owned().await else {
                return;
            };
            flag.store(true, Ordering::SeqCst);
            job.await;
        });
        lane.latest = Some(Latest { task, started });
    }

    /// Whether the newest job of `kind` is running (not waiting, not finished).
    pub fn is_running(&self, kind: JobKind) -> bool {
        self.lanes
            .get(&kind)
            .and_then(|l| l.latest.as_ref())
            .is_some_and(|l| l.started.load(Ordering::SeqCst) && !l.task.is_finished())
    }

    /// Aborts every job, so nothing reads the store after the dashboard has quit.
    pub fn abort_all(&mut self) {
        for lane in self.lanes.values_mut() {
            if let Some(l) = lane.latest.take() {
                l.task.abort();
            }
        }
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.abort_all();
    }
}
