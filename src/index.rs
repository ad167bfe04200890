//! The dashboard's products search: every offer's sort values, filter flags and folded search
//! text in memory, the same on SQLite and Postgres.
//!
//! Built once from plain SELECTs (chunks of every offer in one snapshot), then kept current
//! incrementally: every transaction that
//! writes offers stamps them with a new revision of their account (`Search::read_offers_since`),
//! so catching up reads only the offers written since, in whichever process wrote them. Each
//! sort order is a list of slots, merged with the changed ones on a catch-up. A page is chosen
//! here and its rows read from the store by key; a row written after the index last looked
//! makes it catch up and choose again, so a page never shows an offer version the store no
//! longer has. The per-account counts of the header are kept as offers are applied. Names and
//! part numbers are held only folded, so the table sorts them ignoring case and accents.
//!
//! What a search means is defined once in [`crate::model::search`].

use crate::model::Money;
use crate::model::OfferStatus;
use crate::model::search::{
    Cursor, LOW_STOCK, PUNCTUATION, ProductQuery, SortKey, SortValue, StatusFilter, StockFilter,
    fold_search, query_words, strip_punctuation,
};
use crate::store::accounts::OfferCounts;
use crate::store::search::{IndexRow, ProductRow};
use crate::store::{Result, Store};
use chrono::{DateTime, Utc};
use memchr::memmem::Finder;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

/// One offer as the index holds it.
#[derive(Debug, Clone)]
struct Entry {
    id: i64,
    /// Ten-thousandths; the cursor's -1 when the offer has no price.
    price: i64,
    /// Nanoseconds since the epoch.
    changed: i64,
    /// Where its text lies in [`Texts`]: what a search matches — the search text, its words
    /// that held punctuation without them, and the offer id, separated by U+001F — which also
    /// holds the folded name and part number the table sorts by.
    text_at: usize,
    text_len: u32,
    /// -1 when unknown (the products table's sort value; no filter matches it).
    stock: i32,
    /// `i32::MAX` when unknown.
    rank: i32,
    /// Where the folded part number lies in the text.
    part_number_at: u32,
    status: Option<i16>,
    account: u16,
    /// The folded name begins the text.
    name_len: u16,
    part_number_len: u16,
    missing: bool,
}

/// Every entry's text, end to end in one allocation: a million small allocations would cost
/// their headers and the holes between them, and scan slower. A changed offer's new text is
/// appended; the old one is garbage until [`Texts::compact`].
#[derive(Default)]
struct Texts {
    bytes: Vec<u8>,
    garbage: usize,
}

impl Texts {
    fn of(&self, e: &Entry) -> &[u8] {
        &self.bytes[e.text_at..e.text_at + e.text_len as usize]
    }

    /// Moves the live texts down over the garbage, in place (no second copy of them).
    fn compact(&mut self, entries: &mut [Entry]) {
        let mut by_place: Vec<u32> = (0..entries.len() as u32).collect();
        by_place.sort_unstable_by_key(|&s| entries[s as usize].text_at);
        let mut to = 0;
        for s in by_place {
            let e = &mut entries[s as usize];
            let len = e.text_len as usize;
            self.bytes.copy_within(e.text_at..e.text_at + len, to);
            e.text_at = to;
            to += len;
        }
        self.bytes.truncate(to);
        self.bytes.shrink_to_fit();
        self.garbage = 0;
    }
}

