//! The compiled [`Scanner`] and batch scanning of a whole input.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::engine::compile::{compile_all, RuleSlot, Variant};
use crate::engine::finding::{masked_preview, Candidate, Finding, Rank, Redaction, Resolver};
use crate::engine::matcher::{advance_rule, RawMatch, RuleCursor, View};
use crate::engine::prefilter::Prefilter;
use crate::error::{Error, Origin};
use crate::rotation::fingerprint::Fingerprinter;
use crate::rotation::known::{Entry, KnownSecrets};
use crate::rotation::triage::TokenFacts;
use crate::rules::Confidence;
use crate::rules::{Rule, RuleSet};

/// How a redaction marker reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Marker {
    /// `[REDACTED:<label>]` (the default).
    #[default]
    Label,
    /// `[REDACTED:<label>:<fp>]`, where `<fp>` is the first 8 hex digits of
    /// the secret's fingerprint: which key leaked, without the key.
    LabelFingerprint,
}

/// A compiled set of rules: one keyword prefilter plus one regex per rule.
///
/// Immutable, `Send + Sync`, and cheap to clone (an `Arc`): build it once and
/// share it across threads. Regex scratch space is kept per thread inside
/// each regex, so concurrent scans do not contend.
///
/// ```
/// let scanner = secretscan::Scanner::builtin();
/// // A GitHub token: 30 random characters and their checksum.
/// let token = secretscan::validate::checksummed_token("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
/// let text = format!("token={token}\n");
/// let findings = scanner.scan(text.as_bytes());
/// assert_eq!(&*findings[0].rule_id, "github-pat");
/// assert_eq!(scanner.redact(text.as_bytes()).as_ref(), b"token=[REDACTED:github-pat]\n");
/// ```
#[derive(Clone, Debug)]
pub struct Scanner {
    inner: Arc<Inner>,
    /// Exact values redacted as `known:<NAME>` (see [`Scanner::with_known`]).
    known: Option<KnownSecrets>,
    fingerprinter: Fingerprinter,
    marker: Marker,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub rules: RuleSet,
    /// One slot per rule, then one per glued variant (`variants`): the
    /// engine's rule indices. Candidate indices past the slots are known
    /// values.
    pub compiled: Vec<RuleSlot>,
    pub variants: Vec<Variant>,
    pub prefilter: Prefilter,
    pub max_match_len: u64,
}

impl Inner {
    /// The rule that slot `slot` belongs to: itself, or for a glued
    /// variant its rule. Indices past the slots (known value `k` at
    /// `slots + k`) become `rules + k`, as [`Finding::rule_index`] has them.
    pub fn base_rule(&self, slot: usize) -> usize {
        let n = self.rules.rules().len();
        match slot.checked_sub(n) {
            None => slot,
            Some(v) if v < self.variants.len() => self.variants[v].base,
            Some(_) => slot - self.variants.len(),
        }
    }

    /// The rule (for a variant: the variant's own, cut pattern) of `slot`.
    pub fn slot_rule(&self, slot: usize) -> &Rule {
        let rules = self.rules.rules();
        rules
            .get(slot)
            .unwrap_or_else(|| &self.variants[slot - rules.len()].rule)
    }

    /// How candidate `c` ranks where findings overlap (see [`Rank`]).
    /// Indices past the slots are known values, which outrank every rule:
    /// the deployment knows its own secrets better than any pattern.
    pub fn rank(&self, c: &Candidate) -> Rank {
        let base = self.base_rule(c.rule);
        let priority = self
            .rules
            .rules()
            .get(base)
            .map_or(i32::MAX, |r| r.priority);
        (
            c.doubt.is_none(),
            priority,
            std::cmp::Reverse(base),
            std::cmp::Reverse(base != c.rule),
        )
    }
}

/// What the compiler derived about one rule's pattern: the facts that
/// decide how soon a stream can let bytes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleShape {
    /// The longest possible match, in bytes.
    pub max_len: u64,
    /// Every match provably begins with one of the rule's keywords, so a
    /// stream need hold back only a trailing partial keyword for it.
    pub starts_with_keyword: bool,
    /// A match can contain a newline, so a line cannot be let go while a
    /// match of this rule may be open across it.
    pub multiline: bool,
}

