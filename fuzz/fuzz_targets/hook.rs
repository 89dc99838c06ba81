//! The hook's input (`secretscan hook`, src/cli/hook.rs) and the guard
//! behind it.
//!
//! `src/cli/hook.rs` cannot be compiled into a fuzz target: it needs the
//! CLI's `args::HookFormat`, `config::HookConfig` and `Exit` (`super::`),
//! and its `parse` and `check` are private (only `run`, which reads stdin,
//! is public); see fuzz/README.md for what would have to move into the
//! library. Its parsing defines no struct of its own: the event is a
//! `serde_json::Value` that must be an object with a `tool_response` or
//! `tool_output` field, and every string in that field goes through
//! `Guard::check`. This target does the same and holds `Guard::check` to
//! its contract, under the hook's two policies (`redact_all`, and with
//! `--block-at high`):
//!
//! - `Clean` exactly when `scan` finds nothing;
//! - otherwise the findings are `scan`'s, and the verdict is `Blocked` when
//!   one has the blocking confidence, else `Redacted` with `redact`'s
//!   output (made valid UTF-8);
//! - the redacted tool output serialises to JSON that parses again.
//!
//! Every string is also checked *decoded*: a `0x7F` byte followed by a byte
//! `i` stands for material piece `i` (see the crate docs), so real keys get
//! into the strings.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use secretscan::rules::Confidence;
use secretscan::{Action, Guard, Policy, Scanner, Verdict};
use secretscan_fuzz::expand;
use serde_json::Value;

struct Guards {
    scanner: Scanner,
    redact: Guard,
    block_high: Guard,
}

fn guards() -> &'static Guards {
    static G: OnceLock<Guards> = OnceLock::new();
    G.get_or_init(|| {
        let scanner = Scanner::builtin();
        Guards {
            redact: Guard::new(scanner.clone(), Policy::redact_all()).unwrap(),
            block_high: Guard::new(
                scanner.clone(),
                Policy::redact_all().at_or_above(Confidence::High, Action::Block),
            )
            .unwrap(),
            scanner,
        }
    })
}

/// Checks `text` under both policies; returns the redact-all output.
fn check_text(text: &str) -> String {
    let g = guards();
    let findings = g.scanner.scan(text.as_bytes());
    let redacted = String::from_utf8_lossy(&g.scanner.redact(text.as_bytes())).into_owned();
    let show = || format!("{text:?}");
    let out = match g.redact.check(text) {
        Verdict::Clean => {
            assert!(findings.is_empty(), "redact_all: Clean but scan finds {findings:?} in {}", show());
            text.to_string()
        }
        Verdict::Redacted { output, findings: f } => {
            assert_eq!(f, findings, "redact_all: findings differ from scan on {}", show());
            assert_eq!(output, redacted, "redact_all: output differs from redact on {}", show());
            output
        }
        Verdict::Blocked { .. } => panic!("redact_all blocked {}", show()),
    };
    let high = findings.iter().any(|f| f.confidence >= Confidence::High);
    match g.block_high.check(text) {
        Verdict::Clean => assert!(findings.is_empty(), "block-at-high: Clean on {}", show()),
        Verdict::Redacted { output, findings: f } => {
            assert!(!high, "block-at-high: a high finding only redacted in {}", show());
            assert_eq!(f, findings);
            assert_eq!(output, out);
        }
        Verdict::Blocked { findings: f } => {
            assert!(high, "block-at-high: blocked with no high finding in {}", show());
            assert_eq!(f, findings);
        }
    }
    out
}

/// The value with every string checked (and redacted), as the hook does.
fn walk(value: &Value) -> Value {
    match value {
        Value::String(s) => {
            let decoded: Vec<u8> = s.bytes().map(|b| if b == 0x7F { 0xFE } else { b }).collect();
            let decoded = expand(&decoded);
            if decoded != s.as_bytes() {
                check_text(&String::from_utf8_lossy(&decoded));
            }
            Value::String(check_text(s))
        }
        Value::Array(items) => Value::Array(items.iter().map(walk).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), walk(v))).collect()),
        other => other.clone(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(event)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Some(field) = ["tool_response", "tool_output"]
        .into_iter()
        .find(|f| event.contains_key(*f))
    else {
        return;
    };
    let redacted = walk(&event[field]);
    let text = serde_json::to_string(&redacted).expect("a JSON value serialises");
    // NOTE: not compared with `redacted`: serde_json does not promise that
    // floats round-trip without its `float_roundtrip` feature.
    let _: Value = serde_json::from_str(&text).expect("the redacted output parses");
});
