//! The validated configuration: what to run, with a compiled scanner.
//!
//! Everything that can be rejected before any input is read is rejected
//! here: bad rule files, `--no-builtin` without rules, a scan with nothing
//! to read.

use std::path::PathBuf;

use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};
use secretscan::report::Format;
use secretscan::rotation::{KnownSources, Source};
use secretscan::rules::Confidence;
use secretscan::{Fingerprinter, KnownSecrets, Marker, Scanner};

use super::args::{
    self, Cli, FingerprintArgs, KnownArgs, ListFormat, MarkerArg, RuleArgs, RulesAction, ScanFormat,
};

/// Facts about the process environment that validation depends on, passed
/// in so that tests can vary them.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    pub stdin_is_terminal: bool,
}

/// What to run.
#[derive(Debug)]
pub enum Config {
    Scan(ScanConfig),
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
                let fingerprinter = fingerprinter(&cli.fingerprints)?;
                let mut scanner =
                    build_scanner(&cli.rules)?.with_fingerprinter(fingerprinter.clone());
                let live = if a.known.known.is_empty() {
                    None
                } else {
                    Some(load_known(&a.known.known, &a.known, &fingerprinter)?.0)
                };
                let find_only = !a.find.is_empty();
                if find_only {
                    scanner = scanner.with_known(load_known(&a.find, &a.known, &fingerprinter)?.0);
                }
                Config::Scan(ScanConfig {
                    scanner,
                    inputs,
                    format: match a.format {
                        ScanFormat::Human => Format::Human,
                        ScanFormat::Json => Format::Json,
                        ScanFormat::Jsonl => Format::Jsonl,
                    },
                    show_secrets: a.show_secrets,
                    min_confidence: a.min_confidence,
                    inline_allow: !a.no_inline_allow,
                    live,
                    find_only,
                    skip_expired: a.skip_expired,
                    summary: a.summary || std::io::IsTerminal::is_terminal(&std::io::stdout()),
                })
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
