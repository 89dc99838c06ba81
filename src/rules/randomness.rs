//! Is a value a secret or text? The randomness test of generic rules and
//! the placeholder test of every rule.
//!
//! Plain Shannon entropy cannot tell `getApiKeyFromConfig` from a key, nor
//! `1234567890abcdefghij` from one. [`randomness`] instead asks how cheaply
//! the value is written as English/code tokens — words (camelCase,
//! snake_case, kebab-case, SCREAMING_CASE), numbers and separators — compared
//! with drawing each character uniformly from the alphabet the value uses.
//! Identifiers, words and paths cost far fewer bits as tokens (about 0.55 to
//! 0.85 of the uniform cost); random keys cost as much or more, because
//! their character classes change every two or three characters and their
//! letter pairs are rarely English ones (0.85 to 1.2). On top of that model
//! sit the shapes that are structured but not wordy: UUIDs, hex digests,
//! SRI hashes, version strings, base64 of JSON.
//!
//! [`is_placeholder`] rejects what documentation, tests and dashboards put
//! where a secret goes: marker words (`example`, `changeme`, `dummy`),
//! template syntax (`${VAR}`, `{{ x }}`, `<token>`), masking (`xxxx`,
//! `****`), counting sequences and keyboard runs (`1234567890abcdef…`,
//! `qwerty…`), repeated chunks (`abcdabcd…`) and values of very few symbols.
//! Words are judged after a documented-looking prefix (`sk_test_`,
//! `AGE-SECRET-KEY-`), so a token's own prefix does not make it one.
//!
//! Pure functions of the bytes; cost: a few passes over the value.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use base64::Engine as _;

use super::validators::shannon_entropy;

/// The verdict of the randomness test, from least to most random.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Randomness {
    /// Text: a word, identifier, path, UUID, digest, version, number.
    Structured,
    /// Neither clearly text nor clearly random (short, or between the two
    /// models): a generic rule reports it at its own confidence (`low`).
    Plausible,
    /// Clearly random: at least 16 characters that cost as many bits as
    /// English/code tokens as drawn uniformly from their alphabet. A
    /// generic rule reports it at `medium`.
    Random,
}

/// Whether a generic rule's value looks like a random secret rather than
/// ordinary text (see [`randomness`]): anything but
/// [`Randomness::Structured`].
pub fn looks_random(value: &[u8]) -> bool {
    randomness(value) != Randomness::Structured
}

/// The randomness test with the name the value is assigned to (the bytes of
/// the match before the secret: `api_key = "`, `--token `): the name
/// outweighs the shape. A UUID or a bare hex value (a digest's shape) is an
/// id or a file's hash when it stands alone, but assigned to a name that
/// says credential — `secret`, `token`, `api_key`, `password`,
/// `client_secret` — it is the key.
pub fn randomness_named(name: &[u8], value: &[u8]) -> Randomness {
    if names_credential(name) && (is_uuid(value) || is_bare_hex(value)) && !is_placeholder(value) {
        return Randomness::Random;
    }
    randomness(value)
}

/// Words (lowercase, separators removed) that make a name a credential's.
const CREDENTIAL_NAMES: &[&str] = &[
    "secret",
    "token",
    "apikey",
    "accesskey",
    "authkey",
    "clientkey",
    "masterkey",
    "privatekey",
    "signingkey",
    "encryptionkey",
    "appkey",
    "licensekey",
    "password",
    "passwd",
];

fn names_credential(name: &[u8]) -> bool {
    let folded: Vec<u8> = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    CREDENTIAL_NAMES
        .iter()
        .any(|w| folded.windows(w.len()).any(|x| x == w.as_bytes()))
}

/// 16 or more hex digits of one case, nothing else: the shape of digests,
/// commit ids and of many providers' keys alike.
fn is_bare_hex(v: &[u8]) -> bool {
    v.len() >= 16
        && (v
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            || v.iter()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)))
}

