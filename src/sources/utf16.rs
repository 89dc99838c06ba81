//! A UTF-16LE view of a byte stream, so that the same engine finds secrets
//! stored as UTF-16 text: Windows minidumps, .NET and Java heap dumps,
//! registry exports, PowerShell transcripts.
//!
//! In UTF-16LE an ASCII character `c` is the byte pair `c 00`. The view
//! picks out every run of such pairs (at even or odd offsets alike: the
//! two phases cannot share a character byte, since the second byte of a
//! pair is `00`, which is no character), narrows each run to its ASCII
//! bytes, and joins the runs with a `\n` between them so that two strings
//! far apart in the dump never make one match. The narrowed bytes go
//! through an ordinary [`crate::StreamScanner`] (the same rules, the same
//! validators, the same fingerprints as the text would get as UTF-8), and
//! [`Utf16View::map`] turns each finding's offsets back into offsets of
//! the raw input, with line and column counted over its raw bytes.
//!
//! ```
//! use secretscan::utf16::Utf16View;
//!
//! let scanner = secretscan::Scanner::builtin();
//! let key = format!("sk-ant-api03-{}AA", "x7Kq2".repeat(18) + "abc");
//! // A "dump": binary junk, then the key as UTF-16LE text at offset 9.
//! let mut dump = b"\x01\x02\x03\x04\x05\x06\x07\x08\x09".to_vec();
//! dump.extend(format!("key={key}").encode_utf16().flat_map(u16::to_le_bytes));
//!
//! let mut view = Utf16View::new(&scanner);
//! let mut stream = scanner.stream();
//! let mut narrow = Vec::new();
//! view.push(&dump, &mut narrow);
//! view.finish(&mut narrow);
//! let mut findings = stream.push(&narrow);
//! findings.extend(stream.finish());
//! let mut f = findings.remove(0);
//! assert!(view.map(&mut f));
//! assert_eq!(&*f.rule_id, "anthropic-api-key");
//! assert_eq!(f.secret.start, 9 + 2 * 4); // after "key=", two bytes a character
//! assert_eq!(f.secret.end - f.secret.start, 2 * key.len() as u64);
//! ```
//!
//! # Cost
//!
//! A chunk without a `00` byte (any text file) costs one `memchr` pass and
//! one newline count; binary chunks cost a pass that jumps from one `00`
//! byte to the next. Only runs of at least [`MIN_RUN`] characters are
//! narrowed, so stray `xx 00` pairs (little-endian integers) add nothing.
//!
//! # Memory usage
//!
//! The run in progress (at most [`MIN_RUN`] characters before it is
//! emitted) plus the map of recent runs and newline positions, trimmed to
//! the stretch that a finding not yet reported can still fall into: the
//! longest match plus the inline-allow window, about 10 KiB of narrowed
//! text.

use std::collections::VecDeque;

use crate::engine::finding::Finding;
use crate::engine::scanner::Scanner;

/// The fewest UTF-16 characters in a run worth scanning: shorter runs are
/// mostly integers and pointers whose bytes happen to look like text.
pub const MIN_RUN: usize = 6;

/// A stretch of narrowed bytes that came from one run of UTF-16LE
/// characters in the raw input.
#[derive(Clone, Copy, Debug)]
struct Segment {
    /// Offset of its first byte in the narrowed stream.
    narrow: u64,
    /// Raw offset of its first character.
    raw: u64,
    /// Characters (narrowed bytes) so far.
    len: u64,
}

