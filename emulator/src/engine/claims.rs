//! Session custom claims: reading them (numbers as IEEE-754 doubles, or as their exact text),
//! dropping protected keys, the deep merge, and the two size measures.
//!
//! Claims have their own value type, [`Claim`], rather than `serde_json::Value`: under
//! `number-precision = exact-text` a number keeps the text the client sent (`1e400`,
//! `9007199254740993`, `-0`, `1.50`), which a `Value` cannot hold without serde_json's
//! `arbitrary_precision` feature, and that feature would change serde_json for every crate
//! linked with the emulator. A number is written back with `RawValue`, byte for byte.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// A claims map (keys in byte order; the order is not observable in JSON).
pub type Claims = BTreeMap<String, Claim>;

/// A claim value.
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(ClaimNumber),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Claim>),
    /// An object.
    Object(Claims),
}

/// A claims number, as the project's `number-precision` holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum ClaimNumber {
    /// A finite double (`number-precision = double`).
    Double(f64),
    /// The exact text the client sent (`number-precision = exact-text`).
    Exact(String),
}

/// Top-level claim names the JWT itself uses; they are never taken from custom claims.
pub const RESERVED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// The prefix of Stytch's own namespaced JWT claims.
pub const STYTCH_NAMESPACE: &str = "https://stytch.com/";

/// Integers up to this magnitude are exact doubles, and are written as integers.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// How numbers are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// As the nearest double; one with none (`1e400`) is an error.
    Doubles,
    /// As their text.
    ExactText,
    /// Integers (no fraction or exponent) as their text, others as doubles (a mutant: Python
    /// and Ruby read integers with arbitrary precision).
    IntegersExact,
    /// As doubles, an overflow as `null` (a mutant: JS's Infinity, which JSON.stringify
    /// writes as `null`).
    DoublesOverflowNull,
}

/// Why claims could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// A number rounds to an infinite double.
    Unrepresentable,
    /// The text is not JSON (cannot happen for text that passed the body checks).
    Grammar,
}

/// Reads an object's raw text into claims, in one pass, numbers as their text. Duplicate keys
/// keep the last value, and only kept values are examined: numbers become doubles (under
/// [`Numbers::Doubles`]) once the duplicates are gone. The text has passed the body's grammar
/// check. Recursive: the engine runs deep bodies on a large stack.
pub fn read_object(text: &str, numbers: Numbers) -> Result<Claims, ReadError> {
    let Claim::Object(claims) = read_value(text, numbers)? else {
        return Err(ReadError::Grammar);
    };
    Ok(claims)
}

/// Reads any value's raw text into a claim, numbers as `numbers` says.
pub fn read_value(text: &str, numbers: Numbers) -> Result<Claim, ReadError> {
    let mut reader = Reader { text, at: 0 };
    let mut claim = reader.value()?;
    if numbers != Numbers::ExactText {
        to_double(&mut claim, numbers)?;
    }
    Ok(claim)
}

/// Turns every exact number in `claim` into its nearest double.
fn to_double(claim: &mut Claim, numbers: Numbers) -> Result<(), ReadError> {
    match claim {
        Claim::Number(ClaimNumber::Exact(text))
            if numbers == Numbers::IntegersExact && !text.contains(['.', 'e', 'E']) =>
        {
            // Python's int: the mutant keeps it, minus sign of a zero aside.
            if text == "-0" {
                *text = "0".to_owned();
            }
            Ok(())
        }
        Claim::Number(number) => {
            if let ClaimNumber::Exact(text) = number {
                // Rust's float parser rounds to nearest, like the IEEE-754 conversion we
                // promise: 1e-400 underflows to 0, and 1e400 overflows to infinity.
                let x: f64 = text.parse().map_err(|_| ReadError::Grammar)?;
                if !x.is_finite() {
                    if numbers == Numbers::DoublesOverflowNull {
                        *claim = Claim::Null;
                        return Ok(());
                    }
                    return Err(ReadError::Unrepresentable);
                }
                *number = ClaimNumber::Double(x);
            }
            Ok(())
        }
        Claim::Array(items) => items.iter_mut().try_for_each(|c| to_double(c, numbers)),
        Claim::Object(members) => members.values_mut().try_for_each(|c| to_double(c, numbers)),
        _ => Ok(()),
    }
}

