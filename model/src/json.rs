//! JSON values as the model sees them.
//!
//! The model cannot use `serde_json::Value` for what it parses: the semantics keep a number's
//! exact text (policy `number-precision`), and a body may nest millions of levels deep under
//! `nesting-limit = none`, which a recursive `Drop` would turn into a stack overflow. [`Json`]
//! therefore drops iteratively, and every walk over it in this crate uses an explicit stack or
//! is bounded by a depth the caller has already checked.

use std::collections::BTreeMap;

/// A JSON object: keys in byte order (the order is never observable in the model's results).
pub type Object = BTreeMap<String, Json>;

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number; see [`Number`].
    Number(Number),
    /// A string (always valid Unicode: lone surrogates never get this far).
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object.
    Object(Object),
}

/// A JSON number, either as the exact decimal text the sender wrote or as an IEEE-754 double.
///
/// The parser always produces [`Number::Text`]; the claims step turns texts into doubles under
/// the default `number-precision` policy and keeps them as text under `exact-text`.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    /// A finite double (`-0.0` included: the two size measures write it differently).
    Double(f64),
    /// Grammar-valid JSON number text, exactly as written.
    Text(Box<str>),
}

impl Number {
    /// The nearest double to this number (round to nearest; may be infinite for a text such as
    /// `1e400`, and zero for `1e-400`).
    pub fn to_f64(&self) -> f64 {
        match self {
            Number::Double(x) => *x,
            // The text is grammar-valid JSON, which Rust's float parser accepts in full and
            // rounds correctly; the fallback is unreachable but keeps this total.
            Number::Text(t) => t.parse::<f64>().unwrap_or(f64::NAN),
        }
    }

    /// The exact decimal value of the number as an integer, when it is one.
    pub fn exact_integer(&self) -> ExactInteger {
        match self {
            Number::Double(x) => {
                if x.fract() != 0.0 {
                    ExactInteger::NotInteger
                } else if x.abs() < 9_223_372_036_854_775_808.0 {
                    // An integral double below 2^63 converts to i64 exactly.
                    ExactInteger::Int(*x as i64)
                } else {
                    ExactInteger::Huge { negative: *x < 0.0 }
                }
            }
            Number::Text(t) => exact_integer_of_text(t),
        }
    }

    /// Whether the two numbers have the same value: two texts by their exact decimal values
    /// (`1.50` is `1.5`, `-0` is `0`, `1e400` is `10e399`), otherwise as doubles.
    pub fn same_value(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Text(x), Number::Text(y)) => match (decimal(x), decimal(y)) {
                (Some(x), Some(y)) => x == y,
                // An exponent past 128 bits: only the same text is surely the same number.
                _ => x == y,
            },
            _ => self.to_f64() == other.to_f64(),
        }
    }

    /// Whether the text has a fraction or an exponent part (`60.0`, `6e1`): not a JSON integer.
    pub fn is_integer_literal(&self) -> bool {
        match self {
            Number::Double(x) => x.fract() == 0.0,
            Number::Text(t) => !t.contains(['.', 'e', 'E']),
        }
    }
}

/// The integer value of a number, judged on its exact decimal value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExactInteger {
    /// An integer that fits in `i64` (`-0` is `Int(0)`).
    Int(i64),
    /// An integer beyond `i64` (such as `1e30`).
    Huge {
        /// The sign of the value.
        negative: bool,
    },
    /// Not an integer (`60.5`, `60.00000000000000001`, `1e-1`).
    NotInteger,
}

/// A grammar-valid number text as (negative, significant digits, exponent of the last digit);
/// zero is `(false, "", 0)`. `None` when the exponent does not fit 128 bits.
fn decimal(text: &str) -> Option<(bool, String, i128)> {
    let (negative, rest) = text.strip_prefix('-').map_or((false, text), |r| (true, r));
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i128>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = int.chars().chain(frac.chars()).collect();
    let trimmed = digits.trim_start_matches('0');
    let significant = trimmed.trim_end_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    let exponent = exp
        .checked_sub(frac.len() as i128)?
        .checked_add((trimmed.len() - significant.len()) as i128)?;
    Some((negative, significant.to_owned(), exponent))
}

