//! Untrusted text made safe to show: paths, rule names and matched bytes
//! come from the input, and a message or report may go straight to a
//! terminal. Every stage that names an input in a message (errors, reports,
//! rotation status) escapes it here, so no input can move the cursor,
//! change colours, reorder text or forge a line.
//!
//! Cost: one pass over the text; borrowed when nothing needs escaping.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

/// `text` with every character that a terminal could act on escaped:
/// ASCII and C1 control characters (`\n`, `\r`, `\t`, `\x1b`, `\u{9b}`, …)
/// and the invisible bidirectional-text controls that can reorder what is
/// shown. Borrowed when there is nothing to escape.
///
/// ```
/// use secretscan::report::escape_text;
/// assert_eq!(escape_text("plain/path.txt"), "plain/path.txt");
/// assert_eq!(escape_text("evil\x1b[2Jname\n"), "evil\\x1b[2Jname\\n");
/// ```
pub fn escape_text(text: &str) -> Cow<'_, str> {
    escape_text_with(text, false)
}

/// Like [`escape_text`], but newlines and tabs are kept: for multi-line
/// messages such as errors, which may quote a rule file.
pub fn escape_message(text: &str) -> Cow<'_, str> {
    escape_text_with(text, true)
}

fn escape_text_with(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let needs = |c: char| is_dangerous(c) && !(keep_layout && (c == '\n' || c == '\t'));
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `bytes` as text for a terminal: valid UTF-8 as in [`escape_text`], and
/// each byte that is not part of valid UTF-8 as `\xNN`.
///
/// ```
/// use secretscan::report::escape_bytes;
/// assert_eq!(escape_bytes(b"ok\xff\x00"), "ok\\xff\\x00");
/// ```
pub fn escape_bytes(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return escape_text(text);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(&escape_text(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// The name of `path` as reports show it: the path as given, with bytes
/// that are not valid UTF-8 written as `\xNN` (on Unix) rather than lost.
/// Control characters are kept here; the human format escapes them.
pub fn path_name(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => {
                let mut out = String::with_capacity(bytes.len() + 8);
                for chunk in bytes.utf8_chunks() {
                    out.push_str(chunk.valid());
                    for b in chunk.invalid() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
                out
            }
        }
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

/// Characters a terminal may interpret: C0/C1 controls, DEL, and the
/// bidirectional formatting characters (Trojan Source).
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert!(matches!(escape_text("fine ünïcode"), Cow::Borrowed(_)));
        assert_eq!(escape_text("\u{9b}2J\u{202e}"), "\\u{9b}2J\\u{202e}");
        assert_eq!(escape_message("line 1\n\tline 2\r"), "line 1\n\tline 2\\r");
        assert_eq!(escape_bytes(b"a\xc3\xa9\xc3"), "a\u{e9}\\xc3");
    }
}
