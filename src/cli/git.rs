//! `secretscan git`: find secrets in a repository's history (see
//! [`secretscan::git`] for how blobs are walked, scanned and attributed).
//!
//! The report comes once the whole history was scanned (findings are
//! sorted into history order). Meanwhile, when stderr is a terminal, a
//! progress line there counts commits, blobs, bytes and findings; nothing
//! is drawn when it is not (CI logs, pipes).

use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use secretscan::git::{HistoryScan, Progress};
use secretscan::report::{path_name, Record};

use super::config::GitConfig;
use super::{finish_output, open_report, print_error, Exit};

/// How often the progress line is redrawn.
const TICK: Duration = Duration::from_millis(200);

pub fn run(mut c: GitConfig) -> Result<Exit> {
    // Baselines key findings by a hash of the secret.
    let capture = c.show_secrets || c.baseline.is_some() || c.write_baseline.is_some();
    let mut scan = HistoryScan::new(c.scanner.clone())
        .min_confidence(c.min_confidence)
        .inline_allow(c.inline_allow)
        .capture_secrets(capture);
    if let Some(n) = c.threads {
        scan = scan.threads(n);
    }
    let progress = Progress::default();
    let done = AtomicBool::new(false);
    let history = thread::scope(|s| {
        let drawer = io::stderr()
            .is_terminal()
            .then(|| s.spawn(|| draw_progress(&progress, &done)));
        let history = scan.run(&c.repo, &c.revisions, &progress);
        done.store(true, Ordering::Relaxed);
        if let Some(drawer) = drawer {
            drawer.thread().unpark();
        }
        history
    })?;

    let mut exit = Exit::Clean;
    for e in &history.errors {
        print_error(&anyhow::Error::msg(error_chain(e)));
        exit = Exit::Error;
    }
    let (out_name, out_file) = open_report(c.output.as_deref())?;
    let write_error = format!("{out_name}: write error");
    let mut out = BufWriter::with_capacity(64 * 1024, out_file);
    let mut sink = c.format.sink(&mut out);
    let mut complete = true;
    let ignore = &c.ignore;
    for f in &history.findings {
        // Paths in the repository are relative to its work tree, which is
        // where secretscan.toml and .secretscanignore are found.
        if ignore.excludes(&ignore.root.join(&f.path), false) {
            continue;
        }
        let secret = f.finding.value.as_deref();
        let write = c.write_baseline.as_mut().map(|(_, b)| b);
        if !ignore.keeps(
            c.baseline.as_ref(),
            write,
            || f.path.clone(),
            &f.finding,
            secret,
        ) {
            continue;
        }
        let mut record = Record::new(&c.scanner, &f.path, &f.finding);
        if let Some(secret) = secret.filter(|_| c.show_secrets) {
            record = record.with_secret(secret);
        }
        if let Some(commit) = &f.commit {
            record = record.with_commit(commit);
        }
        if exit == Exit::Clean {
            exit = Exit::Found;
        }
        if !sink.record(&record).context(write_error.clone())? {
            complete = false;
            break;
        }
    }
    sink.finish().context(write_error.clone())?;
    drop(sink);
    finish_output(out, &out_name)?;
    if let Some((file, baseline)) = &c.write_baseline {
        if !complete {
            bail!(
                "{}: baseline not written: the report ended early",
                path_name(file)
            );
        }
        baseline.save(file)?;
        if exit == Exit::Found {
            exit = Exit::Clean;
        }
    }
    Ok(exit)
}

/// `e` and its causes, as `anyhow` prints a chain: `a: b: c`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Redraws `commits, blobs, MiB, findings` on stderr until `done`, then
/// erases the line.
fn draw_progress(progress: &Progress, done: &AtomicBool) {
    let mut err = io::stderr();
    while !done.load(Ordering::Relaxed) {
        // A terminal that went away is no reason to stop the scan.
        let _ = write!(
            err,
            "\r\x1b[K{} commits, {} blobs, {:.1} MiB, {} findings",
            progress.commits(),
            progress.blobs(),
            progress.bytes() as f64 / (1024.0 * 1024.0),
            progress.findings()
        );
        let _ = err.flush();
        thread::park_timeout(TICK);
    }
    let _ = write!(err, "\r\x1b[K");
    let _ = err.flush();
}
