//! The `secretscan` binary end to end: real files, directory trees, pipes
//! and FIFOs.
//!
//! Test keys are assembled at run time from a fixed pseudo-random generator
//! (see [`tail`]), so no complete token sits in this file.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use tempfile::TempDir;

mod keys;

use keys::{checksummed, github_pat, lines_of, spawn_piped, tail, ALNUM, BIN};

const URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";
const HEX: &str = "0123456789abcdef";

/// Unpadded base64url, for building JWTs.
fn base64url(text: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn anthropic_key() -> String {
    format!("sk-ant-api03-{}AA", tail(93, 1, URL))
}

/// One line per family the built-in pack covers, and the exact line it
/// must redact to.
fn family_lines() -> Vec<(&'static str, String, String)> {
    let pem_body: Vec<String> = (0..8).map(|i| tail(64, 100 + i, B64)).collect();
    let pem = format!(
        "-----BEGIN RSA {}-----\nMIIEpAIBAAKCAQEA{}\n{}\n-----END RSA {}-----",
        "PRIVATE KEY",
        tail(48, 99, B64),
        pem_body.join("\n"),
        "PRIVATE KEY"
    );
    let row = |name, prefix: &str, secret: String, suffix: &str, id: &str| {
        (
            name,
            format!("{prefix}{secret}{suffix}\n"),
            format!("{prefix}[REDACTED:{id}]{suffix}\n"),
        )
    };
    vec![
        row(
            "anthropic",
            "x-api-key: ",
            anthropic_key(),
            "",
            "anthropic-api-key",
        ),
        row(
            "openai",
            "OPENAI_API_KEY=\"",
            format!("sk-proj-{}T3BlbkFJ{}", tail(74, 2, URL), tail(74, 3, URL)),
            "\"",
            "openai-api-key",
        ),
        row(
            "github",
            "remote token ",
            github_pat(4),
            " used",
            "github-pat",
        ),
        row(
            "github fine-grained",
            "gh auth: ",
            format!(
                "github_pat_{}",
                tail(
                    82,
                    5,
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
                )
            ),
            "",
            "github-fine-grained-pat",
        ),
        row(
            "gitlab",
            "CI_JOB: ",
            format!("glpat-{}", tail(20, 6, ALNUM)),
            " ok",
            "gitlab-pat",
        ),
        row(
            "aws key id",
            "aws id ",
            format!("AKIA{}", tail(16, 7, B32)),
            " in env",
            "aws-access-key-id",
        ),
        row(
            "aws secret",
            "aws_secret_access_key = ",
            tail(40, 8, B64),
            "",
            "aws-secret-access-key",
        ),
        row(
            "slack",
            "{\"token\":\"",
            format!(
                "xoxb-{}-{}-{}",
                tail(12, 9, DIGITS),
                tail(13, 10, DIGITS),
                tail(24, 11, ALNUM)
            ),
            "\"}",
            "slack-bot-token",
        ),
        row(
            "stripe",
            "charge with ",
            format!("sk_live_{}", tail(32, 12, ALNUM)),
            " failed",
            "stripe-secret-key",
        ),
        row(
            "google",
            "maps?key=",
            format!("AIza{}", tail(35, 13, URL)),
            "&q=x",
            "google-api-key",
        ),
        row(
            "huggingface",
            "HF ",
            format!("hf_{}", tail(34, 14, LETTERS)),
            "",
            "huggingface-token",
        ),
        row(
            "npm",
            "publish with ",
            checksummed("npm_", 15),
            "",
            "npm-token",
        ),
        row(
            "pypi",
            "upload ",
            format!("pypi-AgEIcHlwaS5vcmc{}", tail(70, 16, URL)),
            "",
            "pypi-token",
        ),
        row(
            "sendgrid",
            "mail key ",
            format!("SG.{}.{}", tail(22, 17, URL), tail(43, 18, URL)),
            "",
            "sendgrid-api-key",
        ),
        row(
            "twilio",
            "twilio sid ",
            format!("SK{}", tail(32, 19, HEX)),
            "",
            "twilio-api-key",
        ),
        row(
            "jwt",
            "session=",
            // Header {"alg":"HS256","typ":"JWT"} and claims
            // {"sub":"<digits>","iat":1716239022}, base64url; a random
            // signature.
            format!(
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
                base64url(&format!(
                    r#"{{"sub":"{}","iat":1716239022}}"#,
                    tail(12, 21, DIGITS)
                )),
                tail(43, 22, URL)
            ),
            ";",
            "jwt",
        ),
        row("private key", "key: ", pem, "", "private-key-rsa"),
        row(
            "github oauth",
            "oauth ",
            checksummed("gho_", 23),
            "",
            "github-oauth",
        ),
        row(
            "github app",
            "app ",
            checksummed("ghs_", 24),
            "",
            "github-app",
        ),
        row(
            "slack webhook",
            "post to ",
            format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                tail(9, 25, B32),
                tail(9, 26, B32),
                tail(24, 27, ALNUM)
            ),
            " done",
            "slack-webhook",
        ),
        row(
            "bearer header",
            "Authorization: Bearer ",
            tail(40, 28, ALNUM),
            "",
            "authorization-bearer",
        ),
        row(
            "password in url",
            "git clone https://deploy:",
            tail(20, 29, ALNUM),
            "@git.internal.net/team/repo.git",
            "basic-auth-url",
        ),
        row(
            "database url",
            "DATABASE_URL=postgres://app:",
            tail(20, 30, ALNUM),
            "@db.internal:5432/app",
            "postgres-url",
        ),
        row(
            "api key assignment",
            "API_KEY=",
            format!("{}7", tail(31, 31, ALNUM)),
            "",
            "generic-api-key",
        ),
        row(
            "secret assignment",
            "CLIENT_SECRET=",
            format!("{}4", tail(39, 32, ALNUM)),
            "",
            "generic-secret",
        ),
        row(
            "password assignment",
            "DB_PASSWORD=",
            format!("{}7", tail(16, 33, ALNUM)),
            "",
            "generic-password",
        ),
    ]
}

