//! The command-line front end: parse ([`args`]), validate ([`config`]),
//! run ([`scan`], [`git`], [`redact`], [`rules`], [`hook`]), and map the outcome to an
//! [`Exit`] code.
//!
//! Errors are `anyhow` chains printed as `secretscan: error: a: b: c`. A
//! closed output pipe (`secretscan redact | head -1`) is not an error: the
//! reader has what it wanted, so the process exits quietly with status 0.

mod args;
mod config;
mod explain;
mod git;
mod hook;
mod input;
mod project;
mod redact;
mod rules;
mod scan;

use std::io::{self, IsTerminal, Write};

use clap::Parser;
use secretscan::report::escape_message;
use secretscan::report::output::Output;

use self::args::Cli;
use self::config::{Config, Env};

/// The process exit status, as documented in `--help`: like grep's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing found (or, for `redact`, the stream was copied).
    Clean = 0,
    /// Secrets found, or `rules check` failures.
    Found = 1,
    /// A usage error, a bad rule file, or an unreadable input or output.
    Error = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// Runs the command line of this process.
pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0, usage errors to
            // stderr with status 2; a closed pipe is not worth a panic.
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Clean
            }
            .into();
        }
    };
    let env = Env {
        stdin_is_terminal: io::stdin().is_terminal(),
    };
    let outcome = Config::new(cli, env).and_then(run);
    match outcome {
        Ok(exit) => exit.into(),
        Err(e) if is_broken_pipe(&e) => Exit::Clean.into(),
        Err(e) => {
            print_error(&e);
            Exit::Error.into()
        }
    }
}

fn run(config: Config) -> anyhow::Result<Exit> {
    match config {
        Config::Scan(c) => scan::run(*c),
        Config::Redact(c) => redact::run(c),
        Config::ListRules { scanner, format } => rules::list(&scanner, format),
        Config::CheckRules { scanner } => rules::check(&scanner),
        Config::Hook(c) => hook::run(c),
        Config::Fingerprint { fingerprinter } => explain::fingerprint(&fingerprinter),
        Config::Explain { scanner, rule_ids } => explain::explain(&scanner, &rule_ids),
        Config::Git(c) => git::run(c),
    }
}

/// Prints `secretscan: error: ` and the whole chain of causes, with control
/// characters from untrusted text (paths, rule files) escaped.
pub(crate) fn print_error(e: &anyhow::Error) {
    let message = format!("{e:#}");
    // Nothing sensible is left to do if stderr itself is closed.
    let _ = writeln!(
        io::stderr().lock(),
        "secretscan: error: {}",
        escape_message(&message)
    );
}

/// The report's destination: the file `output`, written atomically (it
/// appears, or replaces the old one, only when [`Output::finish`]
/// succeeds), or stdout; with the name that write errors give.
pub(crate) fn open_report(output: Option<&std::path::Path>) -> anyhow::Result<(String, Output)> {
    use anyhow::Context;
    use secretscan::report::path_name;
    let name = output.map_or_else(|| "<stdout>".to_string(), path_name);
    let out =
        Output::open(output).with_context(|| format!("{name}: cannot create the report file"))?;
    Ok((name, out))
}

/// Flushes `out` and finishes its [`Output`] (commits a report file).
pub(crate) fn finish_output(out: std::io::BufWriter<Output>, name: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let out = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("{name}: write error"))?;
    out.finish().with_context(|| format!("{name}: write error"))
}

/// Whether `e` is, or was caused by, writing to a closed pipe.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
