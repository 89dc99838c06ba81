//! Guarding output before it leaves: a [`Guard`] decides per finding
//! whether a whole text passes, is redacted or is blocked; a
//! [`StreamRedactor`] redacts a stream pushed token by token.
//!
//! These are the front doors for services that hand text to someone else:
//! an agent's answer to its user, a tool's output on its way into a model's
//! context, an HTTP response body, a server-sent event.
//!
//! ```
//! use secretscan::{Action, Guard, Policy, Scanner, Verdict};
//! use secretscan::rules::Confidence;
//!
//! // Redact what looks like a key; refuse the whole answer when a key's
//! // checksum proves it real.
//! let policy = Policy::redact_all().on_confidence(Confidence::High, Action::Block);
//! let guard = Guard::new(Scanner::builtin(), policy).unwrap();
//!
//! assert!(matches!(guard.check("nothing to see here"), Verdict::Clean));
//!
//! let key = format!("sk-ant-api03-{}AA", "x7Kq2".repeat(18) + "abc");
//! match guard.check(&format!("use {key} for that")) {
//!     Verdict::Redacted { output, findings } => {
//!         assert_eq!(output, "use [REDACTED:anthropic-api-key] for that");
//!         assert_eq!(&*findings[0].rule_id, "anthropic-api-key");
//!     }
//!     other => panic!("expected a redaction, got {other:?}"),
//! }
//! ```

use std::collections::HashMap;
use std::io::Write;

use crate::engine::finding::{Finding, Redaction};
use crate::engine::redact::{apply_redactions, RedactWriter};
use crate::engine::scanner::Scanner;
use crate::rules::Confidence;

/// What a [`Guard`] does with a finding.
///
/// Ordered by severity (`Allow < Redact < Block`): where one redaction
/// covers findings with different actions, the most severe one applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Leave the secret in the text and do not report it.
    Allow,
    /// Replace the secret with `[REDACTED:<rule-id>]`.
    Redact,
    /// Refuse the whole text.
    Block,
}

/// Which [`Action`] a [`Guard`] takes for a finding: by the finding's
/// confidence, unless its rule has an action of its own.
///
/// By default, every finding is redacted ([`Policy::redact_all`]).
///
/// ```
/// use secretscan::{Action, Policy};
/// use secretscan::rules::Confidence;
///
/// let policy = Policy::redact_all()
///     .at_or_above(Confidence::High, Action::Block)
///     .on_confidence(Confidence::Low, Action::Allow)
///     .on_rule("aws-access-key-id", Action::Block);
/// assert_eq!(policy.action("github-pat", Confidence::High), Action::Block);
/// assert_eq!(policy.action("generic-password", Confidence::Low), Action::Allow);
/// assert_eq!(policy.action("aws-access-key-id", Confidence::Medium), Action::Block);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Indexed by `Confidence as usize` (`Low`, `Medium`, `High`).
    by_confidence: [Action; 3],
    by_rule: HashMap<String, Action>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::redact_all()
    }
}

fn confidence_index(c: Confidence) -> usize {
    match c {
        Confidence::Low => 0,
        Confidence::Medium => 1,
        Confidence::High => 2,
    }
}

impl Policy {
    /// Redact every finding, whatever its confidence.
    pub fn redact_all() -> Policy {
        Policy {
            by_confidence: [Action::Redact; 3],
            by_rule: HashMap::new(),
        }
    }

    /// Block on every finding, whatever its confidence.
    pub fn block_all() -> Policy {
        Policy {
            by_confidence: [Action::Block; 3],
            by_rule: HashMap::new(),
        }
    }

    /// Takes `action` for findings of exactly `confidence`.
    pub fn on_confidence(mut self, confidence: Confidence, action: Action) -> Policy {
        self.by_confidence[confidence_index(confidence)] = action;
        self
    }

    /// Takes `action` for findings of `confidence` or higher.
    pub fn at_or_above(mut self, confidence: Confidence, action: Action) -> Policy {
        for slot in &mut self.by_confidence[confidence_index(confidence)..] {
            *slot = action;
        }
        self
    }

    /// Takes `action` for every finding of rule `rule_id`, whatever its
    /// confidence. [`Guard::new`] rejects an id the scanner has no rule for.
    pub fn on_rule(mut self, rule_id: impl Into<String>, action: Action) -> Policy {
        self.by_rule.insert(rule_id.into(), action);
        self
    }

