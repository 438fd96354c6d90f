//! A small, independent implementation of Stytch's B2B session Migrate call
//! (`POST /v1/b2b/sessions/migrate`), the way a Rust team's own service might write it: a
//! directory of organizations and members, a UserInfo client behind a trait, and one
//! [`Service::migrate`] function from request bytes to response bytes.
//!
//! It follows the default profile of `model/SPEC.md` and is written from that spec alone. It
//! leans on `serde_json` for parsing and serializing, and so inherits its limits; those are the
//! known gaps, listed here so the conformance suite's expected failures have a reason:
//!
//! - Numbers: a number that does not fit a double (`1e400`) makes the whole body
//!   `bad_request`, even inside an unknown field (the spec ignores it) or as a custom claim
//!   (the spec answers `unable_to_represent_custom_claims_json`). Without its
//!   `float_roundtrip` feature `serde_json` also refuses `1.7976931348623158e308` (which
//!   rounds to the largest double) and rounds some 17-digit numbers one unit off; no test of
//!   the suite produces those yet. (The suite turns on no `serde_json` feature, so the
//!   crate's tests see the same parser as its production build.)
//! - Durations: `-0` and integers beyond 64 bits parse as floats, so they are `bad_request`
//!   where the spec says `invalid_session_duration_minutes`.
//! - Nesting: `serde_json` refuses a document at 128 levels; the spec allows 128.
//! - The UserInfo reply: only `email` is decoded; the other members are skipped as
//!   `RawValue` (so `1e400` or deep nesting there is no reason to refuse the reply), which
//!   checks no escapes, so a lone surrogate there passes where the spec refuses the reply.
//! - The 4 KB claims limit is measured on `serde_json`'s compact output, which writes
//!   integral floats as `100.0` and minus zero as `-0.0` where RFC 8785 writes `100` and `0`.
//!
//! The crate's `tests/conformance.rs` runs the conformance suite against it.

use std::collections::BTreeMap;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

/// The JSON library of the public API (the claims template is a JSON object).
pub use serde_json;

/// The RSA key the service signs session JWTs with: a test key, never a production one.
pub const SIGNING_KEY_PEM: &[u8] = include_bytes!("example-key.pem");
/// The `kid` of [`SIGNING_KEY_PEM`] in the JWT header and in the project's JWKS.
pub const SIGNING_KEY_ID: &str = "example-key-1";

/// The documented bounds of `session_duration_minutes`.
const DURATION_RANGE: std::ops::RangeInclusive<i64> = 5..=527_040;
/// The documented default session duration.
const DEFAULT_MINUTES: i64 = 60;
/// The session JWT lives five minutes, whatever the session duration.
const JWT_LIFETIME_SECONDS: i64 = 300;
/// The largest size of the final custom claims, in bytes of compact JSON.
const CLAIMS_LIMIT: usize = 4096;
/// Registered JWT claims a caller may not set (documented: "will be ignored").
const RESERVED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
/// Stytch's own claims live under this prefix; a caller may not set them either.
const STYTCH_NAMESPACE: &str = "https://stytch.com/";

/// Everything the service knows about one project. The service reads it from a JSON
/// document whose field names are the ones in brackets.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Directory {
    /// The Stytch project id.
    pub project_id: String,
    /// The project's maximum session duration, in minutes (`project_max_session_minutes`).
    #[serde(rename = "project_max_session_minutes")]
    pub max_session_minutes: i64,
    /// The custom claims template: the initial claims of every session.
    #[serde(default)]
    pub claims_template: Map<String, Value>,
    /// The organizations.
    #[serde(default)]
    pub organizations: Vec<Org>,
}

/// An organization.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Org {
    /// The organization id (`organization_id`).
    #[serde(rename = "organization_id")]
    pub id: String,
    /// The slug.
    pub slug: String,
    /// The external id, if any.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: String,
    /// The members.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// A member of an organization.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Member {
    /// The member id (`member_id`).
    #[serde(rename = "member_id")]
    pub id: String,
    /// The email address, as stored.
    pub email: String,
    /// `active`, `pending`, `invited` or `deleted`.
    pub status: String,
    /// Role ids, in order.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The display name.
    #[serde(default)]
    pub name: String,
}

