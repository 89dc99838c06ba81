//! Per-rule validators, applied to a match's secret after the regex
//! matched: a minimum Shannon entropy, a placeholder filter and a randomness
//! test for generic rules (both in [`super::randomness`], re-exported
//! here), and offline checks of a format's checksum or structure
//! ([`Check`]) that raise a finding's confidence to `high`.
//!
//! These are the checks a rule file can declare; they are pure functions of
//! the secret's bytes, so the rule loader, the example templates and the
//! engine share them. The engine applies a compiled rule's validators in
//! `CompiledRule::judge`. A match that fails a validator is not a finding,
//! but it still consumes its bytes in the rule's leftmost-first iteration
//! (DESIGN.md: a finding is a match that passes its validators).

use base64::Engine as _;

pub use super::randomness::{
    is_placeholder, is_placeholder_in, looks_random, randomness, randomness_named, Randomness,
};

/// Shannon entropy of `bytes`, in bits per byte (0 for empty input).
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// What an offline check proved, as recorded on a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Validation {
    /// The format's checksum matched.
    Checksum,
    /// The format's internal structure decoded as documented.
    Structure,
}

impl Validation {
    /// The lowercase name, as in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Validation::Checksum => "checksum",
            Validation::Structure => "structure",
        }
    }
}

/// A named offline check of a secret's format (a rule's `validate` field).
///
/// Each check answers pass, fail or "does not apply" (a variant of the format
/// the check does not know). A fail drops the match: it is not the
/// provider's token. A pass makes the finding's confidence `high`. Checks run
/// only on matches, never on the input at large, so they cost nothing on
/// text without candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// `prefix_` + base62 entropy + 6 base62 characters of the entropy's
    /// CRC32 (GitHub's `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_`, npm's `npm_`).
    Crc32Base62,
    /// A JSON Web Token: header and payload are base64url JSON objects and
    /// the header names an `alg`.
    Jwt,
    /// An AWS access key id: a known four-letter prefix, then 16 characters
    /// of base32 (`A-Z2-7`).
    AwsKeyId,
    /// A PEM or OpenSSH private key block whose body is base64 of a
    /// plausible key (DER sequence, or `openssh-key-v1`).
    PemPrivateKey,
    /// A bech32 string with a valid checksum (age's `AGE-SECRET-KEY-1…`).
    Bech32,
    /// A Discord bot token: the first segment is base64 of a numeric id.
    DiscordBot,
}

impl Check {
    /// Every check, for listings.
    pub const ALL: [Check; 6] = [
        Check::Crc32Base62,
        Check::Jwt,
        Check::AwsKeyId,
        Check::PemPrivateKey,
        Check::Bech32,
        Check::DiscordBot,
    ];

    /// The name used in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Check::Crc32Base62 => "crc32-base62",
            Check::Jwt => "jwt",
            Check::AwsKeyId => "aws-key-id",
            Check::PemPrivateKey => "pem-private-key",
            Check::Bech32 => "bech32",
            Check::DiscordBot => "discord-bot",
        }
    }

    /// What a pass proves.
    pub fn kind(self) -> Validation {
        match self {
            Check::Crc32Base62 | Check::Bech32 => Validation::Checksum,
            _ => Validation::Structure,
        }
    }

    /// Runs the check: `Some(true)` pass, `Some(false)` fail, `None` when
    /// the secret is a variant of the format the check does not cover.
    pub fn run(self, secret: &[u8]) -> Option<bool> {
        match self {
            Check::Crc32Base62 => crc32_base62(secret),
            Check::Jwt => Some(jwt_header(secret).is_some()),
            Check::AwsKeyId => Some(aws_key_id(secret)),
            Check::PemPrivateKey => pem_private_key(secret),
            Check::Bech32 => Some(bech32_valid(secret)),
            Check::DiscordBot => Some(discord_bot(secret)),
        }
    }
}

impl std::str::FromStr for Check {
    type Err = String;

    fn from_str(s: &str) -> Result<Check, String> {
        Check::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Check::ALL.iter().map(|c| c.name()).collect();
                format!("unknown check '{s}' (one of: {})", names.join(", "))
            })
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// `n` as base62 (`0-9A-Za-z`), left-padded with `0` to `width` digits.
pub fn base62(mut n: u64, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    let mut i = width;
    while n > 0 && i > 0 {
        i -= 1;
        digits[i] = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(digits).expect("ASCII digits")
}

/// `prefix` + `entropy` + the 6 base62 digits of `entropy`'s CRC32: a token
/// in the layout of GitHub's and npm's (for tests and examples; with a
/// random 30-character `entropy` this is how such tokens are made).
///
/// ```
/// use secretscan::validate::{checksummed_token, Check};
/// let token = checksummed_token("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
/// assert_eq!(Check::Crc32Base62.run(token.as_bytes()), Some(true));
/// ```
pub fn checksummed_token(prefix: &str, entropy: &str) -> String {
    let sum = base62(u64::from(crc32(entropy.as_bytes())), 6);
    format!("{prefix}{entropy}{sum}")
}

fn crc32_base62(secret: &[u8]) -> Option<bool> {
    let start = secret.iter().position(|&b| b == b'_')? + 1;
    let body = &secret[start..];
    // The documented layout: 30 characters of entropy, 6 of checksum.
    // Longer variants (GitHub may lengthen tokens) are not covered.
    if body.len() != 36 {
        return None;
    }
    let (entropy, sum) = body.split_at(30);
    Some(base62(u64::from(crc32(entropy)), 6).as_bytes() == sum)
}

/// Decodes a JWT's header when `secret` has the documented structure:
/// three dot-separated base64url segments, the first two JSON objects, the
/// header with an `alg`.
pub fn jwt_header(secret: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut parts = secret.split(|&b| b == b'.');
    let header = decode_json_object(parts.next()?)?;
    decode_json_object(parts.next()?)?;
    parts.next()?;
    header.get("alg")?.as_str()?;
    Some(header)
}

/// Decodes a JWT's payload (claims) without verifying anything.
pub fn jwt_claims(secret: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    jwt_header(secret)?;
    decode_json_object(secret.split(|&b| b == b'.').nth(1)?)
}

fn decode_json_object(segment: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let segment = segment.strip_suffix(b"==").unwrap_or(segment);
    let segment = segment.strip_suffix(b"=").unwrap_or(segment);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

fn aws_key_id(secret: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"AKIA", b"ASIA", b"ABIA", b"ACCA", b"AIDA", b"AROA", b"AGPA",
    ];
    secret.len() == 20
        && PREFIXES.iter().any(|p| secret.starts_with(p))
        && secret[4..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b))
}

