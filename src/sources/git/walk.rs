//! The commit graph and tree walks: commits read from their tips and put
//! in history order (parents first, older dates first where the graph
//! leaves a choice), and the parallel walk of every commit's tree.

use super::*;

/// A commit as the walk needs it.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) id: ObjectId,
    pub(super) tree: ObjectId,
    /// Indices of the parents that are in the graph.
    pub(super) parents: Vec<usize>,
    /// Committer time, seconds since the epoch.
    pub(super) time: i64,
}

/// The commits reachable from some tips, stopping at `hidden` ones.
pub(super) struct Graph {
    pub(super) nodes: Vec<Node>,
    /// The hidden commits that are parents of commits in the graph.
    pub(super) boundary: HashSet,
    pub(super) errors: Vec<GitError>,
}

impl Graph {
    pub(super) fn load(
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

/// Walks trees, handing on each blob not seen before, and never entering a
/// tree seen before.
pub(super) struct Walker<'r> {
    pub(super) objects: Objects<'r>,
    pub(super) trees: HashSet,
    pub(super) blobs: HashSet,
    pub(super) buf: Vec<u8>,
    pub(super) stack: Vec<(ObjectId, BString, usize)>,
}

impl<'r> Walker<'r> {
    pub(super) fn new(objects: Objects<'r>) -> Walker<'r> {
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
    pub(super) fn walk(
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

pub(super) fn join(prefix: &BStr, name: &BStr) -> BString {
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
pub(super) fn history_order(commits: &[Node]) -> Vec<usize> {
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
pub(super) fn all_tips(
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
pub(super) fn resolve(ctx: &Ctx, repo: &gix::Repository, rev: &str) -> Result<ObjectId, GitError> {
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
}
