//! `KnownSecrets` for Python: a deployment's own secret values, re-read
//! from their sources at most every `poll` seconds, on use.

use super::*;

/// A duration in seconds from Python: finite and not negative.
pub(super) fn seconds(what: &str, value: f64) -> PyResult<Duration> {
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
pub(super) fn warn_all(py: Python<'_>, messages: Vec<String>) -> PyResult<()> {
    let category = py.get_type::<KnownSecretsWarning>();
    for m in messages {
        let m = CString::new(m.replace('\0', "\\0")).expect("NULs were escaped");
        PyErr::warn(py, category.as_any(), &m, 1)?;
    }
    Ok(())
}

/// The set as of one read, shared with guards and streams built on it.
#[derive(Clone)]
pub(super) struct Snapshot {
    /// Bumped each time the set changes, so that a guard or a stream knows
    /// when to swap.
    pub(super) generation: u64,
    pub(super) known: KnownSecrets,
    /// The built-in rules plus `known`, for `KnownSecrets.redact`.
    pub(super) scanner: Scanner,
}

pub(super) struct Followed {
    pub(super) sources: KnownSources,
    pub(super) read_at: Instant,
    pub(super) snapshot: Snapshot,
    /// The failures of the last read: a poll warns only about new ones,
    /// not every `poll` seconds about a source that stays missing.
    pub(super) errors: Vec<String>,
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
pub(super) struct PyKnownSecrets {
    // NOTE: locked with the GIL held, but never held while calling into
    // Python (warnings are issued after it is released), so a thread
    // waiting for it cannot deadlock with the holder. Sources are read with
    // the GIL held on purpose: `os.environ` writes call setenv under the
    // GIL, and reading the environment concurrently with setenv is unsound.
    pub(super) state: Mutex<Followed>,
    pub(super) poll: Duration,
    pub(super) min_len: usize,
    /// The sources as given, for `repr`.
    pub(super) given: Vec<String>,
}

impl PyKnownSecrets {
    pub(super) fn lock(&self) -> MutexGuard<'_, Followed> {
        // A panic while reading cannot leave the state half-updated in a
        // way that matters: the last good set is replaced whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-reads the sources if `force` or `poll` has passed; returns whether
    /// the set changed and the warnings to issue.
    pub(super) fn read(&self, force: bool) -> (bool, Vec<String>) {
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
    pub(super) fn current(&self, py: Python<'_>) -> PyResult<Snapshot> {
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
    pub(super) fn new(
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
    pub(super) fn reload(&self, py: Python<'_>) -> PyResult<bool> {
        let (changed, warnings) = self.read(true);
        warn_all(py, warnings)?;
        Ok(changed)
    }

    /// names() -> list[str]
    ///
    /// The names of the values redacted now (current and rotated-out ones
    /// still in their window), sorted, each once. Never a value.
    pub(super) fn names(&self, py: Python<'_>) -> PyResult<Vec<String>> {
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
    pub(super) fn redact(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let snapshot = self.current(py)?;
        redact_with(py, &snapshot.scanner, text)
    }

    /// The number of values redacted now (a rotated-out value counts until
    /// its window ends).
    pub(super) fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.current(py)?.known.len())
    }

    pub(super) fn __repr__(&self) -> String {
        format!(
            "KnownSecrets(sources={:?}, values={})",
            self.given,
            self.lock().snapshot.known.len()
        )
    }
}
