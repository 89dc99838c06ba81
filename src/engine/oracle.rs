//! The naive reference that defines the right answer (DESIGN.md, "Oracle").
//!
//! Each rule's pattern runs on its own over the whole input with a plain
//! leftmost-first iterator, no prefilter, no windows, no streaming; matches
//! are validated, and overlaps resolved by the documented rule. The fast
//! engine must return exactly this on every input; property tests and fuzz
//! targets hold the two together. It is slow on purpose: keep it obvious.

use regex_automata::meta::Regex;

use crate::engine::compile::build_regex;
use crate::engine::finding::{masked_preview, resolve, Candidate, Finding, Redaction};
use crate::engine::scanner::Scanner;
use crate::rotation::triage::TokenFacts;

/// The reference implementation for one scanner's rules.
#[derive(Debug)]
pub struct Oracle {
    scanner: Scanner,
    regexes: Vec<Regex>,
}

impl Oracle {
    /// Compiles a plain regex per rule of `scanner`.
    pub fn new(scanner: &Scanner) -> Oracle {
        let regexes = scanner
            .rules()
            .iter()
            .map(|r| build_regex(&r.pattern).expect("the scanner compiled this pattern already"))
            .collect();
        Oracle {
            scanner: scanner.clone(),
            regexes,
        }
    }

    fn run(&self, hay: &[u8]) -> (Vec<Finding>, Vec<Redaction>) {
        let compiled = &self.scanner.inner().compiled;
        let mut candidates = vec![];
        for (rule, regex) in self.regexes.iter().enumerate() {
            for caps in regex.captures_iter(hay) {
                let span = caps
                    .get_match()
                    .expect("captures_iter yields matches")
                    .range();
                let secret = caps
                    .get_group_by_name("secret")
                    .map_or(span.clone(), |g| g.range());
                let value = &hay[secret.clone()];
                let Some(verdict) = compiled[rule].judge(&hay[span.start..secret.start], value)
                else {
                    continue;
                };
                candidates.push(Candidate {
                    rule,
                    span: span.start as u64..span.end as u64,
                    secret: secret.start as u64..secret.end as u64,
                    fingerprint: self.scanner.fingerprinter().of(value),
                    preview: masked_preview(value),
                    confidence: verdict.confidence,
                    validation: verdict.validation,
                    line: 0,
                    column: 0,
                    value: None,
                    token: TokenFacts::of(&self.scanner.rules()[rule].id, value).map(Box::new),
                });
            }
        }
        let (mut findings, mut redactions) = (vec![], vec![]);
        resolve(
            &mut candidates,
            |r| compiled[r].priority,
            |c| {
                let before = &hay[..c.secret.start as usize];
                let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                let line_start = before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1) as u64;
                findings.push(Finding {
                    rule_id: self.scanner.rules()[c.rule].id.clone(),
                    rule_index: c.rule,
                    span: c.span.clone(),
                    secret: c.secret.clone(),
                    line,
                    column: c.secret.start - line_start + 1,
                    fingerprint: c.fingerprint,
                    preview: c.preview.clone(),
                    confidence: c.confidence,
                    validation: c.validation,
                    value: None,
                    token: c.token.clone(),
                })
            },
            |r| redactions.push(r),
        );
        (findings, redactions)
    }

    /// The findings the engine must report for `hay`.
    pub fn scan(&self, hay: &[u8]) -> Vec<Finding> {
        self.run(hay).0
    }

    /// The redacted bytes the engine must produce for `hay`.
    pub fn redact(&self, hay: &[u8]) -> Vec<u8> {
        let (_, redactions) = self.run(hay);
        let mut out = vec![];
        let mut at = 0;
        for r in redactions {
            out.extend_from_slice(&hay[at..r.span.start as usize]);
            out.extend_from_slice(
                format!("[REDACTED:{}]", self.scanner.rules()[r.rule].id).as_bytes(),
            );
            at = r.span.end as usize;
        }
        out.extend_from_slice(&hay[at..]);
        out
    }

    /// The candidate matches of one rule alone, validated, before overlap
    /// resolution: what `rules check` tests examples against.
    pub fn rule_matches(&self, rule: usize, hay: &[u8]) -> Vec<std::ops::Range<usize>> {
        let compiled = &self.scanner.inner().compiled;
        self.regexes[rule]
            .captures_iter(hay)
            .filter_map(|caps| {
                let span = caps.get_match()?.range();
                let secret = caps
                    .get_group_by_name("secret")
                    .map_or(span.clone(), |g| g.range());
                compiled[rule]
                    .judge(&hay[span.start..secret.start], &hay[secret.clone()])
                    .map(|_| secret)
            })
            .collect()
    }
}
