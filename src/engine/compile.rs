//! From validated rules to the compiled engine: each pattern's length bound
//! and shape, its regex, and the shared keyword prefilter.
//!
//! Everything that can be rejected is rejected here, naming the rule and its
//! file: a pattern that fails to parse (with the position), one without a
//! maximum match length, one that matches the empty string, a rule with no
//! keyword.

use regex_automata::meta::{self, Regex};
use regex_automata::{hybrid, MatchKind};
use regex_syntax::hir::{Hir, HirKind};
use std::sync::Arc;

use crate::engine::analysis::{
    always_contains, capture_names, has_relaxable_counts, lowered_prefixes, match_alphabet,
    parse_hir, prefix_strings, relax_counts, secret_group_min_len, starts_at_word_boundary,
    syntax_config, ByteSet, Relaxed,
};
use crate::engine::finding::Doubt;
use crate::engine::prefilter::Prefilter;
use crate::engine::rows::RowMatcher;
use crate::error::{Error, RuleProblem};
use crate::rules::validators::{
    is_placeholder_in, randomness_named, shannon_entropy, Randomness, Validation,
};
use crate::rules::{Confidence, Rule};

/// The longest match any rule may have. Streams hold back at most this many
/// bytes (plus one byte of look-around context) for a rule.
pub const MAX_MATCH_LEN: usize = 64 * 1024;

/// The number of bytes past a match that look-around assertions (`\b`, `$`)
/// may examine. With Unicode off every assertion looks at one byte.
pub(crate) const LOOK_AHEAD: u64 = 1;

/// A rule's regex, built on first use.
///
/// A scan touches only the rules whose keywords occur in its input, so
/// building every regex up front would make start-up cost grow with the
/// pack (400 rules: about 200 ms) while most scans need a handful. The
/// pattern was parsed and checked when the rule was compiled; what is left
/// (the NFA and the engines over it) happens here, once per scanner.
///
/// A pattern with long counted repetitions is searched through its
/// [`Relaxed`] form first ([`LazyRegex::find`]): unrolling a PEM body's
/// `{32,16384}` forwards and in reverse cost most of the time of a scan
/// that wakes every rule. The exact regex is built only for a match the
/// relaxed one cannot vouch for (a body past its bound) or for
/// [`LazyRegex::get`].
#[derive(Debug)]
pub(crate) struct LazyRegex {
    pattern: String,
    regex: std::sync::OnceLock<Regex>,
    /// `None` once known to have no long counts (or never to be relaxed).
    relaxed: std::sync::OnceLock<Option<RelaxedRegex>>,
    search: Search,
}

/// How a [`LazyRegex`] is searched, which decides what is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    /// As written.
    Whole,
    /// Through the [`Relaxed`] form first ([`LazyRegex::relaxing`]).
    Relaxed,
    /// Only anchored, over short ranges ([`LazyRegex::anchored`]).
    Anchored,
}

/// The [`Relaxed`] form of `pattern`, if it has long counts.
fn relaxed_form(pattern: &str) -> Option<Relaxed> {
    parse_hir(pattern).ok().and_then(|hir| relax_counts(&hir))
}

/// The regex of a pattern's [`Relaxed`] form.
#[derive(Debug)]
struct RelaxedRegex {
    regex: Regex,
    /// Per relaxed repetition: its group index, the most bytes it may span.
    bounds: Vec<(usize, usize)>,
    /// The index of the `secret` group in this regex.
    secret: Option<usize>,
}

/// Capture scratch space for [`LazyRegex::find`], one per searcher.
#[derive(Debug, Default)]
pub(crate) struct FindScratch {
    exact: Option<regex_automata::util::captures::Captures>,
    relaxed: Option<regex_automata::util::captures::Captures>,
}

impl LazyRegex {
    /// A regex searched as written.
    pub(crate) fn new(pattern: &str) -> LazyRegex {
        LazyRegex {
            pattern: pattern.to_string(),
            regex: std::sync::OnceLock::new(),
            relaxed: std::sync::OnceLock::new(),
            search: Search::Whole,
        }
    }

    /// A regex only ever searched anchored at a given start, over a short
    /// range (a provider row's value): built without the lazy DFAs, and so
    /// without the reverse NFA they need (half the build), searched by the
    /// one-pass DFA, the bounded backtracker or the PikeVM.
    pub(crate) fn anchored(pattern: &str) -> LazyRegex {
        LazyRegex {
            search: Search::Anchored,
            ..LazyRegex::new(pattern)
        }
    }

    /// A rule's regex: searched through its relaxed form where it has one.
    pub(crate) fn relaxing(pattern: &str) -> LazyRegex {
        LazyRegex {
            search: Search::Relaxed,
            ..LazyRegex::new(pattern)
        }
    }

    /// The exact regex, built now if this is its first use.
    ///
    /// # Panics
    ///
    /// When the pattern exceeds regex-automata's size limits. Large
    /// patterns of rule files given by users are built eagerly
    /// ([`CompiledRule::build_now`]) so that this is reported as an error
    /// instead, small ones cannot exceed them (`surely_builds`); the
    /// built-in pack is built whole by the test suite.
    pub fn get(&self) -> &Regex {
        self.regex.get_or_init(|| {
            let mut builder = regex_builder();
            if self.search == Search::Anchored {
                builder.configure(Regex::config().hybrid(false).dfa(false));
            }
            builder
                .build(&self.pattern)
                .expect("pattern built when the scanner was checked")
        })
    }

    fn relaxed(&self) -> Option<&RelaxedRegex> {
        if self.search != Search::Relaxed {
            return None;
        }
        self.relaxed
            .get_or_init(|| {
                let relaxed = relaxed_form(&self.pattern)?;
                // Smaller than the exact regex, which the scanner's checks
                // built (or proved small enough to build).
                let regex = regex_builder()
                    .build_from_hir(&relaxed.hir)
                    .expect("a relaxed pattern builds where its original does");
                let info = regex.group_info();
                let index = |name: &str| info.to_index(regex_automata::PatternID::ZERO, name);
                Some(RelaxedRegex {
                    bounds: relaxed
                        .bounds
                        .iter()
                        .map(|(name, max)| (index(name).expect("relaxed groups are named"), *max))
                        .collect(),
                    secret: index("secret"),
                    regex,
                })
            })
            .as_ref()
    }

