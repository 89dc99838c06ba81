//! Deterministic seam tests (STYLE.md habits 8 and 9): named rows of
//! (rules, input, expected findings, expected redaction), each run whole,
//! against the oracle, at every two-way split point, and chunked at 1, 2,
//! 3, 7, max_match_len, max_match_len + 1 and 64 KiB bytes; plus long-line,
//! every-boundary and memory cases, and regression tests named after what
//! broke.

mod support;

use std::io::Write;
use std::ops::Range;

use secretscan::oracle::Oracle;
use secretscan::Scanner;
use support::{check_stream_equals_whole, chunks_at, fixed_chunk_sizes, show, tricky};

/// A scanner over a single rule written inline.
fn one_rule(pattern: &str, keyword: &str) -> Scanner {
    let toml = format!("[[rules]]\nid = \"r\"\nname = \"r\"\npattern = '''{pattern}'''\nkeywords = [\"{keyword}\"]\n");
    Scanner::builder()
        .builtin(false)
        .rules_toml("inline.toml", toml)
        .build()
        .expect("inline rule compiles")
}

/// Checks one row: findings and redaction as expected, equal to the oracle,
/// and unchanged by any chunking.
fn run_case(
    name: &str,
    scanner: &Scanner,
    input: &[u8],
    expected: &[(&str, Range<u64>)],
    redacted: Option<&[u8]>,
) {
    let findings = scanner.scan(input);
    let got: Vec<(&str, Range<u64>)> = findings
        .iter()
        .map(|f| (&*f.rule_id, f.secret.clone()))
        .collect();
    assert_eq!(got, expected, "{name}: findings of {}", show(input));
    let oracle = Oracle::new(scanner);
    assert_eq!(
        findings,
        oracle.scan(input),
        "{name}: scan differs from the oracle"
    );
    let out = scanner.redact(input);
    assert_eq!(
        out.as_ref(),
        &oracle.redact(input)[..],
        "{name}: redact differs from the oracle"
    );
    if let Some(redacted) = redacted {
        assert_eq!(show(&out), show(redacted), "{name}: redaction");
    }
    for size in fixed_chunk_sizes(scanner) {
        let chunks: Vec<&[u8]> = input.chunks(size).collect();
        if let Err(e) = check_stream_equals_whole(scanner, input, &chunks) {
            panic!("{name}: chunk size {size}: {e}");
        }
    }
    for at in 0..=input.len() {
        if let Err(e) = check_stream_equals_whole(scanner, input, &chunks_at(input, &[at])) {
            panic!("{name}: split at {at}: {e}");
        }
    }
}

/// `name: scanner, input => [(rule-id, secret span), ...], redacted;`
/// (`redacted` is `Some(bytes)` or `None` to skip that check).
macro_rules! cases {
    ($( $(#[$meta:meta])* $name:ident : $scanner:expr, $input:expr => [$( ($id:literal, $span:expr) ),* $(,)?], $redacted:expr; )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                let input: Vec<u8> = $input.into();
                let redacted: Option<&[u8]> = $redacted;
                run_case(stringify!($name), &$scanner, &input, &[$( ($id, $span) ),*], redacted);
            }
        )*
    };
}

const TOK: &str = "tok_abc12345";

