//! The keyword prefilter: one Aho-Corasick DFA over every rule's keywords
//! (our own, [`KeywordDfa`](crate::engine::keywords::KeywordDfa), built for this one job), matched ASCII
//! case-insensitively, mapping each hit to the rules that listed the
//! keyword.
//!
//! Matching every keyword without regard to case is a superset of what any
//! rule needs, so it can only add candidate windows, never lose a match: the
//! per-rule regex decides. Hits are reported with overlapping semantics so
//! that a short keyword (`sk-`) never hides a longer one (`sk-ant-`) that
//! starts at the same place.

use std::collections::HashMap;

use crate::engine::keywords::KeywordDfa;

/// One keyword occurrence, in absolute stream offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    /// Offset of the keyword's first byte.
    pub start: u64,
    /// Offset one past the keyword's last byte.
    pub end: u64,
}

/// How one rule uses its keywords (see `CompiledRule`).
#[derive(Clone, Debug)]
pub(crate) struct KeywordUse {
    pub keywords: Vec<String>,
    /// Matches begin with a keyword in the case written.
    pub exact: bool,
    /// Matches begin at an ASCII word boundary.
    pub boundary_before: bool,
    /// The rule's pattern, when every match begins at a keyword: the bytes
    /// that can follow each keyword are then derived from it (on first use).
    pub led_pattern: Option<String>,
}

/// The bytes that can follow one keyword at the start of one rule's
/// match, derived on the first hit from the rule's anchored DFA: a hit
/// followed by any other byte cannot begin a match (`token` in
/// `tokenize`, `password` in `password(`), so it costs no regex search.
#[derive(Debug, Default)]
struct Follow(std::sync::OnceLock<Option<crate::engine::analysis::ByteSet>>);

impl Follow {
    /// The set for `keyword` (lowercase) under `pattern`; `None` when it
    /// cannot be derived (the DFA gave up) or a match may end with the
    /// keyword. Over-approximates: both cases of each letter and every kind
    /// of byte before the hit are allowed.
    fn get(&self, led: &LedDfa, keyword: &[u8]) -> Option<&crate::engine::analysis::ByteSet> {
        self.0
            .get_or_init(|| follow_set(led.get()?, keyword))
            .as_ref()
    }
}

/// A keyword-led rule's anchored DFA, built on the first hit that needs a
/// follow set and shared by all of the rule's keywords.
///
/// It is built from the rule's pattern with every counted repetition capped
/// at one more than the longest keyword (see [`cap_repetitions`]): that keeps
/// every prefix of a match that is at most that long, which is all a follow
/// set looks at, and makes the automaton small (a private-key rule's
/// `{32,16384}` would otherwise cost milliseconds to compile, once more after
/// the rule's own regex).
#[derive(Debug)]
pub(crate) struct LedDfa {
    pattern: String,
    /// Repetitions are capped at this count.
    cap: u32,
    dfa: std::sync::OnceLock<Option<regex_automata::hybrid::dfa::DFA>>,
}

