//! Git history: every blob reachable from a repository's refs, read natively
//! (gitoxide, no `git` process), scanned once, and each finding attributed
//! to the commit and path that introduced it.
//!
//! ```no_run
//! use secretscan::git::{HistoryScan, Progress, Revisions};
//!
//! let scan = HistoryScan::new(secretscan::Scanner::builtin());
//! let history = scan.run(".".as_ref(), &Revisions::All, &Progress::default())?;
//! for f in &history.findings {
//!     let commit = f.commit.as_ref().map_or("staged", |c| c.id.as_str());
//!     println!("{commit} {}:{} {}", f.path, f.finding.line, f.finding.rule_id);
//! }
//! # Ok::<(), secretscan::git::GitError>(())
//! ```
//!
//! # How
//!
//! Every reference, or a branch or range with a fair share of the history
//! (nearly every blob in the packs is wanted):
//!
//! 1. Every blob in the repository's packs is decompressed and scanned on
//!    all threads, each distinct blob once. Packs are decoded whole, front
//!    to back (gitoxide's delta-tree traversal: each delta is applied once
//!    to its decoded base, instead of its chain being re-inflated for every
//!    blob read in history order). Meanwhile the commits are read from
//!    their tips and put in history order: parents before children, older
//!    commit dates first where the graph leaves a choice.
//! 2. One walk of every commit's tree, on all threads, finds for each blob
//!    with findings and each path it sits at the first commit in history
//!    order that has it there and how many commits do, and lists the
//!    reachable blobs no pack held (loose objects, other object stores,
//!    objects a pack could not decode). Those are read and scanned one by
//!    one, so that errors name the object, a path and a commit. Blobs with
//!    findings that no commit reaches are dropped from the report.
//!
//! The walk reads each distinct tree once per
//! thread (memoised per tree id: an unchanged directory costs one lookup).
//! Threads take runs of consecutive commits, newest first, because packs
//! keep the newest version of a directory whole and older ones as deltas
//! against newer ones: with a small cache of decoded objects, the base of
//! each tree read was decoded just before, instead of its delta chain
//! being inflated from the root for every tree (which took two thirds of
//! the time on git.git's history).
//!
//! A range (`--since-commit`, `A..B`) reports only the blobs it adds: not
//! those in the trees of the commits just outside it. A small branch or
//! range (a push, an orphan `gh-pages`) adds few blobs: one thread first
//! walks the trees of its commits, after those of the commits just outside
//! it, to list the blobs it adds; those are read, from packs decoded whole
//! when they are a fair share of a pack and one by one otherwise, and
//! scanned; then the walk above places the ones with findings.
//!
//! A finding is reported once per rule, secret (fingerprint) and path: at
//! the commit that first put that secret at that path, with the number of
//! later commits that still carry it there. A secret deleted in a later
//! commit is still reported: the history keeps it. The same blob at two
//! paths gives one finding per path; a file edited around an unchanged
//! secret gives one finding, not one per version.
//!
//! # Memory usage
//!
//! One small record per commit; gitoxide's delta tree of each pack decoded
//! whole (tens of bytes per object, plus the bases of the deltas being
//! applied); per walking thread, the ids of the trees it has read with
//! what they hold (tens of bytes per tree) and 4 MiB of decoded objects;
//! and per scanning thread the blob it is scanning: a blob is decompressed
//! whole (as git itself does), so a history with a 1 GiB file needs 1 GiB
//! while that blob is scanned. Blobs larger than
//! [`HistoryScan::large_blob`] are scanned through the stream API. Packs
//! are memory-mapped once, shared by the scan and the walks, so the pages
//! read count in the resident size while they are cached. Findings are
//! kept until the end (they are sorted into history order).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread;

use gix::bstr::{BStr, BString, ByteSlice, ByteVec};
use gix::hashtable::HashSet;
use gix::objs::{Find as _, Kind};
use gix::odb::pack;
use gix::ObjectId;

