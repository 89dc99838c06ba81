//! The validated configuration: what to run, with a compiled scanner.
//!
//! Everything that can be rejected before any input is read is rejected
//! here: bad rule files, `--no-builtin` without rules, a scan with nothing
//! to read.

use std::path::{Path, PathBuf};

use secretscan::git::Revisions;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};
use secretscan::archive::Limits;
use secretscan::baseline::Baseline;
use secretscan::report::{path_name, Format};
use secretscan::rotation::{KnownSources, Source};
use secretscan::rules::Confidence;
use secretscan::{Fingerprinter, KnownSecrets, Marker, Origin, RuleSet, Scanner};

use super::args::{
    self, Cli, FingerprintArgs, KnownArgs, ListFormat, MarkerArg, ProjectArgs, RuleArgs,
    RulesAction,
};
use super::project::{absolute, Ignore, Project, Settings};

/// Facts about the process environment that validation depends on, passed
/// in so that tests can vary them.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    pub stdin_is_terminal: bool,
}

/// What to run.
#[derive(Debug)]
pub enum Config {
    Scan(Box<ScanConfig>),
    Redact(RedactConfig),
    ListRules {
        scanner: Scanner,
        format: ListFormat,
    },
    CheckRules {
        scanner: Scanner,
    },
    Hook(HookConfig),
    Fingerprint {
        fingerprinter: Fingerprinter,
    },
    Explain {
        scanner: Scanner,
        rule_ids: Vec<String>,
    },
    Git(GitConfig),
}

#[derive(Debug)]
pub struct GitConfig {
    pub scanner: Scanner,
    pub repo: PathBuf,
    pub revisions: Revisions,
    pub format: Format,
    pub show_secrets: bool,
    pub min_confidence: Confidence,
    pub inline_allow: bool,
    /// The report file; `None` is stdout.
    pub output: Option<PathBuf>,
    /// Scanning threads; `None` is one per core.
    pub threads: Option<usize>,
    pub baseline: Option<Baseline>,
    pub write_baseline: Option<(PathBuf, Baseline)>,
    /// Paths and fingerprints left out of the report.
    pub ignore: Ignore,
}

#[derive(Debug)]
pub struct HookConfig {
    pub guard: secretscan::Guard,
    pub format: args::HookFormat,
    pub max_input: u64,
    pub fail_open: bool,
}

/// An input to read: stdin or a path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

#[derive(Debug)]
pub struct ScanConfig {
    pub scanner: Scanner,
    /// Each input once, in the order given.
    pub inputs: Vec<Input>,
    pub format: Format,
    pub show_secrets: bool,
    /// Findings below this confidence are not reported.
    pub min_confidence: Confidence,
    /// Whether allow markers on a finding's line drop it from the report.
    pub inline_allow: bool,
    /// Known values: findings with one of them are marked live.
    pub live: Option<KnownSecrets>,
    /// Report only occurrences of the scanner's known values (`--find`).
    pub find_only: bool,
    /// Leave expired tokens out of the report.
    pub skip_expired: bool,
    /// End a human report with the per-rule summary.
    pub summary: bool,
    /// Where the report goes; `None` is stdout.
    pub output: Option<PathBuf>,
    /// How archives are opened; `None` scans them as raw bytes.
    pub archives: Option<Limits>,
    /// Scanning threads; `None` is one per core.
    pub threads: Option<usize>,
    /// Findings in it are not reported.
    pub baseline: Option<Baseline>,
    /// Record every finding reported into this baseline file.
    pub write_baseline: Option<(PathBuf, Baseline)>,
    /// Paths not scanned, fingerprints not reported, and how paths are
    /// keyed in baselines.
    pub ignore: Ignore,
    /// The current directory, absolute.
    pub cwd: PathBuf,
}

#[derive(Debug)]
pub struct RedactConfig {
    pub scanner: Scanner,
    pub input: Input,
    /// `None` is stdout.
    pub output: Option<PathBuf>,
    /// Known values, loaded once already (the scanner holds them), to
    /// re-read every `poll`.
    pub known: Option<KnownSources>,
    pub poll: Duration,
    pub status: Option<PathBuf>,
}

