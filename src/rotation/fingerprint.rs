//! Fingerprints: which key leaked, without the key.
//!
//! A [`Fingerprint`] is a short hash of a secret value, the same wherever the
//! value occurs, so reports, baselines, known-value status and redaction
//! markers can name a key without revealing it. A [`Fingerprinter`] keys the
//! hash (HMAC-SHA-256) so that a published report cannot be used to test
//! guesses of a low-entropy secret. Cost: one SHA-256 (or HMAC) of the
//! secret, computed once per finding.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// A short, location-independent fingerprint of a secret value: the first
/// 8 bytes of its SHA-256, shown as 16 hex digits. It identifies which key
/// leaked without revealing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 8]);

impl Fingerprint {
    /// The fingerprint of `secret`.
    pub fn of(secret: &[u8]) -> Fingerprint {
        let digest = Sha256::digest(secret);
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        Fingerprint(out)
    }

    /// The keyed fingerprint of `secret`: the first 8 bytes of
    /// HMAC-SHA-256(`key`, `secret`) (RFC 2104). Without the key, nobody
    /// can test guesses of a low-entropy secret against a published report.
    pub fn keyed(key: &[u8], secret: &[u8]) -> Fingerprint {
        let digest = hmac_sha256(key, secret);
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        Fingerprint(out)
    }

    /// The first 4 bytes as 8 hex digits: the short form in redaction
    /// markers (`[REDACTED:github-pat:3f9a1c2b]`).
    pub fn short(&self) -> String {
        self.0[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// HMAC-SHA-256 (RFC 2104): keyed fingerprints and baseline keys share it.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// How fingerprints are computed: plain SHA-256 prefixes (the default), or
/// keyed with HMAC-SHA-256 when a key is set. Cheap to clone.
#[derive(Clone, Default)]
pub struct Fingerprinter {
    key: Option<Arc<[u8]>>,
}

impl Fingerprinter {
    /// Plain SHA-256 prefixes: anyone holding a value can compute its
    /// fingerprint.
    pub fn plain() -> Fingerprinter {
        Fingerprinter { key: None }
    }

    /// HMAC-SHA-256 prefixes under `key`.
    pub fn keyed(key: &[u8]) -> Fingerprinter {
        Fingerprinter {
            key: Some(key.into()),
        }
    }

    /// Whether a key is set.
    pub fn is_keyed(&self) -> bool {
        self.key.is_some()
    }

    /// The fingerprint of `secret`.
    pub fn of(&self, secret: &[u8]) -> Fingerprint {
        match &self.key {
            Some(key) => Fingerprint::keyed(key, secret),
            None => Fingerprint::of(secret),
        }
    }
}

/// Never shows the key.
impl fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.key.is_some() {
            "Fingerprinter(keyed)"
        } else {
            "Fingerprinter(plain)"
        })
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fingerprint_is_the_sha256_prefix() {
        assert_eq!(Fingerprint::of(b"abc").to_string(), "ba7816bf8f01cfea");
    }

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
    #[test]
    fn hmac_matches_rfc_4231() {
        let hex = |d: [u8; 32]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn keyed_fingerprints_depend_on_the_key() {
        let plain = Fingerprinter::plain();
        let a = Fingerprinter::keyed(b"key-a");
        let b = Fingerprinter::keyed(b"key-b");
        let v = b"the-same-value";
        assert_eq!(plain.of(v), Fingerprint::of(v));
        assert_eq!(a.of(v), a.of(v), "stable");
        assert_ne!(a.of(v), b.of(v));
        assert_ne!(a.of(v), plain.of(v));
        assert_eq!(a.of(v).short(), a.of(v).to_string()[..8]);
        assert_eq!(format!("{a:?}"), "Fingerprinter(keyed)");
    }
}
