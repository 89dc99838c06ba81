//! Integrations: the front doors other programs use, all built on the
//! same [`Scanner`](crate::Scanner).
//!
//! - [`guard`]: [`Guard`](crate::Guard) blocks or redacts an agent's
//!   answer by policy; [`StreamRedactor`](crate::StreamRedactor) redacts a
//!   streamed answer chunk by chunk;
//! - [`logging`]: writers for `log`/`tracing` output that redact before a
//!   line is written;
//! - [`panic`]: a panic hook whose message and location are redacted;
//! - `python`: the Python extension module (feature `python`).
//!
//! These modules add policy and plumbing, never matching of their own: what
//! they redact is exactly what the engine finds.

pub mod guard;
pub mod logging;
pub mod panic;
#[cfg(feature = "python")]
mod python;
