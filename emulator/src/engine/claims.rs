//! Session custom claims: reading them with IEEE-754 double numbers, dropping protected keys,
//! the deep merge, and the size measure.

use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::wire;

/// A claims map.
pub type Claims = Map<String, Value>;

/// Top-level claim names the JWT itself uses; they are never taken from custom claims.
pub const RESERVED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// The prefix of Stytch's own namespaced JWT claims.
pub const STYTCH_NAMESPACE: &str = "https://stytch.com/";

/// The largest final claims map, in bytes of its RFC 8785 canonical JSON.
pub const MAX_CLAIMS_BYTES: usize = 4096;

/// Integers up to this magnitude are exact doubles, and are written as integers.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Why claims could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// A number rounds to an infinite double.
    Unrepresentable,
    /// The text is not JSON (cannot happen for text that passed the body checks).
    Grammar,
}

/// Reads an object's raw text into claims. Duplicate keys keep the last value, and only kept
/// values are examined. The caller has bounded the nesting, which bounds the recursion.
pub fn read_object(text: &str) -> Result<Claims, ReadError> {
    let fields = wire::parse_object(text).map_err(|_| ReadError::Grammar)?;
    fields
        .into_iter()
        .map(|(key, raw)| Ok((key, read_value(raw)?)))
        .collect()
}

fn read_value(raw: &RawValue) -> Result<Value, ReadError> {
    let text = raw.get().trim_matches([' ', '\t', '\n', '\r']);
    match text.as_bytes().first() {
        Some(b'{') => read_object(text).map(Value::Object),
        Some(b'[') => wire::parse_array(text)
            .map_err(|_| ReadError::Grammar)?
            .into_iter()
            .map(read_value)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Some(b'-' | b'0'..=b'9') => {
            // Rust's float parser rounds to nearest, like the IEEE-754 conversion we promise:
            // 1e-400 underflows to 0, and 1e400 overflows to infinity, which we refuse.
            let x: f64 = text.parse().map_err(|_| ReadError::Grammar)?;
            if x.is_finite() {
                Ok(number(x))
            } else {
                Err(ReadError::Unrepresentable)
            }
        }
        _ => serde_json::from_str(text).map_err(|_| ReadError::Grammar),
    }
}

/// A double as a JSON number: exact integers as integers (so `-0` becomes `0`), the rest as
/// doubles.
pub fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() <= MAX_SAFE_INTEGER {
        // Exact: |x| <= 2^53 and integral.
        Value::from(x as i64)
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// The configured template with every number held as a double, as request claims are.
pub fn to_doubles(value: &Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().map_or(Value::Null, number),
        Value::Array(items) => Value::Array(items.iter().map(to_doubles).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_doubles(v)))
                .collect(),
        ),
        other => other.clone(),
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
}

/// Deep-merges `update` into `base`: a null deletes, an object over an object merges, an
/// object over anything else is merged into `{}` (so its nulls vanish), anything else
/// replaces. Objects left empty stay as `{}`. Arrays are values: replaced whole, kept as given.
pub fn merge(base: &mut Claims, update: Claims, rules: MergeRules) {
    merge_at(base, update, rules, true);
}

fn merge_at(base: &mut Claims, update: Claims, rules: MergeRules, top: bool) {
    for (key, value) in update {
        match value {
            Value::Null => {
                let store = if top {
                    rules.store_top_level_null
                } else {
                    rules.store_nested_null
                };
                if store {
                    base.insert(key, Value::Null);
                } else {
                    base.remove(&key);
                }
            }
            Value::Object(fields) => {
                let deep = !(top && rules.shallow_top_level);
                match base.get_mut(&key) {
                    Some(Value::Object(existing)) if deep => {
                        merge_at(existing, fields, rules, false);
                    }
                    _ => {
                        let mut fresh = Claims::new();
                        merge_at(&mut fresh, fields, rules, false);
                        base.insert(key, Value::Object(fresh));
                    }
                }
            }
            other => {
                base.insert(key, other);
            }
        }
    }
}

/// The size of a claims map: bytes of its RFC 8785 canonical JSON.
pub fn canonical_size(claims: &Claims) -> Result<usize, serde_json::Error> {
    serde_json_canonicalizer::to_vec(claims).map(|bytes| bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Claims {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn numbers_are_doubles() {
        let c =
            read_object(r#"{"a":9007199254740993,"b":1e-400,"c":-0,"d":1.5,"e":[1e2]}"#).unwrap();
        assert_eq!(
            Value::Object(c),
            json!({"a": 9007199254740992i64, "b": 0, "c": 0, "d": 1.5, "e": [100]})
        );
        assert_eq!(
            read_object(r#"{"a":{"b":[1e400]}}"#),
            Err(ReadError::Unrepresentable)
        );
        assert!(read_object(r#"{"a":1e400,"a":1}"#).is_ok());
        assert!(read_object(r#"{"a":1.7976931348623158e308}"#).is_ok());
    }

    #[test]
    fn merge_rules() {
        let mut base = obj(json!({"a": {"x": 1, "y": 2}, "s": 1, "arr": [1]}));
        let update = obj(json!({
            "a": {"x": null, "z": {"n": null}},
            "s": {"k": null, "v": 1},
            "arr": [null],
            "gone": null,
            "e": {"q": null},
        }));
        merge(&mut base, update, MergeRules::default());
        assert_eq!(
            Value::Object(base),
            json!({"a": {"y": 2, "z": {}}, "s": {"v": 1}, "arr": [null], "e": {}})
        );
    }

    #[test]
    fn canonical_size_uses_jcs() {
        let c = obj(json!({"b": 1e21, "a": -0.0, "c": "é"}));
        assert_eq!(
            serde_json_canonicalizer::to_string(&c).unwrap(),
            r#"{"a":0,"b":1e+21,"c":"é"}"#
        );
        assert_eq!(canonical_size(&c).unwrap(), 26);
    }
}