/// A reader over JSON text that the grammar check already accepted.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl Reader<'_> {
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(self.at) {
            self.at += 1;
        }
        bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), ReadError> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(ReadError::Grammar)
        }
    }

    fn value(&mut self) -> Result<Claim, ReadError> {
        match self.peek().ok_or(ReadError::Grammar)? {
            b'{' => {
                self.at += 1;
                let mut members = Claims::new();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(Claim::Object(members));
                }
                loop {
                    let key = self.string()?;
                    self.expect(b':')?;
                    let value = self.value()?;
                    members.insert(key, value);
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Claim::Object(members));
                        }
                        _ => return Err(ReadError::Grammar),
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Claim::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Claim::Array(items));
                        }
                        _ => return Err(ReadError::Grammar),
                    }
                }
            }
            b'"' => self.string().map(Claim::String),
            b't' => self.literal("true", Claim::Bool(true)),
            b'f' => self.literal("false", Claim::Bool(false)),
            b'n' => self.literal("null", Claim::Null),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &str, value: Claim) -> Result<Claim, ReadError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(ReadError::Grammar)
        }
    }

    /// A string token, unescaped by serde_json.
    fn string(&mut self) -> Result<String, ReadError> {
        if self.peek() != Some(b'"') {
            return Err(ReadError::Grammar);
        }
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut i = start + 1;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        let end = (i + 1).min(bytes.len());
        self.at = end;
        serde_json::from_str(self.text.get(start..end).ok_or(ReadError::Grammar)?)
            .map_err(|_| ReadError::Grammar)
    }

    fn number(&mut self) -> Result<Claim, ReadError> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = bytes.get(self.at) {
            self.at += 1;
        }
        let text = &self.text[start..self.at];
        if text.is_empty() {
            return Err(ReadError::Grammar);
        }
        Ok(Claim::Number(ClaimNumber::Exact(text.to_owned())))
    }
}

/// The configured template as claims, its numbers held as request numbers are.
pub fn from_template(template: &serde_json::Map<String, Value>, numbers: Numbers) -> Claims {
    template
        .iter()
        .map(|(k, v)| (k.clone(), from_json(v, numbers)))
        .collect()
}

/// A JSON value as a claim, its numbers held as `numbers` says.
pub fn from_json(value: &Value, numbers: Numbers) -> Claim {
    match value {
        Value::Null => Claim::Null,
        Value::Bool(b) => Claim::Bool(*b),
        Value::Number(n) => match numbers {
            Numbers::ExactText => Claim::Number(ClaimNumber::Exact(n.to_string())),
            Numbers::IntegersExact if n.is_i64() || n.is_u64() => {
                Claim::Number(ClaimNumber::Exact(n.to_string()))
            }
            Numbers::Doubles | Numbers::IntegersExact | Numbers::DoublesOverflowNull => n
                .as_f64()
                .filter(|x| x.is_finite())
                .map_or(Claim::Null, |x| Claim::Number(ClaimNumber::Double(x))),
        },
        Value::String(s) => Claim::String(s.clone()),
        Value::Array(items) => Claim::Array(items.iter().map(|v| from_json(v, numbers)).collect()),
        Value::Object(fields) => Claim::Object(from_template(fields, numbers)),
    }
}

/// Whether `key` is one of the reserved registered claims.
pub fn is_reserved(key: &str) -> bool {
    RESERVED_CLAIMS.contains(&key)
}

/// Whether `key` is in Stytch's namespace.
pub fn is_namespaced(key: &str) -> bool {
    key.starts_with(STYTCH_NAMESPACE)
}

/// Which protected top-level keys to drop from a claims layer.
#[derive(Clone, Copy, Debug)]
pub struct Protect {
    /// Drop `iss`, `sub`, ...
    pub reserved: bool,
    /// Drop `https://stytch.com/...`.
    pub namespaced: bool,
}

impl Protect {
    /// Drop both kinds.
    pub const ALL: Protect = Protect {
        reserved: true,
        namespaced: true,
    };
}

/// Removes the protected top-level keys (nested keys are ordinary data).
pub fn drop_protected(claims: &mut Claims, protect: Protect) {
    claims.retain(|key, _| {
        !(protect.reserved && is_reserved(key) || protect.namespaced && is_namespaced(key))
    });
}