/// The client of the project's external OIDC UserInfo endpoint.
pub trait UserInfo {
    /// Sends `session_token` to the endpoint and returns the HTTP status and body, or `Err`
    /// when the endpoint cannot be reached.
    fn fetch(&self, session_token: &str) -> Result<(u16, Vec<u8>), String>;
}

impl<F: Fn(&str) -> Result<(u16, Vec<u8>), String>> UserInfo for F {
    fn fetch(&self, session_token: &str) -> Result<(u16, Vec<u8>), String> {
        self(session_token)
    }
}

/// The errors this endpoint answers, by their wire names in Stytch's error enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorType {
    /// The request is malformed.
    BadRequest,
    /// The duration is outside 5..=527040 minutes (or outside int32).
    InvalidSessionDurationMinutes,
    /// The duration exceeds the project's maximum.
    InvalidSessionDuration,
    /// No organization has this id, slug or external id.
    OrganizationNotFound,
    /// The UserInfo endpoint is unreachable or answered something unusable.
    MigrateFromExternalUnexpectedResponse,
    /// The UserInfo reply has no valid email.
    MigrateFromExternalMissingUserinfo,
    /// No member of the organization may migrate with that email.
    MigrateFromExternalEmailDoesNotExist,
    /// The final custom claims exceed 4 KB.
    CustomClaimsTooLarge,
}

impl ErrorType {
    /// The `error_type` on the wire.
    fn name(self) -> &'static str {
        match self {
            ErrorType::BadRequest => "bad_request",
            ErrorType::InvalidSessionDurationMinutes => "invalid_session_duration_minutes",
            ErrorType::InvalidSessionDuration => "invalid_session_duration",
            ErrorType::OrganizationNotFound => "organization_not_found",
            ErrorType::MigrateFromExternalUnexpectedResponse => {
                "migrate_from_external_unexpected_response"
            }
            ErrorType::MigrateFromExternalMissingUserinfo => {
                "migrate_from_external_missing_userinfo"
            }
            ErrorType::MigrateFromExternalEmailDoesNotExist => {
                "migrate_from_external_email_does_not_exist"
            }
            ErrorType::CustomClaimsTooLarge => "custom_claims_too_large",
        }
    }

    /// The HTTP status.
    fn status(self) -> u16 {
        match self {
            ErrorType::OrganizationNotFound => 404,
            _ => 400,
        }
    }
}

/// A refused call: the error and a sentence for the caller.
type Refusal = (ErrorType, String);

fn refuse<T>(error: ErrorType, message: impl Into<String>) -> Result<T, Refusal> {
    Err((error, message.into()))
}

/// The Migrate endpoint of one project.
#[derive(Debug)]
pub struct Service {
    key: EncodingKey,
    directory: Directory,
    /// Numbers every id the service hands out, so ids never repeat within a service.
    counter: u64,
}

impl Default for Service {
    fn default() -> Self {
        Service::new()
    }
}

impl Service {
    /// A service with an empty directory that signs with [`SIGNING_KEY_PEM`].
    pub fn new() -> Service {
        Service {
            key: EncodingKey::from_rsa_pem(SIGNING_KEY_PEM).expect("the bundled key is valid"),
            directory: Directory::default(),
            counter: 0,
        }
    }

    /// Replaces the directory.
    pub fn load(&mut self, directory: Directory) {
        self.directory = directory;
    }

