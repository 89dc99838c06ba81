//! Writes the inputs of `scripts/bench.sh` to stdout, deterministically
//! (the same bytes for the same arguments on every machine):
//!
//! ```text
//! bench_corpus log BYTES [SEED]     realistic log, ~4 planted secrets per MiB
//! bench_corpus repeat KIND BYTES    only keyword repeats; KIND: password, begin, ghp
//! bench_corpus rules N              a rule file of N generated rules
//! ```
//!
//! BYTES takes a K or M suffix (powers of 1024). Build it in release:
//! `cargo run --release --example bench_corpus -- log 256M > big.log`.

#[allow(dead_code)]
mod corpus;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

fn bytes(arg: Option<&String>) -> Option<usize> {
    let arg = arg?;
    let (digits, shift) = match arg.as_bytes().last()? {
        b'K' | b'k' => (&arg[..arg.len() - 1], 10),
        b'M' | b'm' => (&arg[..arg.len() - 1], 20),
        _ => (&arg[..], 0),
    };
    digits.parse::<usize>().ok().map(|n| n << shift)
}

fn run(args: &[String]) -> io::Result<bool> {
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    match args.first().map(String::as_str) {
        Some("log") => {
            let Some(len) = bytes(args.get(1)) else {
                return Ok(false);
            };
            let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
            // Generated a MiB at a time: constant memory at any size.
            let mut gen = corpus::LogGen::new(4, seed);
            let mut buf = Vec::with_capacity(corpus::MIB + 4096);
            let mut written = 0;
            while written < len {
                buf.clear();
                gen.fill(&mut buf, corpus::MIB.min(len - written));
                out.write_all(&buf)?;
                written += buf.len();
            }
        }
        Some("repeat") => {
            let unit = corpus::REPEATS
                .iter()
                .find(|(name, _)| Some(*name) == args.get(1).map(String::as_str));
            let (Some((_, unit)), Some(len)) = (unit, bytes(args.get(2))) else {
                return Ok(false);
            };
            let block = corpus::repeats(unit, corpus::MIB);
            let block = &block[..corpus::MIB / unit.len() * unit.len()];
            let mut written = 0;
            while written < len {
                let n = block
                    .len()
                    .min((len - written).div_ceil(unit.len()) * unit.len());
                out.write_all(&block[..n])?;
                written += n;
            }
        }
        Some("rules") => {
            let Some(n) = args.get(1).and_then(|s| s.parse().ok()) else {
                return Ok(false);
            };
            out.write_all(corpus::rules_toml(n).as_bytes())?;
        }
        _ => return Ok(false),
    }
    out.flush()?;
    Ok(true)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!(
                "usage: bench_corpus log BYTES [SEED] | repeat password|begin|ghp BYTES | rules N"
            );
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("bench_corpus: write error: {e}");
            ExitCode::FAILURE
        }
    }
}
