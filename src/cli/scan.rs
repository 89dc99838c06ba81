//! `secretscan scan`: find secrets in files, directory trees and stdin.
//!
//! Directories are walked in parallel (ignore's parallel walker, with
//! every filter off, so hidden and gitignored files are scanned; only
//! `.git` directories are skipped), and each file is scanned on the rayon
//! pool (`--threads`) as soon as the walk finds it, read in chunks through
//! a [`secretscan::StreamScanner`] so that memory stays bounded however
//! large a file is. A large regular file goes through a
//! [`secretscan::ParallelStream`] instead: read in blocks, each cut into
//! chunks scanned in parallel, with the same findings.
//!
//! Stdin is scanned meanwhile on the calling thread, and its findings are
//! reported as soon as the stream settles them (in order), with the output
//! flushed after each read: `tail -f app.log | secretscan scan` shows each
//! secret as its line goes by, and no finding is held in memory. With more
//! than one thread, stdin is read on a thread of its own and scanned in
//! parallel blocks while it arrives faster than it is scanned; once it
//! pauses ([`STALL`]), it goes on as a sequential stream. Findings
//! in files are reported after stdin's, once every file was scanned,
//! sorted by path and then offset, so the report is the same from run to
//! run.
//!
//! Each input is also scanned through a UTF-16LE view
//! ([`secretscan::utf16`]) by a second stream of the same scanner, so that
//! text stored as UTF-16 in dumps is found at its raw byte offset. Files
//! that are archives (recognised by content) are opened through
//! [`secretscan::archive`], each member streamed through the same two
//! scans. Then the report's filters apply: confidence, inline allow
//! markers, fingerprints of `.secretscanignore`, and the baseline.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::io::{Cursor, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use ignore::{WalkBuilder, WalkState};
use rayon::prelude::*;
use secretscan::archive::{self, Limits};
use secretscan::baseline::Baseline;
use secretscan::parallel::DEFAULT_CHUNK_LEN;
use secretscan::report::{path_name, Record, Sink};
use secretscan::rules::Confidence;
use secretscan::suppress::InlineAllow;
use secretscan::utf16::Utf16View;
use secretscan::{Finding, Fingerprint, ParallelStream, Scanner};

use super::config::{Input, ScanConfig};
use super::input::{name, read_some};
use super::project::{absolute, Ignore};
use super::{open_report, print_error, Exit};

/// Bytes read from a file (or stdin) at once.
const READ_SIZE: usize = 256 * 1024;

/// Regular files at least this large are scanned in parallel chunks (when
/// there is more than one thread): smaller ones are one chunk anyway.
const PARALLEL_FILE_LEN: u64 = 2 * DEFAULT_CHUNK_LEN as u64;

/// Bytes read at once from a file scanned in parallel chunks.
const BLOCK_READ_SIZE: usize = 1 << 20;

/// Stdin that sends nothing for this long is taken as interactive (`tail
/// -f`): it goes on sequentially, so that each finding is reported as its
/// line goes by.
const STALL: Duration = Duration::from_millis(50);

/// What scanning one input (or failing to) produced.
struct Outcome {
    input: Input,
    hits: Vec<Hit>,
    /// Why the input (or members of it) could not be wholly read; `hits`
    /// has what was found.
    errors: Vec<anyhow::Error>,
}

