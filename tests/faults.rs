//! Every bad input of DESIGN.md, one named test per fault, on the real
//! binary: each asserts the exit code, that the message names the input and
//! the cause, that nothing else was lost (the other inputs are still
//! scanned and reported), and that no secret appears in any message.
//!
//! Some faults need the machine's help: the git repositories are written
//! with the `git` binary (packs, shallow clones), unreadable files need a
//! user that permissions apply to (the tests run as root in CI, so they drop
//! to `nobody` with `setpriv`), and a full disk needs a small tmpfs
//! (`mount -t tmpfs`, root only). Where that help is missing the test says
//! so on stderr and checks nothing else, rather than pass on a guess.
//!
//! Test keys are assembled at run time, so no complete token sits here.

use std::fs;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

mod keys;

use keys::{contains, github_pat, BIN};

// --- helpers ----------------------------------------------------------------

/// `secretscan ARGS` in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// No secret in anything the process printed, and no panic.
fn no_secret_printed(out: &Output, secrets: &[&str]) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{err}");
    for s in secrets {
        assert!(!contains(&out.stdout, s.as_bytes()), "a secret in stdout");
        assert!(!err.contains(s), "a secret in stderr: {err}");
    }
}

/// The `git` binary, run in `dir` with a fixed identity and dates; `None`
/// (and a note) where git is missing.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => panic!("git {args:?}: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => None,
    }
}

fn skip(test: &str, why: &str) {
    eprintln!("faults::{test}: skipped: {why}");
}

/// A repository with one commit per `(file, text)`, in order.
fn repo_with(commits: &[(&str, String)]) -> Option<TempDir> {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"])?;
    for (i, (file, text)) in commits.iter().enumerate() {
        fs::write(dir.path().join(file), text).unwrap();
        git(dir.path(), &["add", file])?;
        git(dir.path(), &["commit", "-q", "-m", &format!("c{i}")])?;
    }
    Some(dir)
}

fn pack_of(dir: &Path) -> PathBuf {
    let packs: Vec<PathBuf> = fs::read_dir(dir.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pack"))
        .collect();
    assert_eq!(packs.len(), 1, "one pack after gc");
    packs[0].clone()
}

fn loose_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(".git/objects").join(&id[..2]).join(&id[2..])
}

// --- git --------------------------------------------------------------------

#[test]
fn truncated_pack_fails_loudly_and_the_loose_history_is_still_scanned() {
    let (old, new) = (github_pat(101), github_pat(102));
    let Some(repo) = repo_with(&[
        ("a.env", format!("TOKEN={old}\n")),
        ("b.txt", "filler\n".repeat(200)),
    ]) else {
        return skip("truncated_pack", "git is not installed");
    };
    let p = repo.path();
    git(p, &["gc", "-q"]).unwrap();
    // A third commit stays loose, outside the pack.
    fs::write(p.join("c.env"), format!("NEW_TOKEN={new}\n")).unwrap();
    git(p, &["add", "c.env"]).unwrap();
    git(p, &["commit", "-q", "-m", "c2"]).unwrap();
    let pack = pack_of(p);
    let len = fs::metadata(&pack).unwrap().len();
    let mut perms = fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&pack, perms).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&pack)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let out = run_in(p, &["git", ".", "--format", "json"]);
    let err = stderr(&out);
    assert_eq!(
        code(&out),
        2,
        "a corrupt pack is an error, not a clean scan: {err}"
    );
    let pack_name = pack.file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&pack_name), "names the pack: {err}");
    assert!(err.contains("does not match its index"), "says why: {err}");
    let report = stdout(&out);
    assert!(
        report.contains("c.env") && report.contains("github-pat"),
        "the readable commit is still reported: {report}"
    );
    no_secret_printed(&out, &[&old, &new]);
}

