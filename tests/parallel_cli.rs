//! `secretscan scan --threads N`: the report is the same whatever the
//! number of threads, for a directory tree (walked in parallel) and for a
//! large file and stdin (scanned in parallel chunks), allow markers, CRLF
//! lines and UTF-16LE text included.

mod keys;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use keys::{anthropic_key, github_pat, utf16le, BIN};

fn scan(threads: u32, args: &[&str], dir: &Path, stdin: Option<&[u8]>) -> (Vec<u8>, i32) {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .args(["scan", "--no-config", "--format", "json", "--threads"])
        .arg(threads.to_string())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let input = stdin.map(<[u8]>::to_vec);
    let mut pipe = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || {
        if let Some(input) = input {
            // The scan may stop reading early only on an error.
            let _ = pipe.write_all(&input);
        }
    });
    let out = child.wait_with_output().expect("the binary runs");
    writer.join().expect("the writer does not panic");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout, out.status.code().expect("exited"))
}

/// A JSON report's findings, sorted by offset and rule.
fn sorted(report: &[u8]) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_slice(report).unwrap();
    let mut findings = report.as_array().unwrap().clone();
    findings.sort_by_key(|f| (f["offset"].as_u64(), f["rule_id"].to_string()));
    findings
}

/// A log of about `mb` MiB with tokens every few hundred KiB, some on
/// allow-marked lines, CRLF line ends in places, NUL bytes and UTF-16LE
/// text.
fn big_log(mb: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(mb << 20);
    let mut seed = 0;
    while out.len() < mb << 20 {
        for i in 0..2000 {
            let end = if i % 7 == 0 { "\r\n" } else { "\n" };
            out.extend_from_slice(format!("2026-01-01 INFO request {i} ok{end}").as_bytes());
        }
        seed += 1;
        let line = match seed % 5 {
            0 => format!("auth token={} # secretscan:allow\n", github_pat(seed)),
            1 => format!("x-api-key: {}\r\n", anthropic_key(seed)),
            2 => {
                out.extend_from_slice(b"\0\x01\x02");
                out.extend(utf16le(&format!("key={}", github_pat(seed))));
                "\n".to_string()
            }
            _ => format!("token={}\n", github_pat(seed)),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

#[test]
fn directory_reports_equal_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    for d in 0..20 {
        let sub = dir.path().join(format!("crate{d}/src"));
        fs::create_dir_all(&sub).unwrap();
        for f in 0..15 {
            let mut text = format!("fn f{f}() {{}}\n").repeat(50);
            if (d + f) % 4 == 0 {
                text.push_str(&format!(
                    "const T: &str = \"{}\";\n",
                    github_pat((d * 100 + f) as u64)
                ));
            }
            if (d + f) % 9 == 0 {
                text.push_str(&format!(
                    "let k = \"{}\"; // secretscan:allow\n",
                    github_pat(7)
                ));
            }
            fs::write(sub.join(format!("m{f}.rs")), text).unwrap();
        }
    }
    fs::create_dir_all(dir.path().join(".git")).unwrap();
    fs::write(
        dir.path().join(".git/config"),
        format!("token={}\n", github_pat(99)),
    )
    .unwrap();
    let (one, code) = scan(1, &["."], dir.path(), None);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_slice(&one).unwrap();
    // (d + f) % 4 == 0 for 75 of the 300 files; .git and allowed lines are out.
    assert_eq!(report.as_array().unwrap().len(), 75, "{report}");
    for threads in [2, 4] {
        let (many, code) = scan(threads, &["."], dir.path(), None);
        assert_eq!(code, 1);
        assert_eq!(
            String::from_utf8_lossy(&many),
            String::from_utf8_lossy(&one),
            "--threads {threads}"
        );
    }
}

#[test]
fn large_file_and_stdin_reports_equal_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    // Larger than the size from which files are cut into chunks (8 MiB).
    let log = big_log(12);
    fs::write(dir.path().join("big.log"), &log).unwrap();
    let (one, code) = scan(1, &["big.log"], dir.path(), None);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let findings = report.as_array().unwrap();
    assert!(findings.len() > 20, "{}", findings.len());
    assert!(
        findings.iter().any(|f| f["line"].as_u64() > Some(100_000)),
        "findings far into the file"
    );
    let (four, _) = scan(4, &["big.log"], dir.path(), None);
    assert_eq!(
        String::from_utf8_lossy(&four),
        String::from_utf8_lossy(&one)
    );

    // Stdin is reported as the scan settles findings (the UTF-16 view's
    // and the raw bytes' in turn), so only the order may differ: compare
    // the findings sorted.
    let (stdin_one, code) = scan(1, &["-"], dir.path(), Some(&log));
    assert_eq!(code, 1);
    let (stdin_four, _) = scan(4, &["-"], dir.path(), Some(&log));
    let as_file = String::from_utf8_lossy(&one).replace("big.log", "<stdin>");
    assert_eq!(sorted(&stdin_one), sorted(as_file.as_bytes()));
    assert!(
        sorted(&stdin_four) == sorted(&stdin_one),
        "stdin --threads 4"
    );
}

#[test]
fn threads_must_be_positive() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["scan", "--threads", "0", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
