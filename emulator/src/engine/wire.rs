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

use std::borrow::Cow;
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
    /// An object has the same key twice (under `duplicate-keys = bad_request`).
    DuplicateKey,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::ByteOrderMark => "the body starts with a byte order mark",
            WireError::InvalidUtf8 => "the body is not valid UTF-8",
            WireError::TooDeep => "the body nests deeper than the project allows",
            WireError::LoneSurrogate => "the body contains an escaped lone surrogate",
            WireError::Grammar => "the body is not valid JSON",
            WireError::NotAnObject => "the body is not a JSON object",
            WireError::DuplicateKey => "the body has a duplicate key",
        })
    }
}

/// A JSON object whose values are kept as raw text (last duplicate wins).
pub type RawObject<'a> = BTreeMap<String, &'a RawValue>;

/// Reads a whole document that must be a JSON object (the default lexical rules).
#[cfg(test)]
pub fn parse_document(bytes: &[u8]) -> Result<RawObject<'_>, WireError> {
    let text = prescan(bytes)?;
    parse_object(text)
}

/// The lexical choices of a project's profile (`nesting-limit`, `duplicate-keys`,
/// `lone-surrogate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lexical {
    /// The deepest nesting allowed (`None`: no limit).
    pub max_depth: Option<usize>,
    /// Refuse any duplicate key, at any depth.
    pub reject_duplicates: bool,
    /// Only duplicates at the top level are refused (a mutant).
    pub duplicates_top_level_only: bool,
    /// Turn an escaped lone surrogate into U+FFFD instead of refusing it.
    pub replace_lone_surrogates: bool,
    /// Drop an escaped lone surrogate instead (a mutant).
    pub drop_lone_surrogates: bool,
}

impl Default for Lexical {
    fn default() -> Lexical {
        Lexical {
            max_depth: Some(MAX_DEPTH),
            reject_duplicates: false,
            duplicates_top_level_only: false,
            replace_lone_surrogates: false,
            drop_lone_surrogates: false,
        }
    }
}

/// A document that passed the lexical checks: its text (lone surrogates rewritten if the
/// rules say so) and how deep it nests.
#[derive(Debug)]
pub struct Document<'a> {
    /// The text.
    pub text: Cow<'a, str>,
    /// The deepest nesting of arrays and objects (the top-level value is level 1).
    pub depth: usize,
}

/// The lexical checks of `rules`, the grammar, and (when asked) the duplicate-key check.
pub fn read_document(bytes: &[u8], rules: Lexical) -> Result<Document<'_>, WireError> {
    let scan = scan(bytes, rules)?;
    let text = if scan.surrogates.is_empty() {
        Cow::Borrowed(scan.text)
    } else {
        let replacement = if rules.drop_lone_surrogates {
            ""
        } else {
            "\\ufffd"
        };
        let mut out = String::with_capacity(scan.text.len());
        let mut at = 0;
        for start in scan.surrogates {
            out.push_str(&scan.text[at..start]);
            out.push_str(replacement);
            at = start + 6;
        }
        out.push_str(&scan.text[at..]);
        Cow::Owned(out)
    };
    if rules.reject_duplicates {
        check_unique(&text, true, !rules.duplicates_top_level_only)?;
    }
    Ok(Document {
        text,
        depth: scan.depth,
    })
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

/// Reads one object value's members in order, duplicates kept.
pub fn parse_members(text: &str) -> Result<Vec<(String, &RawValue)>, WireError> {
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return parse_object(text).map(|_| Vec::new());
    }
    let Members(members) = serde_json::from_str(text).map_err(|_| WireError::Grammar)?;
    Ok(members)
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
    let rules = Lexical {
        max_depth: Some(max_depth),
        ..Lexical::default()
    };
    scan(bytes, rules).map(|s| s.text)
}

/// How deep a document nests (0 for one that is not UTF-8 text), whatever the limits.
pub fn depth(bytes: &[u8]) -> usize {
    let rules = Lexical {
        max_depth: None,
        replace_lone_surrogates: true,
        ..Lexical::default()
    };
    scan(bytes, rules).map_or(0, |s| s.depth)
}

/// What [`scan`] found.
struct Scan<'a> {
    text: &'a str,
    depth: usize,
    /// Where each escaped lone surrogate (`\uXXXX`, 6 bytes) starts, when they are replaced.
    surrogates: Vec<usize>,
}

