//! Throw-away databases for tests: a SQLite file in a temp dir, and a fresh Postgres database
//! per test so parallel and repeated runs never collide.
//!
//! Postgres tests skip with a visible message when no server answers, unless
//! `MAGSYNC_TEST_PG=required` (set by `.ci/run`), which turns a missing server into a failure.
//! `MAGSYNC_TEST_PG_URL` points at the server (default postgres://postgres@127.0.0.1:5432/test).

use crate::store::{Sql, Store};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::sync::atomic::{AtomicU32, Ordering};

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub label: &'static str,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    PgDatabase { admin_url: String, name: String },
}

/// Opens a test store migrated up to `version`.
async fn open_at(url: &str, version: i64) -> Store {
    let store = Store::connect(url).await.expect("open test store");
    let migrator = crate::store::dialect::migrator_up_to(store.backend(), version);
    store
        .pool
        .migrate(&migrator)
        .await
        .expect("migrate test store");
    store
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        TestDb::sqlite_at(i64::MAX).await
    }

    /// A SQLite store migrated up to `version` only (as an older release left it).
    pub async fn sqlite_at(version: i64) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = crate::config::sqlite_url(&dir.path().join("test.db"));
        let store = open_at(&url, version).await;
        TestDb {
            store,
            url,
            label: "sqlite",
            cleanup: Cleanup::Dir(dir),
        }
    }

    /// A new, migrated Postgres database, or None (after printing why) when none is reachable
    /// and Postgres is not required.
    pub async fn postgres() -> Option<TestDb> {
        TestDb::postgres_at(i64::MAX).await
    }

    /// A Postgres store migrated up to `version` only, or None as [`TestDb::postgres`].
    pub async fn postgres_at(version: i64) -> Option<TestDb> {
        let admin_url = std::env::var("MAGSYNC_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG.into());
        let required = std::env::var("MAGSYNC_TEST_PG")
            .map(|v| v == "required")
            .unwrap_or(false);
        let mut admin = match PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) if !required => {
                eprintln!(
                    "SKIPPED Postgres test: cannot reach {admin_url} ({e}); set MAGSYNC_TEST_PG=required to make this fail"
                );
                skipped::count(&admin_url);
                return None;
            }
            Err(e) => {
                panic!("MAGSYNC_TEST_PG=required but Postgres at {admin_url} is unreachable: {e}")
            }
        };
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "magsync_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("postgres url");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let store = open_at(&url, version).await;
        Some(TestDb {
            store,
            url,
            label: "postgres",
            cleanup: Cleanup::PgDatabase { admin_url, name },
        })
    }

    /// Runs a statement on the store's database, for tests that need a state magsync itself
    /// would not write (a lost row, an older schema's leftovers).
    pub async fn execute(&self, sql: &str) {
        self.store
            .pool
            .execute(&Sql::new(sql))
            .await
            .expect("test statement");
    }

    /// The first column of the first row of a query that yields one integer (a count).
    pub async fn scalar(&self, sql: &str) -> i64 {
        self.store
            .pool
            .scalar(&Sql::new(sql))
            .await
            .expect("test query")
    }

    /// SQLite, plus Postgres when available: run the same test body on each.
    pub async fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite().await];
        v.extend(TestDb::postgres().await);
        v
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::PgDatabase { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            let store = self.store.clone();
            // Drop runs outside async context; a short-lived thread with its own runtime can
            // close the pool and drop the database without blocking the test's runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async move {
                    drop(store);
                    let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await
                    .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
}

/// Skipped Postgres tests are counted, and the count is printed when the test process exits,
/// which is after the test runner's summary: a green run that silently tested only SQLite
/// would otherwise look like a whole one.
mod skipped {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static SKIPPED: AtomicUsize = AtomicUsize::new(0);
    static URL: Mutex<String> = Mutex::new(String::new());

    pub fn count(url: &str) {
        if SKIPPED.fetch_add(1, Ordering::SeqCst) == 0 {
            *URL.lock().unwrap_or_else(|e| e.into_inner()) = url.to_string();
            register();
        }
    }

    #[cfg(feature = "testing")]
    fn register() {
        extern "C" fn report() {
            let url = URL.lock().map(|u| u.clone()).unwrap_or_default();
            eprintln!(
                "\nWARNING: the Postgres half of the tests did not run: {} Postgres test(s) \
                 skipped, no server at {url}. Start one (see README) or set \
                 MAGSYNC_TEST_PG=required to make this a failure.\n",
                SKIPPED.load(Ordering::SeqCst)
            );
        }
        // SAFETY: registers a plain function with no captured state; it only reads statics.
        unsafe {
            libc::atexit(report);
        }
    }

    /// The library's own unit tests build without the feature (and its libc): they say it
    /// per test only.
    #[cfg(not(feature = "testing"))]
    fn register() {}
}
