//! Confirming keyword hits: each rule's regex runs only inside bounded
//! windows around its keyword hits, and reproduces exactly the rule's
//! leftmost-first, non-overlapping iteration over the whole input.
//!
//! Why windows are exact: every match of a rule contains one of its
//! keywords and is at most `max_len` bytes long, so a match containing a hit
//! at `[ks, ke)` lies inside `[ke - max_len, ks + max_len)` (inside
//! `[ks, ks + max_len)` when every match begins with a keyword). Overlapping
//! windows are merged and searched once, left to right, so regex work grows
//! with the merged window size, never with hits × `max_len`.
//!
//! The same code serves whole inputs and streams. On a stream, a match is
//! *settled* (reported) only when no byte that has not arrived yet could
//! change it: either `max_len` plus one byte of look-ahead has arrived after
//! its start, or a byte that no match of the rule can contain (a newline,
//! for all but multi-line rules; a space or quote for most tokens) has
//! arrived after its start. Everything else waits, and [`advance_rule`] returns the
//! earliest offset at which an unreported match could still start.

use std::ops::Range;

use regex_automata::hybrid::{self, LazyStateID};
use regex_automata::{Anchored, Input};

use crate::engine::analysis::ByteSet;
use crate::engine::compile::{CompiledRule, FindScratch, LOOK_AHEAD};
use crate::engine::prefilter::Hit;
use crate::engine::rows::RowAnswer;

/// The bytes a search can see, with their absolute position.
pub(crate) struct View<'h> {
    /// The buffered bytes.
    pub hay: &'h [u8],
    /// Absolute offset of `hay[0]`.
    pub base: u64,
    /// No match may start before this absolute offset (everything earlier was
    /// settled before; bytes kept there are look-behind context only).
    pub floor: u64,
    /// No more input follows `hay`.
    pub is_final: bool,
    /// Absolute offset from which a keyword could still begin once more input
    /// arrives (the end, less a trailing keyword prefix).
    pub future_keyword_start: u64,
}

impl View<'_> {
    /// Absolute offset one past the last buffered byte.
    pub fn end(&self) -> u64 {
        self.base + self.hay.len() as u64
    }

    fn local(&self, abs: u64) -> usize {
        debug_assert!(abs >= self.base && abs <= self.end());
        (abs - self.base) as usize
    }

    /// Whether every possible match of `rule` starting at `start` is fully
    /// decided by the bytes already here: `max_len` bytes and one byte of
    /// look-ahead have arrived, or a byte that no match can contain has
    /// arrived at or after `start` (the match must end before it, and that
    /// byte is the look-ahead). `outside` is the rule's, refreshed for this
    /// view: O(1), however many bytes are held back.
    fn settled(&self, rule: &CompiledRule, outside: Outside, start: u64) -> bool {
        self.is_final
            || start + rule.max_len + LOOK_AHEAD <= self.end()
            || outside.at_or_after(start)
    }

    /// [`View::unsettled_from`] for one rule, from its refreshed `outside`:
    /// O(1).
    fn rule_unsettled_from(&self, rule: &CompiledRule, outside: Outside, at: u64) -> u64 {
        let lo = at
            .max(self.end().saturating_sub(rule.max_len))
            .max(self.floor)
            .min(self.end());
        match outside.last {
            Some(last) if last >= lo => last + 1,
            _ => lo,
        }
    }

    /// The smallest start at or after `at` that is not settled. Cost: at most
    /// `max_len` bytes examined.
    pub(crate) fn unsettled_from(&self, max_len: u64, alphabet: &ByteSet, at: u64) -> u64 {
        // Nothing starts before the floor (and the bytes there may be gone).
        let lo = at
            .max(self.end().saturating_sub(max_len))
            .max(self.floor)
            .min(self.end());
        match self.hay[self.local(lo)..]
            .iter()
            .rposition(|&b| !alphabet.contains(b))
        {
            Some(i) => lo + i as u64 + 1,
            None => lo,
        }
    }
}

