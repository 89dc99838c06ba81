//! Shared pieces of the fuzz targets: the scanners under test and a
//! structure-aware decoding of fuzz input.
//!
//! Raw bytes rarely form a 40-byte token by chance, so every target also runs
//! on a *decoded* input: a byte `0xFE` followed by a byte `i` is replaced by
//! the `i`-th piece of material (a rule's expanded example or a keyword,
//! of the built-in pack or the tricky set); every other byte stands for
//! itself. The fuzzer then splices, truncates and repeats real keys.

use std::sync::OnceLock;

use secretscan::oracle::Oracle;
use secretscan::Scanner;

/// The tricky rule set of the property tests (see the file's header).
pub const TRICKY_TOML: &str = include_str!("../../tests/support/tricky.toml");

/// A scanner and its oracle.
pub struct Subject {
    /// A short name for assertion messages.
    pub name: &'static str,
    /// The fast engine.
    pub scanner: Scanner,
    /// The naive reference.
    pub oracle: Oracle,
}

/// The built-in pack and the tricky set, built once.
pub fn subjects() -> &'static [Subject] {
    static S: OnceLock<Vec<Subject>> = OnceLock::new();
    S.get_or_init(|| {
        let tricky = Scanner::builder()
            .builtin(false)
            .rules_toml("tricky.toml", TRICKY_TOML)
            .build()
            .expect("the tricky rule set compiles");
        [("builtin", Scanner::builtin()), ("tricky", tricky)]
            .into_iter()
            .map(|(name, scanner)| Subject {
                name,
                oracle: Oracle::new(&scanner),
                scanner,
            })
            .collect()
    })
}

fn material() -> &'static [Vec<u8>] {
    static M: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    M.get_or_init(|| {
        let mut pool = vec![];
        for s in subjects() {
            for rule in s.scanner.rules() {
                pool.extend(rule.examples.iter().cloned());
                pool.extend(rule.keywords.iter().map(|k| k.as_bytes().to_vec()));
            }
        }
        pool.sort();
        pool.dedup();
        pool
    })
}

/// Decodes fuzz input: `0xFE i` becomes material piece `i`; other bytes stay.
pub fn expand(data: &[u8]) -> Vec<u8> {
    let pool = material();
    let mut out = Vec::with_capacity(data.len() * 4);
    let mut i = 0;
    while i < data.len() {
        if data[i] == 0xFE && i + 1 < data.len() {
            out.extend_from_slice(&pool[data[i + 1] as usize % pool.len()]);
            i += 2;
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}
