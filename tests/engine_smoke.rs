//! Engine seams, by construction: fixed inputs run whole, chunked at every
//! size, and against the oracle, with a small rule set that exercises each
//! path of the matcher (keyword-led rules, a rule led by other bytes, a
//! multi-line rule, overlapping keywords, a secret group, priorities).

use std::io::Write;

use secretscan::oracle::Oracle;
use secretscan::Scanner;

mod support;

const RULES: &str = r#"
[[rules]]
id = "tok"
name = "token"
pattern = '''\btok_[a-z0-9]{8}\b'''
keywords = ["tok_"]
priority = 90
examples = ["x tok_{{lowerdigit:8}} y", "tok_{{digit:8}}"]
negative_examples = ["tok_abc"]

[[rules]]
id = "tok-long"
name = "long token"
pattern = '''tok_long_[a-z]{4}'''
keywords = ["tok_long_"]
priority = 95
examples = ["tok_long_{{lower:4}}"]
negative_examples = ["tok_long_12"]

[[rules]]
id = "pw"
name = "password"
pattern = '''(?i)password[ \t]{0,3}[:=][ \t]{0,3}(?P<secret>[^\s'"]{6,30})'''
keywords = ["password"]
priority = 10
reject_placeholders = true
examples = ["password = {{alnum:12}}"]
negative_examples = ["password = changeme"]

[[rules]]
id = "led"
name = "not keyword-led"
pattern = '''[a-z]{0,6}XKEY[0-9]{4}'''
keywords = ["xkey"]
examples = ["abcXKEY1234"]
negative_examples = ["XKEY12"]

[[rules]]
id = "block"
name = "block"
pattern = '''-----BEGIN X-----[\s\S]{1,200}?-----END X-----'''
keywords = ["-----BEGIN X"]
priority = 80
examples = ["-----BEGIN X-----{{nl}}{{base64:40}}{{nl}}-----END X-----"]
negative_examples = ["-----BEGIN X----- no end"]
"#;

fn scanner() -> Scanner {
    Scanner::builder()
        .builtin(false)
        .rules_toml("smoke.toml", RULES)
        .build()
        .unwrap()
}

const INPUTS: &[&str] = &[
    "",
    "tok_abcd1234",
    "a tok_abcd1234 b tok_long_abcd tok_zzzz9999\n",
    "password = hunter22xyz tok_abcd1234\npassword: changeme\n",
    "xyzXKEY1234 XKEY5678abcdefgXKEY0000\n",
    "-----BEGIN X-----\nAAAA\nBBBB\n-----END X----- tail tok_1234abcd\n",
    "-----BEGIN X-----\n-----BEGIN X-----\nzz\n-----END X-----\n",
    "password=tok_abcd1234xyz\r\npassword=\ttok_long_qwer!!\n",
    "tok_tok_tok_abcd1234tok_abcd1234 tok_abcd12345",
    "\u{0}\u{1}tok_abcd1234\u{ff}",
];

#[test]
fn engine_equals_oracle_and_streams_equal_whole() {
    let s = scanner();
    let oracle = Oracle::new(&s);
    for input in INPUTS {
        let input = input.as_bytes();
        let whole = s.scan(input);
        assert_eq!(
            whole,
            oracle.scan(input),
            "scan vs oracle on {:?}",
            String::from_utf8_lossy(input)
        );
        let redacted = s.redact(input).into_owned();
        assert_eq!(
            redacted,
            oracle.redact(input),
            "redact vs oracle on {:?}",
            String::from_utf8_lossy(input)
        );
        for chunk in 1..=input.len().max(1) {
            assert_eq!(
                support::stream_findings(&s, &input.chunks(chunk).collect::<Vec<_>>()),
                whole,
                "stream chunk {chunk} on {:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(
                support::writer_output(&s, &input.chunks(chunk).collect::<Vec<_>>()),
                redacted,
                "redact chunk {chunk} on {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}

#[test]
fn complete_lines_are_written_at_once() {
    let s = scanner();
    let mut w = s.redact_writer(Vec::new());
    w.write_all(b"hello world\npassword = hunter22x\nnext ")
        .unwrap();
    w.flush().unwrap();
    assert_eq!(
        w.get_ref().as_slice(),
        b"hello world\npassword = [REDACTED:pw]\nnext "
    );
    w.write_all(b"tok_").unwrap();
    w.flush().unwrap();
    assert_eq!(
        w.get_ref().as_slice(),
        b"hello world\npassword = [REDACTED:pw]\nnext "
    );
    w.write_all(b"abcd1234 and more").unwrap();
    w.flush().unwrap();
    // "tok_abcd1234" is settled by the following space (no \n in the rule).
    assert!(
        w.get_ref()
            .starts_with(b"hello world\npassword = [REDACTED:pw]\nnext [REDACTED:tok] and"),
        "{:?}",
        String::from_utf8_lossy(w.get_ref())
    );
}

/// Regression: a closed PEM block used to hold back the lines after it
/// until `max_len` (16 KiB) more bytes or a byte outside the key alphabet
/// arrived; ordinary log lines use only those bytes. The multi-line rule's
/// probe DFA dies at the END line, which decides the match.
#[test]
fn lines_after_a_closed_private_key_are_written_at_once() {
    let s = Scanner::builtin();
    let body: String = (0..20)
        .map(|i| {
            format!(
                "{}\n",
                &"QUJDRGVGZ0hpSktsTW5PcFFyU3RVdld4WXo".repeat(4)[i..i + 64]
            )
        })
        .collect();
    let key = format!(
        "-----BEGIN RSA PRIVATE {}-----\n{body}-----END RSA PRIVATE KEY-----\n",
        "KEY"
    );
    let line = "2024-05-20T14:03:12.000Z INFO worker 7 processed batch ok\n";
    let mut w = s.redact_writer(Vec::new());
    w.write_all(format!("before\n{key}{line}").as_bytes())
        .unwrap();
    w.flush().unwrap();
    assert_eq!(
        String::from_utf8_lossy(w.get_ref()),
        format!("before\n[REDACTED:private-key]\n{line}")
    );
    // The same, one byte at a time.
    let mut w = s.redact_writer(Vec::new());
    for b in format!("{key}{line}").bytes() {
        w.write_all(&[b]).unwrap();
    }
    w.flush().unwrap();
    assert_eq!(
        String::from_utf8_lossy(w.get_ref()),
        format!("[REDACTED:private-key]\n{line}")
    );
}

/// A stray BEGIN line (a log message quoting it, a truncated key) must not
/// hold back the lines after it: the key body allows only base64 and
/// whitespace, so the first ordinary log line decides there is no key.
#[test]
fn lines_after_a_stray_begin_line_are_written_at_once() {
    let s = Scanner::builtin();
    let text = format!(
        "loading -----BEGIN RSA PRIVATE {}-----\n2024-05-20T14:03:12.000Z INFO worker 7 processed batch ok\n",
        "KEY"
    );
    let mut w = s.redact_writer(Vec::new());
    w.write_all(text.as_bytes()).unwrap();
    w.flush().unwrap();
    assert_eq!(String::from_utf8_lossy(w.get_ref()), text);
}
