//! `rules check`: every rule's own examples, run through the engine.
//!
//! A positive example passes when the rule alone finds a secret in it (its
//! match passes the validators), the match contains one of the rule's
//! keywords (the prefilter's promise), and the whole scanner reports it
//! (possibly named by a more specific rule) and redacts it. A negative
//! example passes when the rule alone finds nothing in it.

use std::fmt;

use crate::oracle::Oracle;
use crate::scan::Scanner;

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
pub fn check(scanner: &Scanner) -> CheckReport {
    let oracle = Oracle::new(scanner);
    let mut report = CheckReport {
        rules: scanner.rules().len(),
        ..CheckReport::default()
    };
    for (i, rule) in scanner.rules().iter().enumerate() {
        let fail = |positive, index, reason: String| CheckFailure {
            rule_id: rule.id.to_string(),
            origin: rule.origin.to_string(),
            positive,
            index,
            reason,
        };
        if rule.examples.is_empty() {
            report.without_examples.push(rule.id.to_string());
        }
        for (n, example) in rule.examples.iter().enumerate() {
            report.examples += 1;
            let own = oracle.rule_matches(i, example);
            let Some(secret) = own.first() else {
                report
                    .failures
                    .push(fail(true, n, "the rule finds no secret in it".into()));
                continue;
            };
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
            let findings = scanner.scan(example);
            let covered = findings.iter().any(|f| {
                f.secret.start <= secret.start as u64 && secret.end as u64 <= f.secret.end
                    || (f.secret.start < secret.end as u64 && (secret.start as u64) < f.secret.end)
            });
            if !covered {
                report.failures.push(fail(
                    true,
                    n,
                    "the scanner reports no finding over the rule's secret".into(),
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
            if !oracle.rule_matches(i, example).is_empty() {
                report
                    .failures
                    .push(fail(false, n, "the rule finds a secret in it".into()));
            }
        }
    }
    report
}
