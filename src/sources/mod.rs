//! Sources: where the bytes that the engine scans come from, beyond a
//! plain file or pipe.
//!
//! - [`archive`]: zip, tar and gzip members walked in place, under size,
//!   depth and ratio limits (a zip bomb stops with an error, not a crash);
//! - [`utf16`]: a view that finds UTF-16 text (Windows dumps, registry
//!   exports) so ASCII rules see it;
//! - [`git`]: every blob of a repository's history, each scanned once,
//!   with the commits that introduced each finding.
//!
//! A source turns its input into byte streams for the engine and maps
//! findings back to its own locations (member path, commit); it never
//! decides what is a secret. Unreadable parts are reported as errors naming
//! the part, and the rest is still scanned.

pub mod archive;
pub mod git;
pub mod utf16;
