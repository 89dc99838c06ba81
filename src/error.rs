//! The library's error type.
//!
//! Every error names what failed and where: the rule file (its path, or
//! `<builtin>/NAME.toml` for the embedded pack), the rule id, and why.

use std::fmt;

/// Where a rule came from: a file path, or the name of an embedded pack file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin(pub String);

impl Origin {
    /// True for a file of the built-in pack (`<builtin>/…`).
    pub fn is_builtin(&self) -> bool {
        self.0.starts_with("<builtin>/")
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An error building a scanner or loading rules.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule file could not be read.
    // NOTE: the cause is the error's source, not part of its message, so a
    // printed chain (`{:#}`) shows it once.
    #[error("{origin}: cannot read rule file")]
    Io {
        /// The file.
        origin: Origin,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A rule file is not valid TOML or does not have the rule schema.
    #[error("{origin}: invalid rule file: {message}")]
    Syntax {
        /// The file.
        origin: Origin,
        /// The parser's message, with line and column.
        message: String,
    },
    /// One rule is invalid.
    #[error("{origin}: rule '{rule_id}': {reason}")]
    Rule {
        /// The file.
        origin: Origin,
        /// The offending rule's id (or `#N` when it has none).
        rule_id: String,
        /// Why the rule is rejected.
        reason: RuleProblem,
    },
}

/// Why a rule was rejected when it was built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    /// The id is not kebab-case (`[a-z0-9]+(-[a-z0-9]+)*`).
    #[error("id must be kebab-case ([a-z0-9] words joined by '-')")]
    BadId,
    /// Another rule (maybe in another file) has the same id.
    #[error("duplicate rule id (first defined in {first})")]
    DuplicateId {
        /// Where the first rule with this id came from.
        first: String,
    },
    /// The pattern does not compile; the message carries the position.
    #[error("invalid pattern: {0}")]
    Regex(String),
    /// The pattern can match arbitrarily long text.
    #[error(
        "pattern has no maximum match length (use bounded repetitions such as {{0,64}} instead of * or +)"
    )]
    Unbounded,
    /// The pattern is longer than the engine's limit on match length.
    #[error("pattern's maximum match length {len} exceeds the limit of {limit} bytes")]
    TooLong {
        /// The derived maximum.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The pattern can match the empty string.
    #[error("pattern can match the empty string")]
    EmptyMatch,
    /// Not every match provably contains one of the rule's keywords.
    #[error(
        "cannot prove that every match contains one of the keywords (the prefilter would miss a match without one): make a keyword part of the pattern's literal text"
    )]
    KeywordNotRequired,
    /// The rule lists no keyword.
    #[error("rule has no keyword: every rule needs at least one literal keyword")]
    NoKeyword,
    /// A keyword is empty.
    #[error("keyword #{0} is empty")]
    EmptyKeyword(usize),
    /// The `secret` capture group exists but can match nothing.
    #[error("the 'secret' capture group can match the empty string")]
    EmptySecret,
    /// A field is missing, unknown or of the wrong type.
    #[error("{0}")]
    Schema(String),
    /// A validator parameter is out of range.
    #[error("invalid validator: {0}")]
    Validator(String),
    /// An example template is malformed.
    #[error("example #{index}: {message}")]
    Example {
        /// Zero-based index into `examples` or `negative_examples`.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
}