impl Config {
    /// Validates the parsed command line and compiles the rules.
    ///
    /// # Errors
    ///
    /// A usage error (nothing to scan, no rules) or a rule file that does
    /// not load or compile; the library's error names the file and rule.
    pub fn new(cli: Cli, env: Env) -> Result<Config> {
        Ok(match cli.command {
            args::Command::Scan(a) => {
                let inputs = if a.paths.is_empty() {
                    if env.stdin_is_terminal {
                        bail!("no PATH given and stdin is a terminal (give a path, or '-' to read stdin)");
                    }
                    vec![Input::Stdin]
                } else {
                    let mut inputs: Vec<Input> = vec![];
                    for p in a.paths {
                        let input = to_input(p);
                        if !inputs.contains(&input) {
                            inputs.push(input);
                        }
                    }
                    inputs
                };
                let cwd = std::env::current_dir().context("cannot get the current directory")?;
                let start = match inputs.first() {
                    Some(Input::Path(p)) => p.clone(),
                    _ => cwd.clone(),
                };
                let ProjectSetup {
                    project,
                    baseline,
                    write_baseline,
                    output,
                    threads,
                } = ProjectSetup::load(&cwd, &start, &a.project)?;
                // Before the scanner is built: building it runs on rayon's
                // global pool, which would otherwise start with one thread
                // per core and ignore `--threads`.
                init_thread_pool(threads);
                let settings = &project.settings;
                let archives = (!a.no_archives && settings.archives != Some(false)).then(|| {
                    let mut limits = Limits::default();
                    if let Some(depth) = a.archive_max_depth {
                        limits.max_depth = depth;
                    }
                    if let Some(bytes) = a.archive_max_bytes {
                        limits.max_bytes = bytes;
                    }
                    limits
                });
                let fingerprinter = fingerprinter(&cli.fingerprints)?;
                let mut scanner = build_project_scanner(&cli.rules, settings)?
                    .with_fingerprinter(fingerprinter.clone());
                let live = if a.known.known.is_empty() {
                    None
                } else {
                    Some(load_known(&a.known.known, &a.known, &fingerprinter)?.0)
                };
                let find_only = !a.find.is_empty();
                if find_only {
                    scanner = scanner.with_known(load_known(&a.find, &a.known, &fingerprinter)?.0);
                }
                Config::Scan(Box::new(ScanConfig {
                    scanner,
                    inputs,
                    format: a.format.into(),
                    show_secrets: a.show_secrets,
                    min_confidence: settings.min_confidence(a.min_confidence),
                    inline_allow: !a.no_inline_allow,
                    live,
                    find_only,
                    skip_expired: a.skip_expired,
                    summary: a.summary || std::io::IsTerminal::is_terminal(&std::io::stdout()),
                    output,
                    archives,
                    threads,
                    baseline,
                    write_baseline,
                    ignore: project.ignore,
                    cwd,
                }))
            }
            args::Command::Redact(a) => {
                let fingerprinter = fingerprinter(&cli.fingerprints)?;
                let mut scanner = build_scanner(&cli.rules)?
                    .with_fingerprinter(fingerprinter.clone())
                    .with_marker(match a.marker {
                        MarkerArg::Label => Marker::Label,
                        MarkerArg::LabelFp => Marker::LabelFingerprint,
                    });
                let known = if a.known.known.is_empty() {
                    None
                } else {
                    let (set, mut sources) = load_known(&a.known.known, &a.known, &fingerprinter)?;
                    sources.keep_rotated(a.keep_rotated);
                    scanner = scanner.with_known(set);
                    Some(sources)
                };
                Config::Redact(RedactConfig {
                    scanner,
                    input: a.file.map_or(Input::Stdin, to_input),
                    output: a.output.filter(|p| p.as_os_str() != "-"),
                    known,
                    poll: a.poll,
                    status: a.status,
                })
            }
            args::Command::Git(a) => {
                let cwd = std::env::current_dir().context("cannot get the current directory")?;
                let ProjectSetup {
                    project,
                    baseline,
                    write_baseline,
                    output,
                    threads,
                } = ProjectSetup::load(&cwd, &a.repo, &a.project)?;
                init_thread_pool(threads);
                let settings = &project.settings;
                Config::Git(GitConfig {
                    scanner: build_project_scanner(&cli.rules, settings)?
                        .with_fingerprinter(fingerprinter(&cli.fingerprints)?),
                    revisions: match (a.staged, a.range, a.since_commit, a.branch) {
                        (true, ..) => Revisions::Staged,
                        (false, Some(range), ..) => Revisions::Range(range),
                        (false, None, Some(rev), branch) => Revisions::Since { rev, branch },
                        (false, None, None, Some(branch)) => Revisions::Branch(branch),
                        (false, None, None, None) => Revisions::All,
                    },
                    repo: a.repo,
                    format: a.format.into(),
                    show_secrets: a.show_secrets,
                    min_confidence: settings.min_confidence(a.min_confidence),
                    inline_allow: !a.no_inline_allow,
                    output,
                    threads,
                    baseline,
                    write_baseline,
                    ignore: project.ignore,
                })
            }
            args::Command::Fingerprint => Config::Fingerprint {
                fingerprinter: fingerprinter(&cli.fingerprints)?,
            },
            args::Command::Explain(e) => Config::Explain {
                scanner: build_scanner(&cli.rules)?,
                rule_ids: e.rule_ids,
            },
            args::Command::Hook(h) => {
                let mut policy = secretscan::Policy::redact_all();
                if let Some(level) = h.block_at {
                    policy = policy.at_or_above(level, secretscan::Action::Block);
                }
                Config::Hook(HookConfig {
                    guard: secretscan::Guard::new(build_scanner(&cli.rules)?, policy)?,
                    format: h.format,
                    max_input: h.max_input,
                    fail_open: h.fail_open,
                })
            }
            args::Command::Rules(r) => match r.action {
                None => Config::ListRules {
                    scanner: build_scanner(&cli.rules)?,
                    format: r.list.format,
                },
                Some(RulesAction::List(l)) => Config::ListRules {
                    scanner: build_scanner(&cli.rules)?,
                    format: l.format,
                },
                Some(RulesAction::Check(c)) if c.files.is_empty() => Config::CheckRules {
                    scanner: build_scanner(&cli.rules)?,
                },
                Some(RulesAction::Check(c)) => Config::CheckRules {
                    scanner: build_scanner(&RuleArgs {
                        rule_files: c.files,
                        no_builtin: true,
                    })?,
                },
            },
        })
    }
}