    /// The leftmost-first match of the pattern in `input`, and the span of
    /// its `secret_group` (the exact regex's group index), if it took part.
    ///
    /// Exactly the exact regex's answer. Cost: one search of the relaxed
    /// regex (where there is one) and, per match, an anchored capture
    /// search of the match; the exact regex's own search only for a match
    /// whose relaxed repetitions ran past their bounds.
    pub fn find(
        &self,
        input: &regex_automata::Input<'_>,
        secret_group: Option<usize>,
        scratch: &mut FindScratch,
    ) -> Option<(std::ops::Range<usize>, Option<std::ops::Range<usize>>)> {
        let over = |range: std::ops::Range<usize>| {
            regex_automata::Input::new(input.haystack())
                .range(range)
                .anchored(regex_automata::Anchored::Yes)
        };
        if let Some(relaxed) = self.relaxed() {
            // A superset: no match of it, none of the original.
            let m = relaxed.regex.search(input)?;
            let caps = scratch
                .relaxed
                .get_or_insert_with(|| relaxed.regex.create_captures());
            relaxed.regex.search_captures(&over(m.range()), caps);
            let within = relaxed
                .bounds
                .iter()
                .all(|&(group, max)| caps.get_group(group).map_or(true, |s| s.len() <= max));
            if within {
                let secret = secret_group
                    .and(relaxed.secret)
                    .and_then(|g| caps.get_group(g))
                    .map(|s| s.range());
                return Some((m.range(), secret));
            }
        }
        let regex = self.get();
        let m = regex.search(input)?;
        let secret = secret_group.and_then(|group| {
            let caps = scratch.exact.get_or_insert_with(|| regex.create_captures());
            regex.search_captures(&over(m.range()), caps);
            caps.get_group(group).map(|s| s.range())
        });
        Some((m.range(), secret))
    }
}

/// A rule's probe DFA (see [`CompiledRule::probe`]), built on first use.
#[derive(Debug)]
pub(crate) struct LazyProbe {
    pattern: String,
    /// `LeftmostFirst` for a rule's own pattern; `All` for a superset of
    /// several rules' patterns (whose priorities mean nothing), or of the
    /// rule's own ([`Relaxed`]): a leftmost-first DFA may die early at a
    /// match only the superset has, an `All` one dies only when every
    /// thread of the superset has, and so every thread of the pattern.
    kind: MatchKind,
    /// Built from the pattern's [`Relaxed`] form where it has one.
    relax: bool,
    dfa: std::sync::OnceLock<hybrid::dfa::DFA>,
}

impl LazyProbe {
    pub(crate) fn new(pattern: &str, kind: MatchKind) -> LazyProbe {
        LazyProbe {
            pattern: pattern.to_string(),
            kind,
            relax: false,
            dfa: std::sync::OnceLock::new(),
        }
    }

    /// The probe of a rule whose pattern has a [`Relaxed`] form: a
    /// superset's, with `All` semantics.
    pub(crate) fn relaxed(pattern: &str) -> LazyProbe {
        LazyProbe {
            relax: true,
            ..LazyProbe::new(pattern, MatchKind::All)
        }
    }

    /// The DFA, built now if this is its first use.
    ///
    /// # Panics
    ///
    /// As [`LazyRegex::get`].
    pub fn get(&self) -> &hybrid::dfa::DFA {
        self.dfa.get_or_init(|| {
            self.build()
                .expect("probe built when the scanner was checked")
        })
    }

    fn build(&self) -> Result<hybrid::dfa::DFA, String> {
        match self.relax.then(|| relaxed_form(&self.pattern)).flatten() {
            Some(relaxed) => {
                let nfa = regex_automata::nfa::thompson::Compiler::new()
                    .configure(
                        regex_automata::nfa::thompson::Config::new()
                            .utf8(false)
                            .which_captures(regex_automata::nfa::thompson::WhichCaptures::None),
                    )
                    .build_from_hir(&relaxed.hir)
                    .map_err(|e| e.to_string())?;
                probe_builder(self.kind)
                    .build_from_nfa(nfa)
                    .map_err(|e| e.to_string())
            }
            None => build_probe(&self.pattern, self.kind).map_err(|e| e.to_string()),
        }
    }
}

fn probe_builder(kind: MatchKind) -> hybrid::dfa::Builder {
    let mut builder = hybrid::dfa::DFA::builder();
    builder.syntax(syntax_config()).configure(
        hybrid::dfa::DFA::config()
            .match_kind(kind)
            .cache_capacity(2 * 1024 * 1024),
    );
    builder
}

fn build_probe(
    pattern: &str,
    kind: MatchKind,
) -> Result<hybrid::dfa::DFA, Box<hybrid::BuildError>> {
    probe_builder(kind).build(pattern).map_err(Box::new)
}