fn bin() -> Command {
    Command::new(BIN)
}

fn write(path: &Path, contents: impl AsRef<[u8]>) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap();
    }
    fs::write(path, contents).unwrap();
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A tree with secrets where a scanner must look (hidden files, ignored
/// files, binary files, nested directories) and one where it must not
/// (`.git`).
fn secret_tree() -> (TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tokens: Vec<String> = (0..4).map(|i| github_pat(40 + i)).collect();
    write(&root.join(".env"), format!("GITHUB_TOKEN={}\n", tokens[0]));
    write(
        &root.join("src/app/config.py"),
        format!("# config\n\nTOKEN = \"{}\"\n", tokens[1]),
    );
    // Ignored by every ignore file there is: still scanned.
    write(&root.join(".gitignore"), "ignored.log\n");
    write(&root.join(".ignore"), "ignored.log\n");
    fs::create_dir_all(root.join(".git")).unwrap();
    write(
        &root.join("ignored.log"),
        format!("auth {} ok\n", tokens[2]),
    );
    let mut binary = vec![0u8, 159, 146, 150, 0xff, 0];
    binary.extend_from_slice(tokens[3].as_bytes());
    binary.extend_from_slice(&[0, 0, 0xfe]);
    write(&root.join("core.dump"), binary);
    // Skipped: git's own store.
    write(
        &root.join(".git/config"),
        format!("token = {}\n", github_pat(99)),
    );
    write(&root.join("README.md"), "nothing to see\n");
    (dir, tokens)
}

#[test]
fn scan_tree_reports_every_secret_sorted_by_path() {
    let (dir, tokens) = secret_tree();
    let root = dir.path().display().to_string();
    let output = bin().arg("scan").arg(dir.path()).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "stderr: {}",
        stderr_of(&output)
    );
    assert_eq!(
        stdout_of(&output),
        format!(
            "{root}/.env:1:14 github-pat high ghp_…\n\
             {root}/core.dump:1:7 github-pat high ghp_…\n\
             {root}/ignored.log:1:6 github-pat high ghp_…\n\
             {root}/src/app/config.py:3:10 github-pat high ghp_…\n"
        )
    );
    assert!(output.stderr.is_empty(), "{}", stderr_of(&output));
    for token in &tokens {
        assert!(
            !stdout_of(&output).contains(token.as_str()),
            "a secret was printed"
        );
    }
}

#[test]
fn scan_clean_tree_exits_0_silently() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.txt"), "hello\n");
    write(&dir.path().join("sub/.hidden"), "ghp_short\n");
    write(&dir.path().join("empty"), "");
    bin()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
}

#[test]
fn scan_human_line_is_path_line_col_rule_preview() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    write(
        &file,
        format!("line one\nline two has {}\n", anthropic_key()),
    );
    bin()
        .arg("scan")
        .arg(&file)
        .assert()
        .code(1)
        .stdout(format!(
            "{}:2:14 anthropic-api-key medium sk-a…\n",
            file.display()
        ));
}

