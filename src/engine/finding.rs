//! Findings, their previews, and how overlapping findings of different
//! rules are resolved.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use crate::rotation::fingerprint::Fingerprint;
use crate::rotation::triage::TokenFacts;
use crate::rules::validators::Validation;
use crate::rules::Confidence;

/// A match of a rule that passed the rule's validators and was not
/// outranked by an overlapping finding of a more specific rule.
///
/// Offsets are absolute: from the start of the haystack for
/// [`crate::Scanner::scan`], from the start of the stream for
/// [`crate::StreamScanner`]. The secret's value itself is not kept.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule_id: Arc<str>,
    /// The rule's position in the scanner's rule list.
    #[serde(skip)]
    pub rule_index: usize,
    /// The byte span of the whole match.
    pub span: Range<u64>,
    /// The byte span of the secret (the `secret` group, or the whole match).
    #[serde(rename = "secret_span")]
    pub secret: Range<u64>,
    /// 1-based line of the secret's first byte.
    pub line: u64,
    /// 1-based byte column of the secret's first byte.
    pub column: u64,
    /// SHA-256 prefix of the secret.
    pub fingerprint: Fingerprint,
    /// The secret, masked: a few leading characters, then `…`.
    pub preview: String,
    /// How sure the finding is: `high` when an offline check passed,
    /// otherwise the rule's own level.
    pub confidence: Confidence,
    /// What the offline check verified, if the rule has one and it applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
    /// Why a match of the provider's exact shape is only `low` (its check
    /// failed, or it is glued to the text after it): redaction removes it,
    /// a default (`medium`+) report leaves it out. See [`Doubt`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doubt: Option<Doubt>,
    /// The secret's bytes: `None` unless the caller asked for them
    /// ([`crate::StreamScanner::capture_secrets`]). Never serialised.
    #[serde(skip)]
    pub value: Option<Box<[u8]>>,
    /// What the token says about its own lifetime (a JWT's `exp`, an AWS
    /// STS key id, a short-lived GitHub token kind), read offline.
    #[serde(skip)]
    pub token: Option<Box<TokenFacts>>,
}

/// Shows everything but the captured value (only its length): a finding
/// logged with `{:?}` never leaks the secret (DESIGN.md, "Never leak").
impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("rule_id", &self.rule_id)
            .field("rule_index", &self.rule_index)
            .field("span", &self.span)
            .field("secret", &self.secret)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("fingerprint", &self.fingerprint)
            .field("preview", &self.preview)
            .field("confidence", &self.confidence)
            .field("validation", &self.validation)
            .field("doubt", &self.doubt)
            .field(
                "value",
                &self
                    .value
                    .as_ref()
                    .map(|v| format!("<{} bytes, not shown>", v.len())),
            )
            .field("token", &self.token)
            .finish()
    }
}

/// Why a finding that has a provider's exact shape is reported at `low`
/// rather than dropped: recall first for redaction (a false redaction
/// costs a few bytes, a leak costs a rotation), precision first for
/// reports (a default scan, `medium`+, leaves these out).
///
/// A doubtful candidate ranks below every candidate without doubt where
/// they overlap, so it never takes a finding away from a default report;
/// it only widens what is redacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Doubt {
    /// The rule's offline check (a checksum, the token's structure) failed:
    /// a typo'd, truncated or made-up token, or the provider's format
    /// changed.
    CheckFailed,
    /// The token, of a fixed length after a distinctive prefix, runs on
    /// into the text after it (`AKIA…status=200`, `ghp_…ERROR`, as some log
    /// formatters concatenate fields): found by the rule's glued variant,
    /// its pattern cut after the secret (see `engine::compile`).
    Glued,
}

impl Doubt {
    /// The kebab-case name, as in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Doubt::CheckFailed => "check-failed",
            Doubt::Glued => "glued",
        }
    }
}

/// A secret as found by one rule, before overlap resolution. Offsets are
/// absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub rule: usize,
    pub span: Range<u64>,
    pub secret: Range<u64>,
    pub fingerprint: Fingerprint,
    pub preview: String,
    pub confidence: Confidence,
    pub validation: Option<Validation>,
    pub doubt: Option<Doubt>,
    /// 1-based line and column of the secret, or 0 when not yet computed.
    pub line: u64,
    pub column: u64,
    /// The secret's bytes, kept only when the caller asked for them.
    pub value: Option<Box<[u8]>>,
    /// Lifetime facts read from the token, if any.
    pub token: Option<Box<TokenFacts>>,
}

/// The masked preview of a secret: at most a quarter of it and never more
/// than 4 characters, non-printable bytes as `.`, then `…`.
pub fn masked_preview(secret: &[u8]) -> String {
    let shown = (secret.len() / 4).min(4);
    let mut s: String = secret[..shown]
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
        .collect();
    s.push('…');
    s
}

