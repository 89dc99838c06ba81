//! Suppression without hiding new leaks, end to end: baselines (moved
//! lines stay suppressed, new secrets are reported, the file holds no
//! secret and no plain hash of one), `.secretscanignore`, `--exclude` and
//! `secretscan.toml`.

mod keys;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use keys::{github_pat, BIN};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// A project root (it has a `.git` directory) with `sub/`.
fn project() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::create_dir_all(dir.path().join(".git")).unwrap();
    fs::create_dir_all(dir.path().join("sub")).unwrap();
    dir
}

/// `scan ARGS` run in `cwd`: (human report lines, exit code, stderr).
fn scan(cwd: &Path, args: &[&str]) -> (Vec<String>, i32, String) {
    let out = Command::new(BIN)
        .current_dir(cwd)
        .arg("scan")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    (lines, out.status.code().unwrap(), stderr)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn baseline_round_trip_keeps_moved_findings_suppressed_and_reports_new_ones() {
    let dir = project();
    let p = dir.path();
    let (old, new) = (github_pat(101), github_pat(102));
    fs::write(p.join("app.py"), format!("import os\n\nTOKEN = '{old}'\n")).unwrap();
    fs::write(p.join("sub/other.py"), "nothing\n").unwrap();

    let (lines, code, stderr) = scan(p, &["--write-baseline", ".secretscan-baseline.json", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines, ["./app.py:3:10 github-pat high ghp_…"]);
    let text = fs::read_to_string(p.join(".secretscan-baseline.json")).unwrap();
    // No secret, no plain SHA-256 of it (whole or as the report's prefix).
    let plain = hex(&Sha256::digest(old.as_bytes()));
    assert!(
        !text.contains(&old) && !text.contains(&plain[..16]),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["hash"], "hmac-sha256");
    assert_eq!(json["findings"][0]["path"], "app.py");
    assert_eq!(json["findings"][0]["rule_id"], "github-pat");
    assert_eq!(json["salt"].as_str().unwrap().len(), 64);

    // Nothing new: exit 0, nothing reported.
    let base = ["--baseline", ".secretscan-baseline.json"];
    let (lines, code, _) = scan(p, &[&base[..], &["."]].concat());
    assert_eq!((lines.len(), code), (0, 0));

    // The old key moves down; a new key arrives in the same file.
    fs::write(
        p.join("app.py"),
        format!("import os\nimport sys\n\n# moved\nNEW = '{new}'\nTOKEN = '{old}'\n"),
    )
    .unwrap();
    let (lines, code, _) = scan(p, &[&base[..], &["."]].concat());
    assert_eq!(code, 1);
    assert_eq!(lines, ["./app.py:5:8 github-pat high ghp_…"]);

    // The same path named differently (as pre-commit passes it, or from a
    // subdirectory) is the same key.
    fs::write(p.join("app.py"), format!("\n\nTOKEN = '{old}'\n")).unwrap();
    let (lines, code, _) = scan(p, &[&base[..], &["app.py"]].concat());
    assert_eq!((lines.len(), code), (0, 0));
    let (lines, code, _) = scan(
        &p.join("sub"),
        &["--baseline", "../.secretscan-baseline.json", ".."],
    );
    assert_eq!((lines.len(), code), (0, 0), "{lines:?}");

    // The old secret in another file is a new finding.
    fs::write(p.join("sub/other.py"), format!("T = '{old}'\n")).unwrap();
    let (lines, code, _) = scan(p, &[&base[..], &["."]].concat());
    assert_eq!(code, 1);
    assert_eq!(lines, ["./sub/other.py:1:6 github-pat high ghp_…"]);

    // Rewriting the baseline keeps its salt (a small diff in review).
    let (_, code, _) = scan(p, &["--write-baseline", ".secretscan-baseline.json", "."]);
    assert_eq!(code, 0);
    let again: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(p.join(".secretscan-baseline.json")).unwrap())
            .unwrap();
    assert_eq!(again["salt"], json["salt"]);
    assert_eq!(again["findings"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_baselines_are_errors_naming_the_file() {
    let dir = project();
    fs::write(dir.path().join("a.txt"), "x\n").unwrap();
    fs::write(dir.path().join("b.json"), "{\"secretscan_baseline\": 1}").unwrap();
    let (_, code, stderr) = scan(dir.path(), &["--baseline", "b.json", "a.txt"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("b.json: invalid baseline: missing field"),
        "{stderr}"
    );
    let (_, code, stderr) = scan(dir.path(), &["--baseline", "none.json", "a.txt"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("none.json: cannot read baseline"),
        "{stderr}"
    );
}

#[test]
fn secretscanignore_skips_paths_and_fingerprints() {
    let dir = project();
    let p = dir.path();
    let keys: Vec<String> = (0..5).map(|i| github_pat(200 + i)).collect();
    fs::create_dir_all(p.join("vendor/lib")).unwrap();
    fs::write(p.join("vendor/lib/x.rs"), format!("{}\n", keys[0])).unwrap();
    fs::write(p.join("sub/app.min.js"), format!("{}\n", keys[1])).unwrap();
    fs::write(p.join("sub/fixture.txt"), format!("{}\n", keys[2])).unwrap();
    fs::write(
        p.join("sub/keep.txt"),
        format!("{}\n{}\n", keys[3], keys[2]),
    )
    .unwrap();
    fs::write(p.join("sub/negated.min.js"), format!("{}\n", keys[4])).unwrap();
    let fingerprint = secretscan::Fingerprint::of(keys[2].as_bytes()).to_string();
    fs::write(
        p.join(".secretscanignore"),
        format!("# third-party code\nvendor/\n*.min.js\n!negated.min.js\n\n{fingerprint}\n"),
    )
    .unwrap();
    let (lines, code, _) = scan(p, &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        lines,
        [
            "./sub/keep.txt:1:1 github-pat high ghp_…",
            "./sub/negated.min.js:1:1 github-pat high ghp_…"
        ]
    );
    // Found from a subdirectory too, and files named explicitly obey it.
    let (lines, _, _) = scan(&p.join("sub"), &["app.min.js", "keep.txt"]);
    assert_eq!(lines, ["keep.txt:1:1 github-pat high ghp_…"]);
    // --no-config turns it off.
    let (lines, _, _) = scan(p, &["--no-config", "."]);
    assert_eq!(lines.len(), 6, "{lines:?}");
}

#[test]
fn exclude_globs_skip_paths() {
    let dir = project();
    let p = dir.path();
    fs::write(p.join("a.log"), format!("{}\n", github_pat(301))).unwrap();
    fs::write(p.join("sub/b.txt"), format!("{}\n", github_pat(302))).unwrap();
    fs::write(p.join("c.txt"), format!("{}\n", github_pat(303))).unwrap();
    let (lines, code, _) = scan(p, &["--exclude", "*.log", "--exclude", "sub/", "."]);
    assert_eq!(
        (lines, code),
        (vec!["./c.txt:1:1 github-pat high ghp_…".to_string()], 1)
    );
    let (lines, code, _) = scan(p, &["--exclude", "*.txt", "--exclude", "a.log", "."]);
    assert_eq!((lines.len(), code), (0, 0));
    let (_, code, stderr) = scan(p, &["--exclude", "[z-a]", "."]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--exclude: invalid pattern '[z-a]'"),
        "{stderr}"
    );
}

#[test]
fn secretscan_toml_is_found_and_flags_override_it() {
    let dir = project();
    let p = dir.path();
    let pat = github_pat(401);
    fs::write(p.join("sub/a.env"), format!("GITHUB_TOKEN={pat}\n")).unwrap();
    fs::write(p.join("sub/b.py"), "db_password = \"Xk9#mQ2vL7pR4wZt\"\n").unwrap();
    fs::write(
        p.join("sub/c.txt"),
        "acme_abcdefghijklmnopqrstuvwxyz012345\n",
    )
    .unwrap();
    fs::write(p.join("sub/skip.me"), format!("{pat}\n")).unwrap();
    fs::write(
        p.join("secretscan.toml"),
        r#"
min_confidence = "low"
exclude = ["*.me"]
disable_rules = ["github-pat"]

[[rules]]
id = "acme-token"
name = "ACME token"
pattern = '''acme_[a-z0-9]{32}'''
keywords = ["acme_"]
"#,
    )
    .unwrap();
    // Found by walking up from the scanned path, and from the cwd.
    for (cwd, arg) in [(p.to_path_buf(), "sub"), (p.join("sub"), ".")] {
        let (lines, code, stderr) = scan(&cwd, &[arg]);
        assert_eq!(code, 1, "{stderr}");
        let rules: Vec<&str> = lines.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
        // With github-pat disabled, the generic rule it outranked names
        // the token: disabled rules are left out of the engine, not just
        // out of the report.
        assert_eq!(
            rules,
            ["generic-token", "generic-password", "acme-token"],
            "{lines:?}"
        );
    }
    // A flag beats the file: medium drops the generic password (its value
    // reads as text to the randomness test) and keeps the generic token,
    // whose value is clearly random.
    let (lines, _, _) = scan(p, &["--min-confidence", "medium", "sub"]);
    assert_eq!(
        lines,
        [
            "sub/a.env:1:14 generic-token medium ghp_…",
            "sub/c.txt:1:1 acme-token medium acme…"
        ]
    );
    // --config names another file; --no-config ignores it.
    fs::write(p.join("other.toml"), "min_confidence = \"high\"\n").unwrap();
    let (lines, _, _) = scan(p, &["--config", "other.toml", "sub"]);
    assert_eq!(lines.len(), 2, "{lines:?}"); // github-pat twice (skip.me too)
    let (lines, _, _) = scan(p, &["--no-config", "sub"]);
    assert_eq!(lines.len(), 2, "{lines:?}");
}

#[test]
fn config_errors_name_the_file_and_key() {
    let dir = project();
    let p = dir.path();
    fs::write(p.join("a.txt"), "x\n").unwrap();
    for (config, want) in [
        ("min_confidnce = \"low\"\n", "unknown field `min_confidnce`"),
        ("min_confidence = \"lowest\"\n", "min_confidence: unknown confidence 'lowest'"),
        ("disable_rules = [\"no-such-rule\"]\n", "disable_rules: no rule with id 'no-such-rule'"),
        ("exclude = \"*.log\"\n", "invalid type"),
        (
            "[[rules]]\nid = \"Bad Id\"\nname = \"x\"\npattern = 'x_[a-z]{4}'\nkeywords = [\"x_\"]\n",
            "[[rules]]: rule 'Bad Id': id must be kebab-case",
        ),
    ] {
        fs::write(p.join("secretscan.toml"), config).unwrap();
        let (_, code, stderr) = scan(p, &["a.txt"]);
        assert_eq!(code, 2, "{config}");
        assert!(stderr.contains("secretscan.toml") && stderr.contains(want), "{config}: {stderr}");
    }
}
