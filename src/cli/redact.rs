//! `secretscan redact`: input to output with every secret replaced, as a
//! stream.
//!
//! Each read (up to 64 KiB; a pipe returns whatever is there) goes into a
//! [`secretscan::RedactWriter`], which is flushed after every read: so
//! every byte that can no longer be part of a secret, in particular every
//! complete line, reaches the output as soon as it was read, and
//! `tail -f app.log | secretscan redact` shows each line at once. Only the
//! bytes that could still begin a secret are held back, until more input
//! or the end of input decides them.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};

use anyhow::{bail, Context, Result};
use secretscan::report::path_name;

use super::config::{Input, RedactConfig};
use super::input::{name, read_some, same_file, stdin_metadata};
use super::Exit;

/// The most bytes read (and so pushed into the redactor) at once.
const READ_SIZE: usize = 64 * 1024;

pub fn run(c: RedactConfig) -> Result<Exit> {
    let input_name = name(&c.input);
    let (mut reader, input_meta): (Box<dyn Read>, _) = match &c.input {
        Input::Stdin => (Box::new(io::stdin().lock()), stdin_metadata()),
        Input::Path(p) => {
            let file = File::open(p).with_context(|| input_name.clone())?;
            let meta = file.metadata().ok();
            (Box::new(file), meta)
        }
    };
    let (output, output_name): (Box<dyn Write>, String) = match &c.output {
        None => (Box::new(io::stdout().lock()), "<stdout>".to_string()),
        Some(p) => {
            let output_name = path_name(p);
            if let (Some(inp), Ok(out)) = (&input_meta, std::fs::metadata(p)) {
                // NOTE: only regular files: /dev/null or a terminal may well
                // be both, and neither is truncated by opening it.
                if out.is_file() && same_file(inp, &out) {
                    bail!("{output_name}: the output is the input file; writing it would destroy the input before it is read");
                }
            }
            let file = File::create(p)
                .with_context(|| format!("{output_name}: cannot create output file"))?;
            (Box::new(file), output_name)
        }
    };
    let mut redactor = c
        .scanner
        .redact_writer(BufWriter::with_capacity(READ_SIZE, output));
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        let n = match read_some(&mut reader, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                // NOTE: not finish(): the held-back tail may be the start of
                // a secret cut off by the error, which no rule can recognise
                // any more. Write what is settled, drop the rest.
                let _ = redactor.abandon().flush();
                return Err(anyhow::Error::new(e).context(format!("{input_name}: read error")));
            }
        };
        if n == 0 {
            break;
        }
        redactor
            .write_all(&buf[..n])
            .and_then(|()| redactor.flush())
            .with_context(|| format!("{output_name}: write error"))?;
    }
    redactor
        .finish()
        .with_context(|| format!("{output_name}: write error"))?;
    Ok(Exit::Clean)
}
