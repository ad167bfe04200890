//! `magsync sync` and `magsync test-connection` as a user runs them: the real binary, accounts
//! from `EMAG_<NAME>_*` variables, a simulator over HTTP, a temporary SQLite database.

use crate::emag_support;

use emag_support::*;
use magsync::sim::SimHandle;
use serde_json::Value;
use std::process::Output;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn magsync(
        &self,
        h: &SimHandle,
        password: &str,
        base: Option<&str>,
        args: &[&str],
    ) -> Output {
        self.command(h, password, base, args)
            .output()
            .await
            .expect("magsync runs")
    }

    fn command(
        &self,
        h: &SimHandle,
        password: &str,
        base: Option<&str>,
        args: &[&str],
    ) -> tokio::process::Command {
        let base_url = base.map(str::to_string).unwrap_or_else(|| h.base_url());
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_magsync"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC_CONFIG_DIR", self.dir.path().join("config"))
            .env("MAGSYNC_DATA_DIR", self.dir.path().join("data"))
            .env("EMAG_MAIN_USERNAME", "main")
            .env("EMAG_MAIN_PASSWORD", password)
            .env("EMAG_MAIN_BASE_URL", base_url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    }
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[tokio::test]
async fn sync_json_reports_each_run_and_exit_codes_follow_the_outcome() {
    let h = start(sim_config(&[("main", 250)])).await;
    let env = Env::new();
    let out = env
        .magsync(&h, "demo", None, &["sync", "--account", "both", "--json"])
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = json_lines(&out);
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    for key in [
        "run_id",
        "account",
        "mode",
        "status",
        "offers_seen",
        "created",
        "updated",
        "unchanged",
        "removed",
        "failed",
        "pages",
        "requests",
        "retries",
        "rate_limited",
        "duration_s",
    ] {
        assert!(r.get(key).is_some(), "missing {key}: {r}");
    }
    let active = expected(&h, "main", true).await.len() as i64;
    assert_eq!(r["status"], "completed");
    assert_eq!(r["mode"], "full");
    assert_eq!(r["offers_seen"], active);
    assert_eq!(r["created"], active);

    // Incremental with a window, then a plain-text run.
    let out = env
        .magsync(
            &h,
            "demo",
            None,
            &[
                "sync",
                "--account",
                "main",
                "--mode",
                "incremental",
                "--max-pages",
                "1",
                "--items-per-page",
                "50",
                "--json",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0));
    let r = &json_lines(&out)[0];
    assert_eq!(
        (
            r["mode"].as_str(),
            r["pages"].as_i64(),
            r["offers_seen"].as_i64()
        ),
        (Some("incremental"), Some(1), Some(50))
    );
    // The page limit is said up front (stderr: stdout stays JSON).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("main: incremental sync of at most 1 page from where the last one stopped"),
        "{stderr}"
    );
    let out = env
        .magsync(&h, "demo", None, &["sync", "--account", "main"])
        .await;
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("main: completed in"), "{stdout}");

    // Wrong password: a failed run that says why, exit 1.
    let out = env
        .magsync(&h, "wrong", None, &["sync", "--account", "main", "--json"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    let r = &json_lines(&out)[0];
    assert_eq!(r["status"], "failed");
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("refused the credentials"),
        "{r}"
    );

    // Usage errors: exit 2 with one sentence.
    let out = env
        .magsync(&h, "demo", None, &["sync", "--account", "nosuch"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("magsync: no account \"nosuch\""),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
    let out = env
        .magsync(&h, "demo", None, &["sync", "--items-per-page", "101"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    h.shutdown().await;
}

#[tokio::test]
async fn test_connection_reports_count_or_one_sentence() {
    let h = start(sim_config(&[("main", 123)])).await;
    let env = Env::new();
    let out = env
        .magsync(&h, "demo", None, &["test-connection", "--json"])
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = &json_lines(&out)[0];
    assert_eq!(r["ok"], true);
    assert_eq!(r["offers"], 123);
    // Active vs all: what a default sync mirrors, beside what the account holds.
    let active = r["active"].as_u64().unwrap();
    assert!(active > 0 && active <= 123, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{active} of them active")),
        "{r}"
    );
    assert_eq!(r["base_url"], h.base_url());

    let out = env
        .magsync(&h, "wrong", None, &["test-connection", "--account", "main"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAIL") && stdout.contains("refused the credentials"),
        "{stdout}"
    );

    let out = env
        .magsync(
            &h,
            "demo",
            Some("http://127.0.0.1:1/api-3"),
            &["test-connection", "--json"],
        )
        .await;
    assert_eq!(out.status.code(), Some(1));
    let r = &json_lines(&out)[0];
    assert_eq!(r["ok"], false);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot reach eMAG: 127.0.0.1:1"),
        "{r}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn ctrl_c_cancels_cleanly_with_exit_130() {
    let mut cfg = sim_config(&[("main", 1274)]);
    cfg.latency_ms = 300;
    let h = start(cfg).await;
    let env = Env::new();
    let child = env
        .command(&h, "demo", None, &["sync", "--account", "main", "--json"])
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    // Wait until the run row is committed (the handler is installed before the first request).
    let url = magsync::config::sqlite_url(&env.dir.path().join("data").join("magsync.db"));
    loop {
        if let Ok(store) = magsync::store::Store::connect(&url).await
            && store.runs().running().await.is_ok_and(|r| !r.is_empty())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = &json_lines(&out)[0];
    assert_eq!(r["status"], "cancelled");
    let store = magsync::store::Store::connect(&url).await.unwrap();
    let row = store
        .runs()
        .get(r["run_id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, magsync::model::RunStatus::Cancelled);
    h.shutdown().await;
}
