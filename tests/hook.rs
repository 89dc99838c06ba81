//! `secretscan hook`: tool-output events in, decisions out, the real binary
//! on real JSON.

use assert_cmd::Command;
use serde_json::{json, Value};

/// A GitHub token with a valid checksum (confidence high), assembled at run
/// time so no complete token sits in the repository.
fn github_pat() -> String {
    let e = "q7Wn2Lk9Xv4Bz8Rt1Yp6Hd3Mf5Gs0C";
    let sum = secretscan::validate::base62(u64::from(secretscan::validate::crc32(e.as_bytes())), 6);
    format!("ghp_{e}{sum}")
}

/// An Anthropic key's shape (no checksum: confidence medium).
fn anthropic_key() -> String {
    format!("sk-ant-api03-{}AA", "x7Kq2".repeat(18) + "abc")
}

fn bash_event(stdout: &str) -> Value {
    json!({
        "session_id": "abc123",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/work",
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "env"},
        "tool_response": {"stdout": stdout, "stderr": "", "interrupted": false, "isImage": false}
    })
}

/// Runs `secretscan hook ARGS` on `stdin`; returns the decision and stderr.
fn hook(args: &[&str], stdin: impl Into<Vec<u8>>) -> (Value, String) {
    let out = Command::cargo_bin("secretscan")
        .unwrap()
        .arg("hook")
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "a decision is always exit 0");
    let stdout = String::from_utf8(out.stdout).unwrap();
    for secret in [github_pat(), anthropic_key()] {
        assert!(
            !stdout.contains(&secret),
            "the decision leaks a secret: {stdout}"
        );
    }
    (
        serde_json::from_str(&stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn clean_output_is_let_through() {
    let (d, err) = hook(&[], bash_event("total 0\nREADME.md\n").to_string());
    assert_eq!(d, json!({}));
    assert_eq!(err, "");
}

#[test]
fn secrets_are_redacted_in_place() {
    let key = anthropic_key();
    let pat = github_pat();
    let event = bash_event(&format!("HOME=/root\nANTHROPIC_API_KEY={key}\nGH={pat}\n"));
    let (d, _) = hook(&[], event.to_string());
    let specific = &d["hookSpecificOutput"];
    assert_eq!(specific["hookEventName"], "PostToolUse");
    assert_eq!(
        specific["updatedToolOutput"],
        json!({
            "stdout": "HOME=/root\nANTHROPIC_API_KEY=[REDACTED:anthropic-api-key]\nGH=[REDACTED:github-pat]\n",
            "stderr": "", "interrupted": false, "isImage": false
        })
    );
    assert!(specific.get("updatedMCPToolOutput").is_none());
    let context = specific["additionalContext"].as_str().unwrap();
    assert!(
        context.contains("2 secret(s) (anthropic-api-key, github-pat)"),
        "{context}"
    );
    assert!(d.get("decision").is_none(), "redaction does not block");
}

#[test]
fn mcp_tools_get_the_older_field_too() {
    let event = json!({
        "hook_event_name": "PostToolUse",
        "tool_name": "mcp__vault__read",
        "tool_response": [{"type": "text", "text": format!("token: {}", anthropic_key())}]
    });
    let (d, _) = hook(&[], event.to_string());
    let expected = json!([{"type": "text", "text": "token: [REDACTED:anthropic-api-key]"}]);
    assert_eq!(d["hookSpecificOutput"]["updatedToolOutput"], expected);
    assert_eq!(d["hookSpecificOutput"]["updatedMCPToolOutput"], expected);
}

#[test]
fn verified_keys_block_at_high() {
    let (d, _) = hook(
        &["--block-at", "high"],
        bash_event(&format!("GH={}\n", github_pat())).to_string(),
    );
    assert_eq!(d["decision"], "block");
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.contains("withheld") && reason.contains("github-pat"),
        "{reason}"
    );
    assert_eq!(
        d["hookSpecificOutput"]["updatedToolOutput"],
        json!(format!("[{reason}]"))
    );
    // A medium-confidence key is only redacted at that level.
    let (d, _) = hook(
        &["--block-at", "high"],
        bash_event(&format!("K={}\n", anthropic_key())).to_string(),
    );
    assert!(d.get("decision").is_none(), "{d}");
}

#[test]
fn unreadable_events_fail_closed() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{not json".to_vec(), "not valid JSON"),
        (b"[1, 2]".to_vec(), "not a JSON object"),
        (b"\xff\xfe".to_vec(), "not valid JSON"),
        (b"".to_vec(), "not valid JSON"),
        (br#"{"tool_name": "Bash"}"#.to_vec(), "no tool_response"),
    ];
    for (input, why) in cases {
        let (d, err) = hook(&[], input.clone());
        assert_eq!(d["decision"], "block", "{d}");
        assert!(d["reason"].as_str().unwrap().contains(why), "{d}");
        assert!(err.contains(why), "{err}");
        let (d, _) = hook(&["--fail-open"], input);
        assert_eq!(d, json!({}));
    }
}

#[test]
fn input_over_the_cap_fails_closed() {
    let event = bash_event(&"x".repeat(5000)).to_string();
    let (d, _) = hook(&["--max-input", "4096"], event.clone());
    assert_eq!(d["decision"], "block");
    assert!(d["reason"]
        .as_str()
        .unwrap()
        .contains("longer than 4096 bytes"));
    let (d, _) = hook(&["--max-input", &event.len().to_string()], event);
    assert_eq!(d, json!({}), "exactly at the cap is read");
}

#[test]
fn generic_format() {
    let event = json!({"tool_output": {"lines": ["ok", format!("k={}", anthropic_key())]}});
    let (d, _) = hook(&["--format", "json"], event.to_string());
    assert_eq!(d["decision"], "redact");
    assert_eq!(
        d["tool_output"],
        json!({"lines": ["ok", "k=[REDACTED:anthropic-api-key]"]})
    );
    let f = &d["findings"][0];
    assert_eq!(f["path"], "tool_output.lines[1]");
    assert_eq!(f["rule_id"], "anthropic-api-key");
    assert_eq!(f["confidence"], "medium");
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16);
    let (d, _) = hook(
        &["--format", "json"],
        json!({"tool_output": "fine"}).to_string(),
    );
    assert_eq!(d["decision"], "allow");
}

/// The example configuration is valid JSON and its command line parses.
#[test]
fn example_claude_code_settings_work() {
    let text = std::fs::read_to_string("examples/claude-code/settings.json").unwrap();
    let settings: Value = serde_json::from_str(&text).unwrap();
    let entry = &settings["hooks"]["PostToolUse"][0];
    assert_eq!(entry["matcher"], "*");
    let command = entry["hooks"][0]["command"].as_str().unwrap();
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("secretscan"));
    let args: Vec<&str> = words.collect();
    assert_eq!(args[0], "hook");
    let (d, _) = hook(
        &args[1..],
        bash_event(&format!("{}\n", github_pat())).to_string(),
    );
    assert_eq!(d["decision"], "block");
}
