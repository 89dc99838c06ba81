//! Compressed and archived inputs: `.gz`, `.zip`, `.tar`, `.tar.gz` (and
//! any nesting of them) opened and their members handed to a scan, each
//! named `outer!inner/path` (`logs.tar.gz!var/log/app.log`,
//! `bundle.zip!dumps/core.gz!core`).
//!
//! Formats are recognised by their content, not their names: gzip by its
//! magic bytes `1f 8b 08`, zip by a local-file or end-of-directory
//! signature, tar by `ustar` at offset 257. A gzip stream holding a tar is
//! one level (`x.tar.gz!member`); a gzip of anything else names its member
//! after the name stored in the gzip header or the file name less `.gz`
//! (`app.log.gz!app.log`). Offsets in findings are offsets in the member's
//! own (decompressed) bytes.
//!
//! Everything streams: gzip and tar are read front to back, and a zip
//! file on disk is read through its central directory with seeks. Only a
//! zip *inside* another archive must be held in memory (a zip cannot be
//! read front to back); one larger than [`Limits::max_in_memory`] is
//! scanned as raw bytes instead, with an error saying so.
//!
//! # Limits
//!
//! [`Limits`] bounds the nesting depth, the total bytes expanded from one
//! input, and the expansion ratio (the decompression-bomb guard: `42.zip`,
//! overlapping-member zips and gzip-of-gzip all expand thousands of times
//! over). When a limit trips, the walk stops with an [`ArchiveError`] that
//! names the member and the limit; what was scanned before still counts.
//!
//! Damaged input (a truncated gzip, a zip with a broken directory, a
//! corrupt tar header) gives an [`ArchiveError::Corrupt`] naming the member
//! and the format. What could be decoded before the damage is scanned; a
//! zip whose directory cannot be read is scanned as raw bytes, so that its
//! stored (uncompressed) members are still searched.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};

use flate2::read::MultiGzDecoder;

/// The container formats recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// gzip (RFC 1952), one or more members.
    Gzip,
    /// zip (PKWARE APPNOTE), stored or deflated members.
    Zip,
    /// POSIX or GNU tar.
    Tar,
}

/// Bytes of input that [`sniff`] looks at: enough for a tar header.
pub const SNIFF_LEN: usize = 512;

/// The container format of an input that begins with `head` (its first
/// [`SNIFF_LEN`] bytes, or all of it when shorter), if any.
///
/// ```
/// use secretscan::archive::{sniff, Kind};
/// assert_eq!(sniff(b"\x1f\x8b\x08\x00rest"), Some(Kind::Gzip));
/// assert_eq!(sniff(b"PK\x03\x04"), Some(Kind::Zip));
/// assert_eq!(sniff(b"plain text"), None);
/// ```
pub fn sniff(head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"\x1f\x8b\x08") {
        Some(Kind::Gzip)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// Bounds on what one input may expand to.
///
/// By default: nesting depth 5, 16 GiB expanded in all, ratio 1000:1 once
/// past 64 MiB, and 256 MiB for a zip nested inside another archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How many containers deep members are opened; a container deeper
    /// than this is scanned as raw bytes (with an error).
    pub max_depth: u32,
    /// The most bytes that decompression may produce from one input, all
    /// levels counted.
    pub max_bytes: u64,
    /// The decompression-bomb guard: bytes expanded per byte of input, all
    /// levels counted, checked once more than [`Limits::ratio_floor`] bytes
    /// were expanded. Deflate alone cannot exceed about 1032:1, so only
    /// nested compression or zip members that share their data exceed the
    /// default.
    pub max_ratio: u64,
    /// Expanded bytes below which the ratio is not checked: a small input
    /// may expand far (a run of zeros) at no cost.
    pub ratio_floor: u64,
    /// The largest zip inside another archive that is opened (it must be
    /// held in memory).
    pub max_in_memory: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 5,
            max_bytes: 16 << 30,
            max_ratio: 1000,
            ratio_floor: 64 << 20,
            max_in_memory: 256 << 20,
        }
    }
}

