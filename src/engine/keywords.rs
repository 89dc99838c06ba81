//! The keyword automaton behind the prefilter: an Aho-Corasick DFA of our
//! own over every rule's lowercased keywords, matched ASCII
//! case-insensitively with overlapping semantics, resumable across the
//! writes of a stream.
//!
//! Cost: one table lookup per input byte (class map, then transition), plus
//! a short scan of the output list at each accepting state.

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
/// no keyword share class 0). A state is its row's index; rows are the
/// class count rounded up to a power of two wide, so one step is
/// `next[(state << shift) + class_of[byte]]`: two loads, a shift and an
/// add. Entries are 16-bit where every index fits (the built-in pack's
/// 23,000 states: half the cache and pages of 32-bit ones, 5% faster on
/// source code and 10% fewer start-up page faults), else 32-bit. States
/// are numbered breadth-first, those with outputs last, so "did a keyword
/// end here?" is one comparison against `first_match`.
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
    /// log2 of the width of a row.
    shift: u32,
    /// `next[(state << shift) + class]`: 16-bit state indices where they
    /// fit (half the cache footprint of the hot rows), else 32-bit.
    next: Transitions,
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
    pub(crate) lens: Vec<u32>,
    /// The longest pattern, in bytes.
    pub(crate) max_len: usize,
}

/// How many segments [`KeywordDfa::find_all`] steps at once. Each step
/// waits on a load from a table of megabytes (4,000+ keywords), so more
/// independent chains hide more latency, until the states spill out of
/// registers: on the vendored tree, 8 lanes ran 7% faster than 4; 12 and 16
/// were slower.
pub(crate) const LANES: usize = 8;

/// A transition table, by the width of its entries.
#[derive(Debug)]
enum Transitions {
    Narrow(Box<[u16]>),
    Wide(Box<[u32]>),
}

/// An entry of a transition table: a state index.
trait StateIndex: Copy {
    fn index(self) -> usize;
}

impl StateIndex for u16 {
    #[inline(always)]
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl StateIndex for u32 {
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
}

/// Below this many bytes per lane, one lane is as fast (the early start
/// of each extra lane would cost more than the overlap saves).
pub(crate) const MIN_LANE_LEN: usize = 1024;

impl KeywordDfa {
    /// The state before any input.
    pub const START: u32 = 0;

