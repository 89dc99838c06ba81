//! What the compiler found about each hand-written rule of the built-in
//! pack, recorded in `patterns/shape-facts.txt`, so that start-up need not
//! parse and analyse 400 patterns that most scans never wake.
//!
//! One line per rule: its id, a hash of its pattern (after macro
//! expansion), and the [`ShapeHint`] facts. A rule whose pattern no longer
//! has the recorded hash simply gets no hint (it is compiled at start-up,
//! as before), so a stale file costs speed, never correctness; the engine's
//! test suite regenerates the file and fails while it is stale
//! (`SECRETSCAN_WRITE_FACTS=1 cargo test --lib builtin_shape_facts`
//! rewrites it). Only rules whose every match begins with a keyword are
//! recorded.
//!
//! Format, tab-separated: `id hash max_len exact boundary`, then, for a
//! rule with a glued variant, `cut max_len exact boundary` of the variant.

use std::collections::HashMap;

use crate::rules::ShapeHint;

/// The facts file of the built-in pack.
pub const BUILTIN_FACTS: &str = include_str!("../../patterns/shape-facts.txt");

/// A stable 64-bit hash of a pattern (FNV-1a): the file stays valid across
/// builds and platforms.
pub fn pattern_hash(pattern: &str) -> u64 {
    pattern.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The facts of a pack, by rule id.
#[derive(Debug, Default)]
pub struct Facts<'a> {
    by_id: HashMap<&'a str, (u64, ShapeHint)>,
}

impl<'a> Facts<'a> {
    /// The built-in pack's facts.
    pub fn builtin() -> Facts<'static> {
        Facts::parse(BUILTIN_FACTS)
    }

    /// Parses a facts file. A malformed line is skipped: it only costs the
    /// rule its deferral (the test suite keeps the file well formed).
    pub fn parse(text: &'a str) -> Facts<'a> {
        let by_id = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|line| {
                let f: Vec<&str> = line.split('\t').collect();
                let hint = |f: &[&str]| -> Option<ShapeHint> {
                    Some(ShapeHint {
                        max_len: f.first()?.parse().ok()?,
                        exact_keywords: *f.get(1)? == "1",
                        boundary_before: *f.get(2)? == "1",
                        glued: None,
                        row: None,
                    })
                };
                let hash = u64::from_str_radix(f.get(1)?, 16).ok()?;
                let mut shape = hint(f.get(2..5)?)?;
                if f.len() == 9 {
                    let cut = f[5].parse().ok()?;
                    shape.glued = Some((cut, Box::new(hint(&f[6..9])?)));
                } else if f.len() != 5 {
                    return None;
                }
                Some((f[0], (hash, shape)))
            })
            .collect();
        Facts { by_id }
    }

    /// The hint of rule `id` if its pattern is the one recorded.
    pub fn hint(&self, id: &str, pattern: &str) -> Option<ShapeHint> {
        let (hash, hint) = self.by_id.get(id)?;
        let cut_fits = hint
            .glued
            .as_ref()
            .map_or(true, |(cut, _)| pattern.is_char_boundary(*cut));
        (*hash == pattern_hash(pattern) && cut_fits).then(|| hint.clone())
    }
}

/// One facts line (see the module docs).
pub fn line(id: &str, pattern: &str, hint: &ShapeHint) -> String {
    let fields = |h: &ShapeHint| {
        format!(
            "{}\t{}\t{}",
            h.max_len,
            u8::from(h.exact_keywords),
            u8::from(h.boundary_before)
        )
    };
    let mut out = format!("{id}\t{:016x}\t{}", pattern_hash(pattern), fields(hint));
    if let Some((cut, glued)) = &hint.glued {
        out.push_str(&format!("\t{cut}\t{}", fields(glued)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_a_changed_pattern_loses_its_hint() {
        let hint = ShapeHint {
            max_len: 40,
            exact_keywords: true,
            boundary_before: false,
            glued: Some((
                11,
                Box::new(ShapeHint {
                    max_len: 36,
                    exact_keywords: true,
                    boundary_before: true,
                    glued: None,
                    row: None,
                }),
            )),
            row: None,
        };
        let text = line("r", r"ghp_[a-z]{36}\b", &hint);
        let facts = Facts::parse(&text);
        assert_eq!(facts.hint("r", r"ghp_[a-z]{36}\b"), Some(hint));
        assert_eq!(facts.hint("r", r"ghp_[a-z]{37}\b"), None);
        assert_eq!(facts.hint("other", r"ghp_[a-z]{36}\b"), None);
        assert!(Facts::parse("r\tnothex\t1\t0\t0").by_id.is_empty());
    }
}
