//! Baselines: the findings a team has accepted (or is cleaning up), so that
//! CI reports only new ones.
//!
//! An entry is keyed by the rule id, the path, and a *keyed* hash of the
//! secret: HMAC-SHA-256 under a random 32-byte salt drawn when the baseline
//! is created and stored in it. Line numbers are no part of the key, so
//! moving code (or adding lines above it) does not bring a finding back; a
//! different secret, or the same secret in another file, is new.
//!
//! The file holds no secret values and no plain hash of one: with a salt
//! per baseline, a leaked or committed baseline cannot be matched against
//! precomputed hash tables or against another baseline, and no fingerprint
//! in it equals the SHA-256 fingerprint that reports show.
//!
//! NOTE: the salt sits in the file, so whoever holds the file can still
//! test guesses for one short password at one HMAC per guess; the keyed
//! hash removes precomputation, not the guessing itself. Keep weak
//! passwords out of baselines: rotate them.
//!
//! ```
//! use secretscan::baseline::Baseline;
//!
//! let mut baseline = Baseline::with_salt([7; 32]);
//! let key = baseline.key(b"hunter2-but-longer");
//! baseline.insert("generic-password", "src/config.py", key);
//! assert!(baseline.contains("generic-password", "src/config.py", &key));
//! assert!(!baseline.contains("generic-password", "src/other.py", &key));
//!
//! let text = baseline.to_json();
//! assert!(!text.contains("hunter2"));
//! let again = Baseline::from_json("baseline.json", &text).unwrap();
//! assert!(again.contains("generic-password", "src/config.py", &key));
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The format version written into (and required of) baseline files.
pub const VERSION: u32 = 1;

/// The keyed hash of one secret under a baseline's salt.
pub type Key = [u8; 32];

/// A set of accepted findings. See the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    salt: [u8; 32],
    entries: BTreeSet<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule_id: String,
    path: String,
    /// Hex HMAC-SHA-256 of the secret under the salt.
    key: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    secretscan_baseline: u32,
    /// The keyed hash used: always `hmac-sha256`.
    hash: String,
    salt: String,
    findings: Vec<Entry>,
}

