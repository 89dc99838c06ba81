//! The keyword prefilter: one Aho-Corasick DFA over every rule's keywords
//! (our own, [`KeywordDfa`], built for this one job), matched ASCII
//! case-insensitively, mapping each hit to the rules that listed the
//! keyword.
//!
//! Matching every keyword without regard to case is a superset of what any
//! rule needs, so it can only add candidate windows, never lose a match: the
//! per-rule regex decides. Hits are reported with overlapping semantics so
//! that a short keyword (`sk-`) never hides a longer one (`sk-ant-`) that
//! starts at the same place.

use std::collections::HashMap;

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

/// The keyword automaton: an Aho-Corasick DFA over the lowercased
/// keywords, matched ASCII case-insensitively with overlapping semantics
/// (every occurrence of every keyword is reported).
///
/// It serves both the batch search ([`KeywordDfa::find_all`]) and streams
/// written in small pieces ([`KeywordDfa::feed`], resumable across
/// writes), and tells how long a trailing partial keyword is.
///
/// # Representation
///
/// Bytes are mapped to classes (both cases of a letter share one; bytes in
/// no keyword share class 0). State ids are premultiplied by the stride
/// (the class count rounded up to a power of two), so one step is
/// `next[state + class_of[byte]]`: two loads and an add, no multiply.
/// States with outputs are numbered last, so "did a keyword end here?" is
/// one comparison against `first_match`.
///
/// # Cost
///
/// A DFA step depends on the previous one, so a single pass is bound by
/// load latency, not by throughput. [`KeywordDfa::find_all`] therefore
/// splits a large haystack into [`LANES`] segments and steps them in
/// lock-step (independent dependency chains the CPU overlaps), each
/// segment but the first starting `max_len - 1` bytes early so that no
/// keyword straddling a segment boundary is lost.
#[derive(Debug)]
pub(crate) struct KeywordDfa {
    class_of: [u8; 256],
    /// log2 of the stride between premultiplied state ids.
    shift: u32,
    /// `next[state_id + class]`, state ids premultiplied.
    next: Vec<u32>,
    /// The smallest id of a state with outputs, a power of two: every id
    /// with outputs is at least this, every other id below it.
    first_match: u32,
    /// Patterns (indices) ending at each state (by index, `id >> shift`),
    /// via dictionary links too.
    outputs: Vec<Box<[u32]>>,
    /// Per state index, the longest suffix of the input that is a proper
    /// prefix of some keyword.
    partial: Vec<u32>,
    /// Length of each pattern.
    lens: Vec<u32>,
    /// The longest pattern, in bytes.
    max_len: usize,
}

/// How many segments [`KeywordDfa::find_all`] steps at once.
const LANES: usize = 4;

/// Below this many bytes per lane, one lane is as fast (the early start
/// of each extra lane would cost more than the overlap saves).
const MIN_LANE_LEN: usize = 1024;

impl KeywordDfa {
    /// The state before any input.
    pub const START: u32 = 0;

