//! Stdin: scanned as it arrives, findings reported as soon as the stream
//! settles them; in parallel blocks while input outpaces the scan.

use super::*;

/// Scans stdin, reporting each batch of findings as the stream settles it
/// (they come in order) and flushing the output after each read, so that
/// nothing waits for the end of input and no finding is kept. A read error
/// is printed (after what was found before it) and recorded in `progress`;
/// an output error is returned. Stdin is not opened as an archive: it is
/// reported as it streams.
#[allow(clippy::too_many_arguments)]
pub(super) fn stream_stdin(
    scanner: &Scanner,
    filter: Filter,
    capture: bool,
    live: Option<&HashSet<Fingerprint>>,
    reporting: &mut Reporting<'_>,
    sink: &mut dyn Sink,
    progress: &mut Progress,
    write_error: &str,
) -> Result<()> {
    let mut stream = FilteredStream::new(scanner, filter, capture);
    let mut buf = vec![0u8; READ_SIZE];
    let mut stdin = io::stdin().lock();
    let mut emit = |found: Vec<Finding>, progress: &mut Progress| {
        emit_stdin(found, scanner, live, reporting, sink, progress, write_error)
    };
    loop {
        let n = match read_some(&mut stdin, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                // What the stream holds back may still be a finding.
                emit(stream.finish(), progress)?;
                stdin_read_error(e, progress);
                return Ok(());
            }
        };
        if !emit(stream.push(&buf[..n]), progress)? {
            return Ok(());
        }
    }
    emit(stream.finish(), progress)?;
    Ok(())
}

/// A read error on stdin, printed after what was found before it.
pub(super) fn stdin_read_error(e: io::Error, progress: &mut Progress) {
    let path = name(&Input::Stdin);
    print_error(&anyhow::Error::new(e).context(format!("{path}: read error")));
    progress.errors = true;
}

/// Reports one batch of stdin's findings and flushes the output; returns
/// whether to go on.
#[allow(clippy::too_many_arguments)]
pub(super) fn emit_stdin(
    found: Vec<Finding>,
    scanner: &Scanner,
    live: Option<&HashSet<Fingerprint>>,
    reporting: &mut Reporting<'_>,
    sink: &mut dyn Sink,
    progress: &mut Progress,
    write_error: &str,
) -> Result<bool> {
    if found.is_empty() {
        return Ok(true);
    }
    let path = name(&Input::Stdin);
    for mut finding in found {
        let secret = finding.value.take();
        if !reporting.keep(&Input::Stdin, None, &finding, secret.as_deref()) {
            continue;
        }
        let shown = if reporting.show {
            secret.as_deref()
        } else {
            None
        };
        if !report(
            sink,
            scanner,
            &path,
            &finding,
            shown,
            live,
            progress,
            write_error,
        )? {
            return Ok(false);
        }
    }
    sink.flush().with_context(|| write_error.to_string())?;
    Ok(true)
}

/// [`stream_stdin`] on several threads: a reader thread sends what it
/// reads, and the blocks are scanned in parallel chunks while input keeps
/// coming; when it pauses for [`STALL`], the scan goes on sequentially so
/// that findings are reported as their lines go by, as [`stream_stdin`]
/// does. Findings are the same either way.
#[allow(clippy::too_many_arguments)]
pub(super) fn stream_stdin_parallel(
    scanner: &Scanner,
    filter: Filter,
    capture: bool,
    live: Option<&HashSet<Fingerprint>>,
    reporting: &mut Reporting<'_>,
    sink: &mut dyn Sink,
    progress: &mut Progress,
    write_error: &str,
) -> Result<()> {
    let mut stream = ParallelFiltered::new(scanner, filter, capture);
    // Bounded: the reader waits while the scan is behind.
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(64);
    // NOTE: not a scoped thread: a reader blocked on an idle terminal or
    // pipe must not keep the report from ending when the sink stops.
    thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        loop {
            let mut buf = vec![0u8; READ_SIZE];
            match read_some(&mut stdin, &mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Ok(buf)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    });
    let mut emit = |found: Vec<Finding>, progress: &mut Progress| {
        emit_stdin(found, scanner, live, reporting, sink, progress, write_error)
    };
    let mut sequential = false;
    loop {
        let next = if sequential {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(STALL)
        };
        let block = match next {
            Ok(Ok(block)) => block,
            Ok(Err(e)) => {
                emit(stream.finish(), progress)?;
                stdin_read_error(e, progress);
                return Ok(());
            }
            Err(RecvTimeoutError::Timeout) => {
                sequential = true;
                if !emit(stream.go_sequential(), progress)? {
                    return Ok(());
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if !emit(stream.push(&block), progress)? {
            return Ok(());
        }
    }
    emit(stream.finish(), progress)?;
    Ok(())
}
