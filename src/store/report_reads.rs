//! What reports read: one account's window of time, each read an index range (migration
//! `report_ranges`), so a weekly report over a million offers stays cheap.

use super::money::Money;
use super::{Result, Store, on_pool};
use crate::model::SyncRun;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

/// Fields of `offer_changes` a report looks at.
pub const REPORT_FIELDS: &[&str] = &["sale_price", "general_stock", "status", "missing"];

/// One recorded field change, without the columns a report does not need.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    pub offer_id: i64,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub at: DateTime<Utc>,
}

/// An offer priced outside its own bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundsRow {
    pub offer_id: i64,
    pub name: Option<String>,
    pub part_number: Option<String>,
    pub sale_price: Option<Decimal>,
    pub min_sale_price: Option<Decimal>,
    pub max_sale_price: Option<Decimal>,
}

impl Store {
    /// Changes of [`REPORT_FIELDS`] recorded for `account` in `[since, until)`, oldest first.
    pub async fn report_changes(
        &self,
        account: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ChangeRow>> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new(
                "SELECT offer_id, field, old_value, new_value, at FROM offer_changes WHERE account = ",
            );
            q.push_bind(account)
                .push(" AND at >= ")
                .push_bind(since)
                .push(" AND at < ")
                .push_bind(until)
                .push(" AND field IN (");
            let mut sep = q.separated(", ");
            for f in REPORT_FIELDS {
                sep.push_bind(*f);
            }
            // The (account, at) index holds the rowid/id after `at`, so this order is read off it.
            q.push(") ORDER BY at, id");
            let rows = q.build().fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(ChangeRow {
                        offer_id: r.try_get("offer_id")?,
                        field: r.try_get("field")?,
                        old_value: r.try_get("old_value")?,
                        new_value: r.try_get("new_value")?,
                        at: r.try_get("at")?,
                    })
                })
                .collect()
        })
    }

    /// How many offers of `account` were first seen in `[since, until)`.
    pub async fn count_first_seen(
        &self,
        account: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query(
                "SELECT COUNT(*) AS n FROM offers WHERE account = $1 AND first_seen_at >= $2 AND first_seen_at < $3",
            )
            .bind(account)
            .bind(since)
            .bind(until)
            .fetch_one(pool)
            .await?
            .try_get("n")?)
        })
    }

    /// Name and part number of the given offers (looked up by key).
    pub async fn offer_labels(
        &self,
        account: &str,
        ids: &[i64],
    ) -> Result<HashMap<i64, (Option<String>, Option<String>)>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            on_pool!(self, pool => {
                let mut q = QueryBuilder::new("SELECT id, name, part_number FROM offers WHERE account = ");
                q.push_bind(account).push(" AND id IN (");
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                q.push(")");
                for r in q.build().fetch_all(pool).await? {
                    out.insert(r.try_get("id")?, (r.try_get("name")?, r.try_get("part_number")?));
                }
            });
        }
        Ok(out)
    }

    /// Listed offers of `account` priced now under their minimum (`over` false) or over their
    /// maximum (`over` true), by id; read off a partial index that holds only those offers.
    pub async fn offers_out_of_bounds(&self, account: &str, over: bool) -> Result<Vec<BoundsRow>> {
        // The condition must read exactly as the partial index's for the planner to use it.
        let condition = if over {
            "sale_price > max_sale_price"
        } else {
            "sale_price < min_sale_price"
        };
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, name, part_number, sale_price, min_sale_price, max_sale_price FROM offers \
                 WHERE account = $1 AND {condition} AND missing_since IS NULL ORDER BY id"
            )))
            .bind(account)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let m = |c: &str| -> Result<Option<Decimal>> {
                        Ok(r.try_get::<Option<Money>, _>(c)?.map(|m| m.0))
                    };
                    Ok(BoundsRow {
                        offer_id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        part_number: r.try_get("part_number")?,
                        sale_price: m("sale_price")?,
                        min_sale_price: m("min_sale_price")?,
                        max_sale_price: m("max_sale_price")?,
                    })
                })
                .collect()
        })
    }

    /// Runs of `account` started in `[since, until)`, oldest first.
    pub async fn runs_between(
        &self,
        account: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<SyncRun>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM sync_runs WHERE account = $1 AND started_at >= $2 AND started_at < $3 ORDER BY started_at, id",
                super::runs::RUN_COLUMNS
            )))
            .bind(account)
            .bind(since)
            .bind(until)
            .fetch_all(pool)
            .await?;
            rows.iter().map(super::runs::run_from_row).collect()
        })
    }

    /// When the newest completed run of `account` that started before `until` finished.
    pub async fn last_completed_before(
        &self,
        account: &str,
        until: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT finished_at FROM sync_runs WHERE account = $1 AND started_at < $2 \
                 AND status = 'completed' AND finished_at IS NOT NULL ORDER BY started_at DESC LIMIT 1",
            )
            .bind(account)
            .bind(until)
            .fetch_optional(pool)
            .await?;
            row.map(|r| r.try_get("finished_at")).transpose()
        })
    }

    /// Accounts that have any run, for a report on a store without configured accounts.
    pub async fn accounts_with_runs(&self) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT DISTINCT account FROM sync_runs ORDER BY account")
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| r.try_get("account")).collect()
        })
    }
}
