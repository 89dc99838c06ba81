//! `secretscan scan`: find secrets in files, directory trees and stdin.
//!
//! Paths are resolved first (directories walked with every filter off, so
//! hidden and gitignored files are scanned; only `.git` directories are
//! skipped), then files are scanned in parallel, each read in chunks
//! through a [`secretscan::StreamScanner`] so that memory stays bounded however large
//! a file is. The report is written once everything was scanned, sorted by
//! path and then offset, so it is the same from run to run.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use ignore::WalkBuilder;
use rayon::prelude::*;
use secretscan::report::{escape_message, path_name, Record};
use secretscan::{Finding, Scanner};

use super::config::{Input, ScanConfig};
use super::input::{name, read_some};
use super::{print_error, Exit};

/// Bytes read from a file at once.
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
    let (stdin_outcome, file_outcomes) = rayon::join(
        || read_stdin.then(|| scan_stdin(scanner, show)),
        || {
            files
                .into_par_iter()
                .map_init(
                    || vec![0u8; READ_SIZE],
                    |buf, path| scan_file(scanner, path, show, buf),
                )
                .collect::<Vec<_>>()
        },
    );
    outcomes.extend(stdin_outcome);
    outcomes.extend(file_outcomes);
    outcomes.sort_by(|a, b| a.input.cmp(&b.input));

    let mut exit = Exit::Clean;
    for outcome in &mut outcomes {
        if let Some(e) = outcome.error.take() {
            print_error(&e);
            exit = Exit::Error;
        }
    }
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut sink = c.format.sink(&mut out);
    'report: for outcome in &outcomes {
        let path = name(&outcome.input);
        for hit in &outcome.hits {
            if exit == Exit::Clean {
                exit = Exit::Found;
            }
            let mut record = Record::new(scanner, &path, &hit.finding);
            if let Some(secret) = &hit.secret {
                record = record.with_secret(secret);
            }
            if !sink.record(&record).context("<stdout>: write error")? {
                break 'report;
            }
        }
    }
    sink.finish().context("<stdout>: write error")?;
    Ok(exit)
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

fn scan_file(scanner: &Scanner, path: PathBuf, show: bool, buf: &mut [u8]) -> Outcome {
    let input = Input::Path(path);
    let Input::Path(path) = &input else {
        unreachable!("just built")
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return failure(input, e),
    };
    let (hits, error) = scan_reader(scanner, &input, &file, Some(&file), show, buf);
    finish(input, hits, error)
}

fn scan_stdin(scanner: &Scanner, show: bool) -> Outcome {
    let mut buf = vec![0u8; READ_SIZE];
    let (hits, error) = scan_reader(
        scanner,
        &Input::Stdin,
        io::stdin().lock(),
        None,
        show,
        &mut buf,
    );
    finish(Input::Stdin, hits, error)
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

/// Scans everything `reader` yields; on a read error, returns what was
/// found before it along with the error.
fn scan_reader(
    scanner: &Scanner,
    input: &Input,
    mut reader: impl Read,
    file: Option<&File>,
    show: bool,
    buf: &mut [u8],
) -> (Vec<Hit>, Option<io::Error>) {
    let mut stream = scanner.stream();
    let mut tail = show.then(|| Tail::new(scanner));
    let mut hits = vec![];
    let mut error = None;
    loop {
        let n = match read_some(&mut reader, buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        let chunk = &buf[..n];
        if let Some(tail) = &mut tail {
            tail.bytes.extend_from_slice(chunk);
        }
        let found = stream.push(chunk);
        collect(&mut hits, found, tail.as_ref(), input, file);
        if let Some(tail) = &mut tail {
            tail.trim();
        }
    }
    let found = stream.finish();
    collect(&mut hits, found, tail.as_ref(), input, file);
    (hits, error)
}

fn collect(
    hits: &mut Vec<Hit>,
    found: Vec<Finding>,
    tail: Option<&Tail>,
    input: &Input,
    file: Option<&File>,
) {
    for finding in found {
        let secret = tail.map(|t| t.secret(&finding, input, file));
        hits.push(Hit {
            finding,
            secret: secret.flatten(),
        });
    }
}

/// The last bytes read, for `--show-secrets`: findings do not carry their
/// secret, so the secret is cut out of the bytes that were scanned.
///
/// NOTE: a finding is settled within a bounded distance of the end of the
/// stream (the longest rule's match length and a little), so keeping a few
/// times that much suffices. Should a secret ever fall out of the window
/// (a long chain of overlapping findings), it is read back from the file
/// instead; only a pipe then loses it, with a warning.
struct Tail {
    bytes: Vec<u8>,
    /// Absolute offset of `bytes[0]`.
    base: u64,
    keep: usize,
}

impl Tail {
    fn new(scanner: &Scanner) -> Tail {
        let max = usize::try_from(scanner.max_match_len()).unwrap_or(usize::MAX / 8);
        Tail {
            bytes: vec![],
            base: 0,
            keep: max.saturating_mul(4).saturating_add(64 * 1024),
        }
    }

    /// Drops all but the last `keep` bytes.
    fn trim(&mut self) {
        if self.bytes.len() > self.keep {
            let n = self.bytes.len() - self.keep;
            self.bytes.drain(..n);
            self.base += n as u64;
        }
    }

    fn secret(&self, finding: &Finding, input: &Input, file: Option<&File>) -> Option<Vec<u8>> {
        let span = &finding.secret;
        if span.start >= self.base {
            let from = (span.start - self.base) as usize;
            let to = (span.end - self.base) as usize;
            if let Some(bytes) = self.bytes.get(from..to) {
                return Some(bytes.to_vec());
            }
        }
        read_back(file, span.start, span.end).or_else(|| {
            let message = format!(
                "{}: the secret at offset {} is no longer buffered and cannot be shown",
                name(input),
                span.start
            );
            let _ = writeln!(
                io::stderr(),
                "secretscan: warning: {}",
                escape_message(&message)
            );
            None
        })
    }
}

#[cfg(unix)]
fn read_back(file: Option<&File>, start: u64, end: u64) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = file?;
    let mut bytes = vec![0u8; usize::try_from(end - start).ok()?];
    file.read_exact_at(&mut bytes, start).ok()?;
    Some(bytes)
}

#[cfg(not(unix))]
fn read_back(_: Option<&File>, _: u64, _: u64) -> Option<Vec<u8>> {
    None
}
