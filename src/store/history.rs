//! Each offer's price and buy-button history (`offer_history`, migrations sqlite 0008 and
//! postgres 0010): a row only when one of the tracked values changed, written by the sync's
//! write path in the batch's own transaction, pruned by its own retention.

use super::money::Money;
use super::{Result, Store, on_pool};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, QueryBuilder, Row, SqliteConnection};

/// Default days of history kept (`[history] retention_days`).
pub const DEFAULT_RETENTION_DAYS: u32 = 400;

/// The new point of each offer whose tracked values differ from its newest point (or that has
/// none): `$1` the time, `$2` the account, then the ids.
const RECORD_HEAD: &str = "INSERT INTO offer_history (account, offer_id, at, sale_price, currency, \
    stock, status, buy_button_rank, best_offer_sale_price, number_of_offers) \
    SELECT o.account, o.id, $1, o.sale_price, o.currency, o.general_stock, o.status, \
    o.buy_button_rank, o.best_offer_sale_price, o.number_of_offers FROM offers o \
    LEFT JOIN offer_history h ON h.account = o.account AND h.offer_id = o.id AND h.at = \
    (SELECT MAX(x.at) FROM offer_history x WHERE x.account = o.account AND x.offer_id = o.id) \
    WHERE (h.offer_id IS NULL OR h.sale_price IS DISTINCT FROM o.sale_price \
    OR h.currency IS DISTINCT FROM o.currency OR h.stock IS DISTINCT FROM o.general_stock \
    OR h.status IS DISTINCT FROM o.status OR h.buy_button_rank IS DISTINCT FROM o.buy_button_rank \
    OR h.best_offer_sale_price IS DISTINCT FROM o.best_offer_sale_price \
    OR h.number_of_offers IS DISTINCT FROM o.number_of_offers) AND o.account = $2 AND o.id ";

/// Records the history of written offers on SQLite, inside the batch's transaction.
pub(super) async fn record_sqlite(
    conn: &mut SqliteConnection,
    account: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in ids.chunks(5_000) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "{RECORD_HEAD}IN ({}) ON CONFLICT DO NOTHING",
            marks.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(account);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records the history of written offers on Postgres, inside the batch's transaction.
pub(super) async fn record_pg(
    conn: &mut PgConnection,
    account: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{RECORD_HEAD}= ANY($3::bigint[]) ON CONFLICT DO NOTHING"
    )))
    .bind(now)
    .bind(account)
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// One point of an offer's history: the values from `at` until the next point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPoint {
    pub at: DateTime<Utc>,
    pub sale_price: Option<Decimal>,
    pub currency: Option<String>,
    pub stock: Option<i32>,
    pub status: Option<crate::model::OfferStatus>,
    pub buy_button_rank: Option<i32>,
    pub best_offer_sale_price: Option<Decimal>,
    pub number_of_offers: Option<i32>,
}

/// An offer whose buy-button rank may have moved in a window: the mirror's values now and the
/// rank it had when the window began.
#[derive(Debug, Clone, PartialEq)]
pub struct RankMove {
    pub account: String,
    pub id: i64,
    pub part_number: Option<String>,
    pub name: Option<String>,
    pub currency: Option<String>,
    pub sale_price: Option<Decimal>,
    pub min_sale_price: Option<Decimal>,
    pub max_sale_price: Option<Decimal>,
    pub best_offer_sale_price: Option<Decimal>,
    pub number_of_offers: Option<i32>,
    pub rank: Option<i32>,
    /// The offer's VAT rate id (`vat/read`), for prices with VAT.
    pub vat_id: Option<i32>,
    /// The rank of its newest point before the window or, for an offer first recorded inside
    /// the window, of its first point there: a window that holds an offer's first sync still
    /// shows it losing the buy button afterwards.
    pub rank_before: Option<i32>,
}

const POINT_COLUMNS: &str = "at, sale_price, currency, stock, status, buy_button_rank, \
    best_offer_sale_price, number_of_offers";

impl Store {
    /// One offer's history from `since` (None: all kept), oldest first, with the point in force
    /// at `since` first so a chart starts with the value it had then.
    pub async fn offer_history(
        &self,
        account: &str,
        id: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<HistoryPoint>> {
        let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        on_pool!(self, pool => {
            let sql = format!(
                "SELECT * FROM (SELECT {POINT_COLUMNS} FROM offer_history WHERE account = $1 \
                 AND offer_id = $2 AND at <= $3 ORDER BY at DESC LIMIT 1) b \
                 UNION ALL SELECT * FROM (SELECT {POINT_COLUMNS} FROM offer_history \
                 WHERE account = $1 AND offer_id = $2 AND at > $3) a ORDER BY at"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(account)
                .bind(id)
                .bind(since)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    let m = |c: &str| -> Result<Option<Decimal>> {
                        Ok(r.try_get::<Option<Money>, _>(c)?.map(|m| m.0))
                    };
                    Ok(HistoryPoint {
                        at: r.try_get("at")?,
                        sale_price: m("sale_price")?,
                        currency: r.try_get("currency")?,
                        stock: r.try_get("stock")?,
                        status: r.try_get("status")?,
                        buy_button_rank: r.try_get("buy_button_rank")?,
                        best_offer_sale_price: m("best_offer_sale_price")?,
                        number_of_offers: r.try_get("number_of_offers")?,
                    })
                })
                .collect()
        })
    }