/// Exact integer test on grammar-valid JSON number text, without any floating point and
/// without allocating for huge exponents.
fn exact_integer_of_text(text: &str) -> ExactInteger {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, "0"),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    // Saturating exponent: anything beyond +-10^15 behaves the same for our purposes.
    let (exp_negative, exp_digits) = match exponent.as_bytes().first() {
        Some(b'-') => (true, &exponent[1..]),
        Some(b'+') => (false, &exponent[1..]),
        _ => (false, exponent),
    };
    let mut exp: i64 = 0;
    for d in exp_digits.bytes() {
        exp = (exp * 10 + i64::from(d - b'0')).min(1_000_000_000_000_000);
    }
    if exp_negative {
        exp = -exp;
    }
    // All significant digits (those of the integer part, then those of the fraction), then
    // the power of ten that scales them; read in place, without collecting them.
    let digits = || int_part.bytes().chain(frac_part.bytes());
    let total = int_part.len() + frac_part.len();
    let leading = digits().take_while(|&d| d == b'0').count();
    if leading == total {
        return ExactInteger::Int(0);
    }
    let trailing = digits().rev().take_while(|&d| d == b'0').count();
    let significant = total - leading - trailing;
    let scale = exp - frac_part.len() as i64 + trailing as i64;
    if scale < 0 {
        return ExactInteger::NotInteger;
    }
    // i64 has 19 digits; anything with more is huge.
    if significant as i64 + scale > 19 {
        return ExactInteger::Huge { negative };
    }
    let mut value: i128 = 0;
    for d in digits().skip(leading).take(significant) {
        value = value * 10 + i128::from(d - b'0');
    }
    for _ in 0..scale {
        value *= 10;
    }
    let value = if negative { -value } else { value };
    match i64::try_from(value) {
        Ok(v) => ExactInteger::Int(v),
        Err(_) => ExactInteger::Huge { negative },
    }
}

impl Json {
    /// The JSON type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Takes the object out of this value (leaving `null`), if this is one.
    pub fn take_object(&mut self) -> Option<Object> {
        match self {
            Json::Object(o) => Some(std::mem::take(o)),
            _ => None,
        }
    }

    /// Nesting depth: scalars are 0, `[]` and `{}` are 1, `[[1]]` is 2. Computed without
    /// recursion.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 0usize)];
        while let Some((v, d)) = stack.pop() {
            match v {
                Json::Array(a) => {
                    max = max.max(d + 1);
                    stack.extend(a.iter().map(|c| (c, d + 1)));
                }
                Json::Object(o) => {
                    max = max.max(d + 1);
                    stack.extend(o.values().map(|c| (c, d + 1)));
                }
                _ => {}
            }
        }
        max
    }

    /// Every number anywhere in the value, found without recursion.
    pub fn for_each_number_mut(&mut self, mut f: impl FnMut(&mut Number)) {
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            match v {
                Json::Number(n) => f(n),
                Json::Array(a) => stack.extend(a.iter_mut()),
                Json::Object(o) => stack.extend(o.values_mut()),
                _ => {}
            }
        }
    }

    /// Converts from `serde_json` (world data such as the claims template). Numbers become
    /// their `serde_json` text, which round-trips to the same double.
    ///
    /// Recursive: callers bound the depth first (see [`crate::World::validate`]).
    pub fn from_serde(v: &serde_json::Value) -> Json {
        match v {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(*b),
            serde_json::Value::Number(n) => Json::Number(Number::Text(n.to_string().into())),
            serde_json::Value::String(s) => Json::String(s.clone()),
            serde_json::Value::Array(a) => Json::Array(a.iter().map(Json::from_serde).collect()),
            serde_json::Value::Object(o) => Json::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), Json::from_serde(v)))
                    .collect(),
            ),
        }
    }

    /// Converts to `serde_json`. Exact for doubles; an exact-text number becomes the nearest
    /// double, or `null` when it has none (`1e400`), since `serde_json` cannot hold it. The
    /// model's own [`crate::canonical`] writers are exact in every case.
    ///
    /// Recursive: meant for outcome values, which the claims size limit keeps shallow.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => serde_json::Value::Bool(*b),
            Json::Number(n) => number_to_serde(n),
            Json::String(s) => serde_json::Value::String(s.clone()),
            Json::Array(a) => serde_json::Value::Array(a.iter().map(Json::to_serde).collect()),
            Json::Object(o) => serde_json::Value::Object(
                o.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect(),
            ),
        }
    }
}