    /// Handles one `POST /v1/b2b/sessions/migrate` with the raw request `body` at Unix time
    /// `now_unix`, and returns the HTTP status and the JSON body.
    pub fn migrate(
        &mut self,
        body: &[u8],
        now_unix: i64,
        userinfo: &dyn UserInfo,
    ) -> (u16, Vec<u8>) {
        let request_id = self.next_id("request");
        let (status, mut answer) = match self.try_migrate(body, now_unix, userinfo) {
            Ok(success) => (200, success),
            Err((error, message)) => (
                error.status(),
                json!({
                    "status_code": error.status(),
                    "error_type": error.name(),
                    "error_message": message,
                    "error_url": format!("https://stytch.com/docs/api/errors/{}", error.status()),
                }),
            ),
        };
        answer["request_id"] = Value::String(request_id);
        (status, answer.to_string().into_bytes())
    }

    fn next_id(&mut self, kind: &str) -> String {
        self.counter += 1;
        format!("{kind}-example-{:08}", self.counter)
    }

    /// The steps in the spec's evaluation order; the first failure is the answer.
    fn try_migrate(
        &mut self,
        body: &[u8],
        now: i64,
        userinfo: &dyn UserInfo,
    ) -> Result<Value, Refusal> {
        let request = match serde_json::from_slice(body) {
            Ok(Value::Object(request)) => request,
            Ok(_) => return refuse(ErrorType::BadRequest, "The request body must be an object."),
            Err(e) => return refuse(ErrorType::BadRequest, format!("Invalid JSON body: {e}.")),
        };
        let token = required_string(&request, "session_token")?;
        let organization_key = required_string(&request, "organization_id")?;
        let minutes = self.duration(request.get("session_duration_minutes"))?;
        let request_claims = match request.get("session_custom_claims") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(claims)) => claims.clone(),
            Some(_) => {
                return refuse(
                    ErrorType::BadRequest,
                    "session_custom_claims must be an object.",
                )
            }
        };
        let org = self.find_organization(organization_key).ok_or_else(|| {
            (
                ErrorType::OrganizationNotFound,
                "The organization was not found.".to_owned(),
            )
        })?;
        let email = fetch_email(userinfo, token)?;
        let member = self.directory.organizations[org]
            .members
            .iter()
            .position(|m| {
                m.email.eq_ignore_ascii_case(&email)
                    && matches!(m.status.as_str(), "active" | "pending" | "invited")
            })
            .ok_or_else(|| {
                let message = "No member of the organization has the UserInfo email.";
                (
                    ErrorType::MigrateFromExternalEmailDoesNotExist,
                    message.to_owned(),
                )
            })?;
        let claims = self.final_claims(request_claims)?;

        // Success: the member becomes active and a new session starts now.
        let session_token = self.next_id("session-token");
        let session_id = self.next_id("member-session");
        let org = &mut self.directory.organizations[org];
        org.members[member].status = "active".to_owned();
        let (org, member) = (&*org, &org.members[member]);
        let started = timestamp(now);
        let expires = timestamp(now + minutes * 60);
        let factor = json!({
            "type": "imported",
            "delivery_method": "imported_auth0",
            "last_authenticated_at": started,
        });
        let mut payload = claims.clone();
        payload.extend([
            ("sub".to_owned(), json!(member.id)),
            (
                "iss".to_owned(),
                json!(format!("stytch.com/{}", self.directory.project_id)),
            ),
            ("aud".to_owned(), json!([self.directory.project_id])),
            ("iat".to_owned(), json!(now)),
            ("nbf".to_owned(), json!(now)),
            ("exp".to_owned(), json!(now + JWT_LIFETIME_SECONDS)),
        ]);
        payload.insert(
            "https://stytch.com/session".to_owned(),
            json!({
                "id": session_id,
                "started_at": started,
                "last_accessed_at": started,
                "expires_at": expires,
                "attributes": {"ip_address": "", "user_agent": ""},
                "authentication_factors": [factor],
                "roles": member.roles,
            }),
        );
        payload.insert(
            "https://stytch.com/organization".to_owned(),
            json!({"organization_id": org.id, "slug": org.slug}),
        );
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(SIGNING_KEY_ID.to_owned());
        let session_jwt = jsonwebtoken::encode(&header, &payload, &self.key)
            .expect("an RSA key signs any payload");
        Ok(json!({
            "member_id": member.id,
            "session_token": session_token,
            "session_jwt": session_jwt,
            "member": member_object(org, member),
            "organization": organization_object(org),
            "member_session": {
                "member_session_id": session_id,
                "member_id": member.id,
                "started_at": started,
                "last_accessed_at": started,
                "expires_at": expires,
                "authentication_factors": [factor],
                "organization_id": org.id,
                "roles": member.roles,
                "organization_slug": org.slug,
                "custom_claims": claims,
            },
            "status_code": 200,
        }))
    }

    /// The session duration: absent or `null` means 60 minutes, capped at the project's
    /// maximum; a given value must be an integer within the documented range and the maximum.
    fn duration(&self, value: Option<&Value>) -> Result<i64, Refusal> {
        let max = self.directory.max_session_minutes;
        let minutes = match value {
            None | Some(Value::Null) => return Ok(DEFAULT_MINUTES.min(max)),
            // An integer beyond i64 is still an integer, and out of range.
            Some(Value::Number(n)) if n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
            Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(i64::MIN),
            _ => {
                let message = "session_duration_minutes must be an integer.";
                return refuse(ErrorType::BadRequest, message);
            }
        };
        if !DURATION_RANGE.contains(&minutes) {
            let message = "session_duration_minutes should be between 5 to 527040 minutes.";
            return refuse(ErrorType::InvalidSessionDurationMinutes, message);
        }
        if minutes > max {
            let message =
                format!("The session duration exceeds the project's maximum of {max} minutes.");
            return refuse(ErrorType::InvalidSessionDuration, message);
        }
        Ok(minutes)
    }

    /// The index of the organization whose id, slug or external id (in that order of
    /// preference) is `key`, compared exactly.
    fn find_organization(&self, key: &str) -> Option<usize> {
        let orgs = &self.directory.organizations;
        orgs.iter()
            .position(|o| o.id == key)
            .or_else(|| orgs.iter().position(|o| o.slug == key))
            .or_else(|| {
                orgs.iter()
                    .position(|o| o.external_id.as_deref() == Some(key))
            })
    }

    /// The template, then the request's claims merged on top, without reserved or Stytch
    /// keys in either; at most [`CLAIMS_LIMIT`] bytes.
    fn final_claims(&self, request: Map<String, Value>) -> Result<Map<String, Value>, Refusal> {
        let mut claims = Map::new();
        merge(&mut claims, self.directory.claims_template.clone());
        merge(&mut claims, request);
        let size = Value::Object(claims.clone()).to_string().len();
        if size > CLAIMS_LIMIT {
            let message = format!("The custom claims take {size} bytes, over the 4 KB limit.");
            return refuse(ErrorType::CustomClaimsTooLarge, message);
        }
        Ok(claims)
    }
}

