//! The Python extension module `secretscan._secretscan` (feature `python`),
//! built by maturin from `pyproject.toml`. The Python package `secretscan`
//! (python/secretscan/) re-exports it and adds the pure-Python helpers;
//! python/secretscan/_secretscan.pyi documents the API for type checkers.
//!
//! Conventions, the same for every function:
//!
//! - text is `str` or `bytes`, and the result has the input's type; any
//!   other type is a `TypeError`, a `str` that cannot be encoded as UTF-8
//!   (lone surrogates) a `UnicodeEncodeError` (a `ValueError`);
//! - offsets index the input: code points for `str`, bytes for `bytes`;
//! - the GIL is released while inputs of [`DETACH_MIN`] bytes or more are
//!   scanned, so other Python threads run meanwhile;
//! - a finding never holds the secret: rule, offsets, line, column,
//!   confidence, fingerprint and a masked preview.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::guard::{Action, Guard, Policy, StreamRedactor, Verdict};
use crate::redact::push_marker;
use crate::rules::Confidence;
use crate::scan::Scanner;
use crate::Finding;

/// Inputs at least this long are scanned with the GIL released. Below it,
/// releasing and taking the GIL back would cost more than it frees.
const DETACH_MIN: usize = 4096;

/// A borrowed input: its bytes (UTF-8 for a `str`) and whether it was a `str`.
struct Text<'a> {
    bytes: &'a [u8],
    is_str: bool,
}

fn text<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Text<'a>> {
    if let Ok(s) = obj.cast::<PyString>() {
        // NOTE: for a non-ASCII str CPython builds its UTF-8 form once and
        // caches it on the object; an ASCII str is used in place.
        let s: &'a str = s.to_str()?;
        return Ok(Text {
            bytes: s.as_bytes(),
            is_str: true,
        });
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Text {
            bytes: b.as_bytes(),
            is_str: false,
        });
    }
    Err(PyTypeError::new_err(format!(
        "expected str or bytes, got {}",
        obj.get_type().name()?
    )))
}

/// Runs `f` on `bytes`, with the GIL released when the input is large.
fn run<T: Send>(py: Python<'_>, bytes: &[u8], f: impl FnOnce(&[u8]) -> T + Send) -> T {
    if bytes.len() >= DETACH_MIN {
        py.detach(|| f(bytes))
    } else {
        f(bytes)
    }
}

/// Builds the Python object of the input's type from redacted bytes.
fn output(py: Python<'_>, bytes: &[u8], is_str: bool) -> Py<PyAny> {
    if is_str {
        // Redaction replaces byte spans with ASCII markers, so the output
        // of a str is UTF-8 unless a secret ended inside a character.
        match std::str::from_utf8(bytes) {
            Ok(s) => PyString::new(py, s).into_any().unbind(),
            Err(_) => PyString::new(py, &String::from_utf8_lossy(bytes))
                .into_any()
                .unbind(),
        }
    } else {
        PyBytes::new(py, bytes).into_any().unbind()
    }
}

/// A secret found in a text. It does not hold the secret itself.
#[pyclass(module = "secretscan", frozen, get_all, name = "Finding")]
#[derive(Clone)]
struct PyFinding {
    /// The id of the rule that found it.
    rule_id: String,
    /// Where the secret starts, as an index into the input (code points for
    /// a str, bytes for bytes): `text[f.start:f.end]` is the secret.
    start: usize,
    /// Where the secret ends (exclusive).
    end: usize,
    /// 1-based line of the secret's first character.
    line: u64,
    /// 1-based byte column of the secret's first byte.
    column: u64,
    /// "low", "medium" or "high".
    confidence: &'static str,
    /// 16 hex digits of the secret's SHA-256: which key, not the key.
    fingerprint: String,
    /// The secret masked: a few leading characters, then "…".
    preview: String,
}

#[pymethods]
impl PyFinding {
    fn __repr__(&self) -> String {
        format!(
            "Finding(rule_id={:?}, start={}, end={}, line={}, column={}, confidence={:?}, fingerprint={:?}, preview={:?})",
            self.rule_id,
            self.start,
            self.end,
            self.line,
            self.column,
            self.confidence,
            self.fingerprint,
            self.preview
        )
    }

    fn __eq__(&self, other: &Self) -> bool {
        (
            self.rule_id.as_str(),
            self.start,
            self.end,
            self.fingerprint.as_str(),
        ) == (
            other.rule_id.as_str(),
            other.start,
            other.end,
            other.fingerprint.as_str(),
        )
    }
}

