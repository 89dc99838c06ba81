//! Inline suppression: a marker comment on a finding's line (such as
//! `# secretscan:allow`) tells a scan report to leave that finding out.
//!
//! Teams mark test fixtures and documented example keys this way. The
//! markers of other scanners are honoured too (`gitleaks:allow`,
//! `pragma: allowlist secret` of detect-secrets, `trufflehog:ignore`), so
//! that switching tools needs no change to the code.
//!
//! Suppression is a *report* filter: it never changes what the engine finds
//! or what redaction removes (a log line is no place for a key, marked or
//! not). [`InlineAllow`] applies it to a stream of findings with bounded
//! memory; [`line_allows`] tests one line.

use std::collections::VecDeque;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use crate::engine::finding::Finding;
use crate::engine::scanner::Scanner;

/// The markers, matched ASCII case-insensitively anywhere on the line.
pub const ALLOW_MARKERS: &[&str] = &[
    "secretscan:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
    "trufflehog:ignore",
];

/// How far a line is searched past a finding's secret, and before it, for
/// a marker. A marker further away on a very long line is not seen.
pub const LINE_LIMIT: u64 = 4096;

/// Whether `line` carries one of the [`ALLOW_MARKERS`].
pub fn line_allows(line: &[u8]) -> bool {
    static MARKERS: OnceLock<AhoCorasick> = OnceLock::new();
    MARKERS
        .get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(ALLOW_MARKERS)
                .expect("a few literals")
        })
        .is_match(line)
}

/// Drops the findings of a stream whose lines carry an allow marker.
///
/// Feed it every chunk given to the [`crate::StreamScanner`] together with
/// the findings that push returned; it hands findings on once the end of
/// their line has been seen (or [`LINE_LIMIT`] bytes past the secret, or
/// the end of input), so a finding's report may wait for its line to end.
///
/// Memory: the last `max_match_len + 2 × LINE_LIMIT` bytes of input, plus
/// the findings waiting for their line end.
#[derive(Debug)]
pub struct InlineAllow {
    /// Input bytes `[window_start, fed)`.
    window: Vec<u8>,
    window_start: u64,
    fed: u64,
    keep: u64,
    pending: VecDeque<Finding>,
}

impl InlineAllow {
    /// A filter for streams of `scanner`.
    pub fn new(scanner: &Scanner) -> InlineAllow {
        InlineAllow {
            window: vec![],
            window_start: 0,
            fed: 0,
            keep: scanner.max_match_len() + 2 * LINE_LIMIT + 2,
            pending: VecDeque::new(),
        }
    }

    /// Takes the next chunk of input and the findings the stream reported
    /// after it; appends to `out` the findings that are decided and not
    /// allowed, in order.
    pub fn push(&mut self, chunk: &[u8], found: Vec<Finding>, out: &mut Vec<Finding>) {
        let chunk_start = self.fed;
        self.fed += chunk.len() as u64;
        self.pending.extend(found);
        let need = self.needed_from();
        if need >= chunk_start {
            // Nothing before this chunk, nor its head, can be needed.
            self.window.clear();
            self.window_start = need;
            self.window
                .extend_from_slice(&chunk[(need - chunk_start) as usize..]);
        } else {
            self.window.extend_from_slice(chunk);
        }
        self.release(false, out);
        self.trim();
    }

    /// The earliest offset that a pending or future finding's line can need.
    fn needed_from(&self) -> u64 {
        let mut need = self.fed.saturating_sub(self.keep);
        if let Some(f) = self.pending.front() {
            need = need.min(f.secret.start.saturating_sub(LINE_LIMIT));
        }
        need.max(self.window_start)
    }

    /// Ends the input: appends to `out` every remaining finding that is not
    /// allowed, with the findings the stream's `finish` returned.
    pub fn finish(&mut self, found: Vec<Finding>, out: &mut Vec<Finding>) {
        self.pending.extend(found);
        self.release(true, out);
        self.window.clear();
    }

    fn release(&mut self, at_end: bool, out: &mut Vec<Finding>) {
        while let Some(f) = self.pending.front() {
            let from = f
                .secret
                .start
                .saturating_sub(LINE_LIMIT)
                .max(self.window_start);
            let to = (f.secret.end + LINE_LIMIT).min(self.fed);
            let local = |at: u64| (at - self.window_start) as usize;
            let (start, end) = (local(from), local(to));
            let after = local(f.secret.end.clamp(self.window_start, self.fed));
            let line_end = memchr::memchr(b'\n', &self.window[after..end]).map(|i| after + i);
            let decided = at_end || line_end.is_some() || to == f.secret.end + LINE_LIMIT;
            if !decided {
                break;
            }
            let before = local(f.secret.start.clamp(self.window_start, self.fed));
            let line_start = memchr::memrchr(b'\n', &self.window[start..before])
                .map_or(start, |i| start + i + 1);
            let line = &self.window[line_start..line_end.unwrap_or(end)];
            let f = self.pending.pop_front().expect("front exists");
            if !line_allows(line) {
                out.push(f);
            }
        }
    }

    /// Drops window bytes that no finding, reported or future, can need.
    fn trim(&mut self) {
        let dead = (self.needed_from() - self.window_start) as usize;
        // Drain in large steps only: a copy per chunk would cost as much
        // as the scan.
        if dead > self.window.len() / 2 && dead >= 64 * 1024 {
            self.window.drain(..dead);
            self.window_start += dead as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(scanner: &Scanner, text: &[u8], chunk: usize) -> Vec<u64> {
        let mut stream = scanner.stream();
        let mut allow = InlineAllow::new(scanner);
        let mut out = vec![];
        for piece in text.chunks(chunk.max(1)) {
            let found = stream.push(piece);
            allow.push(piece, found, &mut out);
        }
        allow.finish(stream.finish(), &mut out);
        out.iter().map(|f| f.line).collect()
    }

    #[test]
    fn markers_on_the_line_suppress_at_any_chunking() {
        let scanner = Scanner::builder()
            .builtin(false)
            .rules_toml(
                "t",
                r#"[[rules]]
id = "t"
name = "t"
pattern = '''tok_[a-z0-9]{8}'''
keywords = ["tok_"]
examples = ["tok_abcd1234"]
negative_examples = ["x"]
"#,
            )
            .build()
            .unwrap();
        let text = b"a = tok_abcd1234\nb = tok_abcd1234 # secretscan:allow\n\
            c = tok_abcd1234 // GITLEAKS:ALLOW\n# pragma: allowlist secret\nd = tok_abcd1234";
        for chunk in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(filtered(&scanner, text, chunk), vec![1, 5], "chunk {chunk}");
        }
        assert!(line_allows(b"key = x  # trufflehog:ignore"));
        assert!(!line_allows(b"key = x  # allow"));
    }
}
