//! Pattern analysis: what can be proved about a rule's pattern from its
//! syntax tree, without building an automaton. The compiler uses it for a
//! rule's shape (length bounds, whether every match begins with a keyword,
//! its byte alphabet, its `secret` group), the prefilter for the bytes that
//! may follow a keyword.
//!
//! Everything here is a pure function of a parsed [`Hir`]; the set
//! enumerations give up (return `None`) past small limits, so a pattern's
//! analysis costs time linear in its size, not in the strings it matches.

use regex_automata::util::syntax;
use regex_syntax::hir::{Class, Hir, HirKind};

/// The syntax every rule is compiled with: bytes, not UTF-8; ASCII classes,
/// case folding and word boundaries.
pub(crate) fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

pub(crate) fn parse_hir(pattern: &str) -> Result<Hir, Box<regex_syntax::Error>> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(Box::new)
}

/// Whether every match of `hir` begins with an ASCII word-boundary
/// assertion (`\b` or `\b{start}`), before any byte.
pub(crate) fn starts_at_word_boundary(hir: &Hir) -> bool {
    use regex_syntax::hir::Look;
    match hir.kind() {
        HirKind::Look(look) => matches!(
            look,
            Look::WordAscii | Look::WordStartAscii | Look::WordStartHalfAscii
        ),
        HirKind::Capture(c) => starts_at_word_boundary(&c.sub),
        HirKind::Concat(subs) => subs.first().is_some_and(starts_at_word_boundary),
        HirKind::Alternation(subs) => subs.iter().all(starts_at_word_boundary),
        _ => false,
    }
}

/// The capture index of the group named `secret`, and the first other
/// group name, if any. Indices are the regex's group indices: regex-syntax
/// numbers groups as regex-automata does.
pub(crate) fn capture_names(hir: &Hir) -> (Option<usize>, Option<String>) {
    fn walk(hir: &Hir, secret: &mut Option<usize>, other: &mut Option<String>) {
        match hir.kind() {
            HirKind::Capture(c) => {
                match c.name.as_deref() {
                    Some("secret") => *secret = secret.or(Some(c.index as usize)),
                    Some(name) => *other = other.take().or_else(|| Some(name.to_string())),
                    None => {}
                }
                walk(&c.sub, secret, other);
            }
            HirKind::Concat(subs) | HirKind::Alternation(subs) => {
                subs.iter().for_each(|s| walk(s, secret, other))
            }
            HirKind::Repetition(r) => walk(&r.sub, secret, other),
            _ => {}
        }
    }
    let (mut secret, mut other) = (None, None);
    walk(hir, &mut secret, &mut other);
    (secret, other)
}

pub(crate) fn secret_group_min_len(hir: &Hir) -> Option<usize> {
    match hir.kind() {
        HirKind::Capture(c) => {
            if c.name.as_deref() == Some("secret") {
                return Some(c.sub.properties().minimum_len().unwrap_or(0));
            }
            secret_group_min_len(&c.sub)
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().find_map(secret_group_min_len)
        }
        HirKind::Repetition(r) => secret_group_min_len(&r.sub),
        _ => None,
    }
}

/// A set of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    /// Every byte.
    pub fn all() -> ByteSet {
        ByteSet([u64::MAX; 4])
    }

    /// Whether every byte is in the set.
    pub fn is_all(&self) -> bool {
        self.0 == [u64::MAX; 4]
    }

    pub fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }

    pub fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }

    pub fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }
}

/// Every byte that can occur in some match of `hir` (an over-approximation:
/// bytes of every literal and class that can take part in a match).
pub(crate) fn match_alphabet(hir: &Hir) -> ByteSet {
    fn walk(hir: &Hir, set: &mut ByteSet) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(lit) => lit.0.iter().for_each(|&b| set.insert(b)),
            HirKind::Class(Class::Bytes(c)) => {
                for r in c.iter() {
                    (r.start()..=r.end()).for_each(|b| set.insert(b));
                }
            }
            HirKind::Class(Class::Unicode(c)) => {
                for r in c.iter() {
                    if (r.start() as u32) > 0x7f || (r.end() as u32) > 0x7f {
                        // Encoded as UTF-8, any byte >= 0x80 may appear.
                        (0x80..=0xff).for_each(|b| set.insert(b));
                    }
                    let (lo, hi) = (r.start() as u32, (r.end() as u32).min(0x7f));
                    (lo..=hi).for_each(|b| set.insert(b as u8));
                }
            }
            HirKind::Repetition(r) => {
                if r.max != Some(0) {
                    walk(&r.sub, set)
                }
            }
            HirKind::Capture(c) => walk(&c.sub, set),
            HirKind::Concat(subs) | HirKind::Alternation(subs) => {
                subs.iter().for_each(|s| walk(s, set))
            }
        }
    }
    let mut set = ByteSet::default();
    walk(hir, &mut set);
    set
}

