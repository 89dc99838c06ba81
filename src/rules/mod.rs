//! Rules as data: the TOML syntax as written, and the validated [`Rule`].
//!
//! A rule file holds `[[rules]]` tables (and `[[provider]]` rows, see
//! [`provider`]), after an optional file-wide `provider_name`:
//!
//! ```toml
//! provider_name = "Example Corp"      # the provider of rules that name none
//!
//! [[rules]]
//! id = "example-token"                # kebab-case; used in [REDACTED:<id>]
//! name = "Example Corp API token"
//! pattern = '''\bexm_(?P<secret>[A-Za-z0-9]{32})\b'''
//! keywords = ["exm_"]                 # every match contains one of these
//! priority = 80                       # higher wins where findings overlap
//! min_entropy = 3.0                   # validator: bits per byte of the secret
//! reject_placeholders = true          # validator: drop "changeme", "<token>", "1234…" (default: built-in rules only)
//! confidence = "medium"               # "medium" (provider-specific) or "low" (generic)
//! validate = "github-crc32"           # offline check; a pass makes the finding "high"
//! looks_random = false                # validator: drop words, identifiers, UUIDs, digests; low -> medium if clearly random
//! overrides = ["generic-api-key"]     # rules this one is more specific than
//! provider = "Example Corp"          # by default the file's provider_name
//! rotate = { text = "Revoke it in the console, issue a new one.", url = "https://example.com/keys" }
//! examples = ["token: exm_{{alnum:32}}"]   # see rules::template for {{..}}
//! negative_examples = ["exm_short"]
//! ```
//!
//! Patterns are compiled on bytes with Unicode off (`\w`, `\s`, `\b` and
//! `(?i)` are ASCII; `.` is any byte but `\n`) so that binary input works and
//! no slow fallback engine is needed. Every pattern must have a finite
//! maximum match length; that bound is what makes streaming exact.

pub mod check;
pub mod context;
pub mod facts;
pub mod provider;
pub mod randomness;
pub mod template;
pub mod validators;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::error::{Error, Origin, RuleProblem};

/// One `[[rules]]` table exactly as written in a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Kebab-case id.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// The regular expression (regex-automata syntax, bytes, ASCII).
    pub pattern: String,
    /// Literals of which at least one occurs in every match.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Precedence where findings of different rules overlap. By default, 50.
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// Minimum Shannon entropy of the secret, in bits per byte. By default, none.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Drop secrets that look like placeholders (`EXAMPLE`, `xxxx`,
    /// counting sequences; see [`crate::rules::validators::is_placeholder`]).
    /// By default, true for the built-in pack (every built-in rule takes
    /// the check unless it opts out) and false for a user's rule file, whose
    /// author decides what their pattern may match.
    #[serde(default)]
    pub reject_placeholders: Option<bool>,
    /// The confidence of a finding that has no offline validation: `medium`
    /// for a provider-specific format, `low` for a generic one. By default,
    /// medium.
    #[serde(default)]
    pub confidence: Confidence,
    /// An offline check of the secret's checksum or structure, by name (see
    /// [`crate::rules::validators::Check`]). A secret that fails it is no finding; one
    /// that passes it is reported with confidence `high`.
    #[serde(default)]
    pub validate: Option<String>,
    /// Drop secrets that do not look random: words, identifiers, UUIDs, hex
    /// digests, version strings, paths (see
    /// [`crate::rules::validators::randomness`]); a digest-shaped value or
    /// UUID assigned to a credential's name (`secret`, `token`, `api_key`)
    /// is kept, and a `low` rule's finding whose value is clearly random is
    /// raised to `medium`.
    #[serde(default)]
    pub looks_random: bool,
    /// Ids of rules this rule is more specific than: `rules check` accepts
    /// that this rule names their examples.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// How to rotate this kind of key.
    #[serde(default)]
    pub rotate: Option<Rotation>,
    /// What the generator of a provider row knows of the pattern's shape
    /// (never read from a file): lets the built-in pack defer compiling it.
    #[serde(skip)]
    pub shape_hint: Option<ShapeHint>,
    /// The provider whose credential this is (`rules --format json`); by
    /// default the file's `provider_name`, none for credential families
    /// (passwords, private keys, connection strings).
    #[serde(default)]
    pub provider: Option<String>,
    /// Texts the rule must find (templates, see [`template`]).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts the rule must not find (templates, see [`template`]).
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// A rule's examples (or negative examples): its templates (see
/// [`template`]), expanded with seeds of the rule's id on first use, so a
/// scan does not pay for the pack's 4,000 generated texts. Derefs to the
/// expanded texts.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    templates: Vec<String>,
    /// The rule id and the list's kind (`+`/`-`), which seed each text.
    seed: Option<(Arc<str>, &'static [u8])>,
    expanded: std::sync::OnceLock<Vec<Vec<u8>>>,
}