/// One rule, compiled.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub regex: LazyRegex,
    /// Capture group index of `secret`, if the pattern has one.
    pub secret_group: Option<usize>,
    /// Maximum match length in bytes.
    pub max_len: u64,
    /// Every match begins with one of the rule's keywords, so a match can
    /// only start where a keyword hit starts.
    pub starts_with_keyword: bool,
    /// Every match begins with one of the rule's keywords exactly as
    /// written (same case), so hits in another case can be skipped.
    pub exact_keywords: bool,
    /// Every match begins at an ASCII word boundary (`\b…`), so a hit
    /// whose first byte is a word byte preceded by a word byte (`ghp_` in
    /// `xghp_`, `nfo_` in `info_`) cannot start one.
    pub boundary_before: bool,
    /// For a multi-line rule whose matches begin at a keyword: a lazy DFA
    /// run anchored at a hit, to learn when every match from there is
    /// decided (the DFA dies). A closed PEM block is then let go at its END
    /// line instead of after `max_len` more bytes.
    pub probe: Option<Arc<LazyProbe>>,
    /// A provider row's two-step matcher (see [`crate::engine::rows`]):
    /// anchored searches use it, and the whole regex only where it cannot
    /// tell.
    pub row: Option<RowMatcher>,
    /// The pattern is small enough (see [`SURELY_BUILDS`]) that building
    /// its engines cannot fail, so they can be built on first use even for
    /// rules whose errors must surface when the scanner is built.
    pub surely_builds: bool,
    /// The bytes a match can contain. Any other byte ends every match in
    /// progress; for most token rules a space or quote does, for almost every
    /// rule a newline does.
    pub alphabet: ByteSet,
    /// What [`CompiledRule::judge`] reads of the rule.
    pub judging: Judging,
    /// This is a rule's glued variant (see [`glued_pattern`]): its matches
    /// are `low` unless a checksum proves them.
    pub glued: bool,
}

/// Builds a regex for `pattern` with the engine's configuration.
pub(crate) fn build_regex(pattern: &str) -> Result<Regex, Box<meta::BuildError>> {
    regex_builder().build(pattern).map_err(Box::new)
}

/// The engine's regex configuration.
fn regex_builder() -> meta::Builder {
    let mut builder = Regex::builder();
    builder.syntax(syntax_config()).configure(
        Regex::config()
            .utf8_empty(false)
            // NOTE: a ceiling, per thread and per rule, not an
            // allocation: caches grow only as states are built. Rules with
            // long counted repetitions (jwt, private-key) need many
            // states; at 2 MiB their caches were cleared and rebuilt on
            // text dense with keys (29 vs 48 MiB/s on scan/dense), while
            // redact's peak RSS stays at 25-28 MiB either way.
            .hybrid_cache_capacity(8 * 1024 * 1024),
    );
    builder
}

/// The fields of a rule that judging a match reads, copied once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Judging {
    pub min_entropy: Option<f64>,
    pub reject_placeholders: bool,
    pub looks_random: bool,
    pub confidence: crate::rules::Confidence,
    pub validate: Option<crate::rules::validators::Check>,
}

impl Judging {
    fn of(rule: &Rule) -> Judging {
        Judging {
            min_entropy: rule.min_entropy,
            reject_placeholders: rule.reject_placeholders,
            looks_random: rule.looks_random,
            confidence: rule.confidence,
            validate: rule.validate,
        }
    }
}

/// Compiles one rule.
pub(crate) fn compile_rule(rule: &Rule) -> Result<CompiledRule, Error> {
    compile_rule_and_glue(rule).map(|(c, _)| c)
}

/// [`compile_rule`], and whether the rule may have a glued variant
/// ([`may_glue`]: if not, [`glued_pattern`] need not parse it again).
fn compile_rule_and_glue(rule: &Rule) -> Result<(CompiledRule, bool), Error> {
    let fail = |reason| Error::Rule {
        origin: rule.origin.clone(),
        rule_id: rule.id.to_string(),
        reason,
    };
    if rule.keywords.is_empty() {
        return Err(fail(RuleProblem::NoKeyword));
    }
    if let Some(i) = rule.keywords.iter().position(String::is_empty) {
        return Err(fail(RuleProblem::EmptyKeyword(i)));
    }
    let hir = parse_hir(&rule.pattern).map_err(|e| fail(RuleProblem::Regex(e.to_string())))?;
    let props = hir.properties();
    let max_len = props
        .maximum_len()
        .ok_or_else(|| fail(RuleProblem::Unbounded))?;
    if max_len > MAX_MATCH_LEN {
        return Err(fail(RuleProblem::TooLong {
            len: max_len,
            limit: MAX_MATCH_LEN,
        }));
    }
    if props.minimum_len() == Some(0) || max_len == 0 {
        return Err(fail(RuleProblem::EmptyMatch));
    }
    if let Some(min) = secret_group_min_len(&hir) {
        if min == 0 {
            return Err(fail(RuleProblem::EmptySecret));
        }
    }
    let (secret_group, other_name) = capture_names(&hir);
    if let Some(name) = other_name {
        return Err(fail(RuleProblem::Regex(format!(
            "unknown capture group name '{name}': the only named group is 'secret' (use (?:...) to group)"
        ))));
    }
    let keywords: Vec<Vec<u8>> = rule
        .keywords
        .iter()
        .map(|k| k.as_bytes().to_ascii_lowercase())
        .collect();
    let starts_with_keyword = match lowered_prefixes(&hir) {
        Some(prefixes) => prefixes
            .iter()
            .all(|p| keywords.iter().any(|k| p.starts_with(k))),
        None => false,
    };
    // Keywords the pattern spells in one case only (`ghp_`, `AKIA`, `MII`)
    // are matched in that case: every match begins with one of them as
    // written, so a hit in another case (`mil` in "family") cannot start
    // one, and need not cost a confirm.
    let exact_keywords = starts_with_keyword
        && prefix_strings(&hir, false).is_some_and(|prefixes| {
            prefixes
                .iter()
                .all(|p| rule.keywords.iter().any(|k| p.starts_with(k.as_bytes())))
        });
    let boundary_before = starts_with_keyword && starts_at_word_boundary(&hir);
    // The prefilter only looks where a keyword occurs: a match without one
    // would be missed, and the engine would disagree with the oracle.
    if !starts_with_keyword && !always_contains(&hir, &keywords) {
        return Err(fail(RuleProblem::KeywordNotRequired));
    }
    let alphabet = match_alphabet(&hir);
    let relaxes = has_relaxable_counts(&hir);
    let probe = (starts_with_keyword && alphabet.contains(b'\n')).then(|| {
        Arc::new(if relaxes {
            LazyProbe::relaxed(&rule.pattern)
        } else {
            LazyProbe::new(&rule.pattern, MatchKind::LeftmostFirst)
        })
    });
    let compiled = CompiledRule {
        regex: if relaxes {
            LazyRegex::relaxing(&rule.pattern)
        } else {
            LazyRegex::new(&rule.pattern)
        },
        probe,
        row: None,
        surely_builds: nfa_weight(&hir) <= SURELY_BUILDS,
        secret_group,
        max_len: max_len as u64,
        starts_with_keyword,
        exact_keywords,
        boundary_before,
        alphabet,
        judging: Judging::of(rule),
        glued: false,
    };
    Ok((compiled, may_glue(&hir)))
}