#[test]
fn missing_loose_object_is_named_and_the_rest_is_scanned() {
    let key = github_pat(103);
    let Some(repo) = repo_with(&[
        ("gone.txt", "this blob will be deleted\n".into()),
        ("keys.env", format!("TOKEN={key}\n")),
    ]) else {
        return skip("missing_loose_object", "git is not installed");
    };
    let p = repo.path();
    let blob = git(p, &["rev-parse", "HEAD~1:gone.txt"]).unwrap();
    let blob = blob.trim();
    fs::remove_file(loose_path(p, blob)).unwrap();

    let out = run_in(p, &["git", ".", "--format", "json"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains(blob) && err.contains("blob"),
        "names the object: {err}"
    );
    assert!(err.contains("gone.txt"), "and where it was met: {err}");
    assert!(stdout(&out).contains("keys.env"), "the rest is reported");
    no_secret_printed(&out, &[&key]);
}

#[test]
fn corrupt_index_is_named_by_staged_and_history_still_scans() {
    let key = github_pat(104);
    let Some(repo) = repo_with(&[("k.env", format!("TOKEN={key}\n"))]) else {
        return skip("corrupt_index", "git is not installed");
    };
    let p = repo.path();
    fs::write(
        p.join(".git/index"),
        b"DIRC\x00\x00\x00\x02garbage that is no index",
    )
    .unwrap();

    let out = run_in(p, &["git", ".", "--staged", "--format", "json"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("cannot read the index"), "{err}");
    no_secret_printed(&out, &[&key]);

    // The history does not depend on the index.
    let out = run_in(p, &["git", ".", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).contains("k.env"));
    no_secret_printed(&out, &[&key]);
}

#[test]
fn ref_to_a_missing_commit_is_named_and_the_other_refs_are_scanned() {
    let key = github_pat(105);
    let Some(repo) = repo_with(&[("k.env", format!("TOKEN={key}\n"))]) else {
        return skip("ref_to_missing_commit", "git is not installed");
    };
    let p = repo.path();
    let ghost = "0123456789abcdef0123456789abcdef01234567";
    fs::write(p.join(".git/refs/heads/ghost"), format!("{ghost}\n")).unwrap();

    let out = run_in(p, &["git", ".", "--format", "json"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains(ghost), "names the commit: {err}");
    assert!(stdout(&out).contains("k.env"), "main is still scanned");
    no_secret_printed(&out, &[&key]);
}

#[test]
fn shallow_clone_scans_the_commits_it_has() {
    let (old, new) = (github_pat(106), github_pat(107));
    let Some(origin) = repo_with(&[
        ("old.env", format!("TOKEN={old}\n")),
        ("new.env", format!("TOKEN={new}\n")),
    ]) else {
        return skip("shallow_clone", "git is not installed");
    };
    let parent = TempDir::new().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(
        parent.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    )
    .unwrap();
    let p = parent.path().join("shallow");
    assert!(p.join(".git/shallow").exists());

    let out = run_in(&p, &["git", ".", "--format", "json"]);
    let err = stderr(&out);
    // The tip's tree holds both files; the cut-off parent is no error: the
    // clone never had it.
    assert_eq!(code(&out), 1, "{err}");
    let report = stdout(&out);
    assert!(
        report.contains("old.env") && report.contains("new.env"),
        "{report}"
    );
    no_secret_printed(&out, &[&old, &new]);
}

// --- files and trees --------------------------------------------------------

/// Runs `secretscan ARGS` in `dir` as an unprivileged user: directly when
/// not root, else through `setpriv` as nobody. `None` where neither works.
fn run_unprivileged(dir: &Path, args: &[&str]) -> Option<Output> {
    let root = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        return Some(run_in(dir, args));
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    // setpriv itself failing (no such binary, not permitted) exits 127/1
    // before secretscan says anything.
    (!String::from_utf8_lossy(&out.stderr).starts_with("setpriv:")).then_some(out)
}

/// A world-readable temp dir (nobody must be able to enter it).
fn open_dir() -> TempDir {
    let dir = TempDir::new().unwrap();
    set_mode(dir.path(), 0o755);
    dir
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn unreadable_file_is_named_and_the_others_are_scanned() {
    let key = github_pat(108);
    let dir = open_dir();
    let p = dir.path();
    fs::write(p.join("ok.env"), format!("TOKEN={key}\n")).unwrap();
    set_mode(&p.join("ok.env"), 0o644);
    fs::write(p.join("locked.env"), "private\n").unwrap();
    set_mode(&p.join("locked.env"), 0o000);
    let Some(out) = run_unprivileged(p, &["scan", ".", "--format", "json"]) else {
        return skip(
            "unreadable_file",
            "running as root and setpriv cannot drop privileges",
        );
    };
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("locked.env") && err.contains("ermission denied"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("ok.env"),
        "the readable file is reported"
    );
    no_secret_printed(&out, &[&key]);
}

#[test]
fn unreadable_directory_is_named_and_the_others_are_scanned() {
    let key = github_pat(109);
    let dir = open_dir();
    let p = dir.path();
    fs::write(p.join("ok.env"), format!("TOKEN={key}\n")).unwrap();
    set_mode(&p.join("ok.env"), 0o644);
    fs::create_dir(p.join("locked")).unwrap();
    fs::write(p.join("locked/inner.env"), "x\n").unwrap();
    set_mode(&p.join("locked"), 0o000);
    let out = run_unprivileged(p, &["scan", ".", "--format", "json"]);
    set_mode(&p.join("locked"), 0o755); // so the temp dir can be removed
    let Some(out) = out else {
        return skip(
            "unreadable_directory",
            "running as root and setpriv cannot drop privileges",
        );
    };
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("locked") && err.contains("ermission denied"),
        "{err}"
    );
    assert!(stdout(&out).contains("ok.env"));
    no_secret_printed(&out, &[&key]);
}

#[test]
fn symlink_loop_is_named_when_given_and_harmless_in_a_tree() {
    use std::os::unix::fs::symlink;
    let key = github_pat(110);
    let dir = TempDir::new().unwrap();
    let p = dir.path();
    fs::write(p.join("k.env"), format!("TOKEN={key}\n")).unwrap();
    symlink("loop-b", p.join("loop-a")).unwrap();
    symlink("loop-a", p.join("loop-b")).unwrap();

    let out = run_in(p, &["scan", ".", "--format", "json"]);
    assert_eq!(
        code(&out),
        1,
        "a tree with a loop is walked: {}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("k.env"));
    no_secret_printed(&out, &[&key]);

    let out = run_in(p, &["scan", "loop-a", "k.env", "--format", "json"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("loop-a") && err.contains("symbolic links"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("k.env"),
        "the other input is still scanned"
    );
    no_secret_printed(&out, &[&key]);
}

#[test]
fn fifo_among_files_does_not_block_the_walk() {
    let key = github_pat(111);
    let dir = TempDir::new().unwrap();
    let p = dir.path();
    fs::write(p.join("k.env"), format!("TOKEN={key}\n")).unwrap();
    let made = Command::new("mkfifo").arg(p.join("no-writer")).status();
    if !made.is_ok_and(|s| s.success()) {
        return skip("fifo_among_files", "mkfifo is not available");
    }
    let mut child = Command::new(BIN)
        .current_dir(p)
        .args(["scan", ".", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("scan blocked on a FIFO with no writer");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).contains("k.env"));
    no_secret_printed(&out, &[&key]);
}

// --- archives ---------------------------------------------------------------

#[test]
fn zip_slip_member_is_reported_by_its_name_and_nothing_is_written() {
    let key = github_pat(112);
    let dir = TempDir::new().unwrap();
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(vec![]));
    let options = zip::write::SimpleFileOptions::default();
    w.start_file("../../escaped.env", options).unwrap();
    w.write_all(format!("TOKEN={key}\n").as_bytes()).unwrap();
    fs::write(work.join("slip.zip"), w.finish().unwrap().into_inner()).unwrap();
    let before: Vec<_> = walk(dir.path());

    let out = run_in(&work, &["scan", "slip.zip", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("../../escaped.env"),
        "{}",
        stdout(&out)
    );
    assert_eq!(walk(dir.path()), before, "scanning extracts nothing");
    assert!(!dir.path().parent().unwrap().join("escaped.env").exists());
    no_secret_printed(&out, &[&key]);
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.extend(walk(&e));
        }
        out.push(e);
    }
    out.sort();
    out
}

#[test]
fn tar_with_device_and_hard_link_members_scans_the_regular_ones() {
    let key = github_pat(113);
    let mut b = tar::Builder::new(vec![]);
    let text = format!("TOKEN={key}\n");
    let mut h = tar::Header::new_gnu();
    h.set_size(text.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "real.env", text.as_bytes()).unwrap();
    for (name, kind) in [
        ("dev/null-char", tar::EntryType::Char),
        ("dev/disk-block", tar::EntryType::Block),
        ("fifo", tar::EntryType::Fifo),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_device_major(1).unwrap();
        h.set_device_minor(3).unwrap();
        h.set_cksum();
        b.append_data(&mut h, name, &[][..]).unwrap();
    }
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Link);
    h.set_size(0);
    b.append_link(&mut h, "hard.env", "real.env").unwrap();
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("odd.tar"), b.into_inner().unwrap()).unwrap();
    let before = walk(dir.path());

    let out = run_in(dir.path(), &["scan", "odd.tar", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).contains("real.env"));
    assert_eq!(walk(dir.path()), before, "no device or link is created");
    no_secret_printed(&out, &[&key]);
}

#[test]
fn corrupt_gzip_trailer_is_an_error_after_the_content_is_scanned() {
    let key = github_pat(114);
    let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::default());
    gz.write_all(format!("log line\nTOKEN={key}\n").as_bytes())
        .unwrap();
    let mut bytes = gz.finish().unwrap();
    let n = bytes.len();
    // The trailer: CRC32 then the length, little-endian. Break the CRC.
    bytes[n - 8] ^= 0xff;
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("app.log.gz"), &bytes).unwrap();
    fs::write(
        dir.path().join("other.env"),
        format!("T={}\n", github_pat(115)),
    )
    .unwrap();

    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("app.log.gz"), "{err}");
    let report = stdout(&out);
    assert!(
        report.contains("app.log.gz"),
        "its content was scanned: {report}"
    );
    assert!(report.contains("other.env"));
    no_secret_printed(&out, &[&key]);
}

