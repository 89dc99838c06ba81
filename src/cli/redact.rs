//! `secretscan redact`: input to output with every secret replaced, as a
//! stream.
//!
//! Each read (up to 64 KiB; a pipe returns whatever is there) goes into a
//! [`secretscan::RedactWriter`], which is flushed after every read: so
//! every byte that can no longer be part of a secret, in particular every
//! complete line, reaches the output as soon as it was read, and
//! `tail -f app.log | secretscan redact` shows each line at once. Only the
//! bytes that could still begin a secret are held back, until more input
//! or the end of input decides them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use secretscan::report::output::{AtomicFile, Output};
use secretscan::report::{escape_message, path_name};
use secretscan::rotation::KnownSources;
use secretscan::KnownSecrets;

use super::config::{Input, RedactConfig};
use super::input::{name, read_some, same_file, stdin_metadata};
use super::Exit;

/// The most bytes read (and so pushed into the redactor) at once.
const READ_SIZE: usize = 64 * 1024;

pub fn run(c: RedactConfig) -> Result<Exit> {
    let input_name = name(&c.input);
    let (mut reader, input_meta): (Box<dyn Read>, _) = match &c.input {
        Input::Stdin => (Box::new(io::stdin().lock()), stdin_metadata()),
        Input::Path(p) => {
            let file = File::open(p).with_context(|| input_name.clone())?;
            let meta = file.metadata().ok();
            (Box::new(file), meta)
        }
    };
    let (output, output_name): (Output, String) = match &c.output {
        None => (Output::Stdout(io::stdout()), "<stdout>".to_string()),
        Some(p) => {
            let output_name = path_name(p);
            if let (Some(inp), Ok(out)) = (&input_meta, std::fs::metadata(p)) {
                // NOTE: only regular files: /dev/null or a terminal may well
                // be both, and neither is truncated by opening it.
                if out.is_file() && same_file(inp, &out) {
                    bail!("{output_name}: the output is the input file; writing it would destroy the input before it is read");
                }
            }
            // Written beside the destination and renamed over it only when
            // the whole input is redacted: a failure (a full disk, a read
            // error, a signal) never leaves a truncated file that looks
            // like a finished redaction.
            let file = AtomicFile::create(p)
                .with_context(|| format!("{output_name}: cannot create output file"))?;
            (Output::File(file), output_name)
        }
    };
    let mut redactor = c
        .scanner
        .redact_writer(BufWriter::with_capacity(READ_SIZE, output));
    let watcher = c
        .known
        .map(|sources| Watcher::start(sources, c.poll, c.status));
    let mut buf = vec![0u8; READ_SIZE];
    let mut counted = 0;
    loop {
        let n = match read_some(&mut reader, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                // NOTE: not finish(): the held-back tail may be the start of
                // a secret cut off by the error, which no rule can recognise
                // any more. Write what is settled, drop the rest.
                let _ = redactor.abandon().flush();
                return Err(anyhow::Error::new(e).context(format!("{input_name}: read error")));
            }
        };
        if n == 0 {
            break;
        }
        if let Some(w) = &watcher {
            // Between writes: the bytes held back are decided by the new
            // set, those written by the old one; none by neither.
            if let Some(known) = w.take_new() {
                redactor.set_known(known);
            }
        }
        redactor
            .write_all(&buf[..n])
            .and_then(|()| redactor.flush())
            .with_context(|| format!("{output_name}: write error"))?;
        if let Some(w) = &watcher {
            if redactor.redacted() != counted {
                counted = redactor.redacted();
                w.set_counts(redactor.redacted_by_label());
            }
        }
    }
    let counts = redactor.redacted_by_label().clone();
    let out = redactor
        .finish()
        .with_context(|| format!("{output_name}: write error"))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(Output::finish)
        .with_context(|| format!("{output_name}: write error"))?;
    if let Some(w) = watcher {
        w.set_counts(&counts);
        w.stop();
    }
    Ok(Exit::Clean)
}

/// Re-reads the known sources every `poll` (and at once on SIGHUP) on a
/// thread of its own, so a blocked read of the input never delays a
/// reload; the redacting loop takes the newest set between writes.
struct Watcher {
    latest: Arc<Mutex<Option<KnownSecrets>>>,
    counts: Arc<Mutex<BTreeMap<Arc<str>, u64>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    fn start(mut sources: KnownSources, poll: Duration, status: Option<PathBuf>) -> Watcher {
        let latest = Arc::new(Mutex::new(None));
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let hangup = Arc::new(AtomicBool::new(false));
        #[cfg(unix)]
        {
            // Without the handler, SIGHUP would end the process; failing to
            // install it only loses the immediate reload.
            let _ = signal_hook::flag::register(signal_hook::consts::SIGHUP, hangup.clone());
        }
        let thread = {
            let (latest, counts, stop) = (latest.clone(), counts.clone(), stop.clone());
            thread::spawn(move || {
                let write_status = |sources: &KnownSources| {
                    if let Some(path) = &status {
                        let snapshot = sources.status(
                            SystemTime::now(),
                            &counts.lock().expect("no panic while holding the lock"),
                        );
                        if let Err(e) = write_atomically(path, &snapshot) {
                            warn(&format!("{}: cannot write status: {e}", path_name(path)));
                        }
                    }
                };
                write_status(&sources);
                let step = poll.min(Duration::from_millis(50));
                let mut last = Instant::now();
                loop {
                    thread::sleep(step);
                    let stopping = stop.load(Ordering::Relaxed);
                    if stopping {
                        write_status(&sources);
                        return;
                    }
                    if last.elapsed() < poll && !hangup.swap(false, Ordering::Relaxed) {
                        continue;
                    }
                    last = Instant::now();
                    let reload = sources.reload(SystemTime::now());
                    for e in &reload.errors {
                        warn(&format!("{e}: keeping the last good known secrets"));
                    }
                    if let Some(known) = reload.known {
                        super::config::warn_refused(&known);
                        *latest.lock().expect("no panic while holding the lock") = Some(known);
                    }
                    write_status(&sources);
                }
            })
        };
        Watcher {
            latest,
            counts,
            stop,
            thread: Some(thread),
        }
    }

    /// The set loaded since the last call, if any.
    fn take_new(&self) -> Option<KnownSecrets> {
        self.latest
            .lock()
            .expect("no panic while holding the lock")
            .take()
    }

    fn set_counts(&self, counts: &BTreeMap<Arc<str>, u64>) {
        *self.counts.lock().expect("no panic while holding the lock") = counts.clone();
    }

    /// Stops the thread after a last status snapshot.
    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn warn(message: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "secretscan: warning: {}",
        escape_message(message)
    );
}

/// Writes `value` as JSON to `path` through a temporary file and a rename,
/// so a reader never sees half a snapshot.
fn write_atomically(path: &std::path::Path, value: &impl serde::Serialize) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut file, value)?;
    file.write_all(b"\n")?;
    file.commit()
}
