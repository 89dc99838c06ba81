//! Feeds a file through a `RedactWriter` in writes of a chosen size, for
//! profiling the streaming path on its own (no pipes, no CLI):
//!
//! ```text
//! cargo build --release --example redact_writes
//! valgrind --tool=callgrind target/release/examples/redact_writes tokens big.log 1048576
//! ```
//!
//! `tokens` writes 1 to 16 bytes at a time (sizes from a fixed generator, so
//! every run is the same); `chunks` writes 64 KiB at a time. The optional
//! third argument caps the bytes read from the file. Prints the rate and how
//! many secrets were redacted.

use std::io::Write;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, path) = match (args.get(1), args.get(2)) {
        (Some(m), Some(p)) => (m.as_str(), p.as_str()),
        _ => {
            eprintln!("usage: redact_writes tokens|chunks FILE [MAX_BYTES]");
            std::process::exit(2);
        }
    };
    let mut data = std::fs::read(path).expect("readable input");
    if let Some(max) = args.get(3) {
        data.truncate(max.parse().expect("MAX_BYTES is a number"));
    }
    let scanner = secretscan::Scanner::builtin();
    // Every rule's regex now, so that the run measures redaction only.
    scanner.build_all_now().expect("built-in rules build");
    let started = Instant::now();
    let redacted = run(&scanner, mode, &data);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{mode}: {} bytes, {redacted} redacted, {secs:.3} s, {:.1} MB/s",
        data.len(),
        data.len() as f64 / secs / 1e6
    );
}

/// The measured part (`valgrind --tool=callgrind --toggle-collect=*redact_writes::run*`
/// leaves out reading the file and compiling the rules).
#[inline(never)]
fn run(scanner: &secretscan::Scanner, mode: &str, data: &[u8]) -> u64 {
    let mut w = scanner.redact_writer(std::io::sink());
    match mode {
        "tokens" => {
            // SplitMix64 for the write sizes.
            let mut state = 17u64;
            let mut at = 0;
            while at < data.len() {
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                let n = 1 + ((z ^ (z >> 31)) % 16) as usize;
                let end = (at + n).min(data.len());
                w.write_all(&data[at..end]).expect("sink");
                at = end;
            }
        }
        "chunks" => {
            for chunk in data.chunks(64 * 1024) {
                w.write_all(chunk).expect("sink");
            }
        }
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    }
    let redacted = w.redacted();
    w.finish().expect("sink");
    redacted
}
