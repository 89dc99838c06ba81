//! The contexts a key appears in, as shared regex pieces: how a name is
//! assigned its value in code, config, headers, URLs and flags, and where
//! a value ends.
//!
//! One definition serves every rule. The provider-row generator
//! ([`provider`](crate::rules::provider)) builds its patterns from these
//! pieces, and a hand-written rule names them by macro in its pattern:
//!
//! | macro | expands to | matches |
//! |---|---|---|
//! | `{{assign}}` | `(?i:`[`ASSIGN`]`)` | `" = "`, `: &str = "`, `=> '`, `\":\"`, ` \|\| "`, `(`, a space… |
//! | `{{end}}` | [`END`] | a byte that cannot continue a token, or the end of a line |
//! | `{{linebreak}}` | [`LINE_BREAK`] | a line break of a block written one string literal or comment per line |
//!
//! so that a context learnt once (Rust's `const K: &str = "…"`, escaped
//! JSON, a `Makefile` `?=`) reaches every rule at once. Expansion is
//! textual and happens when a rule is added to a set, before its pattern
//! is parsed; a pattern without `{{` is returned unchanged.

/// One level of nesting between a provider's name and the key's own:
/// `acme:` + newline + `  api_key:` (YAML, with at most two sibling lines
/// such as `  enabled: true` between them), or `acme = {` / `Acme({`.
pub const NEST: &str = concat!(
    r#"(?:["'`]?[ \t]{0,4}[:=(][ \t]{0,4}[{\[]?[ \t]{0,4}"#,
    r#"(?:\r?\n[ \t]{0,24}(?:[\w.-]{1,32}[ \t]{0,4}:[^\r\n]{0,48}\r?\n[ \t]{0,24}){0,2})?"#,
    r#"["'`]?[\w.-]{0,16})?"#
);

/// The assignment between a name and its value: an optional closing quote
/// of the name (escaped in JSON held in a string), an optional type
/// (`: &str`, `: &'static str`, `: String`), the operator (`=`, `:`, `:=`,
/// `=>`, `?=`, `+=`, `||`/`??` of a fallback, `,`, `(`, `>`, or a space for
/// flags and headers), an optional call (`String::from(`, `Secret::new(`),
/// an opening quote, and `Bearer `/`Token `/`Basic `.
pub const ASSIGN: &str = concat!(
    r#"(?:\\?["'`])?\]?(?:[ \t]{1,4}value)?"#,
    r#"(?:[ \t]{0,4}:[ \t]{0,4}&?(?:'static[ \t]{1,4})?[A-Za-z][\w:<>]{0,23}[ \t]{0,4}="#,
    r#"|[ \t]{0,8}(?:=>|:=|\?=|\+=|\|\||\?\?|=|:|,|\(|>|[ \t]))[ \t]{0,8}"#,
    r#"(?:[A-Za-z][\w:.]{0,31}\([ \t]{0,4})?"#,
    r#"(?:\\?["'`])?(?:(?:bearer|token|basic)[ \t]{1,4})?"#
);

/// The value's end: no more value characters follow.
pub const END: &str = r"(?:[^A-Za-z0-9_+/=\-]|(?m:$))";

/// A line break inside a multi-line block (a key file) written into source:
/// the closing `\n` or `\r\n` escape and quote of a string literal, a
/// `+`, `,` or `.` joining the pieces or a `\` continuation, the newline,
/// indentation, a comment marker (`//`, `///`, `//!`, `#`, `*`, `;`,
/// `--`) and the next literal's opening quote (with a `b`/`r`/`u` prefix).
/// Every part is optional but the newline: a plain file's line break
/// matches too. At most 61 bytes.
pub const LINE_BREAK: &str = concat!(
    r#"(?:\\r)?(?:\\n)?["'`]?[ \t]{0,8}[+,.]?[ \t]{0,8}\\?\r?\n"#,
    r#"[ \t]{0,16}(?:(?://[!/]?|#|\*|;|--)[ \t]{0,2})?[+,]?[ \t]{0,8}(?:[bBrRuU]{0,2}["'`])?"#
);

/// The longest matches of [`NEST`], [`ASSIGN`] and [`END`], parsed once.
pub fn fixed_max_lens() -> (usize, usize, usize) {
    let len = |p| max_len_of_static(p).expect("the fixed pieces are bounded regexes");
    (len(NEST), len(ASSIGN), len(END))
}

/// [`max_len_of`] for a piece fixed at compile time, parsed once per
/// process: the provider-row generator asks for the same few pieces for
/// each of a thousand rows.
///
/// # Errors
///
/// As [`max_len_of`].
pub fn max_len_of_static(piece: &'static str) -> Result<usize, String> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static LENS: Mutex<Option<HashMap<&'static str, usize>>> = Mutex::new(None);
    if let Some(&len) = LENS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(piece)
    {
        return Ok(len);
    }
    let len = max_len_of(piece)?;
    LENS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(piece, len);
    Ok(len)
}

