//! A panic hook that redacts secrets from panic messages.
//!
//! `panic!("bad response: {body}")`, `.expect(&format!(".. {url}"))` and
//! `unwrap()` on an error that prints a request put keys into panic messages,
//! which go to stderr (and from there to log shippers) and to crash
//! reporters. [`install`] puts a hook in front of the current one:
//!
//! - a message with no secret is handed to the previous hook unchanged, so
//!   its output (and any crash reporter installed before) is as before;
//! - a message with a secret never reaches the previous hook, because a
//!   panic hook cannot hand another hook a changed message: the hook writes
//!   the redacted message to stderr in the standard library's format
//!   (`thread '..' panicked at FILE:LINE:COL:`, then the message, then a
//!   backtrace when `RUST_BACKTRACE` asks for one), and gives a crash
//!   reporter registered with [`install_with`] the redacted [`PanicReport`].
//!
//! ```no_run
//! secretscan::panic::install();
//! let key = std::env::var("API_KEY").unwrap();
//! panic!("upstream refused {key}"); // stderr shows [REDACTED:<rule-id>]
//! ```
//!
//! # Limits
//!
//! The hook sees the message only. The payload itself unwinds unchanged: a
//! `catch_unwind` caller that prints it prints the secret. Payloads that are
//! neither `&str` nor `String` have no message to redact and are passed on.

use std::io::Write;

use crate::engine::scanner::Scanner;

/// A panic whose message was redacted, for a crash reporter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanicReport {
    /// The panic message with every secret replaced by `[REDACTED:<rule-id>]`.
    pub message: String,
    /// `file:line:column` where the panic happened, if known.
    pub location: Option<String>,
    /// The panicking thread's name, `<unnamed>` when it has none.
    pub thread: String,
    /// How many secrets were redacted.
    pub redacted: usize,
}

/// Installs the redacting hook with the built-in rules, in front of the
/// current hook (see the [module docs](self)).
pub fn install() {
    install_with(Scanner::builtin(), |_| {});
}

/// Installs the redacting hook with `scanner`'s rules; `on_redacted` is
/// called with the redacted report of every panic whose message held a
/// secret (the previous hook is not called for those).
///
/// Installing twice chains two hooks; the outer one redacts first.
pub fn install_with<F>(scanner: Scanner, on_redacted: F)
where
    F: Fn(&PanicReport) + Send + Sync + 'static,
{
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        let Some(message) = message else {
            return previous(info);
        };
        let findings = scanner.scan(message.as_bytes());
        if findings.is_empty() {
            return previous(info);
        }
        let redacted = scanner.redact(message.as_bytes());
        let thread = std::thread::current();
        let report = PanicReport {
            message: String::from_utf8_lossy(&redacted).into_owned(),
            location: info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
            thread: thread.name().unwrap_or("<unnamed>").to_string(),
            redacted: findings.len(),
        };
        write_report(&report);
        on_redacted(&report);
    }));
}

/// Writes `report` to stderr as the standard library's default hook would.
fn write_report(report: &PanicReport) {
    let mut err = std::io::stderr().lock();
    let at = report.location.as_deref().unwrap_or("<unknown>");
    // Nothing sensible is left to do if stderr itself is closed.
    let _ = writeln!(
        err,
        "thread '{}' panicked at {at}:\n{}",
        report.thread, report.message
    );
    let backtrace = std::backtrace::Backtrace::capture();
    match backtrace.status() {
        std::backtrace::BacktraceStatus::Captured => {
            let _ = writeln!(err, "stack backtrace:\n{backtrace}");
        }
        _ => {
            let _ = writeln!(
                err,
                "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
            );
        }
    }
}