/// The last byte of a stream outside one rule's alphabet (a byte no match of
/// the rule can contain), kept up to date by looking at each byte once: so
/// asking whether a match starting at some offset is settled costs O(1),
/// not a rescan of the held-back bytes on every write.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Outside {
    /// Absolute offset of the last such byte seen.
    last: Option<u64>,
    /// The bytes before this absolute offset have been looked at.
    to: u64,
}

impl Outside {
    /// Looks at the bytes of `view` not looked at yet (backwards: the first
    /// found is the last).
    fn refresh(&mut self, alphabet: &ByteSet, view: &View<'_>) {
        // No byte is outside every byte: nothing to look for (provider rows'
        // alphabet), and the scan below would cost each such rule every
        // byte of every write.
        if alphabet.is_all() {
            self.to = view.end();
            return;
        }
        let from = self.to.clamp(view.base, view.end());
        if let Some(i) = view.hay[view.local(from)..]
            .iter()
            .rposition(|&b| !alphabet.contains(b))
        {
            self.last = Some(from + i as u64);
        }
        self.to = view.end();
    }

    /// Whether a byte outside the alphabet lies at or after `at`.
    fn at_or_after(self, at: u64) -> bool {
        self.last.is_some_and(|last| last >= at)
    }
}

/// One rule's position in its leftmost-first iteration, and its pending
/// keyword hits (sorted by start, absolute offsets).
#[derive(Clone, Debug, Default)]
pub(crate) struct RuleCursor {
    /// Matches end at or before this offset have been reported; the next
    /// search starts here.
    pub next_start: u64,
    /// Keyword hits not yet consumed, sorted by start.
    pub hits: Vec<Hit>,
    /// Set while the rule waits for bytes that can settle a match.
    pub wait: Option<Wait>,
    /// Scratch space of the rule's probe DFA (multi-line rules only).
    pub probe_cache: Option<hybrid::dfa::Cache>,
    /// The last byte outside the rule's alphabet (streams only).
    outside: Outside,
}

/// Why a rule need not be searched again yet: its next match cannot settle
/// before the input reaches `retry_end` or a byte outside the rule's
/// alphabet arrives, so re-searching on every tiny write (a token stream)
/// would only repeat the same work.
#[derive(Clone, Debug)]
pub(crate) struct Wait {
    retry_end: u64,
    checked_to: u64,
    frontier: u64,
    /// For a probed rule: the DFA state, at `checked_to`, of the run from
    /// the first undecided hit. The rule waits while it stays alive.
    probe: Option<LazyStateID>,
}

/// How far the probe DFA got from a hit.
enum Probe {
    /// Every match from the hit is decided by the bytes here.
    Decided,
    /// More input could still change the matches from the hit; the state
    /// after the last byte, if the DFA could tell.
    Open(Option<LazyStateID>),
}

/// Runs `dfa` from `state` over `bytes`: `Decided` when it dies. Each byte
/// stepped is taken from `budget`; when it runs out, the answer is `Open`
/// without a state (undecided, which is always safe: it only holds back).
fn probe_step(
    dfa: &hybrid::dfa::DFA,
    cache: &mut hybrid::dfa::Cache,
    mut state: LazyStateID,
    bytes: &[u8],
    budget: &mut u64,
) -> Probe {
    for &b in bytes {
        if *budget == 0 {
            return Probe::Open(None);
        }
        *budget -= 1;
        match dfa.next_state(cache, state, b) {
            Ok(next) if next.is_dead() => return Probe::Decided,
            Ok(next) if next.is_quit() => return Probe::Open(None),
            Ok(next) => state = next,
            Err(_) => return Probe::Open(None),
        }
    }
    Probe::Open(Some(state))
}

