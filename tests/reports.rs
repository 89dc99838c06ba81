//! Reports end to end: SARIF validated against the official SARIF 2.1.0
//! schema (vendored in tests/data), `--output`, and the exit codes.

mod keys;

use std::fs;

use assert_cmd::Command;
use keys::{anthropic_key, github_pat, BIN};
use serde_json::Value;
use tempfile::TempDir;

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json"))
        .expect("the vendored schema is JSON");
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

/// Validates `log` against the schema, failing with every error found.
fn assert_valid_sarif(log: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
}

/// A tree with one finding of each confidence level.
fn tree() -> (TempDir, String, String, String) {
    let dir = TempDir::new().unwrap();
    let (pat, ant) = (github_pat(7), anthropic_key(8));
    let password = "Xk9#mQ2vL7pR4wZt".to_string();
    fs::write(dir.path().join("app.env"), format!("GITHUB_TOKEN={pat}\n")).unwrap();
    fs::create_dir(dir.path().join("sub dir")).unwrap();
    fs::write(
        dir.path().join("sub dir/conf.py"),
        format!("# config\nkey = '{ant}'\ndb_password = \"{password}\"\n"),
    )
    .unwrap();
    (dir, pat, ant, password)
}

fn scan(dir: &TempDir, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::new(BIN)
        .current_dir(dir.path())
        .arg("scan")
        .args(args)
        .assert()
}

#[test]
fn sarif_validates_against_the_schema_and_carries_every_field() {
    let (dir, pat, ant, password) = tree();
    let out = scan(&dir, &["--format", "sarif", "--min-confidence", "low", "."])
        .code(1)
        .get_output()
        .stdout
        .clone();
    for secret in [&pat, &ant, &password] {
        assert!(!keys::contains(&out, secret.as_bytes()), "secret in report");
    }
    let log: Value = serde_json::from_slice(&out).unwrap();
    assert_valid_sarif(&log);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{results:#?}");
    assert_eq!(rules.len(), 3);

    // Each result points into the rules table, and carries location,
    // byte offset, fingerprint, confidence and a masked preview.
    let by_rule = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("no {id} result"))
    };
    let gh = by_rule("github-pat");
    assert_eq!(
        rules[gh["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "github-pat"
    );
    assert_eq!(gh["level"], "error");
    assert_eq!(gh["properties"]["confidence"], "high");
    assert_eq!(gh["properties"]["validation"], "checksum");
    let loc = &gh["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "./app.env");
    assert_eq!(loc["region"]["startLine"], 1);
    assert_eq!(loc["region"]["startColumn"], 14);
    assert_eq!(loc["region"]["byteOffset"], 13);
    assert_eq!(loc["region"]["byteLength"], pat.len());
    let fp = gh["properties"]["fingerprint"].as_str().unwrap();
    assert_eq!(fp, secretscan::Fingerprint::of(pat.as_bytes()).to_string());
    assert_eq!(gh["partialFingerprints"]["secretFingerprint/v1"], fp);
    assert_eq!(gh["properties"]["preview"], "ghp_…");
    assert!(gh["message"]["text"].as_str().unwrap().contains(fp));

    let ant_result = by_rule("anthropic-api-key");
    let loc = &ant_result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "./sub%20dir/conf.py");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["byteOffset"], 9 + 7);
    assert_eq!(ant_result["properties"]["confidence"], "medium");
    let low = by_rule("generic-password");
    assert_eq!(low["level"], "warning");
    assert_eq!(low["properties"]["confidence"], "low");

    // The rules table: names, help with the rule's own rotation guidance,
    // severity from confidence.
    let scanner = secretscan::Scanner::builtin();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let own = &scanner.rules()[scanner.rule_index(id).unwrap()];
        assert_eq!(rule["name"], own.name.as_str());
        assert_eq!(rule["shortDescription"]["text"], own.name.as_str());
        let help = rule["help"]["text"].as_str().unwrap();
        if let Some(rotate) = &own.rotate {
            assert!(help.contains(&rotate.text), "{id}: {help}");
            if let Some(url) = &rotate.url {
                assert_eq!(rule["helpUri"], url.as_str());
            }
        }
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("How to rotate"));
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let (want, level) = match id {
            "github-pat" => (9.5, "error"),
            "anthropic-api-key" => (8.0, "error"),
            _ => (5.0, "warning"),
        };
        assert_eq!(
            (
                severity,
                rule["defaultConfiguration"]["level"].as_str().unwrap()
            ),
            (want, level),
            "{id}"
        );
    }
}

