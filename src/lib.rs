//! secretscan: a high-throughput streaming secret scanner and redactor.
//!
//! Rules (the built-in pack embedded from `patterns/*.toml`, and your own
//! files) compile into one immutable [`Scanner`]: a keyword prefilter over
//! every rule's keywords plus one bounded regex per rule, confirmed only in
//! windows around keyword hits. The same scanner serves three front doors:
//!
//! - [`Scanner::scan`] and [`Scanner::redact`] on a whole input;
//! - [`StreamScanner`]: push chunks, get findings with absolute offsets;
//! - [`RedactWriter`]: a [`std::io::Write`] adapter that redacts in flight,
//!   holding back only bytes that could still be part of a secret.
//!
//! ```
//! use std::io::Write;
//!
//! let scanner = secretscan::Scanner::builtin();
//! // Assembled at run time so no complete token sits in the source.
//! let key = format!("sk-ant-api03-{}AA", "x7Kq2".repeat(18) + "abc");
//! let line = format!("x-api-key: {key}\n");
//!
//! let findings = scanner.scan(line.as_bytes());
//! assert_eq!(&*findings[0].rule_id, "anthropic-api-key");
//! assert!(!format!("{findings:?}").contains(&key), "findings never hold the secret");
//!
//! let mut out = scanner.redact_writer(Vec::new());
//! out.write_all(line.as_bytes()).unwrap();
//! assert_eq!(out.finish().unwrap(), b"x-api-key: [REDACTED:anthropic-api-key]\n");
//! ```
//!
//! # Semantics
//!
//! A match of a rule is a leftmost-first, non-overlapping match of its
//! pattern, each rule on its own; its secret is the `secret` capture group
//! or the whole match. A finding is a match that passes its rule's
//! validators. Where findings overlap, the higher-priority rule names the
//! secret, and redaction replaces the union of the overlapping spans once.
//! [`oracle::Oracle`] is the naive reference the engine is tested against.

#![deny(missing_docs)]

pub mod archive;
pub mod baseline;
pub mod compile;
pub mod error;
mod finding;
pub mod git;
mod guard;
pub mod known;
pub mod logging;
mod matcher;
pub mod oracle;
pub mod panic;
pub mod parallel;
mod prefilter;
#[cfg(feature = "python")]
mod python;
mod redact;
pub mod report;
pub mod rotation;
pub mod rules;
mod scan;
mod stream;
pub mod suppress;
pub mod triage;
pub mod utf16;
pub mod validate;

pub use error::{Error, Origin, RuleProblem};
pub use finding::{masked_preview, Finding, Fingerprint, Fingerprinter};
pub use guard::{Action, Guard, Policy, PolicyError, StreamRedactor, Verdict};
pub use known::KnownSecrets;
pub use parallel::ParallelStream;
pub use redact::{Marker, RedactWriter};
pub use rules::{Rotation, Rule, RuleSet};
pub use scan::{RuleShape, Scanner, ScannerBuilder};
pub use stream::StreamScanner;
