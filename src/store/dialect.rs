//! What differs between SQLite and Postgres, in one place.

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Migrations are embedded so the binary carries its schema; each dialect has its own files.
const SQLITE: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("migrations/sqlite/0001_init.sql")),
    (2, "edits", include_str!("migrations/sqlite/0002_edits.sql")),
    (
        3,
        "search",
        include_str!("migrations/sqlite/0003_search.sql"),
    ),
    (
        4,
        "fts batched",
        include_str!("migrations/sqlite/0004_fts_batched.sql"),
    ),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("migrations/postgres/0001_init.sql")),
    (
        2,
        "edits",
        include_str!("migrations/postgres/0002_edits.sql"),
    ),
    (
        3,
        "search",
        include_str!("migrations/postgres/0003_search.sql"),
    ),
    (
        4,
        "raw compression",
        include_str!("migrations/postgres/0004_raw_compression.sql"),
    ),
    (
        5,
        "raw json",
        include_str!("migrations/postgres/0005_raw_json.sql"),
    ),
];

pub fn migrator(backend: Backend) -> Migrator {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrations = files
        .iter()
        .map(|(version, desc, sql)| {
            Migration::new(
                *version,
                (*desc).into(),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}