impl LedDfa {
    pub(crate) fn new(pattern: &str, longest_keyword: usize) -> LedDfa {
        LedDfa {
            pattern: pattern.to_string(),
            cap: u32::try_from(longest_keyword + 1).unwrap_or(u32::MAX),
            dfa: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> Option<&regex_automata::hybrid::dfa::DFA> {
        self.dfa
            .get_or_init(|| {
                use regex_automata::hybrid::dfa::DFA;
                use regex_automata::nfa::thompson;
                let hir = crate::engine::analysis::parse_hir(&self.pattern).ok()?;
                let nfa = thompson::Compiler::new()
                    .build_from_hir(&cap_repetitions(&hir, self.cap))
                    .ok()?;
                DFA::builder()
                    .configure(
                        // All: no match-priority pruning, so a dead state
                        // means no match has this prefix.
                        DFA::config()
                            .match_kind(regex_automata::MatchKind::All)
                            .cache_capacity(1 << 20),
                    )
                    .build_from_nfa(nfa)
                    .ok()
            })
            .as_ref()
    }
}

/// `hir` with every repetition's counts capped at `cap` (`{m,n}` becomes
/// `{min(m,cap),min(n,cap)}`, unbounded ones `{min(m,cap),cap}`).
///
/// Every string of length at most `cap` that is a prefix of a match of
/// `hir` is a prefix of a match of the result and the other way round: a
/// prefix that short lies within the first `cap` iterations of any
/// repetition it enters (each iteration that consumes a byte consumes at
/// least one), and the capped repetition can still take those iterations
/// and then end.
fn cap_repetitions(hir: &regex_syntax::hir::Hir, cap: u32) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};
    match hir.kind() {
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            min: r.min.min(cap),
            max: Some(r.max.map_or(cap, |max| max.min(cap))),
            greedy: r.greedy,
            sub: Box::new(cap_repetitions(&r.sub, cap)),
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            index: c.index,
            name: c.name.clone(),
            sub: Box::new(cap_repetitions(&c.sub, cap)),
        }),
        HirKind::Concat(subs) => {
            Hir::concat(subs.iter().map(|h| cap_repetitions(h, cap)).collect())
        }
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.iter().map(|h| cap_repetitions(h, cap)).collect())
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
    }
}

fn follow_set(
    dfa: &regex_automata::hybrid::dfa::DFA,
    keyword: &[u8],
) -> Option<crate::engine::analysis::ByteSet> {
    use regex_automata::util::start;
    use regex_automata::Anchored;
    let mut cache = dfa.create_cache();
    // Every state the keyword can lead to, over both cases of its letters
    // and both kinds of byte before it.
    let mut states = vec![];
    // Every kind of look-behind the start assertions (`\b`, `^`, `(?m)^`,
    // `\B`) can tell apart: start of text, line ends, non-word, word.
    for before in [None, Some(b'\n'), Some(b'\r'), Some(b' '), Some(b'a')] {
        let config = start::Config::new()
            .anchored(Anchored::Yes)
            .look_behind(before);
        states.push(dfa.start_state(&mut cache, &config).ok()?);
    }
    for &k in keyword {
        let mut next = vec![];
        for &s in &states {
            for b in [k.to_ascii_lowercase(), k.to_ascii_uppercase()] {
                let t = dfa.next_state(&mut cache, s, b).ok()?;
                if t.is_quit() || t.is_match() {
                    return None;
                }
                if !t.is_dead() && !next.contains(&t) {
                    next.push(t);
                }
            }
        }
        states = next;
    }
    let mut set = crate::engine::analysis::ByteSet::default();
    for &s in &states {
        for b in 0..=255u8 {
            let t = dfa.next_state(&mut cache, s, b).ok()?;
            if t.is_quit() {
                return None;
            }
            if !t.is_dead() {
                set.insert(b);
            }
        }
    }
    Some(set)
}

/// A rule listing a keyword: the rule, whether a word byte before a hit
/// rules it out, the forms (as written) a hit must equal for that rule
/// (empty when any case will do), and the bytes that may follow it.
type RuleForms = (u32, bool, Vec<Box<[u8]>>, Follow);

/// Keyword automaton and the keyword -> rules map.
#[derive(Debug)]
pub(crate) struct Prefilter {
    /// For each automaton pattern, the rules (indices) that listed it, each
    /// with the forms (as written) a hit must equal for that rule, or none
    /// when any case will do.
    rules_of: Vec<Vec<RuleForms>>,
    /// Per rule, its anchored DFA when its matches begin at a keyword.
    led: Vec<Option<LedDfa>>,
    /// The keywords, lowercased, by automaton pattern id.
    patterns: Vec<Vec<u8>>,
    /// The keywords as a DFA, for whole buffers and for small writes.
    dfa: KeywordDfa,
}

