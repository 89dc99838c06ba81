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
use std::io::Cursor;
use std::io::{self, BufWriter, Read};
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
use super::{finish_output, open_report, print_error, Exit};

mod files;
mod filter;
mod stdin;

use self::files::*;
use self::filter::*;
use self::stdin::*;

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
    // scans run on the current pool. `Config::new` builds it before the
    // scanner (whose compile runs on it); this covers configs made
    // otherwise.
    crate::cli::config::init_thread_pool(c.threads);
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
    finish_output(out, &out_name)?;
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
