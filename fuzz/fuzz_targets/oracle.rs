//! The fast engine equals the naive oracle (DESIGN.md, "Oracle"): `scan`
//! and `redact` on arbitrary bytes, raw and decoded (see the crate docs),
//! for the built-in pack and the tricky set.

#![no_main]

use libfuzzer_sys::fuzz_target;
use secretscan_fuzz::{expand, subjects};

fn check(input: &[u8]) {
    for s in subjects() {
        let fast = s.scanner.scan(input);
        let slow = s.oracle.scan(input);
        assert_eq!(
            fast,
            slow,
            "{}: scan differs from the oracle on {:?}",
            s.name,
            String::from_utf8_lossy(input)
        );
        let fast = s.scanner.redact(input);
        let slow = s.oracle.redact(input);
        assert!(
            fast.as_ref() == slow.as_slice(),
            "{}: redact differs from the oracle on {:?}\nfast:   {:?}\noracle: {:?}",
            s.name,
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&slow)
        );
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let expanded = expand(data);
    if expanded != data {
        check(&expanded);
    }
});