/// The randomness test of a value alone (see the module docs).
pub fn randomness(value: &[u8]) -> Randomness {
    let n = value.len();
    // Keys and tokens are at least this long; shorter values in code are
    // type names (`PULONG64`), ids and public badge tokens.
    if n < 12 {
        return Randomness::Structured;
    }
    // SCREAMING_SNAKE or snake_case: a constant or identifier, not a key
    // (random tokens that use `_` also mix cases).
    let single_case =
        !value.iter().any(u8::is_ascii_uppercase) || !value.iter().any(u8::is_ascii_lowercase);
    if single_case
        && value.contains(&b'_')
        && value
            .split(|&b| b == b'_')
            .all(|w| w.len() <= 12 && w.iter().all(u8::is_ascii_alphanumeric))
    {
        return Randomness::Structured;
    }
    if is_uuid(value) || is_hex_digest(value) || is_sri(value) || is_version(value) {
        return Randomness::Structured;
    }
    // Short hex is an id (`c85175a4ebcce361`), not a key: 64 bits at most.
    if n < 24 && value.iter().all(u8::is_ascii_hexdigit) {
        return Randomness::Structured;
    }
    // Base64 of a JSON object: a pagination cursor (`NextToken`) or state
    // blob. (JWTs, which are secrets, have a rule of their own.)
    if value.starts_with(b"eyJ") && base64_json(value) {
        return Randomness::Structured;
    }
    // Marker words anywhere (a generic value has no documented prefix) and
    // made-up values.
    if has_placeholder_word(value) || defaced(value) {
        return Randomness::Structured;
    }
    let mut distinct = [false; 256];
    for &b in value {
        distinct[b as usize] = true;
    }
    let distinct = distinct.iter().filter(|&&d| d).count();
    if distinct < 6 || distinct * 3 < n.min(48) {
        return Randomness::Structured;
    }
    if shannon_entropy(value) < 3.0 {
        return Randomness::Structured;
    }
    let digits = value.iter().filter(|b| b.is_ascii_digit()).count();
    let upper = value.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = value.iter().filter(|b| b.is_ascii_lowercase()).count();
    let other = n - digits - upper - lower;
    // Words and identifiers: mostly letters whose adjacent pairs are
    // common in English. Random letters hit the common pairs about a
    // quarter of the time; words and camelCase identifiers well over half.
    let (common, pairs) = letter_pairs(value);
    let wordlike = pairs >= 4 && common * 100 >= pairs * 60;
    // Identifiers carry their digits in one place (`Curve25519SeedBin`,
    // `sha256_digest2`); random tokens scatter them.
    let digit_runs = value
        .windows(2)
        .filter(|w| !w[0].is_ascii_digit() && w[1].is_ascii_digit())
        .count()
        + usize::from(value[0].is_ascii_digit());
    if wordlike && (digits * 5 <= n || digit_runs <= 1) {
        return Randomness::Structured;
    }
    // A single character class (all lowercase letters, all digits) is a word
    // or a number unless long.
    let classes = [digits, upper, lower, other]
        .iter()
        .filter(|&&c| c > 0)
        .count();
    if classes < 2 && n < 24 {
        return Randomness::Structured;
    }
    // The token model: how many bits of the uniform cost the value takes
    // written as words, numbers and separators.
    let ratio = token_bits(value) / uniform_bits(value);
    if ratio < STRUCTURED_BELOW {
        Randomness::Structured
    } else if n >= 16 && ratio >= RANDOM_FROM {
        Randomness::Random
    } else {
        Randomness::Plausible
    }
}

/// Below this share of the uniform cost a value is text: identifiers and
/// paths score 0.55 to 0.8, 99% of random keys over 0.85.
const STRUCTURED_BELOW: f64 = 0.78;

/// From this share on a value of 16 or more characters is clearly random:
/// about 97% of random keys of 16 characters (base62, base64, hex), more of
/// longer ones; identifiers that score this high are caught by the word
/// and counting tests before.
const RANDOM_FROM: f64 = 0.88;

