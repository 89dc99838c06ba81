//! The keyword prefilter: one Aho-Corasick automaton over every rule's
//! keywords, matched ASCII case-insensitively, mapping each hit to the rules
//! that listed the keyword.
//!
//! Matching every keyword without regard to case is a superset of what any
//! rule needs, so it can only add candidate windows, never lose a match: the
//! per-rule regex decides. Hits are reported with overlapping semantics so
//! that a short keyword (`sk-`) never hides a longer one (`sk-ant-`) that
//! starts at the same place.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// One keyword occurrence, in absolute stream offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    /// Offset of the keyword's first byte.
    pub start: u64,
    /// Offset one past the keyword's last byte.
    pub end: u64,
}

/// Keyword automaton and the keyword -> rules map.
#[derive(Debug)]
pub(crate) struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern, the rules (indices) that listed it.
    rules_of: Vec<Vec<u32>>,
    /// Every keyword (lowercased) as a trie, for hold-back.
    prefixes: PrefixTrie,
    /// The longest keyword, in bytes.
    max_len: usize,
}

impl Prefilter {
    /// Builds the prefilter from each rule's keyword list.
    pub fn new(keywords_per_rule: &[Vec<String>]) -> Prefilter {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut rules_of: Vec<Vec<u32>> = Vec::new();
        for (rule, keywords) in keywords_per_rule.iter().enumerate() {
            for kw in keywords {
                let lower = kw.as_bytes().to_ascii_lowercase();
                let pid = *index.entry(lower.clone()).or_insert_with(|| {
                    patterns.push(lower);
                    rules_of.push(Vec::new());
                    patterns.len() - 1
                });
                if rules_of[pid].last() != Some(&(rule as u32)) {
                    rules_of[pid].push(rule as u32);
                }
            }
        }
        let prefixes = PrefixTrie::new(&patterns);
        let max_len = patterns.iter().map(Vec::len).max().unwrap_or(0);
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .expect("keyword automaton within aho-corasick's size limits"),
            )
        };
        Prefilter {
            automaton,
            rules_of,
            prefixes,
            max_len,
        }
    }

    /// The longest keyword, in bytes.
    pub fn max_keyword_len(&self) -> usize {
        self.max_len
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
        let Some(ac) = &self.automaton else { return };
        for m in ac.find_overlapping_iter(hay) {
            if m.end() <= new_from {
                continue;
            }
            let hit = Hit {
                start: base + m.start() as u64,
                end: base + m.end() as u64,
            };
            for &rule in &self.rules_of[m.pattern().as_usize()] {
                on_hit(rule as usize, hit);
            }
        }
    }

    /// The length of the longest suffix of `tail` that is a proper prefix of
    /// some keyword (ignoring ASCII case): the bytes at which a keyword may
    /// still begin once more input arrives.
    ///
    /// Cost: at most one short trie walk per position among the last
    /// (longest keyword - 1) bytes; most walks end at their first byte.
    pub fn partial_suffix_len(&self, tail: &[u8]) -> usize {
        let longest = self.max_len.saturating_sub(1).min(tail.len());
        let from = tail.len() - longest;
        'starts: for p in from..tail.len() {
            let mut node = PrefixTrie::ROOT;
            for &b in &tail[p..] {
                match self.prefixes.child(node, b.to_ascii_lowercase()) {
                    Some(next) => node = next,
                    None => continue 'starts,
                }
            }
            // The whole suffix is a path in the trie; a complete keyword
            // whose node has no children has arrived already, not partly.
            if self.prefixes.has_children(node) {
                return tail.len() - p;
            }
        }
        0
    }
}

/// A trie of the (lowercased) keywords, for [`Prefilter::partial_suffix_len`].
/// The root has a full table; other nodes keep a short sorted edge list.
#[derive(Debug, Default)]
struct PrefixTrie {
    root: Vec<u32>,
    edges: Vec<Vec<(u8, u32)>>,
}

impl PrefixTrie {
    const ROOT: u32 = 0;
    const NONE: u32 = u32::MAX;

    fn new(keywords: &[Vec<u8>]) -> PrefixTrie {
        let mut trie = PrefixTrie {
            root: vec![Self::NONE; 256],
            edges: vec![vec![]],
        };
        for kw in keywords {
            let mut node = Self::ROOT;
            for &b in kw {
                node = match trie.child(node, b) {
                    Some(next) => next,
                    None => {
                        let next = trie.edges.len() as u32;
                        trie.edges.push(vec![]);
                        if node == Self::ROOT {
                            trie.root[b as usize] = next;
                        } else {
                            let list = &mut trie.edges[node as usize];
                            let at = list.partition_point(|&(e, _)| e < b);
                            list.insert(at, (b, next));
                        }
                        next
                    }
                };
            }
        }
        trie
    }

    fn child(&self, node: u32, b: u8) -> Option<u32> {
        let next = if node == Self::ROOT {
            self.root[b as usize]
        } else {
            let list = &self.edges[node as usize];
            list.iter()
                .find(|&&(e, _)| e == b)
                .map_or(Self::NONE, |&(_, n)| n)
        };
        (next != Self::NONE).then_some(next)
    }

    fn has_children(&self, node: u32) -> bool {
        if node == Self::ROOT {
            return true;
        }
        !self.edges[node as usize].is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_keywords_all_reported() {
        let pf = Prefilter::new(&[vec!["sk-".into()], vec!["sk-ant-".into()]]);
        let mut got = vec![];
        pf.for_each_hit(b"xx SK-ANT-1", 100, 0, |r, h| got.push((r, h.start, h.end)));
        got.sort();
        assert_eq!(got, vec![(0, 103, 106), (1, 103, 110)]);
    }

    #[test]
    fn new_from_skips_old_hits() {
        let pf = Prefilter::new(&[vec!["ab".into()]]);
        let mut got = vec![];
        pf.for_each_hit(b"abab", 0, 2, |_, h| got.push(h.start));
        assert_eq!(got, vec![2]);
    }

    #[test]
    fn partial_suffix() {
        let pf = Prefilter::new(&[vec!["ghp_".into(), "password".into()]]);
        assert_eq!(pf.partial_suffix_len(b"hello gh"), 2);
        assert_eq!(pf.partial_suffix_len(b"my PASSW"), 5);
        assert_eq!(pf.partial_suffix_len(b"ghp_"), 0);
        assert_eq!(pf.partial_suffix_len(b"nothin"), 0);
        assert_eq!(pf.partial_suffix_len(b""), 0);
    }
}
