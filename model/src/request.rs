//! Steps 1 to 5: the request body and its four fields.

use crate::fault::{Fault, Trace};
use crate::json::{ExactInteger, Json, Number, Object};
use crate::parse::{parse_with_stats, ParseErrorKind, ParseOptions, MAX_NESTING};
use crate::policy::{
    ClaimsWithoutDuration, DefaultAboveProjectMax, Int32Overflow, IntegralFloat, NullDuration,
    NumberPrecision, Policy, ReservedClaims, ZeroDuration,
};
use crate::rules::Rule;
use crate::world::DURATION_RANGE;
use crate::ErrorType;

/// The default session duration in minutes (documented).
pub const DEFAULT_DURATION_MINUTES: i64 = 60;

/// The registered JWT claims that custom claims may not set (documented).
pub const RESERVED_CLAIMS: &[&str] = &["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// The prefix of Stytch's own claims (decided: `stytch-namespace`).
pub const STYTCH_NAMESPACE: &str = "https://stytch.com/";

/// The four field names, matched exactly.
pub mod field {
    /// `session_token`.
    pub const SESSION_TOKEN: &str = "session_token";
    /// `organization_id`.
    pub const ORGANIZATION_ID: &str = "organization_id";
    /// `session_duration_minutes`.
    pub const SESSION_DURATION_MINUTES: &str = "session_duration_minutes";
    /// `session_custom_claims`.
    pub const SESSION_CUSTOM_CLAIMS: &str = "session_custom_claims";
}

/// Whether `key` is a reserved claim name (exact, top level only).
pub fn is_reserved(key: &str) -> bool {
    RESERVED_CLAIMS.contains(&key)
}

/// Whether `key` is in Stytch's namespace (exact prefix, case-sensitive).
pub fn is_stytch_namespaced(key: &str) -> bool {
    key.starts_with(STYTCH_NAMESPACE)
}

/// Step 1: the body as a JSON object, or `bad_request`.
pub fn parse_body(body: &[u8], policy: &Policy, trace: &mut Trace) -> Result<Object, Fault> {
    trace.hit(Rule::BodyJsonGrammar);
    let (mut value, stats) = parse_with_stats(body, ParseOptions::from(policy)).map_err(|e| {
        trace.hit(e.rule());
        if !matches!(
            e.kind,
            ParseErrorKind::Syntax(_) | ParseErrorKind::InvalidUtf8 | ParseErrorKind::ByteOrderMark
        ) {
            // A lexical check failed somewhere in the text, wherever it was.
            trace.hit(Rule::BodyLexicalWholeText);
        }
        Fault::bad_request(e.rule(), format!("the request body is not valid JSON: {e}"))
    })?;
    if stats.duplicates_discarded > 0 {
        trace.hit(Rule::BodyDuplicateKeys);
        trace.hit(Rule::BodyLexicalWholeText);
    }
    if stats.surrogates_replaced > 0 {
        trace.hit(Rule::BodyLoneSurrogate);
    }
    if stats.max_depth >= MAX_NESTING {
        trace.hit(Rule::BodyNestingLimit);
    }
    match value.take_object() {
        Some(obj) => {
            trace.hit(Rule::BodyTopLevelObject);
            let known = [
                field::SESSION_TOKEN,
                field::ORGANIZATION_ID,
                field::SESSION_DURATION_MINUTES,
                field::SESSION_CUSTOM_CLAIMS,
            ];
            for key in obj.keys().filter(|k| !known.contains(&k.as_str())) {
                trace.hit(Rule::BodyUnknownFieldsIgnored);
                trace.hit(Rule::BodyLexicalWholeText);
                if known.iter().any(|f| f.eq_ignore_ascii_case(key)) {
                    trace.hit(Rule::BodyFieldNamesExact);
                }
            }
            Ok(obj)
        }
        None => {
            trace.hit(Rule::BodyTopLevelObject);
            Err(Fault::bad_request(
                Rule::BodyTopLevelObject,
                format!(
                    "the request body must be a JSON object, not {}",
                    value.type_name()
                ),
            ))
        }
    }
}

/// Steps 2 and 3: a required, non-empty string field (not trimmed).
pub fn required_string(
    request: &Object,
    name: &'static str,
    rule: Rule,
    trace: &mut Trace,
) -> Result<String, Fault> {
    trace.hit(rule);
    match request.get(name) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Json::String(_)) => Err(Fault::bad_request(
            rule,
            format!("{name} must not be empty"),
        )),
        Some(other) => Err(Fault::bad_request(
            rule,
            format!("{name} must be a string, not {}", other.type_name()),
        )),
        None => Err(Fault::bad_request(rule, format!("{name} is required"))),
    }
}

