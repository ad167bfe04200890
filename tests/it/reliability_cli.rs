//! `magsync sync` killed, signalled or starved of disk, as a user or a supervisor does it: the
//! real binary against a slow simulator, its SQLite database inspected afterwards.

use crate::emag_support;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use emag_support::*;
use magsync::model::RunStatus;
use magsync::sim::SimHandle;
use magsync::store::Store;
use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/magsync.db");
        Env { dir, db }
    }

    fn on_db(db: PathBuf) -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            db,
        }
    }

    fn url(&self) -> String {
        magsync::config::sqlite_url(&self.db)
    }

    fn command(&self, h: &SimHandle, args: &[&str]) -> tokio::process::Command {
        self.command_via(h, env!("CARGO_BIN_EXE_magsync"), &[], args)
    }

    /// The command run through `prefix` (e.g. `timeout 3`).
    fn command_via(
        &self,
        h: &SimHandle,
        program: &str,
        prefix: &[&str],
        args: &[&str],
    ) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(prefix)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC_CONFIG_DIR", self.dir.path().join("config"))
            .env("MAGSYNC_DATA_DIR", self.dir.path().join("data"))
            .env("DATABASE_URL", self.url())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in ["main", "fbe"] {
            let up = name.to_uppercase();
            cmd.env(format!("EMAG_{up}_USERNAME"), name)
                .env(format!("EMAG_{up}_PASSWORD"), "demo")
                .env(format!("EMAG_{up}_BASE_URL"), h.base_url());
        }
        cmd
    }

    async fn run(&self, h: &SimHandle, args: &[&str]) -> Output {
        self.command(h, args).output().await.expect("magsync runs")
    }

    async fn store(&self) -> Store {
        Store::open(&self.url()).await.unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A catalogue that takes the CLI (3 requests a second) about 10 s to read.
async fn slow_sim(accounts: &[(&str, u64)]) -> SimHandle {
    let mut cfg = sim_config(accounts);
    cfg.latency_ms = 100;
    start(cfg).await
}

/// Waits until the store shows a `running` run of `account` with a page written by `child`.
async fn wait_running(env: &Env, account: &str, child: &mut tokio::process::Child) {
    // Generous: a loaded machine starts the binary slowly.
    for _ in 0..600 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the sync exited ({status}) before it was caught running");
        }
        if env.db.exists() {
            // Without migrating: two processes migrating a new database at once collide.
            let Ok(s) = Store::connect(&env.url()).await else {
                continue;
            };
            let busy = s
                .runs()
                .running()
                .await
                .unwrap_or_default()
                .iter()
                .any(|r| r.account == account && r.counts.pages_done >= 1);
            s.close().await;
            if busy {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no run of {account} got going");
}

#[tokio::test]
async fn a_sync_killed_with_sigkill_does_not_block_the_next_one() {
    let h = slow_sim(&[("main", 1500)]).await;
    let env = Env::new();
    let mut child = env
        .command(&h, &["sync", "--account", "main"])
        .spawn()
        .unwrap();
    wait_running(&env, "main", &mut child).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();

    // At once: the lock names a process of this host that is gone.
    let out = env.run(&h, &["sync", "--account", "main", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = env.store().await;
    let runs = s.runs().list(&Default::default()).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].status, RunStatus::Completed);
    assert_eq!(
        runs[0].counts.offers_seen as usize,
        expected(&h, "main", true).await.len()
    );
    assert_eq!(runs[1].status, RunStatus::Failed);
    assert!(
        runs[1]
            .error_summary
            .as_deref()
            .unwrap()
            .contains("interrupted"),
        "{:?}",
        runs[1].error_summary
    );
    s.close().await;
    h.shutdown().await;
}

#[tokio::test]
async fn a_killed_runs_row_is_settled_by_history_without_a_new_sync() {
    let h = slow_sim(&[("main", 1500)]).await;
    let env = Env::new();
    let mut child = env
        .command(&h, &["sync", "--account", "main"])
        .spawn()
        .unwrap();
    wait_running(&env, "main", &mut child).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();

    let out = env.run(&h, &["history", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &runs["runs"].as_array().expect("a list")[0];
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["error_summary"]
            .as_str()
            .unwrap()
            .starts_with("interrupted"),
        "{run}"
    );
    h.shutdown().await;
}

/// Runs of `env`'s store, all of them.
async fn all_runs(env: &Env) -> Vec<magsync::model::SyncRun> {
    let s = env.store().await;
    let runs = s.runs().list(&Default::default()).await.unwrap();
    s.close().await;
    runs
}

#[tokio::test]
async fn sigterm_from_timeout_cancels_the_runs_frees_the_locks_and_exits_143() {
    let h = slow_sim(&[("main", 3000), ("fbe", 3000)]).await;
    let env = Env::new();
    let out = env
        .command_via(
            &h,
            "timeout",
            &["--preserve-status", "3", env!("CARGO_BIN_EXE_magsync")],
            &["sync", "--account", "all", "--json"],
        )
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", text(&out));
    let printed: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed.len(), 2, "{}", text(&out));
    let runs = all_runs(&env).await;
    assert_eq!(runs.len(), 2);
    for r in &runs {
        assert_eq!(r.status, RunStatus::Cancelled, "{r:?}");
        assert!(r.counts.pages_done >= 1 && r.counts.pages_done < 30);
        assert!(
            printed
                .iter()
                .any(|p| p["run_id"] == r.id && p["status"] == "cancelled")
        );
    }
    // Locks are free: the next sync starts at once.
    let out = env
        .run(
            &h,
            &[
                "sync",
                "--account",
                "main",
                "--max-pages",
                "1",
                "--mode",
                "incremental",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    h.shutdown().await;
}

#[tokio::test]
async fn sighup_cancels_like_sigint_and_exits_129() {
    let h = slow_sim(&[("main", 3000)]).await;
    let env = Env::new();
    let mut child = env
        .command(&h, &["sync", "--account", "main"])
        .spawn()
        .unwrap();
    wait_running(&env, "main", &mut child).await;
    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(129), "{}", text(&out));
    let runs = all_runs(&env).await;
    assert_eq!(runs[0].status, RunStatus::Cancelled);
    h.shutdown().await;
}

/// A tmpfs of `size` mounted on a temp dir, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED disk-full test: mounting a tmpfs was refused: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED disk-full test: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn resize(&self, size: &str) {
        self.remount(&format!("size={size}"));
    }

    fn remount(&self, options: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.dir.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_fails_runs_with_the_cause_and_the_next_run_completes_once_freed() {
    let Some(fs) = Tmpfs::mount("3m") else {
        return;
    };
    let mut cfg = sim_config(&[("main", 2500), ("fbe", 2500)]);
    cfg.latency_ms = 0;
    let h = start(cfg).await;
    let env = Env::on_db(fs.path().join("magsync.db"));

    let mut printed: Vec<Value> = Vec::new();
    for _ in 0..2 {
        let out = env.run(&h, &["sync", "--account", "all", "--json"]).await;
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("transaction depth") && !stdout_has(&out, "transaction depth"),
            "{}",
            text(&out)
        );
        printed.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    assert!(!printed.is_empty());
    assert!(
        printed
            .iter()
            .any(|p| p["status"] == "failed" && p["error"].as_str().unwrap_or("").contains("full")),
        "the cause is named: {printed:?}"
    );

    // Space comes back; what `history` shows is what was printed, and nothing is running.
    fs.resize("256m");
    let out = env.run(&h, &["history", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = listed["runs"].as_array().unwrap();
    for p in &printed {
        let id = p["run_id"].as_i64().unwrap();
        let stored = listed
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("run {id} was printed but is not stored"));
        assert_eq!(stored["status"], p["status"], "{p} vs {stored}");
        assert_eq!(stored["account"], p["account"]);
    }
    assert!(
        listed.iter().all(|r| r["status"] != "running"),
        "{listed:?}"
    );

    let out = env.run(&h, &["sync", "--account", "all", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = env.store().await;
    for account in ["main", "fbe"] {
        let n = s.offers().of_account(account).await.unwrap().len();
        assert_eq!(n, expected(&h, account, true).await.len(), "{account}");
    }
    s.close().await;
    h.shutdown().await;
}

fn stdout_has(out: &Output, needle: &str) -> bool {
    String::from_utf8_lossy(&out.stdout).contains(needle)
}

#[tokio::test]
async fn history_flags_a_full_sync_that_saw_fewer_offers_than_counted() {
    let h = start(sim_config(&[("main", 10)])).await;
    let env = Env::new();
    std::fs::create_dir_all(env.db.parent().unwrap()).unwrap();
    let s = env.store().await;
    let now = chrono::Utc::now();
    let opts = full(false);
    let run = s
        .runs()
        .create("main", &opts, magsync::model::Trigger::Cli, "h:1", now)
        .await
        .unwrap();
    s.runs().set_offers_expected(run.id, 1274).await.unwrap();
    let counts = magsync::model::RunCounts {
        offers_seen: 1269,
        pages_done: 13,
        ..Default::default()
    };
    s.runs()
        .finish(run.id, RunStatus::Completed, &counts, None, None, now)
        .await
        .unwrap();
    s.close().await;

    let out = env.run(&h, &["history", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["runs"][0];
    assert_eq!(r["status"], "completed");
    assert_eq!(r["offers_expected"], 1274);
    assert_eq!(r["count_shortfall"], "saw 1 269 of 1 274");

    let out = env.run(&h, &["history"]).await;
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("warning: saw 1 269 of 1 274 offers eMAG counted"),
        "{listing}"
    );
    let out = env.run(&h, &["history", "show", &run.id.to_string()]).await;
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("saw 1 269 of 1 274 offers eMAG counted"),
        "{shown}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn a_read_only_file_system_refuses_the_run_in_one_sentence_and_the_next_run_works() {
    let Some(fs) = Tmpfs::mount("64m") else {
        return;
    };
    let h = start(sim_config(&[("main", 300)])).await;
    let env = Env::on_db(fs.path().join("magsync.db"));
    let out = env.run(&h, &["sync", "--account", "main", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    fs.remount("ro");
    let out = env.run(&h, &["sync", "--account", "main", "--json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        out.stdout.is_empty(),
        "no run id is printed: {}",
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // SQLite's "readonly database" when the file opens, the file system's words when not.
    let lower = stderr.to_lowercase();
    assert!(
        lower.contains("readonly") || lower.contains("read-only"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");

    fs.remount("rw");
    let out = env.run(&h, &["sync", "--account", "main", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let runs = all_runs(&env).await;
    assert_eq!(runs.len(), 2, "the refused run left no row");
    assert!(runs.iter().all(|r| r.status == RunStatus::Completed));
    h.shutdown().await;
}
