//! Shared support for the property and stream tests: the tricky rule set,
//! input generators built from rule examples, chunked drivers for
//! [`StreamScanner`] and [`secretscan::RedactWriter`], and an independent
//! model of redaction.
//!
//! The test files that need it declare `mod support;`. Living in a
//! directory, it is not a test crate of its own (tests/stream_cases.rs
//! checks that the tricky rule set is what the other tests assume it is).

#![allow(dead_code)]

use std::io::Write;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use regex_syntax::hir::{Class, Hir, HirKind};
use secretscan::oracle::Oracle;
use secretscan::{Finding, RuleSet, Scanner};

/// Rules designed to collide at the engine's seams (see the file's header).
pub const TRICKY_TOML: &str = include_str!("tricky.toml");

/// A proptest configuration running `cases` cases, or `PROPTEST_CASES` when
/// set (to run longer locally). Failures are not persisted: a failing case
/// gets minimised into a named deterministic test instead.
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The tricky rule set as a [`RuleSet`].
pub fn tricky_rules() -> RuleSet {
    let mut set = RuleSet::new();
    set.add_toml(secretscan::Origin("tricky.toml".into()), TRICKY_TOML)
        .expect("the tricky rule set parses");
    set
}

/// The tricky rule set compiled, once per process.
pub fn tricky() -> Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        Scanner::builder()
            .builtin(false)
            .rules_toml("tricky.toml", TRICKY_TOML)
            .build()
            .expect("the tricky rule set compiles")
    })
    .clone()
}

/// The built-in pack.
pub fn builtin() -> Scanner {
    Scanner::builtin()
}

/// A scanner plus its oracle and a short name for failure messages.
pub struct Subject {
    pub name: String,
    pub scanner: Scanner,
    pub oracle: Oracle,
    /// No rule of this scanner can match `\n`.
    pub newline_free: bool,
    /// When every rule that can match `\n` begins its matches with a
    /// keyword: those keywords, lowercased. An input holding none of them
    /// opens no multi-line match, so its complete lines must not be held.
    pub multiline_keywords: Option<Vec<Vec<u8>>>,
}

impl Subject {
    /// Whether no multi-line match can be open anywhere in `input`: after
    /// a flush, every complete line of it must be out.
    pub fn lines_settle(&self, input: &[u8]) -> bool {
        let Some(keywords) = &self.multiline_keywords else {
            return false;
        };
        let lower = input.to_ascii_lowercase();
        keywords.iter().all(|k| !contains(&lower, k))
    }
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

fn subject(name: impl Into<String>, scanner: Scanner) -> Subject {
    let newline_free = scanner
        .rules()
        .iter()
        .all(|r| !can_match_newline(&r.pattern));
    let mut multiline_keywords = Some(vec![]);
    for (i, rule) in scanner.rules().iter().enumerate() {
        if !can_match_newline(&rule.pattern) {
            continue;
        }
        if !scanner.rule_shape(i).starts_with_keyword {
            multiline_keywords = None;
            break;
        }
        if let Some(list) = &mut multiline_keywords {
            list.extend(
                rule.keywords
                    .iter()
                    .map(|k| k.to_ascii_lowercase().into_bytes()),
            );
        }
    }
    Subject {
        name: name.into(),
        oracle: Oracle::new(&scanner),
        scanner,
        newline_free,
        multiline_keywords,
    }
}

fn compile(set: RuleSet) -> Scanner {
    Scanner::new(set).expect("a subset of a compiled rule set compiles")
}

/// Every scanner the properties run against, built once: the built-in
/// pack; the tricky set; each tricky rule alone (so that tiny maximum match
/// lengths, hence tiny buffers, occur); and the newline-free part of each
/// set (for the latency property).
pub fn subjects() -> &'static [Subject] {
    static S: OnceLock<Vec<Subject>> = OnceLock::new();
    S.get_or_init(|| {
        let mut out = vec![subject("builtin", builtin()), subject("tricky", tricky())];
        for rule in tricky_rules().rules() {
            let mut set = tricky_rules();
            set.retain(|r| r.id == rule.id);
            out.push(subject(format!("tricky[{}]", rule.id), compile(set)));
        }
        let mut set = tricky_rules();
        set.retain(|r| !can_match_newline(&r.pattern));
        out.push(subject("tricky-newline-free", compile(set)));
        let mut set = RuleSet::builtin();
        set.retain(|r| !can_match_newline(&r.pattern));
        if !set.is_empty() {
            out.push(subject("builtin-newline-free", compile(set)));
        }
        out
    })
}