#[test]
fn scan_json_and_jsonl_carry_locations_but_no_secret() {
    let (dir, tokens) = secret_tree();
    let output = bin()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout_of(&output);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let records = v.as_array().unwrap();
    assert_eq!(records.len(), 4);
    let first = &records[0];
    assert_eq!(first["path"], format!("{}/.env", dir.path().display()));
    assert_eq!(first["rule_id"], "github-pat");
    assert!(first["rule_name"].as_str().unwrap().contains("GitHub"));
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(1), Some(14))
    );
    assert_eq!(
        (first["offset"].as_u64(), first["end"].as_u64()),
        (Some(13), Some(53))
    );
    assert_eq!(first["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(first["preview"], "ghp_…");
    assert!(first.get("secret").is_none());
    for token in &tokens {
        assert!(!text.contains(token.as_str()), "a secret was printed");
    }

    let output = bin()
        .args(["scan", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout_of(&output);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(&lines, records, "jsonl holds the same records as json");
    for token in &tokens {
        assert!(!text.contains(token.as_str()), "a secret was printed");
    }

    // Nothing found: still valid JSON.
    let clean = tempfile::tempdir().unwrap();
    bin()
        .args(["scan", "--format", "json"])
        .arg(clean.path())
        .assert()
        .code(0)
        .stdout("[]\n");
}

#[test]
fn show_secrets_prints_the_values() {
    let (dir, tokens) = secret_tree();
    let env = dir.path().join(".env");
    bin()
        .args(["scan", "--show-secrets"])
        .arg(&env)
        .assert()
        .code(1)
        .stdout(format!(
            "{}:1:14 github-pat high ghp_… {}\n",
            env.display(),
            tokens[0]
        ));
    let output = bin()
        .args(["scan", "--show-secrets", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    let secrets: Vec<String> = stdout_of(&output)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["secret"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        secrets,
        [tokens[0].as_str(), &tokens[3], &tokens[2], &tokens[1]]
    );
}

#[test]
fn show_secrets_finds_values_across_read_chunks() {
    // Secrets straddling the 256 KiB read size, near the end of a 1 MiB
    // file, and from stdin.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.log");
    let mut data = vec![b'.'; 1 << 20];
    for (i, at) in [256 * 1024 - 20, 512 * 1024 - 1, (1 << 20) - 50]
        .into_iter()
        .enumerate()
    {
        data[at - 1] = b' ';
        data[at..at + 40].copy_from_slice(github_pat(70 + i as u64).as_bytes());
        data[at + 40] = b' ';
    }
    write(&file, &data);
    let output = bin()
        .args(["scan", "--show-secrets", "--format", "jsonl"])
        .arg(&file)
        .output()
        .unwrap();
    let found: Vec<(u64, String)> = stdout_of(&output)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["offset"].as_u64().unwrap(),
                v["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = vec![
        (256 * 1024 - 20, github_pat(70)),
        (512 * 1024 - 1, github_pat(71)),
        ((1 << 20) - 50, github_pat(72)),
    ];
    assert_eq!(found, expected);
    let output = bin()
        .args(["scan", "--show-secrets", "--format", "jsonl", "-"])
        .write_stdin(data)
        .output()
        .unwrap();
    assert_eq!(stdout_of(&output).lines().count(), 3);
    assert!(stdout_of(&output).contains(&github_pat(72)));
}

#[test]
fn scan_reads_stdin_from_a_pipe_or_dash() {
    let input = format!("a\nkey {}\n", github_pat(1));
    bin()
        .arg("scan")
        .write_stdin(input.clone())
        .assert()
        .code(1)
        .stdout("<stdin>:2:5 github-pat high ghp_…\n");
    bin()
        .args(["scan", "-"])
        .write_stdin(input)
        .assert()
        .code(1)
        .stdout("<stdin>:2:5 github-pat high ghp_…\n");
    bin()
        .arg("scan")
        .write_stdin("")
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn scan_of_stdin_reports_each_finding_while_stdin_is_open() {
    // `tail -f app.log | secretscan scan`: a finding shows up as soon as
    // its line is in, not at the end of input.
    let mut child = spawn_piped(&["scan"]);
    let mut stdin = child.stdin.take().unwrap();
    let lines = lines_of(child.stdout.take().unwrap());

    stdin
        .write_all(format!("login ok token={} user=7\n", github_pat(13)).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let line = lines.recv_timeout(Duration::from_secs(2));
    if line.is_err() {
        let _ = child.kill();
    }
    assert_eq!(
        line.as_deref(),
        Ok("<stdin>:1:16 github-pat high ghp_…\n"),
        "the finding must arrive while stdin is still open"
    );
    // A second one, in the same way.
    stdin
        .write_all(format!("noise\nretry {}\n", github_pat(14)).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let line = lines.recv_timeout(Duration::from_secs(2));
    if line.is_err() {
        let _ = child.kill();
    }
    assert_eq!(line.as_deref(), Ok("<stdin>:3:7 github-pat high ghp_…\n"));

    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert_eq!(stderr_of(&output), "");
    assert!(
        lines.recv_timeout(Duration::from_secs(2)).is_err(),
        "nothing more after the end of input"
    );
}

/// Runs `secretscan ARGS` on `input` written to its stdin from a thread
/// while its output is read (a streaming scan writes before its input
/// ends, so writing all the input first could deadlock on the pipes).
fn run_piped(args: &[&str], input: Vec<u8>) -> std::process::Output {
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().unwrap();
    let writer = thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    output
}

#[test]
fn scan_of_stdin_streams_many_findings_in_order() {
    const N: usize = 20_000;
    let line = format!("req id=42 auth={} status=200\n", github_pat(15));
    let input = line.repeat(N).into_bytes();

    let output = run_piped(&["scan"], input.clone());
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let text = stdout_of(&output);
    let mut count = 0;
    for (i, l) in text.lines().enumerate() {
        assert_eq!(l, format!("<stdin>:{}:16 github-pat high ghp_…", i + 1));
        count += 1;
    }
    assert_eq!(count, N);

    // JSON streams the array's elements and still ends as one array.
    let output = run_piped(&["scan", "--format", "json", "-"], input.clone());
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    let records = v.as_array().unwrap();
    assert_eq!(records.len(), N);
    assert_eq!(records[N - 1]["line"], N as u64);
    assert_eq!(records[N - 1]["offset"], ((N - 1) * line.len() + 15) as u64);

    let output = run_piped(&["scan", "--format", "jsonl"], input);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output).lines().count(), N);
}

#[test]
fn scan_of_stdin_and_files_is_one_report_stdin_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.log");
    write(&file, format!("k {}\n", github_pat(16)));
    let output = bin()
        .args(["scan", "--format", "json"])
        .arg(&file)
        .arg("-")
        .write_stdin(format!("x\nk {}\n", github_pat(17)))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    let paths: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["<stdin>", file.to_str().unwrap()]);
    assert_eq!(v[0]["line"], 2);
}

#[test]
fn scan_of_stdin_to_a_closed_pipe_exits_0_quietly() {
    let input = format!("tok {}\n", github_pat(18)).repeat(200_000);
    let (first, output) = read_first_line_then_close(&["scan"], input.into_bytes());
    assert_eq!(first, "<stdin>:1:5 github-pat high ghp_…\n");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        stderr_of(&output)
    );
    assert_eq!(stderr_of(&output), "");
}

#[test]
fn scan_without_paths_on_a_terminal_is_a_usage_error() {
    // util-linux `script` runs the command with a pseudo-terminal as stdin.
    let probe = StdCommand::new("script")
        .args(["-qec", "true", "/dev/null"])
        .stdin(Stdio::null())
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: no util-linux `script` to provide a terminal");
        return;
    }
    let output = StdCommand::new("script")
        .args(["-qec", &format!("'{BIN}' scan"), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("stdin is a terminal"), "{text}");
}

#[test]
fn nonexistent_path_is_reported_and_the_rest_scanned() {
    let (dir, _) = secret_tree();
    let missing = dir.path().join("no-such-file.txt");
    let output = bin()
        .arg("scan")
        .arg(&missing)
        .arg(dir.path().join(".env"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "errors win over findings");
    let stderr = stderr_of(&output);
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
    assert!(stderr.starts_with("secretscan: error: "), "{stderr}");
    assert_eq!(
        stdout_of(&output).lines().count(),
        1,
        "the other file was scanned"
    );
}

#[test]
fn unreadable_paths_are_reported_and_the_rest_scanned() {
    let (dir, _) = secret_tree();
    let locked = dir.path().join("locked/secret.txt");
    write(&locked, format!("key {}\n", github_pat(5)));
    set_mode(&locked, 0o000);
    let can_read_anyway = fs::read(&locked).is_ok();
    let output = if can_read_anyway {
        // Root ignores permissions; a symbolic link loop is unreadable to
        // everyone.
        let looped = dir.path().join("loop");
        std::os::unix::fs::symlink(&looped, &looped).unwrap();
        bin()
            .arg("scan")
            .arg(dir.path())
            .arg(&looped)
            .output()
            .unwrap()
    } else {
        let locked_dir = dir.path().join("locked-dir");
        write(&locked_dir.join("x.txt"), "x\n");
        set_mode(&locked_dir, 0o000);
        let output = bin().arg("scan").arg(dir.path()).output().unwrap();
        set_mode(&locked_dir, 0o755);
        let stderr = stderr_of(&output);
        for path in [&locked, &locked_dir] {
            let message = format!(
                "secretscan: error: {}: Permission denied (os error 13)\n",
                path.display()
            );
            assert!(stderr.contains(&message), "{stderr}");
        }
        output
    };
    set_mode(&locked, 0o644);
    assert_eq!(
        output.status.code(),
        Some(2),
        "stderr: {}",
        stderr_of(&output)
    );
    if can_read_anyway {
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("loop") && stderr.contains("symbolic links"),
            "{stderr}"
        );
    }
    // The readable files were still scanned.
    assert!(
        stdout_of(&output).contains("/.env:1:14 github-pat"),
        "{}",
        stdout_of(&output)
    );
    assert!(stdout_of(&output).contains("/core.dump:1:7 github-pat"));
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn untrusted_paths_are_escaped_for_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("evil\x1b[2J\rname.txt");
    write(&evil, format!("{}\n", github_pat(6)));
    let output = bin().arg("scan").arg(dir.path()).output().unwrap();
    let stdout = stdout_of(&output);
    assert!(
        stdout.contains("evil\\x1b[2J\\rname.txt:1:1 github-pat"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b') && !stdout.contains('\r'));
    // Error messages too.
    let output = bin()
        .arg("scan")
        .arg(dir.path().join("gone\x1b]0;x\x07"))
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert!(stderr.contains("gone\\x1b]0;x\\x07"), "{stderr}");
    assert!(!stderr.contains('\x1b'));
}

#[test]
fn scan_of_directory_given_twice_reports_once() {
    let (dir, _) = secret_tree();
    let output = bin()
        .arg("scan")
        .arg(dir.path())
        .arg(dir.path().join(".env"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        stdout_of(&output).lines().count(),
        4,
        "{}",
        stdout_of(&output)
    );
}

#[test]
fn redact_replaces_each_family_exactly() {
    for (name, line, expected) in family_lines() {
        let output = bin()
            .arg("redact")
            .write_stdin(line.clone())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            stderr_of(&output)
        );
        assert_eq!(stdout_of(&output), expected, "{name}");
    }
}

#[test]
fn redact_keeps_every_other_byte_of_binary_input() {
    let token = github_pat(7);
    let mut input: Vec<u8> = vec![];
    for i in 0..=255u8 {
        input.push(i);
    }
    input.extend_from_slice(b"\xff\xfe invalid \xc3\x28 utf-8\0\0 ");
    input.extend_from_slice(token.as_bytes());
    input.extend_from_slice(b"\0\x80tail\r\n\0");
    let mut expected: Vec<u8> = (0..=255u8).collect();
    expected.extend_from_slice(
        b"\xff\xfe invalid \xc3\x28 utf-8\0\0 [REDACTED:github-pat]\0\x80tail\r\n\0",
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dump.bin");
    write(&file, &input);
    bin()
        .arg("redact")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(expected.clone());
    bin()
        .arg("redact")
        .write_stdin(input)
        .assert()
        .code(0)
        .stdout(expected);
}

#[test]
fn redact_empty_input_gives_empty_output() {
    bin()
        .arg("redact")
        .write_stdin("")
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty");
    write(&file, "");
    bin().arg("redact").arg(&file).assert().code(0).stdout("");
}

#[test]
fn redact_writes_to_an_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.log");
    let out = dir.path().join("out.log");
    write(&input, format!("a {} b\nplain\n", github_pat(8)));
    bin()
        .arg("redact")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0)
        .stdout("");
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "a [REDACTED:github-pat] b\nplain\n"
    );
    // Writing over the input would destroy it before it is read.
    let output = bin()
        .arg("redact")
        .arg(&input)
        .arg("-o")
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains(&input.display().to_string()));
    assert!(
        fs::read_to_string(&input).unwrap().contains("ghp_"),
        "input intact"
    );
}

#[test]
fn redact_of_a_missing_file_exits_2_naming_it() {
    let output = bin()
        .args(["redact", "/nonexistent/secretscan-input"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("/nonexistent/secretscan-input") && stderr.contains("No such file"),
        "{stderr}"
    );
}

/// Feeds `chunks` to a spawned `secretscan ARGS`, one write each with a
/// pause between them, and returns its output.
fn run_trickled(args: &[&str], chunks: Vec<Vec<u8>>, pause: Duration) -> std::process::Output {
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().unwrap();
    let writer = thread::spawn(move || {
        for chunk in chunks {
            stdin.write_all(&chunk).unwrap();
            stdin.flush().unwrap();
            thread::sleep(pause);
        }
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

#[test]
fn redact_trickled_input_equals_whole_input() {
    let mut input = String::from("start\n");
    for (_, line, _) in family_lines() {
        input.push_str("noise before ");
        input.push_str(&line);
    }
    input.push_str("no newline at the end ");
    input.push_str(&github_pat(9));
    let whole = bin()
        .arg("redact")
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(whole.status.code(), Some(0));
    let chunks: Vec<Vec<u8>> = input.as_bytes().chunks(5).map(<[u8]>::to_vec).collect();
    let trickled = run_trickled(&["redact"], chunks, Duration::from_millis(1));
    assert_eq!(trickled.status.code(), Some(0), "{}", stderr_of(&trickled));
    assert_eq!(stdout_of(&trickled), stdout_of(&whole));
    assert!(stdout_of(&whole).ends_with("no newline at the end [REDACTED:github-pat]"));
}

#[test]
fn redact_to_a_closed_pipe_exits_0_quietly() {
    let line = format!("request from 10.0.0.1 auth={} ok\n", github_pat(10));
    let (first, output) =
        read_first_line_then_close(&["redact"], line.repeat(100_000).into_bytes());
    assert_eq!(
        first,
        "request from 10.0.0.1 auth=[REDACTED:github-pat] ok\n"
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        stderr_of(&output)
    );
    assert_eq!(stderr_of(&output), "", "no message, no panic");
}

/// Runs the binary with `args`, feeds it `input` on stdin, reads one line of
/// its output and then closes the output pipe, as `| head -1` does.
fn read_first_line_then_close(args: &[&str], input: Vec<u8>) -> (String, std::process::Output) {
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().unwrap();
    // The child stops reading once its output is gone: ignore write errors.
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    drop(reader);
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (first, output)
}

#[test]
fn scan_to_a_closed_pipe_exits_0_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.log");
    write(&file, format!("tok {}\n", github_pat(11)).repeat(50_000));
    let mut child = StdCommand::new(BIN)
        .arg("scan")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.ends_with(":1:5 github-pat high ghp_…\n"), "{first}");
    drop(reader);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        stderr_of(&output)
    );
    assert_eq!(stderr_of(&output), "");
}

#[test]
fn redact_from_a_fifo_emits_each_line_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("app.fifo");
    let status = StdCommand::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success(), "mkfifo failed");
    let mut child = StdCommand::new(BIN)
        .arg("redact")
        .arg(&fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Opening a FIFO for writing blocks until the reader opens it: do it in
    // a thread so that a child that never opens it fails the test instead
    // of hanging it.
    let (open_tx, open_rx) = mpsc::channel();
    let fifo_path = fifo.clone();
    thread::spawn(move || {
        let _ = open_tx.send(fs::OpenOptions::new().write(true).open(fifo_path));
    });
    let Ok(opened) = open_rx.recv_timeout(Duration::from_secs(20)) else {
        child.kill().unwrap();
        panic!(
            "secretscan never opened the FIFO: {}",
            stderr_of(&child.wait_with_output().unwrap())
        );
    };
    let mut writer = opened.unwrap();

    let stdout = child.stdout.take().unwrap();
    let (line_tx, line_rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            line_tx.send(line).unwrap();
        }
    });

    let token = github_pat(12);
    writer
        .write_all(format!("auth {token} ok\n").as_bytes())
        .unwrap();
    writer.flush().unwrap();
    let line = line_rx.recv_timeout(Duration::from_secs(1));
    assert_eq!(
        line.as_deref(),
        Ok("auth [REDACTED:github-pat] ok\n"),
        "the redacted line must arrive while the writer keeps the FIFO open"
    );
    // A second line, then the end of input.
    writer.write_all(b"second line\n").unwrap();
    let line = line_rx.recv_timeout(Duration::from_secs(1));
    assert_eq!(line.as_deref(), Ok("second line\n"));
    drop(writer);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(status.success());
}