/// Compiles a provider row from its generator's word (a [`ShapeHint`]
/// with [`RowParts`](crate::rules::provider::RowParts)), without parsing its
/// pattern: what the matcher needs is stated by the hint or shared by every
/// row (a unit test checks each fact against [`compile_rule`]'s analysis).
///
/// Cost: a few allocations; the row's value regex is built on its first
/// use, its contexts' automata are shared.
fn compile_row(rule: &Rule, max_len: u64, row: RowMatcher) -> CompiledRule {
    CompiledRule {
        regex: LazyRegex::new(&rule.pattern),
        probe: Some(crate::engine::rows::row_probe()),
        row: Some(row),
        surely_builds: true,
        // The pattern's only group.
        secret_group: Some(1),
        max_len,
        starts_with_keyword: true,
        exact_keywords: false,
        boundary_before: false,
        // Every byte: a superset only delays settling, and the shared probe
        // releases a row's hit at the end of its line.
        alphabet: ByteSet::all(),
        judging: Judging::of(rule),
        glued: false,
    }
}

/// The shortest literal prefix that makes a fixed-length token distinctive
/// enough to be recognised when it runs on into the text after it.
const GLUED_MIN_PREFIX: usize = 4;

/// The shortest fixed-length secret given a glued variant.
const GLUED_MIN_LEN: usize = 16;

/// Whether [`glued_pattern`] can find a variant of a pattern parsed as
/// `hir`: a necessary condition read off the syntax tree (a top-level
/// `secret` group of one fixed length of at least [`GLUED_MIN_LEN`] with
/// something after it, or a fixed-length match of that size followed by
/// assertions), so that the pattern is parsed again, as text, only where it
/// might qualify. A unit test checks the implication on the whole pack.
fn may_glue(hir: &Hir) -> bool {
    let HirKind::Concat(items) = hir.kind() else {
        return false;
    };
    let fixed_at_least = |hirs: &[Hir], min: usize| {
        let (mut lo, mut hi) = (0usize, 0usize);
        for h in hirs {
            let p = h.properties();
            match (p.minimum_len(), p.maximum_len()) {
                (Some(a), Some(b)) => {
                    lo += a;
                    hi += b;
                }
                _ => return false,
            }
        }
        lo == hi && lo >= min
    };
    let is_secret =
        |h: &Hir| matches!(h.kind(), HirKind::Capture(c) if c.name.as_deref() == Some("secret"));
    match items.iter().position(is_secret) {
        Some(k) => k + 1 < items.len() && fixed_at_least(&items[k..=k], GLUED_MIN_LEN),
        None => {
            let Some(k) = items
                .iter()
                .rposition(|h| !matches!(h.kind(), HirKind::Look(_)))
            else {
                return false;
            };
            k + 1 < items.len() && fixed_at_least(&items[..=k], GLUED_MIN_LEN)
        }
    }
}

/// The pattern of a rule's glued variant, if the rule has one: `pattern`
/// cut right after its secret.
///
/// A rule qualifies when its secret (the `secret` group, or the whole
/// match) has one fixed length of at least [`GLUED_MIN_LEN`] bytes, every
/// secret begins with a literal of at least [`GLUED_MIN_PREFIX`] bytes,
/// and something follows the secret at the pattern's top level: an end
/// guard (`\b`, `(?:[^A-Za-z0-9]|$)`) that fails where a log formatter
/// glued the next field on (`AKIA…status=200`, `ghp_…ERROR`). The variant
/// finds exactly the token's length there; its matches are `low` (see
/// [`CompiledRule::judge`]) and rank below the rule's own, so where the
/// guard holds the rule's own finding stands alone.
///
/// One mechanism for every rule, built-in or not; rules whose shape the
/// generator stated ([`ShapeHint`](crate::rules::ShapeHint): keyword-led
/// provider rows, whose values have no prefix of their own) have none.
pub(crate) fn glued_pattern(pattern: &str) -> Option<String> {
    use regex_syntax::ast::{parse::Parser, Ast, GroupKind};
    let ast = Parser::new().parse(pattern).ok()?;
    let Ast::Concat(concat) = &ast else {
        return None;
    };
    let items = &concat.asts;
    let is_secret = |a: &Ast| {
        matches!(a, Ast::Group(g) if matches!(&g.kind,
            GroupKind::CaptureName { name, .. } if name.name == "secret"))
    };
    let (cut, secret) = match items.iter().position(is_secret) {
        Some(k) => {
            let span = items[k].span();
            (k, &pattern[span.start.offset..span.end.offset])
        }
        // The whole match is the secret: only assertions may follow it.
        None => {
            let k = items
                .iter()
                .rposition(|a| !matches!(a, Ast::Assertion(_)))?;
            (k, &pattern[..items[k].span().end.offset])
        }
    };
    if cut + 1 == items.len() {
        return None;
    }
    // NOTE: flags set before the secret group (`(?i)`) do not apply to the
    // group parsed alone; only lengths and the prefix are read from it.
    let hir = parse_hir(secret).ok()?;
    let props = hir.properties();
    let len = props.maximum_len()?;
    if props.minimum_len() != Some(len) || len < GLUED_MIN_LEN {
        return None;
    }
    let prefixes = prefix_strings(&hir, false)?;
    if prefixes.is_empty() || prefixes.iter().any(|p| p.len() < GLUED_MIN_PREFIX) {
        return None;
    }
    Some(pattern[..items[cut].span().end.offset].to_string())
}

