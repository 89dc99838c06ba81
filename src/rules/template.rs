//! Example templates: rule examples are written with placeholders that are
//! expanded into deterministic pseudo-random text when the rules load.
//!
//! The repository then never holds a complete token of any provider's
//! format, so hosting platforms' push protection does not flag it, while
//! `rules check` and the tests still run on well-formed keys.
//!
//! Syntax: `{{CLASS:N}}` expands to `N` characters drawn from `CLASS`:
//!
//! | class       | alphabet                |
//! |-------------|-------------------------|
//! | `alnum`     | `A-Za-z0-9`             |
//! | `upper`     | `A-Z`                   |
//! | `lower`     | `a-z`                   |
//! | `digit`     | `0-9`                   |
//! | `hex`       | `0-9a-f`                |
//! | `HEX`       | `0-9A-F`                |
//! | `upperdigit`| `A-Z0-9`                |
//! | `lowerdigit`| `a-z0-9`                |
//! | `base64`    | `A-Za-z0-9+/`           |
//! | `base64url` | `A-Za-z0-9_-`           |
//!
//! Generators for formats with a checksum or structure, so that examples
//! pass the rules' offline checks:
//!
//! | placeholder        | expands to                                              |
//! |--------------------|---------------------------------------------------------|
//! | `{{crc32b62:N}}`   | `N` base62 characters, then 6 of their CRC32 in base62  |
//! | `{{bech32:HRP:N}}` | `HRP1`, `N` bech32 characters, a valid bech32 checksum  |
//! | `{{BECH32:HRP:N}}` | the same, uppercase                                     |
//! | `{{jwt:ALG}}`      | a JWT: header `{"alg":ALG,"typ":"JWT"}`, claims, signature |
//! | `{{b64digits:N}}`  | base64 (no padding) of `N` random decimal digits        |
//!
//! `{{lit:TEXT}}` inserts `TEXT` verbatim (use it to split a well-known
//! prefix, e.g. `{{lit:sk_}}live_`, so no file holds it whole), and `{{nl}}`
//! a newline. Anything else is copied as written. The same template with the
//! same seed always expands to the same text.

/// Expands `template`, drawing random characters from a generator seeded by
/// `seed`. Returns an error message for an unknown class or a bad count.
pub fn expand(template: &str, seed: u64) -> Result<String, String> {
    let mut rng = SplitMix64(seed ^ 0x9e37_79b9_7f4a_7c15);
    substitute(template, |body, out| {
        if body == "nl" {
            out.push('\n');
            return Ok(());
        }
        let (class, arg) = body
            .split_once(':')
            .ok_or_else(|| format!("placeholder '{{{{{body}}}}}' needs the form CLASS:N"))?;
        if class == "lit" {
            out.push_str(arg);
            return Ok(());
        }
        if let Some(generated) = generate(class, arg, &mut rng)? {
            out.push_str(&generated);
            return Ok(());
        }
        let alphabet =
            alphabet(class).ok_or_else(|| format!("unknown placeholder class '{class}'"))?;
        let n: usize = arg
            .parse()
            .map_err(|_| format!("placeholder '{{{{{body}}}}}': '{arg}' is not a count"))?;
        if n > 1 << 16 {
            return Err(format!("placeholder '{{{{{body}}}}}': count too large"));
        }
        for _ in 0..n {
            let i = (rng.next() % alphabet.len() as u64) as usize;
            out.push(alphabet[i] as char);
        }
        Ok(())
    })
}

/// Copies `text`, handing the body of each `{{body}}` to `replace`, which
/// appends its expansion: the one macro scanner of example templates and
/// pattern macros ([`context::expand_macros`](crate::rules::context::expand_macros)).
///
/// # Errors
///
/// An unclosed `{{` (with its byte offset), or what `replace` returns.
pub fn substitute(
    text: &str,
    mut replace: impl FnMut(&str, &mut String) -> Result<(), String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| format!("unclosed '{{{{' at byte {}", text.len() - rest.len() + open))?;
        replace(&after[..close], &mut out)?;
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn draw(rng: &mut SplitMix64, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize] as char)
        .collect()
}

fn count(body: &str, arg: &str) -> Result<usize, String> {
    match arg.parse::<usize>() {
        Ok(n) if n <= 1 << 16 => Ok(n),
        _ => Err(format!(
            "placeholder '{{{{{body}}}}}': '{arg}' is not a count"
        )),
    }
}

