//! `rules check`: every rule's own examples, run through the engine.
//!
//! A positive example passes when the rule alone finds a secret in it (its
//! match passes the validators), the match contains one of the rule's
//! keywords (the prefilter's promise), the whole scanner reports it under
//! the rule's own id (or under a rule that declares itself more specific
//! with `overrides`), and redaction removes it. Every match must provably
//! start with a keyword (otherwise streams hold text back for the rule). A negative example passes
//! when no rule of the scanner finds anything in it without doubt (a
//! token whose check failed, or a glued one, is a `low` finding for
//! redaction only: a negative may hold one). A rule without a
//! positive and a negative example fails, as does an `overrides` entry that
//! names no rule.
//!
//! The check needs a compiled engine, which sits above this module in the
//! data flow; it asks for one through [`ExampleEngine`], which
//! [`Scanner`](crate::Scanner) implements (in `engine::check`), so the
//! rules stage never imports the engine. Cost: one oracle regex per rule,
//! then a scan, an oracle run and a redaction per example.

use std::fmt;
use std::ops::Range;

use crate::error::Error;
use crate::rules::Rule;

/// A finding as `rules check` sees it: which rule named which secret span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleFinding {
    /// Index of the rule that names the secret.
    pub rule_index: usize,
    /// That rule's id.
    pub rule_id: String,
    /// The secret's span in the example.
    pub secret: Range<u64>,
}

/// A reference matcher (see [`ExampleEngine::reference`]): for a rule index
/// and a text, the validated secret spans of that rule alone.
pub type Reference<'e> = Box<dyn Fn(usize, &[u8]) -> Vec<Range<usize>> + 'e>;

/// What `rules check` needs from a compiled engine over a rule set.
pub trait ExampleEngine {
    /// The rules, in the engine's order (indices below refer to it).
    fn rules(&self) -> &[Rule];
    /// Builds every rule's regex now, surfacing size-limit errors.
    ///
    /// # Errors
    ///
    /// The first rule whose pattern the regex engine refuses.
    fn build_all_now(&self) -> Result<(), Error>;
    /// Whether every match of rule `index` provably begins with a keyword.
    fn starts_with_keyword(&self, index: usize) -> bool;
    /// The index of the rule with id `id`.
    fn rule_index(&self, id: &str) -> Option<usize>;
    /// The reference matcher: for a rule index and a text, the validated
    /// secret spans of that rule alone, before overlap resolution. Built
    /// once per check, so it may precompile.
    fn reference(&self) -> Reference<'_>;
    /// The whole engine's findings in `text`.
    fn findings(&self, text: &[u8]) -> Vec<ExampleFinding>;
    /// `text` redacted by the whole engine.
    fn redact(&self, text: &[u8]) -> Vec<u8>;
}

/// One failed example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    /// The rule's id.
    pub rule_id: String,
    /// Where the rule came from.
    pub origin: String,
    /// `true` for a positive example, `false` for a negative one.
    pub positive: bool,
    /// Zero-based index in `examples` or `negative_examples`.
    pub index: usize,
    /// What went wrong.
    pub reason: String,
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.positive {
            "examples"
        } else {
            "negative_examples"
        };
        write!(
            f,
            "{}: rule '{}': {kind}[{}]: {}",
            self.origin, self.rule_id, self.index, self.reason
        )
    }
}

/// The outcome of checking a scanner's rules.
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    /// Rules checked.
    pub rules: usize,
    /// Examples run, positive and negative.
    pub examples: usize,
    /// Rules that have no positive example.
    pub without_examples: Vec<String>,
    /// Examples that failed.
    pub failures: Vec<CheckFailure>,
}

