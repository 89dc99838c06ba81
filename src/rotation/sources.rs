//! Where known secrets come from, and how they follow a rotation without a
//! restart.
//!
//! A [`Source`] is a file (one value, or `NAME=value` lines as in `.env`),
//! a directory (a Kubernetes-mounted Secret: one file per key), or
//! environment variables (`env:NAME`, `env:GLOB`). A [`KnownSources`] holds the
//! last good values of every source and re-reads them on request
//! ([`KnownSources::reload`]): a value that disappears (the old key after a
//! rotation) stays in the set for the rotation window, because logs still
//! carry it and it is now the exposed one; a source that fails to load keeps
//! its last good values. Nothing here ever prints or serialises a value:
//! errors and the status snapshot carry names and fingerprints only.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use secretscan::rotation::{KnownSources, Source};
//!
//! let dir = std::env::temp_dir().join(format!("secretscan-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("API_KEY"), "first-value-123\n").unwrap();
//! let mut rotation = KnownSources::new(vec![Source::parse(dir.to_str().unwrap())]);
//! rotation.keep_rotated(Duration::from_secs(3600));
//! let known = rotation.reload(SystemTime::now()).known.unwrap();
//! assert_eq!(known.len(), 1);
//!
//! std::fs::write(dir.join("API_KEY"), "second-value-456\n").unwrap();
//! let known = rotation.reload(SystemTime::now()).known.unwrap();
//! assert_eq!(known.len(), 2, "the rotated-out value stays for the window");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::rotation::fingerprint::Fingerprinter;
use crate::rotation::known::{KnownSecrets, MIN_LEN};
use crate::rotation::triage::rfc3339;

/// Where known values are read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file (one value, or `NAME=value` lines) or a directory (one file
    /// per key, as Kubernetes mounts a Secret).
    Path(PathBuf),
    /// Environment variables whose names match this pattern (`*` and `?`
    /// wildcards; a plain name matches itself).
    Env(String),
}

impl Source {
    /// `env:PATTERN` is [`Source::Env`]; anything else is a path.
    pub fn parse(text: &str) -> Source {
        match text.strip_prefix("env:") {
            Some(pattern) => Source::Env(pattern.to_string()),
            None => Source::Path(PathBuf::from(text)),
        }
    }

    /// Reads the (name, value) pairs the source holds now.
    ///
    /// # Errors
    ///
    /// An unreadable file or directory, a `.env` line that is not
    /// `NAME=value` (named by line number, never quoted), or an environment
    /// pattern that matches nothing.
    pub fn load(&self) -> Result<Vec<(String, Vec<u8>)>, SourceError> {
        let fail = |reason| SourceError {
            name: self.to_string(),
            reason,
        };
        match self {
            Source::Env(pattern) => {
                let mut out: Vec<(String, Vec<u8>)> = std::env::vars_os()
                    .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
                    .filter(|(k, _)| glob_match(pattern.as_bytes(), k.as_bytes()))
                    .map(|(k, v)| (k, os_bytes(v)))
                    .collect();
                if out.is_empty() {
                    return Err(fail(Reason::NoVariable));
                }
                out.sort();
                Ok(out)
            }
            Source::Path(path) => {
                let meta = fs::metadata(path).map_err(|e| fail(Reason::Io(e)))?;
                if meta.is_dir() {
                    load_dir(path).map_err(fail)
                } else {
                    let bytes = fs::read(path).map_err(|e| fail(Reason::Io(e)))?;
                    let name = path
                        .file_name()
                        .map_or("value".into(), |n| n.to_string_lossy().into_owned());
                    parse_file(&name, &bytes).map_err(fail)
                }
            }
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Path(p) => write!(f, "{}", crate::escape::path_name(p)),
            Source::Env(pattern) => write!(f, "env:{pattern}"),
        }
    }
}

/// A source that could not be loaded. Its message names the source and the
/// reason, never a value.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct SourceError {
    /// The source, as given.
    pub name: String,
    /// Why it failed.
    pub reason: Reason,
}

/// Why a source failed to load.
#[derive(Debug, thiserror::Error)]
pub enum Reason {
    /// Reading it failed.
    #[error("{0}")]
    Io(io::Error),
    /// A `.env` line is not `NAME=value`.
    #[error("line {0}: expected NAME=value")]
    BadLine(usize),
    /// The Kubernetes `..data` link moved while the keys were read, twice.
    #[error("the secret was updated while it was read; will retry")]
    Moving,
    /// No environment variable matches.
    #[error("no environment variable matches")]
    NoVariable,
}

fn os_bytes(v: std::ffi::OsString) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        v.into_vec()
    }
    #[cfg(not(unix))]
    {
        v.to_string_lossy().into_owned().into_bytes()
    }
}

