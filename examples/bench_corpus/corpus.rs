//! Deterministic bench inputs, shared by `examples/bench_corpus` (which
//! writes them to files for `scripts/bench.sh`) and `benches/engine.rs`
//! (which builds them in memory): a realistic application log with planted
//! secrets, prose with no findings, dense hits, keyword repeats, random
//! bytes, and generated rule packs of any size.
//!
//! Every secret is assembled at run time (the built-in rules' expanded
//! examples, and GitHub-style tokens with a valid checksum from
//! `secretscan::validate::checksummed_token`), so no complete token sits
//! in the repository. The same seed gives the same bytes on every machine.

use std::fmt::Write as _;
use std::io::Write;

use secretscan::validate::checksummed_token;
use secretscan::Scanner;

pub const MIB: usize = 1 << 20;

/// A small deterministic generator (SplitMix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `n` characters of `alphabet`.
    pub fn string(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n).map(|_| *self.pick(alphabet) as char).collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const SERVICES: &[&str] = &[
    "api-gateway",
    "billing",
    "auth",
    "search",
    "worker",
    "scheduler",
    "cdn-edge",
];
const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR"];
const PATHS: &[&str] = &[
    "/v1/users",
    "/v1/users/{id}/orders",
    "/v2/search?q=shoes&page=3",
    "/healthz",
    "/v1/invoices/{id}",
    "/static/app.9f3c2e.js",
    "/v1/sessions",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/2.0",
];
pub const WORDS: &[&str] = &[
    "the",
    "request",
    "completed",
    "in",
    "queue",
    "retry",
    "connection",
    "pool",
    "exhausted",
    "cache",
    "miss",
    "for",
    "user",
    "order",
    "shipped",
    "after",
    "upstream",
    "timeout",
    "while",
    "reading",
    "response",
    "body",
    "scheduled",
    "job",
    "finished",
    "with",
    "status",
    "ok",
    "rows",
    "updated",
    "index",
    "rebuilt",
    "shard",
];

/// One realistic log line (without a secret).
fn log_line(rng: &mut Rng, n: u64, out: &mut Vec<u8>) {
    let (h, m, s, ms) = (n / 3_600_000 % 24, n / 60_000 % 60, n / 1000 % 60, n % 1000);
    let service = rng.pick(SERVICES);
    let level = rng.pick(LEVELS);
    match rng.below(6) {
        0 | 1 => {
            let path = rng.pick(PATHS).replace("{id}", &rng.below(1_000_000).to_string());
            let status = [200, 200, 200, 201, 204, 301, 404, 500][rng.below(8)];
            writeln!(
                out,
                "2026-11-26T{h:02}:{m:02}:{s:02}.{ms:03}Z {level} {service} method=GET path={path} status={status} \
                 duration_ms={} ip=10.{}.{}.{} ua=\"{}\" request_id={:016x}",
                rng.below(2000),
                rng.below(256),
                rng.below(256),
                rng.below(256),
                rng.pick(AGENTS),
                rng.next()
            )
        }
        2 => {
            write!(out, "2026-11-26T{h:02}:{m:02}:{s:02}.{ms:03}Z {level} {service}").unwrap();
            for _ in 0..6 + rng.below(10) {
                write!(out, " {}", rng.pick(WORDS)).unwrap();
            }
            writeln!(out, " trace_id={:032x}", (rng.next() as u128) << 64 | rng.next() as u128)
        }
        3 => writeln!(
            out,
            "{{\"ts\":\"2026-11-26T{h:02}:{m:02}:{s:02}.{ms:03}Z\",\"level\":\"{level}\",\"service\":\"{service}\",\
             \"msg\":\"{} {} {}\",\"user_id\":{},\"latency\":{:.3}}}",
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.below(10_000_000),
            rng.below(100_000) as f64 / 1000.0
        ),
        4 => writeln!(
            out,
            "2026-11-26T{h:02}:{m:02}:{s:02}.{ms:03}Z ERROR {service} panicked at src/handlers/{}.rs:{}:{}: \
             called `Result::unwrap()` on an `Err` value: Os {{ code: 111, kind: ConnectionRefused }}\n    \
             at {service}::handlers::{}::handle (src/handlers/{}.rs:{})",
            rng.pick(WORDS),
            rng.below(900),
            rng.below(80),
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.below(900)
        ),
        _ => writeln!(
            out,
            "2026-11-26T{h:02}:{m:02}:{s:02}.{ms:03}Z {level} {service} config reloaded: pool_size={} \
             timeout={}s region=eu-west-{} build={:x}",
            rng.below(64),
            rng.below(120),
            rng.below(3) + 1,
            rng.next() >> 32
        ),
    }
    .unwrap();
}

/// Every built-in rule's expanded examples: the secrets to plant.
pub fn planted_keys() -> Vec<Vec<u8>> {
    Scanner::builtin()
        .rules()
        .iter()
        .flat_map(|r| r.examples.iter().cloned())
        .filter(|e| !e.contains(&b'\n') || e.starts_with(b"-----BEGIN"))
        .collect()
}

/// An endless realistic log with about `per_mib` planted secrets per MiB:
/// one of the built-in rules' examples, or (one time in four) a fresh
/// GitHub or npm token with a valid checksum.
pub struct LogGen {
    rng: Rng,
    keys: Vec<Vec<u8>>,
    every: usize,
    n: u64,
}