impl Prefilter {
    /// Builds the prefilter from each rule's keyword list and whether the
    /// rule needs its keywords in the case written (see
    /// `CompiledRule::exact_keywords`).
    pub fn new(keywords_per_rule: &[KeywordUse]) -> Prefilter {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut rules_of: Vec<Vec<RuleForms>> = Vec::new();
        for (rule, usage) in keywords_per_rule.iter().enumerate() {
            let exact = &usage.exact;
            for kw in &usage.keywords {
                let lower = kw.as_bytes().to_ascii_lowercase();
                let pid = *index.entry(lower.clone()).or_insert_with(|| {
                    patterns.push(lower);
                    rules_of.push(Vec::new());
                    patterns.len() - 1
                });
                // Only a keyword that begins with a word byte makes a word
                // byte before it rule the hit out (`\b` needs a change).
                let boundary = usage.boundary_before && kw.bytes().next().is_some_and(is_word_byte);
                let entry = match rules_of[pid].last_mut() {
                    Some(e) if e.0 == rule as u32 => e,
                    _ => {
                        rules_of[pid].push((rule as u32, boundary, vec![], Follow::default()));
                        rules_of[pid].last_mut().expect("just pushed")
                    }
                };
                entry.1 &= boundary;
                // A form only narrows when the keyword has letters.
                if *exact && kw.bytes().any(|b| b.is_ascii_alphabetic()) {
                    entry.2.push(kw.as_bytes().into());
                } else {
                    entry.2.clear();
                    entry.2.push(Box::from(&b""[..]));
                }
            }
        }
        // An empty form means "any case": drop the list.
        for rules in &mut rules_of {
            for (_, _, forms, _) in rules.iter_mut() {
                if forms.iter().any(|f| f.is_empty()) {
                    forms.clear();
                }
            }
        }
        let dfa = KeywordDfa::new(&patterns);
        Prefilter {
            rules_of,
            led: keywords_per_rule
                .iter()
                .map(|u| {
                    let longest = u.keywords.iter().map(String::len).max().unwrap_or(0);
                    u.led_pattern.as_deref().map(|p| LedDfa::new(p, longest))
                })
                .collect(),
            patterns,
            dfa,
        }
    }

    /// The longest keyword, in bytes.
    pub fn max_keyword_len(&self) -> usize {
        self.dfa.max_len
    }

    /// Calls `on_hit(rule, hit)` for every keyword occurrence in `hay` that
    /// ends after local offset `new_from`, for each rule listing it. `base`
    /// is the absolute offset of `hay[0]`.
    ///
    /// Cost: one pass of the automaton over `hay`, plus one call per
    /// (occurrence, rule) pair.
    pub fn for_each_hit(
        &self,
        hay: &[u8],
        base: u64,
        new_from: usize,
        mut on_hit: impl FnMut(usize, Hit),
    ) {
        self.dfa.find_all(hay, |state, end| {
            if end <= new_from {
                return;
            }
            // The byte before a hit, when this buffer has it, and after.
            let after = hay.get(end).copied();
            for &pid in self.dfa.outputs(state) {
                let start = end - self.dfa.lens[pid as usize] as usize;
                let hit = Hit {
                    start: base + start as u64,
                    end: base + end as u64,
                };
                let bytes = &hay[start..end];
                let word_before = start > 0 && is_word_byte(hay[start - 1]);
                for (rule, boundary, forms, follow) in &self.rules_of[pid as usize] {
                    if (*boundary && word_before)
                        || !(forms.is_empty() || forms.iter().any(|f| **f == *bytes))
                    {
                        continue;
                    }
                    if let (Some(b), Some(led)) = (after, &self.led[*rule as usize]) {
                        if follow
                            .get(led, &self.patterns[pid as usize])
                            .is_some_and(|set| !set.contains(b))
                        {
                            continue;
                        }
                    }
                    on_hit(*rule as usize, hit);
                }
            }
        });
    }

    /// The length of the longest suffix of `tail` that is a proper prefix of
    /// some keyword (ignoring ASCII case): the bytes at which a keyword may
    /// still begin once more input arrives. (Streams keep the DFA state
    /// instead; this is the same answer from scratch, for tests.)
    #[cfg(test)]
    pub fn partial_suffix_len(&self, tail: &[u8]) -> usize {
        let from = tail
            .len()
            .saturating_sub(self.dfa.max_len.saturating_sub(1));
        let state = self.dfa.feed(KeywordDfa::START, &tail[from..], |_, _| {});
        self.dfa.partial_len(state)
    }

