//! Arbitrary bytes through the baseline parser (`Baseline::from_json`).
//!
//! A parse that fails must say why, naming the origin. A parse that succeeds
//! must round-trip through the writer (`to_json` then `from_json` gives an
//! equal baseline, and writing that again gives the same text), and every
//! entry of the file (its key in either case of hex) must be `contains`ed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use secretscan::baseline::{Baseline, Key};
use serde_json::Value;

/// Strict: 64 hex digits, nothing else.
fn unhex(text: &str) -> Option<Key> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let baseline = match Baseline::from_json("fuzz.json", text) {
        Ok(b) => b,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.starts_with("fuzz.json: invalid baseline: "),
                "error does not name the file: {message}"
            );
            return;
        }
    };

    let written = baseline.to_json();
    let again = Baseline::from_json("written.json", &written)
        .unwrap_or_else(|e| panic!("the writer's output does not parse: {e}\n{written}"));
    assert_eq!(again, baseline, "round trip changed the baseline");
    assert_eq!(again.to_json(), written, "writing is not stable");
    assert_eq!(again.len(), baseline.len());
    assert_eq!(baseline.is_empty(), baseline.len() == 0);
    assert_eq!(baseline.emptied().len(), 0);

    // Every entry of the file is in the baseline, and no more than those.
    let file: Value = serde_json::from_str(text).expect("it parsed as a baseline");
    let findings = file["findings"].as_array().expect("findings is a list");
    assert!(baseline.len() <= findings.len());
    for f in findings {
        let rule = f["rule_id"].as_str().expect("rule_id is a string");
        let path = f["path"].as_str().expect("path is a string");
        let Some(key) = unhex(f["key"].as_str().expect("key is a string")) else {
            // KNOWN BUG (seeds/regressions/baseline-plus-sign-key): the
            // parser's `unhex` takes `+0` for a hex pair (`from_str_radix`
            // accepts a sign), so a key with a `+` loads but can never
            // match. Skipped here until src/report/baseline.rs rejects it;
            // then make this an `expect("only hex keys load")`.
            continue;
        };
        assert!(
            baseline.contains(rule, path, &key),
            "entry ({rule:?}, {path:?}) missing after parsing"
        );
        assert!(again.contains(rule, path, &key));
    }
});
