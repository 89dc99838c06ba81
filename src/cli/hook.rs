//! `secretscan hook`: a coding agent's tool-output hook. One event as JSON
//! on stdin, one decision as JSON on stdout.
//!
//! The event's tool output (`tool_response`, as Claude Code sends it to
//! PostToolUse hooks, or `tool_output`) may be any JSON value; every string
//! in it is checked with the guard, and the decision is the most severe
//! one: let through, redacted (the same value with each secret replaced),
//! or withheld. Object keys, numbers and the rest of the event (the tool's
//! input, the session) are not checked: only the output is about to enter
//! the model's context.
//!
//! Fail-closed: an event that cannot be checked (longer than the read cap,
//! not JSON, not an object, no tool output) is withheld, unless the user
//! chose `--fail-open`. The decision is written with exit status 0 either
//! way, because agents read a hook's JSON only on success.

use std::io::{self, Read, Write};

use anyhow::{Context, Result};
use secretscan::{Action, Finding, Verdict};
use serde_json::{json, Map, Value};

use super::args::HookFormat;
use super::config::HookConfig;
use super::Exit;

/// What the hook decided.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Allow,
    /// The tool output with every secret replaced.
    Redact(Value),
    Block,
}

/// A finding and where in the tool output it is.
struct Located {
    path: String,
    finding: Finding,
}

pub fn run(c: HookConfig) -> Result<Exit> {
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .take(c.max_input.saturating_add(1))
        .read_to_end(&mut input)
        .context("<stdin>: read error")?;
    let (decision, reason, findings, event) = match parse(&input, c.max_input) {
        Err(problem) => {
            let reason = format!("secretscan hook: {problem}");
            // The reason names no secret: it is about the input's shape.
            let _ = writeln!(io::stderr().lock(), "{reason}");
            let decision = if c.fail_open {
                Decision::Allow
            } else {
                Decision::Block
            };
            (decision, Some(reason), vec![], None)
        }
        Ok((event, field)) => {
            let mut found = vec![];
            let mut worst = Action::Allow;
            let output = &event[field];
            let redacted = check(&c, output, field.to_string(), &mut found, &mut worst);
            let rules = rule_list(&found);
            let (decision, reason) = match worst {
                Action::Allow => (Decision::Allow, None),
                Action::Redact => (
                    Decision::Redact(redacted),
                    Some(format!(
                        "secretscan redacted {} secret(s) ({rules}) from this tool output",
                        found.len()
                    )),
                ),
                Action::Block => (
                    Decision::Block,
                    Some(format!(
                        "secretscan withheld this tool output: it contained {} secret(s) ({rules})",
                        found.len()
                    )),
                ),
            };
            (decision, reason, found, Some(event))
        }
    };
    let out = match c.format {
        HookFormat::ClaudeCode => claude_code(&decision, reason.as_deref(), event.as_ref()),
        HookFormat::Json => generic(&decision, reason.as_deref(), &findings),
    };
    let mut stdout = io::stdout().lock();
    serde_json::to_writer(&mut stdout, &out).context("<stdout>: write error")?;
    writeln!(stdout).context("<stdout>: write error")?;
    stdout.flush().context("<stdout>: write error")?;
    Ok(Exit::Clean)
}

/// The event and the name of its tool-output field, or why it cannot be
/// checked.
fn parse(input: &[u8], max: u64) -> Result<(Map<String, Value>, &'static str), String> {
    if input.len() as u64 > max {
        return Err(format!(
            "input longer than {max} bytes (--max-input); withheld unchecked"
        ));
    }
    let value: Value = serde_json::from_slice(input)
        .map_err(|e| format!("input is not valid JSON ({e}); withheld unchecked"))?;
    let Value::Object(event) = value else {
        return Err("input is not a JSON object; withheld unchecked".into());
    };
    let field = ["tool_response", "tool_output"]
        .into_iter()
        .find(|f| event.contains_key(*f))
        .ok_or("event has no tool_response or tool_output field; withheld unchecked")?;
    Ok((event, field))
}

/// Checks every string in `value`; returns the value with secrets redacted
/// and raises `worst` to the most severe action taken.
fn check(
    c: &HookConfig,
    value: &Value,
    path: String,
    found: &mut Vec<Located>,
    worst: &mut Action,
) -> Value {
    match value {
        Value::String(s) => match c.guard.check(s) {
            Verdict::Clean => value.clone(),
            Verdict::Redacted { output, findings } => {
                *worst = (*worst).max(Action::Redact);
                found.extend(findings.into_iter().map(|finding| Located {
                    path: path.clone(),
                    finding,
                }));
                Value::String(output)
            }
            Verdict::Blocked { findings } => {
                *worst = Action::Block;
                found.extend(findings.into_iter().map(|finding| Located {
                    path: path.clone(),
                    finding,
                }));
                value.clone()
            }
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| check(c, v, format!("{path}[{i}]"), found, worst))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), check(c, v, format!("{path}.{k}"), found, worst)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

fn rule_list(found: &[Located]) -> String {
    let mut rules: Vec<&str> = found.iter().map(|l| &*l.finding.rule_id).collect();
    rules.sort_unstable();
    rules.dedup();
    rules.join(", ")
}

/// Claude Code's PostToolUse hook output: nothing to change when clean; the
/// redacted output in `hookSpecificOutput.updatedToolOutput` (and, for MCP
/// tools, `updatedMCPToolOutput`, which older versions read) when
/// redacted; a placeholder output and `decision: "block"` when withheld.
fn claude_code(
    decision: &Decision,
    reason: Option<&str>,
    event: Option<&Map<String, Value>>,
) -> Value {
    let event_name = event
        .and_then(|e| e.get("hook_event_name"))
        .and_then(Value::as_str)
        .unwrap_or("PostToolUse");
    let is_mcp = event
        .and_then(|e| e.get("tool_name"))
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("mcp__"));
    let replaced = |output: Value, context: &str| {
        let mut specific = json!({
            "hookEventName": event_name,
            "additionalContext": context,
            "updatedToolOutput": output,
        });
        if is_mcp {
            specific["updatedMCPToolOutput"] = specific["updatedToolOutput"].clone();
        }
        specific
    };
    let reason = reason.unwrap_or_default();
    match decision {
        Decision::Allow => json!({}),
        Decision::Redact(output) => json!({
            "systemMessage": reason,
            "hookSpecificOutput": replaced(output.clone(), reason),
        }),
        Decision::Block => json!({
            "decision": "block",
            "reason": reason,
            "systemMessage": reason,
            "hookSpecificOutput": replaced(json!(format!("[{reason}]")), reason),
        }),
    }
}

/// The generic decision object.
fn generic(decision: &Decision, reason: Option<&str>, found: &[Located]) -> Value {
    let (name, output) = match decision {
        Decision::Allow => ("allow", Value::Null),
        Decision::Redact(v) => ("redact", v.clone()),
        Decision::Block => ("block", Value::Null),
    };
    let findings: Vec<Value> = found
        .iter()
        .map(|l| {
            json!({
                "path": l.path,
                "rule_id": &*l.finding.rule_id,
                "confidence": l.finding.confidence,
                "line": l.finding.line,
                "column": l.finding.column,
                "fingerprint": l.finding.fingerprint,
                "preview": l.finding.preview,
            })
        })
        .collect();
    json!({
        "decision": name,
        "reason": reason,
        "findings": findings,
        "tool_output": output,
    })
}
