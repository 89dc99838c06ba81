//! `secretscan git` end to end, on real repositories built in temp dirs
//! with gitoxide (no `git` binary needed): attribution to the introducing
//! commit, deleted keys, one blob at two paths, branches, merges, ranges,
//! the index, and corrupt repositories.
//!
//! Test keys are assembled at run time, so no complete token sits in this
//! file.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use gix::bstr::BString;
use gix::ObjectId;
use serde_json::Value;
use tempfile::TempDir;

mod keys;

use keys::{github_pat, BIN};

/// A repository in a temp dir, written with gitoxide.
struct Repo {
    dir: TempDir,
    repo: gix::Repository,
    /// The next commit's time: each commit is 100 s after the last.
    time: i64,
}

impl Repo {
    fn new() -> Repo {
        let dir = TempDir::new().unwrap();
        let repo = gix::init(dir.path()).unwrap();
        Repo {
            dir,
            repo,
            time: 1_700_000_000,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn blob(&self, content: &str) -> ObjectId {
        self.repo.write_blob(content.as_bytes()).unwrap().detach()
    }

    /// Writes the tree of `files` (`dir/name` paths) and returns its id.
    fn tree(&self, files: &[(&str, &str)]) -> ObjectId {
        // name -> (file content | subdirectory entries)
        let mut here: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut blobs: BTreeMap<String, String> = BTreeMap::new();
        for (path, content) in files {
            match path.split_once('/') {
                Some((dir, rest)) => here
                    .entry(dir.to_string())
                    .or_default()
                    .push((rest.to_string(), content.to_string())),
                None => {
                    blobs.insert(path.to_string(), content.to_string());
                }
            }
        }
        let mut entries = vec![];
        for (name, content) in blobs {
            entries.push(gix::objs::tree::Entry {
                mode: gix::objs::tree::EntryKind::Blob.into(),
                filename: BString::from(name),
                oid: self.blob(&content),
            });
        }
        for (name, sub) in here {
            let sub: Vec<(&str, &str)> =
                sub.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
            entries.push(gix::objs::tree::Entry {
                mode: gix::objs::tree::EntryKind::Tree.into(),
                filename: BString::from(name),
                oid: self.tree(&sub),
            });
        }
        // Git's order: by name, with a directory compared as `name/`.
        entries.sort();
        let tree = gix::objs::Tree { entries };
        self.repo.write_object(&tree).unwrap().detach()
    }

    /// Commits `files` as the whole tree on `branch`, after `parents`.
    fn commit(
        &mut self,
        branch: &str,
        author: &str,
        files: &[(&str, &str)],
        parents: &[ObjectId],
    ) -> ObjectId {
        let tree = self.tree(files);
        self.time += 100;
        let signature = gix::actor::Signature {
            name: author.into(),
            email: format!("{}@example.com", author.to_lowercase()).into(),
            time: gix::date::Time::new(self.time, 3600),
        };
        let mut time = gix::date::parse::TimeBuf::default();
        let mut time2 = gix::date::parse::TimeBuf::default();
        self.repo
            .commit_as(
                signature.to_ref(&mut time),
                signature.to_ref(&mut time2),
                format!("refs/heads/{branch}").as_str(),
                format!("commit by {author}"),
                tree,
                parents.iter().copied(),
            )
            .unwrap()
            .detach()
    }

    /// Overwrites the loose object `id` with bytes that are not zlib data.
    fn garble_loose(&self, id: &str) {
        let object = self
            .path()
            .join(".git/objects")
            .join(&id[..2])
            .join(&id[2..]);
        let mut perms = fs::metadata(&object).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(&object, perms).unwrap();
        fs::write(&object, b"this is not zlib data").unwrap();
    }

    /// Stages exactly `files` (the index is replaced).
    fn stage(&self, files: &[(&str, &str)]) {
        use gix::index::entry::{Flags, Mode, Stat};
        let mut state = gix::index::State::new(gix::hash::Kind::Sha1);
        for (path, content) in files {
            let id = self.blob(content);
            state.dangerously_push_entry(
                Stat::default(),
                id,
                Flags::empty(),
                Mode::FILE,
                (*path).into(),
            );
        }
        state.sort_entries();
        let mut file = gix::index::File::from_state(state, self.repo.index_path());
        file.write(Default::default()).unwrap();
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    run_in(Path::new("."), args)
}

/// `secretscan git REPO --format jsonl ARGS…`: exit code and records.
fn scan(repo: &Repo, args: &[&str]) -> (i32, Vec<Value>) {
    let path = repo.path().to_str().unwrap();
    let mut argv = vec!["git", path, "--format", "jsonl"];
    argv.extend_from_slice(args);
    let run = run(&argv);
    let records = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (run.code, records)
}

fn commit_of(record: &Value) -> String {
    record["commit"]["id"].as_str().unwrap().to_string()
}

#[test]
fn a_deleted_key_is_reported_at_the_commit_that_added_it() {
    let mut repo = Repo::new();
    let key = github_pat(1);
    let c1 = repo.commit("main", "Ann", &[("README", "hello\n")], &[]);
    let with_key = format!("# settings\nGITHUB_TOKEN={key}\n");
    let c2 = repo.commit(
        "main",
        "Bob",
        &[("README", "hello\n"), ("app/config.env", &with_key)],
        &[c1],
    );
    // The file changes around the key: the same secret, a new blob.
    let edited = format!("# settings\nGITHUB_TOKEN={key}\nDEBUG=1\n");
    let c3 = repo.commit(
        "main",
        "Cid",
        &[("README", "hello\n"), ("app/config.env", &edited)],
        &[c2],
    );
    repo.commit(
        "main",
        "Dee",
        &[
            ("README", "hello\n"),
            ("app/config.env", "# settings\nDEBUG=1\n"),
        ],
        &[c3],
    );

    let (code, records) = scan(&repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0];
    assert_eq!(r["path"], "app/config.env");
    assert_eq!(r["rule_id"], "github-pat");
    assert_eq!(
        (r["line"].as_u64(), r["column"].as_u64()),
        (Some(2), Some(14))
    );
    assert_eq!(commit_of(r), c2.to_string());
    assert_eq!(r["commit"]["author"], "Bob");
    assert_eq!(r["commit"]["email"], "bob@example.com");
    assert_eq!(r["commit"]["date"], "2023-11-14T23:16:40+01:00");
    // c3 still carries it, c4 does not.
    assert_eq!(r["commit"]["later_commits"], 1);
    let blob = repo.blob(&with_key);
    assert_eq!(r["commit"]["blob"], blob.to_string());
    assert!(r.get("secret").is_none());
    let all = serde_json::to_string(&records).unwrap();
    assert!(!all.contains(&key), "the secret leaked into the report");

    // The human format names the commit the way `git grep` does.
    let run = run(&["git", repo.path().to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let short = &c2.to_string()[..12];
    assert_eq!(
        run.stdout,
        format!("{short}:app/config.env:2:14 github-pat high ghp_…\n")
    );
}

#[test]
fn one_blob_at_two_paths_is_scanned_once_and_reported_at_each() {
    let mut repo = Repo::new();
    let content = format!("token: {}\n", github_pat(2));
    let c1 = repo.commit(
        "main",
        "Ann",
        &[("a/key.yml", &content), ("b/copy.yml", &content)],
        &[],
    );
    // A third path, added later, is attributed to the commit that added it.
    let c2 = repo.commit(
        "main",
        "Bob",
        &[
            ("a/key.yml", &content),
            ("b/copy.yml", &content),
            ("c.yml", &content),
        ],
        &[c1],
    );
    let (code, records) = scan(&repo, &[]);
    assert_eq!(code, 1);
    let got: Vec<(String, String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                commit_of(r),
                r["commit"]["later_commits"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("a/key.yml".into(), c1.to_string(), 1),
            ("b/copy.yml".into(), c1.to_string(), 1),
            ("c.yml".into(), c2.to_string(), 0),
        ]
    );
    let blob = repo.blob(&content).to_string();
    assert!(records.iter().all(|r| r["commit"]["blob"] == blob.as_str()));
    assert!(records
        .iter()
        .all(|r| r["fingerprint"] == records[0]["fingerprint"]));
}

#[test]
fn a_key_only_on_another_branch_is_found_by_default_and_by_that_branch() {
    let mut repo = Repo::new();
    let c1 = repo.commit("main", "Ann", &[("README", "hello\n")], &[]);
    let key_file = format!("export GITHUB_TOKEN={}\n", github_pat(3));
    let c2 = repo.commit(
        "feature",
        "Bob",
        &[("README", "hello\n"), ("deploy.sh", &key_file)],
        &[c1],
    );

    let (code, records) = scan(&repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(records.len(), 1);
    assert_eq!(commit_of(&records[0]), c2.to_string());
    assert_eq!(records[0]["path"], "deploy.sh");

    let (code, records) = scan(&repo, &["--branch", "main"]);
    assert_eq!((code, records.len()), (0, 0));
    let (code, records) = scan(&repo, &["--branch", "feature"]);
    assert_eq!((code, records.len()), (1, 1));

    let run = run(&["git", repo.path().to_str().unwrap(), "--branch", "nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot resolve 'nope'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_merged_key_belongs_to_its_branch_commit_and_ranges_scan_only_what_they_add() {
    let mut repo = Repo::new();
    let c1 = repo.commit("main", "Ann", &[("README", "v1\n")], &[]);
    let key_file = format!("GITHUB_TOKEN={}\n", github_pat(4));
    let c2 = repo.commit(
        "feature",
        "Bob",
        &[("README", "v1\n"), ("ci/secrets.env", &key_file)],
        &[c1],
    );
    let c3 = repo.commit("main", "Cid", &[("README", "v2\n")], &[c1]);
    let merge = repo.commit(
        "main",
        "Dee",
        &[("README", "v2\n"), ("ci/secrets.env", &key_file)],
        &[c3, c2],
    );

    let (code, records) = scan(&repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(commit_of(&records[0]), c2.to_string());
    assert_eq!(records[0]["commit"]["later_commits"], 1);

    // Pushing the merge onto c3 brings the feature branch's commits.
    let range = format!("{c3}..{merge}");
    let (code, records) = scan(&repo, &["--range", &range]);
    assert_eq!((code, records.len()), (1, 1));
    assert_eq!(commit_of(&records[0]), c2.to_string());
    // Pushing the merge onto the feature branch adds no new blob with a key.
    let range = format!("{c2}..{merge}");
    let (code, records) = scan(&repo, &["--range", &range]);
    assert_eq!((code, records.len()), (0, 0), "{records:#?}");
    let (code, records) = scan(&repo, &["--since-commit", &c2.to_string()]);
    assert_eq!((code, records.len()), (0, 0), "{records:#?}");
    let (code, records) = scan(&repo, &["--since-commit", &c1.to_string()]);
    assert_eq!((code, records.len()), (1, 1));

    let run = run(&["git", repo.path().to_str().unwrap(), "--range", "main"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid range 'main'"),
        "{}",
        run.stderr
    );
}

#[test]
fn staged_scans_the_index_against_head() {
    let mut repo = Repo::new();
    let committed = format!("OLD_TOKEN={}\n", github_pat(5));
    repo.commit(
        "main",
        "Ann",
        &[("README", "hello\n"), ("old.env", &committed)],
        &[],
    );
    // Unchanged files, even with a key, are not what this commit adds.
    repo.stage(&[("README", "hello\n"), ("old.env", &committed)]);
    let (code, records) = scan(&repo, &["--staged"]);
    assert_eq!((code, records.len()), (0, 0), "{records:#?}");

    let staged = format!("NEW_TOKEN={}\n", github_pat(6));
    repo.stage(&[
        ("README", "hello\n"),
        ("old.env", &committed),
        ("new.env", &staged),
    ]);
    let (code, records) = scan(&repo, &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["path"], "new.env");
    assert!(records[0].get("commit").is_none());
}

#[test]
fn a_fresh_repository_is_clean() {
    let repo = Repo::new();
    assert_eq!(scan(&repo, &[]), (0, vec![]));
    assert_eq!(scan(&repo, &["--staged"]), (0, vec![]));
}

#[test]
fn allow_markers_confidence_and_show_secrets_work_as_in_scan() {
    let mut repo = Repo::new();
    let allowed = github_pat(7);
    let shown = github_pat(8);
    let text = format!(
        "FIXTURE={allowed} # secretscan:allow\nREAL={shown}\npassword = \"hunter2-Xy9!\"\n"
    );
    repo.commit("main", "Ann", &[("keys.txt", &text)], &[]);

    let (_, records) = scan(&repo, &[]);
    let lines: Vec<u64> = records
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2]);
    let (_, records) = scan(&repo, &["--no-inline-allow"]);
    assert_eq!(records.len(), 2);
    let (_, records) = scan(&repo, &["--min-confidence", "low"]);
    assert!(
        records.iter().any(|r| r["confidence"] == "low"),
        "{records:#?}"
    );
    let (_, records) = scan(&repo, &["--show-secrets"]);
    assert_eq!(records[0]["secret"], shown.as_str());
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().to_str().unwrap();
    let run = run(&["git", path]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(&format!("{path}: cannot open git repository")),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn a_corrupt_object_is_named_and_the_rest_is_still_scanned() {
    let mut repo = Repo::new();
    let good = format!("A={}\n", github_pat(9));
    let bad = format!("B={}\n", github_pat(10));
    let hidden = format!("C={}\n", github_pat(11));
    let c = repo.commit(
        "main",
        "Ann",
        &[
            ("good.env", &good),
            ("bad.env", &bad),
            ("sub/hidden.env", &hidden),
        ],
        &[],
    );
    let id = repo.blob(&bad).to_string();
    repo.garble_loose(&id);
    // An unreadable tree too: named once, with where it sits.
    let sub = repo.tree(&[("hidden.env", &hidden)]).to_string();
    repo.garble_loose(&sub);

    let path = repo.path().to_str().unwrap();
    let run = run(&["git", path, "--format", "jsonl"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "{path}: cannot read blob {id} (at bad.env in commit "
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "{path}: cannot read tree {sub} (at sub in commit {c})"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("cannot read").count(),
        2,
        "{}",
        run.stderr
    );
    let records: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["path"], "good.env");

    // A garbled HEAD: the repository cannot be opened at all.
    fs::write(repo.path().join(".git/HEAD"), b"\x00garbage\n").unwrap();
    let run = self::run(&["git", path]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(path), "{}", run.stderr);
}

/// Runs the `git` binary in `dir`; `None` when git is not installed (the
/// other tests need no git; packing a repository does).
fn git(dir: &Path, args: &[&str]) -> Option<()> {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    assert!(status.success(), "git {args:?} failed");
    Some(())
}

#[test]
fn packed_history_gives_the_same_report_and_names_a_corrupt_packed_blob() {
    let mut repo = Repo::new();
    let mut parent = vec![];
    let mut files: Vec<(String, String)> = vec![];
    // Enough versions of a file for git to store deltas.
    let body: String = (0..200)
        .map(|i| format!("line {i} of the settings\n"))
        .collect();
    for i in 0..12u64 {
        let mut text = body.clone();
        text.push_str(&format!("VERSION={i}\n"));
        if i == 3 || i == 4 {
            text.push_str(&format!("GITHUB_TOKEN={}\n", github_pat(20)));
        }
        files.retain(|(p, _)| p != "settings.env");
        files.push(("settings.env".into(), text));
        if i == 6 {
            files.push(("other/key.txt".into(), format!("{}\n", github_pat(21))));
        }
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let c = repo.commit("main", "Ann", &refs, &parent);
        parent = vec![c];
    }
    let (loose_code, loose) = scan(&repo, &[]);
    assert_eq!(loose_code, 1);
    assert_eq!(loose.len(), 2, "{loose:#?}");
    assert_eq!(loose[0]["commit"]["later_commits"], 1);

    if git(repo.path(), &["repack", "-a", "-d", "-q"]).is_none() {
        eprintln!("git not installed: packed-repository checks skipped");
        return;
    }
    git(repo.path(), &["prune-packed"]).unwrap();
    assert_eq!(scan(&repo, &[]), (loose_code, loose.clone()));

    // Garble the middle of the packed blob that holds the second key.
    let blob = repo.blob(&format!("{}\n", github_pat(21)));
    let pack_dir = repo.path().join(".git/objects/pack");
    let idx = fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let index = gix::odb::pack::index::File::at(&idx, gix::hash::Kind::Sha1).unwrap();
    let offset = index.pack_offset_at_index(index.lookup(blob).unwrap()) as usize;
    let pack = idx.with_extension("pack");
    let mut bytes = fs::read(&pack).unwrap();
    for b in &mut bytes[offset + 4..offset + 24] {
        *b ^= 0x5a;
    }
    let mut perms = fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&pack, perms).unwrap();
    fs::write(&pack, bytes).unwrap();

    let path = repo.path().to_str().unwrap();
    let run = run(&["git", path, "--format", "jsonl"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{path}: cannot read blob {blob} (at other/key.txt in commit "
        )),
        "{}",
        run.stderr
    );
    // The other key is still found.
    assert!(run.stdout.contains("settings.env"), "{}", run.stdout);
}

/// Trees stored as long delta chains (what `git gc` makes of a real
/// history) are read through the shared packs and the delta-base cache,
/// newest commit first: the report must be the one the loose objects give,
/// and the deltas must really be there for that to mean anything.
#[test]
fn deltified_trees_give_the_same_report_as_loose_objects() {
    let mut repo = Repo::new();
    let mut parent = vec![];
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for d in 0..4 {
        for f in 0..15 {
            files.insert(
                format!("src/dir{d}/sub/file{f:02}.txt"),
                format!("file {d}/{f}\n"),
            );
        }
    }
    let mut ids = vec![];
    for i in 0..60u64 {
        // Each commit edits one file, so every directory on its path gets
        // a new tree that differs from the last by one entry.
        let d = i % 4;
        let f = (i * 7) % 15;
        let path = format!("src/dir{d}/sub/file{f:02}.txt");
        let mut text = format!("file {d}/{f} edited in {i}\n");
        if i % 13 == 5 {
            text.push_str(&format!("token = {}\n", github_pat(100 + i)));
            // The same secret copied to a second path a commit later.
            files.insert(format!("copies/c{i}.txt"), text.clone());
        }
        if i % 13 == 9 {
            // Copies deleted again.
            files.retain(|p, _| !p.starts_with("copies/"));
        }
        files.insert(path, text);
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let c = repo.commit("main", "Ann", &refs, &parent);
        ids.push(c.to_string());
        parent = vec![c];
    }
    let (loose_code, loose) = scan(&repo, &[]);
    // Ranges: once packed, a push-sized one lists its blobs with a walk
    // first, a large one decodes the packs; both report what the loose
    // objects give.
    let push = format!("{}..{}", ids[54], ids[59]);
    let since = ["--since-commit", ids[20].as_str()];
    let loose_push = scan(&repo, &["--range", &push]);
    let loose_since = scan(&repo, &since);
    assert_eq!(loose_push.1.len(), 2, "{:#?}", loose_push.1);
    assert_eq!(loose_since.1.len(), 6, "{:#?}", loose_since.1);
    assert_eq!(loose_code, 1);
    // Five keys, each in its file and in a copy.
    assert_eq!(loose.len(), 10, "{loose:#?}");

    if git(
        repo.path(),
        &["repack", "-a", "-d", "-f", "-q", "--depth=50"],
    )
    .is_none()
    {
        eprintln!("git not installed: packed-repository checks skipped");
        return;
    }
    git(repo.path(), &["prune-packed"]).unwrap();
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo.path())
        .args(["verify-pack", "-v"])
        .arg(
            fs::read_dir(repo.path().join(".git/objects/pack"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|x| x == "idx"))
                .unwrap(),
        )
        .output()
        .unwrap();
    let listing = String::from_utf8(out.stdout).unwrap();
    // `id type size packed offset depth base` for a delta.
    let tree_deltas = listing
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("tree"))
        .filter(|l| l.split_whitespace().count() == 7)
        .count();
    assert!(tree_deltas > 50, "trees were not deltified:\n{listing}");
    assert_eq!(scan(&repo, &[]), (loose_code, loose.clone()));
    // The walk's threads take runs of commits in any order: the report is
    // the same with one thread or several.
    assert_eq!(scan(&repo, &["-j", "1"]), (loose_code, loose.clone()));
    assert_eq!(scan(&repo, &["-j", "3"]), (loose_code, loose.clone()));
    assert_eq!(scan(&repo, &["--range", &push]), loose_push);
    assert_eq!(scan(&repo, &since), loose_since);

    // A key in a loose commit on top of the packed history: read one by
    // one, then placed at its commit.
    let key = github_pat(199);
    files.insert("late.env".into(), format!("K={key}\n"));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let late = repo.commit("main", "Bob", &refs, &parent);
    let (code, records) = scan(&repo, &["-j", "2"]);
    assert_eq!(code, 1);
    assert_eq!(records.len(), 11, "{records:#?}");
    let r = records.last().unwrap();
    assert_eq!(
        (r["path"].as_str(), commit_of(r)),
        (Some("late.env"), late.to_string())
    );
    // The rest are where they were (with one more commit carrying those
    // still there).
    let place = |r: &Value| (r["path"].clone(), commit_of(r));
    let before: Vec<_> = loose.iter().map(place).collect();
    let after: Vec<_> = records[..10].iter().map(place).collect();
    assert_eq!(after, before);

    // A one-commit orphan branch in this packed repository lists its few
    // blobs first instead of decoding the packs; the long branch decodes
    // them. Each reports its own keys only.
    let orphan_key = github_pat(200);
    let pages = repo.commit(
        "gh-pages",
        "Cid",
        &[("index.html", &format!("<!-- {orphan_key} -->\n"))],
        &[],
    );
    let (code, records) = scan(&repo, &["--branch", "gh-pages"]);
    assert_eq!(code, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(
        (records[0]["path"].as_str(), commit_of(&records[0])),
        (Some("index.html"), pages.to_string())
    );
    let (_, on_main) = scan(&repo, &["--branch", "main"]);
    assert_eq!(on_main.len(), 11);
    assert!(on_main.iter().all(|r| r["path"] != "index.html"));
}

/// `secretscan ARGS…` run in `cwd`.
fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// A history with keys at three paths: `app/a.env`, `vendor/lib.txt` and
/// `docs/b.md`.
fn three_keys() -> (Repo, [String; 3]) {
    let mut repo = Repo::new();
    let keys = [github_pat(31), github_pat(32), github_pat(33)];
    let a = format!("TOKEN={}\n", keys[0]);
    let v = format!("token: {}\n", keys[1]);
    let b = format!("see {}\n", keys[2]);
    let c1 = repo.commit("main", "Ann", &[("app/a.env", &a)], &[]);
    let c2 = repo.commit(
        "main",
        "Bob",
        &[("app/a.env", &a), ("vendor/lib.txt", &v)],
        &[c1],
    );
    repo.commit(
        "main",
        "Cid",
        &[("app/a.env", &a), ("vendor/lib.txt", &v), ("docs/b.md", &b)],
        &[c2],
    );
    (repo, keys)
}

fn paths(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["path"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_work_trees_ignore_file_config_and_excludes_apply_to_history() {
    let (repo, keys) = three_keys();
    let p = repo.path();
    let all = run_in(p, &["git", "--format", "jsonl"]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    assert_eq!(
        paths(&all.stdout),
        ["app/a.env", "vendor/lib.txt", "docs/b.md"]
    );

    // A path pattern and a fingerprint in .secretscanignore.
    let fingerprint = secretscan::Fingerprint::of(keys[2].as_bytes()).to_string();
    fs::write(
        p.join(".secretscanignore"),
        format!("vendor/\n{fingerprint}\n"),
    )
    .unwrap();
    let run = run_in(p, &["git", "--format", "jsonl"]);
    assert_eq!(paths(&run.stdout), ["app/a.env"]);
    assert_eq!(run.code, 1);
    // Found from a directory inside the work tree too, and --exclude adds
    // to it (relative to the current directory).
    fs::create_dir_all(p.join("app")).unwrap();
    let run = run_in(
        &p.join("app"),
        &["git", "..", "--format", "jsonl", "--exclude", "*.env"],
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    // --no-config ignores the file.
    let run = run_in(p, &["git", "--format", "jsonl", "--no-config"]);
    assert_eq!(paths(&run.stdout).len(), 3);

    // secretscan.toml: a disabled rule.
    fs::remove_file(p.join(".secretscanignore")).unwrap();
    fs::write(
        p.join("secretscan.toml"),
        // generic-token too: the token's value is clearly random, so the
        // generic rule reports it at medium once the provider rule is off.
        "disable_rules = [\"github-pat\", \"generic-token\"]\n",
    )
    .unwrap();
    let run = run_in(p, &["git", "--format", "jsonl"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    // A bad config is an error naming the file.
    fs::write(p.join("secretscan.toml"), "min_confidence = \"sure\"\n").unwrap();
    let run = run_in(p, &["git"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("secretscan.toml"), "{}", run.stderr);
}

#[test]
fn a_history_baseline_reports_only_new_secrets_and_holds_no_secret() {
    let (mut repo, keys) = three_keys();
    let p = repo.path().to_path_buf();
    let run = run_in(&p, &["git", "--write-baseline", "base.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = fs::read_to_string(p.join("base.json")).unwrap();
    for k in &keys {
        assert!(!text.contains(k.as_str()));
    }
    let run = run_in(&p, &["git", "--baseline", "base.json", "--format", "jsonl"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);

    // A new key, and a known one moved to a new line of its file: only the
    // new key is reported.
    let head = repo.repo.head_id().unwrap().detach();
    let new = github_pat(34);
    let a = format!("# moved down\nTOKEN={}\n", keys[0]);
    let v = format!("token: {}\n", keys[1]);
    let b = format!("see {}\n", keys[2]);
    let n = format!("NEW={new}\n");
    repo.commit(
        "main",
        "Dee",
        &[
            ("app/a.env", &a),
            ("vendor/lib.txt", &v),
            ("docs/b.md", &b),
            ("app/new.env", &n),
        ],
        &[head],
    );
    let run = run_in(&p, &["git", "--baseline", "base.json", "--format", "jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(paths(&run.stdout), ["app/new.env"]);
    // Baselines need the secret's bytes; the report still does not show
    // them.
    assert!(!run.stdout.contains(&new), "{}", run.stdout);
    // The baseline a work-tree scan writes names the same paths.
    fs::create_dir_all(p.join("app")).unwrap();
    fs::write(p.join("app/a.env"), &a).unwrap();
    let scan = run_in(&p, &["scan", "--baseline", "base.json", "app/a.env"]);
    assert_eq!(
        (scan.code, scan.stdout.as_str()),
        (0, ""),
        "{}",
        scan.stderr
    );
}

#[test]
fn output_threads_and_fingerprint_key_work_as_in_scan() {
    let (repo, keys) = three_keys();
    let p = repo.path();
    let stdout = run_in(p, &["git", "--format", "jsonl"]);
    let to_file = run_in(
        p,
        &["git", "--format", "jsonl", "-o", "report.jsonl", "-j", "1"],
    );
    assert_eq!((to_file.code, to_file.stdout.as_str()), (1, ""));
    assert_eq!(
        fs::read_to_string(p.join("report.jsonl")).unwrap(),
        stdout.stdout
    );
    let run = run_in(p, &["git", "-o", "/nonexistent/dir/r.json"]);
    assert_eq!(run.code, 2);
    assert!(run
        .stderr
        .contains("/nonexistent/dir/r.json: cannot create the report file"));

    // A keyed fingerprint is not the plain one, and is what `scan` gives.
    fs::write(p.join("key"), "0123456789abcdef0123456789abcdef").unwrap();
    let keyed = run_in(p, &["--fingerprint-key", "key", "git", "--format", "jsonl"]);
    let plain = secretscan::Fingerprint::of(keys[0].as_bytes()).to_string();
    let first: Value = serde_json::from_str(keyed.stdout.lines().next().unwrap()).unwrap();
    assert_ne!(first["fingerprint"], plain.as_str());
    fs::create_dir_all(p.join("app")).unwrap();
    fs::write(p.join("app/a.env"), format!("TOKEN={}\n", keys[0])).unwrap();
    let scan = run_in(
        p,
        &[
            "--fingerprint-key",
            "key",
            "scan",
            "--format",
            "jsonl",
            "app/a.env",
        ],
    );
    let scanned: Value = serde_json::from_str(scan.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["fingerprint"], scanned["fingerprint"]);
}

#[test]
fn a_tree_nested_too_deep_is_named_and_the_rest_is_still_scanned() {
    let good = format!("A={}\n", github_pat(41));
    let hidden = format!("B={}\n", github_pat(42));
    // 600 nested directories: refused below the limit, on any thread,
    // without exhausting a stack; the file beside them is still found.
    let repo = Repo::new();
    let mut inner = repo.tree(&[("deep.env", &hidden)]);
    for _ in 0..600 {
        let tree = gix::objs::Tree {
            entries: vec![gix::objs::tree::Entry {
                mode: gix::objs::tree::EntryKind::Tree.into(),
                filename: "d".into(),
                oid: inner,
            }],
        };
        inner = repo.repo.write_object(&tree).unwrap().detach();
    }
    let file = repo.blob(&good);
    let mut entries = vec![
        gix::objs::tree::Entry {
            mode: gix::objs::tree::EntryKind::Blob.into(),
            filename: "good.env".into(),
            oid: file,
        },
        gix::objs::tree::Entry {
            mode: gix::objs::tree::EntryKind::Tree.into(),
            filename: "d".into(),
            oid: inner,
        },
    ];
    entries.sort();
    let root = repo
        .repo
        .write_object(&gix::objs::Tree { entries })
        .unwrap()
        .detach();
    let sig = gix::actor::Signature {
        name: "Ann".into(),
        email: "ann@example.com".into(),
        time: gix::date::Time::new(1_700_000_000, 0),
    };
    let mut t1 = gix::date::parse::TimeBuf::default();
    let mut t2 = gix::date::parse::TimeBuf::default();
    repo.repo
        .commit_as(
            sig.to_ref(&mut t1),
            sig.to_ref(&mut t2),
            "refs/heads/main",
            "deep",
            root,
            Vec::<ObjectId>::new(),
        )
        .unwrap();
    let path = repo.path().to_str().unwrap();
    let run = self::run(&["git", path, "--format", "jsonl", "-j", "2"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("nests deeper than 512 levels"),
        "{}",
        run.stderr
    );
    assert_eq!(paths(&run.stdout), ["good.env"]);
}
