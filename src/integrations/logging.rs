//! Redacting log output: every record a service writes passes through the
//! scanner before it reaches its sink.
//!
//! - [`RedactingWriter`] wraps any [`std::io::Write`] sink and redacts it
//!   one *record* at a time: the bytes written up to a write that ends with
//!   a newline (a log line; several lines written at once are one record),
//!   or up to a flush. This is how `env_logger`, `log4rs`-style appenders and
//!   `tracing-subscriber`'s fmt layer write: each record in one call. A
//!   record is redacted whole, so nothing is held back between records.
//! - `RedactingMakeWriter` (feature `tracing-subscriber`) plugs the same
//!   writer into `tracing_subscriber::fmt().with_writer(..)`: one
//!   [`RedactingWriter`] per event.
//!
//! For a byte stream whose writes do not follow records (a pipe copied in
//! 64 KiB reads), use [`crate::RedactWriter`] instead: it finds secrets
//! across any split, at the cost of holding back a possible secret's prefix.
//!
//! ```
//! use std::io::Write;
//! use secretscan::logging::RedactingWriter;
//!
//! let mut log = RedactingWriter::new(secretscan::Scanner::builtin(), Vec::new());
//! # use secretscan::validate::{base62, crc32};
//! // A GitHub token with a valid checksum, assembled at run time.
//! let e = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5";
//! let token = format!("ghp_{e}{}", base62(u64::from(crc32(e.as_bytes())), 6));
//! writeln!(log, "INFO auth ok token={token}").unwrap();
//! assert_eq!(log.get_ref(), b"INFO auth ok token=[REDACTED:github-pat]\n");
//! ```
//!
//! `env_logger` sends its records to any writer:
//!
//! ```
//! # use secretscan::logging::RedactingWriter;
//! let sink = RedactingWriter::new(secretscan::Scanner::builtin(), std::io::stderr());
//! // env_logger::Builder::new().target(env_logger::Target::Pipe(Box::new(sink))).init();
//! # drop(sink);
//! ```

use std::io::{self, Write};

use crate::engine::scanner::Scanner;

/// A [`Write`] adapter that redacts each record (see the [module
/// docs](self)) before writing it to the inner sink.
///
/// A write that ends with `\n` completes a record: it is redacted, together
/// with any bytes buffered before it, and written at once. Other writes are
/// buffered until the record is completed, flushed, or the writer dropped.
///
/// # Cost
///
/// A record with no keyword of any rule is written as it is, without a
/// copy; a record written in one call is not buffered.
///
/// # Memory usage
///
/// A record written in pieces is buffered whole (up to 1 MiB; a longer one
/// is redacted and written in 1 MiB parts, so a secret straddling a part
/// boundary of a record that long would be missed).
pub struct RedactingWriter<W: Write> {
    scanner: Scanner,
    /// Always present but in `into_inner`.
    inner: Option<W>,
    /// An incomplete record.
    pending: Vec<u8>,
}

/// The most bytes of one incomplete record kept before it is written.
const MAX_PENDING: usize = 1 << 20;

impl<W: Write> RedactingWriter<W> {
    /// A writer redacting with `scanner`'s rules into `inner`.
    pub fn new(scanner: Scanner, inner: W) -> RedactingWriter<W> {
        RedactingWriter {
            scanner,
            inner: Some(inner),
            pending: Vec::new(),
        }
    }

    /// The inner sink.
    pub fn get_ref(&self) -> &W {
        self.inner
            .as_ref()
            .expect("inner is present until into_inner")
    }

    /// Writes the buffered record, if any, and returns the inner sink.
    ///
    /// # Errors
    ///
    /// The inner sink's errors.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.write_pending()?;
        Ok(self
            .inner
            .take()
            .expect("inner is present until into_inner"))
    }

    fn write_record(&mut self, record: &[u8]) -> io::Result<()> {
        let redacted = self.scanner.redact(record);
        self.inner
            .as_mut()
            .expect("inner is present until into_inner")
            .write_all(&redacted)
    }

    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let record = std::mem::take(&mut self.pending);
        let result = self.write_record(&record);
        // Keep the allocation for the next record.
        self.pending = record;
        self.pending.clear();
        result
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.last() == Some(&b'\n') {
            if self.pending.is_empty() {
                self.write_record(data)?;
            } else {
                self.pending.extend_from_slice(data);
                self.write_pending()?;
            }
        } else {
            self.pending.extend_from_slice(data);
            if self.pending.len() >= MAX_PENDING {
                self.write_pending()?;
            }
        }
        Ok(data.len())
    }

    /// Writes the buffered part of a record and flushes the sink.
    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.inner
            .as_mut()
            .expect("inner is present until into_inner")
            .flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // Best effort, as BufWriter does: a sink that fails now cannot be
        // told about it.
        if self.inner.is_some() {
            let _ = self.write_pending();
        }
    }
}

