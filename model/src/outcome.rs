//! What the model expects: an error, or the whole success response and its JWT.
//!
//! Values an implementation chooses (`request_id`, the new `session_token`, the
//! `member_session_id`, the JWT itself) are written into the expected bodies as
//! placeholders and listed as [`Slot`]s: a JSON pointer and the [`Constraint`] the actual
//! value must meet. A comparator checks slots by their constraint and every other field by
//! value.

use serde_json::{json, Value};

use crate::errors::ErrorType;
use crate::fault::Trace;
use crate::json::{Json, Object};
use crate::response::{MEMBER_SCHEMA_ONLY_FIELDS, ORGANIZATION_SCHEMA_ONLY_FIELDS};
use crate::rules::Rule;
use crate::world::MemberStatus;

/// The result of evaluating one call.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The expected outcome.
    pub outcome: Outcome,
    /// The rules the call exercised.
    pub trace: Trace,
}

/// The expected outcome of one call.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// An error response.
    Error(ExpectedError),
    /// A 200 response.
    Success(Box<ExpectedSuccess>),
}

impl Outcome {
    /// The error, if this is one.
    pub fn error(&self) -> Option<&ExpectedError> {
        match self {
            Outcome::Error(e) => Some(e),
            Outcome::Success(_) => None,
        }
    }

    /// The success, if this is one.
    pub fn success(&self) -> Option<&ExpectedSuccess> {
        match self {
            Outcome::Success(s) => Some(s),
            Outcome::Error(_) => None,
        }
    }
}

/// An expected error response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedError {
    /// The error under the default precedence (the first in evaluation order).
    pub error_type: ErrorType,
    /// Every error type an implementation may answer: `[error_type]` under
    /// `error-precedence = evaluation-order`, the applicable set (sorted) under
    /// `any-applicable`.
    pub acceptable: Vec<ErrorType>,
    /// The rule whose check produced `error_type`.
    pub rule: Rule,
    /// Why, for a person.
    pub message: String,
}

impl ExpectedError {
    /// The HTTP status (and `status_code` field) of `error_type`. Every acceptable error of
    /// one call may have a different status; see [`ErrorType::status_code`].
    pub fn status_code(&self) -> u16 {
        self.error_type.status_code()
    }

    /// Whether an implementation may answer `error`.
    pub fn accepts(&self, error: ErrorType) -> bool {
        self.acceptable.contains(&error)
    }

    /// The expected error envelope, with placeholders for the slots of
    /// [`ExpectedError::slots`].
    pub fn envelope(&self) -> Value {
        json!({
            "status_code": self.status_code(),
            "request_id": Opaque::RequestId.placeholder(),
            "error_type": self.error_type.name(),
            "error_message": self.message,
            "error_url": format!("https://stytch.com/docs/api/errors/{}", self.status_code()),
        })
    }

    /// The envelope's fields that are checked by constraint.
    pub fn slots() -> Vec<Slot> {
        vec![
            Slot::new("/request_id", Constraint::Opaque(Opaque::RequestId)),
            Slot::new("/error_message", Constraint::AnyString),
            Slot::new("/error_url", Constraint::AnyString),
        ]
    }
}

/// An expected success.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectedSuccess {
    /// The migrated member.
    pub member_id: String,
    /// The member's status before the call (it is `active` after).
    pub member_status_before: MemberStatus,
    /// The organization.
    pub organization_id: String,
    /// The organization's slug.
    pub organization_slug: String,
    /// The external token the request carried (the new session token must differ).
    pub external_session_token: String,
    /// The session duration in minutes.
    pub duration_minutes: i64,
    /// `started_at` = `last_accessed_at`, Unix seconds.
    pub started_at: i64,
    /// `expires_at`, Unix seconds: `started_at + 60 * duration_minutes`.
    pub expires_at: i64,
    /// The final custom claims, exactly (numbers as the policy holds them).
    pub custom_claims: Object,
    /// The whole response body, with placeholders at [`ExpectedSuccess::body_slots`]; the
    /// claims in it exactly as in [`ExpectedSuccess::custom_claims`].
    pub body: Json,
    /// The session JWT.
    pub jwt: ExpectedJwt,
}

/// The expected session JWT.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectedJwt {
    /// The header, with a placeholder `kid`.
    pub header: Json,
    /// The payload, with placeholders at [`ExpectedJwt::payload_slots`]; the custom claims in
    /// it exactly as in [`ExpectedSuccess::custom_claims`].
    pub payload: Json,
    /// `iat` = `nbf`.
    pub issued_at: i64,
    /// `exp` = `iat + 300`.
    pub expires_at: i64,
}

/// The JWT lifetime in seconds (documented: five minutes).
pub const JWT_LIFETIME_SECONDS: i64 = 300;

/// The JSON pointer of the session claim's id in the JWT payload.
pub const JWT_SESSION_ID_POINTER: &str = "/https:~1~1stytch.com~1session/id";

impl ExpectedSuccess {
    /// The body's fields that are checked by constraint.
    pub fn body_slots() -> Vec<Slot> {
        let schema_only = |object: &str, fields: &[&str]| {
            fields
                .iter()
                .map(|f| Slot::new(&format!("/{object}/{f}"), Constraint::SchemaOnly))
                .collect::<Vec<_>>()
        };
        let mut slots = vec![
            Slot::new("/request_id", Constraint::Opaque(Opaque::RequestId)),
            Slot::new("/session_token", Constraint::Opaque(Opaque::SessionToken)),
            Slot::new("/session_jwt", Constraint::Opaque(Opaque::SessionJwt)),
            Slot::new(
                "/member_session/member_session_id",
                Constraint::Opaque(Opaque::MemberSessionId),
            ),
            Slot::new(
                "/member_session/authentication_factors/0/type",
                Constraint::OneOf(AUTH_FACTOR_TYPES),
            ),
            Slot::new(
                "/member_session/authentication_factors/0/delivery_method",
                Constraint::OneOf(AUTH_FACTOR_DELIVERY_METHODS),
            ),
        ];
        slots.extend(schema_only("member", MEMBER_SCHEMA_ONLY_FIELDS));
        slots.extend(schema_only("organization", ORGANIZATION_SCHEMA_ONLY_FIELDS));
        slots
    }
}