    fn new(patterns: &[Vec<u8>]) -> KeywordDfa {
        let mut class_of = [0u8; 256];
        let mut classes = 1usize;
        for p in patterns {
            for &b in p {
                if class_of[b as usize] == 0 {
                    assert!(classes < 256, "at most 255 distinct keyword bytes");
                    class_of[b as usize] = classes as u8;
                    class_of[b.to_ascii_uppercase() as usize] = classes as u8;
                    classes += 1;
                }
            }
        }
        // The trie: goto edges (NONE where absent), depth, outputs.
        const NONE: u32 = u32::MAX;
        let mut goto = vec![NONE; classes];
        let mut depth = vec![0u32];
        let mut outputs: Vec<Vec<u32>> = vec![vec![]];
        for (pid, p) in patterns.iter().enumerate() {
            assert!(
                !p.is_empty(),
                "keywords are not empty (checked by the compiler)"
            );
            let mut state = 0usize;
            for &b in p {
                let slot = state * classes + class_of[b as usize] as usize;
                if goto[slot] == NONE {
                    goto[slot] = depth.len() as u32;
                    goto.resize(goto.len() + classes, NONE);
                    depth.push(depth[state] + 1);
                    outputs.push(vec![]);
                }
                state = goto[slot] as usize;
            }
            outputs[state].push(pid as u32);
        }
        let states = depth.len();
        let has_children: Vec<bool> = (0..states)
            .map(|s| {
                goto[s * classes..(s + 1) * classes]
                    .iter()
                    .any(|&t| t != NONE)
            })
            .collect();
        // Breadth-first: failure links, the full transition table (by trie
        // index), outputs merged along failure links, and the
        // partial-keyword length.
        let mut dense = vec![0u32; states * classes];
        let mut fail = vec![0u32; states];
        let mut partial = vec![0u32; states];
        let mut queue = std::collections::VecDeque::new();
        for c in 0..classes {
            let t = goto[c];
            if t != NONE {
                dense[c] = t;
                queue.push_back(t as usize);
            }
        }
        while let Some(s) = queue.pop_front() {
            let f = fail[s] as usize;
            let inherited = outputs[f].clone();
            outputs[s].extend(inherited);
            partial[s] = if has_children[s] {
                depth[s]
            } else {
                partial[f]
            };
            for c in 0..classes {
                let t = goto[s * classes + c];
                if t == NONE {
                    dense[s * classes + c] = dense[f * classes + c];
                } else {
                    dense[s * classes + c] = t;
                    fail[t as usize] = dense[f * classes + c];
                    queue.push_back(t as usize);
                }
            }
        }
        // Renumber: states without outputs first (the start state, which
        // has none, stays 0), then unused rows up to a power of two, then
        // those with outputs: every match id is then >= first_match, a power
        // of two, and every other id is below it, so "did any of these
        // states match" is `(a | b | c | d) >= first_match`.
        let mut order: Vec<Option<usize>> = (0..states)
            .filter(|&s| outputs[s].is_empty())
            .map(Some)
            .collect();
        debug_assert_eq!(order[0], Some(0));
        order.resize(order.len().next_power_of_two(), None);
        let first_match_index = order.len();
        order.extend((0..states).filter(|&s| !outputs[s].is_empty()).map(Some));
        let mut index_of = vec![0u32; states];
        for (new, old) in order.iter().enumerate() {
            if let Some(old) = old {
                index_of[*old] = new as u32;
            }
        }
        let shift = classes.next_power_of_two().trailing_zeros();
        let stride = 1usize << shift;
        assert!(
            order
                .len()
                .checked_mul(stride)
                .is_some_and(|n| n <= u32::MAX as usize),
            "keyword automaton too large for 32-bit state ids"
        );
        // Unused rows and classes past the last are never looked up; they
        // stay 0 (START).
        let mut next = vec![0u32; order.len() * stride];
        for (new, old) in order.iter().enumerate() {
            if let Some(old) = *old {
                for c in 0..classes {
                    next[new * stride + c] = index_of[dense[old * classes + c] as usize] << shift;
                }
            }
        }
        KeywordDfa {
            class_of,
            shift,
            next,
            first_match: (first_match_index << shift) as u32,
            outputs: order
                .iter()
                .map(|s| match s {
                    Some(s) => std::mem::take(&mut outputs[*s]).into_boxed_slice(),
                    None => Box::default(),
                })
                .collect(),
            partial: order.iter().map(|s| s.map_or(0, |s| partial[s])).collect(),
            lens: patterns.iter().map(|p| p.len() as u32).collect(),
            max_len: patterns.iter().map(Vec::len).max().unwrap_or(0),
        }
    }

    /// One transition.
    #[inline(always)]
    fn step(&self, state: u32, byte: u8) -> u32 {
        let at = state as usize + self.class_of[byte as usize] as usize;
        debug_assert!(at < self.next.len());
        // SAFETY: every state id is `index << shift` with index < states,
        // every class is < 2^shift, and `next` has `states << shift`
        // entries, so `at` is in bounds. (A bounds check here costs a
        // compare and a branch per byte per lane in the hottest loop.)
        unsafe { *self.next.get_unchecked(at) }
    }

    /// Whether keywords end in `state` (or, for an OR of states, in one
    /// of them: see `first_match`).
    #[inline(always)]
    fn is_match(&self, state: u32) -> bool {
        state >= self.first_match
    }

    /// The patterns that end in `state`.
    fn outputs(&self, state: u32) -> &[u32] {
        &self.outputs[(state >> self.shift) as usize]
    }

