//! Private keys embedded in source code in the shapes people write them:
//! one string literal per line (C, Go, Java, JS, Python, Rust `concat!`),
//! doc and line comments, legacy encrypted PEM headers, indentation. Each
//! shape is generated into a source file (the key body is seeded random
//! base64 from a template, so no real key is in the repository) and
//! scanned; the finding must be one private-key finding whose redaction
//! span covers the whole block, BEGIN line to END line. A header with no
//! body, as a parser's constant, is no finding.

use secretscan::rules::template::expand;
use secretscan::Scanner;

/// The lines of a fake key block: BEGIN, optional headers, body, END.
fn block(label: &str, headers: &[&str], seed: u64) -> Vec<String> {
    let mut lines = vec![format!("-----BEGIN {label}-----")];
    lines.extend(headers.iter().map(|h| h.to_string()));
    if !headers.is_empty() {
        lines.push(String::new());
    }
    for (i, len) in [64, 64, 64, 24].into_iter().enumerate() {
        lines.push(expand(&format!("{{{{base64:{len}}}}}"), seed + i as u64).unwrap());
    }
    lines.push(format!("-----END {label}-----"));
    lines
}

const PKCS8: &str = "PRIVATE KEY";
const RSA: &str = "RSA PRIVATE KEY";
const OPENSSH: &str = "OPENSSH PRIVATE KEY";

/// Each shape: a name and the source text around the block's lines.
fn shapes() -> Vec<(&'static str, String)> {
    let k = |label: &str| block(label, &[], 7);
    let join = |lines: Vec<String>, pre: &str, post: &str| {
        lines
            .iter()
            .map(|l| format!("{pre}{l}{post}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let enc = block(
        RSA,
        &[
            "Proc-Type: 4,ENCRYPTED",
            "DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF",
        ],
        11,
    );
    vec![
        (
            "c",
            format!(
                "static const char *key =\n{};\n",
                join(k(PKCS8), "    \"", "\\n\"")
            ),
        ),
        (
            "c-crlf",
            format!(
                "static const char key[] =\n{};\n",
                join(k(RSA), "\t\"", "\\r\\n\"")
            ),
        ),
        (
            "java",
            format!(
                "String key =\n{}\"\";\n",
                join(k(PKCS8), "        \"", "\\n\" +")
            ),
        ),
        (
            "js-single-quote",
            format!("const key = ''\n{};\n", join(k(RSA), "  + '", "\\n'")),
        ),
        (
            "go",
            format!(
                "var key = \"\" +\n{}\n\t\"\"\n",
                join(k(PKCS8), "\t\"", "\\n\" +")
            ),
        ),
        (
            "go-backtick",
            format!("var key = `{}`\n", k(OPENSSH).join("\n")),
        ),
        (
            "rust-concat",
            format!(
                "const KEY: &str = concat!(\n{}\n);\n",
                join(k(PKCS8), "    \"", "\\n\",")
            ),
        ),
        (
            "rust-continuation",
            format!("const KEY: &str = \"{}\";\n", k(RSA).join("\\n\\\n")),
        ),
        (
            "rust-raw",
            format!("const KEY: &str = r\"{}\";\n", k(PKCS8).join("\n")),
        ),
        (
            "python-parens",
            format!("KEY = (\n{}\n)\n", join(k(RSA), "    b\"", "\\n\"")),
        ),
        ("rust-inner-doc", join(k(OPENSSH), "//! ", "")),
        ("rust-outer-doc", join(k(PKCS8), "    /// ", "")),
        ("line-comment", join(k(RSA), "// ", "")),
        ("hash-comment", join(k(PKCS8), "# ", "")),
        (
            "block-comment",
            format!("/**\n{}\n */\n", join(k(RSA), " * ", "")),
        ),
        ("encrypted-pem", enc.join("\n")),
        ("encrypted-pem-doc", join(enc.clone(), "/// ", "")),
        ("encrypted-pem-c", join(enc.clone(), "  \"", "\\n\"")),
        ("indented", join(k(PKCS8), "        ", "")),
    ]
}

#[test]
fn every_embedded_shape_is_one_finding_covering_the_block() {
    let scanner = Scanner::builtin();
    for (name, text) in shapes() {
        let begin = text.find("-----BEGIN").unwrap() as u64;
        let end_at = text.rfind("-----END").unwrap();
        let end = (end_at + text[end_at..][5..].find("-----").unwrap() + 10) as u64;
        let findings: Vec<_> = scanner
            .scan(text.as_bytes())
            .into_iter()
            .filter(|f| f.rule_id.contains("private-key"))
            .collect();
        assert_eq!(findings.len(), 1, "{name}: {findings:?}");
        let span = &findings[0].span;
        assert!(
            span.start <= begin && span.end >= end,
            "{name}: span {span:?} does not cover the block {begin}..{end}"
        );
    }
}

#[test]
fn a_header_without_a_body_is_no_finding() {
    let scanner = Scanner::builtin();
    let texts = [
        "const RSA_HEADER: &str = \"-----BEGIN RSA PRIVATE KEY-----\";\n".to_string(),
        "BEGIN = \"-----BEGIN PRIVATE KEY-----\"\nEND = \"-----END PRIVATE KEY-----\"\n".to_string(),
        "    \"-----BEGIN PRIVATE KEY-----\\n\"\n    \"-----END PRIVATE KEY-----\\n\"\n".to_string(),
        "if line.starts_with(\"-----BEGIN OPENSSH PRIVATE KEY-----\") {\n    return parse(rest);\n}\n"
            .to_string(),
        "/// Reads a key:\n/// -----BEGIN PRIVATE KEY-----\n/// ...\n/// -----END PRIVATE KEY-----\n"
            .to_string(),
    ];
    for text in texts {
        let hits: Vec<_> = scanner
            .scan(text.as_bytes())
            .into_iter()
            .filter(|f| f.rule_id.contains("private-key"))
            .map(|f| f.rule_id.to_string())
            .collect();
        assert!(hits.is_empty(), "{text:?}: {hits:?}");
    }
}