// --- outputs ----------------------------------------------------------------

/// A 1 MiB tmpfs, unmounted on drop; `None` where mounting is not allowed.
struct SmallDisk {
    dir: TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = TempDir::new().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills what is left of the disk.
    fn fill(&self) {
        let mut f = fs::File::create(self.path().join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // The last partial block, byte by byte.
        while f.write_all(&[0]).is_ok() {}
    }

    fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Runs `args` (one of them the output on the full disk, whose previous
/// content is `previous`) and checks: exit 2, the message names the file,
/// the previous content is intact, and no temporary file is left.
fn full_disk_case(name: &str, input_dir: &Path, args: &[&str], out_file: &str, secret: &str) {
    let Some(disk) = SmallDisk::mount() else {
        return skip(
            name,
            "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)",
        );
    };
    let dest = disk.path().join(out_file);
    fs::write(&dest, "previous complete output\n").unwrap();
    disk.fill();
    let dest_arg = dest.to_str().unwrap().to_string();
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "{OUT}" { dest_arg.as_str() } else { a })
        .collect();
    let out = run_in(input_dir, &args);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{name}: {err}");
    assert!(err.contains(out_file), "{name}: names the file: {err}");
    assert!(err.contains("No space left"), "{name}: says why: {err}");
    assert_eq!(
        fs::read_to_string(&dest).unwrap(),
        "previous complete output\n",
        "{name}: the previous file is untouched"
    );
    let mut expected = vec!["filler".to_string(), out_file.to_string()];
    expected.sort();
    assert_eq!(
        disk.entries(),
        expected,
        "{name}: no temporary file is left"
    );
    no_secret_printed(&out, &[secret]);
}

/// A directory with one file of `n` planted keys.
fn many_keys(n: u64) -> (TempDir, String) {
    let dir = TempDir::new().unwrap();
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("line {i} TOKEN={}\n", github_pat(1000 + i)));
    }
    fs::write(dir.path().join("keys.log"), &text).unwrap();
    (dir, github_pat(1000))
}