/// Patterns whose [`nfa_weight`] is at most this build far inside the regex
/// engine's limits (its NFA size limit is 10 MB; the lazy DFAs' minimum
/// cache sizes grow with the NFA, and at this size stay well below the
/// capacities configured here), so building them can be left to first use.
const SURELY_BUILDS: u64 = 4096;

/// An upper bound, up to a small constant factor, on the number of NFA
/// states `hir` compiles to: counted repetitions unrolled, each literal
/// byte and class one state.
fn nfa_weight(hir: &Hir) -> u64 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) => 1,
        HirKind::Literal(lit) => lit.0.len() as u64,
        HirKind::Capture(c) => 1 + nfa_weight(&c.sub),
        HirKind::Repetition(r) => {
            let times = u64::from(r.max.unwrap_or(r.min).max(r.min).max(1));
            1 + times.saturating_mul(nfa_weight(&r.sub))
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().map(nfa_weight).fold(1, u64::saturating_add)
        }
    }
}

/// A secret that passed its rule's validators: how sure the finding is, and
/// what (if anything) was verified offline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub confidence: Confidence,
    pub validation: Option<Validation>,
    pub doubt: Option<Doubt>,
}

impl CompiledRule {
    /// Runs this rule's validators on `secret`, matched after `name` (the
    /// bytes of the match before the secret: `api_key = "`): `None` when it
    /// is not a finding. The randomness test of a rule that declares it
    /// weighs the name (a digest-shaped value assigned to `secret` is a
    /// key) and raises a `low` rule's finding to `medium` when the value is
    /// clearly random. Cost: one pass over the secret per declared validator.
    ///
    /// A failed offline check does not drop the match: the secret has the
    /// provider's exact shape, so it is a `low` finding with
    /// [`Doubt::CheckFailed`], which redaction removes and a default report
    /// leaves out. A glued variant's match is `low` with [`Doubt::Glued`]
    /// unless a checksum passed (a 6-digit CRC matching by chance is
    /// rarer than a glued token).
    pub(crate) fn judge(&self, name: &[u8], secret: &[u8]) -> Option<Verdict> {
        if let Some(min) = self.judging.min_entropy {
            if shannon_entropy(secret) < min {
                return None;
            }
        }
        // A generic (`low`) rule's values have no documented prefix: a
        // marker word anywhere in them counts.
        let generic = self.judging.confidence == Confidence::Low;
        if self.judging.reject_placeholders && is_placeholder_in(secret, !generic) {
            return None;
        }
        let mut verdict = Verdict {
            confidence: self.judging.confidence,
            validation: None,
            doubt: None,
        };
        if self.judging.looks_random {
            // The name outweighs the shape only for generic rules: a
            // provider row's name is in every match of it.
            match randomness_named(if generic { name } else { b"" }, secret) {
                Randomness::Structured => return None,
                Randomness::Random if verdict.confidence == Confidence::Low => {
                    verdict.confidence = Confidence::Medium;
                }
                _ => {}
            }
        }
        if let Some(check) = self.judging.validate {
            match check.run(secret) {
                Some(false) => {
                    verdict.confidence = Confidence::Low;
                    verdict.doubt = Some(Doubt::CheckFailed);
                }
                Some(true) => {
                    verdict.validation = Some(check.kind());
                    if verdict.confidence == Confidence::Medium {
                        verdict.confidence = Confidence::High;
                    }
                }
                None => {}
            }
        }
        if self.glued && verdict.doubt.is_none() && verdict.validation != Some(Validation::Checksum)
        {
            verdict = Verdict {
                confidence: Confidence::Low,
                validation: None,
                doubt: Some(Doubt::Glued),
            };
        }
        Some(verdict)
    }

    /// Builds the regex and probe now instead of on first use, reporting a
    /// pattern that exceeds the engine's size limits as an error.
    pub(crate) fn build_now(&self, rule: &Rule) -> Result<(), Error> {
        let fail = |e: String| Error::Rule {
            origin: rule.origin.clone(),
            rule_id: rule.id.to_string(),
            reason: RuleProblem::Regex(e),
        };
        let regex = build_regex(&rule.pattern).map_err(|e| fail(e.to_string()))?;
        let _ = self.regex.regex.set(regex);
        if let Some(probe) = &self.probe {
            let dfa = probe.build().map_err(fail)?;
            let _ = probe.dfa.set(dfa);
        }
        if let Some(row) = &self.row {
            row.build_now();
        }
        Ok(())
    }
}

/// A rule's [`CompiledRule`]: compiled with the scanner, or, for a rule of
/// the built-in pack whose generator stated its shape (a
/// [`ShapeHint`](crate::rules::ShapeHint)), when first used.
///
/// A thousand provider rows are most of the pack's patterns and a scan
/// wakes few of them; parsing and analysing them all made start-up grow
/// with the pack (1,100 rows: ~85 ms on 2 cores). What the scanner needs
/// of every rule up front (whether matches begin at a keyword, the longest
/// match) the hint states; the rest waits for the rule's first keyword.
/// Dereferencing compiles a deferred rule (once; about 70 µs).
#[derive(Debug)]
pub(crate) struct RuleSlot {
    compiled: std::sync::OnceLock<CompiledRule>,
    /// The fields of the rule that compiling reads, for a deferred rule.
    deferred: Option<Box<Rule>>,
    /// A deferred provider row's two-step matcher, its contexts shared.
    row: Option<RowMatcher>,
    /// Every match begins at one of the rule's keywords.
    pub starts_with_keyword: bool,
    /// An upper bound on the rule's `max_len`.
    pub max_len_bound: u64,
    /// A deferred glued variant (its matches `low`, see
    /// [`CompiledRule::glued`]).
    glued: bool,
}

impl RuleSlot {
    fn now(compiled: CompiledRule) -> RuleSlot {
        RuleSlot {
            starts_with_keyword: compiled.starts_with_keyword,
            max_len_bound: compiled.max_len,
            compiled: std::sync::OnceLock::from(compiled),
            deferred: None,
            row: None,
            glued: false,
        }
    }

