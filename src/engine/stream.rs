//! Streaming: chunks in, findings out with absolute offsets, bounded memory.
//!
//! [`StreamCore`] owns the roll buffer. Each push appends the chunk, runs the
//! keyword automaton over the new bytes (plus the few bytes a keyword could
//! straddle), advances only the rules with pending keyword hits, and computes
//! the *frontier*: the earliest offset at which a match not yet reported
//! could still start. Candidates whose overlap component ends at or before
//! the frontier are final; bytes before the frontier (and before any open
//! component) can never become part of a secret and may be emitted.
//!
//! # Memory usage
//!
//! The buffer holds the bytes from the frontier (less one byte of
//! look-behind) to the end, plus, for a redactor, the bytes not yet written.
//! The frontier trails the end by at most the longest rule's `max_len` plus
//! one byte, so memory is bounded by that plus the largest chunk pushed
//! (twice that at most: dropped bytes are reclaimed in batches, see
//! [`StreamCore::trim`]).
//!
//! # Cost per push
//!
//! Besides the keyword automaton's pass over the new bytes, a push costs a
//! constant amount of bookkeeping plus work proportional to the rules with
//! pending hits: nothing is copied or rescanned per push but the new bytes,
//! so a token stream (writes of a few bytes) stays cheap.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::engine::analysis::ByteSet;
use crate::engine::finding::{Candidate, Finding, Redaction, Resolver};
use crate::engine::keywords::KeywordDfa;
use crate::engine::matcher::{advance_rule, RuleCursor, View};
use crate::engine::prefilter::Hit;
use crate::engine::scanner::{LineCounter, Scanner};
use crate::rotation::known::KnownSecrets;

/// Dropped bytes are reclaimed once there are at least this many (and more
/// than the live ones): small enough to keep memory near the live bytes,
/// large enough that a token stream rarely moves them.
const COMPACT_MIN: usize = 4096;

/// The shared streaming engine behind [`StreamScanner`] and
/// [`crate::RedactWriter`].
#[derive(Debug)]
pub(crate) struct StreamCore {
    scanner: Scanner,
    /// Buffered bytes from `head` on; `buf[head]` is at absolute offset
    /// `base`. The bytes before `head` are dropped, and reclaimed in
    /// batches (see [`StreamCore::trim`]).
    buf: Vec<u8>,
    head: usize,
    pub base: u64,
    /// No unreported match starts before this offset.
    frontier: u64,
    /// Per rule, made on its first keyword hit: most inputs wake few of
    /// the pack's rules, and a cursor per rule per input cost more than
    /// scanning a small file.
    cursors: Vec<Option<Box<RuleCursor>>>,
    /// Rules with pending keyword hits.
    active: Vec<usize>,
    /// Validated candidates whose component may still grow.
    pending: Vec<Candidate>,
    /// Final findings not yet taken by the front end (a redactor takes
    /// none, so it does not collect them: memory stays bounded).
    pub findings: Vec<Finding>,
    collect_findings: bool,
    /// Final redactions not yet applied by the front end, in order (kept
    /// only for a redactor).
    pub redactions: VecDeque<Redaction>,
    /// Bytes before this offset are settled: no secret can still cover them.
    pub settled: u64,
    /// The front end still needs the bytes from this offset (a redactor's
    /// unwritten output); `u64::MAX` when it needs none.
    pub keep_from: u64,
    lines: LineCounter,
    resolver: Resolver,
    /// The keyword DFA's state after the last byte pushed.
    keyword_state: u32,
    /// Keep each secret's bytes on its finding.
    pub keep_values: bool,
    finished: bool,
    idle_bounds: IdleBounds,
    /// The known values searched for, and the next start they decide.
    known: Option<KnownSecrets>,
    known_from: u64,
    /// Labels of every known value this stream has held, by label index
    /// (candidates carry `rules + label index`): a swap of the set never
    /// renames a candidate found before it.
    known_labels: Vec<Arc<str>>,
    /// The current set's entry index -> label index.
    known_map: Vec<usize>,
}

/// The longest `max_len` and the union of the alphabets of the rules whose
/// matches do not begin at a keyword: bounds the frontier of all such rules
/// that have no pending hit at once, however many rules there are.
#[derive(Debug, Clone, Copy, Default)]
struct IdleBounds {
    max_len: u64,
    alphabet: ByteSet,
}

