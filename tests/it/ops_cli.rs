//! The headless commands run as the real binary against per-test stores (SQLite, and Postgres
//! when available): stats, products, history, export.

use chrono::{Duration, Utc};
use magsync::model::{Offer, RunCounts, RunStatus, SyncMode, SyncOptions, Trigger, WarehouseValue};
use magsync::store::Store;
use magsync::testing::TestDb;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::str::FromStr;

/// Names that break naive CSV writers and readers.
const TRICKY: &[&str] = &[
    "Fierbător electric Heinner HEK-17SS, 1.7 l, 2200 W",
    "Cablu \"USB-C\" 2 m, negru",
    "Lampă „veioză” cu LED;\nlumină caldă",
    "Чайник 😀 emoji, \"quoted\", and, commas",
    "Mixer\r\nvertical ăâîșț ĂÂÎȘȚ",
    "  leading and trailing spaces  ",
    "",
];

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs magsync with a clean environment (no EMAG_* or DATABASE_URL from the host).
    fn run(&self, db: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_magsync"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC_DATA_DIR", self.dir.path().join("data"))
            .env("MAGSYNC_CONFIG_DIR", self.dir.path().join("config"))
            .arg("--database-url")
            .arg(db)
            .args(args);
        cmd.output().unwrap()
    }

    fn ok(&self, db: &str, args: &[&str]) -> String {
        let out = self.run(db, args);
        assert!(
            out.status.success(),
            "magsync {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, db: &str, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(db, args)).unwrap()
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// An offer in eMAG's variant A shape (money as strings), with its decoded twin.
fn offer(id: i64, name: &str, status: i16, stock: i32, numbers: bool) -> Offer {
    let price = format!("{}.{:04}", 10 + id % 900, (id * 37) % 10_000);
    let money = |s: &str| {
        if numbers {
            json!(f64::from_str(s).unwrap())
        } else {
            json!(s)
        }
    };
    let raw = json!({
        "id": id,
        "name": name,
        "part_number": format!("PN,{id}"),
        "part_number_key": format!("D{id:08}M"),
        "brand": "Heinner",
        "ean": [format!("594{id:010}")],
        "sale_price": money(&price),
        "recommended_price": null,
        "best_offer_sale_price": money("99.5000"),
        "currency": "RON",
        "vat_id": 9,
        "status": status,
        "general_stock": stock,
        "stock": [{"value": stock}],
        "handling_time": [{"warehouse_id": 1, "value": 2}],
        "offer_validation_status": {"value": 1, "description": "Saleable"},
        "validation_status": [{"value": 9, "description": "Approved documentation", "errors": null}],
        "ownership": true,
        "weight": "0.000000",
        "characteristics": [{"id": 6861, "value": "1,7 l"}],
    });
    Offer {
        id,
        part_number: Some(format!("PN,{id}")),
        part_number_key: Some(format!("D{id:08}M")),
        name: Some(name.to_string()),
        brand: Some("Heinner".into()),
        eans: vec![format!("594{id:010}")],
        sale_price: Some(dec(&price)),
        best_offer_sale_price: Some(dec("99.5")),
        currency: Some("RON".into()),
        vat_id: Some(9),
        status: Some(status.into()),
        general_stock: Some(stock),
        stock: vec![WarehouseValue {
            warehouse_id: 1,
            value: stock as i64,
        }],
        handling_time: vec![WarehouseValue {
            warehouse_id: 1,
            value: 2,
        }],
        validation_status: Some(9),
        offer_validation_status: Some(1),
        ownership: Some(1),
        raw: raw.into(),
        ..Default::default()
    }
}

/// Fills two accounts: `main` with `n` offers (tricky names, all statuses, some stock 0, a few
/// missing) and `fbe` with 25. Returns every (account, id) → name.
async fn fill(store: &Store, n: i64) -> BTreeMap<(String, i64), String> {
    let now = Utc::now() - Duration::minutes(5);
    let mut names = BTreeMap::new();
    for (account, count) in [("main", n), ("fbe", 25)] {
        let offers: Vec<Offer> = (1..=count)
            .map(|id| {
                let base = TRICKY[id as usize % TRICKY.len()];
                let name = format!("{base} #{id}");
                names.insert((account.to_string(), id), name.clone());
                offer(id, &name, (id % 3) as i16, (id % 4) as i32, id % 5 == 0)
            })
            .collect();
        for chunk in offers.chunks(100) {
            store
                .offers()
                .write(account, None, chunk, now)
                .await
                .unwrap();
        }
    }
    store
        .offers()
        .mark_missing("main", None, &[2, 3, 7], Utc::now())
        .await
        .unwrap();
    names
}

fn strict_csv(bytes: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .has_headers(true)
        .from_reader(bytes);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().collect::<Result<Vec<_>, _>>().unwrap();
    (header, rows)
}

#[tokio::test]
async fn export_csv_has_as_many_rows_as_stats_and_every_name_intact() {
    for db in TestDb::all().await {
        let names = fill(&db.store, 260).await;
        let env = Env::new();
        let stats = env.json(&db.url, &["stats", "--json"]);
        let total = stats["total"]["offers"].as_i64().unwrap();
        assert_eq!(total as usize, names.len(), "{}", db.label);
        let main = stats["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == "main")
            .unwrap();
        assert_eq!(main["missing"], 3);
        assert_eq!(
            main["active"].as_i64().unwrap()
                + main["inactive"].as_i64().unwrap()
                + main["end_of_life"].as_i64().unwrap()
                + main["missing"].as_i64().unwrap(),
            main["offers"].as_i64().unwrap()
        );

        let file = env.dir.path().join("out").join("offers.csv");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        env.ok(
            &db.url,
            &[
                "export",
                "--format",
                "csv",
                "--output",
                file.to_str().unwrap(),
            ],
        );
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.starts_with("\u{feff}".as_bytes()));
        let (header, rows) = strict_csv(&bytes);
        assert_eq!(header, magsync::cli::export::CSV_COLUMNS);
        assert_eq!(rows.len() as i64, total, "{}", db.label);
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let mut seen = BTreeMap::new();
        for r in &rows {
            let key = (r[col("account")].to_string(), r[col("id")].parse().unwrap());
            seen.insert(key, r[col("name")].to_string());
        }
        assert_eq!(
            seen, names,
            "{}: names must survive the round trip",
            db.label
        );
        // Money exact with four places; missing offers say so.
        let r7 = rows
            .iter()
            .find(|r| &r[col("account")] == "main" && &r[col("id")] == "7")
            .unwrap();
        assert_eq!(&r7[col("sale_price")], "17.0259");
        assert_eq!(&r7[col("state")], "missing");
        assert!(!r7[col("missing_since")].is_empty());
        // No partial file was left next to it.
        let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");

        // Excel flavour to stdout: a BOM, then the same CSV.
        let out = env.run(&db.url, &["export", "--excel"]);
        assert!(out.status.success());
        assert!(out.stdout.starts_with("\u{feff}".as_bytes()));
        let (_, rows2) = strict_csv(&out.stdout[3..]);
        assert_eq!(rows2.len(), rows.len());

        // A filtered export has exactly what `products` counts for the same filters.
        let filters = ["--account", "main", "--status", "active", "--stock", "zero"];
        let matched =
            env.json(&db.url, &[&["products", "--json"][..], &filters].concat())["matched"]
                .as_i64()
                .unwrap();
        assert!(matched > 0);
        let out = env.ok(&db.url, &[&["export"][..], &filters].concat());
        let (_, rows3) = strict_csv(out.as_bytes());
        assert_eq!(rows3.len() as i64, matched, "{}", db.label);
        assert!(rows3.iter().all(|r| &r[col("state")] == "active"
            && &r[col("general_stock")] == "0"
            && &r[col("account")] == "main"));
    }
}

#[tokio::test]
async fn export_json_and_jsonl_keep_emag_fields_with_exact_money() {
    for db in TestDb::all().await {
        fill(&db.store, 40).await;
        let env = Env::new();
        let stored: BTreeMap<i64, _> = db
            .store
            .offers()
            .of_account("main")
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.offer.id, s))
            .collect();
        let arr = env.json(
            &db.url,
            &["export", "--format", "json", "--account", "main"],
        );
        let arr = arr.as_array().unwrap();
        let lines = env.ok(
            &db.url,
            &["export", "--format", "jsonl", "--account", "main"],
        );
        let from_lines: Vec<Value> = lines
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(arr, &from_lines, "{}", db.label);
        assert_eq!(arr.len(), 40);
        for o in arr {
            let id = o["id"].as_i64().unwrap();
            let s = &stored[&id];
            assert_eq!(o["account"], "main");
            assert!(o["first_seen_at"].as_str().unwrap().ends_with('Z'));
            assert!(o["last_seen_at"].is_string());
            assert_eq!(o["missing_since"].is_null(), s.missing_since.is_none());
            // Every field eMAG sent is there under its own name; money became exact strings.
            for (k, v) in s.offer.raw.to_value().as_object().unwrap() {
                match k.as_str() {
                    "sale_price" => {
                        let exact = format!("{}.{:04}", 10 + id % 900, (id * 37) % 10_000);
                        assert_eq!(o[k], json!(exact), "{}: offer {id}", db.label);
                    }
                    "best_offer_sale_price" => assert_eq!(o[k], "99.5000"),
                    _ => assert_eq!(&o[k], v, "{}: offer {id} field {k}", db.label),
                }
            }
        }
        // Empty results are still valid JSON.
        let empty = env.json(
            &db.url,
            &["export", "--format", "json", "--search", "no such thing"],
        );
        assert_eq!(empty, json!([]));
    }
}