/// A required, non-empty string field of the request.
fn required_string<'a>(request: &'a Map<String, Value>, field: &str) -> Result<&'a str, Refusal> {
    match request.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => refuse(
            ErrorType::BadRequest,
            format!("{field} must be a non-empty string."),
        ),
    }
}

/// Asks the UserInfo endpoint about `token`, and returns the email of a usable reply.
fn fetch_email(userinfo: &dyn UserInfo, token: &str) -> Result<String, Refusal> {
    let unexpected = ErrorType::MigrateFromExternalUnexpectedResponse;
    let (status, body) = match userinfo.fetch(token) {
        Ok(reply) => reply,
        Err(e) => {
            return refuse(
                unexpected,
                format!("The UserInfo endpoint is unreachable: {e}."),
            )
        }
    };
    if !(200..=299).contains(&status) {
        return refuse(
            unexpected,
            format!("The UserInfo endpoint answered HTTP {status}."),
        );
    }
    // Only `email` is read: the other members are checked for grammar but not converted, so
    // a number past the double range or deep nesting elsewhere in the reply is no reason to
    // refuse it (a `Value` would refuse both). A repeated key keeps its last value.
    let Ok(reply) = serde_json::from_slice::<BTreeMap<String, Box<RawValue>>>(&body) else {
        return refuse(unexpected, "The UserInfo reply is not a JSON object.");
    };
    let email = reply
        .get("email")
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
    match email {
        Some(email) if is_valid_email(&email) => Ok(email),
        _ => refuse(
            ErrorType::MigrateFromExternalMissingUserinfo,
            "The UserInfo reply has no valid email.",
        ),
    }
}