impl<W: Write> std::fmt::Debug for RedactingWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedactingWriter")
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

/// A `tracing_subscriber::fmt::MakeWriter` that redacts every event before
/// the inner `MakeWriter` sees it (feature `tracing-subscriber`).
///
/// ```
/// # #[cfg(feature = "tracing-subscriber")] {
/// use secretscan::logging::RedactingMakeWriter;
/// let subscriber = tracing_subscriber::fmt()
///     .with_writer(RedactingMakeWriter::new(secretscan::Scanner::builtin(), std::io::stderr))
///     .finish();
/// # drop(subscriber);
/// # }
/// ```
#[cfg(feature = "tracing-subscriber")]
#[derive(Clone, Debug)]
pub struct RedactingMakeWriter<M> {
    scanner: Scanner,
    inner: M,
}

#[cfg(feature = "tracing-subscriber")]
impl<M> RedactingMakeWriter<M> {
    /// Redacts with `scanner`'s rules, writing through `inner`.
    pub fn new(scanner: Scanner, inner: M) -> RedactingMakeWriter<M> {
        RedactingMakeWriter { scanner, inner }
    }
}

#[cfg(feature = "tracing-subscriber")]
impl<'a, M> tracing_subscriber::fmt::MakeWriter<'a> for RedactingMakeWriter<M>
where
    M: tracing_subscriber::fmt::MakeWriter<'a>,
{
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(self.scanner.clone(), self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing_core::Metadata<'_>) -> Self::Writer {
        RedactingWriter::new(self.scanner.clone(), self.inner.make_writer_for(meta))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GitHub token with a valid checksum, assembled at run time.
    fn token() -> String {
        let e = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5";
        let sum = crate::rules::validators::base62(
            u64::from(crate::rules::validators::crc32(e.as_bytes())),
            6,
        );
        format!("ghp_{e}{sum}")
    }

    #[test]
    fn records_written_in_pieces_are_redacted_whole() {
        let t = token();
        let mut w = RedactingWriter::new(Scanner::builtin(), Vec::new());
        w.write_all(b"first ok\n").unwrap();
        w.write_all(&t.as_bytes()[..9]).unwrap();
        assert_eq!(w.get_ref(), b"first ok\n", "an incomplete record waits");
        w.write_all(&t.as_bytes()[9..]).unwrap();
        w.write_all(b" end\n").unwrap();
        w.write_all(b"tail without newline ").unwrap();
        w.write_all(t.as_bytes()).unwrap();
        let out = w.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "first ok\n[REDACTED:github-pat] end\ntail without newline [REDACTED:github-pat]"
        );
    }

    #[test]
    fn drop_writes_the_incomplete_record() {
        let mut out = Vec::new();
        {
            let mut w = RedactingWriter::new(Scanner::builtin(), &mut out);
            write!(w, "k={}", token()).unwrap();
        }
        assert_eq!(out, b"k=[REDACTED:github-pat]");
    }

    #[cfg(feature = "tracing-subscriber")]
    #[test]
    fn tracing_events_are_redacted() {
        use std::sync::{Arc, Mutex};

        #[derive(Clone, Default)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(data);
                Ok(data.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }

        let sink = Sink::default();
        let make = {
            let sink = sink.clone();
            move || sink.clone()
        };
        let subscriber = tracing_subscriber::fmt()
            .with_writer(RedactingMakeWriter::new(Scanner::builtin(), make))
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .finish();
        let t = token();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(user = "ann", "calling the API with {t}");
            tracing::warn!(header = %format!("Bearer {t}"), "retrying");
        });
        let got = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            got,
            " INFO calling the API with [REDACTED:github-pat] user=\"ann\"\n \
             WARN retrying header=Bearer [REDACTED:github-pat]\n"
        );
    }
}