    /// The incremental keyword matcher, for streams written in small pieces.
    pub fn dfa(&self) -> &KeywordDfa {
        &self.dfa
    }

    /// Calls `on_hit(rule, hit)` for a keyword pattern that ends at absolute
    /// offset `end` (an output of [`KeywordDfa::feed`]).
    pub fn on_pattern(&self, pattern: u32, end: u64, mut on_hit: impl FnMut(usize, Hit)) {
        let hit = Hit {
            start: end - self.dfa.lens[pattern as usize] as u64,
            end,
        };
        // The hit's bytes may lie in earlier writes: every listed rule gets
        // it (a superset is always safe; the regex decides).
        for (rule, _, _, _) in &self.rules_of[pattern as usize] {
            on_hit(*rule as usize, hit);
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::keywords::{LANES, MIN_LANE_LEN};

    fn uses(keywords: &[&str], exact: bool) -> KeywordUse {
        KeywordUse {
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            exact,
            boundary_before: false,
            led_pattern: None,
        }
    }

    #[test]
    fn led_rules_skip_hits_followed_by_a_byte_no_match_can_have() {
        let mut led = uses(&["token"], false);
        led.led_pattern = Some(r"(?i)token[ \t]{0,4}[=:][ \t]{0,4}[a-z0-9]{8,}".into());
        let pf = Prefilter::new(&[led]);
        let mut hits = vec![];
        pf.for_each_hit(b"tokenize TOKEN = x token:y token", 0, 0, |_, h| {
            hits.push(h.start)
        });
        // `tokenize` cannot match; a hit at the end of the buffer may.
        assert_eq!(hits, vec![9, 19, 27]);
    }

    #[test]
    fn boundary_rules_skip_hits_after_a_word_byte() {
        let mut bounded = uses(&["nfo_"], false);
        bounded.boundary_before = true;
        let pf = Prefilter::new(&[bounded, uses(&["nfo_"], false)]);
        let mut hits = vec![];
        pf.for_each_hit(b"nfo_ info_ -nfo_", 0, 0, |rule, h| {
            hits.push((rule, h.start))
        });
        assert_eq!(hits, vec![(0, 0), (1, 0), (1, 6), (0, 12), (1, 12)]);
    }

    #[test]
    fn exact_rules_skip_hits_in_another_case() {
        let pf = Prefilter::new(&[uses(&["MII"], true), uses(&["mii"], false)]);
        let mut hits = vec![];
        pf.for_each_hit(b"MII mii Mii", 0, 0, |rule, h| hits.push((rule, h.start)));
        assert_eq!(hits, vec![(0, 0), (1, 0), (1, 4), (1, 8)]);
    }

    #[test]
    fn overlapping_keywords_all_reported() {
        let pf = Prefilter::new(&[uses(&["sk-"], false), uses(&["sk-ant-"], false)]);
        let mut got = vec![];
        pf.for_each_hit(b"xx SK-ANT-1", 100, 0, |r, h| got.push((r, h.start, h.end)));
        got.sort();
        assert_eq!(got, vec![(0, 103, 106), (1, 103, 110)]);
    }

    #[test]
    fn new_from_skips_old_hits() {
        let pf = Prefilter::new(&[uses(&["ab"], false)]);
        let mut got = vec![];
        pf.for_each_hit(b"abab", 0, 2, |_, h| got.push(h.start));
        assert_eq!(got, vec![2]);
    }

    #[test]
    fn resumable_dfa_finds_what_the_automaton_finds() {
        let pf = Prefilter::new(&[
            uses(&["sk-", "sk-ant-"], false),
            uses(&["ant", "PASS"], false),
        ]);
        let hay = b"xx Sk-Ant-1 sk-sk-ant pass sant";
        let mut whole = vec![];
        pf.for_each_hit(hay, 0, 0, |r, h| whole.push((r, h.start, h.end)));
        for step in 1..hay.len() {
            let mut state = KeywordDfa::START;
            let mut got = vec![];
            for (n, piece) in hay.chunks(step).enumerate() {
                let base = (n * step) as u64;
                state = pf.dfa().feed(state, piece, |p, end| {
                    pf.on_pattern(p, base + end as u64, |r, h| got.push((r, h.start, h.end)))
                });
            }
            whole.sort();
            got.sort();
            assert_eq!(got, whole, "step {step}");
        }
    }

    /// The lock-step lanes report exactly what one pass of the DFA does,
    /// in the same order, for keywords anywhere (lane boundaries included).
    #[test]
    fn lanes_find_what_one_pass_finds() {
        let keywords = ["sk-", "sk-ant-", "a", "password", "-----BEGIN ", "ghp_"];
        let pf = Prefilter::new(&[uses(&keywords, false)]);
        let dfa = pf.dfa();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let longest = keywords.iter().map(|k| k.len()).max().unwrap();
        for len in [0, 1, 4095, 4096, 4100, 4 * MIN_LANE_LEN * 3 + 7, 50_000] {
            for round in 0..20 + 3 * (longest + 1) {
                let mut hay = vec![b'x'; len];
                // The longest keyword across each lane boundary, at every
                // offset; then random ones.
                let boundary = (round / (longest + 1) % 3 + 1) * (len / LANES);
                let at = boundary.saturating_sub(round % (longest + 1));
                if let Some(slot) = hay.get_mut(at..at + longest) {
                    slot.copy_from_slice(b"-----BEGIN ");
                }
                // Keywords at random places, some cut by the end or by
                // each other, in random case.
                for _ in 0..len / 50 {
                    let kw = keywords[rand(keywords.len())].as_bytes();
                    let at = rand(len.max(1));
                    for (i, &b) in kw.iter().enumerate() {
                        if let Some(slot) = hay.get_mut(at + i) {
                            *slot = if rand(2) == 0 {
                                b.to_ascii_uppercase()
                            } else {
                                b
                            };
                        }
                    }
                }
                let mut want = vec![];
                dfa.feed(KeywordDfa::START, &hay, |p, end| want.push((p, end)));
                let mut got = vec![];
                dfa.find_all(&hay, |state, end| {
                    got.extend(dfa.outputs(state).iter().map(|&p| (p, end)))
                });
                assert_eq!(got, want, "len {len}");
            }
        }
    }

    /// Capping repetitions keeps every follow set of the built-in pack
    /// exactly as the full pattern's DFA gives it.
    #[test]
    fn capped_dfas_give_the_full_patterns_follow_sets() {
        use regex_automata::hybrid::dfa::DFA;
        let rules = crate::rules::RuleSet::builtin();
        let mut checked = 0;
        for rule in rules.rules() {
            let compiled = crate::engine::compile::compile_rule(rule).unwrap();
            if !compiled.starts_with_keyword {
                continue;
            }
            let longest = rule.keywords.iter().map(String::len).max().unwrap();
            let capped = LedDfa::new(&rule.pattern, longest);
            let full = DFA::builder()
                .syntax(crate::engine::analysis::syntax_config())
                .configure(
                    DFA::config()
                        .match_kind(regex_automata::MatchKind::All)
                        .cache_capacity(1 << 24),
                )
                .build(&rule.pattern)
                .unwrap();
            for kw in &rule.keywords {
                let kw = kw.to_ascii_lowercase();
                assert_eq!(
                    follow_set(capped.get().unwrap(), kw.as_bytes()),
                    follow_set(&full, kw.as_bytes()),
                    "rule {} keyword {kw}",
                    rule.id
                );
                checked += 1;
            }
        }
        assert!(checked > 300, "only {checked} keyword-led keywords checked");
    }

    #[test]
    fn partial_suffix() {
        let pf = Prefilter::new(&[uses(&["ghp_", "password"], false)]);
        assert_eq!(pf.partial_suffix_len(b"hello gh"), 2);
        assert_eq!(pf.partial_suffix_len(b"my PASSW"), 5);
        assert_eq!(pf.partial_suffix_len(b"ghp_"), 0);
        assert_eq!(pf.partial_suffix_len(b"nothin"), 0);
        assert_eq!(pf.partial_suffix_len(b""), 0);
    }
}
