//! `secretscan::panic::install`: a panic message's secret never reaches
//! stderr. Each case runs this test binary again as a child process (a
//! panic hook is global to the process) and reads the child's stderr.

use std::process::Command;

/// A GitHub token with a valid checksum, assembled at run time.
fn token() -> String {
    let e = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5";
    let sum = secretscan::validate::base62(u64::from(secretscan::validate::crc32(e.as_bytes())), 6);
    format!("ghp_{e}{sum}")
}

const CHILD: &str = "SECRETSCAN_PANIC_CHILD";

/// Runs `case` in a child process; returns its stderr.
fn child_stderr(case: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, case)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The child's side: does nothing unless run by `child_stderr`.
#[test]
fn child() {
    let Ok(case) = std::env::var(CHILD) else {
        return;
    };
    let t = token();
    match case.as_str() {
        "string" => {
            secretscan::panic::install();
            let _ = std::thread::Builder::new()
                .name("worker".into())
                .spawn(move || panic!("upstream refused {t}"))
                .unwrap()
                .join();
        }
        "str-clean" => {
            secretscan::panic::install();
            let _ = std::thread::spawn(|| panic!("nothing secret here")).join();
        }
        "previous-hook" => {
            std::panic::set_hook(Box::new(|_| eprintln!("PREVIOUS HOOK RAN")));
            let reports = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
            let seen = reports.clone();
            secretscan::panic::install_with(secretscan::Scanner::builtin(), move |r| {
                seen.lock().unwrap().push(r.clone())
            });
            let t2 = t.clone();
            let _ = std::thread::spawn(move || panic!("token {t2}")).join();
            let _ = std::thread::spawn(|| panic!("plain")).join();
            let reports = reports.lock().unwrap();
            eprintln!(
                "REPORTS {} {} {}",
                reports.len(),
                reports[0].message,
                reports[0].redacted
            );
        }
        "unhooked" => {
            let _ = std::thread::spawn(move || panic!("upstream refused {t}")).join();
        }
        other => panic!("unknown case {other}"),
    }
}

#[test]
fn panic_messages_are_redacted() {
    let err = child_stderr("string");
    assert!(!err.contains(&token()), "{err}");
    assert!(
        err.contains("thread 'worker' panicked at tests/panic_hook.rs:"),
        "{err}"
    );
    assert!(
        err.contains("upstream refused [REDACTED:github-pat]"),
        "{err}"
    );
}

#[test]
fn clean_messages_reach_the_previous_hook_unchanged() {
    let err = child_stderr("str-clean");
    assert!(err.contains("panicked at"), "{err}");
    assert!(err.contains("nothing secret here"), "{err}");

    let err = child_stderr("previous-hook");
    assert!(!err.contains(&token()), "{err}");
    // Only the clean panic went to the previous hook.
    assert_eq!(err.matches("PREVIOUS HOOK RAN").count(), 1, "{err}");
    assert!(
        err.contains("REPORTS 1 token [REDACTED:github-pat] 1"),
        "{err}"
    );
}

/// The control: without the hook, the secret does reach stderr, so the
/// tests above would see it if the hook failed.
#[test]
fn without_the_hook_the_secret_shows() {
    assert!(child_stderr("unhooked").contains(&token()));
}
