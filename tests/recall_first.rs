//! Recall-first redaction, precision-first reports (README, "Confidence
//! levels"), through the real binary and against the oracle.
//!
//! - A token of a provider's exact shape whose checksum fails is a `low`
//!   finding marked `"check": "failed"`: out of a default (`medium`+)
//!   scan, in `--min-confidence low`, removed by `redact`.
//! - A fixed-length token glued to the text after it (`AKIA…status=200`,
//!   `ghp_…ERROR`) is redacted at exactly its length, the text after it
//!   kept, and reported at `low` (`"glued": true`) unless its checksum
//!   proves it.
//!
//! Keys are assembled at run time (see `keys::tail`); no complete token
//! sits in this file, and no assertion message prints one.

use assert_cmd::Command;
use proptest::prelude::*;
use secretscan::oracle::Oracle;
use secretscan::{Doubt, Scanner};
use std::sync::OnceLock;

mod keys;

use keys::{checksummed, github_pat, tail, BIN};

const B32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A classic GitHub token whose last checksum digit is wrong.
fn broken_github_pat(seed: u64) -> String {
    let mut token = github_pat(seed).into_bytes();
    let last = token.last_mut().expect("a token");
    *last = if *last == b'A' { b'B' } else { b'A' };
    String::from_utf8(token).expect("ASCII")
}

/// An AWS access key id (structure check: prefix and base32).
fn aws_key_id(seed: u64) -> String {
    format!("AKIA{}", tail(16, seed, B32))
}

fn run(args: &[&str], stdin: &str) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("the binary runs");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8(out.stdout).expect("UTF-8 output"),
    )
}

/// `scan --format FORMAT --min-confidence low` of `stdin`: the exit code
/// and the report.
fn scan_low(format: &str, stdin: &str) -> (i32, String) {
    run(
        &[
            "scan",
            "--no-config",
            "--format",
            format,
            "--min-confidence",
            "low",
            "-",
        ],
        stdin,
    )
}