impl Examples {
    fn new(id: Arc<str>, kind: &'static [u8], templates: Vec<String>) -> Examples {
        Examples {
            templates,
            seed: Some((id, kind)),
            expanded: std::sync::OnceLock::new(),
        }
    }

    /// The expanded texts, or the first template that does not expand.
    ///
    /// # Errors
    ///
    /// [`RuleProblem::Example`] naming the template's index.
    pub fn expand(&self) -> Result<&[Vec<u8>], RuleProblem> {
        if let Some(done) = self.expanded.get() {
            return Ok(done);
        }
        let (id, kind) = self
            .seed
            .as_ref()
            .map_or((&b""[..], &b""[..]), |(id, kind)| (id.as_bytes(), *kind));
        let texts = self
            .templates
            .iter()
            .enumerate()
            .map(|(index, t)| {
                let seed = template::stable_seed(&[id, kind, &index.to_le_bytes()]);
                template::expand(t, seed)
                    .map(String::into_bytes)
                    .map_err(|message| RuleProblem::Example { index, message })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.expanded.get_or_init(|| texts))
    }
}

impl From<Vec<Vec<u8>>> for Examples {
    /// Texts given as they are.
    fn from(texts: Vec<Vec<u8>>) -> Examples {
        Examples {
            templates: vec![],
            seed: None,
            expanded: std::sync::OnceLock::from(texts),
        }
    }
}

impl<'a> IntoIterator for &'a Examples {
    type Item = &'a Vec<u8>;
    type IntoIter = std::slice::Iter<'a, Vec<u8>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::ops::Deref for Examples {
    type Target = [Vec<u8>];

    /// # Panics
    ///
    /// If a template does not expand: only possible for the built-in
    /// pack's, which the test suite expands whole.
    fn deref(&self) -> &[Vec<u8>] {
        self.expand()
            .expect("built-in example templates expand (checked by the test suite)")
    }
}

/// A pattern's shape as its generator states it (a provider row), or as
/// the compiler found it when the pack was last checked ([`facts`], for a
/// hand-written rule), so that compiling the pattern can wait until its
/// keywords first occur: every match begins with one of the keywords and
/// is at most `max_len` bytes long. Only rules of the built-in pack are
/// deferred on its word (the test suite compiles the whole pack and checks
/// each hint against the compiler's own analysis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeHint {
    /// An upper bound on the length of a match, in bytes.
    pub max_len: u64,
    /// Every match begins with a keyword in the case written (else: in any
    /// case).
    pub exact_keywords: bool,
    /// Every match begins at an ASCII word boundary.
    pub boundary_before: bool,
    /// The rule's glued variant: its pattern is the rule's cut at this
    /// byte offset, its shape this hint's.
    pub glued: Option<(usize, Box<ShapeHint>)>,
    /// How the pattern is put together, when the generator built it from
    /// shared contexts and a value of its own (see
    /// [`provider::RowParts`]): the engine then matches it in two steps.
    pub row: Option<std::sync::Arc<provider::RowParts>>,
}

fn default_priority() -> i32 {
    50
}

/// How sure a finding is that it is a live secret.
///
/// Ordered: `Low < Medium < High`, so a threshold is a comparison.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A generic rule: an assignment to a key-like name, a password field.
    Low,
    /// A provider-specific format (a documented prefix, length, alphabet).
    #[default]
    Medium,
    /// A provider-specific format whose checksum or structure was verified
    /// offline.
    High,
}

impl Confidence {
    /// The lowercase name, as in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;

    fn from_str(s: &str) -> Result<Confidence, String> {
        match s {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            _ => Err(format!("unknown confidence '{s}' (low, medium or high)")),
        }
    }
}

/// Rotation guidance for one kind of key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// A short instruction.
    pub text: String,
    /// Where to do it, or the provider's documentation.
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    /// The provider of the file's `[[rules]]` that do not name their own.
    #[serde(default)]
    provider_name: Option<String>,
    #[serde(default)]
    rules: Vec<RuleSpec>,
    /// Provider rows (see [`provider`]), compiled into rules after the
    /// file's own `[[rules]]`.
    #[serde(default)]
    provider: Vec<provider::ProviderSpec>,
}