#[test]
fn rules_lists_the_pack() {
    let output = bin().arg("rules").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let table = stdout_of(&output);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("ID ") && header.contains("NAME") && header.contains("KEYWORDS"),
        "{header}"
    );
    let github = table
        .lines()
        .find(|l| l.starts_with("github-pat "))
        .expect("github-pat listed");
    assert!(github.contains("ghp_") && github.contains("90"), "{github}");
    assert_eq!(
        bin().args(["rules", "list"]).output().unwrap().stdout,
        output.stdout
    );

    let output = bin().args(["rules", "--format", "json"]).output().unwrap();
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), table.lines().count() - 1);
    let github = rules.iter().find(|r| r["id"] == "github-pat").unwrap();
    assert_eq!(github["keywords"][0], "ghp_");
    assert!(github["priority"].is_i64());
    // Each rule names its provider: a hand-written rule by its file's
    // `provider_name`, a provider row by its name; families name none.
    assert_eq!(github["provider"], "GitHub");
    let groq = rules.iter().find(|r| r["id"] == "groq-api-key").unwrap();
    assert_eq!(groq["provider"], "Groq");
    let hash = rules
        .iter()
        .find(|r| {
            r["origin"]
                .as_str()
                .unwrap()
                .ends_with("password-hash.toml")
        })
        .unwrap();
    assert!(hash["provider"].is_null(), "{hash}");
    let providers: std::collections::HashSet<&str> = rules
        .iter()
        .filter_map(|r| r["provider"].as_str())
        .collect();
    assert!(providers.len() >= 800, "{} providers", providers.len());
    let listed = bin()
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(listed.stdout, output.stdout);
}