/// The structured generators (see the module docs); `None` for a plain class.
fn generate(class: &str, arg: &str, rng: &mut SplitMix64) -> Result<Option<String>, String> {
    use crate::rules::validators::{base62, bech32_checksum, crc32};
    use base64::Engine as _;
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let body = format!("{class}:{arg}");
    Ok(Some(match class {
        "crc32b62" => {
            let entropy = draw(rng, BASE62, count(&body, arg)?);
            let sum = base62(u64::from(crc32(entropy.as_bytes())), 6);
            entropy + &sum
        }
        "bech32" | "BECH32" => {
            let (hrp, n) = arg.rsplit_once(':').ok_or_else(|| {
                format!("placeholder '{{{{{body}}}}}' needs the form {class}:HRP:N")
            })?;
            let hrp = hrp.to_ascii_lowercase();
            let data = draw(rng, BECH32, count(&body, n)?);
            let sum = bech32_checksum(hrp.as_bytes(), data.as_bytes());
            let s = format!("{hrp}1{data}{sum}");
            if class == "BECH32" {
                s.to_ascii_uppercase()
            } else {
                s
            }
        }
        "jwt" => {
            let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            let header = format!(r#"{{"alg":"{arg}","typ":"JWT"}}"#);
            let claims = format!(
                r#"{{"sub":"user-{}","iat":1700000000,"exp":1900000000}}"#,
                draw(rng, b"0123456789", 8)
            );
            let sig = draw(
                rng,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
                43,
            );
            format!("{}.{}.{sig}", b64(&header), b64(&claims))
        }
        "b64digits" => {
            let digits = draw(rng, b"0123456789", count(&body, arg)?);
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(digits)
        }
        _ => return Ok(None),
    }))
}

fn alphabet(class: &str) -> Option<&'static [u8]> {
    Some(match class {
        "alnum" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "upper" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "lower" => b"abcdefghijklmnopqrstuvwxyz",
        "digit" => b"0123456789",
        "hex" => b"0123456789abcdef",
        "HEX" => b"0123456789ABCDEF",
        "upperdigit" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "lowerdigit" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        "base64" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "base64url" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        _ => return None,
    })
}

/// A small deterministic generator (SplitMix64); quality is ample for
/// example text and it needs no dependency.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A stable 64-bit hash (FNV-1a) used to seed example expansion from the
/// rule id, so expansions do not change between builds or platforms.
pub fn stable_seed(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_classes_and_literals() {
        let s = expand("ab{{lit:sk_}}live_{{hex:8}}-{{digit:3}}{{nl}}x", 7).unwrap();
        assert!(s.starts_with("absk_live_"));
        let hex = &s[10..18];
        assert!(hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(&s[18..19], "-");
        assert!(s[19..22].bytes().all(|b| b.is_ascii_digit()));
        assert!(s.ends_with("\nx"));
    }

    #[test]
    fn generators_pass_their_checks() {
        use crate::rules::validators::Check;
        let gh = expand("ghp_{{crc32b62:30}}", 3).unwrap();
        assert_eq!(Check::Crc32Base62.run(gh.as_bytes()), Some(true));
        let age = expand("{{BECH32:AGE-SECRET-KEY-:52}}", 3).unwrap();
        assert!(
            age.starts_with("AGE-SECRET-KEY-1") && age.len() == 74,
            "{age}"
        );
        assert_eq!(Check::Bech32.run(age.as_bytes()), Some(true));
        let jwt = expand("{{jwt:HS256}}", 3).unwrap();
        assert_eq!(Check::Jwt.run(jwt.as_bytes()), Some(true));
        let id = expand("{{b64digits:18}}.x", 3).unwrap();
        assert_eq!(Check::DiscordBot.run(id.as_bytes()), Some(true));
    }

    #[test]
    fn deterministic_per_seed() {
        assert_eq!(
            expand("{{alnum:40}}", 1).unwrap(),
            expand("{{alnum:40}}", 1).unwrap()
        );
        assert_ne!(
            expand("{{alnum:40}}", 1).unwrap(),
            expand("{{alnum:40}}", 2).unwrap()
        );
    }

    #[test]
    fn rejects_bad_placeholders() {
        assert!(expand("{{nope:3}}", 0).unwrap_err().contains("unknown"));
        assert!(expand("{{hex:x}}", 0).unwrap_err().contains("not a count"));
        assert!(expand("{{hex:3", 0).unwrap_err().contains("unclosed"));
        assert!(expand("{{hex}}", 0).unwrap_err().contains("CLASS:N"));
    }
}