/// The subject named `name`.
pub fn subject_named(name: &str) -> &'static Subject {
    subjects()
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no subject named {name}"))
}

/// Whether some match of `pattern` can contain a `\n` (the same syntax as
/// the engine: bytes, Unicode off).
pub fn can_match_newline(pattern: &str) -> bool {
    fn walk(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => false,
            HirKind::Literal(lit) => lit.0.contains(&b'\n'),
            HirKind::Class(Class::Bytes(c)) => c
                .ranges()
                .iter()
                .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
            HirKind::Class(Class::Unicode(c)) => c
                .ranges()
                .iter()
                .any(|r| r.start() <= '\n' && '\n' <= r.end()),
            HirKind::Repetition(r) => r.max != Some(0) && walk(&r.sub),
            HirKind::Capture(c) => walk(&c.sub),
            HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(walk),
        }
    }
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .expect("the scanner compiled this pattern");
    walk(&hir)
}

// ---------------------------------------------------------------------------
// Input generators
// ---------------------------------------------------------------------------

/// Text material for a scanner: every rule's expanded examples, each
/// keyword as written, lowercased and uppercased.
pub fn material(scanner: &Scanner) -> Arc<Vec<Vec<u8>>> {
    let mut pool = vec![];
    for rule in scanner.rules() {
        pool.extend(rule.examples.iter().cloned());
        for k in &rule.keywords {
            pool.push(k.as_bytes().to_vec());
            pool.push(k.to_ascii_lowercase().into_bytes());
            pool.push(k.to_ascii_uppercase().into_bytes());
        }
    }
    pool.sort();
    pool.dedup();
    Arc::new(pool)
}

/// Material of both rule sets, so that each set also sees the other's text.
pub fn all_material() -> Arc<Vec<Vec<u8>>> {
    static M: OnceLock<Arc<Vec<Vec<u8>>>> = OnceLock::new();
    M.get_or_init(|| {
        let mut pool: Vec<Vec<u8>> = material(&builtin()).iter().cloned().collect();
        pool.extend(material(&tricky()).iter().cloned());
        pool.sort();
        pool.dedup();
        Arc::new(pool)
    })
    .clone()
}

const SEPARATORS: &[&[u8]] = &[
    b" ",
    b"\n",
    b"\r\n",
    b"\t",
    b"\0",
    b"\xff",
    b"\xc3\xa9",
    b"=",
    b"_",
    b"-",
    b":",
    b"\"",
    b"'",
    b".",
    b"/",
    b"\n\n",
    b"=\n",
    b"@",
    b"[REDACTED:tricky-tok]",
];

/// Bytes that occur in keywords and patterns, so random text often
/// half-forms a key.
const TEXT_ALPHABET: &[u8] = b"abcdefhknoprstxyzAKEYXST0123456789_-=:. \n@";