/// How the merge treats the update.
#[derive(Clone, Copy, Debug, Default)]
pub struct MergeRules {
    /// Top-level objects replace instead of merging.
    pub shallow_top_level: bool,
    /// Top-level nulls are stored instead of deleting.
    pub store_top_level_null: bool,
    /// Nested nulls are stored instead of deleting.
    pub store_nested_null: bool,
    /// An object that the update's nulls leave empty is removed (`empty-object-after-delete =
    /// remove`), and the test repeats one level up.
    pub remove_emptied: bool,
    /// With `remove_emptied`, an object emptied only by such a removal stays (a mutant).
    pub remove_without_cascade: bool,
    /// An array over an array merges element by element (a mutant: lodash's `_.merge`).
    pub arrays_by_index: bool,
}

/// Deep-merges `update` into `base`: a null deletes, an object over an object merges, an
/// object over anything else is merged into `{}` (so its nulls vanish), anything else
/// replaces. Arrays are values: replaced whole, kept as given. Objects the nulls empty stay
/// as `{}`, or go under [`MergeRules::remove_emptied`].
pub fn merge(base: &mut Claims, update: Claims, rules: MergeRules) {
    merge_at(base, update, rules, true);
}

/// Merges one level; returns whether an object below was removed for being emptied.
fn merge_at(base: &mut Claims, update: Claims, rules: MergeRules, top: bool) -> bool {
    let mut removed_child = false;
    for (key, value) in update {
        match value {
            Claim::Null => {
                let store = if top {
                    rules.store_top_level_null
                } else {
                    rules.store_nested_null
                };
                if store {
                    base.insert(key, Claim::Null);
                } else {
                    base.remove(&key);
                }
            }
            Claim::Object(fields) => {
                let deep = !(top && rules.shallow_top_level);
                // Emptied: an object that had members and has none after the merge, or a
                // new object whose members all vanished. An explicit `{}` is never emptied.
                let (emptied, by_removal) = match base.get_mut(&key) {
                    Some(Claim::Object(existing)) if deep => {
                        let had = !existing.is_empty();
                        let below = merge_at(existing, fields, rules, false);
                        (had && existing.is_empty(), below)
                    }
                    _ => {
                        let given = !fields.is_empty();
                        let mut fresh = Claims::new();
                        let below = merge_at(&mut fresh, fields, rules, false);
                        let emptied = given && fresh.is_empty();
                        base.insert(key.clone(), Claim::Object(fresh));
                        (emptied, below)
                    }
                };
                let cascade_ok = !(rules.remove_without_cascade && by_removal);
                if rules.remove_emptied && emptied && cascade_ok {
                    base.remove(&key);
                    removed_child = true;
                }
            }
            Claim::Array(items) if rules.arrays_by_index => match base.get_mut(&key) {
                Some(Claim::Array(existing)) => {
                    for (i, item) in items.into_iter().enumerate() {
                        match existing.get_mut(i) {
                            Some(slot) => *slot = item,
                            None => existing.push(item),
                        }
                    }
                }
                _ => {
                    base.insert(key, Claim::Array(items));
                }
            },
            other => {
                base.insert(key, other);
            }
        }
    }
    removed_child
}

/// Which serialization measures the claims' size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// RFC 8785 canonical JSON.
    Jcs,
    /// Go 1.22+ `json.Marshal` of a `map[string]any`.
    GoJson {
        /// Escape `<` `>` `&` as Go does (a mutant forgets).
        html_escape: bool,
    },
    /// RFC 8785 with one library's slip (a mutant).
    Slipped(Slip),
}

/// How a mutant's size measure departs from RFC 8785 (`conformance/PITFALLS.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slip {
    /// Doubles written by Python's `repr`.
    PythonRepr,
    /// Doubles written by Java's `Double.toString`.
    JavaDouble,
    /// `-0` written with its sign.
    MinusZero,
    /// Counted in UTF-16 code units.
    Utf16Units,
    /// Counted in code points.
    CodePoints,
    /// Non-ASCII escaped as `\uXXXX`.
    EnsureAscii,
    /// A space after every `,` and `:`.
    PythonSeparators,
    /// `/` escaped as `\/`.
    PhpSlashes,
    /// .NET's default encoder.
    DotnetEncoder,
}

