//! Attribution: for each blob with findings and each path it sits at, the
//! first commit in history order that has it there, and how many later
//! commits still carry it.

use super::*;

/// Where one blob with findings sits at one path: the first commit (a
/// position in history order) and how many commits carry it there.
#[derive(Clone, Copy, Debug)]
pub(super) struct Occurrence {
    pub(super) first: usize,
    pub(super) commits: u64,
}

/// Merges the versions of a file that carry the same secret, and builds
/// the findings in history order. `occurrences` holds, for each blob of
/// `hits` (by index) and each path it sits at, its first commit and count
/// ([`HistoryScan::locate`]); with `unplaced`, blobs it does not place are
/// reported without a commit, at the path where they were met.
pub(super) fn attribute(
    ctx: &Ctx,
    objects: &mut Objects,
    (commits, order): (&[Node], &[usize]),
    hits: &[BlobHits],
    occurrences: HashMap<(u32, BString), Occurrence>,
    unplaced: bool,
) -> Vec<GitFinding> {
    let seen: HashMap<(u32, Rc<[u8]>), Occurrence> = occurrences
        .into_iter()
        .map(|((blob, path), o)| ((blob, Rc::from(&path[..])), o))
        .collect();
    // Merge the versions of a path that carry the same secret: the first
    // one introduced it; every commit that has any of them carries it (a
    // commit has one blob per path, so the counts add up).
    struct Group {
        first: usize,
        blob: u32,
        commits: u64,
    }
    // (path, rule id, fingerprint)
    type Key = (Rc<[u8]>, std::sync::Arc<str>, Fingerprint);
    let mut groups: HashMap<Key, Group> = HashMap::new();
    let mut placed = vec![false; hits.len()];
    for ((blob, path), occurrence) in &seen {
        placed[*blob as usize] = true;
        let mut keys: Vec<_> = hits[*blob as usize]
            .findings
            .iter()
            .map(|f| (f.rule_id.clone(), f.fingerprint))
            .collect();
        keys.sort();
        keys.dedup();
        for (rule, fingerprint) in keys {
            let group = groups
                .entry((path.clone(), rule, fingerprint))
                .or_insert(Group {
                    first: usize::MAX,
                    blob: *blob,
                    commits: 0,
                });
            group.commits += occurrence.commits;
            if (occurrence.first, *blob) < (group.first, group.blob) {
                group.first = occurrence.first;
                group.blob = *blob;
            }
        }
    }

    let mut infos: HashMap<usize, Option<CommitInfo>> = HashMap::new();
    let mut buf = vec![];
    let mut out: Vec<(usize, GitFinding)> = vec![];
    for ((path, rule, fingerprint), group) in &groups {
        let commit = commits[order[group.first]].id;
        let info = infos
            .entry(group.first)
            .or_insert_with(|| commit_info(ctx, objects, commit, &mut buf));
        let hit = &hits[group.blob as usize];
        for f in &hit.findings {
            if f.rule_id == *rule && f.fingerprint == *fingerprint {
                out.push((
                    group.first,
                    GitFinding {
                        path: path_text(path.as_bstr()),
                        finding: f.clone(),
                        blob: hit.id,
                        commit: info.clone().map(|mut info| {
                            info.later_commits = group.commits - 1;
                            info.blob = hit.id.to_string();
                            info
                        }),
                    },
                ));
            }
        }
    }
    // Blobs whose commit could not be told (a tree became unreadable
    // between the walks): still reported, at the path where they were met.
    for (hit, placed) in hits.iter().zip(placed) {
        if unplaced && !placed {
            for f in &hit.findings {
                out.push((
                    usize::MAX,
                    GitFinding {
                        path: path_text(hit.path.as_ref()),
                        finding: f.clone(),
                        blob: hit.id,
                        commit: None,
                    },
                ));
            }
        }
    }
    out.sort_by(|(a_first, a), (b_first, b)| {
        (
            a_first,
            &a.path,
            a.finding.secret.start,
            a.finding.rule_index,
        )
            .cmp(&(
                b_first,
                &b.path,
                b.finding.secret.start,
                b.finding.rule_index,
            ))
    });
    out.into_iter().map(|(_, f)| f).collect()
}

