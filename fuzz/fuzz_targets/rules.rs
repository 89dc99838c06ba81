//! Arbitrary bytes as a rule file: `RuleSet::add_toml` either refuses the
//! text or gives rules; `Scanner::new` on them either refuses cleanly or
//! gives a scanner; that scanner's `scan` and `redact` equal the oracle's
//! (DESIGN.md, "Oracle") on fixed texts, on each rule's expanded examples,
//! negative examples and keywords, and on all of them joined.
//!
//! Errors must render (`Display`) without panicking, and a set that loads
//! must keep its rules in order into the scanner.

#![no_main]

use libfuzzer_sys::fuzz_target;
use secretscan::oracle::Oracle;
use secretscan::{Origin, RuleSet, Scanner};
use secretscan_fuzz::assert_agrees;

/// Texts scanned with every rule set that compiles.
const FIXED: &[&[u8]] = &[
    b"",
    b"plain prose with nothing in it\n",
    b"password = \"hunter2-but-longer\"\ntoken: abc\n",
    b"key=sk-AAAAAAAAAAAAAAAAAAAAAAAA\r\n\x00\xff\xfe binary \xc3\x28 tail",
    b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut set = RuleSet::new();
    if let Err(e) = set.add_toml(Origin("fuzz.toml".into()), text) {
        let _ = e.to_string();
        return;
    }
    let ids: Vec<String> = set.rules().iter().map(|r| r.id.to_string()).collect();
    let scanner = match Scanner::new(set) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let kept: Vec<String> = scanner.rules().iter().map(|r| r.id.to_string()).collect();
    assert_eq!(ids, kept, "Scanner::new changed the rules");
    let oracle = Oracle::new(&scanner);

    let mut inputs: Vec<Vec<u8>> = FIXED.iter().map(|s| s.to_vec()).collect();
    for rule in scanner.rules() {
        inputs.extend(rule.examples.iter().cloned());
        inputs.extend(rule.negative_examples.iter().cloned());
        inputs.extend(rule.keywords.iter().map(|k| k.as_bytes().to_vec()));
    }
    let joined = inputs.join(&b"\n"[..]);
    let glued = inputs.concat();
    inputs.push(joined);
    inputs.push(glued);
    for input in &inputs {
        assert_agrees("fuzz.toml", &scanner, &oracle, input);
    }
});
