//! `secretscan rules`: list the rules, or check them against their own
//! examples.

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use secretscan::report::{escape_message, escape_text};
use secretscan::rules::check::check as check_rules;
use secretscan::rules::Confidence;
use secretscan::{Rotation, Scanner};
use serde::Serialize;

use super::args::ListFormat;
use super::Exit;

#[derive(Serialize)]
struct RuleRow<'a> {
    id: &'a str,
    name: &'a str,
    priority: i32,
    confidence: Confidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    validate: Option<&'static str>,
    /// The provider; `null` for a credential family (passwords, keys).
    provider: Option<&'a str>,
    keywords: &'a [String],
    origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotate: Option<&'a Rotation>,
}

/// Prints the rule table (id, name, priority, keywords) or a JSON array.
pub fn list(scanner: &Scanner, format: ListFormat) -> Result<Exit> {
    let rows: Vec<RuleRow<'_>> = scanner
        .rules()
        .iter()
        .map(|r| RuleRow {
            id: &r.id,
            name: &r.name,
            priority: r.priority,
            confidence: if r.validate.is_some() && r.confidence == Confidence::Medium {
                Confidence::High
            } else {
                r.confidence
            },
            validate: r.validate.map(|c| c.name()),
            provider: r.provider.as_deref(),
            keywords: &r.keywords,
            origin: r.origin.to_string(),
            rotate: r.rotate.as_ref(),
        })
        .collect();
    let mut out = BufWriter::new(io::stdout().lock());
    match format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rows).context("<stdout>: write error")?;
            writeln!(out).context("<stdout>: write error")?;
        }
        ListFormat::Human => write_table(&mut out, &rows).context("<stdout>: write error")?,
    }
    out.flush().context("<stdout>: write error")?;
    Ok(Exit::Clean)
}

fn write_table(out: &mut impl Write, rows: &[RuleRow<'_>]) -> io::Result<()> {
    // Rule files are input too: names and keywords are escaped.
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let keywords: Vec<String> = r
                .keywords
                .iter()
                .map(|k| escape_text(k).into_owned())
                .collect();
            [
                escape_text(r.id).into_owned(),
                escape_text(r.name).into_owned(),
                r.priority.to_string(),
                r.confidence.to_string(),
                keywords.join(", "),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "PRIORITY", "CONFIDENCE", "KEYWORDS"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&cells) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&cells) {
        let [id, name, priority, confidence, keywords] = row;
        writeln!(
            out,
            "{id:<w0$}  {name:<w1$}  {priority:>w2$}  {confidence:<w3$}  {keywords}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )?;
    }
    Ok(())
}

/// Runs every rule's examples; prints each failure and a summary line.
/// Exit 1 when any example fails.
pub fn check(scanner: &Scanner) -> Result<Exit> {
    let report = check_rules(scanner);
    let mut out = BufWriter::new(io::stdout().lock());
    let mut write = || -> io::Result<()> {
        for failure in &report.failures {
            writeln!(out, "{}", escape_message(&failure.to_string()))?;
        }
        if !report.without_examples.is_empty() {
            writeln!(
                out,
                "note: rules without examples: {}",
                escape_text(&report.without_examples.join(", "))
            )?;
        }
        writeln!(
            out,
            "{} rules, {} examples, {} failures",
            report.rules,
            report.examples,
            report.failures.len()
        )?;
        out.flush()
    };
    write().context("<stdout>: write error")?;
    Ok(if report.failures.is_empty() {
        Exit::Clean
    } else {
        Exit::Found
    })
}
