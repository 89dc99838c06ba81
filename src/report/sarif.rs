//! SARIF 2.1.0 output, in the subset GitHub code scanning accepts.
//!
//! One run per report. Results stream out as they are recorded; the rules
//! table (only the rules that found something, in order of first use, so
//! `ruleIndex` is known when a result is written) follows the results in
//! the same `run` object: JSON objects are unordered, so a reader sees the
//! same log as if `tool` came first, and the writer holds no result in
//! memory.
//!
//! What goes where:
//!
//! - each rule: `id`, `name`, short and full descriptions, `help` (text and
//!   Markdown) with the rule's rotation guidance ([`crate::Rule::rotate`])
//!   and `helpUri`, a default level, and the `properties` GitHub reads:
//!   `tags`, `precision` and `security-severity`;
//! - each result: `ruleId`/`ruleIndex`, `level` from the finding's
//!   confidence, a message naming the rule, the masked preview and the
//!   fingerprint, one physical location (`uri`, `startLine`, `startColumn`,
//!   `byteOffset`, `byteLength`), `partialFingerprints` keyed by the secret
//!   fingerprint (so GitHub tracks a leak across moves), and `properties`
//!   with `confidence`, `fingerprint`, `preview`, `validation`, `check`
//!   (`failed`) and `glued` (`true`) as in JSON and, only
//!   when the caller asked for it, `secret`.
//!
//! NOTE: `startColumn` is the 1-based *byte* column, as in every other
//! format; SARIF counts UTF-16 code units by default, so the two differ on
//! lines with non-ASCII text before the secret. `byteOffset` and
//! `byteLength` are exact.
//!
//! Confidence maps to SARIF as follows (GitHub shows `security-severity`
//! 9.0 and over as critical, 7.0–8.9 as high, 4.0–6.9 as medium):
//!
//! | rule | `level` | `precision` | `security-severity` |
//! |---|---|---|---|
//! | provider format with an offline check (findings `high`) | error | very-high | 9.5 |
//! | provider format (`medium`) | error | high | 8.0 |
//! | generic guess (`low`) | warning | medium | 5.0 |
//!
//! A result's own `level` follows the finding's confidence: `low` findings
//! are warnings, the others errors.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{json, Value};

use super::{Record, Sink};
use crate::rules::{Confidence, Rule};

/// The `$schema` URI written into every log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Writes one SARIF 2.1.0 log with one run.
#[derive(Debug)]
pub struct SarifWriter<W> {
    out: W,
    /// Rule ids in order of first use; their position is the `ruleIndex`.
    rules: Vec<Value>,
    index: HashMap<String, usize>,
    results: u64,
    started: bool,
}

impl<W: Write> SarifWriter<W> {
    /// A SARIF writer into `out`.
    pub fn new(out: W) -> SarifWriter<W> {
        SarifWriter {
            out,
            rules: vec![],
            index: HashMap::new(),
            results: 0,
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            write!(
                self.out,
                "{{\"$schema\":\"{SCHEMA_URI}\",\"version\":\"2.1.0\",\"runs\":[{{\"results\":["
            )?;
        }
        Ok(())
    }

    fn rule_index(&mut self, r: &Record<'_>) -> usize {
        let id = &*r.finding.rule_id;
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.rules.len();
        self.rules.push(rule_descriptor(id, r.rule_name, r.rule));
        self.index.insert(id.to_string(), i);
        i
    }
}

/// How a rule's default confidence reads in SARIF: (level, precision,
/// security-severity).
fn rule_severity(rule: Option<&Rule>) -> (&'static str, &'static str, &'static str) {
    match rule {
        Some(r) if r.confidence == Confidence::Low => ("warning", "medium", "5.0"),
        Some(r) if r.validate.is_some() => ("error", "very-high", "9.5"),
        _ => ("error", "high", "8.0"),
    }
}