impl StreamCore {
    pub fn new(scanner: Scanner, keep_output: bool) -> StreamCore {
        let mut idle_bounds = IdleBounds::default();
        for rule in &scanner.inner().compiled {
            // Keyword-led rules (deferred ones among them) are not read.
            if !rule.starts_with_keyword {
                idle_bounds.max_len = idle_bounds.max_len.max(rule.max_len);
                idle_bounds.alphabet.union(&rule.alphabet);
            }
        }
        let n = scanner.inner().compiled.len();
        let known = scanner.known().cloned();
        let known_labels = scanner.known_labels();
        let known_map = (0..known_labels.len()).collect();
        StreamCore {
            scanner,
            buf: Vec::new(),
            head: 0,
            base: 0,
            frontier: 0,
            cursors: vec![None; n],
            active: vec![],
            pending: vec![],
            findings: vec![],
            collect_findings: !keep_output,
            redactions: VecDeque::new(),
            settled: 0,
            keep_from: if keep_output { 0 } else { u64::MAX },
            lines: LineCounter::default(),
            resolver: Resolver::default(),
            keyword_state: KeywordDfa::START,
            keep_values: false,
            finished: false,
            idle_bounds,
            known,
            known_from: 0,
            known_labels,
            known_map,
        }
    }

    /// A stream that goes on with an input at absolute offset `at`, a
    /// point that no match of any rule spans (see [`crate::engine::parallel`]):
    /// `look_behind` holds the bytes just before it, `newlines` counts the
    /// newlines before `at`, and its line starts at `line_start`.
    pub fn resume(
        scanner: Scanner,
        look_behind: &[u8],
        at: u64,
        newlines: u64,
        line_start: u64,
    ) -> StreamCore {
        let mut core = StreamCore::new(scanner, false);
        let base = at - look_behind.len() as u64;
        let inner_newlines = crate::engine::scanner::count_newlines(look_behind) as u64;
        // The start of the look-behind's own line is only needed to locate
        // a byte in it, which never happens: nothing starts before `at`.
        core.lines =
            LineCounter::starting_at(base, newlines - inner_newlines, line_start.min(base));
        core.buf.extend_from_slice(look_behind);
        core.base = base;
        core.frontier = at;
        core.settled = at;
        core.known_from = at;
        let prefilter = &core.scanner.inner().prefilter;
        core.keyword_state = prefilter
            .dfa()
            .feed(KeywordDfa::START, look_behind, |_, _| {});
        core
    }

    /// Swaps the known values (see [`crate::RedactWriter::set_known`]).
    pub fn set_known(&mut self, known: KnownSecrets) {
        // No candidate can start before the frontier, so the new set decides
        // every start from there; what the old set found from there is
        // dropped, or it would be reported twice.
        let from = self.frontier;
        let rules = self.scanner.inner().compiled.len();
        self.pending
            .retain(|c| c.rule < rules || c.secret.start < from);
        self.known_map.clear();
        for e in known.entries() {
            let at = match self.known_labels.iter().position(|l| *l == e.label) {
                Some(at) => at,
                None => {
                    self.known_labels.push(e.label.clone());
                    self.known_labels.len() - 1
                }
            };
            self.known_map.push(at);
        }
        self.known = (!known.is_empty()).then_some(known);
        self.known_from = from;
    }

    /// Whether [`StreamCore::finish`] ran.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Absolute offset one past the last byte pushed.
    pub fn end(&self) -> u64 {
        self.base + (self.buf.len() - self.head) as u64
    }

    /// What a redactor needs to write its output, borrowed at once: the
    /// buffered bytes and the absolute offset of the first, the final
    /// redactions not yet applied, the scanner and the known labels.
    pub fn output_parts(
        &mut self,
    ) -> (&[u8], u64, &mut VecDeque<Redaction>, &Scanner, &[Arc<str>]) {
        (
            &self.buf[self.head..],
            self.base,
            &mut self.redactions,
            &self.scanner,
            &self.known_labels,
        )
    }

