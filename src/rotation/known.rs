//! Known secrets: exact values a deployment holds (its own API keys,
//! database passwords), redacted wherever they appear, whatever their shape,
//! as `[REDACTED:known:<NAME>]` — and in their common encodings too.
//!
//! ```
//! use secretscan::{KnownSecrets, Scanner};
//!
//! let mut known = KnownSecrets::builder();
//! known.add("DB_PASSWORD", "correct-horse-battery");
//! known.add("SHORT", "dev"); // refused: shorter than the minimum (8)
//! let known = known.build();
//! assert_eq!(known.refused()[0].name, "SHORT");
//!
//! let scanner = Scanner::builtin().with_known(known);
//! let out = scanner.redact(b"pw=correct-horse-battery dev\n");
//! assert_eq!(out.as_ref(), b"pw=[REDACTED:known:DB_PASSWORD] dev\n");
//! ```
//!
//! # Encodings
//!
//! Each value is also looked for as
//!
//! - base64 (standard and URL-safe alphabets) at each of the three byte
//!   alignments, so `base64("user:" + value)` in a Basic auth header is
//!   caught: the looked-for text is the run of base64 characters whose bits
//!   all come from the value, and that run is what is redacted. NOTE: the
//!   character just before and just after it mixes at most 4 bits of the
//!   value with the neighbouring bytes, and is left as it is;
//! - URL-encoded (RFC 3986 unreserved characters kept, `%XX` in upper and
//!   lower case);
//! - JSON-escaped (`\"`, `\\`, `\/`, control characters);
//! - hex, lower and upper case.
//!
//! # Cost
//!
//! All values and encodings go into one anchored Aho-Corasick automaton.
//! Candidate start positions come from a fixed-size filter over the 8-byte
//! prefixes of every encoded value (256 KiB of bits, one probe per input
//! byte), so the per-byte cost does not grow with the number of values;
//! only the filter's rare false positives (each a short anchored walk of the
//! automaton) do. Every encoded value is at least [`MIN_LEN`] bytes long,
//! which is what makes an 8-byte probe sound.
//!
//! # Streams
//!
//! A stream holds back at most the bytes that could still begin a known
//! value: the longest encoded value, and in practice only a trailing run
//! that is a prefix of one (checked by the same filter and automaton).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous;
use aho_corasick::{Anchored, MatchKind};
use base64::Engine;

use crate::rotation::fingerprint::{Fingerprint, Fingerprinter};

/// The shortest value accepted, and the floor of
/// [`KnownSecretsBuilder::min_len`]: short values (`dev`, `test`) would mask
/// ordinary words everywhere, and the engine's 8-byte prefix probe needs
/// every encoded value to be at least this long.
pub const MIN_LEN: usize = 8;

/// An immutable, compiled set of known secret values. Cheap to clone (an
/// `Arc`), `Send + Sync`.
///
/// Build one with [`KnownSecrets::builder`]; attach it to a scanner with
/// [`crate::Scanner::with_known`], or swap it into a running stream with
/// [`crate::RedactWriter::set_known`].
#[derive(Clone)]
pub struct KnownSecrets {
    inner: Arc<Inner>,
}

struct Inner {
    entries: Vec<Entry>,
    refused: Vec<Refused>,
    /// Pattern id -> entry index.
    pattern_entry: Vec<u32>,
    /// `None` when there is no value.
    nfa: Option<contiguous::NFA>,
    filter: PrefixFilter,
    max_len: usize,
}

/// One known value and its name. The value is never printed.
#[derive(Clone)]
pub struct Entry {
    /// The name redaction markers show (`[REDACTED:known:NAME]`).
    pub name: Arc<str>,
    /// `known:NAME`: the label of its findings and redactions.
    pub label: Arc<str>,
    value: Box<[u8]>,
}

impl Entry {
    /// The secret value.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entry({}, <{} bytes>)", self.name, self.value.len())
    }
}

/// A value left out because it is shorter than the minimum length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// Its name.
    pub name: String,
    /// Its length in bytes (the value itself is not kept).
    pub len: usize,
}

