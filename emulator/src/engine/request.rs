//! The request fields of `api_b2b_session_v1_MigrateRequest`, read from the body's raw object.

use std::num::IntErrorKind;

use serde_json::value::RawValue;

use super::claims::{self, Claims, ReadError};
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
    /// An int32 integer.
    Minutes(i32),
}

/// Reads `session_duration_minutes`: a JSON integer literal (`-0` is 0) within int32.
pub fn duration_field(fields: &RawObject<'_>) -> Result<DurationField, ApiError> {
    let Some(raw) = fields.get(SESSION_DURATION_MINUTES) else {
        return Ok(DurationField::Absent);
    };
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'n') if text == "null" => Ok(DurationField::Null),
        Some(b'-' | b'0'..=b'9') => {
            if text.contains(['.', 'e', 'E']) {
                return Err(ApiError::bad_request(
                    "session_duration_minutes must be an integer",
                ));
            }
            match text.parse::<i32>() {
                Ok(minutes) => Ok(DurationField::Minutes(minutes)),
                Err(e)
                    if matches!(
                        e.kind(),
                        IntErrorKind::PosOverflow | IntErrorKind::NegOverflow
                    ) =>
                {
                    Err(ApiError::new(
                        ErrorKind::InvalidSessionDurationMinutes,
                        "session_duration_minutes should be between 5 to 527040 minutes",
                    ))
                }
                Err(_) => Err(ApiError::bad_request(
                    "session_duration_minutes must be an integer",
                )),
            }
        }
        _ => Err(ApiError::bad_request(
            "session_duration_minutes must be an integer",
        )),
    }
}

/// Reads `session_custom_claims`: absent or `null` is none; otherwise an object whose numbers
/// all have a finite double.
pub fn custom_claims(fields: &RawObject<'_>) -> Result<Option<Claims>, ApiError> {
    let Some(raw) = present(fields, SESSION_CUSTOM_CLAIMS) else {
        return Ok(None);
    };
    if !raw.get().starts_with('{') {
        return Err(ApiError::bad_request(
            "session_custom_claims must be an object",
        ));
    }
    match claims::read_object(raw.get()) {
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
