//! `secretscan scan`: find secrets in files, directory trees and stdin.
//!
//! Paths are resolved first (directories walked with every filter off, so
//! hidden and gitignored files are scanned; only `.git` directories are
//! skipped), then files are scanned in parallel, each read in chunks
//! through a [`secretscan::StreamScanner`] so that memory stays bounded however large
//! a file is. The report is written once everything was scanned, sorted by
//! path and then offset, so it is the same from run to run.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use ignore::WalkBuilder;
use rayon::prelude::*;
use secretscan::report::{path_name, Record};
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
    let (hits, error) = scan_reader(scanner, &file, show, buf);
    finish(input, hits, error)
}

fn scan_stdin(scanner: &Scanner, show: bool) -> Outcome {
    let mut buf = vec![0u8; READ_SIZE];
    let (hits, error) = scan_reader(scanner, io::stdin().lock(), show, &mut buf);
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
    mut reader: impl Read,
    show: bool,
    buf: &mut [u8],
) -> (Vec<Hit>, Option<io::Error>) {
    let mut stream = scanner.stream();
    stream.capture_secrets(show);
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