#[tokio::test]
async fn products_and_history_print_valid_json_with_stable_keys() {
    for db in TestDb::all().await {
        fill(&db.store, 30).await;
        let s = &db.store;
        let t0 = Utc::now() - Duration::days(10);
        let old = s
            .runs()
            .create(
                "main",
                &SyncOptions::default(),
                Trigger::Schedule,
                "test",
                t0,
            )
            .await
            .unwrap();
        s.runs()
            .finish(
                old.id,
                RunStatus::Failed,
                &RunCounts::default(),
                None,
                Some("boom"),
                t0,
            )
            .await
            .unwrap();
        let opts = SyncOptions {
            mode: SyncMode::Full,
            ..Default::default()
        };
        let run = s
            .runs()
            .create("main", &opts, Trigger::Cli, "test", Utc::now())
            .await
            .unwrap();
        s.runs()
            .add_events(
                run.id,
                &[(
                    magsync::model::EventLevel::Info,
                    "page 1/3, 100 offers".into(),
                    Utc::now(),
                )],
            )
            .await
            .unwrap();
        let counts = RunCounts {
            pages_done: 3,
            offers_seen: 30,
            created: 30,
            failed: 2,
            ..Default::default()
        };
        s.runs()
            .finish(
                run.id,
                RunStatus::Completed,
                &counts,
                None,
                None,
                Utc::now(),
            )
            .await
            .unwrap();
        s.offers()
            .mark_missing("main", Some(run.id), &[5], Utc::now())
            .await
            .unwrap();
        let env = Env::new();

        // Search folds accents: "lampa" finds "Lampă".
        let p = env.json(
            &db.url,
            &[
                "products", "--search", "lampa", "--json", "--sort", "id:desc",
            ],
        );
        let products = p["products"].as_array().unwrap();
        assert!(!products.is_empty());
        assert_eq!(p["matched"].as_u64().unwrap() as usize, products.len());
        let ids: Vec<i64> = products.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] >= w[1]), "{ids:?}");
        let keys: Vec<&String> = products[0].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "account",
                "id",
                "part_number",
                "part_number_key",
                "name",
                "brand",
                "sale_price",
                "currency",
                "general_stock",
                "status",
                "state",
                "buy_button_rank",
                "missing_since",
                "last_changed_at"
            ]
        );
        let limited = env.json(&db.url, &["products", "--limit", "2", "--json"]);
        assert_eq!(limited["products"].as_array().unwrap().len(), 2);
        assert_eq!(limited["matched"], 55);

        let stats = env.json(&db.url, &["stats", "--json"]);
        let main = &stats["accounts"].as_array().unwrap()[1];
        assert_eq!(main["account"], "main");
        assert_eq!(main["failed_to_sync"], 2);
        assert_eq!(main["last_sync"]["status"], "completed");
        assert_eq!(main["last_full_sync_ok"]["run_id"], run.id);
        assert!(env.ok(&db.url, &["stats"]).contains("TOTAL"));

        let h = env.json(&db.url, &["history", "--json"]);
        assert_eq!(h["runs"].as_array().unwrap().len(), 2);
        assert_eq!(h["runs"][0]["id"], run.id);
        let recent = env.json(&db.url, &["history", "--since", "7d", "--json"]);
        assert_eq!(recent["runs"].as_array().unwrap().len(), 1);
        let failed = env.json(
            &db.url,
            &[
                "history",
                "--status",
                "failed",
                "--account",
                "main",
                "--json",
            ],
        );
        assert_eq!(failed["runs"][0]["error_summary"], "boom");
        assert!(env.ok(&db.url, &["history"]).contains("schedule"));

        let id = run.id.to_string();
        let show = env.json(&db.url, &["history", "show", &id, "--json"]);
        assert_eq!(show["run"]["mode"], "full");
        assert_eq!(show["run"]["counts"]["failed"], 2);
        assert_eq!(show["events"][0]["message"], "page 1/3, 100 offers");
        assert_eq!(show["changes"][0]["field"], "missing");
        assert_eq!(show["changes"][0]["offer_id"], 5);
        assert_eq!(show["changes_truncated"], false);
        let text = env.ok(&db.url, &["history", "show", &id]);
        assert!(
            text.contains("page 1/3") && text.contains("main/5  missing"),
            "{text}"
        );

        let out = env.run(&db.url, &["history", "show", "999999"]);
        assert_eq!(out.status.code(), Some(1));
    }
}

