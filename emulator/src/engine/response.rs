//! The success body, shaped as the official `MigrateResponse` schema, and timestamps.

use serde::Serialize;

use super::claims::Claims;
use super::store::{MemberRecord, OrganizationRecord};

/// A list this service never fills in (SSO registrations, custom roles, ...): always `[]`.
type NoEntries = [(); 0];

/// The authentication factor a migrated session records.
pub const FACTOR_TYPE: &str = "imported";
/// Its delivery method.
pub const FACTOR_DELIVERY_METHOD: &str = "imported_auth0";

/// `api_b2b_session_v1_MigrateResponse`.
#[derive(Debug, Serialize)]
pub struct MigrateResponse<'a> {
    /// This call's id.
    pub request_id: String,
    /// The member.
    pub member_id: &'a str,
    /// The new Stytch session token.
    pub session_token: String,
    /// The session JWT.
    pub session_jwt: String,
    /// The member, after the call.
    pub member: MemberObject<'a>,
    /// The organization.
    pub organization: OrganizationObject<'a>,
    /// The new session.
    pub member_session: MemberSession<'a>,
    /// 200.
    pub status_code: u16,
}

/// `api_organization_v1_Member`: the stored fields, and a fresh member's values for the rest.
#[derive(Debug, Serialize)]
pub struct MemberObject<'a> {
    organization_id: &'a str,
    member_id: &'a str,
    email_address: &'a str,
    status: &'static str,
    name: &'a str,
    sso_registrations: NoEntries,
    is_breakglass: bool,
    member_password_id: &'static str,
    oauth_registrations: NoEntries,
    email_address_verified: bool,
    mfa_phone_number_verified: bool,
    is_admin: bool,
    totp_registration_id: &'static str,
    retired_email_addresses: NoEntries,
    is_locked: bool,
    mfa_enrolled: bool,
    mfa_phone_number: &'static str,
    default_mfa_method: &'static str,
    roles: Vec<MemberRole<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trusted_metadata: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    untrusted_metadata: Option<&'a serde_json::Value>,
}

impl<'a> MemberObject<'a> {
    /// The member object of `member` in `organization`, with this status.
    pub fn new(
        organization: &'a OrganizationRecord,
        member: &'a MemberRecord,
        status: &'static str,
    ) -> Self {
        MemberObject {
            organization_id: &organization.id,
            member_id: &member.id,
            email_address: &member.email,
            status,
            name: &member.name,
            sso_registrations: [],
            is_breakglass: false,
            member_password_id: "",
            oauth_registrations: [],
            // The external IdP vouched for the address.
            email_address_verified: true,
            mfa_phone_number_verified: false,
            is_admin: false,
            totp_registration_id: "",
            retired_email_addresses: [],
            is_locked: false,
            mfa_enrolled: false,
            mfa_phone_number: "",
            default_mfa_method: "",
            roles: member
                .roles
                .iter()
                .map(|role_id| MemberRole {
                    role_id,
                    sources: [RoleSource {
                        kind: "direct_assignment",
                    }],
                })
                .collect(),
            external_id: member.extra.external_id.as_deref(),
            trusted_metadata: member.extra.trusted_metadata.as_ref(),
            untrusted_metadata: member.extra.untrusted_metadata.as_ref(),
        }
    }
}

/// `api_organization_v1_MemberRole`.
#[derive(Debug, Serialize)]
struct MemberRole<'a> {
    role_id: &'a str,
    sources: [RoleSource; 1],
}

/// `api_organization_v1_MemberRoleSource`.
#[derive(Debug, Serialize)]
struct RoleSource {
    #[serde(rename = "type")]
    kind: &'static str,
}

/// `api_organization_v1_Organization`: the stored fields, and a fresh organization's values
/// for the rest.
#[derive(Debug, Serialize)]
pub struct OrganizationObject<'a> {
    organization_id: &'a str,
    organization_name: &'a str,
    organization_logo_url: &'static str,
    organization_slug: &'a str,
    sso_jit_provisioning: &'static str,
    sso_jit_provisioning_allowed_connections: NoEntries,
    sso_active_connections: NoEntries,
    email_allowed_domains: NoEntries,
    email_jit_provisioning: &'static str,
    email_invites: &'static str,
    auth_methods: &'static str,
    allowed_auth_methods: NoEntries,
    mfa_policy: &'static str,
    rbac_email_implicit_role_assignments: NoEntries,
    mfa_methods: &'static str,
    allowed_mfa_methods: NoEntries,
    oauth_tenant_jit_provisioning: &'static str,
    claimed_email_domains: NoEntries,
    first_party_connected_apps_allowed_type: &'static str,
    allowed_first_party_connected_apps: NoEntries,
    third_party_connected_apps_allowed_type: &'static str,
    allowed_third_party_connected_apps: NoEntries,
    custom_roles: NoEntries,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_external_id: Option<&'a str>,
}