/// A UTF-16LE view of a stream: raw chunks in, narrowed ASCII out, and a
/// map from narrowed offsets back to raw ones. See the module docs.
#[derive(Debug)]
pub struct Utf16View {
    /// Raw offset of the next byte to be pushed.
    raw_pos: u64,
    /// The last byte of the previous chunk, when it is a character byte
    /// that a `00` at the start of the next chunk would complete.
    held: Option<u8>,
    /// The run in progress: raw offset of its next character, if open.
    run_next: Option<u64>,
    /// Its characters not emitted yet (fewer than [`MIN_RUN`]), and the
    /// raw offset of the first.
    pending: Vec<u8>,
    pending_raw: u64,
    /// Whether the run in progress was emitted (reached [`MIN_RUN`]).
    emitting: bool,
    /// Bytes written to the narrowed stream so far.
    narrow_len: u64,
    segments: VecDeque<Segment>,
    /// Raw offsets of the `\n` bytes that a mapped finding may need to
    /// count, in order, and the number of `\n` bytes before them.
    newlines: VecDeque<u64>,
    newlines_before: u64,
    /// Raw offset just after the last `\n` counted in `newlines_before`.
    trimmed_line_start: u64,
    /// Narrowed bytes that must stay mapped behind the end.
    retain: u64,
}

fn is_char(b: u8) -> bool {
    // Written as comparisons without branches, for `next_run_start`.
    (b.wrapping_sub(0x20) < 0x5f) | (b == b'\t') | (b == b'\n') | (b == b'\r')
}

/// Positions tested per block by [`next_run_start`].
const BLOCK: usize = 64;

/// The first position `j >= from` in `chunk` from which MIN_RUN character
/// pairs follow (`c 00`, `c 00`, ...); a run that reaches the end of the
/// chunk counts (the next chunk may finish it). Returns a position with
/// `j + 1 >= chunk.len()` when there is none.
fn next_run_start(chunk: &[u8], from: usize) -> Option<usize> {
    const SPAN: usize = BLOCK + 2 * MIN_RUN;
    let n = chunk.len();
    let mut j = from;
    // Whole blocks: fixed-size arrays and no early exits, so that the
    // loops compile to vector code.
    while j + SPAN < n {
        let w: &[u8; SPAN + 1] = chunk[j..j + SPAN + 1].try_into().expect("length checked");
        let mut ok = [0u8; SPAN];
        for k in 0..SPAN {
            ok[k] = u8::from(w[k + 1] == 0) & u8::from(is_char(w[k]));
        }
        let mut run = [0u8; BLOCK];
        run.copy_from_slice(&ok[..BLOCK]);
        for step in 1..MIN_RUN {
            for k in 0..BLOCK {
                run[k] &= ok[k + 2 * step];
            }
        }
        if let Some(k) = memchr::memchr(1, &run) {
            return Some(j + k);
        }
        j += BLOCK;
    }
    // The tail: position by position; positions past the end count as
    // pairs.
    let pair = |p: usize| p + 1 >= n || (chunk[p + 1] == 0 && is_char(chunk[p]));
    while j + 1 < n {
        if (0..MIN_RUN).all(|step| pair(j + 2 * step)) {
            return Some(j);
        }
        j += 1;
    }
    None
}

impl Utf16View {
    /// A view for streams scanned by `scanner` (its longest match decides
    /// how much of the map is kept).
    pub fn new(scanner: &Scanner) -> Utf16View {
        Utf16View {
            raw_pos: 0,
            held: None,
            run_next: None,
            pending: Vec::with_capacity(MIN_RUN),
            pending_raw: 0,
            emitting: false,
            narrow_len: 0,
            segments: VecDeque::new(),
            newlines: VecDeque::new(),
            newlines_before: 0,
            trimmed_line_start: 0,
            // A finding can be reported up to a match length behind the
            // end of the stream, and the inline-allow filter holds one
            // back until its line ends (or LINE_LIMIT bytes past it).
            retain: scanner.max_match_len() + 2 * crate::report::suppress::LINE_LIMIT + 64,
        }
    }

    /// Bytes written to the narrowed stream so far.
    pub fn narrowed_len(&self) -> u64 {
        self.narrow_len
    }

