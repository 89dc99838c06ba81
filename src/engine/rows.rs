//! Provider rows matched in two steps: the context they share, then the
//! value of their own.
//!
//! A provider row's pattern (see [`RowParts`]) is hundreds of bytes of
//! shared context (how a name is assigned its value in code, config,
//! headers and flags) around a value regex of a few dozen. Building each
//! row's whole regex cost about 1 ms (the pack: 1.2 s when a log wakes
//! every row). Here each distinct context is one automaton, built once per
//! scanner and shared by every row of its kind, and a row builds only its
//! value regex (~70 µs).
//!
//! # Exactness
//!
//! Anchored at a start `s`, the row's leftmost-first match is the first
//! alternative (head name, then context; then the bare form) whose literal
//! matches at `s` and after which some path through the context ends at a
//! position `c` where the value matches. The context automaton
//! ([`MatchKind::All`]) gives every such `c`; the value regex is tried at
//! each. When exactly one `c` of the first successful alternative admits
//! the value, that is the match, whatever the context's priorities: the
//! value's own leftmost-first match at `c` decides its end. When several do,
//! only the context's path priorities could tell, and the answer is
//! [`RowAnswer::Undecided`]: the caller runs the row's whole regex (built
//! on demand), as it does when the automaton gives up.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::meta::Regex;
use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input, MatchKind};

use crate::engine::analysis::syntax_config;
use crate::engine::compile::{LazyProbe, LazyRegex};
use crate::rules::provider::RowParts;

type CacheFn =
    Box<dyn Fn() -> Cache + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// One context's automaton: every end of a path through the context from
/// an anchored start. Built on first use; shared by the rows using it.
pub(crate) struct Context {
    pattern: String,
    built: OnceLock<Option<(DFA, Pool<Cache, CacheFn>)>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("pattern", &self.pattern)
            .field("built", &self.built.get().is_some())
            .finish()
    }
}

impl Context {
    fn new(pattern: &str) -> Context {
        Context {
            pattern: pattern.to_string(),
            built: OnceLock::new(),
        }
    }

    fn built(&self) -> Option<&(DFA, Pool<Cache, CacheFn>)> {
        self.built
            .get_or_init(|| {
                let dfa = DFA::builder()
                    .syntax(syntax_config())
                    .configure(
                        DFA::config()
                            .match_kind(MatchKind::All)
                            .cache_capacity(2 * 1024 * 1024),
                    )
                    .build(&self.pattern)
                    .ok()?;
                let for_pool = dfa.clone();
                let create: CacheFn = Box::new(move || for_pool.create_cache());
                Some((dfa, Pool::new(create)))
            })
            .as_ref()
    }

    /// Calls `at_end(c)` for every `c` in `from..=stop`, in order, such that
    /// `hay[from..c]` is in the context's language (look-around sees the
    /// bytes around). `None` when the automaton gave up (then nothing is
    /// known).
    fn each_end(
        &self,
        hay: &[u8],
        from: usize,
        stop: usize,
        mut at_end: impl FnMut(usize),
    ) -> Option<()> {
        let (dfa, pool) = self.built()?;
        let mut cache = pool.get();
        let input = Input::new(hay).range(from..stop).anchored(Anchored::Yes);
        let mut state = dfa.start_state_forward(&mut cache, &input).ok()?;
        // Matches are reported one byte late: a match state after the byte
        // at `at` means a path ended at `at`.
        for (at, &b) in hay.iter().enumerate().take(stop).skip(from) {
            state = dfa.next_state(&mut cache, state, b).ok()?;
            if state.is_match() {
                at_end(at);
            }
            if state.is_dead() {
                return Some(());
            }
            if state.is_quit() {
                return None;
            }
        }
        // The end of the range: the byte after it (look-ahead) or the end of
        // the haystack, as regex-automata's own searches do.
        state = match hay.get(stop) {
            Some(&b) => dfa.next_state(&mut cache, state, b).ok()?,
            None => dfa.next_eoi_state(&mut cache, state).ok()?,
        };
        if state.is_match() {
            at_end(stop);
        }
        Some(())
    }
}

/// Every distinct context of a scanner's rows, by pattern.
#[derive(Debug, Default)]
pub(crate) struct Contexts(std::collections::HashMap<String, Arc<Context>>);

