//! Provider rows: the long tail of API keys as data, compiled into rules.
//!
//! Most providers' keys have no distinctive prefix (32 hex, 40 alphanumeric,
//! a UUID) and are recognisable only by the provider's name next to them:
//! `ACME_API_KEY=…`, `"acmeToken": "…"`, `X-Acme-Key: …`, `?acme_key=…`,
//! `--acme-token …`. Writing a regex for each of hundreds of providers by
//! hand repeats one idea hundreds of times, with hundreds of chances to get
//! a context wrong; a row states only what differs between providers and
//! [`ProviderSpec::to_rule_spec`] builds the rule:
//!
//! ```toml
//! [[provider]]
//! id = "acme"                    # the rule id is "<id>-<kind>": acme-api-key
//! name = "Acme"
//! kind = "api-key"               # default; see CredentialKind
//! keywords = ["acme", "acmeapi"] # how the provider's name appears near the key
//! values = ["hex:32"]            # CLASS:N, CLASS:MIN-MAX or "uuid"
//! prefix = "acm_"                # optional documented literal prefix
//! docs = "https://docs.acme.example/auth"
//! ```
//!
//! The rule matches, case-insensitively for the name and exactly for the
//! value: a provider keyword, the rest of an identifier (at most 24 bytes;
//! for a row without a prefix it must name a credential, e.g. `_API_KEY`,
//! `.secret`, `-Token`), optionally one level of nesting (`acme:` then
//! `api_key:` on the next line of YAML, `acme = { token: … }`), an
//! assignment in any of the usual syntaxes (`=`, `:`, `:=`, `=>`, `?=`,
//! `,`, `(`, `>`, a space for CLI flags and headers, `value=` of .NET
//! config, escaped JSON quotes), an optional quote and `Bearer `, then the
//! value of the documented shape followed by a delimiter. A row whose
//! prefix is distinctive (at least 4 bytes, with punctuation or a digit,
//! used by no other row) also matches the bare value, prefix first.
//!
//! Findings are `medium`: the shape is the provider's and its name is next
//! to it. Placeholders are rejected (judged after the row's prefix, so
//! `shippo_test_` is no placeholder); so are values below the entropy that a
//! random value of the shape almost always has, and, for shapes of letters,
//! words and identifiers ([`looks_random`](crate::rules::validators::looks_random)).
//! Hex, digit and UUID shapes are not put through `looks_random`: next to
//! a provider's name such a value is the key, not a digest or an id.
//!
//! Each row gets three positive examples (its value in three contexts,
//! chosen by its id) and two negative ones (an environment reference and a
//! value too short), written as templates, so `rules check` covers every
//! row. Cost: building the spec is string work, microseconds per row.

use serde::Deserialize;

use crate::rules::{context, Confidence, Rotation, RuleSpec, ShapeHint};

/// One `[[provider]]` table exactly as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// Kebab-case id of the provider (or of one of its credentials).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the credential is; names the rule and what its name says.
    #[serde(default)]
    pub kind: CredentialKind,
    /// How the provider's name appears near the key: lowercase, at least 4
    /// bytes of `[a-z0-9_.-]`.
    pub keywords: Vec<String>,
    /// The documented shapes of the value.
    pub values: Vec<String>,
    /// A documented literal prefix of every value, not counted in `values`.
    #[serde(default)]
    pub prefix: Option<String>,
    /// The provider's page that documents or issues the key.
    pub docs: String,
}

/// What a provider row's credential is. Each kind has a name in rule ids
/// (`api-key`), the words that name it in code (`API_KEY`, `apiKey`), and
/// the words its rule requires in the identifier before the value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialKind {
    /// An API key (the default).
    #[default]
    ApiKey,
    /// A token.
    Token,
    /// An OAuth or personal access token.
    AccessToken,
    /// A secret.
    Secret,
    /// An OAuth client secret.
    ClientSecret,
    /// A secret key (of a key pair).
    SecretKey,
    /// A password.
    Password,
    /// A webhook signing secret.
    WebhookSecret,
    /// An application key.
    AppKey,
    /// A licence key.
    LicenseKey,
}