/// Why an archive (or one of its members) was not scanned in full.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The data is not valid for its format, or ends too soon.
    // NOTE: the cause is the source, not part of the message, so a printed
    // chain (`{:#}`) shows it once.
    #[error("{path}: corrupt or truncated {format} data")]
    Corrupt {
        /// The member (or input) being read.
        path: String,
        /// `gzip`, `zip` or `tar`.
        format: &'static str,
        /// The decoder's error.
        #[source]
        source: io::Error,
    },
    /// The decompression-bomb guard tripped.
    #[error(
        "{path}: stopped by the decompression-bomb guard: {expanded} bytes expanded from a {input}-byte input (over {ratio}:1); the rest of the input is not scanned"
    )]
    Bomb {
        /// The member being expanded when the guard tripped.
        path: String,
        /// Bytes expanded, all levels counted.
        expanded: u64,
        /// Size of the input.
        input: u64,
        /// The limit.
        ratio: u64,
    },
    /// More bytes were expanded than [`Limits::max_bytes`].
    #[error(
        "{path}: stopped after {limit} expanded bytes (--archive-max-bytes); the rest of the input is not scanned"
    )]
    TooLarge {
        /// The member being expanded.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// Containers nested deeper than [`Limits::max_depth`].
    #[error(
        "{path}: archive nested more than {depth} levels deep (--archive-max-depth); scanned as raw bytes"
    )]
    TooDeep {
        /// The container not opened.
        path: String,
        /// The limit.
        depth: u32,
    },
    /// A zip inside another archive, too large to hold in memory.
    #[error(
        "{path}: zip inside another archive is larger than {limit} bytes; scanned as raw bytes, not opened"
    )]
    NestedTooLarge {
        /// The zip.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// A member that cannot be read (encrypted, an unsupported method).
    #[error("{path}: member not scanned: {reason}")]
    Unsupported {
        /// The member.
        path: String,
        /// Why.
        reason: String,
    },
    /// The input itself could not be read.
    #[error("{path}: read error")]
    Io {
        /// The input.
        path: String,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// What receives each member's bytes: its name (`outer!inner`) and a
/// reader. An error it returns is taken for a read error of the member.
pub type Visit<'v> = dyn FnMut(&str, &mut dyn Read) -> io::Result<()> + 'v;

/// The walk stopped: a limit tripped (the error is already recorded).
struct Stop;

/// Why a guarded read failed.
#[derive(Debug)]
struct Tripped;

impl std::fmt::Display for Tripped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("archive limit reached")
    }
}

impl std::error::Error for Tripped {}

/// Expanded bytes of one input, against the limits.
struct Budget {
    limits: Limits,
    input: u64,
    expanded: Cell<u64>,
    tripped: Cell<Option<TripKind>>,
}

#[derive(Clone, Copy, Debug)]
enum TripKind {
    Bomb,
    TooLarge,
}

impl Budget {
    fn spend(&self, n: usize) -> io::Result<()> {
        let expanded = self.expanded.get() + n as u64;
        self.expanded.set(expanded);
        let kind = if expanded > self.limits.max_bytes {
            Some(TripKind::TooLarge)
        } else if expanded > self.limits.ratio_floor
            && expanded / self.input.max(1) > self.limits.max_ratio
        {
            Some(TripKind::Bomb)
        } else {
            None
        };
        match kind {
            Some(k) => {
                self.tripped.set(Some(k));
                Err(io::Error::other(Tripped))
            }
            None => Ok(()),
        }
    }

    fn error(&self, path: &str) -> Option<ArchiveError> {
        Some(match self.tripped.get()? {
            TripKind::Bomb => ArchiveError::Bomb {
                path: path.to_string(),
                expanded: self.expanded.get(),
                input: self.input,
                ratio: self.limits.max_ratio,
            },
            TripKind::TooLarge => ArchiveError::TooLarge {
                path: path.to_string(),
                limit: self.limits.max_bytes,
            },
        })
    }
}

/// A decompressor's output, counted against the budget.
struct Counted<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.tripped.get().is_some() {
            return Err(io::Error::other(Tripped));
        }
        let n = self.inner.read(buf)?;
        self.budget.spend(n)?;
        Ok(n)
    }
}

/// Reads up to [`SNIFF_LEN`] bytes (fewer only at the end of input or on
/// an error), and what is left to read: the rest of `r`, or, when reading
/// failed after some bytes, that error. A short member whose checksum fails
/// at its end (a gzip trailer) still has its bytes scanned before the error
/// is reported; an error before any byte is returned as is.
fn read_head<R: Read>(mut r: R) -> io::Result<(Vec<u8>, Rest<R>)> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    match (&mut r).take(SNIFF_LEN as u64).read_to_end(&mut head) {
        Ok(_) => Ok((
            head,
            Rest {
                inner: r,
                cut: None,
            },
        )),
        Err(e) if head.is_empty() => Err(e),
        Err(e) => Ok((
            head,
            Rest {
                inner: r,
                cut: Some(Some(e)),
            },
        )),
    }
}

