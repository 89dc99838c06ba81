//! Recall in realistic contexts: every provider-specific rule's example
//! secrets are found, under the rule's own id, wherever such keys leak: an
//! assignment in code, a .env line, JSON, YAML, a log line, a URL query, an
//! HTTP header, a shell export and a CLI flag — and redaction removes them.
//!
//! Table-driven over the whole built-in pack: a rule added to `patterns/`
//! is tested here without a line of test code. Rules whose format needs
//! its context (a provider's variable name before a bare hex key) are
//! tested with their whole example embedded in log lines, indented blocks
//! and CRLF text instead.

use secretscan::oracle::Oracle;
use secretscan::rules::Confidence;
use secretscan::Scanner;

/// `(name, prefix, suffix)`: the secret goes between.
const TOKEN_CONTEXTS: &[(&str, &str, &str)] = &[
    ("code", "const client = new Client(\"", "\");\n"),
    ("dotenv", "SERVICE_CREDENTIAL=", "\n"),
    (
        "json",
        "{\"credential\": \"",
        "\", \"region\": \"eu-west-1\"}\n",
    ),
    ("yaml", "service:\n  credential: ", "\n  timeout: 30\n"),
    (
        "log",
        "2026-11-26T10:00:00Z INFO client configured with ",
        " for upstream\n",
    ),
    (
        "url",
        "https://api.internal.net/v1/items?cred=",
        "&page=2\n",
    ),
    ("header", "X-Service-Credential: ", "\r\n"),
    ("shell", "export SERVICE_CREDENTIAL='", "'\n"),
    ("flag", "deploy --credential ", " --region eu\n"),
];

/// Contexts for a whole example (which carries its own context).
const EXAMPLE_CONTEXTS: &[(&str, &str, &str)] = &[
    ("log", "2026-11-26T10:00:00Z WARN config dump: ", "\n"),
    ("indented", "    ", "\n"),
    ("crlf", "", "\r\nnext line\r\n"),
];

struct Case {
    rule: usize,
    context: &'static str,
    text: Vec<u8>,
    secret: Vec<u8>,
}

fn cases(scanner: &Scanner) -> Vec<Case> {
    let oracle = Oracle::new(scanner);
    let mut cases = vec![];
    for (i, rule) in scanner.rules().iter().enumerate() {
        if rule.confidence == Confidence::Low {
            continue;
        }
        for example in &rule.examples {
            let Some(span) = oracle.rule_matches(i, example).first().cloned() else {
                continue; // rules check reports this
            };
            let secret = example[span].to_vec();
            if secret.contains(&b'\n') {
                continue; // blocks (PEM) have tests of their own
            }
            // Self-identifying: the rule finds the bare secret alone.
            let bare = oracle.rule_matches(i, &secret);
            let contexts = if bare.len() == 1 && bare[0] == (0..secret.len()) {
                TOKEN_CONTEXTS
                    .iter()
                    .map(|&(name, pre, post)| {
                        (name, [pre.as_bytes(), &secret, post.as_bytes()].concat())
                    })
                    .collect::<Vec<_>>()
            } else {
                EXAMPLE_CONTEXTS
                    .iter()
                    .map(|&(name, pre, post)| {
                        (name, [pre.as_bytes(), example, post.as_bytes()].concat())
                    })
                    .collect()
            };
            for (context, text) in contexts {
                cases.push(Case {
                    rule: i,
                    context,
                    text,
                    secret: secret.clone(),
                });
            }
        }
    }
    cases
}

#[test]
fn provider_secrets_are_found_in_every_context() {
    let scanner = Scanner::builtin();
    let rules = scanner.rules();
    let cases = cases(&scanner);
    assert!(cases.len() > 1000, "only {} cases", cases.len());
    let mut failures = vec![];
    for case in &cases {
        let rule = &rules[case.rule];
        let at = case
            .text
            .windows(case.secret.len())
            .position(|w| w == case.secret)
            .expect("the secret is in the text") as u64;
        let end = at + case.secret.len() as u64;
        let findings = scanner.scan(&case.text);
        let named = findings
            .iter()
            .find(|f| f.secret.start < end && at < f.secret.end);
        let problem = match named {
            None => Some("not found".to_string()),
            Some(f)
                if f.rule_index != case.rule
                    && !rules[f.rule_index].overrides.iter().any(|o| *o == *rule.id) =>
            {
                Some(format!("named {}", f.rule_id))
            }
            Some(_) => {
                let redacted = scanner.redact(&case.text);
                redacted
                    .windows(case.secret.len())
                    .any(|w| w == case.secret)
                    .then(|| "survives redaction".to_string())
            }
        };
        if let Some(problem) = problem {
            failures.push(format!(
                "{} in {}: {problem}: {:?}",
                rule.id,
                case.context,
                String::from_utf8_lossy(&case.text)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Front-end build tools expose only variables with their prefix
/// (`REACT_APP_`, `VITE_`, `NEXT_PUBLIC_`, `EXPO_PUBLIC_`), so a key put in
/// a front-end's `.env` carries it before the provider's name. Every
/// built-in example written as a `.env` line (`NAME=value`) is found under
/// its rule with each prefix in front of the name, and redacted. Names that
/// begin with an abbreviation of four letters or fewer (`ES_`, `FB_`,
/// `CKO_`, `META_`) are left out: those rules need a word start, so that
/// `YES_API_KEY` is not Elastic's; the provider's full name
/// (`ELASTIC_API_KEY`) takes the prefix.
#[test]
fn front_end_env_prefixes_keep_the_provider_name() {
    const PREFIXES: &[&str] = &["REACT_APP_", "VITE_", "NEXT_PUBLIC_", "EXPO_PUBLIC_"];
    let scanner = Scanner::builtin();
    let oracle = Oracle::new(&scanner);
    let rules = scanner.rules();
    let (mut tried, mut failures) = (0, vec![]);
    for (i, rule) in rules.iter().enumerate() {
        if rule.confidence == Confidence::Low {
            continue;
        }
        for example in &rule.examples {
            // A .env line: an upper-case name, `=`, the value, nothing else.
            let Some(eq) = example.iter().position(|&b| b == b'=') else {
                continue;
            };
            let name = &example[..eq];
            if name.is_empty()
                || !name[0].is_ascii_uppercase()
                || !name
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
                || name.starts_with(b"NEXT_PUBLIC_")
                || name
                    .split(|&b| b == b'_')
                    .next()
                    .is_some_and(|w| w.len() <= 4)
                || example.contains(&b'\n')
                || example.contains(&b';')
            {
                continue;
            }
            let Some(span) = oracle.rule_matches(i, example).first().cloned() else {
                continue;
            };
            let secret = &example[span];
            for prefix in PREFIXES {
                tried += 1;
                let text = [prefix.as_bytes(), example, b"\n"].concat();
                let found = scanner.scan(&text).into_iter().find(|f| {
                    f.rule_index == i
                        || rules[f.rule_index].overrides.iter().any(|o| *o == *rule.id)
                });
                let redacted = scanner.redact(&text);
                if found.is_none() || redacted.windows(secret.len()).any(|w| w == secret) {
                    failures.push(format!("{}: {}", rule.id, String::from_utf8_lossy(&text)));
                }
            }
        }
    }
    assert!(tried > 400, "only {tried} cases");
    assert!(
        failures.is_empty(),
        "{} of {tried} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