impl Entry {
    /// The entry of an offer, its text appended to `texts`.
    fn new(account: u16, r: IndexRow, texts: &mut Texts) -> Entry {
        // The table sorts names and part numbers folded, as a search reads them, so the index
        // keeps no second, original copy of them: the search text begins with the folded name
        // and holds the folded part number.
        let name = fold_search(r.name.as_deref().unwrap_or_default());
        let part_number = fold_search(r.part_number.as_deref().unwrap_or_default());
        // Stripping never removes whitespace and a query word holds none, so a word found in
        // the stripped text lies inside one stripped word: only the words that had
        // punctuation need keeping, each once, not a second copy of the whole text.
        let mut stripped: Vec<String> = r
            .search_text
            .split_whitespace()
            .filter(|w| w.contains(|c| PUNCTUATION.contains(c)))
            .map(strip_punctuation)
            .filter(|w| !w.is_empty())
            .collect();
        stripped.sort_unstable();
        stripped.dedup();
        let at = texts.bytes.len();
        let b = &mut texts.bytes;
        // Only when the stored search text was made by another rule (a store written by an
        // older release) does the name need a place of its own.
        if !r.search_text.starts_with(&name) {
            b.extend_from_slice(name.as_bytes());
            b.push(0x1f);
        }
        b.extend_from_slice(r.search_text.as_bytes());
        for (i, w) in stripped.iter().enumerate() {
            b.push(if i == 0 { 0x1f } else { b' ' });
            b.extend_from_slice(w.as_bytes());
        }
        b.push(0x1f);
        b.extend_from_slice(r.id.to_string().as_bytes());
        let part_number_at = match memchr::memmem::find(&b[at..], part_number.as_bytes()) {
            Some(p) => p,
            None => {
                b.push(0x1f);
                b.extend_from_slice(part_number.as_bytes());
                b.len() - at - part_number.len()
            }
        };
        Entry {
            id: r.id,
            price: r
                .sale_price
                .map_or(-10_000, |m| m.to_units().unwrap_or(i64::MAX)),
            changed: nanos(r.last_changed_at),
            text_at: at,
            text_len: u32::try_from(b.len() - at).unwrap_or(u32::MAX),
            stock: r.general_stock.unwrap_or(-1),
            rank: r.buy_button_rank.unwrap_or(i32::MAX),
            part_number_at: part_number_at as u32,
            status: r.status,
            account,
            name_len: key_len(&name),
            part_number_len: key_len(&part_number),
            missing: r.missing,
        }
    }

    /// The name the table sorts by (folded), from the entry's text.
    fn name<'t>(&self, text: &'t [u8]) -> &'t [u8] {
        &text[..usize::from(self.name_len)]
    }

    /// The part number the table sorts by (folded), from the entry's text.
    fn part_number<'t>(&self, text: &'t [u8]) -> &'t [u8] {
        let at = self.part_number_at as usize;
        &text[at..at + usize::from(self.part_number_len)]
    }

    fn live(&self) -> bool {
        !self.missing
    }

    fn passes(&self, account: Option<u16>, q: &ProductQuery) -> bool {
        if account.is_some_and(|a| a != self.account) {
            return false;
        }
        let status_ok = match q.status.map(StatusFilter::offer_status) {
            None => true,
            Some(Some(status)) => self.live() && self.status == Some(status.code()),
            Some(None) => self.missing,
        };
        status_ok
            && match q.stock {
                None => true,
                Some(StockFilter::Zero) => self.stock == 0,
                Some(StockFilter::Low) => (1..=LOW_STOCK).contains(&self.stock),
            }
    }

    /// What this offer adds to its account's counts (the header's figures).
    fn count_into(&self, c: &mut OfferCounts, sign: i64) {
        c.offers += sign;
        if self.missing {
            c.missing += sign;
            return;
        }
        match self.status.map(OfferStatus::from_code) {
            Some(OfferStatus::Active) => c.active += sign,
            Some(OfferStatus::Inactive) => c.inactive += sign,
            Some(OfferStatus::EndOfLife) => c.end_of_life += sign,
            _ => {}
        }
        if self.stock == 0 {
            c.zero_stock += sign;
        }
    }
}

/// A sort key's length; a key longer than 64 KiB (no real name is) sorts by its beginning.
fn key_len(key: &str) -> u16 {
    u16::try_from(key.len()).unwrap_or(u16::MAX)
}

fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

fn key_slot(k: SortKey) -> usize {
    SortKey::ALL
        .iter()
        .position(|x| *x == k)
        .expect("every sort key is in SortKey::ALL")
}

/// The offers matching the last searched words, kept current as offers change.
struct TextMatches {
    words: Vec<String>,
    hits: Vec<bool>,
}

/// Every offer of the store, searchable in memory (see the module documentation).
#[derive(Default)]
pub struct ProductIndex {
    built: bool,
    accounts: Vec<String>,
    codes: HashMap<String, u16>,
    /// The revision of each account the index holds every offer at.
    seen: HashMap<String, i64>,
    entries: Vec<Entry>,
    texts: Texts,
    /// Per sort key (in `SortKey::ALL` order), every slot ascending by (value, account, id).
    orders: Vec<Vec<u32>>,
    counts: Vec<OfferCounts>,
    text: Option<TextMatches>,
}