/// The bits of `value` written as English/code tokens: a run of letters
/// (one case, or a capital then lower case: a camelCase hump) costs a token
/// choice, its first letter, then a cheap step per common English letter
/// pair and a dear one per rare pair; a number costs its digits; a
/// separator (`_-./`) a token choice; any other symbol a few bits more.
fn token_bits(value: &[u8]) -> f64 {
    const TOKEN: f64 = 2.0;
    const FIRST_LETTER: f64 = 4.7;
    const COMMON_PAIR: f64 = 2.0;
    const RARE_PAIR: f64 = 6.5;
    const DIGIT: f64 = 3.32;
    const SYMBOL: f64 = 5.0;
    let n = value.len();
    let (mut bits, mut i) = (0.0, 0);
    while i < n {
        let b = value[i];
        if b.is_ascii_alphabetic() {
            let mut j = i + 1;
            if b.is_ascii_uppercase() && j < n && value[j].is_ascii_lowercase() {
                while j < n && value[j].is_ascii_lowercase() {
                    j += 1;
                }
            } else {
                let upper = b.is_ascii_uppercase();
                while j < n
                    && value[j].is_ascii_alphabetic()
                    && value[j].is_ascii_uppercase() == upper
                {
                    j += 1;
                }
            }
            bits += TOKEN + FIRST_LETTER;
            for w in value[i..j].windows(2) {
                let pair = [w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase()];
                bits += if COMMON_BIGRAMS.iter().any(|c| **c == pair) {
                    COMMON_PAIR
                } else {
                    RARE_PAIR
                };
            }
            i = j;
        } else if b.is_ascii_digit() {
            let mut j = i;
            while j < n && value[j].is_ascii_digit() {
                j += 1;
            }
            bits += TOKEN + DIGIT * (j - i) as f64;
            i = j;
        } else if matches!(b, b'_' | b'-' | b'.' | b'/') {
            bits += TOKEN;
            i += 1;
        } else {
            bits += TOKEN + SYMBOL;
            i += 1;
        }
    }
    bits
}

/// The bits of `value` as a random draw over the character classes it
/// uses: the class of each character (lower case, upper case, digit,
/// symbol) drawn with the value's own class frequencies, then the character
/// uniformly within its class (6 letters for a class that keeps to `a-f`,
/// as hex does, else 26; 10 digits; the distinct symbols). For a random key
/// this is about `log2` of its alphabet per character; it also fits values
/// that use one class far more than another (hex with a few capitals).
fn uniform_bits(value: &[u8]) -> f64 {
    let n = value.len() as f64;
    let class_of = |b: &u8| {
        if b.is_ascii_lowercase() {
            0
        } else if b.is_ascii_uppercase() {
            1
        } else if b.is_ascii_digit() {
            2
        } else {
            3
        }
    };
    let mut counts = [0usize; 4];
    let mut symbols = [false; 256];
    for b in value {
        counts[class_of(b)] += 1;
        if class_of(b) == 3 {
            symbols[*b as usize] = true;
        }
    }
    let within = |class: fn(&u8) -> bool, lo: u8, hi: u8| {
        value
            .iter()
            .filter(|b| class(b))
            .all(|b| (lo..=hi).contains(b))
    };
    let sizes = [
        if within(u8::is_ascii_lowercase, b'a', b'f') {
            6
        } else {
            26
        },
        if within(u8::is_ascii_uppercase, b'A', b'F') {
            6
        } else {
            26
        },
        10,
        symbols.iter().filter(|&&s| s).count().max(1),
    ];
    counts
        .iter()
        .zip(sizes)
        .filter(|(&c, _)| c > 0)
        .map(|(&c, size)| {
            let c = c as f64;
            c * (n / c).log2() + c * (size as f64).log2()
        })
        .sum()
}

/// Letter pairs (case-folded, within runs of letters) that are common in
/// English text: the 100 most frequent bigrams cover about 80% of English
/// pairs and about 15% of pairs of uniformly random letters.
const COMMON_BIGRAMS: &[&[u8; 2]] = &[
    b"th", b"he", b"in", b"er", b"an", b"re", b"on", b"at", b"en", b"nd", b"ti", b"es", b"or",
    b"te", b"of", b"ed", b"is", b"it", b"al", b"ar", b"st", b"to", b"nt", b"ng", b"se", b"ha",
    b"as", b"ou", b"io", b"le", b"ve", b"co", b"me", b"de", b"hi", b"ri", b"ro", b"ic", b"ne",
    b"ea", b"ra", b"ce", b"li", b"ch", b"ll", b"be", b"ma", b"si", b"om", b"ur", b"ca", b"el",
    b"ta", b"la", b"ns", b"di", b"fo", b"ho", b"pe", b"ec", b"pr", b"no", b"ct", b"us", b"ac",
    b"ot", b"il", b"tr", b"ly", b"nc", b"et", b"ut", b"ss", b"so", b"rs", b"un", b"lo", b"wa",
    b"ge", b"ie", b"wh", b"ee", b"wi", b"em", b"ad", b"ol", b"rt", b"po", b"we", b"na", b"ul",
    b"ni", b"ts", b"mo", b"ow", b"pa", b"im", b"mi", b"ai", b"sh", b"ke", b"ey", b"fi", b"ig",
    b"id", b"ap", b"pi", b"ex", b"ag", b"am", b"ab", b"ok", b"da", b"up", b"ue", b"ir", b"iv",
    b"ry", b"ia", b"ef", b"fr", b"gr", b"cr", b"bl", b"cl", b"pl", b"sp", b"sc", b"sk", b"qu",
];

