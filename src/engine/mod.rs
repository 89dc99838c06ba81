//! The engine: from a validated [`RuleSet`](crate::RuleSet) to findings and
//! redacted bytes.
//!
//! Data flows through it in one direction:
//!
//! ```text
//! analysis ─► compile ─► prefilter (keywords) ─► matcher (bounded regex per rule)
//!                                                   │
//!                        finding (validate, resolve overlaps) ◄─┘
//!                                                   │
//!        scanner (batch) · stream (chunks) · redact (Write adapter) · parallel (chunked batch)
//! ```
//!
//! - [`analysis`]: what is provable from a pattern's syntax tree (length
//!   bounds, keyword prefixes, byte alphabets); pure functions.
//! - [`compile`]: one rule to a [`CompiledRule`](compile) with its lazily
//!   built regex, and the rule's validators (`CompiledRule::judge`).
//! - [`prefilter`]: one Aho-Corasick automaton over every rule's keywords.
//! - [`matcher`]: a rule's leftmost-first matches confirmed in windows
//!   around keyword hits, over a buffer view shared by batch and stream.
//! - [`finding`]: findings, previews, and how overlapping findings resolve.
//! - [`scanner`]: the immutable, shareable [`Scanner`](crate::Scanner) and
//!   batch scanning; [`stream`], [`redact`] and [`parallel`] build on it
//!   and add their own `impl Scanner` constructors.
//! - [`oracle`]: the naive reference every fast path is tested against.
//! - [`check`]: `rules check`'s view of a compiled scanner.
//!
//! # Contract
//!
//! Every path here returns exactly what [`oracle::Oracle`] returns on the
//! same input, and a stream (any chunking) equals the whole input (see
//! DESIGN.md and ARCHITECTURE.md). The engine never reads files or prints:
//! it sees bytes in and returns findings (never the secret, unless asked
//! with `capture_secrets`) and redacted bytes.
//!
//! # Cost
//!
//! Start-up parses and analyses every pattern (milliseconds for the pack);
//! a rule's regex is built on its first keyword hit. A scan is one pass of
//! the keyword automaton plus regex work in windows around hits.

pub(crate) mod analysis;
pub mod check;
pub mod compile;
pub(crate) mod finding;
pub(crate) mod keywords;
pub(crate) mod matcher;
pub mod oracle;
pub mod parallel;
pub(crate) mod prefilter;
pub(crate) mod redact;
pub(crate) mod rows;
pub(crate) mod scanner;
pub(crate) mod stream;
