//! `secretscan.toml` and `.secretscanignore` through the binary's own
//! reader: `src/cli/project.rs` is compiled into this target as it is (it
//! depends on nothing else of the CLI), and `Project::load` reads the files
//! from a scratch directory.
//!
//! Input: the bytes before the first NUL are `secretscan.toml`; the bytes
//! after it, when there is a NUL, are `.secretscanignore` (and the project
//! files are then looked up as `secretscan scan` does).
//!
//! A load must give `Ok` or an error that names the file, never panic. When
//! it loads: `threads` is not 0; every 16-hex-digit line of the ignore file
//! is an ignored fingerprint (lower case); paths below the root are keyed
//! relative to it; `excludes` answers for a few paths; and inline
//! `[[rules]]` come out as rule-file TOML that `RuleSet::add_toml` reads
//! without panicking (and `Scanner::new` on it, and a scan).

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use secretscan::{Origin, RuleSet, Scanner};
use secretscan_fuzz::scratch_path;

#[allow(dead_code, clippy::all)]
#[path = "../../src/cli/project.rs"]
mod project;

use project::{Project, CONFIG_FILE, IGNORE_FILE};

fn dir() -> &'static Path {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let d = scratch_path("config");
        std::fs::create_dir_all(&d).expect("scratch directory");
        d
    })
}

fn is_fingerprint(line: &str) -> bool {
    line.len() == 16 && line.bytes().all(|b| b.is_ascii_hexdigit())
}

fuzz_target!(|data: &[u8]| {
    let (config, ignore) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let dir = dir();
    let config_file = dir.join(CONFIG_FILE);
    let ignore_file = dir.join(IGNORE_FILE);
    std::fs::write(&config_file, config).unwrap();
    match ignore {
        Some(text) => std::fs::write(&ignore_file, text).unwrap(),
        None => {
            let _ = std::fs::remove_file(&ignore_file);
        }
    }
    let use_files = ignore.is_some();
    let explicit = if use_files { None } else { Some(config_file.as_path()) };

    let project = match Project::load(dir, dir, explicit, use_files, &[]) {
        Ok(p) => p,
        Err(e) => {
            let message = format!("{e:#}");
            assert!(
                message.contains(CONFIG_FILE) || message.contains(IGNORE_FILE),
                "error names no file: {message}"
            );
            return;
        }
    };
    let s = &project.settings;
    assert_eq!(s.file.as_deref(), Some(config_file.as_path()));
    assert_ne!(s.threads, Some(0));
    assert!(s.disable_rules.iter().all(|id| !id.is_empty()));
    let _ = s.min_confidence(None);

    let ig = &project.ignore;
    assert_eq!(ig.root, dir);
    if let Some(text) = ignore.and_then(|t| std::str::from_utf8(t).ok()) {
        for line in text.lines().map(str::trim).filter(|l| is_fingerprint(l)) {
            assert!(
                ig.fingerprints.contains(&line.to_ascii_lowercase()),
                "fingerprint line {line:?} not ignored"
            );
        }
    }
    assert_eq!(ig.key(&dir.join("src").join("main.rs")), "src/main.rs");
    for p in ["src/main.rs", "vendor", "a/b/c.min.js", ".git"] {
        let _ = ig.excludes(&dir.join(p), false);
        let _ = ig.excludes(&dir.join(p), true);
    }

    if let Some(rules) = &s.rules_toml {
        let table: toml::Table = toml::from_str(rules)
            .unwrap_or_else(|e| panic!("inline rules are not TOML: {e}\n{rules}"));
        assert!(table["rules"].is_array(), "no rules array: {rules}");
        let mut set = RuleSet::new();
        if set
            .add_toml(Origin("secretscan.toml".into()), rules)
            .is_ok()
        {
            if let Ok(scanner) = Scanner::new(set) {
                let _ = scanner.scan(b"token = \"abc\" password=hunter2-but-longer\n");
            }
        }
    }
});