/// The longest match of a piece of a pattern, in bytes.
///
/// # Errors
///
/// The piece does not parse, or has no bound.
pub fn max_len_of(piece: &str) -> Result<usize, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(piece)
        .map_err(|e| format!("pattern piece '{piece}': {e}"))?
        .properties()
        .maximum_len()
        .ok_or_else(|| format!("pattern piece '{piece}' is unbounded"))
}

/// Expands the context macros of a hand-written pattern (see the module
/// docs). Cost: one scan of the pattern; a copy only where it has `{{`.
///
/// # Errors
///
/// A `{{name}}` that names no macro, with the name.
pub fn expand_macros(pattern: &str) -> Result<std::borrow::Cow<'_, str>, String> {
    if !pattern.contains("{{") {
        return Ok(std::borrow::Cow::Borrowed(pattern));
    }
    let out = crate::rules::template::substitute(pattern, |body, out| {
        match body {
            "assign" => {
                out.push_str("(?i:");
                out.push_str(ASSIGN);
                out.push(')');
            }
            "end" => out.push_str(END),
            "linebreak" => {
                out.push_str("(?:");
                out.push_str(LINE_BREAK);
                out.push(')');
            }
            other => {
                return Err(format!(
                    "unknown pattern macro '{{{{{other}}}}}' (known: {{{{assign}}}}, {{{{end}}}}, {{{{linebreak}}}})"
                ))
            }
        }
        Ok(())
    })?;
    Ok(std::borrow::Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta::Regex;

    fn assigns(text: &str) -> bool {
        let re = Regex::new(&format!(r"(?i:key)(?i:{ASSIGN})(?P<v>[a-z0-9]{{8}}){END}")).unwrap();
        let found = re
            .captures_iter(text)
            .any(|c| &text[c.get_group_by_name("v").unwrap().range()] == "a1b2c3d4");
        found
    }

    #[test]
    fn assign_takes_the_common_syntaxes() {
        for text in [
            "KEY=a1b2c3d4",
            "key: \"a1b2c3d4\"",
            "key := \"a1b2c3d4\"",
            "'key' => 'a1b2c3d4',",
            "KEY ?= a1b2c3d4",
            r#"{\"key\":\"a1b2c3d4\"}"#,
            "const KEY: &str = \"a1b2c3d4\";",
            "static KEY: &'static str = \"a1b2c3d4\";",
            "let key = String::from(\"a1b2c3d4\");",
            "process.env.KEY || \"a1b2c3d4\";",
            "ENV KEY a1b2c3d4",
            "--key a1b2c3d4",
            "X-Key: Bearer a1b2c3d4",
        ] {
            assert!(assigns(text), "{text}");
        }
    }

    #[test]
    fn assign_needs_an_operator_and_a_whole_value() {
        for text in ["keya1b2c3d4", "key: a1b2c3d4e5", "key = other a1b2c3d4"] {
            assert!(!assigns(text), "{text}");
        }
    }

    #[test]
    fn nest_spans_sibling_lines_but_no_more_than_two() {
        let re = Regex::new(&format!(
            r"(?i:acme){NEST}key(?i:{ASSIGN})(?P<v>[a-z0-9]{{8}}){END}"
        ))
        .unwrap();
        assert!(re.is_match("acme:\n  enabled: true\n  key: a1b2c3d4\n"));
        assert!(re.is_match("acme:\n  key: a1b2c3d4\n"));
        assert!(!re.is_match("acme:\n  a: 1\n  b: 2\n  c: 3\n  key: a1b2c3d4\n"));
    }

    #[test]
    fn macros_expand_and_unknown_ones_are_named() {
        let p = expand_macros(r"k{{assign}}(?P<secret>x){{end}}").unwrap();
        assert!(p.contains(ASSIGN) && p.ends_with(END));
        assert!(matches!(
            expand_macros("plain"),
            Ok(std::borrow::Cow::Borrowed("plain"))
        ));
        let e = expand_macros("a{{nope}}b").unwrap_err();
        assert!(e.contains("nope"), "{e}");
        assert!(expand_macros("a{{assign").is_err());
        let (n, a, e) = fixed_max_lens();
        assert!(n > 100 && a > 50 && e >= 1);
    }

    #[test]
    fn linebreak_joins_literals_and_comments_but_needs_a_newline() {
        let re = regex_automata::meta::Regex::new(&format!("^a(?:{LINE_BREAK})b$")).unwrap();
        // Literal `\n` escapes are written `\\n` here; `\n` is a newline.
        for joined in [
            "a\nb",
            "a\\n\"\n    \"b",
            "a\\r\\n\" +\n        \"b",
            "a\\n',\n  + 'b",
            "a\n//! b",
            "a\r\n * b",
            "a\\n\",\n    b\"b",
        ] {
            assert!(re.is_match(joined), "{joined:?}");
        }
        for apart in ["ab", "a\\nb", "a\n\n b", "a\n\"x\"b"] {
            assert!(!re.is_match(apart), "{apart:?}");
        }
        assert!(max_len_of(LINE_BREAK).unwrap() <= 64);
    }
}
