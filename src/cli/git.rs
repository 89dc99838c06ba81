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

use anyhow::{Context, Result};
use secretscan::git::{HistoryScan, Progress};
use secretscan::report::Record;

use super::config::GitConfig;
use super::{print_error, Exit};

/// How often the progress line is redrawn.
const TICK: Duration = Duration::from_millis(200);

pub fn run(c: GitConfig) -> Result<Exit> {
    let scan = HistoryScan::new(c.scanner.clone())
        .min_confidence(c.min_confidence)
        .inline_allow(c.inline_allow)
        .capture_secrets(c.show_secrets);
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
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut sink = c.format.sink(&mut out);
    for f in &history.findings {
        let mut record = Record::new(&c.scanner, &f.path, &f.finding);
        if let Some(secret) = f.finding.value.as_deref() {
            record = record.with_secret(secret);
        }
        if let Some(commit) = &f.commit {
            record = record.with_commit(commit);
        }
        if exit == Exit::Clean {
            exit = Exit::Found;
        }
        if !sink.record(&record).context("<stdout>: write error")? {
            break;
        }
    }
    sink.finish().context("<stdout>: write error")?;
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
