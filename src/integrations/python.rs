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
//!
//! `KnownSecrets` follows a deployment's own secret values (files, mounted
//! Kubernetes Secrets, environment variables) through rotations: it re-reads
//! its sources on use, at most every `poll` seconds, rather than from a
//! background thread, so an idle process does no work and needs no thread
//! to be shut down. A `Guard` or `StreamRedactor` built on one picks up each
//! new set on its next call.

use std::ffi::CString;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use pyo3::exceptions::{PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::engine::redact::push_marker;
use crate::engine::scanner::Scanner;
use crate::escape::escape_text;
use crate::integrations::guard::{Action, Guard, Policy, StreamRedactor, Verdict};
use crate::rotation::known::{KnownSecrets, MIN_LEN};
use crate::rotation::{KnownSources, Source};
use crate::rules::Confidence;
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
///       rule_files=(), builtin=True, known=None)
///
/// Decides per finding whether a text passes, is redacted or is blocked:
/// by the finding's confidence ("low", "medium", "high"), or by its rule
/// id (`rules={"aws-access-key-id": "block"}`). Actions are "allow",
/// "redact" and "block". `rule_files` adds TOML rule files to the built-in
/// rules (or replaces them with `builtin=False`). `known` (a KnownSecrets)
/// adds a deployment's own values, followed through rotations: each call
/// uses the set as of that call. Known values' findings have confidence
/// "high", so `high` decides for them.
///
/// Safe to share between threads; `check` releases the GIL on large inputs.
#[pyclass(module = "secretscan", frozen, name = "Guard")]
struct PyGuard {
    /// The guard without known values.
    guard: Guard,
    known: Option<GuardKnown>,
}

/// A guard's known values: the set followed, and the guard with the set's
/// latest generation, rebuilt only when it changes.
struct GuardKnown {
    source: Py<PyKnownSecrets>,
    // NOTE: held only to read or replace the pair, never across a call
    // into Python.
    built: Mutex<(u64, Arc<Guard>)>,
}

impl PyGuard {
    /// The guard to use now: with the known values as of this call.
    fn current(&self, py: Python<'_>) -> PyResult<Arc<Guard>> {
        let Some(k) = &self.known else {
            return Ok(Arc::new(self.guard.clone()));
        };
        let snapshot = k.source.get().current(py)?;
        let mut built = k.built.lock().unwrap_or_else(|e| e.into_inner());
        if built.0 != snapshot.generation {
            let scanner = self.guard.scanner().clone().with_known(snapshot.known);
            let guard = Guard::new(scanner, self.guard.policy().clone())
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            *built = (snapshot.generation, Arc::new(guard));
        }
        Ok(built.1.clone())
    }

    /// The scanner to use now (see [`PyGuard::current`]).
    fn scanner(&self, py: Python<'_>) -> PyResult<Scanner> {
        match &self.known {
            None => Ok(self.guard.scanner().clone()),
            Some(_) => Ok(self.current(py)?.scanner().clone()),
        }
    }
}

#[pymethods]
impl PyGuard {
    #[new]
    #[pyo3(signature = (*, low="redact", medium="redact", high="redact", rules=None, rule_files=Vec::new(), builtin=true, known=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        low: &str,
        medium: &str,
        high: &str,
        rules: Option<&Bound<'_, PyDict>>,
        rule_files: Vec<std::path::PathBuf>,
        builtin: bool,
        known: Option<Py<PyKnownSecrets>>,
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
        let mut guard = PyGuard { guard, known: None };
        if let Some(source) = known {
            guard.known = Some(GuardKnown {
                source,
                built: Mutex::new((u64::MAX, Arc::new(guard.guard.clone()))),
            });
            // Builds the guard with the set now, so that a bad combination
            // fails here rather than at the first check.
            guard.current(py)?;
        }
        Ok(guard)
    }

    /// check(text, /) -> Verdict
    ///
    /// Checks one text (str or bytes) against the policy.
    fn check(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
        let t = self::text(text)?;
        let verdict = match &self.known {
            None => run(py, t.bytes, |b| self.guard.check_bytes(b)),
            Some(_) => {
                let guard = self.current(py)?;
                run(py, t.bytes, |b| guard.check_bytes(b))
            }
        };
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
        match &self.known {
            None => redact_with(py, self.guard.scanner(), text),
            Some(_) => redact_with(py, &self.scanner(py)?, text),
        }
    }

    /// scan(text, /) -> list[Finding]
    ///
    /// Every finding of the guard's rules, whatever the policy.
    fn scan(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Vec<PyFinding>> {
        let t = self::text(text)?;
        let scanner = self.scanner(py)?;
        let found = run(py, t.bytes, |b| scanner.scan(b));
        Ok(findings(&found, &t))
    }

    fn __repr__(&self) -> String {
        match &self.known {
            None => format!("Guard(rules={})", self.guard.scanner().rules().len()),
            Some(k) => format!(
                "Guard(rules={}, known={})",
                self.guard.scanner().rules().len(),
                k.source.get().__repr__()
            ),
        }
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
/// after the fact; watch `redacted` to cut it off). A guard built with
/// `known=` lends the stream its known values, followed through rotations:
/// a new set takes effect from the next `push` (bytes still held back are
/// decided by it).
#[pyclass(module = "secretscan", name = "StreamRedactor")]
struct PyStreamRedactor {
    inner: StreamRedactor,
    /// None until the first chunk decides.
    is_str: Option<bool>,
    /// The known values followed, and the generation the stream holds.
    known: Option<(Py<PyKnownSecrets>, u64)>,
}

#[pymethods]
impl PyStreamRedactor {
    #[new]
    #[pyo3(signature = (guard=None))]
    fn new(py: Python<'_>, guard: Option<&Bound<'_, PyGuard>>) -> PyResult<PyStreamRedactor> {
        let Some(guard) = guard.map(Bound::get) else {
            return Ok(PyStreamRedactor {
                inner: StreamRedactor::new(Scanner::builtin()),
                is_str: None,
                known: None,
            });
        };
        let mut scanner = guard.guard.scanner().clone();
        let mut known = None;
        if let Some(k) = &guard.known {
            let snapshot = k.source.get().current(py)?;
            scanner = scanner.with_known(snapshot.known);
            known = Some((k.source.clone_ref(py), snapshot.generation));
        }
        Ok(PyStreamRedactor {
            inner: StreamRedactor::new(scanner),
            is_str: None,
            known,
        })
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
        if let Some((source, generation)) = &mut self.known {
            let snapshot = source.get().current(py)?;
            if snapshot.generation != *generation {
                self.inner.set_known(snapshot.known);
                *generation = snapshot.generation;
            }
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

pyo3::create_exception!(
    secretscan,
    KnownSecretsWarning,
    PyUserWarning,
    "A known-secrets source failed to load (the last good values are kept) or a value was refused as too short. The message names sources and values, never a value."
);

/// A duration in seconds from Python: finite and not negative.
fn seconds(what: &str, value: f64) -> PyResult<Duration> {
    if value.is_finite() && value >= 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(PyValueError::new_err(format!(
            "{what}: expected a number of seconds, at least 0, got {value}"
        )))
    }
}

/// Issues `messages` as `KnownSecretsWarning`s. A warning filter may turn
/// one into an exception, which is then the call's error.
fn warn_all(py: Python<'_>, messages: Vec<String>) -> PyResult<()> {
    let category = py.get_type::<KnownSecretsWarning>();
    for m in messages {
        let m = CString::new(m.replace('\0', "\\0")).expect("NULs were escaped");
        PyErr::warn(py, category.as_any(), &m, 1)?;
    }
    Ok(())
}

/// The set as of one read, shared with guards and streams built on it.
#[derive(Clone)]
struct Snapshot {
    /// Bumped each time the set changes, so that a guard or a stream knows
    /// when to swap.
    generation: u64,
    known: KnownSecrets,
    /// The built-in rules plus `known`, for `KnownSecrets.redact`.
    scanner: Scanner,
}

struct Followed {
    sources: KnownSources,
    read_at: Instant,
    snapshot: Snapshot,
    /// The failures of the last read: a poll warns only about new ones,
    /// not every `poll` seconds about a source that stays missing.
    errors: Vec<String>,
}

/// KnownSecrets(sources, *, min_len=8, keep_rotated=86400.0, poll=2.0)
///
/// A deployment's own secret values, redacted wherever they appear, as
/// `[REDACTED:known:<NAME>]` (and in base64, URL, JSON and hex encodings).
/// A source is a file (one value, or `NAME=value` lines as in `.env`), a
/// directory (one file per key, as Kubernetes mounts a Secret; the
/// `..data` symlink swap is followed), `env:NAME` or `env:GLOB`.
///
/// Hot reload: each use (`redact`, `names`, a Guard's `check`, a stream's
/// `push`) re-reads the sources when `poll` seconds have passed since the
/// last read, so a rotated secret is picked up without a restart; a value
/// that leaves its source stays redacted for `keep_rotated` seconds. A
/// source that fails to load keeps its last good values, with a
/// `KnownSecretsWarning`. Values shorter than `min_len` bytes are refused,
/// with a warning that names them. No method returns or prints a value.
///
/// Raises ValueError when a source cannot be loaded at construction (there
/// is no last good set yet) or an argument is out of range.
#[pyclass(module = "secretscan", frozen, name = "KnownSecrets")]
struct PyKnownSecrets {
    // NOTE: locked with the GIL held, but never held while calling into
    // Python (warnings are issued after it is released), so a thread
    // waiting for it cannot deadlock with the holder. Sources are read with
    // the GIL held on purpose: `os.environ` writes call setenv under the
    // GIL, and reading the environment concurrently with setenv is unsound.
    state: Mutex<Followed>,
    poll: Duration,
    min_len: usize,
    /// The sources as given, for `repr`.
    given: Vec<String>,
}

impl PyKnownSecrets {
    fn lock(&self) -> MutexGuard<'_, Followed> {
        // A panic while reading cannot leave the state half-updated in a
        // way that matters: the last good set is replaced whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-reads the sources if `force` or `poll` has passed; returns whether
    /// the set changed and the warnings to issue.
    fn read(&self, force: bool) -> (bool, Vec<String>) {
        let mut state = self.lock();
        if !force && state.read_at.elapsed() < self.poll {
            return (false, vec![]);
        }
        let reload = state.sources.reload(SystemTime::now());
        state.read_at = Instant::now();
        let errors: Vec<String> = reload.errors.iter().map(|e| e.to_string()).collect();
        let mut warnings: Vec<String> = errors
            .iter()
            .filter(|e| force || !state.errors.contains(e))
            .map(|e| format!("known secrets: {e}; keeping the last good values"))
            .collect();
        state.errors = errors;
        let changed = reload.known.is_some();
        if let Some(known) = reload.known {
            warnings.extend(known.refused().iter().map(|r| {
                format!(
                    "known value {} is {} bytes, shorter than the minimum ({}): not redacted",
                    escape_text(&r.name),
                    r.len,
                    self.min_len
                )
            }));
            state.snapshot = Snapshot {
                generation: state.snapshot.generation + 1,
                scanner: Scanner::builtin().with_known(known.clone()),
                known,
            };
        }
        (changed, warnings)
    }

    /// The set now, after a re-read if `poll` has passed.
    fn current(&self, py: Python<'_>) -> PyResult<Snapshot> {
        let (_, warnings) = self.read(false);
        let snapshot = self.lock().snapshot.clone();
        warn_all(py, warnings)?;
        Ok(snapshot)
    }
}

#[pymethods]
impl PyKnownSecrets {
    #[new]
    #[pyo3(signature = (sources, *, min_len=MIN_LEN, keep_rotated=86_400.0, poll=2.0))]
    fn new(
        py: Python<'_>,
        sources: &Bound<'_, PyAny>,
        min_len: usize,
        keep_rotated: f64,
        poll: f64,
    ) -> PyResult<PyKnownSecrets> {
        if sources.is_instance_of::<PyString>() || sources.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(
                "sources: expected a list of sources (paths or 'env:NAME'), got one string",
            ));
        }
        let mut parsed = vec![];
        let mut given = vec![];
        for item in sources.try_iter()? {
            let item = item?;
            let source = if let Ok(s) = item.cast::<PyString>() {
                Source::parse(s.to_str()?)
            } else {
                let path: std::path::PathBuf = item.extract().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "sources: expected str or os.PathLike, got {}",
                        item.get_type().name().map_or("?".into(), |n| n.to_string())
                    ))
                })?;
                Source::Path(path)
            };
            given.push(source.to_string());
            parsed.push(source);
        }
        if parsed.is_empty() {
            return Err(PyValueError::new_err(
                "sources: expected at least one source",
            ));
        }
        if min_len < MIN_LEN {
            return Err(PyValueError::new_err(format!(
                "min_len: at least {MIN_LEN} (shorter values would mask ordinary words), got {min_len}"
            )));
        }
        let mut followed = KnownSources::new(parsed);
        followed
            .min_len(min_len)
            .keep_rotated(seconds("keep_rotated", keep_rotated)?);
        let known = PyKnownSecrets {
            state: Mutex::new(Followed {
                sources: followed,
                read_at: Instant::now(),
                snapshot: Snapshot {
                    generation: 0,
                    known: KnownSecrets::empty(),
                    scanner: Scanner::builtin(),
                },
                errors: vec![],
            }),
            poll: seconds("poll", poll)?,
            min_len,
            given,
        };
        let (_, warnings) = known.read(true);
        let errors = known.lock().errors.clone();
        if !errors.is_empty() {
            return Err(PyValueError::new_err(format!(
                "cannot load known secrets: {}",
                errors.join("; ")
            )));
        }
        warn_all(py, warnings)?;
        Ok(known)
    }

    /// reload() -> bool
    ///
    /// Re-reads every source now, whatever `poll` says; returns whether the
    /// set of values changed. A source that fails keeps its last good
    /// values, with a KnownSecretsWarning naming it (never a value).
    fn reload(&self, py: Python<'_>) -> PyResult<bool> {
        let (changed, warnings) = self.read(true);
        warn_all(py, warnings)?;
        Ok(changed)
    }

    /// names() -> list[str]
    ///
    /// The names of the values redacted now (current and rotated-out ones
    /// still in their window), sorted, each once. Never a value.
    fn names(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let snapshot = self.current(py)?;
        let mut names: Vec<String> = snapshot
            .known
            .entries()
            .iter()
            .map(|e| e.name.to_string())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// redact(text, /) -> str | bytes
    ///
    /// `text` with every known value (and its encodings) replaced by
    /// `[REDACTED:known:<NAME>]` and every secret the built-in rules find
    /// by `[REDACTED:<rule-id>]`, as the module's `redact`.
    fn redact(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let snapshot = self.current(py)?;
        redact_with(py, &snapshot.scanner, text)
    }

    /// The number of values redacted now (a rotated-out value counts until
    /// its window ends).
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.current(py)?.known.len())
    }

    fn __repr__(&self) -> String {
        format!(
            "KnownSecrets(sources={:?}, values={})",
            self.given,
            self.lock().snapshot.known.len()
        )
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
    m.add_class::<PyKnownSecrets>()?;
    m.add(
        "KnownSecretsWarning",
        m.py().get_type::<KnownSecretsWarning>(),
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
