//! Scanning one large input on all cores: the input is cut into chunks at
//! *safe points*, each chunk is scanned on its own (in parallel, on the
//! current rayon pool), and the chunks' findings are joined in order.
//!
//! ```
//! let scanner = secretscan::Scanner::builtin();
//! // A GitHub token: 30 random characters and their checksum.
//! let token = secretscan::validate::checksummed_token("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
//! let text = format!("x\n{token}\n").repeat(1000);
//! // Tiny chunks for the example; real inputs use `DEFAULT_CHUNK_LEN`.
//! assert_eq!(scanner.scan_parallel(text.as_bytes(), 4096), scanner.scan(text.as_bytes()));
//! ```
//!
//! # Why the result is exact
//!
//! Every match of a rule contains one of the rule's keyword hits and lies
//! inside that hit's *candidate window* (see the matcher: `[ks + 1 -
//! max_len, ks + max_len)`, or `[ks, ks + max_len)` when matches begin at
//! a keyword). A split point that no window of any rule touches (closed
//! intervals, so that two windows meeting there are not merged across it
//! either) can lie inside no match, no secret and no group of overlapping
//! findings; each rule's leftmost-first iteration then runs over the
//! windows on either side independently, and priority resolution has
//! nothing to resolve across it. So a chunk between two safe points,
//! scanned with the whole buffer as regex context (look-behind and
//! look-ahead see the real neighbouring bytes), yields exactly the
//! findings a whole scan yields there. Near each nominal boundary (every
//! `chunk_len` bytes) the first safe point is searched for by running the
//! keyword prefilter over the stretch that could hold hits whose windows
//! reach it; where keyword hits are so dense that no safe point exists
//! within half a chunk, the two chunks are scanned as one.
//!
//! Line and column numbers are counted per chunk and shifted by the
//! newlines of the chunks before it, so they too equal a whole scan's.
//!
//! Inputs scanned with known values ([`Scanner::with_known`]) are scanned
//! sequentially: a known value's occurrences are not tied to keyword
//! windows.

use std::ops::Range;

use rayon::prelude::*;

use crate::engine::finding::{Finding, Resolver};
use crate::engine::matcher::{advance_rule, RuleCursor, View};
use crate::engine::scanner::{LineCounter, Scanner};
use crate::engine::stream::StreamScanner;

/// By default, chunks of this many bytes: large enough that searching for
/// a safe point (a few KiB of prefilter work) costs nothing in comparison,
/// small enough that a few hundred MiB keep every core busy.
pub const DEFAULT_CHUNK_LEN: usize = 4 << 20;

/// Bytes kept before a chunk's start: the look-behind that the prefilter's
/// word-boundary filter and the regexes' assertions read (one byte: rules
/// are compiled without Unicode classes).
const LOOK_BEHIND: u64 = 1;

/// A safe point is first searched for this far past its nominal place;
/// only where keyword hits are that dense is the search widened.
const NEAR: u64 = 64 * 1024;

/// The findings of one chunk, with lines counted from the chunk's start
/// (line 1; columns of line 1 from the chunk's first byte).
struct Chunk {
    start: u64,
    findings: Vec<Finding>,
    newlines: u64,
    /// Absolute offset of the chunk's last newline.
    last_newline: Option<u64>,
}

/// Line accounting at a safe point: newlines before it and the start of
/// the line that holds it.
#[derive(Clone, Copy, Debug, Default)]
struct LineState {
    newlines: u64,
    line_start: u64,
}

impl LineState {
    /// Turns a chunk's local line numbers into absolute ones, and moves
    /// past the chunk.
    fn place(&mut self, chunk: Chunk, out: &mut Vec<Finding>) {
        for mut f in chunk.findings {
            if f.line == 1 {
                f.column += chunk.start - self.line_start;
            }
            f.line += self.newlines;
            out.push(f);
        }
        self.newlines += chunk.newlines;
        if let Some(at) = chunk.last_newline {
            self.line_start = at + 1;
        }
    }
}