#[test]
fn a_broken_checksum_is_low_out_of_default_scan_and_redacted() {
    let token = broken_github_pat(7);
    // No assignment: a generic rule that is sure of the value (`GH_TOKEN=`
    // makes it a `low` generic-token) would name it instead.
    let input = format!("clone with {token} now\n");

    let (code, out) = run(&["scan", "--no-config", "--format", "json", "-"], &input);
    assert_eq!(code, 0, "a default scan reports nothing: {out}");
    assert_eq!(out.trim(), "[]");

    let (code, out) = scan_low("json", &input);
    assert_eq!(code, 1);
    assert!(!out.contains(&token), "the report shows no secret");
    let records: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let records = records.as_array().expect("an array");
    assert_eq!(records.len(), 1, "{out}");
    assert_eq!(records[0]["rule_id"], "github-pat");
    assert_eq!(records[0]["confidence"], "low");
    assert_eq!(records[0]["check"], "failed");
    assert!(records[0].get("validation").is_none());

    // JSONL and SARIF say the same; human output says it in words.
    let (_, jsonl) = scan_low("jsonl", &input);
    assert!(jsonl.contains(r#""check":"failed""#), "{jsonl}");
    let (_, sarif) = scan_low("sarif", &input);
    assert!(sarif.contains(r#""check":"failed""#), "{sarif}");
    let (_, human) = run(
        &["scan", "--no-config", "--min-confidence", "low", "-"],
        &input,
    );
    assert!(
        human.contains("github-pat low") && human.contains("check=failed"),
        "{human}"
    );
    assert!(!human.contains(&token) && !sarif.contains(&token));

    let (code, out) = run(&["redact"], &input);
    assert_eq!(code, 0);
    assert_eq!(out, "clone with [REDACTED:github-pat] now\n");
}

#[test]
fn a_valid_checksum_stays_high() {
    let input = format!("GH_TOKEN={}\n", github_pat(7));
    let (code, out) = run(&["scan", "--no-config", "--format", "json", "-"], &input);
    assert_eq!(code, 1);
    assert!(out.contains(r#""confidence":"high""#) && !out.contains(r#""check""#));
}

#[test]
fn glued_tokens_are_redacted_at_their_exact_length() {
    let aws = aws_key_id(3);
    let (pat, broken) = (github_pat(11), broken_github_pat(12));
    let input =
        format!("time=1 key={aws}status=200\nlevel=E msg={pat}ERROR\nmsg={broken}Failed retry\n");
    let (code, out) = run(&["redact"], &input);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "time=1 key=[REDACTED:aws-access-key-id]status=200\n\
         level=E msg=[REDACTED:github-pat]ERROR\n\
         msg=[REDACTED:github-pat]Failed retry\n"
    );

    // The glued AWS key id is `low`: out of a default scan. The GitHub
    // token's checksum proves it even glued: it stays `high`.
    let (code, out) = run(&["scan", "--no-config", "--format", "json", "-"], &input);
    assert_eq!(code, 1);
    let records: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let records = records.as_array().expect("an array");
    assert_eq!(records.len(), 1, "{out}");
    assert_eq!(records[0]["rule_id"], "github-pat");
    assert_eq!(records[0]["confidence"], "high");
    let end = input.find(&pat).unwrap() + pat.len();
    assert_eq!(records[0]["end"].as_u64(), Some(end as u64));

    let (_, out) = scan_low("json", &input);
    let records: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let records = records.as_array().expect("an array");
    let ids: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r["rule_id"].as_str().unwrap(),
                r["confidence"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("aws-access-key-id", "low"),
            ("github-pat", "high"),
            ("github-pat", "low")
        ],
        "{out}"
    );
    assert_eq!(records[0]["glued"], true);
    assert_eq!(records[0]["end"].as_u64(), Some(11 + aws.len() as u64));
    assert_eq!(records[2]["check"], "failed");
    assert!(!out.contains(&aws) && !out.contains(&pat) && !out.contains(&broken));
}

#[test]
fn glued_tokens_trickled_through_redact_come_out_the_same() {
    // The stream holds back by the longest match: a glued token cut by
    // one-byte reads is redacted exactly as whole.
    let scanner = Scanner::builtin();
    let input = format!("a {}OK b {}x\n", aws_key_id(5), checksummed("gho_", 6));
    let whole = scanner.redact(input.as_bytes()).into_owned();
    let mut out = vec![];
    {
        let mut w = scanner.redact_writer(&mut out);
        for b in input.as_bytes() {
            std::io::Write::write_all(&mut w, std::slice::from_ref(b)).unwrap();
        }
        w.finish().unwrap();
    }
    assert_eq!(out, whole);
    assert_eq!(
        String::from_utf8(whole).unwrap(),
        "a [REDACTED:aws-access-key-id]OK b [REDACTED:github-oauth]x\n"
    );
}

/// Pieces that make glued, broken and sure tokens, their contexts and
/// what logs glue to them.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..50).prop_map(github_pat),
        (0u64..50).prop_map(broken_github_pat),
        (0u64..50).prop_map(aws_key_id),
        (0u64..50).prop_map(|s| checksummed("gho_", s)),
        (0u64..50).prop_map(|s| checksummed("npm_", s)),
        prop::sample::select(vec![
            "ERROR",
            "status=200",
            "x",
            "_",
            "-",
            " ",
            "\n",
            "=",
            "token=",
            "GH_TOKEN=",
            "password: ",
            "\"",
            "AKIA",
            "ghp_",
            "Z9",
            "aws_access_key_id = ",
        ])
        .prop_map(String::from),
    ]
}

/// The built-in scanner and its oracle, built once: building the oracle's
/// regexes for the whole pack costs about a second, a case milliseconds.
fn builtin_and_oracle() -> &'static (Scanner, Oracle) {
    static S: OnceLock<(Scanner, Oracle)> = OnceLock::new();
    S.get_or_init(|| {
        let scanner = Scanner::builtin();
        let oracle = Oracle::new(&scanner);
        (scanner, oracle)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The engine equals the oracle on glued and check-failed tokens, and
    /// a stream in any chunking equals the whole input.
    #[test]
    fn engine_equals_oracle_on_glued_and_broken_tokens(
        pieces in prop::collection::vec(piece(), 1..10),
        cuts in prop::collection::vec(1usize..64, 1..8),
    ) {
        let (scanner, oracle) = builtin_and_oracle();
        let input = pieces.concat().into_bytes();
        let fast = scanner.scan(&input);
        prop_assert!(fast == oracle.scan(&input), "scan differs from the oracle");
        prop_assert!(
            scanner.redact(&input).as_ref() == &oracle.redact(&input)[..],
            "redact differs from the oracle"
        );
        let mut stream = scanner.stream();
        let mut streamed = vec![];
        let (mut at, mut i) = (0, 0);
        while at < input.len() {
            let end = (at + cuts[i % cuts.len()]).min(input.len());
            streamed.extend(stream.push(&input[at..end]));
            (at, i) = (end, i + 1);
        }
        streamed.extend(stream.finish());
        prop_assert!(streamed == fast, "a chunked stream differs from the whole input");
        // Doubt always means `low`.
        for f in &fast {
            if f.doubt.is_some() {
                prop_assert_eq!(f.confidence, secretscan::rules::Confidence::Low);
            }
            if f.doubt == Some(Doubt::Glued) {
                prop_assert!(f.validation.is_none());
            }
        }
    }
}