/// A group of candidates whose secret spans overlap (transitively), as one
/// redaction: the union span, labelled by the highest-ranked rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Redaction {
    pub span: Range<u64>,
    pub rule: usize,
    /// The fingerprint of the labelling candidate's secret.
    pub fingerprint: Fingerprint,
}

/// Resolves overlaps in `candidates` (any order; sorted in place), whole
/// components at a time: the obvious form, kept for the oracle. The engine
/// (whole inputs and streams alike) uses the incremental [`Resolver`], and
/// the property tests hold the two together.
///
/// Candidates whose secret spans overlap form a component. A candidate is
/// reported unless it overlaps a candidate of a higher rank (see [`Rank`]:
/// no doubt first, then higher priority; on a tie, the rule listed first). Each component becomes one
/// redaction of the union of its spans, labelled by its highest-ranked rule
/// (on a tie, the earliest). Reported candidates go to `report`, in order
/// of secret start.
///
/// Cost: O(n log n) to sort, plus O(k²) per component of k candidates.
pub(crate) fn resolve(
    candidates: &mut [Candidate],
    rank: impl Fn(&Candidate) -> Rank,
    mut report: impl FnMut(&Candidate),
    mut redaction: impl FnMut(Redaction),
) {
    candidates.sort_by_key(|c| (c.secret.start, c.secret.end, c.rule));
    let mut i = 0;
    while i < candidates.len() {
        let mut end = candidates[i].secret.end;
        let mut j = i + 1;
        while j < candidates.len() && candidates[j].secret.start < end {
            end = end.max(candidates[j].secret.end);
            j += 1;
        }
        let group = &candidates[i..j];
        let top = group
            .iter()
            .max_by(|a, b| {
                rank(a)
                    .cmp(&rank(b))
                    .then(b.secret.start.cmp(&a.secret.start))
            })
            .expect("component is non-empty");
        for c in group {
            let outranked = group.iter().any(|o| {
                rank(o) > rank(c) && o.secret.start < c.secret.end && c.secret.start < o.secret.end
            });
            if !outranked {
                report(c);
            }
        }
        redaction(Redaction {
            span: group[0].secret.start..end,
            rule: top.rule,
            fingerprint: top.fingerprint,
        });
        i = j;
    }
}

/// How a candidate ranks where candidates overlap: one without [`Doubt`]
/// first, then higher priority, then the rule listed first, then a rule's
/// own pattern before its glued variant.
pub(crate) type Rank = (bool, i32, std::cmp::Reverse<usize>, std::cmp::Reverse<bool>);

/// The incremental form of [`resolve`], for streams: candidates are folded
/// one at a time in sorted order, each once every candidate that could
/// overlap it is known, so neither the candidates nor the bytes of a long
/// chain of overlapping findings need to be kept.
///
/// It reports and redacts exactly what [`resolve`] does on the same
/// candidates (the property tests hold stream and whole input together).
///
/// # Memory usage
///
/// O(number of rules): only the folded candidates that may still overlap
/// a later one are kept, and at most one open redaction.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    /// Folded candidates that may overlap later ones: (secret end, rank).
    recent: Vec<(u64, Rank)>,
    /// The component being built: its union span, top rank and rule.
    open: Option<(Redaction, Rank)>,
}

impl Resolver {
    /// Folds `c`, the next candidate in (start, end, rule) order, given the
    /// candidates after it that are not folded yet (`later`, same order).
    /// Every candidate that overlaps `c` must be among `later` or folded.
    pub fn fold(
        &mut self,
        c: &Candidate,
        later: &[Candidate],
        rank: impl Fn(&Candidate) -> Rank,
        report: impl FnOnce(&Candidate),
        mut redaction: impl FnMut(Redaction),
    ) {
        let own = rank(c);
        self.recent.retain(|&(end, _)| end > c.secret.start);
        let outranked = self.recent.iter().any(|&(_, r)| r > own)
            || later
                .iter()
                .take_while(|o| o.secret.start < c.secret.end)
                .any(|o| rank(o) > own);
        if !outranked {
            report(c);
        }
        self.recent.push((c.secret.end, own));
        match &mut self.open {
            Some((r, top)) if c.secret.start < r.span.end => {
                r.span.end = r.span.end.max(c.secret.end);
                if own > *top {
                    (r.rule, *top, r.fingerprint) = (c.rule, own, c.fingerprint);
                }
            }
            _ => {
                if let Some((r, _)) = self.open.take() {
                    redaction(r);
                }
                self.open = Some((
                    Redaction {
                        span: c.secret.clone(),
                        rule: c.rule,
                        fingerprint: c.fingerprint,
                    },
                    own,
                ));
            }
        }
    }

