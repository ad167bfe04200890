//! The local store: SQLite by default, Postgres for teams.
//!
//! [`Store`] is the only way the rest of magsync touches the database. Every statement is a
//! [`Sql`] value (text and typed arguments) run by one function per database on a [`Pool`] or
//! in a [`Tx`] (`sql.rs`); rows decode into `sqlx::FromRow` structs. Most SQL is shared by
//! both dialects (`$N` placeholders, `ON CONFLICT`, `RETURNING`); where it differs a
//! [`Backend`] match picks the text, and what differs more — DDL, money encoding, locking, bulk
//! inserts — lives in [`dialect`], [`money`], [`lock`], [`Sql::inserts`] and the per-dialect
//! migrations.
//!
//! What the store holds is reached through its parts, thin views named for it
//! ([`Store::offers`], [`Store::runs`], [`Store::edits`], [`Store::search`], …), all over the
//! one database handle.

pub mod accounts;
pub mod dialect;
pub mod edits;
pub mod health;
pub mod history;
pub mod lock;
pub mod money;
pub mod offers;
mod offers_write;
pub mod reports;
pub mod runs;
pub mod search;
pub(crate) mod sql;

pub use accounts::Accounts;
pub use dialect::Backend;
pub use edits::Edits;
pub use health::Health;
pub use history::History;
pub use lock::{AccountLock, LockBusy, Locks};
pub use offers::Offers;
pub use reports::Reports;
pub use runs::Runs;
pub use search::Search;
pub(crate) use sql::{Arg, Pool, Sql};

use crate::error::Failure;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    /// See [`Store::writer`].
    writer: Pool,
    masked_url: String,
}

/// SQLite page size for new databases. An offer row is ~2.7 KB (its raw JSON is most of
/// it): 4 KiB pages hold one row each and waste a third of the file; 16 KiB pages hold five.
const SQLITE_PAGE_SIZE: &str = "16384";
/// Page cache per connection, in KiB (negative = KiB in SQLite's convention). The writer's
/// cache holds the upper levels of every index a page of offers touches.
const SQLITE_READER_CACHE_KIB: &str = "-8192";
const SQLITE_WRITER_CACHE_KIB: &str = "-16384";
/// WAL pages after which a commit checkpoints. SQLite's default (1,000) makes a first sync
/// checkpoint every few pages of offers: each checkpoint copies the hot index pages to the
/// database file again and ends in an fsync the writer waits for. 4,000 pages is 64 MB at
/// 16 KiB; the file is cut back to `journal_size_limit` after a checkpoint.
const SQLITE_WAL_AUTOCHECKPOINT: &str = "4000";

/// How long a SQLite statement waits for another process's write lock before failing with
/// "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a task waits for one of the store's SQLite connections. Longer than the busy
/// timeout, so a connection waiting on another process's lock reports SQLite's own "database
/// is locked" instead of the pool's "timed out waiting for a connection".
const SQLITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(75);

pub type Result<T> = std::result::Result<T, sqlx::Error>;