struct Hit {
    /// The archive member it was found in (`input!inner/path`), if any.
    member: Option<Arc<str>>,
    finding: Finding,
    /// The secret's bytes, kept only for `--show-secrets` and baselines.
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

/// One stream of findings with the report's filter applied: confidence,
/// then allow markers on the finding's line.
struct Filtered {
    stream: secretscan::StreamScanner,
    allow: Option<InlineAllow>,
    filter: Filter,
    rules: usize,
}

impl Filtered {
    fn new(scanner: &Scanner, filter: Filter, capture: bool) -> Filtered {
        let mut stream = scanner.stream();
        stream.capture_secrets(capture);
        Filtered {
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

/// A stream of one input: its raw bytes and its UTF-16LE view, each
/// scanned and filtered; findings of the view carry raw offsets.
struct FilteredStream {
    raw: Filtered,
    wide: Filtered,
    view: Utf16View,
    narrow: Vec<u8>,
}

impl FilteredStream {
    fn new(scanner: &Scanner, filter: Filter, capture: bool) -> FilteredStream {
        FilteredStream {
            raw: Filtered::new(scanner, filter, capture),
            wide: Filtered::new(scanner, filter, capture),
            view: Utf16View::new(scanner),
            narrow: vec![],
        }
    }

    fn push(&mut self, chunk: &[u8]) -> Vec<Finding> {
        let mut found = self.raw.push(chunk);
        self.narrow.clear();
        self.view.push(chunk, &mut self.narrow);
        if !self.narrow.is_empty() {
            let wide = self.wide.push(&self.narrow);
            self.map_wide(wide, &mut found);
        }
        found
    }

    fn finish(&mut self) -> Vec<Finding> {
        let mut found = self.raw.finish();
        self.narrow.clear();
        self.view.finish(&mut self.narrow);
        let mut wide = self.wide.push(&self.narrow);
        wide.extend(self.wide.finish());
        self.map_wide(wide, &mut found);
        found
    }

    fn map_wide(&self, wide: Vec<Finding>, out: &mut Vec<Finding>) {
        for mut f in wide {
            if self.view.map(&mut f) {
                out.push(f);
            }
        }
    }
}

/// [`FilteredStream`] with the raw bytes scanned in parallel blocks (a
/// [`ParallelStream`]); the UTF-16LE view is scanned meanwhile as a
/// sequential stream: it is one `memchr` pass over text without `00`
/// bytes, and small for binary data.
struct ParallelFiltered {
    raw: ParallelStream,
    allow: Option<InlineAllow>,
    /// Bytes pushed but not yet given to `allow`: it takes each byte with
    /// the findings up to it, and the parallel scan reports a block later.
    unfiltered: Vec<u8>,
    /// How many of them `allow` has taken.
    given: usize,
    filter: Filter,
    rules: usize,
    wide: Filtered,
    view: Utf16View,
    narrow: Vec<u8>,
}

impl ParallelFiltered {
    fn new(scanner: &Scanner, filter: Filter, capture: bool) -> ParallelFiltered {
        let mut raw = scanner.parallel_stream(DEFAULT_CHUNK_LEN);
        raw.capture_secrets(capture);
        ParallelFiltered {
            raw,
            allow: filter.inline_allow.then(|| InlineAllow::new(scanner)),
            unfiltered: vec![],
            given: 0,
            filter,
            rules: scanner.rules().len(),
            wide: Filtered::new(scanner, filter, capture),
            view: Utf16View::new(scanner),
            narrow: vec![],
        }
    }

    fn push(&mut self, chunk: &[u8]) -> Vec<Finding> {
        let (raw, view, narrow, wide) = (
            &mut self.raw,
            &mut self.view,
            &mut self.narrow,
            &mut self.wide,
        );
        let (found, wide_found) = rayon::join(
            || raw.push(chunk),
            || {
                narrow.clear();
                view.push(chunk, narrow);
                if narrow.is_empty() {
                    vec![]
                } else {
                    wide.push(narrow)
                }
            },
        );
        let mut out = self.raw_filter(chunk, found, false);
        self.map_wide(wide_found, &mut out);
        out
    }

    /// Appends `chunk` to the bytes waiting for `allow`, and returns the
    /// range of them that the findings returned so far cover.
    fn scanned(&mut self, chunk: &[u8], last: bool) -> Range<usize> {
        if self.allow.is_none() {
            return 0..0;
        }
        // Compact in large steps only: a copy of what waits on every push
        // would cost more than the scan.
        if self.given > self.unfiltered.len() / 2 {
            self.unfiltered.drain(..self.given);
            self.given = 0;
        }
        self.unfiltered.extend_from_slice(chunk);
        let waiting = if last {
            0
        } else {
            (self.raw.offset() - self.raw.scanned_to()) as usize
        };
        let to = self.unfiltered.len() - waiting;
        let from = std::mem::replace(&mut self.given, to);
        from..to
    }

    /// Goes on sequentially: every finding that a [`FilteredStream`]
    /// would have reported by now is reported.
    fn go_sequential(&mut self) -> Vec<Finding> {
        let found = self.raw.go_sequential();
        self.raw_filter(&[], found, false)
    }

    fn finish(&mut self) -> Vec<Finding> {
        let found = self.raw.finish();
        let mut out = self.raw_filter(&[], found, true);
        self.narrow.clear();
        self.view.finish(&mut self.narrow);
        let mut wide = self.wide.push(&self.narrow);
        wide.extend(self.wide.finish());
        self.map_wide(wide, &mut out);
        out
    }

    fn raw_filter(&mut self, chunk: &[u8], mut found: Vec<Finding>, last: bool) -> Vec<Finding> {
        found.retain(|f| self.filter.keeps(f, self.rules));
        let scanned = self.scanned(chunk, last);
        match &mut self.allow {
            Some(allow) => {
                let mut out = vec![];
                allow.push(&self.unfiltered[scanned], found, &mut out);
                if last {
                    allow.finish(vec![], &mut out);
                }
                out
            }
            None => found,
        }
    }

    fn map_wide(&self, wide: Vec<Finding>, out: &mut Vec<Finding>) {
        for mut f in wide {
            if self.view.map(&mut f) {
                out.push(f);
            }
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

/// What the report leaves out beyond the per-stream filters, and the
/// baseline being written.
struct Reporting<'a> {
    ignore: &'a Ignore,
    cwd: &'a Path,
    show: bool,
    baseline: Option<&'a Baseline>,
    write: Option<&'a mut Baseline>,
}

/// How baselines name a finding in `input` (member `member`, if any).
fn key_path(ignore: &Ignore, cwd: &Path, input: &Input, member: Option<&str>) -> String {
    match input {
        Input::Stdin => "<stdin>".to_string(),
        Input::Path(p) => {
            let mut key = ignore.key(&absolute(cwd, p));
            // `outer!inner`: the part after the input's own name.
            if let Some(m) = member {
                let own = name(input);
                key.push_str(m.strip_prefix(own.as_str()).unwrap_or(m));
            }
            key
        }
    }
}

impl Reporting<'_> {
    /// Whether a finding is reported; records it in the baseline being
    /// written.
    fn keep(
        &mut self,
        input: &Input,
        member: Option<&str>,
        f: &Finding,
        secret: Option<&[u8]>,
    ) -> bool {
        let (ignore, cwd) = (self.ignore, self.cwd);
        ignore.keeps(
            self.baseline,
            self.write.as_deref_mut(),
            || key_path(ignore, cwd, input, member),
            f,
            secret,
        )
    }
}

pub fn run(c: ScanConfig) -> Result<Exit> {
    // One pool for the whole run: `--threads 1` is one scanning thread.
    // NOTE: the global pool, built once, since the library's parallel
    // scans run on the current pool; it can fail only when some earlier
    // code built it, and then that pool is used.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(c.threads.unwrap_or(0))
        .build_global();
    let threads = rayon::current_num_threads();
    let mut outcomes = vec![];
    let mut files = vec![];
    let mut roots = vec![];
    let mut read_stdin = false;
    let output = c.output.as_ref().map(|p| absolute(&c.cwd, p));
    for input in c.inputs {
        match input {
            Input::Stdin => read_stdin = true,
            Input::Path(path) => match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => roots.push(path),
                // Named explicitly: scanned whatever it is (a FIFO from
                // `<(cmd)`, a device); only walks skip special files.
                Ok(_) => {
                    if !c.ignore.excludes(&absolute(&c.cwd, &path), false) {
                        files.push(path);
                    }
                }
                Err(e) => outcomes.push(failure(Input::Path(path), e)),
            },
        }
    }
    let output = output.as_deref();

    let scanner = &c.scanner;
    let show = c.show_secrets;
    let capture = show || c.baseline.is_some() || c.write_baseline.is_some();
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
    let archives = c.archives;
    let (out_name, out_file) = open_report(c.output.as_deref())?;
    let write_error = format!("{out_name}: write error");
    let mut out = BufWriter::with_capacity(64 * 1024, out_file);
    let mut sink: Box<dyn Sink + '_> = if c.format == secretscan::report::Format::Human {
        Box::new(secretscan::report::HumanWriter::new(&mut out).with_summary(c.summary))
    } else {
        c.format.sink(&mut out)
    };
    let mut progress = Progress::default();
    let mut write_baseline = c.write_baseline;
    let mut reporting = Reporting {
        ignore: &c.ignore,
        cwd: &c.cwd,
        show,
        baseline: c.baseline.as_ref(),
        write: write_baseline.as_mut().map(|(_, b)| b),
    };
    // Set when the report ends early (an output error, or the sink asked
    // to stop), so that the file scans stop too.
    let cancel = AtomicBool::new(false);

    let (ignore, cwd) = (&c.ignore, c.cwd.as_path());
    let (streamed, file_outcomes) = thread::scope(|s| {
        let cancel = &cancel;
        // The walk sends each file as it finds it; the pool scans it at
        // once. The report is sorted afterwards, so the order in which the
        // walk's threads find files does not matter.
        let (found_tx, found_rx) = mpsc::channel::<Walked>();
        s.spawn(move || {
            for path in files {
                let _ = found_tx.send(Walked::File(path));
            }
            for root in roots {
                walk(&root, ignore, cwd, threads, &found_tx, cancel);
            }
        });
        let file_scans = s.spawn(move || {
            // A path named twice (or named and walked) is scanned once.
            let seen = Mutex::new(HashSet::new());
            found_rx
                .into_iter()
                .par_bridge()
                .map_init(
                    || vec![0u8; READ_SIZE],
                    |buf, walked| match walked {
                        Walked::Failed(outcome) => Some(outcome),
                        Walked::File(path) => {
                            // The report being written is no input.
                            if output.is_some_and(|out| absolute(cwd, &path) == out)
                                || !seen
                                    .lock()
                                    .expect("no panic holding it")
                                    .insert(path.clone())
                            {
                                return None;
                            }
                            Some(scan_file(
                                scanner, path, filter, capture, archives, buf, cancel, threads,
                            ))
                        }
                    },
                )
                .flatten()
                .collect::<Vec<_>>()
        });
        let streamed = if read_stdin && threads > 1 {
            stream_stdin_parallel(
                scanner,
                filter,
                capture,
                live,
                &mut reporting,
                &mut *sink,
                &mut progress,
                &write_error,
            )
        } else if read_stdin {
            stream_stdin(
                scanner,
                filter,
                capture,
                live,
                &mut reporting,
                &mut *sink,
                &mut progress,
                &write_error,
            )
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
        for e in outcome.errors.drain(..) {
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
            let member = hit.member.as_deref();
            if !reporting.keep(&outcome.input, member, &hit.finding, hit.secret.as_deref()) {
                continue;
            }
            let shown = if show { hit.secret.as_deref() } else { None };
            if !report(
                &mut *sink,
                scanner,
                member.unwrap_or(&path),
                &hit.finding,
                shown,
                live,
                &mut progress,
                &write_error,
            )? {
                break 'report;
            }
        }
    }
    sink.finish().context(write_error.clone())?;
    drop(sink);
    out.flush().context(write_error)?;
    if let Some((file, baseline)) = &write_baseline {
        if progress.stopped {
            bail!(
                "{}: baseline not written: the report ended early",
                path_name(file)
            );
        }
        baseline.save(file)?;
        return Ok(if progress.errors {
            Exit::Error
        } else {
            Exit::Clean
        });
    }
    Ok(if progress.errors {
        Exit::Error
    } else if progress.found {
        Exit::Found
    } else {
        Exit::Clean
    })
}

/// Writes one finding to `sink`; returns whether to go on.
// NOTE: each argument is a different piece of the report state; a struct
// holding them would be built and torn down per finding.
#[allow(clippy::too_many_arguments)]
fn report(
    sink: &mut dyn Sink,
    scanner: &Scanner,
    path: &str,
    finding: &Finding,
    secret: Option<&[u8]>,
    live: Option<&HashSet<Fingerprint>>,
    progress: &mut Progress,
    write_error: &str,
) -> Result<bool> {
    progress.found = true;
    let mut record = Record::new(scanner, path, finding);
    if let Some(live) = live {
        record = record.with_live(live.contains(&finding.fingerprint));
    }
    if let Some(secret) = secret {
        record = record.with_secret(secret);
    }
    let go_on = sink
        .record(&record)
        .with_context(|| write_error.to_string())?;
    progress.stopped |= !go_on;
    Ok(go_on)
}

/// Scans stdin, reporting each batch of findings as the stream settles it
/// (they come in order) and flushing the output after each read, so that
/// nothing waits for the end of input and no finding is kept. A read error
/// is printed (after what was found before it) and recorded in `progress`;
/// an output error is returned. Stdin is not opened as an archive: it is
/// reported as it streams.
#[allow(clippy::too_many_arguments)]
fn stream_stdin(
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
fn stdin_read_error(e: io::Error, progress: &mut Progress) {
    let path = name(&Input::Stdin);
    print_error(&anyhow::Error::new(e).context(format!("{path}: read error")));
    progress.errors = true;
}

/// Reports one batch of stdin's findings and flushes the output; returns
/// whether to go on.
#[allow(clippy::too_many_arguments)]
fn emit_stdin(
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
fn stream_stdin_parallel(
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

fn failure(input: Input, e: impl Into<anyhow::Error>) -> Outcome {
    let error = e.into().context(name(&input));
    Outcome {
        input,
        hits: vec![],
        errors: vec![error],
    }
}

/// What the walk sends: a file to scan, or an entry that cannot be read.
enum Walked {
    File(PathBuf),
    Failed(Outcome),
}

/// Sends the regular files under `root`, and an outcome for each entry
/// that cannot be read, as ignore's parallel walker (`threads` threads)
/// finds them. Symbolic links are not followed (a link inside the tree
/// would scan its target twice, or leave the tree). Excluded paths
/// (`ignore`) are skipped, directories without descending. Stops early
/// when `cancel` is set.
fn walk(
    root: &Path,
    ignore: &Ignore,
    cwd: &Path,
    threads: usize,
    found: &mpsc::Sender<Walked>,
    cancel: &AtomicBool,
) {
    let base = absolute(cwd, root);
    let root_owned = root.to_path_buf();
    // The walker's filter must own what it uses.
    let ignore_owned = ignore.clone();
    let walker = WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .threads(threads)
        .filter_entry(move |e| {
            if e.depth() == 0 {
                return true;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if e.file_name() == ".git" && is_dir {
                return false;
            }
            let rel = e.path().strip_prefix(&root_owned).unwrap_or(e.path());
            !ignore_owned.excludes(&base.join(rel), is_dir)
        })
        .build_parallel();
    walker.run(|| {
        let found = found.clone();
        Box::new(move |entry| {
            if cancel.load(Ordering::Relaxed) {
                return WalkState::Quit;
            }
            let walked = match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => Walked::File(e.into_path()),
                Ok(_) => return WalkState::Continue,
                Err(err) => {
                    let path = error_path(&err).unwrap_or(root).to_path_buf();
                    // `path: OS error`, as for files; ignore's own message
                    // would name the path twice.
                    let error = match err.io_error().and_then(os_error) {
                        Some(os) => anyhow!("{}: {os}", path_name(&path)),
                        None => anyhow!(err),
                    };
                    Walked::Failed(Outcome {
                        input: Input::Path(path),
                        hits: vec![],
                        errors: vec![error],
                    })
                }
            };
            match found.send(walked) {
                Ok(()) => WalkState::Continue,
                Err(_) => WalkState::Quit,
            }
        })
    });
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

#[allow(clippy::too_many_arguments)]
fn scan_file(
    scanner: &Scanner,
    path: PathBuf,
    filter: Filter,
    capture: bool,
    archives: Option<Limits>,
    buf: &mut [u8],
    cancel: &AtomicBool,
    threads: usize,
) -> Outcome {
    let input = Input::Path(path);
    let Input::Path(path) = &input else {
        unreachable!("just built")
    };
    if cancel.load(Ordering::Relaxed) {
        return Outcome {
            input,
            hits: vec![],
            errors: vec![],
        };
    }
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return failure(input, e),
    };
    let mut head = Vec::with_capacity(archive::SNIFF_LEN);
    let meta = file.metadata().ok();
    // Only regular files: a FIFO cannot be read twice.
    let regular = meta.as_ref().is_some_and(|m| m.is_file());
    let large = regular && meta.is_some_and(|m| m.len() >= PARALLEL_FILE_LEN);
    if let Some(limits) = archives {
        if regular {
            if let Err(e) = (&mut file)
                .take(archive::SNIFF_LEN as u64)
                .read_to_end(&mut head)
            {
                let error = anyhow::Error::new(e).context(format!("{}: read error", name(&input)));
                return Outcome {
                    input,
                    hits: vec![],
                    errors: vec![error],
                };
            }
            if let Some(kind) = archive::sniff(&head) {
                return scan_archive(
                    scanner, input, kind, file, &limits, filter, capture, buf, cancel,
                );
            }
        }
    }
    let reader = Cursor::new(head).chain(&file);
    let (hits, error) = if large && threads > 1 {
        scan_reader_parallel(scanner, reader, filter, capture, cancel)
    } else {
        scan_reader(scanner, reader, filter, capture, buf, cancel)
    };
    finish(input, hits, error)
}

/// Scans every member of an archive; each member's findings are named
/// `input!member`.
#[allow(clippy::too_many_arguments)]
fn scan_archive(
    scanner: &Scanner,
    input: Input,
    kind: archive::Kind,
    file: File,
    limits: &Limits,
    filter: Filter,
    capture: bool,
    buf: &mut [u8],
    cancel: &AtomicBool,
) -> Outcome {
    let own = name(&input);
    let mut hits = vec![];
    let mut errors = vec![];
    let mut visit = |member: &str, reader: &mut dyn Read| -> io::Result<()> {
        let (found, error) = scan_reader(scanner, reader, filter, capture, buf, cancel);
        let member: Arc<str> = Arc::from(member);
        hits.extend(found.into_iter().map(|h| Hit {
            member: Some(member.clone()),
            ..h
        }));
        error.map_or(Ok(()), Err)
    };
    archive::walk_file(&own, kind, file, limits, &mut visit, &mut errors);
    let mut outcome = finish(input, hits, None);
    outcome
        .errors
        .extend(errors.into_iter().map(anyhow::Error::new));
    outcome
}

fn finish(input: Input, mut hits: Vec<Hit>, error: Option<io::Error>) -> Outcome {
    hits.sort_by(|a, b| {
        (
            a.member.as_deref(),
            a.finding.secret.start,
            a.finding.secret.end,
            a.finding.rule_index,
        )
            .cmp(&(
                b.member.as_deref(),
                b.finding.secret.start,
                b.finding.secret.end,
                b.finding.rule_index,
            ))
    });
    let errors = error
        .map(|e| anyhow::Error::new(e).context(format!("{}: read error", name(&input))))
        .into_iter()
        .collect();
    Outcome {
        input,
        hits,
        errors,
    }
}

/// Scans everything `reader` yields (or until `cancel` is set); on a read
/// error, returns what was found before it along with the error.
fn scan_reader(
    scanner: &Scanner,
    mut reader: impl Read,
    filter: Filter,
    capture: bool,
    buf: &mut [u8],
    cancel: &AtomicBool,
) -> (Vec<Hit>, Option<io::Error>) {
    let mut stream = FilteredStream::new(scanner, filter, capture);
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

/// [`scan_reader`] through a [`ParallelFiltered`] stream: read in large
/// blocks, each scanned in parallel chunks.
fn scan_reader_parallel(
    scanner: &Scanner,
    mut reader: impl Read,
    filter: Filter,
    capture: bool,
    cancel: &AtomicBool,
) -> (Vec<Hit>, Option<io::Error>) {
    let mut stream = ParallelFiltered::new(scanner, filter, capture);
    let mut buf = vec![0u8; BLOCK_READ_SIZE];
    let mut hits = vec![];
    let mut error = None;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return (hits, None);
        }
        let n = match read_some(&mut reader, &mut buf) {
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
        hits.push(Hit {
            member: None,
            finding,
            secret,
        });
    }
}