    /// The buffered bytes; the first is at absolute offset `base`.
    pub fn hay(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    /// Appends `data` and settles what can be settled.
    pub fn push(&mut self, data: &[u8]) {
        assert!(!self.finished, "push after finish");
        if data.is_empty() {
            return;
        }
        self.trim();
        let old_len = self.buf.len() - self.head;
        self.buf.extend_from_slice(data);
        let inner = self.scanner.inner();
        let prefilter = &inner.prefilter;
        let overlap = prefilter.max_keyword_len().saturating_sub(1);
        let (cursors, active) = (&mut self.cursors, &mut self.active);
        let mut add = |rule: usize, hit: Hit| {
            let hits = &mut cursors[rule].get_or_insert_with(Box::default).hits;
            if hits.is_empty() {
                active.push(rule);
            }
            // Hits arrive ordered by end; keep each list ordered by start
            // (almost always an append: one comparison).
            if hits.last().map_or(true, |last| *last <= hit) {
                hits.push(hit);
            } else {
                let at = hits.partition_point(|h| *h <= hit);
                hits.insert(at, hit);
            }
        };
        if data.len() <= overlap {
            // A small write: step the resumable DFA over the new bytes only.
            let start = self.base + old_len as u64;
            self.keyword_state = prefilter.dfa().feed(self.keyword_state, data, |p, end| {
                prefilter.on_pattern(p, start + end as u64, &mut add)
            });
        } else {
            // A large write: the main automaton over the new bytes and the
            // few before them that a keyword could straddle, reporting only
            // new hits; then resume the DFA from the tail.
            let hay = &self.buf[self.head..];
            let from = old_len.saturating_sub(overlap);
            prefilter.for_each_hit(&hay[from..], self.base + from as u64, old_len - from, add);
            let tail = &hay[hay.len() - overlap..];
            self.keyword_state = prefilter.dfa().feed(KeywordDfa::START, tail, |_, _| {});
        }
        if self.quiet() {
            self.advance_idle();
        } else {
            self.process(false);
        }
    }

    /// Whether nothing but the idle bound can hold bytes back: no rule has
    /// a pending hit, no candidate or redaction is undecided, and no known
    /// value is searched for.
    fn quiet(&self) -> bool {
        self.active.is_empty()
            && self.pending.is_empty()
            && self.known.is_none()
            && self.resolver.open_span().is_none()
    }

    /// [`StreamCore::process`] when [`StreamCore::quiet`]: only the idle
    /// frontier moves, and everything before it is settled. The common case
    /// of a token stream, so it skips the general bookkeeping.
    fn advance_idle(&mut self) {
        let frontier = self.idle_frontier(&self.view(false));
        debug_assert!(frontier >= self.frontier, "the frontier never moves back");
        self.frontier = frontier;
        self.settled = self.settled.max(frontier);
    }

    /// The buffered bytes as the matcher sees them; a keyword can still
    /// begin at the trailing partial keyword.
    fn view(&self, is_final: bool) -> View<'_> {
        let partial = self
            .scanner
            .inner()
            .prefilter
            .dfa()
            .partial_len(self.keyword_state) as u64;
        View {
            hay: &self.buf[self.head..],
            base: self.base,
            floor: self.frontier,
            is_final,
            future_keyword_start: self.end() - partial,
        }
    }

    /// Declares the end of input and settles everything.
    pub fn finish(&mut self) {
        if !self.finished {
            self.process(true);
            self.finished = true;
        }
    }

    /// Marks the stream finished without settling what is held back.
    pub fn finish_without_output(&mut self) {
        self.finished = true;
    }

    fn process(&mut self, is_final: bool) {
        let end = self.end();
        let mut frontier = if is_final {
            end
        } else {
            self.idle_frontier(&self.view(false))
        };
        // Disjoint borrows of the fields, so that the scanner need not be
        // cloned (an atomic increment and decrement) on every push.
        let StreamCore {
            scanner,
            buf,
            head,
            base,
            frontier: floor,
            cursors,
            active,
            pending,
            lines,
            keyword_state,
            keep_values,
            collect_findings,
            known,
            known_from,
            known_map,
            ..
        } = self;
        let inner = scanner.inner();
        let partial = inner.prefilter.dfa().partial_len(*keyword_state) as u64;
        let view = View {
            hay: &buf[*head..],
            base: *base,
            floor: *floor,
            is_final,
            future_keyword_start: end - partial,
        };
        let keep_values = *keep_values;
        // Line numbers are for findings; a redactor reports none.
        let lines = collect_findings.then_some(lines);
        let mut lines = lines;
        if let Some(known) = known {
            let rules = inner.compiled.len();
            let map = &*known_map;
            let f = known.advance(known_from, view.hay, view.base, is_final, |entry, span| {
                let mut c = scanner.known_candidate(
                    rules + map[entry],
                    &known.entries()[entry],
                    span,
                    view.hay,
                    view.base,
                    keep_values,
                );
                if let Some(lines) = lines.as_deref_mut() {
                    (c.line, c.column) = lines.locate(view.hay, view.base, c.secret.start);
                }
                pending.push(c);
            });
            frontier = frontier.min(f);
        }
        active.retain(|&rule| {
            let cursor = cursors[rule]
                .as_deref_mut()
                .expect("an active rule has had a hit, so a cursor");
            let f = advance_rule(&inner.compiled[rule], cursor, &view, |m| {
                if let Some(mut c) = scanner.candidate(rule, m, view.hay, view.base, keep_values) {
                    if let Some(lines) = lines.as_deref_mut() {
                        (c.line, c.column) = lines.locate(view.hay, view.base, c.secret.start);
                    }
                    pending.push(c);
                }
            });
            frontier = frontier.min(f);
            if cursor.hits.is_empty() {
                // Idle rules are bounded by `idle_frontier`; a wait recorded
                // now would be stale when the next hit wakes the rule.
                cursor.wait = None;
                return false;
            }
            true
        });
        debug_assert!(frontier >= *floor, "the frontier never moves back");
        *floor = frontier;
        self.settle_components(frontier);
    }