impl Store {
    /// Connects (creating a SQLite file and its folder if needed) and runs the migrations.
    pub async fn open(url: &str) -> std::result::Result<Store, Failure> {
        let _migrating = sqlite_migration_lock(url).await?;
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Like [`Store::open`], for commands that only read: a SQLite database that does not
    /// exist is an error naming it, not an empty database (and folders) created at a mistyped
    /// path. A Postgres database is never created by connecting anyway.
    pub async fn open_existing(url: &str) -> std::result::Result<Store, Failure> {
        if url.starts_with("sqlite:") && !sqlite_in_memory(url) {
            let opts = SqliteConnectOptions::from_str(url).map_err(|e| {
                Failure::usage(format!(
                    "invalid SQLite URL {}: {e}",
                    crate::config::mask_url(url)
                ))
            })?;
            let path = opts.get_filename();
            if !path.exists() {
                return Err(Failure::runtime(format!(
                    "the database {} does not exist; check --database-url or DATABASE_URL, or run `magsync sync` to create it",
                    path.display()
                )));
            }
        }
        Store::open(url).await
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> std::result::Result<Store, Failure> {
        let masked_url = crate::config::mask_url(url);
        let unreachable = |e: sqlx::Error| {
            Failure::runtime(format!(
                "cannot open the database {masked_url}: {}",
                short_db_error(&e)
            ))
        };
        let (pool, writer) = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| Failure::usage(format!("invalid SQLite URL {masked_url}: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Several processes (TUI, daemon, cron) share the file; wait for a writer
                // instead of failing with "database is locked".
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .page_size(SQLITE_PAGE_SIZE.parse().expect("a valid page size"))
                .pragma("wal_autocheckpoint", SQLITE_WAL_AUTOCHECKPOINT)
                // Each multi-row upsert keeps a statement journal (so a failing row can undo
                // its statement alone); in a temporary file that cost a pwrite per page.
                .pragma("temp_store", "memory")
                // After a checkpoint the WAL file is cut back instead of staying at its peak.
                .pragma("journal_size_limit", "67108864");
            // SQLite says only "unable to open database file"; the file system says why.
            let file = opts.get_filename().to_path_buf();
            let unreachable = |e: sqlx::Error| {
                let why = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&file)
                    .err()
                    .filter(|io| io.kind() != std::io::ErrorKind::NotFound)
                    .map(|io| format!(" ({io})"))
                    .unwrap_or_default();
                Failure::runtime(format!(
                    "cannot open the database {masked_url}: {}{why}",
                    short_db_error(&e)
                ))
            };
            if !sqlite_in_memory(url) {
                create_private_sqlite_file(opts.get_filename())?;
            }
            let readers = opts.clone().pragma("cache_size", SQLITE_READER_CACHE_KIB);
            let pool = sqlite_pool_options()
                .max_connections(4)
                .connect_with(readers)
                .await
                .map_err(unreachable)?;
            let writer = sqlite_pool_options()
                .max_connections(1)
                .connect_with(opts.pragma("cache_size", SQLITE_WRITER_CACHE_KIB))
                .await
                .map_err(unreachable)?;
            (Pool::Sqlite(pool), Pool::Sqlite(writer))
        } else {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| Failure::usage(format!("invalid Postgres URL {masked_url}: {e}")))?
                // Page writes use `id IN ($2, ..., $101)`; a cached generic plan for that
                // degrades to scanning the whole account as the table grows, so plan each
                // execution with its values.
                .options([("plan_cache_mode", "force_custom_plan")]);
            // One direct connection first: a pool would retry until its timeout and then
            // report only "timed out", hiding "connection refused" or "password failed".
            let probe = PgConnection::connect_with(&opts)
                .await
                .map_err(unreachable)?;
            let _ = probe.close().await;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(unreachable)?;
            let pool = Pool::Postgres(pool);
            (pool.clone(), pool)
        };
        Ok(Store {
            pool,
            writer,
            masked_url,
        })
    }

    /// Mirrored offers: a batch's write, one offer or an account's, reconciliation.
    pub fn offers(&self) -> Offers<'_> {
        Offers { store: self }
    }

