//! Chunking invariance (DESIGN.md, "Streams"): a StreamScanner and a
//! RedactWriter fed the input in chunks equal `scan` and `redact` of the
//! whole input.
//!
//! Input layout: byte 0 picks the scanner (bit 0) and the number of split
//! points (bits 1..4, up to 15); byte 1, when not 0, is also a fixed chunk
//! size to run; then two bytes per split point (little-endian, taken modulo
//! the length); the rest, decoded (see the crate docs), is the stream.

#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use secretscan::Scanner;
use secretscan_fuzz::{expand, subjects};

fn check(scanner: &Scanner, name: &str, input: &[u8], chunks: &[&[u8]]) {
    let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
    let whole = scanner.scan(input);
    let mut stream = scanner.stream();
    let mut streamed = vec![];
    for c in chunks {
        streamed.extend(stream.push(c));
    }
    streamed.extend(stream.finish());
    assert_eq!(
        streamed,
        whole,
        "{name}: stream differs from whole; chunks {lens:?}, input {:?}",
        String::from_utf8_lossy(input)
    );

    let mut w = scanner.redact_writer(Vec::new());
    for c in chunks {
        w.write_all(c).unwrap();
        w.flush().unwrap();
    }
    let out = w.finish().unwrap();
    let redacted = scanner.redact(input);
    assert!(
        out == redacted.as_ref(),
        "{name}: writer differs from redact(whole); chunks {lens:?}, input {:?}\nwriter: {:?}\nwhole:  {:?}",
        String::from_utf8_lossy(input),
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&redacted)
    );
}

fuzz_target!(|data: &[u8]| {
    let [head, size, rest @ ..] = data else {
        return;
    };
    let s = &subjects()[(*head & 1) as usize];
    let n = ((*head >> 1) & 15) as usize;
    if rest.len() < 2 * n {
        return;
    }
    let (points, body) = rest.split_at(2 * n);
    let input = expand(body);
    let mut cuts: Vec<usize> = points
        .chunks(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]) as usize % (input.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut chunks = vec![];
    let mut at = 0;
    for c in cuts {
        chunks.push(&input[at..c]);
        at = c;
    }
    chunks.push(&input[at..]);
    check(&s.scanner, s.name, &input, &chunks);
    if *size != 0 {
        let chunks: Vec<&[u8]> = input.chunks(*size as usize).collect();
        check(&s.scanner, s.name, &input, &chunks);
    }
});
