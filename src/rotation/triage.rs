//! Short-lived tokens: what a secret says about its own lifetime, read
//! offline and without verifying anything.
//!
//! - A JWT's header and claims are decoded (never verified): `alg`, `iss`,
//!   `sub`, `iat` and `exp`; a finding then knows when the token expires.
//! - An AWS access key id starting `ASIA` (and an STS session token) is a
//!   temporary STS credential; GitHub `ghs_` (installation, 1 hour) and
//!   `ghu_` (user-to-server, 8 hours) tokens are short-lived by design.
//!   Their expiry cannot be read offline, so they are only marked
//!   `temporary`.
//!
//! ```
//! use secretscan::triage::TokenFacts;
//! let facts = TokenFacts::of("aws-access-key-id", b"ASIAEXAMPLEEXAMPLE23").unwrap();
//! assert!(facts.temporary && facts.expires_at.is_none());
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::rules::validators::{jwt_claims, jwt_header};

/// Lifetime facts about one token. Never holds the token itself; `iss` and
/// `sub` are claims the token carries in the clear.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TokenFacts {
    /// What kind of token this is: `jwt`, `aws-sts`, `github-installation`,
    /// `github-user-to-server`.
    pub kind: &'static str,
    /// Short-lived by design (an STS key, a GitHub App token, a JWT with
    /// an `exp`).
    pub temporary: bool,
    /// The JWT header's `alg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// The `iss` claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The `sub` claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The `iat` claim, seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<i64>,
    /// The `exp` claim, seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl TokenFacts {
    /// The facts `secret`, found by rule `rule_id`, carries; `None` when it
    /// carries none. Cost: a prefix test, and for a JWT a base64 and JSON
    /// decode of its first two segments.
    pub fn of(rule_id: &str, secret: &[u8]) -> Option<TokenFacts> {
        if secret.starts_with(b"eyJ") {
            return jwt(secret);
        }
        let kind = if (secret.starts_with(b"ASIA") && rule_id.starts_with("aws-"))
            || rule_id == "aws-session-token"
        {
            "aws-sts"
        } else if secret.starts_with(b"ghs_") {
            "github-installation"
        } else if secret.starts_with(b"ghu_") {
            "github-user-to-server"
        } else {
            return None;
        };
        Some(TokenFacts {
            kind,
            temporary: true,
            ..TokenFacts::default()
        })
    }

    /// Whether the token expired before `now` (seconds since the Unix
    /// epoch); `None` when it carries no expiry.
    pub fn expired_at(&self, now: i64) -> Option<bool> {
        self.expires_at.map(|exp| exp <= now)
    }

    /// Whether the token has expired by the system clock.
    pub fn expired(&self) -> Option<bool> {
        self.expired_at(unix_now())
    }
}

fn jwt(secret: &[u8]) -> Option<TokenFacts> {
    let header = jwt_header(secret)?;
    let claims = jwt_claims(secret)?;
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
    // NumericDate may be fractional (RFC 7519 section 2).
    let time = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_f64()).map(|t| t as i64);
    let expires_at = time(claims.get("exp"));
    Some(TokenFacts {
        kind: "jwt",
        temporary: expires_at.is_some(),
        alg: text(header.get("alg")),
        iss: text(claims.get("iss")),
        sub: text(claims.get("sub")),
        issued_at: time(claims.get("iat")),
        expires_at,
    })
}

/// Seconds since the Unix epoch by the system clock.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `secs` since the Unix epoch as an RFC 3339 UTC timestamp
/// (`2024-05-01T12:00:00Z`).
///
/// ```
/// assert_eq!(secretscan::triage::rfc3339(0), "1970-01-01T00:00:00Z");
/// assert_eq!(secretscan::triage::rfc3339(1_714_564_800), "2024-05-01T12:00:00Z");
/// ```
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn jwt_with(claims: &str) -> Vec<u8> {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.{}",
            b64(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64(claims),
            "c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
        )
        .into_bytes()
    }

    #[test]
    fn jwt_claims_give_expiry() {
        let now = unix_now();
        let t = jwt_with(&format!(
            r#"{{"iss":"auth.example","sub":"u1","iat":{},"exp":{}}}"#,
            now - 7200,
            now - 3600
        ));
        let f = TokenFacts::of("jwt", &t).unwrap();
        assert_eq!(f.kind, "jwt");
        assert_eq!(f.alg.as_deref(), Some("HS256"));
        assert_eq!(f.iss.as_deref(), Some("auth.example"));
        assert_eq!(f.expires_at, Some(now - 3600));
        assert_eq!(f.expired(), Some(true));
        let t = jwt_with(&format!(r#"{{"exp":{}.5}}"#, now + 3600));
        assert_eq!(TokenFacts::of("jwt", &t).unwrap().expired(), Some(false));
        let t = jwt_with(r#"{"sub":"forever"}"#);
        let f = TokenFacts::of("jwt", &t).unwrap();
        assert_eq!((f.temporary, f.expired()), (false, None));
    }

    #[test]
    fn temporary_kinds() {
        let kind = |rule: &str, s: &[u8]| TokenFacts::of(rule, s).map(|f| f.kind);
        assert_eq!(
            kind("aws-access-key-id", b"ASIAXXXXXXXXXXXXXXXX"),
            Some("aws-sts")
        );
        assert_eq!(kind("aws-access-key-id", b"AKIAXXXXXXXXXXXXXXXX"), None);
        assert_eq!(kind("github-app", b"ghs_x"), Some("github-installation"));
        assert_eq!(kind("github-app", b"ghu_x"), Some("github-user-to-server"));
        assert_eq!(kind("github-pat", b"ghp_x"), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