/// One piece of generated input: an example (whole, truncated at either
/// end, or with its case flipped), a dense run of one repeated piece, a
/// separator, a run of keyword-ish text, or random bytes.
pub fn piece(pool: Arc<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<u8>> {
    let n = pool.len().max(1);
    let repeated = pool.clone();
    prop_oneof![
        // Dense runs: one piece of material repeated with no separator
        // (`sk-sk-sk-…`, an example glued to itself), up to past the
        // longest match.
        1 => (0..n, 2..48usize, any::<u16>()).prop_map(move |(i, times, cut)| {
            let Some(e) = repeated.get(i) else { return vec![] };
            let e = &e[..(e.len() - cut as usize % (e.len().min(4) + 1)).max(1).min(e.len())];
            e.repeat(times)
        }),
        5 => (0..n, any::<u16>(), 0..6u8).prop_map(move |(i, cut, mode)| {
            let Some(e) = pool.get(i) else { return vec![] };
            let cut = cut as usize % (e.len() + 1);
            match mode {
                0..=2 => e.clone(),
                3 => e[..cut].to_vec(),
                4 => e[cut..].to_vec(),
                _ => e.iter().map(|b| if b.is_ascii_lowercase() { b.to_ascii_uppercase() } else { b.to_ascii_lowercase() }).collect(),
            }
        }),
        2 => prop::sample::select(SEPARATORS).prop_map(|s| s.to_vec()),
        2 => prop::collection::vec(prop::sample::select(TEXT_ALPHABET), 0..16),
        1 => prop::collection::vec(any::<u8>(), 0..8),
    ]
}

/// Inputs of four kinds: random bytes, random keyword-ish text, pieces of
/// examples and keywords strung together (adjacent, repeated, truncated),
/// and random bytes with pieces spliced in at random places.
pub fn arb_input(pool: Arc<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<u8>> {
    let spliced = (
        prop::collection::vec(any::<u8>(), 0..200),
        prop::collection::vec((any::<prop::sample::Index>(), piece(pool.clone())), 0..6),
    )
        .prop_map(|(mut bytes, inserts)| {
            for (at, p) in inserts {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, p);
            }
            bytes
        });
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => prop::collection::vec(prop::sample::select(TEXT_ALPHABET), 0..300),
        4 => prop::collection::vec(piece(pool), 0..24).prop_map(|ps| ps.concat()),
        2 => spliced,
    ]
}

/// Split points (sorted, in `0..=len`) from raw random numbers.
pub fn split_points(len: usize, raw: &[usize]) -> Vec<usize> {
    let mut points: Vec<usize> = raw.iter().map(|r| r % (len + 1)).collect();
    points.sort_unstable();
    points
}

/// `input` cut at `points` (sorted; empty chunks are kept: pushing nothing
/// must be harmless too).
pub fn chunks_at<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut out = vec![];
    let mut at = 0;
    for &p in points {
        out.push(&input[at..p]);
        at = p;
    }
    out.push(&input[at..]);
    out
}

/// The fixed chunk sizes of STYLE habit 8: 1, 2, 3, 7, the scanner's
/// maximum match length, one more, and 64 KiB.
pub fn fixed_chunk_sizes(scanner: &Scanner) -> Vec<usize> {
    let max = scanner.max_match_len() as usize;
    vec![1, 2, 3, 7, max.max(1), max + 1, 64 * 1024]
}

/// Findings of a [`secretscan::StreamScanner`] fed `chunks`, then finished.
pub fn stream_findings(scanner: &Scanner, chunks: &[&[u8]]) -> Vec<Finding> {
    let mut stream = scanner.stream();
    let mut findings = vec![];
    let mut pushed = 0;
    for c in chunks {
        findings.extend(stream.push(c));
        pushed += c.len() as u64;
        assert_eq!(stream.offset(), pushed, "offset() counts the bytes pushed");
    }
    findings.extend(stream.finish());
    assert!(
        stream.finish().is_empty(),
        "a second finish returns nothing"
    );
    findings
}

/// The output of a [`secretscan::RedactWriter`] written `chunks`, then finished.
pub fn writer_output(scanner: &Scanner, chunks: &[&[u8]]) -> Vec<u8> {
    let mut w = scanner.redact_writer(Vec::new());
    for c in chunks {
        w.write_all(c).expect("writing to a Vec cannot fail");
    }
    w.finish().expect("writing to a Vec cannot fail")
}

/// Runs both stream front ends over `chunks` and compares them with
/// scanning the whole input; returns a description of the first difference.
pub fn check_stream_equals_whole(
    scanner: &Scanner,
    input: &[u8],
    chunks: &[&[u8]],
) -> Result<(), String> {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        compare_stream_with_whole(scanner, input, chunks)
    }));
    run.unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!(
            "panicked: {msg}\nchunk lengths {:?}",
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
        ))
    })
}

