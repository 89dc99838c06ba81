//! The built-in pack: it loads, compiles, and every rule's examples pass.

use secretscan::rules::check::check;
use secretscan::Scanner;

#[test]
fn builtin_rules_pass_their_own_examples() {
    let scanner = Scanner::builtin();
    let report = check(&scanner);
    let failures: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        report.without_examples.is_empty(),
        "rules without examples: {:?}",
        report.without_examples
    );
}

#[test]
fn builtin_rules_have_two_positive_and_one_negative_example_each() {
    for rule in Scanner::builtin().rules() {
        assert!(
            rule.examples.len() >= 2,
            "{}: fewer than 2 examples",
            rule.id
        );
        assert!(
            !rule.negative_examples.is_empty(),
            "{}: no negative example",
            rule.id
        );
        assert!(rule.rotate.is_some(), "{}: no rotation guidance", rule.id);
    }
}

/// Streaming latency depends on these: a rule that is not provably led by a
/// keyword holds back its whole maximum length, and a multi-line rule holds
/// lines back until its match is decided: only keyword-led blocks of a
/// bounded size (PEM and PGP blocks, key files as JSON) may span lines.
#[test]
fn builtin_rules_are_keyword_led_and_single_line() {
    let scanner = Scanner::builtin();
    for (i, rule) in scanner.rules().iter().enumerate() {
        let shape = scanner.rule_shape(i);
        assert!(
            shape.starts_with_keyword,
            "{}: not provably keyword-led",
            rule.id
        );
        if shape.multiline {
            assert!(
                shape.max_len <= 32 * 1024,
                "{}: multi-line with a {}-byte bound",
                rule.id,
                shape.max_len
            );
        }
    }
}
