//! One way to speak to both databases.
//!
//! A statement is a value, [`Sql`]: its text and its typed [`Arg`]s. One small function per
//! database turns it into a sqlx query ([`sqlite`], [`pg`]), and [`Conn`] runs it on a
//! connection of either; [`Pool`] (a pool of either database) and [`Tx`] (a transaction on
//! either) run it through a connection of theirs. Rows decode into `#[derive(sqlx::FromRow)]`
//! structs, which sqlx implements for the rows of both databases at once ([`Record`]).

use super::{Backend, Result};
use crate::model::Money;
use crate::model::OfferStatus;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{AssertSqlSafe, FromRow};
use std::fmt::Write as _;

/// A value bound to a statement: one variant per type magsync stores; `None` is NULL.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(Option<i64>),
    I32(Option<i32>),
    I16(Option<i16>),
    Bool(Option<bool>),
    Text(Option<String>),
    /// Stored as [`Money`] decides per database (integer units on SQLite, NUMERIC on Postgres).
    Money(Option<Money>),
    Time(Option<DateTime<Utc>>),
    Json(Option<Box<RawValue>>),
    /// Postgres only: a column of values of one variant as one array parameter, so a
    /// statement's text is the same for any number of them.
    Array(Vec<Arg>),
}

impl Arg {
    /// A value as JSON (text on SQLite, JSONB on Postgres).
    pub fn json(value: &impl serde::Serialize) -> Result<Arg> {
        serde_json::value::to_raw_value(value)
            .map(|raw| Arg::Json(Some(raw)))
            .map_err(|e| sqlx::Error::Encode(e.into()))
    }

    /// The Postgres type of an array of such values, and the cast of each element: JSON
    /// travels as text and is parsed on the server (as `json`, which keeps the text exactly,
    /// and cast again when the column is `jsonb`).
    fn pg_array_type(&self) -> (&'static str, &'static str) {
        match self {
            Arg::I64(_) => ("bigint", ""),
            Arg::I32(_) => ("int", ""),
            Arg::I16(_) => ("smallint", ""),
            Arg::Bool(_) => ("boolean", ""),
            Arg::Text(_) | Arg::Array(_) => ("text", ""),
            Arg::Money(_) => ("numeric", ""),
            Arg::Time(_) => ("timestamptz", ""),
            Arg::Json(_) => ("text", "::json"),
        }
    }
}

/// A Rust value that binds as an [`Arg`]; `None` of an `Option` binds a NULL of its type.
pub(crate) trait ToArg {
    fn to_arg(self) -> Arg;
}

/// A type stored as one variant of [`Arg`]: the variant built from an `Option` of it.
pub(crate) trait Column: Sized {
    const ARG: fn(Option<Self>) -> Arg;
}

impl<T: Column> ToArg for T {
    fn to_arg(self) -> Arg {
        T::ARG(Some(self))
    }
}

impl<T: Column> ToArg for Option<T> {
    fn to_arg(self) -> Arg {
        T::ARG(self)
    }
}

impl ToArg for Arg {
    fn to_arg(self) -> Arg {
        self
    }
}

impl Column for i64 {
    const ARG: fn(Option<i64>) -> Arg = Arg::I64;
}

impl Column for i32 {
    const ARG: fn(Option<i32>) -> Arg = Arg::I32;
}

impl Column for i16 {
    const ARG: fn(Option<i16>) -> Arg = Arg::I16;
}

impl Column for bool {
    const ARG: fn(Option<bool>) -> Arg = Arg::Bool;
}

impl Column for String {
    const ARG: fn(Option<String>) -> Arg = Arg::Text;
}

