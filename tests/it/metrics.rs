//! `/metrics` over real HTTP, scraped during and after syncs against the simulator and parsed
//! with a Prometheus text parser; the Grafana dashboard uses only names it exposes.

use crate::emag_support::{self, engine, full, run_ok};
use magsync::config::{HealthConfig, Schedule};
use magsync::metrics::{Source, serve};
use magsync::model::Trigger;
use magsync::testing::TestDb;
use std::collections::BTreeSet;

struct Scrape {
    samples: Vec<prometheus_parse::Sample>,
}

impl Scrape {
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    }

    /// Sample names as a query would use them: the parser folds a histogram's `_bucket`,
    /// `_sum` and `_count` series into one sample under the family name.
    fn names(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for s in &self.samples {
            if let prometheus_parse::Value::Histogram(buckets) = &s.value {
                assert!(!buckets.is_empty(), "{}", s.metric);
                for suffix in ["_bucket", "_sum", "_count"] {
                    names.insert(format!("{}{suffix}", s.metric));
                }
            } else {
                names.insert(s.metric.clone());
            }
        }
        names
    }
}

async fn scrape(url: &str) -> Scrape {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::get(url).await.unwrap();
    let status = resp.status();
    if !status.is_success() {
        panic!("{status}: {}", resp.text().await.unwrap_or_default());
    }
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let text = resp.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("the exposition parses");
    Scrape {
        samples: parsed.samples,
    }
}

#[tokio::test]
async fn metrics_move_with_syncs_and_the_dashboard_uses_exposed_names() {
    for db in TestDb::all().await {
        let h = emag_support::start(emag_support::sim_config(&[("main", 2000)])).await;
        let e = engine(&db, &h, &["main"]);
        let src = Source {
            store: db.store.clone(),
            accounts: vec!["main".into()],
            health: HealthConfig::defaults(&Schedule {
                enabled: true,
                interval_minutes: 60,
                daily_full_at: None,
            }),
        };
        let (addr, server) = serve("127.0.0.1:0".parse().unwrap(), src).await.unwrap();
        let url = format!("http://{addr}/metrics");

        let before = scrape(&url).await;
        assert_eq!(
            before.value("magsync_running", &[("account", "main")]),
            Some(0.0)
        );
        assert_eq!(
            before.value("magsync_health_status", &[("account", "main")]),
            Some(3.0),
            "never synced: UNKNOWN"
        );

        // During: the run row is `running` from the moment start returns.
        let handle = e.start("main", full(false), Trigger::Cli).await.unwrap();
        let during = scrape(&url).await;
        let during_running = during.value("magsync_running", &[("account", "main")]);
        let during_runs = during.value(
            "magsync_runs_total",
            &[
                ("account", "main"),
                ("mode", "full"),
                ("outcome", "running"),
            ],
        );
        handle.done.await.unwrap();
        assert_eq!(during_running, Some(1.0), "[{}]", db.label);
        assert_eq!(during_runs, Some(1.0), "[{}]", db.label);

        let after = scrape(&url).await;
        let completed = |s: &Scrape| {
            s.value(
                "magsync_runs_total",
                &[
                    ("account", "main"),
                    ("mode", "full"),
                    ("outcome", "completed"),
                ],
            )
            .unwrap_or(0.0)
        };
        assert_eq!(completed(&after), 1.0);
        let requests = after
            .value(
                "magsync_requests_total",
                &[("account", "main"), ("mode", "full")],
            )
            .unwrap();
        let row = db
            .store
            .runs()
            .last("main", None, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(requests, row.counts.requests as f64, "the run's requests");
        assert!(requests > 10.0, "{requests}");
        assert_eq!(
            after.value("magsync_running", &[("account", "main")]),
            Some(0.0)
        );
        let active = after
            .value(
                "magsync_offers",
                &[("account", "main"), ("status", "active")],
            )
            .unwrap();
        assert!(active > 0.0);
        assert!(
            after
                .value(
                    "magsync_last_success_timestamp_seconds",
                    &[("account", "main")]
                )
                .unwrap()
                > 1.7e9
        );
        assert!(
            after
                .value(
                    "magsync_last_full_scan_timestamp_seconds",
                    &[("account", "main")]
                )
                .is_some()
        );
        assert!(
            after
                .names()
                .contains("magsync_run_duration_seconds_bucket")
        );

        run_ok(&e, "main", full(false)).await;
        let again = scrape(&url).await;
        assert_eq!(completed(&again), 2.0, "the counter moved");
        let more = again
            .value(
                "magsync_requests_total",
                &[("account", "main"), ("mode", "full")],
            )
            .unwrap();
        assert!(more >= 2.0 * requests - 1.0, "{requests} then {more}");

        let names = again.names();
        for name in grafana_metric_names() {
            assert!(
                names.contains(&name),
                "the dashboard uses {name}, which /metrics does not expose: {names:?}"
            );
        }
        server.abort();
        h.shutdown().await;
    }
}

/// Every `magsync_*` name in the dashboard's queries.
fn grafana_metric_names() -> BTreeSet<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/grafana/magsync.json"
    ))
    .unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut exprs = Vec::new();
    collect_exprs(&dash, &mut exprs);
    assert!(exprs.len() >= 9, "{exprs:?}");
    let mut names = BTreeSet::new();
    for e in exprs {
        let mut rest = e.as_str();
        while let Some(i) = rest.find("magsync_") {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            names.insert(tail[..end].to_string());
            rest = &tail[end..];
        }
    }
    assert!(names.len() >= 10, "{names:?}");
    names
}

fn collect_exprs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("expr" | "query" | "definition", serde_json::Value::String(s)) => {
                        out.push(s.clone())
                    }
                    _ => collect_exprs(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_exprs(x, out)),
        _ => {}
    }
}
