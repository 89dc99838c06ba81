//! The `secretscan` command: a thin front end over the library.
//!
//! See [`cli`] for the stages: parse arguments, build a validated
//! configuration, run it, map the outcome to an exit code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
