//! Streaming read of every offer matching a products query, for `magsync export`.
//!
//! One query, rows handed to a callback as the driver yields them: memory stays flat whatever
//! the size of the store, and the export is one consistent read instead of pages that could
//! shift under concurrent syncs.

use super::Store;
use super::offers::{SELECT_STORED, StoredOffer, stored_offer_from_row};
use super::search::{ProductQuery, Sql, order_by, push_filters};

impl Store {
    /// Calls `each` for every offer matching `query`, in the query's sort order (ties broken by
    /// account and id); returns how many rows were passed. Stops at the first error `each`
    /// returns.
    pub async fn export_offers<E, F>(&self, query: &ProductQuery, each: F) -> Result<u64, E>
    where
        E: From<sqlx::Error>,
        F: FnMut(StoredOffer) -> Result<(), E>,
    {
        let mut sql = Sql::new(format!("{SELECT_STORED} WHERE 1 = 1"));
        push_filters(&mut sql, query);
        sql.push(&order_by(query, self.backend()));
        sql.fetch_each(self, stored_offer_from_row, stored_offer_from_row, each)
            .await
    }
}
