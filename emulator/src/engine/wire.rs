//! Reading JSON documents off the wire: the request body and the UserInfo reply body.
//!
//! serde_json does the grammar; a small byte pre-scan adds what it leaves to us:
//! a UTF-8 BOM is refused, the nesting depth is bounded at [`MAX_DEPTH`] (serde_json's own
//! recursion limit refuses one level too early, and `RawValue` skips the check altogether),
//! and escaped lone surrogates are refused anywhere in the text, discarded duplicates and
//! unknown fields included (serde_json accepts them inside raw values).
//!
//! Objects are read as `key -> raw value` maps: duplicate keys keep the last value, and a
//! value is only interpreted when a known field asks for it, so an unknown field may hold any
//! valid JSON (even `1e400`).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::value::RawValue;

/// The deepest nesting of arrays and objects a document may have; the top-level value is
/// level 1.
pub const MAX_DEPTH: usize = 128;

/// Why a document was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// It starts with a UTF-8 byte order mark.
    ByteOrderMark,
    /// It is not valid UTF-8.
    InvalidUtf8,
    /// It nests deeper than [`MAX_DEPTH`].
    TooDeep,
    /// It contains an escaped surrogate that is not part of a pair.
    LoneSurrogate,
    /// It is not JSON.
    Grammar,
    /// It is JSON, but not an object.
    NotAnObject,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::ByteOrderMark => "the body starts with a byte order mark",
            WireError::InvalidUtf8 => "the body is not valid UTF-8",
            WireError::TooDeep => "the body nests deeper than 128 levels",
            WireError::LoneSurrogate => "the body contains an escaped lone surrogate",
            WireError::Grammar => "the body is not valid JSON",
            WireError::NotAnObject => "the body is not a JSON object",
        })
    }
}

/// A JSON object whose values are kept as raw text (last duplicate wins).
pub type RawObject<'a> = BTreeMap<String, &'a RawValue>;

/// Reads a whole document that must be a JSON object.
pub fn parse_document(bytes: &[u8]) -> Result<RawObject<'_>, WireError> {
    let text = prescan(bytes)?;
    parse_object(text)
}

/// Reads one object value (already lexically checked as part of its document).
pub fn parse_object(text: &str) -> Result<RawObject<'_>, WireError> {
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        // Still reject garbage as garbage rather than as "not an object".
        return match serde_json::from_str::<&RawValue>(text) {
            Ok(_) => Err(WireError::NotAnObject),
            Err(_) => Err(WireError::Grammar),
        };
    }
    serde_json::from_str(text).map_err(|_| WireError::Grammar)
}

/// Reads one array value (already lexically checked as part of its document).
pub fn parse_array(text: &str) -> Result<Vec<&RawValue>, WireError> {
    serde_json::from_str(text).map_err(|_| WireError::Grammar)
}

/// The lexical checks serde_json does not make, over the whole text; gives the text as `str`.
///
/// The scan only has to be right for documents serde_json accepts: anything it misreads in a
/// malformed document is refused by the grammar check afterwards anyway.
pub fn prescan(bytes: &[u8]) -> Result<&str, WireError> {
    prescan_to_depth(bytes, MAX_DEPTH)
}

/// [`prescan`] with another depth limit.
pub fn prescan_to_depth(bytes: &[u8], max_depth: usize) -> Result<&str, WireError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(WireError::ByteOrderMark);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| WireError::InvalidUtf8)?;
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(WireError::TooDeep);
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => i = scan_string(b, i + 1)?,
            _ => i += 1,
        }
    }
    Ok(text)
}

/// Scans a string's contents from `i` (just after the opening quote); returns the index just
/// after the closing quote (or the end of the text).
fn scan_string(b: &[u8], mut i: usize) -> Result<usize, WireError> {
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => match b.get(i + 1) {
                Some(b'u') => {
                    let Some(unit) = hex4(b, i + 2) else {
                        // Malformed escape: the grammar check refuses it.
                        i += 2;
                        continue;
                    };
                    i += 6;
                    match unit {
                        0xD800..=0xDBFF => {
                            let low = (b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u'))
                                .then(|| hex4(b, i + 2))
                                .flatten();
                            match low {
                                Some(0xDC00..=0xDFFF) => i += 6,
                                _ => return Err(WireError::LoneSurrogate),
                            }
                        }
                        0xDC00..=0xDFFF => return Err(WireError::LoneSurrogate),
                        _ => {}
                    }
                }
                Some(_) => i += 2,
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    Ok(i)
}

/// The code unit of the four hex digits at `b[i..i + 4]`.
fn hex4(b: &[u8], i: usize) -> Option<u16> {
    let digits = b.get(i..i + 4)?;
    let digits = std::str::from_utf8(digits).ok()?;
    if !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!(
            "{{\"x\":{}{}}}",
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        )
    }

    #[test]
    fn depth_limit_is_128_levels() {
        assert!(parse_document(nested(128).as_bytes()).is_ok());
        assert_eq!(
            parse_document(nested(129).as_bytes()).err(),
            Some(WireError::TooDeep)
        );
    }

    #[test]
    fn surrogates() {
        let ok = br#"{"a":"\ud83d\ude00","b":"\\ud800","c":"\u00e9"}"#;
        assert!(parse_document(ok).is_ok());
        for bad in [
            &br#"{"a":"\ud800"}"#[..],
            br#"{"a":"\udc00"}"#,
            br#"{"a":"\ud800\u0041"}"#,
            br#"{"a":"\ud800\ud800"}"#,
            br#"{"a":1,"a":"x\uDBFF"}"#,
        ] {
            assert_eq!(parse_document(bad).err(), Some(WireError::LoneSurrogate));
        }
    }

    #[test]
    fn lexical_and_grammar() {
        assert_eq!(
            parse_document(b"\xEF\xBB\xBF{}").err(),
            Some(WireError::ByteOrderMark)
        );
        assert_eq!(
            parse_document(b"{\"a\":\"\xff\"}").err(),
            Some(WireError::InvalidUtf8)
        );
        assert_eq!(parse_document(b"[]").err(), Some(WireError::NotAnObject));
        assert_eq!(parse_document(b"{,}").err(), Some(WireError::Grammar));
        assert_eq!(parse_document(b"").err(), Some(WireError::Grammar));
        let m = parse_document(br#" {"a":1e400,"a":2, "b" : [1] } "#).unwrap();
        assert_eq!(m["a"].get(), "2");
        assert_eq!(m["b"].get(), "[1]");
    }
}
