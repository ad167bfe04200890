//! Logging to a daily-rolling file (tracing-appender). Nothing goes to the terminal by default,
//! because the TUI owns it; headless commands may add a plain stderr layer.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

pub const LOG_FILE_PREFIX: &str = "magsync.log";

/// Installs the global subscriber. Keep the guard alive until exit so buffered lines are
/// flushed. `level` is a level or filter (e.g. "debug", "magsync=trace"); else RUST_LOG; else info.
pub fn init(log_dir: &Path, level: Option<&str>, stderr: bool) -> Option<WorkerGuard> {
    let filter = || {
        level
            .map(EnvFilter::new)
            .or_else(|| EnvFilter::try_from_default_env().ok())
            .unwrap_or_else(|| EnvFilter::new("info"))
    };
    let (file_layer, guard) = match crate::private_files::create_dir(log_dir) {
        Ok(()) => {
            let appender = tracing_appender::rolling::daily(log_dir, LOG_FILE_PREFIX);
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter());
            (Some(layer), Some(guard))
        }
        Err(_) => (None, None),
    };
    let stderr_layer = stderr.then(|| {
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_target(false)
            .without_time()
            .with_filter(filter())
    });
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    guard
}

/// Today's log file (the appender adds the date).
pub fn current_log_file(log_dir: &Path) -> std::path::PathBuf {
    log_dir.join(format!(
        "{LOG_FILE_PREFIX}.{}",
        chrono::Utc::now().format("%Y-%m-%d")
    ))
}
