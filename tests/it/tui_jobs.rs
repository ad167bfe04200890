//! The dashboard's effects as supervised jobs: one running job per kind, a superseded read
//! aborted (its task dropped mid-await, not just its answer ignored), a newer poll waiting
//! behind the running one and replacing the queued one; and the runs the dashboard started
//! through the engine port, cancelled on quit.

use magsync::model::search::ProductQuery;
use magsync::tui::Effect;
use magsync::tui::jobs::{JobKind, Jobs, Policy};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use tokio::sync::{mpsc, oneshot};

/// Sets its flag when dropped: a job's future is dropped when its task is aborted.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// Waits for a job's signal; the timeout only keeps a broken supervisor from hanging the suite.
async fn wait<T>(rx: oneshot::Receiver<T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(30), rx)
        .await
        .expect("the job never signalled")
        .expect("the job was dropped before signalling")
}

async fn next(rx: &mut mpsc::UnboundedReceiver<&'static str>) -> &'static str {
    tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
        .await
        .expect("no job finished")
        .expect("the channel closed")
}

/// Lets every ready task run (aborted tasks are dropped when the runtime next handles them).
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

fn search(seq: u64) -> Effect {
    Effect::Search {
        seq,
        query: ProductQuery::default(),
        after: None,
        limit: 200,
    }
}

#[tokio::test]
async fn a_newer_search_aborts_the_running_one_before_it_starts() {
    let mut jobs = Jobs::new();
    let (done_tx, mut done) = mpsc::unbounded_channel();
    let (started_tx, started) = oneshot::channel();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(dropped.clone());
    let tx = done_tx.clone();
    jobs.submit(JobKind::Search, async move {
        let _guard = guard;
        let _ = started_tx.send(());
        // A statement that never answers.
        std::future::pending::<()>().await;
        let _ = tx.send("old search");
    });
    wait(started).await;
    assert!(jobs.is_running(JobKind::Search));
    assert!(!dropped.load(SeqCst));

    let seen = dropped.clone();
    jobs.submit(JobKind::Search, async move {
        // One search at a time: the old one is gone before this one begins.
        let _ = done_tx.send(if seen.load(SeqCst) {
            "new search after the old one was dropped"
        } else {
            "new search beside the old one"
        });
    });
    assert_eq!(
        next(&mut done).await,
        "new search after the old one was dropped"
    );
    assert!(dropped.load(SeqCst), "the superseded search was aborted");
    assert!(done.try_recv().is_err(), "the old search never finished");
}

#[tokio::test]
async fn a_newer_poll_waits_for_the_running_one_and_replaces_the_queued_one() {
    let mut jobs = Jobs::new();
    let (done_tx, mut done) = mpsc::unbounded_channel();
    let (started_tx, started) = oneshot::channel();
    let (release_tx, release) = oneshot::channel::<()>();
    let first_dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(first_dropped.clone());
    let tx = done_tx.clone();
    jobs.submit(JobKind::Dashboard, async move {
        let _guard = guard;
        let _ = started_tx.send(());
        let _ = release.await;
        let _ = tx.send("first poll");
    });
    wait(started).await;

    let queued_dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(queued_dropped.clone());
    let tx = done_tx.clone();
    jobs.submit(JobKind::Dashboard, async move {
        let _guard = guard;
        let _ = tx.send("second poll");
    });
    // Let the second poll reach the queue before the third replaces it.
    settle().await;
    let tx = done_tx.clone();
    jobs.submit(JobKind::Dashboard, async move {
        let _ = tx.send("third poll");
    });
    settle().await;
    assert!(queued_dropped.load(SeqCst), "the queued poll was replaced");
    assert!(!first_dropped.load(SeqCst), "the running poll goes on");

    release_tx.send(()).unwrap();
    assert_eq!(next(&mut done).await, "first poll");
    assert_eq!(next(&mut done).await, "third poll");
    drop(done_tx);
    assert!(done.recv().await.is_none(), "the replaced poll never ran");
}

#[tokio::test]
async fn kinds_are_independent() {
    let mut jobs = Jobs::new();
    let (started_tx, started) = oneshot::channel();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(dropped.clone());
    jobs.submit(JobKind::Search, async move {
        let _guard = guard;
        let _ = started_tx.send(());
        std::future::pending::<()>().await;
    });
    wait(started).await;
    let (tx, rx) = oneshot::channel();
    jobs.submit(JobKind::Count, async move {
        let _ = tx.send("counted");
    });
    assert_eq!(wait(rx).await, "counted");
    assert!(!dropped.load(SeqCst), "a count never aborts a search");
    assert!(jobs.is_running(JobKind::Search));
    jobs.abort_all();
    settle().await;
    assert!(dropped.load(SeqCst), "quitting aborts what still runs");
}

#[test]
fn reads_are_supervised_by_kind_and_writes_run_to_the_end() {
    use magsync::model::SyncOptions;
    let cases: Vec<(Effect, Option<JobKind>)> = vec![
        (search(3), Some(JobKind::Search)),
        (
            Effect::Count {
                seq: 3,
                query: ProductQuery::default(),
            },
            Some(JobKind::Count),
        ),
        (Effect::Debounce(3), Some(JobKind::Debounce)),
        (Effect::LoadDashboard, Some(JobKind::Dashboard)),
        (
            Effect::LoadOffer {
                account: "main".into(),
                id: 1,
            },
            Some(JobKind::Details),
        ),
        (Effect::LoadRun(7), Some(JobKind::Details)),
        (Effect::FindOffer(1), Some(JobKind::Details)),
        (
            Effect::LoadEvents {
                run_id: 7,
                after_id: 0,
            },
            Some(JobKind::Events),
        ),
        (Effect::LoadEdits, Some(JobKind::Edits)),
        (Effect::LoadPending(vec![("main".into(), 1)]), None),
        (
            Effect::StartSync {
                account: "main".into(),
                options: SyncOptions::default(),
            },
            None,
        ),
        (Effect::CancelRun(7), None),
        (Effect::Discard(vec![1]), None),
        (Effect::Quit, None),
    ];
    for (effect, kind) in cases {
        assert_eq!(JobKind::of(&effect), kind, "{effect:?}");
    }
    for kind in [
        JobKind::Search,
        JobKind::Count,
        JobKind::Details,
        JobKind::Debounce,
    ] {
        assert_eq!(kind.policy(), Policy::Supersede, "{kind:?}");
    }
    for kind in [
        JobKind::Dashboard,
        JobKind::Events,
        JobKind::Runs,
        JobKind::Summary,
        JobKind::Buybox,
        JobKind::Edits,
    ] {
        assert_eq!(kind.policy(), Policy::Queue, "{kind:?}");
    }
}

// ------------------------------------------------------------ runs started by the dashboard

/// A run behind the port: ends when cancelled.
struct FakeRun {
    id: i64,
    cancelled: Arc<AtomicBool>,
}

impl magsync::sync::port::ActiveRun for FakeRun {
    fn run_id(&self) -> i64 {
        self.id
    }
    fn is_finished(&self) -> bool {
        self.cancelled.load(SeqCst)
    }
    fn cancel(&self) {
        self.cancelled.store(true, SeqCst);
    }
    async fn finish(self) -> magsync::sync::port::RunEnd {
        magsync::sync::port::RunEnd {
            run_id: self.id,
            account: "main".into(),
            status: if self.cancelled.load(SeqCst) {
                magsync::model::RunStatus::Cancelled
            } else {
                magsync::model::RunStatus::Completed
            },
            summary: None,
        }
    }
}

#[tokio::test]
async fn the_dashboard_cancels_only_its_own_runs_and_ends_them_on_quit() {
    use magsync::tui::engine_backend::OwnRuns;
    let runs = OwnRuns::new();
    let (a, b) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    runs.add(FakeRun {
        id: 7,
        cancelled: a.clone(),
    });
    runs.add(FakeRun {
        id: 8,
        cancelled: b.clone(),
    });
    let other = runs.cancel(99).unwrap_err();
    assert!(
        matches!(other, magsync::tui::error::JobError::Busy(_))
            && other.to_string().contains("another process"),
        "{other}"
    );
    runs.cancel(7).unwrap();
    assert!(a.load(SeqCst) && !b.load(SeqCst));
    let mut ends = runs.shutdown().await;
    ends.sort_by_key(|e| e.run_id);
    assert_eq!(ends.len(), 2);
    assert!(
        ends.iter()
            .all(|e| e.status == magsync::model::RunStatus::Cancelled)
    );
    assert!(b.load(SeqCst), "quitting cancels the runs still going");
    assert!(runs.cancel(8).is_err(), "and forgets them");
}
