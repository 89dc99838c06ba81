//! Reports: findings rendered for people (`path:line:col rule-id confidence preview`)
//! and machines (JSON, JSONL, SARIF 2.1.0 for code scanning: see [`sarif`]).
//! Secrets never appear unless asked for.
//!
//! Every format is a [`Sink`]: the caller pushes one [`Record`] per finding,
//! in the order it wants them shown (calling [`Sink::flush`] whenever a
//! reader should see what was pushed so far), then calls [`Sink::finish`]. The CLI's
//! `scan` command is one such caller; any program holding findings can
//! render the same reports.
//!
//! ```
//! use secretscan::report::{Format, Record};
//!
//! let scanner = secretscan::Scanner::builtin();
//! // Assembled at run time so no complete token sits in the source; the
//! // last 6 characters are the CRC32 checksum GitHub's format carries.
//! let token = secretscan::validate::checksummed_token("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
//! let text = format!("GITHUB_TOKEN={token}\n");
//! let findings = scanner.scan(text.as_bytes());
//!
//! let mut out = Vec::new();
//! let mut sink = Format::Human.sink(&mut out);
//! for finding in &findings {
//!     sink.record(&Record::new(&scanner, ".env", finding)).unwrap();
//! }
//! sink.finish().unwrap();
//! drop(sink);
//! assert_eq!(String::from_utf8(out).unwrap(), ".env:1:14 github-pat high ghp_…\n");
//! ```
//!
//! # Untrusted text
//!
//! Paths, rule names and matched bytes come from the input, and a report
//! may go straight to a terminal. The human format escapes control
//! characters (see [`escape_text`]) so that no input can move the cursor,
//! change colours or forge report lines; JSON escapes them by its own rules.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write};

use serde::Serialize;

use crate::engine::finding::{Doubt, Finding};
use crate::engine::scanner::Scanner;
use crate::rotation::fingerprint::Fingerprint;
use crate::rotation::triage::{self, TokenFacts};
use crate::rules::validators::Validation;
use crate::rules::{Confidence, Rule};

pub mod baseline;
pub mod output;
pub mod sarif;
pub mod suppress;

pub use crate::escape::{escape_bytes, escape_message, escape_text, path_name};

/// A report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// One line per finding: `path:line:col rule-id confidence preview`, with the
    /// secret appended when the record carries it. Control characters are
    /// escaped.
    Human,
    /// One JSON array of objects (see [`Record`] for the fields), one object
    /// per line.
    Json,
    /// One JSON object per line (JSON Lines).
    Jsonl,
    /// One SARIF 2.1.0 log (see [`sarif`]), for GitHub code scanning and
    /// other SARIF viewers.
    Sarif,
}

impl Format {
    /// A sink writing this format to `out`.
    ///
    /// The sink does not buffer: give it a buffered writer. It flushes `out`
    /// in [`Sink::flush`] and [`Sink::finish`].
    pub fn sink<'w, W: Write + 'w>(self, out: W) -> Box<dyn Sink + 'w> {
        match self {
            Format::Human => Box::new(HumanWriter::new(out)),
            Format::Json => Box::new(JsonWriter::new(out)),
            Format::Jsonl => Box::new(JsonlWriter::new(out)),
            Format::Sarif => Box::new(sarif::SarifWriter::new(out)),
        }
    }
}

/// One finding as a report shows it: where it was found, which rule found
/// it, and (only when the caller asks for it) the secret itself.
///
/// In JSON a record is an object with the fields `path`, `rule_id`,
/// `rule_name`, `line`, `column` (both 1-based), `offset` and `end` (the
/// secret's byte span), `fingerprint`, `preview`, `confidence` (`high`,
/// `medium` or `low`), `validation` (`checksum` or `structure`, only when
/// an offline check passed), `check` (`failed`, only when the rule's
/// offline check failed: a `low` finding of the provider's exact shape),
/// `glued` (`true`, only for a fixed-length token found glued to the text
/// after it, also `low`), and `secret` only when [`Record::secret`] is
/// set. A token that carries lifetime facts adds `token` (its `kind`,
/// `temporary`, and the JWT's `alg`, `iss`, `sub`, `issued_at`,
/// `expires_at` in seconds), `expires_at` (RFC 3339) and `expired`; a
/// record checked against the known values adds `live`; a finding in git
/// history adds `commit` (see [`CommitInfo`]).
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The input's name as shown to the user: a path (in git history, the
    /// path in the commit's tree), or `<stdin>`.
    pub path: &'a str,
    /// The rule's human-readable name.
    pub rule_name: &'a str,
    /// The rule itself, when known: SARIF takes its rotation guidance and
    /// confidence from it.
    pub rule: Option<&'a Rule>,
    /// The finding.
    pub finding: &'a Finding,
    /// The secret's bytes, to be printed; `None` (the default) keeps the
    /// secret out of the report.
    pub secret: Option<&'a [u8]>,
    /// The rule's rotation guidance, for the human summary.
    pub rotate: Option<&'a crate::rules::Rotation>,
    /// Whether the value is a currently known secret; `None` (the default)
    /// when it was not checked.
    pub live: Option<bool>,
    /// The commit that introduced the finding, for findings in git history;
    /// `None` (the default) otherwise.
    pub commit: Option<&'a CommitInfo>,
}

