//! Property tests: the fast engine equals the naive oracle (DESIGN.md,
//! "Oracle"), and redaction hides every secret while changing no other byte
//! (DESIGN.md, "Semantics").
//!
//! Case counts (per property, in the test profile): 16384 inputs each, for
//! the built-in pack, the tricky set, redaction (either set), and any
//! subject (each tricky rule alone, the newline-free subsets). About 4 s in
//! all on 2 cores. `PROPTEST_CASES=N` runs N cases of each instead.

mod support;

use proptest::prelude::*;
use support::{
    all_material, arb_input, model_redactions, occurrences, show, subject_named, subjects, Subject,
};

/// `scan` and `redact` equal the oracle's on `input`.
fn check_engine_equals_oracle(s: &Subject, input: &[u8]) -> Result<(), TestCaseError> {
    let fast = s.scanner.scan(input);
    let slow = s.oracle.scan(input);
    prop_assert_eq!(
        &fast,
        &slow,
        "{}: scan differs from the oracle on {}",
        s.name,
        show(input)
    );
    let fast = s.scanner.redact(input);
    let slow = s.oracle.redact(input);
    prop_assert_eq!(
        fast.as_ref(),
        &slow[..],
        "{}: redact differs from the oracle on {}\nfast: {}\noracle: {}",
        s.name,
        show(input),
        show(&fast),
        show(&slow)
    );
    Ok(())
}

/// Redaction equals the independent model; no secret value (longer than 6
/// bytes, occurring once in the input) survives; splitting the output on
/// the markers gives back the input's non-secret segments in order.
fn check_redaction(s: &Subject, input: &[u8]) -> Result<(), TestCaseError> {
    let out = s.scanner.redact(input).into_owned();
    let model = model_redactions(s, input);
    let expected = support::apply(&s.scanner, input, &model);
    prop_assert_eq!(
        &out,
        &expected,
        "{}: redaction differs from the model on {}\ngot:      {}\nexpected: {}",
        s.name,
        show(input),
        show(&out),
        show(&expected)
    );

    // Reconstruct: the output is the input's non-secret segments, in order,
    // each followed by the marker of the next redaction.
    let mut rest = &out[..];
    let mut at = 0;
    let mut segments: Vec<&[u8]> = vec![];
    for r in &model {
        let segment = &input[at..r.span.start];
        prop_assert!(
            rest.starts_with(segment),
            "{}: segment before {:?} changed",
            s.name,
            r.span
        );
        segments.push(&rest[..segment.len()]);
        rest = &rest[segment.len()..];
        let m = support::marker(&s.scanner, r.rule);
        prop_assert!(
            rest.starts_with(&m),
            "{}: no marker for {:?}",
            s.name,
            r.span
        );
        rest = &rest[m.len()..];
        at = r.span.end;
    }
    prop_assert_eq!(rest, &input[at..], "{}: tail changed", s.name);
    segments.push(rest);

    // No secret value survives: it occurs in no kept segment. (A value
    // without brackets cannot straddle a marker, and the marker text itself,
    // which names the rule, is no leak.)
    for f in s.oracle.scan(input) {
        let value = &input[f.secret.start as usize..f.secret.end as usize];
        if value.len() > 6
            && occurrences(input, value).len() == 1
            && !value.contains(&b'[')
            && !value.contains(&b']')
        {
            for segment in &segments {
                prop_assert!(
                    occurrences(segment, value).is_empty(),
                    "{}: secret {} of {} survives redaction: {}",
                    s.name,
                    show(value),
                    f.rule_id,
                    show(&out)
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(support::config(16384))]

    #[test]
    fn builtin_engine_equals_oracle(input in arb_input(all_material())) {
        check_engine_equals_oracle(subject_named("builtin"), &input)?;
    }

    #[test]
    fn tricky_engine_equals_oracle(input in arb_input(all_material())) {
        check_engine_equals_oracle(subject_named("tricky"), &input)?;
    }

    #[test]
    fn redaction_hides_secrets_and_keeps_other_bytes(
        which in 0..2usize,
        input in arb_input(all_material()),
    ) {
        let s = subject_named(["builtin", "tricky"][which]);
        check_redaction(s, &input)?;
    }
}

proptest! {
    #![proptest_config(support::config(16384))]

    /// Each tricky rule alone, and the newline-free subsets: small maximum
    /// lengths and no neighbours to hide behind.
    #[test]
    fn any_subject_engine_equals_oracle(
        which in any::<prop::sample::Index>(),
        input in arb_input(all_material()),
    ) {
        let s = &subjects()[which.index(subjects().len())];
        check_engine_equals_oracle(s, &input)?;
        check_redaction(s, &input)?;
    }
}