/// `*` matches any run, `?` any one byte.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob_match(rest, &name[i..])),
        Some((&p, rest)) => name
            .split_first()
            .is_some_and(|(&n, name)| (p == b'?' || p == n) && glob_match(rest, name)),
    }
}

/// Strips one trailing line ending: files written by editors and
/// `kubectl create secret --from-file` often end with one that the
/// application trims.
fn trim_newline(v: &[u8]) -> &[u8] {
    let v = v.strip_suffix(b"\n").unwrap_or(v);
    v.strip_suffix(b"\r").unwrap_or(v)
}

fn is_env_name(s: &[u8]) -> bool {
    !s.is_empty()
        && !s[0].is_ascii_digit()
        && s.iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.' || *b == b'-')
}

/// A file of `NAME=value` lines (`export ` prefixes, `#` comments, blank
/// lines and quotes allowed) gives one value per line; any other file is
/// one value named after the file.
fn parse_file(name: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Reason> {
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let meaningful = |l: &&&[u8]| {
        let t = l.trim_ascii();
        !t.is_empty() && !t.starts_with(b"#")
    };
    let looks_dotenv = lines.iter().filter(meaningful).count() > 0
        && lines.iter().filter(meaningful).all(|l| {
            let t = l.trim_ascii();
            let t = t.strip_prefix(b"export ").unwrap_or(t);
            t.iter()
                .position(|&b| b == b'=')
                .is_some_and(|eq| is_env_name(t[..eq].trim_ascii()))
        });
    if !looks_dotenv {
        return Ok(vec![(name.to_string(), trim_newline(bytes).to_vec())]);
    }
    let mut out = vec![];
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim_ascii();
        if t.is_empty() || t.starts_with(b"#") {
            continue;
        }
        let t = t.strip_prefix(b"export ").unwrap_or(t);
        let eq = t
            .iter()
            .position(|&b| b == b'=')
            .ok_or(Reason::BadLine(n + 1))?;
        let key = String::from_utf8_lossy(t[..eq].trim_ascii()).into_owned();
        let mut value = t[eq + 1..].trim_ascii();
        for q in [b'"', b'\''] {
            if value.len() >= 2 && value[0] == q && value[value.len() - 1] == q {
                value = &value[1..value.len() - 1];
            }
        }
        out.push((key, value.to_vec()));
    }
    Ok(out)
}

