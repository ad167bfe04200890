//! Where the headless commands write: standard output and `export --output` targets.
//!
//! A write that fails is an [`OutputError`], so `main` can tell it from a database or network
//! error: a reader that went away (`| head`) ends the command quietly with exit 0, anything
//! else (`> /dev/full`) is one sentence and exit 1.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writing the command's output failed.
#[derive(Debug)]
pub struct OutputError {
    /// "standard output" or the path written to.
    pub target: String,
    pub error: io::Error,
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to {}: {}", self.target, self.error)
    }
}

impl std::error::Error for OutputError {}

impl OutputError {
    pub fn stdout(error: io::Error) -> OutputError {
        OutputError {
            target: "standard output".into(),
            error,
        }
    }
}

/// True when the error is the reader of our output closing it early, which `head` and
/// friends do on purpose: not a failure.
pub fn is_closed_reader(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<OutputError>()
            .is_some_and(|o| o.error.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Writes formatted text to stdout and flushes it, so a failure is seen here, not lost at exit.
pub fn write_stdout(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.flush())
        .map_err(OutputError::stdout)
}

/// `print!` that returns from the enclosing function with an [`OutputError`] instead of
/// panicking when stdout is closed or full.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!($($arg)*))?
    };
}
pub(crate) use out;

/// `println!` that returns from the enclosing function with an [`OutputError`] instead of
/// panicking when stdout is closed or full.
macro_rules! outln {
    () => {
        $crate::cli::output::write_stdout(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}
pub(crate) use outln;

/// Like [`write_stdout`], for the report of work already done (a sync, a push): a closed
/// reader is ignored, so the exit code still says how the work went.
pub fn write_report(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    match write_stdout(args) {
        Err(e) if e.error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `println!` for reports of work done: see [`write_report`].
macro_rules! reportln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_report(format_args!("{}\n", format_args!($($arg)*)))?
    };
}
pub(crate) use reportln;

/// Writes to stderr, ignoring failure: a closed or full stderr (`2>/dev/full`) loses the
/// message, not the command.
pub fn write_stderr(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// `eprintln!` that never panics: see [`write_stderr`].
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cli::output::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use note;

/// A writer that keeps the first I/O error it met, so a caller whose error went through csv
/// or serde_json (which wrap it) can still report it as an [`OutputError`].
pub struct Watched<W> {
    inner: W,
    failed: Option<io::Error>,
}

impl<W: Write> Watched<W> {
    pub fn new(inner: W) -> Watched<W> {
        Watched {
            inner,
            failed: None,
        }
    }

    /// The first write error, if any.
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.failed.take()
    }

    pub fn into_inner(self) -> W {
        self.inner
    }

    fn keep<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        r.map_err(|e| {
            let copy = io::Error::new(e.kind(), e.to_string());
            self.failed.get_or_insert(e);
            copy
        })
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.keep(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush();
        self.keep(r)
    }
}

/// How an output path is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `-`: standard output.
    Stdout,
    /// A device, FIFO or socket: opened and written into, never replaced.
    Stream(PathBuf),
    /// A regular file or a new path: written under a temporary name beside it and renamed when
    /// complete, so a failed write never leaves a file that looks finished.
    Replace(PathBuf),
}

/// Symlinks followed before giving up, as the kernel does (`ELOOP`).
const MAX_LINKS: usize = 40;

/// Decides how to write `output`. Symlinks are followed to their final target, which is what
/// gets written (the link stays a link); a dangling link writes the path it names.
pub fn resolve_target(output: &str) -> Result<Target, crate::error::Failure> {
    use crate::error::Failure;
    if output == "-" || output.is_empty() {
        return Ok(Target::Stdout);
    }
    if is_descriptor_alias(output) && Path::new(output).exists() {
        // `/dev/stdout` links to `/proc/self/fd/1`, whose "target" (`pipe:[…]`) is no path.
        return Ok(Target::Stream(PathBuf::from(output)));
    }
    let mut path = PathBuf::from(output);
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return new_file(path),
            Err(e) => {
                return Err(Failure::runtime(format!(
                    "cannot write {}: {e}",
                    path.display()
                )));
            }
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let to = std::fs::read_link(&path).map_err(|e| {
                Failure::runtime(format!("cannot read the link {}: {e}", path.display()))
            })?;
            path = link_target(&path, &to);
        } else if kind.is_dir() {
            return Err(Failure::runtime(format!(
                "cannot write {}: it is a folder; give a file name to write to",
                path.display()
            )));
        } else if kind.is_file() {
            return Ok(Target::Replace(path));
        } else {
            return Ok(Target::Stream(path));
        }
    }
    Err(Failure::runtime(format!(
        "cannot write {output}: more than {MAX_LINKS} symbolic links to follow"
    )))
}

