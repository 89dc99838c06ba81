//! `secretscan scan`: find secrets in files, directory trees and stdin.
//!
//! Paths are resolved first (directories walked with every filter off, so
//! hidden and gitignored files are scanned; only `.git` directories are
//! skipped), then files are scanned in parallel, each read in chunks
//! through a [`secretscan::StreamScanner`] so that memory stays bounded however large
//! a file is.
//!
//! Stdin is scanned meanwhile on the calling thread, and its findings are
//! reported as soon as the stream settles them (in order), with the output
//! flushed after each read: `tail -f app.log | secretscan scan` shows each
//! secret as its line goes by, and no finding is held in memory. Findings
//! in files are reported after stdin's, once every file was scanned,
//! sorted by path and then offset, so the report is the same from run to
//! run.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use anyhow::{anyhow, Context, Result};
use ignore::WalkBuilder;
use rayon::prelude::*;
use secretscan::report::{path_name, Record, Sink};
use secretscan::rules::Confidence;
use secretscan::suppress::InlineAllow;
use secretscan::{Finding, Fingerprint, Scanner};

use super::config::{Input, ScanConfig};
use super::input::{name, read_some};
use super::{print_error, Exit};

/// Bytes read from a file (or stdin) at once.
const READ_SIZE: usize = 256 * 1024;

/// What scanning one input (or failing to) produced.
struct Outcome {
    input: Input,
    hits: Vec<Hit>,
    /// Why the input could not be (wholly) read; `hits` has what was
    /// found before.
    error: Option<anyhow::Error>,
}

struct Hit {
    finding: Finding,
    /// The secret's bytes, kept only for `--show-secrets`.
    secret: Option<Vec<u8>>,
}

/// Which findings a report keeps: the confidence threshold, and whether
/// allow markers on a finding's line drop it.
#[derive(Clone, Copy, Debug)]
struct Filter {
    min_confidence: Confidence,
    inline_allow: bool,
    /// Drop tokens whose own expiry has passed.
    skip_expired: bool,
    /// Keep only occurrences of known values (`--find`).
    find_only: bool,
}

impl Filter {
    fn keeps(&self, f: &Finding, rules: usize) -> bool {
        f.confidence >= self.min_confidence
            && !(self.skip_expired && f.token.as_ref().and_then(|t| t.expired()) == Some(true))
            && (!self.find_only || f.rule_index >= rules)
    }
}

/// A stream of one input, with the report's filter applied to what it
/// finds.
struct FilteredStream {
    stream: secretscan::StreamScanner,
    allow: Option<InlineAllow>,
    filter: Filter,
    rules: usize,
}

impl FilteredStream {
    fn new(scanner: &Scanner, filter: Filter, show: bool) -> FilteredStream {
        let mut stream = scanner.stream();
        stream.capture_secrets(show);
        FilteredStream {
            stream,
            allow: filter.inline_allow.then(|| InlineAllow::new(scanner)),
            filter,
            rules: scanner.rules().len(),
        }
    }

    fn push(&mut self, chunk: &[u8]) -> Vec<Finding> {
        let mut found = self.stream.push(chunk);
        found.retain(|f| self.filter.keeps(f, self.rules));
        match &mut self.allow {
            Some(allow) => {
                let mut out = vec![];
                allow.push(chunk, found, &mut out);
                out
            }
            None => found,
        }
    }

    fn finish(&mut self) -> Vec<Finding> {
        let mut found = self.stream.finish();
        found.retain(|f| self.filter.keeps(f, self.rules));
        match &mut self.allow {
            Some(allow) => {
                let mut out = vec![];
                allow.finish(found, &mut out);
                out
            }
            None => found,
        }
    }
}

/// What has been reported so far, and whether to go on.
#[derive(Default)]
struct Progress {
    found: bool,
    errors: bool,
    /// The sink asked to stop: nothing more is reported.
    stopped: bool,
}