impl CredentialKind {
    /// The kebab-case name, as in rule ids.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::ApiKey => "api-key",
            CredentialKind::Token => "token",
            CredentialKind::AccessToken => "access-token",
            CredentialKind::Secret => "secret",
            CredentialKind::ClientSecret => "client-secret",
            CredentialKind::SecretKey => "secret-key",
            CredentialKind::Password => "password",
            CredentialKind::WebhookSecret => "webhook-secret",
            CredentialKind::AppKey => "app-key",
            CredentialKind::LicenseKey => "license-key",
        }
    }

    /// The words of the kind, lowercase: `["api", "key"]`.
    fn words(self) -> Vec<&'static str> {
        self.as_str().split('-').collect()
    }

    /// What the identifier before a prefix-less value must contain: the
    /// secret kinds say "secret", passwords "pass" or "pwd"; keys and tokens
    /// any word that names a credential.
    fn required_word(self) -> &'static str {
        match self {
            CredentialKind::Secret
            | CredentialKind::ClientSecret
            | CredentialKind::SecretKey
            // A provider's "private key" (`ACME_PRIVATE_KEY`) is its secret.
            | CredentialKind::WebhookSecret => "(?:secret|private)",
            CredentialKind::Password => "(?:pass|pwd)",
            _ => {
                "(?:key|token|secret|pass|pwd|auth|cred|bearer|access|private|sign|api|sid|license)"
            }
        }
    }

    /// Whether `keyword` already names a credential of this kind
    /// (`acme_secret`, `acme_api`), so that nothing more need follow it.
    fn named_by(self, keyword: &str) -> bool {
        let words: &[&str] = match self.required_word() {
            "(?:secret|private)" => &["secret", "private"],
            "(?:pass|pwd)" => &["pass", "pwd"],
            _ => &[
                "key", "token", "secret", "pass", "pwd", "auth", "cred", "bearer", "access",
                "private", "sign", "api", "sid", "license",
            ],
        };
        words.iter().any(|w| keyword.contains(w))
    }

    /// Priority of the row's rule: above the generic rules (at most 30),
    /// below dedicated provider rules (usually 60–90); a kind that requires
    /// a narrower word wins where both match (`ACME_CLIENT_SECRET` is the
    /// client secret, not the API key).
    fn priority(self) -> i32 {
        match self {
            CredentialKind::ApiKey
            | CredentialKind::Token
            | CredentialKind::AccessToken
            | CredentialKind::AppKey
            | CredentialKind::LicenseKey => 55,
            CredentialKind::Secret | CredentialKind::SecretKey => 56,
            CredentialKind::ClientSecret | CredentialKind::WebhookSecret => 57,
            CredentialKind::Password => 57,
        }
    }
}

/// The alphabet of a value shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Alnum,
    Upper,
    Lower,
    Digit,
    Hex,
    HexUpper,
    HexAny,
    UpperDigit,
    LowerDigit,
    Base64,
    Base64Url,
    Token,
}

impl Class {
    fn parse(name: &str) -> Option<Class> {
        Some(match name {
            "alnum" => Class::Alnum,
            "upper" => Class::Upper,
            "lower" => Class::Lower,
            "digit" => Class::Digit,
            "hex" => Class::Hex,
            "HEX" => Class::HexUpper,
            "hexany" => Class::HexAny,
            "upperdigit" => Class::UpperDigit,
            "lowerdigit" => Class::LowerDigit,
            "base64" => Class::Base64,
            "base64url" => Class::Base64Url,
            "token" => Class::Token,
            _ => return None,
        })
    }