/// Names of this process's open descriptors: written through, never resolved or replaced.
fn is_descriptor_alias(path: &str) -> bool {
    matches!(path, "/dev/stdout" | "/dev/stderr")
        || path.starts_with("/dev/fd/")
        || (path.starts_with("/proc/") && path.contains("/fd/"))
}

/// A path that does not exist yet: written beside its final name, so its folder must exist.
fn new_file(path: PathBuf) -> Result<Target, crate::error::Failure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => return Ok(Target::Replace(path)),
    };
    if dir.is_dir() {
        Ok(Target::Replace(path))
    } else {
        Err(crate::error::Failure::runtime(format!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            dir.display()
        )))
    }
}

/// A link's target, relative to the folder holding the link unless absolute.
fn link_target(link: &Path, to: &Path) -> PathBuf {
    if to.is_absolute() {
        return to.to_path_buf();
    }
    match link.parent() {
        Some(dir) => dir.join(to),
        None => to.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_and_empty_are_stdout() {
        assert_eq!(resolve_target("-").unwrap(), Target::Stdout);
        assert_eq!(resolve_target("").unwrap(), Target::Stdout);
    }

    #[test]
    fn new_and_regular_paths_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.csv");
        assert_eq!(
            resolve_target(new.to_str().unwrap()).unwrap(),
            Target::Replace(new.clone())
        );
        std::fs::write(&new, "x").unwrap();
        assert_eq!(
            resolve_target(new.to_str().unwrap()).unwrap(),
            Target::Replace(new)
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_relative_to_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/real.csv"), "x").unwrap();
        std::os::unix::fs::symlink("real.csv", dir.path().join("sub/one")).unwrap();
        std::os::unix::fs::symlink("sub/one", dir.path().join("two")).unwrap();
        let two = dir.path().join("two");
        assert_eq!(
            resolve_target(two.to_str().unwrap()).unwrap(),
            Target::Replace(dir.path().join("sub/real.csv"))
        );
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        let err = resolve_target(dir.path().join("loop").to_str().unwrap()).unwrap_err();
        assert!(err.message.contains("symbolic links"), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn descriptor_aliases_are_streamed() {
        for alias in ["/dev/stderr", "/proc/self/fd/2"] {
            assert_eq!(
                resolve_target(alias).unwrap(),
                Target::Stream(PathBuf::from(alias))
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_streamed_and_folders_refused() {
        assert_eq!(
            resolve_target("/dev/null").unwrap(),
            Target::Stream(PathBuf::from("/dev/null"))
        );
        let dir = tempfile::tempdir().unwrap();
        let err = resolve_target(dir.path().to_str().unwrap()).unwrap_err();
        assert!(err.message.contains("is a folder"), "{err}");
        let err = resolve_target(dir.path().join("no/x.csv").to_str().unwrap()).unwrap_err();
        assert!(err.message.contains("does not exist"), "{err}");
    }

    #[test]
    fn watched_keeps_the_first_error() {
        let mut w = Watched::new(Full);
        assert!(w.write_all(b"abc").is_err());
        let e = w.take_error().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
    }

    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::StorageFull))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