/// A baseline file that cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read or written.
    #[error("{path}: cannot {action} baseline")]
    Io {
        /// The file.
        path: String,
        /// `read` or `write`.
        action: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a baseline of this version.
    #[error("{path}: invalid baseline: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The operating system gave no random bytes for the salt.
    #[error("cannot draw a random salt for the baseline: {0}")]
    Random(String),
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl Baseline {
    /// An empty baseline with a fresh random salt.
    ///
    /// # Errors
    ///
    /// When the operating system's random source fails.
    pub fn new() -> Result<Baseline, BaselineError> {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).map_err(|e| BaselineError::Random(e.to_string()))?;
        Ok(Baseline::with_salt(salt))
    }

    /// An empty baseline with the given salt (for tests, and to rewrite a
    /// baseline under its old salt).
    pub fn with_salt(salt: [u8; 32]) -> Baseline {
        Baseline {
            salt,
            entries: BTreeSet::new(),
        }
    }

    /// An empty baseline with the same salt as this one.
    pub fn emptied(&self) -> Baseline {
        Baseline::with_salt(self.salt)
    }

    /// The keyed hash of `secret` under this baseline's salt.
    pub fn key(&self, secret: &[u8]) -> Key {
        crate::rotation::fingerprint::hmac_sha256(&self.salt, secret)
    }

    /// Records a finding of rule `rule_id` in `path` whose secret has key
    /// `key`.
    pub fn insert(&mut self, rule_id: &str, path: &str, key: Key) {
        self.entries.insert(Entry {
            rule_id: rule_id.to_string(),
            path: path.to_string(),
            key: hex(&key),
        });
    }

    /// Whether the baseline holds this finding.
    pub fn contains(&self, rule_id: &str, path: &str, key: &Key) -> bool {
        // NOTE: a lookup builds one small entry; baselines are checked once
        // per finding, not per byte.
        self.entries.contains(&Entry {
            rule_id: rule_id.to_string(),
            path: path.to_string(),
            key: hex(key),
        })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The baseline as JSON text, entries sorted (so that a committed
    /// baseline changes only where findings do).
    pub fn to_json(&self) -> String {
        let file = File {
            secretscan_baseline: VERSION,
            hash: "hmac-sha256".to_string(),
            salt: hex(&self.salt),
            findings: self.entries.iter().cloned().collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("plain data serialises");
        text.push('\n');
        text
    }

    /// Parses a baseline; `origin` names it in errors.
    ///
    /// # Errors
    ///
    /// Text that is not a version-1 baseline, naming what is wrong.
    pub fn from_json(origin: &str, text: &str) -> Result<Baseline, BaselineError> {
        let invalid = |reason: String| BaselineError::Invalid {
            path: origin.to_string(),
            reason,
        };
        let file: File = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if file.secretscan_baseline != VERSION {
            return Err(invalid(format!(
                "version {} (this secretscan reads version {VERSION})",
                file.secretscan_baseline
            )));
        }
        if file.hash != "hmac-sha256" {
            return Err(invalid(format!("unknown hash '{}'", file.hash)));
        }
        let salt = unhex::<32>(&file.salt)
            .ok_or_else(|| invalid("salt must be 64 hex digits".to_string()))?;
        let mut baseline = Baseline::with_salt(salt);
        for (i, e) in file.findings.into_iter().enumerate() {
            if unhex::<32>(&e.key).is_none() {
                return Err(invalid(format!("findings[{i}]: key must be 64 hex digits")));
            }
            baseline.entries.insert(Entry {
                key: e.key.to_ascii_lowercase(),
                ..e
            });
        }
        Ok(baseline)
    }

    /// Reads a baseline file.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid file; the error names it.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let origin = crate::escape::path_name(path);
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: origin.clone(),
            action: "read",
            source,
        })?;
        Baseline::from_json(&origin, &text)
    }

    /// Writes the baseline to `path`.
    ///
    /// # Errors
    ///
    /// When the file cannot be written; the error names it.
    /// The file appears whole or not at all (see [`crate::report::output`]):
    /// a failure leaves the previous baseline untouched.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        use std::io::Write as _;
        let write = || -> std::io::Result<()> {
            let mut file = crate::report::output::AtomicFile::create(path)?;
            file.write_all(self.to_json().as_bytes())?;
            file.commit()
        };
        write().map_err(|source| BaselineError::Io {
            path: crate::escape::path_name(path),
            action: "write",
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn keys_depend_on_the_salt_and_are_no_plain_hash() {
        let a = Baseline::new().unwrap();
        let b = Baseline::new().unwrap();
        let secret = b"correct-horse-battery";
        assert_ne!(a.key(secret), b.key(secret), "salts differ");
        assert_eq!(a.key(secret), a.key(secret));
        let plain: [u8; 32] = sha2::Sha256::digest(secret).into();
        assert_ne!(a.key(secret), plain);
    }

    #[test]
    fn invalid_files_say_why() {
        for (text, why) in [
            ("{", "EOF"),
            (
                r#"{"secretscan_baseline":2,"hash":"hmac-sha256","salt":"","findings":[]}"#,
                "version 2",
            ),
            (
                r#"{"secretscan_baseline":1,"hash":"hmac-sha256","salt":"00","findings":[]}"#,
                "salt",
            ),
            (
                r#"{"secretscan_baseline":1,"hash":"md5","salt":"00","findings":[]}"#,
                "md5",
            ),
        ] {
            let e = Baseline::from_json("b.json", text).unwrap_err().to_string();
            assert!(
                e.starts_with("b.json: invalid baseline") && e.contains(why),
                "{e}"
            );
        }
    }
}