impl ProductIndex {
    pub fn new() -> ProductIndex {
        ProductIndex::default()
    }

    /// How many offers the index holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads what was written since the index last looked (everything the first time);
    /// returns how many offers it read. Costs one small query when nothing moved.
    pub async fn catch_up(&mut self, store: &Store) -> Result<usize> {
        if self.built {
            let revs = store.search().revs().await?;
            let moved = revs
                .iter()
                .any(|(a, r)| self.seen.get(a).is_none_or(|s| r > s));
            if !moved {
                return Ok(0);
            }
        }
        let seen = self.built.then(|| self.seen.clone());
        let mut changed = Vec::new();
        let revs = store
            .search()
            .read_offers_since(seen.as_ref(), |row| changed.push(self.put(row)))
            .await?;
        for (account, rev) in revs {
            let s = self.seen.entry(account).or_insert(rev);
            *s = (*s).max(rev);
        }
        self.built = true;
        let n = changed.len();
        self.reorder(changed);
        // A quarter of garbage bounds the texts at 4/3 of the live ones; moving them costs
        // about as much as the catch-ups that made it.
        if self.texts.garbage > self.texts.bytes.len() / 4 {
            self.texts.compact(&mut self.entries);
        }
        Ok(n)
    }

    /// Forgets everything, so the next catch-up rebuilds (an offer was deleted under it).
    fn reset(&mut self) {
        *self = ProductIndex::default();
    }

    fn code(&mut self, account: &str) -> u16 {
        if let Some(&c) = self.codes.get(account) {
            return c;
        }
        let c = self.accounts.len() as u16;
        self.accounts.push(account.to_string());
        self.codes.insert(account.to_string(), c);
        self.counts.push(OfferCounts::default());
        c
    }

    /// Stores one offer's version, returning its slot.
    fn put(&mut self, row: IndexRow) -> u32 {
        let code = self.code(&row.account);
        let entry = Entry::new(code, row, &mut self.texts);
        entry.count_into(&mut self.counts[code as usize], 1);
        match self.find(code, entry.id) {
            Some(slot) => {
                let old = std::mem::replace(&mut self.entries[slot as usize], entry);
                old.count_into(&mut self.counts[code as usize], -1);
                self.texts.garbage += old.text_len as usize;
                slot
            }
            None => {
                let slot = self.entries.len() as u32;
                self.entries.push(entry);
                slot
            }
        }
    }

    /// The slot of an offer, by binary search of the account order (which holds every slot
    /// but those added by the catch-up in progress, and one catch-up reads an offer once).
    fn find(&self, code: u16, id: i64) -> Option<u32> {
        let order = self.orders.get(key_slot(SortKey::Account))?;
        let account = self.accounts[code as usize].as_str();
        let key = |s: u32| {
            let e = &self.entries[s as usize];
            (self.accounts[e.account as usize].as_str(), e.id)
        };
        let at = order.partition_point(|&s| key(s) < (account, id));
        order.get(at).copied().filter(|&s| key(s) == (account, id))
    }

    fn cmp_slots(&self, k: SortKey, a: u32, b: u32) -> Ordering {
        let (x, y) = (&self.entries[a as usize], &self.entries[b as usize]);
        let by_value = match k {
            SortKey::Name => x.name(self.texts.of(x)).cmp(y.name(self.texts.of(y))),
            SortKey::Account => Ordering::Equal,
            SortKey::Id => x.id.cmp(&y.id),
            SortKey::PartNumber => x
                .part_number(self.texts.of(x))
                .cmp(y.part_number(self.texts.of(y))),
            SortKey::Price => x.price.cmp(&y.price),
            SortKey::Stock => x.stock.cmp(&y.stock),
            SortKey::Rank => x.rank.cmp(&y.rank),
            SortKey::Changed => x.changed.cmp(&y.changed),
        };
        by_value
            .then_with(|| self.accounts[x.account as usize].cmp(&self.accounts[y.account as usize]))
            .then(x.id.cmp(&y.id))
    }