/// Collects values for a [`KnownSecrets`].
///
/// By default, the minimum length is [`MIN_LEN`] (8 bytes).
#[derive(Debug, Default)]
pub struct KnownSecretsBuilder {
    entries: Vec<Entry>,
    refused: Vec<Refused>,
    min_len: Option<usize>,
}

impl KnownSecretsBuilder {
    /// Values shorter than `len` bytes are refused. By default, 8; lower
    /// values are raised to [`MIN_LEN`].
    pub fn min_len(&mut self, len: usize) -> &mut Self {
        self.min_len = Some(len.max(MIN_LEN));
        self
    }

    /// Adds `value` under `name`. Leading and trailing whitespace is not
    /// removed here (sources do that where it is not part of the value).
    pub fn add(&mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> &mut Self {
        let (name, value) = (name.into(), value.as_ref());
        self.entries.push(Entry {
            label: format!("known:{name}").into(),
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Compiles the values accepted.
    ///
    /// Cost: linear in the total length of every value's encodings (about
    /// ten per value); roughly a second for 10,000 values of 32 bytes.
    pub fn build(self) -> KnownSecrets {
        let min = self.min_len.unwrap_or(MIN_LEN);
        let mut refused = self.refused;
        let mut entries: Vec<Entry> = vec![];
        for e in self.entries {
            if e.value.len() < min {
                refused.push(Refused {
                    name: e.name.to_string(),
                    len: e.value.len(),
                });
            } else if !entries
                .iter()
                .any(|o| o.name == e.name && o.value == e.value)
            {
                entries.push(e);
            }
        }
        let mut patterns: Vec<Vec<u8>> = vec![];
        let mut pattern_entry = vec![];
        let mut filter = if entries.is_empty() {
            PrefixFilter::unused()
        } else {
            PrefixFilter::new()
        };
        let mut max_len = 0;
        for (i, e) in entries.iter().enumerate() {
            for p in encodings(&e.value) {
                debug_assert!(p.len() >= MIN_LEN, "encodings are at least MIN_LEN long");
                filter.insert(&p);
                max_len = max_len.max(p.len());
                patterns.push(p);
                pattern_entry.push(i as u32);
            }
        }
        let nfa = (!patterns.is_empty()).then(|| {
            contiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .expect("the automaton fits: pattern count and size are far below its limits")
        });
        KnownSecrets {
            inner: Arc::new(Inner {
                entries,
                refused,
                pattern_entry,
                nfa,
                filter,
                max_len,
            }),
        }
    }
}

impl KnownSecrets {
    /// A builder with no values.
    pub fn builder() -> KnownSecretsBuilder {
        KnownSecretsBuilder::default()
    }

    /// The empty set.
    pub fn empty() -> KnownSecrets {
        KnownSecrets::builder().build()
    }

    /// The values accepted, in the order added (duplicates once).
    pub fn entries(&self) -> &[Entry] {
        &self.inner.entries
    }

    /// The values refused for being too short.
    pub fn refused(&self) -> &[Refused] {
        &self.inner.refused
    }

    /// The number of values accepted.
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// Whether no value was accepted.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }

    /// The longest encoded value: the most a stream holds back for them.
    pub fn max_len(&self) -> usize {
        self.inner.max_len
    }

    /// The name of the value whose fingerprint under `fingerprinter` is
    /// `fp`, if any: "this leaked key is one we hold now".
    pub fn name_of(&self, fp: Fingerprint, fingerprinter: &Fingerprinter) -> Option<&str> {
        self.inner
            .entries
            .iter()
            .find(|e| fingerprinter.of(&e.value) == fp)
            .map(|e| &*e.name)
    }

    /// Reports every occurrence of a value or encoding in `hay` (whose first
    /// byte is at absolute `base`) that starts at or after `*from` and can be
    /// decided from these bytes, as (entry index, span), in order of start;
    /// advances `*from` past the starts decided. Returns the earliest offset
    /// at which an occurrence not yet reported could start (`end` when
    /// `is_final`).
    ///
    /// Cost: one filter probe per byte, plus an anchored automaton walk at
    /// each probe that passes.
    pub(crate) fn advance(
        &self,
        from: &mut u64,
        hay: &[u8],
        base: u64,
        is_final: bool,
        mut on_match: impl FnMut(usize, Range<u64>),
    ) -> u64 {
        let end = base + hay.len() as u64;
        let Some(nfa) = &self.inner.nfa else {
            *from = end;
            return end;
        };
        debug_assert!(*from >= base, "the stream keeps the bytes from `from` on");
        let filter = &self.inner.filter;
        let mut p = (*from).max(base);
        let mut found: Vec<(usize, Range<u64>)> = vec![];
        while p + MIN_LEN as u64 <= end {
            let i = (p - base) as usize;
            let gram = u64::from_le_bytes(hay[i..i + 8].try_into().expect("8 bytes"));
            if filter.maybe(gram) {
                found.clear();
                let alive = self.walk(nfa, &hay[i..], |pid, len| {
                    let entry = self.inner.pattern_entry[pid] as usize;
                    found.push((entry, p..p + len as u64));
                });
                if alive && !is_final {
                    // More input may extend this walk into a longer match:
                    // decide this start later, with more bytes.
                    *from = p;
                    return p;
                }
                for (entry, span) in found.drain(..) {
                    on_match(entry, span);
                }
            }
            p += 1;
        }
        *from = p;
        if is_final {
            return end;
        }
        // The last few bytes cannot be probed whole: the first of them that
        // is a prefix of some encoded value is where a match could start.
        // The starts before it are decided (no value begins with what
        // follows them), so the stream need not keep their bytes.
        for t in p..end {
            let tail = &hay[(t - base) as usize..];
            if filter.maybe_prefix(tail) && (tail.len() < 3 || self.walk(nfa, tail, |_, _| {})) {
                *from = t;
                return t;
            }
        }
        *from = end;
        end
    }

    /// Walks the anchored automaton over `hay` from its start, reporting
    /// (pattern, length) for each pattern that is a prefix of it; returns
    /// whether the walk was still alive at the end of `hay`.
    fn walk(&self, nfa: &contiguous::NFA, hay: &[u8], mut on: impl FnMut(usize, usize)) -> bool {
        let mut sid = nfa
            .start_state(Anchored::Yes)
            .expect("contiguous NFAs support anchored searches");
        for (n, &b) in hay.iter().enumerate() {
            sid = nfa.next_state(Anchored::Yes, sid, b);
            if nfa.is_dead(sid) {
                return false;
            }
            if nfa.is_match(sid) {
                for k in 0..nfa.match_len(sid) {
                    let pid = nfa.match_pattern(sid, k);
                    // Matches copied from suffix states start later.
                    if nfa.pattern_len(pid) == n + 1 {
                        on(pid.as_usize(), n + 1);
                    }
                }
            }
            if n + 1 >= self.inner.max_len {
                return false;
            }
        }
        true
    }
}

impl Default for KnownSecrets {
    fn default() -> Self {
        KnownSecrets::empty()
    }
}

/// Names and counts only: never a value.
impl fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownSecrets")
            .field(
                "names",
                &self
                    .inner
                    .entries
                    .iter()
                    .map(|e| &e.name)
                    .collect::<Vec<_>>(),
            )
            .field("patterns", &self.inner.pattern_entry.len())
            .field("refused", &self.inner.refused)
            .finish()
    }
}

/// Every form of `value` to look for, each at least [`MIN_LEN`] bytes,
/// without duplicates.
pub fn encodings(value: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![value.to_vec()];
    let mut add = |p: Vec<u8>| {
        if p.len() >= MIN_LEN && !out.contains(&p) {
            out.push(p);
        }
    };
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    for shift in 0..3usize {
        // The characters whose 6 bits all lie within the value's bits when
        // it starts `shift` bytes into a 3-byte group.
        let first = (8 * shift).div_ceil(6);
        let last = 8 * (shift + value.len()) / 6;
        let mut padded = vec![0u8; shift];
        padded.extend_from_slice(value);
        for engine in [&STANDARD, &URL_SAFE] {
            let text = engine.encode(&padded);
            add(text.as_bytes()[first..last].to_vec());
        }
    }
    const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
    const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
    for digits in [HEX_LOWER, HEX_UPPER] {
        let hex = value
            .iter()
            .flat_map(|&b| [digits[usize::from(b >> 4)], digits[usize::from(b & 15)]])
            .collect();
        add(hex);
        let mut url = vec![];
        for &b in value {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                url.push(b);
            } else {
                url.extend_from_slice(&[
                    b'%',
                    digits[usize::from(b >> 4)],
                    digits[usize::from(b & 15)],
                ]);
            }
        }
        add(url);
    }
    for escape_slash in [false, true] {
        let mut json = vec![];
        for &b in value {
            match b {
                b'"' => json.extend_from_slice(b"\\\""),
                b'\\' => json.extend_from_slice(b"\\\\"),
                b'/' if escape_slash => json.extend_from_slice(b"\\/"),
                b'\n' => json.extend_from_slice(b"\\n"),
                b'\r' => json.extend_from_slice(b"\\r"),
                b'\t' => json.extend_from_slice(b"\\t"),
                b if b < 0x20 => json.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
                b => json.push(b),
            }
        }
        add(json);
    }
    out
}

/// Bits set for the hashed 3- to 8-byte prefixes of every encoded value,
/// plus exact tables of their first byte and first two bytes. Its size is
/// fixed, so a probe costs the same however many values there are.
struct PrefixFilter {
    /// The hashed 8-byte prefixes: probed at every input byte, so small
    /// enough to stay in a core's L2 cache.
    bits: Vec<u64>,
    /// The hashed 3- to 7-byte prefixes: probed only at a stream's last
    /// few bytes.
    short: Vec<u64>,
    first: [u64; 4],
    first2: Vec<u64>,
}

/// log2 of the 8-byte prefix table's bits (256 KiB): 10,000 values with
/// about ten encodings each set under 5% of them.
const FILTER_BITS: u32 = 21;
/// log2 of the shorter prefixes' table's bits (1 MiB).
const SHORT_BITS: u32 = 23;

impl PrefixFilter {
    fn new() -> PrefixFilter {
        PrefixFilter {
            bits: vec![0; 1 << (FILTER_BITS - 6)],
            short: vec![0; 1 << (SHORT_BITS - 6)],
            first: [0; 4],
            first2: vec![0; 1 << 10],
        }
    }

