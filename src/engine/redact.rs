//! Redaction: each secret span replaced by `[REDACTED:<rule-id>]`, every
//! other byte unchanged; for whole inputs and for streams.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use crate::engine::finding::Redaction;
use crate::engine::scanner::{Marker, Scanner};
use crate::engine::stream::StreamCore;
use crate::rotation::known::KnownSecrets;

impl Scanner {
    /// Returns `haystack` with every secret replaced by
    /// `[REDACTED:<rule-id>]`; borrowed when nothing was found.
    pub fn redact<'h>(&self, haystack: &'h [u8]) -> Cow<'h, [u8]> {
        let mut redactions = vec![];
        self.scan_with(haystack, |_| {}, |r| redactions.push(r));
        if redactions.is_empty() {
            return Cow::Borrowed(haystack);
        }
        let mut out = Vec::with_capacity(haystack.len());
        let labels = self.known_labels();
        apply_redactions(self, &labels, haystack, 0, &redactions, &mut out);
        Cow::Owned(out)
    }

    /// A writer that redacts everything written through it into `inner`.
    pub fn redact_writer<W: Write>(&self, inner: W) -> RedactWriter<W> {
        RedactWriter::new(self.clone(), inner)
    }
}

/// Writes `hay` (whose first byte is at absolute `base`) to `out` with the
/// redactions applied. Redactions are ordered, disjoint and inside `hay`.
pub(crate) fn apply_redactions(
    scanner: &Scanner,
    known_labels: &[Arc<str>],
    hay: &[u8],
    base: u64,
    redactions: &[Redaction],
    out: &mut Vec<u8>,
) {
    let mut at = 0usize;
    for r in redactions {
        let s = (r.span.start - base) as usize;
        let e = (r.span.end - base) as usize;
        out.extend_from_slice(&hay[at..s]);
        push_marker(scanner, scanner.label(r.rule, known_labels), r, out);
        at = e;
    }
    out.extend_from_slice(&hay[at..]);
}

/// Appends the marker that replaces redaction `r`, labelled `label`.
pub(crate) fn push_marker(scanner: &Scanner, label: &str, r: &Redaction, out: &mut Vec<u8>) {
    out.extend_from_slice(b"[REDACTED:");
    out.extend_from_slice(label.as_bytes());
    if scanner.marker() == Marker::LabelFingerprint {
        out.push(b':');
        out.extend_from_slice(r.fingerprint.short().as_bytes());
    }
    out.push(b']');
}

/// Outputs `bytes`, which come after everything in `queue`: straight to
/// `inner` when the queue is empty and no write failed yet, else appended
/// to the queue. On an error, the bytes `inner` did not take are queued and
/// the error is kept in `error` (the first one only).
fn put_plain<W: Write>(
    inner: &mut W,
    queue: &mut Vec<u8>,
    error: &mut Option<io::Error>,
    bytes: &[u8],
) {
    if !queue.is_empty() || error.is_some() {
        queue.extend_from_slice(bytes);
        return;
    }
    let mut done = 0;
    while done < bytes.len() {
        match inner.write(&bytes[done..]) {
            Ok(0) => {
                *error = Some(io::ErrorKind::WriteZero.into());
                break;
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                *error = Some(e);
                break;
            }
        }
    }
    queue.extend_from_slice(&bytes[done..]);
}

/// A [`Write`] adapter that redacts secrets in everything written through
/// it before passing it to the inner writer.
///
/// Bytes go out as soon as they can no longer be part of a secret: a
/// complete line as soon as its newline is written (unless a multi-line
/// secret such as a PEM block is open across it), and otherwise all but the
/// bytes that could still begin or continue a match. [`Write::flush`]
/// writes exactly those settled bytes and flushes the inner writer; it never
/// writes a byte that could still turn out to be a secret.
/// [`RedactWriter::finish`] ends the stream and writes the rest. Dropping
/// the writer finishes it on a best-effort basis, ignoring errors.
///
/// ```
/// use std::io::Write;
/// let scanner = secretscan::Scanner::builtin();
/// let mut w = scanner.redact_writer(Vec::new());
/// // A GitHub token: 30 random characters and their checksum.
/// let token = secretscan::validate::checksummed_token("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
/// for piece in format!("auth {token} ok\n").as_bytes().chunks(5) {
///     w.write_all(piece).unwrap();
/// }
/// assert_eq!(w.finish().unwrap(), b"auth [REDACTED:github-pat] ok\n");
/// ```
///
/// # Memory usage
///
/// Bounded by the longest rule's maximum match length plus the largest
/// single write, however long the stream.
pub struct RedactWriter<W: Write> {
    core: StreamCore,
    inner: Option<W>,
    /// Absolute offset of the next byte to write to `inner`.
    written: u64,
    /// Redacted output not yet delivered to `inner`, from `delivered` on.
    scratch: Vec<u8>,
    delivered: usize,
    redacted: u64,
    /// Redactions written, by label.
    counts: BTreeMap<Arc<str>, u64>,
}

