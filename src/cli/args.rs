//! The command line as written: clap's view of the arguments, before any
//! validation. [`super::config`] turns it into a [`super::config::Config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secretscan::rules::Confidence;

/// Find and redact secrets (API keys, tokens, private keys, passwords) in
/// files and streams.
///
/// Reports show where each secret is, which rule found it, a masked preview
/// and a fingerprint; never the secret itself unless asked.
#[derive(Debug, Parser)]
#[command(name = "secretscan", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub fingerprints: FingerprintArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the rules come from; accepted by every subcommand.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Add the rules in this TOML file to the built-in pack (repeatable).
    #[arg(long = "rules", value_name = "FILE", global = true)]
    pub rule_files: Vec<PathBuf>,
    /// Leave out the built-in rules (then at least one --rules is needed).
    #[arg(long, global = true)]
    pub no_builtin: bool,
}

/// How fingerprints are computed; accepted by every subcommand.
#[derive(Debug, Args)]
pub struct FingerprintArgs {
    /// Key fingerprints with HMAC-SHA-256 under the key in this file (or
    /// in the SECRETSCAN_FINGERPRINT_KEY environment variable), so that a
    /// published report does not let anyone test guesses of a secret. Never
    /// pass the key itself as an argument: process lists show arguments.
    #[arg(long, value_name = "FILE", global = true)]
    pub fingerprint_key: Option<PathBuf>,
}

/// Known secret values; shared by `scan` and `redact`.
#[derive(Debug, Args)]
pub struct KnownArgs {
    /// Known secret values (repeatable): a file (one value, or NAME=value
    /// lines as in .env), a directory (a Kubernetes-mounted Secret: one
    /// file per key), `env:NAME` or `env:GLOB` (such as `env:*_API_KEY`).
    #[arg(long = "known", value_name = "SOURCE")]
    pub known: Vec<String>,
    /// Known values shorter than this many bytes are refused, with a
    /// warning (masking `dev` or `test` everywhere helps nobody). At least 8.
    #[arg(long, value_name = "BYTES", default_value_t = 8, value_parser = clap::value_parser!(u64).range(8..))]
    pub min_known_len: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report the secrets in files, directory trees or stdin.
    ///
    /// Directories are walked recursively with hidden and gitignored files
    /// included (a leaked key hides in `.env` files as much as anywhere);
    /// only `.git` directories are skipped, and symbolic links inside a tree
    /// are not followed. Binary files are scanned too, and so is any text
    /// in them stored as UTF-16LE (Windows minidumps, .NET and Java heap
    /// dumps). Archives and compressed files (.zip, .tar, .gz, .tar.gz,
    /// nested) are opened and their members reported as
    /// `archive.zip!inner/path`. Output is sorted by path, then by position.
    ///
    /// Settings come from `secretscan.toml` and `.secretscanignore` in the
    /// project root: the nearest directory, from the first PATH (or the
    /// current directory) upwards, that holds one of them or `.git`. Flags
    /// override the file.
    ///
    /// Exit status: 0 when nothing was reported, 1 when secrets at or above
    /// --min-confidence were reported (not counting those in --baseline),
    /// 2 when an error occurred (such as an unreadable path, a corrupt
    /// archive or a bad config file), whatever was found. With
    /// --write-baseline: 0, or 2 on an error.
    Scan(ScanArgs),
    /// Copy input to output with every secret replaced by
    /// `[REDACTED:<rule-id>]`.
    ///
    /// A stream: each complete line is written as soon as it is read, and
    /// only bytes that could still be part of a secret are held back, so
    /// `tail -f app.log | secretscan redact` shows every line at once.
    /// Input need not be text; every byte that is not part of a secret is
    /// copied unchanged. Exit status 0, or 2 on an error.
    Redact(RedactArgs),
    /// List the rules, or check them against their own examples.
    Rules(RulesArgs),
    /// Check a coding agent's tool output before the model sees it: reads
    /// one hook event as JSON on stdin, writes the decision as JSON.
    ///
    /// The tool's output is the event's `tool_response` (Claude Code's
    /// PostToolUse hooks) or `tool_output` field; every string in it is
    /// checked. A clean output is let through (`{}`); secrets are redacted
    /// (the redacted output replaces the tool's), or, at or above
    /// --block-at, the output is withheld.
    ///
    /// Fail-closed: input that is not a JSON object with a tool output, or
    /// that is longer than --max-input, is withheld too, unless --fail-open
    /// is given. A decision is always written with exit status 0, so the
    /// agent reads it; exit status 2 is a usage error or unreadable rules.
    Hook(HookArgs),
    /// Print the fingerprint of a value read from stdin (one trailing
    /// newline is ignored), to tell whether the key in a report is the one
    /// you hold. The value is never taken from the command line.
    Fingerprint,
    /// Print how to revoke and replace the kind of key a rule finds (or,
    /// for `known`, a value from a secret store).
    Explain(ExplainArgs),
    /// Report the secrets in a git repository's history.
    ///
    /// Reads the repository itself (no `git` needed). By default every
    /// blob reachable from any branch, tag, other reference or HEAD is
    /// scanned, each distinct blob once. Each finding is reported once per
    /// secret and path, at the commit that introduced it (with its author,
    /// date and how many later commits still carry it), even when a later
    /// commit deleted it: the history still holds it.
    ///
    /// Exit status: 0 when nothing was found, 1 when secrets were found, 2
    /// when an error occurred (not a repository, an unreadable object),
    /// whatever was found.
    Git(GitArgs),
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule ids (see `secretscan rules`), or `known`.
    #[arg(value_name = "RULE-ID", required = true)]
    pub rule_ids: Vec<String>,
}