impl Contexts {
    /// The row's matcher, its contexts shared with every earlier row that
    /// has them.
    pub fn matcher(&mut self, parts: &RowParts) -> RowMatcher {
        let heads = parts
            .heads
            .iter()
            .map(|h| {
                let context = self
                    .0
                    .entry(h.context.clone())
                    .or_insert_with(|| Arc::new(Context::new(&h.context)))
                    .clone();
                let names = h.names.iter().map(|n| n.as_bytes().into()).collect();
                (names, context)
            })
            .collect();
        RowMatcher {
            heads,
            value: Arc::new(LazyRegex::anchored(&parts.value)),
            bare: parts
                .bare_start
                .as_ref()
                .map(|start| Arc::new(LazyRegex::anchored(&format!("{start}{}", parts.value)))),
        }
    }
}

/// A head's names, lowercase.
type Names = Vec<Box<[u8]>>;

/// One row's two-step matcher (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct RowMatcher {
    /// Per head, in order: its names (lowercase) and its context.
    heads: Vec<(Names, Arc<Context>)>,
    /// The value and its end guard; group 1 is the secret.
    value: Arc<LazyRegex>,
    /// The bare form: its start assertion, then the value.
    bare: Option<Arc<LazyRegex>>,
}

/// What [`RowMatcher::find_at`] learnt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RowAnswer {
    /// The match anchored at the start: its end, and the secret's span.
    Match { end: usize, secret: Range<usize> },
    /// No match begins at the start.
    NoMatch,
    /// Only the whole regex can tell (see the module docs).
    Undecided,
}

/// The secret (group 1) of `value`'s match anchored at `at`, and its end.
fn value_at(value: &Regex, hay: &[u8], at: usize, stop: usize) -> Option<(usize, Range<usize>)> {
    let input = Input::new(hay).range(at..stop).anchored(Anchored::Yes);
    let mut caps = value.create_captures();
    value.search_captures(&input, &mut caps);
    let m = caps.get_match()?;
    let secret = caps.get_group(1).map_or(m.range(), |g| g.range());
    Some((m.end(), secret))
}

impl RowMatcher {
    /// The row's leftmost-first match anchored at `start`, ending at or
    /// before `stop` (look-around sees the bytes around `start..stop`).
    ///
    /// Cost: per head name that matches at `start`, one run of the
    /// context's automaton (at most the context's longest match) and a
    /// value search at each end it gives (an anchored match of at most the
    /// value's length).
    pub fn find_at(&self, hay: &[u8], start: usize, stop: usize) -> RowAnswer {
        for (names, context) in &self.heads {
            for name in names {
                let after = start + name.len();
                if after > stop || !hay[start..after].eq_ignore_ascii_case(name) {
                    continue;
                }
                let value = self.value.get();
                let (mut found, mut many) = (None, false);
                let walked = context.each_end(hay, after, stop, |c| {
                    if many {
                        return;
                    }
                    let input = Input::new(hay).range(c..stop).anchored(Anchored::Yes);
                    if value.search_half(&input).is_some() {
                        many = found.is_some();
                        found = Some(c);
                    }
                });
                if walked.is_none() || many {
                    return RowAnswer::Undecided;
                }
                if let Some(c) = found {
                    return match value_at(value, hay, c, stop) {
                        Some((end, secret)) => RowAnswer::Match { end, secret },
                        None => RowAnswer::Undecided,
                    };
                }
            }
        }
        if let Some(bare) = &self.bare {
            if let Some((end, secret)) = value_at(bare.get(), hay, start, stop) {
                return RowAnswer::Match { end, secret };
            }
        }
        RowAnswer::NoMatch
    }
}

impl RowMatcher {
    /// Builds the value regexes now (the contexts build on first use).
    pub fn build_now(&self) {
        self.value.get();
        if let Some(bare) = &self.bare {
            bare.get();
        }
    }
}

/// The probe every row shares (one per process: it depends only on the
/// shared contexts), built on its first use in a stream.
pub(crate) fn row_probe() -> Arc<LazyProbe> {
    static PROBE: OnceLock<Arc<LazyProbe>> = OnceLock::new();
    PROBE
        .get_or_init(|| Arc::new(LazyProbe::new(&row_probe_pattern(), MatchKind::All)))
        .clone()
}

