//! `Guard`, `Verdict` and `StreamRedactor` for Python: policies parsed from
//! keyword arguments, known values followed through a `KnownSecrets`.

use super::*;

pub(super) fn parse_action(what: &str, value: &str) -> PyResult<Action> {
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
pub(super) struct PyVerdict {
    /// "clean", "redacted" or "blocked".
    pub(super) decision: &'static str,
    /// The text to pass on: the input itself when clean, the redacted text
    /// when redacted, None when blocked.
    pub(super) text: Py<PyAny>,
    /// The findings the decision rests on (allowed ones are left out).
    pub(super) findings: Vec<PyFinding>,
}

#[pymethods]
impl PyVerdict {
    /// True when the text must not be passed on.
    #[getter]
    pub(super) fn blocked(&self) -> bool {
        self.decision == "blocked"
    }

    /// True when the text passes unchanged.
    #[getter]
    pub(super) fn clean(&self) -> bool {
        self.decision == "clean"
    }

    pub(super) fn __repr__(&self) -> String {
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
pub(super) struct PyGuard {
    /// The guard without known values.
    pub(super) guard: Guard,
    pub(super) known: Option<GuardKnown>,
}

/// A guard's known values: the set followed, and the guard with the set's
/// latest generation, rebuilt only when it changes.
pub(super) struct GuardKnown {
    pub(super) source: Py<PyKnownSecrets>,
    // NOTE: held only to read or replace the pair, never across a call
    // into Python.
    pub(super) built: Mutex<(u64, Arc<Guard>)>,
}

impl PyGuard {
    /// The guard to use now: with the known values as of this call.
    pub(super) fn current(&self, py: Python<'_>) -> PyResult<Arc<Guard>> {
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
    pub(super) fn scanner(&self, py: Python<'_>) -> PyResult<Scanner> {
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
    pub(super) fn new(
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
    pub(super) fn check(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<PyVerdict> {
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
    pub(super) fn redact(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match &self.known {
            None => redact_with(py, self.guard.scanner(), text),
            Some(_) => redact_with(py, &self.scanner(py)?, text),
        }
    }

    /// scan(text, /) -> list[Finding]
    ///
    /// Every finding of the guard's rules, whatever the policy.
    pub(super) fn scan(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Vec<PyFinding>> {
        let t = self::text(text)?;
        let scanner = self.scanner(py)?;
        let found = run(py, t.bytes, |b| scanner.scan(b));
        Ok(findings(&found, &t))
    }

    pub(super) fn __repr__(&self) -> String {
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
pub(super) struct PyStreamRedactor {
    pub(super) inner: StreamRedactor,
    /// None until the first chunk decides.
    pub(super) is_str: Option<bool>,
    /// The known values followed, and the generation the stream holds.
    pub(super) known: Option<(Py<PyKnownSecrets>, u64)>,
}

#[pymethods]
impl PyStreamRedactor {
    #[new]
    #[pyo3(signature = (guard=None))]
    pub(super) fn new(
        py: Python<'_>,
        guard: Option<&Bound<'_, PyGuard>>,
    ) -> PyResult<PyStreamRedactor> {
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
    pub(super) fn push(&mut self, py: Python<'_>, chunk: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
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
    pub(super) fn finish(&mut self, py: Python<'_>) -> Py<PyAny> {
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
    pub(super) fn held_back(&self) -> u64 {
        self.inner.held_back()
    }

    /// How many secrets were redacted so far.
    #[getter]
    pub(super) fn redacted(&self) -> u64 {
        self.inner.redacted()
    }

    /// Whether finish() was called.
    #[getter]
    pub(super) fn finished(&self) -> bool {
        self.inner.is_finished()
    }
}

pyo3::create_exception!(
    secretscan,
    KnownSecretsWarning,
    PyUserWarning,
    "A known-secrets source failed to load (the last good values are kept) or a value was refused as too short. The message names sources and values, never a value."
);