fn rule_descriptor(id: &str, name: &str, rule: Option<&Rule>) -> Value {
    let name = if name.is_empty() { id } else { name };
    let (level, precision, severity) = rule_severity(rule);
    let kind = match rule.map(|r| r.confidence) {
        Some(Confidence::Low) => "a generic secret pattern (an assignment to a key-like name)",
        _ => "a provider-specific credential format",
    };
    let full = format!("{name}: {kind}. A secret found in a file or log is exposed to everyone who can read it; rotate it, then remove it.");
    let rotate = rule.and_then(|r| r.rotate.as_ref());
    let mut text = format!("{name} found.\n\n");
    let mut markdown = format!("**{}** found.\n\n", md_escape(name));
    match rotate {
        Some(rot) => {
            let _ = write!(text, "How to rotate: {}", rot.text);
            let _ = write!(markdown, "**How to rotate:** {}", md_escape(&rot.text));
            if let Some(url) = &rot.url {
                let _ = write!(text, " ({url})");
                let _ = write!(markdown, " ([{url}]({url}))");
            }
        }
        None => {
            text.push_str("How to rotate: revoke the credential where it was issued and issue a new one; then remove it from the file.");
            markdown.push_str("**How to rotate:** revoke the credential where it was issued and issue a new one; then remove it from the file.");
        }
    }
    text.push_str("\n\nIf the finding is a false positive or an accepted test key, add `secretscan:allow` to its line, its fingerprint to .secretscanignore, or record it in a baseline (--write-baseline).");
    markdown.push_str("\n\nIf the finding is a false positive or an accepted test key, add `secretscan:allow` to its line, its fingerprint to `.secretscanignore`, or record it in a baseline (`--write-baseline`).");
    let mut d = json!({
        "id": id,
        "name": name,
        "shortDescription": { "text": name },
        "fullDescription": { "text": full },
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": level },
        "properties": {
            "tags": ["security", "secret"],
            "precision": precision,
            "security-severity": severity,
        },
    });
    if let Some(url) = rotate.and_then(|r| r.url.as_deref()) {
        d["helpUri"] = Value::String(url.to_string());
    }
    d
}

/// Backslash-escapes the characters that Markdown would act on.
fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A report path as a SARIF `uri`: relative paths stay relative (GitHub
/// resolves them against the repository root), absolute ones become
/// `file://` URIs; every byte outside RFC 3986's unreserved and path
/// characters is percent-encoded.
pub fn path_uri(path: &str) -> String {
    let path = if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    } else if cfg!(windows) && path.as_bytes().get(1) == Some(&b':') {
        out.push_str("file:///");
    }
    for &b in path.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
            || (b == b':' && cfg!(windows));
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[derive(Serialize)]
struct Properties<'a> {
    confidence: Confidence,
    fingerprint: String,
    preview: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<crate::rules::validators::Validation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    glued: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<std::borrow::Cow<'a, str>>,
}

impl<W: Write> Sink for SarifWriter<W> {
    fn record(&mut self, r: &Record<'_>) -> io::Result<bool> {
        self.start()?;
        let index = self.rule_index(r);
        let f = r.finding;
        let name = if r.rule_name.is_empty() {
            &*f.rule_id
        } else {
            r.rule_name
        };
        let level = if f.confidence == Confidence::Low {
            "warning"
        } else {
            "error"
        };
        let fingerprint = f.fingerprint.to_string();
        let result = json!({
            "ruleId": &*f.rule_id,
            "ruleIndex": index,
            "level": level,
            "message": {
                "text": format!(
                    "{name} ({} confidence): {} (fingerprint {fingerprint})",
                    f.confidence, f.preview
                ),
            },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": path_uri(r.path) },
                    "region": {
                        "startLine": f.line.max(1),
                        "startColumn": f.column.max(1),
                        "byteOffset": f.secret.start,
                        "byteLength": f.secret.end - f.secret.start,
                    },
                },
            }],
            "partialFingerprints": { "secretFingerprint/v1": &fingerprint },
            "properties": Properties {
                confidence: f.confidence,
                fingerprint: fingerprint.clone(),
                preview: &f.preview,
                validation: f.validation,
                check: super::check_field(f),
                glued: super::glued_field(f),
                // NOTE: JSON strings are Unicode: bytes that are not UTF-8
                // show as U+FFFD, as in the JSON format.
                secret: r.secret.map(String::from_utf8_lossy),
            },
        });
        if self.results > 0 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, &result)?;
        self.results += 1;
        Ok(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        let tool = json!({
            "driver": {
                "name": "secretscan",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": &self.rules,
            }
        });
        self.out.write_all(b"\n],\"tool\":")?;
        serde_json::to_writer(&mut self.out, &tool)?;
        self.out
            .write_all(b",\"columnKind\":\"utf16CodeUnits\"}]}\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_and_absolute_paths_are_file_uris() {
        assert_eq!(path_uri("src/a b.rs"), "src/a%20b.rs");
        assert_eq!(path_uri("logs.zip!dir/x.log"), "logs.zip!dir/x.log");
        assert_eq!(path_uri("<stdin>"), "%3Cstdin%3E");
        if !cfg!(windows) {
            assert_eq!(path_uri("/tmp/x#1"), "file:///tmp/x%231");
            assert_eq!(path_uri("caf\u{e9}"), "caf%C3%A9");
        }
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(md_escape("a_b *c* [d]"), "a\\_b \\*c\\* \\[d\\]");
    }
}