cases! {
    empty_input: tricky(), b"".to_vec() => [], Some(b"");

    secret_at_the_very_start: tricky(), format!("{TOK} rest") => [("tricky-tok", 0..12)],
        Some(b"[REDACTED:tricky-tok] rest");

    secret_at_the_very_end: tricky(), format!("rest {TOK}") => [("tricky-tok", 5..17)],
        Some(b"rest [REDACTED:tricky-tok]");

    input_is_exactly_one_secret: tricky(), TOK => [("tricky-tok", 0..12)], Some(b"[REDACTED:tricky-tok]");

    // Adjacent spans are two redactions, not one.
    two_secrets_touching: tricky(), "@@12@@34" => [("tricky-tiny", 0..4), ("tricky-tiny", 4..8)],
        Some(b"[REDACTED:tricky-tiny][REDACTED:tricky-tiny]");

    two_secrets_touching_at_the_end: tricky(), "x @@12@@34" => [("tricky-tiny", 2..6), ("tricky-tiny", 6..10)],
        Some(b"x [REDACTED:tricky-tiny][REDACTED:tricky-tiny]");

    // The generic sk- rule covers the whole key; the specific rule's secret
    // group names it, and the union is redacted once.
    generic_rule_overlapping_a_specific_one: tricky(), "k=sk-ant-AbCdEfGhIjKl"
        => [("tricky-sk-ant", 9..21)], Some(b"k=[REDACTED:tricky-sk-ant]");

    // Other rules' keywords inside a multi-line block: the block wins.
    keywords_inside_a_multi_line_block: tricky(),
        "-----BEGIN K-----\nsk-abcdefgh12 tok_abc12345\n-----END K-----\n"
        => [("tricky-pem", 0..60)], Some(b"[REDACTED:tricky-pem]\n");

    // Equal priorities: the rule listed first names the secret.
    equal_priorities_overlapping: tricky(), "0123hx45678abc" => [("tricky-hex", 4..14)],
        Some(b"[REDACTED:tricky-hex]");

    // A failed validator is no finding, but its match still consumes bytes.
    low_entropy_match_is_not_a_finding: tricky(), "v=hx0000000000 " => [], None;

    placeholder_password_is_not_a_finding: tricky(), "password=changeme123\n" => [], None;

    password_secret_group: tricky(), "PASSWORD = Xy9kLm2Pq7Rt\n" => [("tricky-password", 11..23)],
        Some(b"PASSWORD = [REDACTED:tricky-password]\n");

    // `$` does not match before `\r`, `\n` must follow directly: only the
    // token is found on CRLF lines.
    crlf_lines: tricky(), "a\r\ntok_abc12345\r\ncfg_ABCD\r\nnl:ab\r\ncd\r\n" => [("tricky-tok", 3..15)],
        Some(b"a\r\n[REDACTED:tricky-tok]\r\ncfg_ABCD\r\nnl:ab\r\ncd\r\n");

    lf_lines_anchor_and_cross: tricky(), "a\ncfg_ABCD\nnl:ab\ncd\n" => [("tricky-cfg", 2..10), ("tricky-nl", 11..19)],
        Some(b"a\n[REDACTED:tricky-cfg]\n[REDACTED:tricky-nl]\n");

    nul_and_invalid_utf8_around_keys: tricky(), b"\0tok_abc12345\xff\xfe@@12\0\xc3(".to_vec()
        => [("tricky-tok", 1..13), ("tricky-tiny", 15..19)],
        Some(b"\0[REDACTED:tricky-tok]\xff\xfe[REDACTED:tricky-tiny]\0\xc3(");

    case_insensitive_pattern_and_keyword: tricky(), "AKIDabcdefgh akidABCD1234"
        => [("tricky-akid", 0..12), ("tricky-akid", 13..25)], None;

    // The lead `[a-z]{0,6}` starts the match six letters before XKEY.
    match_not_starting_with_its_keyword: tricky(), "id=abcdefghXKEY1234 "
        => [("tricky-xkey", 5..19)], Some(b"id=ab[REDACTED:tricky-xkey] ");

    // The secret group ends at the keyword; leftmost-first starts it 20
    // bytes before.
    secret_group_before_the_keyword: tricky(), "host=ABCDEFGHIJKLMNOPQRSTUVWXY.apps.example"
        => [("tricky-suffix", 10..30)], Some(b"host=ABCDE[REDACTED:tricky-suffix].apps.example");

    builtin_example_whole: Scanner::builtin(), builtin_example_line() => [("github-pat", 6..46)], None;
}

/// A line holding the built-in github-pat rule's first example.
fn builtin_example_line() -> Vec<u8> {
    let rule = Scanner::builtin()
        .rules()
        .iter()
        .find(|r| &*r.id == "github-pat")
        .expect("the built-in pack has github-pat")
        .clone();
    let mut line = rule.examples[0].clone();
    line.push(b'\n');
    line
}

/// Every two- and three-way split of an input holding several keys of
/// different shapes gives the same findings and redaction as the whole.
#[test]
fn split_across_every_byte_boundary() {
    let scanner = tricky();
    let input = b"a=sk-ant-AbCdEfGhIj12 abXKEY1234\n@@12@@34 tok_abc123\n-----BEGIN K-----\nx\n-----END K----- end";
    for i in 0..=input.len() {
        for j in i..=input.len() {
            if let Err(e) = check_stream_equals_whole(&scanner, input, &chunks_at(input, &[i, j])) {
                panic!("split at {i}, {j}: {e}");
            }
        }
    }
}