fn letter_pairs(value: &[u8]) -> (usize, usize) {
    let (mut common, mut pairs) = (0, 0);
    for w in value.windows(2) {
        if !(w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic()) {
            continue;
        }
        // A camelCase hump starts a new word: not a pair.
        if w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase() {
            continue;
        }
        pairs += 1;
        let pair = [w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase()];
        if COMMON_BIGRAMS.iter().any(|c| **c == pair) {
            common += 1;
        }
    }
    (common, pairs)
}

fn base64_json(v: &[u8]) -> bool {
    let v = v.split(|&b| b == b'=').next().unwrap_or(v);
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(v)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v));
    // Truncated or padded-away tails still start like JSON.
    matches!(decoded, Ok(d) if d.first() == Some(&b'{') && d.get(1).is_some_and(|b| *b == b'"' || b.is_ascii_whitespace()))
}

fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

fn is_hex_digest(v: &[u8]) -> bool {
    // MD5, SHA-1, SHA-224 and SHA-256: the digests files, commits and
    // lockfiles carry. Longer hex (Rails' 128-digit secret_key_base) is
    // far more often a generated secret than a SHA-512 in code.
    matches!(v.len(), 32 | 40 | 56 | 64) && is_bare_hex(v)
}

fn is_sri(v: &[u8]) -> bool {
    [&b"sha256-"[..], b"sha384-", b"sha512-", b"sha1-", b"md5-"]
        .iter()
        .any(|p| v.len() > p.len() && v[..p.len()].eq_ignore_ascii_case(p))
}

fn is_version(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"v").unwrap_or(v);
    v.first().is_some_and(u8::is_ascii_digit)
        && v.iter().filter(|&&b| b == b'.').count() >= 2
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
        && v.split(|&b| b == b'.')
            .take(2)
            .all(|p| p.iter().all(u8::is_ascii_digit))
}

/// Substrings (lowercase) that mark a value as a placeholder, a template
/// variable or an already-redacted value, wherever they occur. Each is long
/// or unusual enough that a random token practically never contains it.
const PLACEHOLDER_SUBSTRINGS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "your_",
    "your-",
    "yourpass",
    "xxxxx",
    "*****",
    "redacted",
    "<",
    ">",
    "${",
    "{{",
    "%s",
    "%(",
    "$(",
    "process.env",
    "os.environ",
    "getenv",
    "secret_here",
    "password_here",
    "notreal",
];

/// Words (lowercase) that mark a placeholder only as a whole word (the whole
/// value, or delimited by non-alphanumeric bytes): as substrings they occur
/// in random tokens far too often (`none`, `fake` in 1 key of ~20,000).
const PLACEHOLDER_WORDS: &[&str] = &[
    "dummy",
    "sample",
    "insert",
    "todo",
    "fixme",
    "fake",
    "null",
    "undefined",
    "none",
    "test",
    "password",
    "secret",
    "token",
];

/// Whether `secret` looks like a placeholder rather than a real value: it
/// contains a placeholder substring, its part after a documented-looking
/// prefix holds a placeholder word (ignoring ASCII case) or is a counting
/// sequence, keyboard run, repeated chunk or a value of few symbols (see
/// the module docs), or it is one byte repeated.
pub fn is_placeholder(secret: &[u8]) -> bool {
    is_placeholder_in(secret, true)
}

/// [`is_placeholder`], with `prefixed` false for a rule whose values have no
/// documented prefix (a generic one): then a marker word anywhere counts,
/// `sk_test_…` in `secret = sk_test_…` included. A key block (`-----BEGIN`)
/// is judged by its body lines only: its headers hold words and addresses.
pub fn is_placeholder_in(secret: &[u8], prefixed: bool) -> bool {
    if let Some(at) = find(secret, b"-----BEGIN") {
        return key_block_placeholder(&secret[at..]);
    }
    if !prefixed && has_placeholder_word(secret) {
        return true;
    }
    if placeholder_substrings().is_match(secret) {
        return true;
    }
    if secret.windows(2).all(|w| w[0] == w[1]) {
        return true;
    }
    let body = &secret[prefix_len(secret)..];
    has_placeholder_word(body) || defaced(body)
}

