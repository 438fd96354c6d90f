//! The errors the sample answers, and their envelope.

use std::borrow::Cow;

use serde::Serialize;

macro_rules! error_kinds {
    ($($(#[doc = $doc:literal])* $Variant:ident => $name:literal, $status:literal;)+) => {
        /// The Stytch error types the emulator answers, each with its wire name and HTTP
        /// status.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $($(#[doc = $doc])* $Variant,)+
        }

        impl ErrorKind {
            /// The wire name (`error_type`).
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorKind::$Variant => $name,)+
                }
            }

            /// The HTTP status.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorKind::$Variant => $status,)+
                }
            }
        }
    };
}

error_kinds! {
    /// The request is malformed.
    BadRequest => "bad_request", 400;
    /// The duration is outside 5..=527040 (or outside int32).
    InvalidSessionDurationMinutes => "invalid_session_duration_minutes", 400;
    /// The duration is above the project's maximum.
    InvalidSessionDuration => "invalid_session_duration", 400;
    /// A claims number has no finite double.
    UnableToRepresentCustomClaimsJson => "unable_to_represent_custom_claims_json", 400;
    /// The final claims are above the size limit.
    CustomClaimsTooLarge => "custom_claims_too_large", 400;
    /// A reserved claim (`iss`, `sub`, ...) in the request claims (`reserved-claims = reject`).
    ReservedClaimsInCustomClaims => "reserved_claims_in_custom_claims", 400;
    /// A `https://stytch.com/` key in the request claims (`reserved-claims = reject`).
    StytchClaimsInCustomClaims => "stytch_claims_in_custom_claims", 400;
    /// No organization has that id, slug or external id (404: decided, see SPEC.md).
    OrganizationNotFound => "organization_not_found", 404;
    /// The UserInfo endpoint failed or answered something unusable.
    MigrateFromExternalUnexpectedResponse => "migrate_from_external_unexpected_response", 400;
    /// The UserInfo reply has no valid email.
    MigrateFromExternalMissingUserinfo => "migrate_from_external_missing_userinfo", 400;
    /// No member of the organization has that email.
    MigrateFromExternalEmailDoesNotExist => "migrate_from_external_email_does_not_exist", 400;
    /// The configured UserInfo URL cannot be used.
    InvalidUserinfoUrl => "invalid_userinfo_url", 400;
    /// The API credentials (HTTP Basic `project_id:secret`) are missing or wrong.
    UnauthorizedCredentials => "unauthorized_credentials", 401;
    /// No member with that id or email in the organization.
    MemberNotFound => "member_not_found", 404;
    /// The slug is not a valid organization slug.
    InvalidOrganizationSlug => "invalid_organization_slug", 400;
    /// Another organization has the slug.
    OrganizationSlugAlreadyUsed => "organization_slug_already_used", 400;
    /// Another organization has the external id.
    DuplicateOrganizationExternalId => "organization_external_id_already_used", 400;
    /// The email address is not valid.
    InvalidEmail => "invalid_email", 400;
    /// Another member of the organization has the email address.
    DuplicateMemberEmail => "duplicate_member_email", 400;
    /// Another member of the organization has the external id.
    DuplicateMemberExternalId => "duplicate_member_external_id", 400;
    /// The project id in the path is not this project's.
    ProjectNotFound => "project_not_found", 404;
    /// No route has this path.
    RouteNotFound => "route_not_found", 404;
    /// The route exists, but not with this method.
    MethodNotAllowed => "method_not_allowed", 405;
    /// The body is larger than the server accepts.
    RequestTooLarge => "request_too_large", 413;
    /// Something on our side failed.
    InternalServerError => "internal_server_error", 500;
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
            error_url: format!(
                "https://stytch.com/docs/api-reference/b2b/api/errors/{status_code}#{}",
                self.kind.name()
            ),
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