    /// Builds the automaton.
    ///
    /// Cost: linear in the keywords' total length for the trie and its
    /// failure links (sparse edges), then one pass writing the transition
    /// table, each state's row copied from its failure state's: one table
    /// of `states × stride` entries is written, none other of that size.
    pub(crate) fn new(patterns: &[Vec<u8>]) -> KeywordDfa {
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
        // The trie: sparse goto edges (class, child), depth, own outputs.
        // The root's edges are also kept dense: most lookups are there.
        const NONE: u32 = u32::MAX;
        let mut root = vec![NONE; classes];
        let mut edges: Vec<Vec<(u8, u32)>> = vec![vec![]];
        let mut depth = vec![0u32];
        let mut outputs: Vec<Vec<u32>> = vec![vec![]];
        for (pid, p) in patterns.iter().enumerate() {
            assert!(
                !p.is_empty(),
                "keywords are not empty (checked by the compiler)"
            );
            let mut state = 0usize;
            for &b in p {
                let c = class_of[b as usize];
                let found = match state {
                    0 => Some(root[c as usize]).filter(|&t| t != NONE),
                    _ => edges[state].iter().find(|e| e.0 == c).map(|e| e.1),
                };
                state = match found {
                    Some(t) => t as usize,
                    None => {
                        let t = depth.len();
                        edges[state].push((c, t as u32));
                        if state == 0 {
                            root[c as usize] = t as u32;
                        }
                        edges.push(vec![]);
                        depth.push(depth[state] + 1);
                        outputs.push(vec![]);
                        t
                    }
                };
            }
            outputs[state].push(pid as u32);
        }
        let states = depth.len();
        let child = |s: usize, c: u8| match s {
            0 => Some(root[c as usize]).filter(|&t| t != NONE),
            _ => edges[s].iter().find(|e| e.0 == c).map(|e| e.1),
        };
        // Breadth-first (every state after its failure state, which is
        // shallower): failure links by following the failure chain, outputs
        // merged along them, and the partial-keyword length.
        let mut order = Vec::with_capacity(states);
        order.push(0usize);
        let mut fail = vec![0u32; states];
        let mut partial = vec![0u32; states];
        let mut at = 0;
        while at < order.len() {
            let s = order[at];
            at += 1;
            if s != 0 {
                let f = fail[s] as usize;
                if !outputs[f].is_empty() {
                    let inherited = outputs[f].clone();
                    outputs[s].extend(inherited);
                }
                partial[s] = if edges[s].is_empty() {
                    partial[f]
                } else {
                    depth[s]
                };
            }
            for &(c, t) in &edges[s] {
                fail[t as usize] = if s == 0 {
                    0
                } else {
                    let mut f = fail[s] as usize;
                    loop {
                        if let Some(x) = child(f, c) {
                            break x;
                        }
                        if f == 0 {
                            break 0;
                        }
                        f = fail[f] as usize;
                    }
                };
                order.push(t as usize);
            }
        }
        // Renumber: states without outputs first (the start state, which
        // has none, stays 0), then unused rows up to a power of two, then
        // those with outputs: every match id is then >= first_match, a power
        // of two, and every other id is below it, so "did any of these
        // states match" is `(a | b | c | d) >= first_match`.
        // Breadth-first within each part: the shallow states, where text
        // spends most of its steps, share cache lines and pages.
        let mut numbering: Vec<Option<usize>> = order
            .iter()
            .copied()
            .filter(|&s| outputs[s].is_empty())
            .map(Some)
            .collect();
        debug_assert_eq!(numbering[0], Some(0));
        numbering.resize(numbering.len().next_power_of_two(), None);
        let first_match_index = numbering.len();
        numbering.extend(
            order
                .iter()
                .copied()
                .filter(|&s| !outputs[s].is_empty())
                .map(Some),
        );
        let mut index_of = vec![0u32; states];
        for (new, old) in numbering.iter().enumerate() {
            if let Some(old) = old {
                index_of[*old] = new as u32;
            }
        }
        let shift = classes.next_power_of_two().trailing_zeros();
        let stride = 1usize << shift;
        assert!(
            numbering
                .len()
                .checked_mul(stride)
                .is_some_and(|n| n <= u32::MAX as usize),
            "keyword automaton too large for 32-bit state ids"
        );
        // The transitions, breadth-first: a state's row is its failure
        // state's (already written) with its own edges on top. Unused rows
        // and classes past the last are never looked up; they stay 0
        // (START), and their pages are never touched.
        fn fill<T: Copy + Default + TryFrom<u32>>(
            rows: usize,
            stride: usize,
            classes: usize,
            order: &[usize],
            index_of: &[u32],
            fail: &[u32],
            edges: &[Vec<(u8, u32)>],
        ) -> Box<[T]> {
            let mut next = vec![T::default(); rows * stride];
            for &s in order {
                let row = index_of[s] as usize * stride;
                if s != 0 {
                    let from = index_of[fail[s] as usize] as usize * stride;
                    next.copy_within(from..from + classes, row);
                }
                for &(c, t) in &edges[s] {
                    next[row + c as usize] = T::try_from(index_of[t as usize])
                        .unwrap_or_else(|_| unreachable!("the table's width fits every index"));
                }
            }
            next.into_boxed_slice()
        }
        let rows = numbering.len();
        let next = if rows <= 1 << 16 {
            Transitions::Narrow(fill(
                rows, stride, classes, &order, &index_of, &fail, &edges,
            ))
        } else {
            Transitions::Wide(fill(
                rows, stride, classes, &order, &index_of, &fail, &edges,
            ))
        };
        KeywordDfa {
            class_of,
            shift,
            next,
            first_match: first_match_index as u32,
            outputs: numbering
                .iter()
                .map(|s| match s {
                    Some(s) => std::mem::take(&mut outputs[*s]).into_boxed_slice(),
                    None => Box::default(),
                })
                .collect(),
            partial: numbering
                .iter()
                .map(|s| s.map_or(0, |s| partial[s]))
                .collect(),
            lens: patterns.iter().map(|p| p.len() as u32).collect(),
            max_len: patterns.iter().map(Vec::len).max().unwrap_or(0),
        }
    }

    /// Steps from `state` through `bytes`, calling `on_match(i, state)`
    /// after each byte `bytes[i]` that ends in a match state; returns the
    /// last state. The table's width is dispatched on once, not per byte.
    #[inline]
    fn walk(&self, state: u32, bytes: &[u8], mut on_match: impl FnMut(usize, u32)) -> u32 {
        fn go<T: StateIndex>(
            dfa: &KeywordDfa,
            table: &[T],
            state: u32,
            bytes: &[u8],
            on_match: &mut impl FnMut(usize, u32),
        ) -> u32 {
            let mut state = state as usize;
            for (i, &b) in bytes.iter().enumerate() {
                state = dfa.step_in(table, state, b);
                if dfa.is_match(state as u32) {
                    on_match(i, state as u32);
                }
            }
            state as u32
        }
        match &self.next {
            Transitions::Narrow(t) => go(self, t, state, bytes, &mut on_match),
            Transitions::Wide(t) => go(self, t, state, bytes, &mut on_match),
        }
    }

    /// One transition in `table` (this automaton's).
    #[inline(always)]
    fn step_in<T: StateIndex>(&self, table: &[T], state: usize, byte: u8) -> usize {
        let at = (state << self.shift) + self.class_of[byte as usize] as usize;
        debug_assert!(at < table.len());
        // SAFETY: every state is an index < rows, every class is
        // < 2^shift, and the table has `rows << shift` entries, so `at` is
        // in bounds. (A bounds check here costs a compare and a branch per
        // byte per lane in the hottest loop.)
        unsafe { table.get_unchecked(at).index() }
    }

    /// Whether keywords end in `state` (or, for an OR of states, in one
    /// of them: see `first_match`).
    #[inline(always)]
    fn is_match(&self, state: u32) -> bool {
        state >= self.first_match
    }

