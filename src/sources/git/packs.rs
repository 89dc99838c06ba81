//! Reading objects: the repository's packs memory-mapped once and shared,
//! with a small cache of delta bases per reader, and the commit, tree and
//! blob readers that name the object in every error.

use super::*;

/// The pack index files of the repository's own object store, in name
/// order.
pub(super) fn pack_indices(repo: &gix::Repository) -> Vec<PathBuf> {
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
pub(super) struct Packs {
    pub(super) list: Vec<(pack::index::File, pack::data::File)>,
    /// Packs that do not match their index (truncated, overwritten), by
    /// index, with why. Their objects are not read: not from the pack, and
    /// not through the object database, which would read the same bytes.
    pub(super) corrupt: Vec<(pack::index::File, String)>,
    /// One error per pack that cannot be read, naming it.
    pub(super) errors: Vec<GitError>,
}

impl Packs {
    /// The number of objects in all the packs.
    pub(super) fn objects(&self) -> usize {
        self.list
            .iter()
            .map(|(index, _)| index.num_objects() as usize)
            .sum()
    }

    /// Opens the packs in name order, each checked against its index in
    /// constant time: the pack's object count and its trailing checksum
    /// must be those the index recorded (a truncated or partly overwritten
    /// pack fails the second). A pack that fails is not read, and is an
    /// error naming it (git itself says "packfile ... does not match
    /// index"); an index that cannot be read leaves its pack to the object
    /// database, whose errors name each object.
    pub(super) fn open(ctx: &Ctx, repo: &gix::Repository) -> Packs {
        let hash = repo.object_hash();
        let mut packs = Packs {
            list: vec![],
            corrupt: vec![],
            errors: vec![],
        };
        for idx in pack_indices(repo) {
            let Ok(index) = pack::index::File::at(&idx, hash) else {
                continue;
            };
            let pack_path = idx.with_extension("pack");
            let problem = match pack::data::File::at(&pack_path, hash) {
                Err(e) => Err(format!("cannot be opened ({e})")),
                Ok(data) if data.num_objects() != index.num_objects() => Err(format!(
                    "holds {} objects where its index lists {}",
                    data.num_objects(),
                    index.num_objects()
                )),
                Ok(data) if data.data_len() < hash.len_in_bytes() + 12 => {
                    Err("is shorter than a pack header and trailer".into())
                }
                Ok(data) if data.checksum() != index.pack_checksum() => Err(
                    "does not match its index (truncated or overwritten: its checksum differs)"
                        .into(),
                ),
                Ok(data) => Ok(data),
            };
            match problem {
                Ok(data) => packs.list.push((index, data)),
                Err(reason) => {
                    packs.errors.push(GitError::Pack {
                        repo: ctx.name.clone(),
                        pack: crate::escape::path_name(&pack_path),
                        reason: reason.clone(),
                    });
                    packs.corrupt.push((index, reason));
                }
            }
        }
        packs
    }
}

impl Packs {
    /// An error when `id` sits in a pack that does not match its index:
    /// such an object is not read from anywhere, since the object
    /// database would read the same bad bytes.
    pub(super) fn corrupt_holding(&self, id: &gix::oid) -> Option<BoxError> {
        let (index, reason) = self.corrupt.iter().find(|(i, _)| i.lookup(id).is_some())?;
        Some(
            format!(
                "it is in pack {}, which {reason}",
                crate::escape::path_name(&index.path().with_extension("pack"))
            )
            .into(),
        )
    }
}

/// Memory for the decoded objects kept by an [`Objects`] reader (one per
/// walking thread), so that the next tree read in a delta chain starts
/// from its decoded base instead of re-inflating the chain from its root.
/// On git.git's history, 4 MiB was as fast as 16 or 64 MiB; 1 MiB was 7%
/// slower.
pub(super) const DELTA_BASE_CACHE: usize = 4 << 20;

/// Reads commits and trees one by one: from the shared [`Packs`] with a
/// cache of decoded delta bases, else (loose objects, alternates, an
/// object a pack could not decode) through the object database, whose
/// errors say what went wrong.
///
/// Walking trees newest commit first makes the cache pay: packs store the
/// newest version of a file or directory whole and older ones as deltas
/// against newer ones, so the base of each tree read is one read just
/// before.
pub(super) struct Objects<'a> {
    pub(super) repo: &'a gix::Repository,
    pub(super) packs: &'a Packs,
    pub(super) inflate: gix::features::zlib::Inflate,
    pub(super) cache: pack::cache::lru::MemoryCappedHashmap,
}

impl<'a> Objects<'a> {
    pub(super) fn new(repo: &'a gix::Repository, packs: &'a Packs) -> Objects<'a> {
        Objects {
            repo,
            packs,
            inflate: Default::default(),
            cache: pack::cache::lru::MemoryCappedHashmap::new(DELTA_BASE_CACHE),
        }
    }

    /// The object `id`, decoded into `buf`; `None` if no store has it.
    pub(super) fn try_find<'b>(
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
        if found.is_none() {
            if let Some(e) = self.packs.corrupt_holding(id) {
                return Err(e);
            }
        }
        match found {
            Some(kind) => Ok(Some(gix::objs::Data::new(kind, buf))),
            None => Ok(self.repo.objects.try_find(id, buf)?),
        }
    }
}

/// Reads a commit: its tree, parents and committer time.
pub(super) fn read_commit(
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
pub(super) fn find<'b>(
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
pub(super) fn read_tree(
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