    /// A filter never probed (the set is empty): allocates nothing.
    fn unused() -> PrefixFilter {
        PrefixFilter {
            bits: vec![],
            short: vec![],
            first: [0; 4],
            first2: vec![],
        }
    }

    fn hash(len: usize, gram: u64, bits: u32) -> usize {
        let h = (gram ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .wrapping_mul(0xff51_afd7_ed55_8ccd);
        (h >> (64 - bits)) as usize
    }

    fn gram(bytes: &[u8]) -> u64 {
        let mut b = [0u8; 8];
        b[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(b)
    }

    fn insert(&mut self, pattern: &[u8]) {
        let b0 = usize::from(pattern[0]);
        self.first[b0 / 64] |= 1 << (b0 % 64);
        let b01 = b0 << 8 | usize::from(pattern[1]);
        self.first2[b01 / 64] |= 1 << (b01 % 64);
        for len in 3..8 {
            let h = Self::hash(len, Self::gram(&pattern[..len]), SHORT_BITS);
            self.short[h / 64] |= 1 << (h % 64);
        }
        let gram = Self::gram(&pattern[..8]);
        for h in [Self::hash(8, gram, FILTER_BITS), Self::hash2(gram)] {
            self.bits[h / 64] |= 1 << (h % 64);
        }
    }

    /// A second, independent hash of an 8-byte gram into the same table:
    /// two bits per prefix cut false positives from about 5% to about 1%
    /// at 10,000 values, and the second probe is taken only when the first
    /// passes, so its cost is that of the rare pass.
    fn hash2(gram: u64) -> usize {
        let h = (gram ^ 0x2545_f491_4f6c_dd1d).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        ((h ^ (h >> 29)) >> (64 - FILTER_BITS)) as usize
    }

    /// Whether some encoded value may begin with the 8 bytes in `gram`.
    #[inline]
    fn maybe(&self, gram: u64) -> bool {
        let h = Self::hash(8, gram, FILTER_BITS);
        if self.bits[h / 64] & (1 << (h % 64)) == 0 {
            return false;
        }
        let h = Self::hash2(gram);
        self.bits[h / 64] & (1 << (h % 64)) != 0
    }

    /// Whether some encoded value may begin with `prefix` (shorter than 8).
    fn maybe_prefix(&self, prefix: &[u8]) -> bool {
        let b0 = usize::from(prefix[0]);
        if self.first[b0 / 64] & (1 << (b0 % 64)) == 0 {
            return false;
        }
        if prefix.len() == 1 {
            return true;
        }
        let b01 = b0 << 8 | usize::from(prefix[1]);
        if self.first2[b01 / 64] & (1 << (b01 % 64)) == 0 {
            return false;
        }
        let h = Self::hash(prefix.len(), Self::gram(prefix), SHORT_BITS);
        prefix.len() == 2 || self.short[h / 64] & (1 << (h % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn matches(known: &KnownSecrets, hay: &[u8]) -> Vec<(usize, Range<u64>)> {
        let mut out = vec![];
        let mut from = 0;
        known.advance(&mut from, hay, 0, true, |e, s| out.push((e, s)));
        out
    }

    #[test]
    fn base64_at_every_alignment() {
        let mut b = KnownSecrets::builder();
        b.add("K", "p4ssw0rd-rotated-1");
        let known = b.build();
        for prefix in ["", "u:", "user:", "ab", "abc"] {
            let encoded = STANDARD.encode(format!("{prefix}p4ssw0rd-rotated-1 trailing"));
            let found = matches(&known, encoded.as_bytes());
            assert_eq!(found.len(), 1, "prefix {prefix:?}: {encoded}");
            // The redacted run decodes (with its neighbours) back to the
            // value: nothing of it is left outside but boundary bits.
            let span = found[0].1.clone();
            let (s, e) = (span.start as usize, span.end as usize);
            assert!(e - s >= "p4ssw0rd-rotated-1".len() * 4 / 3 - 2, "{s}..{e}");
        }
    }

    #[test]
    fn other_encodings() {
        let value = "a/b\"c d:é\n";
        let mut b = KnownSecrets::builder();
        b.add("V", value);
        let known = b.build();
        let hex: String = value.bytes().map(|b| format!("{b:02x}")).collect();
        for form in [
            value.to_string(),
            hex.clone(),
            hex.to_uppercase(),
            "a%2Fb%22c%20d%3A%C3%A9%0A".to_string(),
            "a%2fb%22c%20d%3a%c3%a9%0a".to_string(),
            serde_json::to_string(value).unwrap(),
            r#"a\/b\"c d:é\n"#.to_string(),
        ] {
            let hay = format!("x={form};");
            assert_eq!(matches(&known, hay.as_bytes()).len(), 1, "{form}");
        }
    }

    #[test]
    fn short_values_are_refused() {
        let mut b = KnownSecrets::builder();
        b.add("A", "1234567").add("B", "12345678");
        b.min_len(4); // raised to the floor
        let known = b.build();
        assert_eq!(
            known.refused(),
            [Refused {
                name: "A".into(),
                len: 7
            }]
        );
        assert_eq!(known.len(), 1);
        assert!(!format!("{known:?}").contains("1234"));
    }

    #[test]
    fn streams_decide_each_start_once() {
        let mut b = KnownSecrets::builder();
        b.add("A", "abcdefgh").add("B", "abcdefghijkl");
        let known = b.build();
        let hay = b"xx abcdefghijkl yy abcdefgh";
        let whole = matches(&known, hay);
        assert_eq!(whole.len(), 3);
        let mut from = 0;
        let mut got = vec![];
        for end in 1..=hay.len() {
            let f = known.advance(&mut from, &hay[..end], 0, false, |e, s| got.push((e, s)));
            assert!(f <= end as u64);
        }
        known.advance(&mut from, hay, 0, true, |e, s| got.push((e, s)));
        assert_eq!(got, whole);
    }
}