impl<'a> Column for &'a str {
    const ARG: fn(Option<&'a str>) -> Arg = |v| Arg::Text(v.map(str::to_string));
}

impl Column for OfferStatus {
    const ARG: fn(Option<OfferStatus>) -> Arg = |v| Arg::I16(v.map(OfferStatus::code));
}

impl Column for Money {
    const ARG: fn(Option<Money>) -> Arg = Arg::Money;
}

/// The store's decimals are all money.
impl Column for Decimal {
    const ARG: fn(Option<Decimal>) -> Arg = |v| Arg::Money(v.map(Money));
}

impl Column for DateTime<Utc> {
    const ARG: fn(Option<DateTime<Utc>>) -> Arg = Arg::Time;
}

/// SQL as a value: its text and the arguments of its placeholders, built once and run on
/// either database.
///
/// Text written by hand names its arguments `$1`, `$2`, … (both databases read that form)
/// and [`Sql::bind`] adds them in order. Text built piece by piece adds a placeholder with
/// each argument ([`Sql::push_bind`]); those are written per database when the statement
/// runs: `$N` on Postgres, and on SQLite a plain `?` when every argument has its own
/// placeholder in order, because SQLite looks numbered and named parameters up one by one in
/// a list, which costs the square of their number in a statement of thousands.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
    /// Where in `text` a pushed placeholder goes, and the number of its argument.
    marks: Vec<(usize, usize)>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            ..Sql::default()
        }
    }

    /// Adds the argument of the next `$N` the text names.
    pub fn bind(mut self, value: impl ToArg) -> Sql {
        self.args.push(value.to_arg());
        self
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn push_bind(&mut self, value: impl ToArg) -> &mut Sql {
        self.args.push(value.to_arg());
        self.marks.push((self.text.len(), self.args.len()));
        self
    }

    /// Appends `(a, b, …)`, a placeholder per value (for `IN`).
    pub fn push_list<T: ToArg>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Sql {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(v);
        }
        self.push(")")
    }

    /// Appends `IN (…)` with a placeholder per id, or on Postgres `= ANY(…)` with the ids as
    /// one array, so the statement's text is the same for any number of them.
    pub fn push_in_ids(&mut self, backend: Backend, ids: &[i64]) -> &mut Sql {
        match backend {
            Backend::Sqlite => self.push("IN ").push_list(ids.iter().copied()),
            Backend::Postgres => self
                .push("= ANY(")
                .push_bind(Arg::Array(ids.iter().map(|&id| id.to_arg()).collect()))
                .push("::bigint[])"),
        }
    }

    /// Appends `VALUES (…), (…)`: one row of placeholders per row of arguments.
    pub fn push_values(&mut self, rows: impl IntoIterator<Item = Vec<Arg>>) -> &mut Sql {
        self.push("VALUES ");
        for (i, row) in rows.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_list(row);
        }
        self
    }

    /// `head` (`INSERT INTO t (columns)`), rows of values in the columns' order, then `tail`
    /// (`ON CONFLICT …` or nothing), in as few statements as each database takes: on SQLite
    /// multi-row `VALUES` lists of at most `max_rows` rows (and 30,000 parameters, under its
    /// 32,766); on Postgres one statement whatever the number of rows, each column one array
    /// parameter. A multi-row VALUES list of a few thousand rows there was a statement of tens
    /// of thousands of parameters that the server parsed, planned and bound anew each time
    /// (`plan_cache_mode = force_custom_plan`, see `Store::connect`); with arrays the text is
    /// fixed, parsed once per connection and planned in microseconds. The arrays are unnested
    /// in the select list rather than by `FROM UNNEST(...)`, which stores each array's elements
    /// in a tuplestore before the first row is produced.
    pub fn inserts(
        backend: Backend,
        head: &str,
        rows: Vec<Vec<Arg>>,
        tail: &str,
        max_rows: usize,
    ) -> Vec<Sql> {
        let columns = rows.first().map_or(1, Vec::len).max(1);
        if backend == Backend::Sqlite {
            let per_statement = max_rows.min(30_000 / columns).max(1);
            let mut rows = rows.into_iter().peekable();
            let mut out = Vec::new();
            while rows.peek().is_some() {
                let mut sql = Sql::new(format!("{head} "));
                sql.push_values(rows.by_ref().take(per_statement))
                    .push(tail);
                out.push(sql);
            }
            return out;
        }
        if rows.is_empty() {
            return Vec::new();
        }
        let mut arrays: Vec<Vec<Arg>> = (0..columns)
            .map(|_| Vec::with_capacity(rows.len()))
            .collect();
        for row in rows {
            for (array, value) in arrays.iter_mut().zip(row) {
                array.push(value);
            }
        }
        let mut sql = Sql::new(format!("{head} SELECT "));
        for (i, array) in arrays.into_iter().enumerate() {
            let (ty, cast) = array[0].pg_array_type();
            let n = sql.arg(Arg::Array(array));
            sql.push(&format!(
                "{}unnest({n}::{ty}[]){cast}",
                if i > 0 { ", " } else { "" }
            ));
        }
        sql.push(tail);
        vec![sql]
    }

    /// Adds `value` and returns its `$N`, for text that names it more than once.
    pub fn arg(&mut self, value: impl ToArg) -> String {
        self.args.push(value.to_arg());
        format!("${}", self.args.len())
    }

    /// The text as `backend` reads it (see [`Sql`] for the placeholders).
    pub fn text_for(&self, backend: Backend) -> String {
        let positional = backend == Backend::Sqlite && self.marks.len() == self.args.len();
        let mut out = String::with_capacity(self.text.len() + self.marks.len() * 4);
        let mut from = 0;
        for &(at, n) in &self.marks {
            out.push_str(&self.text[from..at]);
            if positional {
                out.push('?');
            } else {
                let _ = write!(out, "${n}");
            }
            from = at;
        }
        out.push_str(&self.text[from..]);
        out
    }
}