    /// The regex class a value is matched with. Hex of either case is
    /// accepted for any hex shape: keys get upper-cased in configs, and a
    /// missed key costs more than a few more candidates.
    fn regex(self) -> &'static str {
        match self {
            Class::Alnum => "[A-Za-z0-9]",
            Class::Upper => "[A-Z]",
            Class::Lower => "[a-z]",
            Class::Digit => "[0-9]",
            Class::Hex | Class::HexUpper | Class::HexAny => "[0-9A-Fa-f]",
            Class::UpperDigit => "[A-Z0-9]",
            Class::LowerDigit => "[a-z0-9]",
            Class::Base64 => "[A-Za-z0-9+/]",
            Class::Base64Url => "[A-Za-z0-9_-]",
            Class::Token => "[A-Za-z0-9_.-]",
        }
    }

    /// The example template class (see [`crate::rules::template`]).
    fn template(self) -> &'static str {
        match self {
            Class::Alnum => "alnum",
            Class::Upper => "upper",
            Class::Lower => "lower",
            Class::Digit => "digit",
            Class::Hex | Class::HexAny => "hex",
            Class::HexUpper => "HEX",
            Class::UpperDigit => "upperdigit",
            Class::LowerDigit => "lowerdigit",
            Class::Base64 => "base64",
            // `token` adds `.` to base64url; examples need not use it.
            Class::Base64Url | Class::Token => "base64url",
        }
    }

    /// Bits per character of a uniformly random value.
    fn bits(self) -> f64 {
        let size: f64 = match self {
            Class::Alnum => 62.0,
            Class::Upper | Class::Lower => 26.0,
            Class::Digit => 10.0,
            Class::Hex | Class::HexUpper | Class::HexAny => 16.0,
            Class::UpperDigit | Class::LowerDigit => 36.0,
            Class::Base64 | Class::Base64Url => 64.0,
            Class::Token => 65.0,
        };
        size.log2()
    }

    /// Whether a value of this class can be mistaken for a word or an
    /// identifier (so `looks_random` should judge it).
    fn has_letters_only_meaning(self) -> bool {
        !matches!(
            self,
            Class::Digit | Class::Hex | Class::HexUpper | Class::HexAny
        )
    }
}

/// One documented shape: `CLASS:N`, `CLASS:MIN-MAX`, or a UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Run { class: Class, min: u32, max: u32 },
    Uuid,
}

/// The longest run a shape may declare: longer values are not API keys,
/// and the bound keeps every rule's match length finite and small.
const MAX_RUN: u32 = 512;