    /// A slot compiled on first use, on the word of `max_len_bound`.
    fn deferred(rule: Rule, max_len_bound: u64, glued: bool) -> RuleSlot {
        RuleSlot {
            compiled: std::sync::OnceLock::new(),
            deferred: Some(Box::new(rule)),
            row: None,
            starts_with_keyword: true,
            max_len_bound,
            glued,
        }
    }

    /// Whether the rule has been compiled (deferred ones: used).
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }
}

impl std::ops::Deref for RuleSlot {
    type Target = CompiledRule;

    fn deref(&self) -> &CompiledRule {
        self.compiled.get_or_init(|| {
            let rule = self
                .deferred
                .as_deref()
                .expect("a slot is compiled or deferred");
            match &self.row {
                Some(row) => compile_row(rule, self.max_len_bound, row.clone()),
                None => {
                    let mut c = compile_rule(rule)
                        .expect("the built-in pack compiles (the test suite compiles it whole)");
                    c.glued = self.glued;
                    c
                }
            }
        })
    }
}

/// Whether `rule` may wait for its first use: a built-in rule whose
/// generator stated its shape.
fn deferrable(rule: &Rule) -> Option<&crate::rules::ShapeHint> {
    rule.shape_hint
        .as_ref()
        .filter(|_| rule.origin.is_builtin())
}

/// A rule's glued variant: the rule it belongs to, and its own rule (the
/// same fields, the cut pattern; no examples).
#[derive(Debug)]
pub(crate) struct Variant {
    pub base: usize,
    pub rule: Rule,
}

/// A light copy of `rule` with `pattern`: what compiling reads.
fn shadow(rule: &Rule, pattern: String) -> Rule {
    Rule {
        id: rule.id.clone(),
        name: String::new(),
        pattern,
        keywords: rule.keywords.clone(),
        priority: rule.priority,
        min_entropy: rule.min_entropy,
        reject_placeholders: rule.reject_placeholders,
        confidence: rule.confidence,
        validate: rule.validate,
        provider: None,
        shape_hint: rule.shape_hint.clone(),
        looks_random: rule.looks_random,
        overrides: vec![],
        rotate: None,
        examples: Default::default(),
        negative_examples: Default::default(),
        origin: rule.origin.clone(),
    }
}

/// Every rule compiled (deferring what [`RuleSlot`] may), then the glued
/// variants of those that have one, and the prefilter over all of them.
pub(crate) struct Compiled {
    /// One slot per rule, in order, then one per variant.
    pub slots: Vec<RuleSlot>,
    /// The variants, in slot order (slot `rules.len() + i` is `variants[i]`).
    pub variants: Vec<Variant>,
    pub prefilter: Prefilter,
}