/// The project found from `start` (secretscan.toml, .secretscanignore,
/// --exclude) and the baselines to read and write, as `scan` and `git`
/// apply them.
struct ProjectSetup {
    project: Project,
    baseline: Option<Baseline>,
    write_baseline: Option<(PathBuf, Baseline)>,
    /// The report file; `None` is stdout.
    output: Option<PathBuf>,
    /// Scanning threads (the flag, else the config); `None` is one per
    /// core.
    threads: Option<usize>,
}

impl ProjectSetup {
    fn load(cwd: &Path, start: &Path, a: &ProjectArgs) -> Result<ProjectSetup> {
        let project = Project::load(cwd, start, a.config.as_deref(), !a.no_config, &a.exclude)?;
        let baseline = match a.baseline.as_ref().or(project.settings.baseline.as_ref()) {
            Some(file) => Some(Baseline::load(&absolute(cwd, file))?),
            None => None,
        };
        let write_baseline = match &a.write_baseline {
            Some(file) => {
                // Rewriting a baseline keeps its salt, so that its diff
                // shows only the findings that changed.
                let old = match &baseline {
                    Some(b) => Some(b.emptied()),
                    None => Baseline::load(file).ok().map(|b| b.emptied()),
                };
                let fresh = match old {
                    Some(b) => b,
                    None => Baseline::new()?,
                };
                Some((file.clone(), fresh))
            }
            None => None,
        };
        let threads = a.threads.map(|n| n as usize).or(project.settings.threads);
        Ok(ProjectSetup {
            project,
            baseline,
            write_baseline,
            output: a.output.clone().filter(|p| p.as_os_str() != "-"),
            threads,
        })
    }
}

fn to_input(path: PathBuf) -> Input {
    if path.as_os_str() == "-" {
        Input::Stdin
    } else {
        Input::Path(path)
    }
}

/// The environment variable holding a fingerprint key.
pub const FINGERPRINT_KEY_VAR: &str = "SECRETSCAN_FINGERPRINT_KEY";

/// Keyed when `--fingerprint-key FILE` or the environment variable gives a
/// key; plain otherwise.
fn fingerprinter(args: &FingerprintArgs) -> Result<Fingerprinter> {
    let key = match &args.fingerprint_key {
        Some(path) => {
            let name = secretscan::report::path_name(path);
            let bytes = std::fs::read(path)
                .with_context(|| format!("{name}: cannot read the fingerprint key"))?;
            let key = bytes.strip_suffix(b"\n").unwrap_or(&bytes).to_vec();
            if key.is_empty() {
                bail!("{name}: the fingerprint key file is empty");
            }
            key
        }
        None => match std::env::var_os(FINGERPRINT_KEY_VAR) {
            Some(v) if !v.is_empty() => v.to_string_lossy().into_owned().into_bytes(),
            _ => return Ok(Fingerprinter::plain()),
        },
    };
    Ok(Fingerprinter::keyed(&key))
}

