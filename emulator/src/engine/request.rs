//! The request fields of `api_b2b_session_v1_MigrateRequest`, read from the body's raw object.

use serde_json::value::RawValue;

use super::claims::{self, Claims, Numbers, ReadError};
use super::errors::{ApiError, ErrorKind};
use super::wire::RawObject;

/// `session_token`.
pub const SESSION_TOKEN: &str = "session_token";
/// `organization_id`.
pub const ORGANIZATION_ID: &str = "organization_id";
/// `session_duration_minutes`.
pub const SESSION_DURATION_MINUTES: &str = "session_duration_minutes";
/// `session_custom_claims`.
pub const SESSION_CUSTOM_CLAIMS: &str = "session_custom_claims";

/// The request's four fields.
pub const KNOWN_FIELDS: [&str; 4] = [
    SESSION_TOKEN,
    ORGANIZATION_ID,
    SESSION_DURATION_MINUTES,
    SESSION_CUSTOM_CLAIMS,
];

/// Whether a value could fill the field `key` of a typed struct (Go's `encoding/json` decodes
/// every occurrence of a key, so a mutant checks them all): strings for the ids and the
/// UserInfo email, a number for the duration, an object for the claims; `null` fits any.
pub fn plausible_type(key: &str, value: &RawValue) -> bool {
    let first = value.get().as_bytes().first().copied();
    first == Some(b'n')
        || match key {
            SESSION_TOKEN | ORGANIZATION_ID | "email" => first == Some(b'"'),
            SESSION_DURATION_MINUTES => matches!(first, Some(b'-' | b'0'..=b'9')),
            SESSION_CUSTOM_CLAIMS => first == Some(b'{'),
            _ => true,
        }
}

/// A field's raw value, `None` when it is absent or `null`.
fn present<'a>(fields: &RawObject<'a>, name: &str) -> Option<&'a RawValue> {
    fields.get(name).copied().filter(|raw| raw.get() != "null")
}

/// A required, non-empty string field (not trimmed).
pub fn required_string(fields: &RawObject<'_>, name: &'static str) -> Result<String, ApiError> {
    let raw = fields
        .get(name)
        .ok_or_else(|| ApiError::bad_request(format!("{name} is required")))?;
    let value: String = serde_json::from_str(raw.get())
        .map_err(|_| ApiError::bad_request(format!("{name} must be a string")))?;
    if value.is_empty() {
        return Err(ApiError::bad_request(format!("{name} must not be empty")));
    }
    Ok(value)
}

/// What the request says about the session duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationField {
    /// Absent.
    Absent,
    /// An explicit `null`.
    Null,
    /// An int32 integer; `negative_zero` when it was written `-0` (or `-0.0`).
    Minutes {
        /// The value.
        minutes: i32,
        /// Written with a minus sign although zero.
        negative_zero: bool,
    },
}

/// How the project reads a duration number (its profile's choices, and a mutant's slips).
#[derive(Clone, Copy, Debug, Default)]
pub struct DurationRules {
    /// `integral-float = accept`: `60.0` and `6e1` are 60.
    pub accept_integral_float: bool,
    /// `int32-overflow = bad_request`.
    pub int32_overflow_bad_request: bool,
    /// A mutant: a fraction is cut off instead of refused.
    pub truncate_fraction: bool,
    /// A mutant: only a negative overflow follows `int32_overflow_bad_request`.
    pub positive_overflow_out_of_range: bool,
    /// A mutant: `true` is 1 and `false` is 0.
    pub bool_as_integer: bool,
    /// A mutant: a string holding a JSON number is that number.
    pub numeric_string: bool,
    /// A mutant: an integer beyond int32 keeps its low 32 bits.
    pub wrap_int32: bool,
}

/// The exact value of a JSON number text, as far as a duration needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exact {
    /// An integer that fits 64 bits.
    Integer(i64),
    /// An integer far beyond int32, with its sign.
    Huge { negative: bool },
    /// Not an integer; `truncated` is its integer part when that fits 64 bits.
    Fraction { truncated: Option<i64> },
}