/// The session duration step 4 settles on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration {
    /// Minutes.
    pub minutes: i64,
}

/// Step 4: `session_duration_minutes`.
pub fn duration(
    request: &Object,
    policy: &Policy,
    project_max: i64,
    trace: &mut Trace,
) -> Result<Duration, Fault> {
    use ErrorType::{InvalidSessionDuration, InvalidSessionDurationMinutes};
    let name = field::SESSION_DURATION_MINUTES;
    let explicit = match request.get(name) {
        None => None,
        Some(Json::Null) => {
            trace.hit(Rule::DurationNull);
            if policy.null_duration == NullDuration::BadRequest {
                return Err(Fault::bad_request(
                    Rule::DurationNull,
                    format!("{name} must not be null"),
                ));
            }
            None
        }
        Some(Json::Number(n)) => explicit_minutes(n, policy, trace)?,
        Some(other) => {
            trace.hit(Rule::DurationType);
            return Err(Fault::bad_request(
                Rule::DurationType,
                format!("{name} must be an integer, not {}", other.type_name()),
            ));
        }
    };
    if let Some(minutes) = explicit {
        trace.hit(Rule::DurationRange);
        if !DURATION_RANGE.contains(&minutes) {
            return Err(Fault::new(
                InvalidSessionDurationMinutes,
                Rule::DurationRange,
                format!("{name} should be between 5 to 527040 minutes, got {minutes}"),
            ));
        }
        trace.hit(Rule::DurationProjectMax);
        if minutes > project_max {
            return Err(Fault::new(
                InvalidSessionDuration,
                Rule::DurationProjectMax,
                format!("{name} {minutes} exceeds the project's maximum of {project_max} minutes"),
            ));
        }
        return Ok(Duration { minutes });
    }
    trace.hit(Rule::DurationDefault);
    if DEFAULT_DURATION_MINUTES <= project_max {
        return Ok(Duration {
            minutes: DEFAULT_DURATION_MINUTES,
        });
    }
    trace.hit(Rule::DurationDefaultAboveProjectMax);
    match policy.default_above_project_max {
        DefaultAboveProjectMax::Cap => Ok(Duration {
            minutes: project_max,
        }),
        DefaultAboveProjectMax::Reject => Err(Fault::new(
            InvalidSessionDuration,
            Rule::DurationDefaultAboveProjectMax,
            format!(
                "the default of 60 minutes exceeds the project's maximum of {project_max} minutes"
            ),
        )),
    }
}

/// Whether the request gives a duration, as `claims-without-duration` asks: not when the
/// field is absent or treated as absent (`null` under `null-duration = absent`, `0` under
/// `zero-duration = absent`). Decided from the request alone, so it holds even when step 4
/// fails for another reason (the default exceeding the project maximum).
pub fn duration_given(request: &Object, policy: &Policy) -> bool {
    match request.get(field::SESSION_DURATION_MINUTES) {
        None => false,
        Some(Json::Null) => policy.null_duration == NullDuration::BadRequest,
        Some(Json::Number(n)) => {
            let zero = n.exact_integer() == ExactInteger::Int(0)
                && (n.is_integer_literal() || policy.integral_float == IntegralFloat::Accept);
            !(zero && policy.zero_duration == ZeroDuration::Absent)
        }
        Some(_) => true,
    }
}

/// A numeric duration: `Some(minutes)`, or `None` when `0` counts as absent.
fn explicit_minutes(n: &Number, policy: &Policy, trace: &mut Trace) -> Result<Option<i64>, Fault> {
    let name = field::SESSION_DURATION_MINUTES;
    trace.hit(Rule::DurationType);
    if !n.is_integer_literal() {
        trace.hit(Rule::DurationIntegralFloat);
        if policy.integral_float == IntegralFloat::BadRequest {
            return Err(Fault::bad_request(
                Rule::DurationIntegralFloat,
                format!("{name} must be an integer without fraction or exponent"),
            ));
        }
    }
    let value = match n.exact_integer() {
        ExactInteger::Int(v) => v,
        ExactInteger::Huge { negative: true } => i64::MIN,
        ExactInteger::Huge { negative: false } => i64::MAX,
        ExactInteger::NotInteger => {
            return Err(Fault::bad_request(
                Rule::DurationIntegralFloat,
                format!("{name} must be an integer"),
            ))
        }
    };
    if value == 0 && matches!(n, Number::Text(t) if t.starts_with('-')) {
        trace.hit(Rule::DurationNegativeZero);
    }
    if i32::try_from(value).is_err() {
        trace.hit(Rule::DurationInt32Overflow);
        return Err(match policy.int32_overflow {
            Int32Overflow::InvalidDuration => Fault::new(
                ErrorType::InvalidSessionDurationMinutes,
                Rule::DurationInt32Overflow,
                format!("{name} should be between 5 to 527040 minutes"),
            ),
            Int32Overflow::BadRequest => Fault::bad_request(
                Rule::DurationInt32Overflow,
                format!("{name} does not fit in a 32-bit integer"),
            ),
        });
    }
    if value == 0 {
        trace.hit(Rule::DurationZero);
        if policy.zero_duration == ZeroDuration::Absent {
            return Ok(None);
        }
    }
    Ok(Some(value))
}

