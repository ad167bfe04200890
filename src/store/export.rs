//! Streaming read of every offer matching a products query, for `magsync export`.
//!
//! One query, rows handed to a callback as the driver yields them: memory stays flat whatever
//! the size of the store, and the export is one consistent read instead of pages that could
//! shift under concurrent syncs.

use super::offers::{SELECT_STORED, StoredOffer, stored_offer_from_row};
use super::search::{ProductQuery, SortKey, push_filters};
use super::{Store, on_pool};
use futures::TryStreamExt;
use sqlx::QueryBuilder;

impl Store {
    /// Calls `each` for every offer matching `query`, in the query's sort order (ties broken by
    /// account and id); returns how many rows were passed. Stops at the first error `each`
    /// returns.
    pub async fn export_offers<E, F>(&self, query: &ProductQuery, mut each: F) -> Result<u64, E>
    where
        E: From<sqlx::Error>,
        F: FnMut(StoredOffer) -> Result<(), E>,
    {
        let expr = query.sort.expr(self.backend());
        let dir = if query.descending { "DESC" } else { "ASC" };
        let mut n = 0u64;
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new(format!("{SELECT_STORED} WHERE 1 = 1"));
            push_filters!(q, self, query);
            // Sorting by account is the primary key order; repeating `account` in the ORDER BY
            // would make SQLite sort the rows again instead of walking the key.
            if query.sort == SortKey::Account {
                q.push(format!(" ORDER BY account {dir}, id {dir}"));
            } else {
                q.push(format!(" ORDER BY {expr} {dir}, account {dir}, id {dir}"));
            }
            let mut rows = q.build().fetch(pool);
            while let Some(row) = rows.try_next().await? {
                each(stored_offer_from_row(&row)?)?;
                n += 1;
            }
        });
        Ok(n)
    }
}