impl LogGen {
    pub fn new(per_mib: usize, seed: u64) -> LogGen {
        LogGen {
            rng: Rng(seed),
            keys: planted_keys(),
            // ~180 bytes a line.
            every: (MIB / per_mib.max(1) / 180).max(1),
            n: 0,
        }
    }

    /// Appends whole lines to `out` until it holds at least `len` bytes.
    pub fn fill(&mut self, out: &mut Vec<u8>, len: usize) {
        let rng = &mut self.rng;
        while out.len() < len {
            self.n += 1 + rng.below(40) as u64;
            if rng.below(self.every) == 0 {
                out.extend_from_slice(
                    b"2026-11-26T00:00:00.000Z WARN auth outbound call used credential ",
                );
                if rng.below(4) == 0 {
                    let prefix = *rng.pick(&["ghp_", "gho_", "npm_"]);
                    let entropy = rng.string(30, ALNUM);
                    out.extend_from_slice(checksummed_token(prefix, &entropy).as_bytes());
                } else {
                    let key: &Vec<u8> = rng.pick(&self.keys);
                    out.extend_from_slice(key);
                }
                out.push(b'\n');
            } else {
                log_line(rng, self.n, out);
            }
        }
    }
}

/// ~`len` bytes of log with about `per_mib` planted secrets per MiB.
pub fn log_corpus(len: usize, per_mib: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 4096);
    LogGen::new(per_mib, seed).fill(&mut out, len);
    out
}

/// Lower-case prose with no findings at all.
pub fn no_hit_text(len: usize) -> Vec<u8> {
    let mut rng = Rng(7);
    let mut out = Vec::with_capacity(len + 256);
    while out.len() < len {
        for _ in 0..12 {
            out.extend_from_slice(rng.pick(WORDS).as_bytes());
            out.push(b' ');
        }
        out.push(b'\n');
    }
    out
}

/// A planted key on every line.
pub fn dense_text(len: usize) -> Vec<u8> {
    let keys = planted_keys();
    let mut rng = Rng(11);
    let mut out = Vec::with_capacity(len + 4096);
    while out.len() < len {
        out.extend_from_slice(b"key: ");
        let key: &Vec<u8> = rng.pick(&keys);
        out.extend_from_slice(key);
        out.push(b'\n');
    }
    out
}

/// The keyword-repeat inputs: each unit repeated with no separator, so
/// that every position is a keyword hit and the candidate windows overlap.
pub const REPEATS: &[(&str, &str)] = &[
    ("password", "password="),
    ("begin", "-----BEGIN "),
    ("ghp", "ghp_"),
];

/// At least `len` bytes made only of `unit` repeated (whole units).
pub fn repeats(unit: &str, len: usize) -> Vec<u8> {
    let n = len.div_ceil(unit.len());
    unit.as_bytes().repeat(n)
}

pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut rng = Rng(13);
    (0..len / 8)
        .flat_map(|_| rng.next().to_le_bytes())
        .collect()
}

/// The `i`th generated keyword: three consonant-vowel syllables
/// ("kobanu"), distinct for every `i` below 70³, in a scattered order so
/// that neighbouring rules do not share a prefix.
pub fn keyword(i: usize) -> String {
    const C: &[u8] = b"bdfgklmnprstvz";
    const V: &[u8] = b"aeiou";
    const SYLLABLES: usize = 14 * 5;
    const SPACE: usize = SYLLABLES * SYLLABLES * SYLLABLES;
    // 104,729 is prime and does not divide 70³: a bijection on the space.
    let mut x = (i * 104_729 + 12_345) % SPACE;
    let mut out = String::with_capacity(6);
    for _ in 0..3 {
        let s = x % SYLLABLES;
        x /= SYLLABLES;
        out.push(C[s / 5] as char);
        out.push(V[s % 5] as char);
    }
    out
}

/// A rule file of `n` generated rules shaped like the built-in ones, each
/// with its own keyword: a prefixed token (case-sensitive literal prefix),
/// a keyword-and-assignment rule (case-insensitive, entropy-checked), and
/// a prefixed hex token, in turn.
pub fn rules_toml(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let kw = keyword(i);
        out.push_str("[[rules]]\n");
        match i % 3 {
            0 => write!(
                out,
                "id = \"gen-{i}-token\"\nname = \"Generated {kw} token\"\n\
                 pattern = '''\\b{kw}_[A-Za-z0-9]{{32}}\\b'''\nkeywords = [\"{kw}_\"]\npriority = 80\n"
            ),
            1 => write!(
                out,
                "id = \"gen-{i}-api-key\"\nname = \"Generated {kw} API key (in context)\"\n\
                 pattern = '''(?i)\\b{kw}[\\w.-]{{0,24}}(?:api[_-]?)?(?:key|token|secret)[\"'`]?[ \\t]{{0,8}}\
                 (?:=>|:=|=|:)[ \\t]{{0,8}}[\"'`]?(?P<secret>[A-Za-z0-9]{{32,64}})\\b'''\n\
                 keywords = [\"{kw}\"]\npriority = 60\nmin_entropy = 3.0\n"
            ),
            _ => write!(
                out,
                "id = \"gen-{i}-hex\"\nname = \"Generated {kw} hex key\"\n\
                 pattern = '''\\b{kw}-(?P<secret>[0-9a-f]{{40}})\\b'''\nkeywords = [\"{kw}-\"]\npriority = 70\n"
            ),
        }
        .unwrap();
        out.push('\n');
    }
    out
}