/// Parses a rule file; a schema error names the rule (or provider row) by
/// its id, or by its position when the id is what is wrong.
fn parse_rule_file(origin: &Origin, text: &str) -> Result<RuleFile, Error> {
    let syntax = |message: String| Error::Syntax {
        origin: origin.clone(),
        message,
    };
    let table: toml::Table =
        toml::from_str(text).map_err(|e| syntax(e.to_string().trim_end().to_string()))?;
    match RuleFile::deserialize(toml::Value::Table(table.clone())) {
        Ok(file) => Ok(file),
        Err(e) => {
            // Each entry read on its own, so that the error names it.
            for (key, kind) in [("rules", "rule"), ("provider", "provider row")] {
                let Some(entries) = table.get(key).and_then(toml::Value::as_array) else {
                    continue;
                };
                for (n, value) in entries.iter().enumerate() {
                    let problem = if key == "rules" {
                        RuleSpec::deserialize(value.clone()).err()
                    } else {
                        provider::ProviderSpec::deserialize(value.clone()).err()
                    };
                    if let Some(e) = problem {
                        let rule_id = value
                            .get("id")
                            .and_then(toml::Value::as_str)
                            .map_or_else(|| format!("#{} (no id)", n + 1), str::to_string);
                        return Err(Error::Rule {
                            origin: origin.clone(),
                            rule_id: if key == "rules" {
                                rule_id
                            } else {
                                format!("{rule_id} ({kind})")
                            },
                            reason: RuleProblem::Schema(e.to_string().trim_end().to_string()),
                        });
                    }
                }
            }
            Err(syntax(e.to_string().trim_end().to_string()))
        }
    }
}

/// A rule that passed the syntax checks: its examples expanded, its origin
/// recorded. Patterns are compiled (and checked) by [`crate::Scanner`].
#[derive(Debug, Clone)]
pub struct Rule {
    /// Kebab-case id, used in redaction labels.
    pub id: Arc<str>,
    /// Human-readable name.
    pub name: String,
    /// The pattern as written.
    pub pattern: String,
    /// Keywords as written.
    pub keywords: Vec<String>,
    /// Precedence where findings overlap (higher wins).
    pub priority: i32,
    /// Minimum entropy of the secret, bits per byte.
    pub min_entropy: Option<f64>,
    /// Whether placeholder-looking secrets are dropped.
    pub reject_placeholders: bool,
    /// Confidence of a finding without offline validation.
    pub confidence: Confidence,
    /// The offline check, if any.
    pub validate: Option<crate::rules::validators::Check>,
    /// The provider whose credential this is; none for a family.
    pub provider: Option<Arc<str>>,
    /// The generator's word on the pattern's shape (see [`ShapeHint`]).
    pub shape_hint: Option<ShapeHint>,
    /// Whether secrets that do not look random are dropped.
    pub looks_random: bool,
    /// Ids of the rules this one is more specific than.
    pub overrides: Vec<String>,
    /// Rotation guidance.
    pub rotate: Option<Rotation>,
    /// Positive examples (expanded templates).
    pub examples: Examples,
    /// Negative examples (expanded templates).
    pub negative_examples: Examples,
    /// The file the rule came from.
    pub origin: Origin,
}

/// An ordered list of rules with unique ids. Order matters only to break
/// priority ties: the rule listed first wins.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_id: HashMap<Arc<str>, usize>,
}

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

impl RuleSet {
    /// An empty set.
    pub fn new() -> RuleSet {
        RuleSet::default()
    }