fn pem_private_key(secret: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(secret).ok()?;
    let mut body = String::new();
    let mut in_body = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("-----BEGIN") {
            in_body = true;
        } else if line.starts_with("-----END") {
            break;
        } else if in_body && !line.contains(':') {
            body.push_str(line);
        }
    }
    // Encrypted legacy PEM (Proc-Type headers) and PGP armour are not DER.
    if text.contains("PGP") {
        return None;
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim_end_matches('='))
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(body.trim_end_matches('='))
        })
        .ok()?;
    if text.contains("OPENSSH") {
        return Some(der.starts_with(b"openssh-key-v1\0"));
    }
    // A DER SEQUENCE of at least a few dozen bytes: the smallest EC keys
    // are about 100 bytes.
    Some(der.len() >= 32 && der[0] == 0x30)
}

const BECH32_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn bech32_polymod(values: impl IntoIterator<Item = u8>) -> u32 {
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in [
            0x3b6a_57b2u32,
            0x2650_8e6d,
            0x1ea1_19fa,
            0x3d42_33dd,
            0x2a14_62b3,
        ]
        .iter()
        .enumerate()
        {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn bech32_hrp_expand(hrp: &[u8]) -> impl Iterator<Item = u8> + '_ {
    hrp.iter()
        .map(|&b| b >> 5)
        .chain([0])
        .chain(hrp.iter().map(|&b| b & 31))
}

/// The 6 checksum characters of a bech32 string with lowercase `hrp` and
/// `data` (characters of the bech32 alphabet): for building test keys.
pub fn bech32_checksum(hrp: &[u8], data: &[u8]) -> String {
    let values = data
        .iter()
        .map(|&c| BECH32_CHARSET.iter().position(|&x| x == c).unwrap_or(0) as u8);
    let m = bech32_polymod(bech32_hrp_expand(hrp).chain(values).chain([0; 6])) ^ 1;
    (0..6)
        .map(|i| BECH32_CHARSET[((m >> (5 * (5 - i))) & 31) as usize] as char)
        .collect()
}

fn bech32_valid(secret: &[u8]) -> bool {
    let lower: Vec<u8> = secret.iter().map(u8::to_ascii_lowercase).collect();
    let Some(sep) = lower.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut values = Vec::with_capacity(data.len());
    for &b in data {
        match BECH32_CHARSET.iter().position(|&c| c == b) {
            Some(v) => values.push(v as u8),
            None => return false,
        }
    }
    bech32_polymod(bech32_hrp_expand(hrp).chain(values)) == 1
}

fn discord_bot(secret: &[u8]) -> bool {
    let first = secret.split(|&b| b == b'.').next().unwrap_or_default();
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(first)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(first));
    matches!(decoded, Ok(id) if (17..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"q8Zr2LmX0pWv7NcY4tKb") > 4.0);
    }

    #[test]
    fn crc32_matches_zlib() {
        // The check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 2), "0z");
    }

    #[test]
    fn crc32_base62_tokens() {
        let entropy = "q8Zr2LmX0pWv7NcY4tKbq8Zr2LmX0p";
        let sum = base62(u64::from(crc32(entropy.as_bytes())), 6);
        let good = format!("ghp_{entropy}{sum}");
        assert_eq!(Check::Crc32Base62.run(good.as_bytes()), Some(true));
        let bad = format!("ghp_{entropy}000000");
        assert_eq!(Check::Crc32Base62.run(bad.as_bytes()), Some(false));
        assert_eq!(Check::Crc32Base62.run(b"ghs_abc"), None);
    }

    #[test]
    fn jwt_structure() {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!(
            "{}.{}.sig",
            enc(r#"{"alg":"HS256"}"#),
            enc(r#"{"sub":"1"}"#)
        );
        assert!(Check::Jwt.run(jwt.as_bytes()) == Some(true));
        let no_alg = format!("{}.{}.sig", enc(r#"{"typ":"JWT"}"#), enc(r#"{"sub":"1"}"#));
        assert!(Check::Jwt.run(no_alg.as_bytes()) == Some(false));
        assert!(Check::Jwt.run(b"eyJhbGciOi.xx.yy") == Some(false));
    }

    #[test]
    fn bech32_checks() {
        // BIP-173's valid test vectors.
        assert!(bech32_valid(b"A12UEL5L"));
        assert!(bech32_valid(
            b"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"
        ));
        assert!(!bech32_valid(
            b"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx"
        ));
        let data = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        let sum = bech32_checksum(b"age-secret-key-", data);
        let key = format!(
            "AGE-SECRET-KEY-1{}{sum}",
            std::str::from_utf8(data).unwrap()
        );
        assert!(bech32_valid(key.to_ascii_uppercase().as_bytes()));
    }
}