impl Shape {
    fn parse(text: &str) -> Result<Shape, String> {
        if text == "uuid" {
            return Ok(Shape::Uuid);
        }
        let (class, count) = text
            .split_once(':')
            .ok_or_else(|| format!("value shape '{text}' is not CLASS:N, CLASS:MIN-MAX or uuid"))?;
        let class = Class::parse(class).ok_or_else(|| {
            format!("value shape '{text}': unknown class '{class}' (alnum, upper, lower, digit, hex, HEX, hexany, upperdigit, lowerdigit, base64, base64url, token)")
        })?;
        let number = |s: &str| {
            s.parse::<u32>()
                .map_err(|_| format!("value shape '{text}': '{s}' is not a count"))
        };
        let (min, max) = match count.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(count)?;
                (n, n)
            }
        };
        if min < 6 || min > max || max > MAX_RUN {
            return Err(format!(
                "value shape '{text}': the length must be 6..={MAX_RUN} with MIN <= MAX"
            ));
        }
        Ok(Shape::Run { class, min, max })
    }

    fn regex(self) -> String {
        match self {
            Shape::Uuid => {
                let h = "[0-9A-Fa-f]";
                format!("{h}{{8}}-{h}{{4}}-{h}{{4}}-{h}{{4}}-{h}{{12}}")
            }
            Shape::Run { class, min, max } => {
                let padding = if class == Class::Base64 { "={0,2}" } else { "" };
                if min == max {
                    format!("{}{{{min}}}{padding}", class.regex())
                } else {
                    format!("{}{{{min},{max}}}{padding}", class.regex())
                }
            }
        }
    }

    /// The longest value of the shape, in bytes: what `max_len_of` finds in
    /// [`Shape::regex`], without parsing it (every class is one byte).
    fn max_len(self) -> usize {
        match self {
            Shape::Uuid => 36,
            Shape::Run { class, max, .. } => {
                max as usize + if class == Class::Base64 { 2 } else { 0 }
            }
        }
    }

    /// A template for one value of the shape (its middle length).
    fn template(self) -> String {
        match self {
            Shape::Uuid => "{{hex:8}}-{{hex:4}}-{{hex:4}}-{{hex:4}}-{{hex:12}}".into(),
            Shape::Run { class, min, max } => {
                format!("{{{{{}:{}}}}}", class.template(), min + (max - min) / 2)
            }
        }
    }

    /// A template for a value of the shape's class that is too short to
    /// match (letters only, so the generic rules, which want a digit, do
    /// not take it either).
    fn short_template(self) -> String {
        let n = match self {
            Shape::Uuid => 6,
            Shape::Run { .. } => 5,
        };
        format!("{{{{lower:{n}}}}}")
    }

    fn min_len(self) -> u32 {
        match self {
            Shape::Uuid => 36,
            Shape::Run { min, .. } => min,
        }
    }

    /// The entropy a random value of the shape almost always reaches, in
    /// bits per byte: 70% of what its shortest length and alphabet allow
    /// (a sample of `n` bytes has at most `log2 n` bits per byte).
    fn min_entropy(self) -> f64 {
        let (bits, n) = match self {
            Shape::Uuid => (4.0, 32.0),
            Shape::Run { class, min, .. } => (class.bits(), f64::from(min)),
        };
        (0.7 * bits.min(n.log2()) * 10.0).floor() / 10.0
    }

    /// Whether `looks_random` should judge values of this shape: letters
    /// of at least 24 characters. Shorter random values fail it too often
    /// (alphanumeric of 12: 2.7%, of 20: 0.4%; lowercase below 24: always),
    /// and the provider's name next to them already says what they are.
    fn judged_as_text(self) -> bool {
        matches!(self, Shape::Run { class, min, .. } if class.has_letters_only_meaning() && min >= 24)
    }
}

/// Escapes a literal for the regex syntax.
/// How a provider row's pattern is put together, so that the engine can
/// match it in two steps: the context, shared by every row of a kind (one
/// automaton for hundreds of rows), then the row's own small value regex.
///
/// The pattern is `(?:(?i:N1)C1|(?i:N2)C2|S)V`: for each head in order, its
/// names (lowercase literals, matched in any case) then its context; then,
/// for a row with a bare form, `S` (`\b` or nothing); then the value `V`
/// (the `secret` group and the end guard). Under leftmost-first semantics
/// a match at a start is the first alternative, in that order, whose
/// literal matches there and after which some path through the context
/// ends where `V` matches. [`RowParts::pattern`] builds the pattern from
/// these parts, so the two cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowParts {
    /// The name heads, in priority order.
    pub heads: Vec<RowHead>,
    /// The bare form's start assertion (`\b` or empty), if the row has one.
    pub bare_start: Option<String>,
    /// The value and its end guard: `(?P<secret>…)` then the end.
    pub value: String,
}

/// One head of a provider row: its names and the context after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowHead {
    /// Lowercase literals `[a-z0-9_.-]`, matched ASCII case-insensitively.
    pub names: Vec<String>,
    /// The regex between a name and the value (case-insensitive, `(?i:…)`).
    pub context: String,
}