    /// Takes the next raw chunk and appends its narrowed text to `out`.
    ///
    /// Findings of the narrowed stream reported before this call must have
    /// been [`Utf16View::map`]ped already: the map is trimmed here.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        self.trim();
        let base = self.raw_pos;
        let n = chunk.len();
        if n == 0 {
            return;
        }
        let has_zero = memchr::memchr(0, chunk).is_some();
        // Newline positions are needed only while a run can be mapped. (A
        // held character or a run under way continues only into a chunk
        // with a `00` byte, so `has_zero` covers both.)
        if has_zero || !self.segments.is_empty() {
            self.newlines
                .extend(memchr::memchr_iter(b'\n', chunk).map(|i| base + i as u64));
        } else {
            if let Some(last) = memchr::memrchr(b'\n', chunk) {
                self.newlines_before += crate::engine::scanner::count_newlines(chunk) as u64;
                self.trimmed_line_start = base + last as u64 + 1;
            }
        }
        let mut i = 0usize;
        if let Some(h) = self.held.take() {
            if chunk[0] == 0 {
                self.char_at(h, base - 1, out);
                i = 1;
            } else {
                self.end_run();
            }
        }
        while i + 1 < n {
            let at = base + i as u64;
            if self.run_next == Some(at) {
                if is_char(chunk[i]) && chunk[i + 1] == 0 {
                    self.char_at(chunk[i], at, out);
                    i += 2;
                    continue;
                }
                self.end_run();
            }
            // Not in a run: find where the next run of at least MIN_RUN
            // characters starts. Text without a 00 byte skips the chunk at
            // once. In binary data most character pairs start runs of one
            // or two, and testing them one by one costs a mispredicted
            // branch each; instead `next_run_start` tests 64 positions at
            // a time without branches (the compiler vectorises it).
            if !has_zero {
                i = n - 1;
                break;
            }
            let found = next_run_start(chunk, i);
            let Some(j) = found.filter(|&j| j + 1 < n) else {
                i = n - 1;
                break;
            };
            self.char_at(chunk[j], base + j as u64, out);
            i = j + 2;
        }
        if i == n - 1 {
            let at = base + i as u64;
            if self.run_next.is_some_and(|next| next != at) {
                self.end_run();
            }
            if is_char(chunk[i]) {
                self.held = Some(chunk[i]);
            } else {
                self.end_run();
            }
        } else if self.run_next.is_some_and(|next| next != base + n as u64) {
            self.end_run();
        }
        self.raw_pos = base + n as u64;
    }

    /// Ends the input: a character byte held at the very end has no pair.
    pub fn finish(&mut self, _out: &mut Vec<u8>) {
        self.held = None;
        self.end_run();
    }

    fn char_at(&mut self, c: u8, raw: u64, out: &mut Vec<u8>) {
        if self.run_next != Some(raw) {
            self.end_run();
            self.pending_raw = raw;
        }
        self.run_next = Some(raw + 2);
        if self.emitting {
            out.push(c);
            self.narrow_len += 1;
            self.segments
                .back_mut()
                .expect("an emitting run has a segment")
                .len += 1;
            return;
        }
        self.pending.push(c);
        if self.pending.len() >= MIN_RUN {
            if self.narrow_len > 0 {
                // The separator: runs far apart must not join into a match.
                out.push(b'\n');
                self.narrow_len += 1;
            }
            self.segments.push_back(Segment {
                narrow: self.narrow_len,
                raw: self.pending_raw,
                len: self.pending.len() as u64,
            });
            out.extend_from_slice(&self.pending);
            self.narrow_len += self.pending.len() as u64;
            self.pending.clear();
            self.emitting = true;
        }
    }

    fn end_run(&mut self) {
        self.run_next = None;
        self.pending.clear();
        self.emitting = false;
    }

    /// Drops the parts of the map that no finding still to come can need.
    fn trim(&mut self) {
        let keep_from = self.narrow_len.saturating_sub(self.retain);
        // The last segment goes too once its run has ended: text read
        // after it maps through later segments, and keeping it would make
        // every later chunk record its newlines (one `memchr` call a line).
        while let Some(front) = self.segments.front() {
            let growing = self.segments.len() == 1 && self.emitting;
            if growing || front.narrow + front.len >= keep_from {
                break;
            }
            self.segments.pop_front();
        }
        // Raw newlines before the oldest mapped character (or, with no run
        // mapped, before any run that can still start) are only counted.
        let raw_from = match (self.segments.front(), self.run_next) {
            (Some(s), _) => s.raw,
            (None, Some(_)) => self.pending_raw,
            (None, None) => self.raw_pos.saturating_sub(1),
        };
        while self.newlines.front().is_some_and(|&p| p < raw_from) {
            let p = self.newlines.pop_front().expect("checked");
            self.newlines_before += 1;
            self.trimmed_line_start = p + 1;
        }
    }

    /// The raw offset of narrowed offset `at`, which must be a character
    /// of a mapped run; a separator maps to the start of the next run.
    fn raw_of(&self, at: u64) -> Option<u64> {
        let i = self.segments.partition_point(|s| s.narrow <= at);
        let s = self.segments.get(i.checked_sub(1)?)?;
        if at < s.narrow + s.len {
            Some(s.raw + 2 * (at - s.narrow))
        } else {
            self.segments.get(i).map(|next| next.raw)
        }
    }

    /// The raw offset just past narrowed offset `end - 1`. A span that
    /// ends in a separator (a rule whose match takes the byte after the
    /// secret) ends where the run before it ends.
    fn raw_end_of(&self, end: u64) -> Option<u64> {
        let last = end.checked_sub(1)?;
        let i = self.segments.partition_point(|s| s.narrow <= last);
        let s = self.segments.get(i.checked_sub(1)?)?;
        Some(s.raw + 2 * (end - s.narrow).min(s.len))
    }

    /// 1-based line and byte column of raw offset `at`, counting `\n`
    /// bytes of the raw input.
    fn locate(&self, at: u64) -> (u64, u64) {
        let k = self.newlines.partition_point(|&p| p < at);
        let line_start = if k > 0 {
            self.newlines[k - 1] + 1
        } else {
            self.trimmed_line_start
        };
        (self.newlines_before + k as u64 + 1, at - line_start + 1)
    }

    /// Rewrites a finding of the narrowed stream in terms of the raw input:
    /// its match and secret spans, line and column. Returns false (and
    /// leaves the finding as it was) when its offsets are no longer mapped,
    /// which the trimming rules out for a finding mapped as soon as the
    /// stream reports it.
    pub fn map(&self, f: &mut Finding) -> bool {
        let span = |start: u64, end: u64| -> Option<std::ops::Range<u64>> {
            let s = self.raw_of(start)?;
            let e = self.raw_end_of(end)?;
            Some(s..e.max(s))
        };
        let (Some(secret), Some(whole)) = (
            span(f.secret.start, f.secret.end),
            span(f.span.start, f.span.end),
        ) else {
            debug_assert!(false, "finding {f:?} is no longer mapped");
            return false;
        };
        let (line, column) = self.locate(secret.start);
        f.secret = secret;
        f.span = whole;
        f.line = line;
        f.column = column;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn scanner() -> Scanner {
        Scanner::builder()
            .builtin(false)
            .rules_toml(
                "t",
                "[[rules]]\nid = 't'\nname = 't'\npattern = 'tok_[a-z0-9]{8}'\nkeywords = ['tok_']\n",
            )
            .build()
            .unwrap()
    }

    /// Every finding of `raw` through the view, pushed in `chunk`-byte
    /// pieces: (secret span, line, column).
    fn found(raw: &[u8], chunk: usize) -> Vec<(std::ops::Range<u64>, u64, u64)> {
        let scanner = scanner();
        let mut view = Utf16View::new(&scanner);
        let mut stream = scanner.stream();
        let mut out = vec![];
        let mut narrow = vec![];
        let mut take = |found: Vec<Finding>, view: &Utf16View| {
            for mut f in found {
                assert!(view.map(&mut f));
                out.push((f.secret.clone(), f.line, f.column));
            }
        };
        for piece in raw.chunks(chunk) {
            narrow.clear();
            view.push(piece, &mut narrow);
            let f = stream.push(&narrow);
            take(f, &view);
        }
        narrow.clear();
        view.finish(&mut narrow);
        let f = stream.push(&narrow);
        take(f, &view);
        let f = stream.finish();
        take(f, &view);
        out
    }

    #[test]
    fn finds_utf16_text_at_even_and_odd_offsets_at_any_chunking() {
        let mut raw = b"\x00\x01bin\nar\x00\x00".to_vec(); // 10 bytes, one newline
        raw.extend(utf16("name=tok_abcd1234;"));
        let even = 10 + 2 * 5;
        raw.extend(b"\x07\x00\x00\x00\n\x03\x03"); // an integer, a newline, odd from here
        let odd_start = raw.len() as u64;
        raw.extend(utf16("x\ny tok_zzzz9999"));
        let odd = odd_start + 2 * 4;
        let want = vec![(even..even + 24, 2, even - 5), (odd..odd + 24, 4, 6)];
        for chunk in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(found(&raw, chunk), want, "chunk {chunk}");
        }
    }

    #[test]
    fn short_runs_and_plain_text_are_not_narrowed() {
        let scanner = scanner();
        let mut view = Utf16View::new(&scanner);
        let mut out = vec![];
        view.push(b"tok_abcd1234 plain text\n", &mut out);
        view.push(&utf16("abc"), &mut out);
        view.push(b"\x01\x01", &mut out);
        view.finish(&mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn runs_are_separated() {
        let scanner = scanner();
        let mut view = Utf16View::new(&scanner);
        let mut out = vec![];
        let mut raw = utf16("tok_abcd");
        raw.extend(b"\x01\x02");
        raw.extend(utf16("1234xxxx"));
        view.push(&raw, &mut out);
        view.finish(&mut out);
        assert_eq!(out, b"tok_abcd\n1234xxxx");
    }
    /// The narrowed text by the definition: every maximal chain of
    /// character pairs of at least MIN_RUN, joined by `\n`.
    fn naive(raw: &[u8]) -> Vec<u8> {
        let mut out: Vec<u8> = vec![];
        let (mut i, mut run) = (0, vec![]);
        let flush = |run: &mut Vec<u8>, out: &mut Vec<u8>| {
            if run.len() >= MIN_RUN {
                if !out.is_empty() {
                    out.push(b'\n');
                }
                out.extend_from_slice(run);
            }
            run.clear();
        };
        while i + 1 < raw.len() {
            if raw[i + 1] == 0 && is_char(raw[i]) {
                run.push(raw[i]);
                i += 2;
            } else {
                flush(&mut run, &mut out);
                i += 1;
            }
        }
        flush(&mut run, &mut out);
        out
    }

    #[test]
    fn narrowing_equals_the_definition_at_any_chunking() {
        // Dump-like bytes: noise, dense zeros, UTF-16 strings of every
        // length around MIN_RUN at both phases.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut raw = vec![];
        while raw.len() < 40_000 {
            match next() % 4 {
                0 => raw.extend(utf16(
                    &"ab\ncd=ef tok_1234".repeat(3)[..(next() % 20) as usize],
                )),
                1 => raw.push(0),
                2 => raw.extend((0..next() % 50).map(|_| {
                    let r = next();
                    if r % 2 == 0 {
                        0
                    } else {
                        (r >> 8) as u8
                    }
                })),
                _ => raw.push((next() % 128) as u8),
            }
        }
        let want = naive(&raw);
        assert!(want.len() > 1000, "the input has runs to narrow");
        let scanner = scanner();
        for chunk in [1, 2, 3, 5, 7, 64, 77, 100, 4096, raw.len()] {
            let mut view = Utf16View::new(&scanner);
            let mut out = vec![];
            for piece in raw.chunks(chunk) {
                view.push(piece, &mut out);
            }
            view.finish(&mut out);
            assert!(out == want, "chunk {chunk}");
        }
    }
}