    /// The patterns that end in `state`.
    pub(crate) fn outputs(&self, state: u32) -> &[u32] {
        &self.outputs[state as usize]
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
        let at: [usize; LANES] = std::array::from_fn(lane_start);
        let lanes: [&[u8]; LANES] = std::array::from_fn(|l| &hay[at[l]..at[l] + steps]);
        let mut s = [Self::START; LANES];
        // Hits of lanes 1.. in lock-step, kept to report in order later.
        let mut later: [Vec<(u32, usize)>; LANES] = Default::default();
        let mut i = 0;
        while i < steps {
            i = self.run_lanes(lanes, &mut s, i);
            if i == steps && !self.is_match(s.iter().fold(0, |a, &b| a | b)) {
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
    /// that the lanes' states stay in registers.
    #[inline(never)]
    fn run_lanes(&self, lanes: [&[u8]; LANES], s: &mut [u32; LANES], i: usize) -> usize {
        match &self.next {
            Transitions::Narrow(t) => self.run_lanes_in(t, lanes, s, i),
            Transitions::Wide(t) => self.run_lanes_in(t, lanes, s, i),
        }
    }

    #[inline(always)]
    fn run_lanes_in<T: StateIndex>(
        &self,
        table: &[T],
        lanes: [&[u8]; LANES],
        s: &mut [u32; LANES],
        mut i: usize,
    ) -> usize {
        let n = lanes[0].len();
        // Equal lengths let the compiler drop the bounds checks below.
        let lanes: [&[u8]; LANES] = std::array::from_fn(|l| &lanes[l][..n]);
        // Word-sized states: no zero-extension per step.
        let mut st: [usize; LANES] = s.map(|s| s as usize);
        while i < n {
            for l in 0..LANES {
                st[l] = self.step_in(table, st[l], lanes[l][i]);
            }
            i += 1;
            if st.iter().fold(0, |a, &b| a | b) >= self.first_match as usize {
                break;
            }
        }
        *s = st.map(|s| s as u32);
        i
    }

    /// Steps from `state` through `hay[from..]`, reporting keyword ends
    /// after `owned_after`.
    #[inline]
    fn find_from(
        &self,
        hay: &[u8],
        from: usize,
        state: u32,
        owned_after: usize,
        on_match: &mut impl FnMut(u32, usize),
    ) {
        self.walk(state, &hay[from..], |i, state| {
            let end = from + i + 1;
            if end > owned_after {
                on_match(state, end);
            }
        });
    }

    /// Steps through `bytes` from `state`, calling `on_match(pattern,
    /// index one past its last byte in bytes)` for every keyword ending in
    /// them, and returns the new state.
    pub fn feed(&self, state: u32, bytes: &[u8], mut on_match: impl FnMut(u32, usize)) -> u32 {
        self.walk(state, bytes, |i, state| {
            for &p in self.outputs(state) {
                on_match(p, i + 1);
            }
        })
    }

    /// The length of the trailing partial keyword in `state`.
    pub fn partial_len(&self, state: u32) -> usize {
        self.partial[state as usize] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (pattern, end) the automaton reports, in order.
    fn ends(dfa: &KeywordDfa, hay: &[u8]) -> Vec<(u32, usize)> {
        let mut out = vec![];
        dfa.find_all(hay, |state, end| {
            out.extend(dfa.outputs(state).iter().map(|&p| (p, end)));
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every (pattern, end), by the aho-corasick crate, ASCII
    /// case-insensitively and overlapping.
    fn reference(patterns: &[Vec<u8>], hay: &[u8]) -> Vec<(u32, usize)> {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(patterns)
            .unwrap();
        let mut out: Vec<(u32, usize)> = ac
            .find_overlapping_iter(hay)
            .map(|m| (m.pattern().as_u32(), m.end()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn narrow_and_wide_tables_find_every_keyword() {
        // A small set (16-bit table) and one of 70,000+ states (32-bit).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (count, len) in [(50usize, 6usize), (9000, 12)] {
            let patterns: Vec<Vec<u8>> = (0..count)
                .map(|_| {
                    (0..len)
                        .map(|_| b"abcdefgh_"[next() as usize % 9])
                        .collect()
                })
                .collect();
            let dfa = KeywordDfa::new(&patterns);
            let wide = matches!(dfa.next, Transitions::Wide(_));
            assert_eq!(wide, count > 50, "{} states", dfa.partial.len());
            // Haystacks made of the keywords' own bytes and pieces of them,
            // long enough for the lanes, in mixed case.
            let mut hay: Vec<u8> = (0..40_000)
                .map(|_| b"abcdefgh_AB"[next() as usize % 11])
                .collect();
            for _ in 0..200 {
                let k = &patterns[next() as usize % count];
                let at = next() as usize % (hay.len() - k.len());
                hay[at..at + k.len()].copy_from_slice(k);
            }
            assert_eq!(
                ends(&dfa, &hay),
                reference(&patterns, &hay),
                "{count} keywords"
            );
        }
    }
}