    /// The action for a finding of rule `rule_id` with `confidence`.
    pub fn action(&self, rule_id: &str, confidence: Confidence) -> Action {
        match self.by_rule.get(rule_id) {
            Some(&a) => a,
            None => self.by_confidence[confidence_index(confidence)],
        }
    }
}

/// A [`Policy`] names a rule the scanner does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy names rule '{rule_id}', which the scanner does not have")]
pub struct PolicyError {
    /// The unknown rule id.
    pub rule_id: String,
}

/// What a [`Guard`] decided about a text.
///
/// `T` is the redacted output's type: `String` from [`Guard::check`],
/// `Vec<u8>` from [`Guard::check_bytes`]. A clean text is not copied: the
/// caller passes on its own input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<T> {
    /// No finding (or only allowed ones): pass the text on as it is.
    Clean,
    /// Pass `output` on instead of the text: each finding whose action is
    /// [`Action::Redact`] replaced by `[REDACTED:<rule-id>]`.
    Redacted {
        /// The text with the secrets replaced.
        output: T,
        /// The findings that were not allowed, in order.
        findings: Vec<Finding>,
    },
    /// Do not pass the text on: a finding's action is [`Action::Block`].
    Blocked {
        /// The findings that were not allowed, in order.
        findings: Vec<Finding>,
    },
}

impl<T> Verdict<T> {
    /// Whether the text passes unchanged.
    pub fn is_clean(&self) -> bool {
        matches!(self, Verdict::Clean)
    }

    /// Whether the text must not be passed on.
    pub fn is_blocked(&self) -> bool {
        matches!(self, Verdict::Blocked { .. })
    }

    /// The findings the decision rests on (none when clean).
    pub fn findings(&self) -> &[Finding] {
        match self {
            Verdict::Clean => &[],
            Verdict::Redacted { findings, .. } | Verdict::Blocked { findings } => findings,
        }
    }
}

/// Checks whole texts against a [`Policy`]: clean, redacted or blocked.
///
/// `Send + Sync` and cheap to clone (the scanner is shared; the policy is
/// resolved into one action per rule and confidence when built): share one
/// guard across threads and async tasks.
///
/// # Cost
///
/// One batch scan ([`Scanner::scan`]) per call. A text that holds no
/// keyword of any rule — most text — costs one pass of the keyword
/// automaton and **no allocation** (once the regex engines' pooled scratch,
/// lazy DFA states included, is warm: the first calls may allocate it); a
/// keyword hit costs the scan's scratch space, and a redaction one copy of
/// the text.
#[derive(Clone, Debug)]
pub struct Guard {
    scanner: Scanner,
    policy: Policy,
    /// `actions[rule_index][confidence_index]`.
    actions: std::sync::Arc<[[Action; 3]]>,
}

impl Guard {
    /// A guard that applies `policy` to `scanner`'s findings.
    ///
    /// # Errors
    ///
    /// The policy names a rule the scanner does not have (a typo would
    /// otherwise silently leave that rule on the default action).
    pub fn new(scanner: Scanner, policy: Policy) -> Result<Guard, PolicyError> {
        if let Some(id) = policy
            .by_rule
            .keys()
            .find(|id| scanner.rule_index(id).is_none())
        {
            return Err(PolicyError {
                rule_id: id.clone(),
            });
        }
        let actions = scanner
            .rules()
            .iter()
            .map(|rule| {
                [Confidence::Low, Confidence::Medium, Confidence::High]
                    .map(|c| policy.action(&rule.id, c))
            })
            .collect();
        Ok(Guard {
            scanner,
            policy,
            actions,
        })
    }

    /// A guard that redacts every finding of the built-in rules.
    pub fn builtin() -> Guard {
        Guard::new(Scanner::builtin(), Policy::redact_all())
            .expect("the default policy names no rule")
    }

    /// The scanner.
    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// A stream redactor over this guard's scanner (streams redact every
    /// finding: see [`StreamRedactor`]).
    pub fn stream(&self) -> StreamRedactor {
        StreamRedactor::new(self.scanner.clone())
    }