/// The statement as a SQLite query.
fn sqlite(sql: &Sql) -> Result<sqlx::query::Query<'static, Sqlite, SqliteArguments>> {
    let mut q = sqlx::query(AssertSqlSafe(sql.text_for(Backend::Sqlite)));
    for a in &sql.args {
        q = match a {
            Arg::Array(_) => {
                return Err(sqlx::Error::Encode("SQLite has no array parameters".into()));
            }
            Arg::I64(v) => q.bind(*v),
            Arg::I32(v) => q.bind(*v),
            Arg::I16(v) => q.bind(*v),
            Arg::Bool(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_deref()),
            Arg::Money(v) => q.bind(*v),
            Arg::Time(v) => q.bind(*v),
            Arg::Json(v) => q.bind(v.as_deref().map(RawValue::get)),
        };
    }
    Ok(q)
}

type PgQuery = sqlx::query::Query<'static, Postgres, PgArguments>;

/// The statement as a Postgres query.
fn pg(sql: &Sql) -> Result<PgQuery> {
    let mut q = sqlx::query(AssertSqlSafe(sql.text_for(Backend::Postgres)));
    for a in &sql.args {
        q = match a {
            Arg::I64(v) => q.bind(*v),
            Arg::I32(v) => q.bind(*v),
            Arg::I16(v) => q.bind(*v),
            Arg::Bool(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_deref()),
            Arg::Money(v) => q.bind(*v),
            Arg::Time(v) => q.bind(*v),
            Arg::Json(v) => q.bind(v.as_deref().map(sqlx::types::Json)),
            Arg::Array(values) => pg_array(q, values)?,
        };
    }
    Ok(q)
}