#[test]
fn disk_full_leaves_every_output_file_whole_or_as_it_was() {
    let (dir, secret) = many_keys(300);
    let p = dir.path();
    full_disk_case(
        "scan -o",
        p,
        &["scan", "keys.log", "--format", "json", "-o", "{OUT}"],
        "r.json",
        &secret,
    );
    full_disk_case(
        "redact -o",
        p,
        &["redact", "keys.log", "-o", "{OUT}"],
        "out.log",
        &secret,
    );
    full_disk_case(
        "scan --write-baseline",
        p,
        &["scan", "keys.log", "--write-baseline", "{OUT}"],
        "baseline.json",
        &secret,
    );
    if let Some(repo) = repo_with(&[("keys.log", fs::read_to_string(p.join("keys.log")).unwrap())])
    {
        full_disk_case(
            "git -o",
            repo.path(),
            &["git", ".", "--format", "json", "-o", "{OUT}"],
            "history.json",
            &secret,
        );
    } else {
        skip("disk_full git -o", "git is not installed");
    }
}

#[test]
fn disk_full_for_status_keeps_the_last_snapshot_and_redaction_goes_on() {
    let Some(disk) = SmallDisk::mount() else {
        return skip("disk_full_status", "cannot mount a tmpfs here");
    };
    let dir = TempDir::new().unwrap();
    let value = format!("known-value-{}", keys::tail(24, 7, keys::ALNUM));
    fs::write(dir.path().join("API_KEY"), &value).unwrap();
    let status = disk.path().join("status.json");
    fs::write(&status, "{\"previous\": true}\n").unwrap();
    disk.fill();
    let known = format!("{}", dir.path().join("API_KEY").display());
    let mut child = Command::new(BIN)
        .args(["redact", "--known", &known, "--status"])
        .arg(&status)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("the key is {value}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(
        code(&out),
        0,
        "a status snapshot is not the redaction: {err}"
    );
    assert_eq!(stdout(&out), "the key is [REDACTED:known:API_KEY]\n");
    assert!(
        err.contains("status.json") && err.contains("No space left"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&status).unwrap(),
        "{\"previous\": true}\n"
    );
    assert_eq!(disk.entries(), vec!["filler", "status.json"]);
    no_secret_printed(&out, &[&value]);
}