/// BOM, UTF-8, depth and lone surrogates, in one pass over the bytes.
fn scan(bytes: &[u8], rules: Lexical) -> Result<Scan<'_>, WireError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(WireError::ByteOrderMark);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| WireError::InvalidUtf8)?;
    let keep = rules.replace_lone_surrogates || rules.drop_lone_surrogates;
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut surrogates = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                if rules.max_depth.is_some_and(|max| depth > max) {
                    return Err(WireError::TooDeep);
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => {
                i = scan_string(b, i + 1, &mut |at| {
                    if keep {
                        surrogates.push(at);
                        Ok(())
                    } else {
                        Err(WireError::LoneSurrogate)
                    }
                })?
            }
            _ => i += 1,
        }
    }
    Ok(Scan {
        text,
        depth: deepest,
        surrogates,
    })
}

/// Scans a string's contents from `i` (just after the opening quote); returns the index just
/// after the closing quote (or the end of the text). Each escaped lone surrogate goes to
/// `lone` with the index of its backslash.
fn scan_string(
    b: &[u8],
    mut i: usize,
    lone: &mut dyn FnMut(usize) -> Result<(), WireError>,
) -> Result<usize, WireError> {
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
                    let at = i;
                    i += 6;
                    match unit {
                        0xD800..=0xDBFF => {
                            let low = (b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u'))
                                .then(|| hex4(b, i + 2))
                                .flatten();
                            match low {
                                Some(0xDC00..=0xDFFF) => i += 6,
                                _ => lone(at)?,
                            }
                        }
                        0xDC00..=0xDFFF => lone(at)?,
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

/// An object's members in order, duplicates kept, values as raw text (numbers are only
/// scanned, never converted, so `1e400` is fine).
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Refuses a duplicate key in the value `text`: in the top-level object's members when
/// `check`, and in every object below when `nested`. A document whose grammar is wrong is
/// `Grammar`, whatever its keys. One pass over the text with a stack of the open objects'
/// keys, so the cost is linear at any depth (a key is compared decoded: `"a"` and `"\u0061"`
/// are the same key).
fn check_unique(text: &str, check: bool, nested: bool) -> Result<(), WireError> {
    serde_json::from_str::<&RawValue>(text).map_err(|_| WireError::Grammar)?;
    /// An open array, or an open object with its keys so far (`None`: not checked) and
    /// whether the next string is a key.
    enum Open {
        Array,
        Object(Option<std::collections::HashSet<String>>, bool),
    }
    let b = text.as_bytes();
    let mut open: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                let checked = if open.is_empty() { check } else { nested };
                open.push(Open::Object(checked.then(Default::default), true));
                i += 1;
            }
            b'[' => {
                open.push(Open::Array);
                i += 1;
            }
            b'}' | b']' => {
                open.pop();
                i += 1;
            }
            b',' => {
                if let Some(Open::Object(_, key_next)) = open.last_mut() {
                    *key_next = true;
                }
                i += 1;
            }
            b'"' => {
                let end = scan_string(b, i + 1, &mut |_| Ok(()))?;
                if let Some(Open::Object(keys, key_next)) = open.last_mut() {
                    if std::mem::take(key_next) {
                        if let Some(keys) = keys {
                            let key: String = serde_json::from_str(&text[i..end])
                                .map_err(|_| WireError::Grammar)?;
                            if !keys.insert(key) {
                                return Err(WireError::DuplicateKey);
                            }
                        }
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    Ok(())
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
    fn duplicate_keys_at_every_level_in_linear_time() {
        let rules = |top_level_only| Lexical {
            reject_duplicates: true,
            duplicates_top_level_only: top_level_only,
            max_depth: None,
            ..Lexical::default()
        };
        let read = |text: &str, top| read_document(text.as_bytes(), rules(top)).err();
        for dup in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{ "a" : "x,\"" , "a":{}}"#,
        ] {
            assert_eq!(read(dup, true), Some(WireError::DuplicateKey), "{dup}");
            assert_eq!(read(dup, false), Some(WireError::DuplicateKey), "{dup}");
        }
        for nested in [
            r#"{"a":{"b":1,"b":2}}"#,
            r#"{"a":[{"b":1},{"c":[{"d":1,"d":1}]}]}"#,
        ] {
            assert_eq!(read(nested, true), None, "{nested}");
            assert_eq!(
                read(nested, false),
                Some(WireError::DuplicateKey),
                "{nested}"
            );
        }
        for fine in [
            r#"{"a":"a","b":["a","a"],"c":{"a":1,"b":{"a":2}},"d":[{"a":1},{"a":1}]}"#,
            r#"{"a,b":1,"a":{"b":1},"b":2}"#,
        ] {
            assert_eq!(read(fine, false), None, "{fine}");
        }
        // Grammar comes first, whatever the keys.
        assert_eq!(read(r#"{"a":1,"a":2,}"#, false), Some(WireError::Grammar));
        // 100 000 levels: quadratic work would take minutes here.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(read(&deep, false), None);
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