/// One value per regular file, named by the file; names starting with `.`
/// are Kubernetes' own (`..data`, `..2024_05_01_...`). The keys are read
/// through the resolved `..data` link, and the read is retried if the link
/// moved meanwhile, so that the values come from one version of the Secret.
fn load_dir(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, Reason> {
    let data = dir.join("..data");
    for _ in 0..2 {
        let target = fs::read_link(&data).ok();
        let mut out = vec![];
        for entry in fs::read_dir(dir).map_err(Reason::Io)? {
            let entry = entry.map_err(Reason::Io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = match &target {
                Some(t) => dir.join(t).join(&name),
                None => entry.path(),
            };
            let meta = match fs::metadata(&path) {
                Ok(m) => m,
                // A key link whose target went away mid-swap.
                Err(_) if target.is_some() => continue,
                Err(e) => return Err(Reason::Io(e)),
            };
            if !meta.is_file() {
                continue;
            }
            let bytes = fs::read(&path).map_err(Reason::Io)?;
            out.push((name, trim_newline(&bytes).to_vec()));
        }
        if fs::read_link(&data).ok() == target {
            out.sort();
            return Ok(out);
        }
    }
    Err(Reason::Moving)
}

/// A value that left its source, kept until `expires`.
#[derive(Clone)]
struct Rotated {
    name: String,
    value: Vec<u8>,
    expires: SystemTime,
}

#[derive(Clone, Default)]
struct SourceState {
    values: Vec<(String, Vec<u8>)>,
    loaded_at: Option<SystemTime>,
    rotated: Vec<Rotated>,
    last_error: Option<String>,
}

/// The known values of a set of sources, followed through reloads and
/// rotations. See the [module docs](self).
///
/// By default, a value that leaves its source stays for 24 hours, and
/// values shorter than [`MIN_LEN`] are refused.
pub struct KnownSources {
    sources: Vec<Source>,
    states: Vec<SourceState>,
    keep_rotated: Duration,
    min_len: usize,
    fingerprinter: Fingerprinter,
    /// The set last built, and whether it is out of date.
    current: KnownSecrets,
    built_once: bool,
}

/// What a [`KnownSources::reload`] did.
#[derive(Debug, Default)]
pub struct Reload {
    /// The new set, when it differs from the last one (or on the first
    /// load).
    pub known: Option<KnownSecrets>,
    /// The sources that failed; each kept its last good values.
    pub errors: Vec<SourceError>,
}

impl KnownSources {
    /// Follows `sources`; nothing is read until [`KnownSources::reload`].
    pub fn new(sources: Vec<Source>) -> KnownSources {
        let states = vec![SourceState::default(); sources.len()];
        KnownSources {
            sources,
            states,
            keep_rotated: Duration::from_secs(24 * 3600),
            min_len: MIN_LEN,
            fingerprinter: Fingerprinter::plain(),
            current: KnownSecrets::empty(),
            built_once: false,
        }
    }

    /// How long a value that left its source stays redacted. By default,
    /// 24 hours.
    pub fn keep_rotated(&mut self, keep: Duration) -> &mut Self {
        self.keep_rotated = keep;
        self
    }

    /// Values shorter than `len` bytes are refused. By default, 8.
    pub fn min_len(&mut self, len: usize) -> &mut Self {
        self.min_len = len;
        self
    }

    /// How the status snapshot fingerprints values. By default, plain.
    pub fn fingerprinter(&mut self, f: Fingerprinter) -> &mut Self {
        self.fingerprinter = f;
        self
    }

    /// The set as last built.
    pub fn known(&self) -> &KnownSecrets {
        &self.current
    }

    /// Re-reads every source at time `now`. A source that fails keeps its
    /// last good values (and the failure is returned); a value that left
    /// its source joins the rotated-out values until `now` plus the
    /// rotation window; rotated-out values past their expiry leave.
    ///
    /// Cost: reading every source; rebuilding the automaton only when
    /// something changed.
    pub fn reload(&mut self, now: SystemTime) -> Reload {
        let mut changed = !self.built_once;
        let mut errors = vec![];
        for (source, state) in self.sources.iter().zip(&mut self.states) {
            match source.load() {
                Ok(values) => {
                    state.last_error = None;
                    if values != state.values {
                        changed = true;
                        for (name, value) in &state.values {
                            if !values.iter().any(|(_, v)| v == value)
                                && !state.rotated.iter().any(|r| &r.value == value)
                            {
                                state.rotated.push(Rotated {
                                    name: name.clone(),
                                    value: value.clone(),
                                    expires: now + self.keep_rotated,
                                });
                            }
                        }
                        // A value that came back is current again.
                        state
                            .rotated
                            .retain(|r| !values.iter().any(|(_, v)| *v == r.value));
                        state.values = values;
                    }
                    state.loaded_at = Some(now);
                }
                Err(e) => {
                    state.last_error = Some(e.to_string());
                    errors.push(e);
                }
            }
            let before = state.rotated.len();
            state.rotated.retain(|r| r.expires > now);
            changed |= state.rotated.len() != before;
        }
        let mut known = None;
        if changed {
            let mut b = KnownSecrets::builder();
            b.min_len(self.min_len);
            for state in &self.states {
                for (name, value) in &state.values {
                    b.add(name.clone(), value);
                }
                for r in &state.rotated {
                    b.add(r.name.clone(), &r.value);
                }
            }
            self.current = b.build();
            self.built_once = true;
            known = Some(self.current.clone());
        }
        Reload { known, errors }
    }

    /// A JSON snapshot for `--status`: per source its names and
    /// fingerprints, when it was loaded, its last error, its rotated-out
    /// names with their expiry; the values refused; and `redacted`, the
    /// count of redactions per label. Never a value.
    pub fn status(&self, now: SystemTime, redacted: &BTreeMap<Arc<str>, u64>) -> Status {
        let fp = |v: &[u8]| self.fingerprinter.of(v).to_string();
        let time = |t: SystemTime| {
            rfc3339(
                t.duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
            )
        };
        Status {
            updated_at: time(now),
            fingerprints: if self.fingerprinter.is_keyed() {
                "hmac-sha256"
            } else {
                "sha256"
            },
            sources: self
                .sources
                .iter()
                .zip(&self.states)
                .map(|(source, state)| SourceStatus {
                    source: source.to_string(),
                    loaded_at: state.loaded_at.map(time),
                    last_error: state.last_error.clone(),
                    names: state
                        .values
                        .iter()
                        .map(|(name, value)| NameStatus {
                            name: name.clone(),
                            fingerprint: fp(value),
                            expires_at: None,
                        })
                        .collect(),
                    rotated_out: state
                        .rotated
                        .iter()
                        .map(|r| NameStatus {
                            name: r.name.clone(),
                            fingerprint: fp(&r.value),
                            expires_at: Some(time(r.expires)),
                        })
                        .collect(),
                })
                .collect(),
            refused: self
                .current
                .refused()
                .iter()
                .map(|r| r.name.clone())
                .collect(),
            redacted: redacted.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }
}

impl fmt::Debug for KnownSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownSources")
            .field("sources", &self.sources)
            .field("known", &self.current)
            .finish()
    }
}

/// The `--status` snapshot (see [`KnownSources::status`]).
#[derive(Debug, Serialize)]
pub struct Status {
    /// When it was taken (RFC 3339).
    pub updated_at: String,
    /// `sha256` or `hmac-sha256`.
    pub fingerprints: &'static str,
    /// One entry per source, in the order given.
    pub sources: Vec<SourceStatus>,
    /// Names of the values refused as too short.
    pub refused: Vec<String>,
    /// Redactions so far, per label.
    pub redacted: BTreeMap<String, u64>,
}

/// One source in a [`Status`].
#[derive(Debug, Serialize)]
pub struct SourceStatus {
    /// The source as given.
    pub source: String,
    /// When it was last read successfully.
    pub loaded_at: Option<String>,
    /// Its last failure, if the last read failed.
    pub last_error: Option<String>,
    /// Its current values.
    pub names: Vec<NameStatus>,
    /// Values that left it, still redacted until their expiry.
    pub rotated_out: Vec<NameStatus>,
}

/// A value by name and fingerprint.
#[derive(Debug, Serialize)]
pub struct NameStatus {
    /// Its name.
    pub name: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// When it stops being redacted (rotated-out values only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// Parses `90s`, `15m`, `24h`, `7d`, or a plain number of seconds.
///
/// ```
/// use std::time::Duration;
/// use secretscan::rotation::parse_duration;
/// assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
/// assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
/// assert!(parse_duration("soon").is_err());
/// ```
///
/// # Errors
///
/// Text that is not a non-negative number with an optional unit.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = t.split_at(
        t.find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len()),
    );
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => {
            return Err(format!(
                "'{text}': expected a duration such as 90s, 15m, 24h or 7d"
            ))
        }
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("'{text}': expected a duration such as 90s, 15m, 24h or 7d"))?;
    Ok(Duration::from_secs_f64(n * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"*_API_KEY", b"STRIPE_API_KEY"));
        assert!(!glob_match(b"*_API_KEY", b"STRIPE_API_KEYS"));
        assert!(glob_match(b"DB_?ASS", b"DB_PASS"));
        assert!(glob_match(b"NAME", b"NAME"));
    }

    #[test]
    fn dotenv_or_single_value() {
        let v = parse_file("f", b"# c\nexport A=one-value\nB = \"two value\"\n\n").unwrap();
        assert_eq!(
            v,
            vec![
                ("A".into(), b"one-value".to_vec()),
                ("B".into(), b"two value".to_vec())
            ]
        );
        let v = parse_file("token", b"s3cr3t=with=equals?\n").unwrap();
        assert_eq!(v[0].0, "s3cr3t", "a key-shaped prefix reads as .env");
        let v = parse_file("token", b"abc def ghi\r\n").unwrap();
        assert_eq!(v, vec![("token".into(), b"abc def ghi".to_vec())]);
    }

    #[test]
    fn errors_never_quote_values() {
        let e = SourceError {
            name: "x".into(),
            reason: Reason::BadLine(3),
        };
        assert_eq!(e.to_string(), "x: line 3: expected NAME=value");
    }

    #[test]
    fn rotated_values_expire() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("KEY");
        fs::write(&file, "value-number-one").unwrap();
        let mut r = KnownSources::new(vec![Source::Path(file.clone())]);
        r.keep_rotated(Duration::from_secs(60));
        let t0 = SystemTime::now();
        assert_eq!(r.reload(t0).known.unwrap().len(), 1);
        assert!(r.reload(t0).known.is_none(), "nothing changed");
        fs::write(&file, "value-number-two").unwrap();
        assert_eq!(r.reload(t0).known.unwrap().len(), 2);
        let status = serde_json::to_string(&r.status(t0, &BTreeMap::new())).unwrap();
        assert!(
            status.contains("rotated_out") && !status.contains("value-number"),
            "{status}"
        );
        let later = t0 + Duration::from_secs(61);
        assert_eq!(r.reload(later).known.unwrap().len(), 1, "expired");
        fs::remove_file(&file).unwrap();
        let reload = r.reload(later);
        assert!(
            reload.known.is_none(),
            "a failed load keeps the last good set"
        );
        assert_eq!(reload.errors.len(), 1);
        assert_eq!(r.known().len(), 1);
    }
}
