//! Per-rule validators, applied to a match's secret after the regex
//! matched: a minimum Shannon entropy and a placeholder filter.
//!
//! A match that fails a validator is not a finding, but it still consumes
//! its bytes in the rule's leftmost-first iteration (DESIGN.md: a finding
//! is a match that passes its validators).

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use crate::compile::CompiledRule;

/// Shannon entropy of `bytes`, in bits per byte (0 for empty input).
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Substrings (lowercase) that mark a value as a placeholder, a template
/// variable or an already-redacted value, wherever they occur. Each is long
/// or unusual enough that a random token practically never contains it.
const PLACEHOLDER_SUBSTRINGS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "your_",
    "your-",
    "yourpass",
    "xxxxx",
    "*****",
    "redacted",
    "<",
    ">",
    "${",
    "{{",
    "%s",
    "%(",
    "$(",
    "process.env",
    "os.environ",
    "getenv",
    "secret_here",
    "password_here",
    "notreal",
];

/// Words (lowercase) that mark a placeholder only as a whole word (the whole
/// value, or delimited by non-alphanumeric bytes): as substrings they occur
/// in random tokens far too often (`none`, `fake` in 1 key of ~20,000).
const PLACEHOLDER_WORDS: &[&str] = &[
    "dummy",
    "sample",
    "insert",
    "todo",
    "fixme",
    "fake",
    "null",
    "undefined",
    "none",
    "test",
    "password",
    "secret",
    "token",
];

/// Whether `secret` looks like a placeholder rather than a real value: it
/// contains a placeholder substring or word (ignoring ASCII case), or is
/// one byte repeated.
pub fn is_placeholder(secret: &[u8]) -> bool {
    // One automaton for all substrings, built once: validators run on every
    // match, so this is on the hot path of text dense with candidates.
    static SUBSTRINGS: OnceLock<AhoCorasick> = OnceLock::new();
    let substrings = SUBSTRINGS.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PLACEHOLDER_SUBSTRINGS)
            .expect("a few short literals")
    });
    if substrings.is_match(secret) {
        return true;
    }
    if secret.split(|b| !b.is_ascii_alphanumeric()).any(|word| {
        PLACEHOLDER_WORDS
            .iter()
            .any(|w| w.as_bytes().eq_ignore_ascii_case(word))
    }) {
        return true;
    }
    secret.windows(2).all(|w| w[0] == w[1])
}

/// Whether `secret` passes `rule`'s validators.
pub(crate) fn passes(rule: &CompiledRule, secret: &[u8]) -> bool {
    if let Some(min) = rule.min_entropy {
        if shannon_entropy(secret) < min {
            return false;
        }
    }
    if rule.reject_placeholders && is_placeholder(secret) {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"q8Zr2LmX0pWv7NcY4tKb") > 4.0);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder(b"changeme123"));
        assert!(is_placeholder(b"<your-token>"));
        assert!(is_placeholder(b"${DB_PASSWORD}"));
        assert!(is_placeholder(b"[REDACTED:generic-password]"));
        assert!(is_placeholder(b"aaaaaaaa"));
        assert!(!is_placeholder(b"Tr0ub4dor&3xyz"));
        assert!(is_placeholder(b"my-fake-key"));
        assert!(is_placeholder(b"none"));
        // Short words only count as whole words: random tokens contain them.
        assert!(!is_placeholder(b"q8ZnoneLmX0pfakeWv7NcY4tKb"));
    }
}