/// Step 5: `session_custom_claims`, checked and ready to merge (`None`: nothing to merge).
///
/// Under `reserved-claims = ignore` the returned update still holds reserved and namespaced
/// keys; [`crate::claims::final_claims`] drops them at step 9.
pub fn custom_claims(
    request: &mut Object,
    policy: &Policy,
    duration_given: bool,
    trace: &mut Trace,
) -> Result<Option<Object>, Fault> {
    let name = field::SESSION_CUSTOM_CLAIMS;
    let mut claims = match request.get_mut(name) {
        None | Some(Json::Null) => return Ok(None),
        Some(Json::Object(o)) => {
            trace.hit(Rule::ClaimsType);
            std::mem::take(o)
        }
        Some(other) => {
            trace.hit(Rule::ClaimsType);
            return Err(Fault::bad_request(
                Rule::ClaimsType,
                format!("{name} must be an object, not {}", other.type_name()),
            ));
        }
    };
    // Without a duration (absent, or treated as absent) the claims may be ignored unread.
    if !duration_given {
        trace.hit(Rule::ClaimsWithoutDuration);
        if policy.claims_without_duration == ClaimsWithoutDuration::Ignore {
            return Ok(None);
        }
    }
    to_policy_numbers(&mut claims, policy.number_precision, trace)?;
    let reserved = claims.keys().find(|k| is_reserved(k)).cloned();
    let namespaced = claims.keys().find(|k| is_stytch_namespaced(k)).cloned();
    if reserved.is_some() {
        trace.hit(Rule::ClaimsReserved);
    }
    if namespaced.is_some() {
        trace.hit(Rule::ClaimsStytchNamespace);
    }
    if claims.keys().any(|k| is_near_miss(k)) || claims.values().any(has_nested_reserved) {
        trace.hit(Rule::ClaimsReservedTopLevelOnly);
    }
    if policy.reserved_claims == ReservedClaims::Reject {
        if let Some(k) = reserved {
            return Err(Fault::new(
                ErrorType::ReservedClaimsInCustomClaims,
                Rule::ClaimsReserved,
                format!("{name} may not contain the reserved claim {k:?}"),
            ));
        }
        if let Some(k) = namespaced {
            return Err(Fault::new(
                ErrorType::StytchClaimsInCustomClaims,
                Rule::ClaimsStytchNamespace,
                format!("{name} may not contain the Stytch claim {k:?}"),
            ));
        }
    }
    Ok(Some(claims))
}

/// A top-level key that looks reserved but is ordinary data (`ISS`, `https://stytch.com`).
fn is_near_miss(key: &str) -> bool {
    let reserved_case = RESERVED_CLAIMS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(key.trim()) && *r != key);
    let namespace_like = key.to_ascii_lowercase().starts_with("https://stytch.com");
    reserved_case || (namespace_like && !is_stytch_namespaced(key))
}

/// An object value with a reserved or namespaced key one level down (ordinary data).
fn has_nested_reserved(value: &Json) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.keys().any(|k| is_reserved(k) || is_stytch_namespaced(k)))
}

/// Applies `number-precision` to every number of a claims object: under `double`, texts
/// become doubles, and one that overflows to infinity is
/// `unable_to_represent_custom_claims_json`.
pub fn to_policy_numbers(
    claims: &mut Object,
    precision: NumberPrecision,
    trace: &mut Trace,
) -> Result<(), Fault> {
    let mut any = false;
    let mut overflow: Option<String> = None;
    for v in claims.values_mut() {
        v.for_each_number_mut(|n| {
            any = true;
            if precision == NumberPrecision::ExactText {
                return;
            }
            let x = n.to_f64();
            if x.is_finite() {
                *n = Number::Double(x);
            } else if overflow.is_none() {
                if let Number::Text(t) = n {
                    overflow = Some(t.to_string());
                }
            }
        });
    }
    if any {
        trace.hit(Rule::ClaimsNumberPrecision);
    }
    if let Some(text) = overflow {
        return Err(Fault::new(
            ErrorType::UnableToRepresentCustomClaimsJson,
            Rule::ClaimsNumberPrecision,
            format!("the custom claims number {text} cannot be represented as a double"),
        ));
    }
    Ok(())
}
