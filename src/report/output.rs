//! Output files that appear whole or not at all.
//!
//! A report, a redacted file, a baseline or a status snapshot named by the
//! user is written to a temporary file in the same directory and renamed
//! over the destination only once it is complete and on disk
//! ([`AtomicFile::commit`]: flush, `fsync`, rename, `fsync` of the
//! directory). Until then the destination keeps its previous contents, if
//! any: a full disk, a write error, an early return or a crash leaves no
//! half-written file that looks finished. A temporary file that is dropped
//! without being committed is removed; one left by a process that was
//! killed (`SIGKILL`) is named `.<name>.<pid>.secretscan-tmp` and holds only
//! what secretscan writes (reports without secrets, redacted text).
//!
//! ```
//! use std::io::Write;
//! use secretscan::report::output::AtomicFile;
//!
//! let dir = tempfile_dir();
//! let path = dir.join("report.json");
//! let mut file = AtomicFile::create(&path).unwrap();
//! file.write_all(b"[]\n").unwrap();
//! assert!(!path.exists(), "nothing at the destination before commit");
//! file.commit().unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"[]\n");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # fn tempfile_dir() -> std::path::PathBuf {
//! #     let d = std::env::temp_dir().join(format!("secretscan-doc-atomic-{}", std::process::id()));
//! #     std::fs::create_dir_all(&d).unwrap();
//! #     d
//! # }
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file written under a temporary name beside its destination and
/// renamed into place by [`AtomicFile::commit`]. Dropping it uncommitted
/// removes the temporary file and leaves the destination as it was.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Creates the temporary file for `path` in `path`'s directory. When
    /// `path` exists, the new file takes its permissions.
    ///
    /// # Errors
    ///
    /// When the temporary file cannot be created (a missing or read-only
    /// directory, a full disk).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(
            ".{}.{}.secretscan-tmp",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp = dir.join(tmp_name);
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        if let Ok(meta) = fs::metadata(path) {
            if meta.is_file() {
                // Best effort: the rename keeps whatever the new file has.
                let _ = file.set_permissions(meta.permissions());
            }
        }
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(file),
        })
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the file to disk and renames it over the destination.
    ///
    /// # Errors
    ///
    /// When syncing or renaming fails; the temporary file is then removed
    /// and the destination left as it was.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("a file not yet committed");
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.path)?;
        // The rename is durable once the directory is synced; a file system
        // that cannot sync directories still did the rename.
        #[cfg(unix)]
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.tmp = PathBuf::new();
        Ok(())
    }

    fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("a file not yet committed")
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.file = None;
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Where a command writes: standard output, or a file named by the user,
/// written atomically. Call [`Output::finish`] once everything is written.
#[derive(Debug)]
pub enum Output {
    /// Standard output, written as it goes.
    Stdout(io::Stdout),
    /// A file that appears when [`Output::finish`] succeeds.
    File(AtomicFile),
}

impl Output {
    /// Standard output for `None`, else an [`AtomicFile`] for the path.
    ///
    /// # Errors
    ///
    /// When the file's temporary file cannot be created.
    pub fn open(path: Option<&Path>) -> io::Result<Output> {
        Ok(match path {
            None => Output::Stdout(io::stdout()),
            Some(p) => Output::File(AtomicFile::create(p)?),
        })
    }

    /// Flushes standard output, or commits the file.
    ///
    /// # Errors
    ///
    /// A write, sync or rename error.
    pub fn finish(self) -> io::Result<()> {
        match self {
            Output::Stdout(mut s) => s.flush(),
            Output::File(f) => f.commit(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(s) => s.write(buf),
            Output::File(f) => f.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(s) => s.write_all(buf),
            Output::File(f) => f.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(s) => s.flush(),
            Output::File(f) => f.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::TempDir::new().unwrap()
    }

    fn entries(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_dropped_file_leaves_the_old_destination_and_no_temporary() {
        let d = dir();
        let path = d.path().join("out.log");
        fs::write(&path, "previous\n").unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"half of the new").unwrap();
        assert_eq!(entries(d.path()).len(), 2, "the temporary sits beside it");
        drop(f);
        assert_eq!(fs::read(&path).unwrap(), b"previous\n");
        assert_eq!(entries(d.path()), vec!["out.log"]);
    }

    #[test]
    fn a_committed_file_replaces_the_destination_with_its_permissions() {
        let d = dir();
        let path = d.path().join("r.json");
        fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(entries(d.path()), vec!["r.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
    }

    #[test]
    fn a_missing_directory_is_an_error_at_create() {
        let d = dir();
        let path = d.path().join("no/such/dir/out");
        assert!(AtomicFile::create(&path).is_err());
        assert!(AtomicFile::create(Path::new("/")).is_err());
    }

    #[test]
    fn a_bare_file_name_is_written_in_the_current_directory() {
        let f = AtomicFile::create(Path::new("secretscan-unit-atomic.tmp-test")).unwrap();
        drop(f);
        assert!(!Path::new("secretscan-unit-atomic.tmp-test").exists());
    }
}
