//! Percent escaping used inside URLs, and Java's `URLEncoder`/`URLDecoder` form encoding.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::UrlError;

/// Characters Java's `URLEncoder` leaves as they are, besides ASCII letters and digits.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'*')
    .remove(b'_');

/// Which characters a part of the URL must escape so that parsing finds its end again.
///
/// Only the characters that would change how the URL is split are escaped (and `%` itself);
/// everything else, non-ASCII included, is written as it is. That keeps ordinary Dubbo URLs
/// byte-identical to what Java's `URL.toFullString()` writes.
#[derive(Clone, Copy)]
pub(crate) enum Part {
    /// User name: ends at `:` (password) or `@`; the authority ends at `/` or `?`.
    User,
    /// Password: ends at `@`; the authority ends at `/` or `?`.
    Password,
    /// Path: ends at `?`.
    Path,
    /// Parameter key: ends at `=` or `&`.
    Key,
    /// Parameter value: ends at `&`.
    Value,
}

impl Part {
    fn must_escape(self, b: u8) -> bool {
        match self {
            Part::User => matches!(b, b'%' | b':' | b'@' | b'/' | b'?'),
            Part::Password => matches!(b, b'%' | b'@' | b'/' | b'?'),
            Part::Path => matches!(b, b'%' | b'?'),
            Part::Key => matches!(b, b'%' | b'&' | b'='),
            Part::Value => matches!(b, b'%' | b'&'),
        }
    }
}

/// Writes `s` with the characters that `part` must escape written as `%XX`.
pub(crate) fn write_escaped(out: &mut impl fmt::Write, s: &str, part: Part) -> fmt::Result {
    let mut rest = s;
    while let Some(pos) = rest.bytes().position(|b| part.must_escape(b)) {
        let (plain, tail) = rest.split_at(pos);
        out.write_str(plain)?;
        let mut bytes = tail.bytes();
        if let Some(b) = bytes.next() {
            write!(out, "%{b:02X}")?;
        }
        // The escaped byte is ASCII, so one byte further is a character boundary.
        rest = tail.get(1..).unwrap_or("");
    }
    out.write_str(rest)
}

/// Decodes `%XX` escapes in `s` (a `+` stays a `+`). `component` names the part for errors.
pub(crate) fn percent_decode(s: &str, component: impl Fn() -> String) -> Result<String, UrlError> {
    decode(s, false, component)
}

/// Java `URLDecoder.decode(s, "UTF-8")`: `%XX` escapes, and `+` is a space.
pub(crate) fn form_decode(s: &str) -> Result<String, UrlError> {
    decode(s, true, || "the encoded string".to_owned())
}

fn decode(
    s: &str,
    plus_is_space: bool,
    component: impl Fn() -> String,
) -> Result<String, UrlError> {
    let needs_work = s.bytes().any(|b| b == b'%' || (plus_is_space && b == b'+'));
    if !needs_work {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_value);
                let lo = bytes.get(i + 2).copied().and_then(hex_value);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => {
                        out.push(hi << 4 | lo);
                        i += 3;
                    }
                    _ => {
                        return Err(UrlError::BadEscape {
                            escape: bad_escape_text(s, i),
                            component: component(),
                        });
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| UrlError::InvalidUtf8 {
        component: component(),
    })
}

/// The text of a bad escape starting at byte `at` of `s`: `%` and up to two more characters.
fn bad_escape_text(s: &str, at: usize) -> String {
    s.get(at..)
        .map(|tail| tail.chars().take(3).collect())
        .unwrap_or_else(|| "%".to_owned())
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Java `URLEncoder.encode(s, "UTF-8")`: letters, digits and `. - * _` stay, a space becomes
/// `+`, every other byte of the UTF-8 form becomes `%XX` (upper-case hex).
pub(crate) fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    for chunk in utf8_percent_encode(s, FORM) {
        if chunk == "%20" {
            out.push('+');
        } else {
            out.push_str(chunk);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str, part: Part) -> String {
        let mut out = String::new();
        let _ = write_escaped(&mut out, s, part);
        out
    }

    #[test]
    fn escapes_only_structural_characters() {
        assert_eq!(escaped("a&b=c%d é", Part::Value), "a%26b=c%25d é");
        assert_eq!(escaped("a&b=c", Part::Key), "a%26b%3Dc");
        assert_eq!(escaped("a?b/c", Part::Path), "a%3Fb/c");
        assert_eq!(escaped("u:s@r/?", Part::User), "u%3As%40r%2F%3F");
        assert_eq!(escaped("p:w@", Part::Password), "p:w%40");
    }

    #[test]
    fn form_encode_matches_java_url_encoder() {
        assert_eq!(form_encode("a b*-._~+/:"), "a+b*-._%7E%2B%2F%3A");
        assert_eq!(form_encode("é"), "%C3%A9");
    }

    #[test]
    fn decode_rejects_truncated_escape() {
        let err = percent_decode("ab%4", || "x".to_owned()).unwrap_err();
        assert!(err.to_string().contains("\"%4\""), "{err}");
    }
}