/// Where a finding in git history came from: the commit that introduced it
/// (the first in history order whose tree has the secret at the record's
/// path) and the blob that carries it. In JSON, the record's `commit`
/// object with these fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// The commit's full hexadecimal id.
    pub id: String,
    /// The author's name.
    pub author: String,
    /// The author's email address.
    pub email: String,
    /// The author date, ISO 8601 (`2024-05-01T12:00:00+02:00`).
    pub date: String,
    /// How many other commits, later in history order, carry the same
    /// secret at the same path (0: it was removed in the next commit).
    pub later_commits: u64,
    /// The full hexadecimal id of the blob that holds the secret (the one
    /// to strip when rewriting history).
    pub blob: String,
}

impl<'a> Record<'a> {
    /// A record of `finding`, found by `scanner` in the input named `path`.
    /// By default, the secret is not shown.
    pub fn new(scanner: &'a Scanner, path: &'a str, finding: &'a Finding) -> Record<'a> {
        let rule = scanner.rules().get(finding.rule_index);
        let rule_name = rule.map_or("", |rule| rule.name.as_str());
        let rotate = rule.and_then(|rule| rule.rotate.as_ref());
        Record {
            path,
            rule_name,
            rule,
            finding,
            secret: None,
            rotate,
            live: None,
            commit: None,
        }
    }

    /// The same record, marked live (its value is a currently known
    /// secret) or not.
    pub fn with_live(self, live: bool) -> Record<'a> {
        Record {
            live: Some(live),
            ..self
        }
    }

