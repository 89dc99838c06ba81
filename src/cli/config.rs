//! The validated configuration: what to run, with a compiled scanner.
//!
//! Everything that can be rejected before any input is read is rejected
//! here: bad rule files, `--no-builtin` without rules, a scan with nothing
//! to read.

use std::path::PathBuf;

use anyhow::{bail, Result};
use secretscan::report::Format;
use secretscan::rules::Confidence;
use secretscan::Scanner;

use super::args::{self, Cli, ListFormat, RuleArgs, RulesAction, ScanFormat};

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
}

#[derive(Debug)]
pub struct RedactConfig {
    pub scanner: Scanner,
    pub input: Input,
    /// `None` is stdout.
    pub output: Option<PathBuf>,
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
                Config::Scan(ScanConfig {
                    scanner: build_scanner(&cli.rules)?,
                    inputs,
                    format: match a.format {
                        ScanFormat::Human => Format::Human,
                        ScanFormat::Json => Format::Json,
                        ScanFormat::Jsonl => Format::Jsonl,
                    },
                    show_secrets: a.show_secrets,
                    min_confidence: a.min_confidence,
                    inline_allow: !a.no_inline_allow,
                })
            }
            args::Command::Redact(a) => Config::Redact(RedactConfig {
                scanner: build_scanner(&cli.rules)?,
                input: a.file.map_or(Input::Stdin, to_input),
                output: a.output.filter(|p| p.as_os_str() != "-"),
            }),
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