/// Builds a [`Scanner`] from the built-in pack and/or rule files.
///
/// By default, the built-in pack is included and no file is added.
#[derive(Clone, Debug)]
pub struct ScannerBuilder {
    builtin: bool,
    files: Vec<PathBuf>,
    texts: Vec<(String, String)>,
}

impl Default for ScannerBuilder {
    fn default() -> Self {
        ScannerBuilder {
            builtin: true,
            files: vec![],
            texts: vec![],
        }
    }
}

impl ScannerBuilder {
    /// Whether to include the built-in rules. By default, true.
    pub fn builtin(mut self, yes: bool) -> Self {
        self.builtin = yes;
        self
    }

    /// Adds a rule file, read when [`ScannerBuilder::build`] runs.
    pub fn rules_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push(path.into());
        self
    }

    /// Adds rules given as TOML text; `origin` names them in errors.
    pub fn rules_toml(mut self, origin: impl Into<String>, text: impl Into<String>) -> Self {
        self.texts.push((origin.into(), text.into()));
        self
    }

    /// Loads, validates and compiles every rule.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid rule file, or an invalid rule; the error
    /// names the file and the rule.
    pub fn build(self) -> Result<Scanner, Error> {
        let mut rules = if self.builtin {
            RuleSet::builtin()
        } else {
            RuleSet::new()
        };
        for path in &self.files {
            let mut set = RuleSet::new();
            set.add_file(path)?;
            rules.extend(set)?;
        }
        for (origin, text) in &self.texts {
            let mut set = RuleSet::new();
            set.add_toml(Origin(origin.clone()), text)?;
            rules.extend(set)?;
        }
        Scanner::new(rules)
    }
}