/// Whether every match of `rule` starting at `start` is decided: by
/// [`View::settled`], or because the rule's probe DFA, run anchored from
/// `start`, dies before the end of the buffer (within `budget` bytes).
fn decided(
    rule: &CompiledRule,
    cache: &mut Option<hybrid::dfa::Cache>,
    outside: Outside,
    view: &View<'_>,
    start: u64,
    budget: &mut u64,
) -> Probe {
    if view.settled(rule, outside, start) {
        return Probe::Decided;
    }
    let Some(dfa) = rule.probe.as_ref().map(|p| p.get()) else {
        return Probe::Open(None);
    };
    let cache = cache.get_or_insert_with(|| dfa.create_cache());
    let input = Input::new(view.hay)
        .range(view.local(start)..)
        .anchored(Anchored::Yes);
    match dfa.start_state_forward(cache, &input) {
        Ok(state) => probe_step(dfa, cache, state, &view.hay[view.local(start)..], budget),
        Err(_) => Probe::Open(None),
    }
}

/// Windows with at most this many hits of a keyword-led rule are searched
/// anchored at each hit.
const ANCHORED_HITS: usize = 4;

/// The same for a provider row, whose anchored search is its two-step
/// matcher (a context DFA shared by every row of its kind, which dies a few
/// bytes past a name that no assignment follows): searching unanchored
/// would build the row's whole regex (about 1 ms) for a window where its
/// name merely recurs, as a provider's name does in its client's code.
const ANCHORED_ROW_HITS: usize = 16;

/// The bytes one [`advance_rule`] call may step probe DFAs over, per byte
/// buffered (plus [`PROBE_SLACK`]): dense hits of a multi-line rule
/// (`-----BEGIN RSA PRIVATE KEY-----` repeated) then cost a constant per
/// byte pushed, never hits × `max_len`. Hits left unprobed are undecided,
/// so they are held back until the next push (each hit is settled without
/// probing anyway once `max_len` bytes follow it, which bounds the bytes
/// held back).
const PROBE_BUDGET_PER_BYTE: u64 = 2;

/// Probe budget on top of the per-byte one, so that a small buffer can
/// still probe a few hits.
const PROBE_SLACK: u64 = 4096;

/// For a rule whose matches begin at a keyword: the first pending hit at or
/// after `at` and at or before `until` whose matches are not decided yet,
/// with the probe state to wait on. `None` when all of them are decided.
fn first_undecided(
    rule: &CompiledRule,
    cursor: &mut RuleCursor,
    from_hit: usize,
    view: &View<'_>,
    at: u64,
    until: u64,
    budget: &mut u64,
) -> Option<(u64, Option<LazyStateID>)> {
    let starts = cursor.hits[from_hit..]
        .iter()
        .map(|h| h.start)
        .filter(|&s| s >= at)
        .take_while(|&s| s <= until);
    let mut previous = None;
    for start in starts {
        if previous == Some(start) {
            continue;
        }
        previous = Some(start);
        if let Probe::Open(state) = decided(
            rule,
            &mut cursor.probe_cache,
            cursor.outside,
            view,
            start,
            budget,
        ) {
            return Some((start, state));
        }
    }
    None
}

/// A rule's match: the whole span and the secret span, absolute offsets.
pub(crate) struct RawMatch {
    pub span: Range<u64>,
    pub secret: Range<u64>,
}

