//! Scanning the blobs: packs decoded whole on all threads, each distinct
//! blob scanned once, large blobs through the stream API.

use super::*;

/// A blob to scan, with where it was first met (for error messages).
pub(super) struct Job {
    pub(super) id: ObjectId,
    pub(super) path: BString,
    pub(super) commit: Option<ObjectId>,
}

/// A blob's findings.
pub(super) struct BlobHits {
    pub(super) id: ObjectId,
    /// Where the blob was first met.
    pub(super) path: BString,
    pub(super) findings: Vec<Finding>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A worker that panicked left nothing half-written that matters here;
    // the scope re-raises its panic.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl HistoryScan {
    /// Scans the blobs of the repository's packs by decoding each pack
    /// whole, on all threads: every delta is applied once to its decoded
    /// base, rather than its chain being decompressed anew for each blob
    /// (what reading blobs one by one in history order costs).
    ///
    /// With `wanted`, only those blobs are scanned, and a pack is decoded
    /// only when they are a fair share of it (a short range reads its few
    /// blobs one by one instead); without, every blob is. Returns the blobs
    /// with findings (without paths) and the ids of every blob scanned.
    /// Objects that fail to decode here are not scanned: they are left for
    /// [`Self::scan_blobs`], which reports them by name.
    pub(super) fn traverse_packs(
        &self,
        packs: &Packs,
        wanted: Option<&gix::hashtable::HashMap<ObjectId, usize>>,
        progress: &Progress,
        stop: &AtomicBool,
    ) -> (Vec<BlobHits>, HashSet) {
        let found = Mutex::new(vec![]);
        let scanned = Mutex::new(HashSet::default());
        for (index, data) in &packs.list {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if let Some(wanted) = wanted {
                let scanned = lock(&scanned);
                let in_pack = wanted
                    .keys()
                    .filter(|id| !scanned.contains(*id) && index.lookup(id).is_some())
                    .count();
                // Blobs are about a third of a pack's objects.
                if in_pack == 0 || in_pack * 8 < index.num_objects() as usize {
                    continue;
                }
            }
            let processor = |kind: Kind,
                             bytes: &[u8],
                             entry: &pack::index::Entry,
                             _: &dyn gix::progress::Progress|
             -> Result<(), std::convert::Infallible> {
                if kind != Kind::Blob || wanted.is_some_and(|w| !w.contains_key(&entry.oid)) {
                    return Ok(());
                }
                // A blob may sit in more than one pack.
                if !lock(&scanned).insert(entry.oid) {
                    return Ok(());
                }
                let findings = self.scan_bytes(bytes, progress);
                if !findings.is_empty() {
                    lock(&found).push(BlobHits {
                        id: entry.oid,
                        path: BString::default(),
                        findings,
                    });
                }
                Ok(())
            };
            // Decode errors do not abort: the objects they hit are left
            // out. Checksums are not verified (reading is not fsck).
            let _ = index.traverse(
                data,
                &mut gix::progress::Discard,
                stop,
                processor,
                pack::index::traverse::Options {
                    traversal: pack::index::traverse::Algorithm::DeltaTreeLookup,
                    thread_limit: Some(self.threads),
                    check: pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerificationAndNoAbortOnDecodeError,
                    make_pack_lookup_cache: || pack::cache::Never,
                },
            );
        }
        (
            found.into_inner().unwrap_or_else(|p| p.into_inner()),
            scanned.into_inner().unwrap_or_else(|p| p.into_inner()),
        )
    }

    /// Runs `feed` on this thread, handing it a function that queues a
    /// blob for the worker threads; returns the blobs with findings, in no
    /// particular order, and the blobs that could not be read.
    ///
    /// NOTE: dedicated threads rather than rayon tasks: the workers block
    /// on a bounded channel (which is what bounds memory), and blocking
    /// rayon's workers would stall any other rayon work in the process.
    pub(super) fn scan_blobs(
        &self,
        ctx: &Ctx,
        packs: &Packs,
        progress: &Progress,
        feed: impl FnOnce(&mut dyn FnMut(Job)),
    ) -> (Vec<BlobHits>, Vec<GitError>) {
        let (tx, rx) = mpsc::sync_channel::<Job>(self.threads * 64);
        let rx = Mutex::new(rx);
        let hits = Mutex::new(vec![]);
        let errors = Mutex::new(vec![]);
        thread::scope(|s| {
            for _ in 0..self.threads {
                s.spawn(|| {
                    let repo = ctx.sync.to_thread_local();
                    let mut buf = vec![];
                    loop {
                        // The guard is dropped at the end of the statement:
                        // other workers take jobs while this one scans.
                        let job = lock(&rx).recv();
                        let Ok(job) = job else { break };
                        match self.scan_blob(ctx, packs, &repo, &job, &mut buf, progress) {
                            Ok(found) if found.is_empty() => {}
                            Ok(found) => lock(&hits).push(BlobHits {
                                id: job.id,
                                path: job.path,
                                findings: found,
                            }),
                            Err(e) => lock(&errors).push(e),
                        }
                    }
                });
            }
            feed(&mut |job| {
                // Fails only when every worker is gone, which a panic
                // would have caused; the scope re-raises it.
                let _ = tx.send(job);
            });
            drop(tx);
        });
        let mut errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
        // Workers finish in any order; report errors in a stable one.
        errors.sort_by_key(|e| match e {
            GitError::Object { id, .. } => Some(*id),
            _ => None,
        });
        (hits.into_inner().unwrap_or_else(|p| p.into_inner()), errors)
    }