    fn action_of(&self, f: &Finding) -> Action {
        match self.actions.get(f.rule_index) {
            Some(a) => a[confidence_index(f.confidence)],
            // A known value (`known:NAME`, indices past the rules): by its
            // label if the policy names it, else by its confidence.
            None => self.policy.action(&f.rule_id, f.confidence),
        }
    }

    /// Checks `text`.
    ///
    /// A redacted output is valid UTF-8: in the rare case that a rule's
    /// secret ends inside a multi-byte character, the character's remaining
    /// bytes become U+FFFD.
    pub fn check(&self, text: &str) -> Verdict<String> {
        match self.check_bytes(text.as_bytes()) {
            Verdict::Clean => Verdict::Clean,
            Verdict::Blocked { findings } => Verdict::Blocked { findings },
            Verdict::Redacted { output, findings } => Verdict::Redacted {
                output: String::from_utf8(output)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                findings,
            },
        }
    }

    /// Checks `text`, which need not be UTF-8.
    pub fn check_bytes(&self, text: &[u8]) -> Verdict<Vec<u8>> {
        let mut findings: Vec<Finding> = Vec::new();
        let mut redactions: Vec<Redaction> = Vec::new();
        self.scanner
            .scan_with(text, |f| findings.push(f), |r| redactions.push(r));
        if findings.is_empty() {
            return Verdict::Clean;
        }
        // Each redaction covers one group of overlapping findings; it takes
        // the most severe action among them. Both lists are ordered.
        let mut worst = Action::Allow;
        let mut next = 0;
        redactions.retain(|r| {
            let mut action = Action::Allow;
            while next < findings.len() && findings[next].secret.start < r.span.end {
                action = action.max(self.action_of(&findings[next]));
                next += 1;
            }
            worst = worst.max(action);
            action == Action::Redact
        });
        findings.retain(|f| self.action_of(f) != Action::Allow);
        match worst {
            Action::Allow => Verdict::Clean,
            Action::Block => Verdict::Blocked { findings },
            Action::Redact => {
                let mut output = Vec::with_capacity(text.len());
                let labels = self.scanner.known_labels();
                apply_redactions(&self.scanner, &labels, text, 0, &redactions, &mut output);
                Verdict::Redacted { output, findings }
            }
        }
    }
}

/// Redacts a stream pushed in pieces — an LLM's tokens, server-sent events,
/// a response body — returning after each push every byte that can no
/// longer be part of a secret.
///
/// Built on [`RedactWriter`], so the output is exactly
/// [`Scanner::redact`] of the whole stream, however it is split, and only
/// the bytes that could still turn out to be a secret are held back
/// (DESIGN.md's latency promise): a prefix of a keyword, or an open match.
/// On ordinary prose that is a few bytes; once a key's prefix has been seen,
/// up to that rule's longest match.
///
/// A stream cannot be blocked after the fact: every finding is redacted,
/// whatever a [`Guard`]'s policy says. Watch [`StreamRedactor::redacted`]
/// to cut a stream off after its first secret.
///
/// ```
/// let mut stream = secretscan::StreamRedactor::new(secretscan::Scanner::builtin());
/// # use secretscan::validate::{base62, crc32};
/// // A GitHub token with a valid checksum, assembled at run time.
/// let e = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5";
/// let token = format!("ghp_{e}{}", base62(u64::from(crc32(e.as_bytes())), 6));
/// let mut out = String::new();
/// for piece in ["Your token is ", &token[..10], &token[10..], ". Keep it safe."] {
///     out.push_str(stream.push_str(piece));
/// }
/// out.push_str(stream.finish_str());
/// assert_eq!(out, "Your token is [REDACTED:github-pat]. Keep it safe.");
/// ```
///
/// # Memory usage
///
/// Bounded by the longest rule's maximum match length plus the largest
/// chunk pushed, as for [`RedactWriter`].
#[derive(Debug)]
pub struct StreamRedactor {
    writer: RedactWriter<Vec<u8>>,
    /// The text output of the last `push_str`/`finish_str`.
    text: Vec<u8>,
    /// The trailing bytes of an incomplete UTF-8 sequence, held back from
    /// the text output until the rest of the character is settled.
    carry: Vec<u8>,
    /// The text output, when it had to be repaired (see [`Guard::check`]).
    lossy: String,
    finished: bool,
}

