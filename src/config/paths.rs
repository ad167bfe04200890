//! Where magsync keeps its files, from the platform conventions (`directories`).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// `MAGSYNC_DATA_DIR` relocates data and logs (tests, demos, several installs on one host).
    pub fn resolve(env: &dyn Fn(&str) -> Option<String>) -> Paths {
        let dirs = directories::ProjectDirs::from("ro", "magsync", "magsync");
        let config_dir = env("MAGSYNC_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".magsync"));
        let data_dir = env("MAGSYNC_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".magsync"));
        let log_dir = data_dir.join("logs");
        Paths {
            config_dir,
            data_dir,
            log_dir,
        }
    }

    pub fn default_config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn default_database_url(&self) -> String {
        sqlite_url(&self.data_dir.join("magsync.db"))
    }
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}