fn compare_stream_with_whole(
    scanner: &Scanner,
    input: &[u8],
    chunks: &[&[u8]],
) -> Result<(), String> {
    let whole = scanner.scan(input);
    let streamed = stream_findings(scanner, chunks);
    if streamed != whole {
        return Err(format!(
            "StreamScanner differs from scan(whole)\nchunk lengths {:?}\nstream: {streamed:#?}\nwhole:  {whole:#?}",
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
        ));
    }
    // With secret capture on, each finding carries exactly its secret's
    // bytes (taken before the roll buffer dropped them) and is otherwise
    // the same finding.
    let mut stream = scanner.stream();
    stream.capture_secrets(true);
    let mut captured = vec![];
    for c in chunks {
        captured.extend(stream.push(c));
    }
    captured.extend(stream.finish());
    for f in &mut captured {
        let value = f.value.take();
        let want = &input[f.secret.start as usize..f.secret.end as usize];
        if value.as_deref() != Some(want) {
            return Err(format!(
                "captured value {:?} of {} at {:?} is not the secret {}",
                value.as_deref().map(show),
                f.rule_id,
                f.secret,
                show(want)
            ));
        }
    }
    if captured != whole {
        return Err(format!("StreamScanner with capture_secrets differs from scan(whole)\nstream: {captured:#?}\nwhole:  {whole:#?}"));
    }
    let redacted = scanner.redact(input);
    let written = writer_output(scanner, chunks);
    if written != redacted.as_ref() {
        return Err(format!(
            "RedactWriter differs from redact(whole)\nchunk lengths {:?}\nwriter: {:?}\nwhole:  {:?}",
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>(),
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&redacted)
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// An independent model of redaction
// ---------------------------------------------------------------------------

/// One expected redaction: the union of a component of overlapping secret
/// spans and the rule that labels it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub span: Range<usize>,
    pub rule: usize,
}

/// The redactions DESIGN.md's "Semantics" section calls for, built from
/// each rule's own validated matches ([`Oracle::rule_matches`]) without
/// the library's overlap resolution: components of (transitively)
/// overlapping secret spans, each labelled by its highest-priority rule
/// (on a tie, the rule listed first).
pub fn model_redactions(subject: &Subject, hay: &[u8]) -> Vec<Expected> {
    let rules = subject.scanner.rules();
    // Every rule's matches, doubtful ones (a failed check, a glued token)
    // too: redaction is recall-first.
    let mut spans: Vec<(Range<usize>, usize, bool)> = vec![];
    for rule in 0..rules.len() {
        spans.extend(
            subject
                .oracle
                .redaction_matches(rule, hay)
                .into_iter()
                .map(|(s, doubt)| (s, rule, doubt)),
        );
    }
    spans.sort_by_key(|(s, r, _)| (s.start, s.end, *r));
    // A doubtful match never names a redaction a sure one is part of.
    let rank = |r: usize, doubt: bool| (!doubt, rules[r].priority, std::cmp::Reverse(r));
    let mut out: Vec<(Expected, bool)> = vec![];
    for (s, r, doubt) in spans {
        match out.last_mut() {
            Some((last, last_doubt)) if s.start < last.span.end => {
                last.span.end = last.span.end.max(s.end);
                if rank(r, doubt) > rank(last.rule, *last_doubt) {
                    (last.rule, *last_doubt) = (r, doubt);
                }
            }
            _ => out.push((Expected { span: s, rule: r }, doubt)),
        }
    }
    out.into_iter().map(|(e, _)| e).collect()
}

/// The marker that replaces a secret.
pub fn marker(scanner: &Scanner, rule: usize) -> Vec<u8> {
    format!("[REDACTED:{}]", scanner.rules()[rule].id).into_bytes()
}

/// Applies `redactions` to `hay`.
pub fn apply(scanner: &Scanner, hay: &[u8], redactions: &[Expected]) -> Vec<u8> {
    let mut out = vec![];
    let mut at = 0;
    for r in redactions {
        out.extend_from_slice(&hay[at..r.span.start]);
        out.extend_from_slice(&marker(scanner, r.rule));
        at = r.span.end;
    }
    out.extend_from_slice(&hay[at..]);
    out
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Every start offset of `needle` in `hay` (overlapping occurrences too).
pub fn occurrences(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return vec![];
    }
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Renders bytes for failure messages.
pub fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}