/// Converts findings, turning byte offsets into code-point offsets for a
/// str (findings are ordered by start, so one pass over the text).
fn findings(found: &[Finding], t: &Text<'_>) -> Vec<PyFinding> {
    let mut at_byte = 0usize;
    let mut at_char = 0usize;
    let mut index = |byte: u64| -> usize {
        let byte = byte as usize;
        if !t.is_str {
            return byte;
        }
        if byte < at_byte {
            // Ends of earlier findings may lie past later starts only when
            // spans overlap; count from the beginning then.
            at_byte = 0;
            at_char = 0;
        }
        at_char += t.bytes[at_byte..byte]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        at_byte = byte;
        at_char
    };
    found
        .iter()
        .map(|f| {
            let start = index(f.secret.start);
            let end = index(f.secret.end);
            PyFinding {
                rule_id: f.rule_id.to_string(),
                start,
                end,
                line: f.line,
                column: f.column,
                confidence: f.confidence.as_str(),
                fingerprint: f.fingerprint.to_string(),
                preview: f.preview.clone(),
            }
        })
        .collect()
}

/// redact(text, /) -> str | bytes
///
/// Returns `text` with every secret replaced by `[REDACTED:<rule-id>]`, using
/// the built-in rules. The result has the input's type; a text without
/// secrets is returned as it is (the same object).
#[pyfunction]
fn redact(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    redact_with(py, &Scanner::builtin(), text)
}

/// Redacts `text` with `scanner`: scans with the GIL released (for large
/// inputs), then writes the output straight into a new `bytes`, or for an
/// ASCII `str` (whose output is ASCII too: markers are ASCII) a new `str`:
/// one copy of the text, not two.
fn redact_with(py: Python<'_>, scanner: &Scanner, text: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let t = self::text(text)?;
    let redactions = run(py, t.bytes, |b| {
        let mut redactions = vec![];
        scanner.scan_with(b, |_| {}, |r| redactions.push(r));
        redactions
    });
    if redactions.is_empty() {
        return Ok(text.clone().unbind());
    }
    let labels = scanner.known_labels();
    let markers: Vec<Vec<u8>> = redactions
        .iter()
        .map(|r| {
            let mut m = Vec::new();
            push_marker(scanner, scanner.label(r.rule, &labels), r, &mut m);
            m
        })
        .collect();
    let len = redactions
        .iter()
        .zip(&markers)
        .fold(t.bytes.len(), |n, (r, m)| {
            n - (r.span.end - r.span.start) as usize + m.len()
        });
    let fill = |out: &mut [u8]| {
        let mut at = 0usize;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        let mut from = 0usize;
        for (r, m) in redactions.iter().zip(&markers) {
            put(&t.bytes[from..r.span.start as usize]);
            put(m);
            from = r.span.end as usize;
        }
        put(&t.bytes[from..]);
        debug_assert_eq!(at, out.len(), "the output length was computed exactly");
    };
    if !t.is_str {
        let out = PyBytes::new_with(py, len, |buf| {
            fill(buf);
            Ok(())
        })?;
        return Ok(out.into_any().unbind());
    }
    let is_ascii = text.cast::<PyString>()?.len()? == t.bytes.len();
    if !is_ascii {
        let mut out = vec![0u8; len];
        fill(&mut out);
        return Ok(output(py, &out, true));
    }
    // SAFETY: PyUnicode_New(len, 127) returns a new compact ASCII str (or
    // NULL with an exception set, turned into Err); its data is `len`
    // writable bytes plus a NUL, written only here, before the object is
    // shared, and with ASCII only (the input was ASCII, markers are ASCII).
    unsafe {
        let obj = pyo3::ffi::PyUnicode_New(len as pyo3::ffi::Py_ssize_t, 127);
        let obj = Bound::from_owned_ptr_or_err(py, obj)?;
        let data = pyo3::ffi::PyUnicode_DATA(obj.as_ptr()).cast::<u8>();
        fill(std::slice::from_raw_parts_mut(data, len));
        Ok(obj.unbind())
    }
}