#[test]
fn rules_list_includes_added_rule_files_and_can_leave_out_builtins() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    write(&file, good_rule("acme-token"));
    let output = bin()
        .arg("rules")
        .arg("--rules")
        .arg(&file)
        .output()
        .unwrap();
    let table = stdout_of(&output);
    assert!(
        table.lines().any(|l| l.starts_with("acme-token ")),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("github-pat ")),
        "{table}"
    );
    let output = bin()
        .args(["--no-builtin", "rules", "--rules"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        stdout_of(&output).lines().count(),
        2,
        "{}",
        stdout_of(&output)
    );
    // And the added rule works in scan and redact.
    bin()
        .args(["redact", "--no-builtin", "--rules"])
        .arg(&file)
        .write_stdin("id acme_abcdefghijklmnop\n")
        .assert()
        .code(0)
        .stdout("id [REDACTED:acme-token]\n");
}

#[test]
fn no_builtin_without_rules_is_a_usage_error() {
    let output = bin()
        .args(["scan", "--no-builtin", "-"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--no-builtin"));
}

#[test]
fn rules_check_passes_on_the_builtin_pack() {
    let output = bin().args(["rules", "check"]).output().unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let summary = stdout.lines().last().unwrap();
    assert!(summary.ends_with(" examples, 0 failures"), "{summary}");
}

fn good_rule(id: &str) -> String {
    format!(
        "[[rules]]\nid = \"{id}\"\nname = \"Acme token\"\npattern = 'acme_[a-z]{{16}}'\nkeywords = [\"acme_\"]\n\
         examples = [\"id acme_{{{{lower:16}}}}\"]\nnegative_examples = [\"acme_short\"]\n"
    )
}

#[test]
fn rules_check_fails_on_a_bad_example_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad-examples.toml");
    let text = good_rule("acme-token")
        + &good_rule("acme-broken").replace("acme_{{lower:16}}", "acme_{{lower:4}}");
    write(&file, text);
    let output = bin().args(["rules", "check"]).arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].contains(&file.display().to_string()), "{stdout}");
    assert!(
        lines[0].contains("'acme-broken'") && lines[0].contains("examples[0]"),
        "{stdout}"
    );
    assert_eq!(lines[1], "2 rules, 4 examples, 1 failures");
    // A good file passes on its own, without the built-in pack.
    let good = dir.path().join("good.toml");
    write(&good, good_rule("acme-token"));
    bin()
        .args(["rules", "check"])
        .arg(&good)
        .assert()
        .code(0)
        .stdout("1 rules, 2 examples, 0 failures\n");
}