/// What indexing a [`Json`] gives where nothing is (as `serde_json::Value` does).
static NULL: Json = Json::Null;

impl Json {
    /// The member `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The object, mutably, if this is one.
    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The value at an RFC 6901 JSON pointer (`""` is the whole value).
    pub fn pointer(&self, pointer: &str) -> Option<&Json> {
        let mut at = self;
        for token in pointer_tokens(pointer)? {
            at = match at {
                Json::Object(o) => o.get(token.as_ref())?,
                Json::Array(a) => a.get(array_index(&token)?)?,
                _ => return None,
            };
        }
        Some(at)
    }

    /// The value at an RFC 6901 JSON pointer, mutably.
    pub fn pointer_mut(&mut self, pointer: &str) -> Option<&mut Json> {
        let mut at = self;
        for token in pointer_tokens(pointer)? {
            at = match at {
                Json::Object(o) => o.get_mut(token.as_ref())?,
                Json::Array(a) => a.get_mut(array_index(&token)?)?,
                _ => return None,
            };
        }
        Some(at)
    }

    /// The value as JSON text, exactly: numbers as the model holds them (an exact-text number
    /// as its text), members in RFC 8785 order, no whitespace.
    pub fn to_text(&self) -> String {
        crate::canonical::jcs(self)
    }
}

/// The unescaped reference tokens of a JSON pointer; `None` if it is not one.
fn pointer_tokens(pointer: &str) -> Option<impl Iterator<Item = std::borrow::Cow<'_, str>>> {
    if pointer.is_empty() {
        return Some(None.into_iter().flatten());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        Some(rest.split('/').map(|t| {
            if t.contains('~') {
                std::borrow::Cow::Owned(t.replace("~1", "/").replace("~0", "~"))
            } else {
                std::borrow::Cow::Borrowed(t)
            }
        }))
        .into_iter()
        .flatten(),
    )
}

/// An array index token: digits, without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    if token.len() > 1 && token.starts_with('0') {
        return None;
    }
    token.parse().ok()
}

impl std::fmt::Display for Json {
    /// The exact JSON text ([`Json::to_text`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl std::ops::Index<&str> for Json {
    type Output = Json;