/// The same over the built-in pack, with each built-in rule's examples as
/// keys, two-way splits.
#[test]
fn builtin_examples_split_at_every_boundary() {
    let scanner = Scanner::builtin();
    let oracle = Oracle::new(&scanner);
    for rule in scanner.rules() {
        for example in &rule.examples {
            let mut input = b"pre ".to_vec();
            input.extend_from_slice(example);
            input.extend_from_slice(b"\npost");
            assert_eq!(
                scanner.scan(&input),
                oracle.scan(&input),
                "{}: scan differs from the oracle",
                rule.id
            );
            for at in 0..=input.len() {
                if let Err(e) =
                    check_stream_equals_whole(&scanner, &input, &chunks_at(&input, &[at]))
                {
                    panic!("{}: split at {at}: {e}", rule.id);
                }
            }
        }
    }
}

/// 1 MiB with no newline, keys spread through it: equal to the oracle whole,
/// equal whole and streamed, and memory bounded while streaming.
#[test]
fn one_mib_line_without_newline() {
    let scanner = tricky();
    let keys: [&[u8]; 5] = [
        b"tok_abc12345",
        b"sk-ant-AbCdEfGhIj12",
        b"abXKEY1234",
        b"@@12",
        b"AKIDabcdefgh",
    ];
    let mut input = Vec::with_capacity(1 << 20);
    let mut n = 0u32;
    while input.len() < (1 << 20) {
        // Alphanumeric runs (inside most rules' alphabets, so nothing
        // settles early) separated by '/'.
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12345);
        input.extend((0..200).map(|i| b"aZ09qR7x"[((n >> 8) as usize + i) % 8]));
        input.push(b'/');
        if n % 7 == 0 {
            input.extend_from_slice(keys[(n as usize >> 4) % keys.len()]);
            input.push(b'/');
        }
    }
    let oracle = Oracle::new(&scanner);
    let whole = scanner.scan(&input);
    assert!(
        whole.len() > 100,
        "the keys are found ({} findings)",
        whole.len()
    );
    assert_eq!(whole, oracle.scan(&input));
    assert_eq!(scanner.redact(&input).as_ref(), &oracle.redact(&input)[..]);
    for size in [7, 4096, 64 * 1024] {
        let chunks: Vec<&[u8]> = input.chunks(size).collect();
        if let Err(e) = check_stream_equals_whole(&scanner, &input, &chunks) {
            panic!("chunk size {size}: {}", &e[..e.len().min(2000)]);
        }
        let bound = scanner.max_match_len() as usize + size + 64;
        let mut w = scanner.redact_writer(std::io::sink());
        let mut stream = scanner.stream();
        for c in &chunks {
            w.write_all(c).unwrap();
            stream.push(c);
            assert!(
                w.held_back() as usize <= bound,
                "held back {} > {bound}",
                w.held_back()
            );
            assert!(
                stream.buffered() <= bound,
                "buffered {} > {bound}",
                stream.buffered()
            );
        }
    }
}

