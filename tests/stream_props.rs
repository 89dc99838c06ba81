//! Property tests of the stream front ends (DESIGN.md, "Streams" and
//! "Latency"; STYLE.md habit 8):
//!
//! - chunking invariance: [`secretscan::StreamScanner`] and
//!   [`secretscan::RedactWriter`] fed any chunking equal scanning and
//!   redacting the whole input;
//! - flush: what a flushed `RedactWriter` has written is always a prefix
//!   of the final output, ends between markers, and matches `held_back()`;
//!   with rules that cannot match `\n`, or with no multi-line rule's
//!   keyword in the input, every complete line is out after a flush;
//! - memory: buffered bytes stay within the longest match plus the largest
//!   chunk on long streams.
//!
//! Case counts (per property, in the test profile): chunking 4096 inputs
//! (each at random split points and at the seven fixed chunk sizes, through
//! both front ends, with and without secret capture), flush 4096, memory
//! 24 streams of 256 KiB (each also checked against the whole input and
//! the oracle). About 10 s in all on 2 cores. `PROPTEST_CASES=N` runs N
//! cases of each instead.

mod support;

use std::io::Write;

use proptest::prelude::*;
use proptest::sample::Index;
use support::{
    all_material, arb_input, check_stream_equals_whole, chunks_at, fixed_chunk_sizes, marker,
    model_redactions, show, split_points, subjects, Expected, Subject,
};

fn pick(which: Index) -> &'static Subject {
    &subjects()[which.index(subjects().len())]
}

/// Stream == whole at random split points and at the fixed chunk sizes.
fn check_chunking(s: &Subject, input: &[u8], raw_splits: &[usize]) -> Result<(), TestCaseError> {
    let points = split_points(input.len(), raw_splits);
    let chunks = chunks_at(input, &points);
    if let Err(e) = check_stream_equals_whole(&s.scanner, input, &chunks) {
        return Err(TestCaseError::fail(format!(
            "{}: {e}\ninput {}",
            s.name,
            show(input)
        )));
    }
    for size in fixed_chunk_sizes(&s.scanner) {
        let chunks: Vec<&[u8]> = input.chunks(size).collect();
        if let Err(e) = check_stream_equals_whole(&s.scanner, input, &chunks) {
            return Err(TestCaseError::fail(format!(
                "{}: chunk size {size}: {e}\ninput {}",
                s.name,
                show(input)
            )));
        }
    }
    Ok(())
}

/// After every write and flush, the bytes written are a prefix of the final
/// output; for newline-free rule sets they include every complete line.
fn check_flush(s: &Subject, input: &[u8], raw_splits: &[usize]) -> Result<(), TestCaseError> {
    let final_out = s.scanner.redact(input).into_owned();
    let model = model_redactions(s, input);
    let lines_settle = s.lines_settle(input);
    let points = split_points(input.len(), raw_splits);
    let mut w = s.scanner.redact_writer(Vec::new());
    let mut fed = 0;
    for chunk in chunks_at(input, &points) {
        w.write_all(chunk).expect("writing to a Vec cannot fail");
        fed += chunk.len();
        w.flush().expect("flushing a Vec cannot fail");
        let out = w.get_ref();
        prop_assert!(
            final_out.starts_with(out),
            "{}: after flushing {} bytes the writer has written {} which is not a prefix of the final {}\ninput {}",
            s.name,
            fed,
            show(out),
            show(&final_out),
            show(input)
        );
        // What was written stands for a prefix of the input that ends
        // between markers, never inside one; held_back() is the rest.
        let Some(consumed) = input_consumed(s, input, &model, out.len()) else {
            return Err(TestCaseError::fail(format!(
                "{}: after flushing {fed} bytes the output {} ends inside a marker",
                s.name,
                show(out)
            )));
        };
        prop_assert_eq!(
            w.held_back(),
            (fed - consumed) as u64,
            "{}: held_back() after flushing {} bytes, of which {} are written",
            s.name,
            fed,
            consumed
        );
        if s.newline_free || lines_settle {
            if let Some(nl) = input[..fed].iter().rposition(|&b| b == b'\n') {
                let lines = s.scanner.redact(&input[..=nl]);
                prop_assert!(
                    out.starts_with(&lines),
                    "{}: after flushing {} bytes, complete lines are still held back\nwritten {}\nlines   {}\ninput {}",
                    s.name,
                    fed,
                    show(out),
                    show(&lines),
                    show(input)
                );
            }
        }
    }
    w.try_finish().expect("writing to a Vec cannot fail");
    prop_assert_eq!(w.held_back(), 0);
    prop_assert_eq!(
        w.redacted(),
        model.len() as u64,
        "{}: redacted() counts the markers",
        s.name
    );
    prop_assert!(
        w.write(b"x").is_err(),
        "{}: a write after finishing is an error",
        s.name
    );
    let out = w.finish().expect("finishing twice is harmless");
    prop_assert_eq!(out, final_out);
    Ok(())
}