/// What follows a member's head: the reader, or, when an error cut the head
/// short, that error (returned once, then end of input; the reader is not
/// read again).
struct Rest<R> {
    inner: R,
    cut: Option<Option<io::Error>>,
}

impl<R: Read> Read for Rest<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.cut {
            None => self.inner.read(buf),
            Some(e) => e.take().map_or(Ok(0), Err),
        }
    }
}

struct Walker<'a, 'v> {
    budget: &'a Budget,
    visit: &'a mut Visit<'v>,
    errors: &'a mut Vec<ArchiveError>,
}

/// Opens the archive in `file` (named `name` in reports; its format is
/// `kind`, as [`sniff`] found it) and hands every member, at any depth, to
/// `visit`. Problems go to `errors`, in order; the walk goes on past a bad
/// member when it can.
pub fn walk_file(
    name: &str,
    kind: Kind,
    mut file: File,
    limits: &Limits,
    visit: &mut Visit<'_>,
    errors: &mut Vec<ArchiveError>,
) {
    let input = file.metadata().map_or(0, |m| m.len());
    let budget = Budget {
        limits: *limits,
        input,
        expanded: Cell::new(0),
        tripped: Cell::new(None),
    };
    let mut walker = Walker {
        budget: &budget,
        visit,
        errors,
    };
    if let Err(e) = file.seek(SeekFrom::Start(0)) {
        walker.errors.push(ArchiveError::Io {
            path: name.to_string(),
            source: e,
        });
        return;
    }
    let _ = match kind {
        Kind::Zip => walker.zip(name, file, 1),
        Kind::Gzip | Kind::Tar => walker.stream(name, &mut file, 1, None),
    };
}

impl Walker<'_, '_> {
    /// Records why `path` stopped, when a limit tripped.
    fn tripped(&mut self, path: &str) -> Option<Stop> {
        let e = self.budget.error(path)?;
        self.errors.push(e);
        Some(Stop)
    }

    /// Hands `r` to the visitor as member `path`; `format` names the
    /// container whose decoding a read error points to.
    fn leaf(&mut self, path: &str, r: &mut dyn Read, format: &'static str) -> Result<(), Stop> {
        if let Err(e) = (self.visit)(path, r) {
            if let Some(stop) = self.tripped(path) {
                return Err(stop);
            }
            self.errors.push(ArchiveError::Corrupt {
                path: path.to_string(),
                format,
                source: e,
            });
        }
        Ok(())
    }

    /// A member of unknown format at nesting `depth` (1 for the input
    /// itself): opened if it is a container, otherwise visited. `parent`
    /// names the container it came out of, for errors.
    fn stream(
        &mut self,
        path: &str,
        r: &mut dyn Read,
        depth: u32,
        parent: Option<&'static str>,
    ) -> Result<(), Stop> {
        let (head, rest) = match read_head(r) {
            Ok(h) => h,
            Err(e) => {
                if let Some(stop) = self.tripped(path) {
                    return Err(stop);
                }
                self.errors.push(ArchiveError::Corrupt {
                    path: path.to_string(),
                    format: parent.unwrap_or("input"),
                    source: e,
                });
                return Ok(());
            }
        };
        let kind = sniff(&head);
        let mut whole = Cursor::new(head).chain(rest);
        let Some(kind) = kind else {
            return self.leaf(path, &mut whole, parent.unwrap_or("input"));
        };
        if depth > self.budget.limits.max_depth {
            self.errors.push(ArchiveError::TooDeep {
                path: path.to_string(),
                depth: self.budget.limits.max_depth,
            });
            return self.leaf(path, &mut whole, parent.unwrap_or("input"));
        }
        match kind {
            Kind::Gzip => self.gzip(path, &mut whole, depth),
            Kind::Tar => self.tar_in(path, &mut whole, depth, "tar"),
            Kind::Zip => {
                // A zip needs its central directory at the end: hold it.
                let limit = self.budget.limits.max_in_memory;
                let mut data = vec![];
                let read = (&mut whole).take(limit + 1).read_to_end(&mut data);
                if let Err(e) = read {
                    if let Some(stop) = self.tripped(path) {
                        return Err(stop);
                    }
                    self.errors.push(ArchiveError::Corrupt {
                        path: path.to_string(),
                        format: parent.unwrap_or("input"),
                        source: e,
                    });
                    return Ok(());
                }
                if data.len() as u64 > limit {
                    self.errors.push(ArchiveError::NestedTooLarge {
                        path: path.to_string(),
                        limit,
                    });
                    let mut rest = Cursor::new(data).chain(whole);
                    return self.leaf(path, &mut rest, parent.unwrap_or("input"));
                }
                self.zip(path, Cursor::new(data), depth)
            }
        }
    }