    /// A lower bound on the frontier of every rule without pending hits.
    fn idle_frontier(&self, view: &View<'_>) -> u64 {
        // Rules whose matches begin at a keyword: the next keyword can begin
        // no earlier than the trailing partial keyword.
        let mut f = view.future_keyword_start;
        if self.idle_bounds.max_len > 0 {
            f = f.min(view.unsettled_from(
                self.idle_bounds.max_len,
                &self.idle_bounds.alphabet,
                self.frontier,
            ));
        }
        f.max(self.frontier)
    }

    /// Folds every candidate that can no longer be overlapped by one still
    /// to come (its secret ends by `frontier`), in order, into findings and
    /// redactions, and advances `settled`.
    fn settle_components(&mut self, frontier: u64) {
        let inner = self.scanner.inner();
        if self.pending.len() > 1 {
            self.pending
                .sort_by_key(|c| (c.secret.start, c.secret.end, c.rule));
        }
        // Only a sorted prefix may be folded: a candidate after an undecided
        // one could otherwise be reported out of order.
        let decided = self
            .pending
            .iter()
            .take_while(|c| c.secret.end <= frontier)
            .count();
        let collect = self.collect_findings;
        let (findings, redactions, lines) =
            (&mut self.findings, &mut self.redactions, &mut self.lines);
        let mut on_redaction = |r: Redaction| {
            if !collect {
                redactions.push_back(r)
            }
        };
        for n in 0..decided {
            let (c, later) = (&self.pending[n], &self.pending[n + 1..]);
            self.resolver.fold(
                c,
                later,
                |c| inner.rank(c),
                |c| {
                    if collect {
                        findings.push(self.scanner.finding(
                            c,
                            &self.known_labels,
                            lines,
                            &self.buf[self.head..],
                            self.base,
                        ))
                    }
                },
                &mut on_redaction,
            );
        }
        self.pending.drain(..decided);
        // Candidates still to come start at the frontier or at a pending one.
        let next_start = self
            .pending
            .first()
            .map_or(frontier, |c| c.secret.start.min(frontier));
        self.resolver.close_before(next_start, &mut on_redaction);
        let open_start = self.resolver.open_span().map(|s| s.start);
        self.settled = open_start
            .map_or(next_start, |s| s.min(next_start))
            .max(self.settled);
    }

    /// Drops the bytes nobody needs any more: those before the frontier
    /// (less one byte of look-behind context) that the front end has also
    /// written out. Pending candidates already hold their fingerprint,
    /// preview and line, so they need no bytes.
    ///
    /// Dropping only moves `head`; the space is reclaimed (the live bytes
    /// moved to the front) once the dropped bytes outnumber the live ones
    /// and a few KiB, so each byte is moved O(1) times on average instead of
    /// the whole held-back tail being moved on every push.
    fn trim(&mut self) {
        let mut needed = self.keep_from;
        if let Some(open) = self.resolver.open_span() {
            // Written up to an open redaction: the bytes it covers are never
            // written, so a long chain of overlapping secrets costs no memory.
            if needed >= open.start {
                needed = needed.max(open.end);
            }
        }
        let keep = self.frontier.saturating_sub(1).min(needed);
        if keep <= self.base {
            return;
        }
        let n = (keep - self.base) as usize;
        if self.collect_findings {
            self.lines
                .drop_front(&self.buf[self.head..], self.base, keep);
        }
        self.head += n;
        self.base = keep;
        let live = self.buf.len() - self.head;
        if self.head >= COMPACT_MIN && self.head >= live {
            self.buf.drain(..self.head);
            self.head = 0;
        }
    }
}