impl Slip {
    /// The slip of a mutant, if it is a size-measure mutant.
    pub fn of(bug: super::bugs::Bug) -> Option<Slip> {
        use super::bugs::Bug;
        Some(match bug {
            Bug::PythonFloatReprSize => Slip::PythonRepr,
            Bug::JavaDoubleSize => Slip::JavaDouble,
            Bug::NegativeZeroSize => Slip::MinusZero,
            Bug::Utf16LengthSize => Slip::Utf16Units,
            Bug::CodePointSize => Slip::CodePoints,
            Bug::EnsureAsciiSize => Slip::EnsureAscii,
            Bug::PythonSeparatorsSize => Slip::PythonSeparators,
            Bug::PhpSlashEscapeSize => Slip::PhpSlashes,
            Bug::DotnetEncoderSize => Slip::DotnetEncoder,
            _ => return None,
        })
    }
}

/// The size in bytes of `claims` under `measure` (no whitespace, UTF-8).
pub fn size(claims: &Claims, measure: Measure) -> usize {
    let mut out = String::new();
    write_object(claims, measure, &mut out);
    match measure {
        Measure::Slipped(Slip::Utf16Units) => out.encode_utf16().count(),
        Measure::Slipped(Slip::CodePoints) => out.chars().count(),
        _ => out.len(),
    }
}

/// Writes an object with its members in the measure's order.
fn write_object(claims: &Claims, measure: Measure, out: &mut String) {
    let mut keys: Vec<&String> = claims.keys().collect();
    if !matches!(measure, Measure::GoJson { .. }) {
        // RFC 8785: by UTF-16 code units (the map's order is by bytes, which differs above
        // U+FFFF against U+E000..U+FFFF).
        keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    }
    out.push('{');
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push_str(separator(measure, ','));
        }
        write_string(key, measure, out);
        out.push_str(separator(measure, ':'));
        if let Some(value) = claims.get(key) {
            write_value(value, measure, out);
        }
    }
    out.push('}');
}

fn write_value(value: &Claim, measure: Measure, out: &mut String) {
    match value {
        Claim::Null => out.push_str("null"),
        Claim::Bool(true) => out.push_str("true"),
        Claim::Bool(false) => out.push_str("false"),
        Claim::Number(ClaimNumber::Exact(text)) => out.push_str(text),
        Claim::Number(ClaimNumber::Double(x)) if measure == Measure::Slipped(Slip::PythonRepr) => {
            out.push_str(&super::pitfalls::python_float(*x));
        }
        Claim::Number(ClaimNumber::Double(x)) if measure == Measure::Slipped(Slip::JavaDouble) => {
            out.push_str(&super::pitfalls::java_double(*x));
        }
        Claim::Number(ClaimNumber::Double(x)) => {
            let signed = matches!(
                measure,
                Measure::GoJson { .. } | Measure::Slipped(Slip::MinusZero)
            );
            if *x == 0.0 && x.is_sign_negative() && signed {
                // Go writes the sign of negative zero; ECMAScript does not.
                out.push_str("-0");
            } else {
                // Go's FormatFloat(x, 'f' or 'e', -1, 64) picks the same digits and switch
                // points as ECMAScript's Number::toString.
                out.push_str(ryu_js::Buffer::new().format(*x));
            }
        }
        Claim::String(s) => write_string(s, measure, out),
        Claim::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator(measure, ','));
                }
                write_value(item, measure, out);
            }
            out.push(']');
        }
        Claim::Object(fields) => write_object(fields, measure, out),
    }
}

/// A separator as the measure writes it (Python's default adds a space).
fn separator(measure: Measure, c: char) -> &'static str {
    match (measure, c) {
        (Measure::Slipped(Slip::PythonSeparators), ',') => ", ",
        (Measure::Slipped(Slip::PythonSeparators), _) => ": ",
        (_, ',') => ",",
        _ => ":",
    }
}

