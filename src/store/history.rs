//! Each offer's price and buy-button history (`offer_history`, migrations sqlite 0008 and
//! postgres 0010): a row only when one of the tracked values changed, written by the sync's
//! write path in the batch's own transaction, pruned by its own retention.

use super::money::Amount;
use super::sql::{Sql, Tx};
use super::{Backend, Result, Store};
use crate::model::Money;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// `store.history()`.
#[derive(Clone, Copy)]
pub struct History<'a> {
    pub(super) store: &'a Store,
}

/// Default days of history kept (`[history] retention_days`).
pub const DEFAULT_RETENTION_DAYS: u32 = 400;

/// The new point of each offer whose tracked values differ from its newest point (or that has
/// none), at the time and of the account bound first; the ids follow.
const RECORD_HEAD: &str = "INSERT INTO offer_history (account, offer_id, at, sale_price, currency, \
    stock, status, buy_button_rank, best_offer_sale_price, number_of_offers) \
    SELECT o.account, o.id, ";
const RECORD_COLUMNS: &str = ", o.sale_price, o.currency, o.general_stock, o.status, \
    o.buy_button_rank, o.best_offer_sale_price, o.number_of_offers FROM offers o ";
/// Each offer's newest point as `h`. Postgres takes it through LATERAL, one index seek per
/// offer: with the join on MAX(at) its planner, whose statistics lag a first sync's history,
/// hashed every point of the account for each batch, so a first sync slowed as it grew.
const NEWEST_SQLITE: &str = "LEFT JOIN offer_history h ON h.account = o.account \
    AND h.offer_id = o.id AND h.at = (SELECT MAX(x.at) FROM offer_history x \
    WHERE x.account = o.account AND x.offer_id = o.id) ";
const NEWEST_POSTGRES: &str = "LEFT JOIN LATERAL (SELECT x.offer_id, x.sale_price, x.currency, \
    x.stock, x.status, x.buy_button_rank, x.best_offer_sale_price, x.number_of_offers \
    FROM offer_history x WHERE x.account = o.account AND x.offer_id = o.id \
    ORDER BY x.at DESC LIMIT 1) h ON true ";
const RECORD_WHERE: &str = "WHERE (h.offer_id IS NULL OR h.sale_price IS DISTINCT FROM o.sale_price \
    OR h.currency IS DISTINCT FROM o.currency OR h.stock IS DISTINCT FROM o.general_stock \
    OR h.status IS DISTINCT FROM o.status OR h.buy_button_rank IS DISTINCT FROM o.buy_button_rank \
    OR h.best_offer_sale_price IS DISTINCT FROM o.best_offer_sale_price \
    OR h.number_of_offers IS DISTINCT FROM o.number_of_offers) AND o.account = ";

/// Records the history of written offers, inside the batch's transaction (ids in lists of at
/// most 5,000 on SQLite, one array on Postgres).
pub(super) async fn record(
    tx: &mut Tx,
    account: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<()> {
    let (per_statement, newest) = match tx.backend() {
        Backend::Sqlite => (5_000, NEWEST_SQLITE),
        Backend::Postgres => (ids.len().max(1), NEWEST_POSTGRES),
    };
    for chunk in ids.chunks(per_statement) {
        let mut sql = Sql::new(RECORD_HEAD);
        sql.push_bind(now)
            .push(RECORD_COLUMNS)
            .push(newest)
            .push(RECORD_WHERE)
            .push_bind(account)
            .push(" AND o.id ")
            .push_in_ids(tx.backend(), chunk)
            .push(" ON CONFLICT DO NOTHING");
        tx.execute(&sql).await?;
    }
    Ok(())
}

/// One point of an offer's history: the values from `at` until the next point.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HistoryPoint {
    pub at: DateTime<Utc>,
    #[sqlx(try_from = "Amount")]
    pub sale_price: Option<Decimal>,
    pub currency: Option<String>,
    pub stock: Option<i32>,
    pub status: Option<crate::model::OfferStatus>,
    pub buy_button_rank: Option<i32>,
    #[sqlx(try_from = "Amount")]
    pub best_offer_sale_price: Option<Decimal>,
    pub number_of_offers: Option<i32>,
}

/// An offer whose buy-button rank may have moved in a window: the mirror's values now and the
/// rank it had when the window began.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RankMove {
    pub account: String,
    pub id: i64,
    pub part_number: Option<String>,
    pub name: Option<String>,
    pub currency: Option<String>,
    #[sqlx(try_from = "Amount")]
    pub sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    pub min_sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    pub max_sale_price: Option<Decimal>,
    #[sqlx(try_from = "Amount")]
    pub best_offer_sale_price: Option<Decimal>,
    pub number_of_offers: Option<i32>,
    #[sqlx(rename = "buy_button_rank")]
    pub rank: Option<i32>,
    /// The offer's VAT rate id (`vat/read`), for prices with VAT.
    pub vat_id: Option<i32>,
    /// The rank of its newest point before the window or, for an offer first recorded inside
    /// the window, of its first point there: a window that holds an offer's first sync still
    /// shows it losing the buy button afterwards.
    pub rank_before: Option<i32>,
}