    /// Sync runs, their events and recorded changes, and settling runs whose process died.
    pub fn runs(&self) -> Runs<'_> {
        Runs { store: self }
    }

    /// Local edits (`pending_edits`) and their overlay on the mirror.
    pub fn edits(&self) -> Edits<'_> {
        Edits { store: self }
    }

    /// The products search of the CLI and export, and what the product index reads.
    pub fn search(&self) -> Search<'_> {
        Search { store: self }
    }

    /// Each offer's price and buy-button history.
    pub fn history(&self) -> History<'_> {
        History { store: self }
    }

    /// What reports read: one account's window of time.
    pub fn reports(&self) -> Reports<'_> {
        Reports { store: self }
    }

    /// What health checks, alerts and metrics read, and the open alert incidents.
    pub fn health(&self) -> Health<'_> {
        Health { store: self }
    }

    /// Which accounts the store knows, their offer counts and cached VAT rates.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts { store: self }
    }

    /// The per-account sync locks.
    pub fn locks(&self) -> Locks<'_> {
        Locks { store: self }
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Where the sync's bulk writes go: on SQLite one dedicated connection. SQLite empties a
    /// connection's page cache whenever another connection has written since its last
    /// transaction, so spreading consecutive write transactions over the pool would start
    /// each of them cold, re-reading index pages (docs/performance.md). On Postgres, the pool.
    pub(crate) fn writer(&self) -> &Pool {
        &self.writer
    }

    /// The URL with its password masked, safe to show.
    pub fn masked_url(&self) -> &str {
        &self.masked_url
    }

    /// Applies pending migrations; running it again is a no-op.
    pub async fn migrate(&self) -> std::result::Result<(), Failure> {
        let migrator = dialect::migrator(self.backend());
        self.pool
            .migrate(&migrator)
            .await
            .map_err(|e| Failure::runtime(format!("migrating {} failed: {e}", self.masked_url)))
    }

    /// Refreshes the planner statistics of the offers tables after a run. Without them neither
    /// database can tell which index of a filtered products query keeps the fewest rows.
    ///
    /// * SQLite: a sampled ANALYZE (milliseconds even at a million offers).
    /// * Postgres: ANALYZE of the columns the products search filters and sorts on; autovacuum
    ///   would get there eventually, but it may be off or a first sync may just have grown the
    ///   table tenfold (bench_tui's first rows, docs/performance.md). The raw JSON and
    ///   description are left out: sampling them detoasts every sampled row.
    ///
    /// Never on a nearly empty store: statistics taken there make the planner scan instead of
    /// seeking by key once the store has grown, which slows a first sync (bench_store). Best
    /// effort: a busy database keeps its older statistics.
    pub async fn optimize(&self) {
        let analyze = match self.backend() {
            // One batch, so the limit applies on the connection that runs ANALYZE.
            Backend::Sqlite => {
                "PRAGMA analysis_limit = 1000; ANALYZE offers; ANALYZE offer_seen; \
                 PRAGMA analysis_limit = 0"
            }
            Backend::Postgres => {
                "ANALYZE offers (account, id, name, part_number, part_number_key, status, \
                 general_stock, sale_price, buy_button_rank, last_changed_at, missing_since, \
                 search_text); ANALYZE offer_seen"
            }
        };
        let big = self
            .pool
            .scalar::<i64>(&Sql::new(
                "SELECT COUNT(*) FROM (SELECT 1 FROM offers LIMIT 10000) AS s",
            ))
            .await
            .is_ok_and(|n| n >= 10_000);
        if big && let Err(e) = self.pool.execute_script(analyze).await {
            tracing::debug!("ANALYZE failed: {e}");
        }
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// `sqlite::memory:`, `sqlite://:memory:` or `?mode=memory`: no file behind it.
fn sqlite_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Creates the SQLite file's folder (0700) and the file itself (0600) when missing, so the
/// catalogue is private from its first byte; SQLite gives its -wal and -shm files the
/// database file's mode.
fn create_private_sqlite_file(file: &std::path::Path) -> std::result::Result<(), Failure> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_files::create_dir(dir).map_err(|e| {
            Failure::runtime(format!(
                "cannot create the data folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    crate::private_files::create_file(file).map_err(|e| {
        Failure::runtime(format!(
            "cannot create the database {}: {e}",
            file.display()
        ))
    })
}

/// sqlx takes no lock around SQLite migrations, so processes opening a new file at once (a
/// sync and the dashboard) would both apply version 1 and one would fail. An exclusive
/// `flock` on the database file itself, held from connecting to the last migration, makes
/// them take turns; it cannot disturb SQLite, whose own locks are `fcntl` locks on Linux.
async fn sqlite_migration_lock(url: &str) -> std::result::Result<Option<std::fs::File>, Failure> {
    if !url.starts_with("sqlite:") || sqlite_in_memory(url) {
        return Ok(None);
    }
    let Ok(opts) = SqliteConnectOptions::from_str(url) else {
        return Ok(None); // `connect` reports the malformed URL in its own words.
    };
    let path = opts.get_filename().to_path_buf();
    create_private_sqlite_file(&path)?;
    let cannot = |e: std::io::Error| {
        Failure::runtime(format!("cannot open the database {}: {e}", path.display()))
    };
    let file = std::fs::File::open(&path).map_err(cannot)?;
    let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| Failure::runtime(format!("opening the database failed: {e}")))?
        .map_err(cannot)?;
    Ok(Some(file))
}

/// SQLite pools never take back a connection still inside a transaction. When a write fails
/// because the disk is full (or the file is read-only), SQLite may already have rolled the
/// transaction back, so the driver's own ROLLBACK fails and its transaction count stays above
/// zero; every later transaction on that connection would then fail with "attempted to call
/// begin_with at non-zero transaction depth". Such a connection is closed and replaced.
fn sqlite_pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .acquire_timeout(SQLITE_ACQUIRE_TIMEOUT)
        .after_release(|conn, _| {
            Box::pin(async move {
                if !conn.is_in_transaction() {
                    return Ok(true);
                }
                // The rollback of a dropped transaction is queued on the connection's worker;
                // a ping runs after it.
                conn.ping().await?;
                let clean = !conn.is_in_transaction();
                if !clean {
                    tracing::warn!(
                        "a database connection was left inside a failed transaction; replacing it"
                    );
                }
                Ok(clean)
            })
        })
}

/// A database error as one line, without driver internals.
pub fn short_db_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => {
            "timed out waiting for a database connection (the database is busy)".into()
        }
        other => other.to_string(),
    }
}