/// How redaction markers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MarkerArg {
    /// `[REDACTED:<rule-id>]`.
    Label,
    /// `[REDACTED:<rule-id>:<first 8 hex digits of the fingerprint>]`.
    #[value(name = "label+fp")]
    LabelFp,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repository: a work tree, a directory inside one, or a (bare)
    /// git directory.
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Scan only the commits reachable from this branch (or any revision).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["range", "staged"])]
    pub branch: Option<String>,
    /// Scan only the commits made since REV (those not reachable from it).
    #[arg(long, value_name = "REV", conflicts_with_all = ["range", "staged"])]
    pub since_commit: Option<String>,
    /// Scan only the commits reachable from B and not from A (a push).
    #[arg(long, value_name = "A..B", conflicts_with = "staged")]
    pub range: Option<String>,
    /// Scan what is staged: the index's files that differ from HEAD (for a
    /// pre-commit hook).
    #[arg(long)]
    pub staged: bool,
    /// The report format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// Print each secret's value too. By default, only a masked preview
    /// and a fingerprint are shown.
    #[arg(long)]
    pub show_secrets: bool,
    /// Report only findings at or above this confidence (`high`, `medium`,
    /// `low`), as for `scan`. By default, `medium`, or `min_confidence` of
    /// secretscan.toml.
    #[arg(long, value_name = "LEVEL", value_parser = parse_confidence)]
    pub min_confidence: Option<Confidence>,
    /// Report findings on lines marked `secretscan:allow` (and the other
    /// markers `scan` honours) too.
    #[arg(long)]
    pub no_inline_allow: bool,
    /// The report file, secretscan.toml, .secretscanignore and baselines
    /// of the repository's work tree apply as for `scan`; a finding's path
    /// is its path in the repository.
    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The decision's format: `claude-code` (the JSON Claude Code reads
    /// from PostToolUse hooks) or `json` (a generic decision object).
    #[arg(long, value_enum, default_value_t = HookFormat::ClaudeCode)]
    pub format: HookFormat,
    /// Withhold the whole output when a finding is at or above this
    /// confidence (`high`, `medium`, `low`). By default, secrets are
    /// redacted, never withheld.
    #[arg(long, value_name = "LEVEL", value_parser = parse_confidence)]
    pub block_at: Option<Confidence>,
    /// The most bytes of input read; a longer event is withheld (or let
    /// through with --fail-open).
    #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
    pub max_input: u64,
    /// Let malformed or oversized input through instead of withholding it.
    #[arg(long)]
    pub fail_open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookFormat {
    /// Claude Code's hook output (`hookSpecificOutput.updatedToolOutput`,
    /// `decision: "block"`).
    ClaudeCode,
    /// `{"decision": "allow"|"redact"|"block", "reason", "findings", "tool_output"}`.
    Json,
}

