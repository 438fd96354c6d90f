//! The error vocabulary: error types, their wire names and HTTP status codes, in one table.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! error_types {
    ($( $(#[$doc:meta])* $Variant:ident = $wire:literal, $status:literal; )+) => {
        /// An `error_type` the model can produce.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum ErrorType {
            $( $(#[$doc])* #[serde(rename = $wire)] $Variant, )+
        }

        impl ErrorType {
            /// Every error type the model produces.
            pub const ALL: &'static [ErrorType] = &[$(ErrorType::$Variant),+];

            /// The wire name, as in the `error_type` field.
            pub fn name(self) -> &'static str {
                match self { $(ErrorType::$Variant => $wire),+ }
            }

            /// The HTTP status code (and `status_code` field) of the error.
            pub fn status_code(self) -> u16 {
                match self { $(ErrorType::$Variant => $status),+ }
            }

            /// The error type with this wire name.
            pub fn from_name(name: &str) -> Option<ErrorType> {
                match name { $($wire => Some(ErrorType::$Variant),)+ _ => None }
            }
        }
    };
}

error_types! {
    /// Malformed body or a field of the wrong type (400).
    BadRequest = "bad_request", 400;
    /// Duration outside 5..=527040 minutes (400).
    InvalidSessionDurationMinutes = "invalid_session_duration_minutes", 400;
    /// Duration above the project's maximum (400).
    InvalidSessionDuration = "invalid_session_duration", 400;
    /// A claims number that no double can hold (400).
    UnableToRepresentCustomClaimsJson = "unable_to_represent_custom_claims_json", 400;
    /// A reserved claim under `reserved-claims = reject` (400).
    ReservedClaimsInCustomClaims = "reserved_claims_in_custom_claims", 400;
    /// A `https://stytch.com/` claim under `reserved-claims = reject` (400).
    StytchClaimsInCustomClaims = "stytch_claims_in_custom_claims", 400;
    /// No organization has this id, slug or external id (404, decided).
    OrganizationNotFound = "organization_not_found", 404;
    /// UserInfo unreachable, non-2xx, or not a JSON object (400).
    MigrateFromExternalUnexpectedResponse = "migrate_from_external_unexpected_response", 400;
    /// UserInfo reply without a valid email (400).
    MigrateFromExternalMissingUserinfo = "migrate_from_external_missing_userinfo", 400;
    /// No member of the organization may migrate with this email (400).
    MigrateFromExternalEmailDoesNotExist = "migrate_from_external_email_does_not_exist", 400;
    /// The final claims exceed the size limit (400).
    CustomClaimsTooLarge = "custom_claims_too_large", 400;
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