    /// The built-in pack, embedded from `patterns/*.toml` at build time.
    ///
    /// # Panics
    ///
    /// Never in a released build: the test suite loads and checks the pack.
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::new();
        let files: Vec<(Origin, &str)> = BUILTIN_RULE_FILES
            .iter()
            .map(|(name, text)| (Origin(format!("<builtin>/{name}")), *text))
            .collect();
        set.add_tomls(&files)
            .expect("built-in rules are valid (checked by the test suite)");
        let facts = facts::Facts::builtin();
        for rule in &mut set.rules {
            if rule.shape_hint.is_none() {
                rule.shape_hint = facts.hint(&rule.id, &rule.pattern);
            }
        }
        set
    }

    /// Parses a rule file's text and appends its rules: its `[[rules]]`,
    /// then its `[[provider]]` rows (see [`provider`]) as rules.
    ///
    /// # Errors
    ///
    /// Invalid TOML, an unknown field, a bad id, a duplicate id, a bad
    /// example template or a bad provider row; the error names `origin` and
    /// the rule (a row by the id of the rule it becomes).
    pub fn add_toml(&mut self, origin: Origin, text: &str) -> Result<(), Error> {
        self.add_tomls(&[(origin, text)])
    }

    /// [`RuleSet::add_toml`] for several files at once, in order. Provider
    /// rows are judged together: a prefix that two rows of these files
    /// share is matched only next to a provider's name, never alone.
    ///
    /// # Errors
    ///
    /// As [`RuleSet::add_toml`], for the first file that has one.
    pub fn add_tomls(&mut self, files: &[(Origin, &str)]) -> Result<(), Error> {
        let mut parsed = Vec::with_capacity(files.len());
        for (origin, text) in files {
            parsed.push((origin, parse_rule_file(origin, text)?));
        }
        let prefixes: Vec<&str> = parsed
            .iter()
            .flat_map(|(_, f)| f.provider.iter())
            .filter_map(|p| p.prefix.as_deref())
            .collect();
        let taken: Vec<String> = self
            .rules
            .iter()
            .flat_map(|r| r.keywords.iter())
            .chain(
                parsed
                    .iter()
                    .flat_map(|(_, f)| f.rules.iter())
                    .flat_map(|r| r.keywords.iter()),
            )
            .map(|k| k.to_ascii_lowercase())
            .collect();
        let mut rows = vec![];
        for (origin, file) in &parsed {
            for spec in &file.rules {
                let mut spec = spec.clone();
                if spec.provider.is_none() {
                    spec.provider.clone_from(&file.provider_name);
                }
                self.add_spec((*origin).clone(), spec)?;
            }
            for row in &file.provider {
                let bare = row.bare_prefix(&prefixes, &taken).is_some();
                let spec = row.to_rule_spec(bare).map_err(|message| Error::Rule {
                    origin: (*origin).clone(),
                    rule_id: row.rule_id(),
                    reason: RuleProblem::Schema(message),
                })?;
                rows.push(((*origin).clone(), spec));
            }
        }
        for (origin, spec) in rows {
            self.add_spec(origin, spec)?;
        }
        Ok(())
    }

    /// Reads a rule file and appends its rules.
    ///
    /// # Errors
    ///
    /// As [`RuleSet::add_toml`], and an I/O error naming the path.
    pub fn add_file(&mut self, path: &Path) -> Result<(), Error> {
        if path.is_dir() {
            return self.add_dir(path);
        }
        let origin = Origin(path.display().to_string());
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            origin: origin.clone(),
            source,
        })?;
        self.add_toml(origin, &text)
    }

    /// Reads every `*.toml` file of a directory (not recursively), in name
    /// order, and appends their rules.
    ///
    /// # Errors
    ///
    /// As [`RuleSet::add_file`] for each file; an unreadable directory.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), Error> {
        let io = |source| Error::Io {
            origin: Origin(dir.display().to_string()),
            source,
        };
        let mut files = vec![];
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        for path in files {
            self.add_file(&path)?;
        }
        Ok(())
    }

    /// Appends one rule given as a spec.
    ///
    /// # Errors
    ///
    /// A bad id, a duplicate id, or a bad example template.
    pub fn add_spec(&mut self, origin: Origin, spec: RuleSpec) -> Result<(), Error> {
        let fail = |reason| Error::Rule {
            origin: origin.clone(),
            rule_id: spec.id.clone(),
            reason,
        };
        if !is_kebab(&spec.id) {
            return Err(fail(RuleProblem::BadId));
        }
        if let Some(&first) = self.by_id.get(spec.id.as_str()) {
            return Err(fail(RuleProblem::DuplicateId {
                first: self.rules[first].origin.to_string(),
            }));
        }
        if let Some(h) = spec.min_entropy {
            if !(0.0..=8.0).contains(&h) {
                return Err(fail(RuleProblem::Validator(format!(
                    "min_entropy {h} is outside 0..=8 bits per byte"
                ))));
            }
        }
        if spec.confidence == Confidence::High {
            return Err(fail(RuleProblem::Validator(
                "confidence 'high' is earned by passing a 'validate' check; declare 'medium' or 'low'"
                    .into(),
            )));
        }
        let validate = match &spec.validate {
            None => None,
            Some(name) => Some(
                name.parse::<crate::rules::validators::Check>()
                    .map_err(|e| fail(RuleProblem::Validator(e)))?,
            ),
        };
        let pattern = context::expand_macros(&spec.pattern)
            .map_err(|e| fail(RuleProblem::Regex(e)))?
            .into_owned();
        let id: Arc<str> = Arc::from(spec.id.as_str());
        let examples = Examples::new(id.clone(), b"+", spec.examples);
        let negative_examples = Examples::new(id.clone(), b"-", spec.negative_examples);
        // The built-in pack's templates are expanded on first use (the test
        // suite expands them all); a user's are checked now.
        if !origin.is_builtin() {
            examples.expand().map_err(fail)?;
            negative_examples.expand().map_err(fail)?;
        }
        self.by_id.insert(id.clone(), self.rules.len());
        self.rules.push(Rule {
            id,
            name: spec.name,
            pattern,
            keywords: spec.keywords,
            priority: spec.priority,
            min_entropy: spec.min_entropy,
            reject_placeholders: spec
                .reject_placeholders
                .unwrap_or_else(|| origin.is_builtin()),
            confidence: spec.confidence,
            validate,
            provider: spec.provider.as_deref().map(Arc::from),
            shape_hint: spec.shape_hint,
            looks_random: spec.looks_random,
            overrides: spec.overrides,
            rotate: spec.rotate,
            examples,
            negative_examples,
            origin,
        });
        Ok(())
    }

    /// Appends every rule of `other`, in order.
    ///
    /// # Errors
    ///
    /// A rule id of `other` that this set already has.
    pub fn extend(&mut self, other: RuleSet) -> Result<(), Error> {
        for rule in other.rules {
            if let Some(&first) = self.by_id.get(&rule.id) {
                return Err(Error::Rule {
                    origin: rule.origin.clone(),
                    rule_id: rule.id.to_string(),
                    reason: RuleProblem::DuplicateId {
                        first: self.rules[first].origin.to_string(),
                    },
                });
            }
            self.by_id.insert(rule.id.clone(), self.rules.len());
            self.rules.push(rule);
        }
        Ok(())
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Looks a rule up by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// Keeps only the rules for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Rule) -> bool) {
        self.rules.retain(|r| keep(r));
        self.by_id = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin("test.toml".into())
    }

    const DEMO: &str = r#"
