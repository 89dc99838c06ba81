//! `secretscan explain RULE-ID`: the runbook for one kind of key, from the
//! rule's `rotate` guidance; and `secretscan fingerprint`.

use std::io::{self, Read, Write};

use anyhow::{bail, Context, Result};
use secretscan::report::{escape_message, first_step};
use secretscan::{Fingerprinter, Scanner};

use super::Exit;

/// The procedure for a value from a secret store (`--known`), which no
/// rule describes.
const KNOWN_RUNBOOK: &str = "\
Known secret (a value from your own secret store, redacted as [REDACTED:known:<NAME>])

1. Find every place it leaked: secretscan scan --find SOURCE PATH... (logs, dumps, git history).
2. Issue a new value at its provider, and revoke the old one there once nothing uses it.
3. Update the secret store (the Kubernetes Secret, the .env file, the vault entry). A running
   `secretscan redact --known SOURCE` re-reads it within --poll (at once on SIGHUP): the new value
   is redacted from then on, and the old one stays redacted for --keep-rotated (24h by default),
   because logs still carry it. No restart is needed.
4. Verify: `--status FILE` lists the new name and fingerprint and the old one as rotated out;
   `printf %s \"$NEW\" | secretscan fingerprint` matches the new fingerprint; the provider rejects
   the old value.
";

/// Prints the runbook of each rule in turn, separated by blank lines.
pub fn explain(scanner: &Scanner, rule_ids: &[String]) -> Result<Exit> {
    let mut out = io::stdout().lock();
    for (n, rule_id) in rule_ids.iter().enumerate() {
        if n > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(runbook(scanner, rule_id)?.as_bytes())?;
    }
    out.flush()?;
    Ok(Exit::Clean)
}

fn runbook(scanner: &Scanner, rule_id: &str) -> Result<String> {
    if rule_id == "known" || rule_id.starts_with("known:") {
        return Ok(KNOWN_RUNBOOK.to_string());
    }
    let Some(index) = scanner.rule_index(rule_id) else {
        bail!(
            "no rule '{}' (see `secretscan rules` for the ids, or `known` for known values)",
            escape_message(rule_id)
        );
    };
    let rule = &scanner.rules()[index];
    let mut text = format!("{} ({})\n\n", rule.id, rule.name);
    match &rule.rotate {
        Some(rotate) => {
            text.push_str(&format!("First: {}\n\n", first_step(&rotate.text)));
            text.push_str("1. Revoke and replace it:\n   ");
            text.push_str(&rotate.text);
            text.push('\n');
            if let Some(url) = &rotate.url {
                text.push_str(&format!("   Where: {url}\n"));
            }
        }
        None => text.push_str(
            "1. Revoke it where it was issued and issue a replacement (this rule has no provider guidance).\n",
        ),
    }
    text.push_str(&format!(
        "2. Deploy the replacement everywhere the old key was used, then make sure the old key is dead:\n   \
         the provider rejects it, and its audit log shows no use after the revocation.\n\
         3. Find every other place it leaked: secretscan scan --find SOURCE PATH... (logs, dumps, git history).\n\
         4. If the key was also in a secret store that `secretscan redact --known` reads, update the store:\n   \
         the new value is redacted from then on and the old one for the rotation window.\n\
         Confidence of its findings: {}.\n",
        rule.confidence
    ));
    Ok(escape_message(&text).into_owned())
}

/// Reads the value from stdin (never argv) and prints its fingerprint.
pub fn fingerprint(fingerprinter: &Fingerprinter) -> Result<Exit> {
    let mut value = vec![];
    io::stdin()
        .lock()
        .read_to_end(&mut value)
        .context("<stdin>: read error")?;
    let value = value.strip_suffix(b"\n").unwrap_or(&value);
    let value = value.strip_suffix(b"\r").unwrap_or(value);
    if value.is_empty() {
        bail!("no value on stdin (pipe it in: printf %s \"$VALUE\" | secretscan fingerprint)");
    }
    let mut out = io::stdout().lock();
    writeln!(out, "{}", fingerprinter.of(value))?;
    out.flush()?;
    Ok(Exit::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secretscan::report::KNOWN_FIRST_STEP;

    #[test]
    fn the_known_runbook_says_what_to_do() {
        assert!(KNOWN_RUNBOOK.contains("--keep-rotated"));
        assert!(KNOWN_FIRST_STEP.contains("secret store"));
    }
}