/// Loads `sources` once; a source that fails is an error here (there is no
/// last good set yet). Values refused as too short are named on stderr.
pub fn load_known(
    sources: &[String],
    args: &KnownArgs,
    fingerprinter: &Fingerprinter,
) -> Result<(KnownSecrets, KnownSources)> {
    let mut known = KnownSources::new(sources.iter().map(|s| Source::parse(s)).collect());
    known
        .min_len(args.min_known_len as usize)
        .fingerprinter(fingerprinter.clone());
    let reload = known.reload(SystemTime::now());
    if let Some(e) = reload.errors.into_iter().next() {
        return Err(anyhow::Error::new(e).context("cannot load known secrets"));
    }
    let set = known.known().clone();
    warn_refused(&set);
    Ok((set, known))
}

/// Names (never shows) the values refused as too short.
pub fn warn_refused(set: &KnownSecrets) {
    for r in set.refused() {
        eprintln!(
            "secretscan: warning: known value {} is {} bytes, shorter than the minimum: not redacted",
            secretscan::report::escape_text(&r.name),
            r.len
        );
    }
}

/// Sizes rayon's global pool (`None`: one thread per core). The pool is
/// built once per process; a later call, or one after anything ran on the
/// pool, leaves it as it is.
pub(crate) fn init_thread_pool(threads: Option<usize>) {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build_global();
}

/// The scanner for a scan: the rules of the command line plus those the
/// project's config file adds, less those it disables.
fn build_project_scanner(rules: &RuleArgs, settings: &Settings) -> Result<Scanner> {
    if settings.rule_files.is_empty()
        && settings.rules_toml.is_none()
        && settings.disable_rules.is_empty()
    {
        return build_scanner(rules);
    }
    let config = settings
        .file
        .as_deref()
        .map(path_name)
        .unwrap_or_else(|| "secretscan.toml".into());
    let mut set = if rules.no_builtin {
        RuleSet::new()
    } else {
        RuleSet::builtin()
    };
    for file in rules.rule_files.iter().chain(&settings.rule_files) {
        let mut more = RuleSet::new();
        more.add_file(file)?;
        set.extend(more)?;
    }
    if let Some(text) = &settings.rules_toml {
        let mut more = RuleSet::new();
        more.add_toml(Origin(format!("{config} [[rules]]")), text)?;
        set.extend(more)?;
    }
    for id in &settings.disable_rules {
        if set.get(id).is_none() {
            bail!("{config}: disable_rules: no rule with id '{id}'");
        }
    }
    set.retain(|r| !settings.disable_rules.iter().any(|id| **id == *r.id));
    if set.is_empty() {
        bail!("{config}: no rules left to scan with");
    }
    Ok(Scanner::new(set)?)
}

fn build_scanner(rules: &RuleArgs) -> Result<Scanner> {
    if rules.no_builtin && rules.rule_files.is_empty() {
        bail!("--no-builtin leaves no rules (add --rules FILE)");
    }
    if !rules.no_builtin && rules.rule_files.is_empty() {
        return Ok(Scanner::builtin());
    }
    let mut builder = Scanner::builder().builtin(!rules.no_builtin);
    for file in &rules.rule_files {
        builder = builder.rules_file(file);
    }
    // The library's error names the file, the rule and the reason.
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(argv: &[&str], stdin_is_terminal: bool) -> Result<Config> {
        let cli = Cli::try_parse_from(std::iter::once("secretscan").chain(argv.iter().copied()))?;
        Config::new(cli, Env { stdin_is_terminal })
    }

    #[test]
    fn scan_without_paths_reads_stdin_unless_it_is_a_terminal() {
        let Config::Scan(c) = config(&["scan"], false).unwrap() else {
            panic!("not a scan")
        };
        assert_eq!(c.inputs, vec![Input::Stdin]);
        let e = config(&["scan"], true).unwrap_err().to_string();
        assert!(e.contains("stdin is a terminal"), "{e}");
    }

    #[test]
    fn scan_inputs_are_deduplicated_in_order() {
        let Config::Scan(c) = config(&["scan", "b", "-", "a", "b", "-"], true).unwrap() else {
            panic!()
        };
        assert_eq!(
            c.inputs,
            vec![
                Input::Path("b".into()),
                Input::Stdin,
                Input::Path("a".into())
            ]
        );
    }

    #[test]
    fn no_builtin_needs_rules() {
        let e = config(&["redact", "--no-builtin"], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--no-builtin"), "{e}");
    }

    #[test]
    fn redact_dash_means_stdio() {
        let Config::Redact(c) = config(&["redact", "-", "-o", "-"], false).unwrap() else {
            panic!()
        };
        assert_eq!((c.input, c.output), (Input::Stdin, None));
    }
}