pub fn run(c: ScanConfig) -> Result<Exit> {
    let mut outcomes = vec![];
    let mut files = vec![];
    let mut read_stdin = false;
    for input in c.inputs {
        match input {
            Input::Stdin => read_stdin = true,
            Input::Path(path) => match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => walk(&path, &mut files, &mut outcomes),
                // Named explicitly: scanned whatever it is (a FIFO from
                // `<(cmd)`, a device); only walks skip special files.
                Ok(_) => files.push(path),
                Err(e) => outcomes.push(failure(Input::Path(path), e)),
            },
        }
    }
    files.sort();
    files.dedup();

    let scanner = &c.scanner;
    let show = c.show_secrets;
    let filter = Filter {
        min_confidence: c.min_confidence,
        inline_allow: c.inline_allow,
        skip_expired: c.skip_expired,
        find_only: c.find_only,
    };
    let live: Option<HashSet<Fingerprint>> = c.live.as_ref().map(|known| {
        known
            .entries()
            .iter()
            .map(|e| scanner.fingerprinter().of(e.value()))
            .collect()
    });
    let live = live.as_ref();
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut sink: Box<dyn Sink + '_> = if c.format == secretscan::report::Format::Human {
        Box::new(secretscan::report::HumanWriter::new(&mut out).with_summary(c.summary))
    } else {
        c.format.sink(&mut out)
    };
    let mut progress = Progress::default();
    // Set when the report ends early (an output error, or the sink asked
    // to stop), so that the file scans stop too.
    let cancel = AtomicBool::new(false);

    let (streamed, file_outcomes) = thread::scope(|s| {
        let cancel = &cancel;
        let file_scans = s.spawn(move || {
            files
                .into_par_iter()
                .map_init(
                    || vec![0u8; READ_SIZE],
                    |buf, path| scan_file(scanner, path, filter, show, buf, cancel),
                )
                .collect::<Vec<_>>()
        });
        let streamed = if read_stdin {
            stream_stdin(scanner, filter, show, live, &mut *sink, &mut progress)
        } else {
            Ok(())
        };
        if streamed.is_err() || progress.stopped {
            cancel.store(true, Ordering::Relaxed);
        }
        let file_outcomes = match file_scans.join() {
            Ok(outcomes) => outcomes,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (streamed, file_outcomes)
    });
    streamed?;
    outcomes.extend(file_outcomes);
    outcomes.sort_by(|a, b| a.input.cmp(&b.input));

    for outcome in &mut outcomes {
        if let Some(e) = outcome.error.take() {
            print_error(&e);
            progress.errors = true;
        }
    }
    'report: for outcome in &outcomes {
        if progress.stopped {
            break;
        }
        let path = name(&outcome.input);
        for hit in &outcome.hits {
            if !report(
                &mut *sink,
                scanner,
                &path,
                &hit.finding,
                hit.secret.as_deref(),
                live,
                &mut progress,
            )? {
                break 'report;
            }
        }
    }
    sink.finish().context("<stdout>: write error")?;
    Ok(if progress.errors {
        Exit::Error
    } else if progress.found {
        Exit::Found
    } else {
        Exit::Clean
    })
}

/// Writes one finding to `sink`; returns whether to go on.
fn report(
    sink: &mut dyn Sink,
    scanner: &Scanner,
    path: &str,
    finding: &Finding,
    secret: Option<&[u8]>,
    live: Option<&HashSet<Fingerprint>>,
    progress: &mut Progress,
) -> Result<bool> {
    progress.found = true;
    let mut record = Record::new(scanner, path, finding);
    if let Some(live) = live {
        record = record.with_live(live.contains(&finding.fingerprint));
    }
    if let Some(secret) = secret {
        record = record.with_secret(secret);
    }
    let go_on = sink.record(&record).context("<stdout>: write error")?;
    progress.stopped |= !go_on;
    Ok(go_on)
}

