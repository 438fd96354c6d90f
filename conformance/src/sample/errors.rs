//! The errors the sample answers, and their envelope.

use std::borrow::Cow;

use serde::Serialize;

/// The Stytch error types this endpoint produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed.
    BadRequest,
    /// The duration is outside 5..=527040 (or outside int32).
    InvalidSessionDurationMinutes,
    /// The duration is above the project's maximum.
    InvalidSessionDuration,
    /// A claims number has no finite double.
    UnableToRepresentCustomClaimsJson,
    /// The final claims are above the size limit.
    CustomClaimsTooLarge,
    /// No organization has that id, slug or external id.
    OrganizationNotFound,
    /// The UserInfo endpoint failed or answered something unusable.
    MigrateFromExternalUnexpectedResponse,
    /// The UserInfo reply has no valid email.
    MigrateFromExternalMissingUserinfo,
    /// No member of the organization has that email.
    MigrateFromExternalEmailDoesNotExist,
    /// Something on our side failed.
    InternalServerError,
}

impl ErrorKind {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::InvalidSessionDurationMinutes => "invalid_session_duration_minutes",
            ErrorKind::InvalidSessionDuration => "invalid_session_duration",
            ErrorKind::UnableToRepresentCustomClaimsJson => {
                "unable_to_represent_custom_claims_json"
            }
            ErrorKind::CustomClaimsTooLarge => "custom_claims_too_large",
            ErrorKind::OrganizationNotFound => "organization_not_found",
            ErrorKind::MigrateFromExternalUnexpectedResponse => {
                "migrate_from_external_unexpected_response"
            }
            ErrorKind::MigrateFromExternalMissingUserinfo => {
                "migrate_from_external_missing_userinfo"
            }
            ErrorKind::MigrateFromExternalEmailDoesNotExist => {
                "migrate_from_external_email_does_not_exist"
            }
            ErrorKind::InternalServerError => "internal_server_error",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::OrganizationNotFound => 404,
            ErrorKind::InternalServerError => 500,
            _ => 400,
        }
    }
}

/// An error answer: its type and a sentence for the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The error type.
    pub kind: ErrorKind,
    /// Why, for a person.
    pub message: Cow<'static, str>,
}

impl ApiError {
    /// An error with a message.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// A `bad_request`.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(ErrorKind::BadRequest, message)
    }

    /// The error envelope.
    pub fn envelope(&self, request_id: String) -> ErrorEnvelope<'_> {
        let status_code = self.kind.status();
        ErrorEnvelope {
            status_code,
            request_id,
            error_type: self.kind.name(),
            error_message: &self.message,
            error_url: format!("https://stytch.com/docs/api/errors/{status_code}"),
        }
    }
}

/// The error body: `{status_code, request_id, error_type, error_message, error_url}`.
#[derive(Debug, Serialize)]
pub struct ErrorEnvelope<'a> {
    /// Equals the HTTP status.
    pub status_code: u16,
    /// This call's id.
    pub request_id: String,
    /// The error type.
    pub error_type: &'static str,
    /// Why.
    pub error_message: &'a str,
    /// Stytch's errors page for the status.
    pub error_url: String,
}