    /// The member `key`, or `null` when this is not an object or has no such member.
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Json {
    type Output = Json;

    /// The item at `index`, or `null` when this is not an array or is shorter.
    fn index(&self, index: usize) -> &Json {
        self.as_array().and_then(|a| a.get(index)).unwrap_or(&NULL)
    }
}

impl PartialEq<str> for Json {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Json {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<i64> for Json {
    /// Whether this is a number whose exact value is `other`.
    fn eq(&self, other: &i64) -> bool {
        matches!(self, Json::Number(n) if n.exact_integer() == ExactInteger::Int(*other))
    }
}

impl PartialEq<serde_json::Value> for Json {
    /// Equal values: the same structure, and numbers of the same exact decimal value (a
    /// double is its exact binary value; `-0` equals `0`).
    fn eq(&self, other: &serde_json::Value) -> bool {
        use serde_json::Value as V;
        match (self, other) {
            (Json::Null, V::Null) => true,
            (Json::Bool(a), V::Bool(b)) => a == b,
            (Json::String(a), V::String(b)) => a == b,
            (Json::Number(a), V::Number(b)) => {
                let b = Number::Text(b.to_string().into());
                a.same_value(&b)
            }
            (Json::Array(a), V::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            }
            (Json::Object(a), V::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| x == y))
            }
            _ => false,
        }
    }
}

fn number_to_serde(n: &Number) -> serde_json::Value {
    if let ExactInteger::Int(i) = n.exact_integer() {
        // Keep integers integral on the wire ("5", not "5.0"), but only where the double
        // agrees, so `-0.0` and 2^53+1 stay doubles.
        let x = n.to_f64();
        if (x as i64) == i && !(x == 0.0 && x.is_sign_negative()) && i.unsigned_abs() <= 1 << 53 {
            return serde_json::Value::from(i);
        }
    }
    serde_json::Number::from_f64(n.to_f64())
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// How many levels [`Json`]'s drop empties by recursion before it moves what lies deeper to
/// an explicit stack: enough for every value of ordinary shape, and a bound that the data
/// does not control.
const DROP_RECURSION_LEVELS: usize = 32;

impl Drop for Json {
    /// Drops without unbounded recursion, so a value nested a million levels deep cannot
    /// overflow the stack. The levels near the top are emptied by a recursion of at most
    /// `DROP_RECURSION_LEVELS` (no allocation for values of ordinary depth); subtrees below
    /// that are moved to a stack on the heap and emptied the same way in turn.
    fn drop(&mut self) {
        if !has_children(self) {
            return;
        }
        let mut deeper: Vec<Json> = Vec::new();
        empty_children(self, DROP_RECURSION_LEVELS, &mut deeper);
        while let Some(mut v) = deeper.pop() {
            empty_children(&mut v, DROP_RECURSION_LEVELS, &mut deeper);
            // `v` now has no children; its own drop returns at once.
        }
    }
}

/// Whether `v` is a non-empty array or object.
fn has_children(v: &Json) -> bool {
    match v {
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
        _ => false,
    }
}

/// Drops the children of `v`, leaving it an empty container: a child's own children are
/// emptied first, `levels` deep at most; a child with children below that goes to `deeper`.
fn empty_children(v: &mut Json, levels: usize, deeper: &mut Vec<Json>) {
    let mut settle = |mut child: Json| {
        if has_children(&child) {
            if levels == 0 {
                deeper.push(child);
            } else {
                empty_children(&mut child, levels - 1, deeper);
            }
        }
        // `child` has no children here (or was moved); its drop returns at once.
    };
    match v {
        Json::Array(a) => std::mem::take(a).into_iter().for_each(&mut settle),
        Json::Object(o) => std::mem::take(o).into_values().for_each(&mut settle),
        _ => {}
    }
}

/// Parses JSON text into a `serde_json::Value` with exact numbers: integers that fit 64 bits
/// stay integers, every other number is its correctly rounded double (`-0` is `-0.0`), which
/// is what `serde_json` gives only with its `float_roundtrip` feature. The model does not turn
/// that feature on (the suite shares `serde_json` with the code under test, and the feature
/// would change how that code parses inside `cargo test`), so files it reads (worlds,
/// vectors) go through here. A duplicate key is an error (as serde refuses a repeated field);
/// nesting up to
/// [`MAX_FILE_DEPTH`] levels; a number past the double range is an error.
pub fn to_serde_exact(bytes: &[u8]) -> Result<serde_json::Value, String> {
    if let Some(value) = serde_json_where_exact(bytes) {
        return Ok(value);
    }
    exact_by_model(bytes)
}

fn exact_by_model(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let options = crate::parse::ParseOptions {
        duplicate_keys: crate::policy::DuplicateKeys::BadRequest,
        lone_surrogate: crate::policy::LoneSurrogate::BadRequest,
        nesting_limit: crate::policy::NestingLimit::Unlimited,
    };
    let (parsed, stats) =
        crate::parse::parse_with_stats(bytes, options).map_err(|e| e.to_string())?;
    if stats.max_depth > MAX_FILE_DEPTH {
        return Err(format!(
            "nested {} levels deep, over the {MAX_FILE_DEPTH} levels a file may have",
            stats.max_depth
        ));
    }
    exact_serde(&parsed)
}

/// serde_json's own (faster) parse, kept only where it is exact and agrees with the model's
/// parser: no number other than a 64-bit integer (serde_json reads the others, `-0` among
/// them, as doubles that may be off by one unit without `float_roundtrip`), no duplicate key
/// (serde_json keeps the last one silently), within serde_json's recursion limit. Anything
/// else, errors included, goes to the model's parser, which decides.
fn serde_json_where_exact(bytes: &[u8]) -> Option<serde_json::Value> {
    use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;

    struct Strict(Value);
    struct StrictVisitor;
    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Strict;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON without doubles or duplicate keys")
        }
        fn visit_unit<E: Error>(self) -> Result<Strict, E> {
            Ok(Strict(Value::Null))
        }
        fn visit_bool<E: Error>(self, b: bool) -> Result<Strict, E> {
            Ok(Strict(Value::Bool(b)))
        }
        fn visit_i64<E: Error>(self, i: i64) -> Result<Strict, E> {
            Ok(Strict(Value::from(i)))
        }
        fn visit_u64<E: Error>(self, u: u64) -> Result<Strict, E> {
            Ok(Strict(Value::from(u)))
        }
        fn visit_f64<E: Error>(self, _: f64) -> Result<Strict, E> {
            Err(E::custom("a double: read exactly by the model's parser"))
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<Strict, E> {
            Ok(Strict(Value::String(s.to_owned())))
        }
        fn visit_string<E: Error>(self, s: String) -> Result<Strict, E> {
            Ok(Strict(Value::String(s)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
            let mut items = Vec::new();
            while let Some(Strict(v)) = seq.next_element()? {
                items.push(v);
            }
            Ok(Strict(Value::Array(items)))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
            let mut object = serde_json::Map::new();
            while let Some(key) = map.next_key::<String>()? {
                let Strict(value) = map.next_value()?;
                if object.insert(key, value).is_some() {
                    return Err(A::Error::custom("a duplicate key"));
                }
            }
            Ok(Strict(Value::Object(object)))
        }
    }
    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
            d.deserialize_any(StrictVisitor)
        }
    }

    let mut de = serde_json::Deserializer::from_slice(bytes);
    let Strict(value) = Strict::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// The deepest nesting [`to_serde_exact`] accepts (the conversion recurses once per level).
pub const MAX_FILE_DEPTH: usize = 1024;

fn exact_serde(value: &Json) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    Ok(match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => {
            Value::Array(items.iter().map(exact_serde).collect::<Result<_, _>>()?)
        }
        Json::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), exact_serde(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Json::Number(Number::Double(x)) => serde_json::Number::from_f64(*x)
            .map(Value::Number)
            .ok_or_else(|| format!("number {x} is not finite"))?,
        Json::Number(n @ Number::Text(text)) => {
            let integral = !text.contains(['.', 'e', 'E']);
            let int = if integral {
                text.parse::<u64>().ok().map(Value::from).or_else(|| {
                    // `-0` is the double minus zero, as serde_json reads it.
                    text.parse::<i64>()
                        .ok()
                        .filter(|&i| i != 0)
                        .map(Value::from)
                })
            } else {
                None
            };
            match int {
                Some(v) => v,
                None => serde_json::Number::from_f64(n.to_f64())
                    .map(Value::Number)
                    .ok_or_else(|| format!("number {text} is out of range"))?,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_by_value() {
        assert_eq!(decimal("1.50"), decimal("15e-1"));
        assert_eq!(decimal("0"), decimal("-0.000"));
        assert_ne!(decimal("1"), decimal("-1"));
        assert_eq!(decimal("100"), decimal("1E2"));
        let huge = "1e999999999999999999999999999999999999999999";
        assert_eq!(decimal(huge), None, "an exponent past 128 bits");
    }

    #[test]
    fn pointers_index_and_compare_like_serde_values() {
        let v = Json::from_serde(&serde_json::json!({"a/b": [1, {"~": "x"}], "n": 1.5}));
        assert_eq!(v.pointer("/a~1b/1/~0"), Some(&Json::String("x".into())));
        assert_eq!(v.pointer(""), Some(&v));
        assert_eq!(v.pointer("/a~1b/01"), None);
        assert_eq!(v.pointer("a"), None);
        assert_eq!(v["a/b"][0], 1);
        assert_eq!(v["missing"]["deeper"], Json::Null);
        assert_eq!(v["a/b"][1]["~"], "x");
        assert_eq!(v, serde_json::json!({"a/b": [1, {"~": "x"}], "n": 1.5}));
        assert_ne!(v, serde_json::json!({"a/b": [1, {"~": "x"}], "n": 1.25}));
        let exact = Json::Number(Number::Text("9007199254740993".into()));
        assert_ne!(exact, serde_json::json!(9_007_199_254_740_992_i64));
        assert_eq!(exact.to_text(), "9007199254740993");
    }

    #[test]
    fn the_serde_json_shortcut_agrees_with_the_models_parser() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let inputs: Vec<&[u8]> = vec![
            br#"{"a":1,"b":[true,false,null],"c":{"d":"\u00e9\n"}}"#,
            br#"{"n":-9223372036854775808,"m":18446744073709551615}"#,
            br#"{"big":18446744073709551616,"neg":-9223372036854775809}"#,
            br#"{"x":-0}"#,
            br#"{"x":0.1,"y":1e400}"#,
            br#"{"x":9007199254740993.0}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"a":{"b":1,"b":1}}"#,
            b"\xef\xbb\xbf{}",
            br#"{"s":"\ud800"}"#,
            b"{\"s\":\"\xff\"}",
            br#"{} x"#,
            br#" [1, 2] "#,
            deep.as_bytes(),
        ];
        for input in inputs {
            let shortcut = to_serde_exact(input);
            let model = exact_by_model(input);
            assert_eq!(
                shortcut.is_ok(),
                model.is_ok(),
                "{:?}: {shortcut:?} vs {model:?}",
                String::from_utf8_lossy(input)
            );
            if let (Ok(a), Ok(b)) = (&shortcut, &model) {
                assert_eq!(a, b, "{:?}", String::from_utf8_lossy(input));
                // Numbers keep their kind (integer or double), not only their value.
                assert_eq!(a.to_string(), b.to_string());
            }
        }
        assert!(serde_json_where_exact(br#"{"a":1}"#).is_some());
        assert!(serde_json_where_exact(br#"{"a":1.5}"#).is_none());
        assert!(serde_json_where_exact(br#"{"a":1,"a":1}"#).is_none());
    }

    fn int(text: &str) -> ExactInteger {
        Number::Text(text.into()).exact_integer()
    }

    #[test]
    fn exact_integer_judges_the_decimal_value() {
        assert_eq!(int("60"), ExactInteger::Int(60));
        assert_eq!(int("-0"), ExactInteger::Int(0));
        assert_eq!(int("60.0"), ExactInteger::Int(60));
        assert_eq!(int("6e1"), ExactInteger::Int(60));
        assert_eq!(int("600e-1"), ExactInteger::Int(60));
        assert_eq!(int("0.0e5"), ExactInteger::Int(0));
        assert_eq!(int("60.5"), ExactInteger::NotInteger);
        assert_eq!(int("60.00000000000000001"), ExactInteger::NotInteger);
        assert_eq!(int("1e-1"), ExactInteger::NotInteger);
        assert_eq!(int("1e10"), ExactInteger::Int(10_000_000_000));
        assert_eq!(int("-1e30"), ExactInteger::Huge { negative: true });
        assert_eq!(
            int("1e99999999999999999999999"),
            ExactInteger::Huge { negative: false }
        );
        assert_eq!(int("1e-99999999999999999999999"), ExactInteger::NotInteger);
        assert_eq!(int("9223372036854775807"), ExactInteger::Int(i64::MAX));
        assert_eq!(
            int("9223372036854775808"),
            ExactInteger::Huge { negative: false }
        );
    }

    #[test]
    fn dropping_a_very_deep_value_does_not_overflow_the_stack() {
        let mut v = Json::Null;
        for _ in 0..1_000_000 {
            v = Json::Array(vec![v]);
        }
        assert_eq!(v.depth(), 1_000_000);
        drop(v);
    }
}
