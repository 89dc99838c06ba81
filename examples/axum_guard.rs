//! An axum service whose responses pass through a `secretscan::Guard`, and
//! whose streamed (server-sent events) answers pass through a
//! `StreamRedactor`, so that no key leaves the service in a response body.
//!
//! ```text
//! cargo run --example axum_guard             # starts, requests each route, prints, exits
//! cargo run --example axum_guard -- --serve 127.0.0.1:3000   # keeps serving
//! ```
//!
//! Routes (their handlers leak on purpose):
//! - `/config`: a body with a key in it: redacted by the middleware;
//! - `/debug`: a body with a verified (checksummed) token: blocked, 502;
//! - `/chat`: an SSE stream of model tokens, one of them a key split across
//!   tokens: redacted in flight, every other byte sent at once.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, StreamExt};
use secretscan::rules::Confidence;
use secretscan::{Action, Guard, Policy, Scanner, Verdict};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most bytes of a response body the guard buffers to check it whole.
const MAX_BODY: usize = 8 << 20;

/// Checks every buffered response body; streamed bodies (`text/event-stream`)
/// are left to their own `StreamRedactor`.
async fn guard_responses(guard: Guard, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if is_stream {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        // Fail closed: a body we cannot check does not go out.
        return (
            StatusCode::BAD_GATEWAY,
            "response withheld: too large to check\n",
        )
            .into_response();
    };
    match guard.check_bytes(&bytes) {
        Verdict::Clean => Response::from_parts(parts, Body::from(bytes)),
        Verdict::Redacted { output, findings } => {
            eprintln!("guard: redacted {} secret(s) in a response", findings.len());
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(output))
        }
        Verdict::Blocked { findings } => {
            let rules: Vec<&str> = findings.iter().map(|f| &*f.rule_id).collect();
            eprintln!("guard: blocked a response ({})", rules.join(", "));
            (
                StatusCode::BAD_GATEWAY,
                "response withheld: it contained a credential\n",
            )
                .into_response()
        }
    }
}

/// A key-shaped string made at run time (no key sits in this file).
fn fake_openai_key() -> String {
    let tail: String = (0..48).map(|i| b"Ab3xQ9mZ"[i % 8] as char).collect();
    format!("sk-proj-{tail}T3BlbkFJ{tail}")
}

/// A GitHub token whose checksum verifies (confidence high).
fn fake_github_pat() -> String {
    let e = "r8Kd2LqP0xVb7NwT4zYc1HmJ6sGf3A";
    let sum = secretscan::validate::base62(u64::from(secretscan::validate::crc32(e.as_bytes())), 6);
    format!("ghp_{e}{sum}")
}

async fn config() -> String {
    format!(
        "{{\"region\":\"eu-west-1\",\"openai_api_key\":\"{}\"}}\n",
        fake_openai_key()
    )
}

async fn debug() -> String {
    format!(
        "git remote: https://x-access-token:{}@github.com/acme/app\n",
        fake_github_pat()
    )
}

/// A model's answer as server-sent events, token by token.
async fn chat(guard: Guard) -> Response {
    let answer = format!(
        "Here is the key you asked for: {} — store it in your vault.",
        fake_openai_key()
    );
    // Tokens of about 5 bytes, as a model's are (on character boundaries).
    let mut tokens: Vec<String> = vec![];
    let mut token = String::new();
    for c in answer.chars() {
        token.push(c);
        if token.len() >= 5 {
            tokens.push(std::mem::take(&mut token));
        }
    }
    tokens.push(token);
    let mut redactor = guard.stream();
    let pieces = stream::iter(tokens)
        .then(|t| async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            Some(t)
        })
        .chain(stream::iter([None]))
        .map(move |token| {
            // The redactor's hold-back may end inside a multi-byte
            // character: the text API keeps such a character until whole.
            let safe = match &token {
                Some(t) => redactor.push_str(t).to_owned(),
                None => redactor.finish_str().to_owned(),
            };
            Ok::<_, Infallible>(if safe.is_empty() {
                String::new()
            } else {
                format!("data: {safe}\n\n")
            })
        });
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(pieces),
    )
        .into_response()
}

fn app() -> Router {
    // Redact what looks like a key; refuse a body holding a verified one.
    let policy = Policy::redact_all().at_or_above(Confidence::High, Action::Block);
    let guard = Guard::new(Scanner::builtin(), policy).expect("the policy names no rule");
    let chat_guard = guard.clone();
    Router::new()
        .route("/config", get(config))
        .route("/debug", get(debug))
        .route("/chat", get(move || chat(chat_guard.clone())))
        .layer(middleware::from_fn(move |req, next| {
            guard_responses(guard.clone(), req, next)
        }))
}

/// A minimal HTTP/1.1 GET (no client library), de-chunking the body.
async fn get_path(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, mut body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.lines().next().unwrap_or("").to_string();
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return (status, body.to_string());
    }
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    (status, out)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, addr] = args.as_slice() {
        if flag == "--serve" {
            let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
            eprintln!("serving on http://{addr} (/config, /debug, /chat)");
            axum::serve(listener, app()).await.expect("serve");
            return;
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app())
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    for path in ["/config", "/debug", "/chat"] {
        let (status, body) = get_path(addr, path).await;
        if path == "/chat" {
            let events = body.matches("data: ").count();
            let text: String = body
                .split("data: ")
                .map(|e| e.trim_end_matches('\n'))
                .collect();
            println!("GET {path} -> {status}\n{events} events: {text}");
        } else {
            println!("GET {path} -> {status}\n{body}");
        }
        for key in [fake_openai_key(), fake_github_pat()] {
            assert!(!body.contains(&key), "a key left the service on {path}");
        }
    }
    let _ = stop.send(());
    server.await.unwrap();
}