    /// Reads and scans one blob; returns its findings after the report
    /// filter.
    pub(super) fn scan_blob(
        &self,
        ctx: &Ctx,
        packs: &Packs,
        repo: &gix::Repository,
        job: &Job,
        buf: &mut Vec<u8>,
        progress: &Progress,
    ) -> Result<Vec<Finding>, GitError> {
        // Built only on error: this runs once per blob.
        let object_error = |source: BoxError| GitError::Object {
            repo: ctx.name.clone(),
            kind: "blob",
            id: job.id,
            place: match job.commit {
                Some(c) => format!(" (at {} in commit {c})", path_text(job.path.as_ref())),
                None => format!(" (at {})", path_text(job.path.as_ref())),
            },
            source,
        };
        if let Some(e) = packs.corrupt_holding(&job.id) {
            return Err(object_error(e));
        }
        let data = match repo.objects.try_find(&job.id, buf) {
            Ok(Some(data)) => data,
            Ok(None) => return Err(object_error("object not found".into())),
            Err(e) => return Err(object_error(e)),
        };
        if data.kind != Kind::Blob {
            return Err(object_error(format!("it is a {}", data.kind).into()));
        }
        let bytes = data.data;
        let found = self.scan_bytes(bytes, progress);
        if bytes.len() > self.large_blob {
            // Keep no multi-megabyte buffer per thread for the small blobs
            // that make up most of a history.
            *buf = Vec::new();
        }
        Ok(found)
    }

    /// Scans one blob's content; returns its findings after the report
    /// filter, and counts it in `progress`.
    pub(super) fn scan_bytes(&self, bytes: &[u8], progress: &Progress) -> Vec<Finding> {
        progress.blobs.fetch_add(1, Ordering::Relaxed);
        progress
            .bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let mut found = if bytes.len() > self.large_blob {
            self.scan_streamed(bytes)
        } else {
            let mut found = self.scanner.scan(bytes);
            found.retain(|f| f.confidence >= self.min_confidence);
            if self.inline_allow && !found.is_empty() {
                let mut allow = InlineAllow::new(&self.scanner);
                let mut kept = vec![];
                allow.push(bytes, found, &mut kept);
                allow.finish(vec![], &mut kept);
                found = kept;
            }
            found
        };
        if self.capture {
            for f in &mut found {
                let span = f.secret.start as usize..f.secret.end as usize;
                f.value = bytes.get(span).map(Box::from);
            }
        }
        progress
            .findings
            .fetch_add(found.len() as u64, Ordering::Relaxed);
        found
    }

    /// Scans a large blob in chunks through the stream API, whose working
    /// memory is bounded by the chunk and the longest match, not the blob.
    pub(super) fn scan_streamed(&self, bytes: &[u8]) -> Vec<Finding> {
        let mut stream = self.scanner.stream();
        let mut allow = self.inline_allow.then(|| InlineAllow::new(&self.scanner));
        let mut out = vec![];
        let min = self.min_confidence;
        let mut take = |mut found: Vec<Finding>, out: &mut Vec<Finding>, chunk: Option<&[u8]>| {
            found.retain(|f| f.confidence >= min);
            match (&mut allow, chunk) {
                (Some(a), Some(chunk)) => a.push(chunk, found, out),
                (Some(a), None) => a.finish(found, out),
                (None, _) => out.extend(found),
            }
        };
        for chunk in bytes.chunks(STREAM_CHUNK) {
            let found = stream.push(chunk);
            take(found, &mut out, Some(chunk));
        }
        let found = stream.finish();
        take(found, &mut out, None);
        out
    }
}
