//! Rotation: what helps a team replace a key that leaked.
//!
//! - [`fingerprint`]: a short hash that names a key without revealing it
//!   (reports, baselines, markers, status);
//! - [`known`]: the exact values a deployment knows are secret, with their
//!   common encodings, as one matcher the engine redacts with;
//! - [`sources`] (re-exported here): where known values come from (files,
//!   mounted directories, environment) and how they hot-reload, keeping a
//!   rotated-out value redacted for the rotation window;
//! - [`triage`]: facts a token carries about itself (a JWT's expiry) so an
//!   expired token can be ranked below a live one.
//!
//! Per-rule rotation guidance (`rotate = { text, url }`) is rule data: see
//! [`Rotation`](crate::Rotation).
//!
//! This module sits below the engine: it knows nothing of scanners or
//! reports, and never prints, logs or serialises a value: only names and
//! fingerprints.

pub mod fingerprint;
pub mod known;
pub mod sources;
pub mod triage;

pub use sources::*;