impl RowParts {
    /// The row's whole pattern.
    pub fn pattern(&self) -> String {
        let mut alternatives: Vec<String> = self
            .heads
            .iter()
            .map(|h| {
                let names = h.names.iter().map(|n| escape(n)).collect::<Vec<_>>();
                format!("(?i:(?:{})){}", names.join("|"), h.context)
            })
            .collect();
        alternatives.extend(self.bare_start.iter().cloned());
        format!("(?:{}){}", alternatives.join("|"), self.value)
    }
}

fn escape(literal: &str) -> String {
    regex_syntax::escape(literal)
}

/// Prefixes too common to stand alone as a token's start: words that
/// begin ordinary identifiers and environment names.
const COMMON_PREFIXES: &[&str] = &[
    "sk_",
    "sk-",
    "sk",
    "pk_",
    "pk.",
    "live_",
    "live-",
    "test_",
    "secret_",
    "secret-",
    "secret-token:",
    "server_",
    "private_",
    "private_key_",
    "prod_",
    "prod-",
    "production_",
    "sandbox_",
    "standard_",
    "api_",
    "api-",
    "api_key",
    "pub_",
    "account-",
    "stage_",
    "key",
    "token_",
    "pat.",
    "mainnet",
];

impl ProviderSpec {
    /// The id of the rule this row becomes: `<id>-<kind>`.
    pub fn rule_id(&self) -> String {
        format!("{}-{}", self.id, self.kind.as_str())
    }

    /// The keywords as written, then with their separators (`_`, `-`,
    /// `.`) dropped (camelCase) or each replaced by one of the others
    /// (`ACME_IO_KEY` for `acme.io`), without repeats, in that order.
    fn spellings(&self) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for k in &self.keywords {
            let seps = ['_', '-', '.'];
            for s in [
                k.clone(),
                k.replace(seps, ""),
                k.replace(seps, "_"),
                k.replace(seps, "-"),
                k.replace(seps, "."),
            ] {
                if s.len() >= 3 && !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// Whether this row's prefix may be matched on its own, given every
    /// row's prefix (`all`) and the keywords of the hand-written rules
    /// (`taken`, lowercase): long enough, not an everyday word, no other
    /// row's, and not a token format that a rule of its own already reads
    /// (`rk_live_` is Stripe's, whoever else uses it).
    pub fn bare_prefix<'a>(&'a self, all: &[&str], taken: &[String]) -> Option<&'a str> {
        let p = self.prefix.as_deref()?;
        let lower = p.to_ascii_lowercase();
        let distinctive = p.len() >= 4
            && p.bytes().any(|b| !b.is_ascii_alphabetic())
            && !COMMON_PREFIXES.contains(&lower.as_str())
            && all.iter().filter(|&&q| q == p).count() == 1
            && !taken
                .iter()
                .any(|k| lower.starts_with(k.as_str()) || k.starts_with(&lower));
        distinctive.then_some(p)
    }