/// The exact value of a grammar-valid JSON number text, by decimal digits (no floating point).
fn exact_value(text: &str) -> Exact {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e),
        None => (unsigned, "0"),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The exponent, saturated far beyond any digit count a 4 MiB body can hold.
    let exp_negative = exponent.starts_with('-');
    let mut exp: i64 = 0;
    for d in exponent.trim_start_matches(['+', '-']).bytes() {
        exp = (exp * 10 + i64::from(d - b'0')).min(1 << 40);
    }
    if exp_negative {
        exp = -exp;
    }
    let digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|d| d - b'0')
        .collect();
    // value = digits * 10^(exp - fraction.len())
    let scale = exp - fraction.len() as i64;
    let first = digits.iter().position(|&d| d != 0);
    let Some(first) = first else {
        return Exact::Integer(0);
    };
    let significant = &digits[first..];
    let sign = |v: i64| if negative { -v } else { v };
    let fold = |digits: &[u8]| digits.iter().fold(0i64, |v, &d| v * 10 + i64::from(d));
    if scale >= 0 {
        if significant.len() as i64 + scale > 18 {
            return Exact::Huge { negative };
        }
        let mut v = fold(significant);
        for _ in 0..scale {
            v *= 10;
        }
        return Exact::Integer(sign(v));
    }
    // A negative scale: an integer only if the digits it cuts off are all zero.
    let cut = usize::try_from(-scale).unwrap_or(usize::MAX);
    let keep = significant.len().saturating_sub(cut);
    if significant[keep..].iter().all(|&d| d == 0) {
        if keep > 18 {
            return Exact::Huge { negative };
        }
        return Exact::Integer(sign(fold(&significant[..keep])));
    }
    let truncated = (keep <= 18).then(|| sign(fold(&significant[..keep])));
    Exact::Fraction { truncated }
}

fn not_an_integer() -> ApiError {
    ApiError::bad_request("session_duration_minutes must be an integer")
}

fn out_of_range() -> ApiError {
    ApiError::new(
        ErrorKind::InvalidSessionDurationMinutes,
        "session_duration_minutes should be between 5 to 527040 minutes",
    )
}

/// Reads `session_duration_minutes`: `null`, then the type, then a fraction or exponent part,
/// then the int32 range.
pub fn duration_field(
    fields: &RawObject<'_>,
    rules: DurationRules,
) -> Result<DurationField, ApiError> {
    let Some(raw) = fields.get(SESSION_DURATION_MINUTES) else {
        return Ok(DurationField::Absent);
    };
    let mut text = raw.get();
    if text == "null" {
        return Ok(DurationField::Null);
    }
    let unquoted;
    match text {
        "true" if rules.bool_as_integer => text = "1",
        "false" if rules.bool_as_integer => text = "0",
        _ if rules.numeric_string && text.starts_with('"') => {
            unquoted = serde_json::from_str::<String>(text).unwrap_or_default();
            if serde_json::from_str::<serde::de::IgnoredAny>(&unquoted).is_ok()
                && matches!(unquoted.as_bytes().first(), Some(b'-' | b'0'..=b'9'))
            {
                text = &unquoted;
            }
        }
        _ => {}
    }
    if !matches!(text.as_bytes().first(), Some(b'-' | b'0'..=b'9')) {
        return Err(not_an_integer());
    }
    let literal_integer = !text.contains(['.', 'e', 'E']);
    if !literal_integer && !rules.accept_integral_float {
        return Err(not_an_integer());
    }
    let value = match exact_value(text) {
        Exact::Integer(v) => v,
        Exact::Fraction { truncated: Some(v) } if rules.truncate_fraction => v,
        Exact::Fraction { .. } => return Err(not_an_integer()),
        Exact::Huge { negative: true } => i64::MIN,
        Exact::Huge { negative: false } => i64::MAX,
    };
    let value = if rules.wrap_int32 {
        // The mutant's slip: the low 32 bits.
        i64::from(value as i32)
    } else {
        value
    };
    match i32::try_from(value) {
        Ok(minutes) => Ok(DurationField::Minutes {
            minutes,
            negative_zero: minutes == 0 && text.starts_with('-'),
        }),
        Err(_) if rules.positive_overflow_out_of_range && value > 0 => Err(out_of_range()),
        Err(_) if rules.int32_overflow_bad_request => Err(not_an_integer()),
        Err(_) => Err(out_of_range()),
    }
}

