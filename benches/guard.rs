//! Output guarding (criterion): `Guard::check` on an agent's answer, and
//! `StreamRedactor` fed an LLM-like token stream.
//!
//! The token stream is generated here, deterministically: ~1 MiB of an
//! assistant's answers (prose, markdown lists, shell and Python code blocks,
//! JSON) about deployment and credentials, so words like `token`, `key`,
//! `secret` and `password` come up as they do in real answers; one answer in
//! eight holds a key (assembled at run time). It is cut into tokens of 1 to
//! 16 bytes (uniformly random, on character boundaries).
//!
//! Before the timings, the bench prints how many bytes the stream redactor
//! held back after each token (mean, median, 99th percentile, max), over the
//! whole stream and over the answers without a key: the latency a user sees.
//!
//! `cargo bench --bench guard -- --quick`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use secretscan::validate::{base62, crc32};
use secretscan::{Guard, Scanner, StreamRedactor};

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| A[self.below(A.len())] as char).collect()
    }
}

const OPENERS: &[&str] = &[
    "Sure! Here's how to set that up.",
    "Good question — the short answer is that it depends on your deployment.",
    "The error means the service could not authenticate with the upstream API.",
    "You can rotate the token without downtime if you follow these steps.",
];
const SENTENCES: &[&str] = &[
    "First, create a service account with the narrowest scope that works.",
    "Store the secret in your vault, not in the repository, and read it at start-up.",
    "The password policy requires at least 16 characters; a passphrase is fine.",
    "If the key leaked, revoke it first and only then issue a new one.",
    "Each request carries the token in the Authorization header.",
    "Set the timeout to 30 seconds and retry idempotent calls with backoff.",
    "The configuration is read from environment variables at start-up.",
    "Logs are shipped to the collector every five seconds — about 2 MB per minute.",
    "Ça marche aussi avec des caractères accentués : déploiement réussi ✓.",
];
const CODE: &[&str] = &[
    "```bash\nkubectl rollout restart deployment/api -n prod\nkubectl get pods -n prod\n```",
    "```python\nclient = Client(base_url=os.environ[\"API_URL\"], timeout=30)\nfor page in client.pages(limit=50):\n    handle(page.items)\n```",
    "```json\n{\"region\": \"eu-west-1\", \"replicas\": 3, \"auth\": {\"mode\": \"oidc\"}}\n```",
    "- restart the worker\n- check the queue depth\n- confirm the alerts cleared",
];

fn github_pat(rng: &mut Rng) -> String {
    let e = rng.alnum(30);
    format!("ghp_{e}{}", base62(u64::from(crc32(e.as_bytes())), 6))
}

/// The answers, and for each whether it holds a key.
fn answers(total: usize) -> Vec<(String, bool)> {
    let mut rng = Rng(7);
    let mut out = vec![];
    let mut size = 0;
    while size < total {
        let mut a = String::from(rng.pick(OPENERS));
        a.push_str("\n\n");
        for _ in 0..3 + rng.below(4) {
            a.push_str(rng.pick(SENTENCES));
            a.push(' ');
        }
        a.push_str("\n\n");
        a.push_str(rng.pick(CODE));
        a.push_str("\n\n");
        let with_key = out.len() % 8 == 3;
        if with_key {
            let key = match rng.below(2) {
                0 => github_pat(&mut rng),
                _ => format!("sk-proj-{}T3BlbkFJ{}", rng.alnum(48), rng.alnum(48)),
            };
            a.push_str(&format!("```bash\nexport API_TOKEN={key}\n```\n\n"));
        }
        a.push_str(rng.pick(SENTENCES));
        a.push_str("\n\n");
        size += a.len();
        out.push((a, with_key));
    }
    out
}

/// Cuts `text` into tokens of 1..=16 bytes, on character boundaries.
fn tokens(text: &str, rng: &mut Rng) -> Vec<(usize, usize)> {
    let mut out = vec![];
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + 1 + rng.below(16)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push((at, end));
        at = end;
    }
    out
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report_held_back(scanner: &Scanner, answers: &[(String, bool)]) {
    let mut rng = Rng(11);
    let mut all = vec![];
    let mut clean = vec![];
    let mut out_len = 0;
    let mut total = 0;
    for (a, with_key) in answers {
        let mut s = StreamRedactor::new(scanner.clone());
        for (from, to) in tokens(a, &mut rng) {
            out_len += s.push_str(&a[from..to]).len();
            all.push(s.held_back());
            if !with_key {
                clean.push(s.held_back());
            }
        }
        out_len += s.finish_str().len();
        total += a.len();
    }
    assert!(out_len < total, "the keys were redacted");
    for (name, v) in [
        ("all answers", &mut all),
        ("answers without a key", &mut clean),
    ] {
        v.sort_unstable();
        let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
        eprintln!(
            "held back after each token, {name} ({} tokens): mean {mean:.2} B, median {} B, p99 {} B, max {} B",
            v.len(),
            percentile(v, 0.5),
            percentile(v, 0.99),
            v.last().unwrap()
        );
    }
}

fn bench(c: &mut Criterion) {
    let scanner = Scanner::builtin();
    let answers = answers(1 << 20);
    report_held_back(&scanner, &answers);

    let guard = Guard::builtin();
    let clean = answers.iter().find(|a| !a.1).unwrap().0.clone();
    let keyed = answers.iter().find(|a| a.1).unwrap().0.clone();
    let mut g = c.benchmark_group("guard");
    g.throughput(Throughput::Bytes(clean.len() as u64));
    g.bench_function("check-clean-answer", |b| {
        b.iter(|| black_box(guard.check(black_box(&clean))))
    });
    g.throughput(Throughput::Bytes(keyed.len() as u64));
    g.bench_function("check-answer-with-key", |b| {
        b.iter(|| black_box(guard.check(black_box(&keyed))))
    });
    g.finish();

    let stream: String = answers.iter().map(|a| a.0.as_str()).collect();
    let cut = tokens(&stream, &mut Rng(3));
    let mut g = c.benchmark_group("stream");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.sample_size(10);
    g.bench_function("tokens-1-16B", |b| {
        b.iter(|| {
            let mut s = StreamRedactor::new(scanner.clone());
            let mut n = 0;
            for &(from, to) in &cut {
                n += s.push_str(&stream[from..to]).len();
            }
            n + s.finish_str().len()
        })
    });
    for size in [1usize, 4, 16] {
        g.bench_function(format!("chunks-{size}B"), |b| {
            b.iter(|| {
                let mut s = StreamRedactor::new(scanner.clone());
                let mut n = 0;
                for chunk in stream.as_bytes().chunks(size) {
                    n += s.push(chunk).len();
                }
                n + s.finish().len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
