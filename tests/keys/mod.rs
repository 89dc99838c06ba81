//! Test keys assembled at run time (so that no complete token sits in the
//! repository), shared by the report, input and suppression tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;

use secretscan::validate::checksummed_token;

pub const BIN: &str = env!("CARGO_BIN_EXE_secretscan");

pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// `n` random-looking characters of `alphabet`, the same for a seed.
pub fn tail(n: usize, seed: u64, alphabet: &str) -> String {
    let alphabet = alphabet.as_bytes();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32;
            alphabet[(r % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// A classic GitHub token with a valid CRC32 checksum (confidence high).
pub fn github_pat(seed: u64) -> String {
    checksummed("ghp_", seed)
}

/// `prefix` + 30 random base62 characters + their CRC32 in 6 base62 digits:
/// the layout of GitHub's and npm's tokens.
pub fn checksummed(prefix: &str, seed: u64) -> String {
    checksummed_token(prefix, &tail(30, seed, ALNUM))
}

/// An Anthropic API key (confidence medium).
pub fn anthropic_key(seed: u64) -> String {
    format!("sk-ant-api03-{}AA", tail(93, seed, URL))
}

/// `text` as UTF-16LE bytes.
pub fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Starts `secretscan ARGS` with stdin, stdout and stderr piped.
pub fn spawn_piped<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Sends each line of `reader` to the returned channel, from a thread, so
/// that a test can wait for a line with a timeout.
pub fn lines_of(reader: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}
