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
        if let Some(dir) = std::env::var_os("SECRETSCAN_FUZZ_DUMP_MATERIAL") {
            dump(std::path::Path::new(&dir), &pool);
        }
        pool
    })
}

/// Writes each material piece to `dir/NNNN` (for `scripts/fuzz.sh`, which
/// seeds corpora with them: token-shaped seeds are made at seed time from
/// the rules' templates, never committed).
fn dump(dir: &std::path::Path, pool: &[Vec<u8>]) {
    std::fs::create_dir_all(dir).expect("material directory");
    for (i, piece) in pool.iter().enumerate() {
        std::fs::write(dir.join(format!("{i:04}")), piece).expect("material file");
    }
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

/// A path of this process's own under the temp directory, for targets whose
/// API under test takes a file (one fuzzing process runs one input at a
/// time, so one path per name and process is enough).
pub fn scratch_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("secretscan-fuzz-{}-{name}", std::process::id()))
}

/// Scans `input` with `scanner` and `oracle` and asserts that `scan` and
/// `redact` agree; `name` labels the assertion messages.
pub fn assert_agrees(name: &str, scanner: &Scanner, oracle: &Oracle, input: &[u8]) {
    let fast = scanner.scan(input);
    let slow = oracle.scan(input);
    assert_eq!(
        fast,
        slow,
        "{name}: scan differs from the oracle on {:?}",
        String::from_utf8_lossy(input)
    );
    let fast = scanner.redact(input);
    let slow = oracle.redact(input);
    assert!(
        fast.as_ref() == slow.as_slice(),
        "{name}: redact differs from the oracle on {:?}\nfast:   {:?}\noracle: {:?}",
        String::from_utf8_lossy(input),
        String::from_utf8_lossy(&fast),
        String::from_utf8_lossy(&slow)
    );
}