/// `redact -o out.log` reading from a pipe that the test holds open, then
/// killed with `signal` after the first bytes were redacted.
fn kill_redact_mid_write(signal: &str) {
    let key = github_pat(116);
    let dir = TempDir::new().unwrap();
    let dest = dir.path().join("out.log");
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args(["redact", "-o", "out.log"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for _ in 0..2000 {
        stdin
            .write_all(format!("a line with TOKEN={key} in it\n").as_bytes())
            .unwrap();
    }
    stdin.flush().unwrap();
    thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(!status.success(), "{signal} ended it");
    drop(stdin);
    // Absent: the redaction never finished, so nothing was renamed into
    // place. A temporary file may remain after SIGKILL; it holds only
    // redacted text.
    assert!(!dest.exists(), "{signal}: no partial out.log");
    for e in fs::read_dir(dir.path()).unwrap() {
        let bytes = fs::read(e.unwrap().path()).unwrap();
        assert!(
            !contains(&bytes, key.as_bytes()),
            "{signal}: a secret on disk"
        );
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains(&key));
}

#[test]
fn sigterm_during_redact_to_a_file_leaves_no_partial_file() {
    kill_redact_mid_write("-TERM");
}

#[test]
fn sigkill_during_redact_to_a_file_leaves_no_partial_file() {
    kill_redact_mid_write("-KILL");
}

#[test]
fn sigterm_during_redact_to_a_pipe_flushes_nothing_unredacted() {
    let key = github_pat(117);
    let mut child = keys::spawn_piped(&["redact"]);
    let mut stdin = child.stdin.take().unwrap();
    let lines = keys::lines_of(child.stdout.take().unwrap());
    stdin
        .write_all(format!("first TOKEN={key}\n").as_bytes())
        .unwrap();
    // The start of a key, held back: it could still become a secret.
    stdin.write_all(&key.as_bytes()[..20]).unwrap();
    stdin.flush().unwrap();
    let first = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("the complete line comes out at once");
    assert_eq!(first, "first TOKEN=[REDACTED:github-pat]\n");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    let rest: Vec<String> = lines.iter().collect();
    let rest = rest.concat();
    assert!(
        !rest.contains(&key[..8]),
        "nothing held back is flushed on the way out: {rest:?}"
    );
}

// --- rule files -------------------------------------------------------------

#[test]
fn invalid_rule_files_name_the_file_the_rule_and_the_reason() {
    let dir = TempDir::new().unwrap();
    let p = dir.path();
    fs::write(p.join("input.txt"), "nothing here\n").unwrap();
    let rule = |id: &str, pattern: &str| {
        format!(
            "[[rules]]\nid = \"{id}\"\nname = \"n\"\npattern = '''{pattern}'''\nkeywords = [\"kw_\"]\n"
        )
    };
    let cases = [
        (
            "bad-regex.toml",
            rule("bad-regex", r"kw_[a-z"),
            "bad-regex",
            "regex",
        ),
        (
            "missing-field.toml",
            "[[rules]]\nid = \"no-pattern\"\nname = \"n\"\nkeywords = [\"kw_\"]\n".to_string(),
            "missing-field.toml",
            "pattern",
        ),
        (
            "unbounded.toml",
            rule("unbounded", r"kw_[a-z]+"),
            "unbounded",
            "length",
        ),
        (
            "duplicate.toml",
            rule("twice", r"kw_[a-z]{8}") + &rule("twice", r"kw_[0-9]{8}"),
            "twice",
            "duplicate",
        ),
    ];
    for (file, text, names, reason) in cases {
        fs::write(p.join(file), text).unwrap();
        let out = run_in(p, &["scan", "--rules", file, "input.txt"]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{file}: {err}");
        assert!(err.contains(file), "{file}: names the file: {err}");
        assert!(err.contains(names), "{file}: names the rule: {err}");
        assert!(
            err.to_lowercase().contains(reason),
            "{file}: says why ({reason}): {err}"
        );
    }
}