    fn gzip(&mut self, path: &str, r: &mut dyn Read, depth: u32) -> Result<(), Stop> {
        let gz = Counted {
            inner: MultiGzDecoder::new(r),
            budget: self.budget,
        };
        let (head, rest) = match read_head(gz) {
            Ok(h) => h,
            Err(e) => {
                if let Some(stop) = self.tripped(path) {
                    return Err(stop);
                }
                self.errors.push(ArchiveError::Corrupt {
                    path: path.to_string(),
                    format: "gzip",
                    source: e,
                });
                return Ok(());
            }
        };
        let stored = rest
            .inner
            .inner
            .header()
            .and_then(|h| h.filename())
            .map(|n| String::from_utf8_lossy(n).into_owned());
        let kind = sniff(&head);
        let mut whole = Cursor::new(head).chain(rest);
        if kind == Some(Kind::Tar) {
            // `x.tar.gz!member`: the tar is no level of its own.
            return self.tar_in(path, &mut whole, depth, "tar.gz");
        }
        let inner = stored.unwrap_or_else(|| gunzipped_name(path));
        let member = format!("{path}!{inner}");
        match kind {
            None => self.leaf(&member, &mut whole, "gzip"),
            Some(_) => self.stream(&member, &mut whole, depth + 1, Some("gzip")),
        }
    }

    fn tar_in(
        &mut self,
        path: &str,
        r: &mut dyn Read,
        depth: u32,
        format: &'static str,
    ) -> Result<(), Stop> {
        let mut archive = tar::Archive::new(r);
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => {
                self.errors.push(ArchiveError::Corrupt {
                    path: path.to_string(),
                    format,
                    source: e,
                });
                return Ok(());
            }
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    if let Some(stop) = self.tripped(path) {
                        return Err(stop);
                    }
                    self.errors.push(ArchiveError::Corrupt {
                        path: path.to_string(),
                        format,
                        source: e,
                    });
                    return Ok(());
                }
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let raw = entry.path_bytes();
            let name = String::from_utf8_lossy(&raw);
            let name = name.trim_start_matches("./").to_string();
            let member = format!("{path}!{name}");
            self.stream(&member, &mut entry, depth + 1, Some(format))?;
        }
        Ok(())
    }

    fn zip<R: Read + Seek>(&mut self, path: &str, mut r: R, depth: u32) -> Result<(), Stop> {
        let mut archive = match zip::ZipArchive::new(&mut r) {
            Ok(a) => a,
            Err(e) => {
                self.errors.push(ArchiveError::Corrupt {
                    path: path.to_string(),
                    format: "zip",
                    source: io::Error::other(e),
                });
                // The directory is unreadable, but stored members are
                // still plain bytes in the file: scan it as it is.
                return match r.seek(SeekFrom::Start(0)) {
                    Ok(_) => self.leaf(path, &mut r, "zip"),
                    Err(_) => Ok(()),
                };
            }
        };
        for i in 0..archive.len() {
            let name = archive.name_for_index(i).unwrap_or("?").to_string();
            let file = match archive.by_index(i) {
                Ok(f) => f,
                Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                    self.errors.push(ArchiveError::Unsupported {
                        path: format!("{path}!{name}"),
                        reason: why.to_string(),
                    });
                    continue;
                }
                Err(e) => {
                    self.errors.push(ArchiveError::Corrupt {
                        path: format!("{path}!{name}"),
                        format: "zip",
                        source: io::Error::other(e),
                    });
                    continue;
                }
            };
            if !file.is_file() {
                continue;
            }
            let member = format!("{path}!{}", file.name());
            let mut counted = Counted {
                inner: file,
                budget: self.budget,
            };
            self.stream(&member, &mut counted, depth + 1, Some("zip"))?;
        }
        Ok(())
    }
}

/// Strips `.gz` (or turns `.tgz` into `.tar`) from the last path
/// component of `path`: the name of a gzip's member when its header names
/// none.
fn gunzipped_name(path: &str) -> String {
    let base = path.rsplit(['/', '!']).next().unwrap_or(path);
    if let Some(stem) = base.strip_suffix(".tgz") {
        format!("{stem}.tar")
    } else if let Some(stem) = base.strip_suffix(".gz") {
        stem.to_string()
    } else {
        base.to_string()
    }
}