impl Scanner {
    /// Scans `haystack` whole, cut into chunks of about `chunk_len` bytes
    /// that are scanned in parallel on the current rayon pool; returns
    /// exactly what [`Scanner::scan`] returns (see the [`crate::engine::parallel`]
    /// module docs for why).
    ///
    /// Cost: the work of a whole scan, spread over the pool, plus a
    /// prefilter pass over a few KiB around each chunk boundary (more
    /// where keyword hits are dense there). A scanner with known values
    /// scans sequentially.
    pub fn scan_parallel(&self, haystack: &[u8], chunk_len: usize) -> Vec<Finding> {
        if self.known().is_some() {
            return self.scan(haystack);
        }
        let mut lines = LineState::default();
        let (found, _) = scan_from(self, haystack, 0, 0, true, chunk_len, false, &mut lines);
        found
    }

    /// A stream scanned in parallel blocks: see [`ParallelStream`].
    pub fn parallel_stream(&self, chunk_len: usize) -> ParallelStream {
        ParallelStream::new(self.clone(), chunk_len)
    }
}

/// The first offset in `[at, at + bound]`, and before the end of `hay`,
/// that no candidate window of any rule covers; `hay[0]` is at `base` and
/// `hay` must hold `max_match_len + max keyword length + 1` bytes past
/// `at + bound` unless it ends the input. Windows are taken from every
/// keyword hit that the prefilter reports around `at` (hits cut off at the
/// start of the stretch only add windows, which is safe).
fn safe_point(scanner: &Scanner, hay: &[u8], base: u64, at: u64, bound: u64) -> Option<u64> {
    let inner = scanner.inner();
    let end = base + hay.len() as u64;
    let last = (at + bound).min(end.checked_sub(1)?);
    if at > last {
        return None;
    }
    let reach = inner.max_match_len;
    // A window covering x in [at, last] belongs to a hit starting in
    // [x - reach, x + reach).
    let from = at.saturating_sub(reach + LOOK_BEHIND).max(base);
    let to = (last + reach + inner.prefilter.max_keyword_len() as u64 + 1).min(end);
    let mut windows: Vec<(u64, u64)> = vec![];
    let local = |abs: u64| (abs - base) as usize;
    inner
        .prefilter
        .for_each_hit(&hay[local(from)..local(to)], from, 0, |rule, hit| {
            let r = &inner.compiled[rule];
            let a = if r.starts_with_keyword {
                hit.start
            } else {
                (hit.start + 1).saturating_sub(r.max_len)
            };
            windows.push((a, hit.start + r.max_len));
        });
    windows.sort_unstable();
    let mut x = at;
    for (a, b) in windows {
        if a > x {
            break;
        }
        if b >= x {
            x = b + 1;
            if x > last {
                return None;
            }
        }
    }
    Some(x)
}

