//! Rule `world.valid`: the state the call runs against, and its validation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::parse::MAX_NESTING;

/// The smallest and largest session duration, in minutes (documented: 5 to 527040).
pub const DURATION_RANGE: std::ops::RangeInclusive<i64> = 5..=527_040;

/// Everything the call can see besides the request: the project, its organizations and
/// members, and what the external UserInfo endpoint answers for each token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// The Stytch project id (`iss` is `stytch.com/{project_id}`, `aud` is `[project_id]`).
    pub project_id: String,
    /// The project's configured maximum session duration in minutes, within 5..=527040.
    pub project_max_session_minutes: i64,
    /// The custom claims template: every session's initial claims.
    #[serde(default)]
    pub claims_template: serde_json::Map<String, serde_json::Value>,
    /// The organizations and their members.
    #[serde(default)]
    pub organizations: Vec<Organization>,
    /// The UserInfo directory: the reply for each external session token. A token missing
    /// here gets HTTP 401, as a real endpoint answers an unknown token.
    #[serde(default)]
    pub userinfo: BTreeMap<String, UserInfoReply>,
}

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The organization id, such as `organization-test-...`.
    pub organization_id: String,
    /// The slug.
    pub slug: String,
    /// The external id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: String,
    /// The members.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// A member of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member id.
    pub member_id: String,
    /// The email address, as stored.
    pub email: String,
    /// The status.
    pub status: MemberStatus,
    /// Role ids, in order.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The display name.
    #[serde(default)]
    pub name: String,
}

/// A member's status (documented: one of these four).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Active.
    Active,
    /// Pending (created, never logged in).
    Pending,
    /// Invited.
    Invited,
    /// Deleted: never matches.
    Deleted,
}

impl MemberStatus {
    /// Every status.
    pub const ALL: &'static [MemberStatus] = &[
        MemberStatus::Active,
        MemberStatus::Pending,
        MemberStatus::Invited,
        MemberStatus::Deleted,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Pending => "pending",
            MemberStatus::Invited => "invited",
            MemberStatus::Deleted => "deleted",
        }
    }
}

/// What the UserInfo endpoint answers for one token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum UserInfoReply {
    /// The endpoint cannot be reached (connection refused, timeout, TLS failure).
    Unreachable,
    /// An HTTP reply.
    Http {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: UserInfoBody,
    },
}

impl UserInfoReply {
    /// A 200 reply with this JSON body.
    pub fn ok(body: serde_json::Value) -> UserInfoReply {
        UserInfoReply::Http {
            status: 200,
            body: UserInfoBody::Json(body),
        }
    }

    /// A 200 reply whose body is `{"email": email}`.
    pub fn email(email: &str) -> UserInfoReply {
        UserInfoReply::ok(serde_json::json!({ "email": email }))
    }
}

/// A UserInfo reply body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum UserInfoBody {
    /// A JSON value, sent as `serde_json` writes it.
    Json(serde_json::Value),
    /// Raw bytes, for bodies that are not (valid) JSON.
    Raw(Vec<u8>),
}

impl UserInfoBody {
    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            UserInfoBody::Json(v) => v.to_string().into_bytes(),
            UserInfoBody::Raw(b) => b.clone(),
        }
    }
}

/// Why a world cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorldError {
    /// The project maximum is outside 5..=527040.
    ProjectMaxOutOfRange(i64),
    /// Two organizations share an id.
    DuplicateOrganizationId(String),
    /// Two organizations share an external id.
    DuplicateExternalId(String),
    /// Two organizations' slugs are equal ignoring ASCII case.
    DuplicateSlug(String, String),
    /// Two non-deleted members of one organization have emails equal ignoring ASCII case.
    DuplicateMemberEmail {
        /// The organization.
        organization_id: String,
        /// One of the two emails.
        email: String,
    },
    /// The claims template nests deeper than 128 levels (the model's merge recurses along
    /// the template, so it bounds the template's depth as a body's is bounded by default).
    TemplateTooDeep,
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldError::ProjectMaxOutOfRange(m) => write!(
                f,
                "invalid world: project_max_session_minutes is {m}, must be within 5..=527040"
            ),
            WorldError::DuplicateOrganizationId(id) => {
                write!(f, "invalid world: two organizations have the id {id:?}")
            }
            WorldError::DuplicateExternalId(id) => {
                write!(f, "invalid world: two organizations have the external id {id:?}")
            }
            WorldError::DuplicateSlug(a, b) => write!(
                f,
                "invalid world: the slugs {a:?} and {b:?} are equal ignoring ASCII case"
            ),
            WorldError::DuplicateMemberEmail {
                organization_id,
                email,
            } => write!(
                f,
                "invalid world: organization {organization_id:?} has two non-deleted members with the email {email:?} (ignoring ASCII case)"
            ),
            WorldError::TemplateTooDeep => write!(
                f,
                "invalid world: the claims template nests deeper than {MAX_NESTING} levels"
            ),
        }
    }
}

impl std::error::Error for WorldError {}

impl World {
    /// Checks the world's invariants (section 2b, last point).
    pub fn validate(&self) -> Result<(), WorldError> {
        if !DURATION_RANGE.contains(&self.project_max_session_minutes) {
            return Err(WorldError::ProjectMaxOutOfRange(
                self.project_max_session_minutes,
            ));
        }
        let mut ids = BTreeSet::new();
        let mut external_ids = BTreeSet::new();
        let mut slugs: BTreeMap<String, &str> = BTreeMap::new();
        for org in &self.organizations {
            if !ids.insert(org.organization_id.as_str()) {
                return Err(WorldError::DuplicateOrganizationId(
                    org.organization_id.clone(),
                ));
            }
            if let Some(ext) = &org.external_id {
                if !external_ids.insert(ext.as_str()) {
                    return Err(WorldError::DuplicateExternalId(ext.clone()));
                }
            }
            if let Some(other) = slugs.insert(org.slug.to_ascii_lowercase(), &org.slug) {
                return Err(WorldError::DuplicateSlug(
                    other.to_owned(),
                    org.slug.clone(),
                ));
            }
            let mut emails = BTreeSet::new();
            for m in org
                .members
                .iter()
                .filter(|m| m.status != MemberStatus::Deleted)
            {
                if !emails.insert(m.email.to_ascii_lowercase()) {
                    return Err(WorldError::DuplicateMemberEmail {
                        organization_id: org.organization_id.clone(),
                        email: m.email.clone(),
                    });
                }
            }
        }
        if template_depth(&self.claims_template) > MAX_NESTING {
            return Err(WorldError::TemplateTooDeep);
        }
        Ok(())
    }
}

/// Depth of the template, the top-level object being level 1; without recursion.
fn template_depth(template: &serde_json::Map<String, serde_json::Value>) -> usize {
    let mut max = 1;
    let mut stack: Vec<(&serde_json::Value, usize)> = template.values().map(|v| (v, 2)).collect();
    while let Some((v, d)) = stack.pop() {
        match v {
            serde_json::Value::Array(a) => {
                max = max.max(d);
                stack.extend(a.iter().map(|c| (c, d + 1)));
            }
            serde_json::Value::Object(o) => {
                max = max.max(d);
                stack.extend(o.values().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    max
}
