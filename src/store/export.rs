//! Streaming read of every offer matching a products query, for `magsync export`.
//!
//! One query, rows handed to a callback as the driver yields them: memory stays flat whatever
//! the size of the store, and the export is one consistent read instead of pages that could
//! shift under concurrent syncs.

use super::Store;
use super::offers::{OfferRow, SELECT_STORED, StoredOffer};
use super::search::{ProductQuery, order_by, push_filters};
use super::sql::Sql;

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
        let mut each = each;
        self.pool
            .fetch_each(&sql, |row: OfferRow| each(StoredOffer::from(row)))
            .await
    }
}
