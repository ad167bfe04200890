//! `magsync offer set`, `pending`, `push` and `conflicts resolve` as a user runs them: the real
//! binary, the account from `EMAG_MAIN_*`, the simulator over HTTP, a temporary SQLite file.

use crate::edits_support;

use edits_support::*;
use magsync::sim::{SimAccount, SimHandle};
use serde_json::{Value, json};
use std::process::Output;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    async fn run(&self, h: &SimHandle, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_magsync"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAGSYNC_CONFIG_DIR", self.dir.path().join("config"))
            .env("MAGSYNC_DATA_DIR", self.dir.path().join("data"))
            .env("EMAG_MAIN_USERNAME", "main")
            .env("EMAG_MAIN_PASSWORD", "demo")
            .env("EMAG_MAIN_BASE_URL", h.base_url())
            .output()
            .await
            .expect("magsync runs")
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn edit_push_and_resolve_from_the_command_line() {
    let h = start_sim(sim_config(vec![SimAccount::new("main", 120)], 0)).await;
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let out = env
        .run(&h, &["sync", "--account", "main", "--include-inactive"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cat = catalogue(&h, "main").await;
    let mut it = cat.iter();
    let ((&a, oa), (&b, ob)) = (it.next().unwrap(), it.next().unwrap());
    let (a_id, b_id) = (a.to_string(), b.to_string());
    let amax = dec(&oa["max_sale_price"]).unwrap();

    // A value out of bounds: exit 2, one sentence naming the bound, nothing queued.
    let over = (amax + d("1")).to_string();
    let out = env
        .run(
            &h,
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                &a_id,
                "--price",
                &over,
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("maximum sale price {amax}")),
        "{}",
        text(&out)
    );
    let out = env
        .run(
            &h,
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                &a_id,
                "--stock",
                "70000",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("maximum 65535"), "{}", text(&out));

    let mine = other_price(oa).to_string();
    let out = env
        .run(
            &h,
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                &a_id,
                "--price",
                &mine,
                "--stock",
                "7",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env
        .run(
            &h,
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                &b_id,
                "--status",
                "inactive",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = env.run(&h, &["pending", "--json"]).await;
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|e| e["state"] == "pending"));

    let out = env.run(&h, &["push", "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("2 pending edits would go out in 1 offer/save calls"));
    assert_eq!(catalogue(&h, "main").await, cat, "a dry run sends nothing");

    assert!(
        list.iter()
            .all(|e| e["queued_by"].as_str().unwrap().ends_with(" via cli")),
        "{list:?}"
    );

    // Without a terminal and without --yes: the preview, then a refusal; nothing is sent.
    let out = env.run(&h, &["push", "--account", "main"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("push preview: 2 offers of 1 account (main)"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("main · offer {a_id} · ")),
        "{shown}"
    );
    assert!(shown.contains("sale_price "), "{shown}");
    assert!(shown.contains("status             1 → 0"), "{shown}");
    assert!(shown.contains("pass --yes"), "{shown}");
    assert_eq!(
        catalogue(&h, "main").await,
        cat,
        "a refused push sends nothing"
    );
    // More offers than allowed: refused even with --yes.
    let out = env
        .run(
            &h,
            &["push", "--account", "main", "--yes", "--max-offers", "1"],
        )
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("would change 2 offers, more than the allowed 1"),
        "{}",
        text(&out)
    );
    assert_eq!(catalogue(&h, "main").await, cat);

    let out = env.run(&h, &["push", "--account", "main", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("main: 2 pushed, 0 rejected, 0 still pending"),
        "{}",
        text(&out)
    );
    let now = catalogue(&h, "main").await;
    assert_eq!(price_of(&now[&a]).to_string(), mine);
    assert_eq!(stock_of(&now[&a]), 7);
    assert_eq!(now[&b]["status"], 0);
    assert_eq!(ob["status"], 1, "the fixture offer was active");

    // A manual conflict resolved from the command line.
    let bmin = dec(&ob["min_sale_price"]).unwrap();
    let bmax = dec(&ob["max_sale_price"]).unwrap();
    let out = env
        .run(
            &h,
            &[
                "offer",
                "set",
                "--account",
                "main",
                "--id",
                &b_id,
                "--price",
                &bmin.to_string(),
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    remote_save(
        &h,
        "main",
        json!([{"id": b, "sale_price": bmax.to_string()}]),
    )
    .await;
    let out = env
        .run(
            &h,
            &[
                "sync",
                "--account",
                "main",
                "--include-inactive",
                "--conflict-strategy",
                "manual",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.run(&h, &["pending"]).await;
    assert!(text(&out).contains("conflict"), "{}", text(&out));
    let out = env.run(&h, &["push", "--yes"]).await;
    assert!(text(&out).contains("nothing to push"), "{}", text(&out));
    let out = env
        .run(
            &h,
            &[
                "conflicts",
                "resolve",
                "--account",
                "main",
                "--id",
                &b_id,
                "--keep",
                "local",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("kept the local edit"), "{}", text(&out));
    let out = env.run(&h, &["push", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(price_of(&catalogue(&h, "main").await[&b]), bmin);
    let out = env
        .run(
            &h,
            &[
                "conflicts",
                "resolve",
                "--account",
                "main",
                "--id",
                &b_id,
                "--keep",
                "remote",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    h.shutdown().await;
}

#[tokio::test]
async fn queued_edits_are_withdrawn_with_pending_discard() {
    let h = start_sim(sim_config(vec![SimAccount::new("main", 30)], 0)).await;
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let out = env
        .run(&h, &["sync", "--account", "main", "--include-inactive"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cat = catalogue(&h, "main").await;
    let mut it = cat.iter();
    let ((&a, oa), (&b, ob)) = (it.next().unwrap(), it.next().unwrap());
    for (id, o) in [(a, oa), (b, ob)] {
        let price = other_price(o).to_string();
        let args = [
            "offer",
            "set",
            "--account",
            "main",
            "--id",
            &id.to_string(),
            "--price",
            &price,
        ];
        let out = env.run(&h, &args).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let out = env.run(&h, &["pending", "--json"]).await;
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let id_of = |offer: i64| {
        list.iter()
            .find(|e| e["offer_id"] == offer)
            .map(|e| e["id"].as_i64().unwrap())
            .unwrap()
    };
    let (ea, eb) = (id_of(a), id_of(b));

    let out = env.run(&h, &["pending", "discard"]).await;
    assert_eq!(out.status.code(), Some(2), "nothing named: {}", text(&out));
    let out = env.run(&h, &["pending", "discard", "999999"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("there is no edit 999999"),
        "{}",
        text(&out)
    );

    let out = env.run(&h, &["pending", "discard", &ea.to_string()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("discarded edit {ea} (offer {a} of main")),
        "{}",
        text(&out)
    );
    // Discarding it again says why not.
    let out = env.run(&h, &["pending", "discard", &ea.to_string()]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("already discarded"), "{}", text(&out));
    // The mirror shows eMAG's price again.
    let out = env
        .run(
            &h,
            &["products", "--account", "main", "--json", "--limit", "100"],
        )
        .await;
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = v["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == a)
        .cloned()
        .unwrap();
    assert_eq!(dec(&row["sale_price"]).unwrap(), price_of(oa), "{row}");

    let out = env
        .run(&h, &["pending", "discard", "--account", "main"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("discarded edit {eb}")),
        "{}",
        text(&out)
    );
    let out = env.run(&h, &["push", "--yes"]).await;
    assert!(text(&out).contains("nothing to push"), "{}", text(&out));
    assert_eq!(catalogue(&h, "main").await, cat, "nothing was sent");
    let out = env.run(&h, &["pending", "--json"]).await;
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(list.iter().all(|e| e["state"] == "discarded"), "{list:?}");
    assert!(
        list.iter()
            .all(|e| e["message"].as_str().unwrap().contains("withdrawn by"))
    );
    h.shutdown().await;
}

#[tokio::test]
async fn exports_keep_emags_value_and_put_the_pending_one_in_its_own_columns() {
    let h = start_sim(sim_config(vec![SimAccount::new("main", 20)], 0)).await;
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let out = env
        .run(&h, &["sync", "--account", "main", "--include-inactive"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cat = catalogue(&h, "main").await;
    let (&id, o) = cat.iter().next().unwrap();
    let emag = price_of(o);
    let mine = other_price(o);
    assert_ne!(emag, mine);
    let args = [
        "offer",
        "set",
        "--account",
        "main",
        "--id",
        &id.to_string(),
        "--price",
        &mine.to_string(),
    ];
    let out = env.run(&h, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = env.run(&h, &["export", "--format", "csv"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut r = csv::Reader::from_reader(&out.stdout[..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let row = rows
        .iter()
        .find(|r| r[col("id")] == id.to_string())
        .unwrap();
    let money = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(money(&row[col("sale_price")]), emag, "eMAG's value stays");
    assert_eq!(money(&row[col("pending_sale_price")]), mine);
    assert!(row[col("pending_queued_by")].contains("via cli"), "{row:?}");
    assert!(!row[col("pending_queued_at")].is_empty());
    assert_eq!(&row[col("pending_stock")], "");
    // Offers without an edit leave the pending columns empty.
    let other = rows
        .iter()
        .find(|r| r[col("id")] != id.to_string())
        .unwrap();
    assert_eq!(&other[col("pending_sale_price")], "");
    assert_eq!(&other[col("pending_queued_at")], "");

    let out = env.run(&h, &["export", "--format", "jsonl"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == id)
        .unwrap();
    assert_eq!(dec(&v["sale_price"]).unwrap(), emag, "{v}");
    assert_eq!(dec(&v["pending_edit"]["sale_price"]).unwrap(), mine, "{v}");
    assert_eq!(v["pending_edit"]["stock"], Value::Null);
    h.shutdown().await;
}
