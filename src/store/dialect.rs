//! What differs between SQLite and Postgres, in one place.

use sqlx::migrate::Migrator;

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

/// Migrations are embedded so the binary carries its schema; each dialect has its own folder,
/// read at build time (a file's version and description come from its name).
static SQLITE: Migrator = sqlx::migrate!("src/store/migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("src/store/migrations/postgres");

pub fn migrator(backend: Backend) -> Migrator {
    migrator_up_to(backend, i64::MAX)
}

/// The migrations up to `version`: a store as an older release left it (upgrade tests).
pub fn migrator_up_to(backend: Backend, version: i64) -> Migrator {
    let all = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    Migrator::with_migrations(
        all.iter()
            .filter(|m| m.version <= version)
            .cloned()
            .collect(),
    )
}