/// Exactly one `@` with text on both sides, and no whitespace anywhere.
fn is_valid_email(email: &str) -> bool {
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty() && !domain.is_empty() && !email.chars().any(char::is_whitespace)
}

/// Merges `update` into `target` as the custom claims docs say: values add or replace, `null`
/// deletes, objects merge deeply, arrays replace whole. Top-level reserved and Stytch keys of
/// the update are ignored. An object with nothing to merge into is merged into `{}`, so its
/// nulls vanish.
fn merge(target: &mut Map<String, Value>, update: Map<String, Value>) {
    for (key, value) in update {
        if RESERVED_CLAIMS.contains(&key.as_str()) || key.starts_with(STYTCH_NAMESPACE) {
            continue;
        }
        merge_value(target, key, value);
    }
}

fn merge_value(target: &mut Map<String, Value>, key: String, value: Value) {
    match value {
        Value::Null => {
            target.remove(&key);
        }
        Value::Object(update) => {
            let slot = target.entry(key).or_insert_with(|| json!({}));
            if !slot.is_object() {
                *slot = json!({});
            }
            if let Value::Object(existing) = slot {
                for (key, value) in update {
                    merge_value(existing, key, value);
                }
            }
        }
        value => {
            target.insert(key, value);
        }
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
fn timestamp(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).expect("a clock within years 1..9999");
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The member after migration, with the defaults of a member that has nothing else set up.
fn member_object(org: &Org, member: &Member) -> Value {
    let roles: Vec<Value> = (member.roles.iter())
        .map(|role| json!({"role_id": role, "sources": [{"type": "direct_assignment"}]}))
        .collect();
    json!({
        "organization_id": org.id,
        "member_id": member.id,
        "email_address": member.email,
        "status": member.status,
        "name": member.name,
        "sso_registrations": [],
        "is_breakglass": false,
        "member_password_id": "",
        "oauth_registrations": [],
        "email_address_verified": true,
        "mfa_phone_number_verified": false,
        "is_admin": false,
        "totp_registration_id": "",
        "retired_email_addresses": [],
        "is_locked": false,
        "mfa_enrolled": false,
        "mfa_phone_number": "",
        "default_mfa_method": "",
        "roles": roles,
    })
}

/// The organization, with the defaults of one that has nothing else set up.
fn organization_object(org: &Org) -> Value {
    let mut object = json!({
        "organization_id": org.id,
        "organization_name": org.name,
        "organization_logo_url": "",
        "organization_slug": org.slug,
        "sso_jit_provisioning": "NOT_ALLOWED",
        "sso_jit_provisioning_allowed_connections": [],
        "sso_active_connections": [],
        "email_allowed_domains": [],
        "email_jit_provisioning": "NOT_ALLOWED",
        "email_invites": "ALL_ALLOWED",
        "auth_methods": "ALL_ALLOWED",
        "allowed_auth_methods": [],
        "mfa_policy": "OPTIONAL",
        "rbac_email_implicit_role_assignments": [],
        "mfa_methods": "ALL_ALLOWED",
        "allowed_mfa_methods": [],
        "oauth_tenant_jit_provisioning": "NOT_ALLOWED",
        "claimed_email_domains": [],
        "first_party_connected_apps_allowed_type": "ALL_ALLOWED",
        "allowed_first_party_connected_apps": [],
        "third_party_connected_apps_allowed_type": "ALL_ALLOWED",
        "allowed_third_party_connected_apps": [],
        "custom_roles": [],
    });
    if let Some(external_id) = &org.external_id {
        object["organization_external_id"] = json!(external_id);
    }
    object
}