fn placeholder_substrings() -> &'static AhoCorasick {
    // One automaton for all substrings, built once: validators run on every
    // match, so this is on the hot path of text dense with candidates.
    static SUBSTRINGS: OnceLock<AhoCorasick> = OnceLock::new();
    SUBSTRINGS.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PLACEHOLDER_SUBSTRINGS)
            .expect("a few short literals")
    })
}

/// Whether a placeholder word is a whole word of `value`.
fn has_placeholder_word(value: &[u8]) -> bool {
    value.split(|b| !b.is_ascii_alphanumeric()).any(|word| {
        PLACEHOLDER_WORDS
            .iter()
            .any(|w| w.as_bytes().eq_ignore_ascii_case(word))
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A key block is a placeholder when a body line (not a `-----` boundary,
/// not a `Name: value` header) holds a placeholder substring, or the body
/// is defaced (`xxxx…`, `AAAA…` stands in for the key, a counting run).
fn key_block_placeholder(block: &[u8]) -> bool {
    let body: Vec<u8> = block
        .split(|&b| b == b'\n')
        .map(|line| line.trim_ascii())
        .filter(|line| !line.starts_with(b"-----") && find(line, b": ").is_none())
        .flatten()
        .copied()
        .collect();
    placeholder_substrings().is_match(&body) || defaced(&body)
}

/// The length of a documented-looking prefix of `secret`: up to four
/// leading segments of at most 12 letters or digits, each ended by `_`,
/// `-`, `:`, `$` or `.` (`sk_test_`, `cfsk_ma_test_`, `AGE-SECRET-KEY-`,
/// `secret-token:`, `access_token$production$`, `sk-None-`), as long as at
/// least 16 bytes follow. Marker words other than those documented
/// prefixes use (`test`, `secret`, `token`, `none`) are never a prefix:
/// `dummy_…` stays judged.
fn prefix_len(secret: &[u8]) -> usize {
    const IN_PREFIXES: &[&str] = &["test", "secret", "token", "none"];
    let mut len = 0;
    for _ in 0..4 {
        let rest = &secret[len..];
        let Some(sep) = rest
            .iter()
            .position(|b| matches!(b, b'_' | b'-' | b':' | b'$' | b'.'))
        else {
            break;
        };
        let segment = &rest[..sep];
        if segment.is_empty()
            || segment.len() > 12
            || !segment.iter().all(u8::is_ascii_alphanumeric)
            || secret.len() - (len + sep + 1) < 16
            || PLACEHOLDER_WORDS
                .iter()
                .any(|w| !IN_PREFIXES.contains(w) && w.as_bytes().eq_ignore_ascii_case(segment))
        {
            break;
        }
        len += sep + 1;
    }
    // A pair (`user:password`, `key@host`) is not one token: a mode word
    // in its first part (`rzp_test_…:…`) marks the whole pair a test one.
    if secret[len..]
        .iter()
        .any(|b| matches!(b, b':' | b'@' | b';'))
    {
        return 0;
    }
    len
}

/// Keyboard rows, for runs like `qwerty` and `asdfgh`.
const KEYBOARD_ROWS: &[&[u8]] = &[b"1234567890", b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];

/// Whether `body` is a defaced or made-up value rather than random: a
/// counting sequence or keyboard run (up or down, `9`→`0`→`a` counted as
/// steps), or one repeated character, covering a third of it (and at least
/// 6 characters), or runs of 4 or more covering two thirds of it; a chunk repeated at least twice (`abcdabcd`,
/// `qwerty123456qwerty123456`); or at
/// least 16 bytes over at most 4 symbols (`1111222233334444`). A random
/// value of 16 characters or more practically never is: a step run of 6 has
/// odds of about 1 in 10,000 per position over hex, far less over base62.
fn defaced(body: &[u8]) -> bool {
    let n = body.len();
    if n < 6 {
        return false;
    }
    let need = 6.max(n.div_ceil(3));
    let (mut up, mut down, mut same, mut keys) = (1usize, 1usize, 1usize, 1usize);
    // Characters covered by step runs of 4 or more (`qwertyuiop` `asdfghjkl`
    // `zxcvbnm` `123456`): made-up values string runs together, each too
    // short alone. `stretch` counts the current run of steps of any kind.
    let (mut stretch, mut covered) = (1usize, 0usize);
    for w in body.windows(2) {
        let (a, b) = (w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
        up = if counts_up(a, b) { up + 1 } else { 1 };
        down = if counts_up(b, a) { down + 1 } else { 1 };
        same = if a == b && a.is_ascii_alphanumeric() {
            same + 1
        } else {
            1
        };
        keys = if KEYBOARD_ROWS
            .iter()
            .any(|row| row.windows(2).any(|p| p == [a, b] || p == [b, a]))
        {
            keys + 1
        } else {
            1
        };
        if up.max(down).max(same).max(keys) >= need {
            return true;
        }
        if up.max(down).max(same).max(keys) > 1 {
            stretch += 1;
        } else {
            covered += if stretch >= 4 { stretch } else { 0 };
            stretch = 1;
        }
    }
    covered += if stretch >= 4 { stretch } else { 0 };
    // A random value practically never: a step has odds of about 1 in 8
    // per position, four in a row 1 in 500, and two thirds of the value
    // must be such runs.
    if covered * 3 >= n * 2 {
        return true;
    }
    if (1..=(n / 2).min(64)).any(|p| body[p..].iter().zip(body).all(|(a, b)| a == b)) {
        return true;
    }
    let mut seen = [false; 256];
    for &b in body {
        seen[b as usize] = true;
    }
    n >= 16 && seen.iter().filter(|&&s| s).count() <= 4
}

/// Whether `b` follows `a` when counting: the next digit or letter, with
/// `9`→`0` and the digits running on into the letters (`…890abc`).
fn counts_up(a: u8, b: u8) -> bool {
    (a.is_ascii_alphanumeric() && b == a + 1 && b.is_ascii_alphanumeric() && a != b'9' && a != b'z')
        || (a == b'9' && b == b'0')
        || (matches!(a, b'9' | b'0') && b == b'a')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded xorshift generator: random keys at test time, none in the
    /// repository.
    fn keys(seed: u64, alphabet: &[u8], len: usize, count: usize) -> Vec<Vec<u8>> {
        let mut x = seed;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..count)
            .map(|_| {
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const LOWERDIGIT: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const HEX: &[u8] = b"0123456789abcdef";

    #[test]
    fn text_is_structured() {
        for not_random in [
            &b"getApiKeyFromConfig"[..],
            b"database_password",
            b"123e4567-e89b-12d3-a456-426614174000",
            b"da39a3ee5e6b4b0d3255bfef95601890afd80709",
            b"sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC",
            b"1.2.3-beta.4",
            b"monkey",
            b"aaaaaaaabbbbbbbb",
            b"ThisIsMyPassword",
            b"connection_string",
            b"PULONG64",
            b"WBEM_128BITS",
            b"MAX_RETRY_COUNT_2",
            b"Curve25519SeedBin",
            b"c85175a4ebcce361",
            b"eyJOZXh0VG9XMPLiOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAyfQ==",
            b"usr/local/lib/python3/site-packages",
            b"HttpClientFactory2",
            b"prod_payments_api_key_2",
            b"AppSettingsKey2024",
            b"base64EncodedValue1",
            b"1234567890abcdefghijklmnopqrstuv",
            b"0123456789abcdef0123456789abcdef",
            b"abcdefghijklmnopqrstuvwxyz012345",
            b"qwertyuiopasdfghjklzxcvbnm123456",
            b"abcdabcdabcdabcdabcd",
            b"AKIA1234567890ABCDEF",
        ] {
            assert_eq!(
                randomness(not_random),
                Randomness::Structured,
                "{}",
                String::from_utf8_lossy(not_random)
            );
        }
        assert!(looks_random(b"q8Zr2LmX0pWv7NcY4tKb"));
        // Mostly digits and hex letters with a fixed tail of capitals: the
        // class frequencies are the value's own, not the alphabet's.
        for key in keys(5, HEX, 36, 200) {
            let mut key = key;
            key.extend_from_slice(b"NRAL");
            assert_eq!(randomness(&key), Randomness::Random);
        }
        assert!(looks_random(b"hJ7$kP2!xQ9@mN4z"));
    }

    /// Random keys over the usual alphabets are judged random (recall), and
    /// clearly random (medium) from 16 characters on, nearly always.
    #[test]
    fn random_keys_are_random() {
        for (seed, alphabet) in [(1, ALNUM), (2, LOWERDIGIT), (3, BASE64)] {
            for len in [16usize, 24, 32, 40, 64] {
                let sample = keys(seed * 1000 + len as u64, alphabet, len, 2000);
                let judged = |r: Randomness| sample.iter().filter(|k| randomness(k) >= r).count();
                let name = String::from_utf8_lossy(alphabet);
                assert!(
                    judged(Randomness::Plausible) >= 1940,
                    "{len} over {name}: kept"
                );
                let clear = if len >= 24 { 1880 } else { 1800 };
                assert!(
                    judged(Randomness::Random) >= clear,
                    "{len} over {name}: clear"
                );
            }
        }
    }

    /// The name outweighs the shape: a digest-shaped value or a UUID is a
    /// key when assigned to a credential's name, an id or hash otherwise.
    #[test]
    fn names_outweigh_shapes() {
        for hex_len in [32, 40, 64] {
            for value in keys(7 + hex_len as u64, HEX, hex_len, 50) {
                for name in [
                    &b"secret = \""[..],
                    b"api_key: ",
                    b"token=",
                    b"client_secret\": \"",
                ] {
                    assert_eq!(randomness_named(name, &value), Randomness::Random);
                }
                for name in [
                    &b"_key = \""[..],
                    b"sha256 = ",
                    b"commit: ",
                    b"checksum=",
                    b"etag: ",
                ] {
                    assert_eq!(randomness_named(name, &value), Randomness::Structured);
                }
            }
        }
        let uuid = b"3f2b8c1e-9d4a-4e7b-a6c5-0f1e2d3c4b5a";
        assert_eq!(randomness_named(b"token: ", uuid), Randomness::Random);
        assert_eq!(randomness_named(b"uuid: ", uuid), Randomness::Structured);
        assert_eq!(randomness_named(b"id=", uuid), Randomness::Structured);
        // A counting sequence stays a placeholder whatever its name.
        assert_eq!(
            randomness_named(b"secret=", b"0123456789abcdef0123456789abcdef"),
            Randomness::Structured
        );
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder(b"changeme123"));
        assert!(is_placeholder(b"<your-token>"));
        assert!(is_placeholder(b"${DB_PASSWORD}"));
        assert!(is_placeholder(b"[REDACTED:generic-password]"));
        assert!(is_placeholder(b"aaaaaaaa"));
        assert!(!is_placeholder(b"Tr0ub4dor&3xyz"));
        assert!(is_placeholder(b"my-fake-key"));
        assert!(is_placeholder(b"none"));
        // Short words only count as whole words: random tokens contain them.
        assert!(!is_placeholder(b"q8ZnoneLmX0pfakeWv7NcY4tKb"));
        for defaced in [
            &b"1234567890abcdefghijklmnopqrst"[..],
            b"sk_live_1234567890abcdefghijklmn",
            b"ghp_0123456789abcdef0123456789abcdef0123",
            b"zyxwvutsrqponmlkjihgfedcba",
            b"qwertyuiop1234567890",
            b"abcdabcdabcdabcdabcd",
            b"glpat-000000000000000000000",
            b"AKIAIOSFODNN7EXAMPLE",
            b"1111222233334444",
            b"sk_test_dummy_key_for_the_docs",
            b"my_sample_api_key_here_12345",
        ] {
            assert!(
                is_placeholder(defaced),
                "{}",
                String::from_utf8_lossy(defaced)
            );
        }
        // Mode words in a documented prefix are not placeholders.
        let body = String::from_utf8(keys(11, ALNUM, 24, 1).remove(0)).unwrap();
        for prefix in [
            "sk_test_",
            "shippo_test_",
            "cfsk_ma_test_",
            "AGE-SECRET-KEY-1",
            "test_",
            "secret-token:mercury_production_",
        ] {
            let token = format!("{prefix}{body}");
            assert!(!is_placeholder(token.as_bytes()), "{token}");
        }
    }

    /// Random keys are practically never taken for placeholders.
    #[test]
    fn random_keys_are_not_placeholders() {
        for (seed, alphabet) in [(21, ALNUM), (22, LOWERDIGIT), (23, BASE64), (24, HEX)] {
            for len in [16usize, 32, 64] {
                let sample = keys(seed * 100 + len as u64, alphabet, len, 5000);
                let flagged = sample.iter().filter(|k| is_placeholder(k)).count();
                assert!(
                    flagged <= 5,
                    "{flagged} of 5000 random keys of {len} flagged"
                );
            }
        }
    }
}