impl<'a> OrganizationObject<'a> {
    /// The organization object.
    pub fn new(organization: &'a OrganizationRecord) -> Self {
        OrganizationObject {
            organization_id: &organization.id,
            organization_name: &organization.name,
            organization_logo_url: "",
            organization_slug: &organization.slug,
            sso_jit_provisioning: "NOT_ALLOWED",
            sso_jit_provisioning_allowed_connections: [],
            sso_active_connections: [],
            email_allowed_domains: [],
            email_jit_provisioning: "NOT_ALLOWED",
            email_invites: "ALL_ALLOWED",
            auth_methods: "ALL_ALLOWED",
            allowed_auth_methods: [],
            mfa_policy: "OPTIONAL",
            rbac_email_implicit_role_assignments: [],
            mfa_methods: "ALL_ALLOWED",
            allowed_mfa_methods: [],
            oauth_tenant_jit_provisioning: "NOT_ALLOWED",
            claimed_email_domains: [],
            first_party_connected_apps_allowed_type: "ALL_ALLOWED",
            allowed_first_party_connected_apps: [],
            third_party_connected_apps_allowed_type: "ALL_ALLOWED",
            allowed_third_party_connected_apps: [],
            custom_roles: [],
            organization_external_id: organization.external_id.as_deref(),
        }
    }
}

/// `api_session_v1_AuthenticationFactor`.
#[derive(Clone, Debug, Serialize)]
pub struct AuthenticationFactor {
    /// The factor type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// How it was delivered.
    pub delivery_method: &'static str,
    /// When.
    pub last_authenticated_at: String,
}

/// `api_b2b_session_v1_MemberSession`.
#[derive(Debug, Serialize)]
pub struct MemberSession<'a> {
    /// The session id.
    pub member_session_id: String,
    /// The member.
    pub member_id: &'a str,
    /// When it started.
    pub started_at: String,
    /// Last use.
    pub last_accessed_at: String,
    /// When it ends.
    pub expires_at: String,
    /// How the member authenticated.
    pub authentication_factors: Vec<AuthenticationFactor>,
    /// The organization.
    pub organization_id: &'a str,
    /// The member's role ids.
    pub roles: &'a [String],
    /// The organization's slug.
    pub organization_slug: &'a str,
    /// The final custom claims (`{}` when empty; `None` only in a mutant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_claims: Option<&'a Claims>,
}

/// The session claim of the JWT, `https://stytch.com/session`.
#[derive(Debug, Serialize)]
pub struct SessionClaim<'a> {
    /// The member session id.
    pub id: &'a str,
    /// As in the member session.
    pub started_at: &'a str,
    /// As in the member session.
    pub last_accessed_at: &'a str,
    /// As in the member session.
    pub expires_at: &'a str,
    /// The caller's attributes (not known to this server).
    pub attributes: SessionAttributes,
    /// As in the member session.
    pub authentication_factors: &'a [AuthenticationFactor],
    /// As in the member session.
    pub roles: &'a [String],
}

/// `attributes` of the session claim.
#[derive(Debug, Default, Serialize)]
pub struct SessionAttributes {
    /// The caller's IP address.
    pub ip_address: String,
    /// The caller's user agent.
    pub user_agent: String,
}

/// The organization claim of the JWT, `https://stytch.com/organization`.
#[derive(Debug, Serialize)]
pub struct OrganizationClaim<'a> {
    /// The organization id.
    pub organization_id: &'a str,
    /// The slug.
    pub slug: &'a str,
}

/// How a timestamp is spelled: as Stytch does, or as a mutant's library does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeStyle {
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    Plain,
    /// With `.000` fractional seconds (JS `toISOString`).
    Fraction,
    /// Ending `+00:00` (Python `isoformat`).
    OffsetSuffix,
    /// Without `:00` seconds (Java `OffsetDateTime.toString`).
    DropZeroSeconds,
}

/// Writes Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC), or in another `style`.
pub fn timestamp(unix_seconds: i64, style: TimeStyle) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let minute = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}");
    match style {
        TimeStyle::Plain => format!("{minute}:{s:02}Z"),
        TimeStyle::Fraction => format!("{minute}:{s:02}.000Z"),
        TimeStyle::OffsetSuffix => format!("{minute}:{s:02}+00:00"),
        TimeStyle::DropZeroSeconds if s == 0 => format!("{minute}Z"),
        TimeStyle::DropZeroSeconds => format!("{minute}:{s:02}Z"),
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::{timestamp, TimeStyle};

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0, TimeStyle::Plain), "1970-01-01T00:00:00Z");
        assert_eq!(
            timestamp(1_700_000_000, TimeStyle::Plain),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            timestamp(951_782_400, TimeStyle::Plain),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            timestamp(253_402_300_799, TimeStyle::Plain),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(
            timestamp(1_700_000_000, TimeStyle::Fraction),
            "2023-11-14T22:13:20.000Z"
        );
        assert_eq!(
            timestamp(1_700_000_000, TimeStyle::OffsetSuffix),
            "2023-11-14T22:13:20+00:00"
        );
        assert_eq!(
            timestamp(1_699_999_980, TimeStyle::DropZeroSeconds),
            "2023-11-14T22:13Z"
        );
        assert_eq!(
            timestamp(1_700_000_000, TimeStyle::DropZeroSeconds),
            "2023-11-14T22:13:20Z"
        );
    }
}