impl Scanner {
    /// A builder; by default it includes the built-in rules.
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// The scanner for the built-in rule pack, compiled once per process.
    pub fn builtin() -> Scanner {
        static BUILTIN: OnceLock<Scanner> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Scanner::new(RuleSet::builtin())
                    .expect("built-in rules compile (checked by the test suite)")
            })
            .clone()
    }

    /// Compiles `rules`.
    ///
    /// # Errors
    ///
    /// A rule whose pattern is invalid, unbounded, can match the empty
    /// string, or that has no keyword.
    ///
    /// # Cost
    ///
    /// Patterns are parsed and analysed now; the regex engines are built on
    /// first use (a scan pays only for the rules its input has keywords
    /// of), except those of large patterns from rule files or text, which
    /// are built now so that a pattern too large for the engine is an error
    /// here rather than at scan time.
    pub fn new(rules: RuleSet) -> Result<Scanner, Error> {
        let all = compile_all(rules.rules())?;
        let (compiled, variants) = (all.slots, all.variants);
        let slot_rules = rules.rules().iter().chain(variants.iter().map(|v| &v.rule));
        for (rule, c) in slot_rules.zip(&compiled) {
            if !rule.origin.is_builtin() && c.is_compiled() && !c.surely_builds {
                c.build_now(rule)?;
            }
        }
        let max_match_len = compiled.iter().map(|c| c.max_len_bound).max().unwrap_or(0);
        Ok(Scanner {
            inner: Arc::new(Inner {
                rules,
                compiled,
                variants,
                prefilter: all.prefilter,
                max_match_len,
            }),
            known: None,
            fingerprinter: Fingerprinter::plain(),
            marker: Marker::Label,
        })
    }

    /// The same scanner, also redacting the exact values in `known` (and
    /// their encodings) as `[REDACTED:known:<NAME>]`. Where a known value
    /// overlaps a rule's finding, the known label names the redaction.
    /// By default, a scanner knows no value.
    pub fn with_known(mut self, known: KnownSecrets) -> Scanner {
        self.known = (!known.is_empty()).then_some(known);
        self
    }

    /// The same scanner, computing fingerprints with `fingerprinter`. By
    /// default, plain SHA-256 prefixes.
    pub fn with_fingerprinter(mut self, fingerprinter: Fingerprinter) -> Scanner {
        self.fingerprinter = fingerprinter;
        self
    }

    /// The same scanner, writing redaction markers in `marker`'s style. By
    /// default, [`Marker::Label`].
    pub fn with_marker(mut self, marker: Marker) -> Scanner {
        self.marker = marker;
        self
    }

    /// The known values this scanner redacts, if any.
    pub fn known(&self) -> Option<&KnownSecrets> {
        self.known.as_ref()
    }

    /// How this scanner computes fingerprints.
    pub fn fingerprinter(&self) -> &Fingerprinter {
        &self.fingerprinter
    }

    /// The style of this scanner's redaction markers.
    pub fn marker(&self) -> Marker {
        self.marker
    }

    /// The label of candidate rule `rule`: a rule id, or for known values
    /// (indices past the rules) `known:NAME` from `known_labels`.
    pub(crate) fn label<'a>(&'a self, rule: usize, known_labels: &'a [Arc<str>]) -> &'a Arc<str> {
        let slots = self.inner.compiled.len();
        match rule.checked_sub(slots) {
            None => &self.inner.slot_rule(rule).id,
            Some(known) => &known_labels[known],
        }
    }

    /// The labels of this scanner's own known values, by entry index.
    pub(crate) fn known_labels(&self) -> Vec<Arc<str>> {
        self.known.as_ref().map_or(vec![], |k| {
            k.entries().iter().map(|e| e.label.clone()).collect()
        })
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        self.inner.rules.rules()
    }

    /// Builds every rule's regex engines now rather than on first use.
    ///
    /// # Errors
    ///
    /// A pattern that exceeds the regex engine's size limits, naming the
    /// rule and its file.
    pub fn build_all_now(&self) -> Result<(), Error> {
        for (slot, c) in self.inner.compiled.iter().enumerate() {
            c.build_now(self.inner.slot_rule(slot))?;
        }
        Ok(())
    }

    /// The position of the rule with id `id`, if the scanner has one.
    pub fn rule_index(&self, id: &str) -> Option<usize> {
        let rule = self.inner.rules.get(id)?;
        self.rules().iter().position(|r| std::ptr::eq(r, rule))
    }

    /// What the compiler derived about rule `index`'s pattern.
    ///
    /// # Panics
    ///
    /// When `index` is out of range.
    pub fn rule_shape(&self, index: usize) -> RuleShape {
        let c = &self.inner.compiled[index];
        RuleShape {
            max_len: c.max_len,
            starts_with_keyword: c.starts_with_keyword,
            multiline: c.alphabet.contains(b'\n'),
        }
    }

    /// The longest match any rule can produce, in bytes.
    pub fn max_match_len(&self) -> u64 {
        self.inner.max_match_len
    }

    /// Scans `haystack` whole and returns its findings, ordered by the
    /// secret's start.
    ///
    /// Cost: one pass of the keyword automaton over the input, plus regex
    /// work proportional to the merged windows around keyword hits.
    pub fn scan(&self, haystack: &[u8]) -> Vec<Finding> {
        let mut findings = vec![];
        self.scan_with(haystack, |f| findings.push(f), |_| {});
        findings
    }

    /// Scans `haystack` whole, calling `on_finding` for each finding and
    /// `on_redaction` for each redaction (ordered, disjoint).
    ///
    /// Allocates nothing when the input holds no keyword of any rule, so
    /// that a [`crate::Guard`] costs no allocation on clean text.
    pub(crate) fn scan_with(
        &self,
        haystack: &[u8],
        mut on_finding: impl FnMut(Finding),
        on_redaction: impl FnMut(Redaction),
    ) {
        let inner = &*self.inner;
        let mut candidates = vec![];
        if let Some(known) = &self.known {
            let n = inner.compiled.len();
            let mut from = 0;
            known.advance(&mut from, haystack, 0, true, |entry, span| {
                candidates.push(self.known_candidate(
                    n + entry,
                    &known.entries()[entry],
                    span,
                    haystack,
                    0,
                    false,
                ));
            });
        }
        // Cursors only for the rules with hits, found through a rule ->
        // cursor index sized on the first hit: a cursor is large (it has
        // room for a DFA cache), and making one per rule for every small
        // input (each blob of a git history) cost more than scanning it.
        // Nothing is allocated for text without hits (the guard promises so).
        const NONE: u32 = u32::MAX;
        let mut slot: Vec<u32> = Vec::new();
        let mut cursors: Vec<(usize, RuleCursor)> = Vec::new();
        inner.prefilter.for_each_hit(haystack, 0, 0, |rule, hit| {
            if slot.is_empty() {
                slot.resize(inner.compiled.len(), NONE);
            }
            if slot[rule] == NONE {
                slot[rule] = cursors.len() as u32;
                cursors.push((rule, RuleCursor::default()));
            }
            cursors[slot[rule] as usize].1.hits.push(hit);
        });
        if cursors.is_empty() && candidates.is_empty() {
            return;
        }
        let view = View {
            hay: haystack,
            base: 0,
            floor: 0,
            is_final: true,
            future_keyword_start: haystack.len() as u64,
        };
        cursors.sort_unstable_by_key(|(rule, _)| *rule);
        for (rule, cursor) in &mut cursors {
            let rule = *rule;
            cursor.hits.sort_unstable();
            advance_rule(&inner.compiled[rule], cursor, &view, |m| {
                if let Some(c) = self.candidate(rule, m, haystack, 0, false) {
                    candidates.push(c);
                }
            });
        }
        // The same incremental resolver as streams, fed everything at once:
        // one mechanism, so whole inputs and streams cannot drift apart.
        candidates.sort_by_key(|c| (c.secret.start, c.secret.end, c.rule));
        let mut lines = LineCounter::default();
        let mut resolver = Resolver::default();
        let mut on_redaction = on_redaction;
        let labels = self.known_labels();
        for (n, c) in candidates.iter().enumerate() {
            resolver.fold(
                c,
                &candidates[n + 1..],
                |c| inner.rank(c),
                |c| on_finding(self.finding(c, &labels, &mut lines, haystack, 0)),
                &mut on_redaction,
            );
        }
        resolver.close_before(u64::MAX, on_redaction);
    }

    /// Validates a raw match into a candidate; `hay[0]` is at `base`.
    pub(crate) fn candidate(
        &self,
        rule: usize,
        m: RawMatch,
        hay: &[u8],
        base: u64,
        keep_value: bool,
    ) -> Option<Candidate> {
        let secret = &hay[(m.secret.start - base) as usize..(m.secret.end - base) as usize];
        let name = &hay[(m.span.start.max(base) - base) as usize..(m.secret.start - base) as usize];
        let verdict = self.inner.compiled[rule].judge(name, secret)?;
        Some(Candidate {
            rule,
            span: m.span,
            secret: m.secret,
            fingerprint: self.fingerprinter.of(secret),
            preview: masked_preview(secret),
            confidence: verdict.confidence,
            validation: verdict.validation,
            doubt: verdict.doubt,
            line: 0,
            column: 0,
            value: keep_value.then(|| secret.into()),
            token: TokenFacts::of(&self.inner.slot_rule(rule).id, secret).map(Box::new),
        })
    }

    /// A candidate for an occurrence of known value `entry` (or one of its
    /// encodings) at `span`, labelled `rule` (an index past the rules). Its
    /// fingerprint is the value's, whatever the encoding, so it can be
    /// compared with `secretscan fingerprint`.
    pub(crate) fn known_candidate(
        &self,
        rule: usize,
        entry: &Entry,
        span: Range<u64>,
        hay: &[u8],
        base: u64,
        keep_value: bool,
    ) -> Candidate {
        let found = &hay[(span.start - base) as usize..(span.end - base) as usize];
        Candidate {
            rule,
            span: span.clone(),
            secret: span,
            fingerprint: self.fingerprinter.of(entry.value()),
            preview: masked_preview(found),
            confidence: Confidence::High,
            validation: None,
            doubt: None,
            line: 0,
            column: 0,
            value: keep_value.then(|| found.into()),
            token: None,
        }
    }

    pub(crate) fn finding(
        &self,
        c: &Candidate,
        known_labels: &[Arc<str>],
        lines: &mut LineCounter,
        hay: &[u8],
        base: u64,
    ) -> Finding {
        let (line, column) = if c.line > 0 {
            (c.line, c.column)
        } else {
            lines.locate(hay, base, c.secret.start)
        };
        Finding {
            rule_id: self.label(c.rule, known_labels).clone(),
            rule_index: self.inner.base_rule(c.rule),
            span: c.span.clone(),
            secret: c.secret.clone(),
            line,
            column,
            fingerprint: c.fingerprint,
            preview: c.preview.clone(),
            confidence: c.confidence,
            validation: c.validation,
            doubt: c.doubt,
            value: c.value.clone(),
            token: c.token.clone(),
        }
    }
}