/// Wanted blobs placed below a tree: ids into [`Contents::places`].
pub(super) type Placed = Rc<[u32]>;

/// A wanted blob at a path relative to some tree: the blob in an entry of
/// that tree, or a place in a subtree under a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Place {
    Blob { name: u32, blob: u32 },
    Under { name: u32, place: u32 },
}

/// Where blobs sit in a history ([`HistoryScan::locate`]).
#[derive(Default)]
pub(super) struct Located {
    /// (blob, as an index into the hits, and path) -> its first commit and
    /// count.
    pub(super) occurrences: HashMap<(u32, BString), Occurrence>,
    /// Reachable blobs that were not scanned, each with one place it sits.
    pub(super) unscanned: Vec<Job>,
    /// Trees that could not be read.
    pub(super) errors: Vec<GitError>,
}

impl HistoryScan {
    /// Walks the trees of every commit to find, for each blob of `hits`
    /// and each path it sits at, the first commit in history order and the
    /// number of commits that carry it there. With `scanned` (the blobs
    /// scanned so far), also lists the reachable blobs not among them and
    /// reports the trees that cannot be read.
    ///
    /// The history is cut into runs of consecutive commits that the
    /// threads take newest first and walk newest commit first (so each
    /// tree's delta base was decoded just before, see [`Objects`]). Each
    /// thread memoises what it finds under each tree id, so it reads a
    /// tree once however many commits share it; a tree is read again only
    /// by another thread, about once per thread for the trees the runs
    /// share.
    pub(super) fn locate(
        &self,
        ctx: &Ctx,
        packs: &Packs,
        (commits, order): (&[Node], &[usize]),
        hits: &[BlobHits],
        scanned: Option<&HashSet>,
    ) -> Located {
        let wanted: gix::hashtable::HashMap<ObjectId, u32> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| (h.id, i as u32))
            .collect();
        let threads = self.threads.min(order.len()).max(1);
        // More runs than threads, so that threads that drew small trees
        // take more runs.
        let runs = if threads == 1 { 1 } else { threads * 4 };
        let run_len = order.len().div_ceil(runs).max(1);
        let next = AtomicUsize::new(0);
        let parts: Vec<(Located, Vec<(usize, Job)>)> = thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let repo = ctx.sync.to_thread_local();
                        let mut contents =
                            Contents::new(ctx, Objects::new(&repo, packs), &wanted, scanned);
                        let mut occurrences: Vec<Option<Occurrence>> = vec![];
                        loop {
                            let run = next.fetch_add(1, Ordering::Relaxed);
                            let end = order.len().saturating_sub(run * run_len);
                            if end == 0 {
                                break;
                            }
                            for position in (end.saturating_sub(run_len)..end).rev() {
                                let c = &commits[order[position]];
                                let placed =
                                    contents.of(c.tree, BStr::new(""), (position, c.id), 0);
                                occurrences.resize(contents.places.len(), None);
                                for &place in placed.iter() {
                                    match &mut occurrences[place as usize] {
                                        Some(o) => {
                                            o.first = o.first.min(position);
                                            o.commits += 1;
                                        }
                                        none => {
                                            *none = Some(Occurrence {
                                                first: position,
                                                commits: 1,
                                            })
                                        }
                                    }
                                }
                            }
                        }
                        // Paths are built once per place, here.
                        let mut located = Located::default();
                        for (place, o) in occurrences.iter().enumerate() {
                            if let Some(o) = o {
                                located
                                    .occurrences
                                    .insert(contents.resolve(place as u32), *o);
                            }
                        }
                        located.errors = std::mem::take(&mut contents.errors);
                        (located, std::mem::take(&mut contents.unscanned))
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });

        let mut out = Located::default();
        let mut unscanned = vec![];
        for (part, jobs) in parts {
            for (key, o) in part.occurrences {
                out.occurrences
                    .entry(key)
                    .and_modify(|had| {
                        had.first = had.first.min(o.first);
                        had.commits += o.commits;
                    })
                    .or_insert(o);
            }
            out.errors.extend(part.errors);
            unscanned.extend(jobs);
        }
        // Threads met some blobs and trees alike: one job and one error
        // each, in a stable order (naming the oldest commit met).
        unscanned.sort_by_key(|(position, job)| (job.id, *position));
        unscanned.dedup_by_key(|(_, job)| job.id);
        out.unscanned = unscanned.into_iter().map(|(_, job)| job).collect();
        out.errors.sort_by_key(|e| match e {
            GitError::Object { id, .. } | GitError::TooDeep { id, .. } => Some(*id),
            _ => None,
        });
        out.errors.dedup_by(|a, b| match (&*a, &*b) {
            (GitError::Object { id: x, .. }, GitError::Object { id: y, .. })
            | (GitError::TooDeep { id: x, .. }, GitError::TooDeep { id: y, .. }) => x == y,
            _ => false,
        });
        out
    }
}