/// Binds a column of values as one array of the first value's type.
fn pg_array(q: PgQuery, values: &[Arg]) -> Result<PgQuery> {
    fn all<'a, T>(values: &'a [Arg], f: impl Fn(&'a Arg) -> Option<T>) -> Result<Vec<T>> {
        let mixed = || sqlx::Error::Encode("an array of values of different types".into());
        values.iter().map(|v| f(v).ok_or_else(mixed)).collect()
    }
    Ok(match values.first() {
        Some(Arg::I64(_)) | None => q.bind(all(values, |v| match v {
            Arg::I64(v) => Some(*v),
            _ => None,
        })?),
        Some(Arg::I32(_)) => q.bind(all(values, |v| match v {
            Arg::I32(v) => Some(*v),
            _ => None,
        })?),
        Some(Arg::I16(_)) => q.bind(all(values, |v| match v {
            Arg::I16(v) => Some(*v),
            _ => None,
        })?),
        Some(Arg::Bool(_)) => q.bind(all(values, |v| match v {
            Arg::Bool(v) => Some(*v),
            _ => None,
        })?),
        Some(Arg::Money(_)) => q.bind(all(values, |v| match v {
            Arg::Money(v) => Some(*v),
            _ => None,
        })?),
        Some(Arg::Time(_)) => q.bind(all(values, |v| match v {
            Arg::Time(v) => Some(*v),
            _ => None,
        })?),
        Some(Arg::Text(_) | Arg::Json(_) | Arg::Array(_)) => q.bind(all(values, |v| match v {
            // Borrowed: the values are encoded as they are bound, so a batch's texts (raw
            // JSON and all) are not copied once more first.
            Arg::Text(v) => Some(v.as_deref()),
            Arg::Json(v) => Some(v.as_deref().map(RawValue::get)),
            _ => None,
        })?),
    })
}