impl<W: Write> RedactWriter<W> {
    /// A redacting writer over `scanner`'s rules writing into `inner`.
    pub fn new(scanner: Scanner, inner: W) -> RedactWriter<W> {
        RedactWriter {
            core: StreamCore::new(scanner, true),
            inner: Some(inner),
            written: 0,
            scratch: Vec::new(),
            delivered: 0,
            redacted: 0,
            counts: BTreeMap::new(),
        }
    }

    /// Replaces the known values redacted from here on, atomically for the
    /// stream: bytes not yet written are decided by `known` (a value whose
    /// start is still held back is found by the new set), bytes already
    /// written were decided by the old one, and no byte is decided by
    /// neither. Occurrences of old values found but not yet settled are
    /// kept only if `known` still holds them, so a rotation should pass the
    /// new values together with the old ones it keeps redacting (see
    /// [`crate::rotation::KnownSources`]).
    ///
    /// Cost: the held-back bytes are searched again for the new values.
    pub fn set_known(&mut self, known: KnownSecrets) {
        self.core.set_known(known);
    }

    /// The number of secrets redacted so far, by label (a rule id, or
    /// `known:NAME`).
    pub fn redacted_by_label(&self) -> &BTreeMap<Arc<str>, u64> {
        &self.counts
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        self.inner
            .as_ref()
            .expect("inner writer is present until finish")
    }

    /// The inner writer, mutably. Writing to it directly bypasses the
    /// redaction; it is for taking what was written (as
    /// [`crate::StreamRedactor`] does with a `Vec`).
    pub fn get_mut(&mut self) -> &mut W {
        self.inner
            .as_mut()
            .expect("inner writer is present until finish")
    }

    /// The number of secrets redacted so far.
    pub fn redacted(&self) -> u64 {
        self.redacted
    }

    /// Bytes accepted but not yet written, held back because they could
    /// still be part of a secret.
    pub fn held_back(&self) -> u64 {
        self.core.end() - self.written
    }

    /// Bytes kept in memory: the held-back bytes, less those inside a
    /// redaction whose label is still open (a chain of overlapping secrets),
    /// which are replaced, never written, and so not kept.
    pub fn buffered(&self) -> usize {
        self.core.hay().len()
    }

    /// Redacts every settled byte into the output queue and delivers the
    /// queue to the inner writer (without flushing it).
    fn emit_settled(&mut self) -> io::Result<()> {
        self.deliver()?;
        let upto = self.core.settled.min(self.core.end());
        self.redact_settled(upto)?;
        self.deliver()
    }