/// Upper bound on the strings tracked while proving `starts_with_keyword`.
pub(crate) const PREFIX_LIMIT: usize = 512;

/// The same bound for case-preserving sets: a keyword spelled in one case
/// gives a handful of prefixes, and `(?i)` ones blow up (2^n), so give up
/// early rather than enumerate them.
pub(crate) const EXACT_LIMIT: usize = 32;

/// The complete set of strings `hir` matches, ASCII-lowercased, when it is
/// small and finite (`(?i)Key`, `(?:a|b)`, `\b` as the empty string).
pub(crate) fn lowered_exact(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    exact_strings(hir, true)
}

/// The complete set of strings `hir` matches when small and finite, with
/// letters ASCII-lowercased when `fold` is set, as matched otherwise.
pub(crate) fn exact_strings(hir: &Hir, fold: bool) -> Option<Vec<Vec<u8>>> {
    let limit = if fold { PREFIX_LIMIT } else { EXACT_LIMIT };
    // Counting first is cheap; enumerating a language that turns out too
    // big allocated most of the pack's compile time (an optional context
    // group of a provider rule holds millions of strings).
    if language_size(hir, fold, limit as u64) > limit as u64 {
        return None;
    }
    enumerate(hir, fold, limit)
}

/// [`exact_strings`] below its size check: the parts of a language of at
/// most `limit` strings are enumerated without counting again (products
/// stay guarded by `limit`).
fn enumerate(hir: &Hir, fold: bool, limit: usize) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![vec![]]),
        HirKind::Literal(lit) => Some(vec![if fold {
            lit.0.to_ascii_lowercase()
        } else {
            lit.0.to_vec()
        }]),
        HirKind::Class(class) => {
            let mut set: Vec<u8> = match class {
                Class::Bytes(c) => {
                    if c.ranges().iter().map(|r| r.len()).sum::<usize>() > 16 {
                        return None;
                    }
                    c.iter().flat_map(|r| r.start()..=r.end()).collect()
                }
                Class::Unicode(c) => {
                    let mut v = vec![];
                    for r in c.iter() {
                        if (r.end() as u32) > 0x7f || (r.end() as u32 - r.start() as u32) > 16 {
                            return None;
                        }
                        v.extend((r.start() as u8)..=(r.end() as u8));
                    }
                    v
                }
            };
            if fold {
                set.iter_mut().for_each(|b| *b = b.to_ascii_lowercase());
            }
            set.sort_unstable();
            set.dedup();
            Some(set.into_iter().map(|b| vec![b]).collect())
        }
        HirKind::Capture(c) => enumerate(&c.sub, fold, limit),
        HirKind::Concat(subs) => {
            let mut acc = vec![vec![]];
            for sub in subs {
                acc = product_limited(&acc, &enumerate(sub, fold, limit)?, limit)?;
            }
            Some(acc)
        }
        HirKind::Alternation(subs) => {
            let mut all = vec![];
            for sub in subs {
                all.extend(enumerate(sub, fold, limit)?);
                if all.len() > limit {
                    return None;
                }
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        HirKind::Repetition(r) => {
            let max = r.max?;
            if max > 4 {
                return None;
            }
            let one = enumerate(&r.sub, fold, limit)?;
            let mut all = vec![];
            let mut acc = vec![vec![]];
            for n in 0..=max {
                if n >= r.min {
                    all.extend(acc.iter().cloned());
                }
                acc = product_limited(&acc, &one, limit)?;
            }
            all.sort();
            all.dedup();
            Some(all)
        }
    }
}