fn one_sentence(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("magsync: "), "{err}");
    err
}

#[test]
fn bad_flags_exit_2_with_one_sentence() {
    let env = Env::new();
    let db = magsync::config::sqlite_url(&env.dir.path().join("x.db"));
    let cases: &[&[&str]] = &[
        &["stats", "--bogus"],
        &["products", "--status", "sold"],
        &["products", "--stock", "many"],
        &["products", "--sort", "colour"],
        &["products", "--sort", "name:sideways"],
        &["products", "--limit", "0"],
        &["products", "--limit", "ten"],
        &["history", "--since", "last tuesday"],
        &["history", "--status", "done"],
        &["history", "show", "abc"],
        &["history", "show"],
        &["export", "--format", "xml"],
        &["export", "--format", "json", "--excel"],
        &["export", "--status", "gone"],
    ];
    for args in cases {
        let out = env.run(&db, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {:?}", out);
        let e = one_sentence(&out);
        assert!(!e.contains("panicked"), "{e}");
    }
    // Help explains, exits 0, and documents the CSV columns.
    let out = env.run(&db, &["export", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    // Joined on whitespace: the help is wrapped to the terminal width.
    let help = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains("best_offer_recommended_price") && help.contains("RFC 4180"));
}

#[test]
fn a_failed_export_leaves_no_file_behind() {
    let env = Env::new();
    let db = magsync::config::sqlite_url(&env.dir.path().join("x.db"));
    // The target is an existing directory: the rename fails after the data was written.
    let target = env.dir.path().join("taken");
    std::fs::create_dir_all(target.join("inner")).unwrap();
    let out = env.run(&db, &["export", "--output", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    one_sentence(&out);
    let names: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
    // A folder that does not exist is one sentence too.
    let missing = env.dir.path().join("nope").join("o.csv");
    let out = env.run(&db, &["export", "--output", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    one_sentence(&out);
    assert!(!Path::new(&missing).exists());
}
