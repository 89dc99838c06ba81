//! The project's own settings: `secretscan.toml` and `.secretscanignore`,
//! found in the project root, and the path rules that follow from them.
//!
//! The project root is the nearest directory, from the start directory
//! (the first PATH scanned, or the current directory) upwards, that holds
//! `secretscan.toml`, `.secretscanignore` or `.git`. Paths in both files
//! are relative to it, and so are the paths that baselines record.
//!
//! `secretscan.toml`:
//!
//! ```toml
//! min_confidence = "low"                # like --min-confidence
//! exclude = ["vendor/", "*.min.js"]     # gitignore syntax, like --exclude
//! archives = false                      # like --no-archives
//! threads = 4                           # like --threads
//! baseline = ".secretscan-baseline.json"  # like --baseline
//! rule_files = ["ci/rules.toml"]        # like --rules
//! disable_rules = ["generic-password"]  # leave these rules out
//!
//! [[rules]]                             # rules of your own, as in rule files
//! id = "acme-token"
//! name = "ACME token"
//! pattern = '''acme_[a-z0-9]{32}'''
//! keywords = ["acme_"]
//! ```
//!
//! `.secretscanignore`: gitignore lines (paths not to scan) and lines of
//! 16 hex digits (fingerprints, as reports show them, of secrets not to
//! report anywhere). `#` starts a comment.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use secretscan::baseline::Baseline;
use secretscan::report::path_name;
use secretscan::rules::Confidence;
use secretscan::Finding;
use serde::Deserialize;

/// The config file's name.
pub const CONFIG_FILE: &str = "secretscan.toml";
/// The ignore file's name.
pub const IGNORE_FILE: &str = ".secretscanignore";

/// `secretscan.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    min_confidence: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
    archives: Option<bool>,
    threads: Option<usize>,
    baseline: Option<PathBuf>,
    #[serde(default)]
    rule_files: Vec<PathBuf>,
    #[serde(default)]
    disable_rules: Vec<String>,
    /// Inline `[[rules]]`, kept as TOML to hand to the rule loader (which
    /// names the file and rule in its errors).
    #[serde(default)]
    rules: Vec<toml::Table>,
}

/// The settings of a project, validated; paths made absolute.
#[derive(Debug, Default)]
pub struct Settings {
    /// The config file read, if any.
    pub file: Option<PathBuf>,
    pub min_confidence: Option<Confidence>,
    /// Gitignore lines, relative to the config file's directory.
    pub exclude: Vec<String>,
    pub archives: Option<bool>,
    /// Scanning threads; `None` is one per core.
    pub threads: Option<usize>,
    pub baseline: Option<PathBuf>,
    pub rule_files: Vec<PathBuf>,
    pub disable_rules: Vec<String>,
    /// Inline rules as rule-file TOML text.
    pub rules_toml: Option<String>,
}

impl Settings {
    /// The report threshold: the flag, else the config's, else medium.
    pub fn min_confidence(&self, flag: Option<Confidence>) -> Confidence {
        flag.or(self.min_confidence).unwrap_or(Confidence::Medium)
    }
}

/// What the project says is not to be scanned or reported.
#[derive(Clone, Debug)]
pub struct Ignore {
    /// Absolute, normalised: paths are keyed relative to it.
    pub root: PathBuf,
    matchers: Vec<Gitignore>,
    pub fingerprints: HashSet<String>,
}

/// The project found from `start`.
#[derive(Debug)]
pub struct Project {
    pub settings: Settings,
    pub ignore: Ignore,
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved
/// lexically (symbolic links are not followed: the path as the user sees
/// it is the one that config patterns are written against).
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The project root above `start` (absolute): the nearest directory that
/// holds the config file, the ignore file or `.git`.
fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| {
            dir.join(CONFIG_FILE).is_file()
                || dir.join(IGNORE_FILE).is_file()
                || dir.join(".git").exists()
        })
        .map(Path::to_path_buf)
}

impl Project {
    /// Finds and reads the project's files. `start` is the first path to
    /// scan (or the current directory); `config` an explicit config file;
    /// `use_files` false for --no-config; `excludes` the --exclude globs
    /// (relative to `cwd`).
    ///
    /// # Errors
    ///
    /// An unreadable or invalid file, naming it and the key at fault.
    pub fn load(
        cwd: &Path,
        start: &Path,
        config: Option<&Path>,
        use_files: bool,
        excludes: &[String],
    ) -> Result<Project> {
        let start = absolute(cwd, start);
        let start = if start.is_dir() {
            start
        } else {
            start.parent().map_or(start.clone(), Path::to_path_buf)
        };
        let found = if use_files { find_root(&start) } else { None };
        let config = match config {
            Some(c) => Some(absolute(cwd, c)),
            None => found
                .as_ref()
                .map(|r| r.join(CONFIG_FILE))
                .filter(|f| f.is_file()),
        };
        let root = match (&found, &config) {
            // An explicit config file roots its own paths.
            (_, Some(c)) if !use_files || found.is_none() => c
                .parent()
                .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf),
            (Some(r), _) => r.clone(),
            (None, _) => cwd.to_path_buf(),
        };
        let settings = match &config {
            Some(file) => read_settings(file)?,
            None => Settings::default(),
        };
        let mut ignore = Ignore {
            root: root.clone(),
            matchers: vec![],
            fingerprints: HashSet::new(),
        };
        if let Some(file) = &config {
            let dir = file.parent().unwrap_or(&root);
            let mut b = GitignoreBuilder::new(dir);
            for glob in &settings.exclude {
                b.add_line(Some(file.clone()), glob).with_context(|| {
                    format!("{}: exclude: invalid pattern '{glob}'", path_name(file))
                })?;
            }
            ignore.matchers.push(b.build()?);
        }
        if use_files {
            let file = root.join(IGNORE_FILE);
            if file.is_file() {
                read_ignore_file(&file, &mut ignore)?;
            }
        }
        if !excludes.is_empty() {
            let mut b = GitignoreBuilder::new(cwd);
            for glob in excludes {
                b.add_line(None, glob)
                    .with_context(|| format!("--exclude: invalid pattern '{glob}'"))?;
            }
            ignore.matchers.push(b.build()?);
        }
        Ok(Project { settings, ignore })
    }
}

