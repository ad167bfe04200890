//! Reports (`magsync report`, the daemon's daily and weekly files, the History summary): every
//! number of the JSON report against one computed here from the store after syncs over the
//! simulator with mutations and churn, on SQLite and Postgres; the HTML parsed by an HTML5
//! parser and checked for external references; text, Markdown and the summary view as
//! snapshots of a fixed store.

use crate::emag_support::*;

use chrono::{DateTime, Duration, Utc};
use magsync::edits::EditRequest;
use magsync::model::{Offer, RunCounts, RunStatus, SyncMode, SyncOptions, Trigger};
use magsync::report::{Facts, Format, Window, render};
use magsync::store::Store;
use magsync::testing::TestDb;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Every number of the JSON report, recomputed from the store

/// What the report should say about one account, computed from runs, their changes and the
/// offers as the store lists them, without the report's queries.
#[derive(Debug, Default)]
struct Expected {
    new: u64,
    gone_missing: u64,
    back: u64,
    inactivated: u64,
    end_of_life: u64,
    changed: u64,
    rises: u64,
    drops: u64,
    under_min: u64,
    over_max: u64,
    went_out: u64,
    restocked: u64,
    went_low: u64,
    runs: u64,
    by_status: BTreeMap<String, u64>,
    failed_pages: i64,
    requests: i64,
    retries: i64,
    rate_limited: i64,
    /// (percent, offer id) of the biggest rises and drops.
    top_rises: Vec<(Decimal, i64)>,
    top_drops: Vec<(Decimal, i64)>,
    pending: u64,
    conflicts: u64,
    last_completed_at: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
    /// Length of each run started in the window.
    run_seconds: Vec<i64>,
    /// Offers listed now that held the buy button at the window's start and do not now, with
    /// their gap to the best price; and those that hold it now and did not.
    lost: BTreeMap<i64, Option<Decimal>>,
    won: u64,
    /// Change records of sale price and of stock in the window (what the charts count).
    price_records: u64,
    stock_records: u64,
}

/// Each listed offer's buy-button rank.
type Ranks = BTreeMap<i64, Option<i32>>;

async fn ranks(db: &TestDb, account: &str) -> Ranks {
    mirror(db, account)
        .await
        .into_iter()
        .map(|o| (o.id, o.buy_button_rank))
        .collect()
}

/// A field change: field, old value, new value.
type Change = (String, Option<String>, Option<String>);
type ChangeTest<'a> = dyn Fn(&str, &Option<String>, &Option<String>) -> bool + 'a;

