//! Known secrets, rotation, fingerprints, token triage and runbooks,
//! through the real binary on real files (issue 6's "Done when").
//!
//! Every value is assembled at run time; none is a real credential.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command as StdCommand};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use base64::Engine;

mod keys;

use keys::{lines_of, spawn_piped, BIN};

fn bin() -> Command {
    Command::new(BIN)
}

/// A value no rule knows the shape of.
fn value(tag: &str) -> String {
    format!("q{tag}-Zr7f-9k2L-{}-pv", tag.len() * 7919)
}

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A Kubernetes-style mounted Secret: `..<version>/KEY` files, a `..data`
/// link to the current version, and `KEY -> ..data/KEY` links.
struct MountedSecret {
    dir: tempfile::TempDir,
    version: u32,
}

impl MountedSecret {
    fn new(values: &[(&str, &str)]) -> MountedSecret {
        let mut m = MountedSecret {
            dir: tempfile::tempdir().unwrap(),
            version: 0,
        };
        m.update(values);
        for (key, _) in values {
            std::os::unix::fs::symlink(format!("..data/{key}"), m.dir.path().join(key)).unwrap();
        }
        m
    }

    /// Writes a new version and swaps `..data` to it atomically (a rename
    /// over the old link), then removes the old version, as the kubelet does.
    fn update(&mut self, values: &[(&str, &str)]) {
        let root = self.dir.path();
        self.version += 1;
        let version = format!("..2024_05_01_00_00_0{}.000", self.version);
        fs::create_dir(root.join(&version)).unwrap();
        for (key, value) in values {
            fs::write(root.join(&version).join(key), format!("{value}\n")).unwrap();
        }
        let tmp = root.join("..data_tmp");
        std::os::unix::fs::symlink(&version, &tmp).unwrap();
        fs::rename(&tmp, root.join("..data")).unwrap();
        if self.version > 1 {
            let old = format!("..2024_05_01_00_00_0{}.000", self.version - 1);
            fs::remove_dir_all(root.join(old)).unwrap();
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Waits until the status file satisfies `ok`.
fn wait_for_status(path: &Path, ok: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let start = Instant::now();
    loop {
        if let Ok(text) = fs::read_to_string(path) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                if ok(&v) {
                    return v;
                }
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "status never reached the expected state"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn redactor(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = spawn_piped(&[&["redact"][..], args].concat());
    let out = lines_of(child.stdout.take().unwrap());
    (child, out)
}

/// Waits for `child` and asserts it succeeded, showing its stderr if not.
fn assert_success(mut child: Child) -> String {
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {err}");
    err
}

fn next_line(rx: &mpsc::Receiver<String>) -> String {
    rx.recv_timeout(Duration::from_secs(20))
        .expect("a line within 20 s")
}

#[test]
fn kubernetes_secret_swapped_mid_stream_redacts_old_and_new_without_restart() {
    let (old, new) = (value("old"), value("new-rotated"));
    let mut secret = MountedSecret::new(&[("API_KEY", &old)]);
    let status_dir = tempfile::tempdir().unwrap();
    let status = status_dir.path().join("status.json");
    let (mut child, out) = redactor(&[
        "--known",
        secret.path().to_str().unwrap(),
        "--poll",
        "50ms",
        "--status",
        status.to_str().unwrap(),
    ]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "before: {old}").unwrap();
    stdin.flush().unwrap();
    assert_eq!(next_line(&out), "before: [REDACTED:known:API_KEY]\n");

    // Half of the old value goes in before the swap, the rest after the
    // redactor picked the new set up: the held-back half is decided by the
    // new set, which keeps the old value for the rotation window.
    let (head, rest) = old.split_at(old.len() / 2);
    write!(stdin, "straddling: {head}").unwrap();
    stdin.flush().unwrap();
    secret.update(&[("API_KEY", &new)]);
    let snapshot = wait_for_status(&status, |v| {
        v["sources"][0]["rotated_out"][0]["name"] == "API_KEY"
    });
    writeln!(stdin, "{rest} and the new {new}").unwrap();
    writeln!(stdin, "after: {new} {old}").unwrap();
    drop(stdin);
    let mut got = String::new();
    while let Ok(line) = out.recv_timeout(Duration::from_secs(20)) {
        got.push_str(&line);
    }
    assert_success(child);
    assert!(!got.contains(head) && !got.contains(rest), "{got}");
    assert!(!got.contains(&old), "{got}");
    assert!(
        got.contains("straddling: [REDACTED:known:API_KEY] and the new [REDACTED:known:API_KEY]\n"),
        "{got}"
    );
    assert!(
        !got.contains("qnew") && !got.contains("qold"),
        "no part of either value: {got}"
    );
    // Lines that are not the held-back straddling one are unchanged
    // around the markers.
    assert!(
        got.contains("after: [REDACTED:known:API_KEY] [REDACTED:known:API_KEY]\n"),
        "{got}"
    );
    let text = serde_json::to_string(&snapshot).unwrap();
    assert!(!text.contains(&old) && !text.contains(&new), "{text}");
    assert_eq!(snapshot["sources"][0]["names"][0]["name"], "API_KEY");
    assert!(snapshot["sources"][0]["rotated_out"][0]["expires_at"].is_string());
    let fin = wait_for_status(&status, |v| {
        v["redacted"]["known:API_KEY"].as_u64() >= Some(4)
    });
    assert_eq!(fin["redacted"]["known:API_KEY"], 5);
}

#[test]
fn a_failed_reload_keeps_the_last_good_set_and_says_so_without_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.env");
    let v = value("kept");
    fs::write(&file, format!("DB_PASSWORD={v}\n")).unwrap();
    let (mut child, out) = redactor(&["--known", file.to_str().unwrap(), "--poll", "50ms"]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "a {v}").unwrap();
    stdin.flush().unwrap();
    assert_eq!(next_line(&out), "a [REDACTED:known:DB_PASSWORD]\n");
    fs::remove_file(&file).unwrap();
    thread::sleep(Duration::from_millis(400));
    writeln!(stdin, "b {v}").unwrap();
    drop(stdin);
    assert_eq!(next_line(&out), "b [REDACTED:known:DB_PASSWORD]\n");
    let err = assert_success(child);
    assert!(err.contains("keeping the last good known secrets"), "{err}");
    assert!(!err.contains(&v), "{err}");
}

#[test]
fn encodings_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("TOKEN");
    let v = "s3cr/et+value\"with:chars";
    fs::write(&file, v).unwrap();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let hex: String = v.bytes().map(|b| format!("{b:02x}")).collect();
    let lines = [
        format!("Authorization: Basic {}", b64(&format!("user:{v}"))),
        format!("a: {}", b64(&format!("ab{v}"))),
        format!("b: {}", b64(v)),
        "url: https://h/?t=s3cr%2Fet%2Bvalue%22with%3Achars&x=1".to_string(),
        format!("json: {}", serde_json::to_string(v).unwrap()),
        format!("hex: {hex} HEX: {}", hex.to_uppercase()),
    ];
    let input = lines.join("\n") + "\n";
    let o = bin()
        .args(["redact", "--no-builtin", "--rules"])
        .arg(empty_rules(dir.path()))
        .arg("--known")
        .arg(&file)
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let got = stdout_of(&o);
    for (line, out) in lines.iter().zip(got.lines()) {
        assert!(out.contains("[REDACTED:known:TOKEN]"), "{line} -> {out}");
    }
    assert!(!got.contains("s3cr") && !got.contains(&hex[..16]), "{got}");
    assert_eq!(got.matches("[REDACTED:known:TOKEN]").count(), 7);
}

/// A rule file whose one rule matches nothing here, so known values are
/// tested alone.
fn empty_rules(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("none.toml");
    fs::write(
        &p,
        "[[rules]]\nid = 'none'\nname = 'n'\npattern = 'zzqqzz[0-9]{4}'\nkeywords = ['zzqqzz']\n",
    )
    .unwrap();
    p
}

#[test]
fn short_values_are_refused_with_a_warning_that_names_but_never_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.env");
    fs::write(&file, "ENV=dev\nLONG=long-enough-value\n").unwrap();
    let o = bin()
        .args(["redact", "--known"])
        .arg(&file)
        .write_stdin("dev long-enough-value development\n")
        .output()
        .unwrap();
    assert_eq!(stdout_of(&o), "dev [REDACTED:known:LONG] development\n");
    let err = stderr_of(&o);
    assert!(err.contains("ENV is 3 bytes"), "{err}");
    assert!(!err.contains("dev "), "{err}");
    let o = bin()
        .args(["redact", "--min-known-len", "20", "--known"])
        .arg(&file)
        .write_stdin("long-enough-value\n")
        .output()
        .unwrap();
    assert_eq!(stdout_of(&o), "long-enough-value\n");
    bin()
        .args(["redact", "--min-known-len", "4", "--known"])
        .arg(&file)
        .assert()
        .code(2);
}

#[test]
fn env_sources_and_globs() {
    let o = bin()
        .args(["redact", "--known", "env:SECRETSCAN_TEST_*_KEY"])
        .env("SECRETSCAN_TEST_A_KEY", value("envA"))
        .env("SECRETSCAN_TEST_B_KEY", value("envB"))
        .write_stdin(format!("{} {}\n", value("envA"), value("envB")))
        .output()
        .unwrap();
    assert_eq!(
        stdout_of(&o),
        "[REDACTED:known:SECRETSCAN_TEST_A_KEY] [REDACTED:known:SECRETSCAN_TEST_B_KEY]\n"
    );
    bin()
        .args(["redact", "--known", "env:SECRETSCAN_NO_SUCH_*"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no environment variable matches"));
}

fn fingerprint_of(value: &str, key: Option<&str>) -> String {
    let mut cmd = bin();
    cmd.arg("fingerprint").write_stdin(format!("{value}\n"));
    cmd.env_remove("SECRETSCAN_FINGERPRINT_KEY");
    if let Some(k) = key {
        cmd.env("SECRETSCAN_FINGERPRINT_KEY", k);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success());
    stdout_of(&o).trim().to_string()
}

#[test]
fn fingerprints_are_stable_keyed_and_match_reports_and_markers() {
    let v = value("fp");
    let plain = fingerprint_of(&v, None);
    assert_eq!(plain.len(), 16);
    assert_eq!(plain, fingerprint_of(&v, None), "stable");
    let keyed = fingerprint_of(&v, Some("k1"));
    assert_ne!(keyed, plain);
    assert_eq!(keyed, fingerprint_of(&v, Some("k1")));
    assert_ne!(keyed, fingerprint_of(&v, Some("k2")));

    // The key from a file gives the same fingerprint as from the variable.
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("fp.key");
    fs::write(&key_file, "k1\n").unwrap();
    let o = bin()
        .arg("fingerprint")
        .arg("--fingerprint-key")
        .arg(&key_file)
        .env_remove("SECRETSCAN_FINGERPRINT_KEY")
        .write_stdin(v.clone())
        .output()
        .unwrap();
    assert_eq!(stdout_of(&o).trim(), keyed);

    // A redaction marker carries the first 8 digits; a --find report the
    // whole fingerprint.
    let file = dir.path().join("KEY");
    fs::write(&file, &v).unwrap();
    let o = bin()
        .args(["redact", "--marker", "label+fp", "--known"])
        .arg(&file)
        .env("SECRETSCAN_FINGERPRINT_KEY", "k1")
        .write_stdin(format!("x {v}\n"))
        .output()
        .unwrap();
    assert_eq!(
        stdout_of(&o),
        format!("x [REDACTED:known:KEY:{}]\n", &keyed[..8])
    );
    let log = dir.path().join("app.log");
    fs::write(&log, format!("one\ntwo {v}\n")).unwrap();
    let o = bin()
        .args(["scan", "--format", "json", "--find"])
        .arg(&file)
        .arg(&log)
        .env_remove("SECRETSCAN_FINGERPRINT_KEY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["rule_id"], "known:KEY");
    assert_eq!(v[0]["line"], 2);
    assert_eq!(v[0]["fingerprint"], plain);
}

/// A JWT with the given claims, signed with nothing real (the signature
/// is never checked).
fn jwt(claims: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims),
        b64("not-a-real-signature-bytes")
    )
}

#[test]
fn jwt_expiry_triage() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expired = jwt(&format!(
        r#"{{"iss":"https://auth.example","sub":"user-1","iat":{},"exp":{}}}"#,
        now - 7200,
        now - 3600
    ));
    let live = jwt(&format!(r#"{{"sub":"user-2","exp":{}}}"#, now + 3600));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    fs::write(&log, format!("a Bearer {expired}\nb Bearer {live}\n")).unwrap();
    let o = bin()
        .args(["scan", "--format", "json"])
        .arg(&log)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let jwts: Vec<&serde_json::Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "jwt")
        .collect();
    assert_eq!(jwts.len(), 2, "{v}");
    assert_eq!(jwts[0]["expired"], true);
    assert_eq!(jwts[0]["token"]["iss"], "https://auth.example");
    assert_eq!(jwts[0]["token"]["alg"], "HS256");
    assert_eq!(jwts[0]["token"]["expires_at"], now - 3600);
    assert!(jwts[0]["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(jwts[1]["expired"], false);

    let o = bin()
        .args(["scan", "--skip-expired", "--format", "json"])
        .arg(&log)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lines: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "jwt")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2], "the expired token is left out: {v}");

    // Redaction still removes both.
    let o = bin().arg("redact").arg(&log).output().unwrap();
    let out = stdout_of(&o);
    assert!(
        !out.contains(&expired[..40]) && !out.contains(&live[..40]),
        "{out}"
    );
    assert_eq!(out.matches("[REDACTED:jwt]").count(), 2, "{out}");

    // The human line says it too.
    let o = bin().arg("scan").arg(&log).output().unwrap();
    let human = stdout_of(&o);
    assert!(
        human.contains(" expired=") && human.contains(" expires="),
        "{human}"
    );
}

#[test]
fn temporary_aws_and_github_tokens_are_marked() {
    // Random-looking base32 (an AWS key id's alphabet): a keyboard run
    // (`QWERTY…`) is a placeholder now.
    let upper: String = ["QZ7RK2MW", "XPL4TVBJ"].concat();
    let sts = format!("ASIA{upper}");
    let o = bin()
        .args(["scan", "--format", "jsonl"])
        .write_stdin(format!("export AWS_ACCESS_KEY_ID={sts}\n"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(stdout_of(&o).lines().next().unwrap()).unwrap();
    assert_eq!(v["token"]["kind"], "aws-sts");
    assert_eq!(v["token"]["temporary"], true);
}

#[test]
fn scan_marks_live_findings() {
    let entropy = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5";
    let sum = secretscan::validate::base62(
        u64::from(secretscan::validate::crc32(entropy.as_bytes())),
        6,
    );
    let token = format!("ghp_{entropy}{sum}");
    let other_entropy = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0";
    let other = format!(
        "ghp_{other_entropy}{}",
        secretscan::validate::base62(
            u64::from(secretscan::validate::crc32(other_entropy.as_bytes())),
            6
        )
    );
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("prod.env");
    fs::write(&env, format!("GITHUB_TOKEN={token}\n")).unwrap();
    let o = bin()
        .args(["scan", "--format", "jsonl", "--known"])
        .arg(&env)
        .write_stdin(format!("a {token}\nb {other}\n"))
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = stdout_of(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["rule_id"], "github-pat", "the rule still names it");
    assert_eq!(rows[0]["live"], true);
    assert_eq!(rows[1]["live"], false);
    let o = bin()
        .args(["scan", "--summary", "--known"])
        .arg(&env)
        .write_stdin(format!("a {token}\n"))
        .output()
        .unwrap();
    let human = stdout_of(&o);
    assert!(human.lines().next().unwrap().ends_with(" LIVE"), "{human}");
    assert!(human.contains("summary: 1 finding of 1 kind"), "{human}");
    assert!(human.contains("    first: Delete the token"), "{human}");
}

#[test]
fn explain_every_rule_in_the_pack() {
    let o = bin().args(["rules", "--format", "json"]).output().unwrap();
    let rules: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<String> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() > 300);
    let pack = secretscan::RuleSet::builtin();
    let o = bin().arg("explain").args(&ids).output().unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let all = stdout_of(&o);
    let runbooks: Vec<&str> = all
        .split("\n\n")
        .filter(|b| !b.starts_with("First: "))
        .collect();
    assert_eq!(
        runbooks.len(),
        ids.len() * 2,
        "a heading and a body per rule"
    );
    for (id, pair) in ids.iter().zip(runbooks.chunks(2)) {
        let (head, body) = (pair[0], pair[1]);
        let rule = pack.get(id).unwrap();
        assert_eq!(head, format!("{id} ({})", rule.name));
        let rotate = rule
            .rotate
            .as_ref()
            .expect("every built-in rule says how to rotate");
        assert!(body.contains(&rotate.text), "{id}: {body}");
        if let Some(url) = &rotate.url {
            assert!(body.contains(url.as_str()), "{id}");
        }
    }
    assert_eq!(all.matches("\nFirst: ").count(), ids.len());
    let o = bin().args(["explain", "known"]).output().unwrap();
    assert!(stdout_of(&o).contains("--keep-rotated"));
    bin().args(["explain", "no-such-rule"]).assert().code(2);
}

#[test]
fn sighup_reloads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("KEY");
    fs::write(&file, value("hup-one")).unwrap();
    // A poll so long that only the signal can explain a reload.
    let (mut child, out) = redactor(&["--known", file.to_str().unwrap(), "--poll", "1h"]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", value("hup-one")).unwrap();
    stdin.flush().unwrap();
    assert_eq!(next_line(&out), "[REDACTED:known:KEY]\n");
    fs::write(&file, value("hup-two")).unwrap();
    let status = StdCommand::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    thread::sleep(Duration::from_millis(500));
    writeln!(stdin, "{} {}", value("hup-two"), value("hup-one")).unwrap();
    drop(stdin);
    assert_eq!(
        next_line(&out),
        "[REDACTED:known:KEY] [REDACTED:known:KEY]\n"
    );
    assert_success(child);
}