/// The probe every row shares in streams (see `CompiledRule::probe`): a
/// superset of every prefix of every row's matches, run with
/// [`MatchKind::All`], so that it dies only where no row's match can go on.
/// A row's match is a name (`[a-z0-9_.-]`, at most 64 bytes), the shared
/// nesting, an identifier of at most 64 bytes (the credential word and the
/// bytes around it), the assignment, then a value of printable ASCII
/// without spaces (a prefix and a shape) and one byte of end guard; or,
/// bare, the value and its guard alone. So in a stream a row's hit is let
/// go a byte after its value's printable run ends, within a few bytes of
/// where its own pattern's probe would.
pub(crate) fn row_probe_pattern() -> String {
    use crate::rules::context::{ASSIGN, NEST};
    format!(r"[!-~]*[\s\S]?|(?i:[\w.-]{{1,64}}{NEST}[\w.-]{{0,64}}{ASSIGN})[!-~]*[\s\S]?")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every provider row of the pack (every third, to keep the debug test
    /// quick), on its own examples and negatives, at every offset where one
    /// of its keywords begins: the two steps give what the whole pattern
    /// gives anchored there, or defer to it.
    #[test]
    fn two_steps_find_what_the_whole_pattern_finds() {
        let rules = crate::rules::RuleSet::builtin();
        let mut contexts = Contexts::default();
        let (mut checked, mut undecided) = (0, 0);
        for rule in rules.rules().iter().step_by(3) {
            let Some(parts) = rule.shape_hint.as_ref().and_then(|h| h.row.as_deref()) else {
                continue;
            };
            assert_eq!(parts.pattern(), rule.pattern, "{}", rule.id);
            let whole = crate::engine::compile::build_regex(&rule.pattern).unwrap();
            let matcher = contexts.matcher(parts);
            let mut caps = whole.create_captures();
            for text in rule.examples.iter().chain(&rule.negative_examples) {
                let lower = text.to_ascii_lowercase();
                for start in 0..text.len() {
                    if !rule
                        .keywords
                        .iter()
                        .any(|k| lower[start..].starts_with(k.to_ascii_lowercase().as_bytes()))
                    {
                        continue;
                    }
                    // Every stop, as the matcher's windows cut them, would
                    // be slow: the end, and one short of it.
                    for stop in [text.len(), text.len() - 1] {
                        if stop < start {
                            continue;
                        }
                        let input = Input::new(text).range(start..stop).anchored(Anchored::Yes);
                        whole.search_captures(&input, &mut caps);
                        let want = caps
                            .get_match()
                            .map(|m| (m.end(), caps.get_group(1).unwrap().range()));
                        match matcher.find_at(text, start, stop) {
                            RowAnswer::Match { end, secret } => {
                                assert_eq!(Some((end, secret)), want, "{} at {start}", rule.id)
                            }
                            RowAnswer::NoMatch => assert_eq!(None, want, "{} at {start}", rule.id),
                            RowAnswer::Undecided => undecided += 1,
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked} starts checked");
        assert!(
            undecided * 20 < checked,
            "{undecided} of {checked} undecided"
        );
    }

    /// The shared probe's superset holds only if every row's names fit
    /// its `[\w.-]{1,64}` and every value is printable ASCII without
    /// spaces.
    #[test]
    fn the_shared_probe_covers_every_row() {
        let rules = crate::rules::RuleSet::builtin();
        for rule in rules.rules() {
            let Some(parts) = rule.shape_hint.as_ref().and_then(|h| h.row.as_deref()) else {
                continue;
            };
            for head in &parts.heads {
                assert!(head.names.iter().all(|n| n.len() <= 64), "{}", rule.id);
            }
            let value = crate::engine::analysis::parse_hir(&parts.value).unwrap();
            let alphabet = crate::engine::analysis::match_alphabet(&value);
            // The end guard may take one line break; the value none.
            let secret = &parts.value[..parts.value.rfind(crate::rules::context::END).unwrap()];
            let secret = crate::engine::analysis::parse_hir(secret).unwrap();
            let secret = crate::engine::analysis::match_alphabet(&secret);
            assert!(
                (0..=255u8).all(|b| !secret.contains(b) || (b'!'..=b'~').contains(&b)),
                "{}: a value byte outside the probe's [!-~]",
                rule.id
            );
            assert!(alphabet.contains(b'\n'), "the end guard takes a newline");
        }
        let probe = row_probe();
        assert!(probe.get().create_cache().memory_usage() > 0);
    }
}