use crate::finding::{Finding, Fingerprint};
use crate::report::CommitInfo;
use crate::rules::Confidence;
use crate::scan::Scanner;
use crate::suppress::InlineAllow;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error reading a repository. Each names the repository as given and,
/// for objects, the object's id and kind and where it was met.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The path is not a git repository, or its configuration is unusable.
    #[error("{repo}: cannot open git repository")]
    Open {
        /// The repository as given.
        repo: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A revision (`--branch`, `--since-commit`, a side of `--range`) does
    /// not name a commit.
    #[error("{repo}: cannot resolve '{rev}' to a commit")]
    Revision {
        /// The repository as given.
        repo: String,
        /// The revision as given.
        rev: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A range is not of the form `A..B`.
    #[error("{repo}: invalid range '{range}' (expected A..B)")]
    Range {
        /// The repository as given.
        repo: String,
        /// The range as given.
        range: String,
    },
    /// The references (or one of them) cannot be read.
    #[error("{repo}: cannot read references")]
    References {
        /// The repository as given.
        repo: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The index (staging area) cannot be read.
    #[error("{repo}: cannot read the index")]
    Index {
        /// The repository as given.
        repo: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// An object is missing, corrupt, or not of the kind expected.
    #[error("{repo}: cannot read {kind} {id}{place}")]
    Object {
        /// The repository as given.
        repo: String,
        /// What the object should be: `commit`, `tree` or `blob`.
        kind: &'static str,
        /// The object's id.
        id: ObjectId,
        /// Where it was met, as ` (at PATH)` or ` (parent of COMMIT)`, or
        /// empty.
        place: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A tree nests deeper than any real checkout (a crafted repository).
    #[error("{repo}: tree {id} at {path} nests deeper than {limit} levels")]
    TooDeep {
        /// The repository as given.
        repo: String,
        /// The innermost tree.
        id: ObjectId,
        /// Its path.
        path: String,
        /// The limit.
        limit: usize,
    },
}

/// Which part of a repository to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revisions {
    /// Every commit reachable from any reference or `HEAD`.
    All,
    /// Every commit reachable from this branch (or any reference or
    /// revision `git rev-parse` understands).
    Branch(String),
    /// The commits reachable from `branch` (every reference when `None`)
    /// but not from `rev`: what was committed since `rev`.
    Since {
        /// The last commit not to scan.
        rev: String,
        /// Where to stop; every reference when `None`.
        branch: Option<String>,
    },
    /// `A..B`: the commits reachable from `B` but not from `A` (a push).
    Range(String),
    /// The index against `HEAD`: what `git commit` would add (for
    /// pre-commit hooks). Findings have no commit.
    Staged,
}

/// Live counters of a running scan, for a progress display; read them from
/// another thread while [`HistoryScan::run`] runs.
#[derive(Debug, Default)]
pub struct Progress {
    commits: AtomicU64,
    blobs: AtomicU64,
    bytes: AtomicU64,
    findings: AtomicU64,
}

impl Progress {
    /// Commits read so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
    /// Distinct blobs scanned so far.
    pub fn blobs(&self) -> u64 {
        self.blobs.load(Ordering::Relaxed)
    }
    /// Bytes of blob content scanned so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// Findings (per blob, before attribution merges versions) so far.
    pub fn findings(&self) -> u64 {
        self.findings.load(Ordering::Relaxed)
    }
}

/// One finding in history: where it is and which commit introduced it.
#[derive(Clone, Debug)]
pub struct GitFinding {
    /// The path in the commit's tree (or the index), `/`-separated; bytes
    /// that are not UTF-8 are written `\xNN`.
    pub path: String,
    /// The finding; offsets, line and column are within the blob. Its
    /// `value` holds the secret only with [`HistoryScan::capture_secrets`].
    pub finding: Finding,
    /// The blob that holds it.
    pub blob: ObjectId,
    /// The commit that introduced it; `None` for a staged finding (or when
    /// the blob's commit could not be told, after a read error).
    pub commit: Option<CommitInfo>,
}

/// What a history scan found, and what it could not read.
#[derive(Debug, Default)]
pub struct History {
    /// The findings in history order (the introducing commit's position),
    /// then by path and offset.
    pub findings: Vec<GitFinding>,
    /// Objects that could not be read; what they hid is not scanned. The
    /// rest of the history is.
    pub errors: Vec<GitError>,
    /// How many commits were scanned.
    pub commits: usize,
    /// How many distinct blobs were scanned.
    pub blobs: u64,
}

/// A history scan: the scanner and the report filter, applied to the blobs
/// of a repository.
#[derive(Clone, Debug)]
pub struct HistoryScan {
    scanner: Scanner,
    min_confidence: Confidence,
    inline_allow: bool,
    capture: bool,
    large_blob: usize,
    threads: usize,
}

/// A branch is scanned by decoding every pack whole when its commits
/// times this are at least the packs' objects (commits are about a fifth of
/// a history's objects, so: when it has a fair share of the history).
/// Smaller branches list their blobs with a walk first.
const SMALL_BRANCH: usize = 16;

/// Trees nested deeper than this are refused (real checkouts stay far
/// below; it keeps a crafted repository from exhausting the stack).
const MAX_DEPTH: usize = 512;

/// Chunk size when a large blob is streamed through the scanner.
const STREAM_CHUNK: usize = 1 << 20;

impl HistoryScan {
    /// A history scan with `scanner`. By default, every finding is kept
    /// (confidence `low` and up), allow markers on a line suppress its
    /// findings, secrets are not captured, blobs over 64 MiB are streamed,
    /// and one worker thread per rayon thread scans.
    pub fn new(scanner: Scanner) -> HistoryScan {
        HistoryScan {
            scanner,
            min_confidence: Confidence::Low,
            inline_allow: true,
            capture: false,
            large_blob: 64 << 20,
            threads: rayon::current_num_threads().max(1),
        }
    }

    /// Keeps only findings at or above `level`. By default, `low` (all).
    pub fn min_confidence(mut self, level: Confidence) -> HistoryScan {
        self.min_confidence = level;
        self
    }

    /// Whether allow markers (see [`crate::suppress`]) on a finding's line
    /// drop it. By default, yes.
    pub fn inline_allow(mut self, yes: bool) -> HistoryScan {
        self.inline_allow = yes;
        self
    }

    /// Whether findings carry the secret's bytes in [`Finding::value`]. By
    /// default, no.
    pub fn capture_secrets(mut self, yes: bool) -> HistoryScan {
        self.capture = yes;
        self
    }

    /// Blobs larger than this many bytes are scanned in chunks through
    /// [`crate::StreamScanner`], and their buffer released afterwards. By
    /// default, 64 MiB.
    pub fn large_blob(mut self, bytes: usize) -> HistoryScan {
        self.large_blob = bytes.max(1);
        self
    }

    /// How many threads decompress and scan blobs. By default, rayon's
    /// thread count (`RAYON_NUM_THREADS`, else one per core).
    pub fn threads(mut self, n: usize) -> HistoryScan {
        self.threads = n.max(1);
        self
    }

    /// Scans `revisions` of the repository at `repo` (a work tree, a
    /// directory inside one, or a git directory).
    ///
    /// # Errors
    ///
    /// When the repository cannot be opened, a revision does not resolve,
    /// or the references or index cannot be read. Unreadable objects met
    /// during the scan do not stop it: they are listed in
    /// [`History::errors`].
    pub fn run(
        &self,
        repo: &Path,
        revisions: &Revisions,
        progress: &Progress,
    ) -> Result<History, GitError> {
        let name = path_text(repo_path_bytes(repo).as_bstr());
        let opened = gix::discover(repo).map_err(|e| GitError::Open {
            repo: name.clone(),
            source: Box::new(e),
        })?;
        let ctx = Ctx {
            name,
            sync: opened.clone().into_sync(),
        };
        match revisions {
            Revisions::Staged => self.staged(&ctx, &opened, progress),
            _ => self.history(&ctx, &opened, revisions, progress),
        }
    }

    fn history(
        &self,
        ctx: &Ctx,
        repo: &gix::Repository,
        revisions: &Revisions,
        progress: &Progress,
    ) -> Result<History, GitError> {
        let packs = Packs::open(repo);
        let stop = AtomicBool::new(false);
        // Every reference, or a branch or range with a fair share of the
        // history: nearly every blob in the packs is wanted, so every
        // packed blob is scanned (the packs decoded whole, on all threads),
        // and one walk of the trees then places the blobs with findings
        // and finds the reachable blobs that no pack holds. For every
        // reference or a branch, the scan starts while the commits are
        // read (and stops if the branch turns out small). A small branch
        // or range lists its few blobs with a walk first, then reads them.
        let maybe_whole = matches!(revisions, Revisions::All | Revisions::Branch(_));
        let (plan, whole, early) = thread::scope(|s| {
            let early =
                maybe_whole.then(|| s.spawn(|| self.traverse_packs(&packs, None, progress, &stop)));
            let plan = self.plan(ctx, repo, &packs, revisions, progress);
            let whole = match (revisions, &plan) {
                (Revisions::All, Ok(_)) => true,
                // A small branch or range (an orphan `gh-pages`, a push)
                // holds few of the packs' blobs: listing them first costs
                // less than decoding every pack.
                (_, Ok(plan)) => plan.commits.len() * SMALL_BRANCH >= packs.objects(),
                (_, Err(_)) => false,
            };
            if !whole {
                stop.store(true, Ordering::Relaxed);
            }
            let early = early.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            (plan, whole, early.filter(|_| whole))
        });
        let mut plan = plan?;
        let mut errors = std::mem::take(&mut plan.errors);
        let history = (&plan.commits[..], &plan.order[..]);
        // A large range: its packs are decoded whole now (it was not
        // worth starting before its size was known).
        let early = match early {
            None if whole => {
                Some(self.traverse_packs(&packs, None, progress, &AtomicBool::new(false)))
            }
            early => early,
        };

        let (hits, located) = match early {
            Some((mut hits, mut scanned)) => {
                if !plan.boundary.is_empty() {
                    // The blobs of the commits just outside a range are
                    // not the range's: counted as scanned, never reported.
                    let mut outside = HashSet::default();
                    let mut walker = Walker::new(Objects::new(repo, &packs));
                    for &tree in &plan.boundary {
                        walker.walk(
                            ctx,
                            tree,
                            None,
                            &mut |j| {
                                outside.insert(j.id);
                            },
                            &mut errors,
                        );
                    }
                    hits.retain(|h| !outside.contains(&h.id));
                    scanned.extend(outside);
                }
                // Threads found them in any order; ties in attribution
                // are broken by index.
                hits.sort_by_key(|h| h.id);
                let mut located = self.locate(ctx, &packs, history, &hits, Some(&scanned));
                errors.append(&mut located.errors);
                // Loose objects, other object stores, and whatever failed
                // to decode in the packs: read one by one (errors are
                // named there).
                let unscanned = std::mem::take(&mut located.unscanned);
                let (rest, scan_errors) = self.scan_blobs(ctx, progress, |send| {
                    for job in unscanned {
                        send(job);
                    }
                });
                errors.extend(scan_errors);
                if !rest.is_empty() {
                    // Rare (a secret in a loose object): walk again to
                    // place these too; the errors were reported above.
                    hits.extend(rest);
                    hits.sort_by_key(|h| h.id);
                    located = self.locate(ctx, &packs, history, &hits, None);
                }
                (hits, located)
            }
            None => {
                let jobs = self.list_blobs(ctx, repo, &packs, &plan, &mut errors);
                let stop = AtomicBool::new(false);
                let wanted: gix::hashtable::HashMap<ObjectId, usize> =
                    jobs.iter().enumerate().map(|(i, j)| (j.id, i)).collect();
                let (mut hits, scanned) =
                    self.traverse_packs(&packs, Some(&wanted), progress, &stop);
                hits.retain_mut(|h| match wanted.get(&h.id) {
                    Some(&i) => {
                        h.path = jobs[i].path.clone();
                        true
                    }
                    None => false,
                });
                let (rest, scan_errors) = self.scan_blobs(ctx, progress, |send| {
                    for job in jobs {
                        if !scanned.contains(&job.id) {
                            send(job);
                        }
                    }
                });
                hits.extend(rest);
                hits.sort_by_key(|h| h.id);
                errors.extend(scan_errors);
                // The walk above reported the trees it could not read.
                let located = if hits.is_empty() {
                    Located::default()
                } else {
                    self.locate(ctx, &packs, history, &hits, None)
                };
                (hits, located)
            }
        };

        let mut findings = vec![];
        if !hits.is_empty() {
            // Every reference or branch: a blob no commit places is not in
            // the history asked for (the packs hold unreachable blobs
            // too). In a range, a blob the first walk listed is.
            let unplaced = !whole;
            findings = attribute(
                ctx,
                &mut Objects::new(repo, &packs),
                history,
                &hits,
                located.occurrences,
                unplaced,
            );
        }
        let blobs = progress.blobs();
        Ok(History {
            findings,
            errors,
            commits: plan.commits.len(),
            blobs,
        })
    }

    /// Reads the commits to scan and puts them in history order.
    fn plan(
        &self,
        ctx: &Ctx,
        repo: &gix::Repository,
        packs: &Packs,
        revisions: &Revisions,
        progress: &Progress,
    ) -> Result<Plan, GitError> {
        let mut errors = vec![];
        let (tips, hidden_tips) = match revisions {
            Revisions::All => (all_tips(ctx, repo, &mut errors)?, vec![]),
            Revisions::Branch(b) => (vec![resolve(ctx, repo, b)?], vec![]),
            Revisions::Since { rev, branch } => {
                let tips = match branch {
                    Some(b) => vec![resolve(ctx, repo, b)?],
                    None => all_tips(ctx, repo, &mut errors)?,
                };
                (tips, vec![resolve(ctx, repo, rev)?])
            }
            Revisions::Range(range) => {
                let bad = || GitError::Range {
                    repo: ctx.name.clone(),
                    range: range.clone(),
                };
                let (from, to) = range.split_once("..").ok_or_else(bad)?;
                if from.is_empty() || to.is_empty() || to.starts_with('.') {
                    return Err(bad());
                }
                (
                    vec![resolve(ctx, repo, to)?],
                    vec![resolve(ctx, repo, from)?],
                )
            }
            Revisions::Staged => unreachable!("handled by run"),
        };
        let shallow: HashSet = match repo.shallow_commits() {
            Ok(Some(list)) => list.iter().copied().collect(),
            _ => HashSet::default(),
        };

        // The commits outside the range: everything reachable from the
        // hidden tips (their trees, where they border the range, are
        // marked seen below).
        let mut objects = Objects::new(repo, packs);
        let hidden = Graph::load(
            ctx,
            &mut objects,
            hidden_tips,
            &HashSet::default(),
            &shallow,
            None,
        );
        errors.extend(hidden.errors);
        let hidden_ids: HashSet = hidden.nodes.iter().map(|n| n.id).collect();
        let graph = Graph::load(
            ctx,
            &mut objects,
            tips,
            &hidden_ids,
            &shallow,
            Some(progress),
        );
        errors.extend(graph.errors);
        let commits = graph.nodes;
        let order = history_order(&commits);

        let boundary = hidden
            .nodes
            .iter()
            .filter(|n| graph.boundary.contains(&n.id))
            .map(|n| n.tree)
            .collect();
        Ok(Plan {
            commits,
            order,
            boundary,
            errors,
        })
    }

    /// Walks the trees of the commits to scan, newest first, after those
    /// of the commits just outside (whose blobs are not listed), and lists
    /// each blob the first time it meets it (on one thread: for the few
    /// commits of a small branch or range).
    fn list_blobs(
        &self,
        ctx: &Ctx,
        repo: &gix::Repository,
        packs: &Packs,
        plan: &Plan,
        errors: &mut Vec<GitError>,
    ) -> Vec<Job> {
        let mut jobs = vec![];
        let mut walker = Walker::new(Objects::new(repo, packs));
        for &tree in &plan.boundary {
            walker.walk(ctx, tree, None, &mut |_| {}, errors);
        }
        for &i in plan.order.iter().rev() {
            let c = &plan.commits[i];
            walker.walk(ctx, c.tree, Some(c.id), &mut |j| jobs.push(j), errors);
        }
        jobs
    }

    fn staged(
        &self,
        ctx: &Ctx,
        repo: &gix::Repository,
        progress: &Progress,
    ) -> Result<History, GitError> {
        let index_error = |e: BoxError| GitError::Index {
            repo: ctx.name.clone(),
            source: e,
        };
        if !repo.index_path().exists() {
            // A fresh or bare repository: nothing is staged.
            return Ok(History::default());
        }
        let index = repo.open_index().map_err(|e| index_error(Box::new(e)))?;
        let head_tree = repo
            .head_tree_id_or_empty()
            .map_err(|e| index_error(Box::new(e)))?
            .detach();
        let mut errors = vec![];
        let mut in_head: std::collections::HashSet<(BString, ObjectId)> = Default::default();
        let packs = Packs::open(repo);
        let mut objects = Objects::new(repo, &packs);
        let mut buf = vec![];
        let mut stack = vec![(head_tree, BString::default())];
        while let Some((tree, prefix)) = stack.pop() {
            let entries = match read_tree(ctx, &mut objects, tree, prefix.as_bstr(), &mut buf) {
                Ok(e) => e,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for (mode, name, id) in entries {
                let path = join(prefix.as_bstr(), name.as_bstr());
                if mode.is_tree() {
                    stack.push((id, path));
                } else if mode.is_blob_or_symlink() {
                    in_head.insert((path, id));
                }
            }
        }
        // Blob id -> the staged paths that hold it.
        let mut staged: HashMap<ObjectId, Vec<BString>> = HashMap::new();
        let mut order = vec![];
        use gix::index::entry::Mode;
        for entry in index.entries() {
            if !matches!(
                entry.mode,
                Mode::FILE | Mode::FILE_EXECUTABLE | Mode::SYMLINK
            ) {
                continue;
            }
            let path = entry.path(&index).to_owned();
            let key = (path, entry.id);
            if in_head.contains(&key) {
                continue;
            }
            let (path, id) = key;
            let paths = staged.entry(id).or_default();
            if paths.is_empty() {
                order.push(id);
            }
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        let (hits, scan_errors) = self.scan_blobs(ctx, progress, |send| {
            for id in &order {
                send(Job {
                    id: *id,
                    path: staged[id][0].clone(),
                    commit: None,
                });
            }
        });
        errors.extend(scan_errors);
        let mut findings = vec![];
        for hit in hits {
            for path in &staged[&hit.id] {
                for f in &hit.findings {
                    findings.push(GitFinding {
                        path: path_text(path.as_ref()),
                        finding: f.clone(),
                        blob: hit.id,
                        commit: None,
                    });
                }
            }
        }
        findings.sort_by(|a, b| {
            (&a.path, a.finding.secret.start, a.finding.rule_index).cmp(&(
                &b.path,
                b.finding.secret.start,
                b.finding.rule_index,
            ))
        });
        Ok(History {
            findings,
            errors,
            commits: 0,
            blobs: progress.blobs(),
        })
    }

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
    fn traverse_packs(
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
    fn scan_blobs(
        &self,
        ctx: &Ctx,
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
                        match self.scan_blob(ctx, &repo, &job, &mut buf, progress) {
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
    fn scan_blob(
        &self,
        ctx: &Ctx,
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
    fn scan_bytes(&self, bytes: &[u8], progress: &Progress) -> Vec<Finding> {
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
    fn scan_streamed(&self, bytes: &[u8]) -> Vec<Finding> {
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

/// What every stage needs: the repository's name for messages, and the
/// repository to open per thread.
struct Ctx {
    name: String,
    sync: gix::ThreadSafeRepository,
}

/// What to scan: the commits in history order.
struct Plan {
    commits: Vec<Node>,
    /// Indices into `commits`.
    order: Vec<usize>,
    /// The trees of the commits just outside a range, whose blobs the
    /// range does not add.
    boundary: Vec<ObjectId>,
    errors: Vec<GitError>,
}

/// The pack index files of the repository's own object store, in name
/// order.
fn pack_indices(repo: &gix::Repository) -> Vec<PathBuf> {
    let dir = repo.objects.store_ref().path().join("pack");
    let mut indices: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    indices.sort();
    indices
}

/// The packs of a repository's own object store, memory-mapped once and
/// shared by the pack traversal and every reader of commits and trees, so
/// that a pack's pages are mapped, and counted in the resident size, once
/// (reading through the object database would map each pack a second
/// time).
struct Packs {
    list: Vec<(pack::index::File, pack::data::File)>,
}

impl Packs {
    /// The number of objects in all the packs.
    fn objects(&self) -> usize {
        self.list
            .iter()
            .map(|(index, _)| index.num_objects() as usize)
            .sum()
    }

    /// Opens the packs in name order. A pack that cannot be opened is left
    /// out: its objects are read through the object database, whose errors
    /// name the object.
    fn open(repo: &gix::Repository) -> Packs {
        let hash = repo.object_hash();
        let list = pack_indices(repo)
            .into_iter()
            .filter_map(|idx| {
                let index = pack::index::File::at(&idx, hash).ok()?;
                let data = pack::data::File::at(idx.with_extension("pack"), hash).ok()?;
                Some((index, data))
            })
            .collect();
        Packs { list }
    }
}

/// Memory for the decoded objects kept by an [`Objects`] reader (one per
/// walking thread), so that the next tree read in a delta chain starts
/// from its decoded base instead of re-inflating the chain from its root.
/// On git.git's history, 4 MiB was as fast as 16 or 64 MiB; 1 MiB was 7%
/// slower.
const DELTA_BASE_CACHE: usize = 4 << 20;

/// Reads commits and trees one by one: from the shared [`Packs`] with a
/// cache of decoded delta bases, else (loose objects, alternates, an
/// object a pack could not decode) through the object database, whose
/// errors say what went wrong.
///
/// Walking trees newest commit first makes the cache pay: packs store the
/// newest version of a file or directory whole and older ones as deltas
/// against newer ones, so the base of each tree read is one read just
/// before.
struct Objects<'a> {
    repo: &'a gix::Repository,
    packs: &'a Packs,
    inflate: gix::features::zlib::Inflate,
    cache: pack::cache::lru::MemoryCappedHashmap,
}

impl<'a> Objects<'a> {
    fn new(repo: &'a gix::Repository, packs: &'a Packs) -> Objects<'a> {
        Objects {
            repo,
            packs,
            inflate: Default::default(),
            cache: pack::cache::lru::MemoryCappedHashmap::new(DELTA_BASE_CACHE),
        }
    }

    /// The object `id`, decoded into `buf`; `None` if no store has it.
    fn try_find<'b>(
        &mut self,
        id: &gix::oid,
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<gix::objs::Data<'b>>, BoxError> {
        let mut found = None;
        for (index, data) in &self.packs.list {
            let Some(at) = index.lookup(id) else { continue };
            let Ok(entry) = data.entry(index.pack_offset_at_index(at)) else {
                break;
            };
            // Bases named by id (not by offset) sit in the same pack.
            let resolve = |base: &gix::oid, _: &mut Vec<u8>| {
                let at = index.lookup(base)?;
                let entry = data.entry(index.pack_offset_at_index(at)).ok()?;
                Some(pack::data::decode::entry::ResolvedBase::InPack(entry))
            };
            if let Ok(outcome) =
                data.decode_entry(entry, buf, &mut self.inflate, &resolve, &mut self.cache)
            {
                found = Some(outcome.kind);
            }
            break;
        }
        match found {
            Some(kind) => Ok(Some(gix::objs::Data::new(kind, buf))),
            None => Ok(self.repo.objects.try_find(id, buf)?),
        }
    }
}

/// A blob to scan, with where it was first met (for error messages).
struct Job {
    id: ObjectId,
    path: BString,
    commit: Option<ObjectId>,
}

/// A blob's findings.
struct BlobHits {
    id: ObjectId,
    /// Where the blob was first met.
    path: BString,
    findings: Vec<Finding>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A worker that panicked left nothing half-written that matters here;
    // the scope re-raises its panic.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A commit as the walk needs it.
#[derive(Debug)]
struct Node {
    id: ObjectId,
    tree: ObjectId,
    /// Indices of the parents that are in the graph.
    parents: Vec<usize>,
    /// Committer time, seconds since the epoch.
    time: i64,
}

/// The commits reachable from some tips, stopping at `hidden` ones.
struct Graph {
    nodes: Vec<Node>,
    /// The hidden commits that are parents of commits in the graph.
    boundary: HashSet,
    errors: Vec<GitError>,
}

impl Graph {
    fn load(
        ctx: &Ctx,
        objects: &mut Objects,
        tips: Vec<ObjectId>,
        hidden: &HashSet,
        shallow: &HashSet,
        progress: Option<&Progress>,
    ) -> Graph {
        let mut index: gix::hashtable::HashMap<ObjectId, usize> = Default::default();
        let mut parent_ids: Vec<Vec<ObjectId>> = vec![];
        let mut nodes: Vec<Option<Node>> = vec![];
        let mut boundary = HashSet::default();
        let mut errors = vec![];
        let mut queue: Vec<(ObjectId, Option<ObjectId>)> = vec![];
        for tip in tips {
            if !hidden.contains(&tip) {
                queue.push((tip, None));
            }
        }
        let mut buf = vec![];
        while let Some((id, child)) = queue.pop() {
            if index.contains_key(&id) {
                continue;
            }
            let slot = nodes.len();
            index.insert(id, slot);
            let place = child.map_or(String::new(), |c| format!(" (parent of {c})"));
            match read_commit(ctx, objects, id, &place, &mut buf) {
                Ok((tree, parents, time)) => {
                    if let Some(p) = progress {
                        p.commits.fetch_add(1, Ordering::Relaxed);
                    }
                    let parents = if shallow.contains(&id) {
                        vec![]
                    } else {
                        parents
                    };
                    for &p in &parents {
                        if hidden.contains(&p) {
                            boundary.insert(p);
                        } else if !index.contains_key(&p) {
                            queue.push((p, Some(id)));
                        }
                    }
                    nodes.push(Some(Node {
                        id,
                        tree,
                        parents: vec![],
                        time,
                    }));
                    parent_ids.push(parents);
                }
                Err(e) => {
                    errors.push(e);
                    nodes.push(None);
                    parent_ids.push(vec![]);
                }
            }
        }
        // Renumber without the unreadable commits.
        let mut renumber = vec![usize::MAX; nodes.len()];
        let mut next = 0;
        for (i, n) in nodes.iter().enumerate() {
            if n.is_some() {
                renumber[i] = next;
                next += 1;
            }
        }
        let mut out = Vec::with_capacity(next);
        for (node, parents) in nodes.into_iter().zip(parent_ids) {
            let Some(mut node) = node else { continue };
            node.parents = parents
                .iter()
                .filter_map(|p| index.get(p))
                .map(|&i| renumber[i])
                .filter(|&i| i != usize::MAX)
                .collect();
            out.push(node);
        }
        Graph {
            nodes: out,
            boundary,
            errors,
        }
    }
}

/// Reads a commit: its tree, parents and committer time.
fn read_commit(
    ctx: &Ctx,
    objects: &mut Objects,
    id: ObjectId,
    place: &str,
    buf: &mut Vec<u8>,
) -> Result<(ObjectId, Vec<ObjectId>, i64), GitError> {
    let data = find(ctx, objects, id, Kind::Commit, place, buf)?;
    let commit = gix::objs::CommitRef::from_bytes(data).map_err(|e| GitError::Object {
        repo: ctx.name.clone(),
        kind: "commit",
        id,
        place: place.to_string(),
        source: Box::new(e),
    })?;
    Ok((
        commit.tree(),
        commit.parents().collect(),
        commit.committer().seconds(),
    ))
}

/// Reads an object that must be of `kind`.
fn find<'b>(
    ctx: &Ctx,
    objects: &mut Objects,
    id: ObjectId,
    kind: Kind,
    place: &str,
    buf: &'b mut Vec<u8>,
) -> Result<&'b [u8], GitError> {
    let error = |source: BoxError| GitError::Object {
        repo: ctx.name.clone(),
        kind: match kind {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
            Kind::Tag => "tag",
        },
        id,
        place: place.to_string(),
        source,
    };
    if kind == Kind::Tree && id == ObjectId::empty_tree(id.kind()) {
        // Git knows the empty tree without storing it.
        return Ok(&[]);
    }
    match objects.try_find(&id, buf) {
        Ok(Some(data)) if data.kind == kind => Ok(data.data),
        Ok(Some(data)) => Err(error(format!("it is a {}", data.kind).into())),
        Ok(None) => Err(error("object not found".into())),
        Err(e) => Err(error(e)),
    }
}

/// The entries of a tree: mode, name and id.
fn read_tree(
    ctx: &Ctx,
    objects: &mut Objects,
    id: ObjectId,
    path: &BStr,
    buf: &mut Vec<u8>,
) -> Result<Vec<(gix::objs::tree::EntryMode, BString, ObjectId)>, GitError> {
    let place = if path.is_empty() {
        String::new()
    } else {
        format!(" (at {})", path_text(path))
    };
    let data = find(ctx, objects, id, Kind::Tree, &place, buf)?;
    let mut out = vec![];
    for entry in gix::objs::TreeRefIter::from_bytes(data) {
        let entry = entry.map_err(|e| GitError::Object {
            repo: ctx.name.clone(),
            kind: "tree",
            id,
            place: place.clone(),
            source: Box::new(e),
        })?;
        out.push((entry.mode, entry.filename.to_owned(), entry.oid.to_owned()));
    }
    Ok(out)
}

/// Walks trees, handing on each blob not seen before, and never entering a
/// tree seen before.
struct Walker<'r> {
    objects: Objects<'r>,
    trees: HashSet,
    blobs: HashSet,
    buf: Vec<u8>,
    stack: Vec<(ObjectId, BString, usize)>,
}

impl<'r> Walker<'r> {
    fn new(objects: Objects<'r>) -> Walker<'r> {
        Walker {
            objects,
            trees: HashSet::default(),
            blobs: HashSet::default(),
            buf: vec![],
            stack: vec![],
        }
    }

    /// Walks `root` (of `commit`, for messages); blobs seen for the first
    /// time go to `send`.
    fn walk(
        &mut self,
        ctx: &Ctx,
        root: ObjectId,
        commit: Option<ObjectId>,
        send: &mut dyn FnMut(Job),
        errors: &mut Vec<GitError>,
    ) {
        self.stack.push((root, BString::default(), 0));
        while let Some((tree, prefix, depth)) = self.stack.pop() {
            if !self.trees.insert(tree) {
                continue;
            }
            if depth > MAX_DEPTH {
                errors.push(GitError::TooDeep {
                    repo: ctx.name.clone(),
                    id: tree,
                    path: path_text(prefix.as_ref()),
                    limit: MAX_DEPTH,
                });
                continue;
            }
            // Built only on error: this runs once per tree.
            let place = || match (prefix.is_empty(), commit) {
                (_, None) => String::new(),
                (true, Some(c)) => format!(" (root of commit {c})"),
                (false, Some(c)) => format!(" (at {} in commit {c})", path_text(prefix.as_ref())),
            };
            let data = match find(ctx, &mut self.objects, tree, Kind::Tree, "", &mut self.buf) {
                Ok(data) => data,
                Err(mut e) => {
                    if let GitError::Object { place: p, .. } = &mut e {
                        *p = place();
                    }
                    errors.push(e);
                    continue;
                }
            };
            for entry in gix::objs::TreeRefIter::from_bytes(data) {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        errors.push(GitError::Object {
                            repo: ctx.name.clone(),
                            kind: "tree",
                            id: tree,
                            place: place(),
                            source: Box::new(e),
                        });
                        break;
                    }
                };
                if entry.mode.is_tree() {
                    if !self.trees.contains(entry.oid) {
                        let path = join(prefix.as_bstr(), entry.filename);
                        self.stack.push((entry.oid.to_owned(), path, depth + 1));
                    }
                } else if entry.mode.is_blob_or_symlink() && self.blobs.insert(entry.oid.to_owned())
                {
                    send(Job {
                        id: entry.oid.to_owned(),
                        path: join(prefix.as_bstr(), entry.filename),
                        commit,
                    });
                }
                // Submodule entries (commits of another repository) are
                // not here to read.
            }
        }
    }
}

fn join(prefix: &BStr, name: &BStr) -> BString {
    let mut path = BString::from(Vec::with_capacity(prefix.len() + name.len() + 1));
    if !prefix.is_empty() {
        path.push_str(prefix);
        path.push_byte(b'/');
    }
    path.push_str(name);
    path
}

/// `commits` in history order (indices): every commit after its parents,
/// and among the commits whose parents are all placed, the oldest
/// committer date first (then the smallest id, so the order is the same
/// from run to run).
fn history_order(commits: &[Node]) -> Vec<usize> {
    let mut waiting: Vec<usize> = commits.iter().map(|c| c.parents.len()).collect();
    let mut children: Vec<Vec<usize>> = vec![vec![]; commits.len()];
    for (i, c) in commits.iter().enumerate() {
        for &p in &c.parents {
            children[p].push(i);
        }
    }
    let key = |i: usize| Reverse((commits[i].time, commits[i].id, i));
    let mut ready: BinaryHeap<_> = (0..commits.len())
        .filter(|&i| waiting[i] == 0)
        .map(key)
        .collect();
    let mut order = Vec::with_capacity(commits.len());
    while let Some(Reverse((_, _, i))) = ready.pop() {
        order.push(i);
        for &child in &children[i] {
            waiting[child] -= 1;
            if waiting[child] == 0 {
                ready.push(key(child));
            }
        }
    }
    debug_assert_eq!(order.len(), commits.len(), "commit graphs have no cycles");
    order
}

/// Every reference and `HEAD`, peeled to commits. References to trees or
/// blobs are left out; a reference that cannot be read is an error in
/// `errors` and left out.
fn all_tips(
    ctx: &Ctx,
    repo: &gix::Repository,
    errors: &mut Vec<GitError>,
) -> Result<Vec<ObjectId>, GitError> {
    let refs_error = |e: BoxError| GitError::References {
        repo: ctx.name.clone(),
        source: e,
    };
    let mut tips = vec![];
    let platform = repo.references().map_err(|e| refs_error(Box::new(e)))?;
    for reference in platform.all().map_err(|e| refs_error(Box::new(e)))? {
        let mut reference = match reference {
            Ok(r) => r,
            Err(e) => {
                errors.push(refs_error(e));
                continue;
            }
        };
        let name = reference.name().as_bstr().to_owned();
        match reference.peel_to_id_in_place() {
            Ok(id) => match id.object() {
                Ok(object) => match object.peel_tags_to_end() {
                    Ok(object) if object.kind == Kind::Commit => tips.push(object.id),
                    Ok(_) => {}
                    Err(e) => errors.push(refs_error(format!("{name}: {e}").into())),
                },
                Err(e) => errors.push(refs_error(format!("{name}: {e}").into())),
            },
            Err(e) => errors.push(refs_error(format!("{name}: {e}").into())),
        }
    }
    // A detached HEAD is reachable from no reference; an unborn one (a new
    // repository) names nothing.
    if let Ok(head) = repo.head_id() {
        if let Ok(object) = head.object() {
            if object.kind == Kind::Commit {
                tips.push(object.id);
            }
        }
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// The commit that `rev` names: a branch or other reference, or any
/// revision `git rev-parse` takes.
fn resolve(ctx: &Ctx, repo: &gix::Repository, rev: &str) -> Result<ObjectId, GitError> {
    let error = |e: BoxError| GitError::Revision {
        repo: ctx.name.clone(),
        rev: rev.to_string(),
        source: e,
    };
    let id = repo.rev_parse_single(rev).map_err(|e| error(Box::new(e)))?;
    let commit = id
        .object()
        .map_err(|e| error(Box::new(e)))?
        .peel_to_commit()
        .map_err(|e| error(Box::new(e)))?;
    Ok(commit.id)
}

/// Where one blob with findings sits at one path: the first commit (a
/// position in history order) and how many commits carry it there.
#[derive(Clone, Copy, Debug)]
struct Occurrence {
    first: usize,
    commits: u64,
}

/// Merges the versions of a file that carry the same secret, and builds
/// the findings in history order. `occurrences` holds, for each blob of
/// `hits` (by index) and each path it sits at, its first commit and count
/// ([`HistoryScan::locate`]); with `unplaced`, blobs it does not place are
/// reported without a commit, at the path where they were met.
fn attribute(
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
type Placed = Rc<[u32]>;

/// A wanted blob at a path relative to some tree: the blob in an entry of
/// that tree, or a place in a subtree under a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Place {
    Blob { name: u32, blob: u32 },
    Under { name: u32, place: u32 },
}

/// Where blobs sit in a history ([`HistoryScan::locate`]).
#[derive(Default)]
struct Located {
    /// (blob, as an index into the hits, and path) -> its first commit and
    /// count.
    occurrences: HashMap<(u32, BString), Occurrence>,
    /// Reachable blobs that were not scanned, each with one place it sits.
    unscanned: Vec<Job>,
    /// Trees that could not be read.
    errors: Vec<GitError>,
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
    fn locate(
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
struct Contents<'a> {
    ctx: &'a Ctx,
    objects: Objects<'a>,
    wanted: &'a gix::hashtable::HashMap<ObjectId, u32>,
    scanned: Option<&'a HashSet>,
    /// Blobs met that are neither wanted nor scanned, with the position of
    /// the commit they were met in.
    unscanned: Vec<(usize, Job)>,
    listed: HashSet,
    errors: Vec<GitError>,
    memo: gix::hashtable::HashMap<ObjectId, Placed>,
    /// The value of every tree without wanted blobs (no allocation each).
    nothing: Placed,
    names: HashMap<BString, u32>,
    name_list: Vec<BString>,
    places: Vec<Place>,
    place_ids: HashMap<Place, u32>,
    buf: Vec<u8>,
}

impl<'a> Contents<'a> {
    fn new(
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

    fn name(&mut self, name: &BStr) -> u32 {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let id = self.name_list.len() as u32;
        self.name_list.push(name.to_owned());
        self.names.insert(name.to_owned(), id);
        id
    }

    fn place(&mut self, place: Place) -> u32 {
        let next = self.places.len() as u32;
        let id = *self.place_ids.entry(place).or_insert(next);
        if id == next {
            self.places.push(place);
        }
        id
    }

    /// The blob and full path (from the tree it was placed under) of a
    /// place.
    fn resolve(&self, mut place: u32) -> (u32, BString) {
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
    fn of(
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
fn commit_info(
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
fn path_text(bytes: &BStr) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn repo_path_bytes(path: &Path) -> BString {
    gix::path::into_bstr(path).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u8, parents: Vec<usize>, time: i64) -> Node {
        Node {
            id: ObjectId::from_bytes_or_panic(&[n; 20]),
            tree: ObjectId::empty_tree(gix::hash::Kind::Sha1),
            parents,
            time,
        }
    }

    #[test]
    fn history_order_puts_parents_first_then_older_dates() {
        // 0 <- 1 <- 3 (merge of 1 and 2), 0 <- 2; 2 is older than 1; 4 is
        // an unrelated root older than everything.
        let commits = vec![
            node(1, vec![], 100),
            node(2, vec![0], 300),
            node(3, vec![0], 200),
            node(4, vec![1, 2], 400),
            node(5, vec![], 50),
        ];
        assert_eq!(history_order(&commits), vec![4, 0, 2, 1, 3]);
        // A child dated before its parent still comes after it.
        let skewed = vec![node(1, vec![], 500), node(2, vec![0], 10)];
        assert_eq!(history_order(&skewed), vec![0, 1]);
    }

    #[test]
    fn paths_that_are_not_utf8_are_escaped() {
        assert_eq!(path_text(b"a/\xffb".as_bstr()), "a/\\xffb");
        assert_eq!(join(b"".as_bstr(), b"x".as_bstr()), "x");
        assert_eq!(join(b"a/b".as_bstr(), b"x".as_bstr()), "a/b/x");
    }
}
