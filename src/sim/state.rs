//! One account's live catalogue: seeded offers sorted by id, the filtered listings reads page
//! through, and the mutations (churn, admin mutate) that make a scan see a moving catalogue.

use super::catalogue::{Offer, fresh, generate_account};
use super::filter::{Filters, Page};
use super::rng::key;
use super::{Platform, SimAccount};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

pub struct AccountState {
    /// Sorted by id: the listing order (ascending id, §13).
    pub offers: Vec<Offer>,
    /// Bumped by every mutation; invalidates the filter cache.
    version: u64,
    /// Offers inserted by churn so far; seeds their content.
    inserted: u64,
    /// Positions matching the last non-trivial filter, so deep pages of a status-filtered
    /// scan at 1M offers do not rescan the catalogue on every request.
    cache: Option<(u64, Filters, Arc<Vec<u32>>)>,
}

impl AccountState {
    pub fn new(seed: u64, account: &SimAccount, campaign_rate: f64) -> Self {
        AccountState {
            offers: generate_account(seed, account, campaign_rate),
            version: 0,
            inserted: 0,
            cache: None,
        }
    }

    pub fn touch(&mut self) {
        self.version += 1;
    }

    pub fn position(&self, id: i64) -> Option<usize> {
        let id = u32::try_from(id).ok()?;
        self.offers.binary_search_by_key(&id, |o| o.id).ok()
    }

    fn positions(&mut self, f: &Filters) -> Arc<Vec<u32>> {
        if let Some((v, cf, list)) = &self.cache
            && *v == self.version
            && cf == f
        {
            return list.clone();
        }
        let list: Arc<Vec<u32>> = Arc::new(
            self.offers
                .iter()
                .enumerate()
                .filter(|(_, o)| f.matches(o))
                .map(|(i, _)| i as u32)
                .collect(),
        );
        self.cache = Some((self.version, f.clone(), list.clone()));
        list
    }

    /// Positions of the offers an `id` filter (one id or a list) selects, in id order.
    fn id_hits(&self, f: &Filters) -> Vec<usize> {
        f.id.iter()
            .flatten()
            .filter_map(|&id| self.position(id))
            .filter(|&p| f.matches(&self.offers[p]))
            .collect()
    }

    /// Offers matching `f`, as a page of the filtered listing at this instant.
    pub fn page(&mut self, f: &Filters, page: Page) -> Vec<Offer> {
        if f.id.is_some() {
            let hits = self.id_hits(f);
            return hits[page.range(hits.len())]
                .iter()
                .map(|&p| self.offers[p].clone())
                .collect();
        }
        if f.is_empty() {
            return self.offers[page.range(self.offers.len())].to_vec();
        }
        let list = self.positions(f);
        list[page.range(list.len())]
            .iter()
            .map(|&p| self.offers[p as usize].clone())
            .collect()
    }

    pub fn count(&mut self, f: &Filters) -> usize {
        if f.id.is_some() {
            return self.id_hits(f).len();
        }
        if f.is_empty() {
            return self.offers.len();
        }
        self.positions(f).len()
    }

    /// One random change of the kind eMAG's catalogue sees between two requests.
    pub fn churn(&mut self, rng: &mut ChaCha8Rng, seed: u64, account: &SimAccount) {
        if self.offers.is_empty() {
            self.insert(rng, seed, account);
            return;
        }
        let pos = rng.random_range(0..self.offers.len());
        match rng.random_range(0..100) {
            0..50 => change(&mut self.offers[pos], rng, account.platform, 2),
            50..70 => self.insert(rng, seed, account),
            70..85 => self.offers[pos].status = 0,
            _ => {
                self.offers.remove(pos);
            }
        }
        self.touch();
    }

    /// Inserts a new offer at a random place in the listing, using a free id between two
    /// neighbours (ids are spread with gaps), or after the last one if that fails.
    fn insert(&mut self, rng: &mut ChaCha8Rng, seed: u64, account: &SimAccount) {
        let n = self.inserted;
        self.inserted += 1;
        let content = key(seed, &format!("{}#new", account.name), n);
        let mut at = None;
        for _ in 0..8 {
            let p = rng.random_range(0..=self.offers.len());
            let lo = if p == 0 { 1 } else { self.offers[p - 1].id + 1 };
            let hi = self.offers.get(p).map_or(lo, |o| o.id);
            if lo < hi {
                at = Some((p, rng.random_range(lo..hi)));
                break;
            }
        }
        let (p, id) = at.unwrap_or_else(|| {
            (
                self.offers.len(),
                self.offers.last().map_or(1, |o| o.id.saturating_add(1)),
            )
        });
        let mut offer = fresh(seed, account, content, 1_000_000_000 + n, id);
        offer.status = 1;
        self.offers.insert(p, offer);
        self.touch();
    }

    /// Moves the market of `count` distinct offers (see `competition.rs`).
    pub fn compete(&mut self, rng: &mut ChaCha8Rng, platform: Platform, count: usize) {
        let count = count.min(self.offers.len());
        if count == 0 {
            return;
        }
        for p in rand::seq::index::sample(rng, self.offers.len(), count) {
            super::competition::move_offer(&mut self.offers[p], rng, platform);
        }
        self.touch();
    }

    /// Switches every offer to leva or to euro at the fixed rate; returns how many changed.
    pub fn convert_bgn(&mut self, to_bgn: bool) -> usize {
        let mut n = 0;
        for o in &mut self.offers {
            if (o.flags & super::catalogue::FLAG_BGN != 0) != to_bgn {
                o.convert_bgn(to_bgn);
                n += 1;
            }
        }
        self.touch();
        n
    }

    /// Changes price and/or stock of `count` distinct offers; returns their ids, ascending.
    pub fn mutate(&mut self, rng: &mut ChaCha8Rng, platform: Platform, count: usize) -> Vec<u32> {
        let count = count.min(self.offers.len());
        let picked = rand::seq::index::sample(rng, self.offers.len(), count).into_vec();
        let mut ids = Vec::with_capacity(count);
        for p in picked {
            let what = rng.random_range(0..3);
            change(&mut self.offers[p], rng, platform, what);
            ids.push(self.offers[p].id);
        }
        self.touch();
        ids.sort_unstable();
        ids
    }
}

/// Changes price (`what` 0), stock (1) or both (2), always to a different value; the new sale
/// price stays within [min, max] so that it remains a valid offer.
fn change(o: &mut Offer, rng: &mut ChaCha8Rng, platform: Platform, what: u8) {
    if what != 1 {
        let step = if platform == Platform::Hu { 10_000 } else { 1 };
        let span = ((o.max - o.min) / step).max(1);
        let mut sale = o.min + rng.random_range(0..=span) * step;
        if sale == o.sale {
            sale = if sale + step <= o.max {
                sale + step
            } else {
                o.min
            };
        }
        o.sale = sale.clamp(o.min, o.max);
        super::competition::reprice(o);
        if o.rec != super::catalogue::NO_PRICE && o.rec <= o.sale {
            o.rec = o.sale + (o.sale / 10 / step).max(1) * step;
        }
    }
    if what != 0 {
        let stock = if rng.random_range(0..10) == 0 {
            0
        } else {
            rng.random_range(1..80)
        };
        o.stock = if stock == o.stock { stock + 1 } else { stock };
        o.reserved = o.reserved.min(o.stock.min(255) as u8);
    }
}