/// An upper bound on the number of distinct strings `hir` matches, with
/// case variants counted once when `fold` is set, as [`exact_strings`]
/// lists them; any answer above `cap` is only "more than `cap`" (walks stop
/// there). Cost: one walk of `hir`, cut short once the count passes `cap`,
/// so the deep, wide context groups of provider rules cost little each
/// time a caller asks again at every level.
fn language_size(hir: &Hir, fold: bool, cap: u64) -> u64 {
    let over = cap.saturating_add(1);
    let bytes = |set: &mut dyn Iterator<Item = u32>| -> u64 {
        let mut seen = [false; 256];
        for b in set {
            let Ok(b) = u8::try_from(b) else {
                return u64::MAX;
            };
            seen[usize::from(if fold { b.to_ascii_lowercase() } else { b })] = true;
        }
        seen.iter().filter(|&&x| x).count() as u64
    };
    let size = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Literal(_) => 1,
        HirKind::Class(Class::Bytes(c)) => {
            if c.ranges().iter().map(|r| r.len()).sum::<usize>() as u64 > 2 * over {
                return over;
            }
            bytes(
                &mut c
                    .iter()
                    .flat_map(|r| u32::from(r.start())..=u32::from(r.end())),
            )
        }
        HirKind::Class(Class::Unicode(c)) => {
            if c.iter().any(|r| r.end() as u32 > 0xff) {
                return over;
            }
            bytes(&mut c.iter().flat_map(|r| r.start() as u32..=r.end() as u32))
        }
        HirKind::Capture(c) => language_size(&c.sub, fold, cap),
        HirKind::Concat(subs) => {
            // A factor of 0 (an empty class) would make the product 0; the
            // bound stays an upper bound if we stop early anyway.
            let mut product: u64 = 1;
            for s in subs {
                product = product.saturating_mul(language_size(s, fold, cap));
                if product > cap {
                    return over;
                }
            }
            product
        }
        HirKind::Alternation(subs) => {
            let mut sum: u64 = 0;
            for s in subs {
                sum = sum.saturating_add(language_size(s, fold, cap));
                if sum > cap {
                    return over;
                }
            }
            sum
        }
        HirKind::Repetition(r) => {
            let Some(max) = r.max else {
                return over;
            };
            let one = language_size(&r.sub, fold, cap);
            if max > 64 && one > 1 {
                return over;
            }
            if one == 0 {
                return u64::from(r.min == 0);
            }
            // Each length from `min` on adds at least one string, so this
            // loop ends within `min + cap + 1` rounds.
            let mut total: u64 = 0;
            let mut power: u64 = 1;
            for n in 0..=max {
                if n >= r.min {
                    total = total.saturating_add(power);
                }
                if total > cap {
                    return over;
                }
                power = power.saturating_mul(one);
            }
            total
        }
    };
    size.min(over)
}