    /// Closes the open component if nothing can join it any more: no
    /// candidate still to come starts before `next_start`.
    pub fn close_before(&mut self, next_start: u64, redaction: impl FnOnce(Redaction)) {
        if self
            .open
            .as_ref()
            .is_some_and(|(r, _)| r.span.end <= next_start)
        {
            let (r, _) = self.open.take().expect("checked");
            redaction(r);
        }
    }

    /// The union span of the component being built, if any.
    pub fn open_span(&self) -> Option<Range<u64>> {
        self.open.as_ref().map(|(r, _)| r.span.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(rule: usize, s: u64, e: u64) -> Candidate {
        Candidate {
            rule,
            span: s..e,
            secret: s..e,
            fingerprint: Fingerprint([0; 8]),
            preview: String::new(),
            confidence: Confidence::Medium,
            validation: None,
            doubt: None,
            line: 0,
            column: 0,
            value: None,
            token: None,
        }
    }

    /// The engine's rank for rules of these priorities (no variants).
    fn rank_of(priority: &[i32]) -> impl Fn(&Candidate) -> Rank + '_ {
        |c| {
            (
                c.doubt.is_none(),
                priority[c.rule],
                std::cmp::Reverse(c.rule),
                std::cmp::Reverse(false),
            )
        }
    }

    #[test]
    fn specific_rule_names_overlapping_secret() {
        // rule 0: priority 10 (generic), rule 1: priority 90 (specific)
        let mut c = vec![cand(0, 5, 30), cand(1, 10, 20), cand(1, 22, 28)];
        let (mut rep, mut red) = (vec![], vec![]);
        resolve(
            &mut c,
            rank_of(&[10, 90]),
            |c| rep.push((c.rule, c.secret.clone())),
            |r| red.push(r),
        );
        assert_eq!(rep, vec![(1, 10..20), (1, 22..28)]);
        assert_eq!(
            red,
            vec![Redaction {
                span: 5..30,
                rule: 1,
                fingerprint: Fingerprint([0; 8]),
            }]
        );
    }

    #[test]
    fn doubtful_candidates_rank_below_sure_ones() {
        // rule 1 is more specific, but its check failed: the generic rule
        // 0 still reports the secret and names the (wider) redaction.
        let mut doubtful = cand(1, 4, 12);
        doubtful.doubt = Some(Doubt::CheckFailed);
        let mut c = vec![cand(0, 5, 10), doubtful];
        let (mut rep, mut red) = (vec![], vec![]);
        resolve(
            &mut c,
            rank_of(&[10, 90]),
            |c| rep.push(c.rule),
            |r| red.push((r.span, r.rule)),
        );
        assert_eq!(rep, vec![0]);
        assert_eq!(red, vec![(4..12, 0)]);
        // Alone, it is reported and redacted.
        let mut c = vec![c.remove(0)];
        c[0].rule = 1;
        c[0].doubt = Some(Doubt::Glued);
        let mut rep = vec![];
        resolve(&mut c, rank_of(&[10, 90]), |c| rep.push(c.doubt), |_| {});
        assert_eq!(rep, vec![Some(Doubt::Glued)]);
    }

    #[test]
    fn adjacent_spans_are_separate() {
        let mut c = vec![cand(0, 0, 5), cand(0, 5, 9)];
        let mut red = vec![];
        resolve(&mut c, rank_of(&[0]), |_| {}, |r| red.push(r.span));
        assert_eq!(red, vec![0..5, 5..9]);
    }

    #[test]
    fn ties_go_to_the_rule_listed_first() {
        let mut c = vec![cand(3, 0, 10), cand(2, 5, 12)];
        let (mut rep, mut red) = (vec![], vec![]);
        resolve(
            &mut c,
            rank_of(&[50; 4]),
            |c| rep.push(c.rule),
            |r| red.push(r.rule),
        );
        assert_eq!(rep, vec![2]);
        assert_eq!(red, vec![2]);
    }

    #[test]
    fn debug_never_shows_a_captured_value() {
        let f = Finding {
            rule_id: "t".into(),
            rule_index: 0,
            span: 0..9,
            secret: 0..9,
            line: 1,
            column: 1,
            fingerprint: Fingerprint::of(b"s3cr3t-v4lue"),
            preview: "s3…".into(),
            confidence: Confidence::Low,
            validation: None,
            doubt: None,
            value: Some(b"s3cr3t-v4lue".to_vec().into()),
            token: None,
        };
        let shown = format!("{f:?}");
        assert!(
            !shown.contains("v4lue") && shown.contains("12 bytes"),
            "{shown}"
        );
    }

    #[test]
    fn preview_masks() {
        assert_eq!(masked_preview(b"ghp_abcdefghijklmnop"), "ghp_…");
        assert_eq!(masked_preview(b"hunter22"), "hu…");
        assert_eq!(masked_preview(b"\x00\x01\x02\x03"), ".…");
    }
}