/// A row type both databases' rows decode into: a `#[derive(sqlx::FromRow)]` struct whose
/// fields both can decode, or a tuple such as `(i64,)`.
pub(crate) trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A connection of either database, from a pool or inside a transaction: where statements run.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    /// Runs a statement; returns how many rows it changed.
    pub async fn execute(self, sql: &Sql) -> Result<u64> {
        Ok(match self {
            Conn::Sqlite(c) => sqlite(sql)?.execute(c).await?.rows_affected(),
            Conn::Postgres(c) => pg(sql)?.execute(c).await?.rows_affected(),
        })
    }

    pub async fn fetch_all<T: Record>(self, sql: &Sql) -> Result<Vec<T>> {
        let mut rows = Vec::new();
        self.fetch_each(sql, |row| {
            rows.push(row);
            Ok::<_, sqlx::Error>(())
        })
        .await?;
        Ok(rows)
    }

    pub async fn fetch_optional<T: Record>(self, sql: &Sql) -> Result<Option<T>> {
        match self {
            Conn::Sqlite(c) => sqlite(sql)?
                .fetch_optional(c)
                .await?
                .map(|r| T::from_row(&r)),
            Conn::Postgres(c) => pg(sql)?.fetch_optional(c).await?.map(|r| T::from_row(&r)),
        }
        .transpose()
    }

    /// Every row as the driver yields it, handed to `each`; returns how many. Memory stays
    /// flat however many rows there are.
    pub async fn fetch_each<T: Record, E: From<sqlx::Error>>(
        self,
        sql: &Sql,
        mut each: impl FnMut(T) -> std::result::Result<(), E>,
    ) -> std::result::Result<u64, E> {
        let mut n = 0;
        match self {
            Conn::Sqlite(c) => {
                let mut rows = sqlite(sql)?.fetch(c);
                while let Some(r) = rows.try_next().await? {
                    each(T::from_row(&r)?)?;
                    n += 1;
                }
            }
            Conn::Postgres(c) => {
                let mut rows = pg(sql)?.fetch(c);
                while let Some(r) = rows.try_next().await? {
                    each(T::from_row(&r)?)?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    pub async fn fetch_one<T: Record>(self, sql: &Sql) -> Result<T> {
        self.fetch_optional(sql)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The first column of the one row the statement yields.
    pub async fn scalar<T>(self, sql: &Sql) -> Result<T>
    where
        (T,): Record,
    {
        Ok(self.fetch_one::<(T,)>(sql).await?.0)
    }
}

/// The connection pool of either database.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection held from a pool, for statements that must share one session.
pub(crate) enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Pool {
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn acquire(&self) -> Result<Pooled> {
        Ok(match self {
            Pool::Sqlite(p) => Pooled::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => Pooled::Postgres(p.acquire().await?),
        })
    }

    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction for a write that reads first. SQLite takes its write lock up front: a
    /// deferred transaction that tries to upgrade while another connection writes (the run
    /// recorder, a second account's run) fails at once with "database is locked" instead of
    /// waiting for `busy_timeout`. Postgres skips waiting for the commit's WAL flush: a server
    /// crash can lose only the last moments of commits, never corrupt them, and the run would
    /// then be marked interrupted and the next sync writes those offers again.
    pub async fn begin_write(&self) -> Result<Tx> {
        match self {
            Pool::Sqlite(p) => Ok(Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?)),
            Pool::Postgres(p) => {
                let mut tx = Tx::Postgres(p.begin().await?);
                tx.execute(&Sql::new("SET LOCAL synchronous_commit = off"))
                    .await?;
                Ok(tx)
            }
        }
    }

    pub async fn execute(&self, sql: &Sql) -> Result<u64> {
        self.acquire().await?.conn().execute(sql).await
    }

    pub async fn fetch_all<T: Record>(&self, sql: &Sql) -> Result<Vec<T>> {
        self.acquire().await?.conn().fetch_all(sql).await
    }

    pub async fn fetch_optional<T: Record>(&self, sql: &Sql) -> Result<Option<T>> {
        self.acquire().await?.conn().fetch_optional(sql).await
    }

    pub async fn fetch_one<T: Record>(&self, sql: &Sql) -> Result<T> {
        self.acquire().await?.conn().fetch_one(sql).await
    }

    pub async fn scalar<T>(&self, sql: &Sql) -> Result<T>
    where
        (T,): Record,
    {
        self.acquire().await?.conn().scalar(sql).await
    }

    pub async fn fetch_each<T: Record, E: From<sqlx::Error>>(
        &self,
        sql: &Sql,
        each: impl FnMut(T) -> std::result::Result<(), E>,
    ) -> std::result::Result<u64, E> {
        let mut c = self.acquire().await?;
        c.conn().fetch_each(sql, each).await
    }

    /// Several `;`-separated statements without arguments, in one round trip.
    pub async fn execute_script(&self, script: &'static str) -> Result<()> {
        match self {
            Pool::Sqlite(p) => sqlx::raw_sql(script).execute(p).await.map(|_| ()),
            Pool::Postgres(p) => sqlx::raw_sql(script).execute(p).await.map(|_| ()),
        }
    }

    pub async fn migrate(
        &self,
        migrator: &Migrator,
    ) -> std::result::Result<(), sqlx::migrate::MigrateError> {
        match self {
            Pool::Sqlite(p) => migrator.run(p).await,
            Pool::Postgres(p) => migrator.run(p).await,
        }
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A transaction on either database; dropped without [`Tx::commit`], it rolls back.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub async fn execute(&mut self, sql: &Sql) -> Result<u64> {
        self.conn().execute(sql).await
    }

    pub async fn fetch_all<T: Record>(&mut self, sql: &Sql) -> Result<Vec<T>> {
        self.conn().fetch_all(sql).await
    }

    pub async fn scalar<T>(&mut self, sql: &Sql) -> Result<T>
    where
        (T,): Record,
    {
        self.conn().scalar(sql).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_written_for_each_database() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.push_bind(1_i64)
            .push(" AND b IN ")
            .push_list(["x", "y"]);
        assert_eq!(
            sql.text_for(Backend::Postgres),
            "SELECT 1 WHERE a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(
            sql.text_for(Backend::Sqlite),
            "SELECT 1 WHERE a = ? AND b IN (?, ?)"
        );
        // An argument named in the text by hand keeps SQLite's placeholders numbered.
        let mut mixed = Sql::new("SELECT $1 WHERE b = ").bind("a");
        mixed.push_bind("b");
        assert_eq!(mixed.text_for(Backend::Sqlite), "SELECT $1 WHERE b = $2");
    }
}