    /// The same record, attributed to a commit in git history.
    pub fn with_commit(self, commit: &'a CommitInfo) -> Record<'a> {
        Record {
            commit: Some(commit),
            ..self
        }
    }

    /// The same record, showing `secret` (the bytes at the finding's
    /// secret span).
    pub fn with_secret(self, secret: &'a [u8]) -> Record<'a> {
        Record {
            secret: Some(secret),
            ..self
        }
    }
}

/// A push-model consumer of report records.
///
/// Callers push records in the order they should appear, then call
/// [`Sink::finish`] once. A sink may ask the caller to stop early by
/// returning `Ok(false)` from [`Sink::record`].
pub trait Sink {
    /// Writes one record. Returns whether the caller should go on.
    ///
    /// # Errors
    ///
    /// The output's errors (a closed pipe is [`io::ErrorKind::BrokenPipe`]).
    fn record(&mut self, record: &Record<'_>) -> io::Result<bool>;

    /// Flushes the output, so that a reader sees every record pushed so far
    /// (for a report that streams findings as they are found). The report
    /// is not ended: for JSON, the output is an array still open. The
    /// default does nothing, for sinks that hold nothing back.
    ///
    /// # Errors
    ///
    /// The output's errors.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Ends the report (for JSON, closes the array) and flushes the output.
    ///
    /// # Errors
    ///
    /// The output's errors.
    fn finish(&mut self) -> io::Result<()>;
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn record(&mut self, record: &Record<'_>) -> io::Result<bool> {
        (**self).record(record)
    }

    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        (**self).finish()
    }
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn record(&mut self, record: &Record<'_>) -> io::Result<bool> {
        (**self).record(record)
    }

    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        (**self).finish()
    }
}

/// Writes `path:line:col rule-id confidence preview` lines, plus ` secret` when the
/// record carries it; control characters escaped.
///
/// The report ends with a summary per rule: what leaked, in how many
/// places, the highest confidence, and the first step of rotating it.
#[derive(Debug)]
pub struct HumanWriter<W> {
    out: W,
    line: String,
    summary: BTreeMap<String, RuleSummary>,
    with_summary: bool,
}

#[derive(Debug)]
struct RuleSummary {
    name: String,
    places: u64,
    confidence: Confidence,
    first_step: String,
}

/// The first sentence of a rotation guidance text.
pub fn first_step(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

/// The first step for a known value, which no rule describes.
pub const KNOWN_FIRST_STEP: &str =
    "Replace the value in its secret store; a running `secretscan redact --known` picks up the new one and keeps redacting the old.";

impl<W: Write> HumanWriter<W> {
    /// A human-format writer into `out`.
    pub fn new(out: W) -> HumanWriter<W> {
        HumanWriter {
            out,
            line: String::new(),
            summary: BTreeMap::new(),
            with_summary: false,
        }
    }

    /// Whether [`Sink::finish`] writes the per-rule summary. By default,
    /// false (the CLI turns it on for a terminal, or with `--summary`).
    pub fn with_summary(mut self, yes: bool) -> HumanWriter<W> {
        self.with_summary = yes;
        self
    }
}

impl<W: Write> Sink for HumanWriter<W> {
    fn record(&mut self, r: &Record<'_>) -> io::Result<bool> {
        let f = r.finding;
        self.line.clear();
        // Writing into a String cannot fail.
        if let Some(commit) = r.commit {
            // `commit:path:line:col`, as `git grep` names a line in a
            // revision; the id is hex, nothing to escape.
            let short = commit.id.get(..12).unwrap_or(&commit.id);
            let _ = write!(self.line, "{short}:");
        }
        let _ = write!(
            self.line,
            "{}:{}:{} {} {} {}",
            escape_text(r.path),
            f.line,
            f.column,
            escape_text(&f.rule_id),
            f.confidence,
            escape_text(&f.preview)
        );
        match f.doubt {
            Some(Doubt::CheckFailed) => self.line.push_str(" check=failed"),
            Some(Doubt::Glued) => self.line.push_str(" glued"),
            None => {}
        }
        if let Some(token) = &f.token {
            match (token.expires_at, token.expired()) {
                (Some(at), Some(true)) => {
                    let _ = write!(self.line, " expired={}", triage::rfc3339(at));
                }
                (Some(at), _) => {
                    let _ = write!(self.line, " expires={}", triage::rfc3339(at));
                }
                _ if token.temporary => self.line.push_str(" temporary"),
                _ => {}
            }
        }
        if r.live == Some(true) {
            self.line.push_str(" LIVE");
        }
        if let Some(secret) = r.secret {
            let _ = write!(self.line, " {}", escape_bytes(secret));
        }
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        let entry = self
            .summary
            .entry(f.rule_id.to_string())
            .or_insert_with(|| RuleSummary {
                name: r.rule_name.to_string(),
                places: 0,
                confidence: f.confidence,
                first_step: match r.rotate {
                    Some(rotate) => first_step(&rotate.text).to_string(),
                    None if f.rule_id.starts_with("known:") => KNOWN_FIRST_STEP.to_string(),
                    None => String::new(),
                },
            });
        entry.places += 1;
        entry.confidence = entry.confidence.max(f.confidence);
        Ok(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.with_summary && !self.summary.is_empty() {
            let places: u64 = self.summary.values().map(|s| s.places).sum();
            let mut text = format!(
                "\nsummary: {places} finding{} of {} kind{}; rotate each (details: secretscan explain RULE-ID)\n",
                if places == 1 { "" } else { "s" },
                self.summary.len(),
                if self.summary.len() == 1 { "" } else { "s" },
            );
            let mut rows: Vec<_> = self.summary.iter().collect();
            rows.sort_by(|a, b| b.1.places.cmp(&a.1.places).then(a.0.cmp(b.0)));
            for (id, s) in rows {
                let _ = writeln!(
                    text,
                    "  {} ({}): {} place{}, {}",
                    escape_text(id),
                    escape_text(&s.name),
                    s.places,
                    if s.places == 1 { "" } else { "s" },
                    s.confidence
                );
                if !s.first_step.is_empty() {
                    let _ = writeln!(text, "    first: {}", escape_text(&s.first_step));
                }
            }
            self.out.write_all(text.as_bytes())?;
            self.summary.clear();
        }
        self.out.flush()
    }
}

/// `check` in JSON and SARIF: `failed` when the rule's offline check
/// failed (see [`Doubt::CheckFailed`]).
pub(crate) fn check_field(f: &Finding) -> Option<&'static str> {
    (f.doubt == Some(Doubt::CheckFailed)).then_some("failed")
}

/// `glued` in JSON and SARIF: `true` for a glued token (see [`Doubt::Glued`]).
pub(crate) fn glued_field(f: &Finding) -> Option<bool> {
    (f.doubt == Some(Doubt::Glued)).then_some(true)
}

/// The JSON shape of a [`Record`].
#[derive(Serialize)]
struct JsonRecord<'a> {
    path: &'a str,
    rule_id: &'a str,
    rule_name: &'a str,
    line: u64,
    column: u64,
    offset: u64,
    end: u64,
    fingerprint: Fingerprint,
    preview: &'a str,
    confidence: Confidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<Validation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    glued: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a TokenFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expired: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a CommitInfo>,
}

impl<'a> JsonRecord<'a> {
    fn of(r: &Record<'a>) -> JsonRecord<'a> {
        let f = r.finding;
        JsonRecord {
            path: r.path,
            rule_id: &f.rule_id,
            rule_name: r.rule_name,
            line: f.line,
            column: f.column,
            offset: f.secret.start,
            end: f.secret.end,
            fingerprint: f.fingerprint,
            preview: &f.preview,
            confidence: f.confidence,
            validation: f.validation,
            check: check_field(f),
            glued: glued_field(f),
            // NOTE: JSON strings are Unicode, so a secret that is not UTF-8
            // (rare: rules match text) shows its bad bytes as U+FFFD.
            secret: r.secret.map(String::from_utf8_lossy),
            token: f.token.as_deref(),
            expires_at: f
                .token
                .as_ref()
                .and_then(|t| t.expires_at)
                .map(triage::rfc3339),
            expired: f.token.as_ref().and_then(|t| t.expired()),
            live: r.live,
            commit: r.commit,
        }
    }
}

/// Writes one JSON array, one object per line.
#[derive(Debug)]
pub struct JsonWriter<W> {
    out: W,
    records: u64,
}

impl<W: Write> JsonWriter<W> {
    /// A JSON-array writer into `out`.
    pub fn new(out: W) -> JsonWriter<W> {
        JsonWriter { out, records: 0 }
    }
}

impl<W: Write> Sink for JsonWriter<W> {
    fn record(&mut self, r: &Record<'_>) -> io::Result<bool> {
        self.out
            .write_all(if self.records == 0 { b"[\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &JsonRecord::of(r))?;
        self.records += 1;
        Ok(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.records == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

/// Writes one JSON object per line.
#[derive(Debug)]
pub struct JsonlWriter<W> {
    out: W,
}

impl<W: Write> JsonlWriter<W> {
    /// A JSON Lines writer into `out`.
    pub fn new(out: W) -> JsonlWriter<W> {
        JsonlWriter { out }
    }
}

impl<W: Write> Sink for JsonlWriter<W> {
    fn record(&mut self, r: &Record<'_>) -> io::Result<bool> {
        serde_json::to_writer(&mut self.out, &JsonRecord::of(r))?;
        self.out.write_all(b"\n")?;
        Ok(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Sarif => "sarif",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One finding of a demo rule (built through the public API, so the
    /// test does not depend on `Finding`'s private layout).
    fn demo() -> (Scanner, Finding) {
        let scanner = Scanner::builder()
            .builtin(false)
            .rules_toml(
                "demo.toml",
                "[[rules]]\nid = 'demo-key'\nname = 'Demo key'\npattern = 'demo_[a-z]{12}'\nkeywords = ['demo_']\n",
            )
            .build()
            .unwrap();
        let findings = scanner.scan(b"line one\nab demo_abcdefghijkl\n");
        assert_eq!(findings.len(), 1);
        (scanner, findings[0].clone())
    }

    fn render(format: Format, records: &[Record<'_>]) -> String {
        let mut out = Vec::new();
        let mut sink = format.sink(&mut out);
        for r in records {
            assert!(sink.record(r).unwrap());
        }
        sink.finish().unwrap();
        drop(sink);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn human_lines_escape_untrusted_text() {
        let (scanner, f) = demo();
        let out = render(
            Format::Human,
            &[Record::new(&scanner, "a\x1b]0;x\x07\nb", &f)],
        );
        assert_eq!(
            out.lines().next().unwrap(),
            "a\\x1b]0;x\\x07\\nb:2:4 demo-key medium demo…"
        );
        let mut buf = Vec::new();
        let mut sink = HumanWriter::new(&mut buf).with_summary(true);
        sink.record(&Record::new(&scanner, "p", &f)).unwrap();
        sink.finish().unwrap();
        let out = String::from_utf8(buf).unwrap();
        assert!(out.ends_with("\nsummary: 1 finding of 1 kind; rotate each (details: secretscan explain RULE-ID)\n  demo-key (Demo key): 1 place, medium\n"), "{out}");
        let out = render(
            Format::Human,
            &[Record::new(&scanner, "p", &f).with_secret(b"demo\x1b[31m\xff")],
        );
        assert_eq!(
            out.lines().next().unwrap(),
            "p:2:4 demo-key medium demo… demo\\x1b[31m\\xff"
        );
    }

    #[test]
    fn json_is_one_array_and_hides_the_secret() {
        let (scanner, f) = demo();
        assert_eq!(render(Format::Json, &[]), "[]\n");
        let out = render(
            Format::Json,
            &[
                Record::new(&scanner, "x", &f),
                Record::new(&scanner, "y", &f),
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[1]["path"], "y");
        assert_eq!(v[0]["rule_name"], "Demo key");
        assert_eq!(v[0]["offset"], 12);
        assert_eq!(v[0]["end"], 29);
        assert_eq!(
            v[0]["fingerprint"],
            Fingerprint::of(b"demo_abcdefghijkl").to_string()
        );
        assert!(v[0].get("secret").is_none());
    }

    #[test]
    fn a_commit_prefixes_human_lines_and_is_an_object_in_json() {
        let (scanner, f) = demo();
        let commit = CommitInfo {
            id: "0123456789abcdef0123456789abcdef01234567".into(),
            author: "Ann".into(),
            email: "ann@example.com".into(),
            date: "2024-05-01T12:00:00+02:00".into(),
            later_commits: 3,
            blob: "89abcdef0123456789abcdef0123456789abcdef".into(),
        };
        let record = Record::new(&scanner, "src/a.rs", &f).with_commit(&commit);
        assert_eq!(
            render(Format::Human, &[record]),
            "0123456789ab:src/a.rs:2:4 demo-key medium demo…\n"
        );
        let v: serde_json::Value =
            serde_json::from_str(render(Format::Jsonl, &[record]).trim()).unwrap();
        assert_eq!(v["path"], "src/a.rs");
        assert_eq!(v["commit"]["id"], commit.id.as_str());
        assert_eq!(v["commit"]["later_commits"], 3);
        assert_eq!(v["commit"]["blob"], commit.blob.as_str());
        let plain = render(Format::Jsonl, &[Record::new(&scanner, "x", &f)]);
        assert!(!plain.contains("commit"), "{plain}");
    }

    #[test]
    fn json_flushed_mid_report_is_an_open_array_then_a_whole_one() {
        let (scanner, f) = demo();
        let mut out = Vec::new();
        let mut sink = Format::Json.sink(&mut out);
        assert!(sink.record(&Record::new(&scanner, "x", &f)).unwrap());
        sink.flush().unwrap();
        assert!(sink.record(&Record::new(&scanner, "y", &f)).unwrap());
        sink.flush().unwrap();
        sink.finish().unwrap();
        drop(sink);
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("[\n{"), "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
    }

    #[test]
    fn jsonl_is_one_object_per_line() {
        let (scanner, f) = demo();
        let records = [
            Record::new(&scanner, "x", &f),
            Record::new(&scanner, "y", &f).with_secret(b"s3cr3t"),
        ];
        let out = render(Format::Jsonl, &records);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["line"], 2);
        assert_eq!(lines[0]["column"], 4);
        assert!(lines[0].get("secret").is_none());
        assert_eq!(lines[1]["secret"], "s3cr3t");
    }
}