impl Scanner {
    /// A stream scanner: push chunks, get findings with absolute offsets.
    pub fn stream(&self) -> StreamScanner {
        StreamScanner::new(self.clone())
    }
}

/// Scans a stream pushed in chunks of any size; findings carry absolute
/// offsets and equal those of scanning the concatenated input whole.
///
/// ```
/// let scanner = secretscan::Scanner::builtin();
/// let mut stream = scanner.stream();
/// let mut findings = vec![];
/// // A GitHub token: 30 random characters and their checksum.
/// let token = secretscan::validate::checksummed_token("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
/// for chunk in format!("log: {token} end\n").as_bytes().chunks(3) {
///     findings.extend(stream.push(chunk));
/// }
/// findings.extend(stream.finish());
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].secret, 5..45);
/// ```
///
/// # Memory usage
///
/// Bounded by the longest rule's maximum match length plus the largest
/// chunk pushed, however long the stream.
#[derive(Debug)]
pub struct StreamScanner {
    core: StreamCore,
}

impl StreamScanner {
    /// A stream scanner over `scanner`'s rules.
    pub fn new(scanner: Scanner) -> StreamScanner {
        StreamScanner {
            core: StreamCore::new(scanner, false),
        }
    }

    /// A stream resumed at `at` (see `StreamCore::resume`).
    pub(crate) fn resume(
        scanner: Scanner,
        look_behind: &[u8],
        at: u64,
        newlines: u64,
        line_start: u64,
    ) -> StreamScanner {
        StreamScanner {
            core: StreamCore::resume(scanner, look_behind, at, newlines, line_start),
        }
    }

    /// Pushes the next chunk and returns the findings it settled.
    ///
    /// # Panics
    ///
    /// After [`StreamScanner::finish`].
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Finding> {
        self.core.push(chunk);
        std::mem::take(&mut self.core.findings)
    }

    /// Ends the stream and returns the remaining findings. Calling it again
    /// returns nothing.
    pub fn finish(&mut self) -> Vec<Finding> {
        self.core.finish();
        std::mem::take(&mut self.core.findings)
    }

    /// Whether findings carry the secret's bytes in [`Finding::value`]. By
    /// default, false: findings hold only a fingerprint and a masked preview.
    /// Turn it on only to show secrets to a user who asked for them.
    pub fn capture_secrets(&mut self, yes: bool) {
        self.core.keep_values = yes;
    }

    /// Replaces the known values searched for from here on (see
    /// [`crate::RedactWriter::set_known`]).
    pub fn set_known(&mut self, known: KnownSecrets) {
        self.core.set_known(known);
    }

    /// Bytes pushed so far.
    pub fn offset(&self) -> u64 {
        self.core.end()
    }

    /// Bytes currently buffered (for memory accounting and tests).
    pub fn buffered(&self) -> usize {
        self.core.hay().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> Scanner {
        Scanner::builder()
            .builtin(false)
            .rules_toml(
                "t.toml",
                "[[rules]]\nid = \"tok\"\nname = \"t\"\npattern = 'tok_[a-z]{8}'\nkeywords = [\"tok_\"]\n",
            )
            .build()
            .unwrap()
    }

    /// Regression: each front end used to leave the other's output queued,
    /// so memory grew with the number of secrets on an endless stream.
    #[test]
    fn front_ends_queue_only_what_they_take() {
        let line = b"x tok_abcdefgh y\n".repeat(1000);
        let mut scan = StreamCore::new(scanner(), false);
        let mut redact = StreamCore::new(scanner(), true);
        for core in [&mut scan, &mut redact] {
            core.push(&line);
        }
        assert_eq!(scan.findings.len(), 1000);
        assert!(scan.redactions.is_empty());
        assert!(redact.findings.is_empty());
        assert_eq!(redact.redactions.len(), 1000);
    }

    #[test]
    fn buffer_stays_bounded_on_a_long_line() {
        let mut core = StreamCore::new(scanner(), false);
        let chunk = b"zz tok_abcdefgh tok_".repeat(50);
        for _ in 0..1000 {
            core.push(&chunk);
            assert!(core.hay().len() <= chunk.len() + 16, "{}", core.hay().len());
            core.findings.clear();
        }
    }
}