async fn expected(store: &Store, account: &str, w: Window, before: &Ranks) -> Expected {
    let inside = |t: DateTime<Utc>| t >= w.since && t < w.until;
    let mut e = Expected {
        until: w.until,
        ..Default::default()
    };
    let runs = store
        .runs()
        .list(&magsync::store::runs::RunFilter {
            account: Some(account.into()),
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    // Per offer: its field changes in the window, oldest first.
    let mut history: BTreeMap<i64, Vec<Change>> = BTreeMap::new();
    let mut all_runs = runs.clone();
    all_runs.sort_by_key(|r| r.id);
    for r in &all_runs {
        for c in store.runs().changes_of_run(r.id, 10_000_000).await.unwrap() {
            if inside(c.at) {
                history
                    .entry(c.offer_id)
                    .or_default()
                    .push((c.field, c.old_value, c.new_value));
            }
        }
    }
    let num = |v: &Option<String>| v.as_deref().map(|s| s.parse::<i64>().unwrap());
    let mut moves = Vec::new();
    for (id, changes) in &history {
        for (field, _, _) in changes {
            match field.as_str() {
                "sale_price" => e.price_records += 1,
                "general_stock" => e.stock_records += 1,
                _ => {}
            }
        }
        let has = |f: &ChangeTest<'_>| changes.iter().any(|(field, o, n)| f(field, o, n));
        e.gone_missing += has(&|f, _, n| f == "missing" && n.is_some()) as u64;
        e.back += has(&|f, o, _| f == "missing" && o.is_some()) as u64;
        e.inactivated +=
            has(&|f, o, n| f == "status" && n.as_deref() == Some("0") && o.as_deref() != Some("0"))
                as u64;
        e.end_of_life +=
            has(&|f, o, n| f == "status" && n.as_deref() == Some("2") && o.as_deref() != Some("2"))
                as u64;
        e.went_out +=
            has(&|f, o, n| f == "general_stock" && num(n) == Some(0) && num(o).unwrap_or(0) > 0)
                as u64;
        e.restocked +=
            has(&|f, o, n| f == "general_stock" && num(o) == Some(0) && num(n).unwrap_or(0) > 0)
                as u64;
        e.went_low += has(&|f, o, n| {
            let low = |v: Option<i64>| matches!(v, Some(1..=5));
            f == "general_stock" && low(num(n)) && !low(num(o))
        }) as u64;
        let prices: Vec<&Change> = changes
            .iter()
            .filter(|(f, _, _)| f == "sale_price")
            .collect();
        if let (Some(first), Some(last)) = (prices.first(), prices.last()) {
            e.changed += 1;
            if let (Some(old), Some(new)) = (&first.1, &last.2) {
                let (old, new) = (dec(old), dec(new));
                if new > old {
                    e.rises += 1;
                } else if new < old {
                    e.drops += 1;
                }
                if new != old && !old.is_zero() {
                    moves.push(((new - old) * Decimal::ONE_HUNDRED / old, *id));
                }
            }
        }
    }
    let mut rises: Vec<_> = moves
        .iter()
        .filter(|m| m.0 > Decimal::ZERO)
        .copied()
        .collect();
    let mut drops: Vec<_> = moves
        .iter()
        .filter(|m| m.0 < Decimal::ZERO)
        .copied()
        .collect();
    rises.sort_by_key(|m| std::cmp::Reverse(m.0.abs()));
    drops.sort_by_key(|m| std::cmp::Reverse(m.0.abs()));
    e.top_rises = rises.into_iter().take(5).collect();
    e.top_drops = drops.into_iter().take(5).collect();

    for o in store.offers().of_account(account).await.unwrap() {
        if inside(o.first_seen_at) {
            e.new += 1;
        }
        let had = before.get(&o.offer.id).copied().flatten() == Some(1);
        let has = o.offer.buy_button_rank == Some(1);
        if o.missing_since.is_none() && before.contains_key(&o.offer.id) && had != has {
            if had {
                let gap = o
                    .offer
                    .sale_price
                    .zip(o.offer.best_offer_sale_price)
                    .map(|(s, b)| s - b);
                e.lost.insert(o.offer.id, gap);
            } else {
                e.won += 1;
            }
        }
        if o.missing_since.is_none()
            && let (Some(p), Some(min), Some(max)) = (
                o.offer.sale_price,
                o.offer.min_sale_price,
                o.offer.max_sale_price,
            )
        {
            e.under_min += (p < min) as u64;
            e.over_max += (p > max) as u64;
        }
    }
    for r in runs.iter().filter(|r| inside(r.started_at)) {
        e.runs += 1;
        *e.by_status.entry(r.status.as_str().into()).or_default() += 1;
        e.failed_pages += r.counts.failed;
        e.requests += r.counts.requests;
        e.retries += r.counts.retries;
        e.rate_limited += r.counts.rate_limited;
        let end = r.finished_at.unwrap_or(r.heartbeat_at);
        e.run_seconds.push((end - r.started_at).num_seconds());
    }
    e.last_completed_at = runs
        .iter()
        .filter(|r| r.status == RunStatus::Completed && r.started_at < w.until)
        .max_by_key(|r| r.started_at)
        .and_then(|r| r.finished_at);
    for edit in magsync::edits::db::list(
        store,
        &magsync::edits::db::EditFilter {
            account: Some(account.into()),
            limit: 100_000,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    {
        match edit.state.as_str() {
            "pending" => e.pending += 1,
            "conflict" => e.conflicts += 1,
            _ => {}
        }
    }
    e
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not a whole number: {v}"))
}

fn i(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("not a whole number: {v}"))
}

fn assert_account(label: &str, a: &Value, e: &Expected) {
    let name = a["account"].as_str().unwrap();
    let at = |what: &str| format!("[{label}] {name}: {what}");
    let c = &a["catalogue"];
    assert_eq!(u(&c["new"]), e.new, "{}", at("new"));
    assert_eq!(
        u(&c["gone_missing"]),
        e.gone_missing,
        "{}",
        at("gone missing")
    );
    assert_eq!(u(&c["back"]), e.back, "{}", at("back"));
    assert_eq!(u(&c["inactivated"]), e.inactivated, "{}", at("inactivated"));
    assert_eq!(u(&c["end_of_life"]), e.end_of_life, "{}", at("end of life"));
    let p = &a["prices"];
    assert_eq!(u(&p["changed"]), e.changed, "{}", at("prices changed"));
    assert_eq!(u(&p["rises"]), e.rises, "{}", at("rises"));
    assert_eq!(u(&p["drops"]), e.drops, "{}", at("drops"));
    assert_eq!(u(&p["under_min"]), e.under_min, "{}", at("under min"));
    assert_eq!(u(&p["over_max"]), e.over_max, "{}", at("over max"));
    for (key, want) in [
        ("biggest_rises", &e.top_rises),
        ("biggest_drops", &e.top_drops),
    ] {
        let got: Vec<(Decimal, i64)> = p[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (dec(m["percent"].as_str().unwrap()), i(&m["offer_id"])))
            .collect();
        let want: Vec<Decimal> = want.iter().map(|m| m.0.round_dp(2)).collect();
        let got_pct: Vec<Decimal> = got.iter().map(|m| m.0).collect();
        assert_eq!(got_pct, want, "{}", at(key));
        for m in p[key].as_array().unwrap() {
            let (old, new) = (
                dec(m["old"].as_str().unwrap()),
                dec(m["new"].as_str().unwrap()),
            );
            assert_eq!(dec(m["change"].as_str().unwrap()), new - old, "{}", at(key));
            assert!(m["part_number"].is_string(), "{}: named", at(key));
        }
    }
    let s = &a["stock"];
    assert_eq!(u(&s["went_out"]), e.went_out, "{}", at("went out"));
    assert_eq!(u(&s["restocked"]), e.restocked, "{}", at("restocked"));
    assert_eq!(u(&s["went_low"]), e.went_low, "{}", at("went low"));
    let b = &a["buy_button"];
    assert_eq!(
        u(&b["lost"]),
        e.lost.len() as u64,
        "{}",
        at("buy button lost")
    );
    assert_eq!(u(&b["won"]), e.won, "{}", at("buy button won"));
    let losses = b["losses"].as_array().unwrap();
    assert_eq!(
        losses.len(),
        e.lost.len().min(10),
        "{}",
        at("losses listed")
    );
    let mut last_pct: Option<Decimal> = None;
    for l in losses {
        let id = i(&l["offer_id"]);
        let want = e
            .lost
            .get(&id)
            .unwrap_or_else(|| panic!("{}: {id}", at("a loss")));
        let gap = l["gap"].as_str().map(dec);
        assert_eq!(gap, *want, "{}", at("loss gap"));
        let pct = l["gap_percent"].as_str().map(dec);
        if let (Some(g), Some(best)) = (gap, l["best_price"].as_str().map(dec)) {
            assert_eq!(
                pct,
                Some((g * Decimal::ONE_HUNDRED / best).round_dp(2)),
                "{}",
                at("loss gap percent")
            );
        }
        if let (Some(prev), Some(p)) = (last_pct, pct) {
            assert!(prev >= p, "{}", at("losses by gap, largest first"));
        }
        last_pct = pct;
    }
    let y = &a["syncs"];
    assert_eq!(u(&y["runs"]), e.runs, "{}", at("runs"));
    let by: BTreeMap<String, u64> = serde_json::from_value(y["by_status"].clone()).unwrap();
    assert_eq!(by, e.by_status, "{}", at("runs by status"));
    assert_eq!(
        i(&y["failed_pages"]),
        e.failed_pages,
        "{}",
        at("failed pages")
    );
    assert_eq!(i(&y["requests"]), e.requests, "{}", at("requests"));
    assert_eq!(i(&y["retries"]), e.retries, "{}", at("retries"));
    assert_eq!(i(&y["rate_limited"]), e.rate_limited, "{}", at("429s"));
    let mut secs: Vec<i64> = e.run_seconds.clone();
    secs.sort_by_key(|s| std::cmp::Reverse(*s));
    secs.truncate(5);
    let slowest: Vec<i64> = y["slowest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| i(&r["seconds"]))
        .collect();
    assert_eq!(slowest, secs, "{}", at("slowest runs"));
    let last: Option<DateTime<Utc>> =
        serde_json::from_value(y["last_completed_at"].clone()).unwrap();
    assert_eq!(last, e.last_completed_at, "{}", at("last completed"));
    assert_eq!(
        y["freshness_minutes"].as_i64(),
        e.last_completed_at.map(|t| (e.until - t).num_minutes()),
        "{}",
        at("freshness")
    );
    let ed = &a["edits"];
    assert_eq!(u(&ed["pending"]), e.pending, "{}", at("pending edits"));
    assert_eq!(
        u(&ed["conflicts_waiting"]),
        e.conflicts,
        "{}",
        at("conflicts")
    );
    let buckets = a["activity"].as_array().unwrap();
    let sum = |key: &str| -> u64 { buckets.iter().map(|b| u(&b[key])).sum() };
    assert_eq!(
        sum("price_changes"),
        e.price_records,
        "{}",
        at("activity holds every price change")
    );
    assert_eq!(
        sum("stock_changes"),
        e.stock_records,
        "{}",
        at("activity holds every stock change")
    );
}

#[tokio::test]
async fn every_number_of_the_json_report_matches_the_store_after_mutations_and_churn() {
    for db in TestDb::all().await {
        // Competitors move too, so offers win and lose the buy button between the syncs.
        let h = start(magsync::sim::SimConfig {
            competition_rate: 0.05,
            ..sim_config(&[("main", 420), ("fbe", 180)])
        })
        .await;
        let e = engine(&db, &h, &["main", "fbe"]);
        // Each offer's buy-button rank when the window began (or when first mirrored in it).
        let mut before = HashMap::new();
        for a in ["main", "fbe"] {
            run_ok(&e, a, full(true)).await;
            before.insert(a, ranks(&db, a).await);
        }
        let since = Utc::now();
        // Three rounds of seeded price/stock mutations, the middle one with churn (new offers,
        // removals that go missing, inactivations) while the sync pages.
        for round in 0..3 {
            mutate(&h, "main", 40).await;
            mutate(&h, "fbe", 15).await;
            let mut options = full(true);
            if round == 1 {
                faults(&h, r#"{"churn_rate":0.6}"#).await;
                // Small pages: more requests, so churn strikes often enough to reach every kind.
                options.items_per_page = 10;
            }
            for a in ["main", "fbe"] {
                run(&e, a, options.clone()).await;
                // An offer first mirrored inside the window is judged against its rank then.
                for (id, rank) in ranks(&db, a).await {
                    before.get_mut(a).unwrap().entry(id).or_insert(rank);
                }
            }
            faults(&h, r#"{"churn_rate":0.0}"#).await;
        }
        // A local edit waiting, and an offer written outside its bounds.
        let first = mirror(&db, "main").await[0].clone();
        magsync::edits::db::queue(
            &db.store,
            "main",
            first.id,
            &EditRequest {
                stock: Some(3),
                ..Default::default()
            },
            false,
            "report-test@localhost via cli",
            Utc::now(),
        )
        .await
        .unwrap();
        let mut outside = first.clone();
        outside.id = 9_999_999;
        outside.part_number = Some("OUT-OF-BOUNDS".into());
        outside.sale_price = Some(dec("1.0000"));
        outside.min_sale_price = Some(dec("5.0000"));
        outside.raw = json!({"id": 9_999_999, "sale_price": "1.0000"}).into();
        db.store
            .offers()
            .write("main", None, &[outside], Utc::now())
            .await
            .unwrap();

        let until = Utc::now() + Duration::seconds(1);
        let w = Window { since, until };
        let accounts = vec!["fbe".to_string(), "main".to_string()];
        let facts = Facts::compute(&db.store, &accounts, w, until)
            .await
            .unwrap();
        let report: Value = serde_json::from_str(&render(&facts, Format::Json)).unwrap();

        let mut sums: HashMap<&str, u64> = HashMap::new();
        for (k, name) in accounts.iter().enumerate() {
            let want = expected(&db.store, name, w, &before[name.as_str()]).await;
            let got = &report["accounts"][k];
            assert_eq!(got["account"], name.as_str());
            assert_account(db.label, got, &want);
            *sums.entry("changed").or_default() += want.changed;
            *sums.entry("new").or_default() += want.new;
            *sums.entry("runs").or_default() += want.runs;
            *sums.entry("went_out").or_default() += want.went_out;
            *sums.entry("gone_missing").or_default() += want.gone_missing;
            *sums.entry("inactivated").or_default() += want.inactivated;
            *sums.entry("buy_button_lost").or_default() += want.lost.len() as u64;
            *sums.entry("buy_button_won").or_default() += want.won;
        }
        // The seeding reached every kind of change, so no number above was trivially zero.
        for (k, v) in &sums {
            assert!(*v > 0, "[{}] nothing seeded for {k}", db.label);
        }
        let t = &report["total"];
        assert_eq!(t["account"], "all");
        assert_eq!(u(&t["prices"]["changed"]), sums["changed"]);
        assert_eq!(u(&t["catalogue"]["new"]), sums["new"]);
        assert_eq!(u(&t["syncs"]["runs"]), sums["runs"]);
        assert_eq!(u(&t["stock"]["went_out"]), sums["went_out"]);
        assert_eq!(u(&t["catalogue"]["gone_missing"]), sums["gone_missing"]);
        assert_eq!(u(&t["buy_button"]["lost"]), sums["buy_button_lost"]);
        assert_eq!(u(&t["buy_button"]["won"]), sums["buy_button_won"]);
        assert_eq!(u(&t["prices"]["under_min"]), 1);
        assert_eq!(u(&t["edits"]["pending"]), 1);
        assert_eq!(report["window"]["since"], json!(since));

        check_html(&render(&facts, Format::Html));
        h.shutdown().await;
    }
}

// ---------------------------------------------------------------------------------------------
// HTML: valid, self-contained

fn check_html(page: &str) {
    let doc = scraper::Html::parse_document(page);
    assert!(
        doc.errors.is_empty(),
        "the HTML5 parser reported errors: {:?}",
        doc.errors
    );
    let all = scraper::Selector::parse("*").unwrap();
    let mut names = BTreeSet::new();
    for el in doc.select(&all) {
        let v = el.value();
        names.insert(v.name().to_string());
        for (attr, value) in v.attrs() {
            let value = value.trim().to_ascii_lowercase();
            assert!(
                !(matches!(attr, "src" | "href" | "srcset" | "action" | "xlink:href")
                    || attr.starts_with("on")),
                "<{}> has {attr}=\"{value}\"",
                v.name()
            );
            assert!(
                !value.contains("http:") && !value.contains("https:") && !value.contains("url("),
                "<{}> {attr} references something outside: {value}",
                v.name()
            );
        }
    }
    for banned in ["script", "link", "iframe", "img", "object", "embed", "base"] {
        assert!(!names.contains(banned), "the page has a <{banned}>");
    }
    for needed in ["html", "head", "body", "style", "svg", "section", "meta"] {
        assert!(names.contains(needed), "the page has no <{needed}>");
    }
    let css: String = doc
        .select(&scraper::Selector::parse("style").unwrap())
        .map(|s| s.inner_html())
        .collect();
    assert!(!css.contains("@import") && !css.contains("url("), "{css}");
    assert!(page.contains("width=device-width"), "readable on a phone");
}

// ---------------------------------------------------------------------------------------------
// A fixed store: snapshots of text, Markdown and the summary view

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn offer(id: i64, name: &str, price: &str, stock: i32, status: i16) -> Offer {
    Offer {
        id,
        part_number: Some(format!("PN-{id}")),
        name: Some(name.to_string()),
        sale_price: Some(dec(price)),
        min_sale_price: Some(dec("10")),
        max_sale_price: Some(dec("1000")),
        currency: Some("RON".into()),
        status: Some(status.into()),
        general_stock: Some(stock),
        raw: json!({"id": id, "name": name, "sale_price": price, "stock": stock, "status": status})
            .into(),
        ..Default::default()
    }
}

/// `o` with a buy-button rank and the best competing price.
fn ranked(mut o: Offer, rank: i32, best: &str) -> Offer {
    o.buy_button_rank = Some(rank);
    o.best_offer_sale_price = Some(dec(best));
    o
}

/// Runs a "sync" by hand at a fixed time: a run row, offers written, marked missing, finished.
#[allow(clippy::too_many_arguments)]
async fn fixed_run(
    store: &Store,
    account: &str,
    start: DateTime<Utc>,
    secs: i64,
    offers: &[Offer],
    missing: &[i64],
    status: RunStatus,
    counts: RunCounts,
) -> i64 {
    let options = SyncOptions {
        mode: SyncMode::Full,
        ..SyncOptions::default()
    };
    let run = store
        .runs()
        .create(account, &options, Trigger::Schedule, "test", start)
        .await
        .unwrap();
    let write_at = start + Duration::seconds(secs / 2);
    store
        .offers()
        .write(account, Some(run.id), offers, write_at)
        .await
        .unwrap();
    store
        .offers()
        .mark_missing(account, Some(run.id), missing, write_at)
        .await
        .unwrap();
    let summary = (status != RunStatus::Completed).then_some("page 3: HTTP 504 after 5 attempts");
    store
        .runs()
        .finish(
            run.id,
            status,
            &counts,
            None,
            summary,
            start + Duration::seconds(secs),
        )
        .await
        .unwrap();
    run.id
}

fn counts(requests: i64, retries: i64, rate_limited: i64, failed: i64) -> RunCounts {
    RunCounts {
        requests,
        retries,
        rate_limited,
        failed,
        ..Default::default()
    }
}

pub fn fixed_window() -> Window {
    Window {
        since: at("2026-12-06T06:00:00Z"),
        until: at("2026-12-07T06:00:00Z"),
    }
}

/// A day of two accounts: price moves, stock out/in/low, inactivation, end of life, a new
/// offer, one gone missing, one under its min, a failed run, edits pending, pushed, rejected.
async fn seed_fixed(db: &TestDb) {
    let s = &db.store;
    let before = at("2026-12-04T06:00:00Z");
    let main = vec![
        offer(1, "Lampă de birou LED", "100", 30, 1),
        ranked(offer(2, "Fierbător inox 1.7 l", "80", 12, 1), 1, "80"),
        offer(3, "Cafetieră", "250", 10, 1),
        ranked(offer(4, "Prăjitor de pâine", "120", 0, 1), 3, "99.90"),
        offer(5, "Mixer vertical", "199.99", 20, 1),
        offer(6, "Aspirator *robot*", "899", 4, 1),
        offer(7, "Radiator", "300", 9, 1),
        offer(8, "Ventilator", "150", 6, 1),
    ];
    fixed_run(
        s,
        "main",
        before,
        200,
        &main,
        &[],
        RunStatus::Completed,
        counts(9, 0, 0, 0),
    )
    .await;
    let fbe = vec![
        offer(100, "Set cuțite", "50", 40, 1),
        offer(101, "Tigaie", "70", 8, 1),
    ];
    fixed_run(
        s,
        "fbe",
        before,
        80,
        &fbe,
        &[],
        RunStatus::Completed,
        counts(3, 0, 0, 0),
    )
    .await;

    let morning = at("2026-12-06T08:10:00Z");
    let changed = vec![
        offer(1, "Lampă de birou LED", "125", 30, 1),
        // Lost the buy button to a cheaper competitor; won it where the competitor left.
        ranked(offer(2, "Fierbător inox 1.7 l", "60", 12, 1), 2, "55"),
        offer(3, "Cafetieră", "250", 0, 1),
        ranked(offer(4, "Prăjitor de pâine", "120", 7, 1), 1, "120"),
        offer(5, "Mixer vertical", "189.99", 3, 1),
        offer(6, "Aspirator *robot*", "899", 4, 0),
        offer(7, "Radiator", "300", 9, 2),
        offer(9, "Umidificator", "5", 15, 1),
    ];
    fixed_run(
        s,
        "main",
        morning,
        185,
        &changed,
        &[8],
        RunStatus::Completed,
        counts(10, 2, 1, 0),
    )
    .await;
    let evening = at("2026-12-06T20:30:00Z");
    fixed_run(
        s,
        "main",
        evening,
        725,
        &[offer(1, "Lampă de birou LED", "130", 30, 1)],
        &[],
        RunStatus::Partial,
        counts(14, 6, 3, 2),
    )
    .await;
    fixed_run(
        s,
        "fbe",
        at("2026-12-06T09:00:00Z"),
        64,
        &[
            offer(100, "Set cuțite", "40", 40, 1),
            offer(101, "Tigaie", "70", 2, 1),
        ],
        &[],
        RunStatus::Completed,
        counts(3, 0, 0, 0),
    )
    .await;

    // Edits: one pending for two days, one pushed and one rejected in the window.
    for (account, id, created) in [
        ("main", 3, before),
        ("main", 5, morning),
        ("fbe", 100, morning),
    ] {
        magsync::edits::db::queue(
            s,
            account,
            id,
            &EditRequest {
                stock: Some(11),
                ..Default::default()
            },
            false,
            "report-test@localhost via cli",
            created,
        )
        .await
        .unwrap();
    }
    let pushed = at("2026-12-06T10:00:00Z");
    edit_state(db, "main", 5, "pushed", None, pushed).await;
    edit_state(
        db,
        "fbe",
        100,
        "rejected",
        Some("Stock cannot be changed for FBE offers"),
        pushed,
    )
    .await;
}

/// Sets an edit's outcome as a push would have left it.
async fn edit_state(
    db: &TestDb,
    account: &str,
    offer_id: i64,
    state: &str,
    message: Option<&str>,
    t: DateTime<Utc>,
) {
    let sql = "UPDATE pending_edits SET state = $1, message = $2, pushed_at = $3, updated_at = $3 \
               WHERE account = $4 AND offer_id = $5";
    let n = if db.label == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let n = sqlx::query(sql)
            .bind(state)
            .bind(message)
            .bind(t)
            .bind(account)
            .bind(offer_id)
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected();
        pool.close().await;
        n
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let n = sqlx::query(sql)
            .bind(state)
            .bind(message)
            .bind(t)
            .bind(account)
            .bind(offer_id)
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected();
        pool.close().await;
        n
    };
    assert_eq!(n, 1);
}

pub async fn fixed_facts(db: &TestDb) -> Facts {
    seed_fixed(db).await;
    let accounts = vec!["fbe".to_string(), "main".to_string()];
    let w = fixed_window();
    Facts::compute(&db.store, &accounts, w, w.until)
        .await
        .unwrap()
}

#[tokio::test]
async fn text_and_markdown_of_a_fixed_day_are_the_same_on_both_stores() {
    let mut outputs = Vec::new();
    for db in TestDb::all().await {
        let facts = fixed_facts(&db).await;
        let main = &facts.accounts[1];
        // The hand-made day, read back (the snapshots below show the rest).
        assert_eq!(main.catalogue.new, 1, "[{}]", db.label);
        assert_eq!(
            (
                main.catalogue.gone_missing,
                main.catalogue.inactivated,
                main.catalogue.end_of_life
            ),
            (1, 1, 1)
        );
        assert_eq!(
            (main.prices.changed, main.prices.rises, main.prices.drops),
            (3, 1, 2)
        );
        assert_eq!(main.prices.biggest_rises[0].percent, dec("30.00"));
        assert_eq!(main.prices.biggest_rises[0].old, dec("100"));
        assert_eq!(main.prices.biggest_rises[0].new, dec("130"));
        assert_eq!(main.prices.under_min, 1);
        assert_eq!(
            (
                main.stock.went_out,
                main.stock.restocked,
                main.stock.went_low
            ),
            (1, 1, 1)
        );
        assert_eq!(main.syncs.runs, 2);
        assert_eq!(main.syncs.failed_pages, 2);
        assert_eq!(main.syncs.slowest[0].seconds, 725);
        assert_eq!(
            (
                main.edits.pushed,
                main.edits.pending,
                main.edits.pending_too_long
            ),
            (1, 1, 1)
        );
        assert_eq!(facts.accounts[0].edits.rejected, 1);
        assert_eq!((main.buy_button.lost, main.buy_button.won), (1, 1));
        let loss = &main.buy_button.losses[0];
        assert_eq!(loss.offer_id, 2);
        assert_eq!(loss.gap, Some(dec("5")));
        assert_eq!(loss.gap_percent, Some(dec("9.09")));
        assert_eq!(facts.total.buy_button.lost, 1);
        assert_eq!(facts.total.prices.changed, 4);
        outputs.push((
            db.label,
            render(&facts, Format::Text),
            render(&facts, Format::Markdown),
            render(&facts, Format::Json),
        ));
    }
    let (_, text, markdown, _) = &outputs[0];
    insta::assert_snapshot!("fixed_day_text", text);
    insta::assert_snapshot!("fixed_day_markdown", markdown);
    for (label, t, m, j) in &outputs[1..] {
        assert_eq!(t, text, "[{label}] text differs from SQLite's");
        assert_eq!(m, markdown, "[{label}] Markdown differs from SQLite's");
        assert_eq!(j, &outputs[0].3, "[{label}] JSON differs from SQLite's");
    }
}

#[tokio::test]
async fn html_of_a_fixed_day_parses_and_references_nothing_outside() {
    let db = TestDb::sqlite().await;
    let facts = fixed_facts(&db).await;
    let page = render(&facts, Format::Html);
    check_html(&page);
    // eMAG's text is escaped, and every account and the total have a section.
    assert!(page.contains("Aspirator *robot*") || page.contains("Account main"));
    assert_eq!(page.matches("<section>").count(), 3);
    assert!(page.contains("<rect"), "charts drawn");
    let doc = scraper::Html::parse_document(&page);
    let text: String = doc.root_element().text().collect();
    assert!(
        text.contains("+30.00 %  100 → 130 (+30)  PN-1 Lampă de birou LED (offer 1)"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// The History tab's summary view

#[tokio::test]
async fn history_summary_view_renders_the_facts() {
    use magsync::tui::app::{Msg, Tab};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let db = TestDb::sqlite().await;
    let facts = fixed_facts(&db).await;
    let mut app = magsync::tui::fixture::app();
    app.tab = Tab::History;
    // `v` asks for the summary of the tab's window (the since filter "all": 30 days) and
    // accounts.
    let fx = app.update(Msg::Key(key('v')));
    match fx.as_slice() {
        [magsync::tui::app::Effect::LoadSummary { accounts, window }] => {
            assert_eq!(accounts, &vec!["main".to_string(), "fbe".to_string()]);
            assert_eq!(window.until - window.since, Duration::days(30));
        }
        other => panic!("expected one LoadSummary, got {other:?}"),
    }
    app.update(Msg::Summary(Ok(Box::new(facts))));
    for (w, h) in [(80, 24), (120, 40)] {
        app.size = (w, h);
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| magsync::tui::views::draw(f, &app)).unwrap();
        insta::assert_snapshot!(format!("summary_view_{w}x{h}"), t.backend());
    }
    // Down scrolls the summary (a short terminal holds only its top).
    app.update(Msg::Key(key('j')));
    app.update(Msg::Key(key('j')));
    assert_eq!(app.summary.scroll, 2);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| magsync::tui::views::draw(f, &app)).unwrap();
    insta::assert_snapshot!("summary_view_scrolled_80x24", t.backend());
    // `v` again returns to the runs.
    let fx = app.update(Msg::Key(key('v')));
    assert!(
        matches!(fx.as_slice(), [magsync::tui::app::Effect::LoadRuns { .. }]),
        "{fx:?}"
    );
}

fn key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    )
}

// ---------------------------------------------------------------------------------------------
// The command

fn magsync(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_magsync"));
    // No config file, no accounts from the environment: the store's runs name the accounts.
    cmd.env("MAGSYNC_CONFIG_DIR", dir)
        .env("MAGSYNC_DATA_DIR", dir)
        .env_remove("DATABASE_URL")
        .env_remove("MAGSYNC_CONFIG");
    for (k, _) in std::env::vars() {
        if k.starts_with("EMAG_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[tokio::test]
async fn the_command_writes_the_window_asked_for_and_refuses_bad_input_in_one_sentence() {
    let db = TestDb::sqlite().await;
    let facts = fixed_facts(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("week.json");
    let run = magsync(dir.path())
        .args(["--database-url", &db.url, "report", "--format", "json"])
        .args([
            "--since",
            "2026-12-06T06:00:00Z",
            "--until",
            "2026-12-07T06:00:00Z",
        ])
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut got: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let mut want: Value = serde_json::from_str(&render(&facts, Format::Json)).unwrap();
    // Only the time it was made differs.
    got["generated_at"] = Value::Null;
    want["generated_at"] = Value::Null;
    // Pending-too-long is counted from when the report is made: now, not the window's end.
    for v in [&mut got, &mut want] {
        for a in v["accounts"].as_array_mut().unwrap() {
            a["edits"]["pending_too_long"] = Value::Null;
        }
        v["total"]["edits"]["pending_too_long"] = Value::Null;
    }
    assert_eq!(got, want);

    for (args, needle) in [
        (
            vec!["report", "--since", "yesterday"],
            "--since \"yesterday\"",
        ),
        (vec!["report", "--account", "nope"], "no account \"nope\""),
        (
            vec!["report", "--since", "1h", "--until", "2h"],
            "the window is empty",
        ),
        (vec!["report", "--format", "pdf"], "expected one of"),
    ] {
        let run = magsync(dir.path())
            .args(["--database-url", &db.url])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// The daemon's report files

#[tokio::test]
async fn scheduled_reports_are_written_as_markdown_html_and_json_and_pruned() {
    use magsync::report::scheduled::{Kind, ReportSchedule, prune, write};
    let db = TestDb::sqlite().await;
    let facts = fixed_facts(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let schedule = ReportSchedule {
        daily_at: Some(chrono::NaiveTime::from_hms_opt(6, 0, 0).unwrap()),
        weekly_on: None,
        keep_days: 30,
        dir: dir.path().join("reports"),
    };
    let w = fixed_window();
    let accounts = vec!["fbe".to_string(), "main".to_string()];
    let written = write(
        &db.store,
        &accounts,
        &schedule,
        Kind::Daily,
        w.until,
        w.until,
    )
    .await
    .unwrap();
    assert_eq!(written.window, w);
    // The Markdown handed to a poster is the file's, and the day's facts.
    assert_eq!(written.markdown, render(&facts, Format::Markdown));
    let names: Vec<String> = written
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "daily-2026-12-07T0600Z.md",
            "daily-2026-12-07T0600Z.html",
            "daily-2026-12-07T0600Z.json"
        ]
    );
    for (path, format) in written
        .files
        .iter()
        .zip([Format::Markdown, Format::Html, Format::Json])
    {
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            render(&facts, format)
        );
    }
    check_html(&std::fs::read_to_string(&written.files[1]).unwrap());
    // Kept for keep_days after the window's end, then deleted.
    assert_eq!(prune(&schedule, w.until + Duration::days(29)).unwrap(), 0);
    assert_eq!(prune(&schedule, w.until + Duration::days(31)).unwrap(), 3);
    assert!(!written.files[0].exists());
}