/// Scans chunk `range` of `hay` (`hay[0]` at `base`), whose ends are safe
/// points or the ends of the input, as a whole scan would see it.
fn scan_chunk(scanner: &Scanner, hay: &[u8], base: u64, range: Range<u64>, capture: bool) -> Chunk {
    let inner = scanner.inner();
    let end = base + hay.len() as u64;
    let local = |abs: u64| (abs - base) as usize;
    // The prefilter sees the bytes around the chunk that its filters read,
    // so it reports exactly the hits a whole scan reports in the chunk.
    let from = range.start.saturating_sub(LOOK_BEHIND).max(base);
    let to = (range.end + inner.prefilter.max_keyword_len() as u64 + 1).min(end);
    let mut cursors: Vec<RuleCursor> = Vec::new();
    let mut touched: Vec<usize> = vec![];
    inner
        .prefilter
        .for_each_hit(&hay[local(from)..local(to)], from, 0, |rule, hit| {
            if hit.start < range.start || hit.start >= range.end {
                return;
            }
            if cursors.is_empty() {
                cursors.resize(inner.compiled.len(), RuleCursor::default());
            }
            let hits = &mut cursors[rule].hits;
            if hits.is_empty() {
                touched.push(rule);
            }
            hits.push(hit);
        });
    let own = &hay[local(range.start)..local(range.end)];
    let newlines = crate::engine::scanner::count_newlines(own) as u64;
    let last_newline = memchr::memrchr(b'\n', own).map(|i| range.start + i as u64);
    let mut chunk = Chunk {
        start: range.start,
        findings: vec![],
        newlines,
        last_newline,
    };
    if touched.is_empty() {
        return chunk;
    }
    // The whole buffer is the regex's haystack: assertions at a window's
    // edges read the real neighbouring bytes. No window reaches past the
    // chunk, so the searches stay inside it.
    let view = View {
        hay,
        base,
        floor: range.start,
        is_final: true,
        future_keyword_start: end,
    };
    touched.sort_unstable();
    let mut candidates = vec![];
    for &rule in &touched {
        let cursor = &mut cursors[rule];
        cursor.hits.sort_unstable();
        advance_rule(&inner.compiled[rule], cursor, &view, |m| {
            if let Some(c) = scanner.candidate(rule, m, hay, base, capture) {
                candidates.push(c);
            }
        });
    }
    candidates.sort_by_key(|c| (c.secret.start, c.secret.end, c.rule));
    let mut lines = LineCounter::starting_at(range.start, 0, range.start);
    let mut resolver = Resolver::default();
    let labels = scanner.known_labels();
    for (n, c) in candidates.iter().enumerate() {
        resolver.fold(
            c,
            &candidates[n + 1..],
            |c| inner.rank(c),
            |c| {
                chunk
                    .findings
                    .push(scanner.finding(c, &labels, &mut lines, own, range.start))
            },
            |_| {},
        );
    }
    chunk
}

/// Scans `hay` (`hay[0]` at `base`) from safe point `start`, in parallel
/// chunks; returns the findings and the offset scanned to: the end when
/// `is_final`, else the last safe point that the buffered look-ahead
/// could decide (`start` when there is none).
#[allow(clippy::too_many_arguments)]
fn scan_from(
    scanner: &Scanner,
    hay: &[u8],
    base: u64,
    start: u64,
    is_final: bool,
    chunk_len: usize,
    capture: bool,
    lines: &mut LineState,
) -> (Vec<Finding>, u64) {
    let inner = scanner.inner();
    let end = base + hay.len() as u64;
    let chunk_len = chunk_len.max(1) as u64;
    let bound = chunk_len / 2;
    let look_ahead = bound + inner.max_match_len + inner.prefilter.max_keyword_len() as u64 + 1;
    let nominal: Vec<u64> = (1..)
        .map(|k| start + k * chunk_len)
        .take_while(|&p| {
            if is_final {
                p < end
            } else {
                p + look_ahead <= end
            }
        })
        .collect();
    let splits: Vec<u64> = nominal
        .par_iter()
        .filter_map(|&p| {
            safe_point(scanner, hay, base, p, bound.min(NEAR))
                .or_else(|| safe_point(scanner, hay, base, p, bound))
        })
        .collect();
    let mut bounds = Vec::with_capacity(splits.len() + 2);
    bounds.push(start);
    bounds.extend(splits);
    if is_final && end > start {
        bounds.push(end);
    }
    debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{bounds:?}");
    let chunks: Vec<Chunk> = bounds
        .par_windows(2)
        .map(|w| scan_chunk(scanner, hay, base, w[0]..w[1], capture))
        .collect();
    let mut found = vec![];
    for chunk in chunks {
        lines.place(chunk, &mut found);
    }
    let scanned_to = *bounds.last().expect("holds start");
    (found, scanned_to)
}

