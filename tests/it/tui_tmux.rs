//! End to end: the real binary in tmux, as a newcomer would try it. `magsync demo --fresh`,
//! `2`, `i` on main, watch it run, see it in History, then search Products.
//!
//! Skipped (with a message) when tmux is missing, unless MAGSYNC_TEST_TMUX=required.

use std::process::Command;
use std::time::{Duration, Instant};

struct Session(String);

impl Session {
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.0])
    }
    fn keys(&self, keys: &str) {
        self.tmux(&["send-keys", "-t", &self.0, "-l", keys]);
    }
    /// Polls the screen until `ok` holds; fails with the last screen after `timeout`.
    fn wait_for(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn demo_sync_history_and_search_in_tmux() {
    if !tmux_available() {
        if std::env::var("MAGSYNC_TEST_TMUX").as_deref() == Ok("required") {
            panic!("tmux is required (MAGSYNC_TEST_TMUX=required) but not installed");
        }
        eprintln!("SKIPPED demo_sync_history_and_search_in_tmux: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_magsync");
    let name = format!("magsync-e2e-{}", std::process::id());
    let cmd = format!(
        "env -u MAGSYNC_CONFIG -u DATABASE_URL MAGSYNC_DATA_DIR='{d}' MAGSYNC_CONFIG_DIR='{d}' \
         '{bin}' demo --fresh; echo MAGSYNC-EXITED $?; sleep 60",
        d = dir.path().display()
    );
    let status = Command::new("tmux")
        .args(["new", "-d", "-s", &name, "-x", "120", "-y", "40", &cmd])
        .status()
        .unwrap();
    assert!(status.success(), "tmux new failed");
    let s = Session(name);

    s.wait_for("the dashboard", Duration::from_secs(30), |t| {
        t.contains("1 Connections") && t.contains("main") && t.contains("fbe")
    });
    s.keys("2");
    s.wait_for("the Sync tab", Duration::from_secs(10), |t| {
        t.contains("Log · main")
    });
    s.keys("i");
    // The run shows live: running, with a pages gauge counting up.
    let running = s.wait_for("main running with progress", Duration::from_secs(30), |t| {
        t.lines()
            .any(|l| l.contains("▶ main") && l.contains("⟳ running") && l.contains('/'))
    });
    assert!(running.contains("█") || running.contains("░"), "{running}");
    s.wait_for("main's run to complete", Duration::from_secs(180), |t| {
        t.lines()
            .any(|l| l.contains("▶ main") && l.contains("✓ completed"))
    });

    s.keys("4");
    s.wait_for(
        "a completed incremental run of main in History",
        Duration::from_secs(10),
        |t| {
            t.lines().any(|l| {
                l.contains("main") && l.contains("incremental") && l.contains("✓ completed")
            })
        },
    );

    s.keys("3");
    s.wait_for("the Products tab", Duration::from_secs(10), |t| {
        t.contains("Products") && t.contains("part number")
    });
    s.keys("/");
    s.keys("lamp");
    let found = s.wait_for("a lamp in the table", Duration::from_secs(10), |t| {
        t.contains(" / lamp") && t.lines().any(|l| l.contains("main") && l.contains("Lampă"))
    });
    assert!(!found.contains("no offers match"), "{found}");

    // Leave the search box, then quit (no sync of ours runs any more: no question asked).
    s.tmux(&["send-keys", "-t", &s.0, "Enter"]);
    s.keys("q");
    s.wait_for("magsync to exit cleanly", Duration::from_secs(15), |t| {
        t.contains("MAGSYNC-EXITED 0")
    });
}
