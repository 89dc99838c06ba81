//! Property tests of known-value redaction (DESIGN.md, "Streams"): a
//! scanner with known values, fed any chunking through `StreamScanner` and
//! `RedactWriter`, equals scanning and redacting the whole input; and a
//! swap of the set mid-stream to a superset never lets an old value out.
//!
//! Inputs mix known values, their encodings, fragments of them, built-in
//! rule material (a GitHub token that overlaps nothing and one glued to a
//! known value) and random bytes. `PROPTEST_CASES=N` runs N cases.

mod support;

use std::io::Write;
use std::sync::OnceLock;

use base64::Engine;
use proptest::prelude::*;
use secretscan::{known::encodings, KnownSecrets, Scanner};
use support::{check_stream_equals_whole, chunks_at, show, split_points};

const VALUES: &[(&str, &str)] = &[
    ("A", "alpha-Secret-77"),
    ("B", "alpha-Secret-77-longer"),
    ("C", "p/w+\"x y\"01"),
    ("D", "ZZZZZZZZZZZZ"),
];

fn known() -> KnownSecrets {
    let mut b = KnownSecrets::builder();
    for (name, value) in VALUES {
        b.add(*name, value);
    }
    b.build()
}

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::builtin().with_known(known()))
}

/// Pieces to assemble inputs from: every encoding of every value, a prefix
/// of each, base64 of `user:` + value, a token, separators, noise.
fn pieces() -> &'static Vec<Vec<u8>> {
    static P: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    P.get_or_init(|| {
        let mut p: Vec<Vec<u8>> = vec![];
        for (_, v) in VALUES {
            for e in encodings(v.as_bytes()) {
                p.push(e[..e.len() / 2].to_vec());
                p.push(e);
            }
            let b64 = base64::engine::general_purpose::STANDARD.encode(format!("user:{v}"));
            p.push(b64.into_bytes());
        }
        let entropy = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5";
        let sum = secretscan::validate::base62(
            u64::from(secretscan::validate::crc32(entropy.as_bytes())),
            6,
        );
        p.push(format!("ghp_{entropy}{sum}").into_bytes());
        for s in [
            &b" "[..],
            b"\n",
            b"=",
            b"\"",
            b"Z",
            b"alpha-",
            b"%2F",
            b"\\",
            b"\x00\xff",
        ] {
            p.push(s.to_vec());
        }
        p
    })
}

fn arb_known_input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0..pieces().len()).prop_map(|i| pieces()[i].clone()),
            1 => prop::collection::vec(any::<u8>(), 0..6),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn stream_equals_whole_with_known_values(
        input in arb_known_input(),
        raw in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let s = scanner();
        let whole = s.redact(&input);
        for (_, v) in VALUES {
            prop_assert!(
                !whole.windows(v.len()).any(|w| w == v.as_bytes()),
                "a known value survived: {}", show(&whole)
            );
        }
        let points = split_points(input.len(), &raw);
        for chunks in [
            chunks_at(&input, &points),
            input.chunks(1).collect(),
            input.chunks(7).collect(),
        ] {
            if let Err(e) = check_stream_equals_whole(s, &input, &chunks) {
                return Err(TestCaseError::fail(format!("{e}\ninput {}", show(&input))));
            }
        }
    }

    /// A swap to a superset (what a rotation passes: the new values plus
    /// the old ones kept for the window) at any write boundary never shows
    /// a value of the old set that the old set alone would have hidden; a
    /// swap before the first write equals the superset from the start.
    #[test]
    fn a_swap_to_a_superset_never_lets_an_old_value_out(
        input in arb_known_input(),
        raw in prop::collection::vec(any::<usize>(), 1..8),
        at in any::<prop::sample::Index>(),
    ) {
        let old = {
            let mut b = KnownSecrets::builder();
            b.add("A", VALUES[0].1).add("C", VALUES[2].1);
            b.build()
        };
        let points = split_points(input.len(), &raw);
        let chunks = chunks_at(&input, &points);
        let swap_at = at.index(chunks.len() + 1);
        let mut w = Scanner::builtin().with_known(old.clone()).redact_writer(Vec::new());
        for (n, c) in chunks.iter().enumerate() {
            if n == swap_at {
                w.set_known(known());
            }
            w.write_all(c).unwrap();
            w.flush().unwrap();
        }
        let out = w.finish().unwrap();
        let before_only = Scanner::builtin().with_known(old).redact(&input).into_owned();
        for (_, v) in &VALUES[..1] {
            // The raw old value never survives, unless the input's own
            // bytes around it already hid it from both sets (then neither
            // single-set run shows it either).
            let leaked = |o: &[u8]| o.windows(v.len()).any(|w| w == v.as_bytes());
            prop_assert!(
                !leaked(&out) || leaked(&before_only),
                "old value leaked across the swap\ninput {}\nout {}", show(&input), show(&out)
            );
        }
        if swap_at == 0 {
            prop_assert_eq!(out, scanner().redact(&input).into_owned());
        }
    }
}