/// A stream scanned in parallel: bytes are buffered until several chunks'
/// worth (one per thread of the current rayon pool, plus one) have
/// arrived, then the part up to the last safe point is scanned in
/// parallel chunks (see the module docs) and its findings returned, in
/// order, with absolute offsets; the rest waits for more input.
///
/// Findings equal those of [`StreamScanner`] and [`Scanner::scan`] on the
/// same input; they come later than from a [`StreamScanner`] (a block at
/// a time), so for interactive streams (`tail -f`) use that instead.
///
/// ```
/// let scanner = secretscan::Scanner::builtin();
/// let token = secretscan::validate::checksummed_token("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
/// let text = format!("x\n{token}\n").repeat(1000);
/// let mut stream = scanner.parallel_stream(4096);
/// let mut findings = vec![];
/// for block in text.as_bytes().chunks(10_000) {
///     findings.extend(stream.push(block));
/// }
/// findings.extend(stream.finish());
/// assert_eq!(findings, scanner.scan(text.as_bytes()));
/// ```
///
/// # Memory usage
///
/// About `(threads + 2) × chunk_len` bytes plus the largest block pushed.
/// Where keyword hits are so dense that no safe point turns up in twice
/// that, the stream goes on sequentially (a [`StreamScanner`] resumed at
/// the last safe point), whose memory is bounded by the longest match.
#[derive(Debug)]
pub struct ParallelStream {
    scanner: Scanner,
    chunk_len: usize,
    capture: bool,
    /// Buffered bytes; `buf[0]` is at `base`.
    buf: Vec<u8>,
    base: u64,
    /// The next byte to scan: a safe point (or 0).
    start: u64,
    lines: LineState,
    /// Set once the stream went on sequentially.
    sequential: Option<StreamScanner>,
    finished: bool,
}

impl ParallelStream {
    /// A stream over `scanner`'s rules, cut into chunks of about
    /// `chunk_len` bytes.
    pub fn new(scanner: Scanner, chunk_len: usize) -> ParallelStream {
        let sequential = scanner.known().is_some().then(|| scanner.stream());
        ParallelStream {
            scanner,
            chunk_len: chunk_len.max(1),
            capture: false,
            buf: vec![],
            base: 0,
            start: 0,
            lines: LineState::default(),
            sequential,
            finished: false,
        }
    }

    /// Whether findings carry the secret's bytes (see
    /// [`StreamScanner::capture_secrets`]). By default, false. Call it
    /// before the first push.
    pub fn capture_secrets(&mut self, yes: bool) {
        self.capture = yes;
        if let Some(s) = &mut self.sequential {
            s.capture_secrets(yes);
        }
    }

    /// The buffered bytes that make a parallel round: one chunk per thread
    /// of the current pool, plus one whose safe point waits for more input.
    pub fn block_len(&self) -> usize {
        (rayon::current_num_threads() + 1) * self.chunk_len
    }

    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Pushes the next bytes; returns the findings of the part scanned now.
    ///
    /// # Panics
    ///
    /// After [`ParallelStream::finish`].
    pub fn push(&mut self, data: &[u8]) -> Vec<Finding> {
        assert!(!self.finished, "push after finish");
        if let Some(s) = &mut self.sequential {
            return s.push(data);
        }
        self.buf.extend_from_slice(data);
        let block = self.block_len() as u64;
        if self.end() - self.start < block {
            return vec![];
        }
        let (found, to) = scan_from(
            &self.scanner,
            &self.buf,
            self.base,
            self.start,
            false,
            self.chunk_len,
            self.capture,
            &mut self.lines,
        );
        self.start = to;
        if self.end() - self.start >= 2 * block {
            // No safe point in two blocks: dense keyword hits. Go on
            // sequentially from the last safe point, so memory stays
            // bounded.
            let mut found = found;
            found.extend(self.go_sequential());
            return found;
        }
        let keep = self.start.saturating_sub(LOOK_BEHIND);
        self.buf.drain(..(keep - self.base) as usize);
        self.base = keep;
        found
    }