/// How many input bytes the first `written` bytes of the redacted output
/// stand for, or `None` when that cut falls inside a marker.
fn input_consumed(s: &Subject, input: &[u8], model: &[Expected], written: usize) -> Option<usize> {
    let (mut out_at, mut in_at) = (0, 0);
    for r in model {
        let gap = r.span.start - in_at;
        if written <= out_at + gap {
            return Some(in_at + (written - out_at));
        }
        out_at += gap;
        let m = marker(&s.scanner, r.rule).len();
        if written < out_at + m {
            return None;
        }
        out_at += m;
        in_at = r.span.end;
    }
    let rest = input.len() - in_at;
    (written <= out_at + rest).then(|| in_at + (written - out_at))
}

/// A deterministic pseudo-random stream of about `len` bytes made of the
/// material's pieces and random text (SplitMix64 from `seed`).
fn long_stream(seed: u64, len: usize) -> Vec<u8> {
    let pool = all_material();
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut out = Vec::with_capacity(len + 256);
    while out.len() < len {
        let r = next();
        match r % 8 {
            0..=3 => out.extend_from_slice(&pool[(r >> 8) as usize % pool.len()]),
            4 => out.push(b'\n'),
            5 => out.extend((0..(r >> 8) % 40).map(|i| {
                b"abcdefhknoprstxyz0123456789_- "[(i as usize + (r >> 16) as usize) % 30]
            })),
            6 => out.extend((0..(r >> 8) % 16).map(|_| next() as u8)),
            _ => out.push(b' '),
        }
    }
    out
}

/// Slack allowed over `max_match_len + largest chunk`: the byte of
/// look-behind, the byte of look-ahead, and a partial keyword.
const MEMORY_SLACK: usize = 64;

fn check_memory(s: &Subject, seed: u64, max_chunk: usize) -> Result<(), TestCaseError> {
    let input = long_stream(seed, 256 * 1024);
    let bound_base = s.scanner.max_match_len() as usize + MEMORY_SLACK;
    let mut stream = s.scanner.stream();
    let mut writer = s.scanner.redact_writer(Vec::new());
    let mut findings = vec![];
    let mut state = seed ^ 0x5555;
    let (mut at, mut largest) = (0, 0);
    while at < input.len() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = (1 + (state >> 33) as usize % max_chunk).min(input.len() - at);
        let chunk = &input[at..at + n];
        at += n;
        largest = largest.max(n);
        findings.extend(stream.push(chunk));
        writer
            .write_all(chunk)
            .expect("writing to a Vec cannot fail");
        prop_assert!(
            stream.buffered() <= bound_base + largest,
            "{}: StreamScanner buffers {} bytes at offset {at} (max_match_len {}, largest chunk {largest})",
            s.name,
            stream.buffered(),
            s.scanner.max_match_len()
        );
        prop_assert!(
            writer.held_back() as usize <= bound_base + largest,
            "{}: RedactWriter holds back {} bytes at offset {at} (max_match_len {}, largest chunk {largest})",
            s.name,
            writer.held_back(),
            s.scanner.max_match_len()
        );
    }
    // The long stream also crossed many trims of the roll buffer: findings
    // (lines and columns included) and output still equal the whole input's.
    findings.extend(stream.finish());
    let whole = s.scanner.scan(&input);
    prop_assert!(
        findings == whole,
        "{}: long stream findings differ from scan(whole)",
        s.name
    );
    prop_assert!(
        whole == s.oracle.scan(&input),
        "{}: scan differs from the oracle on a long stream",
        s.name
    );
    let out = writer.finish().expect("writing to a Vec cannot fail");
    prop_assert!(
        out == s.scanner.redact(&input).as_ref(),
        "{}: long stream output differs from redact(whole)",
        s.name
    );
    Ok(())
}

proptest! {
    #![proptest_config(support::config(4096))]

    #[test]
    fn stream_equals_whole_at_any_chunking(
        which in any::<Index>(),
        input in arb_input(all_material()),
        splits in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        check_chunking(pick(which), &input, &splits)?;
    }
}

proptest! {
    #![proptest_config(support::config(4096))]

    #[test]
    fn flush_writes_only_final_bytes_and_every_complete_line(
        which in any::<Index>(),
        input in arb_input(all_material()),
        splits in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        check_flush(pick(which), &input, &splits)?;
    }
}

proptest! {
    #![proptest_config(support::config(24))]

    #[test]
    fn memory_stays_bounded_on_long_streams(
        which in any::<Index>(),
        seed in any::<u64>(),
        max_chunk in prop_oneof![Just(1usize), 1..64usize, 64..70_000usize],
    ) {
        check_memory(pick(which), seed, max_chunk)?;
    }
}