#[test]
fn bad_rule_files_exit_2_naming_file_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |id: &str, pattern: &str, keywords: &str| {
        format!("[[rules]]\nid = \"{id}\"\nname = \"n\"\npattern = '{pattern}'\nkeywords = {keywords}\n")
    };
    let cases = [
        (
            "regex.toml",
            rule("bad-regex", "tok_(", "[\"tok_\"]"),
            "bad-regex",
            "invalid pattern",
        ),
        (
            "unbounded.toml",
            rule("too-long", "tok_[a-z]+", "[\"tok_\"]"),
            "too-long",
            "maximum match length",
        ),
        (
            "nokeyword.toml",
            rule("no-keyword", "tok_[a-z]{8}", "[]"),
            "no-keyword",
            "keyword",
        ),
        (
            "dup-builtin.toml",
            rule("github-pat", "tok_[a-z]{8}", "[\"tok_\"]"),
            "github-pat",
            "duplicate",
        ),
        (
            "dup-file.toml",
            rule("twice", "tok_[a-z]{8}", "[\"tok_\"]")
                + &rule("twice", "tok_[a-z]{9}", "[\"tok_\"]"),
            "twice",
            "duplicate",
        ),
        (
            "syntax.toml",
            "[[rules]\nid = 1\n".to_string(),
            "",
            "invalid rule file",
        ),
    ];
    for (name, text, id, reason) in cases {
        let file = dir.path().join(name);
        write(&file, text);
        for args in [
            &["scan", "-"][..],
            &["redact"],
            &["rules"],
            &["rules", "check"],
        ] {
            let output = bin()
                .args(args)
                .arg("--rules")
                .arg(&file)
                .write_stdin("x\n")
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(2), "{name} {args:?}");
            assert!(output.stdout.is_empty(), "{name} {args:?}");
            let stderr = stderr_of(&output);
            assert!(
                stderr.starts_with("secretscan: error: "),
                "{name}: {stderr}"
            );
            assert!(
                stderr.contains(&file.display().to_string()),
                "{name}: {stderr}"
            );
            if !id.is_empty() {
                assert!(stderr.contains(&format!("'{id}'")), "{name}: {stderr}");
            }
            assert!(stderr.contains(reason), "{name}: {stderr}");
        }
    }
    // A missing rule file, too.
    let missing = dir.path().join("missing.toml");
    let output = bin()
        .arg("redact")
        .arg("--rules")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains(&missing.display().to_string()));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    bin().arg("frobnicate").assert().code(2);
    bin()
        .args(["scan", "--format", "xml", "-"])
        .assert()
        .code(2);
    bin().arg("--help").assert().code(0);
    bin().args(["scan", "--help"]).assert().code(0);
    bin().arg("--version").assert().code(0);
}