/// Whether every match of `hir` provably contains one of `keywords`
/// (lowercased; compared ignoring ASCII case): some run of literal-like
/// pieces that every match passes through spells a keyword in each of its
/// forms, or every branch of an alternation does.
pub(crate) fn always_contains(hir: &Hir, keywords: &[Vec<u8>]) -> bool {
    let spells = |set: &[Vec<u8>]| {
        set.iter().all(|s| {
            keywords
                .iter()
                .any(|k| s.windows(k.len()).any(|w| w == k.as_slice()))
        })
    };
    if let Some(exact) = lowered_exact(hir) {
        return spells(&exact);
    }
    match hir.kind() {
        HirKind::Capture(c) => always_contains(&c.sub, keywords),
        HirKind::Repetition(r) => r.min >= 1 && always_contains(&r.sub, keywords),
        HirKind::Alternation(subs) => subs.iter().all(|s| always_contains(s, keywords)),
        HirKind::Concat(subs) => {
            if subs.iter().any(|s| always_contains(s, keywords)) {
                return true;
            }
            // Runs of consecutive pieces with a small exact language.
            let mut run: Option<Vec<Vec<u8>>> = None;
            for sub in subs {
                match (lowered_exact(sub), run.take()) {
                    (Some(exact), None) => run = Some(exact),
                    (Some(exact), Some(acc)) => run = product(&acc, &exact),
                    (None, Some(acc)) => {
                        if spells(&acc) {
                            return true;
                        }
                    }
                    (None, None) => {}
                }
                if run.as_ref().is_some_and(|r| spells(r)) {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

/// Strings (lowercased) one of which begins every match of `hir`; `None`
/// when no such finite set is found. The empty string means "no knowledge".
pub(crate) fn lowered_prefixes(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    prefix_strings(hir, true)
}

/// Strings one of which begins every match of `hir` (lowercased when
/// `fold` is set); see [`lowered_prefixes`].
pub(crate) fn prefix_strings(hir: &Hir, fold: bool) -> Option<Vec<Vec<u8>>> {
    let limit = if fold { PREFIX_LIMIT } else { EXACT_LIMIT };
    if let Some(exact) = exact_strings(hir, fold) {
        return Some(exact);
    }
    match hir.kind() {
        HirKind::Capture(c) => prefix_strings(&c.sub, fold),
        HirKind::Concat(subs) => Some(concat_prefixes(subs, fold, limit)),
        HirKind::Alternation(subs) => {
            let mut all = vec![];
            for sub in subs {
                all.extend(prefix_strings(sub, fold)?);
            }
            Some(all)
        }
        HirKind::Repetition(r) if r.min >= 1 => prefix_strings(&r.sub, fold),
        _ => None,
    }
}

/// [`prefix_strings`] of the concatenation of `subs`. An alternation whose
/// branches are partly complete strings (`(?:name context|\b)` before a
/// literal prefix) continues into what follows for those branches: every
/// match then begins with the branch's string and a prefix of the rest.
fn concat_prefixes(subs: &[Hir], fold: bool, limit: usize) -> Vec<Vec<u8>> {
    let mut acc = vec![vec![]];
    for (i, sub) in subs.iter().enumerate() {
        // NOTE: when the set would grow past the limit, the prefixes
        // collected so far are still a valid answer: every match begins
        // with one of them.
        if let Some(exact) = exact_strings(sub, fold) {
            match product_limited(&acc, &exact, limit) {
                Some(next) => acc = next,
                None => return acc,
            }
            continue;
        }
        let more = match sub.kind() {
            HirKind::Alternation(branches) => {
                let rest = concat_prefixes(&subs[i + 1..], fold, limit);
                let mut all = vec![];
                for branch in branches {
                    match exact_strings(branch, fold) {
                        Some(exact) => {
                            let joined = product_limited(&exact, &rest, limit);
                            all.extend(joined.unwrap_or(exact));
                        }
                        None => {
                            all.extend(prefix_strings(branch, fold).unwrap_or_else(|| vec![vec![]]))
                        }
                    }
                }
                all
            }
            _ => prefix_strings(sub, fold).unwrap_or_else(|| vec![vec![]]),
        };
        return product_limited(&acc, &more, limit).unwrap_or(acc);
    }
    acc
}

pub(crate) fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    product_limited(a, b, PREFIX_LIMIT)
}

/// Every string of `a` followed by every string of `b`; `None` past `limit`.
pub(crate) fn product_limited(a: &[Vec<u8>], b: &[Vec<u8>], limit: usize) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > limit {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            out.push(s);
        }
    }
    Some(out)
}

/// The fewest extra iterations (`max - min`) a counted repetition must
/// allow before [`relax_counts`] lifts its bound: below this, unrolling
/// costs less than checking.
pub(crate) const RELAX_MIN_SPAN: u32 = 256;

/// A pattern with its long counted repetitions made unbounded, and what a
/// match must satisfy to be a match of the original.
///
/// Thompson construction unrolls `X{m,n}` into `n` copies of `X`, forwards
/// and again in reverse: a PEM body's `[A-Za-z0-9+/=\s]{32,16384}` is
/// 30,000 NFA states and milliseconds to build. [`relax_counts`] rewrites
/// each such repetition, where `X` has one fixed length and the repetition
/// sits inside no other repetition, as `(?P<__relaxedK>X{m,})`. The
/// relaxed pattern matches a superset; a match it finds is the original's
/// own leftmost-first match exactly when every relaxed group spans at most
/// `n` iterations (the original's paths are the relaxed one's, in the same
/// priority order, less those with more iterations), which its captures
/// tell. Otherwise only the original can answer.
#[derive(Debug, Clone)]
pub(crate) struct Relaxed {
    /// The rewritten pattern. Its capture groups are renumbered in order
    /// of appearance; find them by name.
    pub hir: Hir,
    /// Per relaxed repetition: its group's name, the most bytes its span
    /// may have (`n` times the repeated length).
    pub bounds: Vec<(String, usize)>,
}

/// The repeated piece's length, if `rep` is long enough to relax (outside
/// other repetitions, which the caller knows).
fn relaxable(rep: &regex_syntax::hir::Repetition) -> Option<usize> {
    let props = rep.sub.properties();
    let width = props
        .maximum_len()
        .filter(|&w| w > 0 && props.minimum_len() == Some(w))?;
    rep.max
        .is_some_and(|max| max.saturating_sub(rep.min) >= RELAX_MIN_SPAN)
        .then_some(width)
}

/// Whether [`relax_counts`] would relax anything in `hir`, without
/// rewriting it.
pub(crate) fn has_relaxable_counts(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Repetition(rep) => relaxable(rep).is_some(),
        HirKind::Capture(cap) => has_relaxable_counts(&cap.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(has_relaxable_counts),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => false,
    }
}

/// Relaxes the long counted repetitions of `hir` (see [`Relaxed`]), or
/// `None` if it has none.
///
/// Cost: one walk of the syntax tree.
pub(crate) fn relax_counts(hir: &Hir) -> Option<Relaxed> {
    use regex_syntax::hir::{Capture, Repetition};
    fn walk(hir: &Hir, in_rep: bool, next: &mut u32, bounds: &mut Vec<(String, usize)>) -> Hir {
        match hir.kind() {
            HirKind::Repetition(rep) => match (rep.max, relaxable(rep)) {
                (Some(max), Some(width)) if !in_rep => {
                    let index = *next;
                    *next += 1;
                    let name = format!("__relaxed{index}");
                    bounds.push((name.clone(), max as usize * width));
                    let unbounded = Hir::repetition(Repetition {
                        min: rep.min,
                        max: None,
                        greedy: rep.greedy,
                        sub: rep.sub.clone(),
                    });
                    Hir::capture(Capture {
                        index,
                        name: Some(name.into()),
                        sub: Box::new(unbounded),
                    })
                }
                _ => Hir::repetition(Repetition {
                    min: rep.min,
                    max: rep.max,
                    greedy: rep.greedy,
                    sub: Box::new(walk(&rep.sub, true, next, bounds)),
                }),
            },
            HirKind::Capture(cap) => {
                let index = *next;
                *next += 1;
                Hir::capture(Capture {
                    index,
                    name: cap.name.clone(),
                    sub: Box::new(walk(&cap.sub, in_rep, next, bounds)),
                })
            }
            HirKind::Concat(subs) => {
                Hir::concat(subs.iter().map(|h| walk(h, in_rep, next, bounds)).collect())
            }
            HirKind::Alternation(subs) => {
                Hir::alternation(subs.iter().map(|h| walk(h, in_rep, next, bounds)).collect())
            }
            HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {
                hir.clone()
            }
        }
    }
    let mut bounds = Vec::new();
    let hir = walk(hir, false, &mut 1, &mut bounds);
    (!bounds.is_empty()).then_some(Relaxed { hir, bounds })
}

#[cfg(test)]
mod relax_tests {
    use super::*;

    fn relaxed(pattern: &str) -> Option<Relaxed> {
        relax_counts(&parse_hir(pattern).unwrap())
    }

    #[test]
    fn long_counts_outside_repetitions_are_lifted() {
        let r = relaxed(r"-----BEGIN [A-Z]+-----(?P<secret>[A-Za-z0-9+/=\s]{32,16384}?)-----END")
            .unwrap();
        assert_eq!(r.bounds, vec![("__relaxed2".to_string(), 16384)]);
        assert_eq!(r.hir.properties().maximum_len(), None);
        // The `secret` group keeps its name, renumbered before the new one.
        assert_eq!(capture_names(&r.hir).0, Some(1));
        // A fixed-length piece counts its bytes.
        let r = relaxed(r"(?:ab){1,300}").unwrap();
        assert_eq!(r.bounds[0].1, 600);
    }

    #[test]
    fn short_nested_or_variable_counts_stay() {
        assert!(relaxed(r"[a-z]{1,255}").is_none());
        assert!(relaxed(r"(?:x[a-z]{1,1000}){0,3}").is_none());
        assert!(relaxed(r"(?:a|bc){1,1000}").is_none());
        assert!(relaxed(r"\bghp_[A-Za-z0-9]{36}\b").is_none());
    }

    #[test]
    fn the_cheap_check_agrees_with_the_rewrite() {
        for rule in crate::rules::RuleSet::builtin().rules() {
            let hir = parse_hir(&rule.pattern).unwrap();
            assert_eq!(
                has_relaxable_counts(&hir),
                relax_counts(&hir).is_some(),
                "{}",
                rule.id
            );
        }
    }
}