    /// Deletes points older than `cutoff`, keeping each offer's newest point at or before it
    /// (the value in force when the kept history starts); returns how many went.
    pub async fn prune_history(&self, account: &str, cutoff: DateTime<Utc>) -> Result<u64> {
        on_pool!(self, pool => {
            let n = sqlx::query(
                "DELETE FROM offer_history WHERE account = $1 AND at < $2 AND EXISTS \
                 (SELECT 1 FROM offer_history n WHERE n.account = offer_history.account \
                 AND n.offer_id = offer_history.offer_id AND n.at > offer_history.at AND n.at <= $2)",
            )
            .bind(account)
            .bind(cutoff)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n)
        })
    }

    /// Listed offers of `account` (None: all accounts) with a history point at or after
    /// `since`: the only offers whose buy-button rank can have moved in the window. Ordered by
    /// account and id.
    pub async fn rank_moves(
        &self,
        account: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<RankMove>> {
        // Driven from the window's history rows (a range of the `at` index), never from the
        // offers: the list costs what changed, not the size of the catalogue.
        let (join, by_time) = match self.backend() {
            // CROSS JOIN keeps the window's rows as SQLite's outer loop, and INDEXED BY keeps
            // it off the primary key, whose order it would otherwise prefer for DISTINCT and
            // read whole.
            super::Backend::Sqlite => ("CROSS JOIN", "INDEXED BY offer_history_at"),
            super::Backend::Postgres => ("JOIN", ""),
        };
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new(
                "SELECT o.account, o.id, o.part_number, o.name, o.currency, o.sale_price, \
                 o.min_sale_price, o.max_sale_price, o.best_offer_sale_price, o.number_of_offers, \
                 o.buy_button_rank, o.vat_id, \
                 (SELECT b.buy_button_rank FROM offer_history b WHERE b.account = o.account \
                 AND b.offer_id = o.id AND b.at = COALESCE(\
                 (SELECT p.at FROM offer_history p WHERE p.account = o.account \
                 AND p.offer_id = o.id AND p.at < ",
            );
            // The baseline point: the newest before the window, else the oldest inside it.
            q.push_bind(since);
            q.push(" ORDER BY p.at DESC LIMIT 1), (SELECT p.at FROM offer_history p \
                 WHERE p.account = o.account AND p.offer_id = o.id AND p.at >= ");
            q.push_bind(since);
            q.push(" ORDER BY p.at LIMIT 1))) AS rank_before FROM \
                 (SELECT DISTINCT h.account, h.offer_id FROM offer_history h ");
            q.push(by_time).push(" WHERE h.at >= ");
            q.push_bind(since);
            if let Some(a) = account {
                q.push(" AND h.account = ").push_bind(a);
            }
            q.push(format!(") c {join} offers o ON o.account = c.account AND o.id = c.offer_id \
                 WHERE o.missing_since IS NULL"));
            q.push(" ORDER BY o.account, o.id");
            let rows = q.build().fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    let m = |c: &str| -> Result<Option<Decimal>> {
                        Ok(r.try_get::<Option<Money>, _>(c)?.map(|m| m.0))
                    };
                    Ok(RankMove {
                        account: r.try_get("account")?,
                        id: r.try_get("id")?,
                        part_number: r.try_get("part_number")?,
                        name: r.try_get("name")?,
                        currency: r.try_get("currency")?,
                        sale_price: m("sale_price")?,
                        min_sale_price: m("min_sale_price")?,
                        max_sale_price: m("max_sale_price")?,
                        best_offer_sale_price: m("best_offer_sale_price")?,
                        number_of_offers: r.try_get("number_of_offers")?,
                        rank: r.try_get("buy_button_rank")?,
                        vat_id: r.try_get("vat_id")?,
                        rank_before: r.try_get("rank_before")?,
                    })
                })
                .collect()
        })
    }

    /// Adds a point to every offer of `account` at `at`, priced `bump` over today's price
    /// (benchmarks fill a 90-day history in bulk with it).
    #[doc(hidden)]
    pub async fn bench_history_points(
        &self,
        account: &str,
        at: DateTime<Utc>,
        bump: Decimal,
    ) -> Result<u64> {
        on_pool!(self, pool => {
            let n = sqlx::query(
                "INSERT INTO offer_history (account, offer_id, at, sale_price, currency, stock, \
                 status, buy_button_rank, best_offer_sale_price, number_of_offers) \
                 SELECT account, id, $2, sale_price + $3, currency, general_stock, status, \
                 buy_button_rank, best_offer_sale_price, number_of_offers FROM offers \
                 WHERE account = $1 ON CONFLICT DO NOTHING",
            )
            .bind(account)
            .bind(at)
            .bind(Money(bump))
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n)
        })
    }

    /// The same part number on every account (MAIN and FBE, RO/BG/HU), for offer details.
    pub async fn same_part_number(&self, part_number: &str) -> Result<Vec<SiblingOffer>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT account, id, currency, sale_price, buy_button_rank, general_stock \
                 FROM offers WHERE part_number = $1 AND missing_since IS NULL ORDER BY account, id",
            )
            .bind(part_number)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(SiblingOffer {
                        account: r.try_get("account")?,
                        id: r.try_get("id")?,
                        currency: r.try_get("currency")?,
                        sale_price: r.try_get::<Option<Money>, _>("sale_price")?.map(|m| m.0),
                        buy_button_rank: r.try_get("buy_button_rank")?,
                        stock: r.try_get("general_stock")?,
                    })
                })
                .collect()
        })
    }
}

/// An offer of any account with a given part number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiblingOffer {
    pub account: String,
    pub id: i64,
    pub currency: Option<String>,
    pub sale_price: Option<Decimal>,
    pub buy_button_rank: Option<i32>,
    pub stock: Option<i32>,
}