fn write_string(s: &str, measure: Measure, out: &mut String) {
    let html = matches!(measure, Measure::GoJson { html_escape: true });
    let go = matches!(measure, Measure::GoJson { .. });
    let dotnet = measure == Measure::Slipped(Slip::DotnetEncoder);
    let ascii = dotnet || measure == Measure::Slipped(Slip::EnsureAscii);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' if dotnet => out.push_str("\\u0022"),
            '<' | '>' | '&' | '\'' | '+' | '`' if dotnet => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            '/' if measure == Measure::Slipped(Slip::PhpSlashes) => out.push_str("\\/"),
            c if ascii && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' if go => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Serialize for Claim {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Claim::Null => serializer.serialize_unit(),
            Claim::Bool(b) => serializer.serialize_bool(*b),
            Claim::Number(ClaimNumber::Double(x)) => {
                if x.fract() == 0.0 && x.abs() <= MAX_SAFE_INTEGER {
                    // Exact: |x| <= 2^53 and integral (so `-0` is written `0`).
                    serializer.serialize_i64(*x as i64)
                } else {
                    serializer.serialize_f64(*x)
                }
            }
            Claim::Number(ClaimNumber::Exact(text)) => {
                // The text passed the grammar check, so it is a valid raw value.
                match RawValue::from_string(text.clone()) {
                    Ok(raw) => raw.serialize(serializer),
                    Err(e) => Err(serde::ser::Error::custom(e)),
                }
            }
            Claim::String(s) => serializer.serialize_str(s),
            Claim::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Claim::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Claims {
        read_object(text, Numbers::Doubles).expect("claims")
    }

    fn json(claims: &Claims) -> String {
        serde_json::to_string(claims).expect("serializes")
    }

    #[test]
    fn numbers_are_doubles_or_exact_text() {
        let c = read(r#"{"a":9007199254740993,"b":1e-400,"c":-0,"d":1.5,"e":[1e2]}"#);
        assert_eq!(
            json(&c),
            r#"{"a":9007199254740992,"b":0,"c":0,"d":1.5,"e":[100]}"#
        );
        assert_eq!(
            read_object(r#"{"a":{"b":[1e400]}}"#, Numbers::Doubles),
            Err(ReadError::Unrepresentable)
        );
        assert!(read_object(r#"{"a":1e400,"a":1}"#, Numbers::Doubles).is_ok());
        let text = r#"{"a":9007199254740993,"b":1e400,"c":-0,"d":1.50}"#;
        let exact = read_object(text, Numbers::ExactText).expect("exact");
        assert_eq!(json(&exact), text);
        assert_eq!(size(&exact, Measure::Jcs), text.len());
    }

    #[test]
    fn merge_rules() {
        let mut base = read(r#"{"a":{"x":1,"y":2},"s":1,"arr":[1]}"#);
        let update = read(
            r#"{"a":{"x":null,"z":{"n":null}},"s":{"k":null,"v":1},"arr":[null],"gone":null,"e":{"q":null}}"#,
        );
        merge(&mut base, update, MergeRules::default());
        assert_eq!(
            json(&base),
            r#"{"a":{"y":2,"z":{}},"arr":[null],"e":{},"s":{"v":1}}"#
        );
    }

    #[test]
    fn remove_emptied_cascades_but_keeps_explicit_empty_objects() {
        let rules = MergeRules {
            remove_emptied: true,
            ..MergeRules::default()
        };
        let base = read(r#"{"a":{"b":{"c":1}},"k":{"x":1},"keep":{}}"#);
        let update = read(
            r#"{"a":{"b":{"c":null}},"k":{"x":null,"y":{}},"n":{"m":{"q":null}},"keep":{"z":null}}"#,
        );
        let mut merged = base.clone();
        merge(&mut merged, update.clone(), rules);
        assert_eq!(json(&merged), r#"{"k":{"y":{}},"keep":{}}"#);
        // Without the cascade, the parents of the removed objects stay as `{}`.
        let mut merged = base;
        let no_cascade = MergeRules {
            remove_without_cascade: true,
            ..rules
        };
        merge(&mut merged, update, no_cascade);
        assert_eq!(json(&merged), r#"{"a":{},"k":{"y":{}},"keep":{},"n":{}}"#);
    }

    #[test]
    fn the_two_measures() {
        let text = r#"{"b":1e21,"a":-0.0,"c":"é<\u2028","d":[1e-7,0.1]}"#;
        let c = read(text);
        let jcs = serde_json_canonicalizer::to_string(
            &serde_json::from_str::<Value>(text).expect("JSON"),
        )
        .expect("canonical");
        assert_eq!(size(&c, Measure::Jcs), jcs.len());
        let go = r#"{"a":-0,"b":1e+21,"c":"é\u003c\u2028","d":[1e-7,0.1]}"#;
        assert_eq!(size(&c, Measure::GoJson { html_escape: true }), go.len());
    }
}