/// Compiles every rule (deferring what [`RuleSlot`] may), their glued
/// variants, and the shared prefilter.
pub(crate) fn compile_all(rules: &[Rule]) -> Result<Compiled, Error> {
    // Rules compile independently: across the cores, then the first error
    // in rule order, so errors stay deterministic.
    use rayon::prelude::*;
    let compiled = rules
        .par_iter()
        .map(|rule| match deferrable(rule) {
            Some(hint) => {
                let slot =
                    RuleSlot::deferred(shadow(rule, rule.pattern.clone()), hint.max_len, false);
                let variant = hint.glued.as_ref().map(|(cut, glued)| {
                    let mut variant = shadow(rule, rule.pattern[..*cut].to_string());
                    variant.shape_hint = Some((**glued).clone());
                    let slot = RuleSlot::deferred(variant.clone(), glued.max_len, true);
                    (variant, slot)
                });
                Ok((slot, variant))
            }
            None => {
                let (compiled, may_glue) = compile_rule_and_glue(rule)?;
                let slot = RuleSlot::now(compiled);
                // A variant that does not compile on its own (its keyword
                // was required only after the cut) is simply not made.
                let glued = may_glue.then(|| glued_pattern(&rule.pattern)).flatten();
                let variant = glued.and_then(|p| {
                    let shadow = shadow(rule, p);
                    let mut c = compile_rule(&shadow).ok()?;
                    c.glued = true;
                    Some((shadow, RuleSlot::now(c)))
                });
                Ok((slot, variant))
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<_>, Error>>()?;
    let mut slots = Vec::with_capacity(compiled.len());
    let (mut variants, mut variant_slots) = (vec![], vec![]);
    // Rows of one kind share their contexts' automata.
    let mut contexts = crate::engine::rows::Contexts::default();
    for (base, (mut slot, variant)) in compiled.into_iter().enumerate() {
        if !slot.is_compiled() {
            if let Some(parts) = deferrable(&rules[base]).and_then(|h| h.row.as_deref()) {
                slot.row = Some(contexts.matcher(parts));
            }
        }
        slots.push(slot);
        if let Some((rule, slot)) = variant {
            variants.push(Variant { base, rule });
            variant_slots.push(slot);
        }
    }
    slots.extend(variant_slots);
    let all: Vec<&Rule> = rules
        .iter()
        .chain(variants.iter().map(|v| &v.rule))
        .collect();
    let keywords: Vec<crate::engine::prefilter::KeywordUse> = all
        .iter()
        .zip(&slots)
        .map(|(r, slot)| match slot.compiled.get() {
            Some(c) => crate::engine::prefilter::KeywordUse {
                keywords: r.keywords.clone(),
                exact: c.exact_keywords,
                boundary_before: c.boundary_before,
                led_pattern: c.starts_with_keyword.then(|| r.pattern.clone()),
            },
            // As the hint states: keyword-led. A row's hits need no follow
            // set: the shared context automaton turns a hit no match can
            // start at away in a few steps, where the follow set's DFA cost
            // a parse of the whole pattern.
            None => crate::engine::prefilter::KeywordUse {
                keywords: r.keywords.clone(),
                exact: r.shape_hint.as_ref().is_some_and(|h| h.exact_keywords),
                boundary_before: r.shape_hint.as_ref().is_some_and(|h| h.boundary_before),
                led_pattern: slot.row.is_none().then(|| r.pattern.clone()),
            },
        })
        .collect();
    Ok(Compiled {
        slots,
        variants,
        prefilter: Prefilter::new(&keywords),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The deferral is sound only if each hint says what the compiler
    /// would have found: checked on every hinted rule of the pack.
    #[test]
    fn shape_hints_agree_with_the_analysis() {
        let rules = crate::rules::RuleSet::builtin();
        let mut hinted = 0;
        for rule in rules.rules() {
            let Some(hint) = &rule.shape_hint else {
                continue;
            };
            hinted += 1;
            let c = compile_rule(rule).unwrap();
            assert!(c.starts_with_keyword, "{}", rule.id);
            assert_eq!(c.exact_keywords, hint.exact_keywords, "{}", rule.id);
            assert_eq!(c.boundary_before, hint.boundary_before, "{}", rule.id);
            assert_eq!(c.max_len, hint.max_len, "{}", rule.id);
            // Rows get no glued variant.
            let glued = hint
                .row
                .is_none()
                .then(|| glued_pattern(&rule.pattern))
                .flatten();
            assert_eq!(
                glued.as_ref().map(String::len),
                hint.glued.as_ref().map(|g| g.0),
                "{}",
                rule.id
            );
            if let (Some(pattern), Some((_, vh))) = (glued, &hint.glued) {
                hinted += 1;
                let v = compile_rule(&shadow(rule, pattern)).unwrap();
                assert!(v.starts_with_keyword, "{}", rule.id);
                assert_eq!(
                    (v.max_len, v.exact_keywords, v.boundary_before),
                    (vh.max_len, vh.exact_keywords, vh.boundary_before),
                    "{}",
                    rule.id
                );
            }
            // What compile_row states without parsing.
            if let Some(parts) = &hint.row {
                let row = compile_row(
                    rule,
                    hint.max_len,
                    crate::engine::rows::Contexts::default().matcher(parts),
                );
                assert_eq!(row.secret_group, c.secret_group, "{}", rule.id);
                assert!(c.probe.is_some() && row.probe.is_some(), "{}", rule.id);
            }
        }
        assert!(hinted > 1000, "{hinted} hinted rules");
        let slots = compile_all(rules.rules()).unwrap().slots;
        let deferred = slots.iter().filter(|s| !s.is_compiled()).count();
        assert_eq!(deferred, hinted);
        // A deferred rule compiles on first use, to the same facts.
        let slot = slots.iter().find(|s| !s.is_compiled()).unwrap();
        assert!(slot.max_len == slot.max_len_bound && slot.is_compiled());
    }

    /// `patterns/shape-facts.txt` as the compiler finds the pack now.
    fn builtin_facts_text() -> String {
        let mut out = String::from("# generated: see src/rules/facts.rs\n");
        let hint_of = |c: &CompiledRule| crate::rules::ShapeHint {
            max_len: c.max_len,
            exact_keywords: c.exact_keywords,
            boundary_before: c.boundary_before,
            glued: None,
            row: None,
        };
        'rules: for rule in crate::rules::RuleSet::builtin().rules() {
            if rule.shape_hint.as_ref().is_some_and(|h| h.row.is_some()) {
                continue;
            }
            let c = compile_rule(rule).unwrap();
            if !c.starts_with_keyword {
                continue;
            }
            let mut hint = hint_of(&c);
            if let Some(pattern) = glued_pattern(&rule.pattern) {
                match compile_rule(&shadow(rule, pattern.clone())) {
                    Ok(v) if v.starts_with_keyword => {
                        hint.glued = Some((pattern.len(), Box::new(hint_of(&v))));
                    }
                    // A variant compiled at start-up keeps its rule there.
                    Ok(_) => continue 'rules,
                    Err(_) => {}
                }
            }
            out.push_str(&crate::rules::facts::line(&rule.id, &rule.pattern, &hint));
            out.push('\n');
        }
        out
    }

    /// The recorded facts are the compiler's (a stale file only costs
    /// start-up time, but should not stay stale).
    #[test]
    fn builtin_shape_facts_are_current() {
        let text = builtin_facts_text();
        if std::env::var_os("SECRETSCAN_WRITE_FACTS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/patterns/shape-facts.txt");
            std::fs::write(path, &text).unwrap();
            return;
        }
        assert!(
            text == crate::rules::facts::BUILTIN_FACTS,
            "patterns/shape-facts.txt is stale: run `SECRETSCAN_WRITE_FACTS=1 cargo test --lib builtin_shape_facts` and commit it"
        );
        assert!(text.lines().count() > 300);
    }

    #[test]
    fn fixed_length_prefixed_secrets_get_a_glued_variant() {
        let cut = |p: &str| glued_pattern(p);
        assert_eq!(
            cut(r"\bghp_[A-Za-z0-9]{36}\b").as_deref(),
            Some(r"\bghp_[A-Za-z0-9]{36}")
        );
        assert_eq!(
            cut(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b").as_deref(),
            Some(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}")
        );
        // A consuming guard after the secret group goes too; context
        // before it stays.
        assert_eq!(
            cut(r"key=(?P<secret>tok_[a-z0-9]{20})(?:[^a-z0-9]|$)").as_deref(),
            Some(r"key=(?P<secret>tok_[a-z0-9]{20})")
        );
        // A length range, no prefix, a short prefix, nothing to relax,
        // a guard that is part of a secret without a group: none.
        assert_eq!(cut(r"\bgh[us]_[A-Za-z0-9]{36,255}\b"), None);
        assert_eq!(cut(r"secret=(?P<secret>[0-9a-f]{40})\b"), None);
        assert_eq!(cut(r"\bsk-[A-Za-z0-9]{40}\b"), None);
        assert_eq!(cut(r"\bghp_[A-Za-z0-9]{36}"), None);
        assert_eq!(cut(r"ghp_[A-Za-z0-9]{36}(?:[^a-z]|$)"), None);
        assert_eq!(cut(r"\btok_[a-z]{4}\b"), None);
    }

    /// Streams hold back by the longest match: a variant, a prefix of its
    /// rule's pattern, never raises it.
    #[test]
    fn glued_variants_of_the_pack_keep_the_length_bound() {
        let rules = crate::rules::RuleSet::builtin();
        let all = compile_all(rules.rules()).unwrap();
        assert!(all.variants.len() > 20, "{} variants", all.variants.len());
        let n = rules.rules().len();
        for (i, v) in all.variants.iter().enumerate() {
            let (own, glued) = (&all.slots[v.base], &all.slots[n + i]);
            assert!(glued.glued && !own.glued, "{}", v.rule.id);
            assert!(glued.max_len <= own.max_len_bound, "{}", v.rule.id);
            assert!(glued.starts_with_keyword || !own.starts_with_keyword);
        }
        assert!(all.variants.iter().any(|v| &*v.rule.id == "github-pat"));
        assert!(all
            .variants
            .iter()
            .any(|v| &*v.rule.id == "aws-access-key-id"));
    }

    #[test]
    fn the_glue_precheck_never_turns_a_variant_away() {
        let mut variants = 0;
        for rule in crate::rules::RuleSet::builtin().rules() {
            if glued_pattern(&rule.pattern).is_some() {
                variants += 1;
                assert!(may_glue(&parse_hir(&rule.pattern).unwrap()), "{}", rule.id);
            }
        }
        assert!(variants > 20, "{variants} variants");
        // And it turns most rules away.
        assert!(!may_glue(
            &parse_hir(r"(?i)password\s*=\s*(?P<secret>\S{8,64})").unwrap()
        ));
        assert!(may_glue(&parse_hir(r"AKIA[0-9A-Z]{16}\b").unwrap()));
    }

    #[test]
    fn small_patterns_are_left_to_first_use_and_large_ones_are_not() {
        let weight = |p: &str| nfa_weight(&parse_hir(p).unwrap());
        assert!(weight(r"\bghp_[A-Za-z0-9]{36}\b") <= SURELY_BUILDS);
        // A private-key body: thousands of states once unrolled.
        assert!(weight(r"-----BEGIN[A-Za-z0-9+/=\s]{32,16384}?-----END") > SURELY_BUILDS);
        // Nested counts multiply.
        assert_eq!(weight(r"(?:ab{3}){2}"), 1 + 2 * (1 + 1 + (1 + 3)));
        for rule in crate::rules::RuleSet::builtin().rules() {
            let c = compile_rule(rule).unwrap();
            // The claim, on every pattern of the pack it covers.
            if c.surely_builds {
                build_regex(&rule.pattern).unwrap();
                if c.probe.is_some() {
                    build_probe(&rule.pattern, MatchKind::LeftmostFirst).unwrap();
                }
            }
        }
    }

    fn shape(pattern: &str, keywords: &[&str]) -> (bool, bool, u64) {
        let rule = Rule {
            id: "t".into(),
            name: "t".into(),
            pattern: pattern.into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            priority: 0,
            min_entropy: None,
            reject_placeholders: false,
            confidence: Default::default(),
            validate: None,
            provider: None,
            shape_hint: None,
            looks_random: false,
            overrides: vec![],
            rotate: None,
            examples: Default::default(),
            negative_examples: Default::default(),
            origin: crate::error::Origin("t.toml".into()),
        };
        let c = compile_rule(&rule).unwrap();
        (
            c.starts_with_keyword,
            !c.alphabet.contains(b'\n'),
            c.max_len,
        )
    }

    #[test]
    fn derives_shape() {
        assert_eq!(
            shape(r"\bghp_[A-Za-z0-9]{36}\b", &["ghp_"]),
            (true, true, 40)
        );
        assert_eq!(
            shape(
                r"(?i)(?:pass(?:word)?|pwd)[ \t]{0,3}=[^\s]{8,20}",
                &["pass", "pwd"]
            ),
            (true, true, 32)
        );
        assert_eq!(
            shape(r"[a-z]{0,4}AKIA[A-Z0-9]{16}", &["akia"]),
            (false, true, 24)
        );
        let (lead, nl, _) = shape(
            r"-----BEGIN KEY-----[\s\S]{1,100}?-----END KEY-----",
            &["-----begin"],
        );
        assert!(lead && !nl);
        assert!(shape(r"(?:sk|rk)_live_[a-z]{4}", &["sk_live_", "rk_live_"]).0);
        // Not keyword-led, but every match contains the keyword.
        assert!(!shape(r"[0-9]{0,4}(?:x|y)(?i:KEY)_[a-z]{2}", &["xkey_", "ykey_"]).0);
    }

    #[test]
    fn rejects_bad_patterns() {
        let err = |p: &str, kw: &[&str]| {
            let rule = Rule {
                id: "bad-rule".into(),
                name: "t".into(),
                pattern: p.into(),
                keywords: kw.iter().map(|s| s.to_string()).collect(),
                priority: 0,
                min_entropy: None,
                reject_placeholders: false,
                confidence: Default::default(),
                validate: None,
                provider: None,
                shape_hint: None,
                looks_random: false,
                overrides: vec![],
                rotate: None,
                examples: Default::default(),
                negative_examples: Default::default(),
                origin: crate::error::Origin("f.toml".into()),
            };
            compile_rule(&rule).unwrap_err().to_string()
        };
        let e = err("abc[", &["abc"]);
        assert!(
            e.contains("f.toml") && e.contains("bad-rule") && e.contains("invalid pattern"),
            "{e}"
        );
        assert!(err("abc.*", &["abc"]).contains("no maximum match length"));
        assert!(err("a?", &["a"]).contains("empty string"));
        assert!(err("abc", &[]).contains("no keyword"));
        // "rk_live_…" matches would never reach the regex.
        assert!(err("(?:sk|rk)_live_[a-z]{4}", &["sk_live_"]).contains("cannot prove"));
        assert!(err("[a-z]{2,4}_[0-9]{4}", &["key"]).contains("cannot prove"));
        assert!(err("abc(?P<secret>x?)", &["abc"]).contains("'secret'"));
    }
}