fn read_settings(file: &Path) -> Result<Settings> {
    let name = path_name(file);
    let text = std::fs::read_to_string(file).with_context(|| format!("{name}: cannot read"))?;
    let raw: FileSettings = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))
        .with_context(|| format!("{name}: invalid config"))?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let min_confidence = match &raw.min_confidence {
        Some(level) => Some(
            level
                .parse::<Confidence>()
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{name}: min_confidence"))?,
        ),
        None => None,
    };
    if raw.threads == Some(0) {
        bail!("{name}: threads: at least 1");
    }
    for id in &raw.disable_rules {
        if id.is_empty() {
            bail!("{name}: disable_rules: empty rule id");
        }
    }
    let rules_toml = if raw.rules.is_empty() {
        None
    } else {
        let mut doc = toml::Table::new();
        doc.insert(
            "rules".into(),
            toml::Value::Array(raw.rules.into_iter().map(toml::Value::Table).collect()),
        );
        Some(toml::to_string(&doc).with_context(|| format!("{name}: rules"))?)
    };
    Ok(Settings {
        file: Some(file.to_path_buf()),
        min_confidence,
        exclude: raw.exclude,
        archives: raw.archives,
        threads: raw.threads,
        baseline: raw.baseline.map(|p| dir.join(p)),
        rule_files: raw.rule_files.iter().map(|p| dir.join(p)).collect(),
        disable_rules: raw.disable_rules,
        rules_toml,
    })
}

/// Whether `line` is a fingerprint as reports show it: 16 hex digits.
fn is_fingerprint(line: &str) -> bool {
    line.len() == 16 && line.bytes().all(|b| b.is_ascii_hexdigit())
}

fn read_ignore_file(file: &Path, ignore: &mut Ignore) -> Result<()> {
    let name = path_name(file);
    let text = std::fs::read_to_string(file).with_context(|| format!("{name}: cannot read"))?;
    let dir = file.parent().unwrap_or(&ignore.root);
    let mut b = GitignoreBuilder::new(dir);
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if is_fingerprint(trimmed) {
            ignore.fingerprints.insert(trimmed.to_ascii_lowercase());
            continue;
        }
        b.add_line(Some(file.to_path_buf()), line)
            .with_context(|| format!("{name}:{}: invalid pattern", n + 1))?;
    }
    ignore.matchers.push(b.build()?);
    Ok(())
}

impl Ignore {
    /// Whether the absolute path `abs` (a directory when `is_dir`) is
    /// excluded: it or a directory above it matches a pattern.
    pub fn excludes(&self, abs: &Path, is_dir: bool) -> bool {
        self.matchers.iter().any(|m| {
            let mut dir = is_dir;
            let mut path = abs;
            loop {
                if !path.starts_with(m.path()) || path == m.path() {
                    return false;
                }
                match m.matched(path, dir) {
                    ignore::Match::Ignore(_) => return true,
                    ignore::Match::Whitelist(_) => return false,
                    ignore::Match::None => {}
                }
                match path.parent() {
                    Some(p) => path = p,
                    None => return false,
                }
                dir = true;
            }
        })
    }

    /// Whether a finding is reported: its fingerprint is not ignored and it
    /// is not in `baseline`. Records it in `write`, the baseline being
    /// written. `path` is how baselines name its file ([`Ignore::key`], or
    /// the path in the repository for history); `secret` is needed only
    /// while a baseline is in use.
    pub fn keeps(
        &self,
        baseline: Option<&Baseline>,
        write: Option<&mut Baseline>,
        path: impl FnOnce() -> String,
        f: &Finding,
        secret: Option<&[u8]>,
    ) -> bool {
        if self.fingerprints.contains(&f.fingerprint.to_string()) {
            return false;
        }
        if baseline.is_none() && write.is_none() {
            return true;
        }
        let path = path();
        let secret = secret.expect("secrets are captured while a baseline is in use");
        if let Some(b) = write {
            let key = b.key(secret);
            b.insert(&f.rule_id, &path, key);
        }
        match baseline {
            Some(b) => !b.contains(&f.rule_id, &path, &b.key(secret)),
            None => true,
        }
    }

    /// How baselines name `abs`: relative to the project root, with `/`
    /// separators; as given when outside the root.
    pub fn key(&self, abs: &Path) -> String {
        let rel = abs.strip_prefix(&self.root).unwrap_or(abs);
        let name = path_name(rel);
        if cfg!(windows) {
            name.replace('\\', "/")
        } else {
            name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_resolves_dots_lexically() {
        assert_eq!(
            absolute(Path::new("/a/b"), Path::new("./c/../d")),
            PathBuf::from("/a/b/d")
        );
        assert_eq!(
            absolute(Path::new("/a/b"), Path::new("/x/./y")),
            PathBuf::from("/x/y")
        );
    }

    #[test]
    fn fingerprints_are_16_hex_digits() {
        assert!(is_fingerprint("0123456789abcdef"));
        assert!(!is_fingerprint("0123456789abcdeg"));
        assert!(!is_fingerprint("*.log"));
    }
}