/// What `scan` and `git` share: the report file and the project's
/// settings, ignore files and baselines.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Write the report to FILE instead of stdout (`-` is stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Report only the findings that are not in this baseline file (see
    /// --write-baseline). By default, `baseline` of secretscan.toml.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every finding reported into a baseline FILE (keyed by rule,
    /// path and a salted hash of the secret: no secret values), then exit
    /// 0. Commit it and pass it to --baseline so that CI reports only new
    /// secrets.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Skip paths that match GLOB (gitignore syntax, relative to the
    /// current directory; repeatable). Adds to the excludes of
    /// secretscan.toml and .secretscanignore. For `git`, findings at paths
    /// that match are left out of the report.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Scan with N threads: files (or blobs) in parallel, and large files
    /// or stdin cut into chunks scanned in parallel (the findings are the
    /// same).
    /// By default, one per core, or `threads` of secretscan.toml.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub threads: Option<u64>,
    /// Read settings from FILE instead of looking for secretscan.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore secretscan.toml and .secretscanignore.
    #[arg(long)]
    pub no_config: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` is stdin. With none, stdin is
    /// scanned when it is not a terminal.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The report format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// Print each secret's value too. By default, only a masked preview
    /// and a fingerprint are shown.
    #[arg(long)]
    pub show_secrets: bool,
    /// Report only findings at or above this confidence: `high` (a
    /// provider's format whose checksum or structure was verified),
    /// `medium` (a provider's format) or `low` (generic assignments such as
    /// `password = ...`). The default suits CI: provider formats block,
    /// generic guesses do not.
    /// By default, `medium`, or `min_confidence` of secretscan.toml.
    #[arg(long, value_name = "LEVEL", value_parser = parse_confidence)]
    pub min_confidence: Option<Confidence>,
    /// Report findings on lines marked `secretscan:allow` (or
    /// `gitleaks:allow`, `pragma: allowlist secret`, `trufflehog:ignore`)
    /// too. By default such lines are left out of the report.
    #[arg(long)]
    pub no_inline_allow: bool,
    /// Mark each finding whose value is one of these known secrets as live
    /// ("the leaked key is the one in production now: rotate it first").
    #[command(flatten)]
    pub known: KnownArgs,
    /// Report every place where a value from this source (same forms as
    /// --known) appears, in any of its encodings, instead of the rules'
    /// findings: the search after an incident (repeatable).
    #[arg(long, value_name = "SOURCE")]
    pub find: Vec<String>,
    /// Leave tokens that have expired (by their own `exp` claim) out of the
    /// report.
    #[arg(long)]
    pub skip_expired: bool,
    /// End a human report with a summary per rule (what leaked, how many
    /// places, confidence, the first rotation step). On by default when
    /// stdout is a terminal.
    #[arg(long)]
    pub summary: bool,
    /// Scan archives and compressed files as the bytes they are, without
    /// opening them.
    #[arg(long)]
    pub no_archives: bool,
    /// Open archives nested up to N deep; deeper ones are scanned as raw
    /// bytes (with an error). By default, 5.
    #[arg(long, value_name = "N")]
    pub archive_max_depth: Option<u32>,
    /// Stop expanding an input after SIZE bytes, all archive levels
    /// counted (suffixes K, M, G). By default, 16G. Besides, an input that
    /// expands more than 1000-fold past 64M is stopped as a decompression
    /// bomb.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub archive_max_bytes: Option<u64>,
    #[command(flatten)]
    pub project: ProjectArgs,
}

/// A byte count with an optional K, M or G suffix (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let (digits, shift) = match s.as_bytes().last().map(u8::to_ascii_uppercase) {
        Some(b'K') => (&s[..s.len() - 1], 10),
        Some(b'M') => (&s[..s.len() - 1], 20),
        Some(b'G') => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("'{s}' is not a size (a number with an optional K, M or G)"))
}

fn parse_confidence(s: &str) -> Result<Confidence, String> {
    s.parse()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// `path:line:col rule-id preview`, one line per finding.
    Human,
    /// One JSON array of finding objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning (upload-sarif) and other
    /// SARIF viewers.
    Sarif,
}

impl From<ScanFormat> for secretscan::report::Format {
    fn from(format: ScanFormat) -> Self {
        use secretscan::report::Format;
        match format {
            ScanFormat::Human => Format::Human,
            ScanFormat::Json => Format::Json,
            ScanFormat::Jsonl => Format::Jsonl,
            ScanFormat::Sarif => Format::Sarif,
        }
    }
}

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The file to read; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Write to this file instead of stdout (`-` is stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also redact these exact values as `[REDACTED:known:<NAME>]`, with
    /// their base64, URL, JSON and hex encodings. Sources are re-read when
    /// they change (and at once on SIGHUP); a value that leaves its source
    /// stays redacted for --keep-rotated.
    #[command(flatten)]
    pub known: KnownArgs,
    /// How often to re-read the --known sources (such as 500ms, 2s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub poll: std::time::Duration,
    /// How long a value that left its --known source stays redacted (the
    /// rotation window: logs still carry the old key).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    pub keep_rotated: std::time::Duration,
    /// Write a JSON status snapshot to this file at every poll: per source
    /// the names and fingerprints of its values, when it was loaded, its
    /// rotated-out names with their expiry; redactions per rule. Never a
    /// value.
    #[arg(long, value_name = "FILE")]
    pub status: Option<PathBuf>,
    /// How redaction markers read: `label` gives `[REDACTED:github-pat]`,
    /// `label+fp` adds the fingerprint's first 8 hex digits
    /// (`[REDACTED:github-pat:3f9a1c2b]`).
    #[arg(long, value_enum, default_value_t = MarkerArg::Label)]
    pub marker: MarkerArg,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    secretscan::rotation::parse_duration(s)
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// List the rules: id, name, priority and keywords (the default).
    List(ListArgs),
    /// Run every rule's examples and negative examples through the engine.
    ///
    /// Prints each failure (file, rule id, example and why) and a summary
    /// line. With FILEs, checks only the rules in those files; otherwise the
    /// built-in pack (plus any --rules). Exit status 1 when an example fails.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The listing format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// An aligned table.
    Human,
    /// One JSON array of rule objects.
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Rule files to check on their own, without the built-in pack.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn rule_options_are_global() {
        let cli = Cli::try_parse_from([
            "secretscan",
            "scan",
            "--rules",
            "a.toml",
            "x",
            "--no-builtin",
        ])
        .unwrap();
        assert_eq!(cli.rules.rule_files, vec![PathBuf::from("a.toml")]);
        assert!(cli.rules.no_builtin);
        let cli = Cli::try_parse_from([
            "secretscan",
            "--rules",
            "a.toml",
            "rules",
            "check",
            "b.toml",
        ])
        .unwrap();
        assert_eq!(cli.rules.rule_files, vec![PathBuf::from("a.toml")]);
        assert!(matches!(
            cli.command,
            Command::Rules(RulesArgs {
                action: Some(RulesAction::Check(_)),
                ..
            })
        ));
    }
}
