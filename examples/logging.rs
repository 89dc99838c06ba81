//! Redacted logging: `env_logger` (or any `io::Write` sink), `tracing`'s fmt
//! subscriber, and panic messages.
//!
//! ```text
//! cargo run --example logging
//! ```
//!
//! Every line below is written with a key in it; none reaches stderr.

use std::io::Write;

use secretscan::logging::{RedactingMakeWriter, RedactingWriter};
use secretscan::Scanner;

/// A key-shaped string made at run time (no key sits in this file).
fn fake_stripe_key() -> String {
    (0..40)
        .map(|i| b"kT7pQ2vX9mR4wZ"[i % 14] as char)
        .fold("sk_live_".to_string(), |mut s, c| {
            s.push(c);
            s
        })
}

fn fake_github_pat() -> String {
    let e = "r8Kd2LqP0xVb7NwT4zYc1HmJ6sGf3A";
    let sum = secretscan::validate::base62(u64::from(secretscan::validate::crc32(e.as_bytes())), 6);
    format!("ghp_{e}{sum}")
}

fn main() {
    let scanner = Scanner::builtin();
    let key = fake_stripe_key();
    let token = fake_github_pat();

    // 1. log + env_logger: the sink is any io::Write; each record is
    //    redacted whole before it reaches stderr.
    env_logger::Builder::new()
        .filter_level(log::LevelFilter::Info)
        .target(env_logger::Target::Pipe(Box::new(RedactingWriter::new(
            scanner.clone(),
            std::io::stderr(),
        ))))
        .init();
    log::info!("charging customer cus_42 with key {key}");
    log::warn!("retrying POST /v1/charges (Authorization: Bearer {key})");

    // 2. tracing: one redacting writer per event.
    let subscriber = tracing_subscriber::fmt()
        .with_writer(RedactingMakeWriter::new(scanner.clone(), std::io::stderr))
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(remote = %format!("https://{token}@github.com/acme/app"), "cloning");
        tracing::error!("push rejected for token {token}");
    });

    // 3. panics: the message is redacted before it reaches stderr.
    secretscan::panic::install();
    let t = token.clone();
    let _ = std::thread::Builder::new()
        .name("deploy".into())
        .spawn(move || panic!("deploy failed: remote refused {t}"))
        .unwrap()
        .join();

    // 4. RedactingWriter works on any sink: here, a buffer we can inspect.
    let mut buf = RedactingWriter::new(scanner, Vec::new());
    writeln!(buf, "audit: key={key} token={token}").unwrap();
    let out = String::from_utf8(buf.into_inner().unwrap()).unwrap();
    print!("{out}");
    assert!(!out.contains(&key) && !out.contains(&token));
}