impl ExpectedJwt {
    /// The header's fields that are checked by constraint.
    pub fn header_slots() -> Vec<Slot> {
        vec![Slot::new("/kid", Constraint::Opaque(Opaque::KeyId))]
    }

    /// The payload's fields that are checked by constraint.
    pub fn payload_slots() -> Vec<Slot> {
        vec![
            Slot::new(
                JWT_SESSION_ID_POINTER,
                Constraint::Opaque(Opaque::MemberSessionId),
            ),
            Slot::new("/jti", Constraint::Optional(Opaque::JwtId)),
            Slot::new(
                "/https:~1~1stytch.com~1session/attributes/ip_address",
                Constraint::AnyString,
            ),
            Slot::new(
                "/https:~1~1stytch.com~1session/attributes/user_agent",
                Constraint::AnyString,
            ),
            Slot::new(
                "/https:~1~1stytch.com~1session/authentication_factors/0/type",
                Constraint::OneOf(AUTH_FACTOR_TYPES),
            ),
            Slot::new(
                "/https:~1~1stytch.com~1session/authentication_factors/0/delivery_method",
                Constraint::OneOf(AUTH_FACTOR_DELIVERY_METHODS),
            ),
        ]
    }
}

/// A field checked by constraint rather than by value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// RFC 6901 JSON pointer into the body, header or payload.
    pub pointer: String,
    /// What the value must be.
    pub constraint: Constraint,
}

impl Slot {
    fn new(pointer: &str, constraint: Constraint) -> Slot {
        Slot {
            pointer: pointer.to_owned(),
            constraint,
        }
    }
}

/// What a slot's value must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// A non-empty string chosen by the implementation; see [`Opaque`].
    Opaque(Opaque),
    /// Absent, or an opaque non-empty string.
    Optional(Opaque),
    /// Any string.
    AnyString,
    /// Any value the official schema allows there (fields the world does not determine).
    SchemaOnly,
    /// One of these strings (an official enum).
    OneOf(&'static [&'static str]),
}

/// The values an implementation chooses. Each is a non-empty string; the same kind in two
/// places (the session id in `member_session` and in the JWT) must be the same value; request
/// ids, session tokens and session ids are unique across calls; the new session token never
/// equals the external one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Opaque {
    /// `request_id`.
    RequestId,
    /// The new Stytch `session_token`.
    SessionToken,
    /// `session_jwt` (its parts are checked against [`ExpectedJwt`]).
    SessionJwt,
    /// `member_session_id`, also the JWT session claim's `id`.
    MemberSessionId,
    /// The JWT header's `kid`: a key of the project's JWKS.
    KeyId,
    /// The JWT's `jti`, if the implementation adds one.
    JwtId,
}

impl Opaque {
    /// The placeholder written where this value goes.
    pub fn placeholder(self) -> &'static str {
        match self {
            Opaque::RequestId => "{{request_id}}",
            Opaque::SessionToken => "{{session_token}}",
            Opaque::SessionJwt => "{{session_jwt}}",
            Opaque::MemberSessionId => "{{member_session_id}}",
            Opaque::KeyId => "{{kid}}",
            Opaque::JwtId => "{{jti}}",
        }
    }
}

/// `api_session_v1_AuthenticationFactorType` of the official OpenAPI spec.
pub const AUTH_FACTOR_TYPES: &[&str] = &[
    "magic_link",
    "otp",
    "oauth",
    "webauthn",
    "totp",
    "crypto",
    "password",
    "signature_challenge",
    "sso",
    "imported",
    "recovery_codes",
    "email_otp",
    "impersonated",
    "trusted_auth_token",
];

/// `api_session_v1_AuthenticationFactorDeliveryMethod` of the official OpenAPI spec.
pub const AUTH_FACTOR_DELIVERY_METHODS: &[&str] = &[
    "email",
    "sms",
    "whatsapp",
    "embedded",
    "oauth_google",
    "oauth_microsoft",
    "oauth_apple",
    "webauthn_registration",
    "authenticator_app",
    "oauth_github",
    "recovery_code",
    "oauth_facebook",
    "crypto_wallet",
    "oauth_amazon",
    "oauth_bitbucket",
    "oauth_coinbase",
    "oauth_discord",
    "oauth_figma",
    "oauth_gitlab",
    "oauth_instagram",
    "oauth_linkedin",
    "oauth_shopify",
    "oauth_slack",
    "oauth_snapchat",
    "oauth_spotify",
    "oauth_steam",
    "oauth_tiktok",
    "oauth_twitch",
    "oauth_twitter",
    "knowledge",
    "biometric",
    "sso_saml",
    "sso_oidc",
    "oauth_salesforce",
    "oauth_yahoo",
    "oauth_hubspot",
    "imported_auth0",
    "oauth_exchange_slack",
    "oauth_exchange_hubspot",
    "oauth_exchange_github",
    "oauth_exchange_google",
    "impersonation",
    "oauth_access_token_exchange",
    "trusted_token_exchange",
];