/// The tricky set's positive examples are found (as `rules check` runs
/// them), so the generators' material really forms keys. The set breaks
/// the pack's lints on purpose (rules not led by a keyword, rules that
/// collide, no negative examples): those failures are expected.
#[test]
fn tricky_rules_pass_their_own_examples() {
    let report = secretscan::rules::check::check(&tricky());
    let by_design = [
        "at least one positive and one negative example",
        "do not provably start with a keyword",
        "the scanner names it",
    ];
    let failures: Vec<String> = report
        .failures
        .iter()
        .map(|f| f.to_string())
        .filter(|f| !by_design.iter().any(|d| f.contains(d)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The shapes the property tests rely on.
#[test]
fn tricky_rules_have_the_intended_shapes() {
    let multi_line: Vec<String> = support::tricky_rules()
        .rules()
        .iter()
        .filter(|r| support::can_match_newline(&r.pattern))
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        multi_line,
        ["tricky-pem", "tricky-password", "tricky-nl", "tricky-block"]
    );
    assert_eq!(
        support::subject_named("tricky[tricky-tiny]")
            .scanner
            .max_match_len(),
        4
    );
    assert!(support::subject_named("tricky-newline-free").newline_free);
    assert!(!support::subject_named("tricky").newline_free);
}

/// The independent redaction model agrees with a hand-checked overlap.
#[test]
fn redaction_model_agrees_on_a_known_overlap() {
    let s = support::subject_named("tricky");
    let got = support::model_redactions(s, b"sk-ant-AbCdEfGhIj12");
    let sk_ant = s
        .scanner
        .rules()
        .iter()
        .position(|r| &*r.id == "tricky-sk-ant")
        .unwrap();
    assert_eq!(
        got,
        vec![support::Expected {
            span: 0..19,
            rule: sk_ant
        }]
    );
}

/// Dropping a RedactWriter without `finish` still writes everything held
/// back (best effort), redacted.
#[test]
fn dropping_the_writer_finishes_it() {
    let scanner = tricky();
    let input = b"a @@12 tok_abc12345 sk-ant-AbCdEfGhIj12";
    let mut out = Vec::new();
    {
        let mut w = scanner.redact_writer(&mut out);
        w.write_all(input).unwrap();
        assert!(
            w.held_back() > 0,
            "the trailing key is held back until the end"
        );
    }
    assert_eq!(show(&out), show(&scanner.redact(input)));
}

// ---------------------------------------------------------------------------
// Regressions
// ---------------------------------------------------------------------------

/// A rule whose matches do not begin with its keyword, idle while the buffer
/// was trimmed past its `next_start`, got a hit: the frontier computation
/// then indexed the buffer before its start (debug assertion in
/// `View::local`; an index out of bounds in release).
#[test]
fn lead_rule_idle_past_the_buffer_start_then_hit() {
    let scanner = one_rule("[0-9a-f]{4}hx[0-9a-f]{4}", "hx");
    let input = b"TgHX";
    let chunks: Vec<&[u8]> = input.chunks(1).collect();
    check_stream_equals_whole(&scanner, input, &chunks).unwrap();
}

/// Regression: two rules of equal priority whose matches overlap in a chain
/// (`0123hx4567` by tricky-hex-pair, `hx4567abcd` by tricky-hex, the next
/// `abcdhx4567` by tricky-hex-pair, ...) form one component as long as the
/// line, redacted once (DESIGN.md). The writer used to keep the whole chain
/// in memory; now candidates are folded as soon as nothing can overlap
/// them, and the bytes inside the open redaction are dropped, so memory
/// stays bounded on an endless stream (only the label waits for the end).
#[test]
fn overlap_chain_keeps_memory_bounded() {
    let scanner = tricky();
    let mut input = b"0123".to_vec();
    for _ in 0..5000 {
        input.extend_from_slice(b"hx4567abcd");
    }
    input.extend_from_slice(b" end\n");
    // The whole chain is one redaction, as the oracle says.
    assert_eq!(
        scanner.redact(&input).as_ref(),
        b"[REDACTED:tricky-hex] end\n"
    );
    let bound = scanner.max_match_len() + 64 + 64;
    let mut w = scanner.redact_writer(Vec::new());
    for (i, c) in input.chunks(64).enumerate() {
        w.write_all(c).unwrap();
        w.flush().unwrap();
        assert!(
            w.buffered() as u64 <= bound,
            "after {} bytes the writer buffers {} (bound {bound})",
            (i + 1) * 64,
            w.buffered()
        );
    }
}

/// Regression: PEM headers repeated with nothing else (keyword repeats of a
/// multi-line rule) used to probe at most 8 hits per push, counting hits
/// that were already settled, so the frontier fell ever further behind the
/// input: memory grew with the input and each push searched the whole
/// backlog again (32 MiB took 54 s to redact). Now a stream of them holds
/// back no more than the longest match plus a chunk, and the output equals
/// the whole input's.
#[test]
fn repeated_pem_headers_keep_the_frontier_up() {
    let scanner = Scanner::builtin();
    let input = b"-----BEGIN RSA PRIVATE KEY-----\n".repeat(40_000);
    let chunk = 64 * 1024;
    let bound = scanner.max_match_len() as usize + chunk + 64;
    let mut w = scanner.redact_writer(Vec::new());
    let mut stream = scanner.stream();
    let mut findings = vec![];
    for (i, c) in input.chunks(chunk).enumerate() {
        w.write_all(c).unwrap();
        findings.extend(stream.push(c));
        assert!(
            w.held_back() as usize <= bound && stream.buffered() <= bound,
            "after {} bytes: held back {}, buffered {} (bound {bound})",
            (i + 1) * chunk,
            w.held_back(),
            stream.buffered()
        );
    }
    findings.extend(stream.finish());
    assert_eq!(findings, scanner.scan(&input));
    assert_eq!(show(&w.finish().unwrap()), show(&scanner.redact(&input)));
}
