//! Step 10: the success response and the session JWT.

use serde_json::{json, Map, Value};
use time::macros::format_description;
use time::OffsetDateTime;

use crate::fault::Trace;
use crate::json::{Json, Number, Object};
use crate::outcome::{ExpectedJwt, ExpectedSuccess, Opaque, JWT_LIFETIME_SECONDS};
use crate::rules::Rule;
use crate::world::{Member, Organization};

/// The authentication factor the model records (decided: `auth-factor`).
pub const AUTH_FACTOR: (&str, &str) = ("imported", "imported_auth0");

/// The largest `now` the model accepts: the longest session must still end by
/// 9999-12-31T23:59:59Z, the last instant `YYYY-MM-DDTHH:MM:SSZ` can write.
pub const MAX_NOW: i64 = 253_402_300_799 - 527_040 * 60;

/// Writes Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (decided: `session.timestamp-format`).
/// `None` outside years 0000 to 9999.
pub fn rfc3339(unix_seconds: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(unix_seconds).ok()?;
    if !(0..=9999).contains(&t.year()) {
        return None;
    }
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .ok()
}

/// The JWT payload's registered claims (documented).
pub fn registered_claims(project_id: &str, member_id: &str, now: i64) -> Map<String, Value> {
    let mut m = Object::new();
    insert_registered_claims(&mut m, project_id, member_id, now);
    m.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect()
}

fn insert_registered_claims(m: &mut Object, project_id: &str, member_id: &str, now: i64) {
    m.insert("sub".into(), text(member_id));
    m.insert(
        "iss".into(),
        Json::String(format!("stytch.com/{project_id}")),
    );
    m.insert("aud".into(), Json::Array(vec![text(project_id)]));
    m.insert("iat".into(), integer(now));
    m.insert("nbf".into(), integer(now));
    m.insert("exp".into(), integer(now + JWT_LIFETIME_SECONDS));
}

/// An owned JSON string.
fn text(s: &str) -> Json {
    Json::String(s.to_owned())
}

/// A JSON integer.
fn integer(i: i64) -> Json {
    Json::Number(Number::Text(i.to_string().into()))
}

/// A JSON object from its members (built in one pass).
fn object<const N: usize>(members: [(&str, Json); N]) -> Json {
    Json::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// Everything a success is built from.
#[derive(Debug)]
pub struct SessionFacts<'a> {
    /// The project id.
    pub project_id: &'a str,
    /// The organization.
    pub organization: &'a Organization,
    /// The member.
    pub member: &'a Member,
    /// The request's external token.
    pub external_session_token: &'a str,
    /// Session minutes.
    pub duration_minutes: i64,
    /// The clock, Unix seconds, within `0..=MAX_NOW`.
    pub now: i64,
    /// The final custom claims.
    pub custom_claims: Object,
}

/// The JWT payload: registered claims, Stytch's two namespaced claims, and the custom claims
/// at the top level, exactly as the model holds them. Custom claims never override the others:
/// the reserved and namespaced keys were dropped before (or refused at step 5).
pub fn jwt_payload(facts: &SessionFacts<'_>, session_claim: Json, custom: Object) -> Json {
    let mut payload = custom;
    insert_registered_claims(
        &mut payload,
        facts.project_id,
        &facts.member.member_id,
        facts.now,
    );
    payload.insert("https://stytch.com/session".into(), session_claim);
    payload.insert(
        "https://stytch.com/organization".into(),
        object([
            ("organization_id", text(&facts.organization.organization_id)),
            ("slug", text(&facts.organization.slug)),
        ]),
    );
    Json::Object(payload)
}

/// The parts of a success that the world alone determines: the `member` and `organization`
/// objects. A [`crate::Model`] builds them once per member and clones them per call.
#[derive(Clone, Debug)]
pub struct WorldParts {
    /// [`member_object`].
    pub member: Json,
    /// [`organization_object`].
    pub organization: Json,
}

impl WorldParts {
    /// The parts for `member` of `org`.
    pub fn new(org: &Organization, member: &Member) -> WorldParts {
        WorldParts {
            member: member_object(org, member),
            organization: organization_object(org),
        }
    }
}

