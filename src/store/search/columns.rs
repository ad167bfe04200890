//! In-memory search columns: what both stores' column caches share.
//!
//! A common word ("usb", "lampa": hundreds of thousands of matches at a million offers) that
//! sits far down the sort order cannot be paged quickly from a database's indexes alone:
//! walking the sort index passes every offer before the first match, and collecting reads
//! every match to sort it. A search engine answers such a page from columns: the position of
//! every offer in each sort order and which filters it passes, held in memory. The page is
//! then the matches with the lowest positions (a linear selection, a few milliseconds), and
//! only its rows are read. Each store reads its columns, tells when they are stale and finds a
//! word's matches in its own way (`columns_sqlite.rs`, `columns_pg.rs`).

use super::{ProductQuery, SortKey, StatusFilter, StockFilter};
use std::time::Duration;

/// The shortest time between two builds.
pub(super) const REBUILD_EVERY: Duration = Duration::from_secs(30);

/// The store size from which a page without text starts reading the columns ahead of need:
/// below it every plan answers in a few milliseconds anyway.
pub(super) const WARM_FROM: i64 = 20_000;

/// How long nothing must be written before a build starts, and how long a build waits for
/// that: SQLite's columns built while a sync commits every second would be stale before a
/// page used them (Postgres' wait only for their first build; see `columns_pg.rs`).
pub(super) const QUIET: Duration = Duration::from_secs(1);
pub(super) const QUIET_MAX: Duration = Duration::from_secs(60);

/// Waits until `version()` reads the same twice [`QUIET`] apart, i.e. nothing was written
/// for that long; false when that did not happen within [`QUIET_MAX`] (a long sync: a page
/// finding the columns stale after [`REBUILD_EVERY`] tries again) or a read failed.
pub(super) async fn wait_for_quiet<V: PartialEq, F>(mut version: impl FnMut() -> F) -> bool
where
    F: Future<Output = crate::store::Result<V>>,
{
    let start = std::time::Instant::now();
    let mut last = None;
    while start.elapsed() < QUIET_MAX {
        let Ok(now) = version().await else {
            return false;
        };
        if last.as_ref() == Some(&now) {
            return true;
        }
        last = Some(now);
        tokio::time::sleep(QUIET).await;
    }
    false
}

/// The filters a page can ask for besides the account, each a bit of the columns' flags.
pub(super) const FILTERS: [(Option<StatusFilter>, Option<StockFilter>); 6] = [
    (Some(StatusFilter::Active), None),
    (Some(StatusFilter::Inactive), None),
    (Some(StatusFilter::Eol), None),
    (Some(StatusFilter::Missing), None),
    (None, Some(StockFilter::Zero)),
    (None, Some(StockFilter::Low)),
];

/// No position: the slot holds no offer.
pub(super) const NONE: u32 = u32::MAX;

/// The index of a sort key's positions among the columns' (they follow [`SortKey::ALL`]).
pub(super) fn column_of(sort: SortKey) -> usize {
    SortKey::ALL
        .iter()
        .position(|&k| k == sort)
        .expect("SortKey::ALL lists every sort key")
}

/// Whether `slot`'s bit is set in a bit set of slots (one bit per slot, 64 to a word; an
/// empty set holds none).
pub(super) fn has_slot(bits: &[u64], slot: usize) -> bool {
    bits.get(slot / 64)
        .is_some_and(|w| w & (1 << (slot % 64)) != 0)
}

/// The flag bits an offer must have to pass the query's status and stock filters.
pub(super) fn filter_mask(query: &ProductQuery) -> u8 {
    let mut mask = 0u8;
    for (bit, (status, stock)) in FILTERS.iter().enumerate() {
        if (status.is_some() && *status == query.status)
            || (stock.is_some() && *stock == query.stock)
        {
            mask |= 1 << bit;
        }
    }
    mask
}

/// One sort order's columns and what a page asks of them.
pub(super) struct Selection<'a> {
    /// Each slot's position in the ascending sort order ([`NONE`]: no offer).
    pub positions: &'a [u32],
    pub flags: &'a [u8],
    pub account: &'a [u16],
    /// The flags an offer must have ([`filter_mask`]).
    pub mask: u8,
    /// The account an offer must belong to, as an index into the columns' accounts.
    pub account_is: Option<u16>,
    pub descending: bool,
    /// The cursor row's position: only offers after it (in the page's direction) qualify.
    pub after: Option<u32>,
    /// A bit per slot whose offer was written since the columns were read, which never
    /// qualifies (empty: none was).
    pub written: &'a [u64],
}

impl Selection<'_> {
    /// How many of `candidates` (slots) pass.
    pub fn count(&self, candidates: impl Iterator<Item = usize>) -> usize {
        self.passing(candidates).count()
    }

    /// The candidates that pass, with their rank in page order.
    fn passing(
        &self,
        candidates: impl Iterator<Item = usize>,
    ) -> impl Iterator<Item = (u32, usize)> {
        // Descending pages rank by the reversed position, so both directions take the lowest.
        let rank = move |p: u32| if self.descending { NONE - 1 - p } else { p };
        let past = self.after.map(rank);
        candidates.filter_map(move |r| {
            let p = *self.positions.get(r)?;
            let passes = p != NONE
                && !has_slot(self.written, r)
                && self.flags[r] & self.mask == self.mask
                && self.account_is.is_none_or(|a| self.account[r] == a);
            let p = rank(p);
            (passes && past.is_none_or(|c| p > c)).then_some((p, r))
        })
    }

    /// The first `limit` of `candidates` (slots) that pass, in page order.
    pub fn page(&self, candidates: impl Iterator<Item = usize>, limit: usize) -> Vec<usize> {
        let mut hits: Vec<(u32, usize)> = self.passing(candidates).collect();
        if hits.len() > limit {
            hits.select_nth_unstable(limit);
            hits.truncate(limit);
        }
        hits.sort_unstable();
        hits.into_iter().map(|(_, r)| r).collect()
    }
}