impl History<'_> {
    /// One offer's history from `since` (None: all kept), oldest first, with the point in force
    /// at `since` first so a chart starts with the value it had then.
    pub async fn of_offer(
        self,
        account: &str,
        id: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<HistoryPoint>> {
        let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let sql = Sql::new(
            "SELECT * FROM (SELECT * FROM offer_history WHERE account = $1 \
             AND offer_id = $2 AND at <= $3 ORDER BY at DESC LIMIT 1) b \
             UNION ALL SELECT * FROM (SELECT * FROM offer_history \
             WHERE account = $1 AND offer_id = $2 AND at > $3) a ORDER BY at",
        );
        self.store
            .pool
            .fetch_all(&sql.bind(account).bind(id).bind(since))
            .await
    }

    /// Deletes points older than `cutoff`, keeping each offer's newest point at or before it
    /// (the value in force when the kept history starts); returns how many went.
    pub async fn prune(self, account: &str, cutoff: DateTime<Utc>) -> Result<u64> {
        let sql = Sql::new(
            "DELETE FROM offer_history WHERE account = $1 AND at < $2 AND EXISTS \
             (SELECT 1 FROM offer_history n WHERE n.account = offer_history.account \
             AND n.offer_id = offer_history.offer_id AND n.at > offer_history.at AND n.at <= $2)",
        );
        self.store
            .pool
            .execute(&sql.bind(account).bind(cutoff))
            .await
    }

    /// Listed offers of `account` (None: all accounts) with a history point at or after
    /// `since`: the only offers whose buy-button rank can have moved in the window. Ordered by
    /// account and id.
    pub async fn rank_moves(
        self,
        account: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<RankMove>> {
        // Driven from the window's history rows (a range of the `at` index), never from the
        // offers: the list costs what changed, not the size of the catalogue.
        let (join, by_time) = match self.store.backend() {
            // CROSS JOIN keeps the window's rows as SQLite's outer loop, and INDEXED BY keeps
            // it off the primary key, whose order it would otherwise prefer for DISTINCT and
            // read whole.
            Backend::Sqlite => ("CROSS JOIN", "INDEXED BY offer_history_at"),
            Backend::Postgres => ("JOIN", ""),
        };
        let mut sql = Sql::new(
            "SELECT o.account, o.id, o.part_number, o.name, o.currency, o.sale_price, \
             o.min_sale_price, o.max_sale_price, o.best_offer_sale_price, o.number_of_offers, \
             o.buy_button_rank, o.vat_id, \
             (SELECT b.buy_button_rank FROM offer_history b WHERE b.account = o.account \
             AND b.offer_id = o.id AND b.at = COALESCE(\
             (SELECT p.at FROM offer_history p WHERE p.account = o.account \
             AND p.offer_id = o.id AND p.at < ",
        );
        // The baseline point: the newest before the window, else the oldest inside it.
        sql.push_bind(since)
            .push(
                " ORDER BY p.at DESC LIMIT 1), (SELECT p.at FROM offer_history p \
                 WHERE p.account = o.account AND p.offer_id = o.id AND p.at >= ",
            )
            .push_bind(since)
            .push(
                " ORDER BY p.at LIMIT 1))) AS rank_before FROM \
                 (SELECT DISTINCT h.account, h.offer_id FROM offer_history h ",
            )
            .push(by_time)
            .push(" WHERE h.at >= ")
            .push_bind(since);
        if let Some(a) = account {
            sql.push(" AND h.account = ").push_bind(a);
        }
        sql.push(&format!(
            ") c {join} offers o ON o.account = c.account AND o.id = c.offer_id \
             WHERE o.missing_since IS NULL ORDER BY o.account, o.id"
        ));
        self.store.pool.fetch_all(&sql).await
    }

    /// Adds a point to every offer of `account` at `at`, priced `bump` over today's price
    /// (benchmarks fill a 90-day history in bulk with it).
    #[doc(hidden)]
    pub async fn bench_points(
        self,
        account: &str,
        at: DateTime<Utc>,
        bump: Decimal,
    ) -> Result<u64> {
        let sql = Sql::new(
            "INSERT INTO offer_history (account, offer_id, at, sale_price, currency, stock, \
             status, buy_button_rank, best_offer_sale_price, number_of_offers) \
             SELECT account, id, $2, sale_price + $3, currency, general_stock, status, \
             buy_button_rank, best_offer_sale_price, number_of_offers FROM offers \
             WHERE account = $1 ON CONFLICT DO NOTHING",
        );
        self.store
            .pool
            .execute(&sql.bind(account).bind(at).bind(Money(bump)))
            .await
    }
}