/// The wanted blobs under each tree, as interned places (so a path is
/// built from integers, not strings, however many trees share it);
/// memoised per tree id. With the scanned blobs, it also lists the blobs
/// it meets that were not scanned, and reports trees it cannot read.
pub(super) struct Contents<'a> {
    pub(super) ctx: &'a Ctx,
    pub(super) objects: Objects<'a>,
    pub(super) wanted: &'a gix::hashtable::HashMap<ObjectId, u32>,
    pub(super) scanned: Option<&'a HashSet>,
    /// Blobs met that are neither wanted nor scanned, with the position of
    /// the commit they were met in.
    pub(super) unscanned: Vec<(usize, Job)>,
    pub(super) listed: HashSet,
    pub(super) errors: Vec<GitError>,
    pub(super) memo: gix::hashtable::HashMap<ObjectId, Placed>,
    /// The value of every tree without wanted blobs (no allocation each).
    pub(super) nothing: Placed,
    pub(super) names: HashMap<BString, u32>,
    pub(super) name_list: Vec<BString>,
    pub(super) places: Vec<Place>,
    pub(super) place_ids: HashMap<Place, u32>,
    pub(super) buf: Vec<u8>,
}

impl<'a> Contents<'a> {
    pub(super) fn new(
        ctx: &'a Ctx,
        objects: Objects<'a>,
        wanted: &'a gix::hashtable::HashMap<ObjectId, u32>,
        scanned: Option<&'a HashSet>,
    ) -> Contents<'a> {
        Contents {
            ctx,
            objects,
            wanted,
            scanned,
            unscanned: vec![],
            listed: HashSet::default(),
            errors: vec![],
            memo: Default::default(),
            nothing: Rc::from(vec![]),
            names: HashMap::new(),
            name_list: vec![],
            places: vec![],
            place_ids: HashMap::new(),
            buf: vec![],
        }
    }

    pub(super) fn name(&mut self, name: &BStr) -> u32 {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let id = self.name_list.len() as u32;
        self.name_list.push(name.to_owned());
        self.names.insert(name.to_owned(), id);
        id
    }

    pub(super) fn place(&mut self, place: Place) -> u32 {
        let next = self.places.len() as u32;
        let id = *self.place_ids.entry(place).or_insert(next);
        if id == next {
            self.places.push(place);
        }
        id
    }

    /// The blob and full path (from the tree it was placed under) of a
    /// place.
    pub(super) fn resolve(&self, mut place: u32) -> (u32, BString) {
        let mut path = BString::default();
        loop {
            match self.places[place as usize] {
                Place::Blob { name, blob } => {
                    path.push_str(&self.name_list[name as usize]);
                    return (blob, path);
                }
                Place::Under { name, place: inner } => {
                    path.push_str(&self.name_list[name as usize]);
                    path.push_byte(b'/');
                    place = inner;
                }
            }
        }
    }

    /// The wanted blobs under `tree`, which sits at `prefix` in `commit`
    /// (its position and id, for messages and the unscanned list).
    pub(super) fn of(
        &mut self,
        tree: ObjectId,
        prefix: &BStr,
        commit: (usize, ObjectId),
        depth: usize,
    ) -> Placed {
        if let Some(found) = self.memo.get(&tree) {
            return found.clone();
        }
        let report = self.scanned.is_some();
        let mut subtrees = vec![];
        let mut blobs = vec![];
        // Built only on error: this runs once per tree.
        let place = || match prefix.is_empty() {
            true => format!(" (root of commit {})", commit.1),
            false => format!(" (at {} in commit {})", path_text(prefix), commit.1),
        };
        if depth > MAX_DEPTH {
            if report {
                self.errors.push(GitError::TooDeep {
                    repo: self.ctx.name.clone(),
                    id: tree,
                    path: path_text(prefix),
                    limit: MAX_DEPTH,
                });
            }
        } else {
            match find(
                self.ctx,
                &mut self.objects,
                tree,
                Kind::Tree,
                "",
                &mut self.buf,
            ) {
                Err(mut e) => {
                    if report {
                        if let GitError::Object { place: p, .. } = &mut e {
                            *p = place();
                        }
                        self.errors.push(e);
                    }
                }
                Ok(data) => {
                    for entry in gix::objs::TreeRefIter::from_bytes(data) {
                        let entry = match entry {
                            Ok(e) => e,
                            Err(e) => {
                                if report {
                                    self.errors.push(GitError::Object {
                                        repo: self.ctx.name.clone(),
                                        kind: "tree",
                                        id: tree,
                                        place: place(),
                                        source: Box::new(e),
                                    });
                                }
                                break;
                            }
                        };
                        if entry.mode.is_tree() {
                            subtrees.push((entry.filename.to_owned(), entry.oid.to_owned()));
                        } else if entry.mode.is_blob_or_symlink() {
                            if let Some(&blob) = self.wanted.get(entry.oid) {
                                blobs.push((entry.filename.to_owned(), blob));
                            } else if let Some(scanned) = self.scanned {
                                if !scanned.contains(entry.oid)
                                    && self.listed.insert(entry.oid.to_owned())
                                {
                                    self.unscanned.push((
                                        commit.0,
                                        Job {
                                            id: entry.oid.to_owned(),
                                            path: join(prefix, entry.filename),
                                            commit: Some(commit.1),
                                        },
                                    ));
                                }
                            }
                        }
                        // Submodule entries (commits of another
                        // repository) are not here to read.
                    }
                }
            }
        }
        let mut found: Vec<u32> = vec![];
        for (name, blob) in blobs {
            let name = self.name(name.as_bstr());
            found.push(self.place(Place::Blob { name, blob }));
        }
        for (name, id) in subtrees {
            let inner = match self.memo.get(&id) {
                Some(inner) => inner.clone(),
                None => {
                    let path = join(prefix, name.as_bstr());
                    self.of(id, path.as_bstr(), commit, depth + 1)
                }
            };
            if inner.is_empty() {
                continue;
            }
            let name = self.name(name.as_bstr());
            for &place in inner.iter() {
                found.push(self.place(Place::Under { name, place }));
            }
        }
        let found = if found.is_empty() {
            self.nothing.clone()
        } else {
            Placed::from(found)
        };
        self.memo.insert(tree, found.clone());
        found
    }
}