/// scan(text, /) -> list[Finding]
///
/// The secrets in `text` found by the built-in rules, in order.
#[pyfunction]
fn scan(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Vec<PyFinding>> {
    let t = self::text(text)?;
    let scanner = Scanner::builtin();
    let found = run(py, t.bytes, |b| scanner.scan(b));
    Ok(findings(&found, &t))
}

fn parse_action(what: &str, value: &str) -> PyResult<Action> {
    match value {
        "allow" => Ok(Action::Allow),
        "redact" => Ok(Action::Redact),
        "block" => Ok(Action::Block),
        _ => Err(PyValueError::new_err(format!(
            "{what}: expected 'allow', 'redact' or 'block', got {value:?}"
        ))),
    }
}

/// What a Guard decided about one text.
#[pyclass(module = "secretscan", frozen, get_all, name = "Verdict")]
struct PyVerdict {
    /// "clean", "redacted" or "blocked".
    decision: &'static str,
    /// The text to pass on: the input itself when clean, the redacted text
    /// when redacted, None when blocked.
    text: Py<PyAny>,
    /// The findings the decision rests on (allowed ones are left out).
    findings: Vec<PyFinding>,
}

#[pymethods]
impl PyVerdict {
    /// True when the text must not be passed on.
    #[getter]
    fn blocked(&self) -> bool {
        self.decision == "blocked"
    }

    /// True when the text passes unchanged.
    #[getter]
    fn clean(&self) -> bool {
        self.decision == "clean"
    }

    fn __repr__(&self) -> String {
        format!(
            "Verdict(decision={:?}, findings={})",
            self.decision,
            self.findings.len()
        )
    }
}

/// Guard(*, low="redact", medium="redact", high="redact", rules=None,
///       rule_files=(), builtin=True)
///
/// Decides per finding whether a text passes, is redacted or is blocked:
/// by the finding's confidence ("low", "medium", "high"), or by its rule
/// id (`rules={"aws-access-key-id": "block"}`). Actions are "allow",
/// "redact" and "block". `rule_files` adds TOML rule files to the built-in
/// rules (or replaces them with `builtin=False`).
///
/// Safe to share between threads; `check` releases the GIL on large inputs.
#[pyclass(module = "secretscan", frozen, name = "Guard")]
struct PyGuard {
    guard: Guard,
}

#[pymethods]
impl PyGuard {
    #[new]
    #[pyo3(signature = (*, low="redact", medium="redact", high="redact", rules=None, rule_files=Vec::new(), builtin=true))]
    fn new(
        low: &str,
        medium: &str,
        high: &str,
        rules: Option<&Bound<'_, PyDict>>,
        rule_files: Vec<std::path::PathBuf>,
        builtin: bool,
    ) -> PyResult<PyGuard> {
        let mut policy = Policy::redact_all()
            .on_confidence(Confidence::Low, parse_action("low", low)?)
            .on_confidence(Confidence::Medium, parse_action("medium", medium)?)
            .on_confidence(Confidence::High, parse_action("high", high)?);
        if let Some(rules) = rules {
            for (k, v) in rules.iter() {
                let id: String = k
                    .extract()
                    .map_err(|_| PyTypeError::new_err("rules: keys must be rule ids (str)"))?;
                let action: String = v.extract().map_err(|_| {
                    PyTypeError::new_err(format!("rules[{id:?}]: the action must be a str"))
                })?;
                policy = policy.on_rule(
                    id.clone(),
                    parse_action(&format!("rules[{id:?}]"), &action)?,
                );
            }
        }
        let scanner = if rule_files.is_empty() && builtin {
            Scanner::builtin()
        } else {
            let mut b = Scanner::builder().builtin(builtin);
            for f in rule_files {
                b = b.rules_file(f);
            }
            b.build()
                .map_err(|e| PyValueError::new_err(e.to_string()))?
        };
        let guard =
            Guard::new(scanner, policy).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyGuard { guard })
    }

    /// check(text, /) -> Verdict
    ///
    /// Checks one text (str or bytes) against the policy.
    fn check(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
        let t = self::text(text)?;
        let verdict = run(py, t.bytes, |b| self.guard.check_bytes(b));
        Ok(match verdict {
            Verdict::Clean => PyVerdict {
                decision: "clean",
                text: text.clone().unbind(),
                findings: vec![],
            },
            Verdict::Redacted {
                output: o,
                findings: f,
            } => PyVerdict {
                decision: "redacted",
                text: output(py, &o, t.is_str),
                findings: findings(&f, &t),
            },
            Verdict::Blocked { findings: f } => PyVerdict {
                decision: "blocked",
                text: py.None(),
                findings: findings(&f, &t),
            },
        })
    }

    /// redact(text, /) -> str | bytes
    ///
    /// Every secret the guard's rules find replaced, whatever the policy.
    fn redact(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        redact_with(py, self.guard.scanner(), text)
    }

    /// scan(text, /) -> list[Finding]
    ///
    /// Every finding of the guard's rules, whatever the policy.
    fn scan(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Vec<PyFinding>> {
        let t = self::text(text)?;
        let scanner = self.guard.scanner();
        let found = run(py, t.bytes, |b| scanner.scan(b));
        Ok(findings(&found, &t))
    }

    fn __repr__(&self) -> String {
        format!("Guard(rules={})", self.guard.scanner().rules().len())
    }
}

/// StreamRedactor(guard=None)
///
/// Redacts a stream pushed in pieces (an LLM's tokens, server-sent events):
/// `push(chunk)` returns every byte that can no longer be part of a secret,
/// `finish()` the rest. Only what could still be a secret is held back. The
/// output, joined, equals `redact` of the whole stream however it was split.
///
/// A stream is of str or of bytes, as its first chunk; mixing is a
/// TypeError. Streams redact every finding (a stream cannot be blocked
/// after the fact; watch `redacted` to cut it off).
#[pyclass(module = "secretscan", name = "StreamRedactor")]
struct PyStreamRedactor {
    inner: StreamRedactor,
    /// None until the first chunk decides.
    is_str: Option<bool>,
}

#[pymethods]
impl PyStreamRedactor {
    #[new]
    #[pyo3(signature = (guard=None))]
    fn new(guard: Option<&Bound<'_, PyGuard>>) -> PyStreamRedactor {
        let scanner = match guard {
            Some(g) => g.get().guard.scanner().clone(),
            None => Scanner::builtin(),
        };
        PyStreamRedactor {
            inner: StreamRedactor::new(scanner),
            is_str: None,
        }
    }

    /// push(chunk, /) -> str | bytes
    ///
    /// Pushes the next chunk; returns the redacted output it settled
    /// (maybe empty, maybe text of earlier chunks).
    fn push(&mut self, py: Python<'_>, chunk: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if self.inner.is_finished() {
            return Err(PyValueError::new_err("push after finish"));
        }
        let t = self::text(chunk)?;
        match self.is_str {
            None => self.is_str = Some(t.is_str),
            Some(is_str) if is_str != t.is_str => {
                return Err(PyTypeError::new_err(if is_str {
                    "this stream is of str; got bytes"
                } else {
                    "this stream is of bytes; got str"
                }))
            }
            Some(_) => {}
        }
        let inner = &mut self.inner;
        if t.is_str {
            // SAFETY of the conversion: `t.bytes` came from a str.
            let s = std::str::from_utf8(t.bytes).expect("a str's UTF-8 form is UTF-8");
            let out = run(py, t.bytes, |_| inner.push_str(s).to_owned());
            Ok(PyString::new(py, &out).into_any().unbind())
        } else {
            let out = run(py, t.bytes, |b| inner.push(b).to_vec());
            Ok(PyBytes::new(py, &out).into_any().unbind())
        }
    }

    /// finish() -> str | bytes
    ///
    /// Ends the stream and returns everything still held back, redacted.
    /// Calling it again returns an empty str or bytes.
    fn finish(&mut self, py: Python<'_>) -> Py<PyAny> {
        if self.is_str.unwrap_or(true) {
            PyString::new(py, self.inner.finish_str())
                .into_any()
                .unbind()
        } else {
            PyBytes::new(py, self.inner.finish()).into_any().unbind()
        }
    }

    /// Bytes pushed but not yet returned, because they could still be part
    /// of a secret.
    #[getter]
    fn held_back(&self) -> u64 {
        self.inner.held_back()
    }

    /// How many secrets were redacted so far.
    #[getter]
    fn redacted(&self) -> u64 {
        self.inner.redacted()
    }

    /// Whether finish() was called.
    #[getter]
    fn finished(&self) -> bool {
        self.inner.is_finished()
    }
}

/// The native part of the `secretscan` package.
#[pymodule]
fn _secretscan(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(redact, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_class::<PyFinding>()?;
    m.add_class::<PyVerdict>()?;
    m.add_class::<PyGuard>()?;
    m.add_class::<PyStreamRedactor>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
