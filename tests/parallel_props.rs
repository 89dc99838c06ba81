//! Property tests of the parallel-chunk path (`secretscan::parallel`):
//! [`Scanner::scan_parallel`] and [`secretscan::ParallelStream`] must give
//! exactly the findings of a one-thread whole scan, line and column
//! included, whatever the chunk size. Tiny chunk sizes make a split
//! attempt every few bytes, so that split points land next to, and are
//! pushed past, keyword hits; dense runs of keywords leave no safe point,
//! so that chunks merge and streams go on sequentially.
//!
//! Inputs: the stream properties' generated material (rule examples,
//! keywords, dense repeats, random and binary bytes), with planted tokens
//! built at run time, allow markers, CRLF line ends and NUL bytes spliced
//! in. Inline suppression (a report filter over lines) is checked to drop
//! the same findings after both paths.
//!
//! Case counts: 1024 per property in the test profile; `PROPTEST_CASES=N`
//! runs N instead.

mod keys;
mod support;

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;
use secretscan::suppress::InlineAllow;
use secretscan::{Finding, Scanner};
use support::{all_material, arb_input, show, subjects, Subject};

fn pick(which: Index) -> &'static Subject {
    &subjects()[which.index(subjects().len())]
}

/// The generated material plus the pieces this path must get right.
fn material() -> Arc<Vec<Vec<u8>>> {
    let mut pool: Vec<Vec<u8>> = all_material().iter().cloned().collect();
    for seed in 0..4 {
        pool.push(keys::github_pat(seed).into_bytes());
        pool.push(keys::anthropic_key(seed).into_bytes());
        pool.push(format!("token = {} # secretscan:allow\n", keys::github_pat(seed)).into_bytes());
    }
    pool.push(b" # secretscan:allow".to_vec());
    pool.push(b"\r\n".to_vec());
    pool.push(b"\0\0\x01\xfe".to_vec());
    Arc::new(pool)
}

fn allowed(scanner: &Scanner, input: &[u8], found: Vec<Finding>) -> Vec<Finding> {
    let mut allow = InlineAllow::new(scanner);
    let mut out = vec![];
    allow.push(input, found, &mut out);
    allow.finish(vec![], &mut out);
    out
}

fn check(
    s: &Subject,
    input: &[u8],
    chunk_len: usize,
    pushes: &[usize],
) -> Result<(), TestCaseError> {
    let whole = s.scanner.scan(input);
    let parallel = s.scanner.scan_parallel(input, chunk_len);
    prop_assert_eq!(
        &parallel,
        &whole,
        "{}: scan_parallel, chunk {}\ninput {}",
        &s.name,
        chunk_len,
        show(input)
    );
    let mut stream = s.scanner.parallel_stream(chunk_len);
    stream.capture_secrets(true);
    let mut streamed = vec![];
    let mut at = 0;
    for &p in pushes {
        let to = (at + p).min(input.len());
        streamed.extend(stream.push(&input[at..to]));
        at = to;
    }
    streamed.extend(stream.push(&input[at..]));
    streamed.extend(stream.finish());
    let mut plain = s.scanner.stream();
    plain.capture_secrets(true);
    let mut expected = plain.push(input);
    expected.extend(plain.finish());
    prop_assert_eq!(
        &streamed,
        &expected,
        "{}: ParallelStream, chunk {}, pushes {:?}\ninput {}",
        &s.name,
        chunk_len,
        pushes,
        show(input)
    );
    prop_assert_eq!(
        allowed(&s.scanner, input, parallel),
        allowed(&s.scanner, input, whole),
        "{}: allow markers",
        &s.name
    );
    Ok(())
}

proptest! {
    #![proptest_config(support::config(1024))]

    #[test]
    fn parallel_chunks_equal_whole_scan(
        which in any::<Index>(),
        input in arb_input(material()),
        chunk_len in prop_oneof![1..8usize, 8..64usize, 64..512usize],
        pushes in prop::collection::vec(0..300usize, 0..8),
    ) {
        check(pick(which), &input, chunk_len, &pushes)?;
    }

    /// Longer inputs: many pieces strung together, so that many chunks
    /// and several parallel rounds of a stream occur.
    #[test]
    fn long_inputs_equal_whole_scan(
        which in any::<Index>(),
        parts in prop::collection::vec(arb_input(material()), 1..12),
        chunk_len in 16..256usize,
        pushes in prop::collection::vec(0..2000usize, 0..8),
    ) {
        check(pick(which), &parts.concat(), chunk_len, &pushes)?;
    }
}

/// A regression guard for dense keyword runs far longer than a chunk: no
/// safe point exists there, so chunks merge (whole input) and the stream
/// goes on sequentially; findings after the run keep their lines.
#[test]
fn dense_runs_longer_than_chunks() {
    let scanner = Scanner::builtin();
    let mut input = b"password=password=ghp_ghp_-----BEGIN ".repeat(4000);
    input.extend_from_slice(format!("\r\nkey {}\n", keys::github_pat(7)).as_bytes());
    input.extend_from_slice(&b"clean line\n".repeat(2000));
    input.extend_from_slice(format!("again {}\n", keys::github_pat(8)).as_bytes());
    let whole = scanner.scan(&input);
    assert!(whole.len() >= 2, "planted tokens are found");
    assert_eq!(scanner.scan_parallel(&input, 1024), whole);
    let mut stream = scanner.parallel_stream(1024);
    let mut found = vec![];
    for piece in input.chunks(5000) {
        found.extend(stream.push(piece));
    }
    found.extend(stream.finish());
    assert_eq!(found, whole);
}