/// Scans stdin, reporting each batch of findings as the stream settles it
/// (they come in order) and flushing the output after each read, so that
/// nothing waits for the end of input and no finding is kept. A read error
/// is printed (after what was found before it) and recorded in `progress`;
/// an output error is returned.
fn stream_stdin(
    scanner: &Scanner,
    filter: Filter,
    show: bool,
    live: Option<&HashSet<Fingerprint>>,
    sink: &mut dyn Sink,
    progress: &mut Progress,
) -> Result<()> {
    let path = name(&Input::Stdin);
    let mut stream = FilteredStream::new(scanner, filter, show);
    let mut buf = vec![0u8; READ_SIZE];
    let mut stdin = io::stdin().lock();
    let mut emit = |found: Vec<Finding>, progress: &mut Progress| -> Result<bool> {
        if found.is_empty() {
            return Ok(true);
        }
        for mut finding in found {
            let secret = finding.value.take();
            if !report(
                sink,
                scanner,
                &path,
                &finding,
                secret.as_deref(),
                live,
                progress,
            )? {
                return Ok(false);
            }
        }
        sink.flush().context("<stdout>: write error")?;
        Ok(true)
    };
    loop {
        let n = match read_some(&mut stdin, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                // What the stream holds back may still be a finding.
                emit(stream.finish(), progress)?;
                let e = anyhow::Error::new(e).context(format!("{path}: read error"));
                print_error(&e);
                progress.errors = true;
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

fn failure(input: Input, e: impl Into<anyhow::Error>) -> Outcome {
    let error = e.into().context(name(&input));
    Outcome {
        input,
        hits: vec![],
        error: Some(error),
    }
}

/// Adds the regular files under `root` to `files`, and an outcome for each
/// entry that cannot be read. Symbolic links are not followed (a link
/// inside the tree would scan its target twice, or leave the tree).
fn walk(root: &Path, files: &mut Vec<PathBuf>, outcomes: &mut Vec<Outcome>) {
    let walker = WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir()))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => files.push(e.into_path()),
            Ok(_) => {}
            Err(err) => {
                let path = error_path(&err).unwrap_or(root).to_path_buf();
                // `path: OS error`, as for files; ignore's own message
                // would name the path twice.
                let error = match err.io_error().and_then(os_error) {
                    Some(os) => anyhow!("{}: {os}", path_name(&path)),
                    None => anyhow!(err),
                };
                outcomes.push(Outcome {
                    input: Input::Path(path),
                    hits: vec![],
                    error: Some(error),
                });
            }
        }
    }
}

/// The operating system's error under `io` (ignore wraps walkdir's error,
/// which wraps the OS error).
fn os_error(io: &io::Error) -> Option<io::Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(io);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if let Some(code) = io.raw_os_error() {
                return Some(io::Error::from_raw_os_error(code));
            }
            if let Some(inner) = io.get_ref() {
                cause = Some(inner);
                continue;
            }
        }
        cause = e.source();
    }
    None
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

fn scan_file(
    scanner: &Scanner,
    path: PathBuf,
    filter: Filter,
    show: bool,
    buf: &mut [u8],
    cancel: &AtomicBool,
) -> Outcome {
    let input = Input::Path(path);
    let Input::Path(path) = &input else {
        unreachable!("just built")
    };
    if cancel.load(Ordering::Relaxed) {
        return Outcome {
            input,
            hits: vec![],
            error: None,
        };
    }
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return failure(input, e),
    };
    let (hits, error) = scan_reader(scanner, &file, filter, show, buf, cancel);
    finish(input, hits, error)
}

fn finish(input: Input, mut hits: Vec<Hit>, error: Option<io::Error>) -> Outcome {
    hits.sort_by_key(|h| {
        (
            h.finding.secret.start,
            h.finding.secret.end,
            h.finding.rule_index,
        )
    });
    let error =
        error.map(|e| anyhow::Error::new(e).context(format!("{}: read error", name(&input))));
    Outcome { input, hits, error }
}

/// Scans everything `reader` yields (or until `cancel` is set); on a read
/// error, returns what was found before it along with the error.
fn scan_reader(
    scanner: &Scanner,
    mut reader: impl Read,
    filter: Filter,
    show: bool,
    buf: &mut [u8],
    cancel: &AtomicBool,
) -> (Vec<Hit>, Option<io::Error>) {
    let mut stream = FilteredStream::new(scanner, filter, show);
    let mut hits = vec![];
    let mut error = None;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return (hits, None);
        }
        let n = match read_some(&mut reader, buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        collect(&mut hits, stream.push(&buf[..n]));
    }
    collect(&mut hits, stream.finish());
    (hits, error)
}

fn collect(hits: &mut Vec<Hit>, found: Vec<Finding>) {
    for mut finding in found {
        let secret = finding.value.take().map(Vec::from);
        hits.push(Hit { finding, secret });
    }
}
