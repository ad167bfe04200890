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
    (
        5,
        "drop offer_eans",
        include_str!("migrations/sqlite/0005_drop_offer_eans.sql"),
    ),
    (
        6,
        "run offers expected",
        include_str!("migrations/sqlite/0006_run_offers_expected.sql"),
    ),
    (
        7,
        "edit queued_by",
        include_str!("migrations/sqlite/0007_edit_queued_by.sql"),
    ),
    (
        8,
        "offer history",
        include_str!("migrations/sqlite/0008_offer_history.sql"),
    ),
    (
        9,
        "alert incidents",
        include_str!("migrations/sqlite/0009_alert_incidents.sql"),
    ),
    (
        10,
        "report ranges",
        include_str!("migrations/sqlite/0010_report_ranges.sql"),
    ),
    (
        11,
        "offer revs",
        include_str!("migrations/sqlite/0011_offer_revs.sql"),
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
    (
        6,
        "drop offer_eans",
        include_str!("migrations/postgres/0006_drop_offer_eans.sql"),
    ),
    (
        7,
        "offer versions",
        include_str!("migrations/postgres/0007_offer_versions.sql"),
    ),
    (
        8,
        "run offers expected",
        include_str!("migrations/postgres/0008_run_offers_expected.sql"),
    ),
    (
        9,
        "edit queued_by",
        include_str!("migrations/postgres/0009_edit_queued_by.sql"),
    ),
    (
        10,
        "offer history",
        include_str!("migrations/postgres/0010_offer_history.sql"),
    ),
    (
        11,
        "alert incidents",
        include_str!("migrations/postgres/0011_alert_incidents.sql"),
    ),
    (
        12,
        "report ranges",
        include_str!("migrations/postgres/0012_report_ranges.sql"),
    ),
    (
        13,
        "offer revs",
        include_str!("migrations/postgres/0013_offer_revs.sql"),
    ),
];

pub fn migrator(backend: Backend) -> Migrator {
    migrator_up_to(backend, i64::MAX)
}

/// The migrations up to `version`: a store as an older release left it (upgrade tests).
pub fn migrator_up_to(backend: Backend, version: i64) -> Migrator {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrations = files
        .iter()
        .filter(|(v, _, _)| *v <= version)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A migration file that is not listed above never runs (the list, not the folder, is
    /// what the binary carries), and nothing else would notice. Versions ascend but may skip
    /// numbers, because parallel branches are given their numbers in advance.
    #[test]
    fn every_migration_file_is_embedded_in_order() {
        for (dir, listed) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/store/migrations")
                .join(dir);
            let mut files: Vec<String> = std::fs::read_dir(&folder)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            files.sort();
            assert_eq!(files.len(), listed.len(), "{dir}: {files:?}");
            // Versions only ascend: parallel work is given numbers ahead, so a gap can exist
            // until every branch is merged.
            let mut previous = 0;
            for (file, (version, _, sql)) in files.iter().zip(listed) {
                assert!(*version > previous, "{dir}: {file} is out of order");
                previous = *version;
                assert!(file.starts_with(&format!("{version:04}_")), "{dir}: {file}");
                assert_eq!(
                    std::fs::read_to_string(folder.join(file)).unwrap(),
                    *sql,
                    "{dir}: {file} is not the text embedded as version {version}"
                );
            }
        }
    }
}
