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
//!   confidence, fingerprint, a masked preview, and whether its check
//!   failed or it was glued to the text after it (recall-first redaction).
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
use crate::{Doubt, Finding};

mod guard;
mod known;

use self::guard::*;
use self::known::*;

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
    /// "failed" when the rule's offline check failed (a `low` finding of
    /// the provider's exact shape, which redaction still removes), else
    /// None.
    check: Option<&'static str>,
    /// True for a fixed-length token found glued to the text after it
    /// (`AKIA…status=200`): `low`, redacted at the token's exact length.
    glued: bool,
}

#[pymethods]
impl PyFinding {
    fn __repr__(&self) -> String {
        format!(
            "Finding(rule_id={:?}, start={}, end={}, line={}, column={}, confidence={:?}, fingerprint={:?}, preview={:?}, check={}, glued={})",
            self.rule_id,
            self.start,
            self.end,
            self.line,
            self.column,
            self.confidence,
            self.fingerprint,
            self.preview,
            self.check.map_or("None".to_string(), |c| format!("{c:?}")),
            if self.glued { "True" } else { "False" }
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
                check: (f.doubt == Some(Doubt::CheckFailed)).then_some("failed"),
                glued: f.doubt == Some(Doubt::Glued),
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