/// The author of a commit, for the report; `None` if it cannot be read
/// (the walk has reported that already).
pub(super) fn commit_info(
    ctx: &Ctx,
    objects: &mut Objects,
    id: ObjectId,
    buf: &mut Vec<u8>,
) -> Option<CommitInfo> {
    let data = find(ctx, objects, id, Kind::Commit, "", buf).ok()?;
    let commit = gix::objs::CommitRef::from_bytes(data).ok()?;
    let author = commit.author();
    let date = author
        .time()
        .map(|t| t.format(gix::date::time::format::ISO8601_STRICT))
        .unwrap_or_default();
    Some(CommitInfo {
        id: id.to_string(),
        author: author.name.to_str_lossy().into_owned(),
        email: author.email.to_str_lossy().into_owned(),
        date,
        later_commits: 0,
        blob: String::new(),
    })
}

/// `bytes` as text: valid UTF-8 as is, other bytes as `\xNN`.
pub(super) fn path_text(bytes: &BStr) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

pub(super) fn repo_path_bytes(path: &Path) -> BString {
    gix::path::into_bstr(path).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_are_not_utf8_are_escaped() {
        assert_eq!(path_text(b"a/\xffb".as_bstr()), "a/\\xffb");
        assert_eq!(join(b"".as_bstr(), b"x".as_bstr()), "x");
        assert_eq!(join(b"a/b".as_bstr(), b"x".as_bstr()), "a/b/x");
    }
}