impl StreamRedactor {
    /// A stream redactor over `scanner`'s rules.
    pub fn new(scanner: Scanner) -> StreamRedactor {
        StreamRedactor {
            writer: RedactWriter::new(scanner, Vec::new()),
            text: Vec::new(),
            carry: Vec::new(),
            lossy: String::new(),
            finished: false,
        }
    }

    /// Pushes the next chunk; returns the redacted bytes it settled (maybe
    /// none, maybe bytes of earlier chunks). The slice is valid until the
    /// next call.
    ///
    /// # Panics
    ///
    /// After [`StreamRedactor::finish`].
    pub fn push(&mut self, chunk: &[u8]) -> &[u8] {
        assert!(!self.finished, "StreamRedactor::push after finish");
        let out = self.writer.get_mut();
        out.clear();
        self.writer
            .write_all(chunk)
            .expect("writing into a Vec cannot fail");
        self.writer.get_ref()
    }

    /// Ends the stream; returns everything still held back, redacted.
    /// Calling it again returns nothing.
    pub fn finish(&mut self) -> &[u8] {
        self.writer.get_mut().clear();
        if !self.finished {
            self.finished = true;
            self.writer
                .try_finish()
                .expect("writing into a Vec cannot fail");
        }
        self.writer.get_ref()
    }

    /// [`StreamRedactor::push`] for text: also holds back the first bytes
    /// of a character whose last bytes are still held back, so that every
    /// piece returned is whole characters.
    ///
    /// # Panics
    ///
    /// After [`StreamRedactor::finish`] or [`StreamRedactor::finish_str`].
    pub fn push_str(&mut self, chunk: &str) -> &str {
        self.push(chunk.as_bytes());
        self.take_text(false)
    }

    /// [`StreamRedactor::finish`] for text.
    pub fn finish_str(&mut self) -> &str {
        self.finish();
        self.take_text(true)
    }

    fn take_text(&mut self, last: bool) -> &str {
        self.text.clear();
        self.text.append(&mut self.carry);
        self.text.extend_from_slice(self.writer.get_ref());
        let complete = if last {
            self.text.len()
        } else {
            complete_utf8_len(&self.text)
        };
        self.carry.extend_from_slice(&self.text[complete..]);
        self.text.truncate(complete);
        match std::str::from_utf8(&self.text) {
            Ok(s) => s,
            Err(_) => {
                self.lossy = String::from_utf8_lossy(&self.text).into_owned();
                &self.lossy
            }
        }
    }

    /// Replaces the known values redacted from here on (a rotation): see
    /// [`RedactWriter::set_known`], which this forwards to.
    pub fn set_known(&mut self, known: crate::KnownSecrets) {
        self.writer.set_known(known);
    }

    /// Bytes pushed but not yet returned, because they could still be part
    /// of a secret.
    pub fn held_back(&self) -> u64 {
        self.writer.held_back() + self.carry.len() as u64
    }

    /// The number of secrets redacted so far.
    pub fn redacted(&self) -> u64 {
        self.writer.redacted()
    }

