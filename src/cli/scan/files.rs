//! Files and trees: the parallel walk, and each file (or archive member)
//! streamed through the scanner and its UTF-16 view.

use super::*;

pub(super) fn failure(input: Input, e: impl Into<anyhow::Error>) -> Outcome {
    let error = e.into().context(name(&input));
    Outcome {
        input,
        hits: vec![],
        errors: vec![error],
    }
}

/// What the walk sends: a file to scan, or an entry that cannot be read.
pub(super) enum Walked {
    File(PathBuf),
    Failed(Outcome),
}

/// Sends the regular files under `root`, and an outcome for each entry
/// that cannot be read, as ignore's parallel walker (`threads` threads)
/// finds them. Symbolic links are not followed (a link inside the tree
/// would scan its target twice, or leave the tree). Excluded paths
/// (`ignore`) are skipped, directories without descending. Stops early
/// when `cancel` is set.
pub(super) fn walk(
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
pub(super) fn os_error(io: &io::Error) -> Option<io::Error> {
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

pub(super) fn error_path(err: &ignore::Error) -> Option<&Path> {
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
pub(super) fn scan_file(
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
pub(super) fn scan_archive(
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

pub(super) fn finish(input: Input, mut hits: Vec<Hit>, error: Option<io::Error>) -> Outcome {
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
pub(super) fn scan_reader(
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
pub(super) fn scan_reader_parallel(
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

pub(super) fn collect(hits: &mut Vec<Hit>, found: Vec<Finding>) {
    for mut finding in found {
        let secret = finding.value.take().map(Vec::from);
        hits.push(Hit {
            member: None,
            finding,
            secret,
        });
    }
}