/// Whether the request gives no duration, decided from its text alone (for
/// `claims-without-duration`): the field is absent, `null` when that means absent, or zero
/// when zero means absent (`0`, `-0`, and `0.0` when integral floats are accepted).
pub fn gives_no_duration(
    fields: &RawObject<'_>,
    null_is_absent: bool,
    zero_is_absent: bool,
    accept_integral_float: bool,
) -> bool {
    let Some(raw) = fields.get(SESSION_DURATION_MINUTES) else {
        return true;
    };
    let text = raw.get();
    if text == "null" {
        return null_is_absent;
    }
    if !zero_is_absent || !matches!(text.as_bytes().first(), Some(b'-' | b'0'..=b'9')) {
        return false;
    }
    let literal_integer = !text.contains(['.', 'e', 'E']);
    (literal_integer || accept_integral_float) && exact_value(text) == Exact::Integer(0)
}

/// The type check of `session_custom_claims`, which runs before anything else about the
/// claims: present, not `null`, and not an object is `bad_request`.
pub fn claims_type_error(fields: &RawObject<'_>) -> Option<ApiError> {
    let raw = present(fields, SESSION_CUSTOM_CLAIMS)?;
    (!raw.get().starts_with('{'))
        .then(|| ApiError::bad_request("session_custom_claims must be an object"))
}

/// Reads `session_custom_claims`: absent or `null` is none; otherwise an object whose numbers
/// are read as `numbers` says.
pub fn custom_claims(fields: &RawObject<'_>, numbers: Numbers) -> Result<Option<Claims>, ApiError> {
    let Some(raw) = present(fields, SESSION_CUSTOM_CLAIMS) else {
        return Ok(None);
    };
    if let Some(error) = claims_type_error(fields) {
        return Err(error);
    }
    match claims::read_object(raw.get(), numbers) {
        Ok(claims) => Ok(Some(claims)),
        Err(ReadError::Unrepresentable) => Err(ApiError::new(
            ErrorKind::UnableToRepresentCustomClaimsJson,
            "session_custom_claims holds a number that cannot be represented",
        )),
        Err(ReadError::Grammar) => Err(ApiError::bad_request(
            "session_custom_claims is not valid JSON",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_values() {
        assert_eq!(exact_value("60"), Exact::Integer(60));
        assert_eq!(exact_value("-0"), Exact::Integer(0));
        assert_eq!(exact_value("6e1"), Exact::Integer(60));
        assert_eq!(exact_value("600e-1"), Exact::Integer(60));
        assert_eq!(exact_value("60.000"), Exact::Integer(60));
        assert_eq!(exact_value("0.0e5"), Exact::Integer(0));
        assert_eq!(
            exact_value("60.5"),
            Exact::Fraction {
                truncated: Some(60)
            }
        );
        assert_eq!(
            exact_value("-1e-400"),
            Exact::Fraction { truncated: Some(0) }
        );
        assert_eq!(exact_value("1e400"), Exact::Huge { negative: false });
        assert_eq!(exact_value("-2147483649"), Exact::Integer(-2_147_483_649));
        assert_eq!(exact_value("1.5e1"), Exact::Integer(15));
        assert_eq!(
            exact_value("1.55e1"),
            Exact::Fraction {
                truncated: Some(15)
            }
        );
        assert_eq!(exact_value("1.50e2"), Exact::Integer(150));
    }
}