fn example_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/make-app-log")
}

#[test]
fn example_app_log_is_found_and_fully_redacted() {
    let log = StdCommand::new("sh")
        .arg(example_script())
        .output()
        .unwrap();
    assert!(log.status.success(), "{}", stderr_of(&log));
    let lines = log.stdout.iter().filter(|&&b| b == b'\n').count();
    assert!((180..=240).contains(&lines), "{lines} lines");
    let again = StdCommand::new("sh")
        .arg(example_script())
        .output()
        .unwrap();
    assert_eq!(again.stdout, log.stdout, "the same log on every run");

    let output = bin()
        .args(["scan", "--format", "jsonl", "--min-confidence", "low"])
        .write_stdin(log.stdout.clone())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let mut ids: Vec<String> = stdout_of(&output)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["rule_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    for planted in [
        "anthropic-api-key",
        "openai-api-key",
        "github-pat",
        "aws-access-key-id",
        "aws-secret-access-key",
        "slack-bot-token",
        "stripe-secret-key",
        "google-api-key",
        "jwt",
        "private-key-rsa",
    ] {
        assert!(
            ids.iter().any(|id| id == planted),
            "{planted} not found; found {ids:?}"
        );
    }
    assert!(
        ids.iter()
            .any(|id| id == "postgres-url" || id == "basic-auth-url"),
        "the postgres URL is not found; found {ids:?}"
    );
    assert!(
        ids.iter().any(|id| id == "generic-password"),
        "password= not found; found {ids:?}"
    );

    let redacted = bin()
        .arg("redact")
        .write_stdin(log.stdout)
        .output()
        .unwrap();
    assert_eq!(redacted.status.code(), Some(0));
    bin()
        .arg("scan")
        .write_stdin(redacted.stdout)
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn example_script_holds_no_complete_token() {
    bin()
        .arg("scan")
        .arg(example_script())
        .assert()
        .code(0)
        .stdout("");
    bin()
        .arg("scan")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli.rs"))
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn min_confidence_filters_generic_findings() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("settings.py");
    write(
        &file,
        format!(
            "DB_PASSWORD = \"{}7#\"\nTOKEN = \"{}\"\n",
            tail(14, 71, ALNUM),
            github_pat(72)
        ),
    );
    let run = |level: &str| {
        let out = bin()
            .args(["scan", "--format", "jsonl", "--min-confidence", level])
            .arg(&file)
            .output()
            .unwrap();
        stdout_of(&out)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                format!(
                    "{} {}",
                    v["rule_id"].as_str().unwrap(),
                    v["confidence"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run("low"), vec!["generic-password low", "github-pat high"]);
    assert_eq!(run("medium"), vec!["github-pat high"]);
    assert_eq!(run("high"), vec!["github-pat high"]);
    // The default suits CI: the generic guess does not block.
    bin().arg("scan").arg(&file).assert().code(1).stdout(
        predicates::prelude::PredicateBooleanExt::not(predicates::str::contains(
            "generic-password",
        )),
    );
    bin()
        .args(["scan", "--min-confidence", "certain"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown confidence"));
}

#[test]
fn allow_markers_on_the_line_suppress_a_finding_but_not_its_redaction() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("fixtures.rs");
    let text = format!(
        "let a = \"{}\"; // secretscan:allow\nlet b = \"{}\"; # gitleaks:allow\nlet c = \"{}\";\n",
        github_pat(81),
        github_pat(82),
        github_pat(83)
    );
    write(&file, text);
    let out = bin().arg("scan").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<_> = stdout_of(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(":3:"), "{lines:?}");
    let all = bin()
        .args(["scan", "--no-inline-allow"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(stdout_of(&all).lines().count(), 3);
    // Redaction ignores the markers: a marked key is still a key.
    let redacted = bin().arg("redact").arg(&file).output().unwrap();
    assert_eq!(
        stdout_of(&redacted)
            .matches("[REDACTED:github-pat]")
            .count(),
        3
    );
}

#[test]
fn rules_json_lists_confidence_keywords_checks_and_rotation() {
    let out = bin().args(["rules", "--format", "json"]).output().unwrap();
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules.len() >= 300, "{} rules", rules.len());
    for r in &rules {
        for field in ["id", "name", "confidence", "keywords", "rotate"] {
            assert!(!r[field].is_null(), "{}: no {field}", r["id"]);
        }
    }
    let pat = rules.iter().find(|r| r["id"] == "github-pat").unwrap();
    assert_eq!(pat["confidence"], "high");
    assert_eq!(pat["validate"], "crc32-base62");
    let generic = rules
        .iter()
        .find(|r| r["id"] == "generic-password")
        .unwrap();
    assert_eq!(generic["confidence"], "low");
}

#[test]
fn rules_check_fails_on_a_negative_found_by_another_rule() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("mine.toml");
    write(
        &file,
        r#"[[rules]]
id = "acme-token"
name = "Acme token"
pattern = '''\bacme_[a-z0-9]{20}\b'''
keywords = ["acme_"]
rotate = { text = "Revoke it." }
examples = ["ACME_TOKEN=acme_{{lowerdigit:20}}", "x acme_{{lowerdigit:20}} y"]
negative_examples = ["api_key = RANDOM_VALUE"]
"#
        // Assembled here: a whole random value in this file would be a
        // finding of the file itself (see example_script_holds_no_complete_token).
        .replace("RANDOM_VALUE", &["q8Zr2LmX0p", "Wv7NcY4tKb9"].concat()),
    );
    bin()
        .args(["--rules"])
        .arg(&file)
        .args(["rules", "check"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "rule 'generic-api-key' finds a secret in it",
        ));
}

/// Stdin that fails to read (here a directory: EISDIR) is an error naming
/// `<stdin>`, on one thread and on several.
#[test]
fn a_stdin_read_error_is_named_and_exits_2() {
    for threads in ["1", "2"] {
        let dir = fs::File::open(std::env::temp_dir()).unwrap();
        let out = StdCommand::new(BIN)
            .args(["scan", "-j", threads, "-"])
            .stdin(Stdio::from(dir))
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "-j {threads}: {stderr}");
        assert!(
            stderr.contains("secretscan: error: <stdin>: read error"),
            "-j {threads}: {stderr}"
        );
    }
}
