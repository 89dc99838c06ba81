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

use crate::engine::finding::Finding;
use crate::engine::scanner::Scanner;
use crate::report::suppress::InlineAllow;
use crate::report::CommitInfo;
use crate::rotation::fingerprint::Fingerprint;
use crate::rules::Confidence;

mod attribution;
mod packs;
mod scan;
mod walk;

use self::attribution::*;
use self::packs::*;
use self::scan::*;
use self::walk::*;

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
    /// A pack file does not match its index (truncated, overwritten) or
    /// cannot be opened: none of its objects is read, and each one that
    /// history needs is an [`GitError::Object`] error too.
    #[error("{repo}: pack {pack} is unreadable: it {reason}")]
    Pack {
        /// The repository as given.
        repo: String,
        /// The pack file's path.
        pack: String,
        /// Why.
        reason: String,
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

    /// Whether allow markers (see [`crate::report::suppress`]) on a finding's line
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
        let mut packs = Packs::open(ctx, repo);
        let pack_errors = std::mem::take(&mut packs.errors);
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
        let mut errors = pack_errors;
        errors.append(&mut plan.errors);
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
                let (rest, scan_errors) = self.scan_blobs(ctx, &packs, progress, |send| {
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
                let (rest, scan_errors) = self.scan_blobs(ctx, &packs, progress, |send| {
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
        let mut packs = Packs::open(ctx, repo);
        errors.append(&mut packs.errors);
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
        let (hits, scan_errors) = self.scan_blobs(ctx, &packs, progress, |send| {
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
