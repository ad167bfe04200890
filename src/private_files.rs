//! magsync's own files hold a seller's catalogue and logs: folders it creates are 0700 and files
//! 0600, whatever the caller's umask, and looser existing ones are worth a warning.

use std::path::{Path, PathBuf};

/// Mode of folders magsync creates (data, logs).
pub const DIR_MODE: u32 = 0o700;
/// Mode of files magsync creates (database, logs).
pub const FILE_MODE: u32 = 0o600;

/// Makes every file and folder this process creates from now on private to its owner (files
/// 0600, folders 0700). Covers files created by libraries too: SQLite's journals and the log
/// appender's daily files.
pub fn restrict_umask() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Creates `dir` and any missing parents, each 0700 (set explicitly, so not even a stricter
/// umask changes it). Existing folders are left as they are.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    std::fs::create_dir_all(dir)?;
    for d in missing.iter().rev() {
        set_mode(d, DIR_MODE)?;
    }
    Ok(())
}

/// Creates an empty `path` with mode 0600 unless it exists; an existing file is left alone.
pub fn create_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, FILE_MODE);
    match opts.open(path) {
        Ok(_) => set_mode(path, FILE_MODE),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// A warning when `path` (a `what`, e.g. "the database") exists and other users may read or
/// write it; None when it is private or absent.
pub fn loose_mode_warning(path: &Path, what: &str) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).ok()?;
        let mode = meta.permissions().mode() & 0o777;
        let private = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
        (mode & 0o077 != 0).then(|| {
            format!(
                "{what} {} is open to other users (mode {mode:o}); run: chmod {private:o} {}",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (path, what);
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_folders_and_files_are_private_and_existing_ones_untouched() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let deep = root.path().join("a/b/c");
        create_dir(&deep).unwrap();
        for d in ["a", "a/b", "a/b/c"] {
            assert_eq!(mode(&root.path().join(d)), 0o700, "{d}");
        }
        assert_eq!(
            mode(root.path()),
            0o755,
            "an existing folder keeps its mode"
        );
        let file = deep.join("magsync.db");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o644, "an existing file keeps its mode");
        let w = loose_mode_warning(&file, "the database").unwrap();
        assert!(w.contains("mode 644") && w.contains("chmod 600"), "{w}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(loose_mode_warning(&file, "the database"), None);
        assert_eq!(loose_mode_warning(&root.path().join("none"), "x"), None);
    }
}