    /// Writes the output queue to the inner writer. On an error, what was
    /// not delivered stays queued, and is written first next time: no byte
    /// is lost or written twice.
    fn deliver(&mut self) -> io::Result<()> {
        let inner = self
            .inner
            .as_mut()
            .expect("inner writer is present until finish");
        while self.delivered < self.scratch.len() {
            match inner.write(&self.scratch[self.delivered..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.delivered += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.scratch.clear();
        self.delivered = 0;
        Ok(())
    }

    /// Outputs the redacted bytes `[written, upto)`: runs of unchanged
    /// bytes go straight from the stream's buffer to the inner writer while
    /// nothing is queued before them (no copy: a token stream's common
    /// case), everything else is appended to the output queue, in order.
    ///
    /// # Errors
    ///
    /// The inner writer's error on a direct write; the bytes it did not
    /// take are queued, so nothing is lost or written twice.
    fn redact_settled(&mut self, upto: u64) -> io::Result<()> {
        if upto <= self.written {
            return Ok(());
        }
        let (hay, base, redactions, scanner, known_labels) = self.core.output_parts();
        let inner = self
            .inner
            .as_mut()
            .expect("inner writer is present until finish");
        let queue = &mut self.scratch;
        let mut error = None;
        let local = |abs: u64| (abs - base) as usize;
        let mut at = self.written;
        while let Some(r) = redactions.front() {
            if r.span.end > upto {
                break;
            }
            let r = redactions.pop_front().expect("front exists");
            // NOTE: when the output stopped at this redaction's start, the
            // bytes it covers may already be gone (see StreamCore::trim).
            if r.span.start > at {
                put_plain(
                    inner,
                    queue,
                    &mut error,
                    &hay[local(at)..local(r.span.start)],
                );
            }
            let label = scanner.label(r.rule, known_labels);
            push_marker(scanner, label, &r, queue);
            *self.counts.entry(label.clone()).or_insert(0) += 1;
            self.redacted += 1;
            at = r.span.end;
        }
        let stop = match redactions.front() {
            Some(r) => r.span.start.min(upto),
            None => upto,
        };
        if stop > at {
            put_plain(inner, queue, &mut error, &hay[local(at)..local(stop)]);
            at = stop;
        }
        self.written = at;
        self.core.keep_from = at;
        error.map_or(Ok(()), Err)
    }

    /// Ends the stream: writes everything still held back, redacted, and
    /// flushes the inner writer. Further writes are an error.
    ///
    /// # Errors
    ///
    /// The inner writer's errors.
    pub fn try_finish(&mut self) -> io::Result<()> {
        self.core.finish();
        self.emit_settled()?;
        debug_assert_eq!(self.written, self.core.end(), "finishing writes everything");
        self.inner
            .as_mut()
            .expect("inner writer is present until finish")
            .flush()
    }

    /// Gives up on the stream after an input error: writes nothing more and
    /// returns the inner writer. The held-back bytes are dropped, because
    /// they may hold the beginning of a secret that was cut off and so can
    /// no longer be recognised; everything already settled was written.
    pub fn abandon(mut self) -> W {
        self.core.finish_without_output();
        self.inner
            .take()
            .expect("inner writer is present until finish")
    }

    /// Finishes the stream (see [`RedactWriter::try_finish`]) and returns
    /// the inner writer.
    ///
    /// # Errors
    ///
    /// The inner writer's errors.
    pub fn finish(mut self) -> io::Result<W> {
        self.try_finish()?;
        Ok(self
            .inner
            .take()
            .expect("inner writer is present until finish"))
    }
}

impl<W: Write> Write for RedactWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.core.is_finished() {
            return Err(io::Error::other("write after RedactWriter::finish"));
        }
        // Output still queued from an earlier call goes first; if the inner
        // writer fails, nothing of `data` has been taken.
        self.deliver()?;
        self.core.push(data);
        // `data` is taken now: a failure here surfaces on the next call,
        // which delivers the queue first.
        let _ = self.redact_settled(self.core.settled.min(self.core.end()));
        let _ = self.deliver();
        Ok(data.len())
    }

    /// Writes the settled bytes and flushes the inner writer; bytes that
    /// could still be part of a secret stay held back.
    fn flush(&mut self) -> io::Result<()> {
        self.emit_settled()?;
        self.inner
            .as_mut()
            .expect("inner writer is present until finish")
            .flush()
    }
}

impl<W: Write> Drop for RedactWriter<W> {
    fn drop(&mut self) {
        if self.inner.is_some() && !self.core.is_finished() {
            let _ = self.try_finish();
        }
    }
}

impl<W: Write> std::fmt::Debug for RedactWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedactWriter")
            .field("written", &self.written)
            .field("held_back", &self.held_back())
            .field("redacted", &self.redacted)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts at most 3 bytes per call and fails every other call.
    struct Flaky {
        out: Vec<u8>,
        calls: usize,
    }

    impl Write for Flaky {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls % 2 == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = data.len().min(3);
            self.out.extend_from_slice(&data[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Regression: an inner error after the data was taken used to be
    /// reported as a failed write, so a caller's retry duplicated the bytes.
    #[test]
    fn inner_errors_lose_and_duplicate_nothing() {
        let scanner = Scanner::builtin();
        let token =
            crate::rules::validators::checksummed_token("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
        let input = format!("line one\ntoken {token} end\nline three\n").repeat(5);
        let mut w = RedactWriter::new(
            scanner.clone(),
            Flaky {
                out: vec![],
                calls: 0,
            },
        );
        let mut rest = input.as_bytes();
        while !rest.is_empty() {
            match w.write(&rest[..rest.len().min(7)]) {
                Ok(n) => rest = &rest[n..],
                Err(e) => assert_eq!(e.kind(), io::ErrorKind::WouldBlock),
            }
        }
        while w.flush().is_err() {}
        let out = loop {
            if w.try_finish().is_ok() {
                break w.inner.take().unwrap().out;
            }
        };
        assert_eq!(out, scanner.redact(input.as_bytes()).into_owned());
    }
}