    /// Builds the rule. `bare` says whether the prefix also matches alone
    /// (see [`ProviderSpec::bare_prefix`]).
    ///
    /// # Errors
    ///
    /// A message naming the field: a bad keyword, shape or prefix.
    pub fn to_rule_spec(&self, bare: bool) -> Result<RuleSpec, String> {
        if self.keywords.is_empty() {
            return Err("a provider row needs at least one keyword".into());
        }
        for k in &self.keywords {
            let ok = k.len() >= 4
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
            if !ok {
                return Err(format!(
                    "keyword '{k}': provider keywords are lowercase [a-z0-9_.-], at least 4 bytes"
                ));
            }
        }
        if self.values.is_empty() {
            return Err("a provider row needs at least one value shape".into());
        }
        let shapes = self
            .values
            .iter()
            .map(|v| Shape::parse(v))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(p) = &self.prefix {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "prefix '{p}': a prefix is printable ASCII without spaces"
                ));
            }
        }
        let prefix = self.prefix.as_deref().map(escape).unwrap_or_default();
        let value = shapes
            .iter()
            .map(|s| s.regex())
            .collect::<Vec<_>>()
            .join("|");
        let value = format!("(?P<secret>{prefix}(?:{value}))");
        // The provider's name as written, run together (camelCase) and
        // with `-` for `_` (headers, flags), or the reverse.
        let spellings = self.spellings();
        // The identifier after the provider's name; without a prefix it
        // must name the credential (the shape alone, 32 hex, is not
        // telling) unless the name already does (`acme_api_key`).
        let cred = self.kind.required_word();
        let (named, bare_names): (Vec<&String>, Vec<&String>) = spellings
            .iter()
            .partition(|k| self.prefix.is_some() || self.kind.named_by(k));
        let (nest, assign, end) = (context::NEST, context::ASSIGN, context::END);
        let lowered = |list: &[&String]| list.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        let mut heads = vec![];
        if !named.is_empty() {
            heads.push(RowHead {
                names: lowered(&named),
                context: format!(r"(?i:{nest}[\w.-]{{0,32}}{assign})"),
            });
        }
        if !bare_names.is_empty() {
            heads.push(RowHead {
                names: lowered(&bare_names),
                context: format!(r"(?i:{nest}[\w.-]{{0,24}}{cred}[\w.-]{{0,16}}{assign})"),
            });
        }
        // The longest match, piece by piece (the names are literals): the
        // compiler may then wait for a keyword before parsing the pattern.
        let names_max = |list: &[&String]| list.iter().map(|k| k.len()).max().unwrap_or(0);
        let (nest_max, assign_max, end_max) = context::fixed_max_lens();
        let mut context_max = 0;
        if !named.is_empty() {
            context_max = names_max(&named) + nest_max + 32;
        }
        if !bare_names.is_empty() {
            let bare_max =
                names_max(&bare_names) + nest_max + 24 + context::max_len_of_static(cred)? + 16;
            context_max = context_max.max(bare_max);
        }
        // The value: the prefix (escaped, so its literal length), then the
        // longest shape; a unit test checks this against the parsed regex.
        let value_max = self.prefix.as_ref().map_or(0, |p| p.len())
            + shapes.iter().map(|s| s.max_len()).max().unwrap_or(0);
        let max_len = context_max + assign_max + value_max + end_max;
        // Or the bare token: the prefix, then the value, at a word start
        // where the prefix begins with a word character.
        let bare_start =
            bare.then(
                || match self.prefix.as_deref().and_then(|p| p.bytes().next()) {
                    Some(b) if b.is_ascii_alphanumeric() || b == b'_' => r"\b".to_string(),
                    _ => String::new(),
                },
            );
        let row = RowParts {
            heads,
            bare_start,
            value: format!("{value}{end}"),
        };
        let pattern = row.pattern();
        let mut keywords = spellings.clone();
        if bare {
            keywords.push(self.prefix.clone().expect("bare implies a prefix"));
        }
        let min_entropy = shapes
            .iter()
            .map(|s| s.min_entropy())
            .fold(f64::INFINITY, f64::min);
        // A documented prefix is evidence enough (and its letters, `server`
        // in `Mid-server-`, would make `looks_random` see a word).
        let looks_random = self.prefix.is_none() && shapes.iter().all(|s| s.judged_as_text());
        // The name, the prefix and the shape together are more specific than
        // a bare-prefix rule that also takes the value (`sk_live_` of other
        // payment providers than Stripe).
        let priority = self.kind.priority() + if self.prefix.is_some() { 41 } else { 0 };
        let (examples, negative_examples) = self.examples(&shapes, bare);
        Ok(RuleSpec {
            id: self.rule_id(),
            name: format!("{} {}", self.name, self.kind.as_str().replace('-', " ")),
            pattern,
            keywords,
            priority,
            min_entropy: Some(min_entropy),
            // A documented prefix may hold a placeholder word itself
            // (`…_test_`, `secret-token:`): the check judges the part after it.
            reject_placeholders: Some(true),
            confidence: Confidence::Medium,
            validate: None,
            provider: Some(self.name.clone()),
            shape_hint: Some(ShapeHint {
                max_len: max_len as u64,
                exact_keywords: false,
                boundary_before: false,
                glued: None,
                row: Some(std::sync::Arc::new(row)),
            }),
            looks_random,
            overrides: vec![],
            rotate: Some(Rotation {
                text: format!(
                    "Revoke the {} {} in the provider's console and issue a new one; move it to a secret store.",
                    self.name,
                    self.kind.as_str().replace('-', " ")
                ),
                url: Some(self.docs.clone()),
            }),
            examples,
            negative_examples,
        })
    }

    /// Three positive templates (contexts picked by the id, so rows differ)
    /// and two negative ones.
    fn examples(&self, shapes: &[Shape], bare: bool) -> (Vec<String>, Vec<String>) {
        let keyword = &self.keywords[0];
        let words = self.kind.words();
        // `acme.io` → ACME_IO, acme_io, acmeIo
        let mut parts: Vec<&str> = keyword
            .split(['_', '.', '-'])
            .filter(|p| !p.is_empty())
            .collect();
        // `acme_api` + `api key` is `acme_api_key`, not `acme_api_api_key`.
        let overlap = (0..=words.len().min(parts.len()))
            .rev()
            .find(|&j| parts[parts.len() - j..] == words[..j])
            .unwrap_or(0);
        parts.extend(&words[overlap..]);
        let env = parts
            .iter()
            .map(|p| p.to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join("_");
        let snake = parts.join("_");
        let camel: String = parts
            .iter()
            .enumerate()
            .map(|(i, p)| if i == 0 { p.to_string() } else { capitalise(p) })
            .collect();
        let header = parts
            .iter()
            .map(|p| capitalise(p))
            .collect::<Vec<_>>()
            .join("-");
        let kw_snake = keyword.replace(['.', '-'], "_");
        let kind_snake = words.join("_");
        // `{{lit:…}}` keeps the prefix out of the file as one piece with
        // the value (the template holds no complete token).
        let prefix = self
            .prefix
            .as_deref()
            .map(|p| format!("{{{{lit:{p}}}}}"))
            .unwrap_or_default();
        let value = |i: usize| format!("{prefix}{}", shapes[i % shapes.len()].template());
        // Eight contexts; a row's examples are three of them, chosen by its
        // id, so only those are formatted.
        let context = |i: usize| match i {
            0 => format!("{env}={}", value(0)),
            1 => format!("const config = {{ {camel}: \"{}\" }};", value(1)),
            2 => format!(
                "curl -H \"X-{header}: {}\" https://api.example.net/v1/me",
                value(2)
            ),
            3 => format!("{kw_snake}:{{{{nl}}}}  {kind_snake}: {}", value(0)),
            4 => format!("{{\"{snake}\": \"{}\", \"timeout\": 30}}", value(1)),
            5 => format!("export {env}='{}'", value(2)),
            6 => format!("GET /v2/items?{snake}={}&page=2", value(0)),
            _ => format!(
                "./deploy --{}-{} {}",
                kw_snake.replace('_', "-"),
                words.join("-"),
                value(1)
            ),
        };
        const CONTEXTS: usize = 8;
        let start = self.id.bytes().map(usize::from).sum::<usize>() % CONTEXTS;
        let mut examples: Vec<String> = (0..3)
            .map(|i| context((start + i * 3) % CONTEXTS))
            .collect();
        if bare {
            examples.push(format!("log: sent {} to the worker", value(0)));
        }
        let negative_examples = vec![
            format!("{env}=${{{env}}}"),
            format!("{env}={}", shapes[0].short_template()),
        ];
        debug_assert!(shapes.iter().all(|s| s.min_len() >= 6));
        (examples, negative_examples)
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[&str], prefix: Option<&str>) -> ProviderSpec {
        ProviderSpec {
            id: "acme".into(),
            name: "Acme".into(),
            kind: CredentialKind::ApiKey,
            keywords: vec!["acme".into()],
            values: values.iter().map(|v| v.to_string()).collect(),
            prefix: prefix.map(str::to_string),
            docs: "https://docs.acme.example/".into(),
        }
    }

    #[test]
    fn shape_lengths_equal_their_parsed_regexes() {
        for text in [
            "uuid",
            "alnum:32",
            "upper:6",
            "lower:8-12",
            "digit:10",
            "hex:40",
            "HEX:16",
            "hexany:64",
            "upperdigit:20",
            "lowerdigit:7-9",
            "base64:44",
            "base64:20-88",
            "base64url:43",
            "token:16-512",
        ] {
            let shape = Shape::parse(text).unwrap();
            assert_eq!(
                Some(shape.max_len()),
                context::max_len_of(&shape.regex()).ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn shapes_parse_and_bad_ones_are_named() {
        assert_eq!(
            Shape::parse("hex:32"),
            Ok(Shape::Run {
                class: Class::Hex,
                min: 32,
                max: 32
            })
        );
        assert_eq!(Shape::parse("uuid"), Ok(Shape::Uuid));
        assert!(Shape::parse("hex").unwrap_err().contains("CLASS:N"));
        assert!(Shape::parse("hexx:3")
            .unwrap_err()
            .contains("unknown class"));
        assert!(Shape::parse("alnum:40-20")
            .unwrap_err()
            .contains("MIN <= MAX"));
        assert!(Shape::parse("alnum:4").unwrap_err().contains("6..="));
    }

    #[test]
    fn a_row_becomes_a_medium_rule_named_by_id_and_kind() {
        let spec = row(&["hex:32"], None).to_rule_spec(false).unwrap();
        assert_eq!(spec.id, "acme-api-key");
        assert_eq!(spec.confidence, Confidence::Medium);
        assert!(
            spec.pattern.starts_with("(?:(?i:(?:acme))(?i:"),
            "{}",
            spec.pattern
        );
        assert!(!spec.looks_random, "hex is not judged as text");
        assert_eq!(spec.examples.len(), 3);
        assert_eq!(spec.negative_examples.len(), 2);
        let letters = row(&["alnum:40"], None).to_rule_spec(false).unwrap();
        assert!(letters.looks_random);
    }

    #[test]
    fn bad_keywords_and_prefixes_are_refused() {
        let mut r = row(&["hex:32"], None);
        r.keywords = vec!["Acme".into()];
        assert!(r
            .to_rule_spec(false)
            .unwrap_err()
            .contains("keyword 'Acme'"));
        let r = row(&["hex:32"], Some("a b"));
        assert!(r.to_rule_spec(false).unwrap_err().contains("prefix"));
    }

    #[test]
    fn only_distinctive_unique_prefixes_stand_alone() {
        let r = row(&["alnum:32"], Some("acm_"));
        assert_eq!(r.bare_prefix(&["acm_", "zz_"], &[]), Some("acm_"));
        assert_eq!(r.bare_prefix(&["acm_", "acm_"], &[]), None, "shared");
        assert_eq!(
            r.bare_prefix(&["acm_"], &["acm".into()]),
            None,
            "a rule of its own reads it"
        );
        let r = row(&["alnum:32"], Some("live_"));
        assert_eq!(r.bare_prefix(&["live_"], &[]), None, "everyday word");
        let r = row(&["alnum:32"], Some("acme"));
        assert_eq!(r.bare_prefix(&["acme"], &[]), None, "letters only");
    }

    #[test]
    fn the_entropy_floor_is_below_what_random_values_reach() {
        assert_eq!(Shape::parse("hex:32").unwrap().min_entropy(), 2.8);
        assert!(Shape::parse("digit:8").unwrap().min_entropy() <= 2.1);
    }
}