    /// Goes on as a sequential stream (a [`StreamScanner`] resumed at the
    /// last safe point) from here on, and returns what it settles of the
    /// bytes buffered: afterwards each push reports findings as soon as a
    /// [`StreamScanner`] would (for input that arrives slowly, such as
    /// `tail -f`). Findings stay the same.
    pub fn go_sequential(&mut self) -> Vec<Finding> {
        if self.sequential.is_some() || self.finished {
            return vec![];
        }
        let at = self.start;
        let local = |abs: u64| (abs - self.base) as usize;
        let look_behind = &self.buf[local(at.saturating_sub(LOOK_BEHIND))..local(at)];
        let mut stream = StreamScanner::resume(
            self.scanner.clone(),
            look_behind,
            at,
            self.lines.newlines,
            self.lines.line_start,
        );
        stream.capture_secrets(self.capture);
        let found = stream.push(&self.buf[local(at)..]);
        self.buf = vec![];
        self.sequential = Some(stream);
        found
    }

    /// Ends the stream; returns the remaining findings. Calling it again
    /// returns nothing.
    pub fn finish(&mut self) -> Vec<Finding> {
        if self.finished {
            return vec![];
        }
        self.finished = true;
        if let Some(s) = &mut self.sequential {
            return s.finish();
        }
        let (found, _) = scan_from(
            &self.scanner,
            &self.buf,
            self.base,
            self.start,
            true,
            self.chunk_len,
            self.capture,
            &mut self.lines,
        );
        self.base = self.end();
        self.start = self.base;
        self.buf = vec![];
        found
    }

    /// The offset up to which the input has been scanned: every finding
    /// before it has been returned. (A sequential stream settles
    /// findings itself: for it, the bytes pushed so far.)
    pub fn scanned_to(&self) -> u64 {
        match &self.sequential {
            Some(s) => s.offset(),
            None if self.finished => self.end(),
            None => self.start,
        }
    }

    /// Bytes pushed so far.
    pub fn offset(&self) -> u64 {
        match &self.sequential {
            Some(s) => s.offset(),
            None => self.end(),
        }
    }

    /// Bytes currently buffered (for memory accounting and tests).
    pub fn buffered(&self) -> usize {
        match &self.sequential {
            Some(s) => s.buffered(),
            None => self.buf.len(),
        }
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
                "[[rules]]\nid = \"tok\"\nname = \"t\"\npattern = 'tok_[a-z]{8}'\nkeywords = [\"tok_\"]\n\
                 [[rules]]\nid = \"pw\"\nname = \"p\"\npattern = '(?i)password ?= ?(?P<secret>[a-z]{6,20})'\nkeywords = [\"password\"]\n",
            )
            .build()
            .unwrap()
    }

    #[test]
    fn safe_points_avoid_windows() {
        let s = scanner();
        let text = b"aaaa tok_abcdefgh bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        // tok_ at 5: its window is [5, 5 + max_len]; nothing is safe inside.
        let x = safe_point(&s, text, 0, 6, 100).unwrap();
        assert!(x > 5 + s.rule_shape(0).max_len, "{x}");
        assert_eq!(safe_point(&s, text, 0, 1, 100), Some(1));
    }

    #[test]
    fn dense_hits_merge_chunks_and_stay_exact() {
        let s = scanner();
        let text = b"tok_".repeat(5000);
        let mut all = text.clone();
        all.extend_from_slice(b" tok_abcdefgh\npassword = hunter\n");
        assert_eq!(s.scan_parallel(&all, 64), s.scan(&all));
        assert!(safe_point(&s, &text, 0, 100, 1000).is_none());
    }

    #[test]
    fn dense_stream_goes_on_sequentially_with_bounded_memory() {
        let s = scanner();
        let mut text = b"password=password=tok_".repeat(20_000);
        text.extend_from_slice(b"\nx tok_abcdefgh\n");
        let mut stream = s.parallel_stream(256);
        let mut found = vec![];
        for piece in text.chunks(1000) {
            found.extend(stream.push(piece));
            assert!(stream.buffered() < 64 * 1024, "{}", stream.buffered());
        }
        found.extend(stream.finish());
        assert_eq!(found, s.scan(&text));
    }
}