[[rules]]
id = "demo-key"
name = "Demo"
pattern = 'demo_[a-z]{4}'
keywords = ["demo_"]
examples = ["x demo_{{lower:4}} y"]
negative_examples = ["demo_12"]
rotate = { text = "rotate it" }
"#;

    #[test]
    fn parses_a_rule_file() {
        let mut set = RuleSet::new();
        set.add_toml(origin(), DEMO).unwrap();
        let r = set.get("demo-key").unwrap();
        assert_eq!(r.priority, 50);
        assert_eq!(r.examples[0].len(), 13);
        assert_eq!(r.rotate.as_ref().unwrap().text, "rotate it");
    }

    #[test]
    fn a_users_bad_template_is_an_error_at_load_and_the_packs_expand_on_use() {
        let mut set = RuleSet::new();
        let err = set
            .add_toml(origin(), &DEMO.replace("demo_12", "demo_{{nope:4}}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("demo-key") && err.contains("nope"), "{err}");
        let pack = RuleSet::builtin();
        let rule = &pack.rules()[0];
        assert!(rule.examples.expanded.get().is_none());
        assert!(!rule.examples.is_empty() && rule.examples.expanded.get().is_some());
    }

    #[test]
    fn rejects_bad_ids_duplicates_and_unknown_fields() {
        let one = |id: &str| {
            format!("[[rules]]\nid = \"{id}\"\nname = \"n\"\npattern = 'x'\nkeywords = [\"x\"]\n")
        };
        let mut set = RuleSet::new();
        let e = set
            .add_toml(origin(), &one("Bad_Id"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("test.toml") && e.contains("Bad_Id") && e.contains("kebab"),
            "{e}"
        );
        set.add_toml(origin(), &one("ok-id")).unwrap();
        let e = set
            .add_toml(Origin("b.toml".into()), &one("ok-id"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("b.toml") && e.contains("duplicate") && e.contains("test.toml"),
            "{e}"
        );
        let e = set
            .add_toml(
                origin(),
                "[[rules]]\nid='a'\nname='n'\npattern='x'\nbogus=1\n",
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("bogus") && e.contains("rule 'a'"), "{e}");
        let e = set
            .add_toml(
                origin(),
                "[[rules]]\nid='ok'\nname='n'\npattern='x'\n[[rules]]\nname='n'\npattern='y'\n",
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rule '#2 (no id)'") && e.contains("missing field `id`"),
            "{e}"
        );
    }

    #[test]
    fn kebab_ids() {
        assert!(is_kebab("github-pat"));
        assert!(is_kebab("a1"));
        assert!(!is_kebab("-a"));
        assert!(!is_kebab("a--b"));
        assert!(!is_kebab("A"));
        assert!(!is_kebab(""));
    }
}