#[test]
fn sarif_shows_secrets_only_when_asked_and_stays_valid() {
    let (dir, pat, ..) = tree();
    let out = scan(&dir, &["--format", "sarif", "--show-secrets", "app.env"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let log: Value = serde_json::from_slice(&out).unwrap();
    assert_valid_sarif(&log);
    assert_eq!(
        log["runs"][0]["results"][0]["properties"]["secret"],
        pat.as_str()
    );
}

#[test]
fn empty_sarif_is_valid_and_exits_0() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("clean.txt"), "nothing here\n").unwrap();
    let out = scan(&dir, &["--format", "sarif", "clean.txt"])
        .code(0)
        .get_output()
        .stdout
        .clone();
    let log: Value = serde_json::from_slice(&out).unwrap();
    assert_valid_sarif(&log);
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn a_result_the_schema_rejects_is_caught() {
    // The validator is no rubber stamp: a log with a bad level fails.
    let (dir, ..) = tree();
    let out = scan(&dir, &["--format", "sarif", "app.env"])
        .get_output()
        .stdout
        .clone();
    let mut log: Value = serde_json::from_slice(&out).unwrap();
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!sarif_validator().is_valid(&log));
}

#[test]
fn output_goes_to_the_file_and_is_not_scanned() {
    let (dir, pat, ..) = tree();
    for format in ["human", "json", "jsonl", "sarif"] {
        let report = format!("report.{format}");
        let assert = scan(&dir, &["--format", format, "-o", &report, "."]).code(1);
        assert!(
            assert.get_output().stdout.is_empty(),
            "{format}: stdout not empty"
        );
        let text = fs::read(dir.path().join(&report)).unwrap();
        assert!(keys::contains(&text, b"app.env"), "{format}");
        assert!(!keys::contains(&text, pat.as_bytes()));
        assert!(
            !keys::contains(&text, b"report."),
            "{format}: the report scanned itself"
        );
    }
    // `-o -` is stdout.
    let assert = scan(&dir, &["-o", "-", "app.env"]).code(1);
    assert!(keys::contains(
        &assert.get_output().stdout,
        b"app.env:1:14 github-pat"
    ));
    // An output that cannot be created is an error, before any scan.
    scan(&dir, &["-o", "no/such/dir/r.json", "app.env"])
        .code(2)
        .stderr(predicates::str::contains(
            "no/such/dir/r.json: cannot create the report file",
        ));
}

#[test]
fn exit_codes_are_0_1_2_and_documented() {
    let (dir, ..) = tree();
    fs::write(dir.path().join("clean.txt"), "nothing\n").unwrap();
    scan(&dir, &["clean.txt"]).code(0);
    scan(&dir, &["app.env"]).code(1);
    scan(&dir, &["app.env", "missing.txt"]).code(2);
    // Generic guesses are below the default threshold.
    fs::write(
        dir.path().join("low.py"),
        "db_password = \"Xk9#mQ2vL7pR4wZt\"\n",
    )
    .unwrap();
    scan(&dir, &["low.py"]).code(0);
    scan(&dir, &["--min-confidence", "low", "low.py"]).code(1);
    let help = Command::new(BIN)
        .args(["scan", "--help"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(help).unwrap();
    assert!(
        help.contains("Exit status: 0 when nothing was reported, 1 when secrets")
            && help.contains("2 when an error occurred"),
        "{help}"
    );
    let readme = include_str!("../README.md");
    assert!(readme.contains("**0** nothing found, **1** secrets found"));
}
