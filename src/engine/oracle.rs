//! The naive reference that defines the right answer (DESIGN.md, "Oracle").
//!
//! Each rule's pattern (and its glued variant's, if it has one) runs on its
//! own over the whole input with a plain leftmost-first iterator, no
//! prefilter, no windows, no streaming; matches are validated, and overlaps
//! resolved by the documented rule. The fast
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
    /// Compiles a plain regex per rule of `scanner`, and per glued variant.
    pub fn new(scanner: &Scanner) -> Oracle {
        let inner = scanner.inner();
        let regexes = (0..inner.compiled.len())
            .map(|slot| {
                build_regex(&inner.slot_rule(slot).pattern)
                    .expect("the scanner compiled this pattern already")
            })
            .collect();
        Oracle {
            scanner: scanner.clone(),
            regexes,
        }
    }

    fn run(&self, hay: &[u8]) -> (Vec<Finding>, Vec<Redaction>) {
        let inner = self.scanner.inner();
        let compiled = &inner.compiled;
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
                    doubt: verdict.doubt,
                    line: 0,
                    column: 0,
                    value: None,
                    token: TokenFacts::of(&inner.slot_rule(rule).id, value).map(Box::new),
                });
            }
        }
        let (mut findings, mut redactions) = (vec![], vec![]);
        resolve(
            &mut candidates,
            |c| inner.rank(c),
            |c| {
                let before = &hay[..c.secret.start as usize];
                let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                let line_start = before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1) as u64;
                findings.push(Finding {
                    rule_id: inner.slot_rule(c.rule).id.clone(),
                    rule_index: inner.base_rule(c.rule),
                    span: c.span.clone(),
                    secret: c.secret.clone(),
                    line,
                    column: c.secret.start - line_start + 1,
                    fingerprint: c.fingerprint,
                    preview: c.preview.clone(),
                    confidence: c.confidence,
                    validation: c.validation,
                    doubt: c.doubt,
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
        let inner = self.scanner.inner();
        let (_, redactions) = self.run(hay);
        let mut out = vec![];
        let mut at = 0;
        for r in redactions {
            out.extend_from_slice(&hay[at..r.span.start as usize]);
            out.extend_from_slice(format!("[REDACTED:{}]", inner.slot_rule(r.rule).id).as_bytes());
            at = r.span.end as usize;
        }
        out.extend_from_slice(&hay[at..]);
        out
    }

    /// The candidate matches of one rule alone (its own pattern, not its
    /// glued variant), validated, without doubt (see
    /// [`Doubt`](crate::engine::finding::Doubt)), before overlap
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
                let verdict =
                    compiled[rule].judge(&hay[span.start..secret.start], &hay[secret.clone()])?;
                verdict.doubt.is_none().then_some(secret)
            })
            .collect()
    }

    /// Every validated match of rule `rule` (its own pattern, and its glued
    /// variant's if it has one) before overlap resolution: the secret's
    /// span, and whether it is doubtful (see
    /// [`Doubt`](crate::engine::finding::Doubt)). What redaction must
    /// remove, for models of it that do not go through the engine.
    pub fn redaction_matches(
        &self,
        rule: usize,
        hay: &[u8],
    ) -> Vec<(std::ops::Range<usize>, bool)> {
        let inner = self.scanner.inner();
        let variants = inner
            .variants
            .iter()
            .enumerate()
            .filter(|(_, v)| v.base == rule)
            .map(|(i, _)| inner.rules.rules().len() + i);
        let mut out = vec![];
        for slot in std::iter::once(rule).chain(variants) {
            for caps in self.regexes[slot].captures_iter(hay) {
                let Some(span) = caps.get_match().map(|m| m.range()) else {
                    continue;
                };
                let secret = caps
                    .get_group_by_name("secret")
                    .map_or(span.clone(), |g| g.range());
                let name = &hay[span.start..secret.start];
                if let Some(verdict) = inner.compiled[slot].judge(name, &hay[secret.clone()]) {
                    out.push((secret, verdict.doubt.is_some()));
                }
            }
        }
        out
    }
}