    /// Whether the stream was finished.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// The length of `b` less a trailing incomplete UTF-8 sequence.
fn complete_utf8_len(b: &[u8]) -> usize {
    let n = b.len();
    for back in 1..=n.min(4) {
        let byte = b[n - back];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let need = match byte {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if need > back { n - back } else { n };
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GitHub token with a valid checksum, assembled at run time.
    fn github_pat() -> String {
        let e = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5";
        let sum = crate::rules::validators::base62(
            u64::from(crate::rules::validators::crc32(e.as_bytes())),
            6,
        );
        format!("ghp_{e}{sum}")
    }

    fn tok_scanner() -> Scanner {
        Scanner::builder()
            .builtin(false)
            .rules_toml(
                "t.toml",
                "[[rules]]\nid = \"tok\"\nname = \"t\"\npattern = 'tok_[a-z]{8}'\nkeywords = [\"tok_\"]\nconfidence = \"low\"\n\n\
                 [[rules]]\nid = \"key\"\nname = \"k\"\npattern = 'key_[a-z]{8}'\nkeywords = [\"key_\"]\n",
            )
            .build()
            .unwrap()
    }

    #[test]
    fn guard_and_stream_are_shareable() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<Guard>();
        send::<StreamRedactor>();
    }

    #[test]
    fn policy_actions_by_confidence_and_rule() {
        let guard = Guard::new(
            tok_scanner(),
            Policy::redact_all()
                .on_confidence(Confidence::Low, Action::Allow)
                .on_rule("key", Action::Block),
        )
        .unwrap();
        assert_eq!(guard.check("a tok_abcdefgh b"), Verdict::Clean);
        let v = guard.check("a tok_abcdefgh key_abcdefgh");
        assert!(v.is_blocked());
        assert_eq!(v.findings().len(), 1, "allowed findings are not reported");
        assert_eq!(&*v.findings()[0].rule_id, "key");

        let guard = Guard::new(
            tok_scanner(),
            Policy::redact_all().on_confidence(Confidence::Medium, Action::Allow),
        )
        .unwrap();
        match guard.check("a tok_abcdefgh key_abcdefgh") {
            Verdict::Redacted { output, findings } => {
                assert_eq!(output, "a [REDACTED:tok] key_abcdefgh");
                assert_eq!(findings.len(), 1);
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn unknown_rule_in_policy_is_an_error() {
        let err = Guard::new(
            tok_scanner(),
            Policy::redact_all().on_rule("nope", Action::Block),
        )
        .unwrap_err();
        assert_eq!(err.rule_id, "nope");
        assert!(err.to_string().contains("'nope'"));
    }

    #[test]
    fn redaction_equals_scanner_redact() {
        let guard = Guard::builtin();
        let text = format!("token={} and again {}\n", github_pat(), github_pat());
        match guard.check(&text) {
            Verdict::Redacted { output, findings } => {
                assert_eq!(output.as_bytes(), &*guard.scanner().redact(text.as_bytes()));
                assert_eq!(findings.len(), 2);
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn stream_equals_whole_redaction_at_every_chunk_size() {
        let scanner = Scanner::builtin();
        let text = format!(
            "Sure! Here is the config:\n\nGITHUB_TOKEN={} # ünïcödé ✓\nDone — tok {}.",
            github_pat(),
            github_pat()
        );
        let whole = String::from_utf8(scanner.redact(text.as_bytes()).into_owned()).unwrap();
        for size in [1, 2, 3, 7, 16, 64, text.len()] {
            let mut s = StreamRedactor::new(scanner.clone());
            let mut out = String::new();
            let mut rest = &text[..];
            while !rest.is_empty() {
                let mut n = size.min(rest.len());
                while !rest.is_char_boundary(n) {
                    n += 1;
                }
                out.push_str(s.push_str(&rest[..n]));
                rest = &rest[n..];
            }
            out.push_str(s.finish_str());
            assert_eq!(out, whole, "chunk size {size}");
            assert_eq!(s.redacted(), 2);
            assert_eq!(s.finish_str(), "", "finishing twice returns nothing");
        }
    }

    #[test]
    fn stream_holds_back_only_a_possible_secret() {
        let mut s = StreamRedactor::new(tok_scanner());
        assert_eq!(s.push(b"hello world "), b"hello world ");
        assert_eq!(s.held_back(), 0);
        // "to" could begin "tok_": held back, and nothing else.
        assert_eq!(s.push(b"say to"), b"say ");
        assert_eq!(s.held_back(), 2);
        assert_eq!(s.push(b"day"), b"today");
        assert_eq!(s.push(b" tok_abc"), b" ");
        assert_eq!(s.push(b"defgh!"), b"[REDACTED:tok]!");
        assert_eq!(s.finish(), b"");
    }

    #[test]
    fn text_output_never_splits_a_character() {
        // 'é' is two bytes; split between them, the second must wait.
        assert_eq!(complete_utf8_len("aé".as_bytes()), 3);
        assert_eq!(complete_utf8_len(&"aé".as_bytes()[..2]), 1);
        assert_eq!(complete_utf8_len(&"a✓".as_bytes()[..3]), 1);
        assert_eq!(complete_utf8_len(&"😀".as_bytes()[..3]), 0);
        assert_eq!(complete_utf8_len("😀".as_bytes()), 4);
        assert_eq!(complete_utf8_len(b""), 0);
    }
}
