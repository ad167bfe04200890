//! The facts of a report: one plain struct per account and in total, computed from the store
//! for a window of time. Every renderer (text, Markdown, HTML, JSON, the dashboard's summary)
//! shows these and computes nothing of its own. The JSON shape is docs/report-json.md.

use crate::edits::{EditState, db::EditFilter};
use crate::model::search::LOW_STOCK;
use crate::model::{RunStatus, SyncRun};
use crate::price::buybox::Move;
use crate::store::reports::{BoundsRow, ChangeKind, ChangeRow, flag};
use crate::store::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

/// Rows in each "biggest" or "slowest" list.
pub const TOP: usize = 5;
/// Offers listed under "priced outside their bounds" and rejected edits listed, per account.
pub const LISTED: usize = 10;
/// A pending edit older than this is "pending too long".
pub const PENDING_TOO_LONG_HOURS: i64 = 24;

/// The time a report covers: `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    pub window: Window,
    pub generated_at: DateTime<Utc>,
    pub accounts: Vec<AccountFacts>,
    /// Every account together (`account` is "all"); lists keep the biggest across accounts.
    pub total: AccountFacts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountFacts {
    pub account: String,
    pub catalogue: Catalogue,
    pub prices: Prices,
    pub stock: Stock,
    pub buy_button: BuyButton,
    pub syncs: Syncs,
    pub edits: Edits,
    /// Price and stock changes per bucket of the window (hours for windows up to two days,
    /// else days), for the charts.
    pub activity: Vec<Bucket>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Catalogue {
    /// Offers first seen in the window.
    pub new: u64,
    /// Offers eMAG stopped listing in the window.
    pub gone_missing: u64,
    /// Offers that were missing and are listed again.
    pub back: u64,
    /// Offers whose status became inactive.
    pub inactivated: u64,
    /// Offers whose status became end of life.
    pub end_of_life: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Prices {
    /// Offers whose sale price changed at least once.
    pub changed: u64,
    /// Offers whose sale price is higher at the end of the window than at its start.
    pub rises: u64,
    pub drops: u64,
    /// Largest rises by percentage (then amount), at most [`TOP`].
    pub biggest_rises: Vec<PriceMove>,
    pub biggest_drops: Vec<PriceMove>,
    /// Listed offers priced now under their minimum / over their maximum.
    pub under_min: u64,
    pub over_max: u64,
    /// The first [`LISTED`] of those, by id.
    pub out_of_bounds: Vec<OutOfBounds>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceMove {
    pub account: String,
    pub offer_id: i64,
    pub part_number: Option<String>,
    pub name: Option<String>,
    /// Price before the window's first change and after its last.
    pub old: Decimal,
    pub new: Decimal,
    pub change: Decimal,
    /// Change in percent of `old`, rounded to two places.
    pub percent: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutOfBounds {
    pub account: String,
    pub offer_id: i64,
    pub part_number: Option<String>,
    pub name: Option<String>,
    pub sale_price: Option<Decimal>,
    pub min_sale_price: Option<Decimal>,
    pub max_sale_price: Option<Decimal>,
    /// "under_min" or "over_max".
    pub problem: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stock {
    /// Offers whose stock fell from above zero to zero.
    pub went_out: u64,
    /// Offers whose stock rose from zero.
    pub restocked: u64,
    /// Offers whose stock entered 1..=low_stock_level from outside it.
    pub went_low: u64,
    pub low_stock_level: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BuyButton {
    /// Listed offers that held the buy button (rank 1) at their last point before the window,
    /// changed in it, and do not hold it now.
    pub lost: u64,
    /// Listed offers that changed in the window and hold the buy button now but did not
    /// before it.
    pub won: u64,
    /// The lost ones with the largest gap to the best offer (in percent) first, at most
    /// [`LISTED`].
    pub losses: Vec<BuyButtonLoss>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuyButtonLoss {
    pub account: String,
    pub offer_id: i64,
    pub part_number: Option<String>,
    pub name: Option<String>,
    pub rank: Option<i32>,
    pub currency: Option<String>,
    pub sale_price: Option<Decimal>,
    /// The best competing offer's price now.
    pub best_price: Option<Decimal>,
    /// Own price less the best price (above 0: dearer than the winner).
    pub gap: Option<Decimal>,
    /// The gap in percent of the best price, two decimals.
    pub gap_percent: Option<Decimal>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Syncs {
    /// Runs started in the window.
    pub runs: u64,
    /// Runs by status (completed, partial, failed, cancelled, running).
    pub by_status: BTreeMap<String, u64>,
    /// When the newest completed run started before the window's end finished.
    pub last_completed_at: Option<DateTime<Utc>>,
    /// Minutes from that to the window's end (null when there is none).
    pub freshness_minutes: Option<i64>,
    pub failed_pages: i64,
    pub requests: i64,
    pub retries: i64,
    /// Requests eMAG answered with 429.
    pub rate_limited: i64,
    /// Longest runs first, at most [`TOP`].
    pub slowest: Vec<RunBrief>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunBrief {
    pub account: String,
    pub run_id: i64,
    pub mode: String,
    pub status: String,
    pub started_at: DateTime<Utc>,
    /// To its end, or to its last heartbeat while running.
    pub seconds: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Edits {
    /// Edits eMAG accepted in the window.
    pub pushed: u64,
    /// Edits eMAG refused in the window and still refused.
    pub rejected: u64,
    /// Those, newest first, at most [`LISTED`], with eMAG's reason.
    pub rejections: Vec<Rejection>,
    /// Conflicts waiting for a decision now.
    pub conflicts_waiting: u64,
    /// Edits waiting to be pushed now.
    pub pending: u64,
    /// Of those, created more than [`PENDING_TOO_LONG_HOURS`] before the report.
    pub pending_too_long: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub account: String,
    pub offer_id: i64,
    pub part_number: Option<String>,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub price_changes: u64,
    pub stock_changes: u64,
}

impl Window {
    /// Hourly buckets for windows up to two days, else daily; at most 400 buckets.
    pub fn bucket_size(&self) -> Duration {
        let span = self.until - self.since;
        let base = if span <= Duration::days(2) {
            Duration::hours(1)
        } else {
            Duration::days(1)
        };
        let n = (span.num_seconds() / base.num_seconds()).max(1);
        if n > 400 {
            Duration::seconds(span.num_seconds() / 400 + 1)
        } else {
            base
        }
    }

    fn buckets(&self) -> Vec<Bucket> {
        let size = self.bucket_size();
        let mut out = Vec::new();
        let mut start = self.since;
        while start < self.until {
            out.push(Bucket {
                start,
                price_changes: 0,
                stock_changes: 0,
            });
            start += size;
        }
        out
    }
}

impl Facts {
    /// Computes the facts of `accounts` over `window`; `now` dates the "waiting now" numbers.
    pub async fn compute(
        store: &Store,
        accounts: &[String],
        window: Window,
        now: DateTime<Utc>,
    ) -> Result<Facts> {
        let mut per = Vec::with_capacity(accounts.len());
        for a in accounts {
            per.push(account_facts(store, a, window, now).await?);
        }
        let total = AccountFacts::total(&per, window);
        Ok(Facts {
            window,
            generated_at: now,
            accounts: per,
            total,
        })
    }
}

async fn account_facts(
    store: &Store,
    account: &str,
    window: Window,
    now: DateTime<Utc>,
) -> Result<AccountFacts> {
    let bucket_secs = window.bucket_size().num_seconds();
    let changes = store
        .reports()
        .changes(account, window.since, window.until, bucket_secs)
        .await?;
    let new = store
        .reports()
        .count_first_seen(account, window.since, window.until)
        .await?;
    let mut catalogue = catalogue(&changes);
    catalogue.new = new as u64;

    let mut prices = price_moves(account, &changes);
    let ids: Vec<i64> = prices
        .biggest_rises
        .iter()
        .chain(&prices.biggest_drops)
        .map(|m| m.offer_id)
        .collect();
    let labels = store.reports().offer_labels(account, &ids).await?;
    for m in prices
        .biggest_rises
        .iter_mut()
        .chain(prices.biggest_drops.iter_mut())
    {
        if let Some((name, pn)) = labels.get(&m.offer_id) {
            m.name = name.clone();
            m.part_number = pn.clone();
        }
    }
    let under = store.reports().out_of_bounds(account, false).await?;
    let over = store.reports().out_of_bounds(account, true).await?;
    prices.under_min = under.len() as u64;
    prices.over_max = over.len() as u64;
    let bounds = |rows: Vec<BoundsRow>, problem: &'static str| {
        rows.into_iter().map(move |r| OutOfBounds {
            account: account.to_string(),
            offer_id: r.offer_id,
            part_number: r.part_number,
            name: r.name,
            sale_price: r.sale_price,
            min_sale_price: r.min_sale_price,
            max_sale_price: r.max_sale_price,
            problem,
        })
    };
    let mut listed: Vec<OutOfBounds> = bounds(under, "under_min")
        .chain(bounds(over, "over_max"))
        .collect();
    listed.sort_by_key(|o| o.offer_id);
    listed.truncate(LISTED);
    prices.out_of_bounds = listed;

    let runs = store
        .reports()
        .runs_between(account, window.since, window.until)
        .await?;
    let mut syncs = syncs(&runs);
    syncs.last_completed_at = store
        .reports()
        .last_completed_before(account, window.until)
        .await?;
    syncs.freshness_minutes = syncs
        .last_completed_at
        .map(|t| (window.until - t).num_minutes().max(0));

    let edits = edits(store, account, window, now).await?;
    let buy_button = buy_button(store, account, window).await?;
    let mut activity = window.buckets();
    for c in &changes {
        if let Some(b) = usize::try_from(c.bucket)
            .ok()
            .and_then(|i| activity.get_mut(i))
        {
            match c.kind {
                ChangeKind::SalePrice => b.price_changes += 1,
                ChangeKind::Stock => b.stock_changes += 1,
                ChangeKind::Other => {}
            }
        }
    }
    Ok(AccountFacts {
        account: account.to_string(),
        catalogue,
        prices,
        stock: stock(&changes),
        buy_button,
        syncs,
        edits,
        activity,
    })
}

/// Buy-button moves of the offers that changed since the window's start: the rank at each
/// offer's last history point before the window against its rank now, as `magsync buybox
/// --since` lists them.
async fn buy_button(store: &Store, account: &str, window: Window) -> Result<BuyButton> {
    let entries = crate::price::buybox::buybox(
        store,
        &[account.to_string()],
        crate::price::Window::Since(window.since),
        false,
        &crate::price::BuyboxOptions::default(),
    )
    .await?;
    let mut b = BuyButton::default();
    for e in entries {
        match e.movement {
            Move::Won => b.won += 1,
            Move::Lost => {
                b.lost += 1;
                b.losses.push(BuyButtonLoss {
                    account: e.account,
                    offer_id: e.id,
                    part_number: e.part_number,
                    name: e.name,
                    rank: e.rank,
                    currency: e.currency,
                    sale_price: e.sale_price.map(|d| d.normalize()),
                    best_price: e.best_price.map(|d| d.normalize()),
                    gap: e.gap.map(|d| d.normalize()),
                    gap_percent: e.gap_percent,
                });
            }
        }
    }
    b.losses = top_losses(b.losses);
    Ok(b)
}

/// The [`LISTED`] largest gaps in percent (unknown gaps last), then by account and id.
fn top_losses(mut v: Vec<BuyButtonLoss>) -> Vec<BuyButtonLoss> {
    v.sort_by(|a, b| {
        b.gap_percent
            .cmp(&a.gap_percent)
            .then(a.account.cmp(&b.account))
            .then(a.offer_id.cmp(&b.offer_id))
    });
    v.truncate(LISTED);
    v
}

/// Distinct offers with at least one change carrying `bit`.
fn offers_with(changes: &[ChangeRow], bit: i64) -> u64 {
    changes
        .iter()
        .filter(|c| c.flags & bit != 0)
        .map(|c| c.offer_id)
        .collect::<BTreeSet<_>>()
        .len() as u64
}

fn catalogue(changes: &[ChangeRow]) -> Catalogue {
    Catalogue {
        new: 0,
        gone_missing: offers_with(changes, flag::GONE_MISSING),
        back: offers_with(changes, flag::BACK),
        inactivated: offers_with(changes, flag::INACTIVATED),
        end_of_life: offers_with(changes, flag::END_OF_LIFE),
    }
}

fn stock(changes: &[ChangeRow]) -> Stock {
    Stock {
        went_out: offers_with(changes, flag::WENT_OUT),
        restocked: offers_with(changes, flag::RESTOCKED),
        went_low: offers_with(changes, flag::WENT_LOW),
        low_stock_level: LOW_STOCK,
    }
}

fn money(v: &Option<String>) -> Option<Decimal> {
    v.as_deref().and_then(|s| Decimal::from_str(s).ok())
}

/// Net sale-price move of each offer over the window (first old value to last new one).
fn price_moves(account: &str, changes: &[ChangeRow]) -> Prices {
    let mut net: HashMap<i64, (Option<Decimal>, Option<Decimal>)> = HashMap::new();
    for c in changes.iter().filter(|c| c.kind == ChangeKind::SalePrice) {
        let e = net.entry(c.offer_id).or_insert((money(&c.old_value), None));
        e.1 = money(&c.new_value);
    }
    let mut prices = Prices {
        changed: net.len() as u64,
        ..Default::default()
    };
    let mut moves: Vec<PriceMove> = Vec::new();
    for (id, (old, new)) in net {
        let (Some(old), Some(new)) = (old, new) else {
            continue;
        };
        if new > old {
            prices.rises += 1;
        } else if new < old {
            prices.drops += 1;
        } else {
            continue;
        }
        // A price from zero has no percentage and is not ranked.
        if old.is_zero() {
            continue;
        }
        let change = new - old;
        moves.push(PriceMove {
            account: account.to_string(),
            offer_id: id,
            part_number: None,
            name: None,
            old: old.normalize(),
            new: new.normalize(),
            change: change.normalize(),
            percent: (change * Decimal::ONE_HUNDRED / old).round_dp(2),
        });
    }
    let (rises, drops) = moves.into_iter().partition(|m| m.change > Decimal::ZERO);
    prices.biggest_rises = top_moves(rises);
    prices.biggest_drops = top_moves(drops);
    prices
}

/// The [`TOP`] largest moves by size of percentage, then of amount.
fn top_moves(mut moves: Vec<PriceMove>) -> Vec<PriceMove> {
    moves.sort_by(|a, b| {
        b.percent
            .abs()
            .cmp(&a.percent.abs())
            .then(b.change.abs().cmp(&a.change.abs()))
            .then(a.account.cmp(&b.account))
            .then(a.offer_id.cmp(&b.offer_id))
    });
    moves.truncate(TOP);
    moves
}

fn run_seconds(r: &SyncRun) -> i64 {
    (r.finished_at.unwrap_or(r.heartbeat_at) - r.started_at)
        .num_seconds()
        .max(0)
}

fn syncs(runs: &[SyncRun]) -> Syncs {
    let mut s = Syncs {
        runs: runs.len() as u64,
        ..Default::default()
    };
    for r in runs {
        *s.by_status
            .entry(r.status.as_str().to_string())
            .or_default() += 1;
        s.failed_pages += r.counts.failed;
        s.requests += r.counts.requests;
        s.retries += r.counts.retries;
        s.rate_limited += r.counts.rate_limited;
    }
    s.slowest = slowest(runs.iter().map(|r| RunBrief {
        account: r.account.clone(),
        run_id: r.id,
        mode: r.mode.as_str().to_string(),
        status: r.status.as_str().to_string(),
        started_at: r.started_at,
        seconds: run_seconds(r),
    }));
    s
}

fn slowest(runs: impl Iterator<Item = RunBrief>) -> Vec<RunBrief> {
    let mut v: Vec<RunBrief> = runs.collect();
    v.sort_by(|a, b| {
        b.seconds
            .cmp(&a.seconds)
            .then(a.account.cmp(&b.account))
            .then(a.run_id.cmp(&b.run_id))
    });
    v.truncate(TOP);
    v
}

async fn edits(store: &Store, account: &str, window: Window, now: DateTime<Utc>) -> Result<Edits> {
    // The edits table holds what operators typed, so it is small: read the states by index.
    let list = crate::edits::db::list(
        store,
        &EditFilter {
            account: Some(account.to_string()),
            states: vec![
                EditState::Pending,
                EditState::Pushed,
                EditState::Rejected,
                EditState::Conflict,
            ],
            limit: i64::MAX,
        },
    )
    .await?;
    let inside = |t: DateTime<Utc>| t >= window.since && t < window.until;
    let stale_before = now - Duration::hours(PENDING_TOO_LONG_HOURS);
    let mut e = Edits::default();
    let mut rejections = Vec::new();
    for edit in &list {
        match edit.state {
            EditState::Pushed if edit.pushed_at.is_some_and(inside) => e.pushed += 1,
            EditState::Rejected if inside(edit.updated_at) => {
                e.rejected += 1;
                rejections.push(Rejection {
                    account: account.to_string(),
                    offer_id: edit.offer_id,
                    part_number: edit.part_number.clone(),
                    at: edit.updated_at,
                    reason: edit.message.clone(),
                });
            }
            EditState::Conflict => e.conflicts_waiting += 1,
            EditState::Pending => {
                e.pending += 1;
                if edit.created_at < stale_before {
                    e.pending_too_long += 1;
                }
            }
            _ => {}
        }
    }
    rejections.sort_by(|a, b| b.at.cmp(&a.at).then(a.offer_id.cmp(&b.offer_id)));
    rejections.truncate(LISTED);
    e.rejections = rejections;
    Ok(e)
}

impl AccountFacts {
    /// Every account added up; lists are merged and cut again.
    fn total(per: &[AccountFacts], window: Window) -> AccountFacts {
        let mut t = AccountFacts {
            account: "all".to_string(),
            catalogue: Catalogue::default(),
            prices: Prices::default(),
            stock: Stock {
                low_stock_level: LOW_STOCK,
                ..Default::default()
            },
            buy_button: BuyButton::default(),
            syncs: Syncs::default(),
            edits: Edits::default(),
            activity: window.buckets(),
        };
        let mut rises = Vec::new();
        let mut drops = Vec::new();
        let mut bounds = Vec::new();
        let mut runs = Vec::new();
        let mut rejections = Vec::new();
        let mut losses = Vec::new();
        for a in per {
            t.buy_button.lost += a.buy_button.lost;
            t.buy_button.won += a.buy_button.won;
            losses.extend(a.buy_button.losses.iter().cloned());
            let c = &a.catalogue;
            t.catalogue.new += c.new;
            t.catalogue.gone_missing += c.gone_missing;
            t.catalogue.back += c.back;
            t.catalogue.inactivated += c.inactivated;
            t.catalogue.end_of_life += c.end_of_life;
            let p = &a.prices;
            t.prices.changed += p.changed;
            t.prices.rises += p.rises;
            t.prices.drops += p.drops;
            t.prices.under_min += p.under_min;
            t.prices.over_max += p.over_max;
            rises.extend(p.biggest_rises.iter().cloned());
            drops.extend(p.biggest_drops.iter().cloned());
            bounds.extend(p.out_of_bounds.iter().cloned());
            t.stock.went_out += a.stock.went_out;
            t.stock.restocked += a.stock.restocked;
            t.stock.went_low += a.stock.went_low;
            let s = &a.syncs;
            t.syncs.runs += s.runs;
            for (k, v) in &s.by_status {
                *t.syncs.by_status.entry(k.clone()).or_default() += v;
            }
            t.syncs.failed_pages += s.failed_pages;
            t.syncs.requests += s.requests;
            t.syncs.retries += s.retries;
            t.syncs.rate_limited += s.rate_limited;
            runs.extend(s.slowest.iter().cloned());
            let e = &a.edits;
            t.edits.pushed += e.pushed;
            t.edits.rejected += e.rejected;
            t.edits.conflicts_waiting += e.conflicts_waiting;
            t.edits.pending += e.pending;
            t.edits.pending_too_long += e.pending_too_long;
            rejections.extend(e.rejections.iter().cloned());
            for (tb, ab) in t.activity.iter_mut().zip(&a.activity) {
                tb.price_changes += ab.price_changes;
                tb.stock_changes += ab.stock_changes;
            }
        }
        t.prices.biggest_rises = top_moves(rises);
        t.prices.biggest_drops = top_moves(drops);
        bounds.sort_by(|a, b| a.account.cmp(&b.account).then(a.offer_id.cmp(&b.offer_id)));
        bounds.truncate(LISTED);
        t.prices.out_of_bounds = bounds;
        t.buy_button.losses = top_losses(losses);
        t.syncs.slowest = slowest(runs.into_iter());
        // The mirror as a whole is as fresh as its stalest account; null if one never completed.
        let fresh: Option<Vec<i64>> = per.iter().map(|a| a.syncs.freshness_minutes).collect();
        t.syncs.freshness_minutes = fresh.and_then(|v| v.into_iter().max());
        let last: Option<Vec<DateTime<Utc>>> =
            per.iter().map(|a| a.syncs.last_completed_at).collect();
        t.syncs.last_completed_at = last.and_then(|v| v.into_iter().min());
        rejections.sort_by(|a, b| b.at.cmp(&a.at).then(a.offer_id.cmp(&b.offer_id)));
        rejections.truncate(LISTED);
        t.edits.rejections = rejections;
        t
    }
}

/// Whether a run status counts as a problem in the summaries.
pub fn is_bad(status: &str) -> bool {
    status == RunStatus::Failed.as_str() || status == RunStatus::Partial.as_str()
}