/// Builds the expected success.
pub fn success(
    mut facts: SessionFacts<'_>,
    parts: &WorldParts,
    trace: &mut Trace,
) -> ExpectedSuccess {
    for rule in [
        Rule::SessionExpiry,
        Rule::SessionStartedNow,
        Rule::SessionTimestampFormat,
        Rule::SessionAuthFactor,
        Rule::SessionRoles,
        Rule::SessionCustomClaimsPresent,
        Rule::SessionMemberActive,
        Rule::ResponseShape,
        Rule::JwtHeader,
        Rule::JwtRegisteredClaims,
        Rule::JwtLifetime,
        Rule::JwtStytchClaims,
        Rule::JwtCustomClaimsTopLevel,
    ] {
        trace.hit(rule);
    }
    let org = facts.organization;
    let member = facts.member;
    let now = facts.now;
    let expires_at = now + facts.duration_minutes * 60;
    // The caller bounds `now` by MAX_NOW, so both instants are writable.
    let started = rfc3339(now).unwrap_or_default();
    let expires = rfc3339(expires_at).unwrap_or_default();
    let factor = object([
        ("type", text(AUTH_FACTOR.0)),
        ("delivery_method", text(AUTH_FACTOR.1)),
        ("last_authenticated_at", text(&started)),
    ]);
    let roles = || Json::Array(member.roles.iter().map(|r| text(r)).collect());
    // The claims, exactly as the model holds them, go to the payload, `member_session` and
    // `custom_claims`.
    let custom_claims = std::mem::take(&mut facts.custom_claims);
    let member_session = object([
        (
            "member_session_id",
            text(Opaque::MemberSessionId.placeholder()),
        ),
        ("member_id", text(&member.member_id)),
        ("started_at", text(&started)),
        ("last_accessed_at", text(&started)),
        ("expires_at", text(&expires)),
        ("authentication_factors", Json::Array(vec![factor.clone()])),
        ("organization_id", text(&org.organization_id)),
        ("roles", roles()),
        ("organization_slug", text(&org.slug)),
        ("custom_claims", Json::Object(custom_claims.clone())),
    ]);
    let session_claim = object([
        ("id", text(Opaque::MemberSessionId.placeholder())),
        ("started_at", text(&started)),
        ("last_accessed_at", text(&started)),
        ("expires_at", Json::String(expires)),
        (
            "attributes",
            object([("ip_address", text("")), ("user_agent", text(""))]),
        ),
        ("authentication_factors", Json::Array(vec![factor])),
        ("roles", roles()),
    ]);
    let payload = jwt_payload(&facts, session_claim, custom_claims.clone());
    let body = object([
        ("request_id", text(Opaque::RequestId.placeholder())),
        ("member_id", text(&member.member_id)),
        ("session_token", text(Opaque::SessionToken.placeholder())),
        ("session_jwt", text(Opaque::SessionJwt.placeholder())),
        ("member", parts.member.clone()),
        ("organization", parts.organization.clone()),
        ("member_session", member_session),
        ("status_code", integer(200)),
    ]);
    ExpectedSuccess {
        member_id: member.member_id.clone(),
        member_status_before: member.status,
        organization_id: org.organization_id.clone(),
        organization_slug: org.slug.clone(),
        external_session_token: facts.external_session_token.to_owned(),
        duration_minutes: facts.duration_minutes,
        started_at: now,
        expires_at,
        custom_claims,
        body,
        jwt: ExpectedJwt {
            header: object([
                ("alg", text("RS256")),
                ("typ", text("JWT")),
                ("kid", text(Opaque::KeyId.placeholder())),
            ]),
            payload,
            issued_at: now,
            expires_at: now + JWT_LIFETIME_SECONDS,
        },
    }
}

/// The `Member` fields the world does not determine: the model writes the values of a member
/// with nothing else configured, and a comparator checks them against the official schema only.
pub const MEMBER_SCHEMA_ONLY_FIELDS: &[&str] = &[
    "sso_registrations",
    "is_breakglass",
    "member_password_id",
    "oauth_registrations",
    "email_address_verified",
    "mfa_phone_number_verified",
    "is_admin",
    "totp_registration_id",
    "retired_email_addresses",
    "is_locked",
    "mfa_enrolled",
    "mfa_phone_number",
    "default_mfa_method",
];

/// The `Organization` fields the world does not determine (see
/// [`MEMBER_SCHEMA_ONLY_FIELDS`]).
pub const ORGANIZATION_SCHEMA_ONLY_FIELDS: &[&str] = &[
    "organization_logo_url",
    "sso_jit_provisioning",
    "sso_jit_provisioning_allowed_connections",
    "sso_active_connections",
    "email_allowed_domains",
    "email_jit_provisioning",
    "email_invites",
    "auth_methods",
    "allowed_auth_methods",
    "mfa_policy",
    "rbac_email_implicit_role_assignments",
    "mfa_methods",
    "allowed_mfa_methods",
    "oauth_tenant_jit_provisioning",
    "claimed_email_domains",
    "first_party_connected_apps_allowed_type",
    "allowed_first_party_connected_apps",
    "third_party_connected_apps_allowed_type",
    "allowed_third_party_connected_apps",
    "custom_roles",
];

/// The `Member` object after migration: status `active`, the world's fields, and the values
/// of a member with nothing else configured for every other required field.
pub fn member_object(org: &Organization, member: &Member) -> Json {
    let roles: Vec<Json> = member
        .roles
        .iter()
        .map(|r| {
            object([
                ("role_id", text(r)),
                (
                    "sources",
                    Json::Array(vec![object([("type", text("direct_assignment"))])]),
                ),
            ])
        })
        .collect();
    object([
        ("organization_id", text(&org.organization_id)),
        ("member_id", text(&member.member_id)),
        ("email_address", text(&member.email)),
        ("status", text("active")),
        ("name", text(&member.name)),
        ("sso_registrations", Json::Array(Vec::new())),
        ("is_breakglass", Json::Bool(false)),
        ("member_password_id", text("")),
        ("oauth_registrations", Json::Array(Vec::new())),
        ("email_address_verified", Json::Bool(true)),
        ("mfa_phone_number_verified", Json::Bool(false)),
        ("is_admin", Json::Bool(false)),
        ("totp_registration_id", text("")),
        ("retired_email_addresses", Json::Array(Vec::new())),
        ("is_locked", Json::Bool(false)),
        ("mfa_enrolled", Json::Bool(false)),
        ("mfa_phone_number", text("")),
        ("default_mfa_method", text("")),
        ("roles", Json::Array(roles)),
    ])
}

/// The `Organization` object: the world's fields, and the values of an organization with
/// nothing else configured for every other required field.
pub fn organization_object(org: &Organization) -> Json {
    let mut o = json!({
        "organization_id": org.organization_id,
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
    if let (Some(ext), Some(map)) = (&org.external_id, o.as_object_mut()) {
        map.insert("organization_external_id".into(), json!(ext));
    }
    Json::from_serde(&o)
}
