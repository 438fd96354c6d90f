//! Step 10: the success response and the session JWT.

use serde_json::{json, Map, Value};
use time::macros::format_description;
use time::OffsetDateTime;

use crate::fault::Trace;
use crate::json::{Json, Object};
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
    let mut m = Map::new();
    m.insert("sub".into(), json!(member_id));
    m.insert("iss".into(), json!(format!("stytch.com/{project_id}")));
    m.insert("aud".into(), json!([project_id]));
    m.insert("iat".into(), json!(now));
    m.insert("nbf".into(), json!(now));
    m.insert("exp".into(), json!(now + JWT_LIFETIME_SECONDS));
    m
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
/// at the top level. Custom claims never override the others: the reserved and namespaced
/// keys were dropped before (or refused at step 5).
pub fn jwt_payload(
    facts: &SessionFacts<'_>,
    session_claim: Value,
    custom: &Map<String, Value>,
) -> Value {
    let mut payload = custom.clone();
    payload.extend(registered_claims(
        facts.project_id,
        &facts.member.member_id,
        facts.now,
    ));
    payload.insert("https://stytch.com/session".into(), session_claim);
    payload.insert(
        "https://stytch.com/organization".into(),
        json!({
            "organization_id": facts.organization.organization_id,
            "slug": facts.organization.slug,
        }),
    );
    Value::Object(payload)
}

/// Builds the expected success.
pub fn success(mut facts: SessionFacts<'_>, trace: &mut Trace) -> ExpectedSuccess {
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
    let factor = json!({
        "type": AUTH_FACTOR.0,
        "delivery_method": AUTH_FACTOR.1,
        "last_authenticated_at": started,
    });
    let claims = Json::Object(std::mem::take(&mut facts.custom_claims));
    let claims_value = claims.to_serde();
    let custom = claims_value.as_object().cloned().unwrap_or_default();

    let member_session = json!({
        "member_session_id": Opaque::MemberSessionId.placeholder(),
        "member_id": member.member_id,
        "started_at": started,
        "last_accessed_at": started,
        "expires_at": expires,
        "authentication_factors": [factor],
        "organization_id": org.organization_id,
        "roles": member.roles,
        "organization_slug": org.slug,
        "custom_claims": claims_value,
    });
    let session_claim = json!({
        "id": Opaque::MemberSessionId.placeholder(),
        "started_at": started,
        "last_accessed_at": started,
        "expires_at": expires,
        "attributes": {"ip_address": "", "user_agent": ""},
        "authentication_factors": [factor],
        "roles": member.roles,
    });
    let payload = jwt_payload(&facts, session_claim, &custom);
    let body = json!({
        "request_id": Opaque::RequestId.placeholder(),
        "member_id": member.member_id,
        "session_token": Opaque::SessionToken.placeholder(),
        "session_jwt": Opaque::SessionJwt.placeholder(),
        "member": member_object(org, member),
        "organization": organization_object(org),
        "member_session": member_session,
        "status_code": 200,
    });
    let custom_claims = {
        let mut claims = claims;
        claims.take_object().unwrap_or_default()
    };
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
            header: json!({"alg": "RS256", "typ": "JWT", "kid": Opaque::KeyId.placeholder()}),
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
pub fn member_object(org: &Organization, member: &Member) -> Value {
    let roles: Vec<Value> = member
        .roles
        .iter()
        .map(|r| json!({"role_id": r, "sources": [{"type": "direct_assignment"}]}))
        .collect();
    json!({
        "organization_id": org.organization_id,
        "member_id": member.member_id,
        "email_address": member.email,
        "status": "active",
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

/// The `Organization` object: the world's fields, and the values of an organization with
/// nothing else configured for every other required field.
pub fn organization_object(org: &Organization) -> Value {
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
    o
}