/// The number of `\n` bytes in `hay`.
///
/// Cost: a SIMD count (`bytecount`, AVX2 where the CPU has it), a small
/// fraction of an instruction per byte. (Counting with `memchr_iter` costs
/// a call per line, which on source code, with a line every 30-40 bytes,
/// is several instructions per byte.)
pub(crate) fn count_newlines(hay: &[u8]) -> usize {
    bytecount::count(hay, b'\n')
}

/// Turns absolute offsets into 1-based line and column numbers, counting
/// newlines incrementally: each question costs a pass over the bytes
/// between it and the one before, in either direction.
#[derive(Clone, Debug, Default)]
pub(crate) struct LineCounter {
    /// Newlines before the buffer's first byte.
    base_newlines: u64,
    /// Absolute offset of the start of the line holding the buffer's first byte.
    base_line_start: u64,
    /// A cached point at or after the buffer's start: offset, newlines
    /// before it, start of its line.
    pos: u64,
    newlines: u64,
    line_start: u64,
}

impl LineCounter {
    /// A counter whose buffer starts at absolute offset `at`, with
    /// `newlines` newlines before it and its line starting at `line_start`.
    pub fn starting_at(at: u64, newlines: u64, line_start: u64) -> LineCounter {
        LineCounter {
            base_newlines: newlines,
            base_line_start: line_start,
            pos: at,
            newlines,
            line_start,
        }
    }