    /// Calls `on_match(state, end)`, in order of `end`, for every offset
    /// `end` of `hay` at which a keyword ends: the patterns are
    /// `self.outputs(state)`, each beginning `lens[pattern]` bytes before
    /// `end`. Only keywords wholly inside `hay` are reported.
    ///
    /// Cost: one DFA step per byte, run on [`LANES`] segments at once, plus
    /// `LANES - 1` times `max_len - 1` bytes of early start.
    pub fn find_all(&self, hay: &[u8], mut on_match: impl FnMut(u32, usize)) {
        let warm = self.max_len.saturating_sub(1);
        let seg = hay.len() / LANES;
        if seg < MIN_LANE_LEN.max(4 * warm) {
            self.find_from(hay, 0, Self::START, 0, &mut on_match);
            return;
        }
        // Lane l owns the keyword ends in (l * seg, (l + 1) * seg] (the
        // last lane to the end); it starts `warm` bytes before its first
        // owned end so that a keyword ending there is seen whole.
        let lane_start = |l: usize| if l == 0 { 0 } else { l * seg - warm };
        let steps = seg; // lane 0 is the shortest
        let at = [lane_start(0), lane_start(1), lane_start(2), lane_start(3)];
        let (h0, h1, h2, h3) = (
            &hay[at[0]..at[0] + steps],
            &hay[at[1]..at[1] + steps],
            &hay[at[2]..at[2] + steps],
            &hay[at[3]..at[3] + steps],
        );
        let mut s = [Self::START; LANES];
        // Hits of lanes 1.. in lock-step, kept to report in order later.
        let mut later: [Vec<(u32, usize)>; LANES] = Default::default();
        let mut i = 0;
        while i < steps {
            i = self.run_lanes([h0, h1, h2, h3], &mut s, i);
            if i == steps && !self.is_match(s[0] | s[1] | s[2] | s[3]) {
                break;
            }
            if self.is_match(s[0]) {
                on_match(s[0], i);
            }
            for l in 1..LANES {
                let end = at[l] + i;
                if self.is_match(s[l]) && end > l * seg {
                    later[l].push((s[l], end));
                }
            }
        }
        for l in 0..LANES {
            for &(state, end) in &later[l] {
                on_match(state, end);
            }
            let stop = if l + 1 == LANES {
                hay.len()
            } else {
                (l + 1) * seg
            };
            let from = at[l] + steps;
            self.find_from(&hay[..stop], from, s[l], l * seg, &mut on_match);
        }
    }

    /// Steps the lanes in lock-step from offset `i` until some lane is in
    /// a match state or the lanes end; returns the offset after the last
    /// step. The hot loop of the prefilter: kept apart from any closure so
    /// that its dozen values stay in registers.
    #[inline(never)]
    fn run_lanes(&self, lanes: [&[u8]; LANES], s: &mut [u32; LANES], mut i: usize) -> usize {
        let [h0, h1, h2, h3] = lanes;
        let n = h0.len();
        // Equal lengths let the compiler drop the bounds checks below.
        let (h1, h2, h3) = (&h1[..n], &h2[..n], &h3[..n]);
        // Word-sized states: no zero-extension per step.
        let [mut s0, mut s1, mut s2, mut s3] = s.map(|s| s as usize);
        let step = |s: usize, b: u8| self.step(s as u32, b) as usize;
        while i < n {
            s0 = step(s0, h0[i]);
            s1 = step(s1, h1[i]);
            s2 = step(s2, h2[i]);
            s3 = step(s3, h3[i]);
            i += 1;
            if s0 | s1 | s2 | s3 >= self.first_match as usize {
                break;
            }
        }
        *s = [s0, s1, s2, s3].map(|s| s as u32);
        i
    }

    /// Steps from `state` through `hay[from..]`, reporting keyword ends
    /// after `owned_after`.
    #[inline]
    fn find_from(
        &self,
        hay: &[u8],
        from: usize,
        mut state: u32,
        owned_after: usize,
        on_match: &mut impl FnMut(u32, usize),
    ) {
        for (i, &b) in hay[from..].iter().enumerate() {
            state = self.step(state, b);
            let end = from + i + 1;
            if self.is_match(state) && end > owned_after {
                on_match(state, end);
            }
        }
    }

    /// Steps through `bytes` from `state`, calling `on_match(pattern,
    /// index one past its last byte in bytes)` for every keyword ending in
    /// them, and returns the new state.
    pub fn feed(&self, mut state: u32, bytes: &[u8], mut on_match: impl FnMut(u32, usize)) -> u32 {
        for (i, &b) in bytes.iter().enumerate() {
            state = self.step(state, b);
            if self.is_match(state) {
                for &p in self.outputs(state) {
                    on_match(p, i + 1);
                }
            }
        }
        state
    }

    /// The length of the trailing partial keyword in `state`.
    pub fn partial_len(&self, state: u32) -> usize {
        self.partial[(state >> self.shift) as usize] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