    /// Where an offer stands against a cursor, in the cursor's order (its text already folded,
    /// see [`folded`]).
    fn cmp_cursor(&self, k: SortKey, slot: u32, c: &Cursor) -> Ordering {
        let x = &self.entries[slot as usize];
        let by_value = match (k, &c.value) {
            (SortKey::Name, SortValue::Text(t)) => x.name(self.texts.of(x)).cmp(t.as_bytes()),
            (SortKey::PartNumber, SortValue::Text(t)) => {
                x.part_number(self.texts.of(x)).cmp(t.as_bytes())
            }
            (SortKey::Id, SortValue::Int(i)) => x.id.cmp(i),
            (SortKey::Price, SortValue::Money(m)) => x.price.cmp(&units(*m)),
            (SortKey::Stock, SortValue::Int(i)) => i64::from(x.stock).cmp(i),
            (SortKey::Rank, SortValue::Int(i)) => i64::from(x.rank).cmp(i),
            (SortKey::Changed, SortValue::Time(t)) => x.changed.cmp(&nanos(*t)),
            _ => Ordering::Equal,
        };
        by_value
            .then_with(|| self.accounts[x.account as usize].as_str().cmp(&c.account))
            .then(x.id.cmp(&c.id))
    }

    /// Puts changed slots in their places in every order: the others keep theirs, and each
    /// changed one is found by binary search, so the work is a copy of each order plus a
    /// search per change.
    fn reorder(&mut self, mut changed: Vec<u32>) {
        if changed.is_empty() {
            return;
        }
        changed.sort_unstable();
        changed.dedup();
        if self.orders.is_empty() {
            self.orders = vec![Vec::new(); SortKey::ALL.len()];
        }
        let mut is_changed = vec![false; self.entries.len()];
        for &s in &changed {
            is_changed[s as usize] = true;
        }
        let mut orders = std::mem::take(&mut self.orders);
        for (i, order) in orders.iter_mut().enumerate() {
            let k = SortKey::ALL[i];
            order.retain(|&s| !is_changed[s as usize]);
            let mut fresh = changed.clone();
            fresh.sort_unstable_by(|&a, &b| self.cmp_slots(k, a, b));
            if order.is_empty() {
                *order = fresh;
                continue;
            }
            let mut merged = Vec::with_capacity(order.len() + fresh.len());
            let mut from = 0;
            for s in fresh {
                let at = from
                    + order[from..].partition_point(|&o| self.cmp_slots(k, o, s) == Ordering::Less);
                merged.extend_from_slice(&order[from..at]);
                merged.push(s);
                from = at;
            }
            merged.extend_from_slice(&order[from..]);
            *order = merged;
        }
        self.orders = orders;
        if let Some(t) = &mut self.text {
            t.hits.resize(self.entries.len(), false);
            let finders: Vec<Finder> = t.words.iter().map(|w| Finder::new(w.as_bytes())).collect();
            for &s in &changed {
                t.hits[s as usize] = matches(self.texts.of(&self.entries[s as usize]), &finders);
            }
        }
    }

    /// Which offers match `words`, from the last search's answer when it was the same words.
    fn text_hits(&mut self, words: &[String]) -> Option<&[bool]> {
        if words.is_empty() {
            return None;
        }
        if self.text.as_ref().is_none_or(|t| t.words != words) {
            let finders: Vec<Finder> = words.iter().map(|w| Finder::new(w.as_bytes())).collect();
            // Words that only lengthen the last ones can only narrow its matches.
            let narrower = self.text.as_ref().filter(|t| {
                t.words
                    .iter()
                    .all(|old| words.iter().any(|w| w.contains(old.as_str())))
            });
            let hits = match narrower {
                Some(t) => t
                    .hits
                    .iter()
                    .zip(&self.entries)
                    .map(|(&hit, e)| hit && matches(self.texts.of(e), &finders))
                    .collect(),
                None => self
                    .entries
                    .iter()
                    .map(|e| matches(self.texts.of(e), &finders))
                    .collect(),
            };
            self.text = Some(TextMatches {
                words: words.to_vec(),
                hits,
            });
        }
        self.text.as_ref().map(|t| t.hits.as_slice())
    }