    /// Accounts for the bytes `[base, new_base)` that are about to be dropped
    /// from the front of the buffer (`hay[0]` is at `base`).
    pub fn drop_front(&mut self, hay: &[u8], base: u64, new_base: u64) {
        self.seek(hay, base, new_base);
        self.base_newlines = self.newlines;
        self.base_line_start = self.line_start;
    }

    /// Line and column of absolute offset `at` (not before the buffer start).
    pub fn locate(&mut self, hay: &[u8], base: u64, at: u64) -> (u64, u64) {
        self.seek(hay, base, at);
        (self.newlines + 1, at - self.line_start + 1)
    }

    fn seek(&mut self, hay: &[u8], base: u64, at: u64) {
        debug_assert!(at >= base, "offset {at} is before the buffer start {base}");
        if self.pos < base {
            self.pos = base;
            self.newlines = self.base_newlines;
            self.line_start = self.base_line_start;
        }
        let (pos, to) = ((self.pos - base) as usize, (at - base) as usize);
        if to >= pos {
            let skipped = &hay[pos..to];
            if let Some(last) = memchr::memrchr(b'\n', skipped) {
                self.newlines += count_newlines(skipped) as u64;
                self.line_start = base + (pos + last) as u64 + 1;
            }
        } else {
            // Backwards (findings of different rules arrive out of order):
            // uncount what lies between, rather than recount from the
            // buffer's start.
            self.newlines -= count_newlines(&hay[to..pos]) as u64;
            self.line_start = match memchr::memrchr(b'\n', &hay[..to]) {
                Some(last) => base + last as u64 + 1,
                None => self.base_line_start,
            };
        }
        self.pos = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_newlines_counts_every_newline() {
        let mut seed = 7u64;
        for len in (0..300).chain([255 * 32 - 1, 255 * 32, 255 * 32 + 1, 3 * 255 * 32 + 5]) {
            // Dense enough that a u8 lane would overflow without blocks.
            let hay: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    if seed >> 62 == 0 {
                        b'x'
                    } else {
                        b'\n'
                    }
                })
                .collect();
            let want = hay.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(count_newlines(&hay), want, "len {len}");
        }
    }
}
