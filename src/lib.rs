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

// The stages, in the order data flows through them (ARCHITECTURE.md).
// Dependencies point down this list: a module uses only those above it.
pub mod engine;
pub mod error;
pub mod escape;
pub mod integrations;
pub mod report;
pub mod rotation;
pub mod rules;
pub mod sources;

pub use engine::finding::{masked_preview, Doubt, Finding};
pub use engine::parallel::ParallelStream;
pub use engine::redact::RedactWriter;
pub use engine::scanner::{Marker, RuleShape, Scanner, ScannerBuilder};
pub use engine::stream::StreamScanner;
pub use error::{Error, Origin, RuleProblem};
pub use integrations::guard::{Action, Guard, Policy, PolicyError, StreamRedactor, Verdict};
pub use rotation::fingerprint::{Fingerprint, Fingerprinter};
pub use rotation::known::KnownSecrets;
pub use rules::{Rotation, Rule, RuleSet};

// The flat module paths of 0.1, before the stages had folders: aliases of
// their new homes, kept for one release. New code should use the paths
// above (`secretscan::engine::oracle`, `secretscan::sources::git`, ...).
pub use engine::{compile, oracle, parallel};
pub use integrations::{logging, panic};
pub use report::{baseline, suppress};
pub use rotation::{known, triage};
pub use rules::validators as validate;
pub use sources::{archive, git, utf16};