/// Searches `rule`'s windows around its pending hits, reporting every match
/// that is settled, in order, and consuming the hits that can no longer
/// start or be part of a match.
///
/// Returns the earliest absolute offset at which a match of this rule not
/// yet reported could still start (the end of input when `view.is_final`).
pub(crate) fn advance_rule(
    rule: &CompiledRule,
    cursor: &mut RuleCursor,
    view: &View<'_>,
    mut on_match: impl FnMut(RawMatch),
) -> u64 {
    let end = view.end();
    let len = rule.max_len;
    let window_start = |h: &Hit| {
        if rule.starts_with_keyword {
            h.start
        } else {
            // A match containing [ks, ke) starts at or after ke - len, so at
            // or after ks + 1 - len: looser by the keyword's length, but
            // monotone in ks, which keeps merged windows in order.
            (h.start + 1).saturating_sub(len)
        }
    };
    if !view.is_final {
        cursor.outside.refresh(&rule.alphabet, view);
        if let Some(wait) = &mut cursor.wait {
            let from = wait.checked_to.max(view.base);
            let new = &view.hay[view.local(from)..];
            let still = end < wait.retry_end
                && match (rule.probe.as_ref().map(|p| p.get()), wait.probe) {
                    (None, _) => !cursor.outside.at_or_after(from),
                    (Some(dfa), Some(state)) => {
                        let cache = cursor.probe_cache.get_or_insert_with(|| dfa.create_cache());
                        // The new bytes only: each is stepped once.
                        let mut budget = u64::MAX;
                        match probe_step(dfa, cache, state, new, &mut budget) {
                            Probe::Open(Some(next)) => {
                                wait.probe = Some(next);
                                true
                            }
                            _ => false,
                        }
                    }
                    (Some(_), None) => false,
                };
            if still {
                wait.checked_to = end;
                return wait.frontier;
            }
        }
    }
    cursor.wait = None;
    let mut budget = PROBE_BUDGET_PER_BYTE * view.hay.len() as u64 + PROBE_SLACK;
    let mut scratch = FindScratch::default();
    let mut frontier = None;
    let mut waiting = false;
    let mut probe_state = None;
    let mut i = 0;
    'windows: while i < cursor.hits.len() {
        if cursor.hits[i].start < cursor.next_start {
            // A match containing this hit would start at or before it, but
            // the iteration is already past that point.
            i += 1;
            continue;
        }
        let a = window_start(&cursor.hits[i])
            .max(cursor.next_start)
            .max(view.floor);
        let mut b = cursor.hits[i].start + len;
        let mut j = i + 1;
        while j < cursor.hits.len() && window_start(&cursor.hits[j]) <= b {
            b = b.max(cursor.hits[j].start + len);
            j += 1;
        }
        let stop = b.min(end);
        let mut at = a.max(cursor.next_start);
        // A keyword-led rule's match can only start at a hit: with a few
        // hits in the window, search anchored at each, forward only (no
        // reverse scan for the start). A window merged from many hits is
        // searched unanchored, once, so dense hits never cost
        // hits × max_len.
        let anchored_hits = if rule.row.is_some() {
            ANCHORED_ROW_HITS
        } else {
            ANCHORED_HITS
        };
        let anchored = rule.starts_with_keyword && j - i <= anchored_hits;
        let mut next_hit = i;
        loop {
            if anchored {
                while next_hit < j && cursor.hits[next_hit].start < at {
                    next_hit += 1;
                }
                let Some(hit) = cursor.hits[i..j].get(next_hit - i) else {
                    break;
                };
                at = hit.start;
            }
            if at >= stop {
                break;
            }
            let mut input = Input::new(view.hay).range(view.local(at)..view.local(stop));
            if anchored {
                input = input.anchored(Anchored::Yes);
            }
            // A provider row, anchored: its two-step matcher, unless only
            // the whole regex can tell.
            let row = match (&rule.row, anchored) {
                (Some(row), true) => row.find_at(view.hay, view.local(at), view.local(stop)),
                _ => RowAnswer::Undecided,
            };
            let found = match row {
                RowAnswer::Match { end, secret } => Some((view.local(at)..end, Some(secret))),
                RowAnswer::NoMatch => None,
                RowAnswer::Undecided => rule.regex.find(&input, rule.secret_group, &mut scratch),
            };
            let Some((range, row_secret)) = found else {
                if anchored
                    && matches!(
                        decided(
                            rule,
                            &mut cursor.probe_cache,
                            cursor.outside,
                            view,
                            at,
                            &mut budget
                        ),
                        Probe::Decided
                    )
                {
                    // No match at this hit, and none can appear: next hit.
                    next_hit += 1;
                    continue;
                }
                // Undecided (the window check below handles it), or no
                // match anywhere in the rest of the window.
                break;
            };
            let start = view.base + range.start as u64;
            if !view.settled(rule, cursor.outside, start) {
                if rule.probe.is_some() {
                    // Decided if every hit up to the match start is.
                    if let Some((undecided, state)) =
                        first_undecided(rule, cursor, i, view, at, start, &mut budget)
                    {
                        frontier = Some(undecided.min(future_frontier(rule, cursor, view)));
                        probe_state = state;
                        waiting = true;
                        break 'windows;
                    }
                } else {
                    frontier = Some(unsettled_frontier(rule, cursor, i, view, at));
                    waiting = true;
                    break 'windows;
                }
            }
            let span = start..view.base + range.end as u64;
            let secret = match row_secret {
                Some(s) => view.base + s.start as u64..view.base + s.end as u64,
                None => span.clone(),
            };
            cursor.next_start = span.end;
            at = span.end;
            on_match(RawMatch { span, secret });
        }
        // The last start a match in this window can have is b - len.
        if !view.settled(rule, cursor.outside, b - len) {
            if rule.probe.is_some() {
                let last = cursor.hits[j - 1].start;
                if let Some((undecided, state)) =
                    first_undecided(rule, cursor, i, view, at, last, &mut budget)
                {
                    frontier = Some(undecided.min(future_frontier(rule, cursor, view)));
                    probe_state = state;
                    waiting = true;
                    break;
                }
            } else {
                frontier = Some(unsettled_frontier(rule, cursor, i, view, at));
                waiting = true;
                break;
            }
        }
        i = j;
    }
    if view.is_final {
        cursor.hits.clear();
        return end;
    }
    let frontier = frontier.unwrap_or_else(|| future_frontier(rule, cursor, view));
    // No match starts before the frontier, so the iteration may resume
    // there: hits behind it are dropped and never searched again, which keeps
    // a stream of dense keyword hits (`ghp_ghp_…`) linear.
    debug_assert!(frontier >= cursor.next_start);
    cursor.next_start = frontier;
    if waiting {
        // Every start before the frontier is settled or cannot start a
        // match; later starts settle at frontier + max_len + look-ahead, or
        // at a byte outside the alphabet.
        cursor.wait = Some(Wait {
            retry_end: frontier + len + LOOK_AHEAD,
            checked_to: end,
            frontier,
            probe: probe_state,
        });
    }
    let behind = cursor.hits.partition_point(|h| h.start < frontier);
    cursor.hits.drain(..behind.max(i));
    frontier
}

/// The frontier when a window could not be finished: the first position at
/// or after `at` that is not settled, tightened to the next hit for rules
/// whose matches begin at a keyword.
fn unsettled_frontier(
    rule: &CompiledRule,
    cursor: &RuleCursor,
    from_hit: usize,
    view: &View<'_>,
    at: u64,
) -> u64 {
    let from = view.rule_unsettled_from(rule, cursor.outside, at);
    if !rule.starts_with_keyword {
        return from;
    }
    let next_hit = cursor.hits[from_hit..]
        .iter()
        .map(|h| h.start)
        .find(|&s| s >= from);
    let future = future_frontier(rule, cursor, view);
    next_hit.map_or(future, |s| s.min(future))
}

/// The frontier when no pending hit remains: a later match needs a keyword
/// occurrence that has not fully arrived yet.
fn future_frontier(rule: &CompiledRule, cursor: &RuleCursor, view: &View<'_>) -> u64 {
    let bound = if rule.starts_with_keyword {
        view.future_keyword_start
    } else {
        view.rule_unsettled_from(rule, cursor.outside, cursor.next_start)
    };
    bound.max(cursor.next_start)
}