/// Runs every rule's examples (see the module docs).
pub fn check(scanner: &impl ExampleEngine) -> CheckReport {
    let oracle = scanner.reference();
    let mut report = CheckReport {
        rules: scanner.rules().len(),
        ..CheckReport::default()
    };
    if let Err(e) = scanner.build_all_now() {
        report.failures.push(CheckFailure {
            rule_id: String::new(),
            origin: String::new(),
            positive: true,
            index: 0,
            reason: e.to_string(),
        });
    }
    for (i, rule) in scanner.rules().iter().enumerate() {
        let fail = |positive, index, reason: String| CheckFailure {
            rule_id: rule.id.to_string(),
            origin: rule.origin.to_string(),
            positive,
            index,
            reason,
        };
        if rule.examples.is_empty() || rule.negative_examples.is_empty() {
            report.without_examples.push(rule.id.to_string());
            report.failures.push(fail(
                rule.examples.is_empty(),
                0,
                "the rule needs at least one positive and one negative example".into(),
            ));
        }
        if !scanner.starts_with_keyword(i) {
            report.failures.push(fail(
                true,
                0,
                "the pattern's matches do not provably start with a keyword: begin the pattern with the keyword (put context before it in an optional group only if it is itself a keyword), or streams must hold back text for this rule".into(),
            ));
        }
        for id in &rule.overrides {
            if scanner.rule_index(id).is_none() {
                report.failures.push(fail(
                    true,
                    0,
                    format!("'overrides' names '{id}', which is not a rule of this scanner"),
                ));
            }
        }
        for (n, example) in rule.examples.iter().enumerate() {
            report.examples += 1;
            let own = oracle(i, example);
            let Some(secret) = own.first() else {
                report
                    .failures
                    .push(fail(true, n, "the rule finds no secret in it".into()));
                continue;
            };
            let value = &example[secret.clone()];
            let delimiter = |b: &u8| b" \t\r\n\"'`,;".contains(b);
            if value.first().is_some_and(delimiter) || value.last().is_some_and(delimiter) {
                report.failures.push(fail(
                    true,
                    n,
                    "the secret begins or ends with a delimiter (space, quote, comma, newline): put the token in a (?P<secret>...) group so redaction keeps the delimiter".into(),
                ));
                continue;
            }
            let has_keyword = rule.keywords.iter().any(|k| {
                let k = k.to_ascii_lowercase();
                example
                    .to_ascii_lowercase()
                    .windows(k.len())
                    .any(|w| w == k.as_bytes())
            });
            if !has_keyword {
                report.failures.push(fail(
                    true,
                    n,
                    "none of the rule's keywords occurs in it".into(),
                ));
                continue;
            }
            let findings = scanner.findings(example);
            let over: Vec<_> = findings
                .iter()
                .filter(|f| {
                    f.secret.start < secret.end as u64 && (secret.start as u64) < f.secret.end
                })
                .collect();
            if over.is_empty() {
                report.failures.push(fail(
                    true,
                    n,
                    "the scanner reports no finding over the rule's secret".into(),
                ));
                continue;
            }
            let rules = scanner.rules();
            if let Some(other) = over.iter().find(|f| {
                f.rule_index != i && !rules[f.rule_index].overrides.iter().any(|o| *o == *rule.id)
            }) {
                report.failures.push(fail(
                    true,
                    n,
                    format!(
                        "the scanner names it '{}', not this rule (give that rule `overrides = [\"{}\"]` if it is the more specific one)",
                        other.rule_id, rule.id
                    ),
                ));
                continue;
            }
            let redacted = scanner.redact(example);
            let value = &example[secret.clone()];
            if redacted.windows(value.len()).any(|w| w == value) {
                report
                    .failures
                    .push(fail(true, n, "the secret survives redaction".into()));
            }
        }
        for (n, example) in rule.negative_examples.iter().enumerate() {
            report.examples += 1;
            if !oracle(i, example).is_empty() {
                report
                    .failures
                    .push(fail(false, n, "the rule finds a secret in it".into()));
            } else if let Some(f) = scanner.findings(example).first() {
                report.failures.push(fail(
                    false,
                    n,
                    format!("rule '{}' finds a secret in it", f.rule_id),
                ));
            }
        }
    }
    report
}