    /// The slots of one page of `query` after `after`, in order.
    pub fn page_slots(
        &mut self,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Vec<u32> {
        let Some(account) = self.account_filter(query) else {
            return Vec::new();
        };
        let words = query_words(query.text.as_deref());
        self.text_hits(&words);
        let hits = self.text.as_ref().filter(|_| !words.is_empty());
        let k = query.sort;
        let after = after.map(folded);
        let after = after.as_ref();
        let Some(order) = self.orders.get(key_slot(k)) else {
            return Vec::new();
        };
        let keep = |s: &u32| {
            hits.is_none_or(|t| t.hits[*s as usize])
                && self.entries[*s as usize].passes(account, query)
        };
        if query.descending {
            let end = after.map_or(order.len(), |c| {
                order.partition_point(|&s| self.cmp_cursor(k, s, c) == Ordering::Less)
            });
            order[..end]
                .iter()
                .rev()
                .filter(|s| keep(s))
                .take(limit)
                .copied()
                .collect()
        } else {
            let start = after.map_or(0, |c| {
                order.partition_point(|&s| self.cmp_cursor(k, s, c) != Ordering::Greater)
            });
            order[start..]
                .iter()
                .filter(|s| keep(s))
                .take(limit)
                .copied()
                .collect()
        }
    }

    /// None when the query names an account the index holds no offer of (nothing matches).
    fn account_filter(&self, query: &ProductQuery) -> Option<Option<u16>> {
        match &query.account {
            None => Some(None),
            Some(a) => self.codes.get(a).map(|c| Some(*c)),
        }
    }

    /// How many offers match `query`.
    pub fn count(&mut self, query: &ProductQuery) -> i64 {
        let Some(account) = self.account_filter(query) else {
            return 0;
        };
        let words = query_words(query.text.as_deref());
        let hits = self.text_hits(&words).map(<[bool]>::to_vec);
        self.entries
            .iter()
            .enumerate()
            .filter(|(i, e)| hits.as_ref().is_none_or(|h| h[*i]) && e.passes(account, query))
            .count() as i64
    }

    /// Offer counts per account, by name (accounts without offers are absent).
    pub fn account_counts(&self) -> Vec<(String, OfferCounts)> {
        let mut out: Vec<(String, OfferCounts)> = self
            .accounts
            .iter()
            .cloned()
            .zip(self.counts.iter().cloned())
            .filter(|(_, c)| c.offers > 0)
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn key_of(&self, slot: u32) -> (String, i64) {
        let e = &self.entries[slot as usize];
        (self.accounts[e.account as usize].clone(), e.id)
    }
}

/// A cursor as the index compares it: a name or part number folded, as the index sorts them.
fn folded(c: &Cursor) -> Cursor {
    let mut c = c.clone();
    if let SortValue::Text(t) = &mut c.value {
        *t = fold_search(t);
    }
    c
}

fn matches(hay: &[u8], finders: &[Finder]) -> bool {
    finders.iter().all(|f| f.find(hay).is_some())
}

fn units(m: Money) -> i64 {
    m.to_units().unwrap_or(i64::MAX)
}

/// A [`ProductIndex`] shared by the dashboard's tasks; every call first catches up with the
/// store.
#[derive(Clone, Default)]
pub struct SharedIndex(Arc<tokio::sync::Mutex<ProductIndex>>);

impl SharedIndex {
    pub fn new() -> SharedIndex {
        SharedIndex::default()
    }

    /// One page of products after `after`: chosen by the index, read from the store.
    pub async fn search(
        &self,
        store: &Store,
        query: &ProductQuery,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<ProductRow>> {
        let mut ix = self.0.lock().await;
        let limit = limit.max(1) as usize;
        let mut attempt = 0;
        loop {
            attempt += 1;
            ix.catch_up(store).await?;
            let keys: Vec<(String, i64)> = ix
                .page_slots(query, after, limit)
                .into_iter()
                .map(|s| ix.key_of(s))
                .collect();
            let mut found: HashMap<(String, i64), (ProductRow, i64)> = store
                .search()
                .product_rows(&keys)
                .await?
                .into_iter()
                .map(|(row, rev)| ((row.account.clone(), row.id), (row, rev)))
                .collect();
            let current = found.len() == keys.len()
                && found
                    .values()
                    .all(|(row, rev)| ix.seen.get(&row.account).is_some_and(|s| rev <= s));
            if current || attempt == 3 {
                return Ok(keys
                    .iter()
                    .filter_map(|k| found.remove(k))
                    .map(|(r, _)| r)
                    .collect());
            }
            if found.len() < keys.len() {
                // Offers are never deleted by magsync; something else did, so start afresh.
                ix.reset();
            }
        }
    }

    /// How many offers match `query`.
    pub async fn count(&self, store: &Store, query: &ProductQuery) -> Result<i64> {
        let mut ix = self.0.lock().await;
        ix.catch_up(store).await?;
        Ok(ix.count(query))
    }

    /// Offer counts per account, current with the store.
    pub async fn account_counts(&self, store: &Store) -> Result<Vec<(String, OfferCounts)>> {
        let mut ix = self.0.lock().await;
        ix.catch_up(store).await?;
        Ok(ix.account_counts())
    }

    /// Catches up now; returns how many offers were read (benchmarks, tests).
    pub async fn catch_up(&self, store: &Store) -> Result<usize> {
        self.0.lock().await.catch_up(store).await
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Offer;
    use crate::testing::TestDb;
    use chrono::Utc;

    /// The first build reads every offer in chunks: each once, in key order, across accounts
    /// and chunk ends.
    #[tokio::test]
    async fn the_first_read_visits_every_offer_once_in_chunks() {
        for db in TestDb::all().await {
            let offers = |ids: std::ops::Range<i64>| -> Vec<Offer> {
                ids.map(|id| Offer {
                    id,
                    name: Some(format!("Offer {id}")),
                    ..Default::default()
                })
                .collect()
            };
            db.store
                .offers()
                .write("b", None, &offers(1..6), Utc::now())
                .await
                .unwrap();
            db.store
                .offers()
                .write("a", None, &offers(3..7), Utc::now())
                .await
                .unwrap();
            let mut read = Vec::new();
            let revs = db
                .store
                .search()
                .read_offers_in_chunks(None, 2, |row| read.push((row.account, row.id)))
                .await
                .unwrap();
            let mut want: Vec<(String, i64)> = (3..7).map(|i| ("a".to_string(), i)).collect();
            want.extend((1..6).map(|i| ("b".to_string(), i)));
            assert_eq!(read, want, "{}", db.label);
            assert_eq!(revs.len(), 2, "{}", db.label);
        }
    }

    /// Offers rewritten until their old texts are compacted away: searches and name order
    /// still see every offer's current text, and the texts hold nothing but the live ones.
    #[tokio::test]
    async fn texts_compacted_in_place_keep_every_current_text() {
        use super::ProductIndex;
        use crate::model::search::{ProductQuery, SortKey};
        let db = TestDb::sqlite().await;
        let named = |round: usize| -> Vec<Offer> {
            (1..=40)
                .map(|id| {
                    let name = format!("Round{round} Lampă {:02}", 41 - id);
                    Offer {
                        id,
                        // The store tells a changed offer by its raw JSON.
                        raw: serde_json::json!({ "id": id, "name": name }).into(),
                        name: Some(name),
                        part_number: Some(format!("PN-{id}")),
                        ..Default::default()
                    }
                })
                .collect()
        };
        let mut ix = ProductIndex::new();
        for round in 0..4 {
            db.store
                .offers()
                .write("main", None, &named(round), Utc::now())
                .await
                .unwrap();
            ix.catch_up(&db.store).await.unwrap();
            let live: usize = ix.entries.iter().map(|e| e.text_len as usize).sum();
            assert_eq!(
                ix.texts.bytes.len(),
                live + ix.texts.garbage,
                "round {round}"
            );
            assert!(ix.texts.garbage <= live / 3, "round {round}: compacted");
            let query = ProductQuery {
                text: Some(format!("round{round} lampa")),
                sort: SortKey::Name,
                ..Default::default()
            };
            let ids: Vec<i64> = ix
                .page_slots(&query, None, 100)
                .into_iter()
                .map(|s| ix.entries[s as usize].id)
                .collect();
            assert_eq!(ids, (1..=40).rev().collect::<Vec<_>>(), "round {round}");
            if round > 0 {
                let old = ProductQuery {
                    text: Some(format!("round{}", round - 1)),
                    ..Default::default()
                };
                assert_eq!(ix.count(&old), 0, "round {round}: no old text matches");
            }
        }
    }
}
